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

**Any two frontier points** (:func:`frontier_scenarios`): open-weight ends take their shape and
size from ``data/models.csv`` (the model factor then rests on no size estimate); closed ones need
a size range. **The forward look** (:func:`forward_look`) carries each factor's own rate (model
sizes at equal capability, the accelerators' price-performance trend, the next engine profile)
past the window and checks it against the later frontier prices; :func:`published_rates_beside`
sets the published rates (``data/published_rates.csv``) beside the split's.

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
import functools
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
    "ASSUMED_PARAMS_ACTIVE",
    "DECLINE_FACTORS",
    "ForwardLook",
    "OPEN_WEIGHT_SHAPES",
    "PriceDecline",
    "STATED_PARAMS_ACTIVE",
    "ServingScenario",
    "decline_closing_note",
    "decline_pairs_table",
    "decline_shares",
    "decompose_price_decline",
    "forward_checks_table",
    "forward_look",
    "frontier_known_sizes",
    "frontier_scenarios",
    "one_at_a_time_splits",
    "published_rates_beside",
    "scenario_table",
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
    ([(0, 1), (1, 0)], [[2.0, 3.0], [4.0, 1.0]])
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


def _model_grid(s: ServingScenario, central: bool = False) -> tuple[list[ModelSpec], np.ndarray]:
    lo, hi = s.params_active
    if lo == hi:
        targets = [lo]
    elif central:
        targets = [math.sqrt(lo * hi)]  # the one size evaluated: the geometric midpoint
    else:
        targets = np.geomspace(lo, hi, _MODEL_GRID)
    specs = list({_sized(s.model, t).n_layers: _sized(s.model, t) for t in targets}.values())
    specs.sort(key=lambda m: m.params_active)
    return specs, np.log([m.params_active for m in specs])


@functools.lru_cache(maxsize=1024)
def _tokens_per_s(model, gpu, keys: tuple, p: int, o: int, precision: str) -> np.ndarray:
    """Tokens/s per GPU of the calibrated engine at each (tensor-parallel size x 1e9 + batch)
    key, one :func:`inferecon.serving_performance` call; kept, since a slider that moves a
    price, a utilisation or an engine's throughput share asks for the same batches again."""
    k = np.asarray(keys, dtype=float)
    perf = serving_performance(
        model, gpu, k % 1e9, p, o, precision, None, tensor_parallel=k // 1e9,
        check_memory=False, allow_weight_only=True,
    )  # fmt: skip
    out = perf["tokens_per_s_per_gpu"].to_numpy(dtype=float).copy()
    out.flags.writeable = False
    return out


@functools.lru_cache(maxsize=1024)
def _capacity(model, gpu, precision: str, context_tokens: int) -> tuple:
    """Tensor-parallel sizes whose weights fit and the batch each could hold at the context."""
    usable = usable_memory_gb(gpu)
    tps = tuple(t for t in _TENSOR_PARALLEL if weight_memory_gb(model, precision, t) < usable)
    cap = tuple(max_batch(model, gpu, context_tokens, precision, tensor_parallel=t) for t in tps)
    return tps, cap


def _log_cost(model, gpu, usd_h, serving, draws):
    """Log USD per million tokens (prompt + output) per draw, at the cheapest tensor-parallel
    size. ``serving`` = (scenario giving engine, utilisation and mix; its draws)."""
    s, d = serving
    p, o = s.prompt_tokens, s.output_tokens
    best = np.full(draws, np.inf)
    tps, cap = _capacity(model, gpu, s.precision, p + o)
    if not tps:
        return best
    cap = np.array(cap, dtype=float)
    # batch per (tensor-parallel size, draw): the KV memory's used share, capped by the engine
    batch = np.minimum(np.floor(cap[:, None] * d["kv_used_share"][None, :]), s.max_running_requests)
    fits = batch >= 1
    if not fits.any():
        return best
    # one serving-model call over the distinct (tensor-parallel size, batch) pairs
    key = np.array(tps, dtype=float)[:, None] * 1e9 + batch  # batch < 1e9 (the engine's cap)
    keys = np.unique(key[fits])
    tok = _tokens_per_s(model, gpu, tuple(keys.tolist()), p, o, s.precision)
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
    grids = {id(start): _model_grid(start, central), id(end): _model_grid(end, central)}
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


