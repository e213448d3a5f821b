"""The AI factory's costs, energy and revenue (inferecon.token_costs, token_energy,
token_revenue, factory_assumptions): golden numbers with their derivations, properties, bad
input. The frontier and the bills: test_factory_frontier.py, test_factory_bills.py."""

from __future__ import annotations

import math
import re
from decimal import Decimal, localcontext

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import inferecon as ie

# Tolerances: the formulas are closed-form, so results match a hand derivation to float
# rounding (~1e-15 relative, a few operations deep); 1e-12 leaves a margin of a thousand
# roundings and still catches any change of a constant or a formula. Rounded published
# figures are compared at their own rounding.
REL = 1e-12


# --------------------------------------------------------------------------- golden numbers


def test_hardware_cost_per_mtok_golden():
    # USD 2.00 per GPU-hour buys 1,000 tokens/s x 3,600 s = 3.6 million tokens:
    # 2.00 / 3.6 = USD 0.5556 per million. At 50% utilisation each served hour also pays for an
    # idle one: 2 x 0.5556 = USD 1.1111.
    assert ie.usd_per_mtok(2.0, 1000) == pytest.approx(2.0 / 3.6, rel=REL)
    assert round(ie.usd_per_mtok(2.0, 1000), 3) == 0.556
    assert round(ie.usd_per_mtok(2.0, 1000, utilisation=0.5), 3) == 1.111


def test_energy_golden():
    # 700 W / 1,000 tokens/s = 0.70 J/token; x PUE 1.2 = 0.84 J/token. A million tokens take
    # 0.84e6 J = 0.84e6 / 3.6e6 kWh = 0.2333 kWh, USD 0.01867 at USD 0.08/kWh.
    assert ie.joules_per_token(700, 1000) == pytest.approx(0.70, rel=REL)
    assert ie.joules_per_token(700, 1000, pue=1.2) == pytest.approx(0.84, rel=REL)
    usd = ie.energy_usd_per_mtok(700, 1000, usd_per_kwh=0.08, pue=1.2)
    assert usd == pytest.approx(0.84e6 / 3.6e6 * 0.08, rel=REL)
    assert round(usd, 4) == 0.0187


def test_tokens_per_mw_golden():
    # 1 MW feeds 1,000 / 1.73 = 578.03 GPUs at 1.73 kW all-in each (SemiAnalysis's H100/H200
    # figure); at 1,000 tokens/s per GPU that is 578,035 tokens/s per MW.
    assert round(ie.tokens_per_s_per_mw(1000, 1.73)) == 578_035


def test_capital_recovery_at_a_tiny_rate():
    # below r = 1e-6 the package uses the series 1/n + r (n + 1) / (2 n); against the annuity
    # r / (1 - (1 + r)^-n) in 40-digit decimal arithmetic, at r = 5e-7 and n = 4:
    # 0.25 + 5e-7 x 5 / 8 = 0.2500003125 (the O(r^2) rest is ~1e-13 relative)
    with localcontext() as ctx:
        ctx.prec = 40
        r, n = Decimal("5e-7"), 4
        exact = float(r / (1 - (1 + r) ** -n))
    assert ie.capital_recovery_factor(5e-7, 4) == pytest.approx(exact, rel=1e-12)
    assert ie.capital_recovery_factor(5e-7, 4) == pytest.approx(0.2500003125, rel=1e-12)


def test_owned_gpu_hour_golden():
    # USD 30,000 over 4 years of 8,760 hours at 0% cost of capital: 30,000 / 35,040 = 0.856.
    assert ie.owned_usd_per_gpu_hour(30_000, 4) == pytest.approx(30_000 / 35_040, rel=REL)
    assert round(ie.owned_usd_per_gpu_hour(30_000, 4), 3) == 0.856
    # at 10% the annuity factor for 4 years is 0.1 / (1 - 1.1**-4) = 0.315471 (annuity tables)
    assert ie.capital_recovery_factor(0.10, 4) == pytest.approx(0.3154708, rel=1e-6)
    assert ie.owned_usd_per_gpu_hour(30_000, 4, 0.10) == pytest.approx(
        30_000 * 0.3154708 / 8760, rel=1e-6
    )


def test_revenue_golden():
    # USD 0.60 per million output tokens x 3.6 million tokens per hour = USD 2.16 per hour.
    assert ie.revenue_usd_per_gpu_hour(1000, 0.60) == pytest.approx(2.16, rel=REL)
    # input tokens at their own price: 2 prompt tokens per output token at USD 0.10 adds
    # 2 x 0.10 x 3.6 = USD 0.72 per hour; at 50% utilisation half of the total.
    assert ie.revenue_usd_per_gpu_hour(1000, 0.60, 2.0, 0.10, 0.5) == pytest.approx(
        (2.16 + 0.72) / 2, rel=REL
    )


