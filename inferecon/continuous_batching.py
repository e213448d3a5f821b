"""The continuous-batching engine: one serving instance's scheduler, iteration by iteration.

:func:`inferecon.simulate_serving` hands each instance its requests; the engine admits them
first come first served into a paged KV cache (blocks of :data:`BLOCK_TOKENS`), runs prefill,
mixed (chunked) or decode iterations costed by a step-time model
(:class:`inferecon.StepTimeModel`), preempts the newest request when the cache runs out and
records every request's first token, finish and largest gap between tokens.

Speed: between two events (an arrival that can be admitted, a request finishing, a cache
block running out) a decode-only batch does not change and each iteration's time grows
linearly with the cached tokens (:meth:`inferecon.IterationCost.decode_form`), so whole
stretches of iterations are advanced in closed form instead of one loop turn per token
(split where a sliding window bends the line, so the stretch equals per-iteration stepping).
"""

from __future__ import annotations

import heapq
import math
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


def _iterations_to_reach(form, horizon_s: float, k_max: int) -> int:
    """Smallest k in [1, k_max] whose k iterations last at least ``horizon_s`` (k_max if none)."""
    if horizon_s <= 0:
        return 1
    if _span_sum(form, k_max) < horizon_s:
        return k_max
    lo, hi = 1, k_max  # cumulative time is increasing in k: bisection on the closed form
    while lo < hi:
        mid = (lo + hi) // 2
        if _span_sum(form, mid) >= horizon_s:
            hi = mid
        else:
            lo = mid + 1
    return lo


# --------------------------------------------------------------------------- the engine


