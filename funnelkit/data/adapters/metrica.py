"""Yandex Metrica Logs API downloads — hits and visits — read as events and orders.

Follows Yandex's *Logs API* field reference: "Hits" (``ym:pv:*``,
https://yandex.ru/dev/metrika/doc/api2/logs/fields/hits.html) and "Visits" (``ym:s:*``,
https://yandex.ru/dev/metrika/doc/api2/logs/fields/visits.html). A download is tab-separated
text with a header row of field names, written the ClickHouse way: no quoting, arrays as
``[123,456]`` and ``['a','b']``, times ``YYYY-MM-DD HH:MM:SS`` in **the counter's time zone**
(so the client's ``timezone`` must be the counter's). Large requests come in parts: ``path``
may be one file or a folder of them (``.tsv``, ``.txt``, ``.csv``), read in name order.

- ``format: metrica_hits`` → events: one per hit (``page_view``; a hit flagged
  ``ym:pv:link`` / ``download`` / ``notBounce`` is ``link_click`` / ``download`` /
  ``not_bounce``, one with ``ym:pv:isPageView`` = 0 is ``hit``) plus ``goal_<id>`` per goal
  reached on it (``ym:pv:goalsID``); ``session_id`` <- ``ym:pv:visitID`` where the download
  has it (a field Yandex added on 10 October 2025; older downloads have no visit id on hits).
- ``format: metrica_visits`` → events (``visit`` at the visit's start, ``goal_<id>`` per goal
  reach at ``ym:s:goalsDateTime``, ``purchase`` per purchase with its revenue) and orders (one
  per ``ym:s:purchaseID``). A purchase currency (``ym:s:purchaseCurrency``) other than the
  client's is reported on its rows by the loader.

The raw scan keeps one ``__row`` per data line of the download: the visit's line for each of
its events and orders (line ``__row + 1`` of a single file; for a folder, the data row counted
across its files in name order — the adapter's own problems name the file and line).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...core.errors import ConfigError, DataError
from ...core.sql import lit, q
from ..sources import RawScan
from ..validate import Problem
from . import Adapter, register

if TYPE_CHECKING:
    import duckdb

__all__ = ["DEVICES", "HITS", "VISITS", "parse_array"]

#: ``deviceCategory`` codes of the Logs API, in words.
DEVICES = {"1": "desktop", "2": "mobile", "3": "tablet", "4": "tv"}
_SUFFIXES = (".tsv", ".txt", ".csv")
_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
_SCHEMA = "Yandex Metrica Logs API, fields of {0}: https://yandex.ru/dev/metrika/doc/api2/logs/fields/{0}.html"


def parse_array(col: str) -> str:
    """SQL turning a Logs API array cell (``[1,2]``, ``['a','b']``, ``[]``) into a VARCHAR list.

    Examples
    --------
    >>> import duckdb
    >>> cell = "'[12,7]'"
    >>> duckdb.sql(f"SELECT {parse_array(cell)}").fetchall()[0][0]
    ['12', '7']
    >>> cell = "'[''ORD-1'',''ORD-2'']'"  # the text ['ORD-1','ORD-2']
    >>> duckdb.sql(f"SELECT {parse_array(cell)}").fetchall()[0][0]
    ['ORD-1', 'ORD-2']
    """
    quoted = r"'((?:[^'\\]|\\.)*)'".replace("'", "''")
    return (
        f"CASE WHEN {col} IS NULL THEN CAST([] AS VARCHAR[]) "
        f"WHEN contains({col}, '''') THEN list_transform(regexp_extract_all({col}, '{quoted}', 1), "
        "lambda s: replace(replace(s, '\\''', ''''), '\\\\', '\\')) "
        f"ELSE regexp_extract_all({col}, '[^\\[\\],\\s]+') END"
    )


def _header(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", errors="replace") as handle:
        return handle.readline().rstrip("\r\n").split("\t")


def _device(col: str) -> str:
    cases = " ".join(f"WHEN {lit(code)} THEN {lit(word)}" for code, word in DEVICES.items())
    return f"CASE trim({col}) {cases} ELSE {col} END"


def _read(
    con: duckdb.DuckDBPyConnection,
    raw: str,
    files: list[Path],
    *,
    prefix: str,
    fmt: str,
    needed: set[str],
) -> set[str]:
    """Read the download's files into the TEMP table ``{raw}_tsv``; return the fields read."""
    parts, fields = [], set()
    for number, path in enumerate(files):
        header = _header(path)
        missing = sorted(needed - set(header))
        if missing:
            other = "metrica_hits" if prefix == "ym:s:" else "metrica_visits"
            other_prefix = "ym:pv:" if prefix == "ym:s:" else "ym:s:"
            fix = (
                f"this is a download of {'hits' if other == 'metrica_hits' else 'visits'}: "
                f"use `format: {other}`"
                if any(h.startswith(other_prefix) for h in header)
                else f"download it again from the Logs API with these fields, or remove "
                f"`format: {fmt}`"
            )
            raise DataError(
                f"{path.name} is not a Yandex Metrica Logs API download of "
                f"{'visits' if prefix == 'ym:s:' else 'hits'}: its header lacks "
                f"{', '.join(missing)} (it has {', '.join(header[:6])}"
                f"{' …' if len(header) > 6 else ''}); {fix}.",
                file=path.name,
            )
        fields |= set(header)
        columns = "{" + ", ".join(f"{lit(h)}: 'VARCHAR'" for h in header) + "}"
        parts.append(
            f"SELECT {number} AS __fileno, {lit(path.name)} AS __file, "
            "row_number() OVER () AS __line, * FROM read_csv("
            f"{lit(str(path))}, delim = '\t', header = true, auto_detect = false, quote = '', "
            f"escape = '', columns = {columns}, encoding = 'utf-8')"
        )
    union = " UNION ALL BY NAME ".join(f"({p})" for p in parts)
    con.execute(
        f"CREATE TEMP TABLE {raw}_tsv AS SELECT row_number() OVER (ORDER BY __fileno, __line) "
        f"AS __row, * FROM ({union})"
    )
    return fields


