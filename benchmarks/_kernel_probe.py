"""Kernel-side timing probe for ``benchmarks/browser_latency.py``.

The benchmark copies this file into the temporary IPython profile's ``startup/`` folder of its
isolated JupyterLab, so it runs in every kernel that server starts, before any notebook cell,
and never in a user's own kernels. It wraps, without changing what they do:

* ``ipywidgets.Widget._handle_msg`` — a comm message from the browser reaches a widget;
* ``Explorer.update`` and ``Explorer.redraw`` — the explorer's recompute, artist update and Agg
  draw (blit or full);
* ipympl's ``Canvas.get_diff_image`` (the diff against the previous frame and the PNG encode)
  and ``Canvas.send_binary`` (handing the PNG to the comm); and the explorer's own frame
  encoder and sender where it installs them (``inferecon.viz.explorer._next_frame`` and
  ``_send_frame``).

For A/B runs, while a file ``<probe file>.ipympl`` exists the explorers' canvases go back to
ipympl's own frame encoding; while ``<probe file>.mpltext`` exists, their text is drawn by
matplotlib's own ``RendererAgg.draw_text`` instead of the explorer's glyph cache
(``inferecon.viz._glyph_cache``). Each record says which (``encoder``, ``text``).

One JSON line per explorer update is appended to the file named by ``INFERECON_BENCH_PROBE``:
wall-clock times (ms since the epoch, comparable with the page's
``performance.timeOrigin + performance.now()`` on the same machine) and durations in ms.
"""

from __future__ import annotations

import json
import os
import time

_PATH = os.environ.get("INFERECON_BENCH_PROBE")


def _install(path: str) -> None:
    import ipywidgets
    from ipympl.backend_nbagg import Canvas

    from inferecon.viz.explorer import Explorer

    state: dict = {"msg_t": None, "rec": None}

    def epoch_ms() -> float:
        return time.time() * 1e3

    handle_msg = ipywidgets.Widget._handle_msg

    def _handle_msg(self, msg):
        data = msg.get("content", {}).get("data", {})
        if data.get("method") == "update":
            state["msg_t"] = epoch_ms()
            # a control with continuous_update off commits on release and may re-simulate:
            # its target is a first answer within 300 ms, a drag's is 100 ms (issue 17)
            state["release"] = getattr(self, "continuous_update", True) is False
        return handle_msg(self, msg)

    update = Explorer.update

    def _update(self):
        rec = {
            "explorer": type(self).__name__,
            "msg_t": state["msg_t"],
            "release": bool(state.get("release", False)),
            "update_t0": epoch_ms(),
            "redraw_ms": 0.0,
            "diff_png_ms": 0.0,
            "send_ms": 0.0,
            "png_bytes": [],
            "modes": [],
            "send_end_t": [],
        }
        state["msg_t"] = None
        state["release"] = False
        state["mpl_text"] = os.path.exists(path + ".mpltext")  # checked once per update
        rec["text"] = "matplotlib" if state["mpl_text"] else "glyph cache"
        outer, state["rec"] = state["rec"], rec
        t0 = time.perf_counter()
        try:
            return update(self)
        finally:
            rec["update_ms"] = (time.perf_counter() - t0) * 1e3
            rec["update_t1"] = epoch_ms()
            state["rec"] = outer
            with open(path, "a") as f:
                f.write(json.dumps(rec) + "\n")

    redraw = Explorer.redraw
    from inferecon.viz import explorer as explorer_module

    def _choose_encoder(canvas) -> str:
        """A/B runs: the benchmark creates ``<probe>.ipympl`` to have the next frames encoded
        by ipympl's own ``get_diff_image`` (as before the explorer encoded its frames)."""
        if os.path.exists(path + ".ipympl"):
            canvas.__dict__.pop("get_diff_image", None)
            canvas._inferecon_fast_frames = True  # keep _use_fast_frames from reinstalling
            return "ipympl"
        if "get_diff_image" not in canvas.__dict__:
            canvas._inferecon_fast_frames = False
        explorer_module._use_fast_frames(canvas)
        return "explorer" if "get_diff_image" in canvas.__dict__ else "ipympl"

    def _redraw(self):
        if state["rec"] is not None and hasattr(explorer_module, "_use_fast_frames"):
            state["rec"]["encoder"] = _choose_encoder(self.fig.canvas)
        t0 = time.perf_counter()
        try:
            return redraw(self)
        finally:
            if state["rec"] is not None:
                state["rec"]["redraw_ms"] += (time.perf_counter() - t0) * 1e3

    def _timed_frame(encode):
        def timed(self):
            t0 = time.perf_counter()
            png = encode(self)
            _record_frame(self, png, t0)
            return png

        return timed

    def _record_frame(canvas, png, t0):
        rec = state["rec"]
        if rec is not None and png is not None:
            rec["diff_png_ms"] += (time.perf_counter() - t0) * 1e3
            rec["png_bytes"].append(len(png))
            rec["modes"].append(canvas._current_image_mode)

    def _timed_send(send):
        def timed(self, data):
            t0 = time.perf_counter()
            try:
                return send(self, data)
            finally:
                rec = state["rec"]
                if rec is not None:
                    rec["send_ms"] += (time.perf_counter() - t0) * 1e3
                    rec["send_end_t"].append(epoch_ms())

        return timed

    try:
        from inferecon.viz import _glyph_cache
    except ImportError:  # a package without the glyph cache
        _glyph_cache = None
    state["mpl_text"] = False
    if _glyph_cache is not None:
        from matplotlib.backends.backend_agg import RendererAgg

        cached_draw_text = _glyph_cache._draw_text

        def _draw_text(self, *args, **kwargs):
            if state["mpl_text"]:
                return RendererAgg.draw_text(self, *args, **kwargs)
            return cached_draw_text(self, *args, **kwargs)

        # use_glyph_cache binds the module's _draw_text to each renderer it sees
        _glyph_cache._draw_text = _draw_text

    ipywidgets.Widget._handle_msg = _handle_msg
    Explorer.update = _update
    Explorer.redraw = _redraw
    Canvas.get_diff_image = _timed_frame(Canvas.get_diff_image)
    if hasattr(explorer_module, "_next_frame"):
        explorer_module._next_frame = _timed_frame(explorer_module._next_frame)
    Canvas.send_binary = _timed_send(Canvas.send_binary)
    if hasattr(explorer_module, "_send_frame"):
        # the explorer installs its own send_binary on each canvas (an instance attribute, which
        # the class-level wrapper above never sees): time that one too
        explorer_module._send_frame = _timed_send(explorer_module._send_frame)


if _PATH:
    _install(_PATH)
