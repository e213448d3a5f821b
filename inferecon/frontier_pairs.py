"""Serving scenarios for any two points of a cheapest-model frontier (notebook 01).

Open-weight ends take their shape and size from ``data/models.csv`` (the model factor then rests
on no size estimate); closed ones need a size range (:data:`ASSUMED_PARAMS_ACTIVE`, or a size
their maker states, :data:`STATED_PARAMS_ACTIVE`). Hardware, utilisation and the request mix
come from the scenario row nearest in date, the engine profile from the price's year.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd

from ._validate import require_positive
from .decline_scenarios import ServingScenario, _shape_of_row, serving_scenario
from .specs import get_model

__all__ = [
    "ASSUMED_PARAMS_ACTIVE",
    "OPEN_WEIGHT_SHAPES",
    "STATED_PARAMS_ACTIVE",
    "frontier_known_sizes",
    "frontier_scenarios",
]


OPEN_WEIGHT_SHAPES: dict[str, str] = {
    "Llama 2 70B Chat (hosted)": "Llama-2-70B",
    "Llama 3 8B Instruct (hosted)": "Llama-3.1-8B",
    "Llama 3 70B Instruct (hosted)": "Llama-3.1-70B",
    "Llama 3.1 8B Instruct (hosted)": "Llama-3.1-8B",
    "Llama 3.1 70B Instruct (hosted)": "Llama-3.1-70B",
    "Llama 3.1 405B Instruct (hosted)": "Llama-3.1-405B",
    "Llama 3.2 3B Instruct (hosted)": "Llama-3.2-3B",
    "Llama 3.3 70B Instruct (hosted)": "Llama-3.1-70B",
    "Mixtral 8x7B Instruct (hosted)": "Mixtral-8x7B",
    "DeepSeek-V3": "DeepSeek-V3",
    "DeepSeek-R1": "DeepSeek-V3",
}
"""Open-weight models of ``data/llm_prices.csv`` and their shape in ``data/models.csv``: the size
is known, so the model factor has no range. Llama 3 8B/70B and Llama 3.3 70B have the Llama 3.1
shapes of their size (the same layers, widths and GQA heads, Meta's model cards; 3.1 extends the
context, which a request of ~1,200 tokens does not reach); DeepSeek-R1 is DeepSeek-V3's
architecture (DeepSeek-AI 2025, arXiv:2501.12948)."""

STATED_PARAMS_ACTIVE: dict[str, float] = {
    "davinci (GPT-3 175B)": 1.75e11,
    "DeepSeek-V2 (Chat)": 2.1e10,
    "Gemini 1.5 Flash-8B": 8.0e9,
}
"""Active parameters a maker states for a priced model whose shape ``data/models.csv`` does not
hold: GPT-3 davinci 175B (Brown et al. 2020, arXiv:2005.14165, Table 2.1); DeepSeek-V2 21B
activated of 236B (DeepSeek-AI 2024, arXiv:2405.04434, abstract); Gemini 1.5 Flash-8B 8B
(Google for Developers blog, 2024-10-03). Used by :func:`frontier_known_sizes`; a scenario row
of ``data/serving_scenarios.csv`` with equal low and high takes precedence."""

_DENSE_STAND_INS = ("Llama-3.2-1B", "Llama-3.2-3B", "Llama-3.1-8B", "Qwen2.5-32B",
                    "Llama-3.1-70B", "Llama-3.1-405B")  # fmt: skip


def _frontier_point(frontier: pd.DataFrame, point, label: str) -> pd.Series:
    """The frontier row ``point`` names (a model name or a row of a frontier)."""
    if isinstance(point, pd.Series):
        hit = frontier[
            (frontier["model"] == point.get("model"))
            & (pd.to_datetime(frontier["date"]) == pd.Timestamp(point.get("date")))
            & np.isclose(frontier["usd_per_mtok"].astype(float), float(point.get("usd_per_mtok")))
        ]
        if len(hit) != 1:
            raise ValueError(
                f"{label} ({point.get('model')!r}, {pd.Timestamp(point.get('date')).date()}) is "
                f"not a point of this frontier ({_frontier_label(frontier)}): endpoints on "
                "different frontiers"
            )
        return hit.iloc[0]
    if not isinstance(point, str):
        raise ValueError(f"{label} must be a model name or a frontier row; got {point!r}")
    hit = frontier[frontier["model"] == point]
    if len(hit) == 0:
        known = ", ".join(map(repr, frontier["model"]))
        raise ValueError(
            f"{label} {point!r} is not a point of the frontier {_frontier_label(frontier)} "
            f"(its points: {known})"
        )
    if len(hit) > 1:
        raise ValueError(
            f"{label} {point!r} is on the frontier {len(hit)} times (price cuts); pass the row, "
            "e.g. frontier.iloc[i]"
        )
    return hit.iloc[0]


def _frontier_label(frontier: pd.DataFrame) -> str:
    a = frontier.attrs
    if "benchmark" in a:
        return f"{a['benchmark']} >= {a['threshold']:g}"
    return "(unlabelled)"


def _nearest_row(scenarios: pd.DataFrame, date: pd.Timestamp) -> pd.Series:
    gap = (pd.to_datetime(scenarios["price_date"]) - date).abs()
    return scenarios.iloc[int(np.argmin(gap.to_numpy()))]


def _engine_of_year(engine_profiles: pd.DataFrame, year: int) -> pd.Series:
    """The latest profile of ``year`` or before (the earliest for earlier years)."""
    e = engine_profiles.sort_values("year", kind="stable")
    before = e[e["year"] <= year]
    return (before if len(before) else e).iloc[-1 if len(before) else 0]


def frontier_scenarios(
    frontier: pd.DataFrame,
    start,
    end,
    prices: pd.DataFrame,
    scenarios: pd.DataFrame,
    engine_profiles: pd.DataFrame,
    *,
    params_active: dict | None = None,
    shapes: dict | None = None,
    gpus: dict | None = None,
) -> tuple[ServingScenario, ServingScenario]:
    """The two :class:`ServingScenario` of a pair of points on a cheapest-model frontier.

    For each point (a row of :func:`inferecon.cheapest_frontier`), in this order:

    * a row of ``scenarios`` with the point's model and price date is used as it stands
      (:func:`serving_scenario`: the AI Index's two ends);
    * otherwise the **model**: an open-weight model of :data:`OPEN_WEIGHT_SHAPES` (or ``shapes``)
      has its ``data/models.csv`` shape and known size (no range: the model factor is then exact);
      a closed model needs ``params_active[model] = (low, high)`` (or a size in
      :data:`STATED_PARAMS_ACTIVE`), and scales the shape given in ``shapes``, or else the
      dense shape nearest in size among Llama/Qwen shapes and the scenario table's shapes;
    * the **hardware** (GPU, USD per GPU-hour range) and utilisation range are those of the
      scenario row nearest in date (an assumption: the serving hardware of API models is not
      public), unless ``gpus[model] = (gpu, (low, high))`` is given;
    * the **engine profile** is the latest of ``engine_profiles`` whose year is not after the
      price's (the earliest for earlier prices);
    * the **request mix** keeps the scenario row's 1,200 tokens, split by the frontier's input
      share (``frontier.attrs["input_share"]``; 900/300 at Epoch's 3:1);
    * the **list prices** are the model's row of ``prices`` on the point's date.

    Parameters
    ----------
    frontier : pandas.DataFrame
        :func:`inferecon.cheapest_frontier` (its ``attrs`` name the benchmark and threshold).
    start, end : str or pandas.Series
        A model on the frontier (its name) or a row of ``frontier``.
    prices : pandas.DataFrame
        :func:`inferecon.load_prices`.
    scenarios : pandas.DataFrame
        :func:`inferecon.load_serving_scenarios`.
    engine_profiles : pandas.DataFrame
        :func:`inferecon.load_engine_profiles`.
    params_active : dict of str to (float, float), optional
        Active parameters (low, high) by model name, for closed models (overrides the defaults).
    shapes : dict of str to ModelSpec or str, optional
        Shapes by model name (a name in ``data/models.csv`` or a spec).
    gpus : dict of str to (str, (float, float)), optional
        GPU and USD per GPU-hour range by model name.

    Returns
    -------
    (ServingScenario, ServingScenario)
        Start and end, ready for :func:`decompose_price_decline`.

    Raises
    ------
    ValueError
        When a point is not on the frontier (or on another one), the ends are in the wrong order
        or the same point, a model has no list price on its date, or a closed model has no size.
    """
    for col in ("model", "date", "usd_per_mtok"):
        if col not in frontier.columns:
            raise ValueError(f"frontier must have a {col!r} column (use cheapest_frontier)")
    a = _frontier_point(frontier, start, "start")
    b = _frontier_point(frontier, end, "end")
    if pd.Timestamp(a["date"]) >= pd.Timestamp(b["date"]):
        raise ValueError(
            f"start ({a['model']!r}, {pd.Timestamp(a['date']).date()}) must be before end "
            f"({b['model']!r}, {pd.Timestamp(b['date']).date()}): endpoints in the wrong order"
        )
    share = float(frontier.attrs.get("input_share", 0.75))
    return tuple(
        _point_scenario(
            row,
            share,
            prices,
            scenarios,
            engine_profiles,
            params_active or {},
            shapes or {},
            gpus or {},
        )  # fmt: skip
        for row in (a, b)
    )


def _point_scenario(row, share, prices, scenarios, engine_profiles, params, shapes, gpus):
    model, date = str(row["model"]), pd.Timestamp(row["date"])
    own = scenarios[
        (scenarios["price_model"] == model) & (pd.to_datetime(scenarios["price_date"]) == date)
    ]
    total = None
    if len(own) == 1 and model not in params and model not in shapes and model not in gpus:
        sc = serving_scenario(own.iloc[0]["scenario"], scenarios, engine_profiles, prices)
        total = sc.prompt_tokens + sc.output_tokens
        prompt = min(max(int(round(total * share)), 1), total - 1)
        if prompt == sc.prompt_tokens:
            return sc
        return dataclasses.replace(sc, prompt_tokens=prompt, output_tokens=total - prompt)
    hit = prices[(prices["model"] == model) & (pd.to_datetime(prices["price_date"]) == date)]
    if len(hit) != 1:
        raise ValueError(
            f"model {model!r} has no single list price on {date.date()} in prices "
            f"(found {len(hit)}): a model without a price"
        )
    p = hit.iloc[0]
    near = _nearest_row(scenarios, date)
    # the model: shape and size
    if model in shapes:
        shape = get_model(shapes[model])
    elif model in OPEN_WEIGHT_SHAPES:
        shape = get_model(OPEN_WEIGHT_SHAPES[model])
    else:
        shape = None
    if model in params:
        lo, hi = params[model]
    elif model in OPEN_WEIGHT_SHAPES and model not in shapes:
        lo = hi = shape.params_active
    elif model in STATED_PARAMS_ACTIVE:
        lo = hi = STATED_PARAMS_ACTIVE[model]
    elif shape is not None and model in shapes:
        lo = hi = shape.params_active
    else:
        raise ValueError(
            f"model {model!r} has no stated size: pass params_active={{{model!r}: (low, high)}} "
            "(active parameters, an estimate's range)"
        )
    if shape is None:
        candidates = [get_model(n) for n in _DENSE_STAND_INS]
        candidates += [_shape_of_row(r) for _, r in scenarios.iterrows()]
        mid = math.sqrt(lo * hi)
        shape = min(candidates, key=lambda m: abs(math.log(m.params_active / mid)))
    # hardware and utilisation of the nearest scenario row, engine of the year
    gpu, usd_h = gpus.get(
        model, (near["gpu"], (near["usd_per_gpu_hour_low"], near["usd_per_gpu_hour_high"]))
    )
    eng = _engine_of_year(engine_profiles, date.year)
    total = int(near["prompt_tokens"] + near["output_tokens"])
    prompt = min(max(int(round(total * share)), 1), total - 1)
    return ServingScenario(
        name=f"{model} ({date.date()})",
        model=shape,
        params_active=(lo, hi),
        gpu=gpu,
        usd_per_gpu_hour=tuple(usd_h),
        utilisation=(near["utilisation_low"], near["utilisation_high"]),
        precision=eng["precision"],
        kv_used_share=(eng["kv_used_share_low"], eng["kv_used_share_high"]),
        max_running_requests=int(eng["max_running_requests"]),
        throughput_share=(eng["throughput_share_low"], eng["throughput_share_high"]),
        prompt_tokens=prompt,
        output_tokens=total - prompt,
        input_usd_per_mtok=float(p["input_usd_per_mtok"]),
        output_usd_per_mtok=float(p["output_usd_per_mtok"]),
        price_date=date,
    )


def frontier_known_sizes(
    frontier: pd.DataFrame, scenarios: pd.DataFrame | None = None, params_active=None
) -> pd.DataFrame:
    """The frontier's points whose active parameters are known.

    Known: an open-weight model of :data:`OPEN_WEIGHT_SHAPES` (its ``data/models.csv`` shape), a
    size in :data:`STATED_PARAMS_ACTIVE`, a row of ``scenarios`` for the point with equal low
    and high, or ``params_active[model]`` given as one number. Closed models whose size is a
    range are left out.

    Parameters
    ----------
    frontier : pandas.DataFrame
        :func:`inferecon.cheapest_frontier`.
    scenarios : pandas.DataFrame, optional
        :func:`inferecon.load_serving_scenarios`.
    params_active : dict of str to float, optional
        Sizes by model name.

    Returns
    -------
    pandas.DataFrame
        ``model``, ``date``, ``params_active`` (parameters) and ``basis`` (where the size comes
        from), in date order.
    """
    given = params_active or {}
    rows = []
    for _, r in frontier.iterrows():
        m, d = str(r["model"]), pd.Timestamp(r["date"])
        size, basis = None, ""
        if m in given:
            size, basis = float(require_positive(f"params_active[{m!r}]", given[m])), "given"
        elif m in OPEN_WEIGHT_SHAPES:
            size = get_model(OPEN_WEIGHT_SHAPES[m]).params_active
            basis = f"open weights: {OPEN_WEIGHT_SHAPES[m]} (data/models.csv)"
        elif scenarios is not None:
            own = scenarios[(scenarios["price_model"] == m)
                            & (pd.to_datetime(scenarios["price_date"]) == d)]  # fmt: skip
            if (
                len(own) == 1
                and own.iloc[0]["params_active_low"] == own.iloc[0]["params_active_high"]
            ):
                size = float(own.iloc[0]["params_active_low"])
                basis = f"stated (data/serving_scenarios.csv, {own.iloc[0]['scenario']})"
        if size is None and m in STATED_PARAMS_ACTIVE:
            size, basis = STATED_PARAMS_ACTIVE[m], "stated by its maker (STATED_PARAMS_ACTIVE)"
        if size is not None:
            rows.append(dict(model=m, date=d, params_active=float(size), basis=basis))
    return pd.DataFrame(rows, columns=["model", "date", "params_active", "basis"])


ASSUMED_PARAMS_ACTIVE: dict[str, tuple[float, float]] = {
    "GPT-4 (0314)": (1.0e11, 2.2e11),
}
"""Active-parameter ranges **assumed** for closed models whose makers state no size, used by
notebook 07 and its explorer (pass your own to :func:`frontier_scenarios`). GPT-4 (0314): OpenAI
has published no size; 100B-220B active parameters is an assumption (a mixture of experts is
widely reported, not confirmed), capped where its bf16 weights still fit one 8-GPU A100-80GB
server, as the dense stand-in shape needs."""
