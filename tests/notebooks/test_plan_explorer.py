"""What the deployment-plan explorer (notebook 08) shows, checked against the package's numbers.

One explorer for the module: its quick search (nine configurations of Llama-3.1-70B) is cached
by its inputs for the session, so every other explorer here re-reads it.
"""

from __future__ import annotations

import numpy as np
import pytest

import inferecon as ie
from inferecon.viz import planner as vp


@pytest.fixture(scope="module")
def ex():
    e = ie.viz.PlanExplorer()
    yield e
    e.close()


def _study(ex):
    return ex._result["study"]


def test_default_is_the_stated_scenario(ex):
    plan = _study(ex).plan
    b = plan.best
    assert b["label"] == "B200-HGX fp4 TP1, chunked prefill 2048 tok, max 256 running"
    assert plan.inputs["ttft_ms"] == 1000 and plan.inputs["tpot_ms"] == 50
    text = ex.readout.value
    assert f"<b>{b['peak_gpus']:.0f} GPUs</b>" in text
    assert f"${b['usd_per_day']:,.0f} per day" in text
    assert f"${b['usd_per_mtok_output']:.3f} per million output tokens" in text
    # the load panel is the plan's schedule: capacity = replicas x goodput, at every hour
    d = ex.data()
    load = d[d["panel"] == "load"]
    cap = load[load["label"] == "capacity (req/s)"]["y"].to_numpy()
    np.testing.assert_allclose(cap, plan.schedule["replicas"] * b["goodput_rps_per_replica"])
    assert (cap >= load[load["label"] == "arrival rate (req/s)"]["y"].to_numpy()).all()


def test_cheap_controls_reprice_without_searching(ex):
    study = _study(ex)
    try:
        ex.controls["pricing"].value = "own (4 years, 10% capital)"
        ex.controls["autoscale"].value = True
        ex.controls["daily_requests_m"].value = 20.0
        assert _study(ex) is study  # no new search
        want = ie.reprice_plan(study.plan, ie.diurnal_load_curve(20e6, 1.9, 14.5),
                               autoscale=True, headroom=1.0,
                               **vp._pricing(ex._params())).best  # fmt: skip
        assert want["usd_per_day"] > 0
        assert f"${want['usd_per_day']:,.0f} per day" in ex.readout.value
        assert f"<b>{want['peak_gpus']:.0f} GPUs</b>" in ex.readout.value
        # the self-hosted line is the package's volume costs for these prices
        vol = ie.plan_volume_costs(study.plan, vp._VOLUMES, autoscale=True, headroom=1.0,
                                   **vp._pricing(ex._params()))  # fmt: skip
        np.testing.assert_allclose(ex._own_line.get_ydata(), vol["usd_per_mtok_output"])
    finally:
        ex.reset()


def test_a_control_that_needs_simulation_waits_for_the_button(ex):
    study = _study(ex)
    try:
        ex.controls["tpot_ms"].value = 40.0
        assert _study(ex) is study
        assert "press Search" in ex.readout.value and ex._stale.get_text()
    finally:
        ex.reset()
    assert not ex._stale.get_text()


def test_search_runs_with_progress_and_is_cached():
    """A one-configuration quick search (Llama-3.1-8B on an H100 in bf16), then re-read."""
    small = ie.viz.PlanExplorer(model="Llama-3.1-8B", gpus="H100", precisions="bf16")
    try:
        res = small._result
        assert res["study"].plan.best["gpu"] == "H100-SXM" and not res["full"]
        assert small.progress.value == small.progress.max > 1
        small.controls["attainment"].value = 0.8
        assert "press Search" in small.readout.value
        small.controls["attainment"].value = 0.9
        assert "Changed" not in small.readout.value
        assert small.search(full=False) is res  # the button re-reads a search it has
        assert "Cached" in small.search_status.value
        assert small.search_button.description == "Search"
    finally:
        small.close()


def test_a_study_from_the_notebook_is_drawn_not_searched_again(ex):
    study = _study(ex)
    other = ie.viz.PlanExplorer(study=study)
    try:
        assert other._result["study"] is study
        assert other.readout.value == ex.readout.value
    finally:
        other.close()
    with pytest.raises(ValueError, match="tpot_ms"):
        ie.viz.PlanExplorer(study=study, tpot_ms=40.0)
    with pytest.raises(ValueError, match="gpus"):
        ie.viz.PlanExplorer(study=study, gpus="H100")
