"""The calibration's error carried into every number built on it: throughput, cost per token
and goodput, each with a band.

Each GPU's serving-model prediction rests on a calibration (:func:`calibration_band`):

* **calibrated on measurements**: A100-80GB-SXM, H100-SXM and A40 on measured kernel timings
  (Microsoft's Vidur profiles, :data:`inferecon.OPERATOR_CALIBRATIONS`), H200-SXM on the
  project's step-time measurements (``data/h200_decode.csv``, :data:`inferecon.DEFAULT_EFFICIENCY`);
* **extrapolated** by the transfer rule (:data:`inferecon.OPERATOR_TRANSFER`): the GPU borrows a
  calibrated architecture's constants, with a stated error; where measured serving engines on
  that GPU show the model off by more (:data:`ENGINE_STEP_ERRORS`, InferenceX's sweeps in
  ``data/moe_serving_sweeps.csv``), the band uses that larger error.

The band uses the 90th percentile of the absolute percentage error (p90 APE) of that
calibration: for 90% of the rows it was checked on, ``|predicted / measured - 1| <= e``, so
the band covers about 90% of such rows (two-sided: it says nothing about which side a miss
falls on). It is the statistic every stored calibration reports; a median would cover half.

From a step-time error to a band
--------------------------------
Every stored error is relative to the *measured* time: ``error = predicted / measured - 1``.
``|error| <= e`` means ``measured`` lies in ``[predicted / (1 + e), predicted / (1 - e)]``.
Throughput, speed per user and goodput's rates go as ``1 / step time``, so the measured ones
lie in ``[(1 - e), (1 + e)] x predicted`` (symmetric); a cost paid per GPU-hour goes as
``step time``, so it lies in ``[1 / (1 + e), 1 / (1 - e)] x predicted`` (wider above). With
``e = 10%``: throughput ``[0.9, 1.1] x``, GPU-time cost ``[0.909, 1.111] x``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._validate import require_in_range, require_positive

__all__ = [
    "CalibrationBand",
    "ENGINE_CHECK_SHAPE",
    "ENGINE_STEP_ERRORS",
    "STEP_HELD_OUT_ERRORS",
    "ScaledStepTime",
    "band_limits",
    "calibration_band",
    "calibration_bands",
    "cost_band",
    "engine_step_error",
    "frontier_band_polygon",
    "goodput_band",
    "held_out_step_error",
    "scaled_grid_goodput_rps_per_gpu",
    "throughput_band",
]

_KERNEL_P90 = "p90_ape_pct"
_KERNEL_MEDIAN = "median_ape_pct"
"""Attributes of :class:`inferecon.OperatorEfficiency` the band reads (in-sample errors of the
per-GPU fit: the stored objects hold no held-out error yet; the leave-one-model-out p90 of the
same fits, :func:`inferecon.operator_leave_one_out`, is within about a point of it)."""

STEP_HELD_OUT_ERRORS: dict[str, tuple[float, float, int]] = {
    "H200-SXM": (11.29, 28.52, 21),
}
"""Held-out error of the step-time calibration of each GPU measured at step level:
GPU name -> (median, p90 absolute percentage error of step time, rows predicted).

