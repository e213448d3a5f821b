"""Every number the notebooks' prose states is accounted for.

The markdown of each notebook source (``notebooks/NN_topic.md``) is read cell by cell, and every
number in it must be one of:

* **computed** (``COMPUTED``): the phrase that states it is in the markdown, and a package call
  (or a lookup in a bundled, sourced data file) reproduces it *as the prose writes it*. The
  tolerance is the prose's own rounding: "about 7%" is checked as ``f"{x:.0f}%" == "7%"``, and
  "within 0.4%" as the error rounded *up* to the stated digit. A published number that our data
  holds is computed from that data and the phrase must also name the source.
* **published** (``PUBLISHED``): a number quoted from a paper or report that the package does
  not hold; the same phrase (so the same sentence) names the source.
* **given** (``GIVEN``): an input of a worked example or a constant of a formula, not a result.
* **not a quantity** (``_masked``): years, dates, arXiv ids, section and list numbers, references
  to figures and notebooks, numbers inside names (GPT-3.5, H100, Llama-3.1-8B), code.

``test_every_number_in_the_prose_is_accounted_for`` finds any other number and fails; the other
tests fail when a phrase is no longer in the markdown or its number no longer matches what the
package computes. When you change the prose, change the table in the same commit.

All package calls the prose depends on live in the section "What the numbers are computed
from" below, so an API change is one edit there.
"""

from __future__ import annotations

import functools
import inspect
import math
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import jupytext
import numpy as np
import pandas as pd
import pytest

import inferecon as ie

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
SOURCES = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.md"))


def _source(nb: str) -> Path:
    """``"02"`` -> ``notebooks/02_cost_of_a_token.md``."""
    (path,) = [p for p in SOURCES if p.name.startswith(nb + "_")]
    return path


@functools.cache
def _markdown(nb: str) -> tuple[str, ...]:
    """The markdown cells of a notebook's text source."""
    cells = jupytext.read(_source(nb)).cells
    return tuple(c.source for c in cells if c.cell_type == "markdown")


@functools.cache
def _params(nb: str) -> dict:
    """The notebook's parameters cell, executed: the prose describes its default scenario."""
    cells = jupytext.read(_source(nb)).cells
    (cell,) = [c for c in cells if "parameters" in c.metadata.get("tags", [])]
    ns: dict = {}
    exec(cell.source, ns)  # assignments only (test_notebooks checks the cell's shape)
    return ns


def _reference_file(relative: str) -> Path:
    """A test-only file of ``../shared/reference`` (or ``$INFERECON_REFERENCE``), or skip.

    The Epoch and Pythia files are test-only: absent in a user's clone, so skip there; under
    CI=true a missing file is a failure.
    """
    base = Path(os.environ.get("INFERECON_REFERENCE", ROOT.parent / "shared" / "reference"))
    path = base / relative
    if not path.is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"reference file {path} missing under CI")
        pytest.skip(f"reference file {path} not found (needs ../shared/reference)")
    return path


# --------------------------------------------------------------------------------------------
# What the numbers are computed from (every package call the prose depends on)
# --------------------------------------------------------------------------------------------


def _pct(x: float, digits: int = 0) -> str:
    return f"{x:.{digits}f}%"


def _within(err_pct: float, digits: int) -> str:
    """An error stated as "within X%": the error rounded up to ``digits`` decimals."""
    scale = 10**digits
    return f"{math.ceil(abs(err_pct) * scale - 1e-9) / scale:.{digits}f}%"


@functools.cache
def _prices():
    return ie.load_prices()


def _price_row(model: str):
    rows = _prices()[_prices()["model"] == model].sort_values("price_date")
    assert len(rows), f"{model} not in data/llm_prices.csv"
    return rows.iloc[-1]


@functools.cache
def _gpt35_frontier():
    p = _params("01")
    return ie.cheapest_frontier(
        _prices(),
        p["BENCHMARK"],
        p["THRESHOLD"],
        input_share=p["INPUT_SHARE"],
        end=p["AI_INDEX_END"],
    )


def _frontier_ends():
    fr = _gpt35_frontier()
    return fr.iloc[0], fr.iloc[-1]


def _published(key: str):
    return ie.load_published_rates().loc[key]


def _blend(input_share: float) -> str:
    """An input share as an input:output ratio (0.75 -> "3:1")."""
    ratio = input_share / (1 - input_share)
    assert ratio == round(ratio)
    return f"{ratio:.0f}:1"


def _median_output_input_ratio() -> str:
    p = _prices()
    return f"{(p['output_usd_per_mtok'] / p['input_usd_per_mtok']).median():.0f}x"


@functools.cache
def _ceilings():
    c = ie.load_measured_ceilings().set_index("metric")["value"]
    return c


@functools.cache
def _ceiling_share() -> tuple[str, str]:
    share = ie.published_throughput_ceiling(ie.load_published_throughput())["share_of_ceiling"]
    return f"{100 * share.min():.0f}-{100 * share.max():.0f}%"


@functools.cache
def _ceiling_8b():
    return ie.decode_performance(
        "Llama-3.1-8B", "H100-SXM", batch=1, context_tokens=1, efficiency=1.0
    ).iloc[0]


def _weights_gb(model: str) -> float:
    m = ie.get_model(model)
    return m.params_total_published * ie.PRECISION_BYTES["bf16"] / 1e9


def _mha_over_mla(model: str) -> str:
    """KV bytes of full multi-head K and V (head dim = V's) over the MLA latent's."""
    m = ie.get_model(model)
    from dataclasses import replace

    mha = replace(m, attention="gqa", n_kv_heads=m.n_heads, head_dim=m.v_head_dim)
    return f"~{ie.kv_bytes_per_token(mha) / ie.kv_bytes_per_token(m):.0f}"


GOPHER_BUDGET_FLOPS = 5.76e23  # Hoffmann et al. 2022, Gopher's budget (quoted in notebook 04)


def _law_constants(law: str) -> tuple[str, str]:
    g = ie.get_law(law)
    return f"{g.alpha:g}", f"{g.beta:g}"


def _n_opt_b(law: str) -> str:
    n, _ = ie.compute_optimal(GOPHER_BUDGET_FLOPS, law)
    return f"{n / 1e9:.0f}B"


def _tokens_per_param(law: str) -> str:
    n, d = ie.compute_optimal(GOPHER_BUDGET_FLOPS, law)
    return f"{d / n:.0f}"


@functools.cache
def _notable(name: str):
    nm = ie.load_notable_models()
    cmp = ie.compare_to_optimal(nm["params"], nm["training_tokens"], _params("04")["LAW"])
    i = nm.index[nm["name"] == name][0]
    return nm.loc[i], cmp.loc[i]


@functools.cache
def _sardana_example():
    return ie.inference_aware_optimum(1.947, 2e12, "sardana2024")


@functools.cache
def _sardana_13b():
    """The inference-aware optimum for the loss a Chinchilla-optimal 13B model reaches."""
    from scipy.optimize import brentq

    def gap(loss):
        return ie.inference_aware_optimum(loss, 2e12, "sardana2024").chinchilla_n_params - 13e9

    return ie.inference_aware_optimum(brentq(gap, 1.8, 3.0, xtol=1e-12), 2e12, "sardana2024")


def _post_training(model: str) -> str:
    pt = ie.load_post_training().set_index("model")
    return f"{100 * pt.loc[model, 'post_training_fraction']:.1f}%"


def _hoffmann_grid_size() -> str:
    return f"{math.prod(len(v) for v in ie.HOFFMANN_GRID.values()):,}"


def _huber_delta() -> str:
    delta = inspect.signature(ie.fit_scaling_law).parameters["delta"].default
    return f"10^{{{math.log10(delta):.0f}}}"


@functools.cache
def _chinchilla_refit() -> tuple[str, ...]:
    runs = ie.read_epoch_chinchilla(
        _reference_file("epoch-analyzing-chinchilla/svg_extracted_data.csv")
    )
    fit = ie.fit_scaling_law(runs["n_params"], runs["n_tokens"], runs["loss"])
    ref = ie.get_law("epoch_replication")
    err = {
        k: 100 * (getattr(fit, k) / getattr(ref, k) - 1) for k in ("E", "alpha", "beta", "A", "B")
    }
    worst_e_a_b = max(abs(err[k]) for k in ("E", "alpha", "beta"))
    return (
        f"{len(runs)}",
        _within(worst_e_a_b, 1),
        _within(err["A"], 0),
        _within(err["B"], 0),
    )


def _test_time(key: str):
    return ie.load_test_time_results().set_index("key").loc[key]


@functools.cache
def _pythia_coverage() -> tuple[str, str, str]:
    counts = ie.load_sampling_counts(
        _reference_file("schaeffer-monkeys-pythia-math/per_problem_counts.csv")
    )
    c = counts[counts["model"] == "Pythia 160M"]
    n, k = c["n_samples"].to_numpy(), c["n_correct"].to_numpy()
    (n_max,) = np.unique(n)
    return (
        _pct(100 * ie.pass_at_k(n, k, 1).mean(), 2),
        _pct(100 * ie.pass_at_k(n, k, n_max).mean()),
        f"{n_max:,}",
    )


