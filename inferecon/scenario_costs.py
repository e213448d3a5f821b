"""The cost of serving a scenario: USD per million tokens (prompt and output together, the way a
blended list price counts them) of its request mix on the package's calibrated serving model
(:func:`inferecon.serving_performance`, :func:`inferecon.max_batch`,
:func:`inferecon.usd_per_mtok`), for arrays of Monte Carlo draws.

The batch an engine reaches takes few distinct values, so each (factor combination, model size)
is one call of :func:`inferecon.serving_performance` over those values and every tensor-parallel
size (kept in a cache: a slider that moves a price or a utilisation asks for the same batches
again). Sizes across a parameter range are evaluated on a grid of a few layer counts and log
cost is interpolated in log parameters between them.
"""

from __future__ import annotations

import dataclasses
import functools
import math

import numpy as np

from .decline_scenarios import ServingScenario
from .serving import max_batch, serving_performance, usable_memory_gb, weight_memory_gb
from .specs import ModelSpec, get_model
from .token_costs import usd_per_mtok

__all__: list[str] = []


_TENSOR_PARALLEL = (1, 2, 4, 8)
"""Tensor-parallel sizes an operator may pick (one 8-GPU server at most); the cheapest that fits
is taken per draw."""

_MODEL_GRID = 3
"""Model sizes evaluated across a parameter range; log cost is interpolated in log parameters
between them (the cost is smooth in size: linear in the bytes read)."""


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


def _interp_rows(x_draw: np.ndarray, x_grid: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per draw, ``y[:, draw]`` interpolated linearly at ``x_draw`` over ``x_grid`` (clamped
    to the grid's ends, which the draws' range spans up to the rounding of the layer count)."""
    if len(x_grid) == 1:
        return y[0]
    i = np.clip(np.searchsorted(x_grid, x_draw) - 1, 0, len(x_grid) - 2)
    w = np.clip((x_draw - x_grid[i]) / (x_grid[i + 1] - x_grid[i]), 0.0, 1.0)
    cols = np.arange(y.shape[1])
    return y[i, cols] * (1.0 - w) + y[i + 1, cols] * w