H200-SXM: :func:`held_out_step_error` on all 21 rows of ``data/h200_decode.csv`` (one model,
bf16): each group (decode at context 512, decode at context 4,096, prefill) predicted by a
calibration fitted on the other two (large-GEMM share held at the measured one), the held-out
rows pooled; computed 2026-12-06 on the serving model with the GEMM time model (the recalibrated
:data:`inferecon.DEFAULT_EFFICIENCY`), 4 significant digits. ``tests/unit/test_uncertainty.py``
recomputes it, so a re-fit of the step model that changes it fails there until it is stored."""


ENGINE_CHECK_SHAPE = (1024, 8192)
"""Prompt and output tokens of the measured sweeps :func:`engine_step_error` compares: the
InferenceX shape whose closed-loop TPOT is closest to a decode step (other requests' prefills
interrupt the decode a eighth as often as at 1,024 in and 1,024 out)."""

ENGINE_STEP_ERRORS: dict[str, tuple[float, float, int]] = {
    "B200-HGX": (16.4, 36.4, 68),
    "H200-SXM": (2.25, 27.4, 15),
    "MI300X": (43.9, 47.4, 5),
}
"""The serving model's step time against measured engines, per GPU: GPU name -> (median, p90
absolute percentage error of the decode step, rows compared), from :func:`engine_step_error` on
the bundled ``data/moe_serving_sweeps.csv`` (SemiAnalysis InferenceX, DeepSeek-R1 on 8-GPU
nodes, SGLang and TensorRT-LLM, fp8 and fp4, no speculative decoding) at
:data:`ENGINE_CHECK_SHAPE`: each measured load level beside the model at batch = concurrency
and the same tensor-parallel size (:func:`inferecon.check_matched_concurrency`), the measured
TPOT taken as the step. None of these rows was used to fit anything, so for every GPU the error
is held out. The model's step is too short on MI300X at every level (by 40-49%: ROCm's MoE and
MLA kernels, which no calibrated GPU runs); on B200 and H200 it is off both ways. Computed
2026-12-06 to 3 significant digits; ``tests/unit/test_uncertainty.py`` recomputes it.
:func:`calibration_band` uses it for an extrapolated GPU where it exceeds the transfer rule's
stated error; a GPU calibrated on its own measurements keeps its calibration's error (H200's
held-out 28.5% p90 and this 27.4% agree)."""


def engine_step_error(sweeps: pd.DataFrame | None = None, shape=ENGINE_CHECK_SHAPE) -> pd.DataFrame:
    """The serving model's decode step against measured engines, per GPU (the call behind
    :data:`ENGINE_STEP_ERRORS`).

    Parameters
    ----------
    sweeps : pandas.DataFrame, optional
        Measured sweeps in the schema of :data:`inferecon.MOE_SERVING_SWEEPS_SCHEMA` (the
        bundled ``data/moe_serving_sweeps.csv`` when omitted); speculative rows are left out.
    shape : tuple of int
        (prompt tokens, output tokens) of the rows compared.

    Returns
    -------
    pandas.DataFrame
        One row per GPU: ``gpu``, ``n_rows``, ``median_ape_pct`` and ``p90_ape_pct`` (absolute
        percentage error of the model's step time against the measured TPOT at batch =
        concurrency), ``median_signed_pct`` (below 0: the model's step is too short).

    Raises
    ------
    ValueError
        When no row has that shape.
    """
    from .datasets import load_moe_serving_sweeps
    from .frontier_check import _rows_of_shape, check_matched_concurrency

    rows = load_moe_serving_sweeps() if sweeps is None else sweeps
    mc = check_matched_concurrency(_rows_of_shape(rows, shape))
    signed = (mc["model_tpot_ms"] / mc["measured_tpot_ms"] - 1.0) * 100.0
    out = []
    for gpu, e in signed.groupby(mc["gpu"], sort=True):
        a = e.abs().to_numpy(float)
        out.append({"gpu": gpu, "n_rows": len(a), "median_ape_pct": float(np.median(a)),
                    "p90_ape_pct": float(np.quantile(a, 0.9)),
                    "median_signed_pct": float(np.median(e))})  # fmt: skip
    return pd.DataFrame(out)


@dataclass(frozen=True)
class CalibrationBand:
    """The error band of one GPU's serving-model calibration.

    Attributes
    ----------
    gpu : str
        GPU name (``data/gpus.csv``).
    calibrated : bool
        True when the GPU is calibrated on its own measurements; False when its constants are
        borrowed by the transfer rule (extrapolated).
    rel_error : float
        Relative error ``e`` of step time the band uses (p90 absolute percentage error / 100),
        in [0, 1).
    median_rel_error : float
        The median absolute relative error of the same calibration (for the text).
    statistic : str
        Which error ``rel_error`` is (held-out or in-sample, over what).
    basis : str
        What the calibration rests on (data, or the donor GPU of the transfer rule).
    """

    gpu: str
    calibrated: bool
    rel_error: float
    median_rel_error: float
    statistic: str
    basis: str

    @property
    def throughput_factors(self) -> tuple[float, float]:
        """(low, high) multipliers of a predicted throughput: ``(1 - e, 1 + e)``."""
        return 1.0 - self.rel_error, 1.0 + self.rel_error

    @property
    def step_time_factors(self) -> tuple[float, float]:
        """(low, high) multipliers of a predicted step time (and of a cost per GPU-hour per
        token): ``(1 / (1 + e), 1 / (1 - e))``."""
        return 1.0 / (1.0 + self.rel_error), 1.0 / (1.0 - self.rel_error)


def held_out_step_error(measurements: pd.DataFrame | None = None) -> dict:
    """Held-out error of the step-time calibration: fit on all groups of rows but one, predict
    the one left out (:func:`inferecon.leave_one_out`), pooled over every held-out row.

    The groups are prefill rows and decode rows by context, the splits the bundled
    measurements allow (one model on one GPU); this is the explicit call behind
    :data:`STEP_HELD_OUT_ERRORS` (it fits, about 0.2 s).

    Parameters
    ----------
    measurements : pandas.DataFrame, optional
        Rows in the schema of ``data/h200_decode.csv`` (the bundled file when omitted).

    Returns
    -------
    dict
        ``median_ape_pct``, ``p90_ape_pct`` (absolute percentage error of step time of the
        held-out rows), ``n_rows`` and ``groups`` (the labels held out).
    """
    from .calibration import leave_one_out, measured_gemm_share
    from .datasets import load_decode_measurements

    rows = load_decode_measurements() if measurements is None else measurements
    kind = rows["kind"].astype(str).to_numpy()
    context = rows["context"].astype(int).astype(str).to_numpy()
    labels = np.where(kind == "prefill", "prefill", np.char.add("context ", context))
    loo = leave_one_out(rows, by=labels, compute_share=measured_gemm_share())
    ape = loo.attrs["rows"]["error_pct"].abs().to_numpy(float)
    return {
        "median_ape_pct": float(np.median(ape)),
        "p90_ape_pct": float(np.quantile(ape, 0.9)),
        "n_rows": int(len(ape)),
        "groups": tuple(loo["held_out"]),
    }


def calibration_band(gpu) -> CalibrationBand:
    """The error band of a GPU's serving-model calibration, read from the stored calibrations.

    * A GPU with a step-level calibration (:data:`STEP_HELD_OUT_ERRORS`: H200-SXM, on
      ``data/h200_decode.csv``): its held-out p90 error of step time.
    * A GPU with measured kernel timings (:data:`inferecon.OPERATOR_CALIBRATIONS`: A100,
      H100, A40): the p90 error of its kernel-time fit.
    * Any other GPU with a transfer rule (:data:`inferecon.OPERATOR_TRANSFER`): the rule's
      stated p90 error (for Blackwell and MI300X a floor: none of the calibrated GPUs runs
      their kernels), or, where larger, the p90 error of the model's step against measured
      engines on that GPU (:data:`ENGINE_STEP_ERRORS`: B200, MI300X).

    The numbers are read from those objects when called, so a re-fit changes the band.

    Parameters
    ----------
    gpu : str or GPUSpec
        Any name :func:`inferecon.match_gpu` recognises.

    Returns
    -------
    CalibrationBand

    Raises
    ------
    ValueError
        An unknown GPU, or one with no calibration and no transfer rule.

    Examples
    --------
    >>> import inferecon as ie
    >>> b = ie.calibration_band("B200-HGX")
    >>> b.calibrated, 0 < b.rel_error < 1
    (False, True)
    """
    from .operator_times import OPERATOR_CALIBRATIONS, OPERATOR_TRANSFER
    from .specs import match_gpu

    name = match_gpu(gpu).name
    if name in STEP_HELD_OUT_ERRORS:
        median, p90, n = STEP_HELD_OUT_ERRORS[name]
        return CalibrationBand(
            name, True, p90 / 100.0, median / 100.0,
            f"held-out p90 absolute error of step time ({n} rows, leave one group out)",
            "step-time measurements (data/h200_decode.csv)",
        )  # fmt: skip
    if name in OPERATOR_CALIBRATIONS:
        cal = OPERATOR_CALIBRATIONS[name]
        return CalibrationBand(
            name, True, getattr(cal, _KERNEL_P90) / 100.0, getattr(cal, _KERNEL_MEDIAN) / 100.0,
            f"p90 absolute error of its kernel-time fit ({cal.n_rows:,} timings)",
            "kernel timings (data/operator_timings.csv, Microsoft Vidur profiles)",
        )  # fmt: skip
    if name in OPERATOR_TRANSFER:
        donor, median, p90 = OPERATOR_TRANSFER[name]
        basis = f"extrapolated: {donor}'s kernel constants with its own datasheet"
        engine = ENGINE_STEP_ERRORS.get(name)
        if engine is not None and engine[1] > p90:
            e_median, e_p90, n = engine
            return CalibrationBand(
                name, False, e_p90 / 100.0, e_median / 100.0,
                f"p90 absolute error of step time against measured engines ({n} InferenceX "
                "load levels, data/moe_serving_sweeps.csv), above the transfer rule's stated "
                f"{p90:g}%",
                basis,
            )  # fmt: skip
        return CalibrationBand(
            name, False, p90 / 100.0, median / 100.0,
            "stated p90 absolute error of the transfer rule (one calibrated GPU predicted "
            "with another's constants)",
            basis,
        )  # fmt: skip
    raise ValueError(
        f"gpu={gpu!r} ({name}) has no calibration and no transfer rule; calibrated: "
        f"{', '.join([*STEP_HELD_OUT_ERRORS, *OPERATOR_CALIBRATIONS])}; with a rule: "
        f"{', '.join(OPERATOR_TRANSFER)}"
    )


def calibration_bands(gpus=None) -> pd.DataFrame:
    """:func:`calibration_band` of several GPUs as one table.

    Parameters
    ----------
    gpus : sequence of str, optional
        GPU names (every GPU of ``data/gpus.csv`` when omitted).

    Returns
    -------
    pandas.DataFrame
        One row per GPU: the :class:`CalibrationBand` fields (``gpu``, ``calibrated``,
        ``rel_error``, ``median_rel_error``, ``statistic``, ``basis``) and the multipliers
        ``throughput_low``, ``throughput_high`` (``1 -/+ e``), ``step_time_low``,
        ``step_time_high`` (``1 / (1 +/- e)``, also those of a cost per GPU-hour).
    """
    if gpus is None:
        from .datasets import load_gpus

        gpus = list(load_gpus()["name"])
    rows = []
    for g in [gpus] if isinstance(gpus, str) else gpus:
        b = calibration_band(g)
        (t_lo, t_hi), (s_lo, s_hi) = b.throughput_factors, b.step_time_factors
        rows.append({**b.__dict__, "throughput_low": t_lo, "throughput_high": t_hi,
                     "step_time_low": s_lo, "step_time_high": s_hi})  # fmt: skip
    return pd.DataFrame(rows)


def band_limits(values, gpu, *, scales_with: str = "throughput", rel_error=None):
    """The band of predicted values of one GPU: ``(low, high)`` arrays.

    Parameters
    ----------
    values : float or array_like
        Predictions of the serving model on ``gpu``.
    gpu : str or GPUSpec
        The GPU (its :func:`calibration_band` unless ``rel_error`` is given).
    scales_with : {"throughput", "step_time"}
        ``"throughput"``: the value goes as ``1 / step time`` (tokens per second, rates),
        band ``[(1 - e), (1 + e)] x``; ``"step_time"``: it goes as the step time (latencies,
        and costs paid per GPU-hour per token), band ``[1 / (1 + e), 1 / (1 - e)] x`` (see
        the module's derivation).
    rel_error : float, optional
        Relative error of step time in [0, 1), instead of the GPU's.

    Returns
    -------
    tuple of (float or numpy.ndarray)
        ``(low, high)``, each shaped like ``values``.

    Examples
    --------
    >>> import inferecon as ie
    >>> ie.band_limits(100.0, "H100-SXM", rel_error=0.25)
    (75.0, 125.0)
    >>> ie.band_limits(1.0, "H100-SXM", scales_with="step_time", rel_error=0.25)
    (0.8, 1.3333333333333333)
    """
    from ._validate import scalar_or_array

    if scales_with not in ("throughput", "step_time"):
        raise ValueError(f"scales_with must be 'throughput' or 'step_time'; got {scales_with!r}")
    if rel_error is None:
        e = calibration_band(gpu).rel_error
    else:
        e = float(require_in_range("rel_error", rel_error, 0.0, 1.0, high_open=True))
    v = np.asarray(values, dtype=float)
    lo, hi = (1.0 - e, 1.0 + e) if scales_with == "throughput" else (1 / (1 + e), 1 / (1 - e))
    return scalar_or_array(v * lo), scalar_or_array(v * hi)


def _row_errors(names: np.ndarray, rel_error) -> tuple[np.ndarray, np.ndarray]:
    """Relative error and calibrated flag per row: from each row's GPU, or ``rel_error`` (a
    float for every row, or a dict by GPU name)."""
    codes, gpus = pd.factorize(np.asarray(names, dtype=object))
    fixed = None
    if rel_error is not None and not isinstance(rel_error, dict):
        fixed = float(require_in_range("rel_error", rel_error, 0.0, 1.0, high_open=True))
    errors, flags = np.empty(len(gpus)), np.zeros(len(gpus), dtype=bool)
    for k, n in enumerate(gpus):
        if fixed is not None or (isinstance(rel_error, dict) and n in rel_error):
            if fixed is None:
                name = f"rel_error[{n!r}]"
                e = float(require_in_range(name, rel_error[n], 0.0, 1.0, high_open=True))
            errors[k], flags[k] = (fixed if fixed is not None else e), _calibrated_or_false(n)
        else:
            b = calibration_band(n)
            errors[k], flags[k] = b.rel_error, b.calibrated
    return errors[codes], flags[codes]


def _calibrated_or_false(name) -> bool:
    try:
        return calibration_band(name).calibrated
    except ValueError:
        return False


def throughput_band(frontier: pd.DataFrame, rel_error=None) -> pd.DataFrame:
    """A frontier's throughput and speed per user with each GPU's calibration band.

    A step-time error ``e`` of the prediction (``|predicted / measured - 1| <= e``) puts the
    measured step time in ``[t / (1 + e), t / (1 - e)]``. Tokens per second per GPU, per MW
    and per user are all ``1 / step time`` times quantities that do not depend on it (batch,
    tokens per request, GPUs, power budget), so each lies in ``[(1 - e), (1 + e)]`` times its
    prediction. The same factor moves a configuration along both axes of the frontier chart:
    a slower engine is slower per user *and* per GPU.

    Parameters
    ----------
    frontier : pandas.DataFrame
        Output of :func:`inferecon.throughput_frontier` (or :func:`inferecon.frontier_costs`):
        needs ``gpu``, ``tokens_per_s_per_gpu`` and ``tokens_per_s_per_user``.
    rel_error : float or dict of str to float, optional
        Relative error of step time in [0, 1): one for every row, or by GPU name; each GPU's
        :func:`calibration_band` when omitted (or for the GPUs a dict leaves out).

    Returns
    -------
    pandas.DataFrame
        ``frontier`` with ``rel_error``, ``calibrated`` (bool: the GPU is calibrated on
        measurements), ``tokens_per_s_per_gpu_low``/``_high``,
        ``tokens_per_s_per_user_low``/``_high`` and, where the frontier has them,
        ``tokens_per_s_per_mw_low``/``_high`` and ``total_tokens_per_s_per_gpu_low``/``_high``.

    Raises
    ------
    ValueError
        A missing column, ``rel_error`` outside [0, 1), or a GPU without a band.
    """
    _require_columns(frontier, ("gpu", "tokens_per_s_per_gpu", "tokens_per_s_per_user"))
    e, calibrated = _row_errors(frontier["gpu"].to_numpy(), rel_error)
    cols = {"rel_error": e, "calibrated": calibrated}
    for c in ("tokens_per_s_per_gpu", "tokens_per_s_per_user", "tokens_per_s_per_mw",
              "total_tokens_per_s_per_gpu"):  # fmt: skip
        if c in frontier:
            v = frontier[c].to_numpy(dtype=float)
            cols[f"{c}_low"], cols[f"{c}_high"] = v * (1.0 - e), v * (1.0 + e)
    return frontier.assign(**cols)


_GPU_TIME_COLUMNS = ("hardware_usd_per_mtok", "facility_usd_per_mtok", "idle_usd_per_mtok")


def cost_band(costs: pd.DataFrame, rel_error=None) -> pd.DataFrame:
    """Cost per million tokens with each GPU's calibration band.

    A cost per token is a cost per hour divided by tokens per hour. What is paid per hour of
    GPU time (hardware, hosting, idle hours, and the board's idle power while it serves)
    scales with the step time, so by ``[1 / (1 + e), 1 / (1 - e)]`` (see
    :func:`throughput_band`). The energy above idle power is the work itself (bytes moved and
    FLOPs done per token), the same however long the step takes: it stays fixed.

    Parameters
    ----------
    costs : pandas.DataFrame
        Output of :func:`inferecon.frontier_costs` (or :func:`inferecon.token_economics` with
        a ``gpu`` column): the :func:`inferecon.cost_breakdown` columns and ``gpu``.
    rel_error : float or dict of str to float, optional
        As in :func:`throughput_band`.

    Returns
    -------
    pandas.DataFrame
        ``costs`` with ``rel_error``, ``calibrated``, ``gpu_time_usd_per_mtok`` (the part that
        scales with step time) and ``total_usd_per_mtok_low``/``_high``.

    Raises
    ------
    ValueError
        A missing column, ``rel_error`` outside [0, 1), or a GPU without a band.

    Examples
    --------
    Hardware only (USD 2 per GPU-hour at 1,000 tokens/s: USD 0.556 per million), e = 10%:

    >>> import inferecon as ie
    >>> c = ie.cost_breakdown(1000, 700, usd_per_gpu_hour=2.0).assign(gpu="H100-SXM")
    >>> b = ie.cost_band(c, rel_error=0.1)
    >>> [round(float(b[k].iloc[0]), 3) for k in ("total_usd_per_mtok_low", "total_usd_per_mtok",
    ...                                          "total_usd_per_mtok_high")]
    [0.505, 0.556, 0.617]
    """
    need = ("gpu", "total_usd_per_mtok", "energy_usd_per_mtok", "energy_usd_per_gpu_hour",
            "idle_energy_usd_per_gpu_hour", *_GPU_TIME_COLUMNS)  # fmt: skip
    _require_columns(costs, need)
    return costs.assign(**_cost_band_columns(costs, rel_error))


def _cost_band_columns(costs: pd.DataFrame, rel_error=None) -> dict:
    """The columns :func:`cost_band` adds, as arrays (what an explorer reads per update)."""
    e, calibrated = _row_errors(costs["gpu"].to_numpy(), rel_error)

    def col(name):
        return costs[name].to_numpy(dtype=float)

    energy_hour, idle_hour = col("energy_usd_per_gpu_hour"), col("idle_energy_usd_per_gpu_hour")
    with np.errstate(invalid="ignore", divide="ignore"):
        idle_share = np.where(energy_hour > 0, np.minimum(idle_hour / energy_hour, 1.0), 0.0)
    time_part = sum(col(c) for c in _GPU_TIME_COLUMNS) + col("energy_usd_per_mtok") * idle_share
    fixed = col("total_usd_per_mtok") - time_part
    return {
        "rel_error": e,
        "calibrated": calibrated,
        "gpu_time_usd_per_mtok": time_part,
        "total_usd_per_mtok_low": fixed + time_part / (1.0 + e),
        "total_usd_per_mtok_high": fixed + time_part / (1.0 - e),
    }


def frontier_band_polygon(tokens_per_s_per_user, throughput, rel_error):
    """The region a frontier curve sweeps when its step times are off by up to ``rel_error``.

    Every point moves by the same factor ``f`` in ``[1 - e, 1 + e]`` on both axes
    (:func:`throughput_band`). On log axes that is a shift along the diagonal; for a curve
    whose throughput falls as speed rises (a Pareto curve) the map ``(point, f) -> f x point``
    is one to one, so the swept region is bounded by the curve at ``1 + e``, the curve at
    ``1 - e`` and the two paths of its end points: this polygon.

    Parameters
    ----------
    tokens_per_s_per_user : array_like
        The curve's speeds per user (tokens/s, > 0), increasing.
    throughput : array_like
        Its throughputs (tokens/s per GPU or per MW, > 0), same length.
    rel_error : float
        Relative error of step time, in [0, 1).

    Returns
    -------
    numpy.ndarray
        Vertices, shape ``(2 n + 1, 2)`` (x, y; closed: the last equals the first); empty
        ``(0, 2)`` for an empty curve.
    """
    x = np.asarray(tokens_per_s_per_user, dtype=float).ravel()
    y = np.asarray(throughput, dtype=float).ravel()
    if x.shape != y.shape:
        raise ValueError(
            f"tokens_per_s_per_user and throughput must have one length; got {x.size}, {y.size}"
        )
    e = float(require_in_range("rel_error", rel_error, 0.0, 1.0, high_open=True))
    if not x.size:
        return np.empty((0, 2))
    require_positive("tokens_per_s_per_user", x)
    require_positive("throughput", y)
    hi = np.column_stack([x, y]) * (1.0 + e)
    lo = np.column_stack([x, y])[::-1] * (1.0 - e)
    return np.vstack([hi, lo, hi[:1]])


def _require_columns(frame: pd.DataFrame, names) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"expected a pandas DataFrame; got {type(frame).__name__}")
    missing = [c for c in names if c not in frame.columns]
    if missing:
        raise ValueError(f"the frame has no column(s) {missing}; needs {list(names)}")


# --------------------------------------------------------------------------- goodput


class ScaledStepTime:
    """A step-time model whose every time is ``step_time_factor`` times another's.

    Wraps any :class:`inferecon.StepTimeModel` (by default :class:`inferecon.IterationCost`):
    ``iteration_s``, the decode stretch's closed form ``decode_form`` (each of ``K, a1, b1,
    a2, b2`` times the factor: ``f (K + max(a1 + b1 j, a2 + b2 j))`` is the scaled form) and
    ``kv_transfer_s`` are scaled; ``prefill_pairs``, ``kv_capacity_tokens`` and
    ``decode_linear_iterations`` (counts, not times) are the wrapped model's. Any other public
    attribute (``model``, ``gpu``...) is read from the wrapped model; private ones (its state
    and caches, in unscaled seconds) are not.

    Parameters
    ----------
    cost : StepTimeModel
        The model to scale.
    step_time_factor : float
        Multiplier of every time, > 0 (``1 / (1 + e)`` and ``1 / (1 - e)`` for a band).

    Examples
    --------
    >>> import inferecon as ie
    >>> c = ie.IterationCost("Llama-3.1-8B", "H200-SXM")
    >>> s = ie.ScaledStepTime(c, 1.25)
    >>> round(s.iteration_s(0, 0, 0, 8, 8000) / c.iteration_s(0, 0, 0, 8, 8000), 6)
    1.25
    """

    def __init__(self, cost, step_time_factor: float):
        for m in ("iteration_s", "decode_form", "prefill_pairs"):
            if not callable(getattr(cost, m, None)):
                raise ValueError(f"cost lacks {m!r} (see StepTimeModel)")
        self.cost = cost
        self.step_time_factor = float(require_positive("step_time_factor", step_time_factor))

    def iteration_s(self, prefill_tokens, prefill_pairs, prefill_prefix_tokens,
                    decode_sequences, decode_context) -> float:  # fmt: skip
        """The wrapped model's iteration time times the factor (seconds)."""
        t = self.cost.iteration_s(
            prefill_tokens, prefill_pairs, prefill_prefix_tokens, decode_sequences, decode_context
        )
        return t * self.step_time_factor

    def decode_form(self, decode_sequences, decode_context) -> tuple:
        """The wrapped closed form ``(K, a1, b1, a2, b2)``, every term times the factor."""
        f = self.step_time_factor
        return tuple(v * f for v in self.cost.decode_form(decode_sequences, decode_context))

    def prefill_pairs(self, chunk_tokens, cached_tokens=0):
        """The wrapped model's measure of a chunk's attention pairs (not a time)."""
        return self.cost.prefill_pairs(chunk_tokens, cached_tokens)

    def kv_capacity_tokens(self, memory_fraction):
        """The wrapped model's KV-cache tokens per instance (not a time)."""
        return self.cost.kv_capacity_tokens(memory_fraction)

    def kv_transfer_s(self, prompt_tokens):
        """The wrapped model's KV transfer time times the factor (seconds)."""
        return np.asarray(self.cost.kv_transfer_s(prompt_tokens)) * self.step_time_factor

    def __getattr__(self, name):
        # "cost" not set yet (unpickling): no recursion. Private names are the wrapped model's
        # own state and caches (seconds of the unscaled model): never read through
        if name == "cost" or name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.cost, name)


