"""Load and validate the package's datasets (and users' files in the same schemas).

Every loader reads the CSV as text, checks every row of every column against the dataset's
schema, and raises one :class:`DataValidationError` listing *all* problems (file, line,
column, rule) before anything is returned: a file is loaded whole or not at all.

Files are found in a source checkout (``<repo>/data``) or, in an installed wheel, in the
``inferecon.data`` package (see ``pyproject.toml``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
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
    "GPUS_SCHEMA",
    "MODELS_SCHEMA",
    "DECODE_MEASUREMENTS_SCHEMA",
    "PUBLISHED_THROUGHPUT_SCHEMA",
    "load_gpus",
    "load_models",
    "load_decode_measurements",
    "load_published_throughput",
    "load_measured_ceilings",
    "load_training_runs",
    "read_epoch_chinchilla",
    "TRAINING_RUNS_SCHEMA",
    "load_scaling_laws",
    "load_notable_models",
    "load_post_training",
    "SCALING_LAWS_SCHEMA",
    "NOTABLE_MODELS_SCHEMA",
    "POST_TRAINING_SCHEMA",
    "MEASURED_CEILINGS_SCHEMA",
    "read_epoch_prices",
    "validate_frame",
    "REQUEST_TRACE_SCHEMA",
    "load_request_trace",
    "PUBLISHED_SERVING_SWEEPS_SCHEMA",
    "REQUEST_LENGTHS_SCHEMA",
    "load_published_serving_sweeps",
    "load_request_lengths",
    "CHINCHILLA_POINTS_SCHEMA",
    "SARDANA_RUNS_SCHEMA",
    "load_chinchilla_points",
    "load_sardana_runs",
    "REASONING_TOKENS_SCHEMA",
    "TEST_TIME_RESULTS_SCHEMA",
    "Dataset",
    "DATASETS",
    "BUNDLED_FILES",
    "dataset_for_file",
    "ACCELERATORS_SCHEMA",
    "FACTORY_ASSUMPTIONS_SCHEMA",
    "load_accelerators",
    "load_factory_assumptions",
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

    ``kind`` is ``"str"``, ``"float"``, ``"int"``, ``"date"`` or ``"bool"``. ``low``/``high``
    bound numbers (``low_open`` makes the lower bound strict). ``nullable`` allows empty cells.
    ``choices`` restricts a text column to a set of values (compared after lower-casing when
    ``lowercase`` is set, which also lower-cases the returned values).
    """

    name: str
    kind: str
    unit: str = ""
    nullable: bool = False
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    description: str = ""
    choices: tuple[str, ...] | None = None
    lowercase: bool = False


