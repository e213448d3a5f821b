"""Scaling laws: golden numbers from the papers, properties of the formulas, and bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import inferecon as ie

# Sardana et al. 2024 ("Beyond Chinchilla-Optimal", arXiv:2401.00448) use these constants
# (Chinchilla's fit with their rounding of the exponents), as quoted in issue 4.
SARDANA = ie.ChinchillaLaw(E=1.69, A=406.4, B=410.7, alpha=0.336, beta=0.283, name="sardana")
GOPHER_BUDGET = 5.76e23  # FLOPs; Hoffmann et al. 2022, Table 3 and Figure 4 caption


def test_published_laws_load_with_their_values():
    p = ie.get_law("chinchilla_printed")
    assert (p.E, p.A, p.B, p.alpha, p.beta) == (1.69, 406.4, 410.7, 0.34, 0.28)
    u = ie.get_law("chinchilla_unrounded")
    assert (round(u.E, 5), round(u.A, 3), round(u.B, 3)) == (1.69337, 406.401, 410.723)
    assert (round(u.alpha, 5), round(u.beta, 5)) == (0.33917, 0.28491)
    e = ie.get_law("epoch_replication")
    assert (e.E, e.A, e.B, e.alpha, e.beta) == (1.8172, 482.01, 2085.43, 0.3478, 0.3658)
    k = ie.get_law("kaplan2020")
    assert (k.alpha_N, k.N_c, k.alpha_D, k.D_c) == (0.076, 8.8e13, 0.095, 5.4e13)
    assert all(law.source for law in (p, u, e, k))


def test_rounding_moves_the_gopher_budget_optimum_from_32b_to_40b():
    # Hoffmann et al. Figure 4 caption: at Gopher's budget the Approach 3 optimum is 40B; the
    # printed (rounded) constants give ~32B (issue 4, Epoch's replication Sec. 2)
    n_printed, _ = ie.compute_optimal(GOPHER_BUDGET, "chinchilla_printed")
    n_unrounded, _ = ie.compute_optimal(GOPHER_BUDGET, "chinchilla_unrounded")
    assert n_printed / 1e9 == pytest.approx(32.2, abs=0.5)
    assert n_unrounded / 1e9 == pytest.approx(40.4, abs=0.5)


def test_allocation_exponents():
    law = ie.get_law("chinchilla_printed")
    assert law.a == pytest.approx(0.28 / 0.62) and law.b == pytest.approx(0.34 / 0.62)
    assert law.a + law.b == pytest.approx(1.0)
    # Epoch's replication: a ~ 0.51, b ~ 0.49 (close to Approaches 1 and 2's 0.50/0.50)
    e = ie.get_law("epoch_replication")
    assert e.a == pytest.approx(0.513, abs=0.002)


def test_sardana_inference_aware_golden_numbers():
    # Issue 4 / Sardana et al. Sec. 3: target loss 1.947, 2e12 inference tokens
    opt = ie.inference_aware_optimum(1.947, 2e12, SARDANA)
    assert opt.n_params == pytest.approx(2.418e10, rel=1e-3)
    assert opt.train_tokens == pytest.approx(2.657e12, rel=1e-3)
    assert opt.params_ratio == pytest.approx(0.71, abs=0.005)
    assert opt.tokens_ratio == pytest.approx(1.47, abs=0.005)
    assert 1 - opt.flops_saving == pytest.approx(0.952, abs=0.0005)
    # the optimum reaches the target loss exactly
    assert SARDANA.loss(opt.n_params, opt.train_tokens) == pytest.approx(1.947, rel=1e-9)


def test_sardana_13b_becomes_about_7b_and_saves_17_percent():
    # a 13B Chinchilla-optimal model's quality, serving 2e12 tokens (Sardana et al. Fig. 1)
    x = np.log(13e9 / SARDANA.G) / SARDANA.a  # log(C/6) where N_opt = 13B
    d13 = np.exp(SARDANA.b * x) / SARDANA.G
    target = SARDANA.loss(13e9, d13)
    opt = ie.inference_aware_optimum(target, 2e12, SARDANA)
    assert opt.chinchilla_n_params == pytest.approx(13e9, rel=1e-6)
    assert opt.n_params / 1e9 == pytest.approx(7.0, abs=0.1)
    assert opt.flops_saving == pytest.approx(0.17, abs=0.01)


def test_no_inference_means_chinchilla_optimal():
    opt = ie.inference_aware_optimum(2.1, 0.0, SARDANA)
    assert opt.params_ratio == pytest.approx(1.0, rel=1e-5)
    assert opt.flops_saving == pytest.approx(0.0, abs=1e-9)


def test_cost_version_cheaper_inference_means_bigger_model():
    train = ie.usd_per_effective_flop(2.0, 989, 0.45)
    cheap = ie.inference_aware_optimum(2.0, 1e13, SARDANA, usd_per_train_flop=train,
                                       usd_per_inference_flop=train / 10)  # fmt: skip
    dear = ie.inference_aware_optimum(2.0, 1e13, SARDANA, usd_per_train_flop=train,
                                      usd_per_inference_flop=train * 3)  # fmt: skip
    assert cheap.n_params > dear.n_params
    assert ie.usd_per_effective_flop(3600.0, 1.0, 1.0) == pytest.approx(1e-12)


@settings(max_examples=60, deadline=None)
@given(c=st.floats(1e18, 1e27), law=st.sampled_from(["chinchilla_printed", "epoch_replication"]))
def test_compute_optimal_is_on_budget_and_minimal(c, law):
    law = ie.get_law(law)
    n, d = law.compute_optimal(c)
    assert 6 * n * d == pytest.approx(c, rel=1e-9)
    best = law.loss(n, d)
    for k in (0.5, 0.9, 1.1, 2.0):
        assert law.loss(n * k, d / k) > best
    assert ie.loss_penalty(n, d, law) == pytest.approx(0.0, abs=1e-12)
    assert ie.loss_penalty(n * 4, d / 4, law) > 0


def test_numeric_optimum_matches_closed_form():
    law = ie.get_law("chinchilla_printed")
    from inferecon.scaling import _numeric_compute_optimal

    c = np.geomspace(1e19, 1e26, 8)
    n_closed, _ = law.compute_optimal(c)
    n_num, _ = _numeric_compute_optimal(law, c)
    np.testing.assert_allclose(n_num, n_closed, rtol=1e-6)
    # Kaplan's joint law puts more of the budget into parameters than Chinchilla's
    nk, _ = ie.compute_optimal(GOPHER_BUDGET, "kaplan2020_joint")
    assert nk > n_closed[0]


@settings(max_examples=50, deadline=None)
@given(n=st.floats(1e7, 1e13), target=st.floats(1.8, 4.0))
def test_tokens_for_loss_inverts_the_law(n, target):
    d = ie.tokens_for_loss(n, target, SARDANA)
    if np.isfinite(d):
        assert SARDANA.loss(n, d) == pytest.approx(target, rel=1e-9)
    else:
        assert SARDANA.E + SARDANA.A * n**-SARDANA.alpha >= target


# --------------------------------------------------------------------------- bad input


def test_unreachable_target_loss_gives_the_floor():
    with pytest.raises(ValueError, match=r"above the law's irreducible loss E = 1.69"):
        ie.inference_aware_optimum(1.69, 1e12, SARDANA)
    with pytest.raises(ValueError, match="irreducible"):
        ie.tokens_for_loss(1e9, 1.5, SARDANA)


@pytest.mark.parametrize("bad", [0.0, -1.0, np.nan, np.inf])
def test_non_positive_sizes_are_rejected(bad):
    law = ie.get_law("chinchilla_printed")
    with pytest.raises(ValueError, match="n_params"):
        law.loss(bad, 1e12)
    with pytest.raises(ValueError, match="n_tokens"):
        law.loss(1e9, bad)
    with pytest.raises(ValueError, match="flops"):
        ie.compute_optimal(bad, law)


def test_unknown_law_lists_known_ones():
    with pytest.raises(ValueError, match="unknown scaling law 'chinchilla2'.*epoch_replication"):
        ie.get_law("chinchilla2")


def test_fit_rejects_bad_input():
    n = np.geomspace(1e8, 1e10, 10)
    d = 20 * n
    loss = SARDANA.loss(n, d)
    with pytest.raises(ValueError, match="at least 6 runs to fit 5 parameters; got 5"):
        ie.fit_scaling_law(n[:5], d[:5], loss[:5])
    with pytest.raises(ValueError, match="loss contains NaN at index 3"):
        ie.fit_scaling_law(n, d, np.where(np.arange(10) == 3, np.nan, loss))
    with pytest.raises(ValueError, match="n_tokens must be finite and > 0"):
        ie.fit_scaling_law(n, -d, loss)
    with pytest.raises(ValueError, match="same length"):
        ie.fit_scaling_law(n, d[:-1], loss)


def test_fit_recovers_a_known_law_from_noiseless_runs():
    rng = np.random.default_rng(3)
    n = np.exp(rng.uniform(np.log(7e7), np.log(1.6e10), 60))
    d = np.exp(rng.uniform(np.log(5e9), np.log(5e11), 60))
    loss = SARDANA.loss(n, d)
    fit = ie.fit_scaling_law(n, d, loss)
    assert fit.converged
    for k in ("E", "alpha", "beta"):
        assert getattr(fit, k) == pytest.approx(getattr(SARDANA, k), rel=1e-3), k
    for k in ("A", "B"):
        assert getattr(fit, k) == pytest.approx(getattr(SARDANA, k), rel=2e-2), k
    assert fit.objective < 1e-10


def test_fit_reports_non_convergence_instead_of_returning_its_start():
    runs = ie.viz.simulated_runs()
    args = runs["n_params"], runs["n_tokens"], runs["loss"]
    cut = ie.fit_scaling_law(*args, maxiter=2, n_refine=4, polish_maxiter=2)
    assert not cut.converged
    full = ie.fit_scaling_law(*args)
    assert full.converged and full.objective < cut.objective
