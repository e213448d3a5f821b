"""Engine profiles and serving scenarios of the price decline (data/engine_profiles.csv,
data/serving_scenarios.csv): they validate, cross-reference the other bundled tables, hold the
cited numbers, and a broken copy lists every problem."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import inferecon as ie
from inferecon import datasets as ds

DATA = Path(__file__).resolve().parents[2] / "data"


@pytest.fixture(scope="module")
def engines():
    return ie.load_engine_profiles()


@pytest.fixture(scope="module")
def scenarios():
    return ie.load_serving_scenarios()


def test_registered_and_counted(engines, scenarios):
    assert ds.DATASETS["engine_profiles"].load is ie.load_engine_profiles
    assert ds.DATASETS["serving_scenarios"].load is ie.load_serving_scenarios
    assert ds.dataset_for_file("engine_profiles.csv").name == "engine_profiles"
    assert ds.dataset_for_file("serving_scenarios.csv").name == "serving_scenarios"
    assert list(engines["year"]) == [2022, 2023, 2024, 2025]
    assert list(scenarios["scenario"]) == ["ai-index-2022", "ai-index-2024"]


def test_cited_engine_numbers(engines):
    e = engines.set_index("engine_profile")
    # Kwon et al. 2023 (vLLM), Figure 2: 20.4% (Orca Max) to 38.2% (Orca Oracle); vLLM < 4% waste
    assert tuple(e.loc["static-2022-fp16", ["kv_used_share_low", "kv_used_share_high"]]) == (
        0.204,
        0.382,
    )
    assert (e.loc[e["batching"] == "continuous", "kv_used_share_low"] == 0.96).all()
    # vLLM blog 2024-09-05: v0.5.3 at 1/2.7 of v0.6.0 (Llama-3-8B, one H100): the low of 2023
    # and of 2024; ML.ENERGY: vLLM 0.11.1 at most 15% less energy than 0.5.4 for the 70B on H100
    lo, hi = e.loc["continuous-2023-paged", ["throughput_share_low", "throughput_share_high"]]
    assert lo == pytest.approx(1 / 2.7, abs=0.005) and hi == pytest.approx(1 - 0.15, abs=0.005)
    assert e.loc["continuous-2024-fp8", "throughput_share_low"] == pytest.approx(1 / 2.7, abs=0.005)
    # the blog's 70B ratio (1/1.8) and ML.ENERGY's 8B ratio at batch 64 (0.12 / 0.20 J/token)
    # lie inside the 2023 and 2024 ranges
    assert lo < 1 / 1.8 < hi
    row = e.loc["continuous-2024-fp8"]
    assert row["throughput_share_low"] < 0.12 / 0.20 < row["throughput_share_high"]
    assert list(e["precision"]) == ["bf16", "bf16", "fp8", "fp8"]


def test_static_batching_padding_share_is_derived_from_the_azure_trace(engines):
    # mean over expected max output length of a static batch of 4 and of 32 conversation requests
    out = ie.load_request_lengths()
    out = out.loc[out["trace"] == "conversation", "generated_tokens"].to_numpy(float)
    rng = np.random.default_rng(0)
    share = {b: out.mean() / rng.choice(out, (20_000, b)).max(axis=1).mean() for b in (4, 32)}
    assert share[4] == pytest.approx(0.62, abs=0.01)
    assert share[32] == pytest.approx(0.49, abs=0.01)
    row = engines.set_index("engine_profile").loc["static-2022-fp16"]
    # times the kernel/host share 0.5 (low, assumed) and 1.0 (high), as the row's notes derive
    assert row["throughput_share_low"] == pytest.approx(share[32] * 0.5, abs=0.005)
    assert row["throughput_share_high"] == pytest.approx(share[4] * 1.0, abs=0.005)


def test_scenarios_reference_prices_engines_gpus(scenarios, engines):
    prices = ie.load_prices()
    for _, s in scenarios.iterrows():
        hit = prices[
            (prices["model"] == s["price_model"]) & (prices["price_date"] == s["price_date"])
        ]
        assert len(hit) == 1, s["scenario"]
        assert s["engine_profile"] in set(engines["engine_profile"])
        ie.get_gpu(s["gpu"])  # raises for an unknown name
    # the AI Index endpoints: USD 20 (Nov 2022) and USD 0.0375 / 0.15 (Oct 2024)
    sc = ie.serving_scenario("ai-index-2022", scenarios, engines, prices)
    assert sc.usd_per_mtok == 20.0
    sc = ie.serving_scenario("ai-index-2024", scenarios, engines, prices)
    assert sc.usd_per_mtok == pytest.approx(0.065625)


def test_shapes_give_the_stated_sizes(scenarios, engines):
    prices = ie.load_prices()
    gpt3 = ie.serving_scenario("ai-index-2022", scenarios, engines, prices).model
    # Brown et al. 2020, Table 2.1: 175.0B; the shape (no input embedding) gives 174.6B
    assert gpt3.params_active == pytest.approx(175.0e9, rel=0.005)
    flash = ie.serving_scenario("ai-index-2024", scenarios, engines, prices).model
    assert flash.params_active == ie.get_model("Llama-3.1-8B").params_active


def test_owners_gpu_hour_of_2022_is_derived_from_bundled_data(scenarios):
    acc = ie.load_accelerators().set_index("name")
    fa = ie.load_factory_assumptions().set_index("key")["value"]
    gpu_usd = acc.loc["NVIDIA A100 SXM4 40 GB", "launch_usd"]  # USD 15,000 (Next Platform)
    hour = ie.owned_usd_per_gpu_hour(2 * gpu_usd, 4) + ie.facility_usd_per_gpu_hour(
        fa["all_in_kw_per_gpu__A100-80GB-SXM"], fa["default_facility_usd_per_kw_month"]
    )
    row = scenarios.set_index("scenario").loc["ai-index-2022"]
    assert row["usd_per_gpu_hour_low"] == pytest.approx(hour, abs=0.01)
    # AWS p4d.24xlarge on demand, USD 32.77 for 8 GPUs
    assert row["usd_per_gpu_hour_high"] == pytest.approx(32.77 / 8, abs=0.01)


def test_broken_copies_list_every_problem(tmp_path):
    e = pd.read_csv(DATA / "engine_profiles.csv", dtype=str, keep_default_na=False)
    e.loc[0, "kv_used_share_low"] = "0.5"  # above its high 0.382
    e.loc[1, "batching"] = "magic"
    e.loc[3, "throughput_share_high"] = "1.5"
    e.loc[3, "engine_profile"] = e.loc[2, "engine_profile"]
    p = tmp_path / "engine_profiles.csv"
    e.to_csv(p, index=False)
    with pytest.raises(ds.DataValidationError) as info:
        ie.load_engine_profiles(p)
    cols = {(pr.line, pr.column) for pr in info.value.problems}
    assert {(3, "batching"), (5, "throughput_share_high")} <= cols
    text = str(info.value)
    assert "kv_used_share_low" in text and "duplicate" in text.lower()

    s = pd.read_csv(DATA / "serving_scenarios.csv", dtype=str, keep_default_na=False)
    s.loc[0, "usd_per_gpu_hour_low"] = "9"  # above its high
    s.loc[1, "n_kv_heads"] = "5"  # 32 heads are not a multiple of 5
    s.loc[1, "utilisation_high"] = "0"
    p = tmp_path / "serving_scenarios.csv"
    s.to_csv(p, index=False)
    with pytest.raises(ds.DataValidationError) as info:
        ie.load_serving_scenarios(p)
    text = str(info.value)
    for col in ("usd_per_gpu_hour_low", "n_kv_heads", "utilisation_high"):
        assert col in text


def test_users_own_file_loads(tmp_path, scenarios):
    p = tmp_path / "mine.csv"
    p.write_bytes((DATA / "serving_scenarios.csv").read_bytes())
    mine = ie.load_serving_scenarios(p)
    assert mine["scenario"].tolist() == scenarios["scenario"].tolist()
