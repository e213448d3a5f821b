"""Figures and explorers for notebook 06: the AI factory (cost, frontier, margin, trends, bills).

Every number drawn comes from the AI-factory modules (:mod:`inferecon.token_costs`,
:mod:`inferecon.token_revenue`, :mod:`inferecon.serving_frontier`, :mod:`inferecon.workload_bills`)
and :mod:`inferecon.trends`; this module only picks rows and draws them.
"""

from __future__ import annotations

import functools
from typing import Any

import ipywidgets as widgets
import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter, PercentFormatter

from ..datasets import (
    load_accelerators,
    load_factory_assumptions,
    load_gpus,
    load_models,
    load_published_rates,
)
from ..factory_assumptions import default_all_in_kw_per_gpu
from ..serving_frontier import (
    frontier_costs,
    operating_point_for_speed,
    operating_points_by_gpu,
    throughput_frontier,
    tiered_prices,
)
from ..specs import check_native_precision, get_gpu, native_precisions
from ..token_revenue import unit_economics
from ..trends import (
    HARDWARE_METRICS,
    TREND_PRECISIONS,
    fit_hardware_trend,
    published_hardware_rates,
    select_accelerators,
)
from ..uncertainty import calibration_band, frontier_band_polygon
from ..workload_bills import api_bill, api_list_price, self_hosted_bill
from .controls import LABEL_STYLE, dropdown, float_slider, row_layout
from .explorer import Explorer
from .serving import _band_artist, _set_band
from .style import add_source, add_title, nice_ceiling, side_by_side

__all__ = [
    "DEFAULT_PRICES_AS_OF",
    "FactoryCostExplorer",
    "FactoryFrontierExplorer",
    "HardwareTrendExplorer",
    "MarginPaybackExplorer",
    "WorkloadBillExplorer",
]

DEFAULT_PRICES_AS_OF = "2026-12-01"
"""Date the bill explorer prices API calls on (genai-prices' bundled snapshot), fixed so that a
figure re-exports identically; pass ``as_of`` to change it."""

_SPEEDS = [5, 10, 15, 20, 30, 40, 50, 75, 100, 150, 200, 300, 500]
_PROMPTS = [128, 256, 512, 1024, 2048, 4096, 8192, 16384]
_OUTPUTS = [64, 128, 256, 512, 1024, 2048, 4096, 8192]
_PRICES = [0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0,
           8.0, 10.0, 15.0, 20.0, 30.0]  # fmt: skip
_OWN = "own (pay power and hosting)"
_RENT = "rent (power and hosting included)"
_CURVE_COLUMNS = ("tokens_per_s_per_user", "tokens_per_s_per_gpu", "tokens_per_s_per_mw")
_BAR0 = 0.003  # left end of log-scale cost bars (USD per million tokens)
_FRONTIER_GPUS = ("A100-80GB-SXM", "H100-SXM", "H200-SXM", "MI300X", "B200-HGX", "GB200-per-GPU")
_GPU_COLORS = {
    "A100-80GB-SXM": "#7f8c8d",
    "H100-SXM": "#2e86c1",
    "H200-SXM": "#1f4e79",
    "MI300X": "#c0392b",
    "B200-HGX": "#27ae60",
    "GB200-per-GPU": "#145a32",
}
_PART_COLORS = {
    "hardware": "#1f4e79",
    "energy": "#e67e22",
    "facility": "#7d3c98",
    "idle": "#aab7b8",
}
_PART_COLUMNS = {
    "hardware": "hardware_usd_per_mtok",
    "energy": "energy_usd_per_mtok",
    "facility": "facility_usd_per_mtok",
    "idle": "idle_usd_per_mtok",
}
_PARTS = {
    "hardware": "hardware",
    "energy": "energy",
    "facility": "hosting",
    "idle": "idle hours",
}
RED = "#c0392b"
_SOURCE_FACTORY = (
    "GPU specs: data/gpus.csv; model shapes: data/models.csv; all-in kW per GPU: "
    "data/factory_assumptions.csv (SemiAnalysis InferenceMAX, or a stated assumption)"
)
_API_MODELS = {
    "Together: Llama 3.3 70B Turbo": ("together", "meta-llama/Llama-3.3-70B-Instruct-Turbo"),
    "Together: Llama 3.1 8B Turbo": ("together", "meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo"),
    "Together: Llama 3.1 405B Turbo": ("together", "meta-llama/Meta-Llama-3.1-405B-Instruct-Turbo"),
    "Together: gpt-oss-120b": ("together", "openai/gpt-oss-120b"),
    "DeepSeek: deepseek-chat": ("deepseek", "deepseek-chat"),
    "OpenAI: GPT-5": ("openai", "gpt-5"),
    "OpenAI: GPT-5 mini": ("openai", "gpt-5-mini"),
    "OpenAI: GPT-4o mini": ("openai", "gpt-4o-mini"),
    "Anthropic: Claude Sonnet 4.5": ("anthropic", "claude-sonnet-4-5"),
    "Anthropic: Claude Haiku 4.5": ("anthropic", "claude-haiku-4-5"),
    "Google: Gemini 2.5 Pro": ("google", "gemini-2.5-pro"),
    "Google: Gemini 2.5 Flash": ("google", "gemini-2.5-flash"),
}


# --------------------------------------------------------------------------- helpers


@functools.lru_cache(maxsize=1)
def _names() -> tuple[list[str], list[str]]:
    return list(load_models()["name"]), list(load_gpus()["name"])


def _select(options, value, label, **kw) -> widgets.SelectionSlider:
    return widgets.SelectionSlider(
        options=options, value=value, description=label, style=LABEL_STYLE, layout=row_layout(),
        **kw,
    )  # fmt: skip


def _usd(v: float) -> str:
    """USD amounts in prose style (no $ sign: it starts MathJax math in the HTML report)."""
    if v >= 100:
        return f"USD {v:,.0f}"
    if v >= 1:
        return f"USD {v:,.2f}"
    return f"USD {v:.3g}"


def _num(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:,.3g}"


def _years(v: float) -> str:
    return "never" if not np.isfinite(v) else f"{v:.1f} years"


def _note(text: str) -> str:
    return f"<span style='color:{RED}'><b>{text}</b></span>"


def _message_text(ax):
    """An empty red line of text in the middle of ``ax``, for what cannot be drawn."""
    return ax.text(
        0.5, 0.5, "", transform=ax.transAxes, ha="center", va="center", fontsize=10, color=RED,
        wrap=True,
    )  # fmt: skip


def _si(v: float) -> str:
    """Tick label: 1k, 10M, 1B above a thousand; plain below."""
    for scale, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(v) >= scale:
            return f"{v / scale:,.10g}{suffix}"
    return f"{v:,.10g}"


def _log_axis(ax, which="both"):
    fmt = FuncFormatter(lambda v, _p: _si(v))
    if which in ("both", "x"):
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(fmt)
    if which in ("both", "y"):
        ax.set_yscale("log")
        ax.yaxis.set_major_formatter(fmt)


def _subtitle(explorer, fig):
    """A dynamic line under the title saying which scenario is shown."""
    explorer._subtitle = explorer._dynamic(
        fig.text(0.01, 0.905, "", ha="left", fontsize=10, color="#333333")
    )


def _scenario(p) -> str:
    return (
        f"{p['model']} on {p['gpu']} ×{int(p['tensor_parallel'])}, {p['precision']}; requests of "
        f"{int(p['prompt_tokens']):,} tokens in, {int(p['output_tokens']):,} out; "
        f"{p['hardware'].split(' (')[0]}, {p['utilisation']:.0%} utilisation"
    )


