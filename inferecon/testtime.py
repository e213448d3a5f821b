"""Test-time compute: repeated sampling, majority voting, verifiers and compute-matched trades.

Sources
-------
- Chen et al. 2021, "Evaluating Large Language Models Trained on Code" (arXiv 2107.03374),
  Section 2.1 and Figure 3: the unbiased pass@k estimator ``1 - C(n-c, k) / C(n, k)``.
- Brown et al. 2024, "Large Language Monkeys: Scaling Inference Compute with Repeated
  Sampling" (arXiv 2407.21787), Section 3: coverage grows with samples roughly as an
  exponentiated power law, ``coverage(k) ≈ exp(a * k**b)``.
- Wang et al. 2022, "Self-Consistency Improves Chain of Thought Reasoning" (arXiv 2203.11171):
  majority voting over sampled answers.
- Snell et al. 2024, "Scaling LLM Test-Time Compute Optimally can be More Effective than
  Scaling Model Parameters" (arXiv 2408.03314), Section 7: FLOPs-matched comparison of a
  model M times smaller that spends more inference compute, with R = inference tokens /
  pretraining tokens.

All functions broadcast over numpy arrays and validate their arguments.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special, stats

from ._validate import require_in_range, require_positive

__all__ = [
    "CoveragePowerLaw",
    "beta_expected_coverage",
    "best_of_n_accuracy",
    "compute_matched_inference_multiplier",
    "cost_per_solved_fixed_budget",
    "coverage",
    "coverage_curve",
    "expected_cost_to_first_success",
    "expected_over_difficulty",
    "fit_coverage_power_law",
    "inference_flops",
    "majority_vote_accuracy",
    "pass_at_k",
    "plurality_vote_accuracy",
    "pretraining_flops",
    "usd_per_sample",
]


def _as_int(name: str, value, low: int) -> np.ndarray:
    arr = np.asarray(value)
    if arr.dtype.kind == "f":
        if np.any(~np.isfinite(arr)) or np.any(arr != np.round(arr)):
            bad = arr[~(np.isfinite(arr) & (arr == np.round(arr)))].ravel()[0]
            raise ValueError(f"{name} must be an integer >= {low}; got {bad!r}")
        arr = arr.astype(np.int64)
    elif arr.dtype.kind not in "iu":
        raise ValueError(f"{name} must be an integer >= {low}; got {value!r}")
    if np.any(arr < low):
        raise ValueError(f"{name} must be an integer >= {low}; got {arr[arr < low].ravel()[0]!r}")
    return arr.astype(np.int64)


def _out(x: np.ndarray):
    return float(x) if np.ndim(x) == 0 else x


# --------------------------------------------------------------------------- pass@k, coverage


def pass_at_k(n, c, k):
    """Unbiased estimate of pass@k from ``c`` correct answers among ``n`` samples.

    Parameters
    ----------
    n : int or array_like
        Samples drawn per problem, >= 1.
    c : int or array_like
        Correct samples, 0 <= c <= n.
    k : int or array_like
        Attempts allowed, 1 <= k <= n.

    Returns
    -------
    float or numpy.ndarray
        ``1 - C(n-c, k) / C(n, k)`` (Chen et al. 2021, eq. 1), computed stably with log-gamma
        differences; exactly 1 when ``n - c < k``. Broadcasts, so every k of a 10,000-sample
        run is one call.

    Examples
    --------
    >>> round(pass_at_k(10, 3, 5), 12)  # 1 - C(7,5)/C(10,5) = 11/12
    0.916666666667
    >>> round(pass_at_k(200, 10, 10), 10)
    0.4085478661
    """
    n = _as_int("n", n, 1)
    c = _as_int("c", c, 0)
    k = _as_int("k", k, 1)
    n, c, k = np.broadcast_arrays(n, c, k)
    if np.any(c > n):
        raise ValueError(
            "c must be <= n (correct samples cannot exceed samples); "
            f"got c={c[c > n].ravel()[0]}, n={n[c > n].ravel()[0]}"
        )
    if np.any(k > n):
        raise ValueError(
            "k must be <= n (cannot draw more attempts than samples); "
            f"got k={k[k > n].ravel()[0]}, n={n[k > n].ravel()[0]}"
        )
    all_hit = (n - c) < k
    nf, cf, kf = n.astype(float), c.astype(float), k.astype(float)
    with np.errstate(invalid="ignore"):
        log_ratio = (
            special.gammaln(nf - cf + 1)
            - special.gammaln(np.where(all_hit, 1.0, nf - cf - kf + 1))
            - special.gammaln(nf + 1)
            + special.gammaln(nf - kf + 1)
        )
    out = np.where(all_hit, 1.0, np.where(c == 0, 0.0, -np.expm1(log_ratio)))
    return _out(np.clip(out, 0.0, 1.0))


def coverage(n, c, k):
    """Fraction of problems solved by at least one of ``k`` samples (mean pass@k).

    Parameters
    ----------
    n, c : array_like of int, shape (problems,)
        Samples and correct samples per problem.
    k : int or array_like of int
        Numbers of attempts.

    Returns
    -------
    float or numpy.ndarray
        Coverage at each k, in [0, 1] (Brown et al. 2024, Section 2).
    """
    n = np.atleast_1d(np.asarray(n))
    c = np.atleast_1d(np.asarray(c))
    if n.shape != c.shape or n.ndim != 1 or n.size == 0:
        raise ValueError(
            f"n and c must be 1-D arrays of equal, non-zero length; got {n.shape}, {c.shape}"
        )
    k_arr = np.asarray(k)
    per = pass_at_k(n[:, None], c[:, None], np.atleast_1d(k_arr)[None, :])
    res = np.mean(per, axis=0)
    return float(res[0]) if k_arr.ndim == 0 else res


def coverage_curve(counts: pd.DataFrame, ks=None) -> pd.DataFrame:
    """Coverage against samples for every model in a per-problem counts table.

    Parameters
    ----------
    counts : pandas.DataFrame
        Columns ``model``, ``n_samples``, ``n_correct`` (one row per problem), as returned by
        :func:`inferecon.load_sampling_counts`.
    ks : array_like of int, optional
        Sample counts; by default about 60 log-spaced values from 1 to the smallest
        ``n_samples``.

    Returns
    -------
    pandas.DataFrame
        Long format: ``model``, ``k``, ``coverage``.
    """
    for col in ("model", "n_samples", "n_correct"):
        if col not in counts.columns:
            raise ValueError(f"counts must have a {col!r} column")
    n_min = int(counts["n_samples"].min())
    if ks is None:
        ks = np.unique(np.round(np.logspace(0, np.log10(n_min), 60)).astype(int))
    ks = np.asarray(ks)
    frames = []
    for model, g in counts.groupby("model", sort=False):
        cov = coverage(g["n_samples"].to_numpy(), g["n_correct"].to_numpy(), ks)
        frames.append(pd.DataFrame({"model": model, "k": ks, "coverage": cov}))
    return pd.concat(frames, ignore_index=True)


@dataclass(frozen=True)
class CoveragePowerLaw:
    """``coverage(k) ≈ exp(a * k**b)`` (Brown et al. 2024), with a < 0 and b < 0 for a rising
    coverage curve; fitted as a line through ``log(-log coverage)`` against ``log k``."""

    a: float
    b: float
    r_squared: float
    n_points: int

    def predict(self, k):
        """Coverage at ``k`` samples."""
        k = require_positive("k", k)
        return np.exp(self.a * np.asarray(k, dtype=float) ** self.b)


def fit_coverage_power_law(k, coverage_values) -> CoveragePowerLaw:
    """Fit Brown et al.'s exponentiated power law to a coverage curve.

    Parameters
    ----------
    k : array_like of float
        Sample counts (> 0).
    coverage_values : array_like of float
        Coverage at each k. Points at 0 or 1 carry no information about the law and are
        skipped; at least 3 must remain.

    Returns
    -------
    CoveragePowerLaw
    """
    k = np.asarray(require_positive("k", k), dtype=float)
    cov = np.asarray(require_in_range("coverage_values", coverage_values, 0.0, 1.0), dtype=float)
    ok = (cov > 0) & (cov < 1)
    if ok.sum() < 3:
        raise ValueError(
            f"need at least 3 coverage values strictly between 0 and 1 to fit; got {int(ok.sum())}"
        )
    x = np.log(k[ok])
    y = np.log(-np.log(cov[ok]))
    res = stats.linregress(x, y)
    return CoveragePowerLaw(
        a=float(-np.exp(res.intercept)),
        b=float(res.slope),
        r_squared=float(res.rvalue**2),
        n_points=int(ok.sum()),
    )


def beta_expected_coverage(k, alpha, beta):
    """Expected coverage when per-problem success probabilities follow Beta(alpha, beta).

    ``E[1 - (1-p)^k] = 1 - B(alpha, beta + k) / B(alpha, beta)``. Beta(1, 1) (uniform
    difficulty) gives ``k / (k + 1)``. A small ``alpha`` puts mass on very hard problems, and
    the curve then rises as a power law in k, the shape Brown et al. observe.

    Parameters
    ----------
    k : float or array_like
        Samples, >= 1 (non-integers interpolate).
    alpha, beta : float or array_like
        Beta parameters, > 0.
    """
    k = require_in_range("k", k, 1.0, np.inf)
    a = require_positive("alpha", alpha)
    b = require_positive("beta", beta)
    return _out(-np.expm1(special.betaln(a, np.add(b, k)) - special.betaln(a, b)))


def expected_over_difficulty(func, alpha: float, beta: float, n_nodes: int = 48):
    """Average ``func(p)`` over problems whose success probability p ~ Beta(alpha, beta).

    Gauss-Jacobi quadrature with ``n_nodes`` nodes (exact for polynomials of degree
    < 2 * n_nodes). ``func`` must accept an array of p with an extra trailing axis.
    """
    a = require_positive("alpha", alpha)
    b = require_positive("beta", beta)
    with np.errstate(all="ignore"):  # scipy evaluates both branches of an np.where
        x, w = special.roots_jacobi(int(n_nodes), b - 1.0, a - 1.0)
    p = (x + 1.0) / 2.0
    w = w / w.sum()
    vals = np.asarray(func(p))
    return _out(np.tensordot(vals, w, axes=([-1], [0])))


# --------------------------------------------------------------------------- voting, verifiers


def _binom_pmf(k, n, p):
    """Binomial pmf in log space (exact 0/1 at p = 0 or 1; no overflow for tiny p)."""
    k, n, p = np.broadcast_arrays(np.asarray(k, float), np.asarray(n, float), np.asarray(p, float))
    logc = special.gammaln(n + 1) - special.gammaln(k + 1) - special.gammaln(n - k + 1)
    return np.exp(logc + special.xlogy(k, p) + special.xlog1py(n - k, -p))


def _binom_sf(k, n, p):
    """P(X > k) for X ~ Binomial(n, p), via the regularised incomplete beta function."""
    k, n, p = np.broadcast_arrays(np.asarray(k, float), np.asarray(n, float), np.asarray(p, float))
    inside = k < n
    return np.where(
        inside, special.betainc(np.where(inside, k + 1, 1.0), np.where(inside, n - k, 1.0), p), 0.0
    )


_TIES = ("random", "lose", "win")


def _tie_weight(tie: str) -> float:
    if tie not in _TIES:
        raise ValueError(f"tie must be one of {_TIES}; got {tie!r}")
    return {"random": 0.5, "lose": 0.0, "win": 1.0}[tie]


def majority_vote_accuracy(p, n_votes, tie: str = "random"):
    """Accuracy of a majority vote over ``n_votes`` samples of a binary answer.

    Parameters
    ----------
    p : float or array_like
        Probability that one sample is correct, in [0, 1].
    n_votes : int or array_like
        Samples voted over, >= 1.
    tie : {"random", "lose", "win"}
        An even split is broken by a coin ("random"), counted wrong or counted right.

    Returns
    -------
    float or numpy.ndarray
        ``P(X > N/2) + w * P(X = N/2)``, X ~ Binomial(N, p). Rises to 1 with N when p > 1/2
        and falls to 0 when p < 1/2 (Condorcet's jury theorem).

    Examples
    --------
    >>> round(majority_vote_accuracy(0.6, 5), 5)
    0.68256
    """
    p = require_in_range("p", p, 0.0, 1.0)
    n = _as_int("n_votes", n_votes, 1)
    w = _tie_weight(tie)
    half = n // 2
    win = _binom_sf(half, n, p)  # P(X > floor(N/2)): for even N the tie X = N/2 is excluded
    even = (n % 2) == 0
    tie_p = np.where(even, _binom_pmf(half, n, p), 0.0)
    # for even N, X = N/2 is a tie, not a win: sf(N/2) already excludes it
    return _out(np.clip(win + w * tie_p, 0.0, 1.0))


def plurality_vote_accuracy(answer_probs, n_votes: int, tie: str = "random") -> float:
    """Exact accuracy of a plurality vote when a sample gives one of several answers.

    Parameters
    ----------
    answer_probs : array_like of float
        ``[p_correct, p_wrong_1, p_wrong_2, ...]``: probabilities of each distinct answer,
        non-negative, summing to 1 (within 1e-9).
    n_votes : int
        Samples voted over, 1 to 2000.
    tie : {"random", "lose", "win"}
        When the correct answer ties with t wrong ones for the most votes: it wins with
        probability 1/(t+1) ("random"), never ("lose") or always ("win").

    Returns
    -------
    float
        Probability the plurality answer is correct. Computed exactly by dynamic programming
        over the wrong answers with conditional binomials, O(m * N^2 * m).
    """
    q = np.asarray(answer_probs, dtype=float)
    if q.ndim != 1 or q.size < 2:
        raise ValueError(
            "answer_probs must list the correct answer's probability and at least one "
            "wrong answer's"
        )
    if np.any(~np.isfinite(q)) or np.any(q < 0) or abs(q.sum() - 1.0) > 1e-9:
        raise ValueError(f"answer_probs must be >= 0 and sum to 1; got sum {q.sum()!r}")
    n = int(_as_int("n_votes", n_votes, 1))
    if n > 2000:
        raise ValueError(f"n_votes must be in [1, 2000]; got {n}")
    _tie_weight(tie)
    p, wrong = q[0], q[1:]
    m = wrong.size
    total = 0.0
    xs = np.arange(n + 1)
    px = _binom_pmf(xs, n, p)
    for x in range(1, n + 1):
        if px[x] == 0.0:
            continue
        r_total = n - x
        # dp[r, t]: probability that, after allocating some wrong answers, r votes remain
        # and t of them tie the correct answer at x; any wrong answer above x loses
        dp = np.zeros((r_total + 1, m + 1))
        dp[r_total, 0] = 1.0
        mass = wrong.sum()
        for j in range(m):
            share = wrong[j] / mass if mass > 0 else 0.0
            new = np.zeros_like(dp)
            for r in range(r_total + 1):
                row = dp[r]
                if not row.any():
                    continue
                if j == m - 1:
                    ys = np.array([r])  # the last wrong answer takes every remaining vote
                    probs = np.array([1.0])
                else:
                    ys = np.arange(r + 1)
                    probs = _binom_pmf(ys, r, share)
                for y, py in zip(ys, probs, strict=True):
                    if y > x or py == 0.0:
                        continue
                    if y == x:
                        new[r - y, 1:] += py * row[:-1]
                    else:
                        new[r - y] += py * row
            dp = new
            mass -= wrong[j]
        end = dp[0]
        t = np.arange(m + 1)
        if tie == "random":
            wins = np.sum(end / (t + 1))
        elif tie == "win":
            wins = np.sum(end)
        else:
            wins = end[0]
        total += px[x] * wins
    return float(min(max(total, 0.0), 1.0))


def best_of_n_accuracy(p, n_samples, false_positive_rate, true_positive_rate=1.0):
    """Accuracy of best-of-N with an imperfect verifier.

    Each of N samples is correct with probability p. The verifier accepts a correct sample
    with ``true_positive_rate`` and a wrong one with ``false_positive_rate``; one accepted
    sample is returned at random (a random sample when none is accepted).

    Returns
    -------
    float or numpy.ndarray
        ``(1 - r^N) * a/(a+b) + r^N * p(1-tpr)/r`` with ``a = p*tpr``, ``b = (1-p)*fpr``,
        ``r = 1 - a - b``. With a perfect verifier (fpr 0, tpr 1) this is coverage
        ``1 - (1-p)^N``; with fpr > 0 it plateaus at ``a/(a+b)`` below 1.
    """
    p = require_in_range("p", p, 0.0, 1.0)
    n = _as_int("n_samples", n_samples, 1)
    fpr = require_in_range("false_positive_rate", false_positive_rate, 0.0, 1.0)
    tpr = require_in_range("true_positive_rate", true_positive_rate, 0.0, 1.0)
    a = np.multiply(p, tpr)
    b = np.multiply(np.subtract(1.0, p), fpr)
    r = 1.0 - a - b
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(a + b > 0, a / np.where(a + b > 0, a + b, 1.0), 0.0)
        fallback = np.where(
            r > 0, np.multiply(p, np.subtract(1.0, tpr)) / np.where(r > 0, r, 1.0), 0.0
        )
    rn = np.power(r, n)
    return _out(np.clip((1.0 - rn) * precision + rn * fallback, 0.0, 1.0))


# --------------------------------------------------------------------------- compute and cost


def pretraining_flops(n_params, n_tokens):
    """Training FLOPs ``6 * N * D`` (Kaplan et al. 2020, Section 2.1)."""
    return _out(
        6.0
        * np.multiply(
            require_positive("n_params", n_params), require_positive("n_tokens", n_tokens)
        )
    )


def inference_flops(n_params, n_tokens):
    """Inference FLOPs ``2 * N`` per token (forward pass only; Kaplan et al. 2020)."""
    return _out(
        2.0
        * np.multiply(
            require_positive("n_params", n_params), require_positive("n_tokens", n_tokens)
        )
    )


def compute_matched_inference_multiplier(model_size_ratio, inference_to_pretraining_tokens):
    """How many times more inference compute a model M times smaller may spend, FLOPs-matched.

    With pretraining ``6 N D`` and inference ``2 N`` per token, a model ``M`` times smaller
    than the big one, trained on the same D tokens, matches the big model's total FLOPs when
    it spends ``K = M + 3 (M - 1) / R`` times the big model's inference tokens, with
    ``R = D_inference / D_pretraining`` (Snell et al. 2024, Section 7).

    Parameters
    ----------
    model_size_ratio : float or array_like
        M, the big model's parameters over the small one's, >= 1.
    inference_to_pretraining_tokens : float or array_like
        R > 0.

    Examples
    --------
    >>> compute_matched_inference_multiplier(14, 0.16)
    257.75
    """
    m = require_in_range("model_size_ratio", model_size_ratio, 1.0, np.inf)
    r = require_positive("inference_to_pretraining_tokens", inference_to_pretraining_tokens)
    return _out(m + 3.0 * (np.subtract(m, 1.0)) / r)


def usd_per_sample(output_tokens, output_usd_per_mtok, input_tokens=0.0, input_usd_per_mtok=0.0):
    """List-price cost of one sample: tokens times USD per million tokens."""
    out_t = require_in_range("output_tokens", output_tokens, 0.0, np.inf)
    out_p = require_in_range("output_usd_per_mtok", output_usd_per_mtok, 0.0, np.inf)
    in_t = require_in_range("input_tokens", input_tokens, 0.0, np.inf)
    in_p = require_in_range("input_usd_per_mtok", input_usd_per_mtok, 0.0, np.inf)
    return _out((np.multiply(out_t, out_p) + np.multiply(in_t, in_p)) / 1e6)


def expected_cost_to_first_success(p, usd_per_sample_value):
    """Expected spend to solve a problem by sampling until a (perfectly verified) success.

    The number of samples is geometric with mean 1/p, so the expected cost is
    ``usd_per_sample / p``; p = 0 raises (the problem is never solved).
    """
    p = require_in_range("p", p, 0.0, 1.0, low_open=True)
    c = require_in_range("usd_per_sample_value", usd_per_sample_value, 0.0, np.inf)
    return _out(np.divide(c, p))


def cost_per_solved_fixed_budget(accuracy_at_k, k, usd_per_sample_value):
    """USD per solved problem when every problem gets exactly ``k`` samples.

    ``k * usd_per_sample / accuracy_at_k``; an accuracy of 0 gives infinity (nothing solved).
    """
    acc = require_in_range("accuracy_at_k", accuracy_at_k, 0.0, 1.0)
    k = _as_int("k", k, 1)
    c = require_in_range("usd_per_sample_value", usd_per_sample_value, 0.0, np.inf)
    spend = np.multiply(k, c)
    with np.errstate(divide="ignore"):
        return _out(
            np.where(np.asarray(acc) > 0, spend / np.where(np.asarray(acc) > 0, acc, 1.0), np.inf)
        )
