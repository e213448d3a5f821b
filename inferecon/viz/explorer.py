"""The Explorer base class: one interactive figure, built once, updated in place.

A subclass declares its controls (:meth:`Explorer._make_controls`), draws its artists once
(:meth:`Explorer._build`) and updates them from the current parameters
(:meth:`Explorer._update`, which returns the readout HTML). The base class wires the widgets,
Reset and Export buttons, ``state()``, and the three ways of showing a figure:

* ``widget`` — ipympl is the backend (``%matplotlib widget``): the figure's canvas is a widget
  placed in the layout and redrawn with ``draw_idle``;
* ``inline`` — any other backend in a notebook: the same figure is re-displayed in one
  ``Output`` (``clear_output(wait=True)``) after each change;
* ``static`` — report mode (:func:`setup_notebook` with ``interactive=False``): the figure and
  the readout are displayed once as ordinary outputs, so the executed HTML shows them.

Setting ``explorer.controls[name].value`` updates artists and readout synchronously, so
explorers are testable without a kernel.

Redraws blit: artists that change with the controls are registered with
:meth:`Explorer._dynamic` (``animated=True``). A full draw renders the static parts (axes,
ticks, legend, titles, source line), caches them as a background bitmap and draws the dynamic
artists on top; a control change that leaves the layout alone restores the background and
redraws only the dynamic artists. A subclass that changes limits, ticks or static text calls
:meth:`Explorer._relayout` so the next redraw is a full one. Exports and inline displays draw
every artist normally. Text, most of a redraw's cost, is drawn from cached layouts and glyph
bitmaps (:mod:`inferecon.viz._glyph_cache`: the same pixels as matplotlib's own).

In widget mode each redraw reaches the browser as one PNG frame over the widget's comm
(ipympl's protocol: a full image, or only the changed pixels over the previous frame). The
explorer encodes those frames itself (:func:`_png_rgba`: no row filter, zlib level 1), about
four times faster than the general-purpose encoder ipympl uses, and a full redraw sends one
frame, not two; ``benchmarks/browser_latency.py`` measures both.
"""

from __future__ import annotations

import base64
import io
import struct
import sys
import threading
import types
import zlib
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import FixedFormatter, FixedLocator

from ._glyph_cache import use_glyph_cache
from .style import FORMATS, house_style, savefig, slug

__all__ = [
    "Explorer",
    "display_mode",
    "export_figures",
    "fit_axes_to_data",
    "notice",
    "setup_notebook",
    "style_log_ticks",
]

_MODE: dict[str, str | None] = {"mode": None}


def setup_notebook(interactive: bool = True) -> str:
    """Choose how explorers show in a notebook and apply the house style.

    Parameters
    ----------
    interactive : bool, default True
        True: live figures with ipympl (``%matplotlib widget``) when it is installed, else
        inline re-rendering. False: static figures (used by the report build).

    Returns
    -------
    str
        The mode: ``"widget"``, ``"inline"`` or ``"static"`` (``"script"`` outside IPython).
    """
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover
        get_ipython = None  # noqa: N806
    ip = get_ipython() if get_ipython else None
    if ip is None:
        _MODE["mode"] = "script"
        return "script"
    if interactive:
        try:
            import ipympl  # noqa: F401

            ip.run_line_magic("matplotlib", "widget")
            mode = "widget"
        except Exception:  # ipympl missing or its backend refused: fall back
            ip.run_line_magic("matplotlib", "inline")
            mode = "inline"
    else:
        ip.run_line_magic("matplotlib", "inline")
        mode = "static"
    _MODE["mode"] = mode
    return mode


def display_mode(fig=None) -> str:
    """The current display mode (see :func:`setup_notebook`)."""
    if _MODE["mode"] == "static":
        return "static"
    if fig is not None and isinstance(fig.canvas, widgets.DOMWidget):
        return "widget"
    return "inline"


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_ZLIB_LEVEL = 1  # speed over size: frames travel to a browser on this machine


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return (
        struct.pack(">I", len(payload))
        + kind
        + payload
        + struct.pack(">I", zlib.crc32(kind + payload))
    )


