"""What a token costs: a roofline model of LLM serving, calibrated to measurements.

One decode step of ``batch`` sequences, each attending over ``context_tokens`` of KV cache,
must move the weights it touches and the whole KV cache through HBM and do about two FLOPs
per active parameter per token plus the attention FLOPs. Each operation takes the longer of
its memory time and its compute time (Williams, Waterman & Patterson 2009, "Roofline", CACM
52(4); applied to transformer inference by Pope et al. 2022, arXiv:2211.05102, Sec. 2, and per
operator by Yuan et al. 2024, "LLM Inference Unveiled", arXiv:2402.16363). A step is

    step = linear + attention + comm + overhead

* **linear**: the matrix products over the step's ``T`` tokens (attention projections, MLP or
  experts, router, LM head). A calibrated engine (``Efficiency.operator_model``) costs each GEMM
  with the tile-and-wave model of :mod:`inferecon.operator_times` (tile and wave quantization
  over the GPU's SMs, split-K, the memory-bound region of reading the weight once, a launch
  overhead) using the GPU's operator constants fitted to measured kernel timings
  (:func:`inferecon.transferred_operator_efficiency`); MoE layers run the touched experts as one
  grouped GEMM over the rows each receives. Other efficiencies (the ceiling, floats) use
  ``max(weight bytes / (bandwidth * memory), 2 N_active T / (peak * gemm_share(T)))`` with
  ``gemm_share(T) = compute * T / (T + compute_half_tokens)`` (1 at the ceiling);
* **attention**: ``max(KV bytes / (bandwidth * memory * parallelism), attention FLOPs / (peak *
  attention_compute))``; decode attention runs one thread block per (sequence, KV head), and
  with fewer blocks than the GPU's SMs can keep busy the KV cache streams slower
  (``parallelism = min(1, blocks / (attention_blocks_per_sm * SMs))``);
* **comm**: tensor-parallel all-reduces (below);
* **overhead**: ``overhead_ms + overhead_per_layer_ms * layers`` (kernel launches and tails,
  norms, sampling, host work: a 16-layer model pays half of what a 32-layer one does).

A real engine runs these one after another (``Efficiency.sequential``). With
``efficiency=1.0`` every share is 1, there is no overhead and the operations overlap, so the
step is one roofline of the summed FLOPs and bytes: a physical ceiling that no measurement may
beat. :func:`inferecon.calibrate` fits the efficiencies to measured rows
(``data/h200_decode.csv``, or your own from ``benchmarks/gpu_decode.py``); the stored result
is :data:`inferecon.DEFAULT_EFFICIENCY`, used when ``efficiency=None``.

Byte and FLOP counts (all stated so they can be checked):

* Weights are read once per step at their precision (``bf16`` 2 B, ``fp8`` 1 B, ``fp4``
  0.5625 B: 4-bit values plus one FP8 scale per 16, NVIDIA's NVFP4). The input embedding table
  is *not* read (a step gathers ``batch`` rows of it); the LM head is (tied or not).
* MoE: each token picks ``k`` of ``E`` routed experts. With uniform, independent routing a step
  of ``T`` tokens touches ``E * (1 - (1 - k/E)**T)`` distinct experts per layer in expectation:
  ``k`` at batch 1, all ``E`` for large batches; each touched expert multiplies ``T k /
  touched`` rows. Shared experts and dense layers are always read. FLOPs count only the ``k``
  active experts per token. Real routers are imbalanced; this is the uniform-routing estimate.
  A calibrated engine runs each MoE layer's touched experts as one grouped GEMM (each expert's
  rows padded to the tile, as vLLM's fused MoE kernel pads them to its block size) and pays for
  the routing kernels around it (top-k, block alignment, the sum of the ``k`` outputs; plus
  activation quantisation for fp8/fp4 weights: :data:`inferecon.MOE_ROUTING_KERNELS`) at the
  GPU's measured launch cost each.
* KV cache: GQA stores K and V per KV head, ``2 * layers * kv_heads * head_dim`` values per
  token. DeepSeek's multi-head latent attention (MLA) stores one compressed latent plus a
  decoupled RoPE key, ``layers * (kv_lora_rank + qk_rope_head_dim)`` values per token
  (DeepSeek-V2 paper, arXiv:2405.04434, Sec. 2.1), read once per step for all heads; MLA decode
  kernels split the cache across SMs, so no parallelism limit is applied to them.
* Sliding-window layers (Mistral-7B v0.1, half of gpt-oss's) cache and attend over at most
  ``window`` tokens; the rest over the whole context.
* Attention FLOPs per decoded token: GQA ``4 * heads * head_dim * context`` per layer
  (QK^T and AV); MLA in its weight-absorbed decode form ``2 * heads * (2 * kv_lora_rank +
  qk_rope_head_dim) * context`` per layer. Prefill counts the causal half and writes the
  prompt's KV cache.
* FLOPs run at the tensor-core peak of the weights' format (FP8 weights with FP8
  activations, FP4 likewise); a GPU without that format (A100 and FP8, Hopper and FP4)
  computes in bf16 and saves only memory (weight-only quantisation).
* Tensor parallelism over ``n`` GPUs splits weights, FLOPs and GQA KV heads (KV heads are
  replicated when ``n`` exceeds them; the MLA latent is replicated on every GPU). It adds two
  ring all-reduces of the ``tokens x hidden`` bf16 activations per layer, each taking
  ``latency + 2 (n-1)/n * bytes / bus bandwidth``, not overlapped with compute. At the physical
  ceiling (and for float efficiencies) the latency is 0 and the bandwidth the datasheet link's;
  a calibrated engine takes both from NCCL timings measured on A100 and H100 nodes
  (:func:`inferecon.allreduce_parameters`, :data:`inferecon.COLLECTIVE_FITS`: 27-43 us on a
  DGX), other GPUs by the documented rule of :data:`inferecon.COLLECTIVE_NODES`. A prompt's KV
  cache moves between disaggregated pools in one send/recv per GPU
  (:meth:`IterationCost.kv_transfer_s`).
* Power per GPU ``= idle + (TDP - idle) * min(1, w_mem * u_mem + w_compute * u_compute)``,
  where ``u`` are the achieved fractions of peak bandwidth and FLOP/s; the weights are
  calibrated (both 1 when uncalibrated). Facility energy multiplies by the PUE.
* Activations are outside the byte count; the fitted overheads absorb what of them does not
  overlap.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pandas as pd

from ._validate import (
    plain,
    renamed_parameters,
    require_in_range,
    require_positive,
    scalar_or_array,
)
from .collectives import allreduce_parameters, send_recv_parameters
from .efficiency import Efficiency, as_efficiency
from .operator_times import (
    OperatorEfficiency,
    _gemm_parts,
    _LinearTable,
    _tables_lookup,
    transferred_operator_efficiency,
)
from .specs import (
    ACTIVATION_BYTES,
    PRECISION_BYTES,
    GPUSpec,
    ModelSpec,
    check_native_precision,
    check_precision,
    distinct_experts,
    get_gpu,
    get_model,
    kv_bytes_per_token,
)

__all__ = [
    "DEFAULT_MEMORY_FRACTION",
    "IterationCost",
    "attainable_tflops",
    "crossover_batch",
    "decode_bytes",
    "decode_flops",
    "decode_performance",
    "max_batch",
    "prefill_performance",
    "published_throughput_ceiling",
    "ridge_point",
    "serving_performance",
    "usable_memory_gb",
    "weight_memory_gb",
]

DEFAULT_MEMORY_FRACTION = 0.9
"""Share of GPU memory usable for weights and KV cache (vLLM's default
``gpu_memory_utilization``); the rest holds activations and the runtime."""


# --------------------------------------------------------------------------- counting


def _linear_parts(m: ModelSpec, tokens, w_bytes: float):
    """FLOPs, bytes and GEMM rows of a step's linear layers over ``tokens`` tokens.

    Returns ``(dense_flops, dense_bytes, expert_flops, expert_bytes, expert_rows)``: the
    always-read weights multiply every token; the routed experts are read as touched and each
    multiplies ``T k / touched`` rows on average.
    """
    t = np.asarray(tokens, dtype=float)
    routed_active = m.n_moe_layers * m.n_experts_active * m.expert_params
    dense_flops = 2.0 * (m.params_active - routed_active) * t
    dense_bytes = np.full_like(t, m.params_always_read * w_bytes)
    if not m.n_experts:
        zero = np.zeros_like(t)
        return dense_flops, dense_bytes, zero, zero, zero
    touched = distinct_experts(m.n_experts, m.n_experts_active, t)
    exp_bytes = m.n_moe_layers * touched * m.expert_params * w_bytes
    exp_flops = 2.0 * routed_active * t
    exp_rows = t * m.n_experts_active / touched
    return dense_flops, dense_bytes, exp_flops, exp_bytes, exp_rows


def _weight_bytes_read(m: ModelSpec, tokens, w_bytes: float):
    _, dense, _, experts, _ = _linear_parts(m, tokens, w_bytes)
    return dense + experts


def decode_flops(model: str | ModelSpec, batch, context_tokens):
    """FLOPs of one decode step.

    Parameters
    ----------
    model : str or ModelSpec
        The model.
    batch : float or array
        Sequences in the step.
    context_tokens : float or array
        Tokens each sequence attends over.

    Returns
    -------
    float or numpy.ndarray
        ``batch * (2 * params_active + attention FLOPs per token)``, in FLOP.
    """
    m = get_model(model)
    b = np.asarray(batch, dtype=float)
    c = np.asarray(context_tokens, dtype=float)
    return b * (
        2.0 * m.params_active + m.attention_flops_per_token_per_context() * m.attended_positions(c)
    )


def decode_bytes(
    model: str | ModelSpec,
    batch,
    context_tokens,
    precision: str = "bf16",
    kv_precision: str | None = None,
):
    """Bytes one decode step moves: weights touched + KV cache read + the new KV written.

    Parameters
    ----------
    model : str or ModelSpec
        The model.
    batch, context_tokens : float or array
        Sequences in the step and tokens each attends over.
    precision : {"bf16", "fp8", "fp4"}
        Weight precision.
    kv_precision : str, optional
        KV-cache precision (default ``precision``).

    Returns
    -------
    float or numpy.ndarray
        Bytes per step, summed over every GPU.
    """
    m = get_model(model)
    w = PRECISION_BYTES[check_precision("precision", precision)]
    kvb = kv_bytes_per_token(m, kv_precision or precision)
    b = np.asarray(batch, dtype=float)
    c = np.asarray(context_tokens, dtype=float)
    return _weight_bytes_read(m, b, w) + b * m.attended_positions(c + 1.0) * kvb


def ridge_point(
    gpu: str | GPUSpec, precision: str = "bf16", *, allow_weight_only: bool = False
) -> float:
    """Arithmetic intensity where the roofline turns.

    Parameters
    ----------
    gpu : str or GPUSpec
        The accelerator.
    precision : {"bf16", "fp8", "fp4"}
        Matmul format (its dense peak).
    allow_weight_only : bool
        Accept a format the GPU has no tensor cores for, as weight-only quantisation (the
        arithmetic at the next wider format); otherwise such a format raises
        (:func:`~inferecon.check_native_precision`, the one precision rule).

    Returns
    -------
    float
        Peak FLOP/s divided by peak bandwidth, in FLOP per byte.
    """
    g = get_gpu(gpu)
    precision = check_native_precision(g, precision, allow_weight_only=allow_weight_only)
    return g.peak_tflops(precision) * 1e12 / (g.hbm_tb_s * 1e12)


def attainable_tflops(
    gpu: str | GPUSpec,
    intensity_flop_per_byte,
    precision: str = "bf16",
    *,
    peak_tflops: float | None = None,
    hbm_tb_s: float | None = None,
    allow_weight_only: bool = False,
):
    """The roofline: ``min(peak, intensity * bandwidth)``.

    Parameters
    ----------
    gpu : str or GPUSpec
        The accelerator (its datasheet peaks).
    intensity_flop_per_byte : float or array
        Arithmetic intensity, FLOP per byte, > 0.
    precision : {"bf16", "fp8", "fp4"}
        Matmul format.
    peak_tflops, hbm_tb_s : float, optional
        Measured ceilings to use instead of the datasheet's (e.g. a large GEMM's TFLOP/s and a
        device copy's TB/s from ``data/h200_ceilings.csv``).
    allow_weight_only : bool
        Accept a format the GPU has no tensor cores for, as weight-only quantisation (the
        arithmetic at the next wider format); otherwise such a format raises
        (:func:`~inferecon.check_native_precision`, the one precision rule).

    Returns
    -------
    float or numpy.ndarray
        Attainable TFLOP/s.
    """
    g = get_gpu(gpu)
    i = require_positive("intensity_flop_per_byte", intensity_flop_per_byte)
    precision = check_native_precision(g, precision, allow_weight_only=allow_weight_only)
    peak = g.peak_tflops(precision) if peak_tflops is None else peak_tflops
    bw = g.hbm_tb_s if hbm_tb_s is None else hbm_tb_s
    require_positive("peak_tflops", peak)
    require_positive("hbm_tb_s", bw)
    return np.minimum(peak, np.asarray(i) * bw)


def crossover_batch(
    model: str | ModelSpec,
    gpu: str | GPUSpec,
    context_tokens=0,
    precision: str = "bf16",
    kv_precision: str | None = None,
    *,
    allow_weight_only: bool = False,
):
    """Smallest batch at which a dense model's decode step turns compute-bound (ceiling model).

    Solves ``b * F = (W + b * K) * ridge`` for ``b``, with ``F`` FLOPs per token, ``W`` weight
    bytes and ``K`` KV bytes per sequence.

    Parameters
    ----------
    model, gpu : str or spec
        The model (dense) and the accelerator.
    context_tokens : float or array
        Tokens each sequence attends over, >= 0.
    precision, kv_precision : str
        Weight and KV-cache precision.
    allow_weight_only : bool
        Accept a format the GPU has no tensor cores for, as weight-only quantisation (the
        arithmetic at the next wider format); otherwise such a format raises
        (:func:`~inferecon.check_native_precision`, the one precision rule).

    Returns
    -------
    float or numpy.ndarray
        The batch (sequences); ``inf`` where attention over a long context keeps the step
        memory-bound at any batch (``F <= K * ridge``).

    Raises
    ------
    ValueError
        For MoE models, whose distinct experts grow with the batch (no closed form).
    """
    m = get_model(model)
    if m.n_experts:
        raise ValueError(
            f"crossover_batch has no closed form for MoE model {m.name!r}; "
            "find it from decode_performance(...)['bound']"
        )
    c = require_in_range("context_tokens", context_tokens, 0.0, np.inf)
    ridge = ridge_point(gpu, precision, allow_weight_only=allow_weight_only)
    w = m.params_always_read * PRECISION_BYTES[check_precision("precision", precision)]
    kv = kv_bytes_per_token(m, kv_precision or precision) * m.attended_positions(np.asarray(c) + 1)
    f = 2.0 * m.params_active + m.attention_flops_per_token_per_context() * m.attended_positions(c)
    gap = f - kv * ridge
    out = np.full(np.shape(gap), np.inf)
    np.divide(w * ridge, gap, out=out, where=gap > 0)
    return scalar_or_array(out)


# --------------------------------------------------------------------------- memory


def _kv_shard(m: ModelSpec, tensor_parallel):
    """How many ways the KV cache splits over ``tensor_parallel`` GPUs (one replica)."""
    n = np.asarray(tensor_parallel, dtype=float)
    if m.attention == "mla":
        return np.ones_like(n)
    return np.minimum(n, m.n_kv_heads)


@renamed_parameters(n_gpus="tensor_parallel")
def weight_memory_gb(model: str | ModelSpec, precision: str = "bf16", tensor_parallel=1):
    """Memory the weights take on each GPU.

    Parameters
    ----------
    model : str or ModelSpec
        The model (all parameters are stored, the input embedding included).
    precision : {"bf16", "fp8", "fp4"}
        Weight precision.
    tensor_parallel : int or array
        Tensor-parallel GPUs sharing the weights.

    Returns
    -------
    float or numpy.ndarray
        GB (1e9 bytes) per GPU.
    """
    m = get_model(model)
    n = require_in_range("tensor_parallel", tensor_parallel, 1, 4096)
    out = m.params_total * PRECISION_BYTES[check_precision("precision", precision)] / n / 1e9
    return scalar_or_array(out)


def usable_memory_gb(gpu: str | GPUSpec, memory_fraction: float = DEFAULT_MEMORY_FRACTION):
    """Memory of one GPU usable for weights and KV cache.

    Parameters
    ----------
    gpu : str or GPUSpec
        The accelerator.
    memory_fraction : float
        Usable share of its memory, in (0, 1] (default :data:`DEFAULT_MEMORY_FRACTION`).

    Returns
    -------
    float
        GB (1e9 bytes).
    """
    f = require_in_range("memory_fraction", memory_fraction, 0.0, 1.0, low_open=True)
    return float(get_gpu(gpu).memory_gb * f)


def _memory_needed_gb(m, batch, context_tokens, w_bytes, kvb, tensor_parallel):
    weights = m.params_total * w_bytes / tensor_parallel
    kv = batch * m.attended_positions(context_tokens) * kvb / _kv_shard(m, tensor_parallel)
    return (weights + kv) / 1e9


@renamed_parameters(n_gpus="tensor_parallel")
def max_batch(
    model: str | ModelSpec,
    gpu: str | GPUSpec,
    context_tokens,
    precision: str = "bf16",
    kv_precision: str | None = None,
    tensor_parallel=1,
    memory_fraction: float = DEFAULT_MEMORY_FRACTION,
):
    """Largest batch whose weights and KV cache fit.

    Parameters
    ----------
    model, gpu : str or spec
        The model and the accelerator.
    context_tokens : float or array
        Tokens cached per sequence, > 0.
    precision, kv_precision : str
        Weight and KV-cache precision (``kv_precision`` defaults to ``precision``).
    tensor_parallel : int or array
        Tensor-parallel GPUs.
    memory_fraction : float
        Usable share of each GPU's memory (vLLM's default ``gpu_memory_utilization`` is 0.9;
        the rest is left for activations and the runtime).

    Returns
    -------
    int or numpy.ndarray
        Sequences (0 where the weights alone do not fit).
    """
    m, g = get_model(model), get_gpu(gpu)
    c = require_positive("context_tokens", context_tokens)
    n = require_in_range("tensor_parallel", tensor_parallel, 1, 4096)
    f = require_in_range("memory_fraction", memory_fraction, 0.0, 1.0, low_open=True)
    w = PRECISION_BYTES[check_precision("precision", precision)]
    kvb = kv_bytes_per_token(m, kv_precision or precision)
    usable = g.memory_gb * 1e9 * f
    free = usable - m.params_total * w / np.asarray(n)
    per_seq = m.attended_positions(c) * kvb / _kv_shard(m, n)
    return scalar_or_array(np.maximum(np.floor(free / per_seq), 0).astype(np.int64))


# --------------------------------------------------------------------------- the step


def _allreduce_terms(e: Efficiency, g: GPUSpec, n, allreduce_latency_us, link_gb_s):
    """``(latency_us, bus_bandwidth_gb_s)`` of one all-reduce per row of GPU counts ``n``.

    A measured engine (:attr:`Efficiency.measured_communication`) uses the measured fits of
    :func:`inferecon.allreduce_parameters`; the physical ceiling and the overhead-free float
    efficiencies use the datasheet link and no latency. An explicit latency or link bandwidth
    wins either way."""
    if allreduce_latency_us is not None:
        require_in_range("allreduce_latency_us", allreduce_latency_us, 0.0, 1e6)
    nn = np.asarray(n, dtype=float)
    latency = np.zeros(nn.shape)
    bus = np.full(nn.shape, np.nan)
    if e.measured_communication:
        for k in np.unique(nn[nn > 1]).tolist():
            lat, bw = _allreduce_fit(g, int(k)) if link_gb_s is None else (
                _allreduce_fit(g, int(k))[0], link_gb_s)  # fmt: skip
            latency[nn == k], bus[nn == k] = lat, bw
    else:
        bus[:] = link_gb_s if link_gb_s is not None else g.interconnect_gb_s
    if allreduce_latency_us is not None:
        latency[:] = allreduce_latency_us
    if (nn > 1).any() and not np.isfinite(bus[nn > 1]).all():
        raise ValueError(
            f"{g.name} has no interconnect bandwidth in data/gpus.csv; pass interconnect_gb_s "
            "to model tensor parallelism on it"
        )
    return latency, bus


@functools.lru_cache(maxsize=256)
def _allreduce_fit(g: GPUSpec, n: int) -> tuple[float, float]:
    return allreduce_parameters(g, n)


@functools.lru_cache(maxsize=64)
def _send_recv_fit(g: GPUSpec) -> tuple[float, float]:
    return send_recv_parameters(g)


def _comm_s(m: ModelSpec, g: GPUSpec, e: Efficiency, tokens, n, allreduce_latency_us, link_gb_s):
    """Seconds of a step's tensor-parallel all-reduces: two per layer of the ``tokens x hidden``
    bf16 activations, each ``latency + 2 (n-1)/n * bytes / bus bandwidth``."""
    if np.all(n == 1):
        return np.zeros(np.broadcast(tokens, n).shape)
    latency_us, bus_gb_s = _allreduce_terms(e, g, n, allreduce_latency_us, link_gb_s)
    msg = tokens * m.hidden_size * ACTIVATION_BYTES
    with np.errstate(invalid="ignore"):
        per = 2.0 * (n - 1) / n * msg / (bus_gb_s * 1e9) + latency_us * 1e-6
    return np.where(n > 1, 2 * m.n_layers * per, 0.0)


def _attention_blocks(m: ModelSpec, sequences, n):
    """Decode-attention thread blocks per GPU: one per (sequence, KV head on that GPU)."""
    if m.attention == "mla":
        return np.full(np.broadcast(sequences, n).shape, np.inf)
    return np.asarray(sequences, dtype=float) * m.n_kv_heads / _kv_shard(m, n)


@functools.lru_cache(maxsize=128)
def _linear_table(m: ModelSpec, g: GPUSpec, precision: str, tensor_parallel: int):
    """The lazily filled table of linear-layer seconds by tokens per step for one configuration
    (:class:`inferecon.operator_times._LinearTable`), with the GPU's operator constants."""
    return _LinearTable(
        m, g, precision, tensor_parallel, _operator_efficiency(g), PRECISION_BYTES[precision]
    )


