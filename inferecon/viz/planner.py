"""Plan a deployment (notebook 08): the cheapest fleet for a day of traffic, drawn.

:class:`PlanExplorer` draws what :func:`inferecon.plan_deployment` and
:mod:`inferecon.plan_sensitivity` compute; it computes nothing itself. A search simulates, so
it runs on the **Search** button with a progress bar, never on a slider move: the controls that
change what is simulated (model, traffic, lengths, targets, candidate GPUs and precisions) only
mark the figure as showing an earlier search until the button is pressed. The controls that
change only the load curve or the prices (daily volume, peak-to-mean, headroom, rent or own,
autoscaling) re-price the cached goodputs (:func:`inferecon.reprice_plan`) without simulating;
the sliders commit on release (an update re-prices every panel: 50-150 ms measured by
``benchmarks/run.py`` on a shared 2-core machine, too slow to follow a drag).

When built, the explorer runs a *quick* search (the chosen GPUs and precisions at one GPU per
replica, chunked prefill with a 2,048-token budget, at most 256 running requests) on the
reference curve (10 million requests a day, peak-to-mean 1.9), so a notebook executed headless
runs in seconds; the button runs the full grid of ``benchmarks/planner_bench.py`` for the
chosen GPUs and precisions. Results are cached by their inputs for the session.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.ticker import (
    FixedLocator,
    FuncFormatter,
    LogLocator,
    NullFormatter,
    NullLocator,
)

from ..datasets import load_factory_assumptions
from ..plan_sensitivity import (
    PlanStudy,
    plan_cost_band,
    plan_search_grid,
    plan_study,
    plan_volume_costs,
    reprice_plan,
)
from ..specs import get_gpu
from ..traffic import diurnal_load_curve, trace_lengths
from ..workloads import lognormal_lengths
from .controls import checkbox, dropdown, float_slider
from .explorer import Explorer
from .style import add_source, add_title, nice_ceiling

__all__ = ["GPU_SETS", "PRECISION_SETS", "TRAFFIC", "PlanExplorer"]

GPU_SETS = {
    "B200, H200, H100": ("B200-HGX", "H200-SXM", "H100-SXM"),
    "every GPU (6)": ("B200-HGX", "H200-SXM", "H100-SXM", "A100-80GB-SXM", "MI300X", "L40S"),
    "B200": ("B200-HGX",),
    "H100": ("H100-SXM",),
    "MI300X": ("MI300X",),
}
"""Candidate GPUs offered, by label."""

PRECISION_SETS = {
    "fp4, fp8, bf16": ("fp4", "fp8", "bf16"),
    "fp8, bf16": ("fp8", "bf16"),
    "bf16": ("bf16",),
}
"""Candidate weight precisions offered, by label."""

TRAFFIC = {
    "Azure 2023 conversation trace": "azure2023_conversation",
    "Azure 2023 code trace": "azure2023_code",
    "synthetic chat: prompt 1,000, output 250 tokens": (1000, 250),
    "synthetic RAG: prompt 4,000, output 200 tokens": (4000, 200),
    "synthetic long answers: prompt 300, output 1,500 tokens": (300, 1500),
}
"""Where the request lengths come from: a trace's joint lengths, or lognormal prompt and output
lengths (coefficient of variation 1) with these means (the load curve is diurnal in every
case)."""

MODELS = ("Llama-3.1-70B", "Llama-3.1-8B", "Qwen2.5-32B")
PEAK_HOUR = 14.5
REFERENCE_DAILY_REQUESTS = 10e6
REFERENCE_PEAK_TO_MEAN = 1.9
QUICK_SCALES = (0.5, 1.0)
FULL_SCALES = (0.25, 0.5, 1.0, 2.0)
API_MODEL, API_PROVIDER, API_AS_OF = (
    "meta-llama/Llama-3.3-70B-Instruct-Turbo", "together", "2026-12-01",
)  # fmt: skip
_API_FOR = {"Llama-3.1-70B": (API_MODEL, API_PROVIDER)}
_OWN_YEARS, _OWN_CAPITAL = 4.0, 0.10
_VOLUMES = np.geomspace(1e5, 1e8, 13)
_GPU_COLORS = {"B200-HGX": "#1f4e79", "H200-SXM": "#27ae60", "H100-SXM": "#e67e22",
               "A100-80GB-SXM": "#8e44ad", "MI300X": "#c0392b", "L40S": "#7f8c8d"}  # fmt: skip
_PRICE_CONTROLS = ("daily_requests_m", "peak_to_mean", "headroom", "pricing", "autoscale")
_SEARCH_CONTROLS = ("model", "traffic", "ttft_ms", "tpot_ms", "attainment", "gpus",
                    "precisions")  # fmt: skip
_SOURCE = (
    "Source: inferecon.plan_deployment (continuous-batching simulator on the calibrated step "
    "model; goodput per replica as DistServe, Zhong et al. 2024);\nlengths: Azure LLM "
    "inference traces 2023 (CC BY 4.0) or lognormal; rent: data/gpus.csv mid prices; own: "
    "data/factory_assumptions.csv (H100 price, others in\nproportion to rent); API: "
    "genai-prices (Together, Llama-3.3-70B); band: the GPU's calibration error "
    "(inferecon.calibration_band)."
)
_CACHE: dict[tuple, dict] = {}
_CACHE_SIZE = 8


def _purchase_usd(gpus) -> dict:
    """Purchase price per GPU when owning: the cited H100 price, other GPUs in proportion to
    their mid rental price (an assumption: data/factory_assumptions.csv cites H100 and MI300X
    prices only)."""
    h100 = float(load_factory_assumptions()["value"]["purchase_usd__H100-SXM"])
    ref = get_gpu("H100-SXM").usd_per_gpu_hour_mid
    return {g: h100 * get_gpu(g).usd_per_gpu_hour_mid / ref for g in gpus}


def _log_panel(ax, xlim, ylim=(0.05, 50)) -> None:
    """Log-log axes with fixed limits (so that updates blit); the y axis in USD."""
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    _usd_axis(ax.yaxis)


def _usd_axis(axis) -> None:
    """A log axis of USD: labels ``$0.1``, ``$1``, ``$10``; minor ticks at 2 and 5 only."""
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"${v:g}"))
    _sparse_minor(axis)


def _sparse_minor(axis) -> None:
    """Unlabelled minor ticks at 2 and 5 of each decade (fewer ticks: a faster full draw)."""
    axis.set_minor_locator(LogLocator(base=10.0, subs=(2.0, 5.0)))
    axis.set_minor_formatter(NullFormatter())


def _short(label: str) -> str:
    """A configuration's label for a crowded panel: ``B200 fp4 TP1, CP 2048, max 256``."""
    gpu, rest = label.split(" ", 1)
    rest = rest.replace("chunked prefill", "CP").replace(" tok", "").replace(" running", "")
    return f"{gpu.split('-')[0]} {rest}"


