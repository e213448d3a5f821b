"""Figures and explorers for notebook 03: goodput under load (the continuous-batching simulator)."""

from __future__ import annotations

import textwrap
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter, PercentFormatter
from matplotlib.transforms import offset_copy

from ..goodput_search import RATE_GRID_CAPACITY_SHARES, LoadSweep, load_sweep, rate_grid_per_gpu
from ..simulator import POLICIES, simulate_serving
from ..slo_metrics import DISTSERVE_SLOS, slo_attainment
from ..sweep_analysis import (
    attainment_by_rate,
    attainment_per_target,
    grid_goodput_rps_per_gpu,
    published_sweep_agreement,
    sweep_latencies,
    throughput_at_rate_rps_per_gpu,
    vllm_goodput_rps,
)
from ..uncertainty import calibration_band, scaled_grid_goodput_rps_per_gpu
from ..workloads import lognormal_lengths, poisson_workload
from .controls import dropdown, float_slider
from .explorer import _MODE, DRAW_LOCK, Explorer, display_mode
from .serving import _hardware_controls, _select
from .style import add_source, add_title, nice_ceiling

__all__ = ["GoodputExplorer", "PublishedSweepsExplorer", "ServingLoadExplorer"]

_TTFT_OPTIONS = [50, 100, 125, 200, 250, 300, 500, 1000, 2000, 2500, 4000, 5000, 10000, 15000]
_TPOT_OPTIONS = [10, 15, 20, 25, 30, 40, 50, 75, 100, 150, 200, 300, 500]
_SPLITS = {"1:1": (1, 1), "2:1": (2, 1), "1:2": (1, 2), "3:1": (3, 1), "1:3": (1, 3)}
_PRESETS = ["custom", *DISTSERVE_SLOS]
_SOURCE = (
    "Source: inferecon.simulate_serving (continuous batching, paged KV cache, preemption by "
    "recompute) on the calibrated step model of notebook 02 (data/h200_decode.csv);\n"
    "Poisson arrivals; lognormal prompt and output lengths; SLO presets: DistServe (Zhong et al. "
    "2024, OSDI, Table 1)."
)
POLICY_COLORS = {
    "chunked_prefill": "#1f4e79",
    "prefill_first": "#e67e22",
    "disaggregated": "#2e8b57",
}


def _workload_controls(prompt=512, output=256):
    return {
        "prompt_mean": _select([64, 128, 256, 512, 1024, 2048, 4096, 8192], prompt,
                               "Prompt length, mean (tokens)", continuous=False),
        "output_mean": _select([16, 32, 64, 128, 256, 512, 1024, 2048], output,
                               "Output length, mean (tokens)", continuous=False),
        "length_cv": float_slider(1.0, 0.0, 3.0, 0.25, "Length spread (std / mean, ratio)",
                                  continuous_update=False),
    }  # fmt: skip


def _slo_controls():
    return {
        "preset": dropdown(_PRESETS, "custom", "SLO preset (DistServe, Table 1)"),
        "ttft_ms": _select(_TTFT_OPTIONS, 500, "Target: time to first token (ms)"),
        "tpot_ms": _select(_TPOT_OPTIONS, 50, "Target: time per output token (ms)"),
    }


def _apply_preset(controls, change) -> None:
    preset = change["new"]
    if preset in DISTSERVE_SLOS:
        slo = DISTSERVE_SLOS[preset]
        controls["ttft_ms"].value = int(slo["ttft_ms"])
        controls["tpot_ms"].value = int(slo["tpot_ms"])


def _lengths(p):
    cv = float(p["length_cv"])
    return lognormal_lengths(p["prompt_mean"], cv), lognormal_lengths(p["output_mean"], cv)


def _ms_axis(ax, lo=1.0, hi=1e5):
    ax.set_xscale("log")
    ax.set_xlim(lo, hi)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:,.10g}"))


def _cdf(values) -> tuple[np.ndarray, np.ndarray]:
    v = np.sort(np.asarray(values, dtype=float))
    v = v[np.isfinite(v)]
    if not len(v):
        return np.array([]), np.array([])
    return v, np.arange(1, len(v) + 1) / len(v)


def _dynamic_ticks(ax, axis: str, positions) -> list:
    """Fixed ticks at ``positions`` (data coordinates of ``ax``) whose labels are texts the
    caller registers as dynamic and fills per update: the axis's limits stay fixed while the
    values they stand for change, so updates blit instead of redrawing the figure."""
    from matplotlib.ticker import FixedLocator, NullLocator

    a = ax.xaxis if axis == "x" else ax.yaxis
    a.set_major_locator(FixedLocator(list(positions)))
    a.set_minor_locator(NullLocator())
    tick = a.get_major_ticks()[0]
    size, pad = tick.label1.get_fontsize(), tick.get_pad() + tick.get_tick_padding()
    # invisible placeholders keep the label row's size, so axis labels sit where they would
    a.set_ticklabels([" " if axis == "x" else "0.000"] * len(positions))
    a.set_tick_params(labelcolor=(0.0, 0.0, 0.0, 0.0))
    if axis == "x":
        where = offset_copy(ax.get_xaxis_transform(), fig=ax.figure, y=-pad, units="points")
        return [ax.text(v, 0.0, "", transform=where, ha="center", va="top", fontsize=size)
                for v in positions]  # fmt: skip
    where = offset_copy(ax.get_yaxis_transform(), fig=ax.figure, x=-pad, units="points")
    return [ax.text(0.0, v, "", transform=where, ha="right", va="center", fontsize=size)
            for v in positions]  # fmt: skip


