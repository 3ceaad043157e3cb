"""A GA4 BigQuery export an engine holds, read there as :mod:`.ga4` reads the export's files.

``engine.tables: {events: {table: analytics_123.events_*, format: ga4_export}}`` (BigQuery, or
Spark over a lake's copy): the canonical ``events`` and ``orders`` are views on the engine over
the nested export, built from the same mapping as the files' (:func:`engine_select`), in
DuckDB's dialect for the engine's rules to rewrite; the purchases without a transaction id are
counted there too (:func:`untracked_sql`).
"""

from __future__ import annotations

from typing import Any

from ...core.sql import lit, q
from .ga4 import _columns, _Fields, _transaction

__all__ = ["engine_select", "untracked_sql"]


def engine_select(
    schema: dict[str, Any], *, table: str, overrides: dict[str, str], label: str, source: str,
    timezone: str,
) -> str:  # fmt: skip
    """The canonical ``events`` or ``orders`` of a GA4 export an engine holds, as a query.

    The mapping of the files (module docstring), in DuckDB's dialect for the engine's rules to
    rewrite: ``source`` names the export there and ``schema`` gives its fields (nested, as
    :func:`has_field` reads them). ``timestamp`` is the instant ``event_timestamp`` as its
    wall-clock time in the client's ``timezone``, as the loader reads the files.

    Examples
    --------
    >>> schema = {"event_timestamp": "BIGINT", "event_name": "VARCHAR",
    ...           "user_pseudo_id": "VARCHAR", "device": {"category": "VARCHAR"}}
    >>> sql = engine_select(schema, table="events", overrides={}, label="ga4", source="raw",
    ...                     timezone="Europe/Berlin")
    >>> stamp = sql.index('AS "timestamp"')
    >>> print(sql[stamp - 81 : stamp + 14])
    timezone('Europe/Berlin', make_timestamp(TRY_CAST("event_timestamp" AS BIGINT))) AS "timestamp"

    """
    f = _Fields(schema)
    stamp = f"timezone({lit(timezone)}, make_timestamp(TRY_CAST({{}} AS BIGINT)))"
    cols = _columns(f, table, overrides, label, stamp=stamp)
    select = ", ".join(f"{expr} AS {q(canon)}" for canon, expr in cols.items())
    where = f" WHERE event_name = 'purchase' AND {_transaction(f)} IS NOT NULL"
    return f"SELECT {select} FROM {f.with_params(source)}{where if table == 'orders' else ''}"


def untracked_sql(schema: dict[str, Any], *, source: str) -> str:
    """The count and revenue of ``source``'s purchases without a transaction id (an engine's).

    Examples
    --------
    >>> print(untracked_sql({"event_name": "VARCHAR"}, source="raw"))
    SELECT count(*) AS n, sum(CAST(NULL AS DOUBLE)) AS revenue FROM raw WHERE event_name = 'purchase' AND NULL IS NULL
    """  # noqa: E501
    f = _Fields(schema)
    revenue = f.field("ecommerce.purchase_revenue")
    return (
        f"SELECT count(*) AS n, sum(CAST({revenue} AS DOUBLE)) AS revenue FROM {source} "
        f"WHERE event_name = 'purchase' AND {_transaction(f)} IS NULL"
    )
