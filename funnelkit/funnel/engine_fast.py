"""The DuckDB fast path: one filtered scan into integer keys, one sort, then numpy.

1. The source is scanned once, keeping only step and exclusion events (projection and
   ``event IN (…)`` pushdown) as (two 64-bit hashes of the unit, integer order key), plus the
   unit id and breakdown values on step-1 rows. Name codes are sorted by (first step matched,
   name), so ``key = t * M + code`` orders a unit's events exactly as docs/funnel.md's total
   order does.
2. The keys are fetched once sorted by (unit, key) into numpy arrays, and :mod:`.sweep` finds
   each unit's depth and chosen attempt without a Python loop over units or events, in parallel
   threads over pieces cut between units: :func:`.sweep.choose` for the default funnel (window
   from step 1, no exclusions), :func:`.sweep.walk` (every attempt walked, one binary search per
   step for all attempts at once) for ``window_from="previous_step"`` and exclusions.
3. DuckDB joins the chosen starts back for the unit id and breakdown values; the result goes
   back to DuckDB as a dict of numpy arrays (no pyarrow). numpy itself is imported while DuckDB
   scans.

``strict`` and ``any`` are delegated to the portable engine (see :func:`supports`).
"""

from __future__ import annotations

import importlib
import sys
import threading
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from ..data.validate import lit, q
from . import engine_sql
from .plan import resolve

if TYPE_CHECKING:
    from .plan import Plan
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
    # breakdowns and the readable unit id are only needed on step-1 rows
    bys = "".join(f", CASE WHEN {first} THEN {q(c)} END AS b{i}" for i, c in enumerate(plan.by))
    loader = None
    if "numpy" not in sys.modules:
        # numpy loads while DuckDB scans (DuckDB releases the GIL): its import is off the clock
        loader = threading.Thread(target=importlib.import_module, args=(f"{__package__}.sweep",))
        loader.start()
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {events} AS SELECT hash({unit}) AS g1, "
        f"hash({unit} || chr(1)) AS g2, {key} AS key, CASE WHEN {first} THEN {unit} END AS u{bys} "
        f"FROM {plan.source} {where} AND {plan.in_list(list(codes))}"
    )
    if loader is not None:
        loader.join()
    try:
        _sweep(plan, name, events, codes, m, names)
    finally:
        con.execute(f"DROP TABLE IF EXISTS {events}")


def _read_before(plan: Plan, unread: list[str]) -> list[tuple[str, int, int]]:
    """(name, rows, 0) of step names whose events all precede the scan's lower bound.

    They are in the data (the standard engine, which scans every row, finds them), so a step of
    them is counted, reached by nobody, instead of refused as matching no event.
    """
    if not unread:
        return []
    found = plan.con.sql(
        f"SELECT CAST(event AS VARCHAR), count(*) FROM {plan.source} "
        f"WHERE {plan.not_null()} AND {plan.in_list(unread)} GROUP BY 1"
    ).fetchall()
    return [(name, int(rows), 0) for name, rows in found]


_BASE = 2208988800 * 10**6 * -1  # epoch_us of 1900-01-01: keys stay positive
_SPAN = 300 * 365 * 86400 * 10**6  # microseconds from 1900 to 2200


def _codes(plan: Plan) -> tuple[dict[str, int], int]:
    """Name codes in the tie-break order: first step matched, then name."""
    ranks: dict[str, int] = {}
    for i, found in enumerate(plan.step_names):
        for n in found:
            ranks.setdefault(n, i + 1)
    names = sorted(set(plan.relevant_names()), key=lambda n: (ranks.get(n, plan.k + 1), n))
    return {n: i for i, n in enumerate(names)}, max(len(names), 1)


def _epoch_us(value: datetime) -> int:
    return (value - datetime(1970, 1, 1)) // timedelta(microseconds=1)


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
    stats = [(names[c], int(rows[c]), int(inside[c])) for c in np.flatnonzero(rows)]
    resolve(plan, stats + _read_before(plan, [n for c, n in names.items() if not rows[c]]))
    members = [[codes[x] for x in found if x in codes] for found in plan.step_names]
    threads = int(con.sql("SELECT current_setting('threads')").fetchall()[0][0])
    spec = plan.spec
    options: dict = {}
    if spec.window_from == "previous_step" or spec.exclusions:
        excluded = [[codes[x] for x in found if x in codes] for found in plan.exclusion_names]
        options = {
            "func": sweep.walk,
            "from_previous": spec.window_from == "previous_step",
            "exclusions": tuple(
                (found, i, j) for found, (_, i, j) in zip(excluded, spec.exclusions, strict=True)
            ),
        }
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
        first_only=spec.entry == "first",
        **options,
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
