"""The AI-factory model's units, cited defaults and argument checks.

A year is :data:`HOURS_PER_YEAR` = 8,760 hours (365 days, as :data:`inferecon.DAYS_PER_YEAR`);
a month is :data:`HOURS_PER_MONTH`. The defaults every cost and energy function falls back on
(PUE, electricity and hosting prices, all-in power per GPU) are read once from
``data/factory_assumptions.csv``, each with its source (:func:`factory_defaults`,
:func:`default_all_in_kw_per_gpu`). Out-of-domain input raises ``ValueError`` naming the
parameter, the value and the valid range; nothing is clipped.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from ._validate import require_in_range
from .datasets import load_factory_assumptions
from .specs import GPUSpec, get_gpu

__all__ = [
    "HOURS_PER_MONTH",
    "HOURS_PER_YEAR",
    "default_all_in_kw_per_gpu",
    "factory_defaults",
]

HOURS_PER_YEAR = 8760.0
"""Hours in a year of 365 days (the year of :data:`inferecon.DAYS_PER_YEAR`)."""

HOURS_PER_MONTH = HOURS_PER_YEAR / 12.0
"""Hours in an average month (730), for prices per kW-month and monthly bills."""

_J_PER_KWH = 3.6e6


def _nonneg(name: str, value):
    """Finite and >= 0 (prices, power, counts that may be zero)."""
    return require_in_range(name, value, 0.0, np.inf, high_open=True)


def _utilisation(value):
    return require_in_range("utilisation", value, 0.0, 1.0, low_open=True)


def _pue(value):
    return require_in_range("pue", value, 1.0, 5.0)


def factory_defaults() -> dict[str, float]:
    """The cited defaults every cost and energy function falls back on.

    Read once from ``data/factory_assumptions.csv`` (rows ``default_pue``,
    ``default_usd_per_kwh`` and ``default_facility_usd_per_kw_month``, each with its source
    there): the one place the package's and the notebook's defaults come from.

    Returns
    -------
    dict
        ``pue`` (ratio), ``usd_per_kwh`` (USD per kWh) and ``facility_usd_per_kw_month``
        (USD per kW of all-in power per month).
    """
    v = _assumptions()["value"]
    return {
        "pue": float(v["default_pue"]),
        "usd_per_kwh": float(v["default_usd_per_kwh"]),
        "facility_usd_per_kw_month": float(v["default_facility_usd_per_kw_month"]),
    }


def _pue_or_default(pue):
    """``pue``, or the cited default (:func:`factory_defaults`) when it is None."""
    return _pue(factory_defaults()["pue"] if pue is None else pue)


def _kwh_or_default(usd_per_kwh, owned: bool):
    """``usd_per_kwh``; when None the cited default for an owned GPU, 0 for a rented one
    (a rental price per GPU-hour includes the power it draws)."""
    if usd_per_kwh is None:
        return factory_defaults()["usd_per_kwh"] if owned else 0.0
    return _nonneg("usd_per_kwh", usd_per_kwh)


def _arr(x) -> np.ndarray:
    return np.asarray(x, dtype=float)


@functools.lru_cache(maxsize=1)
def _assumptions() -> pd.DataFrame:
    return load_factory_assumptions()


def default_all_in_kw_per_gpu(gpu: str | GPUSpec) -> tuple[float, str]:
    """The cited default all-in power per GPU and what kind of number it is.

    Read from ``data/factory_assumptions.csv`` (once per process, like the GPU catalogue):
    SemiAnalysis's InferenceMAX dashboard constants for H100, H200, B200, GB200 and MI300X
    (``analyst_estimate``), a stated TDP-scaled assumption for the other GPUs of
    ``data/gpus.csv`` (``assumption``).

    Parameters
    ----------
    gpu : str or GPUSpec
        A GPU of ``data/gpus.csv``.

    Returns
    -------
    tuple of (float, str)
        kW per GPU and the row's ``kind``.

    Raises
    ------
    ValueError
        For a GPU without a row; pass ``all_in_kw_per_gpu=`` explicitly for it.

    Notes
    -----
    Named ``all_in_kw_per_gpu`` before 0.1.0; that name (now the parameter's) still resolves as
    ``ie.all_in_kw_per_gpu`` with a ``DeprecationWarning``, deprecated in 0.1.0 and removed in
    0.2.0.
    """
    g = get_gpu(gpu)
    key = f"all_in_kw_per_gpu__{g.name}"
    table = _assumptions()
    if key not in table.index:
        known = sorted(k.split("__", 1)[1] for k in table.index if k.startswith("all_in_kw"))
        raise ValueError(
            f"no default all-in power for GPU {g.name!r} in data/factory_assumptions.csv "
            f"(known: {', '.join(known)}); pass all_in_kw_per_gpu explicitly"
        )
    row = table.loc[key]
    return float(row["value"]), str(row["kind"])