def _field(source: Any, fields: set[str], canon: str, default: str | None, key: str) -> str | None:
    """The download's field for a canonical column (``columns:`` overrides), or None."""
    chosen = source.columns.get(canon, default)
    if chosen is None:
        return None
    if chosen not in fields:
        if canon in source.columns:
            raise ConfigError(
                f"{key}.columns.{canon}: the download has no field `{chosen}`; name one of its "
                f"header fields ({', '.join(sorted(fields)[:8])} …)."
            )
        return None
    return q(chosen)


def _unequal(
    con: duckdb.DuckDBPyConnection, raw: str, arrays: list[str], fields: set[str], table: str
) -> list[Problem]:
    """An error for the rows whose parallel arrays (goalsID, goalsDateTime …) differ in length."""
    present = [a for a in arrays if a in fields]
    if len(present) < 2:
        return []
    lengths = [f"len({parse_array(q(a))})" for a in present]
    where = " OR ".join(f"{lengths[0]} <> {n}" for n in lengths[1:])
    rows = con.sql(
        f"SELECT __row, __file, __line + 1, {', '.join(lengths)} FROM {raw}_tsv WHERE {where} "
        "ORDER BY __row"
    ).fetchall()
    if not rows:
        return []
    shown = "; ".join(
        f"{r[1]} line {r[2]} ({', '.join(f'{n} {a}' for a, n in zip(present, r[3:], strict=True))})"
        for r in rows[:5]
    )
    message = (
        f"data.{table}: {len(rows)} row(s) of the Metrica download have arrays of unequal length "
        f"in {', '.join(present)}, which must pair up item by item: {shown}. Download those days "
        "again from the Logs API (a cut or edited file), or remove the lines."
    )
    return [Problem(table, rows[0][1], present[0], "metrica_arrays", "error", len(rows),
                    [int(r[0]) for r in rows[:5]], [], message)]  # fmt: skip


def _scan(files: list[Path], problems: list[Problem], layout: dict[str, Any]) -> RawScan:
    single = len(files) == 1
    label = files[0].name if single else files[0].parent.name
    return RawScan(1 if single else 0, "line" if single else "row", problems, relation="table",
                   layout={"timestamp_format": _TIME_FORMAT, **layout}, label=label)  # fmt: skip