def _plurality_trend() -> str:
    v = [ie.plurality_vote_accuracy([0.4, 0.3, 0.3], n) for n in (1, 5, 15, 45)]
    return "climbs" if np.all(np.diff(v) > 0) else "does not climb"


def _mixture_trend() -> str:
    n = np.array([1, 5, 25, 101])
    acc = 0.5 * ie.majority_vote_accuracy(0.9, n) + 0.5 * ie.majority_vote_accuracy(0.4, n)
    peak = int(np.argmax(acc))
    return "rises and then falls" if 0 < peak < len(n) - 1 else "does not rise and fall"


def _o3_prices() -> tuple[str, str, str]:
    p = _prices()
    o3 = p[p["model"] == "o3"].sort_values("price_date")
    first, last = o3.iloc[0], o3.iloc[-1]
    return (
        f"USD {first.input_usd_per_mtok:.0f}/{first.output_usd_per_mtok:.0f}",
        f"USD {last.input_usd_per_mtok:.0f}/{last.output_usd_per_mtok:.0f}",
        f"{last.price_date:%B %Y}",
    )


# 06 · AI factory


@functools.cache
def _assumption():
    """``data/factory_assumptions.csv``'s values by key (sourced published numbers)."""
    return ie.load_factory_assumptions()["value"]


_WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five"}


def _word(x: float) -> str:
    """A small whole number as the prose spells it (3 -> "three")."""
    assert x == round(x) and round(x) in _WORDS, x
    return _WORDS[round(x)]


def _usd_m(x: float) -> str:
    """USD 5e6 -> "USD 5 million"."""
    return f"USD {x / 1e6:.0f} million"


def _nvl72_claim() -> tuple[str, str, str]:
    v = _assumption()
    return (
        _usd_m(v["nvidia_nvl72_system_usd"]),
        _usd_m(v["nvidia_nvl72_token_revenue_usd"]),
        f"{v['nvidia_nvl72_return_multiple']:.0f}x",
    )


def _nvl72_price(utilisation):
    """The price per million tokens NVIDIA's 15x needs (``ie.price_for_return_multiple``)."""
    v = _assumption()
    return ie.price_for_return_multiple(
        v["nvidia_nvl72_return_multiple"],
        v["nvidia_nvl72_system_usd"],
        v["nvidia_nvl72_n_gpus"],
        v["nvidia_nvl72_tokens_per_s_per_gpu"],
        utilisation,
        v["nvidia_nvl72_years"],
    )


def _nvl72_needs() -> tuple[str, str, str]:
    full, half = _nvl72_price(1.0), _nvl72_price(0.5)
    return (
        f"USD {full:.2f}",
        _word(_assumption()["nvidia_nvl72_years"]),
        "twice" if math.isclose(half / full, 2.0, rel_tol=1e-12) else f"{half / full:g}x",
    )


@functools.cache
def _r1_operating_point():
    """Section 5's cell: DeepSeek-V3 at 8K in, 1K out on GB200 at NVIDIA's 50 tokens/s."""
    sweep = ie.throughput_frontier("DeepSeek-V3", "GB200-per-GPU", 8192, 1024)
    return ie.operating_point_for_speed(sweep, _assumption()["nvidia_nvl72_tokens_per_s_per_user"])


def _r1_against_claim() -> tuple[str, str, str]:
    claim = _assumption()["nvidia_nvl72_tokens_per_s_per_gpu"]
    op = _r1_operating_point()
    total = op["total_tokens_per_s_per_gpu"] / claim
    output = op["tokens_per_s_per_gpu"] / claim
    return (
        "close to" if abs(total - 1) <= 0.2 else f"{total:.0%} of",  # "close": within 20%
        f"{claim:,.0f}",
        "a tenth" if round(output, 1) == 0.1 else f"{output:.0%}",  # a tenth to 1 decimal
    )


def _r1_list() -> dict:
    """DeepSeek-R1's list price on the notebook's date (genai-prices' snapshot)."""
    return ie.api_list_price("deepseek-reasoner", "deepseek", as_of=_params("06")["PRICES_AS_OF"])


def _r1_bill_per_output() -> float:
    """Section 5: a request of the claim's shape, per million output tokens, input included."""
    return ie.api_bill(
        "deepseek-reasoner", 8192, 1024, 1, provider_id="deepseek",
        as_of=_params("06")["PRICES_AS_OF"],
    )["usd_per_mtok_output"].iloc[0]  # fmt: skip


def _claim_output_price() -> float:
    """Section 5's shape cell: NVIDIA's claim per million output tokens at 8K in, 1K out."""
    v = _assumption()
    return ie.output_price_for_return_multiple(
        v["nvidia_nvl72_return_multiple"], v["nvidia_nvl72_system_usd"],
        v["nvidia_nvl72_n_gpus"], v["nvidia_nvl72_tokens_per_s_per_gpu"], 8192, 1024, 1.0,
        v["nvidia_nvl72_years"],
    )  # fmt: skip


def _claim_in_output_prices() -> tuple[str, ...]:
    """The claim per output token against DeepSeek's list price for the same request."""
    need, bill, lp = _claim_output_price(), _r1_bill_per_output(), _r1_list()
    ratio = need / bill
    return (
        f"USD {need:.2f}",
        f"USD {lp['output_usd_per_mtok']:.2f}",
        f"USD {lp['input_usd_per_mtok']:.2f}",
        f"USD {bill:.2f}",
        "one and a half times" if round(ratio, 1) == 1.5 else f"{ratio:.1f} times",
    )


def _r1_revenue() -> tuple[str, str, str, str]:
    """Section 5's cell: three years at the modelled output rate and DeepSeek's list price."""
    v = _assumption()
    price = ie.api_bill(
        "deepseek-reasoner",
        8192,
        1024,
        1,
        provider_id="deepseek",
        as_of=_params("06")["PRICES_AS_OF"],
    )["usd_per_mtok_output"].iloc[0]
    multiple = ie.revenue_claim(
        v["nvidia_nvl72_system_usd"],
        v["nvidia_nvl72_n_gpus"],
        _r1_operating_point()["tokens_per_s_per_gpu"],
        price,
        [1.0, 0.7, 0.5],
        v["nvidia_nvl72_years"],
    )["return_multiple"]
    # the range of the multiples at 100%, 70% and 50% utilisation, in whole multiples
    return (
        f"{math.floor(multiple.min()):.0f}x",
        f"{math.ceil(multiple.max()):.0f}x",
        _usd_m(v["nvidia_nvl72_system_usd"]),
        f"{v['nvidia_nvl72_return_multiple']:.0f}x",
    )


@functools.cache
def _query_energy():
    """``ie.published_query_energy()``: Epoch's estimate recomputed, Google's quoted."""
    return ie.published_query_energy().set_index("estimate")["wh_per_query"]


def _query_wh(who: str) -> float:
    """Wh per query of the estimate whose name starts with ``who`` ("Epoch AI", "Google")."""
    (wh,) = [x for k, x in _query_energy().items() if k.startswith(who)]
    return wh


def _epoch_wh() -> str:
    return f"{_query_wh('Epoch AI'):.1f} Wh"


def _google_wh() -> str:
    return f"{_query_wh('Google'):.2f} Wh"


def _epoch_assumptions() -> tuple[str, ...]:
    v = _assumption()
    return (
        _epoch_wh(),
        f"{v['epoch_query_active_params'] / 1e9:.0f} billion",
        f"{v['epoch_query_output_tokens']:.0f} output tokens",
        f"{_word(v['epoch_query_flop_per_param_per_token'])} FLOPs",
        f"{v['epoch_query_peak_flops'] / 1e12:.0f} TFLOP/s",
        _pct(100 * v["epoch_query_flop_utilisation"]),
        f"{v['epoch_query_server_w_per_gpu']:,.0f} W",
        _pct(100 * v["epoch_query_power_fraction"]),
        f"{v['epoch_query_pue']:.1f}",
    )


@functools.cache
def _serving_energy():
    """Section 6's cell, with Epoch's host accounting and PUE from the data."""
    v = _assumption()
    kw = dict(
        pue=v["epoch_query_pue"],
        server_w_per_gpu=v["epoch_query_server_w_per_gpu"],
        host_power_fraction=v["epoch_query_power_fraction"],
        check_memory=False,
    )
    batches, prompt, output = [1, 8, 64, 256], 100, v["epoch_query_output_tokens"]
    return pd.concat(
        [
            ie.energy_per_query(
                "Llama-3.1-70B", "H100-SXM", batches, prompt, output, "fp8", tensor_parallel=2, **kw
            ),
            ie.energy_per_query(
                "DeepSeek-V3", "H200-SXM", batches, prompt, output, "fp8", tensor_parallel=8, **kw
            ),
        ]
    )


