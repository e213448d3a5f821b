"""The continuous-batching engine: one serving instance's scheduler, iteration by iteration.

:func:`inferecon.simulate_serving` hands each instance its requests; the engine admits them
first come first served into a paged KV cache (blocks of :data:`BLOCK_TOKENS`), runs prefill,
mixed (chunked) or decode iterations costed by a step-time model
(:class:`inferecon.StepTimeModel`), preempts the newest request when the cache runs out and
records every request's first token, finish and largest gap between tokens.

Speed: where the step-time model can be handed over as numbers (:class:`IterationCost` of a
full-attention model, :class:`ConstantService`), the loop runs compiled
(:mod:`inferecon.batching_core`, numba; 100,000 requests in about 0.1 s of CPU against about
0.5 s here), turn for turn the same as :class:`_Instance` below, which serves every other
step-time model. The Python loop holds its scalar state in local variables while it turns
and makes one turn per event: a prefill or mixed iteration, or a stretch of decode-only
iterations up to the next event (an arrival that can be admitted, a request finishing, a cache
block running out). Under load most stretches are a few iterations long (a request finishes
nearly every iteration), each costed with ``iteration_s``; a long one advances in closed form,
since each decode iteration's time grows linearly with the cached tokens
(:meth:`inferecon.IterationCost.decode_form`; split where a sliding window bends the line).
The results equal a plain loop of one iteration per turn (``benchmarks/goodput_bench.py``,
checked by ``tests/unit/test_goodput_reference.py``).
"""

from __future__ import annotations

import heapq
import math
from array import array
from collections import deque

import numpy as np
import pandas as pd

__all__ = [
    "BLOCK_TOKENS",
]

BLOCK_TOKENS = 16
"""Tokens per KV-cache block (vLLM's default ``--block-size``)."""


# --------------------------------------------------------------------------- span arithmetic


def _arith(a: float, b: float, j0: int, j1: int) -> float:
    """Sum of ``a + b j`` for j in [j0, j1)."""
    n = j1 - j0
    return n * a + b * (j1 * (j1 - 1) - j0 * (j0 - 1)) / 2.0 if n > 0 else 0.0


def _split(a1, b1, a2, b2, k):
    """Index s in [0, k]: which line is the larger one before and after it, as (first, second)."""
    if b1 == b2:
        return (1 if a1 >= a2 else 2), k, 0
    # nearly parallel lines cross far off, even at +-inf: clip before rounding to an index
    x = min(max((a2 - a1) / (b1 - b2), -1.0), k + 1.0)
    if b1 > b2:  # line 1 wins from x on
        s = min(max(math.ceil(x), 0), k)
        return 2, s, 1
    s = min(max(math.floor(x) + 1, 0), k)
    return 1, s, 2


def _span_sum(form, k: int) -> float:
    """Seconds of ``k`` decode iterations ``K + max(a1 + b1 j, a2 + b2 j)``, j = 0..k-1."""
    K, a1, b1, a2, b2 = form
    first, s, second = _split(a1, b1, a2, b2, k)
    lines = {1: (a1, b1), 2: (a2, b2)}
    total = k * K + _arith(*lines[first], 0, s)
    if second:
        total += _arith(*lines[second], s, k)
    return total


def _iteration(form, j: int) -> float:
    K, a1, b1, a2, b2 = form
    return K + max(a1 + b1 * j, a2 + b2 * j)


# --------------------------------------------------------------------------- the engine


