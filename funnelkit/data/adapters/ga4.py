"""Google Analytics 4 BigQuery export (``format: ga4_export``) read as ``events`` and ``orders``.

Follows Google's "[GA4] BigQuery Export schema" (https://support.google.com/analytics/answer/7029846):
one row per event in daily tables ``events_YYYYMMDD``, exported from BigQuery to Parquet, to
newline-delimited JSON (one or more files per day, optionally gzip-compressed) or to Avro (read
as Parquet by :mod:`.ga4_avro`); a folder of them is read as one table, files in name order.
BigQuery writes INT64 values as JSON *strings*, so every integer field is read through a text cast.

Mapping (``columns:`` in ``client.yaml`` overrides any of them with another field: a top-level
field ``user_id``, a record field ``device.operating_system`` or an event parameter
``event_params.page_title``):

- events: ``user_id`` <- ``user_pseudo_id`` (``columns: {user_id: user_id}`` reads the signed-in
  ``user_id``, falling back to ``user_pseudo_id`` where the visitor was not signed in, as GA4's
  "observed" reporting identity does), ``timestamp`` <- ``event_timestamp`` (µs since 1970 UTC,
  typed ``TIMESTAMPTZ`` so the loader converts it to the client's ``timezone``), ``event`` <-
  ``event_name``, ``session_id`` <- ``user_pseudo_id`` + ``"-"`` + param ``ga_session_id`` (the
  session id is a start time in seconds, unique per device only), ``page`` <- param
  ``page_location``, ``campaign`` <- param ``campaign``, else ``collected_traffic_source
  .manual_campaign_name``, else ``traffic_source.name``, ``device`` <- ``device.category``,
  ``revenue`` <- ``ecommerce.purchase_revenue`` on ``purchase`` events.
- **channel rule**: ``"source / medium"`` of the first of: the event's params ``source`` and
  ``medium`` (GA4 puts them on the events that start a session: session_start, the first
  page_view), the event's ``collected_traffic_source.manual_source`` / ``manual_medium``, the
  user's first touch ``traffic_source.source`` / ``medium``. A missing medium reads ``(none)``.
- orders: one row per ``purchase`` event with an ``ecommerce.transaction_id`` (empty and
  ``(not set)`` count as none: such purchases are counted in a warning, never silently dropped):
  ``order_id`` <- ``ecommerce.transaction_id``, ``customer_id`` <- ``user_pseudo_id`` (or
  ``columns: {customer_id: user_id}``), ``timestamp``, ``revenue`` <- ``ecommerce
  .purchase_revenue``, ``channel`` by the rule above. A transaction id sent twice (GA4 does) is
  reported by the loader's unique check.

Read once into a TEMP table (:data:`MATERIALIZE`; a view measured slower). Example:

>>> from funnelkit.data.adapters import find_adapter
>>> sorted(find_adapter("ga4_export").tables)
['events', 'orders']
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from ...core.errors import ConfigError
from ...core.sql import lit, q
from ..sources import RawScan, read_error
from ..validate import Problem
from . import Adapter, register
from .ga4_avro import avro_as_parquet
from .ga4_files import SUFFIXES, check_files, file_kind

__all__ = ["GA4", "has_field", "untracked_problem"]

_VALUE = "STRUCT(string_value VARCHAR, int_value VARCHAR, float_value DOUBLE, double_value DOUBLE)"
_TEXT = "VARCHAR"
#: The GA4 export schema as typed for newline-delimited JSON (INT64 is a JSON string there).
JSON_COLUMNS: dict[str, str] = {
    "event_date": _TEXT,
    "event_timestamp": _TEXT,
    "event_name": _TEXT,
    "event_params": f"STRUCT(key VARCHAR, value {_VALUE})[]",
    "event_value_in_usd": "DOUBLE",
    "user_id": _TEXT,
    "user_pseudo_id": _TEXT,
    "user_first_touch_timestamp": _TEXT,
    "user_properties": f"STRUCT(key VARCHAR, value {_VALUE})[]",
    "device": "STRUCT(category VARCHAR, mobile_brand_name VARCHAR, mobile_model_name VARCHAR, "
    "operating_system VARCHAR, operating_system_version VARCHAR, language VARCHAR, "
    "web_info STRUCT(browser VARCHAR, browser_version VARCHAR, hostname VARCHAR))",
    "geo": "STRUCT(city VARCHAR, country VARCHAR, continent VARCHAR, region VARCHAR, "
    "sub_continent VARCHAR, metro VARCHAR)",
    "traffic_source": "STRUCT(name VARCHAR, medium VARCHAR, source VARCHAR)",
    "collected_traffic_source": "STRUCT(manual_campaign_id VARCHAR, manual_campaign_name "
    "VARCHAR, manual_source VARCHAR, manual_medium VARCHAR, manual_term VARCHAR, "
    "manual_content VARCHAR, gclid VARCHAR, dclid VARCHAR, srsltid VARCHAR)",
    "ecommerce": "STRUCT(total_item_quantity VARCHAR, purchase_revenue_in_usd DOUBLE, "
    "purchase_revenue DOUBLE, refund_value_in_usd DOUBLE, refund_value DOUBLE, "
    "shipping_value_in_usd DOUBLE, shipping_value DOUBLE, tax_value_in_usd DOUBLE, "
    "tax_value DOUBLE, unique_items VARCHAR, transaction_id VARCHAR)",
    "platform": _TEXT,
    "stream_id": _TEXT,
}
#: Parquet too is parsed once into a TEMP table rather than kept a view: the loader scans the raw
#: scan about three times (checks, duplicates, store) and a view would look every parameter up
#: in ``event_params`` at each scan (bench/bench_sources.py measures both; see bench/README.md).
MATERIALIZE = True
#: Canonical column -> the GA4 field it comes from by default (words for docs and errors).
_EVENTS = {
    "user_id": "user_pseudo_id",
    "timestamp": "event_timestamp (µs, UTC)",
    "event": "event_name",
    "session_id": "user_pseudo_id + event_params.ga_session_id",
    "page": "event_params.page_location",
    "channel": "source / medium (event_params, else collected_traffic_source, else traffic_source)",
    "campaign": "event_params.campaign, else collected_traffic_source.manual_campaign_name, "
    "else traffic_source.name",
    "device": "device.category",
    "revenue": "ecommerce.purchase_revenue (purchase events)",
}
_ORDERS = {
    "order_id": "ecommerce.transaction_id (purchase events)",
    "customer_id": "user_pseudo_id",
    "timestamp": "event_timestamp (µs, UTC)",
    "revenue": "ecommerce.purchase_revenue",
    "channel": _EVENTS["channel"],
}


def has_field(schema: dict[str, Any], path: str) -> bool:
    """Whether the dotted field ``path`` exists in a scan's ``schema`` (see :func:`_schema`).

    Examples
    --------
    >>> has_field({"ecommerce": {"transaction_id": "VARCHAR"}}, "ecommerce.transaction_id")
    True
    >>> has_field({"ecommerce": None}, "ecommerce.purchase_revenue")
    False
    """
    node: Any = schema
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def _schema(types: list[tuple[str, Any]]) -> dict[str, Any]:
    """Nested dict of a relation's fields (a struct's fields; a list of structs: its element's)."""
    out: dict[str, Any] = {}
    for name, dtype in types:
        while dtype.id == "list":
            dtype = dtype.child
        out[name] = _schema(dtype.children) if dtype.id == "struct" else str(dtype)
    return out


