"""Generate notebooks/01_price_decline.ipynb from this script (the narrative lives here
in reviewable form; the committed notebook carries no outputs)."""

from nbgen import code, md, write_notebook

cells = [
    md(
        "# 01 · The 280-fold fall in LLM inference prices\n\n"
        "The Stanford AI Index 2025 reports that querying a model as capable as GPT-3.5 "
        "(64.8% on MMLU) fell from about **\\$20 to \\$0.07 per million tokens** between "
        "November 2022 and October 2024: **over 280-fold**. Epoch AI, whose data the AI Index "
        "used, finds prices at constant capability falling **9x to 900x per year** depending on "
        'the task; a16z\'s "LLMflation" puts it at **10x per year**.\n\n'
        "In this notebook you will:\n"
        "1. reproduce the \\$20 → \\$0.07 series from the package's own sourced price data;\n"
        "2. fit the decline rate with its 90% confidence interval, the way Epoch AI does;\n"
        "3. move the benchmark, the threshold, the input/output blend and the date window, "
        "and watch the frontier, the fitted rate, the fold change and the halving time move;\n"
        "4. see what these numbers are *not*: list prices rather than costs, and a price that "
        "falls for old capability while the best model's price does not;\n"
        "5. compare open-weight with closed models (the AI Index's 8% → 1.7% gap)."
    ),
    code(
        "# Parameters: edit and re-run, or let the report build inject its own.\n"
        "INTERACTIVE = True  # live ipympl figures; the report build sets False\n"
        "EXPORT_DIR = None  # folder for exported figures (the report build sets it)\n"
        'BENCHMARK = "mmlu"  # mmlu, gpqa_diamond, math_500, math_level_5, humaneval, arena_elo\n'
        "THRESHOLD = 64.8  # minimum score (GPT-3.5's MMLU, the AI Index threshold)\n"
        "INPUT_SHARE = 0.75  # 3 input : 1 output tokens, as Epoch AI and Artificial Analysis\n"
        'AI_INDEX_END = "2024-10-31"  # the AI Index window ends in Oct 2024',
        metadata={"tags": ["parameters"]},
    ),
    code("import inferecon as ie\n\nie.viz.setup_notebook(interactive=INTERACTIVE)"),
    md(
        "## 1 · Reproduce \\$20 → \\$0.07\n\n"
        "`ie.load_prices()` returns the bundled, validated list-price observations "
        "(`data/llm_prices.csv`, one row per model and price change, each with its source). "
        "`ie.cheapest_frontier` keeps the models that score at least the threshold, walks "
        "through them in date order and keeps each one cheaper than all before it: the "
        "successive price lows. Reasoning models are left out, as in Epoch's analysis."
    ),
    code(
        "prices = ie.load_prices()\n"
        "gpt35_level = ie.cheapest_frontier(prices, BENCHMARK, THRESHOLD, "
        "input_share=INPUT_SHARE, end=AI_INDEX_END)\n"
        "gpt35_level"
    ),
    code(
        "first, last = gpt35_level.iloc[0], gpt35_level.iloc[-1]\n"
        "fold = ie.frontier_fold_decline(gpt35_level)\n"
        'print(f"{first.model}: ${first.usd_per_mtok:.2f} ({first.date:%b %Y})  ->  "\n'
        '      f"{last.model}: ${last.usd_per_mtok:.4f} ({last.date:%b %Y})")\n'
        'print(f"fold decline: {fold:.0f}x  (AI Index 2025: over 280x, using $0.07)")\n'
        "years = ie.years_between(first.date, last.date)\n"
        'print(f"annualised: {ie.annualised_factor(fold, years):.1f}x per year")'
    ),
    md(
        "The end point is Gemini 1.5 Flash-8B at \\$0.0375 per million input and \\$0.15 per "
        "million output tokens: blended 3:1 that is \\$0.066, which Epoch and Artificial "
        "Analysis round to \\$0.07 (20 / 0.07 = 286). Our data also holds price cuts Epoch's "
        "does not (GPT-3.5 Turbo's 2023 cuts, Llama hosts), so the frontier has more steps "
        "and a slightly different fitted slope from Epoch's 15.8x/yr.\n\n"
        "## 2 · Fit the rate\n\n"
        "`ie.fit_decline` fits log10(price) against time by least squares (Epoch AI's method) "
        "and reports the factor per year, its 90% confidence interval, R², the halving time "
        "and the number of points."
    ),
    code(
        "fit = ie.fit_decline(gpt35_level)\n"
        "lo, hi = fit.ci90\n"
        'print(f"{fit.factor_per_year:.1f}x per year (90% CI {lo:.1f}-{hi:.1f}), "\n'
        '      f"R² {fit.r_squared:.2f}, halving every {fit.halving_time_months:.1f} months, "\n'
        '      f"n = {fit.n_points}, {fit.start:%b %Y}-{fit.end:%b %Y}")'
    ),
    md(
        "## 3 · Explore: benchmark, threshold, blend and window\n\n"
        "Move the controls. The red steps are the cheapest-model frontier, the dashed blue line "
        "the fitted trend with the 90% band of its slope, and the right panel puts the fitted "
        "rate beside the published ones. Things to try:\n"
        "- **Raise the MMLU threshold** to 86 (GPT-4 level): fewer points, a wider interval.\n"
        "- **Switch to GPQA Diamond or MATH-500**: harder benchmarks show faster declines, the "
        "unequal fall Epoch describes (9x to 900x per year).\n"
        "- **Set the input share to 0.5** (a16z's 1:1 blend) or to 0 (output only): output "
        "tokens cost 2-5x input tokens, so the level moves more than the rate.\n"
        "- **Tick reasoning models**: their per-token prices look similar, but they emit many "
        "hidden tokens per answer.\n\n"
        "**Reset** returns to the AI Index scenario; **Export** writes the figure (SVG, PNG, PDF) "
        "and the plotted data (CSV) to `exports/`, named from the parameters."
    ),
    code(
        "decline = ie.viz.PriceDeclineExplorer(prices, benchmark=BENCHMARK, threshold=THRESHOLD,\n"
        "                                      input_share=INPUT_SHARE)\n"
        "decline.show()"
    ),
    code("# The current scenario, to paste into the parameters cell or re-run:\ndecline.state()"),
    md(
        "## 4 · Beside the published rates\n\n"
        "The package keeps the published headline numbers as data, each with its source "
        "(`data/published_rates.csv`):"
    ),
    code(
        "published = ie.load_published_rates()\n"
        'published[["quantity", "value", "low", "high", "unit", "source"]]'
    ),
    md(
        "## 5 · What these numbers are not\n\n"
        "- **List prices, not costs.** An API price includes margin, and providers price to "
        "win share (DeepSeek-V3's launch promotion, hosted open models sold near cost). The "
        "serving cost of a token is the subject of notebook 02.\n"
        "- **A fixed capability, not the frontier.** The grey dashed line in the explorer is "
        "the price of the best-scoring model available at each date. It does not fall: the "
        "most capable model costs about as much as GPT-4 did in 2023 (GPT-4.5 cost more). "
        "What falls is the price of *yesterday's* capability.\n"
        "- **Per token, not per task.** Reasoning models spend thousands of hidden tokens per "
        "answer; a cheaper token can mean a dearer answer.\n"
        "- **Benchmarks saturate and leak.** An MMLU score of 64.8 in 2024 may not mean what it "
        "meant in 2022 (contamination, prompt formats, maker-reported vs third-party runs: the "
        "datasheet says which each score is).\n\n"
        "## 6 · Open-weight versus closed models\n\n"
        "The AI Index 2025 reports the Chatbot Arena gap between the best closed and the best "
        "open-weight model shrinking from 8.0% (January 2024) to 1.7% (February 2025). The "
        "explorer recomputes it from the priced models in our data (best score to date in each "
        "group) and marks the AI Index's two figures. Our data holds only priced API models, "
        "so the curve is coarser than the full leaderboard, but it tells the same story."
    ),
    code("gap = ie.viz.OpenClosedExplorer(prices)\ngap.show()"),
    md(
        "---\n"
        "Sources: Stanford HAI, *AI Index Report 2025*; Epoch AI, *LLM inference prices have "
        "fallen rapidly but unequally across tasks* (2025-03-12); a16z, *Welcome to LLMflation* "
        "(2024-11-12); per-row price sources in `data/llm_prices.csv` and `data/README.md`.\n\n"
        "The next cell exports the figures when the report build runs this notebook."
    ),
    code("ie.viz.export_figures(EXPORT_DIR, price_decline=decline, open_closed_gap=gap)"),
]

print(write_notebook(cells, "01_price_decline.ipynb"))
