"""Speed benchmarks, printed as tables (``make bench``). Tables, not assertions.

1. Explorer update latency: for every explorer and every control, sweep the control over
   evenly spaced values; time ``control.value = v``, which recomputes, updates the artists and
   redraws the Agg canvas before returning (a blit of the changed artists, or a full draw when
   limits change). Compare with re-creating the same figure from scratch for each value
   (``Explorer(**state)``, which builds and fully draws it). Median and p95.
2. Wall time of the report build (every notebook executed, HTML and figures written).

Targets (issue 2, on the project's 2-core machine): p95 update under 100 ms and at least 3x
faster than re-creating.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import ipywidgets as widgets  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import inferecon as ie  # noqa: E402
from inferecon.viz import explorers  # noqa: E402


def _sweep_values(w, n: int):
    if isinstance(w, widgets.SelectionRangeSlider):
        k = len(w.options)
        return [
            ("index", (i, min(k - 1, i + k // 2))) for i in np.linspace(0, k - 1, n).astype(int)
        ]
    if isinstance(w, widgets.Checkbox):
        return [("value", bool(i % 2)) for i in range(n)]
    if hasattr(w, "options"):
        opts = [o[1] if isinstance(o, tuple) else o for o in w.options]
        return [("value", opts[i % len(opts)]) for i in range(n)]
    return [("value", float(v)) for v in np.linspace(w.min, w.max, n)]


def _pct(xs, q):
    return float(np.percentile(np.asarray(xs), q))


def bench_explorer(name: str, cls, n: int) -> list[dict]:
    rows = []
    ex = cls()
    for cname, w in list(ex.controls.items()):
        update_ms, recreate_ms = [], []
        for attr, v in _sweep_values(w, n):
            t0 = time.perf_counter()
            setattr(w, attr, v)  # the update redraws the canvas (blit or full) before returning
            update_ms.append((time.perf_counter() - t0) * 1e3)
            state = ex.state()
            t0 = time.perf_counter()
            fresh = cls(**state)  # builds the figure and draws it in full
            recreate_ms.append((time.perf_counter() - t0) * 1e3)
            plt.close(fresh.fig)
        ex.reset()
        rows.append(
            {
                "explorer": name,
                "control": cname,
                "n": len(update_ms),
                "update_median_ms": statistics.median(update_ms),
                "update_p95_ms": _pct(update_ms, 95),
                "recreate_median_ms": statistics.median(recreate_ms),
                "speedup": statistics.median(recreate_ms) / statistics.median(update_ms),
            }
        )
    plt.close(ex.fig)
    return rows


def bench_report() -> float:
    from inferecon.report import build_report

    root = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        build_report(root, Path(tmp) / "reports", log=lambda *_: None)
        return time.perf_counter() - t0


def _table(rows: list[dict]) -> str:
    head = (
        "explorer",
        "control",
        "n",
        "update median ms",
        "update p95 ms",
        "re-create median ms",
        "speed-up",
    )
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        lines.append(
            f"| {r['explorer']} | {r['control']} | {r['n']} | {r['update_median_ms']:.1f} | "
            f"{r['update_p95_ms']:.1f} | {r['recreate_median_ms']:.1f} | {r['speedup']:.1f}x |"
        )
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=20, help="values per control sweep")
    ap.add_argument("--no-report", action="store_true", help="skip the report wall time")
    args = ap.parse_args(argv)
    print(
        f"inferecon {ie.__version__} | Python {platform.python_version()} | "
        f"{platform.machine()} | {os.cpu_count()} cores | matplotlib {matplotlib.__version__}"
    )
    rows = []
    for name, cls in explorers().items():
        rows += bench_explorer(name, cls, args.n)
    print("\nExplorer update latency (control change -> drawn Agg canvas)\n")
    print(_table(rows))
    worst = max(r["update_p95_ms"] for r in rows)
    least = min(r["speedup"] for r in rows)
    print(
        f"\nworst p95 {worst:.1f} ms (target < 100 ms); "
        f"smallest speed-up {least:.1f}x (target >= 3x)"
    )
    if not args.no_report:
        print(f"\nReport build (make report's notebook step): {bench_report():.1f} s wall")
    return 0


if __name__ == "__main__":
    sys.exit(main())
