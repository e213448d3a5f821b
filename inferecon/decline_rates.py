"""The decline's rates per year: each factor carried past the window and checked against the
later frontier prices (:func:`forward_look`), and set beside the published rates
(:func:`published_rates_beside`, ``data/published_rates.csv``).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._validate import require_in_range
from .decline_draws import _interval, _lognormal
from .decline_scenarios import ServingScenario
from .frontier_pairs import _engine_of_year
from .price_decomposition import PriceDecline, decompose_price_decline
from .rates import halving_time_months_to_factor_per_year

__all__ = ["ForwardLook", "forward_look", "published_rates_beside"]


@dataclass(frozen=True)
class ForwardLook:
    """The result of :func:`forward_look`.

    Attributes
    ----------
    rates : pandas.DataFrame
        One row per factor (``model``, ``hardware``, ``serving``, ``residual``, ``total``, and
        ``model x serving`` and ``price`` for comparisons): ``factor_per_year``, ``low``,
        ``high`` (the rate carried forward, decline factor per year: 2 = half the price each
        year; median and 90% interval), ``window_factor_per_year``, ``window_low``,
        ``window_high`` (the decomposition's factor annualised over its window) and ``basis``.
    checks : pandas.DataFrame
        The out-of-sample comparison: one row per later frontier point (``kind`` = ``"new
        low"``) and one for the frontier's level on ``as_of`` (``"level"``): ``date``,
        ``model``, ``observed_usd_per_mtok``, ``predicted_median``, ``predicted_low``,
        ``predicted_high`` (USD per million tokens, 90% interval), ``inside`` (the observed
        price within the interval) and ``observed_over_predicted``.
    path : pandas.DataFrame
        The extrapolated price by month: ``date``, ``median``, ``low``, ``high``.
    window_years : float
        Years between the two ends of the decomposition.
    """

    rates: pd.DataFrame
    checks: pd.DataFrame
    path: pd.DataFrame
    window_years: float


def _model_rate(start, end, sizes, window_years):
    """Decline factor per year of the active parameters at equal capability."""
    if sizes is not None and len(sizes) >= 3:
        from .rates import fit_log_linear_trend

        t = fit_log_linear_trend(sizes["date"], sizes["params_active"])
        lo, hi = t.ci90_oom_per_year
        basis = (f"log-linear fit to the active parameters of {t.n_points} frontier models of "
                 f"known size ({t.start.date()} to {t.end.date()})")  # fmt: skip
        return 10.0**-t.slope_oom_per_year, 10.0**-hi, 10.0**-lo, basis
    (ls, hs), (le, he) = start.params_active, end.params_active
    mid = math.sqrt(ls * hs) / math.sqrt(le * he)
    basis = "the two ends' active parameters, annualised over the window (fewer than 3 known sizes)"
    return tuple(x ** (1 / window_years) for x in (mid, ls / he, hs / le)) + (basis,)


def forward_look(
    decline: PriceDecline,
    start: ServingScenario,
    end: ServingScenario,
    frontier: pd.DataFrame,
    hardware_trend,
    engine_profiles: pd.DataFrame,
    as_of,
    *,
    sizes: pd.DataFrame | None = None,
    draws: int = 10_000,
    seed=0,
) -> ForwardLook:
    """Carry each factor's rate past the window and check it against the later frontier prices.

    The rates, as decline factors per year:

    * **model**: the active parameters of the frontier's models of known size
      (:func:`frontier_known_sizes`, a log-linear fit with its 90% interval; the two ends'
      sizes when fewer than 3 are known): the cost of a token is about proportional to the
      bytes it reads;
    * **hardware**: the accelerators' price-performance trend (notebook 06,
      :func:`inferecon.fit_hardware_trend`): FLOP/s per USD grows by this factor a year;
    * **serving**: the end's engine profile against the next year's
      (``data/engine_profiles.csv``), from :func:`decompose_price_decline` (1 when no newer
      profile exists);
    * **residual**: held at 1 (an assumption: a margin cannot fall for ever, and nothing here
      measures its trend).

    The total rate (their product, drawn independently, normal in logs within each 90%
    interval) takes the end's list price forward: ``P(t) = P_end / total ** years``.

    Parameters
    ----------
    decline : PriceDecline
        :func:`decompose_price_decline` of ``start`` and ``end`` (its factors are annualised
        over the window beside the forward rates).
    start, end : ServingScenario
        The two ends.
    frontier : pandas.DataFrame
        :func:`inferecon.cheapest_frontier` of the same benchmark and threshold, **not** cut at
        the end's date: its points after the end are the out-of-sample check.
    hardware_trend : HardwareTrend
        :func:`inferecon.fit_hardware_trend` of ``price_performance``.
    engine_profiles : pandas.DataFrame
        :func:`inferecon.load_engine_profiles`.
    as_of : date-like
        The last date the price data covers (the frontier's level is checked there too), not
        before the end's date.
    sizes : pandas.DataFrame, optional
        Known sizes (:func:`frontier_known_sizes`); only those dated up to the end count.
    draws : int
        Monte Carlo draws, in [1, 1e7].
    seed : int or numpy.random.Generator, optional
        Seed of the draws.

    Returns
    -------
    ForwardLook
        ``rates`` (each factor's rate, forward and in the window), ``checks`` (the comparison
        with the later frontier points: is each inside the extrapolated 90% interval?),
        ``path`` (the extrapolated price by month) and ``window_years``.

    Raises
    ------
    ValueError
        When the ends are in the wrong order, ``as_of`` is before the end, ``hardware_trend``
        is not a price-performance trend, or ``draws`` is out of range.
    """
    from .rates import years_between

    if not hasattr(hardware_trend, "metric") or hardware_trend.metric != "price_performance":
        raise ValueError("hardware_trend must be a price_performance HardwareTrend "
                         "(inferecon.fit_hardware_trend)")  # fmt: skip
    for label, s in (("start", start), ("end", end)):
        if not isinstance(s, ServingScenario):
            raise ValueError(f"{label} must be a ServingScenario; got {type(s).__name__}")
    if not start.price_date < end.price_date:
        raise ValueError(
            f"start ({start.price_date.date()}) must be before end ({end.price_date.date()}): "
            "endpoints in the wrong order"
        )
    as_of = pd.Timestamp(as_of)
    if as_of < end.price_date:
        raise ValueError(f"as_of ({as_of.date()}) must not be before end "
                         f"({end.price_date.date()})")  # fmt: skip
    n = int(require_in_range("draws", draws, 1, 1e7))
    rng = np.random.default_rng(seed)
    years = years_between(start.price_date, end.price_date)

    if sizes is not None:
        sizes = sizes[pd.to_datetime(sizes["date"]) <= end.price_date]
    m_med, m_lo, m_hi, m_basis = _model_rate(start, end, sizes, years)
    h_med = hardware_trend.factor_per_year
    h_lo, h_hi = hardware_trend.factor_per_year_ci90
    # serving: the end's engine against the next year's profile
    now = _engine_of_year(engine_profiles, end.price_date.year)
    later = engine_profiles[engine_profiles["year"] > now["year"]].sort_values("year")
    if len(later):
        nxt = later.iloc[0]
        gap = float(nxt["year"] - now["year"])
        upgraded = dataclasses.replace(
            end,
            name=f"{end.name} with {nxt['engine_profile']}",
            precision=nxt["precision"],
            kv_used_share=(nxt["kv_used_share_low"], nxt["kv_used_share_high"]),
            max_running_requests=int(nxt["max_running_requests"]),
            throughput_share=(nxt["throughput_share_low"], nxt["throughput_share_high"]),
            price_date=end.price_date + pd.Timedelta(days=365.0 * gap),
        )
        s_draws = decompose_price_decline(end, upgraded, draws=n, seed=rng).draws["serving"]
        s_draws = s_draws.to_numpy() ** (1.0 / gap)
        s_basis = (f"engine profile {now['engine_profile']} -> {nxt['engine_profile']} "
                   "(data/engine_profiles.csv)")  # fmt: skip
    else:
        s_draws = np.ones(n)
        s_basis = f"no engine profile after {now['engine_profile']}: held at 1"
    m_draws = _lognormal(rng, n, m_med, m_lo, m_hi)
    h_draws = _lognormal(rng, n, h_med, h_lo, h_hi)
    total = m_draws * h_draws * s_draws

    def window(col):
        return _interval(decline.draws[col].to_numpy() ** (1.0 / years))

    rows = []
    for name, d, basis in (
        ("model", m_draws, m_basis),
        ("hardware", h_draws, f"accelerator price-performance trend at {hardware_trend.precision}"
                              f" ({hardware_trend.fit.n_points} chips, notebook 06)"),
        ("serving", s_draws, s_basis),
        ("residual", np.ones(n), "held at 1 (assumption)"),
        ("total", total, "product of the four"),
    ):  # fmt: skip
        med, lo, hi = _interval(d)
        w = window("cost" if name == "total" else name)
        rows.append(dict(factor=name, factor_per_year=med, low=lo, high=hi,
                         window_factor_per_year=w[0], window_low=w[1], window_high=w[2],
                         basis=basis))  # fmt: skip
    ms = (decline.draws["model"] * decline.draws["serving"]).to_numpy() ** (1.0 / years)
    med, lo, hi = _interval(m_draws * s_draws)
    w = _interval(ms)
    rows.append(dict(factor="model x serving", factor_per_year=med, low=lo, high=hi,
                     window_factor_per_year=w[0], window_low=w[1], window_high=w[2],
                     basis="model and serving together (algorithms and software)"))  # fmt: skip
    pr = decline.price_ratio ** (1.0 / years)
    rows.append(dict(factor="price", factor_per_year=np.nan, low=np.nan, high=np.nan,
                     window_factor_per_year=pr, window_low=pr, window_high=pr,
                     basis="the observed list-price fall, annualised"))  # fmt: skip
    rates = pd.DataFrame(rows)
    # the rates' "total" window is the cost ratio; the price's is the observed one
    rates.loc[rates["factor"] == "total", "basis"] = (
        "product of the four (window: the cost ratio, i.e. without the residual)"
    )

    p_end = end.usd_per_mtok

    def predict(dates):
        t = np.array([years_between(end.price_date, d) for d in dates])
        paths = p_end / total[None, :] ** t[:, None]
        return np.percentile(paths, [50, 5, 95], axis=1)

    later_pts = frontier[(pd.to_datetime(frontier["date"]) > end.price_date)
                         & (pd.to_datetime(frontier["date"]) <= as_of)]  # fmt: skip
    upto = frontier[pd.to_datetime(frontier["date"]) <= as_of]
    level = float(upto["usd_per_mtok"].min()) if len(upto) else p_end
    level_model = (
        str(upto.loc[upto["usd_per_mtok"].astype(float).idxmin(), "model"])
        if len(upto)
        else end.name
    )
    check_rows = [
        dict(kind="new low", date=pd.Timestamp(r["date"]), model=r["model"],
             observed_usd_per_mtok=float(r["usd_per_mtok"]))
        for _, r in later_pts.iterrows()
    ]  # fmt: skip
    check_rows.append(dict(kind="level", date=as_of, model=level_model,
                           observed_usd_per_mtok=min(level, p_end)))  # fmt: skip
    checks = pd.DataFrame(check_rows)
    med, lo, hi = predict(checks["date"])
    checks["predicted_median"], checks["predicted_low"], checks["predicted_high"] = med, lo, hi
    obs = checks["observed_usd_per_mtok"]
    checks["inside"] = (obs >= checks["predicted_low"]) & (obs <= checks["predicted_high"])
    checks["observed_over_predicted"] = obs / checks["predicted_median"]
    months = pd.date_range(end.price_date, max(as_of, end.price_date + pd.Timedelta(days=365)),
                           freq="MS")  # fmt: skip
    dates = pd.DatetimeIndex([end.price_date, *[m for m in months if m > end.price_date]])
    med, lo, hi = predict(dates)
    path = pd.DataFrame({"date": dates, "median": med, "low": lo, "high": hi})
    return ForwardLook(rates=rates, checks=checks, path=path, window_years=years)


def _check_position(row) -> str:
    """Where a row of :attr:`ForwardLook.checks` lies: ``"inside"``, ``"above"`` or ``"below"``
    its predicted 90% interval."""
    if row["inside"]:
        return "inside"
    return "above" if row["observed_usd_per_mtok"] > row["predicted_high"] else "below"


# --------------------------------------------------------------------------- published rates

_PUBLISHED_COUNTERPARTS = (
    # key, label, the package's row to compare with (in ForwardLook.rates), its column kind
    ("epoch_price_decline_range", "Epoch AI: price at constant capability, across tasks",
     "price"),
    ("epoch_price_decline_range@value", "Epoch AI: GPT-4 level (GPQA Diamond)", "price"),
    ("a16z_llmflation", "a16z LLMflation: cost at equal performance", "price"),
    ("gundlach_2025_frontier_price_decline", "Gundlach et al. 2025: frontier models' price",
     "price"),
    ("ai_index_2025_hardware_cost_decline", "AI Index 2025: hardware cost -30%/yr", "hardware"),
    ("ai_index_2025_energy_efficiency_gain", "AI Index 2025: energy efficiency +40%/yr",
     "hardware"),
    ("gundlach_2025_algorithmic_efficiency", "Gundlach et al. 2025: algorithmic efficiency",
     "model x serving"),
    ("epoch_2022_gpu_price_performance_doubling_ml",
     "Epoch AI 2022: ML GPUs' FLOP/s per dollar (95% CI)", "hardware"),
    ("ho_2024_algorithmic_compute_halving",
     "Ho et al. 2024: training compute at equal performance (95% CI)", "model"),
)  # fmt: skip


def _published_factor_per_year(value: float, unit: str, base: str) -> float:
    """A published rate as a decline (or growth) factor per year; NaN stays NaN."""
    if unit == "fraction_per_year":
        return 1.0 / (1.0 - value) if "cost" in base else 1.0 + value
    if unit == "months_halving_time":
        return float(halving_time_months_to_factor_per_year(value))
    if unit == "years_doubling_time":
        return float(2.0 ** (1.0 / value))
    return value


def published_rates_beside(published: pd.DataFrame, rates: pd.DataFrame) -> pd.DataFrame:
    """Published decline rates beside the package's, as factors per year.

    The published numbers are rows of ``data/published_rates.csv`` (each with its source):
    Epoch AI's 9-900x a year across tasks and 40x at GPT-4 level, a16z's 10x, Gundlach et al.
    2025's 5-10x for frontier models and ~3x algorithmic efficiency, the AI Index 2025's
    hardware cost -30% a year (x1/(1 - 0.3) = x1.43 price-performance) and energy efficiency
    +40% a year (x1.40), Epoch AI's (Hobbhahn and Besiroglu 2022) doubling of ML GPUs' FLOP/s
    per dollar every 2.07 years (x2 ** (1 / 2.07) = x1.40 a year; 95% CI 1.54-3.13 years) and
    Ho et al. 2024's halving of the training compute at equal performance every 8 months
    (x2 ** (12 / 8) = x2.83 a year; 95% CI 5-14 months), quoted, not refitted. Each is set
    beside the factor of the decomposition it speaks to: the observed price fall, the hardware
    factor, the model factor (Ho et al.: training compute, the nearest published rate to
    smaller models at equal capability), or model and serving together (what Gundlach et al.
    call algorithms: smaller models at equal capability and better software).

    Parameters
    ----------
    published : pandas.DataFrame
        :func:`inferecon.load_published_rates`.
    rates : pandas.DataFrame
        :attr:`ForwardLook.rates`.

    Returns
    -------
    pandas.DataFrame
        ``claim``, ``published``, ``published_low``, ``published_high`` (factor per year; low
        and high NaN for a point claim), ``compared_with`` (the package's factor),
        ``package``, ``package_low``, ``package_high`` (the factor annualised over the window,
        median and 90% interval), ``agrees`` (the intervals overlap, a point counting as an
        interval of one value) and ``source``.
    """
    r = rates.set_index("factor")
    rows = []
    for key, label, factor in _PUBLISHED_COUNTERPARTS:
        base, _, field = key.partition("@")
        if base not in published.index:
            continue
        row = published.loc[base]
        value, lo, hi = (float(row[c]) if pd.notna(row[c]) else np.nan
                         for c in ("value", "low", "high"))  # fmt: skip
        if field == "value":
            lo = hi = np.nan
        elif base == "epoch_price_decline_range":
            value = np.nan
        value, lo, hi = (_published_factor_per_year(x, row["unit"], base) for x in (value, lo, hi))
        if lo > hi:  # a time (halving, doubling): the shorter time is the faster rate
            lo, hi = hi, lo
        p = r.loc[factor]
        pk = (p["window_factor_per_year"], p["window_low"], p["window_high"])
        a_lo, a_hi = (value, value) if np.isnan(lo) else (lo, hi)
        agrees = bool(a_lo <= pk[2] and pk[1] <= a_hi)
        rows.append(dict(claim=label, published=value, published_low=lo, published_high=hi,
                         compared_with=factor, package=pk[0], package_low=pk[1],
                         package_high=pk[2], agrees=agrees, source=row["source"]))  # fmt: skip
    return pd.DataFrame(rows)
