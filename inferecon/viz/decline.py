"""Figures and the explorer of notebook 07: why prices fell (:mod:`inferecon.decline`).

Every number drawn comes from :func:`inferecon.decompose_price_decline`,
:func:`inferecon.decline_shares` and :func:`inferecon.forward_look`; this module only draws.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import textwrap
from typing import Any

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator

from ..datasets import load_engine_profiles, load_prices, load_serving_scenarios
from ..decline import (
    ASSUMED_PARAMS_ACTIVE,
    DECLINE_FACTORS,
    OPEN_WEIGHT_SHAPES,
    STATED_PARAMS_ACTIVE,
    decline_shares,
    decompose_price_decline,
    frontier_scenarios,
)
from ..decline_rates import _check_position
from ..prices import cheapest_frontier
from .controls import checkbox, dropdown, float_slider
from .explorer import Explorer, style_log_ticks
from .style import add_source, add_title, house_style

__all__ = [
    "DECLINE_FRONTIERS",
    "DeclineWaterfallExplorer",
    "decline_shares_figure",
    "forward_look_figure",
    "show_static",
]

DECLINE_FRONTIERS: dict[str, tuple[str, float]] = {
    "MMLU ≥ 64.8 (AI Index, GPT-3.5 level)": ("mmlu", 64.8),
    "MMLU ≥ 42 (a16z, GPT-3 level)": ("mmlu", 42.0),
    "MMLU ≥ 83 (GPT-4 level)": ("mmlu", 83.0),
}
"""The frontiers the explorer offers (benchmark, threshold): the AI Index's, a16z's lower one and
a harder one."""

_COLORS = {"model": "#1f4e79", "hardware": "#7f8c8d", "serving": "#27ae60",
           "residual": "#c0392b", "price": "#333333"}  # fmt: skip
_GPUS = ("A100-80GB-SXM", "H100-SXM", "H200-SXM", "B200-HGX")
_YLIM = (0.01, 300.0)
_STEPS = ["start price", *DECLINE_FACTORS, "residual", "end price"]
_SOURCE = (
    "Source: list prices data/llm_prices.csv; scenarios data/serving_scenarios.csv and "
    "data/engine_profiles.csv (ranges; several are stated assumptions);\ncosts: inferecon "
    "serving model; split: inferecon.decompose_price_decline (Shapley over model, hardware, "
    "serving; residual = price ratio / cost ratio)."
)


def _fmt_usd(v, _pos=None) -> str:
    if v >= 1:
        return f"${v:,.0f}"
    return f"${v:.{max(0, -math.floor(math.log10(v)))}f}"


def _usd_log_axis(axis) -> None:
    axis.set_major_locator(LogLocator(base=10))
    axis.set_major_formatter(FuncFormatter(_fmt_usd))


def _point_label(row) -> str:
    return f"{row['model']}, {pd.Timestamp(row['date']).date()}"


def _buildable(frontier, scenarios, closed) -> pd.DataFrame:
    """Frontier points whose size is known, stated, in the scenario table or assumed."""
    own = set(zip(scenarios["price_model"], pd.to_datetime(scenarios["price_date"]), strict=True))
    ok = [
        (m in OPEN_WEIGHT_SHAPES or m in STATED_PARAMS_ACTIVE or m in closed
         or (m, pd.Timestamp(d)) in own)
        for m, d in zip(frontier["model"], frontier["date"], strict=True)
    ]  # fmt: skip
    return frontier[np.array(ok, dtype=bool)]


def _frontier_specs(frontiers) -> dict:
    """``{label: (benchmark, threshold, input_share)}`` from the ``frontiers`` argument."""
    if not isinstance(frontiers, dict) or not frontiers:
        raise ValueError("frontiers must be a non-empty dict of label to (benchmark, threshold)")
    out = {}
    for label, spec in frontiers.items():
        if not isinstance(spec, tuple | list) or len(spec) not in (2, 3):
            raise ValueError(
                f"frontiers[{label!r}] must be (benchmark, threshold) or (benchmark, threshold, "
                f"input_share); got {spec!r}"
            )
        out[str(label)] = (spec[0], float(spec[1]), float(spec[2]) if len(spec) == 3 else 0.75)
    return out


def _centred(pair, value, cap=None):
    """A (low, high) range of the same width as ``pair`` with its geometric midpoint at
    ``value`` (capped at ``cap``)."""
    lo, hi = pair
    half = math.sqrt(hi / lo)
    out = (value / half, value * half)
    if cap is not None:
        out = (min(out[0], cap), min(out[1], cap))
    return out


@functools.cache
def _bundled_setup():
    """The bundled tables, the assumed closed sizes and each frontier's default end, found once
    per process (the default end tries decompositions)."""
    prices, scenarios = load_prices(), load_serving_scenarios()
    engines, closed = load_engine_profiles(), dict(ASSUMED_PARAMS_ACTIVE)
    probe = DeclineWaterfallExplorer.__new__(DeclineWaterfallExplorer)
    probe._setup(prices, scenarios, engines, closed)
    return prices, scenarios, engines, closed, probe._ends


class DeclineWaterfallExplorer(Explorer):
    """Why a list price fell: the factors as a waterfall on a log scale, start price to end price.

    Pick a frontier and two of its points; each bar is one factor of
    :func:`inferecon.decompose_price_decline` (model, hardware, serving, residual), drawn from the
    price level before it down by its fold, with its 90% interval when the Monte Carlo is on.
    Each uncertain input (active parameters, GPU-hour price, engine efficiency, the batch as the
    share of KV memory holding tokens, utilisation) has a slider that moves its range (keeping
    its width; the slider sets the range's geometric midpoint). Monte Carlo off evaluates the
    midpoints only (fast drags); on, 10,000 draws (sliders update on release).

    Parameters
    ----------
    prices, scenarios, engine_profiles : pandas.DataFrame, optional
        :func:`inferecon.load_prices`, :func:`inferecon.load_serving_scenarios`,
        :func:`inferecon.load_engine_profiles` (the bundled tables when omitted).
    params_active : dict, optional
        Active-parameter ranges of closed models (default
        :data:`inferecon.ASSUMED_PARAMS_ACTIVE`); only points with a known, stated or given size
        are offered.
    frontiers : dict, optional
        The frontiers offered, label to ``(benchmark, threshold)`` or ``(benchmark, threshold,
        input_share)`` (the blend, as in :func:`inferecon.cheapest_frontier`; notebook 01's
        choices); default :data:`DECLINE_FRONTIERS`.
    **params
        Initial control values.
    """

    name = "decline_waterfall"
    figsize = (10.0, 5.8)

    def __init__(self, prices=None, scenarios=None, engine_profiles=None, params_active=None,
                 frontiers=None, **params: Any):  # fmt: skip
        self._frontier_specs = _frontier_specs(DECLINE_FRONTIERS if frontiers is None
                                               else frontiers)  # fmt: skip
        bundled = prices is None and scenarios is None and engine_profiles is None
        if bundled and params_active is None and frontiers is None:  # default: setup is kept
            self._setup(*_bundled_setup())
        else:
            self._setup(
                load_prices() if prices is None else prices,
                load_serving_scenarios() if scenarios is None else scenarios,
                load_engine_profiles() if engine_profiles is None else engine_profiles,
                dict(ASSUMED_PARAMS_ACTIVE if params_active is None else params_active),
            )
        self._base: dict[str, Any] = {}
        self._loaded: dict[str, Any] = {}
        super().__init__(**params)

    def _setup(self, prices, scenarios, engine_profiles, closed, ends=None):
        self.prices, self.scenarios, self.engine_profiles = prices, scenarios, engine_profiles
        self.closed = closed
        specs = getattr(self, "_frontier_specs", _frontier_specs(DECLINE_FRONTIERS))
        self._frontiers = {
            k: cheapest_frontier(prices, b, t, input_share=share)
            for k, (b, t, share) in specs.items()
        }
        self._points = {k: _buildable(f, scenarios, closed) for k, f in self._frontiers.items()}
        for k, pts in self._points.items():
            if len(pts) < 2:
                raise ValueError(
                    f"frontiers[{k!r}] has {len(pts)} point(s) of known size; the split needs two "
                    "(give closed models' sizes in params_active)"
                )
        self._ends = ends or {k: self._default_end(k) for k in specs}

    # ---------------------------------------------------------------- controls
    def _options(self, frontier_key):
        return [_point_label(r) for _, r in self._points[frontier_key].iterrows()]

    def _default_end(self, frontier_key) -> str:
        """The latest point that the first one can be compared with (whose model fits on the
        start's GPU and the start's on the end's, which the split needs)."""
        fr, pts = self._frontiers[frontier_key], self._points[frontier_key]
        for i in range(len(pts) - 1, 0, -1):
            try:
                s, e = frontier_scenarios(fr, pts.iloc[0], pts.iloc[i], self.prices,
                                          self.scenarios, self.engine_profiles,
                                          params_active=self.closed)  # fmt: skip
                decompose_price_decline(s, e, central=True)
            except ValueError:
                continue
            return _point_label(pts.iloc[i])
        return _point_label(pts.iloc[-1])

    def _make_controls(self):
        key = next(iter(self._frontiers))
        opts = self._options(key)
        c = {
            "frontier": dropdown(list(self._frontiers), key, "Frontier (benchmark ≥ threshold)"),
            "start": dropdown(opts, opts[0], "Start (frontier point)"),
            "end": dropdown(opts, self._ends[key], "End (frontier point)"),
        }
        for end in ("start", "end"):
            c[f"{end}_params_b"] = float_slider(  # re-runs the serving model: on release
                100.0,
                1.0,
                400.0,
                0.1,
                f"{end.title()}: active parameters (B)",
                ".1f",
                continuous_update=False,
            )
            c[f"{end}_gpu"] = dropdown(list(_GPUS), _GPUS[0], f"{end.title()}: GPU")
            c[f"{end}_usd_per_gpu_hour"] = float_slider(
                2.0, 0.5, 10.0, 0.05, f"{end.title()}: price of a GPU-hour (USD)"
            )
            c[f"{end}_throughput_share"] = float_slider(
                0.5, 0.1, 1.0, 0.01, f"{end.title()}: engine efficiency (share of calibrated)"
            )
            c[f"{end}_kv_used_share"] = float_slider(  # sets the batch: on release
                0.5,
                0.05,
                1.0,
                0.01,
                f"{end.title()}: batch (share of KV memory holding tokens)",
                continuous_update=False,
            )
            c[f"{end}_utilisation"] = float_slider(
                0.55, 0.1, 1.0, 0.01, f"{end.title()}: utilisation (share of hours)"
            )
        c["monte_carlo"] = checkbox(False, "Monte Carlo (90% intervals; sliders on release)")
        self._load_end("start", opts[0], c, key)
        self._load_end("end", self._ends[key], c, key)
        return c

    def _load_end(self, end, label, controls=None, frontier_key=None):
        """Build the base scenario of one end and set its sliders to its ranges' midpoints."""
        c = self.controls if controls is None else controls
        fk = c["frontier"].value if frontier_key is None else frontier_key
        pts = self._points[fk]
        row = pts.iloc[[_point_label(r) for _, r in pts.iterrows()].index(label)]
        other = pts.iloc[0] if end == "end" else pts.iloc[-1]
        a, b = (row, other) if end == "start" else (other, row)
        if pd.Timestamp(a["date"]) >= pd.Timestamp(b["date"]):  # any later/earlier point will do
            later = pts[pd.to_datetime(pts["date"]) > pd.Timestamp(row["date"])]
            earlier = pts[pd.to_datetime(pts["date"]) < pd.Timestamp(row["date"])]
            if end == "start" and len(later):
                b = later.iloc[0]
            elif end == "end" and len(earlier):
                a = earlier.iloc[0]
            else:
                self._base[end] = None
                return
        s, e = frontier_scenarios(self._frontiers[fk], a, b, self.prices, self.scenarios,
                                  self.engine_profiles, params_active=self.closed)  # fmt: skip
        sc = s if end == "start" else e
        self._base[end] = sc

        def mid(pair):
            return math.sqrt(pair[0] * pair[1])

        vals = {
            "params_b": round(mid(sc.params_active) / 1e9, 1),
            "gpu": sc.gpu if sc.gpu in _GPUS else _GPUS[0],
            "usd_per_gpu_hour": round(round(mid(sc.usd_per_gpu_hour) / 0.05) * 0.05, 2),
            "throughput_share": round(mid(sc.throughput_share), 2),
            "kv_used_share": round(mid(sc.kv_used_share), 2),
            "utilisation": round(mid(sc.utilisation), 2),
        }
        for k, v in vals.items():
            w = c[f"{end}_{k}"]
            if hasattr(w, "min"):
                v = min(max(v, w.min), w.max)
            w.value = v
            self._loaded[f"{end}_{k}"] = w.value  # a slider left here keeps the data's range

    def _on_control(self, name, change):
        if name == "frontier":
            opts = self._options(change["new"])
            for end, v in (("start", opts[0]), ("end", self._ends[change["new"]])):
                w = self.controls[end]
                w.options = opts
                w.value = v
                self._load_end(end, v)
        elif name in ("start", "end"):
            self._load_end(name, change["new"])
        elif name == "monte_carlo":
            for k, w in self.controls.items():
                if hasattr(w, "continuous_update") and hasattr(w, "step"):
                    w.continuous_update = not change["new"] and not k.endswith(
                        ("_params_b", "_kv_used_share")  # these re-run the serving model
                    )

    def _set_control(self, name, value):
        if name == "frontier":
            super()._set_control(name, value)
            self._on_control(name, {"new": value})
            return
        super()._set_control(name, value)
        if name in ("start", "end", "monte_carlo"):
            self._on_control(name, {"new": value})

    # ---------------------------------------------------------------- figure
    def _build(self, fig):
        ax = fig.add_axes([0.09, 0.2, 0.6, 0.64])
        self.ax = ax
        add_title(fig, "Why the price fell: model, hardware, serving and the rest")
        self._subtitle = self._dynamic(fig.text(0.01, 0.9, "", fontsize=9.5, color="#333333"))
        ax.set_yscale("log")
        _usd_log_axis(ax.yaxis)
        ax.set_ylim(*_YLIM)
        style_log_ticks(ax.yaxis)
        ax.set_xlim(-0.6, len(_STEPS) - 0.4)
        ax.set_xticks(range(len(_STEPS)), [s.replace(" ", "\n") for s in _STEPS])
        ax.set_ylabel("USD per million tokens (log)")
        ax.grid(axis="x", visible=False)
        colors = ["#333333", *(_COLORS[f] for f in DECLINE_FACTORS), _COLORS["residual"],
                  "#333333"]  # fmt: skip
        self._bars = [
            self._dynamic(ax.bar(i, 1.0, bottom=1.0, width=0.6, color=c, alpha=0.85)[0])
            for i, c in enumerate(colors)
        ]
        self._err = [self._dynamic(ax.plot([], [], color="black", lw=1.4)[0]) for _ in _STEPS]
        self._links = [
            self._dynamic(ax.plot([], [], color="#999999", lw=0.8, ls="--")[0]) for _ in _STEPS
        ]
        self._labels = [
            self._dynamic(ax.text(i, 1.0, "", ha="center", va="top", fontsize=8.5))
            for i in range(len(_STEPS))
        ]
        self._msg = self._dynamic(
            ax.text(0.5, 0.5, "", transform=ax.transAxes, ha="center", va="center",
                    fontsize=10, color=_COLORS["residual"], wrap=True)
        )  # fmt: skip
        # what the row of fold readouts along the top is (the start price's column is free)
        self._fold_note = self._dynamic(
            ax.text(0, _YLIM[1] / 1.15, "", ha="center", va="top", fontsize=7.5,
                    color="#555555")
        )  # fmt: skip
        ax.set_autoscale_on(False)
        # right: the ends' cost and price / cost
        self.ax_side = fig.add_axes([0.74, 0.2, 0.24, 0.64])
        self.ax_side.axis("off")
        side_labels = ("price fell", "cost fell", "start: cost (USD per Mtok)",
                       "start: price / cost", "end: cost (USD per Mtok)", "end: price / cost",
                       "start: GPU, precision", "end: GPU, precision")  # fmt: skip
        self.ax_side.set_xlim(0, 1)
        self.ax_side.set_ylim(2 * len(side_labels), 0)
        for k, t in enumerate(side_labels):
            self.ax_side.text(0.0, 2 * k + 0.5, t, va="center", fontsize=8.5, color="#555555")
        self._side = [
            self._dynamic(self.ax_side.text(0.05, 2 * k + 1.4, "", va="center", fontsize=9,
                                            fontweight="bold"))
            for k in range(len(side_labels))
        ]  # fmt: skip
        add_source(fig, _SOURCE)

    def _export_fit(self, ax) -> str:
        return ""  # the fixed price axis holds every frontier pair offered

    def _scenario(self, end, p):
        """The end's scenario with each range moved to its slider (its width kept); a slider
        still at the value it was loaded with keeps the data's own range."""
        base = self._base[end]
        caps = {"params_b": None, "usd_per_gpu_hour": None, "throughput_share": 1.0,
                "kv_used_share": 1.0, "utilisation": 1.0}  # fmt: skip
        fields = {"params_b": "params_active"}
        scale = {"params_b": 1e9}
        moved = {}
        for k, cap in caps.items():
            name = f"{end}_{k}"
            if p[name] == self._loaded.get(name):
                continue
            field = fields.get(k, k)
            moved[field] = _centred(getattr(base, field), p[name] * scale.get(k, 1.0), cap)
        return dataclasses.replace(base, gpu=p[f"{end}_gpu"], **moved)

    def _fail(self, text):
        for a in (*self._bars, *self._err, *self._links, *self._labels):
            a.set_visible(False)
        self._msg.set_text(textwrap.fill(text, 70))
        self._fold_note.set_text("")
        for t in self._side:
            t.set_text("")
        self._last = pd.DataFrame(columns=["step", "fold_median", "fold_low", "fold_high"])
        return f"<span style='color:{_COLORS['residual']}'><b>{text}</b></span>"

    def _update(self, p):
        self._subtitle.set_text(f"{p['frontier']}: {p['start']}  →  {p['end']}")
        if self._base.get("start") is None or self._base.get("end") is None:
            return self._fail("pick a start before the end")
        try:
            start, end = self._scenario("start", p), self._scenario("end", p)
            r = decompose_price_decline(start, end, draws=10_000, seed=0,
                                        central=not p["monte_carlo"])  # fmt: skip
        except ValueError as exc:
            return self._fail(str(exc))
        return self._draw(r, start, end, p["monte_carlo"])

    def _draw(self, r, start, end, mc):
        self._msg.set_text("")
        self._fold_note.set_text(
            "fold: geometric\nmean of draws\n[90% interval]" if mc else "fold: central\nestimate"
        )
        s = r.summary.set_index("factor").to_dict("index")
        p0, p1 = start.usd_per_mtok, end.usd_per_mtok
        level = p0
        rows = [dict(step="start price", fold_median=np.nan, fold_low=np.nan, fold_high=np.nan,
                     bottom=_YLIM[0], top=p0, after=p0)]  # fmt: skip
        # the bars: each factor's geometric-mean fold over the draws, which multiply to the
        # price ratio exactly (inferecon.decline_shares); one draw when the Monte Carlo is off
        folds = {f: s[f]["fold_median"] for f in (*DECLINE_FACTORS, "residual")}
        if r.price_ratio != 1.0:
            folds = decline_shares(r).set_index("factor")["fold"].to_dict()
        for f in (*DECLINE_FACTORS, "residual"):
            med, lo, hi = folds[f], s[f]["fold_low"], s[f]["fold_high"]
            rows.append(dict(step=f, fold_median=med, fold_low=lo, fold_high=hi,
                             bottom=min(level, level / med), top=max(level, level / med),
                             after=level / med, err=(level / hi, level / lo)))  # fmt: skip
            level = level / med
        rows.append(dict(step="end price", fold_median=np.nan, fold_low=np.nan, fold_high=np.nan,
                         bottom=_YLIM[0], top=p1, after=p1))  # fmt: skip
        for i, row in enumerate(rows):
            bar, err, link, lbl = self._bars[i], self._err[i], self._links[i], self._labels[i]
            for a in (bar, lbl):
                a.set_visible(True)
            bar.set_y(row["bottom"])
            bar.set_height(row["top"] - row["bottom"])
            err.set_visible(mc and "err" in row)
            if "err" in row:
                lo, hi = (min(max(v, _YLIM[0]), _YLIM[1]) for v in row["err"])
                err.set_data([i, i], [lo, hi])
            link.set_visible(i < len(rows) - 1)
            if i < len(rows) - 1:  # from the level after this step to the next bar
                link.set_data([i + 0.3, i + 0.7], [row["after"], row["after"]])
            if i in (0, len(rows) - 1):
                lbl.set_text(f"${row['top']:.3g}")
                lbl.set_position((i, row["top"] * 1.35))
                lbl.set_va("bottom")
            else:
                text = f"×{row['fold_median']:.2f}"
                if mc:
                    text += f"\n[{row['fold_low']:.2f}, {row['fold_high']:.2f}]"
                lbl.set_text(text)
                lbl.set_position((i, _YLIM[1] / 1.15))  # a row of readouts along the top
                lbl.set_va("top")
        e = r.endpoints.set_index("endpoint").to_dict("index")

        def cost(k):
            c = e[k]
            if mc:
                return f"{c['cost_median']:.3g} [{c['cost_low']:.3g}, {c['cost_high']:.3g}]"
            return f"{c['cost_median']:.3g}"

        def margin(k):
            c = e[k]
            if mc:
                return f"{c['margin_median']:.2f} [{c['margin_low']:.2f}, {c['margin_high']:.2f}]"
            return f"{c['margin_median']:.2f}"

        values = (f"×{r.price_ratio:.1f}", f"×{s['cost']['fold_median']:.1f}",
                  cost("start"), margin("start"), cost("end"), margin("end"),
                  f"{start.gpu}, {start.precision}", f"{end.gpu}, {end.precision}")  # fmt: skip
        for t, v in zip(self._side, values, strict=True):
            t.set_text(v)
        self._last = pd.DataFrame(rows).drop(columns="err", errors="ignore")
        parts = []
        for row in rows[1:-1]:
            iv = f" [{row['fold_low']:.2f}, {row['fold_high']:.2f}]" if mc else ""
            parts.append(f"{row['step']} <b>×{row['fold_median']:.2f}</b>{iv}")
        how = ("geometric mean [90% interval] of 10,000 draws" if mc
               else "central estimate (midpoints)")  # fmt: skip
        return (
            f"List price fell <b>×{r.price_ratio:.1f}</b> (USD {start.usd_per_mtok:.4g} → "
            f"{end.usd_per_mtok:.4g} per million tokens): " + " · ".join(parts) + f" ({how})"
        )


# --------------------------------------------------------------------------- static figures


def decline_shares_figure(declines: dict) -> Figure:
    """The factors' shares of the log price fall, one stacked bar per frontier pair.

    Parameters
    ----------
    declines : dict of str to PriceDecline
        Label (e.g. "MMLU ≥ 64.8: GPT-3.5 → Gemini 1.5 Flash-8B") to its decomposition.

    Returns
    -------
    matplotlib.figure.Figure
        Shares from :func:`inferecon.decline_shares` (they add up to 1 per bar), each segment
        labelled with its share and geometric-mean fold.
    """
    shares = {label: decline_shares(d).set_index("factor") for label, d in declines.items()}
    # the bars' extent: shares add up to 1, a factor below 1 (a negative share) reaches left of
    # 0 and pushes the others past 1; the axis spans exactly what the bars cover
    lo = min([0.0, *(float(sh["share"].clip(upper=0).sum()) for sh in shares.values())])
    hi = max([1.0, *(float(sh["share"].clip(lower=0).sum()) for sh in shares.values())])
    with house_style():
        fig = Figure(figsize=(10.0, 1.4 + 0.9 * len(declines)))
        ax = fig.add_axes([0.27, 0.3, 0.63, 0.54])
        add_title(fig, "How much of each fall came from each factor (share of the log fall)")
        labels = list(shares)
        for i, label in enumerate(labels):
            sh = shares[label]
            left_pos, left_neg = 0.0, 0.0
            for f in (*DECLINE_FACTORS, "residual"):
                w = float(sh.loc[f, "share"])
                x0 = left_pos if w >= 0 else left_neg + w
                ax.barh(i, abs(w), left=x0, color=_COLORS[f], height=0.6,
                        label=f if i == 0 else None)  # fmt: skip
                if abs(w) >= 0.07:
                    ax.text(x0 + abs(w) / 2, i, f"{w:.0%}\n×{sh.loc[f, 'fold']:.1f}",
                            ha="center", va="center", color="white", fontsize=8)  # fmt: skip
                elif abs(w) >= 0.035:
                    ax.text(x0 + abs(w) / 2, i, f"{w:.0%}", ha="center", va="center",
                            color="white", fontsize=7)  # fmt: skip
                if w >= 0:
                    left_pos += w
                else:
                    left_neg += w
            ax.text(1.01, i, f"×{declines[label].price_ratio:.0f}", va="center", fontsize=9,
                    transform=ax.get_yaxis_transform(), clip_on=False)  # fmt: skip
        ax.set_yticks(range(len(labels)), [lb.replace(": ", ":\n", 1) for lb in labels],
                      fontsize=8.5)  # fmt: skip
        ax.grid(axis="y", visible=False)
        ax.invert_yaxis()
        ax.set_xlim(lo, hi)
        ax.set_axisbelow(True)
        ax.axvline(0, color="black", lw=0.8)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:.0%}"))
        ax.set_xlabel("Share of log(start price / end price); right of each bar: the fold fall")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=4, fontsize=8.5,
                  frameon=False)  # fmt: skip
        add_source(fig, "Source: inferecon.decline_shares (mean log factor over 10,000 draws / "
                        "log price ratio); list prices data/llm_prices.csv.")  # fmt: skip
    return fig


