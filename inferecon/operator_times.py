"""Time of one linear operator (a GEMM) of a transformer layer on one GPU: a tile-and-wave
model whose few per-GPU constants are fitted to measured kernel timings and transfer across GPUs
through the datasheet (peak FLOP/s, memory bandwidth, SM count).

Why a skinny GEMM wastes the GPU
--------------------------------
A GEMM ``(M x K) @ (K x N)`` (``M`` = tokens of the step, ``K x N`` the weight shard of one GPU)
is cut into output tiles of ``tm x tn`` elements; each SM computes one tile at a time, so the
tiles run in *waves* of ``n_sm`` tiles. With few tokens:

* ``M`` is far below a tile's ``tm``: most of each tile's multiply-adds are on padding, and the
  time is that of a full tile (*tile quantization*);
* the tiles do not fill the SMs, or the last wave is partly empty (*wave quantization*); Hopper's
  persistent and stream-K kernels share the last wave's work and soften this
  (``wave_quantization`` below 1);
* the whole weight matrix still has to be read from memory once: the time cannot fall below
  ``bytes / bandwidth`` (the *memory-bound region*), whatever the tile;
* small output grids split ``K`` over several tiles (*split-K*) to occupy more SMs, paying for
  writing and reducing fp32 partial sums;
* a small tile re-reads its operands more often per multiply-add (``tm + tn`` operand elements
  per ``tm * tn`` multiply-adds per step along ``K``), so it runs below a big tile's rate;
* every launch pays a fixed overhead (launch, prologue, epilogue).

The model (per row; times in seconds, bf16/fp16 operands of 2 bytes)::

    tile_s   = 2 tm tn K' / (compute_efficiency * peak / n_sm)
               * (1 + staging_edge / tm + staging_edge / tn) + tile_overhead_us * 1e-6
    x        = tiles / n_sm,   tiles = ceil(M / tm) * ceil(N / tn) * split
    waves    = q * ceil(x) + (1 - q) * max(x, 1)           q = wave_quantization
    compute  = waves * tile_s                               K' = K / split
    memory   = 2 (K N + M K + M N + 4 M N split [split > 1]) / (bandwidth_efficiency * bandwidth)
    time     = min over tiles and splits of (compute**4 + memory**4) ** (1/4) + overhead_us * 1e-6

The fourth-power sum is a smooth maximum: near the ridge point neither compute nor memory
traffic is perfectly overlapped with the other. The tile shapes are CUTLASS/cuBLAS's common ones
(:data:`TILE_SHAPES`), the splits :data:`SPLIT_K_FACTORS`. The minimum over them is the best
kernel the library could pick; the real library's heuristic sometimes picks a worse one (the
measured times are not always monotone in ``M``), which is most of the remaining error.

The constants of each GPU are in :data:`OPERATOR_CALIBRATIONS` (fitted to Microsoft's Vidur
profiles in ``data/operator_timings.csv``); :func:`transferred_operator_efficiency` gives the
documented rule for GPUs without timings.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._validate import plain

__all__ = [
    "TILE_SHAPES",
    "SPLIT_K_FACTORS",
    "OperatorEfficiency",
    "OPERATOR_CALIBRATIONS",
    "OPERATOR_TRANSFER",
    "OPERATOR_CEILING_ADJUSTED",
    "MOE_ROUTING_KERNELS",
    "MOE_QUANTIZE_KERNELS",
    "step_gemm_shapes",
    "operator_shapes",
    "gemm_time_ms",
    "predict_operator_times",
    "calibrate_operator_model",
    "operator_leave_one_out",
    "transferred_operator_efficiency",
]

_OPERATORS = ("qkv", "attn_out", "mlp_up", "mlp_down")  # = datasets.LINEAR_OPERATORS

TILE_SHAPES = ((64, 64), (64, 128), (128, 64), (128, 128), (128, 256), (256, 128))
"""Output tile shapes ``(tm, tn)`` (rows of ``M``, columns of ``N``) the model lets a GEMM use:
the common CUTLASS/cuBLAS thread-block tiles of Ampere and Hopper bf16 kernels."""

SPLIT_K_FACTORS = (1, 2, 4, 8)
"""Ways the model lets a GEMM split its ``K`` dimension over tiles (split-K), each split writing
fp32 partial sums that a reduction reads back."""

_SMOOTH_MAX_POWER = 4.0
"""Exponent of the smooth maximum of compute and memory time (4: within 19% of the larger near
the ridge point, where the two are equal; equal to it far from the ridge)."""

_BYTES_PER_ELEMENT = 2.0  # bf16/fp16 operands, as profiled
_PARTIAL_BYTES = 4.0  # fp32 split-K partial sums

_TABLE_COLUMNS = (
    "gpu",
    "n_embd",
    "n_head",
    "n_kv_head",
    "n_expanded_embd",
    "use_gated_mlp",
    "tensor_parallel",
    "tokens",
    "operator",
)

_FIELDS = (
    "compute_efficiency",
    "bandwidth_efficiency",
    "overhead_us",
    "wave_quantization",
    "tile_overhead_us",
    "staging_edge",
)
_START = np.array([0.8, 0.8, 3.0, 0.5, 1.0, 20.0])
_LOWER = np.array([0.05, 0.05, 0.0, 0.0, 0.0, 0.0])
_UPPER = np.array([1.0, 1.0, 50.0, 1.0, 50.0, 400.0])
_ROBUST_SCALE = 0.05
"""Scale of the soft-L1 loss of the fit in log time: residuals beyond ~5% (the library's
heuristic picking a worse kernel than the best one) count linearly, not squared."""


@dataclass(frozen=True)
class OperatorEfficiency:
    """Constants of the GEMM time model for one GPU (or shared by several, for transfer), with
    the description of the fit that produced them.

    Attributes
    ----------
    gpu : str
        The GPU (``data/gpus.csv`` name) the constants were fitted on; several joined by ``+``
        for a shared fit.
    compute_efficiency : float
        Share (0, 1] of the datasheet dense bf16 peak that a tile's multiply-adds reach, for a
        tile so large that staging its operands costs nothing.
    bandwidth_efficiency : float
        Share (0, 1] of the datasheet memory bandwidth that a memory-bound GEMM's reads and
        writes reach.
    overhead_us : float
        Fixed time of one operator launch (launch latency, prologue, epilogue), microseconds.
    wave_quantization : float
        How hard the last wave of tiles counts, in [0, 1]: 1 = a partly filled wave takes as
        long as a full one (classic kernels); 0 = the work spreads evenly over the SMs
        (persistent / stream-K kernels).
    tile_overhead_us : float
        Fixed time per tile and wave (loading the tile's first operands, writing its output),
        microseconds.
    staging_edge : float
        Tile side (elements) at which staging a tile's operands into the SM takes as long as
        its multiply-adds: a ``tm x tn`` tile runs ``1 + staging_edge/tm + staging_edge/tn``
        times slower than an infinitely large one.
    source : str
        Where the timings came from (file, upstream commit) and when the fit was made.
    n_rows : int
        Measured rows fitted.
    models : tuple of str
        The models those rows profile.
    median_ape_pct, p90_ape_pct : float
        Median and 90th percentile of the absolute percentage error on the fitted rows.
    """

    gpu: str
    compute_efficiency: float
    bandwidth_efficiency: float
    overhead_us: float
    wave_quantization: float
    tile_overhead_us: float
    staging_edge: float
    source: str = ""
    n_rows: int = 0
    models: tuple = ()
    median_ape_pct: float = float("nan")
    p90_ape_pct: float = float("nan")

    def __post_init__(self):
        for name, low, high in zip(_FIELDS, _LOWER, _UPPER, strict=True):
            v = getattr(self, name)
            if not (np.isfinite(v) and low <= v <= high):
                raise ValueError(
                    f"OperatorEfficiency.{name} must be in [{low}, {high}]; got {plain(v)!r}"
                )

    def _vector(self) -> np.ndarray:
        return np.array([getattr(self, f) for f in _FIELDS], dtype=float)


_SOURCE = (
    "data/operator_timings.csv (Microsoft Vidur profiles, MIT, microsoft/vidur@7d47513), "
    "linear operators, all rows of the GPU; fitted 2026-12-06 by calibrate_operator_model"
)

_LLAMA2 = ("Llama-2-70b-hf", "Llama-2-7b-hf", "phi-2")

OPERATOR_CALIBRATIONS: dict[str, OperatorEfficiency] = {
    "A100-80GB-SXM": OperatorEfficiency(
        "A100-80GB-SXM", 0.9831, 0.7664, 2.491, 0.1893, 1.871, 26.88,
        source=_SOURCE, n_rows=8268,
        models=_LLAMA2 + ("Meta-Llama-3-70B", "Meta-Llama-3-8B"),
        median_ape_pct=4.41, p90_ape_pct=13.02,
    ),
    "H100-SXM": OperatorEfficiency(
        "H100-SXM", 0.9996, 0.8898, 5.066, 0.2678, 0.5705, 30.14,
        source=_SOURCE, n_rows=3564, models=_LLAMA2, median_ape_pct=5.89, p90_ape_pct=17.0,
    ),
    "A40": OperatorEfficiency(
        "A40", 0.9147, 0.7521, 1.629, 0.4254, 3.066, 12.22,
        source=_SOURCE, n_rows=3564, models=_LLAMA2, median_ape_pct=5.53, p90_ape_pct=17.59,
    ),
}  # fmt: skip
"""Stored constants by GPU name (``data/gpus.csv``), each fitted by
:func:`calibrate_operator_model` to every linear-operator row of that GPU in the bundled
``data/operator_timings.csv`` (fp16/bf16, tensor-parallel 1-8, 1 to 4,096 tokens; to 32,768
on A100), rounded to 4 significant digits; ``median_ape_pct`` / ``p90_ape_pct`` are in-sample.
``tests/unit/test_operator_times.py`` refits the A40's from the data."""

OPERATOR_CEILING_ADJUSTED: dict[str, OperatorEfficiency] = {
    "H200-SXM": OperatorEfficiency(
        "H200-SXM", 0.9250, 0.8898, 5.066, 0.2678, 0.5705, 30.14,
        source=(
            "H100-SXM's stored constants with compute_efficiency scaled by 664.3 / 717.9 so the "
            "model reproduces the 8192^3 bf16 GEMM measured on the project's H200 "
            "(data/h200_ceilings.csv, 2026-11-26; power-limited at 704 W); chosen 2026-12-06 over "
            "the plain transfer and over a refit of compute_efficiency and staging_edge on "
            "data/h200_decode.csv by the step-level held-out error (pooled median over the "
            "leave-one-context-out and leave-one-batch-range-out folds: 10.3% vs 12.8% and 15.2%)"
        ),
        models=("bf16 GEMM 8192 x 8192 x 8192",),
        n_rows=1,
    ),
}  # fmt: skip
"""GPUs without operator timings whose borrowed constants are adjusted to a GPU-level measurement
of their own (the measured large-GEMM throughput): the H200, the same GH100 die as the H100 but
run here at its power limit. :func:`transferred_operator_efficiency` returns these first."""

OPERATOR_TRANSFER: dict[str, tuple[str, float, float]] = {
    "H100-PCIe": ("H100-SXM", 6.7, 20.0),
    "H200-SXM": ("H100-SXM", 6.7, 20.0),
    "B200-HGX": ("H100-SXM", 8.4, 21.0),
    "GB200-per-GPU": ("H100-SXM", 8.4, 21.0),
    "MI300X": ("H100-SXM", 8.4, 21.0),
    "L40S": ("A40", 6.7, 20.0),
    "L4": ("A40", 6.7, 20.0),
}
"""The rule for GPUs without timings: GPU name -> (the calibrated GPU whose constants it
borrows, stated median and p90 absolute error of doing so, percent). The stated errors are
measured by predicting each calibrated GPU with another's constants (its own datasheet
physics): within one architecture (Ampere: A100 constants on A40 6.7% median, p90 19.7%;
A40 on A100 5.5%, 13.8%) for a same-architecture borrow; the worst across architectures
(H100 constants on A40 8.4%, p90 20.4%; A40 on H100 7.7%, 20.9%) for B200, GB200 and MI300X,
a floor since none of the calibrated GPUs runs their kernels."""


# --------------------------------------------------------------------------------------------
# shapes


def _column(table: pd.DataFrame, name: str) -> np.ndarray:
    if name not in table.columns:
        raise ValueError(
            f"table has no column {name!r}; operator tables need the columns "
            f"{', '.join(_TABLE_COLUMNS)}"
        )
    return table[name].to_numpy()


def _require_rows(raw: np.ndarray, bad: np.ndarray, name: str, rule: str) -> None:
    """Raise naming the column, its rule and the first row of ``raw`` that breaks it."""
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"column {name!r} must be {rule}; row {i} has {plain(raw[i])!r}")


