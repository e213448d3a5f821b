"""The continuous-batching simulator: queueing theory, conservation, properties, the iteration
cost against the static model, goodput, and bad input."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import inferecon as ie

LLAMA8B = "Llama-3.1-8B"


# --------------------------------------------------------------------------- plug-in costs


class PrefillTimes:
    """A plug-in cost: a prefill iteration takes ``per_token_s`` per prompt token plus
    ``fixed_s``; a decode iteration ``decode_s``. With one-token outputs and one request at a
    time, a request's service time is its prefill."""

    def __init__(self, per_token_s=0.0, fixed_s=0.0, decode_s=0.01):
        self.per_token_s, self.fixed_s, self.decode_s = per_token_s, fixed_s, decode_s

    def iteration_s(self, prefill_tokens, pairs, prefix, decode_sequences, decode_context):
        t = self.decode_s if decode_sequences else 0.0
        if prefill_tokens:
            t += self.fixed_s + self.per_token_s * prefill_tokens
        return t

    def decode_form(self, decode_sequences, decode_context):
        return (self.decode_s, 0.0, 0.0, 0.0, 0.0)

    def prefill_pairs(self, chunk, cached=0):
        return chunk * cached + chunk * (chunk + 1) / 2


def _single_server(workload, cost, seed=0):
    return ie.simulate_serving(
        LLAMA8B, "H100-SXM", workload, policy="prefill_first", max_batch=1, cost=cost,
        kv_capacity_tokens=10_000_000, seed=seed,
    )  # fmt: skip


# --------------------------------------------------------------------------- queueing theory


def test_md1_mean_wait_is_pollaczek_khinchine():
    # one request at a time, constant service s = 1 s, Poisson arrivals at rate 0.7/s:
    # M/D/1 mean wait in queue W = rho s / (2 (1 - rho)) = 0.7 / 0.6 = 1.1667 s
    # (Pollaczek-Khinchine; e.g. Kleinrock 1975, Queueing Systems vol. 1, Eq. 5.105)
    rho, s = 0.7, 1.0
    wl = ie.poisson_workload(rho / s, 200_000, prompt_tokens=1, output_tokens=1)
    r = _single_server(wl, PrefillTimes(fixed_s=s))
    req = r.requests
    wait = (req["first_token_s"] - req["arrival_s"] - s).mean()
    assert wait == pytest.approx(rho * s / (2 * (1 - rho)), rel=0.03)
    assert req["e2e_s"].min() >= s - 1e-9  # nobody is served faster than the service time


def test_mm1_mean_wait_with_exponential_service():
    # exponential service of mean 1 s (prompt tokens ~ Exp(1000), 1 ms per token), rate 0.6/s:
    # M/M/1 wait W = rho / (mu - lambda) = 0.6 / 0.4 = 1.5 s; and Pollaczek-Khinchine with the
    # sample's own second moment (the lengths are whole tokens), W = lambda E[S^2] / (2 (1-rho))
    rng = np.random.default_rng(7)
    n, lam = 200_000, 0.6
    tokens = np.maximum(1, np.ceil(rng.exponential(1000.0, n))).astype(int)
    arrival = np.cumsum(rng.exponential(1 / lam, n))
    trace = pd.DataFrame({"arrival_s": arrival, "prompt_tokens": tokens, "output_tokens": 1})
    r = _single_server(ie.trace_workload(trace), PrefillTimes(per_token_s=1e-3))
    req = r.requests
    service = req["prompt_tokens"] * 1e-3
    wait = (req["first_token_s"] - req["arrival_s"] - service).mean()
    es, es2 = service.mean(), (service**2).mean()
    pk = lam * es2 / (2 * (1 - lam * es))
    assert wait == pytest.approx(pk, rel=0.03)
    assert wait == pytest.approx(0.6 / (1.0 - 0.6), rel=0.05)


def _number_in_system(req: pd.DataFrame) -> float:
    """Time-average number of requests between arrival and finish, by an event sweep."""
    t = np.concatenate([req["arrival_s"], req["finish_s"]])
    step = np.concatenate([np.ones(len(req)), -np.ones(len(req))])
    order = np.argsort(t, kind="stable")
    t, n = t[order], np.cumsum(step[order])
    return float(np.sum(n[:-1] * np.diff(t)) / (t[-1] - t[0]))


