"""Figures and explorers for notebook 05: test-time compute."""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets
import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter, PercentFormatter

from ..testtime import (
    CoveragePowerLaw,
    best_of_n_accuracy,
    best_of_n_ceiling,
    beta_bin_masses,
    beta_expected_coverage,
    beta_from_mean,
    compute_matched_inference_multiplier,
    cost_per_solved_fixed_budget,
    coverage,
    coverage_curve,
    expected_over_difficulty,
    fit_coverage_power_laws,
    majority_vote_accuracy,
    majority_vote_ceiling,
    samples_to_reach,
    simulated_counts,
    usd_per_sample,
)
from .controls import LABEL_STYLE, checkbox, dropdown, float_slider, int_slider, row_layout
from .explorer import Explorer
from .style import add_source, add_title, side_by_side

__all__ = [
    "SamplingStrategiesExplorer",
    "CostBreakEvenExplorer",
    "CoverageDataExplorer",
]

_SAMPLES = [10, 30, 100, 300, 1000, 3000, 10000]


def _samples_grid(n_max: int) -> np.ndarray:
    """About 48 log-spaced sample counts from 1 to ``n_max`` (the curves' x grid)."""
    return np.unique(np.round(np.logspace(0, np.log10(n_max), 48)).astype(int))


def _pct_axis(ax):
    ax.set_ylim(0, 1.0)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))


def _samples_axis(ax, n_max=10_000):
    ax.set_xscale("log")
    ax.set_xlim(0.8, n_max * 1.25)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:,.0f}"))


class SamplingStrategiesExplorer(Explorer):
    """Coverage, best-of-N with an imperfect verifier and majority voting against samples.

    Problems differ in difficulty: a sample solves a problem with probability p, and p varies
    across problems as Beta(alpha, beta). Coverage (an oracle picks any correct sample) keeps
    rising; best-of-N plateaus where the verifier's false positives dilute the correct
    answers; a majority vote over a binary answer converges to the share of problems the
    model solves more often than not, so it stalls (and falls on hard problems).
    """

    name = "test_time_strategies"

    def _make_controls(self):
        return {
            "alpha": float_slider(
                0.5, 0.05, 5.0, 0.05, "Difficulty: Beta α (low = many very hard)"
            ),
            "beta": float_slider(1.5, 0.5, 20.0, 0.1, "Difficulty: Beta β (high = harder)"),
            "false_positive_rate": float_slider(
                0.05, 0.0, 0.5, 0.01, "Verifier false-positive rate (fraction)"
            ),
            "max_samples": widgets.SelectionSlider(
                options=_SAMPLES,
                value=10_000,
                description="Samples per problem (max)",
                style=LABEL_STYLE,
                layout=row_layout(),
            ),
        }

    def _build(self, fig):
        ax, axd = side_by_side(fig, 2.6, 0.25)
        self.ax, self.ax_dist = ax, axd
        add_title(fig, "More samples: coverage keeps rising, voting and verifiers stall")
        _samples_axis(ax)
        _pct_axis(ax)
        ax.set_xlabel("Samples per problem (log scale)")
        ax.set_ylabel("Problems solved")
        (self._cov,) = ax.plot([], [], color="#1f4e79", label="coverage (oracle picks any correct)")
        (self._bon,) = ax.plot([], [], color="#2e8b57", label="best-of-N with imperfect verifier")
        (self._maj,) = ax.plot([], [], color="#c0392b", label="majority vote (binary answer)")
        (self._bon_cap,) = ax.plot([], [], ":", color="#2e8b57", lw=1.2)
        (self._maj_cap,) = ax.plot([], [], ":", color="#c0392b", lw=1.2)
        for a in (self._cov, self._bon, self._maj, self._bon_cap, self._maj_cap):
            self._dynamic(a)
        ax.legend(loc="upper left", fontsize=8.5)
        ax.set_autoscale_on(False)
        self._edges = np.linspace(0, 1, 21)
        self._bars = axd.bar(
            self._edges[:-1],
            np.zeros(20),
            width=0.05,
            align="edge",
            color="#7fa7cf",
            edgecolor="white",
        )
        for b in self._bars:
            self._dynamic(b)
        axd.set_xlim(0, 1)
        axd.set_ylim(0, 1)
        axd.yaxis.set_major_formatter(PercentFormatter(1.0))
        axd.set_title("Per-problem difficulty", fontsize=10.5)
        axd.set_xlabel("p = chance one sample is right")
        axd.set_ylabel("Share of problems")
        axd.set_autoscale_on(False)
        add_source(
            fig,
            "Source: inferecon.testtime. Per-problem p ~ Beta(α, β); coverage "
            "1 − B(α, β+N)/B(α, β) (Brown et al. 2024); best-of-N with a verifier of the given "
            "false-positive rate;\nmajority vote over a binary answer (Wang et al. 2022); "
            "averages over exact Beta-CDF bins.",
        )

    def _update(self, p):
        a, b, fpr = float(p["alpha"]), float(p["beta"]), float(p["false_positive_rate"])
        n = _samples_grid(int(p["max_samples"]))
        cov = np.asarray(beta_expected_coverage(n, a, b), float)
        bon = expected_over_difficulty(lambda q: best_of_n_accuracy(q, n[:, None], fpr), a, b)
        maj = expected_over_difficulty(lambda q: majority_vote_accuracy(q, n[:, None]), a, b)
        self._last = pd.DataFrame(
            {"samples": n, "coverage": cov, "best_of_n": bon, "majority_vote": maj}
        )
        self._cov.set_data(n, cov)
        self._bon.set_data(n, bon)
        self._maj.set_data(n, maj)
        bon_cap = expected_over_difficulty(lambda q: best_of_n_ceiling(q, fpr), a, b)
        maj_cap = expected_over_difficulty(majority_vote_ceiling, a, b)  # share with p > 1/2
        self._bon_cap.set_data([1, 12500], [bon_cap, bon_cap])
        self._maj_cap.set_data([1, 12500], [maj_cap, maj_cap])
        for bar, h in zip(self._bars, beta_bin_masses(a, b, self._edges), strict=True):
            bar.set_height(h)
        pass1 = beta_expected_coverage(1, a, b)
        return (
            f"pass@1 {pass1:.1%} · with {n[-1]:,} samples: coverage <b>{cov[-1]:.1%}</b>, "
            f"best-of-N <b>{bon[-1]:.1%}</b> (ceiling {bon_cap:.1%}), majority vote "
            f"<b>{maj[-1]:.1%}</b> (ceiling {maj_cap:.1%}, the problems with p > ½)"
        )


