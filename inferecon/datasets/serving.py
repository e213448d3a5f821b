"""Serving as published and as requested: throughput figures, load sweeps of real engines,
real request lengths and users' request traces."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .validation import Column, Problem, Schema, _load, _nonneg, _pos, validate_frame

__all__ = [
    "PUBLISHED_THROUGHPUT_SCHEMA",
    "load_published_throughput",
    "REQUEST_TRACE_SCHEMA",
    "load_request_trace",
    "PUBLISHED_SERVING_SWEEPS_SCHEMA",
    "REQUEST_LENGTHS_SCHEMA",
    "load_published_serving_sweeps",
    "load_request_lengths",
]

_PRECISIONS = ("bf16", "fp8", "fp4")


PUBLISHED_THROUGHPUT_SCHEMA = Schema(
    name="published_throughput",
    columns=(
        Column("source_id", "str"),
        Column("gpu", "str"),
        Column("n_gpus", "int", "GPUs", low=1.0),
        Column("model", "str"),
        Column("weight_precision", "str", choices=_PRECISIONS),
        Column("kv_precision", "str", choices=_PRECISIONS),
        Column("input_tokens", "int", "tokens", nullable=True, low=0.0),
        Column("output_tokens", "int", "tokens", nullable=True, low=1.0),
        Column("concurrency", "int", "requests", nullable=True, low=1.0),
        _pos("output_tokens_per_s", "tokens/s", nullable=True),
        _pos("output_tokens_per_s_per_gpu", "tokens/s", nullable=True),
        _pos("tokens_per_s_per_user", "tokens/s", nullable=True),
        Column("metric", "str"),
        Column("source", "str"),
        Column("source_url", "str"),
        Column("retrieved", "date"),
        Column("notes", "str", nullable=True),
    ),
    key=("source_id",),
)


def load_published_throughput(path: str | Path | None = None) -> pd.DataFrame:
    """Published serving throughput (vendor and MLPerf pages), to check the roofline ceiling.

    Parameters
    ----------
    path : str or Path, optional
        A CSV in the same schema; the bundled ``data/published_throughput.csv`` when omitted.

    Returns
    -------
    pandas.DataFrame
        One row per published figure: configuration (GPU, GPUs, model, precisions,
        request lengths), the measured tokens/s and the quoted source.
    """
    return _load(path, "published_throughput.csv", PUBLISHED_THROUGHPUT_SCHEMA)


_STAT = ("mean", "median")


PUBLISHED_SERVING_SWEEPS_SCHEMA = Schema(
    name="published_serving_sweeps",
    columns=(
        Column("sweep_id", "str"),
        Column(
            "load_mode",
            "str",
            choices=("closed_loop", "static_batch", "open_loop_poisson", "offline_all_at_once"),
        ),  # fmt: skip
        Column("engine", "str"),
        Column("engine_version", "str", nullable=True),
        Column("model", "str", description="a name in models.csv"),
        Column("model_as_published", "str"),
        Column("gpu", "str", description="a name in gpus.csv"),
        Column("n_gpus", "int", "GPUs", low=1.0),
        Column("tensor_parallel", "int", "GPUs", low=1.0),
        Column("pipeline_parallel", "int", "stages", low=1.0),
        Column("expert_parallel", "int", "GPUs", nullable=True, low=1.0),
        Column("weight_precision", "str", choices=_PRECISIONS),
        Column("kv_precision", "str", choices=_PRECISIONS),
        Column("kv_precision_stated", "bool"),
        Column("input_tokens", "int", "tokens", nullable=True, low=1.0),
        Column("output_tokens", "int", "tokens", nullable=True, low=1.0),
        Column("length_dist", "str", choices=("fixed", "nominal", "uniform_1_to_n", "sharegpt")),
        _pos("mean_input_tokens", "tokens", nullable=True),
        _pos("mean_output_tokens", "tokens", nullable=True),
        Column("concurrency", "int", "requests", nullable=True, low=1.0),
        _pos("request_rate_per_s", "requests/s", nullable=True),
        Column("n_requests", "int", "requests", nullable=True, low=1.0),
        _pos("output_tokens_per_s", "tokens/s", nullable=True),
        _pos("output_tokens_per_s_per_gpu", "tokens/s", nullable=True),
        _pos("requests_per_s", "requests/s", nullable=True),
        _pos("ttft_ms", "ms", nullable=True),
        Column("ttft_stat", "str", nullable=True, choices=_STAT),
        _pos("tpot_ms", "ms", nullable=True),
        _pos("itl_ms", "ms", nullable=True),
        Column("latency_stat", "str", nullable=True, choices=_STAT),
        _pos("e2e_latency_ms", "ms", nullable=True),
        Column("e2e_stat", "str", nullable=True, choices=_STAT),
        _pos("tokens_per_s_per_user", "tokens/s", nullable=True),
        Column("derived_columns", "str", nullable=True),
        Column("source", "str"),
        Column("source_url", "str"),
        Column("retrieved", "date"),
        Column("quote", "str"),
        Column("notes", "str", nullable=True),
    ),
    key=("sweep_id", "concurrency", "request_rate_per_s"),
    optional=frozenset({"notes", "derived_columns"}),
    row_checks=(("tensor_parallel", "n_gpus"),),
)


def load_published_serving_sweeps(path: str | Path | None = None) -> pd.DataFrame:
    """Published load sweeps of real serving engines (``data/published_serving_sweeps.csv``).

    Parameters
    ----------
    path : str or Path, optional
        A CSV in the same schema; the bundled file when omitted.

    Returns
    -------
    pandas.DataFrame
        One row per load level of a sweep: the configuration (engine, model, GPUs,
        parallelism, precisions, request lengths, ``load_mode`` and its level:
        ``concurrency`` or ``request_rate_per_s``), the measured throughput (output tokens/s,
        total and per GPU) and latencies (ms, with the statistic), and the quoted source row.
    """
    return _load(path, "published_serving_sweeps.csv", PUBLISHED_SERVING_SWEEPS_SCHEMA)


REQUEST_LENGTHS_SCHEMA = Schema(
    name="request_lengths",
    columns=(
        Column("trace", "str", choices=("conversation", "code")),
        Column("source_row", "int", low=1.0),
        Column("timestamp", "str"),
        _nonneg("arrival_s", "s"),
        Column("context_tokens", "int", "tokens", low=1.0),
        Column("generated_tokens", "int", "tokens", low=0.0),
    ),
    key=("trace", "source_row"),
)


def load_request_lengths(path: str | Path | None = None) -> pd.DataFrame:
    """Prompt and output lengths of real requests (``data/request_lengths.csv``).

    The first requests of the Azure LLM inference trace 2023 (conversation and code; CC-BY;
    the trace behind Splitwise), with arrival times.

    Parameters
    ----------
    path : str or Path, optional
        A CSV in the same schema; the bundled file when omitted.

    Returns
    -------
    pandas.DataFrame
        ``trace``, ``source_row``, ``timestamp``, ``arrival_s`` (s since the window began),
        ``context_tokens`` (prompt) and ``generated_tokens`` (output).
    """
    return _load(path, "request_lengths.csv", REQUEST_LENGTHS_SCHEMA)


def _check_trace(df: pd.DataFrame, fname: str) -> list[Problem]:
    """Arrival times do not decrease."""
    t = df["arrival_s"].to_numpy(float)
    with np.errstate(invalid="ignore"):
        bad = np.flatnonzero(np.diff(t) < 0) + 1
    return [
        Problem(fname, int(i) + 2, "arrival_s",
                f"{t[i]:g} s is before the previous request's {t[i - 1]:g} s (sort by arrival)")
        for i in bad
    ]  # fmt: skip


REQUEST_TRACE_SCHEMA = Schema(
    name="request_trace",
    columns=(
        _nonneg("arrival_s", "s", description="seconds since the trace began"),
        Column("prompt_tokens", "int", "tokens", low=1.0),
        Column("output_tokens", "int", "tokens", low=1.0),
    ),
    frame_check=_check_trace,
)


def load_request_trace(
    path: str | Path | None = None, *, frame: pd.DataFrame | None = None
) -> pd.DataFrame:
    """A serving trace: when each request arrived and how long its prompt and output were.

    Parameters
    ----------
    path : str or Path, optional
        A CSV with columns ``arrival_s`` (seconds, non-decreasing, >= 0), ``prompt_tokens``
        and ``output_tokens`` (whole numbers >= 1); other columns are kept.
    frame : pandas.DataFrame, optional
        The same as a DataFrame (validated the same way) instead of a file.

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    DataValidationError
        Listing every missing column, negative, non-integer or unsorted value at once.
    """
    if (path is None) == (frame is None):
        raise ValueError("give either path or frame")
    if frame is not None:
        raw = frame.astype(str).where(frame.notna(), "")
        return validate_frame(raw.reset_index(drop=True), REQUEST_TRACE_SCHEMA, "trace")
    return _load(path, None, REQUEST_TRACE_SCHEMA)
