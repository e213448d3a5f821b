"""Rebuild ``data/operator_timings.csv`` and ``data/collective_timings.csv`` from Vidur's profiles.

Source: Microsoft's Vidur simulator (MIT), commit 7d47513363ec447a741ac5e47241580b47724fbf,
folder ``data/profiling/`` (a subset is kept at ``../shared/reference/vidur-profiling``; see its
PROVENANCE.md). The derivation is deterministic: the same upstream folder gives the same bytes.

What is derived (data/README.md, sections ``operator_timings.csv`` and
``collective_timings.csv``, says the same):

- upstream column names are renamed (``num_tokens`` -> ``tokens``,
  ``num_tensor_parallel_workers`` -> ``tensor_parallel``, ``size`` -> ``size_bytes``,
  ``num_workers`` -> ``n_gpus``), operators renamed (``attn_pre_proj`` -> ``qkv``, ...);
- a (tokens, tensor-parallel) point or a (collective, GPUs, GPUs per node, size) point that
  upstream measured twice keeps its first measurement in upstream file order;
- the token grid of the linear operators is thinned to 16 points per octave (every token count
  up to 128, then multiples of 2**floor(log2 tokens) / 16), the element-wise operators to powers
  of two, and collective sizes to the first measured size in each 1/32 octave of bytes
  (plus the largest);
- ``h100_pairwise_nvlink/send_recv.csv``, a byte-for-byte copy of
  ``a100_pairwise_nvlink/send_recv.csv`` upstream, is left out (see ``COPIES``);
- medians and standard deviations are rounded to 4 decimals of a millisecond (0.1 us; upstream
  timings have 1 us resolution, medians of an even count end in 0.5 us), minima to 3.

Run from the repository root::

    python data/derive/vidur_profiles.py ../shared/reference/vidur-profiling data
"""

from __future__ import annotations

import csv
import io
import math
import sys
from pathlib import Path

import pandas as pd

UPSTREAM_COMMIT = "7d47513363ec447a741ac5e47241580b47724fbf"

GPU_NAMES = {"a100": "A100-80GB-SXM", "h100": "H100-SXM", "a40": "A40"}
"""Vidur's device SKU -> the ``name`` of ``data/gpus.csv`` (Vidur profiles 80 GB parts)."""

LINEAR_OPERATORS = {
    "attn_pre_proj": "qkv",
    "attn_post_proj": "attn_out",
    "mlp_up_proj": "mlp_up",
    "mlp_down_proj": "mlp_down",
}
ELEMENTWISE_OPERATORS = {
    "input_layernorm": "attn_norm",
    "attn_rope": "rope",
    "post_attention_layernorm": "mlp_norm",
    "mlp_act": "act",
    "add": "add",
}

NODES = {
    # node folder: (gpu, intra-node link)
    "a100_dgx": ("A100-80GB-SXM", "NVLink3 NVSwitch"),
    "h100_dgx": ("H100-SXM", "NVLink4 NVSwitch"),
    "a100_pairwise_nvlink": ("A100-80GB-SXM", "NVLink3 pairs"),
    "h100_pairwise_nvlink": ("H100-SXM", "NVLink4 pairs"),
    "a40_pairwise_nvlink": ("A40", "NVLink3 bridge pairs"),
}

COPIES = {"h100_pairwise_nvlink/send_recv.csv": "a100_pairwise_nvlink/send_recv.csv"}
"""Upstream network files that are byte-for-byte copies of another node's file (so not a
measurement of their own node): skipped while they stay identical to the file named here."""

OPERATOR_COLUMNS = [
    "gpu", "model", "n_embd", "n_head", "n_kv_head", "n_expanded_embd", "use_gated_mlp",
    "tensor_parallel", "tokens", "operator", "median_ms", "min_ms", "std_ms",
]  # fmt: skip
COLLECTIVE_COLUMNS = [
    "node", "gpu", "interconnect", "collective", "n_gpus", "gpus_per_node", "size_bytes",
    "median_ms", "min_ms", "std_ms",
]  # fmt: skip

TOKENS_PER_OCTAVE = 16
BYTES_BINS_PER_OCTAVE = 32


def keep_tokens_linear(tokens: int) -> bool:
    """Thinned grid of the linear operators: all counts up to 128, then 16 per octave."""
    if tokens <= 128:
        return True
    step = (1 << (tokens.bit_length() - 1)) // TOKENS_PER_OCTAVE
    return tokens % step == 0


def keep_tokens_elementwise(tokens: int) -> bool:
    """Element-wise operators: powers of two only (their time is a floor plus a slope)."""
    return tokens & (tokens - 1) == 0