def _positive_column(table: pd.DataFrame, name: str) -> np.ndarray:
    raw = _column(table, name)
    try:
        arr = raw.astype(float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"column {name!r} must be numeric; got {raw[:3].tolist()!r}") from exc
    _require_rows(
        raw, ~(np.isfinite(arr) & (arr > 0)), name, "finite and > 0 (valid range (0, inf))"
    )
    return arr


def _operator_column(table: pd.DataFrame) -> np.ndarray:
    raw = _column(table, "operator")
    ops = np.array([str(o).lower() for o in raw], dtype=object)
    _require_rows(raw, ~np.isin(ops, _OPERATORS), "operator", f"one of {', '.join(_OPERATORS)}")
    return ops


def _gated_column(table: pd.DataFrame) -> np.ndarray:
    raw = _column(table, "use_gated_mlp")
    out = np.empty(len(raw), dtype=float)
    for i, v in enumerate(raw):
        s = str(v).strip().lower()
        if s in ("true", "1", "1.0", "yes"):
            out[i] = 2.0
        elif s in ("false", "0", "0.0", "no"):
            out[i] = 1.0
        else:
            raise ValueError(f"column 'use_gated_mlp' must be true or false; row {i} has {v!r}")
    return out


def operator_shapes(table: pd.DataFrame) -> pd.DataFrame:
    """The GEMM each row's operator runs on one GPU: ``M`` rows (tokens), inner size ``K`` and
    output columns ``N`` of that GPU's shard of the weight.

    With ``head_dim = n_embd / n_head`` and ``TP = tensor_parallel``:

    ============  ======================  ==============================================
    operator      K                       N
    ============  ======================  ==============================================
    ``qkv``       ``n_embd``              ``(n_head + 2 n_kv_head) head_dim / TP``
    ``attn_out``  ``n_head head_dim / TP``  ``n_embd``
    ``mlp_up``    ``n_embd``              ``n_expanded_embd (2 if gated else 1) / TP``
    ``mlp_down``  ``n_expanded_embd / TP``  ``n_embd``
    ============  ======================  ==============================================

    (Column-parallel QKV and MLP up, row-parallel attention output and MLP down, as Megatron
    and vLLM shard them; ``M = tokens``.)

    Parameters
    ----------
    table : pandas.DataFrame
        Columns ``n_embd``, ``n_head``, ``n_kv_head``, ``n_expanded_embd``, ``use_gated_mlp``,
        ``tensor_parallel``, ``tokens``, ``operator`` (``qkv``, ``attn_out``, ``mlp_up``,
        ``mlp_down``).

    Returns
    -------
    pandas.DataFrame
        Columns ``M``, ``K``, ``N`` (float; elements), one row per row of ``table``, same index.

    Raises
    ------
    ValueError
        A missing column, an unknown operator, a shape column or ``tokens`` or
        ``tensor_parallel`` that is not positive, naming the column and the first bad row.
    """
    ops = _operator_column(table)
    n_embd = _positive_column(table, "n_embd")
    n_head = _positive_column(table, "n_head")
    n_kv_head = _positive_column(table, "n_kv_head")
    n_expanded = _positive_column(table, "n_expanded_embd")
    tp = _positive_column(table, "tensor_parallel")
    tokens = _positive_column(table, "tokens")
    gate = _gated_column(table)
    head_dim = n_embd / n_head
    k = np.select(
        [ops == "qkv", ops == "attn_out", ops == "mlp_up"],
        [n_embd, n_head * head_dim / tp, n_embd],
        n_expanded / tp,
    )
    n = np.select(
        [ops == "qkv", ops == "mlp_up"],
        [(n_head + 2 * n_kv_head) * head_dim / tp, n_expanded * gate / tp],
        n_embd,
    )
    return pd.DataFrame({"M": tokens, "K": k, "N": n}, index=table.index)