def _lengths(p):
    source = TRAFFIC[p["traffic"]]
    if isinstance(source, str):
        return trace_lengths(source)
    return (lognormal_lengths(source[0], 1.0), lognormal_lengths(source[1], 1.0))


def _curve(p):
    return diurnal_load_curve(p["daily_requests_m"] * 1e6, p["peak_to_mean"], PEAK_HOUR)


def _pricing(p) -> dict:
    gpus = GPU_SETS[p["gpus"]]
    if p["pricing"].startswith("own"):
        return {"purchase_usd": _purchase_usd(gpus), "lifetime_years": _OWN_YEARS,
                "cost_of_capital": _OWN_CAPITAL}  # fmt: skip
    return {"purchase_usd": None, "lifetime_years": None, "cost_of_capital": 0.0}


class PlanExplorer(Explorer):
    """The cheapest deployment for a day of traffic, its fleet hour by hour, the configurations
    searched, the price of stricter targets, and self-hosting against an API.

    Parameters
    ----------
    study : PlanStudy, optional
        A study already run (:func:`inferecon.plan_study` on :func:`inferecon.plan_search_grid`
        of the chosen GPUs and precisions, at the controls' model and targets): drawn, not
        searched again. Without it the explorer runs the quick search.
    **params
        Initial control values (see ``controls``).
    """

    name = "deployment_plan"
    figsize = (11.0, 8.2)

    def __init__(self, study: PlanStudy | None = None, **params: Any):
        self.search_button = widgets.Button(
            description="Search", icon="search", button_style="primary",
            tooltip="Simulate the full grid for the chosen GPUs and precisions",
        )  # fmt: skip
        self.progress = widgets.IntProgress(value=0, min=0, max=1, description="Search",
                                            layout=widgets.Layout(width="420px"))  # fmt: skip
        self.search_status = widgets.HTML()
        self.search_button.on_click(lambda _b: self.search())
        self._result: dict | None = None
        self._searched: dict | None = None  # the controls the shown search was run with
        self._given = study
        self._volume_cache: dict = {}
        self._drawn: tuple | None = None  # (key, re-priced plan, band) of the drawn state
        super().__init__(**params)

    # ---------------------------------------------------------------- controls
    def _make_controls(self):
        c = {
            "daily_requests_m": float_slider(10.0, 0.5, 50.0, 0.5,
                                             "Daily volume (million requests per day)", ".1f",
                                             continuous_update=False),
            "peak_to_mean": float_slider(REFERENCE_PEAK_TO_MEAN, 1.0, 4.0, 0.1,
                                         "Peak-to-mean ratio (busiest hour / mean)", ".1f",
                                         continuous_update=False),
            "headroom": float_slider(1.0, 1.0, 2.0, 0.05,
                                     "Headroom (capacity / hour's mean rate)", ".2f",
                                     continuous_update=False),
            "pricing": dropdown(["rent (mid cloud price)", "own (4 years, 10% capital)"],
                                "rent (mid cloud price)", "Pricing (rent or own the GPUs)"),
            "autoscale": checkbox(False, "Autoscale hour by hour (else the peak fleet all day)"),
            "model": dropdown(list(MODELS), MODELS[0], "Model"),
            "traffic": dropdown(list(TRAFFIC), next(iter(TRAFFIC)), "Traffic (request lengths)"),
            "ttft_ms": float_slider(1000.0, 100.0, 5000.0, 50.0, "TTFT target (ms)", ".0f",
                                    continuous_update=False),
            "tpot_ms": float_slider(50.0, 10.0, 200.0, 5.0, "TPOT target (ms per token)", ".0f",
                                    continuous_update=False),
            "attainment": float_slider(0.9, 0.5, 0.99, 0.01,
                                       "Attainment (share meeting both targets)", ".2f",
                                       continuous_update=False),
            "gpus": dropdown(list(GPU_SETS), next(iter(GPU_SETS)), "Candidate GPUs"),
            "precisions": dropdown(list(PRECISION_SETS), next(iter(PRECISION_SETS)),
                                   "Candidate precisions (weights)"),
        }  # fmt: skip
        return c

    # ---------------------------------------------------------------- search
    def _search_params(self, p, full: bool) -> tuple:
        key = tuple(p[k] for k in _SEARCH_CONTROLS)
        if full:  # the button searches the load curve and prices on screen
            key += (True, p["daily_requests_m"], p["peak_to_mean"], p["headroom"], p["pricing"],
                    p["autoscale"])  # fmt: skip
        return key

    def search(self, full: bool = True) -> dict:
        """Run the search for the current controls (the full grid by default), with progress.

        Parameters
        ----------
        full : bool
            The full grid (the button) or the quick one.

        Returns
        -------
        dict
            The cached result: ``study`` (a :class:`inferecon.PlanStudy`, None when no
            configuration meets the targets), ``full`` and ``grid``.
        """
        p = self._params()
        self._result = self._run_search(p, full)
        self._searched = p
        self.update()
        return self._result

    def _run_search(self, p, full: bool) -> dict:
        key = self._search_params(p, full)
        if key in _CACHE:
            self.search_status.value = "<small>Cached search re-read.</small>"
            return _CACHE[key]
        gpus, precs = GPU_SETS[p["gpus"]], PRECISION_SETS[p["precisions"]]
        grid = plan_search_grid(gpus, precs, full)
        # one configuration per round: each result can prune the next (same optimum)
        kw = dict(scales=FULL_SCALES if full else QUICK_SCALES, **self._plan_kwargs(p, full),
                  configurations=grid, batch_size=1)  # fmt: skip
        self.progress.value = 0
        self.search_status.value = f"<small>Searching {len(grid):,} configurations...</small>"

        def tick(done, total):
            self.progress.max = total
            self.progress.value = done

        try:
            study = plan_study(p["model"], kw.pop("curve"), _lengths(p), ttft_ms=p["ttft_ms"],
                               tpot_ms=p["tpot_ms"], attainment=p["attainment"], progress=tick,
                               **kw)  # fmt: skip
        except ValueError as exc:
            if "no configuration meets" not in str(exc):
                raise
            self.progress.value = self.progress.max
            self.search_status.value = "<small>No configuration meets the targets.</small>"
            return self._store(key, {"study": None, "full": full, "grid": grid})
        s = study.plan.search
        self.search_status.value = (
            f"<small>{'Full' if full else 'Quick'} search: {s['configurations']:,} "
            f"configurations, {s['simulated']} simulated, {s['share_pruned']:.0%} never "
            f"simulated; {study.wall_s:.1f} s with the stricter targets and the band.</small>"
        )
        return self._store(key, {"study": study, "full": full, "grid": grid})

    @staticmethod
    def _plan_kwargs(p, full: bool) -> dict:
        """The load curve and the arguments of every search but the targets and the grid."""
        api = _API_FOR.get(p["model"], (None, None))
        kw = dict(api_model=api[0], api_provider=api[1],
                  prices_as_of=API_AS_OF if api[0] else None)  # fmt: skip
        if full:  # the button searches the load curve and prices on screen
            kw.update(curve=_curve(p), autoscale=p["autoscale"], headroom=p["headroom"],
                      **_pricing(p))  # fmt: skip
        else:  # the reference curve, rented: the cheap controls re-price it
            kw["curve"] = diurnal_load_curve(REFERENCE_DAILY_REQUESTS, REFERENCE_PEAK_TO_MEAN,
                                             PEAK_HOUR)  # fmt: skip
        return kw

    @staticmethod
    def _store(key, res):
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = res
        return res

    def _first_result(self, p) -> dict:
        """The study given to the constructor (checked against the controls), else the quick
        search."""
        study = self._given
        if study is None:
            return self._run_search(p, full=False)
        if not isinstance(study, PlanStudy):
            raise ValueError(f"study must be an ie.plan_study result; got {type(study).__name__}")
        i = study.plan.inputs
        for k in ("ttft_ms", "tpot_ms", "attainment"):
            if i[k] != p[k]:
                raise ValueError(f"study was planned for {k}={i[k]!r}; the control says {p[k]!r}")
        if i["model"] != p["model"]:
            raise ValueError(f"study was planned for model={i['model']!r}; the control says "
                             f"{p['model']!r}")  # fmt: skip
        labels = [c.label for c in study.plan.grid]
        gpus, precs = GPU_SETS[p["gpus"]], PRECISION_SETS[p["precisions"]]
        for full in (False, True):
            if labels == [c.label for c in plan_search_grid(gpus, precs, full)]:
                return {"study": study, "full": full, "grid": study.plan.grid}
        raise ValueError("study's configurations are not the explorer's grid for gpus="
                         f"{p['gpus']!r} and precisions={p['precisions']!r} "
                         "(ie.plan_search_grid)")  # fmt: skip

    # ---------------------------------------------------------------- figure
    def _build(self, fig):
        add_title(fig, "Plan a deployment: the cheapest fleet that meets the latency targets")
        self._subtitle = self._dynamic(fig.text(0.01, 0.925, "", fontsize=9, color="#333333"))
        gs = fig.add_gridspec(2, 2, left=0.075, right=0.975, top=0.86, bottom=0.15,
                              hspace=0.42, wspace=0.24)  # fmt: skip
        # (1) load and capacity
        ax = self.ax_load = fig.add_subplot(gs[0, 0])
        ax.set_xlim(0, 24)
        ax.set_xticks(range(0, 25, 4))
        ax.set_xlabel("Hour of day")
        ax.set_ylabel("Requests per second")
        ax.set_title("Load and the replicas that serve it", loc="left", fontsize=10.5)
        self._load = self._dynamic(ax.step([], [], where="post", color="#333333", lw=1.6,
                                           label="arrival rate")[0])  # fmt: skip
        self._cap = self._dynamic(ax.step([], [], where="post", color="#1f4e79", lw=1.4, ls="--",
                                          label="capacity (replicas × goodput)")[0])  # fmt: skip
        self._gpu_text = self._dynamic(ax.text(0.02, 0.95, "", transform=ax.transAxes, va="top",
                                               fontsize=8.5, color="#1f4e79"))  # fmt: skip
        ax.legend(loc="lower right", fontsize=8)
        # (2) configurations searched
        ax = self.ax_cfg = fig.add_subplot(gs[0, 1])
        _log_panel(ax, (0.05, 200))
        ax.set_xlabel("Goodput per GPU (requests/s)")
        ax.set_ylabel("USD per million output tokens")
        ax.set_title("Configurations searched, at the targets", loc="left", fontsize=10.5)
        self._scatter = {
            g: self._dynamic(ax.plot([], [], "o", ms=5, alpha=0.75, color=c, mec="white",
                                     mew=0.4)[0])
            for g, c in _GPU_COLORS.items()
        }  # fmt: skip
        self._pruned = {  # never simulated: the cost at the goodput ceiling, a lower bound
            g: self._dynamic(ax.plot([], [], "o", ms=4, alpha=0.6, mfc="none", color=c,
                                     mew=0.8)[0])
            for g, c in _GPU_COLORS.items()
        }  # fmt: skip
        self._best_pt = self._dynamic(ax.plot([], [], "*", ms=15, color="#f1c40f", mec="black",
                                              mew=0.8, zorder=5)[0])  # fmt: skip
        self._cfg_labels = [
            self._dynamic(ax.annotate("", (1, 1), xytext=(5, 5), textcoords="offset points",
                                      fontsize=8, fontweight="bold", color="#333333"))
            for _ in range(4)
        ]  # fmt: skip
        self._cfg_list = self._dynamic(ax.text(0.98, 0.97, "", transform=ax.transAxes,
                                               ha="right", va="top", fontsize=7.5,
                                               color="#333333", linespacing=1.4))  # fmt: skip
        handles = [Line2D([], [], ls="", marker="o", color=c, label=g)
                   for g, c in _GPU_COLORS.items()]  # fmt: skip
        handles.append(Line2D([], [], ls="", marker="*", ms=10, color="#f1c40f", mec="black",
                              label="cheapest"))  # fmt: skip
        handles.append(Line2D([], [], ls="", marker="o", mfc="none", color="#555555",
                              label="pruned (at its ceiling)"))  # fmt: skip
        ax.legend(handles=handles, loc="lower left", fontsize=7, ncol=2)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        _sparse_minor(ax.xaxis)
        # (3) stricter targets
        ax = self.ax_slo = fig.add_subplot(gs[1, 0])
        _log_panel(ax, (0.4, 5))
        ax.xaxis.set_major_locator(FixedLocator([0.5, 1, 2, 4]))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}×"))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel("Strictness (× your target; 2× = half the time allowed)")
        ax.set_ylabel("USD per million output tokens")
        ax.set_title("What a stricter promise costs", loc="left", fontsize=10.5)
        self._slo_lines = {
            "ttft_ms": self._dynamic(ax.plot([], [], "o-", color="#1f4e79",
                                             label="stricter TTFT")[0]),
            "tpot_ms": self._dynamic(ax.plot([], [], "s-", color="#c0392b",
                                             label="stricter TPOT")[0]),
        }  # fmt: skip
        band_kw = dict(color="#1f4e79", lw=9, alpha=0.3, zorder=1, solid_capstyle="butt")
        self._slo_band = self._dynamic(
            ax.plot([], [], label="calibration band (±p90 error)", **band_kw)[0]
        )
        self._slo_msg = self._dynamic(ax.text(0.03, 0.05, "", transform=ax.transAxes,
                                              fontsize=8, color="#c0392b"))  # fmt: skip
        ax.legend(loc="upper left", fontsize=8)
        # (4) self-hosted against an API
        ax = self.ax_api = fig.add_subplot(gs[1, 1])
        _log_panel(ax, (1e5, 1e8))
        ax.xaxis.set_major_locator(FixedLocator([1e5, 1e6, 1e7, 1e8]))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v / 1e6:g}M"))
        _sparse_minor(ax.xaxis)
        ax.set_xlabel("Daily volume (requests per day)")
        ax.set_ylabel("USD per million output tokens")
        ax.set_title("Self-hosted against an API's list price", loc="left", fontsize=10.5)
        self._own_line = self._dynamic(ax.plot([], [], "-", color="#1f4e79",
                                               label="self-hosted (cheapest plan)")[0])  # fmt: skip
        self._api_line = self._dynamic(ax.plot([], [], "--", color="#c0392b",
                                               label="API list price")[0])  # fmt: skip
        self._now = self._dynamic(ax.plot([], [], "o", color="#1f4e79", ms=7)[0])
        self._api_msg = self._dynamic(ax.text(0.97, 0.93, "", transform=ax.transAxes,
                                              ha="right", va="top", fontsize=8,
                                              color="#555555"))  # fmt: skip
        ax.legend(loc="lower left", fontsize=8)
        self._stale = self._dynamic(fig.text(0.99, 0.925, "", ha="right", fontsize=9,
                                             color="#c0392b", fontweight="bold"))  # fmt: skip
        add_source(fig, _SOURCE)

    def _export_fit(self, ax) -> str:
        return ""  # fixed axes: the export shows what the live view shows

    # ---------------------------------------------------------------- update
    def _clear(self, text: str) -> str:
        for a in (self._load, self._cap, self._best_pt, *self._scatter.values(),
                  *self._slo_lines.values(), self._slo_band, self._own_line, self._api_line,
                  self._now):  # fmt: skip
            a.set_data([], [])
        for t in (*self._cfg_labels, self._cfg_list):
            t.set_text("")
        self._gpu_text.set_text("")
        self._slo_msg.set_text("")
        self._api_msg.set_text(text)
        self._last = pd.DataFrame(columns=["panel", "x", "y", "label"])
        self._drawn = None
        return f"<span style='color:#c0392b'><b>{text}</b></span>"

    def _update(self, p):
        if self._result is None:
            self._result = self._first_result(p)
            self._searched = dict(p)
        res, searched = self._result, self._searched
        stale = [k for k in _SEARCH_CONTROLS if p[k] != searched[k]]
        self._stale.set_text("changed: press Search to plan for the new inputs" if stale else "")
        s = searched
        traffic = s["traffic"].replace(" trace", "").split(":")[0]
        self._subtitle.set_text(
            f"{s['model']} · {traffic} · TTFT {s['ttft_ms']:.0f} ms, TPOT {s['tpot_ms']:.0f} ms "
            f"for {s['attainment']:.0%} · {s['gpus']} × {s['precisions']} · "
            f"{'full' if res['full'] else 'quick'} search, {len(res['grid']):,} configurations"
        )
        if res["study"] is None:
            return self._clear("No configuration meets the targets: loosen them or add GPUs.")
        key = (id(res), *(p[k] for k in _PRICE_CONTROLS))
        if self._drawn is not None and self._drawn[0] == key:  # only the stale mark moved
            return self._readout(*self._drawn[1:], res, stale, p["daily_requests_m"] * 1e6)
        kw = dict(autoscale=p["autoscale"], headroom=p["headroom"], **_pricing(p))
        plan = reprice_plan(res["study"].plan, _curve(p), **kw)
        text = self._draw(p, res, plan, kw, stale)
        self._drawn = (key, plan, self._shown_band)
        return text

    def _band(self, res, plan):
        """The calibration band of the shown plan, from the search's band goodputs."""
        b = res["study"].band
        if plan.configuration() != res["study"].plan.configuration():
            return None  # another configuration won after re-pricing: its band needs a search
        return plan_cost_band(plan, goodputs=(b["goodput_rps_per_replica_low"],
                                              b["goodput_rps_per_replica_high"]))  # fmt: skip

    def _draw(self, p, res, plan, kw, stale):
        rows = []
        b, sched = plan.best, plan.schedule
        # (1) load and capacity
        hours = np.append(sched["start_h"].to_numpy(), 24.0)
        rate = np.append(sched["rate_per_s"].to_numpy(), sched["rate_per_s"].iloc[-1])
        cap_v = sched["capacity_rps"].to_numpy(float)
        cap = np.append(cap_v, cap_v[-1])
        self._load.set_data(hours, rate)
        self._cap.set_data(hours, cap)
        top = nice_ceiling(max(rate.max(), cap.max()) * 1.15, (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8))
        self._set_limits(self.ax_load, ylim=(0, top))
        peak_gpus = int(b["peak_gpus"])
        self._gpu_text.set_text(
            f"{int(b['peak_replicas'])} replicas × {int(b['gpus_per_replica'])} GPU = "
            f"{peak_gpus} GPUs at peak; {b['gpu_hours_per_day']:,.0f} GPU-hours a day"
        )
        rows += [dict(panel="load", x=h, y=r, label="arrival rate (req/s)")
                 for h, r in zip(hours[:-1], rate[:-1], strict=True)]  # fmt: skip
        rows += [dict(panel="load", x=h, y=c, label="capacity (req/s)")
                 for h, c in zip(hours[:-1], cap_v, strict=True)]  # fmt: skip
        # (2) configurations
        t = plan.configurations
        sim = t[t["status"] == "simulated"]
        for g, line in self._scatter.items():
            sub = sim[sim["gpu"] == g]
            line.set_data(sub["goodput_rps_per_gpu"].to_numpy(float),
                          sub["usd_per_mtok_output"].to_numpy(float))  # fmt: skip
        cut = t[(t["status"] == "pruned") & np.isfinite(t["ceiling_rps_per_replica"])]
        for g, line in self._pruned.items():
            sub = cut[cut["gpu"] == g]
            line.set_data(sub["ceiling_rps_per_gpu"].to_numpy(float),
                          sub["lower_bound_usd_per_mtok_output"].to_numpy(float))  # fmt: skip
        self._best_pt.set_data([b["goodput_rps_per_gpu"]], [b["usd_per_mtok_output"]])
        ups = plan.runner_ups.head(len(self._cfg_labels) - 1)
        labelled = [b, *[r for _, r in ups.iterrows()]]
        lines = []
        for k, ann in enumerate(self._cfg_labels):
            if k < len(labelled):
                r = labelled[k]
                ann.xy = (r["goodput_rps_per_gpu"], r["usd_per_mtok_output"])
                ann.set_text("" if k == 0 else f"{k + 1}")
                lines.append(f"{'★' if k == 0 else f'{k + 1}.'} {_short(r['label'])}: "
                             f"${r['usd_per_mtok_output']:.3f}")  # fmt: skip
            else:
                ann.set_text("")
        self._cfg_list.set_text("\n".join(lines))
        rows += [dict(panel="configurations", x=r["goodput_rps_per_gpu"],
                      y=r["usd_per_mtok_output"], label=r["label"])
                 for _, r in sim.iterrows()]  # fmt: skip
        rows += [dict(panel="pruned (lower bound)", x=r["ceiling_rps_per_gpu"],
                      y=r["lower_bound_usd_per_mtok_output"], label=r["label"])
                 for _, r in cut.iterrows()]  # fmt: skip
        # (3) stricter targets, re-priced
        msgs = []
        for vary, line in self._slo_lines.items():
            tab = res["study"].slo[vary]
            xs, ys = [], []
            for s in tab["scale"]:
                pl = tab.attrs["plans"][s]
                if pl is None:
                    msgs.append(f"{1 / s:g}× stricter {vary[:4].upper()}: none meets it")
                    continue
                rp = plan_volume_costs(pl, p["daily_requests_m"] * 1e6, **kw).iloc[0]
                xs.append(1.0 / s)
                ys.append(float(rp["usd_per_mtok_output"]))
                rows.append(dict(panel=f"stricter {vary}", x=1.0 / s, y=ys[-1],
                                 label=rp["label"]))  # fmt: skip
            order = np.argsort(xs)
            line.set_data(np.asarray(xs)[order], np.asarray(ys)[order])
        self._slo_msg.set_text("\n".join(msgs))
        band = self._shown_band = self._band(res, plan)
        if band is not None:
            top = self.ax_slo.get_ylim()[1]  # an infinite high end: drawn to the top
            lo, hi = band["usd_per_mtok_output_low"], band["usd_per_mtok_output_high"]
            self._slo_band.set_data([1.0, 1.0], [lo, min(hi, top)])
        else:
            self._slo_band.set_data([], [])
        # (4) self-hosted against the API
        vkey = (id(res), p["peak_to_mean"], p["headroom"], p["pricing"], p["autoscale"])
        if vkey not in self._volume_cache:  # the daily volume slider only moves the marker
            self._volume_cache.clear()
            self._volume_cache[vkey] = plan_volume_costs(
                reprice_plan(res["study"].plan, _curve(p), **kw), _VOLUMES, **kw
            )
        vol = self._volume_cache[vkey]
        self._own_line.set_data(vol["daily_requests"], vol["usd_per_mtok_output"])
        api = vol["api_usd_per_mtok_output"].to_numpy(float)
        if np.isfinite(api).all():
            self._api_line.set_data(vol["daily_requests"], api)
            self._api_msg.set_text(f"{API_MODEL.split('/')[-1]} at {API_PROVIDER}")
        else:
            self._api_line.set_data([], [])
            self._api_msg.set_text(f"no API list price held for {p['model']}")
        self._now.set_data([curve_v := p["daily_requests_m"] * 1e6],
                           [float(b["usd_per_mtok_output"])])  # fmt: skip
        rows += [dict(panel="volume", x=r["daily_requests"], y=r["usd_per_mtok_output"],
                      label="self-hosted") for _, r in vol.iterrows()]  # fmt: skip
        if np.isfinite(api).all():
            rows += [dict(panel="volume", x=v, y=a, label="API")
                     for v, a in zip(vol["daily_requests"], api, strict=True)]  # fmt: skip
        self._last = pd.DataFrame(rows)
        return self._readout(plan, band, res, stale, curve_v)

    def _readout(self, plan, band, res, stale, volume) -> str:
        b = plan.best
        i = plan.inputs
        text = (
            f"Cheapest: <b>{b['label']}</b>: <b>{int(b['peak_gpus'])} GPUs</b> at peak "
            f"({int(b['peak_replicas'])} replicas, goodput {b['goodput_rps_per_replica']:.2f} "
            f"requests/s each); <b>${b['usd_per_day']:,.0f} per day</b>, "
            f"<b>${b['usd_per_mtok_output']:.3f} per million output tokens</b> "
            f"({volume / 1e6:g} million requests a day); attainment: "
            f"{i['attainment']:.0%} of requests meet TTFT {i['ttft_ms']:.0f} ms and TPOT "
            f"{i['tpot_ms']:.0f} ms on each replica at its goodput."
        )
        if band is not None:
            kind = "calibrated" if band["calibrated"] else "extrapolated"
            hi = band["usd_per_mtok_output_high"]
            high = (f"${hi:.3f}" if np.isfinite(hi) else
                    "no rate meets the targets when every step is that much slower")  # fmt: skip
            text += (
                f"<br>Serving model ±{band['rel_error']:.0%} ({b['gpu']}, {kind}): "
                f"${band['usd_per_mtok_output_low']:.3f} to {high} per million output tokens."
            )
        if plan.api is not None:
            a = plan.api.iloc[0]
            text += (f"<br>API list price of the same traffic: ${a['usd_per_day']:,.0f} per day "
                     f"(${a['usd_per_mtok_output']:.3f} per million output tokens).")  # fmt: skip
        if not plan.search["exact"]:
            text += (f"<br><i>{plan.search['pruned_below_best']} configuration(s) pruned at the "
                     "searched volume could be cheaper here: press Search.</i>")  # fmt: skip
        if not res["full"]:
            text += ("<br><i>Quick search (one GPU per replica, one scheduler): press Search "
                     "for the full grid.</i>")  # fmt: skip
        if stale:
            text += (f"<br><b style='color:#c0392b'>Changed {', '.join(stale)}: the figure shows "
                     "the last search; press Search.</b>")  # fmt: skip
        return text

    # ---------------------------------------------------------------- layout
    def widget(self) -> widgets.Widget:
        """The layout, with the Search button and its progress bar under the controls."""
        view = super().widget()
        controls, *rest = view.children
        row = widgets.HBox([self.search_button, self.progress, self.search_status])
        view.children = (controls, row, *rest)
        return view

    def close(self) -> None:
        """Close the figure and every widget, the Search button's among them."""
        for w in (self.search_button, self.progress, self.search_status):
            w.close()
        super().close()