def _set_round_log_ticks(ax, axis: str, unit: float) -> bool:
    """Ticks at round values (1, 2, 5 x 10^k) of a log axis drawn in relative units (the
    axis shows ``value / unit`` between fixed limits), labelled with the values.

    Returns whether the ticks changed (then the static background must be redrawn: the
    explorer's layout key holds fixed tick positions and labels).
    """
    from matplotlib.ticker import FixedFormatter, FixedLocator, NullLocator

    a = ax.xaxis if axis == "x" else ax.yaxis
    lo, hi = ax.get_xlim() if axis == "x" else ax.get_ylim()
    values = _round_log_values(lo * unit, hi * unit, 12)
    positions = [v / unit for v in values]
    labels = [_tick_label(v) for v in values]
    old = a.get_major_locator()
    if isinstance(old, FixedLocator) and list(old.locs) == positions:
        fmt = a.get_major_formatter()
        if isinstance(fmt, FixedFormatter) and list(fmt.seq) == labels:
            return False
    a.set_major_locator(FixedLocator(positions))
    a.set_major_formatter(FixedFormatter(labels))
    a.set_minor_locator(NullLocator())
    return True


def _round_log_values(lo: float, hi: float, at_most: int) -> list[float]:
    """The values 1, 2, 5 x 10^k in [lo, hi] (only 1 x 10^k where those are too many)."""
    if not (0 < lo < hi and np.isfinite(hi)):
        return []
    k0, k1 = int(np.floor(np.log10(lo))), int(np.ceil(np.log10(hi)))
    for mantissas in ((1.0, 2.0, 5.0), (1.0,)):
        vals = [m * 10.0**k for k in range(k0, k1 + 1) for m in mantissas]
        vals = [v for v in vals if lo <= v * (1 + 1e-12) and v <= hi * (1 + 1e-12)]
        if len(vals) <= at_most and len(vals) >= 2 or mantissas == (1.0,):
            return vals[:at_most]
    return []  # pragma: no cover


# --------------------------------------------------------------------------- preview, then refine

_REFINER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="inferecon-refine")
"""Runs the refinements of every explorer, one at a time (a stale one returns at once)."""

_REFINE_MODES = ("auto", "background", "deferred", "sync")


def _in_kernel() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover
        return False
    ip = get_ipython()
    return ip is not None and getattr(ip, "kernel", None) is not None


class _PreviewThenRefine:
    """Mixin for explorers whose update re-simulates: a small simulation answers first (the
    preview, labelled as such in the readout and the figure), the full one replaces it after
    the control callback has returned.

    A subclass implements ``_result(p, final, is_current)`` (cached by parameters; returns
    ``None`` when ``is_current()`` turns false mid-way), ``_cached(p)`` (the full result if
    kept, else ``None``) and ``_show(p, result, preview)`` (set the artists, return the
    readout; called under :data:`DRAW_LOCK`).

    ``refine`` says when the full result is computed:

    * ``"background"``: on a worker thread, then drawn under :data:`DRAW_LOCK` (a kernel: the
      drag is never blocked by it);
    * ``"deferred"``: when asked (:meth:`wait_refined`, :meth:`export`): scripts and tests,
      where no event loop would show a later drawing;
    * ``"sync"``: inside the update, no preview (report mode);
    * ``"auto"`` (default): ``"sync"`` in report mode, ``"background"`` in a kernel, else
      ``"deferred"``.

    Each update takes a new generation number; a refinement whose generation is no longer the
    current one is dropped without drawing (counted in ``refinements["dropped"]``).
    """

    refine: str = "auto"
    refine_delay_s: float = 0.25
    """Seconds a background refinement waits before it starts (a newer change within them
    supersedes it, so a drag of several steps refines once, after its last step)."""

    def _init_refine(self, refine: str) -> None:
        if refine not in _REFINE_MODES:
            raise ValueError(f"refine must be one of {list(_REFINE_MODES)}; got {refine!r}")
        self.refine = refine
        self._generation = 0
        self._refined = threading.Event()
        self._future = None
        self._executor = _REFINER
        self.refinements = {"applied": 0, "dropped": 0}
        self.shown_preview = False

    def _refine_mode(self) -> str:
        if self.refine != "auto":
            return self.refine
        if _MODE["mode"] == "static":
            return "sync"
        return "background" if _in_kernel() else "deferred"

    def _update(self, p):
        self._generation += 1
        gen = self._generation
        full = self._cached(p)
        if full is None and self._refine_mode() == "sync":
            full = self._result(p, True, lambda: True)
        if full is not None:
            self._future = None
            self._refined.set()
            return self._draw(p, full, preview=False)
        preview = self._result(p, False, lambda: True)
        full = self._cached(p)  # a preview as large as the full run is the full run
        if full is not None:
            self._future = None
            self._refined.set()
            return self._draw(p, full, preview=False)
        self._refined.clear()
        html = self._draw(p, preview, preview=True)
        if self._refine_mode() == "background":
            self._future = self._executor.submit(self._refine, gen, p)
        return html

    def _draw(self, p, result, preview: bool) -> str:
        self.shown_preview = preview
        return self._show(p, result, preview)

    def _refine(self, gen: int, p) -> bool:
        """Compute the full result for generation ``gen`` and draw it, unless superseded."""

        def current():
            return gen == self._generation

        if self.refine_delay_s > 0 and threading.current_thread() is not threading.main_thread():
            time.sleep(self.refine_delay_s)  # a drag goes on: let its next change supersede
        if not current():
            self.refinements["dropped"] += 1
            return False
        try:
            result = self._result(p, True, current)
        except Exception as exc:  # shown, not lost on the worker thread
            with DRAW_LOCK:
                if current():
                    self.readout.value += (
                        f" <span style='color:#c0392b'><b>Refinement failed:</b> {exc}</span>"
                    )
            raise
        with DRAW_LOCK:
            if result is None or not current():
                self.refinements["dropped"] += 1
                return False
            if self._refined.is_set():  # drawn already (an export refined it first)
                return True
            self.readout.value = self._draw(p, result, preview=False)
            self.redraw()
            if self._output is not None:
                if threading.current_thread() is threading.main_thread():
                    self._refresh_output()
                else:  # an Output's context manager captures only the kernel's own thread
                    with self._all_drawn():
                        self._output.outputs = ()
                        self._output.append_display_data(self.fig)
            self.refinements["applied"] += 1
            self._refined.set()
        return True

    def wait_refined(self, timeout: float | None = None) -> bool:
        """Block until the figure shows the full result for the current controls.

        In ``"background"`` mode waits for the worker (do not call it while holding
        :data:`DRAW_LOCK`: the worker needs it to draw); otherwise computes the full result
        here.

        Parameters
        ----------
        timeout : float, optional
            Seconds to wait at most (background mode); None waits as long as it takes.

        Returns
        -------
        bool
            Whether the full result is shown.
        """
        if self._refined.is_set():
            return True
        future = self._future
        if self._refine_mode() == "background" and future is not None:
            try:
                future.result(timeout)
            except TimeoutError:
                return False
            if self._refined.is_set() or self._future is future:
                return self._refined.is_set()
            return self.wait_refined(timeout)  # superseded meanwhile: wait for the newer one
        self._refine(self._generation, self._params())
        return self._refined.is_set()

    def export(self, *args, **kwargs):
        """As :meth:`Explorer.export`, after the full result has replaced any preview (an
        export never shows a preview)."""
        with DRAW_LOCK:
            if not self._refined.is_set():
                self._refine(self._generation, self._params())
            return super().export(*args, **kwargs)

    def show(self):
        """As :meth:`Explorer.show`; in report mode with the full result."""
        if display_mode(self.fig) == "static":
            with DRAW_LOCK:
                if not self._refined.is_set():
                    self._refine(self._generation, self._params())
        return super().show()


