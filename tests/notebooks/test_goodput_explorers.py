"""Notebook 03's re-simulating explorers answer with a small preview first and refine after the
control callback: the preview is what is drawn first (and says so), the full run replaces it,
a refinement overtaken by a newer change is dropped, exports always show the full run, and
every drawing happens under DRAW_LOCK (a refinement draws from its worker thread)."""

from __future__ import annotations

import threading
from concurrent.futures import Future

import numpy as np
import pandas as pd
import pytest

import inferecon as ie
from inferecon.viz import explorer as explorer_module
from inferecon.viz.explorer import DRAW_LOCK
from inferecon.viz.goodput import GoodputExplorer, ServingLoadExplorer

SMALL_LOAD = {"n_requests": 300, "preview_requests": 60}
SMALL_SWEEP = {"n_requests": 150, "preview_requests": 40, "preview_rates": 3}


class ManualExecutor:
    """Holds submitted refinements until the test runs them (in the order it chooses)."""

    def __init__(self):
        self.jobs: list[tuple[Future, object, tuple]] = []

    def submit(self, fn, *args):
        fut = Future()
        self.jobs.append((fut, fn, args))
        return fut

    def run(self, i):
        fut, fn, args = self.jobs[i]
        fut.set_result(fn(*args))
        return fut.result()


def _ttft_points(ex) -> int:
    return len(ex._ttft.get_xdata())


def _load(**kw):
    return ServingLoadExplorer(**SMALL_LOAD, **kw)


def test_the_first_draw_is_the_preview_then_the_full_run_replaces_it():
    ex = _load(refine="deferred")
    try:
        ex.controls["rate_per_s"].value = 60.0
        # what the callback drew: the preview's 60 requests, labelled as a preview
        assert ex.shown_preview
        assert _ttft_points(ex) == 60
        assert "Preview of 60 requests" in ex.readout.value
        assert ex._preview_txt.get_text().startswith("Preview: 60 requests")
        assert ex.wait_refined()
        assert not ex.shown_preview
        assert _ttft_points(ex) == 300
        assert "Preview" not in ex.readout.value and ex._preview_txt.get_text() == ""
        # the refined readout is what a synchronous explorer shows for the same controls
        same = _load(refine="sync", **{**ex.state()})
        try:
            assert not same.shown_preview and same.readout.value == ex.readout.value
        finally:
            same.close()
    finally:
        ex.close()


def test_a_refinement_runs_after_the_callback_and_a_stale_one_is_dropped():
    ex = _load(refine="background")
    manual = ManualExecutor()
    ex._executor = manual
    try:
        ex.wait_refined(60)  # the constructor's own refinement (real executor)
        ex.controls["rate_per_s"].value = 40.0
        assert len(manual.jobs) == 1 and not manual.jobs[0][0].done()  # not inside the callback
        ex.controls["rate_per_s"].value = 80.0
        assert len(manual.jobs) == 2
        before = (ex.readout.value, _ttft_points(ex))
        assert manual.run(0) is False  # the 40 requests/s run is stale: nothing drawn
        assert ex.refinements["dropped"] == 1
        assert (ex.readout.value, _ttft_points(ex)) == before and ex.shown_preview
        applied = ex.refinements["applied"]
        assert manual.run(1) is True
        assert ex.refinements["applied"] == applied + 1
        assert not ex.shown_preview and _ttft_points(ex) == 300
        assert "80 requests/s" in ex.readout.value
    finally:
        ex.close()


def test_a_superseded_sweep_stops_between_simulations():
    ex = GoodputExplorer(**SMALL_SWEEP, refine="background")
    manual = ManualExecutor()
    ex._executor = manual
    try:
        ex.wait_refined(120)
        calls = []
        result = ex._result

        def counting(p, final, is_current):
            calls.append(final)
            return result(p, final, is_current)

        ex._result = counting
        ex.controls["prompt_mean"].value = 1024
        ex.controls["prompt_mean"].value = 2048
        assert manual.run(0) is False  # dropped before simulating anything
        assert calls == [False, False]  # the two previews only
        assert manual.run(1) is True
        assert not ex.shown_preview
    finally:
        ex.close()


