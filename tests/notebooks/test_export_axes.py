"""Exports are report figures: their axes fit the data shown, while the live view keeps its
fixed, wider axes (so updates can blit) and gets them back after the export."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest

import inferecon as ie
from inferecon.viz.explorer import _data_points, fit_axes_to_data


def test_fit_axes_to_data_by_hand():
    fig, ax = plt.subplots()
    ax.set_xscale("log")
    ax.plot([1e-3, 1e-1], [2.0, 4.0])
    ax.axhline(100.0)  # on a blended transform: not data
    ax.set_xlim(1e-9, 1e9)
    ax.set_ylim(-1000, 1000)
    fit_axes_to_data(ax, margin=0.1)
    # log x: 2 decades of data, 0.2 decade margin each side; linear y: span 2, margin 0.2
    np.testing.assert_allclose(ax.get_xlim(), (10**-3.2, 10**-0.8))
    np.testing.assert_allclose(ax.get_ylim(), (1.8, 4.2))
    plt.close(fig)


@pytest.mark.parametrize("name", ["cost_per_token", "serving_frontier", "calibration"])
def test_export_fits_axes_and_restores_the_live_view(name, tmp_path):
    ex = ie.viz.explorers()[name]()
    live = [(ax.get_xlim(), ax.get_ylim()) for ax in ex.fig.axes]
    with ex._all_drawn(), ex._axes_fitted_to_data():
        for ax in ex.fig.axes:
            which = ex._export_fit(ax)
            pts = _data_points(ax)
            for dim, lim, log in ((0, ax.get_xlim(), ax.get_xscale() == "log"),
                                  (1, ax.get_ylim(), ax.get_yscale() == "log")):  # fmt: skip
                if "xy"[dim] not in which:
                    continue
                v = pts[:, dim]
                v = v[np.isfinite(v) & ((v > 0) if log else True)]
                lo, hi = sorted(lim)
                assert lo <= v.min() and v.max() <= hi
                if log:  # no more than the 5% margin (in decades, at least 0.05)
                    span = np.log10(v.max() / v.min())
                    assert np.log10(hi / lo) <= span * 1.1 + 0.1 + 1e-9
    assert [(ax.get_xlim(), ax.get_ylim()) for ax in ex.fig.axes] == live
    # re-exports stay byte-identical
    a = ex.export(tmp_path / "a", formats=("png", "svg"))
    b = ex.export(tmp_path / "b", formats=("png", "svg"))
    for fa, fb in zip(a, b, strict=True):
        assert fa.read_bytes() == fb.read_bytes(), fa.name
    ex.close()


def test_cost_export_spans_the_data_not_the_live_axes(tmp_path):
    # live: USD 0.001 to 1,000 per million tokens; the data span about USD 0.05 to 4
    ex = ie.viz.CostEnergyExplorer()
    with ex._all_drawn(), ex._axes_fitted_to_data():
        lo, hi = ex.ax.get_ylim()
    assert ex.ax.get_ylim() == (1e-3, 1e3)
    assert lo > 1e-2 and hi < 1e2
    ex.close()