def _operating_controls(model="Llama-3.1-70B", gpu="H200-SXM", precision="fp8", tensor_parallel=2):
    models, gpus = _names()
    return {
        "model": dropdown(models, model, "Model (data/models.csv)"),
        "gpu": dropdown(gpus, gpu, "GPU (data/gpus.csv)"),
        "precision": dropdown(["bf16", "fp8", "fp4"], precision, "Weights and matmul precision"),
        "tensor_parallel": _select([1, 2, 4, 8], tensor_parallel, "Tensor-parallel GPUs"),
        "target_speed": _select(_SPEEDS, 50, "Target speed per user (tokens/s)"),
        "prompt_tokens": _select(_PROMPTS, 1024, "Prompt length (tokens)"),
        "output_tokens": _select(_OUTPUTS, 1024, "Output length (tokens)"),
    }


def _not_native(gpu, precision) -> str | None:
    """Why the configuration cannot run under the package's one precision rule
    (:func:`inferecon.check_native_precision`, no weight-only opt-in), or None."""
    try:
        check_native_precision(gpu, precision)
    except ValueError:
        native = ", ".join(native_precisions(gpu))
        return f"{gpu} has no {precision} tensor cores (it computes in {native})"
    return None


def _cost_controls(gpu="H200-SXM"):
    g = get_gpu(gpu)
    cited = load_factory_assumptions()["value"]  # defaults with their sources
    return {
        "hardware": dropdown([_OWN, _RENT], _OWN, "Hardware"),
        "usd_per_gpu_hour": float_slider(
            round(g.usd_per_gpu_hour_mid, 2), 0.25, 12.0, 0.05, "Rent (USD per GPU-hour)"
        ),
        "purchase_usd": float_slider(
            30_000.0, 2_000.0, 100_000.0, 500.0, "Purchase price (USD per GPU)", fmt=",.0f"
        ),
        "lifetime_years": float_slider(4.0, 1.0, 8.0, 0.5, "Lifetime (years)", fmt=".1f"),
        "cost_of_capital": float_slider(0.10, 0.0, 0.30, 0.01, "Cost of capital (per year)"),
        "utilisation": float_slider(0.70, 0.05, 1.0, 0.01, "Utilisation (share of hours serving)"),
        "usd_per_kwh": float_slider(
            cited["default_usd_per_kwh"], 0.0, 0.40, 0.005, "Electricity (USD per kWh)", fmt=".3f"
        ),
        "pue": float_slider(cited["default_pue"], 1.0, 2.0, 0.01, "Facility PUE (ratio)"),
        "all_in_kw_per_gpu": float_slider(
            default_all_in_kw_per_gpu(g)[0], 0.1, 4.0, 0.01, "All-in power per GPU (kW)"
        ),
        "facility_usd_per_kw_month": float_slider(
            float(round(cited["default_facility_usd_per_kw_month"])),
            0.0,
            400.0,
            1.0,
            "Hosting (USD per kW-month of all-in power)",
            fmt=".0f",
        ),  # fmt: skip
    }


def _gpu_defaults(controls, gpu) -> None:
    """Put a GPU's cited defaults (mid rental price, all-in kW) into the cost controls."""
    g = get_gpu(gpu)
    if "usd_per_gpu_hour" in controls and np.isfinite(g.usd_per_gpu_hour_mid):
        controls["usd_per_gpu_hour"].value = round(g.usd_per_gpu_hour_mid, 2)
    if "all_in_kw_per_gpu" in controls:
        controls["all_in_kw_per_gpu"].value = default_all_in_kw_per_gpu(g)[0]


def _cost_kwargs(p) -> dict:
    """Cost parameters of :func:`inferecon.frontier_costs` from the controls."""
    own = p["hardware"] == _OWN
    kw = dict(utilisation=float(p["utilisation"]), pue=float(p["pue"]))
    if own:
        kw.update(
            purchase_usd=float(p["purchase_usd"]),
            lifetime_years=float(p["lifetime_years"]),
            cost_of_capital=float(p["cost_of_capital"]),
            usd_per_kwh=float(p["usd_per_kwh"]),
            facility_usd_per_kw_month=float(p["facility_usd_per_kw_month"]),
        )
    else:
        kw.update(usd_per_gpu_hour=float(p["usd_per_gpu_hour"]))
    return kw


class _GpuDefaultsMixin:
    """Choosing a GPU puts its cited defaults (mid rental price, all-in kW) into the cost
    controls."""

    def _on_control(self, name, change):
        if name == "gpu":
            _gpu_defaults(self.controls, change["new"])

    def _set_control(self, name, value):
        super()._set_control(name, value)
        if name == "gpu":
            _gpu_defaults(self.controls, value)


class _OperatingPointMixin(_GpuDefaultsMixin):
    """The configuration of one GPU, precision and TP size, its batch sweep and its costs."""

    def _sweep(self, model, gpu, precision, n, prompt, output, kw):
        """All fitting batch sizes of the configuration (``throughput_frontier`` over its
        default :data:`inferecon.FRONTIER_BATCH_SIZES`), slowest first, kept per configuration
        so that cost and price controls redraw without re-running the model."""
        cache = self.__dict__.setdefault("_sweeps", {})
        key = (model, gpu, precision, n, prompt, output, kw)
        if key not in cache:
            if len(cache) > 32:
                cache.pop(next(iter(cache)))
            sweep = throughput_frontier(
                model, gpu, prompt, output, precisions=[precision], tensor_parallel_sizes=[n],
                all_in_kw_per_gpu=kw,
            )  # fmt: skip
            cache[key] = sweep.sort_values("tokens_per_s_per_user", ignore_index=True)
        return cache[key]

    def _update(self, p):
        """Show the scenario, find its operating point and draw it (``_draw``), or clear the
        figure (``_clear``) with the reason the configuration cannot run."""
        self._subtitle.set_text(_scenario(p))
        costs, row, message = self._operating_point(p)
        if costs is None:
            self._clear(message)
            return _note(message)
        return self._draw(p, costs, row)

    def _operating_point(self, p):
        """(sweep with costs, chosen row, message) for the current controls; a message
        (plain text) instead of rows when the configuration cannot run."""
        gpu, prec, n = p["gpu"], p["precision"], int(p["tensor_parallel"])
        why = _not_native(gpu, prec)
        if why:
            return None, None, why + ": choose one of those"
        sweep = self._sweep(
            p["model"], gpu, prec, n, int(p["prompt_tokens"]), int(p["output_tokens"]),
            float(p["all_in_kw_per_gpu"]),
        )  # fmt: skip
        if not len(sweep):
            return (
                None,
                None,
                (
                    f"{p['model']} in {prec} does not fit on {gpu} ×{n} at this context: "
                    "add GPUs or lower the precision"
                ),
            )
        costs = frontier_costs(sweep, **_cost_kwargs(p))
        row = operating_point_for_speed(
            costs, float(p["target_speed"]), objective="cost", on_unreachable="fastest"
        )
        return costs, row, ""


def _unreachable_note(row) -> str:
    return _note(
        f"{row['target_tokens_per_s_per_user']:,.0f} tokens/s per user is out of reach: the "
        f"fastest configuration runs {row['tokens_per_s_per_user']:,.0f} (batch "
        f"{int(row['batch'])}), shown instead"
    )


# --------------------------------------------------------------------------- cost breakdown


