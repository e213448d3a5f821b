"""What the notebook-06 explorers show, checked against the package's numbers by setting
control values (no kernel). The generic sweeps (every control over min/default/max, Reset,
Export, blitting) run for them in test_explorers.py."""

from __future__ import annotations

from pathlib import Path

import jupytext
import numpy as np
import pandas as pd
import pytest

import inferecon as ie


@pytest.fixture
def close():
    made = []
    yield made.append
    for ex in made:
        ex.close()


def _usd(v: float) -> str:
    return ie.viz.factory._usd(v)


def test_cost_explorer_shows_the_cheapest_batch_at_the_target_speed(close):
    ex = ie.viz.FactoryCostExplorer()
    close(ex)
    p = ex.state()
    assert (p["model"], p["gpu"], p["precision"], p["tensor_parallel"]) == (
        "Llama-3.1-70B", "H200-SXM", "fp8", 2)  # fmt: skip
    data = ex.data()
    chosen = data[data["chosen"]].iloc[0]
    # brute force with the serving model: every batch that serves >= 50 tokens/s per user
    b = data["batch"].to_numpy()
    sp = ie.serving_performance(
        "Llama-3.1-70B", "H200-SXM", b, 1024, 1024, "fp8", tensor_parallel=2
    )
    ok = sp["tokens_per_s_per_user"].to_numpy() >= 50
    assert chosen["tokens_per_s_per_user"] >= 50
    assert chosen["batch"] == b[ok].max()  # the largest batch still that fast is the cheapest
    # its cost from the package's own call for that batch
    r = ie.token_economics(
        "Llama-3.1-70B", "H200-SXM", int(chosen["batch"]), 1024, 1024, "fp8", tensor_parallel=2,
        purchase_usd=30_000, lifetime_years=4, cost_of_capital=0.10, utilisation=0.7,
        usd_per_kwh=0.08, pue=1.2, all_in_kw_per_gpu=1.73, facility_usd_per_kw_month=184,
    ).iloc[0]  # fmt: skip
    assert f"<b>{_usd(r['total_usd_per_mtok'])}</b> per million output tokens" in ex.readout.value
    assert f"{r['tokens_per_s_per_mw']:,.0f}</b> tokens/s per MW" in ex.readout.value
    assert "1.73 kW per GPU, analyst estimate" in ex.readout.value
    widths = [ex._bars[k][0].get_width() for k in ("hardware", "energy", "facility", "idle")]
    np.testing.assert_allclose(
        widths,
        [r[f"{k}_usd_per_mtok"] for k in ("hardware", "energy", "facility", "idle")],
        rtol=1e-9,
    )
    assert ex._bars["idle"][1].get_width() == 0  # the 100%-utilisation bar has no idle hours


def test_cost_explorer_rent_mode_and_gpu_defaults(close):
    ex = ie.viz.FactoryCostExplorer(hardware=ie.viz.factory._RENT)
    close(ex)
    assert "power and hosting included in the rent" in ex.readout.value
    assert ex._bars["energy"][0].get_width() == 0 and ex._bars["facility"][0].get_width() == 0
    ex.controls["gpu"].value = "B200-HGX"  # the GPU's cited defaults follow
    assert ex.controls["all_in_kw_per_gpu"].value == 2.17
    assert ex.controls["usd_per_gpu_hour"].value == pytest.approx((2.9 + 6.03) / 2, abs=0.01)


def test_cost_explorer_says_why_nothing_is_drawn(close):
    ex = ie.viz.FactoryCostExplorer(precision="fp4")
    close(ex)
    assert "H200-SXM has no fp4 tensor cores" in ex.readout.value
    assert ex.data().empty and len(ex._curve.get_xdata()) == 0
    assert "fp4 tensor cores" in ex._msg.get_text()
    ex.controls["precision"].value = "fp8"
    ex.controls["target_speed"].value = 500
    assert "out of reach: the fastest configuration runs" in ex.readout.value
    ex.controls["model"].value = "Llama-3.1-405B"
    ex.controls["tensor_parallel"].value = 1
    assert "does not fit on H200-SXM ×1" in ex.readout.value


