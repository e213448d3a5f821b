"""Requests routed across replicas, and a fleet of replicas simulated as such.

A deployment of ``N`` replicas is not one server at ``rate / N``: a load balancer deals each
request to one replica, and what each replica sees depends on the rule. :func:`route_requests`
splits a request table across replicas; :func:`simulate_replicas` serves every replica's share
with :func:`inferecon.simulate_serving` and joins the request tables, so attainment is counted
over the whole fleet.

Two rules:

* ``"round_robin"``: request ``i`` (in arrival order) goes to replica ``i mod N``. Exact, and
  deterministic: each replica sees every ``N``-th arrival, so a Poisson stream becomes an
  Erlang-``N`` stream per replica (more regular than Poisson at ``rate / N``).
* ``"shortest_queue"``: join the shortest *expected-work* queue. Each replica keeps a virtual
  backlog of seconds of work that drains at one second per second; a request joins the replica
  with the least backlog at its arrival (ties to the lowest index) and adds its work estimate
  ``work_s`` (by default its tokens, prompt plus output, over
  ``total_tokens_per_s_per_replica``). This approximates join-the-shortest-queue from arrival
  times and work estimates only.
  The exact rule needs each replica's number of requests queued or running at every arrival,
  which is the simulator's own state: it needs the replicas simulated jointly, in one event
  loop that stops at each arrival (the simulator runs one instance's timeline to the end in a
  call, so its public API cannot give that state without re-simulating every prefix, which
  costs time quadratic in the requests).
"""

from __future__ import annotations

import heapq
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._validate import plain, require_in_range, require_positive
from .simulator import simulate_serving
from .slo_metrics import slo_attainment
from .workloads import trace_workload

__all__ = ["ROUTING_RULES", "FleetResult", "route_requests", "simulate_replicas"]

ROUTING_RULES = ("round_robin", "shortest_queue")
"""Rules of :func:`route_requests`."""


def _whole(name: str, value, low: float, high: float) -> int:
    require_in_range(name, value, low, high)
    if value != round(value):
        raise ValueError(f"{name} must be a whole number; got {plain(value)!r}")
    return int(value)


def route_requests(
    requests: pd.DataFrame,
    replicas: int,
    rule: str = "round_robin",
    *,
    total_tokens_per_s_per_replica: float | None = None,
    work_s=None,
) -> np.ndarray:
    """The replica each request goes to.

    Parameters
    ----------
    requests : pandas.DataFrame
        ``arrival_s`` (s), ``prompt_tokens`` and ``output_tokens``, as
        :meth:`inferecon.Workload.requests` returns them.
    replicas : int
        Replicas, >= 1.
    rule : {"round_robin", "shortest_queue"}
        Routing rule (see the module docstring).
    total_tokens_per_s_per_replica : float, optional
        Tokens (prompt plus output) one replica works through per second, > 0: sets the work
        estimate of ``"shortest_queue"`` when ``work_s`` is not given.
    work_s : array-like, optional
        Seconds of work per request (>= 0), for ``"shortest_queue"``.

    Returns
    -------
    numpy.ndarray
        One replica index (int64, in ``[0, replicas)``) per row of ``requests``.
    """
    n_rep = _whole("replicas", replicas, 1, 1e6)
    if rule not in ROUTING_RULES:
        raise ValueError(f"rule must be one of {list(ROUTING_RULES)}; got {rule!r}")
    arrival = requests["arrival_s"].to_numpy(float)
    order = np.argsort(arrival, kind="stable")
    out = np.empty(len(arrival), dtype=np.int64)
    if rule == "round_robin" or n_rep == 1:
        out[order] = np.arange(len(order)) % n_rep
        return out
    if work_s is None:
        if total_tokens_per_s_per_replica is None:
            raise ValueError("shortest_queue needs total_tokens_per_s_per_replica (> 0) or work_s")
        require_positive("total_tokens_per_s_per_replica", total_tokens_per_s_per_replica)
        tokens = requests["prompt_tokens"].to_numpy(float) + requests["output_tokens"].to_numpy(
            float
        )
        work = tokens / float(total_tokens_per_s_per_replica)
    else:
        work = np.broadcast_to(np.asarray(work_s, dtype=float), arrival.shape)
        require_in_range("work_s", work, 0.0, np.inf, high_open=True)
    # every replica's backlog drains at 1 s/s: a replica idle since time t holds max(end - now, 0)
    # of work, with end its time of last completion; the least backlog is the earliest end
    # (ties: the lowest index), so a heap on (end, index) picks it
    heap = [(0.0, j) for j in range(n_rep)]
    for i in order.tolist():
        end, j = heap[0]
        t = arrival[i]
        heapq.heapreplace(heap, (max(end, t) + work[i], j))
        out[i] = j
    return out


