"""AI-factory benchmarks (issue 13), printed as a table. Tables, not assertions.

1. The speed/throughput frontier over 6 GPUs x 3 precisions x 4 tensor-parallel sizes x 200
   batch sizes (14,400 configurations; target under 100 ms), once with every precision
   (weight-only quantisation where a GPU lacks the format) and once with each GPU's native
   precisions only; then the cost pass over it (``frontier_costs``), which is what an explorer
   re-runs when only a price or the utilisation moves.
2. ``cost_breakdown`` on 100,000 rows, the hardware-trend table, an API bill (genai-prices'
   bundled snapshot; the first call imports its 1.6 MB price table) and a self-hosted bill.
3. Update latency of the notebook-06 explorers: a price control (cached model sweep, blitted
   redraw) against a model control (new serving sweep).

Run: ``python benchmarks/factory_bench.py [--repeat 7]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import inferecon as ie  # noqa: E402

GPUS = ["A100-80GB-SXM", "H100-SXM", "H200-SXM", "MI300X", "B200-HGX", "GB200-per-GPU"]


def _batches(n: int = 200) -> np.ndarray:
    """``n`` distinct whole batch sizes, log-spaced from 1."""
    k = n
    while True:
        b = np.unique(np.round(np.geomspace(1, 8192, k)))
        if len(b) >= n:
            return b[:n]
        k += 10


def _time(fn, repeat: int) -> tuple[float, float, float, object]:
    """(first, median, p95) in ms, and the last result."""
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return times[0], statistics.median(times), float(np.percentile(times, 95)), out


def _row(name: str, first: float, median: float, p95: float, note: str = "") -> None:
    print(f"{name:<62} {first:>9.1f} {median:>9.1f} {p95:>9.1f}  {note}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7, help="runs per measurement (default 7)")
    ap.add_argument("--model", default="Llama-3.1-70B")
    args = ap.parse_args(argv)
    r = max(args.repeat, 2)
    print(
        f"# inferecon AI-factory benchmarks · {platform.machine()} · {os.cpu_count()} CPUs · "
        f"Python {platform.python_version()} · model {args.model}"
    )
    print(f"{'benchmark':<62} {'first ms':>9} {'median':>9} {'p95':>9}  note")

    b = _batches()
    full = dict(precisions=("bf16", "fp8", "fp4"), tensor_parallel_sizes=(1, 2, 4, 8), batches=b)
    first, med, p95, front = _time(
        lambda: ie.throughput_frontier(
            args.model, GPUS, 1024, 1024, allow_weight_only=True, **full
        ),  # fmt: skip
        r,
    )
    n_cfg = len(GPUS) * 3 * 4 * len(b)
    _row(
        f"frontier: {len(GPUS)} GPUs x 3 precisions x 4 TP x {len(b)} batches",
        first, med, p95, f"{n_cfg:,} configurations, {len(front):,} fit; target < 100 ms",
    )  # fmt: skip
    first, med, p95, native = _time(
        lambda: ie.throughput_frontier(
            args.model, GPUS, 1024, 1024, tensor_parallel_sizes=(1, 2, 4, 8), batches=b
        ),
        r,
    )
    _row("frontier, native precisions only", first, med, p95, f"{len(native):,} fit")
    first, med, p95, costs = _time(lambda: ie.frontier_costs(front, utilisation=0.7), r)
    _row("frontier_costs over that frontier (a price or utilisation move)", first, med, p95)
    first, med, p95, _ = _time(lambda: ie.operating_points_by_gpu(costs, 50), r)
    _row("operating_points_by_gpu at 50 tokens/s per user (a target move)", first, med, p95)

    n = 100_000
    rng = np.random.default_rng(0)
    tps, watts = rng.uniform(10, 1e4, n), rng.uniform(100, 1200, n)
    prices = dict(usd_per_gpu_hour=2.5, utilisation=0.7, usd_per_kwh=0.08, pue=1.2, idle_w=70,
                  all_in_kw_per_gpu=1.73, facility_usd_per_kw_month=184)  # fmt: skip
    first, med, p95, _ = _time(lambda: ie.cost_breakdown(tps, watts, **prices), r)
    _row(f"cost_breakdown on {n:,} rows", first, med, p95)
    acc = ie.load_accelerators()
    first, med, p95, _ = _time(lambda: ie.hardware_trend_table(acc), r)
    _row("hardware_trend_table (2 metrics x 4 precisions x 5 subsets)", first, med, p95)
    volumes = np.geomspace(100, 1e7, 121)
    first, med, p95, _ = _time(
        lambda: ie.api_bill("gpt-4o-mini", 1000, 300, volumes, as_of="2026-12-01"), r
    )
    _row("api_bill over 121 volumes (genai-prices)", first, med, p95, "first call imports it")
    first, med, p95, _ = _time(
        lambda: ie.self_hosted_bill(
            args.model, "H200-SXM", 1000, 300, volumes, "fp8", tensor_parallel=2, batch=64
        ),  # fmt: skip
        r,
    )
    _row("self_hosted_bill over 121 volumes", first, med, p95)

    cases = [
        (ie.viz.FactoryCostExplorer, "utilisation", [0.3, 0.5, 0.9, 0.7]),
        (ie.viz.FactoryCostExplorer, "model", ["Llama-3.1-8B", "Qwen2.5-72B", "Llama-3.1-70B"]),
        (ie.viz.MarginPaybackExplorer, "output_usd_per_mtok", [0.5, 2.0, 5.0, 1.0]),
        (ie.viz.FactoryFrontierExplorer, "utilisation", [0.3, 0.5, 0.9, 0.7]),
        (ie.viz.FactoryFrontierExplorer, "model", ["Llama-3.1-8B", "Qwen2.5-72B", "Mistral-7B"]),
        (ie.viz.FactoryFrontierExplorer, "target_speed", [20, 100, 200, 50]),
        (ie.viz.HardwareTrendExplorer, "precision", ["bf16", "fp8", "fp32"]),
        (ie.viz.WorkloadBillExplorer, "requests_per_day", [1_000, 1_000_000, 100_000]),
    ]
    for cls, control, values in cases:
        ex = cls()
        ms = []
        for _ in range(max(1, r // 3)):
            for v in values:
                t0 = time.perf_counter()
                ex.controls[control].value = v
                ms.append((time.perf_counter() - t0) * 1e3)
        p95 = float(np.percentile(ms, 95))
        _row(f"{ex.name}: move {control}", ms[0], statistics.median(ms), p95, f"{len(ms)} moves")
        plt.close(ex.fig)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
