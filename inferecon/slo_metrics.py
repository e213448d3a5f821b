"""Latency targets met or missed: per-request tables, SLO attainment and the summary of a run.

A request meets its targets when it finished, its time to first token (TTFT) is within the
TTFT target and its mean time per output token (TPOT) within the TPOT target; rejected and
unfinished requests miss. :func:`slo_attainment` is the share that met both, the rule the
simulator's summary and the load curves share.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ._validate import require_positive

__all__ = [
    "DISTSERVE_SLOS",
    "slo_attainment",
]

DISTSERVE_SLOS: dict[str, dict[str, float]] = {
    "chatbot (OPT-13B)": {"ttft_ms": 250.0, "tpot_ms": 100.0},
    "chatbot (OPT-66B)": {"ttft_ms": 2500.0, "tpot_ms": 150.0},
    "chatbot (OPT-175B)": {"ttft_ms": 4000.0, "tpot_ms": 200.0},
    "code completion (OPT-66B)": {"ttft_ms": 125.0, "tpot_ms": 200.0},
    "summarization (OPT-66B)": {"ttft_ms": 15000.0, "tpot_ms": 150.0},
}
"""SLO targets of DistServe's workloads (Zhong et al. 2024, OSDI '24, Table 1): chatbot on
ShareGPT, code completion on HumanEval, summarization on LongBench."""


def slo_attainment(requests: pd.DataFrame, ttft_ms: float, tpot_ms: float) -> float:
    """Share of requests that met both targets (rejected and unfinished requests count as
    missed; a finished one-token request has no TPOT and meets that target).

    Parameters
    ----------
    requests : pandas.DataFrame
        :attr:`ServingResult.requests`.
    ttft_ms, tpot_ms : float
        Targets for time to first token and mean time per output token (ms).

    Returns
    -------
    float
        In [0, 1].
    """
    require_positive("ttft_ms", ttft_ms)
    require_positive("tpot_ms", tpot_ms)
    return float(_met_both(requests, ttft_ms, tpot_ms).mean()) if len(requests) else math.nan


def _met_both(requests: pd.DataFrame, ttft_ms: float, tpot_ms: float) -> pd.Series:
    """Per request: finished, and both targets met (the one rule the summary, the curves and
    :func:`slo_attainment` share)."""
    finished = np.isfinite(requests["finish_s"].to_numpy(dtype=float))
    tpot = requests["tpot_ms"].where(~(requests["output_tokens"] <= 1), 0.0)
    return (finished & (requests["ttft_ms"] <= ttft_ms) & (tpot <= tpot_ms)).rename("met_both")


def _timeline(runs, end_t, capacity_blocks, bins=400) -> pd.DataFrame:
    edges = np.linspace(0.0, max(end_t, 1e-9), bins + 1)
    total_b = np.zeros(bins)
    total_q = np.zeros(bins)
    total_kv = np.zeros(bins)
    weight = np.zeros(bins)
    for (tt, bb, qq, kk), cap in zip(runs, capacity_blocks, strict=True):
        if not len(tt):
            continue
        tt = np.asarray(tt, dtype=float)
        dur = np.diff(np.append(tt, end_t))
        idx = np.clip(np.searchsorted(edges, tt, side="right") - 1, 0, bins - 1)
        weight += np.bincount(idx, dur, bins)
        total_b += np.bincount(idx, dur * np.asarray(bb, dtype=float), bins)
        total_q += np.bincount(idx, dur * np.asarray(qq, dtype=float), bins)
        total_kv += np.bincount(idx, dur * np.asarray(kk, dtype=float) / max(cap, 1), bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        n = max(len(runs), 1)
        return pd.DataFrame({
            "time_s": (edges[:-1] + edges[1:]) / 2,
            "batch": total_b / weight * n,
            "queue": total_q / weight * n,
            "kv_used": total_kv / weight,
        })  # fmt: skip


def _request_table(df, req, max_gap, ttft_ms, tpot_ms) -> pd.DataFrame:
    arrival = np.asarray(req["arrival"], dtype=float)
    first = np.asarray(req["first"], dtype=float)
    finish = np.asarray(req["finish"], dtype=float)
    out_tok = df["output_tokens"].to_numpy(np.int64)
    rejected = np.zeros(len(df), dtype=bool)
    rejected[req["rejected"]] = True
    with np.errstate(invalid="ignore", divide="ignore"):
        tpot = np.where(out_tok > 1, (finish - first) / (out_tok - 1), np.nan) * 1e3
    res = pd.DataFrame({
        "arrival_s": arrival,
        "prompt_tokens": df["prompt_tokens"].to_numpy(np.int64),
        "output_tokens": out_tok,
        "admitted_s": np.asarray(req["admit"], dtype=float),
        "first_token_s": first,
        "finish_s": finish,
        "ttft_ms": (first - arrival) * 1e3,
        "tpot_ms": tpot,
        "max_gap_ms": max_gap * 1e3,
        "e2e_s": finish - arrival,
        "preemptions": np.asarray(req["preempt"], dtype=np.int64),
        "rejected": rejected,
    })  # fmt: skip
    if ttft_ms is not None and tpot_ms is not None:
        finished = np.isfinite(finish)
        one_token = out_tok <= 1  # no TPOT: only a finished one-token request meets it
        res["met_ttft"] = finished & (res["ttft_ms"] <= ttft_ms)
        res["met_tpot"] = finished & ((res["tpot_ms"] <= tpot_ms) | one_token)
        res["met_both"] = res["met_ttft"] & res["met_tpot"]
    return res


def _pcts(x) -> tuple[float, float, float]:
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    if not len(x):
        return (math.nan,) * 3
    return tuple(float(v) for v in np.percentile(x, [50, 90, 99]))


def _summary(res, req, runs, caps, end_t, n_gpus, truncated, ttft_ms, tpot_ms, policy, wl):
    done = np.isfinite(res["finish_s"].to_numpy())
    t0 = float(np.nanmin(res["arrival_s"])) if len(res) else 0.0
    t1 = float(np.nanmax(res["finish_s"])) if done.any() else t0
    dur = max(t1 - t0, 1e-12)
    out_tokens = float(res.loc[done, "output_tokens"].sum())
    tl = _timeline(runs, end_t, caps, bins=1)
    s = {
        "policy": policy,
        "workload": wl.kind,
        "n_requests": len(res),
        "completed": int(done.sum()),
        "rejected_ids": [int(i) for i in sorted(req["rejected"])],
        "duration_s": dur,
        "requests_per_s": float(done.sum()) / dur,
        "output_tokens_per_s": out_tokens / dur,
        "tokens_per_s_per_gpu": out_tokens / dur / n_gpus,
        "n_gpus": n_gpus,
        "preemptions": int(res["preemptions"].sum()),
        "mean_batch": float(tl["batch"].iloc[0]),
        "mean_in_system": float(tl["batch"].iloc[0] + tl["queue"].iloc[0]),
        "end_s": float(end_t),
        "kv_utilisation": float(tl["kv_used"].iloc[0]),
        "truncated": bool(truncated),
        "unfinished": int((~done).sum() - len(req["rejected"])),
    }
    for name in ("ttft_ms", "tpot_ms", "e2e_s"):
        s[f"{name}_p50"], s[f"{name}_p90"], s[f"{name}_p99"] = _pcts(res.loc[done, name])
    if ttft_ms is not None and tpot_ms is not None:
        s["slo_attainment"] = slo_attainment(res, ttft_ms, tpot_ms)
        s["goodput_rps_vllm"] = float(res["met_both"].sum()) / dur
    return s
