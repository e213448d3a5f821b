"""A deployment plan's sensitivity: re-priced without simulating, across daily volumes, across
latency targets, and with the serving model's calibration error.

A :class:`inferecon.DeploymentPlan` keeps every simulated configuration's goodput per replica.
The goodput depends on the model, the serving configuration, the request lengths and the
latency targets, not on the load curve or the prices, so a different daily volume, peak-to-mean
ratio, headroom, autoscaling choice or rent-or-own price re-prices the same goodputs
(:func:`reprice_plan`, :func:`plan_volume_costs`): exactly what :func:`inferecon.plan_deployment`
would return for those inputs *among the configurations it simulated*. A configuration the
search pruned was never simulated; when, under the new prices, its lower bound (its cost at
the goodput ceiling) falls below the new cheapest cost, the re-priced plan says so
(``search["exact"]`` False, ``search["pruned_below_best"]`` the count) and a new search may
find a cheaper one.

Tighter or looser latency targets change the goodput, so :func:`plan_slo_costs` searches
again at each. :func:`plan_cost_band` carries the serving model's calibration error
(:func:`inferecon.calibration_band` of the chosen GPU) into the plan's cost: the chosen
configuration's goodput is searched again on the step model scaled by ``1 / (1 - e)`` (every
step slower) and ``1 / (1 + e)`` (faster), and re-priced.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._validate import require_in_range, require_positive
from .planner import (
    DeploymentPlan,
    _assemble,
    _cost,
    _day_cost,
    _prices,
    plan_deployment,
    replica_goodput,
    serving_configurations,
)
from .traffic import DAY_S, LoadCurve

__all__ = [
    "PlanStudy",
    "plan_cost_band",
    "plan_search_grid",
    "plan_slo_costs",
    "plan_study",
    "plan_volume_costs",
    "reprice_plan",
]

SEARCH_TENSOR_PARALLEL = (1, 2, 4, 8)
SEARCH_SCHEDULERS = (
    ("chunked_prefill", 512),
    ("chunked_prefill", 2048),
    ("chunked_prefill", 8192),
    "prefill_first",
    ("disaggregated", 1, 1),
    ("disaggregated", 1, 2),
    ("disaggregated", 2, 1),
)
SEARCH_MAX_RUNNING = (128, 256)
"""The full grid of :func:`plan_search_grid`: tensor-parallel sizes, schedulers, most running
requests."""


def plan_search_grid(gpus, precisions, full: bool = False) -> list:
    """The grids notebook 08 and ``benchmarks/planner_bench.py`` search.

    Parameters
    ----------
    gpus, precisions : sequence of str
        Candidate GPUs and weight precisions.
    full : bool
        False: one GPU per replica, chunked prefill with a 2,048-token budget, at most 256
        running requests (the quick search); True: tensor parallelism 1, 2, 4 and 8, seven
        schedulers (chunked prefill with 512, 2,048 and 8,192-token budgets, prefill first,
        disaggregated 1:1, 1:2 and 2:1) and at most 128 or 256 running requests.

    Returns
    -------
    list of ServingConfiguration
    """
    if full:
        return serving_configurations(gpus, precisions, SEARCH_TENSOR_PARALLEL, SEARCH_SCHEDULERS,
                                      SEARCH_MAX_RUNNING)  # fmt: skip
    return serving_configurations(gpus, precisions, (1,), (("chunked_prefill", 2048),), (256,))


_PRICING = ("usd_per_gpu_hour", "purchase_usd", "lifetime_years", "cost_of_capital",
            "usd_per_kwh", "pue", "facility_usd_per_kw_month", "all_in_kw_per_gpu",
            "api_model", "api_provider", "prices_as_of")  # fmt: skip


def _require_plan(plan) -> DeploymentPlan:
    if not isinstance(plan, DeploymentPlan) or plan.curve is None or not plan.pricing:
        raise ValueError(
            "plan must be a DeploymentPlan from ie.plan_deployment (it keeps the curve and "
            f"prices it was priced for); got {type(plan).__name__}"
        )
    return plan


def _hourly(curve) -> LoadCurve:
    if not isinstance(curve, LoadCurve):
        raise ValueError(f"curve must be a LoadCurve; got {type(curve).__name__}")
    if curve.bin_s < 3600 and abs(3600 / curve.bin_s - round(3600 / curve.bin_s)) < 1e-9:
        curve = curve.resampled(3600.0)  # as plan_deployment does
    return curve


def _pricing(plan: DeploymentPlan, changes: dict) -> dict:
    unknown = sorted(set(changes) - set(_PRICING))
    if unknown:
        raise ValueError(f"unknown pricing argument(s) {unknown}; reprice_plan takes "
                         f"{list(_PRICING)}")  # fmt: skip
    return {**plan.pricing, **changes}


def _price_table(plan: DeploymentPlan, pricing: dict):
    keys = _PRICING[:8]
    return _prices(sorted({c.gpu for c in plan.grid}), *(pricing[k] for k in keys))


def _cheapest(plan, curve, prices, autoscale, delay_h, headroom, bounds=True):
    """(row, cost per day) of the cheapest simulated configuration (ties: the earlier row), and
    every feasible row's lower bound (its cost at the ceiling) when ``bounds``."""
    t = plan.configurations
    status = t["status"].to_numpy()
    ceiling = t["ceiling_rps_per_replica"].to_numpy(float)
    power = t["power_w"].to_numpy(float)
    goodput = t["goodput_rps_per_replica"].to_numpy(float)
    best_cost, best_i, lower = math.inf, None, {}
    for k in np.flatnonzero(status != "infeasible"):
        cfg = plan.grid[k]
        if bounds:
            c = ceiling[k] if math.isfinite(ceiling[k]) else 1e12
            lower[k] = _day_cost(curve, cfg, c, power[k], prices, autoscale, delay_h, headroom,
                                 warmup=False)["usd_per_day"]  # fmt: skip
        if status[k] != "simulated":
            continue
        cost = _day_cost(curve, cfg, goodput[k], power[k], prices, autoscale, delay_h,
                         headroom)["usd_per_day"]  # fmt: skip
        if cost < best_cost:  # visited in grid order: a tie keeps the earlier configuration
            best_cost, best_i = cost, int(k)
    if best_i is None or not math.isfinite(best_cost):
        raise ValueError("the plan has no simulated configuration that meets the targets")
    return best_i, best_cost, lower


