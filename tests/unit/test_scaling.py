"""Scaling laws: golden numbers from the papers, properties of the formulas, and bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import inferecon as ie
from inferecon.scaling import iso_flop_tokens, simulated_runs

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
    # Kaplan et al. 2020 (arXiv:2001.08361), Table 2 "Fits to L(N, D)": the constants of
    # their joint law, Eq. 1.5 (not the one-variable alpha_D 0.095, N_c 8.8e13, D_c 5.4e13)
    k = ie.get_law("kaplan2020_joint")
    assert (k.alpha_N, k.alpha_D, k.N_c, k.D_c) == (0.076, 0.103, 6.4e13, 1.8e13)
    assert all(law.source for law in (p, u, e, k))


def test_kaplan_joint_law_by_hand():
    # Eq. 1.5 with Table 2's constants at N = 1e9 non-embedding parameters, D = 1e10 tokens,
    # by hand (30-digit decimal arithmetic): alpha_N / alpha_D = 0.7378641, N_c / N = 6.4e4,
    # ln(6.4e4) = 11.0666384, (N_c/N)^0.7378641 = exp(8.1658...) = 3518.0949;
    # D_c / D = 1800; (3518.0949 + 1800)^0.103 = exp(0.103 x 8.5786...) = 2.4196518
    law = ie.get_law("kaplan2020_joint")
    assert law.loss(1e9, 1e10) == pytest.approx(2.4196518191691776, rel=1e-12)
    # with unlimited data Eq. 1.5 reduces to L(N) = (N_c / N)^alpha_N = 6.4e4^0.076 = 2.3188341
    assert law.loss(1e9, 1e300) == pytest.approx(2.3188340983311681, rel=1e-12)


def test_kaplan_one_variable_fits_are_not_a_joint_law():
    # the kaplan2020 rows are Eqs. 1.1-1.3's separate fits; Eq. 1.5 must not be built from them
    with pytest.raises(ValueError, match="one-variable fits.*'kaplan2020_joint'"):
        ie.get_law("kaplan2020")


def test_rounding_moves_the_gopher_budget_optimum_from_32b_to_40b():
    # Hoffmann et al. Figure 4 caption: at Gopher's budget the Approach 3 optimum is 40B; the
    # printed (rounded) constants give ~32B (issue 4, Epoch's replication Sec. 2). By hand
    # (30-digit decimals), N_opt = G (C/6)^a with G = (alpha A / (beta B))^(1/(alpha+beta)):
    # printed G = 1.3447106, a = 0.28/0.62 = 0.4516129: 32.18986e9;
    # unrounded G = 1.3000464, a = 0.4565259: 40.36094e9
    n_printed, _ = ie.compute_optimal(GOPHER_BUDGET, "chinchilla_printed")
    n_unrounded, _ = ie.compute_optimal(GOPHER_BUDGET, "chinchilla_unrounded")
    assert n_printed == pytest.approx(32.18986e9, rel=1e-6)
    assert n_unrounded == pytest.approx(40.36094e9, rel=1e-6)
    assert round(n_unrounded / 1e9) == 40  # the paper's number


def test_frontier_inverse_and_loss_by_hand():
    law = ie.get_law("chinchilla_printed")
    # by hand: the budget at which 70B is compute-optimal, C = 6 (N / G)^(1/a)
    # = 6 (70e9 / 1.3447106)^(0.62 / 0.28) = 3.2171840e24 FLOPs
    assert law.optimal_flops(70e9) == pytest.approx(3.2171840e24, rel=1e-7)
    # the frontier's loss in closed form (scaling.py module notes): L = E + K (C/6)^-k with
    # k = alpha beta / (alpha + beta) = 0.1535484, K = A G^-alpha + B G^beta = 813.67983;
    # at C = 5.76e23: 1.69 + 813.67983 (9.6e22)^-0.1535484 = 1.9307481
    assert law.optimal_loss(GOPHER_BUDGET) == pytest.approx(1.9307481017, rel=1e-9)


@settings(max_examples=60, deadline=None)
@given(n=st.floats(1e7, 1e13), law=st.sampled_from(["chinchilla_printed", "epoch_replication"]))
def test_optimal_flops_inverts_compute_optimal(n, law):
    law = ie.get_law(law)
    c = law.optimal_flops(n)
    n_back, d_back = law.compute_optimal(c)
    assert n_back == pytest.approx(n, rel=1e-9)
    assert 6 * n_back * d_back == pytest.approx(c, rel=1e-12)


def test_iso_flop_tokens():
    # by hand: 6e21 FLOPs on 1e9 parameters is 1e12 tokens; Chinchilla's 5.76e23 on 70B is
    # 1.3714e12 (the paper's 1.4T, at its rounded compute)
    assert iso_flop_tokens(6e21, 1e9) == pytest.approx(1e12, rel=1e-15)
    assert iso_flop_tokens(GOPHER_BUDGET, 70e9) == pytest.approx(1.3714286e12, rel=1e-7)
    np.testing.assert_allclose(iso_flop_tokens(6e21, np.array([1e9, 2e9])), [1e12, 5e11])
    with pytest.raises(ValueError, match="n_params"):
        iso_flop_tokens(6e21, 0.0)
    with pytest.raises(ValueError, match="flops"):
        iso_flop_tokens(-1.0, 1e9)


def test_training_flops_is_6nd():
    # Kaplan et al. 2020 Sec. 2.1: C = 6 N D; Chinchilla, 70B on 1.4T tokens: 5.88e23
    assert ie.training_flops(70e9, 1.4e12) == pytest.approx(5.88e23, rel=1e-15)
    with pytest.raises(ValueError, match="n_tokens"):
        ie.training_flops(1e9, 0)


def test_overtraining_of_known_models_by_hand():
    # Epoch's replication law: G = 0.11962985, b = alpha / (alpha + beta) = 0.48738789.
    # Llama-3-8B: C = 6 x 8e9 x 15e12 = 7.2e23, D_opt = (C/6)^b / G = 1.4814055e12 tokens,
    # 15e12 / 1.4814055e12 = 10.125519 times the compute-optimal data. Chinchilla (70B on
    # 1.4T): C = 5.88e23, D_opt = 1.3421642e12, factor 1.0430914.
    cmp = ie.compare_to_optimal([8e9, 70e9], [15e12, 1.4e12], "epoch_replication")
    np.testing.assert_allclose(cmp["overtraining_factor"], [10.125519, 1.0430914], rtol=1e-6)


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
    target = SARDANA.optimal_loss(SARDANA.optimal_flops(13e9))
    opt = ie.inference_aware_optimum(target, 2e12, SARDANA)
    assert opt.chinchilla_n_params == pytest.approx(13e9, rel=1e-6)
    assert opt.n_params / 1e9 == pytest.approx(7.0, abs=0.1)
    assert opt.flops_saving == pytest.approx(0.17, abs=0.01)


def test_cost_split_adds_up():
    opt = ie.inference_aware_optimum(
        2.0, 1e13, SARDANA, usd_per_train_flop=2.0, usd_per_inference_flop=0.5
    )
    assert opt.training_cost == pytest.approx(2.0 * opt.training_flops, rel=1e-15)
    assert opt.inference_cost == pytest.approx(0.5 * opt.inference_flops, rel=1e-15)
    assert opt.training_cost + opt.inference_cost == pytest.approx(opt.total_cost, rel=1e-15)
    chin_train = 2.0 * 6 * opt.chinchilla_n_params * opt.chinchilla_train_tokens
    assert opt.chinchilla_training_cost == pytest.approx(chin_train, rel=1e-15)
    assert opt.chinchilla_inference_cost == pytest.approx(
        0.5 * 2 * opt.chinchilla_n_params * 1e13, rel=1e-15
    )
    assert opt.chinchilla_training_cost + opt.chinchilla_inference_cost == pytest.approx(
        opt.chinchilla_total_cost, rel=1e-15
    )


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


def test_simulated_runs_are_seeded_and_on_their_budgets():
    runs = simulated_runs()
    assert len(runs) == 108 and list(runs.columns) == ["n_params", "n_tokens", "loss"]
    assert runs.equals(simulated_runs(seed=0)) and not runs.equals(simulated_runs(seed=1))
    budgets = ie.training_flops(runs["n_params"], runs["n_tokens"]).reshape(9, 12)
    np.testing.assert_allclose(budgets[:, 0], np.geomspace(6e18, 3e21, 9), rtol=1e-12)
    np.testing.assert_allclose(budgets, budgets[:, :1].repeat(12, axis=1), rtol=1e-12)
    # 1% log-normal noise: the loss stays within 5 sigma of the law
    law = ie.get_law("epoch_replication")
    ratio = runs["loss"] / law.loss(runs["n_params"], runs["n_tokens"])
    assert np.abs(np.log(ratio)).max() < 0.05


def test_frontier_band_of_a_bootstrap():
    from inferecon.scaling import ScalingFit

    lo_law = ie.ChinchillaLaw(1.7, 400.0, 400.0, 0.34, 0.28)
    hi_law = ie.ChinchillaLaw(1.8, 400.0, 400.0, 0.34, 0.28)  # E + 0.1: higher everywhere
    boot = pd.DataFrame(
        [dict(E=x.E, A=x.A, B=x.B, alpha=x.alpha, beta=x.beta) for x in [lo_law] * 5 + [hi_law] * 5]
    )
    fit = ScalingFit(1.75, 400.0, 400.0, 0.34, 0.28, 0.0, True, 0.0, 10, 1, 1, 1, 1, None, boot)
    c = np.geomspace(1e20, 1e24, 5)
    lo, hi = fit.frontier_band(c, ci=0.8)
    # 10th and 90th percentiles of five low and five high curves (linear interpolation at
    # positions 0.9 and 8.1 of 0..9): the low and the high law's frontier losses
    np.testing.assert_allclose(lo, lo_law.optimal_loss(c), rtol=1e-12)
    np.testing.assert_allclose(hi, hi_law.optimal_loss(c), rtol=1e-12)
    np.testing.assert_allclose(hi - lo, 0.1, rtol=1e-9)
    bare = ScalingFit(1.75, 400.0, 400.0, 0.34, 0.28, 0.0, True, 0.0, 10, 1, 1, 1, 1)
    with pytest.raises(ValueError, match="no bootstrap"):
        bare.frontier_band(c)
    with pytest.raises(ValueError, match="ci"):
        fit.frontier_band(c, ci=1.0)


def test_fit_reports_non_convergence_instead_of_returning_its_start():
    runs = simulated_runs()
    args = runs["n_params"], runs["n_tokens"], runs["loss"]
    cut = ie.fit_scaling_law(*args, maxiter=2, n_refine=4, polish_maxiter=2)
    assert not cut.converged
    full = ie.fit_scaling_law(*args)
    assert full.converged and full.objective < cut.objective


def _huber_reference(theta, ln, ld, ll, w, delta):
    """The Approach-3 objective written out term by term in float64 (no shared code): the
    weighted sum of Huber(LSE(a - alpha log N, b - beta log D, e) - log L)."""
    a, b, e, al, be = theta
    pred = np.logaddexp(np.logaddexp(a - al * ln, b - be * ld), e)
    r = pred - ll
    h = np.where(np.abs(r) <= delta, 0.5 * r**2, delta * (np.abs(r) - 0.5 * delta))
    return float(np.sum(w * h))


@pytest.mark.parametrize("weighting", ["none", "shared", "per_start"])
def test_batched_objective_and_gradient_against_a_term_by_term_objective(weighting):
    from inferecon.scaling import _CHUNK, _Huber

    runs = simulated_runs()
    ln, ld, ll = (np.log(runs[c].to_numpy()) for c in ("n_params", "n_tokens", "loss"))
    rng = np.random.default_rng(5)
    k = _CHUNK + 7  # two blocks, the second partial
    theta = np.column_stack(
        [rng.uniform(0, 10, k), rng.uniform(0, 10, k), rng.uniform(-1, 1, k),
         rng.uniform(0, 1, k), rng.uniform(0, 1, k)]
    )  # fmt: skip
    theta[3] = (60.0, 60.0, 0.5, 1.5, 1.5)  # exponents far under the floor (-600 is not)
    w = {
        "none": None,
        "shared": rng.integers(0, 3, ln.size).astype(float),
        "per_start": rng.integers(0, 3, (k, ln.size)).astype(float),
    }[weighting]
    f, g = _Huber(ln, ld, ll, 1e-3)(theta, w)
    f32, g32 = _Huber(ln, ld, ll, 1e-3, np.float32)(theta, w)
    # asked for a few rows' gradients only (a line search's accepted trials): those rows
    # are exactly the full evaluation's, the rest NaN; f is every row's
    few = np.zeros(k, bool)
    few[[1, 3, _CHUNK + 2]] = True
    fs, gs = _Huber(ln, ld, ll, 1e-3, np.float32)(theta, w, lambda f_, lo, hi: few[lo:hi])
    np.testing.assert_array_equal(fs, f32)
    np.testing.assert_array_equal(gs[few], g32[few])
    assert np.isnan(gs[~few]).all()
    for i in (0, 3, _CHUNK - 1, _CHUNK, k - 1):
        wi = np.ones(ln.size) if w is None else (w if w.ndim == 1 else w[i])

        def ref(t, wi=wi):
            return _huber_reference(t, ln, ld, ll, wi, 1e-3)

        assert f[i] == pytest.approx(ref(theta[i]), rel=1e-12, abs=1e-300)
        # central differences (step 1e-6): agree with the analytic gradient to ~1e-7 of |g|
        e5 = np.eye(5) * 1e-6
        num = np.array([(ref(theta[i] + h) - ref(theta[i] - h)) / 2e-6 for h in e5])
        np.testing.assert_allclose(g[i], num, rtol=1e-5, atol=1e-7 * np.abs(num).max() + 1e-12)
        # single precision: ~1e-6 relative, what the sweep needs to find a basin
        assert f32[i] == pytest.approx(f[i], rel=1e-4)
        np.testing.assert_allclose(g32[i], g[i], rtol=1e-3, atol=1e-4 * np.abs(g[i]).max())


def test_batched_lbfgs_line_search_batching_changes_nothing():
    """Evaluating several halvings of the few starts still searching in one call gives the
    same iterates as one halving per call (each row is computed on its own)."""
    import itertools

    from inferecon.scaling import _batched_lbfgs, _Huber

    runs = simulated_runs()
    ln, ld, ll = (np.log(runs[c].to_numpy()) for c in ("n_params", "n_tokens", "loss"))
    grid = ie.HOFFMANN_GRID
    starts = np.array(
        [(a, b, e, al, be) for al, be, e, a, b in itertools.product(
            grid["alpha"][1:3], grid["beta"][1:3], grid["e"][::2], grid["a"][::2], grid["b"])]
    )  # fmt: skip
    h = _Huber(ln, ld, ll, 1e-3, np.float32)
    calls = {1: 0, 256: 0}
    out = {}
    for rows in (1, 256):

        def fg(theta, idx, need=None, rows=rows):
            calls[rows] += 1
            return h(theta, need=need)

        out[rows] = _batched_lbfgs(fg, starts, maxiter=60, gtol=1e-7, ftol=1e-7, ls_rows=rows)
    for a, b in zip(out[1], out[256], strict=True):
        np.testing.assert_array_equal(a, b)
    assert calls[256] < calls[1] / 2  # and it is what makes it cheap
    x, f, iters, conv = out[1]
    # a start stopped by the iteration limit is never counted as converged; all others are
    assert iters.max() == 60 and 0 < conv.sum() < len(starts)
    np.testing.assert_array_equal(conv, iters < 60)
