"""What the hardware and the model are: accelerator and transformer specifications.

:class:`GPUSpec` and :class:`ModelSpec` hold the numbers the serving model needs (datasheet
peaks, memory, power; the transformer's shape), with the parameter counts and KV-cache sizes
that follow from a shape. Named specs come from the bundled ``data/gpus.csv`` and
``data/models.csv``: :func:`get_gpu` and :func:`get_model` read each file once per process
(:func:`clear_catalogs` forgets them, e.g. after editing the files); pass a spec object instead
of a name to avoid any file access.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._validate import require_in_range, require_positive
from .datasets import load_gpus, load_models

__all__ = [
    "ACTIVATION_BYTES",
    "match_gpu",
    "match_model",
    "GPUSpec",
    "ModelSpec",
    "PRECISION_BYTES",
    "check_native_precision",
    "check_precision",
    "clear_catalogs",
    "distinct_experts",
    "get_gpu",
    "get_model",
    "kv_bytes_per_token",
    "native_precisions",
]

PRECISION_BYTES: dict[str, float] = {"bf16": 2.0, "fp8": 1.0, "fp4": 0.5625}
"""Bytes per stored value. fp4 is NVFP4: a 4-bit value plus one FP8 scale per 16 values
(NVIDIA, "Introducing NVFP4 for efficient and accurate low-precision inference", 2025)."""

ACTIVATION_BYTES = 2.0
"""Activations are exchanged in bf16 between tensor-parallel GPUs."""


def check_precision(name: str, value: str) -> str:
    """Return ``value`` lower-cased if it is a known precision, else raise ``ValueError``.

    Parameters
    ----------
    name : str
        Parameter name used in the error message.
    value : str
        ``"bf16"``, ``"fp8"`` or ``"fp4"`` (any case).

    Returns
    -------
    str
        The precision, lower-cased.
    """
    v = str(value).lower()
    if v not in PRECISION_BYTES:
        raise ValueError(f"{name} must be one of {sorted(PRECISION_BYTES)}; got {value!r}")
    return v


_PRECISION_ORDER = ("bf16", "fp8", "fp4")


def native_precisions(gpu: str | GPUSpec) -> list[str]:
    """Matmul formats the GPU has tensor cores for (a finite dense peak in ``data/gpus.csv``).

    Parameters
    ----------
    gpu : str or GPUSpec
        The accelerator.

    Returns
    -------
    list of str
        Among ``"bf16"``, ``"fp8"``, ``"fp4"``.
    """
    g = get_gpu(gpu)
    return [p for p in _PRECISION_ORDER if np.isfinite(getattr(g, f"{p}_dense_tflops"))]


def check_native_precision(
    gpu: str | GPUSpec, precision: str, *, allow_weight_only: bool = False
) -> str:
    """The one precision rule: native tensor cores, or an explicit weight-only opt-in.

    Every entry point that takes a GPU and a weight precision (the serving model's
    :func:`~inferecon.decode_performance`, :func:`~inferecon.prefill_performance`,
    :func:`~inferecon.serving_performance` and :class:`~inferecon.IterationCost`, hence the
    simulator, the factory and the energy per query) calls this function. A format the GPU has
    no tensor cores for (FP8 on an A100, FP4 on Hopper or an MI300X) raises ``ValueError``
    unless ``allow_weight_only=True``: then it is modelled as weight-only quantisation, the
    weights stored (and read) in that format and the arithmetic done at the next wider format
    the GPU has (:meth:`GPUSpec.peak_tflops`).

    Parameters
    ----------
    gpu : str or GPUSpec
        The accelerator.
    precision : str
        ``"bf16"``, ``"fp8"`` or ``"fp4"`` (any case).
    allow_weight_only : bool
        Accept a format without tensor cores, as weight-only quantisation.

    Returns
    -------
    str
        The precision, lower-cased.

    Raises
    ------
    ValueError
        For an unknown precision, or a non-native one without ``allow_weight_only``.
    """
    p = check_precision("precision", precision)
    if allow_weight_only:
        return p
    native = native_precisions(gpu)
    if p not in native:
        raise ValueError(
            f"precision {precision!r} is not supported natively by GPU {get_gpu(gpu).name!r} "
            f"(it has tensor cores for {native}); choose one of those, or pass "
            "allow_weight_only=True to model weight-only quantisation (weights stored in "
            f"{p}, arithmetic at the next wider format the GPU has)"
        )
    return p


@dataclass(frozen=True)
class GPUSpec:
    """One accelerator. Dense tensor throughput in TFLOP/s; memory in GB (1e9 bytes); rental
    prices in USD per GPU-hour (``usd_per_gpu_hour_low``/``_high``, read from the columns
    ``usd_per_hour_low``/``_high`` of ``data/gpus.csv``)."""

    name: str
    memory_gb: float
    hbm_tb_s: float
    bf16_dense_tflops: float
    tdp_w: float
    fp8_dense_tflops: float = math.nan
    fp4_dense_tflops: float = math.nan
    idle_w: float = 0.0
    interconnect_gb_s: float = math.nan
    usd_per_gpu_hour_low: float = math.nan
    usd_per_gpu_hour_high: float = math.nan
    n_sm: int = 0
    """Streaming multiprocessors (NVIDIA) or compute units (AMD); 0 when unknown. The serving
    model uses it for how many attention thread blocks keep the memory system busy."""
    nvlink_domain_gpus: int = 1
    """GPUs in one scale-up domain, all reachable at ``interconnect_gb_s`` (8 for an HGX board or
    an MI300X platform, 72 for a GB200 NVL72 rack, 2 for bridged PCIe pairs, 1 without NVLink);
    :mod:`inferecon.expert_parallel` spreads experts over at most this many GPUs."""

    def __post_init__(self):
        for f in ("memory_gb", "hbm_tb_s", "bf16_dense_tflops", "tdp_w"):
            require_positive(f"GPUSpec.{f}", getattr(self, f))
        require_in_range("GPUSpec.idle_w", self.idle_w, 0.0, self.tdp_w)
        require_in_range("GPUSpec.nvlink_domain_gpus", self.nvlink_domain_gpus, 1, 1024)

    def peak_tflops(self, precision: str = "bf16") -> float:
        """Dense peak at ``precision``; falls back to the next wider format the GPU has."""
        precision = check_precision("precision", precision)
        order = {"fp4": ("fp4", "fp8", "bf16"), "fp8": ("fp8", "bf16"), "bf16": ("bf16",)}
        for p in order[precision]:
            v = getattr(self, f"{p}_dense_tflops")
            if np.isfinite(v) and v > 0:
                return float(v)
        return float(self.bf16_dense_tflops)  # pragma: no cover - bf16 is required

    @property
    def usd_per_gpu_hour_mid(self) -> float:
        """Midpoint of the rental price range, USD per GPU-hour (NaN when the data has none)."""
        v = [x for x in (self.usd_per_gpu_hour_low, self.usd_per_gpu_hour_high) if np.isfinite(x)]
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
        n_sm, domain = r.get("n_sm"), r.get("nvlink_domain_gpus")
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
            usd_per_gpu_hour_low=r["usd_per_hour_low"],
            usd_per_gpu_hour_high=r["usd_per_hour_high"],
            n_sm=0 if n_sm is None or pd.isna(n_sm) else int(n_sm),
            nvlink_domain_gpus=1 if domain is None or pd.isna(domain) else int(domain),
        )
    return out


@functools.lru_cache(maxsize=1)
def _model_table() -> dict[str, ModelSpec]:
    return {r["name"].lower(): ModelSpec.from_row(r) for _, r in load_models().iterrows()}


def clear_catalogs() -> None:
    """Forget the GPU and model tables read from ``data/``; the next lookup re-reads them.

    Returns
    -------
    None
    """
    _gpu_table.cache_clear()
    _model_table.cache_clear()


def _lookup(table: dict, name, what: str):
    try:
        return table[str(name).lower()]
    except KeyError:
        known = ", ".join(s.name for s in table.values())
        raise ValueError(f"unknown {what} {name!r}; known {what}s: {known}") from None


def get_gpu(gpu: str | GPUSpec) -> GPUSpec:
    """A :class:`GPUSpec` from a name in ``data/gpus.csv`` (case-insensitive) or a spec.

    Parameters
    ----------
    gpu : str or GPUSpec
        A ``name`` of ``data/gpus.csv`` (read once per process), or a spec, returned as is.

    Returns
    -------
    GPUSpec

    Raises
    ------
    ValueError
        For an unknown name, listing the known ones.
    """
    return gpu if isinstance(gpu, GPUSpec) else _lookup(_gpu_table(), gpu, "gpu")


def get_model(model: str | ModelSpec) -> ModelSpec:
    """A :class:`ModelSpec` from a name in ``data/models.csv`` (case-insensitive) or a spec.

    Parameters
    ----------
    model : str or ModelSpec
        A ``name`` of ``data/models.csv`` (read once per process), or a spec, returned as is.

    Returns
    -------
    ModelSpec

    Raises
    ------
    ValueError
        For an unknown name, listing the known ones.
    """
    return model if isinstance(model, ModelSpec) else _lookup(_model_table(), model, "model")


def kv_bytes_per_token(model: str | ModelSpec, kv_precision: str = "bf16") -> float:
    """KV-cache bytes one token occupies, over all layers.

    Parameters
    ----------
    model : str or ModelSpec
        The model.
    kv_precision : {"bf16", "fp8", "fp4"}
        Precision of the cached values.

    Returns
    -------
    float
        Bytes per token (K and V of every KV head for GQA; latent plus RoPE key for MLA).

    Examples
    --------
    >>> kv_bytes_per_token(ModelSpec("8B", 32, 4096, 32, 8, 128, 14336, 128256))
    131072.0
    """
    m = get_model(model)
    return m.kv_values_per_token() * PRECISION_BYTES[check_precision("kv_precision", kv_precision)]


def distinct_experts(n_experts: int, n_active: int, tokens):
    """Expected distinct experts ``T`` tokens touch in one MoE layer under uniform routing.

    Each token picks ``k`` of ``E`` experts independently, so an expert is untouched with
    probability ``(1 - k/E)**T`` and the expected count is ``E * (1 - (1 - k/E)**T)``: ``k`` at
    ``T = 1``, approaching ``E`` for large batches.

    Parameters
    ----------
    n_experts : int
        Routed experts per MoE layer, ``E`` (0 for a dense model, which returns zeros).
    n_active : int
        Experts each token is routed to, ``k``.
    tokens : float or array
        Tokens in the step, ``T``. A Python float is computed with :mod:`math` (the
        per-iteration path of :class:`inferecon.IterationCost`), anything else with numpy.

    Returns
    -------
    float or numpy.ndarray
        Expected distinct experts per layer (same shape as ``tokens``).
    """
    if n_experts == 0:
        return np.zeros_like(np.asarray(tokens, dtype=float))
    scalar = type(tokens) is float
    xp = math if scalar else np  # math: no array overhead on the simulator's per-iteration path
    t = tokens if scalar else np.asarray(tokens, dtype=float)
    # log of the chance that one token misses a given expert (-inf when it takes them all)
    log_miss = xp.log1p(-n_active / n_experts) if n_active < n_experts else -math.inf
    return n_experts * -xp.expm1(t * log_miss)


_VENDOR_WORDS = re.compile(r"^(nvidia|amd|instinct|tesla)+")
_CHIP = re.compile(r"gb\d+|mi\d+[a-z]?|[a-z]\d+[a-z]?")


def _norm(name: str) -> str:
    return _VENDOR_WORDS.sub("", re.sub(r"[^a-z0-9]", "", str(name).lower()))


def _chip(name: str) -> str | None:
    """The chip's designation in a GPU name (``h100``, ``a100``, ``mi300x``, ``l40s``)."""
    for token in re.split(r"[^a-z0-9]+", str(name).lower()):
        if _CHIP.fullmatch(token):
            return token
    return None


