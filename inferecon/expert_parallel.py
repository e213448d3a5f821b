"""Wide expert parallelism with data-parallel attention: a MoE model served over a whole NVLink
domain (an 8-GPU HGX board, a 72-GPU GB200 NVL72 rack).

Under expert parallelism (EP) over ``n`` GPUs the routed experts of every MoE layer are spread
over the ``n`` GPUs (each holds ``ceil((E + R) / n)`` of the ``E`` experts and ``R`` redundant
copies), while attention runs data-parallel: every GPU holds whole requests, their KV cache and a
full copy of the attention, dense and shared-expert weights (DeepSeek-V3 technical report,
arXiv:2412.19437, Sec. 3.4; SGLang's "DP attention" with DeepEP, LMSYS blog 2025-05-05,
https://lmsys.org/blog/2025-05-05-large-scale-ep). One decode step of ``batch`` sequences on each
GPU is then, per GPU,

    step = replicated weights and GEMMs over ``batch`` rows  (as tensor-parallel 1)
         + attention over the GPU's own ``batch`` sequences   (as tensor-parallel 1)
         + routed experts: the GPU's touched experts read, ``batch * k * imbalance`` GEMM rows
         + all-to-all dispatch and combine, twice per MoE layer
         + overhead

The first two and the overhead come from :mod:`inferecon.serving` (read-only:
:func:`~inferecon.decode_performance` and :func:`~inferecon.prefill_performance` at
tensor-parallel 1); this module swaps the routed-expert term those steps charged (every expert
local) for its expert-parallel share and adds the all-to-all. The expert term has serving's form:
for a calibrated engine (``Efficiency.operator_model``) the GEMM time model of
:mod:`inferecon.operator_times`, one grouped GEMM per expert matrix over the experts the GPU
reads, each multiplying its share of the rows, plus the MoE layer's routing kernels over the
GPU's own tokens (:data:`~inferecon.MOE_ROUTING_KERNELS`); for the ceiling and float efficiencies
:class:`~inferecon.IterationCost`'s roofline of the touched experts' bytes and the rows' FLOPs.

* **Expert load.** Each GPU's ``batch`` tokens each pick ``k`` experts, so the mean GPU receives
  ``batch * k`` token-expert rows per MoE layer (every GPU sends as many as it receives on
  average); the busiest receives :data:`EXPERT_IMBALANCE_FACTOR` times that. The distinct experts
  a GPU reads are its share of the ``E (1 - (1 - k/E)^(batch n))`` the whole group touches
  (:func:`~inferecon.distinct_experts`), at most the experts it holds.
* **All-to-all.** Dispatch sends each token's hidden state to its ``k`` experts in FP8 (DeepEP's
  FP8 dispatch), combine returns them in BF16: ``k * hidden`` values per token, of which ``(n -
  1) / n`` leave the GPU; the busiest GPU receives ``imbalance`` times the mean. Time = latency +
  bytes / (link bandwidth x share).
* **DP attention.** Each GPU holds the KV cache of its own requests, unsharded, beside the
  replicated weights and its experts (:func:`dp_attention_kv_capacity_tokens`).

With ``efficiency=1.0`` (the physical ceiling) the all-to-all has no latency, runs at the
datasheet link bandwidth and overlaps the computation completely (DeepSeek's two micro-batches,
"dual micro-batch overlap"), so the step is the longer of the two; a calibrated engine (an
efficiency with overheads or sequential operations) adds it after the computation, with the
measured latency (:func:`all_to_all_latency_us`) and DeepEP's measured share of the link
(:data:`ALL_TO_ALL_BANDWIDTH_SHARE`): SGLang disables the overlap on GB200 NVL72, whose NVLink
all-to-all is short (LMSYS, 2025-06-16, https://lmsys.org/blog/2025-06-16-gb200-part-1). Where an
engine runs two-batch overlap (SGLang's ``--enable-two-batch-overlap``, as on InfiniBand-linked
H100 nodes), ``two_batch_overlap=True`` splits the step into two micro-batches whose all-to-all
runs under the other's computation: ``2 max(work(batch / 2), all-to-all(batch / 2))`` plus the
overhead, each micro-batch paying its own kernels, weight reads and latencies.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ._validate import plain, require_flag, require_in_range, require_positive, scalar_or_array
from .collectives import send_recv_parameters
from .serving import DEFAULT_MEMORY_FRACTION, IterationCost, usable_memory_gb, weight_memory_gb
from .specs import (
    PRECISION_BYTES,
    GPUSpec,
    ModelSpec,
    check_precision,
    distinct_experts,
    get_model,
    kv_bytes_per_token,
)

__all__ = [
    "ALL_TO_ALL_BANDWIDTH_SHARE",
    "EXPERT_IMBALANCE_FACTOR",
    "EXPERT_PARALLEL_SIZES",
    "ExpertParallelIterationCost",
    "all_to_all_latency_us",
    "all_to_all_time_us",
    "dp_attention_kv_capacity_tokens",
    "expert_load",
    "expert_parallel_claims",
    "expert_parallel_decode_performance",
    "expert_parallel_serving_performance",
    "expert_parallel_weight_memory_gb",
]

EXPERT_IMBALANCE_FACTOR = 59_337 / 50_302
"""Tokens routed to the busiest GPU over the mean, 1.18 (59,337 / 50,302).

