"""Kernel and collective timings measured on real GPUs (Microsoft's Vidur profiles, MIT):
per-layer operator times (``operator_timings.csv``) and all-reduce / send-recv times
(``collective_timings.csv``), derived by ``data/derive/vidur_profiles.py``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .validation import Column, Problem, Schema, _load, _nonneg, _pos

__all__ = [
    "LINEAR_OPERATORS",
    "ELEMENTWISE_OPERATORS",
    "OPERATOR_TIMINGS_SCHEMA",
    "load_operator_timings",
    "COLLECTIVE_TIMINGS_SCHEMA",
    "load_collective_timings",
]

LINEAR_OPERATORS = ("qkv", "attn_out", "mlp_up", "mlp_down")
"""The four GEMMs of a transformer layer: fused QKV projection, attention output projection,
MLP up (gate and up fused when the MLP is gated) and MLP down."""

ELEMENTWISE_OPERATORS = ("attn_norm", "mlp_norm", "rope", "act", "add")
"""The element-wise kernels of a layer as Vidur profiles them: the two RMS/layer norms, rotary
embedding, the MLP activation (times the gate when gated) and one residual add."""


def _gpu_problems(df: pd.DataFrame, fname: str) -> list[Problem]:
    """Every ``gpu`` must name a row of ``data/gpus.csv`` (as :func:`inferecon.match_gpu` reads)."""
    from ..specs import match_gpu  # specs reads gpus.csv through this package: import late

    problems = []
    known: dict[str, bool] = {}
    for i, name in enumerate(df["gpu"]):
        if name not in known:
            try:
                match_gpu(name)
                known[name] = True
            except ValueError:
                known[name] = False
        if not known[name]:
            problems.append(Problem(fname, i + 2, "gpu", f"{name!r} names no GPU of data/gpus.csv"))
    return problems


def _check_operator_timings(df: pd.DataFrame, fname: str) -> list[Problem]:
    """GPUs are known; one shape per model; query heads a multiple of KV heads."""
    problems = _gpu_problems(df, fname)
    shape = ["n_embd", "n_head", "n_kv_head", "n_expanded_embd", "use_gated_mlp"]
    first = df.groupby("model", sort=False)[shape].transform("first")
    differs = (df[shape].astype(str) != first.astype(str)).any(axis=1)
    differs = (differs & df[shape].notna().all(axis=1)).to_numpy()  # bad cells: reported already
    for i in np.flatnonzero(differs):
        problems.append(
            Problem(fname, int(i) + 2, "model", "shape columns differ from the model's first row")
        )
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = df["n_head"].to_numpy(float) / df["n_kv_head"].to_numpy(float)
    for i in np.flatnonzero(np.isfinite(ratio) & (ratio != np.round(ratio))):
        problems.append(
            Problem(fname, int(i) + 2, "n_kv_head", "n_head is not a multiple of n_kv_head")
        )
    return problems


OPERATOR_TIMINGS_SCHEMA = Schema(
    name="operator_timings",
    columns=(
        Column("gpu", "str", description="a name data/gpus.csv resolves (inferecon.match_gpu)"),
        Column("model", "str", description="the profiled model, as upstream names it"),
        Column("n_embd", "int", "features", low=1.0, description="hidden size"),
        Column("n_head", "int", "heads", low=1.0, description="query heads"),
        Column("n_kv_head", "int", "heads", low=1.0, description="key/value heads"),
        Column("n_expanded_embd", "int", "features", low=1.0, description="MLP inner size"),
        Column("use_gated_mlp", "bool", description="gated (SwiGLU) MLP: up GEMM is 2x wide"),
        Column("tensor_parallel", "int", "GPUs", low=1.0, high=64.0),
        Column("tokens", "int", "tokens", low=1.0, description="rows of the GEMM in one step"),
        Column(
            "operator",
            "str",
            choices=LINEAR_OPERATORS + ELEMENTWISE_OPERATORS,
            lowercase=True,
        ),
        _pos("median_ms", "ms", description="median CUDA time over the profiler's repeats"),
        _nonneg("min_ms", "ms", description="fastest repeat"),
        _nonneg("std_ms", "ms", description="standard deviation over the repeats"),
    ),
    key=("gpu", "model", "operator", "tensor_parallel", "tokens"),
    row_checks=(("min_ms", "median_ms"),),
    frame_check=_check_operator_timings,
)


def load_operator_timings(path: str | Path | None = None) -> pd.DataFrame:
    """Measured CUDA times of one transformer layer's operators, by GPU, model, TP and tokens.

    The bundled file holds Microsoft's Vidur profiles (MIT; ``data/README.md``): A100 80GB,
    H100 80GB and A40, Llama-2-7B/70B and phi-2 (all three GPUs) and Llama-3-8B/70B (A100), the
    weights split ``tensor_parallel`` ways (1, 2, 4, 8), fp16/bf16, operators launched one at
    a time (no CUDA graphs, no overlap).

    Parameters
    ----------
    path : str or Path, optional
        A CSV in the schema of ``data/operator_timings.csv``; the bundled file when omitted.

    Returns
    -------
    pandas.DataFrame
        One row per (``gpu``, ``model``, ``operator``, ``tensor_parallel``, ``tokens``) with the
        model's shape (``n_embd``, ``n_head``, ``n_kv_head``, ``n_expanded_embd``,
        ``use_gated_mlp``) and the time in ms (``median_ms``, ``min_ms``, ``std_ms``).
        ``operator`` is one of :data:`LINEAR_OPERATORS` (``qkv``, ``attn_out``, ``mlp_up``,
        ``mlp_down``) or :data:`ELEMENTWISE_OPERATORS`; the bundled element-wise rows are on
        powers of two of ``tokens`` only.

    Raises
    ------
    DataValidationError
        Listing every problem: missing columns, non-integer or out-of-range shapes, an unknown
        operator or GPU, a minimum above the median, a model with two shapes, query heads not
        a multiple of KV heads, duplicated keys.
    """
    return _load(path, "operator_timings.csv", OPERATOR_TIMINGS_SCHEMA)


COLLECTIVE_TIMINGS_SCHEMA = Schema(
    name="collective_timings",
    columns=(
        Column("node", "str", description="upstream node kind, e.g. a100_dgx, h100_dgx"),
        Column("gpu", "str", description="a name data/gpus.csv resolves (inferecon.match_gpu)"),
        Column("interconnect", "str", description="the link between GPUs of one node"),
        Column("collective", "str", choices=("all_reduce", "send_recv"), lowercase=True),
        Column("n_gpus", "int", "GPUs", low=2.0, description="GPUs taking part"),
        Column("gpus_per_node", "int", "GPUs", low=1.0, description="of them, per node"),
        Column("size_bytes", "int", "bytes", low=1.0, description="message size per GPU"),
        _pos("median_ms", "ms", description="median CUDA time over the profiler's repeats"),
        _nonneg("min_ms", "ms", description="fastest repeat"),
        _nonneg("std_ms", "ms", description="standard deviation over the repeats"),
    ),
    key=("node", "collective", "n_gpus", "gpus_per_node", "size_bytes"),
    row_checks=(("min_ms", "median_ms"), ("gpus_per_node", "n_gpus")),
    frame_check=_gpu_problems,
)


def load_collective_timings(path: str | Path | None = None) -> pd.DataFrame:
    """Measured all-reduce and send/recv times against message size and number of GPUs.

    The bundled file holds Microsoft's Vidur profiles (MIT; ``data/README.md``) on 8-GPU DGX
    nodes (``a100_dgx``, ``h100_dgx``: NVLink through NVSwitches) and on nodes whose GPUs are
    linked by NVLink in pairs (``*_pairwise_nvlink``). A row with ``gpus_per_node`` below
    ``n_gpus`` spans several nodes, so part of its traffic crosses the (unstated) network
    between them.

    Parameters
    ----------
    path : str or Path, optional
        A CSV in the schema of ``data/collective_timings.csv``; the bundled file when omitted.

    Returns
    -------
    pandas.DataFrame
        One row per (``node``, ``collective``, ``n_gpus``, ``gpus_per_node``, ``size_bytes``)
        with the GPU, the node's link and the time in ms (``median_ms``, ``min_ms``,
        ``std_ms``).

    Raises
    ------
    DataValidationError
        Listing every problem: missing columns, an unknown collective or GPU, fewer than two
        GPUs, more GPUs per node than GPUs, a minimum above the median, duplicated keys.
    """
    return _load(path, "collective_timings.csv", COLLECTIVE_TIMINGS_SCHEMA)