# --------------------------------------------------------------------------- any frontier pair

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


def _shape_of_row(row: pd.Series) -> ModelSpec:
    return ModelSpec(
        name=f"{row['price_model']} (shape)",
        **{f: int(row[f]) for f in ("n_layers", "hidden_size", "n_heads", "n_kv_heads",
                                    "head_dim", "intermediate_size", "vocab_size")},
    )  # fmt: skip


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


# --------------------------------------------------------------------------- the forward look

_Z90 = 1.6448536269514722  # the standard normal's 95th percentile


@dataclass(frozen=True)
class ForwardLook:
    """The result of :func:`forward_look`.

    Attributes
    ----------
    rates : pandas.DataFrame
        One row per factor (``model``, ``hardware``, ``serving``, ``residual``, ``total``, and
        ``model x serving`` and ``price`` for comparisons): ``factor_per_year``, ``low``,
        ``high`` (the rate carried forward, decline factor per year: 2 = half the price each
        year; median and 90% interval), ``window_factor_per_year``, ``window_low``,
        ``window_high`` (the decomposition's factor annualised over its window) and ``basis``.
    checks : pandas.DataFrame
        The out-of-sample comparison: one row per later frontier point (``kind`` = ``"new
        low"``) and one for the frontier's level on ``as_of`` (``"level"``): ``date``,
        ``model``, ``observed_usd_per_mtok``, ``predicted_median``, ``predicted_low``,
        ``predicted_high`` (USD per million tokens, 90% interval), ``inside`` (the observed
        price within the interval) and ``observed_over_predicted``.
    path : pandas.DataFrame
        The extrapolated price by month: ``date``, ``median``, ``low``, ``high``.
    window_years : float
        Years between the two ends of the decomposition.
    """

    rates: pd.DataFrame
    checks: pd.DataFrame
    path: pd.DataFrame
    window_years: float


def _lognormal(rng, n, median, low, high):
    """Draws of a rate whose 90% interval is (low, high), normal in logs."""
    sigma = max((math.log(high) - math.log(low)) / (2 * _Z90), 0.0)
    return np.exp(math.log(median) + sigma * rng.standard_normal(n))


def _model_rate(start, end, sizes, window_years):
    """Decline factor per year of the active parameters at equal capability."""
    if sizes is not None and len(sizes) >= 3:
        from .rates import fit_log_linear_trend

        t = fit_log_linear_trend(sizes["date"], sizes["params_active"])
        lo, hi = t.ci90_oom_per_year
        basis = (f"log-linear fit to the active parameters of {t.n_points} frontier models of "
                 f"known size ({t.start.date()} to {t.end.date()})")  # fmt: skip
        return 10.0**-t.slope_oom_per_year, 10.0**-hi, 10.0**-lo, basis
    (ls, hs), (le, he) = start.params_active, end.params_active
    mid = math.sqrt(ls * hs) / math.sqrt(le * he)
    basis = "the two ends' active parameters, annualised over the window (fewer than 3 known sizes)"
    return tuple(x ** (1 / window_years) for x in (mid, ls / he, hs / le)) + (basis,)


