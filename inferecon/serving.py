"""What a token costs: a roofline model of LLM serving, calibrated to measurements.

One decode step of ``batch`` sequences, each attending over ``context_tokens`` of KV cache,
must move the weights it touches and the whole KV cache through HBM and do about two FLOPs
per active parameter per token plus the attention FLOPs. The step takes

    step = max(FLOPs / (peak * compute_eff), bytes / (bandwidth * memory_eff)) + comm + overhead

(Williams, Waterman & Patterson 2009, "Roofline", CACM 52(4); applied to transformer inference
by Pope et al. 2022, "Efficiently Scaling Transformer Inference", arXiv:2211.05102, Sec. 2).
With ``efficiency=1.0`` there are no losses and no overhead: a physical ceiling that no real
measurement may beat. :func:`calibrate` fits the two efficiencies and the per-step overhead to
measured rows (``data/h200_decode.csv``, or your own from ``benchmarks/gpu_decode.py``).

Model of the byte and FLOP counts (all stated so they can be checked):

* Weights are read once per step at their precision (``bf16`` 2 B, ``fp8`` 1 B, ``fp4``
  0.5625 B: 4-bit values plus one FP8 scale per 16, NVIDIA's NVFP4). The input embedding table
  is *not* read (a step gathers ``batch`` rows of it); the LM head is (tied or not).
* MoE: each token picks ``k`` of ``E`` routed experts. With uniform, independent routing a step
  of ``T`` tokens touches ``E * (1 - (1 - k/E)**T)`` distinct experts per layer in expectation:
  ``k`` at batch 1, all ``E`` for large batches. Shared experts and dense layers are always
  read. FLOPs count only the ``k`` active experts per token. Real routers are imbalanced,
  which touches somewhat fewer distinct experts; this is the uniform-routing estimate.
* KV cache: GQA stores K and V per KV head, ``2 * layers * kv_heads * head_dim`` values per
  token. DeepSeek's multi-head latent attention (MLA) stores one compressed latent plus a
  decoupled RoPE key, ``layers * (kv_lora_rank + qk_rope_head_dim)`` values per token
  (DeepSeek-V2 paper, arXiv:2405.04434, Sec. 2.1), read once per step for all heads.
* Sliding-window layers (Mistral-7B v0.1, half of gpt-oss's) cache and attend over at most
  ``window`` tokens; the rest over the whole context.
* Attention FLOPs per decoded token: GQA ``4 * heads * head_dim * context`` per layer
  (QK^T and AV); MLA in its weight-absorbed decode form ``2 * heads * (2 * kv_lora_rank +
  qk_rope_head_dim) * context`` per layer. Prefill counts the causal half.
* FLOPs run at the tensor-core peak of the weights' format (FP8 weights with FP8
  activations, FP4 likewise); a GPU without that format (A100 and FP8, Hopper and FP4)
  computes in bf16 and saves only memory (weight-only quantisation).
* Tensor parallelism over ``n`` GPUs splits weights, FLOPs and GQA KV heads (KV heads are
  replicated when ``n`` exceeds them; the MLA latent is replicated on every GPU). It adds two
  ring all-reduces of the ``batch x hidden`` bf16 activations per layer, each taking
  ``2 (n-1)/n * bytes / link bandwidth + latency`` (``allreduce_latency_us``, default 8 us),
  not overlapped with compute.
* Power per GPU ``= idle + (TDP - idle) * min(1, w_mem * u_mem + w_compute * u_compute)``,
  where ``u`` are the achieved fractions of peak bandwidth and FLOP/s; the weights are
  calibrated (both 1 when uncalibrated). Facility energy multiplies by the PUE.
* Activations, the sampling step and the host are outside the model; the fitted overhead
  absorbs what of them does not overlap.
"""

from __future__ import annotations

import functools
import math
from dataclasses import asdict, dataclass, field, replace

import numpy as np
import pandas as pd

from ._validate import require_in_range, require_positive
from .datasets import load_decode_measurements, load_gpus, load_models

__all__ = [
    "Calibration",
    "Efficiency",
    "GPUSpec",
    "ModelSpec",
    "PRECISION_BYTES",
    "attainable_tflops",
    "calibrate",
    "crossover_batch",
    "decode_bytes",
    "decode_flops",
    "decode_performance",
    "default_efficiency",
    "distinct_experts",
    "get_gpu",
    "get_model",
    "kv_bytes_per_token",
    "max_batch",
    "prefill_performance",
    "published_throughput_ceiling",
    "ridge_point",
    "serving_performance",
]

PRECISION_BYTES: dict[str, float] = {"bf16": 2.0, "fp8": 1.0, "fp4": 0.5625}
"""Bytes per stored value. fp4 is NVFP4: a 4-bit value plus one FP8 scale per 16 values
(NVIDIA, "Introducing NVFP4 for efficient and accurate low-precision inference", 2025)."""

ACTIVATION_BYTES = 2.0
"""Activations are exchanged in bf16 between tensor-parallel GPUs."""


def _check_precision(name: str, value: str) -> str:
    v = str(value).lower()
    if v not in PRECISION_BYTES:
        raise ValueError(f"{name} must be one of {sorted(PRECISION_BYTES)}; got {value!r}")
    return v


# --------------------------------------------------------------------------- specifications


