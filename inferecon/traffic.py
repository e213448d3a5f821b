"""Traffic that looks like traffic: load curves from traces or parameters, and requests drawn
from them with a trace's joint prompt and output lengths.

A :class:`LoadCurve` is a piecewise-constant arrival rate (requests/s per bin of ``bin_s``
seconds): measured from a trace's per-minute counts (:func:`trace_load_curve`) or built from a
daily volume, a peak-to-mean ratio and a diurnal shape (:func:`diurnal_load_curve`).
:class:`JointLengths` is a trace's joint (prompt, output) length distribution
(:func:`trace_lengths`). :func:`load_curve_requests` draws a request table that follows both
(a non-homogeneous Poisson process with piecewise-constant rates, optionally over-dispersed), the
same table :meth:`inferecon.Workload.requests` returns; :func:`load_curve_workload` wraps it for
:func:`inferecon.simulate_serving`.

Burstiness is stated two ways: the index of dispersion of per-minute counts (variance over mean
around each window's mean; 1 for a Poisson process) and the coefficient of variation of the
per-minute rate beyond Poisson noise, ``rate_cv = sqrt((D - 1) / mean)``, which does not change
when a trace is scaled to another volume (the generator's over-dispersion parameter).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ._validate import require_in_range, require_positive
from .datasets import load_traffic_lengths, load_traffic_minute_counts
from .workloads import Workload, trace_workload

__all__ = [
    "JointLengths",
    "LoadCurve",
    "diurnal_load_curve",
    "dispersion_index",
    "load_curve_requests",
    "load_curve_workload",
    "trace_lengths",
    "trace_load_curve",
    "traffic_summary",
]

DAY_S = 86_400.0
MAX_REQUESTS = 20_000_000
"""The most requests :func:`load_curve_requests` draws (a day at about 230 requests/s)."""


# --------------------------------------------------------------------------- load curves


@dataclass(frozen=True, eq=False)
class LoadCurve:
    """A piecewise-constant arrival rate: ``rate_per_s[i]`` requests/s over bin ``i``.

    Bin ``i`` covers ``[i * bin_s, (i + 1) * bin_s)`` seconds from the curve's start. Build one
    with :func:`trace_load_curve` or :func:`diurnal_load_curve`.
    """

    rate_per_s: np.ndarray = field(repr=False)
    bin_s: float
    source: str = ""
    rate_cv: float = math.nan
    """The trace's per-minute rate variation beyond Poisson noise (NaN when not measured)."""

    def __post_init__(self):
        rate = np.array(self.rate_per_s, dtype=float)  # a read-only copy: the curve is frozen
        rate.setflags(write=False)
        object.__setattr__(self, "rate_per_s", rate)

    @property
    def n_bins(self) -> int:
        """Number of bins."""
        return len(self.rate_per_s)

    @property
    def duration_s(self) -> float:
        """Length of the curve (s)."""
        return self.n_bins * self.bin_s

    @property
    def mean_rate_per_s(self) -> float:
        """Time-averaged arrival rate (requests/s)."""
        return float(np.mean(self.rate_per_s))

    @property
    def peak_to_mean(self) -> float:
        """Highest bin's rate over the mean rate (at this curve's ``bin_s``)."""
        return float(np.max(self.rate_per_s) / self.mean_rate_per_s)

    @property
    def requests(self) -> float:
        """Expected requests over the whole curve."""
        return float(np.sum(self.rate_per_s) * self.bin_s)

    @property
    def daily_requests(self) -> float:
        """The mean rate as requests per day."""
        return self.mean_rate_per_s * DAY_S

    def scaled(self, daily_requests: float) -> LoadCurve:
        """The same shape at another volume: the mean rate becomes ``daily_requests / 86400``.

        Parameters
        ----------
        daily_requests : float
            Requests per day at the mean rate, > 0.

        Returns
        -------
        LoadCurve
        """
        require_positive("daily_requests", daily_requests)
        rate = self.rate_per_s * (daily_requests / self.daily_requests)
        return LoadCurve(rate, self.bin_s, self.source, self.rate_cv)

    def resampled(self, bin_s: float) -> LoadCurve:
        """The mean rate over coarser bins of ``bin_s`` (a whole multiple of this ``bin_s``).

        A last group shorter than ``bin_s`` is dropped.

        Parameters
        ----------
        bin_s : float
            New bin width (s), a whole multiple of the current one, at most the curve's length.

        Returns
        -------
        LoadCurve
        """
        require_in_range("bin_s", bin_s, self.bin_s, self.duration_s)
        k = bin_s / self.bin_s
        if abs(k - round(k)) > 1e-9:
            raise ValueError(f"bin_s must be a whole multiple of {self.bin_s:g} s; got {bin_s!r}")
        k = round(k)
        n = self.n_bins // k
        rate = self.rate_per_s[: n * k].reshape(n, k).mean(axis=1)
        return LoadCurve(rate, float(bin_s), self.source, self.rate_cv)


