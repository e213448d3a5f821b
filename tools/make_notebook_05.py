"""Generate notebooks/05_test_time_compute.ipynb (narrative in reviewable form; the committed
notebook carries no outputs)."""

from nbgen import code, md, write_notebook

cells = [
    md(
        "# 05 · Test-time compute: when more samples beat a bigger model\n\n"
        "The third scaling law: instead of a bigger model, spend more compute *at inference* "
        "to try several answers and keep the best. It works, and it costs. In this notebook "
        "you will:\n"
        "1. estimate pass@k without bias (Chen et al. 2021) and see coverage climb as a power "
        "law in samples on real repeated-sampling data (Brown et al. 2024, Pythia on MATH);\n"
        "2. see why **coverage**, **best-of-N with a verifier** and **majority voting** part "
        "ways as samples grow, and where each stalls;\n"
        "3. price the trade: accuracy per dollar of a small model sampled many times against a "
        "big model sampled once, with the break-even marked;\n"
        "4. do Snell et al.'s FLOPs-matched sum: how much more inference a smaller model may "
        "run for the same total compute;\n"
        "5. see what reasoning tokens do to the cost of an answer."
    ),
    code(
        "# Parameters: edit and re-run, or let the report build inject its own.\n"
        "INTERACTIVE = True  # live ipympl figures; the report build sets False\n"
        "EXPORT_DIR = None  # folder for exported figures (the report build sets it)\n"
        "# Per-problem counts (model, problem_idx, n_samples, n_correct); None or a missing\n"
        "# file falls back to simulated counts. Relative to this notebook's folder.\n"
        "COUNTS_CSV = (\n"
        '    "../../shared/reference/schaeffer-monkeys-pythia-math/per_problem_counts.csv"\n'
        ")\n"
        "SMALL_PASS1_PCT = 15.0  # small model's mean single-sample accuracy (%)\n"
        "BIG_ACCURACY_PCT = 40.0  # big model's single-sample accuracy (%)",
        metadata={"tags": ["parameters"]},
    ),
    code(
        "from pathlib import Path\n\nimport inferecon as ie\n\n"
        "ie.viz.setup_notebook(interactive=INTERACTIVE)"
    ),
    md(
        "## 1 · pass@k, done right\n\n"
        "Draw n samples per problem, count the c correct ones, and estimate the chance that k "
        "attempts contain a correct one: `ie.pass_at_k(n, c, k)` = 1 − C(n−c, k)/C(n, k), "
        "computed stably and for every k at once. Chen et al.'s worked examples:"
    ),
    code(
        "print(ie.pass_at_k(10, 3, 5), 11 / 12)  # 1 - C(7,5)/C(10,5)\n"
        "print(ie.pass_at_k(200, 10, 10))  # 0.4085478661\n"
        "ie.pass_at_k(10_000, 5, [1, 10, 100, 1000, 10_000])"
    ),
    md(
        "## 2 · Coverage on real data: a power law in samples\n\n"
        "Brown et al. (2024, *Large Language Monkeys*) sampled 10,000 answers per MATH problem "
        "from each Pythia model. Coverage, the share of problems solved by at least one of k "
        "samples, climbs from 0.27% at k = 1 to 57% at k = 10,000 for Pythia-160M, and follows "
        "coverage ≈ exp(a·k^b). Point `COUNTS_CSV` at your own per-problem counts to redo this "
        "for your model; without a file the explorer uses clearly labelled simulated counts."
    ),
    code(
        "counts_path = Path(COUNTS_CSV) if COUNTS_CSV else None\n"
        "if counts_path is not None and counts_path.is_file():\n"
        "    counts = ie.load_sampling_counts(counts_path)\n"
        '    source = "Brown et al. 2024 (Large Language Monkeys), Pythia on MATH: " \\\n'
        '        "128 problems x 10,000 samples per model"\n'
        "else:\n"
        "    counts, source = None, None  # simulated stand-in\n"
        "coverage_ex = ie.viz.CoverageDataExplorer(counts, source=source)\n"
        "coverage_ex.show()"
    ),
    code(
        "# the fitted (a, b) per model: b < 0 everywhere; bigger models have steeper exponents\n"
        "{m: (round(f.a, 3), round(f.b, 3)) for m, f in coverage_ex.fits.items()}"
    ),
    md(
        "## 3 · Coverage, verifiers and votes part ways\n\n"
        "Coverage assumes an oracle that recognises a correct answer. Real selection is "
        "weaker:\n"
        "- **Best-of-N with a verifier** keeps one answer the verifier accepts. A verifier that "
        "accepts wrong answers at some rate caps accuracy at the share of accepted answers "
        "that are right, however many samples you draw.\n"
        "- **Majority voting** (self-consistency) keeps the most common answer. It converges "
        "to the share of problems the model gets right *more often than not*: problems it "
        "solves rarely are lost for good, and hard problems can make accuracy fall with N.\n\n"
        "Per-problem difficulty follows a Beta(α, β) distribution (right panel). A small α "
        "puts many problems near p = 0, which gives the power-law coverage of section 2."
    ),
    code("strategies = ie.viz.SamplingStrategiesExplorer()\nstrategies.show()"),
    md(
        "The exact vote arithmetic is in the package: a binary vote with p = 0.6 over 5 "
        "samples is right 68.3% of the time; with three answers at 0.4/0.3/0.3 the plurality "
        "vote still climbs; a mixture of easy (p = 0.9) and hard (p = 0.4) problems rises and "
        "then falls:"
    ),
    code(
        "print(ie.majority_vote_accuracy(0.6, 5))  # 0.68256\n"
        "votes = [ie.plurality_vote_accuracy([0.4, 0.3, 0.3], n) for n in (1, 5, 15, 45)]\n"
        "print([round(v, 3) for v in votes])\n"
        "n = [1, 5, 25, 101]\n"
        "0.5 * ie.majority_vote_accuracy(0.9, n) + 0.5 * ie.majority_vote_accuracy(0.4, n)"
    ),
    md(
        "## 4 · Many cheap samples or one expensive answer?\n\n"
        "A small model at a low price per token, sampled N times with a verifier, against a "
        "big model answering once. The green curve is the small model's accuracy against the "
        "dollars it spends per problem; the star is the big model. Where the curve crosses the "
        "star's height is the **break-even**. The purple diamond marks Snell et al.'s "
        "FLOPs-matched budget: a model M times smaller, trained on the same data, may run "
        "K = M + 3(M−1)/R times the inference for the same total FLOPs, where R is inference "
        "tokens over pretraining tokens (M = 14, R = 0.16 gives K = 257.75)."
    ),
    code(
        "cost = ie.viz.CostBreakEvenExplorer(small_pass1_pct=SMALL_PASS1_PCT,\n"
        "                                    big_accuracy_pct=BIG_ACCURACY_PCT)\n"
        "cost.show()"
    ),
    code("ie.compute_matched_inference_multiplier(14, 0.16)  # Snell et al. 2024, Section 7"),
    md(
        "## 5 · Reasoning tokens: cheap tokens, dear answers\n\n"
        "Reasoning models spend their extra compute inside one answer. Their per-token prices "
        "look ordinary (o3 fell from \\$10/\\$40 to \\$2/\\$8 per million tokens in June 2025), "
        "but they emit many more tokens per task. Measured tokens per task, with sources "
        "(`data/reasoning_tokens.csv`):"
    ),
    code(
        "tokens = ie.load_reasoning_tokens()\n"
        'tokens[["model", "task", "output_tokens_per_task", "reasoning", "measured_by"]]'
    ),
    code(
        "# list price of one answer: o3 after the June 2025 cut vs GPT-4o-class output\n"
        "prices = ie.load_prices()\n"
        'is_o3 = prices["model"].str.startswith("o3") & ~prices["model"].str.contains("mini")\n'
        "o3 = prices[is_o3]\n"
        'o3 = o3.sort_values("price_date").iloc[-1]\n'
        "per_answer = ie.usd_per_sample(output_tokens=13_000, "
        'output_usd_per_mtok=o3["output_usd_per_mtok"])\n'
        'print(f"{o3.model} ({o3.price_date:%b %Y}): ${per_answer:.3f} for a 13,000-token answer")'
    ),
    md(
        "## 6 · Published results\n\n"
        "The headline numbers behind this notebook, as data with sources "
        "(`data/test_time_results.csv`): DeepSeek-Coder-V2 on SWE-bench Lite rises from 15.9% "
        "with one sample to 56% with 250; o1 on AIME 2024 from 74% (one sample) to 83% "
        "(consensus of 64)."
    ),
    code(
        "results = ie.load_test_time_results()\n"
        'results[["model", "benchmark", "method", "samples", "score_single_pct", '
        '"score_scaled_pct"]]'
    ),
    md(
        "---\n"
        "Sources: Chen et al. 2021 (arXiv 2107.03374); Brown et al. 2024 (arXiv 2407.21787); "
        "Schaeffer et al. 2025 (arXiv 2502.17578); Wang et al. 2022 (arXiv 2203.11171); "
        "Snell et al. 2024 (arXiv 2408.03314); per-row sources in `data/README.md`. Costs are "
        "list prices, not serving costs.\n\n"
        "The next cell exports the figures when the report build runs this notebook."
    ),
    code(
        "ie.viz.export_figures(\n"
        "    EXPORT_DIR, test_time_strategies=strategies, test_time_cost=cost,\n"
        "    coverage_data=coverage_ex,\n"
        ")"
    ),
]

print(write_notebook(cells, "05_test_time_compute.ipynb"))
