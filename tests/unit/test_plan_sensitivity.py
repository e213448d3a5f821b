"""A plan re-priced without simulating, across volumes and targets, with its calibration band
(inferecon/plan_sensitivity.py), and plan_deployment's progress callback.

A four-configuration grid and 100 to 200 requests per run.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import inferecon as ie

MODEL = "Llama-3.1-8B"
LENGTHS = (ie.lognormal_lengths(400, 1.0), ie.lognormal_lengths(120, 1.0))
CURVE = ie.diurnal_load_curve(2e7, 2.0, 14.0)
OTHER = ie.diurnal_load_curve(5e6, 3.0, 10.0)  # another volume and shape
SLO = dict(ttft_ms=500.0, tpot_ms=50.0, attainment=0.9)
N = 100
GRID = ie.serving_configurations(["H100-SXM", "L40S"], ["bf16"], [1, 2], ["chunked_prefill"])
OWN = dict(purchase_usd={"H100-SXM": 30_000.0, "L40S": 9_000.0}, lifetime_years=4.0,
           cost_of_capital=0.1)  # fmt: skip
API = dict(api_model="meta-llama/Llama-3.3-70B-Instruct-Turbo", api_provider="together",
           prices_as_of="2026-12-01")  # fmt: skip
CALLS: list = []


@pytest.fixture(scope="module")
def brute():
    return ie.plan_deployment(MODEL, CURVE, LENGTHS, **SLO, configurations=GRID, n_requests=N,
                              prune=False, progress=lambda d, n: CALLS.append((d, n)),
                              **API)  # fmt: skip


@pytest.fixture(scope="module")
def brute_other():
    """A new search for another curve, autoscaled, owned, with headroom."""
    return ie.plan_deployment(MODEL, OTHER, LENGTHS, **SLO, configurations=GRID, n_requests=N,
                              prune=False, autoscale=True, headroom=1.3, **OWN, **API)  # fmt: skip


def test_progress_counts_every_configuration_once(brute):
    done = [d for d, _ in CALLS]
    assert all(n == len(GRID) for _, n in CALLS)
    assert done == sorted(done) and done[-1] == len(GRID)
    # one call before any simulation (the infeasible ones decided), then one per simulation
    assert done[0] == brute.search["infeasible"]
    assert len(CALLS) == 1 + brute.search["simulated"]
    with pytest.raises(ValueError, match="progress"):
        ie.plan_deployment(MODEL, CURVE, LENGTHS, **SLO, configurations=GRID[:1], n_requests=N,
                           progress=3)  # fmt: skip


def test_reprice_equals_a_new_search(brute, brute_other):
    """Same goodputs, other curve and prices: exactly what a new brute-force search returns."""
    again = ie.reprice_plan(brute, OTHER, autoscale=True, headroom=1.3, **OWN)
    pd.testing.assert_frame_equal(again.configurations, brute_other.configurations)
    pd.testing.assert_frame_equal(again.schedule, brute_other.schedule)
    assert again.best.name == brute_other.best.name
    assert again.api["usd_per_day"].iloc[0] == pytest.approx(
        brute_other.api["usd_per_day"].iloc[0], rel=1e-12)  # fmt: skip
    assert again.search["exact"] and again.inputs["owned"] and again.inputs["autoscale"]
    # and back: re-pricing to the original inputs gives the original plan
    back = ie.reprice_plan(again, CURVE, autoscale=False, headroom=1.0, purchase_usd=None,
                           lifetime_years=None, cost_of_capital=0.0)  # fmt: skip
    pd.testing.assert_frame_equal(back.configurations, brute.configurations)


def test_reprice_says_when_a_pruned_configuration_could_win():
    # one configuration per round, so the ceiling prunes one of the four
    pruned = ie.plan_deployment(MODEL, CURVE, LENGTHS, **SLO, configurations=GRID, n_requests=200,
                                batch_size=1)  # fmt: skip
    cut = pruned.configurations["status"] == "pruned"
    assert cut.sum() > 0
    assert ie.reprice_plan(pruned).search["exact"]  # the search's own inputs: its optimum
    # the pruned configuration's GPU all but free: its lower bound falls below the best found
    gpu = pruned.configurations.loc[cut, "gpu"].iloc[0]
    rent = {g: ie.get_gpu(g).usd_per_gpu_hour_mid for g in ("H100-SXM", "L40S")}
    for price in (rent[gpu], 0.01):
        p = ie.reprice_plan(pruned, usd_per_gpu_hour={**rent, gpu: price})
        below = (p.configurations.loc[cut, "lower_bound_usd_per_day"]
                 < p.best["usd_per_day"]).sum()  # fmt: skip
        assert p.search["pruned_below_best"] == below
        assert p.search["exact"] == (below == 0) == (price == rent[gpu])


def test_volume_costs_are_repriced_plans(brute):
    vols = [1e6, 2e7, 8e7]
    v = ie.plan_volume_costs(brute, vols, autoscale=True)
    for row in v.itertuples():
        p = ie.reprice_plan(brute, CURVE.scaled(row.daily_requests), autoscale=True)
        assert row.usd_per_day == pytest.approx(p.best["usd_per_day"], rel=1e-12)
        assert row.usd_per_mtok_output == pytest.approx(p.best["usd_per_mtok_output"], rel=1e-12)
        assert row.label == p.best["label"] and row.peak_gpus == p.best["peak_gpus"]
        assert row.api_usd_per_day == pytest.approx(p.api["usd_per_day"].iloc[0], rel=1e-9)
    assert v["exact"].all()  # brute force: nothing pruned
    # whole replicas: fewer requests a day never cost less per day
    assert np.all(np.diff(v["usd_per_day"]) >= 0)


def test_cost_band_brackets_the_plan_and_prices_cached_goodputs(brute):
    band = ie.plan_cost_band(brute, LENGTHS)
    b = brute.best
    assert band["gpu"] == b["gpu"] and band["rel_error"] == ie.calibration_band(b["gpu"]).rel_error
    assert band["goodput_rps_per_replica_low"] <= b["goodput_rps_per_replica"]
    assert b["goodput_rps_per_replica"] <= band["goodput_rps_per_replica_high"]
    assert band["usd_per_day_low"] <= b["usd_per_day"] <= band["usd_per_day_high"]
    assert band["usd_per_day_low"] < band["usd_per_day_high"]
    # the cached goodputs price a re-priced plan (same configuration) without simulating
    dear = ie.reprice_plan(brute, usd_per_gpu_hour={"H100-SXM": 5.0, "L40S": 2.0})
    assert dear.configuration() == brute.configuration()
    again = ie.plan_cost_band(dear, goodputs=(band["goodput_rps_per_replica_low"],
                                              band["goodput_rps_per_replica_high"]))  # fmt: skip
    assert again["usd_per_day_low"] <= dear.best["usd_per_day"] <= again["usd_per_day_high"]
    assert again["usd_per_day_high"] > band["usd_per_day_high"]  # the dearer rent
    # a slower step model that meets the targets at no rate: no finite cost at that end
    none = ie.plan_cost_band(brute, goodputs=(0.0, b["goodput_rps_per_replica"]))
    assert none["usd_per_day_high"] == np.inf and none["usd_per_day_low"] == b["usd_per_day"]
    flat = ie.plan_cost_band(brute, goodputs=(b["goodput_rps_per_replica"],) * 2)
    assert flat["usd_per_day_low"] == flat["usd_per_day_high"] == pytest.approx(b["usd_per_day"])


def test_plan_study_is_its_parts_and_stricter_targets_never_cost_less(brute):
    calls = []
    study = ie.plan_study(MODEL, CURVE, LENGTHS, **SLO, scales=(0.5, 1.0), configurations=GRID,
                          n_requests=N, prune=False, progress=lambda d, n: calls.append((d, n)),
                          **API)  # fmt: skip
    pd.testing.assert_frame_equal(study.plan.configurations, brute.configurations)
    ends = (study.band["goodput_rps_per_replica_low"], study.band["goodput_rps_per_replica_high"])
    assert study.band == ie.plan_cost_band(brute, goodputs=ends)
    for vary, other in (("ttft_ms", "tpot_ms"), ("tpot_ms", "ttft_ms")):
        t = study.slo[vary]
        assert list(t["scale"]) == [0.5, 1.0] and t.attrs["plans"][1.0] is study.plan
        assert list(t[vary]) == [SLO[vary] / 2, SLO[vary]] and (t[other] == SLO[other]).all()
        # the plan at 1 is re-used, not searched again; a stricter target never costs less
        assert t["usd_per_day"].iloc[1] == brute.best["usd_per_day"]
        assert t["usd_per_day"].fillna(np.inf).iloc[0] >= t["usd_per_day"].iloc[1]
    done = [d for d, _ in calls]
    assert done == sorted(done) and calls[-1] == (3 * len(GRID) + 2,) * 2  # 3 searches, band


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda p: ie.reprice_plan("plan"), "plan"),
        (lambda p: ie.reprice_plan(p, usd_per_gpu_hr=2.0), "usd_per_gpu_hr"),
        (lambda p: ie.reprice_plan(p, headroom=0.5), "headroom"),
        (lambda p: ie.plan_volume_costs(p, [1e6, -1.0]), "daily_requests"),
        (lambda p: ie.plan_cost_band(p), "lengths"),
        (lambda p: ie.plan_cost_band(p, goodputs=(1.0, -1.0)), "goodputs"),
        (lambda p: ie.plan_slo_costs(MODEL, CURVE, LENGTHS, **SLO, vary="itl"), "vary"),
        (lambda p: ie.plan_slo_costs(MODEL, CURVE, LENGTHS, **SLO, scales=(0.0,)), "scales"),
    ],
)
def test_bad_input_names_the_parameter(brute, call, name):
    with pytest.raises(ValueError, match=name):
        call(brute)