def test_margin_explorer_marks_break_even(close):
    ex = ie.viz.MarginPaybackExplorer()
    close(ex)
    grid = ex.data()
    be = ex._be.get_xdata()[0]
    # the margin changes sign at the break-even price on the plotted grid
    below = grid[grid["output_usd_per_mtok"] < be * 0.98]["gross_margin"]
    above = grid[grid["output_usd_per_mtok"] > be * 1.02]["gross_margin"]
    assert (below < 0).all() and (above > 0).all()
    assert f"break-even output price <b>{_usd(be)}</b>" in ex.readout.value
    assert "payback <b>" in ex.readout.value and "of a 4.0-year life" in ex.readout.value
    # payback shortens as the price rises
    pay = grid["payback_years"].to_numpy()
    finite = np.isfinite(pay)
    assert np.all(np.diff(pay[finite]) <= 1e-12)
    ex.controls["hardware"].value = ie.viz.factory._RENT
    assert "nothing to pay back" in ex.readout.value
    assert len(ex._pay.get_xdata()) == 0


def test_frontier_explorer_draws_each_gpus_pareto_set(close):
    ex = ie.viz.FactoryFrontierExplorer()
    close(ex)
    front = ie.throughput_frontier("Llama-3.1-70B", ex.gpus, 1024, 1024)
    for g in ex.gpus:
        mine = front[(front["gpu"] == g) & front["pareto"]].sort_values("tokens_per_s_per_user")
        x, y = ex._lines[g].get_data()
        np.testing.assert_allclose(x, mine["tokens_per_s_per_user"])
        np.testing.assert_allclose(y, mine["tokens_per_s_per_mw"])
    costs = ie.frontier_costs(front, utilisation=0.7)
    op = ie.operating_point_for_speed(costs, 50, gpu="B200-HGX", objective="cost")
    assert f"B200-HGX <b>{_usd(op['total_usd_per_mtok'])}</b>" in ex.readout.value
    k = ex.gpus.index("B200-HGX")
    assert ex._bars[k].get_x() + ex._bars[k].get_width() == pytest.approx(op["total_usd_per_mtok"])
    assert "tiers at 50% margin" in ex.readout.value
    ex.controls["per"].value = "GPU"
    assert ex.ax.get_ylabel().startswith("Throughput per GPU")
    x, y = ex._lines["B200-HGX"].get_data()
    mine = front[(front["gpu"] == "B200-HGX") & front["pareto"]]
    np.testing.assert_allclose(np.sort(y), np.sort(mine["tokens_per_s_per_gpu"]))
    ex.controls["target_speed"].value = 500
    assert "cannot reach" in ex._labels[k].get_text()
    assert "no fast tier" in ex.readout.value and "fastest configuration" in ex.readout.value


def test_trend_explorer_matches_the_fit(close):
    ex = ie.viz.HardwareTrendExplorer()
    close(ex)
    acc = ie.load_accelerators()
    t = ie.fit_hardware_trend(acc, "price_performance", "fp32")
    assert f"<b>×{t.factor_per_year:.2f} per year</b>" in ex.readout.value
    assert f"({t.fit.n_points} chips)" in ex.readout.value
    assert "AI Index 2025: hardware cost -30% a year = ×1.43 per year" in ex.readout.value
    assert len(ex.data()) == t.fit.n_points
    ex.controls["metric"].value = "energy_efficiency"
    ex.controls["precision"].value = "bf16"
    ex.controls["chips"].value = "data-centre only"
    sel = ie.select_accelerators(acc, segments=["datacenter"])
    t = ie.fit_hardware_trend(sel, "energy_efficiency", "bf16")
    assert f"<b>×{t.factor_per_year:.2f} per year</b>" in ex.readout.value
    assert "energy efficiency +40% a year = ×1.40" in ex.readout.value
    ex.controls["metric"].value = "price_performance"
    ex.controls["precision"].value = "fp4"
    assert "Too few chips" in ex.readout.value
    assert len(ex._fit.get_xdata()) == 0 and ex.data().empty


