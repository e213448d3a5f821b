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
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .style import FORMATS, house_style, savefig, slug

__all__ = ["Explorer", "setup_notebook", "display_mode", "export_figures"]

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
        for k, v in params.items():
            self._set_control(k, v)
        with plt.ioff(), house_style():
            self.fig = plt.figure(figsize=self.figsize)
            self._build(self.fig)
        self.readout = widgets.HTML(layout=widgets.Layout(margin="4px 0 4px 0"))
        self._reset_button = widgets.Button(description="Reset", icon="undo",
                                            tooltip="Back to the default scenario")
        self._export_button = widgets.Button(description="Export", icon="download",
                                             tooltip="SVG, PNG, PDF and CSV to exports/")
        self._export_status = widgets.HTML()
        self._reset_button.on_click(lambda _b: self.reset())
        self._export_button.on_click(self._on_export_click)
        self._output: widgets.Output | None = None
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
        """The plotted data for the current parameters (exported as CSV)."""
        raise NotImplementedError

    def _on_control(self, name: str, change) -> None:
        """Hook for dependent controls (e.g. a slider whose range follows a dropdown)."""

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
        lo, hi = (pd.Timestamp(v) if not isinstance(v, str) else pd.Timestamp(v) for v in value)
        tss = pd.DatetimeIndex([pd.Timestamp(o) for o in opts])
        i = int(np.clip(np.searchsorted(tss.asi8, lo.value, side="left"), 0, len(opts) - 1))
        j = int(np.clip(np.searchsorted(tss.asi8, hi.value, side="right") - 1, 0, len(opts) - 1))
        return (opts[i], opts[max(i, j)])

    def _on_change(self, change) -> None:
        if self._holding:
            return
        name = next((k for k, w in self.controls.items() if w is change["owner"]), None)
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

    def update(self) -> None:
        """Recompute from the controls, update artists and readout, redraw."""
        self.readout.value = self._update(self._params())
        self.fig.canvas.draw_idle()
        if self._output is not None:
            self._refresh_output()

    def _params(self) -> dict[str, Any]:
        return {k: w.value for k, w in self.controls.items()}

    def reset(self) -> None:
        """Return every control to its default and redraw once."""
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
        self.fig.canvas.draw()
        files = savefig(self.fig, stem, formats=formats, outdir=out)
        csv = out / f"{stem}.csv"
        tmp = csv.with_suffix(".csv.tmp")
        self.data().to_csv(tmp, index=False, float_format="%.6g", lineterminator="\n")
        tmp.replace(csv)
        return [*files, csv]

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

        with self._output:
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
        return widgets.VBox([widgets.VBox(boxes), buttons, self.readout, figure])

    def show(self):
        """Display the explorer (interactive) or, in report mode, the figure and readout."""
        from IPython.display import HTML, display

        if display_mode(self.fig) == "static":
            display(self.fig)
            display(HTML(self.readout.value))
            return None
        w = self.widget()
        display(w)
        return None

    def close(self) -> None:
        """Close the figure (frees it from pyplot)."""
        plt.close(self.fig)


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
