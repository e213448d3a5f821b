"""Fitting the serving model to measurements, and testing the fit on rows it has not seen.

:func:`calibrate` fits one shared :class:`~inferecon.Efficiency` to measured step times of any
mix of models and GPUs (the ``model`` and ``gpu`` columns of the measurement file say which;
efficiencies are shares of each GPU's own peaks, so they carry across GPUs). Parameters the
rows cannot identify are held at stated values instead of being fitted, and the
:class:`Calibration` says which (``held``): with one model the fixed per-step overhead cannot be
told apart from the per-layer one, so it is held at 0 and all overhead is per layer.

:func:`leave_one_out` answers the question a user asks of a calibration: fitted on some rows,
how well does it predict rows it has not seen (another model, another GPU, another context)?

:func:`default_calibration` is the fit on the bundled measurements; its result is stored as
:data:`inferecon.DEFAULT_EFFICIENCY` so that formula calls never fit anything.
"""

from __future__ import annotations

import functools
import math
from dataclasses import asdict, dataclass, field, replace

import numpy as np
import pandas as pd

from .datasets import load_decode_measurements, load_measured_ceilings
from .efficiency import Efficiency
from .serving import _attention_blocks, _comm_s, _step
from .specs import (
    PRECISION_BYTES,
    check_precision,
    kv_bytes_per_token,
    match_gpu,
    match_model,
)

__all__ = [
    "Calibration",
    "calibrate",
    "default_calibration",
    "leave_one_out",
    "measured_gemm_share",
    "predict_measurements",
]

_PARAMETERS = (
    # name, start values (multi-start), lower bound, upper bound
    ("memory", (0.8, 0.95, 0.5), 0.05, 1.0),
    ("compute", (0.6, 0.3, 0.9), 0.02, 1.0),
    ("compute_half_tokens", (100.0, 10.0, 1000.0), 0.0, 1e5),
    ("attention_compute", (0.4, 0.2, 0.8), 0.02, 1.0),
    ("attention_blocks_per_sm", (0.7, 0.3, 2.0), 0.0, 20.0),
    ("overhead_per_layer_ms", (0.04, 0.0, 0.1), 0.0, 5.0),
    ("overhead_ms", (0.2, 0.0, 1.0), 0.0, 100.0),
    ("eager_overhead_per_layer_ms", (0.1, 0.0, 0.5), 0.0, 20.0),
)
_NAMES = tuple(p[0] for p in _PARAMETERS)


@dataclass(frozen=True)
class Calibration:
    """Efficiencies fitted to measurements, with the fit's error on every row.

    Attributes
    ----------
    efficiency : Efficiency
        The fitted efficiency (what :func:`inferecon.decode_performance` takes).
    models, gpus : tuple of str
        What the fitted rows were measured on.
    precision : str
        Precision of the measured runs.
    median_ape_pct, max_ape_pct : float
        Median and largest absolute percentage error of step time on the fitted rows.
    power_median_ape_pct : float
        Median absolute percentage error of board power on the fitted rows (NaN without
        power readings).
    n_rows : int
        Rows fitted.
    n_compute_bound : int
        Fitted rows the model places on the compute roof; the compute efficiency is determined
        only by those.
    fitted : tuple of str
        Parameters fitted.
    held : tuple of (str, float, str)
        Parameters held fixed: name, value and why.
    eager_overhead_per_layer_ms : float
        Extra overhead per layer of rows measured without CUDA graphs (eager PyTorch launches
        each kernel from the host); 0 when there are none. Not part of ``efficiency``: a
        serving engine replays graphs.
    residuals : pandas.DataFrame
        One row per measurement: ``model``, ``gpu``, ``kind``, ``batch``, ``context``,
        ``measured_ms``, ``predicted_ms``, ``error_pct`` (predicted vs measured),
        ``ceiling_ms`` (efficiency 1), ``fitted``, ``bound``, ``measured_power_w``,
        ``predicted_power_w``.
    """

    efficiency: Efficiency
    models: tuple[str, ...]
    gpus: tuple[str, ...]
    precision: str
    median_ape_pct: float
    max_ape_pct: float
    power_median_ape_pct: float
    n_rows: int
    n_compute_bound: int
    fitted: tuple[str, ...]
    held: tuple[tuple[str, float, str], ...]
    eager_overhead_per_layer_ms: float = 0.0
    residuals: pd.DataFrame = field(default=None, repr=False, compare=False)

    @property
    def model(self) -> str:
        """The measured model(s), comma-separated."""
        return ", ".join(self.models)

    @property
    def gpu(self) -> str:
        """The measured GPU(s), comma-separated."""
        return ", ".join(self.gpus)

    def summary(self) -> dict:
        """Fitted values and errors as a flat dict."""
        return {
            **asdict(self.efficiency),
            "eager_overhead_per_layer_ms": self.eager_overhead_per_layer_ms,
            "median_ape_pct": self.median_ape_pct,
            "max_ape_pct": self.max_ape_pct,
            "power_median_ape_pct": self.power_median_ape_pct,
            "n_rows": self.n_rows,
            "n_compute_bound": self.n_compute_bound,
        }


