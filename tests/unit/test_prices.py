"""Blended prices, the cheapest-model frontier and the decline fit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import inferecon as ie
from inferecon.prices import AI_INDEX_WINDOW, published_decline_rates, qualifying_mask

price = st.floats(min_value=1e-4, max_value=1e3, allow_nan=False)


def _frame(rows):
    cols = [
        "model",
        "price_date",
        "input_usd_per_mtok",
        "output_usd_per_mtok",
        "mmlu",
        "reasoning",
        "open_weights",
    ]
    df = pd.DataFrame(rows, columns=cols)
    df["price_date"] = pd.to_datetime(df["price_date"])
    df["reasoning"] = df["reasoning"].astype("boolean")
    df["open_weights"] = df["open_weights"].astype("boolean")
    return df


def test_blended_price_golden():
    # Gemini 1.5 Flash-8B $0.0375 in / $0.15 out: 3:1 blend is $0.065625, which Epoch AI and
    # Artificial Analysis round to the AI Index's $0.07.
    assert ie.blended_price(0.0375, 0.15) == pytest.approx(0.065625)
    # a16z blends 1:1; GPT-4 (Mar 2023) $30/$60 gives $45, Epoch's 3:1 gives $37.5
    assert ie.blended_price(30, 60, ie.A16Z_INPUT_SHARE) == pytest.approx(45.0)
    assert ie.blended_price(30, 60) == pytest.approx(37.5)


@given(price, price, st.floats(min_value=0, max_value=1))
def test_blend_lies_between_input_and_output(i, o, s):
    b = ie.blended_price(i, o, s)
    assert min(i, o) * (1 - 1e-12) <= b <= max(i, o) * (1 + 1e-12)


def test_blended_price_broadcasts_and_validates():
    out = ie.blended_price(np.array([1.0, 2.0]), np.array([3.0, 4.0]), np.array([[0.0], [1.0]]))
    assert out.shape == (2, 2)
    np.testing.assert_allclose(out, [[3.0, 4.0], [1.0, 2.0]])
    with pytest.raises(ValueError, match="input_share"):
        ie.blended_price(1, 1, 1.5)
    with pytest.raises(ValueError, match="output_usd_per_mtok"):
        ie.blended_price(1, -1)


def test_frontier_keeps_strict_successive_lows_in_date_order():
    df = _frame(
        [
            ("A", "2023-01-01", 10, 10, 70, False, False),
            ("B", "2023-02-01", 12, 12, 80, False, False),  # dearer: not a new low
            ("C", "2023-03-01", 10, 10, 75, False, False),  # equal: not strictly lower
            ("D", "2023-04-01", 5, 5, 60, False, True),  # below threshold
            ("E", "2023-05-01", 4, 4, 71, False, True),  # new low
            ("F", "2023-06-01", 1, 1, 90, True, False),  # reasoning: excluded by default
            ("G", "2023-07-01", 2, 2, 72, False, False),  # new low
        ]
    )
    fr = ie.cheapest_frontier(df, "mmlu", 70)
    assert fr["model"].tolist() == ["A", "E", "G"]
    assert fr["usd_per_mtok"].tolist() == [10, 4, 2]
    assert list(fr.columns[:4]) == ["model", "date", "usd_per_mtok", "score"]
    fr_r = ie.cheapest_frontier(df, "mmlu", 70, include_reasoning=True)
    assert fr_r["model"].tolist() == ["A", "E", "F"]


def test_frontier_same_day_ties_give_one_row():
    df = _frame(
        [
            ("X", "2023-01-01", 5, 5, 70, False, False),
            ("Y", "2023-01-01", 3, 3, 71, False, False),
            ("Z", "2023-01-01", 3, 3, 75, False, False),
            ("W", "2023-06-01", 1, 1, 70, False, False),
        ]
    )
    fr = ie.cheapest_frontier(df, "mmlu", 70)
    assert fr["model"].tolist() == ["Z", "W"]  # cheapest, then higher score wins the tie


def test_frontier_window_and_blend():
    df = _frame(
        [
            ("A", "2022-01-01", 1, 9, 70, False, False),
            ("B", "2023-01-01", 4, 4, 70, False, False),
            ("C", "2024-01-01", 3, 3, 70, False, False),
        ]
    )
    # 3:1 blend: A=3, B=4, C=3 -> only A; output-only: A=9, B=4, C=3
    assert ie.cheapest_frontier(df, "mmlu", 70)["model"].tolist() == ["A"]
    assert ie.cheapest_frontier(df, "mmlu", 70, input_share=0)["model"].tolist() == ["A", "B", "C"]
    fr = ie.cheapest_frontier(df, "mmlu", 70, start="2022-06-01", end="2023-06-01")
    assert fr["model"].tolist() == ["B"]


def test_frontier_bad_input():
    df = _frame([("A", "2022-01-01", 1, 1, 70, False, False)])
    with pytest.raises(ValueError, match="benchmark must be one of"):
        ie.cheapest_frontier(df, "mmlu_pro", 70)
    with pytest.raises(ValueError, match="threshold"):
        ie.cheapest_frontier(df, "mmlu", float("nan"))
    empty = ie.cheapest_frontier(df, "mmlu", 99)
    assert empty.empty
    with pytest.raises(ValueError, match="empty"):
        ie.frontier_fold_decline(empty)


def test_fit_decline_on_exact_tenfold_series():
    dates = pd.to_datetime(["2021-01-01", "2022-01-01", "2023-01-01"])  # 365 days apart
    fr = pd.DataFrame({"model": list("abc"), "date": dates, "usd_per_mtok": [100.0, 10.0, 1.0]})
    fit = ie.fit_decline(fr)
    assert fit.factor_per_year == pytest.approx(10.0, rel=1e-12)
    assert fit.r_squared == pytest.approx(1.0)
    assert fit.n_points == 3
    assert fit.fold_decline == pytest.approx(100.0)
    # by hand: a tenfold fall a year halves the price after t months with 10 ** (t / 12) = 2,
    # t = 12 log10(2) = 12 x 0.30103 = 3.6124 months
    assert fit.halving_time_months == pytest.approx(3.6124, abs=1e-4)
    lo, hi = fit.ci90
    assert lo <= fit.factor_per_year <= hi
    assert fit.start == dates[0] and fit.end == dates[-1]
    # a perfect fit has a zero-width interval, so the band of the rate is the fitted line
    band_lo, band_hi = fit.slope_band(dates)
    np.testing.assert_allclose(band_lo, [100.0, 10.0, 1.0], rtol=1e-12)
    np.testing.assert_allclose(band_hi, [100.0, 10.0, 1.0], rtol=1e-12)


def test_fit_decline_without_a_fall_has_no_halving_time():
    dates = pd.to_datetime(["2021-01-01", "2022-01-01", "2023-01-01"])
    fr = pd.DataFrame({"model": list("abc"), "date": dates, "usd_per_mtok": [1.0, 2.0, 4.0]})
    fit = ie.fit_decline(fr)
    assert fit.factor_per_year == pytest.approx(0.5, rel=1e-12)  # doubles a year
    assert fit.halving_time_months == np.inf


def test_qualifying_mask_is_the_one_filter():
    df = _frame(
        [
            ("A", "2023-01-01", 1, 1, 70, False, False),
            ("B", "2023-02-01", 1, 1, 60, False, False),  # below threshold
            ("C", "2023-03-01", 1, 1, 90, True, False),  # reasoning
            ("D", "2023-04-01", 1, 1, None, False, False),  # no score
            ("E", "2024-04-01", 1, 1, 80, None, True),  # reasoning unknown: counts as not
        ]
    )
    assert qualifying_mask(df, "mmlu", 70).tolist() == [True, False, False, False, True]
    assert qualifying_mask(df, "mmlu", 70, include_reasoning=True).tolist() == [
        True,
        False,
        True,
        False,
        True,
    ]
    assert qualifying_mask(df, "mmlu").tolist() == [True, True, False, False, True]
    window = qualifying_mask(df, "mmlu", None, start="2023-02-01", end="2023-12-31")
    assert window.tolist() == [False, True, False, False, False]
    with pytest.raises(ValueError, match="benchmark must be one of"):
        qualifying_mask(df, "mmlu_pro")
    with pytest.raises(ValueError, match="threshold"):
        qualifying_mask(df, "mmlu", float("nan"))


@given(st.floats(30, 95), st.booleans())
def test_frontier_and_best_model_only_use_qualifying_rows(threshold, reasoning):
    prices = ie.load_prices()
    ok = qualifying_mask(prices, "mmlu", threshold, include_reasoning=reasoning)
    fr = ie.cheapest_frontier(prices, "mmlu", threshold, include_reasoning=reasoning)
    assert set(fr["model"]) <= set(prices.loc[ok, "model"])
    best = ie.best_model_price(prices, "mmlu", ["2025-06-01"], include_reasoning=reasoning)
    anyscore = qualifying_mask(prices, "mmlu", include_reasoning=reasoning)
    assert best["model"].iloc[0] in set(prices.loc[anyscore, "model"])


def test_best_model_price_is_the_top_scorer_to_date():
    df = _frame(
        [
            ("A", "2023-01-01", 10, 10, 70, False, False),
            ("B", "2023-06-01", 1, 1, 60, False, False),
            ("C", "2024-01-01", 30, 30, 85, False, False),
        ]
    )
    out = ie.best_model_price(df, "mmlu", ["2022-06-01", "2023-07-01", "2024-02-01"])
    assert out["model"].tolist() == [None, "A", "C"]
    assert np.isnan(out["usd_per_mtok"].iloc[0])
    assert out["usd_per_mtok"].iloc[1:].tolist() == [10.0, 30.0]


def test_best_score_by_group_gap():
    df = _frame(
        [
            ("closed1", "2024-01-01", 1, 1, 80, False, False),
            ("open1", "2024-01-01", 1, 1, 60, False, True),
            ("open2", "2024-06-01", 1, 1, 78, False, True),
        ]
    )
    g = ie.best_score_by_group(df, "mmlu", ["2023-12-01", "2024-02-01", "2024-07-01"])
    assert np.isnan(g["gap_pct"].iloc[0])
    assert g["gap_pct"].iloc[1] == pytest.approx(25.0)
    assert g["gap_pct"].iloc[2] == pytest.approx(2.5)


def test_reasoning_models_are_left_out_unless_asked_for():
    df = _frame(
        [
            ("closed1", "2024-01-01", 1, 1, 80, False, False),
            ("o-reasoner", "2024-02-01", 9, 9, 95, True, False),
            ("open1", "2024-01-01", 1, 1, 60, False, True),
        ]
    )
    g = ie.best_score_by_group(df, "mmlu", ["2024-03-01"])
    assert g["closed"].iloc[0] == 80.0  # (80 - 60) / 80 = 25%
    assert g["gap_pct"].iloc[0] == pytest.approx(25.0)
    g = ie.best_score_by_group(df, "mmlu", ["2024-03-01"], include_reasoning=True)
    assert g["closed"].iloc[0] == 95.0
    assert ie.best_model_price(df, "mmlu", ["2024-03-01"])["model"].tolist() == ["closed1"]
    best = ie.best_model_price(df, "mmlu", ["2024-03-01"], include_reasoning=True)
    assert best["model"].tolist() == ["o-reasoner"]


def test_published_decline_rates_annualise_the_ai_index():
    out = published_decline_rates(ie.load_published_rates()).set_index("label")
    # by hand: 2022-11-30 to 2024-10-03 is 31 + 365 + 277 = 673 days; 280-fold over 673/365
    # years is 280 ** (365 / 673) = exp(5.63479 x 0.542348) = 21.24 per year
    assert AI_INDEX_WINDOW == ("2022-11-30", "2024-10-03")
    assert out.loc["AI Index 280-fold, annualised", "value"] == pytest.approx(21.243, abs=1e-3)
    # data/published_rates.csv: Epoch AI 40x (9-900x), a16z 10x per year
    epoch = out.loc["Epoch AI: range across tasks"]
    assert (epoch["value"], epoch["low"], epoch["high"]) == (40, 9, 900)
    assert out.loc["a16z LLMflation", "value"] == 10
    assert np.isnan(out.loc["a16z LLMflation", "low"])
    assert published_decline_rates(ie.load_published_rates().iloc[:0]).empty


def test_project_data_reproduces_the_280_fold_claim():
    # Stanford AI Index 2025: GPT-3.5-level (MMLU >= 64.8) inference fell from about $20
    # (Nov 2022) to $0.07 per million tokens (Oct 2024), over 280-fold.
    prices = ie.load_prices()
    fr = ie.cheapest_frontier(prices, "mmlu", 64.8, end="2024-10-31")
    first, last = fr.iloc[0], fr.iloc[-1]
    assert first["date"] == pd.Timestamp("2022-11-30")
    assert first["usd_per_mtok"] == pytest.approx(20.0)
    assert "GPT-3.5" in first["model"]
    assert last["date"].strftime("%Y-%m") == "2024-10"
    assert ie.frontier_fold_decline(fr) > 280
    fit = ie.fit_decline(fr)
    # independent least squares (numpy's polyfit, not scipy's linregress that the package
    # uses) of log10 price on days / 365: the same rate to rounding (achieved ~1e-15)
    years = (fr["date"] - fr["date"].iloc[0]).dt.days.to_numpy() / 365.0
    slope = np.polyfit(years, np.log10(fr["usd_per_mtok"].to_numpy()), 1)[0]
    assert fit.factor_per_year == pytest.approx(10**-slope, rel=1e-9)
    # the bundled series (11 lows) is not Epoch's (Epoch AI 2025, MMLU >= 64.8: 15.8x per
    # year, 90% CI 8.1-31.1x): its rate must fall inside Epoch's published interval
    assert 8.1 < fit.factor_per_year < 31.1


# ----------------------------------------------------------------------------- the explorer


def test_price_explorer_draws_the_packages_numbers():
    import inferecon.viz as viz

    ex = viz.PriceDeclineExplorer(threshold=70.0, input_share=0.5)
    try:
        prices = ex.prices
        end = pd.Timestamp(ex.controls["window"].value[1]) + pd.offsets.MonthEnd(0)
        fr = ie.cheapest_frontier(prices, "mmlu", 70.0, input_share=0.5, end=end)
        pd.testing.assert_frame_equal(ex.frontier, fr)
        fit = ie.fit_decline(fr)
        assert ex.fit.factor_per_year == fit.factor_per_year
        # the shaded band is the package's band of the rate's 90% CI
        tx = pd.date_range(fit.start, fit.end, periods=50)
        lo, hi = fit.slope_band(tx)
        np.testing.assert_array_equal(ex._band.get_xy()[:50, 1], lo)
        np.testing.assert_array_equal(ex._band.get_xy()[50:100, 1], hi[::-1])
        # the highlighted points are exactly the rows qualifying_mask lets through
        n_qual = qualifying_mask(prices, "mmlu", 70.0, end=end).sum()
        assert len(ex._qual.get_xdata()) == n_qual
        assert len(ex._other.get_xdata()) == len(prices) - n_qual
        # the plotted data is one DataFrame (built on demand for the export), the frontier drawn
        plotted = ex.data()
        assert isinstance(plotted, pd.DataFrame)
        assert plotted["model"].tolist() == fr["model"].tolist()
        assert plotted["date"].tolist() == fr["date"].dt.strftime("%Y-%m-%d").tolist()
        np.testing.assert_array_equal(plotted["usd_per_mtok"], fr["usd_per_mtok"])
    finally:
        ex.close()


def test_price_explorer_takes_the_published_rates_it_draws():
    import inferecon.viz as viz

    pub = ie.load_published_rates()
    ex = viz.PriceDeclineExplorer(published=pub.drop(index="a16z_llmflation"))
    try:
        assert "a16z LLMflation" not in ex.published["label"].tolist()
        assert len(ex.published) == 2
    finally:
        ex.close()