def _pruned_below(table: pd.DataFrame, best_cost: float) -> int:
    """Pruned configurations whose lower bound is below the cheapest cost found."""
    return int(((table["status"] == "pruned")
                & (table["lower_bound_usd_per_day"] < best_cost)).sum())  # fmt: skip


def reprice_plan(
    plan: DeploymentPlan,
    curve: LoadCurve | None = None,
    *,
    autoscale: bool | None = None,
    headroom: float | None = None,
    scale_up_delay_s: float | None = None,
    runner_ups: int = 4,
    **pricing,
) -> DeploymentPlan:
    """The plan for another load curve or other prices, from its goodputs (no simulation).

    Every configuration the plan simulated is priced again as :func:`inferecon.plan_deployment`
    prices it; the cheapest is the new best (ties go to the earlier configuration of the grid).
    With the search's other arguments unchanged and ``prune=False`` in both, the result equals
    a new search with the new curve and prices. Pruned configurations get their lower bound
    again; ``search["pruned_below_best"]`` counts those now below the new best cost (0:
    ``search["exact"]`` is True, the pruned search's optimum is still the optimum).

    Parameters
    ----------
    plan : DeploymentPlan
        From :func:`inferecon.plan_deployment`.
    curve : LoadCurve, optional
        The new load curve (the plan's when omitted), e.g. ``plan.curve.scaled(2e7)``.
    autoscale : bool, optional
        Scale replicas bin by bin (the plan's choice when omitted).
    headroom : float, optional
        Capacity over each bin's mean rate, in [1, 10] (the plan's when omitted).
    scale_up_delay_s : float, optional
        Seconds a new replica is paid before it serves, in [0, 86400] (the plan's when omitted).
    runner_ups : int
        Runner-ups reported, in [0, 100].
    **pricing
        Any pricing argument of :func:`inferecon.plan_deployment` (``usd_per_gpu_hour``,
        ``purchase_usd``, ``lifetime_years``, ``cost_of_capital``, ``usd_per_kwh``, ``pue``,
        ``facility_usd_per_kw_month``, ``all_in_kw_per_gpu``, ``api_model``,
        ``api_provider``, ``prices_as_of``); the others are the plan's. ``purchase_usd=None``
        switches an owned plan to rent.

    Returns
    -------
    DeploymentPlan
        Its ``search`` is the original search's, with ``pruned_below_best`` and ``exact``.

    Examples
    --------
    >>> import inferecon as ie
    >>> grid = ie.serving_configurations(["H100-SXM"], ["bf16"], [1])
    >>> curve = ie.diurnal_load_curve(1e6, 2.0)
    >>> plan = ie.plan_deployment("Llama-3.1-8B", curve, (400, 120), ttft_ms=500,
    ...                           tpot_ms=50, configurations=grid, n_requests=30)
    >>> twice = ie.reprice_plan(plan, curve.scaled(2e6))
    >>> bool(twice.best["goodput_rps_per_replica"] == plan.best["goodput_rps_per_replica"])
    True
    """
    plan = _require_plan(plan)
    curve = _hourly(plan.curve if curve is None else curve)
    i = plan.inputs
    autoscale = i["autoscale"] if autoscale is None else bool(autoscale)
    headroom = i["headroom"] if headroom is None else headroom
    delay = i["scale_up_delay_s"] if scale_up_delay_s is None else scale_up_delay_s
    require_in_range("headroom", headroom, 1.0, 10.0)
    require_in_range("scale_up_delay_s", delay, 0.0, DAY_S)
    top = int(require_in_range("runner_ups", runner_ups, 0, 100))
    pr = _pricing(plan, pricing)
    prices = _price_table(plan, pr)
    configs, delay_h = plan.grid, delay / 3600.0
    best_i, best_cost, lower = _cheapest(plan, curve, prices, autoscale, delay_h, headroom)
    rows = plan.configurations.to_dict("records")
    goodputs = {}
    for k, lb in lower.items():
        rows[k]["lower_bound_usd_per_day"] = lb
        if rows[k]["status"] == "simulated":
            goodputs[k] = (rows[k]["goodput_rps_per_replica"], rows[k]["simulations"])
    table, ranked, sched, api = _assemble(
        rows, configs, goodputs, curve, prices, autoscale, delay_h, headroom,
        i["mean_prompt_tokens"], i["mean_output_tokens"], best_i,
        (pr["api_model"], pr["api_provider"], pr["prices_as_of"]),
    )  # fmt: skip
    below = _pruned_below(table, best_cost)
    search = {**plan.search, "pruned_below_best": below, "exact": below == 0}
    inputs = {**i, "daily_requests": curve.daily_requests, "peak_to_mean": curve.peak_to_mean,
              "owned": prices.owned, "autoscale": autoscale, "scale_up_delay_s": delay,
              "headroom": headroom}  # fmt: skip
    return DeploymentPlan(table, table.loc[best_i], ranked.iloc[1 : 1 + top], sched, api,
                          search, inputs, configs, curve, pr, plan.efficiency)  # fmt: skip