def _at_batch(column: str, batch: int) -> pd.Series:
    q = _serving_energy()
    return q[q["batch"] == batch].set_index("model")[column]


def _board_at_batch_1() -> str:
    return "more than a Wh" if (_at_batch("board_wh_per_query", 1) > 1).all() else "less"


def _fall_to_batch_256() -> tuple[str, str]:
    fall = _at_batch("board_wh_per_query", 1) / _at_batch("board_wh_per_query", 256)
    return (
        "more than an order of magnitude" if (fall > 10).all() else f"{fall.min():.0f}x",
        "less steeply" if fall["DeepSeek-V3"] < fall["Llama-3.1-70B"] else "more steeply",
    )


def _against_published() -> tuple[str, str]:
    """Facility Wh per query at the largest batch and at batch 1 against the published ones."""
    epoch, google = _query_wh("Epoch AI"), _query_wh("Google")
    big = _at_batch("facility_wh_per_query", 256)
    one = _at_batch("facility_wh_per_query", 1)
    return (
        "below" if (big < epoch).all() else "not below",
        # "far above both": over 10x the larger of the two
        "far above" if (one > 10 * max(epoch, google)).all() else "not far above",
    )


def _fewer_active() -> tuple[str, str, str]:
    limit = _assumption()["epoch_query_active_params"]
    active = [ie.get_model(m).params_active_published for m in ("Llama-3.1-70B", "DeepSeek-V3")]
    return (
        "fewer" if max(active) < limit else "not fewer",
        f"{limit / 1e9:.0f} billion",
        f"{ie.get_model('DeepSeek-V3').params_active_published / 1e9:.0f}B",
    )


def _host_share() -> tuple[str, str, str, str]:
    v = _assumption()
    server = v["epoch_query_server_w_per_gpu"]
    return (
        f"{server - ie.get_gpu('H100-SXM').tdp_w:.0f} W",
        f"{server:,.0f} W",
        _pct(100 * v["epoch_query_power_fraction"]),
        f"{v['epoch_query_pue']:.1f}",
    )


@functools.cache
def _accelerators():
    return ie.load_accelerators()


@functools.cache
def _trend_table():
    return ie.hardware_trend_table(_accelerators())


def _fits_against_ai_index() -> str:
    t = _trend_table()
    pub = ie.published_hardware_rates(ie.load_published_rates()).set_index("metric")
    fitted = t.dropna(subset=["factor_per_year"])
    slower = all(
        (rows["factor_per_year"] < pub.loc[metric, "factor_per_year"]).all()
        for metric, rows in fitted.groupby("metric")
    )
    return "slower" if slower else "not slower"


def _fp4_price_fits() -> str:
    t = _trend_table()
    fp4 = t[(t["metric"] == "price_performance") & (t["precision"] == "fp4")]
    return "too few" if fp4["factor_per_year"].isna().all() else "enough"


def _fp32_span() -> str:
    t = _trend_table()
    t = t[t["chips"] == "all chips"].dropna(subset=["factor_per_year"])
    widest = all(
        rows.loc[rows["precision"] == "fp32", "n_points"].item() == rows["n_points"].max()
        and rows.loc[rows["precision"] == "fp32", "first"].item() == rows["first"].min()
        for _, rows in t.groupby("metric")
    )
    return "the most chips over the longest span" if widest else "not the widest fit"


@functools.cache
def _scenario_plan():
    """Notebook 08's cheapest plan, searched alone: the same goodput and cost as in any grid
    that holds it (common random numbers), so the benchmark's 1,008-configuration winner."""
    p = _params("08")
    best = ie.ServingConfiguration("B200-HGX", "fp4", 1, "chunked_prefill", 2048, 1, 1, 256)
    curve = ie.diurnal_load_curve(p["DAILY_REQUESTS"], p["PEAK_TO_MEAN"], p["PEAK_HOUR"])
    return ie.plan_deployment(p["MODEL"], curve, ie.trace_lengths(p["TRACE"]),
                              ttft_ms=p["TTFT_MS"], tpot_ms=p["TPOT_MS"],
                              attainment=p["ATTAINMENT"], configurations=[best]).best  # fmt: skip


_SIX_GPUS = ("B200-HGX", "H200-SXM", "H100-SXM", "A100-80GB-SXM", "MI300X", "L40S")


def _scenario_words() -> tuple[str, ...]:
    p = _params("08")
    h = p["PEAK_HOUR"]
    return (f"{p['DAILY_REQUESTS'] / 1e6:g}", f"{int(h)}:{round(h % 1 * 60):02d}",
            f"{p['PEAK_TO_MEAN']:g}", f"{p['TTFT_MS'] / 1e3:g} s", f"{p['TPOT_MS']:g} ms",
            f"{p['ATTAINMENT']:.0%}")  # fmt: skip


# --------------------------------------------------------------------------------------------
# The tables
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stated:
    notebook: str  # "01"
    phrase: str  # exactly as in the markdown
    stated: tuple[str, ...]  # the numbers (or words) the phrase states, as written
    value: Callable[[], tuple[str, ...] | str] | None = None  # computes ``stated``
    source: str | None = None  # a published number's source, named in the phrase
    why: str = ""  # for GIVEN: why this is not a result

    @property
    def id(self) -> str:
        return f"{self.notebook}:{' '.join(self.stated) or self.phrase[:30]}"


def _nim_ttft_row() -> tuple[str, str]:
    """The NIM sweep's row whose measured mean TTFT beats the simulation on ideal hardware."""
    c = ie.compare_published_sweeps()
    d = c[(c["note"] == "") & (c["measured_ttft_ms"] < c["ideal_ttft_ms"])]
    assert len(d) == 1 and d["sweep_id"].iloc[0].startswith("nim180"), d
    return f"{d['level'].iloc[0]:.0f}", f"{d['measured_ttft_ms'].iloc[0]:.1f} ms"


def _kwdefault(func, name):
    """A keyword's default in ``func``'s signature (what a notebook calling it with no
    argument uses)."""
    import inspect

    return inspect.signature(func).parameters[name].default


def computed(nb, phrase, stated, value, source=None) -> Stated:
    return Stated(nb, phrase, tuple(stated), value, source)


def published(nb, phrase, stated, source) -> Stated:
    return Stated(nb, phrase, tuple(stated), None, source)


def given(nb, phrase, why) -> Stated:
    return Stated(nb, phrase, (), None, None, why)


def _first():
    return _frontier_ends()[0]


def _last():
    return _frontier_ends()[1]


def _gemini():
    return _price_row(_last().model)