def forward_look(
    decline: PriceDecline,
    start: ServingScenario,
    end: ServingScenario,
    frontier: pd.DataFrame,
    hardware_trend,
    engine_profiles: pd.DataFrame,
    as_of,
    *,
    sizes: pd.DataFrame | None = None,
    draws: int = 10_000,
    seed=0,
) -> ForwardLook:
    """Carry each factor's rate past the window and check it against the later frontier prices.

    The rates, as decline factors per year:

    * **model**: the active parameters of the frontier's models of known size
      (:func:`frontier_known_sizes`, a log-linear fit with its 90% interval; the two ends'
      sizes when fewer than 3 are known): the cost of a token is about proportional to the
      bytes it reads;
    * **hardware**: the accelerators' price-performance trend (notebook 06,
      :func:`inferecon.fit_hardware_trend`): FLOP/s per USD grows by this factor a year;
    * **serving**: the end's engine profile against the next year's
      (``data/engine_profiles.csv``), from :func:`decompose_price_decline` (1 when no newer
      profile exists);
    * **residual**: held at 1 (an assumption: a margin cannot fall for ever, and nothing here
      measures its trend).

    The total rate (their product, drawn independently, normal in logs within each 90%
    interval) takes the end's list price forward: ``P(t) = P_end / total ** years``.

    Parameters
    ----------
    decline : PriceDecline
        :func:`decompose_price_decline` of ``start`` and ``end`` (its factors are annualised
        over the window beside the forward rates).
    start, end : ServingScenario
        The two ends.
    frontier : pandas.DataFrame
        :func:`inferecon.cheapest_frontier` of the same benchmark and threshold, **not** cut at
        the end's date: its points after the end are the out-of-sample check.
    hardware_trend : HardwareTrend
        :func:`inferecon.fit_hardware_trend` of ``price_performance``.
    engine_profiles : pandas.DataFrame
        :func:`inferecon.load_engine_profiles`.
    as_of : date-like
        The last date the price data covers (the frontier's level is checked there too), not
        before the end's date.
    sizes : pandas.DataFrame, optional
        Known sizes (:func:`frontier_known_sizes`); only those dated up to the end count.
    draws : int
        Monte Carlo draws, in [1, 1e7].
    seed : int or numpy.random.Generator, optional
        Seed of the draws.

    Returns
    -------
    ForwardLook
        ``rates`` (each factor's rate, forward and in the window), ``checks`` (the comparison
        with the later frontier points: is each inside the extrapolated 90% interval?),
        ``path`` (the extrapolated price by month) and ``window_years``.

    Raises
    ------
    ValueError
        When the ends are in the wrong order, ``as_of`` is before the end, ``hardware_trend``
        is not a price-performance trend, or ``draws`` is out of range.
    """
    from .rates import years_between

    if not hasattr(hardware_trend, "metric") or hardware_trend.metric != "price_performance":
        raise ValueError("hardware_trend must be a price_performance HardwareTrend "
                         "(inferecon.fit_hardware_trend)")  # fmt: skip
    for label, s in (("start", start), ("end", end)):
        if not isinstance(s, ServingScenario):
            raise ValueError(f"{label} must be a ServingScenario; got {type(s).__name__}")
    if not start.price_date < end.price_date:
        raise ValueError(
            f"start ({start.price_date.date()}) must be before end ({end.price_date.date()}): "
            "endpoints in the wrong order"
        )
    as_of = pd.Timestamp(as_of)
    if as_of < end.price_date:
        raise ValueError(f"as_of ({as_of.date()}) must not be before end "
                         f"({end.price_date.date()})")  # fmt: skip
    n = int(require_in_range("draws", draws, 1, 1e7))
    rng = np.random.default_rng(seed)
    years = years_between(start.price_date, end.price_date)

    if sizes is not None:
        sizes = sizes[pd.to_datetime(sizes["date"]) <= end.price_date]
    m_med, m_lo, m_hi, m_basis = _model_rate(start, end, sizes, years)
    h_med = hardware_trend.factor_per_year
    h_lo, h_hi = hardware_trend.factor_per_year_ci90
    # serving: the end's engine against the next year's profile
    now = _engine_of_year(engine_profiles, end.price_date.year)
    later = engine_profiles[engine_profiles["year"] > now["year"]].sort_values("year")
    if len(later):
        nxt = later.iloc[0]
        gap = float(nxt["year"] - now["year"])
        upgraded = dataclasses.replace(
            end,
            name=f"{end.name} with {nxt['engine_profile']}",
            precision=nxt["precision"],
            kv_used_share=(nxt["kv_used_share_low"], nxt["kv_used_share_high"]),
            max_running_requests=int(nxt["max_running_requests"]),
            throughput_share=(nxt["throughput_share_low"], nxt["throughput_share_high"]),
            price_date=end.price_date + pd.Timedelta(days=365.0 * gap),
        )
        s_draws = decompose_price_decline(end, upgraded, draws=n, seed=rng).draws["serving"]
        s_draws = s_draws.to_numpy() ** (1.0 / gap)
        s_basis = (f"engine profile {now['engine_profile']} -> {nxt['engine_profile']} "
                   "(data/engine_profiles.csv)")  # fmt: skip
    else:
        s_draws = np.ones(n)
        s_basis = f"no engine profile after {now['engine_profile']}: held at 1"
    m_draws = _lognormal(rng, n, m_med, m_lo, m_hi)
    h_draws = _lognormal(rng, n, h_med, h_lo, h_hi)
    total = m_draws * h_draws * s_draws

    def window(col):
        return _interval(decline.draws[col].to_numpy() ** (1.0 / years))

    rows = []
    for name, d, basis in (
        ("model", m_draws, m_basis),
        ("hardware", h_draws, f"accelerator price-performance trend at {hardware_trend.precision}"
                              f" ({hardware_trend.fit.n_points} chips, notebook 06)"),
        ("serving", s_draws, s_basis),
        ("residual", np.ones(n), "held at 1 (assumption)"),
        ("total", total, "product of the four"),
    ):  # fmt: skip
        med, lo, hi = _interval(d)
        w = window("cost" if name == "total" else name)
        rows.append(dict(factor=name, factor_per_year=med, low=lo, high=hi,
                         window_factor_per_year=w[0], window_low=w[1], window_high=w[2],
                         basis=basis))  # fmt: skip
    ms = (decline.draws["model"] * decline.draws["serving"]).to_numpy() ** (1.0 / years)
    med, lo, hi = _interval(m_draws * s_draws)
    w = _interval(ms)
    rows.append(dict(factor="model x serving", factor_per_year=med, low=lo, high=hi,
                     window_factor_per_year=w[0], window_low=w[1], window_high=w[2],
                     basis="model and serving together (algorithms and software)"))  # fmt: skip
    pr = decline.price_ratio ** (1.0 / years)
    rows.append(dict(factor="price", factor_per_year=np.nan, low=np.nan, high=np.nan,
                     window_factor_per_year=pr, window_low=pr, window_high=pr,
                     basis="the observed list-price fall, annualised"))  # fmt: skip
    rates = pd.DataFrame(rows)
    # the rates' "total" window is the cost ratio; the price's is the observed one
    rates.loc[rates["factor"] == "total", "basis"] = (
        "product of the four (window: the cost ratio, i.e. without the residual)"
    )

    p_end = end.usd_per_mtok

    def predict(dates):
        t = np.array([years_between(end.price_date, d) for d in dates])
        paths = p_end / total[None, :] ** t[:, None]
        return np.percentile(paths, [50, 5, 95], axis=1)

    later_pts = frontier[(pd.to_datetime(frontier["date"]) > end.price_date)
                         & (pd.to_datetime(frontier["date"]) <= as_of)]  # fmt: skip
    upto = frontier[pd.to_datetime(frontier["date"]) <= as_of]
    level = float(upto["usd_per_mtok"].min()) if len(upto) else p_end
    level_model = (
        str(upto.loc[upto["usd_per_mtok"].astype(float).idxmin(), "model"])
        if len(upto)
        else end.name
    )
    check_rows = [
        dict(kind="new low", date=pd.Timestamp(r["date"]), model=r["model"],
             observed_usd_per_mtok=float(r["usd_per_mtok"]))
        for _, r in later_pts.iterrows()
    ]  # fmt: skip
    check_rows.append(dict(kind="level", date=as_of, model=level_model,
                           observed_usd_per_mtok=min(level, p_end)))  # fmt: skip
    checks = pd.DataFrame(check_rows)
    med, lo, hi = predict(checks["date"])
    checks["predicted_median"], checks["predicted_low"], checks["predicted_high"] = med, lo, hi
    obs = checks["observed_usd_per_mtok"]
    checks["inside"] = (obs >= checks["predicted_low"]) & (obs <= checks["predicted_high"])
    checks["observed_over_predicted"] = obs / checks["predicted_median"]
    months = pd.date_range(end.price_date, max(as_of, end.price_date + pd.Timedelta(days=365)),
                           freq="MS")  # fmt: skip
    dates = pd.DatetimeIndex([end.price_date, *[m for m in months if m > end.price_date]])
    med, lo, hi = predict(dates)
    path = pd.DataFrame({"date": dates, "median": med, "low": lo, "high": hi})
    return ForwardLook(rates=rates, checks=checks, path=path, window_years=years)


