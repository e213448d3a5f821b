"""The speed/throughput frontier: tokens per second per user against per GPU and per MW.

Over batch sizes, tensor-parallel sizes and the precisions each GPU supports, the Pareto set of
tokens per second per user against tokens per second per GPU (and per MW), the cost along it,
the operating point for a target speed per user and tiered prices read off it
(:func:`throughput_frontier`, :func:`frontier_costs`, :func:`operating_point_for_speed`,
:func:`tiered_prices`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._validate import renamed_parameters, require_in_range, require_positive
from .expert_parallel import EXPERT_PARALLEL_SIZES, expert_parallel_serving_performance
from .factory_assumptions import _arr, default_all_in_kw_per_gpu
from .serving import serving_performance
from .specs import (
    GPUSpec,
    check_native_precision,
    check_precision,
    get_gpu,
    get_model,
    native_precisions,
)
from .token_costs import cost_breakdown
from .token_energy import tokens_per_s_per_mw
from .uncertainty import cost_band, throughput_band

__all__ = [
    "FRONTIER_BATCH_SIZES",
    "frontier_costs",
    "operating_point_for_speed",
    "operating_points_by_gpu",
    "pareto_mask",
    "throughput_frontier",
    "tiered_prices",
]


def pareto_mask(x, y, groups=None) -> np.ndarray:
    """Which points no other point beats on both ``x`` and ``y`` (higher is better on both).

    A point is kept when every point with a larger ``x`` has a smaller ``y``; of exact ties
    the first is kept.

    Parameters
    ----------
    x, y : array_like
        Finite values, same length.
    groups : array_like, optional
        Labels: one frontier per group (e.g. per GPU).

    Returns
    -------
    numpy.ndarray of bool
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(f"x and y must be 1-D and the same length; got {x.shape}, {y.shape}")
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise ValueError("x and y must be finite")
    keep = np.zeros(len(x), dtype=bool)
    labels = np.zeros(len(x)) if groups is None else np.asarray(groups)
    for g in pd.unique(labels):
        idx = np.flatnonzero(labels == g)
        order = idx[np.lexsort((-y[idx], -x[idx]))]  # x descending, then y descending
        best = np.maximum.accumulate(y[order])
        prev = np.concatenate(([-np.inf], best[:-1]))
        keep[order[y[order] > prev]] = True
    return keep


FRONTIER_BATCH_SIZES = np.unique(np.round(np.geomspace(1, 4096, 64))).astype(float)
"""Batch sizes :func:`throughput_frontier` sweeps by default: 64 log-spaced points from 1 to
4,096, rounded to whole requests; the duplicates among the small ones dropped, 55 remain."""

_FRONTIER_COLUMNS = [
    "model", "gpu", "precision", "tensor_parallel", "batch", "tokens_per_s_per_user",
    "tokens_per_s_per_gpu", "tokens_per_s_per_mw", "pareto", "pareto_mw",
]  # fmt: skip
"""The columns of an empty frontier (nothing fits)."""


def _gpu_precisions(g: GPUSpec, precisions, allow_weight_only: bool) -> list[str]:
    """The formats to sweep on ``g``: its native ones, or ``precisions`` checked against it."""
    if precisions is None:
        return native_precisions(g)
    precs = [check_precision("precisions", p) for p in precisions]
    for p in precs:
        check_native_precision(g, p, allow_weight_only=allow_weight_only)
    return precs


def _gpu_all_in_kw(g: GPUSpec, all_in_kw_per_gpu) -> float:
    """All-in kW of ``g``: one number for every GPU, its entry of a dict, or the cited default."""
    if isinstance(all_in_kw_per_gpu, dict) and g.name in all_in_kw_per_gpu:
        name = f"all_in_kw_per_gpu[{g.name!r}]"
        return float(require_positive(name, all_in_kw_per_gpu[g.name]))
    if all_in_kw_per_gpu is not None and not isinstance(all_in_kw_per_gpu, dict):
        return float(require_positive("all_in_kw_per_gpu", all_in_kw_per_gpu))
    return default_all_in_kw_per_gpu(g)[0]


