"""Scaling laws and training runs: published laws, notable models, post-training compute, and
loss-vs-size-and-tokens runs (users', Epoch AI's Chinchilla points, Sardana et al.'s)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .validation import Column, Problem, Schema, _load, _pos, _read_text_csv, validate_frame

__all__ = [
    "load_training_runs",
    "read_epoch_chinchilla",
    "TRAINING_RUNS_SCHEMA",
    "load_scaling_laws",
    "load_notable_models",
    "load_post_training",
    "SCALING_LAWS_SCHEMA",
    "NOTABLE_MODELS_SCHEMA",
    "POST_TRAINING_SCHEMA",
    "CHINCHILLA_POINTS_SCHEMA",
    "SARDANA_RUNS_SCHEMA",
    "load_chinchilla_points",
    "load_sardana_runs",
]

_LAW_PARAMETERS = {
    "chinchilla": {"E", "A", "B", "alpha", "beta"},
    "kaplan": {"alpha_N", "N_c", "alpha_D", "D_c"},
    "exponents": {"a", "b"},
}
"""Parameters each functional form of a scaling law needs."""


def _check_laws(df: pd.DataFrame, fname: str) -> list[Problem]:
    """Every law uses one form and has that form's parameters."""
    problems = []
    for law, g in df.groupby("law", sort=False):
        forms = set(g["form"]) & set(_LAW_PARAMETERS)
        if len(set(g["form"])) != 1:
            problems.append(Problem(fname, None, "form", f"law {law!r} mixes forms {forms}"))
            continue
        if not forms:
            continue  # the unknown form is already reported cell by cell
        missing = _LAW_PARAMETERS[forms.pop()] - set(g["parameter"])
        if missing:
            problems.append(
                Problem(fname, None, "parameter", f"law {law!r} lacks {sorted(missing)}")
            )
    return problems


SCALING_LAWS_SCHEMA = Schema(
    name="scaling_laws",
    columns=(
        Column("law", "str", description="law id"),
        Column("form", "str", choices=("chinchilla", "kaplan", "exponents")),
        Column("parameter", "str"),
        Column("value", "float", low=0.0, low_open=True),
        Column("unit", "str"),
        Column("source", "str"),
        Column("source_url", "str"),
        Column("location", "str"),
        Column("notes", "str", nullable=True),
    ),
    key=("law", "parameter"),
    optional=frozenset({"notes"}),
    frame_check=_check_laws,
)


NOTABLE_MODELS_SCHEMA = Schema(
    name="notable_models",
    columns=(
        Column("name", "str"),
        Column("organisation", "str"),
        Column("release_date", "date"),
        _pos("params", "parameters"),
        _pos("training_tokens", "tokens"),
        _pos("training_flop", "FLOP"),
        Column("flop_method", "str", choices=("reported", "6ND")),
        Column("open_weights", "bool"),
        Column("source", "str"),
        Column("source_url", "str"),
        Column("notes", "str", nullable=True),
    ),
    key=("name",),
    optional=frozenset({"notes"}),
)


POST_TRAINING_SCHEMA = Schema(
    name="post_training",
    columns=(
        Column("model", "str"),
        _pos("pretraining_amount", "see unit"),
        _pos("post_training_amount", "see unit"),
        Column("unit", "str"),
        _pos("post_training_fraction", "fraction"),
        Column("what", "str"),
        Column("source", "str"),
        Column("source_url", "str"),
        Column("location", "str"),
        Column("notes", "str", nullable=True),
    ),
    key=("model", "what"),
    optional=frozenset({"notes"}),
    row_checks=(("post_training_amount", "pretraining_amount"),),
)


def load_scaling_laws(path: str | Path | None = None) -> pd.DataFrame:
    """Published scaling-law parameter sets, one row per (law, parameter), with sources.

    ``form`` says which functional form the parameters belong to: ``chinchilla``
    (E + A/N^alpha + B/D^beta), ``kaplan`` (Kaplan et al. 2020, Eq. 1.5) or ``exponents``
    (only the allocation exponents a, b).

    Parameters
    ----------
    path : str or Path, optional
        A CSV in the same schema; the bundled ``data/scaling_laws.csv`` when omitted.

    Returns
    -------
    pandas.DataFrame
        One row per (law, parameter): ``form``, ``value``, ``unit`` and the source
        with its location (table, equation).
    """
    return _load(path, "scaling_laws.csv", SCALING_LAWS_SCHEMA)


