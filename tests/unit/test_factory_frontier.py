"""The speed/throughput frontier (inferecon.serving_frontier): Pareto sets, operating points,
tiers and their costs; bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import inferecon as ie

REL = 1e-12  # closed-form formulas: float rounding only (the reasoning: test_factory.py)


def test_pareto_mask_by_hand():
    # points (speed, throughput): (1, 10) (2, 8) (3, 8) (4, 1) (2, 5) (3, 8)
    # (2, 8) is beaten by (3, 8); (2, 5) by (3, 8); the second (3, 8) is a duplicate.
    x = [1, 2, 3, 4, 2, 3]
    y = [10, 8, 8, 1, 5, 8]
    assert ie.pareto_mask(x, y).tolist() == [True, False, True, True, False, False]
    # one front per group
    assert ie.pareto_mask([1, 2, 1, 2], [2, 1, 1, 2], groups=["a", "a", "b", "b"]).tolist() == [
        True,
        True,
        False,
        True,
    ]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 30), st.integers(1, 30)), min_size=1, max_size=40))
def test_pareto_set_is_exactly_the_undominated_points(points):
    x = np.array([p[0] for p in points], dtype=float)
    y = np.array([p[1] for p in points], dtype=float)
    keep = ie.pareto_mask(x, y)
    for i in range(len(x)):
        dominated = np.any((x >= x[i]) & (y >= y[i]) & ((x > x[i]) | (y > y[i])))
        if dominated:
            assert not keep[i]
        else:  # undominated: kept unless an identical point was kept
            same = np.flatnonzero((x == x[i]) & (y == y[i]))
            assert keep[same].sum() == 1


@pytest.fixture(scope="module")
def frontier():
    return ie.throughput_frontier(
        "Llama-3.1-70B", ["H100-SXM", "B200-HGX", "A100-80GB-SXM"], 1024, 1024
    )


def test_frontier_is_pareto_optimal_per_gpu_and_per_mw(frontier):
    assert set(frontier["gpu"]) == {"H100-SXM", "B200-HGX", "A100-80GB-SXM"}
    assert set(frontier.loc[frontier["gpu"] == "A100-80GB-SXM", "precision"]) == {"bf16"}
    assert set(frontier.loc[frontier["gpu"] == "B200-HGX", "precision"]) == {"bf16", "fp8", "fp4"}
    for g, d in frontier.groupby("gpu"):
        front = d[d["pareto"]]
        assert len(front) >= 5
        for _, r in front.iterrows():
            better = (d["tokens_per_s_per_user"] > r["tokens_per_s_per_user"]) & (
                d["tokens_per_s_per_gpu"] > r["tokens_per_s_per_gpu"]
            )
            assert not better.any(), g
    mw = frontier[frontier["pareto_mw"]]
    for _, r in mw.iterrows():
        better = (frontier["tokens_per_s_per_user"] > r["tokens_per_s_per_user"]) & (
            frontier["tokens_per_s_per_mw"] > r["tokens_per_s_per_mw"]
        )
        assert not better.any()
    # per MW uses the cited all-in power: 1.73 kW for H100
    h = frontier[frontier["gpu"] == "H100-SXM"].iloc[0]
    assert h["tokens_per_s_per_mw"] == pytest.approx(
        h["tokens_per_s_per_gpu"] * 1000 / 1.73, rel=REL
    )


def test_operating_point_for_a_target_speed(frontier):
    costs = ie.frontier_costs(frontier, utilisation=0.7)
    op = ie.operating_point_for_speed(costs, 50, gpu="B200-HGX", objective="cost")
    assert op["reachable"] and op["tokens_per_s_per_user"] >= 50
    mine = costs[(costs["gpu"] == "B200-HGX") & (costs["tokens_per_s_per_user"] >= 50)]
    assert op["total_usd_per_mtok"] == mine["total_usd_per_mtok"].min()
    op = ie.operating_point_for_speed(costs, 50, gpu="B200-HGX")
    assert op["tokens_per_s_per_gpu"] == mine["tokens_per_s_per_gpu"].max()
    fastest = costs.loc[costs["tokens_per_s_per_user"].idxmax()]
    with pytest.raises(ValueError, match="unreachable: the fastest configuration is") as info:
        ie.operating_point_for_speed(costs, 10_000)
    assert f"{fastest['tokens_per_s_per_user']:,.0f} tokens/s per user" in str(info.value)
    op = ie.operating_point_for_speed(costs, 10_000, on_unreachable="fastest")
    assert not op["reachable"] and op["batch"] == fastest["batch"]


def test_operating_points_by_gpu_match_one_gpu_at_a_time(frontier):
    costs = ie.frontier_costs(frontier, utilisation=0.7)
    for target in (5, 50, 400, 10_000):  # 10,000 tokens/s per user: out of every GPU's reach
        by_gpu = ie.operating_points_by_gpu(costs, target)
        assert by_gpu["gpu"].tolist() == list(pd.unique(costs["gpu"]))
        for _, r in by_gpu.iterrows():
            one = ie.operating_point_for_speed(
                costs, target, gpu=r["gpu"], objective="cost", on_unreachable="fastest"
            )
            assert r["reachable"] == one["reachable"]
            assert (r["batch"], r["precision"]) == (one["batch"], one["precision"])
            assert r["total_usd_per_mtok"] == one["total_usd_per_mtok"]
            assert costs.iloc[r["frontier_row"]]["batch"] == r["batch"]
    assert not ie.operating_points_by_gpu(costs, 10_000)["reachable"].any()
    with pytest.raises(ValueError, match="objective must be one of"):
        ie.operating_points_by_gpu(costs, 50, objective="speed")


def test_default_frontier_batch_sizes():
    # 64 log-spaced points from 1 to 4,096 rounded: 1, 1, 1, 2, 2, ... collapse to 55 sizes
    b = ie.FRONTIER_BATCH_SIZES
    assert len(b) == 55 and b[0] == 1 and b[-1] == 4096 and np.all(np.diff(b) > 0)
    one = ie.throughput_frontier("Llama-3.1-8B", "H200-SXM", 128, 128, precisions=["bf16"],
                                 tensor_parallel_sizes=[8])  # fmt: skip
    np.testing.assert_array_equal(one["batch"], b)  # everything fits: one row per size


def test_tiered_prices(frontier):
    # The fast tier must be a speed inside the B200's reach but above its cheapest point, so
    # that "the cheapest configuration at least that fast" is a real choice: 60 tokens/s per
    # user (a fast interactive tier). Llama-3.1-70B on B200 runs from 34 tokens/s per user at
    # its cheapest point (fp4, TP1, batch 333) to 99 at its fastest (fp4, TP8, batch 1): 100,
    # the target before the GEMM time model and the measured all-reduce, is out of reach (each
    # of TP8's 160 all-reduces per step pays 28.85 us, NCCL's latency measured on an H100 DGX,
    # which B200 borrows: 4.6 ms of a 9.9 ms step at batch 1), and a target near the
    # fastest point would test the unreachable path, which test_operating_point_for_a_target_speed
    # has.
    costs = ie.frontier_costs(frontier, utilisation=0.7)
    tiers = ie.tiered_prices(costs, 60, gross_margin=0.5, gpu="B200-HGX")
    assert tiers["tier"].tolist() == ["cheap", "fast"]
    np.testing.assert_allclose(tiers["price_usd_per_mtok"], 2 * tiers["cost_usd_per_mtok"])
    assert tiers["price_ratio"].iloc[1] > 1 and tiers["tokens_per_s_per_user"].iloc[1] >= 60
    b200 = costs[costs["gpu"] == "B200-HGX"]
    fast_enough = b200[b200["tokens_per_s_per_user"] >= 60]
    assert tiers["cost_usd_per_mtok"].iloc[1] == fast_enough["total_usd_per_mtok"].min()
    assert tiers["tokens_per_s_per_user"].iloc[1] < b200["tokens_per_s_per_user"].max()
    assert tiers["cost_usd_per_mtok"].iloc[0] == pytest.approx(
        costs.loc[costs["gpu"] == "B200-HGX", "total_usd_per_mtok"].min()
    )


def test_frontier_costs_use_mid_rental_prices(frontier):
    costs = ie.frontier_costs(frontier)
    h = costs[costs["gpu"] == "H100-SXM"].iloc[0]
    assert h["hardware_usd_per_gpu_hour"] == pytest.approx((1.3 + 6.88) / 2)
    owned = ie.frontier_costs(
        frontier, purchase_usd={"H100-SXM": 30_000, "B200-HGX": 45_000, "A100-80GB-SXM": 15_000},
        lifetime_years=4,
    )  # fmt: skip
    assert owned.loc[owned["gpu"] == "B200-HGX", "hardware_usd_per_gpu_hour"].iloc[0] == (
        pytest.approx(45_000 / 4 / 8760)
    )
    with pytest.raises(ValueError, match=r"purchase_usd has no value for GPU\(s\) \['A100"):
        ie.frontier_costs(frontier, purchase_usd={"H100-SXM": 1, "B200-HGX": 1}, lifetime_years=4)


def test_frontier_bad_input():
    with pytest.raises(ValueError, match=r"'fp4' is not supported natively by GPU 'A100"):
        ie.throughput_frontier("Llama-3.1-8B", "A100-80GB-SXM", 512, 128, precisions=["fp4"])
    with pytest.raises(ValueError, match="objective must be one of"):
        ie.operating_point_for_speed(
            ie.throughput_frontier("Llama-3.1-8B", "H100-SXM", 512, 128), 10, objective="fast"
        )
    empty = ie.throughput_frontier("Llama-3.1-405B", "L4", 1024, 1024)
    assert empty.empty
    with pytest.raises(ValueError, match="the frontier is empty"):
        ie.operating_point_for_speed(empty, 10)
    with pytest.raises(ValueError, match=r"gross_margin must be in \[0, 1\)"):
        ie.tiered_prices(ie.frontier_costs(empty), 10, gross_margin=1.0)


# --------------------------------------------------------------------------- expert parallelism


def test_dense_frontier_is_unchanged_by_expert_parallel_sizes():
    # a dense model has no experts to spread: asking for EP changes nothing, column for column
    args = ("Llama-3.1-8B", ["H200-SXM", "GB200-per-GPU"], 1024, 256)
    plain = ie.throughput_frontier(*args)
    asked = ie.throughput_frontier(*args, expert_parallel_sizes="default")
    pd.testing.assert_frame_equal(plain, asked)
    assert "configuration" not in plain


def test_fp4_frontier_keeps_the_kv_cache_in_fp8():
    b = np.array([1.0, 64.0, 512.0])
    front = ie.throughput_frontier("Llama-3.1-70B", "B200-HGX", 1024, 1024, precisions=["fp4"],
                                   tensor_parallel_sizes=[1], batches=b)  # fmt: skip
    sp = ie.serving_performance("Llama-3.1-70B", "B200-HGX", b, 1024, 1024, "fp4",
                                kv_precision="fp8", check_memory=False,
                                usd_per_gpu_hour=1.0)  # fmt: skip
    fit = sp[sp["fits"]]
    np.testing.assert_array_equal(front["batch"], fit["batch"])
    np.testing.assert_allclose(front["tokens_per_s_per_gpu"], fit["tokens_per_s_per_gpu"], rtol=REL)


def test_moe_frontier_adds_expert_parallelism_within_each_nvlink_domain():
    b = np.array([16.0, 128.0, 512.0])
    gpus = ["GB200-per-GPU", "B200-HGX", "H200-SXM"]
    front = ie.throughput_frontier("DeepSeek-V3", gpus, 2000, 100, precisions=["fp8"], batches=b,
                                   expert_parallel_sizes="default")  # fmt: skip
    ep = front[front["expert_parallel"] > 1]
    sizes = {g: set(d["expert_parallel"]) for g, d in ep.groupby("gpu")}
    # GB200 NVL72's 72-GPU domain holds every size; an HGX board (B200, H200) only EP8
    assert sizes["GB200-per-GPU"] <= {8, 16, 32, 64, 72} and 72 in sizes["GB200-per-GPU"]
    assert sizes["B200-HGX"] == {8} and sizes["H200-SXM"] == {8}
    assert (ep["configuration"] == [f"EP{n} DP-attention" for n in ep["expert_parallel"]]).all()
    tp = front[front["expert_parallel"] == 1]
    assert (tp["configuration"] == [f"TP{n}" for n in tp["tensor_parallel"]]).all()
    # an EP row is expert_parallel_serving_performance's
    r = ep[(ep["gpu"] == "GB200-per-GPU") & (ep["expert_parallel"] == 72)].iloc[0]
    s = ie.expert_parallel_serving_performance("DeepSeek-V3", "GB200-per-GPU", r["batch"], 2000,
                                               100, 72, "fp8")  # fmt: skip
    assert r["tokens_per_s_per_gpu"] == pytest.approx(s["tokens_per_s_per_gpu"].item(), rel=REL)
    # wide EP reaches more tokens per GPU on GB200 than its best tensor-parallel configuration
    g = front[front["gpu"] == "GB200-per-GPU"]
    assert (
        g.loc[g["expert_parallel"] > 1, "tokens_per_s_per_gpu"].max()
        > g.loc[g["expert_parallel"] == 1, "tokens_per_s_per_gpu"].max()
    )
    best = ie.operating_point_for_speed(g, 1.0)  # the most tokens per GPU, described by label
    assert best["expert_parallel"] > 1 and best["configuration"].startswith("EP")
    with pytest.raises(ValueError, match="expert_parallel_sizes"):
        ie.throughput_frontier("DeepSeek-V3", "GB200-per-GPU", 2000, 100, expert_parallel_sizes="x")
