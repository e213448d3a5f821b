"""The deployment planner (inferecon/planner.py) and request routing (inferecon/routing.py).

Small grids and request counts: each plan below simulates a few hundred requests per rate.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

import inferecon as ie
from inferecon.planner import _base_requests, _evaluate

MODEL = "Llama-3.1-8B"
LENGTHS = (ie.lognormal_lengths(400, 1.0), ie.lognormal_lengths(120, 1.0))
CURVE = ie.diurnal_load_curve(2e7, 2.0, 14.0)
SLO = dict(ttft_ms=500.0, tpot_ms=50.0, attainment=0.9)
N = 200
GRID = ie.serving_configurations(
    ["H100-SXM", "L40S", "A100-80GB-SXM"], ["bf16"], [1, 4],
    ["chunked_prefill", ("disaggregated", 1, 1)],
)  # fmt: skip


@pytest.fixture(scope="module")
def pruned():
    return ie.plan_deployment(MODEL, CURVE, LENGTHS, **SLO, configurations=GRID, n_requests=N)


@pytest.fixture(scope="module")
def brute():
    return ie.plan_deployment(MODEL, CURVE, LENGTHS, **SLO, configurations=GRID, n_requests=N,
                              prune=False)  # fmt: skip


def test_pruned_search_returns_the_brute_force_optimum(pruned, brute):
    assert pruned.search["pruned"] > 0  # the ceiling prunes something on this grid
    assert brute.search["pruned"] == 0 and brute.search["simulated"] == len(GRID)
    assert pruned.best["label"] == brute.best["label"]
    assert pruned.best["usd_per_day"] == brute.best["usd_per_day"]
    # the brute-force optimum is the minimum over every configuration (ties: grid order)
    costs = brute.configurations["usd_per_day"].to_numpy()
    assert brute.best.name == int(np.argmin(costs))
    # configurations simulated by both got the same goodput (common random numbers, one seed;
    # the pruned search skips rates above the ceiling, which never changes a goodput)
    both = pruned.configurations["status"] == "simulated"
    pd.testing.assert_series_equal(
        pruned.configurations.loc[both, "goodput_rps_per_replica"],
        brute.configurations.loc[both, "goodput_rps_per_replica"],
    )
    # every pruned configuration's lower bound is at least the optimum
    cut = pruned.configurations["status"] == "pruned"
    assert (pruned.configurations.loc[cut, "lower_bound_usd_per_day"]
            >= pruned.best["usd_per_day"]).all()  # fmt: skip


def test_ceiling_never_undercuts_a_simulated_goodput(brute):
    # brute force never uses the ceiling: every goodput here was searched without it
    t = brute.configurations
    assert set(t["policy"]) == {"chunked_prefill", "disaggregated"}
    assert (t["ceiling_rps_per_replica"] >= t["goodput_rps_per_replica"]).all()
    assert (t["lower_bound_usd_per_day"] <= t["usd_per_day"]).all()
    # per GPU and per million output tokens (where a pruned configuration is drawn), the same
    assert (t["ceiling_rps_per_gpu"] >= t["goodput_rps_per_gpu"]).all()
    assert (t["lower_bound_usd_per_mtok_output"] <= t["usd_per_mtok_output"]).all()
    np.testing.assert_allclose(
        t["lower_bound_usd_per_mtok_output"] / t["usd_per_mtok_output"],
        t["lower_bound_usd_per_day"] / t["usd_per_day"], rtol=1e-12,
    )  # fmt: skip


def test_ceiling_is_a_bound_on_the_simulation_itself():
    # the goodput searched without the ceiling's shortcut stays under it, and a rate just above
    # the ceiling misses the target when simulated
    cfg = ie.ServingConfiguration("L40S", "bf16", 1)
    ceiling = ie.goodput_ceiling_rps(MODEL, cfg, LENGTHS, **SLO, n_requests=N)
    assert 0 < ceiling < math.inf
    req = _base_requests(LENGTHS, N, 0, 1.0, 0.25)  # the default warm-up: 50 of 200 requests
    assert req.warmup == 50
    g, _ = _evaluate((MODEL, cfg, req, tuple(SLO.values()), 0.02, 1e5, math.inf, None, 0, None))
    assert 0 < g <= ceiling
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = ie.simulate_serving(workload=req.at_rate(1.01 * ceiling),
                                  cost=ie.IterationCost(MODEL, "L40S"), ttft_ms=500,
                                  tpot_ms=50)  # fmt: skip
    measured = np.argsort(res.requests["arrival_s"].to_numpy(), kind="stable")[50:]
    assert res.requests["met_both"].to_numpy()[measured].mean() < 0.9


def test_the_step_model_has_the_properties_the_ceiling_needs():
    # (i) dominance: an iteration lasts at least a prefill of as many tokens with no attention;
    # (ii) the ceiling's c is the least f(T) / T over every whole T up to T_max (f(T) / T is
    # saw-toothed under the GEMM model's wave quantization, so it is not read at T_max alone)
    rng = np.random.default_rng(1)
    for model, gpu, tp in ((MODEL, "H100-SXM", 1), ("Llama-3.1-70B", "H100-SXM", 4),
                           ("Mixtral-8x7B", "H100-SXM", 2)):  # fmt: skip
        c = ie.IterationCost(model, gpu, tensor_parallel=tp)
        for _ in range(300):
            p, d = rng.integers(0, 4000), rng.integers(0, 256)
            if p + d == 0:
                continue
            pre = rng.integers(0, 8000)
            pairs = c.prefill_pairs(float(p), float(pre))
            ctx = float(d * rng.integers(1, 8000))
            assert c.iteration_s(p, pairs, pre, d, ctx) >= c.iteration_s(p + d, 0, 0, 0, 0)
        from inferecon.planner import SAWTOOTH_MARGIN, _per_token_floor

        # every whole T up to 6,000 (past the largest chunked budget of the grids here), and
        # around the largest budgets: the grid's floor lies below every f(T) / T
        t_max = 6_000
        exhaustive = [*range(1, t_max + 1), *range(30_000, 30_200)]
        per = np.array([c.iteration_s(float(x), 0, 0, 0, 0) / x for x in exhaustive])
        floor = _per_token_floor(c, 30_200)
        assert floor <= per.min()
        # and not much below it: the margin (1%) plus the saw-tooth (<= 0.2%)
        assert floor >= (1 - SAWTOOTH_MARGIN) * (1 - 0.2 * SAWTOOTH_MARGIN) * per.min()
        # every iteration of up to t_max tokens, of any mix, lasts at least c per token
        for _ in range(200):
            p, d = rng.integers(0, t_max - 256), rng.integers(1, 256)
            pairs = c.prefill_pairs(float(p), 0.0)
            assert c.iteration_s(p, pairs, 0, d, float(d * 100)) >= floor * (p + d)


def test_a_scaled_step_model_has_its_own_per_token_floor():
    """ScaledStepTime reads unknown attributes from the model it wraps; the planner's cached
    floor must not be one of them (a 1.5x slower model has a 1.5x higher floor)."""
    from inferecon.planner import _per_token_floor

    c = ie.IterationCost(MODEL, "H100-SXM")
    base = _per_token_floor(c, 4_096)  # cached on c
    slow = ie.ScaledStepTime(c, 1.5)
    assert _per_token_floor(slow, 4_096) == pytest.approx(1.5 * base, rel=1e-12)
    assert _per_token_floor(c, 4_096) == base
    # and a wrapper forwards public names only, not the wrapped model's state and caches
    fresh = ie.ScaledStepTime(c, 2.0)
    assert fresh.gpu is c.gpu
    with pytest.raises(AttributeError):
        fresh._planner_token_floor  # noqa: B018


def test_single_replica_at_constant_load_equals_goodput():
    cfg = ie.ServingConfiguration("H100-SXM", "bf16", 1, "chunked_prefill")
    r = ie.replica_goodput(MODEL, cfg, LENGTHS, **SLO, n_requests=N, warmup_share=0.0)
    g = ie.goodput(MODEL, "H100-SXM", ttft_ms=500, tpot_ms=50, attainment=0.9,
                   prompt_tokens=LENGTHS[0], output_tokens=LENGTHS[1], n_requests=N)  # fmt: skip
    assert r["goodput_rps"] == g["goodput_rps"] > 0
    assert r["simulations"] <= g["simulations"]  # the ceiling only ever saves simulations


def test_a_looser_slo_never_costs_more(pruned):
    loose = ie.plan_deployment(MODEL, CURVE, LENGTHS, ttft_ms=1000.0, tpot_ms=100.0,
                               attainment=0.8, configurations=GRID, n_requests=N)  # fmt: skip
    assert loose.best["usd_per_day"] <= pruned.best["usd_per_day"]


def test_workers_give_identical_results(pruned):
    par = ie.plan_deployment(MODEL, CURVE, LENGTHS, **SLO, configurations=GRID, n_requests=N,
                             workers=2)  # fmt: skip
    pd.testing.assert_frame_equal(par.configurations, pruned.configurations)


def test_dask_local_cluster_gives_identical_results(pruned):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:  # fmt: skip
        with distributed.Client(cluster) as client:
            dist = ie.plan_deployment(MODEL, CURVE, LENGTHS, **SLO, configurations=GRID,
                                      n_requests=N, executor=client)  # fmt: skip
    pd.testing.assert_frame_equal(dist.configurations, pruned.configurations)


def test_replicas_follow_the_curve_and_costs_add_up(pruned):
    b = pruned.best
    s = pruned.schedule
    assert len(s) == 24 and (s["replicas"] == b["peak_replicas"]).all()  # fixed at the peak
    g = b["goodput_rps_per_replica"]
    assert (s["capacity_rps"] == s["replicas"] * g).all()
    assert (s["capacity_rps"] >= s["rate_per_s"]).all()
    assert b["peak_replicas"] == math.ceil(CURVE.rate_per_s.max() / g)
    assert b["gpu_hours_per_day"] == b["peak_gpus"] * 24
    rent = ie.get_gpu(b["gpu"]).usd_per_gpu_hour_mid
    assert b["usd_per_day"] == pytest.approx(b["gpu_hours_per_day"] * rent)
    out_mtok = 2e7 * pruned.inputs["mean_output_tokens"] / 1e6
    assert b["usd_per_mtok_output"] == pytest.approx(b["usd_per_day"] / out_mtok)
    auto = ie.replica_schedule(CURVE, g, autoscale=True)
    assert auto.max() == b["peak_replicas"] and auto.min() < auto.max()
    assert np.all(auto >= CURVE.rate_per_s / g)


def test_autoscaling_pays_the_scale_up_delay_and_owning_pays_the_peak():
    one = [ie.ServingConfiguration("H100-SXM", "bf16", 1)]
    kw = dict(configurations=one, n_requests=N, **SLO)
    auto = ie.plan_deployment(MODEL, CURVE, LENGTHS, autoscale=True, scale_up_delay_s=1800, **kw)
    n = auto.schedule["replicas"].to_numpy()
    ups = np.maximum(n - np.roll(n, 1), 0).sum()
    assert auto.best["gpu_hours_per_day"] == pytest.approx(n.sum() + 0.5 * ups)
    own = ie.plan_deployment(MODEL, CURVE, LENGTHS, autoscale=True, purchase_usd=30_000,
                             lifetime_years=4, cost_of_capital=0.1, usd_per_kwh=0.1, pue=1.2,
                             **kw)  # fmt: skip
    hour = ie.owned_usd_per_gpu_hour(30_000, 4, 0.1)
    assert own.best["hardware_usd_per_day"] == pytest.approx(own.best["peak_gpus"] * 24 * hour)
    assert own.best["energy_usd_per_day"] > 0


def test_check_plan_routes_the_peak_across_the_planned_replicas():
    curve = ie.diurnal_load_curve(2e6, 2.0, 14.0)
    # a goodput measured on 200 requests (10 s) overstates what a replica sustains for a
    # minute (2 replicas: 4% attainment at the peak); 1,000 requests give 3 replicas, which hold
    one = [ie.ServingConfiguration("L40S", "bf16", 1)]
    plan = ie.plan_deployment(MODEL, curve, LENGTHS, configurations=one, n_requests=1000, **SLO)
    assert plan.configuration() == one[0]
    n = int(plan.best["peak_replicas"])
    assert n >= 2
    ok = ie.check_plan(plan, curve, LENGTHS, window_s=60).summary
    assert ok["replicas"] == n and ok["peak_rate_per_s"] == curve.rate_per_s.max()
    assert abs(ok["n_requests"] - curve.rate_per_s.max() * 60) < 5 * math.sqrt(ok["n_requests"])
    assert ok["slo_attainment"] >= 0.9  # the plan holds at its peak
    short = ie.check_plan(plan, curve, LENGTHS, window_s=60, replicas=n - 1).summary
    assert short["slo_attainment"] < ok["slo_attainment"]


def test_api_list_price_beside_the_plan():
    one = [ie.ServingConfiguration("H100-SXM", "bf16", 1)]
    ref, provider = "meta-llama/Llama-3.3-70B-Instruct-Turbo", "together"
    plan = ie.plan_deployment(MODEL, CURVE, LENGTHS, configurations=one, n_requests=N,
                              api_model=ref, api_provider=provider, prices_as_of="2026-12-01",
                              **SLO)  # fmt: skip
    i = plan.inputs
    want = ie.api_bill(ref, round(i["mean_prompt_tokens"]), round(i["mean_output_tokens"]), 2e7,
                       provider_id=provider, as_of="2026-12-01")  # fmt: skip
    assert plan.api["usd_per_day"].iloc[0] == pytest.approx(want["usd_per_day"].iloc[0])


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        (dict(ttft_ms=0.0), "ttft_ms"),
        (dict(tpot_ms=-1.0), "tpot_ms"),
        (dict(attainment=1.5), "attainment"),
        (dict(headroom=0.5), "headroom"),
        (dict(workers=0), "workers"),
        (dict(n_requests=5), "n_requests"),
        (dict(scale_up_delay_s=-1.0), "scale_up_delay_s"),
        (dict(curve="flat"), "curve"),
        (dict(lengths=512), "lengths"),
        (dict(configurations=[]), "configurations"),
        (dict(executor=object()), "executor"),
        (dict(purchase_usd=30_000), "lifetime_years"),
    ],
)
def test_bad_input_names_the_parameter(kwargs, name):
    args = dict(model=MODEL, curve=CURVE, lengths=LENGTHS, configurations=GRID[:1],
                n_requests=N, **SLO)  # fmt: skip
    args.update(kwargs)
    with pytest.raises(ValueError, match=name):
        ie.plan_deployment(**args)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        (dict(tensor_parallel=[0]), "tensor_parallel"),
        (dict(schedulers=["fifo"]), "schedulers"),
        (dict(schedulers=[("disaggregated", 0, 1)]), "prefill_instances"),
        (dict(max_running_requests=[0]), "max_running_requests"),
        (dict(precisions="bf16"), "precisions"),
        (dict(gpus=["H999"]), "H999"),
    ],
)
def test_bad_grid_names_the_parameter(kwargs, name):
    with pytest.raises(ValueError, match=name):
        ie.serving_configurations(**kwargs)


def test_a_configuration_that_cannot_fit_is_infeasible_not_simulated():
    grid = ie.serving_configurations(["L4", "H100-SXM"], ["bf16"], [1, 4])
    plan = ie.plan_deployment("Llama-3.1-70B", CURVE, LENGTHS, configurations=grid,
                              n_requests=50, ttft_ms=5000, tpot_ms=200)  # fmt: skip
    st = plan.configurations["status"].tolist()
    assert st[:3] == ["infeasible"] * 3  # 140 GB of weights on 24 GB L4s and one H100
    assert st[3] == "simulated"
    assert plan.configurations["ceiling_rps_per_replica"].iloc[:3].eq(0).all()


# --------------------------------------------------------------------------- routing


def _table(rate, n=400, seed=3):
    return ie.poisson_workload(rate, n, LENGTHS[0], LENGTHS[1]).requests(seed)


def test_round_robin_deals_in_arrival_order_and_shortest_queue_balances():
    df = _table(10.0).sample(frac=1.0, random_state=0)  # rows out of arrival order
    where = ie.route_requests(df, 3)
    order = np.argsort(df["arrival_s"].to_numpy(), kind="stable")
    assert (where[order] == np.arange(len(df)) % 3).all()
    # shortest expected work: equal work arriving at once goes to each replica in turn
    same = pd.DataFrame({"arrival_s": np.zeros(6), "prompt_tokens": 10, "output_tokens": 10})
    assert ie.route_requests(same, 3, "shortest_queue", work_s=1.0).tolist() == [0, 1, 2, 0, 1, 2]
    # a long request steers the next ones elsewhere
    work = np.array([10.0, 1.0, 1.0, 1.0])
    got = ie.route_requests(same.iloc[:4], 2, "shortest_queue", work_s=work).tolist()
    assert got == [0, 1, 1, 1]


def test_replicas_with_routing_differ_from_one_server_at_rate_over_n():
    # heavy-tailed prompts (cv 2) at about half of a replica's capacity, a tight TTFT: four
    # replicas behind a join-the-shortest-expected-work balancer pool their capacity (a long
    # prompt on one replica steers the next requests to the others), which N independent
    # servers at rate / N cannot; round-robin deals blindly and does not
    cost = ie.IterationCost(MODEL, "L40S")
    lengths = (ie.lognormal_lengths(400, 2.0), LENGTHS[1])
    rate, kw = 12.0, dict(cost=cost, ttft_ms=150, tpot_ms=50)

    def table(r, n, seed=3):
        return ie.poisson_workload(r, n, *lengths).requests(seed)

    rr = ie.simulate_replicas(table(4 * rate, 1600), 4, **kw).summary
    jsq = ie.simulate_replicas(table(4 * rate, 1600), 4, "shortest_queue",
                               total_tokens_per_s_per_replica=11_000, **kw).summary  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        one = np.mean([ie.simulate_serving(workload=ie.trace_workload(table(rate, 400, s)),
                                           **kw).summary["slo_attainment"]
                       for s in range(4)])  # fmt: skip
    assert rr["n_requests"] == jsq["n_requests"] == 1600 and rr["replicas"] == 4
    assert rr["n_gpus"] == 4
    assert jsq["slo_attainment"] > one + 0.05
    assert jsq["slo_attainment"] > rr["slo_attainment"] + 0.05


def test_more_replicas_never_lower_attainment():
    cost = ie.IterationCost(MODEL, "L40S")
    df = _table(80.0, 400)
    att = [ie.simulate_replicas(df, n, cost=cost, ttft_ms=500, tpot_ms=50).summary[
        "slo_attainment"] for n in (1, 2, 3, 4, 6)]  # fmt: skip
    assert att[0] < 0.5 and att[-1] > 0.9
    assert all(b >= a for a, b in zip(att, att[1:], strict=False))


def test_fleet_times_are_on_the_input_clock():
    cost = ie.IterationCost(MODEL, "L40S")
    df = _table(20.0, 100)
    fleet = ie.simulate_replicas(df, 2, cost=cost, ttft_ms=500, tpot_ms=50)
    np.testing.assert_allclose(fleet.requests["arrival_s"], df["arrival_s"])
    assert (fleet.requests["first_token_s"] >= fleet.requests["arrival_s"]).all()
    assert set(fleet.requests["replica"]) == {0, 1}


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda df: ie.route_requests(df, 0), "replicas"),
        (lambda df: ie.route_requests(df, 2.5), "replicas"),
        (lambda df: ie.route_requests(df, 2, "random"), "rule"),
        (lambda df: ie.route_requests(df, 2, "shortest_queue"), "total_tokens_per_s_per_replica"),
        (lambda df: ie.route_requests(df, 2, "shortest_queue", work_s=-1.0), "work_s"),
        (lambda df: ie.simulate_replicas(df, 0, cost=ie.ConstantService(0.1)), "replicas"),
        (lambda df: ie.check_plan("plan", CURVE, LENGTHS), "plan"),
        (lambda df: ie.replica_schedule(CURVE, 0.0), "goodput_rps"),
        (
            lambda df: ie.replica_goodput(
                MODEL, GRID[0], LENGTHS, ttft_ms=500, tpot_ms=50, warmup_share=0.95
            ),
            "warmup_share",
        ),  # fmt: skip
    ],
)
def test_bad_routing_and_check_input_names_the_parameter(call, name):
    with pytest.raises(ValueError, match=name):
        call(_table(10.0, 20))
