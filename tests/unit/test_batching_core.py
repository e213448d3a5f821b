"""The compiled scheduler loop (``inferecon.batching_core``) against the Python one
(``continuous_batching._Instance``): on random workloads under every policy (tight KV caches
that preempt, few running slots that queue, closed loops, runs cut by ``max_time_s``) and step
models (dense and MoE, tensor-parallel, expert-parallel, engine and ceiling efficiencies,
constant service times), every request's times, preemptions and largest gap, the summary and
the timeline agree to 1e-9; the compiled step model equals ``IterationCost`` call for call."""

from __future__ import annotations

import contextlib
import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import inferecon as ie
from inferecon import continuous_batching as cb

REL = 1e-9

COSTS = {
    "dense": ("Llama-3.1-8B", "H100-SXM", {}),
    "moe": ("Mixtral-8x7B", "H100-SXM", {"precision": "fp8"}),
    "tp2": ("Llama-3.1-8B", "H100-SXM", {"tensor_parallel": 2}),
    "ceiling": ("Llama-3.1-8B", "H200-SXM", {"efficiency": 1.0}),
}


STEP_MODELS = sorted([*COSTS, "ep"])
"""Every step model of the random cases: ``COSTS`` and a MoE model's expert-parallel rank."""


@pytest.fixture(scope="module")
def costs():
    out = {k: ie.IterationCost(m, g, **kw) for k, (m, g, kw) in COSTS.items()}
    # one GPU of an EP8 group with data-parallel attention (the simulator's EP pools)
    out["ep"] = ie.ExpertParallelIterationCost("Qwen3-30B-A3B", "H100-SXM", expert_parallel=8)
    return out


@contextlib.contextmanager
def python_loop():
    """Serve with ``_Instance`` (the Python loop) inside the block."""
    cb._COMPILED = False
    try:
        yield
    finally:
        cb._COMPILED = True


def both(**kw):
    """``simulate_serving(**kw)`` with the compiled loop (checked to run) and with the Python
    loop."""
    compiled, real = [], cb._run_compiled

    def counted(*args, **kwargs):
        out = real(*args, **kwargs)
        compiled.append(out is not None)
        return out

    cb._run_compiled = counted
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # truncated runs say so
            fast = ie.simulate_serving(**kw)
            with python_loop():
                slow = ie.simulate_serving(**kw)
    finally:
        cb._run_compiled = real
    assert compiled and all(compiled)  # every instance ran compiled, and only the first time
    return fast, slow


def assert_same(fast, slow):
    pd.testing.assert_frame_equal(fast.requests, slow.requests, check_exact=False, rtol=REL,
                                  atol=1e-12)  # fmt: skip
    pd.testing.assert_frame_equal(fast.timeline, slow.timeline, check_exact=False, rtol=REL,
                                  atol=1e-12)  # fmt: skip
    for k, v in slow.summary.items():
        if k == "wall_s":
            continue
        w = fast.summary[k]
        if isinstance(v, float) and not (math.isnan(v) and math.isnan(w)):
            assert w == pytest.approx(v, rel=REL, abs=1e-12), k
        elif not isinstance(v, float):
            assert w == v, k


