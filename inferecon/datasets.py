"""Load and validate the package's datasets (and users' files in the same schemas).

Every loader reads the CSV as text, checks every row of every column against the dataset's
schema, and raises one :class:`DataValidationError` listing *all* problems (file, line,
column, rule) before anything is returned: a file is loaded whole or not at all.

Files are found in a source checkout (``<repo>/data``) or, in an installed wheel, in the
``inferecon.data`` package (see ``pyproject.toml``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = [
    "BENCHMARKS",
    "Column",
    "DataValidationError",
    "Problem",
    "Schema",
    "PRICES_SCHEMA",
    "PUBLISHED_RATES_SCHEMA",
    "data_path",
    "load_prices",
    "load_published_rates",
    "load_sampling_counts",
    "load_reasoning_tokens",
    "load_test_time_results",
    "SAMPLING_COUNTS_SCHEMA",
    "read_epoch_prices",
    "validate_frame",
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


# --------------------------------------------------------------------------- errors


@dataclass(frozen=True)
class Problem:
    """One validation failure: where (file, line, column) and which rule."""

    file: str
    line: int | None
    column: str | None
    rule: str

    def __str__(self) -> str:
        where = [self.file]
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        return f"{', '.join(where)}: {self.rule}"


class DataValidationError(ValueError):
    """A data file broke its schema. ``problems`` lists every failure found."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        files = sorted({p.file for p in self.problems})
        head = f"{len(self.problems)} problem(s) in {', '.join(files)}:"
        super().__init__("\n".join([head, *(f"  - {p}" for p in self.problems)]))


# --------------------------------------------------------------------------- schema


@dataclass(frozen=True)
class Column:
    """One column's rule.

    ``kind`` is ``"str"``, ``"float"``, ``"date"`` or ``"bool"``. ``low``/``high`` bound floats
    (``low_open`` makes the lower bound strict). ``nullable`` allows empty cells.
    """

    name: str
    kind: str
    unit: str = ""
    nullable: bool = False
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    description: str = ""