@pytest.mark.parametrize("make", [_load, lambda **kw: GoodputExplorer(**SMALL_SWEEP, **kw)])
def test_export_shows_the_full_result(make, tmp_path):
    ex = make(refine="background")
    manual = ManualExecutor()
    try:
        ex.wait_refined(120)
        ex._executor = manual  # the refinement of the next change never runs by itself
        name = "prompt_mean"
        ex.controls[name].value = 1024
        assert ex.shown_preview and len(manual.jobs) == 1
        files = ex.export(tmp_path)
        assert not ex.shown_preview
        csv = pd.read_csv(next(f for f in files if f.suffix == ".csv"))
        if isinstance(ex, ServingLoadExplorer):
            assert len(csv) == SMALL_LOAD["n_requests"]  # one row per request of the full run
        else:
            assert set(csv.groupby("policy").size()) == {10}  # every rate of the grid
        svg = next(f for f in files if f.suffix == ".svg").read_text()
        assert "Preview" not in svg
        assert manual.run(0) is True  # the late refinement finds it drawn already
    finally:
        ex.close()


def test_goodput_preview_uses_fewer_rates_and_the_same_axes():
    ex = GoodputExplorer(**SMALL_SWEEP, refine="deferred")
    try:
        ex.controls["output_mean"].value = 128
        assert ex.shown_preview
        assert len(ex._curves["chunked_prefill"].get_xdata()) == 3
        lims = (ex.ax_a.get_xlim(), ex.ax_g.get_xlim(), ex.ax_g.get_ylim())
        assert "Preview (40 requests at 3 rates)" in ex.readout.value
        ex.wait_refined()
        assert len(ex._curves["chunked_prefill"].get_xdata()) == 10
        np.testing.assert_allclose(
            np.ravel((ex.ax_a.get_xlim(), ex.ax_g.get_xlim(), ex.ax_g.get_ylim())),
            np.ravel(lims),
        )  # the refinement blits: the grid's ends were in the preview
    finally:
        ex.close()


def test_report_mode_draws_the_full_result_at_once(monkeypatch):
    monkeypatch.setitem(explorer_module._MODE, "mode", "static")
    ex = _load()
    try:
        ex.controls["rate_per_s"].value = 30.0
        assert not ex.shown_preview and _ttft_points(ex) == 300
    finally:
        ex.close()


def test_refinements_draw_only_under_the_lock_and_off_the_callers_thread():
    ex = _load(refine="background")
    canvas = ex.fig.canvas
    bad, drawers = [], set()

    def guarded(fn, what):
        def wrapper(*a, **k):
            if not DRAW_LOCK._is_owned():
                bad.append(what)
            drawers.add(threading.get_ident())
            return fn(*a, **k)

        return wrapper

    try:
        assert ex.wait_refined(60)
        ex.fig.draw_artist = guarded(ex.fig.draw_artist, "draw_artist")
        for name in ("draw", "blit", "restore_region"):
            setattr(canvas, name, guarded(getattr(canvas, name), name))
        ex._show = guarded(ex._show, "artists")
        for v in (25.0, 35.0, 45.0):
            ex.controls["rate_per_s"].value = v
        assert ex.wait_refined(60)
        assert not ex.shown_preview and "45 requests/s" in ex.readout.value
        assert ex.refinements["applied"] >= 2  # the constructor's and the last change's
        assert not bad, bad
        assert drawers - {threading.get_ident()}, "no refinement drew from the worker"
    finally:
        ex.close()


def test_refine_mode_is_checked():
    with pytest.raises(ValueError, match="refine must be one of"):
        _load(refine="later")


def test_readouts_keep_the_package_numbers():
    ex = _load(refine="sync", rate_per_s=60.0, ttft_ms=200, tpot_ms=20)
    try:
        res = ex._cached(ex._params())
        att = ie.slo_attainment(res.requests, 200.0, 20.0)
        good = ie.vllm_goodput_rps(att, len(res.requests), res.summary["duration_s"])
        assert f"goodput (vLLM's definition) <b>{good:.2f}</b>" in ex.readout.value
        met = ie.attainment_per_target(res.requests, 200.0, 20.0)
        assert ex._ttft_txt.get_text() == f"{met[0]:.0%} within target"
    finally:
        ex.close()


