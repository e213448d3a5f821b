"""Deployment-planner benchmark: a search over 1,008 configurations for one day's load curve.

Llama-3.1-70B, the Azure 2023 conversation trace's joint prompt and output lengths, 10 million
requests a day on a diurnal curve (peak-to-mean 1.9, peak at 14:30), TTFT 1 s and TPOT 50 ms
for 90% of requests; six GPUs x three precisions x four tensor-parallel sizes x seven
schedulers x two limits on running requests. Prints the search time, the share of
configurations never simulated (pruned by the goodput ceiling, or infeasible), the cheapest
plan and its runner-ups, a check of the plan at the day's peak (600 s of requests routed
round-robin across the planned replicas, Poisson and with the Azure conversation trace's
per-minute over-dispersion, rate_cv 0.21), the API list price of the same workload, and the
load average (the machine is shared).

Run: ``python benchmarks/planner_bench.py [--workers N] [--brute-force]``.
"""

from __future__ import annotations

import argparse
import os
import time

import inferecon as ie

GPUS = ("H100-SXM", "H200-SXM", "B200-HGX", "A100-80GB-SXM", "MI300X", "L40S")
PRECISIONS = ("bf16", "fp8", "fp4")


def scenario():
    """The stated scenario: model, load curve, lengths and targets."""
    curve = ie.diurnal_load_curve(10e6, 1.9, 14.5)
    lengths = ie.trace_lengths("azure2023_conversation")
    return dict(model="Llama-3.1-70B", curve=curve, lengths=lengths, ttft_ms=1000.0,
                tpot_ms=50.0, attainment=0.9)  # fmt: skip


def run(
    workers: int = 1,
    prune: bool = True,
    n_requests: int = 1000,
    precisions=PRECISIONS,
    headroom: float = 1.0,
):
    """One search; returns the plan."""
    # tensor parallelism 1-8, seven schedulers, two limits on running requests
    configs = ie.plan_search_grid(GPUS, precisions, full=True)
    return ie.plan_deployment(
        **scenario(), configurations=configs, workers=workers, prune=prune,
        n_requests=n_requests, headroom=headroom,
        api_model="meta-llama/Llama-3.3-70B-Instruct-Turbo", api_provider="together",
        prices_as_of="2026-12-01",
    )  # fmt: skip


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--brute-force", action="store_true")
    ap.add_argument("--precisions", default=",".join(PRECISIONS),
                    help="comma-separated weight precisions (default: %(default)s)")  # fmt: skip
    ap.add_argument("--headroom", type=float, default=1.0,
                    help="capacity over each hour's mean rate (default: %(default)s)")  # fmt: skip
    args = ap.parse_args(argv)
    t = time.perf_counter()
    plan = run(args.workers, prune=not args.brute_force,
               precisions=tuple(args.precisions.split(",")), headroom=args.headroom)  # fmt: skip
    wall = time.perf_counter() - t
    s = plan.search
    print(f"configurations {s['configurations']}, simulated {s['simulated']}, pruned by the "
          f"ceiling {s['pruned']}, infeasible {s['infeasible']}: {s['share_pruned']:.1%} never "
          f"simulated; {s['simulations']} simulations")  # fmt: skip
    print(f"search time {wall:.1f} s with {args.workers} worker(s); load average "
          f"{os.getloadavg()[0]:.2f}")  # fmt: skip
    b = plan.best
    print(f"cheapest: {b['label']}: goodput {b['goodput_rps_per_replica']:.2f} req/s per "
          f"replica, {b['peak_replicas']} replicas ({b['peak_gpus']} GPUs) at peak, "
          f"{b['gpu_hours_per_day']:.0f} GPU-h/day, ${b['usd_per_day']:,.0f}/day, "
          f"${b['usd_per_mtok_output']:.3f} per million output tokens "
          f"(${b['usd_per_mtok']:.3f} per million tokens)")  # fmt: skip
    cols = ["label", "goodput_rps_per_replica", "peak_gpus", "usd_per_day", "usd_per_mtok_output"]
    print(plan.runner_ups[cols].to_string(index=False))
    sc = scenario()
    for cv in (0.0, 0.21):  # Poisson; the conversation trace's per-minute over-dispersion
        t = time.perf_counter()
        chk = ie.check_plan(plan, sc["curve"], sc["lengths"], rate_cv=cv, window_s=600).summary
        print(f"peak check (600 s at {chk['peak_rate_per_s']:.0f} req/s, rate_cv {cv:g}, "
              f"round-robin over {chk['replicas']} replicas): attainment "
              f"{chk['slo_attainment']:.3f} (target {chk['target_attainment']:g}); "
              f"{time.perf_counter() - t:.1f} s")  # fmt: skip
    if plan.api is not None:
        a = plan.api.iloc[0]
        print(f"API list price ({a['model_id']} at {a['provider_id']}): ${a['usd_per_day']:,.0f}"
              f"/day, ${a['usd_per_mtok_output']:.3f} per million output tokens")  # fmt: skip


if __name__ == "__main__":
    main()
