"""Inputs of the price-decline decomposition: engine profiles by year (``engine_profiles.csv``)
and the serving scenarios at the two ends of a decline (``serving_scenarios.csv``).

Ranges are ``_low``/``_high`` column pairs (``low <= high`` on every row); every number has its
source in the row's URL columns and ``notes`` (see ``data/README.md``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .models import MODELS_SCHEMA
from .validation import Column, Problem, Schema, _load, _pos

__all__ = [
    "ENGINE_PROFILES_SCHEMA",
    "SERVING_SCENARIOS_SCHEMA",
    "load_engine_profiles",
    "load_serving_scenarios",
]


def _share(name: str, **kw) -> Column:
    return Column(name, "float", "share", low=0.0, high=1.0, low_open=True, **kw)


ENGINE_PROFILES_SCHEMA = Schema(
    name="engine_profiles",
    columns=(
        Column("engine_profile", "str", description="key, named in serving_scenarios.csv"),
        Column("year", "int", "year", low=2015.0, high=2035.0),
        Column("engines", "str", description="the engines this profile stands for"),
        Column("batching", "str", choices=("static", "continuous"), lowercase=True),
        Column("precision", "str", choices=("bf16", "fp8", "fp4"), lowercase=True),
        _share("kv_used_share_low", description="share of KV memory holding token states"),
        _share("kv_used_share_high"),
        Column("max_running_requests", "int", "requests", low=1.0),
        _share(
            "throughput_share_low",
            description="tokens/s relative to the calibrated engine at the same batch",
        ),
        _share("throughput_share_high"),
        Column("kv_source_url", "str"),
        Column("throughput_source_url", "str"),
        Column("notes", "str", nullable=True),
    ),
    key=("engine_profile",),
    optional=frozenset({"notes"}),
    row_checks=(
        ("kv_used_share_low", "kv_used_share_high"),
        ("throughput_share_low", "throughput_share_high"),
    ),
)


def load_engine_profiles(path: str | Path | None = None) -> pd.DataFrame:
    """Serving-engine profiles by year: precision, KV-memory use, batch cap, throughput share.

    Parameters
    ----------
    path : str or Path, optional
        A CSV in the schema of ``data/engine_profiles.csv``; the bundled file when omitted.

    Returns
    -------
    pandas.DataFrame
        One row per ``engine_profile``, sorted by ``year``: ``batching`` (``static`` or
        ``continuous``), ``precision`` of weights and matmuls, ``kv_used_share_low``/``_high``
        (share of KV memory that holds token states; the rest is reserved or fragmented, so
        the batch is that share of what the memory could hold), ``max_running_requests`` (the
        engine's cap on running requests) and ``throughput_share_low``/``_high`` (tokens/s
        relative to the package's calibrated engine at the same batch and precision: host
        overheads, scheduling, padding of static batches). Sources: Kwon et al. 2023 (vLLM),
        the vLLM blog (2024-09-05), the ML.ENERGY Leaderboard; see ``data/README.md``.

    Raises
    ------
    DataValidationError
        Listing every problem: shares outside (0, 1], a low above its high, unknown batching
        or precision, duplicated profiles.
    """
    df = _load(path, "engine_profiles.csv", ENGINE_PROFILES_SCHEMA)
    return df.sort_values(["year", "engine_profile"], kind="stable").reset_index(drop=True)


def _check_scenarios(df: pd.DataFrame, fname: str) -> list[Problem]:
    """Heads divide evenly into KV heads; prompt and output are at least one token."""
    problems = []
    bad = (df["n_heads"] % df["n_kv_heads"] != 0).to_numpy()
    for i in np.flatnonzero(bad):
        problems.append(
            Problem(fname, int(i) + 2, "n_kv_heads", "n_heads must be a multiple of n_kv_heads")
        )
    return problems


_SHAPE_COLUMNS = ("n_layers", "hidden_size", "n_heads", "n_kv_heads", "head_dim",
                  "intermediate_size", "vocab_size")  # fmt: skip
_SHAPE = tuple(c for c in MODELS_SCHEMA.columns if c.name in _SHAPE_COLUMNS)
"""A dense GQA shape's columns, with the rules of ``models.csv``."""

SERVING_SCENARIOS_SCHEMA = Schema(
    name="serving_scenarios",
    columns=(
        Column("scenario", "str", description="key"),
        Column("price_model", "str", description="the model's name in llm_prices.csv"),
        Column("price_date", "date", description="the price row's date in llm_prices.csv"),
        _pos("params_active_low", "parameters"),
        _pos("params_active_high", "parameters"),
        Column("params_source_url", "str"),
        *_SHAPE,
        Column("shape_source_url", "str"),
        Column("gpu", "str", description="a name in data/gpus.csv"),
        _pos("usd_per_gpu_hour_low", "USD/GPU-hour"),
        _pos("usd_per_gpu_hour_high", "USD/GPU-hour"),
        Column("gpu_price_source_url", "str"),
        _share("utilisation_low", description="share of paid GPU-hours that serve"),
        _share("utilisation_high"),
        Column("engine_profile", "str", description="a key of engine_profiles.csv"),
        Column("prompt_tokens", "int", "tokens", low=1.0),
        Column("output_tokens", "int", "tokens", low=1.0),
        Column("notes", "str", nullable=True),
    ),
    key=("scenario",),
    optional=frozenset({"notes"}),
    row_checks=(
        ("params_active_low", "params_active_high"),
        ("usd_per_gpu_hour_low", "usd_per_gpu_hour_high"),
        ("utilisation_low", "utilisation_high"),
    ),
    frame_check=_check_scenarios,
)


def load_serving_scenarios(path: str | Path | None = None) -> pd.DataFrame:
    """Serving scenarios at the ends of a price decline (the AI Index's 280-fold by default).

    Parameters
    ----------
    path : str or Path, optional
        A CSV in the schema of ``data/serving_scenarios.csv``; the bundled file when omitted.

    Returns
    -------
    pandas.DataFrame
        One row per ``scenario``: the list-price row it is priced by (``price_model`` and
        ``price_date`` in ``data/llm_prices.csv``), active parameters (a range where the maker
        does not state them) and the transformer shape they scale, the GPU (a name in
        ``data/gpus.csv``) with its USD per GPU-hour range of the day, utilisation range, the
        ``engine_profile`` (a key of ``data/engine_profiles.csv``) and the request mix
        (``prompt_tokens``, ``output_tokens``). :func:`inferecon.serving_scenario` joins a row
        with its engine profile and list prices.

    Raises
    ------
    DataValidationError
        Listing every problem: non-positive numbers, a low above its high, shares outside
        (0, 1], heads not a multiple of KV heads, duplicated scenarios.
    """
    return _load(path, "serving_scenarios.csv", SERVING_SCENARIOS_SCHEMA)