def _preview_label(n_preview: int, n_full: int, what: str = "requests") -> str:
    return f"Preview: {n_preview:,} {what}; refining to {n_full:,}…"


# --------------------------------------------------------------------------- one simulation


class ServingLoadExplorer(_PreviewThenRefine, Explorer):
    """What users see at one arrival rate: the distributions of time to first token and time
    per output token against their targets, and the batch and queue over time.

    A change that re-simulates shows a run of ``preview_requests`` requests first (labelled
    as a preview), then the run of ``n_requests`` (see ``refine``; :meth:`wait_refined`
    waits for it, and exports always show it).

    Parameters
    ----------
    n_requests : int
        Requests per simulation (default 2,000).
    preview_requests : int
        Requests of the first, quick run after a change (default 200).
    refine : {"auto", "background", "deferred", "sync"}
        When the full run replaces the preview (see :class:`_PreviewThenRefine`).
    **params
        Initial control values.
    """

    name = "serving_load"
    figsize = (11.0, 5.6)
    _TIME_TICKS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)

    def _export_fit(self, ax) -> str:
        # the CDFs keep 0-100%; the time panel keeps its 0-1 span (its tick labels are
        # drawn for it) and its fixed log scale (legend room)
        return "x" if ax in (self.ax_ttft, self.ax_tpot) else ("" if ax is self.ax_t else "xy")

    def __init__(self, n_requests: int = 2_000, preview_requests: int = 200,
                 refine: str = "auto", **params: Any):  # fmt: skip
        self.n_requests = int(n_requests)
        self.preview_requests = max(1, min(int(preview_requests), self.n_requests))
        self._cache: dict[tuple, object] = {}
        self._cache_lock = threading.Lock()
        self._init_refine(refine)
        super().__init__(**params)

    def _make_controls(self):
        return {
            **_hardware_controls(simulates=True),
            "policy": dropdown(list(POLICIES), "chunked_prefill", "Scheduler"),
            "split": dropdown(list(_SPLITS), "1:1", "Disaggregated: prefill:decode instances"),
            "rate_per_s": float_slider(20.0, 0.5, 200.0, 0.5, "Arrival rate (requests/s)",
                                       fmt=".1f", continuous_update=False),  # fmt: skip
            **_workload_controls(),
            "max_running_requests": _select([8, 16, 32, 64, 128, 256, 512], 256,
                                 "Most requests in a batch (requests)", continuous=False),
            "chunk_tokens": _select([256, 512, 1024, 2048, 4096, 8192], 2048,
                                    "Tokens per iteration (chunk budget, tokens)",
                                    continuous=False),
            **_slo_controls(),
        }  # fmt: skip

    def _on_control(self, name, change):
        if name == "preset":
            _apply_preset(self.controls, change)

    def _build(self, fig):
        gs = fig.add_gridspec(1, 3, left=0.075, right=0.98, top=0.84, bottom=0.22, wspace=0.32)
        self.ax_ttft, self.ax_tpot, self.ax_t = (fig.add_subplot(gs[i]) for i in range(3))
        add_title(fig, "At one arrival rate: who gets the latency they were promised")
        for ax, title, lo in (
            (self.ax_ttft, "Time to first token", 1.0),
            (self.ax_tpot, "Time per output token", 0.5),
        ):
            _ms_axis(ax, lo, 1e5 if lo == 1.0 else 1e4)
            ax.set_ylim(0, 1.02)
            ax.yaxis.set_major_formatter(PercentFormatter(1.0))
            ax.set_xlabel(f"{title} (ms, log scale)")
            ax.set_title(title, fontsize=10.5)
            ax.set_autoscale_on(False)
        self.ax_ttft.set_ylabel("Requests at or below (CDF)")
        (self._ttft,) = self.ax_ttft.plot([], [], color="#1f4e79", lw=1.8)
        (self._tpot,) = self.ax_tpot.plot([], [], color="#1f4e79", lw=1.8)
        (self._ttft_t,) = self.ax_ttft.plot([], [], "--", color="#c0392b", lw=1.2,
                                            label="target")  # fmt: skip
        (self._tpot_t,) = self.ax_tpot.plot([], [], "--", color="#c0392b", lw=1.2,
                                            label="target")  # fmt: skip
        self._ttft_txt = self.ax_ttft.text(0.03, 0.93, "", transform=self.ax_ttft.transAxes,
                                           fontsize=8.5, va="top")  # fmt: skip
        self._tpot_txt = self.ax_tpot.text(0.03, 0.93, "", transform=self.ax_tpot.transAxes,
                                           fontsize=8.5, va="top")  # fmt: skip
        self.ax_ttft.legend(loc="lower right", fontsize=8)
        ax = self.ax_t
        ax.set_yscale("log")
        ax.set_ylim(0.8, 3e4)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:,.10g}"))
        ax.set_xlabel("Simulated time (s)")
        ax.set_ylabel("Requests (log scale)")
        ax.set_title("Batch and queue over time", fontsize=10.5)
        # the time axis spans 0-1 of a nice round duration; its tick labels are dynamic
        # texts (the duration changes with every run, the layout does not: updates blit)
        ax.set_xlim(0.0, 1.0)
        self._time_labels = _dynamic_ticks(ax, "x", self._TIME_TICKS)
        (self._batch,) = ax.plot([], [], color="#1f4e79", lw=1.2, label="running (batch)")
        (self._queue,) = ax.plot([], [], color="#e67e22", lw=1.2, label="waiting (queue)")
        (self._cap,) = ax.plot([], [], ":", color="black", lw=1.0, label="most in a batch")
        ax.legend(loc="upper left", fontsize=8)
        ax.set_autoscale_on(False)
        self._preview_txt = fig.text(0.98, 0.885, "", ha="right", va="bottom", fontsize=8.5,
                                     color="#c0392b", style="italic")  # fmt: skip
        for a in (self._ttft, self._tpot, self._ttft_t, self._tpot_t, self._ttft_txt,
                  self._tpot_txt, self._batch, self._queue, self._cap, self._preview_txt,
                  *self._time_labels):  # fmt: skip
            self._dynamic(a)
        add_source(fig, _SOURCE)

    _KEYS = ("model", "gpu", "precision", "tensor_parallel", "policy", "split", "rate_per_s",
             "prompt_mean", "output_mean", "length_cv", "max_running_requests",
             "chunk_tokens")  # fmt: skip

    def _cached(self, p):
        with self._cache_lock:
            return self._cache.get((*(p[k] for k in self._KEYS), self.n_requests))

    def _result(self, p, final, is_current):
        n = self.n_requests if final else self.preview_requests
        key = (*(p[k] for k in self._KEYS), n)
        with self._cache_lock:
            if key in self._cache:
                return self._cache[key]
        prompt, output = _lengths(p)
        pre, dec = _SPLITS[p["split"]]
        # the chunk budget is chunked prefill's; the other policies keep vLLM's default
        chunk = int(p["chunk_tokens"]) if p["policy"] == "chunked_prefill" else None
        try:
            with warnings.catch_warnings():  # a truncated run: the readout says so
                warnings.simplefilter("ignore", RuntimeWarning)
                res = simulate_serving(
                    p["model"], p["gpu"], poisson_workload(p["rate_per_s"], n, prompt, output),
                    policy=p["policy"], precision=p["precision"],
                    tensor_parallel=int(p["tensor_parallel"]),
                    max_running_requests=int(p["max_running_requests"]), max_batch_tokens=chunk,
                    prefill_instances=pre, decode_instances=dec, max_time_s=3600.0,
                )  # fmt: skip
        except ValueError as exc:  # a model that does not fit: say so, draw nothing
            res = str(exc)
        with self._cache_lock:
            self._cache[key] = res
            if isinstance(res, str):  # no larger run would fit either
                self._cache[(*key[:-1], self.n_requests)] = res
            while len(self._cache) > 32:
                self._cache.pop(next(iter(self._cache)))
        return res

    def _show(self, p, res, preview):
        ttft_t, tpot_t = float(p["ttft_ms"]), float(p["tpot_ms"])
        self._ttft_t.set_data([ttft_t, ttft_t], [0, 1.02])
        self._tpot_t.set_data([tpot_t, tpot_t], [0, 1.02])
        self._preview_txt.set_text(
            _preview_label(self.preview_requests, self.n_requests) if preview else ""
        )
        if isinstance(res, str):
            for a in (self._ttft, self._tpot, self._batch, self._queue, self._cap):
                a.set_data([], [])
            for t in (self._ttft_txt, self._tpot_txt, *self._time_labels):
                t.set_text("")
            self._last = pd.DataFrame(columns=["ttft_ms", "tpot_ms"])
            return f"<span style='color:#c0392b'><b>Cannot simulate:</b> {res}</span>"
        req = res.requests
        x, y = _cdf(np.clip(req["ttft_ms"].to_numpy(dtype=float), 1.0, 1e5))
        self._ttft.set_data(x, y)
        x, y = _cdf(np.clip(req["tpot_ms"].to_numpy(dtype=float), 0.5, 1e4))
        self._tpot.set_data(x, y)
        met_ttft, met_tpot = attainment_per_target(req, ttft_t, tpot_t)
        self._ttft_txt.set_text(f"{met_ttft:.0%} within target")
        self._tpot_txt.set_text(f"{met_tpot:.0%} within target")
        tl = res.timeline.dropna()
        t = tl["time_s"].to_numpy(dtype=float)
        end = float(t.max()) if len(t) else 1.0
        span = nice_ceiling(end, steps=(1.0, 2.0, 2.5, 5.0))
        # on the log axis an empty batch or queue is a gap, not a line at the bottom
        batch, queue = tl["batch"].to_numpy(dtype=float), tl["queue"].to_numpy(dtype=float)
        self._batch.set_data(t / span, np.where(batch >= 1, batch, np.nan))
        self._queue.set_data(t / span, np.where(queue >= 1, queue, np.nan))
        self._cap.set_data([0, end / span], [p["max_running_requests"]] * 2)
        for f, label in zip(self._TIME_TICKS, self._time_labels, strict=True):
            label.set_text(f"{f * span:,.10g}")
        s = res.summary
        att = slo_attainment(req, ttft_t, tpot_t)
        good = vllm_goodput_rps(att, s["n_requests"], s["duration_s"])
        self._last = req[["arrival_s", "prompt_tokens", "output_tokens", "ttft_ms", "tpot_ms",
                          "max_gap_ms", "e2e_s", "preemptions"]].copy()  # fmt: skip
        trunc = ""
        if s["truncated"]:
            trunc = (
                " <span style='color:#c0392b'>(stopped at the time bound: "
                f"{s['unfinished']:,} requests unfinished, counted as missed)</span>"
            )
        head = (
            f"<i style='color:#c0392b'>Preview of {self.preview_requests:,} requests; the "
            f"run of {self.n_requests:,} follows.</i> "
            if preview
            else ""
        )
        return head + (
            f"{p['rate_per_s']:g} requests/s on {s['n_gpus']} GPU(s): <b>{att:.0%}</b> meet "
            f"both targets · throughput <b>{s['tokens_per_s_per_gpu']:,.0f}</b> output "
            f"tokens/s per GPU ({s['requests_per_s']:.2f} requests/s) · goodput (vLLM's "
            f"definition) <b>{good:.2f}</b> requests/s · p99 TTFT {s['ttft_ms_p99']:,.0f} ms, "
            f"p99 TPOT {s['tpot_ms_p99']:,.1f} ms · mean batch {s['mean_batch']:.0f}, "
            f"preemptions {s['preemptions']:,}{trunc}"
        )


