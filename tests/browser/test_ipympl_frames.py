"""The frames an explorer sends to ipympl's browser view, checked without a browser.

An explorer's redraw reaches JupyterLab as PNG frames over the canvas widget's comm:
``Explorer.redraw`` draws into the Agg buffer, and the WebAgg canvas encodes the next frame
(``inferecon.viz.explorer._next_frame``, which replaces matplotlib's
``FigureCanvasWebAggCore.get_diff_image`` on the canvas) and sends it. These tests hold that
path to two independent oracles:

* PIL's PNG decoder reads back exactly the pixels encoded (``_png_rgba``);
* matplotlib's own ``get_diff_image``, run from the same canvas state, gives the same image mode
  and, decoded, the same pixels, frame after frame;

and check what the browser ends up showing: compositing the frames as ipympl's front end does
(a ``full`` frame replaces the image, a ``diff`` frame is drawn over it, its transparent pixels
leaving the old ones) reproduces the Agg buffer after every control change, with exactly one
frame per change, full redraws included. No kernel, no browser: the ipympl canvas is created
on an explorer's figure directly, and its comm is a list that collects the frames.
"""

from __future__ import annotations

import base64
import io

import matplotlib
import numpy as np
import pytest

_BACKEND = matplotlib.get_backend()
ipympl_backend = pytest.importorskip("ipympl.backend_nbagg")
# Importing ipympl switches matplotlib to ipympl's backend (its __init__ calls matplotlib.use);
# every other test, and the explorers built here, expect the session's backend (Agg).
matplotlib.use(_BACKEND)
# ipympl 0.10's Toolbar passes the canvas on to a traitlets __init__ that warns about it; the
# warning is ipympl's own and says nothing about the frames tested here.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Passing unrecognized arguments to super\\(Toolbar\\):DeprecationWarning"
)

from PIL import Image  # noqa: E402

from inferecon.viz import explorers  # noqa: E402
from inferecon.viz.explorer import _next_frame, _png_rgba, _use_fast_frames  # noqa: E402


def _decode(png: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(png)) as im:
        assert im.mode == "RGBA"
        return np.asarray(im).copy()


