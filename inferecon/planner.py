"""Plan a deployment: the cheapest fleet that meets latency targets through a day of traffic.

:func:`plan_deployment` takes a model, a day's load curve (:class:`inferecon.LoadCurve`), the
request lengths, latency targets (TTFT, TPOT, attainment), a grid of serving configurations
(:func:`serving_configurations`: GPU, precision, tensor parallelism, scheduler, most running
requests) and prices (rent per GPU-hour, or own: purchase, lifetime, cost of capital; energy
and hosting as in :func:`inferecon.cost_breakdown`). For each configuration it finds the
**goodput per replica** (DistServe's definition, as :func:`inferecon.goodput`: the highest
arrival rate whose requests meet both targets for the attainment share), the **replicas
needed** bin by bin of the load curve (fixed at the peak, or scaled each hour, paying a stated
scale-up delay for every replica added), the GPU-hours, the cost per day and per million
output tokens, and returns the cheapest configuration with its runner-ups; beside it, the same
workload at an API's list prices (:func:`inferecon.api_bill`).

The search scales three ways.

**Pruning with a ceiling that is a theorem about the simulator.** :func:`goodput_ceiling_rps`
bounds from above the goodput the simulation can return, from the step model alone, without
simulating. Configurations are visited in order of their cost *at the ceiling* (a lower bound
on their cost, since cost never rises with goodput); once the cheapest cost found is below the
next lower bound, every remaining configuration is pruned unsimulated. The pruned search
returns exactly the brute-force optimum (ties go to the earlier configuration of the grid).

*The bound.* Let ``f(T)`` be the step model's time of an iteration of ``T`` prompt tokens with no
attention (``cost.iteration_s(T, 0, 0, 0, 0)``) and ``c`` a number no larger than ``f(T) / T`` for
any whole ``1 <= T <= T_max``, with ``T_max`` at least the most tokens one iteration can hold
(running requests + token budget + the longest prompt and output, which bounds a recomputation after
preemption). For the concave step models of the roofline ``f(T) / T`` falls with ``T`` and ``c =
f(T_max) / T_max``; the GEMM time model's tile and wave quantization make it slightly saw-toothed
(about 0.1% at most), so the planner takes the least ``f(T) / T`` on a geometric grid of 256 points
lowered by :data:`SAWTOOTH_MARGIN` (1%): checked, not proved, against every whole ``T`` in the
configurations the tests sweep. One property of the step model (checked by the tests for
:class:`inferecon.IterationCost`): *dominance*: an iteration of ``P`` prompt tokens and ``D``
decodes lasts at least ``f(P + D)`` (its linear layers, communication and overhead depend on ``P +
D`` only; attention and cache reads only add). So every iteration lasts at least ``c`` times its
tokens, and an instance that has processed ``W`` tokens by time ``t`` (its iterations never overlap)
has ``c W <= t``; ``m`` instances, ``c W <= m t``. A request ``i`` that meets both targets has had
its ``p_i`` prompt tokens processed by ``a_i + TTFT`` (its first token comes from its last prompt
chunk) and its ``p_i + o_i - 1`` tokens by ``a_i + TTFT + (o_i - 1) TPOT`` (it finished within its
TPOT budget). With common random numbers the arrivals at rate ``r`` are ``a_i = a_i(1) / r``. If at
least ``k = ceil(attainment n)`` of the ``n`` measured requests (those after the warm-up; the
warm-up's work only adds to the server's, and none of theirs starts before the first of them
arrives, so time counts from that arrival) meet both targets, then for every deadline ``t`` the met
requests due by ``t`` fit: their work is at least the ``j - (n - k)`` smallest works among the ``j``
requests due by ``t`` (at most ``n - k`` of them miss). For the TTFT deadlines the order of the
deadlines is the arrival order at every rate, which gives the closed form ``r <= min_j a_(j)(1) / (c
g_j / m - TTFT)`` over the ``j`` with ``c g_j / m > TTFT`` (``g_j`` the sum of the ``j - (n - k)``
smallest prompts among the first ``j`` arrivals); for the end deadlines the ``j - (n - k)`` smallest
works of all requests (a smaller sum, still valid) and a bisection on ``r`` (the condition is
monotone: deadlines only shrink as ``r`` grows). A first iteration lasts at least ``f(1)``, so
``f(1) > TTFT`` gives a ceiling of 0, as ``f(1) > TPOT`` does when fewer than ``k`` outputs are one
token long. The disaggregated policy applies the TTFT condition to its ``P`` prefill instances
(prompts) and the end condition to its ``D`` decode instances (``o_i - 1`` tokens each). Rates above
the ceiling are known to miss, so the goodput search skips them (the result is unchanged).

**Common random numbers.** Every configuration is simulated on the same request table (one
seed): comparisons between configurations are not blurred by sampling noise, and with lengths
given as :class:`inferecon.LengthDistribution` (e.g. :func:`inferecon.lognormal_lengths`) the
goodput of a replica equals :func:`inferecon.goodput` for the same seed.

**Parallel and distributed.** Configurations are simulated in rounds of ``batch_size`` (pruning
decisions fall between rounds only, so the configurations simulated do not depend on how many
run at once): across processes with ``workers=`` (:class:`concurrent.futures.ProcessPoolExecutor`),
or on any executor with a ``submit`` whose futures have ``result()``: a
:class:`concurrent.futures.Executor`, or a Dask ``distributed.Client`` (``executor=``). Results
are identical to ``workers=1`` for the same seeds. Dask distributed rather than Ray: it is pure
Python (installs from PyPI or conda-forge with no platform wheels to wait for), a
``LocalCluster`` of two workers starts in about a second in CI, and its ``Client`` has the
``concurrent.futures`` interface, so the same loop runs locally and on a cluster (``pip install
inferecon[distributed]``). Ray would bring a large binary wheel, its own object store and
processes, and an API of its own for the same map.

What the plan cannot know: the goodput is the simulator's, on the calibrated step model (its
held-out error applies to every number here); a replica's goodput is measured on Poisson (or
gamma, ``burstiness``) arrivals at a constant rate, and the replicas of a bin serve its mean
rate times ``headroom``: within-hour bursts above that (``LoadCurve.rate_cv``) need headroom,
which :func:`check_plan` measures by routing the peak's requests across the planned replicas
(:func:`inferecon.simulate_replicas`). A run of ``n_requests`` that starts empty meets the
targets for a while at rates it cannot sustain, so each run's first ``warmup_share`` of
arrivals is served but not counted, and ``n_requests`` must cover a few times the time a
request spends in the server: with too few, the goodput is overstated (Llama-3.1-8B on an L40S,
lognormal lengths 400/120, TTFT 500 ms: 23 requests/s measured on 200 requests, 16 on 1,000,
14.5 on 4,000; :func:`check_plan` shows the shortfall).
"""

from __future__ import annotations

import math
import time as _time
import warnings
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ._validate import plain, require_in_range, require_positive
from .factory_assumptions import _kwh_or_default, _pue_or_default, default_all_in_kw_per_gpu
from .serving import IterationCost, max_batch, serving_performance
from .simulator import (
    CHUNKED_PREFILL_BATCH_TOKENS,
    DEFAULT_MAX_RUNNING_REQUESTS,
    POLICIES,
    PREFILL_FIRST_MIN_BATCH_TOKENS,
    simulate_serving,
)
from .specs import get_gpu, get_model
from .token_costs import _hardware_hour, facility_usd_per_gpu_hour
from .traffic import DAY_S, JointLengths, LoadCurve
from .workloads import Workload, _lengths, poisson_workload