def test_cost_breakdown_golden():
    df = ie.cost_breakdown(1000, 700, usd_per_gpu_hour=2.0, utilisation=0.5).iloc[0]
    assert df["hardware_usd_per_mtok"] == pytest.approx(2.0 / 3.6, rel=REL)
    assert df["idle_usd_per_mtok"] == pytest.approx(2.0 / 3.6, rel=REL)
    assert df["energy_usd_per_mtok"] == 0 and df["facility_usd_per_mtok"] == 0
    assert df["total_usd_per_mtok"] == pytest.approx(4.0 / 3.6, rel=REL)
    # hosting: 1.73 kW x USD 184/kW-month / 730 h = USD 0.43605 per GPU-hour; per million
    # tokens at 1,000 tokens/s: 0.43605 / 3.6 = 0.12113; idle hours (u = 0.5) pay hardware,
    # hosting and 70 W idle x 1.2 PUE x USD 0.08/kWh = 0.00672 per hour again.
    df = ie.cost_breakdown(
        1000, 700, usd_per_gpu_hour=2.0, utilisation=0.5, usd_per_kwh=0.08, pue=1.2,
        idle_w=70, all_in_kw_per_gpu=1.73, facility_usd_per_kw_month=184,
    ).iloc[0]  # fmt: skip
    hosting_hour = 1.73 * 184 / 730
    assert df["facility_usd_per_gpu_hour"] == pytest.approx(hosting_hour, rel=REL)
    assert df["facility_usd_per_mtok"] == pytest.approx(hosting_hour / 3.6, rel=REL)
    idle_hour = 2.0 + hosting_hour + 0.070 * 1.2 * 0.08
    assert df["idle_usd_per_mtok"] == pytest.approx(idle_hour / 3.6, rel=REL)
    assert df["tokens_per_s_per_mw"] == pytest.approx(1e6 / 1.73, rel=REL)


def test_break_even_and_payback_golden():
    # Rented at USD 2/hour, 1,000 tokens/s, sold at USD 1 per million: a served hour earns
    # USD 3.60, so the rent is covered at u* = 2 / 3.6 = 55.6% of hours.
    costs = ie.cost_breakdown(1000, 700, usd_per_gpu_hour=2.0, utilisation=0.8)
    econ = ie.unit_economics(costs, 1000, 1.0).iloc[0]
    assert econ["break_even_utilisation"] == pytest.approx(2.0 / 3.6, rel=REL)
    # at 80%: cost per million = 2 / (3.6 x 0.8) = 0.6944, margin = 1 - 0.6944 = 30.6%
    assert econ["gross_margin"] == pytest.approx(1 - 2.0 / (3.6 * 0.8), rel=REL)
    assert econ["break_even_output_usd_per_mtok"] == pytest.approx(2.0 / (3.6 * 0.8), rel=REL)
    # Owned at USD 30,000 (4 years, 0%), 700 W at USD 0.08/kWh, PUE 1, sold at USD 0.60 per
    # million, every hour serving: revenue 2.16/h, power 0.7 kW x 0.08 = 0.056/h, profit before
    # hardware 2.104/h = 18,431 a year: payback 30,000 / 18,431 = 1.628 years; four years of
    # revenue (4 x 8,760 x 2.16 = 75,686) are 2.52x the price.
    costs = ie.cost_breakdown(
        1000, 700, purchase_usd=30_000, lifetime_years=4, usd_per_kwh=0.08, pue=1.0
    )  # fmt: skip
    econ = ie.unit_economics(costs, 1000, 0.60).iloc[0]
    assert econ["payback_years"] == pytest.approx(30_000 / (2.104 * 8760), rel=REL)
    assert econ["return_multiple"] == pytest.approx(4 * 8760 * 2.16 / 30_000, rel=REL)
    assert econ["net_return_multiple"] == pytest.approx(4 * 8760 * 2.104 / 30_000, rel=REL)


def test_unit_economics_takes_idle_energy_from_the_costs():
    # Owned: USD 30,000 over 4 years at 0% = H = 30,000 / 35,040 = 0.856164 USD/h; 1,000
    # tokens/s sold at USD 1 per million: R = 3.6 USD per served hour; 700 W serving and 100 W
    # idle at PUE 1.2 and USD 0.10/kWh: E_s = 0.7 x 1.2 x 0.10 = 0.084, E_i = 0.012 USD/h.
    # Break-even u* = (H + E_i) / (R - E_s + E_i) = 0.868164 / 3.528 = 0.246078 (dropping the
    # idle energy gives 0.856164 / 3.516 = 0.243505). At u = 0.5: cost per clock hour
    # H + u E_s + (1 - u) E_i = 0.904164; yearly operating profit 8,760 x (0.5 x (3.6 - 0.084)
    # - 0.5 x 0.012) = 15,347.52, payback 30,000 / 15,347.52 = 1.954714 years.
    h = 30_000 / 35_040
    costs = ie.cost_breakdown(
        1000, 700, purchase_usd=30_000, lifetime_years=4, utilisation=0.5, usd_per_kwh=0.10,
        pue=1.2, idle_w=100,
    )  # fmt: skip
    econ = ie.unit_economics(costs, 1000, 1.0).iloc[0]
    assert econ["break_even_utilisation"] == pytest.approx((h + 0.012) / 3.528, rel=REL)
    assert round(econ["break_even_utilisation"], 6) == 0.246078
    assert econ["cost_usd_per_gpu_hour"] == pytest.approx(h + 0.042 + 0.006, rel=REL)
    assert econ["payback_years"] == pytest.approx(30_000 / 15_347.52, rel=REL)
    assert econ["return_multiple"] == pytest.approx(4 * 8760 * 0.5 * 3.6 / 30_000, rel=REL)
    with pytest.raises(TypeError):
        ie.unit_economics(costs, 1000, 1.0, idle_w=100)  # asked once, in cost_breakdown