def _blocks(tokens: int) -> int:
    """KV-cache blocks that hold ``tokens`` tokens."""
    return -(-tokens // BLOCK_TOKENS)


def _new_blocks(phase_count, decode_iter: int, decoding: int, k: int) -> int:
    """Blocks the decoding requests take over the next ``k`` decode iterations.

    A request takes a block when its cached tokens cross a multiple of :data:`BLOCK_TOKENS`:
    ``phase_count[p]`` requests do so at the iterations ``G`` with ``-G % BLOCK_TOKENS == p``.
    """
    if decoding == 0 or k <= 0:
        return 0
    full, part = divmod(k, BLOCK_TOKENS)
    total = full * decoding
    for j in range(part):
        total += phase_count[(-(decode_iter + j)) % BLOCK_TOKENS]
    return total


def _safe_iterations(phase_count, decode_iter: int, decoding: int, free_blocks: int) -> int:
    """Decode iterations possible before the cache runs out of its ``free_blocks``."""
    cycles = free_blocks // decoding
    taken = cycles * decoding
    for j in range(BLOCK_TOKENS):
        taken += phase_count[(-(decode_iter + j)) % BLOCK_TOKENS]
        if taken > free_blocks:
            return cycles * BLOCK_TOKENS + j
    return (cycles + 1) * BLOCK_TOKENS  # pragma: no cover - taken reaches (cycles+1) D


_STEPPED_STRETCH = 8
"""Decode stretches of at most this many iterations are costed one ``iteration_s`` call per
iteration (a stretch bounded by an arrival mostly stops after a few); longer ones in closed
form (:meth:`StepTimeModel.decode_form`)."""

_SPAN_KEYS = ("span_start", "span_t0", "span_gap", "span_int")
"""The columns of a run's span record (:func:`_max_gaps` reads them)."""


def _columns(values: list, width: int) -> tuple:
    """The columns of a flat record of ``width`` numbers per row, as float arrays."""
    table = np.fromiter(values, float, len(values)).reshape(-1, width)
    return tuple(np.ascontiguousarray(table[:, i]) for i in range(width))


class _Instance:
    """One serving instance: the scheduler's state between two iterations, and its loop.

    :meth:`run` turns the loop; one turn reads top to bottom: (1) the requests that arrived
    join the queue, (2) the queue's head is admitted while the batch and the cache allow,
    (3) the state is recorded on the timeline, (4) the clock advances by one iteration of
    prompts only (prefill first), one mixed iteration (chunked prefill), a stretch of
    decode-only iterations, or a jump to the next arrival when nothing runs, (5) the prompts
    whose prefill completed join the decode batch (:meth:`join_decode`) and (6) the requests
    whose last token came leave it. Rare events are methods (:meth:`preempt_newest`,
    :meth:`user_continues`); the common ones are written out in the loop, whose scalar state
    lives in local variables while it turns (a method call per event costs more than the event).

    The state (per request: Python lists or arrays indexed by the request's row in ``req``,
    fastest one element at a time):

    * the clock ``t`` (s), ``G`` (decode iterations so far), ``D`` (requests decoding), ``S``
      (their cached tokens, summed), ``used`` (KV blocks taken, of ``kv_blocks``),
      ``last_decode_end`` (s, None before the first), ``remaining`` (requests neither
      finished nor rejected);
    * progress of request ``r``: ``generated[r]`` (tokens out, brought up to date when it
      leaves the decode batch), ``to_prefill[r]`` (tokens its next prefill processes: the
      prompt, plus every generated token after a preemption), ``prefilled[r]`` (of those,
      done by chunked prefill), ``kv_ready[r]`` (its KV cache comes from a prefill pool: it
      decodes on admission);
    * the decode batch: ``r`` joined at iteration ``join_iter[r]`` holding ``join_len[r]``
      tokens, so at iteration ``G`` it holds ``join_len + G - join_iter`` (``join_iter[r]`` is
      None while it is not decoding); it finishes at the iteration its ``finish_heap`` entry
      ``(G at its last token, r, version)`` names, stale once ``version[r]`` moved on (a
      preemption); ``phase_count[p]`` decoding requests take a new block at the iterations
      with ``-G % 16 == p``;
    * the queue and the batch: ``waiting`` (first come first served; a preempted request
      returns to its front), ``prefilling`` (chunked prefills in progress, in order),
      ``admission_order`` (the newest running request is preempted first), ``running[r]``,
      ``blocks[r]`` (reserved for its prompt at admission), ``paused_at[r]`` (its last token
      before a preemption, or None);
    * arrivals: open loop, ``queue_ids`` sorted by arrival and the index ``next_id`` of the
      next; closed loop, the heap ``pending`` of ``(arrival, r)`` and the users' next
      requests ``pool``;
    * records, flat lists read by numpy at the end: ``spans``, 4 floats per decode iteration
      or stretch (start, its first iteration, the pause before it, its last iteration, 0 for
      one iteration), read by :func:`_max_gaps`; ``timeline``, 4 numbers per change (time,
      batch, queue, blocks used).

    Results go into ``req``'s columns (first token, finish, admission, preemptions, the span
    indices, the pause at a preemption) and ``req["rejected"]``.
    """

    __slots__ = (
        "D", "G", "S", "admission_order", "arrival", "blocks", "chunked", "cost", "finish_heap",
        "generated", "join_iter", "join_len", "kv_blocks", "kv_ready", "last_decode_end",
        "max_batch_tokens", "max_running", "max_time_s", "next_id", "output", "paused_at",
        "pending", "phase_count", "pool", "prefill_only", "prefilled", "prefilling", "prompt",
        "queue_ids",
        "remaining", "req", "running", "spans", "t", "think_s", "timeline", "to_prefill", "used",
        "version", "waiting",
    )  # fmt: skip

    def __init__(self, cost, req, ids, *, policy, max_running_requests, max_batch_tokens,
                 kv_blocks, max_time_s, prefill_only, prefilled, closed):  # fmt: skip
        n_all = len(req["arrival"])
        # the inputs as lists (read one element at a time); a closed loop's arrivals go back
        # into req["arrival"] at the end of the run
        self.cost, self.req = cost, req
        self.arrival = np.asarray(req["arrival"], dtype=float).tolist()
        self.prompt = np.asarray(req["prompt"], dtype=np.int64).tolist()
        self.output = np.asarray(req["output"], dtype=np.int64).tolist()
        self.chunked = policy == "chunked_prefill"
        self.prefill_only = prefill_only
        self.max_running, self.max_batch_tokens = max_running_requests, max_batch_tokens
        self.kv_blocks, self.max_time_s = kv_blocks, max_time_s
        self.generated, self.to_prefill, self.prefilled = [0] * n_all, [0] * n_all, [0] * n_all
        self.join_iter, self.join_len, self.version = [None] * n_all, [0] * n_all, [0] * n_all
        self.blocks, self.running = [0] * n_all, [False] * n_all
        self.paused_at = [None] * n_all
        self.kv_ready = [False] * n_all
        for rid in prefilled or ():
            self.kv_ready[rid] = True
        self.waiting, self.prefilling, self.admission_order = deque(), [], []
        self.finish_heap, self.phase_count = [], [0] * BLOCK_TOKENS
        self.t, self.G, self.D, self.S, self.used = 0.0, 0, 0, 0, 0
        self.last_decode_end = None
        self.remaining = len(ids)
        self.spans, self.timeline = [], []
        if closed is None:  # open loop: ids sorted by arrival
            self.queue_ids, self.next_id, self.pending, self.pool = list(ids), 0, None, None
            self.think_s = 0.0
        else:  # closed loop: each user sends the next request when the last one ends
            concurrency, self.think_s = closed
            self.pool, self.pending, self.queue_ids, self.next_id = deque(ids), [], [], 0
            for _ in range(min(concurrency, len(self.pool))):
                rid = self.pool.popleft()
                self.arrival[rid] = 0.0
                heapq.heappush(self.pending, (0.0, rid))

    # ------------------------------------------------------------------ the loop
    def run(self) -> dict:
        """Serve every request (or stop at ``max_time_s``); return the records."""
        cost, req, arrival = self.cost, self.req, self.arrival
        iteration_s, pairs_of = cost.iteration_s, cost.prefill_pairs
        linear_for = getattr(cost, "decode_linear_iterations", None)
        chunked, kv_blocks, max_running = self.chunked, self.kv_blocks, self.max_running
        max_tokens, max_time_s = self.max_batch_tokens, self.max_time_s
        prefill_limit = math.inf if chunked else max_tokens
        watermark = math.ceil(0.01 * kv_blocks)  # vLLM's watermark_blocks: 1% of the cache
        kv_tokens = kv_blocks * BLOCK_TOKENS
        P, Q, admit_t, finish_t, span1 = (self.prompt, self.output, req["admit"], req["finish"],
                                          req["span1"])  # fmt: skip
        need, done, generated, kv_ready = (self.to_prefill, self.prefilled, self.generated,
                                           self.kv_ready)  # fmt: skip
        blocks, running, version, join_iter, join_len = (
            self.blocks, self.running, self.version, self.join_iter, self.join_len)  # fmt: skip
        waiting, prefilling, order, heap, phase_count = (self.waiting, self.prefilling,
            self.admission_order, self.finish_heap, self.phase_count)  # fmt: skip
        spans, tl = self.spans, self.timeline
        join_decode, rejected = self.join_decode, req["rejected"]
        queue_ids, pending = self.queue_ids, self.pending
        n_ids, ai = len(queue_ids), self.next_id
        heappop, inf = heapq.heappop, math.inf
        t, G, D, S, used = self.t, self.G, self.D, self.S, self.used
        last_dec_end, remaining = self.last_decode_end, self.remaining
        truncated, last_t, still, stall = False, -1.0, 0, 10 * max_running + 1000
        while remaining > 0:
            if t == last_t:
                still += 1
                if still > stall:  # pragma: no cover - a scheduler bug, never silent
                    raise RuntimeError(
                        f"the simulation stopped advancing at t = {t} s (decoding {D}, "
                        f"prefilling {len(prefilling)}, waiting {len(waiting)}, blocks "
                        f"{used}/{kv_blocks})"
                    )
            else:
                still, last_t = 0, t
            if t > max_time_s:
                truncated = True
                break
            if pending is None:
                next_t = arrival[queue_ids[ai]] if ai < n_ids else inf
            else:
                next_t = pending[0][0] if pending else inf

            # (1) arrivals join the queue, each recorded at its own instant (the state of the
            # last turn held until then: Little's law holds on the timeline exactly); a request
            # that could never fit in the whole cache is rejected
            if next_t <= t:
                prev_b, prev_q, prev_kv = (tl[-3], tl[-2], tl[-1]) if tl else (0, 0, 0)
                while next_t <= t:
                    if pending is None:
                        rid = queue_ids[ai]
                        ai += 1
                        next_t = arrival[queue_ids[ai]] if ai < n_ids else inf
                    else:
                        rid = heappop(pending)[1]
                    if P[rid] + Q[rid] - 1 > kv_tokens:  # more blocks than the whole cache
                        rejected.append(rid)
                        remaining -= 1
                        if pending is not None:
                            self.user_continues(arrival[rid])
                    else:
                        generated[rid], need[rid], done[rid] = 0, P[rid], 0
                        waiting.append(rid)
                        if arrival[rid] < t:
                            prev_q += 1
                            tl.extend((arrival[rid], prev_b, prev_q, prev_kv))
                    if pending is not None:
                        next_t = pending[0][0] if pending else inf

            # (2) admission, first come first served, while the batch has room and the cache
            # keeps the blocks the running decodes take next plus the watermark free; prefill
            # first takes at most max_batch_tokens prompt tokens besides the first prompt
            admitted = None
            if waiting and D + len(prefilling) < max_running:
                admitted, tokens, n_pre = [], 0, len(prefilling)
                reserve = (phase_count[(-G) % BLOCK_TOKENS] if D else 0) + watermark
                while waiting and D + n_pre + len(admitted) < max_running:
                    rid = waiting[0]
                    b = -(-need[rid] // BLOCK_TOKENS)
                    if used + b + reserve > kv_blocks and (D or n_pre or admitted):
                        break
                    joins = kv_ready[rid] and generated[rid] == 0  # its KV cache arrives
                    if not joins and admitted and tokens + need[rid] > prefill_limit:
                        break
                    waiting.popleft()
                    used += b
                    blocks[rid] = b
                    running[rid] = True
                    order.append(rid)
                    if admit_t[rid] != admit_t[rid]:  # NaN: its first admission
                        admit_t[rid] = t
                    if joins:  # it decodes at once
                        cache_len = join_decode(rid, P[rid], t, G)
                        if cache_len:
                            D += 1
                            S += cache_len
                        else:
                            used -= b
                            remaining -= 1
                    else:
                        tokens += need[rid]
                        admitted.append(rid)
                if chunked:
                    prefilling.extend(admitted)
                    admitted = None

            # (3) the state until the next turn
            tl.extend((t, D + len(prefilling) + (len(admitted) if admitted else 0),
                       len(waiting), used))  # fmt: skip

            # (4) one iteration, or a stretch of them
            completed = None
            if admitted:  # prefill first: the admitted prompts only, every decode paused
                pairs = 0
                for r in admitted:
                    pairs += pairs_of(need[r])
                t += iteration_s(tokens, pairs, 0.0, 0, 0)
                completed = admitted
            elif prefilling:  # chunked: a token per decode, the rest of the budget for prompts
                grow = phase_count[(-G) % BLOCK_TOKENS] if D else 0
                while grow > kv_blocks - used:  # the decodes' next blocks must fit
                    self.G, self.D, self.S, self.used, self.t = G, D, S, used, t
                    self.last_decode_end = last_dec_end
                    if not self.preempt_newest():
                        break
                    D, S, used = self.D, self.S, self.used
                    grow = phase_count[(-G) % BLOCK_TOKENS] if D else 0
                if not prefilling:
                    continue
                budget = max_tokens - D
                ptok = pairs = prefix = 0.0
                chunks = []
                for r in prefilling:
                    if budget <= 0:
                        break
                    c = min(need[r] - done[r], budget)
                    pairs += pairs_of(c, done[r])
                    prefix += done[r]
                    ptok += c
                    budget -= c
                    chunks.append((r, c))
                dt = iteration_s(ptok, pairs, prefix, D, S)
                if D:
                    gap = dt if last_dec_end is None else t + dt - last_dec_end
                    spans.extend((t, dt, gap, 0.0))
                    t += dt
                    last_dec_end = t
                    used += grow
                    G += 1
                    S += D
                else:
                    t += dt
                completed = []
                for r, c in chunks:
                    done[r] += c
                    if done[r] >= need[r]:
                        prefilling.remove(r)
                        completed.append(r)
            else:  # decode only, up to the next event
                while heap and not (heap[0][2] == version[heap[0][1]] and running[heap[0][1]]):
                    heappop(heap)  # entries of preempted requests
                if D <= 0:  # idle: jump to the next arrival
                    if next_t == inf:
                        break  # the queue's head cannot be admitted with nothing running
                    if next_t > t:
                        t = next_t
                    continue
                k = heap[0][0] - G  # until the next request finishes, or the cache runs out
                if kv_blocks - used < D * ((k + BLOCK_TOKENS - 1) // BLOCK_TOKENS):
                    k = min(k, _safe_iterations(phase_count, G, D, kv_blocks - used))
                if k == 0:  # the cache is full: the newest request makes room
                    self.G, self.D, self.S, self.used, self.t = G, D, S, used, t
                    self.last_decode_end = last_dec_end
                    self.preempt_newest()
                    D, S, used = self.D, self.S, self.used
                    continue
                if k > 1 and linear_for is not None:  # a sliding window bends the line
                    k = min(k, max(int(min(linear_for(D, S), k)), 1))  # split the stretch there
                # it stops early at the first iteration that ends at or after an arrival that
                # could be admitted, and after one iteration if that one passes max_time_s
                horizon = next_t - t if (
                    not waiting and D < max_running and used < kv_blocks) else inf  # fmt: skip
                if k <= _STEPPED_STRETCH:  # short (most, under load): iteration by iteration
                    t0 = dt = iteration_s(0, 0, 0, D, S)
                    gap = t0 if last_dec_end is None else t + t0 - last_dec_end
                    elapsed, j = 0.0, 0
                    while True:
                        elapsed += dt
                        used += phase_count[(-(G + j)) % BLOCK_TOKENS]
                        j += 1
                        if j == k or elapsed >= horizon or t + t0 > max_time_s:
                            break
                        dt = iteration_s(0, 0, 0, D, S + j * D)
                    spans.extend((t, t0, gap, dt if j > 1 else 0.0))
                    k = j
                    t += elapsed
                else:  # long: in closed form
                    form = cost.decode_form(D, S)
                    k, t0 = _stretch_end(form, k, t, t + horizon, max_time_s)
                    gap = t0 if last_dec_end is None else t + t0 - last_dec_end
                    spans.extend((t, t0, gap, _iteration(form, k - 1) if k > 1 else 0.0))
                    used += _new_blocks(phase_count, G, D, k)
                    t += _span_sum(form, k)
                last_dec_end = t
                G += k
                S += k * D

            # (5) prompts whose prefill completed join the decode batch with their next token
            if completed:
                for r in completed:
                    cache_len = join_decode(r, need[r], t, G)
                    if cache_len:
                        D += 1
                        S += cache_len
                    else:  # that token was its last
                        used -= blocks[r]
                        remaining -= 1

            # (6) requests whose last token came with iteration G leave and free their blocks
            if heap and heap[0][0] <= G:
                n_spans = len(spans) // 4
                while heap and heap[0][0] <= G:
                    _, rid, v = heappop(heap)
                    if v != version[rid] or not running[rid]:
                        continue
                    j, n = join_iter[rid], join_len[rid]  # as leave_decode
                    phase_count[(n - j) % BLOCK_TOKENS] -= 1
                    cache_len = n + (G - j)
                    D -= 1
                    S -= cache_len
                    generated[rid] += G - j
                    join_iter[rid] = None
                    finish_t[rid] = t
                    span1[rid] = n_spans
                    used -= -(-cache_len // BLOCK_TOKENS)
                    running[rid] = False
                    remaining -= 1
                    if pending is not None:
                        self.user_continues(t)

        self.t, self.G, self.D, self.S, self.used = t, G, D, S, used
        self.last_decode_end, self.remaining, self.next_id = last_dec_end, remaining, ai
        # the state from the end of the run on (empty unless truncated)
        tl.extend((t, D + len(prefilling), len(waiting), used))
        if pending is not None:
            req["arrival"][:] = arrival
        return {
            **dict(zip(_SPAN_KEYS, _columns(spans, 4), strict=True)),
            "timeline": _columns(tl, 4),
            "truncated": truncated or remaining > 0,
            "end_t": t,
        }

    # ------------------------------------------------------------------ events
    def join_decode(self, rid: int, cache_len: int, when: float, G: int) -> int:
        """``rid``'s prefill ended at ``when`` (decode iteration ``G``) with its next token.

        It joins the decode batch holding ``cache_len`` tokens and ``cache_len`` is returned
        (the caller counts it in ``D`` and ``S``), or, if that token was its last (or this is
        a prefill pool), it finishes and 0 is returned (the caller frees its blocks).
        """
        req = self.req
        first = req["first"]
        if first[rid] != first[rid]:  # NaN: this is the request's first token
            first[rid] = when
        if not self.version[rid]:  # its first time in this instance's decode batch
            req["span0"][rid] = len(self.spans) // 4
        if self.paused_at[rid] is not None:
            gap = req["preempt_gap"]
            gap[rid] = max(gap[rid], when - self.paused_at[rid])
            self.paused_at[rid] = None
        g = self.generated[rid] + 1  # the prefill produced one token
        self.generated[rid] = g
        rest = self.output[rid] - g
        if rest <= 0 or self.prefill_only:
            req["finish"][rid] = when
            req["span1"][rid] = len(self.spans) // 4
            self.running[rid] = False
            if self.pending is not None:
                self.user_continues(when)
            return 0
        v = self.version[rid] = self.version[rid] + 1
        self.join_iter[rid], self.join_len[rid] = G, cache_len
        heapq.heappush(self.finish_heap, (G + rest, rid, v))
        self.phase_count[(cache_len - G) % BLOCK_TOKENS] += 1
        return cache_len

    def leave_decode(self, rid: int) -> int:
        """Take ``rid`` out of the decode batch at iteration ``G``; return its cached tokens."""
        G, j, n = self.G, self.join_iter[rid], self.join_len[rid]
        self.phase_count[(n - j) % BLOCK_TOKENS] -= 1
        cache_len = n + (G - j)
        self.D -= 1
        self.S -= cache_len
        self.generated[rid] += G - j
        self.join_iter[rid] = None
        return cache_len

    def preempt_newest(self) -> bool:
        """Free the newest running request's blocks; it waits at the queue's front to
        recompute its prompt and every token it generated (vLLM's recompute). Reads and
        updates the scalar state on ``self``; False when nothing runs."""
        order = self.admission_order
        while order:
            rid = order.pop()
            if not self.running[rid]:
                continue
            self.req["preempt"][rid] += 1
            b = self.blocks[rid]
            if self.join_iter[rid] is not None:
                b = _blocks(self.leave_decode(rid))  # the blocks it grew into are freed too
                self.version[rid] += 1  # its heap entry is stale now
                self.paused_at[rid] = (
                    self.last_decode_end if self.last_decode_end is not None else self.t
                )
            else:
                self.prefilling.remove(rid)
            self.used -= b
            self.running[rid] = False
            self.to_prefill[rid] = self.prompt[rid] + self.generated[rid]
            self.prefilled[rid] = 0
            self.waiting.appendleft(rid)
            return True
        return False

    def user_continues(self, when: float) -> None:
        """Closed loop: the user whose request ended at ``when`` sends the next one."""
        if self.pool:
            rid = self.pool.popleft()
            self.arrival[rid] = when + self.think_s
            heapq.heappush(self.pending, (self.arrival[rid], rid))


def _stretch_end(form, k_max: int, t: float, arrival_s: float, max_time_s: float):
    """Length and first iteration's seconds of a decode stretch of at most ``k_max``
    iterations of ``form`` from ``t``: it stops at the first iteration that ends at or after
    ``arrival_s`` (so the arrival can be admitted; inf: none bounds it), and after one
    iteration when that one passes ``max_time_s``."""
    K, a1, b1, a2, b2 = form
    t0 = K + (a1 if a1 > a2 else a2)
    if t + t0 > max_time_s:
        return 1, t0
    if arrival_s < math.inf:
        horizon = arrival_s - t
        if horizon <= t0:
            return 1, t0
        if _span_sum(form, k_max) >= horizon:  # step the form to the first that reaches it
            j, elapsed = 1, t0
            while elapsed < horizon and j < k_max:
                x, y = a1 + b1 * j, a2 + b2 * j
                elapsed += K + (x if x > y else y)
                j += 1
            return j, t0
    return k_max, t0


def _run_instance(cost, req, ids, *, policy, max_running_requests, max_batch_tokens, kv_blocks,
                  max_time_s, prefill_only=False, prefilled=None, closed=None):  # fmt: skip
    """Serve requests ``ids`` (rows of ``req``) on one instance; fill ``req`` in place.

    ``req`` holds the columns of :func:`_empty_requests` (arrival, prompt, output and the
    results). Open-loop ids come sorted by arrival; a closed loop (``closed = (concurrency,
    think_s)``) sends the next of ``ids`` when a request finishes. ``prefill_only``: requests
    leave with their first token (a disaggregated prefill instance). ``prefilled``: ids whose
    KV cache and first token arrive from elsewhere (a disaggregated decode instance). Returns
    the records of :meth:`_Instance.run`.
    """
    if _COMPILED:
        out = _run_compiled(cost, req, ids, policy=policy,
                            max_running_requests=max_running_requests,
                            max_batch_tokens=max_batch_tokens, kv_blocks=kv_blocks,
                            max_time_s=max_time_s, prefill_only=prefill_only,
                            prefilled=prefilled, closed=closed)  # fmt: skip
        if out is not None:
            return out
    return _Instance(cost, req, ids, policy=policy, max_running_requests=max_running_requests,
                     max_batch_tokens=max_batch_tokens, kv_blocks=kv_blocks,
                     max_time_s=max_time_s, prefill_only=prefill_only, prefilled=prefilled,
                     closed=closed).run()  # fmt: skip


_COMPILED = True
"""Serve with the compiled loop (:mod:`inferecon.batching_core`) where the step model has a
compiled form; False: always with :class:`_Instance` (the tests run both)."""


def _run_compiled(cost, req, ids, *, policy, max_running_requests, max_batch_tokens, kv_blocks,
                  max_time_s, prefill_only, prefilled, closed):  # fmt: skip
    """:func:`_run_instance` with the compiled loop, or None when ``cost`` has no compiled
    form (or numba is missing): the caller runs :class:`_Instance` then."""
    try:
        from . import batching_core  # imports numba: on the first simulation only
    except ImportError:  # pragma: no cover - numba is a dependency
        return None
    # tables over the token counts of decode iterations (at most a request per running slot)
    # and of typical prefills; the loop asks for more when an iteration needs them
    decoding = min(max_running_requests, len(ids))
    step_model = batching_core.step_numbers(cost, max(decoding, min(max_batch_tokens, 2048)))
    if step_model is None:
        return None
    return batching_core.serve(
        step_model, req, ids, chunked=policy == "chunked_prefill",
        max_running_requests=max_running_requests,
        max_batch_tokens=max_batch_tokens, kv_blocks=kv_blocks, max_time_s=max_time_s,
        prefill_only=prefill_only, prefilled=prefilled, closed=closed, cost=cost)  # fmt: skip


def _max_gaps(req, ids, out) -> np.ndarray:
    """Largest gap between two tokens of each of ``ids``: from its first token to the end of
    its first decode iteration, the gaps of the decode stretches it took part in (range
    maxima over the stretch records) and any pause for a preemption."""
    ids = np.asarray(ids, dtype=np.int64)
    res = np.full(len(ids), np.nan)
    n_span = len(out["span_start"])
    if not len(ids) or n_span == 0:
        return res
    a = np.asarray(req["span0"], dtype=np.int64)[ids]
    b = np.asarray(req["span1"], dtype=np.int64)[ids]
    first = np.asarray(req["first"], dtype=float)[ids]
    start = np.asarray(out["span_start"])
    t0 = np.asarray(out["span_t0"])
    gap = np.asarray(out["span_gap"])
    inner = np.asarray(out["span_int"])
    ok = (a >= 0) & (b > a) & (a < n_span)
    aa = a[ok]
    own_first = start[aa] + t0[aa] - first[ok]  # first token -> end of its first iteration
    best = np.fmax(own_first, inner[aa])
    comb = np.append(np.maximum(gap, inner), 0.0)  # a sentinel, so reduceat can end at n
    lo, hi = aa + 1, b[ok]
    has = hi > lo
    if has.any():
        idx = np.empty(2 * int(has.sum()), dtype=np.int64)
        idx[0::2], idx[1::2] = lo[has], hi[has]
        best[has] = np.fmax(best[has], np.maximum.reduceat(comb, idx)[0::2])
    res[ok] = np.fmax(best, np.asarray(req["preempt_gap"], dtype=float)[ids][ok])
    return res


def _empty_requests(df: pd.DataFrame) -> dict:
    """The columns :func:`_run_instance` reads and fills, one entry per row of ``df``: inputs as
    numpy arrays (a closed loop writes its arrivals into ``arrival``), results as
    ``array.array`` (written one element at a time by :class:`_Instance`, read by numpy and
    the compiled loop without a copy)."""
    n = len(df)
    return {
        "arrival": df["arrival_s"].to_numpy(np.float64, copy=True),
        "prompt": df["prompt_tokens"].to_numpy(np.int64),
        "output": df["output_tokens"].to_numpy(np.int64),
        "first": array("d", [math.nan]) * n,
        "finish": array("d", [math.nan]) * n,
        "admit": array("d", [math.nan]) * n,
        "preempt": array("q", [0]) * n,
        "preempt_gap": array("d", [0.0]) * n,
        "span0": array("q", [-1]) * n,
        "span1": array("q", [-1]) * n,
        "rejected": [],
    }
