"""Rate conversions: golden numbers from the sources, properties, bad input."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import inferecon as ie

factors = st.floats(min_value=1.0001, max_value=1e6, allow_nan=False)
ooms = st.floats(min_value=-50, max_value=50, allow_nan=False)


def test_ai_index_fold_decline():
    # Stanford AI Index 2025: "$20 to $0.07 per million tokens ... over 280-fold"
    assert ie.fold_decline(20.0, 0.07) == pytest.approx(285.714, rel=1e-4)


def test_annualised_factor_of_ai_index_window():
    # 2022-11-30 to 2024-10-03 is 673 days; 285.7-fold over it is 21.5x per year
    years = ie.years_between("2022-11-30", "2024-10-03")
    assert years == pytest.approx(673 / 365)
    assert ie.annualised_factor(20 / 0.07, years) == pytest.approx(21.477, rel=1e-4)


def test_tenfold_per_year_halves_every_3_6_months():
    # a16z "LLMflation": 10x per year. 12 * ln 2 / ln 10 = 3.6124 months.
    assert ie.factor_per_year_to_halving_time_months(10.0) == pytest.approx(3.6124, rel=1e-4)
    assert ie.factor_per_year_to_oom_per_year(10.0) == pytest.approx(1.0)
    assert ie.halving_time_months_to_factor_per_year(12.0) == pytest.approx(2.0)


@given(factors)
def test_factor_oom_round_trip(f):
    assert ie.oom_per_year_to_factor_per_year(ie.factor_per_year_to_oom_per_year(f)) == (
        pytest.approx(f, rel=1e-9)
    )


@given(factors)
def test_factor_halving_round_trip(f):
    h = ie.factor_per_year_to_halving_time_months(f)
    assert h > 0
    assert ie.halving_time_months_to_factor_per_year(h) == pytest.approx(f, rel=1e-7)


@given(factors, factors)
def test_faster_decline_halves_sooner(f1, f2):
    lo, hi = sorted((f1, f2))
    if hi / lo < 1 + 1e-9:  # indistinguishable in floating point
        return
    assert ie.factor_per_year_to_halving_time_months(hi) < (
        ie.factor_per_year_to_halving_time_months(lo)
    )
    assert ie.factor_per_year_to_oom_per_year(hi) > ie.factor_per_year_to_oom_per_year(lo)


@given(ooms)
def test_oom_monotone_and_positive(o):
    assert ie.oom_per_year_to_factor_per_year(o) > 0
    assert ie.oom_per_year_to_factor_per_year(o + 0.5) > ie.oom_per_year_to_factor_per_year(o)


def test_vectorised_conversions():
    f = np.array([2.0, 10.0, 100.0])
    h = ie.factor_per_year_to_halving_time_months(f)
    assert h.shape == (3,)
    np.testing.assert_allclose(ie.halving_time_months_to_factor_per_year(h), f)


@pytest.mark.parametrize(
    "call, param",
    [
        (lambda: ie.fold_decline(0, 1), "start_value"),
        (lambda: ie.fold_decline(1, -2), "end_value"),
        (lambda: ie.factor_per_year_to_halving_time_months(0.5), "factor_per_year"),
        (lambda: ie.factor_per_year_to_halving_time_months(1.0), "factor_per_year"),
        (lambda: ie.factor_per_year_to_oom_per_year(-1), "factor_per_year"),
        (lambda: ie.halving_time_months_to_factor_per_year(0), "halving_time_months"),
        (lambda: ie.annualised_factor(10, 0), "years"),
        (lambda: ie.fold_decline(float("nan"), 1), "start_value"),
        (lambda: ie.fold_decline("abc", 1), "start_value"),
    ],
)
def test_bad_input_names_the_parameter(call, param):
    with pytest.raises(ValueError, match=param):
        call()


def test_trend_fit_recovers_exact_exponential():
    dates = pd.to_datetime(["2022-01-01", "2022-07-01", "2023-01-01", "2024-01-01"])
    years = (dates - dates[0]).days / 365.0
    values = 50.0 * 10 ** (-1.3 * years)
    fit = ie.fit_log_linear_trend(dates, values)
    assert fit.slope_oom_per_year == pytest.approx(-1.3)
    assert fit.r_squared == pytest.approx(1.0)
    assert fit.ci90_oom_per_year[0] == pytest.approx(-1.3, abs=1e-9)
    np.testing.assert_allclose(fit.predict(dates), values, rtol=1e-9)


def test_trend_fit_ci_matches_student_t():
    # Noisy data: the 90% CI half-width is t_{0.95, n-2} * stderr.
    from scipy import stats

    rng = np.random.default_rng(0)
    dates = pd.date_range("2023-01-01", periods=8, freq="60D")
    values = 10 ** (1 - 0.9 * np.arange(8) * 60 / 365 + rng.normal(0, 0.1, 8))
    fit = ie.fit_log_linear_trend(dates, values)
    half = stats.t.ppf(0.95, 6) * fit.stderr_oom_per_year
    lo, hi = fit.ci90_oom_per_year
    assert (hi - lo) / 2 == pytest.approx(half)
    assert lo < fit.slope_oom_per_year < hi


def test_trend_fit_rejects_too_few_points_and_one_day():
    with pytest.raises(ValueError, match="n_points=2"):
        ie.fit_log_linear_trend(["2023-01-01", "2024-01-01"], [2.0, 1.0])
    with pytest.raises(ValueError, match="one day"):
        ie.fit_log_linear_trend(["2023-01-01"] * 3, [3.0, 2.0, 1.0])
    with pytest.raises(ValueError, match="values"):
        ie.fit_log_linear_trend(["2023-01-01", "2023-02-01", "2023-03-01"], [1.0, 0.0, 2.0])
    with pytest.raises(ValueError, match="confidence"):
        ie.fit_log_linear_trend(["2023-01-01", "2023-02-01", "2023-03-01"], [3, 2, 1], 1.0)


def test_days_per_year_is_epochs_convention():
    assert ie.DAYS_PER_YEAR == 365.0
    assert math.isclose(ie.years_between("2023-01-01", "2024-01-01"), 1.0)


def test_slope_band_by_hand():
    # Three points a year (365 days) apart, log10 values y = 2, 1, 0.5 at t = 0, 1, 2 years.
    # By hand: t_mean = 1, y_mean = 3.5 / 3 = 1.166667, Sxx = 2, Sxy = -1.5, slope = -0.75;
    # residuals 1/12, -1/6, 1/12, SSE = 1/24, s^2 = SSE / (n - 2) = 1/24,
    # stderr = sqrt(s^2 / Sxx) = sqrt(1/48) = 0.1443376; with 1 degree of freedom the t
    # distribution is Cauchy, so t_0.95 = tan(0.45 pi) = 6.3137515; half-width 0.9113115,
    # CI (-1.6613115, 0.1613115). At t = 0 (t - t_mean = -1): low = y_mean - 0.1613115,
    # high = y_mean + 1.6613115; at t = 3 (+2): low = y_mean - 3.3226231,
    # high = y_mean + 0.3226231 (log10 values).
    dates = pd.to_datetime(["2021-01-01", "2022-01-01", "2023-01-01"])
    fit = ie.fit_log_linear_trend(dates, 10 ** np.array([2.0, 1.0, 0.5]))
    assert fit.mean_years == pytest.approx(1.0, abs=1e-15)
    assert fit.slope_oom_per_year == pytest.approx(-0.75, rel=1e-12)
    assert fit.ci90_oom_per_year == pytest.approx((-1.6613115, 0.1613115), abs=1e-7)
    lo, hi = fit.slope_band(pd.to_datetime(["2021-01-01", "2024-01-01"]))
    y_mean = 3.5 / 3
    np.testing.assert_allclose(np.log10(lo), [y_mean - 0.1613115, y_mean - 3.3226231], atol=1e-7)
    np.testing.assert_allclose(np.log10(hi), [y_mean + 1.6613115, y_mean + 0.3226231], atol=1e-7)


@given(st.lists(st.floats(-2, 2), min_size=3, max_size=12), st.integers(0, 2000))
def test_slope_band_contains_the_fit_and_pinches_at_the_centroid(noise, day):
    dates = pd.date_range("2023-01-01", periods=len(noise), freq="45D")
    values = 10 ** (1.0 - 0.8 * np.arange(len(noise)) * 45 / 365 + 0.1 * np.asarray(noise))
    fit = ie.fit_log_linear_trend(dates, values)
    at = pd.DatetimeIndex([dates[0] + pd.Timedelta(days=day)])
    lo, hi = fit.slope_band(at)
    mid = fit.predict(at)
    assert lo[0] <= mid[0] * (1 + 1e-12) and mid[0] <= hi[0] * (1 + 1e-12)
    # log-width = (ci_high - ci_low) * |t - t_mean|: zero at the centroid, linear away from it
    t = day / 365.0
    width = (fit.ci90_oom_per_year[1] - fit.ci90_oom_per_year[0]) * abs(t - fit.mean_years)
    assert np.log10(hi[0] / lo[0]) == pytest.approx(width, abs=1e-9)