def dispersion_index(counts, window: int = 60) -> float:
    """Index of dispersion of counts: their variance around each window's mean, over the mean.

    The counts (e.g. per minute) are cut into consecutive windows of ``window`` (a last, shorter
    window is kept); the pooled within-window variance (sum of squared deviations from each
    window's mean, over ``n - windows`` degrees of freedom) is divided by the overall mean. A
    Poisson process at a rate constant within each window gives 1; burstier traffic more.

    Parameters
    ----------
    counts : array-like of float
        Counts per interval (>= 0), at least two per window on average.
    window : int
        Intervals per window (>= 2); 60 with per-minute counts removes the hour-to-hour trend.

    Returns
    -------
    float
    """
    c = np.asarray(counts, dtype=float).ravel()
    w = require_in_range("window", window, 2, 1e9)
    if w != round(w):
        raise ValueError(f"window must be a whole number; got {window!r}")
    w = int(w)
    groups = math.ceil(len(c) / w) if len(c) else 0
    if len(c) - groups < 1:
        raise ValueError(f"counts must hold more values than windows; got {len(c)} values")
    if not np.all(np.isfinite(c) & (c >= 0)):
        raise ValueError("counts must be finite and >= 0 (valid range [0, inf))")
    if c.sum() <= 0:
        raise ValueError("counts must not all be 0")
    pad = np.full(groups * w, np.nan)
    pad[: len(c)] = c
    windows = pad.reshape(groups, w)
    dev = windows - np.nanmean(windows, axis=1, keepdims=True)
    return float(np.nansum(dev**2) / (len(c) - groups) / c.mean())


def _rate_cv(counts: np.ndarray, window: int) -> float:
    """Variation of the per-interval rate beyond Poisson noise: sqrt(max(D - 1, 0) / mean)."""
    d = dispersion_index(counts, window)
    return math.sqrt(max(d - 1.0, 0.0) / float(np.mean(counts)))


