"""The continuous-batching scheduler loop, compiled (numba): one instance's run in machine code.

:func:`inferecon.simulate_serving` serves each instance with this loop when the step-time model
can be handed over as numbers: :class:`inferecon.IterationCost` of a full-attention model (its
linear layers as tables over the iteration's token count, from
:meth:`inferecon.IterationCost.step_tables`, plus scalar coefficients), a sequential engine's
:class:`inferecon.ExpertParallelIterationCost` (the same numbers, its ``comm`` coefficients
the all-to-all) or :class:`inferecon.ConstantService`. Any other
:class:`inferecon.StepTimeModel` (a model of your own, a sliding-window model, the ceiling's
expert-parallel step) runs the same scheduler in Python
(:class:`inferecon.continuous_batching._Instance`); both give the same results (to 1e-9,
checked by ``tests/unit/test_batching_core.py``). A simulation of 100,000 requests takes
about 0.1 s of CPU on the project's machine with this loop, about 0.5 s with the Python one
(``benchmarks/goodput_bench.py``).

:func:`_serve` is ``_Instance.run`` written for numba: the same six numbered steps with the
same names, the same stretches of decode iterations (stepped, or in closed form), the events
(``join_decode``, ``preempt_newest``, ``user_continues``) as functions. Where the Python loop
keeps lists, deques and ``None``, it keeps arrays: the queue ``waiting`` is a ring of request
ids (``w_head``, ``n_waiting``), the lists grow by doubling with a count beside them,
``join_iter[r] = -1`` and ``paused_at[r] = NaN`` mean "none", ``last_dec_end`` is NaN before
the first decode iteration.

numba is imported with this module, which :mod:`inferecon.continuous_batching` imports on the
first simulation (``import inferecon`` stays light). The loop is compiled once per machine and
cached (``cache=True``: ``__pycache__``, or ``NUMBA_CACHE_DIR``): compiling takes about 6 s of
CPU, loading it from the cache (the first simulation of every process) about half a second.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import math
import os
import threading

import numpy as np
from numba import njit, objmode

from .continuous_batching import _SPAN_KEYS, _STEPPED_STRETCH, BLOCK_TOKENS

__all__: list[str] = []


def _compiled(function):
    """``function`` compiled by numba on its first call, cached on disk where numba finds a
    writable folder (``__pycache__`` beside this file, the user's cache folder or
    ``NUMBA_CACHE_DIR``); in a read-only installation without one, compiled in every process."""
    try:
        return njit(cache=True)(function)
    except RuntimeError:  # numba: "cannot cache function ...: no locator available"
        return njit(function)


# the step model as numbers: what ``step`` holds, by index
_KIND, _KV_TOKEN_S, _PAIR_S, _BLOCKS_PER_SEQ, _BLOCKS_NEED = 0, 1, 2, 3, 4
_COMM_TOKEN_S, _COMM_FIXED_S, _OVERHEAD_S, _SEQUENTIAL, _SERVICE_S, _DECODE_S = 5, 6, 7, 8, 9, 10
_ROOFLINE, _CONSTANT = 0.0, 1.0
"""``step[_KIND]``: :class:`IterationCost` (the linear layers from the tables, ``linear_s``
rows: sum of max(compute, memory) per operation, compute summed, memory summed) or
:class:`ConstantService` (``_SERVICE_S``, ``_DECODE_S``)."""


# --------------------------------------------------------------------------- the step model


@_compiled
def _parallelism(step, sequences):
    """``IterationCost._parallelism``: the attention thread blocks' share of the GPU."""
    need = step[_BLOCKS_NEED]
    if need <= 0 or sequences <= 0:
        return 1.0
    return min(1.0, sequences * step[_BLOCKS_PER_SEQ] / need)