def plan_volume_costs(plan: DeploymentPlan, daily_requests, **reprice_kwargs) -> pd.DataFrame:
    """The cheapest plan's cost at each daily volume, the load curve's shape kept (no simulation).

    Each volume re-prices the plan's goodputs (:func:`reprice_plan` of
    ``plan.curve.scaled(v)``); beside it, the API list price of the same workload when the
    plan has one. A fleet is whole replicas, so at low volumes the cost per token rises (an
    idle replica is paid), while the API's is flat.

    Parameters
    ----------
    plan : DeploymentPlan
        From :func:`inferecon.plan_deployment`.
    daily_requests : array_like
        Requests per day, each > 0.
    **reprice_kwargs
        Passed to :func:`reprice_plan` (``autoscale``, ``headroom``, pricing).

    Returns
    -------
    pandas.DataFrame
        One row per volume: ``daily_requests``, ``label``, ``gpu``, ``peak_gpus``,
        ``usd_per_day``, ``usd_per_mtok_output``, ``exact`` (no pruned configuration could be
        cheaper there), ``api_usd_per_day`` and ``api_usd_per_mtok_output`` (NaN without an
        API price).
    """
    plan = _require_plan(plan)
    vols = np.atleast_1d(np.asarray(daily_requests, dtype=float))
    if vols.ndim != 1 or not len(vols):
        raise ValueError("daily_requests must be a number or a 1-D sequence of numbers")
    for v in vols:
        require_positive("daily_requests", v)
    kw, i = dict(reprice_kwargs), plan.inputs
    autoscale = bool(kw.pop("autoscale", i["autoscale"]))
    headroom = kw.pop("headroom", i["headroom"])
    delay = kw.pop("scale_up_delay_s", i["scale_up_delay_s"])
    require_in_range("headroom", headroom, 1.0, 10.0)
    require_in_range("scale_up_delay_s", delay, 0.0, DAY_S)
    pr = _pricing(plan, kw)
    prices = _price_table(plan, pr)
    api_keys = ("api_model", "api_provider", "prices_as_of")
    api_args = tuple(pr[k] for k in api_keys)
    api_per_request = api_per_mtok = math.nan
    if api_args[0] is not None:  # a list price is linear in the requests
        api = plan.api
        if api is None or api_args != tuple(plan.pricing[k] for k in api_keys):
            from .workload_bills import api_bill

            api = api_bill(api_args[0], round(i["mean_prompt_tokens"]),
                           max(round(i["mean_output_tokens"]), 1), plan.curve.daily_requests,
                           provider_id=api_args[1], as_of=api_args[2])  # fmt: skip
        api_per_request = float(api["usd_per_day"].iloc[0]) / plan.curve.daily_requests
        api_per_mtok = float(api["usd_per_mtok_output"].iloc[0])
    rows = []
    for v in vols:
        curve = plan.curve.scaled(float(v))
        k, cost, lower = _cheapest(plan, curve, prices, autoscale, delay / 3600.0, headroom)
        below = sum(lb < cost for j, lb in lower.items() if plan.configurations.at[j, "status"]
                    == "pruned")  # fmt: skip
        c = _day_cost(curve, plan.grid[k], float(plan.configurations.at[k,
                      "goodput_rps_per_replica"]), float(plan.configurations.at[k, "power_w"]),
                      prices, autoscale, delay / 3600.0, headroom)  # fmt: skip
        out_mtok = curve.daily_requests * i["mean_output_tokens"] / 1e6
        rows.append({"daily_requests": float(v), "label": plan.configurations.at[k, "label"],
                     "gpu": plan.grid[k].gpu, "peak_gpus": int(c["peak_gpus"]),
                     "usd_per_day": float(cost), "usd_per_mtok_output": float(cost) / out_mtok,
                     "exact": below == 0, "api_usd_per_day": api_per_request * float(v),
                     "api_usd_per_mtok_output": api_per_mtok})  # fmt: skip
    return pd.DataFrame(rows)