__all__ = [
    "DeploymentPlan",
    "check_plan",
    "ServingConfiguration",
    "goodput_ceiling_rps",
    "plan_deployment",
    "replica_goodput",
    "replica_schedule",
    "serving_configurations",
]


# --------------------------------------------------------------------------- configurations


@dataclass(frozen=True)
class ServingConfiguration:
    """One way to serve: a replica of ``tensor_parallel`` GPUs per instance under a scheduler.

    A replica is one instance for ``"chunked_prefill"`` and ``"prefill_first"``, and
    ``prefill_instances`` + ``decode_instances`` instances for ``"disaggregated"``.

    Attributes
    ----------
    gpu : str
        A GPU of ``data/gpus.csv``.
    precision : str
        Weight (and KV-cache) precision.
    tensor_parallel : int
        GPUs per instance.
    policy : str
        Scheduler of :func:`inferecon.simulate_serving`.
    max_batch_tokens : int or None
        Chunked-prefill token budget (None: the simulator's default).
    prefill_instances, decode_instances : int
        Pool sizes of the disaggregated policy (1 and 1 otherwise).
    max_running_requests : int
        Most requests running at once per instance.
    """

    gpu: str
    precision: str
    tensor_parallel: int
    policy: str = "chunked_prefill"
    max_batch_tokens: int | None = None
    prefill_instances: int = 1
    decode_instances: int = 1
    max_running_requests: int = DEFAULT_MAX_RUNNING_REQUESTS

    @property
    def instances(self) -> int:
        """Instances per replica."""
        if self.policy == "disaggregated":
            return self.prefill_instances + self.decode_instances
        return 1

    @property
    def gpus_per_replica(self) -> int:
        """GPUs per replica (every instance's)."""
        return self.tensor_parallel * self.instances

    @property
    def scheduler(self) -> str:
        """The scheduler in words (policy and its parameter)."""
        if self.policy == "chunked_prefill":
            return f"chunked prefill {self.max_batch_tokens or 'default'} tok"
        if self.policy == "disaggregated":
            return f"disaggregated {self.prefill_instances}P:{self.decode_instances}D"
        return "prefill first"

    @property
    def label(self) -> str:
        """A one-line description."""
        return (f"{self.gpu} {self.precision} TP{self.tensor_parallel}, {self.scheduler}, "
                f"max {self.max_running_requests} running")  # fmt: skip

    def simulate_kwargs(self) -> dict:
        """Keyword arguments of :func:`inferecon.simulate_serving` for this configuration."""
        kw = {"policy": self.policy, "tensor_parallel": self.tensor_parallel,
              "max_running_requests": self.max_running_requests}  # fmt: skip
        if self.max_batch_tokens is not None:
            kw["max_batch_tokens"] = self.max_batch_tokens
        if self.policy == "disaggregated":
            kw["prefill_instances"] = self.prefill_instances
            kw["decode_instances"] = self.decode_instances
        return kw


def _scheduler(spec) -> tuple[str, int | None, int, int]:
    """(policy, max_batch_tokens, prefill_instances, decode_instances) from a scheduler spec."""
    s = (spec,) if isinstance(spec, str) else tuple(spec)
    if not s or s[0] not in POLICIES:
        raise ValueError(f"schedulers must name policies of {list(POLICIES)} (a name, or "
                         "('chunked_prefill', tokens), ('disaggregated', P, D)); "
                         f"got {spec!r}")  # fmt: skip
    if s[0] == "chunked_prefill" and len(s) <= 2:
        tok = None if len(s) == 1 else int(require_in_range("max_batch_tokens", s[1], 1, 1e8))
        return ("chunked_prefill", tok, 1, 1)
    if s[0] == "prefill_first" and len(s) == 1:
        return ("prefill_first", None, 1, 1)
    if s[0] == "disaggregated" and len(s) in (1, 3):
        p, d = (1, 1) if len(s) == 1 else s[1:]
        for name, v in (("prefill_instances", p), ("decode_instances", d)):
            require_in_range(name, v, 1, 64)
        return ("disaggregated", None, int(p), int(d))
    raise ValueError(f"schedulers: cannot read {spec!r} (a policy name, ('chunked_prefill', "
                     "tokens) or ('disaggregated', P, D))")  # fmt: skip


def serving_configurations(
    gpus=("H100-SXM",),
    precisions=("bf16",),
    tensor_parallel=(1, 2, 4, 8),
    schedulers=("chunked_prefill",),
    max_running_requests=(DEFAULT_MAX_RUNNING_REQUESTS,),
) -> list[ServingConfiguration]:
    """Every combination of the candidates, in a fixed order (the grid's order breaks ties).

    Parameters
    ----------
    gpus : sequence of str
        GPUs of ``data/gpus.csv``.
    precisions : sequence of str
        Weight precisions (``"bf16"``, ``"fp8"``, ``"fp4"``).
    tensor_parallel : sequence of int
        GPUs per instance, each >= 1.
    schedulers : sequence
        Each a policy name, ``("chunked_prefill", max_batch_tokens)`` or
        ``("disaggregated", prefill_instances, decode_instances)``.
    max_running_requests : sequence of int
        Most running requests per instance, each >= 1.

    Returns
    -------
    list of ServingConfiguration
    """
    names = [get_gpu(g).name for g in gpus]
    if not names:
        raise ValueError("gpus must name at least one GPU")
    for name, seq in (("precisions", precisions), ("tensor_parallel", tensor_parallel),
                      ("schedulers", schedulers),
                      ("max_running_requests", max_running_requests)):  # fmt: skip
        if isinstance(seq, str) or not len(seq):
            raise ValueError(f"{name} must be a non-empty sequence; got {seq!r}")
    for tp in tensor_parallel:
        require_in_range("tensor_parallel", tp, 1, 4096)
    for m in max_running_requests:
        require_in_range("max_running_requests", m, 1, 1e6)
    sched = [_scheduler(s) for s in schedulers]
    return [
        ServingConfiguration(g, p, int(tp), pol, tok, pi, di, int(m))
        for g in names
        for p in precisions
        for tp in tensor_parallel
        for pol, tok, pi, di in sched
        for m in max_running_requests
    ]


# --------------------------------------------------------------------------- requests


@dataclass(frozen=True, eq=False)
class _Requests:
    """The request table at rate 1 that every configuration replays (common random numbers)."""

    arrival: np.ndarray
    prompt: np.ndarray
    output: np.ndarray
    workload: object = None  # an open-loop Workload at rate 1 (LengthDistribution lengths)
    warmup: int = 0  # the first arrivals, served but not counted in the attainment

    def at_rate(self, rate: float):
        if self.workload is not None:
            return self.workload.at_rate(rate)
        # the table was drawn here, valid by construction: no re-validation per rate
        df = pd.DataFrame({"arrival_s": self.arrival / rate, "prompt_tokens": self.prompt,
                           "output_tokens": self.output})  # fmt: skip
        return Workload("trace", len(df), trace=df)