# --------------------------------------------------------------------------- published rates

_PUBLISHED_COUNTERPARTS = (
    # key, label, the package's row to compare with (in ForwardLook.rates), its column kind
    ("epoch_price_decline_range", "Epoch AI: price at constant capability, across tasks",
     "price"),
    ("epoch_price_decline_range@value", "Epoch AI: GPT-4 level (GPQA Diamond)", "price"),
    ("a16z_llmflation", "a16z LLMflation: cost at equal performance", "price"),
    ("gundlach_2025_frontier_price_decline", "Gundlach et al. 2025: frontier models' price",
     "price"),
    ("ai_index_2025_hardware_cost_decline", "AI Index 2025: hardware cost -30%/yr", "hardware"),
    ("ai_index_2025_energy_efficiency_gain", "AI Index 2025: energy efficiency +40%/yr",
     "hardware"),
    ("gundlach_2025_algorithmic_efficiency", "Gundlach et al. 2025: algorithmic efficiency",
     "model x serving"),
)  # fmt: skip


def published_rates_beside(published: pd.DataFrame, rates: pd.DataFrame) -> pd.DataFrame:
    """Published decline rates beside the package's, as factors per year.

    The published numbers are rows of ``data/published_rates.csv`` (each with its source):
    Epoch AI's 9-900x a year across tasks and 40x at GPT-4 level, a16z's 10x, Gundlach et al.
    2025's 5-10x for frontier models and ~3x algorithmic efficiency, the AI Index 2025's
    hardware cost -30% a year (x1/(1 - 0.3) = x1.43 price-performance) and energy efficiency
    +40% a year (x1.40). Each is set beside the factor of the decomposition it speaks to: the
    observed price fall, the hardware factor, or model and serving together (what Gundlach et
    al. call algorithms: smaller models at equal capability and better software).

    Parameters
    ----------
    published : pandas.DataFrame
        :func:`inferecon.load_published_rates`.
    rates : pandas.DataFrame
        :attr:`ForwardLook.rates`.

    Returns
    -------
    pandas.DataFrame
        ``claim``, ``published``, ``published_low``, ``published_high`` (factor per year; low
        and high NaN for a point claim), ``compared_with`` (the package's factor),
        ``package``, ``package_low``, ``package_high`` (the factor annualised over the window,
        median and 90% interval), ``agrees`` (the intervals overlap, a point counting as an
        interval of one value) and ``source``.
    """
    r = rates.set_index("factor")
    rows = []
    for key, label, factor in _PUBLISHED_COUNTERPARTS:
        base, _, field = key.partition("@")
        if base not in published.index:
            continue
        row = published.loc[base]
        value, lo, hi = (float(row[c]) if pd.notna(row[c]) else np.nan
                         for c in ("value", "low", "high"))  # fmt: skip
        if field == "value":
            lo = hi = np.nan
        elif base == "epoch_price_decline_range":
            value = np.nan
        if row["unit"] == "fraction_per_year":
            value = 1.0 / (1.0 - value) if "cost" in base else 1.0 + value
        p = r.loc[factor]
        pk = (p["window_factor_per_year"], p["window_low"], p["window_high"])
        a_lo, a_hi = (value, value) if np.isnan(lo) else (lo, hi)
        agrees = bool(a_lo <= pk[2] and pk[1] <= a_hi)
        rows.append(dict(claim=label, published=value, published_low=lo, published_high=hi,
                         compared_with=factor, package=pk[0], package_low=pk[1],
                         package_high=pk[2], agrees=agrees, source=row["source"]))  # fmt: skip
    return pd.DataFrame(rows)