COMPUTED = [
    # 01 · price decline
    computed(
        "01",
        # a heading cannot name the source; the first sentence under it does
        "# 01 · The 280-fold fall in LLM inference prices",
        ["280"],
        lambda: f"{_published('ai_index_2025_gpt35_fold').value:.0f}",
    ),
    computed("01", "GPT-3.5 (64.8% on MMLU)", ["64.8%"], lambda: f"{_first().score:.1f}%"),
    computed(
        "01",
        "**USD 20 to USD 0.07 per million tokens**",
        ["USD 20", "USD 0.07"],
        lambda: (f"USD {_first().usd_per_mtok:.0f}", f"USD {_last().usd_per_mtok:.2f}"),
    ),
    computed(
        "01",
        "The Stanford AI Index 2025 reports that querying a model as capable as GPT-3.5 "
        "(64.8% on MMLU) fell from about **USD 20 to USD 0.07 per million tokens** between "
        "November 2022 and October 2024: **over 280-fold**",
        ["280"],
        lambda: f"{_published('ai_index_2025_gpt35_fold').value:.0f}",
        source="AI Index",
    ),
    computed(
        "01",
        "Epoch AI, whose data the AI Index used, finds prices at constant capability falling "
        "**9x to 900x per year**",
        ["9x", "900x"],
        lambda: tuple(
            f"{_published('epoch_price_decline_range')[c]:.0f}x" for c in ("low", "high")
        ),
        source="Epoch AI",
    ),
    computed(
        "01",
        'a16z\'s "LLMflation" puts it at **10x per year**',
        ["10x"],
        lambda: f"{_published('a16z_llmflation').value:.0f}x",
        source="a16z",
    ),
    computed(
        "01",
        "the AI Index's 8% → 1.7% gap",
        ["8%", "1.7%"],
        lambda: (
            _pct(_published("ai_index_2025_open_closed_gap_2024_01").value),
            _pct(_published("ai_index_2025_open_closed_gap_2025_02").value, 1),
        ),
        source="AI Index",
    ),
    computed(
        "01",
        "reproduce the USD 20 → 0.07 series",
        ["USD 20", "0.07"],
        lambda: (f"USD {_first().usd_per_mtok:.0f}", f"{_last().usd_per_mtok:.2f}"),
    ),
    computed(
        "01",
        "## 1 · Reproduce USD 20 → 0.07",
        ["USD 20", "0.07"],
        lambda: (f"USD {_first().usd_per_mtok:.0f}", f"{_last().usd_per_mtok:.2f}"),
    ),
    computed(
        "01",
        "Gemini 1.5 Flash-8B at USD 0.0375 per million input and USD 0.15 per million output "
        "tokens: blended 3:1 that is USD 0.066, which Epoch and Artificial Analysis round to "
        "USD 0.07 ($20 / 0.07 \\approx 286$)",
        ["USD 0.0375", "USD 0.15", "3:1", "USD 0.066", "USD 0.07", "20 / 0.07", "286"],
        lambda: (
            f"USD {_gemini().input_usd_per_mtok:.4f}",
            f"USD {_gemini().output_usd_per_mtok:.2f}",
            _blend(_params("01")["INPUT_SHARE"]),
            f"USD {_last().usd_per_mtok:.3f}",
            f"USD {_last().usd_per_mtok:.2f}",
            f"{_first().usd_per_mtok:.0f} / {_last().usd_per_mtok:.2f}",
            f"{_first().usd_per_mtok / round(_last().usd_per_mtok, 2):.0f}",
        ),
    ),
    computed(
        "01",
        "**Raise the MMLU threshold** to 86 (GPT-4 level)",
        ["86"],
        lambda: f"{_price_row('GPT-4 (0314)').mmlu:.0f}",
    ),
    computed(
        "01",
        "the unequal fall Epoch describes (9x to 900x per year)",
        ["9x", "900x"],
        lambda: tuple(
            f"{_published('epoch_price_decline_range')[c]:.0f}x" for c in ("low", "high")
        ),
        source="Epoch",
    ),
    computed(
        "01",
        "**Set the input share to 0.5** (a16z's 1:1 blend)",
        ["0.5", "1:1"],
        lambda: (f"{ie.A16Z_INPUT_SHARE:g}", _blend(ie.A16Z_INPUT_SHARE)),
        source="a16z",
    ),
    computed(
        "01",
        "(4x at the median of `data/llm_prices.csv`)",
        ["4x"],
        _median_output_input_ratio,
    ),
    computed("01", "An MMLU score of 64.8 in 2024", ["64.8"], lambda: f"{_first().score:.1f}"),
    computed(
        "01",
        "The AI Index 2025 reports the Chatbot Arena gap between the best closed and the best "
        "open-weight model shrinking from 8.0% (January 2024) to 1.7% (February 2025)",
        ["8.0%", "1.7%"],
        lambda: (
            _pct(_published("ai_index_2025_open_closed_gap_2024_01").value, 1),
            _pct(_published("ai_index_2025_open_closed_gap_2025_02").value, 1),
        ),
        source="AI Index",
    ),
    # 02 · cost of a token
    computed(
        "02",
        "(a memory-bound 8B model,",
        ["8B"],
        lambda: f"{ie.get_model(_params('02')['MODEL']).params_total_published / 1e9:.0f}B",
    ),
    computed(
        "02",
        "Llama-3.1-8B in bf16 must stream its weights for every token: 16.06 GB, so an H100 SXM "
        "(3.35 TB/s)",
        ["16.06 GB", "3.35 TB/s"],
        lambda: (
            f"{_weights_gb('Llama-3.1-8B'):.2f} GB",
            f"{ie.get_gpu('H100-SXM').hbm_tb_s:.2f} TB/s",
        ),
    ),
    computed(
        "02",
        "$3.35 \\times 10^{12} / 16.06 \\times 10^{9} \\approx 209$",
        ["3.35 \\times 10^{12}", "16.06 \\times 10^{9}", "209"],
        lambda: (
            f"{ie.get_gpu('H100-SXM').hbm_tb_s:.2f} \\times 10^{{12}}",
            f"{_weights_gb('Llama-3.1-8B'):.2f} \\times 10^{{9}}",
            f"{ie.get_gpu('H100-SXM').hbm_tb_s * 1e3 / _weights_gb('Llama-3.1-8B'):.0f}",
        ),
    ),
    computed(
        "02",
        "only the LM head: 15.01 GB and 223 tokens/s",
        ["15.01 GB", "223"],
        lambda: (
            f"{_ceiling_8b().bytes_per_step / 1e9:.2f} GB",
            f"{_ceiling_8b().tokens_per_s_per_replica:.0f}",
        ),
    ),
    computed(
        "02",
        "reads each (2-byte) parameter once per step",
        ["2-byte"],
        lambda: f"{ie.PRECISION_BYTES['bf16']:.0f}-byte",
    ),
    computed(
        "02",
        "$989 \\times 10^{12} / 3.35 \\times 10^{12} \\approx 295$",
        ["989 \\times 10^{12}", "3.35 \\times 10^{12}", "295"],
        lambda: (
            f"{ie.get_gpu('H100-SXM').bf16_dense_tflops:.0f} \\times 10^{{12}}",
            f"{ie.get_gpu('H100-SXM').hbm_tb_s:.2f} \\times 10^{{12}}",
            f"{ie.ridge_point('H100-SXM'):.0f}",
        ),
    ),
    computed(
        "02",
        # the leading 2 is K and V (one key and one value per head): a definition
        "$2 \\times 32 \\times 8 \\times 128 \\times 2$ bytes = 131,072 bytes per token for "
        "Llama-3.1-8B",
        ["2 \\times 32 \\times 8 \\times 128 \\times 2", "131,072"],
        lambda: (
            " \\times ".join(
                f"{n:.0f}"
                for n in (
                    2,  # K and V
                    ie.get_model("Llama-3.1-8B").n_layers,
                    ie.get_model("Llama-3.1-8B").n_kv_heads,
                    ie.get_model("Llama-3.1-8B").head_dim,
                    ie.PRECISION_BYTES["bf16"],
                )
            ),
            f"{ie.kv_bytes_per_token('Llama-3.1-8B'):,.0f}",
        ),
    ),
    computed(
        "02",
        "caches one 512-value latent plus a 64-value RoPE key per layer instead, 70,272 bytes "
        "for a 671B model; caching full keys and values for its 128 heads would take ~57 times "
        "more",
        ["512", "64", "70,272", "671B", "128", "~57"],
        lambda: (
            f"{ie.get_model('DeepSeek-V3').kv_lora_rank}",
            f"{ie.get_model('DeepSeek-V3').qk_rope_head_dim}",
            f"{ie.kv_bytes_per_token('DeepSeek-V3'):,.0f}",
            f"{ie.get_model('DeepSeek-V3').params_total_published / 1e9:.0f}B",
            f"{ie.get_model('DeepSeek-V3').n_heads}",
            _mha_over_mla("DeepSeek-V3"),
        ),
    ),
    computed(
        "02",
        "(90% of the GPU's memory usable, as vLLM's default)",
        ["90%"],
        lambda: _pct(100 * inspect.signature(ie.max_batch).parameters["memory_fraction"].default),
        source="vLLM",
    ),
    computed(
        "02",
        "4.27 TB/s in a copy and 664 TFLOP/s in a large bf16 matrix product",
        ["4.27 TB/s", "664 TFLOP/s"],
        lambda: (
            f"{_ceilings()['copy_tb_s']:.2f} TB/s",
            f"{_ceilings()['bf16_gemm_tflops']:.0f} TFLOP/s",
        ),
    ),
    computed("02", "real engines reach 3-41% of it", ["3-41%"], _ceiling_share),
    # the calibration band (issue 18): read from the stored calibrations
    computed(
        "02",
        "predicted by a fit on the others): 29%",
        ["29%"],
        lambda: _pct(100 * ie.calibration_band("H200-SXM").rel_error),
    ),
    computed(
        "02",
        "a measured throughput lies within ±29% of the curve",
        ["29%"],
        lambda: _pct(100 * ie.calibration_band("H200-SXM").rel_error),
    ),
    computed(
        "02",
        "a cost per token between 22% below and 40% above it",
        ["22%", "40%"],
        lambda: tuple(
            _pct(abs(100 * (f - 1))) for f in ie.calibration_band("H200-SXM").step_time_factors
        ),
    ),
    computed(
        "02",
        "the 90th percentile of the absolute error of step time",
        ["90"],
        # the band's statistic: the stored p90 (checked in tests/unit/test_uncertainty.py)
        lambda: "90" if "p90" in ie.calibration_band("H200-SXM").statistic else "?",
    ),
    computed(
        "03",
        "(`ie.calibration_band`: 29% on the H200",
        ["29%"],
        lambda: _pct(100 * ie.calibration_band("H200-SXM").rel_error),
    ),
    computed(
        "03",
        "The KV cache is paged in blocks of 16 tokens",
        ["16"],
        lambda: f"{ie.BLOCK_TOKENS}",
    ),
    computed(
        "03",
        "NVIDIA NIM's Llama-3.3-70B at concurrency 50 measures a mean TTFT of 834.5 ms",
        ["50", "834.5 ms"],
        _nim_ttft_row,
    ),
    computed(
        "02",
        "a 16-layer model (Llama-3.2-1B) pays half of what a 32-layer one (Llama-3.1-8B) does",
        ["16", "32"],
        lambda: (
            f"{ie.get_model('Llama-3.2-1B').n_layers}",
            f"{ie.get_model('Llama-3.1-8B').n_layers}",
        ),
    ),
    # 04 · scaling laws
    computed(
        "04",
        "the unrounded ones from the paper's source give the caption's 40B",
        ["40B"],
        lambda: _n_opt_b("chinchilla_unrounded"),
    ),
    computed(
        "04",
        "The constants as printed in the paper ($\\alpha = 0.34$, $\\beta = 0.28$) give about "
        "**32B**",
        ["0.34", "0.28", "32B"],
        lambda: (*_law_constants("chinchilla_printed"), _n_opt_b("chinchilla_printed")),
    ),
    computed(
        "04",
        "Epoch AI's refit of the same data ($\\alpha = 0.3478$, $\\beta = 0.3658$) moves the "
        "answer again, to about 72B, with about 18 tokens per parameter",
        ["0.3478", "0.3658", "72B", "18"],
        lambda: (
            *_law_constants("epoch_replication"),
            _n_opt_b("epoch_replication"),
            _tokens_per_param("epoch_replication"),
        ),
    ),
    computed(
        "04",
        "Llama-3-8B on 15T tokens, about 10× the optimum for its compute",
        ["15T", "10×"],
        lambda: (
            f"{_notable('Llama-3-8B')[0].training_tokens / 1e12:.0f}T",
            f"{_notable('Llama-3-8B')[1].overtraining_factor:.0f}×",
        ),
    ),
    computed(
        "04",
        "is best reached by 24.2B parameters on 2.66T tokens: 71% of the Chinchilla-optimal "
        "parameters and 147% of its tokens, for 95.2% of its lifetime FLOPs",
        ["24.2B", "2.66T", "71%", "147%", "95.2%"],
        lambda: (
            f"{_sardana_example().n_params / 1e9:.1f}B",
            f"{_sardana_example().train_tokens / 1e12:.2f}T",
            _pct(100 * _sardana_example().params_ratio),
            _pct(100 * _sardana_example().tokens_ratio),
            _pct(100 * (1 - _sardana_example().flops_saving), 1),
        ),
    ),
    computed(
        "04",
        "is reached most cheaply by a 7B model, which saves about 17% of the lifetime FLOPs",
        ["7B", "17%"],
        lambda: (
            f"{_sardana_13b().n_params / 1e9:.0f}B",
            _pct(100 * _sardana_13b().flops_saving),
        ),
    ),
    computed(
        "04",
        "InstructGPT's RLHF used about 1.6% of GPT-3's pre-training compute (Ouyang et al. 2022)",
        ["1.6%"],
        lambda: _post_training("InstructGPT 175B (PPO-ptx)"),
        source="Ouyang et al. 2022",
    ),
    computed(
        "04",
        "DeepSeek-V3's post-training 0.2% of its pre-training GPU-hours (DeepSeek-AI 2024)",
        ["0.2%"],
        lambda: _post_training("DeepSeek-V3"),
        source="DeepSeek-AI 2024",
    ),
    computed(
        "04",
        "DeepSeek-R1's reinforcement learning about 5.5% of V3's pre-training cost "
        "(Guo et al. 2025)",
        ["5.5%"],
        lambda: _post_training("DeepSeek-R1"),
        source="Guo et al. 2025",
    ),
    computed(
        "04",
        "Hoffmann et al.'s Approach 3 as published: a Huber loss ($\\delta = 10^{-3}$)",
        ["10^{-3}"],
        _huber_delta,
        source="Hoffmann et al.",
    ),
    computed(
        "04", "L-BFGS from each of a 4,500-point grid of starts", ["4,500"], _hoffmann_grid_size
    ),
    computed(
        "04",
        "On Epoch AI's 240 points from Chinchilla's Figure 4 it reproduces their replication "
        "($E$, $\\alpha$, $\\beta$ within 0.4%, $A$ within 1%, $B$ within 3%)",
        ["240", "0.4%", "1%", "3%"],
        _chinchilla_refit,  # needs the test-only reference file
    ),
    # 05 · test-time compute
    computed(
        "05",
        "Brown et al. (2024, *Large Language Monkeys*) sampled 10,000 answers per MATH problem",
        ["10,000"],
        lambda: f"{_test_time('monkeys_pythia160m_math').samples:,.0f}",
        source="Brown et al.",
    ),
    computed(
        "05",
        "climbs from 0.27% with one sample to 57% with 10,000 for Pythia-160M",
        ["0.27%", "57%", "10,000"],
        lambda: (
            _pct(_test_time("monkeys_pythia160m_math").score_single_pct, 2),
            _pct(_test_time("monkeys_pythia160m_math").score_scaled_pct),
            f"{_test_time('monkeys_pythia160m_math').samples:,.0f}",
        ),
    ),
    computed(
        "05",
        # the same numbers recomputed from the per-problem counts (reference data)
        "climbs from 0.27% with one sample to 57% with 10,000 for Pythia-160M",
        ["0.27%", "57%", "10,000"],
        _pythia_coverage,
    ),
    computed(
        "05",
        "a binary vote with $p = 0.6$ over 5 samples is right 68.3% of the time",
        ["68.3%"],
        lambda: _pct(100 * ie.majority_vote_accuracy(0.6, 5), 1),
    ),
    computed(
        "05",
        "with three answers at 0.4/0.3/0.3 the plurality vote still climbs",
        ["climbs"],
        _plurality_trend,
    ),
    computed(
        "05",
        "a mixture of easy ($p = 0.9$) and hard ($p = 0.4$) problems rises and then falls",
        ["rises and then falls"],
        _mixture_trend,
    ),
    computed(
        "05",
        "($M = 14$, $R = 0.16$ gives $K = 257.75$)",
        ["257.75"],
        lambda: f"{ie.compute_matched_inference_multiplier(14, 0.16):g}",
    ),
    computed(
        "05",
        "o3 fell from USD 10/40 to USD 2/8 per million input/output tokens in June 2025",
        ["USD 10/40", "USD 2/8", "June 2025"],
        _o3_prices,
    ),
    computed(
        "05",
        "DeepSeek-Coder-V2 on SWE-bench Lite rises from 15.9% with one sample to 56% with 250 "
        "(Brown et al. 2024)",
        ["15.9%", "56%", "250"],
        lambda: (
            _pct(_test_time("monkeys_dscoder_v2_swebench_lite").score_single_pct, 1),
            _pct(_test_time("monkeys_dscoder_v2_swebench_lite").score_scaled_pct),
            f"{_test_time('monkeys_dscoder_v2_swebench_lite').samples:.0f}",
        ),
        source="Brown et al. 2024",
    ),
    computed(
        "05",
        "o1 on AIME 2024 from 74% (one sample) to 83% (consensus of 64) (OpenAI 2024)",
        ["74%", "83%", "64"],
        lambda: (
            _pct(_test_time("o1_aime2024_cons64").score_single_pct),
            _pct(_test_time("o1_aime2024_cons64").score_scaled_pct),
            f"{_test_time('o1_aime2024_cons64').samples:.0f}",
        ),
        source="OpenAI 2024",
    ),
    # 06 · AI factory
    computed(
        "06",
        "USD 2.00 per GPU-hour at 1,000 tokens/s is USD 0.556 per million tokens, and USD 1.111 "
        "at 50% utilisation",
        ["USD 0.556", "USD 1.111"],
        lambda: (
            f"USD {ie.usd_per_mtok(2.0, 1000):.3f}",
            f"USD {ie.usd_per_mtok(2.0, 1000, utilisation=0.5):.3f}",
        ),
    ),
    computed(
        "06",
        "700 W at 1,000 tokens/s is 0.70 J per token, 0.84 J with a PUE of 1.2, and USD 0.0187 "
        "of electricity per million tokens at USD 0.08 per kWh",
        ["0.70 J", "0.84 J", "USD 0.0187"],
        lambda: (
            f"{ie.joules_per_token(700, 1000):.2f} J",
            f"{ie.joules_per_token(700, 1000, pue=1.2):.2f} J",
            f"USD {ie.energy_usd_per_mtok(700, 1000, 0.08, pue=1.2):.4f}",
        ),
    ),
    computed(
        "06",
        "1,000 tokens/s per GPU at 1.73 kW all-in per GPU is 578,035 tokens/s per megawatt",
        ["578,035"],
        lambda: f"{ie.tokens_per_s_per_mw(1000, 1.73):,.0f}",
    ),
    computed(
        "06",
        "a GPU bought for USD 30,000 and paid off over 4 years at 0% costs USD 0.856 per hour",
        ["USD 0.856"],
        lambda: f"USD {ie.owned_usd_per_gpu_hour(30_000, 4, cost_of_capital=0.0):.3f}",
    ),
    computed(
        "06",
        "selling at USD 0.60 per million tokens at 1,000 tokens/s earns USD 2.16 per hour",
        ["USD 2.16"],
        lambda: f"USD {ie.revenue_usd_per_gpu_hour(1000, 0.60):.2f}",
    ),
    computed(
        "06",
        # hours in a year: the package's constant (365 days)
        "/ 8760$ (and $P/(8760\\,n)$",
        ["8760"],
        lambda: f"{ie.HOURS_PER_YEAR:.0f}",
    ),
    computed(
        "06",
        'NVIDIA\'s "USD 5 million in, USD 75 million out" claim',
        ["USD 5 million", "USD 75 million"],
        lambda: _nvl72_claim()[:2],
        source="NVIDIA",
    ),
    computed(
        "06",
        '## 5 · NVIDIA\'s "15x return", rebuilt',
        ["15x"],
        lambda: _nvl72_claim()[2],
        source="NVIDIA",
    ),
    computed(
        "06",
        'NVIDIA writes that "a USD 5 million investment in an NVIDIA GB200 NVL72 system can '
        'generate USD 75 million in token revenue", a 15x return',
        ["USD 5 million", "USD 75 million", "15x"],
        _nvl72_claim,
        source="NVIDIA",
    ),
    computed(
        "06",
        "NVIDIA's figure behind it is DeepSeek-R1 with 8K-token inputs and 1K-token outputs, "
        '"up to 10,000 TPS/GPU ... at 50 TPS per user", over three years',
        ["10,000", "50", "three"],
        lambda: (
            f"{_assumption()['nvidia_nvl72_tokens_per_s_per_gpu']:,.0f}",
            f"{_assumption()['nvidia_nvl72_tokens_per_s_per_user']:.0f}",
            _word(_assumption()["nvidia_nvl72_years"]),
        ),
        source="NVIDIA",
    ),
    computed(
        "06",
        "So the claim holds if every one of those tokens, prompt and output alike, sells for about "
        "USD 1.10 per million around the clock for three years, or for twice that at half "
        "utilisation",
        ["USD 1.10", "three", "twice"],
        _nvl72_needs,
    ),
    computed(
        "06",
        "with up to 8-way tensor parallelism",
        ["8-way"],
        lambda: (
            f"{max(inspect.signature(ie.throughput_frontier).parameters['tensor_parallel_sizes'].default)}-way"
        ),
    ),
    computed(
        "06",
        "Prompt and output tokens together come to 26% of NVIDIA's 10,000 per second per GPU; "
        "output tokens alone are 3% of it",
        ["26% of", "10,000", "3%"],
        _r1_against_claim,
        source="NVIDIA",
    ),
    computed(
        "06",
        "three years of revenue are between 1x and 3x the USD 5 million, short of NVIDIA's 15x",
        ["1x", "3x", "USD 5 million", "15x"],
        _r1_revenue,
        source="NVIDIA",
    ),
    computed(
        "06",
        "that is about USD 9.91 per million output tokens at full utilisation with the prompt "
        "free. DeepSeek lists R1 at USD 2.19 per million output tokens and USD 0.55 per million "
        "input tokens (genai-prices' snapshot, priced at noon UTC, outside DeepSeek's off-peak "
        "hours), so a request of that shape bills USD 6.59 per million output tokens, input "
        "included: the claim needs one and a half times DeepSeek's own list price",
        ["USD 9.91", "USD 2.19", "USD 0.55", "USD 6.59", "one and a half times"],
        _claim_in_output_prices,
    ),
    computed(
        "06",
        "over the NVL72's 72 GPUs",
        ["72 GPUs"],
        lambda: f"{_assumption()['nvidia_nvl72_n_gpus']:.0f} GPUs",
        source="NVL72",  # the product page is the source (data/factory_assumptions.csv)
    ),
    computed(
        "06",
        # a heading cannot name the sources; the sentences under it do
        "## 6 · Energy per query: 0.3 Wh, 0.24 Wh, and the serving model",
        ["0.3 Wh", "0.24 Wh"],
        lambda: (_epoch_wh(), _google_wh()),
    ),
    computed(
        "06",
        "Epoch AI estimated that a typical ChatGPT (GPT-4o) query uses about 0.3 Wh (February "
        "2025, a **published estimate**): 100 billion active parameters, 500 output tokens, two "
        "FLOPs per parameter per token, an H100 at 989 TFLOP/s reaching 10% of it, 1,275 W of "
        "server power per GPU drawn at 70%, and a PUE of 1.2",
        [
            "0.3 Wh",
            "100 billion",
            "500 output tokens",
            "two FLOPs",
            "989 TFLOP/s",
            "10%",
            "1,275 W",
            "70%",
            "1.2",
        ],
        _epoch_assumptions,
        source="Epoch AI",
    ),
    computed(
        "06",
        "Google measured 0.24 Wh for the median Gemini Apps text prompt in May 2025 (a "
        "**measurement**, arXiv:2508.15734), of which 58% was drawn by the TPUs",
        ["0.24 Wh", "58%"],
        lambda: (_google_wh(), _pct(100 * _assumption()["google_gemini_share_accelerator"])),
        source="Google",
    ),
    computed(
        "06",
        "the same 500-token answer as Epoch's",
        ["500"],
        lambda: f"{_assumption()['epoch_query_output_tokens']:.0f}",
        source="Epoch",
    ),
    computed(
        "06",
        "each with fewer active parameters than Epoch's assumed 100 billion: Llama-3.1-70B, "
        "dense, and DeepSeek-V3, a mixture of experts with 37B active parameters",
        ["fewer", "100 billion", "37B"],
        _fewer_active,
        source="Epoch",
    ),
    computed(
        "06",
        "The host share follows Epoch's accounting (the 575 W of a DGX H100's 1,275 W per GPU "
        "that are not the GPU, drawn at 70%), and the PUE is 1.2",
        ["575 W", "1,275 W", "70%", "1.2"],
        _host_share,
        source="Epoch",
    ),
    computed(
        "06",
        "Epoch assumes 10% of peak FLOP/s and 70% of rated power",
        ["10%", "70%"],
        lambda: (
            _pct(100 * _assumption()["epoch_query_flop_utilisation"]),
            _pct(100 * _assumption()["epoch_query_power_fraction"]),
        ),
        source="Epoch",
    ),
    computed(
        "06",
        "so a query costs more than a Wh on the board",
        ["more than a Wh"],
        _board_at_batch_1,
    ),
    computed(
        "06",
        "has fallen by more than an order of magnitude (less steeply for the mixture of experts",
        ["more than an order of magnitude", "less steeply"],
        _fall_to_batch_256,
    ),
    computed(
        "06",
        "At the largest batches shown both models land below Epoch's estimate; at batch 1 they "
        "are far above both published figures",
        ["below", "far above"],
        _against_published,
    ),
    computed(
        "06",
        "for Google, idle machines kept ready for peaks (10% of its total)",
        ["10%"],
        lambda: _pct(100 * _assumption()["google_gemini_share_idle"]),
        source="Google",
    ),
    computed(
        "06",
        "NVIDIA's launch material for Blackwell (March 2024) says a GB200 NVL72 \"reduces cost "
        'and energy consumption by up to 25x"',
        ["25x"],
        lambda: f"{_assumption()['nvidia_blackwell_cost_energy_factor']:.0f}x",
        source="NVIDIA",
    ),
    computed(
        "06",
        "The AI Index 2025 (Stanford HAI) reports that ML hardware costs have fallen about 30% a "
        "year and energy efficiency has risen about 40% a year",
        ["30%", "40%"],
        lambda: (
            _pct(100 * _published("ai_index_2025_hardware_cost_decline").value),
            _pct(100 * _published("ai_index_2025_energy_efficiency_gain").value),
        ),
        source="AI Index",
    ),
    computed(
        "06",
        "holds 50 accelerators from 2012 to 2025",
        ["50", "2012", "2025"],
        lambda: (
            f"{len(_accelerators())}",
            f"{_accelerators()['release_date'].min().year}",
            f"{_accelerators()['release_date'].max().year}",
        ),
    ),
    computed(
        "06",
        "a fit at FP32 covers the most chips over the longest span",
        ["the most chips over the longest span"],
        _fp32_span,
    ),
    computed("06", "(FP4 has too few priced chips to fit at all)", ["too few"], _fp4_price_fits),
    computed(
        "06",
        "The fits here are slower than the AI Index's rates on every choice in the table",
        ["slower"],
        _fits_against_ai_index,
        source="AI Index",
    ),
    computed(
        "06",
        "the explorer shows each fit with its 90% interval",
        ["90%"],
        lambda: _pct(
            100 * inspect.signature(ie.fit_hardware_trend).parameters["confidence"].default
        ),
    ),
    # 07 · why prices fell
    computed(
        "07",
        "the AI Index 2025's over 280-fold fall",
        ["280"],
        lambda: f"{_published('ai_index_2025_gpt35_fold').value:.0f}",
        source="AI Index",
    ),
    # 08 · plan a deployment
    computed(
        "08",
        "10 million requests a day peaking at 14:30 at 1.9 times the mean, a first token within "
        "1 s and then at most 50 ms per token, for 90% of requests",
        ["10", "14:30", "1.9", "1 s", "50 ms", "90%"],
        _scenario_words,
    ),
    computed(
        "08",
        "in three precisions, 1,008 configurations",
        ["1,008"],
        lambda: f"{len(ie.plan_search_grid(_SIX_GPUS, ('bf16', 'fp8', 'fp4'), full=True)):,}",
    ),
    computed(
        "08",
        "with chunked prefill and a 2,048-token budget, 9 GPUs at peak, $964 a day, $0.454 per "
        "million output tokens",
        ["2,048", "9", "$964", "$0.454"],
        lambda: (
            f"{_scenario_plan()['max_batch_tokens']:,.0f}",
            f"{_scenario_plan()['peak_gpus']:.0f}",
            f"${_scenario_plan()['usd_per_day']:.0f}",
            f"${_scenario_plan()['usd_per_mtok_output']:.3f}",
        ),  # fmt: skip
    ),
    computed(
        "08",
        "is 13% on the A100 and 17% on the H100 (calibrated), and for the B200 an extrapolation of "
        "36%",
        ["13%", "17%", "36%"],
        lambda: tuple(
            f"{ie.calibration_band(g).rel_error:.0%}"
            for g in ("A100-80GB-SXM", "H100-SXM", "B200-HGX")
        ),  # fmt: skip
    ),
    computed(
        "08",
        "more than the transfer rule's stated 21%",
        ["21%"],
        lambda: f"{ie.OPERATOR_TRANSFER['B200-HGX'][2]:.0f}%",
    ),
    computed(
        "06",
        "the band takes that error: 36% on the B200, 47% on the MI300X",
        ["36%", "47%"],
        lambda: tuple(f"{ie.calibration_band(g).rel_error:.0%}" for g in ("B200-HGX", "MI300X")),
    ),
    computed(
        "06",
        "(`data/moe_serving_sweeps.csv`: 402 load levels",
        ["402"],
        lambda: f"{len(ie.load_moe_serving_sweeps())}",
    ),
    computed(
        "06",
        "whose engine (SGLang's ROCm build) takes 1.8 times the model's step at equal batch",
        ["1.8"],
        lambda: (
            f"{ie.engine_step_factors(ie.load_moe_serving_sweeps(), (1024, 8192))['MI300X']:.1f}"
        ),
    ),
    computed(
        "06",
        "on the rows with 8,192 output tokens",
        ["8,192"],
        lambda: f"{_kwdefault(ie.viz.frontier_check_figure, 'fit_shape')[1]:,}",
    ),
    computed(
        "06",
        "whose ROCm MoE and attention kernels took 1.8 times the model's step at equal batch",
        ["1.8"],
        lambda: f"{1 / (1 - ie.ENGINE_STEP_ERRORS['MI300X'][0] / 100):.1f}",
    ),
]

