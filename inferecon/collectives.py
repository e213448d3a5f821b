"""Cost of NCCL collectives: the alpha-beta (latency-bandwidth) model of a ring all-reduce and of a
point-to-point send/recv, fitted to Microsoft Vidur's measured timings (``collective_timings.csv``).

Convention (NVIDIA's nccl-tests, ``doc/PERFORMANCE.md``,
https://github.com/NVIDIA/nccl-tests/blob/master/doc/PERFORMANCE.md): the *algorithm bandwidth* of
an operation on a message of ``S`` bytes taking ``t`` is ``S / t``; the *bus bandwidth* of an
all-reduce on ``n`` ranks is the algorithm bandwidth times ``2 (n - 1) / n``, the bytes each GPU
actually moves per byte of message in a ring. Bus bandwidth does not depend on ``n`` for an ideal
ring and is the number to compare with a link's peak (per direction). Here:

- all-reduce: ``t = latency + 2 (n - 1) / n * S / bus_bandwidth``;
- send/recv: ``t = latency + S / bandwidth`` (algorithm and bus bandwidth coincide).

The serving model's tensor-parallel all-reduces and KV-cache transfers of a calibrated engine take
their latency and bandwidth from :func:`allreduce_parameters` and :func:`send_recv_parameters`
(measured fits where they exist, a documented rule elsewhere); its physical ceiling keeps only the
datasheet link bandwidth (no latency).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._validate import require_in_range, require_positive, scalar_or_array

__all__ = [
    "COLLECTIVE_FITS",
    "COLLECTIVE_NODES",
    "CollectiveFit",
    "allreduce_parameters",
    "allreduce_time_us",
    "send_recv_parameters",
    "fit_collective",
    "send_recv_time_us",
]

_VIDUR_SOURCE = (
    "Microsoft Vidur profiles (MIT), microsoft/vidur @ 7d47513363ec447a741ac5e47241580b47724fbf, "
    "data/profiling/network/<node>/{all_reduce,send_recv}.csv via data/collective_timings.csv; "
    "fitted 2026-12-06"
)
_BYTES_PER_GB = 1e9
_US_PER_S = 1e6


def _ring_factor(n_gpus):
    return 2.0 * (n_gpus - 1.0) / n_gpus


def _alpha_beta_us(size_bytes, latency_us, bandwidth_name, bandwidth_gb_s, bytes_factor):
    """Validated ``latency + bytes_factor * size / bandwidth`` (us)."""
    size = require_in_range("size_bytes", size_bytes, 0.0, np.inf)
    latency = require_in_range("latency_us", latency_us, 0.0, np.inf, high_open=True)
    bandwidth = require_positive(bandwidth_name, bandwidth_gb_s)
    transfer_s = np.asarray(bytes_factor) * np.asarray(size) / (bandwidth * _BYTES_PER_GB)
    return scalar_or_array(np.asarray(latency) + transfer_s * _US_PER_S)


def allreduce_time_us(size_bytes, n_gpus, latency_us, bus_bandwidth_gb_s):
    """Time of a ring all-reduce (microseconds): ``latency + 2 (n-1)/n * size / bus_bandwidth``.

    Parameters
    ----------
    size_bytes : float or array_like
        Message each GPU contributes (bytes), >= 0.
    n_gpus : int or array_like
        GPUs taking part (count), >= 1; one GPU moves nothing.
    latency_us : float or array_like
        Fixed cost per all-reduce (microseconds), >= 0.
    bus_bandwidth_gb_s : float or array_like
        NCCL bus bandwidth (GB/s, 1e9 bytes per second), > 0: algorithm bandwidth times
        ``2 (n-1)/n`` (nccl-tests ``doc/PERFORMANCE.md``).

    Returns
    -------
    float or numpy.ndarray
        All-reduce time (microseconds), broadcast over the four arguments.

    Raises
    ------
    ValueError
        If ``size_bytes``, ``n_gpus``, ``latency_us`` or ``bus_bandwidth_gb_s`` is out of range.
    """
    n = require_in_range("n_gpus", n_gpus, 1.0, np.inf)
    return _alpha_beta_us(
        size_bytes, latency_us, "bus_bandwidth_gb_s", bus_bandwidth_gb_s, _ring_factor(n)
    )


def send_recv_time_us(size_bytes, latency_us, bandwidth_gb_s):
    """Time of one GPU sending a message to another (microseconds): ``latency + size / bandwidth``.

    Parameters
    ----------
    size_bytes : float or array_like
        Message (bytes), >= 0.
    latency_us : float or array_like
        Fixed cost per transfer (microseconds), >= 0.
    bandwidth_gb_s : float or array_like
        Link bandwidth in one direction (GB/s, 1e9 bytes per second), > 0.

    Returns
    -------
    float or numpy.ndarray
        Transfer time (microseconds), broadcast over the three arguments.

    Raises
    ------
    ValueError
        If ``size_bytes``, ``latency_us`` or ``bandwidth_gb_s`` is out of range.
    """
    return _alpha_beta_us(size_bytes, latency_us, "bandwidth_gb_s", bandwidth_gb_s, 1.0)


@dataclass(frozen=True)
class CollectiveFit:
    """Latency and bandwidth of one collective on one kind of node, fitted to measured medians.

    Attributes
    ----------
    node, collective : str
        Vidur's node kind (``h100_dgx``, ...) and ``"all_reduce"`` or ``"send_recv"``.
    n_gpus : int
        GPUs taking part, all on one node (count).
    latency_us : float
        Fitted fixed cost (microseconds).
    bandwidth_gb_s : float
        Fitted bus bandwidth (GB/s); for send/recv the plain link bandwidth.
    rows : int
        Measured sizes fitted (count).
    min_size_bytes, max_size_bytes : float
        Range of message sizes fitted (bytes); outside it the model is an extrapolation.
    median_rel_error, p90_rel_error : float
        Median and 90th percentile of ``|model / measured - 1|`` over the rows (fraction).
    source : str
        Where the measurements come from and when the fit was made.
    """

    node: str
    collective: str
    n_gpus: int
    latency_us: float
    bandwidth_gb_s: float
    rows: int
    min_size_bytes: float
    max_size_bytes: float
    median_rel_error: float
    p90_rel_error: float
    source: str = _VIDUR_SOURCE

    def time_us(self, size_bytes):
        """Modelled time of this collective on ``size_bytes`` per GPU (microseconds).

        Parameters
        ----------
        size_bytes : float or array_like
            Message each GPU contributes (bytes), >= 0.

        Returns
        -------
        float or numpy.ndarray
            Time (microseconds).
        """
        if self.collective == "all_reduce":
            return allreduce_time_us(size_bytes, self.n_gpus, self.latency_us, self.bandwidth_gb_s)
        return send_recv_time_us(size_bytes, self.latency_us, self.bandwidth_gb_s)


def _model_us(collective, size, n_gpus, latency_us, bandwidth_gb_s):
    factor = _ring_factor(n_gpus) if collective == "all_reduce" else 1.0
    return latency_us + factor * size / (bandwidth_gb_s * _BYTES_PER_GB) * _US_PER_S


def _intra_node_rows(timings: pd.DataFrame, node: str, collective: str, n_gpus: int):
    rows = timings[
        (timings["node"] == node)
        & (timings["collective"] == collective)
        & (timings["n_gpus"] == n_gpus)
        & (timings["gpus_per_node"] == n_gpus)
    ]
    if rows.empty:
        raise ValueError(
            f"no intra-node rows (gpus_per_node == n_gpus) for node={node!r}, "
            f"collective={collective!r}, n_gpus={n_gpus}; valid groups are those in the timings"
        )
    return rows


def fit_collective(timings: pd.DataFrame, *, node: str, collective: str, n_gpus: int):
    """Fit latency and bandwidth of one intra-node collective to measured medians in log space.

    Minimises the squared log ratio of modelled to measured median time (a relative error, so
    2 KiB and 64 MiB messages weigh alike) with ``scipy.optimize.least_squares``, over the rows
    of ``timings`` with ``gpus_per_node == n_gpus`` (cross-node rows measure an unstated network).

    Parameters
    ----------
    timings : pandas.DataFrame
        Rows in the schema of ``data/collective_timings.csv`` (``ie.load_collective_timings()``).
    node : str
        Node kind, e.g. ``"h100_dgx"``.
    collective : str
        ``"all_reduce"`` or ``"send_recv"``.
    n_gpus : int
        GPUs taking part (count), >= 2.

    Returns
    -------
    CollectiveFit
        The fitted parameters with their error over the fitted rows.

    Raises
    ------
    ValueError
        If ``collective`` or ``n_gpus`` is out of range or no intra-node row matches.
    """
    from scipy.optimize import least_squares

    if collective not in ("all_reduce", "send_recv"):
        raise ValueError(f"collective must be 'all_reduce' or 'send_recv'; got {collective!r}")
    require_in_range("n_gpus", n_gpus, 2.0, np.inf)
    rows = _intra_node_rows(timings, node, collective, n_gpus)
    size = rows["size_bytes"].to_numpy(float)
    measured_us = rows["median_ms"].to_numpy(float) * 1e3

    def residual(log_params):
        latency, bandwidth = np.exp(log_params)
        return np.log(_model_us(collective, size, n_gpus, latency, bandwidth) / measured_us)

    start = np.log([max(measured_us.min(), 1e-3), 100.0])
    result = least_squares(residual, start, method="lm")
    latency_us, bandwidth_gb_s = (float(v) for v in np.exp(result.x))
    error = np.abs(np.exp(result.fun) - 1.0)
    return CollectiveFit(
        node=node,
        collective=collective,
        n_gpus=int(n_gpus),
        latency_us=latency_us,
        bandwidth_gb_s=bandwidth_gb_s,
        rows=len(rows),
        min_size_bytes=float(size.min()),
        max_size_bytes=float(size.max()),
        median_rel_error=float(np.median(error)),
        p90_rel_error=float(np.quantile(error, 0.9)),
    )


def _fit(node, collective, n_gpus, latency_us, bandwidth_gb_s, rows, low, high, median, p90):
    fit = CollectiveFit(
        node, collective, n_gpus, latency_us, bandwidth_gb_s, rows, low, high, median, p90
    )
    return (node, collective, n_gpus), fit


_AR, _SR = "all_reduce", "send_recv"

COLLECTIVE_FITS: dict[tuple[str, str, int], CollectiveFit] = dict(
    [
        # node, collective, n_gpus, latency us, bandwidth GB/s, rows, sizes (bytes), median, p90
        _fit("a100_dgx", _AR, 2, 43.30, 168.5, 284, 2048, 67108864, 0.043, 0.253),
        _fit("a100_dgx", _AR, 4, 35.92, 155.6, 284, 2048, 67108864, 0.120, 0.650),
        _fit("a100_dgx", _AR, 8, 41.63, 146.2, 284, 2048, 67108864, 0.105, 0.364),
        _fit("a100_dgx", _SR, 2, 14.56, 295.1, 284, 2048, 67108864, 0.076, 0.169),
        _fit("a100_pairwise_nvlink", _AR, 2, 45.43, 202.9, 380, 2048, 536373250, 0.069, 0.248),
        _fit("a100_pairwise_nvlink", _AR, 4, 57.42, 23.4, 380, 2048, 536373250, 0.016, 0.052),
        _fit("a100_pairwise_nvlink", _SR, 2, 8.37, 373.0, 284, 2048, 67108864, 0.059, 0.140),
        _fit("a40_pairwise_nvlink", _SR, 2, 2.34, 4.2, 284, 2048, 67108864, 0.032, 0.066),
        _fit("h100_dgx", _AR, 2, 26.86, 327.0, 284, 2048, 67108864, 0.159, 0.349),
        _fit("h100_dgx", _AR, 4, 34.95, 413.1, 284, 2048, 67108864, 0.113, 0.232),
        _fit("h100_dgx", _AR, 8, 28.85, 335.7, 284, 2048, 67108864, 0.045, 0.203),
        _fit("h100_dgx", _SR, 2, 7.64, 355.3, 284, 2048, 67108864, 0.026, 0.081),
        _fit("h100_pairwise_nvlink", _AR, 2, 16.28, 193.1, 284, 2048, 67108864, 0.031, 0.466),
        _fit("h100_pairwise_nvlink", _AR, 4, 24.95, 43.4, 284, 2048, 67108864, 0.103, 0.251),
    ]
)  # fmt: skip
"""Stored :func:`fit_collective` results for every intra-node (node, collective, n_gpus) group of
``data/collective_timings.csv`` (Vidur @ 7d47513, fitted 2026-12-06, latency to 0.01 us, bandwidth
to 0.1 GB/s).