def scaled_grid_goodput_rps_per_gpu(latencies, ttft_ms, tpot_ms, attainment, step_time_factor):
    """DistServe's goodput per GPU of a server whose step times are ``step_time_factor`` times
    those a load sweep simulated, read off that sweep without simulating again.

    Why it is exact: scaling every time of the step model by ``f`` and every arrival gap by
    ``f`` (the same draws at rate ``r / f``) scales every event of the simulation by ``f``, so
    each request's TTFT and TPOT at rate ``r / f`` are ``f`` times those simulated at ``r``.
    Attainment of targets ``(T, P)`` at ``r / f`` is therefore attainment of ``(T / f, P / f)``
    at ``r``, read from the kept request tables; the grid's rates become ``r / f``. (Exact up
    to the runs' bound on simulated time, which only cuts overloaded runs, and to floating
    point ties; every policy, the KV transfer scaled with the rest as in
    :class:`ScaledStepTime`.)

    Parameters
    ----------
    latencies : SweepLatencies
        From :func:`inferecon.sweep_latencies` (a :class:`inferecon.LoadSweep`).
    ttft_ms, tpot_ms : float
        Latency targets (ms, > 0).
    attainment : float
        Share of requests that must meet both, in (0, 1].
    step_time_factor : float
        Multiplier of every step time, > 0.

    Returns
    -------
    float
        Requests/s per GPU (a grid estimate, as :func:`inferecon.grid_goodput_rps_per_gpu`).
    """
    from .sweep_analysis import attainment_by_rate, grid_goodput_rps_per_gpu

    f = float(require_positive("step_time_factor", step_time_factor))
    att = attainment_by_rate(
        latencies,
        float(require_positive("ttft_ms", ttft_ms)) / f,
        float(require_positive("tpot_ms", tpot_ms)) / f,
    )
    return grid_goodput_rps_per_gpu(latencies.rates_per_gpu / f, att, attainment)


