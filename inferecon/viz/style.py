"""House style and deterministic export.

``savefig`` writes every requested format with scrubbed metadata (no dates; a fixed SVG hash
salt), atomically (a temporary file, then a rename), so re-exporting an unchanged figure gives
byte-identical files.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np

__all__ = [
    "STYLE_PATH",
    "FORMATS",
    "add_source",
    "add_title",
    "declutter",
    "house_style",
    "nice_ceiling",
    "savefig",
    "side_by_side",
    "slug",
]

STYLE_PATH = Path(__file__).with_name("styles") / "report.mplstyle"
FORMATS = ("svg", "png", "pdf")

_METADATA = {
    "svg": {"Date": None, "Creator": None},
    "pdf": {"CreationDate": None, "ModDate": None, "Creator": None, "Producer": None},
    "png": {"Software": None},
}


def house_style():
    """Context manager applying the house style (``styles/report.mplstyle``)."""
    return plt.style.context(STYLE_PATH)


def slug(value) -> str:
    """A file-name-safe rendering of a parameter value (``a b`` -> ``a-b``)."""
    if isinstance(value, float):
        value = f"{value:g}"
    text = re.sub(r"[^A-Za-z0-9.+-]+", "-", str(value)).strip("-")
    return text or "none"


def add_source(fig, text: str):
    """Write a source line in the figure's bottom-left corner and return the Text artist."""
    return fig.text(0.01, 0.012, text, ha="left", va="bottom", fontsize=8, color="#555555")


def savefig(
    fig,
    name: str,
    formats: Iterable[str] = FORMATS,
    outdir: str | os.PathLike = ".",
) -> list[Path]:
    """Save ``fig`` as ``outdir/name.<fmt>`` for each format, reproducibly and atomically.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure (its source line should already be on it).
    name : str
        File stem; characters outside ``[A-Za-z0-9._+-]`` are replaced.
    formats : iterable of str, default ("svg", "png", "pdf")
        Any of svg, png, pdf.
    outdir : path-like, default "."
        Created if missing.

    Returns
    -------
    list of pathlib.Path
        The written files.
    """
    formats = tuple(formats)
    bad = [f for f in formats if f not in _METADATA]
    if bad:
        raise ValueError(f"formats must be among {sorted(_METADATA)}; got {bad}")
    stem = re.sub(r"[^A-Za-z0-9._+-]+", "-", name).strip("-")
    if not stem:
        raise ValueError(f"name must contain a file-name character; got {name!r}")
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with mpl.rc_context({"svg.hashsalt": "inferecon", "svg.fonttype": "path"}):
        for fmt in formats:
            target = out / f"{stem}.{fmt}"
            fd, tmp = tempfile.mkstemp(prefix=f".{stem}.", suffix=f".{fmt}", dir=out)
            os.close(fd)
            try:
                fig.savefig(tmp, format=fmt, metadata=_METADATA[fmt], dpi=150)
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            written.append(target)
    return written


def nice_ceiling(value: float, steps: tuple[float, ...] = (1.0, 2.0, 5.0)) -> float:
    """The smallest ``step x 10^k`` at or above ``value``: an axis limit that changes rarely.

    Parameters
    ----------
    value : float
        The largest value the axis must show; not finite or <= 0 gives 1.
    steps : tuple of float
        Increasing mantissas in [1, 10), starting at 1 (``(1, 2, 5)``; ``(1, 2, 2.5, 5)`` for
        finer limits).

    Returns
    -------
    float
        The limit.

    Examples
    --------
    >>> nice_ceiling(3.2), nice_ceiling(0.021), nice_ceiling(2.2, steps=(1, 2, 2.5, 5))
    (5.0, 0.05, 2.5)
    """
    if not np.isfinite(value) or value <= 0:
        return 1.0
    k = np.floor(np.log10(value))
    for m in (*steps, 10.0):
        if m * 10**k >= value:
            return float(m * 10**k)
    return float(10 ** (k + 1))  # pragma: no cover (rounding at the top of a decade)


def add_title(fig, text: str):
    """The figure's headline, left-aligned in bold (house style)."""
    return fig.suptitle(text, x=0.01, ha="left", fontsize=13, fontweight="bold")


def side_by_side(
    fig, main_to_side: float, wspace: float, *, left=0.08, right=0.98, top=0.86, bottom=0.2
):
    """A main axes and a narrower side axes (width ratio ``main_to_side`` : 1)."""
    gs = fig.add_gridspec(
        1,
        2,
        width_ratios=[main_to_side, 1],
        wspace=wspace,
        left=left,
        right=right,
        top=top,
        bottom=bottom,
    )
    return fig.add_subplot(gs[0]), fig.add_subplot(gs[1])


_OFFSETS = ((3, 2, "left"), (3, -9, "left"), (-3, 2, "right"), (-3, -9, "right"),
            (3, 9, "left"), (-3, 9, "right"), (3, -16, "left"), (-3, -16, "right"))  # fmt: skip


def declutter(fig, annotations, points=None) -> None:
    """Move point labels so that they do not overlap: each annotation tries offsets around its
    point (right, below, left, above...) and keeps the first whose box overlaps no label placed
    before it (greedy, in the order given). Annotations use offset points (``textcoords``).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure (drawn once for text extents).
    annotations : list of matplotlib.text.Annotation
        The labels, most important first.
    points : matplotlib.collections.PathCollection, optional
        Markers the labels should not cover either.
    """
    from matplotlib.transforms import Bbox

    renderer = fig.canvas.get_renderer()
    obstacles = []
    if points is not None and len(points.get_offsets()):
        xy = points.get_offset_transform().transform(points.get_offsets())
        r = 3.0 * fig.dpi / 72.0  # about a marker's radius in pixels
        obstacles = [Bbox([[x - r, y - r], [x + r, y + r]]) for x, y in xy]
    placed = []
    for a in annotations:
        if not a.get_visible() or not a.get_text():
            continue
        own = a.axes.transData.transform(a.xy) if a.xycoords == "data" else (np.nan, np.nan)
        others = [  # every marker but the label's own
            b for b in obstacles
            if not (abs(b.x0 + b.width / 2 - own[0]) < 1 and abs(b.y0 + b.height / 2 - own[1]) < 1)
        ]  # fmt: skip
        for dx, dy, ha in _OFFSETS:
            a.set_position((dx, dy))
            a.set_horizontalalignment(ha)
            box = a.get_window_extent(renderer)
            if not any(box.overlaps(b) for b in placed + others):
                break
        else:  # no free place: keep the first
            dx, dy, ha = _OFFSETS[0]
            a.set_position((dx, dy))
            a.set_horizontalalignment(ha)
            box = a.get_window_extent(renderer)
        placed.append(box)
