"""Figures and explorers for notebook 02: what a token costs (the roofline serving model)."""

from __future__ import annotations

import functools
from typing import Any

import ipywidgets as widgets
import numpy as np
import pandas as pd
from matplotlib.collections import PolyCollection
from matplotlib.ticker import FuncFormatter, PercentFormatter

from ..calibration import Calibration, default_calibration
from ..datasets import load_decode_measurements, load_gpus, load_measured_ceilings, load_models
from ..serving import (
    DEFAULT_MEMORY_FRACTION,
    attainable_tflops,
    decode_performance,
    max_batch,
    prefill_performance,
    ridge_point,
    serving_performance,
    usable_memory_gb,
    weight_memory_gb,
)
from ..specs import get_gpu, get_model
from ..uncertainty import band_limits, calibration_band, frontier_band_polygon
from .controls import LABEL_STYLE, checkbox, dropdown, float_slider, row_layout
from .explorer import Explorer
from .style import add_source, add_title, side_by_side

__all__ = [
    "CalibrationExplorer",
    "CostEnergyExplorer",
    "RooflineExplorer",
    "ThroughputLatencyExplorer",
]

BATCHES = np.unique(np.round(np.geomspace(1, 4096, 72)).astype(int))
_BATCH_OPTIONS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096]
_CONTEXT_OPTIONS = [128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072]
_PRECISIONS = ["bf16", "fp8", "fp4"]
_MEASURED_MODEL, _MEASURED_GPU = "Llama-3.1-8B", "H200-SXM"
_SOURCE_DATA = (
    "GPU specs: data/gpus.csv (datasheets, dense TFLOP/s); model shapes: data/models.csv "
    "(model cards)"
)
CALIBRATED = "#1f4e79"
CEILING = "#7f8c8d"
MEASURED = "#c0392b"


@functools.lru_cache(maxsize=1)
def _names() -> tuple[list[str], list[str]]:
    return list(load_models()["name"]), list(load_gpus()["name"])


def _select(options, value, label, continuous=True) -> widgets.SelectionSlider:
    return widgets.SelectionSlider(
        options=options, value=value, description=label, style=LABEL_STYLE, layout=row_layout(),
        continuous_update=continuous,
    )  # fmt: skip


def _hardware_controls(model="Llama-3.1-8B", gpu="H200-SXM", precision="bf16", *,
                       simulates: bool = False):  # fmt: skip
    """Model, GPU, precision and tensor-parallel controls; ``simulates``: the explorer
    re-simulates on a tensor-parallel change, so that slider commits on release."""
    models, gpus = _names()
    return {
        "model": dropdown(models, model, "Model (data/models.csv)"),
        "gpu": dropdown(gpus, gpu, "GPU (data/gpus.csv)"),
        "precision": dropdown(_PRECISIONS, precision, "Weights and KV-cache precision"),
        "tensor_parallel": _select(
            [1, 2, 4, 8], 1, "Tensor-parallel GPUs", continuous=not simulates
        ),  # fmt: skip
    }


def _fmt_rate(v: float) -> str:
    if not np.isfinite(v):
        return "n/a"
    if v >= 100:
        return f"{v:,.0f}"
    return f"{v:,.3g}"


def _measured_rows() -> pd.DataFrame:
    return load_decode_measurements()


def _fits_note(model: str, gpu: str, precision: str, n: int) -> str:
    m, g = get_model(model), get_gpu(gpu)
    need = weight_memory_gb(m, precision, n)
    return (
        f"<span style='color:#c0392b'><b>{m.name} in {precision} does not fit on "
        f"{g.name} ×{n}</b>: its weights alone need {need:,.0f} GB per GPU, "
        f"{usable_memory_gb(g):,.0f} GB is usable. Add GPUs or lower the precision.</span>"
    )


# --------------------------------------------------------------------------- frontier


