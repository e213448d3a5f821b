"""LLM API prices: blended prices, the cheapest-model frontier and its decline trend.

The frontier is taken above a benchmark threshold. The method follows Epoch AI, "LLM inference
prices have fallen rapidly but unequally across tasks" (Cottier et al., 2025-03-12, https://epoch.ai/data-insights/llm-inference-price-trends),
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
    annualised_factor,
    factor_per_year_to_halving_time_months,
    fit_log_linear_trend,
    fold_decline,
    years_between,
)

__all__ = [
    "EPOCH_INPUT_SHARE",
    "A16Z_INPUT_SHARE",
    "AI_INDEX_WINDOW",
    "DeclineFit",
    "blended_price",
    "cheapest_frontier",
    "fit_decline",
    "frontier_fold_decline",
    "best_score_by_group",
    "best_model_price",
    "published_decline_rates",
    "qualifying_mask",
]

EPOCH_INPUT_SHARE = 0.75
"""Share of input tokens in Epoch AI's and Artificial Analysis's blended price (3 input : 1
output)."""

A16Z_INPUT_SHARE = 0.5
"""a16z, "Welcome to LLMflation" (Appenzeller, 2024-11-12), averages input and output 1:1."""

AI_INDEX_WINDOW = ("2022-11-30", "2024-10-03")
"""Dates of the Stanford AI Index 2025's "280-fold" comparison: GPT-3.5 at $20 per million
tokens (2022-11-30) to Gemini 1.5 Flash-8B at $0.07 (2024-10-03), the first and last points
of Epoch AI's MMLU >= 64.8 series (673 days)."""


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


def qualifying_mask(
    prices: pd.DataFrame,
    benchmark: str,
    threshold: float | None = None,
    *,
    include_reasoning: bool = False,
    start=None,
    end=None,
) -> np.ndarray:
    """Which price observations count for a benchmark threshold, a date window and a model kind.

    The one definition of "qualifies" used by :func:`cheapest_frontier`,
    :func:`best_score_by_group`, :func:`best_model_price` and the price explorers.

    Parameters
    ----------
    prices : pandas.DataFrame
        Price data in the :func:`inferecon.load_prices` schema.
    benchmark : str
        A score column (see :func:`cheapest_frontier`).
    threshold : float, optional
        Minimum score (inclusive), in the benchmark's unit. None: any score.
    include_reasoning : bool, default False
        Whether reasoning models count. Epoch AI excludes them: they emit many hidden tokens,
        so their per-token price is not comparable. Rows with no ``reasoning`` flag count as
        non-reasoning.
    start, end : date-like, optional
        Keep observations whose ``price_date`` lies in ``[start, end]`` only.

    Returns
    -------
    numpy.ndarray of bool
        One entry per row of ``prices``: True where the row has a score (at least
        ``threshold``), is in the window and is of a counted kind.
    """
    _check_benchmark(prices, benchmark)
    score = prices[benchmark].to_numpy(dtype=float, na_value=np.nan)
    keep = ~np.isnan(score)
    if threshold is not None:
        require_in_range("threshold", threshold, -np.inf, np.inf)
        with np.errstate(invalid="ignore"):
            keep &= score >= threshold
    if not include_reasoning and "reasoning" in prices.columns:
        keep &= ~prices["reasoning"].to_numpy(dtype=bool, na_value=False)
    if start is not None or end is not None:
        dates = pd.DatetimeIndex(pd.to_datetime(prices["price_date"]))
        if start is not None:
            keep &= dates >= pd.Timestamp(start)
        if end is not None:
            keep &= dates <= pd.Timestamp(end)
    return keep


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
        Reasoning models are excluded by default, as in Epoch AI's analysis (see
        :func:`qualifying_mask`, which decides which rows count).
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
    require_in_range("threshold", threshold, -np.inf, np.inf)
    require_in_range("input_share", input_share, 0.0, 1.0)
    keep = qualifying_mask(
        prices, benchmark, threshold, include_reasoning=include_reasoning, start=start, end=end
    )
    score = prices[benchmark].to_numpy(dtype=float, na_value=np.nan)
    dates = pd.DatetimeIndex(pd.to_datetime(prices["price_date"]))
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
    """Fold decline from the first to the last point of a frontier.

    Parameters
    ----------
    frontier : pandas.DataFrame
        Output of :func:`cheapest_frontier` (column ``usd_per_mtok``, in date order), at least
        one row.

    Returns
    -------
    float
        First price / last price (dimensionless; 285.7 for the AI Index's $20 to $0.07).
    """
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
        """Fitted blended price at ``dates``.

        Parameters
        ----------
        dates : array_like of datetime-like
            Where to evaluate the trend.

        Returns
        -------
        numpy.ndarray
            USD per million tokens (see :meth:`inferecon.TrendFit.predict`).
        """
        return self.trend.predict(dates)

    def slope_band(self, dates) -> tuple[np.ndarray, np.ndarray]:
        """Band of the fitted price when the rate ranges over its 90% confidence interval.

        Parameters
        ----------
        dates : array_like of datetime-like
            Where to evaluate the band.

        Returns
        -------
        low, high : numpy.ndarray
            USD per million tokens (see :meth:`inferecon.TrendFit.slope_band`).
        """
        return self.trend.slope_band(dates)


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
        Factor per year (dimensionless) with its 90% interval, R², halving time (months),
        orders of magnitude per year, fold decline and the underlying :class:`TrendFit`.

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
    d = pd.DatetimeIndex(pd.to_datetime(dates))
    df = prices[qualifying_mask(prices, benchmark, include_reasoning=include_reasoning)]
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
    df = prices[qualifying_mask(prices, benchmark, include_reasoning=include_reasoning)]
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


def published_decline_rates(published: pd.DataFrame) -> pd.DataFrame:
    """Collect published price-decline rates as factors per year, to set beside a fitted rate.

    Parameters
    ----------
    published : pandas.DataFrame
        :func:`inferecon.load_published_rates` (indexed by ``key``). Rows used when present:
        ``epoch_price_decline_range`` (Epoch AI 2025, 9-900x per year across tasks),
        ``a16z_llmflation`` (10x per year) and ``ai_index_2025_gpt35_fold`` (the AI Index
        2025's 280-fold fall, annualised over :data:`AI_INDEX_WINDOW`).

    Returns
    -------
    pandas.DataFrame
        Columns ``label``, ``value``, ``low``, ``high`` (decline factor per year; ``low`` and
        ``high`` NaN for a point claim) and ``source``, one row per claim found.

    Notes
    -----
    The AI Index's 280-fold fall over 673 days is ``280 ** (365 / 673) = 21.2`` per year.
    """
    rows = []
    if "epoch_price_decline_range" in published.index:
        r = published.loc["epoch_price_decline_range"]
        rows.append(("Epoch AI: range across tasks", r["value"], r["low"], r["high"], r["source"]))
    if "a16z_llmflation" in published.index:
        r = published.loc["a16z_llmflation"]
        rows.append(("a16z LLMflation", r["value"], np.nan, np.nan, r["source"]))
    if "ai_index_2025_gpt35_fold" in published.index:
        r = published.loc["ai_index_2025_gpt35_fold"]
        yrs = years_between(*AI_INDEX_WINDOW)
        rows.append(
            (
                "AI Index 280-fold, annualised",
                float(annualised_factor(r["value"], yrs)),
                np.nan,
                np.nan,
                r["source"],
            )
        )
    return pd.DataFrame(rows, columns=["label", "value", "low", "high", "source"])
