"""Test-time compute: golden numbers from the papers, properties, bad input, and fidelity to
real repeated-sampling data (Brown et al. 2024's Pythia runs on MATH)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import inferecon as ie
from inferecon.scaling import training_flops
from inferecon.testtime import (
    best_of_n_ceiling,
    beta_bin_masses,
    beta_from_mean,
    fit_coverage_power_laws,
    majority_vote_ceiling,
    samples_to_reach,
    simulated_counts,
)

# ----------------------------------------------------------------------------- pass@k


def test_pass_at_k_goldens():
    # Chen et al. 2021 estimator 1 - C(n-c,k)/C(n,k)
    assert ie.pass_at_k(10, 3, 5) == pytest.approx(11 / 12, abs=1e-12)
    assert ie.pass_at_k(200, 10, 10) == pytest.approx(0.4085478661, abs=1e-10)
    assert ie.pass_at_k(10, 8, 5) == 1.0  # n - c < k: every draw of 5 holds a correct one
    assert ie.pass_at_k(10, 0, 5) == 0.0
    exact = 1 - math.comb(10000 - 37, 100) / math.comb(10000, 100)
    assert ie.pass_at_k(10000, 37, 100) == pytest.approx(exact, rel=1e-10)


def test_pass_at_k_every_k_at_once():
    ks = np.arange(1, 10001)
    out = ie.pass_at_k(10000, 5, ks)
    assert out.shape == (10000,)
    assert np.all(np.diff(out) >= -1e-12)
    assert out[0] == pytest.approx(5 / 10000)


@given(st.integers(1, 300), st.data())
def test_pass_at_k_is_a_probability_and_monotone(n, data):
    c = data.draw(st.integers(0, n))
    k = data.draw(st.integers(1, n))
    v = ie.pass_at_k(n, c, k)
    assert 0.0 <= v <= 1.0
    if k < n:
        assert ie.pass_at_k(n, c, k + 1) >= v - 1e-12
    if c < n:
        assert ie.pass_at_k(n, c + 1, k) >= v - 1e-12


@pytest.mark.parametrize(
    "args, param",
    [
        ((5, 6, 1), "c must be <= n"),
        ((5, 2, 6), "k must be <= n"),
        ((5, -1, 1), "c must"),
        ((0, 0, 1), "n must"),
        ((5, 2.5, 1), "c must"),
        ((5, 2, 0), "k must"),
    ],
)
def test_pass_at_k_bad_input(args, param):
    with pytest.raises(ValueError, match=param):
        ie.pass_at_k(*args)


# ----------------------------------------------------------------------------- coverage models


def test_beta_uniform_gives_k_over_k_plus_one():
    k = np.array([1, 2, 10, 1000])
    np.testing.assert_allclose(ie.beta_expected_coverage(k, 1, 1), k / (k + 1))


@given(st.floats(0.05, 5), st.floats(0.05, 50), st.integers(1, 5000))
def test_beta_coverage_is_a_rising_probability(a, b, k):
    v = ie.beta_expected_coverage(k, a, b)
    assert 0.0 <= v <= 1.0
    assert ie.beta_expected_coverage(k + 1, a, b) >= v - 1e-12


# The quadrature over Beta difficulty reaches a relative error of at most 7.5e-4 against the
# closed form on alpha in [0.05, 5], beta in [0.5, 20], k in [1, 10,000] (worst at k = 1,
# beta = 20); tested at 1e-3 (a margin of 1.3x).
QUAD_RTOL = 1e-3


@given(st.floats(0.05, 5), st.floats(0.5, 20), st.integers(1, 10_000))
def test_quadrature_matches_closed_form(a, b, k):
    v = ie.expected_over_difficulty(lambda p: 1 - (1 - p) ** k, a, b)
    assert v == pytest.approx(ie.beta_expected_coverage(k, a, b), rel=QUAD_RTOL)


def test_quadrature_golden_and_shapes():
    # E[p] = alpha / (alpha + beta): 0.3 / 2.3 = 0.130435 for Beta(0.3, 2)
    assert ie.expected_over_difficulty(lambda p: p, 0.3, 2.0) == pytest.approx(
        0.3 / 2.3, rel=QUAD_RTOL
    )
    # many samples on very hard problems: Beta(0.05, 3), k = 10,000, where a 48-node
    # Gauss-Jacobi rule is 18% off (no node near p ~ 1/k)
    exact = ie.beta_expected_coverage(10_000, 0.05, 3.0)
    assert ie.expected_over_difficulty(lambda p: 1 - (1 - p) ** 10_000, 0.05, 3.0) == pytest.approx(
        exact, rel=QUAD_RTOL
    )
    n = np.array([1, 10, 100])
    out = ie.expected_over_difficulty(lambda p: ie.best_of_n_accuracy(p, n[:, None], 0.1), 1, 1)
    assert out.shape == (3,)
    with pytest.raises(ValueError, match="scalars"):
        ie.expected_over_difficulty(lambda p: p, np.array([1.0, 2.0]), 1.0)
    with pytest.raises(ValueError, match="beta"):
        ie.expected_over_difficulty(lambda p: p, 1.0, 0.0)


def test_quadrature_integrates_the_step_at_one_half_exactly():
    # Beta(2, 1) has CDF x^2, so P(p > 1/2) = 1 - 1/4 = 0.75 (by hand); the bins meet at 1/2
    assert ie.expected_over_difficulty(majority_vote_ceiling, 2.0, 1.0) == pytest.approx(
        0.75, abs=1e-12
    )
    # Beta(1, 1): a half of the problems have p > 1/2
    assert ie.expected_over_difficulty(majority_vote_ceiling, 1.0, 1.0) == pytest.approx(
        0.5, abs=1e-12
    )


def test_beta_bin_masses_golden_and_bad_input():
    # uniform difficulty: each bin's mass is its width; Beta(2, 1) (CDF x^2): 1/4 and 3/4
    np.testing.assert_allclose(beta_bin_masses(1, 1, [0, 0.2, 0.5, 1]), [0.2, 0.3, 0.5])
    np.testing.assert_allclose(beta_bin_masses(2, 1, [0, 0.5, 1]), [0.25, 0.75])
    with pytest.raises(ValueError, match="increasing"):
        beta_bin_masses(1, 1, [0, 0.5, 0.5, 1])
    with pytest.raises(ValueError, match="bin_edges"):
        beta_bin_masses(1, 1, [0, 1.5])
    with pytest.raises(ValueError, match="alpha"):
        beta_bin_masses(-1, 1, [0, 1])


@given(st.floats(0.01, 0.99), st.floats(0.1, 100))
def test_beta_from_mean_round_trips(mean, conc):
    a, b = beta_from_mean(mean, conc)
    assert a / (a + b) == pytest.approx(mean, rel=1e-12)
    assert a + b == pytest.approx(conc, rel=1e-12)


def test_beta_from_mean_golden_and_bad_input():
    # the cost explorer's default: pass@1 15%, concentration 1 -> Beta(0.15, 0.85)
    assert beta_from_mean(0.15, 1.0) == pytest.approx((0.15, 0.85))
    for bad in (0.0, 1.0):
        with pytest.raises(ValueError, match="mean"):
            beta_from_mean(bad, 1.0)
    with pytest.raises(ValueError, match="concentration"):
        beta_from_mean(0.5, 0.0)


def test_coverage_power_laws_per_model():
    k = np.logspace(0, 4, 40)
    curves = pd.concat(
        [
            pd.DataFrame({"model": "x", "k": k, "coverage": np.exp(-3.0 * k**-0.4)}),
            pd.DataFrame({"model": "y", "k": k, "coverage": np.exp(-5.0 * k**-0.2)}),
        ]
    )
    fits = fit_coverage_power_laws(curves)
    assert list(fits) == ["x", "y"]
    assert (fits["x"].a, fits["x"].b) == pytest.approx((-3.0, -0.4), rel=1e-9)
    assert (fits["y"].a, fits["y"].b) == pytest.approx((-5.0, -0.2), rel=1e-9)
    with pytest.raises(ValueError, match="coverage"):
        fit_coverage_power_laws(curves.drop(columns="coverage"))


def test_simulated_counts_are_labelled_seeded_and_valid(tmp_path):
    a = simulated_counts(n_problems=16, n_samples=100, alphas=(0.1, 0.5), seed=3)
    assert a.equals(simulated_counts(n_problems=16, n_samples=100, alphas=(0.1, 0.5), seed=3))
    assert not a.equals(simulated_counts(n_problems=16, n_samples=100, alphas=(0.1, 0.5)))
    assert set(a["model"]) == {"simulated Beta(0.1, 3)", "simulated Beta(0.5, 3)"}
    assert len(a) == 32 and (a["n_correct"] <= a["n_samples"]).all()
    path = tmp_path / "counts.csv"
    a.to_csv(path, index=False)
    assert len(ie.load_sampling_counts(path)) == 32  # the loader's schema accepts it
    with pytest.raises(ValueError, match="alphas"):
        simulated_counts(alphas=(0.0,))


def test_power_law_fit_recovers_its_own_curve():
    k = np.logspace(0, 4, 40)
    cov = np.exp(-3.0 * k**-0.4)
    fit = ie.fit_coverage_power_law(k, cov)
    assert fit.a == pytest.approx(-3.0, rel=1e-9) and fit.b == pytest.approx(-0.4, rel=1e-9)
    np.testing.assert_allclose(fit.predict(k), cov)
    with pytest.raises(ValueError, match="at least 3"):
        ie.fit_coverage_power_law([1, 2, 3], [0.0, 1.0, 1.0])


# ----------------------------------------------------------------------------- voting, verifier


def test_majority_vote_goldens():
    # binary p = 0.6, N = 5: P(X >= 3) = 0.68256
    assert ie.majority_vote_accuracy(0.6, 5) == pytest.approx(0.68256, abs=1e-12)
    # N = 4 with a coin for 2-2: P(X>=3) + 0.5 P(X=2) = 0.4752 + 0.1728
    assert ie.majority_vote_accuracy(0.6, 4) == pytest.approx(0.648, abs=1e-12)
    assert ie.majority_vote_accuracy(0.6, 4, tie="lose") == pytest.approx(0.4752, abs=1e-12)
    assert ie.majority_vote_accuracy(0.6, 4, tie="win") == pytest.approx(0.8208, abs=1e-12)
    assert ie.majority_vote_accuracy(0.6, 1) == pytest.approx(0.6)


def test_plurality_reduces_to_binary_and_beats_chance():
    for n in (1, 2, 5, 8, 13):
        assert ie.plurality_vote_accuracy([0.6, 0.4], n) == pytest.approx(
            ie.majority_vote_accuracy(0.6, n), abs=1e-12
        )
    # a correct answer that is only a plurality (0.4 vs two wrong answers at 0.3) still wins
    # more often with more votes
    accs = [ie.plurality_vote_accuracy([0.4, 0.3, 0.3], n) for n in (1, 5, 15, 45)]
    assert accs[0] == pytest.approx(0.4) and all(np.diff(accs) > 0)


def test_plurality_exact_against_enumeration():
    from itertools import product

    probs = [0.5, 0.3, 0.2]
    n = 4
    total = 0.0
    for votes in product(range(3), repeat=n):
        counts = np.bincount(votes, minlength=3)
        top = counts.max()
        if counts[0] == top:
            total += np.prod([probs[v] for v in votes]) / np.sum(counts == top)
    assert ie.plurality_vote_accuracy(probs, n) == pytest.approx(total, abs=1e-12)


def test_mixture_of_easy_and_hard_rises_then_falls():
    n = np.array([1, 5, 25, 101])
    acc = 0.5 * ie.majority_vote_accuracy(0.9, n) + 0.5 * ie.majority_vote_accuracy(0.4, n)
    assert acc[1] > acc[0] and acc[3] < acc[1]


@given(st.floats(0, 1), st.integers(1, 400), st.sampled_from(["random", "lose", "win"]))
def test_votes_stay_in_unit_interval(p, n, tie):
    assert 0.0 <= ie.majority_vote_accuracy(p, n, tie) <= 1.0


@given(st.lists(st.floats(0.01, 1), min_size=2, max_size=5), st.integers(1, 30))
def test_plurality_stays_in_unit_interval(w, n):
    probs = np.asarray(w) / np.sum(w)
    probs[-1] = 1.0 - probs[:-1].sum()
    if probs[-1] < 0:
        return
    assert 0.0 <= ie.plurality_vote_accuracy(probs, n) <= 1.0


def test_best_of_n_ceiling_golden():
    # by hand: p = 0.3, fpr = 0.1: precision 0.3 / (0.3 + 0.7 x 0.1) = 0.3 / 0.37 = 0.810811
    assert best_of_n_ceiling(0.3, 0.1) == pytest.approx(0.810811, abs=1e-6)
    # tpr 0.8: a = 0.24, b = 0.07: 0.24 / 0.31 = 0.774194
    assert best_of_n_ceiling(0.3, 0.1, 0.8) == pytest.approx(0.774194, abs=1e-6)
    assert best_of_n_ceiling(0.3, 0.0) == 1.0  # a perfect verifier finds a correct sample
    assert best_of_n_ceiling(0.0, 0.2) == 0.0
    # nothing is ever accepted (tpr = fpr = 0): the random fallback keeps p
    assert best_of_n_ceiling(0.4, 0.0, 0.0) == pytest.approx(0.4)


@given(st.floats(0.1, 1), st.floats(0, 1), st.floats(0.1, 1))
def test_best_of_n_tends_to_its_ceiling(p, fpr, tpr):
    # a = p tpr >= 0.01, so r = 1 - a - b <= 0.99 and r^N < 3e-44 at N = 10^4: the limit
    assert ie.best_of_n_accuracy(p, 10_000, fpr, tpr) == pytest.approx(
        best_of_n_ceiling(p, fpr, tpr), abs=1e-12
    )


def test_majority_vote_ceiling():
    assert majority_vote_ceiling(np.array([0.0, 0.49, 0.5, 0.51, 1.0])).tolist() == [
        0.0,
        0.0,
        0.5,
        1.0,
        1.0,
    ]
    # far from 1/2, 2,001 votes are already at the limit (Hoeffding: P(error) <=
    # exp(-2 N 0.1^2) = 4e-18 at p = 0.6)
    assert ie.majority_vote_accuracy(0.6, 2001) == pytest.approx(1.0, abs=1e-15)
    assert ie.majority_vote_accuracy(0.5, 2001) == pytest.approx(0.5, abs=1e-12)
    with pytest.raises(ValueError, match="p must"):
        majority_vote_ceiling(1.5)


def test_samples_to_reach():
    n = np.array([1, 10, 100, 1000])
    acc = np.array([0.1, 0.3, 0.5, 0.55])
    assert samples_to_reach(n, acc, 0.3) == 10  # reaching includes equality
    assert samples_to_reach(n, acc, 0.05) == 1
    assert samples_to_reach(n, acc, 0.6) is None
    with pytest.raises(ValueError, match="increasing"):
        samples_to_reach(n[::-1], acc, 0.3)
    with pytest.raises(ValueError, match="target_accuracy"):
        samples_to_reach(n, acc, 1.5)


def test_best_of_n_perfect_verifier_is_coverage_and_imperfect_plateaus():
    n = np.array([1, 10, 100])
    np.testing.assert_allclose(ie.best_of_n_accuracy(0.3, n, 0.0), 1 - 0.7**n)
    plateau = 0.3 / (0.3 + 0.7 * 0.1)
    acc = ie.best_of_n_accuracy(0.3, np.array([1, 10, 100, 10000]), 0.1)
    assert acc[0] == pytest.approx(0.3)
    assert acc[-1] == pytest.approx(plateau)
    assert np.all(acc <= plateau + 1e-12)


@given(st.floats(0, 1), st.integers(1, 1000), st.floats(0, 1), st.floats(0, 1))
def test_best_of_n_in_unit_interval(p, n, fpr, tpr):
    assert 0.0 <= ie.best_of_n_accuracy(p, n, fpr, tpr) <= 1.0


@pytest.mark.parametrize(
    "call, param",
    [
        (lambda: ie.majority_vote_accuracy(1.2, 3), "p must"),
        (lambda: ie.majority_vote_accuracy(0.5, 0), "n_votes"),
        (lambda: ie.majority_vote_accuracy(0.5, 3, tie="coin"), "tie must"),
        (lambda: ie.plurality_vote_accuracy([0.5, 0.4], 3), "sum to 1"),
        (lambda: ie.plurality_vote_accuracy([1.0], 3), "at least one wrong"),
        (lambda: ie.best_of_n_accuracy(0.5, 3, -0.1), "false_positive_rate"),
        (lambda: ie.beta_expected_coverage(10, 0, 1), "alpha"),
        (lambda: ie.compute_matched_inference_multiplier(0.5, 1), "model_size_ratio"),
        (lambda: ie.expected_cost_to_first_success(0.0, 1.0), "p must"),
        (lambda: best_of_n_ceiling(0.5, 1.5), "false_positive_rate"),
        (lambda: ie.usd_per_sample(-1, 1.0), "output_tokens"),
        (lambda: ie.cost_per_solved_fixed_budget(0.5, 0, 1.0), "k must"),
        (lambda: ie.inference_flops(0, 10), "n_params"),
    ],
)
def test_bad_input_names_the_parameter(call, param):
    with pytest.raises(ValueError, match=param):
        call()


# ----------------------------------------------------------------------------- compute, cost


def test_snell_compute_matched_multiplier():
    # Snell et al. 2024, Section 7: K = M + 3(M-1)/R; M = 14, R = 0.16 gives 257.75
    assert ie.compute_matched_inference_multiplier(14, 0.16) == pytest.approx(257.75)
    assert ie.compute_matched_inference_multiplier(1, 0.5) == 1.0
    # and it really equalises total FLOPs
    n_small, d, d_inf, m, r = 1e9, 1e12, 1.6e11, 14.0, 0.16
    k = ie.compute_matched_inference_multiplier(m, r)
    big = training_flops(m * n_small, d) + ie.inference_flops(m * n_small, d_inf)
    small = training_flops(n_small, d) + ie.inference_flops(n_small, k * d_inf)
    assert small == pytest.approx(big)


def test_cost_per_solved():
    per = ie.usd_per_sample(
        output_tokens=2000, output_usd_per_mtok=8.0, prompt_tokens=500, input_usd_per_mtok=2.0
    )
    assert per == pytest.approx(0.017)
    assert ie.expected_cost_to_first_success(0.25, per) == pytest.approx(0.068)
    assert ie.cost_per_solved_fixed_budget(0.5, 10, per) == pytest.approx(0.34)
    assert ie.cost_per_solved_fixed_budget(0.0, 10, per) == math.inf


# ----------------------------------------------------------------------------- counts files


def test_counts_loader_lists_every_problem(tmp_path):
    p = tmp_path / "counts.csv"
    p.write_text(
        "model,problem_idx,n_samples,n_correct\n"
        "m,1,100,5\n"
        "m,2,100,101\n"  # more correct than samples
        "m,3,0,0\n"  # zero samples
        "m,4,100,-1\n"  # negative
        "m,5,10.5,1\n"  # not an integer
        "m,1,100,3\n"  # duplicate problem
    )
    with pytest.raises(ie.DataValidationError) as info:
        ie.load_sampling_counts(p)
    where = {(x.line, x.column) for x in info.value.problems}
    assert {
        (3, "n_correct"),
        (4, "n_samples"),
        (5, "n_correct"),
        (6, "n_samples"),
        (7, "model,benchmark,problem_idx"),
    } <= where
    q = tmp_path / "missing.csv"
    q.write_text("model,n_samples\nm,10\n")
    with pytest.raises(ie.DataValidationError, match="n_correct"):
        ie.load_sampling_counts(q)


# ----------------------------------------------------------------------------- fidelity


@pytest.fixture(scope="module")
def pythia(reference):
    path = reference / "schaeffer-monkeys-pythia-math" / "per_problem_counts.csv"
    assert path.is_file(), f"the reference folder lacks {path}"
    return ie.load_sampling_counts(path)


def test_pythia_coverage_goldens(pythia):
    # Brown et al. 2024 / Schaeffer et al. 2025: Pythia on MATH, 128 problems x 10,000
    # samples. The goldens are computed here from the published counts file by other means
    # than the package's log-gamma estimator: coverage at k = 1 is the mean of c / n; at
    # k = n it is the share of problems with any correct sample; at k = 100, Chen et al.'s
    # 1 - C(n - c, k) / C(n, k) in exact integer arithmetic (fractions). Log-gamma
    # differences of numbers near 10^4 keep about 9 digits: achieved 1.2e-9, tested at 1e-8.
    from fractions import Fraction

    g = pythia[pythia["model"] == "Pythia 160M"]
    assert len(g) == 128 and (g["n_samples"] == 10000).all()
    c1, c10k = ie.coverage(g["n_samples"], g["n_correct"], [1, 10000])
    assert c1 == pytest.approx(g["n_correct"].sum() / (128 * 10000), rel=1e-8)
    assert c1 == pytest.approx(0.0027, abs=5e-5)  # the paper's 0.27% at one sample
    assert c10k == (g["n_correct"] > 0).sum() / 128  # 73 of 128 solved at least once
    g12 = pythia[pythia["model"] == "Pythia 12B"]
    exact = sum(
        1 - Fraction(math.comb(n - c, 100), math.comb(n, 100))
        for n, c in zip(g12["n_samples"], g12["n_correct"], strict=True)
    ) / len(g12)
    assert ie.coverage(g12["n_samples"], g12["n_correct"], 100) == pytest.approx(
        float(exact), rel=1e-8
    )


def test_pythia_power_law_fits_are_stable_and_plausible(pythia):
    curves = ie.coverage_curve(pythia)
    fits = {}
    for model, g in curves.groupby("model", sort=False):
        full = ie.fit_coverage_power_law(g["k"], g["coverage"])
        half = ie.fit_coverage_power_law(g["k"][g["k"] <= 1000], g["coverage"][g["k"] <= 1000])
        fits[model] = full
        assert full.a < 0 and -1 < full.b < 0, model
        # achieved: R² >= 0.9935 for every model (Pythia 160M lowest); bound 0.99
        assert full.r_squared > 0.99, model
        # stable under truncation to k <= 1,000: achieved |delta b| <= 0.015; bound 0.03
        assert half.b == pytest.approx(full.b, abs=0.03), model
    # bigger models: coverage rises faster (steeper exponent)
    assert fits["Pythia 12B"].b < fits["Pythia 70M"].b
    df = pd.DataFrame({m: (f.a, f.b) for m, f in fits.items()}, index=["a", "b"]).T
    print("\n" + df.round(3).to_string())


# ----------------------------------------------------------------------------- the explorers


def test_strategies_explorer_draws_the_packages_ceilings():
    from scipy import special

    import inferecon.viz as viz

    ex = viz.SamplingStrategiesExplorer(alpha=2.0, beta=1.0, false_positive_rate=0.1)
    try:
        bon_cap = ex._bon_cap.get_ydata()[0]
        maj_cap = ex._maj_cap.get_ydata()[0]
        assert bon_cap == ie.expected_over_difficulty(lambda p: best_of_n_ceiling(p, 0.1), 2, 1)
        # Beta(2, 1): P(p > 1/2) = 0.75 by hand; the closed form 1 - I_1/2(2, 1) agrees
        assert maj_cap == pytest.approx(0.75, abs=1e-12)
        assert maj_cap == pytest.approx(1 - special.betainc(2.0, 1.0, 0.5), abs=1e-12)
        heights = [b.get_height() for b in ex._bars]
        np.testing.assert_array_equal(heights, beta_bin_masses(2.0, 1.0, np.linspace(0, 1, 21)))
    finally:
        ex.close()


def test_cost_explorer_break_even_is_samples_to_reach():
    import inferecon.viz as viz

    ex = viz.CostBreakEvenExplorer()
    try:
        d = ex.data()
        n_even = samples_to_reach(d["samples"], d["small_accuracy"], 0.40)
        usd = ie.usd_per_sample(n_even * 1000, 0.2)
        assert ex._even.get_xdata()[0] == usd
        assert f"N = {n_even:,}" in ex.readout.value
        # the FLOPs-matched point: K = 257.75 (Snell et al. 2024, Sec. 7) buys 257 samples
        a, b = beta_from_mean(0.15, 1.0)
        acc = ie.expected_over_difficulty(lambda p: ie.best_of_n_accuracy(p, 257, 0.02), a, b)
        assert ex._matched.get_ydata()[0] == acc
        assert "257 samples" in ex.readout.value
    finally:
        ex.close()


def test_coverage_explorer_takes_its_fits():
    import inferecon.viz as viz

    counts = simulated_counts(n_problems=32, n_samples=1000, alphas=(0.1, 0.3))
    fits = fit_coverage_power_laws(ie.coverage_curve(counts))
    ex = viz.CoverageDataExplorer(counts, fits=fits)
    try:
        assert ex.fits is fits
        m = "simulated Beta(0.3, 3)"
        g = counts[counts["model"] == m]
        at = ie.coverage(g["n_samples"], g["n_correct"], [1, 100, 1000])
        assert f"{at[1]:.1%} at k = 100" in ex.readout.value
        assert f"<b>{at[2]:.1%}</b> at k = 1,000" in ex.readout.value
        pd.testing.assert_frame_equal(ex.data(), ex._last)
    finally:
        ex.close()
    with pytest.raises(ValueError, match="missing"):
        viz.CoverageDataExplorer(
            counts, fits={"simulated Beta(0.1, 3)": fits["simulated Beta(0.1, 3)"]}
        )
