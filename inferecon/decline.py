"""Why prices fell: a price ratio split into measured factors whose product is exactly the ratio.

Between two serving scenarios (a start and an end, e.g. the AI Index's GPT-3.5 of November 2022
at USD 20 per million tokens and Gemini 1.5 Flash-8B of October 2024 at USD 0.07), the fall of
the list price per million tokens, ``P_start / P_end``, is written as

    P_start / P_end = model x hardware x serving x residual

* **model**: the serving cost's change from the model alone (active parameters and shape at
  equal capability: a 22x smaller model reads 22x fewer bytes per decoded token);
* **hardware**: from the GPU and its price per GPU-hour (bandwidth and FLOP/s per dollar);
* **serving**: from the engine profile (batching, KV-memory use, precision, host overheads),
  utilisation and the request mix;
* **residual**: ``(P_start / P_end) / (C_start / C_end)``, what the costs do not explain:
  margins, competition, subsidy (list prices can be below cost).

The cost ``C`` of a scenario is the USD per million tokens (prompt and output together, the
way a blended list price counts them) of serving its request mix with the package's calibrated
serving model (:func:`inferecon.serving_performance`, :func:`inferecon.max_batch`,
:func:`inferecon.usd_per_mtok`). The three cost factors interact (a smaller model frees memory
for a larger batch; fp8 halves bytes only where the GPU has fp8), so changing them one at a
time gives a different split for each order. The **Shapley** split averages the one-at-a-time
splits over all ``K!`` orders, computed with the subset weights
``|S|! (K - |S| - 1)! / K!`` from the ``2**K`` subsets of changed factors (Shapley 1953; the
same formula as SHAP's exact explainer): it is exact (the factors multiply to the cost ratio),
symmetric and free of any order; :func:`one_at_a_time_splits` shows the orders beside it.

**Uncertainty.** Every input given as a range is drawn **log-uniformly** in ``[low, high]``
(each is a positive scale, and the decomposition is additive in logs, so a log-uniform draw
gives each factor of 2 within the range the same weight; a range says nothing about a mode,
which a triangular draw would invent). An input whose range is identical at both ends is one
unknown and shares its draw (so a scenario against itself gives factors of exactly 1); inputs
with different ranges are drawn independently. Draws enter the serving model as arrays: the
batch an engine reaches takes few distinct values, so each (factor combination, model size)
is one call of :func:`inferecon.serving_performance` over those values and every tensor-parallel
size, and 10,000 draws take a few tens of milliseconds (``benchmarks/decline_bench.py``).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._validate import plain, require_in_range, require_positive
from .serving import max_batch, serving_performance, usable_memory_gb, weight_memory_gb
from .specs import ModelSpec, check_precision, get_gpu, get_model
from .token_costs import usd_per_mtok

__all__ = [
    "DECLINE_FACTORS",
    "PriceDecline",
    "ServingScenario",
    "decompose_price_decline",
    "one_at_a_time_splits",
    "serving_scenario",
    "shapley_split",
]

DECLINE_FACTORS = ("model", "hardware", "serving")
"""The cost factors of :func:`decompose_price_decline`, in the bit order of their subsets (bit
0 = model, 1 = hardware, 2 = serving); the residual is the fourth factor."""

_TENSOR_PARALLEL = (1, 2, 4, 8)
"""Tensor-parallel sizes an operator may pick (one 8-GPU server at most); the cheapest that fits
is taken per draw."""

_MODEL_GRID = 3
"""Model sizes evaluated across a parameter range; log cost is interpolated in log parameters
between them (the cost is smooth in size: linear in the bytes read)."""


# --------------------------------------------------------------------------- Shapley


def _check_subsets(values) -> tuple[np.ndarray, int]:
    v = np.asarray(values, dtype=float)
    if v.ndim == 0 or v.shape[0] < 2:
        raise ValueError(
            "values_by_subset must have 2**K rows (K >= 1 factors), one per subset of changed "
            f"factors; got shape {v.shape}"
        )
    k = int(round(math.log2(v.shape[0])))
    if 2**k != v.shape[0] or k > 12:
        raise ValueError(
            "values_by_subset must have 2**K rows with 1 <= K <= 12 (one per subset of changed "
            f"factors, bit k = factor k changed); got {v.shape[0]} rows"
        )
    if not np.all(np.isfinite(v)):
        raise ValueError("values_by_subset must be finite; got a NaN or infinite value")
    return v, k


def shapley_split(values_by_subset) -> np.ndarray:
    """The Shapley split of a change ``v(all) - v(none)`` among ``K`` factors.

    ``values_by_subset[S]`` is the value (e.g. a log cost) when the factors in subset ``S``
    (bit ``k`` of the index set = factor ``k`` changed) take their end values and the others
    their start values. Factor ``k`` gets

        phi_k = sum over S without k of |S|! (K - |S| - 1)! / K! * (v(S + k) - v(S)),

    the average of its one-at-a-time contribution over the ``K!`` orders of changing the
    factors (Shapley 1953), computed from the ``2**K`` subsets (cheap for ``K`` up to ~12).

    Parameters
    ----------
    values_by_subset : array_like, shape (2**K, ...)
        Finite values by subset; trailing axes (e.g. Monte Carlo draws) are carried along.

    Returns
    -------
    numpy.ndarray, shape (K, ...)
        The factors' shares of ``v(all) - v(none)``; they sum to it exactly (up to rounding),
        a factor that changes nothing gets 0, and two interchangeable factors get the same.

    Examples
    --------
    ``v = x1 * x2`` from (1, 1) to (3, 2): v(none) = 1, v({1}) = 3, v({2}) = 2, v(all) = 6.
    Factor 1 gets ((3 - 1) + (6 - 2)) / 2 = 3, factor 2 gets ((2 - 1) + (6 - 3)) / 2 = 2.

    >>> shapley_split([1.0, 3.0, 2.0, 6.0]).tolist()
    [3.0, 2.0]
    """
    v, k = _check_subsets(values_by_subset)
    masks = np.arange(2**k)
    sizes = np.array([bin(int(m)).count("1") for m in masks])
    weight = np.array(
        [math.factorial(s) * math.factorial(k - s - 1) / math.factorial(k) if s < k else 0.0
         for s in sizes]
    )  # fmt: skip
    out = np.empty((k, *v.shape[1:]))
    for j in range(k):
        bit = 1 << j
        without = masks[(masks & bit) == 0]
        out[j] = np.tensordot(weight[without], v[without | bit] - v[without], axes=(0, 0))
    return out


def one_at_a_time_splits(values_by_subset) -> tuple[list[tuple[int, ...]], np.ndarray]:
    """The split of ``v(all) - v(none)`` for every order of changing the factors one at a time.

    Parameters
    ----------
    values_by_subset : array_like, shape (2**K, ...)
        As in :func:`shapley_split`.

    Returns
    -------
    orders : list of tuple of int
        The ``K!`` orders (factor indices in the order they are changed).
    splits : numpy.ndarray, shape (K!, K, ...)
        ``splits[i, k]``: factor ``k``'s contribution when the factors change in ``orders[i]``:
        ``v(before + k) - v(before)``. Each order's contributions sum to ``v(all) - v(none)``;
        their mean over the orders is the Shapley split.

    Examples
    --------
    >>> orders, splits = one_at_a_time_splits([1.0, 3.0, 2.0, 6.0])
    >>> orders, splits.tolist()
    ([(0, 1), (1, 0)], [[2.0, 4.0], [4.0, 1.0]])
    """
    v, k = _check_subsets(values_by_subset)
    orders = list(itertools.permutations(range(k)))
    splits = np.empty((len(orders), k, *v.shape[1:]))
    for i, order in enumerate(orders):
        before = 0
        for j in order:
            splits[i, j] = v[before | (1 << j)] - v[before]
            before |= 1 << j
    return orders, splits


# --------------------------------------------------------------------------- scenarios


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
    shape = ModelSpec(
        name=f"{s['price_model']} (shape)",
        **{f: int(s[f]) for f in ("n_layers", "hidden_size", "n_heads", "n_kv_heads", "head_dim",
                                  "intermediate_size", "vocab_size")},
    )  # fmt: skip
    return ServingScenario(
        name=scenario,
        model=shape,
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


# --------------------------------------------------------------------------- the cost model


def _sized(model: ModelSpec, params_active: float) -> ModelSpec:
    """``model`` with its layer count scaled so its active parameters are near the target."""
    base = get_model(model)
    fixed = base.vocab_size * base.hidden_size  # the LM head, read whatever the depth
    per_layer = (base.params_active - fixed) / base.n_layers
    layers = max(1, int(round((params_active - fixed) / per_layer)))
    if layers == base.n_layers:
        return base
    return dataclasses.replace(
        base,
        name=f"{base.name} x{layers} layers",
        n_layers=layers,
        n_dense_layers=None if base.n_experts == 0 else base.n_dense_layers,
        params_total_published=math.nan,
        params_active_published=math.nan,
    )


def _model_grid(s: ServingScenario) -> tuple[list[ModelSpec], np.ndarray]:
    lo, hi = s.params_active
    targets = [lo] if lo == hi else np.geomspace(lo, hi, _MODEL_GRID)
    specs = list({_sized(s.model, t).n_layers: _sized(s.model, t) for t in targets}.values())
    specs.sort(key=lambda m: m.params_active)
    return specs, np.log([m.params_active for m in specs])


def _log_cost(model, gpu, usd_h, serving, draws):
    """Log USD per million tokens (prompt + output) per draw, at the cheapest tensor-parallel
    size. ``serving`` = (scenario giving engine, utilisation and mix; its draws)."""
    s, d = serving
    p, o = s.prompt_tokens, s.output_tokens
    usable = usable_memory_gb(gpu)
    tps = [t for t in _TENSOR_PARALLEL if weight_memory_gb(model, s.precision, t) < usable]
    best = np.full(draws, np.inf)
    if not tps:
        return best
    cap = np.array([max_batch(model, gpu, p + o, s.precision, tensor_parallel=t) for t in tps])
    # batch per (tensor-parallel size, draw): the KV memory's used share, capped by the engine
    batch = np.minimum(np.floor(cap[:, None] * d["kv_used_share"][None, :]), s.max_running_requests)
    fits = batch >= 1
    if not fits.any():
        return best
    # one serving-model call over the distinct (tensor-parallel size, batch) pairs
    key = np.array(tps, dtype=float)[:, None] * 1e9 + batch  # batch < 1e9 (the engine's cap)
    keys = np.unique(key[fits])
    perf = serving_performance(
        model, gpu, keys % 1e9, p, o, s.precision, None, tensor_parallel=keys // 1e9,
        check_memory=False, allow_weight_only=True,
    )  # fmt: skip
    tok = perf["tokens_per_s_per_gpu"].to_numpy()
    for i in range(len(tps)):
        ok = fits[i]
        if not ok.any():
            continue
        rate = tok[np.searchsorted(keys, key[i, ok])]
        out = usd_per_mtok(usd_h[ok], rate * d["throughput_share"][ok], d["utilisation"][ok])
        total = np.log(np.asarray(out) * o / (p + o))  # per million prompt + output tokens
        best[ok] = np.minimum(best[ok], total)
    return best


def _draw(start: ServingScenario, end: ServingScenario, draws: int, seed, central: bool):
    rng = np.random.default_rng(seed)
    uniform = (lambda n: np.full(n, 0.5)) if central else rng.random  # 0.5: geometric midpoint
    out_s, out_e = {}, {}
    for name in ("params_active", "usd_per_gpu_hour", "utilisation", "kv_used_share",
                 "throughput_share"):  # fmt: skip
        (ls, hs), (le, he) = getattr(start, name), getattr(end, name)
        u_s = uniform(draws)
        u_e = u_s if (ls, hs) == (le, he) else uniform(draws)
        out_s[name] = ls * (hs / ls) ** u_s
        out_e[name] = le * (he / le) ** u_e
    return out_s, out_e


@dataclass(frozen=True)
class PriceDecline:
    """The result of :func:`decompose_price_decline`.

    Attributes
    ----------
    summary : pandas.DataFrame
        One row per factor (``model``, ``hardware``, ``serving``, ``residual``, and ``price``
        and ``cost`` for the totals): ``fold_median``, ``fold_low``, ``fold_high`` (the fold
        decline, start / end, median and 5th-95th percentiles over the draws) and
        ``share_median``, ``share_low``, ``share_high`` (the factor's share of the log of the
        price ratio).
    orders : pandas.DataFrame
        The one-at-a-time splits: one row per (order, factor) with ``order`` (e.g.
        ``"model > hardware > serving"``), ``factor`` and ``fold_median``,
        ``fold_low``, ``fold_high``.
    endpoints : pandas.DataFrame
        One row per end (``start``, ``end``): ``price_usd_per_mtok`` (list price of the mix),
        ``cost_median``, ``cost_low``, ``cost_high`` (USD per million tokens) and
        ``margin_median``, ``margin_low``, ``margin_high`` (price / cost).
    draws : pandas.DataFrame
        Per draw: the fold of each factor, ``price``, ``cost``, and ``start_usd_per_mtok``,
        ``end_usd_per_mtok`` (costs).
    price_ratio : float
        The observed fall of the list price of the mix, start / end.
    """

    summary: pd.DataFrame
    orders: pd.DataFrame
    endpoints: pd.DataFrame
    draws: pd.DataFrame
    price_ratio: float


def _interval(x: np.ndarray, axis=0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return tuple(np.percentile(x, [50, 5, 95], axis=axis))


def decompose_price_decline(
    start: ServingScenario,
    end: ServingScenario,
    draws: int = 10_000,
    seed=0,
    *,
    central: bool = False,
) -> PriceDecline:
    """Split the fall of a list price between two scenarios into model, hardware, serving and
    residual factors, with Monte Carlo intervals.

    For every draw of the uncertain inputs, the cost (USD per million prompt and output tokens)
    is computed for each of the ``2**3`` combinations of start and end model, hardware and
    serving (:func:`inferecon.serving_performance` at the batch the engine reaches:
    :func:`inferecon.max_batch` at the request's final context times the engine's KV used share,
    capped by its ``max_running_requests``; the cheapest tensor-parallel size of 1, 2, 4 or 8
    that fits; times the engine's throughput share; priced with :func:`inferecon.usd_per_mtok`).
    The log cost ratio is split with :func:`shapley_split`; the residual is the price ratio over
    the cost ratio. The four factors multiply to the price ratio exactly in every draw.

    Parameters
    ----------
    start, end : ServingScenario
        The two ends; ``start.price_date`` must not be after ``end.price_date``.
    draws : int
        Monte Carlo draws, in [1, 1e7].
    seed : int or numpy.random.Generator, optional
        Seed of the draws (the same seed gives the same result).
    central : bool
        Instead of the Monte Carlo, one evaluation at every range's geometric midpoint
        (``draws`` is ignored): a central estimate for a fast slider drag, without intervals.

    Returns
    -------
    PriceDecline
        ``summary`` (median and 90% interval of each factor's fold and share of the log price
        ratio), ``orders`` (the one-at-a-time splits), ``endpoints`` (cost and price / cost at
        each end), ``draws`` and ``price_ratio``.

    Raises
    ------
    ValueError
        When ``start`` or ``end`` is not a :class:`ServingScenario`, the ends are in the wrong
        order, ``draws`` is out of range, or a model fits on no tensor-parallel size of the
        other end's GPU in some combination (named).

    Notes
    -----
    The factors are measured on the package's serving model; they are only as good as its
    inputs, several of which are stated assumptions (``data/serving_scenarios.csv``).
    """
    for label, s in (("start", start), ("end", end)):
        if not isinstance(s, ServingScenario):
            raise ValueError(f"{label} must be a ServingScenario; got {type(s).__name__}")
    if start.price_date > end.price_date:
        raise ValueError(
            f"start ({start.name!r}, priced {start.price_date.date()}) must not be after end "
            f"({end.name!r}, priced {end.price_date.date()}): endpoints in the wrong order"
        )
    n = 1 if central else int(require_in_range("draws", draws, 1, 1e7))
    d_s, d_e = _draw(start, end, n, seed, central)
    grids = {id(start): _model_grid(start), id(end): _model_grid(end)}
    k = len(DECLINE_FACTORS)
    log_cost = np.empty((2**k, n))
    for mask in range(2**k):
        m_sc, m_d = (end, d_e) if mask & 1 else (start, d_s)
        h_sc, h_d = (end, d_e) if mask & 2 else (start, d_s)
        serving = (end, d_e) if mask & 4 else (start, d_s)
        specs, x = grids[id(m_sc)]
        ys = np.stack([_log_cost(m, h_sc.gpu, h_d["usd_per_gpu_hour"], serving, n) for m in specs])
        if not np.all(np.isfinite(ys)):
            raise ValueError(
                f"model of {m_sc.name!r} does not fit on {h_sc.gpu} with the engine of "
                f"{serving[0].name!r} at tensor-parallel size 1-8 (weights or one request's KV "
                "cache exceed the memory); give a GPU with more memory"
            )
        log_cost[mask] = _interp_rows(np.log(m_d["params_active"]), x, ys)
    decline = log_cost[0] - log_cost  # log(C_start / C_subset): declines are positive
    phi = shapley_split(decline)
    orders, splits = one_at_a_time_splits(decline)
    log_price = math.log(start.usd_per_mtok / end.usd_per_mtok)
    log_cost_ratio = decline[-1]
    residual = log_price - log_cost_ratio
    logs = {name: phi[i] for i, name in enumerate(DECLINE_FACTORS)}
    logs["residual"] = residual
    logs["price"] = np.full(n, log_price)
    logs["cost"] = log_cost_ratio
    rows = []
    for name, lg in logs.items():
        f_med, f_lo, f_hi = _interval(np.exp(lg))
        share = lg / log_price if log_price != 0 else np.full(n, np.nan)
        s_med, s_lo, s_hi = _interval(share)
        rows.append(dict(factor=name, fold_median=f_med, fold_low=f_lo, fold_high=f_hi,
                         share_median=s_med, share_low=s_lo, share_high=s_hi))  # fmt: skip
    order_rows = []
    for i, order in enumerate(orders):
        label = " > ".join(DECLINE_FACTORS[j] for j in order)
        for j, name in enumerate(DECLINE_FACTORS):
            f_med, f_lo, f_hi = _interval(np.exp(splits[i, j]))
            order_rows.append(dict(order=label, factor=name, fold_median=f_med,
                                   fold_low=f_lo, fold_high=f_hi))  # fmt: skip
    cost_s, cost_e = np.exp(log_cost[0]), np.exp(log_cost[-1])
    ends = []
    for label, sc, cost in (("start", start, cost_s), ("end", end, cost_e)):
        c_med, c_lo, c_hi = _interval(cost)
        m_med, m_lo, m_hi = _interval(sc.usd_per_mtok / cost)
        ends.append(dict(endpoint=label, scenario=sc.name, price_usd_per_mtok=sc.usd_per_mtok,
                         cost_median=c_med, cost_low=c_lo, cost_high=c_hi,
                         margin_median=m_med, margin_low=m_lo, margin_high=m_hi))  # fmt: skip
    draw_table = pd.DataFrame({name: np.exp(lg) for name, lg in logs.items()})
    draw_table["start_usd_per_mtok"] = cost_s
    draw_table["end_usd_per_mtok"] = cost_e
    return PriceDecline(
        summary=pd.DataFrame(rows),
        orders=pd.DataFrame(order_rows),
        endpoints=pd.DataFrame(ends),
        draws=draw_table,
        price_ratio=math.exp(log_price),
    )


def _interp_rows(x_draw: np.ndarray, x_grid: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per draw, ``y[:, draw]`` interpolated linearly at ``x_draw`` over ``x_grid`` (clamped
    to the grid's ends, which the draws' range spans up to the rounding of the layer count)."""
    if len(x_grid) == 1:
        return y[0]
    i = np.clip(np.searchsorted(x_grid, x_draw) - 1, 0, len(x_grid) - 2)
    w = np.clip((x_draw - x_grid[i]) / (x_grid[i + 1] - x_grid[i]), 0.0, 1.0)
    cols = np.arange(y.shape[1])
    return y[i, cols] * (1.0 - w) + y[i + 1, cols] * w
