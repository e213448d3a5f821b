"""Figures and explorers for notebook 01: the decline in LLM inference prices."""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets
import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.patches import Polygon, Rectangle
from matplotlib.ticker import FuncFormatter, LogLocator

from ..datasets import BENCHMARKS, load_prices, load_published_rates
from ..prices import (
    EPOCH_INPUT_SHARE,
    DeclineFit,
    best_model_price,
    best_score_by_group,
    blended_price,
    cheapest_frontier,
    fit_decline,
    frontier_fold_decline,
    published_decline_rates,
    qualifying_mask,
)
from .controls import LABEL_STYLE, checkbox, dropdown, float_slider, row_layout
from .explorer import Explorer
from .style import add_source, add_title, side_by_side

__all__ = ["PriceDeclineExplorer", "OpenClosedExplorer"]

_MAX_LABELS = 12
_LABELLED = 4  # frontier points named on the chart: first, last and two between
_PRICE_YLIM = (0.015, 400.0)  # USD/Mtok: every blend of every price in the data fits
_RATE_XLIM = (1.0, 2e4)  # factor per year

# Threshold slider range per benchmark: (min, max, step, default)
_THRESHOLDS = {
    "mmlu": (40.0, 92.0, 0.1, 64.8),
    "gpqa_diamond": (20.0, 85.0, 0.5, 50.0),
    "math_500": (20.0, 98.0, 0.5, 74.0),
    "math_level_5": (10.0, 98.0, 0.5, 36.0),
    "humaneval": (30.0, 98.0, 0.5, 67.0),
    "arena_elo": (1000.0, 1420.0, 1.0, 1206.0),
}


def _fmt_usd(x: float) -> str:
    if x >= 1:
        return f"${x:,.2f}"
    return f"${x:.3g}"


def _usd_axis(ax) -> None:
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(LogLocator(base=10))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: _fmt_usd(v)))


def _month_options(prices: pd.DataFrame) -> list[tuple[str, pd.Timestamp]]:
    first = pd.Timestamp(prices["price_date"].min()).to_period("M").to_timestamp()
    last = (pd.Timestamp(prices["price_date"].max()).to_period("M") + 1).to_timestamp()
    months = pd.date_range(first, last, freq="MS")
    return [(m.strftime("%b %Y"), m) for m in months]


class _PlotMixin:
    def _plot(self, ax, *args, **kwargs):
        lines = ax.plot(*args, **kwargs)
        for line in lines:
            self._dynamic(line)
        return lines


