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
            f"{_ceiling_8b().tokens_per_s_total:.0f}",
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
    computed(
        "03",
        "The KV cache is paged in blocks of 16 tokens",
        ["16"],
        lambda: f"{ie.BLOCK_TOKENS}",
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
]

GIVEN = [
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
    given("02", "\\frac{2 N_\\text{active}\\,(T + T_{1/2})}{P\\,e_c}", "formula (linear layers)"),
    given("02", "$e_c\\,T/(T + T_{1/2})$", "formula (GEMM share of peak)"),
    given("02", "$\\pi = \\min(1, \\text{blocks}/(s \\cdot \\text{SMs}))$", "formula"),
    given("02", "(`max_over_ceiling` below 1)", "a ratio's bound"),
    given("02", "With efficiency 1 and no overhead", "the ceiling's definition"),
    # 03 · goodput
    given("03", "(the M/D/1 queue)", "the queue's name (Kendall's notation)"),
    given("03", "(M/M/1); here is one M/D/1 run", "queue names (Kendall's notation)"),
    given("03", "$W = \\rho s / (2(1-\\rho))$", "formula (Pollaczek-Khinchine)"),
    given("03", "(efficiency 1, no overhead)", "the ceiling's definition"),
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
