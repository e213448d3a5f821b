"""Hardware trends (inferecon.trends) and the accelerator and factory-assumption datasets."""

from __future__ import annotations

import csv
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import inferecon as ie
from inferecon.datasets import ACCELERATORS_SCHEMA

# --------------------------------------------------------------------------- the data


def test_bundled_accelerators_validate():
    df = ie.load_accelerators()
    assert len(df) >= 30
    assert df["release_date"].min() <= pd.Timestamp("2012-12-31")
    assert df["release_date"].max() >= pd.Timestamp("2025-01-01")
    assert df["release_date"].is_monotonic_increasing
    assert {"NVIDIA", "AMD", "Google", "Intel"} <= set(df["vendor"])
    assert df["source_url"].str.startswith("http").all()
    assert (df["price_source_url"].dropna().str.startswith("http")).all()
    assert df["launch_usd"].notna().sum() >= 20  # enough priced chips for a price trend
    # one row per gpus.csv data-centre GPU family, with the same dense peaks (both from
    # datasheets): H100 SXM 989 / 1979 TFLOP/s, B200 2,250 / 4,500 / 9,000
    h100 = df.set_index("name").loc["NVIDIA H100 SXM5 80 GB"]
    assert (h100["bf16_tflops"], h100["fp8_tflops"]) == pytest.approx((989.4, 1978.9))
    b200 = df.set_index("name").loc["NVIDIA B200"]
    assert (b200["bf16_tflops"], b200["fp8_tflops"], b200["fp4_tflops"]) == (2250, 4500, 9000)


def test_bundled_factory_assumptions_validate():
    a = ie.load_factory_assumptions()
    assert a.loc["nvidia_nvl72_token_revenue_usd", "value"] == 75e6
    assert a.loc["nvidia_nvl72_system_usd", "kind"] == "vendor_claim"
    assert a.loc["epoch_query_wh", "value"] == 0.3
    assert a.loc["google_gemini_median_text_prompt_wh", "value"] == 0.24
    assert a["source_url"].str.startswith("http").all()
    shares = [f"google_gemini_share_{k}" for k in ("accelerator", "host", "idle", "overhead")]
    assert a.loc[shares, "value"].sum() == pytest.approx(1.01)  # as published, rounded
    gpus = set(ie.load_gpus()["name"])
    assert set(a["gpu"].dropna()) <= gpus


def _write(path, rows):
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(rows[0])
        w.writerows(rows[1:])
    return path


def test_broken_accelerator_copy_lists_every_problem(tmp_path):
    names = ACCELERATORS_SCHEMA.names
    good = {
        "name": "A", "vendor": "V", "type": "gpu", "segment": "datacenter",
        "release_date": "2020-01-01",
        "fp32_tflops": "10", "bf16_tflops": "100", "fp8_tflops": "200", "fp4_tflops": "",
        "memory_gb": "80", "memory_tb_s": "2", "tdp_w": "400", "launch_usd": "10000",
        "price_kind": "launch", "price_source_url": "https://x.org", "source_url": "https://x.org",
        "data_source": "epoch", "notes": "",
    }  # fmt: skip

    def row(**kw):
        r = {**good, **kw}
        return [r[c] for c in names]

    rows = [
        names,
        row(),
        row(name="date", release_date="2020-13-01"),
        row(name="tdp", tdp_w="-5"),
        row(name="segment", segment="server"),
        row(name="price", price_kind=""),  # a price without its kind
        row(name="order", bf16_tflops="300"),  # 16-bit above FP8
        row(name="empty", fp32_tflops="", bf16_tflops="", fp8_tflops=""),
        row(),  # duplicate of line 2
    ]
    p = _write(tmp_path / "acc.csv", rows)
    with pytest.raises(ie.DataValidationError) as info:
        ie.load_accelerators(p)
    found = {(pr.line, pr.column) for pr in info.value.problems}
    assert (3, "release_date") in found
    assert (4, "tdp_w") in found
    assert (5, "segment") in found
    assert (6, "price_kind") in found
    assert (7, "bf16_tflops") in found
    assert (8, "bf16_tflops") in found
    assert (9, "name") in found
    assert len(found) == 7
    assert str(p) in str(info.value)
    # a missing column is reported with the cell problems
    rows = [[c for c in r if c is not None] for r in rows]
    cut = [r[:1] + r[2:] for r in rows]  # drop "vendor"
    p = _write(tmp_path / "cut.csv", cut)
    with pytest.raises(ie.DataValidationError) as info:
        ie.load_accelerators(p)
    found = {(pr.line, pr.column) for pr in info.value.problems}
    assert (None, "vendor") in found and (3, "release_date") in found