@dataclass(frozen=True)
class GPUSpec:
    """One accelerator. Dense tensor throughput in TFLOP/s; memory in GB (1e9 bytes)."""

    name: str
    memory_gb: float
    hbm_tb_s: float
    bf16_dense_tflops: float
    tdp_w: float
    fp8_dense_tflops: float = math.nan
    fp4_dense_tflops: float = math.nan
    idle_w: float = 0.0
    interconnect_gb_s: float = math.nan
    usd_per_hour_low: float = math.nan
    usd_per_hour_high: float = math.nan

    def __post_init__(self):
        for f in ("memory_gb", "hbm_tb_s", "bf16_dense_tflops", "tdp_w"):
            require_positive(f"GPUSpec.{f}", getattr(self, f))
        require_in_range("GPUSpec.idle_w", self.idle_w, 0.0, self.tdp_w)

    def peak_tflops(self, precision: str = "bf16") -> float:
        """Dense peak at ``precision``; falls back to the next wider format the GPU has."""
        precision = _check_precision("precision", precision)
        order = {"fp4": ("fp4", "fp8", "bf16"), "fp8": ("fp8", "bf16"), "bf16": ("bf16",)}
        for p in order[precision]:
            v = getattr(self, f"{p}_dense_tflops")
            if np.isfinite(v) and v > 0:
                return float(v)
        return float(self.bf16_dense_tflops)  # pragma: no cover - bf16 is required

    @property
    def usd_per_hour_mid(self) -> float:
        """Midpoint of the rental price range (NaN when the data has none)."""
        v = [x for x in (self.usd_per_hour_low, self.usd_per_hour_high) if np.isfinite(x)]
        return float(np.mean(v)) if v else math.nan


@dataclass(frozen=True)
class ModelSpec:
    """A transformer's shape. ``attention`` is ``"gqa"`` (MHA is GQA with kv_heads = heads)
    or ``"mla"`` (DeepSeek's latent attention, which needs the ``*_rank`` and ``*_head_dim``
    fields). Dense models have ``n_experts = 0`` and ``n_dense_layers = n_layers``."""

    name: str
    n_layers: int
    hidden_size: int
    n_heads: int
    n_kv_heads: int
    head_dim: int
    intermediate_size: int
    vocab_size: int
    tied_embeddings: bool = False
    attention: str = "gqa"
    n_experts: int = 0
    n_experts_active: int = 0
    n_shared_experts: int = 0
    moe_intermediate_size: int = 0
    n_dense_layers: int | None = None
    q_lora_rank: int = 0
    kv_lora_rank: int = 0
    qk_nope_head_dim: int = 0
    qk_rope_head_dim: int = 0
    v_head_dim: int = 0
    params_total_published: float = math.nan
    params_active_published: float = math.nan
    context_length: int = 0
    sliding_window: int = 0
    n_sliding_layers: int = 0

    def __post_init__(self):
        for f in ("n_layers", "hidden_size", "n_heads", "n_kv_heads", "head_dim", "vocab_size"):
            require_positive(f"ModelSpec.{f}", getattr(self, f))
        if self.attention not in ("gqa", "mla"):
            raise ValueError(f"ModelSpec.attention must be 'gqa' or 'mla'; got {self.attention!r}")
        if self.attention == "mla":
            for f in ("kv_lora_rank", "qk_nope_head_dim", "qk_rope_head_dim", "v_head_dim"):
                require_positive(f"ModelSpec.{f} (MLA)", getattr(self, f))
        if self.n_dense_layers is None:
            object.__setattr__(self, "n_dense_layers", self.n_layers if self.n_experts == 0 else 0)
        require_in_range("ModelSpec.n_dense_layers", self.n_dense_layers, 0, self.n_layers)
        if self.n_experts:
            require_in_range("ModelSpec.n_experts_active", self.n_experts_active, 1, self.n_experts)
            require_positive("ModelSpec.moe_intermediate_size", self.moe_intermediate_size)
        require_in_range("ModelSpec.n_sliding_layers", self.n_sliding_layers, 0, self.n_layers)
        if self.n_sliding_layers:
            require_positive("ModelSpec.sliding_window", self.sliding_window)
        if self.n_dense_layers and self.intermediate_size <= 0:
            require_positive("ModelSpec.intermediate_size", self.intermediate_size)

    # -- parameter counts from the shape --------------------------------------------------
    @property
    def n_moe_layers(self) -> int:
        return (self.n_layers - self.n_dense_layers) if self.n_experts else 0

    @property
    def attention_params_per_layer(self) -> int:
        h, nh = self.hidden_size, self.n_heads
        if self.attention == "gqa":
            q = h * nh * self.head_dim
            kv = 2 * h * self.n_kv_heads * self.head_dim
            return q + kv + nh * self.head_dim * h
        qk = self.qk_nope_head_dim + self.qk_rope_head_dim
        if self.q_lora_rank:
            q = h * self.q_lora_rank + self.q_lora_rank * nh * qk + self.q_lora_rank
        else:
            q = h * nh * qk
        kv_a = h * (self.kv_lora_rank + self.qk_rope_head_dim) + self.kv_lora_rank
        kv_b = self.kv_lora_rank * nh * (self.qk_nope_head_dim + self.v_head_dim)
        return q + kv_a + kv_b + nh * self.v_head_dim * h

    @property
    def expert_params(self) -> int:
        """Parameters of one routed (or shared) expert: gate, up and down projections."""
        return 3 * self.hidden_size * self.moe_intermediate_size

    @property
    def params_breakdown(self) -> dict[str, int]:
        """Parameter counts by component, computed from the shape."""
        h, L = self.hidden_size, self.n_layers
        return {
            "embedding": self.vocab_size * h,
            "lm_head": 0 if self.tied_embeddings else self.vocab_size * h,
            "attention": L * self.attention_params_per_layer,
            "norms": L * 2 * h + h,
            "dense_mlp": self.n_dense_layers * 3 * h * self.intermediate_size,
            "routed_experts": self.n_moe_layers * self.n_experts * self.expert_params,
            "shared_experts": self.n_moe_layers * self.n_shared_experts * self.expert_params,
            "routers": self.n_moe_layers * h * self.n_experts,
        }

    @property
    def params_total(self) -> int:
        """All parameters (from the shape)."""
        return int(sum(self.params_breakdown.values()))

    @property
    def params_always_read(self) -> int:
        """Parameters every decode step reads whatever the routing: all but the input embedding
        table and the routed experts (the LM head is read; a tied head is the embedding)."""
        b = self.params_breakdown
        return int(
            self.vocab_size * self.hidden_size
            + b["attention"]
            + b["norms"]
            + b["dense_mlp"]
            + b["shared_experts"]
            + b["routers"]
        )

    @property
    def params_active(self) -> int:
        """Parameters one token multiplies with: always-read ones plus ``k`` routed experts per
        MoE layer (the input embedding row is gathered, not multiplied, and is excluded)."""
        return int(
            self.params_always_read + self.n_moe_layers * self.n_experts_active * self.expert_params
        )

    def kv_values_per_token(self) -> int:
        """Cached values per token over all layers (K and V for GQA; latent + RoPE key for MLA)."""
        if self.attention == "mla":
            return self.n_layers * (self.kv_lora_rank + self.qk_rope_head_dim)
        return 2 * self.n_layers * self.n_kv_heads * self.head_dim

    def attended_positions(self, context_tokens):
        """Cached positions one token attends over, summed over layers and divided by the
        layer count: ``context`` for full attention, ``min(context, window)`` on
        sliding-window layers (Mistral-7B v0.1: every layer, 4,096; gpt-oss: half, 128)."""
        c = np.asarray(context_tokens, dtype=float)
        if not self.n_sliding_layers:
            return c
        full = self.n_layers - self.n_sliding_layers
        return (full * c + self.n_sliding_layers * np.minimum(c, self.sliding_window)) / (
            self.n_layers
        )

    def prefill_attended_positions(self, prompt_tokens):
        """Sum over a causal prompt's tokens of :meth:`attended_positions` (per layer, mean)."""
        p = np.asarray(prompt_tokens, dtype=float)
        tri = p * (p + 1.0) / 2.0
        if not self.n_sliding_layers:
            return tri
        w = float(self.sliding_window)
        windowed = np.where(p <= w, tri, w * (w + 1.0) / 2.0 + (p - w) * w)
        full = self.n_layers - self.n_sliding_layers
        return (full * tri + self.n_sliding_layers * windowed) / self.n_layers

    def attention_flops_per_token_per_context(self) -> float:
        """Attention FLOPs of one query token per cached token, over all layers."""
        if self.attention == "mla":
            per_layer = 2 * self.n_heads * (2 * self.kv_lora_rank + self.qk_rope_head_dim)
        else:
            per_layer = 4 * self.n_heads * self.head_dim
        return float(self.n_layers * per_layer)

    @classmethod
    def from_row(cls, row: pd.Series) -> ModelSpec:
        def i(c):
            v = row.get(c)
            return 0 if v is None or pd.isna(v) else int(v)

        return cls(
            name=str(row["name"]),
            n_layers=i("n_layers"),
            hidden_size=i("hidden_size"),
            n_heads=i("n_heads"),
            n_kv_heads=i("n_kv_heads"),
            head_dim=i("head_dim"),
            intermediate_size=i("intermediate_size"),
            vocab_size=i("vocab_size"),
            tied_embeddings=bool(row["tied_embeddings"]),
            attention=str(row["attention"]).lower(),
            n_experts=i("n_experts"),
            n_experts_active=i("n_experts_active"),
            n_shared_experts=i("n_shared_experts"),
            moe_intermediate_size=i("moe_intermediate_size"),
            n_dense_layers=i("n_dense_layers"),
            q_lora_rank=i("q_lora_rank"),
            kv_lora_rank=i("kv_lora_rank"),
            qk_nope_head_dim=i("qk_nope_head_dim"),
            qk_rope_head_dim=i("qk_rope_head_dim"),
            v_head_dim=i("v_head_dim"),
            params_total_published=float(row["params_total"]),
            params_active_published=float(row["params_active"]),
            context_length=i("context_length"),
            sliding_window=i("sliding_window"),
            n_sliding_layers=i("n_sliding_layers"),
        )