def _tick_label(v: float) -> str:
    """A tick value as the house formatter would print it, to three significant digits."""
    if v >= 100:
        return f"{v:,.0f}"
    return f"{float(f'{v:.3g}'):,.10g}"


# --------------------------------------------------------------------------- goodput curves


class GoodputExplorer(_PreviewThenRefine, Explorer):
    """Attainment, throughput and goodput against the arrival rate, for three schedulers.

    For one model, GPU and request mix, the same Poisson workload is simulated at a grid of
    arrival rates per GPU with chunked prefill, prefill-first, and disaggregated prefill and
    decode pools. Moving the latency targets re-reads the kept simulations (fast); changing the
    hardware or the requests re-simulates (on release): first a preview of
    ``preview_requests`` requests at ``preview_rates`` of the rates (labelled as such), then
    the full sweep (see ``refine``; :meth:`wait_refined` waits for it, and exports always show
    it).

    Parameters
    ----------
    sweeps : dict of str to LoadSweep, optional
        Precomputed sweeps for the initial parameters (e.g. from :func:`inferecon.load_sweep`
        in a notebook); they are simulated when omitted.
    n_requests : int
        Requests per simulation (default 2,000).
    preview_requests : int
        Requests per simulation of the preview (default 80).
    preview_rates : int
        Rates of the preview, the grid's first and last among them (default 4 of 10).
    refine : {"auto", "background", "deferred", "sync"}
        When the full sweep replaces the preview (see :class:`_PreviewThenRefine`).
    **params
        Initial control values.
    """

    name = "goodput"
    figsize = (11.0, 5.6)
    _KEYS = ("model", "gpu", "precision", "tensor_parallel", "prompt_mean", "output_mean",
             "length_cv", "split")  # fmt: skip

    # The axes are drawn in units of the grid's highest rate (the bars in units of their
    # axis's span), with dynamic tick labels giving the values: a new rate grid (another
    # model, GPU or request mix) changes the labels, not the layout, so it blits.
    _REL_LO = RATE_GRID_CAPACITY_SHARES[0] / RATE_GRID_CAPACITY_SHARES[1]
    _BAR_TICKS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)

    def _export_fit(self, ax) -> str:
        return ""  # the live limits: the tick labels are drawn for them

    def __init__(self, sweeps: dict[str, LoadSweep] | None = None, n_requests: int = 2_000,
                 preview_requests: int = 80, preview_rates: int = 4, refine: str = "auto",
                 **params: Any):  # fmt: skip
        self.n_requests = int(n_requests)
        self.preview_requests = max(1, min(int(preview_requests), self.n_requests))
        self.preview_rates = max(2, int(preview_rates))
        self._cache: dict[tuple, dict | str] = {}
        self._cache_lock = threading.Lock()
        self._given = sweeps
        self._init_refine(refine)
        super().__init__(**params)

    def _make_controls(self):
        return {
            **_hardware_controls(simulates=True),
            **_workload_controls(),
            "split": dropdown(list(_SPLITS), "1:1", "Disaggregated: prefill:decode instances"),
            **_slo_controls(),
            "attainment": float_slider(0.9, 0.5, 0.99, 0.01, "Attainment target (share)"),
        }

    def _on_control(self, name, change):
        if name == "preset":
            _apply_preset(self.controls, change)

    def _build(self, fig):
        gs = fig.add_gridspec(1, 3, width_ratios=[1.2, 1.2, 0.8], left=0.075, right=0.98,
                              top=0.84, bottom=0.22, wspace=0.32)  # fmt: skip
        self.ax_a, self.ax_g, self.ax_b = (fig.add_subplot(gs[i]) for i in range(3))
        add_title(fig, "Goodput: the load a server can take while users still get their latency")
        ax = self.ax_a
        ax.set_xscale("log")
        ax.set_ylim(0, 1.02)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        ax.set_xlabel("Arrival rate (requests/s per GPU)")
        ax.set_ylabel("Requests meeting both targets")
        ax.set_title("SLO attainment", fontsize=10.5)
        self._curves, self._marks = {}, {}
        for pol, col in POLICY_COLORS.items():
            (self._curves[pol],) = ax.plot([], [], "o-", ms=3, color=col, lw=1.5, label=pol)
            (self._marks[pol],) = ax.plot([], [], "D", ms=8, mfc="white", mec=col, mew=2)
        (self._target,) = ax.plot([], [], "--", color="#c0392b", lw=1.0, label="target")
        ax.legend(loc="lower left", fontsize=7.5)
        ax.set_xlim(self._REL_LO / 1.3, 1.3)
        ax2 = self.ax_g
        ax2.set_xscale("log")
        ax2.set_yscale("log")
        ax2.set_xlabel("Arrival rate (requests/s per GPU)")
        ax2.set_ylabel("Completed requests/s per GPU")
        ax2.set_title("Throughput and goodput (chunked prefill)", fontsize=10.5)
        (self._thr,) = ax2.plot([], [], "o-", ms=3, color="#7f8c8d", label="throughput")
        (self._good,) = ax2.plot([], [], "o-", ms=3, color="#1f4e79",
                                 label="goodput at that rate (vLLM's)")  # fmt: skip
        (self._gmark,) = ax2.plot([], [], "D", ms=8, mfc="white", mec="#1f4e79", mew=2,
                                  label="at the goodput rate (DistServe's)")  # fmt: skip
        ax2.legend(loc="upper left", fontsize=7.5)
        ax2.set_xlim(self._REL_LO / 1.3, 1.3)
        ax2.set_ylim(self._REL_LO / 2.0, 2.0)
        self._log_axes = ((ax, "x"), (ax2, "x"), (ax2, "y"))  # round ticks per rate grid
        ax3 = self.ax_b
        self._bars = ax3.bar(range(3), [0, 0, 0], color=list(POLICY_COLORS.values()))
        ax3.set_xticks(range(3), ["chunked\nprefill", "prefill\nfirst", "disagg-\nregated"],
                       fontsize=8)  # fmt: skip
        ax3.set_ylabel("Goodput (requests/s per GPU)")
        ax3.set_ylim(0.0, 1.0)
        self._bar_ticks = _dynamic_ticks(ax3, "y", self._BAR_TICKS)
        ax3.set_title("Goodput per GPU", fontsize=10.5)
        self._bar_txt = [ax3.text(i, 0, "", ha="center", va="bottom", fontsize=8)
                         for i in range(3)]  # fmt: skip
        # the calibration band of each goodput (the step model's p90 error, both ways)
        self._bar_band = [ax3.plot([], [], "_-", color="black", lw=1.3, ms=10)[0]
                          for _ in range(3)]  # fmt: skip
        self._preview_txt = fig.text(0.98, 0.885, "", ha="right", va="bottom", fontsize=8.5,
                                     color="#c0392b", style="italic")  # fmt: skip
        # why nothing is drawn (a configuration that cannot be simulated), in the figure too
        self._problem_txt = fig.text(0.5, 0.53, "", ha="center", va="center", fontsize=10,
                                     color="#c0392b", bbox=dict(fc="white", ec="none"))  # fmt: skip
        for a in (*self._curves.values(), *self._marks.values(), self._target, self._thr,
                  self._good, self._gmark, *self._bars, *self._bar_txt, *self._bar_band,
                  self._preview_txt, self._problem_txt, *self._bar_ticks):  # fmt: skip
            self._dynamic(a)
        for a in (ax, ax2, ax3):
            a.set_autoscale_on(False)
        add_source(fig, _SOURCE + " Goodput: the highest rate meeting the attainment target;"
                   "\nits interval: the same runs read with every step time off by the GPU's "
                   "calibration error (inferecon.scaled_grid_goodput_rps_per_gpu, "
                   "inferecon.calibration_band).")  # fmt: skip

    def _cached(self, p):
        key = tuple(p[k] for k in self._KEYS)
        with self._cache_lock:
            if self._given is not None and (*key, "full") not in self._cache:
                given, self._given = self._given, None
                self._cache[(*key, "full")] = self._entry(given)
            return self._cache.get((*key, "full"))

    @staticmethod
    def _entry(sweeps: dict) -> dict:
        """What an update reads: the sweeps, their latencies as arrays and the fixed columns."""
        lat = {pol: sweep_latencies(s) for pol, s in sweeps.items()}
        fixed = {
            pol: pd.DataFrame({
                "tokens_per_s_per_gpu": [r.summary["tokens_per_s_per_gpu"] for r in s.results],
                "ttft_p99_ms": [r.summary["ttft_ms_p99"] for r in s.results],
                "tpot_p99_ms": [r.summary["tpot_ms_p99"] for r in s.results],
            })
            for pol, s in sweeps.items()
        }  # fmt: skip
        return {"sweeps": sweeps, "lat": lat, "fixed": fixed}

    def _result(self, p, final, is_current):
        key = (*(p[k] for k in self._KEYS), "full" if final else "preview")
        with self._cache_lock:
            if key in self._cache:
                return self._cache[key]
        prompt, output = _lengths(p)
        n = int(p["tensor_parallel"])
        kw = dict(prompt_tokens=prompt, output_tokens=output, precision=p["precision"],
                  tensor_parallel=n, max_time_s=3600.0,
                  n_requests=self.n_requests if final else self.preview_requests)  # fmt: skip
        pre, dec = _SPLITS[p["split"]]
        m, g = p["model"], p["gpu"]
        try:
            rates = rate_grid_per_gpu(m, g, p["prompt_mean"], p["output_mean"],
                                      precision=p["precision"], tensor_parallel=n)  # fmt: skip
            if not final:  # fewer rates, the grid's ends among them (the same axes)
                pick = np.linspace(0, len(rates) - 1, min(self.preview_rates, len(rates)))
                rates = rates[np.unique(pick.round().astype(int))]
            sweeps = {}
            with warnings.catch_warnings():  # truncation shows in the attainment (0)
                warnings.simplefilter("ignore", RuntimeWarning)
                for pol in POLICY_COLORS:
                    extra = ({"prefill_instances": pre, "decode_instances": dec}
                             if pol == "disaggregated" else {})  # fmt: skip
                    parts = []
                    for r in rates:  # one rate at a time (the same draws at each)
                        if not is_current():  # superseded: stop between simulations
                            return None
                        parts.append(load_sweep(m, g, [r], policy=pol, **kw, **extra))
                    sweeps[pol] = LoadSweep(
                        parts[0].label,
                        rates,
                        parts[0].n_gpus,
                        [x for part in parts for x in part.results],
                    )
            entry: dict | str = self._entry(sweeps)
        except ValueError as exc:
            entry = str(exc)
        with self._cache_lock:
            self._cache[key] = entry
            if isinstance(entry, str):  # the full sweep would fail alike
                self._cache[(*key[:-1], "full")] = entry
            while len(self._cache) > 16:
                self._cache.pop(next(iter(self._cache)))
        return entry

    def _show(self, p, entry, preview):
        n_rates = self.preview_rates
        self._preview_txt.set_text(
            f"Preview: {self.preview_requests:,} requests at {n_rates} rates; refining to "
            f"{self.n_requests:,} at every rate…" if preview else ""
        )  # fmt: skip
        if isinstance(entry, str):
            for a in (*self._curves.values(), *self._marks.values(), self._target, self._thr,
                      self._good, self._gmark):  # fmt: skip
                a.set_data([], [])
            for b, t, iv in zip(self._bars, self._bar_txt, self._bar_band, strict=True):
                b.set_height(0)
                t.set_text("")
                iv.set_data([], [])
            for t in self._bar_ticks:
                t.set_text("")
            self._problem_txt.set_text(textwrap.fill(f"Cannot simulate: {entry}", 64))
            self._shown = None
            return f"<span style='color:#c0392b'><b>Cannot simulate:</b> {entry}</span>"
        self._problem_txt.set_text("")
        ttft, tpot, target = float(p["ttft_ms"]), float(p["tpot_ms"]), float(p["attainment"])
        lat = entry["lat"]
        rates = lat["chunked_prefill"].rates_per_gpu
        ref = float(rates.max())  # the axes' unit (see _REL_LO)
        lo, hi = rates.min() / ref / 1.3, 1.3
        self._set_limits(self.ax_a, xlim=(lo, hi))
        self._target.set_data([lo, hi], [target, target])
        att, good, band = {}, {}, {}
        e = calibration_band(p["gpu"])
        for pol, la in lat.items():
            att[pol] = attainment_by_rate(la, ttft, tpot)
            good[pol] = g = grid_goodput_rps_per_gpu(la.rates_per_gpu, att[pol], target)
            # slower steps (x 1/(1 - e)) give the low end, faster (x 1/(1 + e)) the high end
            band[pol] = tuple(
                scaled_grid_goodput_rps_per_gpu(la, ttft, tpot, target, f)
                for f in e.step_time_factors[::-1]
            )
            self._curves[pol].set_data(la.rates_per_gpu / ref, att[pol])
            self._marks[pol].set_data([g / ref] if g > 0 else [], [target] if g > 0 else [])
        c = lat["chunked_prefill"]
        vllm = vllm_goodput_rps(att["chunked_prefill"], c.n_requests, c.duration_s) / c.n_gpus
        self._set_limits(self.ax_g, xlim=(lo, hi))
        self._thr.set_data(rates / ref, c.throughput_rps_per_gpu / ref)
        self._good.set_data(rates / ref, np.maximum(vllm / ref, self._REL_LO / 2.0))
        g0 = good["chunked_prefill"]
        # throughput at the goodput rate (interpolated on the chunked curve; 0 without one)
        thr = float(throughput_at_rate_rps_per_gpu(rates, c.throughput_rps_per_gpu, g0))
        self._gmark.set_data([g0 / ref] if g0 > 0 else [], [thr / ref] if g0 > 0 else [])
        span = nice_ceiling(ref * 1.15, steps=(1.0, 2.0, 2.5, 5.0))
        for k, (pol, g) in enumerate(good.items()):
            (lo_g, hi_g), b, t, iv = band[pol], self._bars[k], self._bar_txt[k], self._bar_band[k]
            b.set_height(g / span)
            x_mid = b.get_x() + b.get_width() / 2
            iv.set_data([x_mid, x_mid], [lo_g / span, min(hi_g / span, 1.0)])
            t.set_position((x_mid, min(max(g, hi_g) / span + 0.015, 0.95)))
            t.set_text(f"{g:.2f}")
        for t, v in zip(self._bar_ticks, self._BAR_TICKS, strict=True):
            t.set_text(_tick_label(v * span))
        if any([_set_round_log_ticks(ax, axis, ref) for ax, axis in self._log_axes]):
            self._relayout()  # another rate grid: its round values sit elsewhere
        self._shown, self._shown_band = (entry, att, good), band
        split = p["split"]
        head = (
            f"<i style='color:#c0392b'>Preview ({self.preview_requests:,} requests at "
            f"{len(rates)} rates); the full sweep follows.</i> "
            if preview
            else ""
        ) + (
            f"targets TTFT {ttft:g} ms, TPOT {tpot:g} ms for {target:.0%} of requests · "
            f"goodput per GPU: chunked prefill <b>{g0:.2f}</b> {_range(band['chunked_prefill'])}, "
            f"prefill-first <b>{good['prefill_first']:.2f}</b> {_range(band['prefill_first'])}, "
            f"disaggregated {split} <b>{good['disaggregated']:.2f}</b> "
            f"{_range(band['disaggregated'])} requests/s (ranges: {e.gpu} "
            f"{'calibrated' if e.calibrated else 'extrapolated'}, step times ±{e.rel_error:.0%})"
        )
        if g0 <= 0:
            return head + (
                " · <span style='color:#c0392b'>at none of the simulated rates do enough "
                "requests meet the targets with chunked prefill</span> (loosen the targets, "
                "shorten the requests or add GPUs)"
            )
        return head + (
            f" ({good['disaggregated'] / g0:.2f}× chunked) · at its goodput rate chunked "
            f"prefill completes {thr:.2f} requests/s per GPU; pushing the rate higher adds "
            "throughput but fewer requests meet their targets"
        )

    def data(self) -> pd.DataFrame:
        """Attainment, throughput and goodput per policy and rate, as drawn (exported as CSV):
        the columns of :meth:`inferecon.LoadSweep.curve` with ``policy`` and the policy's
        ``goodput_rps_per_gpu``."""
        if self._shown is None:
            return pd.DataFrame(columns=["policy", "rate_per_gpu", "attainment"])
        (entry, att, good), band = self._shown, self._shown_band
        frames = []
        for pol, la in entry["lat"].items():
            vllm = vllm_goodput_rps(att[pol], la.n_requests, la.duration_s) / la.n_gpus
            frames.append(pd.DataFrame({
                "rate_per_gpu": la.rates_per_gpu,
                "attainment": att[pol],
                "throughput_rps_per_gpu": la.throughput_rps_per_gpu,
                "tokens_per_s_per_gpu": entry["fixed"][pol]["tokens_per_s_per_gpu"],
                "goodput_rps_per_gpu_vllm": vllm,
                "ttft_p99_ms": entry["fixed"][pol]["ttft_p99_ms"],
                "tpot_p99_ms": entry["fixed"][pol]["tpot_p99_ms"],
                "policy": entry["sweeps"][pol].label,
                "goodput_rps_per_gpu": good[pol],
                "goodput_rps_per_gpu_low": band[pol][0],
                "goodput_rps_per_gpu_high": band[pol][1],
            }))  # fmt: skip
        return pd.concat(frames, ignore_index=True)


