"""Cached text rasters for the Agg renderer of explorer figures.

Every redraw of an explorer (a blit of its changing artists, or a full draw after a layout
change) draws its texts again: readouts, point labels, subtitles and, on a full draw, every tick
label. matplotlib's Agg renderer lays each string out with FreeType (``FT2Font._layout``) and
rasterises every glyph anew (``FT2Font._render_glyph``) on every draw; in a slider drag that was
most of the time of an update (price explorer: about 60% of a blit, a few hundred glyphs).

:func:`use_glyph_cache` gives a canvas's Agg renderer a ``draw_text`` that does the same work
once per distinct input: the layout of a string (keyed by the string, the font objects, size,
dpi, hinting flags, font features and language) and the bitmap of a glyph (keyed by font, size,
dpi, glyph, hinting, antialiasing, rotation and the position's fraction of a pixel in FreeType's
1/64-pixel units). A glyph rendered at a position shifted by whole pixels is the same bitmap,
shifted (checked glyph by glyph in ``tests/unit/test_glyph_cache.py``), so the canvas receives
exactly the pixels matplotlib would draw. Mathtext and TeX go through matplotlib unchanged.

The cache needs the Agg internals of matplotlib 3.11 (``RendererAgg._prepare_font``,
``FT2Font._layout``, ``_set_transform`` and ``_render_glyph``); with other versions the canvas
is left alone.
"""

from __future__ import annotations

import math
import types

import numpy as np

_LAYOUTS: dict[tuple, tuple] = {}
_GLYPHS: dict[tuple, tuple] = {}
_MAX_LAYOUTS = 4096
_MAX_GLYPHS = 50_000  # a glyph bitmap is ~100 bytes at 100 dpi: a few MB at most


def _supported() -> bool:
    try:
        from matplotlib.backends.backend_agg import RendererAgg, get_hinting_flag  # noqa: F401
        from matplotlib.ft2font import FT2Font, RenderMode  # noqa: F401
    except ImportError:  # pragma: no cover - other matplotlib versions
        return False
    return all(hasattr(FT2Font, a) for a in ("_layout", "_set_transform", "_render_glyph")) and all(
        hasattr(RendererAgg, a) for a in ("_prepare_font", "draw_text")
    )


_SUPPORTED = _supported()


def _bounded_put(cache: dict, key, value, limit: int):
    if len(cache) >= limit:
        cache.clear()  # rare: thousands of distinct strings; starting over is cheap
    cache[key] = value
    return value


def _layout(font, s: str, size: float, dpi: float, flags, mtext) -> tuple:
    """``font._layout(s)`` as ``(font object, glyph index, x, y)`` rows, cached."""
    features = mtext.get_fontfeatures() if mtext is not None else None
    language = mtext.get_language() if mtext is not None else None
    key = (s, id(font), size, dpi, flags, repr(features), repr(language))
    hit = _LAYOUTS.get(key)
    if hit is not None:
        return hit[1]
    items = font._layout(s, flags=flags, features=features, language=language)
    rows = tuple((it.ft_object, it.glyph_index, it.x, it.y) for it in items)
    # the font is kept in the value so that its id in the key cannot be reused by another
    return _bounded_put(_LAYOUTS, key, (font, rows), _MAX_LAYOUTS)[1]


def _draw_text(self, gc, x, y, s, prop, angle, ismath=False, mtext=None):
    """``RendererAgg.draw_text`` with cached layouts and glyph bitmaps (same pixels)."""
    from matplotlib.backends.backend_agg import RendererAgg, get_hinting_flag
    from matplotlib.ft2font import RenderMode

    if ismath:
        return RendererAgg.draw_text(self, gc, x, y, s, prop, angle, ismath, mtext)
    font = self._prepare_font(prop)
    flags = get_hinting_flag()
    size = prop.get_size_in_points()
    rows = _layout(font, s, size, self.dpi, flags, mtext)
    # as RendererAgg._draw_text_glyphs_and_boxes (matplotlib 3.11), with slant 0, extend 1
    cos, sin = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    aa = bool(gc.get_antialiased())
    matrix = None
    height = self.height
    top_of_image = int(height)
    for ft, glyph, dx, dy in rows:
        fx = round(0x40 * (x + dx * cos - dy * sin))
        fy = round(0x40 * (height - y + dx * sin + dy * cos))
        key = (id(ft), size, self.dpi, glyph, flags, aa, angle, fx & 63, fy & 63)
        hit = _GLYPHS.get(key)
        if hit is None:
            if matrix is None:
                matrix = (0x10000 * np.array([[cos, -sin], [sin, cos]])).round().astype(int)
            ft.set_size(size, self.dpi)
            ft._set_transform(matrix, [fx, fy])
            bitmap = ft._render_glyph(glyph, flags, RenderMode.NORMAL if aa else RenderMode.MONO)
            buffer = bitmap.buffer
            if not aa:
                buffer = buffer * 0xFF
            buffer = np.array(buffer, copy=True)  # FreeType's buffer is reused by the next glyph
            # bitmap position relative to the whole-pixel part of the pen position
            hit = _bounded_put(
                _GLYPHS, key, (buffer, bitmap.left - (fx >> 6), bitmap.top - (fy >> 6), ft),
                _MAX_GLYPHS,
            )  # fmt: skip
        buffer, left, top, _ = hit
        self._renderer.draw_text_image(
            buffer, left + (fx >> 6), top_of_image - (top + (fy >> 6)) + buffer.shape[0], 0, gc
        )
    return None


def use_glyph_cache(canvas) -> bool:
    """Give ``canvas``'s Agg renderers the cached ``draw_text`` (once per canvas).

    Parameters
    ----------
    canvas : matplotlib.backend_bases.FigureCanvasBase
        A figure's canvas; only Agg canvases (Agg, ipympl, WebAgg, inline) are changed.

    Returns
    -------
    bool
        Whether the canvas now draws text through the cache.
    """
    if getattr(canvas, "_inferecon_glyph_cache", None) is not None:
        return canvas._inferecon_glyph_cache
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    ok = _SUPPORTED and isinstance(canvas, FigureCanvasAgg)
    if ok:
        get_renderer = type(canvas).get_renderer

        def _get_renderer(self):
            renderer = get_renderer(self)
            if "draw_text" not in renderer.__dict__:
                renderer.draw_text = types.MethodType(_draw_text, renderer)
            return renderer

        canvas.get_renderer = types.MethodType(_get_renderer, canvas)
    canvas._inferecon_glyph_cache = ok
    return ok


def clear_glyph_cache() -> None:
    """Forget every cached layout and glyph bitmap."""
    _LAYOUTS.clear()
    _GLYPHS.clear()
