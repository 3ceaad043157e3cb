"""The DuckDB fast path: one filtered scan, integer keys, then a numpy sweep or ASOF joins.

1. The source is scanned once, keeping only step and exclusion events (projection and
   ``event IN (…)`` pushdown) as (unit, epoch microseconds, name code): a few columns of a few
   rows. Name codes are sorted by (first step matched, name), so ``key = t * M + code`` orders a
   unit's events exactly as docs/funnel.md's total order does.
2. Rule 2 (ordered) is an ASOF join per step: the first step-k key after the step-(k-1) key.
3. Dominated attempts are pruned after step 2: attempts of a unit whose step 2 is the same event
   share the rest of the greedy path, so only the latest start (``first_step``: the widest
   window) walks the chain; the others reach a prefix of it, and rule 5's choice among them
   (the earliest start that still reaches the deepest step) is read off the shared path.
   Exclusions need each attempt's own deadline, so with exclusions every attempt walks.

Steps 2-3 run only with exclusions or ``window_from="previous_step"``. Otherwise (the default
funnel) a sweep replaces them: the keyed rows are fetched once sorted by (unit, key) and numpy
finds each unit's depth and chosen attempt in one vectorised pass per step (see :func:`_choose`;
no Python loop over units or events); DuckDB then joins the chosen starts back for the unit id
and breakdown values. The result goes back to DuckDB as a dict of numpy arrays (no pyarrow).

``strict`` and ``any`` are delegated to the portable engine (see :func:`supports`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np

from ..validate import lit, q
from . import engine_sql

if TYPE_CHECKING:
    from .engine import Plan
    from .spec import FunnelSpec

__all__ = ["run", "supports"]

_MAX_KEY = 2**62


def supports(spec: FunnelSpec) -> bool:
    """Whether the fast path has its own plan for this funnel (else the portable one runs)."""
    return spec.order == "ordered"


def run(plan: Plan, name: str) -> None:
    """Create temp table ``name`` with the funnel paths (see engine.funnel_paths)."""
    codes, m = _codes(plan)
    if not supports(plan.spec) or m * _SPAN >= _MAX_KEY:
        plan.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {engine_sql.build(plan)}")
        return
    from .engine import resolve

    con = plan.con
    events = f"{name}_ev"
    ts = "CAST(timestamp AS TIMESTAMP)"
    unit = plan.unit_expr()
    first = plan.in_list(plan.step_names[0])
    case = " ".join(f"WHEN {lit(n)} THEN {c}" for n, c in codes.items())
    key = f"(epoch_us({ts}) - {_BASE}) * {m} + CASE CAST(event AS VARCHAR) {case} END"
    where = f"WHERE {plan.not_null()} AND {plan.lower_bound(ts)}"
    names = {c: n for n, c in codes.items()}
    sweep = _sweeps(plan.spec)
    hashed = (
        f"hash({unit}) AS g1, hash({unit} || chr(1)) AS g2"
        if sweep
        else f"(hash({unit})::UHUGEINT << 64) + hash({unit} || chr(1)) AS h"
    )
    # breakdowns and the readable unit id are only needed on step-1 rows
    bys = "".join(f", CASE WHEN {first} THEN {q(c)} END AS b{i}" for i, c in enumerate(plan.by))
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {events} AS SELECT {hashed}, {key} AS key, "
        f"CASE WHEN {first} THEN {unit} END AS u{bys} FROM {plan.source} "
        f"{where} AND {plan.in_list(list(codes))}"
    )
    try:
        if sweep:
            _sweep(plan, name, events, codes, m, names)
            return
        stats = con.sql(
            f"SELECT key % {m}, count(*), count(*) FILTER (WHERE {_period_pred(plan, m)}) "
            f"FROM {events} GROUP BY 1"
        ).fetchall()
        resolve(plan, [(names[c], n, p) for c, n, p in stats])
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {_query(plan, events, codes, m)}")
    finally:
        con.execute(f"DROP TABLE IF EXISTS {events}")


_BASE = 2208988800 * 10**6 * -1  # epoch_us of 1900-01-01: keys stay positive
_SPAN = 300 * 365 * 86400 * 10**6  # microseconds from 1900 to 2200


def _period_pred(plan: Plan, m: int) -> str:
    if plan.period is None:
        return "TRUE"
    start, end = (f"(epoch_us({_lit_ts(p)}) - {_BASE}) * {m}" for p in plan.period)
    return f"key >= {start} AND key < {end}"


def _lit_ts(value: object) -> str:
    return f"TIMESTAMP '{value:%Y-%m-%d %H:%M:%S.%f}'"


def _codes(plan: Plan) -> tuple[dict[str, int], int]:
    """Name codes in the tie-break order: first step matched, then name."""
    ranks: dict[str, int] = {}
    for i, found in enumerate(plan.step_names):
        for n in found:
            ranks.setdefault(n, i + 1)
    names = sorted(set(plan.relevant_names()), key=lambda n: (ranks.get(n, plan.k + 1), n))
    return {n: i for i, n in enumerate(names)}, max(len(names), 1)


def _query(plan: Plan, events: str, codes: dict[str, int], m: int) -> str:
    spec, k = plan.spec, plan.k
    window = plan.window_micros * m  # compared on keys: (t2 - t1) * m
    nb = len(plan.by)
    bcols = "".join(f", b{i}" for i in range(nb))

    def member(names: list[str]) -> str:
        found = sorted(codes[n] for n in names if n in codes)
        return f"key % {m} IN ({', '.join(map(str, found))})" if found else "FALSE"

    ctes = []
    for j, names in enumerate(plan.step_names, start=1):
        if j > 1:
            ctes.append(f"s{j} AS (SELECT h, key FROM {events} WHERE {member(names)})")
    for n, names in enumerate(plan.exclusion_names):
        ctes.append(f"x{n} AS (SELECT h, key FROM {events} WHERE {member(names)})")
    mins = "".join(f", min(b{i}) AS b{i}" for i in range(nb))
    starts = (
        f"SELECT h, key AS k1, any_value(u) AS u{mins} FROM {events} "
        f"WHERE {member(plan.step_names[0])} AND {_period_pred(plan, m)} GROUP BY h, key"
    )
    if spec.entry == "first":
        starts = (
            f"SELECT * FROM ({starts}) QUALIFY row_number() OVER (PARTITION BY h ORDER BY k1) = 1"
        )
    ctes.append(f"a1 AS ({starts})")

    def step(src: str, j: int) -> str:
        anchor = "a.k1" if spec.window_from == "first_step" else f"a.k{j - 1}"
        # window on times: (key - key % m) compares times; keys differ by code < m
        ok = f"(s.key // {m} - {anchor} // {m}) * {m} <= {window}"
        return (
            f"SELECT a.*, CASE WHEN {ok} THEN s.key END AS k{j} FROM {src} a "
            f"ASOF LEFT JOIN s{j} s ON s.h = a.h AND s.key > a.k{j - 1}"
        )

    ctes.append(f"a2 AS ({step('a1', 2)})")
    reach = "COALESCE(" + ", ".join(f"k{j}" for j in range(k, 0, -1)) + ")"
    depth = "1 + " + " + ".join(f"(k{j} IS NOT NULL)::INTEGER" for j in range(2, k + 1))
    later = ", ".join(f"k{j}" for j in range(2, k + 1))
    if spec.exclusions:
        prev = "a2"
        for j in range(3, k + 1):
            ctes.append(f"a{j} AS ({step(prev, j)})")
            prev = f"a{j}"
        ctes.append(f"fin AS (SELECT *, {depth} AS depth, {reach} AS k_reach FROM {prev})")
        prev, voids = "fin", []
        for n, (_, i, j) in enumerate(spec.exclusions):
            deadline = "k1" if spec.window_from == "first_step" else "k_reach"
            ctes.append(
                f"v{n} AS (SELECT f.*, x.key AS xk{n} FROM {prev} f "
                f"ASOF LEFT JOIN x{n} x ON x.h = f.h AND x.key > f.k{i})"
            )
            prev = f"v{n}"
            voids.append(
                f"(k{i} IS NOT NULL AND xk{n} IS NOT NULL AND CASE WHEN k{j} IS NOT NULL "
                f"THEN xk{n} < k{j} ELSE (xk{n} // {m} - {deadline} // {m}) * {m} <= {window} END)"
            )
        ctes.append(
            f"cand AS (SELECT h, u, k1, {later}, depth{bcols} FROM {prev} "
            f"WHERE NOT ({' OR '.join(voids)}))"
        )
    else:
        # prune: one walker per (unit, step-2 event), the latest start (the widest window)
        ctes.append(
            "rep AS (SELECT h, k2, max(k1) AS k1 FROM a2 WHERE k2 IS NOT NULL GROUP BY h, k2)"
        )
        prev = "rep"
        for j in range(3, k + 1):
            ctes.append(f"r{j} AS ({step(prev, j)})")
            prev = f"r{j}"
        ctes.append(f"path AS (SELECT *, {depth} AS depth, {reach} AS k_reach FROM {prev})")
        # a member reaches the group's depth when its own window covers the path's last step
        reach_ok = (
            f"AND (p.k_reach // {m} - a.k1 // {m}) * {m} <= {window}"
            if spec.window_from == "first_step"
            else ""
        )
        path = ", ".join(f"p.k{j}" for j in range(2, k + 1))
        asel = "".join(f", a.b{i}" for i in range(nb))
        nulls = ", ".join("NULL" for _ in range(2, k + 1))
        ctes.append(
            f"cand AS (SELECT a.h, a.u, a.k1, {path}, p.depth{asel} FROM a2 a "
            f"JOIN path p ON p.h = a.h AND p.k2 = a.k2 {reach_ok} "
            f"UNION ALL SELECT h, u, k1, {nulls}, 1{bcols} FROM a2 WHERE k2 IS NULL)"
        )
    cols = ", ".join(
        f"make_timestamp(k{j} // {m} + {_BASE}) AS step_{j}_at" for j in range(1, k + 1)
    )
    outs = "".join(f", b{i} AS {q(c)}" for i, c in enumerate(plan.by))
    return (
        "WITH "
        + ",\n".join(ctes)
        + f"\nSELECT CAST(u AS VARCHAR) AS unit_id, CAST(depth AS INTEGER) AS depth, {cols}{outs} "
        "FROM cand QUALIFY row_number() OVER (PARTITION BY h ORDER BY depth DESC, k1) = 1"
    )


def _epoch_us(value: datetime) -> int:
    return (value - datetime(1970, 1, 1)) // timedelta(microseconds=1)


def _sweeps(spec: FunnelSpec) -> bool:
    """Whether the sweep plan applies: ``first_step`` window and no exclusions."""
    return spec.window_from == "first_step" and not spec.exclusions


def _firsts(uid: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(units, indices) of the first True of ``mask`` per unit; ``uid`` is sorted."""
    at = np.flatnonzero(mask)
    units = uid[at]
    keep = np.ones(len(at), dtype=bool)
    keep[1:] = units[1:] != units[:-1]
    return units[keep], at[keep]