def _blocks(tokens: int) -> int:
    return -(-tokens // BLOCK_TOKENS)


def _run_instance(cost, req, ids, *, policy, max_running_requests, max_batch_tokens, kv_blocks,
                  max_time_s, prefill_only=False, prefilled=None, closed=None):  # fmt: skip
    """Serve requests ``ids`` (rows of ``req``) on one instance; fill ``req`` in place.

    ``req`` holds Python lists by column (arrival, prompt, output and the results). Open-loop
    ids come sorted by arrival; a closed loop (``closed = (concurrency, think_s)``) sends the
    next of ``ids`` when a request finishes. ``prefill_only``: requests leave with their first
    token (a disaggregated prefill instance). ``prefilled``: ids whose KV cache and first token
    arrive from elsewhere (a disaggregated decode instance).
    """
    arr, P, Q = req["arrival"], req["prompt"], req["output"]
    first_t, finish_t, admit_t = req["first"], req["finish"], req["admit"]
    n_pre, s0, s1, pgap = req["preempt"], req["span0"], req["span1"], req["preempt_gap"]
    n_all = len(arr)  # per-request state in lists (faster than dicts in the hot loop)
    g, need, done = [0] * n_all, [0] * n_all, [0] * n_all  # generated; to prefill; prefilled
    jG, jL, ver = [None] * n_all, [0] * n_all, [0] * n_all  # decode join counter, length
    blocks_of = [0] * n_all
    last_tok = [None] * n_all  # time of the last token before a preemption
    joined = [False] * n_all
    alive = [False] * n_all
    order = []  # admission order: the newest running request is preempted first
    waiting = deque()
    prefilling = []  # chunked prefills in progress, first come first served
    heap = []  # (finish counter, rid, version)
    cnt = [0] * BLOCK_TOKENS  # decoding requests by block phase
    D = S = G = used = 0  # decoding requests, their cached tokens, decode iterations, blocks
    t = 0.0
    last_dec_end = None
    sp_start, sp_t0, sp_gap, sp_int = [], [], [], []
    tl_t, tl_batch, tl_queue, tl_kv = [], [], [], []
    rejected = []
    truncated = False
    is_prefilled = [False] * n_all
    for rid in prefilled or ():
        is_prefilled[rid] = True
    if closed is None:
        queue_ids, ai, n_ids, pending, pool, think = list(ids), 0, len(ids), None, None, 0.0
    else:
        concurrency, think = closed
        pool = deque(ids)
        pending = []
        for _ in range(min(concurrency, len(pool))):
            rid = pool.popleft()
            arr[rid] = 0.0
            heapq.heappush(pending, (0.0, rid))
        queue_ids, ai, n_ids = [], 0, 0
    remaining = len(ids)

    def next_arrival():
        if pending is None:
            return arr[queue_ids[ai]] if ai < n_ids else math.inf
        return pending[0][0] if pending else math.inf

    def user_continues(when):
        if pending is not None and pool:
            nxt = pool.popleft()
            arr[nxt] = when + think
            heapq.heappush(pending, (arr[nxt], nxt))

    def finish(rid, when, cache_len=None):
        nonlocal remaining, used
        finish_t[rid] = when
        s1[rid] = len(sp_start)
        b = blocks_of[rid]
        used -= b if cache_len is None else _blocks(cache_len)
        alive[rid] = False
        remaining -= 1
        user_continues(when)

    def join_decode(rid, cache_len, when):
        nonlocal D, S
        if first_t[rid] != first_t[rid]:  # NaN: this is the request's first token
            first_t[rid] = when
        if not joined[rid]:
            joined[rid] = True
            s0[rid] = len(sp_start)
        if last_tok[rid] is not None:
            pgap[rid] = max(pgap[rid], when - last_tok[rid])
            last_tok[rid] = None
        g[rid] += 1  # the prefill produced one token
        rest = Q[rid] - g[rid]
        if prefill_only or rest <= 0:
            finish(rid, when)
            return
        ver[rid] += 1
        jG[rid], jL[rid] = G, cache_len
        heapq.heappush(heap, (G + rest, rid, ver[rid]))
        cnt[(cache_len - G) % BLOCK_TOKENS] += 1
        D += 1
        S += cache_len

    def leave_decode(rid):
        """Take a request out of the decode batch; return its cached tokens."""
        nonlocal D, S
        cnt[(jL[rid] - jG[rid]) % BLOCK_TOKENS] -= 1
        cache_len = jL[rid] + (G - jG[rid])
        D -= 1
        S -= cache_len
        g[rid] += G - jG[rid]
        jG[rid] = None
        return cache_len

    def preempt_newest():
        nonlocal used
        while order:
            rid = order.pop()
            if not alive[rid]:
                continue
            n_pre[rid] += 1
            b = blocks_of[rid]
            if jG[rid] is not None:
                b = _blocks(leave_decode(rid))  # the blocks it grew into are freed too
                ver[rid] += 1  # its heap entry is stale now
                last_tok[rid] = last_dec_end if last_dec_end is not None else t
            else:
                prefilling.remove(rid)
            used -= b
            alive[rid] = False
            need[rid] = P[rid] + g[rid]  # recompute the prompt and every generated token
            done[rid] = 0
            waiting.appendleft(rid)
            return True
        return False

    def new_blocks(k):
        """Blocks the decoding requests take over the next k iterations."""
        if D == 0 or k <= 0:
            return 0
        full, part = divmod(k, BLOCK_TOKENS)
        tot = full * D
        for j in range(part):
            tot += cnt[(-(G + j)) % BLOCK_TOKENS]
        return tot

    def safe_iterations(free):
        """Decode iterations possible before the cache runs out of blocks."""
        cycles = free // D
        acc = cycles * D
        for j in range(BLOCK_TOKENS):
            acc += cnt[(-(G + j)) % BLOCK_TOKENS]
            if acc > free:
                return cycles * BLOCK_TOKENS + j
        return (cycles + 1) * BLOCK_TOKENS  # pragma: no cover - acc reaches (cycles+1) D

    def record(t_start, t0, interior):
        sp_start.append(t_start)
        sp_t0.append(t0)
        sp_gap.append(t0 if last_dec_end is None else t_start + t0 - last_dec_end)
        sp_int.append(interior)

    def finish_due():
        while heap and heap[0][0] <= G:
            _, r, v = heapq.heappop(heap)
            if v == ver[r] and alive[r]:
                finish(r, t, leave_decode(r))

    def admit(rid, b):
        nonlocal used
        waiting.popleft()
        used += b
        blocks_of[rid] = b
        alive[rid] = True
        order.append(rid)
        if admit_t[rid] != admit_t[rid]:
            admit_t[rid] = t

    chunked = policy == "chunked_prefill"
    linear_for = getattr(cost, "decode_linear_iterations", None)
    watermark = math.ceil(0.01 * kv_blocks)  # vLLM's watermark_blocks = 0.01 of the cache
    turns, last_t, still = 0, -1.0, 0
    while remaining > 0:
        turns += 1
        still = still + 1 if t == last_t else 0
        last_t = t
        if (
            still > 10 * max_running_requests + 1000
        ):  # pragma: no cover - a scheduler bug, never silent
            raise RuntimeError(
                f"the simulation stopped advancing at t = {t} s (decoding {D}, prefilling "
                f"{len(prefilling)}, waiting {len(waiting)}, blocks {used}/{kv_blocks})"
            )
        if t > max_time_s:
            truncated = True
            break
        # the state recorded at the last turn holds until now, except that each arrival since
        # then joins the queue at its own instant (so the series counts every request from
        # its arrival: Little's law holds on it exactly)
        prev_b, prev_q, prev_kv = (tl_batch[-1], tl_queue[-1], tl_kv[-1]) if tl_t else (0, 0, 0)
        while (
            (arr[queue_ids[ai]] <= t if ai < n_ids else False)
            if pending is None
            else (pending and pending[0][0] <= t)
        ):  # arrivals join the queue, or are rejected if they never fit
            if pending is None:
                rid = queue_ids[ai]
                ai += 1
            else:
                rid = heapq.heappop(pending)[1]
            if _blocks(P[rid] + Q[rid] - 1) > kv_blocks:
                rejected.append(rid)
                remaining -= 1
                user_continues(arr[rid])
                continue
            g[rid], need[rid], done[rid] = 0, P[rid], 0
            waiting.append(rid)
            if arr[rid] < t:
                prev_q += 1
                tl_t.append(arr[rid])
                tl_batch.append(prev_b)
                tl_queue.append(prev_q)
                tl_kv.append(prev_kv)
        # ---- admission, first come first served
        admitted = []
        tokens = 0
        # keep the blocks the running decodes take next, plus vLLM's 1% watermark, free
        reserve = (cnt[(-G) % BLOCK_TOKENS] if D else 0) + watermark
        while waiting and D + len(prefilling) + len(admitted) < max_running_requests:
            rid = waiting[0]
            b = _blocks(need[rid])
            if used + b + reserve > kv_blocks and (D or prefilling or admitted):
                break
            if is_prefilled[rid] and g[rid] == 0:  # its KV cache arrives: decode at once
                admit(rid, b)
                join_decode(rid, P[rid], t)
                continue
            if not chunked and admitted and tokens + need[rid] > max_batch_tokens:
                break
            admit(rid, b)
            tokens += need[rid]
            admitted.append(rid)
        if chunked:
            prefilling.extend(admitted)
            admitted = []
        tl_t.append(t)  # the state until the next turn of the loop
        tl_batch.append(D + len(prefilling) + len(admitted))
        tl_queue.append(len(waiting))
        tl_kv.append(used)

        # ---- a prefill iteration, a mixed one, a stretch of decodes, or idle
        if admitted:  # prefill first: an iteration of prompts only, decodes paused
            pairs = sum(cost.prefill_pairs(need[r]) for r in admitted)
            t += cost.iteration_s(tokens, pairs, 0.0, 0, 0)
            for r in admitted:
                join_decode(r, need[r], t)
            continue
        if prefilling:  # chunked: one token per decode, the rest of the budget for prompts
            grow = cnt[(-G) % BLOCK_TOKENS] if D else 0
            while grow > kv_blocks - used and preempt_newest():
                grow = cnt[(-G) % BLOCK_TOKENS] if D else 0
            if not prefilling:
                continue
            budget = max_batch_tokens - D
            ptok = pairs = prefix = 0.0
            chunks = []
            for r in prefilling:
                if budget <= 0:
                    break
                c = min(need[r] - done[r], budget)
                pairs += cost.prefill_pairs(c, done[r])
                prefix += done[r]
                ptok += c
                budget -= c
                chunks.append((r, c))
            dt = cost.iteration_s(ptok, pairs, prefix, D, S)
            if D:
                record(t, dt, 0.0)
            t += dt
            if D:
                last_dec_end = t
                used += grow
                G += 1
                S += D
            for r, c in chunks:
                done[r] += c
                if done[r] >= need[r]:
                    prefilling.remove(r)
                    join_decode(r, need[r], t)
            if heap and heap[0][0] <= G:
                finish_due()
            continue
        while heap and not (heap[0][2] == ver[heap[0][1]] and alive[heap[0][1]]):
            heapq.heappop(heap)  # entries of preempted requests
        if D > 0:
            free = kv_blocks - used
            k_kv = safe_iterations(free)
            if k_kv == 0:
                preempt_newest()
                continue
            k = min(heap[0][0] - G, k_kv)
            if linear_for is not None:  # a sliding window bends the line: split the stretch
                k = min(k, max(int(min(linear_for(D, S), k)), 1))
            form = cost.decode_form(D, S)
            t0 = _iteration(form, 0)
            ta = next_arrival()
            if ta < math.inf and not waiting and D < max_running_requests and free > 0:
                if ta - t <= t0:
                    k = 1
                else:
                    k = _iterations_to_reach(form, ta - t, k)  # stop once it can be admitted
            if t + t0 > max_time_s:
                k = 1
            if k == 1:
                record(t, t0, 0.0)
                used += cnt[(-G) % BLOCK_TOKENS]
                t += t0
            else:
                record(t, t0, _iteration(form, k - 1))
                used += new_blocks(k)
                t += _span_sum(form, k)
            last_dec_end = t
            G += k
            S += k * D
            if heap[0][0] <= G:
                finish_due()
            continue
        ta = next_arrival()
        if ta == math.inf:
            break  # the queue's head cannot be admitted with nothing running: cannot happen
        t = max(t, ta)
    tl_t.append(t)  # the state from the end of the run on (empty unless truncated)
    tl_batch.append(D + len(prefilling))
    tl_queue.append(len(waiting))
    tl_kv.append(used)
    req["rejected"].extend(rejected)
    return {
        "span_start": sp_start,
        "span_t0": sp_t0,
        "span_gap": sp_gap,
        "span_int": sp_int,
        "timeline": (tl_t, tl_batch, tl_queue, tl_kv),
        "truncated": truncated or remaining > 0,
        "end_t": t,
    }


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
    n = len(df)
    nan = [math.nan] * n
    return {
        "arrival": df["arrival_s"].tolist(),
        "prompt": df["prompt_tokens"].astype(int).tolist(),
        "output": df["output_tokens"].astype(int).tolist(),
        "first": nan.copy(),
        "finish": nan.copy(),
        "admit": nan.copy(),
        "preempt": [0] * n,
        "preempt_gap": [0.0] * n,
        "span0": [-1] * n,
        "span1": [-1] * n,
        "rejected": [],
    }