@_compiled
def _iteration_s(step, linear_s, prefill_tokens, prefill_pairs, prefill_prefix_tokens,
                 decode_sequences, decode_context):  # fmt: skip
    """Seconds of one iteration: :meth:`StepTimeModel.iteration_s` for the two kinds."""
    if step[_KIND] == _CONSTANT:
        return (step[_SERVICE_S] if prefill_tokens != 0 else 0.0) + (
            step[_DECODE_S] if decode_sequences != 0 else 0.0
        )
    d = decode_sequences
    tokens = prefill_tokens + d
    if tokens <= 0:
        return step[_OVERHEAD_S]
    i = int(tokens)
    kv_tok_s, pair_s = step[_KV_TOKEN_S], step[_PAIR_S]
    par = _parallelism(step, d) if d > 0 else 1.0
    dec_m = kv_tok_s * (decode_context + d) / par if d > 0 else 0.0
    dec_c = pair_s * decode_context
    pre_m = kv_tok_s * (prefill_tokens + prefill_prefix_tokens)
    pre_c = pair_s * prefill_pairs
    if step[_SEQUENTIAL]:
        work = (linear_s[0, i] + (dec_c if dec_c > dec_m else dec_m)
                + (pre_c if pre_c > pre_m else pre_m))  # fmt: skip
    else:
        c = linear_s[1, i] + dec_c + pre_c
        m = linear_s[2, i] + dec_m + pre_m
        work = c if c > m else m
    return work + step[_COMM_TOKEN_S] * tokens + step[_COMM_FIXED_S] + step[_OVERHEAD_S]


@_compiled
def _decode_form(step, linear_s, decode_sequences, decode_context):
    """``(K, a1, b1, a2, b2)``: :meth:`StepTimeModel.decode_form` for the two kinds."""
    if step[_KIND] == _CONSTANT:
        return step[_DECODE_S], 0.0, 0.0, 0.0, 0.0
    d, s0 = float(decode_sequences), float(decode_context)
    i = int(d)
    par = _parallelism(step, d)
    a0, r0, slope = s0, s0 + d, d
    kv = step[_KV_TOKEN_S] / par
    pair_s = step[_PAIR_S]
    comm = step[_COMM_TOKEN_S] * d + step[_COMM_FIXED_S]
    if step[_SEQUENTIAL]:
        return (linear_s[0, i] + comm + step[_OVERHEAD_S], kv * r0, kv * slope, pair_s * a0,
                pair_s * slope)  # fmt: skip
    return (comm + step[_OVERHEAD_S], linear_s[2, i] + kv * r0, kv * slope,
            linear_s[1, i] + pair_s * a0, pair_s * slope)  # fmt: skip


@_compiled
def _prefill_pairs(chunk_tokens, cached_tokens):
    """Causal query-key pairs of a chunk after ``cached_tokens`` (full attention)."""
    p, c = float(chunk_tokens), float(cached_tokens)
    return p * c + p * (p + 1.0) / 2.0


# --------------------------------------------------------------------------- span arithmetic
# continuous_batching's _arith, _span_sum, _iteration, _stretch_end, _new_blocks and
# _safe_iterations, compiled


@_compiled
def _arith(a, b, j0, j1):
    n = j1 - j0
    return n * a + b * (j1 * (j1 - 1) - j0 * (j0 - 1)) / 2.0 if n > 0 else 0.0


@_compiled
def _span_sum(K, a1, b1, a2, b2, k):
    """Seconds of ``k`` decode iterations ``K + max(a1 + b1 j, a2 + b2 j)``, j = 0..k-1."""
    if b1 == b2:  # _split: which line is the larger one before and after index s
        first, s, second = (1 if a1 >= a2 else 2), k, 0
    else:
        x = min(max((a2 - a1) / (b1 - b2), -1.0), k + 1.0)
        if b1 > b2:
            first, s, second = 2, min(max(int(math.ceil(x)), 0), k), 1
        else:
            first, s, second = 1, min(max(int(math.floor(x)) + 1, 0), k), 2
    zero = np.int64(0)
    total = k * K + (_arith(a1, b1, zero, s) if first == 1 else _arith(a2, b2, zero, s))
    if second == 1:
        total += _arith(a1, b1, s, k)
    elif second == 2:
        total += _arith(a2, b2, s, k)
    return total


@_compiled
def _form_iteration(K, a1, b1, a2, b2, j):
    x, y = a1 + b1 * j, a2 + b2 * j
    return K + (x if x > y else y)


@_compiled
def _stretch_end(K, a1, b1, a2, b2, k_max, t, arrival_s, max_time_s):
    """Length and first iteration's seconds of a decode stretch (``_stretch_end``)."""
    t0 = K + (a1 if a1 > a2 else a2)
    if t + t0 > max_time_s:
        return 1, t0
    if arrival_s < math.inf:
        horizon = arrival_s - t
        if horizon <= t0:
            return 1, t0
        if _span_sum(K, a1, b1, a2, b2, k_max) >= horizon:
            j, elapsed = 1, t0
            while elapsed < horizon and j < k_max:
                x, y = a1 + b1 * j, a2 + b2 * j
                elapsed += K + (x if x > y else y)
                j += 1
            return j, t0
    return k_max, t0