@settings(max_examples=60, deadline=None)
@given(
    st.floats(0.2, 10), st.floats(100, 1e4), st.floats(100, 1200), st.floats(0, 1),
    st.floats(0, 0.4), st.floats(1, 2), st.floats(0.05, 1.0), st.floats(0, 2),
)  # fmt: skip
def test_at_the_break_even_utilisation_the_margin_is_zero(
    hourly, tps, watts, idle_share, kwh, pue, price, fac
):
    # whatever the costs, serving the break-even share of hours earns exactly what they cost
    kw = dict(usd_per_gpu_hour=hourly, usd_per_kwh=kwh, pue=pue, idle_w=watts * idle_share,
              all_in_kw_per_gpu=1.5, facility_usd_per_kw_month=fac * 100)  # fmt: skip
    u_star = ie.unit_economics(ie.cost_breakdown(tps, watts, **kw), tps, price)[
        "break_even_utilisation"
    ].iloc[0]
    if np.isfinite(u_star) and u_star > 1e-3:
        at = ie.unit_economics(ie.cost_breakdown(tps, watts, utilisation=u_star, **kw), tps, price)
        assert at["gross_margin"].iloc[0] == pytest.approx(0.0, abs=1e-9)
        # and the hourly view agrees: revenue per clock hour equals cost per clock hour
        r = at.iloc[0]
        assert r["revenue_usd_per_gpu_hour"] == pytest.approx(r["cost_usd_per_gpu_hour"], rel=1e-9)


def test_unit_economics_edges_by_hand():
    # (mutation testing found these unchecked) Rented at H USD/h, 1,000 tokens/s, so a served
    # hour earns R = 3.6 x price; break-even u* = H / R when there is no energy cost.
    def econ(hourly, price, **kw):
        costs = ie.cost_breakdown(1000, 700, usd_per_gpu_hour=hourly, utilisation=0.8)
        return ie.unit_economics(costs, 1000, price, **kw).iloc[0]

    assert econ(3.6, 1.0)["break_even_utilisation"] == 1.0  # exactly every hour: still finite
    assert math.isinf(econ(3.6036, 1.0)["break_even_utilisation"])  # u* = 1.001: never
    assert econ(0.45, 0.25)["break_even_utilisation"] == pytest.approx(0.5, rel=REL)  # R = 0.9
    free = econ(0.5, 0.0)  # nothing sold: no margin, no break-even
    assert free["gross_margin"] == -math.inf and math.isinf(free["break_even_utilisation"])
    # an input price alone, with no prompt tokens billed, earns nothing; and vice versa
    assert econ(2.0, 1.0, input_usd_per_mtok=0.5)["revenue_usd_per_mtok"] == 1.0
    assert econ(2.0, 1.0, input_tokens_per_output_token=2.0)["revenue_usd_per_mtok"] == 1.0
    # owned with hosting: 1.73 kW x USD 184 / 730 h = 0.436055 USD/h every hour; at u = 1,
    # 700 W at PUE 1 and USD 0.08/kWh: profit 3.6 - 0.056 - 0.436055 = 3.107945 USD/h
    costs = ie.cost_breakdown(
        1000, 700, purchase_usd=30_000, lifetime_years=4, usd_per_kwh=0.08, pue=1.0,
        all_in_kw_per_gpu=1.73, facility_usd_per_kw_month=184,
    )  # fmt: skip
    e = ie.unit_economics(costs, 1000, 1.0).iloc[0]
    yearly = 8760 * (3.6 - 0.056 - 1.73 * 184 / 730)
    assert e["payback_years"] == pytest.approx(30_000 / yearly, rel=REL)
    assert e["net_return_multiple"] == pytest.approx(4 * yearly / 30_000, rel=REL)
    # a profit of USD 0.50 a year (price 0.5 / (8,760 x 3.6) per million, nothing else to pay)
    # repays USD 30,000 in 60,000 years: finite, however long
    tiny = 0.5 / (8760 * 3.6)
    costs = ie.cost_breakdown(1000, 700, purchase_usd=30_000, lifetime_years=4, usd_per_kwh=0.0)
    assert ie.unit_economics(costs, 1000, tiny)["payback_years"].iloc[0] == pytest.approx(
        60_000, rel=1e-9
    )
    # and a profit of exactly zero never repays it
    assert math.isinf(ie.unit_economics(costs, 1000, 0.0)["payback_years"].iloc[0])
    # no idle power unless given: idle hours cost the hardware alone
    idle = ie.cost_breakdown(1000, 700, purchase_usd=30_000, lifetime_years=4, utilisation=0.5)
    assert idle["idle_usd_per_mtok"].iloc[0] == pytest.approx(30_000 / 35_040 / 3.6, rel=REL)


def test_losing_money_is_said_not_hidden():
    costs = ie.cost_breakdown(1000, 700, usd_per_gpu_hour=10.0, utilisation=0.5)
    econ = ie.unit_economics(costs, 1000, 0.5).iloc[0]
    assert econ["gross_margin"] < 0
    assert math.isinf(econ["break_even_utilisation"])  # 10 USD/h > 1.8 USD/h of revenue
    assert "payback_years" not in econ  # rented: nothing to pay back
    costs = ie.cost_breakdown(1000, 700, purchase_usd=30_000, lifetime_years=4, usd_per_kwh=30)
    econ = ie.unit_economics(costs, 1000, 0.01).iloc[0]
    assert math.isinf(econ["payback_years"])