def _fitting_configurations(sp: pd.DataFrame, g: GPUSpec, kw: float, ep=None) -> dict | None:
    """The rows of one :func:`inferecon.serving_performance` sweep that fit in memory, as
    frontier columns of numpy arrays (None when none fits). ``ep``: ``False`` for a tensor-
    parallel sweep of a frontier with expert-parallel rows, ``True`` for an
    :func:`inferecon.expert_parallel_serving_performance` sweep (both add ``expert_parallel``
    and ``configuration``); ``None`` adds nothing."""
    fits = sp["fits"].to_numpy(bool)
    n = int(fits.sum())
    if not n:
        return None
    col = {c: sp[c].to_numpy()[fits] for c in _SERVING_COLUMNS}
    tps, j = col["tokens_per_s_per_gpu"], col["joules_per_output_token"]
    extra = {}
    if ep is not None:
        sizes = sp["expert_parallel"].to_numpy()[fits] if ep else col["tensor_parallel"]
        label = "EP{} DP-attention" if ep else "TP{}"
        extra = {
            "expert_parallel": sizes if ep else np.ones(n, dtype=np.int64),
            "configuration": np.array([label.format(int(v)) for v in sizes], dtype=object),
        }
    return {
        "model": col["model"],
        "gpu": np.full(n, g.name, dtype=object),
        "precision": col["precision"],
        "tensor_parallel": col["tensor_parallel"],
        "batch": col["batch"],
        "prompt_tokens": col["prompt_tokens"],
        "output_tokens": col["output_tokens"],
        "tokens_per_s_per_user": col["tokens_per_s_per_user"],
        "tokens_per_s_per_gpu": tps,
        "total_tokens_per_s_per_gpu": tps * (1.0 + col["prompt_tokens"] / col["output_tokens"]),
        "ttft_ms": col["ttft_ms"],
        "power_w": j * tps,
        "joules_per_output_token": j,
        "idle_w": np.full(n, g.idle_w),
        "all_in_kw_per_gpu": np.full(n, kw),
        "tokens_per_s_per_mw": tokens_per_s_per_mw(tps, kw),
        **extra,
    }


_SERVING_COLUMNS = (
    "model", "precision", "tensor_parallel", "batch", "prompt_tokens", "output_tokens",
    "tokens_per_s_per_user", "tokens_per_s_per_gpu", "ttft_ms", "joules_per_output_token",
)  # fmt: skip
"""The columns of :func:`inferecon.serving_performance` a frontier keeps."""