def test_trend_explorer_draws_the_packages_band_and_published_line(close):
    ex = ie.viz.HardwareTrendExplorer()
    close(ex)
    t = ie.fit_hardware_trend(ie.load_accelerators(), "price_performance", "fp32")
    dates = pd.date_range(t.fit.start, t.fit.end, periods=50)
    lo, hi = t.fit.slope_band(dates)
    verts = ex._band.get_paths()[0].vertices
    np.testing.assert_allclose(verts[:50, 1], lo)
    np.testing.assert_allclose(verts[50:100, 1], hi[::-1])
    f_pub = float(ex.published.loc["price_performance", "factor_per_year"])
    np.testing.assert_allclose(ex._pub.get_ydata(), t.line_at_rate(f_pub, dates))


def test_frontier_explorer_marks_the_packages_operating_points(close):
    ex = ie.viz.FactoryFrontierExplorer(target_speed=50, utilisation=0.5)
    close(ex)
    front = ie.throughput_frontier("Llama-3.1-70B", ex.gpus, 1024, 1024)
    costs = ie.frontier_costs(front, utilisation=0.5)
    ops = ie.operating_points_by_gpu(costs, 50)
    data = ex.data()
    assert data["chosen"].sum() == ops["reachable"].sum() > 0
    np.testing.assert_array_equal(
        np.flatnonzero(data["chosen"]), np.sort(ops.loc[ops["reachable"], "frontier_row"])
    )


def test_rented_bill_leaves_power_and_hosting_in_the_rent(close):
    # renting: the package's rule (no usd_per_kwh or hosting given: none billed) decides
    ex = ie.viz.WorkloadBillExplorer(hardware=ie.viz.factory._RENT, usd_per_gpu_hour=3.0)
    close(ex)
    host = ie.self_hosted_bill(
        "Llama-3.1-70B", "H200-SXM", 1024, 512, 100_000, "fp8", tensor_parallel=1, batch=64,
        usd_per_gpu_hour=3.0, pue=1.2, all_in_kw_per_gpu=1.73, peak_to_mean=2.0,
    ).iloc[0]  # fmt: skip
    assert host["energy_usd_per_month"] == 0 and host["facility_usd_per_month"] == 0
    assert f"<b>{_usd(host['usd_per_month'])}</b> a month" in ex.readout.value


def test_bill_explorer_prices_with_genai_prices(close):
    ex = ie.viz.WorkloadBillExplorer()
    close(ex)
    api = ie.api_bill(
        "meta-llama/Llama-3.3-70B-Instruct-Turbo", 1024, 512, 100_000, provider_id="together",
        as_of=ie.viz.factory.DEFAULT_PRICES_AS_OF,
    ).iloc[0]  # fmt: skip
    assert f"<b>{_usd(api['usd_per_month'])}</b> a month" in ex.readout.value
    host = ie.self_hosted_bill(
        "Llama-3.1-70B", "H200-SXM", 1024, 512, 100_000, "fp8", tensor_parallel=1, batch=64,
        purchase_usd=30_000, lifetime_years=4, cost_of_capital=0.10, usd_per_kwh=0.08, pue=1.2,
        all_in_kw_per_gpu=1.73, facility_usd_per_kw_month=184, peak_to_mean=2.0,
    ).iloc[0]  # fmt: skip
    assert f"<b>{_usd(host['usd_per_month'])}</b> a month" in ex.readout.value
    data = ex.data()
    assert (np.diff(data["api_usd_per_month"]) > 0).all()
    assert (np.diff(data["self_hosted_n_gpus"]) >= 0).all()  # whole replicas: a staircase
    ex.controls["api_model"].value = "OpenAI: GPT-5"
    assert "gpt-5" in ex.readout.value
    ex.controls["precision"].value = "fp4"
    assert "no fp4 tensor cores" in ex.readout.value
    ex.controls["precision"].value = "bf16"
    ex.controls["batch"].value = 256
    assert "self-hosting does not run" in ex.readout.value  # 70B in bf16 on one H200


