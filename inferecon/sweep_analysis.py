"""Readings of simulated and published load sweeps: attainment per latency target, vLLM's
goodput of a run, attainment and DistServe's goodput across a sweep's rates (vectorised, for
any targets, without simulating again), throughput read off a sweep at a given rate, and how a
published sweep compares with its simulation and its physical ceiling.

Notebook 03's explorers (:mod:`inferecon.viz.goodput`) show these numbers; the functions are
pure (a table in, numbers out) and simulate nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._validate import require_in_range, require_positive, scalar_or_array

__all__ = [
    "SweepLatencies",
    "attainment_by_rate",
    "attainment_per_target",
    "grid_goodput_rps_per_gpu",
    "published_sweep_agreement",
    "sweep_latencies",
    "throughput_at_rate_rps_per_gpu",
    "vllm_goodput_rps",
]


def attainment_per_target(
    requests: pd.DataFrame, ttft_ms: float, tpot_ms: float
) -> tuple[float, float]:
    """Share of requests meeting each latency target on its own.

    The time-to-first-token target is met by a request whose first token came within
    ``ttft_ms`` (a rejected request, with no first token, misses it). The time-per-output-token
    target is met by a finished request whose mean gap between tokens after the first is at
    most ``tpot_ms``, or that produced one token (it has no gap). A request meeting both is
    what :func:`inferecon.slo_attainment` counts, so that share is at most the smaller of the
    two returned here.

    Parameters
    ----------
    requests : pandas.DataFrame
        :attr:`inferecon.ServingResult.requests` (columns ``ttft_ms``, ``tpot_ms``,
        ``output_tokens``, ``finish_s``; NaN ``finish_s`` for an unfinished request).
    ttft_ms, tpot_ms : float
        Targets for time to first token and mean time per output token (ms, > 0).

    Returns
    -------
    tuple of float
        ``(ttft_share, tpot_share)``, each in [0, 1]; NaN for an empty table.
    """
    require_positive("ttft_ms", ttft_ms)
    require_positive("tpot_ms", tpot_ms)
    if not len(requests):
        return math.nan, math.nan
    ttft = requests["ttft_ms"].to_numpy(dtype=float)
    tpot = requests["tpot_ms"].to_numpy(dtype=float)
    finished = np.isfinite(requests["finish_s"].to_numpy(dtype=float))
    one_token = requests["output_tokens"].to_numpy(dtype=float) <= 1
    met_ttft = ttft <= ttft_ms  # NaN (no first token) compares False: a miss
    met_tpot = finished & ((tpot <= tpot_ms) | one_token)
    return float(met_ttft.mean()), float(met_tpot.mean())


def vllm_goodput_rps(attainment, n_requests, duration_s):
    """vLLM's goodput of a run: requests per second that met every latency target.

    The share of requests meeting both targets (:func:`inferecon.slo_attainment`, or
    :func:`attainment_by_rate` for a sweep) times the requests offered, over the run's
    duration: ``attainment * n_requests / duration_s``. vLLM's benchmark
    (``benchmark_serving.py --goodput``) counts it at the offered rate; DistServe's goodput is
    instead the highest rate at which a share of requests meets them
    (:func:`inferecon.goodput`, :func:`grid_goodput_rps_per_gpu`).

    Parameters
    ----------
    attainment : float or array-like
        Share of the run's requests meeting both targets, in [0, 1].
    n_requests : int or array-like
        Requests in the run (>= 1).
    duration_s : float or array-like
        The run's duration (s, > 0): ``ServingResult.summary["duration_s"]``, first arrival to
        last completion.

    Returns
    -------
    float or numpy.ndarray
        Requests/s for the whole deployment (divide by its GPUs for a per-GPU figure),
        broadcast over the arguments.
    """
    att = np.asarray(require_in_range("attainment", attainment, 0.0, 1.0), dtype=float)
    n = np.asarray(require_in_range("n_requests", n_requests, 1.0, math.inf), dtype=float)
    dur = np.asarray(require_positive("duration_s", duration_s), dtype=float)
    return scalar_or_array(att * n / dur)


@dataclass(frozen=True)
class SweepLatencies:
    """The latencies of a :class:`inferecon.LoadSweep` as arrays, one row per rate, so that
    attainment for any targets is one vectorised comparison (:func:`attainment_by_rate`).

    Built by :func:`sweep_latencies`.

    Attributes
    ----------
    rates_per_gpu : numpy.ndarray
        Arrival rates (requests/s per GPU), shape ``(k,)``.
    ttft_ms : numpy.ndarray
        Time to first token (ms), shape ``(k, n)``; ``inf`` where a request got no first
        token (rejected) and in the padding of a shorter run.
    tpot_ms : numpy.ndarray
        Mean time per output token (ms) as the TPOT target sees it, shape ``(k, n)``: 0 for a
        finished one-token request (no gap to miss), ``inf`` for an unfinished one and in the
        padding.
    n_requests : numpy.ndarray
        Requests in each run, shape ``(k,)``.
    duration_s : numpy.ndarray
        Each run's duration (s), shape ``(k,)``.
    throughput_rps_per_gpu : numpy.ndarray
        Completed requests/s per GPU at each rate, shape ``(k,)``.
    n_gpus : int
        GPUs of the deployment (every pool).
    """

    rates_per_gpu: np.ndarray
    ttft_ms: np.ndarray
    tpot_ms: np.ndarray
    n_requests: np.ndarray
    duration_s: np.ndarray
    throughput_rps_per_gpu: np.ndarray
    n_gpus: int


def sweep_latencies(sweep) -> SweepLatencies:
    """The request latencies of a load sweep as arrays (see :class:`SweepLatencies`).

    Parameters
    ----------
    sweep : LoadSweep
        From :func:`inferecon.load_sweep`.

    Returns
    -------
    SweepLatencies
    """
    results = list(sweep.results)
    if not results:
        raise ValueError("sweep holds no simulation (valid: a LoadSweep of >= 1 rate)")
    width = max(len(r.requests) for r in results)
    ttft = np.full((len(results), width), np.inf)
    tpot = np.full((len(results), width), np.inf)
    for i, res in enumerate(results):
        req = res.requests
        finished = np.isfinite(req["finish_s"].to_numpy(dtype=float))
        t = req["ttft_ms"].to_numpy(dtype=float)
        g = np.where(req["output_tokens"].to_numpy(dtype=float) <= 1, 0.0,
                     req["tpot_ms"].to_numpy(dtype=float))  # fmt: skip
        ttft[i, : len(req)] = np.where(np.isnan(t), np.inf, t)
        tpot[i, : len(req)] = np.where(finished & ~np.isnan(g), g, np.inf)
    n_gpus = int(sweep.n_gpus)
    return SweepLatencies(
        rates_per_gpu=np.asarray(sweep.rates_per_gpu, dtype=float),
        ttft_ms=ttft,
        tpot_ms=tpot,
        n_requests=np.array([len(r.requests) for r in results]),
        duration_s=np.array([float(r.summary["duration_s"]) for r in results]),
        throughput_rps_per_gpu=np.array(
            [float(r.summary["requests_per_s"]) / n_gpus for r in results]
        ),
        n_gpus=n_gpus,
    )


def attainment_by_rate(latencies: SweepLatencies, ttft_ms: float, tpot_ms: float) -> np.ndarray:
    """Share of requests meeting both latency targets at each rate of a sweep.

    The rule of :func:`inferecon.slo_attainment` (finished, first token within ``ttft_ms``,
    mean time per output token within ``tpot_ms`` unless the output is one token), for every
    rate at once.

    Parameters
    ----------
    latencies : SweepLatencies
        From :func:`sweep_latencies`.
    ttft_ms, tpot_ms : float
        Latency targets (ms, > 0).

    Returns
    -------
    numpy.ndarray
        Shares in [0, 1], one per rate (NaN for a run without requests).
    """
    require_positive("ttft_ms", ttft_ms)
    require_positive("tpot_ms", tpot_ms)
    met = (latencies.ttft_ms <= ttft_ms) & (latencies.tpot_ms <= tpot_ms)
    with np.errstate(invalid="ignore", divide="ignore"):
        return met.sum(axis=1) / np.where(latencies.n_requests > 0, latencies.n_requests, np.nan)


def _rate_curve(rates_per_gpu, values, name: str) -> tuple[np.ndarray, np.ndarray]:
    """A curve over a sweep's rates as two checked 1-D arrays (rates > 0, increasing)."""
    r = np.asarray(require_positive("rates_per_gpu", rates_per_gpu), dtype=float)
    v = np.asarray(values, dtype=float)
    if r.ndim != 1 or r.shape != v.shape or not len(r):
        raise ValueError(
            f"rates_per_gpu and {name} must be 1-D of one length >= 1; got shapes {r.shape} "
            f"and {v.shape}"
        )
    if np.any(np.diff(r) <= 0):
        raise ValueError("rates_per_gpu must be strictly increasing (valid range: sorted, > 0)")
    return r, v


