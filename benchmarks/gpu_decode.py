"""Measure decode and prefill speed, power and energy of a dense GQA transformer on your own GPU.

The script builds a Llama-style transformer with **random weights** in the shape of a model in
``data/models.csv`` (random weights give the same memory traffic and arithmetic as trained ones)
and times it the way ``../shared/reference/measurements/METHOD.md`` describes. It writes rows in
exactly the schema of ``data/h200_decode.csv``::

    gpu,kind,model,params,batch,context,step_ms,tokens_per_s_total,tokens_per_s_per_user,
    avg_power_w,joules_per_token,weight_gb,kv_gb

* ``decode`` rows: one step of ``batch`` sequences, each attending over a KV cache of
  ``context`` tokens (the new token's key and value fill the cache's last slot, so exactly
  ``context`` positions are read). On CUDA the step is captured in a CUDA graph and replayed for
  at least ``--min-seconds``. ``tokens_per_s_total`` = batch / step time,
  ``tokens_per_s_per_user`` = 1 / step time.
* ``prefill`` rows: one forward pass over a prompt of ``context`` tokens at batch 1 (causal
  attention, logits of the last position only, no CUDA graph).
  ``tokens_per_s_total`` = context / time; ``tokens_per_s_per_user`` is empty.
* ``avg_power_w`` and ``joules_per_token``: NVML's total-energy counter
  (``nvmlDeviceGetTotalEnergyConsumption``, mJ) read around the timed loop; board power, not wall
  power. Empty on CPU or when the ``pynvml`` module (``pip install nvidia-ml-py``) is missing.
* ``weight_gb``: parameter bytes of the built model / 1e9 (all parameters, the embedding table
  included, as in the reference file); ``kv_gb``: KV-cache bytes of all sequences read by one
  decode step (for prefill: written by the prompt) / 1e9; ``params``: parameter count of the
  built model (with ``--layers`` fewer than the model's, the ``model`` column says so, e.g.
  ``llama-3.1-8b[layers=2]``).

Usage (``pip install -e '.[gpu]'`` installs torch)::

    python benchmarks/gpu_decode.py --model Llama-3.1-8B \\
        --batch 1 2 4 8 16 32 64 128 256 --context 512 4096 \\
        --prefill 128 512 2048 8192 --out my_gpu_decode.csv

    python benchmarks/gpu_decode.py --model Llama-3.1-8B --layers 4   # a small GPU
    python benchmarks/gpu_decode.py --tiny --device cpu --min-seconds 0.05  # smoke test

Configurations whose weights + KV cache + activations would not fit in free device memory are
skipped with a printed note. From a notebook::

    import importlib.util
    spec = importlib.util.spec_from_file_location("gpu_decode", "benchmarks/gpu_decode.py")
    gd = importlib.util.module_from_spec(spec); spec.loader.exec_module(gd)
    df = gd.run(gd.load_spec("Llama-3.1-8B"), batches=[1, 8, 64], contexts=[4096],
                prefills=[2048])

Feeding the result to ``inferecon.calibrate`` (notebook 02, serving costs): the rows have the
schema of the bundled H200 measurements, so validate them with ``load_decode_measurements`` and
fit the roofline's efficiencies to your GPU where the notebook fits the H200's::

    import dataclasses
    import inferecon as ie
    rows = ie.load_decode_measurements("my_gpu_decode.csv")
    cal = ie.calibrate(rows, "Llama-3.1-8B", "H100-SXM")  # gpu: a data/gpus.csv name or GPUSpec
    cal_prefill = ie.calibrate(rows, "Llama-3.1-8B", "H100-SXM", kinds=("prefill",))
    # rows measured with --layers 4: calibrate against the model that was built
    small = dataclasses.replace(ie.get_model("Llama-3.1-8B"), n_layers=4)
    cal = ie.calibrate(rows, small, "H100-SXM")

``calibrate`` models bf16 bytes (fp16 moves the same bytes; fp32 runs do not fit its model).

What the model leaves out, and why it does not matter for the timings:

* RoPE is omitted: it is elementwise work on the new tokens' queries and keys (no weight or cache
  reads, a negligible share of FLOPs), which fused engines apply inside another kernel.
* Projections are fused (one QKV matrix, one gate-up matrix), as serving engines do; the bytes
  and FLOPs are those of the separate matrices. No biases (Qwen-style QKV biases add < 0.01 %).
* GQA decode folds the query heads of a KV group into the query rows of one
  ``scaled_dot_product_attention`` call, so each KV head is read once.
"""

from __future__ import annotations

import argparse
import functools
import math
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from inferecon.datasets import DECODE_MEASUREMENTS_SCHEMA

COLUMNS: tuple[str, ...] = tuple(DECODE_MEASUREMENTS_SCHEMA.names)
"""Output columns: exactly the schema of ``data/h200_decode.csv``."""
"""Column order of ``data/h200_decode.csv``."""

