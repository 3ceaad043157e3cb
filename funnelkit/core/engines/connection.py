"""A DuckDB-shaped connection whose queries on engine-held tables run on the engine.

The chapters query a client through the small part of DuckDB's Python API they use
(``con.sql(...).df()``, ``fetchall``, ``execute("CREATE TEMP TABLE ...")``, ``table(name)``,
``relation.query(alias, sql)``, ``register``). :class:`EngineConnection` offers that same
surface over two places: the client's prepared DuckDB file (its small tables: orders, spend,
leads …) and an :class:`~funnelkit.core.engines.Engine` that holds the big ones in place
(``engine.tables`` in ``client.yaml``). Each statement, written once in DuckDB's dialect, is
parsed with sqlglot and sent where its tables are:

- it names no engine-held table → DuckDB runs it as before (a real DuckDB relation comes back);
- it names one → the engine runs it, rewritten for its dialect; a small local table it joins is
  copied to the engine once (never the other way: only results come back);
- ``CREATE TEMP TABLE/VIEW x AS …`` over engine data makes ``x`` on the engine (Spark: a
  checkpointed temporary view; ClickHouse: a session temporary table), so later queries on
  ``x`` stay there;
- ``INSERT INTO t SELECT …`` and ``UPDATE t SET …`` on an engine-held table change the
  session's view of ``t`` (rows appended, a column recomputed); the table itself is never
  written;
- anything that would write to the engine's storage is refused.

Results are brought to DuckDB's pandas types (decimals as floats, dates as datetimes), so a
chapter cannot tell the two apart.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import duckdb

from ..errors import ConfigError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["EngineConnection", "EngineRelation", "bind", "tables_of"]

_ALIASES = itertools.count(1)


def _parse(sql: str) -> Any:
    import sqlglot  # optional: only clients with an `engine:` get here

    try:
        return sqlglot.parse_one(sql, read="duckdb")
    except sqlglot.errors.SqlglotError as err:
        raise ConfigError(
            f"funnelkit cannot read its own query for the engine ({err}). This is a funnelkit "
            "bug; run the client on DuckDB (remove `engine:`) and report the query."
        ) from err


def tables_of(tree: Any) -> set[str]:
    """Names of the tables a parsed statement reads or writes (CTE names left out).

    Examples
    --------
    >>> import sqlglot
    >>> sorted(tables_of(sqlglot.parse_one(
    ...     "WITH a AS (SELECT * FROM events) SELECT * FROM a JOIN orders USING (user_id)")))
    ['events', 'orders']
    """
    from sqlglot import exp

    ctes = {cte.alias for cte in tree.find_all(exp.CTE)}
    return {t.name for t in tree.find_all(exp.Table) if t.name and t.name not in ctes}


def bind(tree: Any, params: Iterable[Any] | None) -> Any:
    """The statement with its ``?`` / ``$n`` placeholders replaced by SQL literals.

    Examples
    --------
    >>> import sqlglot
    >>> bind(sqlglot.parse_one("SELECT * FROM t WHERE a = ? AND b = ?"), ["x'y", 2]).sql()
    "SELECT * FROM t WHERE a = 'x''y' AND b = 2"
    """
    from sqlglot import exp

    values = list(params or [])
    if not values:
        return tree
    holders = list(tree.find_all(exp.Placeholder))
    if len(holders) != len(values):
        raise ValueError(f"{len(holders)} placeholders but {len(values)} parameters")
    for holder, value in zip(holders, values, strict=True):
        holder.replace(_literal(value))
    return tree


def _literal(value: Any) -> Any:
    from sqlglot import exp

    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, (int, float)):
        return exp.Literal.number(repr(value) if isinstance(value, float) else str(value))
    if isinstance(value, dt.datetime):
        return exp.cast(exp.Literal.string(value.isoformat(sep=" ")), "TIMESTAMP")
    if isinstance(value, dt.date):
        return exp.cast(exp.Literal.string(value.isoformat()), "DATE")
    if isinstance(value, str):
        return exp.Literal.string(value)
    if isinstance(value, (list, tuple)):
        return exp.Array(expressions=[_literal(v) for v in value])
    raise TypeError(f"cannot pass a {type(value).__name__} to an engine query")


class EngineConnection:
    """DuckDB's connection surface over the prepared DuckDB file and an engine.

    Parameters
    ----------
    engine
        The engine that holds ``remote`` (it must offer ``frame``, ``describe``, ``create``,
        ``drop``, ``register``, ``append`` and ``replace_column``; :class:`~.spark.SparkEngine`
        and :class:`~.clickhouse.ClickHouseEngine` do).
    local
        The client's DuckDB connection (its small tables).
    remote
        Canonical tables the engine holds, already visible there by these names.
    """

    def __init__(
        self, engine: Any, local: duckdb.DuckDBPyConnection, remote: Iterable[str]
    ) -> None:
        self.engine = engine
        self.local = local
        self._remote = set(remote)
        self._made: set[str] = set()  # temporary tables/views this connection made on the engine
        self._copied: set[str] = set()  # local tables copied to the engine

    # -- routing ----------------------------------------------------------------------------------
    def on_engine(self, names: set[str]) -> bool:
        """Whether a statement reading ``names`` must run on the engine."""
        return bool(names & (self._remote | self._made))

    def _copy_local(self, names: set[str]) -> None:
        """Copy the local tables a query on the engine joins (once; small tables only)."""
        for name in sorted(names - self._remote - self._made - self._copied):
            try:
                frame = self.local.table(name).df()
            except duckdb.Error:  # not a local table (a table function, a CTE of a subquery)
                continue
            self.engine.register(name, frame)
            self._copied.add(name)

    def _prepare(self, query: str, params: Iterable[Any] | None) -> tuple[Any, set[str]]:
        tree = bind(_parse(query), params)
        return tree, tables_of(tree)

    # -- DuckDB's surface -------------------------------------------------------------------------
    def sql(self, query: str, params: Iterable[Any] | None = None) -> Any:
        """A relation: DuckDB's own for local tables, an :class:`EngineRelation` otherwise."""
        from sqlglot import exp

        params = list(params) if params else None  # read once: used for both places
        tree, names = self._prepare(query, params)
        if not self.on_engine(names):
            return self.local.sql(query, params=params)
        if not isinstance(tree, exp.Query):
            self._statement(tree, names)
            return None
        self._copy_local(names)
        return EngineRelation(self, tree.sql(dialect="duckdb"))

    def execute(self, query: str, params: Iterable[Any] | None = None) -> EngineConnection:
        """Run a statement (``CREATE TEMP``, ``DROP``, ``INSERT``) where its tables are."""
        params = list(params) if params else None
        tree, names = self._prepare(query, params)
        if self.on_engine(names):
            self._statement(tree, names)
        else:
            self.local.execute(query, params)
        return self

    def table(self, name: str) -> Any:
        if name in self._remote or name in self._made:
            return EngineRelation(self, f"SELECT * FROM {name}")
        return self.local.table(name)

    def register(self, name: str, frame: Any) -> EngineConnection:
        """A pandas frame as a local view (copied to the engine only if a query there joins it)."""
        self.local.register(name, frame)
        self._copied.discard(name)
        return self

    def unregister(self, name: str) -> EngineConnection:
        self.local.unregister(name)
        return self

    def close(self) -> None:
        self.engine.close()
        self.local.close()

    # -- statements on the engine ---------------------------------------------------------------
    def _statement(self, tree: Any, names: set[str]) -> None:
        from sqlglot import exp

        if isinstance(tree, exp.Create):
            self._create(tree)
        elif isinstance(tree, exp.Drop):
            for table in tree.args.get("tables") or [tree.this]:
                if table.name in self._made:
                    self.engine.drop(table.name)
                    self._made.discard(table.name)
                else:
                    self.local.execute(tree.sql(dialect="duckdb"))
        elif isinstance(tree, exp.Insert):
            self._insert(tree)
        elif isinstance(tree, exp.Update) and tree.this.name in self._remote:
            where = tree.args.get("where")
            for assignment in tree.expressions:
                column = assignment.this.name
                value = assignment.expression.sql(dialect="duckdb")
                if where is not None:
                    condition = where.this.sql(dialect="duckdb")
                    value = f"CASE WHEN {condition} THEN {value} ELSE {column} END"
                self.engine.replace_column(tree.this.name, column, value)
        else:
            raise ConfigError(
                f"funnelkit does not change a client's engine tables ({tree.key.upper()} "
                f"{sorted(names)}); this is a funnelkit bug, please report it."
            )

    def _create(self, tree: Any) -> None:
        from sqlglot import exp

        properties = tree.args.get("properties")
        temporary = properties is not None and any(
            isinstance(p, exp.TemporaryProperty) for p in properties.expressions
        )
        kind = str(tree.args.get("kind") or "").upper()
        if not temporary or kind not in ("TABLE", "VIEW") or tree.expression is None:
            raise ConfigError(
                "funnelkit only makes temporary tables and views on an engine, never lasting "
                f"ones; refused: {tree.sql(dialect='duckdb')[:200]}"
            )
        names = tables_of(tree.expression)
        name = tree.this.name
        if not self.on_engine(names):
            self.local.execute(tree.sql(dialect="duckdb"))
            return
        self._copy_local(names)
        self.engine.create(name, tree.expression.sql(dialect="duckdb"), materialize=kind == "TABLE")
        self._made.add(name)

    def _insert(self, tree: Any) -> None:
        target = tree.this.this.name if tree.this.key == "schema" else tree.this.name
        columns = [c.name for c in tree.this.expressions] if tree.this.key == "schema" else None
        select = tree.expression.sql(dialect="duckdb")
        names = tables_of(tree.expression)
        rows = (
            EngineRelation(self, select).df()
            if self.on_engine(names)
            else self.local.sql(select).df()
        )
        if columns is not None:
            rows.columns = columns
        self.engine.append(target, rows)