@renamed_parameters(tp_sizes="tensor_parallel_sizes", all_in_kw="all_in_kw_per_gpu")
def throughput_frontier(
    model,
    gpus,
    prompt_tokens,
    output_tokens,
    *,
    precisions=None,
    tensor_parallel_sizes=(1, 2, 4, 8),
    batches=None,
    efficiency=None,
    all_in_kw_per_gpu=None,
    allow_weight_only: bool = False,
    expert_parallel_sizes=(),
) -> pd.DataFrame:
    """Every configuration that fits, per GPU: speed per user against throughput per GPU and MW.

    For each GPU, precision and tensor-parallel size, :func:`inferecon.serving_performance`
    evaluates every batch size in one call (static batching of requests of ``prompt_tokens``
    in and ``output_tokens`` out); configurations whose KV cache does not fit are dropped. The
    KV cache is kept in the weights' format, except that FP4 weights keep it in FP8 (engines
    keep the KV cache in FP8: SGLang's NVFP4 DeepSeek deployment pairs NVFP4 experts with an FP8
    KV cache, LMSYS 2025-09-25, https://lmsys.org/blog/2025-09-25-gb200-part-2; NVIDIA's ModelOpt
    FP4 checkpoints normally quantise the KV cache to FP8, see ``data/published_throughput.csv``'s
    notes). For a MoE model,
    ``expert_parallel_sizes`` adds wide expert parallelism with data-parallel attention
    (:func:`inferecon.expert_parallel_serving_performance`, ``batch`` then counts requests per
    GPU) at each size the GPU's NVLink domain holds (``nvlink_domain_gpus`` of
    ``data/gpus.csv``: 8 on an HGX board, 72 on a GB200 NVL72), labelled in the
    ``configuration`` column (``"TP8"``, ``"EP72 DP-attention"``). The
    Pareto set (:func:`pareto_mask`) of (tokens/s per user, tokens/s per GPU) is flagged per
    GPU (``pareto``) and over all GPUs per MW of all-in power (``pareto_mw``): NVIDIA's "AI
    factory" chart and SemiAnalysis InferenceMAX's main view.

    Parameters
    ----------
    model : str or ModelSpec
        The model.
    gpus : str, GPUSpec or sequence of them
        Accelerators to compare.
    prompt_tokens, output_tokens : int
        Request shape.
    precisions : sequence of str, optional
        Formats to sweep; each GPU's native ones (:func:`native_precisions`) when omitted. A
        format a GPU lacks raises unless ``allow_weight_only``.
    tensor_parallel_sizes : sequence of int
        Tensor-parallel sizes (GPUs one replica spans).
    batches : array_like, optional
        Batch sizes (default: :data:`FRONTIER_BATCH_SIZES`, log-spaced from 1 to 4,096).
    efficiency : optional
        Serving efficiency (``None`` = the stored calibration).
    all_in_kw_per_gpu : float or dict of str to float, optional
        All-in power per GPU, kW: one number for every GPU, or a dict by GPU name;
        :func:`default_all_in_kw_per_gpu`'s cited defaults for the GPUs it leaves out.
    allow_weight_only : bool
        Allow formats without tensor cores (weight-only quantisation).
    expert_parallel_sizes : sequence of int, or "default"
        Expert-parallel sizes to add for a MoE model (ignored for a dense one), each kept only
        where it fits the GPU's NVLink domain; ``"default"`` is
        :data:`inferecon.EXPERT_PARALLEL_SIZES` (8, 16, 32, 64, 72). Empty (the default): tensor
        parallelism only, as before.

    Returns
    -------
    pandas.DataFrame
        ``gpu``, ``precision``, ``tensor_parallel``, ``batch``, ``tokens_per_s_per_user``,
        ``tokens_per_s_per_gpu``, ``total_tokens_per_s_per_gpu`` (prompt and output tokens
        processed, the way some benchmarks count), ``ttft_ms``, ``power_w`` (average board power
        per GPU),
        ``joules_per_output_token``, ``idle_w``, ``all_in_kw_per_gpu``,
        ``tokens_per_s_per_mw``, ``pareto`` and ``pareto_mw``; with expert-parallel sizes for a
        MoE model also ``expert_parallel`` (1 for tensor-parallel rows) and ``configuration``.
        With the stored calibration (``efficiency=None``) also each GPU's calibration band
        (:func:`inferecon.throughput_band`: ``rel_error``, ``calibrated`` and ``_low``/``_high``
        of the throughputs). Empty when nothing fits.
    """
    m = get_model(model)
    gpu_list = [gpus] if isinstance(gpus, (str, GPUSpec)) else list(gpus)
    if not gpu_list:
        raise ValueError("gpus must name at least one GPU")
    b = FRONTIER_BATCH_SIZES if batches is None else _arr(batches).ravel()
    require_positive("batches", b)
    tp = _arr(tensor_parallel_sizes).ravel()
    require_in_range("tensor_parallel_sizes", tp, 1, 4096)
    require_positive("prompt_tokens", prompt_tokens)
    require_positive("output_tokens", output_tokens)
    bb, nn = (a.ravel() for a in np.meshgrid(b, tp))
    ep_sizes = _expert_parallel_sizes(expert_parallel_sizes) if m.n_experts else np.array([])
    ep = True if len(ep_sizes) else None
    frames = []
    for gpu in gpu_list:
        g = get_gpu(gpu)
        kw = _gpu_all_in_kw(g, all_in_kw_per_gpu)
        fit_ep = ep_sizes[(ep_sizes > 1) & (ep_sizes <= g.nvlink_domain_gpus)]
        for p in _gpu_precisions(g, precisions, allow_weight_only):
            kvp = _frontier_kv_precision(p)
            sp = serving_performance(
                m, g, bb, prompt_tokens, output_tokens, p, efficiency,
                tensor_parallel=nn, check_memory=False, usd_per_gpu_hour=1.0,
                allow_weight_only=allow_weight_only, kv_precision=kvp,
            )  # fmt: skip
            frames.append(_fitting_configurations(sp, g, kw, None if ep is None else False))
            if len(fit_ep):
                eb, en = (a.ravel() for a in np.meshgrid(b, fit_ep))
                sp = expert_parallel_serving_performance(
                    m, g, eb, prompt_tokens, output_tokens, en, p, efficiency,
                    kv_precision=kvp, check_memory=False, usd_per_gpu_hour=1.0,
                    allow_weight_only=allow_weight_only,
                )  # fmt: skip
                frames.append(_fitting_configurations(sp, g, kw, True))
    frames = [f for f in frames if f is not None]
    if not frames:
        return pd.DataFrame(columns=_FRONTIER_COLUMNS)
    df = pd.DataFrame({c: np.concatenate([f[c] for f in frames]) for c in frames[0]})
    x = df["tokens_per_s_per_user"].to_numpy()
    df["pareto"] = pareto_mask(x, df["tokens_per_s_per_gpu"].to_numpy(), df["gpu"])
    df["pareto_mw"] = pareto_mask(x, df["tokens_per_s_per_mw"].to_numpy())
    if efficiency is None:  # the stored calibration: carry its held-out error (issue 18)
        df = throughput_band(df)
    return df