def _fmt(x: float, decimals: int) -> str:
    text = f"{round(float(x), decimals):.{decimals}f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def operator_rows(upstream: Path) -> list[list[str]]:
    """One row per (gpu, model, operator, tensor_parallel, tokens), sorted."""
    rows = []
    for path in sorted((upstream / "compute").glob("*/*/*/mlp.csv")):
        sku, _org, model = path.parts[-4:-1]
        df = pd.read_csv(path).drop_duplicates(["num_tokens", "num_tensor_parallel_workers"])
        for upstream_op, op in {**LINEAR_OPERATORS, **ELEMENTWISE_OPERATORS}.items():
            if f"time_stats.{upstream_op}.median" not in df.columns:
                continue  # phi-2 has no post-attention norm (parallel attention and MLP)
            linear = upstream_op in LINEAR_OPERATORS
            keep = keep_tokens_linear if linear else keep_tokens_elementwise
            for _, r in df.iterrows():
                tokens = int(r["num_tokens"])
                if not keep(tokens):
                    continue
                stat = f"time_stats.{upstream_op}."
                rows.append([
                    GPU_NAMES[sku], model, str(int(r["n_embd"])), str(int(r["n_head"])),
                    str(int(r["n_kv_head"])), str(int(r["n_expanded_embd"])),
                    "true" if str(r["use_gated_mlp"]).lower() == "true" else "false",
                    str(int(r["num_tensor_parallel_workers"])), str(tokens), op,
                    _fmt(r[stat + "median"], 4), _fmt(r[stat + "min"], 3),
                    _fmt(r[stat + "std"], 4),
                ])  # fmt: skip
    order = list(LINEAR_OPERATORS.values()) + list(ELEMENTWISE_OPERATORS.values())
    rows.sort(key=lambda r: (r[0], r[1], order.index(r[9]), int(r[7]), int(r[8])))
    return rows


def collective_rows(upstream: Path) -> list[list[str]]:
    """Collective timings thinned to 32 sizes per octave, sorted."""
    rows = []
    for path in sorted((upstream / "network").glob("*/*.csv")):
        node = path.parent.name
        original = COPIES.get(f"{node}/{path.name}")
        if original and path.read_bytes() == (upstream / "network" / original).read_bytes():
            continue
        gpu, link = NODES[node]
        df = pd.read_csv(path).drop_duplicates(
            ["collective", "num_workers", "devices_per_node", "size"]
        )
        for (coll, n, per_node), g in df.groupby(
            ["collective", "num_workers", "devices_per_node"], sort=True
        ):
            g = g.sort_values("size", kind="stable")
            sizes = g["size"].to_numpy()
            bins = [math.floor(BYTES_BINS_PER_OCTAVE * math.log2(s)) for s in sizes]
            keep = [i == 0 or bins[i] != bins[i - 1] for i in range(len(sizes))]
            keep[-1] = True
            stat = f"time_stats.{coll}."
            for k, (_, r) in zip(keep, g.iterrows(), strict=True):
                if not k:
                    continue
                rows.append([
                    node, gpu, link, coll, str(int(n)), str(int(per_node)), str(int(r["size"])),
                    _fmt(r[stat + "median"], 4), _fmt(r[stat + "min"], 3),
                    _fmt(r[stat + "std"], 4),
                ])  # fmt: skip
    rows.sort(key=lambda r: (r[0], r[3], int(r[4]), int(r[5]), int(r[6])))
    return rows


def _csv_text(header: list[str], rows: list[list[str]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def derive(upstream: str | Path) -> dict[str, str]:
    """The two files' text, by file name, from Vidur's ``data/profiling`` folder.

    Parameters
    ----------
    upstream : str or Path
        The folder holding ``compute/`` and ``network/`` (e.g.
        ``../shared/reference/vidur-profiling``).

    Returns
    -------
    dict of str to str
        ``{"operator_timings.csv": ..., "collective_timings.csv": ...}``.
    """
    up = Path(upstream)
    return {
        "operator_timings.csv": _csv_text(OPERATOR_COLUMNS, operator_rows(up)),
        "collective_timings.csv": _csv_text(COLLECTIVE_COLUMNS, collective_rows(up)),
    }


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[-1].strip(), file=sys.stderr)
        return 2
    out = Path(argv[2])
    for name, text in derive(argv[1]).items():
        (out / name).write_text(text, encoding="utf-8")
        print(f"wrote {out / name}: {text.count(chr(10)) - 1} rows, {len(text)} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