@functools.lru_cache(maxsize=1)
def _gpu_table() -> dict[str, GPUSpec]:
    out = {}
    for _, r in load_gpus().iterrows():
        out[r["name"].lower()] = GPUSpec(
            name=r["name"],
            memory_gb=r["memory_gb"],
            hbm_tb_s=r["hbm_tb_s"],
            bf16_dense_tflops=r["bf16_dense_tflops"],
            fp8_dense_tflops=r["fp8_dense_tflops"],
            fp4_dense_tflops=r["fp4_dense_tflops"],
            tdp_w=r["tdp_w"],
            idle_w=r["idle_w"],
            interconnect_gb_s=r["interconnect_gb_s"],
            usd_per_hour_low=r["usd_per_hour_low"],
            usd_per_hour_high=r["usd_per_hour_high"],
        )
    return out


@functools.lru_cache(maxsize=1)
def _model_table() -> dict[str, ModelSpec]:
    return {r["name"].lower(): ModelSpec.from_row(r) for _, r in load_models().iterrows()}


def _lookup(table: dict, name, what: str):
    try:
        return table[str(name).lower()]
    except KeyError:
        known = ", ".join(s.name for s in table.values())
        raise ValueError(f"unknown {what} {name!r}; known {what}s: {known}") from None


def get_gpu(gpu: str | GPUSpec) -> GPUSpec:
    """A :class:`GPUSpec` from a name in ``data/gpus.csv`` (case-insensitive) or a spec.

    Raises
    ------
    ValueError
        For an unknown name, listing the known ones.
    """
    return gpu if isinstance(gpu, GPUSpec) else _lookup(_gpu_table(), gpu, "gpu")


def get_model(model: str | ModelSpec) -> ModelSpec:
    """A :class:`ModelSpec` from a name in ``data/models.csv`` (case-insensitive) or a spec.

    Raises
    ------
    ValueError
        For an unknown name, listing the known ones.
    """
    return model if isinstance(model, ModelSpec) else _lookup(_model_table(), model, "model")


# --------------------------------------------------------------------------- efficiencies