class _Fields:
    """SQL for the GA4 fields a scan has; a field it lacks reads NULL."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self.schema = schema
        self.params: dict[str, str] = {}  # parameter key -> its column in :meth:`with_params`

    def with_params(self, scan: str) -> str:
        """``scan`` plus one column per parameter used: its value record, looked up once."""
        if not self.params:
            return scan
        found = ", ".join(
            f"list_filter(event_params, lambda p: p.key = {lit(key)})[1].value AS {q(alias)}"
            for key, alias in self.params.items()
        )
        return f"(SELECT *, {found} FROM {scan})"

    def field(self, path: str) -> str:
        if not has_field(self.schema, path):
            return "NULL"
        root, *rest = path.split(".")
        return "".join([q(root), *(f".{q(part)}" for part in rest)])

    def text(self, path: str) -> str:
        value = self.field(path)
        return value if value == "NULL" else f"NULLIF(trim(CAST({value} AS VARCHAR)), '')"

    def param(self, key: str) -> str:
        """An event parameter as text, whichever of its value fields GA4 filled."""
        kinds = ("string_value", "int_value", "double_value", "float_value")
        present = [k for k in kinds if has_field(self.schema, f"event_params.value.{k}")]
        if not present:
            return "NULL"
        found = q(self.params.setdefault(key, f"__param_{len(self.params)}"))
        values = ", ".join(f"CAST({found}.{k} AS VARCHAR)" for k in present)
        return f"NULLIF(trim(coalesce({values})), '')"

    def source(self, path: str) -> str:
        """A ``columns:`` override: a field, a record's field or ``event_params.KEY``."""
        if path.startswith("event_params."):
            return self.param(path.removeprefix("event_params."))
        return self.text(path)


