"""The Shapley split of a change among factors, and the one-at-a-time splits beside it.

Changing factors one at a time gives a different split for each order when they interact. The
**Shapley** split averages the one-at-a-time splits over all ``K!`` orders, computed with the
subset weights ``|S|! (K - |S| - 1)! / K!`` from the ``2**K`` subsets of changed factors
(Shapley 1953; the same formula as SHAP's exact explainer): it is exact (the shares add up to the
change), symmetric and free of any order. :func:`one_at_a_time_splits` gives every order's split
so a reader sees the interaction. Used by :func:`inferecon.decompose_price_decline` on log costs.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

__all__ = ["one_at_a_time_splits", "shapley_split"]


def _check_subsets(values) -> tuple[np.ndarray, int]:
    v = np.asarray(values, dtype=float)
    if v.ndim == 0 or v.shape[0] < 2:
        raise ValueError(
            "values_by_subset must have 2**K rows (K >= 1 factors), one per subset of changed "
            f"factors; got shape {v.shape}"
        )
    k = int(round(math.log2(v.shape[0])))
    if 2**k != v.shape[0] or k > 12:
        raise ValueError(
            "values_by_subset must have 2**K rows with 1 <= K <= 12 (one per subset of changed "
            f"factors, bit k = factor k changed); got {v.shape[0]} rows"
        )
    if not np.all(np.isfinite(v)):
        raise ValueError("values_by_subset must be finite; got a NaN or infinite value")
    return v, k


def shapley_split(values_by_subset) -> np.ndarray:
    """The Shapley split of a change ``v(all) - v(none)`` among ``K`` factors.

    ``values_by_subset[S]`` is the value (e.g. a log cost) when the factors in subset ``S``
    (bit ``k`` of the index set = factor ``k`` changed) take their end values and the others
    their start values. Factor ``k`` gets

        phi_k = sum over S without k of |S|! (K - |S| - 1)! / K! * (v(S + k) - v(S)),

    the average of its one-at-a-time contribution over the ``K!`` orders of changing the
    factors (Shapley 1953), computed from the ``2**K`` subsets (cheap for ``K`` up to ~12).

    Parameters
    ----------
    values_by_subset : array_like, shape (2**K, ...)
        Finite values by subset; trailing axes (e.g. Monte Carlo draws) are carried along.

    Returns
    -------
    numpy.ndarray, shape (K, ...)
        The factors' shares of ``v(all) - v(none)``; they sum to it exactly (up to rounding),
        a factor that changes nothing gets 0, and two interchangeable factors get the same.

    Examples
    --------
    ``v = x1 * x2`` from (1, 1) to (3, 2): v(none) = 1, v({1}) = 3, v({2}) = 2, v(all) = 6.
    Factor 1 gets ((3 - 1) + (6 - 2)) / 2 = 3, factor 2 gets ((2 - 1) + (6 - 3)) / 2 = 2.

    >>> shapley_split([1.0, 3.0, 2.0, 6.0]).tolist()
    [3.0, 2.0]
    """
    v, k = _check_subsets(values_by_subset)
    masks = np.arange(2**k)
    sizes = np.array([bin(int(m)).count("1") for m in masks])
    weight = np.array(
        [math.factorial(s) * math.factorial(k - s - 1) / math.factorial(k) if s < k else 0.0
         for s in sizes]
    )  # fmt: skip
    out = np.empty((k, *v.shape[1:]))
    for j in range(k):
        bit = 1 << j
        without = masks[(masks & bit) == 0]
        out[j] = np.tensordot(weight[without], v[without | bit] - v[without], axes=(0, 0))
    return out


def one_at_a_time_splits(values_by_subset) -> tuple[list[tuple[int, ...]], np.ndarray]:
    """The split of ``v(all) - v(none)`` for every order of changing the factors one at a time.

    Parameters
    ----------
    values_by_subset : array_like, shape (2**K, ...)
        As in :func:`shapley_split`.

    Returns
    -------
    orders : list of tuple of int
        The ``K!`` orders (factor indices in the order they are changed).
    splits : numpy.ndarray, shape (K!, K, ...)
        ``splits[i, k]``: factor ``k``'s contribution when the factors change in ``orders[i]``:
        ``v(before + k) - v(before)``. Each order's contributions sum to ``v(all) - v(none)``;
        their mean over the orders is the Shapley split.

    Examples
    --------
    >>> orders, splits = one_at_a_time_splits([1.0, 3.0, 2.0, 6.0])
    >>> orders, splits.tolist()
    ([(0, 1), (1, 0)], [[2.0, 3.0], [4.0, 1.0]])
    """
    v, k = _check_subsets(values_by_subset)
    orders = list(itertools.permutations(range(k)))
    splits = np.empty((len(orders), k, *v.shape[1:]))
    for i, order in enumerate(orders):
        before = 0
        for j in order:
            splits[i, j] = v[before | (1 << j)] - v[before]
            before |= 1 << j
    return orders, splits
