"""The numpy half of the fast plan: each unit's depth and chosen attempt in one vectorised pass.

The input is a unit's step events as integer order keys, sorted by (unit, key) (see
engine_fast). :func:`choose` walks the steps with one binary search per step event and a few
masked reductions, never a Python loop over units or events. :func:`choose_in_parts` splits the
rows at unit boundaries and runs the parts in threads: numpy releases the GIL inside these
operations, so on two cores the pass takes a little over half the time.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["choose", "choose_in_parts", "split_points", "walk"]

# below this many rows per part a second thread costs more than it saves
MIN_ROWS_PER_PART = 250_000

Chosen = tuple[np.ndarray, np.ndarray, np.ndarray, list[tuple[np.ndarray, np.ndarray]], np.ndarray]


def _firsts(uid: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(units, indices) of the first True of ``mask`` per unit; ``uid`` is sorted."""
    at = np.flatnonzero(mask)
    units = uid[at]
    keep = np.ones(len(at), dtype=bool)
    keep[1:] = units[1:] != units[:-1]
    return units[keep], at[keep]


def _units(g1: np.ndarray, g2: np.ndarray, key: np.ndarray) -> tuple[np.ndarray, ...]:
    """(same, uid, heads) of rows sorted by (unit, key).

    ``same[i]`` (length n + 1, last False): row i repeats row i-1's event (same unit and key) and
    is skipped; ``uid`` numbers the units 0, 1, …; ``heads`` are their first rows.
    """
    n = len(key)
    new = np.ones(n, dtype=bool)
    np.not_equal(g1[1:], g1[:-1], out=new[1:])
    new[1:] |= g2[1:] != g2[:-1]
    same = np.zeros(n + 1, dtype=bool)
    np.equal(key[1:], key[:-1], out=same[1:n])
    same[1:n] &= ~new[1:]
    uid = np.cumsum(new, dtype=np.int32 if n < 2**31 else np.int64)
    uid -= 1
    return same, uid, np.flatnonzero(new)


def _member_rows(code: np.ndarray, found: list[int], m: int, same: np.ndarray) -> np.ndarray:
    """Rows whose name code is in ``found``, one per event (repeated rows skipped)."""
    if len(found) == 1:
        mask = code == found[0]
    else:
        lut = np.zeros(m, dtype=bool)
        lut[found] = True
        mask = lut[code]
    mask &= ~same[: len(code)]
    return np.flatnonzero(mask)


def _starts(
    rows: np.ndarray,
    key: np.ndarray,
    uid: np.ndarray,
    period: tuple[int, int] | None,
    *,
    first_only: bool,
) -> np.ndarray:
    """The step-1 rows that start attempts: inside the period; only each unit's first if asked."""
    if period is not None:
        rows = rows[(key[rows] >= period[0]) & (key[rows] < period[1])]
    if first_only:
        rows = rows[_firsts(uid[rows], np.ones(len(rows), dtype=bool))[1]]
    return rows


