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


def _conda_deps() -> dict[str, str]:
    deps = {}
    text = (ROOT / "environment.yml").read_text().split("\ndependencies:", 1)[1]
    for line in text.splitlines():
        m = re.match(r"^\s{2}- ([A-Za-z0-9_.\-]+[^:#]*)$", line)
        if m:
            name, ver = _split(m.group(1))
            if name not in {"python", "pip"}:
                deps[name] = ver
    return deps


def test_environment_yml_matches_pyproject():
    assert _conda_deps() == _pyproject_deps()
    assert "- -e .[test]" in (ROOT / "environment.yml").read_text()


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