class FactoryCostExplorer(_OperatingPointMixin, Explorer):
    """What a million output tokens costs at an operating point, split into its parts.

    The operating point is the cheapest batch of the chosen model, GPU, precision and
    tensor-parallel size that still serves each user the target speed. Its cost per million
    output tokens splits into hardware (rent, or the purchase price as an annuity), energy
    (board power at that load x PUE x price), hosting (all-in kW per GPU x price per kW-month)
    and the idle hours utilisation below 100% leaves. The right panel shows how the total
    rises with the speed promised to each user.
    """

    name = "factory_cost"

    def _make_controls(self):
        return {**_operating_controls(), **_cost_controls()}

    def _build(self, fig):
        ax, axs = side_by_side(fig, 1.0, 0.32, left=0.13, bottom=0.24)
        self.ax, self.ax_speed = ax, axs
        add_title(fig, "What a million output tokens costs, part by part")
        _subtitle(self, fig)
        ax.set_yticks([1, 0], ["chosen\nutilisation", "every hour\nserving"])
        ax.set_ylim(-0.5, 2.0)
        ax.set_xlim(0, 1)
        ax.set_xlabel("Cost (USD per million output tokens)")
        self._bars = {}
        left = np.zeros(2)
        for part, color in _PART_COLORS.items():
            bars = ax.barh([1, 0], [0, 0], left=left, color=color, height=0.55, label=_PARTS[part])
            self._bars[part] = [self._dynamic(b) for b in bars]
        self._totals = [
            self._dynamic(ax.text(0, y, "", va="center", ha="left", fontsize=9)) for y in (1, 0)
        ]
        self._intervals = [
            self._dynamic(ax.plot([], [], "|-", color="black", lw=1.3, ms=11)[0]) for _ in (1, 0)
        ]
        self._band_note = self._dynamic(
            ax.text(0.01, 0.79, "", transform=ax.transAxes, fontsize=8.5, color="#333333")
        )
        ax.legend(loc="upper center", ncol=4, fontsize=8, frameon=False)
        ax.set_autoscale_on(False)

        _log_axis(axs)
        axs.set_xlim(1, 3000)
        axs.set_ylim(0.01, 1000)
        axs.set_xlabel("Speed per user (output tokens/s)")
        axs.set_ylabel("Cost (USD per million output tokens)")
        axs.set_title("Faster per user costs more per token", fontsize=10.5)
        (self._curve,) = axs.plot(
            [], [], color=_PART_COLORS["hardware"], label="at the utilisation"
        )
        (self._curve_full,) = axs.plot([], [], "--", color=_PART_COLORS["hardware"], lw=1.0,
                                       alpha=0.6, label="every hour serving")  # fmt: skip
        self._target = axs.axvline(50, ls=":", color="black", lw=1.0)
        (self._op,) = axs.plot(
            [], [], "o", ms=8, mfc="white", mec=RED, mew=2, label="operating point"
        )
        self._msg = _message_text(axs)
        for a in (self._curve, self._curve_full, self._target, self._op, self._msg):
            self._dynamic(a)
        axs.legend(loc="upper left", fontsize=8)
        axs.set_autoscale_on(False)
        add_source(
            fig,
            "Source: inferecon.cost_breakdown on inferecon.serving_performance "
            "(calibrated on data/h200_decode.csv);\n" + _SOURCE_FACTORY + ";\nhosting "
            "default: CBRE, North America Data Center Trends H2 2024 (USD 184 per kW-month). "
            "Idle hours cost hardware, hosting and idle power. Dotted: the target speed.\n"
            "Interval on each bar: inferecon.cost_band, the p90 error of the GPU's calibration "
            "(inferecon.calibration_band) on the part of the cost paid per GPU-hour.",
        )

    def _export_fit(self, ax) -> str:
        # the bars keep their live limits: room for the legend and the totals' labels
        return "" if ax is self.ax else "xy"

    def _clear(self, message):
        for bars in self._bars.values():
            for b in bars:
                b.set_width(0)
        for t in (*self._totals, self._band_note):
            t.set_text("")
        for a in (self._curve, self._curve_full, self._op, *self._intervals):
            a.set_data([], [])
        self._target.set_visible(False)
        self._msg.set_text(message)
        self._last = pd.DataFrame()

    def _draw(self, p, costs, row):
        self._msg.set_text("")
        full = frontier_costs(costs, **{**_cost_kwargs(p), "utilisation": 1.0})
        i = int(np.flatnonzero(costs["batch"].to_numpy() == row["batch"])[0])
        band = costs.iloc[i]  # frontier_costs carries the calibration band
        self._draw_bars([band, full.iloc[i]])
        self._band_note.set_text(
            f"intervals: {_band_label(calibration_band(band['gpu'])).replace(chr(10), ' ')} "
            "(p90 error of step time)"
        )
        self._draw_speed_curves(costs, full, row, float(p["target_speed"]))
        self._last = costs.assign(
            chosen=costs["batch"] == row["batch"],
            total_usd_per_mtok_every_hour=full["total_usd_per_mtok"].to_numpy(),
        )
        return self._readout(p, row) + _band_text(band)

    def _draw_bars(self, rows):
        """Stack each part's cost, at the chosen utilisation and serving every hour."""
        for k, r in enumerate(rows):
            left = 0.0
            for part, col in _PART_COLUMNS.items():
                w = float(r[col])
                b = self._bars[part][k]
                b.set_x(left)
                b.set_width(w)
                left += w
            lo, hi = float(r["total_usd_per_mtok_low"]), float(r["total_usd_per_mtok_high"])
            self._intervals[k].set_data([lo, hi], [1 - k, 1 - k])
            self._totals[k].set_position((max(left, hi), 1 - k))
            band = f"{_usd(lo).removeprefix('USD ')}-{_usd(hi).removeprefix('USD ')}"
            self._totals[k].set_text(f" {_usd(left)}\n ({band})")
        # room for the interval and its label; the limit is a function of the values (1, 2,
        # 5 x 10^k), so a background drawn once for it is reused whenever a drag comes back
        need = float(rows[0]["total_usd_per_mtok_high"]) * 1.45
        self._set_limits(self.ax, xlim=(0, nice_ceiling(need)))

    def _draw_speed_curves(self, costs, full, row, target):
        """Cost against speed per user, the target speed and the operating point."""
        x = costs["tokens_per_s_per_user"].to_numpy()
        self._curve.set_data(x, costs["total_usd_per_mtok"].to_numpy())
        self._curve_full.set_data(x, full["total_usd_per_mtok"].to_numpy())
        self._target.set_xdata([target, target])
        self._target.set_visible(True)
        self._op.set_data([row["tokens_per_s_per_user"]], [row["total_usd_per_mtok"]])

    @staticmethod
    def _readout(p, row) -> str:
        reach = "" if row["reachable"] else _unreachable_note(row) + " · "
        split = ", ".join(f"{_PARTS[k]} {_usd(float(row[c]))}" for k, c in _PART_COLUMNS.items())
        kw, kind = default_all_in_kw_per_gpu(p["gpu"])
        kw_note = f"{p['all_in_kw_per_gpu']:.2f} kW per GPU"
        if abs(p["all_in_kw_per_gpu"] - kw) < 1e-9:
            kw_note += f", {kind.replace('_', ' ')}"
        hw = (
            f"owned: {_usd(row['hardware_usd_per_gpu_hour'])} per GPU-hour as an annuity"
            if p["hardware"] == _OWN
            else "rented; power and hosting included in the rent"
        )
        return (
            f"{reach}<b>{_usd(row['total_usd_per_mtok'])}</b> per million output tokens at batch "
            f"{int(row['batch'])} ({row['tokens_per_s_per_user']:,.0f} tokens/s per user, "
            f"{row['tokens_per_s_per_gpu']:,.0f} per GPU; {hw}): {split} · "
            f"<b>{row['joules_per_output_token']:.3g} J</b> per token on the board, "
            f"{row['facility_joules_per_token']:.3g} J at the facility · "
            f"<b>{row['tokens_per_s_per_mw']:,.0f}</b> tokens/s per MW ({kw_note})"
        )


# --------------------------------------------------------------------------- margin and payback


