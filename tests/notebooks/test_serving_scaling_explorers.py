"""What the notebook-02 and notebook-04 explorers show, checked against the package's numbers."""

from __future__ import annotations

import numpy as np
import pytest

import inferecon as ie
from inferecon.scaling import simulated_runs


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
    # the explorer shows the package's numbers; their goldens (32.19B and 40.36B at Gopher's
    # budget, Llama-3-8B 10.1x over-trained, by hand) are in tests/unit/test_scaling.py
    ex = ie.viz.LossLandscapeExplorer()
    close(ex)
    printed, _ = ie.compute_optimal(5.76e23, "chinchilla_printed")
    unrounded, _ = ie.compute_optimal(5.76e23, "chinchilla_unrounded")
    assert f"printed constants give {printed / 1e9:.1f}B" in ex.readout.value
    assert f"unrounded ones {unrounded / 1e9:.1f}B" in ex.readout.value
    data = ex.data()
    models = ie.load_notable_models()
    cmp = ie.compare_to_optimal(models["params"], models["training_tokens"], "epoch_replication")
    np.testing.assert_allclose(data["overtraining_factor"], cmp["overtraining_factor"], rtol=1e-12)
    # the right panel is the package's loss penalty along the budget's iso-FLOP line
    n_opt, d_opt = ie.compute_optimal(5.76e23, "epoch_replication")
    ratio, pen = ex._pen.get_data()
    np.testing.assert_allclose(
        pen, ie.loss_penalty(n_opt * ratio, d_opt / ratio, "epoch_replication"), atol=1e-12
    )


def test_inference_aware_default_is_sardanas_example(close):
    ex = ie.viz.InferenceAwareExplorer()
    close(ex)
    # a Chinchilla-optimal 13B model's quality serving 2e12 tokens: about 7B and 17% saved
    # (Sardana et al. 2024, Fig. 1; golden in tests/unit/test_scaling.py); the explorer
    # shows the package's numbers for that scenario
    law = ie.get_law("sardana2024")
    target = law.optimal_loss(law.optimal_flops(13e9))
    tokens = 10 ** ex.controls["log10_inference_tokens"].value  # 2e12 on the slider's 0.05 grid
    assert tokens == pytest.approx(2e12, rel=0.003)
    opt = ie.inference_aware_optimum(target, tokens, law)
    assert f"<b>{opt.n_params / 1e9:.1f}B</b>" in ex.readout.value
    assert f"<b>{opt.cost_saving:.1%}</b>" in ex.readout.value
    assert round(opt.n_params / 1e9) == 7 and round(100 * opt.cost_saving) == 17
    # the bars are the cost split relative to the Chinchilla-optimal model's total
    base = opt.chinchilla_total_cost
    heights = [b.get_height() for b in (*ex._bar_train, *ex._bar_inf)]
    expect = [
        opt.chinchilla_training_cost / base,
        opt.training_cost / base,
        opt.chinchilla_inference_cost / base,
        opt.inference_cost / base,
    ]
    np.testing.assert_allclose(heights, expect, rtol=1e-12)
    ex.controls["inference_cost_ratio"].value = 3.0
    assert "lifetime cost" in ex.readout.value


def test_fit_explorer_uses_a_given_fit_without_refitting(close):
    runs = simulated_runs()
    fit = ie.fit_scaling_law(runs["n_params"], runs["n_tokens"], runs["loss"], bootstrap=20)
    ex = ie.viz.ScalingFitExplorer(runs, fit=fit, source="test runs")
    close(ex)
    assert ex.fit is fit
    assert "converged" in ex.readout.value and "NOT" not in ex.readout.value
    assert f"α = <b>{fit.alpha:.3f}</b>" in ex.readout.value
    lo, hi = fit.intervals["beta"]
    ex.controls["parameter"].value = "beta"
    assert f"[{lo:,.4g}, {hi:,.4g}]" in ex.readout.value


def test_fit_explorer_draws_the_packages_frontier_band(close):
    runs = simulated_runs()
    fit = ie.fit_scaling_law(runs["n_params"], runs["n_tokens"], runs["loss"], bootstrap=12)
    ex = ie.viz.ScalingFitExplorer(runs, fit=fit, source="test runs")
    close(ex)
    band = next(c for c in ex.ax.collections if c.get_label() == "80% bootstrap band")
    xy = band.get_paths()[0].vertices
    c = np.geomspace(
        ie.training_flops(runs["n_params"], runs["n_tokens"]).min() / 2,
        ie.training_flops(runs["n_params"], runs["n_tokens"]).max() * 2,
        100,
    )
    lo, hi = fit.frontier_band(c, ci=0.8)
    assert np.isclose(xy[:, 1].min(), lo.min()) and np.isclose(xy[:, 1].max(), hi.max())