def trace_load_curve(
    trace: str | pd.DataFrame = "azure2023_conversation",
    counts: pd.DataFrame | None = None,
    bin_s: float = 60.0,
    drop_partial: bool = True,
    fold_days: bool = False,
) -> LoadCurve:
    """A trace's arrival rate, per minute or per coarser bin, with its measured burstiness.

    Parameters
    ----------
    trace : str or pandas.DataFrame
        A trace named in the per-minute counts (``azure2023_code``, ``azure2023_conversation``;
        the 2024 week-long traces when the table holds them), or a request table (e.g.
        :func:`inferecon.load_azure_llm_trace` of a full upstream file), counted per calendar
        minute of its ``timestamp`` column or, without one, per minute from its first
        ``arrival_s``.
    counts : pandas.DataFrame, optional
        Per-minute counts as :func:`inferecon.load_traffic_minute_counts` returns them; the
        bundled ones when omitted.
    bin_s : float
        Width of the curve's bins (s): 60 or a whole multiple of it (3600 for hourly rates).
    drop_partial : bool
        Leave out the first and last minute, which the trace's window cuts (their rates would
        read low).
    fold_days : bool
        Average the trace's days into one day from 00:00 on the trace's clock (each minute of
        the day the mean over the days that cover it): the diurnal shape of a multi-day trace.
        The trace must cover every minute of a day (the bundled 2023 traces cover an hour).

    Returns
    -------
    LoadCurve
        ``rate_cv`` is measured on the per-minute counts (before folding), around each hour's
        mean.
    """
    first = None  # the clock time of the first minute, where known
    if isinstance(trace, pd.DataFrame):
        if not len(trace) or not ({"arrival_s", "timestamp"} & set(trace.columns)):
            raise ValueError("trace must be a trace name or a request table with arrival_s")
        if "timestamp" in trace.columns:
            minute = pd.to_datetime(trace["timestamp"]).dt.floor("min")
            first = minute.min()
            index = ((minute - first) // pd.Timedelta(minutes=1)).to_numpy(np.int64)
        else:
            t = trace["arrival_s"].to_numpy(float)
            index = ((t - t.min()) // 60.0).astype(np.int64)
        per_min = np.bincount(index).astype(float)
        name = "request table"
    else:
        table = load_traffic_minute_counts() if counts is None else counts
        names = list(dict.fromkeys(table["trace"]))
        if trace not in names:
            raise ValueError(f"trace must be one of {names}; got {trace!r}")
        rows = table[table["trace"] == trace]
        per_min = rows["requests"].to_numpy(float)
        first = pd.Timestamp(rows["minute_start"].iloc[0])
        name = trace
    if drop_partial:
        per_min = per_min[1:-1]
        first = None if first is None else first + pd.Timedelta(minutes=1)
    if len(per_min) < 2:
        raise ValueError(f"trace must cover at least 2 complete minutes; {name} has {len(per_min)}")
    rate_cv = _rate_cv(per_min, 60)
    if fold_days:
        if first is None:
            raise ValueError(
                "fold_days needs the trace's clock: a trace name or a timestamp column"
            )
        of_day = (first.hour * 60 + first.minute + np.arange(len(per_min))) % 1440
        days = np.bincount(of_day, minlength=1440)
        if np.any(days == 0):
            raise ValueError(
                f"fold_days needs a trace covering every minute of a day; {name} covers "
                f"{np.count_nonzero(days)} of 1440"
            )
        per_min = np.bincount(of_day, weights=per_min, minlength=1440) / days
        name = f"{name}, days folded"
    curve = LoadCurve(per_min / 60.0, 60.0, name, rate_cv)
    if bin_s == 60.0:
        return curve
    return curve.resampled(bin_s)


def _stretch_exponent(base: np.ndarray, peak_to_mean: float) -> float:
    """The power g with max(base**g) / mean(base**g) == peak_to_mean (base > 0, max 1)."""
    from scipy.optimize import brentq  # not at import: ``import inferecon`` stays light

    def ratio(g):
        w = base**g
        return w.max() / w.mean()

    top = ratio(500.0)
    if peak_to_mean > top * (1 - 1e-9):
        raise ValueError(
            f"peak_to_mean must be in [1, {top:.4g}) for this shape and bin width; "
            f"got {peak_to_mean!r}"
        )
    if peak_to_mean <= ratio(0.0) + 1e-12:
        return 0.0
    return float(brentq(lambda g: ratio(g) - peak_to_mean, 0.0, 500.0, xtol=1e-12))


def diurnal_load_curve(
    daily_requests: float,
    peak_to_mean: float | None = None,
    peak_hour: float = 14.0,
    bin_s: float = 3600.0,
    shape=None,
) -> LoadCurve:
    """A day's arrival rate from a daily volume, a peak-to-mean ratio and a diurnal shape.

    Without ``shape`` the rate follows a von Mises curve around ``peak_hour``,
    ``rate ~ exp(k cos(2 pi (t - peak_hour) / 24 h))`` at each bin's midpoint, with ``k`` set so
    that the binned curve's peak over its mean is ``peak_to_mean`` (``k = 0`` is flat). With
    ``shape`` (one weight per bin of the day, e.g. a trace's hourly rates), the rate follows it;
    a ``peak_to_mean`` then stretches it as ``shape ** g`` (``g = 1`` keeps it as given).

    Parameters
    ----------
    daily_requests : float
        Requests over the day, > 0.
    peak_to_mean : float or None
        Highest bin's rate over the day's mean, >= 1 (up to what the bins allow). None: 2 for
        the von Mises day, a given ``shape`` as it is.
    peak_hour : float
        Hour of the peak, in [0, 24) (ignored with ``shape``).
    bin_s : float
        Bin width (s), dividing the day into a whole number of bins, in [1, 86400] (ignored
        with ``shape``, whose length sets it).
    shape : array-like of float, optional
        Weights of the day's equal bins (>= 0, not all 0, 1 to 86400 of them).

    Returns
    -------
    LoadCurve
    """
    require_positive("daily_requests", daily_requests)
    if shape is None:
        require_in_range("peak_hour", peak_hour, 0.0, 24.0, high_open=True)
        require_in_range("bin_s", bin_s, 1.0, DAY_S)
        n = DAY_S / bin_s
        if abs(n - round(n)) > 1e-9:
            raise ValueError(f"bin_s must divide the day (86400 s) into whole bins; got {bin_s!r}")
        n = round(n)
        mid_h = (np.arange(n) + 0.5) * bin_s / 3600.0
        base = np.exp(np.cos(2 * np.pi * (mid_h - peak_hour) / 24.0) - 1.0)
        ptm = 2.0 if peak_to_mean is None else peak_to_mean
        source = f"von Mises day, peak at {peak_hour:g} h"
    else:
        base = np.asarray(shape, dtype=float).ravel()
        if not 1 <= len(base) <= DAY_S:
            raise ValueError(f"shape must hold 1 to 86400 weights; got {len(base)}")
        if not np.all(np.isfinite(base) & (base >= 0)) or base.max() <= 0:
            raise ValueError("shape must be finite, >= 0 and not all 0 (valid range [0, inf))")
        base = base / base.max()
        bin_s = DAY_S / len(base)
        ptm = peak_to_mean
        source = "given day shape"
    if ptm is None:
        weights = base
    else:
        require_in_range("peak_to_mean", ptm, 1.0, 1e6)
        if np.any(base == 0):
            raise ValueError("shape must be > 0 in every bin to be stretched to a peak_to_mean")
        weights = base ** _stretch_exponent(base, float(ptm))
    rate = weights / weights.mean() * (daily_requests / DAY_S)
    return LoadCurve(rate, float(bin_s), source)


# --------------------------------------------------------------------------- lengths


@dataclass(frozen=True, eq=False)
class JointLengths:
    """A joint (prompt, output) length distribution: counts in cells of a prompt bin by an
    output bin, each bin ``[low, high)`` tokens. Build one with :func:`trace_lengths`.

    :meth:`sample` picks a cell in proportion to its count, then a length in each bin
    log-uniformly (a bin of width 1 gives its length exactly).
    """

    prompt_low: np.ndarray = field(repr=False)
    prompt_high: np.ndarray = field(repr=False)
    output_low: np.ndarray = field(repr=False)
    output_high: np.ndarray = field(repr=False)
    requests: np.ndarray = field(repr=False)
    source: str = ""

    @property
    def n_requests(self) -> int:
        """Requests counted."""
        return int(self.requests.sum())

    def sample(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """``n`` (prompt, output) pairs: two int64 arrays of tokens, each >= 1."""
        n = int(require_in_range("n", n, 0, MAX_REQUESTS))
        cdf = np.cumsum(self.requests, dtype=float)
        cell = np.minimum(np.searchsorted(cdf, rng.random(n) * cdf[-1], side="right"),
                          len(cdf) - 1)  # fmt: skip
        u = rng.random((2, n))
        prompt = _log_uniform(self.prompt_low[cell], self.prompt_high[cell], u[0])
        output = _log_uniform(self.output_low[cell], self.output_high[cell], u[1])
        return prompt, output

    def quantile(self, p, column: str = "prompt_tokens"):
        """The ``p``-quantile of prompt or output length, interpolated log-uniformly in its bin.

        Exact to within the bin (each length up to 16, then about 9 % wide in the bundled
        histograms).

        Parameters
        ----------
        p : float or array-like
            Probabilities in [0, 1].
        column : str
            ``"prompt_tokens"`` or ``"output_tokens"``.

        Returns
        -------
        float or numpy.ndarray
            Tokens (float).
        """
        pa = np.asarray(require_in_range("p", p, 0.0, 1.0), dtype=float)
        low, high = self._marginal_bins(column)
        counts = self._marginal_counts(column, low)
        cdf = np.cumsum(counts) / counts.sum()
        i = np.minimum(np.searchsorted(cdf, pa, side="left"), len(cdf) - 1)
        before = np.where(i > 0, cdf[np.maximum(i - 1, 0)], 0.0)
        frac = np.clip((pa - before) / (cdf[i] - before), 0.0, 1.0)
        lo, hi = low[i].astype(float), high[i].astype(float)
        q = np.where(hi - lo <= 1, lo, lo * (hi / lo) ** frac)
        return float(q) if q.ndim == 0 else q

    def _marginal_bins(self, column: str):
        if column not in ("prompt_tokens", "output_tokens"):
            raise ValueError(f"column must be 'prompt_tokens' or 'output_tokens'; got {column!r}")
        lo, hi = (self.prompt_low, self.prompt_high) if column == "prompt_tokens" else (
            self.output_low, self.output_high)  # fmt: skip
        edges = pd.DataFrame({"lo": lo, "hi": hi}).drop_duplicates("lo").sort_values("lo")
        return edges["lo"].to_numpy(), edges["hi"].to_numpy()

    def _marginal_counts(self, column: str, low: np.ndarray) -> np.ndarray:
        lo = self.prompt_low if column == "prompt_tokens" else self.output_low
        return np.bincount(np.searchsorted(low, lo), weights=self.requests, minlength=len(low))


def _log_uniform(low: np.ndarray, high: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Whole numbers in [low, high) drawn log-uniformly (u uniform on [0, 1))."""
    lo, hi = low.astype(float), high.astype(float)
    x = np.floor(lo * (hi / lo) ** u)
    return np.clip(x, lo, hi - 1).astype(np.int64)


def trace_lengths(
    trace: str | pd.DataFrame = "azure2023_conversation", table: pd.DataFrame | None = None
) -> JointLengths:
    """A trace's joint prompt and output length distribution.

    Parameters
    ----------
    trace : str or pandas.DataFrame
        A trace named in the length histograms (``azure2023_code``,
        ``azure2023_conversation``), or a request table with ``prompt_tokens`` and
        ``output_tokens`` (e.g. a full upstream trace from
        :func:`inferecon.load_azure_llm_trace`), kept exactly (one cell per distinct pair;
        lengths of 0 count as 1).
    table : pandas.DataFrame, optional
        Histograms as :func:`inferecon.load_traffic_lengths` returns them; the bundled ones
        when omitted.

    Returns
    -------
    JointLengths
    """
    if isinstance(trace, pd.DataFrame):
        if not {"prompt_tokens", "output_tokens"} <= set(trace.columns) or not len(trace):
            raise ValueError(
                "trace must be a trace name or a request table with prompt_tokens and output_tokens"
            )
        pairs = np.maximum(trace[["prompt_tokens", "output_tokens"]].to_numpy(np.int64), 1)
        cells, counts = np.unique(pairs, axis=0, return_counts=True)
        p, o = cells[:, 0], cells[:, 1]
        return JointLengths(p, p + 1, o, o + 1, counts.astype(np.int64), "request table")
    hist = load_traffic_lengths() if table is None else table
    names = list(dict.fromkeys(hist["trace"]))
    if trace not in names:
        raise ValueError(f"trace must be one of {names}; got {trace!r}")
    h = hist[hist["trace"] == trace]
    cols = ("prompt_low", "prompt_high", "output_low", "output_high", "requests")
    return JointLengths(*(h[c].to_numpy(np.int64) for c in cols), source=trace)


# --------------------------------------------------------------------------- summary


def traffic_summary(
    counts: pd.DataFrame | None = None, lengths: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Each trace's volume, peak-to-mean, burstiness and length quantiles.

    Parameters
    ----------
    counts, lengths : pandas.DataFrame, optional
        Per-minute counts and length histograms (the bundled ones when omitted).

    Returns
    -------
    pandas.DataFrame
        One row per trace: ``minutes`` (complete minutes), ``requests`` (all),
        ``mean_rate_per_s``, ``peak_to_mean`` (of the complete minutes' rates),
        ``dispersion_index`` (of per-minute counts, around each hour's mean), ``rate_cv``,
        and the 10th, 50th and 90th percentile of ``prompt_tokens`` and ``output_tokens``
        (to within their bin).
    """
    counts = load_traffic_minute_counts() if counts is None else counts
    lengths = load_traffic_lengths() if lengths is None else lengths
    rows = []
    for name in dict.fromkeys(counts["trace"]):
        c = trace_load_curve(name, counts)
        per_min = c.rate_per_s * 60.0
        row = {
            "trace": name,
            "minutes": c.n_bins,
            "requests": int(counts.loc[counts["trace"] == name, "requests"].sum()),
            "mean_rate_per_s": c.mean_rate_per_s,
            "peak_to_mean": c.peak_to_mean,
            "dispersion_index": dispersion_index(per_min, 60),
            "rate_cv": c.rate_cv,
        }
        if name in set(lengths["trace"]):
            j = trace_lengths(name, lengths)
            for col in ("prompt_tokens", "output_tokens"):
                q = j.quantile([0.1, 0.5, 0.9], col)
                row.update({f"{col}_p10": q[0], f"{col}_p50": q[1], f"{col}_p90": q[2]})
        rows.append(row)
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- generator


def load_curve_requests(
    curve: LoadCurve, lengths: JointLengths, seed: int = 0, rate_cv: float = 0.0
) -> pd.DataFrame:
    """Requests that follow a load curve, with lengths drawn from a joint distribution.

    Arrivals are a non-homogeneous Poisson process with the curve's piecewise-constant rate:
    each minute (or each bin, when bins are shorter than a minute or not whole minutes) gets a
    Poisson count at its expected value, spread uniformly over it. With ``rate_cv > 0`` each of
    those minutes' rates is first multiplied by an independent gamma factor of mean 1 and
    coefficient of variation ``rate_cv`` (a gamma-Poisson mixture: counts have variance
    ``mu + (rate_cv * mu) ** 2``), the over-dispersion a trace's ``LoadCurve.rate_cv`` measures.
    Same ``seed``, same table.

    Parameters
    ----------
    curve : LoadCurve
        The rate to follow (at most 20 million expected requests).
    lengths : JointLengths
        Prompt and output lengths, drawn jointly per request.
    seed : int
        Seed of the random draws.
    rate_cv : float
        Over-dispersion of per-minute rates, in [0, 10] (0: Poisson).

    Returns
    -------
    pandas.DataFrame
        ``arrival_s`` (s from the curve's start, sorted), ``prompt_tokens``,
        ``output_tokens`` (int64, >= 1): the columns of :meth:`inferecon.Workload.requests`.
    """
    if not isinstance(curve, LoadCurve):
        raise ValueError(f"curve must be a LoadCurve; got {type(curve).__name__}")
    if not isinstance(lengths, JointLengths):
        raise ValueError(f"lengths must be a JointLengths; got {type(lengths).__name__}")
    require_in_range("rate_cv", rate_cv, 0.0, 10.0)
    if curve.requests > MAX_REQUESTS:
        raise ValueError(
            f"curve must expect at most {MAX_REQUESTS:,} requests (valid range (0, "
            f"{MAX_REQUESTS:g}]); got {curve.requests:,.0f}"
        )
    k = round(curve.bin_s / 60.0)
    sub = k >= 1 and abs(curve.bin_s - 60.0 * k) < 1e-9
    step = 60.0 if sub else curve.bin_s
    rate = np.repeat(curve.rate_per_s, k) if sub else np.asarray(curve.rate_per_s, float)
    rng = np.random.default_rng(seed)
    mu = rate * step
    if rate_cv > 0:
        shape = 1.0 / rate_cv**2
        mu = mu * rng.gamma(shape, 1.0 / shape, len(mu))
    n = rng.poisson(mu)
    arrival = np.sort(np.repeat(np.arange(len(n)) * step, n) + rng.random(n.sum()) * step)
    prompt, output = lengths.sample(len(arrival), rng)
    return pd.DataFrame({"arrival_s": arrival, "prompt_tokens": prompt, "output_tokens": output})


def load_curve_workload(
    curve: LoadCurve, lengths: JointLengths, seed: int = 0, rate_cv: float = 0.0
) -> Workload:
    """:func:`load_curve_requests` as a trace :class:`inferecon.Workload` for the simulator.

    The workload replays the drawn table (its ``requests(seed)`` ignores the seed, as a
    trace's does, and starts the clock at the first arrival).

    Parameters
    ----------
    curve : LoadCurve
        The rate to follow.
    lengths : JointLengths
        Prompt and output lengths.
    seed : int
        Seed of the draws.
    rate_cv : float
        Over-dispersion of per-minute rates, in [0, 10].

    Returns
    -------
    Workload
    """
    return trace_workload(load_curve_requests(curve, lengths, seed, rate_cv))
