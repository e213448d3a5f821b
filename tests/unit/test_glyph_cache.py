"""The explorers' cached text rasters draw exactly the pixels matplotlib draws.

``inferecon.viz._glyph_cache`` reuses string layouts and glyph bitmaps between draws; these
tests compare canvases drawn through it with canvases drawn by matplotlib alone, byte for byte,
and check the one property the cache relies on (a glyph moved by whole pixels is the same
bitmap, moved).
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from inferecon.viz import _glyph_cache as gc  # noqa: E402

pytestmark = pytest.mark.skipif(not gc._SUPPORTED, reason="needs matplotlib 3.11's Agg text")


def _figure(dpi: float, **text_kw):
    fig = plt.figure(figsize=(5, 3.5), dpi=dpi)
    ax = fig.add_subplot()
    ax.plot([1, 2, 3], [3, 1, 2])
    ax.set_title("Price ≥ 5% × per year – gjq@")
    ax.set_ylabel("USD per million tokens")  # rotated 90°
    ax.text(1.5, 2, "rotated 33.3°", rotation=33.3)
    ax.text(1.2, 1.5, r"$\alpha^2 + x_i$")  # mathtext: drawn by matplotlib itself
    ax.annotate("label (7.5 pt)", (2, 1), xytext=(4.37, 4.1), textcoords="offset points",
                fontsize=7.5)  # fmt: skip
    ax.text(2.5, 2.5, "not antialiased", antialiased=False)
    ax.text(1.1, 2.8, "the text under test", **text_kw)
    return fig


def _pixels(fig, cached: bool, draws: int = 1) -> np.ndarray:
    if cached:
        assert gc.use_glyph_cache(fig.canvas)
    for _ in range(draws):
        fig.canvas.draw()
    out = np.asarray(fig.canvas.buffer_rgba()).copy()
    plt.close(fig)
    return out


@pytest.mark.parametrize("dpi", [72, 100, 137.5])
def test_cached_text_draws_the_same_pixels(dpi):
    gc.clear_glyph_cache()
    plain = _pixels(_figure(dpi), cached=False)
    first = _pixels(_figure(dpi), cached=True)  # fills the cache
    again = _pixels(_figure(dpi), cached=True, draws=2)  # every glyph from the cache
    assert np.array_equal(plain, first)
    assert np.array_equal(plain, again)


@pytest.mark.parametrize(
    "text_kw",
    [
        {"color": "red"},
        {"fontsize": 14},
        {"fontweight": "bold"},
        {"fontstyle": "italic"},
        {"family": "monospace"},
        {"rotation": 90},
        {"rotation": 12.0, "fontsize": 9},
        {"alpha": 0.4},
    ],
)
def test_every_text_property_is_part_of_the_key(text_kw):
    """A string first drawn in the default style, then in another: the cache must not hand
    back the first raster (the key holds font, size, dpi, rotation, antialiasing, position)."""
    _pixels(_figure(100), cached=True)  # the default style is in the cache now
    plain = _pixels(_figure(100, **text_kw), cached=False)
    cached = _pixels(_figure(100, **text_kw), cached=True)
    assert np.array_equal(plain, cached)


def test_text_moved_by_a_fraction_of_a_pixel():
    """The same string at positions that differ by less than a pixel: each is drawn as
    matplotlib draws it there (the key holds the position's 1/64-pixel fraction)."""
    for dx in (0.0, 0.013, 0.25, 0.5, 0.77, 1.0, 3.3):

        def fig_at(dx=dx):
            fig = plt.figure(figsize=(3, 1), dpi=100)
            fig.text(0.1 + dx / 300, 0.5, "Moving label 0.123")
            return fig

        assert np.array_equal(_pixels(fig_at(), cached=False), _pixels(fig_at(), cached=True))


def test_glyph_moved_by_whole_pixels_is_the_same_bitmap():
    """The property the cache rests on, glyph by glyph, at random positions."""
    from matplotlib.backends.backend_agg import get_hinting_flag
    from matplotlib.font_manager import FontProperties, findfont, get_font
    from matplotlib.ft2font import RenderMode

    font = get_font(findfont(FontProperties()))
    font.set_size(10, 100)
    flags = get_hinting_flag()
    rng = np.random.default_rng(0)
    eye = np.array([[0x10000, 0], [0, 0x10000]])
    for item in font._layout("Price ≥ 5%, gjq@ 0123", flags=flags):
        for _ in range(10):
            x, y = (int(v) for v in rng.integers(64 * 60, 64 * 500, 2))
            sx, sy = (64 * int(v) for v in rng.integers(-50, 50, 2))
            shots = []
            for px, py in ((x, y), (x + sx, y + sy)):
                font._set_transform(eye, [px, py])
                bmp = font._render_glyph(item.glyph_index, flags, RenderMode.NORMAL)
                shots.append((np.array(bmp.buffer), bmp.left, bmp.top))
            (a, la, ta), (b, lb, tb) = shots
            assert np.array_equal(a, b)
            if a.size:  # an empty bitmap (a space) has no position
                assert (lb - la, tb - ta) == (sx // 64, sy // 64)


def test_only_agg_canvases_use_the_cache():
    from matplotlib.backends.backend_svg import FigureCanvasSVG

    fig = plt.figure()
    svg = FigureCanvasSVG(fig)
    assert gc.use_glyph_cache(svg) is False
    assert "get_renderer" not in svg.__dict__
    plt.close(fig)
