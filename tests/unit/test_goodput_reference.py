"""The simulator against a plain loop: ``benchmarks/goodput_bench.py``'s ``plain_loop`` runs the
same scheduler one iteration per turn (no closed-form stretches, no skipped turns); for the
simulator's compiled loop and its Python loop alike, on small
random workloads (both policies it covers, tight KV caches that preempt, few running slots
that build queues) every request's admission, first token, finish, preemptions and largest
gap, and the time-averaged batch and number in the system, agree to 1e-9."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import inferecon as ie
from inferecon import continuous_batching as cb

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "goodput_bench.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("goodput_bench", BENCH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def cost():
    return ie.IterationCost("Llama-3.1-8B", "H100-SXM")


@settings(max_examples=12, deadline=None)
@given(
    policy=st.sampled_from(["chunked_prefill", "prefill_first"]),
    seed=st.integers(0, 10_000),
    rate_per_s=st.floats(2.0, 80.0),
    kv_capacity_tokens=st.sampled_from([12_000, 40_000, 400_000]),
    max_running_requests=st.sampled_from([4, 32, 256]),
    max_batch_tokens=st.sampled_from([512, 2048, 8192]),
    spread=st.floats(0.0, 2.0),
)
def test_the_simulator_equals_a_plain_loop_of_single_iterations(
    bench, cost, policy, seed, rate_per_s, kv_capacity_tokens, max_running_requests,
    max_batch_tokens, spread,
):  # fmt: skip
    wl = ie.poisson_workload(rate_per_s, 300, ie.lognormal_lengths(600, spread),
                             ie.lognormal_lengths(200, spread))  # fmt: skip
    df = wl.requests(seed)
    kw = dict(policy=policy, max_running_requests=max_running_requests,
              max_batch_tokens=max_batch_tokens)  # fmt: skip
    plain = bench.plain_loop(cost, df, kv_blocks=kv_capacity_tokens // ie.BLOCK_TOKENS, **kw)
    for compiled in (True, False):  # the compiled loop (the default) and the Python one
        cb._COMPILED = compiled
        try:
            sim = bench.simulated(df, cost=cost, kv_capacity_tokens=kv_capacity_tokens, **kw)
        finally:
            cb._COMPILED = True
        assert bench.agree(plain, sim) == []
        assert np.isfinite(sim["finish_s"]).sum() > 0


def test_the_comparison_sees_a_difference(bench, cost):
    # the check above can fail: one request's finish moved by 1e-6 relative is caught
    df = ie.poisson_workload(20.0, 200, 300, 100).requests(0)
    kw = dict(policy="chunked_prefill", max_running_requests=64, max_batch_tokens=2048)
    plain = bench.plain_loop(cost, df, kv_blocks=100_000 // ie.BLOCK_TOKENS, **kw)
    sim = bench.simulated(df, cost=cost, kv_capacity_tokens=100_000, **kw)
    assert bench.agree(plain, sim) == []
    sim["finish_s"] = sim["finish_s"].copy()
    sim["finish_s"][7] *= 1 + 1e-6
    assert bench.agree(plain, sim) == ["finish_s"]