def test_nvidia_return_claim_structure():
    # NVIDIA (vendor claim, data/factory_assumptions.csv): USD 5M GB200 NVL72 -> USD 75M of
    # token revenue over 3 years, 72 GPUs at 10,000 tokens/s each. Tokens over 3 years at
    # 100% utilisation: 72 x 10,000 x 3,600 x 8,760 x 3 = 6.8118e13, i.e. 68.12 million
    # million-token units, so the claim needs 75e6 / 68.12e6 = USD 1.101 per million tokens.
    a = ie.load_factory_assumptions()["value"]
    args = (
        a["nvidia_nvl72_system_usd"],
        a["nvidia_nvl72_n_gpus"],
        a["nvidia_nvl72_tokens_per_s_per_gpu"],
    )
    price = ie.price_for_return_multiple(a["nvidia_nvl72_return_multiple"], *args, 1.0, 3)
    assert price == pytest.approx(75e6 / (72 * 10_000 * 3600 * 8760 * 3 / 1e6), rel=REL)
    assert round(price, 3) == 1.101
    claim = ie.revenue_claim(*args, price, 1.0, a["nvidia_nvl72_years"]).iloc[0]
    assert claim["revenue_usd"] == pytest.approx(a["nvidia_nvl72_token_revenue_usd"], rel=REL)
    assert claim["return_multiple"] == pytest.approx(15.0, rel=REL)
    # at 50% utilisation the same revenue needs twice the price, and the same price earns half
    assert ie.price_for_return_multiple(15, *args, 0.5, 3) == pytest.approx(2 * price, rel=REL)
    half = ie.revenue_claim(*args, price, 0.5, 3).iloc[0]
    assert half["million_tokens"] == pytest.approx(72 * 10_000 * 3600 * 8760 * 3 / 2e6, rel=REL)
    assert half["revenue_usd"] == pytest.approx(75e6 / 2, rel=REL)


def test_claim_in_output_token_prices_for_each_inferencemax_shape():
    # InferenceMAX's tput_per_gpu is total (input + output) tokens per GPU (utils/process_result.py:
    # total_token_throughput / tp_size). The claim's tokens over 3 years at 100%:
    # 72 x 10,000 x 3,600 x 8,760 x 3 / 1e6 = 68,117,760 million, so USD 75M is
    # 75e6 / 68,117,760 = USD 1.101034 per million tokens of either kind. Output tokens are
    # o / (p + o) of them, so with the prompt free the output price is that times (p + o) / o:
    # 8k/1k (the claim's shape): x 9 = 9.9093; 1k/1k: x 2 = 2.2021; 1k/8k: x 9/8 = 1.2387.
    # With the prompt billed at USD 0.55 per million (DeepSeek-R1's list input price), 8k/1k
    # needs 9 x 1.101034 - 8 x 0.55 = USD 5.5093 per million output tokens.
    per_token = 75e6 / (72 * 10_000 * 3600 * 8760 * 3 / 1e6)
    assert round(per_token, 6) == 1.101034
    shapes = np.array([[1024, 1024], [1024, 8192], [8192, 1024]], dtype=float)
    got = ie.output_price_for_return_multiple(
        15, 5e6, 72, 10_000, shapes[:, 0], shapes[:, 1], 1.0, 3
    )  # fmt: skip
    np.testing.assert_allclose(got, per_token * np.array([2, 9 / 8, 9]), rtol=REL)
    assert np.round(got, 2).tolist() == [2.20, 1.24, 9.91]
    billed = ie.output_price_for_return_multiple(15, 5e6, 72, 10_000, 8192, 1024, 1.0, 3, 0.55)
    assert billed == pytest.approx(9 * per_token - 8 * 0.55, rel=REL)
    # at 70% utilisation everything needs 1 / 0.7 as much
    assert ie.output_price_for_return_multiple(
        15, 5e6, 72, 10_000, 8192, 1024, 0.7, 3
    ) == pytest.approx(9 * per_token / 0.7, rel=REL)  # fmt: skip
    # input revenue alone over the target: no output price needed
    assert ie.output_price_for_return_multiple(15, 5e6, 72, 10_000, 8192, 1024, 1.0, 3, 5.0) == 0
    with pytest.raises(ValueError, match=r"prompt_tokens must be finite and > 0"):
        ie.output_price_for_return_multiple(15, 5e6, 72, 10_000, 0, 1024, 1.0, 3)


def test_epoch_chatgpt_query_energy_golden():
    # Epoch AI (Feb 2025): 2 x 100e9 x 500 = 1e14 FLOP; an H100 at 989 TFLOP/s and 10%
    # utilisation needs 1e14 / 98.9e12 = 1.0111 s; 1,275 W x 0.7 x 1.2 = 1,071 W; 1.0111 s x
    # 1,071 W = 1,082.9 J = 0.3008 Wh (Epoch's spreadsheet: 0.301 Wh).
    wh = ie.flop_energy_per_query_wh(1e11, 500, 989e12, 0.1, 1275, 0.7, 1.2)
    assert wh == pytest.approx(1e14 / 98.9e12 * 1071 / 3600, rel=REL)
    assert round(wh, 3) == 0.301
    pub = ie.published_query_energy()
    assert round(pub.loc[0, "wh_per_query"], 3) == 0.301
    assert pub.loc[1, "wh_per_query"] == 0.24  # Google, arXiv:2508.15734 (measured)
    assert pub.loc[1, "accelerator_wh_per_query"] == pytest.approx(0.24 * 0.58, rel=REL)
    assert set(pub["kind"]) == {"published_estimate", "measurement"}


