"""Price-decline benchmark (issue 19), printed as tables. Tables, not assertions.

1. The Monte Carlo of ``decompose_price_decline`` between the AI Index's endpoints (GPT-3.5,
   Nov 2022 -> Gemini 1.5 Flash-8B, Oct 2024) at 1,000, 10,000 and 100,000 draws: first call,
   median and p95 of repeats (target: 10,000 draws well under a second), with the machine and
   its load average.
2. The decomposition those draws give: each factor's median fold and 90% interval, and its share
   of the log price ratio; the one-at-a-time orders beside the Shapley split; cost and price /
   cost at each end.
3. The central estimate (``central=True``, what the explorer's drags use): a first call and
   repeats with a changed GPU-hour price (the serving model's results are kept).
4. Three frontier pairs of notebook 07 (MMLU >= 64.8, a16z's >= 42, >= 83): each factor's
   geometric-mean fold and share; and the forward look's out-of-sample checks against the
   frontier prices after each pair's end (to mid 2025).

Run: ``python benchmarks/decline_bench.py [--repeat 7] [--draws 10000]``.
"""

from __future__ import annotations

import argparse
import dataclasses
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
    print()

    ie.scenario_costs._tokens_per_s.cache_clear()
    ie.scenario_costs._capacity.cache_clear()
    first, _, _ = _time(lambda: ie.decompose_price_decline(start, end, central=True), 1)
    prices_h = iter(np.linspace(1.5, 3.5, 1000))

    def moved():
        s2 = dataclasses.replace(start, usd_per_gpu_hour=(next(prices_h),) * 2)
        return ie.decompose_price_decline(s2, end, central=True)

    _, med, p95 = _time(moved, max(args.repeat, 20))
    print(f"central estimate: first call {first:.1f} ms; a GPU-hour price moved: median "
          f"{med:.1f} ms, p95 {p95:.1f} ms")  # fmt: skip
    print()

    prices, scenarios, engines = tables[2], tables[0], tables[1]
    a16z = ie.cheapest_frontier(prices, "mmlu", 42)
    hard = ie.cheapest_frontier(prices, "mmlu", 83)
    gpt35 = ie.cheapest_frontier(prices, "mmlu", 64.8)
    pairs = {
        "MMLU >= 64.8: GPT-3.5 -> Gemini 1.5 Flash-8B": (gpt35, "GPT-3.5 (text-davinci-003)",
                                                          "Gemini 1.5 Flash-8B"),
        "MMLU >= 42: GPT-3 davinci -> Llama 3.2 3B": (a16z, a16z.iloc[0],
                                                      "Llama 3.2 3B Instruct (hosted)"),
        "MMLU >= 83: GPT-4 -> Llama 3.1 70B": (hard, "GPT-4 (0314)",
                                               "Llama 3.1 70B Instruct (hosted)"),
    }  # fmt: skip
    hw = ie.fit_hardware_trend(
        ie.select_accelerators(ie.load_accelerators(), segments=["datacenter"]),
        "price_performance", "bf16",
    )  # fmt: skip
    splits, looks = {}, {}
    for label, (fr, a, b) in pairs.items():
        s, e = ie.frontier_scenarios(fr, a, b, prices, scenarios, engines,
                                     params_active=ie.ASSUMED_PARAMS_ACTIVE)  # fmt: skip
        splits[label] = ie.decompose_price_decline(s, e, draws=args.draws, seed=0)
        looks[label] = ie.forward_look(
            splits[label], s, e, fr, hw, engines, prices["price_date"].max(),
            sizes=ie.frontier_known_sizes(fr, scenarios), draws=args.draws,
        )  # fmt: skip
    print("frontier pairs: geometric-mean fold and share of the log price ratio")
    print(ie.decline_pairs_table(splits).round(2).to_string())
    print()
    print("forward look: rates per year carried past each end, checked on later frontier prices")
    cols = ["pair", "kind", "date", "model", "observed_usd_per_mtok", "predicted_median",
            "predicted_low", "predicted_high", "inside", "total_per_year"]  # fmt: skip
    print(ie.forward_checks_table(looks)[cols].round(4).to_string(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
