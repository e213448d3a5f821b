"""A continuous-batching serving simulator on the calibrated step model.

Real servers (vLLM, SGLang, TensorRT-LLM) batch *continuously*: requests arrive at random,
join the running batch between iterations and leave when done, so the latency a user sees
depends on the load. :func:`simulate_serving` replays a workload through such a server, one
scheduler iteration at a time, each costed by :class:`inferecon.IterationCost` (the same
calibrated roofline as notebook 02), and reports every request's time to first token (TTFT),
time per output token (TPOT), largest gap between two tokens and end-to-end latency.

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
    Patel et al. 2024, arXiv:2311.18677). Either pool of a MoE model may run with wide expert
    parallelism and data-parallel attention (``prefill_expert_parallel``,
    ``decode_expert_parallel``; every GPU of the group a rank with its own requests, its
    iterations costed by :class:`inferecon.ExpertParallelIterationCost`), as SGLang serves
    DeepSeek with prefill and decode on separate EP pools (LMSYS, 2025-05-05,
    https://lmsys.org/blog/2025-05-05-large-scale-ep).

Your own step times: every policy takes any object with the methods of
:class:`StepTimeModel` in place of :class:`inferecon.IterationCost` (``simulate_serving(cost=
...)``), for example a table of step times measured on your own engine, as DistServe's and
Vidur's simulators take profiled latencies. The queueing-theory checks plug in constant and
exponential service times (:class:`ConstantService`) and run the same code path.
"""

from __future__ import annotations

import math
import time as _time
import warnings
from array import array
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
import pandas as pd

from ._validate import plain, renamed_parameters, require_in_range, require_positive
from .continuous_batching import BLOCK_TOKENS, _empty_requests, _max_gaps, _run_instance
from .serving import DEFAULT_MEMORY_FRACTION, IterationCost
from .slo_metrics import _request_table, _summary, _timeline
from .specs import get_gpu, get_model
from .workloads import Workload, _check_n, poisson_workload