def _range(low_high) -> str:
    """A goodput's calibration band as the readout writes it: ``(0.81-1.2)``."""
    lo, hi = low_high
    return f"({lo:.2f}-{hi:.2f})"


# --------------------------------------------------------------------------- published sweeps


class PublishedSweepsExplorer(Explorer):
    """A published engine sweep against the simulator: throughput and time per output token
    at each load level, measured, simulated with the calibration, and the physical bound
    (the throughput ceiling where the load is a concurrency; the batch-1 TPOT floor).

    Parameters
    ----------
    comparison : pandas.DataFrame, optional
        The table of :func:`inferecon.compare_published_sweeps` (computed when omitted).
    **params
        Initial control values (``sweep``).
    """

    name = "published_sweeps"

    def __init__(self, comparison: pd.DataFrame | None = None, **params: Any):
        from ..sweep_replay import compare_published_sweeps

        c = compare_published_sweeps() if comparison is None else comparison
        self.comparison = c[c["note"] == ""].reset_index(drop=True)
        if self.comparison.empty:
            raise ValueError("the comparison holds no simulated sweep")
        super().__init__(**params)

    def _make_controls(self):
        ids = list(dict.fromkeys(self.comparison["sweep_id"]))
        first = next((i for i in ids if i.startswith("nim")), ids[0])
        return {"sweep": dropdown(ids, first, "Published sweep (data/…serving_sweeps.csv)")}

    def _build(self, fig):
        gs = fig.add_gridspec(1, 2, left=0.08, right=0.98, top=0.84, bottom=0.22, wspace=0.28)
        self.ax_t, self.ax_l = fig.add_subplot(gs[0]), fig.add_subplot(gs[1])
        self._title = add_title(fig, "")
        self._lines = {}
        for ax, what, unit in ((self.ax_t, "tokens_per_s", "Output tokens/s (system)"),
                               (self.ax_l, "tpot_ms", "Time per output token (ms)")):  # fmt: skip
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_ylabel(unit)
            for tag, style, col, lab in (
                ("measured", "o", "#c0392b", "measured (published)"),
                ("model", "-", "#1f4e79", "simulated, calibrated"),
                ("bound", "--", "#7f8c8d", "physical bound (peak bandwidth and FLOP/s)"),
            ):
                (self._lines[(what, tag)],) = ax.plot([], [], style, color=col, label=lab)
            for axis in (ax.xaxis, ax.yaxis):
                axis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:,.10g}"))
        self.ax_t.legend(loc="upper left", fontsize=8)
        add_source(
            fig,
            "Source: data/published_serving_sweeps.csv (each row quoted from its source: NVIDIA "
            "NIM, InferenceX/TensorRT-LLM, AMD ROCm vLLM, Oracle OCI, DataCrunch and SGLang);\n"
            "inferecon.compare_published_sweeps: the same load replayed by simulate_serving "
            "(closed/open loop) or serving_performance (static batch).",
        )

    def _update(self, p):
        d = self.comparison[self.comparison["sweep_id"] == p["sweep"]].sort_values("level")
        mode = d["load_mode"].iloc[0]
        xlabel = {"closed_loop": "Concurrent requests", "static_batch": "Batch (requests)",
                  "open_loop_poisson": "Arrival rate (requests/s)"}.get(mode, "Load")  # fmt: skip
        for ax in (self.ax_t, self.ax_l):
            if ax.get_xlabel() != xlabel:
                ax.set_xlabel(xlabel)
                self._relayout()
        x = d["level"].to_numpy(float)
        cols = {
            "tokens_per_s": ("measured_tokens_per_s", "model_tokens_per_s", "ceiling_tokens_per_s"),
            "tpot_ms": ("measured_tpot_ms", "model_tpot_ms", "floor_tpot_ms"),
        }
        for what, names in cols.items():
            for tag, col in zip(("measured", "model", "bound"), names, strict=True):
                self._lines[(what, tag)].set_data(x, d[col].to_numpy(float))
        lo, hi = x.min() / 1.5, x.max() * 1.5
        for ax, what in ((self.ax_t, "tokens_per_s"), (self.ax_l, "tpot_ms")):
            ys = d[list(cols[what])].to_numpy(float)
            ys = ys[np.isfinite(ys) & (ys > 0)]
            ylim = (ys.min() / 1.5, ys.max() * 1.5) if len(ys) else (1, 10)
            self._set_limits(ax, xlim=(lo, hi), ylim=ylim)
        r = d.iloc[0]
        known = pd.notna(r["input_tokens"]) and pd.notna(r["output_tokens"])
        shape = f", {r['input_tokens']:,.0f} in / {r['output_tokens']:,.0f} out" if known else ""
        title = (f"{r['engine']}: {r['model']} on {r['n_gpus']}× {r['gpu']}, "
                 f"{r['weight_precision']}{shape}")  # fmt: skip
        if self._title.get_text() != title:
            self._title.set_text(title)
            self._relayout()
        self._last = d.reset_index(drop=True)
        agree = published_sweep_agreement(d)
        beaten = agree["levels_above_ceiling"]
        return (
            f"{len(d)} load levels ({mode.replace('_', ' ')}) · measured throughput is "
            f"<b>{agree['measured_over_model_median']:.2f}×</b> the calibrated simulation's "
            "(median) · "
            + (
                "no throughput ceiling without a concurrency (open loop)"
                if not agree["has_ceiling"]
                else "the throughput ceiling is <b>never beaten</b>"
                if not beaten
                else f"<b style='color:#c0392b'>the ceiling is beaten at {beaten} level(s)</b>"
            )  # fmt: skip
            + f" · first row: {r['measured_tokens_per_s']:,.0f} tokens/s measured"
        )