class MarginPaybackExplorer(_OperatingPointMixin, Explorer):
    """Gross margin and payback time against the selling price, break-even marked.

    The operating point is chosen as in :class:`FactoryCostExplorer`. Revenue counts input and
    output tokens at their own prices (as APIs bill them); the margin is revenue less the full
    cost per token; payback divides the purchase price by the yearly profit before hardware
    (owning only).
    """

    name = "factory_margin"
    _GRID = np.geomspace(0.01, 100, 241)

    def _make_controls(self):
        return {
            **_operating_controls(),
            **_cost_controls(),
            "output_usd_per_mtok": _select(_PRICES, 1.0, "Selling price (USD per M output tokens)"),
            "input_usd_per_mtok": _select(_PRICES, 0.2, "Selling price (USD per M input tokens)"),
        }

    def _export_fit(self, ax) -> str:
        return "x"  # keep the fixed margin (%) and payback (years) scales

    def _build(self, fig):
        ax, axp = side_by_side(fig, 1.0, 0.3, left=0.09)
        self.ax, self.ax_pay = ax, axp
        add_title(fig, "Margin and payback against the selling price")
        _subtitle(self, fig)
        for a in (ax, axp):
            _log_axis(a, "x")
            a.set_xlim(0.01, 100)
            a.set_xlabel("Selling price (USD per million output tokens)")
        ax.set_ylim(-1.0, 1.0)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        ax.set_ylabel("Gross margin (% of revenue)")
        ax.axhline(0, color="black", lw=0.8)
        axp.set_ylim(0, 10)
        axp.set_ylabel("Payback of the purchase (years)")
        (self._margin,) = ax.plot([], [], color=_PART_COLORS["hardware"], label="gross margin")
        (self._be,) = ax.plot([], [], "--", color=RED, lw=1.2, label="break-even price")
        (self._now,) = ax.plot([], [], "o", ms=8, mfc="white", mec=RED, mew=2, label="your price")
        (self._pay,) = axp.plot([], [], color=_PART_COLORS["hardware"], label="payback")
        (self._life,) = axp.plot([], [], ":", color="black", lw=1.0, label="lifetime")
        (self._be_p,) = axp.plot([], [], "--", color=RED, lw=1.2)
        (self._now_p,) = axp.plot([], [], "o", ms=8, mfc="white", mec=RED, mew=2)
        self._msg = _message_text(axp)
        self._msg_m = _message_text(ax)
        for a in (self._margin, self._be, self._now, self._pay, self._life, self._be_p,
                  self._now_p, self._msg, self._msg_m):  # fmt: skip
            self._dynamic(a)
        ax.legend(loc="lower right", fontsize=8)
        axp.legend(loc="upper right", fontsize=8)
        for a in (ax, axp):
            a.set_autoscale_on(False)
        add_source(
            fig,
            "Source: inferecon.unit_economics on frontier_costs of "
            "inferecon.serving_performance (calibrated on data/h200_decode.csv);\n"
            + _SOURCE_FACTORY
            + ".\nInput tokens are billed at their own price "
            "(prompt length / output length of them per output token).",
        )

    def _clear(self, message):
        for a in (self._margin, self._be, self._now, self._pay, self._life, self._be_p,
                  self._now_p):  # fmt: skip
            a.set_data([], [])
        self._msg_m.set_text(message)
        self._msg.set_text("")
        self._last = pd.DataFrame()

    def _draw(self, p, costs, row):
        self._msg_m.set_text("")
        grid, now = self._economics(p, costs, row)
        price = float(p["output_usd_per_mtok"])
        be = float(now["break_even_output_usd_per_mtok"])
        self._margin.set_data(self._GRID, grid["gross_margin"].to_numpy())
        self._be.set_data(*(([be, be], [-1, 1]) if be > 0 else ([], [])))
        self._now.set_data([price], [now["gross_margin"]])
        if p["hardware"] == _OWN:
            self._draw_payback(grid, now, price, be, float(p["lifetime_years"]))
        else:
            for a in (self._pay, self._life, self._be_p, self._now_p):
                a.set_data([], [])
            self._msg.set_text("rented: no purchase to pay back")
        self._last = grid.assign(output_usd_per_mtok=self._GRID, batch=int(row["batch"]))
        return self._readout(p, row, now)

    def _economics(self, p, costs, row):
        """:func:`inferecon.unit_economics` of the operating point over the price grid and at
        the chosen price."""
        one = costs[costs["batch"] == row["batch"]].iloc[:1]
        prices = np.append(self._GRID, float(p["output_usd_per_mtok"]))
        econ = unit_economics(
            one, float(row["tokens_per_s_per_gpu"]), prices,
            input_usd_per_mtok=float(p["input_usd_per_mtok"]),
            input_tokens_per_output_token=int(p["prompt_tokens"]) / int(p["output_tokens"]),
        )  # fmt: skip
        return econ.iloc[:-1], econ.iloc[-1]

    def _draw_payback(self, grid, now, price, be, life):
        pay = grid["payback_years"].to_numpy()
        self._pay.set_data(self._GRID, np.where(np.isfinite(pay), pay, np.nan))
        self._life.set_data([0.01, 100], [life, life])
        self._be_p.set_data(*(([be, be], [0, 10]) if be > 0 else ([], [])))
        pn = now["payback_years"]
        self._now_p.set_data([price], [pn if np.isfinite(pn) else np.nan])
        self._msg.set_text("")

    @staticmethod
    def _readout(p, row, now) -> str:
        reach = "" if row["reachable"] else _unreachable_note(row) + " · "
        life = float(p["lifetime_years"])
        pay_txt = (
            f"payback <b>{_years(now['payback_years'])}</b> of a {life:.1f}-year life, "
            f"revenue over the life <b>{now['return_multiple']:.1f}×</b> the purchase price "
            f"(net of power and hosting {now['net_return_multiple']:.1f}×)"
            if p["hardware"] == _OWN
            else "rented: nothing to pay back"
        )
        bu = now["break_even_utilisation"]
        bu_txt = f"{bu:.0%}" if np.isfinite(bu) else "none up to 100%"
        return (
            f"{reach}batch {int(row['batch'])} at {row['tokens_per_s_per_user']:,.0f} tokens/s "
            f"per user: cost <b>{_usd(row['total_usd_per_mtok'])}</b>, revenue "
            f"<b>{_usd(now['revenue_usd_per_mtok'])}</b> per million output tokens "
            f"({_usd(now['revenue_usd_per_gpu_hour'])} per GPU-hour) · gross margin "
            f"<b>{float(now['gross_margin']):.0%}</b> · break-even output price "
            f"<b>{_usd(float(now['break_even_output_usd_per_mtok']))}</b>, break-even "
            f"utilisation <b>{bu_txt}</b> · {pay_txt}"
        )


# --------------------------------------------------------------------------- the frontier


