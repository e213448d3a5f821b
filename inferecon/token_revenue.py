"""What tokens earn: revenue, gross margin, break-even, payback and "x-fold return" claims.

Revenue at a price per million input and output tokens (as APIs list them), gross margin,
break-even utilisation and price, payback time and the return multiple over the hardware's
life (:func:`unit_economics`), and the structure of a vendor's "x-fold return" claim
(:func:`revenue_claim`, :func:`price_for_return_multiple`,
:func:`output_price_for_return_multiple`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._validate import (
    renamed_parameters,
    require_in_range,
    require_positive,
    scalar_or_array,
)
from .factory_assumptions import HOURS_PER_YEAR, _arr, _nonneg, _utilisation

__all__ = [
    "output_price_for_return_multiple",
    "price_for_return_multiple",
    "revenue_claim",
    "revenue_usd_per_gpu_hour",
    "unit_economics",
]


def _lifetime_mtok(n_gpus, tokens_per_s, utilisation, lifetime_years, rate="tokens_per_s_per_gpu"):
    """Million tokens a system serves over its life (the claim helpers' one token count), its
    inputs checked; ``rate`` names the throughput parameter in error messages."""
    n = _arr(require_positive("n_gpus", n_gpus))
    t = _arr(require_positive(rate, tokens_per_s))
    u = _arr(_utilisation(utilisation))
    y = _arr(require_in_range("lifetime_years", lifetime_years, 0.0, 50.0, low_open=True))
    seconds = 3600.0 * HOURS_PER_YEAR * y
    return n * t * seconds * u / 1e6


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
    p = _arr(_nonneg("usd_per_mtok", usd_per_mtok))
    mtok = _lifetime_mtok(n_gpus, tokens_per_s_per_gpu, utilisation, lifetime_years)
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
    mtok = _lifetime_mtok(n_gpus, tokens_per_s_per_gpu, utilisation, lifetime_years)
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
    p = _arr(require_positive("prompt_tokens", prompt_tokens))
    o = _arr(require_positive("output_tokens", output_tokens))
    pin = _arr(_nonneg("input_usd_per_mtok", input_usd_per_mtok))
    mtok = _lifetime_mtok(
        n_gpus, total_tokens_per_s_per_gpu, utilisation, lifetime_years,
        rate="total_tokens_per_s_per_gpu",
    )  # fmt: skip
    out_mtok = mtok * o / (p + o)
    in_mtok = mtok - out_mtok
    return scalar_or_array(np.maximum((m * cap - in_mtok * pin) / out_mtok, 0.0))