@functools.lru_cache(maxsize=64)
def _operator_efficiency(g: GPUSpec) -> OperatorEfficiency:
    """The GPU's stored operator constants, or those its transfer rule borrows; a GPU the
    tables do not know borrows H100-SXM's (the rule for architectures without timings)."""
    if not g.n_sm:
        raise ValueError(
            f"{g.name} has no SM count (n_sm): the GEMM time model of the calibrated efficiency "
            "needs it; set GPUSpec.n_sm or pass an efficiency with operator_model=False"
        )
    try:
        return transferred_operator_efficiency(g.name)
    except ValueError:
        return transferred_operator_efficiency("H100-SXM")


def _operator_linear(m, g, precision, n, tokens) -> np.ndarray:
    """Rows of :class:`_LinearTable` (``(len(tokens), 8)``) for per-row GPU counts ``n``."""
    t = np.asarray(tokens, dtype=float).ravel()
    nn = np.asarray(n, dtype=float).ravel()
    if (len(nn) == 1 or (nn == nn[0]).all()) and (t > 0).all():
        return _linear_table(m, g, precision, int(nn[0])).table(t)
    nn = np.broadcast_to(nn, t.shape) if len(nn) == 1 else nn
    out = np.zeros((len(t), 8))
    live = t > 0
    sels = [live & (nn == k) for k in np.unique(nn[live]).tolist()]
    requests = [(_linear_table(m, g, precision, int(nn[sel][0])), t[sel]) for sel in sels]
    for sel, values in zip(sels, _tables_lookup(requests), strict=True):
        out[sel] = values
    return out