def _frontier_kv_precision(precision: str) -> str | None:
    """The frontier's KV-cache format: FP8 for FP4 weights, else the weights' (``None``)."""
    return "fp8" if precision == "fp4" else None


def _expert_parallel_sizes(sizes) -> np.ndarray:
    """The validated expert-parallel sizes of :func:`throughput_frontier`."""
    if isinstance(sizes, str):
        if sizes != "default":
            raise ValueError(f"expert_parallel_sizes must be 'default' or sizes; got {sizes!r}")
        sizes = EXPERT_PARALLEL_SIZES
    out = _arr(sizes).ravel() if len(sizes) else np.array([])
    if len(out):
        require_in_range("expert_parallel_sizes", out, 1, 4096)
    return out


def frontier_costs(
    frontier: pd.DataFrame,
    *,
    usd_per_gpu_hour=None,
    purchase_usd=None,
    lifetime_years=None,
    cost_of_capital=0.0,
    utilisation=1.0,
    usd_per_kwh=None,
    pue=None,
    facility_usd_per_kw_month=0.0,
) -> pd.DataFrame:
    """The frontier's configurations with their cost per million output tokens.

    Parameters
    ----------
    frontier : pandas.DataFrame
        Output of :func:`throughput_frontier`.
    usd_per_gpu_hour : float or dict of str to float, optional
        Rental price per GPU-hour (one for all GPUs, or by GPU name). When neither this nor
        ``purchase_usd`` is given, each GPU's mid rental price in ``data/gpus.csv``.
    purchase_usd : float or dict of str to float, optional
        Owning: price per GPU (one, or by GPU name), with ``lifetime_years`` and
        ``cost_of_capital``.
    lifetime_years, cost_of_capital : float
        Years the owned hardware serves, and the yearly cost of capital, as in
        :func:`owned_usd_per_gpu_hour`.
    utilisation, usd_per_kwh, pue, facility_usd_per_kw_month
        As in :func:`cost_breakdown` (hosting uses each row's ``all_in_kw_per_gpu``).

    Returns
    -------
    pandas.DataFrame
        ``frontier`` with the :func:`cost_breakdown` columns added; for a frontier that carries
        the calibration band (``rel_error``), also :func:`inferecon.cost_band`'s columns
        (``total_usd_per_mtok_low`` / ``_high``).
    """
    if not len(frontier):
        return frontier.assign(total_usd_per_mtok=pd.Series(dtype=float))
    names = frontier["gpu"].to_numpy()

    def per_gpu(value, what):
        if isinstance(value, dict):
            missing = sorted(set(names) - set(value))
            if missing:
                raise ValueError(f"{what} has no value for GPU(s) {missing}")
            return np.array([value[n] for n in names], dtype=float)
        return value

    rent, own = per_gpu(usd_per_gpu_hour, "usd_per_gpu_hour"), per_gpu(purchase_usd, "purchase_usd")
    if rent is None and own is None:
        mids = {n: get_gpu(n).usd_per_gpu_hour_mid for n in pd.unique(names)}
        bad = sorted(n for n, v in mids.items() if not np.isfinite(v))
        if bad:
            raise ValueError(f"no rental price in data/gpus.csv for {bad}; give usd_per_gpu_hour")
        rent = np.array([mids[n] for n in names])
    costs = cost_breakdown(
        frontier["tokens_per_s_per_gpu"].to_numpy(), frontier["power_w"].to_numpy(),
        usd_per_gpu_hour=rent, purchase_usd=own, lifetime_years=lifetime_years,
        cost_of_capital=cost_of_capital, utilisation=utilisation, usd_per_kwh=usd_per_kwh,
        pue=pue, idle_w=frontier["idle_w"].to_numpy(),
        all_in_kw_per_gpu=frontier["all_in_kw_per_gpu"].to_numpy(),
        facility_usd_per_kw_month=facility_usd_per_kw_month,
    )  # fmt: skip
    drop = {"joules_per_token", "all_in_kw_per_gpu", "tokens_per_s_per_mw"}
    columns = {c: frontier[c].to_numpy() for c in frontier.columns}
    columns.update((c, costs[c].to_numpy()) for c in costs.columns if c not in drop)
    out = pd.DataFrame(columns)  # one frame, not a column at a time (this runs per slider step)
    # a banded frontier (the stored calibration) gives banded costs (issue 18)
    return cost_band(out) if "rel_error" in frontier else out


