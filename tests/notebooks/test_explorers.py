"""Every explorer: controls swept over min/default/max, artists updated in place, Reset,
state(), Export (byte-identical on re-export), and the three display modes."""

from __future__ import annotations

import re
import warnings
from xml.sax.saxutils import escape

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import inferecon as ie
from inferecon.viz import explorers

EXPLORERS = explorers()


def _positions(w):
    """Values to try for a control: its min, default and max (every option for choices)."""
    if isinstance(w, widgets.SelectionRangeSlider):
        n = len(w.options)
        return [(0, 0), w.index, (0, n - 1), (n - 1, n - 1), (n // 2, n // 2 + 1)]
    if isinstance(w, widgets.Checkbox):
        return [not w.value, w.value]
    if hasattr(w, "options"):
        return [o[1] if isinstance(o, tuple) else o for o in w.options]
    return [w.min, w.value, w.max, (w.min + w.max) / 2]


def _set(w, v):
    if isinstance(w, widgets.SelectionRangeSlider):
        w.index = v
    else:
        w.value = v


def _change_something(explorer):
    """Move the first control that has another position; return its name."""
    for name, w in explorer.controls.items():
        current = w.index if isinstance(w, widgets.SelectionRangeSlider) else w.value
        for v in _positions(w):
            if v != current:
                _set(w, v)
                return name
    raise AssertionError("no control can move")


def _artist_snapshot(fig):
    """Data of every line and the visible texts: what a reader would see change."""
    snap = []
    for ax in fig.axes:
        for line in ax.lines:
            x, y = line.get_data()
            snap.append(np.asarray(y, dtype=float).round(9).tobytes())
        snap += [t.get_text() for t in ax.texts if t.get_visible()]
    return snap


@pytest.fixture(params=sorted(EXPLORERS))
def explorer(request):
    ex = EXPLORERS[request.param]()
    yield ex
    ex.close()


def test_every_control_has_bounds_label_and_units_and_the_figure_a_source(explorer):
    """Read-only checks of a fresh explorer (one construction for both)."""
    for name, w in explorer.controls.items():
        assert w.description, f"{name} has no label"
        if isinstance(w, (widgets.FloatSlider, widgets.IntSlider)):
            assert w.min < w.max and w.step > 0, name
            assert "(" in w.description, f"{name}: units belong in the label"
    texts = [t.get_text() for t in explorer.fig.texts]
    assert any(t.startswith("Source:") for t in texts), "the figure carries no source line"


def test_sweep_every_control_min_default_max(explorer):
    """No position raises, warns, draws NaN into a readout or creates a figure.

    Setting a control runs the explorer's whole update, drawing included (on the Agg canvas:
    a blit of the changed artists, or a full draw when the layout changed), under warnings as
    errors; that a blit equals a full draw is :func:`test_blitted_update_matches_a_full_redraw`'s.
    """
    n_figs = len(plt.get_fignums())
    for name, w in explorer.controls.items():
        for v in _positions(w):
            # dependent controls (threshold follows benchmark) are re-read each time
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                _set(w, v)
            assert not explorer.fig.stale, f"{name}={v!r}: the update left the figure undrawn"
            text = explorer.readout.value
            assert text and not re.search(r"\b(nan|inf)\b", text.lower()), (name, v, text)
            assert len(plt.get_fignums()) == n_figs, "an update created a new figure"
        explorer.reset()


def test_sweep_threshold_for_every_benchmark():
    ex = ie.viz.PriceDeclineExplorer()
    try:
        bench = ex.controls["benchmark"]
        thr = ex.controls["threshold"]
        for b in [o[1] for o in bench.options]:
            bench.value = b
            assert thr.min <= thr.value <= thr.max
            for v in (thr.min, thr.value, thr.max):
                with warnings.catch_warnings():
                    warnings.simplefilter("error")
                    thr.value = v
                    ex.fig.canvas.draw()
                assert "nan" not in ex.readout.value.lower()
                for line in ex.ax.lines:
                    y = np.asarray(line.get_ydata(), dtype=float)
                    assert not np.isnan(y).any() or line is ex._best, (b, v)
    finally:
        ex.close()


def test_moving_threshold_updates_artists_in_place():
    ex = ie.viz.PriceDeclineExplorer()
    try:
        front_line = ex._front
        before = _artist_snapshot(ex.fig)
        readout = ex.readout.value
        n_artists = len(ex.ax.lines)
        ex.controls["threshold"].value = 80.0
        assert ex._front is front_line and len(ex.ax.lines) == n_artists
        assert _artist_snapshot(ex.fig) != before
        assert ex.readout.value != readout
        assert all(s >= 80.0 for s in ex.frontier["score"])
    finally:
        ex.close()


def test_default_scenario_is_the_ai_index_claim():
    ex = ie.viz.PriceDeclineExplorer()
    try:
        fr = ex.frontier
        # the AI Index 2025's "280-fold" starting point: GPT-3.5 (text-davinci-003), Nov 2022,
        # $20/Mtok ($0.02 per 1K tokens, input and output alike)
        assert fr.iloc[0]["usd_per_mtok"] == pytest.approx(20.0, rel=1e-12)
        assert "-fold</b> fall" in ex.readout.value and "× per year" in ex.readout.value
        assert ex.fit is not None and ex.fit.n_points == len(fr)
    finally:
        ex.close()


def test_degenerate_selection_says_so_instead_of_fitting():
    ex = ie.viz.PriceDeclineExplorer()
    try:
        ex.controls["threshold"].value = ex.controls["threshold"].max
        assert "No model" in ex.readout.value or "too few" in ex.readout.value
        assert ex._msg.get_visible()
        assert len(ex._fit.get_xdata()) == 0
    finally:
        ex.close()


def test_reset_restores_defaults_and_inline_mode_refreshes(explorer):
    """Reset brings back the defaults and their figure; then, laid out inline (the Agg
    canvas's fallback), a change refreshes the same output. (One explorer for both.)"""
    default = explorer.state()
    first = _artist_snapshot(explorer.fig)
    for w in explorer.controls.values():
        _set(w, _positions(w)[0])
    explorer.reset()
    assert explorer.state() == default
    assert _artist_snapshot(explorer.fig) == first
    box = explorer.widget()
    assert isinstance(box, widgets.VBox)
    out = box.children[-1]
    assert isinstance(out, widgets.Output)  # Agg canvas: the inline fallback
    _change_something(explorer)
    assert explorer._output is out


def test_state_round_trips(explorer):
    w = next(iter(explorer.controls.values()))
    _set(w, _positions(w)[-1])
    st = explorer.state()
    again = type(explorer)(**st)
    try:
        assert again.state() == st
        assert again.readout.value == explorer.readout.value
    finally:
        again.close()


def test_unknown_or_out_of_range_parameters_are_rejected():
    with pytest.raises(ValueError, match="unknown parameter"):
        ie.viz.PriceDeclineExplorer(treshold=70)
    with pytest.raises(ValueError, match="threshold must be in"):
        ie.viz.PriceDeclineExplorer(threshold=500)
    with pytest.raises(ValueError, match="benchmark must be one of"):
        ie.viz.PriceDeclineExplorer(benchmark="mmlu_pro")


def test_export_is_complete_named_and_byte_identical(explorer, tmp_path):
    """The Export button writes the four files; exporting again from code writes the same
    bytes; the source line is in the SVG; the name follows the parameters. (One explorer for
    the button and the re-export: each export renders the figure four times.)"""
    explorer.export_dir = tmp_path / "a"
    explorer._export_button.click()
    assert "Exported 4 files" in explorer._export_status.value
    files = sorted((tmp_path / "a").iterdir())
    assert sorted(f.suffix for f in files) == [".csv", ".pdf", ".png", ".svg"]
    assert all(f.stem == explorer.export_name() for f in files)
    again = sorted(explorer.export(tmp_path / "b"))
    assert [f.name for f in again] == [f.name for f in files]
    for f, g in zip(files, again, strict=True):
        assert f.read_bytes() == g.read_bytes(), f.name
    # the source line is exported: matplotlib writes each line of a text, drawn as glyph
    # paths (svg.fonttype: path), as an XML comment beside its glyphs
    svg = (tmp_path / "a" / f"{explorer.export_name()}.svg").read_text()
    (source,) = [t.get_text() for t in explorer.fig.texts if t.get_text().startswith("Source:")]
    for line in source.splitlines():
        assert f"<!-- {escape(line)} -->" in svg, line
    # the name follows the parameters
    old = explorer.export_name()
    _change_something(explorer)
    assert explorer.export_name() != old


@pytest.mark.parametrize("name", sorted(EXPLORERS))
def test_a_closed_explorer_is_freed(name):
    """close() releases the figure and every widget (ipywidgets keeps a widget, and the
    explorer its callbacks hold, until it is closed): nothing keeps a closed explorer alive,
    so re-creating explorers (a benchmark, a notebook re-run) does not pile up memory."""
    import gc
    import weakref

    explorer = EXPLORERS[name]()
    explorer.widget()  # a layout, as show() makes
    _change_something(explorer)
    ref = weakref.ref(explorer)
    explorer.close()
    assert all(w.comm is None for w in (*explorer.controls.values(), explorer.readout))
    del explorer
    gc.collect()
    assert ref() is None


def test_blitted_update_matches_a_full_redraw(explorer):
    """The fast path (restore background, redraw dynamic artists) shows what a full draw shows."""
    w = next(iter(explorer.controls.values()))
    for c in explorer.controls.values():
        if isinstance(c, widgets.FloatSlider):
            w = c
            break
    _set(w, _positions(w)[-1] if _positions(w)[-1] != w.value else _positions(w)[0])
    blit = np.asarray(explorer.fig.canvas.buffer_rgba()).astype(int)
    with explorer._all_drawn():
        explorer.fig.canvas.draw()
    full = np.asarray(explorer.fig.canvas.buffer_rgba()).astype(int)
    differing = (np.abs(blit - full).sum(axis=-1) > 30).mean()
    # only z-order at overlaps differs (dynamic artists are drawn after every static one):
    # achieved at most 0.25% of pixels (inference_aware, scaling_fit); 0.5% is a 2x margin
    assert differing < 0.005, f"{differing:.2%} of pixels differ"


def _layout_change(explorer):
    """The first (control, value) that changes the figure's layout (limits, labels), or None."""
    default = explorer._layout_key()
    try:
        for w in explorer.controls.values():
            current = w.index if isinstance(w, widgets.SelectionRangeSlider) else w.value
            for v in _positions(w):
                if v == current:
                    continue
                _set(w, v)
                changed = explorer._layout_key() != default
                _set(w, current)
                if changed:
                    return w, v
        return None
    finally:
        explorer.reset()


def test_cached_background_after_a_layout_round_trip_matches_a_full_redraw(explorer):
    """Leaving a layout and coming back reuses the cached static bitmap; it must be right.

    The layout changes through the first control that changes it (limits or labels); most
    explorers keep their axes fixed under every control (DESIGN.md: so that controls blit),
    and those change it by a resize of the figure instead, as a user resizing the live canvas
    does. Either way the default layout's bitmap comes back from the cache.
    """
    canvas = explorer.fig.canvas
    default_key = explorer._layout_key()
    change = _layout_change(explorer)
    if default_key not in explorer._bg_cache:
        canvas.draw()  # a full draw caches the default layout's background
    cached_bg = explorer._bg_cache[default_key]
    if change is not None:
        w, other = change
        default = w.index if isinstance(w, widgets.SelectionRangeSlider) else w.value
        _set(w, other)
        assert explorer._layout_key() != default_key
        _set(w, default)  # layout seen before: restored from the cache, not redrawn
    else:
        size = explorer.fig.get_size_inches().copy()
        explorer.fig.set_size_inches(size[0] * 1.25, size[1])
        explorer._relayout()
        explorer.redraw()
        assert explorer._layout_key() != default_key
        explorer.fig.set_size_inches(*size)
        explorer._relayout()
        explorer.redraw()
    assert explorer._layout_key() == default_key
    assert explorer._bg is cached_bg  # restored from the cache (a full draw makes a new one)
    cached = np.asarray(canvas.buffer_rgba()).astype(int)
    with explorer._all_drawn():
        canvas.draw()
    full = np.asarray(canvas.buffer_rgba()).astype(int)
    # achieved: at most 0.27% of pixels differ (inference_aware); as in the blit test above
    assert (np.abs(cached - full).sum(axis=-1) > 30).mean() < 0.005


def test_coverage_explorer_takes_a_users_counts_file(tmp_path):
    p = tmp_path / "mine.csv"
    p.write_text(
        "model,problem_idx,n_samples,n_correct\n"
        + "".join(f"mine,{i},100,{c}\n" for i, c in enumerate([0, 1, 2, 5, 9, 30, 0, 3]))
    )
    ex = ie.viz.CoverageDataExplorer(ie.load_sampling_counts(p), source="my runs")
    try:
        assert ex.models == ["mine"]
        assert "at k = 100" in ex.readout.value
        cov100 = ie.coverage([100] * 8, [0, 1, 2, 5, 9, 30, 0, 3], 100)
        assert cov100 == pytest.approx(6 / 8)
        assert f"{cov100:.1%}" in ex.readout.value
    finally:
        ex.close()


def test_open_closed_cached_series_equal_a_fresh_computation():
    """OpenClosedExplorer caches what it draws per (benchmark, reasoning) choice: after
    visiting every choice, and coming back in another order, each drawn line and the exported
    table equal a fresh computation and a fresh explorer; a key that left out the reasoning
    choice would hand back the other choice's lines."""
    ex = ie.viz.OpenClosedExplorer()
    choices = [
        (b, r) for b in (o[1] for o in ex.controls["benchmark"].options) for r in (False, True)
    ]
    try:
        for b, r in choices + choices[::-1]:
            ex.controls["benchmark"].value = b
            ex.controls["include_reasoning"].value = r
            fresh = ie.best_score_by_group(ex.prices, b, ex._dates(), include_reasoning=r)
            pd.testing.assert_frame_equal(ex._series(b, r)["groups"], fresh)
            np.testing.assert_array_equal(ex._closed.get_ydata(), fresh["closed"].to_numpy(float))
            np.testing.assert_array_equal(ex._gap.get_ydata(), fresh["gap_pct"].to_numpy(float))
            mask = ie.qualifying_mask(ex.prices, b, include_reasoning=r)
            closed = ex.prices[mask & ex.prices["open_weights"].eq(False).to_numpy()]
            np.testing.assert_array_equal(ex._cpts.get_ydata(), closed[b].to_numpy(float))
        other = ie.viz.OpenClosedExplorer(**ex.state())
        pd.testing.assert_frame_equal(ex.data(), other.data())
        assert ex.readout.value == other.readout.value
        other.close()
    finally:
        ex.close()