def grid_goodput_rps_per_gpu(rates_per_gpu, attainment_by_rate, attainment: float = 0.9) -> float:
    """DistServe's goodput read off a grid of rates: the highest rate whose attainment is at
    least ``attainment``.

    Linear interpolation where the curve first crosses the target; 0 when even the lowest rate
    misses it; the last rate when none does (the same reading as
    :meth:`inferecon.LoadSweep.goodput_per_gpu`; :func:`inferecon.goodput` bisects precisely).

    Parameters
    ----------
    rates_per_gpu : array-like
        Arrival rates (requests/s per GPU, > 0, increasing).
    attainment_by_rate : array-like
        Share meeting both targets at each rate (:func:`attainment_by_rate`).
    attainment : float
        The share that must meet them, in (0, 1].

    Returns
    -------
    float
        Requests/s per GPU.
    """
    require_in_range("attainment", attainment, 0.0, 1.0, low_open=True)
    r, a = _rate_curve(rates_per_gpu, attainment_by_rate, "attainment_by_rate")
    ok = a >= attainment
    if not ok[0]:
        return 0.0
    if ok.all():
        return float(r[-1])
    i = int(np.flatnonzero(~ok)[0])  # the first rate that misses
    lo_r, hi_r, lo_a, hi_a = r[i - 1], r[i], a[i - 1], a[i]
    return float(lo_r + (lo_a - attainment) / (lo_a - hi_a) * (hi_r - lo_r))


