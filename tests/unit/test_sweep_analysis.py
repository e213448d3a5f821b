"""Readings of load sweeps (inferecon.sweep_analysis): per-target attainment, vLLM's goodput,
throughput at a rate, a published sweep against its simulation and ceiling."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import inferecon as ie


def _requests(rows):
    """A request table with the columns the simulator writes (ttft_ms, tpot_ms, output_tokens,
    finish_s); ``rows`` are (ttft_ms, tpot_ms, output_tokens, finished)."""
    return pd.DataFrame(
        {
            "ttft_ms": [r[0] for r in rows],
            "tpot_ms": [r[1] for r in rows],
            "output_tokens": [r[2] for r in rows],
            "finish_s": [1.0 if r[3] else math.nan for r in rows],
        }
    )


# hand-made table: four requests, targets TTFT 100 ms, TPOT 20 ms
#   a: 50 ms, 10 ms, finished                  -> meets both
#   b: 150 ms, 10 ms, finished                 -> misses TTFT, meets TPOT
#   c: 80 ms, NaN (one token), finished        -> meets both (no gap to miss)
#   d: 90 ms, 30 ms, unfinished                -> meets TTFT, misses TPOT (never finished)
TABLE = _requests(
    [(50.0, 10.0, 64, True), (150.0, 10.0, 64, True), (80.0, math.nan, 1, True),
     (90.0, 30.0, 64, False)]
)  # fmt: skip


def test_attainment_per_target_golden():
    # TTFT met by a (50), c (80), d (90); TPOT met by a (10, finished), b (10, finished) and
    # c (one token, finished); d never finished
    assert ie.attainment_per_target(TABLE, 100.0, 20.0) == (0.75, 0.75)
    assert ie.slo_attainment(TABLE, 100.0, 20.0) == 0.5  # a and c meet both


def test_vllm_goodput_golden():
    # a and c meet both targets (half of 4 requests) over a 4 s run: 0.5 requests/s
    assert ie.vllm_goodput_rps(0.5, 4, 4.0) == pytest.approx(0.5, rel=1e-12)
    np.testing.assert_allclose(ie.vllm_goodput_rps(np.array([0.0, 1.0]), 10, [2.0, 5.0]),
                               [0.0, 2.0])  # fmt: skip


@pytest.fixture(scope="module")
def sweep():
    return ie.load_sweep("Llama-3.1-8B", "H200-SXM", [2.0, 8.0, 30.0], n_requests=200,
                         prompt_tokens=ie.lognormal_lengths(512, 1.0),
                         output_tokens=ie.lognormal_lengths(128, 1.0))  # fmt: skip


def test_vllm_goodput_matches_the_simulators_own_count():
    wl = ie.poisson_workload(20.0, 300, ie.lognormal_lengths(512, 1.0), ie.lognormal_lengths(128))
    res = ie.simulate_serving("Llama-3.1-8B", "H200-SXM", wl, ttft_ms=200.0, tpot_ms=20.0)
    att = ie.slo_attainment(res.requests, 200.0, 20.0)
    got = ie.vllm_goodput_rps(att, len(res.requests), res.summary["duration_s"])
    # the summary counts met_both itself (independent code path); equal to rounding
    assert got == pytest.approx(res.summary["goodput_rps_vllm"], rel=1e-12)
    assert got <= res.summary["requests_per_s"] * (1 + 1e-12)
    ttft, tpot = ie.attainment_per_target(res.requests, 200.0, 20.0)
    assert att <= min(ttft, tpot)


@pytest.mark.parametrize("ttft_ms, tpot_ms", [(50.0, 10.0), (200.0, 20.0), (2000.0, 50.0)])
def test_sweep_attainment_and_goodput_match_the_load_sweep(sweep, ttft_ms, tpot_ms):
    lat = ie.sweep_latencies(sweep)
    att = ie.attainment_by_rate(lat, ttft_ms, tpot_ms)
    # per rate, the request-table rule (slo_attainment) on each simulation
    want = [ie.slo_attainment(r.requests, ttft_ms, tpot_ms) for r in sweep.results]
    np.testing.assert_allclose(att, want, rtol=0, atol=1e-15)
    curve = sweep.curve(ttft_ms, tpot_ms)
    np.testing.assert_allclose(lat.throughput_rps_per_gpu, curve["throughput_rps_per_gpu"])
    np.testing.assert_allclose(
        ie.vllm_goodput_rps(att, lat.n_requests, lat.duration_s) / lat.n_gpus,
        curve["goodput_rps_per_gpu_vllm"],
        rtol=1e-12,
    )
    for target in (0.5, 0.9, 0.99):
        assert ie.grid_goodput_rps_per_gpu(lat.rates_per_gpu, att, target) == pytest.approx(
            sweep.goodput_per_gpu(ttft_ms, tpot_ms, target), rel=1e-12)  # fmt: skip


def test_grid_goodput_golden():
    rates = [1.0, 2.0, 4.0]
    # crosses 0.9 between 2 (0.95) and 4 (0.75) requests/s: a quarter of the way, 2.5
    assert ie.grid_goodput_rps_per_gpu(rates, [1.0, 0.95, 0.75], 0.9) == pytest.approx(2.5)
    assert ie.grid_goodput_rps_per_gpu(rates, [0.8, 0.7, 0.6], 0.9) == 0.0  # never met
    assert ie.grid_goodput_rps_per_gpu(rates, [1.0, 1.0, 0.95], 0.9) == 4.0  # always met
    with pytest.raises(ValueError, match="attainment"):
        ie.grid_goodput_rps_per_gpu(rates, [1.0, 1.0, 1.0], 0.0)


_row = st.tuples(
    st.floats(1.0, 1e4) | st.just(math.nan),
    st.floats(0.5, 1e3) | st.just(math.nan),
    st.integers(1, 512),
    st.booleans(),
)


@settings(max_examples=100, deadline=None)
@given(st.lists(_row, min_size=1, max_size=30), st.floats(1.0, 1e4), st.floats(0.5, 1e3),
       st.floats(1.0, 10.0))  # fmt: skip
def test_per_target_shares_bound_both_and_grow_with_the_target(rows, ttft_ms, tpot_ms, k):
    table = _requests(rows)
    ttft, tpot = ie.attainment_per_target(table, ttft_ms, tpot_ms)
    both = ie.slo_attainment(table, ttft_ms, tpot_ms)
    assert 0 <= both <= min(ttft, tpot) <= 1
    looser = ie.attainment_per_target(table, ttft_ms * k, tpot_ms * k)
    assert looser[0] >= ttft and looser[1] >= tpot


def test_per_target_bad_input():
    with pytest.raises(ValueError, match="ttft_ms"):
        ie.attainment_per_target(TABLE, 0.0, 20.0)
    with pytest.raises(ValueError, match="duration_s"):
        ie.vllm_goodput_rps(0.5, 4, -1.0)
    with pytest.raises(ValueError, match="attainment"):
        ie.vllm_goodput_rps(1.5, 4, 1.0)
    assert all(math.isnan(x) for x in ie.attainment_per_target(TABLE.iloc[:0], 1.0, 1.0))


def test_throughput_at_rate_golden():
    rates = [1.0, 2.0, 4.0]
    thr = [1.0, 1.8, 2.0]
    # halfway between 2 and 4 requests/s: halfway between 1.8 and 2.0
    assert ie.throughput_at_rate_rps_per_gpu(rates, thr, 3.0) == pytest.approx(1.9)
    assert ie.throughput_at_rate_rps_per_gpu(rates, thr, 2.0) == 1.8  # a grid point
    assert ie.throughput_at_rate_rps_per_gpu(rates, thr, 0.0) == 0.0  # no load
    assert ie.throughput_at_rate_rps_per_gpu(rates, thr, 9.0) == 2.0  # held at the end
    got = ie.throughput_at_rate_rps_per_gpu(rates, thr, np.array([0.0, 1.5, 4.0]))
    np.testing.assert_allclose(got, [0.0, 1.4, 2.0])


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(0.01, 100.0), min_size=2, max_size=12, unique=True),
       st.floats(0.0, 1.0))  # fmt: skip
def test_throughput_at_rate_stays_between_its_neighbours(rates, u):
    r = np.sort(np.asarray(rates))
    t = np.sqrt(r)  # any non-negative curve
    x = r[0] + u * (r[-1] - r[0])
    got = ie.throughput_at_rate_rps_per_gpu(r, t, x)
    i = int(np.clip(np.searchsorted(r, x), 1, len(r) - 1))
    assert min(t[i - 1], t[i]) - 1e-12 <= got <= max(t[i - 1], t[i]) + 1e-12


def test_throughput_at_rate_bad_input():
    with pytest.raises(ValueError, match="rate_per_gpu"):
        ie.throughput_at_rate_rps_per_gpu([1.0, 2.0], [1.0, 1.0], -1.0)
    with pytest.raises(ValueError, match="increasing"):
        ie.throughput_at_rate_rps_per_gpu([2.0, 1.0], [1.0, 1.0], 1.0)
    with pytest.raises(ValueError, match="one length"):
        ie.throughput_at_rate_rps_per_gpu([1.0, 2.0], [1.0], 1.0)


def _sweep(measured, model, ceiling):
    return pd.DataFrame({"measured_tokens_per_s": measured, "model_tokens_per_s": model,
                         "ceiling_tokens_per_s": ceiling})  # fmt: skip


def test_published_sweep_agreement_golden():
    # ratios 1.2, 0.5, 1.0: median 1.0; the third level measures 300 against a ceiling of 250
    d = _sweep([120.0, 100.0, 300.0], [100.0, 200.0, 300.0], [500.0, 400.0, 250.0])
    got = ie.published_sweep_agreement(d)
    assert got == {"n_levels": 3, "measured_over_model_median": 1.0, "has_ceiling": True,
                   "levels_above_ceiling": 1}  # fmt: skip
    # exactly at the ceiling (to rounding) is not beating it
    at = ie.published_sweep_agreement(_sweep([250.0 * (1 + 1e-12)], [250.0], [250.0]))
    assert at["levels_above_ceiling"] == 0
    # open loop: no ceiling anywhere, nothing beaten
    open_loop = ie.published_sweep_agreement(_sweep([1.0, 2.0], [1.0, 1.0], [np.nan, np.nan]))
    assert not open_loop["has_ceiling"] and open_loop["levels_above_ceiling"] == 0


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(1.0, 1e5), min_size=1, max_size=10), st.floats(0.1, 10.0))
def test_published_sweep_median_ratio_scales_with_the_measurement(model, k):
    base = _sweep(model, model, [np.nan] * len(model))
    scaled = _sweep([m * k for m in model], model, [np.nan] * len(model))
    assert ie.published_sweep_agreement(base)["measured_over_model_median"] == pytest.approx(1.0)
    got = ie.published_sweep_agreement(scaled)["measured_over_model_median"]
    assert got == pytest.approx(k, rel=1e-12)


def test_published_sweep_agreement_bad_input():
    with pytest.raises(ValueError, match="rel_tol"):
        ie.published_sweep_agreement(_sweep([1.0], [1.0], [1.0]), rel_tol=-1.0)
    with pytest.raises(ValueError, match="ceiling_tokens_per_s"):
        ie.published_sweep_agreement(pd.DataFrame({"measured_tokens_per_s": [1.0],
                                                   "model_tokens_per_s": [1.0]}))  # fmt: skip
