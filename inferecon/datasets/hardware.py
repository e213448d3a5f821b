"""Accelerators: the spec sheet of current GPUs (``gpus.csv``) and specifications over time
(``accelerators.csv``, for hardware trends)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .validation import Column, Problem, Schema, _load, _nonneg, _pos

__all__ = [
    "GPUS_SCHEMA",
    "load_gpus",
    "ACCELERATORS_SCHEMA",
    "load_accelerators",
]

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
        Column(
            "nvlink_domain_gpus",
            "int",
            "GPUs",
            nullable=True,
            low=1.0,
            high=1024.0,
            description="GPUs in one scale-up (NVLink or Infinity Fabric) domain",
        ),
        Column("release_year", "int", "year", low=2010.0, high=2035.0),
        _pos("usd_per_hour_low", "USD/GPU-hour", nullable=True),
        _pos("usd_per_hour_high", "USD/GPU-hour", nullable=True),
        Column("price_date", "date", nullable=True),
        Column("source_url", "str"),
        Column("notes", "str", nullable=True),
    ),
    key=("name",),
    optional=frozenset({"notes", "n_sm", "nvlink_domain_gpus"}),
    row_checks=(("idle_w", "tdp_w"), ("usd_per_hour_low", "usd_per_hour_high")),
)


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