@dataclass(frozen=True)
class Schema:
    """A dataset's columns and its key (the columns whose values must be unique together)."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    optional: frozenset[str] = field(default_factory=frozenset)
    row_checks: tuple[tuple[str, str], ...] = ()
    """Pairs (a, b) meaning column a must be <= column b on every row."""
    frame_check: Callable[[pd.DataFrame, str], list[Problem]] | None = None
    """Rules across rows (e.g. every law has its form's parameters), run on the parsed columns;
    its problems are reported together with the cell problems."""

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


def _nonneg(name, unit="", **kw):
    return Column(name, "float", unit, low=0.0, **kw)


def _pos(name, unit="", **kw):
    return Column(name, "float", unit, low=0.0, low_open=True, **kw)


GPUS_SCHEMA = Schema(
    name="gpus",
    columns=(
        Column("name", "str", description="accelerator name, matched case-insensitively"),
        Column("vendor", "str"),
        _pos("memory_gb", "GB"),
        _pos("hbm_tb_s", "TB/s"),
        _pos("bf16_dense_tflops", "TFLOP/s"),
        _pos("fp8_dense_tflops", "TFLOP/s", nullable=True),
        _pos("fp4_dense_tflops", "TFLOP/s", nullable=True),
        _pos("tdp_w", "W"),
        _nonneg("idle_w", "W"),
        Column("n_sm", "int", "SMs", nullable=True, low=1.0),
        Column("interconnect", "str", nullable=True),
        _pos("interconnect_gb_s", "GB/s", nullable=True),
        Column("release_year", "int", "year", low=2010.0, high=2035.0),
        _pos("usd_per_hour_low", "USD/GPU-hour", nullable=True),
        _pos("usd_per_hour_high", "USD/GPU-hour", nullable=True),
        Column("price_date", "date", nullable=True),
        Column("source_url", "str"),
        Column("notes", "str", nullable=True),
    ),
    key=("name",),
    optional=frozenset({"notes", "n_sm"}),
    row_checks=(("idle_w", "tdp_w"), ("usd_per_hour_low", "usd_per_hour_high")),
)

_PRECISIONS = ("bf16", "fp8", "fp4")
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

_LAW_PARAMETERS = {
    "chinchilla": {"E", "A", "B", "alpha", "beta"},
    "kaplan": {"alpha_N", "N_c", "alpha_D", "D_c"},
    "exponents": {"a", "b"},
}
"""Parameters each functional form of a scaling law needs."""


def _check_laws(df: pd.DataFrame, fname: str) -> list[Problem]:
    """Every law uses one form and has that form's parameters."""
    problems = []
    for law, g in df.groupby("law", sort=False):
        forms = set(g["form"]) & set(_LAW_PARAMETERS)
        if len(set(g["form"])) != 1:
            problems.append(Problem(fname, None, "form", f"law {law!r} mixes forms {forms}"))
            continue
        if not forms:
            continue  # the unknown form is already reported cell by cell
        missing = _LAW_PARAMETERS[forms.pop()] - set(g["parameter"])
        if missing:
            problems.append(
                Problem(fname, None, "parameter", f"law {law!r} lacks {sorted(missing)}")
            )
    return problems


SCALING_LAWS_SCHEMA = Schema(
    name="scaling_laws",
    columns=(
        Column("law", "str", description="law id"),
        Column("form", "str", choices=("chinchilla", "kaplan", "exponents")),
        Column("parameter", "str"),
        Column("value", "float", low=0.0, low_open=True),
        Column("unit", "str"),
        Column("source", "str"),
        Column("source_url", "str"),
        Column("location", "str"),
        Column("notes", "str", nullable=True),
    ),
    key=("law", "parameter"),
    optional=frozenset({"notes"}),
    frame_check=_check_laws,
)

NOTABLE_MODELS_SCHEMA = Schema(
    name="notable_models",
    columns=(
        Column("name", "str"),
        Column("organisation", "str"),
        Column("release_date", "date"),
        _pos("params", "parameters"),
        _pos("training_tokens", "tokens"),
        _pos("training_flop", "FLOP"),
        Column("flop_method", "str", choices=("reported", "6ND")),
        Column("open_weights", "bool"),
        Column("source", "str"),
        Column("source_url", "str"),
        Column("notes", "str", nullable=True),
    ),
    key=("name",),
    optional=frozenset({"notes"}),
)

POST_TRAINING_SCHEMA = Schema(
    name="post_training",
    columns=(
        Column("model", "str"),
        _pos("pretraining_amount", "see unit"),
        _pos("post_training_amount", "see unit"),
        Column("unit", "str"),
        _pos("post_training_fraction", "fraction"),
        Column("what", "str"),
        Column("source", "str"),
        Column("source_url", "str"),
        Column("location", "str"),
        Column("notes", "str", nullable=True),
    ),
    key=("model", "what"),
    optional=frozenset({"notes"}),
    row_checks=(("post_training_amount", "pretraining_amount"),),
)

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
        if col.lowercase:
            text = text.str.lower()
        if col.choices is not None:
            allowed = set(col.choices)
            bad(
                (~empty & ~text.isin(allowed)).to_numpy(),
                lambda v: f"{v!r} is not one of {sorted(allowed)}",
            )
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

    Returns
    -------
    pandas.DataFrame
        The schema's columns, typed (floats, int64 or nullable Int64, datetimes, booleans,
        strings), then any extra columns as given.

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
    if schema.frame_check is not None and len(out) == len(schema.columns):
        problems += schema.frame_check(pd.DataFrame(out, index=raw.index), fname)
    if problems:
        problems.sort(key=lambda p: (p.file, -1 if p.line is None else p.line, p.column or ""))
        raise DataValidationError(problems)
    extra = [c for c in raw.columns if c not in schema.names]
    frame = pd.DataFrame({c.name: out[c.name] for c in schema.columns}, index=raw.index)
    for c in schema.columns:
        if c.kind == "int":  # whole numbers: int64, or nullable Int64 where cells may be empty
            frame[c.name] = frame[c.name].astype("Int64" if c.nullable else "int64")
    for c in extra:
        frame[c] = raw[c]
    return frame.reset_index(drop=True)


