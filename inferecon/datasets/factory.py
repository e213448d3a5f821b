"""The AI-factory model's cited defaults and the published claims it rebuilds."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .validation import Column, Schema, _load

__all__ = [
    "FACTORY_ASSUMPTIONS_SCHEMA",
    "load_factory_assumptions",
]

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