def test_energy_per_query_from_the_serving_model():
    # A hand derivation at the physical ceiling (efficiency 1.0: full bandwidth, no overhead)
    # for Llama-3.1-8B (data/models.csv: 32 layers, hidden 4,096, 8 KV heads of 128, MLP
    # 14,336, vocabulary 128,256) in fp8 on one H100 (3.35 TB/s, 700 W). Weights read per step:
    # 32 x (2 x 4096^2 + 2 x 4096 x 1024 + 3 x 4096 x 14336) + 128256 x 4096 = 7.5047e9 bytes
    # (the input embedding is looked up, not read). At batch 1 every step is memory-bound at
    # full bandwidth, so the board draws its TDP. Prefill of 100 tokens reads the weights once;
    # each of 500 decode steps reads them plus the KV cache (32 x 8 x 128 x 2 = 65,536 bytes per
    # token) at the mean context 100 + 501/2 tokens. Energy = 700 W x time.
    w = 32 * (2 * 4096**2 + 2 * 4096 * 1024 + 3 * 4096 * 14336) + 128256 * 4096
    t_prefill = w / 3.35e12
    t_decode = (w + 65_536 * (100 + 501 / 2)) / 3.35e12
    seconds = t_prefill + 500 * t_decode  # 1.1258 s
    r = ie.energy_per_query(
        "Llama-3.1-8B", "H100-SXM", [1, 8], 100, 500, "fp8", 1.0, pue=1.2,
        server_w_per_gpu=1275, host_power_fraction=0.7,
    )  # fmt: skip
    # achieved: 4.6e-5 relative (the hand count leaves out the norm weights and the new
    # token's KV write); 2e-4 leaves a margin
    assert r["gpu_seconds_per_query"].iloc[0] == pytest.approx(seconds, rel=2e-4)
    assert r["board_wh_per_query"].iloc[0] == pytest.approx(700 * seconds / 3600, rel=2e-4)
    assert round(r["board_wh_per_query"].iloc[0], 4) == 0.2189
    # Epoch's host share: 1,275 W per GPU rated, 700 W of it the GPU: 575 W x 70% = 402.5 W
    # for as long as the query holds the GPU
    assert r["host_wh_per_query"].iloc[0] == pytest.approx(402.5 * seconds / 3600, rel=2e-4)
    np.testing.assert_allclose(
        r["facility_wh_per_query"],
        1.2 * (r["board_wh_per_query"] + r["host_wh_per_query"]),
        rtol=REL,
    )
    # batch 8 shares each weight read among 8 queries: the memory-bound step time grows only by
    # the extra KV, so each query's share of the board energy falls by nearly 8x (> 6x)
    assert r["board_wh_per_query"].iloc[0] > 6 * r["board_wh_per_query"].iloc[1]
    with pytest.raises(ValueError, match=r"server_w_per_gpu must be in \[700"):
        ie.energy_per_query("Llama-3.1-8B", "H100-SXM", 1, 100, 500, server_w_per_gpu=500)


def test_energy_defaults_come_from_the_cited_table():
    # data/factory_assumptions.csv: default_pue 1.2 (Epoch AI), default_usd_per_kwh 0.08 (EIA)
    a = ie.load_factory_assumptions()["value"]
    assert ie.factory_defaults() == {
        "pue": a["default_pue"],
        "usd_per_kwh": a["default_usd_per_kwh"],
        "facility_usd_per_kw_month": a["default_facility_usd_per_kw_month"],
    }
    assert (a["default_pue"], a["default_usd_per_kwh"]) == (1.2, 0.08)
    # owned, nothing said about power: 700 W x 1.2 x USD 0.08/kWh = USD 0.0672 per served
    # hour, / 3.6 million tokens = USD 0.018667 per million; 100 W idle x 1.2 x 0.08 = 0.0096/h
    own = ie.cost_breakdown(1000, 700, purchase_usd=30_000, lifetime_years=4, idle_w=100).iloc[0]
    assert own["energy_usd_per_mtok"] == pytest.approx(0.7 * 1.2 * 0.08 / 3.6, rel=REL)
    assert own["idle_energy_usd_per_gpu_hour"] == pytest.approx(0.1 * 1.2 * 0.08, rel=REL)
    assert own["facility_joules_per_token"] == pytest.approx(0.7 * 1.2, rel=REL)
    # rented: the rent includes power, so no electricity is added; the PUE still applies
    rent = ie.cost_breakdown(1000, 700, usd_per_gpu_hour=2.0, idle_w=100).iloc[0]
    assert rent["energy_usd_per_mtok"] == 0 and rent["idle_energy_usd_per_gpu_hour"] == 0
    assert rent["facility_joules_per_token"] == pytest.approx(0.84, rel=REL)
    assert ie.energy_usd_per_mtok(700, 1000, 0.08) == pytest.approx(0.84 / 3.6 * 0.08, rel=REL)
    q = ie.energy_per_query("Llama-3.1-8B", "H100-SXM", 8, 100, 500, "fp8")
    np.testing.assert_allclose(q["facility_wh_per_query"], 1.2 * q["board_wh_per_query"], rtol=REL)
    # the bill uses the same defaults as the operating point it is built on
    kw = dict(purchase_usd=30_000, lifetime_years=4)
    bill = ie.self_hosted_bill(
        "Llama-3.1-8B", "H100-SXM", 1000, 300, 1e5, "fp8", batch=64, **kw
    ).iloc[0]
    op = ie.token_economics("Llama-3.1-8B", "H100-SXM", 64, 1000, 300, "fp8", **kw).iloc[0]
    gpu_hours, u = bill["n_gpus"] * 730, bill["utilisation"]
    kwh = gpu_hours * (u * op["power_w"] + (1 - u) * ie.get_gpu("H100-SXM").idle_w) / 1000
    assert bill["energy_usd_per_month"] == pytest.approx(kwh * 1.2 * 0.08, rel=1e-9)