def plan_cost_band(plan: DeploymentPlan, lengths=None, *, rel_error=None, goodputs=None) -> dict:
    """The chosen configuration's cost with the serving model's calibration error.

    The goodput of the plan's cheapest configuration is searched again (same request table,
    targets and search as the plan: :func:`inferecon.replica_goodput`) on its step model scaled
    by ``1 / (1 - e)`` (every step slower: the dearer end) and ``1 / (1 + e)`` (faster: the
    cheaper end), :class:`inferecon.ScaledStepTime`, with ``e`` the GPU's
    :func:`inferecon.calibration_band` (its p90 error of step time), and each goodput is priced
    as the plan prices its own. The serving power per GPU is held at the plan's. The
    configuration is held fixed: the band is the cost of what the plan chose, not of a new
    search. The two goodputs do not depend on the load curve or the prices: pass them back as
    ``goodputs`` to price a re-priced plan's band without simulating
    (:func:`reprice_plan`).

    Parameters
    ----------
    plan : DeploymentPlan
        From :func:`inferecon.plan_deployment`.
    lengths : JointLengths or tuple
        The lengths the plan was searched with (required unless ``goodputs`` is given).
    rel_error : float, optional
        Relative error of step time in [0, 1), instead of the GPU's band.
    goodputs : tuple of float, optional
        ``(low, high)`` goodputs per replica of the slower and faster step models (a previous
        result's ``goodput_rps_per_replica_low`` and ``_high``): priced, not searched.

    Returns
    -------
    dict
        ``gpu``, ``rel_error``, ``calibrated`` (False: the GPU's constants are extrapolated),
        ``goodput_rps_per_replica`` (low, nominal, high as ``_low``/``_high``),
        ``peak_gpus_low``/``_high``, ``usd_per_day_low``/``_high`` and
        ``usd_per_mtok_output_low``/``_high`` (low: the faster step model's cost; high: the
        slower one's).
    """
    from .uncertainty import ScaledStepTime, calibration_band

    plan = _require_plan(plan)
    cfg, best, i = plan.configuration(), plan.best, plan.inputs
    band = calibration_band(cfg.gpu)
    if rel_error is None:
        e = band.rel_error
    else:
        e = float(require_in_range("rel_error", rel_error, 0.0, 1.0, high_open=True))
    if goodputs is None and lengths is None:
        raise ValueError("lengths is required to search the band's goodputs (or give goodputs)")
    if goodputs is not None:
        if len(goodputs) != 2:
            raise ValueError(f"goodputs must be a pair (low, high); got {goodputs!r}")
        for g in goodputs:
            require_in_range("goodputs", g, 0.0, math.inf)
    prices = _price_table(plan, plan.pricing)
    out = {"gpu": cfg.gpu, "rel_error": e, "calibrated": band.calibrated,
           "goodput_rps_per_replica": float(best["goodput_rps_per_replica"]),
           "usd_per_day": float(best["usd_per_day"]),
           "usd_per_mtok_output": float(best["usd_per_mtok_output"])}  # fmt: skip
    per_mtok = float(best["usd_per_mtok_output"]) / float(best["usd_per_day"])
    for end, f in (("high", 1.0 / (1.0 - e)), ("low", 1.0 / (1.0 + e))):  # slower, faster
        if goodputs is not None:
            g = float(goodputs[0] if end == "high" else goodputs[1])
        else:
            g = _band_goodput(plan, cfg, lengths, f, ScaledStepTime)
        c = _day_cost(plan.curve, cfg, g, float(best["power_w"]), prices, i["autoscale"],
                      i["scale_up_delay_s"] / 3600.0, i["headroom"])  # fmt: skip
        out[f"goodput_rps_per_replica_{'low' if end == 'high' else 'high'}"] = g
        out[f"peak_gpus_{end}"] = c.get("peak_gpus", math.nan)
        out[f"usd_per_day_{end}"] = float(c["usd_per_day"])
        out[f"usd_per_mtok_output_{end}"] = float(c["usd_per_day"]) * per_mtok
    return out


