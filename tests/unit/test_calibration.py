"""Calibrating the serving model: the stored default, recovery of known efficiencies from
rows of several models and GPUs, leave-one-out prediction, and refusals with clear messages."""

from __future__ import annotations

import csv
import dataclasses

import numpy as np
import pandas as pd
import pytest

import inferecon as ie
import inferecon.calibration as calibration_module

LLAMA8B = "Llama-3.1-8B"


def _raw_csv(name):
    """A bundled file's rows as text (csv module), for hand derivations independent of loaders."""
    with ie.data_path(name).open(newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def default_cal():
    return ie.default_calibration()


# --------------------------------------------------------------------------- bundled rows


def test_default_calibration_fits_every_bundled_row(default_cal):
    cal = default_cal
    assert cal.n_rows == 21  # 17 decode + 4 prefill rows of data/h200_decode.csv
    assert cal.models == (LLAMA8B,) and cal.gpus == ("H200-SXM",)
    res = cal.residuals
    dec = res[res["kind"] == "decode"]
    pre = res[res["kind"] == "prefill"]
    # achieved with the GEMM time model (2-core x86_64, 2026-12-06): median 1.33% (1.89% with
    # the saturating share; issue 18 asks for no worse than 1.9%), decode max 12.6% (batch 128
    # over 512 tokens: the H200's GEMMs over 128 rows are slower than the H100 kernel timings
    # imply), prefill max 10.9%, power median 4.52%; tolerances = achieved + ~15%
    assert cal.median_ape_pct < 1.55
    assert cal.median_ape_pct <= 1.9
    assert dec["error_pct"].abs().max() < 14.5
    assert pre["error_pct"].abs().max() < 12.5
    assert cal.power_median_ape_pct < 5.2
    assert cal.efficiency.operator_model
    # what one model cannot identify is held, and says why
    held = {name: (value, why) for name, value, why in cal.held}
    assert held["overhead_ms"][0] == 0.0 and "layer count" in held["overhead_ms"][1]
    assert held["compute_half_tokens"][0] == 0.0 and "GEMM" in held["compute_half_tokens"][1]
    # the compute share is held at the measured GEMM's share of the datasheet peak, derived
    # here from the raw ceilings row and NVIDIA's H200 datasheet (BF16 Tensor Core 1,979
    # TFLOPS with sparsity, i.e. 989.5 dense; gpus.csv rounds to 989: tolerance 1e-3)
    gemm = [float(r["value"]) for r in _raw_csv("h200_ceilings.csv")
            if r["metric"] == "bf16_gemm_tflops"]  # fmt: skip
    assert held["compute"][0] == pytest.approx(gemm[0] / (1979 / 2), rel=1e-3)
    assert 0.5 < held["compute"][0] < 0.85  # large Hopper GEMMs reach 60-80% of peak


def test_measured_gemm_share_divides_the_right_row_by_the_right_peak():
    # synthetic ceilings with the GEMM row last: half of each datasheet's dense bf16 peak
    # (NVIDIA datasheets, dense = sparse / 2: H100 SXM 1,979 / 2 = 989.5, B200 4,500 / 2)
    def ceilings(gemm_tflops):
        return pd.DataFrame(
            {
                "gpu": ["x"] * 3,
                "kind": ["ceiling"] * 3,
                "metric": ["copy_tb_s", "gemm_avg_power_w", "bf16_gemm_tflops"],
                "value": [3.0, 650.0, gemm_tflops],
            }
        )

    assert ie.measured_gemm_share(ceilings(989.5 / 2), "H100-SXM") == pytest.approx(0.5, rel=1e-3)
    assert ie.measured_gemm_share(ceilings(2250 * 0.7), "B200-HGX") == pytest.approx(0.7)
    with pytest.raises(ValueError, match="bf16_gemm_tflops"):
        ie.measured_gemm_share(ceilings(1.0).iloc[:2], "H100-SXM")


def test_no_measured_row_beats_the_ceiling(default_cal):
    # the efficiency-1 model (no losses, everything overlapped) is faster than every row
    res = default_cal.residuals
    assert (res["ceiling_ms"] < res["measured_ms"]).all()
    # by a physical margin: the closest rows take 1.41x their ceiling (decode at 4,096 context,
    # batch 32-64, where the KV cache streams near the copy bandwidth)
    assert (res["measured_ms"] / res["ceiling_ms"]).min() > 1.3


def test_stored_default_matches_a_fresh_fit(default_cal):
    # DEFAULT_EFFICIENCY is stored to 6 significant digits; a re-fit must reproduce it (if the
    # data or the model change, refresh the stored values in inferecon/efficiency.py)
    fresh = dataclasses.asdict(default_cal.efficiency)
    stored = dataclasses.asdict(ie.DEFAULT_EFFICIENCY)
    assert fresh.keys() == stored.keys()
    for k, v in stored.items():
        assert fresh[k] == pytest.approx(v, rel=2e-5, abs=1e-9), k
    assert ie.default_efficiency() is ie.DEFAULT_EFFICIENCY


def test_formula_calls_fit_nothing_and_read_no_file(monkeypatch):
    def refuse(*_a, **_k):
        raise AssertionError("a formula call must not fit or read measurements")

    monkeypatch.setattr(calibration_module, "calibrate", refuse)
    monkeypatch.setattr(calibration_module, "load_decode_measurements", refuse)
    import inferecon.specs as specs

    model, gpu = ie.get_model(LLAMA8B), ie.get_gpu("H200-SXM")  # specs: no lookup needed
    specs.clear_catalogs()
    monkeypatch.setattr(specs, "load_gpus", refuse)
    monkeypatch.setattr(specs, "load_models", refuse)
    r = ie.decode_performance(model, gpu, [1, 64], 4096)
    p = ie.prefill_performance(model, gpu, 2048)
    s = ie.serving_performance(model, gpu, 8, 1000, 200)
    assert np.isfinite(r["step_ms"]).all() and len(p) == len(s) == 1
    specs.clear_catalogs()


def test_leave_one_context_out_on_the_bundled_rows():
    # the rows we have: one model on one GPU at two contexts. Fit on one context (and the
    # prefill rows), predict the other. Achieved with the GEMM time model (2-core x86_64,
    # 2026-12-06; with the saturating share before: 12.8/26.5, 6.8/17.9, 7.7/21.8): held-out
    # 512 median 9.9% / max 18.5%; held-out 4096 median 15.7% / max 30.0% (a fit on 512 tokens
    # cannot tell the KV-cache memory share from the attention-block limit); held-out prefill
    # median 10.0% / max 34.0%. Tolerances: achieved + ~10%.
    rows = ie.load_decode_measurements()
    dec = rows[rows["kind"] == "decode"]
    labels = np.where(rows["kind"] == "prefill", "prefill", rows["context"].astype(str))
    loo = ie.leave_one_out(rows, by=labels, compute_share=ie.measured_gemm_share())
    by = loo.set_index("held_out")
    assert by.loc["512", "median_ape_pct"] < 11.0 and by.loc["512", "max_ape_pct"] < 20.5
    assert by.loc["4096", "median_ape_pct"] < 17.5 and by.loc["4096", "max_ape_pct"] < 33.0
    assert by.loc["prefill", "median_ape_pct"] < 11.0 and by.loc["prefill", "max_ape_pct"] < 37.5
    assert by.loc["512", "n_test"] + by.loc["4096", "n_test"] == len(dec)
    # split by batch instead (achieved: batch <= 16 median 4.3% / max 15.5%; above 16 median
    # 5.7% / max 16.9%, was 2.2/18.7 and 7.2/20.0; as published in data/README.md)
    small = np.where(rows["kind"] == "prefill", "prefill",
                     np.where(rows["batch"] <= 16, "small", "large"))  # fmt: skip
    by_b = ie.leave_one_out(rows, by=small, compute_share=ie.measured_gemm_share())
    by_b = by_b.set_index("held_out")
    assert by_b.loc["small", "median_ape_pct"] < 5.0 and by_b.loc["small", "max_ape_pct"] < 17.5
    assert by_b.loc["large", "median_ape_pct"] < 6.5 and by_b.loc["large", "max_ape_pct"] < 19
    assert by.loc["prefill", "n_test"] == 4
    # the held-out 4,096-context rows are all memory-bound at efficiency 1, so their ceiling is
    # the bytes a decode step must read over the datasheet bandwidth (NVIDIA H200: 4.8 TB/s):
    # every weight but the input embedding table (one row of it is read) in bf16, plus each
    # sequence's KV cache, 2 (K, V) x 32 layers x 8 KV heads x 128 dims x 2 bytes per token.
    # Derived from the raw rows and config.json shapes, not from the package's roofline.
    raw = [r for r in _raw_csv("h200_decode.csv") if r["kind"] == "decode"]
    weights_b = (8_030_261_248 - 128_256 * 4096) * 2
    kv_b_per_token = 2 * 32 * 8 * 128 * 2
    ratio = [
        (weights_b + int(r["batch"]) * int(r["context"]) * kv_b_per_token)
        / 4.8e12
        * 1e3
        / float(r["step_ms"])
        for r in raw
        if r["context"] == "4096"
    ]
    assert len(ratio) == by.loc["4096", "n_test"] == 8
    # tolerance: the package also streams activations and logits (~0.1 MB, < 1e-4 of a step)
    assert by.loc["4096", "max_over_ceiling"] == pytest.approx(max(ratio), rel=1e-3)
    assert max(ratio) < 1  # no held-out row beats the ceiling
    detail = loo.attrs["rows"]
    assert set(detail["held_out"]) >= {"512", "4096"}


# --------------------------------------------------------------------------- synthetic truth


TRUTH = ie.Efficiency(
    memory=0.75,
    compute=0.62,
    overhead_ms=0.15,
    compute_half_tokens=90.0,
    attention_compute=0.45,
    attention_blocks_per_sm=0.8,
    overhead_per_layer_ms=0.035,
    sequential=True,
)
EAGER_MS_PER_LAYER = 0.06


def _synthetic(models=(LLAMA8B, "Llama-3.2-1B"), gpus=("H200-SXM", "H100-SXM")):
    """Rows generated by the model itself with TRUTH, in the h200_decode.csv schema, named as
    measurement tools print them."""
    tool_name = {"H200-SXM": "H200 SXM 141GB", "H100-SXM": "NVIDIA H100 80GB HBM3"}
    frames = []
    b, c = (a.ravel() for a in np.meshgrid([1, 2, 8, 32, 128, 512], [512, 4096]))
    for model in models:
        for gpu in gpus:
            d = ie.decode_performance(model, gpu, b, c, efficiency=TRUTH, check_memory=False)
            frames.append(
                pd.DataFrame(
                    {
                        "gpu": tool_name[gpu],
                        "kind": "decode",
                        "model": model.lower(),
                        "batch": d["batch"],
                        "context": d["context_tokens"],
                        "step_ms": d["step_ms"],
                    }
                )  # fmt: skip
            )
            prompts = np.array([256, 1024, 4096, 8192])
            p = ie.prefill_performance(model, gpu, prompts, 1, efficiency=TRUTH)
            n_layers = ie.get_model(model).n_layers
            frames.append(
                pd.DataFrame(
                    {
                        "gpu": tool_name[gpu],
                        "kind": "prefill",
                        "model": model.lower(),
                        "batch": 1,
                        "context": prompts,
                        "step_ms": p["step_ms"] + EAGER_MS_PER_LAYER * n_layers,
                    }
                )  # fmt: skip
            )
    return pd.concat(frames, ignore_index=True)


def test_calibrate_recovers_known_efficiencies_across_models_and_gpus():
    rows = _synthetic()
    cal = ie.calibrate(rows, operator_model=False)  # TRUTH uses the saturating GEMM share
    assert set(cal.models) == {LLAMA8B, "Llama-3.2-1B"}
    assert set(cal.gpus) == {"H200-SXM", "H100-SXM"}
    assert cal.held == ()  # two layer counts separate fixed from per-layer overhead
    e = cal.efficiency
    for f in ("memory", "compute", "compute_half_tokens", "attention_compute",
              "attention_blocks_per_sm", "overhead_per_layer_ms", "overhead_ms"):  # fmt: skip
        assert getattr(e, f) == pytest.approx(getattr(TRUTH, f), rel=1e-4), f
    assert cal.eager_overhead_per_layer_ms == pytest.approx(EAGER_MS_PER_LAYER, rel=1e-4)
    assert cal.median_ape_pct < 1e-4 and cal.n_compute_bound > 0


def test_leave_one_model_out_predicts_the_model_left_out():
    rows = _synthetic()
    loo = ie.leave_one_out(rows, by="model", operator_model=False)
    assert list(loo["held_out"]) == ["llama-3.1-8b", "llama-3.2-1b"]
    # each fit sees one layer count: the fixed overhead is held at 0 and the per-layer part
    # absorbs it, so the other model is predicted with a small, stated error (0.15 ms fixed
    # overhead spread over 16 or 32 layers)
    assert (loo["median_ape_pct"] < 3.0).all()
    assert (loo["n_test"] == 32).all()  # 2 GPUs x (12 decode + 4 prefill rows)
    by_gpu = ie.leave_one_out(rows, by="gpu", operator_model=False)
    assert (by_gpu["max_ape_pct"] < 1e-3).all()  # shares of peak carry across GPUs exactly


def test_a_model_with_half_the_layers_pays_half_the_per_layer_overhead():
    e = ie.DEFAULT_EFFICIENCY
    r8 = ie.decode_performance(LLAMA8B, "H200-SXM", 1, 512).iloc[0]
    r1 = ie.decode_performance("Llama-3.2-1B", "H200-SXM", 1, 512).iloc[0]
    assert r8["overhead_ms"] == pytest.approx(32 * e.overhead_per_layer_ms)
    assert r1["overhead_ms"] == pytest.approx(16 * e.overhead_per_layer_ms)


# --------------------------------------------------------------------------- refusals


def test_calibrate_lists_every_unknown_name_at_once():
    rows = _synthetic(models=(LLAMA8B,), gpus=("H200-SXM",)).head(10).copy()
    rows.loc[:4, "model"] = "llama-9"
    rows.loc[5:, "gpu"] = "TPU v5e"
    with pytest.raises(ValueError) as info:
        ie.calibrate(rows)
    msg = str(info.value)
    assert "unknown model 'llama-9'" in msg and "'TPU v5e' matches no known GPUs" in msg


def test_calibrate_refuses_too_few_rows_and_missing_columns():
    rows = ie.load_decode_measurements()
    with pytest.raises(ValueError, match="more measured rows than the 4 parameters"):
        ie.calibrate(rows.iloc[:3], kinds=("decode",))
    with pytest.raises(ValueError, match=r"lack column\(s\) \['gpu', 'model'\]"):
        ie.calibrate(rows.drop(columns=["gpu", "model"]))
    cal = ie.calibrate(rows.drop(columns=["gpu", "model"]), LLAMA8B, "H200-SXM")
    assert cal.n_rows == 21
    with pytest.raises(ValueError, match="kind must be 'decode' or 'prefill'"):
        ie.calibrate(rows.assign(kind="training"))
    with pytest.raises(ValueError, match="at least two groups"):
        ie.leave_one_out(rows, by="model")


def test_gpu_names_from_measurement_tools_resolve():
    cases = {
        "H200 SXM 141GB": "H200-SXM",
        "NVIDIA H100 80GB HBM3": "H100-SXM",
        "NVIDIA H100 PCIe": "H100-PCIe",
        "NVIDIA A100-SXM4-80GB": "A100-80GB-SXM",
        "AMD Instinct MI300X": "MI300X",
        "NVIDIA L4": "L4",
        "NVIDIA L40S": "L40S",
    }
    for name, want in cases.items():
        assert ie.match_gpu(name).name == want, name
    assert ie.match_model("meta-llama/Llama-3.2-1B").name == "Llama-3.2-1B"