def _base_requests(lengths, n_requests: int, seed: int, burstiness: float,
                   warmup_share: float = 0.0) -> _Requests:  # fmt: skip
    n = int(require_in_range("n_requests", n_requests, 10, 1_000_000))
    w = int(math.floor(require_in_range("warmup_share", warmup_share, 0.0, 0.9) * n))
    if isinstance(lengths, JointLengths):
        rng = np.random.default_rng(seed)
        u = rng.standard_gamma(burstiness, n)
        prompt, output = lengths.sample(n, rng)
        gaps = u / burstiness
        return _Requests(np.cumsum(gaps) - gaps[0], prompt, output, warmup=w)
    if isinstance(lengths, tuple) and len(lengths) == 2:
        wl = poisson_workload(1.0, n, _lengths(lengths[0], "prompt_tokens"),
                              _lengths(lengths[1], "output_tokens"), burstiness)  # fmt: skip
        df = wl.requests(seed)
        return _Requests(df["arrival_s"].to_numpy(float), df["prompt_tokens"].to_numpy(np.int64),
                         df["output_tokens"].to_numpy(np.int64), wl, w)  # fmt: skip
    raise ValueError("lengths must be a JointLengths (e.g. ie.trace_lengths()) or a pair "
                     "(prompt_tokens, output_tokens) of ints or LengthDistributions "
                     f"(e.g. ie.lognormal_lengths()); got {type(lengths).__name__}")  # fmt: skip


def _mean_lengths(lengths, seed: int) -> tuple[float, float]:
    """Expected prompt and output tokens per request (a 200,000-request sample)."""
    rng = np.random.default_rng(seed)
    if isinstance(lengths, JointLengths):
        p, o = lengths.sample(200_000, rng)
    else:
        p = _lengths(lengths[0], "prompt_tokens").sample(200_000, rng)
        o = _lengths(lengths[1], "output_tokens").sample(200_000, rng)
    return float(p.mean()), float(o.mean())


# --------------------------------------------------------------------------- the ceiling


def _token_floor(cost, config: ServingConfiguration, longest_tokens: int) -> tuple[float, float]:
    """(c, f(1)): seconds per token no iteration beats, and the shortest iteration."""
    if config.policy == "chunked_prefill":  # decodes and chunks share the budget
        budget = config.max_batch_tokens or CHUNKED_PREFILL_BATCH_TOKENS
    else:  # the simulator's default: max(context length, 2048) prompt tokens per iteration
        ctx = int(getattr(getattr(cost, "model", None), "context_length", 0) or 0)
        budget = max(config.max_batch_tokens or 0, ctx, PREFILL_FIRST_MIN_BATCH_TOKENS)
    t_max = int(config.max_running_requests + budget + longest_tokens)
    return _per_token_floor(cost, t_max), cost.iteration_s(1.0, 0, 0, 0, 0)


SAWTOOTH_MARGIN = 0.01
"""Share by which the ceiling's seconds per token ``c`` is lowered below the least ``f(T) / T``
found on a grid (see the module docstring): the GEMM time model's tile and wave quantization
make ``f(T) / T`` saw-toothed, by at most 0.2% between grid points in every configuration
``tests/unit/test_planner.py`` sweeps exhaustively (every whole ``T`` up to 6,000 and past the
largest budgets)."""

_FLOOR_GRID_POINTS = 256


def _per_token_floor(cost, t_max: int) -> float:
    """``c``: ``(1 - SAWTOOTH_MARGIN)`` times the least ``f(u) / u`` over a geometric grid of
    whole ``u`` in ``[1, t_max]`` (``t_max`` included), cached on the step model by ``t_max``."""
    # the step model's own attribute, never one a wrapper forwards (ScaledStepTime reads
    # unknown names from the model it scales, whose floor is not the scaled one)
    own = getattr(cost, "__dict__", None)
    cache = own.get("_planner_token_floor") if own is not None else None
    if cache is None:
        cache = {}
        try:
            cost._planner_token_floor = cache
        except AttributeError:  # a user's step model that refuses attributes: no cache
            pass
    if t_max not in cache:
        grid = np.unique(np.geomspace(1, t_max, _FLOOR_GRID_POINTS).round())
        per = [cost.iteration_s(float(u), 0, 0, 0, 0) / u for u in grid]
        cache[t_max] = (1.0 - SAWTOOTH_MARGIN) * float(min(per))
    return cache[t_max]


def _prefix_smallest_sums(values: np.ndarray, drop: int) -> np.ndarray:
    """For each prefix of ``j`` values, the sum of its ``j - drop`` smallest (0 while j <= drop)."""
    import heapq

    out = np.zeros(len(values))
    total, kept = 0.0, []  # kept: a max-heap (negated) of the j - drop smallest so far
    pending = []  # a min-heap of values not (yet) among the smallest
    for j, v in enumerate(values.tolist()):
        heapq.heappush(pending, v)
        # the smallest j + 1 - drop of the prefix: move from pending to kept while too few,
        # and swap while pending's smallest beats kept's largest
        while len(kept) < j + 1 - drop and pending:
            x = heapq.heappop(pending)
            heapq.heappush(kept, -x)
            total += x
        while kept and pending and pending[0] < -kept[0]:
            x, y = heapq.heappop(pending), -heapq.heappop(kept)
            heapq.heappush(kept, -x)
            heapq.heappush(pending, y)
            total += x - y
        out[j] = total
    return out


@dataclass(frozen=True, eq=False)
class _CeilingData:
    """What the ceiling needs from the request table (independent of the configuration)."""

    arrival: np.ndarray  # rate-1 arrivals, sorted
    prompt_prefix: np.ndarray  # g_j of the TTFT condition, in arrival order
    total_sorted_cum: np.ndarray  # cumulative sums of sorted p + o - 1
    decode_sorted_cum: np.ndarray  # cumulative sums of sorted o - 1
    slack_total: np.ndarray  # TTFT + (o - 1) TPOT per request (s), arrival order
    k: int
    n: int
    one_token: int
    longest: int


def _ceiling_data(req: _Requests, ttft_ms, tpot_ms, attainment) -> _CeilingData:
    order = np.argsort(req.arrival, kind="stable")
    longest = int(np.max(req.prompt + req.output))
    order = order[req.warmup :]  # the measured requests: warm-up work only adds to the server's
    # no measured work starts before the first measured arrival: count time from it
    a = req.arrival[order] - req.arrival[order[0]]
    p = req.prompt[order].astype(float)
    o = req.output[order].astype(float)
    n = len(a)
    k = math.ceil(attainment * n - 1e-9)
    drop = n - k
    return _CeilingData(
        a, _prefix_smallest_sums(p, drop),
        np.concatenate([[0.0], np.cumsum(np.sort(p + o - 1.0))]),
        np.concatenate([[0.0], np.cumsum(np.sort(o - 1.0))]),
        ttft_ms / 1e3 + (o - 1.0) * tpot_ms / 1e3, k, n, int(np.sum(o <= 1)), longest,
    )  # fmt: skip


def _end_condition_holds(d: _CeilingData, rate: float, c_per_m: float, cum: np.ndarray) -> bool:
    due = np.sort(d.arrival / rate + d.slack_total)
    j = np.arange(1, d.n + 1)
    q = np.clip(j - (d.n - d.k), 0, d.n)
    return bool(np.all(c_per_m * cum[q] <= due * (1 + 1e-12)))