# --------------------------------------------------------------------------- row geometry


@dataclass
class _Group:
    """Rows of one (model, GPU, kind): their byte and FLOP counts, computed once."""

    m: object
    g: object
    index: np.ndarray
    tokens: np.ndarray
    attn_flops: np.ndarray
    attn_bytes: np.ndarray
    blocks: np.ndarray
    n: np.ndarray
    comm_s: np.ndarray
    eager: np.ndarray
    w: float


def _groups(rows: pd.DataFrame, precision: str) -> list[_Group]:
    """Prepared rows (:func:`_prepare_rows`) grouped by (model, GPU, kind), counts computed."""
    w = PRECISION_BYTES[precision]
    out = []
    keys = rows[["_model", "_gpu", "kind"]].astype(str).agg("|".join, axis=1)
    for _key, idx in rows.groupby(keys, sort=False).indices.items():
        r = rows.iloc[idx]
        m, g = r["_m"].iloc[0], r["_g"].iloc[0]
        b = r["batch"].to_numpy(float)
        c = r["context"].to_numpy(float)
        n = r["_n"].to_numpy(float)
        kvb = kv_bytes_per_token(m, precision)
        per_ctx = m.attention_flops_per_token_per_context()
        if r["kind"].iloc[0] == "decode":
            tokens = b
            attn_flops = b * per_ctx * m.attended_positions(c)
            attn_bytes = b * m.attended_positions(c + 1.0) * kvb
            blocks = _attention_blocks(m, b, n)
        else:  # prefill: context is the prompt length
            tokens = b * c
            attn_flops = b * per_ctx * m.prefill_attended_positions(c)
            attn_bytes = tokens * kvb
            blocks = np.full_like(tokens, np.inf)
        out.append(
            _Group(
                m,
                g,
                np.asarray(idx),
                tokens,
                attn_flops,
                attn_bytes,
                blocks,
                n,
                _comm_s(m, g, Efficiency(sequential=True), tokens, n, None, None),
                r["_eager"].to_numpy(bool),
                w,
            )  # fmt: skip
        )
    return out


def _predict(groups: list[_Group], n_rows: int, e: Efficiency, eager_ms: float, precision: str):
    """Step time (ms), board power (W) and bound of every row at efficiency ``e``."""
    ms = np.empty(n_rows)
    power = np.empty(n_rows)
    bound = np.empty(n_rows, dtype=object)
    for gr in groups:
        s = _step(
            gr.m, gr.g, e, precision, gr.n, tokens=gr.tokens, attn_flops=gr.attn_flops,
            attn_bytes=gr.attn_bytes, attn_blocks=gr.blocks, w_bytes=gr.w, comm_s=gr.comm_s,
        )  # fmt: skip
        extra = np.where(gr.eager, eager_ms * gr.m.n_layers / 1e3, 0.0)
        ms[gr.index] = (s["step"] + extra) * 1e3
        power[gr.index] = s["power_w"]
        bound[gr.index] = s["bound"]
    return ms, power, bound


