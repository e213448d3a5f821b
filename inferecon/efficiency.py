"""How close an engine gets to the hardware's peaks: the efficiency terms of the serving model.

An :class:`Efficiency` turns the roofline's byte and FLOP counts (:mod:`inferecon.serving`) into
time. ``Efficiency()`` with every field at its default is the **physical ceiling**: peak
bandwidth and peak FLOP/s, no overhead, and every operation of a step overlapped with every
other, so no real engine can beat it. A calibrated efficiency describes one engine:

* ``memory``: share of peak HBM bandwidth its kernels stream at (with ``operator_model``: the
  KV-cache reads of attention and the norms; the GEMMs stream at their own fitted share).
* ``operator_model``: cost the linear layers with the GEMM time model of
  :mod:`inferecon.operator_times` (tile and wave quantization, split-K, the memory-bound region,
  launch overheads) and the GPU's operator constants fitted to measured kernel timings; on in
  the stored calibration. Without it:
* ``compute`` and ``compute_half_tokens``: share of peak FLOP/s a matrix product reaches, as a
  saturating function of the tokens in the step,
  ``compute * T / (T + compute_half_tokens)``. A GEMM over few tokens (decode's "skinny" GEMMs)
  wastes most of each tensor-core tile; over thousands of tokens it approaches ``compute``, the
  share a large square GEMM reaches (664 of 989 TFLOP/s on the project's H200,
  ``data/h200_ceilings.csv``). With ``operator_model`` they no longer act on the linear layers
  (``compute`` remains the attention share's fallback).
* ``attention_compute``: share of peak FLOP/s of the attention kernels when they are
  compute-bound (prefill's causal attention over long prompts).
* ``attention_blocks_per_sm``: decode attention runs one thread block per (sequence, KV head)
  (FlashAttention-2 without split-KV, as PyTorch's scaled-dot-product attention does for one
  query token); with fewer than ``attention_blocks_per_sm * SMs`` blocks the KV cache streams
  at only that fraction of the ``memory`` rate. This is why a batch of one over a long context
  is slower than its bytes suggest. 0 means no such limit.
* ``overhead_ms`` and ``overhead_per_layer_ms``: time per step that is not roofline work: a
  fixed part (launching the step, sampling, host work) and a part per transformer layer (each
  layer launches the same dozen kernels, each with a start-up and tail the roofline does not
  see). A small model inherits only its own layers' overhead.
* ``sequential``: ``True`` when the engine runs its operations one after another, so a step
  is the *sum* of each operation's roofline time (linear layers, attention); ``False`` (the
  ceiling) when everything overlaps and the step is one roofline of the summed FLOPs and bytes.
* ``power_memory_weight`` and ``power_compute_weight``: how strongly bandwidth and FLOP
  utilisation drive board power above idle.

:data:`DEFAULT_EFFICIENCY` is the calibration on the bundled H200 measurements, stored here as
a result so that a formula call never fits anything; :func:`inferecon.default_calibration`
re-runs the fit and a test checks the two agree.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validate import require_in_range, scalar_or_array

__all__ = [
    "ALLREDUCE_LATENCY_US",
    "DEFAULT_EFFICIENCY",
    "Efficiency",
    "as_efficiency",
    "default_efficiency",
]

ALLREDUCE_LATENCY_US = 8.0
"""The former, unsourced latency of one tensor-parallel all-reduce (microseconds); kept for
reference, no longer used.