def _ceiling_from(d: _CeilingData, c: float, f1: float, config, ttft_ms, tpot_ms) -> float:
    if f1 > ttft_ms / 1e3 or (f1 > tpot_ms / 1e3 and d.one_token < d.k):
        return 0.0
    disagg = config.policy == "disaggregated"
    m_pre = config.prefill_instances if disagg else 1
    m_end = config.decode_instances if disagg else 1
    # TTFT: the prompts of the met requests due by each arrival's TTFT deadline fit
    need = c * d.prompt_prefix / m_pre - ttft_ms / 1e3
    pos = need > 0
    r_ttft = math.inf
    if np.any(pos):
        with np.errstate(divide="ignore"):
            r_ttft = float(np.min(d.arrival[pos] / need[pos]))
    # end: the met requests' work due by each end deadline fits (bisection, monotone in r)
    cum = d.decode_sorted_cum if disagg else d.total_sorted_cum
    cm = c / m_end
    hi = r_ttft if math.isfinite(r_ttft) else 1e9
    if hi <= 0 or _end_condition_holds(d, hi, cm, cum):
        return max(hi, 0.0) * (1 + 1e-9) if math.isfinite(r_ttft) else math.inf
    lo = 0.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if mid <= 0 or (hi - lo) <= 1e-9 * hi:
            break
        if _end_condition_holds(d, mid, cm, cum):
            lo = mid
        else:
            hi = mid
    return hi * (1 + 1e-9)


def goodput_ceiling_rps(
    model,
    config: ServingConfiguration,
    lengths,
    *,
    ttft_ms: float,
    tpot_ms: float,
    attainment: float = 0.9,
    n_requests: int = 1000,
    seed: int = 0,
    burstiness: float = 1.0,
    warmup_share: float = 0.25,
    efficiency=None,
    cost=None,
) -> float:
    """An upper bound on the goodput per replica that :func:`replica_goodput` can return.

    The bound of the module docstring: from the step model's seconds per token at the largest
    iteration, the TTFT deadlines of the prompts and the end deadlines of the met requests on
    the same request table (same ``n_requests``, ``seed`` and ``burstiness``); no simulation.

    Parameters
    ----------
    model, config, lengths, ttft_ms, tpot_ms, attainment
        What is served and the targets, as in :func:`replica_goodput`.
    n_requests, seed, burstiness, warmup_share, efficiency, cost
        The request table, its warm-up and the step-time model, as in
        :func:`replica_goodput`.

    Returns
    -------
    float
        Requests/s per replica (``inf`` when no bound applies, 0 when no rate can meet the
        targets).
    """
    slo = (ttft_ms, tpot_ms, attainment)
    return _replica_ceiling(model, config, lengths, slo, n_requests, seed, burstiness,
                            warmup_share, efficiency, cost)[2]  # fmt: skip


def _replica_ceiling(model, config, lengths, slo, n_requests, seed, burstiness, warmup_share,
                     efficiency, cost):  # fmt: skip
    """(request table, step-time model, goodput ceiling) of one configuration."""
    _check_slo(*slo)
    req = _base_requests(lengths, n_requests, seed, burstiness, warmup_share)
    d = _ceiling_data(req, *slo)
    c_obj = cost if cost is not None else _cost(model, config, efficiency)
    return req, c_obj, _ceiling_from(d, *_token_floor(c_obj, config, d.longest), config,
                                     *slo[:2])  # fmt: skip


def _check_slo(ttft_ms, tpot_ms, attainment):
    require_positive("ttft_ms", ttft_ms)
    require_positive("tpot_ms", tpot_ms)
    require_in_range("attainment", attainment, 0.0, 1.0, low_open=True)


def _cost(model, config: ServingConfiguration, efficiency):
    return IterationCost(model, config.gpu, config.precision, efficiency,
                         tensor_parallel=config.tensor_parallel)  # fmt: skip


# --------------------------------------------------------------------------- goodput


def _search(run_meets, ceiling: float, rel_tol: float, max_rate_per_s: float):
    """:func:`inferecon.goodput`'s doubling and bisection, skipping rates above the ceiling
    (known to miss). Returns (goodput, simulations)."""
    calls = [0]

    def meets(rate):
        if rate > ceiling:
            return False
        calls[0] += 1
        return run_meets(rate)

    lo, hi = 0.0, None
    rate = min(1.0, max_rate_per_s)
    while rate <= max_rate_per_s:
        if meets(rate):
            lo, rate = rate, rate * 2.0
        else:
            hi = rate
            break
    if hi is None:
        if lo < max_rate_per_s and not meets(max_rate_per_s):
            hi = max_rate_per_s
        else:
            lo = max_rate_per_s
    if hi is None:
        return lo, calls[0]
    if lo == 0.0:
        rate = hi / 2.0
        while rate > 1e-6 and not meets(rate):
            hi, rate = rate, rate / 2.0
        lo = rate if rate > 1e-6 else 0.0
    while lo > 0 and (hi - lo) / hi > rel_tol:
        mid = (lo + hi) / 2.0
        if meets(mid):
            lo = mid
        else:
            hi = mid
    return lo, calls[0]


def _evaluate(task) -> tuple[float, int]:
    """One configuration's goodput per replica (a picklable task for a process or a cluster)."""
    model, config, req, slo, rel_tol, max_rate, ceiling, efficiency, seed, cost = task
    ttft_ms, tpot_ms, attainment = slo
    c = cost if cost is not None else _cost(model, config, efficiency)
    kw = config.simulate_kwargs()
    n = len(req.arrival)

    def run_meets(rate):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            res = simulate_serving(workload=req.at_rate(rate), cost=c, ttft_ms=ttft_ms,
                                   tpot_ms=tpot_ms, seed=seed,
                                   max_time_s=86_400.0 + 2.0 * n / rate, **kw)  # fmt: skip
        if not req.warmup:
            return res.summary["slo_attainment"] >= attainment
        met = res.requests["met_both"].to_numpy()
        first = np.argsort(res.requests["arrival_s"].to_numpy(), kind="stable")
        return float(met[first[req.warmup :]].mean()) >= attainment

    return _search(run_meets, ceiling, rel_tol, max_rate)


def replica_goodput(
    model,
    config: ServingConfiguration,
    lengths,
    *,
    ttft_ms: float,
    tpot_ms: float,
    attainment: float = 0.9,
    n_requests: int = 1000,
    seed: int = 0,
    burstiness: float = 1.0,
    warmup_share: float = 0.25,
    rel_tol: float = 0.02,
    max_rate_per_s: float = 1e5,
    efficiency=None,
    cost=None,
) -> dict:
    """DistServe's goodput of one replica: the highest arrival rate meeting both targets.

    The search of :func:`inferecon.goodput` (doubling from 1 request/s, then bisection to
    ``rel_tol``) on one request table replayed at every rate; rates above
    :func:`goodput_ceiling_rps` are known to miss and are not simulated. With lengths given as
    a pair of :class:`inferecon.LengthDistribution` and ``warmup_share=0`` the result equals
    ``ie.goodput(...)["goodput_rps"]`` for the same arguments.

    Parameters
    ----------
    model : str or spec
        The model served.
    config : ServingConfiguration
        How it is served.
    lengths : JointLengths or tuple
        A :class:`inferecon.JointLengths` (prompt and output drawn jointly), or
        ``(prompt_tokens, output_tokens)`` as ints or :class:`inferecon.LengthDistribution`.
    ttft_ms, tpot_ms : float
        Latency targets (ms), > 0.
    attainment : float
        Share of requests that must meet both, in (0, 1].
    n_requests : int
        Requests per simulation, in [10, 1e6].
    seed : int
        Seed of the request table (the same for every configuration).
    burstiness : float
        Gamma shape of inter-arrival times (1: Poisson).
    warmup_share : float
        Share of the first arrivals served but left out of the attainment, in [0, 0.9]: a
        short run that starts empty meets the targets for a while at a rate it cannot
        sustain (the transient before the batch fills). 0 counts every request, as
        :func:`inferecon.goodput` does.
    rel_tol : float
        Relative width of the final bracket, in (0, 1).
    max_rate_per_s : float
        Upper bound of the search.
    efficiency : optional
        As in :func:`inferecon.simulate_serving`.
    cost : StepTimeModel, optional
        A step-time model in place of the calibrated one.

    Returns
    -------
    dict
        ``goodput_rps`` (requests/s per replica), ``goodput_rps_per_gpu``,
        ``ceiling_rps`` and ``simulations``.
    """
    require_in_range("rel_tol", rel_tol, 0.0, 1.0, low_open=True, high_open=True)
    require_positive("max_rate_per_s", max_rate_per_s)
    slo = (ttft_ms, tpot_ms, attainment)
    req, c, ceiling = _replica_ceiling(model, config, lengths, slo, n_requests, seed, burstiness,
                                       warmup_share, efficiency, cost)  # fmt: skip
    g, sims = _evaluate((model, config, req, slo, rel_tol, max_rate_per_s, ceiling, efficiency,
                         seed, c))  # fmt: skip
    return {"goodput_rps": g, "goodput_rps_per_gpu": g / config.gpus_per_replica,
            "ceiling_rps": ceiling, "simulations": sims}  # fmt: skip