def _step(m, g, e: Efficiency, precision, n, *, tokens, attn_flops, attn_bytes, attn_blocks,
          w_bytes, comm_s):  # fmt: skip
    """Time and power of one step: linear layers over ``tokens`` tokens plus attention.

    All inputs are totals over the tensor-parallel group; per-GPU shares follow from ``n``.
    Returns a dict of per-GPU seconds (``compute``, ``memory``, ``linear``, ``attention``,
    ``comm``, ``overhead``, ``step``), ``bound``, achieved ``flops``/``bytes`` per GPU and
    ``power_w`` per GPU.
    """
    peak = g.peak_tflops(precision) * 1e12
    bw = g.hbm_tb_s * 1e12 * e.memory
    dense_f, dense_b, exp_f, exp_b, exp_rows = _linear_parts(m, tokens, w_bytes)
    kv_shard = _kv_shard(m, n)
    par = e.attention_parallelism(attn_blocks, g.n_sm)
    t_ac = attn_flops / n / (peak * e.attention_share)
    t_am = attn_bytes / kv_shard / (bw * par)
    if e.operator_model:
        lin = _operator_linear(m, g, precision, n, tokens).reshape(np.shape(tokens) + (8,))
        norms_s = (m.n_layers * 2 + 1) * m.hidden_size * w_bytes / n / bw  # params_breakdown
        linear_s = lin[..., 0] + lin[..., 4] + norms_s
        attention_s = np.maximum(t_ac, t_am)
        work = linear_s + attention_s
        compute_s = lin[..., 1] + lin[..., 5] + t_ac
        memory_s = lin[..., 2] + lin[..., 6] + norms_s + t_am
        chosen_c = lin[..., 3] + lin[..., 7] + np.where(t_ac > t_am, t_ac, 0.0)
        bound = np.where(chosen_c > work - chosen_c, "compute", "memory")
        overhead_s = e.overhead_s(m.n_layers)
        step_s = work + comm_s + overhead_s
        return _step_result(m, g, e, n, peak, dense_f, dense_b, exp_f, exp_b, attn_flops,
                            attn_bytes, kv_shard, compute_s, memory_s, linear_s, attention_s,
                            comm_s, overhead_s, step_s, bound)  # fmt: skip
    with np.errstate(divide="ignore", invalid="ignore"):
        t_dc = dense_f / n / (peak * e.gemm_share(tokens))
        t_ec = np.where(exp_f > 0, exp_f / n / (peak * e.gemm_share(np.maximum(exp_rows, 1e-9))), 0)
    t_dm = dense_b / n / bw
    t_em = exp_b / n / bw
    compute_s = t_dc + t_ec + t_ac
    memory_s = t_dm + t_em + t_am
    if e.sequential:
        parts = ((t_dc, t_dm), (t_ec, t_em), (t_ac, t_am))
        work = sum(np.maximum(c, mm) for c, mm in parts)
        chosen_c = sum(np.where(c > mm, c, 0.0) for c, mm in parts)
        bound = np.where(chosen_c > work - chosen_c, "compute", "memory")
        linear_s = np.maximum(t_dc, t_dm) + np.maximum(t_ec, t_em)
        attention_s = np.maximum(t_ac, t_am)
    else:
        work = np.maximum(compute_s, memory_s)
        bound = np.where(compute_s > memory_s, "compute", "memory")
        linear_s = work * (t_dc + t_ec + t_dm + t_em) / (compute_s + memory_s)
        attention_s = work - linear_s
    overhead_s = e.overhead_s(m.n_layers)
    step_s = work + comm_s + overhead_s
    return _step_result(m, g, e, n, peak, dense_f, dense_b, exp_f, exp_b, attn_flops, attn_bytes,
                        kv_shard, compute_s, memory_s, linear_s, attention_s, comm_s, overhead_s,
                        step_s, bound)  # fmt: skip


def _step_result(m, g, e, n, peak, dense_f, dense_b, exp_f, exp_b, attn_flops, attn_bytes,
                 kv_shard, compute_s, memory_s, linear_s, attention_s, comm_s, overhead_s,
                 step_s, bound) -> dict:  # fmt: skip
    flops = (dense_f + exp_f + attn_flops) / n
    bytes_ = (dense_b + exp_b) / n + attn_bytes / kv_shard
    u_mem = bytes_ / (step_s * g.hbm_tb_s * 1e12)
    u_comp = flops / (step_s * peak)
    drive = np.minimum(1.0, e.power_memory_weight * u_mem + e.power_compute_weight * u_comp)
    return {
        "compute": compute_s,
        "memory": memory_s,
        "linear": linear_s,
        "attention": attention_s,
        "comm": comm_s,
        "overhead": overhead_s,
        "step": step_s,
        "bound": bound,
        "flops": flops,
        "bytes": bytes_,
        "power_w": g.idle_w + (g.tdp_w - g.idle_w) * drive,
    }