def forward_look_figure(frontier: pd.DataFrame, look, window_start, label: str = "") -> Figure:
    """The frontier's prices, the decline carried past the window, and the later points.

    Parameters
    ----------
    frontier : pandas.DataFrame
        :func:`inferecon.cheapest_frontier` (not cut at the window's end).
    look : ForwardLook
        :func:`inferecon.forward_look`.
    window_start : date-like
        The start of the decomposed window (points before it are drawn lighter).
    label : str
        The frontier's name for the title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    with house_style():
        fig = Figure(figsize=(10.0, 5.2))
        ax = fig.add_axes([0.09, 0.2, 0.88, 0.64])
        add_title(fig, f"Carried forward: the decline's rates against later prices {label}".strip())
        end_date = look.path["date"].iloc[0]
        d = pd.to_datetime(frontier["date"])
        inside = (d >= pd.Timestamp(window_start)) & (d <= end_date)
        ax.step(mdates.date2num(d), frontier["usd_per_mtok"], where="post", color="#999999",
                lw=1.0)  # fmt: skip
        ax.plot(mdates.date2num(d[inside]), frontier["usd_per_mtok"][inside], "o",
                color="#333333", ms=5, label="frontier in the window")  # fmt: skip
        x = mdates.date2num(look.path["date"])
        ax.fill_between(x, look.path["low"], look.path["high"], color=_COLORS["model"],
                        alpha=0.15, label="carried forward: 90% interval")  # fmt: skip
        ax.plot(x, look.path["median"], color=_COLORS["model"], lw=1.8, label="median")
        c = look.checks
        last = d.max()
        later = c[pd.to_datetime(c["date"]) > last]
        if len(later):  # the frontier held its last price up to the data's end
            level = float(frontier["usd_per_mtok"].iloc[int(np.argmax(d.to_numpy()))])
            ax.plot(mdates.date2num([last, pd.to_datetime(later["date"]).max()]), [level, level],
                    color="#999999", lw=1.0, ls="--")  # fmt: skip
        for _, row in c.iterrows():
            where = _check_position(row)
            price = f"${row['observed_usd_per_mtok']:.3g}"
            ax.annotate(f"{pd.Timestamp(row['date']):%b %Y}: {price}\n{where} the 90% interval",
                        (mdates.date2num(pd.Timestamp(row["date"])), row["observed_usd_per_mtok"]),
                        xytext=(0, 12), textcoords="offset points", ha="center", va="bottom",
                        fontsize=8, color=_COLORS["residual"])  # fmt: skip
        for kind, marker in (("new low", "D"), ("level", "s")):
            sub = c[c["kind"] == kind]
            if len(sub):
                ax.plot(mdates.date2num(sub["date"]), sub["observed_usd_per_mtok"], marker,
                        color=_COLORS["residual"], ms=7, ls="none",
                        label="later frontier point" if kind == "new low"
                        else "frontier level at the data's end")  # fmt: skip
        ax.set_yscale("log")
        _usd_log_axis(ax.yaxis)
        ax.xaxis_date()
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%b\n%Y"))
        ys = np.concatenate([frontier["usd_per_mtok"], look.path["low"], look.path["high"]])
        ax.set_ylim(ys.min() / 2, ys.max() * 2)
        style_log_ticks(ax.yaxis)
        ax.set_ylabel("Blended price (USD per million tokens, log)")
        ax.legend(loc="lower left", fontsize=8.5)
        t = look.rates.set_index("factor")
        add_source(
            fig,
            f"Rates per year: model ×{t.loc['model', 'factor_per_year']:.2f}, hardware "
            f"×{t.loc['hardware', 'factor_per_year']:.2f}, serving "
            f"×{t.loc['serving', 'factor_per_year']:.2f}, residual ×1 (held); total "
            f"×{t.loc['total', 'factor_per_year']:.2f} (inferecon.forward_look).\n"
            "Source: data/llm_prices.csv (prices to mid 2025), data/accelerators.csv, "
            "data/engine_profiles.csv, data/models.csv.",
        )
    return fig


def show_static(fig: Figure) -> None:
    """Show a static figure in a notebook as a PNG, whatever the display mode.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        E.g. :func:`decline_shares_figure`'s.
    """
    import io

    from IPython.display import Image, display

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    display(Image(buf.getvalue()))
