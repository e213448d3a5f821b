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
    assert ex._meas.get_alpha() == 1.0  # default = the measured configuration
    row = ie.decode_performance("Llama-3.1-8B", "H200-SXM", 64, 4096).iloc[0]
    assert f"{row['tokens_per_s_per_gpu']:,.0f}" in ex.readout.value
    mb = ie.max_batch("Llama-3.1-8B", "H200-SXM", 4096)
    assert f"at most <b>{mb:,}</b>" in ex.readout.value
    data = ex.data()
    assert data["fits"].tolist() == (data["batch"] <= mb).tolist()
    ex.controls["batch"].value = 512
    assert "does not fit" in ex.readout.value
    ex.controls["gpu"].value = "H100-SXM"
    assert ex._meas.get_alpha() < 1.0  # no longer the measured GPU
    ex.controls["model"].value = "Llama-3.1-405B"
    assert "does not fit on H100-SXM" in ex.readout.value
    ex.controls["precision"].value = "fp8"
    ex.controls["n_gpus"].value = 8
    assert "does not fit on" not in ex.readout.value
    assert np.isfinite(ex.data().select_dtypes("number").to_numpy(float)).all()


def test_calibration_explorer_switches_fits(close):
    ex = ie.viz.CalibrationExplorer()
    close(ex)
    dec = ie.default_efficiency("decode").efficiency
    assert f"{dec.memory:.2f}" in ex.readout.value and "17 decode rows" in ex.readout.value
    assert len(ex._bars) == len(ie.load_decode_measurements())
    ex.controls["fit_to"].value = "prefill rows"
    pre = ie.default_efficiency("prefill").efficiency
    assert f"compute efficiency <b>{pre.compute:.2f}</b>" in ex.readout.value
    assert ex.data()["fitted"].sum() == 4


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