def _read_text_csv(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise DataValidationError(
            [Problem(str(path), None, None, f"not a readable CSV: {exc}")]
        ) from exc


# --------------------------------------------------------------------------- locating files


def data_path(name: str) -> Path:
    """Path of a bundled data file, from a source checkout or an installed wheel.

    Parameters
    ----------
    name : str
        File name in ``data/`` (e.g. ``"gpus.csv"``).

    Returns
    -------
    pathlib.Path

    Raises
    ------
    FileNotFoundError
        When neither the checkout nor the installed package has it.
    """
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


def _load(path: str | Path | None, default: str | None, schema: Schema) -> pd.DataFrame:
    """Read ``path`` (or the bundled ``default`` file when ``path`` is None) and validate it.

    Problems name the bundled file by its name and a user's file by the path given. A path that
    does not exist raises ``FileNotFoundError``; there is no silent fallback to bundled data.
    """
    if path is None:
        if default is None:
            raise ValueError(f"a path to a {schema.name} CSV is required")
        p, fname = data_path(default), default
    else:
        p = Path(path)
        fname = str(p)
        if not p.is_file():
            raise FileNotFoundError(f"{schema.name} file not found: {p}")
    return validate_frame(_read_text_csv(p), schema, fname)


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


def load_gpus(path: str | Path | None = None) -> pd.DataFrame:
    """Accelerator specifications (dense TFLOP/s, HBM bandwidth, power, rental price), by ``name``.

    Parameters
    ----------
    path : str or Path, optional
        A CSV in the schema of ``data/gpus.csv``; the bundled file when omitted.

    Returns
    -------
    pandas.DataFrame
        One row per accelerator; units in the column names (GB, TB/s, TFLOP/s, W, USD/GPU-hour).
        TFLOP/s are dense figures (datasheets print 2:4-sparse numbers, twice as large).
    """
    return _load(path, "gpus.csv", GPUS_SCHEMA)


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


def load_scaling_laws(path: str | Path | None = None) -> pd.DataFrame:
    """Published scaling-law parameter sets, one row per (law, parameter), with sources.

    ``form`` says which functional form the parameters belong to: ``chinchilla``
    (E + A/N^alpha + B/D^beta), ``kaplan`` (Kaplan et al. 2020, Eq. 1.5) or ``exponents``
    (only the allocation exponents a, b).

    Parameters
    ----------
    path : str or Path, optional
        A CSV in the same schema; the bundled ``data/scaling_laws.csv`` when omitted.

    Returns
    -------
    pandas.DataFrame
        One row per (law, parameter): ``form``, ``value``, ``unit`` and the source
        with its location (table, equation).
    """
    return _load(path, "scaling_laws.csv", SCALING_LAWS_SCHEMA)


def load_notable_models(path: str | Path | None = None) -> pd.DataFrame:
    """Parameters, training tokens and training FLOPs of notable models, with sources.

    For MoE models ``params`` is the *active* count (what 6ND uses); ``flop_method`` says
    whether ``training_flop`` is the developer's reported figure or 6ND.

    Parameters
    ----------
    path : str or Path, optional
        A CSV in the same schema; the bundled ``data/notable_models.csv`` when omitted.

    Returns
    -------
    pandas.DataFrame
        One row per model: ``params``, ``training_tokens``, ``training_flop`` (FLOP),
        ``flop_method`` and the source.
    """
    return _load(path, "notable_models.csv", NOTABLE_MODELS_SCHEMA)


def load_post_training(path: str | Path | None = None) -> pd.DataFrame:
    """Published post-training (fine-tuning, RLHF, RL) compute as a fraction of pre-training.

    Parameters
    ----------
    path : str or Path, optional
        A CSV in the same schema; the bundled ``data/post_training.csv`` when omitted.

    Returns
    -------
    pandas.DataFrame
        One row per (model, what): pre- and post-training amounts in the row's
        ``unit``, their ratio ``post_training_fraction`` and the source.
    """
    return _load(path, "post_training.csv", POST_TRAINING_SCHEMA)


def _check_runs(df: pd.DataFrame, fname: str) -> list[Problem]:
    """Every run gives its tokens or its FLOPs."""
    missing = df["n_tokens"].isna() & df["training_flop"].isna()
    return [
        Problem(fname, int(i) + 2, "n_tokens", "neither n_tokens nor training_flop given")
        for i in np.flatnonzero(missing.to_numpy())
    ]


TRAINING_RUNS_SCHEMA = Schema(
    name="training_runs",
    columns=(
        _pos("n_params", "parameters"),
        _pos("n_tokens", "tokens", nullable=True),
        _pos("training_flop", "FLOP", nullable=True),
        _pos("loss", "nats/token"),
    ),
    optional=frozenset({"n_tokens", "training_flop"}),
    frame_check=_check_runs,
)


def load_training_runs(path: str | Path) -> pd.DataFrame:
    """Your own training runs, ``(n_params, n_tokens, loss)``, to fit a scaling law to.

    Parameters
    ----------
    path : str or Path
        CSV with columns ``n_params``, ``loss`` (nats/token) and either ``n_tokens`` or
        ``training_flop`` (then ``n_tokens = training_flop / (6 n_params)``).

    Returns
    -------
    pandas.DataFrame
        ``n_params``, ``n_tokens`` and ``loss`` (nats/token), one row per run.

    Raises
    ------
    DataValidationError
        Listing non-positive or non-numeric cells and rows with neither tokens nor FLOPs.
    """
    df = _load(path, None, TRAINING_RUNS_SCHEMA)
    df["n_tokens"] = df["n_tokens"].fillna(df["training_flop"] / (6.0 * df["n_params"]))
    return df[["n_params", "n_tokens", "loss"]]


def read_epoch_chinchilla(path: str | Path, drop_highest: int = 5) -> pd.DataFrame:
    """Epoch AI's points extracted from Chinchilla's Figure 4, as training runs.

    Reads ``svg_extracted_data.csv`` of github.com/epoch-research/analyzing-chinchilla (columns
    ``Model Size``, ``Training FLOP``, ``loss``), derives ``n_tokens = C / (6 N)`` and drops the
    ``drop_highest`` highest losses, as Besiroglu et al. (2024) do (5 in their main fit).

    Parameters
    ----------
    path : str or Path
        Epoch's ``svg_extracted_data.csv``.
    drop_highest : int
        Highest-loss points to drop.

    Returns
    -------
    pandas.DataFrame
        ``n_params``, ``n_tokens`` and ``loss`` (nats/token), sorted by loss.
    """
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"Epoch Chinchilla file not found: {p}")
    raw = _read_text_csv(p)
    raw = raw.rename(
        columns={"Model Size": "n_params", "Training FLOP": "training_flop", "loss": "loss"}
    )
    df = validate_frame(raw, TRAINING_RUNS_SCHEMA, str(p))
    df["n_tokens"] = df["training_flop"] / (6.0 * df["n_params"])
    df = df.sort_values("loss", kind="stable")
    if drop_highest:
        df = df.iloc[: len(df) - int(drop_highest)]
    return df[["n_params", "n_tokens", "loss"]].reset_index(drop=True)


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