ASSUMED_PARAMS_ACTIVE: dict[str, tuple[float, float]] = {
    "GPT-4 (0314)": (1.0e11, 2.2e11),
}
"""Active-parameter ranges **assumed** for closed models whose makers state no size, used by
notebook 07 and its explorer (pass your own to :func:`frontier_scenarios`). GPT-4 (0314): OpenAI
has published no size; 100B-220B active parameters is an assumption (a mixture of experts is
widely reported, not confirmed), capped where its bf16 weights still fit one 8-GPU A100-80GB
server, as the dense stand-in shape needs."""


def decline_shares(decline: PriceDecline) -> pd.DataFrame:
    """Each factor's share of the log price ratio, shares that add up to exactly 1.

    The share of factor ``k`` is ``mean(log f_k) / log(P_start / P_end)`` over the draws: means
    add, so the four shares sum to 1 (the medians of :attr:`PriceDecline.summary` need not).

    Parameters
    ----------
    decline : PriceDecline
        :func:`decompose_price_decline`.

    Returns
    -------
    pandas.DataFrame
        One row per factor (``model``, ``hardware``, ``serving``, ``residual``): ``share``
        (dimensionless), ``share_low``, ``share_high`` (5th and 95th percentiles of the share
        per draw) and ``fold`` (``exp`` of the mean log factor: the geometric mean fold).

    Raises
    ------
    ValueError
        When the price did not change (a share of no change is undefined).
    """
    log_price = math.log(decline.price_ratio)
    if log_price == 0:
        raise ValueError("decline.price_ratio is 1: shares of an unchanged price are undefined")
    rows = []
    for f in (*DECLINE_FACTORS, "residual"):
        lg = np.log(decline.draws[f].to_numpy())
        _, lo, hi = _interval(lg / log_price)
        rows.append(dict(factor=f, share=float(lg.mean() / log_price), share_low=lo,
                         share_high=hi, fold=float(math.exp(lg.mean()))))  # fmt: skip
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- tables for notebook 07

