"""Workloads for the serving simulator: request lengths and who sends what, when.

Lengths (:class:`LengthDistribution`) are fixed, lognormal or resampled from observed values;
a :class:`Workload` is open-loop arrivals (Poisson or gamma gaps, as ``vllm bench serve``), a
closed loop of users (``--max-concurrency``) or a recorded trace. :func:`inferecon.simulate_serving`
serves them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ._validate import plain, require_in_range, require_positive
from .datasets import load_request_trace

__all__ = [
    "LengthDistribution",
    "Workload",
    "closed_loop_workload",
    "fixed_lengths",
    "lognormal_lengths",
    "poisson_workload",
    "resampled_lengths",
    "trace_workload",
]


@dataclass(frozen=True)
class LengthDistribution:
    """Token lengths of prompts or outputs: fixed, lognormal, or resampled from observed values.

    Build one with :func:`fixed_lengths`, :func:`lognormal_lengths` or
    :func:`resampled_lengths`; :meth:`sample` draws whole-token lengths of at least 1.
    """

    kind: str
    mean: float = math.nan
    cv: float = 0.0
    values: tuple[int, ...] = ()
    max_tokens: int = 1_000_000

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` lengths (int64, each in [1, max_tokens])."""
        if self.kind == "fixed":
            out = np.full(n, self.mean)
        elif self.kind == "lognormal":
            sigma2 = math.log1p(self.cv**2)
            mu = math.log(self.mean) - sigma2 / 2
            out = rng.lognormal(mu, math.sqrt(sigma2), n)
        else:
            out = rng.choice(np.asarray(self.values, dtype=float), size=n)
        return np.clip(np.rint(out), 1, self.max_tokens).astype(np.int64)

    def describe(self) -> str:
        """A one-line description (for figure captions and summaries)."""
        if self.kind == "fixed":
            return f"{self.mean:,.0f}"
        if self.kind == "lognormal":
            return f"lognormal, mean {self.mean:,.0f}, cv {self.cv:.2f}"
        return f"resampled from {len(self.values):,} observed lengths"


def fixed_lengths(tokens: int) -> LengthDistribution:
    """Every request has the same length.

    Parameters
    ----------
    tokens : int
        The length (tokens), >= 1.

    Returns
    -------
    LengthDistribution
    """
    t = require_in_range("tokens", tokens, 1, 10_000_000)
    return LengthDistribution("fixed", mean=float(round(t)))


def lognormal_lengths(mean_tokens: float, cv: float = 1.0, max_tokens: int = 131_072):
    """Lognormal lengths with the given mean and coefficient of variation (std / mean).

    Parameters
    ----------
    mean_tokens : float
        Mean length (tokens), >= 1.
    cv : float
        Spread: standard deviation over mean, in [0, 10] (0 is fixed).
    max_tokens : int
        Lengths are clipped to [1, max_tokens].

    Returns
    -------
    LengthDistribution
    """
    require_in_range("mean_tokens", mean_tokens, 1.0, 10_000_000)
    require_in_range("cv", cv, 0.0, 10.0)
    require_in_range("max_tokens", max_tokens, 1, 10_000_000)
    if cv == 0:
        return LengthDistribution("fixed", mean=float(round(mean_tokens)), max_tokens=max_tokens)
    return LengthDistribution("lognormal", mean=float(mean_tokens), cv=float(cv),
                              max_tokens=int(max_tokens))  # fmt: skip


def resampled_lengths(values) -> LengthDistribution:
    """Lengths drawn with replacement from observed ones (e.g. a trace's column).

    Parameters
    ----------
    values : array-like of int
        Observed lengths (tokens), each >= 1.

    Returns
    -------
    LengthDistribution
    """
    v = np.asarray(values, dtype=float).ravel()
    if not len(v):
        raise ValueError("values must hold at least one observed length")
    require_positive("values", v)
    return LengthDistribution("empirical", values=tuple(int(x) for x in np.rint(v)))


# --------------------------------------------------------------------------- workloads


