"""DuckDB's semantics in BigQuery: the rewrites sqlglot leaves to do, on the statement's tree.

:func:`~funnelkit.core.engines.transpile` applies :func:`for_bigquery` to a DuckDB statement
before writing it in BigQuery's dialect (GoogleSQL), so a query gives BigQuery the result DuckDB
gives. Each rule is a dialect difference found in the statements the report's chapters send to
an engine (``tests/test_engine_bigquery_sql.py`` records them and checks every one), listed in
:func:`_node`'s docstring. The kit's naive timestamps are BigQuery ``DATETIME`` values (sqlglot
writes DuckDB's ``TIMESTAMP`` as ``DATETIME``), so the date functions used are the ``DATETIME``
ones.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import ConfigError
from .epoch import epoch_seconds
from .sql_rules import column_aliases, list_element, named_columns, unit_interval

if TYPE_CHECKING:
    from sqlglot import exp

__all__ = ["for_bigquery"]

#: DuckDB's interval constructors (``to_weeks(n)``) as the unit of ``INTERVAL n <unit>``.
_INTERVALS = {"TO_YEARS": "YEAR", "TO_MONTHS": "MONTH", "TO_WEEKS": "WEEK", "TO_DAYS": "DAY",
              "TO_HOURS": "HOUR", "TO_MINUTES": "MINUTE", "TO_SECONDS": "SECOND"}  # fmt: skip
#: Microseconds in one unit of a fixed-length interval (a series' step).
_MICROS = {"MICROSECOND": 1, "MILLISECOND": 1_000, "SECOND": 1_000_000, "MINUTE": 60_000_000,
           "HOUR": 3_600_000_000, "DAY": 86_400_000_000, "WEEK": 604_800_000_000}  # fmt: skip


def _bq(text: str, **parts: exp.Expression) -> exp.Expression:
    """A GoogleSQL expression with ``{name}`` placeholders filled by the given sub-trees."""
    import sqlglot
    from sqlglot import exp

    tree = sqlglot.parse_one(text.format(**{k: f"__fk_{k}" for k in parts}), read="bigquery")
    for column in list(tree.find_all(exp.Column)):
        name = column.name
        if name.startswith("__fk_") and not column.table:
            column.replace(parts[name[5:]].copy())
    return tree


def _micros(value: exp.Expression) -> exp.Expression:
    """Microseconds since 1970 of a DATETIME (or DATE) read as UTC."""
    return _bq("UNIX_MICROS(CAST({v} AS TIMESTAMP))", v=value)


def _datetime(value: exp.Expression) -> exp.Expression:
    from sqlglot import exp

    return exp.cast(value.copy(), "DATETIME", dialect="bigquery")


def _exact_quantile(value: exp.Expression, level: exp.Expression) -> exp.Expression:
    """DuckDB's ``quantile_cont(x, p)`` — exact, linear interpolation, NULLs skipped.

    BigQuery has ``PERCENTILE_CONT`` only as a window function and ``APPROX_QUANTILES`` only
    approximate, so the sorted values are aggregated into an array and read at the two
    positions around ``(n - 1) * p`` (NULL over no rows, as DuckDB's).
    """
    values = "ARRAY_AGG(CAST({x} AS FLOAT64) IGNORE NULLS ORDER BY CAST({x} AS FLOAT64))"
    at = "(ARRAY_LENGTH(" + values + ") - 1) * {p}"
    low = values + f"[SAFE_OFFSET(CAST(FLOOR({at}) AS INT64))]"
    high = values + f"[SAFE_OFFSET(CAST(CEIL({at}) AS INT64))]"
    return _bq(f"({low} + ({at} - FLOOR({at})) * ({high} - {low}))", x=value, p=level)


def _first_by(node: exp.Expression, condition: exp.Expression | None) -> exp.Expression:
    """``arg_min(x, key)`` / ``arg_max`` as the first ``x`` of an ordered ``ARRAY_AGG``.

    DuckDB skips the rows where ``x`` or the key is NULL (and those a ``FILTER`` leaves out);
    BigQuery's ``MIN_BY`` keeps a NULL ``x`` and cannot order by a struct, so the key's fields
    (a struct ``{'t': …, 'e': …}`` is compared field by field) become the ORDER BY.
    """
    from sqlglot import exp

    key = node.expression
    fields = [e.expression if isinstance(e, exp.PropertyEQ) else e for e in key.expressions] \
        if isinstance(key, exp.Struct) else [key]  # fmt: skip
    direction = "DESC" if isinstance(node, exp.ArgMax) else "ASC"
    keep = exp.and_(*[exp.Not(this=exp.Is(this=f.copy(), expression=exp.Null())) for f in fields])
    if condition is not None:
        keep = exp.and_(exp.Paren(this=condition.copy()), keep)
    parts = {f"k{i}": f for i, f in enumerate(fields)}
    order = ", ".join(f"{{k{i}}} {direction}" for i in range(len(fields)))
    return _bq(
        f"ARRAY_AGG(IF({{keep}}, {{x}}, NULL) IGNORE NULLS ORDER BY {order} LIMIT 1)"
        "[SAFE_OFFSET(0)]",
        keep=keep, x=node.this, **parts,
    )  # fmt: skip


def _date_diff(node: exp.DateDiff) -> exp.Expression:
    """DuckDB's ``date_diff(unit, a, b)`` in the units the kit uses.

    Microseconds exactly; days as the date boundaries crossed; weeks as whole 7-day spans of
    those (DuckDB's week is days // 7, not a count of week boundaries).
    """
    from sqlglot import exp

    end, start = node.this, node.expression
    unit = node.unit.name.upper() if node.unit is not None else "DAY"
    if unit == "MICROSECOND":
        return _bq("DATETIME_DIFF({b}, {a}, MICROSECOND)", b=_datetime(end), a=_datetime(start))
    # an Anonymous DATE_DIFF: sqlglot's own would be rewritten again by the next walk
    dates = [exp.cast(end.copy(), "DATE"), exp.cast(start.copy(), "DATE")]
    days = exp.Anonymous(this="DATE_DIFF", expressions=[*dates, exp.Var(this="DAY")])
    if unit == "DAY":
        return days
    if unit == "WEEK":
        return _bq("DIV({days}, 7)", days=days)
    raise ConfigError(
        f"funnelkit has no BigQuery rule for date_diff('{unit.lower()}', …); this is a funnelkit "
        "bug: run the client on DuckDB (remove `engine:`) and report the query."
    )


def _series(series: exp.GenerateSeries) -> exp.Expression:
    """``generate_series(a, b, INTERVAL n <unit>)`` of dates or timestamps, as DATETIMEs.

    ``a`` plus ``i * n`` units for each whole step up to ``b``, both ends included (DuckDB
    gives timestamps too).
    """
    step = series.args["step"]
    n, unit = int(step.this.name), step.unit.name.upper()
    if unit not in _MICROS:
        raise ConfigError(f"funnelkit has no BigQuery rule for a series by {unit.lower()}s.")
    return _bq(
        "ARRAY(SELECT DATETIME_ADD({a}, INTERVAL i " + unit + ") FROM UNNEST(GENERATE_ARRAY(0, "
        "DIV(DATETIME_DIFF({b}, {a}, MICROSECOND), " + str(_MICROS[unit] * n) + ") * "
        + str(n) + ", " + str(n) + ")) AS i ORDER BY i)",
        a=_datetime(series.args["start"]), b=_datetime(series.args["end"]),
    )  # fmt: skip


def _truncated(node: exp.TimestampTrunc | exp.DateTrunc) -> exp.Expression:
    """``date_trunc(unit, x)`` as a DATETIME; DuckDB's weeks start on Monday.

    BigQuery's ``WEEK`` starts on Sunday, so a week is the day minus the days since Monday
    (``DAYOFWEEK`` is 1 on Sunday … 7 on Saturday).
    """
    unit = node.unit.name.upper() if node.unit is not None else "DAY"
    value = _datetime(node.this)
    if unit == "WEEK":
        return _bq(
            "DATETIME_SUB(DATETIME_TRUNC({v}, DAY), "
            "INTERVAL MOD(EXTRACT(DAYOFWEEK FROM {v}) + 5, 7) DAY)", v=value,
        )  # fmt: skip
    return _bq(f"DATETIME_TRUNC({{v}}, {unit})", v=value)


def _count_if(condition: exp.Expression) -> exp.Expression:
    """DuckDB's ``count_if(c)`` is NULL when no ``c`` is known (BigQuery's ``COUNTIF`` 0)."""
    from sqlglot import exp

    counted = exp.Anonymous(this="COUNTIF", expressions=[condition.copy()])
    known = exp.EQ(this=exp.Count(this=condition.copy()), expression=exp.Literal.number(0))
    return exp.If(this=known, true=exp.Null(), false=counted)


def _null_skipping(node: exp.Greatest | exp.Least) -> exp.Expression:
    """``greatest``/``least`` as DuckDB's, which skip NULLs (BigQuery's give NULL).

    Each argument falls back on the others.
    """
    from sqlglot import exp

    values = [node.this, *node.expressions]
    if len(values) < 2:
        return node
    coalesced = [
        exp.Coalesce(this=v.copy(), expressions=[o.copy() for o in values if o is not v])
        for v in values
    ]
    return type(node)(this=coalesced[0], expressions=coalesced[1:])


def _positions(node: exp.Anonymous) -> exp.Expression:
    """``list_position([literals], x)`` as ``CASE x WHEN … THEN 1 … END`` (NULL if absent)."""
    from sqlglot import exp

    values, item = node.expressions
    if not isinstance(values, exp.Array):
        raise ConfigError("funnelkit writes list_position for BigQuery only over a literal list.")
    return exp.Case(
        this=item.copy(),
        ifs=[exp.If(this=v.copy(), true=exp.Literal.number(i))
             for i, v in enumerate(values.expressions, start=1)],
    )  # fmt: skip


def for_bigquery(tree: exp.Expression) -> exp.Expression:
    """A DuckDB statement as BigQuery gives the same result: what sqlglot leaves to do.

    Each node is rewritten by :func:`_node` until none changes (a walk does not enter the node
    it just replaced).

    Examples
    --------
    >>> import sqlglot
    >>> tree = sqlglot.parse_one("SELECT greatest(a, b) AS g, x / y AS r FROM t", read="duckdb")
    >>> print(for_bigquery(tree).sql(dialect="bigquery"))
    SELECT GREATEST(COALESCE(a, b), COALESCE(b, a)) AS g, IEEE_DIVIDE(x, y) AS r FROM t
    """
    for _ in range(8):
        before, tree = tree, tree.transform(_node)
        if tree == before:
            break
    return tree


def _node(node: exp.Expression) -> exp.Expression:
    """One node of a DuckDB statement as BigQuery gives the same result.

    - ``x / y`` is ``IEEE_DIVIDE`` (DuckDB gives ``inf``/NaN for a division by zero, BigQuery's
      ``/`` an error); a list's element ``l[i]`` is ``[SAFE_OFFSET(i - 1)]`` (NULL past the end,
      where ``OFFSET`` is an error);
    - ``epoch(ts)`` (also of an interval ``a - b``) keeps its fractional seconds and
      ``epoch_us(ts)`` is ``UNIX_MICROS``;
    - ``date_trunc`` is ``DATETIME_TRUNC``, and its weeks start on Monday (:func:`_truncated`);
      ``count_if`` is NULL when no condition is known (:func:`_count_if`); ``date_diff`` as in
      :func:`_date_diff`;
    - ``generate_series`` of dates with an interval step is an array of DATETIMEs;
    - ``median(x)``/``quantile_cont(x, p)`` are exact (:func:`_exact_quantile`);
    - ``arg_min``/``arg_max`` (with a ``FILTER``, or a struct key) as :func:`_first_by`;
    - ``greatest``/``least`` skip NULLs; ``n * INTERVAL '1' DAY`` is ``INTERVAL (n) DAY`` and
      ``to_weeks(n)`` … is ``INTERVAL (n) WEEK`` …;
    - ``list_position`` of a literal list is a ``CASE``; ``hash(x)`` is ``FARM_FINGERPRINT``
      (another 64-bit hash: the kit only compares hashes within one query);
    - ``timezone(zone, ts)`` (a TIMESTAMP, an instant, as the wall-clock time in ``zone``) is
      ``DATETIME(ts, zone)``;
    - ``(SELECT a, b …) AS u(x, y)`` names its columns inside (no column list after an alias).
    """
    from sqlglot import exp

    if isinstance(node, exp.Div):
        return exp.Anonymous(this="IEEE_DIVIDE", expressions=[node.this, node.expression])
    if list_element(node) and not node.args.get("safe"):  # NULL past the end, as in DuckDB
        safe = node.copy()
        safe.set("offset", 0)
        safe.set("safe", True)
        return safe
    if isinstance(node, exp.TimeToUnix):
        return epoch_seconds(node, _micros)
    if isinstance(node, (exp.TimestampTrunc, exp.DateTrunc)):
        return _truncated(node)
    if isinstance(node, exp.CountIf):
        return _count_if(node.this)
    if isinstance(node, exp.DateDiff):
        return _date_diff(node)
    if isinstance(node, exp.GenerateSeries) and isinstance(node.args.get("step"), exp.Interval):
        return _series(node)
    if isinstance(node, exp.Median):
        return _exact_quantile(node.this, exp.Literal.number(0.5))
    if isinstance(node, exp.PercentileCont) and not isinstance(node.parent, exp.WithinGroup):
        return _exact_quantile(node.this, node.expression)
    if isinstance(node, exp.Filter) and isinstance(node.this, (exp.ArgMin, exp.ArgMax)):
        return _first_by(node.this, node.expression.this)
    if isinstance(node, (exp.ArgMin, exp.ArgMax)) and not isinstance(node.parent, exp.Filter):
        return _first_by(node, None)
    if isinstance(node, (exp.Greatest, exp.Least)) and not all(
        isinstance(a, exp.Coalesce) for a in [node.this, *node.expressions]
    ):
        return _null_skipping(node)
    if isinstance(node, exp.Mul) and unit_interval(node.expression):
        return exp.Interval(this=exp.Paren(this=node.this.copy()), unit=node.expression.unit)
    if isinstance(node, exp.Subquery) and column_aliases(node):
        return named_columns(node)
    if isinstance(node, exp.Anonymous):
        name = str(node.this).upper()
        if name == "EPOCH_US":
            return _micros(node.expressions[0])
        if name in _INTERVALS:
            return exp.Interval(this=exp.Paren(this=node.expressions[0].copy()),
                                unit=exp.Var(this=_INTERVALS[name]))  # fmt: skip
        if name == "LIST_POSITION":
            return _positions(node)
        if name == "HASH":
            return _bq("FARM_FINGERPRINT(CAST({v} AS STRING))", v=node.expressions[0])
        if name == "TIMEZONE" and len(node.expressions) == 2:  # an instant's wall-clock time
            zone, value = node.expressions
            return exp.Anonymous(this="DATETIME", expressions=[value.copy(), zone.copy()])
    return node