@dataclass(frozen=True)
class Efficiency:
    """Fractions of peak reached, the fixed per-step overhead and the power weights.

    ``memory`` and ``compute`` in (0, 1]; ``overhead_ms`` >= 0 per step (kernel launches, host,
    sampling); ``power_memory_weight``/``power_compute_weight`` >= 0 scale how strongly
    bandwidth and FLOP utilisation drive board power above idle.
    """

    memory: float = 1.0
    compute: float = 1.0
    overhead_ms: float = 0.0
    power_memory_weight: float = 1.0
    power_compute_weight: float = 1.0

    def __post_init__(self):
        require_in_range("efficiency.memory", self.memory, 0.0, 1.0, low_open=True)
        require_in_range("efficiency.compute", self.compute, 0.0, 1.0, low_open=True)
        require_in_range("efficiency.overhead_ms", self.overhead_ms, 0.0, 1e4)
        require_in_range("efficiency.power_memory_weight", self.power_memory_weight, 0.0, 100.0)
        require_in_range("efficiency.power_compute_weight", self.power_compute_weight, 0.0, 100.0)


def _as_efficiency(efficiency, kind: str = "decode") -> Efficiency:
    if efficiency is None:
        return default_efficiency(kind).efficiency
    if isinstance(efficiency, Efficiency):
        return efficiency
    if isinstance(efficiency, Calibration):
        return efficiency.efficiency
    e = require_in_range("efficiency", efficiency, 0.0, 1.0, low_open=True)
    if np.ndim(e):
        raise ValueError("efficiency must be a scalar, an Efficiency or a Calibration")
    return Efficiency(memory=float(e), compute=float(e))


# --------------------------------------------------------------------------- counting


def kv_bytes_per_token(model: str | ModelSpec, kv_precision: str = "bf16") -> float:
    """KV-cache bytes one token occupies, over all layers.

    >>> kv_bytes_per_token(ModelSpec("8B", 32, 4096, 32, 8, 128, 14336, 128256))
    131072.0
    """
    m = get_model(model)
    return m.kv_values_per_token() * PRECISION_BYTES[_check_precision("kv_precision", kv_precision)]


def distinct_experts(n_experts: int, n_active: int, tokens):
    """Expected distinct experts ``T`` tokens touch in one MoE layer under uniform routing:
    ``E * (1 - (1 - k/E)**T)`` (each token picks ``k`` of ``E``; exact for ``T = 1``)."""
    tokens = np.asarray(tokens, dtype=float)
    if n_experts == 0:
        return np.zeros_like(tokens)
    return n_experts * -np.expm1(tokens * np.log1p(-n_active / n_experts))


def _weight_bytes_read(m: ModelSpec, tokens, w_bytes: float):
    experts = m.n_moe_layers * distinct_experts(m.n_experts, m.n_experts_active, tokens)
    return (m.params_always_read + experts * m.expert_params) * w_bytes


def decode_flops(model: str | ModelSpec, batch, context_tokens):
    """FLOPs of one decode step: ``2 * params_active * batch`` plus attention over the cache."""
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
    """Bytes one decode step moves: weights touched + KV cache read + the new KV written."""
    m = get_model(model)
    w = PRECISION_BYTES[_check_precision("precision", precision)]
    kvb = kv_bytes_per_token(m, kv_precision or precision)
    b = np.asarray(batch, dtype=float)
    c = np.asarray(context_tokens, dtype=float)
    return _weight_bytes_read(m, b, w) + b * m.attended_positions(c + 1.0) * kvb


def ridge_point(gpu: str | GPUSpec, precision: str = "bf16") -> float:
    """Arithmetic intensity (FLOP/byte) where the roofline turns: peak FLOP/s / bandwidth."""
    g = get_gpu(gpu)
    return g.peak_tflops(precision) * 1e12 / (g.hbm_tb_s * 1e12)


def attainable_tflops(gpu: str | GPUSpec, intensity_flop_per_byte, precision: str = "bf16"):
    """Roofline: ``min(peak, intensity * bandwidth)`` in TFLOP/s."""
    g = get_gpu(gpu)
    i = require_positive("intensity_flop_per_byte", intensity_flop_per_byte)
    return np.minimum(g.peak_tflops(precision), np.asarray(i) * g.hbm_tb_s)


def crossover_batch(
    model: str | ModelSpec,
    gpu: str | GPUSpec,
    context_tokens=0,
    precision: str = "bf16",
    kv_precision: str | None = None,
):
    """Smallest batch at which a dense model's decode step turns compute-bound (ceiling model).

    Solves ``b * F = (W + b * K) * ridge`` for ``b``, with ``F`` FLOPs per token, ``W`` weight
    bytes and ``K`` KV bytes per sequence. ``inf`` where attention over a long context keeps
    the step memory-bound at any batch (``F <= K * ridge``). For MoE models the distinct
    experts grow with batch and this closed form does not apply (``ValueError``).
    """
    m = get_model(model)
    if m.n_experts:
        raise ValueError(
            f"crossover_batch has no closed form for MoE model {m.name!r}; "
            "find it from decode_performance(...)['bound']"
        )
    c = require_in_range("context_tokens", context_tokens, 0.0, np.inf)
    ridge = ridge_point(gpu, precision)
    w = m.params_always_read * PRECISION_BYTES[_check_precision("precision", precision)]
    kv = kv_bytes_per_token(m, kv_precision or precision) * m.attended_positions(np.asarray(c) + 1)
    f = 2.0 * m.params_active + m.attention_flops_per_token_per_context() * m.attended_positions(c)
    gap = f - kv * ridge
    out = np.full(np.shape(gap), np.inf)
    np.divide(w * ridge, gap, out=out, where=gap > 0)
    return float(out) if np.ndim(out) == 0 else out


# --------------------------------------------------------------------------- memory


def _kv_shard(m: ModelSpec, n_gpus):
    n = np.asarray(n_gpus, dtype=float)
    if m.attention == "mla":
        return np.ones_like(n)
    return np.minimum(n, m.n_kv_heads)