DEFAULT_BATCHES = (1, 2, 4, 8, 16, 32, 64, 128, 256)
DEFAULT_CONTEXTS = (512, 4096)
DEFAULT_PREFILLS = (128, 512, 2048, 8192)

TINY_SPEC: dict[str, Any] = {
    "name": "tiny",
    "attention": "gqa",
    "n_layers": 2,
    "hidden_size": 64,
    "n_heads": 4,
    "n_kv_heads": 2,
    "head_dim": 16,
    "intermediate_size": 128,
    "vocab_size": 256,
    "tied_embeddings": False,
    "n_experts": 0,
}
"""A very small dense GQA shape for smoke tests (``--tiny``)."""

_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}
_GQA_ATTENTION = {"gqa", "mha", "mqa"}  # MHA and MQA are GQA with n_kv_heads = n_heads or 1
_RMS_EPS = 1e-5
_INIT_STD = 0.02


class UnsupportedModelError(ValueError):
    """The model is not a dense GQA transformer (e.g. mixture-of-experts or MLA)."""


# --------------------------------------------------------------------------- model specs


def _is_missing(v: Any) -> bool:
    if v is None:
        return True
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _as_bool(v: Any) -> bool:
    if _is_missing(v):
        return False
    if isinstance(v, str):
        return v.strip().lower() in {"true", "1", "yes", "y", "t"}
    return bool(v)


def load_spec(name: str, path: str | Path | None = None) -> dict[str, Any]:
    """Row of ``data/models.csv`` for one model, matched case-insensitively on ``name``.

    Parameters
    ----------
    name : str
        Model name, e.g. ``"Llama-3.1-8B"`` (any case).
    path : str or Path, optional
        A CSV in the schema of ``data/models.csv``; the bundled file when omitted.

    Returns
    -------
    dict
        Column name to value, as read by pandas.

    Raises
    ------
    ValueError
        If no row matches; the message lists the known names.
    """
    if path is None:
        from inferecon.datasets import data_path

        path = data_path("models.csv")
    df = pd.read_csv(path)
    hit = df[df["name"].astype(str).str.lower() == name.strip().lower()]
    if hit.empty:
        known = ", ".join(sorted(df["name"].astype(str)))
        raise ValueError(f"unknown model {name!r} in {path}; known models: {known}")
    return hit.iloc[0].to_dict()


def model_shape(spec: dict[str, Any], n_layers: int | None = None) -> dict[str, Any]:
    """Validated integer shape of a dense GQA transformer from a ``models.csv`` row.

    Parameters
    ----------
    spec : dict
        A row of ``data/models.csv`` (at least ``name``, ``attention``, ``n_layers``,
        ``hidden_size``, ``n_heads``, ``n_kv_heads``, ``intermediate_size``, ``vocab_size``;
        ``head_dim`` defaults to hidden_size / n_heads, ``n_experts`` to 0,
        ``tied_embeddings`` to False).
    n_layers : int, optional
        Build this many layers instead of the model's.

    Returns
    -------
    dict
        ``name`` (lower case), ``label`` (the ``model`` column: name, plus ``[layers=N]`` when
        ``n_layers`` differs from the model's), ``n_layers``, ``hidden_size``, ``n_heads``,
        ``n_kv_heads``, ``head_dim``, ``intermediate_size``, ``vocab_size``,
        ``tied_embeddings``.

    Raises
    ------
    UnsupportedModelError
        For mixture-of-experts or non-GQA (e.g. MLA) models.
    ValueError
        For missing or inconsistent sizes.
    """
    name = str(spec.get("name", "model")).strip().lower()
    attention = str(spec.get("attention", "gqa")).strip().lower()
    n_experts = 0 if _is_missing(spec.get("n_experts")) else int(spec["n_experts"])
    reasons = []
    if n_experts > 0:
        active = spec.get("n_experts_active")
        active_s = "" if _is_missing(active) else f", {int(active)} active per token"
        reasons.append(
            f"it is a mixture-of-experts model ({n_experts} experts{active_s}): a decode step "
            "reads only the routed experts, which needs a router and expert kernels"
        )
    if attention not in _GQA_ATTENTION:
        reasons.append(
            "it uses MLA attention: multi-head latent attention caches a compressed latent per "
            "token and needs absorbed up-projections"
            if attention == "mla"
            else f"it uses {attention!r} attention, which is not implemented"
        )
    if reasons:
        raise UnsupportedModelError(
            f"cannot benchmark {name}: {'; and '.join(reasons)}. This benchmark only builds "
            "dense GQA transformers (attention 'gqa', n_experts 0), whose every weight is read "
            "each decode step"
        )
    need = ("n_layers", "hidden_size", "n_heads", "n_kv_heads", "intermediate_size", "vocab_size")
    missing = [k for k in need if _is_missing(spec.get(k))]
    if missing:
        raise ValueError(f"{name}: missing sizes {missing}")
    shape: dict[str, Any] = {k: int(spec[k]) for k in need}
    hd = spec.get("head_dim")
    shape["head_dim"] = shape["hidden_size"] // shape["n_heads"] if _is_missing(hd) else int(hd)
    shape["tied_embeddings"] = _as_bool(spec.get("tied_embeddings"))
    for k in (*need, "head_dim"):
        if shape[k] < 1:
            raise ValueError(f"{name}: {k} must be >= 1, got {shape[k]}")
    if shape["n_heads"] % shape["n_kv_heads"]:
        raise ValueError(
            f"{name}: n_heads ({shape['n_heads']}) must be a multiple of n_kv_heads "
            f"({shape['n_kv_heads']})"
        )
    label = name
    if n_layers is not None:
        if n_layers < 1:
            raise ValueError(f"n_layers must be >= 1, got {n_layers}")
        if n_layers != shape["n_layers"]:
            label = f"{name}[layers={n_layers}]"
        shape["n_layers"] = int(n_layers)
    shape["name"] = name
    shape["label"] = label
    return shape


