"""Architectures of open models (``models.csv``)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .validation import Column, Schema, _load

__all__ = [
    "MODELS_SCHEMA",
    "load_models",
]

_MOE = dict(nullable=False, low=0.0)
_MLA = dict(nullable=True, low=0.0, low_open=True)


MODELS_SCHEMA = Schema(
    name="models",
    columns=(
        Column("name", "str", description="model name, matched case-insensitively"),
        Column("family", "str"),
        Column("attention", "str", choices=("gqa", "mla"), lowercase=True),
        Column("params_total", "int", "parameters", low=1.0),
        Column("params_active", "int", "parameters", low=1.0),
        Column("n_layers", "int", "layers", low=1.0),
        Column("hidden_size", "int", low=1.0),
        Column("n_heads", "int", low=1.0),
        Column("n_kv_heads", "int", low=1.0),
        Column("head_dim", "int", low=1.0),
        Column("intermediate_size", "int", low=1.0),
        Column("vocab_size", "int", "tokens", low=1.0),
        Column("tied_embeddings", "bool"),
        Column("n_experts", "int", **_MOE),
        Column("n_experts_active", "int", **_MOE),
        Column("n_shared_experts", "int", **_MOE),
        Column("moe_intermediate_size", "int", **_MOE),
        Column("n_dense_layers", "int", **_MOE),
        Column("q_lora_rank", "int", **_MLA),
        Column("kv_lora_rank", "int", **_MLA),
        Column("qk_nope_head_dim", "int", **_MLA),
        Column("qk_rope_head_dim", "int", **_MLA),
        Column("v_head_dim", "int", **_MLA),
        Column("kv_bytes_per_token_bf16", "int", "bytes/token", low=1.0),
        Column("sliding_window", "int", "tokens", nullable=True, low=1.0),
        Column("n_sliding_layers", "int", "layers", nullable=True, low=0.0),
        Column("context_length", "int", "tokens", low=1.0),
        Column("release_date", "date"),
        Column("source_url", "str"),
        Column("notes", "str", nullable=True),
    ),
    key=("name",),
    optional=frozenset({"notes", "sliding_window", "n_sliding_layers"}),
    row_checks=(
        ("params_active", "params_total"),
        ("n_kv_heads", "n_heads"),
        ("n_experts_active", "n_experts"),
        ("n_dense_layers", "n_layers"),
        ("n_sliding_layers", "n_layers"),
    ),
)


def load_models(path: str | Path | None = None) -> pd.DataFrame:
    """Architectures of open models (shapes, MoE and latent-attention sizes), by ``name``.

    Count columns are returned as int64 (MLA-only columns as nullable ``Int64``).

    Parameters
    ----------
    path : str or Path, optional
        A CSV in the same schema; the bundled ``data/models.csv`` when omitted.

    Returns
    -------
    pandas.DataFrame
        One row per model: its shape (layers, hidden size, heads, KV heads, MoE and
        MLA sizes), published parameter counts and context length; counts as int64 (MLA-only
        columns as nullable ``Int64``).
    """
    df = _load(path, "models.csv", MODELS_SCHEMA)
    df["tied_embeddings"] = df["tied_embeddings"].astype(bool)
    return df