# --------------------------------------------------------------------------------------------
# the time model


def _gemm_candidates(m, k, n, peak_flop_s, bytes_s, n_sm, params, weight_bytes, groups):
    """Compute and memory seconds of every (tile, split) candidate: arrays ``(L, tiles, splits)``.

    ``groups`` independent GEMMs of the same shape run in one launch (a grouped GEMM: the
    routed experts of one MoE layer, each over its own ``m`` rows); their tiles share the waves
    and each reads its own weights. ``weight_bytes`` is the bytes per element of the ``K x N``
    weight (2 for bf16, 1 for fp8, 0.5625 for NVFP4); activations and outputs stay 16-bit.
    """
    eff_c, eff_b, _overhead_us, q, tile_us, edge = params
    m, k, n, g, peak, bw, sms, w = (
        _candidate_axis(v) for v in (m, k, n, groups, peak_flop_s, bytes_s, n_sm, weight_bytes)
    )
    tiles = np.asarray(TILE_SHAPES, dtype=float)
    tm = tiles[:, 0][None, :, None]
    tn = tiles[:, 1][None, :, None]
    split = np.asarray(SPLIT_K_FACTORS, dtype=float)[None, None, :]
    n_tiles = g * np.ceil(m / tm) * np.ceil(n / tn) * split
    x = n_tiles / sms
    waves = q * np.ceil(x) + (1.0 - q) * np.maximum(x, 1.0)
    tile_s = (
        2.0 * tm * tn * (k / split) / (eff_c * peak / sms) * (1.0 + edge / tm + edge / tn)
        + tile_us * 1e-6
    )
    compute_s = waves * tile_s
    moved = g * (w * k * n + _BYTES_PER_ELEMENT * (m * k + m * n)) + (split > 1) * (
        2.0 * _PARTIAL_BYTES * m * n * split * g
    )
    memory_s = moved / (eff_b * bw)
    return compute_s, memory_s


def _candidate_axis(v):
    """An array of one value per GEMM as a column against the (tile, split) candidates; a
    scalar as is."""
    a = np.asarray(v, dtype=float)
    return a[:, None, None] if a.ndim else a


def _smooth_max(compute_s, memory_s):
    p = _SMOOTH_MAX_POWER
    return (compute_s**p + memory_s**p) ** (1.0 / p)


