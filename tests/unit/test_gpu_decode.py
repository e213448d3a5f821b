"""benchmarks/gpu_decode.py on CPU with a tiny shape: schema, arithmetic, attention, rejections.

torch is a declared test dependency of these tests (the ``gpu-test`` extra; ``.ci/run`` installs
it): without it they skip in a user's clone and fail under ``CI=true``.

Golden numbers for Llama-3.1-8B, each derived by hand from the model's published shape
(``config.json``: 32 layers, hidden 4096, 32 query / 8 KV heads of 128, SwiGLU 14336, vocabulary
128256, untied embeddings):

* parameters: 32 x (2 x 4096 [norms] + 2 x 4096 x 32 x 128 [Q, O] + 2 x 4096 x 8 x 128 [K, V]
  + 3 x 4096 x 14336 [MLP]) + 2 x 128256 x 4096 [embedding, LM head] + 4096 [final norm]
  = 32 x 218,112,000 + 1,050,673,152 + 4096 = 8,030,261,248, which is also Hugging Face's
  safetensors total for meta-llama/Llama-3.1-8B (as ``data/models.csv`` records);
* bf16 weights: 8,030,261,248 x 2 B = 16,060,522,496 B;
* bf16 KV cache: 2 (K, V) x 32 layers x 8 heads x 128 x 2 B = 131,072 B per token, so
  512 tokens at batch 1 = 67,108,864 B and 4096 tokens at batch 128 = 68,719,476,736 B.

The same numbers are the ``params``, ``weight_gb`` and ``kv_gb`` columns of the H200
measurements (``data/h200_decode.csv``, transcribed from
``../shared/reference/measurements/h200_decode_llama-3.1-8b.csv``), checked row by row below.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import inferecon.datasets as ds
from inferecon.datasets import DECODE_MEASUREMENTS_SCHEMA

# torch is imported where it is used (the script imports it too): importing it at collection
# would cost every pytest-xdist worker ~1.5 s of CPU, not only the one that runs these tests
HAS_TORCH = importlib.util.find_spec("torch") is not None

pytestmark = [
    pytest.mark.requires(
        HAS_TORCH,
        reason="torch is not installed: pip install -e '.[test,gpu-test]' (CPU build) runs these "
        "tests of benchmarks/gpu_decode.py",
    ),
]

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "gpu_decode.py"
# the schema of data/h200_decode.csv, as the package validates it
COLUMNS = list(DECODE_MEASUREMENTS_SCHEMA.names)
TINY = {
    "name": "Tiny-Test",
    "family": "test",
    "attention": "gqa",
    "n_layers": 2,
    "hidden_size": 64,
    "n_heads": 4,
    "n_kv_heads": 2,
    "head_dim": 16,
    "intermediate_size": 128,
    "vocab_size": 256,
    "tied_embeddings": False,
    "n_experts": 0,
}
LLAMA_8B = {
    "name": "Llama-3.1-8B",
    "attention": "gqa",
    "n_layers": 32,
    "hidden_size": 4096,
    "n_heads": 32,
    "n_kv_heads": 8,
    "head_dim": 128,
    "intermediate_size": 14336,
    "vocab_size": 128256,
    "tied_embeddings": False,
    "n_experts": 0,
}


@pytest.fixture(scope="module")
def torch():
    import torch

    return torch


@pytest.fixture(scope="module")
def gd():
    spec = importlib.util.spec_from_file_location("gpu_decode", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["gpu_decode"] = mod  # dataclass/type lookups need the module registered
    spec.loader.exec_module(mod)
    yield mod
    sys.modules.pop("gpu_decode", None)


@pytest.fixture(scope="module")
def tiny_df(gd):
    return gd.run(
        TINY,
        batches=[1, 3],
        contexts=[8, 64],
        prefills=[16, 32],
        device="cpu",
        min_seconds=0.02,
        verbose=False,
    )


def analytic_params(s: dict, tied: bool | None = None) -> int:
    h, d, layers = s["hidden_size"], s["head_dim"], s["n_layers"]
    attn = h * s["n_heads"] * d * 2 + h * s["n_kv_heads"] * d * 2
    mlp = 3 * h * s["intermediate_size"]
    norms = 2 * h
    tied = s["tied_embeddings"] if tied is None else tied
    emb = s["vocab_size"] * h * (1 if tied else 2)
    return layers * (attn + mlp + norms) + emb + h


def test_columns_and_rows(tiny_df):
    assert list(tiny_df.columns) == COLUMNS
    assert (tiny_df["kind"] == "decode").sum() == 4
    assert (tiny_df["kind"] == "prefill").sum() == 2
    assert set(tiny_df["model"]) == {"tiny-test"}
    assert tiny_df["gpu"].str.startswith("CPU (").all()
    assert (tiny_df["step_ms"] > 0).all()


def test_decode_throughput_arithmetic(tiny_df):
    dec = tiny_df[tiny_df["kind"] == "decode"]
    for _, r in dec.iterrows():
        assert r["tokens_per_s_total"] == pytest.approx(
            r["batch"] * r["tokens_per_s_per_user"], rel=1e-9
        )
        assert r["tokens_per_s_total"] == pytest.approx(
            r["batch"] / (r["step_ms"] / 1000), rel=1e-9
        )
    assert sorted(zip(dec["context"], dec["batch"], strict=True)) == [
        (8, 1),
        (8, 3),
        (64, 1),
        (64, 3),
    ]


def test_prefill_rows(tiny_df):
    pre = tiny_df[tiny_df["kind"] == "prefill"]
    assert (pre["batch"] == 1).all()
    assert pre["tokens_per_s_per_user"].isna().all()
    for _, r in pre.iterrows():
        assert r["tokens_per_s_total"] == pytest.approx(
            r["context"] / (r["step_ms"] / 1000), rel=1e-9
        )


def test_no_power_on_cpu(tiny_df):
    assert tiny_df["avg_power_w"].isna().all()
    assert tiny_df["joules_per_token"].isna().all()


def test_params_and_bytes(gd, tiny_df):
    model = gd.build_model(TINY, device="cpu")
    built = sum(p.numel() for p in model.parameters())
    assert built == analytic_params(TINY) == gd.count_params(TINY)
    assert (tiny_df["params"] == built).all()
    assert tiny_df["weight_gb"].tolist() == pytest.approx([built * 4 / 1e9] * len(tiny_df))
    s = TINY
    for _, r in tiny_df.iterrows():
        kv = 2 * s["n_layers"] * s["n_kv_heads"] * s["head_dim"] * r["context"] * r["batch"] * 4
        assert r["kv_gb"] == pytest.approx(kv / 1e9, rel=1e-12)


def test_tied_embeddings_and_layers_override(gd):
    tied = dict(TINY, tied_embeddings="True")
    m = gd.build_model(tied, device="cpu", dtype="bf16")
    assert m.n_params() == analytic_params(TINY, tied=True) == gd.count_params(tied)
    assert m.lm_head is m.embed
    assert m.weight_bytes() == m.n_params() * 2
    m1 = gd.build_model(TINY, n_layers=1, device="cpu")
    assert m1.label == "tiny-test[layers=1]"
    assert m1.n_params() == analytic_params(dict(TINY, n_layers=1))
    assert gd.build_model(TINY, n_layers=2, device="cpu").label == "tiny-test"


def test_llama_8b_counts_match_hand_derivation(gd):
    # the derivations are in the module docstring; integers, so equality is exact
    assert gd.count_params(LLAMA_8B) == 8_030_261_248
    m = gd.build_model(LLAMA_8B, dtype="bf16", device="meta")  # no memory, shapes only
    assert m.n_params() == 8_030_261_248
    assert m.weight_bytes() == 16_060_522_496
    assert m.kv_bytes(1, 1) == 131_072
    assert m.kv_bytes(1, 512) == 67_108_864
    assert m.kv_bytes(128, 4096) == 68_719_476_736


def test_llama_8b_columns_match_the_h200_measurements(gd):
    """params, weight_gb and kv_gb of every row of the published H200 file, recomputed."""
    rows = ds.load_decode_measurements()
    rows = rows[rows["model"] == "llama-3.1-8b"]
    assert set(rows["kind"]) == {"decode", "prefill"}  # 17 + 4 rows in the reference file
    m = gd.build_model(LLAMA_8B, dtype="bf16", device="meta")
    for r in rows.itertuples():
        assert r.params == m.n_params()
        # the file rounds to 5 decimals: |error| <= 5e-6 GB, plus float slack
        assert abs(r.weight_gb - m.weight_bytes() / 1e9) <= 5.000001e-6
        # decode: the cache of all sequences read by one step; prefill: the prompt's cache
        assert abs(r.kv_gb - m.kv_bytes(r.batch, r.context) / 1e9) <= 5.000001e-6, r


def test_decode_attends_over_cache(gd, torch):
    model = gd.build_model(TINY, device="cpu")
    with torch.no_grad():
        cache = model.allocate_kv_cache(2, 10)
        tokens = torch.tensor([3, 7])
        out1 = model.decode_step(tokens, cache).clone()
        again = model.decode_step(tokens, cache)
        torch.testing.assert_close(out1, again)  # the step is repeatable (graph replays)
        cache[:, :, :, :, :5] = torch.randn_like(cache[:, :, :, :, :5])  # earlier positions
        out2 = model.decode_step(tokens, cache)
    assert out1.shape == (2, TINY["vocab_size"])
    assert not torch.allclose(out1, out2)


def test_decode_matches_prefill_last_token(gd, torch):
    """Decode over a cache filled by the same prompt gives the prefill's last-token logits."""
    model = gd.build_model(TINY, device="cpu", dtype="fp32")
    s = model.shape
    prompt = torch.randint(0, s["vocab_size"], (1, 12))
    with torch.no_grad():
        ref = model.prefill(prompt)
        # rebuild the cache of positions 0..10 layer by layer, then decode token 11
        cache = model.allocate_kv_cache(1, 12, fill=False)
        x = torch.nn.functional.embedding(prompt[:, :11], model.embed)
        for i, layer in enumerate(model.layers):
            _, k, v = layer._split(x)
            cache[0, i, 0, :, :11] = k.view(11, s["n_kv_heads"], s["head_dim"]).transpose(0, 1)
            cache[1, i, 0, :, :11] = v.view(11, s["n_kv_heads"], s["head_dim"]).transpose(0, 1)
            x = layer.prefill(x)
        out = model.decode_step(prompt[:, 11], cache)
    # achieved: max |difference| 1.3e-7 over 20 seeds (logits up to 0.52; fp32 eps 1.2e-7);
    # 1e-6 leaves 7x for other BLAS kernels. A wrong head-to-KV mapping or cache slot is >1e-3.
    torch.testing.assert_close(out, ref, rtol=0, atol=1e-6)


