"""DuckDB's semantics in ClickHouse: the rewrites sqlglot leaves to do, on the statement's tree.

:func:`~funnelkit.core.engines.transpile` applies :func:`for_clickhouse` to a DuckDB statement
before writing it in ClickHouse's dialect, so a query gives ClickHouse the result DuckDB gives.
Each rule is a pure dialect difference, listed in :func:`_node`'s docstring;
:mod:`.clickhouse_sql` then adds the column types and settings of the statement itself.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from .epoch import epoch_seconds
from .sql_rules import column_aliases, named_columns, unit_interval

if TYPE_CHECKING:
    from sqlglot import exp

__all__ = ["for_clickhouse"]

#: DuckDB's interval constructors as ClickHouse's.
_INTERVALS = {"TO_YEARS": "toIntervalYear", "TO_MONTHS": "toIntervalMonth",
              "TO_WEEKS": "toIntervalWeek", "TO_DAYS": "toIntervalDay",
              "TO_HOURS": "toIntervalHour", "TO_MINUTES": "toIntervalMinute",
              "TO_SECONDS": "toIntervalSecond"}  # fmt: skip


def _micros(value: exp.Expression) -> exp.Expression:
    from sqlglot import exp

    return exp.Anonymous(this="toUnixTimestamp64Micro", expressions=[exp.cast(value, "TIMESTAMP")])


def _exact_quantile(value: exp.Expression, level: exp.Expression) -> exp.Expression:
    from sqlglot import exp

    return exp.ParameterizedAgg(this="quantileExactInclusive", expressions=[level], params=[value])


def _signed_count(node: exp.Expression) -> exp.Expression:
    """A count as a signed BIGINT; its arguments are left as they are (the walk stops here)."""
    from sqlglot import exp

    count = (exp.Count, exp.CountIf)
    inner = node.this if isinstance(node, (exp.Filter, exp.Window)) else node
    if isinstance(inner, exp.Filter):  # count(…) FILTER (…) OVER (…)
        inner = inner.this
    if isinstance(inner, count):  # a window's count is converted whole: toInt64(count() OVER …)
        return exp.Anonymous(this="toInt64", expressions=[node.copy()])
    return node


def _series(series: exp.GenerateSeries) -> exp.Expression:
    """``unnest(generate_series(a, b[, step]))`` as ClickHouse's ``arrayJoin`` of the same values.

    Integers give ``range``; a date or timestamp series with an ``INTERVAL n <unit>`` step gives
    ``a`` plus ``i * n`` units for each ``i`` up to ``b`` (both ends included, as DuckDB's).
    """
    import sqlglot

    start, end = (series.args[k].sql(dialect="clickhouse") for k in ("start", "end"))
    stop = "" if series.args.get("is_end_exclusive") else " + 1"
    step = series.args.get("step")
    if step is None or not isinstance(step, sqlglot.exp.Interval):
        by = f", {step.sql(dialect='clickhouse')}" if step is not None else ""
        text = f"arrayJoin(range(toInt64({start}), toInt64({end}){stop}{by}))"
    else:
        n, unit = int(step.this.name), step.unit.name.lower()
        text = (
            f"arrayJoin(arrayMap(i -> {start} + toInterval{unit.capitalize()}(i * {n}), "
            f"range(0, intDiv(toInt64(dateDiff('{unit}', {start}, {end})), {n}){stop})))"
        )
    return sqlglot.parse_one(text, read="clickhouse")


@functools.cache
def _bitwise() -> dict[type, str]:
    """DuckDB's bitwise operators as ClickHouse's functions (it has no ``&`` operator)."""
    from sqlglot import exp

    return {
        exp.BitwiseAnd: "bitAnd",
        exp.BitwiseOr: "bitOr",
        exp.BitwiseXor: "bitXor",
        exp.BitwiseLeftShift: "bitShiftLeft",
        exp.BitwiseRightShift: "bitShiftRight",
    }


def for_clickhouse(tree: exp.Expression) -> exp.Expression:
    """A DuckDB statement as ClickHouse gives the same result: what sqlglot leaves to do.

    Each node is rewritten by :func:`_node` until none changes (a walk does not enter the
    node it just replaced, so a rewrite inside a rewritten one waits for the next walk); then
    each count is made signed.
    """
    for _ in range(8):
        before, tree = tree, tree.transform(_node)
        if tree == before:
            break
    return tree.transform(_signed_count)


def _node(node: exp.Expression) -> exp.Expression:
    """One node of a DuckDB statement as ClickHouse gives the same result.

    - ``count(...)`` is a signed BIGINT (ClickHouse counts in UInt64, and ``a - b`` of two
      counts would wrap around instead of going negative);
    - ``epoch(ts)`` (also of an interval ``a - b``) keeps its fractional seconds and
      ``epoch_us(ts)`` is ``toUnixTimestamp64Micro``;
    - ``unnest(generate_series(…))`` is an ``arrayJoin`` of the same values;
    - ``bool_or``/``bool_and`` are ``max``/``min`` of a Bool; a struct is a tuple; ``n *
      INTERVAL '1' DAY`` is ``toIntervalDay(n)`` (ClickHouse multiplies no interval);
    - ``median(x)`` and ``quantile_cont(x, p)`` are exact with linear interpolation
      (``quantileExactInclusive``; ClickHouse's ``median``/``quantile`` are approximate);
    - ``to_days(n)`` … ``to_years(n)`` are ``toIntervalDay(n)`` …; ``list_position`` is
      ``indexOf`` (0 where DuckDB gives NULL: the kit only asks for elements that are there);
      ``hash`` is ``cityHash64`` (other values: the kit compares hashes within one query);
    - ``timezone(zone, ts)`` (an instant as the wall-clock time in ``zone``) is the instant
      moved by the zone's offset, read in the session's UTC (:func:`_wall_clock`).

    Examples
    --------
    >>> from funnelkit.core.engines import transpile
    >>> print(transpile("SELECT count(*) - 1 AS n, median(x) AS m FROM t", "clickhouse"))
    SELECT toInt64(COUNT(*)) - 1 AS n, quantileExactInclusive(0.5)(x) AS m FROM t
    """
    from sqlglot import exp

    if type(node) in _bitwise():
        return exp.Anonymous(this=_bitwise()[type(node)], expressions=[node.this, node.expression])
    if isinstance(node, exp.TimeToUnix):
        return epoch_seconds(node, _micros)
    if isinstance(node, (exp.LogicalOr, exp.LogicalAnd)):  # NULLs skipped, as in DuckDB
        aggregate = exp.Max if isinstance(node, exp.LogicalOr) else exp.Min
        return aggregate(this=exp.cast(node.this, "BOOLEAN"))
    if isinstance(node, exp.Struct):  # compared field by field, in order, as DuckDB's
        values = [e.expression if isinstance(e, exp.PropertyEQ) else e for e in node.expressions]
        return exp.Anonymous(this="tuple", expressions=values)
    if isinstance(node, exp.Mul) and unit_interval(node.expression):
        unit = node.expression.unit.name.capitalize()
        return exp.Anonymous(this=f"toInterval{unit}", expressions=[node.this])
    if isinstance(node, exp.Explode) and isinstance(node.this, exp.GenerateSeries):
        return _series(node.this)
    if isinstance(node, exp.Subquery) and column_aliases(node):
        return named_columns(node)
    if isinstance(node, exp.Median):
        return _exact_quantile(node.this, exp.Literal.number(0.5))
    if isinstance(node, exp.PercentileCont) and not isinstance(node.parent, exp.WithinGroup):
        return _exact_quantile(node.this, node.expression)
    if isinstance(node, exp.Anonymous):
        name = str(node.this).upper()
        if name == "EPOCH_US":
            return _micros(node.expressions[0])
        if name in _INTERVALS:
            return exp.Anonymous(this=_INTERVALS[name], expressions=node.expressions[:1])
        if name == "HASH":  # another 64-bit hash: the kit only compares hashes on one engine
            return exp.Anonymous(this="cityHash64", expressions=node.expressions)
        if name == "LIST_POSITION":
            return exp.Anonymous(this="indexOf", expressions=node.expressions)
        if name == "TIMEZONE" and len(node.expressions) == 2:
            return _wall_clock(node.expressions[1], node.expressions[0])
    return node


def _wall_clock(value: exp.Expression, zone: exp.Expression) -> exp.Expression:
    """The instant ``value`` as its wall-clock time in ``zone``, a zoneless DateTime64(6).

    The session reads every DateTime in UTC, so the instant moved by the zone's offset at that
    instant (summer time included) shows that wall-clock time.
    """
    from sqlglot import exp

    offset = exp.Anonymous(
        this="timeZoneOffset",
        expressions=[exp.Anonymous(this="toTimeZone", expressions=[value.copy(), zone.copy()])],
    )
    moved = exp.Anonymous(this="addSeconds", expressions=[value.copy(), offset])
    return exp.cast(moved, "TIMESTAMP")
