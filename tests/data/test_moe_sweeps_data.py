"""MoE serving sweeps: users' CSVs, InferenceMAX's aggregate JSON, the shipped closed-loop rows."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import inferecon as ie
from inferecon import datasets as ds


@pytest.fixture(scope="module")
def published():
    return ie.published_moe_sweeps()


def test_the_shipped_closed_loop_moe_sweep(published):
    # InferenceX run 20216641521, DeepSeek-R1 on 8 H200s with TensorRT-LLM (the quoted records
    # of published_serving_sweeps.csv): conc 4 -> 34.336691 output tok/s per GPU at a median
    # 72.2889 tok/s per user; conc 64 -> 228.304919 at 30.1876. Total = output x (1024 + 1024)
    # / 1024 at the nominal lengths.
    assert len(published) == 5
    assert set(published["model"]) == {"DeepSeek-V3"} and set(published["gpu"]) == {"H200-SXM"}
    assert list(published["concurrency"]) == [4, 8, 16, 32, 64]
    first, last = published.iloc[0], published.iloc[-1]
    assert (first["tokens_per_s_per_gpu"], first["tokens_per_s_per_user"]) == pytest.approx(
        (34.336691, 72.2889)
    )
    assert (last["tokens_per_s_per_gpu"], last["tokens_per_s_per_user"]) == pytest.approx(
        (228.304919, 30.1876)
    )
    assert last["total_tokens_per_s_per_gpu"] == pytest.approx(2 * 228.304919)
    assert published["precision"].eq("fp8").all() and published["tensor_parallel"].eq(8).all()


def test_a_users_csv_round_trips(published, tmp_path):
    p = tmp_path / "moe_serving_sweeps.csv"
    published.to_csv(p, index=False)
    back = ie.load_moe_serving_sweeps(p)
    pd.testing.assert_frame_equal(back, published, check_dtype=False)
    assert ds.dataset_for_file(p) is ds.DATASETS["moe_serving_sweeps"]


def test_only_the_required_columns_are_needed(tmp_path):
    p = tmp_path / "mine.csv"
    p.write_text(
        "model,gpu,precision,tensor_parallel,prompt_tokens,output_tokens,concurrency,"
        "tokens_per_s_per_user,tokens_per_s_per_gpu,total_tokens_per_s_per_gpu\n"
        "gpt-oss-120b,B200,fp4,1,1024,8192,64,120,3000,3375\n"
    )
    df = ie.load_moe_serving_sweeps(p)
    assert df.loc[0, "engine"] is pd.NA or pd.isna(df.loc[0, "engine"])
    assert df.loc[0, "total_tokens_per_s_per_gpu"] == 3375.0


def test_a_broken_csv_lists_every_problem(tmp_path):
    p = tmp_path / "broken.csv"
    p.write_text(
        "model,gpu,precision,tensor_parallel,prompt_tokens,output_tokens,concurrency,"
        "tokens_per_s_per_user,tokens_per_s_per_gpu,total_tokens_per_s_per_gpu\n"
        "DeepSeek-R1,H300,fp8,8,1024,1024,4,70,30,60\n"  # no such GPU
        "Grok-9,H200,fp8,8,1024,1024,8,60,50,100\n"  # no such model
        "DeepSeek-R1,H200,fp6,8,1024,1024,16,50,90,180\n"  # no such precision
        "DeepSeek-R1,H200,fp8,8,1024,1024,32,40,200,150\n"  # output above total
        "DeepSeek-R1,H200,fp8,8,1024,1024,32,0,200,400\n"  # duplicate, zero speed
    )
    with pytest.raises(ie.DataValidationError) as info:
        ie.load_moe_serving_sweeps(p)
    found = {(pr.line, pr.column) for pr in info.value.problems}
    assert {
        (2, "gpu"),
        (3, "model"),
        (4, "precision"),
        (5, "tokens_per_s_per_gpu"),
        (6, "tokens_per_s_per_user"),
    } <= found
    assert any(pr.line == 6 and "duplicate key" in pr.rule for pr in info.value.problems)


def _record(**kw):
    """An InferenceMAX aggregate record (utils/process_result.py's fields)."""
    r = {
        "hw": "h200", "infmax_model_prefix": "dsr1", "model": "deepseek-ai/DeepSeek-R1-0528",
        "framework": "trt", "precision": "fp8", "spec_decoding": "none", "disagg": False,
        "is_multinode": False, "isl": 1024, "osl": 1024, "conc": 4, "tp": 8, "ep": 8,
        "dp_attention": "false", "tput_per_gpu": 68.67, "output_tput_per_gpu": 34.34,
        "median_intvty": 72.29, "mean_intvty": 70.0,
    }  # fmt: skip
    r.update(kw)
    return r


def test_inferencemax_results_are_read_and_foreign_records_left_out(tmp_path):
    recs = [
        _record(),
        _record(
            hw="b200-nb_1",
            precision="fp4",
            conc=64,
            tput_per_gpu=2000.0,
            output_tput_per_gpu=1000.0,
            median_intvty=40.0,
            framework="sglang",
        ),  # fmt: skip
        _record(hw="mi355x-amd_3"),  # a GPU data/gpus.csv lacks
        _record(is_multinode=True, disagg=True),  # disaggregated over several nodes
        _record(isl=None, osl=None),  # an agentic-trace record
    ]
    p = tmp_path / "agg_bmk.json"
    p.write_text(json.dumps(recs))
    df = ie.read_inferencemax_results(p)
    assert list(df["gpu"]) == ["h200", "b200"] and list(df["engine"]) == ["trt", "sglang"]
    assert list(df["tokens_per_s_per_user"]) == [72.29, 40.0]
    assert list(df["total_tokens_per_s_per_gpu"]) == [68.67, 2000.0]
    assert df["dp_attention"].eq(False).all()
    left = df.attrs["left_out"]
    assert [r["reason"] for r in left] == [
        "GPU not in data/gpus.csv",
        "multi-node or disaggregated",
        "no fixed prompt/output lengths (agentic trace)",
    ]
    assert ie.read_inferencemax_results(p, statistic="mean")["tokens_per_s_per_user"][0] == 70.0
    assert ds.dataset_for_file(p) is ds.DATASETS["inferencemax_results"]
    one = tmp_path / "agg_one.json"
    one.write_text(json.dumps(_record()))
    assert len(ie.read_inferencemax_results(one)) == 1
    check = ie.check_frontier(df)  # reads through to the check
    assert set(check["model"]) == {"DeepSeek-V3"}


def test_inferencemax_results_broken(tmp_path):
    p = tmp_path / "agg_bmk.json"
    p.write_text("{not json")
    with pytest.raises(ie.DataValidationError, match="not readable JSON"):
        ie.read_inferencemax_results(p)
    p.write_text(json.dumps([_record(tput_per_gpu="x"), _record(conc=8, median_intvty=-1)]))
    with pytest.raises(ie.DataValidationError) as info:
        ie.read_inferencemax_results(p)
    assert {(2, "total_tokens_per_s_per_gpu"), (3, "tokens_per_s_per_user")} <= {
        (pr.line, pr.column) for pr in info.value.problems
    }
    with pytest.raises(ValueError, match="statistic"):
        ie.read_inferencemax_results(p, statistic="p90")
    with pytest.raises(FileNotFoundError):
        ie.read_inferencemax_results(tmp_path / "absent.json")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("DeepSeek-R1", "DeepSeek-V3"),
        ("deepseek-ai/DeepSeek-R1-0528", "DeepSeek-V3"),
        ("dsr1", "DeepSeek-V3"),
        ("gptoss", "gpt-oss-120b"),
        ("openai/gpt-oss-120b", "gpt-oss-120b"),
        ("DeepSeek-V3", "DeepSeek-V3"),
    ],
)
def test_sweep_model_names(name, expected):
    assert ie.sweep_model_name(name) == expected


