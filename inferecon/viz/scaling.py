"""Figures and explorers for notebook 04: scaling laws and inference-aware scaling."""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets
import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter, PercentFormatter

from ..datasets import load_chinchilla_points, load_notable_models
from ..scaling import (
    ScalingFit,
    compare_to_optimal,
    fit_scaling_law,
    get_law,
    inference_aware_optimum,
    iso_flop_tokens,
    loss_penalty,
    training_flops,
)
from .controls import LABEL_STYLE, checkbox, dropdown, float_slider, row_layout
from .explorer import Explorer
from .style import add_source, add_title, declutter, side_by_side

__all__ = [
    "InferenceAwareExplorer",
    "LossLandscapeExplorer",
    "ScalingFitExplorer",
]

LAWS = {
    "Epoch AI replication (2024)": "epoch_replication",
    "Chinchilla, printed constants": "chinchilla_printed",
    "Chinchilla, unrounded constants": "chinchilla_unrounded",
    "Chinchilla as used by Sardana et al. (2024)": "sardana2024",
}
_SARDANA = "Chinchilla as used by Sardana et al. (2024)"
_LAW_SOURCE = (
    "laws: data/scaling_laws.csv (Hoffmann et al. 2022, Appendix D.2; Besiroglu et al. 2024, Eq. 3)"
)
N_RANGE = (1e8, 3e12)
D_RANGE = (1e9, 1e15)


def _sci(v: float) -> str:
    if not np.isfinite(v):
        return "n/a"
    e = int(np.floor(np.log10(v) + 1e-9))
    m = v / 10**e
    return f"1e{e}" if abs(m - 1) < 1e-6 else f"{m:.2f}e{e}"


def _params_label(v: float) -> str:
    return (
        f"{v / 1e12:.2f}T" if v >= 1e12 else (f"{v / 1e9:.1f}B" if v >= 1e9 else f"{v / 1e6:.0f}M")
    )


def _log_fmt(axis):
    axis.set_major_formatter(FuncFormatter(lambda v, _p: _sci(v) if v > 0 else "0"))


# --------------------------------------------------------------------------- landscape


def _show_contours(cs, visible: bool) -> None:
    """Show or hide a contour set and its inline labels."""
    cs.set_visible(visible)
    for text in cs.labelTexts:
        text.set_visible(visible)


