"""A file is loaded whole or not at all, and loading leaves nothing behind.

For every loader: a broken file raises ``DataValidationError`` listing problems from its first
*and* last rows (so the whole file was read before raising), creates no file (in its folder or
the temporary folder), leaves the file untouched, and changes nothing the package remembers (the
bundled tables behind ``get_gpu``, ``get_model``, ``get_law``). A path that does not exist raises
``FileNotFoundError``: no loader falls back to bundled data.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pandas as pd
import pytest

import inferecon as ie
from inferecon import datasets as ds

DATA = Path(__file__).resolve().parents[2] / "data"

# one numeric column per bundled dataset, where the first and last rows get a non-number
NUMERIC = {
    "llm_prices.csv": "input_usd_per_mtok",
    "published_rates.csv": "value",
    "reasoning_tokens.csv": "output_tokens_per_task",
    "test_time_results.csv": "score_single_pct",
    "gpus.csv": "memory_gb",
    "models.csv": "n_layers",
    "h200_decode.csv": "step_ms",
    "h200_ceilings.csv": "value",
    "published_throughput.csv": "n_gpus",
    "scaling_laws.csv": "value",
    "notable_models.csv": "params",
    "post_training.csv": "post_training_amount",
    "chinchilla_points.csv": "loss",
    "sardana_runs.csv": "Smoothed Loss",
    "published_serving_sweeps.csv": "n_gpus",
    "moe_serving_sweeps.csv": "concurrency",
    "request_lengths.csv": "context_tokens",
    "accelerators.csv": "fp32_tflops",
    "factory_assumptions.csv": "value",
    "operator_timings.csv": "median_ms",
    "collective_timings.csv": "size_bytes",
    "engine_profiles.csv": "throughput_share_low",
    "serving_scenarios.csv": "prompt_tokens",
    "traffic_minute_counts.csv": "requests",
    "traffic_lengths.csv": "requests",
}


def test_every_bundled_file_has_a_broken_copy_here():
    assert set(NUMERIC) == set(ds.BUNDLED_FILES)


def _broken_copy(name: str, folder: Path) -> tuple[Path, int]:
    df = pd.read_csv(DATA / name, dtype=str, keep_default_na=False)
    col = NUMERIC[name]
    df.loc[0, col] = "oops"
    df.loc[len(df) - 1, col] = "oops"
    p = folder / name
    df.to_csv(p, index=False)
    return p, len(df) + 1  # line number of the last row (the header is line 1)


def _users_files(folder: Path) -> dict[str, tuple[Path, int]]:
    """Broken files for the loaders that have no bundled file."""
    counts = folder / "counts.csv"
    counts.write_text("model,problem_idx,n_samples,n_correct\nm,1,x,0\nm,2,10,3\nm,3,10,y\n")
    runs = folder / "runs.csv"
    runs.write_text("n_params,n_tokens,loss\n-1,1e9,3\n1e8,1e9,3\n1e8,2e9,0\n")
    epoch = folder / "aa_data_with_math5.csv"
    epoch.write_text(
        "Model Name,Release Date,USD per 1M Tokens\na,2024-01-01,-1\nb,2024-02-01,1\nc,soon,1\n"
    )
    svg = folder / "svg_extracted_data.csv"
    svg.write_text("Model Size,Training FLOP,loss\n0,1e20,3\n1e9,1e20,3\n1e9,2e20,-2\n")
    trace = folder / "trace.csv"  # a negative time; an unsorted one with an empty prompt
    trace.write_text("arrival_s,prompt_tokens,output_tokens\n-1,10,5\n2,10,5\n1,0,5\n")
    azure = folder / "AzureLLMInferenceTrace_conv.csv"  # a bad time; a negative length
    azure.write_text(
        "TIMESTAMP,ContextTokens,GeneratedTokens\nnow,10,5\n"
        "2023-11-16 18:15:47.1,10,5\n2023-11-16 18:15:48.2,10,-5\n"
    )
    head = (
        "model,gpu,precision,tensor_parallel,prompt_tokens,output_tokens,concurrency,"
        "tokens_per_s_per_user,tokens_per_s_per_gpu,total_tokens_per_s_per_gpu\n"
    )
    sweeps = folder / "sweeps.csv"  # a zero speed; an output above the total
    sweeps.write_text(
        head + "DeepSeek-R1,H200,fp8,8,1024,1024,4,0,30,60\n"
        "DeepSeek-R1,H200,fp8,8,1024,1024,8,60,50,100\n"
        "DeepSeek-R1,H200,fp8,8,1024,1024,16,50,200,100\n"
    )
    agg = folder / "agg_bmk.json"  # InferenceMAX records: a non-number; a negative speed
    rec = {"hw": "h200", "infmax_model_prefix": "dsr1", "framework": "trt", "precision": "fp8",
           "isl": 1024, "osl": 1024, "tp": 8, "ep": 8, "output_tput_per_gpu": 30}  # fmt: skip
    agg.write_text(
        json.dumps(
            [
                {**rec, "conc": 4, "tput_per_gpu": "x", "median_intvty": 70},
                {**rec, "conc": 8, "tput_per_gpu": 100, "median_intvty": 60},
                {**rec, "conc": 16, "tput_per_gpu": 150, "median_intvty": -1},
            ]
        )
    )
    return {
        "moe_serving_sweeps": (sweeps, 4),
        "inferencemax_results": (agg, 4),
        "request_trace": (trace, 4),
        "sampling_counts": (counts, 4),
        "training_runs": (runs, 4),
        "epoch_prices": (epoch, 4),
        "epoch_chinchilla": (svg, 4),
        "azure_llm_trace": (azure, 4),
    }


@pytest.fixture
def private_tmp(tmp_path, monkeypatch):
    """An empty temporary folder that ``tempfile`` (and so pandas) would write into."""
    t = tmp_path / "tmp"
    t.mkdir()
    monkeypatch.setenv("TMPDIR", str(t))
    monkeypatch.setattr(tempfile, "tempdir", str(t))
    return t


def _remembered() -> tuple:
    """What the package remembers from its bundled files (serving and scaling tables)."""
    return (
        ie.get_gpu("H100-SXM"),
        ie.get_model("Llama-3.1-8B"),
        ie.get_law("chinchilla_printed"),
    )


def _all_broken(folder: Path) -> list[tuple[str, ds.Dataset, Path, int]]:
    cases = []
    for name, d in ds.BUNDLED_FILES.items():
        sub = folder / d.name
        sub.mkdir(parents=True)
        p, last = _broken_copy(name, sub)
        cases.append((d.name, d, p, last))
    users = folder / "users"
    users.mkdir()
    for key, (p, last) in _users_files(users).items():
        cases.append((key, ds.DATASETS[key], p, last))
    return cases


def test_a_broken_file_is_rejected_whole_and_leaves_nothing_behind(tmp_path, private_tmp):
    before = _remembered()
    bundled = {n: d.load(None) for n, d in ds.BUNDLED_FILES.items()}
    cases = _all_broken(tmp_path / "files")
    assert {c[0] for c in cases} == set(ds.DATASETS)  # every loader is exercised
    for key, d, path, last in cases:
        listing = sorted(path.parent.iterdir())
        content, mtime = path.read_bytes(), path.stat().st_mtime_ns
        with pytest.raises(ie.DataValidationError) as info:
            d.load(path)
        lines = {p.line for p in info.value.problems}
        assert 2 in lines and last in lines, (key, lines)  # first and last rows both read
        assert all(str(path) in p.file for p in info.value.problems), key
        assert sorted(path.parent.iterdir()) == listing, key  # no file created beside it
        assert path.read_bytes() == content and path.stat().st_mtime_ns == mtime, key
    assert list(private_tmp.iterdir()) == []  # nothing written to the temporary folder
    assert _remembered() == before
    for n, d in ds.BUNDLED_FILES.items():
        pd.testing.assert_frame_equal(d.load(None), bundled[n])


def test_loading_a_users_file_does_not_change_the_bundled_tables(tmp_path):
    """A valid user's gpus.csv with another H100 bandwidth is returned, not remembered."""
    before = _remembered()
    df = pd.read_csv(DATA / "gpus.csv", dtype=str, keep_default_na=False)
    df.loc[df["name"] == "H100-SXM", "hbm_tb_s"] = "9.99"
    p = tmp_path / "gpus.csv"
    df.to_csv(p, index=False)
    mine = ie.load_gpus(p)
    assert mine.set_index("name").loc["H100-SXM", "hbm_tb_s"] == 9.99
    assert ie.get_gpu("H100-SXM").hbm_tb_s == 3.35  # NVIDIA H100 SXM datasheet: 3.35 TB/s
    assert _remembered() == before


@pytest.mark.parametrize("key", sorted(ds.DATASETS))
def test_a_path_that_does_not_exist_raises(tmp_path, key):
    d = ds.DATASETS[key]
    with pytest.raises(FileNotFoundError, match="not found"):
        d.load(tmp_path / "missing.csv")
    with pytest.raises(FileNotFoundError):
        d.load(str(tmp_path / "missing.csv"))  # a string path too
    if key != "epoch_prices":  # a folder is that loader's way of reading Epoch's two files
        with pytest.raises(FileNotFoundError):
            d.load(tmp_path)


@pytest.mark.parametrize("key", sorted(k for k, d in ds.DATASETS.items() if d.file is None))
def test_users_only_loaders_need_a_path(key):
    with pytest.raises((TypeError, ValueError)):
        ds.DATASETS[key].load(None)