def _memory_needed_gb(m, batch, context_tokens, w_bytes, kvb, n_gpus):
    weights = m.params_total * w_bytes / n_gpus
    kv = batch * m.attended_positions(context_tokens) * kvb / _kv_shard(m, n_gpus)
    return (weights + kv) / 1e9


def max_batch(
    model: str | ModelSpec,
    gpu: str | GPUSpec,
    context_tokens,
    precision: str = "bf16",
    kv_precision: str | None = None,
    n_gpus=1,
    memory_fraction: float = 0.9,
):
    """Largest batch whose weights and KV cache fit (0 where the weights alone do not).

    ``memory_fraction`` of the GPU's memory is usable (vLLM's default
    ``gpu_memory_utilization`` is 0.9); the rest is left for activations and the runtime.
    """
    m, g = get_model(model), get_gpu(gpu)
    c = require_positive("context_tokens", context_tokens)
    n = require_in_range("n_gpus", n_gpus, 1, 4096)
    f = require_in_range("memory_fraction", memory_fraction, 0.0, 1.0, low_open=True)
    w = PRECISION_BYTES[_check_precision("precision", precision)]
    kvb = kv_bytes_per_token(m, kv_precision or precision)
    usable = g.memory_gb * 1e9 * f
    free = usable - m.params_total * w / np.asarray(n)
    per_seq = m.attended_positions(c) * kvb / _kv_shard(m, n)
    out = np.maximum(np.floor(free / per_seq), 0).astype(np.int64)
    return int(out) if np.ndim(out) == 0 else out


# --------------------------------------------------------------------------- performance


def _comm_s(m: ModelSpec, g: GPUSpec, tokens, n, latency_us, link_gb_s):
    if np.all(n == 1):
        return np.zeros(np.broadcast(tokens, n).shape)
    bw = link_gb_s if link_gb_s is not None else g.interconnect_gb_s
    if not np.isfinite(bw):
        raise ValueError(
            f"{g.name} has no interconnect bandwidth in data/gpus.csv; pass interconnect_gb_s "
            "to model tensor parallelism on it"
        )
    msg = tokens * m.hidden_size * ACTIVATION_BYTES
    per = 2.0 * (n - 1) / n * msg / (bw * 1e9) + latency_us * 1e-6
    return np.where(n > 1, 2 * m.n_layers * per, 0.0)


def _roofline(m, g, e, flops, bytes_, tokens, n, precision, latency_us, link_gb_s):
    peak = g.peak_tflops(precision) * 1e12
    bw = g.hbm_tb_s * 1e12
    compute_s = flops / n / (peak * e.compute)
    memory_s = bytes_ / n / (bw * e.memory)
    comm_s = _comm_s(m, g, tokens, n, latency_us, link_gb_s)
    step_s = np.maximum(compute_s, memory_s) + comm_s + e.overhead_ms / 1e3
    u_mem = bytes_ / n / (step_s * bw)
    u_comp = flops / n / (step_s * peak)
    drive = np.minimum(1.0, e.power_memory_weight * u_mem + e.power_compute_weight * u_comp)
    power_w = g.idle_w + (g.tdp_w - g.idle_w) * drive
    return compute_s, memory_s, comm_s, step_s, power_w


def _prepare(
    model, gpu, precision, kv_precision, efficiency, n_gpus, pue, usd_per_gpu_hour, kind="decode"
):
    m, g = get_model(model), get_gpu(gpu)
    precision = _check_precision("precision", precision)
    kv_precision = _check_precision("kv_precision", kv_precision or precision)
    e = _as_efficiency(efficiency, kind)
    n = require_in_range("n_gpus", n_gpus, 1, 4096)
    if np.any(np.asarray(n) != np.round(n)):
        raise ValueError(f"n_gpus must be a whole number of GPUs; got {n_gpus!r}")
    require_in_range("pue", pue, 1.0, 5.0)
    price = g.usd_per_hour_mid if usd_per_gpu_hour is None else usd_per_gpu_hour
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