@_compiled
def _new_blocks(phase_count, decode_iter, decoding, k):
    if decoding == 0 or k <= 0:
        return 0
    total = (k // BLOCK_TOKENS) * decoding
    for j in range(k % BLOCK_TOKENS):
        total += phase_count[(-(decode_iter + j)) % BLOCK_TOKENS]
    return total


@_compiled
def _safe_iterations(phase_count, decode_iter, decoding, free_blocks):
    cycles = free_blocks // decoding
    taken = cycles * decoding
    for j in range(BLOCK_TOKENS):
        taken += phase_count[(-(decode_iter + j)) % BLOCK_TOKENS]
        if taken > free_blocks:
            return cycles * BLOCK_TOKENS + j
    return (cycles + 1) * BLOCK_TOKENS


# --------------------------------------------------------------------------- growing records


@_compiled
def _longer_table(grow_key, tokens):
    """``linear_s`` over 0..at least ``tokens``: the step model (in Python) computes it."""
    with objmode(linear_s="float64[:, ::1]"):
        linear_s = _linear_tables(grow_key, tokens)
    return linear_s


@_compiled
def _grown(values, need):
    """``values``, or a copy at least twice as long when ``need`` entries do not fit."""
    if need <= values.shape[0]:
        return values
    out = np.empty(max(need, 2 * values.shape[0]), values.dtype)
    for i in range(values.shape[0]):
        out[i] = values[i]
    return out


@_compiled
def _append4(values, n, a, b, c, d):
    """Append a row of four numbers to the flat record ``values`` holding ``n``."""
    values = _grown(values, n + 4)
    values[n], values[n + 1], values[n + 2], values[n + 3] = a, b, c, d
    return values, n + 4


# --------------------------------------------------------------------------- events


@_compiled
def _user_continues(when, think_s, arrival, pool, pool_next, pending):
    """Closed loop: the user whose request ended at ``when`` sends the next one."""
    if pool_next < pool.shape[0]:
        rid = pool[pool_next]
        arrival[rid] = when + think_s
        heapq.heappush(pending, (arrival[rid], rid))
        pool_next += 1
    return pool_next


@_compiled
def _join_decode(rid, cache_len, when, G, n_spans, state, results, heap, phase_count, output,
                 prefill_only, closed, think_s, arrival, pool, pool_next, pending):  # fmt: skip
    """``_Instance.join_decode``: returns (``cache_len``, or 0 when it finished; ``pool_next``)."""
    generated, _, _, join_iter, join_len, version, _, running, paused_at = state
    first, finish, _, _, preempt_gap, span0, span1 = results
    if first[rid] != first[rid]:  # NaN: this is the request's first token
        first[rid] = when
    if not version[rid]:  # its first time in this instance's decode batch
        span0[rid] = n_spans
    if paused_at[rid] == paused_at[rid]:
        preempt_gap[rid] = max(preempt_gap[rid], when - paused_at[rid])
        paused_at[rid] = np.nan
    g = generated[rid] + 1  # the prefill produced one token
    generated[rid] = g
    rest = output[rid] - g
    if rest <= 0 or prefill_only:
        finish[rid] = when
        span1[rid] = n_spans
        running[rid] = False
        if closed:
            pool_next = _user_continues(when, think_s, arrival, pool, pool_next, pending)
        return 0, pool_next
    version[rid] += 1
    join_iter[rid], join_len[rid] = G, cache_len
    heapq.heappush(heap, (G + rest, rid, version[rid]))
    phase_count[(cache_len - G) % BLOCK_TOKENS] += 1
    return cache_len, pool_next


@_compiled
def _leave_decode(rid, G, state, phase_count):
    """``_Instance.leave_decode``: take ``rid`` out of the decode batch at iteration ``G``;
    return its cached tokens (the caller takes one from ``D`` and them from ``S``)."""
    generated, join_iter, join_len = state[0], state[3], state[4]
    j, n = join_iter[rid], join_len[rid]
    phase_count[(n - j) % BLOCK_TOKENS] -= 1
    cache_len = n + (G - j)
    generated[rid] += G - j
    join_iter[rid] = -1
    return cache_len


@_compiled
def _preempt_newest(order, n_order, state, preempt, prompt, phase_count, G, D, S, used, t,
                    last_dec_end, prefilling, n_prefilling, waiting, w_head,
                    n_waiting):  # fmt: skip
    """``_Instance.preempt_newest`` (and ``leave_decode``): the newest running request frees
    its blocks and waits at the queue's front. Returns (preempted?, ``n_order``, ``D``, ``S``,
    ``used``, ``n_prefilling``, ``w_head``, ``n_waiting``)."""
    generated, to_prefill, prefilled, join_iter, join_len, version, blocks, running, paused_at = (
        state)  # fmt: skip
    while n_order > 0:
        n_order -= 1
        rid = order[n_order]
        if not running[rid]:
            continue
        preempt[rid] += 1
        b = blocks[rid]
        if join_iter[rid] >= 0:  # leave_decode: the blocks it grew into are freed too
            cache_len = _leave_decode(rid, G, state, phase_count)
            D -= 1
            S -= cache_len
            b = -(-cache_len // BLOCK_TOKENS)
            version[rid] += 1  # its heap entry is stale now
            paused_at[rid] = last_dec_end if last_dec_end == last_dec_end else t
        else:
            _remove(prefilling, n_prefilling, rid)
            n_prefilling -= 1
        used -= b
        running[rid] = False
        to_prefill[rid] = prompt[rid] + generated[rid]
        prefilled[rid] = 0
        w_head = (w_head - 1) % waiting.shape[0]  # waiting.appendleft(rid)
        waiting[w_head] = rid
        n_waiting += 1
        return True, n_order, D, S, used, n_prefilling, w_head, n_waiting
    return False, n_order, D, S, used, n_prefilling, w_head, n_waiting


@_compiled
def _remove(values, n, rid):
    """Remove ``rid`` from the first ``n`` of ``values``, keeping the order."""
    i = 0
    while values[i] != rid:
        i += 1
    for j in range(i, n - 1):  # (loops, not slices: they compile faster)
        values[j] = values[j + 1]


# --------------------------------------------------------------------------- the loop


@_compiled
def _serve(arrival, prompt, output, ids, kv_ready, results, chunked, prefill_only, closed,
           concurrency, think_s, max_running, max_tokens, kv_blocks, max_time_s, step, linear_s,
           grow_key):  # fmt: skip
    """Serve requests ``ids`` on one instance: ``_Instance.run``, compiled.

    Fills ``results`` (first token, finish, admission, preemptions, the pause at a preemption,
    the span indices; arrays over every request) and, in a closed loop, ``arrival``. Returns
    ``(spans, timeline, rejected, truncated, end_t, status, constants)``: the flat span (4 per
    row) and timeline (time, batch, queue, blocks used) records, the rejected ids, status 1
    when the clock stopped advancing (a scheduler bug; the caller raises) and the constants
    compiled in (``BLOCK_TOKENS``, ``_STEPPED_STRETCH``: the caller checks them).
    """
    n_all = arrival.shape[0]
    inf = math.inf
    first, finish, admit_t, preempt, preempt_gap, span0, span1 = results
    P, Q = prompt, output
    # per request (``_Instance``'s lists): -1 and NaN stand for None
    generated = np.zeros(n_all, np.int64)
    need = np.zeros(n_all, np.int64)  # to_prefill
    done = np.zeros(n_all, np.int64)  # prefilled
    join_iter = np.full(n_all, -1, np.int64)
    join_len = np.zeros(n_all, np.int64)
    version = np.zeros(n_all, np.int64)
    blocks = np.zeros(n_all, np.int64)
    running = np.zeros(n_all, np.bool_)
    paused_at = np.full(n_all, np.nan)
    state = (generated, need, done, join_iter, join_len, version, blocks, running, paused_at)
    # the queue (a ring), the batch and the records
    waiting = np.empty(n_all + 1, np.int64)
    zero = np.int64(0)  # (not a literal 0: numba would compile some calls twice)
    w_head = n_waiting = zero
    width = min(max_running, n_all) + 1
    prefilling = np.empty(width, np.int64)
    n_pre = zero
    admitted = np.empty(width, np.int64)
    completed = np.empty(width, np.int64)
    chunk_ids = np.empty(width, np.int64)
    chunk_tokens = np.empty(width, np.int64)
    order = np.empty(max(n_all, 16), np.int64)  # admission_order
    n_order = zero
    heap = [(np.int64(0), np.int64(0), np.int64(0))]  # finish_heap: (G at its last token, r, v)
    heap.pop()
    phase_count = np.zeros(BLOCK_TOKENS, np.int64)
    spans = np.empty(4096, np.float64)
    tl = np.empty(4096, np.float64)
    rejected = np.empty(16, np.int64)
    n_spans = n_tl = n_rejected = zero
    # arrivals: open loop, ids sorted by arrival; closed loop, a heap and the users' next ones
    pending = [(0.0, np.int64(0))]
    pending.pop()
    pool = ids
    pool_next = zero
    if closed:
        for _ in range(min(concurrency, len(ids))):
            rid = pool[pool_next]
            pool_next += 1
            arrival[rid] = 0.0
            heapq.heappush(pending, (0.0, rid))
    n_ids, ai = len(ids), zero

    prefill_limit = inf if chunked else float(max_tokens)
    watermark = math.ceil(0.01 * kv_blocks)  # vLLM's watermark_blocks: 1% of the cache
    kv_tokens = kv_blocks * BLOCK_TOKENS
    t, G, D, S, used = 0.0, zero, zero, zero, zero
    last_dec_end, remaining = np.nan, len(ids)
    truncated, last_t, still, stall, status = False, -1.0, 0, 10 * max_running + 1000, 0
    while remaining > 0:
        if t == last_t:
            still += 1
            if still > stall:  # a scheduler bug, never silent
                status = 1
                break
        else:
            still, last_t = 0, t
        if t > max_time_s:
            truncated = True
            break
        if not closed:
            next_t = arrival[ids[ai]] if ai < n_ids else inf
        else:
            next_t = pending[0][0] if len(pending) else inf

        # (1) arrivals join the queue, each recorded at its own instant; a request that could
        # never fit in the whole cache is rejected
        if next_t <= t:
            if n_tl:
                prev_b, prev_q, prev_kv = tl[n_tl - 3], tl[n_tl - 2], tl[n_tl - 1]
            else:
                prev_b, prev_q, prev_kv = 0.0, 0.0, 0.0
            while next_t <= t:
                if not closed:
                    rid = ids[ai]
                    ai += 1
                    next_t = arrival[ids[ai]] if ai < n_ids else inf
                else:
                    rid = heapq.heappop(pending)[1]
                if P[rid] + Q[rid] - 1 > kv_tokens:  # more blocks than the whole cache
                    rejected = _grown(rejected, n_rejected + 1)
                    rejected[n_rejected] = rid
                    n_rejected += 1
                    remaining -= 1
                    if closed:
                        pool_next = _user_continues(arrival[rid], think_s, arrival, pool,
                                                    pool_next, pending)  # fmt: skip
                else:
                    generated[rid], need[rid], done[rid] = 0, P[rid], 0
                    waiting[(w_head + n_waiting) % waiting.shape[0]] = rid  # waiting.append
                    n_waiting += 1
                    if arrival[rid] < t:
                        prev_q += 1
                        tl, n_tl = _append4(tl, n_tl, arrival[rid], prev_b, prev_q, prev_kv)
                if closed:
                    next_t = pending[0][0] if len(pending) else inf

        # (2) admission, first come first served, while the batch has room and the cache
        # keeps the blocks the running decodes take next plus the watermark free; prefill
        # first takes at most max_batch_tokens prompt tokens besides the first prompt
        n_admitted, tokens = 0, 0
        if n_waiting and D + n_pre < max_running:
            reserve = (phase_count[(-G) % BLOCK_TOKENS] if D else 0) + watermark
            while n_waiting and D + n_pre + n_admitted < max_running:
                rid = waiting[w_head]
                b = -(-need[rid] // BLOCK_TOKENS)
                if used + b + reserve > kv_blocks and (D or n_pre or n_admitted):
                    break
                joins = kv_ready[rid] and generated[rid] == 0  # its KV cache arrives
                if not joins and n_admitted and tokens + need[rid] > prefill_limit:
                    break
                w_head = (w_head + 1) % waiting.shape[0]  # waiting.popleft()
                n_waiting -= 1
                used += b
                blocks[rid] = b
                running[rid] = True
                order = _grown(order, n_order + 1)
                order[n_order] = rid
                n_order += 1
                if admit_t[rid] != admit_t[rid]:  # NaN: its first admission
                    admit_t[rid] = t
                if joins:  # it decodes at once
                    cache_len, pool_next = _join_decode(
                        rid, P[rid], t, G, n_spans // 4, state, results, heap, phase_count, Q,
                        prefill_only, closed, think_s, arrival, pool, pool_next,
                        pending)  # fmt: skip
                    if cache_len:
                        D += 1
                        S += cache_len
                    else:
                        used -= b
                        remaining -= 1
                else:
                    tokens += need[rid]
                    admitted[n_admitted] = rid
                    n_admitted += 1
            if chunked:
                for i in range(n_admitted):
                    prefilling[n_pre] = admitted[i]
                    n_pre += 1
                n_admitted = 0

        # (3) the state until the next turn
        tl, n_tl = _append4(tl, n_tl, t, float(D + n_pre + n_admitted), float(n_waiting),
                            float(used))  # fmt: skip

        # (4) one iteration, or a stretch of them
        n_completed = 0
        if n_admitted:  # prefill first: the admitted prompts only, every decode paused
            if step[_KIND] == _ROOFLINE and tokens >= linear_s.shape[1]:
                linear_s = _longer_table(grow_key, tokens)  # from Python
            pairs = 0.0
            for i in range(n_admitted):
                pairs += _prefill_pairs(need[admitted[i]], np.int64(0))
            t += _iteration_s(step, linear_s, float(tokens), pairs, 0.0, 0.0, 0.0)
            for i in range(n_admitted):
                completed[i] = admitted[i]
            n_completed = n_admitted
        elif n_pre:  # chunked: a token per decode, the rest of the budget for prompts
            grow = phase_count[(-G) % BLOCK_TOKENS] if D else 0
            while grow > kv_blocks - used:  # the decodes' next blocks must fit
                ok, n_order, D, S, used, n_pre, w_head, n_waiting = _preempt_newest(
                    order, n_order, state, preempt, P, phase_count, G, D, S, used, t,
                    last_dec_end, prefilling, n_pre, waiting, w_head, n_waiting)  # fmt: skip
                if not ok:
                    break
                grow = phase_count[(-G) % BLOCK_TOKENS] if D else 0
            if not n_pre:
                continue
            budget = max_tokens - D
            ptok = pairs = prefix = 0.0
            n_chunks = 0
            for i in range(n_pre):
                if budget <= 0:
                    break
                r = prefilling[i]
                c = min(need[r] - done[r], budget)
                pairs += _prefill_pairs(c, done[r])
                prefix += done[r]
                ptok += c
                budget -= c
                chunk_ids[n_chunks], chunk_tokens[n_chunks] = r, c
                n_chunks += 1
            if step[_KIND] == _ROOFLINE and ptok + D >= linear_s.shape[1]:
                linear_s = _longer_table(grow_key, int(ptok) + D)  # from Python
            dt = _iteration_s(step, linear_s, ptok, pairs, prefix, float(D), float(S))
            if D:
                gap = dt if last_dec_end != last_dec_end else t + dt - last_dec_end
                spans, n_spans = _append4(spans, n_spans, t, dt, gap, 0.0)
                t += dt
                last_dec_end = t
                used += grow
                G += 1
                S += D
            else:
                t += dt
            for i in range(n_chunks):
                r, c = chunk_ids[i], chunk_tokens[i]
                done[r] += c
                if done[r] >= need[r]:
                    _remove(prefilling, n_pre, r)
                    n_pre -= 1
                    completed[n_completed] = r
                    n_completed += 1
        else:  # decode only, up to the next event
            while len(heap) and not (heap[0][2] == version[heap[0][1]] and running[heap[0][1]]):
                heapq.heappop(heap)  # entries of preempted requests
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
                ok, n_order, D, S, used, n_pre, w_head, n_waiting = _preempt_newest(
                    order, n_order, state, preempt, P, phase_count, G, D, S, used, t,
                    last_dec_end, prefilling, n_pre, waiting, w_head, n_waiting)  # fmt: skip
                continue
            # it stops early at the first iteration that ends at or after an arrival that
            # could be admitted, and after one iteration if that one passes max_time_s
            if not n_waiting and D < max_running and used < kv_blocks:
                horizon = next_t - t
            else:
                horizon = inf
            if k <= _STEPPED_STRETCH:  # short (most, under load): iteration by iteration
                t0 = dt = _iteration_s(step, linear_s, 0.0, 0.0, 0.0, float(D), float(S))
                gap = t0 if last_dec_end != last_dec_end else t + t0 - last_dec_end
                elapsed, j = 0.0, 0
                while True:
                    elapsed += dt
                    used += phase_count[(-(G + j)) % BLOCK_TOKENS]
                    j += 1
                    if j == k or elapsed >= horizon or t + t0 > max_time_s:
                        break
                    dt = _iteration_s(step, linear_s, 0.0, 0.0, 0.0, float(D), float(S + j * D))
                spans, n_spans = _append4(spans, n_spans, t, t0, gap, dt if j > 1 else 0.0)
                k = j
                t += elapsed
            else:  # long: in closed form
                K, a1, b1, a2, b2 = _decode_form(step, linear_s, D, S)
                k, t0 = _stretch_end(K, a1, b1, a2, b2, k, t, t + horizon, max_time_s)
                gap = t0 if last_dec_end != last_dec_end else t + t0 - last_dec_end
                last = _form_iteration(K, a1, b1, a2, b2, k - 1) if k > 1 else 0.0
                spans, n_spans = _append4(spans, n_spans, t, t0, gap, last)
                used += _new_blocks(phase_count, G, D, k)
                t += _span_sum(K, a1, b1, a2, b2, k)
            last_dec_end = t
            G += k
            S += k * D

        # (5) prompts whose prefill completed join the decode batch with their next token
        for i in range(n_completed):
            r = completed[i]
            cache_len, pool_next = _join_decode(
                r, need[r], t, G, n_spans // 4, state, results, heap, phase_count, Q,
                prefill_only, closed, think_s, arrival, pool, pool_next, pending)  # fmt: skip
            if cache_len:
                D += 1
                S += cache_len
            else:  # that token was its last
                used -= blocks[r]
                remaining -= 1

        # (6) requests whose last token came with iteration G leave and free their blocks
        while len(heap) and heap[0][0] <= G:
            _, rid, v = heapq.heappop(heap)
            if v != version[rid] or not running[rid]:
                continue
            cache_len = _leave_decode(rid, G, state, phase_count)
            D -= 1
            S -= cache_len
            finish[rid] = t
            span1[rid] = n_spans // 4
            used -= -(-cache_len // BLOCK_TOKENS)
            running[rid] = False
            remaining -= 1
            if closed:
                pool_next = _user_continues(t, think_s, arrival, pool, pool_next, pending)

    # the state from the end of the run on (empty unless truncated)
    tl, n_tl = _append4(tl, n_tl, t, float(D + n_pre), float(n_waiting), float(used))
    return (spans[:n_spans], tl[:n_tl], rejected[:n_rejected], truncated or remaining > 0, t,
            status, (BLOCK_TOKENS, _STEPPED_STRETCH))  # fmt: skip


# --------------------------------------------------------------------------- from Python


_GROWING: dict[int, object] = {}
"""The step-time models of the runs in progress, by key: :func:`_serve` asks
:func:`_linear_tables` for a longer table by its run's key."""
_KEYS = itertools.count()


def _linear_tables(key: int, tokens: int) -> np.ndarray:
    """The linear layers' seconds over 0..at least ``tokens`` (doubling), as ``linear_s``."""
    cost = _GROWING[key]
    have = len(cost.step_tables(0)["linear_max_s"])
    return _stack(cost.step_tables(max(int(tokens), 2 * have - 1)))


def _stack(tables: dict) -> np.ndarray:
    return np.ascontiguousarray(np.stack([tables["linear_max_s"], tables["linear_compute_s"],
                                          tables["linear_memory_s"]]))  # fmt: skip


_LOADED = threading.Event()
"""Set once this process has run :func:`_serve` (compiled it, or loaded it from the cache)."""


@contextlib.contextmanager
def _one_compilation_per_machine():
    """Around the first :func:`_serve` call of a process: one process at a time (a file lock
    in numba's cache folder), so that processes starting together (the test suite's workers)
    compile the loop once and the others load it from the cache, instead of each compiling
    it. Nothing to wait for after the first call, or without a cache (or file locks)."""
    path = getattr(_serve._cache, "cache_path", None)
    if _LOADED.is_set() or path is None:
        yield
        return
    try:
        import fcntl

        lock = open(os.path.join(path, "batching_core.lock"), "a")  # noqa: SIM115
    except (ImportError, OSError):  # no POSIX locks, or no writable cache folder
        yield
        return
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
            _LOADED.set()
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _columns(flat: np.ndarray) -> tuple:
    """The columns of a flat record of 4 numbers per row."""
    return tuple(np.ascontiguousarray(c) for c in flat.reshape(-1, 4).T)


def step_numbers(cost, max_tokens: int):
    """The step model ``cost`` as :func:`_serve` takes it, ``(step, linear_s)``, or None when
    it has no compiled form (a model of the user's own, or a sliding-window model).

    ``max_tokens``: the most tokens an iteration is known to need now (the table grows on
    demand past it)."""
    from .expert_parallel import ExpertParallelIterationCost
    from .serving import IterationCost
    from .simulator import ConstantService

    step = np.zeros(11)
    if type(cost) is ConstantService:
        step[_KIND] = _CONSTANT
        step[_SERVICE_S], step[_DECODE_S] = cost.service_s, cost.decode_s
        return step, np.zeros((3, 1))
    if type(cost) not in (IterationCost, ExpertParallelIterationCost):
        return None
    tables = cost.step_tables(max_tokens)
    # the ceiling's expert-parallel all-to-all overlaps the work (max(work, comm)): Python loop
    if tables["sliding_window"] or tables.get("overlapped_comm", False):
        return None
    step[_KIND] = _ROOFLINE
    step[_KV_TOKEN_S], step[_PAIR_S] = tables["kv_token_s"], tables["pair_s"]
    step[_BLOCKS_PER_SEQ], step[_BLOCKS_NEED] = tables["blocks_per_sequence"], tables["blocks_need"]
    step[_COMM_TOKEN_S], step[_COMM_FIXED_S] = tables["comm_token_s"], tables["comm_fixed_s"]
    step[_OVERHEAD_S], step[_SEQUENTIAL] = tables["overhead_s"], float(tables["sequential"])
    return step, _stack(tables)


def serve(step_model, req, ids, *, chunked, max_running_requests, max_batch_tokens, kv_blocks,
          max_time_s, prefill_only, prefilled, closed, cost) -> dict:  # fmt: skip
    """Run :func:`_serve` on ``req``'s columns (see ``_run_instance``); return the records of
    ``_Instance.run``."""
    step, linear_s = step_model
    n_all = len(req["arrival"])
    # one type for each argument, so that numba compiles one signature (a read-only column
    # from pandas would be another): fresh arrays, and the arrivals (a closed loop writes them)
    arrival = req["arrival"]
    if not (isinstance(arrival, np.ndarray) and arrival.dtype == np.float64
            and arrival.flags.c_contiguous and arrival.flags.writeable):  # fmt: skip
        arrival = np.array(arrival, dtype=np.float64)
    kv_ready = np.zeros(n_all, np.bool_)
    if prefilled:
        kv_ready[np.fromiter(prefilled, np.int64, len(prefilled))] = True
    results = tuple(np.frombuffer(req[k], dtype=np.float64 if req[k].typecode == "d" else np.int64)
                    for k in ("first", "finish", "admit", "preempt", "preempt_gap", "span0",
                              "span1"))  # fmt: skip
    concurrency, think_s = closed if closed is not None else (0, 0.0)
    key = next(_KEYS)
    _GROWING[key] = cost
    try:
        with _one_compilation_per_machine():
            spans, tl, rejected, truncated, end_t, status, constants = _serve(
                arrival, np.array(req["prompt"], dtype=np.int64),
                np.array(req["output"], dtype=np.int64), np.array(ids, dtype=np.int64),
                kv_ready, results, bool(chunked), bool(prefill_only), closed is not None,
                int(concurrency), float(think_s), int(max_running_requests),
                int(max_batch_tokens), int(kv_blocks), float(max_time_s), step, linear_s,
                key)  # fmt: skip
    finally:
        del _GROWING[key]
    if closed is not None and arrival is not req["arrival"]:
        req["arrival"][:] = arrival
    if constants != (BLOCK_TOKENS, _STEPPED_STRETCH):  # pragma: no cover
        # numba's cache follows this file only: a change to continuous_batching's constants
        # leaves the loop compiled with the old ones in the cache
        raise RuntimeError("numba's cache holds the scheduler loop compiled with other "
                           "constants: delete inferecon/__pycache__/batching_core*")  # fmt: skip
    if status:  # pragma: no cover - a scheduler bug, never silent
        raise RuntimeError("the simulation stopped advancing")
    req["rejected"].extend(rejected.tolist())
    return {
        **dict(zip(_SPAN_KEYS, _columns(spans), strict=True)),
        "timeline": _columns(tl),
        "truncated": bool(truncated),
        "end_t": float(end_t),
    }
