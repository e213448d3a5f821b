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

from ._validate import (
    plain,
    renamed_parameters,
    require_in_range,
    require_positive,
    scalar_or_array,
)

__all__ = [
    "CoveragePowerLaw",
    "beta_bin_masses",
    "beta_expected_coverage",
    "beta_from_mean",
    "best_of_n_accuracy",
    "best_of_n_ceiling",
    "compute_matched_inference_multiplier",
    "cost_per_solved_fixed_budget",
    "coverage",
    "coverage_curve",
    "expected_cost_to_first_success",
    "expected_over_difficulty",
    "fit_coverage_power_law",
    "fit_coverage_power_laws",
    "inference_flops",
    "majority_vote_accuracy",
    "majority_vote_ceiling",
    "pass_at_k",
    "plurality_vote_accuracy",
    "samples_to_reach",
    "simulated_counts",
    "usd_per_sample",
]


def _as_int(name: str, value, low: int) -> np.ndarray:
    arr = np.asarray(value)
    if arr.dtype.kind == "f":
        if np.any(~np.isfinite(arr)) or np.any(arr != np.round(arr)):
            bad = arr[~(np.isfinite(arr) & (arr == np.round(arr)))].ravel()[0]
            raise ValueError(f"{name} must be an integer >= {low}; got {plain(bad)!r}")
        arr = arr.astype(np.int64)
    elif arr.dtype.kind not in "iu":
        raise ValueError(f"{name} must be an integer >= {low}; got {plain(value)!r}")
    if np.any(arr < low):
        raise ValueError(
            f"{name} must be an integer >= {low}; got {plain(arr[arr < low].ravel()[0])!r}"
        )
    return arr.astype(np.int64)


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
    from scipy import special  # on use: keeps the import light

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
    return scalar_or_array(np.clip(out, 0.0, 1.0))


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
    """Brown et al. 2024's exponentiated power law, ``coverage(k) ≈ exp(a * k**b)``.

    a < 0 and b < 0 for a rising coverage curve; fitted as a line through
    ``log(-log coverage)`` against ``log k`` (:func:`fit_coverage_power_law`).

    Attributes
    ----------
    a, b : float
        Coefficient and exponent (dimensionless).
    r_squared : float
        R² of the line in ``(log k, log(-log coverage))``.
    n_points : int
        Points used (coverage strictly between 0 and 1).
    """

    a: float
    b: float
    r_squared: float
    n_points: int

    def predict(self, k):
        """Coverage at ``k`` samples.

        Parameters
        ----------
        k : float or array_like
            Samples per problem, > 0.

        Returns
        -------
        float or numpy.ndarray
            ``exp(a * k**b)``, a fraction of problems in (0, 1].
        """
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
        Fitted ``a``, ``b`` (dimensionless), R² and the number of points used.
    """
    from scipy import stats  # on use: keeps the import light

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


def fit_coverage_power_laws(curves: pd.DataFrame) -> dict[str, CoveragePowerLaw]:
    """Fit :func:`fit_coverage_power_law` to every model of a coverage table.

    Parameters
    ----------
    curves : pandas.DataFrame
        Long format ``model``, ``k``, ``coverage`` (:func:`coverage_curve`).

    Returns
    -------
    dict of str to CoveragePowerLaw
        One fit per model, in the order the models first appear.
    """
    for col in ("model", "k", "coverage"):
        if col not in curves.columns:
            raise ValueError(f"curves must have a {col!r} column (use coverage_curve)")
    return {
        m: fit_coverage_power_law(g["k"], g["coverage"])
        for m, g in curves.groupby("model", sort=False)
    }


def beta_expected_coverage(k, alpha, beta):
    """Compute the expected coverage when per-problem success probabilities are Beta-distributed.

    ``E[1 - (1-p)^k] = 1 - B(alpha, beta + k) / B(alpha, beta)``. Beta(1, 1) (uniform
    difficulty) gives ``k / (k + 1)``. A small ``alpha`` puts mass on very hard problems, and
    the curve then rises as a power law in k, the shape Brown et al. observe.

    Parameters
    ----------
    k : float or array_like
        Samples, >= 1 (non-integers interpolate).
    alpha, beta : float or array_like
        Beta parameters, > 0.

    Returns
    -------
    float or numpy.ndarray
        Expected share of problems solved by at least one of k samples, in [0, 1]. At
        ``k = 1`` it is the mean pass@1, ``alpha / (alpha + beta)``.
    """
    from scipy import special  # on use: keeps the import light

    k = require_in_range("k", k, 1.0, np.inf)
    a = require_positive("alpha", alpha)
    b = require_positive("beta", beta)
    return scalar_or_array(-np.expm1(special.betaln(a, np.add(b, k)) - special.betaln(a, b)))


def beta_from_mean(mean, concentration):
    """Beta parameters from a mean and a concentration, ``(mean * c, (1 - mean) * c)``.

    Parameters
    ----------
    mean : float or array_like
        Mean success probability of one sample (mean pass@1), in (0, 1).
    concentration : float or array_like
        ``alpha + beta``, > 0: low values spread problems towards p = 0 and p = 1, high values
        concentrate them near the mean.

    Returns
    -------
    alpha, beta : float or numpy.ndarray
        Parameters of the Beta distribution of per-problem success probability.
    """
    m = require_in_range("mean", mean, 0.0, 1.0, low_open=True, high_open=True)
    c = require_positive("concentration", concentration)
    return m * c, (1 - m) * c


def beta_bin_masses(alpha, beta, bin_edges):
    """Probability that a problem's success probability p ~ Beta(alpha, beta) falls in each bin.

    Parameters
    ----------
    alpha, beta : float
        Beta parameters, > 0.
    bin_edges : array_like of float
        Increasing bin edges in [0, 1].

    Returns
    -------
    numpy.ndarray
        ``I(edges[i+1]) - I(edges[i])`` with I the regularised incomplete beta function (the
        Beta CDF): one probability per bin; they sum to 1 when the edges span [0, 1].
    """
    from scipy import special  # on use: keeps the import light

    a = require_positive("alpha", alpha)
    b = require_positive("beta", beta)
    edges = np.asarray(require_in_range("bin_edges", bin_edges, 0.0, 1.0), dtype=float)
    if edges.ndim != 1 or edges.size < 2 or np.any(np.diff(edges) <= 0):
        raise ValueError("bin_edges must be a 1-D increasing array of at least 2 edges in [0, 1]")
    return np.diff(special.betainc(a, b, edges))


# quadrature bins over p: log-spaced towards 0 and 1 (down to 1e-9), meeting at p = 1/2
_TAIL = np.logspace(-9, np.log10(0.5), 300)
_DIFFICULTY_EDGES = np.unique(np.concatenate(([0.0], _TAIL, 1.0 - _TAIL, [1.0])))
_DIFFICULTY_MIDS = 0.5 * (_DIFFICULTY_EDGES[:-1] + _DIFFICULTY_EDGES[1:])


def expected_over_difficulty(func, alpha: float, beta: float):
    """Average ``func(p)`` over problems whose success probability p ~ Beta(alpha, beta).

    The one quadrature of the package over Beta difficulty. Bins of p are log-spaced towards 0
    and 1 (down to 1e-9 from each end: where a small alpha or beta puts its mass, and where
    many-sample curves such as ``1 - (1-p)**10000`` change fastest) and meet at p = 1/2
    exactly, so a step there (a majority vote's limit) is integrated without error. Each bin
    is weighted by its exact Beta probability (:func:`beta_bin_masses`, normalised) and
    ``func`` is evaluated at its midpoint.

    Accuracy, against the closed form :func:`beta_expected_coverage` for alpha in
    [0.05, 5], beta in [0.5, 20] and k in [1, 10,000]: relative error at most 7.5e-4 (worst at
    k = 1 with beta = 20, where the wide middle bins' midpoints are off the conditional mean).
    A 48-node Gauss-Jacobi rule, exact for polynomials, is 18% off at k = 10,000 and alpha =
    0.05: it has no node near p ~ 1/k.

    Parameters
    ----------
    func : callable
        Maps an array of p (the quadrature nodes on a trailing axis) to values of the same
        shape; other axes broadcast (e.g. ``lambda p: best_of_n_accuracy(p, n[:, None], 0.1)``
        for a vector ``n``).
    alpha, beta : float
        Beta parameters, > 0.

    Returns
    -------
    float or numpy.ndarray
        ``E[func(p)]``; the trailing axis is summed out.
    """
    a = require_positive("alpha", alpha)
    b = require_positive("beta", beta)
    if np.ndim(a) or np.ndim(b):
        raise ValueError("alpha and beta must be scalars (one difficulty distribution)")
    mass = beta_bin_masses(a, b, _DIFFICULTY_EDGES)
    w = mass / mass.sum()
    vals = np.asarray(func(_DIFFICULTY_MIDS), dtype=float)
    return scalar_or_array(vals @ w)


# --------------------------------------------------------------------------- voting, verifiers


def _binom_pmf(k, n, p):
    """Binomial pmf in log space (exact 0/1 at p = 0 or 1; no overflow for tiny p)."""
    from scipy import special  # on use: keeps the import light

    k, n, p = np.broadcast_arrays(np.asarray(k, float), np.asarray(n, float), np.asarray(p, float))
    logc = special.gammaln(n + 1) - special.gammaln(k + 1) - special.gammaln(n - k + 1)
    return np.exp(logc + special.xlogy(k, p) + special.xlog1py(n - k, -p))


def _binom_sf(k, n, p):
    """P(X > k) for X ~ Binomial(n, p), via the regularised incomplete beta function."""
    from scipy import special  # on use: keeps the import light

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
    return scalar_or_array(np.clip(win + w * tie_p, 0.0, 1.0))


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
        raise ValueError(f"answer_probs must be >= 0 and sum to 1; got sum {plain(q.sum())!r}")
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

    Parameters
    ----------
    p : float or array_like
        Probability that one sample is correct, in [0, 1].
    n_samples : int or array_like
        Samples drawn, >= 1.
    false_positive_rate : float or array_like
        Probability the verifier accepts a wrong sample, in [0, 1] (0 for unit tests).
    true_positive_rate : float or array_like, default 1
        Probability the verifier accepts a correct sample, in [0, 1].

    Returns
    -------
    float or numpy.ndarray
        Probability the returned sample is correct:
        ``(1 - r^N) * a/(a+b) + r^N * p(1-tpr)/r`` with ``a = p*tpr``, ``b = (1-p)*fpr``,
        ``r = 1 - a - b``. With a perfect verifier (fpr 0, tpr 1) this is coverage
        ``1 - (1-p)^N``; with fpr > 0 it plateaus at ``a/(a+b)`` below 1
        (:func:`best_of_n_ceiling`).
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
    return scalar_or_array(np.clip((1.0 - rn) * precision + rn * fallback, 0.0, 1.0))


def best_of_n_ceiling(p, false_positive_rate, true_positive_rate=1.0):
    """Limit of :func:`best_of_n_accuracy` as the number of samples grows without bound.

    Parameters
    ----------
    p : float or array_like
        Probability that one sample is correct, in [0, 1].
    false_positive_rate, true_positive_rate : float or array_like
        The verifier's acceptance rates of wrong and of correct samples, in [0, 1].

    Returns
    -------
    float or numpy.ndarray
        The verifier's precision ``a / (a + b)``, ``a = p * tpr``, ``b = (1 - p) * fpr``: with
        enough samples one is always accepted, and an accepted sample is correct with that
        probability. When nothing can be accepted (``a + b = 0``) the random fallback sample
        stays, correct with probability ``p * (1 - tpr)`` (0 for p = 0). A perfect verifier
        (fpr 0) gives 1 for every p > 0.
    """
    p = require_in_range("p", p, 0.0, 1.0)
    fpr = require_in_range("false_positive_rate", false_positive_rate, 0.0, 1.0)
    tpr = require_in_range("true_positive_rate", true_positive_rate, 0.0, 1.0)
    a = np.multiply(p, tpr)
    b = np.multiply(np.subtract(1.0, p), fpr)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(
            a + b > 0, a / np.where(a + b > 0, a + b, 1.0), np.multiply(p, np.subtract(1.0, tpr))
        )
    return scalar_or_array(out)


def majority_vote_ceiling(p):
    """Limit of :func:`majority_vote_accuracy` as the number of votes grows without bound.

    Parameters
    ----------
    p : float or array_like
        Probability that one sample is correct (binary answer), in [0, 1].

    Returns
    -------
    float or numpy.ndarray
        1 for p > 1/2, 0 for p < 1/2 (Condorcet's jury theorem) and 1/2 at p = 1/2, whatever
        the tie rule (the chance of a tie vanishes as N grows). Averaged over p ~ Beta(alpha,
        beta) it is the share of problems with p > 1/2, ``1 - I_{1/2}(alpha, beta)``.
    """
    p = np.asarray(require_in_range("p", p, 0.0, 1.0), dtype=float)
    return scalar_or_array(np.where(p > 0.5, 1.0, np.where(p == 0.5, 0.5, 0.0)))


def samples_to_reach(n_samples, accuracy, target_accuracy):
    """Fewest samples on a grid at which an accuracy curve reaches a target.

    Parameters
    ----------
    n_samples : array_like of int
        Increasing sample counts (the curve's grid).
    accuracy : array_like of float
        Accuracy at each count, in [0, 1] (e.g. from :func:`best_of_n_accuracy`).
    target_accuracy : float
        Accuracy to reach, in [0, 1].

    Returns
    -------
    int or None
        The first ``n_samples[i]`` with ``accuracy[i] >= target_accuracy``; None when the
        curve never reaches it on the grid.
    """
    n = _as_int("n_samples", n_samples, 1)
    acc = np.asarray(require_in_range("accuracy", accuracy, 0.0, 1.0), dtype=float)
    target = require_in_range("target_accuracy", target_accuracy, 0.0, 1.0)
    if n.ndim != 1 or n.shape != acc.shape or np.any(np.diff(n) <= 0):
        raise ValueError(
            "n_samples must be 1-D and increasing, with one accuracy per count; got shapes "
            f"{n.shape} and {acc.shape}"
        )
    reach = np.flatnonzero(acc >= target)
    return int(n[reach[0]]) if reach.size else None


# --------------------------------------------------------------------------- compute and cost


def inference_flops(n_params, n_tokens):
    """Inference FLOPs, ``2 * N`` per token (forward pass only; Kaplan et al. 2020, Sec. 2.1).

    Parameters
    ----------
    n_params : float or array_like
        Parameters N (active parameters for a mixture of experts), > 0.
    n_tokens : float or array_like
        Tokens processed, > 0.

    Returns
    -------
    float or numpy.ndarray
        ``2 * N * tokens`` FLOPs. Training is ``6 * N * D``: :func:`inferecon.training_flops`.
    """
    return scalar_or_array(
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

    Returns
    -------
    float or numpy.ndarray
        K, the small model's inference tokens as a multiple of the big model's (dimensionless).

    Examples
    --------
    >>> compute_matched_inference_multiplier(14, 0.16)
    257.75
    """
    m = require_in_range("model_size_ratio", model_size_ratio, 1.0, np.inf)
    r = require_positive("inference_to_pretraining_tokens", inference_to_pretraining_tokens)
    return scalar_or_array(m + 3.0 * (np.subtract(m, 1.0)) / r)


@renamed_parameters(input_tokens="prompt_tokens")
def usd_per_sample(output_tokens, output_usd_per_mtok, prompt_tokens=0.0, input_usd_per_mtok=0.0):
    """List-price cost of one sample: tokens times USD per million tokens.

    Parameters
    ----------
    output_tokens : float or array_like
        Output tokens per sample (reasoning tokens included), >= 0.
    output_usd_per_mtok : float or array_like
        Output price, USD per million tokens, >= 0.
    prompt_tokens : float or array_like, default 0
        Prompt (input) tokens per sample, >= 0.
    input_usd_per_mtok : float or array_like, default 0
        Input price, USD per million tokens, >= 0.

    Returns
    -------
    float or numpy.ndarray
        USD per sample.
    """
    out_t = require_in_range("output_tokens", output_tokens, 0.0, np.inf)
    out_p = require_in_range("output_usd_per_mtok", output_usd_per_mtok, 0.0, np.inf)
    in_t = require_in_range("prompt_tokens", prompt_tokens, 0.0, np.inf)
    in_p = require_in_range("input_usd_per_mtok", input_usd_per_mtok, 0.0, np.inf)
    return scalar_or_array((np.multiply(out_t, out_p) + np.multiply(in_t, in_p)) / 1e6)


def expected_cost_to_first_success(p, usd_per_sample_value):
    """Compute the expected spend to solve a problem by sampling until a verified success.

    Parameters
    ----------
    p : float or array_like
        Probability that one sample is correct, in (0, 1]; p = 0 raises (never solved).
    usd_per_sample_value : float or array_like
        USD per sample (:func:`usd_per_sample`), >= 0.

    Returns
    -------
    float or numpy.ndarray
        USD: the number of samples is geometric with mean 1/p, so ``usd_per_sample / p``.
    """
    p = require_in_range("p", p, 0.0, 1.0, low_open=True)
    c = require_in_range("usd_per_sample_value", usd_per_sample_value, 0.0, np.inf)
    return scalar_or_array(np.divide(c, p))


def cost_per_solved_fixed_budget(accuracy_at_k, k, usd_per_sample_value):
    """USD per solved problem when every problem gets exactly ``k`` samples.

    Parameters
    ----------
    accuracy_at_k : float or array_like
        Share of problems solved with k samples, in [0, 1].
    k : int or array_like
        Samples per problem, >= 1.
    usd_per_sample_value : float or array_like
        USD per sample (:func:`usd_per_sample`), >= 0.

    Returns
    -------
    float or numpy.ndarray
        ``k * usd_per_sample / accuracy_at_k`` USD; infinity at accuracy 0 (nothing solved).
    """
    acc = require_in_range("accuracy_at_k", accuracy_at_k, 0.0, 1.0)
    k = _as_int("k", k, 1)
    c = require_in_range("usd_per_sample_value", usd_per_sample_value, 0.0, np.inf)
    spend = np.multiply(k, c)
    with np.errstate(divide="ignore"):
        return scalar_or_array(
            np.where(np.asarray(acc) > 0, spend / np.where(np.asarray(acc) > 0, acc, 1.0), np.inf)
        )


# --------------------------------------------------------------------------- stand-in data


def simulated_counts(
    n_problems: int = 128,
    n_samples: int = 10_000,
    alphas=(0.03, 0.08, 0.2),
    beta: float = 3.0,
    seed: int = 0,
) -> pd.DataFrame:
    """Per-problem sampling counts simulated from Beta difficulty: a labelled stand-in.

    For tests, benchmarks and a notebook run without real repeated-sampling data; it is not
    data. Each problem's success probability is drawn from Beta(alpha, beta), then its number
    of correct samples from Binomial(n_samples, p).

    Parameters
    ----------
    n_problems : int, default 128
        Problems per simulated model (Brown et al.'s MATH subset has 128).
    n_samples : int, default 10,000
        Samples per problem.
    alphas : sequence of float, default (0.03, 0.08, 0.2)
        One simulated model per alpha (> 0); smaller alpha, more very hard problems.
    beta : float, default 3
        Beta's second parameter, > 0.
    seed : int, default 0
        Seed of numpy's default generator.

    Returns
    -------
    pandas.DataFrame
        Columns ``model`` (``simulated Beta(alpha, beta)``), ``benchmark`` (empty),
        ``problem_idx``, ``n_samples``, ``n_correct``: the
        :func:`inferecon.load_sampling_counts` schema.
    """
    n_problems = int(_as_int("n_problems", n_problems, 1))
    n_samples = int(_as_int("n_samples", n_samples, 1))
    for a in alphas:
        require_positive("alphas", a)
    require_positive("beta", beta)
    rng = np.random.default_rng(seed)
    frames = []
    for a in alphas:
        p = rng.beta(a, beta, n_problems)
        frames.append(
            pd.DataFrame(
                {
                    "model": f"simulated Beta({a:g}, {beta:g})",
                    "benchmark": "",
                    "problem_idx": np.arange(n_problems).astype(str),
                    "n_samples": n_samples,
                    "n_correct": rng.binomial(n_samples, p),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)