class EngineRelation:
    """The result of a query on the engine, run when its rows are asked for (like DuckDB's).

    Offers what the chapters use of :class:`duckdb.DuckDBPyRelation`: ``columns``, ``types``,
    ``df``, ``fetchall``, ``query``, ``filter``, ``sql_query``.
    """

    def __init__(self, con: EngineConnection, sql: str) -> None:
        self._con = con
        self._sql = sql
        self._schema: list[tuple[str, str]] | None = None

    def sql_query(self) -> str:
        return self._sql

    def _describe(self) -> list[tuple[str, str]]:
        if self._schema is None:
            self._schema = self._con.engine.describe(self._sql)
        return self._schema

    @property
    def columns(self) -> list[str]:
        return [name for name, _ in self._describe()]

    @property
    def types(self) -> list[str]:
        return [kind for _, kind in self._describe()]

    dtypes = types

    def df(self) -> pd.DataFrame:
        return self._con.engine.frame(self._sql)

    def fetchall(self) -> list[tuple[Any, ...]]:
        frame = self.df()
        return [tuple(_plain(v) for v in row) for row in frame.itertuples(index=False)]

    def filter(self, condition: str) -> EngineRelation:
        return EngineRelation(self._con, f"SELECT * FROM ({self._sql}) AS fk_f WHERE {condition}")

    def query(self, alias: str, sql: str) -> Any:
        """Run ``sql`` with this relation as ``alias`` (inlined as a CTE: nothing is stored)."""
        from sqlglot import exp

        tree = _parse(sql)
        unique = f"{alias}__{next(_ALIASES)}"  # engines that lift nested CTEs need unique names
        for table in tree.find_all(exp.Table):
            if table.name == alias and not table.args.get("db"):
                table.set("this", exp.to_identifier(unique))
        target = tree.expression if isinstance(tree, (exp.Create, exp.Insert)) else tree
        cte = exp.CTE(this=_parse(self._sql), alias=exp.TableAlias(this=exp.to_identifier(unique)))
        with_ = target.args.get("with_")
        if with_ is None:
            target.set("with_", exp.With(expressions=[cte]))
        else:
            with_.set("expressions", [cte, *with_.expressions])
        return self._con.sql(tree.sql(dialect="duckdb"))


def _plain(value: Any) -> Any:
    """A pandas cell as DuckDB's ``fetchall`` gives it (None for missing, Python scalars)."""
    import pandas as pd

    if value is None or (not isinstance(value, (list, tuple, dict)) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value.item() if hasattr(value, "item") else value