@settings(max_examples=25, deadline=None)
@given(
    policy=st.sampled_from(["prefill_first", "chunked_prefill", "disaggregated"]),
    step_model=st.sampled_from(STEP_MODELS),
    closed=st.booleans(),
    rate=st.floats(2.0, 200.0),
    n=st.integers(1, 150),
    prompt=st.integers(1, 3000),
    output=st.integers(1, 400),
    cv=st.floats(0.0, 2.0),
    max_running_requests=st.integers(1, 64),
    budget=st.integers(64, 8192),
    kv_tokens=st.integers(2000, 200_000),
    max_time_s=st.sampled_from([0.5, 5.0, 1e4]),
    seed=st.integers(0, 100),
)
def test_the_compiled_loop_equals_the_python_loop(
    costs, policy, step_model, closed, rate, n, prompt, output, cv, max_running_requests,
    budget, kv_tokens, max_time_s, seed,
):  # fmt: skip
    lengths = ie.lognormal_lengths(prompt, cv), ie.lognormal_lengths(output, cv)
    if closed and policy != "disaggregated":
        wl = ie.closed_loop_workload(max(1, int(rate) // 10), n, *lengths, think_time_s=0.01)
    else:
        wl = ie.poisson_workload(rate, n, *lengths)
    fast, slow = both(workload=wl, cost=costs[step_model], policy=policy,
                      max_running_requests=max_running_requests, max_batch_tokens=budget,
                      kv_capacity_tokens=kv_tokens, max_time_s=max_time_s, seed=seed,
                      ttft_ms=300.0, tpot_ms=40.0)  # fmt: skip
    assert_same(fast, slow)


def test_preemptions_truncation_and_a_closed_loop_are_covered(costs):
    # the random cases above reach each of these; here one case of each, checked to happen
    wl = ie.poisson_workload(50.0, 300, 500, 1000)
    fast, slow = both(workload=wl, cost=costs["dense"], kv_capacity_tokens=8192, seed=1)
    assert fast.requests["preemptions"].sum() > 50
    assert_same(fast, slow)
    fast, slow = both(workload=wl, cost=costs["moe"], policy="prefill_first", max_time_s=12.0)
    assert fast.summary["truncated"] and 0 < fast.summary["unfinished"] < 300
    assert_same(fast, slow)
    wl = ie.closed_loop_workload(8, 200, ie.lognormal_lengths(300), 50, think_time_s=0.2)
    fast, slow = both(workload=wl, cost=costs["tp2"], policy="prefill_first",
                      max_running_requests=4)  # fmt: skip
    assert (fast.requests["arrival_s"] > 0).sum() == 192  # 8 users start at 0
    assert_same(fast, slow)


def test_expert_parallel_pools_run_compiled_and_agree():
    # both disaggregated pools on expert parallelism (4 prefill ranks, 8 decode ranks), a KV
    # cache tight enough to preempt: the compiled loop (every rank) equals the Python loop
    wl = ie.poisson_workload(200.0, 150, ie.lognormal_lengths(800, 0.8), 120)
    fast, slow = both(model="Qwen3-30B-A3B", gpu="H100-SXM", workload=wl, policy="disaggregated",
                      prefill_expert_parallel=4, decode_expert_parallel=8, kv_capacity_tokens=3000,
                      max_running_requests=32, seed=2, ttft_ms=300.0, tpot_ms=40.0)  # fmt: skip
    assert fast.summary["n_gpus"] == 12 and fast.requests["preemptions"].sum() > 0
    assert_same(fast, slow)
    # the ceiling overlaps the all-to-all with the work: no compiled form, the Python loop
    from inferecon import batching_core

    ceiling = ie.ExpertParallelIterationCost("Qwen3-30B-A3B", "H100-SXM", efficiency=1.0)
    assert batching_core.step_numbers(ceiling, 10) is None


def test_constant_service_times_run_compiled_and_agree():
    wl = ie.poisson_workload(0.7, 3000, 1, 1)
    cost = ie.ConstantService(1.0, 0.002, kv_capacity_tokens=4096)
    fast, slow = both(workload=wl, cost=cost, policy="prefill_first", max_running_requests=1,
                      max_time_s=1e6)  # fmt: skip
    assert_same(fast, slow)
    wl = ie.poisson_workload(30.0, 500, 200, 40)
    for policy in ("chunked_prefill", "disaggregated"):
        assert_same(*both(workload=wl, cost=ie.ConstantService(0.01, 0.003, transfer_s=0.001),
                          policy=policy, max_running_requests=8))  # fmt: skip


@pytest.mark.parametrize("policy", ["prefill_first", "chunked_prefill"])
def test_prompts_past_the_first_table_grow_it(policy):
    # a large budget: iterations of up to 4 x 9,000 tokens, past the table's first 2,049
    # rows; the step model extends it from Python mid-run
    cost = ie.IterationCost("Llama-3.1-8B", "H100-SXM")
    trace = pd.DataFrame({"arrival_s": np.repeat([0.0, 1.0, 2.0], 4), "prompt_tokens": 9000,
                          "output_tokens": 20})  # fmt: skip
    fast, slow = both(workload=ie.trace_workload(trace), cost=cost, policy=policy,
                      max_batch_tokens=40_000)  # fmt: skip
    assert_same(fast, slow)
    assert len(cost.step_tables(0)["linear_max_s"]) > 36_000


def test_only_the_models_with_a_compiled_form_take_it(costs):
    from inferecon import batching_core

    assert batching_core.step_numbers(costs["dense"], 10) is not None
    assert batching_core.step_numbers(ie.ConstantService(1.0), 10) is not None
    # a sliding window bends the attention terms; a model of the user's own stays in Python
    assert batching_core.step_numbers(ie.IterationCost("Mistral-7B", "H100-SXM"), 10) is None

    class Mine(ie.ConstantService):
        def iteration_s(self, *args):
            return 2.0 * super().iteration_s(*args)

    assert batching_core.step_numbers(Mine(1.0), 10) is None
    wl = ie.poisson_workload(0.2, 50, 1, 1)
    a = ie.simulate_serving(workload=wl, cost=Mine(1.0), policy="prefill_first")
    b = ie.simulate_serving(workload=wl, cost=ie.ConstantService(1.0), policy="prefill_first")
    assert (a.requests["first_token_s"] - a.requests["arrival_s"]).min() == pytest.approx(2.0)
    assert (b.requests["first_token_s"] - b.requests["arrival_s"]).min() == pytest.approx(1.0)


@settings(max_examples=40, deadline=None)
@given(
    step_model=st.sampled_from(STEP_MODELS),
    prefill_tokens=st.integers(0, 4000),
    cached=st.integers(0, 4000),
    decode_sequences=st.integers(0, 256),
    context=st.integers(0, 500_000),
)
def test_the_compiled_step_model_equals_iteration_cost(
    costs, step_model, prefill_tokens, cached, decode_sequences, context
):
    from inferecon import batching_core as bc

    c = costs[step_model]
    context = context if decode_sequences else 0  # no decodes, no cached tokens read
    cached = cached if prefill_tokens else 0  # no chunk, no prefix read (as the loop calls it)
    step, linear_s = bc.step_numbers(c, prefill_tokens + decode_sequences)
    pairs = c.prefill_pairs(prefill_tokens, cached)
    assert bc._prefill_pairs(prefill_tokens, cached) == pairs
    got = bc._iteration_s(step, linear_s, float(prefill_tokens), pairs, float(cached),
                          float(decode_sequences), float(context))  # fmt: skip
    want = c.iteration_s(prefill_tokens, pairs, cached, decode_sequences, context)
    assert got == pytest.approx(want, rel=1e-13)
    if decode_sequences:
        form = bc._decode_form(step, linear_s, decode_sequences, context)
        assert form == pytest.approx(c.decode_form(decode_sequences, context), rel=1e-13)


def test_step_tables_are_the_linear_layers_and_grow_on_demand(costs):
    c = ie.IterationCost("Mixtral-8x7B", "H100-SXM", precision="fp8")
    small = c.step_tables(100)
    assert len(small["linear_max_s"]) == 101
    for x in (0, 1, 37, 100):
        ops = c._linear_ops(float(x), c._touched(float(x)))
        assert small["linear_max_s"][x] == sum(max(a, b) for a, b in ops)
        assert small["linear_compute_s"][x] == sum(a for a, _ in ops)
        assert small["linear_memory_s"][x] == sum(b for _, b in ops)
    assert len(ops) == 3  # the always-read weights, the routed experts and the routing kernels
    big = c.step_tables(3000)
    assert len(big["linear_max_s"]) == 3001
    np.testing.assert_array_equal(big["linear_max_s"][:101], small["linear_max_s"])
    assert c.step_tables(50) is big  # cached: no shorter table
    assert big["overhead_s"] == c.iteration_s(0, 0, 0, 0, 0)
    with pytest.raises(ValueError, match="max_tokens"):
        c.step_tables(-1)
    with pytest.raises(ValueError, match="max_tokens"):
        c.step_tables(2.5)


def test_a_read_only_installation_compiles_without_a_cache(monkeypatch):
    # numba refuses cache=True when no folder is writable ("no locator available"): the
    # loop then compiles in every process instead of failing to import
    import numba.core.config

    from inferecon import batching_core

    monkeypatch.setattr(numba.core.config, "CACHE_LOCATOR_CLASSES", "ZipCacheLocator")
    with pytest.raises(RuntimeError, match="no locator"):
        numba.njit(cache=True)(lambda x: x + 1)
    twice = batching_core._compiled(lambda x: 2 * x)
    assert twice(21) == 42 and twice._cache.__class__.__name__ == "NullCache"


def test_one_compiled_signature_serves_every_case(costs):
    # numba compiles the loop once per signature: columns that pandas hands over read-only,
    # trace and closed-loop workloads, every policy and step model must all take one
    from inferecon import batching_core

    trace = pd.DataFrame({"arrival_s": [0.0, 0.5], "prompt_tokens": [10.0, 20.0],
                          "output_tokens": [3, 4]})  # fmt: skip
    for wl in (ie.trace_workload(trace), ie.closed_loop_workload(2, 6, 30, 5),
               ie.poisson_workload(5.0, 6, 30, 5)):  # fmt: skip
        for policy in ("prefill_first", "chunked_prefill", "disaggregated"):
            if wl.kind != "closed" or policy != "disaggregated":
                for cost in (costs["moe"], ie.ConstantService(0.01)):
                    ie.simulate_serving(workload=wl, cost=cost, policy=policy)
    assert len(batching_core._serve.signatures) == 1