def load_notable_models(path: str | Path | None = None) -> pd.DataFrame:
    """Parameters, training tokens and training FLOPs of notable models, with sources.

    For MoE models ``params`` is the *active* count (what 6ND uses); ``flop_method`` says
    whether ``training_flop`` is the developer's reported figure or 6ND.

    Parameters
    ----------
    path : str or Path, optional
        A CSV in the same schema; the bundled ``data/notable_models.csv`` when omitted.

    Returns
    -------
    pandas.DataFrame
        One row per model: ``params``, ``training_tokens``, ``training_flop`` (FLOP),
        ``flop_method`` and the source.
    """
    return _load(path, "notable_models.csv", NOTABLE_MODELS_SCHEMA)


def load_post_training(path: str | Path | None = None) -> pd.DataFrame:
    """Published post-training (fine-tuning, RLHF, RL) compute as a fraction of pre-training.

    Parameters
    ----------
    path : str or Path, optional
        A CSV in the same schema; the bundled ``data/post_training.csv`` when omitted.

    Returns
    -------
    pandas.DataFrame
        One row per (model, what): pre- and post-training amounts in the row's
        ``unit``, their ratio ``post_training_fraction`` and the source.
    """
    return _load(path, "post_training.csv", POST_TRAINING_SCHEMA)


def _check_runs(df: pd.DataFrame, fname: str) -> list[Problem]:
    """Every run gives its tokens or its FLOPs."""
    missing = df["n_tokens"].isna() & df["training_flop"].isna()
    return [
        Problem(fname, int(i) + 2, "n_tokens", "neither n_tokens nor training_flop given")
        for i in np.flatnonzero(missing.to_numpy())
    ]


TRAINING_RUNS_SCHEMA = Schema(
    name="training_runs",
    columns=(
        _pos("n_params", "parameters"),
        _pos("n_tokens", "tokens", nullable=True),
        _pos("training_flop", "FLOP", nullable=True),
        _pos("loss", "nats/token"),
    ),
    optional=frozenset({"n_tokens", "training_flop"}),
    frame_check=_check_runs,
)


def load_training_runs(path: str | Path) -> pd.DataFrame:
    """Your own training runs, ``(n_params, n_tokens, loss)``, to fit a scaling law to.

    Parameters
    ----------
    path : str or Path
        CSV with columns ``n_params``, ``loss`` (nats/token) and either ``n_tokens`` or
        ``training_flop`` (then ``n_tokens = training_flop / (6 n_params)``).

    Returns
    -------
    pandas.DataFrame
        ``n_params``, ``n_tokens`` and ``loss`` (nats/token), one row per run.

    Raises
    ------
    DataValidationError
        Listing non-positive or non-numeric cells and rows with neither tokens nor FLOPs.
    """
    df = _load(path, None, TRAINING_RUNS_SCHEMA)
    df["n_tokens"] = df["n_tokens"].fillna(df["training_flop"] / (6.0 * df["n_params"]))
    return df[["n_params", "n_tokens", "loss"]]


def read_epoch_chinchilla(path: str | Path, drop_highest: int = 5) -> pd.DataFrame:
    """Epoch AI's points extracted from Chinchilla's Figure 4, as training runs.

    Reads ``svg_extracted_data.csv`` of github.com/epoch-research/analyzing-chinchilla (columns
    ``Model Size``, ``Training FLOP``, ``loss``), derives ``n_tokens = C / (6 N)`` and drops the
    ``drop_highest`` highest losses, as Besiroglu et al. (2024) do (5 in their main fit).

    Parameters
    ----------
    path : str or Path
        Epoch's ``svg_extracted_data.csv``.
    drop_highest : int
        Highest-loss points to drop.

    Returns
    -------
    pandas.DataFrame
        ``n_params``, ``n_tokens`` and ``loss`` (nats/token), sorted by loss.
    """
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"Epoch Chinchilla file not found: {p}")
    raw = _read_text_csv(p)
    raw = raw.rename(
        columns={"Model Size": "n_params", "Training FLOP": "training_flop", "loss": "loss"}
    )
    df = validate_frame(raw, TRAINING_RUNS_SCHEMA, str(p))
    df["n_tokens"] = df["training_flop"] / (6.0 * df["n_params"])
    df = df.sort_values("loss", kind="stable")
    if drop_highest:
        df = df.iloc[: len(df) - int(drop_highest)]
    return df[["n_params", "n_tokens", "loss"]].reset_index(drop=True)


