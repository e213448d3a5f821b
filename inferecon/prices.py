"""LLM API prices: blended prices, the cheapest-model frontier above a benchmark threshold,
and the decline trend along it.

The method follows Epoch AI, "LLM inference prices have fallen rapidly but unequally across
tasks" (Cottier et al., 2025-03-12, https://epoch.ai/data-insights/llm-inference-price-trends),
the analysis behind the Stanford AI Index 2025's "280-fold" figure: keep the models that score
at least a threshold on a benchmark, walk through them in date order, keep each one that is
cheaper than every model before it, and fit a log-linear trend to those successive lows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._validate import require_in_range, require_positive
from .datasets import BENCHMARKS
from .rates import (
    TrendFit,
    factor_per_year_to_halving_time_months,
    fit_log_linear_trend,
    fold_decline,
)

__all__ = [
    "EPOCH_INPUT_SHARE",
    "A16Z_INPUT_SHARE",
    "DeclineFit",
    "blended_price",
    "cheapest_frontier",
    "fit_decline",
    "frontier_fold_decline",
    "best_score_by_group",
    "best_model_price",
]

EPOCH_INPUT_SHARE = 0.75
"""Share of input tokens in Epoch AI's and Artificial Analysis's blended price (3 input : 1
output)."""

A16Z_INPUT_SHARE = 0.5
"""a16z, "Welcome to LLMflation" (Appenzeller, 2024-11-12), averages input and output 1:1."""


def blended_price(input_usd_per_mtok, output_usd_per_mtok, input_share=EPOCH_INPUT_SHARE):
    """Price per million tokens of a workload with a given share of input tokens.

    Parameters
    ----------
    input_usd_per_mtok, output_usd_per_mtok : float or array_like
        List prices in USD per million input / output tokens, > 0.
    input_share : float or array_like, default 0.75
        Fraction of the workload's tokens that are input, in [0, 1]. 0.75 is Epoch AI's and
        Artificial Analysis's 3:1 blend; a16z uses 0.5.

    Returns
    -------
    float or numpy.ndarray
        ``input_share * input + (1 - input_share) * output`` in USD per million tokens.

    Examples
    --------
    Gemini 1.5 Flash-8B at $0.0375 in / $0.15 out blends 3:1 to $0.066.

    >>> round(blended_price(0.0375, 0.15), 4)
    0.0656
    """
    i = require_positive("input_usd_per_mtok", input_usd_per_mtok)
    o = require_positive("output_usd_per_mtok", output_usd_per_mtok)
    s = require_in_range("input_share", input_share, 0.0, 1.0)
    return s * i + (1.0 - s) * o


def _check_benchmark(prices: pd.DataFrame, benchmark: str) -> None:
    if benchmark not in prices.columns:
        known = ", ".join(b for b in BENCHMARKS if b in prices.columns) or ", ".join(BENCHMARKS)
        raise ValueError(f"benchmark must be one of: {known}; got {benchmark!r}")


def cheapest_frontier(
    prices: pd.DataFrame,
    benchmark: str,
    threshold: float,
    *,
    input_share: float = EPOCH_INPUT_SHARE,
    include_reasoning: bool = False,
    start=None,
    end=None,
) -> pd.DataFrame:
    """Successive price lows among models scoring at least ``threshold`` on ``benchmark``.

    Parameters
    ----------
    prices : pandas.DataFrame
        Price data in the :func:`inferecon.load_prices` schema.
    benchmark : str
        A score column: ``mmlu``, ``gpqa_diamond``, ``math_500``, ``math_level_5``,
        ``humaneval`` or ``arena_elo``.
    threshold : float
        Minimum score (inclusive), in the benchmark's unit.
    input_share : float, default 0.75
        Input share of the blended price (see :func:`blended_price`).
    include_reasoning : bool, default False
        Reasoning models are excluded by default, as in Epoch AI's analysis: they emit many
        hidden tokens, so their per-token price is not comparable.
    start, end : date-like, optional
        Keep observations in ``[start, end]`` only.

    Returns
    -------
    pandas.DataFrame
        Columns ``model``, ``date``, ``usd_per_mtok`` (blended), ``score`` and ``open_weights``,
        one row per new low in date order. A model enters only if strictly cheaper than every
        qualifying observation before it; on one day the cheapest (then the higher-scoring, then
        alphabetical) observation is taken first, so same-day ties yield one row.
    """
    _check_benchmark(prices, benchmark)
    require_in_range("threshold", threshold, -np.inf, np.inf)
    require_in_range("input_share", input_share, 0.0, 1.0)
    score = prices[benchmark].to_numpy(dtype=float, na_value=np.nan)
    with np.errstate(invalid="ignore"):
        keep = ~np.isnan(score) & (score >= threshold)
    if not include_reasoning and "reasoning" in prices.columns:
        keep &= ~prices["reasoning"].to_numpy(dtype=bool, na_value=False)
    dates = pd.DatetimeIndex(pd.to_datetime(prices["price_date"]))
    if start is not None:
        keep &= dates >= pd.Timestamp(start)
    if end is not None:
        keep &= dates <= pd.Timestamp(end)
    idx = np.flatnonzero(keep)
    p = (
        blended_price(
            prices["input_usd_per_mtok"].to_numpy(float)[idx],
            prices["output_usd_per_mtok"].to_numpy(float)[idx],
            input_share,
        )
        if idx.size
        else np.empty(0)
    )
    models = prices["model"].to_numpy(dtype=str)[idx] if idx.size else np.empty(0, dtype=str)
    d = dates[idx]
    # date, then price, then higher score, then name: a same-day tie yields one row
    order = np.lexsort((models, -score[idx], p, d.asi8))
    p_sorted = np.asarray(p)[order]
    prev_min = np.concatenate(([np.inf], np.minimum.accumulate(p_sorted)[:-1]))
    pick = order[p_sorted < prev_min]
    rows = idx[pick]
    open_w = (
        prices["open_weights"].to_numpy()[rows]
        if "open_weights" in prices.columns
        else np.full(rows.size, pd.NA)
    )
    out = pd.DataFrame(
        {
            "model": models[pick].astype(object),
            "date": d[pick],
            "usd_per_mtok": np.asarray(p)[pick],
            "score": score[rows],
            "open_weights": pd.array(open_w, dtype="boolean"),
        }
    )
    out.attrs.update(
        benchmark=benchmark, threshold=float(threshold), input_share=float(input_share)
    )
    return out


def frontier_fold_decline(frontier: pd.DataFrame) -> float:
    """Fold decline from the first to the last point of a frontier (start price / end price)."""
    if len(frontier) < 1:
        raise ValueError("frontier is empty: no model meets the threshold in the window")
    p = frontier["usd_per_mtok"].to_numpy(float)
    return float(fold_decline(p[0], p[-1]))


@dataclass(frozen=True)
class DeclineFit:
    """A price-decline trend fitted to a cheapest-model frontier.

    Attributes
    ----------
    factor_per_year : float
        Fitted price decline factor per year (10 means prices fall tenfold a year).
    ci90 : tuple of float
        90% confidence interval of ``factor_per_year`` (low, high).
    r_squared : float
        R² of the log-linear fit.
    halving_time_months : float
        Months for the fitted price to halve (inf when the fit shows no decline).
    oom_per_year : float
        Orders of magnitude of decline per year, ``log10(factor_per_year)``.
    n_points, start, end
        Number of frontier points and the dates of the first and last.
    fold_decline : float
        Observed fold decline from the first to the last frontier point.
    trend : TrendFit
        The underlying log-linear fit (for predictions).
    """

    factor_per_year: float
    ci90: tuple[float, float]
    r_squared: float
    halving_time_months: float
    oom_per_year: float
    n_points: int
    start: pd.Timestamp
    end: pd.Timestamp
    fold_decline: float
    trend: TrendFit

    def predict(self, dates) -> np.ndarray:
        """Fitted blended price (USD per million tokens) at ``dates``."""
        return self.trend.predict(dates)


def fit_decline(frontier: pd.DataFrame) -> DeclineFit:
    """Fit the price-decline rate along a cheapest-model frontier.

    Parameters
    ----------
    frontier : pandas.DataFrame
        Output of :func:`cheapest_frontier` (columns ``date`` and ``usd_per_mtok``), at least
        3 points.

    Returns
    -------
    DeclineFit

    Notes
    -----
    Epoch AI's method (OLS of log10 price on years of 365 days, 90% Student-t interval).
    On Epoch's MMLU >= 64.8 series (GPT-3.5, Nov 2022 to Gemini 1.5 Flash-8B, Oct 2024) it
    gives 15.8x per year, 90% CI 8.1-31.1x, R² 0.93, as published.
    """
    for col in ("date", "usd_per_mtok"):
        if col not in frontier.columns:
            raise ValueError(f"frontier must have a {col!r} column (use cheapest_frontier)")
    t = fit_log_linear_trend(frontier["date"], frontier["usd_per_mtok"])
    slope = t.slope_oom_per_year
    f = float(10.0 ** (-slope))
    lo, hi = 10.0 ** (-t.ci90_oom_per_year[1]), 10.0 ** (-t.ci90_oom_per_year[0])
    halving = float(factor_per_year_to_halving_time_months(f)) if f > 1 else float("inf")
    return DeclineFit(
        factor_per_year=f,
        ci90=(float(lo), float(hi)),
        r_squared=t.r_squared,
        halving_time_months=halving,
        oom_per_year=float(-slope),
        n_points=t.n_points,
        start=t.start,
        end=t.end,
        fold_decline=frontier_fold_decline(frontier),
        trend=t,
    )


def best_score_by_group(
    prices: pd.DataFrame, benchmark: str, dates, *, include_reasoning: bool = False
) -> pd.DataFrame:
    """Best score to date of open-weight and of closed models, evaluated at ``dates``.

    Parameters
    ----------
    prices : pandas.DataFrame
        Price data (:func:`inferecon.load_prices` schema) with ``open_weights``.
    benchmark : str
        Score column.
    dates : array_like of datetime-like
        Evaluation dates.
    include_reasoning : bool, default False
        Whether reasoning models count.

    Returns
    -------
    pandas.DataFrame
        Columns ``date``, ``open``, ``closed`` (best score released on or before the date, NaN
        before the first) and ``gap_pct``, the closed lead as a percentage of the closed score,
        the measure the AI Index 2025 uses for Chatbot Arena (8.0% in Jan 2024, 1.7% in Feb 2025).
    """
    _check_benchmark(prices, benchmark)
    d = pd.DatetimeIndex(pd.to_datetime(dates))
    df = prices.dropna(subset=[benchmark])
    if not include_reasoning and "reasoning" in df:
        df = df[~df["reasoning"].fillna(False).astype(bool)]
    out = {"date": d}
    for name, flag in (("open", True), ("closed", False)):
        g = df[df["open_weights"].fillna(not flag).astype(bool) == flag].sort_values("price_date")
        best = g[benchmark].astype(float).cummax().to_numpy()
        idx = pd.DatetimeIndex(g["price_date"]).searchsorted(d, side="right") - 1
        out[name] = np.where(idx >= 0, best[np.clip(idx, 0, None)] if best.size else np.nan, np.nan)
    res = pd.DataFrame(out)
    res["gap_pct"] = 100.0 * (res["closed"] - res["open"]) / res["closed"]
    return res


def best_model_price(
    prices: pd.DataFrame,
    benchmark: str,
    dates,
    *,
    input_share: float = EPOCH_INPUT_SHARE,
    include_reasoning: bool = False,
) -> pd.DataFrame:
    """Price of the highest-scoring model available at each date.

    The cheapest-model frontier falls fast; the price of the *best* model does not. This gives
    the counterpart series: for each date, the top ``benchmark`` score among observations on or
    before it (the first to reach that score wins ties) and that observation's blended price.

    Parameters
    ----------
    prices : pandas.DataFrame
        :func:`inferecon.load_prices` schema.
    benchmark : str
        Score column.
    dates : array_like of datetime-like
        Evaluation dates.
    input_share : float, default 0.75
        Blend of the price.
    include_reasoning : bool, default False
        Whether reasoning models count.

    Returns
    -------
    pandas.DataFrame
        Columns ``date``, ``model``, ``score``, ``usd_per_mtok`` (NaN before the first scored
        observation).
    """
    _check_benchmark(prices, benchmark)
    df = prices.dropna(subset=[benchmark])
    if not include_reasoning and "reasoning" in df:
        df = df[~df["reasoning"].fillna(False).astype(bool)]
    df = df.sort_values(["price_date", benchmark], ascending=[True, False], kind="stable")
    s = df[benchmark].to_numpy(float)
    n = s.size
    d = pd.DatetimeIndex(pd.to_datetime(dates))
    out = pd.DataFrame({"date": d, "model": None, "score": np.nan, "usd_per_mtok": np.nan})
    if n == 0:
        return out
    prev = np.concatenate(([-np.inf], np.maximum.accumulate(s)[:-1]))
    best_idx = np.maximum.accumulate(np.where(s > prev, np.arange(n), 0))
    p = blended_price(
        df["input_usd_per_mtok"].to_numpy(float),
        df["output_usd_per_mtok"].to_numpy(float),
        input_share,
    )
    pos = pd.DatetimeIndex(df["price_date"]).searchsorted(d, side="right") - 1
    ok = pos >= 0
    bi = best_idx[np.clip(pos, 0, None)]
    out.loc[ok, "model"] = df["model"].to_numpy()[bi[ok]]
    out.loc[ok, "score"] = s[bi[ok]]
    out.loc[ok, "usd_per_mtok"] = np.asarray(p)[bi[ok]]
    return out