def test_unknown_sweep_model_is_named():
    with pytest.raises(ValueError, match="Grok-9"):
        ie.sweep_model_name("Grok-9")


@pytest.fixture(scope="module")
def bundled():
    return ie.load_moe_serving_sweeps()


def test_the_bundled_inferencex_sweeps(bundled, published):
    # data/moe_serving_sweeps.csv: 402 single-node DeepSeek-R1 load levels from InferenceX
    assert len(bundled) == 402
    assert bundled["gpu"].value_counts().to_dict() == {"b200": 321, "h200": 66, "mi300x": 15}
    assert set(bundled["model"]) == {"dsr1"} and set(bundled["engine"]) == {"trt", "sglang"}
    assert (
        bundled["source_url"]
        .str.match(r"^https://github\.com/SemiAnalysisAI/InferenceX/actions/runs/\d+/attempts/\d+$")
        .all()
    )
    # golden rows, as the InferenceX-app snapshot @ 3a600f1 prints them: MI300X, SGLang
    # (lmsysorg/sglang:v0.5.9-rocm700-mi30x), fp8, TP8, 1k/1k, concurrency 4, run 22469096331:
    # median_intvty 40.90271844966803, output_tput_per_gpu 19.305697335166606, tput_per_gpu
    # 38.8001970169873
    key = ["gpu", "engine", "prompt_tokens", "output_tokens", "concurrency"]
    mi = bundled.set_index(key).loc[("mi300x", "sglang", 1024, 1024, 4)]
    assert (mi["tokens_per_s_per_user"], mi["tokens_per_s_per_gpu"]) == pytest.approx(
        (40.90271844966803, 19.305697335166606)
    )
    assert mi["total_tokens_per_s_per_gpu"] == pytest.approx(38.8001970169873)
    # the H200 TensorRT-LLM sweep transcribed separately into published_serving_sweeps.csv
    # (run 20216641521) is the same to its 6 printed decimals
    trt = bundled[(bundled["gpu"] == "h200") & (bundled["engine"] == "trt")
                  & bundled["source_url"].str.contains("20216641521")]  # fmt: skip
    trt = trt[(trt["prompt_tokens"] == 1024) & (trt["output_tokens"] == 1024)]
    np.testing.assert_allclose(
        trt.sort_values("concurrency")["tokens_per_s_per_gpu"],
        published.sort_values("concurrency")["tokens_per_s_per_gpu"],
        atol=5e-7,
    )
    # every record counts its prompt tokens too: output tokens/s below the total
    assert (bundled["tokens_per_s_per_gpu"] < bundled["total_tokens_per_s_per_gpu"]).all()