class ThroughputLatencyExplorer(Explorer):
    """Tokens/s per GPU against tokens/s per user, batch size along the curve.

    Batching shares one read of the weights among many sequences: throughput per GPU climbs
    with batch while each user's speed falls, until the step turns compute-bound or the KV
    cache fills the memory. The calibrated model (solid) sits below the physical ceiling
    (dashed); the measured H200 points show where a real engine lands. The right panel shows
    the memory each batch needs.
    """

    name = "serving_frontier"

    def _export_fit(self, ax) -> str:
        # memory stays on its 0-160% scale (the curve runs far past capacity)
        return "x" if ax is self.ax_mem else "xy"

    def _make_controls(self):
        return {
            **_hardware_controls(),
            "context_tokens": _select(_CONTEXT_OPTIONS, 4096, "Context per sequence (tokens)"),
            "batch": _select(_BATCH_OPTIONS, 64, "Operating point: batch (sequences)"),
        }

    def _build(self, fig):
        ax, axm = side_by_side(fig, 1.9, 0.3, left=0.1)
        self.ax, self.ax_mem = ax, axm
        add_title(fig, "Batching trades speed per user for throughput per GPU")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlim(1, 3e4)
        ax.set_ylim(10, 3e6)
        ax.set_xlabel("Speed per user (output tokens/s)")
        ax.set_ylabel("Throughput per GPU (output tokens/s)")
        for axis in (ax.xaxis, ax.yaxis):
            axis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:,.0f}"))
        self._band = _band_artist(
            ax, CALIBRATED, "model's band (p90 error of the GPU's calibration)"
        )
        (self._cal,) = ax.plot([], [], color=CALIBRATED, label="model, calibrated (fits memory)")
        (self._cal_oom,) = ax.plot([], [], ":", color=CALIBRATED, lw=1.2)
        (self._ceil,) = ax.plot([], [], "--", color=CEILING, lw=1.4, label="physical ceiling")
        (self._ceil_oom,) = ax.plot([], [], ":", color=CEILING, lw=1.0)
        (self._op,) = ax.plot([], [], "o", ms=9, mfc="white", mec=CALIBRATED, mew=2, zorder=5)
        self._ticks = [
            ax.annotate(
                "", (1, 1), xytext=(4, 4), textcoords="offset points", fontsize=8, color=CALIBRATED
            )  # fmt: skip
            for _ in range(5)
        ]
        meas = _measured_rows()
        self._meas_rows = meas[meas["kind"] == "decode"]
        self._meas = ax.scatter(
            [], [], s=22, color=MEASURED, zorder=4,
            label="measured at this context: Llama-3.1-8B, one H200, bf16",
        )  # fmt: skip
        self._oom_text = ax.text(
            0.5, 0.62, "", transform=ax.transAxes, ha="center", va="center", fontsize=11,
            color=MEASURED, bbox=dict(facecolor="white", edgecolor=MEASURED, pad=4),
        )  # fmt: skip
        for a in (self._band, self._cal, self._cal_oom, self._ceil, self._ceil_oom, self._op,
                  self._meas, self._oom_text, *self._ticks):  # fmt: skip
            self._dynamic(a)
        ax.legend(loc="lower left", fontsize=8)
        ax.set_autoscale_on(False)

        axm.set_xscale("log")
        axm.set_xlim(1, 4096)
        axm.set_ylim(0, 1.6)  # share of the GPU's memory: fixed, so any GPU redraws by blitting
        axm.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:,.0f}"))
        axm.yaxis.set_major_formatter(PercentFormatter(1.0))
        axm.set_xlabel("Batch (sequences)")
        axm.set_ylabel("Memory per GPU (% of its capacity)")
        axm.set_title("Where the KV cache runs out", fontsize=10.5)
        (self._m_w,) = axm.plot([], [], color="#e67e22", label="weights")
        (self._m_all,) = axm.plot([], [], color=CALIBRATED, label="weights + KV cache")
        f = DEFAULT_MEMORY_FRACTION
        (self._m_cap,) = axm.plot(
            [1, 4096], [f, f], "--", color=MEASURED, lw=1.2, label=f"usable ({f:.0%})"
        )
        (self._m_max,) = axm.plot([], [], ":", color="black", lw=1.0)
        self._m_text = axm.text(1.3, 1.5, "", fontsize=8.5, va="top")
        for a in (self._m_w, self._m_all, self._m_max, self._m_text):
            self._dynamic(a)
        axm.legend(loc="upper left", bbox_to_anchor=(0.0, 0.86), fontsize=8)
        axm.set_autoscale_on(False)
        add_source(
            fig,
            "Source: inferecon.serving (per-operation roofline: linear layers + attention + "
            "overhead per layer), calibrated on data/h200_decode.csv (H200, Llama-3.1-8B shape, "
            "bf16);\n" + _SOURCE_DATA + ". Dotted: batches whose KV cache does not fit.\n"
            "Shaded: inferecon.calibration_band (the p90 error of the GPU's calibration).",
        )

    def _update(self, p):
        model, gpu, prec, n = p["model"], p["gpu"], p["precision"], int(p["tensor_parallel"])
        ctx, op_b = int(p["context_tokens"]), int(p["batch"])
        kw = dict(precision=prec, tensor_parallel=n, check_memory=False, allow_weight_only=True)
        cal = decode_performance(model, gpu, BATCHES, ctx, **kw)
        ceil = decode_performance(model, gpu, BATCHES, ctx, efficiency=1.0, **kw)
        self._last = pd.DataFrame(
            {
                "batch": BATCHES,
                "context_tokens": ctx,
                "tokens_per_s_per_user": cal["tokens_per_s_per_user"],
                "tokens_per_s_per_gpu": cal["tokens_per_s_per_gpu"],
                "ceiling_tokens_per_s_per_user": ceil["tokens_per_s_per_user"],
                "ceiling_tokens_per_s_per_gpu": ceil["tokens_per_s_per_gpu"],
                "memory_needed_gb": cal["memory_needed_gb"],
                "fits": cal["fits"],
            }
        )
        fits = cal["fits"].to_numpy()
        last_fit = int(np.flatnonzero(fits)[-1]) if fits.any() else -1
        for line, oom, df in ((self._cal, self._cal_oom, cal), (self._ceil, self._ceil_oom, ceil)):
            x, y = df["tokens_per_s_per_user"].to_numpy(), df["tokens_per_s_per_gpu"].to_numpy()
            line.set_data(x[: last_fit + 1], y[: last_fit + 1])
            oom.set_data(x[max(last_fit, 0) :], y[max(last_fit, 0) :])
        band = calibration_band(gpu)
        x, y = cal["tokens_per_s_per_user"].to_numpy(), cal["tokens_per_s_per_gpu"].to_numpy()
        _set_band(
            self._band,  # the fitting part, fastest user first (speed rising)
            frontier_band_polygon(x[: last_fit + 1][::-1], y[: last_fit + 1][::-1], band.rel_error),
        )
        self._last["tokens_per_s_per_gpu_low"], self._last["tokens_per_s_per_gpu_high"] = (
            band_limits(cal["tokens_per_s_per_gpu"].to_numpy(), gpu)
        )
        for t, b in zip(self._ticks, (1, 8, 64, 512, 4096), strict=True):
            i = int(np.searchsorted(BATCHES, b))
            t.xy = (cal["tokens_per_s_per_user"].iloc[i], cal["tokens_per_s_per_gpu"].iloc[i])
            t.set_text(f"batch {b:,}")
        op = decode_performance(model, gpu, op_b, ctx, **kw).iloc[0]
        self._op.set_data([op["tokens_per_s_per_user"]], [op["tokens_per_s_per_gpu"]])
        # measured points only against the curve for their own context (and hardware)
        match = model == _MEASURED_MODEL and gpu == _MEASURED_GPU and prec == "bf16" and n == 1
        rows = self._meas_rows[self._meas_rows["context"] == ctx] if match else self._meas_rows[:0]
        self._meas.set_offsets(
            np.column_stack([rows["tokens_per_s_per_user"], rows["tokens_per_s_total"]])
            if len(rows) else np.empty((0, 2))
        )  # fmt: skip
        self._oom_text.set_text("" if fits.any() else "the weights alone do not fit in memory")
        if not fits.any():  # nothing to draw but the message
            for a in (self._cal, self._cal_oom, self._ceil, self._ceil_oom, self._op):
                a.set_data([], [])
            _set_band(self._band, np.empty((0, 2)))
            for t in self._ticks:
                t.set_text("")

        w_gb = weight_memory_gb(model, prec, n)
        g = get_gpu(gpu)
        cap = g.memory_gb
        self._m_w.set_data([1, 4096], [w_gb / cap] * 2)
        self._m_all.set_data(BATCHES, cal["memory_needed_gb"] / cap)
        mb = max_batch(model, gpu, ctx, prec, tensor_parallel=n)
        f = DEFAULT_MEMORY_FRACTION
        self._m_max.set_data([max(mb, 1)] * 2, [0, f] if mb >= 1 else [0, 0])
        self._m_text.set_text(f"{g.name}: {cap:,.0f} GB per GPU\nweights {w_gb:,.1f} GB")

        if not fits.any():
            return _fits_note(model, gpu, prec, n)
        flag = "" if op["fits"] else " <span style='color:#c0392b'>(does not fit)</span>"
        return (
            f"batch {op_b:,} at {ctx:,} tokens: <b>{_fmt_rate(op['tokens_per_s_per_gpu'])}</b> "
            f"tokens/s per GPU, <b>{_fmt_rate(op['tokens_per_s_per_user'])}</b> tokens/s per "
            f"user ({op['step_ms']:.1f} ms per token, {op['bound']}-bound){flag} · KV cache "
            f"fits at most <b>{mb:,}</b> sequences · ceiling at this batch "
            f"{_fmt_rate(ceil['tokens_per_s_per_gpu'].iloc[int(np.searchsorted(BATCHES, op_b))])}"
            " tokens/s per GPU" + _band_readout(band, op["tokens_per_s_per_gpu"])
        )