def _build_hits(
    con: duckdb.DuckDBPyConnection, raw: str, files: list[Path], source: Any, *, table: str
) -> RawScan:
    key, p = f"data.{table}", "ym:pv:"
    fields = _read(
        con, raw, files, prefix=p, fmt="metrica_hits", needed={p + "clientID", p + "dateTime"}
    )
    problems = []
    col = {
        canon: _field(source, fields, canon, p + name, key)
        for canon, name in {"user_id": "clientID", "timestamp": "dateTime", "page": "URL",
                            "channel": "lastTrafficSource", "campaign": "UTMCampaign",
                            "device": "deviceCategory", "session_id": "visitID"}.items()
    }  # fmt: skip
    col["device"] = col["device"] and _device(col["device"])
    kinds = [
        (p + "link", "link_click"),
        (p + "download", "download"),
        (p + "notBounce", "not_bounce"),
    ]
    cases = " ".join(f"WHEN {q(f)} = '1' THEN {lit(e)}" for f, e in kinds if f in fields)
    if p + "isPageView" in fields:
        cases += f" WHEN {q(p + 'isPageView')} = '0' THEN 'hit'"
    kind = f"CASE {cases} ELSE 'page_view' END" if cases else "'page_view'"
    common = ", ".join(
        f"{col[c] or 'CAST(NULL AS VARCHAR)'} AS {c}" for c in col if c != "timestamp"
    )
    time = col["timestamp"]
    selects = [
        f"SELECT __row, 0 AS __k, {time} AS timestamp, {kind} AS event, {common} FROM {raw}_tsv"
    ]
    goals = p + "goalsID"
    if goals in fields:
        selects.append(
            f"SELECT __row, 1 + generate_subscripts(g, 1) AS __k, {time} AS timestamp, "
            f"'goal_' || unnest(g) AS event, {common} "
            f"FROM (SELECT *, {parse_array(q(goals))} AS g FROM {raw}_tsv)"
        )
    _events(con, raw, selects)
    return _scan(files, problems, {})


def _events(con: duckdb.DuckDBPyConnection, raw: str, selects: list[str]) -> None:
    union = " UNION ALL ".join(selects)
    con.execute(
        f"CREATE TEMP TABLE {raw} AS SELECT * EXCLUDE (__k) FROM ({union}) ORDER BY __row, __k"
    )
    con.execute(f"DROP TABLE {raw}_tsv")


def _build_visits(
    con: duckdb.DuckDBPyConnection, raw: str, files: list[Path], source: Any, *, table: str
) -> RawScan:
    key, p = f"data.{table}", "ym:s:"
    needed = {p + "clientID", p + "dateTime"} | ({p + "visitID"} if table == "events" else set())
    if table == "orders":
        needed |= {p + "purchaseID", p + "purchaseRevenue"}
    fields = _read(con, raw, files, prefix=p, fmt="metrica_visits", needed=needed)
    goals = [p + "goalsID", p + "goalsDateTime"]
    problems = [] if table == "orders" else _unequal(con, raw, goals, fields, table)
    problems += _unequal(con, raw, [p + f"purchase{a}" for a in _PURCHASE], fields, table)
    if problems:
        con.execute(f"DROP TABLE {raw}_tsv")
        return _scan(files, problems, {})
    names = {"user_id": "clientID", "timestamp": "dateTime", "session_id": "visitID",
             "page": "startURL", "channel": "lastTrafficSource", "campaign": "UTMCampaign",
             "device": "deviceCategory"}  # fmt: skip
    if table == "orders":
        names = {"customer_id": "clientID", "timestamp": "dateTime", "channel": "lastTrafficSource"}
    col = {canon: _field(source, fields, canon, p + name, key) for canon, name in names.items()}
    if "device" in col:
        col["device"] = col["device"] and _device(col["device"])
    time = col.pop("timestamp")
    common = ", ".join(f"{col[c] or 'CAST(NULL AS VARCHAR)'} AS {c}" for c in col)
    arrays = {
        a: parse_array(q(p + a))
        for a in ("goalsID", "goalsDateTime", *(f"purchase{b}" for b in _PURCHASE))
        if p + a in fields
    }
    lists = ", ".join(f"{e} AS {q(a)}" for a, e in arrays.items())
    listed = f"(SELECT *, {lists} FROM {raw}_tsv)" if lists else f"{raw}_tsv"

    def each(array: str) -> str:  # one row per item of ``array``, with its position ``__i``
        return f"(SELECT *, unnest(range(1, len({q(array)}) + 1)) AS __i FROM {listed})"

    def at(array: str, fallback: str = "NULL") -> str:
        return f"COALESCE(NULLIF({q(array)}[__i], ''), {fallback})" if array in arrays else fallback

    revenue, layout = "CAST(NULL AS VARCHAR)", {}
    if "purchaseRevenue" in arrays:
        revenue = f"{q('purchaseRevenue')}[__i]"
        if "purchaseCurrency" in arrays:  # '1490.5 USD': the loader refuses another currency
            revenue += f" || COALESCE(' ' || NULLIF(trim({q('purchaseCurrency')}[__i]), ''), '')"
            layout = {"currency_signs": True}
    bought = at("purchaseDateTime", time)
    if table == "orders":
        con.execute(
            f"CREATE TEMP TABLE {raw} AS SELECT __row, {q('purchaseID')}[__i] AS order_id, "
            f"{bought} AS timestamp, {revenue} AS revenue, {common} FROM {each('purchaseID')} "
            "ORDER BY __row, __i"
        )
        con.execute(f"DROP TABLE {raw}_tsv")
        return _scan(files, [], layout)
    none = "CAST(NULL AS VARCHAR) AS revenue"
    visit = f"{time} AS timestamp, 'visit' AS event, {common}, {none}"
    selects = [f"SELECT __row, 0 AS __k, {visit} FROM {listed}"]
    if "goalsID" in arrays:
        selects.append(
            f"SELECT __row, __i AS __k, {at('goalsDateTime', time)} AS timestamp, "
            f"'goal_' || {q('goalsID')}[__i] AS event, {common}, {none} FROM {each('goalsID')}"
        )
    if "purchaseID" in arrays:
        selects.append(
            f"SELECT __row, 100000 + __i AS __k, {bought} AS timestamp, 'purchase' AS event, "
            f"{common}, {revenue} AS revenue FROM {each('purchaseID')}"
        )
    _events(con, raw, selects)
    return _scan(files, [], layout)