class FactoryFrontierExplorer(Explorer):
    """Tokens per second per MW against tokens per second per user, GPU generation by GPU
    generation, with the cost of a million tokens at a target speed.

    For each GPU every batch size, tensor-parallel size and native precision is evaluated
    (:func:`inferecon.throughput_frontier`); the curves are each GPU's Pareto set. At the target
    speed each GPU's cheapest configuration is marked and priced (rented at its mid price in
    ``data/gpus.csv``, at the chosen utilisation); a fast tier (the target speed) and a cheap
    tier (the most throughput) are priced off the same frontier at one gross margin.

    Parameters
    ----------
    gpus : sequence of str, optional
        GPUs to compare (default: A100, H100, H200, MI300X, B200, GB200).
    **params
        Initial control values.
    """

    name = "factory_frontier"

    def __init__(self, gpus=None, **params: Any):
        self.gpus = [get_gpu(g).name for g in (gpus or _FRONTIER_GPUS)]
        self._bands = {g: calibration_band(g) for g in self.gpus}
        self._cache: dict[tuple, tuple] = {}
        self._cost_cache: dict[tuple, pd.DataFrame] = {}
        super().__init__(**params)

    def _make_controls(self):
        models, _ = _names()
        return {
            "model": dropdown(models, "Llama-3.1-70B", "Model (data/models.csv)"),
            # a new request shape re-evaluates every GPU's frontier (about 40 ms in process,
            # 60-75 ms in the kernel with the bands): an expensive control commits on release
            "prompt_tokens": _select(
                _PROMPTS, 1024, "Prompt length (tokens)", continuous_update=False
            ),
            "output_tokens": _select(
                _OUTPUTS, 1024, "Output length (tokens)", continuous_update=False
            ),
            "per": dropdown(["MW of all-in power", "GPU"], "MW of all-in power", "Throughput per"),
            "target_speed": _select(_SPEEDS, 50, "Target speed per user (tokens/s)"),
            "utilisation": float_slider(0.7, 0.05, 1.0, 0.01, "Utilisation (share of hours)"),
            "gross_margin": float_slider(0.5, 0.0, 0.9, 0.01, "Gross margin of both tiers (share)"),
        }

    def _frontier(self, model, prompt, output):
        """(frontier, each GPU's Pareto curve) of a request shape, kept per shape."""
        key = (model, prompt, output)
        if key not in self._cache:
            if len(self._cache) > 16:
                self._cache.pop(next(iter(self._cache)))
            front = throughput_frontier(model, self.gpus, prompt, output)
            curves = {}
            for g in self.gpus:
                mine = front[(front["gpu"] == g) & front["pareto"]]
                mine = mine.sort_values("tokens_per_s_per_user")
                curves[g] = {c: mine[c].to_numpy() for c in _CURVE_COLUMNS}
                x, e = curves[g]["tokens_per_s_per_user"], self._bands[g].rel_error
                for c in ("tokens_per_s_per_gpu", "tokens_per_s_per_mw"):
                    curves[g][f"band_{c}"] = frontier_band_polygon(x, curves[g][c], e)
            self._cache[key] = (front, curves)
        return self._cache[key]

    def _costs(self, model, prompt, output, utilisation):
        """The frontier priced at mid rental prices and ``utilisation``, kept per value."""
        key = (model, prompt, output, utilisation)
        if key not in self._cost_cache:
            if len(self._cost_cache) > 64:
                self._cost_cache.pop(next(iter(self._cost_cache)))
            front = self._frontier(model, prompt, output)[0]
            costs = frontier_costs(front, utilisation=utilisation)
            self._cost_cache[key] = costs  # banded by frontier_costs
        return self._cost_cache[key]

    def _build(self, fig):
        ax, axb = side_by_side(fig, 1.7, 0.45, left=0.09, right=0.97, bottom=0.22)
        self.ax, self.ax_cost = ax, axb
        add_title(fig, "The AI factory frontier: throughput against speed per user")
        _subtitle(self, fig)
        _log_axis(ax)
        ax.set_xlim(3, 1000)
        ax.set_xlabel("Speed per user (output tokens/s)")
        self._lines, self._dots, self._band_patches = {}, {}, {}
        for g in self.gpus:
            color, band = _GPU_COLORS.get(g, "#555555"), self._bands[g]
            self._band_patches[g] = self._dynamic(_band_artist(ax, color))
            (ln,) = ax.plot([], [], "-" if band.calibrated else "--", color=color, lw=1.8,
                            label=g)  # fmt: skip
            (dot,) = ax.plot([], [], "o", ms=8, mfc="white", mec=color, mew=2)
            self._lines[g], self._dots[g] = self._dynamic(ln), self._dynamic(dot)
        self._target = self._dynamic(ax.axvline(50, ls=":", color="black", lw=1.0))
        self._msg = self._dynamic(_message_text(ax))
        ax.legend(loc="lower left", fontsize=8, title="dashed: extrapolated", title_fontsize=8)
        ax.set_autoscale_on(False)

        y = np.arange(len(self.gpus))[::-1]
        colors = [_GPU_COLORS.get(g, "#555555") for g in self.gpus]
        self._bars = axb.barh(y, np.zeros(len(y)), left=_BAR0, color=colors, height=0.6)
        for b, g in zip(self._bars, self.gpus, strict=True):
            if not self._bands[g].calibrated:  # extrapolated: hatched
                b.set_hatch("///")
                b.set_edgecolor("white")
            self._dynamic(b)
        self._intervals = [
            self._dynamic(axb.plot([], [], "|-", color="black", lw=1.3, ms=9)[0]) for _ in y
        ]
        axb.set_yticks(y, [_band_label(self._bands[g]) for g in self.gpus], fontsize=8.5)
        _log_axis(axb, "x")
        axb.set_xlim(_BAR0, 100)
        axb.set_xlabel("USD per million output tokens")
        axb.set_title("Cost at the target speed", fontsize=10.5)
        self._labels = [
            self._dynamic(axb.text(_BAR0 * 1.2, yy, "", va="center", fontsize=8)) for yy in y
        ]
        axb.set_autoscale_on(False)
        add_source(
            fig,
            "Source: inferecon.throughput_frontier (inferecon.serving_performance over "
            "batch 1-4,096, TP 1-8, native precisions; calibrated on data/h200_decode.csv);\n"
            + _SOURCE_FACTORY
            + ";\nrent: data/gpus.csv mid prices. Curves: each GPU's Pareto set. Dots: the "
            "cheapest configuration at the target speed (dotted).\nBands and intervals: "
            "inferecon.calibration_band, the p90 error of each GPU's calibration (dashed, "
            "hatched: extrapolated by the transfer rule; B200 and MI300X: their measured "
            "engines' larger error).",
        )

    def _export_fit(self, ax) -> str:
        return "y" if ax is self.ax else ""  # speed and cost scales stay fixed

    def _set_per(self, per):
        if per == "GPU":
            self._set_limits(self.ax, ylim=(1, 1e6))
            label = "Throughput per GPU (output tokens/s)"
        else:
            self._set_limits(self.ax, ylim=(1e3, 1e9))
            label = "Throughput per MW of all-in power (output tokens/s)"
        if self.ax.get_ylabel() != label:
            self.ax.set_ylabel(label)
            self._relayout()

    def _update(self, p):
        model, prompt, output = p["model"], int(p["prompt_tokens"]), int(p["output_tokens"])
        target, per = float(p["target_speed"]), p["per"]
        self._subtitle.set_text(
            f"{model}; requests of {prompt:,} tokens in, {output:,} out; rented at data/gpus.csv "
            f"mid prices, {p['utilisation']:.0%} utilisation"
        )
        self._set_per(per)
        self._target.set_xdata([target, target])
        front, curves = self._frontier(model, prompt, output)
        if not len(front):
            return self._clear(model)
        self._msg.set_text("")
        ycol = "tokens_per_s_per_gpu" if per == "GPU" else "tokens_per_s_per_mw"
        for g in self.gpus:
            self._lines[g].set_data(curves[g]["tokens_per_s_per_user"], curves[g][ycol])
            _set_band(self._band_patches[g], curves[g][f"band_{ycol}"])
        costs = self._costs(model, prompt, output, float(p["utilisation"]))
        ops = operating_points_by_gpu(costs, target).set_index("gpu")
        parts = [self._draw_gpu_cost(k, g, ops, ycol) for k, g in enumerate(self.gpus)]
        chosen = ops["frontier_row"].to_numpy()[ops["reachable"].to_numpy(bool)]
        self._last = costs.assign(chosen=np.isin(np.arange(len(costs)), chosen))
        return (
            f"cost per million output tokens at ≥ {target:,.0f} tokens/s per user (rented at "
            f"data/gpus.csv mid prices, {p['utilisation']:.0%} utilisation): "
            + "; ".join(parts)
            + _tier_text(costs, target, float(p["gross_margin"]))
        )

    def _clear(self, model):
        for g in self.gpus:
            self._lines[g].set_data([], [])
            self._dots[g].set_data([], [])
            _set_band(self._band_patches[g], ())
        for b, t, iv in zip(self._bars, self._labels, self._intervals, strict=True):
            b.set_width(0)
            t.set_text("")
            iv.set_data([], [])
        self._msg.set_text(f"{model} does not fit on any of these GPUs (TP up to 8)")
        self._last = pd.DataFrame()
        return _note(f"{model} does not fit on any of these GPUs with up to 8-way TP")

    def _draw_gpu_cost(self, k, g, ops, ycol) -> str:
        """Mark GPU ``g``'s operating point and its cost bar; its part of the readout."""
        dot, bar, label = self._dots[g], self._bars[k], self._labels[k]
        y_k = label.get_position()[1]
        self._intervals[k].set_data([], [])
        if g not in ops.index:
            dot.set_data([], [])
            bar.set_width(0)
            label.set_position((_BAR0 * 1.2, y_k))
            label.set_text("does not fit in memory")
            return f"{g}: does not fit"
        op = ops.loc[g]
        if not op["reachable"]:
            dot.set_data([], [])
            bar.set_width(1e-3)
            label.set_position((0.012, y_k))
            label.set_text(f"cannot reach: at most {op['tokens_per_s_per_user']:,.0f}")
            return f"{g}: fastest {op['tokens_per_s_per_user']:,.0f} tokens/s per user"
        dot.set_data([op["tokens_per_s_per_user"]], [op[ycol]])
        c = float(op["total_usd_per_mtok"])
        lo, hi = float(op["total_usd_per_mtok_low"]), float(op["total_usd_per_mtok_high"])
        bar.set_width(max(c - _BAR0, 0.0))
        self._intervals[k].set_data([max(lo, _BAR0), max(hi, _BAR0)], [y_k, y_k])
        label.set_text(f"{_usd(c)}")
        label.set_position((min(max(hi, _BAR0) * 1.2, 20.0), y_k))
        return (
            f"{g} <b>{_usd(c)}</b> ({_usd(lo)}-{_usd(hi).removeprefix('USD ')}; "
            f"{_num(op['tokens_per_s_per_mw'])} tokens/s per MW)"
        )


