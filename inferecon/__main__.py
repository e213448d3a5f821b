"""Command line: ``python -m inferecon report | figures | check-data``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m inferecon", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    rep = sub.add_parser("report", help="execute every notebook and write reports/ atomically")
    rep.add_argument("--out", type=Path, default=None, help="report folder (default reports/)")
    fig = sub.add_parser("figures", help="export the README's headline figures")
    fig.add_argument("--out", type=Path, default=Path("docs/figures"))
    chk = sub.add_parser("check-data", help="validate the bundled data (or given files)")
    chk.add_argument("files", nargs="*", type=Path)
    args = parser.parse_args(argv)

    if args.command == "report":
        from .report import ReportError, build_report

        try:
            build_report(out=args.out)
        except ReportError as exc:
            print(f"[report] FAILED: {exc}", file=sys.stderr)
            return 1
        return 0
    if args.command == "figures":
        from .report import export_readme_figures

        for p in export_readme_figures(args.out):
            print(p)
        return 0
    if args.command == "check-data":
        from .datasets import (
            DataValidationError,
            load_prices,
            load_published_rates,
            load_reasoning_tokens,
            load_test_time_results,
        )

        try:
            if args.files:
                for f in args.files:
                    load_prices(f)
                    print(f"{f}: ok")
            else:
                print(f"llm_prices.csv: {len(load_prices())} rows ok")
                print(f"published_rates.csv: {len(load_published_rates())} rows ok")
                print(f"reasoning_tokens.csv: {len(load_reasoning_tokens())} rows ok")
                print(f"test_time_results.csv: {len(load_test_time_results())} rows ok")
        except DataValidationError as exc:
            print(exc, file=sys.stderr)
            return 1
        return 0
    return 2  # pragma: no cover


if __name__ == "__main__":
    sys.exit(main())