def _band_artist(ax, color, label=None) -> PolyCollection:
    """An empty shaded region of ``ax`` in data coordinates for a calibration band (a
    collection, so an export's axes fit it)."""
    return ax.add_collection(
        PolyCollection([np.empty((0, 2))], facecolors=color, edgecolors="none", alpha=0.15,
                       label=label)
    )  # fmt: skip


def _set_band(artist: PolyCollection, vertices) -> None:
    """Show the polygon ``vertices`` (``(n, 2)``; none hides the band)."""
    artist.set_verts([np.asarray(vertices, dtype=float).reshape(-1, 2)])


def _band_readout(band, tokens_per_s_per_gpu: float) -> str:
    """The readout's band: the GPU's calibration and the operating point's range."""
    lo, hi = band_limits(tokens_per_s_per_gpu, band.gpu)
    kind = "calibrated on measurements" if band.calibrated else "extrapolated (transfer rule)"
    return (
        f" · band {_fmt_rate(lo)}-{_fmt_rate(hi)} tokens/s per GPU ({band.gpu} {kind}: "
        f"p90 error ±{band.rel_error:.0%}, {band.statistic})"
    )


# --------------------------------------------------------------------------- roofline


class RooflineExplorer(Explorer):
    """Arithmetic intensity against attainable FLOP/s: when decode stops being memory-bound.

    A decode step of batch b does about 2 FLOPs per weight per sequence while reading each
    weight once, so its intensity grows with b, until the KV cache (read once per sequence,
    with little arithmetic on it) dominates the bytes. Prefill processes the whole prompt per
    weight read and sits far right, under the compute roof.
    """

    name = "roofline"

    def _make_controls(self):
        return {
            **_hardware_controls(),
            "batch": _select(_BATCH_OPTIONS, 64, "Decode batch (sequences)"),
            "context_tokens": _select(_CONTEXT_OPTIONS, 4096, "Context per sequence (tokens)"),
            "prompt_tokens": _select(_CONTEXT_OPTIONS[:9], 2048, "Prefill prompt (tokens)"),
        }

    def _build(self, fig):
        ax = fig.add_axes((0.085, 0.2, 0.6, 0.66))
        self.ax = ax
        add_title(fig, "The roofline: decode is memory-bound until the batch is large")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlim(0.3, 3e5)
        ax.set_ylim(1, 3e4)
        ax.set_xlabel("Arithmetic intensity (FLOP per byte moved)")
        ax.set_ylabel("Attainable (TFLOP/s, log scale)")
        for axis in (ax.xaxis, ax.yaxis):
            axis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:,.10g}"))
        (self._roof,) = ax.plot([], [], color="black", lw=2, label="roofline (datasheet)")
        (self._roof_meas,) = ax.plot(
            [], [], "--", color=MEASURED, lw=1.2, label="measured ceilings (H200 copy, GEMM)"
        )
        (self._ridge,) = ax.plot([], [], ":", color="black", lw=1)
        (self._sweep,) = ax.plot([], [], color=CALIBRATED, lw=1.2, alpha=0.6,
                                 label="decode, batch 1 → 4,096 (calibrated)")  # fmt: skip
        (self._dec,) = ax.plot([], [], "o", ms=10, color=CALIBRATED, label="decode step")
        (self._dec_ach,) = ax.plot([], [], "o", ms=8, mfc="white", mec=CALIBRATED, mew=1.5,
                                   label="achieved (calibrated model)")  # fmt: skip
        (self._pre,) = ax.plot([], [], "s", ms=9, color="#2e8b57", label="prefill pass")
        self._ridge_lbl = ax.text(1, 1, "", fontsize=8.5, rotation=90, va="bottom", ha="right")
        for a in (self._roof, self._roof_meas, self._ridge, self._sweep, self._dec,
                  self._dec_ach, self._pre, self._ridge_lbl):  # fmt: skip
            self._dynamic(a)
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8.5)
        ax.set_autoscale_on(False)
        self._ceilings = c = load_measured_ceilings().set_index("metric")["value"]
        add_source(
            fig,
            "Source: inferecon.serving (FLOPs and bytes per step from the model shape; "
            "Williams et al. 2009, 'Roofline');\n" + _SOURCE_DATA + ";\nmeasured ceilings: "
            f"data/h200_ceilings.csv ({c['copy_tb_s']:.2f} TB/s copy, "
            f"{c['bf16_gemm_tflops']:.0f} TFLOP/s bf16 GEMM, one H200).",
        )

    def _update(self, p):
        model, gpu, prec, n = p["model"], p["gpu"], p["precision"], int(p["tensor_parallel"])
        b, ctx, prompt = int(p["batch"]), int(p["context_tokens"]), int(p["prompt_tokens"])
        g = get_gpu(gpu)
        peak, bw = g.peak_tflops(prec), g.hbm_tb_s
        ridge = ridge_point(g, prec, allow_weight_only=True)
        xs = np.array([0.3, ridge, 3e5])
        self._roof.set_data(xs, attainable_tflops(g, xs, prec, allow_weight_only=True))
        if gpu == _MEASURED_GPU and prec == "bf16":
            c = self._ceilings
            kw = dict(peak_tflops=c["bf16_gemm_tflops"], hbm_tb_s=c["copy_tb_s"])
            xm = np.array([0.3, c["bf16_gemm_tflops"] / c["copy_tb_s"], 3e5])
            self._roof_meas.set_data(xm, attainable_tflops(g, xm, prec, **kw))
        else:
            self._roof_meas.set_data([], [])
        self._ridge.set_data([ridge, ridge], [1, peak])
        self._ridge_lbl.set_position((ridge, 1.3))
        self._ridge_lbl.set_text(f"ridge {ridge:,.0f} FLOP/B")
        kw = dict(precision=prec, tensor_parallel=n, check_memory=False, allow_weight_only=True)
        sweep = decode_performance(model, gpu, BATCHES, ctx, **kw)
        ach = sweep["achieved_tflops_per_gpu"]
        self._sweep.set_data(sweep["arithmetic_intensity"], ach)
        d = decode_performance(model, gpu, b, ctx, **kw).iloc[0]
        pre = prefill_performance(
            model, gpu, prompt, 1, prec, tensor_parallel=n, allow_weight_only=True
        ).iloc[0]
        di, pi = d["arithmetic_intensity"], pre["arithmetic_intensity"]
        self._dec.set_data([di], [attainable_tflops(g, di, prec, allow_weight_only=True)])
        self._dec_ach.set_data([di], [d["achieved_tflops_per_gpu"]])
        self._pre.set_data([pi], [attainable_tflops(g, pi, prec, allow_weight_only=True)])
        self._last = pd.DataFrame(
            {
                "batch": sweep["batch"],
                "context_tokens": ctx,
                "arithmetic_intensity": sweep["arithmetic_intensity"],
                "attainable_tflops": attainable_tflops(
                    g, sweep["arithmetic_intensity"], prec, allow_weight_only=True
                ),
                "achieved_tflops_calibrated": ach,
                "bound": sweep["bound"],
            }
        )
        fits = "" if d["fits"] else " (this batch's KV cache does not fit in memory)"
        return (
            f"{g.name} {prec}: peak {peak:,.0f} TFLOP/s, {bw:.2f} TB/s, ridge "
            f"<b>{ridge:,.0f} FLOP/byte</b> · decode batch {b:,} at {ctx:,} tokens: intensity "
            f"<b>{di:,.1f}</b> FLOP/byte, <b>{d['bound']}-bound</b>{fits} · prefill of "
            f"{prompt:,} tokens: intensity <b>{pi:,.0f}</b>, {pre['bound']}-bound, "
            f"time to first token {pre['step_ms']:,.0f} ms"
        )