def _band_text(row) -> str:
    """The readout's calibration band of a :func:`inferecon.cost_band` row."""
    kind = "calibrated on measurements" if row["calibrated"] else "extrapolated"
    return (
        f" · calibration band {_usd(row['total_usd_per_mtok_low'])} to "
        f"{_usd(row['total_usd_per_mtok_high'])} ({row['gpu']} {kind}, p90 error "
        f"±{row['rel_error']:.0%} of step time)"
    )


def _band_label(band) -> str:
    """A GPU's label: its name, whether it is calibrated on measurements or extrapolated, and
    its band."""
    kind = "calibrated" if band.calibrated else "extrapolated"
    return f"{band.gpu}\n{kind} ±{band.rel_error:.0%}"


def _tier_text(costs, target, gross_margin) -> str:
    """The readout's fast and cheap tiers (:func:`inferecon.tiered_prices`)."""
    try:
        tiers = tiered_prices(costs, target, gross_margin=gross_margin)
    except ValueError as exc:
        return f" · no fast tier: {exc}".replace("target_tokens_per_s_per_user=", "")
    fast, cheap = tiers.iloc[1], tiers.iloc[0]
    return (
        f" · tiers at {gross_margin:.0%} margin: fast (≥ {target:,.0f} tokens/s) "
        f"<b>{_usd(fast['price_usd_per_mtok'])}</b> on {fast['configuration']}; cheap "
        f"<b>{_usd(cheap['price_usd_per_mtok'])}</b> on {cheap['configuration']} "
        f"(fast costs {fast['price_ratio']:.1f}× cheap)"
    )


# --------------------------------------------------------------------------- hardware trends

_SEGMENT_COLORS = {"datacenter": "#1f4e79", "workstation": "#2e8b57", "consumer": "#e67e22"}
_SEGMENT_LABELS = {
    "datacenter": "data-centre accelerators",
    "workstation": "workstation cards",
    "consumer": "consumer cards",
}
_SUBSETS = {
    "all chips": {},
    "data-centre only": {"segments": ["datacenter"]},
    "NVIDIA only": {"vendors": ["NVIDIA"]},
    "launch prices only": {"price_kinds": ["launch"]},
}


