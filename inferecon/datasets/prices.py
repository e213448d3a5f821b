"""API prices with benchmark scores, published headline rates, and Epoch AI's price format."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from .validation import (
    Column,
    DataValidationError,
    Problem,
    Schema,
    _load,
    _read_text_csv,
    validate_frame,
)

__all__ = [
    "BENCHMARKS",
    "PRICES_SCHEMA",
    "PUBLISHED_RATES_SCHEMA",
    "load_prices",
    "load_published_rates",
    "read_epoch_prices",
]

BENCHMARKS: dict[str, str] = {
    "mmlu": "MMLU (%)",
    "gpqa_diamond": "GPQA Diamond (%)",
    "math_500": "MATH-500 (%)",
    "math_level_5": "MATH level 5 (%)",
    "humaneval": "HumanEval (%)",
    "arena_elo": "Chatbot Arena Elo",
}
"""Benchmark columns of the price data and their display labels."""


_PCT = dict(low=0.0, high=100.0, nullable=True, unit="%")


PRICES_SCHEMA = Schema(
    name="llm_prices",
    columns=(
        Column("model", "str", description="model name as listed"),
        Column("provider", "str", description="API provider"),
        Column("price_date", "date", description="date the price took effect"),
        Column("input_usd_per_mtok", "float", "USD/Mtok", low=0.0, low_open=True),
        Column("output_usd_per_mtok", "float", "USD/Mtok", low=0.0, low_open=True),
        Column("open_weights", "bool", nullable=True),
        Column("reasoning", "bool"),
        Column("mmlu", "float", **_PCT),
        Column("gpqa_diamond", "float", **_PCT),
        Column("math_500", "float", **_PCT),
        Column("math_level_5", "float", **_PCT),
        Column("humaneval", "float", **_PCT),
        Column("arena_elo", "float", "Elo", nullable=True, low=500.0, high=2500.0),
        Column("price_source_url", "str", description="a page or file that states the price"),
        Column(
            "score_source_url",
            "str",
            nullable=True,
            description="source of the MMLU score (else of the first score); empty without scores",
        ),
        Column("notes", "str", nullable=True),
    ),
    key=("model", "price_date"),
    optional=frozenset({"notes", "score_source_url"}),
)


PUBLISHED_RATES_SCHEMA = Schema(
    name="published_rates",
    columns=(
        Column("key", "str"),
        Column("quantity", "str"),
        Column("value", "float", nullable=True),
        Column("low", "float", nullable=True),
        Column("high", "float", nullable=True),
        Column("unit", "str"),
        Column("source", "str"),
        Column("source_url", "str"),
        Column("table_or_figure", "str", nullable=True),
        Column("notes", "str", nullable=True),
    ),
    key=("key",),
)


def load_prices(path: str | Path | None = None) -> pd.DataFrame:
    """LLM API list prices with benchmark scores, validated.

    Parameters
    ----------
    path : str or Path, optional
        A CSV in the same schema (see ``data/README.md``); the bundled
        ``data/llm_prices.csv`` when omitted.

    Returns
    -------
    pandas.DataFrame
        One row per (model, price_date); prices in USD per million tokens, scores in percent
        (``arena_elo`` in Elo points), ``price_date`` as datetime64, flags as nullable booleans.
        Sorted by date, then model.

    Raises
    ------
    DataValidationError
        With every missing column, unparseable date, non-positive or non-numeric price,
        out-of-range score and duplicated (model, price_date) row.
    """
    df = _load(path, "llm_prices.csv", PRICES_SCHEMA)
    return df.sort_values(["price_date", "model"], kind="stable").reset_index(drop=True)


def load_published_rates(path: str | Path | None = None) -> pd.DataFrame:
    """Published headline rates (AI Index, Epoch AI, a16z...) with sources, indexed by ``key``.

    Parameters
    ----------
    path : str or Path, optional
        A CSV in the same schema; the bundled ``data/published_rates.csv`` when omitted.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``key``: ``value`` (with ``low``/``high``), ``unit``, the source,
        its URL and the table or figure.
    """
    return _load(path, "published_rates.csv", PUBLISHED_RATES_SCHEMA).set_index("key", drop=False)


EPOCH_FILES = ("aa_data_with_math5.csv", "epoch_ai_price_data_not_in_aa_with_benchmarks.csv")


_EPOCH_COLUMNS = {
    "Model Name": "model",
    "Release Date": "price_date",
    "USD per 1M Tokens": "usd_per_mtok",
    "MMLU": "mmlu",
    "GPQA Diamond": "gpqa_diamond",
    "HumanEval": "humaneval",
    "MATH-500": "math_500",
    "LMSys Chatbot Arena ELO": "arena_elo",
    "MATH 5": "math_level_5",
}


_EPOCH_REQUIRED = ("Model Name", "Release Date", "USD per 1M Tokens")


REASONING_NAME_PATTERN = re.compile(r"(^o\d)|(\bR1\b)|(QwQ)|(thinking)|(reason)", re.IGNORECASE)
"""Model names treated as reasoning models when a file has no ``reasoning`` column
(OpenAI's o-series, DeepSeek-R1, QwQ, "thinking" variants)."""


def read_epoch_prices(path: str | Path) -> pd.DataFrame:
    """Read Epoch AI's price CSV format into the :func:`load_prices` schema.

    Epoch AI publishes the data behind "LLM inference prices have fallen rapidly but unequally
    across tasks" (2025-03-12; github.com/epoch-research/llm-benchmark-efficiency, ``data/``)
    with columns ``Model Name, Release Date, USD per 1M Tokens, MMLU, GPQA Diamond, HumanEval,
    MATH-500, LMSys Chatbot Arena ELO, MATH 5``.

    Parameters
    ----------
    path : str or Path
        One such CSV, or a folder holding ``aa_data_with_math5.csv`` and
        ``epoch_ai_price_data_not_in_aa_with_benchmarks.csv`` (merged).

    Returns
    -------
    pandas.DataFrame
        The :data:`PRICES_SCHEMA` columns. Epoch publishes only the 3:1 blended price, so
        ``input_usd_per_mtok`` and ``output_usd_per_mtok`` both hold it (any blend then returns
        Epoch's price). ``open_weights`` is unknown (NA); ``reasoning`` is inferred from the
        name (:data:`REASONING_NAME_PATTERN`); ``provider`` is ``"unknown"``.

    Raises
    ------
    DataValidationError
        As :func:`load_prices`, with file names and lines of the Epoch files.
    """
    p = Path(path)
    files = [p / f for f in EPOCH_FILES] if p.is_dir() else [p]
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise FileNotFoundError(f"Epoch price file(s) not found: {', '.join(missing)}")
    problems: list[Problem] = []
    frames = []
    for f in files:
        try:
            raw = _read_text_csv(f)
        except DataValidationError as exc:
            problems.extend(exc.problems)
            continue
        for col in _EPOCH_REQUIRED:
            if col not in raw.columns:
                problems.append(Problem(str(f), None, col, "required column is missing"))
        if any(c not in raw.columns for c in _EPOCH_REQUIRED):
            continue
        conv = pd.DataFrame(index=raw.index)
        conv["model"] = raw["Model Name"]
        conv["provider"] = "unknown"
        conv["price_date"] = raw["Release Date"]
        conv["input_usd_per_mtok"] = raw["USD per 1M Tokens"]
        conv["output_usd_per_mtok"] = raw["USD per 1M Tokens"]
        conv["open_weights"] = ""
        conv["reasoning"] = [
            "true" if REASONING_NAME_PATTERN.search(str(m)) else "false" for m in raw["Model Name"]
        ]
        for src, dst in _EPOCH_COLUMNS.items():
            if dst in BENCHMARKS:
                conv[dst] = raw[src] if src in raw.columns else ""
        conv["price_source_url"] = str(f)
        conv["score_source_url"] = str(f)
        conv["notes"] = "Epoch AI format: blended 3:1 price only"
        try:
            frames.append(validate_frame(conv, PRICES_SCHEMA, str(f)).assign(_file=str(f)))
        except DataValidationError as exc:
            problems.extend(exc.problems)
    if problems:
        raise DataValidationError(problems)
    df = pd.concat(frames, ignore_index=True)
    dup = df.duplicated(["model", "price_date"], keep="first")
    if dup.any():
        raise DataValidationError(
            [
                Problem(
                    r._file,
                    None,
                    "model,price_date",
                    f"duplicate key (model={r.model}, price_date={r.price_date.date()}) "
                    "across files",
                )
                for r in df[dup].itertuples()
            ]
        )
    df = df.drop(columns="_file")
    return df.sort_values(["price_date", "model"], kind="stable").reset_index(drop=True)
