"""Tree rewrites that more than one engine's rules need (ClickHouse's and BigQuery's).

Examples
--------
>>> import sqlglot
>>> tree = sqlglot.parse_one("SELECT * FROM (SELECT 1, 2) AS u(x, y)", read="duckdb")
>>> subquery = tree.args["from_"].this
>>> column_aliases(subquery)
['x', 'y']
>>> named_columns(subquery).sql()
'(SELECT 1 AS x, 2 AS y) AS u'
>>> unit_interval(sqlglot.parse_one("INTERVAL '1' DAY", read="duckdb"))
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlglot import exp

__all__ = ["column_aliases", "list_element", "named_columns", "unit_interval"]


def unit_interval(node: exp.Expression) -> bool:
    """Whether ``node`` is ``INTERVAL '1' <unit>`` (``n * INTERVAL '1' DAY`` is n days)."""
    from sqlglot import exp

    return (
        isinstance(node, exp.Interval)
        and node.this is not None
        and node.this.name == "1"
        and node.unit is not None
    )


def column_aliases(node: exp.Subquery) -> list[str]:
    """The column names a subquery's alias lists (``AS u(x, y)`` gives ``['x', 'y']``)."""
    alias = node.args.get("alias")
    return [c.name for c in alias.columns] if alias is not None and alias.columns else []


def named_columns(node: exp.Subquery) -> exp.Expression:
    """``(SELECT a, b …) AS u(x, y)`` as ``(SELECT a AS x, b AS y …) AS u``.

    Neither ClickHouse nor BigQuery takes a column list after a subquery's alias; a UNION takes
    its names from its first SELECT, so naming that one's columns is enough.
    """
    from sqlglot import exp

    node = node.copy()
    names = column_aliases(node)
    first = node.this
    while isinstance(first, exp.SetOperation):
        first = first.this
    first.set("expressions", [
        exp.alias_(e.unalias() if isinstance(e, exp.Alias) else e, name)
        for e, name in zip(first.expressions, names, strict=True)
    ])  # fmt: skip
    node.set("alias", exp.TableAlias(this=node.args["alias"].this))
    return node


def list_element(node: exp.Expression) -> bool:
    """Whether ``node`` is a list's element at a whole-number position (``l[1]`` in DuckDB).

    sqlglot keeps such a position 0-based inside; a struct's or a map's key is not one.
    """
    from sqlglot import exp

    if not isinstance(node, exp.Bracket) or len(node.expressions) != 1:
        return False
    index = node.expressions[0]
    return isinstance(index, exp.Literal) and index.is_int