def _describe(row) -> str:
    label = row.get("configuration")
    config = label if isinstance(label, str) else f"TP{int(row['tensor_parallel'])}"
    return (
        f"{row['gpu']} {row['precision']} {config} "
        f"batch {int(row['batch'])}: "
        f"{row['tokens_per_s_per_user']:,.0f} tokens/s per user"
    )


def operating_point_for_speed(
    frontier: pd.DataFrame,
    target_tokens_per_s_per_user,
    *,
    gpu=None,
    objective: str = "per_gpu",
    on_unreachable: str = "raise",
) -> pd.Series:
    """The best configuration that serves each user at least ``target`` tokens per second.

    Parameters
    ----------
    frontier : pandas.DataFrame
        Output of :func:`throughput_frontier` (or :func:`frontier_costs`).
    target_tokens_per_s_per_user : float
        Required decode speed per user, > 0.
    gpu : str, optional
        Restrict to one GPU (a name in the frontier).
    objective : {"per_gpu", "per_mw", "cost"}
        Most output tokens per second per GPU, most per MW of all-in power, or the cheapest per
        million tokens (needs :func:`frontier_costs` columns).
    on_unreachable : {"raise", "fastest"}
        When no configuration is that fast: raise ``ValueError`` naming the fastest reachable
        configuration, or return that configuration with ``reachable = False``.

    Returns
    -------
    pandas.Series
        The chosen row, with ``reachable`` (bool) and ``target_tokens_per_s_per_user``.
    """
    target = float(require_positive("target_tokens_per_s_per_user", target_tokens_per_s_per_user))
    _check_objective(objective)
    if on_unreachable not in ("raise", "fastest"):
        raise ValueError(f"on_unreachable must be 'raise' or 'fastest'; got {on_unreachable!r}")
    rows = np.arange(len(frontier))
    if gpu is not None:
        name = get_gpu(gpu).name
        rows = np.flatnonzero(frontier["gpu"].to_numpy() == name)
        if not len(rows):
            raise ValueError(
                f"GPU {name!r} is not in the frontier (has {sorted(set(frontier['gpu']))})"
            )
    if not len(rows):
        raise ValueError("the frontier is empty: no configuration fits in memory")
    i, reachable = _best_row(frontier, rows, target, objective)
    if not reachable and on_unreachable == "raise":
        raise ValueError(
            f"target_tokens_per_s_per_user={target:g} is unreachable: the fastest "
            f"configuration is {_describe(frontier.iloc[i])}"
        )
    flags = pd.Series({"reachable": reachable, "target_tokens_per_s_per_user": target})
    return pd.concat([frontier.iloc[i], flags])


_OBJECTIVE_COLUMNS = {
    "per_gpu": "tokens_per_s_per_gpu",
    "per_mw": "tokens_per_s_per_mw",
    "cost": "total_usd_per_mtok",
}
"""What each objective of :func:`operating_point_for_speed` ranks by (cost: the least)."""


def _check_objective(objective: str) -> None:
    if objective not in _OBJECTIVE_COLUMNS:
        raise ValueError(
            f"objective must be one of ['cost', 'per_gpu', 'per_mw']; got {objective!r}"
        )


def _best_row(frontier: pd.DataFrame, rows: np.ndarray, target: float, objective: str):
    """(position, reachable): of ``rows`` of ``frontier``, the best by ``objective`` at least
    ``target`` tokens/s per user fast, or the fastest when none is (first of ties)."""
    speed = frontier["tokens_per_s_per_user"].to_numpy()[rows]
    ok = rows[speed >= target]
    if not len(ok):
        return int(rows[np.argmax(speed)]), False
    column = _OBJECTIVE_COLUMNS[objective]
    if column not in frontier:
        raise ValueError(f"objective={objective!r} needs frontier_costs(...) columns")
    values = frontier[column].to_numpy()[ok]
    return int(ok[np.argmin(values) if objective == "cost" else np.argmax(values)]), True


