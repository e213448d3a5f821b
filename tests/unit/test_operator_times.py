"""The GEMM (linear-operator) time model of issue 18: shapes, physics, calibration, held-out
error on Microsoft's Vidur profiles (``data/operator_timings.csv``)."""

from __future__ import annotations

import csv
import dataclasses
import functools

import numpy as np
import pandas as pd
import pytest

import inferecon as ie
from inferecon import operator_times as ot

LLAMA2_7B = dict(n_embd=4096, n_head=32, n_kv_head=32, n_expanded_embd=11008, use_gated_mlp=True)
LLAMA2_70B = dict(n_embd=8192, n_head=64, n_kv_head=8, n_expanded_embd=28672, use_gated_mlp=True)


def _table(model=LLAMA2_7B, gpu="H100-SXM", operator="mlp_up", tokens=(1,), tensor_parallel=1):
    tokens = np.atleast_1d(tokens)
    return pd.DataFrame(
        dict(model, gpu=gpu, operator=operator, tokens=tokens, tensor_parallel=tensor_parallel)
    )


@functools.lru_cache(maxsize=1)
def _timings() -> pd.DataFrame:
    t = ie.load_operator_timings()
    return t[t["operator"].isin(ie.LINEAR_OPERATORS)].reset_index(drop=True)


# ---- shapes: hand-computed K and N of Llama-2-7B (head_dim 128, 32 heads, MLP 11008, gated)
@pytest.mark.parametrize(
    "tp, operator, k, n",
    [
        (1, "qkv", 4096, 3 * 4096),  # (32 + 2*32) * 128
        (1, "attn_out", 4096, 4096),
        (1, "mlp_up", 4096, 2 * 11008),
        (1, "mlp_down", 11008, 4096),
        (2, "qkv", 4096, 6144),
        (2, "attn_out", 2048, 4096),
        (2, "mlp_up", 4096, 11008),
        (2, "mlp_down", 5504, 4096),
    ],
)
def test_shapes_of_llama2_7b(tp, operator, k, n):
    s = ie.operator_shapes(_table(operator=operator, tokens=(7,), tensor_parallel=tp))
    assert s[["M", "K", "N"]].iloc[0].tolist() == [7, k, n]


def test_shapes_grouped_query_and_ungated():
    # Llama-2-70B qkv: (64 + 2*8) * 128 = 10240; phi-2 ungated MLP up: 10240 columns
    s = ie.operator_shapes(_table(LLAMA2_70B, operator="qkv", tensor_parallel=4))
    assert s.N.iloc[0] == 10240 / 4
    phi2 = dict(n_embd=2560, n_head=32, n_kv_head=32, n_expanded_embd=10240, use_gated_mlp=False)
    assert ie.operator_shapes(_table(phi2, operator="mlp_up")).N.iloc[0] == 10240


def test_shapes_agree_with_the_data():
    """A wrong shape shows as a systematic error of one operator: none above 5% at the median."""
    t = _timings()
    err = ie.predict_operator_times(t) / t["median_ms"].to_numpy() - 1
    bias = pd.Series(err).groupby([t["gpu"], t["operator"]]).median()
    assert bias.abs().max() < 0.05, bias


# ---- physics
def test_time_non_decreasing_in_tokens():
    tokens = np.arange(1, 8193)
    for op in ie.LINEAR_OPERATORS:
        ms = ie.predict_operator_times(_table(operator=op, tokens=tokens))
        assert np.all(np.diff(ms) >= -1e-12), op


def test_compute_bound_time_grows_with_tokens():
    ms = ie.predict_operator_times(_table(LLAMA2_70B, tokens=(4096, 8192, 16384)))
    assert 1.8 < ms[1] / ms[0] < 2.2 and 1.8 < ms[2] / ms[1] < 2.2


def test_memory_bound_time_grows_with_bytes():
    # one token: the weight read dominates; Llama-2-70B's MLP up (8192 x 57344) is 14x the
    # bytes of Llama-2-7B's (4096 x 22016)
    small = ie.predict_operator_times(_table(LLAMA2_7B, tokens=(1,)))[0]
    big = ie.predict_operator_times(_table(LLAMA2_70B, tokens=(1,)))[0]
    eff = ot.OPERATOR_CALIBRATIONS["H100-SXM"]
    bw = ie.match_gpu("H100-SXM").hbm_tb_s * 1e12 * eff.bandwidth_efficiency
    assert big > 4 * small  # 14x the bytes, plus the same fixed overhead
    spec = ie.match_gpu("H100-SXM")
    n = np.arange(1024, 65536, 256)
    ms = ie.gemm_time_ms(1, 8192, n, spec.bf16_dense_tflops, spec.hbm_tb_s, spec.n_sm, eff)
    assert np.all(np.diff(ms) > 0)
    assert big == pytest.approx(2 * 8192 * 57344 / bw * 1e3 + eff.overhead_us * 1e-3, rel=0.02)


