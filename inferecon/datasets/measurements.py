"""This project's own GPU measurements: decode and prefill steps, bandwidth and matmul ceilings."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .validation import Column, Schema, _load, _nonneg, _pos

__all__ = [
    "DECODE_MEASUREMENTS_SCHEMA",
    "load_decode_measurements",
    "load_measured_ceilings",
    "MEASURED_CEILINGS_SCHEMA",
]

DECODE_MEASUREMENTS_SCHEMA = Schema(
    name="decode_measurements",
    columns=(
        Column("gpu", "str"),
        Column("kind", "str", choices=("decode", "prefill"), lowercase=True),
        Column("model", "str"),
        Column("params", "int", "parameters", low=1.0),
        Column("batch", "int", "sequences", low=1.0),
        Column("context", "int", "tokens", low=1.0),
        _pos("step_ms", "ms"),
        _pos("tokens_per_s_total", "tokens/s"),
        _pos("tokens_per_s_per_user", "tokens/s", nullable=True),
        _pos("avg_power_w", "W", nullable=True),
        _pos("joules_per_token", "J/token", nullable=True),
        _nonneg("weight_gb", "GB"),
        _nonneg("kv_gb", "GB"),
    ),
    key=("gpu", "kind", "model", "batch", "context"),
)


def load_decode_measurements(path: str | Path | None = None) -> pd.DataFrame:
    """Measured decode and prefill speed, power and energy (the schema of ``data/h200_decode.csv``).

    Parameters
    ----------
    path : str or Path, optional
        Your own measurements, e.g. written by ``benchmarks/gpu_decode.py``; the bundled H200
        measurements of a Llama-3.1-8B-shaped model when omitted.

    Returns
    -------
    pandas.DataFrame
        One row per measured step: ``gpu``, ``kind`` (decode or prefill), ``model``,
        ``params``, ``batch``, ``context`` (tokens), ``step_ms``, ``tokens_per_s_total``,
        ``tokens_per_s_per_user``, ``avg_power_w`` (board), ``joules_per_token``,
        ``weight_gb`` and ``kv_gb`` (bytes one decode step reads, 1e9 B).
    """
    return _load(path, "h200_decode.csv", DECODE_MEASUREMENTS_SCHEMA)


MEASURED_CEILINGS_SCHEMA = Schema(
    name="measured_ceilings",
    columns=(
        Column("gpu", "str"),
        Column("kind", "str"),
        Column("metric", "str", description="copy_tb_s, bf16_gemm_tflops, gemm_avg_power_w"),
        _pos("value", "see metric"),
    ),
    key=("gpu", "metric"),
)


def load_measured_ceilings(path: str | Path | None = None) -> pd.DataFrame:
    """Measured bandwidth and matmul ceilings of a GPU (``data/h200_ceilings.csv``), by metric.

    Parameters
    ----------
    path : str or Path, optional
        A CSV in the same schema; the bundled ``data/h200_ceilings.csv`` when omitted.

    Returns
    -------
    pandas.DataFrame
        ``gpu``, ``kind``, ``metric`` (``copy_tb_s``, ``bf16_gemm_tflops``,
        ``gemm_avg_power_w``) and ``value`` in the metric's unit.
    """
    return _load(path, "h200_ceilings.csv", MEASURED_CEILINGS_SCHEMA)
