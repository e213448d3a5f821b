"""Internal consistency of data/published_serving_sweeps.csv and data/request_lengths.csv.

The tests read the two files through their package loaders,
:func:`inferecon.load_published_serving_sweeps` and :func:`inferecon.load_request_lengths`
(which also check each file against its schema), so they check the data as the package serves
it. They check what the datasheet (data/README.md) promises beyond the schema: every row's
configuration is constant within its sweep, derived columns follow from the published ones,
per-GPU numbers are the system numbers divided by the GPU count, and each sweep moves the way a
serving system must (more load: more throughput up to a plateau, slower tokens per user).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import inferecon as ie

DATA = Path(__file__).resolve().parents[2] / "data"
SWEEPS = DATA / "published_serving_sweeps.csv"
LENGTHS = DATA / "request_lengths.csv"

SWEEP_COLUMNS = [
    "sweep_id",
    "load_mode",
    "engine",
    "engine_version",
    "model",
    "model_as_published",
    "gpu",
    "n_gpus",
    "tensor_parallel",
    "pipeline_parallel",
    "expert_parallel",
    "weight_precision",
    "kv_precision",
    "kv_precision_stated",
    "input_tokens",
    "output_tokens",
    "length_dist",
    "mean_input_tokens",
    "mean_output_tokens",
    "concurrency",
    "request_rate_per_s",
    "n_requests",
    "output_tokens_per_s",
    "output_tokens_per_s_per_gpu",
    "requests_per_s",
    "ttft_ms",
    "ttft_stat",
    "tpot_ms",
    "itl_ms",
    "latency_stat",
    "e2e_latency_ms",
    "e2e_stat",
    "tokens_per_s_per_user",
    "derived_columns",
    "source",
    "source_url",
    "retrieved",
    "quote",
    "notes",
]
# Columns that describe the configuration: constant within one sweep.
CONFIG_COLUMNS = [
    "engine",
    "engine_version",
    "model",
    "gpu",
    "n_gpus",
    "tensor_parallel",
    "pipeline_parallel",
    "expert_parallel",
    "weight_precision",
    "kv_precision",
    "input_tokens",
    "output_tokens",
    "length_dist",
    "source_url",
]
REQUIRED = [
    "sweep_id",
    "load_mode",
    "engine",
    "model",
    "model_as_published",
    "gpu",
    "n_gpus",
    "tensor_parallel",
    "pipeline_parallel",
    "weight_precision",
    "kv_precision",
    "kv_precision_stated",
    "length_dist",
    "source",
    "source_url",
    "retrieved",
    "quote",
    "notes",
]
LOAD_MODES = {"closed_loop", "static_batch", "open_loop_poisson", "offline_all_at_once"}
LENGTH_DISTS = {"fixed", "nominal", "uniform_1_to_n", "sharegpt"}
PRECISIONS = {"bf16", "fp8", "fp4"}
STATS = {"mean", "median", "p99"}
# Derived columns are recomputed from rounded published values: 1e-5 relative covers the
# rounding to 4-6 decimals in the file (largest seen 5e-8) with two orders of margin.
REL_DERIVED = 1e-5
# A plateau is not a fall: saturated servers wobble by < 0.2% in these sources (NIM 920.90
# -> 920.12 tok/s, 92.91 -> 92.86 ms); 1% leaves margin and still catches a real reversal.
PLATEAU = 0.01


@pytest.fixture(scope="module")
def sweeps() -> pd.DataFrame:
    return ie.load_published_serving_sweeps()


@pytest.fixture(scope="module")
def lengths() -> pd.DataFrame:
    return ie.load_request_lengths()


def _load_variable(g: pd.DataFrame) -> str:
    return "request_rate_per_s" if (g["load_mode"] == "open_loop_poisson").any() else "concurrency"


# ---------------------------------------------------------------------------------------------
# published_serving_sweeps.csv: schema and values
# ---------------------------------------------------------------------------------------------


def test_sweeps_columns_and_required_fields(sweeps):
    assert list(pd.read_csv(SWEEPS, nrows=0).columns) == SWEEP_COLUMNS  # the file as written
    assert list(sweeps.columns) == SWEEP_COLUMNS
    missing = sweeps[REQUIRED].isna()
    assert not missing.any().any(), sweeps.loc[missing.any(axis=1), ["sweep_id"]]


def test_sweeps_value_domains(sweeps):
    assert set(sweeps["load_mode"]) <= LOAD_MODES
    assert set(sweeps["length_dist"]) <= LENGTH_DISTS
    assert set(sweeps["weight_precision"]) <= PRECISIONS
    assert set(sweeps["kv_precision"]) <= PRECISIONS
    assert sweeps["kv_precision_stated"].isin([True, False]).all()
    for col in ("ttft_stat", "latency_stat", "e2e_stat"):
        assert set(sweeps[col].dropna()) <= STATS, col
    assert sweeps["source_url"].str.startswith("https://").all()
    retrieved = pd.to_datetime(sweeps["retrieved"], format="%Y-%m-%d")
    assert (retrieved <= pd.Timestamp("2026-12-01")).all()
    # A statistic is named wherever its value is given, and only then.
    for val, stat in (("ttft_ms", "ttft_stat"), ("e2e_latency_ms", "e2e_stat")):
        assert (sweeps[val].notna() == sweeps[stat].notna()).all(), val
    per_token = sweeps["tpot_ms"].notna() | sweeps["itl_ms"].notna()
    assert (per_token == sweeps["latency_stat"].notna()).all()


def test_sweeps_name_known_models_and_gpus(sweeps):
    assert set(sweeps["model"]) <= set(ie.load_models()["name"])
    assert set(sweeps["gpu"]) <= set(ie.load_gpus()["name"])


def test_sweeps_positive_numbers(sweeps):
    numeric = [
        "n_gpus",
        "tensor_parallel",
        "pipeline_parallel",
        "input_tokens",
        "output_tokens",
        "mean_input_tokens",
        "mean_output_tokens",
        "concurrency",
        "request_rate_per_s",
        "n_requests",
        "output_tokens_per_s",
        "output_tokens_per_s_per_gpu",
        "requests_per_s",
        "ttft_ms",
        "tpot_ms",
        "itl_ms",
        "e2e_latency_ms",
        "tokens_per_s_per_user",
    ]
    for col in numeric:
        vals = sweeps[col].dropna()
        assert (vals > 0).all(), col
    # Parallel degrees divide the GPU count (replicas would make n_gpus a multiple).
    assert (sweeps["n_gpus"] % (sweeps["tensor_parallel"] * sweeps["pipeline_parallel"]) == 0).all()
    ep = sweeps["expert_parallel"].dropna()
    assert (sweeps.loc[ep.index, "n_gpus"] % ep == 0).all()


def test_each_sweep_has_one_configuration_and_distinct_load_levels(sweeps):
    for sid, g in sweeps.groupby("sweep_id"):
        for col in CONFIG_COLUMNS:
            assert g[col].nunique(dropna=False) == 1, (sid, col)
        modes = set(g["load_mode"])
        # One load mode per sweep; an open-loop sweep may end in its rate -> infinity limit.
        assert len(modes) == 1 or modes == {"open_loop_poisson", "offline_all_at_once"}, sid
        for mode, rows in g.groupby("load_mode"):
            if mode in ("closed_loop", "static_batch"):
                assert (
                    rows["concurrency"].notna().all() and rows["request_rate_per_s"].isna().all()
                ), sid
                assert (rows["concurrency"] == rows["concurrency"].round()).all(), sid
                assert not rows["concurrency"].duplicated().any(), sid
            elif mode == "open_loop_poisson":
                assert (
                    rows["request_rate_per_s"].notna().all() and rows["concurrency"].isna().all()
                ), sid
                assert not rows["request_rate_per_s"].duplicated().any(), sid
            else:  # offline_all_at_once: every request at t = 0, no load variable
                assert len(rows) == 1, sid
                assert (
                    rows["request_rate_per_s"].isna().all() and rows["concurrency"].isna().all()
                ), sid


def test_sweeps_cover_the_brief(sweeps):
    """At least three independent concurrency sweeps of four or more levels."""
    levels = (
        sweeps[sweeps["load_mode"].isin(["closed_loop", "static_batch"])].groupby("sweep_id").size()
    )
    assert (levels >= 4).sum() >= 3
    assert sweeps.loc[sweeps["load_mode"] == "closed_loop", "source_url"].nunique() >= 2


def test_fixed_lengths_are_stated_and_variable_ones_are_not(sweeps):
    fixed = sweeps["length_dist"].isin(["fixed", "nominal", "uniform_1_to_n"])
    assert sweeps.loc[fixed, ["input_tokens", "output_tokens"]].notna().all().all()
    share = sweeps["length_dist"] == "sharegpt"
    assert sweeps.loc[share, ["input_tokens", "output_tokens"]].isna().all().all()


# ---------------------------------------------------------------------------------------------
# published_serving_sweeps.csv: arithmetic between columns
# ---------------------------------------------------------------------------------------------


def test_per_gpu_throughput_is_total_over_gpus(sweeps):
    both = sweeps.dropna(subset=["output_tokens_per_s", "output_tokens_per_s_per_gpu"])
    assert len(both) >= 60
    np.testing.assert_allclose(
        both["output_tokens_per_s_per_gpu"],
        both["output_tokens_per_s"] / both["n_gpus"],
        rtol=REL_DERIVED,
    )


def test_derived_columns_are_named_columns(sweeps):
    for text in sweeps["derived_columns"].dropna():
        for col in text.split(";"):
            assert col in SWEEP_COLUMNS, col


def test_static_batch_throughput_follows_from_batch_latency(sweeps):
    """A static batch of B requests producing N tokens each in T seconds: B*N/T tokens/s."""
    s = sweeps[sweeps["load_mode"] == "static_batch"]
    seconds = s["e2e_latency_ms"] / 1000.0
    implied = s["concurrency"] * s["output_tokens"] / seconds
    derived = s["derived_columns"].fillna("").str.contains("output_tokens_per_s;")
    # Our derived values: exact up to the file's rounding.
    np.testing.assert_allclose(
        s.loc[derived, "output_tokens_per_s"], implied[derived], rtol=REL_DERIVED
    )
    # Oracle publishes TPS itself, rounded to whole tokens: 36 vs 128/3.530 = 36.26 is the worst
    # case (0.7%); 1.5% tolerance = that rounding plus margin.
    np.testing.assert_allclose(
        s.loc[~derived, "output_tokens_per_s"], implied[~derived], rtol=0.015
    )
    np.testing.assert_allclose(
        s["tokens_per_s_per_user"], s["output_tokens"] / seconds, rtol=REL_DERIVED
    )


def test_open_loop_token_and_request_rates_agree(sweeps):
    o = sweeps.dropna(subset=["requests_per_s", "mean_output_tokens", "output_tokens_per_s"])
    assert len(o) >= 10
    # output tok/s = completed/duration * total_output/completed; rounded inputs: 1e-3 margin.
    np.testing.assert_allclose(
        o["output_tokens_per_s"], o["requests_per_s"] * o["mean_output_tokens"], rtol=1e-3
    )
    online = o[o["request_rate_per_s"].notna()]
    # A run cannot complete requests much faster than they arrive (Poisson noise over 300+
    # requests is ~6%; 10% allowed).
    assert (online["requests_per_s"] <= 1.10 * online["request_rate_per_s"]).all()


def test_uniform_lengths_average_half_the_maximum(sweeps):
    """With --random-range-ratio 0, sglang.bench_serving draws lengths from 1..n: mean (n+1)/2."""
    u = sweeps[sweeps["length_dist"] == "uniform_1_to_n"]
    assert len(u) >= 9
    expected = (u["input_tokens"] + 1) / 2
    # 300-3200 draws: the sample mean's sd is 296/sqrt(300) = 17 tokens (3.3%); 5% allowed.
    np.testing.assert_allclose(u["mean_input_tokens"], expected, rtol=0.05)


def test_nim_throughput_is_output_tokens_per_second_at_concurrency_one(sweeps):
    """With one user, tok/s = output tokens / (TTFT + (N-1) * per-token latency).

    This checks the reading of NIM's 'Throughput' column as output tokens/s and of its ITL
    as a per-token time: 500 / (0.40677 s + 499 * 18.58 ms) = 51.66 vs the published 51.67.
    """
    rows = sweeps[(sweeps["load_mode"] == "closed_loop") & (sweeps["concurrency"] == 1)]
    assert len(rows) >= 1
    for _, r in rows.iterrows():
        per_token = r["tpot_ms"] if pd.notna(r["tpot_ms"]) else r["itl_ms"]
        seconds = (r["ttft_ms"] + (r["output_tokens"] - 1) * per_token) / 1000.0
        assert r["output_tokens_per_s"] == pytest.approx(r["output_tokens"] / seconds, rel=0.01)


# ---------------------------------------------------------------------------------------------
# published_serving_sweeps.csv: every sweep moves the way a server must
# ---------------------------------------------------------------------------------------------


def _sorted_online(sweeps):
    for sid, g in sweeps.groupby("sweep_id"):
        g = g[g["load_mode"] != "offline_all_at_once"]
        if len(g) >= 2:
            yield sid, g.sort_values(_load_variable(g))


def _non_decreasing(x: pd.Series) -> bool:
    x = x.dropna().to_numpy()
    return bool(np.all(x >= (1 - PLATEAU) * np.maximum.accumulate(x)))


def _non_increasing(x: pd.Series) -> bool:
    x = x.dropna().to_numpy()
    return bool(np.all(x <= (1 + PLATEAU) * np.minimum.accumulate(x)))


def test_throughput_grows_with_load_until_a_plateau(sweeps):
    n = 0
    for sid, g in _sorted_online(sweeps):
        if g["output_tokens_per_s"].notna().sum() >= 2:
            assert _non_decreasing(g["output_tokens_per_s"]), sid
            n += 1
    assert n >= 10


def test_tokens_get_slower_with_load(sweeps):
    for sid, g in _sorted_online(sweeps):
        for col in ("tpot_ms", "itl_ms", "e2e_latency_ms"):
            assert _non_decreasing(g[col]), (sid, col)
        assert _non_increasing(g["tokens_per_s_per_user"]), sid


def test_open_loop_queueing_raises_ttft(sweeps):
    """More arrivals per second: longer queues before the first token (every open-loop sweep)."""
    for sid, g in _sorted_online(sweeps):
        if g["load_mode"].iloc[0] == "open_loop_poisson":
            assert g["ttft_ms"].is_monotonic_increasing, sid


def test_quotes_name_their_load_level(sweeps):
    for _, r in sweeps.iterrows():
        if r["load_mode"] in ("closed_loop", "static_batch"):
            assert f"{int(r['concurrency'])}" in r["quote"], r["sweep_id"]
        elif r["load_mode"] == "open_loop_poisson":
            rate = r["request_rate_per_s"]
            assert f"{rate:g}" in r["quote"], r["sweep_id"]


# ---------------------------------------------------------------------------------------------
# request_lengths.csv (Azure LLM inference trace 2023, first rows of each file)
# ---------------------------------------------------------------------------------------------


def test_lengths_columns_and_counts(lengths):
    assert list(pd.read_csv(LENGTHS, nrows=0).columns) == list(lengths.columns)
    assert list(lengths.columns) == [
        "trace",
        "source_row",
        "timestamp",
        "arrival_s",
        "context_tokens",
        "generated_tokens",
    ]
    assert lengths.groupby("trace", sort=False).size().to_dict() == {
        "conversation": 429,
        "code": 440,
    }
    assert not lengths.isna().any().any()
    assert (lengths[["context_tokens", "generated_tokens"]] > 0).all().all()
    assert (
        lengths["context_tokens"].dtype.kind == "i"
        and lengths["generated_tokens"].dtype.kind == "i"
    )


def test_lengths_rows_are_the_first_rows_in_source_order(lengths):
    for trace, g in lengths.groupby("trace", sort=False):
        assert (g["source_row"].to_numpy() == np.arange(1, len(g) + 1)).all(), trace
        t = pd.to_datetime(g["timestamp"], format="%Y-%m-%d %H:%M:%S.%f")
        assert t.is_monotonic_increasing, trace


def test_arrival_seconds_follow_from_timestamps(lengths):
    for _, g in lengths.groupby("trace", sort=False):
        t = pd.to_datetime(g["timestamp"], format="%Y-%m-%d %H:%M:%S.%f")
        since_first = (t - t.iloc[0]).dt.total_seconds().to_numpy()
        # Timestamps carry 1e-7 s; pandas keeps ns: agreement to 1e-6 s.
        np.testing.assert_allclose(g["arrival_s"].to_numpy(), since_first, atol=1e-6)
        assert g["arrival_s"].iloc[0] == 0.0


@pytest.mark.parametrize(
    ("trace", "first", "last"),
    [
        # Azure/AzurePublicDataset @ 7909210, data/AzureLLMInferenceTrace_conv.csv, rows 1, 429
        (
            "conversation",
            ("2023-11-16 18:15:46.6805900", 374, 44),
            ("2023-11-16 18:17:40.6210100", 971, 373),
        ),
        # same commit, data/AzureLLMInferenceTrace_code.csv, data rows 1 and 440
        (
            "code",
            ("2023-11-16 18:17:03.9799600", 4808, 10),
            ("2023-11-16 18:20:52.2586050", 193, 11),
        ),
    ],
)
def test_lengths_start_and_end_at_the_source_rows(lengths, trace, first, last):
    g = lengths[lengths["trace"] == trace]
    cols = ["timestamp", "context_tokens", "generated_tokens"]
    assert tuple(g[cols].iloc[0]) == first
    assert tuple(g[cols].iloc[-1]) == last
