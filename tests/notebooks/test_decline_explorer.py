"""What the decline waterfall (notebook 07) shows, checked against the package's numbers."""

from __future__ import annotations

import math

import numpy as np
import pytest

import inferecon as ie


@pytest.fixture(scope="module")
def ex():
    e = ie.viz.DeclineWaterfallExplorer(monte_carlo=True)
    yield e
    e.close()


def test_default_is_the_ai_index_split(ex):
    tables = ie.load_serving_scenarios(), ie.load_engine_profiles(), ie.load_prices()
    start, end = (ie.serving_scenario(s, *tables) for s in ("ai-index-2022", "ai-index-2024"))
    split = ie.decompose_price_decline(start, end, draws=10_000, seed=0)
    d = ex.data().set_index("step")
    s = split.summary.set_index("factor")
    # sliders left where they were loaded keep the data's ranges: the same intervals
    for f in ("model", "hardware", "serving", "residual"):
        assert d.loc[f, "fold_low"] == pytest.approx(s.loc[f, "fold_low"], rel=1e-12)
        assert d.loc[f, "fold_high"] == pytest.approx(s.loc[f, "fold_high"], rel=1e-12)
    # the bars: start price down to end price exactly (geometric-mean folds multiply to it)
    folds = d.loc[["model", "hardware", "serving", "residual"], "fold_median"]
    assert math.prod(folds) == pytest.approx(split.price_ratio, rel=1e-9)
    assert d.loc["start price", "top"] == 20.0
    assert d.loc["end price", "top"] == pytest.approx(0.065625)


def test_monte_carlo_off_makes_the_sliders_drag(ex):
    w = ex.controls["start_usd_per_gpu_hour"]
    assert not w.continuous_update
    ex.controls["monte_carlo"].value = False
    try:
        assert w.continuous_update
        assert not ex.controls["start_params_b"].continuous_update  # re-runs the serving model
        assert "central estimate" in ex.readout.value
    finally:
        ex.controls["monte_carlo"].value = True


def test_wrong_order_and_no_fit_are_said_not_drawn(ex):
    try:
        ex.controls["start"].value = ex.controls["end"].value  # the last point: nothing after
        assert "pick a start before the end" in ex.readout.value
        assert not any(b.get_visible() for b in ex._bars)
        ex.reset()
        ex.controls["start"].value = "DeepSeek-V2 (Chat), 2024-05-06"
        ex.controls["end"].value = "Llama 2 70B Chat (hosted), 2023-12-01"  # before the start
        text = ex.readout.value
        assert "wrong order" in text and "nan" not in text.lower()
        assert not any(b.get_visible() for b in ex._bars)
        ex.reset()
        ex.controls["frontier"].value = "MMLU ≥ 83 (GPT-4 level)"
        ex.controls["end"].value = "DeepSeek-V3, 2024-12-26"
        # DeepSeek-V3 served by the start's engine (bf16) on its A100s: 1.3 TB of weights
        assert "does not fit" in ex.readout.value
        # the start's engine has no paged KV, bf16 weights (1.3 TB): no 8-GPU server holds them
        ex.controls["start_gpu"].value = "B200-HGX"
        assert "does not fit on B200-HGX" in ex.readout.value
        ex.controls["end"].value = "Llama 3.1 70B Instruct (hosted), 2024-07-23"
        assert "does not fit" not in ex.readout.value
        assert all(b.get_visible() for b in ex._bars)
        assert np.isfinite(ex.data()["fold_median"].dropna()).all()
    finally:
        ex.reset()


def test_the_batch_slider_moves_the_serving_factor(ex):
    # the start's engine reserves KV memory to the maximum length (0.204-0.382 holds tokens);
    # a larger share holds a larger batch, a cheaper start, so less left for serving to explain
    w = ex.controls["start_kv_used_share"]
    assert not w.continuous_update  # it re-runs the serving model
    ex.controls["monte_carlo"].value = False
    try:
        assert w.value == pytest.approx(math.sqrt(0.204 * 0.382), abs=0.005)
        before = ex.data().set_index("step").loc["serving", "fold_median"]
        w.value = 0.9
        after = ex.data().set_index("step").loc["serving", "fold_median"]
        assert after < before
        # the other factors' product still gives the price ratio: the residual takes it up
        folds = ex.data().set_index("step").loc[["model", "hardware", "serving", "residual"]]
        assert math.prod(folds["fold_median"]) == pytest.approx(20.0 / 0.065625, rel=1e-9)
    finally:
        ex.reset()
        ex.controls["monte_carlo"].value = True


def test_any_frontier_and_blend_of_notebook_01():
    # a16z's MMLU >= 42 frontier at a 1:1 blend (notebook 01's blend control): the ends' mix
    # follows the blend (1,200 tokens of the scenario table, half of them prompt)
    e = ie.viz.DeclineWaterfallExplorer(frontiers={"MMLU ≥ 42, 1:1": ("mmlu", 42, 0.5)})
    try:
        assert e.controls["frontier"].options == ("MMLU ≥ 42, 1:1",)
        assert e._base["start"].prompt_tokens == e._base["start"].output_tokens == 600
        assert all(b.get_visible() for b in e._bars)
        assert np.isfinite(e.data()["fold_median"].dropna()).all()
    finally:
        e.close()
    with pytest.raises(ValueError, match=r"frontiers\['x'\] must be \(benchmark, threshold\)"):
        ie.viz.DeclineWaterfallExplorer(frontiers={"x": ("mmlu",)})
    with pytest.raises(ValueError, match=r"frontiers\['x'\] has 0 point\(s\) of known size"):
        ie.viz.DeclineWaterfallExplorer(frontiers={"x": ("mmlu", 99.0)})