class HardwareTrendExplorer(Explorer):
    """Price-performance or energy efficiency of accelerators against their release date.

    Points are the accelerators of ``data/accelerators.csv`` that have the figures the metric
    needs; the line is the log-linear fit (Epoch AI's method) with its 90% band, beside the AI
    Index 2025's rate drawn through the same middle point. The right panel fits every precision
    for the same selection, so you can see how much the rate depends on what is compared.
    """

    name = "hardware_trends"

    def __init__(self, accelerators: pd.DataFrame | None = None, **params: Any):
        self.accelerators = load_accelerators() if accelerators is None else accelerators
        self.published = published_hardware_rates(load_published_rates()).set_index("metric")
        self._segments = dict(zip(self.accelerators["name"], self.accelerators["segment"],
                                  strict=True))  # fmt: skip
        self._fit_cache: dict[tuple, tuple] = {}
        super().__init__(**params)

    def _make_controls(self):
        return {
            "metric": dropdown(
                [
                    ("price-performance (FLOP/s per USD)", "price_performance"),
                    ("energy efficiency (FLOP/s per W)", "energy_efficiency"),
                ],
                "price_performance",
                "Metric",
            ),  # fmt: skip
            "precision": dropdown(list(TREND_PRECISIONS), "fp32", "Precision compared"),
            "chips": dropdown(list(_SUBSETS), "all chips", "Chips included"),
            "start_year": widgets.IntSlider(
                value=2012,
                min=2012,
                max=2022,
                step=1,
                description="From release year (year)",
                style=LABEL_STYLE,
                layout=row_layout(),
            ),  # fmt: skip
        }

    def _build(self, fig):
        ax, axr = side_by_side(fig, 2.2, 0.28, left=0.09)
        self.ax, self.ax_rates = ax, axr
        add_title(fig, "Accelerators: how fast FLOP/s get cheaper and more efficient")
        ax.set_yscale("log")
        ax.xaxis_date()
        ax.set_xlim(mdates.date2num(pd.Timestamp("2012-01-01")),
                    mdates.date2num(pd.Timestamp("2026-06-30")))  # fmt: skip
        ax.set_xlabel("Release date")
        self._pts = self._dynamic(ax.scatter(np.empty(0), np.empty(0), s=24, zorder=4))
        for seg, color in _SEGMENT_COLORS.items():
            ax.scatter([], [], s=24, color=color, label=_SEGMENT_LABELS[seg])
        (self._fit,) = ax.plot([], [], color=RED, lw=1.8, label="fitted trend (90% band)")
        self._band = self._dynamic(ax.fill_between([0, 1], [1, 1], [1, 1], color=RED, alpha=0.12))
        (self._pub,) = ax.plot([], [], "--", color="black", lw=1.2, label="AI Index 2025 rate")
        self._msg = _message_text(ax)
        for a in (self._fit, self._pub, self._msg):
            self._dynamic(a)
        ax.legend(loc="upper left", fontsize=8)
        ax.set_autoscale_on(False)

        y = np.arange(len(TREND_PRECISIONS))[::-1]
        self._rbars = axr.barh(y, np.zeros(len(y)), left=1.0, color="#1f4e79", height=0.5)
        for b in self._rbars:
            self._dynamic(b)
        self._err = [self._dynamic(axr.plot([], [], color="black", lw=1.2)[0]) for _ in y]
        self._rlabels = [self._dynamic(axr.text(0.9, yy, "", va="center", fontsize=8)) for yy in y]
        (self._pub_r,) = axr.plot([], [], "--", color="black", lw=1.2)
        self._dynamic(self._pub_r)
        self._pub_lbl = self._dynamic(
            axr.text(1.4, len(y) - 0.45, "AI Index", fontsize=8, ha="left", va="bottom")
        )
        axr.set_yticks(y, list(TREND_PRECISIONS))
        axr.set_xlim(0.8, 2.2)
        axr.set_ylim(-0.6, len(y) - 0.1)
        axr.set_xlabel("Factor per year (90% interval)")
        axr.set_title("Rate by precision", fontsize=10.5)
        axr.axvline(1.0, color="black", lw=0.8)
        axr.set_autoscale_on(False)
        add_source(
            fig,
            "Source: data/accelerators.csv (Epoch AI, Machine Learning Hardware data, CC BY 4.0, "
            "and datasheets); fit: inferecon.fit_log_linear_trend (OLS on log10, t interval).\n"
            "AI Index 2025 (Stanford HAI): hardware cost -30%/yr, energy efficiency +40%/yr "
            "(data/published_rates.csv). Prices are nominal launch or reported prices.",
        )

    def _export_fit(self, ax) -> str:
        return "y" if ax is self.ax else "x"

    def _fits(self, metric, chips, start_year):
        """Every precision's trend (None where fewer than 3 chips) and the selection's size,
        kept per selection: the precision control only picks one of them."""
        key = (metric, chips, start_year)
        if key not in self._fit_cache:
            sel = select_accelerators(
                self.accelerators, start=f"{start_year}-01-01", **_SUBSETS[chips]
            )
            fits = {}
            for pr in TREND_PRECISIONS:
                try:
                    fits[pr] = fit_hardware_trend(sel, metric, pr)
                except ValueError:
                    fits[pr] = None
            self._fit_cache[key] = (fits, len(sel))
        return self._fit_cache[key]

    def _update(self, p):
        metric, prec, chips = p["metric"], p["precision"], p["chips"]
        start_year = int(p["start_year"])
        self._set_metric_axis(metric)
        fits, n_selected = self._fits(metric, chips, start_year)
        pub = self.published.loc[metric]
        f_pub = float(pub["factor_per_year"])
        self._draw_rates(fits, f_pub)
        t = fits[prec]
        if t is None:
            self._pts.set_offsets(np.empty((0, 2)))
            for a in (self._fit, self._pub):
                a.set_data([], [])
            self._band.set_visible(False)
            self._msg.set_text(f"fewer than 3 chips with {prec} figures in this selection")
            self._last = pd.DataFrame()
            return _note(
                f"Too few chips: a {HARDWARE_METRICS[metric]} trend at {prec} needs 3 "
                f"accelerators with the figures ({chips}, from {start_year}; "
                f"{n_selected} chips selected)"
            )
        self._msg.set_text("")
        self._draw_trend(t, f_pub)
        lo, hi = t.factor_per_year_ci90
        return (
            f"{HARDWARE_METRICS[metric]} at {prec}, {chips}, {t.fit.start.year}-"
            f"{t.fit.end.year} ({t.fit.n_points} chips): <b>×{t.factor_per_year:.2f} per year</b> "
            f"({t.percent_per_year:+.0f}% a year; 90% interval ×{lo:.2f} to ×{hi:.2f}), "
            f"<b>{t.describe_time()}</b> · AI Index 2025: "
            f"{pub['published']} = ×{f_pub:.2f} per year (doubling every "
            f"{pub['doubling_time_years']:.1f} years)"
        )

    def _set_metric_axis(self, metric):
        label = ("Price-performance (FLOP/s per USD, log)" if metric == "price_performance"
                 else "Energy efficiency (FLOP/s per W, log)")  # fmt: skip
        ylim = (1e8, 1e13) if metric == "price_performance" else (1e9, 1e14)
        self._set_limits(self.ax, ylim=ylim)
        if self.ax.get_ylabel() != label:
            self.ax.set_ylabel(label)
            self._relayout()

    def _draw_rates(self, fits, f_pub):
        """Right panel: every precision's factor per year with its 90% interval."""
        for k, pr in enumerate(TREND_PRECISIONS):
            t, yk = fits[pr], len(TREND_PRECISIONS) - 1 - k
            bar, err, label = self._rbars[k], self._err[k], self._rlabels[k]
            if t is None:
                bar.set_width(0)
                err.set_data([], [])
                label.set_position((0.82, yk))
                label.set_text("fewer than 3 chips")
                continue
            lo, hi = t.factor_per_year_ci90
            f = t.factor_per_year
            bar.set_x(1.0)
            bar.set_width(f - 1.0)
            err.set_data([max(lo, 0.8), min(hi, 2.2)], [yk, yk])
            label.set_position((min(max(hi, f), 2.2) + 0.02, yk))
            label.set_text(f"×{f:.2f} (n={t.fit.n_points})")
            if hi > 2.2 or lo < 0.8:
                label.set_text(f"×{f:.2f} (n={t.fit.n_points}; interval off scale)")
                label.set_position((1.02, yk + 0.32))
        self._pub_r.set_data([f_pub, f_pub], [-0.5, len(TREND_PRECISIONS) - 0.5])
        self._pub_lbl.set_position((f_pub + 0.02, len(TREND_PRECISIONS) - 0.45))

    def _draw_trend(self, t, f_pub):
        """Left panel: the chips, the fitted line, its 90% slope band
        (:meth:`inferecon.TrendFit.slope_band`) and the published rate through the same
        centroid (:meth:`inferecon.HardwareTrend.line_at_rate`)."""
        pts = t.points
        x = mdates.date2num(pts["release_date"])
        self._pts.set_offsets(np.column_stack([x, pts["value"]]))
        seg = pts["name"].map(self._segments)
        self._pts.set_facecolors([_SEGMENT_COLORS[v] for v in seg])
        self._pts.set_edgecolors("none")
        dates = pd.date_range(t.fit.start, t.fit.end, periods=50)
        xd = mdates.date2num(dates)
        self._fit.set_data(xd, t.fit.predict(dates))
        lo_v, hi_v = t.fit.slope_band(dates)
        self._band.set_visible(True)
        verts = np.concatenate(
            [np.column_stack([xd, lo_v]), np.column_stack([xd[::-1], hi_v[::-1]])]
        )
        self._band.set_verts([verts])
        self._pub.set_data(xd, t.line_at_rate(f_pub, dates))
        self._last = pts.assign(segment=seg.to_numpy(), fitted=t.fit.predict(pts["release_date"]))


# --------------------------------------------------------------------------- a workload's bill

_VOLUMES = [100, 300, 1_000, 3_000, 10_000, 30_000, 100_000, 300_000, 1_000_000, 3_000_000,
            10_000_000]  # fmt: skip
_VOLUME_GRID = np.geomspace(100, 1e7, 121)