class LossLandscapeExplorer(Explorer):
    """The loss over (parameters, tokens), the iso-FLOP line of a budget and its optimum.

    Contours show L(N, D); the straight line is every (N, D) with 6ND = C; its lowest point is
    the compute-optimal model. Notable models are placed by their parameters and training
    tokens: those above the frontier were trained on more tokens than compute-optimal
    (over-trained, i.e. smaller than optimal for their compute, which is cheaper to serve).
    The right panel shows the loss given up along the iso-FLOP line.
    """

    name = "scaling_landscape"

    def _export_fit(self, ax) -> str:
        # the contours and the frontier span the model's (N, D) grid: keep it
        return "" if ax is self.ax else "xy"

    def _after_export_fit(self) -> None:
        declutter(self.fig, self._labels, self._scatter)

    def _layout_key(self) -> tuple:
        # the contours are static and differ by law: one background per law (a law seen
        # before is a blit; without the law in the key it would restore another law's)
        return (*super()._layout_key(), getattr(self, "_law_key", None))

    def _make_controls(self):
        return {
            "law": dropdown(list(LAWS), "Epoch AI replication (2024)", "Scaling law"),
            "log10_flops": float_slider(
                np.log10(5.76e23), 19.0, 26.5, 0.05, "Training compute (log10 FLOPs)", ".2f"
            ),
            "show_models": checkbox(True, "Show notable models (data/notable_models.csv)"),
        }

    def _build(self, fig):
        ax, axp = side_by_side(fig, 1.45, 0.3, left=0.085)
        self.ax, self.ax_pen = ax, axp
        add_title(fig, "Compute-optimal scaling: the best model for a training budget")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlim(*N_RANGE)
        ax.set_ylim(*D_RANGE)
        ax.set_xlabel("Parameters N")
        ax.set_ylabel("Training tokens D")
        _log_fmt(ax.xaxis)
        _log_fmt(ax.yaxis)
        self._n_grid = np.geomspace(*N_RANGE, 120)
        self._d_grid = np.geomspace(*D_RANGE, 120)
        self._contours = None
        self._law_key = None
        n = np.array(N_RANGE)
        ax.plot(n, 20 * n, ":", color="#7f8c8d", lw=1, label="20 tokens per parameter")
        (self._frontier,) = ax.plot([], [], color="black", lw=1.8, label="compute-optimal N, D")
        (self._iso,) = ax.plot([], [], color="#c0392b", lw=1.6, label="this budget (6ND = C)")
        (self._opt,) = ax.plot([], [], "*", ms=15, color="#c0392b", mec="white", zorder=6)
        for a in (self._frontier, self._iso, self._opt):
            self._dynamic(a)
        nm = load_notable_models()
        self.models = nm
        self._scatter = ax.scatter(
            nm["params"], nm["training_tokens"], s=18, color="#1f4e79", zorder=5,
            label="notable models (active params)",
        )  # fmt: skip
        self._labels = [
            ax.annotate(name, (p, t), xytext=(3, 2), textcoords="offset points", fontsize=6.5,
                        color="#1f4e79")  # fmt: skip
            for name, p, t in zip(nm["name"], nm["params"], nm["training_tokens"], strict=True)
            if name in {"GPT-3 175B", "Chinchilla", "Llama-3-8B", "Llama-3.1-405B",
                        "SmolLM2-1.7B", "DeepSeek-V3", "Llama-2-70B", "PaLM 540B"}
        ]  # fmt: skip
        for a in (self._scatter, *self._labels):
            self._dynamic(a)
        ax.legend(loc="upper right", fontsize=7.5)
        ax.set_autoscale_on(False)
        declutter(fig, self._labels, self._scatter)

        axp.set_xscale("log")
        axp.set_xlim(1 / 30, 30)
        axp.set_ylim(0, 0.25)
        axp.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:g}×"))
        axp.set_xlabel("N / N_opt along the budget's line")
        axp.set_ylabel("Loss penalty (nats/token)")
        axp.set_title("Off the optimum costs loss", fontsize=10.5)
        (self._pen,) = axp.plot([], [], color="#c0392b", label="selected law")
        (self._pen_other,) = axp.plot(
            [], [], "--", color="#7f8c8d", lw=1.2, label="Chinchilla printed (or Epoch)"
        )
        axp.legend(loc="upper center", fontsize=8)
        self._dynamic(self._pen)
        self._dynamic(self._pen_other)
        axp.axvline(1, color="black", lw=0.8)
        axp.set_autoscale_on(False)
        add_source(
            fig,
            "Source: inferecon.scaling; L(N, D) = E + A/N^α + B/D^β with C = 6ND; "
            + _LAW_SOURCE
            + ";\nmodels: data/notable_models.csv (papers and model cards; MoE at active "
            "parameters). Contours every 0.1 nats/token.",
        )

    def _draw_contours(self, law, key):
        """Show ``law``'s contours (``key`` its :data:`LAWS` key): made on the law's first
        visit and kept, hidden, while another law shows (a law's contours depend on nothing
        else: the (N, D) grid is fixed at construction)."""
        if self._contours is not None:
            _show_contours(self._contours, False)
        sets = self.__dict__.setdefault("_contour_sets", {})
        if key not in sets:
            nn, dd = np.meshgrid(self._n_grid, self._d_grid)
            z = law.loss(nn, dd)
            levels = np.arange(np.floor(law.E * 10) / 10 + 0.1, 4.0, 0.1)
            cs = self.ax.contour(
                nn, dd, z, levels=levels, cmap="Blues_r", linewidths=0.8, alpha=0.8
            )
            self.ax.clabel(cs, levels[::2], fontsize=7, fmt="%.1f")
            sets[key] = cs
        self._contours = sets[key]
        _show_contours(self._contours, True)
        self._relayout()

    def _update(self, p):
        key = LAWS[p["law"]]
        law = get_law(key)
        if key != self._law_key:
            self._law_key = key
            self._draw_contours(law, key)
        c = 10 ** float(p["log10_flops"])
        cs = np.geomspace(1e17, 1e30, 200)
        fn, fd = law.compute_optimal(cs)
        self._frontier.set_data(fn, fd)
        n_line = np.geomspace(*N_RANGE, 200)
        self._iso.set_data(n_line, iso_flop_tokens(c, n_line))
        n_opt, d_opt = law.compute_optimal(c)
        self._opt.set_data([n_opt], [d_opt])
        show = bool(p["show_models"])
        for a in (self._scatter, *self._labels):
            a.set_visible(show)
        ratio = np.geomspace(1 / 30, 30, 200)  # N / N_opt along the budget's iso-FLOP line
        self._pen.set_data(ratio, loss_penalty(n_opt * ratio, d_opt / ratio, law))
        other_key = "chinchilla_printed" if key != "chinchilla_printed" else "epoch_replication"
        other = get_law(other_key)
        on, od = other.compute_optimal(c)
        self._pen_other.set_data(ratio, loss_penalty(on * ratio, od / ratio, other))
        cmp = compare_to_optimal(self.models["params"], self.models["training_tokens"], law)
        self._last = pd.concat([self.models[["name", "params", "training_tokens"]], cmp], axis=1)
        printed, _ = get_law("chinchilla_printed").compute_optimal(c)
        unrounded, _ = get_law("chinchilla_unrounded").compute_optimal(c)
        over = self._last.sort_values("overtraining_factor").iloc[-1]
        return (
            f"C = {_sci(c)} FLOPs: optimum <b>{_params_label(n_opt)}</b> parameters on "
            f"<b>{d_opt / 1e9:,.0f}B</b> tokens ({law.tokens_per_param(c):.1f} tokens/parameter), "
            "loss "
            f"{law.loss(n_opt, d_opt):.3f} · exponents a = {law.a:.3f}, b = {law.b:.3f} · "
            f"rounding: Chinchilla's printed constants give {_params_label(printed)}, the "
            f"unrounded ones {_params_label(unrounded)} · most over-trained: "
            f"{over['name']} ({over['overtraining_factor']:.1f}× the optimal tokens)"
        )