def _prepare(model, gpu, precision, kv_precision, efficiency, tensor_parallel, pue,
             usd_per_gpu_hour, allow_weight_only=False):  # fmt: skip
    m, g = get_model(model), get_gpu(gpu)
    precision = check_native_precision(g, precision, allow_weight_only=allow_weight_only)
    kv_precision = check_precision("kv_precision", kv_precision or precision)
    e = as_efficiency(efficiency)
    n = require_in_range("tensor_parallel", tensor_parallel, 1, 4096)
    if np.any(np.asarray(n) != np.round(n)):
        raise ValueError(
            f"tensor_parallel must be a whole number of GPUs; got {plain(tensor_parallel)!r}"
        )
    require_in_range("pue", pue, 1.0, 5.0)
    price = g.usd_per_gpu_hour_mid if usd_per_gpu_hour is None else usd_per_gpu_hour
    if usd_per_gpu_hour is not None:
        require_positive("usd_per_gpu_hour", usd_per_gpu_hour)
    return m, g, precision, kv_precision, e, np.asarray(n, dtype=float), float(price)


def _oom_message(m, g, b, c, need_gb, usable_gb, fits_b, n, precision, kv_precision):
    return (
        f"batch {int(b)} at context {int(c)} tokens does not fit: {m.name} in {precision} "
        f"(KV cache {kv_precision}) needs {need_gb:,.1f} GB per GPU but {g.name} x{int(n)} has "
        f"{usable_gb:,.1f} GB usable; at this context at most {int(fits_b)} sequence(s) fit "
        "(pass check_memory=False to compute it anyway)"
    )


def _time_columns(s: dict, n) -> dict:
    return {
        "compute_ms": s["compute"] * 1e3,
        "memory_ms": s["memory"] * 1e3,
        "linear_ms": s["linear"] * 1e3,
        "attention_ms": s["attention"] * 1e3,
        "comm_ms": s["comm"] * 1e3,
        "overhead_ms": np.broadcast_to(s["overhead"] * 1e3, np.shape(s["step"])).copy(),
        "step_ms": s["step"] * 1e3,
        "bound": s["bound"],
        "achieved_tflops_per_gpu": s["flops"] / s["step"] / 1e12,
    }


def _config_columns(m: ModelSpec, g: GPUSpec, precision: str, kv_precision: str, n) -> dict:
    """The columns a performance table starts with: what runs, in which format, on how many GPUs."""
    return {
        "model": m.name,
        "gpu": g.name,
        "precision": precision,
        "kv_precision": kv_precision,
        "tensor_parallel": n.astype(np.int64),
    }


def _energy_cost_columns(s: dict, n, tokens, pue: float, usd_per_gpu_hour) -> dict:
    """Power (W per GPU), energy (J per token, board and facility) and price (USD per million
    tokens) of a step of ``n`` GPUs that produces ``tokens`` tokens."""
    joules = s["power_w"] * n * s["step"] / tokens
    tps = tokens / s["step"]
    return {
        "power_w": s["power_w"],
        "joules_per_token": joules,
        "facility_joules_per_token": joules * pue,
        "usd_per_mtok": usd_per_gpu_hour * n / (tps * 3600.0) * 1e6,
    }


def _decode_core(m, g, e, precision, kv_precision, n, batch, context_tokens,
                 allreduce_latency_us, interconnect_gb_s):  # fmt: skip
    """Flattened ``batch``, ``context``, ``n``, the KV bytes read and the step (:func:`_step`)
    of decode steps; the arguments already checked (:func:`_prepare`)."""
    b, c, n = np.broadcast_arrays(
        np.asarray(batch, dtype=float), np.asarray(context_tokens, dtype=float), n
    )
    b, c, n = b.ravel(), c.ravel(), n.ravel()
    w = PRECISION_BYTES[precision]
    kvb = kv_bytes_per_token(m, kv_precision)
    kv_bytes = b * m.attended_positions(c + 1.0) * kvb
    attn_flops = b * m.attention_flops_per_token_per_context() * m.attended_positions(c)
    s = _step(
        m, g, e, precision, n, tokens=b, attn_flops=attn_flops, attn_bytes=kv_bytes,
        attn_blocks=_attention_blocks(m, b, n), w_bytes=w,
        comm_s=_comm_s(m, g, e, b, n, allreduce_latency_us, interconnect_gb_s),
    )  # fmt: skip
    return b, c, n, kv_bytes, s


def _memory_fit(m, g, b, c, precision, kv_precision, n, mf, check_memory):
    """Memory needed per GPU (GB), the largest batch that fits and whether each row fits;
    raises the out-of-memory message when ``check_memory`` and a row does not fit."""
    w = PRECISION_BYTES[precision]
    kvb = kv_bytes_per_token(m, kv_precision)
    need = _memory_needed_gb(m, b, c, w, kvb, n)
    usable = g.memory_gb * mf
    fits_b = max_batch(m, g, c, precision, kv_precision, n, mf)
    fits = need <= usable
    if check_memory and not fits.all():
        i = int(np.flatnonzero(~fits)[0])
        msg = _oom_message(
            m, g, b[i], c[i], need[i], usable, fits_b[i], n[i], precision, kv_precision
        )
        raise ValueError(msg)
    return need, fits_b, fits


def _prefill_core(m, g, e, precision, kv_precision, n, prompt_tokens, batch,
                  allreduce_latency_us, interconnect_gb_s):  # fmt: skip
    """Flattened ``prompt``, ``batch``, ``n``, the tokens and the step of prefill passes."""
    p, b, n = np.broadcast_arrays(
        np.asarray(prompt_tokens, dtype=float), np.asarray(batch, dtype=float), n
    )
    p, b, n = p.ravel(), b.ravel(), n.ravel()
    tokens = p * b
    w = PRECISION_BYTES[precision]
    kvb = kv_bytes_per_token(m, kv_precision)
    attn = b * m.attention_flops_per_token_per_context() * m.prefill_attended_positions(p)
    s = _step(
        m, g, e, precision, n, tokens=tokens, attn_flops=attn, attn_bytes=tokens * kvb,
        attn_blocks=np.full_like(tokens, np.inf), w_bytes=w,
        comm_s=_comm_s(m, g, e, tokens, n, allreduce_latency_us, interconnect_gb_s),
    )  # fmt: skip
    return p, b, n, tokens, s


# --------------------------------------------------------------------------- performance


@renamed_parameters(n_gpus="tensor_parallel")
def decode_performance(
    model: str | ModelSpec,
    gpu: str | GPUSpec,
    batch,
    context_tokens,
    precision: str = "bf16",
    efficiency=None,
    *,
    kv_precision: str | None = None,
    tensor_parallel=1,
    usd_per_gpu_hour: float | None = None,
    pue: float = 1.0,
    memory_fraction: float = DEFAULT_MEMORY_FRACTION,
    check_memory: bool = True,
    allreduce_latency_us: float | None = None,
    interconnect_gb_s: float | None = None,
    allow_weight_only: bool = False,
) -> pd.DataFrame:
    """Speed, energy and cost of one decode step, one row per configuration.

    Parameters
    ----------
    model, gpu : str or spec
        Names from ``data/models.csv`` / ``data/gpus.csv`` (case-insensitive) or
        :class:`~inferecon.ModelSpec` / :class:`~inferecon.GPUSpec`.
    batch : int or array
        Sequences decoded together (>= 1).
    context_tokens : int or array
        Tokens each sequence attends over (its KV-cache length), >= 1. ``batch``,
        ``context_tokens`` and ``tensor_parallel`` broadcast: a grid sweep is one call.
    precision : {"bf16", "fp8", "fp4"}
        Weight precision (and matmul format); must be native to the GPU
        (:func:`~inferecon.check_native_precision`) unless ``allow_weight_only``.
    efficiency : float, Efficiency, Calibration or None
        ``1.0`` is the physical ceiling (no losses, no overhead, operations overlapped). A
        float applies to memory and compute with no overhead. ``None`` uses
        :data:`~inferecon.DEFAULT_EFFICIENCY`, the stored calibration on the bundled H200
        measurements.
    kv_precision : str, optional
        KV-cache precision; defaults to ``precision``.
    tensor_parallel : int or array
        Tensor-parallel degree.
    usd_per_gpu_hour : float, optional
        Rental price (USD per GPU-hour); the midpoint of the GPU's range in ``data/gpus.csv``
        when omitted.
    pue : float
        Power usage effectiveness, in [1, 5], for facility energy.
    memory_fraction : float
        Share of GPU memory usable for weights and KV cache.
    check_memory : bool
        Raise ``ValueError`` (saying how much is needed and what fits) when a configuration
        does not fit; with ``False`` such rows are computed and flagged ``fits = False``.
    allreduce_latency_us : float, optional
        Latency of one tensor-parallel all-reduce (us); by default the measured one for a
        calibrated engine (:func:`inferecon.allreduce_parameters`), 0 at the ceiling
        (:attr:`inferecon.Efficiency.measured_communication`).
    interconnect_gb_s : float, optional
        GPU-to-GPU bandwidth per direction (GB/s); by default the measured bus bandwidth for a
        calibrated engine and the GPU's ``interconnect_gb_s`` at the ceiling.
    allow_weight_only : bool
        Accept a precision the GPU has no tensor cores for, as weight-only quantisation
        (weights stored in it, arithmetic at the next wider format the GPU has).

    Returns
    -------
    pandas.DataFrame
        Configuration columns, then ``flops_per_step``, ``bytes_per_step``,
        ``weight_bytes_per_step`` and ``kv_bytes_per_step`` (summed over the tensor-parallel
        GPUs; a replicated KV cache counts once per GPU), ``arithmetic_intensity``
        (FLOP/byte), the time split ``compute_ms``, ``memory_ms`` (unoverlapped totals),
        ``linear_ms``, ``attention_ms``, ``comm_ms``, ``overhead_ms`` and ``step_ms`` (ms),
        ``bound`` ("memory" or "compute"), ``achieved_tflops_per_gpu``,
        ``tokens_per_s_per_replica``, ``tokens_per_s_per_gpu``, ``tokens_per_s_per_user``,
        ``power_w`` (per GPU, W), ``joules_per_token`` (board), ``facility_joules_per_token``
        (x PUE), ``usd_per_mtok`` (USD per million tokens), ``memory_needed_gb`` (per GPU),
        ``max_batch`` and ``fits``.

    Examples
    --------
    >>> r = decode_performance("Llama-3.1-8B", "H100-SXM", batch=1, context_tokens=1,
    ...                        efficiency=1.0)
    >>> r["bound"].item(), round(r["tokens_per_s_per_replica"].item())
    ('memory', 223)
    """
    m, g, precision, kv_precision, e, n, price = _prepare(
        model, gpu, precision, kv_precision, efficiency, tensor_parallel, pue, usd_per_gpu_hour,
        allow_weight_only,
    )  # fmt: skip
    require_positive("batch", batch)
    require_positive("context_tokens", context_tokens)
    mf = require_in_range("memory_fraction", memory_fraction, 0.0, 1.0, low_open=True)
    b, c, n, kv_bytes, s = _decode_core(m, g, e, precision, kv_precision, n, batch,
                                        context_tokens, allreduce_latency_us,
                                        interconnect_gb_s)  # fmt: skip
    w = PRECISION_BYTES[precision]
    need, fits_b, fits = _memory_fit(m, g, b, c, precision, kv_precision, n, mf, check_memory)
    step_s = s["step"]
    tps = b / step_s
    return pd.DataFrame(
        {
            **_config_columns(m, g, precision, kv_precision, n),
            "batch": b.astype(np.int64),
            "context_tokens": c.astype(np.int64),
            "flops_per_step": s["flops"] * n,
            "bytes_per_step": s["bytes"] * n,
            "weight_bytes_per_step": _weight_bytes_read(m, b, w),
            "kv_bytes_per_step": kv_bytes * n / _kv_shard(m, n),
            "arithmetic_intensity": s["flops"] / s["bytes"],
            **_time_columns(s, n),
            "tokens_per_s_per_replica": tps,
            "tokens_per_s_per_gpu": tps / n,
            "tokens_per_s_per_user": 1.0 / step_s,
            **_energy_cost_columns(s, n, b, pue, price),
            "memory_needed_gb": need,
            "max_batch": fits_b,
            "fits": fits,
        }
    )