def decode_performance(
    model: str | ModelSpec,
    gpu: str | GPUSpec,
    batch,
    context_tokens,
    precision: str = "bf16",
    efficiency=None,
    *,
    kv_precision: str | None = None,
    n_gpus=1,
    usd_per_gpu_hour: float | None = None,
    pue: float = 1.0,
    memory_fraction: float = 0.9,
    check_memory: bool = True,
    allreduce_latency_us: float = 8.0,
    interconnect_gb_s: float | None = None,
) -> pd.DataFrame:
    """Speed, energy and cost of one decode step, one row per configuration.

    Parameters
    ----------
    model, gpu : str or spec
        Names from ``data/models.csv`` / ``data/gpus.csv`` (case-insensitive) or
        :class:`ModelSpec` / :class:`GPUSpec`.
    batch : int or array
        Sequences decoded together (>= 1).
    context_tokens : int or array
        Tokens each sequence attends over (its KV-cache length), >= 1. ``batch``,
        ``context_tokens`` and ``n_gpus`` broadcast: a grid sweep is one call.
    precision : {"bf16", "fp8", "fp4"}
        Weight precision (and matmul format).
    efficiency : float, Efficiency, Calibration or None
        ``1.0`` is the physical ceiling (no losses, no overhead). A float applies to memory and
        compute with no overhead. ``None`` uses :func:`default_efficiency`, the calibration on
        the bundled H200 measurements.
    kv_precision : str, optional
        KV-cache precision; defaults to ``precision``.
    n_gpus : int or array
        Tensor-parallel degree.
    usd_per_gpu_hour : float, optional
        Rental price; the midpoint of the GPU's range in ``data/gpus.csv`` when omitted.
    pue : float
        Power usage effectiveness, in [1, 5], for facility energy.
    memory_fraction : float
        Share of GPU memory usable for weights and KV cache.
    check_memory : bool
        Raise ``ValueError`` (saying how much is needed and what fits) when a configuration
        does not fit; with ``False`` such rows are computed and flagged ``fits = False``.

    Returns
    -------
    pandas.DataFrame
        Columns include ``step_ms``, ``tokens_per_s_total``, ``tokens_per_s_per_gpu``,
        ``tokens_per_s_per_user``, ``flops_per_step``, ``bytes_per_step``,
        ``arithmetic_intensity`` (FLOP/byte), ``bound`` ("memory" or "compute"),
        ``power_w`` (per GPU), ``joules_per_token``, ``facility_joules_per_token``,
        ``usd_per_mtok``, ``memory_needed_gb`` (per GPU), ``max_batch`` and ``fits``.

    Examples
    --------
    >>> r = decode_performance("Llama-3.1-8B", "H100-SXM", batch=1, context_tokens=1,
    ...                        efficiency=1.0)
    >>> r["bound"].item(), round(r["tokens_per_s_total"].item())
    ('memory', 223)
    """
    m, g, precision, kv_precision, e, n, price = _prepare(
        model, gpu, precision, kv_precision, efficiency, n_gpus, pue, usd_per_gpu_hour
    )
    require_positive("batch", batch)
    require_positive("context_tokens", context_tokens)
    mf = require_in_range("memory_fraction", memory_fraction, 0.0, 1.0, low_open=True)
    b, c, n = np.broadcast_arrays(
        np.asarray(batch, dtype=float), np.asarray(context_tokens, dtype=float), n
    )
    b, c, n = b.ravel(), c.ravel(), n.ravel()
    w = PRECISION_BYTES[precision]
    kvb = kv_bytes_per_token(m, kv_precision)

    weight_bytes = _weight_bytes_read(m, b, w)
    kv_bytes = b * m.attended_positions(c + 1.0) * kvb
    bytes_ = weight_bytes + kv_bytes
    flops = decode_flops(m, b, c)
    compute_s, memory_s, comm_s, step_s, power_w = _roofline(
        m, g, e, flops, bytes_, b, n, precision, allreduce_latency_us, interconnect_gb_s
    )
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
    tps = b / step_s
    joules = power_w * n * step_s / b
    return pd.DataFrame(
        {
            "model": m.name,
            "gpu": g.name,
            "precision": precision,
            "kv_precision": kv_precision,
            "n_gpus": n.astype(np.int64),
            "batch": b.astype(np.int64),
            "context_tokens": c.astype(np.int64),
            "flops_per_step": flops,
            "bytes_per_step": bytes_,
            "weight_bytes_per_step": weight_bytes,
            "kv_bytes_per_step": kv_bytes,
            "arithmetic_intensity": flops / bytes_,
            "compute_ms": compute_s * 1e3,
            "memory_ms": memory_s * 1e3,
            "comm_ms": comm_s * 1e3,
            "overhead_ms": e.overhead_ms,
            "step_ms": step_s * 1e3,
            "bound": np.where(compute_s > memory_s, "compute", "memory"),
            "tokens_per_s_total": tps,
            "tokens_per_s_per_gpu": tps / n,
            "tokens_per_s_per_user": 1.0 / step_s,
            "power_w": power_w,
            "joules_per_token": joules,
            "facility_joules_per_token": joules * pue,
            "usd_per_mtok": price * n / (tps * 3600.0) * 1e6,
            "memory_needed_gb": need,
            "max_batch": fits_b,
            "fits": fits,
        }
    )


