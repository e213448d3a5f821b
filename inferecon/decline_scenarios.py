"""Serving scenarios: one end of a price decline, a model on hardware of its day, served by an
engine of its day, at a list price (:class:`ServingScenario`), built from the bundled tables
(:func:`serving_scenario`: ``data/serving_scenarios.csv``, ``data/engine_profiles.csv`` and
``data/llm_prices.csv``) or by hand. Inputs that are estimates are ``(low, high)`` ranges.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._validate import plain, require_in_range, require_positive
from .specs import ModelSpec, check_precision, get_gpu, get_model

__all__ = ["ServingScenario", "serving_scenario"]


_RANGES = ("params_active", "usd_per_gpu_hour", "utilisation", "kv_used_share",
          "throughput_share")  # fmt: skip
"""The inputs of a :class:`ServingScenario` given as ``(low, high)`` ranges."""


def _range(owner: str, name: str, low, high, *, share: bool = False) -> tuple[float, float]:
    lo, hi = f"{owner}.{name}_low", f"{owner}.{name}_high"
    if share:
        lo_v = require_in_range(lo, low, 0.0, 1.0, low_open=True)
        hi_v = require_in_range(hi, high, 0.0, 1.0, low_open=True)
    else:
        lo_v, hi_v = require_positive(lo, low), require_positive(hi, high)
    if np.ndim(lo_v) or np.ndim(hi_v):
        raise ValueError(f"{lo} and {hi} must be scalars")
    if lo_v > hi_v:
        raise ValueError(f"{lo} ({plain(lo_v)!r}) must be <= {hi} ({plain(hi_v)!r})")
    return float(lo_v), float(hi_v)


@dataclass(frozen=True)
class ServingScenario:
    """One end of a price decline: a model on hardware of its day, served by an engine of its
    day, at a list price.

    Ranges are ``(low, high)`` pairs, drawn log-uniformly by :func:`decompose_price_decline`.
    Build one from the bundled data with :func:`serving_scenario`, or by hand.

    Attributes
    ----------
    name : str
        A label.
    model : ModelSpec or str
        The transformer shape (a name in ``data/models.csv`` or a spec); sizes in
        ``params_active`` other than the shape's own scale its layer count.
    params_active : (float, float)
        Active parameters, low and high (equal when the maker states them).
    gpu : str
        A name in ``data/gpus.csv`` (or a :class:`GPUSpec`).
    usd_per_gpu_hour : (float, float)
        Price of a GPU-hour of the day, USD, low and high.
    utilisation : (float, float)
        Share of paid GPU-hours that serve, in (0, 1].
    precision : {"bf16", "fp8", "fp4"}
        Weights and matmuls (the engine's; weight-only on a GPU without that format).
    kv_used_share : (float, float)
        Share of KV memory holding token states (the rest reserved or fragmented), in (0, 1].
    max_running_requests : int
        The engine's cap on running requests.
    throughput_share : (float, float)
        Tokens/s relative to the calibrated engine at the same batch, in (0, 1].
    prompt_tokens, output_tokens : int
        The request mix.
    input_usd_per_mtok, output_usd_per_mtok : float
        List prices, USD per million input and output tokens (> 0).
    price_date : str or datetime-like
        Date of the list price (orders the ends of a decline).
    """

    name: str
    model: ModelSpec | str
    params_active: tuple[float, float]
    gpu: str
    usd_per_gpu_hour: tuple[float, float]
    utilisation: tuple[float, float]
    precision: str
    kv_used_share: tuple[float, float]
    max_running_requests: int
    throughput_share: tuple[float, float]
    prompt_tokens: int
    output_tokens: int
    input_usd_per_mtok: float
    output_usd_per_mtok: float
    price_date: object

    def __post_init__(self):
        who = f"ServingScenario {self.name!r}"
        try:
            get_model(self.model)
        except ValueError as exc:
            raise ValueError(f"{who}: model: {exc}") from None
        try:
            get_gpu(self.gpu)
        except ValueError as exc:
            raise ValueError(f"{who}: gpu: {exc}") from None
        check_precision(f"{who}: precision", self.precision)
        for name, share in (
            ("params_active", False),
            ("usd_per_gpu_hour", False),
            ("utilisation", True),
            ("kv_used_share", True),
            ("throughput_share", True),
        ):
            pair = getattr(self, name)
            if np.ndim(pair) != 1 or len(pair) != 2:
                raise ValueError(f"{who}: {name} must be a (low, high) pair; got {pair!r}")
            object.__setattr__(self, name, _range(who, name, *pair, share=share))
        for name in ("max_running_requests", "prompt_tokens", "output_tokens"):
            value = require_in_range(f"{who}: {name}", getattr(self, name), 1, 1e8)
            if value != round(value):
                raise ValueError(f"{who}: {name} must be a whole number; got {value!r}")
            object.__setattr__(self, name, int(value))
        for name in ("input_usd_per_mtok", "output_usd_per_mtok"):
            object.__setattr__(
                self, name, float(require_positive(f"{who}: {name}", getattr(self, name)))
            )
        try:
            object.__setattr__(self, "price_date", pd.Timestamp(self.price_date))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{who}: price_date must be a date; got {self.price_date!r}") from exc
        if pd.isna(self.price_date):
            raise ValueError(f"{who}: price_date must be a date; got {self.price_date!r}")

    @property
    def usd_per_mtok(self) -> float:
        """List price of the request mix, USD per million tokens (prompt and output)."""
        p, o = self.prompt_tokens, self.output_tokens
        return (p * self.input_usd_per_mtok + o * self.output_usd_per_mtok) / (p + o)


def serving_scenario(
    scenario: str, scenarios: pd.DataFrame, engine_profiles: pd.DataFrame, prices: pd.DataFrame
) -> ServingScenario:
    """A :class:`ServingScenario` from a row of the scenario table, its engine profile and its
    list prices.

    Parameters
    ----------
    scenario : str
        A ``scenario`` of ``scenarios`` (e.g. ``"ai-index-2022"``).
    scenarios : pandas.DataFrame
        :func:`inferecon.load_serving_scenarios` (or your own table in its schema).
    engine_profiles : pandas.DataFrame
        :func:`inferecon.load_engine_profiles`.
    prices : pandas.DataFrame
        :func:`inferecon.load_prices`: the row with the scenario's ``price_model`` and
        ``price_date`` gives its input and output list prices.

    Returns
    -------
    ServingScenario

    Raises
    ------
    ValueError
        Naming the scenario, engine profile or price row that is missing.
    """
    rows = scenarios[scenarios["scenario"] == scenario]
    if len(rows) != 1:
        known = ", ".join(map(repr, scenarios["scenario"]))
        raise ValueError(f"scenario must be one of {known}; got {scenario!r}")
    s = rows.iloc[0]
    eng = engine_profiles[engine_profiles["engine_profile"] == s["engine_profile"]]
    if len(eng) != 1:
        known = ", ".join(map(repr, engine_profiles["engine_profile"]))
        raise ValueError(
            f"scenario {scenario!r}: engine_profile {s['engine_profile']!r} is not one of {known}"
        )
    e = eng.iloc[0]
    date = pd.Timestamp(s["price_date"])
    hit = prices[
        (prices["model"] == s["price_model"]) & (pd.to_datetime(prices["price_date"]) == date)
    ]
    if len(hit) != 1:
        raise ValueError(
            f"scenario {scenario!r}: no single list price for price_model {s['price_model']!r} "
            f"on {date.date()} in prices (found {len(hit)})"
        )
    p = hit.iloc[0]
    return ServingScenario(
        name=scenario,
        model=_shape_of_row(s),
        params_active=(s["params_active_low"], s["params_active_high"]),
        gpu=s["gpu"],
        usd_per_gpu_hour=(s["usd_per_gpu_hour_low"], s["usd_per_gpu_hour_high"]),
        utilisation=(s["utilisation_low"], s["utilisation_high"]),
        precision=e["precision"],
        kv_used_share=(e["kv_used_share_low"], e["kv_used_share_high"]),
        max_running_requests=int(e["max_running_requests"]),
        throughput_share=(e["throughput_share_low"], e["throughput_share_high"]),
        prompt_tokens=int(s["prompt_tokens"]),
        output_tokens=int(s["output_tokens"]),
        input_usd_per_mtok=float(p["input_usd_per_mtok"]),
        output_usd_per_mtok=float(p["output_usd_per_mtok"]),
        price_date=date,
    )


def _shape_of_row(row: pd.Series) -> ModelSpec:
    return ModelSpec(
        name=f"{row['price_model']} (shape)",
        **{f: int(row[f]) for f in ("n_layers", "hidden_size", "n_heads", "n_kv_heads",
                                    "head_dim", "intermediate_size", "vocab_size")},
    )  # fmt: skip
