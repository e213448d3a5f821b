"""A workload's bill at today's API list prices against the same workload on your own GPUs.

API list prices come from the ``genai-prices`` package's bundled snapshot, never its network
update (:func:`api_list_price`, :func:`api_bill`); the self-hosted bill provisions whole
replicas for the peak demand (:func:`self_hosted_bill`).
"""

from __future__ import annotations

import datetime as _dt
import difflib
import functools
from decimal import Decimal

import numpy as np
import pandas as pd

from ._validate import renamed_parameters, require_in_range, require_positive
from .factory_assumptions import (
    HOURS_PER_MONTH,
    _arr,
    _kwh_or_default,
    _nonneg,
    _pue_or_default,
)
from .specs import get_gpu
from .token_costs import token_economics

__all__ = [
    "PRICE_TIME_OF_DAY",
    "api_bill",
    "api_list_price",
    "genai_prices_info",
    "genai_prices_models",
    "self_hosted_bill",
]


def _genai():
    try:
        import genai_prices
        from genai_prices import data as gp_data
        from genai_prices.data_snapshot import DataSnapshot
    except ImportError as exc:  # pragma: no cover - it is a dependency
        raise ImportError(
            "API list prices need the 'genai-prices' package (MIT, bundles a price snapshot): "
            "pip install genai-prices"
        ) from exc
    return genai_prices, gp_data, DataSnapshot


@functools.lru_cache(maxsize=1)
def _snapshot():
    """genai-prices' bundled snapshot, built here so that no auto-update can replace it."""
    _, gp_data, DataSnapshot = _genai()
    return DataSnapshot(providers=gp_data.providers, from_auto_update=False)


PRICE_TIME_OF_DAY = _dt.time(12, 0, tzinfo=_dt.UTC)
"""When in the day a date without a time is priced: noon UTC. Some providers price by the time
of day (genai-prices' snapshot has DeepSeek's off-peak hours, 16:30-00:30 UTC for R1 and V3,
at a quarter of the standard rate), so midnight, the default a bare date would get, prices
DeepSeek-R1 at its off-peak rate; at noon UTC R1 and V3 are at their standard rates."""


def _as_of(as_of) -> _dt.datetime:
    if as_of is None:
        return _dt.datetime.now(tz=_dt.UTC)
    day = None
    if isinstance(as_of, _dt.date) and not isinstance(as_of, _dt.datetime):
        day = as_of
    elif isinstance(as_of, str):
        try:
            day = _dt.date.fromisoformat(as_of.strip())
        except ValueError:
            day = None
    if day is not None:
        return _dt.datetime.combine(day, PRICE_TIME_OF_DAY)
    ts = pd.Timestamp(as_of)
    if ts.tzinfo is None:
        ts = ts.tz_localize("UTC")
    return ts.to_pydatetime()


def genai_prices_models(provider_id: str | None = None) -> pd.DataFrame:
    """Models priced in genai-prices' bundled snapshot.

    Parameters
    ----------
    provider_id : str, optional
        Only this provider's models (e.g. ``"openai"``, ``"anthropic"``, ``"google"``).

    Returns
    -------
    pandas.DataFrame
        ``provider_id``, ``model_id`` and ``name``.
    """
    rows = [
        {"provider_id": p.id, "model_id": m.id, "name": m.name or m.id}
        for p in _snapshot().providers
        for m in p.models
        if provider_id is None or p.id == provider_id
    ]
    if not rows:
        known = sorted({p.id for p in _snapshot().providers})
        raise ValueError(f"unknown provider_id {provider_id!r}; known providers: {known}")
    return pd.DataFrame(rows)


def genai_prices_info() -> dict:
    """Which genai-prices snapshot the prices come from.

    The package does not stamp its bundled data with a date; this reports its version and the
    newest dated price change the bundle holds (price schedules can be dated ahead: a change
    announced for a later date is in the bundle already).

    Returns
    -------
    dict
        ``version``, ``providers``, ``models``, ``newest_price_change`` (a date) and
        ``bundled`` (always True: the network update is never used).
    """
    from importlib.metadata import version

    _genai()
    dates = []
    for p in _snapshot().providers:
        for m in p.models:
            for c in m.prices if isinstance(m.prices, list) else ():
                d = getattr(getattr(c, "constraint", None), "start_date", None)
                if isinstance(d, _dt.date):
                    dates.append(d)
    return {
        "version": version("genai-prices"),
        "providers": len(_snapshot().providers),
        "models": sum(len(p.models) for p in _snapshot().providers),
        "newest_price_change": max(dates) if dates else None,
        "bundled": True,
    }