class CostBreakEvenExplorer(Explorer):
    """A small model sampled many times versus a big model sampled once: accuracy per dollar.

    The small model's per-problem success probability varies as Beta with the given mean and
    spread; its answers are picked by a verifier (false-positive rate 0 = unit tests). The big
    model answers once. The break-even is the spend per problem at which the small model's
    accuracy reaches the big model's. The right panel is Snell et al.'s FLOPs-matched view:
    how many times more inference a model M times smaller may run for the same total compute.
    """

    name = "test_time_cost"

    def _make_controls(self):
        return {
            "small_pass1_pct": float_slider(15.0, 1.0, 80.0, 1.0, "Small model pass@1 (%)", ".0f"),
            "spread": float_slider(
                1.0, 0.2, 20.0, 0.1, "Difficulty concentration α+β (low = spread)"
            ),
            "big_accuracy_pct": float_slider(
                40.0, 5.0, 95.0, 1.0, "Big model accuracy, 1 sample (%)", ".0f"
            ),
            "false_positive_rate": float_slider(
                0.02, 0.0, 0.5, 0.01, "Verifier false-positive rate (fraction)"
            ),
            "tokens_per_sample": int_slider(1000, 100, 20000, 100, "Tokens per sample (tokens)"),
            "small_usd_per_mtok": float_slider(
                0.2, 0.01, 20.0, 0.01, "Small model price (USD/Mtok)"
            ),
            "big_usd_per_mtok": float_slider(
                10.0, 0.1, 100.0, 0.1, "Big model price (USD/Mtok)", ".1f"
            ),
            "model_size_ratio": float_slider(
                14.0, 1.0, 100.0, 1.0, "Size ratio M (big / small, ×)", ".0f"
            ),
            "inference_to_pretraining": widgets.FloatLogSlider(
                value=0.16,
                base=10,
                min=-2,
                max=2,
                step=0.05,
                description="R = inference / pretraining tokens (ratio)",
                style=LABEL_STYLE,
                layout=row_layout(),
                readout_format=".3g",
            ),
        }

    def _build(self, fig):
        ax, axs = side_by_side(fig, 2.1, 0.3)
        self.ax, self.ax_snell = ax, axs
        add_title(fig, "Many cheap samples or one expensive answer?")
        ax.set_xscale("log")
        ax.set_xlim(1e-6, 1e4)
        _pct_axis(ax)
        ax.set_xlabel("Spend per problem (USD, log scale, list prices)")
        ax.set_ylabel("Problems solved")
        (self._small,) = ax.plot(
            [], [], "-", color="#2e8b57", label="small model, N samples + verifier"
        )
        (self._small_pts,) = ax.plot([], [], "o", color="#2e8b57", ms=4)
        (self._big,) = ax.plot([], [], "*", color="#1f4e79", ms=16, label="big model, 1 sample")
        (self._even,) = ax.plot([], [], "--", color="#c0392b", lw=1.2, label="break-even spend")
        (self._matched,) = ax.plot(
            [], [], "D", color="#7d3c98", ms=7, label="FLOPs-matched samples (Snell)"
        )
        for a in (self._small, self._small_pts, self._big, self._even, self._matched):
            self._dynamic(a)
        self._pt_labels = [
            self._dynamic(
                ax.annotate(
                    "",
                    (1, 0),
                    xytext=(3, -11),
                    textcoords="offset points",
                    fontsize=7.5,
                    color="#2e8b57",
                )
            )
            for _ in range(5)
        ]
        self._even_txt = self._dynamic(
            ax.text(0.98, 0.04, "", transform=ax.transAxes, ha="right", fontsize=9, color="#c0392b")
        )
        ax.legend(loc="upper left", fontsize=8)
        ax.set_autoscale_on(False)
        r = np.logspace(-2, 2, 100)
        axs.set_xscale("log")
        axs.set_yscale("log")
        axs.set_xlim(1e-2, 1e2)
        axs.set_ylim(1, 1e5)
        axs.set_title("FLOPs-matched budget", fontsize=10.5)
        axs.set_xlabel("R = inference / pretraining tokens")
        axs.set_ylabel("K: inference multiple the\nsmall model may spend (×)")
        self._r = r
        (self._k_line,) = axs.plot([], [], color="#7d3c98")
        (self._k_pt,) = axs.plot([], [], "o", color="#7d3c98", ms=7)
        self._k_txt = axs.text(
            0.97,
            0.95,
            "",
            transform=axs.transAxes,
            ha="right",
            va="top",
            fontsize=9,
            color="#7d3c98",
        )
        for a in (self._k_line, self._k_pt, self._k_txt):
            self._dynamic(a)
        axs.set_autoscale_on(False)
        add_source(
            fig,
            "Source: inferecon.testtime. Small model p ~ Beta(mean·κ, (1−mean)·κ), best-of-N "
            "with a verifier; cost = N × tokens × price. FLOPs-matched K = M + 3(M−1)/R\n"
            "(Snell et al. 2024, §7; 6ND pretraining, 2N per inference token). List prices, "
            "not serving costs.",
        )

    def _update(self, p):
        a, b = beta_from_mean(p["small_pass1_pct"] / 100.0, float(p["spread"]))
        fpr = float(p["false_positive_rate"])
        tokens = p["tokens_per_sample"]
        n = _samples_grid(10_000)
        acc = expected_over_difficulty(lambda q: best_of_n_accuracy(q, n[:, None], fpr), a, b)
        usd_small = usd_per_sample(n * tokens, p["small_usd_per_mtok"])
        usd_big = usd_per_sample(tokens, p["big_usd_per_mtok"])
        big = p["big_accuracy_pct"] / 100.0
        self._small.set_data(usd_small, acc)
        marks = [i for i, v in enumerate(n) if v in (1, 10, 100, 1000, 10000)]
        self._small_pts.set_data(usd_small[marks], acc[marks])
        for lab, i in zip(self._pt_labels, marks, strict=False):
            lab.xy = (usd_small[i], acc[i])
            lab.set_text(f"N={n[i]:,}")
        self._big.set_data([usd_big], [big])
        k = float(
            compute_matched_inference_multiplier(
                p["model_size_ratio"], p["inference_to_pretraining"]
            )
        )
        # whole samples the FLOPs-matched budget buys, within the plotted range
        n_match = int(min(np.floor(k), n[-1]))
        acc_match = float(
            expected_over_difficulty(lambda q: best_of_n_accuracy(q, n_match, fpr), a, b)
        )
        self._matched.set_data([usd_per_sample(n_match * tokens, p["small_usd_per_mtok"])],
                               [acc_match])  # fmt: skip
        n_even = samples_to_reach(n, acc, big)
        self._last = pd.DataFrame(
            {
                "samples": n,
                "small_usd_per_problem": usd_small,
                "small_accuracy": acc,
                "big_usd_per_problem": usd_big,
                "big_accuracy": big,
            }
        )
        if n_even is not None:
            usd_even = usd_per_sample(n_even * tokens, p["small_usd_per_mtok"])
            self._even.set_data([usd_even] * 2, [0, 1])
            ratio = usd_even / usd_big
            cheaper = "cheaper" if ratio < 1 else "dearer"
            self._even_txt.set_text(
                f"break-even at N = {n_even:,}: ${usd_even:.3g} per "
                f"problem, {ratio:.2g}× the big model ({cheaper})"
            )
            head = (
                f"Small model matches the big one at <b>N = {n_even:,}</b> samples, "
                f"<b>${usd_even:.3g}</b> per problem vs <b>${usd_big:.3g}</b> "
                f"({ratio:.2g}×)."
            )
        else:
            self._even.set_data([], [])
            self._even_txt.set_text(f"never: the small model plateaus at {acc[-1]:.0%}")
            head = (
                f"The small model <b>never</b> reaches {big:.0%}: it plateaus at "
                f"{acc[-1]:.1%} (verifier false positives and unsolvable problems)."
            )
        kk = compute_matched_inference_multiplier(p["model_size_ratio"], self._r)
        self._k_line.set_data(self._r, kk)
        self._k_pt.set_data([p["inference_to_pretraining"]], [k])
        self._k_txt.set_text(f"M = {p['model_size_ratio']:.0f}: K = {k:,.1f}×")
        per_sample_small = usd_per_sample(tokens, p["small_usd_per_mtok"])
        per_solved_small = cost_per_solved_fixed_budget(acc[-1], n[-1], per_sample_small)
        per_solved_big = cost_per_solved_fixed_budget(big, 1, usd_big)
        return (
            head + f"<br>FLOPs-matched: a {p['model_size_ratio']:.0f}× smaller model may "
            f"run <b>{k:,.1f}×</b> the inference tokens (R = "
            f"{p['inference_to_pretraining']:.3g}), {n_match:,} samples, reaching "
            f"{acc_match:.1%}. Cost per solved problem: big ${per_solved_big:.3g}; small "
            f"with {n[-1]:,} samples ${per_solved_small:.3g}."
        )


