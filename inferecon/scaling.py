"""Scaling laws: loss against parameters and data, compute-optimal models, fits, inference.

Loss as a function of parameters and data, compute-optimal allocation, a faithful fit of the
Chinchilla form, and inference-aware scaling. The Chinchilla form (Hoffmann et al. 2022,
"Training Compute-Optimal Large Language Models", arXiv:2203.15556, Eq. 2 and Sec. 3.3) is

    L(N, D) = E + A / N**alpha + B / D**beta            (nats per token)

with training compute C = 6 N D FLOPs (Kaplan et al. 2020, Sec. 2.1). Minimising L at fixed C
gives (Hoffmann et al., Appendix D.2)

    N_opt = G (C/6)**a,  D_opt = (C/6)**b / G,  G = (alpha A / (beta B))**(1/(alpha+beta)),
    a = beta / (alpha + beta),  b = alpha / (alpha + beta).

Kaplan et al. 2020 ("Scaling Laws for Neural Language Models", arXiv:2001.08361) use another
form, Eq. 1.5: ``L(N, D) = ((N_c/N)**(alpha_N/alpha_D) + D_c/D)**alpha_D`` with N counting
non-embedding parameters; :class:`KaplanLaw` keeps it as published, with the constants of
the joint fit (their Table 2, law id ``kaplan2020_joint``), not those of the one-variable fits
(Eqs. 1.1-1.2, ``kaplan2020``).

Published parameter sets live in ``data/scaling_laws.csv`` (:func:`get_law`), not in code.
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ._validate import renamed_parameters, require_in_range, require_positive, scalar_or_array
from .datasets import load_scaling_laws

__all__ = [
    "ChinchillaLaw",
    "InferenceAwareOptimum",
    "KaplanLaw",
    "ScalingFit",
    "HOFFMANN_GRID",
    "compare_to_optimal",
    "compute_optimal",
    "fit_scaling_law",
    "get_law",
    "inference_aware_optimum",
    "iso_flop_tokens",
    "loss_penalty",
    "simulated_runs",
    "tokens_for_loss",
    "training_flops",
    "usd_per_effective_flop",
]


def training_flops(n_params, n_tokens):
    """Training compute ``C = 6 N D`` (Kaplan et al. 2020, Sec. 2.1).

    Parameters
    ----------
    n_params : float or array_like
        Parameters N (active parameters for a mixture of experts), > 0.
    n_tokens : float or array_like
        Training tokens D, > 0.

    Returns
    -------
    float or numpy.ndarray
        FLOPs: 2 per parameter per token forward, 4 backward.
    """
    return (
        6.0
        * np.asarray(require_positive("n_params", n_params))
        * np.asarray(require_positive("n_tokens", n_tokens))
    )


def iso_flop_tokens(flops, n_params):
    """Training tokens that spend a FLOP budget on a model of a given size, ``D = C / (6 N)``.

    The inverse of :func:`training_flops` in D: the iso-FLOP line of a budget.

    Parameters
    ----------
    flops : float or array_like
        Training compute C, FLOPs, > 0.
    n_params : float or array_like
        Parameters N, > 0.

    Returns
    -------
    float or numpy.ndarray
        Training tokens D.
    """
    c = np.asarray(require_positive("flops", flops), dtype=float)
    n = np.asarray(require_positive("n_params", n_params), dtype=float)
    out = c / (6 * n)
    return scalar_or_array(out)


# --------------------------------------------------------------------------- laws


@dataclass(frozen=True)
class ChinchillaLaw:
    """``L(N, D) = E + A/N**alpha + B/D**beta`` in nats per token (Hoffmann et al. 2022, Eq. 2).

    Attributes
    ----------
    E : float
        Irreducible loss, nats per token.
    A, B : float
        Scale of the parameter and data terms (nats per token at N = 1, D = 1).
    alpha, beta : float
        Exponents of N and D (dimensionless).
    name, source : str
        Law id and citation (from ``data/scaling_laws.csv``).
    """

    E: float
    A: float
    B: float
    alpha: float
    beta: float
    name: str = ""
    source: str = ""

    def __post_init__(self):
        """Check that every constant is finite and positive."""
        for f in ("E", "A", "B", "alpha", "beta"):
            require_positive(f"{self.name or 'law'}.{f}", getattr(self, f))

    @property
    def a(self) -> float:
        """Exponent of N_opt in C: ``beta / (alpha + beta)``."""
        return self.beta / (self.alpha + self.beta)

    @property
    def b(self) -> float:
        """Exponent of D_opt in C: ``alpha / (alpha + beta)``."""
        return self.alpha / (self.alpha + self.beta)

    @property
    def G(self) -> float:
        """``(alpha A / (beta B)) ** (1 / (alpha + beta))``: N_opt = G (C/6)**a (App. D.2)."""
        return (self.alpha * self.A / (self.beta * self.B)) ** (1.0 / (self.alpha + self.beta))

    def loss(self, n_params, n_tokens):
        """Loss of a model of ``n_params`` parameters trained on ``n_tokens`` tokens.

        Parameters
        ----------
        n_params, n_tokens : float or array_like
            Parameters N and training tokens D, > 0; they broadcast.

        Returns
        -------
        float or numpy.ndarray
            Loss in nats per token.
        """
        n = np.asarray(require_positive("n_params", n_params), dtype=float)
        d = np.asarray(require_positive("n_tokens", n_tokens), dtype=float)
        out = self.E + self.A * n ** (-self.alpha) + self.B * d ** (-self.beta)
        return scalar_or_array(out)

    def compute_optimal(self, flops):
        """Compute-optimal model for a FLOP budget (closed form, C = 6ND).

        Parameters
        ----------
        flops : float or array_like
            Training compute C, FLOPs, > 0.

        Returns
        -------
        n_params, n_tokens : float or numpy.ndarray
            ``N_opt = G (C/6)**a`` parameters and ``D_opt = (C/6)**b / G`` tokens.
        """
        c = np.asarray(require_positive("flops", flops), dtype=float)
        n = self.G * (c / 6.0) ** self.a
        d = (c / 6.0) ** self.b / self.G
        return (float(n), float(d)) if c.ndim == 0 else (n, d)

    def optimal_flops(self, n_params):
        """FLOP budget at which a model of ``n_params`` is compute-optimal.

        The inverse of :meth:`compute_optimal` along the frontier: from ``N = G (C/6)**a``,
        ``C = 6 (N / G) ** (1 / a)``.

        Parameters
        ----------
        n_params : float or array_like
            Parameters N, > 0.

        Returns
        -------
        float or numpy.ndarray
            Training compute C, FLOPs; ``compute_optimal(C)`` gives back ``n_params``.
        """
        n = np.asarray(require_positive("n_params", n_params), dtype=float)
        out = 6.0 * (n / self.G) ** (1.0 / self.a)
        return scalar_or_array(out)

    def optimal_loss(self, flops):
        """Loss of the compute-optimal model of a FLOP budget (the frontier's loss).

        Parameters
        ----------
        flops : float or array_like
            Training compute C, FLOPs, > 0.

        Returns
        -------
        float or numpy.ndarray
            ``L(N_opt(C), D_opt(C))`` in nats per token.
        """
        return self.loss(*self.compute_optimal(flops))

    def tokens_per_param(self, flops):
        """Tokens per parameter of the compute-optimal model of a FLOP budget.

        Parameters
        ----------
        flops : float or array_like
            Training compute C, FLOPs, > 0.

        Returns
        -------
        float or numpy.ndarray
            ``D_opt / N_opt`` (about 20 for Chinchilla at its own budget).
        """
        n, d = self.compute_optimal(flops)
        return d / n


@dataclass(frozen=True)
class KaplanLaw:
    """Kaplan et al. 2020's joint law of parameters and data (their Eq. 1.5).

    ``L(N, D) = ((N_c/N)**(alpha_N/alpha_D) + D_c/D)**alpha_D``, with N counting non-embedding
    parameters. The constants are those of the joint fit (Kaplan et al. Table 2, Sec. 4.2:
    alpha_N 0.076, alpha_D 0.103, N_c 6.4e13, D_c 1.8e13; law id ``kaplan2020_joint``), which
    differ from the one-variable fits of Eqs. 1.1-1.2. Losses are in nats per token of
    WebText2 with GPT-2's tokenizer, not comparable in level with Chinchilla's MassiveText.

    Attributes
    ----------
    alpha_N, alpha_D : float
        Exponents of N and D (dimensionless).
    N_c : float
        Parameter scale (non-embedding parameters).
    D_c : float
        Data scale (tokens).
    name, source : str
        Law id and citation (from ``data/scaling_laws.csv``).
    """

    alpha_N: float
    N_c: float
    alpha_D: float
    D_c: float
    name: str = ""
    source: str = ""

    def loss(self, n_params, n_tokens):
        """Loss of a model of ``n_params`` parameters trained (early-stopped) on ``n_tokens``.

        Parameters
        ----------
        n_params, n_tokens : float or array_like
            Non-embedding parameters N and training tokens D, > 0; they broadcast.

        Returns
        -------
        float or numpy.ndarray
            Loss in nats per token (WebText2).
        """
        n = np.asarray(require_positive("n_params", n_params), dtype=float)
        d = np.asarray(require_positive("n_tokens", n_tokens), dtype=float)
        out = ((self.N_c / n) ** (self.alpha_N / self.alpha_D) + self.D_c / d) ** self.alpha_D
        return scalar_or_array(out)

    def compute_optimal(self, flops):
        """Numerical minimum of Eq. 1.5 along ``C = 6ND``.

        Parameters
        ----------
        flops : float or array_like
            Training compute C, FLOPs, > 0.

        Returns
        -------
        n_params, n_tokens : float or numpy.ndarray
            The loss-minimising N and ``D = C / (6N)`` (grid search over about 8 decades of
            N around ``sqrt(C/6)``, refined by golden-section search).
        """
        return _numeric_compute_optimal(self, flops)

    def optimal_loss(self, flops):
        """Loss of the compute-optimal model of a FLOP budget.

        Parameters
        ----------
        flops : float or array_like
            Training compute C, FLOPs, > 0.

        Returns
        -------
        float or numpy.ndarray
            ``L(N_opt(C), D_opt(C))`` in nats per token.
        """
        return self.loss(*self.compute_optimal(flops))


Law = ChinchillaLaw | KaplanLaw


_EQ_1_5 = frozenset({"alpha_N", "N_c", "alpha_D", "D_c"})
"""The four constants of Kaplan et al.'s Eq. 1.5. A ``kaplan``-form law in the data with more
parameters (``kaplan2020``: also the compute laws Eq. 1.3 and Table 6) holds the separate
one-variable fits of Eqs. 1.1-1.3, whose alpha_D, N_c and D_c are not Eq. 1.5's."""


@functools.lru_cache(maxsize=1)
def _law_table() -> tuple[dict[str, Law], dict[str, str]]:
    """Loss laws by id, and ids of the data's one-variable Kaplan fits (not loss laws)."""
    df = load_scaling_laws()
    out: dict[str, Law] = {}
    one_variable: dict[str, str] = {}
    for law, g in df.groupby("law", sort=False):
        form = g["form"].iloc[0]
        p = dict(zip(g["parameter"], g["value"], strict=True))
        src = "; ".join(dict.fromkeys(g["source"]))
        if form == "chinchilla":
            out[law] = ChinchillaLaw(
                p["E"], p["A"], p["B"], p["alpha"], p["beta"], name=law, source=src
            )
        elif form == "kaplan" and set(p) == _EQ_1_5:
            out[law] = KaplanLaw(p["alpha_N"], p["N_c"], p["alpha_D"], p["D_c"], law, src)
        elif form == "kaplan":
            one_variable[law] = src
    return out, one_variable


def get_law(law: str | Law = "epoch_replication") -> Law:
    """Look up a published loss law in ``data/scaling_laws.csv`` by its id.

    Parameters
    ----------
    law : str or ChinchillaLaw or KaplanLaw
        A law id (``chinchilla_printed``, ``chinchilla_unrounded``, ``epoch_replication``,
        ``sardana2024``, ``kaplan2020_joint``), or a law object, which is returned as is.

    Returns
    -------
    ChinchillaLaw or KaplanLaw
        The law with its published constants and source.

    Raises
    ------
    ValueError
        For an unknown id (the message lists the known ones), and for ``kaplan2020``: those
        rows are Kaplan et al.'s one-variable fits (Eqs. 1.1-1.3); their joint L(N, D),
        Eq. 1.5, has its own constants (``kaplan2020_joint``).
    """
    if isinstance(law, ChinchillaLaw | KaplanLaw):
        return law
    table, one_variable = _law_table()
    if law in one_variable:
        joint = [k for k, v in table.items() if isinstance(v, KaplanLaw)]
        raise ValueError(
            f"{law!r} holds Kaplan et al.'s one-variable fits (Eqs. 1.1-1.3), not a joint "
            f"L(N, D); Eq. 1.5 was fitted separately, with its own constants: use "
            f"{' or '.join(repr(k) for k in joint)}"
        )
    if law not in table:
        raise ValueError(f"unknown scaling law {law!r}; known laws: {', '.join(table)}")
    return table[law]


def _numeric_compute_optimal(law: Law, flops, n_points: int = 801):
    c = np.atleast_1d(np.asarray(require_positive("flops", flops), dtype=float))
    # search N over 8 decades around sqrt(C/6), then refine by golden section
    center = np.log(np.sqrt(c / 6.0))
    grid = np.linspace(-9.0, 9.0, n_points)
    logn = center[:, None] + grid[None, :]
    n = np.exp(logn)
    loss = law.loss(n, c[:, None] / (6.0 * n))
    i = np.clip(np.argmin(loss, axis=1), 1, n_points - 2)
    lo = np.take_along_axis(logn, (i - 1)[:, None], 1)[:, 0]
    hi = np.take_along_axis(logn, (i + 1)[:, None], 1)[:, 0]

    def f(u):
        return law.loss(np.exp(u), c / (6.0 * np.exp(u)))

    lo, hi = _golden_min(f, lo, hi)
    n_opt = np.exp((lo + hi) / 2)
    d_opt = c / (6.0 * n_opt)
    if np.ndim(flops) == 0:
        return float(n_opt[0]), float(d_opt[0])
    return n_opt.reshape(np.shape(flops)), d_opt.reshape(np.shape(flops))


def _golden_min(f, lo, hi, iters: int = 80):
    """Vectorised golden-section search of unimodal ``f`` on ``[lo, hi]`` (elementwise)."""
    r = (math.sqrt(5) - 1) / 2
    x1 = hi - r * (hi - lo)
    x2 = lo + r * (hi - lo)
    f1, f2 = f(x1), f(x2)
    for _ in range(iters):
        left = f1 < f2
        hi = np.where(left, x2, hi)
        lo = np.where(left, lo, x1)
        x2n = np.where(left, x1, lo + r * (hi - lo))
        x1n = np.where(left, hi - r * (hi - lo), x2)
        f2 = np.where(left, f1, np.nan)
        f1 = np.where(left, np.nan, f2)
        x1, x2 = x1n, x2n
        need1, need2 = np.isnan(f1), np.isnan(f2)
        f1 = np.where(need1, f(x1), f1)
        f2 = np.where(need2, f(x2), f2)
    return lo, hi


def compute_optimal(flops, law: str | Law = "epoch_replication"):
    """Compute-optimal ``(N, D)`` for a FLOP budget under ``law`` (C = 6ND).

    Closed form for the Chinchilla form; numerical for Kaplan's.

    Parameters
    ----------
    flops : float or array_like
        Training compute C, FLOPs, > 0.
    law : str or ChinchillaLaw or KaplanLaw, default "epoch_replication"
        A law id (:func:`get_law`) or a law.

    Returns
    -------
    n_params, n_tokens : float or numpy.ndarray
        Parameters and training tokens of the loss-minimising model with ``6 N D = C``.

    Examples
    --------
    Hoffmann et al. 2022, Fig. 4 caption: about 40B parameters at Gopher's 5.76e23 FLOPs.

    >>> n, d = compute_optimal(5.76e23, "chinchilla_unrounded")
    >>> round(n / 1e9)
    40
    """
    return get_law(law).compute_optimal(flops)


def loss_penalty(n_params, n_tokens, law: str | Law = "epoch_replication"):
    """Extra loss of training N on D instead of the compute-optimal split of the same compute.

    Parameters
    ----------
    n_params, n_tokens : float or array_like
        Parameters N and training tokens D, > 0; they broadcast.
    law : str or ChinchillaLaw or KaplanLaw, default "epoch_replication"
        A law id (:func:`get_law`) or a law.

    Returns
    -------
    float or numpy.ndarray
        ``L(N, D) - L(N_opt, D_opt)`` at ``C = 6ND``, nats per token: zero on the frontier,
        positive off it.
    """
    law = get_law(law)
    c = training_flops(n_params, n_tokens)
    n_opt, d_opt = law.compute_optimal(c)
    return law.loss(n_params, n_tokens) - law.loss(n_opt, d_opt)


def compare_to_optimal(n_params, n_tokens, law: str | Law = "epoch_replication") -> pd.DataFrame:
    """Where trained models sit against the compute-optimal frontier of their own budget.

    Parameters
    ----------
    n_params, n_tokens : array_like
        Parameters (active parameters for MoE) and training tokens of each model.
    law : str or law
        The law that defines the frontier.

    Returns
    -------
    pandas.DataFrame
        ``training_flops`` (6ND), ``tokens_per_param``, the frontier's ``optimal_params``,
        ``optimal_tokens`` and ``optimal_tokens_per_param`` at that budget,
        ``overtraining_factor`` (D / D_opt: above 1 means trained on more tokens than
        compute-optimal, i.e. smaller than optimal) and ``loss_penalty`` (nats/token given up
        against the compute-optimal model of the same budget).
    """
    law = get_law(law)
    n = np.asarray(require_positive("n_params", n_params), dtype=float).ravel()
    d = np.asarray(require_positive("n_tokens", n_tokens), dtype=float).ravel()
    c = 6.0 * n * d
    n_opt, d_opt = law.compute_optimal(c)
    return pd.DataFrame(
        {
            "training_flops": c,
            "tokens_per_param": d / n,
            "optimal_params": n_opt,
            "optimal_tokens": d_opt,
            "optimal_tokens_per_param": d_opt / n_opt,
            "overtraining_factor": d / d_opt,
            "loss_penalty": law.loss(n, d) - law.loss(n_opt, d_opt),
        }
    )


def tokens_for_loss(n_params, target_loss, law: str | Law = "epoch_replication"):
    """Training tokens a model of ``n_params`` needs to reach ``target_loss`` (Chinchilla form).

    Parameters
    ----------
    n_params : float or array_like
        Parameters N, > 0.
    target_loss : float or array_like
        Loss to reach, nats per token, above the law's E.
    law : str or ChinchillaLaw, default "epoch_replication"
        A law of the Chinchilla form.

    Returns
    -------
    float or numpy.ndarray
        Tokens ``D = (B / (target - E - A/N**alpha)) ** (1/beta)``; ``inf`` where the
        parameters alone cannot reach the target (``E + A/N**alpha >= target``).

    Raises
    ------
    ValueError
        When ``target_loss <= E``, which no model reaches, or for a Kaplan law.
    """
    law = _chinchilla(law)
    _check_target(law, target_loss)
    n = np.asarray(require_positive("n_params", n_params), dtype=float)
    gap = np.asarray(target_loss, dtype=float) - law.E - law.A * n ** (-law.alpha)
    out = np.full(np.broadcast(n, gap).shape, np.inf)
    np.power(law.B / gap, 1.0 / law.beta, out=out, where=gap > 0)
    return scalar_or_array(out)


def _chinchilla(law) -> ChinchillaLaw:
    law = get_law(law)
    if not isinstance(law, ChinchillaLaw):
        raise ValueError(f"{law.name!r} is not of the Chinchilla form E + A/N^alpha + B/D^beta")
    return law


def _check_target(law: ChinchillaLaw, target_loss):
    t = np.asarray(target_loss, dtype=float)
    if not np.all(np.isfinite(t)) or np.any(t <= law.E):
        raise ValueError(
            f"target_loss must be above the law's irreducible loss E = {law.E:g} nats/token "
            f"(valid range ({law.E:g}, inf)): no model of any size reaches {t.min()!r}"
        )


# --------------------------------------------------------------------------- inference-aware


@renamed_parameters(mfu="flop_utilisation")
def usd_per_effective_flop(usd_per_gpu_hour, peak_tflops, flop_utilisation):
    """Dollars per *useful* FLOP: ``price / (3600 * peak * MFU)`` (Sardana et al. 2024, Sec. 3).

    Parameters
    ----------
    usd_per_gpu_hour : float
        Rental price of one GPU (USD/hour).
    peak_tflops : float
        Its dense peak (TFLOP/s).
    flop_utilisation : float
        Model FLOPs utilisation (MFU) in (0, 1]: about 0.4-0.5 for training, lower for decoding.

    Returns
    -------
    float or numpy.ndarray
        USD per useful FLOP.
    """
    p = require_positive("usd_per_gpu_hour", usd_per_gpu_hour)
    f = require_positive("peak_tflops", peak_tflops)
    u = require_in_range("flop_utilisation", flop_utilisation, 0.0, 1.0, low_open=True)
    return p / (3600.0 * np.asarray(f) * 1e12 * np.asarray(u))


@dataclass(frozen=True)
class InferenceAwareOptimum:
    """Result of :func:`inference_aware_optimum` (arrays when inputs broadcast).

    Attributes
    ----------
    n_params, train_tokens : float or numpy.ndarray
        The inference-aware model: parameters and training tokens.
    training_flops, inference_flops, total_flops : float or numpy.ndarray
        Its lifetime FLOPs: ``6 N D_train``, ``2 N D_inference`` and their sum.
    training_cost, inference_cost, total_cost : float or numpy.ndarray
        The same in cost units (FLOPs times the given price per FLOP, e.g. USD).
    chinchilla_n_params, chinchilla_train_tokens : float or numpy.ndarray
        The Chinchilla-optimal model of the same loss.
    chinchilla_total_flops : float or numpy.ndarray
        Its lifetime FLOPs serving the same inference tokens.
    chinchilla_training_cost, chinchilla_inference_cost, chinchilla_total_cost
        Its lifetime cost, split the same way.
    """

    n_params: np.ndarray | float
    train_tokens: np.ndarray | float
    training_flops: np.ndarray | float
    inference_flops: np.ndarray | float
    total_flops: np.ndarray | float
    training_cost: np.ndarray | float
    inference_cost: np.ndarray | float
    total_cost: np.ndarray | float
    chinchilla_n_params: np.ndarray | float
    chinchilla_train_tokens: np.ndarray | float
    chinchilla_total_flops: np.ndarray | float
    chinchilla_training_cost: np.ndarray | float
    chinchilla_inference_cost: np.ndarray | float
    chinchilla_total_cost: np.ndarray | float

    @property
    def params_ratio(self):
        """Optimal N as a fraction of the Chinchilla-optimal N of the same loss."""
        return self.n_params / self.chinchilla_n_params

    @property
    def tokens_ratio(self):
        """Optimal training tokens as a multiple of the Chinchilla-optimal model's."""
        return self.train_tokens / self.chinchilla_train_tokens

    @property
    def training_flops_ratio(self):
        """Pre-training FLOPs relative to the Chinchilla-optimal model's."""
        return self.training_flops / (6.0 * self.chinchilla_n_params * self.chinchilla_train_tokens)

    @property
    def flops_saving(self):
        """Share of lifetime (training + inference) FLOPs saved vs. the Chinchilla-optimal model."""
        return 1.0 - self.total_flops / self.chinchilla_total_flops

    @property
    def cost_saving(self):
        """Share of lifetime cost saved vs. the Chinchilla-optimal model (1 - cost ratio)."""
        return 1.0 - self.total_cost / self.chinchilla_total_cost


def inference_aware_optimum(
    target_loss,
    inference_tokens,
    law: str | Law = "chinchilla_printed",
    *,
    usd_per_train_flop: float = 1.0,
    usd_per_inference_flop: float = 1.0,
) -> InferenceAwareOptimum:
    """Find the model that reaches ``target_loss`` at the least lifetime cost (Sardana et al.).

    Minimises ``usd_per_train_flop * 6 N D_train + usd_per_inference_flop * 2 N D_inference``
    subject to ``L(N, D_train) = target_loss`` (Sardana, Portes, Doubov & Frankle, "Beyond
    Chinchilla-Optimal: Accounting for Inference in Language Model Scaling Laws", ICML 2024,
    arXiv:2401.00448, Eq. 3 and Sec. 3). With both prices 1 it minimises FLOPs; pass
    :func:`usd_per_effective_flop` values for the cost version (different MFU and price in
    training and inference). Solved per element by golden-section search over ``log N`` above
    the smallest N that can reach the target; ``target_loss`` and ``inference_tokens``
    broadcast.

    The comparison point is the Chinchilla-optimal model with the same loss: the compute-optimal
    (N, D) whose loss equals ``target_loss``, serving the same inference tokens.

    Parameters
    ----------
    target_loss : float or array_like
        Loss to reach, nats per token, above the law's E.
    inference_tokens : float or array_like
        Tokens the model will serve over its life, >= 0.
    law : str or ChinchillaLaw, default "chinchilla_printed"
        A law of the Chinchilla form.
    usd_per_train_flop, usd_per_inference_flop : float
        Price of a training FLOP (> 0) and of an inference FLOP (>= 0), in any one currency
        unit; 1 and 1 count FLOPs.

    Returns
    -------
    InferenceAwareOptimum
        The optimal N and D_train, its lifetime FLOPs and cost split into training and
        inference, and the same for the Chinchilla-optimal model of equal loss.

    Raises
    ------
    ValueError
        If ``target_loss <= E`` (unreachable; the message gives the floor), or
        ``inference_tokens < 0``.
    """
    law = _chinchilla(law)
    _check_target(law, target_loss)
    d_inf = np.asarray(require_in_range("inference_tokens", inference_tokens, 0.0, np.inf))
    wt = require_positive("usd_per_train_flop", usd_per_train_flop)
    wi = require_in_range("usd_per_inference_flop", usd_per_inference_flop, 0.0, np.inf)
    t, d_inf = np.broadcast_arrays(np.asarray(target_loss, dtype=float), d_inf.astype(float))
    n_min = (law.A / (t - law.E)) ** (1.0 / law.alpha)

    def cost(u):  # u = log(N / n_min) > 0
        n = n_min * np.exp(u)
        gap = t - law.E - law.A * n ** (-law.alpha)
        d = (law.B / gap) ** (1.0 / law.beta)
        return wt * 6.0 * n * d + wi * 2.0 * n * d_inf

    # bracket: scan u on a log grid, then golden-section around the best grid point
    us = np.geomspace(1e-6, 40.0, 160)
    with np.errstate(over="ignore"):
        grid = us.reshape((-1,) + (1,) * t.ndim)  # (grid, 1, ...) against t's shape
        vals = np.moveaxis(cost(grid) * np.ones((1, *t.shape)), 0, -1)  # (..., grid)
    i = np.clip(np.argmin(vals, axis=-1), 1, len(us) - 2)
    lo, hi = us[i - 1], us[i + 1]
    lo, hi = _golden_min(cost, lo, hi, iters=70)
    n = n_min * np.exp((lo + hi) / 2)
    d = tokens_for_loss(n, t, law)

    # Chinchilla-optimal model of the same loss, in closed form: along the frontier
    # N = G (C/6)^a, D = (C/6)^b / G both reducible terms fall as (C/6)^(-alpha beta /
    # (alpha + beta)), so L = E + K (C/6)^-k with K = A G^-alpha + B G^beta.
    k = law.alpha * law.beta / (law.alpha + law.beta)
    big_k = law.A * law.G ** (-law.alpha) + law.B * law.G**law.beta
    c6 = (big_k / (t - law.E)) ** (1.0 / k)
    n_c, d_c = law.G * c6**law.a, c6**law.b / law.G

    def unwrap(x):
        x = np.asarray(x, dtype=float)
        return scalar_or_array(x)

    train_f = 6.0 * n * d
    inf_f = 2.0 * n * d_inf
    chin_total = 6.0 * n_c * d_c + 2.0 * n_c * d_inf
    chin_train_cost = wt * 6.0 * n_c * d_c
    chin_inf_cost = wi * 2.0 * n_c * d_inf
    return InferenceAwareOptimum(
        n_params=unwrap(n),
        train_tokens=unwrap(d),
        training_flops=unwrap(train_f),
        inference_flops=unwrap(inf_f),
        total_flops=unwrap(train_f + inf_f),
        training_cost=unwrap(wt * train_f),
        inference_cost=unwrap(wi * inf_f),
        total_cost=unwrap(wt * train_f + wi * inf_f),
        chinchilla_n_params=unwrap(n_c),
        chinchilla_train_tokens=unwrap(d_c),
        chinchilla_total_flops=unwrap(chin_total),
        chinchilla_training_cost=unwrap(chin_train_cost),
        chinchilla_inference_cost=unwrap(chin_inf_cost),
        chinchilla_total_cost=unwrap(chin_train_cost + chin_inf_cost),
    )


# --------------------------------------------------------------------------- fitting

HOFFMANN_GRID: dict[str, np.ndarray] = {
    "alpha": np.arange(0.0, 2.0 + 1e-9, 0.5),
    "beta": np.arange(0.0, 2.0 + 1e-9, 0.5),
    "e": np.arange(-1.0, 1.0 + 1e-9, 0.5),
    "a": np.arange(0.0, 25.0 + 1e-9, 5.0),
    "b": np.arange(0.0, 25.0 + 1e-9, 5.0),
}
"""Hoffmann et al. 2022, Appendix D.2: initialisations alpha, beta in {0, 0.5, ..., 2},
e in {-1, -0.5, ..., 1}, a, b in {0, 5, ..., 25}: 5 x 5 x 5 x 6 x 6 = 4,500 starts, where
A = exp(a), B = exp(b), E = exp(e)."""


@dataclass(frozen=True)
class ScalingFit:
    """A fitted Chinchilla-form law (see :func:`fit_scaling_law`).

    Attributes
    ----------
    E, A, B, alpha, beta : float
        The fitted constants of ``E + A/N**alpha + B/D**beta`` (nats per token).
    objective : float
        Sum of the Huber terms at the fit.
    converged : bool
        Whether the final polish met its tolerances (never True when a limit stopped it).
    grad_norm : float
        Largest absolute gradient component of the objective at the fit.
    n_points, n_starts, n_starts_at_best, n_converged_starts, iterations : int
        Runs fitted, grid starts, starts that reached the best objective, starts that
        converged in the sweep, and the sweep's largest iteration count.
    intervals : dict of str to (float, float), optional
        Bootstrap percentile intervals of ``E, A, B, alpha, beta, a``.
    bootstrap : pandas.DataFrame, optional
        The bootstrap estimates, one row per resample.
    """

    E: float
    A: float
    B: float
    alpha: float
    beta: float
    objective: float
    converged: bool
    grad_norm: float
    n_points: int
    n_starts: int
    n_starts_at_best: int
    n_converged_starts: int
    iterations: int
    intervals: dict[str, tuple[float, float]] | None = None
    bootstrap: pd.DataFrame | None = field(default=None, repr=False, compare=False)

    @property
    def law(self) -> ChinchillaLaw:
        """The fitted constants as a :class:`ChinchillaLaw` named ``fit``."""
        return ChinchillaLaw(self.E, self.A, self.B, self.alpha, self.beta, name="fit")

    def params(self) -> dict[str, float]:
        """Return the fitted constants by name.

        Returns
        -------
        dict of str to float
            ``E`` (nats per token), ``A``, ``B``, ``alpha`` and ``beta``.
        """
        return {"E": self.E, "A": self.A, "B": self.B, "alpha": self.alpha, "beta": self.beta}

    def frontier_band(self, flops, ci: float = 0.8) -> tuple[np.ndarray, np.ndarray]:
        """Bootstrap band of the compute-optimal frontier's loss.

        Parameters
        ----------
        flops : array_like of float
            Training budgets C, FLOPs, > 0.
        ci : float, default 0.8
            Central interval width in (0, 1) (0.8: the 10th to the 90th percentile).

        Returns
        -------
        low, high : numpy.ndarray
            Percentiles over the bootstrap resamples of each resample's frontier loss
            ``L(N_opt(C), D_opt(C))``, nats per token.

        Raises
        ------
        ValueError
            When the fit has no bootstrap (``fit_scaling_law(..., bootstrap=0)``).
        """
        if self.bootstrap is None or not len(self.bootstrap):
            raise ValueError(
                "this fit has no bootstrap resamples: fit with fit_scaling_law(..., bootstrap=n)"
            )
        require_in_range("ci", ci, 0.0, 1.0, low_open=True, high_open=True)
        c = np.asarray(require_positive("flops", flops), dtype=float)
        curves = [
            ChinchillaLaw(r.E, r.A, r.B, r.alpha, r.beta).optimal_loss(c)
            for r in self.bootstrap.itertuples()
        ]
        lo, hi = np.percentile(np.array(curves), [(1 - ci) / 2 * 100, (1 + ci) / 2 * 100], axis=0)
        return lo, hi


_CHUNK = 256  # starts per block: its workspace (6 x block x runs floats) stays in cache


class _Huber:
    """Huber objective of one data set, with its analytic gradient, for many starts at once.

    Rows of ``theta`` are ``(a, b, e, alpha, beta)`` with A, B, E = exp(a, b, e). Evaluated in
    blocks of ``_CHUNK`` starts, every operation writing into one preallocated workspace (no
    temporaries); the gradient is five row sums and dot products of ``x1 q``, ``x2 q`` and
    ``q``, where ``q`` is the weighted Huber derivative over the prediction. Nothing here
    calls BLAS (see :func:`fit_scaling_law`, "threads").
    """

    def __init__(self, log_n, log_d, log_l, delta, dtype=np.float64):
        self.dtype = dt = np.dtype(dtype)
        self.n = int(np.size(log_l))
        ln = np.asarray(log_n, dtype=float)
        ld = np.asarray(log_d, dtype=float)
        self.neg_log_nd = np.stack([-ln, -ld]).astype(dt)  # (2, n)
        # per row: the least and the most of -log N, -log D (bounds of each exponent)
        self.neg_log_min = self.neg_log_nd.min(axis=1)
        self.neg_log_max = self.neg_log_nd.max(axis=1)
        self.log_l = np.asarray(log_l, dtype=dt)
        self.delta = dt.type(delta)
        # exponents are floored (-600 in double, -80 in single precision): such terms are nil
        # next to E, and subnormal floats would make every later operation many times slower
        self.floor = dt.type(-80.0 if dt == np.float32 else -600.0)
        self._ws: tuple[np.ndarray, ...] | None = None

    def _workspace(self, k):
        if self._ws is None:  # one workspace of _CHUNK rows; a smaller block uses its head
            n, dt = self.n, self.dtype
            self._ws = (np.empty((_CHUNK, 2 * n), dt),) + tuple(
                np.empty((_CHUNK, n), dt) for _ in range(4)
            )
        return tuple(a[:k] for a in self._ws)

    def _block(self, th, w, need=None, row0=0):
        k, n = th.shape[0], self.n
        z, s, r, psi, q = self._workspace(k)  # z = [x1 | x2]
        # no BLAS call anywhere here: on a busy 2-core machine OpenBLAS threads even these
        # skinny products and waits for its second thread (a 256-row product: 0.06 ms alone,
        # 6-30 ms when that thread waits for a core)
        z3 = z.reshape(k, 2, n)
        np.multiply(th[:, 3:5, None], self.neg_log_nd, out=z3)
        z3 += th[:, 0:2, None]  # a - alpha log N, b - beta log D
        # floored only in the rows where an exponent can fall below the floor (rare), so that
        # a row's result does not depend on the rows evaluated beside it
        lo = th[:, 0:2] + np.minimum(th[:, 3:5] * self.neg_log_max, th[:, 3:5] * self.neg_log_min)
        low = np.flatnonzero(~(lo.min(axis=1) >= self.floor))
        if low.size:
            z[low] = np.maximum(z[low], self.floor)
        np.exp(z, out=z)
        x1, x2 = z[:, :n], z[:, n:]
        x3 = np.exp(th[:, 2])  # E, one per start
        np.add(x1, x2, out=s)
        s += x3[:, None]
        np.log(s, out=r)  # the log-sum-exp prediction of log L
        r -= self.log_l
        np.clip(r, -self.delta, self.delta, out=psi)  # Huber derivative
        # Huber: r^2/2 where |r| <= delta, delta (|r| - delta/2) beyond; both psi (r - psi/2)
        if w is None:
            f = np.einsum("ij,ij->i", psi, r) - 0.5 * np.einsum("ij,ij->i", psi, psi)
            num = psi
        else:
            num = np.multiply(psi, w, out=q)
            f = np.einsum("ij,ij->i", q, r) - 0.5 * np.einsum("ij,ij->i", q, psi)
        sel = None if need is None else need(f.astype(float), row0, row0 + k)
        if sel is None or 2 * np.count_nonzero(sel) > k:  # the gradient of every row
            np.divide(num, s, out=q)
            np.multiply(z3, q[:, None, :], out=z3)  # x1 q, x2 q
            g = np.empty((k, 5), self.dtype)
            g[:, 0:2] = np.einsum("ijk->ij", z3)
            g[:, 2] = np.einsum("ij->i", q) * x3
            g[:, 3:5] = np.einsum("ijk,jk->ij", z3, self.neg_log_nd)
            return f, g
        # only the rows asked for (a line search's accepted trials); the others get NaN
        g = np.full((k, 5), np.nan, self.dtype)
        rows = np.flatnonzero(sel)
        if rows.size:
            qs = np.divide(num[rows], s[rows])
            zs = z3[rows]
            np.multiply(zs, qs[:, None, :], out=zs)
            g[rows, 0:2] = np.einsum("ijk->ij", zs)
            g[rows, 2] = np.einsum("ij->i", qs) * x3[rows]
            g[rows, 3:5] = np.einsum("ijk,jk->ij", zs, self.neg_log_nd)
        return f, g

    def __call__(self, theta, weights=None, need=None):
        """f (S,) and g (S, 5), float64, at the rows of ``theta``; ``weights`` (n,) or (S, n)
        multiplies each run's Huber term (bootstrap counts), None for ones. ``need(f, lo,
        hi)``, when given, returns which of the rows ``lo:hi`` (their f given) need their
        gradient; the others may come back as NaN (a line search needs the gradient only
        where it accepts a step)."""
        S = theta.shape[0]
        f = np.empty(S)
        g = np.empty((S, 5))
        if weights is not None:
            weights = np.asarray(weights, dtype=self.dtype)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            th = np.asarray(theta, dtype=self.dtype)  # a wild line-search trial may overflow
            for i in range(0, S, _CHUNK):
                w = weights if weights is None or weights.ndim == 1 else weights[i : i + _CHUNK]
                f[i : i + _CHUNK], g[i : i + _CHUNK] = self._block(th[i : i + _CHUNK], w, need, i)
        return f, g


def _objective(theta, log_n, log_d, log_l, weights, delta, dtype=np.float64):
    """Huber objective and analytic gradient for each row of ``theta`` (S, 5).

    Rows are ``(a, b, e, alpha, beta)`` with A, B, E = exp(a, b, e). ``weights`` (n,) or
    (S, n) multiplies each run's Huber term (bootstrap counts). Returns f (S,), g (S, 5) as
    float64 whatever ``dtype`` the arithmetic used (see :class:`_Huber`).
    """
    return _Huber(log_n, log_d, log_l, delta, dtype)(np.atleast_2d(theta), weights)


def _first_accepted(armijo):
    """``need`` for the objective: the trials (rows of ``armijo.ravel()``, each start's ``j``
    halvings in a row) whose gradient a line search uses: each start's first trial that is
    finite and meets its Armijo bound."""
    bound = armijo.ravel()
    j = armijo.shape[1]

    def need(f, lo, hi):
        ok = np.isfinite(f) & (f <= bound[lo:hi])
        if j == 1:
            return ok
        if lo % j or (hi - lo) % j:  # a block that splits a start's trials: every row
            return np.ones_like(ok)
        ok = ok.reshape(-1, j)
        first = ok.argmax(axis=1)
        hit = np.flatnonzero(ok[np.arange(len(ok)), first])
        out = np.zeros_like(ok)
        out[hit, first[hit]] = True
        return out.ravel()

    return need


def _batched_lbfgs(fg, x0, *, maxiter=1000, m=10, gtol=1e-10, ftol=1e-12, ls_rows=_CHUNK):
    """L-BFGS (Nocedal & Wright 2006, Alg. 7.4 and 7.5) on many independent starts at once.

    ``fg(x, rows, need=None)`` returns f (k,) and g (k, p) at points ``x`` for the starts
    ``rows`` (g may be NaN in rows that ``need`` does not ask for; see :class:`_Huber`). Each
    start has its own curvature history (most recent pair first), step and stopping test.
    Backtracking Armijo line search (c1 = 1e-4, halving); a pair is stored only when
    ``s.y > 0``. A start stops when max|g| <= gtol, when its relative decrease stays <= ftol
    for 5 iterations, when no step decreases f, or when its quasi-Newton step promises a
    relative decrease under ``1e-3 ftol`` (counted as converged). Returns x, f, iterations
    and converged (arrays over starts).

    How it is fast: the state of the starts still running is kept packed (finished starts
    are dropped from it, not indexed around on every iteration); the two-loop recursion
    runs only over the history any start has; and while fewer than ``ls_rows`` starts are
    still searching for a step, the next halvings of each are evaluated in one call (the
    same trials as one by one, since each row is computed on its own).
    """
    x_out = np.array(x0, dtype=float)
    S, P = x_out.shape
    f_out, g0 = fg(x_out, np.arange(S), None)
    iters_out = np.zeros(S, dtype=int)
    done0 = ~np.isfinite(f_out) | (np.abs(g0).max(axis=1) <= gtol)
    conv_out = np.isfinite(f_out) & done0
    # the packed state of the running starts
    idx = np.flatnonzero(~done0)
    x, f, g = x_out[idx], f_out[idx], g0[idx]
    Sh = np.zeros((idx.size, m, P))
    Yh = np.zeros((idx.size, m, P))
    rho = np.zeros((idx.size, m))
    nh = np.zeros(idx.size, dtype=int)
    stall = np.zeros(idx.size, dtype=int)
    iters = np.zeros(idx.size, dtype=int)
    jj = np.arange(m)
    for _ in range(maxiter):
        k = idx.size
        if k == 0:
            break
        # two-loop recursion: d = -H g
        valid = jj[None, :] < nh[:, None]
        q = g.copy()
        alph = np.zeros((k, m))
        top = int(nh.max())
        for j in range(top):
            al = np.where(valid[:, j], rho[:, j] * np.einsum("ij,ij->i", Sh[:, j], q), 0.0)
            alph[:, j] = al
            q -= al[:, None] * Yh[:, j]
        yy = np.einsum("ij,ij->i", Yh[:, 0], Yh[:, 0])
        gnorm = np.sqrt(np.einsum("ij,ij->i", g, g))
        gamma = np.where(
            nh > 0,
            np.einsum("ij,ij->i", Sh[:, 0], Yh[:, 0]) / np.where(yy > 0, yy, 1.0),
            1e-3 / np.maximum(gnorm, 1e-300),
        )
        z = gamma[:, None] * q
        for j in range(top - 1, -1, -1):
            bt = np.where(valid[:, j], rho[:, j] * np.einsum("ij,ij->i", Yh[:, j], z), 0.0)
            z += (alph[:, j] - bt)[:, None] * Sh[:, j]
        d = -z
        slope = np.einsum("ij,ij->i", g, d)
        bad = ~(slope < 0)
        if bad.any():  # not a descent direction: restart from scaled steepest descent
            d[bad] = -g[bad] * (1e-3 / np.maximum(gnorm[bad], 1e-300))[:, None]
            slope[bad] = np.einsum("ij,ij->i", g[bad], d[bad])
            nh[bad] = 0
        # a quasi-Newton step whose whole first-order decrease is under 1e-3 ftol of |f|
        # (below the rounding of f in single precision) is converged: its line search could
        # pass only by rounding, after dozens of halvings
        flat = (nh > 0) & (-slope <= 1e-3 * ftol * np.abs(f))
        # backtracking line search: trial steps 1, 1/2, 1/4, ... (at most 50)
        step = np.ones(k)
        pend = np.flatnonzero(~flat)
        f_new = np.full(k, np.nan)
        g_new = np.zeros((k, P))
        tried = 0
        while pend.size and tried < 50:
            j = max(1, min(50 - tried, ls_rows // pend.size))
            st = step[pend, None] * 0.5 ** np.arange(j)  # (pending, j), exact halvings
            xt = x[pend, None, :] + st[:, :, None] * d[pend, None, :]
            armijo = f[pend, None] + 1e-4 * st * slope[pend, None]
            ft, gt = fg(xt.reshape(-1, P), np.repeat(idx[pend], j), _first_accepted(armijo))
            ft, gt = ft.reshape(-1, j), gt.reshape(-1, j, P)
            ok = np.isfinite(ft) & (ft <= armijo)
            first = ok.argmax(axis=1)
            hit = ok[np.arange(pend.size), first]
            rows, first_hit = pend[hit], first[hit]
            f_new[rows] = ft[hit, first_hit]
            g_new[rows] = gt[hit, first_hit]
            step[rows] = st[hit, first_hit]
            step[pend[~hit]] = st[~hit, -1] * 0.5
            pend = pend[~hit]
            tried += j
        moved = ~np.isnan(f_new)
        if moved.all():
            s_vec = step[:, None] * d
            y_vec = g_new - g
            rel = (f - f_new) / np.maximum(np.abs(f), 1e-300)
            x += s_vec
            f, g = f_new, g_new
        else:
            s_vec = step[moved, None] * d[moved]
            y_vec = g_new[moved] - g[moved]
            rel = (f[moved] - f_new[moved]) / np.maximum(np.abs(f[moved]), 1e-300)
            x[moved] += s_vec
            f[moved] = f_new[moved]
            g[moved] = g_new[moved]
        sy = np.einsum("ij,ij->i", s_vec, y_vec)
        keep = sy > 0
        rows = np.flatnonzero(moved)[keep]
        if rows.size == k:  # every start stores its pair: shift the histories in place
            Sh[:, 1:] = Sh[:, :-1]
            Yh[:, 1:] = Yh[:, :-1]
            rho[:, 1:] = rho[:, :-1]
        else:
            Sh[rows, 1:] = Sh[rows, :-1]
            Yh[rows, 1:] = Yh[rows, :-1]
            rho[rows, 1:] = rho[rows, :-1]
        Sh[rows, 0] = s_vec[keep]
        Yh[rows, 0] = y_vec[keep]
        rho[rows, 0] = 1.0 / sy[keep]
        nh[rows] = np.minimum(nh[rows] + 1, m)
        iters += 1
        stall_m = np.where(rel <= ftol, stall[moved] + 1, 0)
        stall[moved] = stall_m
        finished = (np.abs(g).max(axis=1) <= gtol) | (stall >= 5) | ~moved
        iters[flat] -= 1  # no step taken
        if finished.any():  # write the finished starts out, pack the rest
            out = idx[finished]
            x_out[out], f_out[out], iters_out[out] = x[finished], f[finished], iters[finished]
            conv_out[out] = True
            keep_rows = ~finished
            idx, x, f, g = idx[keep_rows], x[keep_rows], f[keep_rows], g[keep_rows]
            Sh, Yh, rho = Sh[keep_rows], Yh[keep_rows], rho[keep_rows]
            nh, stall, iters = nh[keep_rows], stall[keep_rows], iters[keep_rows]
    # starts stopped by maxiter
    x_out[idx], f_out[idx], iters_out[idx] = x, f, iters
    return x_out, f_out, iters_out, conv_out


def _validate_fit_input(n_params, n_tokens, loss):
    arrays = []
    for name, v in (("n_params", n_params), ("n_tokens", n_tokens), ("loss", loss)):
        a = np.asarray(v, dtype=float).ravel()
        if np.isnan(a).any():
            raise ValueError(f"{name} contains NaN at index {int(np.flatnonzero(np.isnan(a))[0])}")
        require_positive(name, a)
        arrays.append(a)
    if len({a.size for a in arrays}) != 1:
        raise ValueError(
            "n_params, n_tokens and loss must have the same length; got "
            + ", ".join(str(a.size) for a in arrays)
        )
    if arrays[0].size < 6:
        raise ValueError(
            f"fit_scaling_law needs at least 6 runs to fit 5 parameters; got {arrays[0].size}"
        )
    return arrays


def fit_scaling_law(
    n_params,
    n_tokens,
    loss,
    *,
    delta: float = 1e-3,
    grid: dict[str, np.ndarray] | None = None,
    bootstrap: int = 0,
    ci: float = 0.8,
    seed: int = 0,
    maxiter: int = 200,
    n_refine: int = 64,
    polish_maxiter: int = 20000,
) -> ScalingFit:
    """Fit ``L = E + A/N**alpha + B/D**beta`` by Hoffmann et al.'s Approach 3.

    As published (Hoffmann et al. 2022, Sec. 3.3 and Appendix D.2): minimise the sum over runs
    of ``Huber_delta(LSE(a - alpha log N, b - beta log D, e) - log L)`` with ``delta = 1e-3``
    and ``A, B, E = exp(a), exp(b), exp(e)``, by L-BFGS from every point of a grid of 4,500
    initialisations (:data:`HOFFMANN_GRID`), keeping the best local minimum.

    How it is fast: the 4,500 L-BFGS runs are one vectorised batch (numpy over starts x runs,
    with an analytic gradient), each start with its own history, line search and stopping
    test, so the grid costs a few hundred array passes rather than 4,500 Python-level scipy
    calls. The sweep runs in single precision (it only has to find each start's basin); the
    ``n_refine`` best starts continue in double precision to tight tolerances, and the best
    is polished by ``scipy.optimize.minimize(method="L-BFGS-B")`` with ``ftol=1e-15``,
    ``gtol=1e-12``. scipy's default tolerances (``ftol=2.2e-9``, ``gtol=1e-5``) stop this
    problem almost where it starts: the objective is ~1e-3 and its gradient ~1e-4.

    Threads: the objective calls no BLAS routine. Its earlier matrix-vector products went
    through OpenBLAS, which splits even these small products over every core and then waits
    for the slowest thread: on a 2-core machine shared with other jobs that doubled the
    wall time of the fit with the same CPU time.

    Parameters
    ----------
    n_params, n_tokens, loss : array_like
        Parameters N, training tokens D and final loss (nats/token) of each run; positive,
        no NaN, at least 6 runs.
    delta : float
        Huber threshold on log loss.
    grid : dict, optional
        Initialisation grid with keys ``alpha, beta, e, a, b``; :data:`HOFFMANN_GRID` default.
    bootstrap : int
        Number of bootstrap resamples of the runs for confidence intervals (0 for none). Each
        resample is refitted from the distinct local minima of the full fit (not the whole
        grid), in one batch.
    ci : float
        Central interval width for the bootstrap percentiles (0.8 gives 10th-90th).
    seed : int
        Seed of the bootstrap resampling (the point fit is deterministic).
    maxiter : int
        L-BFGS iterations per grid start in the single-precision sweep (on Epoch's 240 points
        94% of starts have converged by 200); the ``n_refine`` best then run to convergence
        in double precision (up to ``20 * maxiter`` iterations).
    n_refine : int
        How many of the best grid starts are refined in double precision.
    polish_maxiter : int
        Iteration limit of the final scipy polish. A fit that hits a limit before its
        tolerances are met reports ``converged=False`` (it never passes off an unfinished
        search as a result).

    Returns
    -------
    ScalingFit
        ``E, A, B, alpha, beta``, ``objective`` (sum of Huber terms), ``converged`` (the polish
        reached a gradient <= 1e-10 or stalled at machine precision) and, with ``bootstrap``,
        ``intervals`` and the ``bootstrap`` samples.

    Raises
    ------
    ValueError
        For NaN, non-positive values, unequal lengths or fewer than 6 runs.
    """
    from scipy.optimize import minimize

    n, d, l_ = _validate_fit_input(n_params, n_tokens, loss)
    require_positive("delta", delta)
    require_in_range("ci", ci, 0.0, 1.0, low_open=True, high_open=True)
    log_n, log_d, log_l = np.log(n), np.log(d), np.log(l_)
    grid = HOFFMANN_GRID if grid is None else grid
    starts = np.array(
        [
            (a, b, e, al, be)
            for al, be, e, a, b in itertools.product(
                grid["alpha"], grid["beta"], grid["e"], grid["a"], grid["b"]
            )
        ]
    )
    h32 = _Huber(log_n, log_d, log_l, delta, np.float32)
    h64 = _Huber(log_n, log_d, log_l, delta)

    # 1) every start, in single precision: which basin does each start fall into?
    def fg32(theta, rows, need=None):
        return h32(theta, need=need)

    x1, _f1, iters, conv1 = _batched_lbfgs(fg32, starts, maxiter=maxiter, gtol=1e-7, ftol=1e-7)
    f1, _ = h64(x1)
    f1 = np.where(np.isfinite(f1), f1, np.inf)
    order = np.argsort(f1, kind="stable")

    # 2) the best candidates, in double precision, to tight tolerances
    def fg64(theta, rows, need=None):
        return h64(theta, need=need)

    top = order[: min(n_refine, int(np.isfinite(f1).sum()) or 1)]
    x2, f2, _, _ = _batched_lbfgs(fg64, x1[top], maxiter=20 * maxiter)
    f2 = np.where(np.isfinite(f2), f2, np.inf)
    best = x2[int(np.argmin(f2))]

    # 3) polish the best with scipy's L-BFGS-B (tight tolerances) and report its convergence
    def scalar(theta):
        ff, gg = h64(theta[None, :])
        return float(ff[0]), gg[0]

    res = minimize(
        scalar,
        best,
        jac=True,
        method="L-BFGS-B",
        options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": int(polish_maxiter), "maxcor": 20},
    )
    theta = res.x if res.fun <= f2.min() else best
    obj, grad = scalar(theta)
    gnorm = float(np.abs(grad).max())
    # converged: scipy's own test passed (relative reduction <= 1e-15 or projected gradient
    # <= 1e-12), or its line search could not decrease f further at machine precision with
    # max|gradient| <= 1e-7 (scipy's *default* tolerances stop this problem at 1e-5 to 1e-4)
    hit_limit = res.status == 1  # scipy: iteration or evaluation limit reached
    converged = bool(np.isfinite(obj) and not hit_limit and (res.success or gnorm <= 1e-7))

    n_at_best = int((f1 <= obj * (1 + 1e-6)).sum())
    minima = x2[np.argsort(f2)[:4]]
    a, b, e, al, be = theta
    fit = dict(
        E=float(np.exp(e)),
        A=float(np.exp(a)),
        B=float(np.exp(b)),
        alpha=float(al),
        beta=float(be),
        objective=float(obj),
        converged=converged,
        grad_norm=gnorm,
        n_points=int(n.size),
        n_starts=int(len(starts)),
        n_starts_at_best=n_at_best,
        n_converged_starts=int(conv1.sum()),
        iterations=int(iters.max()),
    )
    if bootstrap:
        require_in_range("bootstrap", bootstrap, 1, 100000)
        rng = np.random.default_rng(seed)
        k = int(bootstrap)
        counts = rng.multinomial(n.size, np.full(n.size, 1.0 / n.size), size=k).astype(float)
        s0 = np.vstack([theta[None, :], minima[:4]])
        x0 = np.repeat(s0[None, :, :], k, axis=0).reshape(-1, 5)
        w = np.repeat(counts, len(s0), axis=0)

        def fgb(th, rows, need=None):
            return h64(th, w[rows], need)

        xb, fb, *_ = _batched_lbfgs(fgb, x0, maxiter=20 * maxiter)
        fb = np.where(np.isfinite(fb), fb, np.inf).reshape(k, len(s0))
        xb = xb.reshape(k, len(s0), 5)[np.arange(k), np.argmin(fb, axis=1)]
        samples = pd.DataFrame(
            {
                "E": np.exp(xb[:, 2]),
                "A": np.exp(xb[:, 0]),
                "B": np.exp(xb[:, 1]),
                "alpha": xb[:, 3],
                "beta": xb[:, 4],
            }
        )
        samples["a"] = samples["beta"] / (samples["alpha"] + samples["beta"])
        lo, hi = (1 - ci) / 2 * 100, (1 + ci) / 2 * 100
        fit["intervals"] = {
            c: (float(np.percentile(samples[c], lo)), float(np.percentile(samples[c], hi)))
            for c in samples.columns
        }
        fit["bootstrap"] = samples
    return ScalingFit(**fit)


def simulated_runs(law: str | ChinchillaLaw = "epoch_replication", seed: int = 0) -> pd.DataFrame:
    """Training runs simulated from a law: a labelled stand-in for real runs, not data.

    Nine iso-FLOP budgets from 6e18 to 3e21 FLOPs, twelve model sizes each from 0.15 to 6
    times the budget's compute-optimal N, with 1% log-normal noise on the loss.

    Parameters
    ----------
    law : str or ChinchillaLaw, default "epoch_replication"
        The law to simulate.
    seed : int, default 0
        Seed of numpy's default generator for the noise.

    Returns
    -------
    pandas.DataFrame
        Columns ``n_params``, ``n_tokens`` and ``loss`` (nats per token), 108 rows: the
        :func:`inferecon.load_training_runs` schema.
    """
    law = get_law(law)
    rng = np.random.default_rng(seed)
    rows = []
    for c in np.geomspace(6e18, 3e21, 9):
        n_opt, _ = law.compute_optimal(c)
        for n in n_opt * np.geomspace(0.15, 6.0, 12):
            d = iso_flop_tokens(c, n)
            rows.append((n, d, law.loss(n, d) * np.exp(rng.normal(0, 0.01))))
    return pd.DataFrame(rows, columns=["n_params", "n_tokens", "loss"])