# --------------------------------------------------------------------------- training runs

_CHINCHILLA_FLOP_RTOL = 1e-6
"""``C = 6 N D`` must hold to this relative tolerance in the Chinchilla points. Upstream derived
``D = C / (6 N)`` and rounded it to a whole token; the largest relative gap in the file is 7e-9."""


def _check_chinchilla_points(df: pd.DataFrame, fname: str) -> list[Problem]:
    """Every point's compute agrees with ``6 N D`` (the file derives D from C)."""
    six_nd = 6.0 * df["N"].to_numpy(float) * df["D"].to_numpy(float)
    c = df["C"].to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        gap = np.abs(c / six_nd - 1.0)
    return [
        Problem(
            fname,
            int(i) + 2,
            "C",
            f"C={c[i]:.6g} differs from 6*N*D={six_nd[i]:.6g} "
            f"by more than {_CHINCHILLA_FLOP_RTOL:g} (relative)",
        )
        for i in np.flatnonzero(gap > _CHINCHILLA_FLOP_RTOL)
    ]


CHINCHILLA_POINTS_SCHEMA = Schema(
    name="chinchilla_points",
    columns=(
        _pos("C", "FLOP", description="training compute read off Hoffmann et al. Fig. 4"),
        Column("N", "int", "parameters", low=1.0, description="model size"),
        Column("D", "int", "tokens", low=1.0, description="training tokens, C / (6 N)"),
        _pos("loss", "nats/token", description="final training loss (read off the colour bar)"),
    ),
    key=("N", "D"),
    frame_check=_check_chinchilla_points,
)
"""Schema of ``data/chinchilla_points.csv``: the upstream columns of ``examples/llm/df.csv`` in
github.com/kyo-takano/chinchilla (Apache-2.0), unchanged."""