Since issue 18 a calibrated engine's all-reduces take the latency and bus bandwidth fitted to
Microsoft Vidur's measured NCCL timings (:func:`inferecon.allreduce_parameters`,
:data:`inferecon.COLLECTIVE_FITS`: 27-43 us on 2-8 GPUs of an A100 or H100 DGX), and the physical
ceiling none (:attr:`Efficiency.measured_communication`)."""


@dataclass(frozen=True)
class Efficiency:
    """Shares of peak an engine reaches, its overheads and its power weights.

    Parameters
    ----------
    memory : float
        Share of peak HBM bandwidth, in (0, 1].
    compute : float
        Share of peak dense FLOP/s a large matrix product reaches, in (0, 1].
    overhead_ms : float
        Fixed time per step (ms), >= 0.
    power_memory_weight, power_compute_weight : float
        Weights of bandwidth and FLOP utilisation in board power above idle, in [0, 100].
    compute_half_tokens : float
        Tokens per step at which a matrix product reaches half of ``compute`` (>= 0; 0 means
        every matrix product reaches ``compute``).
    attention_compute : float or None
        Share of peak FLOP/s of compute-bound attention, in (0, 1]; ``None`` means ``compute``.
    attention_blocks_per_sm : float
        Decode-attention thread blocks per SM needed to stream at the full ``memory`` rate
        (>= 0; 0 means no limit).
    overhead_per_layer_ms : float
        Time per step per transformer layer (ms), >= 0.
    sequential : bool
        Sum of per-operation rooflines (a real engine) instead of one roofline of the sums.
    operator_model : bool
        Cost each linear operator (QKV, attention output, MLP up and down, routed experts, LM
        head) with the GEMM time model of :mod:`inferecon.operator_times` and the GPU's stored
        :class:`~inferecon.OperatorEfficiency` (or its transfer rule) instead of
        ``compute * T / (T + compute_half_tokens)`` and ``memory``; needs ``sequential``.
        ``compute`` and ``compute_half_tokens`` then no longer act on the linear layers.
    """

    memory: float = 1.0
    compute: float = 1.0
    overhead_ms: float = 0.0
    power_memory_weight: float = 1.0
    power_compute_weight: float = 1.0
    compute_half_tokens: float = 0.0
    attention_compute: float | None = None
    attention_blocks_per_sm: float = 0.0
    overhead_per_layer_ms: float = 0.0
    sequential: bool = False
    operator_model: bool = False

    def __post_init__(self):
        require_in_range("efficiency.memory", self.memory, 0.0, 1.0, low_open=True)
        require_in_range("efficiency.compute", self.compute, 0.0, 1.0, low_open=True)
        require_in_range("efficiency.overhead_ms", self.overhead_ms, 0.0, 1e4)
        require_in_range("efficiency.power_memory_weight", self.power_memory_weight, 0.0, 100.0)
        require_in_range("efficiency.power_compute_weight", self.power_compute_weight, 0.0, 100.0)
        require_in_range("efficiency.compute_half_tokens", self.compute_half_tokens, 0.0, 1e7)
        if self.attention_compute is not None:
            require_in_range(
                "efficiency.attention_compute", self.attention_compute, 0.0, 1.0, low_open=True
            )
        require_in_range(
            "efficiency.attention_blocks_per_sm", self.attention_blocks_per_sm, 0.0, 1e3
        )
        require_in_range("efficiency.overhead_per_layer_ms", self.overhead_per_layer_ms, 0.0, 1e3)
        if self.operator_model and not self.sequential:
            raise ValueError(
                "efficiency.operator_model needs sequential=True (the GEMM time model costs each "
                "linear operator on its own; the overlapped form is the physical ceiling)"
            )

    @property
    def measured_communication(self) -> bool:
        """Whether this efficiency models an engine (any overhead, or ``sequential``), whose
        collectives take the measured latency and bandwidth of
        :func:`inferecon.allreduce_parameters` and :func:`inferecon.send_recv_parameters`;
        ``False`` for the overhead-free ones (the ceiling and float efficiencies), which use the
        datasheet link bandwidth and no latency: a ceiling holds only peak bandwidths and
        FLOP/s."""
        return self.sequential or self.overhead_ms > 0 or self.overhead_per_layer_ms > 0

    @property
    def attention_share(self) -> float:
        """Share of peak FLOP/s of compute-bound attention (``compute`` when not set)."""
        return self.compute if self.attention_compute is None else float(self.attention_compute)

    def gemm_share(self, tokens):
        """Share of peak FLOP/s a matrix product over ``tokens`` rows reaches.

        Parameters
        ----------
        tokens : float or array
            Tokens (rows) in the product, > 0.

        Returns
        -------
        float or numpy.ndarray
            ``compute * T / (T + compute_half_tokens)``.

        Examples
        --------
        >>> Efficiency(compute=0.6, compute_half_tokens=100).gemm_share(100)
        0.3
        """
        t = np.asarray(tokens, dtype=float)
        return scalar_or_array(self.compute * t / (t + self.compute_half_tokens))

    def attention_parallelism(self, blocks, n_sm: int):
        """Fraction of the ``memory`` rate decode attention streams at with ``blocks`` blocks.

        Parameters
        ----------
        blocks : float or array
            Thread blocks the attention kernel launches per GPU (sequences x KV heads).
        n_sm : int
            Streaming multiprocessors of the GPU (0 when unknown: no limit).

        Returns
        -------
        float or numpy.ndarray
            ``min(1, blocks / (attention_blocks_per_sm * n_sm))``, 1 without a limit.
        """
        b = np.asarray(blocks, dtype=float)
        if self.attention_blocks_per_sm <= 0 or n_sm <= 0:
            return np.ones_like(b) if b.ndim else 1.0
        with np.errstate(over="ignore"):  # a tiny blocks-per-SM need: no limit (ratio -> inf)
            return scalar_or_array(np.minimum(1.0, b / (self.attention_blocks_per_sm * n_sm)))

    def overhead_s(self, n_layers: int) -> float:
        """Overhead of one step of a model with ``n_layers`` layers, in seconds."""
        return (self.overhead_ms + self.overhead_per_layer_ms * n_layers) / 1e3


DEFAULT_EFFICIENCY = Efficiency(
    memory=0.733738,
    compute=0.671708,
    overhead_ms=0.0,
    power_memory_weight=1.11612,
    power_compute_weight=2.19193,
    compute_half_tokens=0.0,
    attention_compute=0.362273,
    attention_blocks_per_sm=0.622808,
    overhead_per_layer_ms=0.0324349,
    sequential=True,
    operator_model=True,
)
"""The calibration on the bundled measurements, stored (6 significant digits).

