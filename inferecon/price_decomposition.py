"""A price ratio split into model, hardware, serving and residual factors whose product is
exactly the ratio, with Monte Carlo intervals.

Between two serving scenarios the fall of the list price per million tokens is written as

    P_start / P_end = model x hardware x serving x residual

For every draw of the uncertain inputs (:mod:`inferecon.decline_draws`) the cost of each of the
``2**3`` combinations of start and end model, hardware and serving is computed
(:mod:`inferecon.scenario_costs`), the log cost ratio is split with
:func:`inferecon.shapley_split`, and the residual is the price ratio over the cost ratio.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._validate import require_in_range
from .decline_draws import _draw, _interval
from .decline_scenarios import ServingScenario
from .scenario_costs import _interp_rows, _log_cost, _model_grid
from .shapley import one_at_a_time_splits, shapley_split

__all__ = ["DECLINE_FACTORS", "PriceDecline", "decline_shares", "decompose_price_decline"]


DECLINE_FACTORS = ("model", "hardware", "serving")
"""The cost factors of :func:`decompose_price_decline`, in the bit order of their subsets (bit
0 = model, 1 = hardware, 2 = serving); the residual is the fourth factor."""


@dataclass(frozen=True)
class PriceDecline:
    """The result of :func:`decompose_price_decline`.

    Attributes
    ----------
    summary : pandas.DataFrame
        One row per factor (``model``, ``hardware``, ``serving``, ``residual``, and ``price``
        and ``cost`` for the totals): ``fold_median``, ``fold_low``, ``fold_high`` (the fold
        decline, start / end, median and 5th-95th percentiles over the draws) and
        ``share_median``, ``share_low``, ``share_high`` (the factor's share of the log of the
        price ratio).
    orders : pandas.DataFrame
        The one-at-a-time splits: one row per (order, factor) with ``order`` (e.g.
        ``"model > hardware > serving"``), ``factor`` and ``fold_median``,
        ``fold_low``, ``fold_high``.
    endpoints : pandas.DataFrame
        One row per end (``start``, ``end``): ``price_usd_per_mtok`` (list price of the mix),
        ``cost_median``, ``cost_low``, ``cost_high`` (USD per million tokens) and
        ``margin_median``, ``margin_low``, ``margin_high`` (price / cost).
    draws : pandas.DataFrame
        Per draw: the fold of each factor, ``price``, ``cost``, and ``start_usd_per_mtok``,
        ``end_usd_per_mtok`` (costs).
    price_ratio : float
        The observed fall of the list price of the mix, start / end.
    """

    summary: pd.DataFrame
    orders: pd.DataFrame
    endpoints: pd.DataFrame
    draws: pd.DataFrame
    price_ratio: float


def decompose_price_decline(
    start: ServingScenario,
    end: ServingScenario,
    draws: int = 10_000,
    seed=0,
    *,
    central: bool = False,
) -> PriceDecline:
    """Split the fall of a list price between two scenarios into model, hardware, serving and
    residual factors, with Monte Carlo intervals.

    For every draw of the uncertain inputs, the cost (USD per million prompt and output tokens)
    is computed for each of the ``2**3`` combinations of start and end model, hardware and
    serving (:func:`inferecon.serving_performance` at the batch the engine reaches:
    :func:`inferecon.max_batch` at the request's final context times the engine's KV used share,
    capped by its ``max_running_requests``; the cheapest tensor-parallel size of 1, 2, 4 or 8
    that fits; times the engine's throughput share; priced with :func:`inferecon.usd_per_mtok`).
    The log cost ratio is split with :func:`shapley_split`; the residual is the price ratio over
    the cost ratio. The four factors multiply to the price ratio exactly in every draw.

    Parameters
    ----------
    start, end : ServingScenario
        The two ends; ``start.price_date`` must not be after ``end.price_date``.
    draws : int
        Monte Carlo draws, in [1, 1e7].
    seed : int or numpy.random.Generator, optional
        Seed of the draws (the same seed gives the same result).
    central : bool
        Instead of the Monte Carlo, one evaluation at every range's geometric midpoint
        (``draws`` is ignored): a central estimate for a fast slider drag, without intervals.

    Returns
    -------
    PriceDecline
        ``summary`` (median and 90% interval of each factor's fold and share of the log price
        ratio), ``orders`` (the one-at-a-time splits), ``endpoints`` (cost and price / cost at
        each end), ``draws`` and ``price_ratio``.

    Raises
    ------
    ValueError
        When ``start`` or ``end`` is not a :class:`ServingScenario`, the ends are in the wrong
        order, ``draws`` is out of range, or a model fits on no tensor-parallel size of the
        other end's GPU in some combination (named).

    Notes
    -----
    The factors are measured on the package's serving model; they are only as good as its
    inputs, several of which are stated assumptions (``data/serving_scenarios.csv``).
    """
    for label, s in (("start", start), ("end", end)):
        if not isinstance(s, ServingScenario):
            raise ValueError(f"{label} must be a ServingScenario; got {type(s).__name__}")
    if start.price_date > end.price_date:
        raise ValueError(
            f"start ({start.name!r}, priced {start.price_date.date()}) must not be after end "
            f"({end.name!r}, priced {end.price_date.date()}): endpoints in the wrong order"
        )
    n = 1 if central else int(require_in_range("draws", draws, 1, 1e7))
    d_s, d_e = _draw(start, end, n, seed, central)
    grids = {id(start): _model_grid(start, central), id(end): _model_grid(end, central)}
    k = len(DECLINE_FACTORS)
    log_cost = np.empty((2**k, n))
    for mask in range(2**k):
        m_sc, m_d = (end, d_e) if mask & 1 else (start, d_s)
        h_sc, h_d = (end, d_e) if mask & 2 else (start, d_s)
        serving = (end, d_e) if mask & 4 else (start, d_s)
        specs, x = grids[id(m_sc)]
        ys = np.stack([_log_cost(m, h_sc.gpu, h_d["usd_per_gpu_hour"], serving, n) for m in specs])
        if not np.all(np.isfinite(ys)):
            raise ValueError(
                f"model of {m_sc.name!r} does not fit on {h_sc.gpu} with the engine of "
                f"{serving[0].name!r} at tensor-parallel size 1-8 (weights or one request's KV "
                "cache exceed the memory); give a GPU with more memory"
            )
        log_cost[mask] = _interp_rows(np.log(m_d["params_active"]), x, ys)
    decline = log_cost[0] - log_cost  # log(C_start / C_subset): declines are positive
    phi = shapley_split(decline)
    orders, splits = one_at_a_time_splits(decline)
    log_price = math.log(start.usd_per_mtok / end.usd_per_mtok)
    log_cost_ratio = decline[-1]
    residual = log_price - log_cost_ratio
    logs = {name: phi[i] for i, name in enumerate(DECLINE_FACTORS)}
    logs["residual"] = residual
    logs["price"] = np.full(n, log_price)
    logs["cost"] = log_cost_ratio
    rows = []
    for name, lg in logs.items():
        f_med, f_lo, f_hi = _interval(np.exp(lg))
        share = lg / log_price if log_price != 0 else np.full(n, np.nan)
        s_med, s_lo, s_hi = _interval(share)
        rows.append(dict(factor=name, fold_median=f_med, fold_low=f_lo, fold_high=f_hi,
                         share_median=s_med, share_low=s_lo, share_high=s_hi))  # fmt: skip
    order_rows = []
    for i, order in enumerate(orders):
        label = " > ".join(DECLINE_FACTORS[j] for j in order)
        for j, name in enumerate(DECLINE_FACTORS):
            f_med, f_lo, f_hi = _interval(np.exp(splits[i, j]))
            order_rows.append(dict(order=label, factor=name, fold_median=f_med,
                                   fold_low=f_lo, fold_high=f_hi))  # fmt: skip
    cost_s, cost_e = np.exp(log_cost[0]), np.exp(log_cost[-1])
    ends = []
    for label, sc, cost in (("start", start, cost_s), ("end", end, cost_e)):
        c_med, c_lo, c_hi = _interval(cost)
        m_med, m_lo, m_hi = _interval(sc.usd_per_mtok / cost)
        ends.append(dict(endpoint=label, scenario=sc.name, price_usd_per_mtok=sc.usd_per_mtok,
                         cost_median=c_med, cost_low=c_lo, cost_high=c_hi,
                         margin_median=m_med, margin_low=m_lo, margin_high=m_hi))  # fmt: skip
    draw_table = pd.DataFrame({name: np.exp(lg) for name, lg in logs.items()})
    draw_table["start_usd_per_mtok"] = cost_s
    draw_table["end_usd_per_mtok"] = cost_e
    return PriceDecline(
        summary=pd.DataFrame(rows),
        orders=pd.DataFrame(order_rows),
        endpoints=pd.DataFrame(ends),
        draws=draw_table,
        price_ratio=math.exp(log_price),
    )


def decline_shares(decline: PriceDecline) -> pd.DataFrame:
    """Each factor's share of the log price ratio, shares that add up to exactly 1.

    The share of factor ``k`` is ``mean(log f_k) / log(P_start / P_end)`` over the draws: means
    add, so the four shares sum to 1 (the medians of :attr:`PriceDecline.summary` need not).

    Parameters
    ----------
    decline : PriceDecline
        :func:`decompose_price_decline`.

    Returns
    -------
    pandas.DataFrame
        One row per factor (``model``, ``hardware``, ``serving``, ``residual``): ``share``
        (dimensionless), ``share_low``, ``share_high`` (5th and 95th percentiles of the share
        per draw) and ``fold`` (``exp`` of the mean log factor: the geometric mean fold).

    Raises
    ------
    ValueError
        When the price did not change (a share of no change is undefined).
    """
    log_price = math.log(decline.price_ratio)
    if log_price == 0:
        raise ValueError("decline.price_ratio is 1: shares of an unchanged price are undefined")
    rows = []
    for f in (*DECLINE_FACTORS, "residual"):
        lg = np.log(decline.draws[f].to_numpy())
        _, lo, hi = _interval(lg / log_price)
        rows.append(dict(factor=f, share=float(lg.mean() / log_price), share_low=lo,
                         share_high=hi, fold=float(math.exp(lg.mean()))))  # fmt: skip
    return pd.DataFrame(rows)