# --------------------------------------------------------------------------- replicas and cost


def replica_schedule(
    curve: LoadCurve,
    goodput_rps: float,
    *,
    autoscale: bool = False,
    headroom: float = 1.0,
) -> np.ndarray:
    """Replicas needed in each bin of a load curve.

    ``ceil(rate * headroom / goodput_rps)`` per bin (at least one); without ``autoscale`` every
    bin gets the peak bin's count.

    Parameters
    ----------
    curve : LoadCurve
        Arrival rate per bin.
    goodput_rps : float
        Goodput per replica (requests/s), > 0.
    autoscale : bool
        Scale each bin (True) or hold the peak all day (False).
    headroom : float
        Capacity over the bin's mean rate, in [1, 10] (within-bin bursts).

    Returns
    -------
    numpy.ndarray
        Replicas per bin (int64).
    """
    require_positive("goodput_rps", goodput_rps)
    require_in_range("headroom", headroom, 1.0, 10.0)
    need = np.maximum(np.ceil(curve.rate_per_s * headroom / goodput_rps - 1e-9), 1)
    need = need.astype(np.int64)
    return need if autoscale else np.full_like(need, need.max())


@dataclass(frozen=True)
class _Prices:
    hardware: dict  # gpu -> USD per GPU-hour (rent, or owned annuity)
    facility: dict  # gpu -> USD per GPU-hour of hosting
    usd_per_kwh: float
    pue: float
    owned: bool


def _prices(gpus, usd_per_gpu_hour, purchase_usd, lifetime_years, cost_of_capital,
            usd_per_kwh, pue, facility_usd_per_kw_month, all_in_kw_per_gpu) -> _Prices:  # fmt: skip
    def per_gpu(value, g):
        return value.get(g) if isinstance(value, dict) else value

    owned = purchase_usd is not None
    hw, fac = {}, {}
    for g in gpus:
        rent = per_gpu(usd_per_gpu_hour, g)
        if not owned and rent is None:
            rent = get_gpu(g).usd_per_gpu_hour_mid
        hw[g] = float(_hardware_hour(rent if not owned else None, per_gpu(purchase_usd, g),
                                     lifetime_years, cost_of_capital))  # fmt: skip
        price = float(require_in_range("facility_usd_per_kw_month", facility_usd_per_kw_month,
                                       0.0, 1e6))  # fmt: skip
        kw = per_gpu(all_in_kw_per_gpu, g)
        if price > 0 and kw is None:
            kw = default_all_in_kw_per_gpu(g)[0]
        fac[g] = float(facility_usd_per_gpu_hour(kw, price)) if price > 0 else 0.0
    return _Prices(hw, fac, float(_kwh_or_default(usd_per_kwh, owned)),
                   float(_pue_or_default(pue)), owned)  # fmt: skip


def _day_cost(curve, config, goodput, power_w, prices, autoscale, delay_h, headroom,
              warmup=True) -> dict:  # fmt: skip
    """Cost of serving the curve with this goodput per replica (non-increasing in goodput when
    ``warmup`` is False: the lower bound the pruning uses)."""
    if not goodput > 0:
        return {"usd_per_day": math.inf}
    n = replica_schedule(curve, goodput, autoscale=autoscale, headroom=headroom)
    gpr = config.gpus_per_replica
    h = curve.bin_s / 3600.0
    day = DAY_S / curve.duration_s
    ups = np.maximum(n - np.roll(n, 1), 0).sum() if (autoscale and warmup) else 0
    gpu_h = (n.sum() * h + ups * delay_h) * gpr * day
    peak_gpus = int(n.max()) * gpr
    fleet_h = peak_gpus * 24.0 if prices.owned else gpu_h  # owned GPUs are paid every hour
    busy_gpu_h = float(np.sum(curve.rate_per_s / goodput) * h * gpr * day)
    busy_gpu_h = min(busy_gpu_h, gpu_h)
    idle_w = get_gpu(config.gpu).idle_w
    kwh = (busy_gpu_h * power_w + (fleet_h - busy_gpu_h) * idle_w) / 1000.0
    hardware = fleet_h * prices.hardware[config.gpu]
    facility = fleet_h * prices.facility[config.gpu]
    energy = kwh * prices.pue * prices.usd_per_kwh
    return {"peak_replicas": int(n.max()), "peak_gpus": peak_gpus, "gpu_hours_per_day": gpu_h,
            "hardware_usd_per_day": hardware, "facility_usd_per_day": facility,
            "energy_usd_per_day": energy, "usd_per_day": hardware + facility + energy,
            "replicas": n}  # fmt: skip


def _serving_power_w(model, config, efficiency, mean_p, mean_o) -> float:
    """Board power per GPU while serving: the serving model's energy per output token at the
    largest batch that fits (at most ``max_running_requests``), times its output rate."""
    b = int(max_batch(model, config.gpu, mean_p + mean_o, config.precision,
                      tensor_parallel=config.tensor_parallel))  # fmt: skip
    b = max(min(b, config.max_running_requests), 1)
    sp = serving_performance(model, config.gpu, b, round(mean_p), max(round(mean_o), 1),
                             config.precision, efficiency, tensor_parallel=config.tensor_parallel,
                             check_memory=False).iloc[0]  # fmt: skip
    return float(sp["joules_per_output_token"] * sp["tokens_per_s_per_replica"]
                 / config.tensor_parallel)  # fmt: skip


# --------------------------------------------------------------------------- the plan