def _png_rgba(pixels: np.ndarray) -> bytes:
    """Encode an RGBA image as PNG, quickly.

    Every row uses filter type 0 (None) and the pixel stream is deflated at zlib level 1. For
    the live view's frames (mostly flat colour; diff frames mostly transparent black) this is
    about four times faster than PIL's encoder as ipympl calls it (adaptive filters, level 6):
    2.3 against 9.2 ms for a 1000 x 560 diff frame, 3.4 against 15.9 ms for a full one (median,
    2-core x86_64; ``benchmarks/browser_latency.py``'s frame-encoding table), for diff frames
    of 16 KiB instead of 10 and full frames of the same size, which a browser on the same
    machine decodes in about the same time.

    Parameters
    ----------
    pixels : numpy.ndarray
        ``(height, width, 4)`` uint8 array, straight (not premultiplied) RGBA, 8 bits per
        channel, top row first.

    Returns
    -------
    bytes
        A PNG file (colour type 6, bit depth 8, no interlace), as in the PNG specification,
        2nd edition (W3C Recommendation 2003), sections 4, 9 and 11.
    """
    if pixels.ndim != 3 or pixels.shape[2] != 4 or pixels.dtype != np.uint8:
        raise ValueError(
            f"pixels must be (height, width, 4) uint8; got {pixels.shape} {pixels.dtype}"
        )
    height, width, _ = pixels.shape
    if height < 1 or width < 1:  # PNG has no empty image: IHDR needs width, height >= 1
        raise ValueError(f"a PNG image needs at least 1 x 1 pixels; got {width} x {height}")
    scanlines = np.zeros((height, 1 + 4 * width), dtype=np.uint8)  # column 0: filter type 0
    scanlines[:, 1:] = pixels.reshape(height, 4 * width)
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        _PNG_SIGNATURE
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(scanlines, _PNG_ZLIB_LEVEL))
        + _png_chunk(b"IEND", b"")
    )


def _webagg_canvas(canvas) -> bool:
    """Whether ``canvas`` streams frames to a browser (ipympl's ``Canvas``, WebAgg)."""
    core = sys.modules.get("matplotlib.backends.backend_webagg_core")
    return core is not None and isinstance(canvas, core.FigureCanvasWebAggCore)


def _next_frame(canvas) -> bytes | None:
    """The next PNG frame of a WebAgg canvas (installed as its ``get_diff_image``).

    Keeps the frame protocol of matplotlib's ``FigureCanvasWebAggCore.get_diff_image``, which
    ipympl's browser side decodes: nothing when the renderer has not changed since the last
    frame; image mode ``"full"`` (the whole image) after a refresh request, a size change, when
    any pixel is not opaque, or while the browser view has not said it is ready (ipympl's
    ``syncing_data_url``: the frame then also becomes the widget's initial image); otherwise
    mode ``"diff"``: the pixels that changed since the last frame, every other pixel
    transparent black, drawn over the previous frame. Only the encoding differs
    (:func:`_png_rgba`). A renderer of zero pixels (a figure resized to nothing) gives no
    frame: PNG has no empty image, and the browser would show a broken one.
    """
    if not canvas._png_is_old:
        return None
    rgba = np.asarray(canvas.get_renderer().buffer_rgba())
    if rgba.shape[0] < 1 or rgba.shape[1] < 1:
        return None  # _png_is_old stays set: the next drawing at a real size is sent
    words = rgba.view(np.uint32)[..., 0]  # one uint32 per pixel: compare pixels, not bytes
    previous = canvas._last_buff
    full = (
        canvas._force_full
        or getattr(canvas, "syncing_data_url", False)
        or words.shape != previous.shape
        or bool((rgba[..., 3] != 255).any())
    )
    if full:
        frame = words.copy()
    else:
        frame = np.where(words != previous, words, np.uint32(0))
    canvas.set_image_mode("full" if full else "diff")
    canvas._last_buff = words.copy()
    canvas._force_full = False
    canvas._png_is_old = False
    return _png_rgba(frame.view(np.uint8).reshape(*frame.shape, 4))


def _send_frame(canvas, png) -> None:
    """Send one PNG frame to ipympl's browser view (installed as the canvas's ``send_binary``).

    ipympl 0.10's own ``send_binary``, while its view has not connected
    (``syncing_data_url``), replaces the PNG it is given by the *raw* RGBA buffer before
    sending it: the browser then loads an undecodable image and every later ``drawImage`` of
    it fails ("The HTMLImageElement provided is in the 'broken' state"). Such a frame comes
    whenever the view asks for a draw before it reports ready, as after pyplot's
    ``draw_all`` at the end of a cell. Here the frame sent is always the PNG, and while
    syncing (a full frame, :func:`_next_frame`) it is also the widget's initial image, as a
    ``data:`` URL the browser can load.
    """
    if getattr(canvas, "syncing_data_url", False):
        canvas._data_url = "data:image/png;base64," + base64.b64encode(png).decode()
    canvas.send({"data": '{"type": "binary"}'}, buffers=[png])