def test_all_in_power_defaults_are_cited():
    assert ie.default_all_in_kw_per_gpu("H100-SXM") == (1.73, "analyst_estimate")
    assert ie.default_all_in_kw_per_gpu("B200-HGX") == (2.17, "analyst_estimate")
    kw, kind = ie.default_all_in_kw_per_gpu("A100-80GB-SXM")
    assert kind == "assumption" and kw == pytest.approx(0.4 * 1.73 / 0.70, abs=5e-4)
    for g in ie.load_gpus()["name"]:
        assert ie.default_all_in_kw_per_gpu(g)[0] > 0


# --------------------------------------------------------------------------- the operating point


def test_token_economics_prices_the_serving_model():
    r = ie.token_economics(
        "Llama-3.1-70B", "H200-SXM", [16, 64], 1024, 512, "fp8", tensor_parallel=2,
        usd_per_gpu_hour=3.0, output_usd_per_mtok=2.0, input_usd_per_mtok=0.5,
    )  # fmt: skip
    sp = ie.serving_performance(
        "Llama-3.1-70B",
        "H200-SXM",
        [16, 64],
        1024,
        512,
        "fp8",
        tensor_parallel=2,
        usd_per_gpu_hour=3.0,
    )
    # with no energy, hosting or idle hours the cost is the serving model's rental cost
    np.testing.assert_allclose(r["total_usd_per_mtok"], sp["usd_per_mtok_output"], rtol=1e-12)
    # revenue per million output tokens: 2.0 + 0.5 x 1024/512 = 3.0
    np.testing.assert_allclose(r["revenue_usd_per_mtok"], 3.0, rtol=REL)
    np.testing.assert_allclose(r["gross_margin"], 1 - r["total_usd_per_mtok"] / 3.0, rtol=REL)
    assert (r["hardware"] == "rented").all()
    mid = ie.token_economics("Llama-3.1-70B", "H200-SXM", 16, 1024, 512, "fp8", tensor_parallel=2)
    assert mid["hardware"].iloc[0] == "rented (data/gpus.csv mid price)"
    assert mid["hardware_usd_per_gpu_hour"].iloc[0] == pytest.approx((1.6 + 7.0) / 2)


def test_native_precisions():
    assert ie.native_precisions("H100-SXM") == ["bf16", "fp8"]
    assert ie.native_precisions("A100-80GB-SXM") == ["bf16"]
    assert ie.native_precisions("B200-HGX") == ["bf16", "fp8", "fp4"]
    with pytest.raises(ValueError, match=r"'fp4' is not supported natively by GPU 'H100-SXM'"):
        ie.token_economics("Llama-3.1-8B", "H100-SXM", 8, 512, 128, "fp4")
    # weight-only quantisation is available when asked for
    r = ie.token_economics("Llama-3.1-8B", "A100-80GB-SXM", 8, 512, 128, "fp8",
                           allow_weight_only=True)  # fmt: skip
    assert r["tokens_per_s_per_gpu"].iloc[0] > 0


def _tiny_workload():
    return ie.poisson_workload(5.0, n_requests=8, prompt_tokens=64, output_tokens=8)


# Every entry point that takes a GPU and a weight precision, called with that precision; the
# one rule (ie.check_native_precision) must reject a format without tensor cores and accept it
# under the explicit weight-only opt-in.
_ENTRY_POINTS = {
    "decode_performance": lambda g, p, **o: ie.decode_performance(
        "Llama-3.1-8B", g, 1, 128, p, **o
    ),
    "prefill_performance": lambda g, p, **o: ie.prefill_performance(
        "Llama-3.1-8B", g, 128, 1, p, **o
    ),
    "serving_performance": lambda g, p, **o: ie.serving_performance(
        "Llama-3.1-8B", g, 1, 128, 16, p, **o
    ),
    "IterationCost": lambda g, p, **o: ie.IterationCost("Llama-3.1-8B", g, p, **o),
    "simulate_serving": lambda g, p, **o: ie.simulate_serving(
        "Llama-3.1-8B", g, _tiny_workload(), precision=p, **o
    ),
    "energy_per_query": lambda g, p, **o: ie.energy_per_query(
        "Llama-3.1-8B", g, 1, 128, 16, p, **o
    ),
    "token_economics": lambda g, p, **o: ie.token_economics(
        "Llama-3.1-8B", g, 1, 128, 16, p, usd_per_gpu_hour=2.0, **o
    ),
    "throughput_frontier": lambda g, p, **o: ie.throughput_frontier(
        "Llama-3.1-8B", g, 128, 16, precisions=[p], tensor_parallel_sizes=[1], batches=[1, 8], **o
    ),
    "self_hosted_bill": lambda g, p, **o: ie.self_hosted_bill(
        "Llama-3.1-8B", g, 128, 16, 1000, p, batch=8, usd_per_gpu_hour=2.0, **o
    ),
    "ridge_point": lambda g, p, **o: ie.ridge_point(g, p, **o),
    "attainable_tflops": lambda g, p, **o: ie.attainable_tflops(g, 100.0, p, **o),
    "crossover_batch": lambda g, p, **o: ie.crossover_batch("Llama-3.1-8B", g, 0, p, **o),
}