def test_missing_user_file_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        ie.load_accelerators(tmp_path / "nope.csv")


# --------------------------------------------------------------------------- metrics and fits


def test_metric_golden():
    df = ie.load_accelerators().set_index("name", drop=False)
    h = df.loc[["NVIDIA H100 SXM5 80 GB"]]
    # 989.4e12 FLOP/s / USD 33,600 = 2.9446e10 FLOP/s per USD; / 700 W = 1.4134e12 FLOP/s per W
    assert ie.accelerator_metric(h, "price_performance", "bf16").iloc[0] == pytest.approx(
        989.4e12 / 33_600
    )
    assert ie.accelerator_metric(h, "energy_efficiency", "bf16").iloc[0] == pytest.approx(
        989.4e12 / 700
    )
    t4 = df.loc[["NVIDIA Tesla T4"]]
    assert math.isnan(ie.accelerator_metric(t4, "price_performance", "fp32").iloc[0])  # no price
    with pytest.raises(ValueError, match="precision must be one of"):
        ie.accelerator_metric(h, "energy_efficiency", "int8")
    with pytest.raises(ValueError, match="metric must be one of"):
        ie.accelerator_metric(h, "speed", "bf16")


def _synthetic(values, dates, **extra):
    n = len(values)
    return pd.DataFrame(
        {
            "name": [f"chip{i}" for i in range(n)],
            "vendor": "X",
            "segment": "datacenter",
            "release_date": pd.to_datetime(dates),
            "fp32_tflops": np.asarray(values, dtype=float) / 1e12,
            "bf16_tflops": np.nan,
            "fp8_tflops": np.nan,
            "fp4_tflops": np.nan,
            "tdp_w": 1.0,
            "launch_usd": 1.0,
            "price_kind": "launch",
            **extra,
        }
    )


def test_fit_recovers_a_known_doubling():
    # FLOP/s per W that doubles every 365 days exactly: factor 2.0 a year, doubling in 1 year
    dates = pd.Timestamp("2015-01-01") + pd.to_timedelta([0, 365, 730, 1095, 1460], unit="D")
    df = _synthetic([1e12 * 2**k for k in range(5)], dates)
    t = ie.fit_hardware_trend(df, "energy_efficiency", "fp32")
    assert t.factor_per_year == pytest.approx(2.0, rel=1e-12)
    assert t.doubling_time_years == pytest.approx(1.0, rel=1e-12)
    assert t.percent_per_year == pytest.approx(100.0)
    assert t.factor_per_year_ci90 == pytest.approx((2.0, 2.0), rel=1e-9)  # a perfect fit
    assert t.describe_time() == "doubling every 1.0 years"
    falling = _synthetic([1e12 / 2**k for k in range(5)], dates)
    t = ie.fit_hardware_trend(falling, "energy_efficiency", "fp32")
    assert t.describe_time() == "halving every 1.0 years" and math.isinf(t.doubling_time_years)


@settings(max_examples=40, deadline=None)
@given(st.floats(0.5, 3.0), st.floats(1e-3, 1e3), st.integers(3, 12))
def test_fit_ignores_the_unit_and_finds_the_rate(rate, scale, n):
    days = np.round(np.linspace(0, 3650, n))  # whole days, as release dates are
    dates = pd.Timestamp("2012-01-01") + pd.to_timedelta(days, unit="D")
    values = scale * 1e12 * rate ** (days / 365.0)
    t = ie.fit_hardware_trend(_synthetic(values, dates), "energy_efficiency", "fp32")
    assert t.factor_per_year == pytest.approx(rate, rel=1e-9)
    # the same chips 10x more expensive: the same rate of price-performance
    a = _synthetic(values, dates, launch_usd=3.0)
    b = _synthetic(values, dates, launch_usd=30.0)
    fa = ie.fit_hardware_trend(a, "price_performance", "fp32").factor_per_year
    fb = ie.fit_hardware_trend(b, "price_performance", "fp32").factor_per_year
    assert fa == pytest.approx(fb, rel=1e-9)


