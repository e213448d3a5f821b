"""The price-decline decomposition (inferecon/decline.py): Shapley arithmetic and the factors.

Goldens are derived in the tests (Shapley 1953's formula written out by hand for two and three
factors); properties are checked with hypothesis; the decomposition is checked for exactness
(the factors multiply to the observed price ratio in every draw), for the identity (a scenario
against itself) and against the list prices of data/llm_prices.csv.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import inferecon as ie

FACTORS = ["model", "hardware", "serving", "residual"]


@pytest.fixture(scope="module")
def tables():
    return ie.load_serving_scenarios(), ie.load_engine_profiles(), ie.load_prices()


@pytest.fixture(scope="module")
def ends(tables):
    return tuple(ie.serving_scenario(s, *tables) for s in ("ai-index-2022", "ai-index-2024"))


@pytest.fixture(scope="module")
def decline(ends):
    return ie.decompose_price_decline(*ends, draws=2_000, seed=7)


# --------------------------------------------------------------------------- Shapley goldens


def test_two_factor_golden_by_hand():
    # v(x1, x2) = x1 * x2 from (1, 1) to (3, 2); subsets by bit: {} {1} {2} {1,2}
    v = [1.0, 3.0, 2.0, 6.0]
    # order 1 then 2: 1 gets 3 - 1 = 2, 2 gets 6 - 3 = 3; order 2 then 1: 2 gets 1, 1 gets 4
    orders, splits = ie.one_at_a_time_splits(v)
    assert orders == [(0, 1), (1, 0)]
    np.testing.assert_allclose(splits, [[2.0, 3.0], [4.0, 1.0]])
    # Shapley: the mean of the two orders, (2 + 4) / 2 = 3 and (3 + 1) / 2 = 2
    np.testing.assert_allclose(ie.shapley_split(v), [3.0, 2.0])


def test_three_factor_golden_by_hand():
    # v(S) = |S|^2 plus 10 when factor 0 is in S: v over bit subsets 0..7
    def v_of(mask):
        return bin(mask).count("1") ** 2 + (10 if mask & 1 else 0)

    v = [v_of(m) for m in range(8)]
    # the square part is symmetric: each factor gets 9 / 3 = 3; factor 0 also gets the 10
    np.testing.assert_allclose(ie.shapley_split(v), [13.0, 3.0, 3.0])
    # by the weights: factor 1's marginal gains over S without it, weights 1/3, 1/6, 1/6, 1/3
    # S={}: 1, {0}: 4 - 1 = 3, {2}: 4 - 1 = 3, {0,2}: 9 - 4 = 5 -> 1/3 + 1/2 + 1/2 + 5/3 = 3
    orders, splits = ie.one_at_a_time_splits(v)
    assert len(orders) == 6
    np.testing.assert_allclose(splits.mean(axis=0), ie.shapley_split(v))
    # order (0, 1, 2): 0 gets 11 - 0, 1 gets 14 - 11, 2 gets 19 - 14
    np.testing.assert_allclose(splits[orders.index((0, 1, 2))], [11.0, 3.0, 5.0])


values_k = st.integers(1, 5).flatmap(
    lambda k: st.lists(st.floats(-50, 50, allow_nan=False), min_size=2**k, max_size=2**k)
)


@settings(max_examples=60, deadline=None)
@given(values_k)
def test_shapley_efficiency_and_mean_of_orders(v):
    v = np.array(v)
    phi = ie.shapley_split(v)
    assert phi.sum() == pytest.approx(v[-1] - v[0], abs=1e-9)
    _, splits = ie.one_at_a_time_splits(v)
    np.testing.assert_allclose(splits.sum(axis=1), v[-1] - v[0], atol=1e-9)
    np.testing.assert_allclose(splits.mean(axis=0), phi, atol=1e-9)


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 5), st.data())
def test_shapley_symmetry_and_null_factor(k, data):
    # v depends on the subset only through how many of factors 0 and 1 are in it (symmetric in
    # them) and on factor 2 onwards arbitrarily; the last factor is a null player
    table = data.draw(st.lists(st.floats(-20, 20), min_size=3 * 2**k, max_size=3 * 2**k))
    v = np.empty(2**k)
    for m in range(2**k):
        rest = (m >> 2) & ((1 << max(k - 3, 0)) - 1)  # factors 2..k-2; factor k-1 ignored
        both = (m & 1) + ((m >> 1) & 1)
        v[m] = table[3 * rest + both]
    phi = ie.shapley_split(v)
    assert phi[0] == pytest.approx(phi[1], abs=1e-9)
    if k >= 3:
        assert phi[k - 1] == pytest.approx(0.0, abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-5, 5), min_size=1, max_size=5), st.data())
def test_non_interacting_factors_split_the_same_in_every_order(effects, data):
    # log v additive in the factors (a product of non-interacting factors): every order agrees
    k = len(effects)
    v = np.array([sum(e for j, e in enumerate(effects) if m >> j & 1) for m in range(2**k)])
    orders, splits = ie.one_at_a_time_splits(v)
    i = data.draw(st.integers(0, len(orders) - 1))
    np.testing.assert_allclose(splits[i], effects, atol=1e-12)
    np.testing.assert_allclose(ie.shapley_split(v), effects, atol=1e-12)


def test_shapley_carries_draws_along():
    rng = np.random.default_rng(0)
    v = rng.normal(size=(8, 5))
    phi = ie.shapley_split(v)
    assert phi.shape == (3, 5)
    for d in range(5):
        np.testing.assert_allclose(phi[:, d], ie.shapley_split(v[:, d]))


@pytest.mark.parametrize("bad", [[1.0], [1.0, 2.0, 3.0], [0.0, np.nan], 3.0])
def test_shapley_bad_input(bad):
    with pytest.raises(ValueError, match="values_by_subset"):
        ie.shapley_split(bad)


# --------------------------------------------------------------------------- the decomposition


def test_factors_multiply_to_the_observed_ratio_in_every_draw(decline):
    d = decline.draws
    product = np.exp(sum(np.log(d[f]) for f in FACTORS))
    np.testing.assert_allclose(product / decline.price_ratio, 1.0, rtol=1e-12, atol=0)
    cost = np.exp(sum(np.log(d[f]) for f in FACTORS[:3]))
    np.testing.assert_allclose(cost, d["start_usd_per_mtok"] / d["end_usd_per_mtok"], rtol=1e-12)


def test_price_ratio_is_the_list_prices_of_llm_prices(decline, tables):
    prices = tables[2]
    start = prices[prices["model"] == "GPT-3.5 (text-davinci-003)"].iloc[0]
    end = prices[prices["model"] == "Gemini 1.5 Flash-8B"].iloc[0]
    # a 900 / 300 mix is the 3:1 blend: (3 x 20 + 20) / 4 = 20 and (3 x 0.0375 + 0.15) / 4
    blend_s = ie.blended_price(start["input_usd_per_mtok"], start["output_usd_per_mtok"])
    blend_e = ie.blended_price(end["input_usd_per_mtok"], end["output_usd_per_mtok"])
    assert blend_s == 20.0 and blend_e == pytest.approx(0.065625)
    assert decline.price_ratio == pytest.approx(blend_s / blend_e, rel=1e-12)  # 304.8
    # (the AI Index's "280-fold" divides by Artificial Analysis's rounded USD 0.07)


def test_a_scenario_against_itself_gives_factors_of_one(ends):
    for s in ends:
        r = ie.decompose_price_decline(s, s, draws=300, seed=3)
        for f in [*FACTORS, "price", "cost"]:
            np.testing.assert_allclose(r.draws[f], 1.0, rtol=0, atol=1e-12)
        assert set(r.summary["fold_median"]) == {1.0}


def test_summary_shares_and_intervals(decline):
    s = decline.summary.set_index("factor")
    assert list(s.index) == [*FACTORS, "price", "cost"]
    assert (s["fold_low"] <= s["fold_median"]).all() and (s["fold_median"] <= s["fold_high"]).all()
    shares = np.log(decline.draws[FACTORS]).sum(axis=1) / math.log(decline.price_ratio)
    np.testing.assert_allclose(shares, 1.0, rtol=1e-12)
    # physical sense: a 12-22x smaller model with GQA is the largest factor; all declines
    assert s.loc["model", "fold_low"] > 10
    assert s.loc["serving", "fold_low"] > 1
    assert s.loc["model", "fold_median"] > s.loc["serving", "fold_median"]


def test_one_at_a_time_orders_average_to_shapley(decline):
    o = decline.orders
    assert o["order"].nunique() == 6
    # the first-changed factor's one-at-a-time split is order-dependent (interaction shows)
    model = o[o["factor"] == "model"]["fold_median"]
    assert model.max() / model.min() > 1.2


def test_non_interacting_change_is_the_same_in_every_order(ends):
    # change only the GPU-hour price: hardware takes exactly the price ratio, the rest 1
    start = ends[0]
    end = dataclasses.replace(start, name="cheaper", usd_per_gpu_hour=(0.5, 0.5),
                              price_date="2023-01-01")  # fmt: skip
    start = dataclasses.replace(start, usd_per_gpu_hour=(2.0, 2.0))
    r = ie.decompose_price_decline(start, end, draws=200, seed=1)
    np.testing.assert_allclose(r.draws["hardware"], 4.0, rtol=1e-12)
    np.testing.assert_allclose(r.draws["model"], 1.0, rtol=1e-12)
    np.testing.assert_allclose(r.draws["serving"], 1.0, rtol=1e-12)
    hw = r.orders[r.orders["factor"] == "hardware"]["fold_median"]
    np.testing.assert_allclose(hw, 4.0, rtol=1e-12)


def test_cost_of_one_draw_by_the_public_serving_functions(ends):
    # every range collapsed to a point: the start's cost written out with the public functions.
    # GPT-3 175B in bf16 fits an A100-80GB only at tensor-parallel 8 (87.6 GB of weights per GPU
    # at 4 > 72 GB usable; 43.8 GB at 8), so no other size competes.
    pin = dict(usd_per_gpu_hour=(2.0, 2.0), utilisation=(0.5, 0.5), kv_used_share=(0.3, 0.3),
               throughput_share=(0.5, 0.5), params_active=(1.75e11, 1.75e11))  # fmt: skip
    start = dataclasses.replace(ends[0], **pin)
    r = ie.decompose_price_decline(start, ends[1], draws=5, seed=0)
    m, p, o = start.model, start.prompt_tokens, start.output_tokens
    assert ie.weight_memory_gb(m, "bf16", 4) > ie.usable_memory_gb("A100-80GB-SXM")
    batch = min(math.floor(ie.max_batch(m, "A100-80GB-SXM", p + o, tensor_parallel=8) * 0.3), 256)
    perf = ie.serving_performance(m, "A100-80GB-SXM", batch, p, o, tensor_parallel=8)
    tps = perf["tokens_per_s_per_gpu"].iloc[0] * 0.5
    per_output_mtok = 2.0 / (tps * 3600 * 0.5) * 1e6
    expected = per_output_mtok * o / (p + o)  # per million prompt + output tokens
    np.testing.assert_allclose(r.draws["start_usd_per_mtok"], expected, rtol=1e-12)
    assert r.endpoints.loc[0, "margin_median"] == pytest.approx(20.0 / expected, rel=1e-12)


def test_central_is_the_geometric_midpoint_of_every_range(ends):
    def mid(sc):
        pairs = ("params_active", "usd_per_gpu_hour", "utilisation", "kv_used_share",
                 "throughput_share")  # fmt: skip
        return dataclasses.replace(
            sc, **{f: (math.sqrt(getattr(sc, f)[0] * getattr(sc, f)[1]),) * 2 for f in pairs}
        )

    central = ie.decompose_price_decline(*ends, central=True)
    pinned = ie.decompose_price_decline(mid(ends[0]), mid(ends[1]), draws=3, seed=5)
    assert len(central.draws) == 1
    # the other inputs match exactly; the model size does not quite: the midpoint, 132.3e9
    # parameters, is built as a whole number of layers (73: 132.9e9), while the Monte Carlo
    # interpolates log cost in log parameters between its grid shapes (55, 73 and 96 layers)
    for f in FACTORS:
        np.testing.assert_allclose(central.draws[f].iloc[0], pinned.draws[f], rtol=0.01)
    # without a parameter range both are one shape, and agree exactly
    fixed = [dataclasses.replace(sc, params_active=(sc.params_active[1],) * 2) for sc in ends]
    central = ie.decompose_price_decline(*fixed, central=True)
    pinned = ie.decompose_price_decline(mid(fixed[0]), mid(fixed[1]), draws=3, seed=5)
    for f in FACTORS:
        np.testing.assert_allclose(central.draws[f].iloc[0], pinned.draws[f], rtol=1e-12)


def test_open_weight_models_give_an_exact_model_factor(ends):
    # sizes known: Llama-3.1-70B -> Llama-3.1-8B on the same GPU and engine, a month apart.
    # Only the model changes, so the model factor is the cost ratio in every draw (no range)
    # and every order of the one-at-a-time split agrees.
    big = dataclasses.replace(
        ends[1], name="70B", model="Llama-3.1-70B",
        params_active=(ie.get_model("Llama-3.1-70B").params_active,) * 2,
        price_date="2024-09-01",
    )  # fmt: skip
    small = dataclasses.replace(
        ends[1],
        model="Llama-3.1-8B",
        params_active=(ie.get_model("Llama-3.1-8B").params_active,) * 2,
    )
    r = ie.decompose_price_decline(big, small, draws=500, seed=2)
    cost_ratio = r.draws["start_usd_per_mtok"] / r.draws["end_usd_per_mtok"]
    np.testing.assert_allclose(r.draws["model"], cost_ratio, rtol=1e-12)
    np.testing.assert_allclose(r.draws[["hardware", "serving"]], 1.0, rtol=1e-12)
    assert r.draws["model"].min() > 5  # 9.3x the active parameters, larger batches too
    assert r.price_ratio == 1.0 and r.draws["residual"].max() < 1


def test_same_seed_same_result(ends):
    a = ie.decompose_price_decline(*ends, draws=200, seed=11)
    b = ie.decompose_price_decline(*ends, draws=200, seed=11)
    np.testing.assert_array_equal(a.draws.to_numpy(), b.draws.to_numpy())


def test_endpoint_margins(decline):
    e = decline.endpoints.set_index("endpoint")
    assert e.loc["start", "price_usd_per_mtok"] == 20.0
    ratio = e["price_usd_per_mtok"] / e["cost_median"]
    # the median of price / cost is price / median cost (a decreasing map of the draws); with
    # an even number of draws np.percentile averages the middle two, hence 1e-6, not 1e-12
    np.testing.assert_allclose(e["margin_median"], ratio, rtol=1e-6)


# --------------------------------------------------------------------------- bad input


def test_endpoints_in_the_wrong_order(ends):
    with pytest.raises(ValueError, match="wrong order"):
        ie.decompose_price_decline(ends[1], ends[0])


def test_draws_out_of_range(ends):
    with pytest.raises(ValueError, match=r"draws must be in \[1, 1e\+07\]"):
        ie.decompose_price_decline(*ends, draws=0)


def test_not_a_scenario(ends):
    with pytest.raises(ValueError, match="end must be a ServingScenario"):
        ie.decompose_price_decline(ends[0], {"name": "x"})


@pytest.mark.parametrize(
    "change, message",
    [
        (dict(usd_per_gpu_hour=(3.0, 2.0)), r"usd_per_gpu_hour_low \(3.0\) must be <="),
        (dict(usd_per_gpu_hour=(0.0, 2.0)), r"usd_per_gpu_hour_low must be finite and > 0"),
        (dict(input_usd_per_mtok=-1.0), r"input_usd_per_mtok must be finite and > 0"),
        (dict(output_usd_per_mtok=0.0), r"output_usd_per_mtok must be finite and > 0"),
        (dict(utilisation=(0.5, 1.5)), r"utilisation_high must be in \(0, 1\]"),
        (dict(gpu="Z100"), r"gpu: .*Z100"),
        (dict(model="GPT-9"), r"model: .*GPT-9"),
        (dict(precision="fp3"), r"precision"),
        (dict(price_date="not a date"), r"price_date must be a date"),
        (dict(prompt_tokens=0), r"prompt_tokens must be in"),
    ],
)
def test_bad_scenario_names_the_input(ends, change, message):
    with pytest.raises(ValueError, match=message):
        dataclasses.replace(ends[0], **change)


def test_unknown_scenario_engine_or_price(tables):
    sc, en, pr = tables
    with pytest.raises(ValueError, match="scenario must be one of"):
        ie.serving_scenario("ai-index-1999", sc, en, pr)
    bad = sc.assign(engine_profile="warp-drive")
    with pytest.raises(ValueError, match="engine_profile 'warp-drive'"):
        ie.serving_scenario("ai-index-2022", bad, en, pr)
    bad = sc.assign(price_model="GPT-0")
    with pytest.raises(ValueError, match="no single list price for price_model 'GPT-0'"):
        ie.serving_scenario("ai-index-2022", bad, en, pr)


def test_a_model_that_fits_nowhere_is_named(ends):
    huge = dataclasses.replace(ends[0], params_active=(2e12, 2e12))
    with pytest.raises(ValueError, match="does not fit on A100-80GB-SXM"):
        ie.decompose_price_decline(huge, ends[1], draws=10)