@pytest.mark.parametrize("entry", sorted(_ENTRY_POINTS))
@pytest.mark.parametrize(
    ("gpu", "precision"), [("A100-80GB-SXM", "fp4"), ("H100-SXM", "fp4"), ("A100-80GB-SXM", "fp8")]
)
def test_one_precision_rule_at_every_entry_point(entry, gpu, precision):
    call = _ENTRY_POINTS[entry]
    # data/gpus.csv: the A100 has no FP8 or FP4 dense rate, Hopper no FP4 rate
    native = ["bf16"] if gpu.startswith("A100") else ["bf16", "fp8"]
    msg = (
        f"precision '{precision}' is not supported natively by GPU '{gpu}' "
        f"(it has tensor cores for {native!r}); choose one of those, or pass "
        "allow_weight_only=True"
    )
    with pytest.raises(ValueError, match=re.escape(msg)):
        call(gpu, precision)
    assert call(gpu, precision, allow_weight_only=True) is not None  # the explicit opt-in
    assert call(gpu, "bf16") is not None  # native: no opt-in needed


def test_weight_only_opt_in_reads_fewer_bytes_at_the_wider_rate():
    # weight-only fp4 on an H100: weights at 0.5625 B/value (NVFP4, specs.PRECISION_BYTES), the
    # arithmetic at the FP8 rate, so at batch 1 (memory-bound) it beats fp8 and at a big
    # prefill (compute-bound) it equals it
    kw = dict(efficiency=1.0, check_memory=False)
    f8 = ie.decode_performance("Llama-3.1-70B", "H100-SXM", 1, 128, "fp8", **kw)
    f4 = ie.decode_performance(
        "Llama-3.1-70B", "H100-SXM", 1, 128, "fp4", allow_weight_only=True, **kw
    )
    assert f4["step_ms"].item() < f8["step_ms"].item()
    p8 = ie.prefill_performance("Llama-3.1-70B", "H100-SXM", 8192, 4, "fp8", 1.0)
    p4 = ie.prefill_performance(
        "Llama-3.1-70B", "H100-SXM", 8192, 4, "fp4", 1.0, allow_weight_only=True
    )
    assert p4["compute_ms"].item() == pytest.approx(p8["compute_ms"].item(), rel=1e-12)


# --------------------------------------------------------------------------- properties


@settings(max_examples=80, deadline=None)
@given(
    st.floats(0.05, 20), st.floats(10, 1e5), st.floats(50, 1500),
    st.floats(0.02, 0.98), st.floats(0.001, 0.02), st.floats(0, 0.3), st.floats(1, 2),
)  # fmt: skip
def test_cost_falls_with_utilisation(price, tps, watts, u, du, kwh, pue):
    kw = dict(usd_per_gpu_hour=price, usd_per_kwh=kwh, pue=pue, idle_w=watts / 10)
    lo = ie.cost_breakdown(tps, watts, utilisation=u, **kw)["total_usd_per_mtok"].iloc[0]
    hi = ie.cost_breakdown(tps, watts, utilisation=min(u + du, 1.0), **kw)[
        "total_usd_per_mtok"
    ].iloc[0]
    assert hi < lo
    # and the parts add up
    df = ie.cost_breakdown(tps, watts, utilisation=u, **kw).iloc[0]
    parts = ["hardware", "energy", "facility", "idle"]
    assert sum(df[f"{p}_usd_per_mtok"] for p in parts) == pytest.approx(
        df["total_usd_per_mtok"], rel=REL
    )


@settings(max_examples=60, deadline=None)
@given(st.floats(1000, 1e6), st.floats(0.5, 30), st.floats(0.0, 0.5), st.floats(0.001, 0.1))
def test_owning_costs_more_with_capital_and_less_with_life(price, life, rate, d):
    base = ie.owned_usd_per_gpu_hour(price, life, rate)
    assert ie.owned_usd_per_gpu_hour(price, life, rate + d) > base
    assert ie.owned_usd_per_gpu_hour(price, life + 1, rate) < base
    # never less than straight-line, and the annuity repays the price at the rate
    assert base >= price / life / 8760 * (1 - 1e-12)


@settings(max_examples=60, deadline=None)
@given(st.floats(1, 1e5), st.floats(0.05, 5), st.floats(1.0, 10.0))
def test_tokens_per_mw_scales_inversely_with_power(tps, kw, k):
    assert ie.tokens_per_s_per_mw(tps, kw * k) == pytest.approx(
        ie.tokens_per_s_per_mw(tps, kw) / k, rel=1e-12
    )