PUBLISHED = [
    published(
        "01",
        "a different fitted slope (printed below) from Epoch AI's 15.8x per year on its own series",
        ["15.8x"],
        "Epoch AI",
    ),
    published(
        "04",
        "At Gopher's budget of $5.76 \\times 10^{23}$ FLOPs, Chinchilla's Figure 4 caption "
        "(Hoffmann et al. 2022) says the optimum is **40B** parameters",
        ["5.76 \\times 10^{23}", "40B"],
        "Hoffmann et al. 2022",
    ),
    published("04", "close to Chinchilla's rule of thumb of 20", ["20"], "Chinchilla"),
    published(
        "04",
        "Kaplan et al.'s law, fitted on smaller models trained without learning-rate schedules "
        "tuned to each run length, put most of a budget into parameters "
        "($N_\\text{opt} \\propto C^{0.73}$)",
        ["0.73"],
        "Kaplan et al.",
    ),
    published(
        "04",
        "Sardana et al.'s worked example, a target loss of 1.947 with $2 \\times 10^{12}$ "
        "inference tokens",
        ["1.947", "2 \\times 10^{12}"],
        "Sardana et al.",
    ),
    published(
        "06",
        "NVIDIA's figure behind it is DeepSeek-R1 with 8K-token inputs and 1K-token outputs",
        ["8K", "1K"],
        "NVIDIA",
    ),
    published(
        "06",
        "InferenceMAX's standard request shapes (1K/1K, 1K/8K and 8K/1K tokens in/out",
        ["1K/1K", "1K/8K", "8K/1K"],
        "InferenceMAX",
    ),
    published(
        "06",
        "Epoch's own data insights say hardware at a given precision gets about 30% cheaper per "
        "FLOP/s each year",
        ["30%"],
        "Epoch",
    ),
    # 07 · why prices fell
    published("07", "On a16z's lower frontier (MMLU at least 42)", ["42"], "a16z"),
]

