"""Shared fixtures: the Agg backend, the repository root and the read-only reference folder."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = Path(os.environ.get("INFERECON_REFERENCE", ROOT.parent / "shared" / "reference"))


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def reference() -> Path:
    """``../shared/reference`` (published datasets used as test oracles), or skip."""
    if not REFERENCE.is_dir():
        pytest.skip(
            f"reference data not found at {REFERENCE}: the fidelity tests need the project's "
            "shared/reference folder beside the checkout (absent in a user's fresh clone)"
        )
    return REFERENCE


@pytest.fixture(scope="session")
def epoch_dir(reference) -> Path:
    d = reference / "epoch-llm-inference-price-trends"
    if not d.is_dir():
        pytest.skip(f"{d} not found")
    return d
