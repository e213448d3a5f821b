"""The validation machinery every loader shares: column rules, report-all-problems errors, files.

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
    "Column",
    "DataValidationError",
    "Problem",
    "Schema",
    "data_path",
    "validate_frame",
]


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
    here = Path(__file__).resolve().parents[2] / "data" / name
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


def _nonneg(name, unit="", **kw):
    return Column(name, "float", unit, low=0.0, **kw)


def _pos(name, unit="", **kw):
    return Column(name, "float", unit, low=0.0, low_open=True, **kw)
