"""Energy per token and per query, and throughput per megawatt of all-in power.

Joules per token on the board and at the facility, the electricity cost per million tokens,
tokens per second per megawatt of all-in power (SemiAnalysis InferenceMAX's per-MW view), and
energy per query, both from FLOP assumptions the way Epoch AI estimated ChatGPT's
(:func:`flop_energy_per_query_wh`) and from the serving model (:func:`energy_per_query`), beside
the published figures (:func:`published_query_energy`).
"""

from __future__ import annotations

import pandas as pd

from ._validate import (
    renamed_parameters,
    require_in_range,
    require_positive,
    scalar_or_array,
)
from .factory_assumptions import _J_PER_KWH, _arr, _assumptions, _nonneg, _pue, _pue_or_default
from .serving import serving_performance
from .specs import get_gpu

__all__ = [
    "energy_per_query",
    "energy_usd_per_mtok",
    "flop_energy_per_query_wh",
    "joules_per_token",
    "published_query_energy",
    "tokens_per_s_per_mw",
]


@renamed_parameters(tokens_per_s="tokens_per_s_per_gpu")
def joules_per_token(power_w, tokens_per_s_per_gpu, pue=1.0):
    """Energy per token: power over throughput, times the PUE for the facility's share.

    Parameters
    ----------
    power_w : float or array
        Average power while serving, W, > 0 (board power per GPU for board J/token).
    tokens_per_s_per_gpu : float or array
        Output tokens per second of the same GPU, > 0.
    pue : float or array
        Power usage effectiveness of the facility, in [1, 5] (1 = the board alone).

    Returns
    -------
    float or numpy.ndarray
        Joules per token.

    Examples
    --------
    >>> round(joules_per_token(700, 1000), 3), round(joules_per_token(700, 1000, pue=1.2), 3)
    (0.7, 0.84)
    """
    p = _arr(require_positive("power_w", power_w))
    t = _arr(require_positive("tokens_per_s_per_gpu", tokens_per_s_per_gpu))
    return scalar_or_array(p / t * _arr(_pue(pue)))


@renamed_parameters(tokens_per_s="tokens_per_s_per_gpu")
def energy_usd_per_mtok(power_w, tokens_per_s_per_gpu, usd_per_kwh, pue=None):
    """Electricity cost per million tokens: J/token x PUE x 1e6 / 3.6e6 x USD/kWh.

    Parameters
    ----------
    power_w, tokens_per_s_per_gpu
        As in :func:`joules_per_token`.
    usd_per_kwh : float or array
        Electricity price, USD per kWh, >= 0.
    pue : float or array, optional
        Facility power usage effectiveness, in [1, 5]; the cited default
        (:func:`factory_defaults`, 1.2) when omitted: electricity is billed at the meter.

    Returns
    -------
    float or numpy.ndarray
        USD per million tokens.

    Examples
    --------
    700 W at 1,000 tokens/s with PUE 1.2: 0.84 J/token, 840,000 J = 0.2333 kWh per million
    tokens, USD 0.0187 at USD 0.08/kWh.

    >>> round(energy_usd_per_mtok(700, 1000, 0.08, pue=1.2), 4)
    0.0187
    """
    j = _arr(joules_per_token(power_w, tokens_per_s_per_gpu, _pue_or_default(pue)))
    price = _arr(_nonneg("usd_per_kwh", usd_per_kwh))
    return scalar_or_array(j * 1e6 / _J_PER_KWH * price)


def tokens_per_s_per_mw(tokens_per_s_per_gpu, all_in_kw_per_gpu):
    """Throughput per megawatt of all-in power (SemiAnalysis InferenceMAX's per-MW view).

    Parameters
    ----------
    tokens_per_s_per_gpu : float or array
        Tokens per second per GPU, > 0.
    all_in_kw_per_gpu : float or array
        All-in power per GPU (GPU, its share of the server, network and cooling), kW, > 0.

    Returns
    -------
    float or numpy.ndarray
        Tokens per second per MW.

    Examples
    --------
    >>> round(tokens_per_s_per_mw(1000, 1.73))
    578035
    """
    t = _arr(require_positive("tokens_per_s_per_gpu", tokens_per_s_per_gpu))
    kw = _arr(require_positive("all_in_kw_per_gpu", all_in_kw_per_gpu))
    return scalar_or_array(t * 1000.0 / kw)


