"""The portable funnel: standard SQL only (window functions, joins, GROUP BY).

This is the formulation a distributed SQL engine runs; DuckDB runs it too and the tests compare
it with the reference. Steps are matched one join at a time (rule 2), so the query has k-1
stages; positions come from ``row_number()`` over each unit's events in the total order.

It keeps to what every engine reads the same way (DuckDB, ClickHouse, Spark, BigQuery): join
conditions are equalities (the inequalities are a WHERE of an inner join, or a CASE over a
LEFT JOIN matching at most one row), an attempt is voided by an anti-join (``LEFT JOIN … WHERE
… IS NULL``, no correlated subquery), a joined stage names its columns (no ``a.*`` over a join:
ClickHouse would name them ``a.unit_id``) and the window is an integer interval.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..data.validate import q

if TYPE_CHECKING:
    from .plan import Plan

__all__ = ["build", "events_cte", "finish"]


def events_cte(plan: Plan, *, all_events: bool) -> str:
    """CTEs ``dedup`` and ``ev``: one row per (unit, timestamp, event) with its position."""
    ts = "CAST(timestamp AS TIMESTAMP)"
    keep = "TRUE" if all_events else plan.in_list(plan.relevant_names())
    bys = "".join(f", {q(c)} AS b{i}" for i, c in enumerate(plan.by))
    mins = "".join(f", min(b{i}) AS b{i}" for i in range(len(plan.by)))
    flags = "".join(
        f", {plan.in_list(names)} AS m{i + 1}" for i, names in enumerate(plan.step_names)
    )
    flags += "".join(
        f", {plan.in_list(names)} AS x{i}" for i, names in enumerate(plan.exclusion_names)
    )
    return f"""base AS (
  SELECT {plan.unit_expr()} AS unit_id, {ts} AS ts, CAST(event AS VARCHAR) AS event{bys}
  FROM {plan.source}
  WHERE {plan.not_null()} AND {plan.lower_bound(ts)} AND {keep}
),
dedup AS (SELECT unit_id, ts, event{mins} FROM base GROUP BY unit_id, ts, event),
ev AS (
  SELECT *{flags},
    row_number() OVER (PARTITION BY unit_id ORDER BY ts, {plan.rank_expr()}, event) AS pos
  FROM dedup
)"""


def _attempt_cols(plan: Plan, upto: int, alias: str = "a") -> str:
    """The columns of stage ``a{upto}`` (step 1's position, time, breakdown; then p/t per step)."""
    names = ["unit_id", "p1", "t1", *(f"b{i}" for i in range(len(plan.by)))]
    names += [f"{c}{j}" for j in range(2, upto + 1) for c in "pt"]
    return ", ".join(f"{alias}.{n}" for n in names)


def _starts(plan: Plan) -> str:
    cols = "unit_id, pos AS p1, ts AS t1" + "".join(f", b{i}" for i in range(len(plan.by)))
    where = f"m1 AND {plan.start_filter('ts')}"
    if plan.spec.entry == "first":
        return f"""a1 AS (
  SELECT {cols} FROM (
    SELECT *, row_number() OVER (PARTITION BY unit_id ORDER BY pos) AS rn FROM ev WHERE {where}
  ) s WHERE rn = 1
)"""
    return f"a1 AS (SELECT {cols} FROM ev WHERE {where})"


def _ordered_stages(plan: Plan) -> list[str]:
    window = plan.interval()
    stages = []
    for k in range(2, plan.k + 1):
        anchor = "a.t1" if plan.spec.window_from == "first_step" else f"a.t{k - 1}"
        cols = _attempt_cols(plan, k - 1)
        step = f"(SELECT unit_id, pos, ts FROM ev WHERE m{k})"
        if plan.spec.order == "strict":  # the next row, if it is step k inside the window
            inside = f"e.ts <= {anchor} + {window}"
            stages.append(
                f"""a{k} AS (
  SELECT {cols}, CASE WHEN {inside} THEN e.pos END AS p{k},
    CASE WHEN {inside} THEN e.ts END AS t{k}
  FROM a{k - 1} a
  LEFT JOIN {step} e ON e.unit_id = a.unit_id AND e.pos = a.p{k - 1} + 1
)"""
            )
            continue
        # the earliest step-k row after the previous step, inside the window: its position and
        # its time are both minima (positions follow time), so one LEFT JOIN, equi-only, per
        # step; and each stage reads the one before once (an engine that inlines a CTE at every
        # reference, as ClickHouse, Spark and BigQuery do, computes each stage once)
        inside = f"e.pos > a.p{k - 1} AND e.ts <= {anchor} + {window}"
        stages.append(
            f"""a{k} AS (
  SELECT {cols}, min(CASE WHEN {inside} THEN e.pos END) AS p{k},
    min(CASE WHEN {inside} THEN e.ts END) AS t{k}
  FROM a{k - 1} a
  LEFT JOIN {step} e ON e.unit_id = a.unit_id
  GROUP BY {cols}
)"""
        )
    return stages


def _any_stages(plan: Plan) -> list[str]:
    """Rule 2 for ``any``: when each attempt reaches each step.

    Per attempt, the earliest time by which each needed set S of steps has |S| distinct rows
    in the window (for single steps: the step's earliest row); step k is reached at the
    latest of these over the sets within steps 2..k.
    """
    k, window = plan.k, plan.interval()
    subsets = plan.overlap_subsets()
    wide = [s for s in subsets if len(s) > 1]

    def match(subset: tuple[int, ...]) -> str:
        return "(" + " OR ".join(f"m{j}" for j in subset) + ")"

    any_step = " OR ".join(f"m{j}" for j in range(2, k + 1))
    flags = "".join(f", e.m{j}" for j in range(2, k + 1))
    cands = f"""cand AS (
  SELECT a.unit_id, a.p1, e.ts, e.pos{flags} FROM a1 a
  JOIN (SELECT * FROM ev WHERE {any_step}) e ON e.unit_id = a.unit_id
  WHERE e.pos <> a.p1 AND e.ts >= a.t1 AND e.ts <= a.t1 + {window}
)"""
    counts = "".join(
        f",\n    sum(CASE WHEN {match(s)} THEN 1 ELSE 0 END) OVER (PARTITION BY unit_id, p1 "
        f"ORDER BY ts, pos ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS c{i}"
        for i, s in enumerate(wide)
    )
    source = f"(SELECT *{counts} FROM cand)" if wide else "cand"
    aggs = [f"min(CASE WHEN m{s[0]} THEN ts END) AS s{s[0]}" for s in subsets if len(s) == 1]
    aggs += [
        f"min(CASE WHEN {match(s)} AND c{i} = {len(s)} THEN ts END) AS w{i}"
        for i, s in enumerate(wide)
    ]
    stages = [
        cands,
        f"agg AS (SELECT unit_id, p1, {', '.join(aggs)} FROM {source} c GROUP BY unit_id, p1)",
        f"g1 AS (SELECT {_attempt_cols(plan, 1)}, "
        + ", ".join(f"g.s{j}" for j in range(2, k + 1))
        + (", " + ", ".join(f"g.w{i}" for i in range(len(wide))) if wide else "")
        + " FROM a1 a LEFT JOIN agg g ON g.unit_id = a.unit_id AND g.p1 = a.p1)",
    ]
    prev = "g1"
    for step in range(2, k + 1):
        needs = [f"s{step}"] + [f"w{i}" for i, s in enumerate(wide) if max(s) == step]
        if step > 2:
            needs.append(f"t{step - 1}")
        nulls = " OR ".join(f"{n} IS NULL" for n in needs)
        value = needs[0] if len(needs) == 1 else f"GREATEST({', '.join(needs)})"
        stages.append(
            f"a{step} AS (SELECT *, CASE WHEN {nulls} THEN NULL ELSE {value} END AS t{step} "
            f"FROM {prev})"
        )
        prev = f"a{step}"
    return stages


def finish(plan: Plan, last: str, *, positions: bool) -> str:
    """Depth, rule 4 (exclusions) and rule 5 (one row per unit) over the attempts in ``last``."""
    k, window = plan.k, plan.interval()
    depth = "1 + " + " + ".join(
        f"(CASE WHEN t{i} IS NULL THEN 0 ELSE 1 END)" for i in range(2, k + 1)
    )
    reach = "COALESCE(" + ", ".join(f"t{i}" for i in range(k, 0, -1)) + ")"
    parts = [f"fin AS (SELECT *, {depth} AS depth, {reach} AS t_reach FROM {last})"]
    voids = []
    for n, (_, i, j) in enumerate(plan.spec.exclusions):
        if plan.spec.window_from == "first_step":
            deadline = f"f.t1 + {window}"
        else:
            deadline = f"f.t_reach + {window}"
        if positions:
            after, before = f"x.pos > f.p{i}", f"x.pos < f.p{j}"
        else:
            after, before = f"x.ts > f.t{i}", f"x.ts < f.t{j}"
        voids.append(
            f"SELECT f.unit_id, f.p1 FROM fin f "
            f"JOIN (SELECT unit_id, pos, ts FROM ev WHERE x{n}) x ON x.unit_id = f.unit_id "
            f"WHERE {after} AND ((f.t{j} IS NOT NULL AND {before}) "
            f"OR (f.t{j} IS NULL AND x.ts <= {deadline}))"
        )
    kept = "fin"
    if voids:  # an anti-join: the attempts no exclusion voids
        times = ", ".join(f"f.t{i}" for i in range(1, k + 1))
        bys = "".join(f", f.b{i}" for i in range(len(plan.by)))
        parts.append("void AS (" + "\nUNION ALL\n".join(voids) + ")")
        parts.append(
            f"""kept AS (
  SELECT f.unit_id, f.p1, {times}{bys}, f.depth, f.t_reach FROM fin f
  LEFT JOIN (SELECT DISTINCT unit_id, p1 FROM void) v ON v.unit_id = f.unit_id AND v.p1 = f.p1
  WHERE v.p1 IS NULL
)"""
        )
        kept = "kept"
    parts.append(
        f"""ranked AS (
  SELECT *, row_number() OVER (
    PARTITION BY unit_id ORDER BY depth DESC, t_reach, t1, p1) AS rn
  FROM {kept}
)"""
    )
    cols = ", ".join(f"t{i} AS step_{i}_at" for i in range(1, k + 1))
    bys = "".join(f", b{i} AS {q(c)}" for i, c in enumerate(plan.by))
    body = ",\n".join(parts)
    return (
        f"{body}\nSELECT CAST(unit_id AS VARCHAR) AS unit_id, CAST(depth AS INTEGER) AS depth, "
        f"{cols}{bys} FROM ranked WHERE rn = 1"
    )


def build(plan: Plan) -> str:
    """The whole portable query (one statement)."""
    order = plan.spec.order
    ctes = [events_cte(plan, all_events=order == "strict"), _starts(plan)]
    if order == "any":
        ctes += _any_stages(plan)
    else:
        ctes += _ordered_stages(plan)
    head = "WITH " + ",\n".join(ctes) + ",\n"
    return head + finish(plan, f"a{plan.k}", positions=order != "any")