def _prepare_rows(measurements: pd.DataFrame, model, gpu) -> pd.DataFrame:
    """Measured rows checked, with their model and GPU specs (``_m``, ``_g``), names, GPU
    count (``_n``) and whether they ran without CUDA graphs (``_eager``)."""
    need = {"kind", "batch", "context", "step_ms"}
    if model is None:
        need.add("model")
    if gpu is None:
        need.add("gpu")
    missing = need - set(measurements.columns)
    if missing:
        raise ValueError(
            f"measurements lack column(s) {sorted(missing)} (the schema of data/h200_decode.csv;"
            " pass model= and gpu= for files without model and gpu columns)"
        )
    rows = measurements.reset_index(drop=True).copy()
    rows["kind"] = rows["kind"].astype(str).str.lower()
    bad_kind = sorted(set(rows["kind"]) - {"decode", "prefill"})
    if bad_kind:
        raise ValueError(f"kind must be 'decode' or 'prefill'; the file has {bad_kind}")
    problems: list[str] = []
    specs_m = _match_names(rows, "model", model, match_model, problems)
    specs_g = _match_names(rows, "gpu", gpu, match_gpu, problems)
    if problems:
        raise ValueError("cannot calibrate on these rows:\n  - " + "\n  - ".join(problems))
    rows["_m"] = [specs_m[None]] * len(rows) if model is not None else rows["model"].map(specs_m)
    rows["_g"] = [specs_g[None]] * len(rows) if gpu is not None else rows["gpu"].map(specs_g)
    rows["_model"] = [m.name for m in rows["_m"]]
    rows["_gpu"] = [g.name for g in rows["_g"]]
    rows["_n"] = rows["n_gpus"].astype(float) if "n_gpus" in rows else 1.0
    if "cuda_graphs" in rows:
        rows["_eager"] = ~rows["cuda_graphs"].astype(bool)
    else:  # the method of data/h200_decode.csv and benchmarks/gpu_decode.py
        rows["_eager"] = rows["kind"] == "prefill"
    return rows


def _match_names(rows: pd.DataFrame, column: str, given, match, problems: list[str]) -> dict:
    """Specs by name: ``{None: match(given)}`` when ``given``, else one per distinct name in
    ``column``; each name ``match`` refuses is appended to ``problems`` (all reported at once)."""
    out = {}
    for name in rows[column].unique() if given is None else [None]:
        try:
            out[name] = match(name if given is None else given)
        except ValueError as exc:
            problems.append(str(exc))
    return out


def measured_gemm_share(ceilings: pd.DataFrame | None = None, gpu: str = "H200-SXM") -> float:
    """Share of the datasheet's dense bf16 peak that a large measured GEMM reached.

    Parameters
    ----------
    ceilings : pandas.DataFrame, optional
        Rows in the schema of ``data/h200_ceilings.csv`` (the bundled file by default).
    gpu : str
        The GPU the ceilings were measured on (its datasheet peak is the denominator).

    Returns
    -------
    float
        ``bf16_gemm_tflops / bf16_dense_tflops`` (664.3 / 989 = 0.672 on the project's H200).
    """
    c = load_measured_ceilings() if ceilings is None else ceilings
    rows = c[c["metric"] == "bf16_gemm_tflops"]
    if rows.empty:
        raise ValueError("the ceilings have no bf16_gemm_tflops row")
    return float(rows["value"].iloc[0]) / match_gpu(gpu).bf16_dense_tflops


# --------------------------------------------------------------------------- the fit


