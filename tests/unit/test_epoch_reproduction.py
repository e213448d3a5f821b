"""Fidelity: Epoch AI's 21 published price-decline fits, reproduced from Epoch's own data.

Source: Epoch AI, "LLM inference prices have fallen rapidly but unequally across tasks"
(2025-03-12), repository epoch-research/llm-benchmark-efficiency at 34b9233,
results/default/lowest_price_models_above_previous_frontier/lowest_price_models_results.csv.
The files are read from ../shared/reference (test-only; never committed here).
"""

from __future__ import annotations

import ast

import pandas as pd
import pytest

import inferecon as ie

# Epoch's published factors and 90% CIs are reproduced to 1.4e-11 relative (the same OLS in
# double precision); tested at 1e-9. Their R² is published to 2 decimals: the fitted R² must
# round to it (within half the last digit, 0.005, plus 1e-9).
RATE_RTOL = 1e-9

BENCH = {
    "MMLU": "mmlu",
    "GPQA Diamond": "gpqa_diamond",
    "MATH-500": "math_500",
    "MATH 5": "math_level_5",
    "HumanEval": "humaneval",
    "LMSys Chatbot Arena ELO": "arena_elo",
}


@pytest.fixture(scope="module")
def epoch(epoch_dir):
    return ie.read_epoch_prices(epoch_dir), pd.read_csv(
        epoch_dir / "lowest_price_models_results.csv"
    )


def test_reads_both_epoch_files(epoch_dir, epoch):
    df, _ = epoch
    n_rows = [len(pd.read_csv(epoch_dir / f)) for f in ie.datasets.EPOCH_FILES]
    assert len(df) == sum(n_rows)
    assert set(ie.BENCHMARKS) <= set(df.columns)
    single = ie.read_epoch_prices(epoch_dir / "aa_data_with_math5.csv")
    assert len(single) == n_rows[0]
    # reasoning models are recognised by name
    flagged = set(df.loc[df["reasoning"].astype(bool), "model"])
    assert {"o1", "o1-mini", "o3-mini", "DeepSeek-R1", "o1-preview"} <= flagged
    assert "GPT-4o-mini" not in flagged


def test_all_21_published_rates(epoch):
    df, results = epoch
    assert len(results) == 21
    for r in results.itertuples():
        low = float(r.performance_range.strip("[]").split(",")[0])
        fr = ie.cheapest_frontier(df, BENCH[r.bench], low)
        fit = ie.fit_decline(fr)
        what = f"{r.bench} >= {low} ({r.threshold_model})"
        assert fit.n_points == r.sample_size, what
        assert fit.factor_per_year == pytest.approx(
            r.price_reduction_factor_per_year, rel=RATE_RTOL
        ), what
        ci = ast.literal_eval(r.price_reduction_factor_per_year_90_ci)
        assert fit.ci90[0] == pytest.approx(ci[0], rel=RATE_RTOL), what
        assert fit.ci90[1] == pytest.approx(ci[1], rel=RATE_RTOL), what
        assert abs(fit.r_squared - r.r_squared) <= 0.005 + 1e-9, what
        assert fit.start == pd.Timestamp(r.start_date), what
        assert fit.end == pd.Timestamp(r.end_date), what


def test_frontier_models_match_epochs_series(epoch_dir, epoch):
    df, _ = epoch
    series = pd.read_csv(epoch_dir / "lowest_price_models_data.csv")
    mine = ie.cheapest_frontier(df, "mmlu", 64.8)
    theirs = series[(series.bench == "MMLU") & (series.threshold_model == "GPT-3.5")]
    assert mine["model"].tolist() == theirs["Model Name"].tolist()
    assert mine["usd_per_mtok"].tolist() == pytest.approx(theirs["USD per 1M Tokens"].tolist())


def test_ai_index_280_fold_from_epochs_data(epoch):
    # The AI Index 2025 figure: $20 (GPT-3.5, 2022-11-30) -> $0.07 (Gemini-1.5-Flash-8B,
    # 2024-10-03) = 285.7-fold.
    df, _ = epoch
    fr = ie.cheapest_frontier(df, "mmlu", 64.8, end="2024-10-31")
    assert ie.frontier_fold_decline(fr) == pytest.approx(20 / 0.07)
    assert ie.frontier_fold_decline(fr) > 280


def test_range_of_published_rates_is_9_to_900(epoch):
    # Epoch's headline: "9x to 900x per year depending on the task"; the slowest and fastest
    # of their 21 published fits (9.24x and 851.2x in their results file)
    df, results = epoch
    rates = []
    for r in results.itertuples():
        low = float(r.performance_range.strip("[]").split(",")[0])
        rates.append(ie.fit_decline(ie.cheapest_frontier(df, BENCH[r.bench], low)).factor_per_year)
    published = results["price_reduction_factor_per_year"]
    assert min(rates) == pytest.approx(published.min(), rel=RATE_RTOL)
    assert max(rates) == pytest.approx(published.max(), rel=RATE_RTOL)
    assert round(min(rates)) == 9 and 850 < max(rates) < 900
