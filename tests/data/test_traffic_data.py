"""Public production traffic (data/traffic_minute_counts.csv, data/traffic_lengths.csv).

Both files are derived from Microsoft's Azure LLM inference traces 2023 (CC BY 4.0;
Azure/AzurePublicDataset @ b469a11, data/AzureLLMInferenceTrace_{code,conv}.csv) by
data/derive/azure_llm_traces.py. Golden values were computed from those upstream files
(8,819 and 19,366 rows); the derivation is rerun byte for byte when the upstream files are in
``$INFERECON_AZURE_TRACES`` or ``../shared/reference/azure-llm-inference-traces``, and checked on
small synthetic upstream files here.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import inferecon as ie
from inferecon import datasets as ds

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"
UPSTREAM = Path(
    os.environ.get(
        "INFERECON_AZURE_TRACES", ROOT.parent / "shared/reference/azure-llm-inference-traces"
    )
)
UPSTREAM_SHA256 = {  # the files at Azure/AzurePublicDataset @ b469a11 (CRLF line ends)
    "AzureLLMInferenceTrace_code.csv": (
        "54e9a6d2a4bd06ba1e060304b900abbc74cbea53de96506e60fe5bb4f2277fb6"
    ),
    "AzureLLMInferenceTrace_conv.csv": (
        "2f1e5b666d4e3055fdbba98598ce2ec307767b9064e03e2fa46676dbcc7d0bf8"
    ),
}
TRACE_ROWS = {"azure2023_code": 8_819, "azure2023_conversation": 19_366}  # upstream row counts


def _script():
    spec = importlib.util.spec_from_file_location(
        "azure_llm_traces", DATA / "derive/azure_llm_traces.py"
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def minutes():
    return ie.load_traffic_minute_counts()


@pytest.fixture(scope="module")
def lengths():
    return ie.load_traffic_lengths()


# --------------------------------------------------------------------------- the bundled files


def test_bundled_files_load_registered_and_small(minutes, lengths):
    assert ds.DATASETS["traffic_minute_counts"].load is ie.load_traffic_minute_counts
    assert ds.DATASETS["traffic_lengths"].load is ie.load_traffic_lengths
    assert ds.DATASETS["azure_llm_trace"].load is ie.load_azure_llm_trace
    assert ds.dataset_for_file("traffic_lengths.csv").name == "traffic_lengths"
    for f in ie.AZURE_LLM_TRACE_FILES.values():
        assert ds.dataset_for_file(f).name == "azure_llm_trace"
    size = sum((DATA / f).stat().st_size for f in ("traffic_minute_counts.csv",
                                                   "traffic_lengths.csv"))  # fmt: skip
    assert size < 2e6
    # every request of both traces is counted once in each file
    assert minutes.groupby("trace")["requests"].sum().to_dict() == TRACE_ROWS
    assert lengths.groupby("trace")["requests"].sum().to_dict() == TRACE_ROWS
    # 18:17 to 19:14 and 18:15 to 19:14 (the first and last TIMESTAMP of each file)
    assert minutes.groupby("trace").size().to_dict() == {
        "azure2023_code": 58, "azure2023_conversation": 60}  # fmt: skip
    first = minutes.groupby("trace")["minute_start"].first().to_dict()
    assert first == {"azure2023_code": "2023-11-16 18:17",
                     "azure2023_conversation": "2023-11-16 18:15"}  # fmt: skip
    # total tokens, summed over the upstream columns
    tokens = minutes.groupby("trace")[["prompt_tokens", "output_tokens"]].sum()
    assert tokens.loc["azure2023_code"].tolist() == [18_059_974, 245_896]
    assert tokens.loc["azure2023_conversation"].tolist() == [22_361_870, 4_088_665]


def test_minute_counts_agree_with_request_lengths_csv(minutes):
    """request_lengths.csv (transcribed separately) holds each trace's first requests: the
    minutes it covers whole have the same arrivals and prompt tokens here."""
    rl = ie.load_request_lengths()
    for short, trace in (("conversation", "azure2023_conversation"), ("code", "azure2023_code")):
        w = rl[rl["trace"] == short]
        minute = pd.to_datetime(w["timestamp"]).dt.strftime("%Y-%m-%d %H:%M").to_numpy()
        got = w.groupby(minute)["context_tokens"].agg(["size", "sum"])
        m = minutes[minutes["trace"] == trace].set_index("minute_start")
        # every minute from the trace's first to the one where the window ends (cut there)
        whole = m.loc[minute[0] : minute[-1]].iloc[:-1]
        assert len(whole) >= 1 and m.index[0] == minute[0]
        for t, row in whole.iterrows():
            n, tokens = got.loc[t].tolist() if t in got.index else (0, 0)
            assert (row["requests"], row["prompt_tokens"]) == (n, tokens), (trace, t)


def test_histogram_quantiles_hold_the_upstream_quantiles(lengths):
    """Quantiles of the upstream columns (numpy 'inverted_cdf', i.e. an observed length) lie in
    the histogram's bin at the same probability, and the interpolated quantile stays in it."""
    golden = {  # from AzureLLMInferenceTrace_{code,conv}.csv @ b469a11
        ("azure2023_code", "prompt_tokens"): [147, 1469, 5194, 7436],
        ("azure2023_code", "output_tokens"): [7, 13, 55, 252],
        ("azure2023_conversation", "prompt_tokens"): [207, 1020, 2735, 4142],
        ("azure2023_conversation", "output_tokens"): [54, 129, 424, 601],
    }
    for (trace, col), exact in golden.items():
        got = ie.trace_lengths(trace, lengths).quantile([0.1, 0.5, 0.9, 0.99], col)
        for q, e in zip(got, exact, strict=True):
            assert abs(np.log(q / e)) <= np.log(2) / 8 + 1e-9, (trace, col, q, e)  # one bin
    summary = ie.traffic_summary()
    conv = summary.set_index("trace").loc["azure2023_conversation"]
    assert conv["requests"] == 19_366 and conv["minutes"] == 58


