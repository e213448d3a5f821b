"""The serving model's frontier beside measured serving sweeps (issue 18's check, drawn)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..frontier_check import (
    check_frontier,
    engine_step_factors,
    frontier_check_summary,
    measured_envelope,
)
from ..serving_frontier import throughput_frontier
from .factory import _GPU_COLORS
from .style import add_source, add_title, house_style


def _model_line(model, gpu, precision, prompt, output):
    """The model's Pareto points (speed per user, total tokens/s per GPU), slowest first."""
    f = throughput_frontier(model, gpu, prompt, output, precisions=[precision],
                            allow_weight_only=True)  # fmt: skip
    p = f[f["pareto"]].sort_values("tokens_per_s_per_user")
    return (p["tokens_per_s_per_user"].to_numpy(float),
            p["total_tokens_per_s_per_gpu"].to_numpy(float))  # fmt: skip


def frontier_check_figure(
    sweeps: pd.DataFrame,
    *,
    precision: str = "fp8",
    prompt_tokens: int = 1024,
    output_tokens: int = 1024,
    fit_shape=(1024, 8192),
) -> Figure:
    """Measured serving beside the model's frontier, without and with engine step factors.

    Two panels share their axes (total tokens/s per GPU against tokens/s per user, log-log):
    every measured load level of ``sweeps`` at one precision and request shape (points; the
    measured envelope joined), and the model's Pareto frontier per GPU (lines): on the left the
    stored calibration as it is, on the right with each GPU's engine step factor
    (:func:`inferecon.engine_step_factors`) fitted on the rows of ``fit_shape`` only, which
    must differ from the shape drawn (a held-out check). Each panel's title gives the model
    over measured ratio at the geometric mean per GPU (:func:`inferecon.check_frontier`).

    Parameters
    ----------
    sweeps : pandas.DataFrame
        Measured sweeps in the schema of :data:`inferecon.MOE_SERVING_SWEEPS_SCHEMA`
        (:func:`inferecon.load_moe_serving_sweeps`); speculative rows are left out.
    precision : str
        Weight format drawn.
    prompt_tokens, output_tokens : int
        Request shape drawn.
    fit_shape : tuple of int
        (prompt, output) of the rows the engine step factors are fitted on.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        When ``fit_shape`` is the shape drawn, or nothing was measured at it.
    """
    prompt, output = int(prompt_tokens), int(output_tokens)
    if tuple(int(v) for v in fit_shape) == (prompt, output):
        raise ValueError(
            f"fit_shape={tuple(fit_shape)!r} is the shape drawn: fit the factors on another "
            "shape so the right panel is a held-out check"
        )
    shape = (sweeps["prompt_tokens"] == prompt) & (sweeps["output_tokens"] == output)
    rows = sweeps[shape & (sweeps["precision"].str.lower() == precision)]
    if rows.empty:
        raise ValueError(f"no measured rows at {precision}, {prompt} in, {output} out")
    factors = engine_step_factors(sweeps, shape=fit_shape)
    env = measured_envelope(rows)
    gpus = list(dict.fromkeys(env["gpu"]))
    model = env["model"].iloc[0]  # the data/models.csv name (DeepSeek-R1 -> DeepSeek-V3)
    checks = [check_frontier(rows), check_frontier(rows, step_time_factors=factors)]
    lines = {g: _model_line(model, g, precision, prompt, output) for g in gpus}
    with house_style():
        fig = Figure(figsize=(11.0, 6.6))
        axes = fig.subplots(1, 2, sharex=True, sharey=True,
                            gridspec_kw=dict(left=0.08, right=0.98, top=0.86, bottom=0.36,
                                             wspace=0.06))  # fmt: skip
        add_title(fig, f"The model against measured serving: DeepSeek-R1, {precision}, "
                       f"{prompt:,} in / {output:,} out, one 8-GPU node")  # fmt: skip
        for k, ax in enumerate(axes):
            s = frontier_check_summary(checks[k], by=("gpu",)).set_index("gpu")
            for gpu in gpus:
                color = _GPU_COLORS.get(gpu, "#555555")
                m = env[env["gpu"] == gpu].sort_values("tokens_per_s_per_user")
                ax.plot(m["tokens_per_s_per_user"], m["measured_tokens_per_s_per_gpu"], "o",
                        color=color, ms=5, mfc="white", mew=1.4)  # fmt: skip
                factor = factors.get(gpu, 1.0) if k == 1 else 1.0
                x, y = (v / factor for v in lines[gpu])  # every step `factor` times longer
                ratio = s.loc[gpu, "geomean_ratio"] if gpu in s.index else np.nan
                ax.plot(x, y, "-", color=color, lw=1.8,
                        label=f"{gpu}: model {ratio:.2f}x the measured"
                              + (f", step x{factor:.2f}" if k == 1 else ""))  # fmt: skip
            ax.plot([], [], "o", color="#555555", ms=5, mfc="white", mew=1.4,
                    label="measured envelope (points)")  # fmt: skip
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlabel("Speed per user (tokens/s, 1 / TPOT)")
            ax.legend(loc="upper left", bbox_to_anchor=(0.0, -0.13), fontsize=8, frameon=False,
                      title="lines: the model (geometric mean of model / measured)",
                      title_fontsize=8, alignment="left")  # fmt: skip
        axes[0].set_ylabel("Prompt + output tokens/s per GPU")
        axes[0].set_title("Datasheet model (stored calibration)", fontsize=10, loc="left")
        axes[1].set_title(f"With engine step factors fitted on {fit_shape[0]:,} in / "
                          f"{fit_shape[1]:,} out only", fontsize=10, loc="left")  # fmt: skip
        xs = env["tokens_per_s_per_user"].to_numpy(float)
        ys = env["measured_tokens_per_s_per_gpu"].to_numpy(float)
        axes[0].set_xlim(xs.min() / 2, xs.max() * 2)
        axes[0].set_ylim(ys.min() / 3, ys.max() * 6)
        add_source(
            fig,
            "Points: measured load levels on the envelope of every configuration "
            "(SemiAnalysis InferenceX, data/moe_serving_sweeps.csv; no speculative decoding).\n"
            "Lines: inferecon.throughput_frontier (TP 1-8, static batching); right: rates divided "
            "by inferecon.engine_step_factors (measured TPOT / model step at batch = "
            "concurrency).",
        )
    return fig