_SARDANA_TOKENS_RTOL = 1e-9
"""``Tokens = Parameters * Tokens/Params`` to this relative tolerance (exact upstream)."""


def _check_sardana_runs(df: pd.DataFrame, fname: str) -> list[Problem]:
    """Every run's token count is its size times its tokens per parameter."""
    want = df["Parameters"].to_numpy(float) * df["Tokens/Params"].to_numpy(float)
    got = df["Tokens"].to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        gap = np.abs(got / want - 1.0)
    return [
        Problem(
            fname,
            int(i) + 2,
            "Tokens",
            f"Tokens={got[i]:.6g} is not Parameters * Tokens/Params = {want[i]:.6g}",
        )
        for i in np.flatnonzero(gap > _SARDANA_TOKENS_RTOL)
    ]


_GAUNTLET = (
    "world_knowledge",
    "reading_comprehension",
    "language_understanding",
    "commonsense_reasoning",
    "symbolic_problem_solving",
    "core_average",
)
SARDANA_RUNS_SCHEMA = Schema(
    name="sardana_runs",
    columns=(
        Column("Model Name", "str", description="nominal size, e.g. 150M, 1.3B"),
        Column("Parameters", "int", "parameters", low=1.0),
        _pos("Tokens/Params", "tokens/parameter"),
        Column("Tokens", "int", "tokens", low=1.0),
        Column("Batch Size", "int", "sequences", low=1.0),
        _pos("Smoothed Loss", "nats/token", description="final training loss, smoothed"),
        *(
            Column(f"eval_gauntlet/{g}", "float", "fraction", nullable=True, high=1.0)
            for g in _GAUNTLET
        ),
        Column("mmlu_5_shot_avg", "float", "fraction", nullable=True, low=0.0, high=1.0),
    ),
    key=("Parameters", "Tokens/Params"),
    optional=frozenset({*(f"eval_gauntlet/{g}" for g in _GAUNTLET), "mmlu_5_shot_avg"}),
    frame_check=_check_sardana_runs,
)
"""Schema of ``data/sardana_runs.csv``: the upstream columns of ``trainingresults.csv`` in
github.com/nikhilsardana/beyond-chinchilla (Apache-2.0), unchanged."""


def load_chinchilla_points(path: str | Path | None = None) -> pd.DataFrame:
    """Epoch AI's points from Chinchilla's Figure 4, as shipped with the ``chinchilla`` package.

    234 (compute, size, tokens, loss) points: the rows of Epoch AI's extraction from Hoffmann et
    al. (2022) Figure 4 (Besiroglu et al. 2024, github.com/epoch-research/analyzing-chinchilla)
    with ``N < D``, as distributed in ``examples/llm/df.csv`` of github.com/kyo-takano/chinchilla
    @ 75e5858 under Apache-2.0 (see ``data/README.md`` and ``data/LICENSES/``). None of Epoch's
    five highest-loss points, which Epoch drops from its main fit, is among them.

    Parameters
    ----------
    path : str or Path, optional
        A CSV with the same columns ``C, N, D, loss``; the bundled ``data/chinchilla_points.csv``
        when omitted.

    Returns
    -------
    pandas.DataFrame
        ``n_params`` (parameters, float), ``n_tokens`` (training tokens, float), ``loss``
        (final training loss, nats/token), ``training_flop`` (FLOP, float; = upstream ``C``),
        then the upstream columns ``C`` (FLOP), ``N`` (parameters, int64), ``D`` (tokens,
        int64). One row per point, in the file's order.

    Raises
    ------
    FileNotFoundError
        When ``path`` does not exist (there is no fallback to the bundled file).
    DataValidationError
        Listing every missing column, non-positive or non-numeric cell, duplicated (N, D) pair
        and row whose ``C`` differs from ``6 N D`` by more than 1e-6 (relative).
    """
    raw = _load(path, "chinchilla_points.csv", CHINCHILLA_POINTS_SCHEMA)
    out = pd.DataFrame(
        {
            "n_params": raw["N"].astype(float),
            "n_tokens": raw["D"].astype(float),
            "loss": raw["loss"].astype(float),
            "training_flop": raw["C"].astype(float),
        }
    )
    return pd.concat([out, raw.drop(columns="loss")], axis=1)