_MIN_LIVE_PX = 16
"""Smallest figure width or height (CSS pixels) a browser's resize request may set."""


def _handle_resize(canvas, event) -> None:
    """A browser resize request (installed as the canvas's ``handle_resize``): matplotlib's,
    unless it asks for a figure under ``_MIN_LIVE_PX`` pixels a side, or a size that is not a
    finite number; then the figure keeps its size and the view is told so."""
    try:
        w, h = float(event.get("width", 800)), float(event.get("height", 800))
    except (TypeError, ValueError):
        w = h = float("nan")
    if not (np.isfinite(w) and np.isfinite(h)) or min(w, h) < _MIN_LIVE_PX:
        canvas.manager.resize(*canvas.figure.bbox.size, forward=False)
        return
    type(canvas).handle_resize(canvas, event)


DRAW_LOCK = threading.RLock()
"""Held by everything that draws an explorer's figure: a control change (compute, update the
artists, blit or draw), a browser message to its canvas (``draw``, ``refresh``, a resize), an
export.

Why: ipykernel 7 handles comm messages on more than one thread. In a JupyterLab session a
canvas's ``draw`` and ``refresh`` requests from ipympl's view arrived on two thread ids in one
kernel (logged with ``threading.get_ident()`` in ``Canvas._handle_message``), so a full draw
answering the browser ran while a slider's blit drew on another thread. matplotlib 3.11's Agg
renderer takes no lock (its ``FigureCanvasAgg.draw`` lost ``RendererAgg.lock``), and every font
object shares one FreeType library: two threads rasterising glyphs at once is what gave
``FT_Load_Glyph ... too many hints``, ``invalid outline`` and ``FT_Render_Glyph ... raster
overflow``, and then a dead kernel. One re-entrant lock makes every drawing of every explorer
figure happen one at a time (the wait is one frame: milliseconds).
"""


def _handle_event(canvas, event):
    """A browser message to a WebAgg canvas (installed as its ``handle_event``): matplotlib's
    dispatch, holding :data:`DRAW_LOCK` while the handler draws or encodes a frame."""
    with DRAW_LOCK:
        return type(canvas).handle_event(canvas, event)


_FRAME_STATE = ("_png_is_old", "_force_full", "_last_buff", "set_image_mode", "get_renderer")


def _use_fast_frames(canvas) -> None:
    """Route a WebAgg canvas's frames through :func:`_next_frame`, its browser messages through
    :func:`_handle_event` (under :data:`DRAW_LOCK`) and :func:`_handle_resize` and, on ipympl's
    canvas, :func:`_send_frame` (once per canvas, before any frame)."""
    if getattr(canvas, "_inferecon_fast_frames", False):
        return
    if _webagg_canvas(canvas) and all(hasattr(canvas, a) for a in _FRAME_STATE):
        canvas.get_diff_image = types.MethodType(_next_frame, canvas)
        canvas.handle_resize = types.MethodType(_handle_resize, canvas)
        canvas.handle_event = types.MethodType(_handle_event, canvas)
        if hasattr(canvas, "syncing_data_url") and hasattr(canvas, "send"):
            canvas.send_binary = types.MethodType(_send_frame, canvas)
    canvas._inferecon_fast_frames = True