def test_upstream_licence_and_attribution_are_shipped():
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    section = readme.split("## traffic_minute_counts.csv", 1)[1].split("\n## ", 1)[0]
    for needed in ("b469a113cedca53ddc3bdea71a143dc4b7d8700c", "CC BY 4.0", "Splitwise",
                   "Patel", "Changes made here", "LICENSES/CC-BY-4.0.txt"):  # fmt: skip
        assert needed in section, needed
    assert "## traffic_lengths.csv" in readme
    assert "Attribution 4.0 International" in (DATA / "LICENSES/CC-BY-4.0.txt").read_text(
        encoding="utf-8"
    )


# --------------------------------------------------------------------------- derivation


@pytest.mark.skipif(
    not all((UPSTREAM / f).is_file() for f in UPSTREAM_SHA256),
    reason=f"the Azure 2023 trace files are not at {UPSTREAM} (set INFERECON_AZURE_TRACES)",
)
def test_derivation_rebuilds_the_bundled_files_byte_for_byte():
    for f, digest in UPSTREAM_SHA256.items():
        assert hashlib.sha256((UPSTREAM / f).read_bytes()).hexdigest() == digest, f
    for name, text in _script().derive(UPSTREAM).items():
        assert text == (DATA / name).read_text(encoding="utf-8"), name


def _synthetic_upstream(folder: Path) -> None:
    (folder / "AzureLLMInferenceTrace_code.csv").write_bytes(
        b"TIMESTAMP,ContextTokens,GeneratedTokens\r\n"
        b"2023-11-16 18:15:59.9000000,20,3\r\n"
        b"2023-11-16 18:16:10.0000000,17,1\r\n"  # not in file order: sorted on read
        b"2023-11-16 18:16:00.5000000,18,16\r\n"
        b"2023-11-16 18:18:00.0000000,5000,400"
    )
    (folder / "AzureLLMInferenceTrace_conv_1week.csv").write_text(
        "TIMESTAMP,ContextTokens,GeneratedTokens\n"
        "2024-05-12 00:00:00.001163+00:00,100,0\n"
        "2024-05-12 00:00:00+00:00,100,5\n"
        "2024-05-12 00:01:59.999+00:00,1,1\n"
    )