# --------------------------------------------------------------------------- inference-aware

_REFERENCE_SIZES = [1e9, 3e9, 7e9, 13e9, 30e9, 70e9, 175e9, 405e9]


class InferenceAwareExplorer(Explorer):
    """Train smaller, longer: the model that reaches a loss at the least lifetime cost.

    Fix the quality of a Chinchilla-optimal model of a given size, then count the tokens it
    will serve over its life. Minimising 6·N·D_train + 2·N·D_inference at that loss (Sardana et
    al. 2024) moves the optimum to fewer parameters trained on more tokens; the right panel
    compares lifetime compute (or cost) with the Chinchilla-optimal model's.
    """

    name = "inference_aware"

    def _make_controls(self):
        return {
            "law": dropdown(list(LAWS), _SARDANA, "Scaling law"),
            "reference_params": widgets.SelectionSlider(
                options=[(_params_label(v), v) for v in _REFERENCE_SIZES],
                value=13e9,
                description="Quality of a Chinchilla-optimal model of (params)",
                style=LABEL_STYLE,
                layout=row_layout(),
            ),
            "log10_inference_tokens": float_slider(
                np.log10(2e12), 9.0, 16.0, 0.05, "Lifetime inference tokens (log10)", ".2f"
            ),
            "inference_cost_ratio": float_slider(
                1.0, 0.25, 8.0, 0.05, "Cost of an inference FLOP / a training FLOP (ratio)"
            ),
        }

    def _build(self, fig):
        ax, axb = side_by_side(fig, 1.6, 0.3, left=0.085)
        self.ax, self.ax_bar = ax, axb
        add_title(fig, "Serving many tokens? Train a smaller model for longer")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlim(1e9, 1e16)
        ax.set_ylim(0.05, 50)
        ax.set_xlabel("Lifetime inference tokens")
        ax.set_ylabel("Relative to the Chinchilla-optimal model")
        _log_fmt(ax.xaxis)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:g}×"))
        ax.axhline(1, color="black", lw=0.8)
        (self._n,) = ax.plot([], [], color="#1f4e79", label="parameters N")
        (self._d,) = ax.plot([], [], color="#c0392b", label="training tokens D")
        (self._mark,) = ax.plot([], [], ":", color="black", lw=1)
        (self._n_pt,) = ax.plot([], [], "o", color="#1f4e79")
        (self._d_pt,) = ax.plot([], [], "o", color="#c0392b")
        for a in (self._n, self._d, self._mark, self._n_pt, self._d_pt):
            self._dynamic(a)
        ax.legend(loc="upper left", fontsize=8.5)
        ax.set_autoscale_on(False)
        x = np.arange(2)
        self._bar_train = axb.bar(x, [0, 0], color="#1f4e79", label="training", width=0.6)
        self._bar_inf = axb.bar(x, [0, 0], color="#e67e22", label="inference", width=0.6)
        for b in (*self._bar_train, *self._bar_inf):
            self._dynamic(b)
        axb.set_xticks(x, ["Chinchilla-\noptimal", "inference-\naware"])
        axb.set_ylim(0, 1.15)
        axb.yaxis.set_major_formatter(PercentFormatter(1.0))
        axb.set_ylabel("Lifetime cost (Chinchilla-optimal = 100%)")
        axb.set_title("Same loss, lifetime cost", fontsize=10.5)
        axb.legend(loc="upper right", fontsize=8)
        axb.set_autoscale_on(False)
        add_source(
            fig,
            "Source: inferecon.scaling.inference_aware_optimum: minimise 6·N·D_train + "
            "r·2·N·D_inference at a fixed loss (Sardana, Portes, Doubov & Frankle 2024,\n"
            "arXiv:2401.00448); r = cost of an inference FLOP relative to a training FLOP "
            "(price and MFU differ);\n" + _LAW_SOURCE + ".",
        )

    def _update(self, p):
        law = get_law(LAWS[p["law"]])
        ref = float(p["reference_params"])
        target = law.optimal_loss(law.optimal_flops(ref))  # a compute-optimal model of size ref
        r = float(p["inference_cost_ratio"])
        tokens = np.geomspace(1e9, 1e16, 90)
        sweep = inference_aware_optimum(
            target, tokens, law, usd_per_train_flop=1.0, usd_per_inference_flop=r
        )
        self._n.set_data(tokens, sweep.params_ratio)
        self._d.set_data(tokens, sweep.tokens_ratio)
        t = 10 ** float(p["log10_inference_tokens"])
        o = inference_aware_optimum(
            target, t, law, usd_per_train_flop=1.0, usd_per_inference_flop=r
        )
        self._mark.set_data([t, t], [0.05, 50])
        self._n_pt.set_data([t], [o.params_ratio])
        self._d_pt.set_data([t], [o.tokens_ratio])
        base = o.chinchilla_total_cost  # bars in % of the Chinchilla-optimal model's cost
        heights_train = [o.chinchilla_training_cost / base, o.training_cost / base]
        heights_inf = [o.chinchilla_inference_cost / base, o.inference_cost / base]
        for bt, bi, ht, hi in zip(
            self._bar_train, self._bar_inf, heights_train, heights_inf, strict=True
        ):
            bt.set_height(min(ht, 1.15))
            bi.set_y(min(ht, 1.15))
            bi.set_height(max(min(hi, 1.15 - ht), 0))
        self._last = pd.DataFrame(
            {
                "inference_tokens": tokens,
                "target_loss": target,
                "n_params": sweep.n_params,
                "train_tokens": sweep.train_tokens,
                "params_ratio": sweep.params_ratio,
                "tokens_ratio": sweep.tokens_ratio,
                "flops_saving": sweep.flops_saving,
                "cost_saving": sweep.cost_saving,
            }
        )
        what = "FLOPs" if r == 1.0 else "cost"
        return (
            f"target loss {target:.3f} (a Chinchilla-optimal {_params_label(ref)} model) serving "
            f"{_sci(t)} tokens: train <b>{_params_label(o.n_params)}</b> parameters on "
            f"<b>{o.train_tokens / 1e12:,.2f}T</b> tokens ({o.train_tokens / o.n_params:,.0f} "
            f"tokens/parameter; {o.params_ratio:.0%} of the parameters, {o.tokens_ratio:.0%} "
            f"of the tokens) · saves <b>{o.cost_saving:.1%}</b> of lifetime {what} · "
            f"pre-training costs {o.training_flops_ratio:.0%} of the Chinchilla-optimal run"
        )