class Explorer:
    """Base class of every interactive figure.

    Parameters
    ----------
    **params
        Initial values for controls, by control name (e.g. ``threshold=70``). Unknown names
        raise ``ValueError``. With no arguments the explorer shows its default scenario.

    Attributes
    ----------
    controls : dict of str to ipywidgets.ValueWidget
        The controls, by parameter name.
    fig : matplotlib.figure.Figure
        The one figure, built once.
    readout : ipywidgets.HTML
        Headline numbers for the current parameters.
    """

    name: str = "explorer"
    figsize: tuple[float, float] = (10.0, 5.6)

    def __init__(self, **params: Any):
        self.controls: dict[str, widgets.ValueWidget] = self._make_controls()
        self._defaults = {k: w.value for k, w in self.controls.items()}
        unknown = sorted(set(params) - set(self.controls))
        if unknown:
            raise ValueError(
                f"unknown parameter(s) {unknown}; {type(self).__name__} accepts "
                f"{sorted(self.controls)}"
            )
        self._holding = True
        self._dyn: list = []
        self._bg = None
        self._bg_size: tuple = ()
        self._bg_cache: dict[tuple, object] = {}
        self._full_next = True
        self._plain_draw = 0
        for k, v in params.items():
            self._set_control(k, v)
        with plt.ioff(), house_style():
            self.fig = plt.figure(figsize=self.figsize)
            self._build(self.fig)
        self.fig.canvas.mpl_connect("draw_event", self._on_draw_event)
        _use_fast_frames(self.fig.canvas)  # before the canvas can send its first frame
        use_glyph_cache(self.fig.canvas)
        self.readout = widgets.HTML(layout=widgets.Layout(margin="4px 0 4px 0"))
        self._reset_button = widgets.Button(
            description="Reset", icon="undo", tooltip="Back to the default scenario"
        )
        self._export_button = widgets.Button(
            description="Export", icon="download", tooltip="SVG, PNG, PDF and CSV to exports/"
        )
        self._export_status = widgets.HTML()
        self._reset_button.on_click(lambda _b: self.reset())
        self._export_button.on_click(self._on_export_click)
        self._output: widgets.Output | None = None
        self._views: list[widgets.Widget] = []  # layouts made by widget(), closed by close()
        for w in self.controls.values():
            w.observe(self._on_change, names="value")
        self._holding = False
        self.export_dir = Path("exports")
        self.update()

    # ------------------------------------------------------------------ subclass API
    def _make_controls(self) -> dict[str, widgets.ValueWidget]:
        raise NotImplementedError

    def _build(self, fig) -> None:
        raise NotImplementedError

    def _update(self, state: dict[str, Any]) -> str:
        """Update artists for ``state``; return the readout HTML."""
        raise NotImplementedError

    def data(self) -> pd.DataFrame:
        """The plotted data for the current parameters (exported as CSV).

        By default a copy of ``self._last``, the DataFrame :meth:`_update` stores; explorers
        whose export needs reshaping override this.
        """
        last = getattr(self, "_last", None)
        if not isinstance(last, pd.DataFrame):
            raise NotImplementedError(
                f"{type(self).__name__}._update must store its plotted data in self._last "
                "(a DataFrame) or override data()"
            )
        return last.copy()

    def _on_control(self, name: str, change) -> None:
        """Hook for dependent controls (e.g. a slider whose range follows a dropdown)."""

    # ------------------------------------------------------------------ drawing
    def _dynamic(self, artist):
        """Register an artist that changes with the controls (drawn by blitting)."""
        artist.set_animated(True)
        self._dyn.append(artist)
        return artist

    def _relayout(self) -> None:
        """Mark that static parts (limits, ticks, labels) changed: next redraw is full."""
        self._full_next = True

    def _set_limits(self, ax, xlim=None, ylim=None) -> None:
        """Set axis limits, scheduling a full redraw only when they actually change."""
        if xlim is not None and not np.allclose(ax.get_xlim(), xlim):
            ax.set_xlim(*xlim)
            style_log_ticks(ax.xaxis)
            self._relayout()
        if ylim is not None and not np.allclose(ax.get_ylim(), ylim):
            ax.set_ylim(*ylim)
            style_log_ticks(ax.yaxis)
            self._relayout()

    def _draw_dynamic(self) -> None:
        for a in sorted(self._dyn, key=lambda art: art.get_zorder()):  # stable: ties keep order
            if a.get_visible():
                self.fig.draw_artist(a)
        # The canvas now shows every artist as it is. Drawing some artists marks them stale
        # again (an axis re-creates its ticks); a figure left stale after a browser's draw
        # request gets pyplot's draw_idle, which asks the browser for another draw: an endless
        # round trip of full frames (seen with the scaling-fit explorer's live axis).
        self.fig.stale = False

    def _on_draw_event(self, _event) -> None:
        # any full draw (ours, a resize, a toolbar action): re-cache the static background and
        # put the dynamic artists back on top
        if self._plain_draw:
            return
        canvas = self.fig.canvas
        if hasattr(canvas, "copy_from_bbox"):
            self._bg = canvas.copy_from_bbox(self.fig.bbox)
            self._bg_size = self._size_key()
            if len(self._bg_cache) >= 32:
                self._bg_cache.pop(next(iter(self._bg_cache)))
            self._bg_cache[self._layout_key()] = self._bg
        self._draw_dynamic()

    def _size_key(self) -> tuple:
        """The figure's size in pixels and its dpi (what a background bitmap is drawn at)."""
        return (self.fig.dpi, *self.fig.bbox.size)

    def _layout_key(self) -> tuple:
        """Everything static that a background bitmap depends on (size, limits, labels)."""
        fig = self.fig
        key: list = list(self._size_key())
        for ax in fig.axes:
            key += [
                *ax.get_xlim(),
                *ax.get_ylim(),
                ax.get_xlabel(),
                ax.get_ylabel(),
                ax.get_title(),
            ]
            for axis in (ax.xaxis, ax.yaxis):  # ticks an explorer sets itself (not from limits)
                loc, fmt = axis.get_major_locator(), axis.get_major_formatter()
                if isinstance(loc, FixedLocator):
                    key.append(tuple(loc.locs))
                if isinstance(fmt, FixedFormatter):
                    key.append(tuple(fmt.seq))
        key += [t.get_text() for t in fig.texts if not t.get_animated()]
        return tuple(key)

    @contextmanager
    def _all_drawn(self):
        """Draw every artist normally inside the block (exports, inline display)."""
        self._plain_draw += 1
        for a in self._dyn:
            a.set_animated(False)
        try:
            yield
        finally:
            for a in self._dyn:
                a.set_animated(True)
            self._plain_draw -= 1
            self._bg = None

    def redraw(self) -> None:
        """Bring the canvas up to date: blit when only dynamic artists changed (under
        :data:`DRAW_LOCK`)."""
        with DRAW_LOCK:
            self._redraw_now()

    def _redraw_now(self) -> None:
        canvas = self.fig.canvas
        if getattr(canvas, "syncing_data_url", False):
            # an ipympl canvas whose browser view has not connected yet (or never will, as
            # under nbclient): publish a complete PNG as its initial image instead of
            # pushing frames. ipympl 0.10's own frame push stores the PNG without its
            # "data:image/png;base64," prefix, which the browser then fails to draw.
            self._publish_initial_image(canvas)
            self._full_next = True
            self.fig.stale = False  # the image is current: pyplot's draw_all has nothing to do
            return
        _use_fast_frames(canvas)
        use_glyph_cache(canvas)
        try:
            self._redraw(canvas)
        finally:
            # The canvas now shows every change. Left stale, the figure would get pyplot's
            # draw_idle after every cell and every comm message (its post_execute draw_all):
            # in ipympl a "draw" round trip to the browser and one more full draw and frame
            # per slider step, and before the view is ready a frame pushed by ipympl itself.
            self.fig.stale = False

    def _redraw(self, canvas) -> None:
        can_blit = hasattr(canvas, "copy_from_bbox") and hasattr(canvas, "restore_region")
        if self._bg is not None and self._bg_size != self._size_key():
            self._full_next = True  # resized, or a new device pixel ratio: no blit of the old
        if self._full_next or self._bg is None or not can_blit:
            self._full_next = False
            cached = self._bg_cache.get(self._layout_key()) if can_blit else None
            if cached is not None:  # this layout was drawn before: reuse its static bitmap
                self._bg, self._bg_size = cached, self._size_key()
                canvas.restore_region(cached)
                self._draw_dynamic()
            else:
                canvas.draw()  # static parts; _on_draw_event caches them, adds dynamic ones
                if _webagg_canvas(canvas):
                    return  # its draw() already sent the finished frame; a blit would resend
        else:
            canvas.restore_region(self._bg)
            self._draw_dynamic()
        canvas.blit(self.fig.bbox)

    # ------------------------------------------------------------------ behaviour
    def _set_control(self, name: str, value) -> None:
        w = self.controls[name]
        if hasattr(w, "options") and not isinstance(w, widgets.SelectionRangeSlider):
            labels = [o[1] if isinstance(o, tuple) else o for o in w.options]
            if value not in labels:
                raise ValueError(f"{name} must be one of {labels}; got {value!r}")
        elif isinstance(w, widgets.SelectionRangeSlider):
            value = self._range_value(w, value)
        elif hasattr(w, "min") and hasattr(w, "max") and not isinstance(value, tuple):
            if not (w.min <= value <= w.max):
                raise ValueError(f"{name} must be in [{w.min}, {w.max}]; got {value!r}")
        w.value = value

    @staticmethod
    def _range_value(w, value):
        opts = [o[1] if isinstance(o, tuple) else o for o in w.options]
        lo, hi = (pd.Timestamp(v) for v in value)
        tss = pd.DatetimeIndex([pd.Timestamp(o) for o in opts])
        i = int(np.clip(tss.searchsorted(lo, side="left"), 0, len(opts) - 1))
        j = int(np.clip(tss.searchsorted(hi, side="right") - 1, 0, len(opts) - 1))
        return (opts[i], opts[max(i, j)])

    def _on_change(self, change) -> None:
        if self._holding:
            return
        name = next((k for k, w in self.controls.items() if w is change["owner"]), None)
        with DRAW_LOCK:
            self._holding = True
            try:
                self._on_control(name, change)
            finally:
                self._holding = False
            self.update()

    def state(self) -> dict[str, Any]:
        """Current parameters as plain Python values (re-run with ``type(ex)(**ex.state())``)."""
        out = {}
        for k, w in self.controls.items():
            v = w.value
            if isinstance(v, tuple):
                v = tuple(pd.Timestamp(x).strftime("%Y-%m-%d") for x in v)
            elif isinstance(v, np.generic):
                v = v.item()
            out[k] = v
        return out

    def _publish_initial_image(self, canvas) -> None:
        buf = io.BytesIO()
        with self._all_drawn():
            self.fig.savefig(buf, format="png", dpi="figure")
        canvas._data_url = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()

    def update(self) -> None:
        """Recompute from the controls, update artists and readout, redraw (under
        :data:`DRAW_LOCK`)."""
        with DRAW_LOCK:
            self.readout.value = self._update(self._params())
            self.redraw()
            if self._output is not None:
                self._refresh_output()

    def _params(self) -> dict[str, Any]:
        return {k: w.value for k, w in self.controls.items()}

    def reset(self) -> None:
        """Return every control to its default and redraw once."""
        with DRAW_LOCK:
            self._holding = True
            try:
                for k, v in self._defaults.items():
                    self.controls[k].value = v
                    self._on_control(k, {"owner": self.controls[k], "new": v})
                for k, v in self._defaults.items():
                    self.controls[k].value = v
            finally:
                self._holding = False
            self.update()

    def export_name(self) -> str:
        """File stem from the current parameters, e.g. ``price_decline__mmlu_64.8_...``."""
        parts = []
        for v in self.state().values():
            if isinstance(v, tuple):
                parts.append("-".join(slug(x) for x in v))
            elif isinstance(v, bool):
                parts.append("yes" if v else "no")
            else:
                parts.append(slug(v))
        return f"{self.name}__" + "_".join(parts)

    def export(self, outdir=None, formats=FORMATS, name: str | None = None) -> list[Path]:
        """Write the figure (SVG, PNG, PDF) and the plotted data (CSV).

        Parameters
        ----------
        outdir : path-like, optional
            Target folder (default ``exports/``).
        formats : iterable of str
            Figure formats.
        name : str, optional
            File stem; by default :meth:`export_name` (named from the parameters).

        Returns
        -------
        list of pathlib.Path
            Files written. Re-exporting unchanged parameters gives byte-identical files.
        """
        out = Path(outdir) if outdir is not None else self.export_dir
        stem = name or self.export_name()
        with DRAW_LOCK, self._all_drawn(), self._axes_fitted_to_data():
            files = savefig(self.fig, stem, formats=formats, outdir=out)
        csv = out / f"{stem}.csv"
        tmp = csv.with_suffix(".csv.tmp")
        self.data().to_csv(tmp, index=False, float_format="%.6g", lineterminator="\n")
        tmp.replace(csv)
        return [*files, csv]

    def _after_export_fit(self) -> None:
        """Hook: re-place what depends on the fitted limits (e.g. point labels)."""

    def _export_fit(self, ax) -> str:
        """Which limits of ``ax`` an export fits to the data shown: ``"xy"`` (default),
        ``"x"``, ``"y"`` or ``""`` (keep the live limits, e.g. a fixed 0-100% axis)."""
        return "xy"

    @contextmanager
    def _axes_fitted_to_data(self):
        """Inside the block every axes' limits fit the data drawn on it (with a margin); the
        live view keeps its wider, fixed limits (so updates can blit) and gets them back."""
        saved = [
            (ax, ax.get_xlim(), ax.get_ylim(), ax.xaxis.get_minor_formatter(),
             ax.yaxis.get_minor_formatter(), ax.xaxis.get_minor_locator(),
             ax.yaxis.get_minor_locator())
            for ax in self.fig.axes
        ]  # fmt: skip
        try:
            for ax in self.fig.axes:
                which = self._export_fit(ax)
                if which:
                    fit_axes_to_data(ax, x="x" in which, y="y" in which)
            self._after_export_fit()
            yield
        finally:
            for ax, xlim, ylim, xminor, yminor, xloc, yloc in saved:
                ax.set_xlim(xlim)
                ax.set_ylim(ylim)
                ax.xaxis.set_minor_formatter(xminor)
                ax.yaxis.set_minor_formatter(yminor)
                ax.xaxis.set_minor_locator(xloc)
                ax.yaxis.set_minor_locator(yloc)

    def _on_export_click(self, _button) -> None:
        try:
            files = self.export()
            self._export_status.value = (
                f"<small>Exported {len(files)} files to <code>{files[0].parent}</code>: "
                f"{', '.join(f.name for f in files[:1])} ...</small>"
            )
        except Exception as exc:  # shown to the user, never swallowed silently
            self._export_status.value = f"<small style='color:#c0392b'>Export failed: {exc}</small>"
            raise

    def _refresh_output(self) -> None:
        from IPython.display import clear_output, display

        with self._output, self._all_drawn():
            clear_output(wait=True)
            display(self.fig)

    def widget(self) -> widgets.Widget:
        """The layout: controls, buttons, readout and the figure (canvas or output)."""
        boxes = list(self.controls.values())
        buttons = widgets.HBox([self._reset_button, self._export_button, self._export_status])
        if display_mode(self.fig) == "widget":
            self.fig.canvas.header_visible = False
            self.fig.canvas.toolbar_position = "right"
            figure = self.fig.canvas
        else:
            if self._output is None:
                self._output = widgets.Output()
                self._refresh_output()
            figure = self._output
        view = widgets.VBox([widgets.VBox(boxes), buttons, self.readout, figure])
        self._views.append(view)
        return view

    def show(self):
        """Display the explorer (interactive) or, in report mode, the figure and readout."""
        from IPython.display import HTML, display

        if display_mode(self.fig) == "static":
            with self._all_drawn():
                display(self.fig)
            display(HTML(self.readout.value))
            return None
        w = self.widget()
        display(w)
        return None

    def close(self) -> None:
        """Close the figure and every widget of the explorer.

        pyplot forgets the figure and ipywidgets' registry forgets the controls, buttons,
        readout and layouts (a widget stays registered, and keeps its callbacks' explorer
        alive, until it is closed), so a closed explorer can be garbage-collected; cached
        background bitmaps are dropped at once.
        """
        plt.close(self.fig)
        stack = [*self.controls.values(), self.readout, self._reset_button,
                 self._export_button, self._export_status, self._output, *self._views]  # fmt: skip
        while stack:
            w = stack.pop()
            if isinstance(w, widgets.Widget):
                stack.extend(getattr(w, "children", ()))
                w.close()
        self._views.clear()
        self._bg_cache.clear()
        self._bg = None