@dataclass
class FleetResult:
    """What :func:`simulate_replicas` returns.

    Attributes
    ----------
    requests : pandas.DataFrame
        One row per request, in the order of the input table: the columns of
        :attr:`inferecon.ServingResult.requests` (times on the input's clock) plus
        ``replica``.
    summary : dict
        ``replicas``, ``rule``, ``slo_attainment`` (over the whole fleet, when targets were
        given), ``n_requests``, ``n_gpus`` (all replicas), ``truncated`` (any replica's run hit
        its bound on simulated time) and ``per_replica_attainment`` (list).
    """

    requests: pd.DataFrame
    summary: dict


def simulate_replicas(
    requests: pd.DataFrame,
    replicas: int,
    rule: str = "round_robin",
    *,
    model=None,
    gpu=None,
    ttft_ms: float | None = None,
    tpot_ms: float | None = None,
    total_tokens_per_s_per_replica: float | None = None,
    **simulate_kwargs,
) -> FleetResult:
    """Serve a request table on ``replicas`` replicas, each request routed by ``rule``.

    Every replica is its own :func:`inferecon.simulate_serving` run over the requests routed to
    it (same policy and sizes); the request tables are joined, so attainment counts the whole
    fleet.

    Parameters
    ----------
    requests : pandas.DataFrame
        ``arrival_s``, ``prompt_tokens`` and ``output_tokens`` (e.g.
        :func:`inferecon.load_curve_requests`).
    replicas : int
        Replicas, >= 1.
    rule : {"round_robin", "shortest_queue"}
        As in :func:`route_requests`.
    model, gpu : str or spec, optional
        What each replica serves (or pass ``cost=`` in ``simulate_kwargs``).
    ttft_ms, tpot_ms : float, optional
        Latency targets (ms): with both, the summary gives the fleet's attainment.
    total_tokens_per_s_per_replica : float, optional
        Work rate of one replica for ``"shortest_queue"`` (see :func:`route_requests`).
    **simulate_kwargs
        Passed to :func:`inferecon.simulate_serving` (``policy``, ``tensor_parallel``,
        ``precision``, ``cost``, ``max_time_s``...).

    Returns
    -------
    FleetResult
    """
    n_rep = _whole("replicas", replicas, 1, 1e6)
    where = route_requests(
        requests, n_rep, rule, total_tokens_per_s_per_replica=total_tokens_per_s_per_replica
    )
    parts, att, n_gpus, truncated = [], [], 0, False
    for j in range(n_rep):
        idx = np.flatnonzero(where == j)
        if not len(idx):
            continue
        sub = requests.iloc[idx]
        t0 = float(sub["arrival_s"].min())  # a trace workload starts its clock at its first
        with warnings.catch_warnings():  # arrival; a truncated run is counted below
            warnings.simplefilter("ignore", RuntimeWarning)
            res = simulate_serving(model, gpu, trace_workload(sub.reset_index(drop=True)),
                                   ttft_ms=ttft_ms, tpot_ms=tpot_ms,
                                   **simulate_kwargs)  # fmt: skip
        table = res.requests.copy()
        for col in ("arrival_s", "admitted_s", "first_token_s", "finish_s"):
            table[col] = table[col] + t0
        table.index = idx
        table["replica"] = j
        parts.append(table)
        n_gpus += res.summary["n_gpus"]
        truncated |= bool(res.summary["truncated"])
        if ttft_ms is not None and tpot_ms is not None:
            att.append(res.summary["slo_attainment"])
    joined = pd.concat(parts).sort_index()
    n_gpus = n_gpus // len(parts) * n_rep  # replicas that got no request are paid for too
    summary = {
        "replicas": n_rep,
        "rule": rule,
        "n_requests": len(joined),
        "n_gpus": n_gpus,
        "truncated": truncated,
        "per_replica_attainment": att,
    }
    if ttft_ms is not None and tpot_ms is not None:
        summary["slo_attainment"] = slo_attainment(joined, ttft_ms, tpot_ms)
    return FleetResult(joined, summary)