def test_derivation_on_synthetic_upstream_files(tmp_path):
    _synthetic_upstream(tmp_path)
    out = _script().derive(tmp_path)
    assert out["traffic_minute_counts.csv"] == (
        "trace,minute,minute_start,requests,prompt_tokens,output_tokens,partial\n"
        "azure2023_code,0,2023-11-16 18:15,1,20,3,true\n"
        "azure2023_code,1,2023-11-16 18:16,2,35,17,false\n"
        "azure2023_code,2,2023-11-16 18:17,0,0,0,false\n"
        "azure2023_code,3,2023-11-16 18:18,1,5000,400,true\n"
        "azure2024_conversation,0,2024-05-12 00:00,2,200,5,true\n"
        "azure2024_conversation,1,2024-05-12 00:01,1,1,1,true\n"
    )
    # bins: 1..16 exact; 17 in [17, 19); 18 too; 20 in [19, 21); 5000 in [4871, 5312);
    # 100 in [99, 108); 400 in [395, 431); a 0-token output counts in [1, 2)
    assert out["traffic_lengths.csv"] == (
        "trace,prompt_low,prompt_high,output_low,output_high,requests\n"
        "azure2023_code,17,19,1,2,1\n"
        "azure2023_code,17,19,16,17,1\n"
        "azure2023_code,19,21,3,4,1\n"
        "azure2023_code,4871,5312,395,431,1\n"
        "azure2024_conversation,1,2,1,2,1\n"
        "azure2024_conversation,99,108,1,2,1\n"
        "azure2024_conversation,99,108,5,6,1\n"
    )
    for name, text in out.items():  # the derived files pass their own loaders
        (tmp_path / name).write_text(text)
        assert len(ds.BUNDLED_FILES[name].load(tmp_path / name)) == text.count("\n") - 1
    # the package reads the upstream files the same way
    up = ie.load_azure_llm_trace(tmp_path / "AzureLLMInferenceTrace_conv_1week.csv")
    assert up["prompt_tokens"].tolist() == [100, 100, 1]  # sorted by time, stable
    assert up["output_tokens"].tolist() == [5, 0, 1]
    assert up["arrival_s"].tolist() == pytest.approx([0.0, 0.001163, 119.999])
    assert str(up["timestamp"].iloc[0]) == "2024-05-12 00:00:00"  # UTC offset removed


# --------------------------------------------------------------------------- validation


def test_broken_minute_counts_report_every_problem(tmp_path):
    p = tmp_path / "counts.csv"
    p.write_text(
        "trace,minute,minute_start,requests,prompt_tokens,output_tokens,partial\n"
        "a,0,2024-05-12 00:00,2,10,5,true\n"
        "a,2,2024-05-12 00:02,0,7,0,false\n"  # a gap; tokens without requests
        "a,3,2024-05-12 00:04,-1,0,0,false\n"  # a negative count; a skipped clock minute
        "a,4,noon,1,1,1,false\n"  # not a time; partial missing on the last minute
    )
    with pytest.raises(ie.DataValidationError) as info:
        ie.load_traffic_minute_counts(p)
    rules = [(q.line, q.column) for q in info.value.problems]
    for where in [(3, "minute"), (3, "prompt_tokens"), (4, "requests"), (4, "minute_start"),
                  (5, "minute_start"), (5, "partial")]:  # fmt: skip
        assert where in rules, (where, rules)


def test_broken_lengths_report_every_problem(tmp_path):
    p = tmp_path / "lengths.csv"
    p.write_text(
        "trace,prompt_low,prompt_high,output_low,output_high,requests\n"
        "a,10,10,1,2,3\n"  # an empty prompt bin
        "a,20,30,1,2,0\n"  # a zero count
        "a,25,40,1,2,1\n"  # overlaps [20, 30)
        "a,20,30,1,2,1\n"  # a duplicate cell
    )
    with pytest.raises(ie.DataValidationError) as info:
        ie.load_traffic_lengths(p)
    text = str(info.value)
    assert "prompt_high=10 is not above prompt_low=10" in text
    assert "overlaps" in text and "duplicate key" in text
    assert any(q.line == 3 and q.column == "requests" for q in info.value.problems)


def test_broken_upstream_trace_reports_every_problem(tmp_path):
    p = tmp_path / "AzureLLMInferenceTrace_code.csv"
    p.write_text(
        "TIMESTAMP,ContextTokens,GeneratedTokens\n"
        "yesterday,10,1\n2023-11-16 18:00:00,-3,1\n2023-11-16 18:00:01,4,2.5\n"
    )
    with pytest.raises(ie.DataValidationError) as info:
        ie.load_azure_llm_trace(p)
    assert [(q.line, q.column) for q in info.value.problems] == [
        (2, "TIMESTAMP"), (3, "ContextTokens"), (4, "GeneratedTokens")]  # fmt: skip
    (tmp_path / "x.csv").write_text("time,ContextTokens\n1,2\n")
    with pytest.raises(ie.DataValidationError, match="GeneratedTokens"):
        ie.load_azure_llm_trace(tmp_path / "x.csv")
