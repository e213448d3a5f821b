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
    ex.controls["tensor_parallel"].value = 8
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


def _blit_vs_full_redraw(ex) -> float:
    """Share of pixels that differ between the frame on the canvas and a full draw of the
    figure with nothing cached (the blitting tests' threshold: > 30 in the RGBA sum)."""
    frame = np.asarray(ex.fig.canvas.buffer_rgba()).astype(int)
    cached = dict(ex._bg_cache)
    ex._bg_cache.clear()
    with ex._all_drawn():
        ex.fig.canvas.draw()
    full = np.asarray(ex.fig.canvas.buffer_rgba()).astype(int)
    ex._bg_cache.update(cached)
    return float((np.abs(frame - full).sum(axis=-1) > 30).mean())


def test_landscape_law_change_draws_that_laws_contours(close):
    """The contours are static and differ by law: switching the law must not restore another
    law's cached background (the layout key carries the law), and a law seen before blits."""
    ex = ie.viz.LossLandscapeExplorer()
    close(ex)
    law = ex.controls["law"]
    default = law.value
    law.value = "Chinchilla, printed constants"
    assert _blit_vs_full_redraw(ex) < 0.005  # was 4% of the pixels: the default's contours
    law.value = default
    assert _blit_vs_full_redraw(ex) < 0.005
    drawn = []
    ex.fig.canvas.mpl_connect("draw_event", drawn.append)
    law.value = "Chinchilla, printed constants"
    law.value = default
    assert not drawn  # both layouts were cached: blits, no full draw
    assert _blit_vs_full_redraw(ex) < 0.005


def test_fit_explorer_parameter_change_is_a_blit(close):
    """The histogram's axes are dynamic artists: a new parameter (new scale and label) is
    drawn by blitting, and the frame is what a full draw shows."""
    runs = simulated_runs()
    fit = ie.fit_scaling_law(runs["n_params"], runs["n_tokens"], runs["loss"], bootstrap=12)
    ex = ie.viz.ScalingFitExplorer(runs, fit=fit, source="test runs")
    close(ex)
    drawn = []
    ex.fig.canvas.mpl_connect("draw_event", drawn.append)
    for name in ("A", "beta", "E"):
        ex.controls["parameter"].value = name
        assert ex.ax_hist.get_xlabel() == name
        lo, hi = ex.ax_hist.get_xlim()
        assert lo < getattr(fit, name) < hi
    assert not drawn
    assert _blit_vs_full_redraw(ex) < 0.005


def test_landscape_kept_contours_equal_a_fresh_explorers(close):
    """Each law's contours are made once and kept (hidden while another law shows): after
    visiting every law twice, in two orders, a full draw of the explorer gives exactly the
    pixels of a fresh explorer built for that law, so one law's kept contours never show
    under another's (the key is the law; the (N, D) grid does not change)."""
    ex = ie.viz.LossLandscapeExplorer()
    close(ex)
    laws = [o[1] if isinstance(o, tuple) else o for o in ex.controls["law"].options]
    for name in laws + laws[::-1]:
        ex.controls["law"].value = name
        assert sum(cs.get_visible() for cs in ex._contour_sets.values()) == 1
        with ex._all_drawn():
            ex.fig.canvas.draw()
        kept = np.asarray(ex.fig.canvas.buffer_rgba()).copy()
        fresh = ie.viz.LossLandscapeExplorer(**ex.state())
        close(fresh)
        with fresh._all_drawn():
            fresh.fig.canvas.draw()
        assert np.array_equal(kept, np.asarray(fresh.fig.canvas.buffer_rgba()))
    assert len(ex._contour_sets) == len(laws)


def test_frontier_and_cost_explorers_draw_the_calibration_band(close):
    ex = ie.viz.ThroughputLatencyExplorer()
    close(ex)
    band = ie.calibration_band(ex.state()["gpu"])
    x, y = ex._cal.get_data()
    (path,) = ex._band.get_paths()
    want = ie.frontier_band_polygon(np.asarray(x)[::-1], np.asarray(y)[::-1], band.rel_error)
    np.testing.assert_allclose(np.asarray(path.vertices)[: len(want)], want)
    # the measured H200 points at this context lie in the band (its p90 is a held-out error)
    from matplotlib.path import Path

    pts = ex._meas.get_offsets()
    assert len(pts) and Path(np.log(want)).contains_points(np.log(pts)).mean() >= 0.8
    assert f"p90 error ±{band.rel_error:.0%}" in ex.readout.value

    cost = ie.viz.CostEnergyExplorer()
    close(cost)
    d = cost.data()
    fits = d["fits"].to_numpy()
    lo, hi = ie.band_limits(d["usd_per_mtok_output"], "H200-SXM", scales_with="step_time")
    np.testing.assert_allclose(d["usd_per_mtok_output_low"], lo)
    assert (d["usd_per_mtok_output_low"] < d["usd_per_mtok_output"]).all()
    (path,) = cost._c_band.get_paths()
    v = np.asarray(path.vertices)
    np.testing.assert_allclose(v[: fits.sum(), 1], np.asarray(lo)[fits])
