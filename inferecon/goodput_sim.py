"""Goodput under load: a continuous-batching serving simulator on the calibrated step model.

Real servers (vLLM, SGLang, TensorRT-LLM) batch *continuously*: requests arrive at random,
join the running batch between iterations and leave when done, so the latency a user sees
depends on the load. :func:`simulate_serving` replays a workload through such a server, one
scheduler iteration at a time, each costed by :class:`inferecon.IterationCost` (the same
calibrated roofline as notebook 02), and reports every request's time to first token (TTFT),
time per output token (TPOT), largest gap between two tokens and end-to-end latency.

Throughput counts every token; **goodput** counts only requests that still get the latency
they were promised. Two definitions are in use and both are reported, never mixed up:

* **DistServe's goodput** (Zhong et al. 2024, "DistServe", OSDI '24, arXiv:2401.09670, Sec. 2):
  the highest *arrival rate* at which at least a given share (90% by default) of requests meet
  both a TTFT and a TPOT target, divided by the GPUs used (prefill and decode pools included).
  :func:`goodput` finds it by a bracketing search.
* **vLLM's** ``--goodput`` (``vllm bench serve``): at the offered rate, the requests per second
  that meet every target. :class:`ServingResult` reports it as ``goodput_rps_vllm``.

The server (per instance of ``tensor_parallel`` GPUs, one tensor-parallel replica):

* **KV cache** in paged blocks of 16 tokens (vLLM's default block size), its capacity from the
  same memory model as :func:`inferecon.max_batch`. A request's prompt blocks are reserved when
  it is admitted; a decoding request takes a new block every 16 tokens. When the cache is full
  the newest running request is **preempted** and later recomputed from its prompt and the
  tokens it had generated (vLLM's default, recompute), and preemptions are counted. A request
  whose prompt and output could never fit in the whole cache is rejected and reported by id.
* **Policies**, named after what they imitate:

  - ``"prefill_first"``: new prompts run as soon as they fit, in iterations of their own that
    pause every running decode (vLLM's original scheduler);
  - ``"chunked_prefill"``: every iteration decodes one token for each running request and fills
    the rest of a ``max_batch_tokens`` budget with chunks of waiting prompts (Sarathi-Serve,
    Agrawal et al. 2024, arXiv:2403.02310; vLLM's current default);
  - ``"disaggregated"``: prompts run on a pool of prefill instances, their KV cache moves over
    the GPUs' interconnect (``gpus.csv``) to a pool of decode instances (DistServe; Splitwise,
    Patel et al. 2024, arXiv:2311.18677).

Speed: between two events (an arrival that can be admitted, a request finishing, a cache
block running out) a decode-only batch does not change and each iteration's time grows
linearly with the cached tokens (:meth:`inferecon.IterationCost.decode_form`), so whole
stretches of iterations are advanced in closed form instead of one loop turn per token
(split where a sliding window bends the line, so the stretch equals per-iteration stepping).

Your own step times: every policy takes any object with the methods of
:class:`StepTimeModel` in place of :class:`inferecon.IterationCost` (``simulate_serving(cost=
...)``), for example a table of step times measured on your own engine, as DistServe's and
Vidur's simulators take profiled latencies. The queueing-theory checks plug in constant and
exponential service times (:class:`ConstantService`) and run the same code path.
"""

from __future__ import annotations

import heapq
import math
import time as _time
import warnings
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np
import pandas as pd

from ._validate import plain, renamed_parameters, require_in_range, require_positive
from .datasets import load_published_serving_sweeps, load_request_lengths, load_request_trace
from .serving import (
    DEFAULT_MEMORY_FRACTION,
    IterationCost,
    decode_performance,
    prefill_performance,
    serving_performance,
)
from .specs import get_gpu, get_model

__all__ = [
    "BLOCK_TOKENS",
    "ConstantService",
    "DISTSERVE_SLOS",
    "capacity_estimate_rps",
    "CHUNKED_PREFILL_BATCH_TOKENS",
    "DEFAULT_MAX_RUNNING_REQUESTS",
    "POLICIES",
    "PREFILL_FIRST_MIN_BATCH_TOKENS",
    "RATE_GRID_CAPACITY_SHARES",
    "SHAREGPT_STAND_IN",
    "rate_grid_per_gpu",
    "LengthDistribution",
    "LoadSweep",
    "ServingResult",
    "Workload",
    "closed_loop_workload",
    "compare_published_sweeps",
    "fixed_lengths",
    "goodput",
    "load_sweep",
    "lognormal_lengths",
    "poisson_workload",
    "queueing_check",
    "resampled_lengths",
    "simulate_serving",
    "slo_attainment",
    "StepTimeModel",
    "trace_workload",
]

BLOCK_TOKENS = 16
"""Tokens per KV-cache block (vLLM's default ``--block-size``)."""

POLICIES = ("prefill_first", "chunked_prefill", "disaggregated")
"""Scheduling policies of :func:`simulate_serving`."""

DEFAULT_MAX_RUNNING_REQUESTS = 256
"""Most requests running at once per instance: vLLM's ``--max-num-seqs`` default, 256 (vLLM
v0.6 ``EngineArgs.max_num_seqs``). :func:`simulate_serving` and :func:`capacity_estimate_rps`
both use it."""

CHUNKED_PREFILL_BATCH_TOKENS = 2048
"""Tokens per chunked-prefill iteration: vLLM's ``--max-num-batched-tokens`` with chunked
prefill, ``_DEFAULT_MAX_NUM_BATCHED_TOKENS = 2048`` (vLLM v0.7/v0.8 ``SchedulerConfig``
defaults; v0.6 used 512 there): in ``SchedulerConfig.__post_init__`` (``vllm/config.py``,
read 2026-12-06) chunked prefill with single-step scheduling takes
``DEFAULT_MAX_NUM_BATCHED_TOKENS`` (2048, ``vllm/utils``)."""

PREFILL_FIRST_MIN_BATCH_TOKENS = 2048
"""vLLM's scheduler without chunked prefill takes ``max_num_batched_tokens = max(max_model_len,
2048)`` prompt tokens per iteration (``SchedulerConfig.__post_init__`` in ``vllm/config.py``,
read 2026-12-06: without chunked prefill ``max_num_batched_tokens = max(max_model_len,
DEFAULT_MAX_NUM_BATCHED_TOKENS)``), so a whole prompt always fits in one prefill iteration:
prefill-first (and both pools of the disaggregated policy) default to
``max(context_length, 2048)``."""

SHAREGPT_STAND_IN = "conversation"
"""Published sweeps on ShareGPT state only the mean lengths; their replays resample this trace
of ``data/request_lengths.csv`` (Azure LLM inference trace 2023, conversation; Patel et al.
2024, Splitwise) scaled to those means, a real shape in place of an unsourced lognormal spread.
"""

RATE_GRID_CAPACITY_SHARES = (0.05, 1.3)
"""The default grid of arrival rates (:func:`rate_grid_per_gpu`, used by :func:`load_sweep`
and notebook 03's goodput explorer) spans these shares of :func:`capacity_estimate_rps`: from
light load to 30% past the static-batching capacity, where queues grow without bound and
attainment falls to zero (a choice of range, not a published value)."""

DISTSERVE_SLOS: dict[str, dict[str, float]] = {
    "chatbot (OPT-13B)": {"ttft_ms": 250.0, "tpot_ms": 100.0},
    "chatbot (OPT-66B)": {"ttft_ms": 2500.0, "tpot_ms": 150.0},
    "chatbot (OPT-175B)": {"ttft_ms": 4000.0, "tpot_ms": 200.0},
    "code completion (OPT-66B)": {"ttft_ms": 125.0, "tpot_ms": 200.0},
    "summarization (OPT-66B)": {"ttft_ms": 15000.0, "tpot_ms": 150.0},
}
"""SLO targets of DistServe's workloads (Zhong et al. 2024, OSDI '24, Table 1): chatbot on
ShareGPT, code completion on HumanEval, summarization on LongBench."""


# --------------------------------------------------------------------------- lengths