@dataclass(frozen=True)
class Schema:
    """A dataset's columns and its key (the columns whose values must be unique together)."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    optional: frozenset[str] = field(default_factory=frozenset)
    row_checks: tuple[tuple[str, str], ...] = ()
    """Pairs (a, b) meaning column a must be <= column b on every row."""

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]


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
        Column("source_url", "str"),
        Column("notes", "str", nullable=True),
    ),
    key=("model", "price_date"),
    optional=frozenset({"notes"}),
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

_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f"}
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _check_column(col: Column, raw: pd.Series, fname: str, problems: list[Problem]):
    """Parse one text column, appending a Problem for each bad cell; return parsed values."""
    text = raw.fillna("").astype(str).str.strip()
    empty = text == ""
    lines = raw.index.to_numpy() + 2  # header is line 1

    def bad(mask, rule_for):
        for i in np.flatnonzero(mask):
            problems.append(Problem(fname, int(lines[i]), col.name, rule_for(text.iloc[i])))

    if not col.nullable:
        bad(empty.to_numpy(), lambda v: "empty value in a required column")

    if col.kind == "str":
        return text.where(~empty, None if col.nullable else "")
    if col.kind == "int":
        vals = _check_column(
            Column(col.name, "float", col.unit, col.nullable, col.low, col.high, col.low_open),
            raw,
            fname,
            problems,
        ).to_numpy(float)
        with np.errstate(invalid="ignore"):
            frac = np.isfinite(vals) & (vals != np.round(vals))
        bad(frac, lambda v: f"not an integer: {v!r}")
        return pd.Series(vals, index=raw.index, dtype=float)
    if col.kind == "float":
        num = pd.to_numeric(text.where(~empty), errors="coerce")
        nonnum = (~empty & num.isna()).to_numpy()
        bad(nonnum, lambda v: f"not a number: {v!r}")
        vals = num.to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            finite = np.isfinite(vals)
            nonfinite = ~empty.to_numpy() & ~nonnum & ~finite
            bad(nonfinite, lambda v: f"not a finite number: {v!r}")
            lo_b = "(" if col.low_open else "["
            lo_v = -np.inf if col.low is None else col.low
            hi_v = np.inf if col.high is None else col.high
            hi_b = ")" if col.high is None else "]"
            rng = f"{lo_b}{lo_v:g}, {hi_v:g}{hi_b}"
            out_of_range = np.zeros(len(vals), dtype=bool)
            if col.low is not None:
                out_of_range |= finite & ((vals <= col.low) if col.low_open else (vals < col.low))
            if col.high is not None:
                out_of_range |= finite & (vals > col.high)
            bad(out_of_range, lambda v: f"value {v} outside the valid range {rng}")
        return pd.Series(vals, index=raw.index, dtype=float)
    if col.kind == "date":
        shape_ok = text.str.match(_DATE_RE)
        parsed = pd.to_datetime(text.where(~empty & shape_ok), format="%Y-%m-%d", errors="coerce")
        unparsable = (~empty & parsed.isna()).to_numpy()
        bad(unparsable, lambda v: f"unparseable date {v!r} (expected YYYY-MM-DD)")
        return parsed
    if col.kind == "bool":
        low = text.str.lower()
        is_t, is_f = low.isin(_TRUE), low.isin(_FALSE)
        bad((~empty & ~is_t & ~is_f).to_numpy(), lambda v: f"not a boolean: {v!r} (true/false)")
        out = pd.array(
            [True if t else (False if f else pd.NA) for t, f in zip(is_t, is_f, strict=True)],
            dtype="boolean",
        )
        return pd.Series(out, index=raw.index)
    raise AssertionError(f"unknown column kind {col.kind!r}")


def validate_frame(raw: pd.DataFrame, schema: Schema, fname: str) -> pd.DataFrame:
    """Validate a text DataFrame against ``schema``; return the typed frame or raise.

    Parameters
    ----------
    raw : pandas.DataFrame
        Cells as strings (as read with ``dtype=str, keep_default_na=False``).
    schema : Schema
        The dataset's rules.
    fname : str
        File name used in error messages.

    Raises
    ------
    DataValidationError
        Listing every missing column, bad cell and duplicated key.
    """
    problems: list[Problem] = []
    raw = raw.copy()
    for c in schema.columns:
        if c.name not in raw.columns:
            if c.name in schema.optional:
                raw[c.name] = ""
            else:
                problems.append(Problem(fname, None, c.name, "required column is missing"))
    out = {}
    for c in schema.columns:
        if c.name in raw.columns:
            out[c.name] = _check_column(c, raw[c.name], fname, problems)
    for lo_col, hi_col in schema.row_checks:
        if lo_col in out and hi_col in out:
            lo_v, hi_v = out[lo_col].to_numpy(float), out[hi_col].to_numpy(float)
            with np.errstate(invalid="ignore"):
                broken = lo_v > hi_v
            for i in np.flatnonzero(broken):
                problems.append(
                    Problem(
                        fname,
                        int(i) + 2,
                        lo_col,
                        f"{lo_col}={lo_v[i]:g} exceeds {hi_col}={hi_v[i]:g}",
                    )
                )
    if schema.key and all(k in out for k in schema.key):
        keyframe = pd.DataFrame({k: out[k] for k in schema.key})
        dup = keyframe.duplicated(keep="first").to_numpy()
        codes = ["\x1f".join(map(str, row)) for row in keyframe.itertuples(index=False)]
        for i in np.flatnonzero(dup):
            vals = ", ".join(f"{k}={raw[k].iloc[i]!s}" for k in schema.key)
            first = codes.index(codes[i])
            problems.append(
                Problem(
                    fname,
                    int(i) + 2,
                    ",".join(schema.key),
                    f"duplicate key ({vals}); first seen on line {first + 2}",
                )
            )
    if problems:
        problems.sort(key=lambda p: (p.file, -1 if p.line is None else p.line, p.column or ""))
        raise DataValidationError(problems)
    extra = [c for c in raw.columns if c not in schema.names]
    frame = pd.DataFrame({c.name: out[c.name] for c in schema.columns}, index=raw.index)
    for c in extra:
        frame[c] = raw[c]
    return frame.reset_index(drop=True)


def _read_text_csv(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False)
    except FileNotFoundError:
        raise
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise DataValidationError(
            [Problem(str(path), None, None, f"not a readable CSV: {exc}")]
        ) from exc


# --------------------------------------------------------------------------- locating files


def data_path(name: str) -> Path:
    """Path of a bundled data file, from a source checkout or an installed wheel."""
    here = Path(__file__).resolve().parent.parent / "data" / name
    if here.is_file():
        return here
    res = resources.files("inferecon.data").joinpath(name)
    with resources.as_file(res) as p:
        if Path(p).is_file():
            return Path(p)
    raise FileNotFoundError(
        f"bundled data file {name!r} not found (looked in {here.parent} and inferecon.data)"
    )


def _load(path, default: str, schema: Schema) -> pd.DataFrame:
    p = data_path(default) if path is None else Path(path)
    raw = _read_text_csv(p)
    return validate_frame(raw, schema, p.name if path is None else str(p))


# --------------------------------------------------------------------------- public loaders


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
    """Published headline rates (AI Index, Epoch AI, a16z...) with sources, indexed by ``key``."""
    return _load(path, "published_rates.csv", PUBLISHED_RATES_SCHEMA).set_index("key", drop=False)


def load_reasoning_tokens(path: str | Path | None = None) -> pd.DataFrame:
    """Output tokens per task of reasoning and non-reasoning models (with sources)."""
    return _load(path, "reasoning_tokens.csv", REASONING_TOKENS_SCHEMA)


def load_test_time_results(path: str | Path | None = None) -> pd.DataFrame:
    """Published headline results of spending more inference compute, indexed by ``key``."""
    return _load(path, "test_time_results.csv", TEST_TIME_RESULTS_SCHEMA).set_index(
        "key", drop=False
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
    df = _load(path, "", SAMPLING_COUNTS_SCHEMA)
    for c in ("n_samples", "n_correct"):
        df[c] = df[c].astype("int64")
    return df


# --------------------------------------------------------------------------- Epoch AI's format

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
        conv["source_url"] = str(f)
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