def _channel(f: _Fields) -> str:
    pairs = [
        (f.param("source"), f.param("medium")),
        (f.text("collected_traffic_source.manual_source"),
         f.text("collected_traffic_source.manual_medium")),
        (f.text("traffic_source.source"), f.text("traffic_source.medium")),
    ]  # fmt: skip
    whens = " ".join(
        f"WHEN {s} IS NOT NULL THEN {s} || ' / ' || coalesce({m}, '(none)')"
        for s, m in pairs
        if s != "NULL"
    )
    return f"CASE {whens} END" if whens else "NULL"


#: ``event_timestamp`` (µs since 1970, UTC) as a TIMESTAMPTZ for the loader.
_STAMP = "timezone('UTC', make_timestamp(TRY_CAST({} AS BIGINT)))"


def _columns(
    f: _Fields, table: str, overrides: dict[str, str], label: str, *, stamp: str = _STAMP
) -> dict[str, str]:
    """Canonical column -> SQL over the GA4 scan, defaults then ``columns:`` overrides."""
    purchase = "event_name = 'purchase'"
    revenue = f.field("ecommerce.purchase_revenue")
    person = f.text("user_pseudo_id")
    if table == "events":
        session = f.param("ga_session_id")
        campaign = [f.param("campaign"), f.text("collected_traffic_source.manual_campaign_name"),
                    f.text("traffic_source.name")]  # fmt: skip
        cols = {
            "user_id": person,
            "timestamp": stamp.format(q("event_timestamp")),
            "event": f.text("event_name"),
            "session_id": f"{person} || '-' || {session}" if session != "NULL" else "NULL",
            "page": f.param("page_location"),
            "channel": _channel(f),
            "campaign": f"coalesce({', '.join(campaign)})",
            "device": f.text("device.category"),
            "revenue": f"CASE WHEN {purchase} THEN CAST({revenue} AS DOUBLE) END",
        }
    else:
        cols = {
            "order_id": _transaction(f),
            "customer_id": person,
            "timestamp": stamp.format(q("event_timestamp")),
            "revenue": f"CAST({revenue} AS DOUBLE)",
            "channel": _channel(f),
        }
    allowed = _EVENTS if table == "events" else _ORDERS
    for canon, path in overrides.items():
        if canon not in allowed and canon != "account_id":
            raise ConfigError(
                f"data.{table}.columns.{canon}: `{table}` has no column `{canon}`; a GA4 export "
                f"gives {', '.join(allowed)} (and account_id through `columns`)."
            )
        root = path.split(".")[0]
        if not path.startswith("event_params.") and not has_field(f.schema, path):
            raise ConfigError(
                f"data.{table}.columns.{canon}: {label} has no field `{path}`; its fields are "
                f"{', '.join(sorted(f.schema))}. Name a field (`{root}`), a record's field "
                "(`device.operating_system`) or a parameter (`event_params.page_title`)."
            )
        value = f.source(path)
        if canon == "timestamp":
            value = stamp.format(value)
        elif canon in ("user_id", "customer_id") and path == "user_id":
            value = f"coalesce({value}, {person})"  # GA4's "observed" identity
        cols[canon] = value
    return cols


def _transaction(f: _Fields) -> str:
    tid = f.text("ecommerce.transaction_id")
    return f"NULLIF({tid}, '(not set)')" if tid != "NULL" else "NULL"


def _scan(con: duckdb.DuckDBPyConnection, files: list[Path], kind: str) -> str:
    """The FROM clause reading every file, with ``__row`` counted across them in order."""
    names = "[" + ", ".join(lit(str(p)) for p in files) + "]"
    if kind == "parquet":
        counts = con.sql(
            f"SELECT file_name, num_rows FROM parquet_file_metadata({names})"
        ).fetchall()  # footers only
        rows = dict(counts)
        offsets, total = [], 0
        for path in files:
            offsets.append(total)
            total += int(rows.get(str(path), 0))
        return (
            f"(SELECT *, file_row_number + 1 + CAST({offsets} AS BIGINT[])[CAST(file_index AS "
            f"BIGINT) + 1] AS __row FROM "
            f"read_parquet({names}, union_by_name = true, file_row_number = true))"
        )
    columns = "{" + ", ".join(f"{lit(k)}: {lit(v)}" for k, v in JSON_COLUMNS.items()) + "}"
    return (
        f"(SELECT *, row_number() OVER () AS __row FROM read_json({names}, "
        f"format = 'newline_delimited', columns = {columns}))"
    )