def test_inline_view_gets_the_refined_figure_from_the_worker():
    ex = _load(refine="background")
    try:
        assert ex.wait_refined(60)
        out = ex.widget().children[-1]  # Agg canvas: the inline Output
        ex.controls["rate_per_s"].value = 70.0
        assert ex.wait_refined(60) and not ex.shown_preview
        assert ex._output is out
        # the worker replaced the Output's content with the figure (outside a kernel its
        # plain-text form; a kernel's inline backend adds the PNG)
        assert [o["output_type"] for o in out.outputs] == ["display_data"]
        assert "Figure" in out.outputs[0]["data"]["text/plain"]
    finally:
        ex.close()


def _round(v: float) -> bool:
    mantissa = v / 10 ** np.floor(np.log10(v) + 1e-9)
    return any(np.isclose(mantissa, m) for m in (1.0, 2.0, 5.0))


@pytest.mark.parametrize("model", ["Llama-3.1-8B", "Qwen3-30B-A3B"])
def test_goodput_axes_tick_round_rates_that_match_the_data(model):
    """The rate axes are drawn in units of the grid's highest rate, but the reader sees ticks
    at round values (1, 2, 5 x 10^k requests/s) placed where those values are: position x
    unit == label, and the data lie within the ticks' span of a decade either side."""
    ex = GoodputExplorer(**SMALL_SWEEP, refine="sync", model=model, tensor_parallel=2)
    try:
        entry, _, _ = ex._shown
        rates = entry["lat"]["chunked_prefill"].rates_per_gpu
        unit = float(rates.max())
        for ax, axis in ex._log_axes:
            a = ax.xaxis if axis == "x" else ax.yaxis
            positions = list(a.get_major_locator().locs)
            labels = list(a.get_major_formatter().seq)
            assert len(positions) >= 2 and len(labels) == len(positions)
            lo, hi = ax.get_xlim() if axis == "x" else ax.get_ylim()
            for pos, label in zip(positions, labels, strict=True):
                value = float(label.replace(",", ""))
                assert _round(value), label
                assert pos * unit == pytest.approx(value, rel=2e-3)
                assert lo <= pos <= hi
            if axis == "x":
                values = [float(t.replace(",", "")) for t in labels]
                assert min(values) <= rates.min() * 5 and max(values) >= rates.max() / 5
    finally:
        ex.close()


def test_a_new_rate_grid_moves_the_ticks_and_redraws_the_background():
    """Round ticks are static (drawn once into the background): another rate grid gives other
    ticks and a full redraw, and the explorer's layout key tells the two backgrounds apart."""
    ex = GoodputExplorer(**SMALL_SWEEP, refine="sync")
    try:
        key = ex._layout_key()
        ticks = list(ex.ax_a.xaxis.get_major_formatter().seq)
        ex.controls["model"].value = "Llama-3.1-70B"
        ex.controls["tensor_parallel"].value = 4
        assert list(ex.ax_a.xaxis.get_major_formatter().seq) != ticks
        assert ex._layout_key() != key
    finally:
        ex.close()


def test_goodput_band_reads_the_same_runs_with_scaled_step_times():
    ex = GoodputExplorer(**SMALL_SWEEP, refine="sync")
    try:
        d = ex.data().groupby("policy").first()
        band = ie.calibration_band(ex.state()["gpu"])
        lat = ex._shown[0]["lat"]["chunked_prefill"]
        p = ex.state()
        slow, fast = band.step_time_factors[::-1]
        want = [
            ie.scaled_grid_goodput_rps_per_gpu(lat, p["ttft_ms"], p["tpot_ms"], p["attainment"], f)
            for f in (slow, fast)
        ]
        row = d.loc["chunked_prefill"]
        assert [row["goodput_rps_per_gpu_low"], row["goodput_rps_per_gpu_high"]] == want
        assert (d["goodput_rps_per_gpu_low"] <= d["goodput_rps_per_gpu"]).all()
        assert (d["goodput_rps_per_gpu"] <= d["goodput_rps_per_gpu_high"]).all()
        assert f"({want[0]:.2f}-{want[1]:.2f})" in ex.readout.value
        assert len(ex._bar_band[0].get_xdata()) == 2
    finally:
        ex.close()