def test_energy_meter_arithmetic(gd):
    class FakeMeter:
        def __init__(self):
            self.mj = 0.0

        def read_mj(self):
            self.mj += 1000.0  # 1 J between consecutive reads
            return self.mj

    model = gd.build_model(TINY, device="cpu")
    r = gd.measure_decode(model, 4, 16, min_seconds=0.02, energy_meter=FakeMeter())
    # 1 J over the timed loop of n steps: power = 1 J / (n * step time), J/token = 1 J / (4 n)
    step_s = r["step_ms"] / 1000
    n = 1.0 / (r["avg_power_w"] * step_s)
    assert n == pytest.approx(round(n), rel=1e-9) and round(n) >= 3
    assert r["joules_per_token"] == pytest.approx(r["avg_power_w"] * step_s / 4, rel=1e-9)


def test_memory_skip(gd, capsys):
    df = gd.run(
        TINY,
        batches=[1, 10**6],
        contexts=[1000],
        prefills=[],
        device="cpu",
        min_seconds=0.0,
        free_bytes=2**30,
    )
    out = capsys.readouterr().out
    assert list(df.columns) == COLUMNS
    assert df["batch"].tolist() == [1]
    assert "skip decode batch=1000000 context=1000" in out


def test_unknown_model_lists_names(gd, tmp_path, capsys):
    csv = tmp_path / "models.csv"
    pd.DataFrame([TINY, dict(TINY, name="Other-Model")]).to_csv(csv, index=False)
    assert gd.load_spec("tiny-TEST", csv)["name"] == "Tiny-Test"
    with pytest.raises(ValueError, match=r"known models: Other-Model, Tiny-Test"):
        gd.load_spec("nope-7b", csv)
    assert gd.main(["--model", "nope-7b", "--models-csv", str(csv), "--device", "cpu"]) == 2
    assert "Other-Model, Tiny-Test" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"n_experts": 64, "n_experts_active": 8}, ["mixture-of-experts", "64 experts", "dense"]),
        ({"attention": "mla", "kv_lora_rank": 512}, ["MLA", "latent", "dense GQA"]),
        ({"attention": "MLA", "n_experts": 256}, ["mixture-of-experts", "MLA", "dense GQA"]),
    ],
)
def test_moe_and_mla_rejected(gd, change, words):
    spec = dict(TINY, name="Big-MoE", **change)
    with pytest.raises(gd.UnsupportedModelError) as err:
        gd.build_model(spec, device="cpu")
    msg = str(err.value)
    assert "big-moe" in msg
    for w in words:
        assert w in msg


