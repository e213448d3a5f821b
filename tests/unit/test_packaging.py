"""Packaging: environment.yml and pyproject.toml agree; the public API is flat and versioned."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import inferecon as ie

ROOT = Path(__file__).resolve().parents[2]


def _split(spec: str) -> tuple[str, str]:
    m = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", spec)
    return m.group(1).lower().replace("_", "-"), m.group(2).replace(" ", "").lstrip("=")


def _pyproject_deps() -> dict[str, str]:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    specs = meta["dependencies"] + meta["optional-dependencies"]["test"]
    return dict(_split(s) for s in specs)


# Dependencies that conda gets from PyPI (environment.yml's `pip:` section), each with why:
PIP_ONLY = {
    # conda-forge's genai-prices trailed PyPI (0.0.x when checked); the notebooks need >= 0.2
    "genai-prices",
    # conda-forge's "playwright" is the Node.js package; the Python binding is on PyPI
    "playwright",
}


def _environment() -> tuple[dict[str, str], dict[str, str], list[str]]:
    """environment.yml parsed: its conda and its pip dependencies (name -> version floor), and
    the pip section's entries as written."""
    import yaml

    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert env["channels"] == ["conda-forge"]
    conda, pip_sections = {}, []
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            assert set(dep) == {"pip"}, dep
            pip_sections.append(dep["pip"])
        else:
            name, ver = _split(dep)
            assert name not in conda, f"{name} listed twice"
            conda[name] = ver
    assert len(pip_sections) == 1, "environment.yml needs exactly one pip: section"
    assert "pip" in conda, "a pip: section needs pip in the environment"
    assert conda.pop("python") == "3.11"
    conda.pop("pip")
    (pip_raw,) = pip_sections
    pip = dict(_split(s) for s in pip_raw if not s.startswith("-"))
    return conda, pip, pip_raw


def test_environment_yml_matches_pyproject():
    conda, pip, pip_raw = _environment()
    assert not set(conda) & set(pip), "a dependency both in the conda list and under pip:"
    assert {**conda, **pip} == _pyproject_deps()  # the same names with the same version floors
    assert set(pip) == PIP_ONLY  # the pip-only ones under pip:, everything else from conda-forge
    assert "-e .[test]" in pip_raw  # the package itself, with its test extra


def test_version_comes_from_metadata():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert ie.__version__ == meta["version"]


def test_public_api_is_flat_and_documented():
    for name in ie.__all__:
        obj = getattr(ie, name)
        if callable(obj) and not name.startswith("_"):
            assert obj.__doc__, f"ie.{name} has no docstring"
    assert {
        "load_prices",
        "read_epoch_prices",
        "cheapest_frontier",
        "fit_decline",
        "blended_price",
        "DataValidationError",
    } <= set(ie.__all__)


def test_licence_expression_names_every_licence_the_wheel_ships():
    # the code is MIT; the wheel also ships Apache-2.0 files and CC BY 4.0 data (data/README.md,
    # NOTICE), so the SPDX expression must name all three, each with its text in license-files
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert meta["license"] == "MIT AND Apache-2.0 AND CC-BY-4.0"
    assert {"LICENSE", "NOTICE", "data/LICENSES/*"} <= set(meta["license-files"])
    texts = {
        "MIT": (ROOT / "LICENSE", "Permission is hereby granted, free of charge"),
        "Apache-2.0": (ROOT / "data/LICENSES/Apache-2.0.txt", "Apache License\n"),
        "CC-BY-4.0": (
            ROOT / "data/LICENSES/CC-BY-4.0.txt",
            "Creative Commons Attribution 4.0 International Public License",
        ),
    }
    for spdx in meta["license"].split(" AND "):
        path, phrase = texts[spdx]
        assert phrase in path.read_text().replace("  ", " "), spdx
    cc = (ROOT / "data/LICENSES/CC-BY-4.0.txt").read_text()
    assert all(f"Section {k} --" in cc for k in range(1, 9))  # the full legal code, not a stub
    # every licence the datasheet says a shipped file carries is in the expression
    datasheet = (ROOT / "data/README.md").read_text()
    for words, spdx in {
        "**Apache License 2.0**": "Apache-2.0",
        "**CC BY 4.0**": "CC-BY-4.0",
    }.items():
        assert words in datasheet and spdx in meta["license"], words


def test_cited_repositories_carry_their_current_licence():
    # SemiAnalysis's InferenceX-app is GPL-3.0 since 2026-03: wherever the datasheet names it in
    # a source table, the licence cell says so (numbers cited, no file shipped); DataCrunch's
    # h200-benchmarks is MIT; the Azure trace and Epoch's hardware data are CC BY 4.0
    datasheet = (ROOT / "data/README.md").read_text().splitlines()
    rows = [r for r in datasheet if r.startswith("|") and "InferenceX-app" in r]
    assert len(rows) >= 3
    for r in rows:
        licence = r.rstrip(" |").rsplit("|", 1)[1]
        assert "GPL-3.0" in licence and "no file" in licence, r[:80]
    (dc,) = [r for r in datasheet if r.startswith("| DataCrunch research")]
    assert "MIT" in dc.rsplit("|", 2)[1]
    notice = (ROOT / "data/LICENSES/NOTICE").read_text()
    for name in ("accelerators.csv", "request_lengths.csv", "chinchilla_points.csv", "Epoch AI"):
        assert name in notice, name
    assert "GPL-3.0" in (ROOT / "NOTICE").read_text()
