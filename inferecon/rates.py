"""Growth-rate arithmetic: fold changes, factors per year, orders of magnitude and halving times.

One vocabulary for every trend in the package (after Epoch AI's convention): a quantity that
shrinks by a *factor per year* ``f`` falls by ``log10(f)`` *orders of magnitude per year* and
halves every ``12 * log(2) / log(f)`` *months*. All functions broadcast over numpy arrays.

The log-linear trend fit reproduces Epoch AI's method for LLM price trends
(https://epoch.ai/data-insights/llm-inference-price-trends): ordinary least squares of
``log10(value)`` on time in years of 365 days, with a two-sided Student-t confidence interval
on the slope (n - 2 degrees of freedom).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._validate import plain, renamed_parameters, require_in_range, require_positive

DAYS_PER_YEAR = 365.0
"""Length of a year for trend fits. Epoch AI's price-trend code divides day counts by 365;
using 365.25 changes fitted rates by about 0.2%."""

_EPOCH = pd.Timestamp("1970-01-01")

__all__ = [
    "DAYS_PER_YEAR",
    "TrendFit",
    "annualised_factor",
    "factor_per_year_to_halving_time_months",
    "factor_per_year_to_oom_per_year",
    "fit_log_linear_trend",
    "fold_decline",
    "halving_time_months_to_factor_per_year",
    "oom_per_year_to_factor_per_year",
    "years_between",
]


def fold_decline(start_value, end_value):
    """Fold decline from ``start_value`` to ``end_value`` (``start / end``).

    A price that goes from $20 to $0.07 per million tokens falls ``20 / 0.07 = 285.7``-fold
    (Stanford AI Index 2025: "over 280-fold"). Values below 1 mean the quantity rose.

    Parameters
    ----------
    start_value, end_value : float or array_like
        Positive values in the same unit (e.g. USD per million tokens).

    Returns
    -------
    float or numpy.ndarray
        Dimensionless fold decline.
    """
    start = require_positive("start_value", start_value)
    end = require_positive("end_value", end_value)
    return start / end


def years_between(start, end):
    """Years (of :data:`DAYS_PER_YEAR` days) from ``start`` to ``end``.

    Parameters
    ----------
    start, end : datetime-like or str
        Dates (anything :class:`pandas.Timestamp` accepts); only whole days count.

    Returns
    -------
    float
        ``(end - start).days / 365`` years; negative when ``end`` is before ``start``.

    Examples
    --------
    The AI Index window, 2022-11-30 to 2024-10-03, is 673 days:

    >>> round(years_between("2022-11-30", "2024-10-03"), 4)
    1.8438
    """
    days = (pd.Timestamp(end) - pd.Timestamp(start)).days
    return days / DAYS_PER_YEAR


@renamed_parameters(years="elapsed_years")
def annualised_factor(fold, elapsed_years):
    """Constant factor per year that compounds to ``fold`` over ``elapsed_years`` years.

    Parameters
    ----------
    fold : float or array_like
        Total fold change, > 0.
    elapsed_years : float or array_like
        Elapsed time in years, > 0.

    Returns
    -------
    float or numpy.ndarray
        ``fold ** (1 / elapsed_years)``.

    Examples
    --------
    The AI Index's 285.7-fold fall over the 673 days from 2022-11-30 to 2024-10-03 is about
    21.5x per year.

    >>> round(float(annualised_factor(20 / 0.07, 673 / 365)), 1)
    21.5
    """
    fold = require_positive("fold", fold)
    years = require_positive("elapsed_years", elapsed_years)
    return fold ** (1.0 / years)


def factor_per_year_to_oom_per_year(factor_per_year):
    """Orders of magnitude per year, ``log10(factor_per_year)``.

    Parameters
    ----------
    factor_per_year : float or array_like
        Factor per year, > 0 (10 means tenfold per year, i.e. 1 OOM/year).

    Returns
    -------
    float or numpy.ndarray
        Orders of magnitude per year (1/year); negative for a factor below 1.
    """
    f = require_positive("factor_per_year", factor_per_year)
    return np.log10(f)


def oom_per_year_to_factor_per_year(oom_per_year):
    """Factor per year, ``10 ** oom_per_year`` (inverse of :func:`factor_per_year_to_oom_per_year`).

    Parameters
    ----------
    oom_per_year : float or array_like
        Orders of magnitude per year, finite, in [-300, 300].

    Returns
    -------
    float or numpy.ndarray
        Dimensionless factor per year, > 0.
    """
    oom = require_in_range("oom_per_year", oom_per_year, -300.0, 300.0)
    return 10.0**oom


def factor_per_year_to_halving_time_months(factor_per_year):
    """Halving time in months of a quantity that falls by ``factor_per_year`` each year.

    Parameters
    ----------
    factor_per_year : float or array_like
        Decline factor per year, > 1 (a quantity that does not fall never halves).

    Returns
    -------
    float or numpy.ndarray
        ``12 * ln 2 / ln(factor_per_year)`` months. A tenfold-per-year decline halves every
        3.61 months.
    """
    f = np.asarray(factor_per_year, dtype=float)
    if np.any(~np.isfinite(f)) or np.any(f <= 1.0):
        bad = f[~(np.isfinite(f) & (f > 1.0))].ravel()[0]
        raise ValueError(
            f"factor_per_year must be finite and > 1 (valid range (1, inf)); got {plain(bad)!r}. "
            "A quantity that does not fall has no halving time."
        )
    out = 12.0 * np.log(2.0) / np.log(f)
    return out if out.ndim else float(out)


def halving_time_months_to_factor_per_year(halving_time_months):
    """Decline factor per year implied by a halving time in months, ``2 ** (12 / h)``.

    Parameters
    ----------
    halving_time_months : float or array_like
        Halving time in months, >= 0.05 (below that the factor overflows a float).

    Returns
    -------
    float or numpy.ndarray
        Dimensionless decline factor per year, > 1 (2 for a 12-month halving time).
    """
    h = require_in_range("halving_time_months", halving_time_months, 0.05, np.inf, low_open=False)
    return 2.0 ** (12.0 / h)


@dataclass(frozen=True)
class TrendFit:
    """Result of :func:`fit_log_linear_trend`.

    Attributes
    ----------
    slope_oom_per_year : float
        Fitted slope of log10(value) per year (negative for a falling quantity).
    intercept_log10 : float
        log10(value) at ``start``.
    ci90_oom_per_year : tuple of float
        Two-sided 90% confidence interval of the slope (Student t, n - 2 dof).
    r_squared : float
        Coefficient of determination of the log-linear fit.
    n_points : int
        Number of observations.
    start, end : pandas.Timestamp
        First and last observation dates.
    stderr_oom_per_year : float
        Standard error of the slope.
    mean_years : float
        Mean observation time in years since ``start``; the fitted line passes through
        (``mean_years``, mean log10 value).
    """

    slope_oom_per_year: float
    intercept_log10: float
    ci90_oom_per_year: tuple[float, float]
    r_squared: float
    n_points: int
    start: pd.Timestamp
    end: pd.Timestamp
    stderr_oom_per_year: float
    mean_years: float

    @property
    def growth_factor_per_year(self) -> float:
        """``10 ** slope``: the multiplicative change per year (< 1 for a decline)."""
        return float(10.0**self.slope_oom_per_year)

    def predict(self, dates) -> np.ndarray:
        """Fitted values at ``dates``.

        Parameters
        ----------
        dates : array_like of datetime-like
            Where to evaluate the trend.

        Returns
        -------
        numpy.ndarray
            ``10 ** (intercept + slope * t)``, in the unit of the fitted values (not logs).
        """
        years = _years_since(pd.DatetimeIndex(pd.to_datetime(dates)), self.start)
        return 10.0 ** (self.intercept_log10 + self.slope_oom_per_year * years)

    def slope_band(self, dates) -> tuple[np.ndarray, np.ndarray]:
        """Band swept by the trend line when its slope ranges over its confidence interval.

        Every line through the fit's centroid (``mean_years``, mean log10 value) with a slope
        in ``ci90_oom_per_year`` (the 90% interval unless the fit asked for another level)
        lies inside the band. It has zero width at the centroid and widens linearly in log
        space away from it: it shows the uncertainty of the *rate*, not a confidence band of
        the level or a prediction interval.

        Parameters
        ----------
        dates : array_like of datetime-like
            Where to evaluate the band.

        Returns
        -------
        low, high : numpy.ndarray
            Lower and upper edge at each date, in the unit of the fitted values (not logs).
        """
        years = _years_since(pd.DatetimeIndex(pd.to_datetime(dates)), self.start)
        y_mean = self.intercept_log10 + self.slope_oom_per_year * self.mean_years
        lo_s, hi_s = self.ci90_oom_per_year
        dy_lo, dy_hi = lo_s * (years - self.mean_years), hi_s * (years - self.mean_years)
        return 10 ** (y_mean + np.minimum(dy_lo, dy_hi)), 10 ** (y_mean + np.maximum(dy_lo, dy_hi))


def _years_since(dates: pd.DatetimeIndex, origin: pd.Timestamp) -> np.ndarray:
    return np.asarray((dates - origin).days, dtype=float) / DAYS_PER_YEAR


def fit_log_linear_trend(dates, values, confidence: float = 0.90) -> TrendFit:
    """Fit ``log10(value) = a + b * t`` by ordinary least squares, t in years.

    Parameters
    ----------
    dates : array_like of datetime-like
        Observation dates (any order); at least 3 and not all on one day.
    values : array_like of float
        Positive observed values (e.g. USD per million tokens).
    confidence : float, default 0.90
        Two-sided confidence level of the slope interval, in (0, 1).

    Returns
    -------
    TrendFit

    Notes
    -----
    This is Epoch AI's price-trend fit: OLS on log10 price against days / 365, with a t-based
    interval on the slope. Applied to Epoch's cheapest-model series it reproduces their 21
    published rates to within 0.01% (``tests/unit/test_epoch_reproduction.py``).
    """
    dt = pd.DatetimeIndex(pd.to_datetime(dates))
    y = np.log10(require_positive("values", np.asarray(values, dtype=float)))
    if y.ndim != 1 or len(dt) != len(y):
        raise ValueError(
            f"dates and values must be 1-D and the same length; got {len(dt)} and {y.size}"
        )
    require_in_range("confidence", confidence, 0.0, 1.0, low_open=True, high_open=True)
    n = len(y)
    if n < 3:
        raise ValueError(
            f"a trend with a confidence interval needs at least 3 points (n - 2 >= 1 degrees "
            f"of freedom); got n_points={n}"
        )
    start = dt.min()
    t = _years_since(dt, start)
    if np.ptp(t) == 0:
        raise ValueError("all observations fall on one day: the time trend is undefined")
    from scipy import stats  # imported on use: keeps `import inferecon` light

    res = stats.linregress(t, y)
    q = stats.t.ppf(0.5 + confidence / 2.0, n - 2)
    lo, hi = res.slope - q * res.stderr, res.slope + q * res.stderr
    return TrendFit(
        slope_oom_per_year=float(res.slope),
        intercept_log10=float(res.intercept),
        ci90_oom_per_year=(float(lo), float(hi)),
        r_squared=float(res.rvalue**2),
        n_points=int(n),
        start=start,
        end=dt.max(),
        stderr_oom_per_year=float(res.stderr),
        mean_years=float(np.mean(t)),
    )
