"""Hardware trends: how fast accelerators get cheaper per FLOP/s and more FLOP/s per watt.

Price-performance (FLOP/s per dollar of launch price) and energy efficiency (FLOP/s per watt
of TDP) of the accelerators in ``data/accelerators.csv`` (mostly Epoch AI's Machine Learning
Hardware data, CC BY 4.0), fitted against release date with Epoch AI's log-linear method
(:func:`inferecon.fit_log_linear_trend`: OLS of log10 on years, 90% t-interval on the slope).

The rate depends on what is compared: the precision (FP32 on every chip, or the 16-bit, FP8 and
FP4 tensor formats that only newer chips have) and which chips are included (data-centre parts
only, which rarely have a published price; or consumer and workstation cards too, whose launch
prices are public). :func:`hardware_trend_table` lays those choices side by side, the way
notebook 01 shows the price decline's sensitivity to its threshold and window.

Published reference points (``data/published_rates.csv``): the Stanford AI Index 2025 reports
ML hardware costs falling 30% a year and energy efficiency rising 40% a year, from Epoch AI's
hardware data; Epoch's own data insights say hardware at a given precision gets 30% cheaper per
FLOP/s each year and leading hardware 50% more energy-efficient.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._validate import require_in_range
from .rates import TrendFit, _years_since, fit_log_linear_trend

__all__ = [
    "HARDWARE_METRICS",
    "HardwareTrend",
    "TREND_PRECISIONS",
    "accelerator_metric",
    "fit_hardware_trend",
    "hardware_trend_table",
    "published_hardware_rates",
    "select_accelerators",
]

TREND_PRECISIONS: dict[str, str] = {
    "fp32": "fp32_tflops",
    "bf16": "bf16_tflops",
    "fp8": "fp8_tflops",
    "fp4": "fp4_tflops",
}
"""Precision names and their ``data/accelerators.csv`` columns (dense TFLOP/s). ``bf16`` is
the 16-bit tensor (matrix) rate, FP16 or BF16."""

HARDWARE_METRICS: dict[str, str] = {
    "price_performance": "FLOP/s per USD of launch price",
    "energy_efficiency": "FLOP/s per W of TDP",
}
"""The two trend metrics and their units."""


def _check_metric(metric: str) -> str:
    if metric not in HARDWARE_METRICS:
        raise ValueError(f"metric must be one of {sorted(HARDWARE_METRICS)}; got {metric!r}")
    return metric


def _check_precision(precision: str) -> str:
    p = str(precision).lower()
    if p not in TREND_PRECISIONS:
        raise ValueError(f"precision must be one of {list(TREND_PRECISIONS)}; got {precision!r}")
    return p


def accelerator_metric(accelerators: pd.DataFrame, metric: str, precision: str) -> pd.Series:
    """Price-performance or energy efficiency of each accelerator at one precision.

    Parameters
    ----------
    accelerators : pandas.DataFrame
        Rows in the schema of ``data/accelerators.csv`` (:func:`inferecon.load_accelerators`).
    metric : {"price_performance", "energy_efficiency"}
        FLOP/s per USD of launch price (nominal dollars), or FLOP/s per W of TDP.
    precision : {"fp32", "bf16", "fp8", "fp4"}
        Which dense peak: non-tensor FP32 or the 16-bit, FP8 or FP4 tensor rate.

    Returns
    -------
    pandas.Series
        FLOP/s per USD or per W, indexed like ``accelerators``; NaN where the chip has no
        figure at that precision, no price or no TDP (these rows cannot enter a fit).
    """
    _check_metric(metric)
    col = TREND_PRECISIONS[_check_precision(precision)]
    flops = accelerators[col].astype(float) * 1e12
    denom = accelerators["launch_usd" if metric == "price_performance" else "tdp_w"].astype(float)
    return (flops / denom).rename(f"{metric}_{precision}")


def select_accelerators(
    accelerators: pd.DataFrame,
    *,
    segments=None,
    vendors=None,
    price_kinds=None,
    start=None,
    end=None,
) -> pd.DataFrame:
    """A subset of the accelerator table: which chips a trend includes.

    Parameters
    ----------
    accelerators : pandas.DataFrame
        Rows of ``data/accelerators.csv``.
    segments : sequence of str, optional
        Any of ``"datacenter"``, ``"workstation"``, ``"consumer"`` (all when omitted).
    vendors : sequence of str, optional
        Vendors to keep (e.g. ``["NVIDIA"]``); all when omitted.
    price_kinds : sequence of str, optional
        Keep only rows whose price is of these kinds (e.g. ``["launch"]`` to leave out analyst
        estimates and reseller listings); rows without a price are kept for energy efficiency.
    start, end : date-like, optional
        Release-date window (inclusive).

    Returns
    -------
    pandas.DataFrame
        The kept rows.
    """
    df = accelerators
    keep = np.ones(len(df), dtype=bool)
    if segments is not None:
        keep &= df["segment"].isin(list(segments)).to_numpy()
    if vendors is not None:
        keep &= df["vendor"].isin(list(vendors)).to_numpy()
    if price_kinds is not None:
        keep &= (df["price_kind"].isna() | df["price_kind"].isin(list(price_kinds))).to_numpy()
    if start is not None:
        keep &= (df["release_date"] >= pd.Timestamp(start)).to_numpy()
    if end is not None:
        keep &= (df["release_date"] <= pd.Timestamp(end)).to_numpy()
    return df[keep]


@dataclass(frozen=True)
class HardwareTrend:
    """A fitted hardware trend (:func:`fit_hardware_trend`).

    Attributes
    ----------
    metric, precision : str
        What was fitted.
    fit : TrendFit
        The log-linear fit (slope in orders of magnitude per year, 90% interval).
    points : pandas.DataFrame
        ``name``, ``release_date`` and ``value`` of the accelerators in the fit.
    """

    metric: str
    precision: str
    fit: TrendFit
    points: pd.DataFrame

    @property
    def factor_per_year(self) -> float:
        """Multiplicative change per year (1.4 = +40% a year)."""
        return self.fit.growth_factor_per_year

    @property
    def factor_per_year_ci90(self) -> tuple[float, float]:
        """90% confidence interval of the factor per year."""
        lo, hi = self.fit.ci90_oom_per_year
        return float(10.0**lo), float(10.0**hi)

    @property
    def percent_per_year(self) -> float:
        """Change per year in percent (+40 = 40% more each year)."""
        return (self.factor_per_year - 1.0) * 100.0

    @property
    def doubling_time_years(self) -> float:
        """Years to double: ``log(2) / log(factor)``; ``inf`` when the metric does not grow."""
        f = self.factor_per_year
        return float(np.log(2.0) / np.log(f)) if f > 1.0 else float("inf")

    @property
    def halving_time_years(self) -> float:
        """Years to halve, for a falling metric: ``log(2) / -log(factor)``; ``inf`` otherwise."""
        f = self.factor_per_year
        return float(np.log(2.0) / -np.log(f)) if f < 1.0 else float("inf")

    def describe_time(self) -> str:
        """ "doubling every X years" or "halving every X years" (or "flat")."""
        if self.factor_per_year > 1.0:
            return f"doubling every {self.doubling_time_years:.1f} years"
        if self.factor_per_year < 1.0:
            return f"halving every {self.halving_time_years:.1f} years"
        return "flat"  # pragma: no cover - an exactly zero slope

    def line_at_rate(self, factor_per_year, dates) -> np.ndarray:
        """A line at another rate through the fit's centroid, to set a published rate beside it.

        The line that changes by ``factor_per_year`` each year and passes through the point
        every line of :meth:`inferecon.TrendFit.slope_band` passes through (the mean release
        date, the mean log10 value): the fitted line when ``factor_per_year`` is
        :attr:`factor_per_year`.

        Parameters
        ----------
        factor_per_year : float
            Multiplicative change per year (1.4 = +40% a year), > 0.
        dates : array_like of datetime-like
            Where to evaluate the line.

        Returns
        -------
        numpy.ndarray
            Values at ``dates``, in the metric's unit (FLOP/s per USD or per W).
        """
        f = float(require_in_range("factor_per_year", factor_per_year, 0.0, np.inf,
                                   low_open=True, high_open=True))  # fmt: skip
        fit = self.fit
        years = _years_since(pd.DatetimeIndex(pd.to_datetime(dates)), fit.start)
        y_mean = fit.intercept_log10 + fit.slope_oom_per_year * fit.mean_years
        return 10.0 ** (y_mean + np.log10(f) * (years - fit.mean_years))

    @property
    def years_spanned(self) -> float:
        """Years between the first and last release date in the fit."""
        return (self.fit.end - self.fit.start).days / 365.0


def fit_hardware_trend(
    accelerators: pd.DataFrame,
    metric: str = "price_performance",
    precision: str = "bf16",
    *,
    confidence: float = 0.90,
) -> HardwareTrend:
    """Fit price-performance or energy efficiency against release date (log-linear, Epoch's way).

    Parameters
    ----------
    accelerators : pandas.DataFrame
        Rows of ``data/accelerators.csv``, already subset (:func:`select_accelerators`).
    metric : {"price_performance", "energy_efficiency"}
        See :func:`accelerator_metric`.
    precision : {"fp32", "bf16", "fp8", "fp4"}
        Which peak.
    confidence : float
        Two-sided confidence level of the slope interval, in (0, 1).

    Returns
    -------
    HardwareTrend

    Raises
    ------
    ValueError
        When fewer than 3 accelerators have the figures the metric needs (saying how many).
    """
    require_in_range("confidence", confidence, 0.0, 1.0, low_open=True, high_open=True)
    values = accelerator_metric(accelerators, metric, precision)
    ok = values.notna().to_numpy() & (values.to_numpy() > 0)
    n = int(ok.sum())
    if n < 3:
        need = "a launch price and " if metric == "price_performance" else "a TDP and "
        raise ValueError(
            f"a {metric} trend at {precision} needs at least 3 accelerators with {need}"
            f"a {precision} figure; the selection has {n}"
        )
    pts = pd.DataFrame(
        {
            "name": accelerators["name"].to_numpy()[ok],
            "release_date": accelerators["release_date"].to_numpy()[ok],
            "value": values.to_numpy()[ok],
        }
    )
    fit = fit_log_linear_trend(pts["release_date"], pts["value"], confidence=confidence)
    return HardwareTrend(metric=metric, precision=precision, fit=fit, points=pts)


def hardware_trend_table(
    accelerators: pd.DataFrame,
    subsets: dict[str, dict] | None = None,
    metrics=("price_performance", "energy_efficiency"),
    precisions=("fp32", "bf16", "fp8", "fp4"),
) -> pd.DataFrame:
    """Fitted rates for every (metric, precision, subset of chips): how much the choice matters.

    Parameters
    ----------
    accelerators : pandas.DataFrame
        Rows of ``data/accelerators.csv``.
    subsets : dict of str to dict, optional
        Named keyword sets for :func:`select_accelerators`. Default: all chips; data-centre
        only; NVIDIA only; launch prices only (no analyst estimates or reseller listings);
        released 2016 or later.
    metrics, precisions : sequences of str
        What to fit.

    Returns
    -------
    pandas.DataFrame
        One row per (metric, precision, subset): ``n_points``, ``first``, ``last`` (release
        years), ``factor_per_year`` with ``ci90_low``/``ci90_high``, ``percent_per_year``,
        ``doubling_time_years`` and ``note`` (why a row has no fit: fewer than 3 points).
    """
    if subsets is None:
        subsets = {
            "all chips": {},
            "data-centre only": {"segments": ["datacenter"]},
            "NVIDIA only": {"vendors": ["NVIDIA"]},
            "launch prices only": {"price_kinds": ["launch"]},
            "released 2016 or later": {"start": "2016-01-01"},
        }
    rows = []
    for metric in metrics:
        for precision in precisions:
            for label, kw in subsets.items():
                sel = select_accelerators(accelerators, **kw)
                row = {"metric": metric, "precision": precision, "chips": label}
                try:
                    t = fit_hardware_trend(sel, metric, precision)
                except ValueError:
                    n = int(accelerator_metric(sel, metric, precision).notna().sum())
                    row.update(n_points=n, note=f"no fit: {n} point(s), a fit needs 3")
                    rows.append(row)
                    continue
                lo, hi = t.factor_per_year_ci90
                row.update(
                    n_points=t.fit.n_points,
                    first=t.fit.start.year,
                    last=t.fit.end.year,
                    factor_per_year=t.factor_per_year,
                    ci90_low=lo,
                    ci90_high=hi,
                    percent_per_year=t.percent_per_year,
                    doubling_time_years=t.doubling_time_years,
                    note="",
                )
                rows.append(row)
    cols = ["metric", "precision", "chips", "n_points", "first", "last", "factor_per_year",
            "ci90_low", "ci90_high", "percent_per_year", "doubling_time_years", "note"]  # fmt: skip
    out = pd.DataFrame(rows).reindex(columns=cols)
    for c in ("first", "last"):
        out[c] = out[c].astype("Int64")
    return out


def published_hardware_rates(published_rates: pd.DataFrame) -> pd.DataFrame:
    """The AI Index 2025's hardware rates as factors per year, comparable with the fits.

    A cost that falls ``d`` a year is a price-performance that grows ``1 / (1 - d)`` a year
    (-30% a year is x1.43); an efficiency that rises ``g`` a year grows ``1 + g`` (+40% a year
    is x1.40).

    Parameters
    ----------
    published_rates : pandas.DataFrame
        ``data/published_rates.csv`` as loaded (:func:`inferecon.load_published_rates`).

    Returns
    -------
    pandas.DataFrame
        ``metric``, ``published`` (the wording), ``factor_per_year``,
        ``doubling_time_years``, ``source`` and ``source_url``.
    """
    cost = published_rates.loc["ai_index_2025_hardware_cost_decline"]
    eff = published_rates.loc["ai_index_2025_energy_efficiency_gain"]
    f_cost = 1.0 / (1.0 - float(cost["value"]))
    f_eff = 1.0 + float(eff["value"])
    return pd.DataFrame(
        {
            "metric": ["price_performance", "energy_efficiency"],
            "published": [
                f"hardware cost -{float(cost['value']):.0%} a year",
                f"energy efficiency +{float(eff['value']):.0%} a year",
            ],
            "factor_per_year": [f_cost, f_eff],
            "doubling_time_years": [np.log(2) / np.log(f_cost), np.log(2) / np.log(f_eff)],
            "source": [cost["source"], eff["source"]],
            "source_url": [cost["source_url"], eff["source_url"]],
        }
    )