def operating_points_by_gpu(
    frontier: pd.DataFrame, target_tokens_per_s_per_user, *, objective: str = "cost"
) -> pd.DataFrame:
    """:func:`operating_point_for_speed` for every GPU of the frontier at once.

    Each GPU's best configuration at least ``target_tokens_per_s_per_user`` fast, or its
    fastest one (``reachable`` False) when none is that fast.

    Parameters
    ----------
    frontier : pandas.DataFrame
        Output of :func:`throughput_frontier` (or :func:`frontier_costs`, needed for
        ``objective="cost"``).
    target_tokens_per_s_per_user : float
        Required decode speed per user, tokens/s, > 0.
    objective : {"cost", "per_gpu", "per_mw"}
        As in :func:`operating_point_for_speed`.

    Returns
    -------
    pandas.DataFrame
        One row per GPU, in the order the frontier first lists them: the chosen row's columns,
        ``reachable``, ``target_tokens_per_s_per_user`` and ``frontier_row`` (its position in
        ``frontier``). Empty for an empty frontier.
    """
    target = float(require_positive("target_tokens_per_s_per_user", target_tokens_per_s_per_user))
    _check_objective(objective)
    names = frontier["gpu"].to_numpy()
    chosen = [
        _best_row(frontier, np.flatnonzero(names == g), target, objective) for g in pd.unique(names)
    ]
    positions = np.array([i for i, _ in chosen], dtype=int)
    out = frontier.iloc[positions].reset_index(drop=True)
    return out.assign(
        reachable=np.array([r for _, r in chosen], dtype=bool),
        target_tokens_per_s_per_user=target,
        frontier_row=positions,
    )


def tiered_prices(
    frontier: pd.DataFrame,
    fast_tokens_per_s_per_user,
    cheap_tokens_per_s_per_user=None,
    *,
    gross_margin=0.5,
    gpu=None,
) -> pd.DataFrame:
    """A fast tier and a cheap tier priced off the same frontier at the same gross margin.

    Each tier's operating point is the cheapest configuration at least that fast
    (:func:`operating_point_for_speed` with ``objective="cost"``); its price is
    ``cost / (1 - gross_margin)``. The cheap tier defaults to the cheapest point on the
    frontier (no speed floor beyond the slowest configuration).

    Parameters
    ----------
    frontier : pandas.DataFrame
        Output of :func:`frontier_costs`.
    fast_tokens_per_s_per_user : float
        Speed the fast tier promises each user, > 0.
    cheap_tokens_per_s_per_user : float, optional
        Speed the cheap tier promises, > 0.
    gross_margin : float
        Margin on cost, in [0, 1).
    gpu : str, optional
        Restrict to one GPU.

    Returns
    -------
    pandas.DataFrame
        One row per tier: ``tier``, ``configuration``, ``tokens_per_s_per_user``,
        ``tokens_per_s_per_gpu``, ``cost_usd_per_mtok``, ``price_usd_per_mtok`` and
        ``price_ratio`` (to the cheap tier).

    Raises
    ------
    ValueError
        When a tier's speed is unreachable (naming the fastest configuration).
    """
    margin = float(require_in_range("gross_margin", gross_margin, 0.0, 1.0, high_open=True))
    if "total_usd_per_mtok" not in frontier:
        raise ValueError("tiered_prices needs frontier_costs(...) columns")
    slowest = float(frontier["tokens_per_s_per_user"].min()) if len(frontier) else 1.0
    cheap_target = slowest if cheap_tokens_per_s_per_user is None else cheap_tokens_per_s_per_user
    rows = []
    for tier, target in (("cheap", cheap_target), ("fast", fast_tokens_per_s_per_user)):
        r = operating_point_for_speed(frontier, target, gpu=gpu, objective="cost")
        rows.append(
            {
                "tier": tier,
                "target_tokens_per_s_per_user": float(target),
                "configuration": _describe(r),
                "tokens_per_s_per_user": r["tokens_per_s_per_user"],
                "tokens_per_s_per_gpu": r["tokens_per_s_per_gpu"],
                "cost_usd_per_mtok": r["total_usd_per_mtok"],
                "price_usd_per_mtok": r["total_usd_per_mtok"] / (1.0 - margin),
            }
        )
    out = pd.DataFrame(rows)
    out["price_ratio"] = out["price_usd_per_mtok"] / out["price_usd_per_mtok"].iloc[0]
    return out
