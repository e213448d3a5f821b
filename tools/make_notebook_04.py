"""Generate notebooks/04_scaling_laws.ipynb (narrative in reviewable form; the committed
notebook carries no outputs)."""

from nbgen import code, md, write_notebook

cells = [
    md(
        "# 04 · Scaling laws: compute-optimal models, and why deployed models are smaller\n\n"
        "A model's loss falls predictably with its parameters N and its training tokens D. "
        "That lets a lab choose, for a compute budget, the model that reaches the lowest loss; "
        "and once inference enters the bill, a *smaller* model trained for longer. In this "
        "notebook you will:\n"
        "1. meet the published laws (Kaplan et al. 2020; Hoffmann et al. 2022, *Chinchilla*; "
        "Epoch AI's 2024 replication) and see why the rounding of Chinchilla's constants "
        "matters;\n"
        "2. explore the loss landscape over (N, D), the compute-optimal frontier and where "
        "notable models sit on it;\n"
        "3. add lifetime inference and watch the optimum move (Sardana et al. 2024);\n"
        "4. see what post-training costs next to pre-training;\n"
        "5. fit the law yourself, as Hoffmann et al. did, with bootstrap intervals."
    ),
    code(
        "# Parameters: edit and re-run, or let the report build inject its own.\n"
        "INTERACTIVE = True  # live ipympl figures; the report build sets False\n"
        "EXPORT_DIR = None  # folder for exported figures (the report build sets it)\n"
        'LAW = "epoch_replication"  # a law id from data/scaling_laws.csv\n'
        "# Training runs to fit: Epoch AI's points from Chinchilla's Figure 4 (read in place,\n"
        "# never copied), or your own CSV with n_params, n_tokens (or training_flop), loss.\n"
        "# None or a missing file falls back to clearly labelled simulated runs.\n"
        'RUNS_CSV = "../../shared/reference/epoch-analyzing-chinchilla/svg_extracted_data.csv"\n'
        "BOOTSTRAP = 100  # bootstrap resamples for the fit's intervals",
        metadata={"tags": ["parameters"]},
    ),
    code("import inferecon as ie\n\nie.viz.setup_notebook(interactive=INTERACTIVE)"),
    md(
        "## 1 · The laws, as data\n\n"
        "Hoffmann et al. fit L(N, D) = E + A/N^α + B/D^β (nats per token): E is the loss no "
        "model reaches, the other terms what a finite model and a finite dataset add. Kaplan et "
        "al.'s form is different (and counts N without embeddings), so its constants only work "
        "in its own equation. Every set of constants lives in `data/scaling_laws.csv` with its "
        "source; `ie.get_law` returns it."
    ),
    code(
        "laws = ie.load_scaling_laws()\n"
        'laws[laws["form"] == "chinchilla"].pivot(index="law", columns="parameter", '
        'values="value")'
    ),
    md(
        "## 2 · Compute-optimal allocation, and the rounding story\n\n"
        "Training costs C ≈ 6ND FLOPs. Minimising L at fixed C gives N_opt = G·(C/6)^a and "
        "D_opt = (C/6)^b / G with a = β/(α+β), b = α/(α+β). At Gopher's budget, 5.76e23 "
        "FLOPs, Chinchilla's Figure 4 caption says the optimum is **40B** parameters. The "
        "constants as printed in the paper (α 0.34, β 0.28) give about **32B**; the unrounded "
        "ones from the paper's source give the caption's 40B. Epoch AI's refit of the same "
        "data (α 0.3478, β 0.3658) moves the answer again, to about 72B, with about 18 "
        "tokens per parameter, close to Chinchilla's rule of thumb of 20."
    ),
    code(
        "import pandas as pd\n\n"
        "rows = []\n"
        'for law_id in ["chinchilla_printed", "chinchilla_unrounded", '
        '"epoch_replication", "kaplan2020_joint"]:\n'
        "    n, d = ie.compute_optimal(5.76e23, law_id)\n"
        '    rows.append({"law": law_id, "N_opt (B)": n / 1e9, "D_opt (B tokens)": d / 1e9,\n'
        '                 "tokens per parameter": d / n})\n'
        "pd.DataFrame(rows).round(1)"
    ),
    md(
        "Kaplan et al.'s law, fitted on smaller models trained without learning-rate schedules "
        "tuned to each run length, put most of a budget into parameters (N_opt ∝ C^0.73); "
        "Chinchilla showed that models such as GPT-3 and Gopher were under-trained. The "
        "landscape below shows why: along the budget's iso-FLOP line (red) the loss has a "
        "broad minimum (the right panel), and every notable model is placed by its "
        "parameters and training tokens."
    ),
    code("landscape = ie.viz.LossLandscapeExplorer()\nlandscape.show()"),
    md(
        "### Which models are over-trained, and why\n\n"
        "`ie.compare_to_optimal` puts each model in `data/notable_models.csv` against the "
        "frontier of its own budget. Since 2023 almost every open model is trained on far more "
        "tokens than compute-optimal: Llama-3-8B on 15T tokens, about 10× the optimum for its "
        "compute, giving up a few hundredths of a nat. That is deliberate: a smaller model is "
        "cheaper to serve for every token it will ever generate."
    ),
    code(
        "notable = ie.load_notable_models()\n"
        'cmp = ie.compare_to_optimal(notable["params"], notable["training_tokens"], LAW)\n'
        'table = pd.concat([notable[["name", "release_date"]], cmp.round(3)], axis=1)\n'
        'table.sort_values("overtraining_factor", ascending=False)[\n'
        '    ["name", "release_date", "tokens_per_param", "optimal_tokens_per_param",\n'
        '     "overtraining_factor", "loss_penalty"]\n'
        "]"
    ),
    md(
        "## 3 · Inference-aware scaling: train smaller, longer\n\n"
        "Sardana, Portes, Doubov & Frankle (2024) minimise lifetime compute, 6·N·D_train + "
        "2·N·D_inference, at a fixed loss. Their worked example: a target loss of 1.947 with "
        "2e12 inference tokens is best reached by 24.2B parameters on 2.66T tokens, 71% of "
        "the Chinchilla-optimal parameters and 147% of its tokens, for 95.2% of its lifetime "
        "FLOPs. A 13B Chinchilla-quality model that will serve 2e12 tokens becomes a 7B model "
        "and saves about 17%."
    ),
    code(
        'opt = ie.inference_aware_optimum(1.947, 2e12, "sardana2024")\n'
        '{"N": opt.n_params, "D_train": opt.train_tokens, "params vs Chinchilla": '
        "opt.params_ratio,\n"
        ' "tokens vs Chinchilla": opt.tokens_ratio, "lifetime FLOPs vs Chinchilla": '
        "1 - opt.flops_saving}"
    ),
    md(
        "Move the lifetime inference tokens. Serving costs are not training costs: inference "
        "runs at lower utilisation (notebook 02 shows decode is memory-bound) and often on "
        "different hardware, so the cost of an inference FLOP can be several times a training "
        "FLOP. The cost-ratio slider is Sardana et al.'s cost version; "
        "`ie.usd_per_effective_flop(usd_per_gpu_hour, peak_tflops, mfu)` turns prices and "
        "utilisations into the two rates."
    ),
    code("inference = ie.viz.InferenceAwareExplorer()\ninference.show()"),
    md(
        "## 4 · Post-training is cheap next to pre-training\n\n"
        "The second scaling law of the brief: post-training (instruction tuning, RLHF, "
        "reinforcement learning on reasoning) improves a model for a small fraction of its "
        "pre-training compute. The published numbers, with sources in "
        "`data/post_training.csv`: InstructGPT's RLHF used about 1.7% of GPT-3's pre-training "
        "compute, DeepSeek-V3's post-training 0.2% of its pre-training GPU-hours, and "
        "DeepSeek-R1's reinforcement learning about 5% of V3's training cost. Reasoning "
        "models then spend their extra compute at inference (notebook 05)."
    ),
    code(
        'ie.load_post_training()[["model", "what", "pretraining_amount", '
        '"post_training_amount", "unit",\n'
        '                         "post_training_fraction"]]'
    ),
    md(
        "## 5 · Fit the law yourself\n\n"
        "`ie.fit_scaling_law` is Hoffmann et al.'s Approach 3 as published: a Huber loss "
        "(δ = 1e-3) on log loss, the prediction as a log-sum-exp of the three terms, L-BFGS "
        "from each of a 4,500-point grid of starts, with an analytic gradient and tolerances "
        "tight enough to converge (scipy's defaults stop almost where they start on this "
        "problem). The grid runs as one vectorised batch, a few seconds on a laptop. On "
        "Epoch AI's 240 points from Chinchilla's Figure 4 it reproduces their replication "
        "(E, α, β within 0.4%, A within 1%, B within 3%). Point `RUNS_CSV` at your own runs "
        "to fit them."
    ),
    code(
        "from pathlib import Path\n\n"
        "path = Path(RUNS_CSV) if RUNS_CSV else None\n"
        'if path is not None and path.is_file() and path.name == "svg_extracted_data.csv":\n'
        "    runs = ie.read_epoch_chinchilla(path)  # drops the 5 highest losses, as Epoch did\n"
        '    source = "Epoch AI\'s 240 points from Chinchilla Fig. 4 (Besiroglu et al. 2024)"\n'
        "elif path is not None and path.is_file():\n"
        "    runs, source = ie.load_training_runs(path), str(path)\n"
        "else:\n"
        "    runs, source = None, None  # simulated stand-in\n"
        "fit_ex = ie.viz.ScalingFitExplorer(runs, source=source, bootstrap=BOOTSTRAP)\n"
        "fit = fit_ex.fit\n"
        "fit"
    ),
    code("fit_ex.show()"),
    md(
        "---\n"
        "Sources: Kaplan et al. 2020 (arXiv 2001.08361); Hoffmann et al. 2022 (arXiv "
        "2203.15556); Besiroglu, Erdil, Barnett & You 2024 (arXiv 2404.10102); Sardana, "
        "Portes, Doubov & Frankle 2024 (arXiv 2401.00448); per-row sources in "
        "`data/README.md`.\n\n"
        "The next cell exports the figures when the report build runs this notebook."
    ),
    code(
        "ie.viz.export_figures(\n"
        "    EXPORT_DIR, scaling_landscape=landscape, inference_aware=inference, "
        "scaling_fit=fit_ex\n"
        ")"
    ),
]

print(write_notebook(cells, "04_scaling_laws.ipynb"))