@dataclass
class DeploymentPlan:
    """What :func:`plan_deployment` returns.

    Attributes
    ----------
    configurations : pandas.DataFrame
        One row per configuration of the grid, in its order: ``label``, ``gpu``,
        ``precision``, ``tensor_parallel``, ``policy``, ``scheduler``, ``max_batch_tokens``,
        ``prefill_instances``, ``decode_instances``, ``max_running_requests``,
        ``gpus_per_replica``, ``status`` (``"simulated"``, ``"pruned"`` by the ceiling, or
        ``"infeasible"``: the model does not fit, or the ceiling is 0),
        ``ceiling_rps_per_replica``, ``ceiling_rps_per_gpu``, ``lower_bound_usd_per_day``
        (the cost at the ceiling), ``lower_bound_usd_per_mtok_output``,
        ``goodput_rps_per_replica``, ``goodput_rps_per_gpu``, ``peak_replicas``,
        ``peak_gpus``, ``gpu_hours_per_day``, ``hardware_usd_per_day``,
        ``energy_usd_per_day``, ``facility_usd_per_day``, ``usd_per_day``,
        ``usd_per_mtok_output`` (per million output tokens, input included, as
        :func:`inferecon.api_bill`), ``usd_per_mtok`` (per million prompt and output tokens),
        ``simulations`` (NaN where not simulated).
    best : pandas.Series
        The cheapest configuration's row.
    runner_ups : pandas.DataFrame
        The next cheapest simulated configurations.
    schedule : pandas.DataFrame
        The cheapest configuration bin by bin: ``start_h``, ``rate_per_s``, ``replicas``,
        ``gpus``, ``capacity_rps`` (replicas times the goodput per replica).
    api : pandas.DataFrame or None
        The same workload at an API's list prices (:func:`inferecon.api_bill`), when asked.
    search : dict
        ``configurations``, ``simulated``, ``pruned``, ``infeasible``, ``share_pruned`` (not
        simulated, of all), ``simulations``, ``wall_s``, ``workers``.
    inputs : dict
        The scenario (targets, volume, mean lengths, pricing mode, autoscaling).
    """

    configurations: pd.DataFrame
    best: pd.Series
    runner_ups: pd.DataFrame
    schedule: pd.DataFrame
    api: pd.DataFrame | None
    search: dict
    inputs: dict = field(default_factory=dict)
    grid: list = field(default_factory=list, repr=False)
    """The :class:`ServingConfiguration` of each row of :attr:`configurations`."""
    curve: LoadCurve | None = field(default=None, repr=False)
    """The load curve the plan was priced for (hourly bins)."""
    pricing: dict = field(default_factory=dict, repr=False)
    """The pricing arguments of :func:`plan_deployment` (``usd_per_gpu_hour``, ``purchase_usd``,
    ``lifetime_years``, ``cost_of_capital``, ``usd_per_kwh``, ``pue``,
    ``facility_usd_per_kw_month``, ``all_in_kw_per_gpu``, ``api_model``, ``api_provider``,
    ``prices_as_of``): what :func:`inferecon.reprice_plan` starts from."""
    efficiency: object = field(default=None, repr=False)
    """The step model's efficiency argument the goodputs were simulated with."""

    def configuration(self, row: int | None = None) -> ServingConfiguration:
        """The configuration of a row of :attr:`configurations` (the cheapest by default).

        Parameters
        ----------
        row : int, optional
            Row index; the cheapest configuration's when omitted.

        Returns
        -------
        ServingConfiguration
        """
        return self.grid[int(self.best.name if row is None else row)]


def _check_executor(executor):
    if executor is not None and not callable(getattr(executor, "submit", None)):
        raise ValueError("executor must have a submit method (a concurrent.futures.Executor or "
                         f"a dask.distributed Client); got {type(executor).__name__}")  # fmt: skip