class CoverageDataExplorer(Explorer):
    """Coverage against samples from real per-problem counts, with Brown et al.'s power-law fits.

    Parameters
    ----------
    counts : pandas.DataFrame, optional
        Per-problem counts (:func:`inferecon.load_sampling_counts`);
        :func:`inferecon.simulated_counts` when omitted (labelled as simulated).
    source : str, optional
        Source line for the figure.
    fits : dict of str to CoveragePowerLaw, optional
        Power-law fits per model, as :func:`inferecon.fit_coverage_power_laws` returns for
        ``coverage_curve(counts)``; fitted with that call when omitted.
    **params
        Initial control values: ``highlight`` (a model), ``show_fit``.
    """

    name = "coverage_data"

    def __init__(
        self,
        counts: pd.DataFrame | None = None,
        source: str | None = None,
        fits: dict[str, CoveragePowerLaw] | None = None,
        **params: Any,
    ):
        self.simulated = counts is None
        self.counts = simulated_counts() if counts is None else counts
        self.source = source or (
            "simulated counts (no repeated-sampling data given): "
            "128 problems × 10,000 samples, p ~ Beta(α, 3), one model per α."
        )
        self.curves = coverage_curve(self.counts)
        self.models = list(dict.fromkeys(self.curves["model"]))
        self.fits = fit_coverage_power_laws(self.curves) if fits is None else fits
        missing = [m for m in self.models if m not in self.fits]
        if missing:
            raise ValueError(f"fits must hold a fit for every model of counts; missing {missing}")
        # the plotted data does not change with the controls (they only highlight)
        self._last = self.curves.assign(
            fit_coverage=[
                float(self.fits[m].predict(k))
                for m, k in zip(self.curves["model"], self.curves["k"], strict=True)
            ]
        )
        super().__init__(**params)

    def _make_controls(self):
        return {
            "highlight": dropdown(self.models, self.models[-1], "Highlight model"),
            "show_fit": checkbox(True, "Show power-law fits"),
        }

    def _build(self, fig):
        ax = fig.add_axes((0.08, 0.2, 0.62, 0.66))
        self.ax = ax
        add_title(
            fig,
            "Coverage grows as a power law in samples"
            + (" (SIMULATED stand-in, not real data)" if self.simulated else ""),
        )
        n_max = int(self.counts["n_samples"].min())
        _samples_axis(ax, n_max)
        _pct_axis(ax)
        ax.set_xlabel("Samples per problem k (log scale)")
        ax.set_ylabel("Coverage: problems solved by any of k")
        cmap = __import__("matplotlib").colormaps["viridis"]
        self._lines, self._fit_lines = {}, {}
        k_fit = np.logspace(0, np.log10(n_max), 80)
        for i, m in enumerate(self.models):
            color = cmap(i / max(len(self.models) - 1, 1) * 0.9)
            g = self.curves[self.curves["model"] == m]
            (line,) = ax.plot(g["k"], g["coverage"], color=color, label=m)
            (fl,) = ax.plot(k_fit, self.fits[m].predict(k_fit), "--", color=color, lw=1)
            self._lines[m], self._fit_lines[m] = self._dynamic(line), self._dynamic(fl)
        ax.legend(loc="upper left", fontsize=8, ncols=1 if len(self.models) < 8 else 2)
        ax.set_autoscale_on(False)
        rows = "\n".join(
            f"{m[:24]:<24} a={self.fits[m].a:6.2f} b={self.fits[m].b:5.2f}" for m in self.models
        )
        fig.text(
            0.72,
            0.86,
            "Fit: coverage ≈ exp(a·k^b)\n" + rows,
            va="top",
            fontsize=8,
            family="monospace",
        )
        add_source(
            fig,
            f"Source: {self.source}\nFit: Brown et al. 2024 (arXiv 2407.21787), "
            "log(−log coverage) linear in log k; pass@k by Chen et al. 2021's unbiased "
            "estimator.",
        )

    def _update(self, p):
        hi = p["highlight"]
        for m in self.models:
            on = m == hi
            self._lines[m].set_alpha(1.0 if on else 0.35)
            self._lines[m].set_linewidth(2.6 if on else 1.4)
            self._fit_lines[m].set_visible(bool(p["show_fit"]))
            self._fit_lines[m].set_alpha(1.0 if on else 0.35)
        g = self.counts[self.counts["model"] == hi]
        f = self.fits[hi]
        k_max = int(g["n_samples"].min())
        ks = [k for k in (1, 100) if k < k_max] + [k_max]
        at = coverage(g["n_samples"].to_numpy(), g["n_correct"].to_numpy(), ks)
        parts = [
            f"{c:.2%} at k = 1" if k == 1 else f"{c:.1%} at k = {k:,}"
            for k, c in zip(ks, at, strict=True)
        ]
        parts[-1] = f"<b>{at[-1]:.1%}</b> at k = {k_max:,}"
        return (
            f"<b>{hi}</b>: coverage {', '.join(parts)} · fit a = {f.a:.2f}, b = {f.b:.3f} "
            f"(R² {f.r_squared:.3f})"
        )
