"""Rebuild ``data/traffic_minute_counts.csv`` and ``traffic_lengths.csv`` from the Azure traces.

Source: Microsoft's Azure LLM inference traces (CC BY 4.0), github.com/Azure/AzurePublicDataset:

- 2023 (Splitwise, ISCA 2024), commit b469a113cedca53ddc3bdea71a143dc4b7d8700c, files
  ``data/AzureLLMInferenceTrace_code.csv`` and ``data/AzureLLMInferenceTrace_conv.csv``;
- 2024 (DynamoLLM, HPCA 2025), one week each, ``AzureLLMInferenceTrace_code_1week.csv`` and
  ``AzureLLMInferenceTrace_conv_1week.csv`` from azurepublicdatasettraces.blob.core.windows.net
  (not in the git repository; derived too when they are in the folder given).

Every file is ``TIMESTAMP,ContextTokens,GeneratedTokens``, one row per request. The derivation is
deterministic: the same upstream files give the same bytes (data/README.md says the same):

- ``traffic_minute_counts.csv``: one row per calendar minute from the minute of the first request
  to the minute of the last, empty minutes included (``requests`` 0), with the requests, prompt
  tokens and output tokens that arrived in it; ``partial`` marks the first and last minute,
  which the trace's window cuts;
- ``traffic_lengths.csv``: the joint histogram of (prompt, output) lengths over the whole trace
  on the bins of :func:`length_bin_edges` (each whole number up to 16 its own bin, then 8 bins
  per octave), non-empty cells only, with the count of requests in each. A length of 0 (none in
  the 2023 files) is counted in the first bin [1, 2).

Run from the repository root (the folder holds any of the four upstream files)::

    python data/derive/azure_llm_traces.py /path/to/upstream data
"""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

import numpy as np
import pandas as pd

UPSTREAM_COMMIT = "b469a113cedca53ddc3bdea71a143dc4b7d8700c"

TRACES = {
    # trace name: upstream file
    "azure2023_code": "AzureLLMInferenceTrace_code.csv",
    "azure2023_conversation": "AzureLLMInferenceTrace_conv.csv",
    "azure2024_code": "AzureLLMInferenceTrace_code_1week.csv",
    "azure2024_conversation": "AzureLLMInferenceTrace_conv_1week.csv",
}

MINUTE_COLUMNS = [
    "trace", "minute", "minute_start", "requests", "prompt_tokens", "output_tokens", "partial",
]  # fmt: skip
LENGTH_COLUMNS = [
    "trace", "prompt_low", "prompt_high", "output_low", "output_high", "requests",
]  # fmt: skip

EXACT_UP_TO = 16
BINS_PER_OCTAVE = 8
MAX_TOKENS = 1 << 21


def length_bin_edges() -> np.ndarray:
    """Bin edges (tokens, int64): 1, 2, ..., 16, then round(16 * 2**(k/8)) up to 2**21.

    Bin ``i`` holds the lengths in ``[edges[i], edges[i + 1])``.
    """
    k = np.arange(1, BINS_PER_OCTAVE * 17 + 1)
    log_part = np.rint(EXACT_UP_TO * 2.0 ** (k / BINS_PER_OCTAVE)).astype(np.int64)
    edges = np.concatenate([np.arange(1, EXACT_UP_TO + 1), log_part])
    return edges[edges <= MAX_TOKENS]


def read_upstream(path: str | Path) -> pd.DataFrame:
    """One upstream file: ``time`` (naive datetime64; the 2024 files' +00:00 dropped),
    ``prompt_tokens``, ``output_tokens``, sorted by arrival (stable)."""
    raw = pd.read_csv(path, dtype={"TIMESTAMP": str})
    t = pd.to_datetime(raw["TIMESTAMP"], format="mixed")
    if t.dt.tz is not None:
        t = t.dt.tz_convert("UTC").dt.tz_localize(None)
    df = pd.DataFrame({
        "time": t,
        "prompt_tokens": raw["ContextTokens"].to_numpy(np.int64),
        "output_tokens": raw["GeneratedTokens"].to_numpy(np.int64),
    })  # fmt: skip
    return df.sort_values("time", kind="stable").reset_index(drop=True)


def minute_rows(trace: str, df: pd.DataFrame) -> list[list[str]]:
    """Per-minute arrivals and tokens, empty minutes included."""
    minute = df["time"].dt.floor("min")
    first, last = minute.iloc[0], minute.iloc[-1]
    index = ((minute - first) // pd.Timedelta(minutes=1)).to_numpy(np.int64)
    n = int(index[-1]) + 1
    requests = np.bincount(index, minlength=n)
    prompt = np.bincount(index, weights=df["prompt_tokens"].to_numpy(float), minlength=n)
    output = np.bincount(index, weights=df["output_tokens"].to_numpy(float), minlength=n)
    starts = pd.date_range(first, last, freq="min")
    return [
        [trace, str(i), starts[i].strftime("%Y-%m-%d %H:%M"), str(int(requests[i])),
         str(int(prompt[i])), str(int(output[i])), "true" if i in (0, n - 1) else "false"]
        for i in range(n)
    ]  # fmt: skip


def length_rows(trace: str, df: pd.DataFrame) -> list[list[str]]:
    """Non-empty cells of the joint (prompt, output) length histogram, sorted by bin."""
    edges = length_bin_edges()
    p = np.searchsorted(edges, np.maximum(df["prompt_tokens"].to_numpy(), 1), side="right") - 1
    o = np.searchsorted(edges, np.maximum(df["output_tokens"].to_numpy(), 1), side="right") - 1
    if p.max() >= len(edges) - 1 or o.max() >= len(edges) - 1:
        raise ValueError(f"{trace}: a length beyond {edges[-1]} tokens (widen MAX_TOKENS)")
    cells, counts = np.unique(p * len(edges) + o, return_counts=True)
    rows = []
    for cell, count in zip(cells, counts, strict=True):
        i, j = divmod(int(cell), len(edges))
        rows.append([trace, str(edges[i]), str(edges[i + 1]), str(edges[j]), str(edges[j + 1]),
                     str(int(count))])  # fmt: skip
    return rows


def _csv_text(header: list[str], rows: list[list[str]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def derive(upstream: str | Path) -> dict[str, str]:
    """The two files' text, by file name, from a folder holding upstream trace files.

    Parameters
    ----------
    upstream : str or Path
        A folder with any of the files named in :data:`TRACES` (those absent are skipped).

    Returns
    -------
    dict of str to str
        ``{"traffic_minute_counts.csv": ..., "traffic_lengths.csv": ...}``.
    """
    up = Path(upstream)
    minutes, lengths = [], []
    for trace, fname in TRACES.items():
        if (up / fname).is_file():
            df = read_upstream(up / fname)
            minutes += minute_rows(trace, df)
            lengths += length_rows(trace, df)
    if not minutes:
        raise FileNotFoundError(f"none of {sorted(TRACES.values())} in {up}")
    return {
        "traffic_minute_counts.csv": _csv_text(MINUTE_COLUMNS, minutes),
        "traffic_lengths.csv": _csv_text(LENGTH_COLUMNS, lengths),
    }


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[-1].strip(), file=sys.stderr)
        return 2
    out = Path(argv[2])
    for name, text in derive(argv[1]).items():
        (out / name).write_text(text, encoding="utf-8")
        print(f"wrote {out / name}: {text.count(chr(10)) - 1} rows, {len(text)} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