GIVEN = [
    given(
        "02",
        "within 4.6% (A100), 6.0% (A40) and 6.8% (H100) at the median; fitted on two GPUs it "
        "predicts the third within 5.3% to 7.7%",
        "the GEMM model's leave-one-model-out and leave-one-GPU-out medians printed by "
        "benchmarks/operator_fidelity.py (make bench) on 2026-12-06; a refit takes 11 s, so "
        "tests/unit/test_operator_times.py guards each GPU's median below its limit instead",
    ),
    given("02", "on 8-GPU A100 and H100 nodes", "the measured nodes' size (Vidur's profiles)"),
    given("06", "on single 8-GPU nodes", "the measured nodes' size (InferenceX's single nodes)"),
    given(
        "08",
        "predicts the third within 5.3% to 7.7% at the median (notebook 02)",
        "notebook 02's leave-one-GPU-out medians (benchmarks/operator_fidelity.py), given there",
    ),
    given("08", "over four years at 10% capital", "the explorer's stated ownership assumption"),
    given("08", "Splitwise; CC BY 4.0", "a licence's name"),
    given("08", "(CC BY 4.0)", "a licence's name"),
    given("02", "Its six constants per GPU", "OperatorEfficiency's fitted fields"),
    given("01", "Gemini 1.5 Flash-8B", "a model's name"),
    given("01", "its 90% confidence interval", "the interval's level (Epoch AI's choice)"),
    given("01", "the 90% band of its slope", "the band's level"),
    given("01", "$\\log_{10}(\\text{price}) = a + s\\,t$", "formula"),
    given("01", "$10^{-s}$", "formula"),
    given("01", "$R^2$", "formula"),
    given("01", "$12 \\log_{10} 2 / (-s)$", "formula: months per year, halving"),
    given("01", "or to 0 (output only)", "a control setting"),
    given("02", "$1/\\text{step}$", "formula"),
    given("02", "about $2N$ FLOPs per prompt token", "2 FLOPs per parameter: definition"),
    given("02", "Decode does $2N$ FLOPs per sequence", "2 FLOPs per parameter: definition"),
    given("02", "(say TTFT < 1 s and TPOT < 50 ms)", "example latency targets"),
    given("02", "At batch 1,", "the example's input"),
    given("02", "$\\pi = \\min(1, \\text{blocks}/(s \\cdot \\text{SMs}))$", "formula"),
    given("02", "(`max_over_ceiling` below 1)", "a ratio's bound"),
    given("02", "With efficiency 1 and no overhead", "the ceiling's definition"),
    # 03 · goodput
    given("03", "(the M/D/1 queue)", "the queue's name (Kendall's notation)"),
    given("03", "(M/M/1), and Little's law", "a queue's name (Kendall's notation)"),
    given("03", "here is one M/D/1 run", "a queue's name (Kendall's notation)"),
    given("03", "$W = \\rho s / (2(1-\\rho))$", "formula (Pollaczek-Khinchine)"),
    given("03", "(efficiency 1, no overhead)", "the ceiling's definition"),
    given("03", "a batch-1 decode step", "the floor's definition"),
    given("03", "DistServe (Zhong et al. 2024, OSDI '24,", "a citation"),
    given("04", "$C \\approx 6ND$", "formula (6 FLOPs per parameter per token)"),
    given(
        "04",
        "$$N_\\text{opt} = G \\left(\\frac{C}{6}\\right)^{a}, \\quad D_\\text{opt} = G^{-1} "
        "\\left(\\frac{C}{6}\\right)^{b}, \\quad G = \\left(\\frac{\\alpha A}{\\beta B}\\right)"
        "^{\\frac{1}{\\alpha+\\beta}}",
        "formula (Hoffmann et al. 2022, Eq. 4)",
    ),
    given("04", "$6 N D_\\text{train} + 2 N D_\\text{inference}$", "formula"),
    given(
        "04",
        "the quality of a Chinchilla-optimal 13B model, for $2 \\times 10^{12}$ tokens served",
        "the example's inputs",
    ),
    given("05", "1 - \\binom{n-c}{k}", "formula"),
    given("05", "a binary vote with $p = 0.6$ over 5 samples", "the example's inputs"),
    given("05", "three answers at 0.4/0.3/0.3", "the example's inputs"),
    given("05", "easy ($p = 0.9$) and hard ($p = 0.4$)", "the example's inputs"),
    given("05", "near $p = 0$", "a point on the axis"),
    given("05", "$K = M + 3(M-1)/R$", "formula (Snell et al. 2024, Sec. 7)"),
    given("05", "$M = 14$, $R = 0.16$", "the example's inputs"),
    # 06 · AI factory
    given(
        "06",
        "$$\\text{USD per million tokens} = \\frac{H}{3600\\,T\\,u}\\times 10^{6}.$$",
        "formula (seconds per hour, tokens per million)",
    ),
    given("06", "The idle hours $1-u$", "formula"),
    given("06", "$H = P\\,\\frac{r}{1-(1+r)^{-n}}", "formula (annuity)"),
    given("06", "at $r = 0$", "the zero-rate case of the formula"),
    given(
        "06",
        "$P_\\text{board}\\,\\text{PUE}/T \\times 10^6 / 3.6\\times10^{6}$ kWh",
        "formula (tokens per million, joules per kWh)",
    ),
    given("06", "USD 2.00 per GPU-hour at 1,000 tokens/s", "the worked example's inputs"),
    given("06", "at 50% utilisation", "the worked example's input"),
    given("06", "700 W at 1,000 tokens/s", "the worked example's inputs"),
    given("06", "with a PUE of 1.2", "the worked example's input"),
    given("06", "at USD 0.08 per kWh", "the worked example's input"),
    given("06", "1,000 tokens/s per GPU at 1.73 kW all-in per GPU", "the worked example's inputs"),
    given(
        "06",
        "bought for USD 30,000 and paid off over 4 years at 0%",
        "the worked example's inputs",
    ),
    given(
        "06",
        "selling at USD 0.60 per million tokens at 1,000 tokens/s",
        "the worked example's inputs",
    ),
    given(
        "06", "With 8K tokens in and 1K out", "NVIDIA's request shape, quoted with its source above"
    ),
    given("06", "at 8K in and 1K out", "NVIDIA's request shape, the cell's inputs"),
    given("06", "At the claim's own shape, 8K in and 1K out", "NVIDIA's shape, quoted above"),
    given("06", "(after a short 100-token prompt)", "the example's input"),
    given("06", "at batch 1", "a batch size of the cell above"),
    given("06", "by batch 256", "a batch size of the cell above"),
    given("06", "CC BY 4.0", "a licence's name"),
    given("06", "the 16-bit, FP8 and FP4 tensor formats", "number formats' names"),
    # 07 · why prices fell
    given("07", "with 90% intervals", "the intervals' level"),
    given("07", "shows each factor's 90% interval", "the interval's level"),
    given("07", "Gemini 1.5 Flash-8B", "a model's name"),
    given("07", "Llama 3.2 3B", "a model's name"),
    given("07", "Above 1, the price fell more than the cost", "a fold's no-change value"),
    given("07", "below 1, less", "a fold's no-change value"),
    given("07", "held at 1", "a fold's no-change value (the forward look's assumption)"),
    given("07", "a residual above 1", "a fold's no-change value"),
    given("07", "CC BY 4.0", "a licence's name"),
]