_RANGES = ("params_active", "usd_per_gpu_hour", "utilisation", "kv_used_share",
           "throughput_share")  # fmt: skip


def scenario_table(scenarios) -> pd.DataFrame:
    """The inputs of serving scenarios side by side, with which of them are ranges (estimates).

    Parameters
    ----------
    scenarios : sequence of ServingScenario
        E.g. the two ends of :func:`frontier_scenarios`.

    Returns
    -------
    pandas.DataFrame
        One row per input (``model``, ``params_active_low``/``_high`` ... ``usd_per_mtok``,
        ``price_date``, ``estimated``), one column per scenario (its name). ``estimated`` lists
        the inputs given as a range (low < high).
    """
    cols = {}
    for s in scenarios:
        if not isinstance(s, ServingScenario):
            raise ValueError(f"scenarios must be ServingScenario objects; got {type(s).__name__}")
        col = {"model": get_model(s.model).name, "gpu": s.gpu, "precision": s.precision}
        for f in _RANGES:
            col[f"{f}_low"], col[f"{f}_high"] = getattr(s, f)
        col.update(
            max_running_requests=s.max_running_requests,
            prompt_tokens=s.prompt_tokens,
            output_tokens=s.output_tokens,
            usd_per_mtok=s.usd_per_mtok,
            price_date=s.price_date.date(),
            estimated=", ".join(f for f in _RANGES if getattr(s, f)[0] < getattr(s, f)[1]),
        )
        cols[s.name] = col
    return pd.DataFrame(cols)