def match_gpu(name: str | GPUSpec) -> GPUSpec:
    """The :class:`GPUSpec` a measurement file's GPU name refers to.

    Measurement files name GPUs as their tools print them (``"H200 SXM 141GB"``,
    ``torch.cuda.get_device_name()``'s ``"NVIDIA H100 80GB HBM3"``). The name matches a row of
    ``data/gpus.csv`` exactly (ignoring case and punctuation), by prefix (``"H200 SXM 141GB"``
    is ``H200-SXM``), or by its chip (``H100``), the form factor deciding between variants
    (``PCIe`` in the name, else the SXM/HGX part).

    Parameters
    ----------
    name : str or GPUSpec
        The name (a spec is returned as is).

    Returns
    -------
    GPUSpec

    Raises
    ------
    ValueError
        When no row or more than one row matches, listing the known names.
    """
    if isinstance(name, GPUSpec):
        return name
    table = _gpu_table()
    key = _norm(name)
    specs = list(table.values())
    exact = [g for g in specs if _norm(g.name) == key]
    prefix = [g for g in specs if key.startswith(_norm(g.name))]
    found = exact or prefix
    if not found:
        chip = _chip(name)
        same = [g for g in specs if chip is not None and _chip(g.name) == chip]
        pcie = [g for g in same if "pcie" in _norm(g.name)]
        found = (pcie if "pcie" in key else [g for g in same if g not in pcie]) or same
    if len(found) != 1:
        known = ", ".join(g.name for g in specs)
        what = "matches no" if not found else f"is ambiguous among {[g.name for g in found]} of the"
        raise ValueError(f"GPU name {name!r} {what} known GPUs ({known}); pass gpu= explicitly")
    return found[0]


def match_model(name: str | ModelSpec) -> ModelSpec:
    """The :class:`ModelSpec` a measurement file's model name refers to.

    Case-insensitive; an organisation prefix (``"meta-llama/Llama-3.2-1B"``) is ignored.

    Parameters
    ----------
    name : str or ModelSpec
        The name (a spec is returned as is).

    Returns
    -------
    ModelSpec

    Raises
    ------
    ValueError
        For an unknown name, listing the known ones.
    """
    if isinstance(name, ModelSpec):
        return name
    return get_model(str(name).rsplit("/", 1)[-1])
