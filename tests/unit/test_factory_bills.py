"""A workload's bill (inferecon.workload_bills): API list prices from genai-prices' bundled
snapshot, by hand, and self-hosting on whole replicas."""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd
import pytest

import inferecon as ie

REL = 1e-12  # closed-form formulas: float rounding only (the reasoning: test_factory.py)


AS_OF = "2026-12-01"


def test_genai_prices_snapshot_is_bundled():
    info = ie.genai_prices_info()
    assert info["bundled"] is True
    assert info["models"] > 1000 and info["providers"] > 20
    assert info["newest_price_change"] is not None
    assert ie.genai_prices_models("openai")["model_id"].str.contains("gpt-4o").any()
    with pytest.raises(ValueError, match="unknown provider_id 'nobody'"):
        ie.genai_prices_models("nobody")


def test_api_list_price_matches_the_published_price():
    # OpenAI's list price for GPT-4o mini since its launch (2024-07-18): USD 0.15 per million
    # input tokens and USD 0.60 per million output tokens (also in data/llm_prices.csv).
    p = ie.api_list_price("gpt-4o-mini", "openai", as_of=AS_OF)
    assert (p["input_usd_per_mtok"], p["output_usd_per_mtok"]) == pytest.approx((0.15, 0.60))
    row = ie.load_prices().query("model == 'GPT-4o mini (2024-07-18)'").iloc[0]
    assert (row["input_usd_per_mtok"], row["output_usd_per_mtok"]) == (0.15, 0.6)


def test_a_bare_date_is_priced_at_noon_utc():
    # DeepSeek's price list for deepseek-reasoner (R1): USD 0.55 per million input tokens
    # (cache miss) and USD 2.19 per million output tokens; off-peak (16:30-00:30 UTC) USD 0.135
    # and USD 0.55. A bare date used to mean midnight UTC, inside the off-peak window.
    for day in (AS_OF, datetime.date(2026, 12, 1)):
        p = ie.api_list_price("deepseek-reasoner", "deepseek", as_of=day)
        assert (p["input_usd_per_mtok"], p["output_usd_per_mtok"]) == pytest.approx((0.55, 2.19))
    night = ie.api_list_price("deepseek-reasoner", "deepseek", as_of="2026-12-01T20:00:00Z")
    assert (night["input_usd_per_mtok"], night["output_usd_per_mtok"]) == pytest.approx(
        (0.135, 0.55)
    )
    assert ie.PRICE_TIME_OF_DAY == datetime.time(12, 0, tzinfo=datetime.UTC)


def test_api_bill_by_hand():
    # 1,000 input tokens x 0.15e-6 + 300 output tokens x 0.60e-6 = USD 0.00033 a request;
    # 10,000 a day = USD 3.30 a day; x 365/12 = USD 100.375 a month.
    bill = ie.api_bill("gpt-4o-mini", 1000, 300, [10_000, 20_000], provider_id="openai",
                       as_of=AS_OF)  # fmt: skip
    assert bill["usd_per_request"].iloc[0] == pytest.approx(0.00033, rel=1e-9)
    assert bill["usd_per_day"].iloc[0] == pytest.approx(3.30, rel=1e-9)
    assert bill["usd_per_month"].iloc[0] == pytest.approx(3.30 * 365 / 12, rel=1e-9)
    assert bill["usd_per_month"].iloc[1] == pytest.approx(2 * bill["usd_per_month"].iloc[0])
    assert bill["usd_per_mtok_output"].iloc[0] == pytest.approx(0.00033 / 300 * 1e6)


def test_unknown_api_model_lists_close_matches():
    with pytest.raises(ValueError, match=r"close matches: \['gpt-4o'") as info:
        ie.api_bill("gpt4o", 1000, 300, 1000)
    assert "not in genai-prices' bundled snapshot" in str(info.value)
    with pytest.raises(ValueError, match="no close match"):
        ie.api_list_price("zzzz-qqqq-xxxx-9999", "openai")


def test_self_hosted_bill_pays_for_whole_replicas():
    kw = dict(tensor_parallel=2, usd_per_gpu_hour=3.0)
    b = ie.self_hosted_bill("Llama-3.1-70B", "H200-SXM", 1000, 300, [1e3, 1e5, 1e6, 1e7],
                            "fp8", batch=64, peak_to_mean=2.0, **kw)  # fmt: skip
    op = ie.token_economics("Llama-3.1-70B", "H200-SXM", 64, 1000, 300, "fp8", **kw).iloc[0]
    cap = op["tokens_per_s_per_replica"] * 86400 / 300  # requests a day per replica
    expected = np.maximum(np.ceil(np.array([1e3, 1e5, 1e6, 1e7]) * 2.0 / cap), 1)
    np.testing.assert_array_equal(b["replicas"], expected)
    np.testing.assert_array_equal(b["n_gpus"], 2 * expected)
    assert (b["utilisation"] <= 0.5 + 1e-12).all()  # provisioned for twice the mean
    # capacity: whole replicas x requests a day each; utilisation = demand / capacity
    np.testing.assert_allclose(b["capacity_requests_per_day"], expected * cap, rtol=REL)
    np.testing.assert_allclose(
        b["utilisation"], np.array([1e3, 1e5, 1e6, 1e7]) / (expected * cap), rtol=REL
    )
    np.testing.assert_allclose(b["usd_per_month"], b["n_gpus"] * 3.0 * 730, rtol=1e-12)
    # the defaults: batch 64, no cost of capital, provisioned for the mean
    own = dict(purchase_usd=30_000, lifetime_years=4, all_in_kw_per_gpu=1.73,
               facility_usd_per_kw_month=184)  # fmt: skip
    plain = ie.self_hosted_bill(
        "Llama-3.1-70B", "H200-SXM", 1000, 300, 1e5, "fp8", tensor_parallel=2, **own
    )
    said = ie.self_hosted_bill(
        "Llama-3.1-70B", "H200-SXM", 1000, 300, 1e5, "fp8", tensor_parallel=2, batch=64,
        cost_of_capital=0.0, peak_to_mean=1.0, **own,
    )  # fmt: skip
    pd.testing.assert_frame_equal(plain, said)
    # hosting: 1.73 kW x USD 184 per kW-month for every provisioned GPU
    np.testing.assert_allclose(
        plain["facility_usd_per_month"], plain["n_gpus"] * 1.73 * 184, rtol=REL
    )
    # the month's bill is its three lines; per million output tokens: 1e5 requests a day x
    # 365 / 12 days x 300 tokens = 912.5 million output tokens a month
    parts = plain[["hardware_usd_per_month", "facility_usd_per_month", "energy_usd_per_month"]]
    np.testing.assert_allclose(plain["usd_per_month"], parts.sum(axis=1), rtol=REL)
    assert (plain["energy_usd_per_month"] > 0).all()  # owned: the cited USD 0.08/kWh
    np.testing.assert_allclose(
        plain["usd_per_mtok_output"], plain["usd_per_month"] / 912.5, rtol=REL
    )
    # owned hardware: USD 30,000 / 48 months per GPU at 0%
    np.testing.assert_allclose(
        plain["hardware_usd_per_month"], plain["n_gpus"] * 30_000 / 4 / 8760 * 730, rtol=REL
    )