def decline_pairs_table(declines: dict) -> pd.DataFrame:
    """Several decompositions side by side: the price fall, each factor's fold and share.

    Parameters
    ----------
    declines : dict of str to PriceDecline
        Label to :func:`decompose_price_decline`.

    Returns
    -------
    pandas.DataFrame
        One row per label: ``price_ratio``, then per factor (``model``, ``hardware``,
        ``serving``, ``residual``) its geometric-mean fold and its share of the log price ratio
        (``<factor>_fold``, ``<factor>_share``; :func:`decline_shares`: the folds multiply to
        the price ratio, the shares add to 1).
    """
    rows = {}
    for label, d in declines.items():
        sh = decline_shares(d).set_index("factor")
        row = {"price_ratio": d.price_ratio}
        for f in sh.index:
            row[f"{f}_fold"] = sh.loc[f, "fold"]
            row[f"{f}_share"] = sh.loc[f, "share"]
        rows[label] = row
    return pd.DataFrame.from_dict(rows, orient="index")


def forward_checks_table(looks: dict) -> pd.DataFrame:
    """The out-of-sample checks of several forward looks in one table.

    Parameters
    ----------
    looks : dict of str to ForwardLook
        Label to :func:`forward_look`.

    Returns
    -------
    pandas.DataFrame
        :attr:`ForwardLook.checks` of each (``date`` as a calendar date, so the table can be
        rounded), with a first column ``pair`` (the label) and ``total_per_year`` (the
        forward rate's median).
    """
    parts = []
    for label, f in looks.items():
        total = float(f.rates.set_index("factor").loc["total", "factor_per_year"])
        parts.append(f.checks.assign(pair=label, total_per_year=total,
                                     date=f.checks["date"].dt.date))  # fmt: skip
    out = pd.concat(parts, ignore_index=True)
    return out[["pair", *[c for c in out.columns if c != "pair"]]]


def decline_closing_note(decline: PriceDecline, look: ForwardLook) -> str:
    """The decomposition and the forward look's check in a few sentences (numbers computed).

    Parameters
    ----------
    decline : PriceDecline
        :func:`decompose_price_decline`.
    look : ForwardLook
        :func:`forward_look` of the same ends.

    Returns
    -------
    str
        The price ratio, each factor's median fold with its 90% interval, the cost at each end,
        the forward rate and how many later frontier checks fell inside its interval.
    """
    s = decline.summary.set_index("factor")

    def fold(f):
        r = s.loc[f]
        return f"{r['fold_median']:.3g}x [{r['fold_low']:.3g}, {r['fold_high']:.3g}]"

    r = look.rates.set_index("factor").loc["total"]
    c = look.checks
    lines = [
        f"List price of the mix fell {decline.price_ratio:.1f}x. Of it (median [90% interval]):",
        *(f"  {f:<9} {fold(f)}" for f in (*DECLINE_FACTORS, "residual")),
        f"  costs together {fold('cost')}",
        f"Carried forward: {r['factor_per_year']:.3g}x a year [{r['low']:.3g}, {r['high']:.3g}].",
    ]
    for _, row in c.iterrows():
        where = "inside" if row["inside"] else (
            "above" if row["observed_usd_per_mtok"] > row["predicted_high"] else "below"
        )  # fmt: skip
        lines.append(
            f"  {row['date'].date()} {row['model']} ({row['kind']}): USD "
            f"{row['observed_usd_per_mtok']:.4g} vs predicted {row['predicted_median']:.3g} "
            f"[{row['predicted_low']:.3g}, {row['predicted_high']:.3g}]: {where} the interval"
        )
    return "\n".join(lines)