def _sweep(
    plan: Plan, name: str, events: str, codes: dict[str, int], m: int, names: dict[int, str]
) -> None:
    """The ``first_step`` plan without exclusions: one sort, a pass per step, one join back.

    The keyed step events are fetched once, sorted by (unit hash, key), into numpy arrays; the
    chosen starts are joined back to their step-1 rows for the unit id and breakdown values.
    Rows of a unit with the same key are one event; when the chosen start has several rows,
    each breakdown column takes its smallest non-empty value among them (docs/funnel.md).
    """
    from .engine import resolve

    con, k = plan.con, plan.k
    arr = con.sql(f"SELECT g1, g2, key FROM {events} ORDER BY g1, g2, key").fetchnumpy()
    g1, g2, key_ = (np.asarray(arr[c]) for c in ("g1", "g2", "key"))
    del arr
    period = None
    if plan.period is not None:
        period = tuple((_epoch_us(p) - _BASE) * m for p in plan.period)
    # the per-name counts resolve() checks, read off the fetched keys (no second scan)
    code = key_ % m
    rows = np.bincount(code, minlength=m)
    inside = rows
    if period is not None:
        inside = np.bincount(code[(key_ >= period[0]) & (key_ < period[1])], minlength=m)
    resolve(plan, [(names[c], int(rows[c]), int(inside[c])) for c in np.flatnonzero(rows)])
    members = [[codes[x] for x in found if x in codes] for found in plan.step_names]
    g1, g2, depth, steps, dup = _choose(
        g1,
        g2,
        key_,
        m,
        members,
        plan.window_micros,
        period,
        first_only=plan.spec.entry == "first",
        code=code,
    )
    # a dict of numpy arrays is scanned in place by DuckDB (no pyarrow, no pandas); a step not
    # reached is -1 (keys are >= 0)
    res = {"g1": g1, "g2": g2, "depth": depth, "dup": dup}
    for j, (col, have) in enumerate(steps, 1):
        col[~have] = -1
        res[f"k{j}"] = col
    view = f"{name}_res"
    con.register(view, res)
    try:
        # the chosen start's row; a start with duplicate rows takes each column's minimum
        def stamp(col: str) -> str:
            return f"CASE WHEN {col} >= 0 THEN make_timestamp({col} // {m} + {_BASE}) END"

        cols = ", ".join(f"{stamp(f'k{j}')} AS step_{j}_at" for j in range(1, k + 1))
        anys = ", ".join(stamp(f"any_value(k{j})") for j in range(1, k + 1))
        ebys = "".join(f", e.b{i}" for i in range(len(plan.by)))
        outs = "".join(f", b{i} AS {q(c)}" for i, c in enumerate(plan.by))
        mins = "".join(f", min(b{i})" for i in range(len(plan.by)))
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {name} AS WITH j AS MATERIALIZED ("
            f"SELECT r.*, e.u{ebys} FROM {view} r JOIN {events} e "
            "ON e.g1 = r.g1 AND e.g2 = r.g2 AND e.key = r.k1 WHERE e.u IS NOT NULL) "
            f"SELECT CAST(u AS VARCHAR) AS unit_id, CAST(depth AS INTEGER) AS depth, "
            f"{cols}{outs} FROM j WHERE NOT dup "
            f"UNION ALL SELECT CAST(any_value(u) AS VARCHAR), CAST(any_value(depth) AS INTEGER), "
            f"{anys}{mins} FROM j WHERE dup GROUP BY g1, g2"
        )
    finally:
        con.unregister(view)


