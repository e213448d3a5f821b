"""Measured serving sweeps of mixture-of-experts models (speed per user against throughput per
GPU, one row per load level), in the shape of SemiAnalysis InferenceMAX's results: a user's CSV
(:func:`load_moe_serving_sweeps`), InferenceMAX's own aggregate JSON
(:func:`read_inferencemax_results`) and the closed-loop MoE rows the package ships in
``published_serving_sweeps.csv`` (:func:`published_moe_sweeps`).

The bundled ``moe_serving_sweeps.csv`` holds InferenceX's single-node DeepSeek-R1 sweeps
(H200, B200, MI300X), numbers cited as facts with the run that measured each
(``data/README.md``, "moe_serving_sweeps.csv"). :func:`inferecon.check_frontier` compares any
of these frames with :func:`inferecon.throughput_frontier`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

from .validation import (
    Column,
    DataValidationError,
    Problem,
    Schema,
    _load,
    _pos,
    validate_frame,
)

__all__ = [
    "MOE_SERVING_SWEEPS_SCHEMA",
    "SWEEP_MODEL_ALIASES",
    "load_moe_serving_sweeps",
    "published_moe_sweeps",
    "read_inferencemax_results",
    "sweep_model_name",
]

SWEEP_MODEL_ALIASES = {
    "deepseek-r1": "DeepSeek-V3",
    "dsr1": "DeepSeek-V3",
    "gptoss": "gpt-oss-120b",
}
"""Model names benchmarks use that ``data/models.csv`` does not list, by lower-case prefix, and
the row they stand for. DeepSeek-R1 (and its 0528 update, InferenceMAX's ``dsr1``) has the
DeepSeek-V3 architecture (DeepSeek-R1's ``config.json``: ``DeepseekV3ForCausalLM``, the same
shapes); ``gptoss`` is InferenceMAX's prefix for gpt-oss-120b."""


def sweep_model_name(name: str) -> str:
    """The ``data/models.csv`` name a benchmark's model name stands for.

    Tries :func:`inferecon.match_model` first (``openai/gpt-oss-120b``), then the prefixes of
    :data:`SWEEP_MODEL_ALIASES` (``deepseek-ai/DeepSeek-R1-0528`` and ``dsr1`` -> DeepSeek-V3).

    Parameters
    ----------
    name : str
        The model as the benchmark names it (a Hugging Face id, a short prefix).

    Returns
    -------
    str
        A ``name`` of ``data/models.csv``.

    Raises
    ------
    ValueError
        When neither resolves the name.
    """
    from ..specs import match_model  # specs reads models.csv through this package: import late

    try:
        return match_model(name).name
    except ValueError:
        pass
    key = str(name).strip().lower().rsplit("/", 1)[-1]
    for prefix, model in SWEEP_MODEL_ALIASES.items():
        if key.startswith(prefix):
            return model
    raise ValueError(
        f"model {name!r} is neither in data/models.csv nor an alias of one "
        f"({', '.join(SWEEP_MODEL_ALIASES)})"
    )


def _check_sweeps(df: pd.DataFrame, fname: str) -> list[Problem]:
    """Every model and GPU resolves to a row of the package's tables."""
    from .profiles import _gpu_problems

    problems = _gpu_problems(df, fname)
    known: dict[str, bool] = {}
    for i, name in enumerate(df["model"]):
        if name not in known:
            try:
                sweep_model_name(name)
                known[name] = True
            except ValueError:
                known[name] = False
        if not known[name]:
            problems.append(
                Problem(fname, i + 2, "model", f"{name!r} names no model of data/models.csv")
            )
    return problems


_OPTIONAL = ("engine", "expert_parallel", "dp_attention", "spec_decoding", "source_url")

MOE_SERVING_SWEEPS_SCHEMA = Schema(
    name="moe_serving_sweeps",
    columns=(
        Column("model", "str", description="as the benchmark names it (sweep_model_name)"),
        Column("gpu", "str", description="a name data/gpus.csv resolves (inferecon.match_gpu)"),
        Column("precision", "str", choices=("bf16", "fp8", "fp4"), lowercase=True),
        Column("engine", "str", nullable=True, description="serving engine (trt, sglang, vllm)"),
        Column("tensor_parallel", "int", "GPUs", low=1.0, high=72.0),
        Column("expert_parallel", "int", "GPUs", nullable=True, low=1.0, high=72.0),
        Column("dp_attention", "bool", nullable=True, description="data-parallel attention"),
        Column(
            "spec_decoding",
            "str",
            nullable=True,
            lowercase=True,
            description="speculative decoding (none, mtp, eagle); empty = none",
        ),
        Column("prompt_tokens", "int", "tokens", low=1.0, description="nominal prompt length"),
        Column("output_tokens", "int", "tokens", low=1.0, description="nominal output length"),
        Column("concurrency", "int", "requests", low=1.0, description="closed-loop requests"),
        _pos("tokens_per_s_per_user", "tokens/s", description="1 / TPOT (median over requests)"),
        _pos("tokens_per_s_per_gpu", "tokens/s per GPU", description="output tokens"),
        _pos("total_tokens_per_s_per_gpu", "tokens/s per GPU", description="prompt + output"),
        Column("source_url", "str", nullable=True),
    ),
    key=(
        "model",
        "gpu",
        "precision",
        "engine",
        "tensor_parallel",
        "expert_parallel",
        "dp_attention",
        "spec_decoding",
        "prompt_tokens",
        "output_tokens",
        "concurrency",
    ),  # fmt: skip
    optional=frozenset(_OPTIONAL),
    row_checks=(("tokens_per_s_per_gpu", "total_tokens_per_s_per_gpu"),),
    frame_check=_check_sweeps,
)
"""One load level of one configuration per row (a closed-loop benchmark: ``concurrency``
requests in flight). Throughputs count every GPU of the deployment."""


def load_moe_serving_sweeps(path: str | Path | None = None) -> pd.DataFrame:
    """Measured MoE serving sweeps, validated: the bundled InferenceX ones, or your own.

    The bundled ``data/moe_serving_sweeps.csv`` holds SemiAnalysis InferenceX's single-node
    DeepSeek-R1 sweeps on H200, B200 and MI300X (fp8 and fp4; 1k/1k, 1k/8k and 8k/1k; SGLang
    and TensorRT-LLM; with and without multi-token prediction), one row per configuration
    and concurrency, each with the GitHub Actions run that measured it (numbers cited as
    facts; ``data/README.md``, derived by ``data/derive/inferencex_sweeps.py``).

    Parameters
    ----------
    path : str or Path, optional
        The bundled file when omitted; else a CSV with the columns of
        :data:`MOE_SERVING_SWEEPS_SCHEMA`: ``model``, ``gpu``,
        ``precision`` (bf16, fp8, fp4), ``tensor_parallel``, ``prompt_tokens``,
        ``output_tokens``, ``concurrency``, ``tokens_per_s_per_user`` (1 / TPOT, tokens/s),
        ``tokens_per_s_per_gpu`` (output) and ``total_tokens_per_s_per_gpu`` (prompt plus
        output, how InferenceMAX counts), both in tokens/s per GPU; optionally ``engine``,
        ``expert_parallel``, ``dp_attention``, ``spec_decoding`` and ``source_url``.

    Returns
    -------
    pandas.DataFrame
        One typed row per load level of a configuration.

    Raises
    ------
    DataValidationError
        Listing every problem: missing columns, non-numbers, non-positive throughputs or
        speeds, an unknown precision, GPU or model, output above total throughput, duplicated
        (configuration, shape, concurrency).
    FileNotFoundError
        When ``path`` does not exist.
    """
    return _load(path, "moe_serving_sweeps.csv", MOE_SERVING_SWEEPS_SCHEMA)


_GPU_RE = re.compile(r"^([a-z]+\d+[a-z]*)")


def _text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


_APP_FIELDS = {
    "hw": "hardware", "infmax_model_prefix": "model", "framework": "framework",
    "precision": "precision", "spec_decoding": "spec_method", "disagg": "disagg",
    "is_multinode": "is_multinode", "isl": "isl", "osl": "osl", "conc": "conc",
    "tp": "decode_tp", "ep": "decode_ep", "dp_attention": "decode_dp_attention",
    "source_url": "run_url",
}  # fmt: skip
"""InferenceMAX aggregate field -> the InferenceX web app record's field (its decode pool's
parallelism; the run's URL as the source)."""


def _agg_record(r: dict) -> dict:
    """An InferenceX web app record (``hardware``, ``decode_tp``, nested ``metrics``: the
    app's ``/api/benchmarks`` rows) in the fields of InferenceMAX's ``agg_bmk.json``; an
    aggregate record unchanged."""
    if "hardware" not in r or not isinstance(r.get("metrics"), dict):
        return r
    return {**r["metrics"], **{agg: r.get(app) for agg, app in _APP_FIELDS.items()}}


def read_inferencemax_results(path: str | Path, statistic: str = "median") -> pd.DataFrame:
    """SemiAnalysis InferenceMAX's (now InferenceX's) results as MoE sweeps.

    Reads the JSON its ``utils/process_result.py`` writes and its ``collect-results`` workflow
    gathers (``agg_bmk.json``; a list of records, or one record): ``hw``,
    ``infmax_model_prefix`` (or ``model``), ``framework``, ``precision``, ``isl``, ``osl``,
    ``conc``, ``tp``, ``ep``, ``dp_attention``, ``spec_decoding``, ``tput_per_gpu`` (prompt plus
    output tokens/s per GPU), ``output_tput_per_gpu`` and ``<statistic>_intvty`` (1 / TPOT). It
    also reads the InferenceX web app's records (``hardware``, ``model``, ``spec_method``,
    ``decode_tp``, ``decode_ep``, ``decode_dp_attention``, the metrics nested under
    ``metrics``, ``run_url``), the form of its ``/api/benchmarks`` answers. Single-node records
    only; multi-node (disaggregated) records, records without ``isl``/``osl`` (agentic traces)
    and GPUs ``data/gpus.csv`` lacks (``hw`` is read up to its first digits and letters:
    ``b200-nb_1`` -> ``b200``) are left out and listed in ``attrs["left_out"]``.

    Parameters
    ----------
    path : str or Path
        ``agg_bmk.json`` (the ``results_bmk`` artifact of an InferenceMAX run), one
        ``agg_*.json``, or a list of the web app's records.
    statistic : str
        Which per-user speed: ``median`` (InferenceMAX's charts) or ``mean``.

    Returns
    -------
    pandas.DataFrame
        In the schema of :data:`MOE_SERVING_SWEEPS_SCHEMA`, ``source_url`` the record's
        ``run_url`` or ``source_url`` (empty when it has neither); the records left out in
        ``attrs["left_out"]``, a list of dicts (``hw``, ``model``, ``reason``).

    Raises
    ------
    DataValidationError
        Listing every problem of the records kept (line n is the (n - 1)-th record kept), or
        one problem when the file is not JSON.
    FileNotFoundError
        When ``path`` does not exist.
    """
    from ..specs import match_gpu

    if statistic not in ("median", "mean"):
        raise ValueError(f"statistic must be 'median' or 'mean'; got {statistic!r}")
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"InferenceMAX results file not found: {p}")
    try:
        records = json.loads(p.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        problem = Problem(str(p), None, None, f"not readable JSON: {exc}")
        raise DataValidationError([problem]) from exc
    if isinstance(records, dict):
        records = [records]
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise DataValidationError([Problem(str(p), None, None, "not a list of JSON records")])
    rows, left_out = [], []
    for r in map(_agg_record, records):
        hw = str(r.get("hw", "")).lower()
        m = _GPU_RE.match(hw)
        reason = None
        if r.get("is_multinode") or r.get("disagg"):
            reason = "multi-node or disaggregated"
        elif r.get("isl") is None or r.get("osl") is None:
            reason = "no fixed prompt/output lengths (agentic trace)"
        elif m is None:
            reason = "hw names no GPU"
        else:
            try:
                match_gpu(m.group(1))
            except ValueError:
                reason = "GPU not in data/gpus.csv"
        if reason:
            left_out.append({"hw": hw, "model": r.get("infmax_model_prefix"), "reason": reason})
            continue
        spec = r.get("spec_decoding")
        rows.append(
            {
                "model": _text(r.get("infmax_model_prefix") or r.get("model")),
                "gpu": m.group(1),
                "precision": _text(r.get("precision")),
                "engine": _text(r.get("framework")),
                "tensor_parallel": _text(r.get("tp")),
                "expert_parallel": _text(r.get("ep")),
                "dp_attention": _text(r.get("dp_attention")),
                "spec_decoding": _text(spec if spec is not None else "none"),
                "prompt_tokens": _text(r.get("isl")),
                "output_tokens": _text(r.get("osl")),
                "concurrency": _text(r.get("conc")),
                "tokens_per_s_per_user": _text(r.get(f"{statistic}_intvty")),
                "tokens_per_s_per_gpu": _text(r.get("output_tput_per_gpu")),
                "total_tokens_per_s_per_gpu": _text(r.get("tput_per_gpu")),
                "source_url": _text(r.get("source_url")),
            }
        )
    raw = pd.DataFrame(rows, columns=MOE_SERVING_SWEEPS_SCHEMA.names, dtype=str)
    df = validate_frame(raw, MOE_SERVING_SWEEPS_SCHEMA, str(p))
    df.attrs["left_out"] = left_out  # plain records: attrs travel through pandas operations
    return df


def published_moe_sweeps(published: pd.DataFrame | None = None) -> pd.DataFrame:
    """The closed-loop MoE sweeps of ``published_serving_sweeps.csv``, in the sweeps' schema.

    Keeps the rows whose load is a closed-loop concurrency, whose model has routed experts
    and that state a per-user speed. Total tokens per GPU are the output tokens per GPU times
    (prompt + output) / output, with the mean lengths where the source gives them and the
    nominal ones otherwise. Today that is one sweep: SemiAnalysis InferenceX's DeepSeek-R1 on
    8 H200s, TensorRT-LLM, fp8, 1,024 in and 1,024 out, concurrency 4 to 64 (numbers cited as
    facts; ``data/README.md``). The same sweep and 397 more load levels on H200, B200 and MI300X
    are in the bundled ``moe_serving_sweeps.csv`` (:func:`load_moe_serving_sweeps`).

    Parameters
    ----------
    published : pandas.DataFrame, optional
        Output of :func:`inferecon.load_published_serving_sweeps`; the bundled file when
        omitted.

    Returns
    -------
    pandas.DataFrame
        In the schema of :data:`MOE_SERVING_SWEEPS_SCHEMA` (``engine`` is the source's).
    """
    from ..specs import get_model
    from .serving import load_published_serving_sweeps

    pub = load_published_serving_sweeps() if published is None else published
    moe = np.array([get_model(m).n_experts > 0 for m in pub["model"]], dtype=bool)
    keep = (
        moe
        & (pub["load_mode"] == "closed_loop").to_numpy()
        & pub["concurrency"].notna().to_numpy()
        & pub["tokens_per_s_per_user"].notna().to_numpy()
    )
    s = pub[keep]
    p_in = s["mean_input_tokens"].fillna(s["input_tokens"]).to_numpy(float)
    p_out = s["mean_output_tokens"].fillna(s["output_tokens"]).to_numpy(float)
    out = s["output_tokens_per_s_per_gpu"].to_numpy(float)

    def col(values) -> list[str]:
        return ["" if pd.isna(v) else _text(v) for v in values]

    raw = pd.DataFrame(
        {
            "model": col(s["model"]),
            "gpu": col(s["gpu"]),
            "precision": col(s["weight_precision"]),
            "engine": col(s["engine"]),
            "tensor_parallel": col(s["tensor_parallel"]),
            "expert_parallel": col(s["expert_parallel"]),
            "dp_attention": "",
            "spec_decoding": "none",
            "prompt_tokens": col(s["input_tokens"]),
            "output_tokens": col(s["output_tokens"]),
            "concurrency": col(s["concurrency"]),
            "tokens_per_s_per_user": col(s["tokens_per_s_per_user"]),
            "tokens_per_s_per_gpu": col(out),
            "total_tokens_per_s_per_gpu": col(out * (p_in + p_out) / p_out),
            "source_url": col(s["source_url"]),
        },
        dtype=str,
    )
    return validate_frame(
        raw, MOE_SERVING_SWEEPS_SCHEMA, "published_serving_sweeps.csv (closed-loop MoE rows)"
    )
