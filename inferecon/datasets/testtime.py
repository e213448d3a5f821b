"""Test-time compute: repeated-sampling counts, reasoning tokens per task, published results."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .validation import Column, Schema, _load

__all__ = [
    "load_sampling_counts",
    "load_reasoning_tokens",
    "load_test_time_results",
    "SAMPLING_COUNTS_SCHEMA",
    "REASONING_TOKENS_SCHEMA",
    "TEST_TIME_RESULTS_SCHEMA",
]

SAMPLING_COUNTS_SCHEMA = Schema(
    name="sampling_counts",
    columns=(
        Column("model", "str"),
        Column("benchmark", "str", nullable=True),
        Column("problem_idx", "str", description="problem identifier"),
        Column("n_samples", "int", "samples", low=1.0),
        Column("n_correct", "int", "samples", low=0.0),
    ),
    key=("model", "benchmark", "problem_idx"),
    optional=frozenset({"benchmark"}),
    row_checks=(("n_correct", "n_samples"),),
)


REASONING_TOKENS_SCHEMA = Schema(
    name="reasoning_tokens",
    columns=(
        Column("model", "str"),
        Column("task", "str"),
        Column("output_tokens_per_task", "float", "tokens", low=0.0, low_open=True),
        Column("input_tokens_per_task", "float", "tokens", nullable=True, low=0.0),
        Column("reasoning", "bool"),
        Column("measured_by", "str"),
        Column("date", "date"),
        Column("source", "str"),
        Column("source_url", "str"),
        Column("notes", "str", nullable=True),
    ),
    key=("model", "task", "source_url"),
    optional=frozenset({"notes"}),
)


TEST_TIME_RESULTS_SCHEMA = Schema(
    name="test_time_results",
    columns=(
        Column("key", "str"),
        Column("model", "str"),
        Column("benchmark", "str"),
        Column("method", "str"),
        Column("samples", "int", "samples", nullable=True, low=1.0),
        Column("score_single_pct", "float", "%", nullable=True, low=0.0, high=100.0),
        Column("score_scaled_pct", "float", "%", nullable=True, low=0.0, high=100.0),
        Column("source", "str"),
        Column("source_url", "str"),
        Column("table_or_figure", "str", nullable=True),
        Column("notes", "str", nullable=True),
    ),
    key=("key",),
)


def load_sampling_counts(path: str | Path) -> pd.DataFrame:
    """Per-problem repeated-sampling results: how many of ``n_samples`` were correct.

    Parameters
    ----------
    path : str or Path
        CSV with columns ``model``, ``problem_idx``, ``n_samples``, ``n_correct`` and
        optionally ``benchmark`` (the format of Brown et al. 2024's per-problem results, e.g.
        7 Pythia models x 128 MATH problems x 10,000 samples).

    Returns
    -------
    pandas.DataFrame
        Counts as int64, one row per (model, benchmark, problem).

    Raises
    ------
    DataValidationError
        Listing missing columns, non-integer or negative counts, problems with zero samples,
        ``n_correct > n_samples`` and duplicated problems.
    """
    return _load(path, None, SAMPLING_COUNTS_SCHEMA)


def load_reasoning_tokens(path: str | Path | None = None) -> pd.DataFrame:
    """Output tokens per task of reasoning and non-reasoning models (with sources).

    Parameters
    ----------
    path : str or Path, optional
        A CSV in the same schema; the bundled ``data/reasoning_tokens.csv`` when omitted.

    Returns
    -------
    pandas.DataFrame
        One row per (model, task, source): output and input tokens per task.
    """
    return _load(path, "reasoning_tokens.csv", REASONING_TOKENS_SCHEMA)


def load_test_time_results(path: str | Path | None = None) -> pd.DataFrame:
    """Published headline results of spending more inference compute, indexed by ``key``.

    Parameters
    ----------
    path : str or Path, optional
        A CSV in the same schema; the bundled ``data/test_time_results.csv`` when omitted.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``key``: model, benchmark, method, samples and the single and
        scaled scores (%), with sources.
    """
    return _load(path, "test_time_results.csv", TEST_TIME_RESULTS_SCHEMA).set_index(
        "key", drop=False
    )