def count_params(spec: dict[str, Any], n_layers: int | None = None) -> int:
    """Analytic parameter count of the dense GQA transformer that :func:`build_model` builds.

    Per layer: two RMSNorm gains (2 h), Q and O projections (2 h H d), K and V projections
    (2 h K d) and the SwiGLU MLP (3 h I); plus the embedding table (V h), the final norm (h) and
    an LM head (V h) unless tied. h = hidden_size, H = n_heads, K = n_kv_heads, d = head_dim,
    I = intermediate_size, V = vocab_size.

    Parameters
    ----------
    spec : dict
        A ``models.csv`` row (see :func:`model_shape`).
    n_layers : int, optional
        Count this many layers instead of the model's.

    Returns
    -------
    int
        Parameters (8,030,261,248 for Llama-3.1-8B).
    """
    s = model_shape(spec, n_layers)
    h, d = s["hidden_size"], s["head_dim"]
    per_layer = (
        2 * h
        + 2 * h * s["n_heads"] * d
        + 2 * h * s["n_kv_heads"] * d
        + 3 * h * s["intermediate_size"]
    )
    head = 0 if s["tied_embeddings"] else s["vocab_size"] * h
    return s["n_layers"] * per_layer + s["vocab_size"] * h + h + head


# --------------------------------------------------------------------------- the model


def _rms_norm(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    xf = x.float()
    xf = xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + _RMS_EPS)
    return xf.to(x.dtype) * weight


@functools.cache
def _sdpa_has_enable_gqa() -> bool:
    """Whether this torch's ``scaled_dot_product_attention`` accepts ``enable_gqa`` (>= 2.5)."""
    q = torch.zeros(1, 2, 1, 4)
    kv = torch.zeros(1, 1, 1, 4)
    try:
        F.scaled_dot_product_attention(q, kv, kv, enable_gqa=True)
    except (TypeError, RuntimeError):
        return False
    return True


def _param(shape: tuple[int, ...], dtype: torch.dtype, device: torch.device, std: float | None):
    t = torch.empty(shape, dtype=dtype, device=device)
    if t.is_meta:  # shapes only (parameter counts without memory)
        pass
    elif std is None:
        t.fill_(1.0)
    else:
        t.normal_(0.0, std)
    return nn.Parameter(t, requires_grad=False)