_CHINCHILLA_FLOP_RTOL = 1e-6
"""``C = 6 N D`` must hold to this relative tolerance in the Chinchilla points. Upstream derived
``D = C / (6 N)`` and rounded it to a whole token; the largest relative gap in the file is 7e-9."""


def _check_chinchilla_points(df: pd.DataFrame, fname: str) -> list[Problem]:
    """Every point's compute agrees with ``6 N D`` (the file derives D from C)."""
    six_nd = 6.0 * df["N"].to_numpy(float) * df["D"].to_numpy(float)
    c = df["C"].to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        gap = np.abs(c / six_nd - 1.0)
    return [
        Problem(
            fname,
            int(i) + 2,
            "C",
            f"C={c[i]:.6g} differs from 6*N*D={six_nd[i]:.6g} "
            f"by more than {_CHINCHILLA_FLOP_RTOL:g} (relative)",
        )
        for i in np.flatnonzero(gap > _CHINCHILLA_FLOP_RTOL)
    ]


CHINCHILLA_POINTS_SCHEMA = Schema(
    name="chinchilla_points",
    columns=(
        _pos("C", "FLOP", description="training compute read off Hoffmann et al. Fig. 4"),
        Column("N", "int", "parameters", low=1.0, description="model size"),
        Column("D", "int", "tokens", low=1.0, description="training tokens, C / (6 N)"),
        _pos("loss", "nats/token", description="final training loss (read off the colour bar)"),
    ),
    key=("N", "D"),
    frame_check=_check_chinchilla_points,
)
"""Schema of ``data/chinchilla_points.csv``: the upstream columns of ``examples/llm/df.csv`` in
github.com/kyo-takano/chinchilla (Apache-2.0), unchanged."""


_SARDANA_TOKENS_RTOL = 1e-9
"""``Tokens = Parameters * Tokens/Params`` to this relative tolerance (exact upstream)."""


def _check_sardana_runs(df: pd.DataFrame, fname: str) -> list[Problem]:
    """Every run's token count is its size times its tokens per parameter."""
    want = df["Parameters"].to_numpy(float) * df["Tokens/Params"].to_numpy(float)
    got = df["Tokens"].to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        gap = np.abs(got / want - 1.0)
    return [
        Problem(
            fname,
            int(i) + 2,
            "Tokens",
            f"Tokens={got[i]:.6g} is not Parameters * Tokens/Params = {want[i]:.6g}",
        )
        for i in np.flatnonzero(gap > _SARDANA_TOKENS_RTOL)
    ]


_GAUNTLET = (
    "world_knowledge",
    "reading_comprehension",
    "language_understanding",
    "commonsense_reasoning",
    "symbolic_problem_solving",
    "core_average",
)


SARDANA_RUNS_SCHEMA = Schema(
    name="sardana_runs",
    columns=(
        Column("Model Name", "str", description="nominal size, e.g. 150M, 1.3B"),
        Column("Parameters", "int", "parameters", low=1.0),
        _pos("Tokens/Params", "tokens/parameter"),
        Column("Tokens", "int", "tokens", low=1.0),
        Column("Batch Size", "int", "sequences", low=1.0),
        _pos("Smoothed Loss", "nats/token", description="final training loss, smoothed"),
        *(
            Column(f"eval_gauntlet/{g}", "float", "fraction", nullable=True, high=1.0)
            for g in _GAUNTLET
        ),
        Column("mmlu_5_shot_avg", "float", "fraction", nullable=True, low=0.0, high=1.0),
    ),
    key=("Parameters", "Tokens/Params"),
    optional=frozenset({*(f"eval_gauntlet/{g}" for g in _GAUNTLET), "mmlu_5_shot_avg"}),
    frame_check=_check_sardana_runs,
)
"""Schema of ``data/sardana_runs.csv``: the upstream columns of ``trainingresults.csv`` in
github.com/nikhilsardana/beyond-chinchilla (Apache-2.0), unchanged."""