Source: LMSYS / SGLang team, "Deploying DeepSeek with PD Disaggregation and Large-scale Expert
Parallelism on 96 H100 GPUs" (2025-05-05, https://lmsys.org/blog/2025-05-05-large-scale-ep),
table "Overall Throughput" (prefill, DeepSeek-V3, 4 nodes of 8 H100 with EP32, 16,384 tokens per
GPU, 4,096-token inputs): 50,302 tokens/s per node with the real expert distribution (EPLB
applied) against 59,337 with simulated perfect balance. The whole step is 1.18 times slower with
the measured imbalance, so the busiest GPU's expert load is at least 1.18 times the mean (the
non-expert part of the step is not imbalanced); the same post's balancedness figure (mean over
maximum GPU load, simulated) falls with the EP size, which one number does not capture. Pass
``imbalance_factor=1.0`` for perfect balance."""

ALL_TO_ALL_BANDWIDTH_SHARE = 726.0 / 900.0
"""Share of the datasheet NVLink bandwidth per direction an expert-parallel all-to-all reaches,
0.81: DeepEP V2 on Blackwell (SM100), EP8 over NVLink, dispatch 726 GB/s and combine 740 GB/s
"logical bandwidth" at 8K tokens per batch, hidden 7,168, top-8, FP8 dispatch, BF16 combine
(https://github.com/deepseek-ai/DeepEP README, "Performance", commit 0297fc8), against NVLink5's
900 GB/s per direction (``data/gpus.csv``). The lower (dispatch) share is used for both. DeepEP
V1 on H800 reached 153-158 GB/s of NVLink's ~160 (``docs/legacy.md``), 96-99%."""

EXPERT_PARALLEL_SIZES = (8, 16, 32, 64, 72)
"""Expert-parallel sizes :func:`inferecon.throughput_frontier` tries for a MoE model, each only
where the GPU's ``nvlink_domain_gpus`` (``data/gpus.csv``) holds it."""


def all_to_all_latency_us(gpu: str | GPUSpec) -> float:
    """Fixed cost of one dispatch or combine inside a GPU's NVLink domain (microseconds).

    The fitted latency of a point-to-point send/recv between two GPUs of the node
    :data:`inferecon.COLLECTIVE_NODES` assigns the GPU (:data:`inferecon.COLLECTIVE_FITS`,
    Vidur's measured timings; the rule the serving model's KV-cache transfer uses): 14.56 us on
    the A100 DGX, 7.64 us on the H100 DGX, which H200, B200, GB200, MI300X and GPUs the table
    does not know borrow (a transfer rule, not a measurement); the PCIe-connected pairwise
    node's 8.37 us for H100 PCIe, L40S and L4, the A40 bridge's 2.34 us. An all-to-all sends to
    every peer at once, so its fixed cost is taken as one transfer's.

    Parameters
    ----------
    gpu : str or GPUSpec
        The accelerator.

    Returns
    -------
    float
        Microseconds.
    """
    return float(send_recv_parameters(gpu)[0])  # the KV transfer's rule, one place


def all_to_all_time_us(
    tokens_per_gpu,
    hidden_size,
    n_experts_active,
    expert_parallel,
    bandwidth_gb_s,
    latency_us=0.0,
    bytes_per_value=1.0,
    imbalance_factor=1.0,
):
    """Time of one expert-parallel dispatch (or combine) on the busiest GPU (microseconds).

    Each of a GPU's ``tokens_per_gpu`` tokens goes to ``k`` experts; ``(n - 1) / n`` of those
    copies leave the GPU, ``hidden_size`` values of ``bytes_per_value`` bytes each, and the
    busiest GPU receives ``imbalance_factor`` times the mean:

        t = latency + imbalance * T * k * (n - 1) / n * hidden * bytes / bandwidth

    Parameters
    ----------
    tokens_per_gpu : float or array
        Tokens each GPU routes in the step (its decode batch, or its prompt tokens), >= 0.
    hidden_size : int
        Model width (values per token), >= 1.
    n_experts_active : int or array
        Experts each token is routed to, ``k``, >= 1.
    expert_parallel : int or array
        GPUs the experts are spread over, ``n``, >= 1 (1 moves nothing but the latency).
    bandwidth_gb_s : float or array
        Link bandwidth per GPU and direction (GB/s) the all-to-all reaches, > 0.
    latency_us : float or array
        Fixed cost (microseconds), >= 0.
    bytes_per_value : float or array
        1 for FP8 dispatch, 2 for BF16 combine (DeepEP's formats), > 0.
    imbalance_factor : float or array
        Busiest GPU's load over the mean, >= 1.

    Returns
    -------
    float or numpy.ndarray
        Microseconds, broadcast over the arguments.
    """
    t = require_in_range("tokens_per_gpu", tokens_per_gpu, 0.0, np.inf)
    h = require_in_range("hidden_size", hidden_size, 1.0, np.inf)
    k = require_in_range("n_experts_active", n_experts_active, 1.0, np.inf)
    n = require_in_range("expert_parallel", expert_parallel, 1.0, np.inf)
    bw = require_positive("bandwidth_gb_s", bandwidth_gb_s)
    lat = require_in_range("latency_us", latency_us, 0.0, np.inf, high_open=True)
    b = require_positive("bytes_per_value", bytes_per_value)
    imb = require_in_range("imbalance_factor", imbalance_factor, 1.0, np.inf, high_open=True)
    n = np.asarray(n, dtype=float)
    moved = np.asarray(imb) * t * np.asarray(k) * (n - 1.0) / n * np.asarray(h) * np.asarray(b)
    return scalar_or_array(np.asarray(lat) + moved / (np.asarray(bw) * 1e9) * 1e6)


def _experts_per_gpu(m: ModelSpec, n, n_redundant_experts) -> np.ndarray:
    return np.ceil((m.n_experts + n_redundant_experts) / np.asarray(n, dtype=float))


def _touched_per_gpu(m: ModelSpec, batch, n, n_redundant_experts) -> np.ndarray:
    """Distinct experts one GPU reads: its share of those the group's ``batch * n`` tokens
    touch, at most the experts it holds."""
    touched = distinct_experts(m.n_experts, m.n_experts_active, batch * n) / n
    return np.minimum(touched, _experts_per_gpu(m, n, n_redundant_experts))


def _memory(m, g, batch, context, n, r, precision, kvp, memory_fraction):
    """(GB needed per GPU, sequences that fit per GPU, fits, GB usable) under EP + DP attention."""
    weights = np.asarray(expert_parallel_weight_memory_gb(m, precision, n, r), dtype=float)
    per_seq = m.attended_positions(context) * kv_bytes_per_token(m, kvp)
    need = weights + batch * per_seq / 1e9
    usable = usable_memory_gb(g, memory_fraction)
    cap = np.maximum(np.floor((usable - weights) * 1e9 / per_seq), 0)
    return need, cap, need <= usable, usable


def _raise_if_oom(m, g, b, c, n, need, cap, fits, usable, precision):
    if not fits.all():
        i = int(np.flatnonzero(~fits)[0])
        raise ValueError(
            f"batch {int(b[i])} per GPU at context {int(c[i])} tokens does not fit: {m.name} in "
            f"{precision} over EP{int(n[i])} needs {need[i]:,.1f} GB per GPU but {g.name} has "
            f"{usable:,.1f} GB usable; at most {int(cap[i])} sequence(s) per GPU fit "
            "(pass check_memory=False to compute it anyway)"
        )


def _check_moe(m: ModelSpec) -> None:
    if not m.n_experts:
        raise ValueError(
            f"model {m.name!r} has no routed experts: expert parallelism needs a MoE model"
        )


def _check_ep(expert_parallel, n_redundant_experts):
    n = require_in_range("expert_parallel", expert_parallel, 1, 4096)
    if np.any(np.asarray(n) != np.round(n)):
        raise ValueError(
            f"expert_parallel must be a whole number of GPUs; got {plain(expert_parallel)!r}"
        )
    r = require_in_range("n_redundant_experts", n_redundant_experts, 0, 100_000)
    return np.asarray(n, dtype=float), float(r)


def expert_load(
    model: str | ModelSpec,
    batch,
    expert_parallel,
    *,
    imbalance_factor: float = EXPERT_IMBALANCE_FACTOR,
    n_redundant_experts: int = 0,
) -> pd.DataFrame:
    """Per-step routed-expert load of each GPU under expert parallelism, per MoE layer.

    Parameters
    ----------
    model : str or ModelSpec
        A MoE model.
    batch : float or array
        Tokens each GPU contributes to the step (its decode sequences), >= 0.
    expert_parallel : int or array
        GPUs the experts are spread over (broadcasts with ``batch``).
    imbalance_factor : float
        Busiest GPU's rows over the mean, >= 1 (default :data:`EXPERT_IMBALANCE_FACTOR`).
    n_redundant_experts : int
        Extra expert copies (DeepSeek's EPLB: 32 beside 256), >= 0.

    Returns
    -------
    pandas.DataFrame
        ``batch``, ``expert_parallel``, ``expert_rows_mean`` (token-expert GEMM rows a GPU
        receives on average: ``batch * k``), ``expert_rows_busiest`` (``imbalance`` times that),
        ``experts_per_gpu`` (held: ``ceil((E + R) / n)``) and ``experts_touched_per_gpu``
        (distinct experts read: the group's ``distinct_experts(E, k, batch * n)`` over ``n``, at
        most those held).
    """
    m = get_model(model)
    _check_moe(m)
    b = require_in_range("batch", batch, 0.0, np.inf)
    n, r = _check_ep(expert_parallel, n_redundant_experts)
    imb = float(require_in_range("imbalance_factor", imbalance_factor, 1.0, 1e3))
    b, n = (a.ravel() for a in np.broadcast_arrays(np.asarray(b, dtype=float), n))
    held = _experts_per_gpu(m, n, r)
    return pd.DataFrame(
        {
            "batch": b,
            "expert_parallel": n.astype(np.int64),
            "expert_rows_mean": b * m.n_experts_active,
            "expert_rows_busiest": imb * b * m.n_experts_active,
            "experts_per_gpu": held.astype(np.int64),
            "experts_touched_per_gpu": _touched_per_gpu(m, b, n, r),
        }
    )


def expert_parallel_weight_memory_gb(
    model: str | ModelSpec, precision: str = "bf16", expert_parallel=8, n_redundant_experts=0
):
    """Weights on each GPU under expert parallelism with data-parallel attention (GB).

    Everything but the routed experts is replicated on every GPU (:func:`~inferecon.
    weight_memory_gb` at tensor-parallel 1, less the routed experts); each GPU adds its
    ``ceil((E + R) / n)`` experts of every MoE layer.

    Parameters
    ----------
    model : str or ModelSpec
        A MoE model.
    precision : {"bf16", "fp8", "fp4"}
        Weight precision.
    expert_parallel : int or array
        GPUs the experts are spread over.
    n_redundant_experts : int
        Extra expert copies, >= 0.

    Returns
    -------
    float or numpy.ndarray
        GB (1e9 bytes) per GPU.
    """
    m = get_model(model)
    _check_moe(m)
    n, r = _check_ep(expert_parallel, n_redundant_experts)
    w = PRECISION_BYTES[check_precision("precision", precision)]
    routed_gb = m.params_breakdown["routed_experts"] * w / 1e9
    replicated = weight_memory_gb(m, precision, 1) - routed_gb
    own = _experts_per_gpu(m, n, r) * m.n_moe_layers * m.expert_params * w / 1e9
    return scalar_or_array(replicated + own)


def dp_attention_kv_capacity_tokens(
    model: str | ModelSpec,
    gpu: str | GPUSpec,
    expert_parallel=8,
    precision: str = "bf16",
    kv_precision: str | None = None,
    memory_fraction: float = DEFAULT_MEMORY_FRACTION,
    n_redundant_experts: int = 0,
):
    """KV-cache tokens one GPU holds under data-parallel attention and expert parallelism.

    ``(usable memory - expert-parallel weights) / KV bytes per token``: the KV cache is not
    sharded (each GPU holds its own requests whole; the MLA latent once).

    Parameters
    ----------
    model, gpu : str or spec
        A MoE model and the accelerator.
    expert_parallel : int or array
        GPUs the experts are spread over.
    precision, kv_precision : str
        Weight and KV-cache precision (``kv_precision`` defaults to ``precision``).
    memory_fraction : float
        Usable share of the GPU's memory (:func:`~inferecon.usable_memory_gb`).
    n_redundant_experts : int
        Extra expert copies, >= 0.

    Returns
    -------
    int or numpy.ndarray
        Tokens (0 where the weights alone do not fit).
    """
    m = get_model(model)
    usable = usable_memory_gb(gpu, memory_fraction)
    weights = expert_parallel_weight_memory_gb(m, precision, expert_parallel, n_redundant_experts)
    kvb = kv_bytes_per_token(m, kv_precision or precision)
    free = (usable - np.asarray(weights)) * 1e9
    return scalar_or_array(np.maximum(np.floor(free / kvb), 0).astype(np.int64))


# --------------------------------------------------------------------------- the step


def _link(g: GPUSpec, n, interconnect_gb_s):
    """Per-direction link bandwidth of the all-to-all; EP beyond the NVLink domain needs it
    given (a scale-out network)."""
    if interconnect_gb_s is not None:
        return float(require_positive("interconnect_gb_s", interconnect_gb_s))
    top = g.nvlink_domain_gpus
    if np.any(n > top):
        raise ValueError(
            f"expert_parallel must be in [1, {top}] on {g.name} (its NVLink domain, "
            f"data/gpus.csv nvlink_domain_gpus); got {int(np.max(n))}: pass interconnect_gb_s "
            "to model a scale-out network beyond it"
        )
    if not np.isfinite(g.interconnect_gb_s) and np.any(n > 1):
        raise ValueError(f"{g.name} has no interconnect bandwidth in data/gpus.csv; pass "
                         "interconnect_gb_s")  # fmt: skip
    return float(g.interconnect_gb_s)


def _tp1_cost(
    model, gpu, precision, kv_precision, efficiency, pue, usd_per_gpu_hour, allow_weight_only
) -> tuple[IterationCost, float]:
    """Serving's tensor-parallel-1 step model of one GPU of the group (every expert local, the
    step the expert-parallel one starts from) and the GPU's price per hour, arguments checked."""
    cost = IterationCost(model, gpu, precision, efficiency, kv_precision=kv_precision,
                         allow_weight_only=allow_weight_only)  # fmt: skip
    require_in_range("pue", pue, 1.0, 5.0)
    if usd_per_gpu_hour is None:
        return cost, float(cost.gpu.usd_per_gpu_hour_mid)
    return cost, float(require_positive("usd_per_gpu_hour", usd_per_gpu_hour))


def _swap_experts(base: dict, cost: IterationCost, e, tokens, ep, comm_s):
    """Step seconds (and linear seconds) of ``base`` (serving's step dict of a
    tensor-parallel-1 step of ``tokens`` per GPU with every expert local) with its routed-expert
    term replaced by the expert-parallel one and the all-to-all ``comm_s`` added. ``ep = (rows,
    touched)``: the busiest GPU's token-expert rows and the distinct experts it reads per MoE
    layer. The term swapped out is the one the base step charged
    (:meth:`~inferecon.IterationCost.routed_expert_s` of ``tokens``)."""
    overhead = base["overhead"]
    fc, fm, fw = cost.routed_expert_s(tokens)
    ec, em, ew = cost.routed_expert_s(tokens, *ep)
    if e.sequential:
        work = base["step"] - base["comm"] - overhead - fw + ew
        linear = base["linear"] - fw + ew
    else:
        work = np.maximum(base["compute"] - fc + ec, base["memory"] - fm + em)
        linear = work - base["attention"]  # the ceiling's proportional split
        # the ceiling overlaps the all-to-all with computation (DeepSeek's two micro-batches)
        return np.maximum(work, comm_s) + overhead, linear
    return work + comm_s + overhead, linear


def _a2a_s(m, g, e, tokens, n, imb, interconnect_gb_s, latency_us):
    """All-to-all seconds per step: dispatch (FP8) and combine (BF16) in every MoE layer."""
    bw = _link(g, n, interconnect_gb_s)
    engine = e.measured_communication
    if latency_us is None:
        latency_us = all_to_all_latency_us(g) if engine else 0.0
    share = ALL_TO_ALL_BANDWIDTH_SHARE if engine else 1.0
    one = [all_to_all_time_us(tokens, m.hidden_size, m.n_experts_active, n, bw * share,
                              latency_us, by, imb) for by in (1.0, 2.0)]  # fmt: skip
    per_layer = np.where(n > 1, one[0] + one[1], 0.0) * 1e-6
    return m.n_moe_layers * per_layer


def expert_parallel_decode_performance(
    model: str | ModelSpec,
    gpu: str | GPUSpec,
    batch,
    context_tokens,
    expert_parallel=8,
    precision: str = "bf16",
    efficiency=None,
    *,
    kv_precision: str | None = None,
    imbalance_factor: float = EXPERT_IMBALANCE_FACTOR,
    n_redundant_experts: int = 0,
    interconnect_gb_s: float | None = None,
    all_to_all_latency_us: float | None = None,
    two_batch_overlap: bool = False,
    memory_fraction: float = DEFAULT_MEMORY_FRACTION,
    check_memory: bool = True,
    usd_per_gpu_hour: float | None = None,
    pue: float = 1.0,
    allow_weight_only: bool = False,
) -> pd.DataFrame:
    """One decode step of a MoE model under expert parallelism and data-parallel attention.

    Every GPU decodes ``batch`` of its own sequences; the step is the same on every GPU of the
    group (the busiest GPU's expert load sets it). See the module docstring for the terms.

    Parameters
    ----------
    model, gpu : str or spec
        A MoE model and the accelerator.
    batch : int or array
        Sequences each GPU decodes, >= 1.
    context_tokens : int or array
        Tokens each sequence attends over, >= 1.
    expert_parallel : int or array
        GPUs the experts are spread over, in [1, the GPU's ``nvlink_domain_gpus``] unless
        ``interconnect_gb_s`` is given. ``batch``, ``context_tokens`` and ``expert_parallel``
        broadcast.
    precision, efficiency, kv_precision, usd_per_gpu_hour, pue, allow_weight_only
        As in :func:`~inferecon.decode_performance`.
    imbalance_factor : float
        Busiest GPU's expert rows and received bytes over the mean, >= 1.
    n_redundant_experts : int
        Extra expert copies (memory only), >= 0.
    interconnect_gb_s : float, optional
        All-to-all link bandwidth per direction (GB/s); the GPU's NVLink by default (then
        ``expert_parallel`` must fit in its NVLink domain).
    all_to_all_latency_us : float, optional
        Fixed cost of one dispatch or combine (us); by default :func:`all_to_all_latency_us` for
        a calibrated engine, 0 at the ceiling.
    two_batch_overlap : bool
        Run each step as two micro-batches of ``batch / 2`` whose all-to-all hides under the
        other's computation (SGLang's ``--enable-two-batch-overlap``, DeepSeek's dual
        micro-batch overlap): the step is ``2 max(work(batch / 2), all-to-all(batch / 2))`` plus
        the overhead, for a calibrated engine (each micro-batch pays its own kernels and
        weight reads). At the ceiling the all-to-all already overlaps the whole step's work and
        this changes nothing. Then ``linear_ms``, ``attention_ms`` and ``all_to_all_ms`` are the
        two micro-batches' sums, which the step need not equal.
    memory_fraction, check_memory
        As in :func:`~inferecon.decode_performance`, with the memory of
        :func:`expert_parallel_weight_memory_gb` and an unsharded KV cache.

    Returns
    -------
    pandas.DataFrame
        ``model``, ``gpu``, ``precision``, ``kv_precision``, ``tensor_parallel`` (1: attention is
        data-parallel), ``expert_parallel``, ``batch`` (per GPU), ``context_tokens``,
        ``linear_ms``, ``attention_ms``, ``all_to_all_ms``, ``overhead_ms``, ``step_ms``,
        ``tokens_per_s_per_gpu``, ``tokens_per_s_per_user``, ``tokens_per_s_per_replica`` (the whole
        group), ``power_w`` (per GPU: the tensor-parallel-1 step's, an approximation),
        ``joules_per_token``, ``usd_per_mtok``, ``memory_needed_gb`` (per GPU),
        ``max_batch`` (per GPU) and ``fits``.
    """
    _check_moe(get_model(model))
    cost, price = _tp1_cost(model, gpu, precision, kv_precision, efficiency, pue,
                            usd_per_gpu_hour, allow_weight_only)  # fmt: skip
    m, g, prec, kvp, e = cost.model, cost.gpu, cost.precision, cost.kv_precision, cost.efficiency
    n, r = _check_ep(expert_parallel, n_redundant_experts)
    require_positive("batch", batch)
    require_positive("context_tokens", context_tokens)
    imb = float(require_in_range("imbalance_factor", imbalance_factor, 1.0, 1e3))
    b, c, n = (a.ravel() for a in np.broadcast_arrays(np.asarray(batch, dtype=float),
                                                       np.asarray(context_tokens, dtype=float),
                                                       n))  # fmt: skip
    tbo = require_flag("two_batch_overlap", two_batch_overlap)
    link, latency = interconnect_gb_s, all_to_all_latency_us
    base, step, linear, comm = _decode_step(m, g, e, prec, kvp, cost, b, c, n, r, imb, link,
                                            latency, tbo)  # fmt: skip
    need, cap, fits, usable = _memory(m, g, b, c, n, r, prec, kvp, memory_fraction)
    if check_memory:
        _raise_if_oom(m, g, b, c, n, need, cap, fits, usable, prec)
    power = base["power_w"]
    tps = b / step
    return pd.DataFrame(
        {
            "model": m.name,
            "gpu": g.name,
            "precision": prec,
            "kv_precision": kvp,
            "tensor_parallel": np.ones(len(b), dtype=np.int64),
            "expert_parallel": n.astype(np.int64),
            "batch": b.astype(np.int64),
            "context_tokens": c.astype(np.int64),
            "linear_ms": linear * 1e3,
            "attention_ms": base["attention"] * 1e3,
            "all_to_all_ms": comm * 1e3,
            "overhead_ms": np.broadcast_to(base["overhead"] * 1e3, b.shape).copy(),
            "step_ms": step * 1e3,
            "tokens_per_s_per_gpu": tps,
            "tokens_per_s_per_user": 1.0 / step,
            "tokens_per_s_per_replica": tps * n,
            "power_w": power,
            "joules_per_token": power / tps,
            "usd_per_mtok": price / (tps * 3600.0) * 1e6,
            "memory_needed_gb": need,
            "max_batch": cap.astype(np.int64),
            "fits": fits,
        }
    )


def _decode_step(m, g, e, precision, kvp, cost, b, c, n, r, imb, link, latency, tbo=False):
    """(serving's tensor-parallel-1 step dict, EP step s, linear s, all-to-all s) of decode steps
    of ``b`` sequences per GPU at context ``c`` over ``n`` GPUs; arguments already checked.

    ``tbo``: two-batch overlap for a calibrated (sequential) engine, :func:`_two_batch_step`."""
    if tbo and e.sequential:
        return _two_batch_step(m, g, e, cost, b, c, n, r, imb, link, latency)
    base = cost.step_terms(b, c)
    ep = (b * m.n_experts_active * imb, _touched_per_gpu(m, b, n, r))
    comm = _a2a_s(m, g, e, b, n, imb, link, latency)
    step, linear = _swap_experts(base, cost, e, b, ep, comm)
    return base, step, linear, comm


def _two_batch_step(m, g, e, cost, b, c, n, r, imb, link, latency):
    """A calibrated engine's decode step with two-batch overlap (SGLang's
    ``--enable-two-batch-overlap``, after DeepSeek's dual micro-batch overlap): the ``b``
    sequences run as two micro-batches of ``b / 2`` whose computation and all-to-all alternate,
    so the one's dispatch and combine run under the other's kernels. Per MoE layer the compute
    stream runs both micro-batches' work and the communication stream both all-to-alls, so the
    step is ``2 max(work(b / 2), all-to-all(b / 2)) + overhead``. Each micro-batch pays its own
    kernels' fixed costs and re-reads the weights it touches, and each all-to-all its own
    latency: the split is not free, which is why it helps only where the all-to-all is a large
    share of the step. Returns what :func:`_decode_step` returns (``linear`` and the all-to-all
    are the two micro-batches' sums)."""
    h = b / 2.0
    half = cost.step_terms(h, c)
    ep = (h * m.n_experts_active * imb, _touched_per_gpu(m, h, n, r))
    comm_h = _a2a_s(m, g, e, h, n, imb, link, latency)
    step_h, linear_h = _swap_experts(half, cost, e, h, ep, 0.0)
    overhead = half["overhead"]
    step = 2.0 * np.maximum(step_h - overhead, comm_h) + overhead
    base = dict(half, attention=2.0 * half["attention"])
    return base, step, 2.0 * linear_h, 2.0 * comm_h


def _prefill_s(m, g, e, precision, kvp, cost, prompt, n, imb, r, link, latency):
    """Seconds to prefill one prompt of ``prompt`` tokens on one GPU of the expert-parallel group
    (every GPU prefills its own prompt at the same time), and the board power."""
    base = cost.step_terms(prompt_tokens=prompt)
    ep = (prompt * m.n_experts_active * imb, _touched_per_gpu(m, prompt, n, r))
    comm = _a2a_s(m, g, e, prompt, n, imb, link, latency)
    step, _ = _swap_experts(base, cost, e, prompt, ep, comm)
    return step, base["power_w"]


def expert_parallel_serving_performance(
    model: str | ModelSpec,
    gpu: str | GPUSpec,
    batch,
    prompt_tokens,
    output_tokens,
    expert_parallel=8,
    precision: str = "bf16",
    efficiency=None,
    *,
    kv_precision: str | None = None,
    imbalance_factor: float = EXPERT_IMBALANCE_FACTOR,
    n_redundant_experts: int = 0,
    interconnect_gb_s: float | None = None,
    all_to_all_latency_us: float | None = None,
    two_batch_overlap: bool = False,
    memory_fraction: float = DEFAULT_MEMORY_FRACTION,
    check_memory: bool = True,
    usd_per_gpu_hour: float | None = None,
    pue: float = 1.0,
    allow_weight_only: bool = False,
) -> pd.DataFrame:
    """Requests served with expert parallelism and DP attention, ``batch`` per GPU at a time.

    The static batching of :func:`~inferecon.serving_performance`, per GPU of the group: each
    GPU prefills its ``batch`` prompts one by one (every GPU at once, the experts' rows
    exchanged by all-to-all), then decodes ``output_tokens`` steps at the mean context ``prompt
    + (output + 1) / 2`` (:func:`expert_parallel_decode_performance`). Memory is checked at the
    final context.

    Parameters
    ----------
    model, gpu : str or spec
        A MoE model and the accelerator.
    batch : int or array
        Requests each GPU serves together, >= 1.
    prompt_tokens, output_tokens : int or array
        Tokens in and out per request, >= 1 (broadcast with ``batch`` and ``expert_parallel``).
    expert_parallel : int or array
        GPUs the experts are spread over.
    precision, efficiency, kv_precision, imbalance_factor, n_redundant_experts,
    interconnect_gb_s, all_to_all_latency_us, memory_fraction, check_memory, usd_per_gpu_hour,
    pue, allow_weight_only
        As in :func:`expert_parallel_decode_performance`.
    two_batch_overlap : bool
        As in :func:`expert_parallel_decode_performance`, for the decode steps (the prefill
        runs without it).

    Returns
    -------
    pandas.DataFrame
        ``model``, ``gpu``, ``precision``, ``tensor_parallel`` (1), ``expert_parallel``,
        ``batch``, ``prompt_tokens``, ``output_tokens``, ``ttft_ms``, ``tpot_ms``,
        ``e2e_latency_s``, ``tokens_per_s_per_user``, ``tokens_per_s_per_gpu`` (including the
        prefill time), ``usd_per_mtok_output``, ``joules_per_output_token``, ``fits`` and
        ``max_batch`` (per GPU).
    """
    require_positive("output_tokens", output_tokens)
    require_positive("prompt_tokens", prompt_tokens)
    require_positive("batch", batch)
    _check_moe(get_model(model))
    cost, price = _tp1_cost(model, gpu, precision, kv_precision, efficiency, pue,
                            usd_per_gpu_hour, allow_weight_only)  # fmt: skip
    m, g, prec, kvp, e = cost.model, cost.gpu, cost.precision, cost.kv_precision, cost.efficiency
    _, r = _check_ep(expert_parallel, n_redundant_experts)
    imb = float(require_in_range("imbalance_factor", imbalance_factor, 1.0, 1e3))
    arrays = (batch, prompt_tokens, output_tokens, expert_parallel)
    b, p, o, n = (a.ravel() for a in np.broadcast_arrays(*(np.asarray(x, float) for x in arrays)))
    need, cap, fits, usable = _memory(m, g, b, p + o, n, r, prec, kvp, memory_fraction)
    if check_memory:
        _raise_if_oom(m, g, b, p + o, n, need, cap, fits, usable, prec)
    link, latency = interconnect_gb_s, all_to_all_latency_us
    tbo = require_flag("two_batch_overlap", two_batch_overlap)
    dec, tpot_s, _, _ = _decode_step(m, g, e, prec, kvp, cost, b, p + (o + 1.0) / 2.0, n, r, imb,
                                     link, latency, tbo)  # fmt: skip
    ttft_s, pre_w = _prefill_s(m, g, e, prec, kvp, cost, p, n, imb, r, link, latency)
    cycle_s = b * ttft_s + o * tpot_s
    out_tps = b * o / cycle_s
    energy_j = b * ttft_s * pre_w + o * tpot_s * dec["power_w"]
    return pd.DataFrame(
        {
            "model": m.name,
            "gpu": g.name,
            "precision": prec,
            "tensor_parallel": np.ones(len(b), dtype=np.int64),
            "expert_parallel": n.astype(np.int64),
            "batch": b.astype(np.int64),
            "prompt_tokens": p.astype(np.int64),
            "output_tokens": o.astype(np.int64),
            "ttft_ms": ttft_s * 1e3,
            "tpot_ms": tpot_s * 1e3,
            "e2e_latency_s": ttft_s + o * tpot_s,
            "tokens_per_s_per_user": 1.0 / tpot_s,
            "tokens_per_s_per_gpu": out_tps,
            "usd_per_mtok_output": price / (out_tps * 3600.0) * 1e6,
            "joules_per_output_token": energy_j / (b * o),
            "fits": fits,
            "max_batch": cap.astype(np.int64),
        }
    )


# --------------------------------------------------------------------------- the simulator's step


class ExpertParallelIterationCost:
    """One GPU of an expert-parallel group with data-parallel attention, as a step-time model.

    The scheduler iterations of :func:`~inferecon.simulate_serving`'s expert-parallel pools
    (``prefill_expert_parallel``, ``decode_expert_parallel``): every GPU of the group is a
    data-parallel attention rank with its own requests, KV cache and scheduler; an iteration of
    ``T`` tokens (prompt tokens plus one per running request) costs what
    :func:`expert_parallel_decode_performance` charges a step of ``T`` tokens per GPU:
    :class:`~inferecon.IterationCost`'s tensor-parallel-1 iteration with its routed-expert term
    (:meth:`~inferecon.IterationCost.routed_expert_s`) replaced by the busiest GPU's (``T k
    imbalance`` rows over its share of the experts the group's ``T n`` tokens touch), plus the
    all-to-all dispatch and combine of ``T`` tokens in every MoE layer, added after the
    computation for a calibrated engine and overlapped with it at the physical ceiling (the
    module docstring). Each rank is costed as if every rank of its group carried its load:
    the lockstep of the all-to-all, in which the busiest rank's batch sets everyone's step, is
    not modelled. With one GPU and ``imbalance_factor=1`` it is the tensor-parallel-1
    :class:`~inferecon.IterationCost`.

    It has the methods of :class:`~inferecon.StepTimeModel` and, like
    :class:`~inferecon.IterationCost`, :meth:`step_tables`, so a calibrated engine's pools run
    in the compiled scheduler loop; the ceiling's overlapped all-to-all (``max(work,
    all-to-all)``) runs in the Python one.

    Parameters
    ----------
    model, gpu : str or spec
        A MoE model and the accelerator.
    precision : {"bf16", "fp8", "fp4"}
        Weight precision.
    efficiency : optional
        As in :func:`~inferecon.decode_performance` (``None``: the stored calibration).
    expert_parallel : int
        GPUs the experts are spread over, in [1, the GPU's ``nvlink_domain_gpus``] unless
        ``interconnect_gb_s`` is given.
    kv_precision : str, optional
        KV-cache precision (default ``precision``).
    imbalance_factor, n_redundant_experts, interconnect_gb_s, all_to_all_latency_us
        As in :func:`expert_parallel_decode_performance`.
    allow_weight_only : bool
        As in :func:`~inferecon.decode_performance`.
    """

    def __init__(
        self,
        model: str | ModelSpec,
        gpu: str | GPUSpec,
        precision: str = "bf16",
        efficiency=None,
        *,
        expert_parallel: int = 8,
        kv_precision: str | None = None,
        imbalance_factor: float = EXPERT_IMBALANCE_FACTOR,
        n_redundant_experts: int = 0,
        interconnect_gb_s: float | None = None,
        all_to_all_latency_us: float | None = None,
        allow_weight_only: bool = False,
    ):
        _check_moe(get_model(model))
        n, r = _check_ep(expert_parallel, n_redundant_experts)
        if np.ndim(n):
            raise ValueError(
                f"expert_parallel must be one whole number; got {plain(expert_parallel)!r}"
            )
        imb = float(require_in_range("imbalance_factor", imbalance_factor, 1.0, 1e3))
        base = IterationCost(model, gpu, precision, efficiency, kv_precision=kv_precision,
                             allow_weight_only=allow_weight_only)  # fmt: skip
        m, g, e = base.model, base.gpu, base.efficiency
        self.base = base
        """The tensor-parallel-1 step model the expert-parallel one starts from."""
        self.model, self.gpu, self.efficiency = m, g, e
        self.precision, self.kv_precision = base.precision, base.kv_precision
        self.expert_parallel, self.imbalance_factor, self.n_redundant_experts = int(n), imb, r
        self.tensor_parallel = 1
        lat = all_to_all_latency_us
        if lat is not None:
            require_in_range("all_to_all_latency_us", lat, 0.0, np.inf, high_open=True)
        fixed, one = (_a2a_s(m, g, e, np.array([t]), np.array([n]), imb, interconnect_gb_s, lat)
                      for t in (0.0, 1.0))  # fmt: skip
        self.comm_fixed_s = float(fixed[0])
        """All-to-all seconds of an iteration that do not grow with its tokens (latencies)."""
        self.comm_token_s = float(one[0]) - self.comm_fixed_s
        """All-to-all seconds per token of an iteration (dispatch and combine, all layers)."""
        self._tables: dict | None = None

    # ----------------------------------------------------------------- the tables
    def step_tables(self, max_tokens: int) -> dict:
        """The step model as numbers, :meth:`inferecon.IterationCost.step_tables`'s form.

        The linear tables are the tensor-parallel-1 ones with the routed-expert term swapped
        for the expert-parallel one; ``comm_token_s`` and ``comm_fixed_s`` are the all-to-all;
        ``overlapped_comm`` is True at the ceiling (an iteration is ``max(work, all-to-all)``
        plus the overhead, which the compiled loop does not model).

        Parameters
        ----------
        max_tokens : int
            The largest token count the tables must cover (>= 0).

        Returns
        -------
        dict
            The keys of :meth:`inferecon.IterationCost.step_tables` and ``overlapped_comm``.
        """
        base = self.base.step_tables(max_tokens)
        have = 0 if self._tables is None else len(self._tables["linear_max_s"])
        top = len(base["linear_max_s"])
        if have < top:
            m, k = self.model, float(self.model.n_experts_active)
            t = np.arange(have, top, dtype=float)
            fc, fm, fw = self.base.routed_expert_s(t)
            touched = _touched_per_gpu(m, t, float(self.expert_parallel), self.n_redundant_experts)
            ec, em, ew = self.base.routed_expert_s(t, t * k * self.imbalance_factor, touched)
            grown = {
                "linear_max_s": base["linear_max_s"][have:] - fw + ew,
                "linear_compute_s": base["linear_compute_s"][have:] - fc + ec,
                "linear_memory_s": base["linear_memory_s"][have:] - fm + em,
            }
            old = self._tables or {key: np.empty(0) for key in grown}
            self._tables = {
                **base,
                **{key: np.concatenate([old[key], v]) for key, v in grown.items()},
                "comm_token_s": self.comm_token_s,
                "comm_fixed_s": self.comm_fixed_s,
                "overlapped_comm": not base["sequential"],
            }
        return self._tables

    def _linear(self, tokens: float):
        tab = self._tables
        i = int(tokens)
        if tab is None or i >= len(tab["linear_max_s"]):
            have = 0 if tab is None else len(tab["linear_max_s"])
            tab = self.step_tables(max(i, 2 * have, 256))
        return tab["linear_max_s"][i], tab["linear_compute_s"][i], tab["linear_memory_s"][i], tab

    def _attended_sum(self, sequences: float, context_sum: float) -> float:
        if not self.model.n_sliding_layers or sequences <= 0:
            return context_sum
        return sequences * float(self.model.attended_positions(context_sum / sequences))

    @staticmethod
    def _parallelism(tab: dict, sequences: float) -> float:
        need = tab["blocks_need"]
        if need <= 0 or sequences <= 0:
            return 1.0
        return min(1.0, sequences * tab["blocks_per_sequence"] / need)

    # ----------------------------------------------------------------- StepTimeModel
    def iteration_s(
        self,
        prefill_tokens: float = 0.0,
        prefill_pairs: float = 0.0,
        prefill_prefix_tokens: float = 0.0,
        decode_sequences: float = 0.0,
        decode_context: float = 0.0,
    ) -> float:
        """Seconds of one iteration on one GPU of the group.

        Parameters
        ----------
        prefill_tokens, prefill_pairs, prefill_prefix_tokens, decode_sequences, decode_context
            As in :meth:`inferecon.IterationCost.iteration`, for this GPU's own requests.

        Returns
        -------
        float
            Seconds.
        """
        d = decode_sequences
        tokens = prefill_tokens + d
        lin_max, lin_c, lin_m, tab = self._linear(tokens if tokens > 0 else 0)
        if tokens <= 0:
            return tab["overhead_s"]
        kv_tok_s, pair_s = tab["kv_token_s"], tab["pair_s"]
        par = self._parallelism(tab, d) if d > 0 else 1.0
        dec_m = kv_tok_s * self._attended_sum(d, decode_context + d) / par if d > 0 else 0.0
        dec_c = pair_s * self._attended_sum(d, decode_context)
        pre_m = kv_tok_s * (prefill_tokens + prefill_prefix_tokens)
        pre_c = pair_s * prefill_pairs
        comm = self.comm_token_s * tokens + self.comm_fixed_s
        if tab["sequential"]:
            work = (lin_max + (dec_c if dec_c > dec_m else dec_m)
                    + (pre_c if pre_c > pre_m else pre_m))  # fmt: skip
            return work + comm + tab["overhead_s"]
        work = max(lin_c + dec_c + pre_c, lin_m + dec_m + pre_m)
        return (work if work > comm else comm) + tab["overhead_s"]

    def _form(self, decode_sequences: float, decode_context: float):
        """``(K, a1, b1, a2, b2, comm s, sequential)`` of a decode stretch."""
        d, s0 = float(decode_sequences), float(decode_context)
        lin_max, lin_c, lin_m, tab = self._linear(d)
        if self.model.n_sliding_layers:
            a0 = self._attended_sum(d, s0)
            r0 = self._attended_sum(d, s0 + d)
            slope = (r0 - a0) if d > 0 else 0.0
        else:
            a0, r0, slope = s0, s0 + d, d
        kv = tab["kv_token_s"] / self._parallelism(tab, d)
        pair_s = tab["pair_s"]
        comm = self.comm_token_s * d + self.comm_fixed_s
        if tab["sequential"]:
            return (lin_max + comm + tab["overhead_s"], kv * r0, kv * slope, pair_s * a0,
                    pair_s * slope, comm, True)  # fmt: skip
        return (tab["overhead_s"], lin_m + kv * r0, kv * slope, lin_c + pair_s * a0,
                pair_s * slope, comm, False)  # fmt: skip

    def decode_form(self, decode_sequences: float, decode_context: float):
        """A decode-only iteration's time as ``K + max(a1 + b1 j, a2 + b2 j)``.

        As :meth:`inferecon.IterationCost.decode_form`. At the ceiling, while the all-to-all
        is longer than the computation the form is the constant ``overhead + all-to-all``
        (for as many iterations as :meth:`decode_linear_iterations` says).

        Parameters
        ----------
        decode_sequences : float
            Running requests (> 0).
        decode_context : float
            Their cached tokens, summed, at ``j = 0``.

        Returns
        -------
        tuple of float
            ``(K, a1, b1, a2, b2)`` in seconds.
        """
        k0, a1, b1, a2, b2, comm, seq = self._form(decode_sequences, decode_context)
        if seq or comm <= max(a1, a2):
            return k0, a1, b1, a2, b2
        return k0 + comm, 0.0, 0.0, 0.0, 0.0

    def decode_linear_iterations(self, decode_sequences: float, decode_context: float) -> float:
        """How many iterations, from ``j = 0``, :meth:`decode_form` gives exactly.

        A sliding window bends the form as in
        :meth:`inferecon.IterationCost.decode_linear_iterations`; at the ceiling an
        all-to-all longer than the computation holds the form constant until the computation
        (growing with the cached tokens) passes it.

        Parameters
        ----------
        decode_sequences : float
            Running requests (> 0).
        decode_context : float
            Their cached tokens, summed, at ``j = 0``.

        Returns
        -------
        float
            A whole number of iterations >= 1, or ``inf``.
        """
        window = self.base.decode_linear_iterations(decode_sequences, decode_context)
        _, a1, b1, a2, b2, comm, seq = self._form(decode_sequences, decode_context)
        if seq or comm <= max(a1, a2):
            return window
        # iteration j is the constant comm while a1 + b1 j <= comm and a2 + b2 j <= comm
        j = min((comm - a) / b if b > 0 else math.inf for a, b in ((a1, b1), (a2, b2)))
        return min(window, float(math.floor(j)) + 1.0)

    def prefill_pairs(self, chunk_tokens, cached_tokens=0):
        """Causal query-key pairs of a chunk (:meth:`inferecon.IterationCost.prefill_pairs`).

        Parameters
        ----------
        chunk_tokens, cached_tokens : float or array
            The chunk and the prompt tokens before it that are already cached.

        Returns
        -------
        float or numpy.ndarray
            Summed over layers and divided by the layer count.
        """
        return self.base.prefill_pairs(chunk_tokens, cached_tokens)

    def kv_capacity_tokens(self, memory_fraction: float = DEFAULT_MEMORY_FRACTION) -> int:
        """KV-cache tokens one GPU holds (:func:`dp_attention_kv_capacity_tokens`).

        Parameters
        ----------
        memory_fraction : float
            Usable share of the GPU's memory.

        Returns
        -------
        int
            Tokens (0 when the weights alone do not fit).
        """
        return int(dp_attention_kv_capacity_tokens(
            self.model, self.gpu, self.expert_parallel, self.precision, self.kv_precision,
            memory_fraction, self.n_redundant_experts,
        ))  # fmt: skip

    def kv_transfer_s(self, prompt_tokens):
        """Seconds to move one prompt's whole KV cache to or from this GPU.

        :meth:`inferecon.IterationCost.kv_transfer_s` at tensor-parallel 1 (the cache is not
        sharded under data-parallel attention).

        Parameters
        ----------
        prompt_tokens : float or array
            Cached tokens moved.

        Returns
        -------
        float or numpy.ndarray
            Seconds.
        """
        return self.base.kv_transfer_s(prompt_tokens)


# --------------------------------------------------------------------------- published claims

_CLAIMS = (
    {
        "claim": "SGLang DeepSeek decode on GB200 NVL72, EP48",
        "kind": "engine-team figure (SGLang / LMSYS, with NVIDIA engineers)",
        "source": "LMSYS / SGLang team, 'Deploying DeepSeek on GB200 NVL72 with PD and Large "
        "Scale EP (Part I): 2.7x Higher Decoding Throughput' (2025-06-16): 'SGLang achieved "
        "7,583 tokens per second per GPU for decoding on the GB200 NVL72 ... for 2,000-token "
        "input lengths'; 12 nodes of 4 GPUs decode (48 GPUs), FP8 GEMMs (DeepGEMM), BF16 MLA "
        "cache (FP8 attention came in Part II), input 2,000 and output 100 tokens, decode "
        "saturated with the slow-down API. The post states no batch; the reproduction commands "
        "(sgl-project/sglang#7227, as reproduced in NVIDIA Dynamo's "
        "components/backends/sglang/docs/dsr1-wideep-gb200.md) cap decode at 768 requests per "
        "GPU: SGLANG_DEEPEP_NUM_MAX_DISPATCH_TOKENS_PER_RANK=768, --cuda-graph-bs 768, "
        "--max-running-requests 36864 over 48 GPUs, which the slow-down fills",
        "source_url": "https://lmsys.org/blog/2025-06-16-gb200-part-1",
        "model": "DeepSeek-V3",
        "gpu": "GB200-per-GPU",
        "expert_parallel": 48,
        "precision": "fp8",
        "kv_precision": "bf16",
        "prompt_tokens": 2000,
        "output_tokens": 100,
        "batch": 768,
        "interconnect_gb_s": None,
        "two_batch_overlap": False,  # the post: pure NVLink let SGLang disable the overlap
        "measured_tokens_per_s_per_gpu": 7583.0,
    },
    {
        "claim": "SGLang DeepSeek decode on 9 nodes of 8 H100, EP72 over InfiniBand",
        "kind": "engine-team figure (SGLang / LMSYS)",
        "source": "LMSYS / SGLang team, 'Deploying DeepSeek with PD Disaggregation and "
        "Large-scale Expert Parallelism on 96 H100 GPUs' (2025-05-05), decode table: batch "
        "256 per GPU, KV cache length 2,000, 9 nodes, 22,282 tokens/s per node (= 2,785 per "
        "GPU); FP8 weights, BF16 MLA cache assumed; the all-to-all crosses nodes over one "
        "ConnectX-7 400 Gb/s NIC per GPU (~50 GB/s, DeepEP docs/legacy.md), with two-batch "
        "overlap (the post's overlap ablation: 22,310 tokens/s at 256 tokens, the decode "
        "table's figure; Dynamo's H100 reproduction runs --enable-two-batch-overlap), "
        "modelled as such",
        "source_url": "https://lmsys.org/blog/2025-05-05-large-scale-ep",
        "model": "DeepSeek-V3",
        "gpu": "H100-SXM",
        "expert_parallel": 72,
        "precision": "fp8",
        "kv_precision": "bf16",
        "prompt_tokens": 2000,
        "output_tokens": 1,
        "batch": 256,
        "interconnect_gb_s": 50.0,
        "two_batch_overlap": True,
        "measured_tokens_per_s_per_gpu": 22282.0 / 8,
    },
)


def expert_parallel_claims(efficiency=None) -> pd.DataFrame:
    """Published wide-EP decode throughputs rebuilt from their stated configurations.

    Each claim (an engine team's published figure, not an independent measurement) is modelled
    with :func:`expert_parallel_decode_performance` at its stated model, GPU, expert-parallel
    size, precisions, batch (the largest that fits at the final context where none is stated),
    two-batch overlap where the run used it, and mean context ``prompt + (output + 1) / 2``, once
    with ``efficiency`` and once at the physical ceiling.

    Parameters
    ----------
    efficiency : optional
        Serving efficiency (``None``: the stored calibration).

    Returns
    -------
    pandas.DataFrame
        ``claim``, ``kind``, ``gpu``, ``expert_parallel``, ``batch``, ``two_batch_overlap``,
        ``measured_tokens_per_s_per_gpu``, ``modelled_tokens_per_s_per_gpu``, ``ratio``
        (modelled over measured), ``ceiling_tokens_per_s_per_gpu``, ``source`` and
        ``source_url``.
    """
    rows = []
    for c in _CLAIMS:
        kw = dict(kv_precision=c["kv_precision"], interconnect_gb_s=c["interconnect_gb_s"],
                  two_batch_overlap=c["two_batch_overlap"])  # fmt: skip
        final = c["prompt_tokens"] + c["output_tokens"]
        args = (c["model"], c["gpu"])
        batch = c["batch"]
        if batch is None:
            batch = expert_parallel_decode_performance(
                *args, 1, final, c["expert_parallel"], c["precision"], efficiency, **kw
            )["max_batch"].item()
        ctx = c["prompt_tokens"] + (c["output_tokens"] + 1.0) / 2.0
        run = [expert_parallel_decode_performance(*args, batch, ctx, c["expert_parallel"],
                                                  c["precision"], eff, **kw)
               for eff in (efficiency, 1.0)]  # fmt: skip
        modelled = run[0]["tokens_per_s_per_gpu"].item()
        rows.append(
            {
                "claim": c["claim"],
                "kind": c["kind"],
                "gpu": c["gpu"],
                "expert_parallel": c["expert_parallel"],
                "batch": int(batch),
                "two_batch_overlap": c["two_batch_overlap"],
                "measured_tokens_per_s_per_gpu": c["measured_tokens_per_s_per_gpu"],
                "modelled_tokens_per_s_per_gpu": modelled,
                "ratio": modelled / c["measured_tokens_per_s_per_gpu"],
                "ceiling_tokens_per_s_per_gpu": run[1]["tokens_per_s_per_gpu"].item(),
                "source": c["source"],
                "source_url": c["source_url"],
            }
        )
    return pd.DataFrame(rows)
