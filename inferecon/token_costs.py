"""What a million tokens costs: hardware (rented, or owned as an annuity), energy, hosting and
the idle hours utilisation below 100% leaves.

An inference operator turns GPU-hours and electricity into tokens. This module prices that on
top of the serving model (:func:`inferecon.serving_performance`, the calibrated roofline;
nothing here recomputes a step time): *hardware* (a rented price per GPU-hour, or a purchase
price paid off over a lifetime at a cost of capital, as an annuity), *energy* (board power at
that load from the serving model, times the PUE, times the price of a kWh), *facility* (hosting
priced per kW of all-in power per GPU, when given) and *idle hours* (the hours a GPU is paid
for but serves nothing: ``utilisation`` is the share of hours that serve); and the cost (and
revenue) of one operating point of the serving model (:func:`token_economics`).

Units are in the parameter names (:mod:`inferecon.factory_assumptions` holds the units and
the cited defaults).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._validate import (
    plain,
    renamed_parameters,
    require_in_range,
    require_positive,
    scalar_or_array,
)
from .factory_assumptions import (
    HOURS_PER_MONTH,
    HOURS_PER_YEAR,
    _arr,
    _kwh_or_default,
    _nonneg,
    _pue_or_default,
    _utilisation,
)
from .serving import serving_performance
from .specs import get_gpu
from .token_energy import tokens_per_s_per_mw
from .token_revenue import unit_economics

__all__ = [
    "capital_recovery_factor",
    "cost_breakdown",
    "facility_usd_per_gpu_hour",
    "owned_usd_per_gpu_hour",
    "token_economics",
    "usd_per_mtok",
]


def capital_recovery_factor(cost_of_capital, lifetime_years):
    """Share of a purchase price to pay each year to repay it with interest over its life.

    The annuity formula: ``r / (1 - (1 + r) ** -n)``, and ``1 / n`` at ``r = 0`` (straight-line
    depreciation).

    Parameters
    ----------
    cost_of_capital : float or array
        Annual rate (0.10 = 10% a year), in [0, 1].
    lifetime_years : float or array
        Years over which the hardware is paid off, in (0, 50].

    Returns
    -------
    float or numpy.ndarray
        Per year (1/year).

    Examples
    --------
    >>> capital_recovery_factor(0.0, 4)
    0.25
    >>> round(capital_recovery_factor(0.10, 4), 5)
    0.31547
    """
    r = _arr(require_in_range("cost_of_capital", cost_of_capital, 0.0, 1.0))
    n = _arr(require_in_range("lifetime_years", lifetime_years, 0.0, 50.0, low_open=True))
    r, n = np.broadcast_arrays(r, n)
    tiny = r < 1e-6  # the series 1/n + r (n + 1) / (2 n), exact to O(r^2), avoids 0/0
    safe = np.where(tiny, 1.0, r)
    annuity = safe / -np.expm1(-n * np.log1p(safe))
    return scalar_or_array(np.where(tiny, 1.0 / n + r * (n + 1.0) / (2.0 * n), annuity))


def owned_usd_per_gpu_hour(purchase_usd, lifetime_years, cost_of_capital=0.0):
    """Hourly cost of owning a GPU: its price as an annuity over its life, per hour of the year.

    Parameters
    ----------
    purchase_usd : float or array
        Price of one GPU (or its share of a system), USD, > 0.
    lifetime_years : float or array
        Economic life, years, in (0, 50].
    cost_of_capital : float or array
        Annual rate of return the capital must earn (0 = straight-line), in [0, 1].

    Returns
    -------
    float or numpy.ndarray
        USD per GPU-hour, every hour of the year (served or idle).

    Examples
    --------
    USD 30,000 over 4 years at 0%: 30,000 / (4 x 8,760) = USD 0.856 per GPU-hour.

    >>> round(owned_usd_per_gpu_hour(30_000, 4), 3)
    0.856
    """
    p = _arr(require_positive("purchase_usd", purchase_usd))
    out = p * _arr(capital_recovery_factor(cost_of_capital, lifetime_years)) / HOURS_PER_YEAR
    return scalar_or_array(out)


def facility_usd_per_gpu_hour(all_in_kw_per_gpu, facility_usd_per_kw_month):
    """Hosting cost per GPU-hour when a data centre charges per kW of provisioned power.

    Parameters
    ----------
    all_in_kw_per_gpu : float or array
        All-in power provisioned per GPU (its share of server, network and cooling), kW, > 0.
    facility_usd_per_kw_month : float or array
        Colocation price, USD per kW per month, >= 0.

    Returns
    -------
    float or numpy.ndarray
        USD per GPU-hour (a month is :data:`HOURS_PER_MONTH` hours).
    """
    kw = _arr(require_positive("all_in_kw_per_gpu", all_in_kw_per_gpu))
    price = _arr(_nonneg("facility_usd_per_kw_month", facility_usd_per_kw_month))
    return scalar_or_array(kw * price / HOURS_PER_MONTH)


@renamed_parameters(usd_per_hour="usd_per_gpu_hour", tokens_per_s="tokens_per_s_per_gpu")
def usd_per_mtok(usd_per_gpu_hour, tokens_per_s_per_gpu, utilisation=1.0):
    """Cost per million tokens of a GPU that costs ``usd_per_gpu_hour`` every hour.

    ``usd_per_gpu_hour / (tokens_per_s_per_gpu * 3600 * utilisation) * 1e6``: the hours that do
    not serve (``1 - utilisation``) are paid for by the tokens of the hours that do.

    Parameters
    ----------
    usd_per_gpu_hour : float or array
        USD per GPU-hour, >= 0.
    tokens_per_s_per_gpu : float or array
        Output tokens per second per GPU while serving, > 0.
    utilisation : float or array
        Share of hours that serve, in (0, 1].

    Returns
    -------
    float or numpy.ndarray
        USD per million tokens.

    Notes
    -----
    The keywords ``usd_per_hour`` and ``tokens_per_s`` were deprecated in 0.1.0 and are removed
    in 0.2.0; they still work, with a ``DeprecationWarning``.

    Examples
    --------
    USD 2.00 per GPU-hour at 1,000 tokens/s is 2 / 3.6 = USD 0.556 per million tokens, and
    twice that at 50% utilisation.

    >>> round(usd_per_mtok(2.0, 1000), 3), round(usd_per_mtok(2.0, 1000, 0.5), 3)
    (0.556, 1.111)
    """
    c = _arr(_nonneg("usd_per_gpu_hour", usd_per_gpu_hour))
    t = _arr(require_positive("tokens_per_s_per_gpu", tokens_per_s_per_gpu))
    u = _arr(_utilisation(utilisation))
    return scalar_or_array(c / (t * 3600.0 * u) * 1e6)


def _hardware_hour(usd_per_gpu_hour, purchase_usd, lifetime_years, cost_of_capital):
    rented = usd_per_gpu_hour is not None
    owned = purchase_usd is not None
    if rented == owned:
        raise ValueError(
            "give exactly one of usd_per_gpu_hour (renting) or purchase_usd with "
            f"lifetime_years (owning); got usd_per_gpu_hour={plain(usd_per_gpu_hour)!r}, "
            f"purchase_usd={purchase_usd!r}"
        )
    if rented:
        return _arr(_nonneg("usd_per_gpu_hour", usd_per_gpu_hour))
    if lifetime_years is None:
        raise ValueError("lifetime_years is required with purchase_usd (valid range (0, 50])")
    return _arr(owned_usd_per_gpu_hour(purchase_usd, lifetime_years, cost_of_capital))


def cost_breakdown(
    tokens_per_s_per_gpu,
    power_w,
    *,
    usd_per_gpu_hour=None,
    purchase_usd=None,
    lifetime_years=None,
    cost_of_capital=0.0,
    utilisation=1.0,
    usd_per_kwh=None,
    pue=None,
    idle_w=0.0,
    all_in_kw_per_gpu=None,
    facility_usd_per_kw_month=0.0,
) -> pd.DataFrame:
    """Cost per million tokens split into hardware, energy, facility and idle hours.

    For each served hour a GPU costs its hardware hour, the energy it draws at its load
    (``power_w`` x PUE x USD/kWh) and its hosting (all-in kW x USD per kW-month); each served
    hour also carries ``(1 - u) / u`` idle hours, which cost the hardware and hosting again
    plus idle power. Per million tokens:

    * ``hardware = H / (3600 T) * 1e6`` with ``H`` USD per GPU-hour and ``T`` tokens/s;
    * ``energy = P * PUE / T / 3.6e6 * 1e6 * price``;
    * ``facility = F / (3600 T) * 1e6``;
    * ``idle = (1/u - 1) * (H + F + P_idle * PUE / 1000 * price) / (3600 T) * 1e6``.

    Parameters
    ----------
    tokens_per_s_per_gpu : float or array
        Tokens per second per GPU while serving, > 0.
    power_w : float or array
        Average board power per GPU while serving (from the serving model), W, > 0.
    usd_per_gpu_hour : float or array, optional
        Rental price, USD per GPU-hour, >= 0. Give this *or* ``purchase_usd``.
    purchase_usd, lifetime_years, cost_of_capital : float or array, optional
        Owning: price per GPU (USD, > 0), life (years, (0, 50]), annual rate ([0, 1]); see
        :func:`owned_usd_per_gpu_hour`.
    utilisation : float or array
        Share of hours that serve, in (0, 1].
    usd_per_kwh : float or array, optional
        Electricity price, USD/kWh, >= 0. When omitted: the cited default
        (:func:`factory_defaults`, ``data/factory_assumptions.csv``) for an owned GPU, 0 for a
        rented one (a rental price per GPU-hour includes the power it draws).
    pue : float or array, optional
        Facility power usage effectiveness, in [1, 5]; the cited default when omitted.
    idle_w : float or array
        Board power while idle, W, >= 0.
    all_in_kw_per_gpu : float or array, optional
        All-in kW per GPU; gives ``facility_*`` costs (with ``facility_usd_per_kw_month``) and
        ``tokens_per_s_per_mw``.
    facility_usd_per_kw_month : float or array
        Hosting price per kW of all-in power per month, USD, >= 0 (needs
        ``all_in_kw_per_gpu`` when > 0).

    Returns
    -------
    pandas.DataFrame
        ``hardware_usd_per_gpu_hour``, ``facility_usd_per_gpu_hour``,
        ``energy_usd_per_gpu_hour`` (a served hour's electricity, facility included) and
        ``idle_energy_usd_per_gpu_hour`` (an idle hour's), ``hardware_usd_per_mtok``,
        ``energy_usd_per_mtok``, ``facility_usd_per_mtok``, ``idle_usd_per_mtok``,
        ``total_usd_per_mtok`` (USD per million tokens), ``joules_per_token`` (board),
        ``facility_joules_per_token`` (x PUE), ``utilisation``, when owning ``purchase_usd``
        and ``lifetime_years``, and with ``all_in_kw_per_gpu``,
        ``all_in_kw_per_gpu`` and ``tokens_per_s_per_mw``. :func:`unit_economics` reads its
        costs from these columns, so nothing is asked twice.

    Examples
    --------
    >>> cost_breakdown(1000, 700, usd_per_gpu_hour=2.0, utilisation=0.5)[
    ...     ["hardware_usd_per_mtok", "idle_usd_per_mtok", "total_usd_per_mtok"]
    ... ].round(3).iloc[0].tolist()
    [0.556, 0.556, 1.111]
    """
    t = _arr(require_positive("tokens_per_s_per_gpu", tokens_per_s_per_gpu))
    p = _arr(require_positive("power_w", power_w))
    h = _hardware_hour(usd_per_gpu_hour, purchase_usd, lifetime_years, cost_of_capital)
    u = _arr(_utilisation(utilisation))
    price = _arr(_kwh_or_default(usd_per_kwh, owned=purchase_usd is not None))
    pue_ = _arr(_pue_or_default(pue))
    idle = _arr(_nonneg("idle_w", idle_w))
    fac_price = _arr(_nonneg("facility_usd_per_kw_month", facility_usd_per_kw_month))
    if all_in_kw_per_gpu is None:
        if np.any(fac_price > 0):
            raise ValueError(
                "facility_usd_per_kw_month > 0 needs all_in_kw_per_gpu (kW per GPU, > 0)"
            )
        kw = None
        fac_hour = np.zeros(())
    else:
        kw = _arr(require_positive("all_in_kw_per_gpu", all_in_kw_per_gpu))
        fac_hour = kw * fac_price / HOURS_PER_MONTH
    per_hour_tokens = t * 3600.0 / 1e6  # million tokens per served hour
    hardware = h / per_hour_tokens
    facility = fac_hour / per_hour_tokens
    j = p / t
    energy_hour = p * pue_ / 1000.0 * price  # kW x USD/kWh: a served hour's electricity
    idle_energy_hour = idle * pue_ / 1000.0 * price
    energy = energy_hour / per_hour_tokens
    idle_hour = h + fac_hour + idle_energy_hour
    idle_cost = (1.0 / u - 1.0) * idle_hour / per_hour_tokens
    total = hardware + energy + facility + idle_cost
    owned = purchase_usd is not None
    cols = {
        "hardware_usd_per_gpu_hour": h,
        "facility_usd_per_gpu_hour": fac_hour,
        "energy_usd_per_gpu_hour": energy_hour,
        "idle_energy_usd_per_gpu_hour": idle_energy_hour,
        "hardware_usd_per_mtok": hardware,
        "energy_usd_per_mtok": energy,
        "facility_usd_per_mtok": facility,
        "idle_usd_per_mtok": idle_cost,
        "total_usd_per_mtok": total,
        "joules_per_token": j,
        "facility_joules_per_token": j * pue_,
        "utilisation": u,
    }
    if owned:
        cols["purchase_usd"] = _arr(purchase_usd)
        cols["lifetime_years"] = _arr(lifetime_years)
    if kw is not None:
        cols["all_in_kw_per_gpu"] = kw
        cols["tokens_per_s_per_mw"] = tokens_per_s_per_mw(t, kw)
    arrays = np.broadcast_arrays(*[np.asarray(v, dtype=float) for v in cols.values()])
    return pd.DataFrame({k: np.ravel(a) for k, a in zip(cols, arrays, strict=True)})


@renamed_parameters(n_gpus="tensor_parallel")
def token_economics(
    model,
    gpu,
    batch,
    prompt_tokens,
    output_tokens,
    precision: str = "bf16",
    efficiency=None,
    *,
    tensor_parallel=1,
    usd_per_gpu_hour=None,
    purchase_usd=None,
    lifetime_years=None,
    cost_of_capital=0.0,
    utilisation=1.0,
    usd_per_kwh=None,
    pue=None,
    all_in_kw_per_gpu=None,
    facility_usd_per_kw_month=0.0,
    output_usd_per_mtok=None,
    input_usd_per_mtok=0.0,
    check_memory: bool = True,
    allow_weight_only: bool = False,
) -> pd.DataFrame:
    """What a million output tokens costs (and earns) at an operating point of the serving model.

    Runs :func:`inferecon.serving_performance` (requests of ``prompt_tokens`` in and
    ``output_tokens`` out, ``batch`` at a time, on one replica of ``tensor_parallel`` GPUs),
    takes its output tokens per second per GPU and its average board power over the
    prefill-and-decode cycle, and prices them with :func:`cost_breakdown` (and
    :func:`unit_economics` when a selling price is given).

    Parameters
    ----------
    model, gpu : str or spec
        The model and the accelerator.
    batch, prompt_tokens, output_tokens : int or array
        As in :func:`inferecon.serving_performance` (they broadcast).
    precision : {"bf16", "fp8", "fp4"}
        Weights and matmul format; must be native to the GPU unless ``allow_weight_only``.
    efficiency : optional
        Serving efficiency (``None`` = the stored calibration).
    tensor_parallel : int or array
        Tensor-parallel GPUs.
    usd_per_gpu_hour, purchase_usd, lifetime_years, cost_of_capital, utilisation, usd_per_kwh,
    pue, all_in_kw_per_gpu, facility_usd_per_kw_month
        As in :func:`cost_breakdown`. Without either hardware price the GPU's mid rental price
        in ``data/gpus.csv`` is used (and said so in the ``hardware`` column).
    output_usd_per_mtok, input_usd_per_mtok : float, optional
        Selling prices per million tokens; with ``output_usd_per_mtok`` the revenue, margin,
        break-even and (owning) payback columns of :func:`unit_economics` are added.
    check_memory : bool
        Raise when a configuration does not fit (``False``: computed and flagged ``fits``).
    allow_weight_only : bool
        Allow a precision the GPU has no tensor cores for (weight-only quantisation).

    Returns
    -------
    pandas.DataFrame
        The serving columns (``tokens_per_s_per_user``, ``tokens_per_s_per_gpu``,
        ``ttft_ms``, ``joules_per_output_token``, ``fits``...), ``power_w`` (average board
        power per GPU while serving), ``hardware`` (``"rented"``, ``"owned"`` or
        ``"rented (data/gpus.csv mid price)"``) and the cost (and revenue) columns.
    """
    g = get_gpu(gpu)
    if usd_per_gpu_hour is None and purchase_usd is None:
        usd_per_gpu_hour, label = g.usd_per_gpu_hour_mid, "rented (data/gpus.csv mid price)"
        if not np.isfinite(usd_per_gpu_hour):
            raise ValueError(f"{g.name} has no rental price in data/gpus.csv; give a price")
    else:
        label = "rented" if usd_per_gpu_hour is not None else "owned"
    sp = serving_performance(
        model, g, batch, prompt_tokens, output_tokens, precision, efficiency,
        tensor_parallel=tensor_parallel, check_memory=check_memory, usd_per_gpu_hour=1.0,
        allow_weight_only=allow_weight_only,
    )  # fmt: skip
    tps = sp["tokens_per_s_per_gpu"].to_numpy()
    power = sp["joules_per_output_token"].to_numpy() * tps
    costs = cost_breakdown(
        tps, power, usd_per_gpu_hour=usd_per_gpu_hour, purchase_usd=purchase_usd,
        lifetime_years=lifetime_years, cost_of_capital=cost_of_capital, utilisation=utilisation,
        usd_per_kwh=usd_per_kwh, pue=pue, idle_w=g.idle_w, all_in_kw_per_gpu=all_in_kw_per_gpu,
        facility_usd_per_kw_month=facility_usd_per_kw_month,
    )  # fmt: skip
    if len(costs) != len(sp):
        raise ValueError(
            "cost parameters must be scalars or broadcast to the serving rows "
            f"({len(sp)} rows); got {len(costs)} rows"
        )
    out = sp.drop(columns=["usd_per_mtok_output"]).assign(power_w=power, hardware=label)
    out = pd.concat([out.reset_index(drop=True), costs.drop(columns="joules_per_token")], axis=1)
    if output_usd_per_mtok is not None:
        ratio = sp["prompt_tokens"].to_numpy() / sp["output_tokens"].to_numpy()
        econ = unit_economics(
            costs, tps, output_usd_per_mtok, input_usd_per_mtok=input_usd_per_mtok,
            input_tokens_per_output_token=ratio,
        )  # fmt: skip
        out = pd.concat([out, econ], axis=1)
    return out
