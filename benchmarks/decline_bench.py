"""Price-decline benchmark (issue 19), printed as tables. Tables, not assertions.

1. The Monte Carlo of ``decompose_price_decline`` between the AI Index's endpoints (GPT-3.5,
   Nov 2022 -> Gemini 1.5 Flash-8B, Oct 2024) at 1,000, 10,000 and 100,000 draws: first call,
   median and p95 of repeats (target: 10,000 draws well under a second), with the machine and
   its load average.
2. The decomposition those draws give: each factor's median fold and 90% interval, and its share
   of the log price ratio; the one-at-a-time orders beside the Shapley split; cost and price /
   cost at each end.

Run: ``python benchmarks/decline_bench.py [--repeat 7] [--draws 10000]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import timeit

import numpy as np
import pandas as pd

import inferecon as ie


def _time(fn, repeat: int) -> tuple[float, float, float]:
    """(first, median, p95) of ``repeat`` calls, in ms."""
    ms = np.array(timeit.repeat(fn, number=1, repeat=repeat)) * 1e3
    return float(ms[0]), float(np.median(ms)), float(np.percentile(ms, 95))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--draws", type=int, default=10_000, help="draws of the reported split")
    args = ap.parse_args(argv)

    tables = ie.load_serving_scenarios(), ie.load_engine_profiles(), ie.load_prices()
    start = ie.serving_scenario("ai-index-2022", *tables)
    end = ie.serving_scenario("ai-index-2024", *tables)

    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.processor() or '?'}")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print()
    print(f"{'decompose_price_decline (AI Index endpoints)':<50} {'first':>9} {'median':>9} "
          f"{'p95':>9}  ms")  # fmt: skip
    for n in (1_000, 10_000, 100_000):
        first, med, p95 = _time(
            lambda n=n: ie.decompose_price_decline(start, end, draws=n, seed=0), args.repeat
        )
        print(f"{f'{n:,} draws':<50} {first:>9.1f} {med:>9.1f} {p95:>9.1f}")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print()

    r = ie.decompose_price_decline(start, end, draws=args.draws, seed=0)
    pd.set_option("display.width", 160)
    print(f"observed fall of the list price (3:1 mix): {r.price_ratio:.1f}x "
          f"({args.draws:,} draws, seed 0; median [5th, 95th percentile])")  # fmt: skip
    s = r.summary.set_index("factor")
    for f, row in s.iterrows():
        fold = f"{row['fold_median']:>8.2f}x [{row['fold_low']:.2f}, {row['fold_high']:.2f}]"
        share = f"{row['share_median']:+.2f} [{row['share_low']:+.2f}, {row['share_high']:+.2f}]"
        print(f"  {f:<9} {fold}   share of log ratio {share}")
    print()
    print("one at a time (median fold per factor, by order):")
    wide = r.orders.pivot(index="order", columns="factor", values="fold_median")
    print(wide[list(ie.DECLINE_FACTORS)].round(2).to_string())
    print()
    print("ends (USD per million prompt + output tokens; margin = list price / cost):")
    print(r.endpoints.round(4).to_string(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
