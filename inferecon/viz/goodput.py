"""Figures and explorers for notebook 03: goodput under load (the continuous-batching simulator)."""

from __future__ import annotations

import math
import warnings
from typing import Any

import ipywidgets as widgets
import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter, PercentFormatter

from ..goodput_search import LoadSweep, load_sweep, rate_grid_per_gpu
from ..simulator import POLICIES, simulate_serving
from ..slo_metrics import DISTSERVE_SLOS, slo_attainment
from ..workloads import lognormal_lengths, poisson_workload
from .controls import LABEL_STYLE, dropdown, float_slider, row_layout
from .explorer import Explorer
from .serving import _hardware_controls
from .style import add_source, add_title

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


def _select(options, value, label, continuous=True) -> widgets.SelectionSlider:
    return widgets.SelectionSlider(
        options=options, value=value, description=label, style=LABEL_STYLE, layout=row_layout(),
        continuous_update=continuous,
    )  # fmt: skip


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


# --------------------------------------------------------------------------- one simulation


class ServingLoadExplorer(Explorer):
    """What users see at one arrival rate: the distributions of time to first token and time
    per output token against their targets, and the batch and queue over time.

    Parameters
    ----------
    n_requests : int
        Requests per simulation (default 2,000: an update re-simulates in well under a second).
    **params
        Initial control values.
    """

    name = "serving_load"
    figsize = (11.0, 5.6)

    def _export_fit(self, ax) -> str:
        # the CDFs keep 0-100%; the batch panel keeps its fixed log scale (legend room)
        return "x" if ax in (self.ax_t, self.ax_ttft, self.ax_tpot) else "xy"

    def __init__(self, n_requests: int = 2_000, **params: Any):
        self.n_requests = int(n_requests)
        self._cache: dict[tuple, object] = {}
        super().__init__(**params)

    def _make_controls(self):
        return {
            **_hardware_controls(),
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
        (self._batch,) = ax.plot([], [], color="#1f4e79", lw=1.2, label="running (batch)")
        (self._queue,) = ax.plot([], [], color="#e67e22", lw=1.2, label="waiting (queue)")
        (self._cap,) = ax.plot([], [], ":", color="black", lw=1.0, label="most in a batch")
        ax.legend(loc="upper left", fontsize=8)
        ax.set_autoscale_on(False)
        for a in (self._ttft, self._tpot, self._ttft_t, self._tpot_t, self._ttft_txt,
                  self._tpot_txt, self._batch, self._queue, self._cap):  # fmt: skip
            self._dynamic(a)
        add_source(fig, _SOURCE)

    def _simulate(self, p):
        key = tuple(p[k] for k in ("model", "gpu", "precision", "tensor_parallel", "policy",
                                   "split", "rate_per_s", "prompt_mean", "output_mean", "length_cv",
                                   "max_running_requests", "chunk_tokens"))  # fmt: skip
        if key not in self._cache:
            prompt, output = _lengths(p)
            pre, dec = _SPLITS[p["split"]]
            # the chunk budget is chunked prefill's; the other policies keep vLLM's default
            chunk = int(p["chunk_tokens"]) if p["policy"] == "chunked_prefill" else None
            try:
                with warnings.catch_warnings():  # a truncated run: the readout says so
                    warnings.simplefilter("ignore", RuntimeWarning)
                    self._cache[key] = simulate_serving(
                        p["model"], p["gpu"], poisson_workload(p["rate_per_s"], self.n_requests,
                                                               prompt, output),
                        policy=p["policy"], precision=p["precision"],
                        tensor_parallel=int(p["tensor_parallel"]),
                        max_running_requests=int(p["max_running_requests"]), max_batch_tokens=chunk,
                        prefill_instances=pre, decode_instances=dec, max_time_s=3600.0,
                    )  # fmt: skip
            except ValueError as exc:  # a model that does not fit: say so, draw nothing
                self._cache[key] = str(exc)
            if len(self._cache) > 16:
                self._cache.pop(next(iter(self._cache)))
        return self._cache[key]

    def _update(self, p):
        res = self._simulate(p)
        ttft_t, tpot_t = float(p["ttft_ms"]), float(p["tpot_ms"])
        self._ttft_t.set_data([ttft_t, ttft_t], [0, 1.02])
        self._tpot_t.set_data([tpot_t, tpot_t], [0, 1.02])
        if isinstance(res, str):
            for a in (self._ttft, self._tpot, self._batch, self._queue, self._cap):
                a.set_data([], [])
            self._ttft_txt.set_text("")
            self._tpot_txt.set_text("")
            self._last = pd.DataFrame(columns=["ttft_ms", "tpot_ms"])
            return f"<span style='color:#c0392b'><b>Cannot simulate:</b> {res}</span>"
        req = res.requests
        x, y = _cdf(np.clip(req["ttft_ms"], 1.0, 1e5))
        self._ttft.set_data(x, y)
        x, y = _cdf(np.clip(req["tpot_ms"].dropna(), 0.5, 1e4))
        self._tpot.set_data(x, y)
        finished = np.isfinite(req["finish_s"])  # an unfinished request meets no target
        met_ttft = float((req["ttft_ms"] <= ttft_t).mean())
        met_tpot = float((finished & ((req["tpot_ms"] <= tpot_t) | (req["output_tokens"] <= 1)))
                         .mean())  # fmt: skip
        self._ttft_txt.set_text(f"{met_ttft:.0%} within target")
        self._tpot_txt.set_text(f"{met_tpot:.0%} within target")
        tl = res.timeline.dropna()
        # on the log axis an empty batch or queue is a gap, not a line at the bottom
        self._batch.set_data(tl["time_s"], tl["batch"].where(tl["batch"] >= 1))
        self._queue.set_data(tl["time_s"], tl["queue"].where(tl["queue"] >= 1))
        end = float(tl["time_s"].max()) if len(tl) else 1.0
        self._cap.set_data([0, end], [p["max_running_requests"]] * 2)
        self._set_limits(self.ax_t, xlim=(0.0, _nice_ceiling(end)))
        s = res.summary
        att = slo_attainment(req, ttft_t, tpot_t)
        good = att * s["n_requests"] / s["duration_s"]
        self._last = req[["arrival_s", "prompt_tokens", "output_tokens", "ttft_ms", "tpot_ms",
                          "max_gap_ms", "e2e_s", "preemptions"]].copy()  # fmt: skip
        trunc = ""
        if s["truncated"]:
            trunc = (
                " <span style='color:#c0392b'>(stopped at the time bound: "
                f"{s['unfinished']:,} requests unfinished, counted as missed)</span>"
            )
        return (
            f"{p['rate_per_s']:g} requests/s on {s['n_gpus']} GPU(s): <b>{att:.0%}</b> meet "
            f"both targets · throughput <b>{s['tokens_per_s_per_gpu']:,.0f}</b> output "
            f"tokens/s per GPU ({s['requests_per_s']:.2f} requests/s) · goodput (vLLM's "
            f"definition) <b>{good:.2f}</b> requests/s · p99 TTFT {s['ttft_ms_p99']:,.0f} ms, "
            f"p99 TPOT {s['tpot_ms_p99']:,.1f} ms · mean batch {s['mean_batch']:.0f}, "
            f"preemptions {s['preemptions']:,}{trunc}"
        )


def _nice_ceiling(x: float) -> float:
    if x <= 0 or not math.isfinite(x):
        return 1.0
    mag = 10 ** math.floor(math.log10(x))
    for m in (1, 2, 2.5, 5, 10):
        if x <= m * mag:
            return m * mag
    return 10 * mag  # pragma: no cover


# --------------------------------------------------------------------------- goodput curves


class GoodputExplorer(Explorer):
    """Attainment, throughput and goodput against the arrival rate, for three schedulers.

    For one model, GPU and request mix, the same Poisson workload is simulated at a grid of
    arrival rates per GPU with chunked prefill, prefill-first, and disaggregated prefill and
    decode pools. Moving the latency targets re-reads the kept simulations (fast); changing the
    hardware or the requests re-simulates (on release).

    Parameters
    ----------
    sweeps : dict of str to LoadSweep, optional
        Precomputed sweeps for the initial parameters (e.g. from :func:`inferecon.load_sweep`
        in a notebook); they are simulated when omitted.
    n_requests : int
        Requests per simulation (default 2,000).
    **params
        Initial control values.
    """

    name = "goodput"
    figsize = (11.0, 5.6)

    def _export_fit(self, ax) -> str:
        return "x" if ax is self.ax_a else ("y" if ax is self.ax_b else "xy")

    def __init__(self, sweeps: dict[str, LoadSweep] | None = None, n_requests: int = 2_000,
                 **params: Any):  # fmt: skip
        self.n_requests = int(n_requests)
        self._cache: dict[tuple, dict] = {}
        self._given = sweeps
        super().__init__(**params)

    def _make_controls(self):
        return {
            **_hardware_controls(),
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
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:,.10g}"))
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
        for a in (ax2.xaxis, ax2.yaxis):
            a.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:,.10g}"))
        ax3 = self.ax_b
        self._bars = ax3.bar(range(3), [0, 0, 0], color=list(POLICY_COLORS.values()))
        ax3.set_xticks(range(3), ["chunked\nprefill", "prefill\nfirst", "disagg-\nregated"],
                       fontsize=8)  # fmt: skip
        ax3.set_ylabel("Goodput (requests/s per GPU)")
        ax3.set_title("Goodput per GPU", fontsize=10.5)
        self._bar_txt = [ax3.text(i, 0, "", ha="center", va="bottom", fontsize=8)
                         for i in range(3)]  # fmt: skip
        for a in (*self._curves.values(), *self._marks.values(), self._target, self._thr,
                  self._good, self._gmark, *self._bars, *self._bar_txt):  # fmt: skip
            self._dynamic(a)
        for a in (ax, ax2, ax3):
            a.set_autoscale_on(False)
        add_source(fig, _SOURCE + " Goodput: the highest rate meeting the attainment target.")

    def _sweeps(self, p) -> dict | str:
        key = tuple(p[k] for k in ("model", "gpu", "precision", "tensor_parallel", "prompt_mean",
                                   "output_mean", "length_cv", "split"))  # fmt: skip
        if self._given is not None and key not in self._cache:
            self._cache[key], self._given = self._given, None
        if key not in self._cache:
            prompt, output = _lengths(p)
            n = int(p["tensor_parallel"])
            kw = dict(prompt_tokens=prompt, output_tokens=output, n_requests=self.n_requests,
                      precision=p["precision"], tensor_parallel=n, max_time_s=3600.0)  # fmt: skip
            try:
                rates = rate_grid_per_gpu(p["model"], p["gpu"], p["prompt_mean"],
                                          p["output_mean"], precision=p["precision"],
                                          tensor_parallel=n)  # fmt: skip
                pre, dec = _SPLITS[p["split"]]
                with warnings.catch_warnings():  # truncation shows in the attainment (0)
                    warnings.simplefilter("ignore", RuntimeWarning)
                    self._cache[key] = self._sweep_all(p, rates, pre, dec, kw)
            except ValueError as exc:
                self._cache[key] = str(exc)
            if len(self._cache) > 8:
                self._cache.pop(next(iter(self._cache)))
        return self._cache[key]

    @staticmethod
    def _sweep_all(p, rates, pre, dec, kw):
        m, g = p["model"], p["gpu"]
        return {
            "chunked_prefill": load_sweep(m, g, rates, policy="chunked_prefill", **kw),
            "prefill_first": load_sweep(m, g, rates, policy="prefill_first", **kw),
            "disaggregated": load_sweep(m, g, rates, policy="disaggregated",
                                        prefill_instances=pre, decode_instances=dec, **kw),
        }  # fmt: skip

    def _update(self, p):
        sw = self._sweeps(p)
        if isinstance(sw, str):
            for a in (*self._curves.values(), *self._marks.values(), self._target, self._thr,
                      self._good, self._gmark):  # fmt: skip
                a.set_data([], [])
            for b, t in zip(self._bars, self._bar_txt, strict=True):
                b.set_height(0)
                t.set_text("")
            self._last = pd.DataFrame(columns=["policy", "rate_per_gpu", "attainment"])
            return f"<span style='color:#c0392b'><b>Cannot simulate:</b> {sw}</span>"
        ttft, tpot, target = float(p["ttft_ms"]), float(p["tpot_ms"]), float(p["attainment"])
        rates = sw["chunked_prefill"].rates_per_gpu
        lo, hi = rates.min() / 1.3, rates.max() * 1.3
        self._set_limits(self.ax_a, xlim=(lo, hi))
        self._target.set_data([lo, hi], [target, target])
        frames, good = [], {}
        for pol, s in sw.items():
            c = s.curve(ttft, tpot)
            g = s.goodput_per_gpu(ttft, tpot, target)
            good[pol] = g
            self._curves[pol].set_data(c["rate_per_gpu"], c["attainment"])
            self._marks[pol].set_data([g] if g > 0 else [], [target] if g > 0 else [])
            frames.append(c.assign(policy=s.label, goodput_rps_per_gpu=g))
        c = sw["chunked_prefill"].curve(ttft, tpot)
        # limits follow the simulated rates only, so moving a target redraws by blitting
        ymax = float(rates.max())
        self._set_limits(self.ax_g, xlim=(lo, hi), ylim=(ymax / 300, ymax * 2))
        self._thr.set_data(c["rate_per_gpu"], c["throughput_rps_per_gpu"])
        self._good.set_data(c["rate_per_gpu"], np.maximum(c["goodput_rps_per_gpu_vllm"],
                                                           ymax / 300))  # fmt: skip
        g0 = good["chunked_prefill"]
        at_g = float(np.interp(g0, c["rate_per_gpu"], c["throughput_rps_per_gpu"])) if g0 else 0
        self._gmark.set_data([g0] if g0 > 0 else [], [at_g] if g0 > 0 else [])
        self._set_limits(self.ax_b, ylim=(0, _nice_ceiling(ymax * 1.15)))
        for g, b, t in zip(good.values(), self._bars, self._bar_txt, strict=True):
            b.set_height(g)
            t.set_position((b.get_x() + b.get_width() / 2, g))
            t.set_text(f"{g:.2f}")
        self._last = pd.concat(frames, ignore_index=True)
        thr = at_g  # throughput at the goodput rate (interpolated on the chunked curve)
        split = p["split"]
        head = (
            f"targets TTFT {ttft:g} ms, TPOT {tpot:g} ms for {target:.0%} of requests · "
            f"goodput per GPU: chunked prefill <b>{g0:.2f}</b>, prefill-first "
            f"<b>{good['prefill_first']:.2f}</b>, disaggregated {split} <b>"
            f"{good['disaggregated']:.2f}</b> requests/s"
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
        ratio = (d["measured_tokens_per_s"] / d["model_tokens_per_s"]).median()
        beaten = d["measured_tokens_per_s"] > d["ceiling_tokens_per_s"] * (1 + 1e-9)
        bounded = d["ceiling_tokens_per_s"].notna().any()
        return (
            f"{len(d)} load levels ({mode.replace('_', ' ')}) · measured throughput is "
            f"<b>{ratio:.2f}×</b> the calibrated simulation's (median) · "
            + (
                "no throughput ceiling without a concurrency (open loop)"
                if not bounded
                else "the throughput ceiling is <b>never beaten</b>"
                if not beaten.any()
                else f"<b style='color:#c0392b'>the ceiling is beaten at {int(beaten.sum())} "
                "level(s)</b>"
            )  # fmt: skip
            + f" · first row: {r['measured_tokens_per_s']:,.0f} tokens/s measured"
        )
