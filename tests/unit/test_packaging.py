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