def goodput_band(model, gpu, *, rel_error=None, **goodput_kwargs) -> dict:
    """DistServe's goodput (:func:`inferecon.goodput`) with the GPU's calibration band: the
    search run three times, on the calibrated step model and on it scaled by
    ``1 / (1 + e)`` (faster: the high end) and ``1 / (1 - e)`` (slower: the low end).

    Parameters
    ----------
    model, gpu : str or spec
        What serves.
    rel_error : float, optional
        Relative error of step time in [0, 1) (the GPU's :func:`calibration_band` when
        omitted).
    **goodput_kwargs
        Passed to :func:`inferecon.goodput` (``ttft_ms`` and ``tpot_ms`` are required;
        ``precision``, ``efficiency`` and ``tensor_parallel`` also build the step model).

    Returns
    -------
    dict
        ``goodput_rps_per_gpu``, ``goodput_rps_per_gpu_low``, ``goodput_rps_per_gpu_high``,
        ``rel_error``, ``calibrated`` and ``results`` (the three :func:`inferecon.goodput`
        dicts: nominal, low, high).
    """
    from .goodput_search import goodput
    from .serving import IterationCost

    if "cost" in goodput_kwargs:
        raise ValueError("goodput_band builds its own step model; pass no cost")
    if rel_error is None:
        band = calibration_band(gpu)
        e, calibrated = band.rel_error, band.calibrated
    else:
        e = float(require_in_range("rel_error", rel_error, 0.0, 1.0, high_open=True))
        calibrated = _calibrated_or_false(gpu)
    base = IterationCost(
        model, gpu, goodput_kwargs.get("precision", "bf16"), goodput_kwargs.get("efficiency"),
        tensor_parallel=int(goodput_kwargs.get("tensor_parallel", 1)),
        allow_weight_only=bool(goodput_kwargs.get("allow_weight_only", False)),
    )  # fmt: skip
    runs = [goodput(model, gpu, **goodput_kwargs)]
    for f in (1.0 / (1.0 - e), 1.0 / (1.0 + e)):  # slower (low), faster (high)
        runs.append(goodput(model, gpu, cost=ScaledStepTime(base, f), **goodput_kwargs))
    return {
        "goodput_rps_per_gpu": runs[0]["goodput_rps_per_gpu"],
        "goodput_rps_per_gpu_low": runs[1]["goodput_rps_per_gpu"],
        "goodput_rps_per_gpu_high": runs[2]["goodput_rps_per_gpu"],
        "rel_error": e,
        "calibrated": calibrated,
        "results": runs,
    }
