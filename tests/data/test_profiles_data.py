"""Vidur's operator and collective timings (data/operator_timings.csv, collective_timings.csv).

The files are derived from Microsoft's Vidur profiles (MIT) by data/derive/vidur_profiles.py;
golden values below are read from the upstream CSVs (microsoft/vidur @ 7d47513,
data/profiling/...), and the derivation is rerun against ../shared/reference/vidur-profiling
when that folder is present.
"""

from __future__ import annotations

import csv
import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import inferecon as ie
from inferecon import datasets as ds

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"
UPSTREAM = ROOT.parent / "shared" / "reference" / "vidur-profiling"
needs_upstream = pytest.mark.skipif(
    not UPSTREAM.is_dir(),
    reason=f"Vidur's profiles not at {UPSTREAM} (the shared reference folder of this project)",
)


@pytest.fixture(scope="module")
def ops():
    return ie.load_operator_timings()


@pytest.fixture(scope="module")
def coll():
    return ie.load_collective_timings()


def _linear(ops):
    return ops[ops["operator"].isin(ie.LINEAR_OPERATORS)]


def _script():
    spec = importlib.util.spec_from_file_location(
        "vidur_profiles", DATA / "derive/vidur_profiles.py"
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


# --------------------------------------------------------------------------- loading


def test_bundled_files_load_registered_and_small(ops, coll):
    assert ds.DATASETS["operator_timings"].load is ie.load_operator_timings
    assert ds.DATASETS["collective_timings"].load is ie.load_collective_timings
    assert ds.dataset_for_file("operator_timings.csv").name == "operator_timings"
    assert ds.dataset_for_file("collective_timings.csv").name == "collective_timings"
    assert len(ops) == 17_752 and len(coll) == 6_440  # data/README.md and README.md say so
    for name in ("operator_timings.csv", "collective_timings.csv"):
        assert (DATA / name).stat().st_size < 1.5e6, name
    assert set(ops["gpu"]) == set(coll["gpu"]) == {"A100-80GB-SXM", "H100-SXM", "A40"}
    assert set(ops["operator"]) == set(ie.LINEAR_OPERATORS) | set(ie.ELEMENTWISE_OPERATORS)
    assert set(ops["tensor_parallel"]) == {1, 2, 4, 8}
    assert ops["use_gated_mlp"].dtype == "boolean" and ops["tokens"].dtype == "int64"
    assert set(coll["collective"]) == {"all_reduce", "send_recv"}
    # every GPU name resolves, as printed by tools too
    for g in set(ops["gpu"]):
        assert ie.match_gpu(g).name == g
    assert ie.get_gpu("A40").name == ie.match_gpu("NVIDIA A40").name == "A40"
    assert ie.match_gpu("NVIDIA A100-SXM4-80GB").name == "A100-80GB-SXM"


def test_a40_row_has_its_datasheet_values():
    # NVIDIA A40 datasheet: 48 GB GDDR6, 696 GB/s, BF16 tensor 149.7 dense (299.4 sparse),
    # no FP8/FP4, 300 W, 84 SMs, NVLink bridge 112.5 GB/s both directions = 56.25 each way
    g = ie.get_gpu("A40")
    assert (g.memory_gb, g.hbm_tb_s, g.bf16_dense_tflops, g.tdp_w, g.n_sm) == (
        48,
        0.696,
        149.7,
        300,
        84,
    )
    assert np.isnan(g.fp8_dense_tflops) and np.isnan(g.fp4_dense_tflops)
    assert g.interconnect_gb_s == 112.5 / 2
    assert ie.native_precisions("A40") == ["bf16"]
    assert ie.default_all_in_kw_per_gpu("A40") == (0.741, "assumption")  # 300 W x 1.73 / 0.70


def _write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def _first_row_of(name: str, drop: str | None = None):
    """The file's header (less ``drop``) and a builder of copies of its first row, changed."""
    raw = pd.read_csv(DATA / name, dtype=str, keep_default_na=False)
    if drop is not None:
        raw = raw.drop(columns=drop)
    header, good = list(raw.columns), raw.iloc[0].to_dict()

    def row(**changes):
        return [{**good, **changes}[c] for c in header]

    return header, row


def test_broken_operator_copy_lists_every_problem(tmp_path):
    header, row = _first_row_of("operator_timings.csv")
    rows = [
        row(),  # line 2
        row(gpu="B300-imaginary", tokens="2"),  # 3: unknown GPU
        row(operator="softmax", tokens="3"),  # 4: unknown operator
        row(tokens="0"),  # 5: below 1 token
        row(tokens="5", min_ms="9", median_ms="1"),  # 6: minimum above the median
        row(tokens="6", n_kv_head="5"),  # 7: 64 heads not a multiple of 5; shape differs
        row(tokens="7", use_gated_mlp="maybe"),  # 8: not a boolean
        row(),  # 9: duplicate of line 2
        row(tokens="9", tensor_parallel="1.5"),  # 10: not an integer
    ]
    p = _write(tmp_path / "operator_timings.csv", header, rows)
    with pytest.raises(ie.DataValidationError) as info:
        ie.load_operator_timings(p)
    found = {(pr.line, pr.column) for pr in info.value.problems}
    assert found == {
        (3, "gpu"),
        (4, "operator"),
        (5, "tokens"),
        (6, "min_ms"),
        (7, "n_kv_head"),
        (7, "model"),
        (8, "use_gated_mlp"),
        (9, "gpu,model,operator,tensor_parallel,tokens"),
        (10, "tensor_parallel"),
    }
    msg = str(info.value)
    assert str(p) in msg and "'B300-imaginary' names no GPU" in msg
    assert "min_ms=9 exceeds median_ms=1" in msg


def test_broken_collective_copy_lists_every_problem(tmp_path):
    header, row = _first_row_of("collective_timings.csv", drop="interconnect")  # column missing
    rows = [
        row(),  # 2
        row(collective="all_to_all", size_bytes="3"),  # 3
        row(n_gpus="1", gpus_per_node="1", size_bytes="4"),  # 4: fewer than two GPUs
        row(n_gpus="2", gpus_per_node="4", size_bytes="5"),  # 5: more per node than in all
        row(median_ms="-1", size_bytes="6"),  # 6: negative time (and min above it)
    ]
    p = _write(tmp_path / "collective_timings.csv", header, rows)
    with pytest.raises(ie.DataValidationError) as info:
        ie.load_collective_timings(p)
    found = {(pr.line, pr.column) for pr in info.value.problems}
    assert found == {
        (None, "interconnect"),
        (3, "collective"),
        (4, "n_gpus"),
        (5, "gpus_per_node"),
        (6, "median_ms"),
        (6, "min_ms"),
    }


# --------------------------------------------------------------------------- golden values


@pytest.mark.parametrize(
    ("gpu", "model", "operator", "tp", "tokens", "median", "minimum", "std"),
    [
        # compute/a100/meta-llama/Llama-2-7b-hf/mlp.csv, attn_pre_proj (first row upstream)
        ("A100-80GB-SXM", "Llama-2-7b-hf", "qkv", 1, 4096, 1.911, 1.711, 0.0712),
        # compute/h100/meta-llama/Llama-2-7b-hf/mlp.csv, mlp_up_proj: a tile step at 136 tokens
        ("H100-SXM", "Llama-2-7b-hf", "mlp_up", 1, 136, 0.126, 0.125, 0.0009),
        # compute/a40/meta-llama/Llama-2-70b-hf/mlp.csv, mlp_up_proj and mlp_down_proj
        ("A40", "Llama-2-70b-hf", "mlp_up", 1, 4096, 35.424, 33.899, 3.1361),
        ("A40", "Llama-2-70b-hf", "mlp_down", 4, 1, 0.207, 0.207, 0.0),
        # compute/a100/meta-llama/Meta-Llama-3-8B/mlp.csv, mlp_act
        ("A100-80GB-SXM", "Meta-Llama-3-8B", "act", 8, 1024, 0.012, 0.012, 0.0004),
    ],
)
def test_operator_golden_values_from_upstream(
    ops, gpu, model, operator, tp, tokens, median, minimum, std
):
    sel = ops[
        (ops["gpu"] == gpu)
        & (ops["model"] == model)
        & (ops["operator"] == operator)
        & (ops["tensor_parallel"] == tp)
        & (ops["tokens"] == tokens)
    ]
    assert len(sel) == 1
    r = sel.iloc[0]
    assert (r["median_ms"], r["min_ms"], r["std_ms"]) == (median, minimum, std)


@pytest.mark.parametrize(
    ("node", "collective", "n", "per_node", "size", "median", "minimum"),
    [
        ("a100_dgx", "all_reduce", 2, 2, 64 << 20, 0.43, 0.43),  # a100_dgx/all_reduce.csv
        ("h100_dgx", "all_reduce", 8, 8, 2048, 0.037, 0.015),  # h100_dgx/all_reduce.csv
        ("a40_pairwise_nvlink", "send_recv", 2, 2, 64 << 20, 16.9, 16.831),
    ],
)
def test_collective_golden_values_from_upstream(
    coll, node, collective, n, per_node, size, median, minimum
):
    sel = coll[
        (coll["node"] == node)
        & (coll["collective"] == collective)
        & (coll["n_gpus"] == n)
        & (coll["gpus_per_node"] == per_node)
        & (coll["size_bytes"] == size)
    ]
    assert len(sel) == 1
    assert (sel.iloc[0]["median_ms"], sel.iloc[0]["min_ms"]) == (median, minimum)


def test_model_shapes_are_the_published_ones(ops):
    # Llama-2-7B: 4096 hidden, 32 heads, 11008 MLP; Llama-2-70B and Llama-3-70B: 8192, 64 heads,
    # 8 KV heads, 28672; Llama-3-8B: 4096, 32/8, 14336; phi-2: 2560, 32 heads, 10240, not gated
    shapes = ops.groupby("model")[["n_embd", "n_head", "n_kv_head", "n_expanded_embd"]].first()
    assert shapes.loc["Llama-2-7b-hf"].tolist() == [4096, 32, 32, 11008]
    assert shapes.loc["Llama-2-70b-hf"].tolist() == [8192, 64, 8, 28672]
    assert shapes.loc["Meta-Llama-3-70B"].tolist() == [8192, 64, 8, 28672]
    assert shapes.loc["Meta-Llama-3-8B"].tolist() == [4096, 32, 8, 14336]
    assert shapes.loc["phi-2"].tolist() == [2560, 32, 32, 10240]
    assert not ops.loc[ops["model"] == "phi-2", "use_gated_mlp"].any()


# --------------------------------------------------------------------------- physics


def _linear_flops(lin: pd.DataFrame) -> np.ndarray:
    head_dim = lin["n_embd"] / lin["n_head"]
    up = lin["n_expanded_embd"] * np.where(lin["use_gated_mlp"].astype(bool), 2, 1)
    k_times_n = np.select(
        [lin["operator"] == o for o in ie.LINEAR_OPERATORS],
        [
            lin["n_embd"] * (lin["n_head"] + 2 * lin["n_kv_head"]) * head_dim,
            lin["n_embd"] * lin["n_head"] * head_dim,
            lin["n_embd"] * up,
            lin["n_embd"] * lin["n_expanded_embd"],
        ],
    )
    return 2.0 * lin["tokens"].to_numpy() * k_times_n / lin["tensor_parallel"].to_numpy()


def test_no_gemm_beats_its_gpus_datasheet_peak(ops):
    # achieved FLOP/s <= the dense BF16 peak of gpus.csv (A100 312, H100 989, A40 149.7); the
    # best points reach 87-90%, and the large GEMMs at least half of peak
    lin = _linear(ops)
    peak = lin["gpu"].map(lambda g: ie.get_gpu(g).bf16_dense_tflops).to_numpy()
    share = _linear_flops(lin) / (lin["median_ms"].to_numpy() * 1e-3) / 1e12 / peak
    assert share.max() < 0.95
    big = (lin["tokens"] == 4096).to_numpy() & (lin["tensor_parallel"] == 1).to_numpy()
    assert share[big].min() > 0.5


def test_time_grows_with_tokens_past_the_memory_bound_region(ops):
    # at fixed shape, 4x the tokens costs 2.3-4.4x the time from 1,024 tokens on (compute-bound:
    # about 4x), and every doubling past 2,048 costs at least 1.5x (tile steps aside)
    lin = _linear(ops)
    table = lin.pivot_table(
        index=["gpu", "model", "operator", "tensor_parallel"], columns="tokens", values="median_ms"
    )
    ratio = table[4096] / table[1024]
    assert (ratio > 2.0).all() and (ratio < 4.6).all()
    for t in (2048, 4096, 8192, 16384):  # each doubling from 2,048 on: 1.56-2.73x measured
        double = (table[2 * t] / table[t]).dropna()
        assert len(double) and (double > 1.5).all() and (double < 2.9).all(), t
    # ... while at 1-16 tokens (memory-bound: weights read once) it barely moves
    # (1.0-1.1x for most shapes; up to 1.63x for the smallest TP-8 shards, a few microseconds)
    small = table[16] / table[1]
    assert (small < 1.7).all() and small.median() < 1.1


def test_tensor_parallel_shards_take_less_time_at_large_tokens(ops):
    # each of TP GPUs does 1/TP of the work: at 4,096 tokens TP 2 takes 0.44-0.55 of TP 1's time
    lin = _linear(ops)
    table = lin[lin["tokens"] == 4096].pivot_table(
        index=["gpu", "model", "operator"], columns="tensor_parallel", values="median_ms"
    )
    table = table.dropna()  # phi-2 is profiled at TP 1 only
    assert len(table) == 32
    half = table[2] / table[1]
    assert ((half > 0.4) & (half < 0.6)).all()
    assert (table[8] < table[4]).all() and (table[4] < table[2]).all()


def test_collective_time_grows_with_size(coll):
    for key, g in coll.groupby(["node", "collective", "n_gpus", "gpus_per_node"]):
        g = g.sort_values("size_bytes")
        t = g["median_ms"].to_numpy()
        assert t[-1] > 5 * t[0], key  # 64 MiB costs far more than 2 KiB
        big = g[g["size_bytes"] >= 1 << 20]
        rho = big["size_bytes"].rank().corr(big["median_ms"].rank())
        assert rho > 0.9, key
    # within one DGX node an all-reduce over more GPUs moves the same message no faster
    dgx = coll[(coll["node"] == "h100_dgx") & (coll["collective"] == "all_reduce")]
    at = dgx[dgx["size_bytes"] == 64 << 20].set_index("n_gpus")["median_ms"]
    assert at[2] < at[4] < at[8]


def test_cross_node_is_slower_than_nvlink(coll):
    # a 64 MiB all-reduce between two A100 DGX nodes takes 11.4 ms, within one node 0.43 ms
    big = coll[(coll["node"] == "a100_dgx") & (coll["size_bytes"] == 64 << 20)]
    t = big.set_index(["collective", "n_gpus", "gpus_per_node"])["median_ms"]
    assert t[("all_reduce", 2, 1)] > 10 * t[("all_reduce", 2, 2)]
    assert t[("send_recv", 2, 1)] > 5 * t[("send_recv", 2, 2)]


# --------------------------------------------------------------------------- derivation


def test_thinning_rules():
    m = _script()
    kept = [t for t in range(1, 4097) if m.keep_tokens_linear(t)]
    assert kept[:20] == list(range(1, 21))  # every count up to 128 (upstream: 1, 2, 4, 8, 16...)
    assert [t for t in kept if 256 <= t < 512] == list(range(256, 512, 16))
    assert [t for t in kept if 2048 <= t < 4096] == list(range(2048, 4096, 128))
    assert [t for t in range(1, 70) if m.keep_tokens_elementwise(t)] == [1, 2, 4, 8, 16, 32, 64]


@needs_upstream
def test_derivation_rebuilds_the_shipped_files_byte_for_byte():
    texts = _script().derive(UPSTREAM)
    for name, text in texts.items():
        assert text == (DATA / name).read_text(encoding="utf-8"), name


@needs_upstream
def test_skipped_h100_send_recv_is_still_a_copy_upstream():
    # the script leaves out h100_pairwise_nvlink/send_recv.csv because it is the A100 file
    net = UPSTREAM / "network"
    a = (net / "a100_pairwise_nvlink/send_recv.csv").read_bytes()
    assert (net / "h100_pairwise_nvlink/send_recv.csv").read_bytes() == a


@needs_upstream
def test_golden_values_match_the_upstream_csv(ops):
    up = pd.read_csv(UPSTREAM / "compute/a40/meta-llama/Llama-2-7b-hf/mlp.csv")
    up = up.drop_duplicates(["num_tokens", "num_tensor_parallel_workers"])
    mine = ops[
        (ops["gpu"] == "A40") & (ops["model"] == "Llama-2-7b-hf") & (ops["operator"] == "qkv")
    ]
    merged = mine.merge(
        up,
        left_on=["tokens", "tensor_parallel"],
        right_on=["num_tokens", "num_tensor_parallel_workers"],
    )
    assert len(merged) == len(mine) > 300
    np.testing.assert_allclose(
        merged["median_ms"], merged["time_stats.attn_pre_proj.median"], atol=5e-5
    )
    np.testing.assert_allclose(merged["min_ms"], merged["time_stats.attn_pre_proj.min"], atol=5e-4)