def load_sardana_runs(path: str | Path | None = None) -> pd.DataFrame:
    """Sardana et al. (2024)'s 47 training runs: final loss and downstream scores.

    MPT-style models of 150M to 6B parameters trained on 10 to 10,000 tokens per parameter
    (Sardana, Portes, Doubov & Frankle, "Beyond Chinchilla-Optimal", ICML 2024,
    arXiv:2401.00448), from ``trainingresults.csv`` of github.com/nikhilsardana/beyond-chinchilla
    @ 190f70e under Apache-2.0 (see ``data/README.md`` and ``data/LICENSES/``).

    Parameters
    ----------
    path : str or Path, optional
        A CSV in the same format; the bundled ``data/sardana_runs.csv`` when omitted. The
        ``eval_gauntlet/*`` and ``mmlu_5_shot_avg`` columns may be absent.

    Returns
    -------
    pandas.DataFrame
        ``n_params`` (parameters, float; = ``Parameters``), ``n_tokens`` (training tokens,
        float; = ``Tokens``), ``loss`` (smoothed final training loss, nats/token; =
        ``Smoothed Loss``), ``tokens_per_param`` (= ``Tokens/Params``), ``training_flop``
        (6 N D, FLOP), then every upstream column unchanged (``Parameters``, ``Tokens``,
        ``Batch Size`` as int64; downstream scores as fractions 0-1).

    Raises
    ------
    FileNotFoundError
        When ``path`` does not exist (there is no fallback to the bundled file).
    DataValidationError
        Listing every missing column, bad cell, duplicated (Parameters, Tokens/Params) pair and
        row whose ``Tokens`` is not ``Parameters * Tokens/Params``.
    """
    raw = _load(path, "sardana_runs.csv", SARDANA_RUNS_SCHEMA)
    n = raw["Parameters"].astype(float)
    d = raw["Tokens"].astype(float)
    out = pd.DataFrame(
        {
            "n_params": n,
            "n_tokens": d,
            "loss": raw["Smoothed Loss"].astype(float),
            "tokens_per_param": raw["Tokens/Params"].astype(float),
            "training_flop": 6.0 * n * d,
        }
    )
    return pd.concat([out, raw], axis=1)


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


# --------------------------------------------------------------------------- request traces


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


# --------------------------------------------------------------------------- serving under load

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


# --------------------------------------------------------------------------- AI factory (issue 13)
# Accelerator specifications over time (hardware trends) and the cited defaults of the factory
# model (all-in power per GPU, purchase prices, published claims and estimates).

_PRECISION_TFLOPS = ("fp32_tflops", "bf16_tflops", "fp8_tflops", "fp4_tflops")


def _check_accelerators(df: pd.DataFrame, fname: str) -> list[Problem]:
    """A price comes with its kind and vice versa; every row has at least one FLOP/s figure."""
    problems = []
    priced, kind = df["launch_usd"].notna(), df["price_kind"].notna()
    for i in np.flatnonzero((priced != kind).to_numpy()):
        have, lack = (
            ("launch_usd", "price_kind") if priced.iloc[i] else ("price_kind", "launch_usd")
        )
        problems.append(Problem(fname, int(i) + 2, lack, f"{have} is given but {lack} is empty"))
    no_flops = df[list(_PRECISION_TFLOPS)].isna().all(axis=1).to_numpy()
    for i in np.flatnonzero(no_flops):
        problems.append(
            Problem(fname, int(i) + 2, "bf16_tflops", "no FLOP/s figure at any precision")
        )
    return problems


