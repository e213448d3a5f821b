"""Error messages name the number a user passed, never numpy's repr of it.

numpy 2 writes ``repr(np.float64(0.5))`` as ``np.float64(0.5)``. Values often reach a formula as
numpy scalars (a DataFrame cell, a slider's value after arithmetic), so every message that
quotes a bad value must print ``0.5``. ``tests/unit/test_factory.py`` checks the factory's
messages; these are the other modules'.
"""

from __future__ import annotations

import numpy as np
import pytest

import inferecon as ie

CASES = [
    # (call, the number the message must quote)
    (lambda: ie.factor_per_year_to_halving_time_months(np.float64(0.5)), "0.5"),
    (lambda: ie.pass_at_k(np.float64(10.5), 3, 1), "10.5"),
    (lambda: ie.pass_at_k(np.array([10, -4]), 0, 1), "-4"),
    (lambda: ie.plurality_vote_accuracy(np.array([0.5, 0.25]), 3), "0.75"),
    (lambda: ie.poisson_workload(1.0, np.float64(2.5)), "2.5"),
    (
        lambda: ie.decode_performance(
            "Llama-3.1-8B", "H100-SXM", 1, 512, tensor_parallel=np.float64(1.5)
        ),
        "1.5",
    ),  # fmt: skip
]


@pytest.mark.parametrize("call, number", CASES, ids=range(len(CASES)))
def test_messages_quote_the_number(call, number):
    with pytest.raises(ValueError) as info:
        call()
    msg = str(info.value)
    assert "np." not in msg and "float64" not in msg and "int64" not in msg, msg
    assert number in msg, msg
