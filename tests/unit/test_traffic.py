"""Load curves and the workload generator (inferecon/traffic.py).

Sampling-error bounds used below (each stated where it is used):

- hourly counts of a Poisson process with piecewise-constant rate are independent Poisson
  variables with mean ``mu_h``: each ``|N_h - mu_h| / sqrt(mu_h)`` stays under 4.5 (two-sided
  p = 7e-6 each) and the sum of squares under the chi-square 0.9999 quantile for 24 degrees of
  freedom; with gamma-mixed minute rates of cv ``c`` the variance is ``mu_h + c**2 sum mu_m**2``;
- a sample p-quantile of n draws lies between the population quantiles at
  ``p -/+ 5 sqrt(p (1 - p) / n)`` (the binomial count below it, at 5 standard errors).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import inferecon as ie


@pytest.fixture(scope="module")
def conv():
    return ie.trace_lengths("azure2023_conversation")


@pytest.fixture(scope="module")
def code():
    return ie.trace_lengths("azure2023_code")


def _hourly(arrival_s: np.ndarray, hours: int = 24) -> np.ndarray:
    return np.bincount((arrival_s // 3600).astype(int), minlength=hours)[:hours]


# --------------------------------------------------------------------------- load curves


def test_diurnal_curve_has_the_volume_peak_and_ratio_asked():
    c = ie.diurnal_load_curve(10e6, peak_to_mean=3.0, peak_hour=14.0)
    assert c.n_bins == 24 and c.bin_s == 3600 and c.duration_s == 86_400
    assert c.daily_requests == pytest.approx(10e6) and c.requests == pytest.approx(10e6)
    assert c.peak_to_mean == pytest.approx(3.0, rel=1e-9)
    # the peak is the bin holding 14:00 (13:30 and 14:30 midpoints tie: 13-14 h or 14-15 h)
    assert set(np.flatnonzero(np.isclose(c.rate_per_s, c.rate_per_s.max()))) == {13, 14}
    assert ie.diurnal_load_curve(1e6, 1.0).peak_to_mean == pytest.approx(1.0)
    with pytest.raises(ValueError):  # a curve is frozen, its rates too
        c.rate_per_s[0] = 1.0
    assert ie.diurnal_load_curve(1e6).peak_to_mean == pytest.approx(2.0)  # the default
    # per-minute bins; a higher ratio is still reached
    m = ie.diurnal_load_curve(1e6, 6.0, peak_hour=3.0, bin_s=60)
    assert m.n_bins == 1440 and m.peak_to_mean == pytest.approx(6.0)
    assert np.argmax(m.rate_per_s) in (179, 180)


def test_diurnal_curve_follows_a_given_shape():
    shape = np.r_[np.ones(8), np.full(8, 4.0), np.full(8, 2.0)]  # 3 x 8 hours
    kept = ie.diurnal_load_curve(7e6, shape=shape)
    np.testing.assert_allclose(kept.rate_per_s / kept.rate_per_s[0], shape)
    assert kept.peak_to_mean == pytest.approx(4 / (7 / 3))
    stretched = ie.diurnal_load_curve(7e6, peak_to_mean=1.2, shape=shape)
    assert stretched.peak_to_mean == pytest.approx(1.2)
    assert np.all(np.diff(np.argsort(stretched.rate_per_s, kind="stable")[[0, 8, 16]]) != 0)
    assert stretched.daily_requests == pytest.approx(7e6)
    assert ie.diurnal_load_curve(1e5, shape=np.ones(96)).bin_s == 900


def test_trace_curve_is_the_minute_counts_over_60():
    counts = ie.load_traffic_minute_counts()
    c = ie.trace_load_curve("azure2023_conversation")
    per_min = counts.loc[counts["trace"] == "azure2023_conversation", "requests"].to_numpy()
    np.testing.assert_allclose(c.rate_per_s, per_min[1:-1] / 60)  # partial minutes dropped
    assert c.bin_s == 60 and c.n_bins == 58 and c.source == "azure2023_conversation"
    full = ie.trace_load_curve("azure2023_conversation", drop_partial=False)
    assert full.requests == pytest.approx(19_366)
    # dispersion and rate cv as defined: pooled variance around the hour's mean over the mean
    d = np.var(per_min[1:-1], ddof=1) / per_min[1:-1].mean()
    assert ie.dispersion_index(per_min[1:-1]) == pytest.approx(d)
    assert c.rate_cv == pytest.approx(np.sqrt((d - 1) / per_min[1:-1].mean()))
    # from a request table: counted per minute from its first arrival
    table = pd.DataFrame({"arrival_s": [5.0, 30.0, 65.0, 70.0, 125.0, 200.0]})
    t = ie.trace_load_curve(table)
    np.testing.assert_allclose(t.rate_per_s * 60, [2, 1])  # minutes 1, 2 of 0..3
    # hourly resampling of a day, scaling keeps the shape
    day = ie.diurnal_load_curve(1e6, 2.5, bin_s=60)
    hourly = day.resampled(3600)
    np.testing.assert_allclose(hourly.rate_per_s, day.rate_per_s.reshape(24, 60).mean(axis=1))
    s = day.scaled(3e6)
    assert s.daily_requests == pytest.approx(3e6) and s.peak_to_mean == pytest.approx(2.5)


def test_folding_days_averages_each_minute_of_the_day():
    # two days and a bit from 23:58: day 2 has 3 times day 1's requests
    start = pd.Timestamp("2024-05-10 23:58")
    n = 2 + 2 * 1440 + 3
    clock = start + pd.to_timedelta(np.arange(n), unit="min")
    of_day = (clock.hour * 60 + clock.minute).to_numpy()
    day = np.where(clock < pd.Timestamp("2024-05-12"), 1, 3)
    requests = (of_day % 7 + 1) * day
    counts = pd.DataFrame({
        "trace": "t", "minute": np.arange(n), "minute_start": clock.strftime("%Y-%m-%d %H:%M"),
        "requests": requests, "prompt_tokens": requests, "output_tokens": requests,
        "partial": np.arange(n) % (n - 1) == 0,
    })  # fmt: skip
    folded = ie.trace_load_curve("t", counts, fold_days=True)
    assert folded.n_bins == 1440
    # partial ends (23:58 of the 10th, 00:02 of the 13th) dropped; 23:59 of the 10th (x1) and
    # 00:00, 00:01 of the 13th (x3) are averaged in with the two whole days (x1, x3)
    m = np.arange(1440)
    expected = (m % 7 + 1) * 2.0
    expected[1439] = (1439 % 7 + 1) * (1 + 1 + 3) / 3
    expected[[0, 1]] = np.array([1, 2]) * (1 + 3 + 3) / 3
    np.testing.assert_allclose(folded.rate_per_s * 60, expected)
    hourly = ie.trace_load_curve("t", counts, bin_s=3600, fold_days=True)
    assert hourly.n_bins == 24
    # the same from a request table with timestamps
    table = pd.DataFrame({"timestamp": np.repeat(clock, requests) + pd.Timedelta(seconds=5)})
    again = ie.trace_load_curve(table, fold_days=True)
    np.testing.assert_allclose(again.rate_per_s, folded.rate_per_s)
    with pytest.raises(ValueError, match="fold_days"):
        ie.trace_load_curve("azure2023_code", fold_days=True)  # an hour, not a day


def test_dispersion_index_of_poisson_counts_is_one_and_of_a_mixture_more():
    rng = np.random.default_rng(3)
    poisson = rng.poisson(50.0, 6000)
    # the estimate's standard error is about sqrt(2 / (n - windows)) = 0.018
    assert ie.dispersion_index(poisson) == pytest.approx(1.0, abs=0.08)
    # gamma-mixed rates, cv 0.5 at mean 50: D = 1 + 50 * 0.25 = 13.5
    mixed = rng.poisson(50.0 * rng.gamma(4.0, 0.25, 6000))
    assert ie.dispersion_index(mixed) == pytest.approx(13.5, rel=0.1)
    # a trend across windows is removed: two windows at different constant rates
    steps = np.r_[rng.poisson(10.0, 600), rng.poisson(100.0, 600)]
    assert ie.dispersion_index(steps, window=600) == pytest.approx(1.0, abs=0.15)
    assert ie.dispersion_index(steps, window=1200) > 10


# --------------------------------------------------------------------------- the generator


def test_generated_hourly_rates_match_the_curve_within_poisson_error(conv):
    curve = ie.diurnal_load_curve(240_000, peak_to_mean=2.5, peak_hour=15.0)
    df = ie.load_curve_requests(curve, conv, seed=11)
    n = _hourly(df["arrival_s"].to_numpy())
    mu = curve.rate_per_s * 3600
    z = (n - mu) / np.sqrt(mu)
    assert np.abs(z).max() < 4.5, z
    assert (z**2).sum() < stats.chi2.ppf(0.9999, 24)
    assert df["arrival_s"].is_monotonic_increasing and df["arrival_s"].max() < 86_400
    # a curve that is not Poisson-fed would fail: the same draws against a flat curve
    flat = np.full(24, mu.mean())
    assert ((n - flat) ** 2 / flat).sum() > stats.chi2.ppf(0.9999, 24)


def test_over_dispersed_minutes_have_the_variance_asked(conv):
    curve = ie.diurnal_load_curve(500_000, peak_to_mean=2.0, bin_s=3600)
    cv = 0.3
    df = ie.load_curve_requests(curve, conv, seed=5, rate_cv=cv)
    t = df["arrival_s"].to_numpy()
    n = _hourly(t)
    mu = curve.rate_per_s * 3600
    var = mu + cv**2 * 60 * (mu / 60) ** 2  # 60 independent gamma-mixed minutes per hour
    z = (n - mu) / np.sqrt(var)
    assert np.abs(z).max() < 4.5 and (z**2).sum() < stats.chi2.ppf(0.9999, 24)
    # per-minute dispersion around each hour's mean: the pooled variance sum(mu_m + (cv mu_m)**2)
    # over the total, with mu_m = mu / 60 each hour; the estimate's error is a few per cent
    per_min = np.bincount((t // 60).astype(int), minlength=1440)
    expected = 1 + cv**2 * np.mean((mu / 60) ** 2) / np.mean(mu / 60)
    assert ie.dispersion_index(per_min) == pytest.approx(expected, rel=0.15)
    poisson = ie.load_curve_requests(curve, conv, seed=5)
    pm = np.bincount((poisson["arrival_s"].to_numpy() // 60).astype(int), minlength=1440)
    assert ie.dispersion_index(pm) == pytest.approx(1.0, abs=0.15)


def test_a_trace_curve_is_reproduced_minute_by_minute(code):
    curve = ie.trace_load_curve("azure2023_code")
    df = ie.load_curve_requests(curve, code, seed=2)
    n = np.bincount((df["arrival_s"].to_numpy() // 60).astype(int), minlength=curve.n_bins)
    mu = curve.rate_per_s * 60
    on = mu > 0
    assert np.all(n[~on] == 0)  # empty minutes stay empty
    chi = ((n[on] - mu[on]) ** 2 / mu[on]).sum()
    assert chi < stats.chi2.ppf(0.9999, on.sum())


@pytest.mark.parametrize("trace", ["azure2023_conversation", "azure2023_code"])
def test_generated_length_quantiles_match_the_trace(trace):
    hist = ie.load_traffic_lengths()
    h = hist[hist["trace"] == trace]
    lengths = ie.trace_lengths(trace)
    n = 20_000
    df = ie.load_curve_requests(ie.diurnal_load_curve(n, 1.5), lengths, seed=7)
    m = len(df)
    for col, lo_col, hi_col in (("prompt_tokens", "prompt_low", "prompt_high"),
                                ("output_tokens", "output_low", "output_high")):  # fmt: skip
        marg = h.groupby([lo_col, hi_col])["requests"].sum().sort_index()
        cdf = marg.cumsum().to_numpy() / marg.sum()
        lows, highs = marg.index.get_level_values(0), marg.index.get_level_values(1)
        for p in (0.05, 0.25, 0.5, 0.75, 0.9, 0.99):
            got = np.quantile(df[col], p, method="inverted_cdf")
            d = 5 * np.sqrt(p * (1 - p) / m)
            lo = lows[np.searchsorted(cdf, max(p - d, 0.0), side="left")]
            hi = highs[min(np.searchsorted(cdf, min(p + d, 1.0), side="left"), len(cdf) - 1)]
            assert lo <= got < hi, (col, p, got, lo, hi)
    # jointly: the share of requests with both a long prompt and a long output (drawing the
    # two independently would miss it by 20 standard errors on the conversation trace)
    a, b = 1024, 128  # both are bin edges, so the trace's share is exact
    assert {a} <= set(h["prompt_low"]) | set(h["prompt_high"])
    share = (
        h.loc[(h["prompt_low"] >= a) & (h["output_low"] >= b), "requests"].sum()
        / h["requests"].sum()
    )
    got = np.mean((df["prompt_tokens"] >= a) & (df["output_tokens"] >= b))
    assert abs(got - share) < 5 * np.sqrt(share * (1 - share) / m)


def test_same_seed_same_table_and_the_simulator_takes_it(conv):
    curve = ie.trace_load_curve("azure2023_conversation").scaled(200_000)
    a = ie.load_curve_requests(curve, conv, seed=3, rate_cv=0.2)
    pd.testing.assert_frame_equal(a, ie.load_curve_requests(curve, conv, seed=3, rate_cv=0.2))
    assert not a.equals(ie.load_curve_requests(curve, conv, seed=4, rate_cv=0.2))
    assert list(a.columns) == list(ie.poisson_workload(1.0, 5).requests(0).columns)
    assert a["prompt_tokens"].dtype == a["output_tokens"].dtype == np.int64
    assert a[["prompt_tokens", "output_tokens"]].min().min() >= 1
    w = ie.load_curve_workload(curve, conv, seed=3, rate_cv=0.2)
    assert w.kind == "trace" and w.n_requests == len(a)
    np.testing.assert_allclose(w.requests(0)["arrival_s"], a["arrival_s"] - a["arrival_s"][0])
    first = ie.trace_workload(a.head(40))
    r = ie.simulate_serving("Llama-3.1-8B", "H100-SXM", first)
    assert len(r.requests) == 40


def test_joint_lengths_quantile_and_exact_tables():
    table = pd.DataFrame({"prompt_tokens": [5, 5, 7, 0], "output_tokens": [1, 1, 9, 3]})
    j = ie.trace_lengths(table)  # exact: one cell per distinct pair, 0 counts as 1
    assert j.n_requests == 4
    assert j.quantile(0.5, "prompt_tokens") == 5 and j.quantile(1.0, "output_tokens") == 9
    p, o = j.sample(1000, np.random.default_rng(0))
    assert set(zip(p.tolist(), o.tolist(), strict=True)) == {(5, 1), (7, 9), (1, 3)}
    np.testing.assert_array_equal(j.quantile([0.0, 0.25, 1.0], "prompt_tokens"), [1, 1, 7])


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda c, j: ie.diurnal_load_curve(0), "daily_requests"),
        (lambda c, j: ie.diurnal_load_curve(1e6, 0.5), "peak_to_mean"),
        (lambda c, j: ie.diurnal_load_curve(1e6, 30.0), "peak_to_mean"),
        (lambda c, j: ie.diurnal_load_curve(1e6, peak_hour=24), "peak_hour"),
        (lambda c, j: ie.diurnal_load_curve(1e6, bin_s=7), "bin_s"),
        (lambda c, j: ie.diurnal_load_curve(1e6, shape=[1, -1]), "shape"),
        (lambda c, j: ie.diurnal_load_curve(1e6, 2.0, shape=[1, 0]), "shape"),
        (lambda c, j: ie.trace_load_curve("nope"), "trace"),
        (lambda c, j: ie.trace_load_curve(bin_s=90), "bin_s"),
        (lambda c, j: ie.trace_load_curve(pd.DataFrame({"t": [1]})), "trace"),
        (lambda c, j: ie.trace_lengths("nope"), "trace"),
        (lambda c, j: c.scaled(-1), "daily_requests"),
        (lambda c, j: c.resampled(1e9), "bin_s"),
        (lambda c, j: j.quantile(1.5), "p"),
        (lambda c, j: j.quantile(0.5, "tokens"), "column"),
        (lambda c, j: ie.dispersion_index([1, 2, 3], window=1), "window"),
        (lambda c, j: ie.dispersion_index([1, -2, 3]), "counts"),
        (lambda c, j: ie.load_curve_requests(c, j, rate_cv=-0.1), "rate_cv"),
        (lambda c, j: ie.load_curve_requests(c.scaled(1e12), j), "curve"),
        (lambda c, j: ie.load_curve_requests(j, c), "curve"),
        (lambda c, j: ie.load_curve_requests(c, c), "lengths"),
    ],
)
def test_bad_input_is_refused_naming_the_parameter(call, name, conv):
    curve = ie.diurnal_load_curve(1e5)
    with pytest.raises(ValueError, match=rf"\b{name}\b"):
        call(curve, conv)
