"""The Monte Carlo of a price decline: draws of every range, and intervals.

Every input given as a range is drawn **log-uniformly** in ``[low, high]`` (each is a positive
scale, and the decomposition is additive in logs, so a log-uniform draw gives each factor of 2
within the range the same weight; a range says nothing about a mode, which a triangular draw
would invent). An input whose range is identical at both ends is one unknown and shares its draw
(so a scenario against itself gives factors of exactly 1); inputs with different ranges are drawn
independently. Rates carried forward are drawn normal in logs within their 90% interval.
"""

from __future__ import annotations

import math

import numpy as np

from .decline_scenarios import _RANGES, ServingScenario

__all__: list[str] = []


def _draw(start: ServingScenario, end: ServingScenario, draws: int, seed, central: bool):
    """Draws of every range of both ends (dicts of name to array), log-uniform; a range equal
    at both ends shares its draw; ``central`` gives each range's geometric midpoint."""
    rng = np.random.default_rng(seed)
    uniform = (lambda n: np.full(n, 0.5)) if central else rng.random  # 0.5: geometric midpoint
    out_s, out_e = {}, {}
    for name in _RANGES:
        (ls, hs), (le, he) = getattr(start, name), getattr(end, name)
        u_s = uniform(draws)
        u_e = u_s if (ls, hs) == (le, he) else uniform(draws)
        out_s[name] = ls * (hs / ls) ** u_s
        out_e[name] = le * (he / le) ** u_e
    return out_s, out_e


def _interval(x: np.ndarray, axis=0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Median, 5th and 95th percentiles (the 90% interval) along ``axis``."""
    return tuple(np.percentile(x, [50, 5, 95], axis=axis))


_Z90 = 1.6448536269514722  # the standard normal's 95th percentile


def _lognormal(rng, n, median, low, high):
    """Draws of a rate whose 90% interval is (low, high), normal in logs."""
    sigma = max((math.log(high) - math.log(low)) / (2 * _Z90), 0.0)
    return np.exp(math.log(median) + sigma * rng.standard_normal(n))