@renamed_parameters(n_gpus="tensor_parallel")
def prefill_performance(
    model: str | ModelSpec,
    gpu: str | GPUSpec,
    prompt_tokens,
    batch=1,
    precision: str = "bf16",
    efficiency=None,
    *,
    kv_precision: str | None = None,
    tensor_parallel=1,
    usd_per_gpu_hour: float | None = None,
    pue: float = 1.0,
    allreduce_latency_us: float | None = None,
    interconnect_gb_s: float | None = None,
    allow_weight_only: bool = False,
) -> pd.DataFrame:
    """Time to process ``batch`` prompts of ``prompt_tokens`` in one forward pass (causal).

    The same step model as :func:`decode_performance` over ``batch * prompt_tokens`` tokens:
    the linear layers see many rows (so they approach the large-GEMM share of peak), attention
    does the causal half of ``prompt x prompt`` and writes the prompt's KV cache.

    Parameters
    ----------
    model, gpu : str or spec
        The model and the accelerator.
    prompt_tokens : int or array
        Tokens per prompt, >= 1.
    batch : int or array
        Prompts in the pass, >= 1.
    precision, efficiency, kv_precision, tensor_parallel, usd_per_gpu_hour, pue,
    allreduce_latency_us, interconnect_gb_s, allow_weight_only
        As in :func:`decode_performance` (no memory check: prefill's KV is what decode holds).

    Returns
    -------
    pandas.DataFrame
        ``step_ms`` (the time to first token of a request that waits for nothing else), the
        time split, ``bound``, ``prompt_tokens_per_s_per_replica`` (prompt tokens/s), ``power_w``,
        ``joules_per_token`` (per prompt token), ``facility_joules_per_token`` and
        ``usd_per_mtok`` (per million prompt tokens).
    """
    m, g, precision, kv_precision, e, n, price = _prepare(
        model, gpu, precision, kv_precision, efficiency, tensor_parallel, pue, usd_per_gpu_hour,
        allow_weight_only,
    )  # fmt: skip
    require_positive("prompt_tokens", prompt_tokens)
    require_positive("batch", batch)
    p, b, n, tokens, s = _prefill_core(m, g, e, precision, kv_precision, n, prompt_tokens, batch,
                                       allreduce_latency_us, interconnect_gb_s)  # fmt: skip
    return pd.DataFrame(
        {
            **_config_columns(m, g, precision, kv_precision, n),
            "batch": b.astype(np.int64),
            "prompt_tokens": p.astype(np.int64),
            "flops_per_step": s["flops"] * n,
            "bytes_per_step": s["bytes"] * n,
            "arithmetic_intensity": s["flops"] / s["bytes"],
            **_time_columns(s, n),
            "prompt_tokens_per_s_per_replica": tokens / s["step"],
            **_energy_cost_columns(s, n, tokens, pue, price),
        }
    )


@renamed_parameters(n_gpus="tensor_parallel")
def serving_performance(
    model: str | ModelSpec,
    gpu: str | GPUSpec,
    batch,
    prompt_tokens,
    output_tokens,
    precision: str = "bf16",
    efficiency=None,
    *,
    kv_precision: str | None = None,
    tensor_parallel=1,
    usd_per_gpu_hour: float | None = None,
    pue: float = 1.0,
    memory_fraction: float = DEFAULT_MEMORY_FRACTION,
    check_memory: bool = True,
    prefill_efficiency=None,
    allow_weight_only: bool = False,
) -> pd.DataFrame:
    """Requests of ``prompt_tokens`` in and ``output_tokens`` out, served ``batch`` at a time.

    Static batching: the batch's prompts are prefilled one by one (each request's time to
    first token is one prefill), then ``output_tokens`` decode steps run over a cache that
    grows from ``prompt`` to ``prompt + output``; the steps are evaluated at the mean context
    ``prompt + (output + 1) / 2`` (exact while a step stays on one side of the roofline).
    Memory is checked at the final context.

    Parameters
    ----------
    model, gpu : str or spec
        The model and the accelerator.
    batch : int or array
        Requests served together (>= 1).
    prompt_tokens, output_tokens : int or array
        Tokens in and out per request (>= 1). ``batch``, ``prompt_tokens`` and
        ``output_tokens`` broadcast.
    precision, efficiency, kv_precision, tensor_parallel, usd_per_gpu_hour, pue, memory_fraction,
    check_memory, allow_weight_only
        As in :func:`decode_performance`.
    prefill_efficiency : optional
        Efficiency of the prefill passes; ``efficiency`` when omitted.

    Returns
    -------
    pandas.DataFrame
        ``ttft_ms``, ``tpot_ms``, ``e2e_latency_s``, ``tokens_per_s_per_user`` (decode speed),
        ``tokens_per_s_per_gpu`` (including the time spent in prefill),
        ``usd_per_mtok_output``, ``joules_per_output_token``, ``wh_per_response`` and
        ``facility_wh_per_response`` (x PUE), plus ``bound``, ``fits`` and ``max_batch``.
    """
    require_positive("output_tokens", output_tokens)
    b, p, o = np.broadcast_arrays(
        np.asarray(batch, dtype=float),
        np.asarray(prompt_tokens, dtype=float),
        np.asarray(output_tokens, dtype=float),
    )
    b, p, o = b.ravel(), p.ravel(), o.ravel()
    m, g, precision, kv_precision, e, n, price = _prepare(
        model, gpu, precision, kv_precision, efficiency, tensor_parallel, pue, usd_per_gpu_hour,
        allow_weight_only,
    )  # fmt: skip
    require_positive("batch", batch)
    require_positive("prompt_tokens", prompt_tokens)
    mf = require_in_range("memory_fraction", memory_fraction, 0.0, 1.0, low_open=True)
    b, p, o, n = (v.ravel() for v in np.broadcast_arrays(b, p, o, n))
    _, fits_b, fits = _memory_fit(m, g, b, p + o, precision, kv_precision, n, mf, check_memory)
    *_, dec = _decode_core(m, g, e, precision, kv_precision, n, b, p + (o + 1.0) / 2.0, None, None)
    pre_e = e if prefill_efficiency is None else as_efficiency(prefill_efficiency)
    *_, pre = _prefill_core(m, g, pre_e, precision, kv_precision, n, p, 1.0, None, None)
    nn = n
    ttft_s = pre["step"]
    tpot_s = dec["step"]
    cycle_s = b * ttft_s + o * tpot_s
    out_tps = b * o / cycle_s
    energy_j = b * ttft_s * pre["power_w"] * nn + o * tpot_s * dec["power_w"] * nn
    j_per_out = energy_j / (b * o)
    return pd.DataFrame(
        {
            "model": m.name,
            "gpu": g.name,
            "precision": precision,
            "tensor_parallel": n.astype(np.int64),
            "batch": b.astype(np.int64),
            "prompt_tokens": p.astype(np.int64),
            "output_tokens": o.astype(np.int64),
            "ttft_ms": ttft_s * 1e3,
            "tpot_ms": tpot_s * 1e3,
            "e2e_latency_s": ttft_s + o * tpot_s,
            "tokens_per_s_per_user": 1.0 / tpot_s,
            "tokens_per_s_per_replica": out_tps,
            "tokens_per_s_per_gpu": out_tps / nn,
            "usd_per_mtok_output": price * nn / (out_tps * 3600.0) * 1e6,
            "joules_per_output_token": j_per_out,
            "wh_per_response": j_per_out * o / 3600.0,
            "facility_wh_per_response": j_per_out * o / 3600.0 * pue,
            "bound": dec["bound"],
            "fits": fits,
            "max_batch": fits_b,
        }
    )


