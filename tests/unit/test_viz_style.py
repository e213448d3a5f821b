"""Axis limits that change rarely: ``viz.style.nice_ceiling`` (one rule for every explorer)."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from inferecon.viz.style import nice_ceiling


@pytest.mark.parametrize(
    ("value", "steps", "expected"),
    [
        (3.2, (1, 2, 5), 5.0),
        (5.0, (1, 2, 5), 5.0),
        (5.01, (1, 2, 5), 10.0),
        (0.021, (1, 2, 5), 0.05),
        (2.2, (1, 2, 2.5, 5), 2.5),
        (1200.0, (1, 2, 2.5, 5), 2000.0),
        (0.0, (1, 2, 5), 1.0),
        (-3.0, (1, 2, 5), 1.0),
        (math.inf, (1, 2, 5), 1.0),
        (math.nan, (1, 2, 5), 1.0),
    ],
)
def test_nice_ceiling_golden(value, steps, expected):
    assert nice_ceiling(value, steps=steps) == pytest.approx(expected)


@given(st.floats(min_value=1e-9, max_value=1e12), st.sampled_from([(1, 2, 5), (1, 2, 2.5, 5)]))
def test_nice_ceiling_covers_the_value_within_one_step(value, steps):
    top = nice_ceiling(value, steps=steps)
    assert top >= value
    # never more than the next mantissa up: at most 2.5x the value (from 2 to 5, or 4 to 10)
    assert top <= value * 2.5 * (1 + 1e-12)
    mantissa = top / 10 ** np.floor(np.log10(top) + 1e-12)
    assert any(math.isclose(mantissa, m, rel_tol=1e-9) for m in (*steps, 10))
