"""The roofline serving model: golden numbers, ceilings no measurement beats, properties, errors."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import inferecon as ie

LLAMA8B = "Llama-3.1-8B"


# --------------------------------------------------------------------------- golden numbers


def test_kv_bytes_per_token_llama3_8b_bf16():
    # 2 (K, V) x 32 layers x 8 KV heads x 128 head dim x 2 bytes (issue 3; Llama 3 config.json)
    assert ie.kv_bytes_per_token(LLAMA8B) == 131_072
    assert ie.kv_bytes_per_token(LLAMA8B, "fp8") == 65_536


def test_deepseek_v3_latent_attention_is_not_gqa():
    # MLA caches one 512-d latent + a 64-d RoPE key per layer (DeepSeek-V2 paper, Sec. 2.1;
    # DeepSeek-V3 config: 61 layers, kv_lora_rank 512, qk_rope_head_dim 64): 61 * 576 * 2 bytes
    assert ie.kv_bytes_per_token("DeepSeek-V3") == 61 * 576 * 2 == 70_272
    m = ie.get_model("DeepSeek-V3")
    as_gqa = 2 * m.n_layers * m.n_heads * (m.qk_nope_head_dim + m.qk_rope_head_dim) * 2
    assert as_gqa / ie.kv_bytes_per_token(m) > 50  # MHA over 128 heads would cache ~57x more


def test_llama3_8b_h100_batch1_is_memory_bound_near_209_tokens_per_s():
    # Issue 3's estimate: 3.35e12 B/s / 16.06e9 B of bf16 weights ~ 209 tokens/s. The model does
    # not read the 0.53e9-parameter input embedding table each step (it gathers one row), so
    # its ceiling is 3.35e12 / 15.01e9 = 223 tokens/s: 6.5% above the all-weights estimate.
    r = ie.decode_performance(LLAMA8B, "H100-SXM", batch=1, context_tokens=1, efficiency=1.0)
    assert r["bound"].item() == "memory"
    simple = 3.35e12 / 16.06e9  # the all-weights estimate, 208.6 tokens/s
    tps = r["tokens_per_s_total"].item()
    m = ie.get_model(LLAMA8B)
    assert tps == pytest.approx(3.35e12 / (m.params_always_read * 2 + 2 * 131_072), rel=1e-9)
    assert simple < tps < simple * 1.08


def test_decode_crossover_batch_is_ridge_point_on_h100():
    # Dense decode does 2 FLOPs per weight byte pair per sequence: intensity ~ batch, so the
    # step turns compute-bound near peak/bandwidth = 989e12 / 3.35e12 = 295 (issue 3)
    ridge = ie.ridge_point("H100-SXM")
    assert ridge == pytest.approx(989 / 3.35, rel=1e-12)
    assert ie.crossover_batch(LLAMA8B, "H100-SXM", context_tokens=0) == pytest.approx(
        ridge, rel=0.01
    )
    b = ie.crossover_batch(LLAMA8B, "H100-SXM", context_tokens=0)
    below = ie.decode_performance(LLAMA8B, "H100-SXM", np.floor(b) - 1, 1, efficiency=1.0)
    above = ie.decode_performance(LLAMA8B, "H100-SXM", np.ceil(b) + 1, 1, efficiency=1.0)
    assert below["bound"].item() == "memory" and above["bound"].item() == "compute"
    # with a 4k context, GQA attention reads 0.5 GB of KV per sequence and never turns
    assert ie.crossover_batch(LLAMA8B, "H100-SXM", context_tokens=4096) == np.inf


def test_param_counts_follow_from_shapes():
    # every model's shape reproduces its published parameter count within 0.2%
    for name in ie.load_models()["name"]:
        m = ie.get_model(name)
        assert m.params_total == pytest.approx(m.params_total_published, rel=2e-3), name
    assert ie.get_model(LLAMA8B).params_total == 8_030_261_248  # exact, safetensors count
    # MoE: active parameters per token from the shape (Mixtral card: 12.9B; DeepSeek-V3: 37B,
    # both counting the embedding row the model here excludes)
    assert ie.get_model("Mixtral-8x7B").params_active == pytest.approx(12.9e9, rel=0.02)
    assert ie.get_model("DeepSeek-V3").params_active == pytest.approx(37e9, rel=0.02)


def test_moe_reads_more_experts_as_batch_grows():
    assert ie.distinct_experts(256, 8, 1) == pytest.approx(8)
    assert ie.distinct_experts(8, 2, 1) == pytest.approx(2)
    assert ie.distinct_experts(256, 8, 10_000) == pytest.approx(256)
    d = ie.distinct_experts(256, 8, np.arange(1, 500))
    assert np.all(np.diff(d) > 0) and np.all(d <= 256)
    r = ie.decode_performance(
        "DeepSeek-V3", "H200-SXM", [1, 8, 64], 1024, "fp8", 1.0, tensor_parallel=8
    )
    w = r["weight_bytes_per_step"].to_numpy()
    assert w[0] < w[1] < w[2]
    # at batch 1 a step reads ~active weights, not all 671B
    assert w[0] == pytest.approx(ie.get_model("DeepSeek-V3").params_active, rel=1e-9)


@pytest.mark.parametrize(("n_experts", "n_active"), [(8, 2), (128, 8), (256, 8), (60, 7), (4, 4)])
def test_distinct_experts_is_one_count_for_floats_and_arrays(n_experts, n_active):
    # E (1 - (1 - k/E)^T) by hand; the float path (IterationCost's, in the simulator) and the
    # array path (decode_performance's) agree with it; k = E touches every expert
    tokens = [1.0, 3.0, 37.5, 512.0]
    by_hand = [n_experts * (1 - (1 - n_active / n_experts) ** t) for t in tokens]
    floats = [ie.distinct_experts(n_experts, n_active, t) for t in tokens]
    assert all(type(f) is float for f in floats)
    assert floats == pytest.approx(by_hand, rel=1e-12)
    assert ie.distinct_experts(n_experts, n_active, np.array(tokens)) == pytest.approx(
        floats, rel=1e-15
    )


# --------------------------------------------------------------------------- ceilings


def test_no_h200_measurement_beats_the_ceiling():
    meas = ie.load_decode_measurements()
    dec = meas[meas["kind"] == "decode"]
    ceil = ie.decode_performance(
        LLAMA8B, "H200-SXM", dec["batch"], dec["context"], efficiency=1.0, check_memory=False
    )
    assert len(ceil) == len(dec) == 17
    ratio = ceil["tokens_per_s_total"].to_numpy() / dec["tokens_per_s_total"].to_numpy()
    assert np.all(ratio > 1.0), ratio
    pre = meas[meas["kind"] == "prefill"]
    pceil = ie.prefill_performance(LLAMA8B, "H200-SXM", pre["context"], 1, efficiency=1.0)
    assert np.all(pceil["tokens_per_s_total"].to_numpy() > pre["tokens_per_s_total"].to_numpy())


def test_no_published_throughput_beats_the_ceiling():
    # Vendor and MLPerf pages (data/published_throughput.csv, URLs per row). An offline or
    # server throughput of requests with `input` prompt and `output` generated tokens needs,
    # per output token, at least the decode FLOPs plus input/output prefill FLOPs: the
    # compute ceiling over the whole system bounds it whatever the batch.
    pub = ie.load_published_throughput()
    checked = 0
    for _, r in pub.iterrows():
        m, g = ie.get_model(r["model"]), ie.get_gpu(r["gpu"])
        peak = g.peak_tflops(r["weight_precision"]) * 1e12 * r["n_gpus"]
        if r["metric"] == "per_user_speed":
            # batch-1 speed: one step must read the active weights once (memory ceiling)
            wbytes = m.params_active * ie.PRECISION_BYTES[r["weight_precision"]]
            bw = g.hbm_tb_s * 1e12 * r["n_gpus"]
            assert r["tokens_per_s_per_user"] < bw / wbytes, r["source_id"]
            checked += 1
            continue
        tps = r["output_tokens_per_s"]
        if pd.isna(tps):
            tps = r["output_tokens_per_s_per_gpu"] * r["n_gpus"]
        # where the request shape is not stated (MLPerf rows; SGLang's decode-only nodes of a
        # disaggregated deployment), the bound counts the decode FLOPs alone
        known = pd.notna(r["input_tokens"]) and pd.notna(r["output_tokens"])
        prompt_share = r["input_tokens"] / r["output_tokens"] if known else 0.0
        flops_per_out = 2.0 * m.params_active * (1 + prompt_share)
        assert tps < peak / flops_per_out, (r["source_id"], tps, peak / flops_per_out)
        checked += 1
    assert checked == len(pub) >= 8
    table = ie.published_throughput_ceiling(pub)
    assert len(table) == len(pub)
    assert (table["share_of_ceiling"] < 1).all() and (table["share_of_ceiling"] > 0).all()


def test_every_model_gpu_precision_combination_is_finite():
    # the notebook's dropdowns allow any combination (formats without tensor cores as
    # weight-only quantisation, opted into explicitly): none may give NaN or inf
    for model in ie.load_models()["name"]:
        for gpu in ie.load_gpus()["name"]:
            for prec in ("bf16", "fp8", "fp4"):
                r = ie.decode_performance(
                    model, gpu, [1, 64, 4096], [128, 131072, 4096], prec, tensor_parallel=[1, 8, 2],
                    check_memory=False, allow_weight_only=True,
                )  # fmt: skip
                num = r.select_dtypes("number").to_numpy(float)
                assert np.isfinite(num).all(), (model, gpu, prec)


@settings(max_examples=60, deadline=None)
@given(
    batch=st.integers(1, 512),
    context=st.integers(1, 32_768),
    mem=st.floats(0.05, 1.0),
    comp=st.floats(0.05, 1.0),
    overhead=st.floats(0.0, 5.0),
    half=st.floats(0.0, 1000.0),
    blocks=st.floats(0.0, 4.0),
    per_layer=st.floats(0.0, 0.2),
    sequential=st.booleans(),
    tensor_parallel=st.sampled_from([1, 2, 8]),
)
def test_losses_only_slow_things_down(
    batch, context, mem, comp, overhead, half, blocks, per_layer, sequential, tensor_parallel
):
    kw = dict(check_memory=False, tensor_parallel=tensor_parallel)
    ceil = ie.decode_performance(LLAMA8B, "H100-SXM", batch, context, efficiency=1.0, **kw)
    eff = ie.Efficiency(
        memory=mem, compute=comp, overhead_ms=overhead, compute_half_tokens=half,
        attention_blocks_per_sm=blocks, overhead_per_layer_ms=per_layer, sequential=sequential,
    )  # fmt: skip
    real = ie.decode_performance(LLAMA8B, "H100-SXM", batch, context, efficiency=eff, **kw)
    assert real["step_ms"].item() >= ceil["step_ms"].item() * (1 - 1e-12)
    assert real["tokens_per_s_total"].item() <= ceil["tokens_per_s_total"].item() * (1 + 1e-12)
    pre_c = ie.prefill_performance(
        LLAMA8B, "H100-SXM", context, batch, efficiency=1.0, tensor_parallel=tensor_parallel
    )
    pre = ie.prefill_performance(
        LLAMA8B, "H100-SXM", context, batch, efficiency=eff, tensor_parallel=tensor_parallel
    )
    assert pre["step_ms"].item() >= pre_c["step_ms"].item() * (1 - 1e-12)


@settings(max_examples=40, deadline=None)
@given(batch=st.integers(1, 256), context=st.integers(1, 16_384), n=st.sampled_from([1, 2, 4]))
def test_a_step_is_its_operations_plus_overheads(batch, context, n):
    # calibrated (sequential): step = linear + attention + comm + overhead, each operation the
    # longer of its memory and compute time; the overhead is 32 layers x the per-layer part
    kw = dict(check_memory=False, tensor_parallel=n)
    r = ie.decode_performance(LLAMA8B, "H200-SXM", batch, context, **kw).iloc[0]
    e = ie.DEFAULT_EFFICIENCY
    assert r["overhead_ms"] == pytest.approx(e.overhead_ms + 32 * e.overhead_per_layer_ms)
    assert r["step_ms"] == pytest.approx(
        r["linear_ms"] + r["attention_ms"] + r["comm_ms"] + r["overhead_ms"], rel=1e-12
    )
    assert max(r["compute_ms"], r["memory_ms"]) <= r["linear_ms"] + r["attention_ms"] + 1e-12
    assert r["tokens_per_s_total"] == pytest.approx(batch * r["tokens_per_s_per_user"])
    g = ie.get_gpu("H200-SXM")
    assert g.idle_w <= r["power_w"] <= g.tdp_w
    # the ceiling overlaps everything: one roofline of the summed FLOPs and bytes
    c = ie.decode_performance(LLAMA8B, "H200-SXM", batch, context, efficiency=1.0, **kw).iloc[0]
    assert c["overhead_ms"] == 0
    assert c["step_ms"] == pytest.approx(max(c["compute_ms"], c["memory_ms"]) + c["comm_ms"])
    assert c["bound"] == ("compute" if c["compute_ms"] > c["memory_ms"] else "memory")


def test_attention_parallelism_and_gemm_share_by_hand():
    # A toy GPU with 10 SMs and a model with 2 KV heads: a batch of one launches 2 attention
    # blocks; needing 1 block per SM, the KV cache streams at 2/10 of the memory rate.
    gpu = ie.GPUSpec("toy", memory_gb=80, hbm_tb_s=1.0, bf16_dense_tflops=100.0, tdp_w=300,
                     n_sm=10)  # fmt: skip
    model = ie.ModelSpec("toy", n_layers=2, hidden_size=256, n_heads=4, n_kv_heads=2,
                         head_dim=64, intermediate_size=512, vocab_size=1000)  # fmt: skip
    e = ie.Efficiency(memory=0.5, compute=0.5, attention_blocks_per_sm=1.0, sequential=True)
    r = ie.decode_performance(model, gpu, 1, 1000, efficiency=e).iloc[0]
    kv = 1001 * 2 * 2 * 2 * 64 * 2  # (context + new) x K,V x layers x kv heads x dim x bytes
    assert r["kv_bytes_per_step"] == kv
    attn_flops = 1000 * 2 * 4 * 4 * 64  # context x layers x 4 heads x dim x 4
    t_mem = kv / (1e12 * 0.5 * 0.2)
    t_cmp = attn_flops / (100e12 * e.attention_share)
    assert r["attention_ms"] == pytest.approx(max(t_mem, t_cmp) * 1e3, rel=1e-12)
    # at a batch of five, 10 blocks: full rate
    r5 = ie.decode_performance(model, gpu, 5, 1000, efficiency=e).iloc[0]
    assert r5["attention_ms"] == pytest.approx(5 * kv / (1e12 * 0.5) * 1e3, rel=1e-12)
    # a GEMM over T rows reaches compute * T / (T + half): half of it at T = half
    assert ie.Efficiency(compute=0.8, compute_half_tokens=64).gemm_share(64) == 0.4


def test_more_batch_more_throughput_and_never_faster_per_user():
    r = ie.decode_performance(LLAMA8B, "H100-SXM", 2 ** np.arange(0, 7), 2048)
    assert np.all(np.diff(r["tokens_per_s_total"]) > 0)
    # per-user speed never rises; at small batches, where the weights dominate and attention
    # is limited by its thread blocks, it stays flat
    assert np.all(np.diff(r["tokens_per_s_per_user"]) <= 1e-9)
    assert r["tokens_per_s_per_user"].iloc[-1] < r["tokens_per_s_per_user"].iloc[0]
    assert np.all(np.diff(r["joules_per_token"]) < 0)
    assert np.all(np.diff(r["usd_per_mtok"]) < 0)


def test_lower_precision_is_never_slower_on_hopper():
    kw = dict(efficiency=1.0, check_memory=False)
    bf = ie.decode_performance("Llama-3.1-70B", "H100-SXM", [1, 64, 512], 4096, "bf16", **kw)
    f8 = ie.decode_performance("Llama-3.1-70B", "H100-SXM", [1, 64, 512], 4096, "fp8", **kw)
    assert np.all(f8["step_ms"].to_numpy() < bf["step_ms"].to_numpy())
    # no FP4 tensor cores on Hopper: fp4 weights save bytes but compute at the FP8 rate
    assert ie.get_gpu("H100-SXM").peak_tflops("fp4") == ie.get_gpu("H100-SXM").fp8_dense_tflops
    assert ie.get_gpu("A100-80GB-SXM").peak_tflops("fp8") == 312


def test_tensor_parallel_splits_work_and_adds_communication():
    one = ie.decode_performance("Llama-3.1-70B", "H100-SXM", 2, 2048, "fp8", 1.0)
    two = ie.decode_performance("Llama-3.1-70B", "H100-SXM", 2, 2048, "fp8", 1.0, tensor_parallel=2)
    assert two["comm_ms"].item() > 0 and one["comm_ms"].item() == 0
    # 8 KV heads split two ways, like the weights: each GPU moves half the bytes
    assert two["memory_ms"].item() == pytest.approx(one["memory_ms"].item() / 2)
    # past the KV-head count the cache is replicated: 16 GPUs each hold all of one head
    k8 = ie.decode_performance("Llama-3.1-70B", "H100-SXM", 2, 2048, "fp8", 1.0, tensor_parallel=8)
    k16 = ie.decode_performance(
        "Llama-3.1-70B", "H100-SXM", 2, 2048, "fp8", 1.0, tensor_parallel=16
    )
    assert k16["kv_bytes_per_step"].item() == pytest.approx(2 * k8["kv_bytes_per_step"].item())
    assert two["memory_needed_gb"].item() < one["memory_needed_gb"].item()
    with pytest.raises(ValueError, match="interconnect"):
        ie.decode_performance(
            LLAMA8B, dataclasses.replace(ie.get_gpu("L4"), interconnect_gb_s=np.nan), 1, 1,
            tensor_parallel=2,
        )  # fmt: skip


def test_the_ceiling_holds_no_unsourced_communication_latency():
    # at efficiency 1 (the physical ceiling) tensor-parallel communication is bandwidth only:
    # two ring all-reduces per layer of batch x hidden bf16 values, each 2 (n-1)/n of the
    # bytes over the link. Llama-3.1-70B (80 layers, hidden 8,192), batch 2, TP 2 on H100s
    # (NVLink 450 GB/s): 160 x 2 x 8,192 x 2 B x (2 x 1/2) / 450e9 = 11.6 us. The former
    # 8 us latency added 160 x 8 us = 1.28 ms to every step at any TP > 1.
    m = ie.get_model("Llama-3.1-70B")
    assert (m.n_layers, m.hidden_size) == (80, 8192)
    bandwidth_ms = 2 * 80 * (2 * 8192 * 2) * (2 * (2 - 1) / 2) / 450e9 * 1e3
    two = ie.decode_performance(m, "H100-SXM", 2, 2048, "fp8", 1.0, tensor_parallel=2).iloc[0]
    assert two["comm_ms"] == pytest.approx(bandwidth_ms, rel=1e-12)
    assert not ie.Efficiency().measured_communication
    assert not ie.as_efficiency(0.5).measured_communication  # overhead-free: no latency
    p = ie.prefill_performance(m, "H100-SXM", 100, 1, "fp8", 1.0, tensor_parallel=2).iloc[0]
    assert p["comm_ms"] == pytest.approx(bandwidth_ms / 2 * 100, rel=1e-12)
    c = ie.IterationCost(m, "H100-SXM", "fp8", 1.0, tensor_parallel=2)
    assert c.iteration_s(0, 0, 0, 2, 2 * 2048) * 1e3 == pytest.approx(two["step_ms"], rel=1e-12)
    # a calibrated engine pays the measured NCCL all-reduce of an H100 DGX on 2 GPUs (Vidur's
    # timings, fitted in data/collective_timings.csv: 26.86 us + bytes at a 327.0 GB/s bus
    # bandwidth, COLLECTIVE_FITS), and an explicit latency wins
    assert ie.COLLECTIVE_FITS[("h100_dgx", "all_reduce", 2)].latency_us == 26.86
    measured_ms = 160 * (26.86e-3 + (2 * 8192 * 2) * (2 * (2 - 1) / 2) / 327.0e9 * 1e3)
    cal = ie.decode_performance(m, "H100-SXM", 2, 2048, "fp8", tensor_parallel=2).iloc[0]
    assert cal["comm_ms"] == pytest.approx(measured_ms, rel=1e-12)
    it = ie.IterationCost(m, "H100-SXM", "fp8", tensor_parallel=2)
    assert it.iteration_s(0, 0, 0, 2, 2 * 2048) * 1e3 == pytest.approx(cal["step_ms"], rel=1e-12)
    explicit = ie.decode_performance(m, "H100-SXM", 2, 2048, "fp8", 1.0, tensor_parallel=2,
                                     allreduce_latency_us=5.0).iloc[0]  # fmt: skip
    assert explicit["comm_ms"] == pytest.approx(bandwidth_ms + 160 * 5e-3, rel=1e-12)


def test_gpus_without_collective_timings_borrow_the_nearest_node():
    # H200 (NVLink4 like the H100, 450 GB/s per direction in data/gpus.csv) takes the H100
    # DGX's fitted latency and its bus bandwidth share: 8 GPUs, 28.85 us and 335.7 / 450 of the
    # link; B200 (NVLink5, 900 GB/s) the same share of twice the link
    assert ie.allreduce_parameters("H200-SXM", 8) == (28.85, pytest.approx(335.7))
    lat, bw = ie.allreduce_parameters("B200-HGX", 8)
    assert lat == 28.85 and bw == pytest.approx(900 * 335.7 / 450)
    # a count without a fit takes the nearest fitted one (16 -> 8, 3 -> 4 over 2 on a tie)
    assert ie.allreduce_parameters("H100-SXM", 16) == ie.allreduce_parameters("H100-SXM", 8)
    assert ie.allreduce_parameters("H100-SXM", 3) == ie.allreduce_parameters("H100-SXM", 4)
    # every GPU of data/gpus.csv has a rule; latency from a measured fit, bandwidth <= its link
    fitted = {f.latency_us for f in ie.COLLECTIVE_FITS.values()}
    links = ie.load_gpus().set_index("name")["interconnect_gb_s"]
    for name, link in links.items():
        for n in (2, 4, 8):
            lat, bw = ie.allreduce_parameters(name, n)
            assert lat in fitted and 0 < bw <= link, (name, n)
    with pytest.raises(ValueError, match="n_gpus"):
        ie.allreduce_parameters("H100-SXM", 1)


def test_kv_transfer_pays_one_measured_send_recv():
    # a calibrated engine moves each GPU's KV shard in one send/recv: on H100s the fitted
    # latency of a DGX pair (7.64 us) plus the bytes at its fitted 355.3 GB/s. Llama-3.1-8B's
    # cache is 2 x 32 layers x 8 KV heads x 128 x 2 B = 131,072 B per token (config.json)
    c = ie.IterationCost(LLAMA8B, "H100-SXM")
    assert c.kv_transfer_s(1000) == pytest.approx(7.64e-6 + 1000 * 131072 / 355.3e9, rel=1e-12)
    # the physical ceiling: the datasheet link (NVLink4, 450 GB/s per direction), no latency
    ceiling = ie.IterationCost(LLAMA8B, "H100-SXM", efficiency=1.0)
    assert ceiling.kv_transfer_s(1000) == pytest.approx(1000 * 131072 / 450e9, rel=1e-12)
    assert ceiling.kv_transfer_s(0) == 0.0 < c.kv_transfer_s(0)
    assert ie.send_recv_parameters("H100-SXM") == (7.64, 355.3)


def test_energy_and_cost_arithmetic():
    r = ie.decode_performance(LLAMA8B, "H100-SXM", 32, 1024, usd_per_gpu_hour=2.0, pue=1.3)
    r = r.iloc[0]
    assert r["joules_per_token"] == pytest.approx(r["power_w"] * r["step_ms"] / 1e3 / 32)
    assert r["facility_joules_per_token"] == pytest.approx(1.3 * r["joules_per_token"])
    assert r["usd_per_mtok"] == pytest.approx(2.0 / 3600 / r["tokens_per_s_total"] * 1e6)
    s = ie.serving_performance(LLAMA8B, "H100-SXM", 32, 1000, 500, usd_per_gpu_hour=2.0).iloc[0]
    assert s["e2e_latency_s"] == pytest.approx(s["ttft_ms"] / 1e3 + 500 * s["tpot_ms"] / 1e3)
    assert s["wh_per_response"] == pytest.approx(s["joules_per_output_token"] * 500 / 3600)
    # prefill time counts against throughput: per-GPU output rate < batch / step time
    assert s["tokens_per_s_per_gpu"] < 32 * s["tokens_per_s_per_user"]


def test_sweep_of_ten_thousand_configurations_is_one_call():
    b = np.arange(1, 101)[:, None]
    c = np.linspace(128, 8192, 100)[None, :].round()
    r = ie.decode_performance(LLAMA8B, "H200-SXM", b, c, check_memory=False)
    assert len(r) == 10_000
    assert np.isfinite(r.select_dtypes("number")).all().all()
    single = ie.decode_performance(LLAMA8B, "H200-SXM", 37, c[0, 55], check_memory=False)
    row = r[(r["batch"] == 37) & (r["context_tokens"] == c[0, 55])]
    assert row["step_ms"].item() == pytest.approx(single["step_ms"].item(), rel=1e-12)


# --------------------------------------------------------------------------- bad input


def test_unknown_names_list_the_known_ones():
    with pytest.raises(ValueError, match="unknown model 'Llama-9'.*Llama-3.1-8B"):
        ie.decode_performance("Llama-9", "H100-SXM", 1, 1)
    with pytest.raises(ValueError, match="unknown gpu 'H900'; known gpus:.*H100-SXM"):
        ie.decode_performance(LLAMA8B, "H900", 1, 1)
    assert ie.get_model("llama-3.1-8b").name == LLAMA8B  # case-insensitive
    assert ie.get_gpu("h200-sxm").name == "H200-SXM"


def test_batch_that_does_not_fit_says_what_is_needed_and_what_fits():
    with pytest.raises(ValueError) as info:
        ie.decode_performance("Llama-3.1-70B", "H100-SXM", 64, 32_768)
    msg = str(info.value)
    assert "does not fit" in msg and "GB" in msg and "at most 0 sequence(s)" in msg
    with pytest.raises(ValueError, match=r"at most \d+ sequence"):
        ie.decode_performance(LLAMA8B, "L4", 512, 8192)
    fits = ie.max_batch(LLAMA8B, "L4", 8192)
    ok = ie.decode_performance(LLAMA8B, "L4", fits, 8192)
    assert ok["fits"].item()
    with pytest.raises(ValueError):
        ie.decode_performance(LLAMA8B, "L4", fits + 1, 8192)
    flagged = ie.decode_performance(LLAMA8B, "L4", fits + 1, 8192, check_memory=False)
    assert not flagged["fits"].item()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(batch=0), r"batch must be finite and > 0"),
        (dict(batch=-3), r"batch"),
        (dict(context_tokens=0), r"context_tokens"),
        (dict(efficiency=0.0), r"efficiency must be in \(0, 1\]"),
        (dict(efficiency=1.5), r"efficiency must be in \(0, 1\]"),
        (dict(precision="int3"), r"precision must be one of \['bf16', 'fp4', 'fp8'\]"),
        (dict(kv_precision="fp2"), r"kv_precision must be one of"),
        (dict(tensor_parallel=0), r"tensor_parallel must be in \[1, 4096\]"),
        (dict(tensor_parallel=1.5), r"whole number"),
        (dict(pue=0.9), r"pue must be in \[1, 5\]"),
        (dict(usd_per_gpu_hour=-1.0), r"usd_per_gpu_hour"),
    ],
)
def test_out_of_domain_arguments_name_the_parameter_and_range(kwargs, match):
    args = dict(model=LLAMA8B, gpu="H100-SXM", batch=1, context_tokens=128) | kwargs
    with pytest.raises(ValueError, match=match):
        ie.decode_performance(**args)


def test_spec_objects_validate_themselves():
    with pytest.raises(ValueError, match="memory_gb"):
        ie.GPUSpec("x", 0, 1, 1, 1)
    with pytest.raises(ValueError, match="attention must be 'gqa' or 'mla'"):
        ie.ModelSpec("x", 2, 64, 4, 2, 16, 128, 256, attention="linear")
    with pytest.raises(ValueError, match="kv_lora_rank"):
        ie.ModelSpec("x", 2, 64, 4, 4, 16, 128, 256, attention="mla")
    with pytest.raises(ValueError, match=r"efficiency.memory must be in \(0, 1\]"):
        ie.Efficiency(memory=0)
    with pytest.raises(ValueError, match="efficiency.compute_half_tokens"):
        ie.Efficiency(compute_half_tokens=-1)
    with pytest.raises(ValueError, match="efficiency.overhead_per_layer_ms"):
        ie.Efficiency(overhead_per_layer_ms=-0.1)
    with pytest.raises(ValueError, match="efficiency.attention_compute"):
        ie.Efficiency(attention_compute=1.5)


def test_sliding_window_layers_cap_the_kv_cache():
    # Mistral-7B v0.1: every layer keeps at most 4,096 tokens (config.json sliding_window)
    m = ie.get_model("Mistral-7B")
    assert (m.sliding_window, m.n_sliding_layers) == (4096, 32)
    r = ie.decode_performance(m, "H100-SXM", 1, [2048, 4096, 32768], efficiency=1.0)
    kv = r["kv_bytes_per_step"].to_numpy()
    assert kv[0] == pytest.approx(2049 * 131_072)
    assert kv[1] == kv[2] == pytest.approx(4096 * 131_072)
    assert ie.max_batch(m, "H100-SXM", 32768) == ie.max_batch(m, "H100-SXM", 4096)
    # gpt-oss-120b: 18 of 36 layers windowed at 128 tokens -> about half the KV at long context
    g = ie.get_model("gpt-oss-120b")
    full = ie.kv_bytes_per_token(g, "fp8") * 32769  # the full-attention formula, fp8 cache
    step = ie.decode_performance(g, "H200-SXM", 1, 32768, "fp8", 1.0)["kv_bytes_per_step"].item()
    assert step / full == pytest.approx((32769 + 128) / (2 * 32769), rel=1e-9)
    # prefill: causal sum of min(i, w) on windowed layers
    np.testing.assert_allclose(m.prefill_attended_positions([10, 4096]), [55, 4096 * 4097 / 2])
    assert m.prefill_attended_positions(5000) == 4096 * 4097 / 2 + 904 * 4096
    # without a window nothing changes
    llama = ie.get_model(LLAMA8B)
    assert llama.attended_positions(10_000) == 10_000


# --------------------------------------------------------------------------- the GEMM time model


def _llama8b_gemms_by_hand(tp):
    """Llama-3.1-8B's GEMMs per step from its config.json (hidden 4,096, 32 query and 8 KV heads
    of 128, intermediate 14,336, vocabulary 128,256, 32 layers), Megatron-sharded over ``tp``:
    (K, N, count)."""
    h, hd, layers = 4096, 128, 32
    return [
        (h, (32 + 2 * 8) * hd / tp, layers),  # fused QKV, column-parallel
        (32 * hd / tp, h, layers),  # attention output, row-parallel
        (h, 2 * 14336 / tp, layers),  # fused gate + up
        (14336 / tp, h, layers),  # down
        (h, 128256 / tp, 1),  # LM head
    ]


@pytest.mark.parametrize("precision,tp", [("bf16", 1), ("fp8", 2)])
def test_linear_layers_are_the_sum_of_their_gemms(precision, tp):
    # the calibrated step costs each linear operator with the GEMM time model and the GPU's
    # operator constants; norms (2 per layer + the final one, 4,096 weights each) are read at
    # the efficiency's memory share. Shapes derived here by hand, weights at 1 byte in fp8.
    g = ie.get_gpu("H100-SXM")
    op = ie.transferred_operator_efficiency("H100-SXM")
    w = {"bf16": 2.0, "fp8": 1.0}[precision]
    peak = g.peak_tflops(precision)
    for batch in (1, 96, 700):
        want_s = 0.0
        for k, n, count in _llama8b_gemms_by_hand(tp):
            parts = ie.operator_times._gemm_parts(
                [batch], [k], [n], peak * 1e12, g.hbm_tb_s * 1e12, g.n_sm, op._vector(), w
            )
            want_s += count * parts[0][0]
        e = ie.DEFAULT_EFFICIENCY
        want_s += (2 * 32 + 1) * 4096 * w / tp / (g.hbm_tb_s * 1e12 * e.memory)
        r = ie.decode_performance(LLAMA8B, g, batch, 1024, precision, tensor_parallel=tp,
                                  check_memory=False).iloc[0]  # fmt: skip
        assert r["linear_ms"] == pytest.approx(want_s * 1e3, rel=1e-12)
        c = ie.IterationCost(LLAMA8B, g, precision, tensor_parallel=tp)
        assert c.iteration_s(0, 0, 0, batch, batch * 1024) * 1e3 == pytest.approx(
            r["step_ms"], rel=1e-12
        )
        assert c.iteration(0, 0, 0, batch, batch * 1024)[0] * 1e3 == pytest.approx(
            r["step_ms"], rel=1e-12
        )


def test_gemm_model_weight_bytes_and_groups_by_hand():
    # a memory-bound GEMM (1 row against a 8,192 x 8,192 weight) reads the weight once, at fp8
    # half the bf16 bytes; plus 16-bit activations in and out and, if the kernel splits K in s
    # (s <= 8), fp32 partial sums written and read (2 x 4 B x s per output). 4 grouped experts
    # of 2 rows each read 4 weights.
    op = ie.transferred_operator_efficiency("H100-SXM")
    g = ie.get_gpu("H100-SXM")
    bw = op.bandwidth_efficiency * g.hbm_tb_s * 1e12
    p = (g.bf16_dense_tflops * 1e12, g.hbm_tb_s * 1e12, g.n_sm, op._vector())
    k = n = 8192
    for w, rows, groups in ((2.0, 1, 1), (1.0, 1, 1), (2.0, 2, 4)):
        t, c, m = ie.operator_times._gemm_parts([rows], [k], [n], *p, w, [float(groups)])
        least = groups * (w * k * n + 2 * rows * (k + n)) / bw
        most = least + groups * 2 * 4 * rows * n * 8 / bw
        assert least * (1 - 1e-12) <= m[0] <= most
        # the time: at least the larger of compute and memory, plus the launch overhead
        assert t[0] >= max(c[0], m[0]) + op.overhead_us * 1e-6 - 1e-15


def test_fp4_small_batch_gemms_do_not_reach_the_fp4_peak():
    # issue 18: small-batch MoE GEMMs were assumed to run at the full fp4 peak. With the tile
    # model a decode step of 8 rows pays for whole 64-row tiles and the weights' bytes: its
    # linear time is far above 2 N_active T / fp4 peak
    m = ie.get_model("gpt-oss-120b")
    r = ie.decode_performance(m, "B200-HGX", 8, 2048, "fp4", check_memory=False).iloc[0]
    at_peak_ms = 2 * m.params_active * 8 / (ie.get_gpu("B200-HGX").fp4_dense_tflops * 1e12) * 1e3
    assert r["linear_ms"] > 10 * at_peak_ms
    assert r["bound"] == "memory"


def test_operator_model_needs_sequential_and_an_sm_count():
    with pytest.raises(ValueError, match="operator_model needs sequential"):
        ie.Efficiency(operator_model=True)
    toy = ie.GPUSpec("toy", memory_gb=80, hbm_tb_s=1.0, bf16_dense_tflops=100.0, tdp_w=300)
    with pytest.raises(ValueError, match="n_sm"):
        ie.decode_performance(LLAMA8B, toy, 1, 128, check_memory=False)


def test_moe_step_by_hand_grouped_experts_and_routing_kernels():
    # Qwen3-30B-A3B (config.json: 48 layers, hidden 2,048, 32 query / 4 KV heads of 128, 128
    # experts of intermediate 768, 8 active, vocabulary 151,936, untied head) at batch 1 on one
    # H100 in bf16: one token touches exactly 8 experts, 1 row each, run as one grouped GEMM
    # per projection; every MoE layer adds 3 routing kernels (top-k, align, sum: vLLM's fused
    # MoE) at the operator launch cost, plus summing 8 expert rows into 1 (9 x 2,048 bf16)
    g = ie.get_gpu("H100-SXM")
    op = ie.transferred_operator_efficiency("H100-SXM")
    p = (g.bf16_dense_tflops * 1e12, g.hbm_tb_s * 1e12, g.n_sm, op._vector(), 2.0)
    h, layers = 2048, 48
    dense = [(h, (32 + 2 * 4) * 128, layers), (32 * 128, h, layers), (h, 128, layers),
             (h, 151936, 1)]  # fmt: skip
    want = sum(c * ie.operator_times._gemm_parts([1], [k], [n], *p)[0][0] for k, n, c in dense)
    for k, n in ((h, 2 * 768), (768, h)):
        want += layers * ie.operator_times._gemm_parts([1], [k], [n], *p, [8.0])[0][0]
    bw = op.bandwidth_efficiency * g.hbm_tb_s * 1e12
    want += layers * (3 * op.overhead_us * 1e-6 + (8 + 1) * h * 2 / bw)  # 2 B per value
    want += (2 * layers + 1) * h * 2 / (g.hbm_tb_s * 1e12 * ie.DEFAULT_EFFICIENCY.memory)  # norms
    r = ie.decode_performance("Qwen3-30B-A3B", g, 1, 512).iloc[0]
    assert r["linear_ms"] == pytest.approx(want * 1e3, rel=1e-12)
    # the same in the simulator's step model
    c = ie.IterationCost("Qwen3-30B-A3B", g)
    assert c.iteration_s(0, 0, 0, 1, 512) * 1e3 == pytest.approx(r["step_ms"], rel=1e-12)
    # fp8 weights add the two activation-quantisation kernels per MoE layer
    assert ie.MOE_ROUTING_KERNELS == 3 and ie.MOE_QUANTIZE_KERNELS == 2


def test_tabulated_linear_time_equals_a_fresh_computation():
    # IterationCost tabulates the linear term lazily (blocks of 256 whole token counts); every
    # lookup, at block edges and for fractional counts, equals a fresh table's direct value,
    # and _linear_ops keeps its contract: (compute s, memory s) pairs whose max is the time
    c = ie.IterationCost("Mixtral-8x7B", "H100-SXM", "fp8", tensor_parallel=2)
    for tokens in (1.0, 255.0, 256.0, 257.0, 512.0, 100.5, 3000.0):
        fresh = ie.operator_times._LinearTable(
            c.model, c.gpu, "fp8", 2, ie.transferred_operator_efficiency("H100-SXM"), 1.0
        )._compute(np.array([tokens]))[0]
        ops = c._linear_ops(tokens, c._touched(tokens))
        assert sum(max(a, b) for a, b in ops) == pytest.approx(
            fresh[0] + fresh[4] + c._norms_s, rel=1e-12
        )
        assert len(ops) == 3  # always-read weights, routed experts, norms