def _band_goodput(plan, cfg, lengths, factor, scaled_cls) -> float:
    """The chosen configuration's goodput per replica on its step model times ``factor``."""
    i = plan.inputs
    scaled = scaled_cls(_cost(i["model"], cfg, plan.efficiency), factor)
    return replica_goodput(i["model"], cfg, lengths, ttft_ms=i["ttft_ms"], tpot_ms=i["tpot_ms"],
                           attainment=i["attainment"], n_requests=i["n_requests"],
                           seed=i["seed"], burstiness=i.get("burstiness", 1.0),
                           warmup_share=i["warmup_share"], rel_tol=i.get("rel_tol", 0.02),
                           cost=scaled)["goodput_rps"]  # fmt: skip


def plan_slo_costs(
    model,
    curve: LoadCurve,
    lengths,
    *,
    ttft_ms: float,
    tpot_ms: float,
    attainment: float = 0.9,
    scales=(0.5, 1.0, 2.0),
    vary: str = "ttft_ms",
    plans: dict | None = None,
    progress=None,
    **plan_kwargs,
) -> pd.DataFrame:
    """The cheapest plan at tighter and looser latency targets: what a stricter promise costs.

    :func:`inferecon.plan_deployment` with one target (``vary``) multiplied by each ``s`` of
    ``scales``, the other arguments the same (a search each; a looser target never costs more).

    Parameters
    ----------
    model, curve, lengths, ttft_ms, tpot_ms, attainment
        As in :func:`inferecon.plan_deployment`: the reference targets.
    scales : sequence of float
        Multipliers of the varied target, each in (0, 100] (0.5: twice as strict).
    vary : {"ttft_ms", "tpot_ms"}
        The target multiplied.
    plans : dict, optional
        Plans already searched, by scale (e.g. ``{1.0: plan}``): re-used, not searched again.
    progress : callable, optional
        ``progress(done, total)`` over all the searches (``total``: configurations times
        scales searched).
    **plan_kwargs
        Passed to :func:`inferecon.plan_deployment` (``configurations``, prices...).

    Returns
    -------
    pandas.DataFrame
        One row per scale: ``scale``, ``ttft_ms``, ``tpot_ms``, ``label``, ``gpu``, ``peak_gpus``,
        ``usd_per_day``, ``usd_per_mtok_output`` (NaN and label ``"none meets the targets"``
        where no configuration meets them); ``attrs["plans"]`` holds the plans by scale.
    """
    if vary not in ("ttft_ms", "tpot_ms"):
        raise ValueError(f"vary must be 'ttft_ms' or 'tpot_ms'; got {vary!r}")
    scales = [float(require_in_range("scales", s, 0.0, 100.0, low_open=True)) for s in scales]
    if not scales:
        raise ValueError("scales must hold at least one multiplier")
    if progress is not None and not callable(progress):
        raise ValueError(f"progress must be callable; got {type(progress).__name__}")
    known = dict(plans or {})
    todo = [s for s in scales if s not in known]
    grid = plan_kwargs.get("configurations")
    n = len(grid) if grid is not None else len(serving_configurations())
    rows, out_plans = [], {}
    for s in scales:
        if s in known:
            plan = known[s]
        else:
            step = todo.index(s)

            def part(done, total, step=step):
                if progress is not None:
                    progress(step * n + done, len(todo) * n)

            slo = {"ttft_ms": ttft_ms, "tpot_ms": tpot_ms}
            slo[vary] *= s
            try:
                plan = plan_deployment(model, curve, lengths, **slo, attainment=attainment,
                                       progress=part, **plan_kwargs)  # fmt: skip
            except ValueError as exc:
                if "no configuration meets" not in str(exc):
                    raise
                plan = None
                if progress is not None:
                    progress((step + 1) * n, len(todo) * n)
        out_plans[s] = plan
        b = None if plan is None else plan.best
        rows.append({"scale": s, "ttft_ms": ttft_ms * (s if vary == "ttft_ms" else 1.0),
                     "tpot_ms": tpot_ms * (s if vary == "tpot_ms" else 1.0),
                     "label": "none meets the targets" if b is None else b["label"],
                     "gpu": "" if b is None else b["gpu"],
                     "peak_gpus": math.nan if b is None else float(b["peak_gpus"]),
                     "usd_per_day": math.nan if b is None else float(b["usd_per_day"]),
                     "usd_per_mtok_output": math.nan if b is None
                     else float(b["usd_per_mtok_output"])})  # fmt: skip
    table = pd.DataFrame(rows)
    table.attrs["plans"] = out_plans
    return table