Against the datasheet NVLink bandwidth per direction in ``data/gpus.csv`` (A100 300 GB/s, H100
450 GB/s), the fitted all-reduce bus bandwidth on a DGX is 49-56% on A100 (146-169 GB/s) and
73-92% on H100 (327-413 GB/s); send/recv between two GPUs of a DGX reaches 98% (A100) and 79%
(H100). The fitted all-reduce latencies (27-43 us on a DGX, 45-57 us on the A100 pairs, 16-25 us
on the H100 pairs) are 2-7 times the 8 us of :data:`inferecon.ALLREDUCE_LATENCY_US`; a fitted
latency is the intercept of a two-parameter fit over 2 KiB-64 MiB, not the smallest measured
time (relative error median 2-16%, 90th percentile up to 65%: small messages are noisy and NCCL
changes algorithm with size). Caveats from ``data/README.md``: the 4-GPU pairwise all-reduces
cross PCIe (23-43 GB/s); the A40 send/recv is for latency only (4.2 GB/s, not its NVLink bridge);
the pairwise A100 send/recv (373 GB/s) exceeds NVLink3's 300 GB/s per direction, so read it with
care.
"""


COLLECTIVE_NODES: dict[str, tuple[str, str, bool]] = {
    "A100-80GB-SXM": ("a100_dgx", "a100_dgx", True),
    "H100-SXM": ("h100_dgx", "h100_dgx", True),
    "H200-SXM": ("h100_dgx", "h100_dgx", False),
    "B200-HGX": ("h100_dgx", "h100_dgx", False),
    "GB200-per-GPU": ("h100_dgx", "h100_dgx", False),
    "MI300X": ("h100_dgx", "h100_dgx", False),
    "H100-PCIe": ("a100_pairwise_nvlink", "a100_pairwise_nvlink", False),
    "L40S": ("a100_pairwise_nvlink", "a100_pairwise_nvlink", False),
    "L4": ("a100_pairwise_nvlink", "a100_pairwise_nvlink", False),
    "A40": ("a100_pairwise_nvlink", "a40_pairwise_nvlink", False),
}
"""The measured node each GPU's collectives are costed from: GPU name -> (node of the all-reduce
fits, node of the send/recv fit, whether the GPU itself was measured there).

