"""What both funnel engines work from: the plan of a funnel over one event source.

:class:`Plan` holds the connection, the source view, the spec and the step patterns resolved to
the event names found (:func:`resolve`), and writes the SQL fragments both engines share
(:mod:`~funnelkit.funnel.engine_sql`, :mod:`~funnelkit.funnel.engine_fast`).
:func:`~funnelkit.funnel.engine.funnel_paths` makes the plan and hands it to an engine.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import duckdb

from ..core.patterns import is_pattern, match_names
from ..data.validate import lit, q
from .spec import FunnelError, FunnelSpec

__all__ = ["REQUIRED", "Plan", "is_literal", "resolve", "ts_lit"]

#: The event columns every funnel needs.
REQUIRED = ("user_id", "timestamp", "event")


@dataclass
class Plan:
    """Everything both engines need: the source view and the steps resolved to event names."""

    con: duckdb.DuckDBPyConnection | None  # None: a remote engine's plan (SQL only)
    source: str  # a view/table name in ``con`` (or in the remote engine)
    spec: FunnelSpec
    by: tuple[str, ...]
    period: tuple[datetime, datetime] | None
    step_names: list[list[str]]  # per step, the event names in the data it matches
    exclusion_names: list[list[str]]  # per exclusion, the names it matches
    ranks: dict[str, int]  # event name -> first step it matches (step events only)

    @property
    def k(self) -> int:
        return self.spec.k

    @property
    def window_micros(self) -> int:
        return self.spec.conversion_window // timedelta(microseconds=1)

    def interval(self) -> str:
        """The window as an interval literal every engine reads: whole seconds, else microseconds.

        A fractional ``'600.5' SECOND`` is DuckDB's; ClickHouse, Spark and BigQuery all take
        an integer count of one unit.

        Examples
        --------
        >>> spec = FunnelSpec(("a", "b"), conversion_window=timedelta(days=7))
        >>> Plan(None, "events", spec, (), None, [], [], {}).interval()  # type: ignore[arg-type]
        'INTERVAL 604800 SECOND'
        """
        micros = self.window_micros
        if micros % 10**6 == 0:
            return f"INTERVAL {micros // 10**6} SECOND"
        return f"INTERVAL {micros} MICROSECOND"

    def unit_expr(self) -> str:
        if self.spec.unit == "session":
            return "CAST(user_id AS VARCHAR) || '|' || CAST(session_id AS VARCHAR)"
        return "CAST(user_id AS VARCHAR)"

    def not_null(self) -> str:
        cols = [*REQUIRED, *(["session_id"] if self.spec.unit == "session" else [])]
        return " AND ".join(f"{q(c)} IS NOT NULL" for c in cols)

    def start_filter(self, ts: str) -> str:
        """Predicate on a step-1 event's time: inside the period (TRUE without one)."""
        if self.period is None:
            return "TRUE"
        return f"{ts} >= {ts_lit(self.period[0])} AND {ts} < {ts_lit(self.period[1])}"

    def lower_bound(self, ts: str) -> str:
        """Rows before the period start can never matter (every rule looks forward from step 1)."""
        return "TRUE" if self.period is None else f"{ts} >= {ts_lit(self.period[0])}"

    def in_list(self, names: Sequence[str], col: str = "event") -> str:
        if not names:
            return "FALSE"
        return f"{col} IN ({', '.join(lit(n) for n in names)})"

    def rank_expr(self, col: str = "event") -> str:
        """The tie-break rank of docs/funnel.md: first step matched, non-step events last."""
        whens = " ".join(
            f"WHEN {self.in_list(names, col)} THEN {i + 1}"
            for i, names in enumerate(self.step_names)
        )
        return f"CASE {whens} ELSE {self.k + 1} END"

    def relevant_names(self) -> list[str]:
        names = {n for names in self.step_names for n in names}
        names |= {n for names in self.exclusion_names for n in names}
        return sorted(names)

    def overlap_subsets(self) -> list[tuple[int, ...]]:
        """Sets of steps (2..k) whose distinct-row condition is not implied by smaller ones.

        For ``order="any"``: steps are linked when one event name matches both; only connected
        sets need their own check (Hall's condition splits over disconnected parts).
        """
        steps = range(2, self.k + 1)
        sets = {s: set(self.step_names[s - 1]) for s in steps}
        linked = {(a, b) for a in steps for b in steps if a != b and sets[a] & sets[b]}
        found = []
        for size in range(1, self.k):
            for subset in itertools.combinations(steps, size):
                if size == 1 or _connected(subset, linked):
                    found.append(subset)
        return found


