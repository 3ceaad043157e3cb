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
finds each unit's depth and chosen attempt in one vectorised pass per step (:mod:`.sweep`, in
parallel threads over pieces cut between units; no Python loop over units or events); DuckDB
then joins the chosen starts back for the unit id and breakdown values. The result goes back to
DuckDB as a dict of numpy arrays (no pyarrow); numpy itself is imported while DuckDB scans.

``strict`` and ``any`` are delegated to the portable engine (see :func:`supports`).
"""

from __future__ import annotations

import importlib
import sys
import threading
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

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
    # the name's code is its position in the list (one lookup, cheaper than a CASE per name)
    ordered = ", ".join(lit(n) for n in sorted(codes, key=codes.__getitem__))
    key = (
        f"(epoch_us({ts}) - {_BASE}) * {m} + list_position([{ordered}], CAST(event AS VARCHAR)) - 1"
    )
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
    loader = None
    if sweep and "numpy" not in sys.modules:
        # numpy loads while DuckDB scans (DuckDB releases the GIL): its import is off the clock
        loader = threading.Thread(target=importlib.import_module, args=(f"{__package__}.sweep",))
        loader.start()
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {events} AS SELECT {hashed}, {key} AS key, "
        f"CASE WHEN {first} THEN {unit} END AS u{bys} FROM {plan.source} "
        f"{where} AND {plan.in_list(list(codes))}"
    )
    if loader is not None:
        loader.join()
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


def _sweep(
    plan: Plan, name: str, events: str, codes: dict[str, int], m: int, names: dict[int, str]
) -> None:
    """The ``first_step`` plan without exclusions: one sort, a pass per step, one join back.

    The keyed step events are fetched once, sorted by (unit hash, key), into numpy arrays
    (:mod:`.sweep` finds each unit's depth and chosen attempt); the chosen starts are joined back
    to their step-1 rows for the unit id and breakdown values. Rows of a unit with the same key
    are one event; when the chosen start has several rows, each breakdown column takes its
    smallest non-empty value among them (docs/funnel.md).
    """
    import numpy as np

    from . import sweep
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
    threads = int(con.sql("SELECT current_setting('threads')").fetchall()[0][0])
    g1, g2, depth, steps, dup = sweep.choose_in_parts(
        g1,
        g2,
        key_,
        code,
        threads=threads,
        m=m,
        members=members,
        window=plan.window_micros,
        period=period,
        first_only=plan.spec.entry == "first",
    )
    # a dict of numpy arrays is scanned in place by DuckDB (no pyarrow, no pandas); the step
    # times are made here (NaT reads as NULL), the start key stays for the join
    res: dict[str, np.ndarray] = {"g1": g1, "g2": g2, "depth": depth, "dup": dup}
    for j, (col, have) in enumerate(steps, 1):
        if j == 1:
            res["k1"] = col
        at = (col // m + _BASE).astype("datetime64[us]")
        at[~have] = np.datetime64("NaT")
        res[f"step_{j}_at"] = at
    view = f"{name}_res"
    con.register(view, res)
    try:
        times = ", ".join(f"r.step_{j}_at" for j in range(1, k + 1))
        anys = ", ".join(f"any_value(r.step_{j}_at)" for j in range(1, k + 1))
        outs = "".join(f", e.b{i} AS {q(c)}" for i, c in enumerate(plan.by))
        mins = "".join(f", min(e.b{i})" for i in range(len(plan.by)))
        join = (
            f"FROM {view} r JOIN {events} e ON e.g1 = r.g1 AND e.g2 = r.g2 AND e.key = r.k1 "
            "WHERE e.u IS NOT NULL"
        )
        sql = f"SELECT CAST(e.u AS VARCHAR) AS unit_id, r.depth, {times}{outs} {join} AND NOT r.dup"
        if dup.any():  # a start with duplicate rows: each breakdown column takes its minimum
            sql += (
                f" UNION ALL SELECT CAST(any_value(e.u) AS VARCHAR), any_value(r.depth), "
                f"{anys}{mins} {join} AND r.dup GROUP BY r.g1, r.g2"
            )
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}")
    finally:
        con.unregister(view)
