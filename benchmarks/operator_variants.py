"""Variants of the GEMM time model (``inferecon.operator_times``) tried against Microsoft's Vidur
kernel timings (``data/operator_timings.csv``), issue 18: held-out medians of each, for the record.

None of them brings the leave-one-model-out median under 5% on H100 and A40, so the package keeps
the stored model (``base`` below); this script reproduces the comparison table. Each variant
changes one physical assumption of the model's candidate kernels (module docstring of
``inferecon.operator_times``) and is refitted exactly as ``calibrate_operator_model`` fits the
stored constants (soft-L1 in log time, scale 5%, the same start and bounds):

* ``base``: the stored model (fixed tile set, min over tiles and splits, smooth max power 4);
* ``overlap``: ``max(compute, memory) + f * min(compute, memory)`` (``f`` fitted: the share of the
  shorter phase the pipeline does not hide) instead of the smooth maximum;
* ``act_reread``: activations re-read from DRAM once per column of tiles, a fitted share missing L2;
* ``power2``: smooth-max exponent 2 instead of 4;
* ``softmin``: a soft minimum over candidate kernels (weights ``exp(-log t / tau)``, ``tau``
  fitted): the library's heuristic picks near-best kernels, not the best;
* ``wide_tiles``: four more tile shapes (64x256, 256x64, 128x32, 32x128);
* ``split16``: split-K up to 16;
* ``loss_1pct``: the robust loss's scale 1% instead of 5% (nearer an L1 fit of the median);
* ``split_launch``: split-K pays a second launch (its reduction kernel);
* ``k_latency``: a tile's main loop cannot run faster than a fitted latency per 64-wide K step;
* ``tail_blind``: the kernel is chosen by a heuristic that ignores the last wave's emptiness
  (fractional waves) and then pays it;
* ``hopper_cluster``: Hopper's kernels run 2-SM thread-block clusters (two M tiles per cluster,
  ``n_sm / 2`` clusters fill a wave) on the H100 only;
* ``hopper_cluster_tail_blind``: both.

Run: ``python benchmarks/operator_variants.py [variant ...]`` (a few minutes on 2 busy cores;
not part of ``make bench``).
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np
from scipy.optimize import least_squares

import inferecon as ie
from inferecon import operator_times as ot

GPUS = ("A100-80GB-SXM", "H100-SXM", "A40")
_WIDE = ot.TILE_SHAPES + ((64, 256), (256, 64), (128, 32), (32, 128))
_HOPPER_SMS = 132.0  # the H100-SXM of the profiles: the only GPU with thread-block clusters


def _load():
    t = ie.load_operator_timings()
    t = t[t["operator"].isin(ie.LINEAR_OPERATORS)].reset_index(drop=True)
    shapes = ot.operator_shapes(t)
    canon, peak, bw, sms = ot._gpu_physics(t["gpu"].to_numpy())
    cols = (shapes.M.to_numpy(), shapes.K.to_numpy(), shapes.N.to_numpy(), peak, bw, sms)
    return t.assign(gpu=canon), cols, np.log(t["median_ms"].to_numpy() * 1e-3)


def _seconds(cols, p, v):
    """Seconds of each row under variant ``v`` (a dict of switches) and parameters ``p`` (the
    six stored constants, then the variant's own)."""
    m, k, n, peak, bw, sms = (np.asarray(c, float)[:, None, None] for c in cols)
    eff_c, eff_b, overhead_us, q, tile_us, edge = p[:6]
    extra = list(p[6:])
    tiles = np.asarray(v.get("tiles", ot.TILE_SHAPES), float)
    tm, tn = tiles[:, 0][None, :, None], tiles[:, 1][None, :, None]
    split = np.asarray(v.get("splits", ot.SPLIT_K_FACTORS), float)[None, None, :]
    cluster = np.where(sms == _HOPPER_SMS, 2.0, 1.0) if v.get("hopper_cluster") else 1.0
    x = np.ceil(m / (tm * cluster)) * np.ceil(n / tn) * split / (sms / cluster)
    tile_s = 2 * tm * tn * (k / split) / (eff_c * peak / sms) * (1 + edge / tm + edge / tn)
    if v.get("k_latency"):
        lat = extra.pop(0) * 1e-6 * (k / split) / 64.0
        tile_s = np.sqrt(tile_s**2 + lat**2)
    tile_s = tile_s + tile_us * 1e-6
    compute = (q * np.ceil(x) + (1 - q) * np.maximum(x, 1)) * tile_s
    moved = 2 * k * n + 2 * (m * k + m * n) + (split > 1) * 8 * m * n * split
    if v.get("act_reread"):
        moved = moved + extra.pop(0) * 2 * m * k * (np.ceil(n / tn) - 1)
    memory = moved / (eff_b * bw)
    power = v.get("power", 4.0)
    both = (compute**power + memory**power) ** (1 / power)
    if v.get("overlap"):
        both = np.maximum(compute, memory) + extra.pop(0) * np.minimum(compute, memory)
    if v.get("split_launch"):
        both = both + (split > 1) * overhead_us * 1e-6
    flat = both.reshape(len(both), -1)
    rows = np.arange(len(flat))
    if v.get("tail_blind"):
        seen = np.maximum(x, 1) * tile_s
        pick = ((seen**power + memory**power) ** (1 / power)).reshape(len(both), -1).argmin(1)
        best = flat[rows, pick]
    elif v.get("softmin"):
        tau = extra.pop(0)
        lt = np.log(flat)
        w = np.exp(-(lt - lt.min(1, keepdims=True)) / tau)
        best = np.exp((w * lt).sum(1) / w.sum(1))
    else:
        best = flat.min(1)
    return best + overhead_us * 1e-6


VARIANTS = {
    "base": {},
    "overlap": dict(overlap=1, extra=(0.2, 0.0, 1.0)),
    "act_reread": dict(act_reread=1, extra=(0.1, 0.0, 1.0)),
    "power2": dict(power=2.0),
    "softmin": dict(softmin=1, extra=(0.05, 0.001, 1.0)),
    "wide_tiles": dict(tiles=_WIDE),
    "split16": dict(splits=(1, 2, 4, 8, 16)),
    "loss_1pct": dict(f_scale=0.01),
    "split_launch": dict(split_launch=1),
    "k_latency": dict(k_latency=1, extra=(0.3, 0.0, 5.0)),
    "tail_blind": dict(tail_blind=1),
    "hopper_cluster": dict(hopper_cluster=1),
    "hopper_cluster_tail_blind": dict(hopper_cluster=1, tail_blind=1),
}


def _fit(cols, y, sel, v):
    extra = np.asarray(v.get("extra", ()), float).reshape(-1, 3)
    x0 = np.r_[ot._START, extra[:, 0]]
    bounds = (np.r_[ot._LOWER, extra[:, 1]], np.r_[ot._UPPER, extra[:, 2]])
    sub = [c[sel] for c in cols]

    def residual(p):
        return np.log(_seconds(sub, p, v)) - y[sel]

    f_scale = v.get("f_scale", ot._ROBUST_SCALE)
    return least_squares(
        residual, x0, bounds=bounds, loss="soft_l1", f_scale=f_scale, x_scale="jac"
    ).x


def _ape(cols, y, sel, p, v):
    return np.abs(np.exp(np.log(_seconds([c[sel] for c in cols], p, v)) - y[sel]) - 1) * 100


def evaluate(name: str, table, cols, y) -> dict:
    """Pooled held-out median absolute error (%) per GPU: leave one model out, leave one GPU
    out, and in-sample."""
    v = VARIANTS[name]
    out = {"variant": name}
    for g in GPUS:
        on = (table["gpu"] == g).to_numpy()
        errs = []
        for model in table.loc[on, "model"].unique():
            held = on & (table["model"] == model).to_numpy()
            errs.append(_ape(cols, y, held, _fit(cols, y, on & ~held, v), v))
        out[f"LOMO {g}"] = np.median(np.concatenate(errs))
        out[f"LOGO {g}"] = np.median(_ape(cols, y, on, _fit(cols, y, ~on, v), v))
        out[f"in-sample {g}"] = np.median(_ape(cols, y, on, _fit(cols, y, on, v), v))
    return out


def main(names) -> None:
    import pandas as pd

    start = time.perf_counter()
    table, cols, y = _load()
    print(f"load average {os.getloadavg()[0]:.1f}")
    rows = []
    for name in names or VARIANTS:
        rows.append(evaluate(name, table, cols, y))
        print(pd.DataFrame(rows[-1:]).round(2).to_string(index=False), flush=True)
    print(pd.DataFrame(rows).round(2).set_index("variant").T.to_string())
    print(f"{time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