def test_too_few_chips_is_said():
    df = ie.load_accelerators()
    with pytest.raises(ValueError, match=r"needs at least 3 accelerators .* has 1"):
        ie.fit_hardware_trend(df, "price_performance", "fp4")  # only the B100 has a price


def test_trend_table_shows_the_dependence_on_choices():
    df = ie.load_accelerators()
    table = ie.hardware_trend_table(df)
    assert len(table) == 2 * 4 * 5
    fp4 = table.query("metric == 'price_performance' and precision == 'fp4'")
    assert fp4["factor_per_year"].isna().all() and fp4["note"].str.contains("no fit").all()
    # two cells derived by hand from the raw rows (csv module, numpy least squares and a t
    # quantile), not from the package's fit: energy efficiency at 16 bits over all chips, and
    # FP32 price-performance over the chips with a maker's launch price
    cells = table.set_index(["metric", "precision", "chips"])
    for (metric, precision, chips), keep in {
        ("energy_efficiency", "bf16", "all chips"): lambda r: True,
        ("price_performance", "fp32", "launch prices only"): lambda r: r["price_kind"] == "launch",
    }.items():
        col = {"bf16": "bf16_tflops", "fp32": "fp32_tflops"}[precision]
        den = "tdp_w" if metric == "energy_efficiency" else "launch_usd"
        with ie.data_path("accelerators.csv").open(newline="") as fh:
            pts = [(r["release_date"], float(r[col]) * 1e12 / float(r[den]))
                   for r in csv.DictReader(fh) if r[col] and r[den] and keep(r)]  # fmt: skip
        days = np.array([(pd.Timestamp(d) - pd.Timestamp("2000-01-01")).days for d, _ in pts])
        x, y = days / 365.0, np.log10([v for _, v in pts])  # Epoch: years of 365 days, log10
        n = len(x)
        slope = np.sum((x - x.mean()) * (y - y.mean())) / np.sum((x - x.mean()) ** 2)
        resid = y - y.mean() - slope * (x - x.mean())
        se = math.sqrt(np.sum(resid**2) / (n - 2) / np.sum((x - x.mean()) ** 2))
        half = stats.t.ppf(0.95, n - 2) * se  # two-sided 90%
        row = cells.loc[(metric, precision, chips)]
        assert row["n_points"] == n >= 15
        assert row["factor_per_year"] == pytest.approx(10**slope, rel=1e-9)
        assert (row["ci90_low"], row["ci90_high"]) == pytest.approx(
            (10 ** (slope - half), 10 ** (slope + half)), rel=1e-9
        )
        assert row["doubling_time_years"] == pytest.approx(math.log(2) / (slope * math.log(10)))
    # subsets change the answer: data-centre only has fewer priced chips than all chips
    pp = table.query("metric == 'price_performance' and precision == 'fp32'").set_index("chips")
    assert pp.loc["data-centre only", "n_points"] < pp.loc["all chips", "n_points"]


def test_select_accelerators():
    df = ie.load_accelerators()
    dc = ie.select_accelerators(df, segments=["datacenter"], start="2020-01-01")
    assert (dc["segment"] == "datacenter").all()
    assert (dc["release_date"] >= pd.Timestamp("2020-01-01")).all()
    nv = ie.select_accelerators(df, vendors=["NVIDIA"], end="2016-12-31")
    assert (nv["vendor"] == "NVIDIA").all() and len(nv) >= 5
    lp = ie.select_accelerators(df, price_kinds=["launch"])
    assert set(lp["price_kind"].dropna()) == {"launch"}


def test_published_hardware_rates():
    # AI Index 2025: costs -30% a year = price-performance x 1 / 0.7 = 1.4286 a year (doubling
    # in ln 2 / ln 1.4286 = 1.94 years); efficiency +40% a year = x1.4 (doubling in 2.06 years)
    pub = ie.published_hardware_rates(ie.load_published_rates()).set_index("metric")
    assert pub.loc["price_performance", "factor_per_year"] == pytest.approx(1 / 0.7)
    assert pub.loc["energy_efficiency", "factor_per_year"] == pytest.approx(1.4)
    assert pub.loc["price_performance", "doubling_time_years"] == pytest.approx(
        math.log(2) / math.log(1 / 0.7)
    )
    assert pub.loc["energy_efficiency", "doubling_time_years"] == pytest.approx(2.06, abs=5e-3)