class WorkloadBillExplorer(_GpuDefaultsMixin, Explorer):
    """A workload's monthly bill at an API's list price against serving it on your own GPUs.

    The API side prices each request with genai-prices' bundled snapshot (no network); the
    self-hosted side provisions whole replicas of ``tensor_parallel`` GPUs for the peak demand
    (:func:`inferecon.self_hosted_bill`), so its bill is a staircase in the volume.

    Parameters
    ----------
    as_of : date-like, optional
        Date API prices apply on (default :data:`DEFAULT_PRICES_AS_OF`).
    **params
        Initial control values.
    """

    name = "workload_bill"

    def __init__(self, as_of=DEFAULT_PRICES_AS_OF, **params: Any):
        self.as_of = as_of
        self._api_cache: dict[tuple, tuple] = {}
        super().__init__(**params)

    def _make_controls(self):
        models, gpus = _names()
        c = {
            "api_model": dropdown(
                list(_API_MODELS),
                "Together: Llama 3.3 70B Turbo",
                "API model (genai-prices snapshot)",
            ),  # fmt: skip
            "prompt_tokens": _select(_PROMPTS, 1024, "Input per request (tokens)"),
            "output_tokens": _select(_OUTPUTS, 512, "Output per request (tokens)"),
            "requests_per_day": _select(_VOLUMES, 100_000, "Requests per day (requests)"),
            "model": dropdown(models, "Llama-3.1-70B", "Self-hosted model (data/models.csv)"),
            "gpu": dropdown(gpus, "H200-SXM", "GPU (data/gpus.csv)"),
            "precision": dropdown(["bf16", "fp8", "fp4"], "fp8", "Weights and matmul precision"),
            "tensor_parallel": _select([1, 2, 4, 8], 1, "Tensor-parallel GPUs per replica"),
            "batch": _select([1, 4, 16, 32, 64, 128, 256], 64, "Batch per replica (sequences)"),
            "peak_to_mean": float_slider(2.0, 1.0, 5.0, 0.1, "Peak / mean demand (ratio)"),
            **_cost_controls(),
        }
        del c["utilisation"]  # utilisation follows from demand over capacity
        return c

    def _build(self, fig):
        ax, axb = side_by_side(fig, 1.7, 0.35, left=0.1)
        self.ax, self.ax_bar = ax, axb
        add_title(fig, "Your workload at today's API list price vs on your own GPUs")
        _subtitle(self, fig)
        _log_axis(ax)
        ax.set_xlim(100, 1e7)
        ax.set_ylim(1, 1e8)
        ax.set_xlabel("Requests per day")
        ax.set_ylabel("Bill (USD per month)")
        (self._api,) = ax.plot([], [], color=RED, label="API list price")
        (self._host,) = ax.plot([], [], color="#1f4e79", drawstyle="steps-post",
                                label="self-hosted (whole replicas)")  # fmt: skip
        self._now = ax.axvline(100_000, ls=":", color="black", lw=1.0)
        self._msg = _message_text(ax)
        for a in (self._api, self._host, self._now, self._msg):
            self._dynamic(a)
        ax.legend(loc="upper left", fontsize=8)
        ax.set_autoscale_on(False)
        self._bars = {}
        bottoms = np.zeros(2)
        for part, color in (("api", RED), ("hardware", _PART_COLORS["hardware"]),
                            ("energy", _PART_COLORS["energy"]),
                            ("facility", _PART_COLORS["facility"])):  # fmt: skip
            bars = axb.bar([0, 1], [0, 0], bottom=bottoms, color=color, width=0.6,
                           label="API" if part == "api" else _PARTS[part])  # fmt: skip
            self._bars[part] = [self._dynamic(b) for b in bars]
        axb.set_xticks([0, 1], ["API", "self-hosted"])
        axb.set_ylim(0, 1)
        axb.set_ylabel("USD per month at this volume")
        axb.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:,.0f}"))
        axb.legend(loc="upper right", fontsize=8)
        axb.set_autoscale_on(False)
        add_source(
            fig,
            "Source: API prices: genai-prices (pydantic, MIT), bundled snapshot, priced per request"
            f" as of {self.as_of};\nself-hosted: inferecon.self_hosted_bill on "
            "inferecon.serving_performance (whole replicas for the peak; a month is 365/12 "
            "days);\n" + _SOURCE_FACTORY + ".",
        )

    def _export_fit(self, ax) -> str:
        return "xy" if ax is self.ax else ""

    def _clear(self, message):
        for a in (self._api, self._host):
            a.set_data([], [])
        self._now.set_visible(False)
        for bars in self._bars.values():
            for b in bars:
                b.set_height(0)
        self._msg.set_text(message)
        self._last = pd.DataFrame()

    def _update(self, p):
        provider, ref = _API_MODELS[p["api_model"]]
        prompt, out = int(p["prompt_tokens"]), int(p["output_tokens"])
        vol = float(p["requests_per_day"])
        gpu, prec = p["gpu"], p["precision"]
        self._subtitle.set_text(
            f"API: {p['api_model']} · self-hosted: {p['model']}, "
            f"{gpu} ×{int(p['tensor_parallel'])}, "
            f"{prec}, batch {int(p['batch'])}, {p['hardware'].split(' (')[0]} · "
            f"{prompt:,} in / {out:,} out per request"
        )
        msg = _not_native(gpu, prec)
        if msg:
            self._clear(msg)
            return _note(msg + ": choose one of those")
        api, api_now, lp = self._api_bills(provider, ref, prompt, out, vol)
        try:
            host, host_now = self._self_hosted_bills(p, prompt, out, vol)
        except ValueError as exc:
            msg = str(exc).split(". ")[0]
            self._clear(
                f"{p['model']}, batch {int(p['batch'])}, "
                f"does not fit on {gpu} ×{p['tensor_parallel']}"
            )
            return _note(f"self-hosting does not run: {msg}")
        self._msg.set_text("")
        self._draw_bills(api, host, vol)
        a, h = float(api_now["usd_per_month"]), float(host_now["usd_per_month"])
        self._draw_bars(a, host_now)
        cheaper = "self-hosting" if h < a else "the API"
        return (
            f"{vol:,.0f} requests a day of {prompt:,} in / {out:,} out: API "
            f"({lp['model_id']}, list price {_usd(lp['input_usd_per_mtok'])} in / "
            f"{_usd(lp['output_usd_per_mtok'])} out per million tokens, as of {lp['as_of']}) "
            f"<b>{_usd(a)}</b> a month · self-hosted {p['model']} on "
            f"{int(host_now['n_gpus'])} × {gpu} ({int(host_now['replicas'])} replica(s), "
            f"{host_now['utilisation']:.0%} utilised) <b>{_usd(h)}</b> a month · "
            f"<b>{cheaper}</b> is cheaper by {_usd(abs(a - h))} a month"
        )

    def _draw_bills(self, api, host, vol):
        """Both monthly bills over the volume grid, the chosen volume marked."""
        self._api.set_data(_VOLUME_GRID, api["usd_per_month"].to_numpy())
        self._host.set_data(_VOLUME_GRID, host["usd_per_month"].to_numpy())
        self._now.set_xdata([vol, vol])
        self._now.set_visible(True)
        self._last = pd.DataFrame(
            {
                "requests_per_day": _VOLUME_GRID,
                "api_usd_per_month": api["usd_per_month"].to_numpy(),
                "self_hosted_usd_per_month": host["usd_per_month"].to_numpy(),
                "self_hosted_n_gpus": host["n_gpus"].to_numpy(),
                "self_hosted_utilisation": host["utilisation"].to_numpy(),
            }
        )

    def _api_bills(self, provider, ref, prompt, out, vol):
        """(bill over the volume grid, bill at ``vol``, list price) of the API
        (:func:`inferecon.api_bill`); a bill is linear in the volume, so the grid and the
        list price are kept per model and request shape."""
        key = (provider, ref, prompt, out)
        if key not in self._api_cache:
            grid = api_bill(ref, prompt, out, _VOLUME_GRID, provider_id=provider, as_of=self.as_of)
            lp = api_list_price(ref, provider, as_of=self.as_of)
            self._api_cache[key] = (grid, lp)
        grid, lp = self._api_cache[key]
        now = api_bill(ref, prompt, out, vol, provider_id=provider, as_of=self.as_of).iloc[0]
        return grid, now, lp

    @staticmethod
    def _self_hosted_bills(p, prompt, out, vol):
        """(bill over the volume grid, bill at ``vol``) of :func:`inferecon.self_hosted_bill`,
        in one call; renting leaves power and hosting to the package's rule (in the rent)."""
        kw = _cost_kwargs({**p, "utilisation": 1.0})
        kw.pop("utilisation")
        bill = self_hosted_bill(
            p["model"], p["gpu"], prompt, out, np.append(_VOLUME_GRID, vol), p["precision"],
            tensor_parallel=int(p["tensor_parallel"]), batch=int(p["batch"]),
            peak_to_mean=float(p["peak_to_mean"]),
            all_in_kw_per_gpu=float(p["all_in_kw_per_gpu"]), **kw,
        )  # fmt: skip
        return bill.iloc[:-1], bill.iloc[-1]

    def _draw_bars(self, api_usd_per_month, host_now):
        """The bill at this volume: the API's, and self-hosting's split into its parts."""
        heights = {
            "api": (api_usd_per_month, 0.0),
            "hardware": (0.0, float(host_now["hardware_usd_per_month"])),
            "energy": (0.0, float(host_now["energy_usd_per_month"])),
            "facility": (0.0, float(host_now["facility_usd_per_month"])),
        }
        bottom = np.zeros(2)
        for part, hs in heights.items():
            for k in range(2):
                self._bars[part][k].set_y(bottom[k])
                self._bars[part][k].set_height(hs[k])
                bottom[k] += hs[k]
        self._set_limits(self.ax_bar, ylim=(0, nice_ceiling(max(bottom) * 1.4)))