def _data_points(ax) -> np.ndarray:
    """(x, y) of every visible artist drawn in ``ax``'s data coordinates, as display-free
    floats: line vertices, scatter offsets, bar corners and filled regions. Artists on
    blended transforms (``axhline``/``axvline``) and texts are left out."""
    from matplotlib.patches import Rectangle

    pts = []
    for line in ax.lines:
        if line.get_visible() and line.get_transform() == ax.transData:
            pts.append(np.asarray(line.get_xydata(), dtype=float).reshape(-1, 2))
    for coll in ax.collections:
        if not coll.get_visible():
            continue
        if coll.get_offset_transform() == ax.transData and len(coll.get_offsets()):
            pts.append(np.asarray(coll.get_offsets(), dtype=float).reshape(-1, 2))
        elif coll.get_transform() == ax.transData:
            for path in coll.get_paths():
                pts.append(np.asarray(path.vertices, dtype=float).reshape(-1, 2))
    for patch in ax.patches:
        if isinstance(patch, Rectangle) and patch.get_visible():
            if patch.get_data_transform() == ax.transData:
                x0, y0 = patch.get_xy()
                pts.append(np.array([[x0, y0], [x0 + patch.get_width(), y0 + patch.get_height()]]))
    return np.concatenate(pts) if pts else np.empty((0, 2))


