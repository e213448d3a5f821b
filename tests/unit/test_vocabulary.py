"""One vocabulary (issue 17): the glossary in CONTRIBUTING.md is the one list of names, and no
public signature uses a name from its "not" column.

The glossary table is parsed here, so the synonyms live in one place. The walk covers every
name of ``inferecon.__all__``: functions, classes (``__init__``, public methods, properties),
dataclass and NamedTuple fields of result types. Deprecated names (``renamed_parameters``,
``inferecon._DEPRECATED``) still work for one release, warn, and stay out of signatures.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
import warnings
from pathlib import Path

import numpy as np
import pytest

import inferecon as ie

CONTRIBUTING = Path(__file__).resolve().parents[2] / "CONTRIBUTING.md"


def _glossary() -> list[dict]:
    """The rows of the table under "## One vocabulary" in CONTRIBUTING.md."""
    text = CONTRIBUTING.read_text(encoding="utf-8")
    section = text.split("## One vocabulary", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.lstrip().startswith("|") or len(cells) != 4 or set(cells[0]) <= {"-"}:
            continue
        if cells[0] == "name":
            continue
        rows.append(
            {
                "name": re.findall(r"`([^`]+)`", cells[0]),
                "unit": cells[1],
                "meaning": cells[2],
                "not": re.findall(r"`([^`]+)`", cells[3]),
            }
        )
    return rows


def _not_names() -> set[str]:
    return {n for row in _glossary() for n in row["not"]}


def _params(func) -> list[str]:
    try:
        sig = inspect.signature(func)
    except (TypeError, ValueError):  # builtins without a signature
        return []
    return [p for p in sig.parameters if p not in ("self", "cls")]


def _public_names() -> list[tuple[str, str]]:
    """(where, name) for every parameter, field and property of the public API."""
    out = []
    for name in ie.__all__:
        if name in ("viz", "__version__"):
            continue
        obj = getattr(ie, name)
        if inspect.isclass(obj):
            if dataclasses.is_dataclass(obj):
                out += [(f"{name} field", f.name) for f in dataclasses.fields(obj)]
            if issubclass(obj, tuple) and hasattr(obj, "_fields"):
                out += [(f"{name} field", f) for f in obj._fields]
            out += [(f"{name}()", p) for p in _params(obj)]
            for attr, member in vars(obj).items():
                if attr.startswith("_"):
                    continue
                if isinstance(member, property):
                    out.append((f"{name} property", attr))
                    continue
                func = (
                    member.__func__ if isinstance(member, (classmethod, staticmethod)) else member
                )
                if callable(func):
                    out += [(f"{name}.{attr}()", p) for p in _params(func)]
        elif callable(obj):
            out += [(f"{name}()", p) for p in _params(obj)]
    return out


def test_glossary_parses():
    rows = _glossary()
    names = [n for row in rows for n in row["name"]]
    assert len(rows) >= 12, rows
    assert all(len(row["name"]) == 1 and row["unit"] and row["meaning"] for row in rows), rows
    for must in ("tokens_per_s_per_gpu", "usd_per_gpu_hour", "all_in_kw_per_gpu", "purchase_usd",
                 "lifetime_years", "prompt_tokens", "output_tokens", "tensor_parallel", "n_gpus",
                 "max_running_requests"):  # fmt: skip
        assert must in names
    # a name is never also a synonym of another row
    assert not set(names) & _not_names()


def _result_columns() -> set[str]:
    """Columns of the serving results and keys of a simulation's summary (the glossary names
    result columns too)."""
    m, g = "Llama-3.1-8B", "H200-SXM"
    cols = set(ie.decode_performance(m, g, 1, 128).columns)
    cols |= set(ie.prefill_performance(m, g, 128).columns)
    cols |= set(ie.serving_performance(m, g, 1, 128, 16).columns)
    run = ie.simulate_serving(m, g, ie.poisson_workload(1.0, 5, 64, 8))
    return cols | set(run.summary)


def test_glossary_names_are_used():
    """Every name of the glossary is a parameter, field, public name or result column (no typo
    in the table)."""
    used = {p for _, p in _public_names()} | set(ie.__all__) | _result_columns()
    missing = [n for row in _glossary() for n in row["name"] if n not in used]
    assert not missing


def test_no_public_signature_uses_a_synonym():
    """Fails listing every public parameter, field or property named from a "not" column."""
    bad = _not_names()
    found = sorted({f"{where}: {p}" for where, p in _public_names() if p in bad})
    assert not found, "names the glossary (CONTRIBUTING.md) rejects:\n" + "\n".join(found)


def test_walk_sees_the_api():
    """The walk reaches functions, __init__, methods and result fields (a guard on the test)."""
    where = {w for w, _ in _public_names()}
    for must in ("usd_per_mtok()", "IterationCost()", "GPUSpec field", "LoadSweep field",
                 "ServingResult field", "Workload.at_rate()", "GPUSpec property"):  # fmt: skip
        assert must in where


# --------------------------------------------------------------------------- deprecated names


def _renamed():
    """(where, function, {old: new}) for every public callable that still takes old keywords."""
    out = []
    for name in ie.__all__:
        obj = getattr(ie, name, None)
        if inspect.isclass(obj):
            for attr, member in vars(obj).items():
                if hasattr(member, "__renamed_parameters__"):
                    out.append((f"{name}.{attr}", member, member.__renamed_parameters__))
        elif hasattr(obj, "__renamed_parameters__"):
            out.append((name, obj, obj.__renamed_parameters__))
    return out


def test_signatures_show_only_the_new_names():
    found = _renamed()
    assert len(found) >= 10
    for where, func, mapping in found:
        params = inspect.signature(func).parameters
        kwargs_ok = any(p.kind is p.VAR_KEYWORD for p in params.values())
        for old, new in mapping.items():
            assert old not in params, where
            assert new in params or kwargs_ok, where


def _one_deprecation(call):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = call()
    dep = [w for w in caught if issubclass(w.category, DeprecationWarning)]
    assert len(dep) >= 1, [str(w.message) for w in caught]
    assert all("0.2.0" in str(w.message) for w in dep)
    return result, len(dep)


def test_renamed_parameters_decorator():
    from inferecon._validate import renamed_parameters

    @renamed_parameters(old_a="new_a", old_b="new_b")
    def f(new_a, new_b=2):
        """Doc."""
        return new_a * 10 + new_b

    assert list(inspect.signature(f).parameters) == ["new_a", "new_b"]
    assert f.__doc__ == "Doc." and f.__name__ == "f"
    assert _one_deprecation(lambda: f(old_a=1)) == (12, 1)
    assert _one_deprecation(lambda: f(1, old_b=5)) == (15, 1)
    with pytest.raises(TypeError, match="both 'old_a'.*'new_a'"):
        f(old_a=1, new_a=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert f(1, new_b=3) == 13


def _cost():
    return ie.ConstantService(0.01, 0.005, kv_capacity_tokens=1 << 20)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (lambda: ie.usd_per_mtok(usd_per_hour=2.0, tokens_per_s=1000),
         lambda: ie.usd_per_mtok(2.0, 1000)),
        (lambda: ie.revenue_usd_per_gpu_hour(output_tokens_per_s_per_gpu=1000,
                                             output_usd_per_mtok=0.6),
         lambda: ie.revenue_usd_per_gpu_hour(1000, 0.6)),
        (lambda: ie.price_for_return_multiple(15, system_usd=5e6, n_gpus=72,
                                              tokens_per_s_per_gpu=10_000, utilisation=1.0,
                                              years=3),
         lambda: ie.price_for_return_multiple(15, 5e6, 72, 10_000, 1.0, 3)),
        (lambda: ie.revenue_claim(system_usd=5e6, n_gpus=72, tokens_per_s_per_gpu=10_000,
                                  usd_per_mtok=1.0, utilisation=1.0, lifetime_years=3)
         ["return_multiple"].iloc[0],
         lambda: ie.revenue_claim(5e6, 72, 10_000, 1.0, 1.0, 3)["return_multiple"].iloc[0]),
        (lambda: ie.annualised_factor(10.0, years=2.0), lambda: ie.annualised_factor(10.0, 2.0)),
        (lambda: ie.joules_per_token(700, tokens_per_s=1000),
         lambda: ie.joules_per_token(700, 1000)),
        (lambda: ie.energy_usd_per_mtok(700, tokens_per_s=1000, usd_per_kwh=0.08),
         lambda: ie.energy_usd_per_mtok(700, 1000, 0.08)),
        (lambda: ie.ConstantService(1.0, kv_tokens=4096).kv_capacity_tokens(),
         lambda: ie.ConstantService(1.0, kv_capacity_tokens=4096).kv_capacity_tokens()),
        (lambda: ie.usd_per_effective_flop(2.0, 989, mfu=0.45),
         lambda: ie.usd_per_effective_flop(2.0, 989, flop_utilisation=0.45)),
        (lambda: ie.flop_energy_per_query_wh(active_params=1e11, output_tokens=500,
                                             peak_flops=989e12, flop_utilisation=0.1,
                                             power_w=1275),
         lambda: ie.flop_energy_per_query_wh(1e11, 500, 989e12, 0.1, 1275)),
        (lambda: ie.usd_per_sample(100, 2.0, input_tokens=50, input_usd_per_mtok=1.0),
         lambda: ie.usd_per_sample(100, 2.0, prompt_tokens=50, input_usd_per_mtok=1.0)),
        (lambda: ie.weight_memory_gb("Llama-3.1-70B", "fp8", n_gpus=2),
         lambda: ie.weight_memory_gb("Llama-3.1-70B", "fp8", tensor_parallel=2)),
        (lambda: ie.max_batch("Llama-3.1-70B", "H100-SXM", 4096, "fp8", n_gpus=2),
         lambda: ie.max_batch("Llama-3.1-70B", "H100-SXM", 4096, "fp8", tensor_parallel=2)),
        (lambda: ie.decode_performance("Llama-3.1-8B", "H100-SXM", 8, 1024, n_gpus=2)
         ["step_ms"].iloc[0],
         lambda: ie.decode_performance("Llama-3.1-8B", "H100-SXM", 8, 1024, tensor_parallel=2)
         ["step_ms"].iloc[0]),
        (lambda: ie.IterationCost("Llama-3.1-8B", "H100-SXM", n_gpus=2).tensor_parallel,
         lambda: 2),
        (lambda: len(ie.throughput_frontier("Llama-3.1-8B", "H100-SXM", 128, 16,
                                            precisions=["bf16"], tp_sizes=[1], batches=[1, 8],
                                            all_in_kw={"H100-SXM": 2.0})),
         lambda: len(ie.throughput_frontier("Llama-3.1-8B", "H100-SXM", 128, 16,
                                            precisions=["bf16"], tensor_parallel_sizes=[1],
                                            batches=[1, 8], all_in_kw_per_gpu=2.0))),
        (lambda: ie.simulate_serving(workload=ie.poisson_workload(5.0, 20, ie.fixed_lengths(8),
                                                                  ie.fixed_lengths(4)),
                                     cost=_cost(), max_batch=2, seed=1).summary["completed"],
         lambda: ie.simulate_serving(workload=ie.poisson_workload(5.0, 20, ie.fixed_lengths(8),
                                                                  ie.fixed_lengths(4)),
                                     cost=_cost(), max_running_requests=2,
                                     seed=1).summary["completed"]),
        (lambda: ie.all_in_kw_per_gpu("H100-SXM")[0],
         lambda: ie.default_all_in_kw_per_gpu("H100-SXM")[0]),
        (lambda: ie.DEFAULT_MAX_BATCH, lambda: ie.DEFAULT_MAX_RUNNING_REQUESTS),
    ],
)  # fmt: skip
def test_deprecated_names_still_work_and_warn(old, new):
    got, _ = _one_deprecation(old)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        want = new()
    np.testing.assert_allclose(np.asarray(got, dtype=float), np.asarray(want, dtype=float))


def test_deprecated_function_is_not_public():
    assert "all_in_kw_per_gpu" not in ie.__all__
    assert "DEFAULT_MAX_BATCH" not in ie.__all__
    assert "default_all_in_kw_per_gpu" in ie.__all__
    with pytest.raises(AttributeError):
        ie.no_such_name  # noqa: B018


def test_api_bill_old_keywords():
    old, n = _one_deprecation(
        lambda: ie.api_bill("gpt-4o-mini", input_tokens_per_request=1000,
                            output_tokens_per_request=300, requests_per_day=1e5)
    )  # fmt: skip
    assert n == 2
    new = ie.api_bill("gpt-4o-mini", prompt_tokens=1000, output_tokens=300, requests_per_day=1e5)
    assert old["usd_per_day"].iloc[0] == new["usd_per_day"].iloc[0]