def _lookup(model_ref: str, provider_id: str | None):
    snap = _snapshot()
    try:
        return snap.find_provider_model(model_ref, None, provider_id, None)
    except LookupError:
        ids = genai_prices_models(provider_id)["model_id"].tolist() if provider_id else [
            m.id for p in snap.providers for m in p.models
        ]  # fmt: skip
        close = difflib.get_close_matches(str(model_ref).lower(), sorted(set(ids)), n=6, cutoff=0.5)
        where = f" at provider {provider_id!r}" if provider_id else ""
        hint = f"; close matches: {close}" if close else "; no close match"
        raise ValueError(
            f"model_ref {model_ref!r} is not in genai-prices' bundled snapshot{where}{hint} "
            "(ie.genai_prices_models() lists them)"
        ) from None


def api_list_price(model_ref: str, provider_id: str | None = None, as_of=None) -> dict:
    """A model's API list price per million input and output tokens (genai-prices snapshot).

    The base tier: priced on a 1,000-token request, so long-context surcharges do not apply.

    Parameters
    ----------
    model_ref : str
        A model name as APIs take it (``"gpt-4o"``, ``"claude-sonnet-4-5"``...).
    provider_id : str, optional
        The provider (``"openai"``, ``"together"``...); inferred from the name when omitted.
    as_of : date-like, optional
        Date (or time) the price applies at (default: now, UTC). A date without a time is
        priced at :data:`PRICE_TIME_OF_DAY` (noon UTC), outside time-of-day discounts such as
        DeepSeek's off-peak hours. Pass a fixed date for reproducible numbers.

    Returns
    -------
    dict
        ``provider_id``, ``model_id``, ``model_name``, ``input_usd_per_mtok``,
        ``output_usd_per_mtok`` and ``as_of``.

    Raises
    ------
    ValueError
        For a model the snapshot does not price, listing close matches.
    """
    from genai_prices import Usage

    provider, model = _lookup(model_ref, provider_id)
    ts = _as_of(as_of)
    k = 1000
    pin = model.calc_price(
        Usage(input_tokens=k, output_tokens=0), provider, genai_request_timestamp=ts
    )
    pout = model.calc_price(
        Usage(input_tokens=0, output_tokens=k), provider, genai_request_timestamp=ts
    )
    return {
        "provider_id": provider.id,
        "model_id": model.id,
        "model_name": model.name or model.id,
        "input_usd_per_mtok": float(pin.total_price) * 1e6 / k,
        "output_usd_per_mtok": float(pout.total_price) * 1e6 / k,
        "as_of": ts.date(),
    }


@renamed_parameters(
    input_tokens_per_request="prompt_tokens", output_tokens_per_request="output_tokens"
)
def api_bill(
    model_ref: str,
    prompt_tokens,
    output_tokens,
    requests_per_day,
    *,
    provider_id: str | None = None,
    as_of=None,
) -> pd.DataFrame:
    """A workload's bill at an API's list prices (genai-prices' bundled snapshot).

    Each request is priced as the provider prices it (tiers by request size included), then
    multiplied by the requests per day; a month is 365/12 days.

    Parameters
    ----------
    model_ref : str
        The API model, as in :func:`api_list_price`.
    prompt_tokens, output_tokens : int
        Prompt and output tokens per request, >= 0 and > 0.
    requests_per_day : float or array
        Requests per day, > 0.
    provider_id : str, optional
        The provider; inferred from ``model_ref`` when omitted.
    as_of : date-like, optional
        Price date, as in :func:`api_list_price` (a bare date is priced at noon UTC).

    Returns
    -------
    pandas.DataFrame
        ``requests_per_day``, ``usd_per_request``, ``usd_per_day``, ``usd_per_month``,
        ``usd_per_mtok_output`` (the bill per million output tokens, input included),
        ``provider_id`` and ``model_id``.
    """
    from genai_prices import Usage

    n_in = int(_nonneg("prompt_tokens", prompt_tokens))
    n_out = int(require_positive("output_tokens", output_tokens))
    rpd = _arr(require_positive("requests_per_day", requests_per_day)).ravel()
    provider, model = _lookup(model_ref, provider_id)
    calc = model.calc_price(
        Usage(input_tokens=n_in, output_tokens=n_out),
        provider,
        genai_request_timestamp=_as_of(as_of),
    )
    per_request = float(Decimal(calc.total_price))
    per_day = per_request * rpd
    return pd.DataFrame(
        {
            "requests_per_day": rpd,
            "usd_per_request": per_request,
            "usd_per_day": per_day,
            "usd_per_month": per_day * 365.0 / 12.0,
            "usd_per_mtok_output": per_request / n_out * 1e6,
            "provider_id": provider.id,
            "model_id": model.id,
        }
    )