def _gemm_seconds(
    m, k, n, peak_flop_s, bytes_s, n_sm, params, weight_bytes=_BYTES_PER_ELEMENT, groups=1.0
) -> np.ndarray:
    """Vectorised core: arrays of equal length; ``params`` as ``_FIELDS``."""
    compute_s, memory_s = _gemm_candidates(
        m, k, n, peak_flop_s, bytes_s, n_sm, params, weight_bytes, groups
    )
    both = _smooth_max(compute_s, memory_s)
    return both.reshape(len(both), -1).min(axis=1) + params[2] * 1e-6


def _gemm_parts(
    m, k, n, peak_flop_s, bytes_s, n_sm, params, weight_bytes=_BYTES_PER_ELEMENT, groups=1.0
):
    """Seconds of the best kernel, with its compute and memory seconds (launch overhead in the
    total only): three arrays of length ``L``. The serving model's linear-layer term."""
    compute_s, memory_s = _gemm_candidates(
        m, k, n, peak_flop_s, bytes_s, n_sm, params, weight_bytes, groups
    )
    compute_s, memory_s = np.broadcast_arrays(compute_s, memory_s)
    flat = len(compute_s)
    c, mm = compute_s.reshape(flat, -1), memory_s.reshape(flat, -1)
    both = _smooth_max(c, mm)
    best = both.argmin(axis=1)
    rows = np.arange(flat)
    return both[rows, best] + params[2] * 1e-6, c[rows, best], mm[rows, best]


def gemm_time_ms(
    m,
    k,
    n,
    peak_tflops,
    hbm_tb_s,
    n_sm,
    efficiency: OperatorEfficiency,
):
    """Predicted time of one bf16 GEMM ``(m x k) @ (k x n)`` on a GPU, in ms.

    The tile-and-wave model of :mod:`inferecon.operator_times` (module docstring).

    Parameters
    ----------
    m, k, n : float or array-like
        Rows (tokens), inner size and output columns of the GEMM (elements, > 0); broadcast.
    peak_tflops : float or array-like
        Dense bf16 peak of the GPU, TFLOP/s (> 0).
    hbm_tb_s : float or array-like
        Memory bandwidth of the GPU, TB/s (> 0).
    n_sm : float or array-like
        Streaming multiprocessors (compute units) of the GPU (> 0).
    efficiency : OperatorEfficiency
        The constants (e.g. ``OPERATOR_CALIBRATIONS["H100-SXM"]``).

    Returns
    -------
    float or numpy.ndarray
        Milliseconds; a float for scalar inputs.

    Raises
    ------
    ValueError
        A size, peak, bandwidth or SM count that is not finite and positive.
    """
    from ._validate import require_positive, scalar_or_array

    arrays = [
        np.asarray(require_positive(name, v), dtype=float)
        for name, v in (
            ("m", m),
            ("k", k),
            ("n", n),
            ("peak_tflops", peak_tflops),
            ("hbm_tb_s", hbm_tb_s),
            ("n_sm", n_sm),
        )
    ]
    b = np.broadcast_arrays(*arrays)
    shape = b[0].shape
    flat = [v.ravel() for v in b]
    s = _gemm_seconds(
        flat[0], flat[1], flat[2], flat[3] * 1e12, flat[4] * 1e12, flat[5], efficiency._vector()
    )
    return scalar_or_array((s * 1e3).reshape(shape))