@dataclass(frozen=True)
class LengthDistribution:
    """Token lengths of prompts or outputs: fixed, lognormal, or resampled from observed values.

    Build one with :func:`fixed_lengths`, :func:`lognormal_lengths` or
    :func:`resampled_lengths`; :meth:`sample` draws whole-token lengths of at least 1.
    """

    kind: str
    mean: float = math.nan
    cv: float = 0.0
    values: tuple[int, ...] = ()
    max_tokens: int = 1_000_000

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` lengths (int64, each in [1, max_tokens])."""
        if self.kind == "fixed":
            out = np.full(n, self.mean)
        elif self.kind == "lognormal":
            sigma2 = math.log1p(self.cv**2)
            mu = math.log(self.mean) - sigma2 / 2
            out = rng.lognormal(mu, math.sqrt(sigma2), n)
        else:
            out = rng.choice(np.asarray(self.values, dtype=float), size=n)
        return np.clip(np.rint(out), 1, self.max_tokens).astype(np.int64)

    def describe(self) -> str:
        """A one-line description (for figure captions and summaries)."""
        if self.kind == "fixed":
            return f"{self.mean:,.0f}"
        if self.kind == "lognormal":
            return f"lognormal, mean {self.mean:,.0f}, cv {self.cv:.2f}"
        return f"resampled from {len(self.values):,} observed lengths"


def fixed_lengths(tokens: int) -> LengthDistribution:
    """Every request has the same length.

    Parameters
    ----------
    tokens : int
        The length (tokens), >= 1.

    Returns
    -------
    LengthDistribution
    """
    t = require_in_range("tokens", tokens, 1, 10_000_000)
    return LengthDistribution("fixed", mean=float(round(t)))


def lognormal_lengths(mean_tokens: float, cv: float = 1.0, max_tokens: int = 131_072):
    """Lognormal lengths with the given mean and coefficient of variation (std / mean).

    Parameters
    ----------
    mean_tokens : float
        Mean length (tokens), >= 1.
    cv : float
        Spread: standard deviation over mean, in [0, 10] (0 is fixed).
    max_tokens : int
        Lengths are clipped to [1, max_tokens].

    Returns
    -------
    LengthDistribution
    """
    require_in_range("mean_tokens", mean_tokens, 1.0, 10_000_000)
    require_in_range("cv", cv, 0.0, 10.0)
    require_in_range("max_tokens", max_tokens, 1, 10_000_000)
    if cv == 0:
        return LengthDistribution("fixed", mean=float(round(mean_tokens)), max_tokens=max_tokens)
    return LengthDistribution("lognormal", mean=float(mean_tokens), cv=float(cv),
                              max_tokens=int(max_tokens))  # fmt: skip


def resampled_lengths(values) -> LengthDistribution:
    """Lengths drawn with replacement from observed ones (e.g. a trace's column).

    Parameters
    ----------
    values : array-like of int
        Observed lengths (tokens), each >= 1.

    Returns
    -------
    LengthDistribution
    """
    v = np.asarray(values, dtype=float).ravel()
    if not len(v):
        raise ValueError("values must hold at least one observed length")
    require_positive("values", v)
    return LengthDistribution("empirical", values=tuple(int(x) for x in np.rint(v)))


# --------------------------------------------------------------------------- workloads


@dataclass(frozen=True)
class Workload:
    """Who sends what, when: open-loop arrivals, a closed loop of users, or a trace.

    Build one with :func:`poisson_workload`, :func:`closed_loop_workload` or
    :func:`trace_workload`.
    """

    kind: str
    n_requests: int
    prompt: LengthDistribution | None = None
    output: LengthDistribution | None = None
    rate_per_s: float = math.nan
    burstiness: float = 1.0
    concurrency: int = 0
    think_time_s: float = 0.0
    trace: pd.DataFrame | None = field(default=None, repr=False, compare=False)

    def requests(self, seed: int) -> pd.DataFrame:
        """Arrival times (s; NaN for a closed loop, where they follow the finishes), prompt and
        output tokens, one row per request, drawn with ``seed``."""
        if self.kind == "trace":
            t = self.trace
            return pd.DataFrame({"arrival_s": t["arrival_s"].to_numpy(float) - float(
                t["arrival_s"].min()), "prompt_tokens": t["prompt_tokens"].to_numpy(np.int64),
                "output_tokens": t["output_tokens"].to_numpy(np.int64)})  # fmt: skip
        rng = np.random.default_rng(seed)
        u = rng.standard_gamma(self.burstiness, self.n_requests) if self.kind == "open" else None
        prompt = self.prompt.sample(self.n_requests, rng)
        output = self.output.sample(self.n_requests, rng)
        if self.kind == "open":
            gaps = u / (self.rate_per_s * self.burstiness)
            arrival = np.cumsum(gaps) - gaps[0]
        else:
            arrival = np.full(self.n_requests, np.nan)
        return pd.DataFrame({"arrival_s": arrival, "prompt_tokens": prompt,
                             "output_tokens": output})  # fmt: skip

    def at_rate(self, rate_per_s: float) -> Workload:
        """The same open-loop workload at another arrival rate (same random draws)."""
        if self.kind != "open":
            raise ValueError(f"only an open-loop workload has a rate; this one is {self.kind}")
        require_positive("rate_per_s", rate_per_s)
        return Workload(**{**self.__dict__, "rate_per_s": float(rate_per_s)})


def _check_n(n_requests):
    n = require_in_range("n_requests", n_requests, 1, 10_000_000)
    if n != round(n):
        raise ValueError(f"n_requests must be a whole number; got {plain(n_requests)!r}")
    return int(n)


def poisson_workload(
    rate_per_s: float,
    n_requests: int = 10_000,
    prompt_tokens: int | LengthDistribution = 512,
    output_tokens: int | LengthDistribution = 256,
    burstiness: float = 1.0,
) -> Workload:
    """Open-loop arrivals at ``rate_per_s``: Poisson, or gamma-distributed gaps.

    Inter-arrival times are gamma with shape ``burstiness`` and mean ``1 / rate_per_s``, as
    ``vllm bench serve --burstiness``: 1 is a Poisson process, below 1 burstier, above 1 more
    regular.

    Parameters
    ----------
    rate_per_s : float
        Mean arrival rate (requests per second), > 0.
    n_requests : int
        Requests to send.
    prompt_tokens, output_tokens : int or LengthDistribution
        Lengths (an int means fixed).
    burstiness : float
        Gamma shape of the inter-arrival times, in (0, 100].

    Returns
    -------
    Workload
    """
    require_positive("rate_per_s", rate_per_s)
    require_in_range("burstiness", burstiness, 0.0, 100.0, low_open=True)
    return Workload("open", _check_n(n_requests), _lengths(prompt_tokens, "prompt_tokens"),
                    _lengths(output_tokens, "output_tokens"), rate_per_s=float(rate_per_s),
                    burstiness=float(burstiness))  # fmt: skip


def closed_loop_workload(
    concurrency: int,
    n_requests: int = 10_000,
    prompt_tokens: int | LengthDistribution = 512,
    output_tokens: int | LengthDistribution = 256,
    think_time_s: float = 0.0,
) -> Workload:
    """``concurrency`` users, each sending its next request when the last one finishes.

    How ``vllm bench serve --max-concurrency``, NVIDIA genai-perf and most published engine
    tables measure: the load is a number of concurrent requests, not a rate.

    Parameters
    ----------
    concurrency : int
        Concurrent users (>= 1).
    n_requests : int
        Requests sent in all.
    prompt_tokens, output_tokens : int or LengthDistribution
        Lengths (an int means fixed).
    think_time_s : float
        Pause between a response and the user's next request (s), >= 0.

    Returns
    -------
    Workload
    """
    c = require_in_range("concurrency", concurrency, 1, 1_000_000)
    if c != round(c):
        raise ValueError(f"concurrency must be a whole number; got {plain(concurrency)!r}")
    require_in_range("think_time_s", think_time_s, 0.0, 1e6)
    return Workload("closed", _check_n(n_requests), _lengths(prompt_tokens, "prompt_tokens"),
                    _lengths(output_tokens, "output_tokens"), concurrency=int(c),
                    think_time_s=float(think_time_s))  # fmt: skip


def trace_workload(trace: pd.DataFrame | str | Path) -> Workload:
    """A recorded trace: arrival time, prompt tokens and output tokens per request.

    Parameters
    ----------
    trace : pandas.DataFrame, str or Path
        Columns ``arrival_s`` (seconds, non-decreasing), ``prompt_tokens`` and
        ``output_tokens`` (whole numbers >= 1); a CSV path is read and validated with
        :func:`inferecon.load_request_trace` (every problem listed at once).

    Returns
    -------
    Workload
    """
    if isinstance(trace, str | Path):
        df = load_request_trace(trace)
    else:
        df = load_request_trace(frame=trace)
    return Workload("trace", len(df), trace=df)


def _lengths(value, name: str) -> LengthDistribution:
    if isinstance(value, LengthDistribution):
        return value
    require_in_range(name, value, 1, 10_000_000)
    return fixed_lengths(value)


# --------------------------------------------------------------------------- span arithmetic


def _arith(a: float, b: float, j0: int, j1: int) -> float:
    """Sum of ``a + b j`` for j in [j0, j1)."""
    n = j1 - j0
    return n * a + b * (j1 * (j1 - 1) - j0 * (j0 - 1)) / 2.0 if n > 0 else 0.0


def _split(a1, b1, a2, b2, k):
    """Index s in [0, k]: which line is the larger one before and after it, as (first, second)."""
    if b1 == b2:
        return (1 if a1 >= a2 else 2), k, 0
    # nearly parallel lines cross far off, even at +-inf: clip before rounding to an index
    x = min(max((a2 - a1) / (b1 - b2), -1.0), k + 1.0)
    if b1 > b2:  # line 1 wins from x on
        s = min(max(math.ceil(x), 0), k)
        return 2, s, 1
    s = min(max(math.floor(x) + 1, 0), k)
    return 1, s, 2


def _span_sum(form, k: int) -> float:
    """Seconds of ``k`` decode iterations ``K + max(a1 + b1 j, a2 + b2 j)``, j = 0..k-1."""
    K, a1, b1, a2, b2 = form
    first, s, second = _split(a1, b1, a2, b2, k)
    lines = {1: (a1, b1), 2: (a2, b2)}
    total = k * K + _arith(*lines[first], 0, s)
    if second:
        total += _arith(*lines[second], s, k)
    return total


def _iteration(form, j: int) -> float:
    K, a1, b1, a2, b2 = form
    return K + max(a1 + b1 * j, a2 + b2 * j)


def _iterations_to_reach(form, horizon_s: float, k_max: int) -> int:
    """Smallest k in [1, k_max] whose k iterations last at least ``horizon_s`` (k_max if none)."""
    if horizon_s <= 0:
        return 1
    if _span_sum(form, k_max) < horizon_s:
        return k_max
    lo, hi = 1, k_max  # cumulative time is increasing in k: bisection on the closed form
    while lo < hi:
        mid = (lo + hi) // 2
        if _span_sum(form, mid) >= horizon_s:
            hi = mid
        else:
            lo = mid + 1
    return lo


# --------------------------------------------------------------------------- step times


@runtime_checkable
class StepTimeModel(Protocol):
    """What :func:`simulate_serving` needs from a step-time model (``cost=``), for every policy.

    :class:`inferecon.IterationCost` (the calibrated roofline) implements it; so does
    :class:`ConstantService`; a model of your own (for example a table of step times measured
    on your engine) needs these methods. Times are seconds of one scheduler iteration of one
    instance.

    * ``iteration_s(prefill_tokens, prefill_pairs, prefill_prefix_tokens, decode_sequences,
      decode_context) -> float``: one iteration that prefills ``prefill_tokens`` prompt tokens
      (their causal query-key pairs, from :meth:`prefill_pairs`, and the tokens of those
      prompts already cached) and decodes one token for each of ``decode_sequences`` running
      requests holding ``decode_context`` cached tokens in all.
    * ``decode_form(decode_sequences, decode_context) -> (K, a1, b1, a2, b2)``: a decode-only
      iteration ``j`` of a stretch (the same requests, ``decode_context + j *
      decode_sequences`` cached tokens) lasts ``K + max(a1 + b1 j, a2 + b2 j)``; for
      ``j = 0`` it must equal ``iteration_s(0, 0, 0, decode_sequences, decode_context)``. A
      model whose decode step does not depend on the context returns ``(t, 0, 0, 0, 0)``.
    * ``prefill_pairs(chunk_tokens, cached_tokens=0) -> float``: what ``iteration_s`` takes as
      ``prefill_pairs`` for a chunk after ``cached_tokens`` of its prompt (any measure the
      model's ``iteration_s`` understands; ``chunk * cached + chunk (chunk + 1) / 2`` is the
      causal count).
    * ``kv_capacity_tokens(memory_fraction) -> int``: KV-cache tokens per instance (not
      called when ``simulate_serving`` gets ``kv_capacity_tokens``).

    Optional:

    * ``decode_linear_iterations(decode_sequences, decode_context) -> float``: over how many
      iterations from ``j = 0`` the form is exact (default: any stretch); the simulator
      never advances a stretch past it.
    * ``kv_transfer_s(prompt_tokens) -> float or array``: seconds to move a prompt's KV
      cache from a prefill instance to a decode instance (called once with an array of every
      prompt's tokens); required by ``policy="disaggregated"``.
    """

    def iteration_s(
        self, prefill_tokens, prefill_pairs, prefill_prefix_tokens, decode_sequences,
        decode_context,
    ) -> float: ...  # fmt: skip

    def decode_form(self, decode_sequences, decode_context) -> tuple: ...

    def prefill_pairs(self, chunk_tokens, cached_tokens=0) -> float: ...

    def kv_capacity_tokens(self, memory_fraction) -> int: ...


_PROTOCOL_METHODS = ("iteration_s", "decode_form", "prefill_pairs")


# --------------------------------------------------------------------------- the engine


def _blocks(tokens: int) -> int:
    return -(-tokens // BLOCK_TOKENS)


def _run_instance(cost, req, ids, *, policy, max_running_requests, max_batch_tokens, kv_blocks,
                  max_time_s, prefill_only=False, prefilled=None, closed=None):  # fmt: skip
    """Serve requests ``ids`` (rows of ``req``) on one instance; fill ``req`` in place.

    ``req`` holds Python lists by column (arrival, prompt, output and the results). Open-loop
    ids come sorted by arrival; a closed loop (``closed = (concurrency, think_s)``) sends the
    next of ``ids`` when a request finishes. ``prefill_only``: requests leave with their first
    token (a disaggregated prefill instance). ``prefilled``: ids whose KV cache and first token
    arrive from elsewhere (a disaggregated decode instance).
    """
    arr, P, Q = req["arrival"], req["prompt"], req["output"]
    first_t, finish_t, admit_t = req["first"], req["finish"], req["admit"]
    n_pre, s0, s1, pgap = req["preempt"], req["span0"], req["span1"], req["preempt_gap"]
    n_all = len(arr)  # per-request state in lists (faster than dicts in the hot loop)
    g, need, done = [0] * n_all, [0] * n_all, [0] * n_all  # generated; to prefill; prefilled
    jG, jL, ver = [None] * n_all, [0] * n_all, [0] * n_all  # decode join counter, length
    blocks_of = [0] * n_all
    last_tok = [None] * n_all  # time of the last token before a preemption
    joined = [False] * n_all
    alive = [False] * n_all
    order = []  # admission order: the newest running request is preempted first
    waiting = deque()
    prefilling = []  # chunked prefills in progress, first come first served
    heap = []  # (finish counter, rid, version)
    cnt = [0] * BLOCK_TOKENS  # decoding requests by block phase
    D = S = G = used = 0  # decoding requests, their cached tokens, decode iterations, blocks
    t = 0.0
    last_dec_end = None
    sp_start, sp_t0, sp_gap, sp_int = [], [], [], []
    tl_t, tl_batch, tl_queue, tl_kv = [], [], [], []
    rejected = []
    truncated = False
    is_prefilled = [False] * n_all
    for rid in prefilled or ():
        is_prefilled[rid] = True
    if closed is None:
        queue_ids, ai, n_ids, pending, pool, think = list(ids), 0, len(ids), None, None, 0.0
    else:
        concurrency, think = closed
        pool = deque(ids)
        pending = []
        for _ in range(min(concurrency, len(pool))):
            rid = pool.popleft()
            arr[rid] = 0.0
            heapq.heappush(pending, (0.0, rid))
        queue_ids, ai, n_ids = [], 0, 0
    remaining = len(ids)

    def next_arrival():
        if pending is None:
            return arr[queue_ids[ai]] if ai < n_ids else math.inf
        return pending[0][0] if pending else math.inf

    def user_continues(when):
        if pending is not None and pool:
            nxt = pool.popleft()
            arr[nxt] = when + think
            heapq.heappush(pending, (arr[nxt], nxt))

    def finish(rid, when, cache_len=None):
        nonlocal remaining, used
        finish_t[rid] = when
        s1[rid] = len(sp_start)
        b = blocks_of[rid]
        used -= b if cache_len is None else _blocks(cache_len)
        alive[rid] = False
        remaining -= 1
        user_continues(when)

    def join_decode(rid, cache_len, when):
        nonlocal D, S
        if first_t[rid] != first_t[rid]:  # NaN: this is the request's first token
            first_t[rid] = when
        if not joined[rid]:
            joined[rid] = True
            s0[rid] = len(sp_start)
        if last_tok[rid] is not None:
            pgap[rid] = max(pgap[rid], when - last_tok[rid])
            last_tok[rid] = None
        g[rid] += 1  # the prefill produced one token
        rest = Q[rid] - g[rid]
        if prefill_only or rest <= 0:
            finish(rid, when)
            return
        ver[rid] += 1
        jG[rid], jL[rid] = G, cache_len
        heapq.heappush(heap, (G + rest, rid, ver[rid]))
        cnt[(cache_len - G) % BLOCK_TOKENS] += 1
        D += 1
        S += cache_len

    def leave_decode(rid):
        """Take a request out of the decode batch; return its cached tokens."""
        nonlocal D, S
        cnt[(jL[rid] - jG[rid]) % BLOCK_TOKENS] -= 1
        cache_len = jL[rid] + (G - jG[rid])
        D -= 1
        S -= cache_len
        g[rid] += G - jG[rid]
        jG[rid] = None
        return cache_len

    def preempt_newest():
        nonlocal used
        while order:
            rid = order.pop()
            if not alive[rid]:
                continue
            n_pre[rid] += 1
            b = blocks_of[rid]
            if jG[rid] is not None:
                b = _blocks(leave_decode(rid))  # the blocks it grew into are freed too
                ver[rid] += 1  # its heap entry is stale now
                last_tok[rid] = last_dec_end if last_dec_end is not None else t
            else:
                prefilling.remove(rid)
            used -= b
            alive[rid] = False
            need[rid] = P[rid] + g[rid]  # recompute the prompt and every generated token
            done[rid] = 0
            waiting.appendleft(rid)
            return True
        return False

    def new_blocks(k):
        """Blocks the decoding requests take over the next k iterations."""
        if D == 0 or k <= 0:
            return 0
        full, part = divmod(k, BLOCK_TOKENS)
        tot = full * D
        for j in range(part):
            tot += cnt[(-(G + j)) % BLOCK_TOKENS]
        return tot

    def safe_iterations(free):
        """Decode iterations possible before the cache runs out of blocks."""
        cycles = free // D
        acc = cycles * D
        for j in range(BLOCK_TOKENS):
            acc += cnt[(-(G + j)) % BLOCK_TOKENS]
            if acc > free:
                return cycles * BLOCK_TOKENS + j
        return (cycles + 1) * BLOCK_TOKENS  # pragma: no cover - acc reaches (cycles+1) D

    def record(t_start, t0, interior):
        sp_start.append(t_start)
        sp_t0.append(t0)
        sp_gap.append(t0 if last_dec_end is None else t_start + t0 - last_dec_end)
        sp_int.append(interior)

    def finish_due():
        while heap and heap[0][0] <= G:
            _, r, v = heapq.heappop(heap)
            if v == ver[r] and alive[r]:
                finish(r, t, leave_decode(r))

    def admit(rid, b):
        nonlocal used
        waiting.popleft()
        used += b
        blocks_of[rid] = b
        alive[rid] = True
        order.append(rid)
        if admit_t[rid] != admit_t[rid]:
            admit_t[rid] = t

    chunked = policy == "chunked_prefill"
    linear_for = getattr(cost, "decode_linear_iterations", None)
    watermark = math.ceil(0.01 * kv_blocks)  # vLLM's watermark_blocks = 0.01 of the cache
    turns, last_t, still = 0, -1.0, 0
    while remaining > 0:
        turns += 1
        still = still + 1 if t == last_t else 0
        last_t = t
        if (
            still > 10 * max_running_requests + 1000
        ):  # pragma: no cover - a scheduler bug, never silent
            raise RuntimeError(
                f"the simulation stopped advancing at t = {t} s (decoding {D}, prefilling "
                f"{len(prefilling)}, waiting {len(waiting)}, blocks {used}/{kv_blocks})"
            )
        if t > max_time_s:
            truncated = True
            break
        # the state recorded at the last turn holds until now, except that each arrival since
        # then joins the queue at its own instant (so the series counts every request from
        # its arrival: Little's law holds on it exactly)
        prev_b, prev_q, prev_kv = (tl_batch[-1], tl_queue[-1], tl_kv[-1]) if tl_t else (0, 0, 0)
        while (
            (arr[queue_ids[ai]] <= t if ai < n_ids else False)
            if pending is None
            else (pending and pending[0][0] <= t)
        ):  # arrivals join the queue, or are rejected if they never fit
            if pending is None:
                rid = queue_ids[ai]
                ai += 1
            else:
                rid = heapq.heappop(pending)[1]
            if _blocks(P[rid] + Q[rid] - 1) > kv_blocks:
                rejected.append(rid)
                remaining -= 1
                user_continues(arr[rid])
                continue
            g[rid], need[rid], done[rid] = 0, P[rid], 0
            waiting.append(rid)
            if arr[rid] < t:
                prev_q += 1
                tl_t.append(arr[rid])
                tl_batch.append(prev_b)
                tl_queue.append(prev_q)
                tl_kv.append(prev_kv)
        # ---- admission, first come first served
        admitted = []
        tokens = 0
        # keep the blocks the running decodes take next, plus vLLM's 1% watermark, free
        reserve = (cnt[(-G) % BLOCK_TOKENS] if D else 0) + watermark
        while waiting and D + len(prefilling) + len(admitted) < max_running_requests:
            rid = waiting[0]
            b = _blocks(need[rid])
            if used + b + reserve > kv_blocks and (D or prefilling or admitted):
                break
            if is_prefilled[rid] and g[rid] == 0:  # its KV cache arrives: decode at once
                admit(rid, b)
                join_decode(rid, P[rid], t)
                continue
            if not chunked and admitted and tokens + need[rid] > max_batch_tokens:
                break
            admit(rid, b)
            tokens += need[rid]
            admitted.append(rid)
        if chunked:
            prefilling.extend(admitted)
            admitted = []
        tl_t.append(t)  # the state until the next turn of the loop
        tl_batch.append(D + len(prefilling) + len(admitted))
        tl_queue.append(len(waiting))
        tl_kv.append(used)

        # ---- a prefill iteration, a mixed one, a stretch of decodes, or idle
        if admitted:  # prefill first: an iteration of prompts only, decodes paused
            pairs = sum(cost.prefill_pairs(need[r]) for r in admitted)
            t += cost.iteration_s(tokens, pairs, 0.0, 0, 0)
            for r in admitted:
                join_decode(r, need[r], t)
            continue
        if prefilling:  # chunked: one token per decode, the rest of the budget for prompts
            grow = cnt[(-G) % BLOCK_TOKENS] if D else 0
            while grow > kv_blocks - used and preempt_newest():
                grow = cnt[(-G) % BLOCK_TOKENS] if D else 0
            if not prefilling:
                continue
            budget = max_batch_tokens - D
            ptok = pairs = prefix = 0.0
            chunks = []
            for r in prefilling:
                if budget <= 0:
                    break
                c = min(need[r] - done[r], budget)
                pairs += cost.prefill_pairs(c, done[r])
                prefix += done[r]
                ptok += c
                budget -= c
                chunks.append((r, c))
            dt = cost.iteration_s(ptok, pairs, prefix, D, S)
            if D:
                record(t, dt, 0.0)
            t += dt
            if D:
                last_dec_end = t
                used += grow
                G += 1
                S += D
            for r, c in chunks:
                done[r] += c
                if done[r] >= need[r]:
                    prefilling.remove(r)
                    join_decode(r, need[r], t)
            if heap and heap[0][0] <= G:
                finish_due()
            continue
        while heap and not (heap[0][2] == ver[heap[0][1]] and alive[heap[0][1]]):
            heapq.heappop(heap)  # entries of preempted requests
        if D > 0:
            free = kv_blocks - used
            k_kv = safe_iterations(free)
            if k_kv == 0:
                preempt_newest()
                continue
            k = min(heap[0][0] - G, k_kv)
            if linear_for is not None:  # a sliding window bends the line: split the stretch
                k = min(k, max(int(min(linear_for(D, S), k)), 1))
            form = cost.decode_form(D, S)
            t0 = _iteration(form, 0)
            ta = next_arrival()
            if ta < math.inf and not waiting and D < max_running_requests and free > 0:
                if ta - t <= t0:
                    k = 1
                else:
                    k = _iterations_to_reach(form, ta - t, k)  # stop once it can be admitted
            if t + t0 > max_time_s:
                k = 1
            if k == 1:
                record(t, t0, 0.0)
                used += cnt[(-G) % BLOCK_TOKENS]
                t += t0
            else:
                record(t, t0, _iteration(form, k - 1))
                used += new_blocks(k)
                t += _span_sum(form, k)
            last_dec_end = t
            G += k
            S += k * D
            if heap[0][0] <= G:
                finish_due()
            continue
        ta = next_arrival()
        if ta == math.inf:
            break  # the queue's head cannot be admitted with nothing running: cannot happen
        t = max(t, ta)
    tl_t.append(t)  # the state from the end of the run on (empty unless truncated)
    tl_batch.append(D + len(prefilling))
    tl_queue.append(len(waiting))
    tl_kv.append(used)
    req["rejected"].extend(rejected)
    return {
        "span_start": sp_start,
        "span_t0": sp_t0,
        "span_gap": sp_gap,
        "span_int": sp_int,
        "timeline": (tl_t, tl_batch, tl_queue, tl_kv),
        "truncated": truncated or remaining > 0,
        "end_t": t,
    }


def _max_gaps(req, ids, out) -> np.ndarray:
    """Largest gap between two tokens of each of ``ids``: from its first token to the end of
    its first decode iteration, the gaps of the decode stretches it took part in (range
    maxima over the stretch records) and any pause for a preemption."""
    ids = np.asarray(ids, dtype=np.int64)
    res = np.full(len(ids), np.nan)
    n_span = len(out["span_start"])
    if not len(ids) or n_span == 0:
        return res
    a = np.asarray(req["span0"], dtype=np.int64)[ids]
    b = np.asarray(req["span1"], dtype=np.int64)[ids]
    first = np.asarray(req["first"], dtype=float)[ids]
    start = np.asarray(out["span_start"])
    t0 = np.asarray(out["span_t0"])
    gap = np.asarray(out["span_gap"])
    inner = np.asarray(out["span_int"])
    ok = (a >= 0) & (b > a) & (a < n_span)
    aa = a[ok]
    own_first = start[aa] + t0[aa] - first[ok]  # first token -> end of its first iteration
    best = np.fmax(own_first, inner[aa])
    comb = np.append(np.maximum(gap, inner), 0.0)  # a sentinel, so reduceat can end at n
    lo, hi = aa + 1, b[ok]
    has = hi > lo
    if has.any():
        idx = np.empty(2 * int(has.sum()), dtype=np.int64)
        idx[0::2], idx[1::2] = lo[has], hi[has]
        best[has] = np.fmax(best[has], np.maximum.reduceat(comb, idx)[0::2])
    res[ok] = np.fmax(best, np.asarray(req["preempt_gap"], dtype=float)[ids][ok])
    return res


# --------------------------------------------------------------------------- results


@dataclass
class ServingResult:
    """What :func:`simulate_serving` returns.

    Attributes
    ----------
    requests : pandas.DataFrame
        One row per request: ``arrival_s``, ``prompt_tokens``, ``output_tokens``,
        ``admitted_s``, ``first_token_s``, ``finish_s``, ``ttft_ms``, ``tpot_ms`` (mean time per
        output token after the first; NaN for one-token outputs), ``max_gap_ms`` (largest gap
        between two tokens), ``e2e_s``, ``preemptions``, ``rejected``, ``met_ttft``,
        ``met_tpot``, ``met_both`` (when targets were given).
    summary : dict
        ``requests_per_s`` and ``output_tokens_per_s`` completed (and per GPU),
        ``slo_attainment``, ``goodput_rps_vllm`` (vLLM's definition), p50/p90/p99 of TTFT,
        TPOT and end-to-end latency, ``mean_batch``, ``mean_in_system`` (time average of the
        requests queued or running, all instances, over ``[0, end_s]``: the simulator's own
        state, counted from each arrival's instant), ``end_s`` (simulated seconds),
        ``kv_utilisation``, ``preemptions``, ``rejected_ids``, ``n_gpus`` (every GPU of the
        deployment: ``tensor_parallel`` x instances), ``truncated`` (a
        bound on simulated time stopped it; a ``RuntimeWarning`` says so too), ``unfinished``
        (requests neither finished nor rejected) and ``wall_s`` (seconds the simulation took).
    timeline : pandas.DataFrame
        Batch size, queue length and KV-cache use over time (``time_s``, ``batch``,
        ``queue``, ``kv_used``, a share of capacity), in up to 400 equal time bins.
    """

    requests: pd.DataFrame
    summary: dict
    timeline: pd.DataFrame


def slo_attainment(requests: pd.DataFrame, ttft_ms: float, tpot_ms: float) -> float:
    """Share of requests that met both targets (rejected and unfinished requests count as
    missed; a finished one-token request has no TPOT and meets that target).

    Parameters
    ----------
    requests : pandas.DataFrame
        :attr:`ServingResult.requests`.
    ttft_ms, tpot_ms : float
        Targets for time to first token and mean time per output token (ms).

    Returns
    -------
    float
        In [0, 1].
    """
    require_positive("ttft_ms", ttft_ms)
    require_positive("tpot_ms", tpot_ms)
    return float(_met_both(requests, ttft_ms, tpot_ms).mean()) if len(requests) else math.nan


def _met_both(requests: pd.DataFrame, ttft_ms: float, tpot_ms: float) -> pd.Series:
    """Per request: finished, and both targets met (the one rule the summary, the curves and
    :func:`slo_attainment` share)."""
    finished = np.isfinite(requests["finish_s"].to_numpy(dtype=float))
    tpot = requests["tpot_ms"].where(~(requests["output_tokens"] <= 1), 0.0)
    return (finished & (requests["ttft_ms"] <= ttft_ms) & (tpot <= tpot_ms)).rename("met_both")


def _timeline(runs, end_t, capacity_blocks, bins=400) -> pd.DataFrame:
    edges = np.linspace(0.0, max(end_t, 1e-9), bins + 1)
    total_b = np.zeros(bins)
    total_q = np.zeros(bins)
    total_kv = np.zeros(bins)
    weight = np.zeros(bins)
    for (tt, bb, qq, kk), cap in zip(runs, capacity_blocks, strict=True):
        if not tt:
            continue
        tt = np.asarray(tt)
        dur = np.diff(np.append(tt, end_t))
        idx = np.clip(np.searchsorted(edges, tt, side="right") - 1, 0, bins - 1)
        np.add.at(weight, idx, dur)
        np.add.at(total_b, idx, dur * np.asarray(bb))
        np.add.at(total_q, idx, dur * np.asarray(qq))
        np.add.at(total_kv, idx, dur * np.asarray(kk) / max(cap, 1))
    with np.errstate(invalid="ignore", divide="ignore"):
        n = max(len(runs), 1)
        return pd.DataFrame({
            "time_s": (edges[:-1] + edges[1:]) / 2,
            "batch": total_b / weight * n,
            "queue": total_q / weight * n,
            "kv_used": total_kv / weight,
        })  # fmt: skip


def _empty_requests(df: pd.DataFrame) -> dict:
    n = len(df)
    nan = [math.nan] * n
    return {
        "arrival": df["arrival_s"].tolist(),
        "prompt": df["prompt_tokens"].astype(int).tolist(),
        "output": df["output_tokens"].astype(int).tolist(),
        "first": nan.copy(),
        "finish": nan.copy(),
        "admit": nan.copy(),
        "preempt": [0] * n,
        "preempt_gap": [0.0] * n,
        "span0": [-1] * n,
        "span1": [-1] * n,
        "rejected": [],
    }


@renamed_parameters(max_batch="max_running_requests", n_gpus="tensor_parallel")
def simulate_serving(
    model=None,
    gpu=None,
    workload: Workload | None = None,
    *,
    policy: str = "chunked_prefill",
    max_running_requests: int = DEFAULT_MAX_RUNNING_REQUESTS,
    max_batch_tokens: int | None = None,
    tensor_parallel: int = 1,
    precision: str = "bf16",
    efficiency=None,
    seed: int = 0,
    memory_fraction: float = DEFAULT_MEMORY_FRACTION,
    prefill_instances: int = 1,
    decode_instances: int = 1,
    ttft_ms: float | None = None,
    tpot_ms: float | None = None,
    max_time_s: float = 86_400.0,
    cost=None,
    kv_capacity_tokens: int | None = None,
    allow_weight_only: bool = False,
) -> ServingResult:
    """Serve a workload with continuous batching and report every request's latency.

    Parameters
    ----------
    model, gpu : str or spec
        What serves (names from ``data/models.csv`` and ``data/gpus.csv``); not used (and
        may be omitted) when ``cost`` is given.
    workload : Workload
        :func:`poisson_workload`, :func:`closed_loop_workload` or :func:`trace_workload`.
    policy : {"prefill_first", "chunked_prefill", "disaggregated"}
        The scheduler (see the module docstring).
    max_running_requests : int
        Most requests running at once per instance (vLLM's ``--max-num-seqs``;
        :data:`DEFAULT_MAX_RUNNING_REQUESTS`).
    max_batch_tokens : int, optional
        Tokens per iteration (vLLM's ``--max-num-batched-tokens``): the chunked-prefill budget
        (default :data:`CHUNKED_PREFILL_BATCH_TOKENS`), and the most prompt tokens one
        prefill-first iteration takes besides its first prompt (default
        ``max(context_length, 2048)``, :data:`PREFILL_FIRST_MIN_BATCH_TOKENS`; with a ``cost``
        and no model, ``max(longest request, 2048)``).
    tensor_parallel : int
        Tensor-parallel GPUs per instance (with ``cost``: only counted, for per-GPU rates).
    precision : {"bf16", "fp8", "fp4"}
        Weight (and KV-cache) precision; native to the GPU unless ``allow_weight_only``.
    allow_weight_only : bool
        Accept a precision the GPU has no tensor cores for, as weight-only quantisation
        (:func:`inferecon.check_native_precision`).
    efficiency : optional
        As in :func:`inferecon.decode_performance` (``None``: the stored calibration).
    seed : int
        Seed of the workload's random draws; a result is deterministic for a seed.
    memory_fraction : float
        Usable share of GPU memory (the KV cache gets what the weights leave).
    prefill_instances, decode_instances : int
        Pool sizes for ``"disaggregated"`` (instances of ``tensor_parallel`` GPUs each; requests
        are dealt to them in turn).
    ttft_ms, tpot_ms : float, optional
        Latency targets: with both, requests are marked and the summary gives attainment.
    max_time_s : float
        Bound on simulated time; the summary says ``truncated`` when it stopped the run.
    cost : StepTimeModel, optional
        Your own step-time model in place of :class:`inferecon.IterationCost` built from
        ``model``, ``gpu``, ``precision``, ``efficiency`` and ``tensor_parallel`` (which are
        then ignored): any object with the methods of :class:`StepTimeModel`, for example step
        times measured on your own engine. Every policy accepts it.
    kv_capacity_tokens : int, optional
        KV-cache tokens per instance, instead of the memory model's (or ``cost``'s).

    Returns
    -------
    ServingResult

    Raises
    ------
    ValueError
        For an unknown policy (listing the valid ones), non-positive sizes, a model that does
        not fit, a closed-loop workload with the disaggregated policy, or a ``cost`` that lacks
        a method it needs (named).

    Warns
    -----
    RuntimeWarning
        When ``max_time_s`` stopped the run (``summary["truncated"]``).
    """
    if policy not in POLICIES:
        raise ValueError(f"policy must be one of {list(POLICIES)}; got {policy!r}")
    if not isinstance(workload, Workload):
        raise ValueError("workload must be a Workload (poisson_workload, closed_loop_workload "
                         "or trace_workload)")  # fmt: skip
    df = workload.requests(seed) if isinstance(workload, Workload) else None
    if max_batch_tokens is None and df is not None:
        if policy == "chunked_prefill":
            max_batch_tokens = CHUNKED_PREFILL_BATCH_TOKENS
        else:
            m = get_model(model) if model is not None else getattr(cost, "model", None)
            longest = int((df["prompt_tokens"] + df["output_tokens"]).max()) if len(df) else 0
            ctx = int(getattr(m, "context_length", 0) or 0) or longest
            max_batch_tokens = max(ctx, PREFILL_FIRST_MIN_BATCH_TOKENS)
    for name, v, hi in (("max_running_requests", max_running_requests, 1e6),
                        ("max_batch_tokens", max_batch_tokens, 1e8),
                        ("tensor_parallel", tensor_parallel, 4096),
                        ("prefill_instances", prefill_instances, 1e4),
                        ("decode_instances", decode_instances, 1e4)):  # fmt: skip
        require_in_range(name, v, 1, hi)
        if v != round(v):
            raise ValueError(f"{name} must be a whole number; got {plain(v)!r}")
    require_positive("max_time_s", max_time_s)
    if ttft_ms is not None:
        require_positive("ttft_ms", ttft_ms)
    if tpot_ms is not None:
        require_positive("tpot_ms", tpot_ms)
    if policy == "disaggregated" and workload.kind == "closed":
        raise ValueError("the disaggregated policy needs an open-loop or trace workload (its "
                         "pools are simulated one after the other)")  # fmt: skip
    t_wall = _time.perf_counter()
    if cost is None:
        if model is None or gpu is None:
            raise ValueError("simulate_serving needs model and gpu, or a step-time model cost")
        c = IterationCost(model, gpu, precision, efficiency, tensor_parallel=int(tensor_parallel),
                          allow_weight_only=allow_weight_only)  # fmt: skip
    else:
        c = cost
        need = list(_PROTOCOL_METHODS)
        need += ["kv_capacity_tokens"] if kv_capacity_tokens is None else []
        need += ["kv_transfer_s"] if policy == "disaggregated" else []
        missing = [m for m in need if not callable(getattr(c, m, None))]
        if missing:
            raise ValueError(f"cost lacks {missing} (see StepTimeModel) for policy {policy!r}"
                             + (" (or pass kv_capacity_tokens)" if "kv_capacity_tokens" in
                                missing else ""))  # fmt: skip
    if kv_capacity_tokens is None:
        kv_capacity_tokens = c.kv_capacity_tokens(memory_fraction)
    else:
        require_in_range("kv_capacity_tokens", kv_capacity_tokens, 1, 1e15)
    kv_blocks = int(kv_capacity_tokens) // BLOCK_TOKENS
    if kv_blocks < 1:
        where = f"on {get_gpu(gpu).name} x{tensor_parallel} " if cost is None else ""
        raise ValueError(
            f"no KV cache fits: the weights leave no room {where}at memory_fraction "
            f"{memory_fraction} (add GPUs or lower the precision)"
        )
    req = _empty_requests(df)
    n = len(df)
    kw = dict(max_running_requests=int(max_running_requests),
              max_batch_tokens=int(max_batch_tokens), kv_blocks=kv_blocks,
              max_time_s=float(max_time_s))  # fmt: skip
    max_gap = np.full(n, np.nan)
    outs = []
    if policy != "disaggregated":
        closed = (
            (workload.concurrency, workload.think_time_s) if workload.kind == "closed" else None
        )
        ids = list(range(n)) if closed else list(np.argsort(df["arrival_s"], kind="stable"))
        out = _run_instance(c, req, ids, policy=policy, closed=closed, **kw)
        outs.append(out)
        max_gap[ids] = _max_gaps(req, ids, out)
        total_gpus = int(tensor_parallel)
    else:
        _disaggregated(c, req, df, int(tensor_parallel), int(prefill_instances),
                       int(decode_instances), kw, outs, max_gap)  # fmt: skip
        total_gpus = int(tensor_parallel) * (int(prefill_instances) + int(decode_instances))
    end_t = max(o["end_t"] for o in outs)
    runs = [o["timeline"] for o in outs]
    caps = [kv_blocks] * len(outs)
    res = _request_table(df, req, max_gap, ttft_ms, tpot_ms)
    summary = _summary(
        res,
        req,
        runs,
        caps,
        end_t,
        total_gpus,
        any(o["truncated"] for o in outs),
        ttft_ms,
        tpot_ms,
        policy,
        workload,
    )
    summary["wall_s"] = _time.perf_counter() - t_wall  # fmt: skip
    if summary["truncated"]:
        warnings.warn(
            f"the simulation was truncated at max_time_s = {max_time_s:g} s of simulated time: "
            f"{summary['unfinished']:,} of {n:,} requests unfinished (they count as missing "
            "every target; means and percentiles cover the finished ones only). Raise "
            "max_time_s or lower the load for a whole run.",
            RuntimeWarning,
            stacklevel=2,
        )
    return ServingResult(res, summary, _timeline(runs, end_t, caps))


def _request_table(df, req, max_gap, ttft_ms, tpot_ms) -> pd.DataFrame:
    arrival = np.asarray(req["arrival"], dtype=float)
    first = np.asarray(req["first"], dtype=float)
    finish = np.asarray(req["finish"], dtype=float)
    out_tok = df["output_tokens"].to_numpy(np.int64)
    rejected = np.zeros(len(df), dtype=bool)
    rejected[req["rejected"]] = True
    with np.errstate(invalid="ignore", divide="ignore"):
        tpot = np.where(out_tok > 1, (finish - first) / (out_tok - 1), np.nan) * 1e3
    res = pd.DataFrame({
        "arrival_s": arrival,
        "prompt_tokens": df["prompt_tokens"].to_numpy(np.int64),
        "output_tokens": out_tok,
        "admitted_s": np.asarray(req["admit"], dtype=float),
        "first_token_s": first,
        "finish_s": finish,
        "ttft_ms": (first - arrival) * 1e3,
        "tpot_ms": tpot,
        "max_gap_ms": max_gap * 1e3,
        "e2e_s": finish - arrival,
        "preemptions": np.asarray(req["preempt"], dtype=np.int64),
        "rejected": rejected,
    })  # fmt: skip
    if ttft_ms is not None and tpot_ms is not None:
        finished = np.isfinite(finish)
        one_token = out_tok <= 1  # no TPOT: only a finished one-token request meets it
        res["met_ttft"] = finished & (res["ttft_ms"] <= ttft_ms)
        res["met_tpot"] = finished & ((res["tpot_ms"] <= tpot_ms) | one_token)
        res["met_both"] = res["met_ttft"] & res["met_tpot"]
    return res


def _pcts(x) -> tuple[float, float, float]:
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    if not len(x):
        return (math.nan,) * 3
    return tuple(float(v) for v in np.percentile(x, [50, 90, 99]))


def _summary(res, req, runs, caps, end_t, n_gpus, truncated, ttft_ms, tpot_ms, policy, wl):
    done = np.isfinite(res["finish_s"].to_numpy())
    t0 = float(np.nanmin(res["arrival_s"])) if len(res) else 0.0
    t1 = float(np.nanmax(res["finish_s"])) if done.any() else t0
    dur = max(t1 - t0, 1e-12)
    out_tokens = float(res.loc[done, "output_tokens"].sum())
    tl = _timeline(runs, end_t, caps, bins=1)
    s = {
        "policy": policy,
        "workload": wl.kind,
        "n_requests": len(res),
        "completed": int(done.sum()),
        "rejected_ids": [int(i) for i in sorted(req["rejected"])],
        "duration_s": dur,
        "requests_per_s": float(done.sum()) / dur,
        "output_tokens_per_s": out_tokens / dur,
        "tokens_per_s_per_gpu": out_tokens / dur / n_gpus,
        "n_gpus": n_gpus,
        "preemptions": int(res["preemptions"].sum()),
        "mean_batch": float(tl["batch"].iloc[0]),
        "mean_in_system": float(tl["batch"].iloc[0] + tl["queue"].iloc[0]),
        "end_s": float(end_t),
        "kv_utilisation": float(tl["kv_used"].iloc[0]),
        "truncated": bool(truncated),
        "unfinished": int((~done).sum() - len(req["rejected"])),
    }
    for name in ("ttft_ms", "tpot_ms", "e2e_s"):
        s[f"{name}_p50"], s[f"{name}_p90"], s[f"{name}_p99"] = _pcts(res.loc[done, name])
    if ttft_ms is not None and tpot_ms is not None:
        s["slo_attainment"] = slo_attainment(res, ttft_ms, tpot_ms)
        s["goodput_rps_vllm"] = float(res["met_both"].sum()) / dur
    return s


def _disaggregated(c, req, df, tensor_parallel, n_pre, n_dec, kw, outs, max_gap):
    """Prefill pool, KV transfer, decode pool: simulated one after the other (open loop)."""
    order = list(np.argsort(df["arrival_s"].to_numpy(float), kind="stable"))
    for i in range(n_pre):  # prefill pool: requests leave with their first token
        outs.append(_run_instance(c, req, order[i::n_pre], policy="prefill_first",
                                  prefill_only=True, **kw))  # fmt: skip
    # the prompt's KV cache moves to the decode pool (StepTimeModel.kv_transfer_s)
    first = np.asarray(req["first"], dtype=float)
    transfer = np.broadcast_to(np.asarray(c.kv_transfer_s(np.asarray(req["prompt"], dtype=float)),
                                          dtype=float), first.shape)  # fmt: skip
    ready = first + transfer
    req["finish"][:] = [math.nan] * len(req["finish"])  # the prefill pool's exits are not ends
    dec = dict(req)
    dec["arrival"] = list(ready)  # the decode pool sees a request when its KV cache lands
    done = np.flatnonzero(np.isfinite(ready))
    done = list(done[np.argsort(ready[done], kind="stable")])
    for i in range(n_dec):
        ids = done[i::n_dec]
        out = _run_instance(c, dec, ids, policy="prefill_first", prefilled=set(ids), **kw)
        outs.append(out)
        max_gap[ids] = _max_gaps(req, ids, out)


# --------------------------------------------------------------------------- goodput


@renamed_parameters(n_gpus="tensor_parallel")
def goodput(
    model,
    gpu,
    *,
    ttft_ms: float,
    tpot_ms: float,
    attainment: float = 0.9,
    prompt_tokens: int | LengthDistribution = 512,
    output_tokens: int | LengthDistribution = 256,
    burstiness: float = 1.0,
    n_requests: int = 2_000,
    seed: int = 0,
    rel_tol: float = 0.02,
    max_rate_per_s: float = 1e5,
    **simulate_kwargs,
) -> dict:
    """DistServe's goodput: the highest arrival rate meeting both targets for ``attainment``.

    Runs :func:`simulate_serving` on Poisson (or gamma, ``burstiness``) arrivals with the same
    random draws at every rate, first doubling the rate until attainment drops below the target,
    then bisecting between the last rate that met it and the first that did not, to a relative
    width of ``rel_tol``.

    Parameters
    ----------
    model, gpu : str or spec
        What serves.
    ttft_ms, tpot_ms : float
        Targets for time to first token and mean time per output token (ms).
    attainment : float
        Share of requests that must meet both targets, in (0, 1].
    prompt_tokens, output_tokens : int or LengthDistribution
        Request lengths.
    burstiness : float
        Gamma shape of inter-arrival times (1: Poisson).
    n_requests : int
        Requests per simulation.
    seed : int
        Seed of the workload's draws.
    rel_tol : float
        Relative width of the final bracket, in (0, 1).
    max_rate_per_s : float
        Upper bound of the search.
    **simulate_kwargs
        Passed to :func:`simulate_serving` (``policy``, ``tensor_parallel``,
        ``max_running_requests``...). Without ``max_time_s`` each run is bounded at a simulated
        day plus twice its arrival span.

    Returns
    -------
    dict
        ``goodput_rps`` (the rate found, requests/s), ``goodput_rps_per_gpu``, ``n_gpus``,
        ``attainment_at_goodput``, ``bracket`` (simulated rates that met / missed the target;
        ``(max_rate_per_s, inf)`` when every rate up to the bound met it),
        ``met_up_to_max_rate`` (True then: the goodput is at least ``max_rate_per_s``),
        ``throughput_tokens_per_s_per_gpu`` at that rate, ``simulations`` and ``result`` (the
        :class:`ServingResult` at the goodput rate), ``truncated_rates`` (rates whose run hit its
        bound on simulated time: overloaded runs, which miss the target anyway).
    """
    require_in_range("attainment", attainment, 0.0, 1.0, low_open=True)
    require_in_range("rel_tol", rel_tol, 0.0, 1.0, low_open=True, high_open=True)
    require_positive("max_rate_per_s", max_rate_per_s)
    base = poisson_workload(1.0, n_requests, prompt_tokens, output_tokens, burstiness)
    runs = {}
    bound = simulate_kwargs.pop("max_time_s", None)

    def run(rate):
        if rate not in runs:
            # a run's bound on simulated time covers its arrivals twice over plus a day, so
            # that a long run at a low rate is never cut short (which would count as a miss)
            limit = bound if bound is not None else 86_400.0 + 2.0 * base.n_requests / rate
            with warnings.catch_warnings():  # counted in the result instead
                warnings.simplefilter("ignore", RuntimeWarning)
                runs[rate] = simulate_serving(model, gpu, base.at_rate(rate), ttft_ms=ttft_ms,
                                              tpot_ms=tpot_ms, seed=seed, max_time_s=limit,
                                              **simulate_kwargs)  # fmt: skip
        return runs[rate]

    lo, hi = 0.0, None
    rate = min(1.0, max_rate_per_s)
    while rate <= max_rate_per_s:
        if run(rate).summary["slo_attainment"] >= attainment:
            lo, rate = rate, rate * 2.0
        else:
            hi = rate
            break
    if hi is None:  # every rate so far met it: try the bound itself
        if lo < max_rate_per_s and run(max_rate_per_s).summary["slo_attainment"] < attainment:
            hi = max_rate_per_s
        else:
            lo = max_rate_per_s
    met_everywhere = hi is None
    if met_everywhere:  # nothing missed: the goodput is at least max_rate_per_s
        hi = math.inf
    elif lo == 0.0:  # even the first rate misses: search downwards
        rate = hi / 2.0
        while rate > 1e-6 and run(rate).summary["slo_attainment"] < attainment:
            hi, rate = rate, rate / 2.0
        lo = rate if rate > 1e-6 else 0.0
    while lo > 0 and not met_everywhere and (hi - lo) / hi > rel_tol:
        mid = (lo + hi) / 2.0
        if run(mid).summary["slo_attainment"] >= attainment:
            lo = mid
        else:
            hi = mid
    best = run(lo) if lo > 0 else None
    n_g = best.summary["n_gpus"] if best else run(hi).summary["n_gpus"]
    return {
        "met_up_to_max_rate": met_everywhere,
        "goodput_rps": lo,
        "goodput_rps_per_gpu": lo / n_g,
        "n_gpus": n_g,
        "attainment_at_goodput": best.summary["slo_attainment"] if best else math.nan,
        "bracket": (lo, hi),
        "throughput_tokens_per_s_per_gpu": (
            best.summary["tokens_per_s_per_gpu"] if best else math.nan
        ),  # fmt: skip
        "simulations": len(runs),
        "truncated_rates": sorted(r for r, res in runs.items() if res.summary["truncated"]),
        "result": best,
    }


# --------------------------------------------------------------------------- published sweeps


def _sweep_lengths(row) -> tuple[LengthDistribution, LengthDistribution] | None:
    """The request lengths a published sweep states (None when it does not say)."""
    dist = row["length_dist"]
    i, o = row["input_tokens"], row["output_tokens"]
    if dist in ("fixed", "nominal") and pd.notna(i) and pd.notna(o):
        return fixed_lengths(int(i)), fixed_lengths(int(o))
    if dist == "uniform_1_to_n" and pd.notna(i) and pd.notna(o):
        return resampled_lengths(np.arange(1, int(i) + 1)), resampled_lengths(
            np.arange(1, int(o) + 1)
        )
    mi, mo = row["mean_input_tokens"], row["mean_output_tokens"]
    if pd.notna(mi) and pd.notna(mo):  # ShareGPT-like: only the means are stated
        return _conversation_lengths(float(mi), float(mo))
    return None


def _conversation_lengths(mean_prompt: float, mean_output: float):
    """Lengths with a real conversation trace's shape and the stated means.

    ShareGPT's lengths are not shipped (``data/README.md``, request_lengths.csv); the Azure
    LLM inference trace 2023 (conversation window of ``data/request_lengths.csv``) is, so its
    prompt and output lengths are resampled, each scaled to the source's stated mean.
    """
    t = load_request_lengths()
    conv = t[t["trace"] == SHAREGPT_STAND_IN]
    ctx = conv["context_tokens"].to_numpy(float)
    gen = conv["generated_tokens"].to_numpy(float)
    return (resampled_lengths(np.maximum(np.rint(ctx * mean_prompt / ctx.mean()), 1)),
            resampled_lengths(np.maximum(np.rint(gen * mean_output / gen.mean()), 1)))  # fmt: skip


def compare_published_sweeps(
    sweeps: pd.DataFrame | None = None,
    *,
    efficiency=None,
    max_requests: int = 600,
    seed: int = 0,
) -> pd.DataFrame:
    """Simulate every load level of published engine sweeps, calibrated and on ideal hardware,
    beside the physical bounds no engine may beat.

    Each row of ``data/published_serving_sweeps.csv`` (a fixed configuration at one load
    level) is replayed: closed-loop rows with :func:`closed_loop_workload` at their
    concurrency, open-loop rows with :func:`poisson_workload` at their rate, offline rows with
    every request at once (all three with ``chunked_prefill`` on one instance of
    ``tensor_parallel`` GPUs), static-batch rows with :func:`inferecon.serving_performance`.
    Each runs twice: with ``efficiency`` (the stored calibration by default) and with
    ``efficiency=1.0`` (``ideal_*``: the same scheduler and workload on ideal hardware).

    The ``ideal_*`` latencies are **not bounds**: they depend on the simulated scheduler and
    workload (a chunk budget, first come first served, and a closed loop whose users all send
    their first prompt at once: at NVIDIA NIM's Llama-3.3-70B row at concurrency 50 that first
    wave alone has a mean TTFT of 5.5 s, and the run's mean of 866 ms lies above the measured
    834.5 ms while its steady state, about 300 ms, lies far below). The bounds use peak
    bandwidth and FLOP/s only: ``floor_ttft_ms`` (the prompt's prefill alone),
    ``floor_tpot_ms`` (a batch-1 decode step) and, where the load is a number of concurrent
    requests ``c`` (closed loops, static batches), ``ceiling_tokens_per_s``: at most ``c``
    requests decode in one iteration, each over at least its prompt, and a decode step's time
    per sequence falls with the batch, so output tokens/s <= ``instances x c_i / step(c_i)``
    with ``c_i = c / instances`` and ``step`` the decode step at that batch and the prompt's
    context at efficiency 1 (concave in ``c_i``, so an even split is the most any balance
    of the instances gives).

    Parameters
    ----------
    sweeps : pandas.DataFrame, optional
        Rows in the schema of ``data/published_serving_sweeps.csv`` (the bundled file).
    efficiency : optional
        The calibrated model's efficiency (``None``: :data:`inferecon.DEFAULT_EFFICIENCY`).
    max_requests : int
        Requests simulated per row at most (closed loops send ``8 x concurrency + 64``).
    seed : int
        Seed of the workloads.

    Returns
    -------
    pandas.DataFrame
        Per row: ``sweep_id``, the configuration (``engine``, ``model`` as published, ``gpu``,
        ``n_gpus``, ``weight_precision``, ``input_tokens``, ``output_tokens``), ``load_mode``,
        ``level`` (concurrency, batch or requests/s),
        ``measured_tokens_per_s``, ``model_tokens_per_s``, ``ideal_tokens_per_s`` (system
        output tokens/s) and ``ceiling_tokens_per_s`` (the bound above; NaN for open-loop and
        offline rows), ``measured_tpot_ms``, ``model_tpot_ms``, ``ideal_tpot_ms`` (the
        row's statistic, mean or median), the same for TTFT, ``floor_ttft_ms`` and
        ``floor_tpot_ms`` (physical floors whatever the scheduler: the prompt's prefill alone
        and a batch-1 decode step, at the ceiling), and ``note`` (why a row was not simulated,
        e.g. lengths the source does not state).
    """
    df = load_published_serving_sweeps() if sweeps is None else sweeps
    require_in_range("max_requests", max_requests, 10, 1_000_000)
    rows = []
    for _, r in df.iterrows():
        mode = r["load_mode"]
        level = r["concurrency"] if mode in ("closed_loop", "static_batch") else r[
            "request_rate_per_s"]  # fmt: skip
        rec = {
            "sweep_id": r["sweep_id"],
            "engine": r["engine"],
            "model": r["model_as_published"],
            "gpu": r["gpu"],
            "n_gpus": int(r["n_gpus"]),
            "weight_precision": r["weight_precision"],
            "input_tokens": r["input_tokens"],
            "output_tokens": r["output_tokens"],
            "load_mode": mode,
            "level": float(level) if pd.notna(level) else math.nan,
            "measured_tokens_per_s": r["output_tokens_per_s"],
            "measured_tpot_ms": r["tpot_ms"],
            "measured_ttft_ms": r["ttft_ms"],
            "note": "",
        }
        lengths = _sweep_lengths(r)
        tp = int(r["tensor_parallel"])
        instances = max(int(r["n_gpus"]) // (tp * int(r["pipeline_parallel"])), 1)
        if lengths is None or pd.isna(level) and mode != "offline_all_at_once":
            rows.append({**rec, "note": "request lengths or load level not stated"})
            continue
        # latency floors whatever the scheduler: the prompt's prefill alone, and a batch-1
        # decode step, both at the ceiling
        prompt_len = int(r["input_tokens"]) if r["length_dist"] in ("fixed", "nominal") and \
            pd.notna(r["input_tokens"]) else 1  # fmt: skip
        floor_kw = dict(efficiency=1.0, tensor_parallel=tp)
        rec["floor_ttft_ms"] = float(prefill_performance(
            r["model"], r["gpu"], prompt_len, 1, r["weight_precision"], **floor_kw
        )["step_ms"].iloc[0])  # fmt: skip
        rec["floor_tpot_ms"] = float(decode_performance(
            r["model"], r["gpu"], 1, prompt_len, r["weight_precision"], check_memory=False,
            **floor_kw,
        )["step_ms"].iloc[0])  # fmt: skip
        if mode in ("closed_loop", "static_batch"):  # a bound: see the docstring
            per = float(level) / instances
            step_s = float(decode_performance(
                r["model"], r["gpu"], per, prompt_len, r["weight_precision"], check_memory=False,
                **floor_kw,
            )["step_ms"].iloc[0]) / 1e3  # fmt: skip
            rec["ceiling_tokens_per_s"] = instances * per / step_s
        for tag, eff in (("model", efficiency), ("ideal", 1.0)):
            try:
                res = _replay(r, mode, level, lengths, tp, instances, eff, max_requests, seed)
            except ValueError as exc:
                rec["note"] = str(exc).splitlines()[0]
                break
            rec.update({f"{tag}_{k}": v for k, v in res.items()})
        rows.append(rec)
    return pd.DataFrame(rows)


def _replay(r, mode, level, lengths, tp, instances, eff, max_requests, seed) -> dict:
    stat = np.median if r["latency_stat"] == "median" else np.mean
    stat_ttft = np.median if r["ttft_stat"] == "median" else np.mean
    model, gpu, prec = r["model"], r["gpu"], r["weight_precision"]
    if mode == "static_batch":
        i, o = int(r["input_tokens"]), int(r["output_tokens"])
        sp = serving_performance(model, gpu, int(level), i, o, prec, eff, tensor_parallel=tp,
                                 check_memory=False).iloc[0]  # fmt: skip
        return {"tokens_per_s": float(sp["output_tokens_per_s_total"]) * instances,
                "tpot_ms": float(sp["tpot_ms"]), "ttft_ms": float(sp["ttft_ms"])}  # fmt: skip
    prompt, output = lengths
    if mode == "closed_loop":
        per = max(int(round(level / instances)), 1)
        wl = closed_loop_workload(per, min(8 * per + 64, max_requests), prompt, output)
    elif mode == "open_loop_poisson":
        n = int(r["n_requests"]) if pd.notna(r["n_requests"]) else max_requests
        wl = poisson_workload(float(level) / instances, min(n, max_requests), prompt, output)
    else:  # offline: every request at once
        n = min(int(r["n_requests"]) if pd.notna(r["n_requests"]) else max_requests,
                max_requests)  # fmt: skip
        rng = np.random.default_rng(seed)
        wl = trace_workload(pd.DataFrame({"arrival_s": np.zeros(n),
                                          "prompt_tokens": prompt.sample(n, rng),
                                          "output_tokens": output.sample(n, rng)}))  # fmt: skip
    res = simulate_serving(
        model, gpu, wl, precision=prec, efficiency=eff, tensor_parallel=tp, seed=seed
    )
    req = res.requests
    done = np.isfinite(req["finish_s"])
    return {
        "tokens_per_s": res.summary["output_tokens_per_s"] * instances,
        "tpot_ms": float(stat(req.loc[done, "tpot_ms"].dropna())),
        "ttft_ms": float(stat_ttft(req.loc[done, "ttft_ms"])),
    }


# --------------------------------------------------------------------------- sweeps of load


@dataclass
class LoadSweep:
    """Simulations of one server configuration at a grid of arrival rates.

    Built by :func:`load_sweep`. The request tables are kept, so attainment and goodput for
    other latency targets are recomputed without simulating again (:meth:`curve`,
    :meth:`goodput_per_gpu`).

    Attributes
    ----------
    label : str
        What was simulated (policy and pools).
    rates_per_gpu : numpy.ndarray
        Arrival rates divided by every GPU used (requests/s per GPU).
    n_gpus : int
        GPUs used (prefill and decode pools included).
    results : list of ServingResult
        One simulation per rate.
    """

    label: str
    rates_per_gpu: np.ndarray
    n_gpus: int
    results: list

    def curve(self, ttft_ms: float, tpot_ms: float) -> pd.DataFrame:
        """Attainment and throughput against the arrival rate for these targets.

        Parameters
        ----------
        ttft_ms, tpot_ms : float
            Latency targets (ms).

        Returns
        -------
        pandas.DataFrame
            ``rate_per_gpu`` (offered requests/s per GPU), ``attainment`` (share meeting
            both targets), ``throughput_rps_per_gpu`` and ``tokens_per_s_per_gpu``
            (completed), ``goodput_rps_per_gpu_vllm`` (vLLM's definition: requests/s meeting
            every target, at the offered rate), ``ttft_p99_ms`` and ``tpot_p99_ms``.
        """
        rows = []
        for rate, res in zip(self.rates_per_gpu, self.results, strict=True):
            req, s = res.requests, res.summary
            att = slo_attainment(req, ttft_ms, tpot_ms)
            rows.append({
                "rate_per_gpu": rate,
                "attainment": att,
                "throughput_rps_per_gpu": s["requests_per_s"] / self.n_gpus,
                "tokens_per_s_per_gpu": s["tokens_per_s_per_gpu"],
                "goodput_rps_per_gpu_vllm": att * s["n_requests"] / s["duration_s"] / self.n_gpus,
                "ttft_p99_ms": s["ttft_ms_p99"],
                "tpot_p99_ms": s["tpot_ms_p99"],
            })  # fmt: skip
        return pd.DataFrame(rows)

    def goodput_per_gpu(self, ttft_ms: float, tpot_ms: float, attainment: float = 0.9) -> float:
        """DistServe's goodput per GPU read off the grid: the highest rate whose attainment is
        at least ``attainment``, interpolated linearly where the curve crosses it (0 when even
        the lowest rate misses; the last rate when none does).

        Parameters
        ----------
        ttft_ms, tpot_ms : float
            Latency targets (ms).
        attainment : float
            Share of requests that must meet both, in (0, 1].

        Returns
        -------
        float
            Requests/s per GPU (a grid estimate; :func:`goodput` bisects precisely).
        """
        require_in_range("attainment", attainment, 0.0, 1.0, low_open=True)
        c = self.curve(ttft_ms, tpot_ms)
        r, a = c["rate_per_gpu"].to_numpy(), c["attainment"].to_numpy()
        ok = a >= attainment
        if not ok[0]:
            return 0.0
        if ok.all():
            return float(r[-1])
        i = int(np.flatnonzero(~ok)[0])  # the first rate that misses
        lo_r, hi_r, lo_a, hi_a = r[i - 1], r[i], a[i - 1], a[i]
        return float(lo_r + (lo_a - attainment) / (lo_a - hi_a) * (hi_r - lo_r))


@renamed_parameters(n_gpus="tensor_parallel")
def capacity_estimate_rps(model, gpu, prompt_tokens: float, output_tokens: float, **kw) -> float:
    """Requests/s one instance can sustain at most: static batching at the largest batch
    that fits, at most :data:`DEFAULT_MAX_RUNNING_REQUESTS` (the simulator's default; an upper
    anchor for rate grids, not a goodput).

    Parameters
    ----------
    model, gpu : str or spec
        What serves.
    prompt_tokens, output_tokens : float
        Mean request lengths.
    **kw
        ``precision``, ``efficiency``, ``tensor_parallel`` as in
        :func:`inferecon.serving_performance`.

    Returns
    -------
    float
        Requests per second.
    """
    from .serving import max_batch

    n = kw.get("tensor_parallel", 1)
    prec = kw.get("precision", "bf16")
    b = max(int(max_batch(model, gpu, prompt_tokens + output_tokens, prec, tensor_parallel=n)), 1)
    sp = serving_performance(model, gpu, min(b, DEFAULT_MAX_RUNNING_REQUESTS), round(prompt_tokens),
                             round(output_tokens), check_memory=False, **kw).iloc[0]  # fmt: skip
    return float(sp["output_tokens_per_s_total"] / output_tokens)


@renamed_parameters(n_gpus="tensor_parallel")
def rate_grid_per_gpu(model, gpu, prompt_tokens, output_tokens, n_rates: int = 10,
                      **kw) -> np.ndarray:  # fmt: skip
    """The default grid of arrival rates per GPU for a load sweep.

    ``n_rates`` rates spaced evenly on a log scale over :data:`RATE_GRID_CAPACITY_SHARES` of
    :func:`capacity_estimate_rps` per GPU of one instance (:func:`load_sweep`'s default and
    notebook 03's goodput explorer).

    Parameters
    ----------
    model, gpu : str or spec
        What serves.
    prompt_tokens, output_tokens : int, float or LengthDistribution
        Request lengths (their means set the capacity).
    n_rates : int
        Rates in the grid (>= 2).
    **kw
        ``precision``, ``efficiency``, ``tensor_parallel`` as in :func:`capacity_estimate_rps`.

    Returns
    -------
    numpy.ndarray
        Requests/s per GPU, increasing.
    """
    n = require_in_range("n_rates", n_rates, 2, 1000)
    p = prompt_tokens if isinstance(prompt_tokens, LengthDistribution) else fixed_lengths(
        prompt_tokens)  # fmt: skip
    o = output_tokens if isinstance(output_tokens, LengthDistribution) else fixed_lengths(
        output_tokens)  # fmt: skip
    kw = {k: kw[k] for k in ("precision", "efficiency", "tensor_parallel") if k in kw}
    cap = capacity_estimate_rps(model, gpu, _mean(p), _mean(o), **kw) / int(
        kw.get("tensor_parallel", 1)
    )
    lo, hi = RATE_GRID_CAPACITY_SHARES
    return np.geomspace(lo * cap, hi * cap, int(n))


@renamed_parameters(n_gpus="tensor_parallel")
def load_sweep(
    model,
    gpu,
    rates_per_gpu=None,
    *,
    policy: str = "chunked_prefill",
    prompt_tokens: int | LengthDistribution = 512,
    output_tokens: int | LengthDistribution = 256,
    n_requests: int = 2_000,
    seed: int = 0,
    n_rates: int = 10,
    **simulate_kwargs,
) -> LoadSweep:
    """Simulate one configuration at a grid of Poisson arrival rates (the same draws at each).

    Parameters
    ----------
    model, gpu : str or spec
        What serves.
    rates_per_gpu : array-like, optional
        Arrival rates per GPU (requests/s per GPU, > 0). By default
        :func:`rate_grid_per_gpu` with ``n_rates`` rates.
    policy : str
        As in :func:`simulate_serving`.
    prompt_tokens, output_tokens : int or LengthDistribution
        Request lengths.
    n_requests : int
        Requests per simulation.
    seed : int
        Seed of the workload's draws.
    n_rates : int
        Grid size when ``rates_per_gpu`` is not given.
    **simulate_kwargs
        Passed to :func:`simulate_serving` (``tensor_parallel``, ``prefill_instances``,
        ``decode_instances``, ``precision``, ``max_running_requests``...).

    Returns
    -------
    LoadSweep
    """
    tensor_parallel = int(simulate_kwargs.get("tensor_parallel", 1))
    pools = 1
    if policy == "disaggregated":
        pools = int(simulate_kwargs.get("prefill_instances", 1)) + int(
            simulate_kwargs.get("decode_instances", 1)
        )
    total = tensor_parallel * pools
    p = _lengths(prompt_tokens, "prompt_tokens")
    o = _lengths(output_tokens, "output_tokens")
    if rates_per_gpu is None:
        rates_per_gpu = rate_grid_per_gpu(model, gpu, p, o, n_rates, **simulate_kwargs)
    rates = np.asarray(rates_per_gpu, dtype=float)
    require_positive("rates_per_gpu", rates)
    base = poisson_workload(1.0, n_requests, p, o)
    results = [simulate_serving(model, gpu, base.at_rate(r * total), policy=policy, seed=seed,
                                **simulate_kwargs) for r in rates]  # fmt: skip
    label = policy if policy != "disaggregated" else (
        f"disaggregated {simulate_kwargs.get('prefill_instances', 1)}P"
        f"{simulate_kwargs.get('decode_instances', 1)}D")  # fmt: skip
    return LoadSweep(label, rates, total, results)


def _mean(dist: LengthDistribution) -> float:
    if dist.kind == "empirical":
        return float(np.mean(dist.values))
    return float(dist.mean)


# --------------------------------------------------------------------------- queueing theory


class ConstantService:
    """A :class:`StepTimeModel` with constant times: every prefill iteration takes
    ``service_s`` seconds, every decode iteration ``decode_s``, a KV-cache transfer
    ``transfer_s``; the cache holds ``kv_capacity_tokens``. With one-token outputs and one
    request at a time the server is an M/D/1 queue under Poisson arrivals (used by
    :func:`queueing_check` and the tests).

    Parameters
    ----------
    service_s : float
        Seconds of an iteration that prefills (> 0).
    decode_s : float
        Seconds added when it also decodes (>= 0).
    kv_capacity_tokens : int
        KV-cache tokens per instance (what :meth:`kv_capacity_tokens` returns).
    transfer_s : float
        Seconds to move a prompt's KV cache between pools (>= 0).
    """

    @renamed_parameters(kv_tokens="kv_capacity_tokens")
    def __init__(self, service_s: float, decode_s: float = 0.0,
                 kv_capacity_tokens: int = 1 << 20, transfer_s: float = 0.0):  # fmt: skip
        self.service_s = require_positive("service_s", service_s)
        self.decode_s = require_in_range("decode_s", decode_s, 0.0, 1e9)
        self.kv_tokens = int(
            require_in_range("kv_capacity_tokens", kv_capacity_tokens, BLOCK_TOKENS, 1e15)
        )
        self.transfer_s = require_in_range("transfer_s", transfer_s, 0.0, 1e9)

    def kv_capacity_tokens(self, memory_fraction=None):
        return self.kv_tokens

    def kv_transfer_s(self, prompt_tokens):
        return np.full(np.shape(prompt_tokens), self.transfer_s)

    def iteration_s(
        self, prefill_tokens, prefill_pairs, prefill_prefix_tokens, decode_sequences,
        decode_context,
    ):  # fmt: skip
        return (self.service_s if prefill_tokens else 0.0) + (
            self.decode_s if decode_sequences else 0.0
        )

    def decode_form(self, decode_sequences, decode_context):
        return (self.decode_s, 0.0, 0.0, 0.0, 0.0)

    def prefill_pairs(self, chunk_tokens, cached_tokens=0):
        return chunk_tokens * cached_tokens + chunk_tokens * (chunk_tokens + 1) / 2


def queueing_check(rho: float = 0.7, service_s: float = 1.0, n_requests: int = 50_000,
                   seed: int = 0) -> dict:  # fmt: skip
    """Run the simulator as an M/D/1 queue and compare it with queueing theory.

    One request at a time (``max_running_requests=1``), one-token outputs, a constant service
    time and Poisson arrivals at ``rho / service_s``: the mean wait in the queue must approach the
    Pollaczek-Khinchine value ``rho s / (2 (1 - rho))`` (Kleinrock 1975, *Queueing Systems*
    vol. 1, Eq. 5.105), and Little's law (mean number in the system = arrival rate x mean
    time in the system) must hold between the simulator's own time series of requests queued
    or running and the request table's times. The check needs the whole run: simulated time
    is bounded at 100 times the expected length of the run, and a truncated run raises.

    Parameters
    ----------
    rho : float
        Utilisation, in (0, 1).
    service_s : float
        Service time (s), > 0.
    n_requests : int
        Requests simulated.
    seed : int
        Seed of the arrivals.

    Returns
    -------
    dict
        ``mean_wait_s`` (simulated) and ``mean_wait_s_theory``, their relative difference,
        ``number_in_system`` (time average of the simulator's own count of requests queued or
        running, ``ServingResult.summary["mean_in_system"]``) and ``littles_law`` (arrival
        rate x mean time in the system, from the request table).

    Raises
    ------
    RuntimeError
        If the run was truncated (it never is within the bound unless the simulator is wrong).
    """
    require_in_range("rho", rho, 0.0, 1.0, low_open=True, high_open=True)
    require_positive("service_s", service_s)
    n = _check_n(n_requests)
    rate = rho / service_s
    wl = poisson_workload(rate, n, 1, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a truncated run raises below
        res = simulate_serving(workload=wl, policy="prefill_first", max_running_requests=1,
                               cost=ConstantService(service_s), seed=seed,
                               max_time_s=100.0 * (n / rate + service_s))  # fmt: skip
    if res.summary["truncated"]:
        raise RuntimeError(
            f"queueing_check needs the whole run, but {res.summary['unfinished']:,} of {n:,} "
            "requests did not finish within the bound on simulated time"
        )
    req = res.requests
    wait = float((req["first_token_s"] - req["arrival_s"]).mean() - service_s)
    theory = rho * service_s / (2 * (1 - rho))
    span = res.summary["end_s"] - float(req["arrival_s"].min())
    return {
        "mean_wait_s": wait,
        "mean_wait_s_theory": theory,
        "relative_difference": wait / theory - 1.0,
        "number_in_system": res.summary["mean_in_system"],
        "littles_law": len(req) / span * float(req["e2e_s"].mean()),
    }