def calibrate(
    measurements: pd.DataFrame,
    model=None,
    gpu=None,
    *,
    precision: str = "bf16",
    kinds: tuple[str, ...] = ("decode", "prefill"),
    compute_share: float | None = None,
    overhead_ms: float | None = None,
    operator_model: bool = True,
) -> Calibration:
    """Fit one shared set of efficiencies, overheads and power weights to measured rows.

    The step-time parameters minimise the squared log error of predicted against measured
    ``step_ms`` (so every row counts by its relative error) with
    ``scipy.optimize.least_squares`` from three starts, inside stated bounds; the power
    weights then minimise the squared error of ``avg_power_w`` where it was measured.

    Parameters
    ----------
    measurements : pandas.DataFrame
        Rows in the schema of ``data/h200_decode.csv`` (:func:`inferecon.load_decode_measurements`),
        of one or several models and GPUs: the ``model`` and ``gpu`` columns say which
        (names as in ``data/models.csv``/``data/gpus.csv`` or as GPU tools print them, see
        :func:`inferecon.specs.match_gpu`). An optional ``n_gpus`` column gives the
        tensor-parallel degree (1 otherwise) and an optional boolean ``cuda_graphs`` column
        says how each row was measured (otherwise decode rows replay CUDA graphs and prefill
        rows run eagerly, the method of ``benchmarks/gpu_decode.py``).
    model, gpu : str or spec, optional
        Override the file's columns (for files without them).
    precision : {"bf16", "fp8", "fp4"}
        Precision of the measured runs.
    kinds : tuple of str
        Which rows to fit; the others are predicted and reported.
    compute_share : float, optional
        Hold the large-GEMM share of peak at this value (e.g. :func:`measured_gemm_share`)
        instead of fitting it.
    overhead_ms : float, optional
        Hold the fixed per-step overhead at this value. By default it is fitted when the
        rows span models with different layer counts, and held at 0 otherwise.
    operator_model : bool
        Cost the linear layers with the GEMM time model and each GPU's stored operator
        constants (:attr:`inferecon.Efficiency.operator_model`, the default);
        ``compute_half_tokens`` is then held at 0 (it no longer acts). ``False`` fits the
        saturating share ``compute * T / (T + compute_half_tokens)`` instead.

    Returns
    -------
    Calibration

    Raises
    ------
    ValueError
        For missing columns, unknown model or GPU names (all listed), or fewer rows than
        parameters to fit.
    """
    precision = check_precision("precision", precision)
    rows = _prepare_rows(measurements, model, gpu)
    fit_mask = rows["kind"].isin(kinds).to_numpy()
    fit = rows[fit_mask].reset_index(drop=True)
    held = _held_parameters(fit, compute_share, overhead_ms, operator_model)
    free = [p for p in _PARAMETERS if p[0] not in held]
    if len(fit) <= len(free):
        raise ValueError(
            f"calibrate needs more measured rows than the {len(free)} parameters it fits "
            f"({', '.join(p[0] for p in free)}); got {len(fit)} row(s) of kind {kinds}"
        )
    groups = _groups(fit, precision)
    e, eager = _fit_step_time(fit, groups, free, held, precision, operator_model)
    e = _fit_power_weights(fit, groups, e, eager, precision)
    return _calibration(rows, fit_mask, e, eager, precision, free, held)


def _held_parameters(
    fit: pd.DataFrame,
    compute_share: float | None,
    overhead_ms: float | None,
    operator_model: bool = False,
) -> dict[str, tuple[float, str]]:
    """Parameters the fitted rows cannot identify (or the caller fixed): name -> (value, why).

    The compute share and the fixed overhead are held where given; the attention share of
    compute without prefill rows (NaN: attention then runs at the linear layers' share); the
    attention-block limit where no decode row has fewer blocks than SMs; the fixed overhead
    where every row has one layer count (it cannot be told from the per-layer one); the eager
    overhead where no row ran without CUDA graphs.
    """
    held: dict[str, tuple[float, str]] = {}
    if operator_model:
        held["compute_half_tokens"] = (
            0.0, "the GEMM time model costs the linear layers (operator_model)"
        )  # fmt: skip
    if compute_share is not None:
        held["compute"] = (float(compute_share), "given (compute_share)")
    if (fit["kind"] == "prefill").sum() == 0:
        held["attention_compute"] = (math.nan, "no prefill rows: attention shares compute")
    dec = fit[fit["kind"] == "decode"]
    blocks = np.array([
        float(_attention_blocks(m, b, n)) / g.n_sm if g.n_sm else np.inf
        for m, g, b, n in zip(dec["_m"], dec["_g"], dec["batch"], dec["_n"], strict=True)
    ])  # fmt: skip
    if not (blocks < 1.0).any():
        held["attention_blocks_per_sm"] = (
            0.0, "no decode row has fewer attention blocks than SMs (or the SM count is unknown)"
        )  # fmt: skip
    if overhead_ms is not None:
        held["overhead_ms"] = (float(overhead_ms), "given (overhead_ms)")
    elif fit["_m"].map(lambda m: m.n_layers).nunique() < 2:
        held["overhead_ms"] = (
            0.0, "rows of one layer count cannot separate fixed from per-layer overhead"
        )  # fmt: skip
    if not fit["_eager"].any():
        held["eager_overhead_per_layer_ms"] = (0.0, "no rows measured without CUDA graphs")
    return held