@settings(max_examples=50, deadline=None)
@given(st.floats(0.1, 50), st.floats(0.05, 1.0), st.floats(0.1, 10))
def test_break_even_price_gives_zero_margin(hourly, u, pin):
    costs = ie.cost_breakdown(2000, 600, usd_per_gpu_hour=hourly, utilisation=u)
    e0 = ie.unit_economics(costs, 2000, 1.0, input_usd_per_mtok=pin,
                           input_tokens_per_output_token=0.5).iloc[0]  # fmt: skip
    be = e0["break_even_output_usd_per_mtok"]
    if be > 0:
        e1 = ie.unit_economics(costs, 2000, be, input_usd_per_mtok=pin,
                               input_tokens_per_output_token=0.5).iloc[0]  # fmt: skip
        assert e1["gross_margin"] == pytest.approx(0.0, abs=1e-9)


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("u", [0.0, -0.1, 1.5, float("nan")])
def test_utilisation_outside_0_1(u):
    with pytest.raises(ValueError, match=r"utilisation must be in \(0, 1\]"):
        ie.usd_per_mtok(2.0, 1000, utilisation=u)
    with pytest.raises(ValueError, match=r"utilisation must be in \(0, 1\]"):
        ie.cost_breakdown(1000, 700, usd_per_gpu_hour=2.0, utilisation=u)


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: ie.usd_per_mtok(-1.0, 1000), "usd_per_gpu_hour"),
        (lambda: ie.energy_usd_per_mtok(700, 1000, usd_per_kwh=-0.1), "usd_per_kwh"),
        (lambda: ie.joules_per_token(-700, 1000), "power_w"),
        (lambda: ie.owned_usd_per_gpu_hour(30_000, -4), "lifetime_years"),
        (lambda: ie.owned_usd_per_gpu_hour(-30_000, 4), "purchase_usd"),
        (lambda: ie.owned_usd_per_gpu_hour(30_000, 4, -0.1), "cost_of_capital"),
        (lambda: ie.revenue_usd_per_gpu_hour(1000, -0.6), "output_usd_per_mtok"),
        (lambda: ie.tokens_per_s_per_mw(1000, 0), "all_in_kw_per_gpu"),
        (lambda: ie.cost_breakdown(1000, 700, usd_per_gpu_hour=2, idle_w=-5), "idle_w"),
        (lambda: ie.facility_usd_per_gpu_hour(1.7, -10), "facility_usd_per_kw_month"),
    ],
)
def test_negative_prices_power_and_lifetimes(call, name):
    with pytest.raises(ValueError, match=rf"{name} must be"):
        call()


@pytest.mark.parametrize("pue", [0.9, 0.0, 6.0])
def test_pue_below_one(pue):
    with pytest.raises(ValueError, match=r"pue must be in \[1, 5\]"):
        ie.joules_per_token(700, 1000, pue=pue)


def test_hardware_price_must_be_one_of_rent_or_own():
    with pytest.raises(ValueError, match="exactly one of usd_per_gpu_hour"):
        ie.cost_breakdown(1000, 700)
    with pytest.raises(ValueError, match="exactly one of usd_per_gpu_hour"):
        ie.cost_breakdown(1000, 700, usd_per_gpu_hour=2, purchase_usd=30_000, lifetime_years=4)
    with pytest.raises(ValueError, match="lifetime_years is required"):
        ie.cost_breakdown(1000, 700, purchase_usd=30_000)
    for hosting in (100, 0.5):  # any positive hosting price needs the power it is priced on
        with pytest.raises(ValueError, match="needs all_in_kw_per_gpu"):
            ie.cost_breakdown(1000, 700, usd_per_gpu_hour=2, facility_usd_per_kw_month=hosting)


def test_unknown_gpu_all_in_power():
    spec = ie.GPUSpec("My-GPU", 80, 3.0, 900, 700)
    with pytest.raises(ValueError, match="no default all-in power for GPU 'My-GPU'"):
        ie.default_all_in_kw_per_gpu(spec)


def test_error_messages_print_numbers_not_numpy_reprs():
    # numpy 2 writes repr(np.float64(0.0)) as "np.float64(0.0)"; a message names the number
    with pytest.raises(ValueError) as info:
        ie.cost_breakdown(1000, 700, usd_per_gpu_hour=2.0, utilisation=np.float64(0.0))
    assert str(info.value) == "utilisation must be in (0, 1]; got 0.0"
    with pytest.raises(ValueError) as info:
        ie.usd_per_mtok(2.0, np.array([1000.0, -3.0]))
    assert str(info.value).endswith("got -3.0") and "np." not in str(info.value)
    with pytest.raises(ValueError) as info:
        ie.joules_per_token(700, 1000, pue=np.float32(0.5))
    assert str(info.value) == "pue must be in [1, 5]; got 0.5"


# --------------------------------------------------------------------------- hardware trend lines


def test_hardware_trend_line_at_rate_pivots_on_the_fit_centroid():
    """The published rate is drawn through the point every slope-band line passes through: at
    the fitted rate it is the fitted line; it changes by its factor each 365-day year; at the
    ends of the fit's 90% slope interval it is an edge of the band."""
    t = ie.fit_hardware_trend(ie.load_accelerators(), "price_performance", "fp32")
    dates = pd.date_range(t.fit.start, t.fit.end, periods=7)
    np.testing.assert_allclose(t.line_at_rate(t.factor_per_year, dates), t.fit.predict(dates))
    two = t.line_at_rate(1.4, [t.fit.start, t.fit.start + pd.Timedelta(days=365)])
    assert two[1] / two[0] == pytest.approx(1.4)
    lo_f, hi_f = t.factor_per_year_ci90
    lo, hi = t.fit.slope_band(dates)
    late = dates > t.fit.start + pd.Timedelta(days=365 * t.fit.mean_years)
    np.testing.assert_allclose(t.line_at_rate(hi_f, dates)[late], hi[late])
    np.testing.assert_allclose(t.line_at_rate(lo_f, dates)[late], lo[late])
    with pytest.raises(ValueError, match="factor_per_year"):
        t.line_at_rate(0.0, dates)