@renamed_parameters(
    input_tokens_per_request="prompt_tokens",
    output_tokens_per_request="output_tokens",
    n_gpus="tensor_parallel",
)
def self_hosted_bill(
    model,
    gpu,
    prompt_tokens,
    output_tokens,
    requests_per_day,
    precision: str = "bf16",
    efficiency=None,
    *,
    tensor_parallel=1,
    batch=64,
    usd_per_gpu_hour=None,
    purchase_usd=None,
    lifetime_years=None,
    cost_of_capital=0.0,
    usd_per_kwh=None,
    pue=None,
    all_in_kw_per_gpu=None,
    facility_usd_per_kw_month=0.0,
    peak_to_mean=1.0,
    allow_weight_only: bool = False,
) -> pd.DataFrame:
    """The same workload served on your own or rented GPUs, paying for whole replicas.

    One replica is ``tensor_parallel`` GPUs (tensor-parallel) serving ``batch`` requests at a
    time (:func:`token_economics`'s throughput). Enough replicas are provisioned for the peak
    (mean demand x ``peak_to_mean``); every provisioned GPU is paid every hour, so the
    utilisation is demand over capacity, and idle GPUs draw idle power.

    Parameters
    ----------
    model, gpu, precision, efficiency, tensor_parallel, batch, allow_weight_only
        As in :func:`token_economics`.
    prompt_tokens, output_tokens : int
        Request shape, > 0.
    requests_per_day : float or array
        Mean demand, > 0.
    usd_per_gpu_hour, purchase_usd, lifetime_years, cost_of_capital, usd_per_kwh, pue,
    all_in_kw_per_gpu, facility_usd_per_kw_month
        As in :func:`cost_breakdown` (mid rental price of ``data/gpus.csv`` when no hardware
        price is given).
    peak_to_mean : float
        Provisioned capacity over mean demand, in [1, 100].

    Returns
    -------
    pandas.DataFrame
        ``requests_per_day``, ``replicas``, ``n_gpus``, ``capacity_requests_per_day``,
        ``utilisation``, ``usd_per_month``, ``usd_per_mtok_output`` and the cost split
        (``hardware_usd_per_month``, ``energy_usd_per_month``, ``facility_usd_per_month``).
    """
    rpd = _arr(require_positive("requests_per_day", requests_per_day)).ravel()
    ptm = float(require_in_range("peak_to_mean", peak_to_mean, 1.0, 100.0))
    op = token_economics(
        model, gpu, batch, prompt_tokens, output_tokens, precision,
        efficiency, tensor_parallel=tensor_parallel, usd_per_gpu_hour=usd_per_gpu_hour,
        purchase_usd=purchase_usd, lifetime_years=lifetime_years, cost_of_capital=cost_of_capital,
        usd_per_kwh=usd_per_kwh, pue=pue, all_in_kw_per_gpu=all_in_kw_per_gpu,
        facility_usd_per_kw_month=facility_usd_per_kw_month, allow_weight_only=allow_weight_only,
    ).iloc[0]  # fmt: skip
    n = int(op["tensor_parallel"])
    out_tps_replica = float(op["tokens_per_s_per_replica"])
    cap_rpd = out_tps_replica * 86400.0 / float(output_tokens)
    replicas = np.ceil(rpd * ptm / cap_rpd - 1e-9).astype(int)
    replicas = np.maximum(replicas, 1)
    gpus = replicas * n
    util = rpd / (replicas * cap_rpd)
    idle_w = get_gpu(gpu).idle_w
    price = float(_kwh_or_default(usd_per_kwh, owned=purchase_usd is not None))
    pue_ = float(_pue_or_default(pue))
    hours = HOURS_PER_MONTH
    hw = gpus * float(op["hardware_usd_per_gpu_hour"]) * hours
    fac = gpus * float(op["facility_usd_per_gpu_hour"]) * hours
    busy_gpu_h = gpus * hours * util
    energy = (busy_gpu_h * float(op["power_w"]) + (gpus * hours - busy_gpu_h) * idle_w) / 1000.0
    energy_usd = energy * pue_ * price
    total = hw + fac + energy_usd
    out_mtok = rpd * 365.0 / 12.0 * float(output_tokens) / 1e6
    return pd.DataFrame(
        {
            "requests_per_day": rpd,
            "replicas": replicas,
            "n_gpus": gpus,
            "capacity_requests_per_day": replicas * cap_rpd,
            "utilisation": util,
            "hardware_usd_per_month": hw,
            "energy_usd_per_month": energy_usd,
            "facility_usd_per_month": fac,
            "usd_per_month": total,
            "usd_per_mtok_output": total / out_mtok,
        }
    )