class PriceDeclineExplorer(_PlotMixin, Explorer):
    """Cheapest price of an LLM above a benchmark threshold, over time, with its fitted trend.

    Controls: benchmark, threshold, input share of the blend, date window, whether reasoning
    models count. Readout: fold decline over the window, fitted factor per year with its 90%
    CI, R², halving time and point count. The right panel places the fitted rate beside
    published ones (Epoch AI's 9-900x/yr range, a16z's 10x/yr, the AI Index's 280-fold).

    Parameters
    ----------
    prices : pandas.DataFrame, optional
        Price data in the :func:`inferecon.load_prices` schema (bundled data by default).
    published : pandas.DataFrame, optional
        :func:`inferecon.load_published_rates` (bundled by default), drawn through
        :func:`inferecon.published_decline_rates`.
    **params
        Initial control values: ``benchmark``, ``threshold``, ``input_share``, ``window``
        (two dates), ``include_reasoning``.

    Attributes
    ----------
    frontier : pandas.DataFrame
        The cheapest-model frontier drawn (:func:`inferecon.cheapest_frontier`).
    fit : DeclineFit or None
        Its decline fit, None when the frontier has under 3 points.
    """

    name = "price_decline"

    def __init__(
        self,
        prices: pd.DataFrame | None = None,
        published: pd.DataFrame | None = None,
        **params: Any,
    ):
        self.prices = load_prices() if prices is None else prices
        self.published = published_decline_rates(
            load_published_rates() if published is None else published
        )
        self.frontier: pd.DataFrame = pd.DataFrame()
        self.fit: DeclineFit | None = None
        super().__init__(**params)

    # ---------------------------------------------------------------- controls
    def _make_controls(self):
        available = [b for b in BENCHMARKS if self.prices[b].notna().sum() >= 3]
        lo, hi, step, default = _THRESHOLDS["mmlu"]
        opts = _month_options(self.prices)
        return {
            "benchmark": dropdown([(BENCHMARKS[b], b) for b in available], "mmlu", "Benchmark"),
            "threshold": float_slider(
                default, lo, hi, step, "Threshold score (≥, benchmark units)", ".1f"
            ),
            "input_share": float_slider(
                EPOCH_INPUT_SHARE, 0.0, 1.0, 0.05, "Input share of tokens (0.75 = 3:1)"
            ),
            "window": widgets.SelectionRangeSlider(
                options=opts,
                index=(0, len(opts) - 1),
                description="Date window (month)",
                style=LABEL_STYLE,
                layout=row_layout(),
                continuous_update=False,
            ),
            "include_reasoning": checkbox(False, "Include reasoning models (o1, R1...)"),
        }

    def _on_control(self, name, change):
        if name == "benchmark":
            lo, hi, step, default = _THRESHOLDS[change["new"]]
            t = self.controls["threshold"]
            # widen first so min/max can be set in any order without a transient clash
            t.min, t.max = -1e9, 1e9
            t.min, t.max, t.step, t.value = lo, hi, step, default

    def _set_control(self, name, value):
        if name == "benchmark" and value in _THRESHOLDS:
            super()._set_control(name, value)
            self._on_control("benchmark", {"new": value})
            return
        super()._set_control(name, value)

    # ---------------------------------------------------------------- figure
    def _build(self, fig):
        ax, ax_r = side_by_side(fig, 2.7, 0.08, left=0.085, right=0.985, top=0.88)
        self.ax, self.ax_rates = ax, ax_r
        add_title(fig, "The cheapest LLM above a capability threshold")
        self._subtitle = self._dynamic(
            fig.text(0.01, 0.905, "", ha="left", fontsize=10, color="#333333")
        )
        _usd_axis(ax)
        ax.set_ylabel("Blended price (USD per million tokens)")
        ax.xaxis_date()
        ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=(1, 7)))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%b\n%Y"))
        (self._other,) = self._plot(
            ax,
            [],
            [],
            "o",
            ms=4,
            color="#bbbbbb",
            alpha=0.6,
            label="below threshold / outside window",
        )
        (self._qual,) = self._plot(
            ax, [], [], "o", ms=5, color="#7fa7cf", alpha=0.9, label="meets threshold"
        )
        (self._best,) = self._plot(
            ax,
            [],
            [],
            ls=(0, (4, 2)),
            lw=1.3,
            color="#7f8c8d",
            drawstyle="steps-post",
            label="price of the best-scoring model",
        )
        (self._front,) = self._plot(
            ax,
            [],
            [],
            "o-",
            color="#c0392b",
            ms=7,
            lw=1.6,
            drawstyle="steps-post",
            label="cheapest-model frontier",
        )
        (self._fit,) = self._plot(ax, [], [], "--", color="#1f4e79", lw=1.6, label="fitted trend")
        self._band = Polygon(
            np.zeros((1, 2)),
            closed=True,
            color="#1f4e79",
            alpha=0.12,
            lw=0,
            label="90% CI of the rate",
        )
        ax.add_patch(self._dynamic(self._band))
        # the date window dims what lies outside it; the axis keeps the whole timeline, so a
        # window change only redraws data (no new ticks)
        self._shade = [
            self._dynamic(
                ax.add_patch(
                    Rectangle(
                        (0, 0),
                        0,
                        1,
                        transform=ax.get_xaxis_transform(),
                        fc="white",
                        ec="none",
                        alpha=0.75,
                        zorder=3,
                    )
                )
            )
            for _ in range(2)
        ]
        self._labels = [
            self._dynamic(
                ax.annotate(
                    "",
                    (0, 1),
                    xytext=(4, 4),
                    textcoords="offset points",
                    fontsize=7.5,
                    color="#7b241c",
                    visible=False,
                )
            )
            for _ in range(_MAX_LABELS)
        ]
        self._msg = self._dynamic(
            ax.text(
                0.5,
                0.5,
                "",
                transform=ax.transAxes,
                ha="center",
                va="center",
                fontsize=11,
                color="#7b241c",
                visible=False,
                bbox=dict(fc="white", ec="#c0392b", alpha=0.9),
            )
        )
        ax.legend(loc="lower left", fontsize=8)
        ax.set_autoscale_on(False)  # limits are set from the data in _update
        ax.set_ylim(*_PRICE_YLIM)
        opts = self.controls["window"].options
        first, last = opts[0][1], opts[-1][1] + pd.offsets.MonthEnd(0)
        self._timeline = (mdates.date2num(first) - 15, mdates.date2num(last) + 15)
        ax.set_xlim(*self._timeline)
        # right panel: factor per year, log x
        ax_r.set_xscale("log")
        ax_r.set_title("Decline rate (× per year)", fontsize=10.5)
        ax_r.set_xlabel("× per year (log scale)")
        ax_r.grid(axis="y", visible=False)
        pub = self.published
        n = len(pub)
        ys = np.arange(n + 1)[::-1]
        labels = ["This selection (90% CI)", *pub["label"].tolist()]
        ax_r.set_yticks([])
        for y, lab in zip(ys, labels, strict=True):
            ax_r.text(
                0.02,
                y + 0.32,
                lab,
                transform=ax_r.get_yaxis_transform(),
                fontsize=8.5,
                ha="left",
                va="bottom",
                color="#1f4e79" if y == ys[0] else "#333333",
            )
        for y, r in zip(ys[1:], pub.itertuples(), strict=True):
            if np.isfinite(r.low) and np.isfinite(r.high):
                ax_r.plot(
                    [r.low, r.high],
                    [y, y],
                    "-",
                    color="#7f8c8d",
                    lw=5,
                    alpha=0.5,
                    solid_capstyle="butt",
                )
            ax_r.plot([r.value], [y], "D", color="#555555", ms=6)
            ax_r.annotate(
                f"{r.value:.0f}×",
                (r.value, y),
                xytext=(0, -12),
                textcoords="offset points",
                ha="center",
                fontsize=8,
            )
        (self._rate_ci,) = self._plot(ax_r, [], [], "-", color="#1f4e79", lw=3)
        (self._rate_pt,) = self._plot(ax_r, [], [], "o", color="#1f4e79", ms=8)
        self._rate_txt = self._dynamic(
            ax_r.annotate(
                "",
                (1, ys[0]),
                xytext=(0, -13),
                textcoords="offset points",
                ha="center",
                fontsize=8,
                color="#1f4e79",
            )
        )
        ax_r.set_autoscale_on(False)
        ax_r.set_ylim(-0.7, n + 0.7)
        ax_r.set_xlim(*_RATE_XLIM)
        add_source(
            fig,
            "Source: inferecon data/llm_prices.csv (API list prices, a source per row; scores "
            "maker-reported or Artificial Analysis).\nMethod: Epoch AI (2025), successive "
            "price lows, least squares on log price. Published rates: Epoch AI 2025; a16z "
            "'LLMflation' 2024;\nStanford AI Index 2025. List prices, not costs; reasoning "
            "models excluded unless ticked.",
        )

    # ---------------------------------------------------------------- update
    def _update(self, p):
        b, thr = p["benchmark"], float(p["threshold"])
        start, end = (pd.Timestamp(x) for x in p["window"])
        end = end + pd.offsets.MonthEnd(0)
        share, reasoning = p["input_share"], p["include_reasoning"]
        fr = cheapest_frontier(
            self.prices,
            b,
            thr,
            input_share=share,
            include_reasoning=reasoning,
            start=start,
            end=end,
        )
        fit = fit_decline(fr) if len(fr) >= 3 else None
        self.frontier, self.fit = fr, fit
        self._plotted_args = (b, thr, fr, fit)  # the export table is built on demand (data())
        prices = self.prices
        dates, x = self._dates()
        allp = self._blended(share)
        qual = qualifying_mask(prices, b, thr, include_reasoning=reasoning, start=start, end=end)
        self._qual.set_data(x[qual], allp[qual])
        self._other.set_data(x[~qual], allp[~qual])
        fx = mdates.date2num(fr["date"]) if len(fr) else np.empty(0)
        fy = fr["usd_per_mtok"].to_numpy(float)
        if len(fr):
            # extend the step to the window's end so the last low is visible as a level
            fx_step = np.append(fx, mdates.date2num(min(end, dates.max())))
            fy_step = np.append(fy, fy[-1])
        else:
            fx_step, fy_step = fx, fy
        self._front.set_data(fx_step, fy_step)
        self._front.set_markevery(list(range(len(fx))))
        bm = self._best_model_series(b, start, end, share, reasoning)
        self._best.set_data(mdates.date2num(bm["date"]), bm["usd_per_mtok"].to_numpy(float))
        n_fr = len(fr)
        shown = set(np.unique(np.linspace(0, n_fr - 1, min(n_fr, _LABELLED)).round().astype(int)))
        for i, lab in enumerate(self._labels):
            if i < n_fr and i in shown:
                r = fr.iloc[i]
                lab.xy = (fx[i], fy[i])
                lab.set_text(f"{r['model']} ({_fmt_usd(r['usd_per_mtok'])})")
                lab.set_visible(True)
            else:
                lab.set_visible(False)
        label = BENCHMARKS[b]
        unit = "" if b == "arena_elo" else "%"
        self._subtitle.set_text(
            f"Models scoring ≥ {thr:g}{unit} on {label.split(' (')[0]}, "
            f"{p['input_share']:.0%} input tokens in the blended price, "
            f"{start:%b %Y} to {end:%b %Y}"
        )
        # fit line and the band of its rate's 90% CI
        if fit is not None:
            tx = pd.date_range(fit.start, fit.end, periods=50)
            band_lo, band_hi = fit.slope_band(tx)
            xx = mdates.date2num(tx)
            self._fit.set_data(xx, fit.predict(tx))
            self._band.set_xy(np.column_stack([np.r_[xx, xx[::-1]], np.r_[band_lo, band_hi[::-1]]]))
            self._band.set_visible(True)
            f, (clo, chi) = fit.factor_per_year, fit.ci90
            self._rate_pt.set_data([f], [len(self.published)])
            self._rate_ci.set_data(
                [max(clo, _RATE_XLIM[0]), min(chi, _RATE_XLIM[1])], [len(self.published)] * 2
            )
            self._rate_txt.xy = (f, len(self.published))
            self._rate_txt.set_text(f"{f:.1f}×")
        else:
            self._fit.set_data([], [])
            self._band.set_visible(False)
            self._rate_pt.set_data([], [])
            self._rate_ci.set_data([], [])
            self._rate_txt.set_text("")
        # messages for degenerate selections
        if len(fr) == 0:
            msg = f"No model scores ≥ {thr:g}{unit} on {label.split(' (')[0]} in this window"
        elif fit is None:
            msg = f"Only {len(fr)} price low(s): a trend needs at least 3"
        else:
            msg = ""
        self._msg.set_text(msg)
        self._msg.set_visible(bool(msg))
        # x limits follow the window (a full redraw); y limits are fixed so that a threshold
        # or blend change only blits the data
        x_lo, x_hi = self._timeline
        w_lo, w_hi = mdates.date2num(start), mdates.date2num(end)
        # inset by a few days and 0.5% of the height so the spines stay visible
        x_lo, x_hi = x_lo + 3, x_hi - 3
        self._shade[0].set_bounds(x_lo, 0.005, max(w_lo - x_lo, 0), 0.99)
        self._shade[1].set_bounds(w_hi, 0.005, max(x_hi - w_hi, 0), 0.99)
        return self._readout_html(b, thr, unit, fr, fit)

    def data(self) -> pd.DataFrame:
        """The frontier points drawn, with the fitted price (see ``_plotted``)."""
        return self._plotted(*self._plotted_args)

    def _dates(self):
        """Every row's price date and its matplotlib date number (computed once)."""
        if getattr(self, "_dates_cache", None) is None:
            dates = pd.to_datetime(self.prices["price_date"])
            self._dates_cache = (dates, mdates.date2num(dates))
        return self._dates_cache

    def _blended(self, share) -> np.ndarray:
        """Every row's blended price at an input share (cached per share)."""
        cache = self.__dict__.setdefault("_blend_cache", {})
        key = float(share)
        if key not in cache:
            if len(cache) > 64:
                cache.pop(next(iter(cache)))
            cache[key] = blended_price(
                self.prices["input_usd_per_mtok"].to_numpy(float),
                self.prices["output_usd_per_mtok"].to_numpy(float),
                share,
            )
        return cache[key]

    def _best_model_series(self, b, start, end, share, reasoning) -> pd.DataFrame:
        """Price of the best model to date (cached: it does not depend on the threshold)."""
        key = (b, start, end, bool(reasoning), float(share))
        cache = self.__dict__.setdefault("_best_cache", {})
        if key not in cache:
            last = pd.Timestamp(self.prices["price_date"].max()) + pd.Timedelta(days=1)
            grid = pd.date_range(start, min(end, last), periods=60)
            cache[key] = best_model_price(
                self.prices, b, grid, input_share=share, include_reasoning=reasoning
            )
            if len(cache) > 256:
                cache.pop(next(iter(cache)))
        return cache[key]

    def _readout_html(self, b, thr, unit, fr, fit) -> str:
        name = BENCHMARKS[b].split(" (")[0]
        if len(fr) == 0:
            return (
                f"<b>No model</b> scores ≥ {thr:g}{unit} on {name} in this window. "
                "Lower the threshold or widen the window."
            )
        first, last = fr.iloc[0], fr.iloc[-1]
        fold = frontier_fold_decline(fr)
        head = (
            f"<b>{fold:,.1f}-fold</b> fall: {first['model']} {_fmt_usd(first['usd_per_mtok'])}"
            f" ({first['date']:%b %Y}) → {last['model']} {_fmt_usd(last['usd_per_mtok'])}"
            f" ({last['date']:%b %Y})"
        )
        if fit is None:
            return head + f" · <b>{len(fr)}</b> price low(s): too few to fit a trend (need 3)."
        lo, hi = fit.ci90
        return (
            head + f"<br>Fitted: <b>{fit.factor_per_year:,.1f}× per year</b> "
            f"(90% CI {lo:,.1f}–{hi:,.1f}) · {fit.oom_per_year:.2f} orders of magnitude/yr"
            f" · halving time <b>{fit.halving_time_months:.1f} months</b>"
            f" · R² {fit.r_squared:.2f} · n = {fit.n_points}"
        )

    @staticmethod
    def _plotted(b, thr, fr, fit) -> pd.DataFrame:
        """The export table: one row per frontier point, with the fitted price."""
        out = fr.rename(columns={"score": b})
        out["date"] = out["date"].dt.strftime("%Y-%m-%d")
        out["fitted_usd_per_mtok"] = fit.predict(fr["date"]) if fit is not None else np.nan
        out["benchmark"] = b
        out["threshold"] = thr
        return out[
            [
                "date",
                "model",
                "usd_per_mtok",
                "fitted_usd_per_mtok",
                b,
                "open_weights",
                "benchmark",
                "threshold",
            ]
        ]