# --------------------------------------------------------------------------- cost and energy


class CostEnergyExplorer(Explorer):
    """USD per million output tokens and joules per output token against batch size.

    Requests of a given prompt and output length are served a batch at a time: each waits
    one prefill for its first token, then shares every decode step with the batch. Cost per
    token falls with batch as long as steps stay memory-bound (more tokens per GPU-second);
    energy falls too, since the weights are read once per step whatever the batch.
    """

    name = "cost_per_token"

    def _make_controls(self):
        c = {
            **_hardware_controls(),
            "prompt_tokens": _select(_CONTEXT_OPTIONS[:9], 1024, "Prompt length (tokens)"),
            "output_tokens": _select(
                [64, 128, 256, 512, 1024, 2048, 4096, 8192], 512, "Output length (tokens)"
            ),  # fmt: skip
            "usd_per_gpu_hour": float_slider(2.5, 0.25, 12.0, 0.05, "GPU price (USD/GPU-hour)"),
            "pue": float_slider(1.3, 1.0, 2.0, 0.01, "Facility PUE (ratio)"),
            "batch": _select(_BATCH_OPTIONS, 64, "Operating point: batch (sequences)"),
        }
        return c

    def _build(self, fig):
        ax, axe = side_by_side(fig, 1.0, 0.3, left=0.085)
        self.ax, self.ax_e = ax, axe
        add_title(fig, "Bigger batches make tokens cheaper and greener, up to memory")
        for a, label, lim in (
            (ax, "Cost (USD per million output tokens)", (1e-3, 1e3)),
            (axe, "Energy (joules per output token, board)", (1e-3, 1e2)),
        ):
            a.set_xscale("log")
            a.set_yscale("log")
            a.set_xlim(1, 4096)
            a.set_ylim(*lim)
            a.set_xlabel("Batch (sequences)")
            a.set_ylabel(label)
            a.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:,.0f}"))
            a.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:,.10g}"))
            a.set_autoscale_on(False)
        self._c_band = _band_artist(ax, CALIBRATED, "model's band (p90 error)")
        (self._c_cal,) = ax.plot([], [], color=CALIBRATED, label="calibrated model")
        (self._c_ceil,) = ax.plot([], [], "--", color=CEILING, label="physical ceiling")
        (self._c_oom,) = ax.plot([], [], ":", color=CALIBRATED, lw=1.2, label="does not fit")
        (self._c_op,) = ax.plot([], [], "o", ms=8, mfc="white", mec=CALIBRATED, mew=2)
        (self._e_cal,) = axe.plot([], [], color=CALIBRATED, label="board energy")
        (self._e_fac,) = axe.plot([], [], color="#e67e22", label="facility energy (× PUE)")
        (self._e_oom,) = axe.plot([], [], ":", color=CALIBRATED, lw=1.2)
        (self._e_op,) = axe.plot([], [], "o", ms=8, mfc="white", mec=CALIBRATED, mew=2)
        for a in (self._c_band, self._c_cal, self._c_ceil, self._c_oom, self._c_op, self._e_cal,
                  self._e_fac, self._e_oom, self._e_op):  # fmt: skip
            self._dynamic(a)
        ax.legend(loc="upper right", fontsize=8.5)
        axe.legend(loc="upper right", fontsize=8.5)
        add_source(
            fig,
            "Source: inferecon.serving.serving_performance (static batching: prefill each "
            "prompt, then decode the batch; calibrated on data/h200_decode.csv);\npower between "
            "idle and TDP driven by bandwidth and FLOP utilisation; " + _SOURCE_DATA + ".\n"
            "Shaded: inferecon.band_limits, the cost (GPU-hours per token) under the p90 "
            "error of the GPU's calibration (inferecon.calibration_band).",
        )

    def _update(self, p):
        model, gpu, prec, n = p["model"], p["gpu"], p["precision"], int(p["tensor_parallel"])
        prompt, out = int(p["prompt_tokens"]), int(p["output_tokens"])
        price, pue, op_b = float(p["usd_per_gpu_hour"]), float(p["pue"]), int(p["batch"])
        kw = dict(precision=prec, tensor_parallel=n, usd_per_gpu_hour=price, pue=pue,
                  check_memory=False, allow_weight_only=True)  # fmt: skip
        cal = serving_performance(model, gpu, BATCHES, prompt, out, **kw)
        ceil = serving_performance(model, gpu, BATCHES, prompt, out, efficiency=1.0, **kw)
        fits = cal["fits"].to_numpy()
        k = int(np.flatnonzero(fits)[-1]) + 1 if fits.any() else 0
        cost, j = cal["usd_per_mtok_output"].to_numpy(), cal["joules_per_output_token"].to_numpy()
        self._c_cal.set_data(BATCHES[:k], cost[:k])
        c_lo, c_hi = band_limits(cost, gpu, scales_with="step_time")
        _set_band(
            self._c_band,
            np.column_stack(
                [np.r_[BATCHES[:k], BATCHES[:k][::-1]], np.r_[c_lo[:k], c_hi[:k][::-1]]]
            )
            if k
            else np.empty((0, 2)),
        )
        self._c_oom.set_data(BATCHES[max(k - 1, 0) :], cost[max(k - 1, 0) :])
        self._c_ceil.set_data(BATCHES, ceil["usd_per_mtok_output"])
        self._e_cal.set_data(BATCHES[:k], j[:k])
        self._e_fac.set_data(BATCHES[:k], j[:k] * pue)
        self._e_oom.set_data(BATCHES[max(k - 1, 0) :], j[max(k - 1, 0) :])
        i = int(np.searchsorted(BATCHES, op_b))
        self._c_op.set_data([op_b], [cost[i]])
        self._e_op.set_data([op_b], [j[i]])
        self._last = pd.DataFrame(
            {
                "batch": BATCHES,
                "usd_per_mtok_output": cost,
                "usd_per_mtok_output_low": c_lo,
                "usd_per_mtok_output_high": c_hi,
                "ceiling_usd_per_mtok_output": ceil["usd_per_mtok_output"],
                "joules_per_output_token": j,
                "facility_joules_per_output_token": j * pue,
                "ttft_ms": cal["ttft_ms"],
                "tpot_ms": cal["tpot_ms"],
                "wh_per_response": cal["wh_per_response"],
                "fits": fits,
            }
        )
        if not fits.any():
            return _fits_note(model, gpu, prec, n)
        r = cal.iloc[i]
        flag = "" if r["fits"] else " <span style='color:#c0392b'>(does not fit)</span>"
        return (
            f"batch {op_b:,}{flag}: <b>${r['usd_per_mtok_output']:,.3g}</b> per million output "
            f"tokens (band ${c_lo[i]:,.3g}-{c_hi[i]:,.3g}; ceiling "
            f"${ceil['usd_per_mtok_output'].iloc[i]:,.3g}) · "
            f"<b>{r['joules_per_output_token']:.3g} J</b> per token on the board, "
            f"{r['facility_wh_per_response']:.3g} Wh per {out:,}-token response at the "
            f"facility · first token after {r['ttft_ms']:,.0f} ms, then "
            f"{r['tokens_per_s_per_user']:,.0f} tokens/s"
        )