def _efficiency_at(x, free, held, operator_model=False) -> tuple[Efficiency, float]:
    """The efficiency and the eager overhead per layer (ms) at free-parameter values ``x``.

    ``free`` are the :data:`_PARAMETERS` rows being fitted, in the order of ``x``; the others
    take their ``held`` values (a NaN attention share means "as the linear layers").
    """
    v = {name: held[name][0] for name in held}
    v.update({p[0]: float(xi) for p, xi in zip(free, x, strict=True)})
    att = v["attention_compute"]
    e = Efficiency(
        memory=v["memory"], compute=v["compute"], overhead_ms=v["overhead_ms"],
        compute_half_tokens=v["compute_half_tokens"],
        attention_compute=None if math.isnan(att) else att,
        attention_blocks_per_sm=v["attention_blocks_per_sm"],
        overhead_per_layer_ms=v["overhead_per_layer_ms"], sequential=True,
        operator_model=operator_model,
    )  # fmt: skip
    return e, v["eager_overhead_per_layer_ms"]


def _fit_step_time(
    fit, groups, free, held, precision, operator_model=False
) -> tuple[Efficiency, float]:
    """Fit the free parameters to the measured step times: the efficiency and eager overhead.

    Minimises the squared log error of predicted against measured ``step_ms`` (every row
    counts by its relative error) with ``scipy.optimize.least_squares`` inside the bounds of
    :data:`_PARAMETERS`, from each of its three starts, and keeps the lowest cost.
    """
    from scipy.optimize import least_squares

    y = np.log(fit["step_ms"].to_numpy(float))

    def resid(x):
        e, eager = _efficiency_at(x, free, held, operator_model)
        return np.log(_predict(groups, len(fit), e, eager, precision)[0]) - y

    lo = [p[2] for p in free]
    hi = [p[3] for p in free]
    best = min(
        (
            least_squares(resid, [p[1][k] for p in free], bounds=(lo, hi), xtol=1e-12)
            for k in range(3)
        ),
        key=lambda r: r.cost,
    )
    return _efficiency_at(best.x, free, held, operator_model)


def _fit_power_weights(fit, groups, e: Efficiency, eager: float, precision) -> Efficiency:
    """``e`` with its power weights fitted to the measured board power (least squares, W).

    Returned unchanged when fewer than two rows have a power reading.
    """
    if "avg_power_w" not in fit or fit["avg_power_w"].notna().sum() < 2:
        return e
    from scipy.optimize import least_squares

    pw = fit["avg_power_w"].to_numpy(float)
    ok = np.isfinite(pw)

    def presid(x):
        ee = replace(e, power_memory_weight=x[0], power_compute_weight=x[1])
        return _predict(groups, len(fit), ee, eager, precision)[1][ok] - pw[ok]

    pr = least_squares(presid, (1.0, 1.0), bounds=([0, 0], [20.0, 20.0]))
    return replace(e, power_memory_weight=float(pr.x[0]), power_compute_weight=float(pr.x[1]))


