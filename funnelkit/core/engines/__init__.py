"""Where a client's queries run: DuckDB in-process by default, or the engine that holds the data.

The kit writes its queries once, in DuckDB's SQL dialect (the portable funnel of
:mod:`funnelkit.funnel.engine_sql` is standard SQL: window functions, joins, GROUP BY). An
:class:`Engine` runs such a query where the events are — Spark (:mod:`.spark`), ClickHouse
(:mod:`.clickhouse`), BigQuery (:mod:`.bigquery`) — after :func:`transpile` rewrote it into the
engine's dialect with `sqlglot <https://github.com/tobymao/sqlglot>`_ (one definition, a dialect
per engine; chosen over ibis because the definitions already exist as SQL and stay readable as
SQL in every engine's query log). Only the result comes back: an aggregate, a few rows.

The engine packages are optional extras (``pip install -e .[spark]``, ``[clickhouse]``,
``[bigquery]``); an engine whose package is missing says which extra installs it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import ConfigError
from .bigquery_rules import for_bigquery
from .clickhouse_rules import for_clickhouse
from .epoch import epoch_seconds
from .sql_rules import list_element

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

__all__ = ["DIALECTS", "DuckDBEngine", "Engine", "missing_extra", "transpile"]

#: Engine name -> its sqlglot dialect.
DIALECTS = {"duckdb": "duckdb", "spark": "spark", "clickhouse": "clickhouse",
            "bigquery": "bigquery"}  # fmt: skip


class Engine(Protocol):
    """What runs a query: DuckDB-dialect SQL in, a pandas frame of the (small) result out."""

    name: str
    dialect: str

    def query(self, sql: str) -> pd.DataFrame:
        """Run ``sql`` (written in DuckDB's dialect) on the engine; return its result."""
        ...

    def close(self) -> None:
        """Release the engine's session or client."""
        ...


def transpile(sql: str, dialect: str) -> str:
    """``sql`` written in DuckDB's dialect, rewritten for ``dialect`` (one statement).

    Raises
    ------
    ConfigError
        The dialect is unknown, or the statement cannot be read (the message names both).

    Examples
    --------
    >>> transpile("SELECT count_if(x > 1) AS n, CAST(u AS VARCHAR) AS u FROM t", "clickhouse")
    'SELECT toInt64(countIf(x > 1)) AS n, CAST(u AS Nullable(String)) AS u FROM t'
    >>> transpile("SELECT CAST(u AS VARCHAR) AS u FROM t", "spark")
    'SELECT CAST(u AS STRING) AS u FROM t'
    >>> transpile("SELECT *, row_number() OVER () AS n FROM t", "spark")
    'SELECT *, MONOTONICALLY_INCREASING_ID() AS n FROM t'
    """
    import sqlglot  # an optional dependency of the engines, not of the DuckDB default

    if dialect not in DIALECTS.values():
        raise ConfigError(
            f"The SQL dialect {dialect!r} is not one funnelkit writes for; use one of "
            f"{sorted(DIALECTS.values())}."
        )
    if dialect == "duckdb":
        return sql
    try:
        trees = [t for t in sqlglot.parse(sql, read="duckdb") if t is not None]
        if dialect == "spark":
            trees = [t.transform(_for_spark) for t in trees]
        elif dialect == "clickhouse":
            trees = [for_clickhouse(t) for t in trees]
        elif dialect == "bigquery":
            trees = [for_bigquery(t) for t in trees]
        statements = [t.sql(dialect=dialect, unsupported_level="raise") for t in trees]
    except sqlglot.errors.SqlglotError as err:
        raise ConfigError(
            f"The query cannot be written for {dialect}: {err}. This is a funnelkit bug; run the "
            "client on DuckDB (remove `engine:`) and report the query."
        ) from err
    if len(statements) != 1:
        raise ConfigError(f"Expected one SQL statement, got {len(statements)}.")
    return statements[0]


#: DuckDB's interval constructors, as the arguments of Spark's ``make_interval``.
_INTERVALS = {"TO_YEARS": 0, "TO_MONTHS": 1, "TO_WEEKS": 2, "TO_DAYS": 3, "TO_HOURS": 4,
              "TO_MINUTES": 5, "TO_SECONDS": 6}  # fmt: skip


def _for_spark(node: Any) -> Any:
    """One node of a DuckDB statement as Spark gives the same result (sqlglot leaves these).

    - a decimal literal (``86400.0``) is a DOUBLE, as in DuckDB's arithmetic with it (Spark
      would compute in DECIMAL and round the 8th significant digit);
    - ``epoch(ts)`` keeps its fractional seconds, ``epoch_us(ts)`` is ``unix_micros``;
    - ``to_days(n)`` … ``to_years(n)`` are ``make_interval``; ``list_position`` is
      ``array_position``; ``quantile_cont(x, p)`` is ``percentile(x, p)`` (both exact, with
      linear interpolation);
    - ``row_number() OVER ()`` (the rows as read, to find each user's first row of a file) is
      ``monotonically_increasing_id()``: increasing in the order a file is read, and unique
      (Spark refuses ``row_number`` without an ORDER BY);
    - ``timezone(zone, ts)`` (an instant as its wall-clock time in ``zone``) is
      ``from_utc_timestamp`` cast to ``TIMESTAMP_NTZ`` (the session reads instants in UTC);
    - a list's element ``l[i]`` is ``try_element_at(l, i)``: NULL past the end, as in DuckDB.
    """
    from sqlglot import exp

    if isinstance(node, exp.Literal) and not node.is_string and any(c in node.this for c in ".eE"):
        return exp.cast(node.copy(), "DOUBLE")
    if isinstance(node, exp.TimeToUnix):  # of a timestamp, or of the interval a - b
        return epoch_seconds(node, _unix_micros)
    if (isinstance(node, exp.Window) and isinstance(node.this, exp.RowNumber)
            and not node.args.get("partition_by") and not node.args.get("order")):  # fmt: skip
        return exp.Anonymous(this="MONOTONICALLY_INCREASING_ID", expressions=[])
    if isinstance(node, exp.PercentileCont) and not isinstance(node.parent, exp.WithinGroup):
        return exp.Anonymous(this="PERCENTILE", expressions=[node.this, node.expression])
    if list_element(node):  # NULL past the end, as DuckDB (ANSI mode's [i] is an error)
        index = exp.Literal.number(int(node.expressions[0].this) + 1)
        return exp.Anonymous(this="TRY_ELEMENT_AT", expressions=[node.this.copy(), index])
    if isinstance(node, exp.Anonymous):
        name = str(node.this).upper()
        if name == "EPOCH_US":
            return _unix_micros(node.expressions[0])
        if name in _INTERVALS:
            args = [exp.Literal.number(0)] * _INTERVALS[name] + [node.expressions[0]]
            return exp.Anonymous(this="MAKE_INTERVAL", expressions=args)
        if name == "LIST_POSITION":
            return exp.Anonymous(this="ARRAY_POSITION", expressions=node.expressions)
        if name == "TIMEZONE" and len(node.expressions) == 2:  # read in the session's UTC
            zone, value = node.expressions
            shifted = exp.Anonymous(this="FROM_UTC_TIMESTAMP", expressions=[value, zone])
            return exp.cast(shifted, exp.DataType.build("TIMESTAMP", dialect="duckdb"))
    return node


def _unix_micros(value: Any) -> Any:
    """Spark's microseconds since 1970 of a timestamp (read as UTC)."""
    from sqlglot import exp

    return exp.Anonymous(this="UNIX_MICROS", expressions=[exp.cast(value, "TIMESTAMPTZ")])


@dataclass
class DuckDBEngine:
    """The embedded default: queries run on the client's DuckDB connection as they are.

    Examples
    --------
    >>> import duckdb
    >>> DuckDBEngine(duckdb.connect()).query("SELECT 41 + 1 AS answer")["answer"].tolist()
    [42]
    """

    con: duckdb.DuckDBPyConnection
    name: str = "duckdb"
    dialect: str = "duckdb"

    def query(self, sql: str) -> pd.DataFrame:
        return self.con.sql(sql).df()

    def close(self) -> None:
        """The connection belongs to the client; it stays open."""


def missing_extra(engine: str, package: str, err: Exception) -> ConfigError:
    """The error for an engine whose optional package is not installed (it names the extra).

    Examples
    --------
    >>> print(missing_extra("spark", "pyspark", ImportError("no module")))  # doctest: +ELLIPSIS
    engine: spark needs the Python package 'pyspark' (no module); install it with ...
    """
    return ConfigError(
        f"engine: {engine} needs the Python package {package!r} ({err}); install it with "
        f"`.venv/bin/pip install -e .[{engine}]` (or `make setup-engines`), or remove `engine:` "
        "from client.yaml to run on the embedded DuckDB."
    )