def test_explorer_data_has_no_nan_in_the_plotted_columns(close):
    for cls in (ie.viz.FactoryCostExplorer, ie.viz.FactoryFrontierExplorer):
        ex = cls()
        close(ex)
        num = ex.data().select_dtypes("number")
        assert isinstance(num, pd.DataFrame) and np.isfinite(num.to_numpy(float)).all()


def test_notebook_and_explorer_defaults_are_the_packages_cited_defaults(close):
    # one cited place (data/factory_assumptions.csv): the notebook's parameters and the
    # explorers' controls start where the functions' defaults are
    cells = jupytext.read(Path(__file__).parents[2] / "notebooks" / "06_ai_factory.md").cells
    (cell,) = [c for c in cells if "parameters" in c.metadata.get("tags", [])]
    ns: dict = {}
    exec(cell.source, ns)  # assignments only (test_notebooks checks the cell's shape)
    d = ie.factory_defaults()
    assert (ns["PUE"], ns["USD_PER_KWH"]) == (d["pue"], d["usd_per_kwh"])
    assert ns["HOSTING_USD_PER_KW_MONTH"] == round(d["facility_usd_per_kw_month"])
    ex = ie.viz.FactoryCostExplorer()
    close(ex)
    assert ex.controls["pue"].value == d["pue"]
    assert ex.controls["usd_per_kwh"].value == d["usd_per_kwh"]


# ---- the calibration band (issue 18): drawn from inferecon.uncertainty's numbers


def _band_vertices(artist) -> np.ndarray:
    (path,) = artist.get_paths()
    return np.asarray(path.vertices)


def test_frontier_explorer_draws_each_gpus_band_and_cost_interval(close):
    ex = ie.viz.FactoryFrontierExplorer()
    close(ex)
    data = ex.data()
    ops = ie.operating_points_by_gpu(data, 50).set_index("gpu")
    for k, g in enumerate(ex.gpus):
        band = ie.calibration_band(g)
        x, y = ex._lines[g].get_data()
        # the shaded region is the curve's diagonal sweep at the GPU's own p90 error
        want = ie.frontier_band_polygon(x, y, band.rel_error)
        np.testing.assert_allclose(_band_vertices(ex._band_patches[g])[: len(want)], want)
        # extrapolated GPUs: dashed curve, hatched bar; every label says which and how wide
        assert (ex._lines[g].get_linestyle() == "-") == band.calibrated
        assert bool(ex._bars[k].get_hatch()) == (not band.calibrated)
        label = ex.ax_cost.get_yticklabels()[k].get_text()
        assert ("calibrated" if band.calibrated else "extrapolated") in label
        assert f"±{band.rel_error:.0%}" in label
        # the interval on the cost bar is cost_band's, the bar the nominal cost between (no
        # interval where the GPU cannot reach the target speed: no cost is drawn there)
        op = ops.loc[g]
        if not op["reachable"]:
            assert len(ex._intervals[k].get_xdata()) == 0
            continue
        lo, hi = ex._intervals[k].get_xdata()
        assert (lo, hi) == pytest.approx(
            (op["total_usd_per_mtok_low"], op["total_usd_per_mtok_high"])
        )
        assert lo < op["total_usd_per_mtok"] < hi
    assert ops["reachable"].sum() >= 4  # most GPUs of the default scenario reach 50 tokens/s
    assert {"total_usd_per_mtok_low", "total_usd_per_mtok_high", "calibrated"} <= set(data)


def test_cost_explorer_bars_carry_the_cost_band(close):
    ex = ie.viz.FactoryCostExplorer(gpu="B200-HGX")
    close(ex)
    data = ex.data()
    i = int(np.flatnonzero(data["chosen"].to_numpy())[0])
    band = ie.cost_band(data.iloc[[i]]).iloc[0]
    lo, hi = ex._intervals[0].get_xdata()
    assert (lo, hi) == pytest.approx(
        (band["total_usd_per_mtok_low"], band["total_usd_per_mtok_high"])
    )
    e = ie.calibration_band("B200-HGX").rel_error
    assert f"B200-HGX extrapolated ±{e:.0%}" in ex._band_note.get_text()
    assert f"calibration band {_usd(band['total_usd_per_mtok_low'])}" in ex.readout.value