TABLE = COMPUTED + PUBLISHED + GIVEN


# --------------------------------------------------------------------------------------------
# What is not a quantity
# --------------------------------------------------------------------------------------------

NUMBER = re.compile(r"(?<![\d.])\d+(?:,\d{3})*(?:\.\d+)?")
NOT_A_QUANTITY = [
    re.compile(r"^```.*?^```", re.M | re.S),  # fenced code
    re.compile(r"`[^`\n]*`"),  # inline code
    re.compile(r"^#+\s+\d+\s+·", re.M),  # "## 3 · ..." section headings
    re.compile(r"^\s*\d+\.\s", re.M),  # ordered-list markers
    re.compile(r"\b\d{4}-\d{2}-\d{2}\b"),  # dates
    re.compile(r"arXiv:?\s*\d{4}\.\d{4,5}"),  # arXiv ids
    # references to notebooks, sections, figures, tables, equations
    re.compile(
        r"(?i)\b(?:notebooks?|sections?|figure|fig\.|table|eq\.|equation|approach)\s+\d+(\.\d+)?"
    ),
]
YEAR = re.compile(r"^(?:19[5-9]\d|20[0-3]\d)$")
NAME_CHARS = re.compile(r"[\w.\-]")


def _masked(text: str) -> str:
    """``text`` with everything that is not a quantity blanked (same length)."""
    for pattern in NOT_A_QUANTITY:
        text = pattern.sub(lambda m: " " * len(m.group(0)), text)
    return text


