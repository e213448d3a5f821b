"""The AI factory: what a million tokens costs and earns, per GPU, per megawatt and per query.

An inference operator turns GPU-hours and electricity into tokens and sells the tokens. This
module prices that on top of the serving model (:func:`inferecon.serving_performance`, the
calibrated roofline; nothing here recomputes a step time):

* **cost per million output tokens**, split into *hardware* (a rented price per GPU-hour, or a
  purchase price paid off over a lifetime at a cost of capital, as an annuity), *energy* (board
  power at that load from the serving model, times the PUE, times the price of a kWh),
  *facility* (hosting priced per kW of all-in power per GPU, when given) and *idle hours* (the
  hours a GPU is paid for but serves nothing: ``utilisation`` is the share of hours that
  serve);
* **revenue** at a price per million input and output tokens (as APIs list them), gross
  margin, break-even utilisation and price, payback time and the return multiple over the
  hardware's life, and the structure of a vendor's "x-fold return" claim
  (:func:`revenue_claim`, :func:`price_for_return_multiple`);
* **energy**: joules per token on the board and at the facility, tokens per second per
  megawatt of all-in power, and energy per query, both from FLOP assumptions the way Epoch AI
  estimated ChatGPT's (:func:`flop_energy_per_query_wh`) and from the serving model
  (:func:`energy_per_query`);
* **the speed/throughput frontier**: over batch sizes, tensor-parallel sizes and the precisions
  each GPU supports, the Pareto set of tokens per second per user against tokens per second per
  GPU (and per MW), the cost along it, the operating point for a target speed per user and
  tiered prices read off it (:func:`throughput_frontier`, :func:`frontier_costs`,
  :func:`operating_point_for_speed`, :func:`tiered_prices`);
* **a workload's bill** at today's API list prices (the ``genai-prices`` package's bundled
  snapshot, never its network update) against the same workload on your own or rented GPUs
  (:func:`api_bill`, :func:`self_hosted_bill`).

Units are in the parameter names. A year is :data:`HOURS_PER_YEAR` = 8,760 hours (365 days,
as :data:`inferecon.DAYS_PER_YEAR`). Out-of-domain input raises ``ValueError`` naming the
parameter, the value and the valid range; nothing is clipped.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import functools
from decimal import Decimal

import numpy as np
import pandas as pd

from ._validate import (
    plain,
    renamed_parameters,
    require_in_range,
    require_positive,
    scalar_or_array,
)
from .datasets import load_factory_assumptions
from .serving import serving_performance
from .specs import (
    GPUSpec,
    check_native_precision,
    check_precision,
    get_gpu,
    get_model,
    native_precisions,
)

__all__ = [
    "HOURS_PER_MONTH",
    "HOURS_PER_YEAR",
    "PRICE_TIME_OF_DAY",
    "default_all_in_kw_per_gpu",
    "api_bill",
    "api_list_price",
    "capital_recovery_factor",
    "cost_breakdown",
    "energy_per_query",
    "energy_usd_per_mtok",
    "facility_usd_per_gpu_hour",
    "factory_defaults",
    "flop_energy_per_query_wh",
    "frontier_costs",
    "genai_prices_info",
    "genai_prices_models",
    "joules_per_token",
    "operating_point_for_speed",
    "output_price_for_return_multiple",
    "owned_usd_per_gpu_hour",
    "pareto_mask",
    "price_for_return_multiple",
    "published_query_energy",
    "revenue_claim",
    "revenue_usd_per_gpu_hour",
    "self_hosted_bill",
    "throughput_frontier",
    "tiered_prices",
    "token_economics",
    "tokens_per_s_per_mw",
    "unit_economics",
    "usd_per_mtok",
]

HOURS_PER_YEAR = 8760.0
"""Hours in a year of 365 days (the year of :data:`inferecon.DAYS_PER_YEAR`)."""

HOURS_PER_MONTH = HOURS_PER_YEAR / 12.0
"""Hours in an average month (730), for prices per kW-month and monthly bills."""

_J_PER_KWH = 3.6e6


# --------------------------------------------------------------------------- argument checks


def _nonneg(name: str, value):
    """Finite and >= 0 (prices, power, counts that may be zero)."""
    return require_in_range(name, value, 0.0, np.inf, high_open=True)


def _utilisation(value):
    return require_in_range("utilisation", value, 0.0, 1.0, low_open=True)


def _pue(value):
    return require_in_range("pue", value, 1.0, 5.0)


def _lifetime_mtok(n_gpus, tokens_per_s_per_gpu, utilisation, lifetime_years):
    """Million tokens a system serves over its life (the claim helpers' one token count)."""
    seconds = 3600.0 * HOURS_PER_YEAR * lifetime_years
    return n_gpus * tokens_per_s_per_gpu * seconds * utilisation / 1e6


def factory_defaults() -> dict[str, float]:
    """The cited defaults every cost and energy function falls back on.

    Read once from ``data/factory_assumptions.csv`` (rows ``default_pue``,
    ``default_usd_per_kwh`` and ``default_facility_usd_per_kw_month``, each with its source
    there): the one place the package's and the notebook's defaults come from.

    Returns
    -------
    dict
        ``pue`` (ratio), ``usd_per_kwh`` (USD per kWh) and ``facility_usd_per_kw_month``
        (USD per kW of all-in power per month).
    """
    v = _assumptions()["value"]
    return {
        "pue": float(v["default_pue"]),
        "usd_per_kwh": float(v["default_usd_per_kwh"]),
        "facility_usd_per_kw_month": float(v["default_facility_usd_per_kw_month"]),
    }


def _pue_or_default(pue):
    """``pue``, or the cited default (:func:`factory_defaults`) when it is None."""
    return _pue(factory_defaults()["pue"] if pue is None else pue)


def _kwh_or_default(usd_per_kwh, owned: bool):
    """``usd_per_kwh``; when None the cited default for an owned GPU, 0 for a rented one
    (a rental price per GPU-hour includes the power it draws)."""
    if usd_per_kwh is None:
        return factory_defaults()["usd_per_kwh"] if owned else 0.0
    return _nonneg("usd_per_kwh", usd_per_kwh)


def _arr(x) -> np.ndarray:
    return np.asarray(x, dtype=float)


# --------------------------------------------------------------------------- hardware cost


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


# --------------------------------------------------------------------------- energy and power


@renamed_parameters(tokens_per_s="tokens_per_s_per_gpu")
def joules_per_token(power_w, tokens_per_s_per_gpu, pue=1.0):
    """Energy per token: power over throughput, times the PUE for the facility's share.

    Parameters
    ----------
    power_w : float or array
        Average power while serving, W, > 0 (board power per GPU for board J/token).
    tokens_per_s_per_gpu : float or array
        Output tokens per second of the same GPU, > 0.
    pue : float or array
        Power usage effectiveness of the facility, in [1, 5] (1 = the board alone).

    Returns
    -------
    float or numpy.ndarray
        Joules per token.

    Examples
    --------
    >>> round(joules_per_token(700, 1000), 3), round(joules_per_token(700, 1000, pue=1.2), 3)
    (0.7, 0.84)
    """
    p = _arr(require_positive("power_w", power_w))
    t = _arr(require_positive("tokens_per_s_per_gpu", tokens_per_s_per_gpu))
    return scalar_or_array(p / t * _arr(_pue(pue)))


@renamed_parameters(tokens_per_s="tokens_per_s_per_gpu")
def energy_usd_per_mtok(power_w, tokens_per_s_per_gpu, usd_per_kwh, pue=None):
    """Electricity cost per million tokens: J/token x PUE x 1e6 / 3.6e6 x USD/kWh.

    Parameters
    ----------
    power_w, tokens_per_s_per_gpu
        As in :func:`joules_per_token`.
    usd_per_kwh : float or array
        Electricity price, USD per kWh, >= 0.
    pue : float or array, optional
        Facility power usage effectiveness, in [1, 5]; the cited default
        (:func:`factory_defaults`, 1.2) when omitted: electricity is billed at the meter.

    Returns
    -------
    float or numpy.ndarray
        USD per million tokens.

    Examples
    --------
    700 W at 1,000 tokens/s with PUE 1.2: 0.84 J/token, 840,000 J = 0.2333 kWh per million
    tokens, USD 0.0187 at USD 0.08/kWh.

    >>> round(energy_usd_per_mtok(700, 1000, 0.08, pue=1.2), 4)
    0.0187
    """
    j = _arr(joules_per_token(power_w, tokens_per_s_per_gpu, _pue_or_default(pue)))
    price = _arr(_nonneg("usd_per_kwh", usd_per_kwh))
    return scalar_or_array(j * 1e6 / _J_PER_KWH * price)


def tokens_per_s_per_mw(tokens_per_s_per_gpu, all_in_kw_per_gpu):
    """Throughput per megawatt of all-in power (SemiAnalysis InferenceMAX's per-MW view).

    Parameters
    ----------
    tokens_per_s_per_gpu : float or array
        Tokens per second per GPU, > 0.
    all_in_kw_per_gpu : float or array
        All-in power per GPU (GPU, its share of the server, network and cooling), kW, > 0.

    Returns
    -------
    float or numpy.ndarray
        Tokens per second per MW.

    Examples
    --------
    >>> round(tokens_per_s_per_mw(1000, 1.73))
    578035
    """
    t = _arr(require_positive("tokens_per_s_per_gpu", tokens_per_s_per_gpu))
    kw = _arr(require_positive("all_in_kw_per_gpu", all_in_kw_per_gpu))
    return scalar_or_array(t * 1000.0 / kw)


@functools.lru_cache(maxsize=1)
def _assumptions() -> pd.DataFrame:
    return load_factory_assumptions()


def default_all_in_kw_per_gpu(gpu: str | GPUSpec) -> tuple[float, str]:
    """The cited default all-in power per GPU and what kind of number it is.

    Read from ``data/factory_assumptions.csv`` (once per process, like the GPU catalogue):
    SemiAnalysis's InferenceMAX dashboard constants for H100, H200, B200, GB200 and MI300X
    (``analyst_estimate``), a stated TDP-scaled assumption for the other GPUs of
    ``data/gpus.csv`` (``assumption``).

    Parameters
    ----------
    gpu : str or GPUSpec
        A GPU of ``data/gpus.csv``.

    Returns
    -------
    tuple of (float, str)
        kW per GPU and the row's ``kind``.

    Raises
    ------
    ValueError
        For a GPU without a row; pass ``all_in_kw_per_gpu=`` explicitly for it.

    Notes
    -----
    Named ``all_in_kw_per_gpu`` before 0.1.0; that name (now the parameter's) still resolves as
    ``ie.all_in_kw_per_gpu`` with a ``DeprecationWarning``, deprecated in 0.1.0 and removed in
    0.2.0.
    """
    g = get_gpu(gpu)
    key = f"all_in_kw_per_gpu__{g.name}"
    table = _assumptions()
    if key not in table.index:
        known = sorted(k.split("__", 1)[1] for k in table.index if k.startswith("all_in_kw"))
        raise ValueError(
            f"no default all-in power for GPU {g.name!r} in data/factory_assumptions.csv "
            f"(known: {', '.join(known)}); pass all_in_kw_per_gpu explicitly"
        )
    row = table.loc[key]
    return float(row["value"]), str(row["kind"])


# --------------------------------------------------------------------------- cost breakdown


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
        cols["tokens_per_s_per_mw"] = t * 1000.0 / kw
    arrays = np.broadcast_arrays(*[np.asarray(v, dtype=float) for v in cols.values()])
    return pd.DataFrame({k: np.ravel(a) for k, a in zip(cols, arrays, strict=True)})


# --------------------------------------------------------------------------- revenue


@renamed_parameters(output_tokens_per_s_per_gpu="tokens_per_s_per_gpu")
def revenue_usd_per_gpu_hour(
    tokens_per_s_per_gpu,
    output_usd_per_mtok,
    input_tokens_per_output_token=0.0,
    input_usd_per_mtok=0.0,
    utilisation=1.0,
):
    """Revenue per GPU-hour of the clock at API-style prices per million input and output tokens.

    Parameters
    ----------
    tokens_per_s_per_gpu : float or array
        Output tokens per second per GPU while serving, > 0.
    output_usd_per_mtok : float or array
        Selling price per million output tokens, USD, >= 0.
    input_tokens_per_output_token : float or array
        Prompt tokens billed per output token (prompt length / output length), >= 0.
    input_usd_per_mtok : float or array
        Selling price per million input tokens, USD, >= 0.
    utilisation : float or array
        Share of hours that serve, in (0, 1].

    Returns
    -------
    float or numpy.ndarray
        USD per GPU-hour.

    Examples
    --------
    USD 0.60 per million output tokens at 1,000 tokens/s: 0.6 x 3.6 = USD 2.16 per hour.

    >>> round(revenue_usd_per_gpu_hour(1000, 0.60), 2)
    2.16
    """
    t = _arr(require_positive("tokens_per_s_per_gpu", tokens_per_s_per_gpu))
    po = _arr(_nonneg("output_usd_per_mtok", output_usd_per_mtok))
    ratio = _arr(_nonneg("input_tokens_per_output_token", input_tokens_per_output_token))
    pi = _arr(_nonneg("input_usd_per_mtok", input_usd_per_mtok))
    u = _arr(_utilisation(utilisation))
    return scalar_or_array(t * 3600.0 / 1e6 * (po + pi * ratio) * u)


def unit_economics(
    costs: pd.DataFrame,
    tokens_per_s_per_gpu,
    output_usd_per_mtok,
    *,
    input_usd_per_mtok=0.0,
    input_tokens_per_output_token=0.0,
) -> pd.DataFrame:
    """Revenue, gross margin, break-even utilisation and price, payback and return multiple.

    Per GPU and per hour of the clock at utilisation ``u``: revenue ``u R`` (``R`` the revenue
    of a served hour); costs ``H + F`` every hour (hardware, hosting), ``E_s`` energy per served
    hour and ``E_i`` idle energy per idle hour. Then

    * gross margin ``= 1 - cost / revenue`` per token (``total_usd_per_mtok`` of ``costs``);
    * break-even utilisation ``u* = (H + F + E_i) / (R - E_s + E_i)``, ``inf`` when no
      utilisation up to 100% breaks even;
    * break-even price: the output price at which the margin is 0 (input price held), 0 when
      input revenue alone covers the cost;
    * when ``costs`` are for an owned GPU: payback ``= purchase / yearly operating profit``
      (revenue less energy and hosting; ``inf`` when that is not positive), the return
      multiple ``= revenue over the life / purchase`` (the vendor definition: revenue, not
      profit) and the net multiple ``= (revenue - energy - hosting) over the life / purchase``.

    Every cost (``H``, ``F``, ``E_s``, ``E_i``, the utilisation, the purchase price and life)
    is read from ``costs``, as :func:`cost_breakdown` computed it: electricity price, PUE and
    idle power are given once, there.

    Parameters
    ----------
    costs : pandas.DataFrame
        Output of :func:`cost_breakdown` (or :func:`frontier_costs`, :func:`token_economics`)
        for the same rows.
    tokens_per_s_per_gpu : float or array
        Output tokens per second per GPU while serving, > 0 (the throughput ``costs`` were
        computed for).
    output_usd_per_mtok, input_usd_per_mtok : float or array
        Selling prices per million tokens, USD, >= 0.
    input_tokens_per_output_token : float or array
        Billed prompt tokens per output token, >= 0.

    Returns
    -------
    pandas.DataFrame
        ``revenue_usd_per_mtok`` (per million output tokens, input revenue included),
        ``revenue_usd_per_gpu_hour``, ``cost_usd_per_gpu_hour``, ``gross_margin`` (fraction;
        negative when losing money), ``break_even_utilisation``,
        ``break_even_output_usd_per_mtok`` and, when owning, ``payback_years``,
        ``lifetime_revenue_usd``, ``return_multiple`` and ``net_return_multiple``.
    """
    need = {"energy_usd_per_gpu_hour", "idle_energy_usd_per_gpu_hour", "total_usd_per_mtok"}
    missing = sorted(need - set(costs.columns))
    if missing:
        raise ValueError(
            f"costs must come from cost_breakdown (or frontier_costs, token_economics); "
            f"missing columns {missing}"
        )
    t = _arr(require_positive("tokens_per_s_per_gpu", tokens_per_s_per_gpu))
    po = _arr(_nonneg("output_usd_per_mtok", output_usd_per_mtok))
    pi = _arr(_nonneg("input_usd_per_mtok", input_usd_per_mtok))
    ratio = _arr(_nonneg("input_tokens_per_output_token", input_tokens_per_output_token))
    u = costs["utilisation"].to_numpy(float)
    mtok_per_hour = t * 3600.0 / 1e6
    rev_mtok = po + pi * ratio
    r_hour = rev_mtok * mtok_per_hour
    fac = costs["facility_usd_per_gpu_hour"].to_numpy(float)
    fixed = costs["hardware_usd_per_gpu_hour"].to_numpy(float) + fac
    e_s = costs["energy_usd_per_gpu_hour"].to_numpy(float)
    e_i = costs["idle_energy_usd_per_gpu_hour"].to_numpy(float)
    total = costs["total_usd_per_mtok"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        margin = np.where(
            rev_mtok > 0, 1.0 - total / np.where(rev_mtok > 0, rev_mtok, 1.0), -np.inf
        )
        denom = r_hour - e_s + e_i
        u_star = np.where(denom > 0, (fixed + e_i) / np.where(denom > 0, denom, 1.0), np.inf)
    u_star = np.where(u_star <= 1.0, u_star, np.inf)
    cols = {
        "revenue_usd_per_mtok": rev_mtok,
        "revenue_usd_per_gpu_hour": u * r_hour,
        "cost_usd_per_gpu_hour": fixed + u * e_s + (1.0 - u) * e_i,
        "gross_margin": margin,
        "break_even_utilisation": u_star,
        "break_even_output_usd_per_mtok": np.maximum(total - pi * ratio, 0.0),
    }
    if "purchase_usd" in costs:  # owned (cost_breakdown adds it with a purchase price)
        cap = costs["purchase_usd"].to_numpy(float)
        life = costs["lifetime_years"].to_numpy(float)
        yearly = HOURS_PER_YEAR * (u * (r_hour - e_s) - (1.0 - u) * e_i - fac)
        with np.errstate(divide="ignore", invalid="ignore"):
            payback = np.where(yearly > 0, cap / np.where(yearly > 0, yearly, 1.0), np.inf)
        revenue_life = HOURS_PER_YEAR * life * u * r_hour
        cols.update(
            payback_years=payback,
            lifetime_revenue_usd=revenue_life,
            return_multiple=revenue_life / cap,
            net_return_multiple=yearly * life / cap,
        )
    arrays = np.broadcast_arrays(*[np.asarray(v, dtype=float) for v in cols.values()])
    return pd.DataFrame({k: np.ravel(a) for k, a in zip(cols, arrays, strict=True)})


@renamed_parameters(system_usd="purchase_usd", years="lifetime_years")
def revenue_claim(
    purchase_usd, n_gpus, tokens_per_s_per_gpu, usd_per_mtok, utilisation, lifetime_years
) -> pd.DataFrame:
    """Token revenue of a system over some years, and its multiple of the hardware price.

    ``revenue = n_gpus * tokens/s per GPU * 3600 * 8760 * lifetime_years * utilisation / 1e6 *
    price``,
    ``multiple = revenue / system price``: the structure of a claim like NVIDIA's "a USD 5
    million GB200 NVL72 generates USD 75 million in token revenue, a 15x return" (a vendor
    claim; see ``data/factory_assumptions.csv``), whose price per token and utilisation are
    not stated. The price applies to whatever tokens ``tokens_per_s_per_gpu`` counts: a
    benchmark's input-plus-output throughput needs a price per token of either kind
    (:func:`output_price_for_return_multiple` converts it to an output price).

    Parameters
    ----------
    purchase_usd : float or array
        Hardware price, USD, > 0.
    n_gpus : float or array
        GPUs in the system, > 0.
    tokens_per_s_per_gpu : float or array
        Billed tokens per second per GPU while serving, > 0.
    usd_per_mtok : float or array
        Price per million of those tokens, USD, >= 0.
    utilisation : float or array
        Share of hours that serve, in (0, 1].
    lifetime_years : float or array
        Years of revenue, in (0, 50].

    Returns
    -------
    pandas.DataFrame
        ``revenue_usd``, ``return_multiple`` and ``million_tokens`` sold.
    """
    cap = _arr(require_positive("purchase_usd", purchase_usd))
    n = _arr(require_positive("n_gpus", n_gpus))
    t = _arr(require_positive("tokens_per_s_per_gpu", tokens_per_s_per_gpu))
    p = _arr(_nonneg("usd_per_mtok", usd_per_mtok))
    u = _arr(_utilisation(utilisation))
    y = _arr(require_in_range("lifetime_years", lifetime_years, 0.0, 50.0, low_open=True))
    mtok = _lifetime_mtok(n, t, u, y)
    rev = mtok * p
    a = np.broadcast_arrays(rev, rev / cap, mtok)
    return pd.DataFrame(
        {
            "revenue_usd": a[0].ravel(),
            "return_multiple": a[1].ravel(),
            "million_tokens": a[2].ravel(),
        }
    )


@renamed_parameters(system_usd="purchase_usd", years="lifetime_years")
def price_for_return_multiple(
    return_multiple, purchase_usd, n_gpus, tokens_per_s_per_gpu, utilisation, lifetime_years
):
    """Price per million tokens a system must sell at to return ``return_multiple`` x its cost.

    The inverse of :func:`revenue_claim` for its price.

    Parameters
    ----------
    return_multiple : float or array
        Revenue over the period divided by the system price, > 0.
    purchase_usd, n_gpus, tokens_per_s_per_gpu, utilisation, lifetime_years
        As in :func:`revenue_claim`.

    Returns
    -------
    float or numpy.ndarray
        USD per million tokens.

    Examples
    --------
    NVIDIA's claim (USD 5M -> USD 75M over 3 years, 72 GPUs at 10,000 tokens/s each) needs
    75e6 / (72 x 10,000 x 3600 x 8760 x 3 / 1e6) = USD 1.10 per million tokens at 100%
    utilisation. Its 10,000 tokens/s are InferenceMAX's, input and output tokens together, so
    that is a price per token of either kind, not an output price; see
    :func:`output_price_for_return_multiple`.

    >>> round(price_for_return_multiple(15, 5e6, 72, 10_000, 1.0, 3), 2)
    1.1
    """
    m = _arr(require_positive("return_multiple", return_multiple))
    cap = _arr(require_positive("purchase_usd", purchase_usd))
    n = _arr(require_positive("n_gpus", n_gpus))
    t = _arr(require_positive("tokens_per_s_per_gpu", tokens_per_s_per_gpu))
    u = _arr(_utilisation(utilisation))
    y = _arr(require_in_range("lifetime_years", lifetime_years, 0.0, 50.0, low_open=True))
    mtok = _lifetime_mtok(n, t, u, y)
    return scalar_or_array(m * cap / mtok)


@renamed_parameters(system_usd="purchase_usd", years="lifetime_years")
def output_price_for_return_multiple(
    return_multiple,
    purchase_usd,
    n_gpus,
    total_tokens_per_s_per_gpu,
    prompt_tokens,
    output_tokens,
    utilisation,
    lifetime_years,
    input_usd_per_mtok=0.0,
):
    """Price per million *output* tokens a claim needs when its throughput counts every token.

    Benchmarks such as SemiAnalysis's InferenceMAX report throughput per GPU as input plus
    output tokens (its ``tput_per_gpu`` is the benchmark's total token throughput divided by
    the GPUs). Requests of ``prompt_tokens`` in and ``output_tokens`` out make
    ``output / (prompt + output)`` of those tokens output tokens; APIs sell the two kinds at
    different prices. The revenue ``return_multiple x purchase_usd`` over ``lifetime_years`` at
    ``utilisation`` then needs, per million output tokens,

    ``(return_multiple * purchase_usd - M_in * input_usd_per_mtok) / M_out``

    with ``M_in`` and ``M_out`` the million input and output tokens sold. With
    ``input_usd_per_mtok = 0`` the prompt is paid for inside the output price (a price per
    output token, input included, as :func:`api_bill` reports a bill); 0 when the input revenue
    alone reaches the target.

    Parameters
    ----------
    return_multiple, purchase_usd, n_gpus, utilisation, lifetime_years
        As in :func:`price_for_return_multiple`.
    total_tokens_per_s_per_gpu : float or array
        Input plus output tokens per second per GPU (InferenceMAX's ``tput_per_gpu``), > 0.
    prompt_tokens, output_tokens : float or array
        Request shape (InferenceMAX's standard shapes are 1k/1k, 1k/8k and 8k/1k), > 0.
    input_usd_per_mtok : float or array
        Price per million input tokens, USD, >= 0.

    Returns
    -------
    float or numpy.ndarray
        USD per million output tokens.

    Examples
    --------
    NVIDIA's GB200 NVL72 claim (USD 5M -> USD 75M over 3 years, 72 GPUs at 10,000 input and
    output tokens/s each, DeepSeek-R1 at 8K in, 1K out): one token in nine is an output
    token, so USD 1.101 per million tokens of either kind is 9 x 1.101 = USD 9.91 per million
    output tokens with the prompt free.

    >>> round(output_price_for_return_multiple(15, 5e6, 72, 10_000, 8192, 1024, 1.0, 3), 2)
    9.91
    """
    m = _arr(require_positive("return_multiple", return_multiple))
    cap = _arr(require_positive("purchase_usd", purchase_usd))
    n = _arr(require_positive("n_gpus", n_gpus))
    t = _arr(require_positive("total_tokens_per_s_per_gpu", total_tokens_per_s_per_gpu))
    p = _arr(require_positive("prompt_tokens", prompt_tokens))
    o = _arr(require_positive("output_tokens", output_tokens))
    u = _arr(_utilisation(utilisation))
    y = _arr(require_in_range("lifetime_years", lifetime_years, 0.0, 50.0, low_open=True))
    pin = _arr(_nonneg("input_usd_per_mtok", input_usd_per_mtok))
    mtok = _lifetime_mtok(n, t, u, y)
    out_mtok = mtok * o / (p + o)
    in_mtok = mtok - out_mtok
    return scalar_or_array(np.maximum((m * cap - in_mtok * pin) / out_mtok, 0.0))


# --------------------------------------------------------------------------- operating point


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


# --------------------------------------------------------------------------- energy per query


@renamed_parameters(active_params="params_active")
def flop_energy_per_query_wh(
    params_active,
    output_tokens,
    peak_flops,
    flop_utilisation,
    power_w,
    power_fraction=1.0,
    pue=1.0,
    flop_per_param_per_token=2.0,
):
    """Energy of one query from FLOP assumptions (Epoch AI's method for ChatGPT, Feb 2025).

    ``time = flop_per_param_per_token * params_active * output_tokens / (peak * utilisation)``
    GPU-seconds; ``energy = time * power_w * power_fraction * pue``. Epoch AI ("How much energy
    does ChatGPT use?", 2025) assumed 100B active parameters, 500 output tokens, an H100 at
    989 TFLOP/s and 10% utilisation, 1,275 W per GPU (a DGX H100's 10.2 kW over 8 GPUs) at 70%
    of rated power and PUE 1.2: 0.301 Wh (``data/factory_assumptions.csv``, ``epoch_query_*``).

    Parameters
    ----------
    params_active : float or array
        Parameters multiplied per token (active parameters), > 0.
    output_tokens : float or array
        Tokens generated, > 0.
    peak_flops : float or array
        Peak FLOP/s of one GPU, > 0.
    flop_utilisation : float or array
        Achieved share of peak, in (0, 1].
    power_w : float or array
        Rated power per GPU (server share included if wanted), W, > 0.
    power_fraction : float or array
        Average share of rated power drawn, in (0, 1].
    pue : float or array
        Facility power usage effectiveness, in [1, 5].
    flop_per_param_per_token : float
        FLOPs per active parameter per token (2 for a forward pass), > 0.

    Returns
    -------
    float or numpy.ndarray
        Wh per query.

    Examples
    --------
    >>> round(flop_energy_per_query_wh(1e11, 500, 989e12, 0.1, 1275, 0.7, 1.2), 3)
    0.301
    """
    n = _arr(require_positive("params_active", params_active))
    o = _arr(require_positive("output_tokens", output_tokens))
    peak = _arr(require_positive("peak_flops", peak_flops))
    util = _arr(require_in_range("flop_utilisation", flop_utilisation, 0.0, 1.0, low_open=True))
    pw = _arr(require_positive("power_w", power_w))
    frac = _arr(require_in_range("power_fraction", power_fraction, 0.0, 1.0, low_open=True))
    k = _arr(require_positive("flop_per_param_per_token", flop_per_param_per_token))
    seconds = k * n * o / (peak * util)
    return scalar_or_array(seconds * pw * frac * _arr(_pue(pue)) / 3600.0)


@renamed_parameters(n_gpus="tensor_parallel")
def energy_per_query(
    model,
    gpu,
    batch,
    prompt_tokens,
    output_tokens,
    precision: str = "bf16",
    efficiency=None,
    *,
    tensor_parallel=1,
    pue=None,
    server_w_per_gpu=None,
    host_power_fraction=1.0,
    check_memory: bool = True,
    allow_weight_only: bool = False,
) -> pd.DataFrame:
    """Energy of one query from the calibrated serving model, board and facility.

    A query of ``prompt_tokens`` in and ``output_tokens`` out served ``batch`` at a time: its
    share of the board energy of the prefill and decode steps
    (:func:`inferecon.serving_performance`'s ``wh_per_response``), plus optionally the host's
    share (CPUs, memory, network) for as long as the query occupies its GPUs, times the PUE.
    The host draws ``(server_w_per_gpu - GPU TDP) * host_power_fraction`` per GPU: Epoch AI's
    accounting (a DGX H100 is rated 10.2 kW, 1,275 W per GPU of which 700 W is the GPU; it
    draws 70% of rated power on average).

    Parameters
    ----------
    model, gpu, batch, prompt_tokens, output_tokens, precision, efficiency, tensor_parallel,
    check_memory
        As in :func:`inferecon.serving_performance`.
    allow_weight_only : bool
        Accept a precision the GPU has no tensor cores for, as weight-only quantisation; it
        raises otherwise (:func:`inferecon.check_native_precision`).
    pue : float, optional
        Facility power usage effectiveness, in [1, 5]; the cited default
        (:func:`factory_defaults`, 1.2) when omitted.
    server_w_per_gpu : float, optional
        Rated server power per GPU, W, at least the GPU's TDP; no host share when omitted.
    host_power_fraction : float
        Average share of the host's rated power drawn, in (0, 1].

    Returns
    -------
    pandas.DataFrame
        ``batch``, ``tokens_per_s_per_user``, ``board_wh_per_query``, ``host_wh_per_query``,
        ``facility_wh_per_query`` (board + host, x PUE), ``gpu_seconds_per_query`` and ``fits``.
    """
    tdp = get_gpu(gpu).tdp_w
    frac = float(require_in_range("host_power_fraction", host_power_fraction, 0.0, 1.0,
                                  low_open=True))  # fmt: skip
    if server_w_per_gpu is None:
        host = 0.0
    else:
        server = float(require_in_range("server_w_per_gpu", server_w_per_gpu, tdp, 1e5))
        host = (server - tdp) * frac
    pue_ = _arr(_pue_or_default(pue))
    sp = serving_performance(
        model, gpu, batch, prompt_tokens, output_tokens, precision, efficiency,
        tensor_parallel=tensor_parallel, check_memory=check_memory, usd_per_gpu_hour=1.0,
        allow_weight_only=allow_weight_only,
    )  # fmt: skip
    board = sp["wh_per_response"].to_numpy()
    # GPU-seconds one query occupies: its share of the cycle on all n GPUs
    tps_total = sp["output_tokens_per_s_total"].to_numpy()
    n = sp["tensor_parallel"].to_numpy(float)
    gpu_s = sp["output_tokens"].to_numpy() / tps_total * n
    host_wh = host * gpu_s / 3600.0
    return pd.DataFrame(
        {
            "model": sp["model"],
            "gpu": sp["gpu"],
            "precision": sp["precision"],
            "tensor_parallel": sp["tensor_parallel"],
            "batch": sp["batch"],
            "prompt_tokens": sp["prompt_tokens"],
            "output_tokens": sp["output_tokens"],
            "tokens_per_s_per_user": sp["tokens_per_s_per_user"],
            "board_wh_per_query": board,
            "host_wh_per_query": host_wh,
            "facility_wh_per_query": (board + host_wh) * pue_,
            "gpu_seconds_per_query": gpu_s,
            "fits": sp["fits"],
        }
    )


def published_query_energy(assumptions: pd.DataFrame | None = None) -> pd.DataFrame:
    """The published energy-per-query figures the notebook compares with, as one table.

    Epoch AI's ChatGPT estimate is recomputed from its stated assumptions with
    :func:`flop_energy_per_query_wh`; Google's measured median Gemini prompt is quoted, with
    its accelerator share.

    Parameters
    ----------
    assumptions : pandas.DataFrame, optional
        ``data/factory_assumptions.csv`` as loaded (the bundled file when omitted).

    Returns
    -------
    pandas.DataFrame
        ``estimate``, ``kind``, ``wh_per_query``, ``accelerator_wh_per_query`` (the share on
        the GPUs/TPUs alone: Epoch's 700 W of 1,275 W, Google's 58%) and ``source_url``.
    """
    a = _assumptions() if assumptions is None else assumptions
    v = a["value"]
    epoch = flop_energy_per_query_wh(
        v["epoch_query_active_params"], v["epoch_query_output_tokens"],
        v["epoch_query_peak_flops"], v["epoch_query_flop_utilisation"],
        v["epoch_query_server_w_per_gpu"], v["epoch_query_power_fraction"], v["epoch_query_pue"],
        v["epoch_query_flop_per_param_per_token"],
    )  # fmt: skip
    gpu_share = get_gpu("H100-SXM").tdp_w / v["epoch_query_server_w_per_gpu"]
    google = v["google_gemini_median_text_prompt_wh"]
    return pd.DataFrame(
        {
            "estimate": [
                "Epoch AI: GPT-4o query, 500 output tokens (Feb 2025)",
                "Google: median Gemini Apps text prompt (May 2025)",
            ],
            "kind": [
                a.loc["epoch_query_wh", "kind"],
                a.loc["google_gemini_median_text_prompt_wh", "kind"],
            ],
            "wh_per_query": [epoch, google],
            "accelerator_wh_per_query": [
                epoch * gpu_share / v["epoch_query_pue"],
                google * v["google_gemini_share_accelerator"],
            ],
            "source_url": [
                a.loc["epoch_query_wh", "source_url"],
                a.loc["google_gemini_median_text_prompt_wh", "source_url"],
            ],
        }
    )


# --------------------------------------------------------------------------- frontier


def pareto_mask(x, y, groups=None) -> np.ndarray:
    """Which points no other point beats on both ``x`` and ``y`` (higher is better on both).

    A point is kept when every point with a larger ``x`` has a smaller ``y``; of exact ties
    the first is kept.

    Parameters
    ----------
    x, y : array_like
        Finite values, same length.
    groups : array_like, optional
        Labels: one frontier per group (e.g. per GPU).

    Returns
    -------
    numpy.ndarray of bool
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(f"x and y must be 1-D and the same length; got {x.shape}, {y.shape}")
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise ValueError("x and y must be finite")
    keep = np.zeros(len(x), dtype=bool)
    labels = np.zeros(len(x)) if groups is None else np.asarray(groups)
    for g in pd.unique(labels):
        idx = np.flatnonzero(labels == g)
        order = idx[np.lexsort((-y[idx], -x[idx]))]  # x descending, then y descending
        best = np.maximum.accumulate(y[order])
        prev = np.concatenate(([-np.inf], best[:-1]))
        keep[order[y[order] > prev]] = True
    return keep


_BATCHES = np.unique(np.round(np.geomspace(1, 4096, 64))).astype(float)


@renamed_parameters(tp_sizes="tensor_parallel_sizes", all_in_kw="all_in_kw_per_gpu")
def throughput_frontier(
    model,
    gpus,
    prompt_tokens,
    output_tokens,
    *,
    precisions=None,
    tensor_parallel_sizes=(1, 2, 4, 8),
    batches=None,
    efficiency=None,
    all_in_kw_per_gpu=None,
    allow_weight_only: bool = False,
) -> pd.DataFrame:
    """Every configuration that fits, per GPU: speed per user against throughput per GPU and MW.

    For each GPU, precision and tensor-parallel size, :func:`inferecon.serving_performance`
    evaluates every batch size in one call (static batching of requests of ``prompt_tokens``
    in and ``output_tokens`` out); configurations whose KV cache does not fit are dropped. The
    Pareto set (:func:`pareto_mask`) of (tokens/s per user, tokens/s per GPU) is flagged per
    GPU (``pareto``) and over all GPUs per MW of all-in power (``pareto_mw``): NVIDIA's "AI
    factory" chart and SemiAnalysis InferenceMAX's main view.

    Parameters
    ----------
    model : str or ModelSpec
        The model.
    gpus : str, GPUSpec or sequence of them
        Accelerators to compare.
    prompt_tokens, output_tokens : int
        Request shape.
    precisions : sequence of str, optional
        Formats to sweep; each GPU's native ones (:func:`native_precisions`) when omitted. A
        format a GPU lacks raises unless ``allow_weight_only``.
    tensor_parallel_sizes : sequence of int
        Tensor-parallel sizes (GPUs one replica spans).
    batches : array_like, optional
        Batch sizes (default: 53 sizes from 1 to 4,096, log-spaced).
    efficiency : optional
        Serving efficiency (``None`` = the stored calibration).
    all_in_kw_per_gpu : float or dict of str to float, optional
        All-in power per GPU, kW: one number for every GPU, or a dict by GPU name;
        :func:`default_all_in_kw_per_gpu`'s cited defaults for the GPUs it leaves out.
    allow_weight_only : bool
        Allow formats without tensor cores (weight-only quantisation).

    Returns
    -------
    pandas.DataFrame
        ``gpu``, ``precision``, ``tensor_parallel``, ``batch``, ``tokens_per_s_per_user``,
        ``tokens_per_s_per_gpu``, ``total_tokens_per_s_per_gpu`` (prompt and output tokens
        processed, the way some benchmarks count), ``ttft_ms``, ``power_w`` (average board power
        per GPU),
        ``joules_per_output_token``, ``idle_w``, ``all_in_kw_per_gpu``,
        ``tokens_per_s_per_mw``, ``pareto`` and ``pareto_mw``. Empty when nothing fits.
    """
    m = get_model(model)
    gpu_list = [gpus] if isinstance(gpus, (str, GPUSpec)) else list(gpus)
    if not gpu_list:
        raise ValueError("gpus must name at least one GPU")
    b = _BATCHES if batches is None else _arr(batches).ravel()
    require_positive("batches", b)
    tp = _arr(tensor_parallel_sizes).ravel()
    require_in_range("tensor_parallel_sizes", tp, 1, 4096)
    require_positive("prompt_tokens", prompt_tokens)
    require_positive("output_tokens", output_tokens)
    bb, nn = (a.ravel() for a in np.meshgrid(b, tp))
    frames = []
    for gpu in gpu_list:
        g = get_gpu(gpu)
        if precisions is None:
            precs = native_precisions(g)
        else:
            precs = [check_precision("precisions", p) for p in precisions]
            for p in precs:
                check_native_precision(g, p, allow_weight_only=allow_weight_only)
        if isinstance(all_in_kw_per_gpu, dict) and g.name in all_in_kw_per_gpu:
            name = f"all_in_kw_per_gpu[{g.name!r}]"
            kw = float(require_positive(name, all_in_kw_per_gpu[g.name]))
        elif all_in_kw_per_gpu is not None and not isinstance(all_in_kw_per_gpu, dict):
            kw = float(require_positive("all_in_kw_per_gpu", all_in_kw_per_gpu))
        else:
            kw = default_all_in_kw_per_gpu(g)[0]
        for p in precs:
            sp = serving_performance(
                m, g, bb, prompt_tokens, output_tokens, p, efficiency,
                tensor_parallel=nn, check_memory=False, usd_per_gpu_hour=1.0,
                allow_weight_only=allow_weight_only,
            )  # fmt: skip
            sp = sp[sp["fits"].to_numpy()]
            if not len(sp):
                continue
            tps = sp["tokens_per_s_per_gpu"].to_numpy()
            frames.append(
                pd.DataFrame(
                    {
                        "model": m.name,
                        "gpu": g.name,
                        "precision": p,
                        "tensor_parallel": sp["tensor_parallel"].to_numpy(),
                        "batch": sp["batch"].to_numpy(),
                        "prompt_tokens": int(prompt_tokens),
                        "output_tokens": int(output_tokens),
                        "tokens_per_s_per_user": sp["tokens_per_s_per_user"].to_numpy(),
                        "tokens_per_s_per_gpu": tps,
                        "total_tokens_per_s_per_gpu": tps * (1.0 + prompt_tokens / output_tokens),
                        "ttft_ms": sp["ttft_ms"].to_numpy(),
                        "power_w": sp["joules_per_output_token"].to_numpy() * tps,
                        "joules_per_output_token": sp["joules_per_output_token"].to_numpy(),
                        "idle_w": g.idle_w,
                        "all_in_kw_per_gpu": kw,
                        "tokens_per_s_per_mw": tps * 1000.0 / kw,
                    }
                )
            )
    if not frames:
        cols = [
            "model", "gpu", "precision", "tensor_parallel", "batch", "tokens_per_s_per_user",
            "tokens_per_s_per_gpu", "tokens_per_s_per_mw", "pareto", "pareto_mw",
        ]  # fmt: skip
        return pd.DataFrame(columns=cols)
    df = pd.concat(frames, ignore_index=True)
    x = df["tokens_per_s_per_user"].to_numpy()
    df["pareto"] = pareto_mask(x, df["tokens_per_s_per_gpu"].to_numpy(), df["gpu"])
    df["pareto_mw"] = pareto_mask(x, df["tokens_per_s_per_mw"].to_numpy())
    return df


def frontier_costs(
    frontier: pd.DataFrame,
    *,
    usd_per_gpu_hour=None,
    purchase_usd=None,
    lifetime_years=None,
    cost_of_capital=0.0,
    utilisation=1.0,
    usd_per_kwh=None,
    pue=None,
    facility_usd_per_kw_month=0.0,
) -> pd.DataFrame:
    """The frontier's configurations with their cost per million output tokens.

    Parameters
    ----------
    frontier : pandas.DataFrame
        Output of :func:`throughput_frontier`.
    usd_per_gpu_hour : float or dict of str to float, optional
        Rental price per GPU-hour (one for all GPUs, or by GPU name). When neither this nor
        ``purchase_usd`` is given, each GPU's mid rental price in ``data/gpus.csv``.
    purchase_usd : float or dict of str to float, optional
        Owning: price per GPU (one, or by GPU name), with ``lifetime_years`` and
        ``cost_of_capital``.
    lifetime_years, cost_of_capital : float
        Years the owned hardware serves, and the yearly cost of capital, as in
        :func:`owned_usd_per_gpu_hour`.
    utilisation, usd_per_kwh, pue, facility_usd_per_kw_month
        As in :func:`cost_breakdown` (hosting uses each row's ``all_in_kw_per_gpu``).

    Returns
    -------
    pandas.DataFrame
        ``frontier`` with the :func:`cost_breakdown` columns added.
    """
    if not len(frontier):
        return frontier.assign(total_usd_per_mtok=pd.Series(dtype=float))
    names = frontier["gpu"].to_numpy()

    def per_gpu(value, what):
        if isinstance(value, dict):
            missing = sorted(set(names) - set(value))
            if missing:
                raise ValueError(f"{what} has no value for GPU(s) {missing}")
            return np.array([value[n] for n in names], dtype=float)
        return value

    rent, own = per_gpu(usd_per_gpu_hour, "usd_per_gpu_hour"), per_gpu(purchase_usd, "purchase_usd")
    if rent is None and own is None:
        mids = {n: get_gpu(n).usd_per_gpu_hour_mid for n in pd.unique(names)}
        bad = sorted(n for n, v in mids.items() if not np.isfinite(v))
        if bad:
            raise ValueError(f"no rental price in data/gpus.csv for {bad}; give usd_per_gpu_hour")
        rent = np.array([mids[n] for n in names])
    costs = cost_breakdown(
        frontier["tokens_per_s_per_gpu"].to_numpy(), frontier["power_w"].to_numpy(),
        usd_per_gpu_hour=rent, purchase_usd=own, lifetime_years=lifetime_years,
        cost_of_capital=cost_of_capital, utilisation=utilisation, usd_per_kwh=usd_per_kwh,
        pue=pue, idle_w=frontier["idle_w"].to_numpy(),
        all_in_kw_per_gpu=frontier["all_in_kw_per_gpu"].to_numpy(),
        facility_usd_per_kw_month=facility_usd_per_kw_month,
    )  # fmt: skip
    drop = {"joules_per_token", "all_in_kw_per_gpu", "tokens_per_s_per_mw"}
    out = frontier.reset_index(drop=True).copy()
    for c in costs.columns:
        if c not in drop:
            out[c] = costs[c].to_numpy()
    return out


def _describe(row) -> str:
    return (
        f"{row['gpu']} {row['precision']} TP{int(row['tensor_parallel'])} "
        f"batch {int(row['batch'])}: "
        f"{row['tokens_per_s_per_user']:,.0f} tokens/s per user"
    )


def operating_point_for_speed(
    frontier: pd.DataFrame,
    target_tokens_per_s_per_user,
    *,
    gpu=None,
    objective: str = "per_gpu",
    on_unreachable: str = "raise",
) -> pd.Series:
    """The best configuration that serves each user at least ``target`` tokens per second.

    Parameters
    ----------
    frontier : pandas.DataFrame
        Output of :func:`throughput_frontier` (or :func:`frontier_costs`).
    target_tokens_per_s_per_user : float
        Required decode speed per user, > 0.
    gpu : str, optional
        Restrict to one GPU (a name in the frontier).
    objective : {"per_gpu", "per_mw", "cost"}
        Most output tokens per second per GPU, most per MW of all-in power, or the cheapest per
        million tokens (needs :func:`frontier_costs` columns).
    on_unreachable : {"raise", "fastest"}
        When no configuration is that fast: raise ``ValueError`` naming the fastest reachable
        configuration, or return that configuration with ``reachable = False``.

    Returns
    -------
    pandas.Series
        The chosen row, with ``reachable`` (bool) and ``target_tokens_per_s_per_user``.
    """
    target = float(require_positive("target_tokens_per_s_per_user", target_tokens_per_s_per_user))
    columns = {"per_gpu": "tokens_per_s_per_gpu", "per_mw": "tokens_per_s_per_mw"}
    if objective not in ("per_gpu", "per_mw", "cost"):
        raise ValueError(
            f"objective must be one of ['cost', 'per_gpu', 'per_mw']; got {objective!r}"
        )
    if on_unreachable not in ("raise", "fastest"):
        raise ValueError(f"on_unreachable must be 'raise' or 'fastest'; got {on_unreachable!r}")
    df = frontier
    if gpu is not None:
        name = get_gpu(gpu).name
        df = df[df["gpu"] == name]
        if not len(df):
            raise ValueError(
                f"GPU {name!r} is not in the frontier (has {sorted(set(frontier['gpu']))})"
            )
    if not len(df):
        raise ValueError("the frontier is empty: no configuration fits in memory")
    ok = df[df["tokens_per_s_per_user"] >= target]
    if not len(ok):
        fastest = df.loc[df["tokens_per_s_per_user"].idxmax()]
        if on_unreachable == "raise":
            raise ValueError(
                f"target_tokens_per_s_per_user={target:g} is unreachable: the fastest "
                f"configuration is {_describe(fastest)}"
            )
        return pd.concat(
            [fastest, pd.Series({"reachable": False, "target_tokens_per_s_per_user": target})]
        )
    if objective == "cost":
        if "total_usd_per_mtok" not in ok:
            raise ValueError("objective='cost' needs frontier_costs(...) columns")
        best = ok.loc[ok["total_usd_per_mtok"].idxmin()]
    else:
        best = ok.loc[ok[columns[objective]].idxmax()]
    return pd.concat([best, pd.Series({"reachable": True, "target_tokens_per_s_per_user": target})])


def tiered_prices(
    frontier: pd.DataFrame,
    fast_tokens_per_s_per_user,
    cheap_tokens_per_s_per_user=None,
    *,
    gross_margin=0.5,
    gpu=None,
) -> pd.DataFrame:
    """A fast tier and a cheap tier priced off the same frontier at the same gross margin.

    Each tier's operating point is the cheapest configuration at least that fast
    (:func:`operating_point_for_speed` with ``objective="cost"``); its price is
    ``cost / (1 - gross_margin)``. The cheap tier defaults to the cheapest point on the
    frontier (no speed floor beyond the slowest configuration).

    Parameters
    ----------
    frontier : pandas.DataFrame
        Output of :func:`frontier_costs`.
    fast_tokens_per_s_per_user : float
        Speed the fast tier promises each user, > 0.
    cheap_tokens_per_s_per_user : float, optional
        Speed the cheap tier promises, > 0.
    gross_margin : float
        Margin on cost, in [0, 1).
    gpu : str, optional
        Restrict to one GPU.

    Returns
    -------
    pandas.DataFrame
        One row per tier: ``tier``, ``configuration``, ``tokens_per_s_per_user``,
        ``tokens_per_s_per_gpu``, ``cost_usd_per_mtok``, ``price_usd_per_mtok`` and
        ``price_ratio`` (to the cheap tier).

    Raises
    ------
    ValueError
        When a tier's speed is unreachable (naming the fastest configuration).
    """
    margin = float(require_in_range("gross_margin", gross_margin, 0.0, 1.0, high_open=True))
    if "total_usd_per_mtok" not in frontier:
        raise ValueError("tiered_prices needs frontier_costs(...) columns")
    slowest = float(frontier["tokens_per_s_per_user"].min()) if len(frontier) else 1.0
    cheap_target = slowest if cheap_tokens_per_s_per_user is None else cheap_tokens_per_s_per_user
    rows = []
    for tier, target in (("cheap", cheap_target), ("fast", fast_tokens_per_s_per_user)):
        r = operating_point_for_speed(frontier, target, gpu=gpu, objective="cost")
        rows.append(
            {
                "tier": tier,
                "target_tokens_per_s_per_user": float(target),
                "configuration": _describe(r),
                "tokens_per_s_per_user": r["tokens_per_s_per_user"],
                "tokens_per_s_per_gpu": r["tokens_per_s_per_gpu"],
                "cost_usd_per_mtok": r["total_usd_per_mtok"],
                "price_usd_per_mtok": r["total_usd_per_mtok"] / (1.0 - margin),
            }
        )
    out = pd.DataFrame(rows)
    out["price_ratio"] = out["price_usd_per_mtok"] / out["price_usd_per_mtok"].iloc[0]
    return out


# --------------------------------------------------------------------------- a workload's bill


def _genai():
    try:
        import genai_prices
        from genai_prices import data as gp_data
        from genai_prices.data_snapshot import DataSnapshot
    except ImportError as exc:  # pragma: no cover - it is a dependency
        raise ImportError(
            "API list prices need the 'genai-prices' package (MIT, bundles a price snapshot): "
            "pip install genai-prices"
        ) from exc
    return genai_prices, gp_data, DataSnapshot


@functools.lru_cache(maxsize=1)
def _snapshot():
    """genai-prices' bundled snapshot, built here so that no auto-update can replace it."""
    _, gp_data, DataSnapshot = _genai()
    return DataSnapshot(providers=gp_data.providers, from_auto_update=False)


PRICE_TIME_OF_DAY = _dt.time(12, 0, tzinfo=_dt.UTC)
"""When in the day a date without a time is priced: noon UTC. Some providers price by the time
of day (genai-prices' snapshot has DeepSeek's off-peak hours, 16:30-00:30 UTC for R1 and V3,
at a quarter of the standard rate), so midnight, the default a bare date would get, prices
DeepSeek-R1 at its off-peak rate; at noon UTC R1 and V3 are at their standard rates."""


def _as_of(as_of) -> _dt.datetime:
    if as_of is None:
        return _dt.datetime.now(tz=_dt.UTC)
    day = None
    if isinstance(as_of, _dt.date) and not isinstance(as_of, _dt.datetime):
        day = as_of
    elif isinstance(as_of, str):
        try:
            day = _dt.date.fromisoformat(as_of.strip())
        except ValueError:
            day = None
    if day is not None:
        return _dt.datetime.combine(day, PRICE_TIME_OF_DAY)
    ts = pd.Timestamp(as_of)
    if ts.tzinfo is None:
        ts = ts.tz_localize("UTC")
    return ts.to_pydatetime()


def genai_prices_models(provider_id: str | None = None) -> pd.DataFrame:
    """Models priced in genai-prices' bundled snapshot.

    Parameters
    ----------
    provider_id : str, optional
        Only this provider's models (e.g. ``"openai"``, ``"anthropic"``, ``"google"``).

    Returns
    -------
    pandas.DataFrame
        ``provider_id``, ``model_id`` and ``name``.
    """
    rows = [
        {"provider_id": p.id, "model_id": m.id, "name": m.name or m.id}
        for p in _snapshot().providers
        for m in p.models
        if provider_id is None or p.id == provider_id
    ]
    if not rows:
        known = sorted({p.id for p in _snapshot().providers})
        raise ValueError(f"unknown provider_id {provider_id!r}; known providers: {known}")
    return pd.DataFrame(rows)


def genai_prices_info() -> dict:
    """Which genai-prices snapshot the prices come from.

    The package does not stamp its bundled data with a date; this reports its version and the
    newest dated price change the bundle holds (price schedules can be dated ahead: a change
    announced for a later date is in the bundle already).

    Returns
    -------
    dict
        ``version``, ``providers``, ``models``, ``newest_price_change`` (a date) and
        ``bundled`` (always True: the network update is never used).
    """
    from importlib.metadata import version

    _genai()
    dates = []
    for p in _snapshot().providers:
        for m in p.models:
            for c in m.prices if isinstance(m.prices, list) else ():
                d = getattr(getattr(c, "constraint", None), "start_date", None)
                if isinstance(d, _dt.date):
                    dates.append(d)
    return {
        "version": version("genai-prices"),
        "providers": len(_snapshot().providers),
        "models": sum(len(p.models) for p in _snapshot().providers),
        "newest_price_change": max(dates) if dates else None,
        "bundled": True,
    }


def _lookup(model_ref: str, provider_id: str | None):
    snap = _snapshot()
    try:
        return snap.find_provider_model(model_ref, None, provider_id, None)
    except LookupError:
        ids = genai_prices_models(provider_id)["model_id"].tolist() if provider_id else [
            m.id for p in snap.providers for m in p.models
        ]  # fmt: skip
        close = difflib.get_close_matches(str(model_ref).lower(), sorted(set(ids)), n=6, cutoff=0.5)
        where = f" at provider {provider_id!r}" if provider_id else ""
        hint = f"; close matches: {close}" if close else "; no close match"
        raise ValueError(
            f"model_ref {model_ref!r} is not in genai-prices' bundled snapshot{where}{hint} "
            "(ie.genai_prices_models() lists them)"
        ) from None


def api_list_price(model_ref: str, provider_id: str | None = None, as_of=None) -> dict:
    """A model's API list price per million input and output tokens (genai-prices snapshot).

    The base tier: priced on a 1,000-token request, so long-context surcharges do not apply.

    Parameters
    ----------
    model_ref : str
        A model name as APIs take it (``"gpt-4o"``, ``"claude-sonnet-4-5"``...).
    provider_id : str, optional
        The provider (``"openai"``, ``"together"``...); inferred from the name when omitted.
    as_of : date-like, optional
        Date (or time) the price applies at (default: now, UTC). A date without a time is
        priced at :data:`PRICE_TIME_OF_DAY` (noon UTC), outside time-of-day discounts such as
        DeepSeek's off-peak hours. Pass a fixed date for reproducible numbers.

    Returns
    -------
    dict
        ``provider_id``, ``model_id``, ``model_name``, ``input_usd_per_mtok``,
        ``output_usd_per_mtok`` and ``as_of``.

    Raises
    ------
    ValueError
        For a model the snapshot does not price, listing close matches.
    """
    from genai_prices import Usage

    provider, model = _lookup(model_ref, provider_id)
    ts = _as_of(as_of)
    k = 1000
    pin = model.calc_price(
        Usage(input_tokens=k, output_tokens=0), provider, genai_request_timestamp=ts
    )
    pout = model.calc_price(
        Usage(input_tokens=0, output_tokens=k), provider, genai_request_timestamp=ts
    )
    return {
        "provider_id": provider.id,
        "model_id": model.id,
        "model_name": model.name or model.id,
        "input_usd_per_mtok": float(pin.total_price) * 1e6 / k,
        "output_usd_per_mtok": float(pout.total_price) * 1e6 / k,
        "as_of": ts.date(),
    }


@renamed_parameters(
    input_tokens_per_request="prompt_tokens", output_tokens_per_request="output_tokens"
)
def api_bill(
    model_ref: str,
    prompt_tokens,
    output_tokens,
    requests_per_day,
    *,
    provider_id: str | None = None,
    as_of=None,
) -> pd.DataFrame:
    """A workload's bill at an API's list prices (genai-prices' bundled snapshot).

    Each request is priced as the provider prices it (tiers by request size included), then
    multiplied by the requests per day; a month is 365/12 days.

    Parameters
    ----------
    model_ref : str
        The API model, as in :func:`api_list_price`.
    prompt_tokens, output_tokens : int
        Prompt and output tokens per request, >= 0 and > 0.
    requests_per_day : float or array
        Requests per day, > 0.
    provider_id : str, optional
        The provider; inferred from ``model_ref`` when omitted.
    as_of : date-like, optional
        Price date, as in :func:`api_list_price` (a bare date is priced at noon UTC).

    Returns
    -------
    pandas.DataFrame
        ``requests_per_day``, ``usd_per_request``, ``usd_per_day``, ``usd_per_month``,
        ``usd_per_mtok_output`` (the bill per million output tokens, input included),
        ``provider_id`` and ``model_id``.
    """
    from genai_prices import Usage

    n_in = int(_nonneg("prompt_tokens", prompt_tokens))
    n_out = int(require_positive("output_tokens", output_tokens))
    rpd = _arr(require_positive("requests_per_day", requests_per_day)).ravel()
    provider, model = _lookup(model_ref, provider_id)
    calc = model.calc_price(
        Usage(input_tokens=n_in, output_tokens=n_out),
        provider,
        genai_request_timestamp=_as_of(as_of),
    )
    per_request = float(Decimal(calc.total_price))
    per_day = per_request * rpd
    return pd.DataFrame(
        {
            "requests_per_day": rpd,
            "usd_per_request": per_request,
            "usd_per_day": per_day,
            "usd_per_month": per_day * 365.0 / 12.0,
            "usd_per_mtok_output": per_request / n_out * 1e6,
            "provider_id": provider.id,
            "model_id": model.id,
        }
    )


@renamed_parameters(
    input_tokens_per_request="prompt_tokens",
    output_tokens_per_request="output_tokens",
    n_gpus="tensor_parallel",
)
def self_hosted_bill(
    model,
    gpu,
    prompt_tokens,
    output_tokens,
    requests_per_day,
    precision: str = "bf16",
    efficiency=None,
    *,
    tensor_parallel=1,
    batch=64,
    usd_per_gpu_hour=None,
    purchase_usd=None,
    lifetime_years=None,
    cost_of_capital=0.0,
    usd_per_kwh=None,
    pue=None,
    all_in_kw_per_gpu=None,
    facility_usd_per_kw_month=0.0,
    peak_to_mean=1.0,
    allow_weight_only: bool = False,
) -> pd.DataFrame:
    """The same workload served on your own or rented GPUs, paying for whole replicas.

    One replica is ``tensor_parallel`` GPUs (tensor-parallel) serving ``batch`` requests at a
    time (:func:`token_economics`'s throughput). Enough replicas are provisioned for the peak
    (mean demand x ``peak_to_mean``); every provisioned GPU is paid every hour, so the
    utilisation is demand over capacity, and idle GPUs draw idle power.

    Parameters
    ----------
    model, gpu, precision, efficiency, tensor_parallel, batch, allow_weight_only
        As in :func:`token_economics`.
    prompt_tokens, output_tokens : int
        Request shape, > 0.
    requests_per_day : float or array
        Mean demand, > 0.
    usd_per_gpu_hour, purchase_usd, lifetime_years, cost_of_capital, usd_per_kwh, pue,
    all_in_kw_per_gpu, facility_usd_per_kw_month
        As in :func:`cost_breakdown` (mid rental price of ``data/gpus.csv`` when no hardware
        price is given).
    peak_to_mean : float
        Provisioned capacity over mean demand, in [1, 100].

    Returns
    -------
    pandas.DataFrame
        ``requests_per_day``, ``replicas``, ``n_gpus``, ``capacity_requests_per_day``,
        ``utilisation``, ``usd_per_month``, ``usd_per_mtok_output`` and the cost split
        (``hardware_usd_per_month``, ``energy_usd_per_month``, ``facility_usd_per_month``).
    """
    rpd = _arr(require_positive("requests_per_day", requests_per_day)).ravel()
    ptm = float(require_in_range("peak_to_mean", peak_to_mean, 1.0, 100.0))
    op = token_economics(
        model, gpu, batch, prompt_tokens, output_tokens, precision,
        efficiency, tensor_parallel=tensor_parallel, usd_per_gpu_hour=usd_per_gpu_hour,
        purchase_usd=purchase_usd, lifetime_years=lifetime_years, cost_of_capital=cost_of_capital,
        usd_per_kwh=usd_per_kwh, pue=pue, all_in_kw_per_gpu=all_in_kw_per_gpu,
        facility_usd_per_kw_month=facility_usd_per_kw_month, allow_weight_only=allow_weight_only,
    ).iloc[0]  # fmt: skip
    n = int(op["tensor_parallel"])
    out_tps_replica = float(op["output_tokens_per_s_total"])
    cap_rpd = out_tps_replica * 86400.0 / float(output_tokens)
    replicas = np.ceil(rpd * ptm / cap_rpd - 1e-9).astype(int)
    replicas = np.maximum(replicas, 1)
    gpus = replicas * n
    util = rpd / (replicas * cap_rpd)
    idle_w = get_gpu(gpu).idle_w
    price = float(_kwh_or_default(usd_per_kwh, owned=purchase_usd is not None))
    pue_ = float(_pue_or_default(pue))
    hours = HOURS_PER_MONTH
    hw = gpus * float(op["hardware_usd_per_gpu_hour"]) * hours
    fac = gpus * float(op["facility_usd_per_gpu_hour"]) * hours
    busy_gpu_h = gpus * hours * util
    energy = (busy_gpu_h * float(op["power_w"]) + (gpus * hours - busy_gpu_h) * idle_w) / 1000.0
    energy_usd = energy * pue_ * price
    total = hw + fac + energy_usd
    out_mtok = rpd * 365.0 / 12.0 * float(output_tokens) / 1e6
    return pd.DataFrame(
        {
            "requests_per_day": rpd,
            "replicas": replicas,
            "n_gpus": gpus,
            "capacity_requests_per_day": replicas * cap_rpd,
            "utilisation": util,
            "hardware_usd_per_month": hw,
            "energy_usd_per_month": energy_usd,
            "facility_usd_per_month": fac,
            "usd_per_month": total,
            "usd_per_mtok_output": total / out_mtok,
        }
    )
