"""The names a session's queries use on ClickHouse or BigQuery, resolved without writing there.

A chapter names its tables (``events``, a temporary ``fk_paths`` …). On those engines such a
name is one of:

- an engine-held table of ``engine: tables:`` — a server table, a ClickHouse file or S3 reader
  (``"file"('/lake/events.parquet', 'Parquet')``), a BigQuery ``project.dataset.table`` — read
  in place;
- a view a chapter made (``CREATE TEMP VIEW``), or the session's view of an engine table after
  the loader's changes (a column recomputed, rows appended);
- a temporary table (``CREATE TEMP TABLE``): the engine's own session-scoped temporary table.

The first two are kept here as FROM items in DuckDB's dialect and written into each query
where it names them (:meth:`Names.inline`), so nothing is created on the server for them.

Examples
--------
>>> names = Names()
>>> names.define("events", "read_parquet('/lake/e.parquet')")
>>> names.define("paid", "(SELECT * FROM events WHERE revenue > 0)")
>>> print(names.inline("SELECT count(*) FROM paid"))
SELECT COUNT(*) FROM (SELECT * FROM READ_PARQUET('/lake/e.parquet') AS events WHERE revenue > 0) AS paid
"""  # noqa: E501

from __future__ import annotations

from typing import Any

__all__ = ["Names"]


class Names:
    """Name -> FROM item (DuckDB dialect) of the session's views and engine-held tables."""

    def __init__(self) -> None:
        self._items: dict[str, str] = {}

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def define(self, name: str, item: str) -> None:
        """``name`` now reads ``item`` (a table, a table function, or a parenthesised query).

        ``item`` may name earlier names; it is inlined when a query is written, not now.
        """
        self._items[name] = item

    def forget(self, name: str) -> None:
        self._items.pop(name, None)

    def item(self, name: str) -> str:
        return self._items[name]

    def inline(self, sql: str) -> str:
        """``sql`` with each name it reads replaced by its FROM item, recursively."""
        import sqlglot

        if not self._items:
            return sql
        tree = sqlglot.parse_one(sql, read="duckdb")
        return self._expand(tree, frozenset()).sql(dialect="duckdb", normalize_functions=False)

    def _expand(self, tree: Any, seen: frozenset[str]) -> Any:
        import sqlglot
        from sqlglot import exp

        ctes = {cte.alias for cte in tree.find_all(exp.CTE)}
        for table in list(tree.find_all(exp.Table)):
            name = table.name
            if table.args.get("db") or name in ctes or name in seen or name not in self._items:
                continue
            outer = sqlglot.parse_one(f"SELECT * FROM {self._items[name]} AS x", read="duckdb")
            item = outer.args["from_"].this
            item.set("alias", exp.TableAlias(this=exp.to_identifier(table.alias_or_name)))
            table.replace(self._expand(item, seen | {name}))
        return tree