ACCELERATORS_SCHEMA = Schema(
    name="accelerators",
    columns=(
        Column("name", "str", description="accelerator name as its maker or Epoch AI lists it"),
        Column("vendor", "str"),
        Column("type", "str", choices=("gpu", "tpu", "asic"), lowercase=True),
        Column("segment", "str", choices=("datacenter", "workstation", "consumer"), lowercase=True),
        Column("release_date", "date"),
        _pos("fp32_tflops", "TFLOP/s", nullable=True, description="non-tensor FP32"),
        _pos("bf16_tflops", "TFLOP/s", nullable=True, description="dense tensor FP16/BF16"),
        _pos("fp8_tflops", "TFLOP/s", nullable=True, description="dense FP8"),
        _pos("fp4_tflops", "TFLOP/s", nullable=True, description="dense FP4"),
        _pos("memory_gb", "GB", nullable=True),
        _pos("memory_tb_s", "TB/s", nullable=True),
        _pos("tdp_w", "W", nullable=True),
        _pos("launch_usd", "USD", nullable=True, description="price on release, nominal USD"),
        Column(
            "price_kind",
            "str",
            nullable=True,
            choices=("launch", "analyst", "reported", "reseller", "unspecified"),
            lowercase=True,
        ),
        Column("price_source_url", "str", nullable=True),
        Column("source_url", "str"),
        Column("data_source", "str", choices=("epoch", "epoch+datasheet", "datasheet")),
        Column("notes", "str", nullable=True),
    ),
    key=("name",),
    optional=frozenset({"notes", "price_source_url"}),
    row_checks=(("bf16_tflops", "fp8_tflops"), ("fp8_tflops", "fp4_tflops")),
    frame_check=_check_accelerators,
)

FACTORY_ASSUMPTIONS_SCHEMA = Schema(
    name="factory_assumptions",
    columns=(
        Column("key", "str"),
        Column("quantity", "str"),
        Column("value", "float"),
        Column("unit", "str"),
        Column("gpu", "str", nullable=True, description="a name in data/gpus.csv, if per GPU"),
        Column(
            "kind",
            "str",
            choices=(
                "datasheet",
                "vendor_claim",
                "analyst_estimate",
                "published_estimate",
                "measurement",
                "assumption",
            ),
        ),
        Column("source", "str"),
        Column("source_url", "str"),
        Column("retrieved", "date"),
        Column("notes", "str", nullable=True),
    ),
    key=("key",),
    optional=frozenset({"notes"}),
)


def load_accelerators(path: str | Path | None = None) -> pd.DataFrame:
    """Accelerators 2012-2025 with release date, dense FLOP/s per precision, memory, power, price.

    Parameters
    ----------
    path : str or Path, optional
        A CSV in the schema of ``data/accelerators.csv``; the bundled file when omitted (mostly
        Epoch AI's Machine Learning Hardware data, CC BY 4.0; see ``data/README.md``).

    Returns
    -------
    pandas.DataFrame
        One row per accelerator, sorted by release date: TFLOP/s at ``fp32`` (non-tensor),
        ``bf16`` (dense tensor FP16/BF16), ``fp8`` and ``fp4`` (empty where the chip has no
        such format or no figure is published), memory (GB, TB/s), TDP (W) and the price on
        release (nominal USD) with its kind (``launch``, ``analyst``, ``reported``,
        ``reseller``, ``unspecified``).

    Raises
    ------
    DataValidationError
        Listing every problem: missing columns, bad dates, non-positive numbers, unknown
        type/segment/price kind, a price without its kind (or the reverse), a row with no FLOP/s
        figure, a lower-precision peak below a higher one, duplicated names.
    """
    df = _load(path, "accelerators.csv", ACCELERATORS_SCHEMA)
    return df.sort_values(["release_date", "name"], kind="stable").reset_index(drop=True)


def load_factory_assumptions(path: str | Path | None = None) -> pd.DataFrame:
    """The AI-factory model's cited defaults and the published claims it rebuilds, by ``key``.

    Each row is one number with its unit, the GPU it applies to (if any), what kind of number
    it is (``datasheet``, ``vendor_claim``, ``analyst_estimate``, ``published_estimate``,
    ``measurement`` or ``assumption``) and its source.

    Parameters
    ----------
    path : str or Path, optional
        A CSV in the schema of ``data/factory_assumptions.csv``; the bundled file when omitted.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``key`` (the column is kept).
    """
    return _load(path, "factory_assumptions.csv", FACTORY_ASSUMPTIONS_SCHEMA).set_index(
        "key", drop=False
    )


# --------------------------------------------------------------------------- the table of datasets


@dataclass(frozen=True)
class Dataset:
    """One dataset the package knows: its schema, its loader and, if bundled, its file.

    ``load(path)`` validates a file (``load(None)`` the bundled one, when ``file`` is set).
    ``aliases`` are upstream file names that also select this dataset (e.g. Epoch AI's).
    """

    name: str
    schema: Schema
    load: Callable[..., pd.DataFrame]
    file: str | None = None
    aliases: tuple[str, ...] = ()


DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in (
        Dataset("llm_prices", PRICES_SCHEMA, load_prices, "llm_prices.csv"),
        Dataset(
            "published_rates", PUBLISHED_RATES_SCHEMA, load_published_rates, "published_rates.csv"
        ),
        Dataset(
            "reasoning_tokens",
            REASONING_TOKENS_SCHEMA,
            load_reasoning_tokens,
            "reasoning_tokens.csv",
        ),
        Dataset(
            "test_time_results",
            TEST_TIME_RESULTS_SCHEMA,
            load_test_time_results,
            "test_time_results.csv",
        ),
        Dataset("gpus", GPUS_SCHEMA, load_gpus, "gpus.csv"),
        Dataset("models", MODELS_SCHEMA, load_models, "models.csv"),
        Dataset(
            "decode_measurements",
            DECODE_MEASUREMENTS_SCHEMA,
            load_decode_measurements,
            "h200_decode.csv",
        ),
        Dataset(
            "measured_ceilings",
            MEASURED_CEILINGS_SCHEMA,
            load_measured_ceilings,
            "h200_ceilings.csv",
        ),
        Dataset(
            "published_throughput",
            PUBLISHED_THROUGHPUT_SCHEMA,
            load_published_throughput,
            "published_throughput.csv",
        ),
        Dataset("scaling_laws", SCALING_LAWS_SCHEMA, load_scaling_laws, "scaling_laws.csv"),
        Dataset("notable_models", NOTABLE_MODELS_SCHEMA, load_notable_models, "notable_models.csv"),
        Dataset("post_training", POST_TRAINING_SCHEMA, load_post_training, "post_training.csv"),
        Dataset(
            "chinchilla_points",
            CHINCHILLA_POINTS_SCHEMA,
            load_chinchilla_points,
            "chinchilla_points.csv",
        ),
        Dataset(
            "sardana_runs",
            SARDANA_RUNS_SCHEMA,
            load_sardana_runs,
            "sardana_runs.csv",
            aliases=("trainingresults.csv",),
        ),
        # users' files only (nothing bundled)
        Dataset("sampling_counts", SAMPLING_COUNTS_SCHEMA, load_sampling_counts),
        Dataset(
            "published_serving_sweeps",
            PUBLISHED_SERVING_SWEEPS_SCHEMA,
            load_published_serving_sweeps,
            "published_serving_sweeps.csv",
        ),
        Dataset(
            "request_lengths", REQUEST_LENGTHS_SCHEMA, load_request_lengths, "request_lengths.csv"
        ),
        Dataset("accelerators", ACCELERATORS_SCHEMA, load_accelerators, "accelerators.csv"),
        Dataset(
            "factory_assumptions",
            FACTORY_ASSUMPTIONS_SCHEMA,
            load_factory_assumptions,
            "factory_assumptions.csv",
        ),
        Dataset("training_runs", TRAINING_RUNS_SCHEMA, load_training_runs),
        Dataset("request_trace", REQUEST_TRACE_SCHEMA, load_request_trace),
        Dataset("epoch_prices", PRICES_SCHEMA, read_epoch_prices, aliases=EPOCH_FILES),
        Dataset(
            "epoch_chinchilla",
            TRAINING_RUNS_SCHEMA,
            read_epoch_chinchilla,
            aliases=("svg_extracted_data.csv",),
        ),
    )
}
"""Every dataset by name: what ``python -m inferecon check-data`` validates. A bundled file
missing from this table fails the test suite (``tests/data``)."""

BUNDLED_FILES: dict[str, Dataset] = {d.file: d for d in DATASETS.values() if d.file}
"""The bundled data files by file name."""


def dataset_for_file(path: str | Path) -> Dataset | None:
    """The dataset a file's name selects, or None.

    A name selects a dataset when it is a bundled file's name (``models.csv``), an upstream
    alias (Epoch AI's ``aa_data_with_math5.csv``) or the dataset's name plus ``.csv``
    (``sampling_counts.csv``).

    Parameters
    ----------
    path : str or Path
        The file (only its name is read).

    Returns
    -------
    Dataset or None
    """
    name = Path(path).name
    if name in BUNDLED_FILES:
        return BUNDLED_FILES[name]
    for d in DATASETS.values():
        if name in d.aliases or name == f"{d.name}.csv":
            return d
    return None