def published_throughput_ceiling(published: pd.DataFrame) -> pd.DataFrame:
    """The roofline ceiling beside each published throughput figure.

    For a throughput row (``offline_output_throughput`` or ``server_output_throughput``) the
    bound is the system's dense peak FLOP/s at the weights' format divided by the FLOPs each
    output token needs at least: ``2 N_active`` for its decode step plus its share of the
    prompt's prefill, ``2 N_active * input / output``, whatever the batch (attention FLOPs are
    left out, so the bound is loose but safe). Where the request shape is not stated (MLPerf
    rows; decode-only nodes of a disaggregated deployment) only the decode FLOPs count. For a
    ``per_user_speed`` row the bound is the memory roof of batch 1: every step reads the active
    weights once, ``bandwidth / (N_active * bytes per weight)``.

    Parameters
    ----------
    published : pandas.DataFrame
        Rows in the schema of ``data/published_throughput.csv``.

    Returns
    -------
    pandas.DataFrame
        ``source_id``, ``measured`` (tokens/s, system total or per user), ``ceiling``
        (same unit), ``share_of_ceiling`` and ``bound`` ("compute" or "memory").
    """
    out = []
    for _, r in published.iterrows():
        m, g = get_model(r["model"]), get_gpu(r["gpu"])
        n = float(r["n_gpus"])
        if r["metric"] == "per_user_speed":
            w = PRECISION_BYTES[check_precision("weight_precision", r["weight_precision"])]
            ceiling = g.hbm_tb_s * 1e12 * n / (m.params_active * w)
            measured, bound = float(r["tokens_per_s_per_user"]), "memory"
        else:
            measured = r["output_tokens_per_s"]
            if pd.isna(measured):
                measured = r["output_tokens_per_s_per_gpu"] * n
            known = pd.notna(r["input_tokens"]) and pd.notna(r["output_tokens"])
            share = r["input_tokens"] / r["output_tokens"] if known else 0.0
            peak = g.peak_tflops(r["weight_precision"]) * 1e12 * n
            ceiling = peak / (2.0 * m.params_active * (1.0 + share))
            bound = "compute"
        out.append(
            {
                "source_id": r["source_id"],
                "gpu": g.name,
                "n_gpus": int(n),
                "model": m.name,
                "metric": r["metric"],
                "measured": float(measured),
                "ceiling": float(ceiling),
                "share_of_ceiling": float(measured) / float(ceiling),
                "bound": bound,
            }
        )
    return pd.DataFrame(out)


# --------------------------------------------------------------------------- one iteration


_SCALARS = (int, float)


