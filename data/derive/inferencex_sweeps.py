"""Rebuild ``data/moe_serving_sweeps.csv`` from the InferenceX web app's benchmark records.

Source: SemiAnalysis InferenceX (formerly InferenceMAX) results as the InferenceX web app serves
them, in the app's test snapshot ``packages/app/cypress/fixtures/api/benchmarks.json`` of
``SemiAnalysisAI/InferenceX-app`` at commit 3a600f1d9ce155536d52e2f58f744f27a301aac9 (a list of
records: ``hardware``, ``framework``, ``model``, ``precision``, ``spec_method``, ``disagg``,
``is_multinode``, ``decode_tp``, ``decode_ep``, ``decode_dp_attention``, ``isl``, ``osl``,
``conc``, ``metrics``, ``date``, ``run_url``). The numbers are measurements cited as facts, each
row with the GitHub Actions run that produced it; no file or code of that repository is shipped
(``data/README.md``, section ``moe_serving_sweeps.csv``).

What is kept, deterministically:

- single-node aggregated serving only (``disagg`` and ``is_multinode`` false), fixed prompt and
  output lengths, the models ``dsr1`` (DeepSeek-R1, the DeepSeek-V3 architecture) and ``gptoss``
  (gpt-oss-120b), on GPUs ``data/gpus.csv`` lists (what :func:`inferecon.read_inferencemax_results`
  keeps);
- one record per configuration and load level (the key of
  :data:`inferecon.MOE_SERVING_SWEEPS_SCHEMA`): the latest ``date``, and among records of the same
  date the first in file order;
- the median per-user speed (``median_intvty``), InferenceX's charts' statistic.

Rows are sorted by model, GPU, precision, engine, parallelism, shape and concurrency. Run from the
repository root::

    python data/derive/inferencex_sweeps.py path/to/benchmarks.json data/moe_serving_sweeps.csv
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import inferecon as ie

APP_COMMIT = "3a600f1d9ce155536d52e2f58f744f27a301aac9"
MODELS = ("dsr1", "gptoss")


def _key(r: dict) -> tuple:
    return tuple(
        str(r.get(k))
        for k in (
            "model", "hardware", "precision", "framework", "decode_tp", "decode_ep",
            "decode_dp_attention", "spec_method", "isl", "osl", "conc",
        )
    )  # fmt: skip


def latest_records(records: list[dict]) -> list[dict]:
    """The records of :data:`MODELS`, one per key: the latest date, first in file order."""
    best: dict[tuple, dict] = {}
    for r in records:
        if str(r.get("model", "")).lower() not in MODELS:
            continue
        k = _key(r)
        if k not in best or str(r.get("date", "")) > str(best[k].get("date", "")):
            best[k] = r
    return list(best.values())


def derive(fixture: Path, out: Path) -> int:
    """Write ``out`` from the app's records in ``fixture``; the number of rows written."""
    records = latest_records(json.loads(Path(fixture).read_text()))
    with tempfile.TemporaryDirectory() as tmp:
        kept = Path(tmp) / "records.json"
        kept.write_text(json.dumps(records))
        df = ie.read_inferencemax_results(kept)
    order = list(ie.MOE_SERVING_SWEEPS_SCHEMA.key)
    df = df.sort_values(order, kind="mergesort").reset_index(drop=True)
    df["dp_attention"] = df["dp_attention"].map({True: "true", False: "false"})  # the data's form
    tmp_out = Path(out).with_suffix(".csv.tmp")
    df.to_csv(tmp_out, index=False, lineterminator="\n")
    tmp_out.replace(out)
    return len(df)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python data/derive/inferencex_sweeps.py BENCHMARKS_JSON OUT_CSV")
    n = derive(Path(sys.argv[1]), Path(sys.argv[2]))
    print(f"wrote {n} rows to {sys.argv[2]}")