@dataclass
class PlanStudy:
    """What :func:`plan_study` returns: a plan and its sensitivities.

    Attributes
    ----------
    plan : DeploymentPlan
        The cheapest plan at the targets.
    slo : dict
        :func:`plan_slo_costs` tables by the target varied (``"ttft_ms"``, ``"tpot_ms"``).
    band : dict
        :func:`plan_cost_band` of the plan.
    wall_s : float
        Seconds the whole study took.
    """

    plan: DeploymentPlan
    slo: dict
    band: dict
    wall_s: float


def plan_study(
    model,
    curve: LoadCurve,
    lengths,
    *,
    ttft_ms: float,
    tpot_ms: float,
    attainment: float = 0.9,
    scales=(0.5, 1.0),
    progress=None,
    **plan_kwargs,
) -> PlanStudy:
    """A plan, the cost of stricter (or looser) TTFT and TPOT targets, and its calibration band.

    :func:`inferecon.plan_deployment`, then :func:`plan_slo_costs` for each target at
    ``scales`` (the plan re-used at 1) and :func:`plan_cost_band`: what notebook 08's explorer
    draws.

    Parameters
    ----------
    model, curve, lengths, ttft_ms, tpot_ms, attainment
        As in :func:`inferecon.plan_deployment`.
    scales : sequence of float
        Multipliers of each target (0.5: twice as strict), each in (0, 100].
    progress : callable, optional
        ``progress(done, total)`` over every search and the band (``total``: the grid's
        configurations times the searches, plus 2 for the band).
    **plan_kwargs
        Passed to every :func:`inferecon.plan_deployment` (``configurations``, prices...).

    Returns
    -------
    PlanStudy

    Raises
    ------
    ValueError
        No configuration meets the targets (from :func:`inferecon.plan_deployment`).
    """
    import time

    if progress is not None and not callable(progress):
        raise ValueError(f"progress must be callable; got {type(progress).__name__}")
    t0 = time.perf_counter()
    grid = plan_kwargs.get("configurations")
    n = len(grid) if grid is not None else len(serving_configurations())
    others = [float(s) for s in scales if s != 1.0]
    total = n * (1 + 2 * len(others)) + 2
    base = [0]

    def tick(done, _n):
        if progress is not None:
            progress(base[0] + done, total)

    slo = dict(ttft_ms=ttft_ms, tpot_ms=tpot_ms, attainment=attainment)
    plan = plan_deployment(model, curve, lengths, **slo, progress=tick, **plan_kwargs)
    tables = {}
    for k, vary in enumerate(("ttft_ms", "tpot_ms")):
        base[0] = n * (1 + k * len(others))
        tables[vary] = plan_slo_costs(model, curve, lengths, **slo, scales=scales, vary=vary,
                                      plans={1.0: plan}, progress=tick, **plan_kwargs)  # fmt: skip
    band = plan_cost_band(plan, lengths)
    if progress is not None:
        progress(total, total)
    return PlanStudy(plan, tables, band, time.perf_counter() - t0)
