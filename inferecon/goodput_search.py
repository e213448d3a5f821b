"""Goodput: the load a server sustains while its requests still get the latency promised.

Throughput counts every token; **goodput** counts only requests that still get the latency
they were promised. Two definitions are in use and both are reported, never mixed up:

* **DistServe's goodput** (Zhong et al. 2024, "DistServe", OSDI '24, arXiv:2401.09670, Sec. 2):
  the highest *arrival rate* at which at least a given share (90% by default) of requests meet
  both a TTFT and a TPOT target, divided by the GPUs used (prefill and decode pools included).
  :func:`goodput` finds it by a bracketing search.
* **vLLM's** ``--goodput`` (``vllm bench serve``): at the offered rate, the requests per second
  that meet every target. :class:`inferecon.ServingResult` reports it as ``goodput_rps_vllm``.

:func:`load_sweep` simulates a grid of rates (:func:`rate_grid_per_gpu`, anchored at
:func:`capacity_estimate_rps`) and keeps the request tables, so a :class:`LoadSweep` answers
for other targets without simulating again.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._validate import renamed_parameters, require_in_range, require_positive
from .serving import serving_performance
from .simulator import DEFAULT_MAX_RUNNING_REQUESTS, simulate_serving
from .slo_metrics import slo_attainment
from .sweep_analysis import grid_goodput_rps_per_gpu
from .workloads import LengthDistribution, _lengths, _mean, fixed_lengths, poisson_workload

__all__ = [
    "LoadSweep",
    "RATE_GRID_CAPACITY_SHARES",
    "capacity_estimate_rps",
    "goodput",
    "load_sweep",
    "rate_grid_per_gpu",
]

RATE_GRID_CAPACITY_SHARES = (0.05, 1.3)
"""The default grid of arrival rates (:func:`rate_grid_per_gpu`, used by :func:`load_sweep`
and notebook 03's goodput explorer) spans these shares of :func:`capacity_estimate_rps`: from
light load to 30% past the static-batching capacity, where queues grow without bound and
attainment falls to zero (a choice of range, not a published value)."""


@renamed_parameters(n_gpus="tensor_parallel")
def goodput(
    model,
    gpu,
    *,
    ttft_ms: float,
    tpot_ms: float,
    attainment: float = 0.9,
    prompt_tokens: int | LengthDistribution = 512,
    output_tokens: int | LengthDistribution = 256,
    burstiness: float = 1.0,
    n_requests: int = 2_000,
    seed: int = 0,
    rel_tol: float = 0.02,
    max_rate_per_s: float = 1e5,
    **simulate_kwargs,
) -> dict:
    """DistServe's goodput: the highest arrival rate meeting both targets for ``attainment``.

    Runs :func:`simulate_serving` on Poisson (or gamma, ``burstiness``) arrivals with the same
    random draws at every rate, first doubling the rate until attainment drops below the target,
    then bisecting between the last rate that met it and the first that did not, to a relative
    width of ``rel_tol``.

    Parameters
    ----------
    model, gpu : str or spec
        What serves.
    ttft_ms, tpot_ms : float
        Targets for time to first token and mean time per output token (ms).
    attainment : float
        Share of requests that must meet both targets, in (0, 1].
    prompt_tokens, output_tokens : int or LengthDistribution
        Request lengths.
    burstiness : float
        Gamma shape of inter-arrival times (1: Poisson).
    n_requests : int
        Requests per simulation.
    seed : int
        Seed of the workload's draws.
    rel_tol : float
        Relative width of the final bracket, in (0, 1).
    max_rate_per_s : float
        Upper bound of the search.
    **simulate_kwargs
        Passed to :func:`simulate_serving` (``policy``, ``tensor_parallel``,
        ``max_running_requests``, the disaggregated pools' ``prefill_expert_parallel`` and
        ``decode_expert_parallel``...); per-GPU rates count every pool's GPUs. Without
        ``max_time_s`` each run is bounded at a simulated day plus twice its arrival span.

    Returns
    -------
    dict
        ``goodput_rps`` (the rate found, requests/s), ``goodput_rps_per_gpu``, ``n_gpus``,
        ``attainment_at_goodput``, ``bracket`` (simulated rates that met / missed the target;
        ``(max_rate_per_s, inf)`` when every rate up to the bound met it),
        ``met_up_to_max_rate`` (True then: the goodput is at least ``max_rate_per_s``),
        ``throughput_tokens_per_s_per_gpu`` at that rate, ``simulations`` and ``result`` (the
        :class:`ServingResult` at the goodput rate), ``truncated_rates`` (rates whose run hit its
        bound on simulated time: overloaded runs, which miss the target anyway).
    """
    require_in_range("attainment", attainment, 0.0, 1.0, low_open=True)
    require_in_range("rel_tol", rel_tol, 0.0, 1.0, low_open=True, high_open=True)
    require_positive("max_rate_per_s", max_rate_per_s)
    base = poisson_workload(1.0, n_requests, prompt_tokens, output_tokens, burstiness)
    runs = {}
    bound = simulate_kwargs.pop("max_time_s", None)

    def run(rate):
        if rate not in runs:
            # a run's bound on simulated time covers its arrivals twice over plus a day, so
            # that a long run at a low rate is never cut short (which would count as a miss)
            limit = bound if bound is not None else 86_400.0 + 2.0 * base.n_requests / rate
            with warnings.catch_warnings():  # counted in the result instead
                warnings.simplefilter("ignore", RuntimeWarning)
                runs[rate] = simulate_serving(model, gpu, base.at_rate(rate), ttft_ms=ttft_ms,
                                              tpot_ms=tpot_ms, seed=seed, max_time_s=limit,
                                              **simulate_kwargs)  # fmt: skip
        return runs[rate]

    lo, hi = 0.0, None
    rate = min(1.0, max_rate_per_s)
    while rate <= max_rate_per_s:
        if run(rate).summary["slo_attainment"] >= attainment:
            lo, rate = rate, rate * 2.0
        else:
            hi = rate
            break
    if hi is None:  # every rate so far met it: try the bound itself
        if lo < max_rate_per_s and run(max_rate_per_s).summary["slo_attainment"] < attainment:
            hi = max_rate_per_s
        else:
            lo = max_rate_per_s
    met_everywhere = hi is None
    if met_everywhere:  # nothing missed: the goodput is at least max_rate_per_s
        hi = math.inf
    elif lo == 0.0:  # even the first rate misses: search downwards
        rate = hi / 2.0
        while rate > 1e-6 and run(rate).summary["slo_attainment"] < attainment:
            hi, rate = rate, rate / 2.0
        lo = rate if rate > 1e-6 else 0.0
    while lo > 0 and not met_everywhere and (hi - lo) / hi > rel_tol:
        mid = (lo + hi) / 2.0
        if run(mid).summary["slo_attainment"] >= attainment:
            lo = mid
        else:
            hi = mid
    best = run(lo) if lo > 0 else None
    n_g = best.summary["n_gpus"] if best else run(hi).summary["n_gpus"]
    return {
        "met_up_to_max_rate": met_everywhere,
        "goodput_rps": lo,
        "goodput_rps_per_gpu": lo / n_g,
        "n_gpus": n_g,
        "attainment_at_goodput": best.summary["slo_attainment"] if best else math.nan,
        "bracket": (lo, hi),
        "throughput_tokens_per_s_per_gpu": (
            best.summary["tokens_per_s_per_gpu"] if best else math.nan
        ),  # fmt: skip
        "simulations": len(runs),
        "truncated_rates": sorted(r for r, res in runs.items() if res.summary["truncated"]),
        "result": best,
    }


@dataclass
class LoadSweep:
    """Simulations of one server configuration at a grid of arrival rates.

    Built by :func:`load_sweep`. The request tables are kept, so attainment and goodput for
    other latency targets are recomputed without simulating again (:meth:`curve`,
    :meth:`goodput_per_gpu`).

    Attributes
    ----------
    label : str
        What was simulated (policy and pools).
    rates_per_gpu : numpy.ndarray
        Arrival rates divided by every GPU used (requests/s per GPU).
    n_gpus : int
        GPUs used (prefill and decode pools included).
    results : list of ServingResult
        One simulation per rate.
    """

    label: str
    rates_per_gpu: np.ndarray
    n_gpus: int
    results: list

    def curve(self, ttft_ms: float, tpot_ms: float) -> pd.DataFrame:
        """Attainment and throughput against the arrival rate for these targets.

        Parameters
        ----------
        ttft_ms, tpot_ms : float
            Latency targets (ms).

        Returns
        -------
        pandas.DataFrame
            ``rate_per_gpu`` (offered requests/s per GPU), ``attainment`` (share meeting
            both targets), ``throughput_rps_per_gpu`` and ``tokens_per_s_per_gpu``
            (completed), ``goodput_rps_per_gpu_vllm`` (vLLM's definition: requests/s meeting
            every target, at the offered rate), ``ttft_p99_ms`` and ``tpot_p99_ms``.
        """
        rows = []
        for rate, res in zip(self.rates_per_gpu, self.results, strict=True):
            req, s = res.requests, res.summary
            att = slo_attainment(req, ttft_ms, tpot_ms)
            rows.append({
                "rate_per_gpu": rate,
                "attainment": att,
                "throughput_rps_per_gpu": s["requests_per_s"] / self.n_gpus,
                "tokens_per_s_per_gpu": s["tokens_per_s_per_gpu"],
                "goodput_rps_per_gpu_vllm": att * s["n_requests"] / s["duration_s"] / self.n_gpus,
                "ttft_p99_ms": s["ttft_ms_p99"],
                "tpot_p99_ms": s["tpot_ms_p99"],
            })  # fmt: skip
        return pd.DataFrame(rows)

    def goodput_per_gpu(self, ttft_ms: float, tpot_ms: float, attainment: float = 0.9) -> float:
        """DistServe's goodput per GPU read off the grid: the highest rate whose attainment is
        at least ``attainment``, interpolated linearly where the curve crosses it (0 when even
        the lowest rate misses; the last rate when none does).

        Parameters
        ----------
        ttft_ms, tpot_ms : float
            Latency targets (ms).
        attainment : float
            Share of requests that must meet both, in (0, 1].

        Returns
        -------
        float
            Requests/s per GPU (a grid estimate; :func:`goodput` bisects precisely).
        """
        c = self.curve(ttft_ms, tpot_ms)
        return grid_goodput_rps_per_gpu(c["rate_per_gpu"], c["attainment"], attainment)


@renamed_parameters(n_gpus="tensor_parallel")
def capacity_estimate_rps(model, gpu, prompt_tokens: float, output_tokens: float, **kw) -> float:
    """Requests/s one instance can sustain at most: static batching at the largest batch
    that fits, at most :data:`DEFAULT_MAX_RUNNING_REQUESTS` (the simulator's default; an upper
    anchor for rate grids, not a goodput).

    Parameters
    ----------
    model, gpu : str or spec
        What serves.
    prompt_tokens, output_tokens : float
        Mean request lengths.
    **kw
        ``precision``, ``efficiency``, ``tensor_parallel`` as in
        :func:`inferecon.serving_performance`.

    Returns
    -------
    float
        Requests per second.
    """
    from .serving import max_batch

    n = kw.get("tensor_parallel", 1)
    prec = kw.get("precision", "bf16")
    b = max(int(max_batch(model, gpu, prompt_tokens + output_tokens, prec, tensor_parallel=n)), 1)
    sp = serving_performance(model, gpu, min(b, DEFAULT_MAX_RUNNING_REQUESTS), round(prompt_tokens),
                             round(output_tokens), check_memory=False, **kw).iloc[0]  # fmt: skip
    return float(sp["tokens_per_s_per_replica"] / output_tokens)


@renamed_parameters(n_gpus="tensor_parallel")
def rate_grid_per_gpu(model, gpu, prompt_tokens, output_tokens, n_rates: int = 10,
                      **kw) -> np.ndarray:  # fmt: skip
    """The default grid of arrival rates per GPU for a load sweep.

    ``n_rates`` rates spaced evenly on a log scale over :data:`RATE_GRID_CAPACITY_SHARES` of
    :func:`capacity_estimate_rps` per GPU of one instance (:func:`load_sweep`'s default and
    notebook 03's goodput explorer).

    Parameters
    ----------
    model, gpu : str or spec
        What serves.
    prompt_tokens, output_tokens : int, float or LengthDistribution
        Request lengths (their means set the capacity).
    n_rates : int
        Rates in the grid (>= 2).
    **kw
        ``precision``, ``efficiency``, ``tensor_parallel`` as in :func:`capacity_estimate_rps`.

    Returns
    -------
    numpy.ndarray
        Requests/s per GPU, increasing.
    """
    n = require_in_range("n_rates", n_rates, 2, 1000)
    p = prompt_tokens if isinstance(prompt_tokens, LengthDistribution) else fixed_lengths(
        prompt_tokens)  # fmt: skip
    o = output_tokens if isinstance(output_tokens, LengthDistribution) else fixed_lengths(
        output_tokens)  # fmt: skip
    kw = {k: kw[k] for k in ("precision", "efficiency", "tensor_parallel") if k in kw}
    cap = capacity_estimate_rps(model, gpu, _mean(p), _mean(o), **kw) / int(
        kw.get("tensor_parallel", 1)
    )
    lo, hi = RATE_GRID_CAPACITY_SHARES
    return np.geomspace(lo * cap, hi * cap, int(n))


@renamed_parameters(n_gpus="tensor_parallel")
def load_sweep(
    model,
    gpu,
    rates_per_gpu=None,
    *,
    policy: str = "chunked_prefill",
    prompt_tokens: int | LengthDistribution = 512,
    output_tokens: int | LengthDistribution = 256,
    n_requests: int = 2_000,
    seed: int = 0,
    n_rates: int = 10,
    **simulate_kwargs,
) -> LoadSweep:
    """Simulate one configuration at a grid of Poisson arrival rates (the same draws at each).

    Parameters
    ----------
    model, gpu : str or spec
        What serves.
    rates_per_gpu : array-like, optional
        Arrival rates per GPU (requests/s per GPU, > 0). By default
        :func:`rate_grid_per_gpu` with ``n_rates`` rates.
    policy : str
        As in :func:`simulate_serving`.
    prompt_tokens, output_tokens : int or LengthDistribution
        Request lengths.
    n_requests : int
        Requests per simulation.
    seed : int
        Seed of the workload's draws.
    n_rates : int
        Grid size when ``rates_per_gpu`` is not given.
    **simulate_kwargs
        Passed to :func:`simulate_serving` (``tensor_parallel``, ``prefill_instances``,
        ``decode_instances``, ``prefill_expert_parallel``, ``decode_expert_parallel``,
        ``precision``, ``max_running_requests``...); the GPUs counted per rate are every
        pool's.

    Returns
    -------
    LoadSweep
    """
    total, label = _gpus_and_label(policy, simulate_kwargs)
    p = _lengths(prompt_tokens, "prompt_tokens")
    o = _lengths(output_tokens, "output_tokens")
    if rates_per_gpu is None:
        rates_per_gpu = rate_grid_per_gpu(model, gpu, p, o, n_rates, **simulate_kwargs)
    rates = np.asarray(rates_per_gpu, dtype=float)
    require_positive("rates_per_gpu", rates)
    base = poisson_workload(1.0, n_requests, p, o)
    results = [simulate_serving(model, gpu, base.at_rate(r * total), policy=policy, seed=seed,
                                **simulate_kwargs) for r in rates]  # fmt: skip
    return LoadSweep(label, rates, total, results)


def _gpus_and_label(policy: str, kw: dict) -> tuple[int, str]:
    """GPUs of a :func:`simulate_serving` configuration and its label: ``"chunked_prefill"``,
    ``"disaggregated 1P2D"``; an expert-parallel pool counts its EP size per instance and is
    labelled with it (``"disaggregated 1P2D(EP72)"``)."""
    tensor_parallel = int(kw.get("tensor_parallel", 1))
    if policy != "disaggregated":
        return tensor_parallel, policy
    label, total = "disaggregated ", 0
    for pool, letter in (("prefill", "P"), ("decode", "D")):
        instances = int(kw.get(f"{pool}_instances", 1))
        ep = int(kw.get(f"{pool}_expert_parallel", 1))
        total += instances * (ep if ep > 1 else tensor_parallel)
        label += f"{instances}{letter}" + (f"(EP{ep})" if ep > 1 else "")
    return total, label