def _in_a_name(text: str, start: int) -> bool:
    """The number at ``start`` is part of a name (GPT-3.5, H100, Llama-3.1-8B, bf16, v4.1)."""
    i = start
    while i > 0 and NAME_CHARS.match(text[i - 1]):
        i -= 1
    return text[i].isalpha()


def _covered(nb: str, text: str) -> np.ndarray:
    """Characters of one markdown cell accounted for by the tables."""
    mask = np.zeros(len(text), dtype=bool)
    for entry in TABLE:
        if entry.notebook != nb:
            continue
        for m in re.finditer(re.escape(entry.phrase), text):
            if not entry.stated:  # GIVEN: the whole phrase
                mask[m.start() : m.end()] = True
            for s in entry.stated:
                for k in re.finditer(re.escape(s), entry.phrase):
                    mask[m.start() + k.start() : m.start() + k.end()] = True
    return mask


def _unaccounted(nb: str, cells: tuple[str, ...] | None = None) -> list[str]:
    found = []
    for text in _markdown(nb) if cells is None else cells:
        scan, covered = _masked(text), _covered(nb, text)
        for m in NUMBER.finditer(scan):
            if covered[m.start() : m.end()].all() or _in_a_name(text, m.start()):
                continue
            if YEAR.match(m.group(0)):
                continue
            found.append(f"{m.group(0)!r} in ...{text[max(0, m.start() - 50) : m.end() + 30]}...")
    return found


# --------------------------------------------------------------------------------------------
# The tests
# --------------------------------------------------------------------------------------------


def test_there_are_sources_and_every_one_is_checked():
    assert [p.name[:2] for p in SOURCES] == sorted({e.notebook for e in TABLE})


@pytest.mark.parametrize("entry", TABLE, ids=lambda e: e.id)
def test_phrase_is_in_the_markdown(entry):
    cells = _markdown(entry.notebook)
    assert any(entry.phrase in c for c in cells), (
        f"not in {_source(entry.notebook).name} any more: {entry.phrase!r}; "
        "update tests/notebooks/test_prose_numbers.py with the prose"
    )
    for s in entry.stated:
        assert s in entry.phrase, (s, entry.phrase)
    if entry.source:
        assert entry.source in entry.phrase, f"the phrase must name its source {entry.source!r}"
        # one sentence: no full stop followed by a new sentence inside the phrase
        assert not re.search(r"[a-z0-9)*][.!?]\s+[A-Z]", entry.phrase), entry.phrase


@pytest.mark.parametrize("entry", COMPUTED, ids=lambda e: e.id)
def test_computed_number_matches_the_prose(entry):
    value = entry.value()
    value = (value,) if isinstance(value, str) else tuple(value)
    assert value == entry.stated, (
        f"{_source(entry.notebook).name} states {entry.stated} in {entry.phrase!r}, "
        f"the package now gives {value}"
    )


def test_every_entry_is_computed_published_or_given():
    for e in COMPUTED:
        assert e.value is not None and e.stated, e
    for e in PUBLISHED:
        assert e.value is None and e.source and e.stated, e
    for e in GIVEN:
        assert e.value is None and e.why and not e.stated, e


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_every_number_in_the_prose_is_accounted_for(path):
    missing = _unaccounted(path.name[:2])
    assert not missing, (
        "numbers in the prose that are neither computed, published with a source, nor given "
        "(add them to a table in tests/notebooks/test_prose_numbers.py, or print them from a "
        "cell and drop them from the prose):\n" + "\n".join(missing)
    )


def test_the_scanner_finds_an_unchecked_number():
    """The check can fail: a number added to the prose is reported; names and years are not."""
    cells = (*_markdown("02"), "Since 2024 decode on an H200 reaches 91% of peak.")
    found = _unaccounted("02", cells)
    assert len(found) == 1 and found[0].startswith("'91'"), found