Fitted by :func:`inferecon.default_calibration` on all 21 rows of ``data/h200_decode.csv``
(17 decode rows replayed from CUDA graphs and 4 eager prefill rows of a Llama-3.1-8B-shaped
model on one H200, bf16; the project's measurement, 2026-11-26; fitted 2026-12-06). The linear
layers are costed by the GEMM time model (``operator_model``) with the H200's operator constants
(:data:`inferecon.OPERATOR_CEILING_ADJUSTED`: H100-SXM's constants fitted to Vidur's kernel
timings, compute efficiency scaled to the H200's measured 8192^3 GEMM); what the fit still sets
is the rest of the step: the memory share of attention's KV-cache reads (``memory``), the
attention shares and block limit, the per-layer overhead (kernels other than GEMMs and
attention: norms, rotary embedding, activations, residuals) and the power weights.
``compute`` is held at the large-GEMM share measured on the same GPU (664.3 / 989 TFLOP/s,
``data/h200_ceilings.csv``; it acts only through ``attention_compute``'s fallback),
``compute_half_tokens`` at 0 (no longer used) and ``overhead_ms`` at 0 (one model cannot
separate fixed from per-layer overhead). Median error of step time 1.3% (was 1.9% with the
saturating GEMM share; largest 12.6%, decode at batch 128 and 256 over 512 tokens, where the
H200's GEMMs over 128-256 rows run slower than the H100's kernel timings imply); board power
4.5%. The eager prefill rows' extra launch overhead (0.0832 ms per layer) is not part of it.
``tests/unit/test_calibration.py`` re-fits and checks these values.
"""


def default_efficiency() -> Efficiency:
    """The stored calibration on the bundled measurements (:data:`DEFAULT_EFFICIENCY`).

    No file is read and nothing is fitted: the values are a stored result of
    :func:`inferecon.default_calibration` (a test checks that re-fitting reproduces them).

    Returns
    -------
    Efficiency
    """
    return DEFAULT_EFFICIENCY


def as_efficiency(efficiency) -> Efficiency:
    """Normalise the ``efficiency`` argument of the serving functions.

    Parameters
    ----------
    efficiency : None, float, Efficiency or Calibration
        ``None``: :data:`DEFAULT_EFFICIENCY`. A float ``e`` in (0, 1]: ``e`` of peak bandwidth
        and FLOP/s, no overhead, operations overlapped (``1.0`` is the physical ceiling). An
        :class:`Efficiency` or a :class:`~inferecon.calibration.Calibration` (its
        ``efficiency``) as is.

    Returns
    -------
    Efficiency
    """
    if efficiency is None:
        return DEFAULT_EFFICIENCY
    if isinstance(efficiency, Efficiency):
        return efficiency
    inner = getattr(efficiency, "efficiency", None)
    if isinstance(inner, Efficiency):
        return inner
    e = require_in_range("efficiency", efficiency, 0.0, 1.0, low_open=True)
    if np.ndim(e):
        raise ValueError("efficiency must be a scalar, an Efficiency or a Calibration")
    return Efficiency(memory=float(e), compute=float(e))
