"""Widget factories shared by every explorer: one look for labels, widths and readouts."""

from __future__ import annotations

import ipywidgets as widgets

__all__ = ["LABEL_STYLE", "checkbox", "dropdown", "float_slider", "int_slider", "row_layout"]

LABEL_STYLE = {"description_width": "300px"}
"""Room for a label with its unit, e.g. "Threshold score (≥, benchmark units)"."""


def row_layout() -> widgets.Layout:
    """Layout of one control row (a fresh object per widget)."""
    return widgets.Layout(width="660px")


def _slider(cls, value, lo, hi, step, label, **kw):
    return cls(
        value=value,
        min=lo,
        max=hi,
        step=step,
        description=label,
        style=LABEL_STYLE,
        layout=row_layout(),
        **kw,
    )


def float_slider(value, lo, hi, step, label, fmt=".2f", **kw) -> widgets.FloatSlider:
    """A labelled FloatSlider with explicit bounds, step and readout format."""
    return _slider(widgets.FloatSlider, value, lo, hi, step, label, readout_format=fmt, **kw)


def int_slider(value, lo, hi, step, label, **kw) -> widgets.IntSlider:
    """A labelled IntSlider with explicit bounds and step."""
    return _slider(widgets.IntSlider, value, lo, hi, step, label, **kw)


def dropdown(options, value, label) -> widgets.Dropdown:
    """A labelled Dropdown."""
    return widgets.Dropdown(
        options=options, value=value, description=label, style=LABEL_STYLE, layout=row_layout()
    )


def checkbox(value: bool, label: str) -> widgets.Checkbox:
    """A Checkbox aligned with the slider tracks, its label beside the box."""
    return widgets.Checkbox(
        value=value,
        description=label,
        indent=False,
        layout=widgets.Layout(width="660px", margin="2px 0 2px 304px"),
    )