def plan_deployment(
    model,
    curve: LoadCurve,
    lengths,
    *,
    ttft_ms: float,
    tpot_ms: float,
    attainment: float = 0.9,
    configurations=None,
    usd_per_gpu_hour=None,
    purchase_usd=None,
    lifetime_years=None,
    cost_of_capital: float = 0.0,
    usd_per_kwh=None,
    pue=None,
    facility_usd_per_kw_month: float = 0.0,
    all_in_kw_per_gpu=None,
    autoscale: bool = False,
    scale_up_delay_s: float = 600.0,
    headroom: float = 1.0,
    n_requests: int = 1000,
    seed: int = 0,
    burstiness: float = 1.0,
    warmup_share: float = 0.25,
    rel_tol: float = 0.02,
    efficiency=None,
    prune: bool = True,
    workers: int = 1,
    executor=None,
    batch_size: int = 8,
    runner_ups: int = 4,
    api_model: str | None = None,
    api_provider: str | None = None,
    prices_as_of=None,
    progress=None,
) -> DeploymentPlan:
    """The cheapest configuration that meets the latency targets through the load curve.

    See the module docstring for the search (ceiling, pruning, common random numbers,
    parallel and distributed runs) and what the plan cannot know.

    Parameters
    ----------
    model : str or spec
        The model served (``data/models.csv``).
    curve : LoadCurve
        The arrival rate over a day (or longer: costs are per day); bins shorter than an hour
        are averaged to hours when an hour is a whole number of bins.
    lengths : JointLengths or tuple
        :func:`inferecon.trace_lengths`, or ``(prompt_tokens, output_tokens)`` as ints or
        :class:`inferecon.LengthDistribution` (e.g. :func:`inferecon.lognormal_lengths`).
    ttft_ms, tpot_ms : float
        Latency targets (ms), > 0.
    attainment : float
        Share of requests that must meet both, in (0, 1].
    configurations : list of ServingConfiguration, optional
        The grid (:func:`serving_configurations`; its default when omitted).
    usd_per_gpu_hour : float or dict, optional
        Rental price per GPU-hour (a dict maps GPU names to prices); each GPU's mid rental
        price of ``data/gpus.csv`` when neither this nor ``purchase_usd`` is given.
    purchase_usd : float or dict, optional
        Owning: price per GPU (USD); the whole peak fleet is paid every hour.
    lifetime_years, cost_of_capital : float
        Owning: life (years, (0, 50]) and annual rate ([0, 1]), as in
        :func:`inferecon.owned_usd_per_gpu_hour`.
    usd_per_kwh, pue : float, optional
        Electricity price and PUE, as in :func:`inferecon.cost_breakdown` (a rental price
        includes power unless ``usd_per_kwh`` is given).
    facility_usd_per_kw_month : float
        Hosting per kW of all-in power per month (USD, >= 0).
    all_in_kw_per_gpu : float or dict, optional
        All-in kW per GPU for hosting (the cited default of each GPU when omitted).
    autoscale : bool
        Scale replicas bin by bin (True) or hold the peak fleet all day (False).
    scale_up_delay_s : float
        Seconds a new replica is paid before it serves (start, weights load), in [0, 86400];
        replicas are started ahead of a known load curve, so the delay costs GPU-hours, not
        attainment.
    headroom : float
        Capacity over each bin's mean rate, in [1, 10].
    n_requests : int
        Requests per simulation, in [10, 1e6].
    seed : int
        Seed of the request table every configuration replays.
    burstiness : float
        Gamma shape of the inter-arrival times (1: Poisson), in (0, 100].
    warmup_share : float
        Share of each run's first arrivals left out of the attainment, in [0, 0.9] (see
        :func:`replica_goodput`).
    rel_tol : float
        Relative precision of each goodput, in (0, 1).
    efficiency : optional
        As in :func:`inferecon.simulate_serving` (``None``: the stored calibration).
    prune : bool
        Skip configurations whose ceiling cannot beat the best found, and rates above a
        configuration's ceiling (False: brute force, the ceiling unused).
    workers : int
        Processes that simulate at once (1: in this process).
    executor : optional
        Any object with ``submit`` (a :class:`concurrent.futures.Executor`, or a Dask
        ``distributed.Client``); overrides ``workers``.
    batch_size : int
        Configurations simulated per round (pruning decisions fall between rounds), >= 1.
    runner_ups : int
        Runner-ups reported, in [0, 100].
    api_model, api_provider : str, optional
        An API model (and provider) of genai-prices' snapshot to price the same workload at.
    prices_as_of : date-like, optional
        Date of the API price (as in :func:`inferecon.api_bill`).
    progress : callable, optional
        Called as ``progress(done, total)`` with ``total`` the configurations of the grid:
        once before any simulation (``done``: the configurations found infeasible), after each
        configuration simulated, and with ``done == total`` when the search ends (the pruned
        ones are decided then). For a progress bar; it cannot change the search.

    Returns
    -------
    DeploymentPlan
    """
    t_wall = _time.perf_counter()
    if progress is not None and not callable(progress):
        raise ValueError(f"progress must be callable as progress(done, total); got "
                         f"{type(progress).__name__}")  # fmt: skip
    m = get_model(model)
    _check_slo(ttft_ms, tpot_ms, attainment)
    if not isinstance(curve, LoadCurve):
        raise ValueError(f"curve must be a LoadCurve; got {type(curve).__name__}")
    require_in_range("scale_up_delay_s", scale_up_delay_s, 0.0, DAY_S)
    require_in_range("headroom", headroom, 1.0, 10.0)
    require_in_range("burstiness", burstiness, 0.0, 100.0, low_open=True)
    require_in_range("rel_tol", rel_tol, 0.0, 1.0, low_open=True, high_open=True)
    n_workers = int(require_in_range("workers", workers, 1, 1024))
    if workers != round(workers):
        raise ValueError(f"workers must be a whole number; got {plain(workers)!r}")
    batch = int(require_in_range("batch_size", batch_size, 1, 10_000))
    top = int(require_in_range("runner_ups", runner_ups, 0, 100))
    _check_executor(executor)
    if curve.bin_s < 3600 and abs(3600 / curve.bin_s - round(3600 / curve.bin_s)) < 1e-9:
        curve = curve.resampled(3600.0)
    configs = serving_configurations() if configurations is None else list(configurations)
    if not configs or not all(isinstance(c, ServingConfiguration) for c in configs):
        raise ValueError("configurations must be a non-empty list of ServingConfiguration "
                         "(ie.serving_configurations())")  # fmt: skip
    req = _base_requests(lengths, n_requests, seed, burstiness, warmup_share)
    mean_p, mean_o = _mean_lengths(lengths, seed)
    prices = _prices(sorted({c.gpu for c in configs}), usd_per_gpu_hour, purchase_usd,
                     lifetime_years, cost_of_capital, usd_per_kwh, pue,
                     facility_usd_per_kw_month, all_in_kw_per_gpu)  # fmt: skip
    d = _ceiling_data(req, ttft_ms, tpot_ms, attainment)
    delay_h = scale_up_delay_s / 3600.0
    slo = (ttft_ms, tpot_ms, attainment)

    # ceilings and lower bounds: no simulation
    rows, floors, powers = [], {}, {}
    for cfg in configs:
        row = {"label": cfg.label, "gpu": cfg.gpu, "precision": cfg.precision,
               "tensor_parallel": cfg.tensor_parallel, "policy": cfg.policy,
               "scheduler": cfg.scheduler, "max_batch_tokens": cfg.max_batch_tokens,
               "prefill_instances": cfg.prefill_instances if cfg.policy == "disaggregated"
               else 0, "decode_instances": cfg.decode_instances if cfg.policy ==
               "disaggregated" else 0, "max_running_requests": cfg.max_running_requests,
               "gpus_per_replica": cfg.gpus_per_replica, "status": "infeasible",
               "ceiling_rps_per_replica": 0.0, "lower_bound_usd_per_day": math.inf,
               "power_w": math.nan}  # fmt: skip
        rows.append(row)
        key = (cfg.gpu, cfg.precision, cfg.tensor_parallel)
        if key not in floors:
            try:
                cost = _cost(m, cfg, efficiency)
                fits = cost.kv_capacity_tokens() >= 16
            except ValueError:  # a precision the GPU lacks, no interconnect for TP...
                cost, fits = None, False
            floors[key] = cost if fits else None
        cost = floors[key]
        if cost is None:
            continue
        ceiling = _ceiling_from(d, *_token_floor(cost, cfg, d.longest), cfg, ttft_ms, tpot_ms)
        row["ceiling_rps_per_replica"] = ceiling
        if ceiling <= 0:
            continue
        pkey = key + (cfg.max_running_requests,)
        if pkey not in powers:
            powers[pkey] = _serving_power_w(m, cfg, efficiency, mean_p, mean_o)
        row["power_w"] = powers[pkey]
        lb = _day_cost(curve, cfg, ceiling if math.isfinite(ceiling) else 1e12, row["power_w"],
                       prices, autoscale, delay_h, headroom, warmup=False)  # fmt: skip
        row["lower_bound_usd_per_day"] = lb["usd_per_day"]
        row["status"] = "pruned"
    order = sorted((i for i, r in enumerate(rows) if r["status"] == "pruned"),
                   key=lambda i: (rows[i]["lower_bound_usd_per_day"], i))  # fmt: skip
    done = len(configs) - len(order)  # the infeasible ones are decided
    if progress is not None:
        progress(done, len(configs))

    # branch and bound in rounds of `batch` (pruning between rounds only)
    best_cost, best_i = math.inf, None
    goodputs: dict[int, tuple[float, int]] = {}
    own_pool = None
    submit = None
    if executor is not None:
        submit = executor.submit
    elif n_workers > 1:
        own_pool = ProcessPoolExecutor(n_workers)
        submit = own_pool.submit
    try:
        pos = 0
        while pos < len(order):
            todo = []
            while pos < len(order) and len(todo) < batch:
                i = order[pos]
                lb = rows[i]["lower_bound_usd_per_day"]
                if prune and (lb > best_cost or (lb == best_cost and best_i is not None
                                                 and i > best_i)):  # fmt: skip
                    pos = len(order)  # sorted by lower bound: every later one is pruned too
                    break
                todo.append(i)
                pos += 1
            if not todo:
                break
            tasks = [(m, configs[i], req, slo, rel_tol, 1e5,
                      rows[i]["ceiling_rps_per_replica"] if prune else math.inf, efficiency,
                      seed, None)
                     for i in todo]  # fmt: skip
            futures = None if submit is None else [submit(_evaluate, t) for t in tasks]
            results = []
            for k, t in enumerate(tasks):
                results.append(_evaluate(t) if futures is None else futures[k].result())
                done += 1
                if progress is not None:
                    progress(done, len(configs))
            for i, res in zip(todo, results, strict=True):
                goodputs[i] = res
                rows[i]["status"] = "simulated"
                cost = _day_cost(curve, configs[i], res[0], rows[i]["power_w"], prices,
                                 autoscale, delay_h, headroom)["usd_per_day"]  # fmt: skip
                if cost < best_cost or (cost == best_cost and best_i is not None and i < best_i):
                    best_cost, best_i = cost, i
    finally:
        if own_pool is not None:
            own_pool.shutdown()

    if best_i is None or not math.isfinite(best_cost):
        raise ValueError("no configuration meets the targets (ttft_ms, tpot_ms, attainment) "
                         "at any rate: loosen them or add GPUs, precisions or tensor_parallel "
                         "sizes")  # fmt: skip
    table, ranked, sched, api = _assemble(
        rows, configs, goodputs, curve, prices, autoscale, delay_h, headroom, mean_p, mean_o,
        best_i, (api_model, api_provider, prices_as_of),
    )  # fmt: skip
    n_sim = len(goodputs)
    n_inf = int((table["status"] == "infeasible").sum())
    search = {"configurations": len(configs), "simulated": n_sim,
              "pruned": len(configs) - n_sim - n_inf, "infeasible": n_inf,
              "share_pruned": 1.0 - n_sim / len(configs),
              "simulations": int(sum(s for _, s in goodputs.values())),
              "wall_s": _time.perf_counter() - t_wall,
              "workers": "executor" if executor is not None else n_workers}  # fmt: skip
    inputs = {"model": m.name, "ttft_ms": ttft_ms, "tpot_ms": tpot_ms, "attainment": attainment,
              "daily_requests": curve.mean_rate_per_s * DAY_S, "peak_to_mean": curve.peak_to_mean,
              "mean_prompt_tokens": mean_p, "mean_output_tokens": mean_o,
              "owned": prices.owned, "autoscale": autoscale,
              "scale_up_delay_s": scale_up_delay_s, "headroom": headroom,
              "n_requests": n_requests, "warmup_share": warmup_share,
              "seed": seed, "burstiness": burstiness, "rel_tol": rel_tol}  # fmt: skip
    pricing = {"usd_per_gpu_hour": usd_per_gpu_hour, "purchase_usd": purchase_usd,
               "lifetime_years": lifetime_years, "cost_of_capital": cost_of_capital,
               "usd_per_kwh": usd_per_kwh, "pue": pue,
               "facility_usd_per_kw_month": facility_usd_per_kw_month,
               "all_in_kw_per_gpu": all_in_kw_per_gpu, "api_model": api_model,
               "api_provider": api_provider, "prices_as_of": prices_as_of}  # fmt: skip
    return DeploymentPlan(table, table.loc[best_i], ranked.iloc[1 : 1 + top], sched, api,
                          search, inputs, configs, curve, pricing, efficiency)  # fmt: skip


