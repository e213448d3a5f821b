"""How far the serving model's frontier is from measured serving sweeps (issue 18's check).

For each (model, GPU, precision, prompt and output length) of a table of measured sweeps (the
shape of SemiAnalysis InferenceMAX's results: :func:`inferecon.load_moe_serving_sweeps`,
:func:`inferecon.read_inferencemax_results`, :func:`inferecon.published_moe_sweeps`):

1. the measured envelope: the Pareto set of tokens/s per user against tokens/s per GPU over
   every configuration and load level measured (:func:`measured_envelope`). InferenceMAX's
   main chart counts prompt plus output tokens (``total_tokens_per_s_per_gpu``, its
   ``tput_per_gpu``), the default here; ``metric="output"`` compares output tokens;
2. the model's envelope, :func:`inferecon.throughput_frontier` for the same model, GPU,
   precision and lengths (the stored calibration, ``efficiency=None``), and the efficiency-1
   ceiling (``efficiency=1.0``);
3. at each measured envelope point's speed per user, the model's throughput read off its
   envelope (:func:`envelope_at`: log-log interpolation between its Pareto points), its ratio to
   the measured one, and whether the point beats the ceiling (:func:`check_frontier`); per
   group and overall, the geometric mean, median, minimum and maximum of the ratio
   (:func:`frontier_check_summary`); the GPUs ranked by measured and by modelled throughput at
   a speed every GPU reached (:func:`frontier_gpu_ranking`);
4. where the gap comes from: each measured load level beside the model at a batch equal to its
   concurrency and the same tensor-parallel size (:func:`check_matched_concurrency`): step time
   (TPOT) and throughput.

A ratio above 1 means the model is too optimistic. The comparison is at equal speed per user
(1 / TPOT), so the model's static batching and the engine's continuous batching meet where a
user would read the chart.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._validate import require_positive
from .datasets.sweeps import sweep_model_name
from .expert_parallel import expert_parallel_serving_performance
from .serving import serving_performance
from .serving_frontier import _frontier_kv_precision, pareto_mask, throughput_frontier
from .specs import match_gpu

__all__ = [
    "CHECK_GROUP",
    "check_frontier",
    "check_matched_concurrency",
    "engine_step_factors",
    "frontier_shape_transfer",
    "envelope_at",
    "frontier_check_summary",
    "frontier_gpu_ranking",
    "measured_envelope",
]

CHECK_GROUP = ("model", "gpu", "precision", "prompt_tokens", "output_tokens")
"""The columns that define one measured envelope (and one model frontier)."""

_METRIC_COLUMN = {"total": "total_tokens_per_s_per_gpu", "output": "tokens_per_s_per_gpu"}


def _metric_column(metric: str) -> str:
    if metric not in _METRIC_COLUMN:
        raise ValueError(f"metric must be 'total' or 'output'; got {metric!r}")
    return _METRIC_COLUMN[metric]


def _comparable_rows(sweeps: pd.DataFrame, include_speculative: bool) -> pd.DataFrame:
    """The rows to compare, model and GPU names resolved to the package's (``DeepSeek-R1`` ->
    ``DeepSeek-V3``, ``h200`` -> ``H200-SXM``); speculative rows dropped unless asked for."""
    df = sweeps.copy()
    if not include_speculative and "spec_decoding" in df:
        spec = df["spec_decoding"].astype("string").fillna("none").str.lower()
        df = df[spec.isin(["none", ""])]
    if df.empty:
        raise ValueError("sweeps has no rows to compare (after leaving out speculative decoding)")
    df["model"] = [sweep_model_name(m) for m in df["model"]]
    df["gpu"] = [match_gpu(g).name for g in df["gpu"]]
    if "engine" not in df:
        df["engine"] = pd.NA
    return df


def measured_envelope(
    sweeps: pd.DataFrame, *, metric: str = "total", include_speculative: bool = False
) -> pd.DataFrame:
    """The measured Pareto envelope of each (model, GPU, precision, lengths).

    Model and GPU names are resolved to the package's (``DeepSeek-R1`` -> ``DeepSeek-V3``,
    ``h200`` -> ``H200-SXM``), so rows that name them differently share one envelope.

    Parameters
    ----------
    sweeps : pandas.DataFrame
        In the schema of :data:`inferecon.MOE_SERVING_SWEEPS_SCHEMA`.
    metric : {"total", "output"}
        Throughput per GPU to compare: prompt plus output tokens (InferenceMAX's count) or
        output tokens only.
    include_speculative : bool
        Keep rows with speculative decoding (``spec_decoding`` other than ``none``/empty);
        the serving model has none, so they are left out by default.

    Returns
    -------
    pandas.DataFrame
        The envelope's rows, sorted by :data:`CHECK_GROUP` and speed: the group,
        ``engine``, ``tensor_parallel``, ``concurrency``, ``tokens_per_s_per_user`` and
        ``measured_tokens_per_s_per_gpu``.
    """
    col = _metric_column(metric)
    df = _comparable_rows(sweeps, include_speculative)
    labels = df[list(CHECK_GROUP)].astype(str).agg("|".join, axis=1).to_numpy()
    keep = pareto_mask(df["tokens_per_s_per_user"], df[col], labels)
    env = df[keep].rename(columns={col: "measured_tokens_per_s_per_gpu"})
    cols = [*CHECK_GROUP, "engine", "tensor_parallel", "concurrency", "tokens_per_s_per_user"]
    env = env[[*cols, "measured_tokens_per_s_per_gpu"]]
    return env.sort_values([*CHECK_GROUP, "tokens_per_s_per_user"]).reset_index(drop=True)


def envelope_at(tokens_per_s_per_user, tokens_per_s_per_gpu, at) -> np.ndarray:
    """A Pareto envelope's throughput per GPU at given speeds per user.

    The envelope is the best throughput at a speed of at least ``at``: between its points,
    linear in log(speed) and log(throughput); below its slowest point, the throughput there
    (its largest); above its fastest point, NaN (no configuration is that fast).

    Parameters
    ----------
    tokens_per_s_per_user, tokens_per_s_per_gpu : array_like
        The envelope's points (positive; throughput not rising with speed).
    at : float or array_like
        Speeds per user to read the envelope at, tokens/s (positive).

    Returns
    -------
    numpy.ndarray
        Throughput per GPU at each of ``at`` (tokens/s per GPU; NaN above the fastest point).

    Raises
    ------
    ValueError
        When a value is not positive, the lengths differ, the envelope is empty or its
        throughput rises with speed (not a Pareto set).
    """
    x = np.asarray(require_positive("tokens_per_s_per_user", tokens_per_s_per_user), float)
    y = np.asarray(require_positive("tokens_per_s_per_gpu", tokens_per_s_per_gpu), float)
    a = np.atleast_1d(np.asarray(require_positive("at", at), float))
    x, y = np.atleast_1d(x).ravel(), np.atleast_1d(y).ravel()
    if x.shape != y.shape or x.size == 0:
        raise ValueError(f"the envelope needs points of equal length; got {x.size} and {y.size}")
    order = np.argsort(x, kind="stable")
    x, y = x[order], y[order]
    if np.any(np.diff(y) > 1e-9 * y[:-1]):
        raise ValueError("tokens_per_s_per_gpu rises with tokens_per_s_per_user: not an envelope")
    out = np.exp(np.interp(np.log(a), np.log(x), np.log(y)))  # below x[0]: y[0] (its largest)
    out[a > x[-1] * (1 + 1e-12)] = np.nan
    return out


def _pareto_points(frontier: pd.DataFrame, col: str) -> tuple[np.ndarray, np.ndarray]:
    if frontier.empty:
        return np.array([]), np.array([])
    p = frontier[frontier["pareto"]]
    return p["tokens_per_s_per_user"].to_numpy(float), p[col].to_numpy(float)


def check_frontier(
    sweeps: pd.DataFrame,
    *,
    efficiency=None,
    metric: str = "total",
    tensor_parallel_sizes=(1, 2, 4, 8),
    batches=None,
    include_speculative: bool = False,
    allow_weight_only: bool = True,
    step_time_factors: dict | None = None,
) -> pd.DataFrame:
    """The model's frontier against measured envelopes, point by point at equal speed per user.

    For each (model, GPU, precision, prompt and output length) in ``sweeps``,
    :func:`inferecon.throughput_frontier` is evaluated twice (with ``efficiency`` and at the
    efficiency-1 ceiling) and read off at the speed of every point of the measured envelope
    (:func:`measured_envelope`, :func:`envelope_at`).

    Parameters
    ----------
    sweeps : pandas.DataFrame
        Measured sweeps in the schema of :data:`inferecon.MOE_SERVING_SWEEPS_SCHEMA`.
    efficiency : optional
        The serving model's efficiency (``None``: the stored calibration).
    metric : {"total", "output"}
        Prompt plus output tokens per GPU (InferenceMAX's count) or output tokens only.
    tensor_parallel_sizes : sequence of int
        Tensor-parallel sizes the model may use (default: up to one 8-GPU node).
    batches : array_like, optional
        Batch sizes of the model's frontier (:data:`inferecon.FRONTIER_BATCH_SIZES`).
    include_speculative : bool
        Keep measured rows with speculative decoding (left out by default: not modelled).
    allow_weight_only : bool
        Model a format the GPU has no tensor cores for as weight-only quantisation (passed to
        :func:`inferecon.throughput_frontier`): a measurement in it shows the engine ran it so
        (gpt-oss-120b's MXFP4 weights on H200 and MI300X). ``False`` raises for such rows.
    step_time_factors : dict of str to float, optional
        Measured engine step time over the model's, per GPU (:func:`engine_step_factors`):
        every step of that GPU's model frontier is that many times longer, so its speeds per
        user and throughputs are divided by it (the ceiling is not touched). GPUs left out keep
        the model's steps.

    Returns
    -------
    pandas.DataFrame
        One row per measured envelope point: the group (:data:`CHECK_GROUP`), ``engine``,
        ``tensor_parallel``, ``concurrency``, ``tokens_per_s_per_user``,
        ``measured_tokens_per_s_per_gpu``, ``model_tokens_per_s_per_gpu``,
        ``ceiling_tokens_per_s_per_gpu`` (tokens/s per GPU, of ``metric``), ``ratio`` (model
        over measured; NaN where the model is never that fast per user),
        ``ceiling_ratio`` (ceiling over measured), ``model_reaches_speed`` and
        ``beats_ceiling`` (the measured point above the ceiling, or faster per user than any
        ceiling configuration). ``attrs["metric"]`` names the throughput compared.
    """
    col = _metric_column(metric)
    factors = {match_gpu(g).name: float(require_positive(f"step_time_factors[{g!r}]", f))
               for g, f in (step_time_factors or {}).items()}  # fmt: skip
    env = measured_envelope(sweeps, metric=metric, include_speculative=include_speculative)
    model_y = np.full(len(env), np.nan)
    ceiling_y = np.full(len(env), np.nan)
    for key, idx in env.groupby(list(CHECK_GROUP), sort=False).indices.items():
        model, gpu, precision, prompt, output = key
        kw = dict(
            precisions=[precision],
            tensor_parallel_sizes=tensor_parallel_sizes,
            batches=batches,
            allow_weight_only=allow_weight_only,
        )
        at = env["tokens_per_s_per_user"].to_numpy(float)[idx]
        for eff, out in ((efficiency, model_y), (1.0, ceiling_y)):
            x, y = _pareto_points(
                throughput_frontier(model, gpu, int(prompt), int(output), efficiency=eff, **kw),
                col,
            )
            if out is model_y and gpu in factors:  # every step f times longer: rates / f
                x, y = x / factors[gpu], y / factors[gpu]
            if x.size:
                out[idx] = envelope_at(x, y, at)
    measured = env["measured_tokens_per_s_per_gpu"].to_numpy(float)
    res = env.assign(
        model_tokens_per_s_per_gpu=model_y,
        ceiling_tokens_per_s_per_gpu=ceiling_y,
        ratio=model_y / measured,
        ceiling_ratio=ceiling_y / measured,
        model_reaches_speed=np.isfinite(model_y),
        beats_ceiling=~(ceiling_y >= measured),  # NaN (ceiling never that fast) beats it too
    )
    res.attrs["metric"] = col
    return res


def _geomean(v: np.ndarray) -> float:
    v = v[np.isfinite(v)]
    return float(np.exp(np.mean(np.log(v)))) if v.size else float("nan")


def frontier_check_summary(check: pd.DataFrame, by=CHECK_GROUP) -> pd.DataFrame:
    """Model-over-measured ratios of :func:`check_frontier`, summarised per group or overall.

    Parameters
    ----------
    check : pandas.DataFrame
        Output of :func:`check_frontier`.
    by : sequence of str
        Columns to group by (default: one row per measured envelope); ``()`` for one row over
        every point, ``("gpu",)`` per GPU.

    Returns
    -------
    pandas.DataFrame
        ``by``, then ``n_points``, ``geomean_ratio``, ``median_ratio``, ``min_ratio``,
        ``max_ratio`` (over the points the model reaches), ``n_unreached`` (points faster per
        user than any model configuration), ``n_beats_ceiling`` and ``min_ceiling_ratio``.
    """
    by = list(by)
    missing = [c for c in by if c not in check]
    if missing:
        raise ValueError(f"by names columns check lacks: {missing}")

    def one(g: pd.DataFrame) -> dict:
        r = g["ratio"].to_numpy(float)
        fin = r[np.isfinite(r)]
        c = g["ceiling_ratio"].to_numpy(float)
        c = c[np.isfinite(c)]
        nan = float("nan")
        return {
            "n_points": len(g),
            "geomean_ratio": _geomean(r),
            "median_ratio": float(np.median(fin)) if fin.size else nan,
            "min_ratio": float(fin.min()) if fin.size else nan,
            "max_ratio": float(fin.max()) if fin.size else nan,
            "n_unreached": int((~g["model_reaches_speed"]).sum()),
            "n_beats_ceiling": int(g["beats_ceiling"].sum()),
            "min_ceiling_ratio": float(c.min()) if c.size else nan,
        }

    if not by:
        return pd.DataFrame([one(check)])
    rows = [
        {**dict(zip(by, key if isinstance(key, tuple) else (key,), strict=True)), **one(g)}
        for key, g in check.groupby(by, sort=True)
    ]
    return pd.DataFrame(rows)


def frontier_gpu_ranking(check: pd.DataFrame) -> pd.DataFrame:
    """GPUs ranked by measured and by modelled throughput at one speed per user.

    For each (model, precision, prompt and output length) measured on several GPUs, the speed
    is the geometric middle of the range every GPU's envelope covers (the largest slowest
    speed to the smallest fastest one); each GPU's measured and modelled throughputs there are
    read off its points in :func:`check_frontier` (:func:`envelope_at`). Groups whose GPUs'
    ranges do not overlap get no speed and no ranks.

    Parameters
    ----------
    check : pandas.DataFrame
        Output of :func:`check_frontier`.

    Returns
    -------
    pandas.DataFrame
        ``model``, ``precision``, ``prompt_tokens``, ``output_tokens``, ``gpu``,
        ``tokens_per_s_per_user`` (the common speed), ``measured_tokens_per_s_per_gpu``,
        ``model_tokens_per_s_per_gpu``, ``measured_rank`` and ``model_rank`` (1 = highest
        throughput) and ``ranking_agrees`` (the group's two orders are the same).
    """
    keys = ["model", "precision", "prompt_tokens", "output_tokens"]
    rows = []
    for key, g in check.groupby(keys, sort=True):
        ranges = g.groupby("gpu")["tokens_per_s_per_user"].agg(["min", "max"])
        lo, hi = ranges["min"].max(), ranges["max"].min()
        speed = float(np.sqrt(lo * hi)) if lo <= hi else float("nan")
        part = []
        for gpu, h in g.groupby("gpu", sort=True):
            x = h["tokens_per_s_per_user"].to_numpy(float)
            meas = mod = float("nan")
            if np.isfinite(speed):
                meas = float(envelope_at(x, h["measured_tokens_per_s_per_gpu"], speed)[0])
                ok = np.isfinite(h["model_tokens_per_s_per_gpu"].to_numpy(float))
                if ok.any():
                    mod = float(envelope_at(x[ok], h["model_tokens_per_s_per_gpu"][ok], speed)[0])
            part.append(
                {
                    **dict(zip(keys, key, strict=True)),
                    "gpu": gpu,
                    "tokens_per_s_per_user": speed,
                    "measured_tokens_per_s_per_gpu": meas,
                    "model_tokens_per_s_per_gpu": mod,
                }
            )
        p = pd.DataFrame(part)
        p["measured_rank"] = p["measured_tokens_per_s_per_gpu"].rank(ascending=False, method="min")
        p["model_rank"] = p["model_tokens_per_s_per_gpu"].rank(ascending=False, method="min")
        ranked = p["measured_rank"].notna() & p["model_rank"].notna()
        p["ranking_agrees"] = bool(ranked.all()) and bool(
            (p["measured_rank"] == p["model_rank"]).all()
        )
        rows.append(p)
    if not rows:
        raise ValueError("check has no rows")
    out = pd.concat(rows, ignore_index=True)
    for c in ("measured_rank", "model_rank"):
        out[c] = out[c].astype("Int64")
    return out


def _ep_sizes(df: pd.DataFrame) -> np.ndarray:
    """Each row's expert-parallel size where it ran EP with data-parallel attention, else 1."""
    if "expert_parallel" not in df or "dp_attention" not in df:
        return np.ones(len(df), dtype=np.int64)
    ep = pd.to_numeric(df["expert_parallel"], errors="coerce").fillna(1).to_numpy()
    dp = df["dp_attention"].astype("boolean").fillna(False).to_numpy(bool)
    return np.where(dp & (ep > 1), ep, 1).astype(np.int64)


def check_matched_concurrency(
    sweeps: pd.DataFrame,
    *,
    efficiency=None,
    metric: str = "total",
    kv_precision: str | None = None,
    include_speculative: bool = False,
    allow_weight_only: bool = True,
) -> pd.DataFrame:
    """Each measured load level beside the model at batch = concurrency (same TP, precision).

    Where :func:`check_frontier` compares at equal speed per user, this compares at equal load:
    :func:`inferecon.serving_performance` with ``batch`` = the row's ``concurrency`` and its
    ``tensor_parallel``; a row that ran expert parallelism with data-parallel attention
    (``expert_parallel`` > 1 and ``dp_attention`` true) is set beside
    :func:`inferecon.expert_parallel_serving_performance` at its expert-parallel size, each of
    its ``tensor_parallel`` GPUs an attention rank holding ``concurrency / tensor_parallel``
    requests. The TPOT ratio says how much too short the model's decode step is;
    the throughput ratio how much of the gap at equal speed remains at equal load. A closed
    loop's concurrency is an upper bound on the decode batch (some of its requests are being
    prefilled or are between requests), so the model's batch is, if anything, too large here.

    Parameters
    ----------
    sweeps : pandas.DataFrame
        Measured sweeps in the schema of :data:`inferecon.MOE_SERVING_SWEEPS_SCHEMA`.
    efficiency : optional
        The serving model's efficiency (``None``: the stored calibration).
    metric : {"total", "output"}
        Prompt plus output tokens per GPU or output tokens only.
    kv_precision : str, optional
        KV-cache format of the model (default: the frontier's, the weights' format with FP8
        for FP4 weights, as engines keep it).
    include_speculative : bool
        Keep rows with speculative decoding (left out by default: not modelled).
    allow_weight_only : bool
        As in :func:`check_frontier`.

    Returns
    -------
    pandas.DataFrame
        :data:`CHECK_GROUP`, ``engine``, ``tensor_parallel``, ``configuration`` (``"TP8"``,
        ``"EP8 DP-attention"``), ``concurrency``,
        ``measured_tpot_ms`` (1 / speed per user), ``model_tpot_ms``, ``tpot_ratio`` (measured
        over model: above 1, the model's step is too short), ``measured_tokens_per_s_per_gpu``,
        ``model_tokens_per_s_per_gpu`` and ``throughput_ratio`` (model over measured).
    """
    col = _metric_column(metric)
    df = _comparable_rows(sweeps, include_speculative)
    df["_ep"] = _ep_sizes(df)
    frames = []
    for key, g in df.groupby([*CHECK_GROUP, "tensor_parallel", "_ep"], sort=True):
        model, gpu, precision, prompt, output, tp, ep = key
        kvp = _frontier_kv_precision(precision) if kv_precision is None else kv_precision
        conc = g["concurrency"].to_numpy(float)
        if ep > 1:
            sp = expert_parallel_serving_performance(
                model, gpu, conc / tp, int(prompt), int(output), int(ep), precision, efficiency,
                kv_precision=kvp, check_memory=False, allow_weight_only=allow_weight_only,
            )  # fmt: skip
        else:
            sp = serving_performance(
                model, gpu, conc, int(prompt), int(output), precision, efficiency,
                kv_precision=kvp, tensor_parallel=int(tp), check_memory=False,
                allow_weight_only=allow_weight_only,
            )  # fmt: skip
        out_tps = sp["tokens_per_s_per_gpu"].to_numpy(float)
        model_y = out_tps * (prompt + output) / output if col != "tokens_per_s_per_gpu" else out_tps
        measured_tpot = 1e3 / g["tokens_per_s_per_user"].to_numpy(float)
        model_tpot = sp["tpot_ms"].to_numpy(float)
        measured_y = g[col].to_numpy(float)
        frames.append(
            pd.DataFrame(
                {
                    **{c: g[c].to_numpy() for c in CHECK_GROUP},
                    "engine": g["engine"].to_numpy(),
                    "tensor_parallel": int(tp),
                    "configuration": f"EP{ep} DP-attention" if ep > 1 else f"TP{tp}",
                    "concurrency": g["concurrency"].to_numpy(),
                    "measured_tpot_ms": measured_tpot,
                    "model_tpot_ms": model_tpot,
                    "tpot_ratio": measured_tpot / model_tpot,
                    "measured_tokens_per_s_per_gpu": measured_y,
                    "model_tokens_per_s_per_gpu": model_y,
                    "throughput_ratio": model_y / measured_y,
                }
            )
        )
    res = pd.concat(frames, ignore_index=True)
    res.attrs["metric"] = col
    return res


def engine_step_factors(sweeps: pd.DataFrame, shape=None) -> dict:
    """Measured engine step time over the model's, per GPU: the median over load levels of the
    measured TPOT over the model's decode step at batch = concurrency
    (:func:`check_matched_concurrency`'s ``tpot_ratio``).

    Above 1 the GPU's engines take longer than the model's step (MI300X's SGLang ROCm build:
    1.78 on InferenceX's 1k/8k DeepSeek-R1 sweep). Pass the result to :func:`check_frontier`'s
    ``step_time_factors``; :func:`frontier_shape_transfer` fits it on one shape and checks the
    others.

    Parameters
    ----------
    sweeps : pandas.DataFrame
        Measured sweeps in the schema of :data:`inferecon.MOE_SERVING_SWEEPS_SCHEMA`
        (speculative rows are left out).
    shape : tuple of int, optional
        (prompt tokens, output tokens) of the rows used; every row when omitted.

    Returns
    -------
    dict
        GPU name (``data/gpus.csv``) -> factor.

    Raises
    ------
    ValueError
        When no row has that shape.
    """
    mc = check_matched_concurrency(sweeps if shape is None else _rows_of_shape(sweeps, shape))
    return {str(g): float(v) for g, v in mc.groupby("gpu")["tpot_ratio"].median().items()}


def _rows_of_shape(sweeps: pd.DataFrame, shape) -> pd.DataFrame:
    """The rows of one (prompt tokens, output tokens) shape; ValueError naming it if none."""
    prompt, output = (int(v) for v in shape)
    rows = sweeps[(sweeps["prompt_tokens"] == prompt) & (sweeps["output_tokens"] == output)]
    if rows.empty:
        raise ValueError(f"shape={shape!r}: no measured rows of {prompt} in, {output} out")
    return rows


def frontier_shape_transfer(sweeps: pd.DataFrame) -> pd.DataFrame:
    """Per-GPU engine step factors fitted on one request shape, checked on the others.

    For each (prompt, output) shape in ``sweeps``: :func:`engine_step_factors` on that shape's
    rows, then :func:`check_frontier` with them on every other shape's rows, summarised per GPU
    (:func:`frontier_check_summary`) with the share of ranking rows that agree
    (:func:`frontier_gpu_ranking`). The measured rows of the shapes checked never enter the
    factors: a leave-shapes-out test of whether one measured shape per GPU fixes the rest.

    Parameters
    ----------
    sweeps : pandas.DataFrame
        Measured sweeps in the schema of :data:`inferecon.MOE_SERVING_SWEEPS_SCHEMA`, at least
        two shapes.

    Returns
    -------
    pandas.DataFrame
        One row per (fitted shape, GPU): ``fitted_prompt_tokens``, ``fitted_output_tokens``,
        ``gpu``, ``step_time_factor``, the summary's columns over the held-out shapes, and
        ``rankings_agree`` / ``n_rankings`` (ranking rows of the held-out shapes, all GPUs).

    Raises
    ------
    ValueError
        With fewer than two shapes.
    """
    shapes = sorted(set(zip(sweeps["prompt_tokens"], sweeps["output_tokens"], strict=True)))
    if len(shapes) < 2:
        raise ValueError("sweeps must hold at least two (prompt, output) shapes")
    shape_of = list(zip(sweeps["prompt_tokens"], sweeps["output_tokens"], strict=True))
    frames = []
    for fit in shapes:
        on_fit = np.array([s == fit for s in shape_of])
        factors = engine_step_factors(sweeps[on_fit])
        check = check_frontier(sweeps[~on_fit], step_time_factors=factors)
        rank = frontier_gpu_ranking(check)
        groups = rank.drop_duplicates(["model", "precision", "prompt_tokens", "output_tokens"])
        summary = frontier_check_summary(check, by=("gpu",))
        summary.insert(0, "step_time_factor", summary["gpu"].map(factors))
        summary.insert(0, "fitted_output_tokens", int(fit[1]))
        summary.insert(0, "fitted_prompt_tokens", int(fit[0]))
        summary["rankings_agree"] = int(groups["ranking_agrees"].sum())
        summary["n_rankings"] = len(groups)
        frames.append(summary)
    return pd.concat(frames, ignore_index=True)