def _padded(lo: float, hi: float, log: bool, margin: float) -> tuple[float, float]:
    if log:
        a, b = np.log10(lo), np.log10(hi)
        pad = max((b - a) * margin, 0.05)
        return 10 ** (a - pad), 10 ** (b + pad)
    pad = (hi - lo) * margin or max(abs(hi) * 0.05, 1e-9)
    return lo - pad, hi + pad


def fit_axes_to_data(ax, x: bool = True, y: bool = True, margin: float = 0.05) -> None:
    """Set ``ax``'s limits to the data drawn on it, with ``margin`` of the span on each side
    (in decades on log axes). Non-finite values, and non-positive ones on a log axis, are
    ignored; an axes with no data keeps its limits.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        The axes.
    x, y : bool
        Which limits to fit.
    margin : float
        Share of the data's span added on each side.
    """
    pts = _data_points(ax)
    for dim, on, axis, setter, flip in (
        (0, x, ax.xaxis, ax.set_xlim, ax.xaxis_inverted()),
        (1, y, ax.yaxis, ax.set_ylim, ax.yaxis_inverted()),
    ):
        log = axis.get_scale() == "log"
        if not on or not len(pts):
            continue
        v = pts[:, dim]
        v = v[np.isfinite(v) & ((v > 0) if log else True)]
        if not len(v):
            continue
        lo, hi = _padded(float(v.min()), float(v.max()), log, margin)
        setter((hi, lo) if flip else (lo, hi))
        if log:
            style_log_ticks(axis)