# --------------------------------------------------------------------------- fit


_PARAMS = ["alpha", "beta", "E", "A", "B", "a"]


class ScalingFitExplorer(Explorer):
    """A fitted law on training runs, with bootstrap intervals (Hoffmann et al.'s Approach 3).

    Parameters
    ----------
    runs : pandas.DataFrame, optional
        Columns ``n_params``, ``n_tokens``, ``loss`` (see :func:`inferecon.load_training_runs`);
        simulated runs when omitted.
    source : str, optional
        Where the runs come from (shown under the figure).
    bootstrap : int
        Bootstrap resamples for the intervals.
    fit : ScalingFit, optional
        The fit of ``runs`` to draw, as :func:`inferecon.fit_scaling_law` returns it (with
        ``bootstrap`` resamples for the band and histogram). When omitted it is fitted here
        with ``fit_scaling_law(runs..., bootstrap=bootstrap, seed=0)``.
    **params
        Initial control values: ``parameter``, ``show_published``.
    """

    name = "scaling_fit"

    def __init__(
        self,
        runs: pd.DataFrame | None = None,
        source: str | None = None,
        bootstrap: int = 100,
        fit: ScalingFit | None = None,
        **params: Any,
    ):
        if runs is None:  # real runs the project ships
            runs = load_chinchilla_points()
            source = source or (
                "Epoch AI's extraction of Chinchilla Fig. 4 (Besiroglu et al. 2024), as shipped "
                "by the chinchilla package (Apache-2.0)"
            )
        self.runs = runs
        self.source = source or "training runs given by the caller"
        if fit is None:
            fit = fit_scaling_law(
                self.runs["n_params"], self.runs["n_tokens"], self.runs["loss"],
                bootstrap=bootstrap, seed=0,
            )  # fmt: skip
        self.fit = fit
        super().__init__(**params)

    def _make_controls(self):
        return {
            "parameter": dropdown(_PARAMS, "alpha", "Bootstrap distribution of"),
            "show_published": checkbox(True, "Show published laws (Chinchilla, Epoch)"),
        }

    def _build(self, fig):
        ax, axh = side_by_side(fig, 1.5, 0.3, left=0.085)
        self.ax, self.ax_hist = ax, axh
        fit = self.fit
        add_title(fig, "Fitting the law: Huber loss, L-BFGS from 4,500 starts, bootstrap CIs")
        r = self.runs
        c = training_flops(r["n_params"], r["n_tokens"])
        sc = ax.scatter(c, r["loss"], c=np.log10(r["n_params"]), cmap="viridis", s=14, zorder=3)
        cb = fig.colorbar(sc, ax=ax, pad=0.01, fraction=0.04)
        cb.set_label("log10 parameters", fontsize=8.5)
        ax.set_xscale("log")
        _log_fmt(ax.xaxis)
        ax.set_xlabel("Training compute C = 6ND (FLOPs)")
        ax.set_ylabel("Final loss (nats/token)")
        cs = np.geomspace(c.min() / 2, c.max() * 2, 100)
        ax.plot(cs, fit.law.optimal_loss(cs), color="black", lw=2, label="fitted frontier")
        if fit.bootstrap is not None and len(fit.bootstrap) >= 10:
            lo, hi = fit.frontier_band(cs, ci=0.8)
            ax.fill_between(cs, lo, hi, color="black", alpha=0.15, label="80% bootstrap band")
        self._pub = []
        for key, col, lab in (
            ("chinchilla_printed", "#c0392b", "Chinchilla (printed constants)"),
            ("epoch_replication", "#1f4e79", "Epoch AI replication"),
        ):
            law = get_law(key)
            (ln,) = ax.plot(cs, law.optimal_loss(cs), "--", color=col, lw=1.2, label=lab)
            self._pub.append(self._dynamic(ln))
        ax.set_xlim(cs[0], cs[-1])
        lo_l, hi_l = r["loss"].min(), r["loss"].max()
        ax.set_ylim(lo_l - 0.05 * (hi_l - lo_l) - 0.05, hi_l + 0.05 * (hi_l - lo_l))
        ax.legend(loc="upper right", fontsize=8)
        ax.set_autoscale_on(False)
        self._bars = axh.bar(np.zeros(30), np.zeros(30), width=1.0, color="#7fa7cf")
        for b in self._bars:
            self._dynamic(b)
        (self._est,) = axh.plot([], [], color="black", lw=2, label="estimate")
        (self._ci,) = axh.plot([], [], color="black", lw=5, alpha=0.35, solid_capstyle="butt",
                               label="80% interval")  # fmt: skip
        (self._p_ch,) = axh.plot([], [], "--", color="#c0392b", lw=1.2, label="Chinchilla")
        (self._p_ep,) = axh.plot([], [], "--", color="#1f4e79", lw=1.2, label="Epoch")
        for a in (self._est, self._ci, self._p_ch, self._p_ep):
            self._dynamic(a)
        axh.set_ylabel("Bootstrap resamples")
        axh.legend(loc="upper left", fontsize=7.5)
        axh.set_title("Parameter uncertainty", fontsize=10.5)
        # the histogram's scales follow the parameter: its axes (ticks, tick labels, x label)
        # are dynamic artists, so a new parameter is a blit, not a full draw of the figure
        axh.set_autoscale_on(False)
        for axis in (axh.xaxis, axh.yaxis):
            self._dynamic(axis)
        add_source(
            fig,
            f"Source: runs: {self.source};\ninferecon.scaling.fit_scaling_law (Hoffmann et al. "
            "2022, Sec. 3.3 and App. D.2: Huber δ = 1e-3 on log loss, L-BFGS from a 4,500-point "
            f"grid);\n{len(fit.bootstrap) if fit.bootstrap is not None else 0} bootstrap "
            "resamples of the runs; dashed: published laws (data/scaling_laws.csv).",
        )

    def _update(self, p):
        fit = self.fit
        for ln in self._pub:
            ln.set_visible(bool(p["show_published"]))
        name = p["parameter"]
        est = fit.law.a if name == "a" else getattr(fit, name)
        published = {
            k: (get_law(k).a if name == "a" else getattr(get_law(k), name))
            for k in ("chinchilla_printed", "epoch_replication")
        }
        if fit.bootstrap is not None and len(fit.bootstrap):
            vals = fit.bootstrap[name].to_numpy()
            lo, hi = fit.intervals[name]
        else:
            vals, lo, hi = np.array([est]), est, est
        span = np.concatenate([vals, [est, *published.values()]])
        x0, x1 = np.percentile(span, [0, 100])
        pad = 0.08 * (x1 - x0) or 0.05 * abs(est) or 1.0
        edges = np.linspace(x0 - pad, x1 + pad, len(self._bars) + 1)
        counts, _ = np.histogram(vals, edges)
        for bar, left, h in zip(self._bars, edges[:-1], counts, strict=True):
            bar.set_x(left)
            bar.set_width(edges[1] - edges[0])
            bar.set_height(h)
        top = max(counts.max(), 1) * 1.2
        # limits and label of the histogram only: its axes are drawn as dynamic artists
        self.ax_hist.set_xlim(edges[0], edges[-1])
        self.ax_hist.set_ylim(0, top)
        self.ax_hist.set_xlabel(name)
        self._est.set_data([est, est], [0, top])
        self._ci.set_data([lo, hi], [top * 0.93, top * 0.93])
        self._p_ch.set_data([published["chinchilla_printed"]] * 2, [0, top])
        self._p_ep.set_data([published["epoch_replication"]] * 2, [0, top])
        self._last = pd.DataFrame(
            [{"parameter": k, "estimate": v} for k, v in fit.params().items()]
        )
        if fit.intervals:
            self._last["ci_low"] = [fit.intervals[k][0] for k in fit.params()]
            self._last["ci_high"] = [fit.intervals[k][1] for k in fit.params()]
        status = "converged" if fit.converged else "<b style='color:#c0392b'>NOT converged</b>"
        return (
            f"{fit.n_points} runs: E = <b>{fit.E:.3f}</b>, A = <b>{fit.A:,.0f}</b>, "
            f"B = <b>{fit.B:,.0f}</b>, α = <b>{fit.alpha:.3f}</b>, β = <b>{fit.beta:.3f}</b> "
            f"({status}, objective {fit.objective:.3e}) · {name}: {est:,.4g}, 80% interval "
            f"[{lo:,.4g}, {hi:,.4g}] · published: Chinchilla "
            f"{published['chinchilla_printed']:,.4g}, Epoch {published['epoch_replication']:,.4g}"
        )