def _calibration(rows, fit_mask, e, eager, precision, free, held) -> Calibration:
    """The :class:`Calibration` of a fit: every row predicted, the errors on the fitted rows."""
    fit = rows[fit_mask]
    res = _residuals(rows, fit_mask, e, eager, precision)
    ape = res.loc[fit_mask, "error_pct"].abs()
    power_err = math.nan
    if "measured_power_w" in res:
        pe = (res["predicted_power_w"] / res["measured_power_w"] - 1).abs()[fit_mask]
        power_err = float(np.nanmedian(pe) * 100) if pe.notna().any() else math.nan
    return Calibration(
        efficiency=e,
        models=tuple(dict.fromkeys(fit["_model"])),
        gpus=tuple(dict.fromkeys(fit["_gpu"])),
        precision=precision,
        median_ape_pct=float(ape.median()),
        max_ape_pct=float(ape.max()),
        power_median_ape_pct=power_err,
        n_rows=int(fit_mask.sum()),
        n_compute_bound=int((res["bound"][fit_mask] == "compute").sum()),
        fitted=tuple(p[0] for p in free),
        held=tuple((k, v, why) for k, (v, why) in held.items()),
        eager_overhead_per_layer_ms=float(eager),
        residuals=res,
    )


def _residuals(rows, fit_mask, e, eager, precision) -> pd.DataFrame:
    groups = _groups(rows, precision)
    ms, power, bound = _predict(groups, len(rows), e, eager, precision)
    ceiling, _, _ = _predict(groups, len(rows), Efficiency(), 0.0, precision)
    res = pd.DataFrame(
        {
            "model": rows["_model"],
            "gpu": rows["_gpu"],
            "kind": rows["kind"],
            "batch": rows["batch"],
            "context": rows["context"],
            "measured_ms": rows["step_ms"].astype(float),
            "predicted_ms": ms,
            "ceiling_ms": ceiling,
            "fitted": fit_mask,
            "bound": bound,
        }
    )
    res["error_pct"] = (res["predicted_ms"] / res["measured_ms"] - 1) * 100
    if "avg_power_w" in rows:
        res["measured_power_w"] = rows["avg_power_w"].astype(float)
        res["predicted_power_w"] = power
    return res


def predict_measurements(
    calibration: Calibration | Efficiency,
    measurements: pd.DataFrame,
    model=None,
    gpu=None,
    *,
    precision: str = "bf16",
    eager_overhead_per_layer_ms: float | None = None,
) -> pd.DataFrame:
    """Predict measured rows with a calibration and report the error of each.

    Parameters
    ----------
    calibration : Calibration or Efficiency
        What to predict with.
    measurements : pandas.DataFrame
        Rows in the schema of ``data/h200_decode.csv``.
    model, gpu : optional
        Override the file's ``model``/``gpu`` columns.
    precision : str
        Precision of the measured runs.
    eager_overhead_per_layer_ms : float, optional
        Launch overhead of rows measured without CUDA graphs (the calibration's by default).

    Returns
    -------
    pandas.DataFrame
        The :attr:`Calibration.residuals` columns, ``fitted`` all False.
    """
    precision = check_precision("precision", precision)
    rows = _prepare_rows(measurements, model, gpu)
    if isinstance(calibration, Calibration):
        e = calibration.efficiency
        eager = calibration.eager_overhead_per_layer_ms
    else:
        e, eager = calibration, 0.0
    if eager_overhead_per_layer_ms is not None:
        eager = eager_overhead_per_layer_ms
    return _residuals(rows, np.zeros(len(rows), dtype=bool), e, eager, precision)


