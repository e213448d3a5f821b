"""What the notebook-02 and notebook-04 explorers show, checked against the package's numbers."""

from __future__ import annotations

import numpy as np
import pytest

import inferecon as ie


@pytest.fixture
def close():
    made = []
    yield made.append
    for ex in made:
        ex.close()


def test_frontier_marks_measurements_and_memory(close):
    ex = ie.viz.ThroughputLatencyExplorer()
    close(ex)
    meas = ie.load_decode_measurements()
    dec = meas[meas["kind"] == "decode"]
    # measured points are drawn only against the curve for their own context (issue 11)
    shown = ex._meas.get_offsets()
    at_4096 = dec[dec["context"] == 4096]
    np.testing.assert_allclose(shown[:, 1], at_4096["tokens_per_s_total"])
    ex.controls["context_tokens"].value = 512
    assert len(ex._meas.get_offsets()) == (dec["context"] == 512).sum() == 9
    ex.controls["context_tokens"].value = 1024  # no measurement at this context
    assert len(ex._meas.get_offsets()) == 0
    ex.controls["context_tokens"].value = 4096
    row = ie.decode_performance("Llama-3.1-8B", "H200-SXM", 64, 4096).iloc[0]
    assert f"{row['tokens_per_s_per_gpu']:,.0f}" in ex.readout.value
    mb = ie.max_batch("Llama-3.1-8B", "H200-SXM", 4096)
    assert f"at most <b>{mb:,}</b>" in ex.readout.value
    data = ex.data()
    assert data["fits"].tolist() == (data["batch"] <= mb).tolist()
    ex.controls["batch"].value = 512
    assert "does not fit" in ex.readout.value
    ex.controls["gpu"].value = "H100-SXM"
    assert len(ex._meas.get_offsets()) == 0  # no longer the measured GPU
    ex.controls["model"].value = "Llama-3.1-405B"
    assert "does not fit on H100-SXM" in ex.readout.value
    ex.controls["precision"].value = "fp8"
    ex.controls["n_gpus"].value = 8
    assert "does not fit on" not in ex.readout.value
    assert np.isfinite(ex.data().select_dtypes("number").to_numpy(float)).all()


def test_calibration_explorer_shows_given_calibrations(close):
    default = ie.default_calibration()
    decode_only = ie.calibrate(
        ie.load_decode_measurements(), kinds=("decode",), compute_share=ie.measured_gemm_share()
    )
    ex = ie.viz.CalibrationExplorer({"every row": default, "decode rows only": decode_only})
    close(ex)
    e = default.efficiency
    assert f"memory efficiency <b>{e.memory:.2f}</b>" in ex.readout.value
    assert f"median error <b>{default.median_ape_pct:.1f}%</b>" in ex.readout.value
    assert "fitted to 21 rows" in ex.readout.value
    assert len(ex._bars) == len(ie.load_decode_measurements())
    ex.controls["fit_to"].value = "decode rows only"
    assert "fitted to 17 rows" in ex.readout.value
    assert ex.data()["fitted"].sum() == 17
    # bars show each row's error, clipped to the axis
    widths = np.array([b.get_width() for b in ex._bars])
    np.testing.assert_allclose(widths, np.clip(decode_only.residuals["error_pct"], -60, 140))


def test_roofline_readout_matches_the_model(close):
    ex = ie.viz.RooflineExplorer(gpu="H100-SXM", batch=512, context_tokens=128)
    close(ex)
    assert "ridge <b>295 FLOP/byte</b>" in ex.readout.value
    assert "compute-bound" in ex.readout.value  # batch 512 > ridge at short context


def test_landscape_tells_the_rounding_story(close):
    ex = ie.viz.LossLandscapeExplorer()
    close(ex)
    assert "printed constants give 32.2B" in ex.readout.value
    assert "unrounded ones 40.4B" in ex.readout.value
    data = ex.data()
    assert data.loc[data["name"] == "Chinchilla", "overtraining_factor"].item() == pytest.approx(
        1.0, abs=0.1
    )
    assert (data.loc[data["name"] == "Llama-3-8B", "overtraining_factor"] > 5).all()


def test_inference_aware_default_is_sardanas_example(close):
    ex = ie.viz.InferenceAwareExplorer()
    close(ex)
    # a Chinchilla-optimal 13B model's quality serving 2e12 tokens: ~7B, ~17% saved
    assert "<b>7.0B</b>" in ex.readout.value and "<b>17.4%</b>" in ex.readout.value
    ex.controls["inference_cost_ratio"].value = 3.0
    assert "lifetime cost" in ex.readout.value


def test_fit_explorer_uses_a_given_fit_without_refitting(close):
    runs = ie.viz.simulated_runs()
    fit = ie.fit_scaling_law(runs["n_params"], runs["n_tokens"], runs["loss"], bootstrap=20)
    ex = ie.viz.ScalingFitExplorer(runs, fit=fit, source="test runs")
    close(ex)
    assert ex.fit is fit
    assert "converged" in ex.readout.value and "NOT" not in ex.readout.value
    assert f"α = <b>{fit.alpha:.3f}</b>" in ex.readout.value
    lo, hi = fit.intervals["beta"]
    ex.controls["parameter"].value = "beta"
    assert f"[{lo:,.4g}, {hi:,.4g}]" in ex.readout.value