def _assemble(rows, configs, goodputs, curve, prices, autoscale, delay_h, headroom, mean_p,
              mean_o, best_i, api_args):  # fmt: skip
    """Every simulated configuration's costs: (table, ranked feasible rows, the best one's
    schedule, the API bill or None). ``rows`` (dicts, one per configuration) are completed in
    place."""
    out_mtok_day = curve.mean_rate_per_s * DAY_S * mean_o / 1e6
    all_mtok_day = curve.mean_rate_per_s * DAY_S * (mean_p + mean_o) / 1e6
    cols = ("peak_replicas", "peak_gpus", "gpu_hours_per_day", "hardware_usd_per_day",
            "energy_usd_per_day", "facility_usd_per_day", "usd_per_day")  # fmt: skip
    schedules = {}
    for i, row in enumerate(rows):
        g, sims = goodputs.get(i, (math.nan, math.nan))
        row["goodput_rps_per_replica"] = g
        row["goodput_rps_per_gpu"] = g / row["gpus_per_replica"]
        row["simulations"] = sims
        c = (_day_cost(curve, configs[i], g, row["power_w"], prices, autoscale, delay_h,
                       headroom) if i in goodputs else {})  # fmt: skip
        for k in cols:
            row[k] = c.get(k, math.nan)
        row["usd_per_mtok_output"] = row["usd_per_day"] / out_mtok_day
        row["usd_per_mtok"] = row["usd_per_day"] / all_mtok_day
        # where a pruned configuration would sit: at its ceiling and the cost that allows
        row["ceiling_rps_per_gpu"] = row["ceiling_rps_per_replica"] / row["gpus_per_replica"]
        row["lower_bound_usd_per_mtok_output"] = row["lower_bound_usd_per_day"] / out_mtok_day
        if "replicas" in c:
            schedules[i] = c["replicas"]
    table = pd.DataFrame(rows)
    feasible = table[np.isfinite(table["usd_per_day"])]
    ranked = feasible.assign(_i=feasible.index).sort_values(["usd_per_day", "_i"])
    ranked = ranked.drop(columns="_i")
    n_rep = schedules[best_i]
    capacity = n_rep * rows[best_i]["goodput_rps_per_replica"]
    sched = pd.DataFrame({"start_h": np.arange(curve.n_bins) * curve.bin_s / 3600.0,
                          "rate_per_s": curve.rate_per_s, "replicas": n_rep,
                          "gpus": n_rep * configs[best_i].gpus_per_replica,
                          "capacity_rps": capacity})  # fmt: skip
    api = None
    api_model, api_provider, prices_as_of = api_args
    if api_model is not None:
        from .workload_bills import api_bill

        api = api_bill(api_model, round(mean_p), max(round(mean_o), 1),
                       curve.mean_rate_per_s * DAY_S, provider_id=api_provider,
                       as_of=prices_as_of)  # fmt: skip
        api["usd_per_day"] = api["usd_per_day"].astype(float)
    return table, ranked, sched, api


def check_plan(
    plan: DeploymentPlan,
    curve: LoadCurve,
    lengths,
    *,
    rule: str = "round_robin",
    rate_cv: float = 0.0,
    window_s: float = 600.0,
    replicas: int | None = None,
    seed: int = 0,
    efficiency=None,
):
    """Route the peak of the load curve across the plan's replicas and measure attainment.

    The plan sizes replicas from a goodput measured at a constant rate; this check draws
    ``window_s`` seconds of requests at the curve's peak rate (with per-minute over-dispersion
    ``rate_cv``, as :func:`inferecon.load_curve_requests`), routes them across the replicas
    the plan gives the peak bin (:func:`inferecon.route_requests`) and serves each replica with
    :func:`inferecon.simulate_serving` (:func:`inferecon.simulate_replicas`).

    Parameters
    ----------
    plan : DeploymentPlan
        A plan from :func:`plan_deployment` (its cheapest configuration is checked).
    curve : LoadCurve
        The load curve it was planned for.
    lengths : JointLengths or tuple
        As in :func:`plan_deployment`.
    rule : {"round_robin", "shortest_queue"}
        Routing rule (``"shortest_queue"`` estimates work from the replica's goodput and mean
        lengths).
    rate_cv : float
        Over-dispersion of per-minute rates, in [0, 10] (a trace's ``LoadCurve.rate_cv``).
    window_s : float
        Seconds of the peak simulated, in [60, 86400].
    replicas : int, optional
        Replicas to route across (default: the plan's peak count).
    seed : int
        Seed of the requests.
    efficiency : optional
        As in :func:`plan_deployment`.

    Returns
    -------
    FleetResult
        Its summary adds ``peak_rate_per_s`` and ``target_attainment``.
    """
    from .routing import simulate_replicas
    from .traffic import load_curve_requests

    if not isinstance(plan, DeploymentPlan):
        raise ValueError(f"plan must be a DeploymentPlan; got {type(plan).__name__}")
    require_in_range("window_s", window_s, 60.0, DAY_S)
    cfg = plan.configuration()
    peak = float(np.max(curve.rate_per_s))
    if replicas is None:
        replicas = int(plan.schedule["replicas"].max())
    window = LoadCurve(np.array([peak]), float(window_s), "peak")
    if isinstance(lengths, JointLengths):
        df = load_curve_requests(window, lengths, seed, rate_cv)
    else:
        df = _base_requests(lengths, max(int(peak * window_s), 10), seed, 1.0).at_rate(
            peak).requests(seed)  # fmt: skip
    per_req = plan.inputs["mean_prompt_tokens"] + plan.inputs["mean_output_tokens"]
    tok_s = float(plan.best["goodput_rps_per_replica"]) * per_req
    res = simulate_replicas(df, replicas, rule, cost=_cost(plan.inputs["model"], cfg, efficiency),
                            ttft_ms=plan.inputs["ttft_ms"], tpot_ms=plan.inputs["tpot_ms"],
                            total_tokens_per_s_per_replica=tok_s,
                            **cfg.simulate_kwargs())  # fmt: skip
    res.summary["peak_rate_per_s"] = peak
    res.summary["target_attainment"] = plan.inputs["attainment"]
    return res