def test_tensor_parallel_halves_large_time():
    for op in ie.LINEAR_OPERATORS:
        one, two = (
            ie.predict_operator_times(
                _table(LLAMA2_70B, operator=op, tokens=(8192,), tensor_parallel=tp)
            )[0]
            for tp in (1, 2)
        )
        assert 1.7 < one / two < 2.3, op


def test_a_skinny_gemm_wastes_the_gpu():
    """At 1 token the GEMM reaches under 1% of peak FLOP/s; at 4,096 over half."""
    spec = ie.match_gpu("A100-80GB-SXM")
    for tokens, low, high in ((1, 0.0, 0.01), (4096, 0.5, 1.0)):
        ms = ie.predict_operator_times(_table(gpu=spec.name, tokens=(tokens,)))[0]
        util = 2 * tokens * 4096 * 22016 / (ms * 1e-3) / (spec.bf16_dense_tflops * 1e12)
        assert low < util < high, (tokens, util)


def test_gemm_time_ms_matches_the_table_path():
    spec = ie.match_gpu("A40")
    eff = ot.OPERATOR_CALIBRATIONS["A40"]
    direct = ie.gemm_time_ms(
        np.array([1, 300, 4096]), 4096, 22016, spec.bf16_dense_tflops, spec.hbm_tb_s, spec.n_sm, eff
    )
    table = ie.predict_operator_times(_table(gpu="A40", tokens=(1, 300, 4096)))
    np.testing.assert_allclose(direct, table, rtol=1e-12)
    assert isinstance(
        ie.gemm_time_ms(1, 4096, 4096, spec.bf16_dense_tflops, spec.hbm_tb_s, spec.n_sm, eff), float
    )


# ---- calibration
def test_calibration_recovers_known_constants():
    truth = ot.OperatorEfficiency("A100-80GB-SXM", 0.7, 0.8, 4.0, 0.6, 2.0, 24.0)
    t = _timings()
    rows = t[(t.gpu == "A100-80GB-SXM") & t.model.isin(["Llama-2-7b-hf", "Llama-2-70b-hf"])]
    rows = rows[rows.tokens <= 4096].copy()
    rows["median_ms"] = ie.predict_operator_times(rows, truth)
    fit = ie.calibrate_operator_model(rows, gpu="A100")
    assert fit.median_ape_pct < 0.5
    for name in ("compute_efficiency", "bandwidth_efficiency", "overhead_us"):
        assert getattr(fit, name) == pytest.approx(getattr(truth, name), rel=0.05), name
    assert fit.n_rows == len(rows) and set(fit.models) == {"Llama-2-7b-hf", "Llama-2-70b-hf"}


def test_stored_calibration_is_the_fit_of_the_shipped_data():
    fit = ie.calibrate_operator_model(_timings(), gpu="A40")
    stored = ot.OPERATOR_CALIBRATIONS["A40"]
    np.testing.assert_allclose(fit._vector(), stored._vector(), rtol=2e-3)
    assert fit.n_rows == stored.n_rows
    assert fit.median_ape_pct == pytest.approx(stored.median_ape_pct, abs=0.01)


# ---- held-out error (golden from the shipped data, 2026-12-06; issue 18's targets are 5% on
# unseen models and 10% on an unseen GPU: the A100 meets 5%, the A40 and H100 do not yet)
LOMO_MEDIAN_PCT = {"A100-80GB-SXM": 4.8, "A40": 6.2, "H100-SXM": 7.0}
LOGO_MEDIAN_PCT = {"A100-80GB-SXM": 5.5, "A40": 7.4, "H100-SXM": 7.9}


def test_held_out_models_error():
    res = ie.operator_leave_one_out(_timings(), by="model")
    rows = res.attrs["rows"]
    for gpu, limit in LOMO_MEDIAN_PCT.items():
        assert rows[rows.gpu == gpu].error_pct.abs().median() < limit, gpu
    assert set(res.columns) >= {"gpu", "held_out", "n_train", "n_test", "median_ape_pct"}
    assert (res.p90_ape_pct > res.median_ape_pct).all()


def test_held_out_gpu_error():
    res = ie.operator_leave_one_out(_timings(), by="gpu").set_index("held_out")
    for gpu, limit in LOGO_MEDIAN_PCT.items():
        assert res.loc[gpu, "median_ape_pct"] < limit < 10.0, gpu
        assert res.loc[gpu, "n_train"] + res.loc[gpu, "n_test"] == len(_timings())