def _choose(
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
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[tuple[np.ndarray, np.ndarray]], np.ndarray]:
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
    n = len(key)
    new = np.ones(n, dtype=bool)
    np.not_equal(g1[1:], g1[:-1], out=new[1:])
    new[1:] |= g2[1:] != g2[:-1]
    # same[i]: row i repeats row i-1's event (same unit and key); it is skipped
    same = np.zeros(n + 1, dtype=bool)
    np.equal(key[1:], key[:-1], out=same[1:n])
    same[1:n] &= ~new[1:]
    repeats = bool(same.any())
    uid = np.cumsum(new, dtype=np.int32 if n < 2**31 else np.int64)
    uid -= 1
    heads = np.flatnonzero(new)
    nu = len(heads)
    if code is None:
        code = key % m

    def rows(found: list[int]) -> np.ndarray:
        if len(found) == 1:
            mask = code == found[0]
        else:
            lut = np.zeros(m, dtype=bool)
            lut[found] = True
            mask = lut[code]
        if repeats:
            mask &= ~same[:n]
        return np.flatnonzero(mask)

    pos = rows(members[0])  # starts: step-1 events in the period
    if period is not None:
        pos = pos[(key[pos] >= period[0]) & (key[pos] < period[1])]
    if first_only:
        pos = pos[_firsts(uid[pos], np.ones(len(pos), dtype=bool))[1]]
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