def style_log_ticks(axis) -> None:
    """House tick style of a log axis for its current limits: with fewer than two labelled
    decades, the 2x and 5x minor ticks are labelled in the major ticks' style; otherwise minor
    ticks carry no label (matplotlib's default labels them in another style, and they collide).

    Parameters
    ----------
    axis : matplotlib.axis.Axis
        A log-scaled axis whose major formatter is the house ``FuncFormatter``.
    """
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    major = axis.get_major_formatter()
    if axis.get_scale() != "log" or not isinstance(major, FuncFormatter):
        return
    lo, hi = sorted(axis.get_view_interval())
    if lo <= 0:
        return
    decades = np.floor(np.log10(hi)) - np.ceil(np.log10(lo)) + 1
    if decades < 2:
        axis.set_minor_locator(LogLocator(base=10.0, subs=(2.0, 5.0)))
        axis.set_minor_formatter(major)
    else:
        axis.set_minor_locator(LogLocator(base=10.0, subs="auto"))
        axis.set_minor_formatter(NullFormatter())


def export_figures(outdir, **explorers: Explorer) -> list[Path]:
    """Export explorers' current figures under fixed names (used by the report build).

    ``export_figures(None, ...)`` does nothing, so a notebook can call it unconditionally with
    its ``EXPORT_DIR`` parameter.
    """
    if outdir is None:
        return []
    written: list[Path] = []
    for name, ex in explorers.items():
        written += ex.export(outdir, name=name)
    return written


def notice(text: str, kind: str = "warning") -> None:
    """Show a boxed notice in a notebook (and in its HTML report); print it elsewhere.

    Used where a notebook shows a simulated stand-in instead of real data, so the reader
    cannot miss it.

    Parameters
    ----------
    text : str
        The message.
    kind : {"warning", "info"}
        Colour of the box.
    """
    import html

    colours = {"warning": ("#fff4e5", "#e67e22"), "info": ("#eaf2fb", "#1f4e79")}
    if kind not in colours:
        raise ValueError(f"kind must be one of {sorted(colours)}; got {kind!r}")
    try:
        from IPython import get_ipython
        from IPython.display import HTML, display
    except ImportError:  # pragma: no cover
        get_ipython = None  # noqa: N806
    if get_ipython is None or get_ipython() is None:
        print(f"{kind.upper()}: {text}")
        return
    bg, edge = colours[kind]
    display(
        HTML(
            f"<div style='background:{bg};border-left:4px solid {edge};padding:6px 10px;"
            f"margin:4px 0'><b>{kind.capitalize()}:</b> {html.escape(text)}</div>"
        )
    )
