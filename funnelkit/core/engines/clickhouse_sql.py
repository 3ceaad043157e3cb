"""The kit's DuckDB-dialect SQL as ClickHouse runs it with the same results.

:func:`funnelkit.core.engines.transpile` rewrites the dialect; :func:`clickhouse_sql` adds what
ClickHouse needs for *equal* results, each a pure dialect difference done on sqlglot's tree:

- ``TIMESTAMP`` is ``DateTime64(6)``: sqlglot writes ``DateTime``, which keeps whole seconds only
  and would merge events a microsecond apart;
- a projected ``a.col`` is written ``a.col AS col``: ClickHouse names the output column
  ``a.col``, and a later ``SELECT col`` would not find it;
- :data:`SETTINGS` are appended to the statement itself (``SETTINGS join_use_nulls = 1, …``), so
  chdb in-process and a ClickHouse server receive the very same string and need no session
  state.

:data:`SETTINGS`:

``join_use_nulls = 1``
    a LEFT JOIN miss is NULL as in standard SQL (ClickHouse's default fills the type's default,
    0 or ``''``, so a missed step would look reached at 1970-01-01);
``aggregate_functions_null_for_empty = 1``
    an aggregate over no rows (a filter nothing passes, ``sum(x) FILTER (WHERE …)`` in a group
    without such rows) is NULL as in DuckDB, where ClickHouse's default gives 0, and
    1970-01-01 for a ``min``/``max`` of timestamps; counts stay 0;
``session_timezone = 'UTC'``
    timestamp literals (a period's bounds) and timestamps without a zone read as UTC wall-clock
    times, as DuckDB reads its ``TIMESTAMP``; the result comes back as naive UTC.

Optional, off by default: ``enable_materialized_cte = 1`` (ClickHouse 25.x+, experimental;
an older server refuses the unknown setting) marks every CTE the statement reads more than once
``AS MATERIALIZED``, so the events CTE of the portable funnel is computed once instead of once
per step (2-3x faster on the demo's funnel in chdb). Pass it in ``settings``.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from . import transpile

if TYPE_CHECKING:
    from sqlglot import exp

__all__ = ["SETTINGS", "clickhouse_sql", "file_table", "rewrite"]

#: Settings every query carries (see the module docstring).
SETTINGS: dict[str, int | str] = {
    "join_use_nulls": 1,
    "session_timezone": "UTC",
    "aggregate_functions_null_for_empty": 1,
}


def _settings(settings: dict[str, int | str]) -> list[exp.Expression]:
    from sqlglot import exp

    return [
        exp.EQ(
            this=exp.column(key),
            expression=exp.Literal.number(v) if isinstance(v, int) else exp.Literal.string(v),
        )
        for key, v in settings.items()
    ]


def _rewrite(node: exp.Expression) -> exp.Expression:
    from sqlglot import exp

    if isinstance(node, exp.DataType) and node.this in (
        exp.DataType.Type.DATETIME,
        exp.DataType.Type.TIMESTAMP,
        exp.DataType.Type.TIMESTAMPNTZ,
    ):
        wide = exp.DataType.build("DateTime64(6)", dialect="clickhouse")
        wide.set("nullable", node.args.get("nullable"))
        return wide
    if isinstance(node, exp.Select):
        node.set(
            "expressions",
            [
                exp.alias_(e, e.name)
                if isinstance(e, exp.Column) and e.table and not isinstance(e.this, exp.Star)
                else e
                for e in node.expressions
            ],
        )
    return node


def clickhouse_sql(sql: str, settings: dict[str, int | str] | None = None) -> str:
    """``sql`` in DuckDB's dialect as the ClickHouse statement that gives DuckDB's result.

    Parameters
    ----------
    sql : str
        One statement in DuckDB's dialect (what the kit writes).
    settings : dict, optional
        Settings the statement carries; :data:`SETTINGS` by default.

    Returns
    -------
    str
        The statement chdb and a ClickHouse server both receive, verbatim:
        ``rewrite(transpile(sql, "clickhouse"))``.

    Examples
    --------
    >>> print(clickhouse_sql("SELECT a.u, CAST(a.t AS TIMESTAMP) AS t FROM a"))
    SELECT a.u AS u, CAST(a.t AS Nullable(DateTime64(6))) AS t FROM a SETTINGS join_use_nulls = 1, session_timezone = 'UTC', aggregate_functions_null_for_empty = 1
    """  # noqa: E501
    return rewrite(transpile(sql, "clickhouse"), settings)


def rewrite(text: str, settings: dict[str, int | str] | None = None) -> str:
    """A statement already in ClickHouse's dialect with the rewrites of this module applied.

    Idempotent (the settings replace any the statement carries), so
    :func:`~funnelkit.core.engines.transpile` may call it on its ClickHouse output.

    Examples
    --------
    >>> once = rewrite("SELECT a.u FROM a")
    >>> rewrite(once) == once
    True
    """
    import sqlglot

    settings = SETTINGS if settings is None else settings
    tree = sqlglot.parse_one(text, read="clickhouse").transform(_rewrite)
    if settings.get("enable_materialized_cte"):  # compute a CTE read twice once
        reads = Counter(t.name for t in tree.find_all(sqlglot.exp.Table))
        for cte in tree.find_all(sqlglot.exp.CTE):
            if reads[cte.alias] > 1:
                cte.set("materialized", True)
    tree.set("settings", _settings(settings))
    return tree.sql(dialect="clickhouse", unsupported_level=sqlglot.ErrorLevel.RAISE)


def file_table(path: str, fmt: str = "Parquet") -> str:
    """A FROM item that reads a file in place, written so DuckDB's parser keeps it as it is.

    ``file`` is quoted: unquoted, DuckDB's grammar reads ``file(...)`` as a table alias. For
    object storage use ``s3('https://…/*.parquet', 'Parquet')`` the same way.

    Examples
    --------
    >>> print(file_table("/data/events.parquet"))
    "file"('/data/events.parquet', 'Parquet')
    """
    quoted = path.replace("'", "''")
    return f"\"file\"('{quoted}', '{fmt}')"