# --------------------------------------------------------------------------- calibration


class CalibrationExplorer(Explorer):
    """Measured against predicted step times, and the residual of every measured row.

    Parameters
    ----------
    calibrations : Calibration or dict of str to Calibration, optional
        What to show: one calibration, or several by label (a dropdown picks one, e.g. the
        fit on every row against fits that held rows out). By default
        :func:`inferecon.default_calibration` (every bundled H200 row).
    source : str, optional
        Where the measurements come from (shown under the figure).
    **params
        Initial control values.
    """

    name = "calibration"

    def __init__(
        self,
        calibrations: Calibration | dict[str, Calibration] | None = None,
        source: str | None = None,
        **params: Any,
    ):
        if calibrations is None:
            calibrations = default_calibration()
        if isinstance(calibrations, Calibration):
            calibrations = {f"all {calibrations.n_rows} fitted rows": calibrations}
        if not calibrations:
            raise ValueError("calibrations must hold at least one Calibration")
        self._cals = dict(calibrations)
        first = next(iter(self._cals.values()))
        self.measurements = first.residuals
        self.model, self.gpu = first.models[0], first.gpus[0]
        self.source = source or "data/h200_decode.csv (one H200, Llama-3.1-8B shape, bf16)"
        super().__init__(**params)

    def _make_controls(self):
        opts = list(self._cals)
        return {
            "fit_to": dropdown(opts, opts[0], "Calibration shown"),
            "show_ceiling": checkbox(True, "Show the physical ceiling (efficiency 1)"),
        }

    def _build(self, fig):
        ax, axr = side_by_side(fig, 1.5, 0.3, left=0.085)
        self.ax, self.ax_r = ax, axr
        add_title(fig, f"Calibrating the roofline to measurements: {self.model} on {self.gpu}")
        res = self.measurements
        mine = (res["model"] == self.model) & (res["gpu"] == self.gpu)
        dec = res[mine & (res["kind"] == "decode")]
        ax.set_xscale("log")
        ax.set_yscale("log")
        bmax = max(int(dec["batch"].max()) if len(dec) else 256, 2)
        ax.set_xlim(0.8, bmax * 1.25)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:,.0f}"))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:,.10g}"))
        ax.set_xlabel("Decode batch (sequences)")
        ax.set_ylabel("Decode step time (ms)")
        self._ctxs = sorted(dec["context"].unique())[:4]
        colors = ["#1f4e79", "#2e8b57", "#e67e22", "#7d3c98"]
        self._pred, self._ceil = [], []
        for c, col in zip(self._ctxs, colors, strict=False):
            rows = dec[dec["context"] == c]
            ax.plot(rows["batch"], rows["measured_ms"], "o", color=col,
                    label=f"measured, {c:,} ctx")  # fmt: skip
            (lp,) = ax.plot([], [], color=col, lw=1.5)
            (lc,) = ax.plot([], [], "--", color=col, lw=1.0, alpha=0.7)
            self._pred.append(self._dynamic(lp))
            self._ceil.append(self._dynamic(lc))
        ax.plot([], [], color="black", lw=1.5, label="model, calibrated")
        ax.plot([], [], "--", color="black", lw=1.0, label="ceiling (efficiency 1)")
        ax.legend(loc="upper left", fontsize=8)
        if len(dec):
            lo = min(dec["measured_ms"].min(), 0.5)
            ax.set_ylim(lo * 0.5, dec["measured_ms"].max() * 2.5)
        ax.set_autoscale_on(False)
        several = res["model"].nunique() > 1 or res["gpu"].nunique() > 1
        self._labels = [
            (f"{m} " if several else "") + f"{'D' if k == 'decode' else 'P'} b{b} c{c}"
            for m, k, b, c in zip(
                res["model"], res["kind"], res["batch"], res["context"], strict=True
            )  # fmt: skip
        ]
        y = np.arange(len(res))
        self._bars = axr.barh(y, np.zeros(len(res)), color=CALIBRATED, height=0.7)
        for bar in self._bars:
            self._dynamic(bar)
        axr.set_yticks(y, self._labels, fontsize=6.5)
        axr.invert_yaxis()
        axr.axvline(0, color="black", lw=0.8)
        axr.set_xlim(-60, 140)
        axr.set_xlabel("Prediction error (%)")
        axr.set_title("Residual per measured row", fontsize=10.5)
        axr.set_autoscale_on(False)
        add_source(
            fig,
            f"Source: measurements {self.source};\ninferecon.calibrate (least squares "
            "on log step time). Residual bars: dark = rows used in the fit, light = rows "
            "predicted, not fitted.\nD = decode (batch b, context c), P = prefill of c tokens.",
        )

    def _update(self, p):
        cal = self._cals[p["fit_to"]]
        e = cal.efficiency
        b = np.unique(np.round(np.geomspace(1, self.ax.get_xlim()[1], 40)))
        for c, lp, lc in zip(self._ctxs, self._pred, self._ceil, strict=False):
            kw = dict(check_memory=False)
            pr = decode_performance(self.model, self.gpu, b, c, efficiency=cal, **kw)
            lp.set_data(b, pr["step_ms"])
            ce = decode_performance(self.model, self.gpu, b, c, efficiency=1.0, **kw)
            lc.set_data(b, ce["step_ms"])
            lc.set_visible(bool(p["show_ceiling"]))
        res = cal.residuals
        err = np.clip(res["error_pct"].to_numpy(), -60, 140)
        fitted = res["fitted"].to_numpy()
        for bar, v, f in zip(self._bars, err, fitted, strict=True):
            bar.set_width(v)
            bar.set_color(CALIBRATED if f else "#9db7d5")
        self._last = res.copy()
        over = e.overhead_ms + e.overhead_per_layer_ms * get_model(self.model).n_layers
        return (
            f"fitted to {cal.n_rows} rows: memory efficiency <b>{e.memory:.2f}</b>, "
            f"large-GEMM compute efficiency <b>{e.compute:.2f}</b> (half of it at "
            f"{e.compute_half_tokens:,.0f} tokens per step), overhead <b>"
            f"{e.overhead_per_layer_ms * 1e3:.0f} µs per layer</b> ({over:.2f} ms per step for "
            f"{self.model}) · median error <b>{cal.median_ape_pct:.1f}%</b> (max "
            f"{cal.max_ape_pct:.1f}%) on the fitted rows · power: median error "
            f"{cal.power_median_ape_pct:.1f}%"
        )
