"""Published engine sweeps replayed in the simulator, beside the physical bounds.

:func:`compare_published_sweeps` simulates every load level of
``data/published_serving_sweeps.csv`` with the calibrated step model and on ideal hardware,
next to latency floors and a throughput ceiling that no engine may beat.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ._validate import require_in_range
from .datasets import load_published_serving_sweeps, load_request_lengths
from .serving import decode_performance, prefill_performance, serving_performance
from .simulator import simulate_serving
from .workloads import (
    LengthDistribution,
    closed_loop_workload,
    fixed_lengths,
    poisson_workload,
    resampled_lengths,
    trace_workload,
)

__all__ = [
    "SHAREGPT_STAND_IN",
    "compare_published_sweeps",
]

SHAREGPT_STAND_IN = "conversation"
"""Published sweeps on ShareGPT state only the mean lengths; their replays resample this trace
of ``data/request_lengths.csv`` (Azure LLM inference trace 2023, conversation; Patel et al.
2024, Splitwise) scaled to those means, a real shape in place of an unsourced lognormal spread.
"""


def _sweep_lengths(row) -> tuple[LengthDistribution, LengthDistribution] | None:
    """The request lengths a published sweep states (None when it does not say)."""
    dist = row["length_dist"]
    i, o = row["input_tokens"], row["output_tokens"]
    if dist in ("fixed", "nominal") and pd.notna(i) and pd.notna(o):
        return fixed_lengths(int(i)), fixed_lengths(int(o))
    if dist == "uniform_1_to_n" and pd.notna(i) and pd.notna(o):
        return resampled_lengths(np.arange(1, int(i) + 1)), resampled_lengths(
            np.arange(1, int(o) + 1)
        )
    mi, mo = row["mean_input_tokens"], row["mean_output_tokens"]
    if pd.notna(mi) and pd.notna(mo):  # ShareGPT-like: only the means are stated
        return _conversation_lengths(float(mi), float(mo))
    return None


def _conversation_lengths(mean_prompt: float, mean_output: float):
    """Lengths with a real conversation trace's shape and the stated means.

    ShareGPT's lengths are not shipped (``data/README.md``, request_lengths.csv); the Azure
    LLM inference trace 2023 (conversation window of ``data/request_lengths.csv``) is, so its
    prompt and output lengths are resampled, each scaled to the source's stated mean.
    """
    t = load_request_lengths()
    conv = t[t["trace"] == SHAREGPT_STAND_IN]
    ctx = conv["context_tokens"].to_numpy(float)
    gen = conv["generated_tokens"].to_numpy(float)
    return (resampled_lengths(np.maximum(np.rint(ctx * mean_prompt / ctx.mean()), 1)),
            resampled_lengths(np.maximum(np.rint(gen * mean_output / gen.mean()), 1)))  # fmt: skip


def compare_published_sweeps(
    sweeps: pd.DataFrame | None = None,
    *,
    efficiency=None,
    max_requests: int = 600,
    seed: int = 0,
) -> pd.DataFrame:
    """Simulate every load level of published engine sweeps, calibrated and on ideal hardware,
    beside the physical bounds no engine may beat.

    Each row of ``data/published_serving_sweeps.csv`` (a fixed configuration at one load
    level) is replayed: closed-loop rows with :func:`closed_loop_workload` at their
    concurrency, open-loop rows with :func:`poisson_workload` at their rate, offline rows with
    every request at once (all three with ``chunked_prefill`` on one instance of
    ``tensor_parallel`` GPUs), static-batch rows with :func:`inferecon.serving_performance`.
    Each runs twice: with ``efficiency`` (the stored calibration by default) and with
    ``efficiency=1.0`` (``ideal_*``: the same scheduler and workload on ideal hardware).

    The ``ideal_*`` latencies are **not bounds**: they depend on the simulated scheduler and
    workload (a chunk budget, first come first served, and a closed loop whose users all send
    their first prompt at once: at NVIDIA NIM's Llama-3.3-70B row at concurrency 50 that first
    wave alone has a mean TTFT of 5.5 s, and the run's mean of 866 ms lies above the measured
    834.5 ms while its steady state, about 300 ms, lies far below). The bounds use peak
    bandwidth and FLOP/s only: ``floor_ttft_ms`` (the prompt's prefill alone),
    ``floor_tpot_ms`` (a batch-1 decode step) and, where the load is a number of concurrent
    requests ``c`` (closed loops, static batches), ``ceiling_tokens_per_s``: at most ``c``
    requests decode in one iteration, each over at least its prompt, and a decode step's time
    per sequence falls with the batch, so output tokens/s <= ``instances x c_i / step(c_i)``
    with ``c_i = c / instances`` and ``step`` the decode step at that batch and the prompt's
    context at efficiency 1 (concave in ``c_i``, so an even split is the most any balance
    of the instances gives).

    Parameters
    ----------
    sweeps : pandas.DataFrame, optional
        Rows in the schema of ``data/published_serving_sweeps.csv`` (the bundled file).
    efficiency : optional
        The calibrated model's efficiency (``None``: :data:`inferecon.DEFAULT_EFFICIENCY`).
    max_requests : int
        Requests simulated per row at most (closed loops send ``8 x concurrency + 64``).
    seed : int
        Seed of the workloads.

    Returns
    -------
    pandas.DataFrame
        Per row: ``sweep_id``, the configuration (``engine``, ``model`` as published, ``gpu``,
        ``n_gpus``, ``weight_precision``, ``input_tokens``, ``output_tokens``), ``load_mode``,
        ``level`` (concurrency, batch or requests/s),
        ``measured_tokens_per_s``, ``model_tokens_per_s``, ``ideal_tokens_per_s`` (system
        output tokens/s) and ``ceiling_tokens_per_s`` (the bound above; NaN for open-loop and
        offline rows), ``measured_tpot_ms``, ``model_tpot_ms``, ``ideal_tpot_ms`` (the
        row's statistic, mean or median), the same for TTFT, ``floor_ttft_ms`` and
        ``floor_tpot_ms`` (physical floors whatever the scheduler: the prompt's prefill alone
        and a batch-1 decode step, at the ceiling), and ``note`` (why a row was not simulated,
        e.g. lengths the source does not state).
    """
    df = load_published_serving_sweeps() if sweeps is None else sweeps
    require_in_range("max_requests", max_requests, 10, 1_000_000)
    rows = []
    for _, r in df.iterrows():
        mode = r["load_mode"]
        level = r["concurrency"] if mode in ("closed_loop", "static_batch") else r[
            "request_rate_per_s"]  # fmt: skip
        rec = {
            "sweep_id": r["sweep_id"],
            "engine": r["engine"],
            "model": r["model_as_published"],
            "gpu": r["gpu"],
            "n_gpus": int(r["n_gpus"]),
            "weight_precision": r["weight_precision"],
            "input_tokens": r["input_tokens"],
            "output_tokens": r["output_tokens"],
            "load_mode": mode,
            "level": float(level) if pd.notna(level) else math.nan,
            "measured_tokens_per_s": r["output_tokens_per_s"],
            "measured_tpot_ms": r["tpot_ms"],
            "measured_ttft_ms": r["ttft_ms"],
            "note": "",
        }
        lengths = _sweep_lengths(r)
        tp = int(r["tensor_parallel"])
        instances = max(int(r["n_gpus"]) // (tp * int(r["pipeline_parallel"])), 1)
        if lengths is None or pd.isna(level) and mode != "offline_all_at_once":
            rows.append({**rec, "note": "request lengths or load level not stated"})
            continue
        # latency floors whatever the scheduler: the prompt's prefill alone, and a batch-1
        # decode step, both at the ceiling
        prompt_len = int(r["input_tokens"]) if r["length_dist"] in ("fixed", "nominal") and \
            pd.notna(r["input_tokens"]) else 1  # fmt: skip
        floor_kw = dict(efficiency=1.0, tensor_parallel=tp)
        rec["floor_ttft_ms"] = float(prefill_performance(
            r["model"], r["gpu"], prompt_len, 1, r["weight_precision"], **floor_kw
        )["step_ms"].iloc[0])  # fmt: skip
        rec["floor_tpot_ms"] = float(decode_performance(
            r["model"], r["gpu"], 1, prompt_len, r["weight_precision"], check_memory=False,
            **floor_kw,
        )["step_ms"].iloc[0])  # fmt: skip
        if mode in ("closed_loop", "static_batch"):  # a bound: see the docstring
            per = float(level) / instances
            step_s = float(decode_performance(
                r["model"], r["gpu"], per, prompt_len, r["weight_precision"], check_memory=False,
                **floor_kw,
            )["step_ms"].iloc[0]) / 1e3  # fmt: skip
            rec["ceiling_tokens_per_s"] = instances * per / step_s
        for tag, eff in (("model", efficiency), ("ideal", 1.0)):
            try:
                res = _replay(r, mode, level, lengths, tp, instances, eff, max_requests, seed)
            except ValueError as exc:
                rec["note"] = str(exc).splitlines()[0]
                break
            rec.update({f"{tag}_{k}": v for k, v in res.items()})
        rows.append(rec)
    return pd.DataFrame(rows)


def _replay(r, mode, level, lengths, tp, instances, eff, max_requests, seed) -> dict:
    stat = np.median if r["latency_stat"] == "median" else np.mean
    stat_ttft = np.median if r["ttft_stat"] == "median" else np.mean
    model, gpu, prec = r["model"], r["gpu"], r["weight_precision"]
    if mode == "static_batch":
        i, o = int(r["input_tokens"]), int(r["output_tokens"])
        sp = serving_performance(model, gpu, int(level), i, o, prec, eff, tensor_parallel=tp,
                                 check_memory=False).iloc[0]  # fmt: skip
        return {"tokens_per_s": float(sp["tokens_per_s_per_replica"]) * instances,
                "tpot_ms": float(sp["tpot_ms"]), "ttft_ms": float(sp["ttft_ms"])}  # fmt: skip
    prompt, output = lengths
    if mode == "closed_loop":
        per = max(int(round(level / instances)), 1)
        wl = closed_loop_workload(per, min(8 * per + 64, max_requests), prompt, output)
    elif mode == "open_loop_poisson":
        n = int(r["n_requests"]) if pd.notna(r["n_requests"]) else max_requests
        wl = poisson_workload(float(level) / instances, min(n, max_requests), prompt, output)
    else:  # offline: every request at once
        n = min(int(r["n_requests"]) if pd.notna(r["n_requests"]) else max_requests,
                max_requests)  # fmt: skip
        rng = np.random.default_rng(seed)
        wl = trace_workload(pd.DataFrame({"arrival_s": np.zeros(n),
                                          "prompt_tokens": prompt.sample(n, rng),
                                          "output_tokens": output.sample(n, rng)}))  # fmt: skip
    res = simulate_serving(
        model, gpu, wl, precision=prec, efficiency=eff, tensor_parallel=tp, seed=seed
    )
    req = res.requests
    done = np.isfinite(req["finish_s"])
    return {
        "tokens_per_s": res.summary["output_tokens_per_s"] * instances,
        "tpot_ms": float(stat(req.loc[done, "tpot_ms"].dropna())),
        "ttft_ms": float(stat_ttft(req.loc[done, "ttft_ms"])),
    }


# --------------------------------------------------------------------------- sweeps of load