def test_transfer_rule():
    h100_pcie = ie.transferred_operator_efficiency("H100-PCIe")
    assert h100_pcie.gpu == "H100-PCIe" and "transferred from H100-SXM" in h100_pcie.source
    assert h100_pcie._vector().tolist() == ot.OPERATOR_CALIBRATIONS["H100-SXM"]._vector().tolist()
    # the H200 borrows H100-SXM's constants with the compute efficiency scaled to its measured
    # 8192^3 bf16 GEMM: 664.3 TFLOP/s in the raw data/h200_ceilings.csv (read here with csv)
    h200 = ie.transferred_operator_efficiency("H200")
    assert h200 is ot.OPERATOR_CEILING_ADJUSTED["H200-SXM"]
    with ie.data_path("h200_ceilings.csv").open(newline="") as fh:
        gemm = [float(r["value"]) for r in csv.DictReader(fh) if r["metric"] == "bf16_gemm_tflops"]
    g = ie.get_gpu("H200-SXM")
    ms = ie.gemm_time_ms(8192, 8192, 8192, g.bf16_dense_tflops, g.hbm_tb_s, g.n_sm, h200)
    assert 2 * 8192**3 / (ms * 1e-3) / 1e12 == pytest.approx(gemm[0], rel=1e-3)  # 4-digit rounding
    same = [f for f in ot._FIELDS if f != "compute_efficiency"]
    h100 = ot.OPERATOR_CALIBRATIONS["H100-SXM"]
    assert all(getattr(h200, f) == getattr(h100, f) for f in same)
    assert ie.transferred_operator_efficiency("A40") is ot.OPERATOR_CALIBRATIONS["A40"]
    # every GPU of data/gpus.csv has a calibration or a rule
    for name in ie.load_gpus()["name"]:
        assert ie.transferred_operator_efficiency(name).gpu == name
    faster = ie.predict_operator_times(_table(gpu="H200", tokens=(1,)), h200)[0]
    assert faster < ie.predict_operator_times(_table(gpu="H100-SXM", tokens=(1,)))[0]


# ---- input validation
@pytest.mark.parametrize(
    "change, match",
    [
        (dict(operator="attn"), "column 'operator' must be one of qkv, attn_out, mlp_up, mlp_down"),
        (dict(tokens=0), "column 'tokens' must be finite and > 0"),
        (dict(tensor_parallel=-2), "column 'tensor_parallel' must be finite and > 0.*-2"),
        (dict(use_gated_mlp="maybe"), "column 'use_gated_mlp' must be true or false"),
        (dict(gpu="Z9000"), "column 'gpu': row 0 names no known GPU"),
        (
            dict(gpu="B200"),
            r"\('B200-HGX'\) has no stored operator calibration.*transferred_operator",
        ),
    ],
)
def test_input_validation(change, match):
    with pytest.raises(ValueError, match=match):
        ie.predict_operator_times(_table().assign(**change))


def test_missing_column_and_bad_by():
    with pytest.raises(ValueError, match="no column 'n_kv_head'"):
        ie.predict_operator_times(_table().drop(columns="n_kv_head"))
    with pytest.raises(ValueError, match="by must be 'model' or 'gpu'"):
        ie.operator_leave_one_out(_timings(), by="tokens")
    with pytest.raises(ValueError, match="no linear-operator rows of H100-SXM"):
        ie.calibrate_operator_model(_timings()[_timings().gpu == "A40"], gpu="H100")
    with pytest.raises(ValueError, match="OperatorEfficiency.wave_quantization must be in"):
        dataclasses.replace(ot.OPERATOR_CALIBRATIONS["A40"], wave_quantization=1.5)
    with pytest.raises(ValueError, match="no operator calibration and no transfer rule"):
        ot.OPERATOR_TRANSFER.pop("L4")
        try:
            ie.transferred_operator_efficiency("L4")
        finally:
            ot.OPERATOR_TRANSFER["L4"] = ("A40", 6.7, 20.0)


def test_leave_one_out_takes_operator_timings_too():
    """Issue 18's spelling: ``ie.leave_one_out(timings, by="gpu")`` on an operator table is the
    GEMM model's own leave-one-out (the same table as ``operator_leave_one_out``)."""
    t = _timings()
    small = t[(t["tokens"] <= 64) & (t["tensor_parallel"] <= 2)].reset_index(drop=True)
    pd.testing.assert_frame_equal(
        ie.leave_one_out(small, by="gpu"), ie.operator_leave_one_out(small, by="gpu")
    )
    with pytest.raises(TypeError, match="no calibrate"):
        ie.leave_one_out(small, by="gpu", kinds=("decode",))