def test_the_datasheet_states_todays_check(bundled):
    """data/README.md's "The check today" numbers are what the check computes."""
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "data" / "README.md").read_text()
    text = " ".join(readme.split("## moe_serving_sweeps", 1)[1].split())
    check = ie.check_frontier(bundled)
    s = ie.frontier_check_summary(check, by=()).iloc[0]
    g = ie.frontier_check_summary(check, by=("gpu",)).set_index("gpu")
    mc = ie.check_matched_concurrency(bundled).groupby("gpu")["tpot_ratio"].median()
    rank = ie.frontier_gpu_ranking(check)
    stated = [
        f"{s.geomean_ratio:.2f}x at the geometric mean over the {int(s.n_points)} envelope "
        f"points (median {s.median_ratio:.2f}x)",
        f"H200 {g.loc['H200-SXM', 'geomean_ratio']:.2f}x "
        f"(median {g.loc['H200-SXM', 'median_ratio']:.2f}x)",
        f"B200 {g.loc['B200-HGX', 'geomean_ratio']:.2f}x "
        f"(median {g.loc['B200-HGX', 'median_ratio']:.2f}x)",
        f"MI300X {g.loc['MI300X', 'geomean_ratio']:.2f}x "
        f"(median {g.loc['MI300X', 'median_ratio']:.2f}x)",
        f"{check.ceiling_ratio.min():.1f}x to {check.ceiling_ratio.max():.0f}x above",
        f"({int(rank['ranking_agrees'].sum())} of {len(rank)} ranking rows agree",
        f"{mc['H200-SXM']:.2f} on H200, {mc['B200-HGX']:.2f} on B200) and "
        f"{mc['MI300X']:.2f}x too short on MI300X",
        f"{int(s.n_unreached)} measured points are faster per user",
    ]
    for phrase in stated:
        assert phrase in text, phrase
    assert int(s.n_beats_ceiling) == 0


def _app_record(**kw):
    """An InferenceX web app record (its /api/benchmarks rows: nested metrics, run_url)."""
    r = {
        "hardware": "mi300x", "framework": "sglang", "model": "dsr1", "precision": "fp8",
        "spec_method": "none", "disagg": False, "is_multinode": False, "prefill_tp": 8,
        "decode_tp": 8, "decode_ep": 1, "decode_dp_attention": False, "isl": 1024, "osl": 8192,
        "conc": 16, "image": "lmsysorg/sglang:v0.5.2-rocm630-mi30x",
        "metrics": {"median_intvty": 31.5, "mean_intvty": 31.0, "tput_per_gpu": 60.5,
                    "output_tput_per_gpu": 53.8},
        "date": "2025-10-06", "run_url": "https://github.com/SemiAnalysisAI/InferenceX/actions/runs/1",
    }  # fmt: skip
    r.update(kw)
    return r


def test_inferencex_web_app_records_are_read(tmp_path):
    # the app's records nest the metrics and name the decode pool's parallelism decode_*;
    # both forms may sit in one file
    recs = [_app_record(), _app_record(conc=32, disagg=True, is_multinode=True), _record()]
    p = tmp_path / "benchmarks.json"
    p.write_text(json.dumps(recs))
    df = ie.read_inferencemax_results(p)
    assert list(df["gpu"]) == ["mi300x", "h200"]
    first = df.iloc[0]
    assert (first["tensor_parallel"], first["expert_parallel"], first["concurrency"]) == (8, 1, 16)
    assert (first["prompt_tokens"], first["output_tokens"]) == (1024, 8192)
    assert (first["tokens_per_s_per_user"], first["total_tokens_per_s_per_gpu"]) == (31.5, 60.5)
    assert first["tokens_per_s_per_gpu"] == 53.8 and not first["dp_attention"]
    assert first["source_url"].endswith("/actions/runs/1") and pd.isna(df.iloc[1]["source_url"])
    assert [r["reason"] for r in df.attrs["left_out"]] == ["multi-node or disaggregated"]