__all__ = [
    "CHUNKED_PREFILL_BATCH_TOKENS",
    "ConstantService",
    "DEFAULT_MAX_RUNNING_REQUESTS",
    "POLICIES",
    "PREFILL_FIRST_MIN_BATCH_TOKENS",
    "ServingResult",
    "StepTimeModel",
    "queueing_check",
    "simulate_serving",
]

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
    prefill_expert_parallel: int = 1,
    decode_expert_parallel: int = 1,
    expert_parallel_interconnect_gb_s: float | None = None,
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
        Pool sizes for ``"disaggregated"`` (instances of ``tensor_parallel`` GPUs each, or of
        ``prefill_expert_parallel`` / ``decode_expert_parallel`` GPUs; requests are dealt to
        them in turn).
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
        KV-cache tokens per instance (per GPU of an expert-parallel pool), instead of the
        memory model's (or ``cost``'s).
    prefill_expert_parallel, decode_expert_parallel : int
        For ``"disaggregated"`` with a MoE model: run that pool's instances with expert
        parallelism over this many GPUs each and data-parallel attention (every GPU a rank
        with its own requests, KV cache and scheduler, requests dealt to the ranks in turn;
        its iterations costed by :class:`inferecon.ExpertParallelIterationCost`, the model of
        :func:`inferecon.expert_parallel_decode_performance`); ``tensor_parallel`` then sizes
        only the other pool, and ``max_running_requests`` and ``kv_capacity_tokens`` count
        per GPU of this one. 1 (the default): the pool's instances are tensor-parallel, as
        without these parameters. In [1, the GPU's ``nvlink_domain_gpus``] unless
        ``expert_parallel_interconnect_gb_s`` is given. A prompt's KV cache moves at the
        slower of the two pools' transfers (:meth:`StepTimeModel.kv_transfer_s`).
    expert_parallel_interconnect_gb_s : float, optional
        All-to-all link bandwidth per GPU and direction (GB/s) of the expert-parallel pools
        (a scale-out network beyond the NVLink domain); the GPU's NVLink by default.

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
    for name, v in (("prefill_expert_parallel", prefill_expert_parallel),
                    ("decode_expert_parallel", decode_expert_parallel)):  # fmt: skip
        require_in_range(name, v, 1, 4096)
        if v != round(v):
            raise ValueError(f"{name} must be a whole number; got {plain(v)!r}")
        if v > 1 and policy != "disaggregated":
            raise ValueError(f"{name} sizes a pool of the disaggregated policy; got {plain(v)!r} "
                             f"with policy {policy!r}")  # fmt: skip
        if v > 1 and cost is not None:
            raise ValueError(f"{name} builds its pool's step model from model and gpu; got "
                             f"{plain(v)!r} with a cost")  # fmt: skip
    if expert_parallel_interconnect_gb_s is not None:
        require_positive("expert_parallel_interconnect_gb_s", expert_parallel_interconnect_gb_s)
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
    if kv_capacity_tokens is not None:
        require_in_range("kv_capacity_tokens", kv_capacity_tokens, 1, 1e15)
    # the pools: (step model, instances simulated, GPUs each, KV blocks each)
    sizes = {"prefill": 1} if policy != "disaggregated" else {
        "prefill": int(prefill_expert_parallel), "decode": int(decode_expert_parallel)}  # fmt: skip
    pools = [_pool(pool, c, model, gpu, precision, efficiency, ep, int(tensor_parallel), cost,
                   kv_capacity_tokens, memory_fraction, expert_parallel_interconnect_gb_s,
                   allow_weight_only)
             for pool, ep in sizes.items()]  # fmt: skip
    kv_blocks = pools[0][3]
    req = _empty_requests(df)
    n = len(df)
    kw = dict(max_running_requests=int(max_running_requests),
              max_batch_tokens=int(max_batch_tokens), max_time_s=float(max_time_s))  # fmt: skip
    max_gap = np.full(n, np.nan)
    outs = []
    if policy != "disaggregated":
        closed = (
            (workload.concurrency, workload.think_time_s) if workload.kind == "closed" else None
        )
        ids = list(range(n)) if closed else np.argsort(df["arrival_s"], kind="stable").tolist()
        out = _run_instance(c, req, ids, policy=policy, closed=closed, kv_blocks=kv_blocks, **kw)
        outs.append(out)
        max_gap[ids] = _max_gaps(req, ids, out)
        total_gpus = int(tensor_parallel)
        caps = [kv_blocks]
    else:
        counts = (int(prefill_instances), int(decode_instances))
        caps = _disaggregated(pools, counts, req, df, kw, outs, max_gap)
        total_gpus = sum(k * p[2] for k, p in zip(counts, pools, strict=True))
    end_t = max(o["end_t"] for o in outs)
    runs = [o["timeline"] for o in outs]
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


def _pool(pool, c, model, gpu, precision, efficiency, expert_parallel, tensor_parallel, cost,
          kv_capacity_tokens, memory_fraction, interconnect_gb_s, allow_weight_only):  # fmt: skip
    """``(step model, simulated instances per instance, GPUs per instance, KV blocks per
    simulated instance)`` of a pool: ``c`` (tensor-parallel), or the ranks of an
    expert-parallel group with data-parallel attention."""
    ep = expert_parallel > 1
    if ep:
        from .expert_parallel import ExpertParallelIterationCost

        m, g = get_model(model), get_gpu(gpu)
        name = f"{pool}_expert_parallel"
        if not m.n_experts:
            raise ValueError(f"{name} needs a MoE model (experts to spread); {m.name} has no "
                             f"routed experts: got {name}={expert_parallel}")  # fmt: skip
        top = g.nvlink_domain_gpus
        if interconnect_gb_s is None and not expert_parallel <= top:
            raise ValueError(
                f"{name} must be in [1, {top}] on {g.name} (its NVLink domain, data/gpus.csv "
                f"nvlink_domain_gpus); got {expert_parallel}: pass "
                "expert_parallel_interconnect_gb_s to model a scale-out network beyond it"
            )
        c = ExpertParallelIterationCost(
            model, gpu, precision, efficiency, expert_parallel=expert_parallel,
            interconnect_gb_s=interconnect_gb_s, allow_weight_only=allow_weight_only,
        )  # fmt: skip
    tokens = kv_capacity_tokens
    if tokens is None:
        tokens = c.kv_capacity_tokens(memory_fraction)
    blocks = int(tokens) // BLOCK_TOKENS
    if blocks < 1:
        where = "" if cost is not None else (
            f"on {get_gpu(gpu).name} EP{expert_parallel} " if ep
            else f"on {get_gpu(gpu).name} x{tensor_parallel} ")  # fmt: skip
        raise ValueError(
            f"no KV cache fits: the weights leave no room {where}at memory_fraction "
            f"{memory_fraction} (add GPUs or lower the precision)"
        )
    return c, expert_parallel, expert_parallel if ep else tensor_parallel, blocks


def _disaggregated(pools, counts, req, df, kw, outs, max_gap):
    """Prefill pool, KV transfer, decode pool: simulated one after the other (open loop).
    ``pools``: :func:`_pool` of each; ``counts``: instances of each. Returns the KV blocks of
    each simulated instance, in the order of ``outs``."""
    (c_pre, ranks_pre, _, blocks_pre), (c_dec, ranks_dec, _, blocks_dec) = pools
    n_pre, n_dec = counts[0] * ranks_pre, counts[1] * ranks_dec
    order = np.argsort(df["arrival_s"].to_numpy(float), kind="stable").tolist()
    for i in range(n_pre):  # prefill pool: requests leave with their first token
        outs.append(_run_instance(c_pre, req, order[i::n_pre], policy="prefill_first",
                                  prefill_only=True, kv_blocks=blocks_pre, **kw))  # fmt: skip
    # the prompt's KV cache moves to the decode pool (StepTimeModel.kv_transfer_s), at the
    # slower of the two pools' transfers (each side's GPUs send or receive their shard)
    first = np.asarray(req["first"], dtype=float)
    prompt = np.asarray(req["prompt"], dtype=float)
    transfer = np.asarray(c_pre.kv_transfer_s(prompt), dtype=float)
    if c_dec is not c_pre:
        transfer = np.maximum(transfer, np.asarray(c_dec.kv_transfer_s(prompt), dtype=float))
    ready = first + np.broadcast_to(transfer, first.shape)
    req["finish"][:] = array("d", [math.nan]) * len(req["finish"])  # prefill exits are not ends
    dec = dict(req)
    dec["arrival"] = ready  # the decode pool sees a request when its KV cache lands
    done = np.flatnonzero(np.isfinite(ready))
    done = done[np.argsort(ready[done], kind="stable")].tolist()
    for i in range(n_dec):
        ids = done[i::n_dec]
        out = _run_instance(c_dec, dec, ids, policy="prefill_first", prefilled=set(ids),
                            kv_blocks=blocks_dec, **kw)  # fmt: skip
        outs.append(out)
        max_gap[ids] = _max_gaps(req, ids, out)
    return [blocks_pre] * n_pre + [blocks_dec] * n_dec


# --------------------------------------------------------------------------- goodput


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