def load_chinchilla_points(path: str | Path | None = None) -> pd.DataFrame:
    """Epoch AI's points from Chinchilla's Figure 4, as shipped with the ``chinchilla`` package.

    234 (compute, size, tokens, loss) points: the rows of Epoch AI's extraction from Hoffmann et
    al. (2022) Figure 4 (Besiroglu et al. 2024, github.com/epoch-research/analyzing-chinchilla)
    with ``N < D``, as distributed in ``examples/llm/df.csv`` of github.com/kyo-takano/chinchilla
    @ 75e5858 under Apache-2.0 (see ``data/README.md`` and ``data/LICENSES/``). None of Epoch's
    five highest-loss points, which Epoch drops from its main fit, is among them.

    Parameters
    ----------
    path : str or Path, optional
        A CSV with the same columns ``C, N, D, loss``; the bundled ``data/chinchilla_points.csv``
        when omitted.

    Returns
    -------
    pandas.DataFrame
        ``n_params`` (parameters, float), ``n_tokens`` (training tokens, float), ``loss``
        (final training loss, nats/token), ``training_flop`` (FLOP, float; = upstream ``C``),
        then the upstream columns ``C`` (FLOP), ``N`` (parameters, int64), ``D`` (tokens,
        int64). One row per point, in the file's order.

    Raises
    ------
    FileNotFoundError
        When ``path`` does not exist (there is no fallback to the bundled file).
    DataValidationError
        Listing every missing column, non-positive or non-numeric cell, duplicated (N, D) pair
        and row whose ``C`` differs from ``6 N D`` by more than 1e-6 (relative).
    """
    raw = _load(path, "chinchilla_points.csv", CHINCHILLA_POINTS_SCHEMA)
    out = pd.DataFrame(
        {
            "n_params": raw["N"].astype(float),
            "n_tokens": raw["D"].astype(float),
            "loss": raw["loss"].astype(float),
            "training_flop": raw["C"].astype(float),
        }
    )
    return pd.concat([out, raw.drop(columns="loss")], axis=1)


def load_sardana_runs(path: str | Path | None = None) -> pd.DataFrame:
    """Sardana et al. (2024)'s 47 training runs: final loss and downstream scores.

    MPT-style models of 150M to 6B parameters trained on 10 to 10,000 tokens per parameter
    (Sardana, Portes, Doubov & Frankle, "Beyond Chinchilla-Optimal", ICML 2024,
    arXiv:2401.00448), from ``trainingresults.csv`` of github.com/nikhilsardana/beyond-chinchilla
    @ 190f70e under Apache-2.0 (see ``data/README.md`` and ``data/LICENSES/``).

    Parameters
    ----------
    path : str or Path, optional
        A CSV in the same format; the bundled ``data/sardana_runs.csv`` when omitted. The
        ``eval_gauntlet/*`` and ``mmlu_5_shot_avg`` columns may be absent.

    Returns
    -------
    pandas.DataFrame
        ``n_params`` (parameters, float; = ``Parameters``), ``n_tokens`` (training tokens,
        float; = ``Tokens``), ``loss`` (smoothed final training loss, nats/token; =
        ``Smoothed Loss``), ``tokens_per_param`` (= ``Tokens/Params``), ``training_flop``
        (6 N D, FLOP), then every upstream column unchanged (``Parameters``, ``Tokens``,
        ``Batch Size`` as int64; downstream scores as fractions 0-1).

    Raises
    ------
    FileNotFoundError
        When ``path`` does not exist (there is no fallback to the bundled file).
    DataValidationError
        Listing every missing column, bad cell, duplicated (Parameters, Tokens/Params) pair and
        row whose ``Tokens`` is not ``Parameters * Tokens/Params``.
    """
    raw = _load(path, "sardana_runs.csv", SARDANA_RUNS_SCHEMA)
    n = raw["Parameters"].astype(float)
    d = raw["Tokens"].astype(float)
    out = pd.DataFrame(
        {
            "n_params": n,
            "n_tokens": d,
            "loss": raw["Smoothed Loss"].astype(float),
            "tokens_per_param": raw["Tokens/Params"].astype(float),
            "training_flop": 6.0 * n * d,
        }
    )
    return pd.concat([out, raw], axis=1)
