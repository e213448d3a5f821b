"""Argument checks shared by the math layer: out-of-domain input raises ``ValueError`` naming
the parameter, the offending value and the valid range. Nothing is clipped silently."""

from __future__ import annotations

import functools
import warnings

import numpy as np


def plain(value):
    """``value`` as a message should print it: a numpy scalar as the Python number it holds.

    ``repr(np.float64(0.0))`` is ``'np.float64(0.0)'`` under numpy 2; an error message names
    the number, ``0.0``. Anything else is returned unchanged.
    """
    return value.item() if isinstance(value, np.generic) else value


def _first_bad(arr: np.ndarray, ok: np.ndarray):
    bad = arr[~ok]
    return plain(bad.ravel()[0]) if bad.size else None


def _as_float(name: str, value) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric; got {plain(value)!r}") from exc
    return arr


def _out(arr: np.ndarray, original):
    if arr.ndim == 0 and np.isscalar(original):
        return float(arr)
    return arr


def scalar_or_array(x):
    """``x`` as a Python float when it is 0-dimensional, else as a numpy array.

    The one way the math layer returns results: a scalar for scalar input, an array for a
    sweep.
    """
    arr = np.asarray(x)
    return arr.item() if arr.ndim == 0 else arr


def require_positive(name: str, value):
    """Return ``value`` as float (array) after checking it is finite and > 0."""
    arr = _as_float(name, value)
    ok = np.isfinite(arr) & (arr > 0)
    if not np.all(ok):
        raise ValueError(
            f"{name} must be finite and > 0 (valid range (0, inf)); got {_first_bad(arr, ok)!r}"
        )
    return _out(arr, value)


def require_in_range(
    name: str,
    value,
    low: float,
    high: float,
    *,
    low_open: bool = False,
    high_open: bool = False,
):
    """Return ``value`` as float (array) after checking ``low <= value <= high``.

    ``low_open``/``high_open`` make the bound strict. NaN always fails.
    """
    arr = _as_float(name, value)
    ok = ~np.isnan(arr)
    ok &= (arr > low) if low_open else (arr >= low)
    ok &= (arr < high) if high_open else (arr <= high)
    if not np.all(ok):
        lb = "(" if low_open else "["
        hb = ")" if high_open else "]"
        raise ValueError(
            f"{name} must be in {lb}{low:g}, {high:g}{hb}; got {_first_bad(arr, ok)!r}"
        )
    return _out(arr, value)


def require_flag(name: str, value) -> bool:
    """``value`` as a bool, or ValueError naming ``name`` when it is not True or False (a
    string such as ``"no"`` would otherwise read as True)."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False; got {value!r}")
    return bool(value)


def renamed_parameters(**old_to_new: str):
    """Accept the old keyword names of renamed parameters for one release, with a warning.

    ``@renamed_parameters(usd_per_hour="usd_per_gpu_hour")`` lets a caller still write
    ``f(usd_per_hour=2.0)``: the value is passed as ``usd_per_gpu_hour`` and a
    ``DeprecationWarning`` names both. Passing both names raises ``TypeError``. The wrapper keeps
    the function's signature (``functools.wraps``), so ``inspect.signature`` shows only the new
    names (the glossary in CONTRIBUTING.md; ``tests/unit/test_vocabulary.py``). Old names
    accepted here were deprecated in 0.1.0 and are removed in 0.2.0.
    """

    def decorate(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            for old, new in old_to_new.items():
                if old in kwargs:
                    if new in kwargs:
                        raise TypeError(
                            f"{func.__name__}() got both {old!r} (deprecated) and {new!r}; "
                            f"pass only {new!r}"
                        )
                    warnings.warn(
                        f"{func.__name__}({old}=...) is deprecated since 0.1.0 and will be "
                        f"removed in 0.2.0; use {new}=...",
                        DeprecationWarning,
                        stacklevel=2,
                    )
                    kwargs[new] = kwargs.pop(old)
            return func(*args, **kwargs)

        wrapper.__renamed_parameters__ = dict(old_to_new)
        return wrapper

    return decorate