def _build(
    con: duckdb.DuckDBPyConnection, raw: str, files: list[Path], source: Any, *, table: str
) -> RawScan:
    """Create the raw scan of ``events`` or ``orders`` from GA4 export files."""
    key = f"data.{table}"
    label = files[0].parent.name if len(files) > 1 else files[0].name
    kind = file_kind(files, label, key)
    if kind == "avro":  # temporary Parquet files, deleted once the TEMP table holds their rows
        with avro_as_parquet(files, key=key) as parquet:
            return _read(con, raw, parquet, source, table=table, kind="avro", label=label)
    return _read(con, raw, files, source, table=table, kind=kind, label=label)


def _read(con: duckdb.DuckDBPyConnection, raw: str, files: list[Path], source: Any, *,
          table: str, kind: str, label: str) -> RawScan:  # fmt: skip
    key, avro = f"data.{table}", kind == "avro"
    kind = "parquet" if avro else kind
    check_files(con, files, kind, key)
    scan = _scan(con, files, kind)
    try:
        head = con.sql(f"SELECT * FROM {scan} LIMIT 0")
        f = _Fields(_schema(list(zip(head.columns, head.types, strict=True))))
        cols = _columns(f, table, dict(source.columns), label)
        select = ", ".join(f"{expr} AS {q(canon)}" for canon, expr in cols.items())
        where, problems = "", []
        if table == "orders":
            where = f" WHERE event_name = 'purchase' AND {_transaction(f)} IS NOT NULL"
            problems = _untracked(con, scan, f, label)
        relation = "VIEW" if kind == "parquet" and not MATERIALIZE and not avro else "TABLE"
        body = f"SELECT __row, {select} FROM {f.with_params(scan)}{where}"
        con.execute(f"CREATE TEMP {relation} {raw} AS {body}")
    except duckdb.Error as err:
        raise read_error(label, "a GA4 export", err, key) from err
    return RawScan(0, "row", problems=problems, relation=relation.lower(), label=label)


def _untracked(con: duckdb.DuckDBPyConnection, scan: str, f: _Fields, label: str) -> list[Problem]:
    """A warning counting the purchases that carry no transaction id (they cannot be orders)."""
    n, total, lines = con.sql(
        f"SELECT count(*), sum(CAST({f.field('ecommerce.purchase_revenue')} AS DOUBLE)), "
        f"list(__row ORDER BY __row)[:5] FROM {scan} WHERE event_name = 'purchase' AND "
        f"{_transaction(f)} IS NULL"
    ).fetchall()[0]
    return untracked_problem(label, int(n), total, [int(x) for x in lines or []])


def untracked_problem(label: str, n: int, revenue: float | None, lines: list[int]) -> list[Problem]:
    """The warning that ``n`` purchases (``revenue`` in all) have no transaction id."""
    if not n:
        return []
    message = (
        f"{label}: {n} purchase event(s) have no ecommerce.transaction_id (empty or "
        f"'(not set)'), revenue {revenue or 0:,.2f} in all; they cannot be orders, so `orders` "
        "leaves them out (they stay in `events` with their revenue). Send `transaction_id` "
        "with every purchase in the GA4 tag so that each purchase becomes an order."
    )
    return [Problem("orders", label, "order_id", "ga4_no_transaction_id", "warning", n,
                    lines, [], message)]  # fmt: skip


GA4 = register(
    Adapter(
        format="ga4_export",
        vendor="Google Analytics 4 BigQuery export",
        schema="[GA4] BigQuery Export schema, https://support.google.com/analytics/answer/7029846",
        tables={"events": _EVENTS, "orders": _ORDERS},
        suffixes=SUFFIXES,
        build=_build,
        signature=frozenset({"event_timestamp", "event_name", "user_pseudo_id", "event_params"}),
        hints={
            "user_pseudo_id": "is the GA4 device id; map it with `columns.user_id`",
            "event_timestamp": "is the GA4 event time in µs since 1970 UTC; map it with "
            "`columns.timestamp` and set `timestamp_unit: us`",
            "event_name": "is the GA4 event name; map it with `columns.event`",
            "ga_session_id": "is a GA4 session id, unique per device only; map it with "
            "`columns.session_id`",
            "page_location": "is the GA4 page address; map it with `columns.page`",
            "transaction_id": "is the GA4 order id; map it with `columns.order_id`",
            "purchase_revenue": "is the GA4 order value; map it with `columns.revenue`",
            "event_params": "holds GA4's nested event parameters; read the whole export with "
            "`format: ga4_export`",
        },
    )
)
