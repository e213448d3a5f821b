"""The calibration's error carried into throughput, cost and goodput (issue 18, "Uncertainty
carried into every cost"): golden values from the hand derivation in
``inferecon/uncertainty.py``'s docstring, properties, and the stored held-out error."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import inferecon as ie
import inferecon.operator_times as operator_times
from inferecon.uncertainty import ScaledStepTime

# ---- the derivation, by hand: the stored errors are predicted / measured - 1. With |error| =
# e, the measured step is t / (1 + e) or t / (1 - e); throughput (1 / step) is then
# (1 + e) or (1 - e) times the predicted one. e = 10%: [0.9, 1.1] x throughput, and a
# cost per GPU-hour per token (proportional to the step) [1 / 1.1, 1 / 0.9] x.


def _frontier(**extra):
    return pd.DataFrame(
        {
            "gpu": ["H200-SXM", "B200-HGX"],
            "tokens_per_s_per_gpu": [1000.0, 2000.0],
            "tokens_per_s_per_user": [50.0, 20.0],
            **extra,
        }
    )


def test_throughput_band_golden_ten_percent():
    b = ie.throughput_band(_frontier(tokens_per_s_per_mw=[1e6, 3e6]), rel_error=0.1)
    assert b["tokens_per_s_per_gpu_low"].tolist() == pytest.approx([900.0, 1800.0])
    assert b["tokens_per_s_per_gpu_high"].tolist() == pytest.approx([1100.0, 2200.0])
    assert b["tokens_per_s_per_user_low"].tolist() == pytest.approx([45.0, 18.0])
    assert b["tokens_per_s_per_user_high"].tolist() == pytest.approx([55.0, 22.0])
    assert b["tokens_per_s_per_mw_high"].tolist() == pytest.approx([1.1e6, 3.3e6])
    # the band's ends are the throughputs of measured steps that the prediction misses by
    # exactly e: predicted / measured - 1 = -0.1 and +0.1
    step_pred = 1.0 / 1000.0
    for tput, err in ((900.0, 0.1), (1100.0, -0.1)):
        assert step_pred / (1.0 / tput) - 1 == pytest.approx(-err)


def test_throughput_band_reads_each_gpus_band():
    b = ie.throughput_band(_frontier())
    h200, b200 = ie.calibration_band("H200-SXM"), ie.calibration_band("B200-HGX")
    assert b["calibrated"].tolist() == [True, False]
    assert b["rel_error"].tolist() == [h200.rel_error, b200.rel_error]
    assert b["tokens_per_s_per_gpu_low"].iloc[1] == pytest.approx(2000 * (1 - b200.rel_error))
    # a dict overrides the GPUs it names only
    d = ie.throughput_band(_frontier(), rel_error={"B200-HGX": 0.5})
    assert d["rel_error"].tolist() == [h200.rel_error, 0.5]


def test_band_limits_golden():
    # e = 10%: throughput [0.9, 1.1] x; a GPU-time cost [1 / 1.1, 1 / 0.9] x (the derivation)
    lo, hi = ie.band_limits(np.array([100.0, 200.0]), "A40", rel_error=0.1)
    assert lo.tolist() == pytest.approx([90.0, 180.0]) and hi.tolist() == pytest.approx([110, 220])
    lo, hi = ie.band_limits(2.0, "A40", scales_with="step_time", rel_error=0.1)
    assert (lo, hi) == pytest.approx((2 / 1.1, 2 / 0.9))
    e = ie.calibration_band("A40").rel_error
    assert ie.band_limits(1.0, "A40") == pytest.approx((1 - e, 1 + e))
    with pytest.raises(ValueError, match="scales_with"):
        ie.band_limits(1.0, "A40", scales_with="cost")


def test_cost_band_hardware_only_golden():
    # USD 2 per GPU-hour at 1,000 tokens/s: 2 / 3.6 = 0.5556 per million; e = 10%
    c = ie.cost_breakdown(1000, 700, usd_per_gpu_hour=2.0).assign(gpu="H100-SXM")
    b = ie.cost_band(c, rel_error=0.1).iloc[0]
    nominal = 2.0 / 3.6
    assert b["total_usd_per_mtok"] == pytest.approx(nominal)
    assert b["total_usd_per_mtok_low"] == pytest.approx(nominal / 1.1)
    assert b["total_usd_per_mtok_high"] == pytest.approx(nominal / 0.9)


def test_cost_band_keeps_the_energy_of_the_work_fixed():
    # owned, energy only (no hardware price, no hosting, every hour serving, idle power 0):
    # the energy above idle is the work itself, the band has no width
    c = ie.cost_breakdown(1000, 700, usd_per_gpu_hour=0.0, usd_per_kwh=0.1, pue=1.0, idle_w=0.0)
    b = ie.cost_band(c.assign(gpu="A100-80GB-SXM"), rel_error=0.2).iloc[0]
    assert b["total_usd_per_mtok"] > 0
    assert (
        b["total_usd_per_mtok_low"]
        == b["total_usd_per_mtok_high"]
        == pytest.approx(b["total_usd_per_mtok"])
    )
    # idle power 300 of 700 W: 3/7 of the served hour's energy scales, 4/7 stays
    c = ie.cost_breakdown(1000, 700, usd_per_gpu_hour=0.0, usd_per_kwh=0.1, pue=1.0, idle_w=300)
    b = ie.cost_band(c.assign(gpu="A100-80GB-SXM"), rel_error=0.2).iloc[0]
    energy = 0.7 * 0.1 / 3.6  # USD per million tokens: 0.7 kW x 0.1 USD/kWh / 3.6 Mtok/h
    assert b["total_usd_per_mtok_high"] == pytest.approx(energy * (4 / 7 + 3 / 7 / 0.8))
    assert b["gpu_time_usd_per_mtok"] == pytest.approx(energy * 3 / 7)


@settings(max_examples=40, deadline=None)
@given(
    e=st.floats(0.0, 0.95),
    tput=st.floats(1.0, 1e5),
    power=st.floats(50.0, 1500.0),
    rent=st.floats(0.0, 20.0),
    util=st.floats(0.05, 1.0),
    idle_share=st.floats(0.0, 1.0),
)
def test_bands_bracket_the_prediction(e, tput, power, rent, util, idle_share):
    c = ie.cost_breakdown(tput, power, usd_per_gpu_hour=rent, utilisation=util, usd_per_kwh=0.1,
                          pue=1.2, idle_w=power * idle_share)  # fmt: skip
    b = ie.cost_band(c.assign(gpu="H100-SXM"), rel_error=e).iloc[0]
    tol = 1e-12 * b["total_usd_per_mtok"]
    assert b["total_usd_per_mtok_low"] - tol <= b["total_usd_per_mtok"]
    assert b["total_usd_per_mtok"] <= b["total_usd_per_mtok_high"] + tol
    t = ie.throughput_band(_frontier(), rel_error=e)
    for c_ in ("tokens_per_s_per_gpu", "tokens_per_s_per_user"):
        assert (t[f"{c_}_low"] <= t[c_]).all() and (t[c_] <= t[f"{c_}_high"]).all()


def test_cost_band_on_frontier_costs():
    front = ie.throughput_frontier("Llama-3.1-8B", ["H200-SXM", "B200-HGX"], 1024, 256,
                                   batches=[1, 16, 256], tensor_parallel_sizes=[1])  # fmt: skip
    costs = ie.frontier_costs(front, utilisation=0.7)
    b = ie.cost_band(costs)
    e = b["rel_error"].to_numpy()
    # rented (power included in the rent): every part is paid per GPU-hour
    assert np.allclose(b["gpu_time_usd_per_mtok"], b["total_usd_per_mtok"])
    assert np.allclose(b["total_usd_per_mtok_high"], b["total_usd_per_mtok"] / (1 - e))


def test_calibration_band_per_gpu():
    calibrated = {g for g in ie.load_gpus()["name"] if ie.calibration_band(g).calibrated}
    assert calibrated == {"A100-80GB-SXM", "H100-SXM", "A40", "H200-SXM"}
    for g, (donor, _median, p90) in ie.OPERATOR_TRANSFER.items():
        if g != "H200-SXM":  # measured at step level: its own error, not the rule's
            b = ie.calibration_band(g)
            # the rule's stated error, or the larger one measured engines show on that GPU
            engine = ie.ENGINE_STEP_ERRORS.get(g, (0.0, 0.0, 0))[1]
            assert b.rel_error == pytest.approx(max(p90, engine) / 100) and donor in b.basis
            assert ("measured engines" in b.statistic) == (engine > p90)
    b = ie.calibration_band("h100")  # a recognised spelling
    assert b.gpu == "H100-SXM" and b.throughput_factors == (1 - b.rel_error, 1 + b.rel_error)
    assert b.step_time_factors == pytest.approx((1 / (1 + b.rel_error), 1 / (1 - b.rel_error)))
    h200 = ie.calibration_band("H200-SXM")
    assert h200.rel_error == pytest.approx(ie.STEP_HELD_OUT_ERRORS["H200-SXM"][1] / 100)
    assert "held-out" in h200.statistic


def test_calibration_bands_table():
    t = ie.calibration_bands()
    assert list(t["gpu"]) == list(ie.load_gpus()["name"])
    row = t.set_index("gpu").loc["B200-HGX"]
    b = ie.calibration_band("B200-HGX")
    assert row["rel_error"] == b.rel_error and not row["calibrated"]
    assert (row["throughput_low"], row["step_time_high"]) == (
        1 - b.rel_error,
        1 / (1 - b.rel_error),
    )
    assert list(ie.calibration_bands("A40")["gpu"]) == ["A40"]


def test_calibration_band_reads_the_stored_calibration(monkeypatch):
    # another fit stored: the band follows it (read at call time, never a copied number)
    refit = dataclasses.replace(operator_times.OPERATOR_CALIBRATIONS["A40"], p90_ape_pct=33.0)
    monkeypatch.setitem(operator_times.OPERATOR_CALIBRATIONS, "A40", refit)
    assert ie.calibration_band("A40").rel_error == pytest.approx(0.33)
    monkeypatch.setitem(operator_times.OPERATOR_TRANSFER, "L4", ("A40", 9.0, 44.0))
    assert ie.calibration_band("L4").rel_error == pytest.approx(0.44)


def test_stored_engine_step_errors_match_the_bundled_sweeps():
    # the call behind ENGINE_STEP_ERRORS, on data/moe_serving_sweeps.csv at 1,024 in and 8,192
    # out; stored to 3 significant digits
    got = ie.engine_step_error().set_index("gpu")
    assert set(got.index) == set(ie.ENGINE_STEP_ERRORS)
    for gpu, (median, p90, n) in ie.ENGINE_STEP_ERRORS.items():
        row = got.loc[gpu]
        assert row["n_rows"] == n
        assert row["median_ape_pct"] == pytest.approx(median, abs=0.051)
        assert row["p90_ape_pct"] == pytest.approx(p90, abs=0.051)
    # MI300X: the model's decode step is too short at every level (ROCm's MoE and MLA kernels)
    assert got.loc["MI300X", "median_signed_pct"] < -30
    # on the GPUs without their own calibration the measured error widens the band
    assert ie.calibration_band("MI300X").rel_error == pytest.approx(
        ie.ENGINE_STEP_ERRORS["MI300X"][1] / 100
    )
    with pytest.raises(ValueError, match="no measured rows"):
        ie.engine_step_error(shape=(3, 5))


def test_stored_held_out_step_error_matches_a_refit():
    # the explicit call behind STEP_HELD_OUT_ERRORS (three small fits, ~0.4 s); stored to 4
    # significant digits
    got = ie.held_out_step_error()
    median, p90, n = ie.STEP_HELD_OUT_ERRORS["H200-SXM"]
    assert got["n_rows"] == n == len(ie.load_decode_measurements())
    assert got["median_ape_pct"] == pytest.approx(median, abs=0.01)
    assert got["p90_ape_pct"] == pytest.approx(p90, abs=0.01)
    assert got["groups"] == ("context 512", "context 4096", "prefill")


def test_band_polygon_golden_and_swept_region():
    from matplotlib.path import Path

    x, y = np.array([10.0, 100.0]), np.array([1000.0, 100.0])
    poly = ie.frontier_band_polygon(x, y, 0.2)
    expect = [[12, 1200], [120, 120], [80, 80], [8, 800], [12, 1200]]
    assert np.allclose(poly, expect)
    # every shifted copy of the curve's inside points lies inside; points beyond the band lie
    # outside (log space, where the region is the diagonal sweep)
    curve_x, curve_y = np.geomspace(10, 100, 9), np.geomspace(1000, 100, 9)
    path = Path(np.log(ie.frontier_band_polygon(curve_x, curve_y, 0.2)))
    for f in (0.85, 1.0, 1.15):
        pts = np.log(np.column_stack([curve_x[1:-1], curve_y[1:-1]]) * f)
        assert path.contains_points(pts).all()
    outside = np.log(np.column_stack([curve_x[1:-1], curve_y[1:-1]]) * 1.3)
    assert not path.contains_points(outside).any()
    assert ie.frontier_band_polygon([], [], 0.1).shape == (0, 2)


def test_scaled_step_time_scales_every_time():
    c = ie.IterationCost("Llama-3.1-8B", "H200-SXM")
    s = ScaledStepTime(c, 1.3)
    assert isinstance(s, ie.StepTimeModel)
    args = (512, c.prefill_pairs(512), 0, 8, 8 * 1000)
    assert s.iteration_s(*args) == pytest.approx(1.3 * c.iteration_s(*args))
    k, a1, b1, a2, b2 = s.decode_form(8, 8000)
    assert k + max(a1, a2) == pytest.approx(s.iteration_s(0, 0, 0, 8, 8000))
    assert s.prefill_pairs(100, 50) == c.prefill_pairs(100, 50)
    assert s.kv_capacity_tokens(0.9) == c.kv_capacity_tokens(0.9)
    assert float(s.kv_transfer_s(1000.0)) == pytest.approx(1.3 * float(c.kv_transfer_s(1000.0)))
    assert s.model is c.model
    with pytest.raises(ValueError, match="step_time_factor"):
        ScaledStepTime(c, 0.0)


@pytest.mark.parametrize("policy", ["chunked_prefill", "disaggregated"])
def test_scaled_goodput_read_off_a_sweep_equals_resimulating(policy):
    # the scaling identity: step times x f and arrival gaps x f scale every event by f
    m, g, f = "Llama-3.1-8B", "H200-SXM", 1.25
    rates = ie.rate_grid_per_gpu(m, g, 512, 256, n_rates=5)
    kw = dict(policy=policy, n_requests=120, max_time_s=3600.0)
    lat = ie.sweep_latencies(ie.load_sweep(m, g, rates, **kw))
    slow = ScaledStepTime(ie.IterationCost(m, g), f)
    resim = ie.sweep_latencies(ie.load_sweep(m, g, rates / f, cost=slow,
                                             **{**kw, "max_time_s": 3600.0 * f}))  # fmt: skip
    finite = np.isfinite(lat.ttft_ms)
    assert np.array_equal(finite, np.isfinite(resim.ttft_ms))
    assert resim.ttft_ms[finite] == pytest.approx(f * lat.ttft_ms[finite], rel=1e-9)
    for ttft, tpot in ((500.0, 50.0), (150.0, 12.0)):
        direct = ie.grid_goodput_rps_per_gpu(
            resim.rates_per_gpu, ie.attainment_by_rate(resim, ttft, tpot), 0.9
        )
        assert ie.scaled_grid_goodput_rps_per_gpu(lat, ttft, tpot, 0.9, f) == pytest.approx(direct)


def test_goodput_band_brackets_the_goodput():
    r = ie.goodput_band("Llama-3.1-8B", "H200-SXM", ttft_ms=200.0, tpot_ms=15.0,
                        n_requests=80, rel_tol=0.1, rel_error=0.2)  # fmt: skip
    assert r["goodput_rps_per_gpu_low"] <= r["goodput_rps_per_gpu"] <= r["goodput_rps_per_gpu_high"]
    assert r["goodput_rps_per_gpu_low"] < r["goodput_rps_per_gpu_high"]
    assert r["calibrated"] and len(r["results"]) == 3


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: ie.throughput_band(_frontier(), rel_error=1.0), "rel_error"),
        (lambda: ie.throughput_band(_frontier(), rel_error={"B200-HGX": -0.1}), "rel_error"),
        (lambda: ie.throughput_band(_frontier().drop(columns="gpu")), "gpu"),
        (lambda: ie.cost_band(_frontier()), "total_usd_per_mtok"),
        (lambda: ie.calibration_band("no-such-gpu"), "no-such-gpu"),
        (lambda: ie.frontier_band_polygon([1, 2], [3], 0.1), "one length"),
        (lambda: ie.frontier_band_polygon([1, 2], [3, 0], 0.1), "throughput"),
        (lambda: ie.goodput_band("Llama-3.1-8B", "H200-SXM", ttft_ms=1, tpot_ms=1, cost=1), "cost"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()