def _gpu_physics(names: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Canonical name, peak FLOP/s, bandwidth bytes/s and SM count of each row's GPU."""
    from .specs import match_gpu

    cache: dict = {}
    canon = np.empty(len(names), dtype=object)
    phys = np.empty((len(names), 3))
    for i, name in enumerate(names):
        if name not in cache:
            try:
                spec = match_gpu(str(name))
            except ValueError as exc:
                raise ValueError(f"column 'gpu': row {i} names no known GPU: {exc}") from exc
            if not spec.n_sm:
                raise ValueError(
                    f"column 'gpu': row {i} ({name!r}) has no SM count in data/gpus.csv (n_sm)"
                )
            cache[name] = (
                spec.name,
                spec.bf16_dense_tflops * 1e12,
                spec.hbm_tb_s * 1e12,
                spec.n_sm,
            )
        c = cache[name]
        canon[i] = c[0]
        phys[i] = c[1:]
    return canon, phys[:, 0], phys[:, 1], phys[:, 2]


def predict_operator_times(
    table: pd.DataFrame, efficiency: OperatorEfficiency | None = None
) -> np.ndarray:
    """Predicted time of each row's linear operator, in ms.

    Parameters
    ----------
    table : pandas.DataFrame
        Columns ``gpu`` (any name :func:`inferecon.match_gpu` recognises), ``n_embd``,
        ``n_head``, ``n_kv_head``, ``n_expanded_embd``, ``use_gated_mlp``,
        ``tensor_parallel``, ``tokens``, ``operator`` (``qkv``, ``attn_out``, ``mlp_up``,
        ``mlp_down``), as in ``ie.load_operator_timings()``.
    efficiency : OperatorEfficiency, optional
        Constants used for every row. When omitted, each row uses the stored calibration of its
        GPU (:data:`OPERATOR_CALIBRATIONS`).

    Returns
    -------
    numpy.ndarray
        Milliseconds, one per row.

    Raises
    ------
    ValueError
        A missing column, an unknown operator or GPU, non-positive ``tokens`` or
        ``tensor_parallel``, or (with ``efficiency=None``) a GPU without a stored calibration:
        the message names the calibrated GPUs and :func:`transferred_operator_efficiency`.

    Examples
    --------
    >>> import pandas as pd, inferecon as ie
    >>> row = dict(gpu="H100-SXM", n_embd=4096, n_head=32, n_kv_head=32,
    ...            n_expanded_embd=11008, use_gated_mlp=True, tensor_parallel=1,
    ...            tokens=1, operator="mlp_up")
    >>> float(ie.predict_operator_times(pd.DataFrame([row]))[0]) > 0
    True
    """
    if not isinstance(table, pd.DataFrame):
        raise ValueError(f"table must be a pandas DataFrame; got {type(table).__name__}")
    shapes = operator_shapes(table)
    canon, peak, bw, sms = _gpu_physics(_column(table, "gpu"))
    if efficiency is not None:
        if not isinstance(efficiency, OperatorEfficiency):
            raise ValueError(
                f"efficiency must be an OperatorEfficiency or None; got {type(efficiency).__name__}"
            )
        out = _gemm_seconds(shapes.M, shapes.K, shapes.N, peak, bw, sms, efficiency._vector())
        return out * 1e3
    out = np.empty(len(table))
    for gpu in dict.fromkeys(canon):
        if gpu not in OPERATOR_CALIBRATIONS:
            i = int(np.flatnonzero(canon == gpu)[0])
            raise ValueError(
                f"column 'gpu': row {i} ({gpu!r}) has no stored operator calibration; "
                f"calibrated: {', '.join(OPERATOR_CALIBRATIONS)}. Pass "
                f"efficiency=transferred_operator_efficiency({gpu!r}) to borrow the constants "
                "of the nearest calibrated architecture"
            )
        sel = canon == gpu
        params = OPERATOR_CALIBRATIONS[gpu]._vector()
        out[sel] = _gemm_seconds(
            shapes.M[sel], shapes.K[sel], shapes.N[sel], peak[sel], bw[sel], sms[sel], params
        )
    return out * 1e3


# --------------------------------------------------------------------------------------------
# calibration


def _linear_rows(timings: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(timings, pd.DataFrame):
        raise ValueError(f"timings must be a pandas DataFrame; got {type(timings).__name__}")
    if "median_ms" not in timings.columns:
        raise ValueError("timings has no column 'median_ms' (measured time of each row, ms)")
    ops = timings["operator"].astype(str).str.lower() if "operator" in timings else None
    if ops is None:
        raise ValueError(f"timings has no column 'operator'; needs {', '.join(_TABLE_COLUMNS)}")
    return timings[ops.isin(_OPERATORS).to_numpy()].reset_index(drop=True)


def _fit(rows: pd.DataFrame, start: np.ndarray | None = None) -> np.ndarray:
    from scipy.optimize import least_squares

    shapes = operator_shapes(rows)
    _, peak, bw, sms = _gpu_physics(rows["gpu"].to_numpy())
    measured = rows["median_ms"].to_numpy(float)
    if not np.all(np.isfinite(measured) & (measured > 0)):
        raise ValueError("column 'median_ms' must be finite and > 0 in every row fitted")
    y = np.log(measured * 1e-3)
    m, k, n = shapes.M.to_numpy(), shapes.K.to_numpy(), shapes.N.to_numpy()

    def residual(p):
        return np.log(_gemm_seconds(m, k, n, peak, bw, sms, p)) - y

    x0 = _START if start is None else np.clip(start, _LOWER, _UPPER)
    fit = least_squares(
        residual,
        x0,
        bounds=(_LOWER, _UPPER),
        loss="soft_l1",
        f_scale=_ROBUST_SCALE,
        x_scale="jac",
    )
    return fit.x


def _ape_pct(predicted_ms, measured_ms) -> np.ndarray:
    return np.abs(np.asarray(predicted_ms) / np.asarray(measured_ms, dtype=float) - 1.0) * 100.0


def calibrate_operator_model(
    timings: pd.DataFrame, gpu: str | None = None, source: str = ""
) -> OperatorEfficiency:
    """Fit the constants of the GEMM time model to measured operator timings.

    The fit minimises a robust (soft-L1, scale 5%) loss of the log ratio of predicted to
    measured time, so it weighs relative errors and is not dragged by the rows where the
    library's kernel heuristic picked a slower kernel than the best one.

    Parameters
    ----------
    timings : pandas.DataFrame
        Rows as from :func:`inferecon.load_operator_timings` (the columns of
        :func:`predict_operator_times` plus ``median_ms``); rows of element-wise operators are
        ignored.
    gpu : str, optional
        Fit only the rows of this GPU (any name :func:`inferecon.match_gpu` recognises). When
        omitted, one set of constants is fitted to all rows together, each GPU's physics
        coming from its datasheet (peak, bandwidth, SMs): the shared fit used for transfer.
    source : str, optional
        Provenance stored in the result (file, commit, date).

    Returns
    -------
    OperatorEfficiency
        The constants, with the rows, models and in-sample median / p90 absolute percentage
        error of the fit.

    Raises
    ------
    ValueError
        No linear-operator rows (of ``gpu``), or a column problem as in
        :func:`predict_operator_times`.
    """
    rows = _linear_rows(timings)
    if gpu is not None:
        from .specs import match_gpu

        name = match_gpu(gpu).name
        canon, *_ = _gpu_physics(rows["gpu"].to_numpy()) if len(rows) else (np.array([]),)
        rows = rows[canon == name].reset_index(drop=True)
        if rows.empty:
            raise ValueError(f"gpu={gpu!r}: timings have no linear-operator rows of {name}")
    if rows.empty:
        raise ValueError("timings have no linear-operator rows (qkv, attn_out, mlp_up, mlp_down)")
    params = _fit(rows)
    canon, *_ = _gpu_physics(rows["gpu"].to_numpy())
    eff = OperatorEfficiency("+".join(dict.fromkeys(canon)), *(float(v) for v in params))
    ape = _ape_pct(predict_operator_times(rows, eff), rows["median_ms"])
    models = tuple(dict.fromkeys(rows["model"])) if "model" in rows else ()
    return dataclasses.replace(
        eff,
        source=source,
        n_rows=len(rows),
        models=models,
        median_ape_pct=float(np.median(ape)),
        p90_ape_pct=float(np.quantile(ape, 0.9)),
    )


def operator_leave_one_out(timings: pd.DataFrame, by: str = "model") -> pd.DataFrame:
    """Held-out error of the GEMM time model: fit without one group of rows, predict it.

    Parameters
    ----------
    timings : pandas.DataFrame
        Rows as for :func:`calibrate_operator_model` (with a ``model`` column for
        ``by="model"``).
    by : {"model", "gpu"}
        ``"model"``: for each GPU and each model, fit that GPU's constants on its other models
        and predict the held-out model's rows (GPUs with one model are skipped).
        ``"gpu"``: for each GPU, fit one shared set of constants on the other GPUs' rows and
        predict the held-out GPU through its datasheet peak, bandwidth and SM count
        (transfer to a GPU without timings).

    Returns
    -------
    pandas.DataFrame
        One row per held-out group: ``gpu``, ``held_out``, ``n_train``, ``n_test``,
        ``median_ape_pct``, ``p90_ape_pct`` (absolute percentage error of the held-out rows).
        ``result.attrs["rows"]`` holds the held-out rows with ``predicted_ms`` and
        ``error_pct`` (signed, predicted over measured minus 1).

    Raises
    ------
    ValueError
        ``by`` not ``"model"`` or ``"gpu"``, a missing ``model`` column, or fewer than two
        groups to hold out.
    """
    if by not in ("model", "gpu"):
        raise ValueError(f"by must be 'model' or 'gpu'; got {by!r}")
    rows = _linear_rows(timings)
    canon, *_ = _gpu_physics(rows["gpu"].to_numpy())
    rows = rows.assign(gpu=canon)
    if by == "model" and "model" not in rows:
        raise ValueError("by='model' needs a 'model' column in timings")
    out, held = [], []

    def run(train, test, gpu, label):
        eff = OperatorEfficiency("+".join(dict.fromkeys(train.gpu)), *_fit(train))
        pred = predict_operator_times(test, eff)
        ape = _ape_pct(pred, test["median_ms"])
        out.append(
            dict(
                gpu=gpu,
                held_out=label,
                n_train=len(train),
                n_test=len(test),
                median_ape_pct=float(np.median(ape)),
                p90_ape_pct=float(np.quantile(ape, 0.9)),
            )
        )
        held.append(
            test.assign(
                held_out=label,
                predicted_ms=pred,
                error_pct=(pred / test["median_ms"].to_numpy(float) - 1) * 100,
            )
        )

    if by == "gpu":
        gpus = list(dict.fromkeys(rows.gpu))
        if len(gpus) < 2:
            raise ValueError(f"by='gpu' needs rows of at least two GPUs; got {gpus}")
        for g in gpus:
            run(rows[rows.gpu != g], rows[rows.gpu == g], g, g)
    else:
        for g in dict.fromkeys(rows.gpu):
            sub = rows[rows.gpu == g]
            models = list(dict.fromkeys(sub.model))
            if len(models) < 2:
                continue
            for mdl in models:
                run(sub[sub.model != mdl], sub[sub.model == mdl], g, mdl)
        if not out:
            raise ValueError("by='model' needs a GPU with rows of at least two models")
    result = pd.DataFrame(out)
    result.attrs["rows"] = pd.concat(held, ignore_index=True)
    return result


# --------------------------------------------------------------------------------------------
# stored calibrations and the transfer rule


def transferred_operator_efficiency(gpu: str) -> OperatorEfficiency:
    """Constants for a GPU: its stored calibration, or by the transfer rule those of the nearest
    calibrated architecture (:data:`OPERATOR_TRANSFER`), used with the GPU's own datasheet peak,
    bandwidth and SM count.

    The H200 is the exception: it borrows H100-SXM's constants with the compute efficiency
    adjusted to its own measured large GEMM (:data:`OPERATOR_CEILING_ADJUSTED`).

    The rule: Hopper (H100 PCIe, H200) and Blackwell (B200, GB200) borrow H100-SXM (Hopper's
    persistent kernels are the nearest to Blackwell's of the three calibrated); GDDR6 PCIe
    cards (L40S, L4; Ada, like the A40's GA102 a graphics die) borrow A40; MI300X borrows
    H100-SXM (no AMD timings: the least certain). The stated error of a borrowed calibration
    is the held-out error of predicting one calibrated GPU with another's constants (the
    median and p90 of :data:`OPERATOR_TRANSFER`, in percent); for Blackwell and MI300X, whose
    kernels none of the three calibrated GPUs runs, it is a floor, not a measurement.

    Parameters
    ----------
    gpu : str
        Any name :func:`inferecon.match_gpu` recognises.

    Returns
    -------
    OperatorEfficiency
        The stored calibration (for A100-80GB-SXM, H100-SXM, A40) or the borrowed one, with
        ``gpu`` set to the GPU asked for and ``source`` saying where the constants come from.

    Raises
    ------
    ValueError
        An unknown GPU, or one without a transfer rule.
    """
    from .specs import match_gpu

    name = match_gpu(gpu).name
    if name in OPERATOR_CALIBRATIONS:
        return OPERATOR_CALIBRATIONS[name]
    if name in OPERATOR_CEILING_ADJUSTED:
        return OPERATOR_CEILING_ADJUSTED[name]
    if name not in OPERATOR_TRANSFER:
        raise ValueError(
            f"gpu={gpu!r} ({name}) has no operator calibration and no transfer rule; "
            f"calibrated: {', '.join(OPERATOR_CALIBRATIONS)}; "
            f"with a rule: {', '.join(OPERATOR_TRANSFER)}"
        )
    donor, median_pct, p90_pct = OPERATOR_TRANSFER[name]
    base = OPERATOR_CALIBRATIONS[donor]
    return dataclasses.replace(
        base,
        gpu=name,
        source=(
            f"transferred from {donor} (stated error: median {median_pct:g}%, "
            f"p90 {p90_pct:g}%); {base.source}"
        ),
    )


# --------------------------------------------------------------------------------------------
# the linear layers of a whole step (the serving model's linear-layer term)


def step_gemm_shapes(model, tensor_parallel: int = 1):
    """The GEMMs of one step's linear layers on one GPU of a tensor-parallel group.

    Megatron/vLLM sharding: column-parallel up projections (``N`` split), row-parallel output
    and down projections (``K`` split). Every projection of a layer is one GEMM (QKV fused;
    gate and up fused); MLA's down projections of the query and the latent (``q_a``,
    ``kv_a``) are one fused GEMM, split like the others so that the weights read match
    :attr:`inferecon.ModelSpec.params_always_read` divided by the GPU count.

    Parameters
    ----------
    model : str or ModelSpec
        The model.
    tensor_parallel : int
        GPUs sharing each weight matrix (>= 1).

    Returns
    -------
    tuple of numpy.ndarray
        ``(K, N, count)`` of the always-read GEMMs (``count`` = how many run per step, e.g. the
        layer count; the LM head once) and ``(K, N)`` of one routed expert's two GEMMs (gate+up,
        down; empty for a dense model), in elements.
    """
    from .specs import get_model

    m = get_model(model)
    tp = float(tensor_parallel)
    if not (np.isfinite(tp) and tp >= 1):
        raise ValueError(f"tensor_parallel must be >= 1; got {plain(tensor_parallel)!r}")
    h, nh, L = m.hidden_size, m.n_heads, m.n_layers
    shapes = []  # (K, N, count)
    if m.attention == "gqa":
        shapes += [(h, (nh + 2 * m.n_kv_heads) * m.head_dim / tp, L),
                   (nh * m.head_dim / tp, h, L)]  # fmt: skip
    else:
        qk = m.qk_nope_head_dim + m.qk_rope_head_dim
        down = m.kv_lora_rank + m.qk_rope_head_dim + (m.q_lora_rank or 0)
        shapes.append((h, down / tp, L))
        if m.q_lora_rank:
            shapes.append((m.q_lora_rank, nh * qk / tp, L))
        else:
            shapes.append((h, nh * qk / tp, L))
        shapes += [(m.kv_lora_rank, nh * (m.qk_nope_head_dim + m.v_head_dim) / tp, L),
                   (nh * m.v_head_dim / tp, h, L)]  # fmt: skip
    if m.n_dense_layers:
        i = m.intermediate_size
        shapes += [(h, 2 * i / tp, m.n_dense_layers), (i / tp, h, m.n_dense_layers)]
    if m.n_experts:
        moe = m.n_moe_layers
        if m.n_shared_experts:
            i = m.moe_intermediate_size * m.n_shared_experts
            shapes += [(h, 2 * i / tp, moe), (i / tp, h, moe)]
        shapes.append((h, m.n_experts / tp, moe))  # the router
    shapes.append((h, m.vocab_size / tp, 1))  # the LM head
    dense = np.array(shapes, dtype=float)
    if m.n_experts:
        i = m.moe_intermediate_size
        experts = np.array([(h, 2 * i / tp), (i / tp, h)], dtype=float)
    else:
        experts = np.zeros((0, 2))
    return dense[:, 0], dense[:, 1], dense[:, 2], experts


MOE_ROUTING_KERNELS = 3
"""Kernels a MoE layer launches besides its GEMMs and the activation a dense MLP also runs: the
top-k selection of the router's scores (``topk_softmax``), sorting the (token, expert) pairs into
padded per-expert blocks (``moe_align_block_size``) and summing each token's ``k`` weighted expert
outputs (``moe_sum``): vLLM's fused MoE path (vllm-project/vllm,
``vllm/model_executor/layers/fused_moe/fused_moe.py``, ``fused_topk`` and ``fused_experts_impl``;
the router itself is a GEMM of :func:`step_gemm_shapes`, and the gather/scatter of rows is done
inside the grouped GEMM through the sorted token ids). Each costs one operator launch of the GPU
(``OperatorEfficiency.overhead_us``, fitted to Vidur's kernel timings) plus the bytes it moves."""

MOE_QUANTIZE_KERNELS = 2
"""Extra kernels of a MoE layer with fp8 or fp4 weights: the activations are quantised before
each of the two grouped GEMMs (``moe_kernel_quantize_input`` in the same vLLM file)."""


class _LinearTable:
    """Seconds of one step's linear layers by tokens in the step, for one (model, GPU, weight
    precision, tensor-parallel size, constants), tabulated lazily: a token count is computed
    once (integers in blocks of :attr:`BLOCK`, vectorised), then looked up.

    Each entry holds ``(dense_s, dense_compute_s, dense_memory_s, dense_compute_bound_s,
    expert_s, expert_compute_s, expert_memory_s, expert_compute_bound_s)``: the summed GEMM
    times of the always-read weights and of the routed experts (with their routing kernels),
    the compute and memory seconds of the kernels chosen, and the time of the GEMMs whose
    compute exceeds their memory time (for the ``bound`` column).
    """

    BLOCK = 256
    _MAX_ENTRIES = 65_536
    _DENSE_LIMIT = 1 << 15  # 2 MB per table at most: longer prompts are computed on call

    def __init__(self, m, g, precision: str, tensor_parallel: int, eff, weight_bytes: float):
        self.k, self.n, self.count, experts = step_gemm_shapes(m, tensor_parallel)
        self.ek, self.en = experts[:, 0], experts[:, 1]
        self.moe = (m.n_moe_layers, m.n_experts, m.n_experts_active) if m.n_experts else None
        self.hidden = m.hidden_size
        kernels = MOE_ROUTING_KERNELS + (MOE_QUANTIZE_KERNELS if weight_bytes < 2 else 0)
        self.routing_launch_s = kernels * eff.overhead_us * 1e-6
        self.routing_byte_s = 1.0 / (eff.bandwidth_efficiency * g.hbm_tb_s * 1e12)
        self.peak = g.peak_tflops(precision) * 1e12
        self.bw = g.hbm_tb_s * 1e12
        self.sms = float(g.n_sm)
        self.params = eff._vector()
        self.w = float(weight_bytes)
        self.dense = np.full((1, 8), np.nan)
        self.ops_cache: dict[float, list] = {}
        self.totals: dict[float, float] = {}

    def _gemm_rows(self, tokens: np.ndarray):
        """``(M, K, N, groups, weight)`` of every GEMM of every token count (the always-read
        GEMMs of each count, then the routed experts'), ``weight`` = how many run per step."""
        from .specs import distinct_experts

        t = np.asarray(tokens, dtype=float)
        u, s = len(t), len(self.k)
        m = [np.repeat(t, s)]
        k, n = [np.tile(self.k, u)], [np.tile(self.n, u)]
        groups, weight = [np.ones(u * s)], [np.tile(self.count, u)]
        if self.moe is not None:
            layers, n_exp, active = self.moe
            touched = np.asarray(distinct_experts(n_exp, active, t), dtype=float)
            e = len(self.ek)
            m.append(np.repeat(t * active / touched, e))
            k.append(np.tile(self.ek, u))
            n.append(np.tile(self.en, u))
            groups.append(np.repeat(touched, e))
            weight.append(np.full(u * e, float(layers)))
        return tuple(np.concatenate(v) for v in (m, k, n, groups, weight))

    def _reduce(self, u: int, seconds, compute_s, memory_s, weight) -> np.ndarray:
        """The ``(u, 8)`` entries from the per-GEMM seconds of :meth:`_gemm_rows`' order."""
        out = np.zeros((u, 8))
        s = len(self.k)
        for col, lo, hi, width in ((0, 0, u * s, s), (4, u * s, len(seconds), len(self.ek))):
            if hi <= lo:
                continue
            tt, c, mm = (v[lo:hi].reshape(u, width) * weight[lo:hi].reshape(u, width)
                         for v in (seconds, compute_s, memory_s))  # fmt: skip
            out[:, col], out[:, col + 1], out[:, col + 2] = tt.sum(1), c.sum(1), mm.sum(1)
            out[:, col + 3] = (tt * (c >= mm)).sum(1)
        return out

    def _compute(self, tokens: np.ndarray) -> np.ndarray:
        return _compute_tables([(self, np.asarray(tokens, dtype=float))])[0]

    def _routing(self, tokens: np.ndarray) -> np.ndarray:
        """Entries (added to the experts' columns) of the routing kernels of every MoE layer
        (:data:`MOE_ROUTING_KERNELS`): a launch each, and the memory traffic of summing each
        token's ``k`` expert outputs (``T k`` bf16 rows of ``hidden`` read, ``T`` written)."""
        layers, _, active = self.moe
        memory_s = layers * 2.0 * tokens * (active + 1) * self.hidden * self.routing_byte_s
        out = np.zeros((len(tokens), 8))
        out[:, 4] = layers * self.routing_launch_s + memory_s
        out[:, 6] = memory_s
        return out

    def _store(self, tokens: np.ndarray, values: np.ndarray) -> None:
        """Keep entries for the scalar lookups (:meth:`ops`, :meth:`total_s`)."""
        if len(self.ops_cache) > self._MAX_ENTRIES:
            self.ops_cache.clear()
            self.totals.clear()
        for t, v in zip(tokens.tolist(), values.tolist(), strict=True):
            dense = _op_pair(v[0], v[1], v[2], v[3])
            if self.moe is None:
                self.ops_cache[t] = [dense]
            else:
                self.ops_cache[t] = [dense, _op_pair(v[4], v[5], v[6], v[7])]
            self.totals[t] = v[0] + v[4]

    def _fill(self, token: float) -> None:
        if token == int(token) and token >= 1:
            start = (int(token) - 1) // self.BLOCK * self.BLOCK + 1
            block = np.arange(start, start + self.BLOCK, dtype=float)
        else:
            block = np.array([float(token)])
        self._store(block, self._compute(block))

    def table(self, tokens) -> np.ndarray:
        """Entries of ``tokens`` (an array, > 0): shape ``(len(tokens), 8)``.

        Whole token counts up to :attr:`_DENSE_LIMIT` are kept in one array indexed by the
        count (filled as asked, exactly the missing counts); others are computed on call.
        """
        return _tables_lookup([(self, tokens)])[0]

    def _missing(self, tokens):
        """``(whole counts or None, the counts to compute)`` for :func:`_tables_lookup`."""
        t = np.asarray(tokens, dtype=float).ravel()
        whole = t.astype(np.int64)
        if not (len(t) and (whole == t).all() and whole.max() < self._DENSE_LIMIT):
            return None, t
        top = int(whole.max())
        if top >= len(self.dense):
            grown = np.full((max(top + 1, 2 * len(self.dense)), 8), np.nan)
            grown[: len(self.dense)] = self.dense
            self.dense = grown
        missing = np.isnan(self.dense[whole, 0])
        return whole, (np.unique(whole[missing]).astype(float) if missing.any() else None)

    def ops(self, tokens: float) -> list:
        """``[(compute s, memory s)]`` of the step's linear operations over ``tokens`` rows:
        the always-read GEMMs, and for MoE models the routed experts; ``max`` of each pair is
        its time."""
        out = self.ops_cache.get(tokens)
        if out is None:
            self._fill(tokens)
            out = self.ops_cache[tokens]
        return out

    def total_s(self, tokens: float) -> float:
        """Seconds of all the step's linear layers over ``tokens`` rows."""
        out = self.totals.get(tokens)
        if out is None:
            self._fill(tokens)
            out = self.totals[tokens]
        return out


def _tables_lookup(requests) -> list:
    """Entries of ``(table, tokens)`` requests, computing every table's missing counts in one
    vectorised call (:func:`_compute_tables`)."""
    plans = [tab._missing(tokens) for tab, tokens in requests]
    todo = [(requests[i][0], need) for i, (_, need) in enumerate(plans) if need is not None]
    where = [i for i, (_, need) in enumerate(plans) if need is not None]
    computed = dict(zip(where, _compute_tables(todo), strict=True)) if todo else {}
    out = []
    for i, (whole, need) in enumerate(plans):
        tab = requests[i][0]
        if whole is None:
            out.append(computed[i])
            continue
        if need is not None:
            tab.dense[need.astype(np.int64)] = computed[i]
        out.append(tab.dense[whole])
    return out


def _compute_tables(requests) -> list:
    """Entries of several tables at once (one vectorised call of the GEMM model per GPU and
    precision): ``requests`` is a list of ``(table, tokens)``; returns one ``(len(tokens), 8)``
    array per request."""
    out: list = [None] * len(requests)
    by_physics: dict = {}
    for i, (tab, _) in enumerate(requests):
        key = (tab.peak, tab.bw, tab.sms, tab.w, tuple(tab.params))
        by_physics.setdefault(key, []).append(i)
    for idx in by_physics.values():
        rows = [requests[i][0]._gemm_rows(requests[i][1]) for i in idx]
        m, k, n, groups, weight = (np.concatenate(v) for v in zip(*rows, strict=True))
        tab0 = requests[idx[0]][0]
        seconds, compute_s, memory_s = _gemm_parts(
            m, k, n, tab0.peak, tab0.bw, tab0.sms, tab0.params, tab0.w, groups
        )
        start = 0
        for i, r in zip(idx, rows, strict=True):
            stop = start + len(r[0])
            tab, tokens = requests[i]
            out[i] = tab._reduce(len(tokens), seconds[start:stop], compute_s[start:stop],
                                 memory_s[start:stop], weight[start:stop])  # fmt: skip
            if tab.moe is not None:
                out[i] += tab._routing(np.asarray(tokens, dtype=float))
            start = stop
    return out


def _op_pair(total_s, compute_s, memory_s, compute_bound_s):
    """One ``(compute s, memory s)`` pair whose larger element is ``total_s`` (the GEMMs' time)
    and whose larger side says which bound most of that time is."""
    if compute_bound_s >= total_s - compute_bound_s:
        return (float(total_s), float(min(memory_s, total_s)))
    return (float(min(compute_s, total_s)), float(total_s))