@pytest.mark.parametrize("policy", ["prefill_first", "chunked_prefill", "disaggregated"])
def test_littles_law_and_nothing_is_lost(policy):
    wl = ie.poisson_workload(
        12.0, 3000, ie.lognormal_lengths(600, 1.0), ie.lognormal_lengths(200, 1.0)
    )
    r = ie.simulate_serving(LLAMA8B, "H100-SXM", wl, policy=policy, seed=3)
    req = r.requests
    done = np.isfinite(req["finish_s"])
    # nothing is lost: every request completes or is rejected, and every token is produced
    assert done.sum() + req["rejected"].sum() == len(req) == 3000
    assert not req["rejected"].any()
    assert r.summary["completed"] == 3000 and not r.summary["truncated"]
    # Little's law: mean number in system = arrival rate x mean time in system
    span = req["finish_s"].max() - req["arrival_s"].min()
    lam = len(req) / span
    assert _number_in_system(req) == pytest.approx(lam * req["e2e_s"].mean(), rel=1e-9)
    # the simulator's own time series of batch + queue agrees with the request table to 2%
    # (it counts a new arrival from the next iteration boundary, not from its arrival instant)
    tl = r.timeline.dropna()
    dt = np.diff(np.append(tl["time_s"].to_numpy(), 2 * tl["time_s"].iloc[-1] -
                           tl["time_s"].iloc[-2]))  # fmt: skip
    series = float(np.sum((tl["batch"] + tl["queue"]) * dt) / span)
    assert series == pytest.approx(lam * req["e2e_s"].mean(), rel=0.02)


def test_deterministic_for_a_seed():
    wl = ie.poisson_workload(20.0, 500, ie.lognormal_lengths(400, 1.5), ie.lognormal_lengths(100))
    a = ie.simulate_serving(LLAMA8B, "H200-SXM", wl, seed=11)
    b = ie.simulate_serving(LLAMA8B, "H200-SXM", wl, seed=11)
    c = ie.simulate_serving(LLAMA8B, "H200-SXM", wl, seed=12)
    pd.testing.assert_frame_equal(a.requests, b.requests)
    assert not a.requests["arrival_s"].equals(c.requests["arrival_s"])


# --------------------------------------------------------------------------- properties