@renamed_parameters(active_params="params_active")
def flop_energy_per_query_wh(
    params_active,
    output_tokens,
    peak_flops,
    flop_utilisation,
    power_w,
    power_fraction=1.0,
    pue=1.0,
    flop_per_param_per_token=2.0,
):
    """Energy of one query from FLOP assumptions (Epoch AI's method for ChatGPT, Feb 2025).

    ``time = flop_per_param_per_token * params_active * output_tokens / (peak * utilisation)``
    GPU-seconds; ``energy = time * power_w * power_fraction * pue``. Epoch AI ("How much energy
    does ChatGPT use?", 2025) assumed 100B active parameters, 500 output tokens, an H100 at
    989 TFLOP/s and 10% utilisation, 1,275 W per GPU (a DGX H100's 10.2 kW over 8 GPUs) at 70%
    of rated power and PUE 1.2: 0.301 Wh (``data/factory_assumptions.csv``, ``epoch_query_*``).

    Parameters
    ----------
    params_active : float or array
        Parameters multiplied per token (active parameters), > 0.
    output_tokens : float or array
        Tokens generated, > 0.
    peak_flops : float or array
        Peak FLOP/s of one GPU, > 0.
    flop_utilisation : float or array
        Achieved share of peak, in (0, 1].
    power_w : float or array
        Rated power per GPU (server share included if wanted), W, > 0.
    power_fraction : float or array
        Average share of rated power drawn, in (0, 1].
    pue : float or array
        Facility power usage effectiveness, in [1, 5].
    flop_per_param_per_token : float
        FLOPs per active parameter per token (2 for a forward pass), > 0.

    Returns
    -------
    float or numpy.ndarray
        Wh per query.

    Examples
    --------
    >>> round(flop_energy_per_query_wh(1e11, 500, 989e12, 0.1, 1275, 0.7, 1.2), 3)
    0.301
    """
    n = _arr(require_positive("params_active", params_active))
    o = _arr(require_positive("output_tokens", output_tokens))
    peak = _arr(require_positive("peak_flops", peak_flops))
    util = _arr(require_in_range("flop_utilisation", flop_utilisation, 0.0, 1.0, low_open=True))
    pw = _arr(require_positive("power_w", power_w))
    frac = _arr(require_in_range("power_fraction", power_fraction, 0.0, 1.0, low_open=True))
    k = _arr(require_positive("flop_per_param_per_token", flop_per_param_per_token))
    seconds = k * n * o / (peak * util)
    return scalar_or_array(seconds * pw * frac * _arr(_pue(pue)) / 3600.0)