#: The purchase arrays that pair up item by item (the first two are needed for orders).
_PURCHASE = ("ID", "Revenue", "Currency", "DateTime")

_HINTS = {
    "clientID": "looks like a user id; map it with `columns.user_id` (orders: "
    "`columns.customer_id`)",
    "dateTime": "looks like the event time (YYYY-MM-DD HH:MM:SS in the counter's time zone); map "
    "it with `columns.timestamp` and `timestamp_format: '%Y-%m-%d %H:%M:%S'`",
    "URL": "looks like a page; map it with `columns.page`",
    "startURL": "looks like a page (the visit's landing page); map it with `columns.page`",
    "lastTrafficSource": "looks like a channel; map it with `columns.channel`",
    "UTMCampaign": "looks like a campaign; map it with `columns.campaign`",
    "deviceCategory": "looks like a device (codes 1 desktop, 2 mobile, 3 tablet, 4 TV); map it "
    "with `columns.device`",
    "visitID": "looks like a session id; map it with `columns.session_id`",
    "purchaseID": "holds order ids as arrays, one per visit; read the file with "
    "`format: metrica_visits`",
    "purchaseRevenue": "holds order revenues as arrays; read the file with "
    "`format: metrica_visits`",
}

_VISITS_ONLY = ("startURL", "visitID", "purchaseID", "purchaseRevenue")

HITS = register(
    Adapter(
        format="metrica_hits",
        vendor="Yandex Metrica Logs API download of hits",
        schema=_SCHEMA.format("hits"),
        tables={"events": {"user_id": "ym:pv:clientID", "timestamp": "ym:pv:dateTime",
                           "event": "page_view (link_click, download, not_bounce, hit) and "
                           "goal_<id> per ym:pv:goalsID", "page": "ym:pv:URL",
                           "channel": "ym:pv:lastTrafficSource", "campaign": "ym:pv:UTMCampaign",
                           "device": "ym:pv:deviceCategory (1-4 in words)"}},
        suffixes=_SUFFIXES,
        build=_build_hits,
        signature=frozenset({"ym:pv:clientID", "ym:pv:dateTime"}),
        hints={f"ym:pv:{k}": v for k, v in _HINTS.items() if k not in _VISITS_ONLY},
    )
)  # fmt: skip

VISITS = register(
    Adapter(
        format="metrica_visits",
        vendor="Yandex Metrica Logs API download of visits",
        schema=_SCHEMA.format("visits"),
        tables={
            "events": {"user_id": "ym:s:clientID", "timestamp": "ym:s:dateTime (goals: "
                       "ym:s:goalsDateTime, purchases: ym:s:purchaseDateTime)",
                       "event": "visit, goal_<ym:s:goalsID>, purchase",
                       "session_id": "ym:s:visitID", "page": "ym:s:startURL",
                       "channel": "ym:s:lastTrafficSource", "campaign": "ym:s:UTMCampaign",
                       "device": "ym:s:deviceCategory (1-4 in words)",
                       "revenue": "ym:s:purchaseRevenue (purchase events)"},
            "orders": {"order_id": "ym:s:purchaseID", "customer_id": "ym:s:clientID",
                       "timestamp": "ym:s:purchaseDateTime, else ym:s:dateTime",
                       "revenue": "ym:s:purchaseRevenue (ym:s:purchaseCurrency checked)",
                       "channel": "ym:s:lastTrafficSource"},
        },
        suffixes=_SUFFIXES,
        build=_build_visits,
        signature=frozenset({"ym:s:clientID", "ym:s:visitID", "ym:s:dateTime"}),
        hints={f"ym:s:{k}": v for k, v in _HINTS.items() if k != "URL"},
    )
)  # fmt: skip