@dataclass(frozen=True)
class Workload:
    """Who sends what, when: open-loop arrivals, a closed loop of users, or a trace.

    Build one with :func:`poisson_workload`, :func:`closed_loop_workload` or
    :func:`trace_workload`.
    """

    kind: str
    n_requests: int
    prompt: LengthDistribution | None = None
    output: LengthDistribution | None = None
    rate_per_s: float = math.nan
    burstiness: float = 1.0
    concurrency: int = 0
    think_time_s: float = 0.0
    trace: pd.DataFrame | None = field(default=None, repr=False, compare=False)

    def requests(self, seed: int) -> pd.DataFrame:
        """Arrival times (s; NaN for a closed loop, where they follow the finishes), prompt and
        output tokens, one row per request, drawn with ``seed``."""
        if self.kind == "trace":
            t = self.trace
            return pd.DataFrame({"arrival_s": t["arrival_s"].to_numpy(float) - float(
                t["arrival_s"].min()), "prompt_tokens": t["prompt_tokens"].to_numpy(np.int64),
                "output_tokens": t["output_tokens"].to_numpy(np.int64)})  # fmt: skip
        rng = np.random.default_rng(seed)
        u = rng.standard_gamma(self.burstiness, self.n_requests) if self.kind == "open" else None
        prompt = self.prompt.sample(self.n_requests, rng)
        output = self.output.sample(self.n_requests, rng)
        if self.kind == "open":
            gaps = u / (self.rate_per_s * self.burstiness)
            arrival = np.cumsum(gaps) - gaps[0]
        else:
            arrival = np.full(self.n_requests, np.nan)
        return pd.DataFrame({"arrival_s": arrival, "prompt_tokens": prompt,
                             "output_tokens": output})  # fmt: skip

    def at_rate(self, rate_per_s: float) -> Workload:
        """The same open-loop workload at another arrival rate (same random draws)."""
        if self.kind != "open":
            raise ValueError(f"only an open-loop workload has a rate; this one is {self.kind}")
        require_positive("rate_per_s", rate_per_s)
        return Workload(**{**self.__dict__, "rate_per_s": float(rate_per_s)})


def _check_n(n_requests):
    n = require_in_range("n_requests", n_requests, 1, 10_000_000)
    if n != round(n):
        raise ValueError(f"n_requests must be a whole number; got {plain(n_requests)!r}")
    return int(n)


def poisson_workload(
    rate_per_s: float,
    n_requests: int = 10_000,
    prompt_tokens: int | LengthDistribution = 512,
    output_tokens: int | LengthDistribution = 256,
    burstiness: float = 1.0,
) -> Workload:
    """Open-loop arrivals at ``rate_per_s``: Poisson, or gamma-distributed gaps.

    Inter-arrival times are gamma with shape ``burstiness`` and mean ``1 / rate_per_s``, as
    ``vllm bench serve --burstiness``: 1 is a Poisson process, below 1 burstier, above 1 more
    regular.

    Parameters
    ----------
    rate_per_s : float
        Mean arrival rate (requests per second), > 0.
    n_requests : int
        Requests to send.
    prompt_tokens, output_tokens : int or LengthDistribution
        Lengths (an int means fixed).
    burstiness : float
        Gamma shape of the inter-arrival times, in (0, 100].

    Returns
    -------
    Workload
    """
    require_positive("rate_per_s", rate_per_s)
    require_in_range("burstiness", burstiness, 0.0, 100.0, low_open=True)
    return Workload("open", _check_n(n_requests), _lengths(prompt_tokens, "prompt_tokens"),
                    _lengths(output_tokens, "output_tokens"), rate_per_s=float(rate_per_s),
                    burstiness=float(burstiness))  # fmt: skip


def closed_loop_workload(
    concurrency: int,
    n_requests: int = 10_000,
    prompt_tokens: int | LengthDistribution = 512,
    output_tokens: int | LengthDistribution = 256,
    think_time_s: float = 0.0,
) -> Workload:
    """``concurrency`` users, each sending its next request when the last one finishes.

    How ``vllm bench serve --max-concurrency``, NVIDIA genai-perf and most published engine
    tables measure: the load is a number of concurrent requests, not a rate.

    Parameters
    ----------
    concurrency : int
        Concurrent users (>= 1).
    n_requests : int
        Requests sent in all.
    prompt_tokens, output_tokens : int or LengthDistribution
        Lengths (an int means fixed).
    think_time_s : float
        Pause between a response and the user's next request (s), >= 0.

    Returns
    -------
    Workload
    """
    c = require_in_range("concurrency", concurrency, 1, 1_000_000)
    if c != round(c):
        raise ValueError(f"concurrency must be a whole number; got {plain(concurrency)!r}")
    require_in_range("think_time_s", think_time_s, 0.0, 1e6)
    return Workload("closed", _check_n(n_requests), _lengths(prompt_tokens, "prompt_tokens"),
                    _lengths(output_tokens, "output_tokens"), concurrency=int(c),
                    think_time_s=float(think_time_s))  # fmt: skip


def trace_workload(trace: pd.DataFrame | str | Path) -> Workload:
    """A recorded trace: arrival time, prompt tokens and output tokens per request.

    Parameters
    ----------
    trace : pandas.DataFrame, str or Path
        Columns ``arrival_s`` (seconds, non-decreasing), ``prompt_tokens`` and
        ``output_tokens`` (whole numbers >= 1); a CSV path is read and validated with
        :func:`inferecon.load_request_trace` (every problem listed at once).

    Returns
    -------
    Workload
    """
    if isinstance(trace, str | Path):
        df = load_request_trace(trace)
    else:
        df = load_request_trace(frame=trace)
    return Workload("trace", len(df), trace=df)


def _lengths(value, name: str) -> LengthDistribution:
    if isinstance(value, LengthDistribution):
        return value
    require_in_range(name, value, 1, 10_000_000)
    return fixed_lengths(value)


def _mean(dist: LengthDistribution) -> float:
    if dist.kind == "empirical":
        return float(np.mean(dist.values))
    return float(dist.mean)
