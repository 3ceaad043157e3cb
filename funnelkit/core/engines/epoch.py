"""DuckDB's ``epoch(x)`` — seconds with their fraction — for engines that count microseconds.

Shared by the Spark and ClickHouse rewrites: ``x`` is a timestamp, or the interval ``a - b`` of
two; each timestamp becomes the engine's microseconds since 1970 (``micros``) and the result is
their (difference) divided by 1e6 as a DOUBLE, so fractional seconds survive.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlglot import exp

__all__ = ["epoch_seconds"]


def epoch_seconds(
    node: exp.TimeToUnix, micros: Callable[[exp.Expression], exp.Expression]
) -> exp.Expression:
    """``epoch(ts)`` or ``epoch(a - b)`` as microseconds (``micros`` of each timestamp) / 1e6.

    Examples
    --------
    >>> import sqlglot
    >>> from sqlglot import exp
    >>> node = sqlglot.parse_one("SELECT epoch(a - b)", read="duckdb").expressions[0]
    >>> micros = lambda t: exp.Anonymous(this="US", expressions=[t])
    >>> epoch_seconds(node, micros).sql()
    '(US(a) - US(b)) / CAST(1000000.0 AS DOUBLE)'
    """
    from sqlglot import exp

    inner = node.this.unnest()
    parts = [inner.this, inner.expression] if isinstance(inner, exp.Sub) else [inner]
    counted = [micros(p) for p in parts]
    total = (
        counted[0]
        if len(counted) == 1
        else exp.Paren(this=exp.Sub(this=counted[0], expression=counted[1]))
    )
    return exp.Div(this=total, expression=exp.cast(exp.Literal.number(1e6), "DOUBLE"))