def throughput_at_rate_rps_per_gpu(
    rates_per_gpu, throughput_rps_per_gpu, rate_per_gpu
) -> float | np.ndarray:
    """Completed requests/s per GPU read off a load sweep at an arrival rate.

    Linear interpolation between the simulated rates (the value at the nearest end outside
    them). A rate of 0 (no load, as a goodput of 0 says when no simulated rate met the
    targets) gives 0.

    Parameters
    ----------
    rates_per_gpu : array-like
        Simulated arrival rates (requests/s per GPU, > 0, increasing), e.g. a
        :meth:`inferecon.LoadSweep.curve`'s ``rate_per_gpu``.
    throughput_rps_per_gpu : array-like
        Completed requests/s per GPU at each rate (>= 0), the curve's
        ``throughput_rps_per_gpu``.
    rate_per_gpu : float or array-like
        Where to read it (requests/s per GPU, >= 0), e.g. a goodput.

    Returns
    -------
    float or numpy.ndarray
        Requests/s per GPU, shaped like ``rate_per_gpu``.
    """
    r, t = _rate_curve(rates_per_gpu, throughput_rps_per_gpu, "throughput_rps_per_gpu")
    require_in_range("throughput_rps_per_gpu", t, 0.0, math.inf)
    x = np.asarray(require_in_range("rate_per_gpu", rate_per_gpu, 0.0, math.inf), dtype=float)
    return scalar_or_array(np.where(x > 0, np.interp(x, r, t), 0.0))


def published_sweep_agreement(comparison: pd.DataFrame, rel_tol: float = 1e-9) -> dict:
    """How one published engine sweep compares with its simulation and its physical bound.

    Parameters
    ----------
    comparison : pandas.DataFrame
        The rows of :func:`inferecon.compare_published_sweeps` for one sweep (one row per
        load level; columns ``measured_tokens_per_s``, ``model_tokens_per_s`` and
        ``ceiling_tokens_per_s``, NaN where a level has no ceiling, as in an open loop).
    rel_tol : float
        Relative margin above the ceiling before a level counts as beating it (>= 0; the
        default absorbs rounding only).

    Returns
    -------
    dict
        ``n_levels`` (rows), ``measured_over_model_median`` (median over the levels of
        measured over simulated throughput, a ratio; NaN without a simulated level),
        ``has_ceiling`` (whether any level has a throughput ceiling) and
        ``levels_above_ceiling`` (levels whose measured throughput exceeds the ceiling by more
        than ``rel_tol``: a measurement the physics says is impossible).
    """
    require_in_range("rel_tol", rel_tol, 0.0, math.inf)
    missing = {"measured_tokens_per_s", "model_tokens_per_s", "ceiling_tokens_per_s"} - set(
        comparison.columns
    )
    if missing:
        raise ValueError(f"comparison lacks column(s) {sorted(missing)}")
    measured = comparison["measured_tokens_per_s"].to_numpy(dtype=float)
    model = comparison["model_tokens_per_s"].to_numpy(dtype=float)
    ceiling = comparison["ceiling_tokens_per_s"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = measured / model
    ratio = ratio[np.isfinite(ratio)]
    return {
        "n_levels": len(comparison),
        "measured_over_model_median": float(np.median(ratio)) if len(ratio) else math.nan,
        "has_ceiling": bool(np.isfinite(ceiling).any()),
        "levels_above_ceiling": int((measured > ceiling * (1 + rel_tol)).sum()),
    }