def leave_one_out(
    measurements: pd.DataFrame,
    by="model",
    **calibrate_kwargs,
) -> pd.DataFrame:
    """Calibrate on all groups of rows but one, predict the one left out; repeat for each.

    Parameters
    ----------
    measurements : pandas.DataFrame
        Rows as for :func:`calibrate`; or operator timings (columns ``operator`` and
        ``median_ms``, as :func:`inferecon.load_operator_timings` gives), which are handed to
        :func:`inferecon.operator_leave_one_out` (``by="model"`` or ``"gpu"``).
    by : str or array-like
        A column name (``"model"``, ``"gpu"``, ``"context"``...) or one group label per row
        (e.g. ``np.where(batch <= 16, "batch <= 16", "batch > 16")``).
    **calibrate_kwargs
        Passed to :func:`calibrate` (e.g. ``compute_share``, ``kinds``).

    Returns
    -------
    pandas.DataFrame
        One row per held-out group: ``held_out``, ``n_train``, ``n_test``,
        ``median_ape_pct`` and ``max_ape_pct`` of the held-out rows (of the fitted kinds),
        ``max_over_ceiling`` (the largest ratio of the efficiency-1 ceiling time to the
        measured time, ``ceiling_ms / measured_ms``, over the held-out rows: above 1 means a
        row was measured faster than the ceiling) and ``note`` (why a group could not be held
        out, if so). The per-row predictions are in ``result.attrs["rows"]``.

    Raises
    ------
    ValueError
        When there are fewer than two groups.
    """
    if "operator" in measurements.columns and "median_ms" in measurements.columns:
        # a table of operator timings (``load_operator_timings``): the GEMM time model's own
        # leave-one-out (by "model" or "gpu"); it takes no calibrate() options
        from .operator_times import operator_leave_one_out

        if calibrate_kwargs:
            raise TypeError(
                "leave_one_out on operator timings takes no calibrate() options; got "
                f"{sorted(calibrate_kwargs)}"
            )
        return operator_leave_one_out(measurements, by=by)
    rows = measurements.reset_index(drop=True)
    labels = rows[by] if isinstance(by, str) else pd.Series(np.asarray(by), index=rows.index)
    if len(labels) != len(rows):
        raise ValueError(f"by must give one label per row ({len(rows)}); got {len(labels)}")
    groups = list(dict.fromkeys(labels))
    if len(groups) < 2:
        raise ValueError(
            f"leave-one-out needs at least two groups of rows; every row has {by}={groups[0]!r}"
            if isinstance(by, str)
            else "leave-one-out needs two groups"
        )
    kinds = calibrate_kwargs.get("kinds", ("decode", "prefill"))
    out, detail = [], []
    for grp in groups:
        test = (labels == grp).to_numpy()
        rec = {"held_out": grp, "n_train": int((~test).sum()), "n_test": int(test.sum())}
        try:
            cal = calibrate(rows[~test], **calibrate_kwargs)
        except ValueError as exc:
            nan = math.nan
            note = str(exc).splitlines()[0]
            out.append({**rec, "median_ape_pct": nan, "max_ape_pct": nan,
                        "max_over_ceiling": nan, "note": note})  # fmt: skip
            continue
        pred = predict_measurements(cal, rows[test], precision=cal.precision)
        pred = pred[pred["kind"].isin(kinds)]
        ape = pred["error_pct"].abs()
        out.append(
            {
                **rec,
                "median_ape_pct": float(ape.median()) if len(ape) else math.nan,
                "max_ape_pct": float(ape.max()) if len(ape) else math.nan,
                "max_over_ceiling": float((pred["ceiling_ms"] / pred["measured_ms"]).max()),
                "note": "",
            }
        )
        detail.append(pred.assign(held_out=grp))
    result = pd.DataFrame(out)
    result.attrs["rows"] = pd.concat(detail, ignore_index=True) if detail else pd.DataFrame()
    return result


@functools.lru_cache(maxsize=1)
def default_calibration() -> Calibration:
    """The calibration on the bundled measurements (fitted on call, cached; clear with
    ``default_calibration.cache_clear()``).

    Fits every row of ``data/h200_decode.csv`` (decode and prefill of a Llama-3.1-8B-shaped
    model on one H200, bf16), with the large-GEMM share held at the measured one
    (:func:`measured_gemm_share`, ``data/h200_ceilings.csv``). Its ``efficiency`` is stored as
    :data:`inferecon.DEFAULT_EFFICIENCY`.

    Returns
    -------
    Calibration
    """
    return calibrate(load_decode_measurements(), compute_share=measured_gemm_share())