def choose(
    g1: np.ndarray,
    g2: np.ndarray,
    key: np.ndarray,
    m: int,
    members: list[list[int]],
    window: int,
    period: tuple[int, int] | None,
    *,
    first_only: bool,
    code: np.ndarray | None = None,
) -> Chosen:
    """Each unit's depth and chosen attempt, from its step events sorted by (unit, key).

    ``members[j-1]`` are the name codes of step j, ``window`` is in microseconds and
    ``period`` bounds the keys of the starts. For a step-j event e let S_j(e) be the latest
    start of an ordered chain of distinct events 1..j ending at e: S_1 = its own key, S_j(e) =
    S_{j-1} of the latest step-(j-1) event before e (S never decreases along a unit's events,
    so the latest is the largest). Greedy matching ends at the earliest possible end of any
    chain from its start, so a unit reaches step j iff some step-j event has
    t(e) - t(S_j(e)) <= window; the others can be dropped (no chain through them fits in a
    window). The starts that chain to e are exactly those <= S_j(e); so rule 5's choice, the
    earliest start reaching the depth D, is the first start at or after t(e) - window for the
    unit's earliest remaining step-D event e, and its step j is the earliest remaining step-j
    event whose S_j is at or after that bound.

    Returns the units with a start: (g1, g2, depth, [(step key, present) per step], whether
    the chosen start has duplicate rows).
    """
    same, uid, heads = _units(g1, g2, key)
    repeats = bool(same.any())
    nu = len(heads)
    if code is None:
        code = key % m

    def rows(found: list[int]) -> np.ndarray:
        return _member_rows(code, found, m, same)

    pos = _starts(rows(members[0]), key, uid, period, first_only=first_only)
    levels = [(pos, key[pos])]  # per step: (remaining rows, their S)
    for found in members[1:]:
        prev, prev_s = levels[-1]
        cand = rows(found)
        if not len(prev):
            levels.append((cand[:0], prev_s[:0]))
            continue
        i = np.searchsorted(prev, cand) - 1  # the last previous-step row before each
        ok = i >= 0
        i[~ok] = 0
        ok &= uid[prev[i]] == uid[cand]
        s = prev_s[i]
        ok &= key[cand] // m - s // m <= window
        levels.append((cand[ok], s[ok]))
    depth = np.zeros(nu, dtype=np.int32)
    for j, (p, _) in enumerate(levels, start=1):
        depth[uid[p]] = j
    # the chosen attempt's start is the unit's first start at or after bound
    bound = np.full(nu, np.iinfo(np.int64).min, dtype=np.int64)
    for j, (p, _) in enumerate(levels[1:], start=2):
        u = uid[p]
        units, at = _firsts(u, depth[u] == j)
        bound[units] = (key[p[at]] // m - window) * m
    out = depth >= 1
    dup = np.zeros(nu, dtype=bool)
    steps = []
    for j, (p, s) in enumerate(levels, start=1):
        u = uid[p]
        ok = key[p] >= bound[u] if j == 1 else (depth[u] >= j) & (s >= bound[u])
        units, at = _firsts(u, ok)
        col = np.zeros(nu, dtype=np.int64)
        col[units] = key[p[at]]
        have = np.zeros(nu, dtype=bool)
        have[units] = True
        steps.append((col[out], have[out]))
        if j == 1 and repeats:
            dup[units] = same[p[at] + 1]
    return g1[heads][out], g2[heads][out], depth[out], steps, dup[out]


def walk(
    g1: np.ndarray,
    g2: np.ndarray,
    key: np.ndarray,
    m: int,
    members: list[list[int]],
    window: int,
    period: tuple[int, int] | None,
    *,
    first_only: bool,
    code: np.ndarray | None = None,
    from_previous: bool = False,
    exclusions: tuple[tuple[list[int], int, int], ...] = (),
) -> Chosen:
    """Every attempt walked step by step, for ``previous_step`` windows and exclusions.

    Same input and output as :func:`choose`, plus ``from_previous`` (the window runs from the
    step before instead of step 1) and ``exclusions`` ((name codes, i, j) per exclusion). Each
    attempt (one per start) takes, per step, the earliest step-j event after its step-(j-1)
    event — one binary search over the step-j rows for all live attempts at once — and stops
    when that event is outside the window (rules 2-3 of docs/funnel.md). An exclusion voids an
    attempt when the first exclusion event after its step i comes before its step j, or, when
    step j was not reached, within the attempt's window (rule 4). Per unit, the kept attempt
    that reached the deepest step at the earliest time (ties: the earliest start) is chosen
    (rule 5).
    """
    n = len(key)
    same, uid, heads = _units(g1, g2, key)
    nu = len(heads)
    if code is None:
        code = key % m
    # the last row of each run of repeated rows: "after an event" means after its last copy
    ends = np.flatnonzero(~same[1:])
    end = ends[np.cumsum(~same[:n]) - 1]
    starts = _starts(
        _member_rows(code, members[0], m, same), key, uid, period, first_only=first_only
    )
    t1 = key[starts] // m
    path = [starts]  # per step, each attempt's row (-1 once it stopped)
    depth = np.ones(len(starts), dtype=np.int32)
    live = np.ones(len(starts), dtype=bool)
    for found in members[1:]:
        cand = _member_rows(code, found, m, same)
        current = path[-1]
        step = np.full(len(starts), -1, dtype=np.int64)
        if len(cand):
            here = np.where(live, current, 0)  # stopped attempts look from row 0, then drop out
            at = np.searchsorted(cand, end[here], side="right")
            ok = live & (at < len(cand))
            nxt = cand[np.minimum(at, len(cand) - 1)]
            ok &= uid[nxt] == uid[here]
            anchor = key[here] // m if from_previous else t1
            ok &= key[nxt] // m - anchor <= window
            step[ok] = nxt[ok]
            live = ok
        else:
            live = np.zeros(len(starts), dtype=bool)
        depth += live
        path.append(step)
    last = np.stack(path)[depth - 1, np.arange(len(starts))]  # each attempt's deepest row
    keep = np.ones(len(starts), dtype=bool)
    deadline = (key[last] // m if from_previous else t1) + window
    for found, i, j in exclusions:
        xrows = _member_rows(code, found, m, same)
        if not len(xrows):
            continue
        reached_i = depth >= i
        after = np.where(reached_i, path[i - 1], 0)
        at = np.searchsorted(xrows, end[after], side="right")
        hit = reached_i & (at < len(xrows))
        x = xrows[np.minimum(at, len(xrows) - 1)]
        hit &= uid[x] == uid[after]
        before_j = np.where(depth >= j, key[x] < key[np.where(depth >= j, path[j - 1], 0)],
                            key[x] // m <= deadline)  # fmt: skip
        keep &= ~(hit & before_j)
    attempt = np.flatnonzero(keep)
    unit = uid[starts[attempt]]
    # rule 5 over the kept attempts (in start order within each unit): deepest, then earliest
    # to reach it, then earliest start
    best = np.zeros(nu, dtype=np.int32)
    np.maximum.at(best, unit, depth[attempt])
    deepest = depth[attempt] == best[unit]
    reached_at = np.where(deepest, key[last[attempt]] // m, np.iinfo(np.int64).max)
    soonest = np.full(nu, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(soonest, unit, reached_at)
    units, first = _firsts(unit, deepest & (reached_at == soonest[unit]))
    chosen = attempt[first]
    steps = []
    for j, rows_j in enumerate(path, start=1):
        have = depth[chosen] >= j
        steps.append((np.where(have, key[np.where(have, rows_j[chosen], 0)], 0), have))
    dup = same[starts[chosen] + 1]
    return g1[heads[units]], g2[heads[units]], depth[chosen], steps, dup


def split_points(g1: np.ndarray, g2: np.ndarray, parts: int) -> list[int]:
    """Row offsets cutting the sorted rows into about ``parts`` pieces, only between units."""
    n = len(g1)
    cuts = [0]
    for i in range(1, parts):
        at = max(n * i // parts, cuts[-1] + 1)
        if at >= n:
            break
        # move forward to the first row of a new unit (vectorised over a growing stretch)
        span = 1024
        while True:
            end = min(at + span, n)
            same = (g1[at:end] == g1[at - 1]) & (g2[at:end] == g2[at - 1])
            found = np.flatnonzero(~same)
            if len(found) or end == n:
                at = at + int(found[0]) if len(found) else n
                break
            span *= 8
        if at >= n:
            break
        cuts.append(at)
    cuts.append(n)
    return cuts


def choose_in_parts(
    g1: np.ndarray,
    g2: np.ndarray,
    key: np.ndarray,
    code: np.ndarray,
    *,
    threads: int,
    func: Callable[..., Chosen] = choose,
    **fixed: Any,
) -> Chosen:
    """``func`` (:func:`choose` or :func:`walk`) over pieces cut between units, one thread each.

    ``fixed`` are ``func``'s other arguments (``m``, ``members``, ``window``, ``period``,
    ``first_only``, …), the same for every piece; the results are concatenated.
    """
    parts = max(1, min(threads, len(key) // MIN_ROWS_PER_PART))
    cuts = split_points(g1, g2, parts) if parts > 1 else [0, len(key)]
    if len(cuts) == 2:
        return func(g1, g2, key, code=code, **fixed)
    results: list[Chosen | None] = [None] * (len(cuts) - 1)
    errors: list[BaseException] = []

    def work(i: int, lo: int, hi: int) -> None:
        try:
            results[i] = func(g1[lo:hi], g2[lo:hi], key[lo:hi], code=code[lo:hi], **fixed)
        except BaseException as err:  # re-raised in the calling thread
            errors.append(err)

    workers = [
        threading.Thread(target=work, args=(i, lo, hi))
        for i, (lo, hi) in enumerate(itertools.pairwise(cuts))
    ]
    for w in workers[1:]:
        w.start()
    workers[0].run()  # the calling thread takes the first piece
    for w in workers[1:]:
        w.join()
    if errors:
        raise errors[0]
    done = [r for r in results if r is not None]
    steps = [
        (np.concatenate([r[3][j][0] for r in done]), np.concatenate([r[3][j][1] for r in done]))
        for j in range(len(fixed["members"]))
    ]
    return (
        np.concatenate([r[0] for r in done]),
        np.concatenate([r[1] for r in done]),
        np.concatenate([r[2] for r in done]),
        steps,
        np.concatenate([r[4] for r in done]),
    )
