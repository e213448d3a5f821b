"""Collective times (``inferecon.collectives``): the alpha-beta formulas, the fit, the stored fits.

Golden values are hand arithmetic of ``latency + 2 (n-1)/n * size / bus_bandwidth`` (nccl-tests
``doc/PERFORMANCE.md``'s bus-bandwidth convention) and ``latency + size / bandwidth``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import inferecon as ie
from inferecon.collectives import COLLECTIVE_FITS, CollectiveFit

# ---------------------------------------------------------------- formulas: golden hand values


@pytest.mark.parametrize(
    ("size_bytes", "n_gpus", "latency_us", "bus_gb_s", "expected_us"),
    [
        # n=2: factor 2*1/2 = 1; 1e9 B / 100e9 B/s = 10 ms = 10000 us; + 10 us
        (1e9, 2, 10.0, 100.0, 10_010.0),
        # n=4: factor 2*3/4 = 1.5; 1.5 * 3e8 / 150e9 = 3 ms = 3000 us; + 5 us
        (3e8, 4, 5.0, 150.0, 3_005.0),
        # n=8: factor 2*7/8 = 1.75; 1.75 * 64e6 / 400e9 = 280 us; + 30 us
        (64e6, 8, 30.0, 400.0, 310.0),
        # one GPU moves nothing: latency only
        (1e9, 1, 8.0, 100.0, 8.0),
        # empty message: latency only
        (0.0, 8, 8.0, 100.0, 8.0),
    ],
)
def test_allreduce_golden(size_bytes, n_gpus, latency_us, bus_gb_s, expected_us):
    got = ie.allreduce_time_us(size_bytes, n_gpus, latency_us, bus_gb_s)
    assert got == pytest.approx(expected_us, rel=1e-12)
    assert isinstance(got, float)


def test_send_recv_golden():
    # 4.5e8 B / 450e9 B/s = 1 ms = 1000 us; + 7.5 us
    assert ie.send_recv_time_us(4.5e8, 7.5, 450.0) == pytest.approx(1007.5, rel=1e-12)
    assert ie.send_recv_time_us(0, 7.5, 450.0) == pytest.approx(7.5)


def test_vectorised_broadcast():
    sizes = np.array([0.0, 1e6, 1e9])
    got = ie.allreduce_time_us(sizes, np.array([[2], [8]]), 10.0, 100.0)
    assert got.shape == (2, 3)
    expected = 10.0 + np.array([[1.0], [1.75]]) * sizes / 100e9 * 1e6
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    np.testing.assert_allclose(
        ie.send_recv_time_us(sizes, 5.0, 200.0), 5.0 + sizes / 200e9 * 1e6, rtol=1e-12
    )


# ---------------------------------------------------------------- properties

_size = st.floats(0.0, 1e10)
_latency = st.floats(0.0, 1e3)
_bw = st.floats(1e-2, 1e4)
_n = st.integers(2, 1024)


@given(_size, _size, _n, _latency, _bw)
def test_allreduce_monotone_in_size(a, b, n, latency, bw):
    lo, hi = sorted((a, b))
    assert ie.allreduce_time_us(lo, n, latency, bw) <= ie.allreduce_time_us(hi, n, latency, bw)


@given(_size, _n, _latency, _latency, _bw)
def test_allreduce_monotone_in_latency(size, n, a, b, bw):
    lo, hi = sorted((a, b))
    assert ie.allreduce_time_us(size, n, lo, bw) <= ie.allreduce_time_us(size, n, hi, bw)
    assert ie.allreduce_time_us(size, n, hi, bw) - ie.allreduce_time_us(
        size, n, lo, bw
    ) == pytest.approx(hi - lo, abs=1e-6 * max(1.0, hi))


@given(_size, _size, _latency, _bw)
def test_send_recv_monotone_in_size(a, b, latency, bw):
    lo, hi = sorted((a, b))
    assert ie.send_recv_time_us(lo, latency, bw) <= ie.send_recv_time_us(hi, latency, bw)


@given(st.floats(1.0, 1e10), _bw)
def test_two_gpus_move_half_of_many(size, bw):
    # the ring's per-GPU traffic factor 2(n-1)/n is 1 at n=2 and tends to 2 for large n
    two = ie.allreduce_time_us(size, 2, 0.0, bw)
    many = ie.allreduce_time_us(size, 10**9, 0.0, bw)
    assert two / many == pytest.approx(0.5, rel=1e-6)
    assert two == pytest.approx(ie.send_recv_time_us(size, 0.0, bw), rel=1e-12)


# ---------------------------------------------------------------- fit on synthetic data


def _synthetic(collective, n_gpus, latency_us, bw_gb_s, noise=0.0, seed=0):
    sizes = np.unique(np.round(np.geomspace(2048, 2**26, 120)))
    factor = 2 * (n_gpus - 1) / n_gpus if collective == "all_reduce" else 1.0
    t_us = latency_us + factor * sizes / (bw_gb_s * 1e9) * 1e6
    t_us = t_us * np.exp(np.random.default_rng(seed).normal(0.0, noise, sizes.size))
    frame = pd.DataFrame(
        {
            "node": "synthetic",
            "collective": collective,
            "n_gpus": n_gpus,
            "gpus_per_node": n_gpus,
            "size_bytes": sizes,
            "median_ms": t_us / 1e3,
        }
    )
    # cross-node rows with a very different cost must be ignored by the fit
    cross = frame.assign(gpus_per_node=1, median_ms=frame["median_ms"] * 50)
    return pd.concat([frame, cross], ignore_index=True)


@pytest.mark.parametrize(
    ("collective", "n_gpus", "latency_us", "bw_gb_s"),
    [("all_reduce", 8, 30.0, 350.0), ("all_reduce", 2, 12.0, 150.0), ("send_recv", 2, 7.0, 40.0)],
)
def test_fit_recovers_known_parameters(collective, n_gpus, latency_us, bw_gb_s):
    data = _synthetic(collective, n_gpus, latency_us, bw_gb_s)
    fit = ie.fit_collective(data, node="synthetic", collective=collective, n_gpus=n_gpus)
    assert fit.latency_us == pytest.approx(latency_us, rel=1e-6)
    assert fit.bandwidth_gb_s == pytest.approx(bw_gb_s, rel=1e-6)
    assert fit.rows == len(data) // 2
    assert fit.min_size_bytes == 2048 and fit.max_size_bytes == 2**26
    assert fit.median_rel_error < 1e-6
    noisy = _synthetic(collective, n_gpus, latency_us, bw_gb_s, noise=0.05, seed=1)
    fit = ie.fit_collective(noisy, node="synthetic", collective=collective, n_gpus=n_gpus)
    assert fit.latency_us == pytest.approx(latency_us, rel=0.05)
    assert fit.bandwidth_gb_s == pytest.approx(bw_gb_s, rel=0.05)
    assert 0.01 < fit.median_rel_error < 0.06


# ---------------------------------------------------------------- stored fits vs shipped data


@pytest.fixture(scope="module")
def timings():
    return ie.load_collective_timings()


def test_stored_fits_cover_every_intra_node_group(timings):
    intra = timings[timings["gpus_per_node"] == timings["n_gpus"]]
    groups = {
        (n, c, int(g)) for n, c, g in intra[["node", "collective", "n_gpus"]].itertuples(False)
    }
    assert set(COLLECTIVE_FITS) == groups
    for key, fit in COLLECTIVE_FITS.items():
        assert isinstance(fit, CollectiveFit)
        assert (fit.node, fit.collective, fit.n_gpus) == key
        assert "7d47513" in fit.source


@pytest.mark.parametrize("key", sorted(COLLECTIVE_FITS))
def test_stored_fit_reproduces_shipped_data(timings, key):
    fit = COLLECTIVE_FITS[key]
    node, collective, n_gpus = key
    rows = timings[
        (timings["node"] == node)
        & (timings["collective"] == collective)
        & (timings["n_gpus"] == n_gpus)
        & (timings["gpus_per_node"] == n_gpus)
    ]
    assert len(rows) == fit.rows
    assert rows["size_bytes"].min() == fit.min_size_bytes
    assert rows["size_bytes"].max() == fit.max_size_bytes
    error = np.abs(fit.time_us(rows["size_bytes"].to_numpy(float)) / (rows["median_ms"] * 1e3) - 1)
    # stored parameters are rounded (0.01 us, 0.1 GB/s): allow half a point on the stated errors
    assert np.median(error) <= fit.median_rel_error + 0.005
    assert np.quantile(error, 0.9) <= fit.p90_rel_error + 0.005
    refit = ie.fit_collective(timings, node=node, collective=collective, n_gpus=n_gpus)
    assert refit.latency_us == pytest.approx(fit.latency_us, abs=0.006)
    assert refit.bandwidth_gb_s == pytest.approx(fit.bandwidth_gb_s, abs=0.06)
    assert refit.median_rel_error == pytest.approx(fit.median_rel_error, abs=5e-4)
    assert refit.p90_rel_error == pytest.approx(fit.p90_rel_error, abs=5e-4)


def test_stored_fits_below_datasheet_nvlink_on_dgx():
    # a DGX all-reduce's bus bandwidth cannot beat the NVLink per direction (data/gpus.csv)
    nvlink_gb_s = {"a100_dgx": 300.0, "h100_dgx": 450.0}
    for (node, _, _), fit in COLLECTIVE_FITS.items():
        if node in nvlink_gb_s:
            assert fit.bandwidth_gb_s < nvlink_gb_s[node]
    gpus = ie.load_gpus().set_index("name")["interconnect_gb_s"]
    assert gpus["A100-80GB-SXM"] == 300.0 and gpus["H100-SXM"] == 450.0


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: ie.allreduce_time_us(-1.0, 2, 8.0, 100.0), r"size_bytes must be in \[0, inf\]"),
        (lambda: ie.allreduce_time_us(1.0, 0, 8.0, 100.0), r"n_gpus must be in \[1, inf\]"),
        (lambda: ie.allreduce_time_us(1.0, 2, -8.0, 100.0), r"latency_us must be in \[0, inf\)"),
        (lambda: ie.allreduce_time_us(1.0, 2, 8.0, 0.0), r"bus_bandwidth_gb_s must be .*> 0"),
        (lambda: ie.send_recv_time_us(np.nan, 8.0, 1.0), r"size_bytes must be in .*got nan"),
        (lambda: ie.send_recv_time_us(1.0, np.inf, 1.0), r"latency_us must be in .*got inf"),
        (lambda: ie.send_recv_time_us(1.0, 8.0, np.float64(-2.0)), r"bandwidth_gb_s .*got -2\.0"),
    ],
)
def test_validation_messages(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_fit_validation(timings):
    with pytest.raises(ValueError, match="collective must be 'all_reduce' or 'send_recv'"):
        ie.fit_collective(timings, node="h100_dgx", collective="all_gather", n_gpus=8)
    with pytest.raises(ValueError, match=r"n_gpus must be in \[2, inf\]"):
        ie.fit_collective(timings, node="h100_dgx", collective="all_reduce", n_gpus=1)
    with pytest.raises(ValueError, match="no intra-node rows .*node='a100_dgx'.*n_gpus=16"):
        ie.fit_collective(timings, node="a100_dgx", collective="all_reduce", n_gpus=16)