def test_bundled_models_csv(gd):
    """The package's data/models.csv: dense rows build to their published size, MoE/MLA fail."""
    table = ds.load_models()
    spec = gd.load_spec("LLAMA-3.1-8b")  # any case; the bundled file when no path is given
    assert spec["name"] == "Llama-3.1-8B"
    assert gd.count_params(spec) == int(spec["params_total"]) == 8_030_261_248
    n_dense = 0
    for _, row in table.iterrows():
        if row["attention"].lower() == "mla" or row["n_experts"] > 0:
            with pytest.raises(gd.UnsupportedModelError, match="only builds dense GQA"):
                gd.model_shape(row.to_dict())
        else:
            gd.model_shape(row.to_dict())
            n_dense += 1
    assert 0 < n_dense < len(table)  # both branches ran


def test_cli_writes_csv(gd, tmp_path):
    out = tmp_path / "sub" / "res.csv"
    cmd = [sys.executable, str(SCRIPT), "--device", "cpu", "--tiny", "--min-seconds", "0.05"]
    cmd += ["--batch", "1", "2", "--context", "16", "--prefill", "8", "--out", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert "tokens_per_s_total" in proc.stdout  # the printed table
    df = pd.read_csv(out)
    assert list(df.columns) == COLUMNS
    assert list(df["kind"]) == ["decode", "decode", "prefill"]
    assert df.loc[df["kind"] == "prefill", "tokens_per_s_per_user"].isna().all()
    assert not list(out.parent.glob("*.tmp"))
    back = ds.load_decode_measurements(out)  # validates against the package's schema
    assert len(back) == 3
    assert (back["step_ms"] > 0).all()