def _connected(subset: tuple[int, ...], linked: set[tuple[int, int]]) -> bool:
    seen, todo = {subset[0]}, [subset[0]]
    while todo:
        a = todo.pop()
        for b in subset:
            if b not in seen and (a, b) in linked:
                seen.add(b)
                todo.append(b)
    return len(seen) == len(subset)


def ts_lit(value: datetime) -> str:
    """A DuckDB timestamp literal, to the microsecond."""
    return f"TIMESTAMP '{value:%Y-%m-%d %H:%M:%S.%f}'"


def is_literal(pattern: str) -> bool:
    """Whether a step pattern matches only itself (see :mod:`funnelkit.core.patterns`)."""
    return not is_pattern(pattern)


def _top_names(plan: Plan, stats: list[tuple[str, int, int]]) -> list[str]:
    """The 20 most frequent event names: from the DuckDB source, or (remote) from ``stats``."""
    if plan.con is None:  # a remote engine's plan: its stats hold every name with its rows
        return [r[0] for r in sorted(stats, key=lambda r: (-r[1], r[0]))[:20]]
    top = plan.con.sql(
        f"SELECT CAST(event AS VARCHAR) AS e, count(*) AS n FROM {plan.source} "
        "WHERE event IS NOT NULL GROUP BY 1 ORDER BY n DESC, e LIMIT 20"
    ).fetchall()
    return [r[0] for r in top]


def _span(plan: Plan) -> str:
    """'; the events run from … to …' where the source can be asked (DuckDB)."""
    if plan.con is None:
        return ""
    lo, hi = plan.con.sql(
        f"SELECT min(CAST(timestamp AS TIMESTAMP)), max(CAST(timestamp AS TIMESTAMP)) "
        f"FROM {plan.source}"
    ).fetchall()[0]
    return f"; the events run from {lo} to {hi}"


def resolve(plan: Plan, stats: list[tuple[str, int, int]]) -> None:
    """Resolve step and exclusion patterns to the event names found.

    ``stats`` rows are (name, rows, rows in the period). Raises for a step matching no event
    or a period without step-1 events.
    """
    spec, period = plan.spec, plan.period
    names = sorted({r[0] for r in stats})
    step_names = [match_names(names, p) for p in spec.steps]
    unknown = [p for p, found in zip(spec.steps, step_names, strict=True) if not found]
    if unknown:
        raise FunnelError(
            f"The step(s) {unknown} match no event in the data; the most frequent event names "
            f"are {_top_names(plan, stats)}. Fix the step names (glob patterns such as 'view_*' "
            "work too)."
        )
    plan.step_names = step_names
    plan.exclusion_names = [match_names(names, p) for p, _, _ in spec.exclusions]
    if period is not None:
        firsts = set(step_names[0])
        if not any(r[2] for r in stats if r[0] in firsts):
            raise FunnelError(
                f"No step-1 event ({spec.steps[0]!r}) falls in the period {period[0]} – "
                f"{period[1]} (end exclusive){_span(plan)}. Choose a period inside the data or "
                "export the right dates."
            )
    plan.ranks = {}
    for i, found in enumerate(step_names):
        for n in found:
            plan.ranks.setdefault(n, i + 1)