class IterationCost:
    """Time and energy of one scheduler iteration that mixes prefill chunks and decodes.

    A continuous-batching server runs *iterations*: each processes ``prefill_tokens`` of new or
    chunked prompts plus one token for each of ``decode_sequences`` running requests. The
    iteration is costed with the same step model as :func:`decode_performance` and
    :func:`prefill_performance` (same efficiency): the linear layers once over all
    ``prefill_tokens + decode_sequences`` tokens (weights read once, the GEMM share of peak at
    that many rows), decode attention over the running requests' cached tokens (with the
    attention thread-block limit), prefill attention over each chunk's causal span (and its
    already-cached prefix), tensor-parallel communication and the per-step overhead; summed
    (a real engine, ``efficiency.sequential``) or as one roofline of the summed FLOPs and bytes
    (the ceiling). In its two pure cases it equals :func:`prefill_performance` and
    :func:`decode_performance`.

    Everything that does not change between iterations (bytes and FLOPs per token, seconds per
    cached token, weights read) is computed once here, so an iteration costs a handful of
    float operations: it is called hundreds of thousands of times per simulation. Within one
    roofline regime a decode-only iteration's time is linear in the summed context, which
    :meth:`decode_form` exposes for advancing many iterations at once.

    Parameters
    ----------
    model, gpu : str or spec
        The model and the accelerator.
    precision : {"bf16", "fp8", "fp4"}
        Weight precision.
    efficiency : float, Efficiency, Calibration or None
        As in :func:`decode_performance` (``None``: the stored calibration).
    kv_precision : str, optional
        KV-cache precision (default ``precision``).
    tensor_parallel : int
        Tensor-parallel GPUs of the instance.
    allreduce_latency_us, interconnect_gb_s : float, optional
        As in :func:`decode_performance`.
    allow_weight_only : bool
        As in :func:`decode_performance`: a non-native precision raises unless this is set.

    Notes
    -----
    Sliding-window models are costed with the mean context of the running requests
    (``decode_sequences * attended(context / decode_sequences)``), exact when all contexts
    are on the same side of the window.
    """

    @renamed_parameters(n_gpus="tensor_parallel")
    def __init__(
        self,
        model: str | ModelSpec,
        gpu: str | GPUSpec,
        precision: str = "bf16",
        efficiency=None,
        *,
        kv_precision: str | None = None,
        tensor_parallel: int = 1,
        allreduce_latency_us: float | None = None,
        interconnect_gb_s: float | None = None,
        allow_weight_only: bool = False,
    ):
        m, g, precision, kv_precision, e, n, _ = _prepare(
            model, gpu, precision, kv_precision, efficiency, tensor_parallel, 1.0, None,
            allow_weight_only,
        )  # fmt: skip
        if np.ndim(n):
            raise ValueError(
                f"tensor_parallel must be one whole number; got {plain(tensor_parallel)!r}"
            )
        n = float(n)
        self.model, self.gpu, self.efficiency = m, g, e
        self._comm_args = (allreduce_latency_us, interconnect_gb_s)  # for step_terms
        self.precision, self.kv_precision, self.tensor_parallel = precision, kv_precision, int(n)
        peak = g.peak_tflops(precision) * 1e12
        bw = g.hbm_tb_s * 1e12
        bw_e = bw * e.memory
        w = PRECISION_BYTES[precision]
        kvb = kv_bytes_per_token(m, kv_precision)
        shard = float(_kv_shard(m, n))
        routed = m.n_moe_layers * m.n_experts_active * m.expert_params
        self._peak, self._bw = peak, bw
        self._seq = bool(e.sequential)
        # linear layers: seconds per GEMM row at the full large-GEMM share, and weights read
        self._dense_row_s = 2.0 * (m.params_active - routed) / n / (peak * e.compute)
        self._dense_flops_row = 2.0 * (m.params_active - routed) / n
        self._half = float(e.compute_half_tokens)
        self._weights_s = m.params_always_read * w / n / bw_e
        self._weights_b = m.params_always_read * w / n
        self._moe = (m.n_moe_layers, m.n_experts, m.n_experts_active, m.expert_params * w / n,
                     2.0 * routed / n) if m.n_experts else None  # fmt: skip
        # attention: seconds per cached token read (per GPU), per query-key pair of FLOPs
        self._kv_tok_b = kvb / shard
        self.kv_bytes_per_token_per_gpu = kvb / shard
        """KV-cache bytes one token takes on each GPU of the instance."""
        self._kv_tok_s = kvb / shard / bw_e
        self._pair_flops = m.attention_flops_per_token_per_context() / n
        self._pair_s = self._pair_flops / (peak * e.attention_share)
        self._blocks_per_seq = (
            np.inf if m.attention == "mla" else m.n_kv_heads / shard
        )  # fmt: skip
        self._blocks_need = e.attention_blocks_per_sm * g.n_sm
        # communication: per token and per iteration; overhead per iteration
        self.interconnect_gb_s = float(
            interconnect_gb_s if interconnect_gb_s is not None else g.interconnect_gb_s
        )
        """GPU-to-GPU bandwidth per GPU (GB/s): tensor parallelism and KV-cache transfers."""
        if n > 1:
            lat, bus = _allreduce_terms(e, g, np.array([n]), allreduce_latency_us,
                                        interconnect_gb_s)  # fmt: skip
            self._comm_tok_s = (2 * m.n_layers * 2.0 * (n - 1) / n * m.hidden_size
                                * ACTIVATION_BYTES / (float(bus[0]) * 1e9))  # fmt: skip
            self._comm_fixed_s = 2 * m.n_layers * float(lat[0]) * 1e-6
        else:
            self._comm_tok_s = self._comm_fixed_s = 0.0
        # a prompt's KV cache handed from a prefill to a decode instance: one send/recv per GPU
        if e.measured_communication and interconnect_gb_s is None:
            try:
                latency_us, kv_gb_s = _send_recv_fit(g)
            except ValueError:  # no link bandwidth: kv_transfer_s says so when asked
                latency_us, kv_gb_s = 0.0, math.nan
            self._kv_latency_s = latency_us * 1e-6
        else:
            self._kv_latency_s, kv_gb_s = 0.0, self.interconnect_gb_s
        self._kv_tok_transfer_s = self._kv_tok_b / (kv_gb_s * 1e9)
        self._overhead_s = e.overhead_s(m.n_layers)
        self._window = m.n_sliding_layers > 0
        # the GEMM time model: a lazily filled table of linear seconds by tokens per step
        self._table = _linear_table(m, g, precision, int(n)) if e.operator_model else None
        norms = (m.n_layers * 2 + 1) * m.hidden_size  # params_breakdown["norms"]
        self._norms_s = norms * w / n / bw_e if e.operator_model else 0.0
        self._idle_w, self._span_w = g.idle_w, g.tdp_w - g.idle_w
        self._pw_m, self._pw_c = e.power_memory_weight, e.power_compute_weight

    # ----------------------------------------------------------------- pieces
    def _parallelism(self, sequences: float) -> float:
        if self._blocks_need <= 0 or sequences <= 0:
            return 1.0
        return min(1.0, sequences * self._blocks_per_seq / self._blocks_need)

    def _touched(self, tokens: float) -> float:
        """Distinct routed experts per MoE layer that ``tokens`` rows touch (0 for dense)."""
        if self._moe is None or tokens <= 0:
            return 0.0
        return distinct_experts(self._moe[1], self._moe[2], tokens)

    def _linear_ops(self, tokens: float, touched: float) -> list[tuple[float, float]]:
        """(compute s, memory s) of each linear operation over ``tokens`` rows: the always-read
        weights, and for MoE models the routed experts (``touched`` of them, :meth:`_touched`,
        over the rows each expert receives).

        Under the GEMM time model (``efficiency.operator_model``) the answer comes from a table
        by token count whose MoE rows already hold ``_touched(tokens)`` experts: ``touched`` is
        then ignored, so a caller that needs another expert count (expert parallelism) must
        cost its experts itself (:mod:`inferecon.expert_parallel` does)."""
        if tokens <= 0:
            return []
        if self._table is not None:
            if self._norms_s:
                return [*self._table.ops(tokens), (0.0, self._norms_s)]
            return self._table.ops(tokens)
        ops = [(self._dense_row_s * (tokens + self._half), self._weights_s)]
        if self._moe is not None:
            layers, _, k, exp_b, exp_f = self._moe
            rows = tokens * k / touched
            e = self.efficiency
            ops.append((
                exp_f * tokens / (self._peak * e.compute) * (rows + self._half) / rows,
                layers * touched * exp_b / (self._bw * e.memory),
            ))  # fmt: skip
        return ops

    def _attended_sum(self, sequences: float, context_sum: float) -> float:
        if not self._window or sequences <= 0:
            return context_sum
        return sequences * float(self.model.attended_positions(context_sum / sequences))

    # ----------------------------------------------------------------- public
    def iteration(
        self,
        prefill_tokens: float = 0.0,
        prefill_pairs: float = 0.0,
        prefill_prefix_tokens: float = 0.0,
        decode_sequences: float = 0.0,
        decode_context: float = 0.0,
    ) -> tuple[float, float]:
        """Seconds and joules (all GPUs of the instance) of one iteration.

        Parameters
        ----------
        prefill_tokens : float
            Prompt tokens processed (new prompts or chunks of them).
        prefill_pairs : float
            Causal query-key pairs of those chunks, summed over layers and divided by the layer
            count (for a chunk of ``p`` tokens after ``o`` cached ones of a full-attention model,
            ``p * o + p * (p + 1) / 2``; :meth:`prefill_pairs` computes it).
        prefill_prefix_tokens : float
            Already-cached tokens of the chunked requests, which their chunks read.
        decode_sequences : float
            Running requests that each decode one token.
        decode_context : float
            Their cached tokens, summed.

        Returns
        -------
        tuple of float
            ``(seconds, joules)``.
        """
        d, s = float(decode_sequences), float(decode_context)
        tokens = float(prefill_tokens) + d
        touched = self._touched(tokens)
        ops = self._linear_ops(tokens, touched)
        att_s = self._attended_sum(d, s)
        par = self._parallelism(d)
        read_s = self._attended_sum(d, s + d)  # cached tokens read and the new one written
        dec_m = self._kv_tok_s * read_s / par if d > 0 else 0.0
        dec_c = self._pair_s * att_s
        pre_m = self._kv_tok_s * (float(prefill_tokens) + float(prefill_prefix_tokens))
        pre_c = self._pair_s * float(prefill_pairs)
        if self._seq:
            work = sum(max(c, mm) for c, mm in ops) + max(dec_c, dec_m) + max(pre_c, pre_m)
        else:
            work = max(sum(c for c, _ in ops) + dec_c + pre_c, sum(mm for _, mm in ops) + dec_m
                       + pre_m)  # fmt: skip
        comm = (self._comm_tok_s * tokens + self._comm_fixed_s) if tokens > 0 else 0.0
        t = work + comm + self._overhead_s
        if t <= 0:
            return 0.0, 0.0
        flops, by = self._flops_bytes(tokens, touched, att_s, read_s if d > 0 else 0.0,
                                      prefill_tokens, prefill_pairs,
                                      prefill_prefix_tokens)  # fmt: skip
        drive = min(1.0, self._pw_m * by / (t * self._bw) + self._pw_c * flops / (t * self._peak))
        return t, (self._idle_w + self._span_w * drive) * t * self.tensor_parallel

    def _flops_bytes(self, tokens, touched, att_s, read_s, p_tok, p_pairs, p_prefix):
        flops = self._dense_flops_row * tokens + self._pair_flops * (att_s + float(p_pairs))
        by = (self._weights_b if tokens > 0 else 0.0) + self._kv_tok_b * (
            read_s + float(p_tok) + float(p_prefix)
        )
        if self._moe is not None and tokens > 0:
            layers, _, _, exp_b, exp_f = self._moe
            flops += exp_f * tokens
            by += layers * touched * exp_b
        return flops, by

    def iteration_s(
        self,
        prefill_tokens: float = 0.0,
        prefill_pairs: float = 0.0,
        prefill_prefix_tokens: float = 0.0,
        decode_sequences: float = 0.0,
        decode_context: float = 0.0,
    ) -> float:
        """Seconds of one iteration (the arguments of :meth:`iteration`; no energy computed).

        The simulator's hot path: plain float arithmetic for dense full-attention models.
        """
        if self._moe is not None or self._window:
            return self.iteration(prefill_tokens, prefill_pairs, prefill_prefix_tokens,
                                  decode_sequences, decode_context)[0]  # fmt: skip
        d = decode_sequences
        tokens = prefill_tokens + d
        if tokens <= 0:
            return self._overhead_s
        par = self._parallelism(d) if d > 0 else 1.0
        dec_m = self._kv_tok_s * (decode_context + d) / par if d > 0 else 0.0
        dec_c = self._pair_s * decode_context
        pre_m = self._kv_tok_s * (prefill_tokens + prefill_prefix_tokens)
        pre_c = self._pair_s * prefill_pairs
        table = self._table
        if table is not None:  # the GEMM time model, looked up by tokens per step
            lin = table.totals.get(tokens)
            if lin is None:
                lin = table.total_s(tokens)
            return (lin + self._norms_s + (dec_c if dec_c > dec_m else dec_m)
                    + (pre_c if pre_c > pre_m else pre_m) + self._comm_tok_s * tokens
                    + self._comm_fixed_s + self._overhead_s)  # fmt: skip
        lin_c = self._dense_row_s * (tokens + self._half)
        lin_m = self._weights_s
        if self._seq:
            work = (
                (lin_c if lin_c > lin_m else lin_m)
                + (dec_c if dec_c > dec_m else dec_m)
                + (pre_c if pre_c > pre_m else pre_m)
            )
        else:
            work = max(lin_c + dec_c + pre_c, lin_m + dec_m + pre_m)
        return work + self._comm_tok_s * tokens + self._comm_fixed_s + self._overhead_s

    def prefill_pairs(self, chunk_tokens, cached_tokens=0):
        """Causal query-key pairs of a chunk of ``chunk_tokens`` after ``cached_tokens``.

        Parameters
        ----------
        chunk_tokens, cached_tokens : float or array
            The chunk and the prompt tokens before it that are already cached.

        Returns
        -------
        float or numpy.ndarray
            Summed over layers and divided by the layer count (sliding windows respected).
        """
        if not self._window and type(chunk_tokens) in _SCALARS and type(cached_tokens) in _SCALARS:
            p, c = float(chunk_tokens), float(cached_tokens)  # the hot path: two scalars
            return p * c + p * (p + 1.0) / 2.0
        m = self.model
        c = np.asarray(cached_tokens, dtype=float)
        p = np.asarray(chunk_tokens, dtype=float)
        return scalar_or_array(
            m.prefill_attended_positions(c + p) - m.prefill_attended_positions(c)
        )

    def decode_form(self, decode_sequences: float, decode_context: float):
        """A decode-only iteration's time as ``K + max(a1 + b1 j, a2 + b2 j)``.

        With the running requests fixed, iteration ``j`` (counting from 0) of a stretch of
        decode-only iterations has ``decode_context + j * decode_sequences`` cached tokens; its
        time is linear in ``j`` within each roofline regime, so a stretch of ``k`` iterations
        can be advanced in closed form.

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
        d, s0 = float(decode_sequences), float(decode_context)
        ops = self._linear_ops(d, self._touched(d))
        par = self._parallelism(d)
        if self._window:
            a0 = self._attended_sum(d, s0)
            r0 = self._attended_sum(d, s0 + d)
            slope = (r0 - a0) if d > 0 else 0.0
        else:
            a0, r0, slope = s0, s0 + d, d
        kv = self._kv_tok_s / par
        comm = self._comm_tok_s * d + self._comm_fixed_s
        if self._seq:
            k0 = sum(max(c, mm) for c, mm in ops)
            return (k0 + comm + self._overhead_s, kv * r0, kv * slope,
                    self._pair_s * a0, self._pair_s * slope)  # fmt: skip
        lin_c, lin_m = sum(c for c, _ in ops), sum(mm for _, mm in ops)
        return (comm + self._overhead_s, lin_m + kv * r0, kv * slope,
                lin_c + self._pair_s * a0, self._pair_s * slope)  # fmt: skip

    def decode_linear_iterations(self, decode_sequences: float, decode_context: float) -> float:
        """How many iterations, from ``j = 0``, :meth:`decode_form` gives exactly.

        The form is linear in the cached tokens; a sliding-window model's attended positions
        (costed at the mean context ``decode_context / decode_sequences``, see the Notes of
        the class) bend where that mean crosses the window. Up to the crossing the form is
        exact; an iteration that straddles it is exact alone (``j = 0`` is evaluated, not
        extrapolated); past it the form is exact again with the windowed slope.

        Parameters
        ----------
        decode_sequences : float
            Running requests (> 0).
        decode_context : float
            Their cached tokens, summed, at ``j = 0``.

        Returns
        -------
        float
            A whole number of iterations >= 1, or ``inf`` (no window ahead).
        """
        if not self._window or decode_sequences <= 0:
            return math.inf
        x0 = float(decode_context) / float(decode_sequences)  # mean context at j = 0
        w = float(self.model.sliding_window)
        if x0 >= w:
            return math.inf
        # iteration j reads the mean context x0 + j + 1: linear while x0 + k <= w
        return float(max(math.floor(w - x0), 1))

    # ----------------------------------------------------------------- hook: other expert layers
    def step_terms(self, batch=None, context_tokens=None, *, prompt_tokens=None) -> dict:
        """Per-GPU terms of decode steps, or of one-prompt prefills, of this configuration.

        The steps :func:`decode_performance` (``batch`` sequences at ``context_tokens``) and
        :func:`prefill_performance` (one prompt of ``prompt_tokens``) cost, before their
        tables are built. With :meth:`routed_expert_s` this is the package's hook for a step
        whose MoE expert layers are costed differently (:mod:`inferecon.expert_parallel`
        swaps the routed-expert term for its expert-parallel share).

        Parameters
        ----------
        batch, context_tokens : float or array, optional
            Decode steps: sequences and the tokens each attends over (broadcast).
        prompt_tokens : float or array, optional
            Prefills of one prompt each (then ``batch`` and ``context_tokens`` are not used).

        Returns
        -------
        dict
            Seconds per GPU (flattened arrays): ``compute``, ``memory``, ``linear``,
            ``attention``, ``comm``, ``overhead``, ``step``; ``bound``, ``flops``, ``bytes``
            and ``power_w`` (per GPU).
        """
        args = (self.model, self.gpu, self.efficiency, self.precision, self.kv_precision,
                np.asarray(float(self.tensor_parallel)))  # fmt: skip
        if prompt_tokens is not None:
            return _prefill_core(*args, prompt_tokens, 1.0, *self._comm_args)[4]
        return _decode_core(*args, batch, context_tokens, *self._comm_args)[4]

    def routed_expert_s(self, tokens, rows=None, touched=None):
        """Per-GPU routed-expert time of steps of ``tokens`` tokens, over all MoE layers.

        Without ``rows`` and ``touched``: the term this configuration's steps charge (every
        expert on the instance: ``distinct_experts(E, k, tokens)`` experts read, ``tokens k``
        rows). With them: the term of a GPU that multiplies ``rows`` token-expert rows over
        ``touched`` distinct experts per MoE layer and routes its own ``tokens`` (expert
        parallelism: the busiest GPU's rows, its share of the experts). Under the GEMM time
        model (``Efficiency.operator_model``) that is one grouped GEMM per expert matrix over
        the ``touched`` experts, each multiplying ``rows / touched`` rows, plus the routing
        kernels (:data:`~inferecon.MOE_ROUTING_KERNELS`: a launch each and the bytes of
        summing each token's ``k`` outputs), the arithmetic of the step's own expert column;
        otherwise the saturating GEMM share of the touched experts' FLOPs and bytes.

        Parameters
        ----------
        tokens : float or array
            Tokens of the step on this GPU, >= 0.
        rows, touched : float or array, optional
            Token-expert GEMM rows and distinct experts read per MoE layer (both or neither).

        Returns
        -------
        tuple of numpy.ndarray
            ``(compute s, memory s, seconds)``, 0 where there are no rows.

        Raises
        ------
        ValueError
            For a model without routed experts.
        """
        if self._moe is None:
            raise ValueError(f"model {self.model.name!r} has no routed experts")
        t = np.atleast_1d(np.asarray(tokens, dtype=float))
        layers, n_exp, k = self._moe[:3]
        tab = self._table
        if rows is None and tab is not None:
            out = np.zeros((len(t), 3))
            live = t > 0
            if live.any():
                out[live] = tab.table(t[live])[:, [5, 6, 4]]
            return out[:, 0], out[:, 1], out[:, 2]
        if rows is None:
            per, x = t, np.asarray(distinct_experts(n_exp, k, t), dtype=float)
        else:
            x = np.broadcast_to(np.asarray(touched, dtype=float), t.shape)
            per = np.asarray(rows, dtype=float) / k  # tokens of _linear_ops, which counts k each
        if tab is None:
            c, mm = np.zeros(len(t)), np.zeros(len(t))
            for i, (a, b) in enumerate(zip(per.tolist(), x.tolist(), strict=True)):
                c[i], mm[i] = self._linear_ops(a, b)[1] if a > 0 and b > 0 else (0.0, 0.0)
            return c, mm, np.maximum(c, mm)
        per_expert = np.asarray(rows, dtype=float) / np.where(x > 0, x, 1.0)
        u, e = len(x), len(tab.ek)
        seconds, comp, memo = _gemm_parts(
            np.repeat(per_expert, e), np.tile(tab.ek, u), np.tile(tab.en, u), tab.peak, tab.bw,
            tab.sms, tab.params, tab.w, np.repeat(x, e),
        )  # fmt: skip
        gemms, c, mm = ((v.reshape(u, e) * float(layers)).sum(1) for v in (seconds, comp, memo))
        routing_b = layers * 2.0 * t * (k + 1) * tab.hidden * tab.routing_byte_s
        routing = layers * tab.routing_launch_s + routing_b
        live = (x > 0) & (t > 0)
        return (np.where(live, c, 0.0), np.where(live, mm + routing_b, 0.0),
                np.where(live, gemms + routing, 0.0))  # fmt: skip

    def kv_transfer_s(self, prompt_tokens: float) -> float:
        """Seconds to move one prompt's KV cache from a prefill instance to a decode instance.

        Each GPU sends its shard of the cache to its peer in one point-to-point transfer,
        ``latency + bytes / bandwidth`` (:func:`inferecon.send_recv_time_us`). A measured engine
        (:attr:`Efficiency.measured_communication`) takes both from the measured send/recv fit
        of its node (:func:`inferecon.send_recv_parameters`); the physical ceiling, a float
        efficiency or an explicit ``interconnect_gb_s`` uses that link bandwidth and no latency.

        Parameters
        ----------
        prompt_tokens : float or array
            Cached tokens moved.

        Returns
        -------
        float or numpy.ndarray
            Seconds.

        Raises
        ------
        ValueError
            When the GPU has no interconnect bandwidth.
        """
        if not np.isfinite(self._kv_tok_transfer_s):
            raise ValueError(f"{self.gpu.name} has no interconnect bandwidth in data/gpus.csv "
                             "to move the KV cache between pools")  # fmt: skip
        tokens = np.asarray(prompt_tokens, dtype=float)
        return scalar_or_array(self._kv_latency_s + tokens * self._kv_tok_transfer_s)

    def kv_capacity_tokens(self, memory_fraction: float = DEFAULT_MEMORY_FRACTION) -> int:
        """Tokens of KV cache that fit beside the weights on each GPU of the instance.

        Parameters
        ----------
        memory_fraction : float
            Usable share of each GPU's memory.

        Returns
        -------
        int
            Cached tokens (0 when the weights alone do not fit); the same memory model as
            :func:`max_batch`.
        """
        free = (
            usable_memory_gb(self.gpu, memory_fraction) * 1e9
            - weight_memory_gb(self.model, self.precision, self.tensor_parallel) * 1e9
        )
        return max(int(free // self._kv_tok_b), 0)

    def step_tables(self, max_tokens: int) -> dict:
        """The step model as numbers, for the compiled scheduler loop (``batching_core``).

        An iteration's time (:meth:`iteration`) depends on its token count through the linear
        layers only (:meth:`_linear_ops`; a MoE model's experts touched are a function of the
        token count too); the rest is a few coefficients. The tables hold the linear layers'
        seconds at every whole token count from 0; they are computed once per instance and
        grown on demand (a call with a larger ``max_tokens`` extends them).

        Parameters
        ----------
        max_tokens : int
            The largest token count the tables must cover (>= 0).

        Returns
        -------
        dict
            ``linear_max_s``, ``linear_compute_s``, ``linear_memory_s``: arrays over token
            counts ``0..n`` (``n >= max_tokens``) of the sum over linear operations of
            max(compute s, memory s) (a real engine, ``sequential``), of the compute seconds
            and of the memory seconds (the ceiling: one roofline of the sums);
            ``kv_token_s`` (s per cached token read), ``pair_s`` (s per query-key pair),
            ``blocks_per_sequence`` and ``blocks_need`` (the attention thread-block limit),
            ``comm_token_s`` and ``comm_fixed_s`` (tensor-parallel communication per token
            and per iteration), ``overhead_s`` (per iteration), ``sequential`` (bool) and
            ``sliding_window`` (bool: the attention terms then bend, and the tables alone do
            not give :meth:`iteration`).

        Raises
        ------
        ValueError
            If ``max_tokens`` is negative or not a whole number.
        """
        require_in_range("max_tokens", max_tokens, 0, 1e9)
        if max_tokens != round(max_tokens):
            raise ValueError(f"max_tokens must be a whole number; got {plain(max_tokens)!r}")
        tables = self.__dict__.get("_step_tables")
        have = 0 if tables is None else len(tables["linear_max_s"])
        if have <= max_tokens:
            grown = {"linear_max_s": [], "linear_compute_s": [], "linear_memory_s": []}
            for x in range(have, int(max_tokens) + 1):
                worst = compute = memory = 0  # summed in the order iteration() sums them
                for c, mm in self._linear_ops(float(x), self._touched(float(x))):
                    worst += max(c, mm)
                    compute += c
                    memory += mm
                grown["linear_max_s"].append(worst)
                grown["linear_compute_s"].append(compute)
                grown["linear_memory_s"].append(memory)
            tables = {
                **(tables or {}),
                **{k: np.concatenate([tables[k] if tables else np.empty(0),
                                      np.asarray(v, dtype=float)]) for k, v in grown.items()},
                "kv_token_s": self._kv_tok_s,
                "pair_s": self._pair_s,
                "blocks_per_sequence": float(self._blocks_per_seq),
                "blocks_need": float(self._blocks_need),
                "comm_token_s": self._comm_tok_s,
                "comm_fixed_s": self._comm_fixed_s,
                "overhead_s": float(self._overhead_s),
                "sequential": self._seq,
                "sliding_window": bool(self._window),
            }  # fmt: skip
            self.__dict__["_step_tables"] = tables
        return tables