@settings(max_examples=25, deadline=None)
@given(
    rate=st.floats(0.5, 200.0),
    n=st.integers(1, 60),
    prompt=st.integers(1, 3000),
    output=st.integers(1, 400),
    cv=st.floats(0.0, 2.0),
    policy=st.sampled_from(["prefill_first", "chunked_prefill", "disaggregated"]),
    max_batch=st.integers(1, 32),
    budget=st.integers(64, 4096),
    kv_tokens=st.integers(4000, 40_000),
    seed=st.integers(0, 10),
)
def test_random_small_workloads_keep_every_invariant(
    rate, n, prompt, output, cv, policy, max_batch, budget, kv_tokens, seed
):
    wl = ie.poisson_workload(
        rate, n, ie.lognormal_lengths(prompt, cv), ie.lognormal_lengths(output, cv)
    )
    r = ie.simulate_serving(
        LLAMA8B, "H100-SXM", wl, policy=policy, max_batch=max_batch, max_batch_tokens=budget,
        kv_capacity_tokens=kv_tokens, seed=seed, ttft_ms=200.0, tpot_ms=50.0,
    )  # fmt: skip
    req = r.requests
    done = np.isfinite(req["finish_s"]).to_numpy()
    rej = req["rejected"].to_numpy()
    assert (done | rej).all() and not (done & rej).any()  # nothing lost, nothing twice
    # a request is rejected only if its prompt and output could never fit the cache
    need = np.ceil((req["prompt_tokens"] + req["output_tokens"] - 1) / ie.BLOCK_TOKENS)
    assert (rej == (need > kv_tokens // ie.BLOCK_TOKENS)).all()
    d = req[done]
    assert (d["first_token_s"] >= d["arrival_s"]).all()
    assert (d["finish_s"] >= d["first_token_s"]).all()
    assert (d["ttft_ms"] <= d["e2e_s"] * 1e3 + 1e-9).all()
    assert (d["admitted_s"] >= d["arrival_s"]).all()
    tl = r.timeline.dropna()
    per_instance = 1 if policy != "disaggregated" else 2
    assert (tl["batch"] <= max_batch * per_instance + 1e-9).all()
    assert (tl["kv_used"] <= 1.0 + 1e-12).all()
    s = r.summary
    assert 0.0 <= s["slo_attainment"] <= 1.0
    assert s["completed"] + len(s["rejected_ids"]) == n


def test_preemption_frees_the_cache_and_recomputes():
    # a cache of 4,096 tokens, prompts of 500 and outputs of 1,000: the batch outgrows it
    wl = ie.poisson_workload(50.0, 200, 500, 1000)
    r = ie.simulate_serving(LLAMA8B, "H100-SXM", wl, kv_capacity_tokens=4096, max_batch=64)
    req = r.requests
    assert r.summary["preemptions"] > 0
    assert np.isfinite(req["finish_s"]).all()  # every preempted request is recomputed
    assert r.summary["completed"] == 200
    # a preempted request's largest gap between tokens spans its wait to be recomputed
    pre = req[req["preemptions"] > 0]
    assert (pre["max_gap_ms"] > req[req["preemptions"] == 0]["max_gap_ms"].median()).all()


def test_a_request_longer_than_the_whole_cache_is_rejected_by_id():
    trace = pd.DataFrame(
        {"arrival_s": [0.0, 0.1, 0.2], "prompt_tokens": [100, 9000, 100], "output_tokens": 10}
    )
    r = ie.simulate_serving(LLAMA8B, "H100-SXM", ie.trace_workload(trace), kv_capacity_tokens=4096)
    assert r.summary["rejected_ids"] == [1]
    assert r.requests["rejected"].tolist() == [False, True, False]
    assert r.summary["completed"] == 2


def test_bounded_simulated_time_says_so():
    wl = ie.poisson_workload(500.0, 5000, 2000, 500)  # far above capacity
    r = ie.simulate_serving(LLAMA8B, "H100-SXM", wl, max_time_s=2.0)
    assert r.summary["truncated"] and r.summary["completed"] < 5000


def test_closed_loop_keeps_the_concurrency():
    wl = ie.closed_loop_workload(16, 400, 256, 128)
    r = ie.simulate_serving(LLAMA8B, "H100-SXM", wl)
    req = r.requests
    assert r.summary["completed"] == 400
    # at every moment at most 16 requests are in the system, and the first 16 arrive at 0
    assert (req["arrival_s"].iloc[:16] == 0).all()
    t = np.concatenate([req["arrival_s"], req["finish_s"]])
    step = np.concatenate([np.ones(400), -np.ones(400)])
    order = np.lexsort((step, t))  # finishes before arrivals at the same instant
    assert np.cumsum(step[order]).max() == 16


# --------------------------------------------------------------------------- the step costs


@pytest.mark.parametrize(
    ("model", "gpu", "precision", "n_gpus"),
    [
        (LLAMA8B, "H200-SXM", "bf16", 1),
        ("Llama-3.1-70B", "H100-SXM", "fp8", 4),
        ("DeepSeek-V3", "H200-SXM", "fp8", 8),
        ("Mixtral-8x7B", "A100-80GB-SXM", "bf16", 2),
        ("gpt-oss-120b", "B200-HGX", "fp4", 1),
        ("Mistral-7B", "L40S", "bf16", 1),
    ],
)
@pytest.mark.parametrize("efficiency", [None, 1.0])
def test_iteration_cost_equals_the_static_model_in_its_pure_cases(
    model, gpu, precision, n_gpus, efficiency
):
    c = ie.IterationCost(model, gpu, precision, efficiency, n_gpus=n_gpus)
    for b in (1, 7, 64, 300):
        for ctx in (1, 100, 4096, 20_000):
            d = ie.decode_performance(model, gpu, b, ctx, precision, efficiency,
                                      n_gpus=n_gpus, check_memory=False).iloc[0]  # fmt: skip
            t, joules = c.iteration(decode_sequences=b, decode_context=b * ctx)
            assert t * 1e3 == pytest.approx(d["step_ms"], rel=1e-9)
            assert joules == pytest.approx(d["joules_per_token"] * b, rel=1e-9)
            k, a1, b1, a2, b2 = c.decode_form(b, b * ctx)
            assert (k + max(a1, a2)) * 1e3 == pytest.approx(d["step_ms"], rel=1e-9)
            p = ie.prefill_performance(model, gpu, ctx, b, precision, efficiency,
                                       n_gpus=n_gpus).iloc[0]  # fmt: skip
            t, joules = c.iteration(prefill_tokens=b * ctx, prefill_pairs=b * c.prefill_pairs(ctx))
            assert t * 1e3 == pytest.approx(p["step_ms"], rel=1e-9)
            assert joules == pytest.approx(p["joules_per_token"] * b * ctx, rel=1e-9)


def test_decode_form_advances_a_stretch_exactly():
    # k decode iterations of a fixed batch: the closed form equals the sum of single steps
    from inferecon.goodput_sim import _iterations_to_reach, _span_sum

    c = ie.IterationCost(LLAMA8B, "H100-SXM")
    for d, s0, k in ((1, 4000, 300), (40, 40 * 30, 2000), (200, 200 * 3000, 50)):
        form = c.decode_form(d, s0)
        steps = [c.iteration_s(0, 0, 0, d, s0 + j * d) for j in range(k)]
        assert _span_sum(form, k) == pytest.approx(sum(steps), rel=1e-12)
        horizon = sum(steps[: k // 2]) - 1e-9
        assert _iterations_to_reach(form, horizon, k) == k // 2


def test_chunked_prefill_shortens_the_longest_gap_between_tokens():
    # prefill-first pauses every running decode for each new prompt; chunked prefill spreads
    # long prompts over iterations (Sarathi-Serve's point): the p99 of the largest gap falls
    wl = ie.poisson_workload(6.0, 1500, 4000, 200)
    kw = dict(max_batch_tokens=512, seed=1)
    first = ie.simulate_serving(LLAMA8B, "H100-SXM", wl, policy="prefill_first", **kw)
    chunk = ie.simulate_serving(LLAMA8B, "H100-SXM", wl, policy="chunked_prefill", **kw)
    p99 = {n: r.requests["max_gap_ms"].quantile(0.99) for n, r in
           (("first", first), ("chunked", chunk))}  # fmt: skip
    assert p99["chunked"] < 0.5 * p99["first"]


def test_disaggregated_counts_every_gpu_and_moves_the_kv_cache():
    wl = ie.poisson_workload(8.0, 600, 1000, 150)
    r = ie.simulate_serving(LLAMA8B, "H100-SXM", wl, policy="disaggregated",
                            prefill_instances=2, decode_instances=1)  # fmt: skip
    assert r.summary["n_gpus"] == 3
    req = r.requests
    # the second token cannot come before the KV cache (1,000 tokens x 128 KiB) has moved
    # over NVLink at 450 GB/s: 0.29 ms
    transfer_s = 1000 * ie.kv_bytes_per_token(LLAMA8B) / 450e9
    second = req["first_token_s"] + req["tpot_ms"] / 1e3
    assert (second - req["first_token_s"] >= transfer_s).all()


# --------------------------------------------------------------------------- goodput


def test_goodput_search_brackets_the_target():
    g = ie.goodput(LLAMA8B, "H100-SXM", ttft_ms=300.0, tpot_ms=40.0, prompt_tokens=512,
                   output_tokens=128, n_requests=800, rel_tol=0.02)  # fmt: skip
    lo, hi = g["bracket"]
    assert lo < hi and (hi - lo) / hi <= 0.02
    assert g["goodput_rps"] == lo and g["attainment_at_goodput"] >= 0.9
    above = ie.simulate_serving(LLAMA8B, "H100-SXM", ie.poisson_workload(hi, 800, 512, 128),
                                ttft_ms=300.0, tpot_ms=40.0)  # fmt: skip
    assert above.summary["slo_attainment"] < 0.9
    assert g["goodput_rps_per_gpu"] == pytest.approx(lo / g["n_gpus"])
    # vLLM's definition at the goodput rate: requests per second meeting both targets
    s = g["result"].summary
    assert s["goodput_rps_vllm"] == pytest.approx(
        s["slo_attainment"] * s["n_requests"] / s["duration_s"]
    )


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: ie.poisson_workload(0.0), r"rate_per_s must be finite and > 0"),
        (lambda: ie.poisson_workload(-1.0), r"rate_per_s"),
        (lambda: ie.poisson_workload(1.0, 0), r"n_requests must be in \[1, 1e\+07\]"),
        (lambda: ie.poisson_workload(1.0, 10, 0), r"prompt_tokens must be in \[1"),
        (lambda: ie.poisson_workload(1.0, 10, 10, -5), r"output_tokens must be in \[1"),
        (lambda: ie.poisson_workload(1.0, burstiness=0), r"burstiness must be in \(0, 100\]"),
        (lambda: ie.closed_loop_workload(0), r"concurrency must be in \[1"),
        (lambda: ie.lognormal_lengths(0.5), r"mean_tokens must be in \[1"),
        (lambda: ie.lognormal_lengths(100, -1), r"cv must be in \[0, 10\]"),
    ],
)
def test_bad_workloads_name_the_parameter(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_bad_simulation_arguments_name_the_parameter():
    wl = ie.poisson_workload(1.0, 10)
    with pytest.raises(ValueError, match=r"policy must be one of \['prefill_first', "
                       r"'chunked_prefill', 'disaggregated'\]; got 'fifo'"):  # fmt: skip
        ie.simulate_serving(LLAMA8B, "H100-SXM", wl, policy="fifo")
    for kw, match in (
        (dict(max_batch=0), r"max_batch must be in \[1"),
        (dict(max_batch_tokens=-1), r"max_batch_tokens"),
        (dict(prefill_instances=0, policy="disaggregated"), r"prefill_instances"),
        (dict(decode_instances=1.5, policy="disaggregated"), r"whole number"),
        (dict(ttft_ms=0, tpot_ms=10), r"ttft_ms must be finite and > 0"),
        (dict(ttft_ms=10, tpot_ms=-1), r"tpot_ms"),
    ):
        with pytest.raises(ValueError, match=match):
            ie.simulate_serving(LLAMA8B, "H100-SXM", wl, **kw)
    with pytest.raises(ValueError, match="weights leave no room"):
        ie.simulate_serving("Llama-3.1-405B", "H100-SXM", wl)
    with pytest.raises(ValueError, match="disaggregated policy needs an open-loop"):
        ie.simulate_serving(LLAMA8B, "H100-SXM", ie.closed_loop_workload(4, 10),
                            policy="disaggregated")  # fmt: skip
    with pytest.raises(ValueError, match="attainment must be in"):
        ie.goodput(LLAMA8B, "H100-SXM", ttft_ms=100, tpot_ms=10, attainment=0)


def test_a_bad_trace_lists_every_problem(tmp_path):
    p = tmp_path / "trace.csv"
    p.write_text("arrival_s,prompt_tokens\n0.0,10\n-1,5\n0.5,0\n0.2,3.5\n")
    with pytest.raises(ie.DataValidationError) as info:
        ie.trace_workload(p)
    msg = str(info.value)
    assert "output_tokens" in msg and "required column is missing" in msg
    assert "line 3, column 'arrival_s'" in msg  # negative
    assert "line 4, column 'prompt_tokens'" in msg  # zero
    assert "line 5, column 'prompt_tokens': not an integer" in msg
    with pytest.raises(ie.DataValidationError, match="sort by arrival"):
        ie.trace_workload(pd.DataFrame({"arrival_s": [0, 2, 1], "prompt_tokens": [1, 1, 1],
                                        "output_tokens": [1, 1, 1]}))  # fmt: skip
    with pytest.raises(FileNotFoundError):
        ie.trace_workload(tmp_path / "missing.csv")


def test_lengths_and_workload_draws():
    rng = np.random.default_rng(0)
    x = ie.lognormal_lengths(800, 0.5).sample(200_000, rng)
    assert x.mean() == pytest.approx(800, rel=0.01)
    assert x.std() / x.mean() == pytest.approx(0.5, rel=0.02)
    assert (ie.fixed_lengths(7).sample(5, rng) == 7).all()
    assert set(ie.resampled_lengths([3, 5]).sample(100, rng)) <= {3, 5}
    wl = ie.poisson_workload(4.0, 100_000, burstiness=0.5)
    gaps = np.diff(wl.requests(0)["arrival_s"])
    assert gaps.mean() == pytest.approx(0.25, rel=0.02)  # the rate holds whatever the shape
    assert gaps.std() / gaps.mean() == pytest.approx(math.sqrt(1 / 0.5), rel=0.03)  # gamma cv


def test_no_published_engine_sweep_beats_the_simulated_ceiling():
    # data/published_serving_sweeps.csv: each load level replayed at efficiency 1 (no losses,
    # no overhead, everything overlapped). Where the load is a number of concurrent requests
    # or a static batch, the measured throughput cannot exceed the ceiling's; wherever a
    # source gives TPOT or TTFT, the measured time cannot be shorter than the ceiling's.
    sweeps = ie.load_published_serving_sweeps()
    c = ie.compare_published_sweeps(sweeps)
    done = c[c["note"] == ""]
    assert len(done) >= 60 and done["ceiling_tokens_per_s"].notna().all()
    bounded = done["load_mode"].isin(["closed_loop", "static_batch"])
    assert bounded.sum() >= 40
    over = done.loc[bounded, "measured_tokens_per_s"] / done.loc[bounded, "ceiling_tokens_per_s"]
    assert (over < 1.0).all(), done.loc[bounded][over >= 1.0]
    # latency has a physical floor whatever the scheduler: a first token needs at least the
    # prompt's prefill at the ceiling, a later one at least a batch-1 decode step there
    for m in ("ttft_ms", "tpot_ms"):
        both = done[[f"measured_{m}", f"floor_{m}"]].dropna()
        assert (both[f"measured_{m}"] > both[f"floor_{m}"]).all(), m
    checked = int(done["measured_ttft_ms"].notna().sum() + done["measured_tpot_ms"].notna().sum())
    assert checked >= 20
    # and the calibrated model lands within a factor of three of every measured throughput
    # (the engines differ: fused kernels, FP8 attention, expert parallelism)
    ratio = done["measured_tokens_per_s"] / done["model_tokens_per_s"]
    assert ratio.between(1 / 3, 3).all(), ratio.describe()


def test_queueing_check_agrees_with_the_formulas():
    q = ie.queueing_check(rho=0.5, service_s=0.2, n_requests=40_000, seed=2)
    # M/D/1: W = rho s / (2 (1 - rho)) = 0.5 x 0.2 / 1.0 = 0.1 s
    assert q["mean_wait_s_theory"] == pytest.approx(0.1)
    assert q["mean_wait_s"] == pytest.approx(0.1, rel=0.04)
    assert q["number_in_system"] == pytest.approx(q["littles_law"], rel=1e-9)
    with pytest.raises(ValueError, match=r"rho must be in \(0, 1\)"):
        ie.queueing_check(rho=1.0)


@settings(max_examples=60, deadline=None)
@given(
    model=st.sampled_from([LLAMA8B, "Llama-3.1-70B", "Mixtral-8x7B", "Mistral-7B"]),
    n_gpus=st.sampled_from([1, 2, 4]),
    efficiency=st.sampled_from([None, 1.0, 0.5]),
    p=st.floats(0, 8192),
    pairs=st.floats(0, 1e7),
    prefix=st.floats(0, 1e5),
    d=st.integers(0, 512),
    ctx=st.floats(0, 1e6),
)
def test_the_simulators_fast_iteration_time_equals_the_full_one(
    model, n_gpus, efficiency, p, pairs, prefix, d, ctx
):
    # iteration_s (the hot path, no energy) and iteration() share one cost model
    c = ie.IterationCost(model, "H100-SXM", "fp8", efficiency, n_gpus=n_gpus)
    assert c.iteration_s(p, pairs, prefix, d, ctx) == pytest.approx(
        c.iteration(p, pairs, prefix, d, ctx)[0], rel=1e-12, abs=1e-15
    )


def test_the_module_and_the_function_have_different_names():
    # `ie.goodput` is the function; its module is importable by its own name, and every name
    # the docs use is exported
    import importlib
    import types

    mod = importlib.import_module("inferecon.goodput_sim")
    assert isinstance(mod, types.ModuleType) and callable(ie.goodput)
    assert ie.goodput is mod.goodput and ie.ConstantService is mod.ConstantService
    for topic in ie._TOPIC_NAMES:  # no topic module shares a name with an exported object
        assert topic not in ie.__all__, topic
