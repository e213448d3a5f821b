"""data/gpus.csv: the scale-up (NVLink) domain of each GPU."""

import dataclasses
from pathlib import Path

import pytest

import inferecon as ie

DATA = Path(__file__).resolve().parents[2] / "data"


def test_nvlink_domain_sizes_match_their_cited_platforms():
    gpus = ie.load_gpus().set_index("name")
    # HGX/DGX boards of 8 (NVIDIA HGX H100 technical blog; SemiAnalysis for B200), the 72-GPU GB200
    # NVL72 rack (SemiAnalysis), bridged pairs (H100 PCIe, A40 datasheets), no NVLink (L40S, L4)
    expected = {"A100-80GB-SXM": 8, "H100-SXM": 8, "H200-SXM": 8, "B200-HGX": 8, "MI300X": 8,
                "GB200-per-GPU": 72, "H100-PCIe": 2, "A40": 2, "L40S": 1, "L4": 1}  # fmt: skip
    assert gpus["nvlink_domain_gpus"].to_dict() == expected
    for name, n in expected.items():
        assert ie.get_gpu(name).nvlink_domain_gpus == n
        assert "domain" in gpus.loc[name, "notes"]  # every value names its source in the notes


def test_a_gpuspec_without_a_domain_is_one_gpu_and_a_bad_domain_fails():
    g = ie.GPUSpec("x", memory_gb=80, hbm_tb_s=3, bf16_dense_tflops=900, tdp_w=700)
    assert g.nvlink_domain_gpus == 1
    with pytest.raises(ValueError, match="nvlink_domain_gpus"):
        dataclasses.replace(g, nvlink_domain_gpus=0)


def test_a_broken_domain_column_is_reported(tmp_path):
    lines = (DATA / "gpus.csv").read_text().splitlines()
    head = lines[0].split(",")
    col = head.index("nvlink_domain_gpus")
    cells = lines[1].split(",")
    cells[col] = "0"
    lines[1] = ",".join(cells)
    bad = tmp_path / "gpus.csv"
    bad.write_text("\n".join(lines) + "\n")
    with pytest.raises(ie.DataValidationError, match="nvlink_domain_gpus"):
        ie.load_gpus(bad)