The rule (:func:`allreduce_parameters`): a measured GPU (A100 and H100 on their 8-GPU DGX nodes)
uses its own fitted latency and bus bandwidth. Every other GPU takes the fitted latency of the
nearest measured node (the NVSwitch DGX of the H100 for scale-up domains: H200 and B200 on
NVLink4/5 switches, GB200's NVLink5 rack, MI300X's Infinity Fabric mesh; the PCIe-connected
pairwise node for PCIe cards and the A40's NVLink bridges) and a bus bandwidth of its own
datasheet link (``interconnect_gb_s``, ``data/gpus.csv``) times the share of its datasheet link
that the donor node's fit reached (H100 DGX: 327-413 of 450 GB/s; the pairwise node's 2-GPU fit
reached 203 of 300 GB/s; its 4-GPU fit, 23 GB/s, measures a PCIe crossing and is used as is).
Send/recv likewise. A GPU count without a fit takes the nearest fitted count (the largest, 8 or
4, beyond it). These are floors of measured engines on older hardware, not measurements of the
borrowing GPU: a stated extrapolation."""

_DATASHEET_LINK_GB_S = {"a100_dgx": 300.0, "h100_dgx": 450.0, "a100_pairwise_nvlink": 300.0,
                        "h100_pairwise_nvlink": 450.0, "a40_pairwise_nvlink": 56.25}  # fmt: skip
"""Per-direction datasheet NVLink bandwidth of the measured nodes' GPUs (``data/gpus.csv``:
A100 NVLink3 300 GB/s, H100 NVLink4 450 GB/s, A40 bridge 56.25 GB/s)."""


def _nearest_fit(node: str, collective: str, n_gpus: float) -> CollectiveFit:
    counts = sorted(k[2] for k in COLLECTIVE_FITS if k[0] == node and k[1] == collective)
    if not counts:
        raise ValueError(f"no stored {collective} fit for node {node!r}")
    best = min(counts, key=lambda c: (abs(c - n_gpus), -c))
    return COLLECTIVE_FITS[(node, collective, best)]


def _node_rule(gpu) -> tuple[str, str, bool]:
    from .specs import get_gpu

    g = get_gpu(gpu)
    if g.name in COLLECTIVE_NODES:
        return COLLECTIVE_NODES[g.name]
    return ("h100_dgx", "h100_dgx", False)  # a GPU the tables do not know: a scale-up domain


def allreduce_parameters(gpu, n_gpus: int) -> tuple[float, float]:
    """Latency and bus bandwidth of one tensor-parallel all-reduce of a measured engine.

    Parameters
    ----------
    gpu : str or GPUSpec
        The GPU (any name :func:`inferecon.get_gpu` knows; an unknown spec is costed as a
        scale-up domain like the H100's).
    n_gpus : int
        GPUs taking part (count), >= 2.

    Returns
    -------
    tuple of float
        ``(latency_us, bus_bandwidth_gb_s)`` for :func:`allreduce_time_us`, by the rule of
        :data:`COLLECTIVE_NODES`.

    Raises
    ------
    ValueError
        If ``n_gpus`` < 2 or the GPU has no interconnect bandwidth (a borrowed rule needs it).

    Examples
    --------
    >>> allreduce_parameters("H100-SXM", 8)
    (28.85, 335.7)
    """
    from .specs import get_gpu

    n = float(require_in_range("n_gpus", n_gpus, 2.0, np.inf))
    node, _, measured = _node_rule(gpu)
    fit = _nearest_fit(node, "all_reduce", n)
    if measured:
        return fit.latency_us, fit.bandwidth_gb_s
    return fit.latency_us, _borrowed_bandwidth(get_gpu(gpu), fit, node)


def send_recv_parameters(gpu) -> tuple[float, float]:
    """Latency and bandwidth of one point-to-point transfer of a measured engine (NCCL
    send/recv, as a prefill instance hands a prompt's KV cache to a decode instance).

    Parameters
    ----------
    gpu : str or GPUSpec
        The GPU.

    Returns
    -------
    tuple of float
        ``(latency_us, bandwidth_gb_s)`` for :func:`send_recv_time_us`: the measured fit of the
        GPU's node (:data:`COLLECTIVE_NODES`), the bandwidth scaled to the GPU's own link as for
        :func:`allreduce_parameters` (the A40's bridge fit, 4.2 GB/s, is a latency-only
        measurement: its link's datasheet bandwidth is used instead).

    Raises
    ------
    ValueError
        If the GPU has no interconnect bandwidth and was not measured.
    """
    from .specs import get_gpu

    g = get_gpu(gpu)
    _, node, measured = _node_rule(g)
    fit = _nearest_fit(node, "send_recv", 2)
    if measured:
        return fit.latency_us, fit.bandwidth_gb_s
    if node == "a40_pairwise_nvlink":
        return fit.latency_us, _link(g)
    return fit.latency_us, _borrowed_bandwidth(g, fit, node)


def _link(g) -> float:
    link = float(g.interconnect_gb_s)
    if not np.isfinite(link) or link <= 0:
        raise ValueError(
            f"{g.name} has no interconnect bandwidth in data/gpus.csv; pass interconnect_gb_s "
            "to model communication on it"
        )
    return link


def _borrowed_bandwidth(g, fit: CollectiveFit, node: str) -> float:
    """The GPU's datasheet link times the share of its datasheet link the donor fit reached
    (capped at the link: no borrowed share above 1)."""
    share = min(1.0, fit.bandwidth_gb_s / _DATASHEET_LINK_GB_S[node])
    if fit.n_gpus > 2 and node.endswith("pairwise_nvlink"):
        return min(_link(g), fit.bandwidth_gb_s)  # a PCIe crossing, measured: as is
    return _link(g) * share
