"""Production traffic: per-minute arrivals and the joint prompt/output lengths of public traces.

The bundled files are compact forms of Microsoft's Azure LLM inference traces (CC BY 4.0),
derived by ``data/derive/azure_llm_traces.py``; :func:`load_azure_llm_trace` reads an upstream
trace file itself (``TIMESTAMP,ContextTokens,GeneratedTokens``) when a user has one.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .validation import Column, Problem, Schema, _load

__all__ = [
    "AZURE_LLM_TRACE_FILES",
    "AZURE_LLM_TRACE_SCHEMA",
    "TRAFFIC_LENGTHS_SCHEMA",
    "TRAFFIC_MINUTE_COUNTS_SCHEMA",
    "load_azure_llm_trace",
    "load_traffic_lengths",
    "load_traffic_minute_counts",
]

AZURE_LLM_TRACE_FILES = {
    "azure2023_code": "AzureLLMInferenceTrace_code.csv",
    "azure2023_conversation": "AzureLLMInferenceTrace_conv.csv",
    "azure2024_code": "AzureLLMInferenceTrace_code_1week.csv",
    "azure2024_conversation": "AzureLLMInferenceTrace_conv_1week.csv",
}
"""The upstream Azure trace files by the trace name the bundled files use."""


def _count(name: str, low: float = 0.0, unit: str = "", description: str = "") -> Column:
    return Column(name, "int", unit, low=low, description=description)


def _groups(df: pd.DataFrame):
    """Row positions of each trace, in file order."""
    for trace, idx in df.groupby("trace", sort=False).indices.items():
        yield trace, np.sort(idx)


def _check_minutes(df: pd.DataFrame, fname: str) -> list[Problem]:
    """Each trace's minutes run 0, 1, 2, ... with start times one minute apart; an empty minute
    holds no tokens; ``partial`` marks exactly the first and last minute."""
    problems = []
    start = pd.to_datetime(df["minute_start"], format="%Y-%m-%d %H:%M", errors="coerce")
    for i in np.flatnonzero(start.isna().to_numpy()):
        problems.append(
            Problem(
                fname,
                int(i) + 2,
                "minute_start",
                f"not a 'YYYY-MM-DD HH:MM' time: {df['minute_start'].iloc[i]!r}",
            )
        )
    minute = df["minute"].to_numpy(float)  # NaN where a cell was bad (reported already)
    requests = df["requests"].to_numpy(float)
    for col in ("prompt_tokens", "output_tokens"):
        for i in np.flatnonzero((requests == 0) & (df[col].to_numpy(float) != 0)):
            problems.append(Problem(fname, int(i) + 2, col, "tokens in a minute with no requests"))
    partial = df["partial"].astype("boolean").fillna(False).to_numpy(bool)
    for trace, idx in _groups(df):
        expected = np.arange(len(idx))
        for k in np.flatnonzero(minute[idx] != expected):
            problems.append(
                Problem(
                    fname,
                    int(idx[k]) + 2,
                    "minute",
                    f"{trace}: minute {minute[idx[k]]:g}, expected {k} "
                    "(consecutive minutes from 0, in order)",
                )
            )
        t = start.iloc[idx]
        should = t.iloc[0] + pd.to_timedelta(expected, unit="min")
        for k in np.flatnonzero(((t.to_numpy() != should.to_numpy()) & t.notna()).to_numpy()):
            problems.append(
                Problem(
                    fname,
                    int(idx[k]) + 2,
                    "minute_start",
                    f"{trace}: not one minute after the previous row",
                )
            )
        ends = np.zeros(len(idx), bool)
        ends[[0, -1]] = True
        for k in np.flatnonzero(partial[idx] != ends):
            problems.append(
                Problem(
                    fname,
                    int(idx[k]) + 2,
                    "partial",
                    "true on the first and last minute of a trace only",
                )
            )
    return problems


TRAFFIC_MINUTE_COUNTS_SCHEMA = Schema(
    name="traffic_minute_counts",
    columns=(
        Column("trace", "str"),
        _count("minute", description="minutes since the trace's first minute"),
        Column("minute_start", "str", description="YYYY-MM-DD HH:MM, as the trace's clock"),
        _count("requests", unit="requests", description="arrivals in the minute"),
        _count("prompt_tokens", unit="tokens", description="sum over the minute's arrivals"),
        _count("output_tokens", unit="tokens", description="sum over the minute's arrivals"),
        Column("partial", "bool", description="the trace's window cuts this minute"),
    ),
    key=("trace", "minute"),
    frame_check=_check_minutes,
)


def load_traffic_minute_counts(path: str | Path | None = None) -> pd.DataFrame:
    """Requests (and prompt and output tokens) arriving in each minute of public traces.

    The bundled file (``data/traffic_minute_counts.csv``) covers the whole of the Azure LLM
    inference traces 2023 (code: 58 minutes, conversation: 60; CC BY 4.0), empty minutes
    included; the derivation script adds the week-long 2024 traces when their files are given.

    Parameters
    ----------
    path : str or Path, optional
        A CSV in the same schema; the bundled file when omitted.

    Returns
    -------
    pandas.DataFrame
        ``trace``, ``minute`` (0, 1, ...), ``minute_start`` (text, the trace's clock),
        ``requests``, ``prompt_tokens``, ``output_tokens`` (sums over the minute) and
        ``partial`` (the first and last minute, which the trace's window cuts).

    Raises
    ------
    DataValidationError
        Listing every bad cell, gap in the minutes and misplaced ``partial`` flag at once.
    """
    return _load(path, "traffic_minute_counts.csv", TRAFFIC_MINUTE_COUNTS_SCHEMA)


def _check_lengths(df: pd.DataFrame, fname: str) -> list[Problem]:
    """Each bin is non-empty (low < high) and a trace's bins do not overlap (a low edge always
    has the same high edge)."""
    problems = []
    for lo, hi in (("prompt_low", "prompt_high"), ("output_low", "output_high")):
        low, high = df[lo].to_numpy(float), df[hi].to_numpy(float)
        for i in np.flatnonzero(high <= low):
            problems.append(
                Problem(fname, int(i) + 2, hi, f"{hi}={high[i]:g} is not above {lo}={low[i]:g}")
            )
        for trace, idx in _groups(df):
            edges = pd.DataFrame({"low": low[idx], "high": high[idx]}).drop_duplicates()
            clash = edges[edges["low"].duplicated(keep=False)]
            for _, row in clash.drop_duplicates("low").iterrows():
                problems.append(
                    Problem(
                        fname,
                        None,
                        hi,
                        f"{trace}: bins starting at {row['low']:g} have several upper edges",
                    )
                )
            starts = np.sort(edges.drop_duplicates("low")["low"].to_numpy())
            ends = edges.drop_duplicates("low").sort_values("low")["high"].to_numpy()
            for k in np.flatnonzero(ends[:-1] > starts[1:]):
                problems.append(
                    Problem(
                        fname,
                        None,
                        hi,
                        f"{trace}: bin [{starts[k]:g}, {ends[k]:g}) overlaps the one "
                        f"from {starts[k + 1]:g}",
                    )
                )
    return problems


TRAFFIC_LENGTHS_SCHEMA = Schema(
    name="traffic_lengths",
    columns=(
        Column("trace", "str"),
        _count("prompt_low", 1.0, "tokens", "lowest prompt length in the bin"),
        _count("prompt_high", 2.0, "tokens", "first prompt length above the bin"),
        _count("output_low", 1.0, "tokens", "lowest output length in the bin"),
        _count("output_high", 2.0, "tokens", "first output length above the bin"),
        _count("requests", 1.0, "requests", "requests of the trace in the cell"),
    ),
    key=("trace", "prompt_low", "output_low"),
    frame_check=_check_lengths,
)


def load_traffic_lengths(path: str | Path | None = None) -> pd.DataFrame:
    """The joint histogram of prompt and output lengths of public traces, whole traces counted.

    The bundled file (``data/traffic_lengths.csv``) counts every request of the Azure LLM
    inference traces 2023 (CC BY 4.0) in cells of a prompt bin by an output bin: each length up
    to 16 tokens is its own bin, then 8 bins per octave (each about 9 % wide). Only non-empty
    cells are listed. :func:`inferecon.trace_lengths` samples from it.

    Parameters
    ----------
    path : str or Path, optional
        A CSV in the same schema; the bundled file when omitted.

    Returns
    -------
    pandas.DataFrame
        ``trace``, ``prompt_low``, ``prompt_high``, ``output_low``, ``output_high`` (tokens;
        a bin holds the lengths in ``[low, high)``) and ``requests`` (the cell's count).

    Raises
    ------
    DataValidationError
        Listing every bad cell, empty bin and overlapping bin at once.
    """
    return _load(path, "traffic_lengths.csv", TRAFFIC_LENGTHS_SCHEMA)


def _check_timestamps(df: pd.DataFrame, fname: str) -> list[Problem]:
    """Every TIMESTAMP is a date and time (with or without a UTC offset)."""
    text = df["TIMESTAMP"].astype(str)
    parsed = pd.to_datetime(text, format="mixed", errors="coerce", utc=True)
    bad = parsed.isna() | ~text.str.match(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d")  # not 'now'
    return [
        Problem(fname, int(i) + 2, "TIMESTAMP",
                f"not a date and time (YYYY-MM-DD HH:MM...): {text.iloc[i]!r}")
        for i in np.flatnonzero(bad.to_numpy())
    ]  # fmt: skip


AZURE_LLM_TRACE_SCHEMA = Schema(
    name="azure_llm_trace",
    columns=(
        Column("TIMESTAMP", "str", description="arrival time (2024 files: +00:00, UTC)"),
        _count("ContextTokens", unit="tokens", description="prompt length"),
        _count("GeneratedTokens", unit="tokens", description="output length"),
    ),
    frame_check=_check_timestamps,
)


def load_azure_llm_trace(path: str | Path) -> pd.DataFrame:
    """An upstream Azure LLM inference trace file, validated, as a request table.

    Reads ``AzureLLMInferenceTrace_{code,conv}.csv`` (2023, one hour each) or
    ``AzureLLMInferenceTrace_{code,conv}_1week.csv`` (2024, a week each; 17 and 27 million rows,
    which take minutes and several GB of memory to validate) from
    github.com/Azure/AzurePublicDataset (CC BY 4.0).

    Parameters
    ----------
    path : str or Path
        The CSV (columns ``TIMESTAMP``, ``ContextTokens``, ``GeneratedTokens``).

    Returns
    -------
    pandas.DataFrame
        One row per request, sorted by arrival (stable): ``timestamp`` (datetime64, naive; the
        2024 files' UTC offset removed), ``arrival_s`` (seconds since the first request),
        ``prompt_tokens`` and ``output_tokens`` (the upstream ``ContextTokens`` and
        ``GeneratedTokens``; 0 is kept).

    Raises
    ------
    DataValidationError
        Listing every missing column, unreadable time and negative or non-integer length at
        once.
    """
    if path is None:
        raise ValueError("path to an Azure LLM inference trace CSV is required")
    raw = _load(path, None, AZURE_LLM_TRACE_SCHEMA)
    # naive times (2023) are read as they stand; the 2024 files' +00:00 is removed
    naive = pd.to_datetime(raw["TIMESTAMP"], format="mixed", utc=True).dt.tz_localize(None)
    df = pd.DataFrame({
        "timestamp": naive,
        "prompt_tokens": raw["ContextTokens"].to_numpy(np.int64),
        "output_tokens": raw["GeneratedTokens"].to_numpy(np.int64),
    }).sort_values("timestamp", kind="stable").reset_index(drop=True)  # fmt: skip
    df.insert(1, "arrival_s", (df["timestamp"] - df["timestamp"].iloc[0]).dt.total_seconds())
    return df