class _Block(nn.Module):
    """One pre-norm Llama layer: RMSNorm, GQA attention, RMSNorm, SwiGLU MLP."""

    def __init__(self, s: dict[str, Any], dtype: torch.dtype, device: torch.device):
        super().__init__()
        h, d = s["hidden_size"], s["head_dim"]
        self.n_heads, self.n_kv, self.head_dim = s["n_heads"], s["n_kv_heads"], d
        self.attn_norm = _param((h,), dtype, device, None)
        self.qkv = _param(((self.n_heads + 2 * self.n_kv) * d, h), dtype, device, _INIT_STD)
        self.o = _param((h, self.n_heads * d), dtype, device, _INIT_STD)
        self.mlp_norm = _param((h,), dtype, device, None)
        self.gate_up = _param((2 * s["intermediate_size"], h), dtype, device, _INIT_STD)
        self.down = _param((h, s["intermediate_size"]), dtype, device, _INIT_STD)

    def _mlp(self, x: torch.Tensor) -> torch.Tensor:
        gate, up = F.linear(_rms_norm(x, self.mlp_norm), self.gate_up).chunk(2, dim=-1)
        return x + F.linear(F.silu(gate) * up, self.down)

    def _split(self, x: torch.Tensor):
        qd, kd = self.n_heads * self.head_dim, self.n_kv * self.head_dim
        return F.linear(_rms_norm(x, self.attn_norm), self.qkv).split([qd, kd, kd], dim=-1)

    def decode(self, x: torch.Tensor, k_cache: torch.Tensor, v_cache: torch.Tensor):
        """x: (B, h); caches: (B, K, T, d); the new token's K/V go to the last slot."""
        b = x.shape[0]
        q, k, v = self._split(x)
        k_cache[:, :, -1].copy_(k.view(b, self.n_kv, self.head_dim))
        v_cache[:, :, -1].copy_(v.view(b, self.n_kv, self.head_dim))
        # fold the query heads of each KV group into query rows: (B, K, H/K, d)
        q = q.view(b, self.n_kv, self.n_heads // self.n_kv, self.head_dim)
        a = F.scaled_dot_product_attention(q, k_cache, v_cache)
        x = x + F.linear(a.reshape(b, self.n_heads * self.head_dim), self.o)
        return self._mlp(x)

    def prefill(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, T, h), causal attention over the prompt."""
        b, t, _ = x.shape
        q, k, v = self._split(x)
        q = q.view(b, t, self.n_heads, self.head_dim).transpose(1, 2)
        k = k.view(b, t, self.n_kv, self.head_dim).transpose(1, 2)
        v = v.view(b, t, self.n_kv, self.head_dim).transpose(1, 2)
        group = self.n_heads // self.n_kv
        if group == 1:
            a = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        elif x.is_cuda and x.dtype != torch.float32 and _sdpa_has_enable_gqa():
            a = F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=True)
        else:
            k, v = k.repeat_interleave(group, dim=1), v.repeat_interleave(group, dim=1)
            a = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        a = a.transpose(1, 2).reshape(b, t, self.n_heads * self.head_dim)
        x = x + F.linear(a, self.o)
        return self._mlp(x)


class DenseGQATransformer(nn.Module):
    """A Llama-style dense GQA decoder with random weights (see the module docstring).

    Attributes
    ----------
    shape : dict
        The validated shape (:func:`model_shape`), including ``label`` (the ``model`` column).
    dtype : torch.dtype
        Weight, activation and KV-cache dtype.
    """

    def __init__(self, shape: dict[str, Any], dtype: torch.dtype, device: torch.device):
        super().__init__()
        self.shape = dict(shape)
        self.dtype = dtype
        h, vocab = shape["hidden_size"], shape["vocab_size"]
        self.embed = _param((vocab, h), dtype, device, _INIT_STD)
        self.layers = nn.ModuleList(_Block(shape, dtype, device) for _ in range(shape["n_layers"]))
        self.final_norm = _param((h,), dtype, device, None)
        self.lm_head = (
            self.embed if shape["tied_embeddings"] else _param((vocab, h), dtype, device, _INIT_STD)
        )

    @property
    def device(self) -> torch.device:
        return self.embed.device

    @property
    def label(self) -> str:
        return self.shape["label"]

    def n_params(self) -> int:
        """Parameters of the built model (a tied LM head counted once)."""
        return sum(p.numel() for p in self.parameters())

    def weight_bytes(self) -> int:
        """Bytes of all parameters."""
        return sum(p.numel() * p.element_size() for p in self.parameters())

    def kv_bytes(self, batch: int, context: int) -> int:
        """Bytes of a KV cache of ``batch`` sequences of ``context`` tokens, all layers."""
        s = self.shape
        itemsize = torch.empty((), dtype=self.dtype).element_size()
        return 2 * s["n_layers"] * s["n_kv_heads"] * s["head_dim"] * context * batch * itemsize

    def allocate_kv_cache(self, batch: int, context: int, fill: bool = True) -> torch.Tensor:
        """A KV cache of shape (2, n_layers, batch, n_kv_heads, context, head_dim).

        ``cache[0, i]`` and ``cache[1, i]`` are layer i's keys and values, each of shape
        (batch, n_kv_heads, context, head_dim). Filled with random normal values unless
        ``fill`` is False.
        """
        s = self.shape
        cache = torch.empty(
            (2, s["n_layers"], batch, s["n_kv_heads"], context, s["head_dim"]),
            dtype=self.dtype,
            device=self.device,
        )
        if fill:
            cache.normal_()
        return cache

    def decode_step(self, tokens: torch.Tensor, kv_cache: torch.Tensor) -> torch.Tensor:
        """One decode step: ``tokens`` (batch,) int64 -> logits (batch, vocab_size)."""
        x = F.embedding(tokens, self.embed)
        for i, layer in enumerate(self.layers):
            x = layer.decode(x, kv_cache[0, i], kv_cache[1, i])
        return F.linear(_rms_norm(x, self.final_norm), self.lm_head)

    def prefill(self, tokens: torch.Tensor) -> torch.Tensor:
        """Forward over a prompt ``tokens`` (batch, T) -> logits of the last position."""
        x = F.embedding(tokens, self.embed)
        for layer in self.layers:
            x = layer.prefill(x)
        return F.linear(_rms_norm(x[:, -1], self.final_norm), self.lm_head)


def _resolve_device(device: str | torch.device | None) -> torch.device:
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dev = torch.device(device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("device 'cuda' requested but torch.cuda.is_available() is False")
    if dev.type == "cuda" and dev.index is None:
        dev = torch.device("cuda", torch.cuda.current_device())
    return dev


def _resolve_dtype(dtype: str | torch.dtype | None, device: torch.device) -> torch.dtype:
    if isinstance(dtype, torch.dtype):
        return dtype
    if dtype is None:
        if device.type != "cuda":
            return torch.float32
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    try:
        return _DTYPES[dtype.lower()]
    except KeyError:
        raise ValueError(f"dtype must be one of {sorted(_DTYPES)}, got {dtype!r}") from None


def build_model(
    spec: dict[str, Any],
    n_layers: int | None = None,
    dtype: str | torch.dtype | None = None,
    device: str | torch.device | None = None,
    seed: int = 0,
) -> DenseGQATransformer:
    """Build a dense GQA transformer with random weights in the shape of ``spec``.

    Parameters
    ----------
    spec : dict
        A row of ``data/models.csv`` (:func:`load_spec`) or a dict with the same keys.
    n_layers : int, optional
        Build this many layers instead of the model's (for small GPUs and tests).
    dtype : {"bf16", "fp16", "fp32"} or torch.dtype, optional
        Default: bf16 on CUDA (fp16 where bf16 is unsupported), fp32 on CPU.
    device : str or torch.device, optional
        Default: CUDA when available, else CPU.
    seed : int
        Seed of the random weights.

    Returns
    -------
    DenseGQATransformer
        In eval mode, without gradients.

    Raises
    ------
    UnsupportedModelError
        For MoE or MLA models.
    """
    shape = model_shape(spec, n_layers)
    dev = _resolve_device(device)
    dt = _resolve_dtype(dtype, dev)
    torch.manual_seed(seed)
    with torch.no_grad():
        model = DenseGQATransformer(shape, dt, dev)
    return model.eval()


# --------------------------------------------------------------------------- measurement


class NvmlEnergyMeter:
    """NVML's total-energy counter of one CUDA device, in millijoules.

    Parameters
    ----------
    device : torch.device
        A CUDA device; matched to its NVML handle by UUID (or PCI bus id, or index).

    Raises
    ------
    RuntimeError
        When ``pynvml`` is missing or the counter is unsupported (pre-Volta GPUs).
    """

    def __init__(self, device: torch.device):
        try:
            import pynvml
        except ImportError as exc:  # pragma: no cover - depends on the machine
            raise RuntimeError("pynvml not installed (pip install nvidia-ml-py)") from exc
        self._nvml = pynvml
        pynvml.nvmlInit()
        self._handle = self._find_handle(device)
        self.read_mj()  # raises when the counter is unsupported

    def _find_handle(self, device: torch.device):  # pragma: no cover - needs a GPU
        nv = self._nvml
        props = torch.cuda.get_device_properties(device)
        uuid = getattr(props, "uuid", None)
        if uuid is not None:
            s = str(uuid)
            for cand in (s, "GPU-" + s):
                try:
                    return nv.nvmlDeviceGetHandleByUUID(cand)
                except Exception:  # pynvml.NVMLError: try the next form
                    pass
        bus = getattr(props, "pci_bus_id", None)
        if bus is not None:
            dom = getattr(props, "pci_domain_id", 0)
            dev_id = getattr(props, "pci_device_id", 0)
            try:
                return nv.nvmlDeviceGetHandleByPciBusId(f"{dom:08X}:{bus:02X}:{dev_id:02X}.0")
            except Exception:  # fall back to the index
                pass
        visible = os.environ.get("CUDA_VISIBLE_DEVICES")
        index = device.index or 0
        if visible:
            entries = [e.strip() for e in visible.split(",") if e.strip()]
            if index < len(entries) and entries[index].isdigit():
                index = int(entries[index])
        return nv.nvmlDeviceGetHandleByIndex(index)

    def read_mj(self) -> float:
        """Energy consumed since the driver loaded, mJ."""
        return float(self._nvml.nvmlDeviceGetTotalEnergyConsumption(self._handle))


def _energy_meter(device: torch.device, energy_meter: Any) -> Any:
    """``"auto"``: NVML on CUDA (None on CPU or when unavailable); else what was given."""
    if energy_meter != "auto":
        return energy_meter
    if device.type != "cuda":
        return None
    try:
        return NvmlEnergyMeter(device)
    except Exception as exc:  # power is optional
        print(f"note: no power/energy readings ({exc})", file=sys.stderr)
        return None


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _timed_loop(
    fn: Callable[[], Any], device: torch.device, min_seconds: float, meter: Any, min_iters: int
) -> tuple[int, float, float]:
    """Run ``fn`` until ``min_seconds`` have passed (synchronised); (iterations, s, J or NaN)."""
    t0 = time.perf_counter()
    fn()
    _sync(device)
    est = max(time.perf_counter() - t0, 1e-6)
    chunk = max(min_iters, math.ceil(min_seconds / est))
    _sync(device)
    e0 = meter.read_mj() if meter is not None else math.nan
    t0 = time.perf_counter()
    n = 0
    while True:
        for _ in range(chunk):
            fn()
        n += chunk
        _sync(device)
        elapsed = time.perf_counter() - t0
        if elapsed >= min_seconds:
            break
        # the first estimate was pessimistic: top up in proportion to what is missing
        chunk = max(1, math.ceil(n * (min_seconds - elapsed) / elapsed))
    e1 = meter.read_mj() if meter is not None else math.nan
    return n, elapsed, (e1 - e0) / 1e3


def _device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"CPU ({platform.processor() or platform.machine()})"


def _row(
    model: DenseGQATransformer,
    kind: str,
    batch: int,
    context: int,
    seconds_per_iter: float,
    tokens_per_iter: int,
    joules_per_iter: float,
) -> dict[str, Any]:
    itemsize = torch.empty((), dtype=model.dtype).element_size()
    params = model.n_params()
    power = joules_per_iter / seconds_per_iter
    return {
        "gpu": _device_name(model.device),
        "kind": kind,
        "model": model.label,
        "params": params,
        "batch": batch,
        "context": context,
        "step_ms": seconds_per_iter * 1e3,
        "tokens_per_s_total": tokens_per_iter / seconds_per_iter,
        "tokens_per_s_per_user": 1.0 / seconds_per_iter if kind == "decode" else math.nan,
        "avg_power_w": power,
        "joules_per_token": joules_per_iter / tokens_per_iter,
        "weight_gb": params * itemsize / 1e9,
        "kv_gb": model.kv_bytes(batch, context) / 1e9,
    }


def measure_decode(
    model: DenseGQATransformer,
    batch: int,
    context: int,
    *,
    min_seconds: float = 1.5,
    cuda_graph: bool | None = None,
    warmup: int = 3,
    min_iters: int = 3,
    energy_meter: Any = "auto",
) -> dict[str, Any]:
    """Time one decode step of ``batch`` sequences over a KV cache of ``context`` tokens.

    Parameters
    ----------
    model : DenseGQATransformer
        From :func:`build_model`.
    batch : int
        Sequences decoded together (>= 1).
    context : int
        Tokens in each sequence's KV cache, the new one included (>= 1).
    min_seconds : float
        Time the step for at least this long, s.
    cuda_graph : bool, optional
        Capture the step in a CUDA graph and replay it (default: on CUDA). Falls back to eager
        execution, with a note, if capture fails.
    warmup : int
        Untimed steps before capture/timing.
    min_iters : int
        At least this many timed steps.
    energy_meter : "auto", None or object with ``read_mj() -> float``
        ``"auto"``: NVML on CUDA, none on CPU.

    Returns
    -------
    dict
        One row with the columns of :data:`COLUMNS`; ``step_ms`` in ms, throughputs in
        tokens/s, ``avg_power_w`` in W and ``joules_per_token`` in J (NaN without a meter),
        ``weight_gb`` and ``kv_gb`` in 1e9 B.
    """
    if batch < 1 or context < 1:
        raise ValueError(f"batch and context must be >= 1, got {batch}, {context}")
    dev = model.device
    meter = _energy_meter(dev, energy_meter)
    use_graph = (
        dev.type == "cuda" if cuda_graph is None else bool(cuda_graph and dev.type == "cuda")
    )
    graph = None
    with torch.no_grad():
        cache = model.allocate_kv_cache(batch, context)
        tokens = torch.randint(0, model.shape["vocab_size"], (batch,), device=dev)

        def step():
            return model.decode_step(tokens, cache)

        if use_graph:
            side = torch.cuda.Stream(dev)
            side.wait_stream(torch.cuda.current_stream(dev))
            with torch.cuda.stream(side):
                for _ in range(warmup):
                    step()
            torch.cuda.current_stream(dev).wait_stream(side)
            try:
                graph = torch.cuda.CUDAGraph()
                with torch.cuda.graph(graph):
                    step()
                fn = graph.replay
            except RuntimeError as exc:  # pragma: no cover - needs a GPU
                print(f"note: CUDA graph capture failed ({exc}); timing eagerly")
                graph = None
                _sync(dev)
                fn = step
        else:
            for _ in range(warmup):
                step()
            fn = step
        for _ in range(2):
            fn()
        n, seconds, joules = _timed_loop(fn, dev, min_seconds, meter, min_iters)
    return _row(model, "decode", batch, context, seconds / n, batch, joules / n)


def measure_prefill(
    model: DenseGQATransformer,
    context: int,
    *,
    min_seconds: float = 1.5,
    warmup: int = 2,
    min_iters: int = 2,
    energy_meter: Any = "auto",
) -> dict[str, Any]:
    """Time a forward pass over a prompt of ``context`` tokens at batch 1 (no CUDA graph).

    Parameters
    ----------
    model : DenseGQATransformer
        From :func:`build_model`.
    context : int
        Prompt length, tokens (>= 1).
    min_seconds : float
        Time prefills for at least this long, s.
    warmup : int
        Untimed passes first.
    min_iters : int
        At least this many timed passes.
    energy_meter : "auto", None or object with ``read_mj() -> float``
        ``"auto"``: NVML on CUDA, none on CPU.

    Returns
    -------
    dict
        One row with the columns of :data:`COLUMNS`: ``step_ms`` is the time of one prefill, ms;
        ``tokens_per_s_total`` = context / that time; ``tokens_per_s_per_user`` NaN;
        ``kv_gb`` the KV cache the prompt produces, 1e9 B.
    """
    if context < 1:
        raise ValueError(f"context must be >= 1, got {context}")
    dev = model.device
    meter = _energy_meter(dev, energy_meter)
    with torch.no_grad():
        tokens = torch.randint(0, model.shape["vocab_size"], (1, context), device=dev)

        def fn():
            return model.prefill(tokens)

        for _ in range(warmup):
            fn()
        n, seconds, joules = _timed_loop(fn, dev, min_seconds, meter, min_iters)
    return _row(model, "prefill", 1, context, seconds / n, context, joules / n)


# --------------------------------------------------------------------------- memory estimates


def _free_bytes(device: torch.device) -> int | None:
    """Free device memory (CUDA) or available RAM (CPU, Linux), bytes; None if unknown."""
    if device.type == "cuda":
        torch.cuda.empty_cache()
        return int(torch.cuda.mem_get_info(device)[0])
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return None


def _decode_need(model: DenseGQATransformer, batch: int, context: int) -> int:
    """KV cache + generous activations of one decode step, bytes."""
    s = model.shape
    width = (
        8 * s["hidden_size"]
        + (s["n_heads"] + 2 * s["n_kv_heads"]) * s["head_dim"]
        + 6 * s["intermediate_size"]
        + 2 * s["vocab_size"]
        + 2 * s["n_heads"] * context  # attention scores of an unfused kernel
    )
    return model.kv_bytes(batch, context) + batch * width * 4


def _prefill_need(model: DenseGQATransformer, context: int) -> int:
    """Activations of one prefill pass, bytes (with T^2 scores where no flash kernel is used)."""
    s = model.shape
    width = 8 * s["hidden_size"] + 4 * s["n_heads"] * s["head_dim"] + 6 * s["intermediate_size"]
    need = context * width * 4 + 2 * s["vocab_size"] * 4
    if model.device.type != "cuda" or model.dtype == torch.float32:
        need += 2 * s["n_heads"] * context * context * 4
    return need


def _margin(device: torch.device) -> int:
    return 512 * 2**20 if device.type == "cuda" else 256 * 2**20


# --------------------------------------------------------------------------- the sweep


def run(
    spec: dict[str, Any],
    batches: Iterable[int] = DEFAULT_BATCHES,
    contexts: Iterable[int] = DEFAULT_CONTEXTS,
    prefills: Iterable[int] = DEFAULT_PREFILLS,
    *,
    n_layers: int | None = None,
    dtype: str | torch.dtype | None = None,
    device: str | torch.device | None = None,
    min_seconds: float = 1.5,
    cuda_graph: bool | None = None,
    energy_meter: Any = "auto",
    free_bytes: int | None = None,
    verbose: bool = True,
) -> pd.DataFrame:
    """Build the model once and measure every decode (context x batch) and prefill configuration.

    Parameters
    ----------
    spec : dict
        A ``models.csv`` row (:func:`load_spec`) or :data:`TINY_SPEC`.
    batches, contexts : iterable of int
        Decode grid: for each context, each batch (sequences; tokens in the KV cache).
    prefills : iterable of int
        Prompt lengths of the prefill rows, tokens.
    n_layers, dtype, device
        See :func:`build_model`.
    min_seconds : float
        Minimum timed duration of each configuration, s.
    cuda_graph : bool, optional
        Replay decode steps from a CUDA graph (default: on CUDA).
    energy_meter : "auto", None or object with ``read_mj() -> float``
        See :func:`measure_decode`.
    free_bytes : int, optional
        Memory available to the KV cache and activations, bytes; default: measured before each
        configuration (free CUDA memory, or available RAM on CPU). Configurations that need more
        are skipped with a printed note.
    verbose : bool
        Print one line per measured or skipped configuration.

    Returns
    -------
    pandas.DataFrame
        One row per measured configuration, columns :data:`COLUMNS` in that order.

    Raises
    ------
    MemoryError
        If the weights alone do not fit (try ``n_layers``).
    """
    say = print if verbose else (lambda *a, **k: None)
    dev = _resolve_device(device)
    dt = _resolve_dtype(dtype, dev)
    shape = model_shape(spec, n_layers)
    itemsize = torch.empty((), dtype=dt).element_size()
    w_bytes = count_params(spec, n_layers) * itemsize
    avail = _free_bytes(dev) if free_bytes is None else None
    if avail is not None and w_bytes + _margin(dev) > avail:
        raise MemoryError(
            f"{shape['label']}: weights need {w_bytes / 1e9:.2f} GB in {dt}, only "
            f"{avail / 1e9:.2f} GB free on {dev}; build fewer layers (--layers)"
        )
    model = build_model(spec, n_layers=n_layers, dtype=dt, device=dev)
    meter = _energy_meter(dev, energy_meter)
    say(
        f"{_device_name(dev)}: {model.label}, {model.n_params():,} parameters, {dt}, "
        f"{model.weight_bytes() / 1e9:.3f} GB of weights"
    )
    batches, contexts, prefills = (list(dict.fromkeys(v)) for v in (batches, contexts, prefills))
    rows: list[dict[str, Any]] = []
    jobs: list[tuple[str, int, int]] = [("decode", b, c) for c in contexts for b in batches] + [
        ("prefill", 1, t) for t in prefills
    ]
    oom_errors: tuple[type[BaseException], ...] = (torch.cuda.OutOfMemoryError, MemoryError)
    for kind, b, c in jobs:
        need = _decode_need(model, b, c) if kind == "decode" else _prefill_need(model, c)
        have = free_bytes if free_bytes is not None else _free_bytes(dev)
        if have is not None and need + _margin(dev) > have:
            say(
                f"skip {kind} batch={b} context={c}: needs ~{need / 1e9:.2f} GB beyond the "
                f"weights, {have / 1e9:.2f} GB free"
            )
            continue
        try:
            if kind == "decode":
                row = measure_decode(
                    model,
                    b,
                    c,
                    min_seconds=min_seconds,
                    cuda_graph=cuda_graph,
                    energy_meter=meter,
                )
            else:
                row = measure_prefill(model, c, min_seconds=min_seconds, energy_meter=meter)
        except oom_errors as exc:  # pragma: no cover - depends on the machine
            say(f"skip {kind} batch={b} context={c}: out of memory ({str(exc).splitlines()[0]})")
            if dev.type == "cuda":
                torch.cuda.empty_cache()
            continue
        rows.append(row)
        say(
            f"{kind:7s} batch={b:<4d} context={c:<6d} {row['step_ms']:10.3f} ms  "
            f"{row['tokens_per_s_total']:12.1f} tok/s"
            + (
                f"  {row['avg_power_w']:7.1f} W  {row['joules_per_token']:.4g} J/tok"
                if not math.isnan(row["avg_power_w"])
                else ""
            )
        )
    return pd.DataFrame(rows, columns=list(COLUMNS))


def write_csv(df: pd.DataFrame, path: str | Path) -> Path:
    """Write ``df`` (columns :data:`COLUMNS`) to ``path`` atomically (temp file + rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", newline="") as fh:
            df.loc[:, list(COLUMNS)].to_csv(fh, index=False, float_format="%.7g")
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        description=(
            "Measure decode and prefill speed (and power/energy via NVML) of a dense GQA "
            "transformer with random weights in the shape of a data/models.csv model; write "
            "rows in the schema of data/h200_decode.csv."
        )
    )
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--model", help="a name in data/models.csv (any case), e.g. Llama-3.1-8B")
    which.add_argument("--tiny", action="store_true", help="a very small GQA shape (smoke test)")
    p.add_argument("--models-csv", type=Path, help="read model shapes from this CSV instead")
    p.add_argument("--batch", type=int, nargs="+", default=list(DEFAULT_BATCHES))
    p.add_argument("--context", type=int, nargs="+", default=list(DEFAULT_CONTEXTS))
    p.add_argument(
        "--prefill", type=int, nargs="*", default=list(DEFAULT_PREFILLS), help="prompt lengths"
    )
    p.add_argument("--out", type=Path, help="CSV to write (atomically)")
    p.add_argument("--device", help="cuda, cuda:N or cpu (default: cuda when available)")
    p.add_argument("--dtype", choices=sorted(_DTYPES), help="default: bf16 on CUDA, fp32 on CPU")
    p.add_argument("--layers", type=int, help="build this many layers instead of the model's")
    p.add_argument("--min-seconds", type=float, default=1.5, help="timed s per configuration")
    p.add_argument(
        "--cuda-graph",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="replay decode steps from a CUDA graph (default: on, on CUDA)",
    )
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    p = _parser()
    args = p.parse_args(argv)
    bad = [v for v in (*args.batch, *args.context, *args.prefill) if v < 1]
    if bad or args.min_seconds < 0 or (args.layers is not None and args.layers < 1):
        p.error("--batch, --context, --prefill and --layers must be >= 1, --min-seconds >= 0")
    try:
        spec = dict(TINY_SPEC) if args.tiny else load_spec(args.model, args.models_csv)
        model_shape(spec, args.layers)
        df = run(
            spec,
            args.batch,
            args.context,
            args.prefill,
            n_layers=args.layers,
            dtype=args.dtype,
            device=args.device,
            min_seconds=args.min_seconds,
            cuda_graph=args.cuda_graph,
        )
    except (ValueError, MemoryError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print()
    with pd.option_context("display.width", 200, "display.max_columns", None):
        print(df.to_string(index=False, float_format=lambda v: f"{v:.5g}"))
    if args.out is not None:
        print(f"wrote {write_csv(df, args.out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