@renamed_parameters(n_gpus="tensor_parallel")
def energy_per_query(
    model,
    gpu,
    batch,
    prompt_tokens,
    output_tokens,
    precision: str = "bf16",
    efficiency=None,
    *,
    tensor_parallel=1,
    pue=None,
    server_w_per_gpu=None,
    host_power_fraction=1.0,
    check_memory: bool = True,
    allow_weight_only: bool = False,
) -> pd.DataFrame:
    """Energy of one query from the calibrated serving model, board and facility.

    A query of ``prompt_tokens`` in and ``output_tokens`` out served ``batch`` at a time: its
    share of the board energy of the prefill and decode steps
    (:func:`inferecon.serving_performance`'s ``wh_per_response``), plus optionally the host's
    share (CPUs, memory, network) for as long as the query occupies its GPUs, times the PUE.
    The host draws ``(server_w_per_gpu - GPU TDP) * host_power_fraction`` per GPU: Epoch AI's
    accounting (a DGX H100 is rated 10.2 kW, 1,275 W per GPU of which 700 W is the GPU; it
    draws 70% of rated power on average).

    Parameters
    ----------
    model, gpu, batch, prompt_tokens, output_tokens, precision, efficiency, tensor_parallel,
    check_memory
        As in :func:`inferecon.serving_performance`.
    allow_weight_only : bool
        Accept a precision the GPU has no tensor cores for, as weight-only quantisation; it
        raises otherwise (:func:`inferecon.check_native_precision`).
    pue : float, optional
        Facility power usage effectiveness, in [1, 5]; the cited default
        (:func:`factory_defaults`, 1.2) when omitted.
    server_w_per_gpu : float, optional
        Rated server power per GPU, W, at least the GPU's TDP; no host share when omitted.
    host_power_fraction : float
        Average share of the host's rated power drawn, in (0, 1].

    Returns
    -------
    pandas.DataFrame
        ``batch``, ``tokens_per_s_per_user``, ``board_wh_per_query``, ``host_wh_per_query``,
        ``facility_wh_per_query`` (board + host, x PUE), ``gpu_seconds_per_query`` and ``fits``.
    """
    tdp = get_gpu(gpu).tdp_w
    frac = float(require_in_range("host_power_fraction", host_power_fraction, 0.0, 1.0,
                                  low_open=True))  # fmt: skip
    if server_w_per_gpu is None:
        host = 0.0
    else:
        server = float(require_in_range("server_w_per_gpu", server_w_per_gpu, tdp, 1e5))
        host = (server - tdp) * frac
    pue_ = _arr(_pue_or_default(pue))
    sp = serving_performance(
        model, gpu, batch, prompt_tokens, output_tokens, precision, efficiency,
        tensor_parallel=tensor_parallel, check_memory=check_memory, usd_per_gpu_hour=1.0,
        allow_weight_only=allow_weight_only,
    )  # fmt: skip
    board = sp["wh_per_response"].to_numpy()
    # GPU-seconds one query occupies: its share of the cycle on all n GPUs
    tps_total = sp["tokens_per_s_per_replica"].to_numpy()
    n = sp["tensor_parallel"].to_numpy(float)
    gpu_s = sp["output_tokens"].to_numpy() / tps_total * n
    host_wh = host * gpu_s / 3600.0
    return pd.DataFrame(
        {
            "model": sp["model"],
            "gpu": sp["gpu"],
            "precision": sp["precision"],
            "tensor_parallel": sp["tensor_parallel"],
            "batch": sp["batch"],
            "prompt_tokens": sp["prompt_tokens"],
            "output_tokens": sp["output_tokens"],
            "tokens_per_s_per_user": sp["tokens_per_s_per_user"],
            "board_wh_per_query": board,
            "host_wh_per_query": host_wh,
            "facility_wh_per_query": (board + host_wh) * pue_,
            "gpu_seconds_per_query": gpu_s,
            "fits": sp["fits"],
        }
    )


def published_query_energy(assumptions: pd.DataFrame | None = None) -> pd.DataFrame:
    """The published energy-per-query figures the notebook compares with, as one table.

    Epoch AI's ChatGPT estimate is recomputed from its stated assumptions with
    :func:`flop_energy_per_query_wh`; Google's measured median Gemini prompt is quoted, with
    its accelerator share.

    Parameters
    ----------
    assumptions : pandas.DataFrame, optional
        ``data/factory_assumptions.csv`` as loaded (the bundled file when omitted).

    Returns
    -------
    pandas.DataFrame
        ``estimate``, ``kind``, ``wh_per_query``, ``accelerator_wh_per_query`` (the share on
        the GPUs/TPUs alone: Epoch's 700 W of 1,275 W, Google's 58%) and ``source_url``.
    """
    a = _assumptions() if assumptions is None else assumptions
    v = a["value"]
    epoch = flop_energy_per_query_wh(
        v["epoch_query_active_params"], v["epoch_query_output_tokens"],
        v["epoch_query_peak_flops"], v["epoch_query_flop_utilisation"],
        v["epoch_query_server_w_per_gpu"], v["epoch_query_power_fraction"], v["epoch_query_pue"],
        v["epoch_query_flop_per_param_per_token"],
    )  # fmt: skip
    gpu_share = get_gpu("H100-SXM").tdp_w / v["epoch_query_server_w_per_gpu"]
    google = v["google_gemini_median_text_prompt_wh"]
    return pd.DataFrame(
        {
            "estimate": [
                "Epoch AI: GPT-4o query, 500 output tokens (Feb 2025)",
                "Google: median Gemini Apps text prompt (May 2025)",
            ],
            "kind": [
                a.loc["epoch_query_wh", "kind"],
                a.loc["google_gemini_median_text_prompt_wh", "kind"],
            ],
            "wh_per_query": [epoch, google],
            "accelerator_wh_per_query": [
                epoch * gpu_share / v["epoch_query_pue"],
                google * v["google_gemini_share_accelerator"],
            ],
            "source_url": [
                a.loc["epoch_query_wh", "source_url"],
                a.loc["google_gemini_median_text_prompt_wh", "source_url"],
            ],
        }
    )
