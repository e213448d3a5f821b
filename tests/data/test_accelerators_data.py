"""data/accelerators.csv against its vendors' documents, its own physics and the other files.

Spot checks pin the values corrected in issue 16 to the vendor document that states them; the
property tests catch the kind of error those were (a board's memory with one GPU's bandwidth, a
GDDR5X bandwidth on a GDDR5 card) wherever it might recur; the count tests keep the prose in
README.md and data/README.md in step with the file.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

import inferecon as ie

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"


def _raw() -> dict[str, dict[str, str]]:
    """The file as text, read with the csv module (not the package's loader)."""
    with (DATA / "accelerators.csv").open(newline="") as fh:
        return {r["name"]: r for r in csv.DictReader(fh)}


def _f(row: dict[str, str], col: str) -> float | None:
    return float(row[col]) if row[col] else None


# --------------------------------------------------------------------------- spot checks


def test_tesla_p40_bandwidth_is_nvidias():
    # NVIDIA Tesla P40 datasheet: 24 GB GDDR5, memory bandwidth 346 GB/s. Derivation: a 384-bit
    # bus at 7.2 Gb/s per pin moves 384 / 8 * 7.2 = 345.6 GB/s. (The 694 GB/s that was here is a
    # GDDR5X figure; the P40 ships GDDR5.)
    p40 = _raw()["NVIDIA Tesla P40"]
    assert _f(p40, "memory_tb_s") == pytest.approx(384 / 8 * 7.2 / 1000, rel=2e-3)
    assert _f(p40, "memory_tb_s") == 0.346
    assert _f(p40, "memory_gb") == 24


def test_tesla_k80_is_one_board_throughout():
    # NVIDIA Tesla K80 datasheet: two GK210 GPUs on one board, 24 GB GDDR5 (12 GB per GPU) and
    # 480 GB/s aggregate (240 GB/s per GPU), 300 W board power. Memory, bandwidth, FLOP/s, TDP
    # and price must all count the same thing: the whole board.
    k80 = _raw()["NVIDIA Tesla K80"]
    assert _f(k80, "memory_gb") == 2 * 12
    assert _f(k80, "memory_tb_s") == pytest.approx(2 * 0.240)
    assert _f(k80, "tdp_w") == 300
    # Epoch's FP32 cell is the board's: one GK210 (2,496 cores at its 875 MHz boost) peaks at
    # 2496 * 2 * 0.875e9 = 4.37 TFLOP/s, so a per-GPU figure would be below 4.4
    assert _f(k80, "fp32_tflops") > 4.4
    assert "board" in k80["notes"]


def test_gaudi_matrix_peaks_are_intels():
    rows = _raw()
    # Intel Gaudi 3 AI accelerator white paper (OAM, HL-325L): 1,835 TFLOPS BF16 and 1,835 FP8
    g3 = rows["Intel Gaudi3"]
    assert (_f(g3, "bf16_tflops"), _f(g3, "fp8_tflops")) == (1835, 1835)
    # Intel Gaudi 2 datasheet: 432 TFLOPS BF16 (MME), 865 TFLOPS FP8
    g2 = rows["Intel Gaudi2"]
    assert (_f(g2, "bf16_tflops"), _f(g2, "fp8_tflops")) == (432, 865)


def test_b300_fp4_is_dense_per_gpu():
    # NVIDIA HGX B300 specifications: FP4 Tensor Core 144 PFLOPS with sparsity, 108 PFLOPS
    # dense, for 8 GPUs: 108e3 / 8 = 13,500 TFLOP/s per GPU
    b300 = _raw()["NVIDIA B300"]
    assert _f(b300, "fp4_tflops") == 108e3 / 8
    # the 16-bit and FP8 figures follow the same page: 36 and 72 PFLOPS with sparsity, halved
    # for dense and divided by 8 GPUs
    assert (_f(b300, "bf16_tflops"), _f(b300, "fp8_tflops")) == (36e3 / 2 / 8, 72e3 / 2 / 8)


def test_fp8_gaps_filled_from_datasheets():
    rows = _raw()
    # NVIDIA H20 specification: 148 TFLOPS FP16/BF16 and 296 TFLOPS FP8, dense
    h20 = rows["NVIDIA H20"]
    assert (_f(h20, "bf16_tflops"), _f(h20, "fp8_tflops")) == (148, 296)
    # NVIDIA L40/L40S spec table: L40 BF16 181.05 | 362.1*, FP8 362 | 724* (* with sparsity)
    l40 = rows["NVIDIA L40"]
    assert (_f(l40, "bf16_tflops"), _f(l40, "fp8_tflops")) == (181, 362)
    # every Hopper, Ada, Blackwell and CDNA 3/4 data-centre part has an FP8 figure: they all
    # have FP8 tensor cores, so an empty cell is a gap, not a fact
    fp8_archs = re.compile(r"H100|H200|H20|L40|L4\b|B100|B200|B300|GB200|GB300|MI3")
    for name, row in rows.items():
        if fp8_archs.search(name):
            assert row["fp8_tflops"], f"{name} has FP8 tensor cores but no FP8 figure"


def test_sixteen_bit_column_says_fp16_where_a_chip_has_no_bf16():
    # NVIDIA's BF16 arrived with Ampere (A100, 2020). Volta and Turing tensor cores do FP16
    # only (T4 datasheet: "65 TFLOPS mixed precision FP16/FP32"); such a row may sit in the
    # 16-bit column, but its notes must say the figure is FP16
    for name, row in _raw().items():
        if row["vendor"] == "NVIDIA" and row["release_date"] < "2020-01-01" and row["bf16_tflops"]:
            assert "FP16" in row["notes"], f"{name}: a pre-Ampere 16-bit figure not marked FP16"
    assert _f(_raw()["NVIDIA Tesla T4"], "bf16_tflops") == pytest.approx(65.13)


# --------------------------------------------------------------------------- physical consistency


def test_memory_sweep_time_is_physical():
    """Time to read the whole memory once at peak bandwidth, memory_gb / memory_tb_s (ms).

    Capacity and bandwidth come from the same memory devices, so their ratio stays within a
    narrow band: 17-45 ms for HBM parts, up to 80 ms for the widest GDDR6 cards (L4: 24 GB at
    300 GB/s). A row that mixes a board's memory with one GPU's bandwidth (the K80 did: 24 GB
    with 241 GB/s, 100 ms) or a GDDR5X bandwidth on a GDDR5 card falls outside 12-90 ms or
    doubles against its twin.
    """
    for name, row in _raw().items():
        gb, tbs = _f(row, "memory_gb"), _f(row, "memory_tb_s")
        if gb is None or tbs is None:
            continue
        assert 12 <= gb / tbs <= 90, f"{name}: {gb} GB at {tbs} TB/s is {gb / tbs:.0f} ms"


def test_same_silicon_same_peaks():
    # pairs that share a die and memory type: one's figures must be the other's within a
    # clock difference (<= 15%), so a per-board or per-die slip shows as a factor of two
    rows = _raw()
    pairs = [
        ("NVIDIA Tesla P40", "NVIDIA GeForce GTX 1080 Ti", "fp32_tflops"),  # GP102
        ("NVIDIA Tesla P40", "NVIDIA GeForce GTX 1080 Ti", "memory_tb_s"),  # 384-bit G5 / 352 G5X
        ("NVIDIA Tesla K80", "NVIDIA Tesla K40s", "memory_gb"),  # 2 x GK210 (12 GB) vs 1 x GK110B
        ("NVIDIA Tesla K80", "NVIDIA Tesla K40s", "memory_tb_s"),  # 2 x 240 GB/s vs 288 GB/s
        ("NVIDIA H100 SXM5 80 GB", "NVIDIA H200 SXM", "bf16_tflops"),  # GH100
        ("AMD Instinct MI300X", "AMD Instinct MI325X", "fp8_tflops"),  # CDNA 3
    ]
    factors = {
        ("NVIDIA Tesla P40", "NVIDIA GeForce GTX 1080 Ti", "memory_tb_s"): 346 / 484,
        ("NVIDIA Tesla K80", "NVIDIA Tesla K40s", "memory_gb"): 2.0,  # two GPUs of 12 GB
        ("NVIDIA Tesla K80", "NVIDIA Tesla K40s", "memory_tb_s"): 2 * 240 / 288,
    }
    for a, b, col in pairs:
        ratio = _f(rows[a], col) / _f(rows[b], col)
        assert ratio == pytest.approx(factors.get((a, b, col), 1.0), rel=0.15), (a, b, col)


def test_the_gpus_of_gpus_csv_agree():
    # where both files describe the same chip, memory, bandwidth and dense peaks agree
    # (both come from datasheets; H100/H200 peaks differ in rounding: 989 vs 989.4). The A40
    # (in gpus.csv for Vidur's operator timings) has no row in accelerators.csv.
    twins = {
        "A100-80GB-SXM": "NVIDIA A100 SXM4 80 GB",
        "H100-SXM": "NVIDIA H100 SXM5 80 GB",
        "H100-PCIe": "NVIDIA H100 PCIe",
        "H200-SXM": "NVIDIA H200 SXM",
        "B200-HGX": "NVIDIA B200",
        "GB200-per-GPU": "NVIDIA GB200 (per GPU)",
        "MI300X": "AMD Instinct MI300X",
        "L40S": "NVIDIA L40S",
        "L4": "NVIDIA L4",
    }
    rows = _raw()
    with (DATA / "gpus.csv").open(newline="") as fh:
        gpus = {r["name"]: r for r in csv.DictReader(fh)}
    assert set(gpus) == set(twins) | {"A40"}
    cols = {
        "memory_gb": "memory_gb",
        "hbm_tb_s": "memory_tb_s",
        "bf16_dense_tflops": "bf16_tflops",
        "fp8_dense_tflops": "fp8_tflops",
        "fp4_dense_tflops": "fp4_tflops",
        "tdp_w": "tdp_w",
    }
    for g, a in twins.items():
        for gc, ac in cols.items():
            x, y = _f(gpus[g], gc), _f(rows[a], ac)
            assert (x is None) == (y is None), (g, gc)
            if x is not None:
                assert y == pytest.approx(x, rel=0.021), (g, gc, x, y)


# --------------------------------------------------------------------------- prices across files


def test_prices_in_both_files_agree_in_value_and_label():
    # factory_assumptions.csv's purchase prices and accelerators.csv's prices come from the same
    # sources; the two files' label vocabularies map one to one
    label = {"analyst": "analyst_estimate"}
    twins = {"H100-SXM": "NVIDIA H100 SXM5 80 GB", "MI300X": "AMD Instinct MI300X"}
    rows = _raw()
    with (DATA / "factory_assumptions.csv").open(newline="") as fh:
        fa = [r for r in csv.DictReader(fh) if r["key"].startswith("purchase_usd__")]
    assert {r["gpu"] for r in fa} == set(twins)  # a new price row needs its twin named here
    for r in fa:
        acc = rows[twins[r["gpu"]]]
        assert float(r["value"]) == _f(acc, "launch_usd"), r["key"]
        assert acc["price_kind"] in label, f"{acc['name']}: {acc['price_kind']!r} has no twin"
        assert r["kind"] == label[acc["price_kind"]], r["key"]


# --------------------------------------------------------------------------- counts in the prose


def _datasheet_section(name: str) -> str:
    text = (DATA / "README.md").read_text()
    return text.split(f"## {name}", 1)[1].split("\n## ", 1)[0]


_WORDS = {w: i for i, w in enumerate("zero one two three four five six seven eight nine ten "
                                    "eleven twelve".split())}  # fmt: skip


def _num(s: str) -> int:
    return int(s) if s.isdigit() else _WORDS[s.lower()]


def test_accelerator_counts_in_the_datasheet_match_the_file():
    df = ie.load_accelerators()
    text = " ".join(_datasheet_section("accelerators.csv").split())
    m = re.search(r"(\w+) NVIDIA data-centre GPUs", text)
    assert m and _num(m.group(1)) == int(
        ((df["vendor"] == "NVIDIA") & (df["segment"] == "datacenter")).sum()
    )
    m = re.search(r"(\w+) AMD Instinct parts", text)
    assert m and _num(m.group(1)) == int((df["vendor"] == "AMD").sum())
    m = re.search(r"(\w+) Google TPUs", text)
    assert m and _num(m.group(1)) == int((df["vendor"] == "Google").sum())
    m = re.search(r"(\w+) NVIDIA consumer and workstation cards", text)
    assert m and _num(m.group(1)) == int((df["segment"] != "datacenter").sum())
    dc = df[df["segment"] == "datacenter"]
    m = re.search(r"\((\d+) priced rows, (\d+) with FP8\)", text)
    assert m, "the datasheet no longer states the priced data-centre rows"
    assert int(m.group(1)) == int(dc["launch_usd"].notna().sum())
    assert int(m.group(2)) == int((dc["launch_usd"].notna() & dc["fp8_tflops"].notna()).sum())


def test_readme_table_counts_match_the_files():
    # every row count README.md's data table states, read from the file it names
    from inferecon.datasets import BUNDLED_FILES

    readme = " ".join((ROOT / "README.md").read_text().split())
    found = dict(re.findall(r"\| `data/([a-z0-9_]+\.csv)` \| (\d[\d,]*) ", readme))
    found["models.csv"] = re.search(r"`data/models\.csv` \| shapes of (\d+) ", readme).group(1)
    found["notable_models.csv"] = re.search(r"training FLOPs of (\d+) models", readme).group(1)
    assert {"llm_prices.csv", "accelerators.csv", "gpus.csv", "request_lengths.csv"} <= set(found)
    for name, n in found.items():
        assert int(n.replace(",", "")) == len(BUNDLED_FILES[name].load(None)), name