class OpenClosedExplorer(_PlotMixin, Explorer):
    """Best score to date of open-weight versus closed models, and the gap between them.

    The AI Index 2025 reports the Chatbot Arena gap between the top closed and the top
    open-weight model narrowing from 8.0% (Jan 2024) to 1.7% (Feb 2025). This explorer
    computes the same measure from the bundled data, for any benchmark.
    """

    name = "open_closed_gap"

    def __init__(self, prices: pd.DataFrame | None = None, **params: Any):
        self.prices = load_prices() if prices is None else prices
        self.published = load_published_rates()
        super().__init__(**params)

    def _make_controls(self):
        ok = []
        for b in BENCHMARKS:
            has = self.prices.dropna(subset=[b])
            if has["open_weights"].eq(True).sum() >= 2 and has["open_weights"].eq(False).sum() >= 2:
                ok.append(b)
        default = "arena_elo" if "arena_elo" in ok else ok[0]
        return {
            "benchmark": dropdown([(BENCHMARKS[b], b) for b in ok], default, "Benchmark"),
            "include_reasoning": checkbox(False, "Include reasoning models"),
        }

    def _build(self, fig):
        gs = fig.add_gridspec(
            2, 1, height_ratios=[2, 1.1], hspace=0.12, left=0.08, right=0.97, top=0.88, bottom=0.18
        )
        ax = fig.add_subplot(gs[0])
        ax_g = fig.add_subplot(gs[1], sharex=ax)
        self.ax, self.ax_gap = ax, ax_g
        add_title(fig, "Open-weight models are closing the gap with closed ones")
        (self._closed,) = self._plot(
            ax, [], [], drawstyle="steps-post", color="#1f4e79", label="best closed model to date"
        )
        (self._open,) = self._plot(
            ax,
            [],
            [],
            drawstyle="steps-post",
            color="#2e8b57",
            label="best open-weight model to date",
        )
        (self._cpts,) = self._plot(ax, [], [], "o", color="#1f4e79", ms=4, alpha=0.5)
        (self._opts,) = self._plot(ax, [], [], "o", color="#2e8b57", ms=4, alpha=0.5)
        ax.legend(loc="lower right")
        ax.xaxis_date()
        plt_hide = ax.get_xticklabels()
        for t in plt_hide:
            t.set_visible(False)
        (self._gap,) = self._plot(
            ax_g,
            [],
            [],
            drawstyle="steps-post",
            color="#c0392b",
            label="gap: (closed − open) / closed",
        )
        (self._pub,) = self._plot(
            ax_g, [], [], "D", color="black", ms=6, label="AI Index 2025 (Chatbot Arena)"
        )
        ax_g.set_ylabel("Gap (%)")
        ax_g.legend(loc="upper right", fontsize=8)
        ax_g.xaxis.set_major_formatter(mdates.DateFormatter("%b %Y"))
        self._ylabel = ax.set_ylabel("")
        ax.set_autoscale_on(False)
        ax_g.set_autoscale_on(False)
        add_source(
            fig,
            "Source: inferecon data/llm_prices.csv (best score among priced models "
            "released by each date; non-reasoning unless ticked);\nAI Index 2025 gap "
            "figures (Chatbot Arena) from data/published_rates.csv.",
        )

    def _dates(self) -> pd.DatetimeIndex:
        """The weekly evaluation dates over the data's span (computed once)."""
        if getattr(self, "_dates_cache", None) is None:
            self._dates_cache = pd.date_range(
                self.prices["price_date"].min(), self.prices["price_date"].max(), freq="7D"
            )
        return self._dates_cache

    def _series(self, b: str, reasoning: bool) -> dict[str, Any]:
        """What the figure draws for a benchmark and a reasoning choice, cached per choice.

        The best score to date per group (:func:`inferecon.best_score_by_group` on
        :meth:`_dates`), its x positions, and the qualifying models' points by group. The
        explorer's data do not change after construction, so the key is the two choices.
        """
        cache = self.__dict__.setdefault("_series_cache", {})
        key = (b, bool(reasoning))
        if key not in cache:
            g = best_score_by_group(self.prices, b, self._dates(), include_reasoning=key[1])
            df = self.prices[qualifying_mask(self.prices, b, include_reasoning=key[1])]
            op = df["open_weights"].eq(True).to_numpy()
            cl = df["open_weights"].eq(False).to_numpy()
            dx = mdates.date2num(df["price_date"])
            y = df[b].to_numpy(float)
            cache[key] = {
                "groups": g,
                "x": mdates.date2num(g["date"]),
                "closed_pts": (dx[cl], y[cl]),
                "open_pts": (dx[op], y[op]),
            }
        return cache[key]

    def _update(self, p):
        b = p["benchmark"]
        series = self._series(b, p["include_reasoning"])
        g, x = series["groups"], series["x"]
        self._last = g.assign(date=g["date"].dt.strftime("%Y-%m-%d"))
        self._closed.set_data(x, g["closed"].to_numpy(float))
        self._open.set_data(x, g["open"].to_numpy(float))
        self._cpts.set_data(*series["closed_pts"])
        self._opts.set_data(*series["open_pts"])
        gap = g["gap_pct"].to_numpy(float)
        self._gap.set_data(x, gap)
        pub_x, pub_y = [], []
        if b == "arena_elo":
            for key, r in self.published.iterrows():
                if key.startswith("ai_index_2025_open_closed_gap_"):
                    pub_y.append(r["value"])
                    pub_x.append(mdates.date2num(_gap_date(key)))
        self._pub.set_data(pub_x, pub_y)
        self._pub.set_visible(bool(pub_x))
        if self._ylabel.get_text() != BENCHMARKS[b]:
            self._ylabel.set_text(BENCHMARKS[b])
            self._relayout()
        # limits depend on the benchmark only (not on the reasoning toggle), so toggling blits
        lo, hi, x0, gap_lo, gap_hi = self._limits(b, pub_y)
        self._set_limits(self.ax, xlim=(x0 - 20, x[-1] + 10), ylim=(lo, hi))
        self._set_limits(self.ax_gap, ylim=(gap_lo, gap_hi))
        valid = g.dropna(subset=["gap_pct"])
        if valid.empty:
            return f"No date has both an open and a closed model with a {BENCHMARKS[b]} score."
        a, z = valid.iloc[0], valid.iloc[-1]
        return (
            f"Gap on {BENCHMARKS[b]}: <b>{a['gap_pct']:.1f}%</b> ({a['date']:%b %Y}) → "
            f"<b>{z['gap_pct']:.1f}%</b> ({z['date']:%b %Y}); best closed "
            f"{z['closed']:.1f}, best open {z['open']:.1f}."
        )

    def _limits(self, b, pub_y):
        cache = self.__dict__.setdefault("_limit_cache", {})
        if b not in cache:
            df = self.prices.dropna(subset=[b])
            scores = df[b].to_numpy(float)
            pad = 0.05 * (scores.max() - scores.min() + 1)
            gaps = np.concatenate(
                [self._series(b, r)["groups"]["gap_pct"].to_numpy(float) for r in (False, True)]
            )
            gaps = gaps[np.isfinite(gaps)]
            top = max(float(gaps.max()) if gaps.size else 1.0, max(pub_y, default=0.0))
            bottom = min(0.0, float(gaps.min()) if gaps.size else 0.0)
            x0 = mdates.date2num(df["price_date"].min())
            cache[b] = (scores.min() - pad, scores.max() + pad, x0, bottom, top * 1.15 + 0.5)
        return cache[b]


def _gap_date(key: str) -> pd.Timestamp:
    """Mid-month date of a published gap figure keyed ``..._YYYY_MM``."""
    year, month = key.rsplit("_", 2)[-2:]
    return pd.Timestamp(int(year), int(month), 15)
