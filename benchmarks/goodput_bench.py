"""Speed of the goodput simulator (issue 12), printed as a table (``make bench``).

1. ``simulate_serving`` with 100,000 requests, chunked prefill, at the goodput of the default
   scenario *for runs of 100,000 requests* (Llama-3.1-8B on one H100, lognormal prompts of 512
   and outputs of 256 tokens on average, targets 500 ms / 50 ms): target under 1 s on the
   project's 2-core machine. The other two policies for comparison, at the same rate. (A
   shorter run sustains a higher rate before its queue grows: at the 2,000-request goodput a
   100,000-request run meets the targets for only a few percent of its requests, which is a
   different, queue-dominated workload.)
2. One re-run of an explorer's simulation: 10,000 requests at the 10,000-request goodput
   (target under 300 ms).
3. ``goodput(...)`` for one SLO pair (the bracketing search, 2,000 requests per run): target
   under 5 s.
4. ``IterationCost.iteration_s`` per call, the simulator's innermost step.

Medians of ``--repeat`` runs (wall clock) and the CPU time of the fastest run. Tables, not
assertions.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

import inferecon as ie

MODEL, GPU = "Llama-3.1-8B", "H100-SXM"


def _time(fn, repeat: int) -> tuple[float, float]:
    walls, cpus = [], []
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return statistics.median(walls), min(cpus)


def main(argv=None) -> list[tuple[str, str, str, str]]:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    prompt, output = ie.lognormal_lengths(512, 1.0), ie.lognormal_lengths(256, 1.0)
    slo = dict(ttft_ms=500.0, tpot_ms=50.0)
    lengths = dict(prompt_tokens=prompt, output_tokens=output)
    g = ie.goodput(MODEL, GPU, **lengths, **slo)  # 2,000 requests per run
    # the goodput of the run length each row times (a coarser bracket for the long runs)
    rate = {n: ie.goodput(MODEL, GPU, **lengths, **slo, n_requests=n, rel_tol=0.05)["goodput_rps"]
            for n in (100_000, 10_000)}  # fmt: skip
    rows = []
    for policy in ("chunked_prefill", "prefill_first", "disaggregated"):
        wl = ie.poisson_workload(rate[100_000], 100_000, prompt, output)

        def run(w=wl, p=policy):
            return ie.simulate_serving(MODEL, GPU, w, policy=p, **slo)

        wall, cpu = _time(run, args.repeat)
        att = run().summary["slo_attainment"]
        target = "< 1 s" if policy == "chunked_prefill" else ""
        rows.append((f"simulate_serving, 100,000 requests, {policy}, {rate[100_000]:.1f} req/s "
                     f"({att:.0%} meet)", f"{wall:.3f} s", f"{cpu:.3f} s", target))  # fmt: skip
    wl = ie.poisson_workload(rate[10_000], 10_000, prompt, output)
    wall, cpu = _time(lambda: ie.simulate_serving(MODEL, GPU, wl, **slo), args.repeat)
    rows.append((f"simulate_serving, 10,000 requests (an explorer re-run), {rate[10_000]:.1f} "
                 "req/s", f"{wall * 1e3:.0f} ms", f"{cpu * 1e3:.0f} ms", "< 300 ms"))  # fmt: skip
    wall, cpu = _time(lambda: ie.goodput(MODEL, GPU, prompt_tokens=prompt, output_tokens=output,
                                         **slo), args.repeat)  # fmt: skip
    rows.append((f"goodput(), one SLO pair ({g['simulations']} simulations of 2,000 requests)",
                 f"{wall:.2f} s", f"{cpu:.2f} s", "< 5 s"))  # fmt: skip
    c = ie.IterationCost(MODEL, GPU)
    n = 200_000
    wall, cpu = _time(lambda: [c.iteration_s(128, 8256, 0, 64, 64_000) for _ in range(n)], 1)
    rows.append(("IterationCost.iteration_s, one mixed iteration", f"{wall / n * 1e6:.2f} us",
                 f"{cpu / n * 1e6:.2f} us", ""))  # fmt: skip
    print(f"\nGoodput simulator ({platform.machine()}, {platform.python_version()}; medians of "
          f"{args.repeat})")  # fmt: skip
    print(f"{'what':<92} {'wall':>10} {'cpu':>10}  target")
    for what, wall, cpu, target in rows:
        print(f"{what:<92} {wall:>10} {cpu:>10}  {target}")
    return rows


if __name__ == "__main__":
    main()