@pytest.mark.parametrize("shape", [(1, 1), (1, 999), (2, 1), (3, 7), (64, 33), (560, 1000)])
def test_png_round_trip_through_pil(shape):
    rng = np.random.default_rng(sum(shape))
    pixels = rng.integers(0, 256, size=(*shape, 4), dtype=np.uint8)  # alpha 0-255: transparency
    pixels[: shape[0] // 2] = 0  # a flat region too, like a diff frame
    assert np.array_equal(_decode(_png_rgba(pixels)), pixels)


def test_png_of_a_transparent_image_round_trips():
    pixels = np.zeros((5, 3, 4), np.uint8)  # transparent black: an empty diff frame
    assert np.array_equal(_decode(_png_rgba(pixels)), pixels)


@pytest.mark.parametrize("shape", [(0, 0), (0, 7), (7, 0)])
def test_png_refuses_an_empty_image(shape):
    # PNG's IHDR needs width and height >= 1; such a file is one no decoder reads
    with pytest.raises(ValueError, match="at least 1 x 1"):
        _png_rgba(np.zeros((*shape, 4), np.uint8))


@pytest.mark.parametrize(
    "bad",
    [np.zeros((4, 4, 3), np.uint8), np.zeros((4, 4, 4), np.float32), np.zeros((4, 4), np.uint8)],
)
def test_png_refuses_what_is_not_rgba8(bad):
    with pytest.raises(ValueError, match="pixels must be"):
        _png_rgba(bad)


class _Stream:
    """An explorer whose figure sits on an ipympl canvas with a collecting comm."""

    def __init__(self, name: str):
        self.ex = explorers()[name]()
        fig = self.ex.fig
        ipympl_backend._Backend_ipympl.new_figure_manager_given_figure(9000, fig)
        self.canvas = fig.canvas
        assert isinstance(self.canvas, ipympl_backend.Canvas)
        self.canvas.syncing_data_url = False  # as after the browser view said "initialized"
        self.frames: list[tuple[str, bytes]] = []
        self.messages: list[dict] = []
        self.canvas.send = self._on_send  # what goes over the comm, as the browser gets it
        self.canvas._force_full = True  # the view's first "refresh"
        self.ex._relayout()
        self.ex.redraw()
        self.shown = None
        self.apply()

    def _on_send(self, content, buffers=None):
        if content.get("data") == '{"type": "binary"}':
            (buffer,) = buffers
            self.frames.append((self.canvas._current_image_mode, bytes(buffer)))
        else:
            self.messages.append(content)

    def apply(self) -> int:
        """Composite the new frames as ipympl's browser view does; return how many came."""
        n = len(self.frames)
        for mode, png in self.frames:
            img = _decode(png)
            if mode == "full" or self.shown is None:
                assert mode == "full", "the first frame must be a full one"
                self.shown = img
            else:
                keep = img[..., 3] == 0
                self.shown = np.where(keep[..., None], self.shown, img)
        self.frames.clear()
        return n

    def agg(self) -> np.ndarray:
        return np.asarray(self.canvas.get_renderer().buffer_rgba()).copy()

    def close(self):
        self.ex.close()


def _moves(ex, k: int = 4):
    """A few values for each slider-like control (the ones a browser user drags)."""
    for name, w in ex.controls.items():
        if hasattr(w, "min") and hasattr(w, "max") and not isinstance(w.value, tuple):
            for v in np.linspace(w.min, w.max, k):
                if hasattr(w, "base"):  # FloatLogSlider: min and max are exponents
                    v = w.base**v
                yield name, w, float(v) if isinstance(w.value, float) else type(w.value)(v)
        elif hasattr(w, "options") and not isinstance(w.value, tuple):
            opts = [o[1] if isinstance(o, tuple) else o for o in w.options]
            for v in opts[:k]:
                yield name, w, v


@pytest.mark.parametrize("name", ["price_decline", "roofline", "test_time_cost"])
def test_browser_sees_the_agg_buffer_after_every_change_one_frame_each(name):
    s = _Stream(name)
    try:
        assert np.array_equal(s.shown, s.agg())
        moved = 0
        for cname, w, v in _moves(s.ex):
            if w.value == v:
                continue
            w.value = v
            assert s.apply() == 1, f"{cname}={v!r}: expected exactly one frame"
            assert np.array_equal(s.shown, s.agg()), f"{cname}={v!r}: browser image != Agg"
            moved += 1
        # a change of layout: a full Agg draw, still one frame
        s.ex._relayout()
        s.ex._bg_cache.clear()
        s.ex.update()
        assert s.apply() == 1
        assert np.array_equal(s.shown, s.agg())
        assert moved >= 5
    finally:
        s.close()


def test_frames_match_matplotlibs_own_diff_image():
    s = _Stream("price_decline")
    canvas = s.canvas
    original = type(canvas).get_diff_image  # matplotlib's FigureCanvasWebAggCore method
    try:
        modes = []
        for _cname, w, v in _moves(s.ex, k=3):
            if w.value == v:
                continue
            s.canvas.send_binary = lambda _png: None
            previous = canvas._last_buff.copy()  # the frame the browser shows
            w.value = v  # draws, and sends (discarded) the frame
            for force_full in (False, True):
                # from the same state (previous frame, new pixels): the reference frame, ours
                canvas._last_buff = previous.copy()
                canvas._png_is_old, canvas._force_full = True, force_full
                ref = original(canvas)
                ref_mode = canvas._current_image_mode
                canvas._last_buff = previous.copy()
                canvas._png_is_old, canvas._force_full = True, force_full
                ours = _next_frame(canvas)
                assert canvas._current_image_mode == ref_mode
                assert np.array_equal(_decode(ours), _decode(ref))
                assert canvas._png_is_old is False and canvas._force_full is False
                modes.append(ref_mode)
            assert _next_frame(canvas) is None  # nothing new drawn: no frame
        assert {"diff", "full"} <= set(modes)
    finally:
        s.close()


def _frames_sent(s: _Stream) -> list[tuple[str, np.ndarray]]:
    out = [(mode, _decode(png)) for mode, png in s.frames]  # PIL: each must be a real PNG
    s.frames.clear()
    return out


def test_every_frame_kind_decodes_to_the_agg_buffer():
    """Full, diff, size change, transparent, 1 x 1 and an empty figure: each frame the
    encoder emits decodes (PIL) to exactly what the browser must show; an empty figure emits
    none, and the next real one comes as a full frame."""
    s = _Stream("price_decline")
    try:
        fig, canvas = s.ex.fig, s.canvas
        kinds = set()

        def draw_and_check(expect):
            canvas.draw()
            n = s.apply()
            assert n == 1, f"{expect}: {n} frames"
            assert np.array_equal(s.shown, s.agg()), expect
            kinds.add((expect, canvas._current_image_mode))

        s.ex.controls["threshold"].value = 70.0  # a blit: diff
        assert s.apply() == 1 and np.array_equal(s.shown, s.agg())
        kinds.add(("diff", canvas._current_image_mode))
        canvas._force_full = True
        draw_and_check("full")
        fig.set_size_inches(3.33, 2.01)  # odd widths, a size change
        draw_and_check("resized")
        fig.patch.set_alpha(0.5)  # not opaque: must be full
        draw_and_check("transparent")
        fig.patch.set_alpha(1.0)
        fig.set_size_inches(1 / fig.dpi, 1 / fig.dpi)
        draw_and_check("1x1")
        fig.set_size_inches(0, 0)
        canvas.draw()
        assert s.frames == [], "a 0 x 0 figure must send no frame (no PNG is 0 x 0)"
        fig.set_size_inches(10.0, 5.6)
        draw_and_check("back")
        assert kinds == {
            ("diff", "diff"), ("full", "full"), ("resized", "full"),
            ("transparent", "full"), ("1x1", "full"), ("back", "full"),
        }  # fmt: skip
    finally:
        s.close()


def test_a_draw_requested_before_the_view_is_ready_sends_a_png():
    """The browser model asks for a draw (pyplot's draw_all after a cell) before its view
    said "initialized": ipympl's own send_binary then sends the raw RGBA buffer, which the
    browser shows as a broken image. The frame sent must be a PNG, and the initial image a
    data URL of the same picture."""
    ex = explorers()["open_closed_gap"]()
    try:
        ipympl_backend._Backend_ipympl.new_figure_manager_given_figure(9001, ex.fig)
        canvas = ex.fig.canvas
        _use_fast_frames(canvas)  # as Explorer.__init__ does with the canvas it is built on
        assert canvas.syncing_data_url  # no view yet
        sent = []
        canvas.send = lambda content, buffers=None: sent.append((content, buffers))
        canvas._handle_message(canvas, {"type": "draw"}, [])
        frames = [b[0] for c, b in sent if c.get("data") == '{"type": "binary"}']
        assert len(frames) == 1
        agg = np.asarray(canvas.get_renderer().buffer_rgba())
        assert np.array_equal(_decode(bytes(frames[0])), agg)
        prefix = "data:image/png;base64,"
        assert canvas._data_url.startswith(prefix)
        assert np.array_equal(_decode(base64.b64decode(canvas._data_url[len(prefix) :])), agg)
    finally:
        ex.close()


@pytest.mark.parametrize("size", [(0, 0), (0, 560), (3, 2), ("nan", 400)])
def test_degenerate_resize_requests_keep_the_figure(size):
    s = _Stream("roofline")
    try:
        before = tuple(s.ex.fig.bbox.size)
        s.canvas._handle_message(s.canvas, {"type": "resize", "width": size[0],
                                            "height": size[1]}, [])  # fmt: skip
        assert tuple(s.ex.fig.bbox.size) == before
        s.canvas._handle_message(s.canvas, {"type": "draw"}, [])
        w = s.ex.controls["batch"]
        w.value = w.options[-1]
        s.apply()  # every frame decodes
        assert np.array_equal(s.shown, s.agg())
    finally:
        s.close()


@pytest.mark.parametrize("change", ["resize", "device_pixel_ratio"])
def test_a_control_change_after_a_new_size_shows_a_complete_figure(change):
    """A resize or a new device pixel ratio, then a control change before the browser's
    draw request: the frame must be the complete figure at the new size (a blit of the old
    size's background would leave the old layout in it)."""
    s = _Stream("roofline")
    try:
        if change == "resize":
            msg = {"type": "resize", "width": 800, "height": 500}
        else:
            msg = {"type": "set_device_pixel_ratio", "device_pixel_ratio": 2}
        s.canvas._handle_message(s.canvas, msg, [])
        w = s.ex.controls["batch"]
        w.value = w.options[-1]
        s.apply()
        shown = s.shown.copy()
        s.canvas.draw()  # a full redraw of the same state: the reference
        assert np.array_equal(shown, s.agg())
    finally:
        s.close()


def test_the_figure_is_not_left_stale_after_a_change():
    """pyplot redraws every stale figure after each cell and each comm message (draw_all on
    post_execute): in ipympl a "draw" round trip to the browser and a second full draw per
    slider step, and, before the view is ready, a frame ipympl pushes itself."""
    ex = explorers()["roofline"]()
    try:
        ipympl_backend._Backend_ipympl.new_figure_manager_given_figure(9002, ex.fig)
        canvas = ex.fig.canvas
        canvas.send = lambda content, buffers=None: None
        ex.update()  # no view yet: the initial image
        assert not ex.fig.stale
        canvas.syncing_data_url = False
        for name, _w, v in _moves(ex, k=3):
            if ex.controls[name].value != v:
                ex.controls[name].value = v
                assert not ex.fig.stale, f"{name}={v!r} left the figure stale"
    finally:
        ex.close()


def test_browser_messages_and_control_changes_draw_one_at_a_time(monkeypatch):
    """ipykernel 7 handles comm messages on more than one thread: a canvas's ``draw`` request
    from the browser can arrive while a slider change draws on another thread. matplotlib
    3.11's Agg renderer takes no lock and every font shares one FreeType library, so two
    threads rasterising text at once corrupted FreeType's state ("too many hints", "raster
    overflow") and killed the kernel. Every drawing of an explorer's figure holds
    ``DRAW_LOCK``: text is never drawn by two threads at once."""
    import threading
    import time

    from matplotlib.backends import backend_agg

    s = _Stream("roofline")
    guard = threading.Lock()
    active: list[int] = []
    overlaps: list[tuple[int, ...]] = []
    draw_text = backend_agg.RendererAgg.draw_text

    def tracked(self, *args, **kwargs):
        with guard:
            active.append(threading.get_ident())
            if len(set(active)) > 1:
                overlaps.append(tuple(active))
        try:
            time.sleep(2e-4)  # widen the window: another thread may run here
            return draw_text(self, *args, **kwargs)
        finally:
            with guard:
                active.remove(threading.get_ident())

    monkeypatch.setattr(backend_agg.RendererAgg, "draw_text", tracked)
    errors: list[BaseException] = []
    n_requests = 6
    requests = [0]

    def browser():  # the view's draw requests, answered on the comm thread
        try:
            for _ in range(n_requests):
                s.canvas._handle_message(s.canvas, {"type": "refresh"}, [])
                s.canvas._handle_message(s.canvas, {"type": "draw"}, [])
                requests[0] += 1
                time.sleep(0.01)  # let the control thread take the lock between requests
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    thread = threading.Thread(target=browser, daemon=True)
    moves_alongside = 0
    try:
        thread.start()
        for _name, w, v in _moves(s.ex, k=3):
            w.value = v
            moves_alongside += thread.is_alive()
        thread.join(timeout=120)
    finally:
        s.close()
    assert not thread.is_alive()
    assert not errors, errors
    assert requests[0] == n_requests
    assert moves_alongside >= 2, "no control change ran while the browser thread drew"
    assert not overlaps, f"text drawn by two threads at once {len(overlaps)} times"


@pytest.mark.parametrize("name", sorted(explorers()))
def test_a_browser_draw_leaves_the_figure_current(name):
    """The browser's "draw" request draws the figure; left stale afterwards (drawing an axis
    re-creates its ticks), it gets pyplot's draw_idle after the message, which asks the
    browser for one more draw, and so on: an endless stream of full frames (notebook 04's
    scaling-fit explorer kept its kernel busy this way)."""
    ex = explorers()[name]()
    try:
        ipympl_backend._Backend_ipympl.new_figure_manager_given_figure(9003, ex.fig)
        canvas = ex.fig.canvas
        canvas.send = lambda content, buffers=None: None
        canvas.syncing_data_url = False
        canvas._handle_message(canvas, {"type": "refresh"}, [])
        canvas._handle_message(canvas, {"type": "draw"}, [])
        assert not ex.fig.stale
    finally:
        ex.close()
