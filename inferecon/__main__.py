"""Command line: ``python -m inferecon report | figures | check-data``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _schema_names() -> list[str]:
    from .datasets import DATASETS

    return sorted(DATASETS)


def check_data(files: list[Path], schema: str | None = None) -> int:
    """Validate the bundled data (no ``files``) or ``files``; print every problem.

    Returns 0 when everything validates, 1 when any file fails (every problem of every file is
    printed to stderr), 2 when a file's name selects no schema and ``schema`` is not given.
    """
    from .datasets import BUNDLED_FILES, DATASETS, DataValidationError, data_path, dataset_for_file

    unknown: list[str] = []
    if files:
        jobs = []
        for f in files:
            d = DATASETS[schema] if schema else dataset_for_file(f)
            if d is None:
                print(
                    f"{f}: its name selects no schema; pass --schema NAME, one of: "
                    f"{', '.join(_schema_names())}",
                    file=sys.stderr,
                )
                return 2
            jobs.append((str(f), d, f))
    else:
        jobs = [(name, d, None) for name, d in BUNDLED_FILES.items()]
        folder = data_path(next(iter(BUNDLED_FILES))).parent
        unknown = sorted(p.name for p in folder.glob("*.csv") if p.name not in BUNDLED_FILES)
        for name in unknown:
            print(f"{name}: FAILED: a bundled CSV with no entry in DATASETS", file=sys.stderr)
    failed = bool(unknown)
    for label, d, path in jobs:
        try:
            df = d.load(path)
        except DataValidationError as exc:
            print(f"{label}: FAILED ({d.name} schema)\n{exc}", file=sys.stderr)
            failed = True
        except (FileNotFoundError, IsADirectoryError) as exc:
            print(f"{label}: FAILED: {exc}", file=sys.stderr)
            failed = True
        else:
            print(f"{label}: {len(df)} rows ok ({d.name} schema)")
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m inferecon", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    rep = sub.add_parser("report", help="execute every notebook and write reports/ atomically")
    rep.add_argument("--out", type=Path, default=None, help="report folder (default reports/)")
    fig = sub.add_parser("figures", help="export the README's headline figures")
    fig.add_argument("--out", type=Path, default=Path("docs/figures"))
    chk = sub.add_parser(
        "check-data",
        help="validate every bundled data file, or the given files, each with its own schema",
        description=(
            "Without FILES: validate every bundled data file with its own schema. With FILES: "
            "validate each with the schema its file name selects (e.g. models.csv, "
            "sampling_counts.csv, Epoch AI's aa_data_with_math5.csv) or the one --schema names. "
            "Every problem is printed; the exit status is 1 if any file fails."
        ),
    )
    chk.add_argument("files", nargs="*", type=Path, help="CSV files (a folder for epoch_prices)")
    chk.add_argument(
        "--schema",
        metavar="NAME",
        default=None,
        help="schema for every FILE, one of: %(choices)s",
        choices=_schema_names(),
    )
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
        return check_data(args.files, args.schema)
    return 2  # pragma: no cover


if __name__ == "__main__":
    sys.exit(main())