def prefill_performance(
    model: str | ModelSpec,
    gpu: str | GPUSpec,
    prompt_tokens,
    batch=1,
    precision: str = "bf16",
    efficiency=None,
    *,
    kv_precision: str | None = None,
    n_gpus=1,
    usd_per_gpu_hour: float | None = None,
    pue: float = 1.0,
    allreduce_latency_us: float = 8.0,
    interconnect_gb_s: float | None = None,
) -> pd.DataFrame:
    """Time to process ``batch`` prompts of ``prompt_tokens`` in one forward pass (causal).

    ``step_ms`` is the time to first token of a request that waits for nothing else;
    ``tokens_per_s_total`` counts prompt tokens. Same parameters and columns as
    :func:`decode_performance` (no memory check: prefill's KV is what decode then holds),
    except that ``efficiency=None`` uses the calibration on the measured *prefill* rows
    (``default_efficiency("prefill")``): large prompt GEMMs reach a different share of peak than
    decode's attention and skinny GEMMs.
    """
    m, g, precision, kv_precision, e, n, price = _prepare(
        model, gpu, precision, kv_precision, efficiency, n_gpus, pue, usd_per_gpu_hour, "prefill"
    )
    require_positive("prompt_tokens", prompt_tokens)
    require_positive("batch", batch)
    p, b, n = np.broadcast_arrays(
        np.asarray(prompt_tokens, dtype=float), np.asarray(batch, dtype=float), n
    )
    p, b, n = p.ravel(), b.ravel(), n.ravel()
    tokens = p * b
    w = PRECISION_BYTES[precision]
    kvb = kv_bytes_per_token(m, kv_precision)
    attn = m.attention_flops_per_token_per_context() * m.prefill_attended_positions(p)
    flops = b * (2.0 * m.params_active * p + attn)
    bytes_ = _weight_bytes_read(m, tokens, w) + tokens * kvb
    compute_s, memory_s, comm_s, step_s, power_w = _roofline(
        m, g, e, flops, bytes_, tokens, n, precision, allreduce_latency_us, interconnect_gb_s
    )
    tps = tokens / step_s
    joules = power_w * n * step_s / tokens
    return pd.DataFrame(
        {
            "model": m.name,
            "gpu": g.name,
            "precision": precision,
            "kv_precision": kv_precision,
            "n_gpus": n.astype(np.int64),
            "batch": b.astype(np.int64),
            "prompt_tokens": p.astype(np.int64),
            "flops_per_step": flops,
            "bytes_per_step": bytes_,
            "arithmetic_intensity": flops / bytes_,
            "compute_ms": compute_s * 1e3,
            "memory_ms": memory_s * 1e3,
            "comm_ms": comm_s * 1e3,
            "step_ms": step_s * 1e3,
            "bound": np.where(compute_s > memory_s, "compute", "memory"),
            "tokens_per_s_total": tps,
            "power_w": power_w,
            "joules_per_token": joules,
            "facility_joules_per_token": joules * pue,
            "usd_per_mtok": price * n / (tps * 3600.0) * 1e6,
        }
    )


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
    n_gpus=1,
    usd_per_gpu_hour: float | None = None,
    pue: float = 1.0,
    memory_fraction: float = 0.9,
    check_memory: bool = True,
    prefill_efficiency=None,
) -> pd.DataFrame:
    """Requests of ``prompt_tokens`` in and ``output_tokens`` out, served ``batch`` at a time.

    Static batching: the batch's prompts are prefilled one by one (each request's time to
    first token is one prefill), then ``output_tokens`` decode steps run over a cache that
    grows from ``prompt`` to ``prompt + output``; the steps are evaluated at the mean context
    ``prompt + (output + 1) / 2`` (exact while a step stays on one side of the roofline).
    Memory is checked at the final context. ``prefill_efficiency`` defaults to ``efficiency``
    when that is given, else to the prefill calibration.

    Returns
    -------
    pandas.DataFrame
        ``ttft_ms``, ``tpot_ms``, ``e2e_latency_s``, ``tokens_per_s_per_user`` (decode speed),
        ``output_tokens_per_s_per_gpu`` (including the time spent in prefill),
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
    kw = dict(kv_precision=kv_precision, n_gpus=n_gpus, usd_per_gpu_hour=usd_per_gpu_hour, pue=pue)
    final = decode_performance(
        model, gpu, b, p + o, precision, efficiency,
        memory_fraction=memory_fraction, check_memory=check_memory, **kw,
    )  # fmt: skip
    dec = decode_performance(
        model, gpu, b, p + (o + 1.0) / 2.0, precision, efficiency, check_memory=False, **kw
    )
    pre_eff = prefill_efficiency if prefill_efficiency is not None else efficiency
    pre = prefill_performance(model, gpu, p, 1, precision, pre_eff, **kw)
    nn = dec["n_gpus"].to_numpy(float)
    ttft_s = pre["step_ms"].to_numpy() / 1e3
    tpot_s = dec["step_ms"].to_numpy() / 1e3
    cycle_s = b * ttft_s + o * tpot_s
    out_tps = b * o / cycle_s
    energy_j = (
        b * ttft_s * pre["power_w"].to_numpy() * nn + o * tpot_s * dec["power_w"].to_numpy() * nn
    )
    j_per_out = energy_j / (b * o)
    price = get_gpu(gpu).usd_per_hour_mid if usd_per_gpu_hour is None else usd_per_gpu_hour
    return pd.DataFrame(
        {
            "model": dec["model"],
            "gpu": dec["gpu"],
            "precision": dec["precision"],
            "n_gpus": dec["n_gpus"],
            "batch": b.astype(np.int64),
            "prompt_tokens": p.astype(np.int64),
            "output_tokens": o.astype(np.int64),
            "ttft_ms": ttft_s * 1e3,
            "tpot_ms": tpot_s * 1e3,
            "e2e_latency_s": ttft_s + o * tpot_s,
            "tokens_per_s_per_user": 1.0 / tpot_s,
            "output_tokens_per_s_total": out_tps,
            "output_tokens_per_s_per_gpu": out_tps / nn,
            "usd_per_mtok_output": price * nn / (out_tps * 3600.0) * 1e6,
            "joules_per_output_token": j_per_out,
            "wh_per_response": j_per_out * o / 3600.0,
            "facility_wh_per_response": j_per_out * o / 3600.0 * pue,
            "bound": dec["bound"],
            "fits": final["fits"],
            "max_batch": final["max_batch"],
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
            w = PRECISION_BYTES[_check_precision("weight_precision", r["weight_precision"])]
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


# --------------------------------------------------------------------------- calibration


@dataclass(frozen=True)
class Calibration:
    """Efficiencies fitted to measurements, with the fit's error on every row.

    ``residuals`` has one row per measurement: ``kind``, ``batch``, ``context``,
    ``measured_ms``, ``predicted_ms``, ``error_pct`` (predicted vs measured), ``fitted``
    (whether the row was used in the fit), ``bound``, ``measured_power_w``,
    ``predicted_power_w``.
    """

    efficiency: Efficiency
    model: str
    gpu: str
    mape_pct: float
    max_ape_pct: float
    power_mape_pct: float
    n_rows: int
    n_compute_bound: int
    residuals: pd.DataFrame = field(repr=False, compare=False)

    def summary(self) -> dict:
        """Fitted values and errors as a flat dict."""
        return {
            **asdict(self.efficiency),
            "mape_pct": self.mape_pct,
            "max_ape_pct": self.max_ape_pct,
            "power_mape_pct": self.power_mape_pct,
            "n_rows": self.n_rows,
            "n_compute_bound": self.n_compute_bound,
        }


def _predict_rows(m, g, rows: pd.DataFrame, e: Efficiency, precision: str) -> pd.DataFrame:
    dec = rows["kind"].to_numpy() == "decode"
    pred_ms = np.empty(len(rows))
    power = np.empty(len(rows))
    bound = np.empty(len(rows), dtype=object)
    if dec.any():
        d = decode_performance(
            m, g, rows["batch"].to_numpy()[dec], rows["context"].to_numpy()[dec], precision, e,
            check_memory=False,
        )  # fmt: skip
        pred_ms[dec], power[dec], bound[dec] = d["step_ms"], d["power_w"], d["bound"]
    if (~dec).any():
        p = prefill_performance(
            m, g, rows["context"].to_numpy()[~dec], rows["batch"].to_numpy()[~dec], precision, e
        )
        pred_ms[~dec], power[~dec], bound[~dec] = p["step_ms"], p["power_w"], p["bound"]
    return pd.DataFrame({"predicted_ms": pred_ms, "predicted_power_w": power, "bound": bound})


def calibrate(
    measurements: pd.DataFrame,
    model: str | ModelSpec,
    gpu: str | GPUSpec,
    *,
    precision: str = "bf16",
    kinds: tuple[str, ...] = ("decode",),
) -> Calibration:
    """Fit memory and compute efficiency, per-step overhead and the power weights to measurements.

    The step-time parameters minimise the squared log error of predicted vs measured
    ``step_ms`` (so every row counts by its relative error) with ``scipy.optimize.least_squares``
    inside the bounds efficiency in (0.02, 1] and overhead in [0, 100] ms; the power weights then
    minimise the squared error of ``avg_power_w`` where it was measured.

    Parameters
    ----------
    measurements : pandas.DataFrame
        Rows in the schema of ``data/h200_decode.csv`` (:func:`inferecon.load_decode_measurements`).
    model, gpu : str or spec
        What the rows were measured on.
    precision : str
        Precision of the measured runs.
    kinds : tuple of str
        Which rows to fit: ``"decode"`` by default. Prefill rows measured without CUDA graphs
        carry launch overhead a decode fit must not absorb; they are predicted and reported.

    Returns
    -------
    Calibration
        With ``mape_pct`` (median absolute percentage error of step time on the fitted rows)
        and ``n_compute_bound``: the compute efficiency is determined only by rows the fitted
        model places on the compute roof; with none, it is not identified.
    """
    from scipy.optimize import least_squares

    m, g = get_model(model), get_gpu(gpu)
    precision = _check_precision("precision", precision)
    need = {"kind", "batch", "context", "step_ms"}
    missing = need - set(measurements.columns)
    if missing:
        raise ValueError(f"measurements lack column(s) {sorted(missing)}")
    rows = measurements.reset_index(drop=True)
    fit_mask = rows["kind"].isin(kinds).to_numpy()
    if fit_mask.sum() < 3:
        raise ValueError(
            f"calibrate needs at least 3 measured rows of kind {kinds} to fit 3 parameters; "
            f"got {int(fit_mask.sum())}"
        )
    fit = rows[fit_mask]
    y = np.log(fit["step_ms"].to_numpy(float))

    def resid(x):
        e = Efficiency(memory=x[0], compute=x[1], overhead_ms=x[2])
        return np.log(_predict_rows(m, g, fit, e, precision)["predicted_ms"].to_numpy()) - y

    starts = [(0.8, 0.6, 0.5), (0.95, 0.3, 0.0), (0.5, 0.9, 2.0)]
    best = min(
        (
            least_squares(resid, s, bounds=([0.02, 0.02, 0.0], [1.0, 1.0, 100.0]), xtol=1e-12)
            for s in starts
        ),
        key=lambda r: r.cost,
    )
    e = Efficiency(memory=best.x[0], compute=best.x[1], overhead_ms=best.x[2])

    power_err = math.nan
    if "avg_power_w" in fit and fit["avg_power_w"].notna().sum() >= 2:
        pw = fit["avg_power_w"].to_numpy(float)
        ok = np.isfinite(pw)

        def presid(x):
            ee = replace(e, power_memory_weight=x[0], power_compute_weight=x[1])
            pred = _predict_rows(m, g, fit, ee, precision)["predicted_power_w"].to_numpy()
            return pred[ok] - pw[ok]

        pr = least_squares(presid, (1.0, 1.0), bounds=([0, 0], [20.0, 20.0]))
        e = replace(e, power_memory_weight=pr.x[0], power_compute_weight=pr.x[1])

    pred = _predict_rows(m, g, rows, e, precision)
    res = pd.DataFrame(
        {
            "kind": rows["kind"],
            "batch": rows["batch"],
            "context": rows["context"],
            "measured_ms": rows["step_ms"],
            "predicted_ms": pred["predicted_ms"],
            "fitted": fit_mask,
            "bound": pred["bound"],
        }
    )
    res["error_pct"] = (res["predicted_ms"] / res["measured_ms"] - 1) * 100
    if "avg_power_w" in rows:
        res["measured_power_w"] = rows["avg_power_w"]
        res["predicted_power_w"] = pred["predicted_power_w"]
        pe = (res["predicted_power_w"] / res["measured_power_w"] - 1).abs()[fit_mask]
        power_err = float(np.nanmedian(pe) * 100) if pe.notna().any() else math.nan
    ape = res.loc[fit_mask, "error_pct"].abs()
    return Calibration(
        efficiency=e,
        model=m.name,
        gpu=g.name,
        mape_pct=float(ape.median()),
        max_ape_pct=float(ape.max()),
        power_mape_pct=power_err,
        n_rows=int(fit_mask.sum()),
        n_compute_bound=int((res["bound"][fit_mask] == "compute").sum()),
        residuals=res,
    )


@functools.lru_cache(maxsize=2)
def default_efficiency(kind: str = "decode") -> Calibration:
    """The calibration on the bundled measurements (Llama-3.1-8B shape, one H200, bf16).

    ``kind="decode"`` fits the 17 decode rows (used when ``efficiency=None``);
    ``kind="prefill"`` fits the 4 prefill rows (3 parameters on 4 rows: it interpolates them,
    it does not test the model). Both describe a lean PyTorch engine on Hopper; other engines
    and GPUs differ: calibrate on your own rows where you can.
    """
    if kind not in ("decode", "prefill"):
        raise ValueError(f"kind must be 'decode' or 'prefill'; got {kind!r}")
    return calibrate(load_decode_measurements(), "Llama-3.1-8B", "H200-SXM", kinds=(kind,))
