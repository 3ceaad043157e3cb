"""What the loader notices beyond the column rules: repeated keys, mixed offsets, whole tables.

:func:`duplicate_problems` and :func:`offset_notes` look at a raw table before it is typed;
:func:`table_warnings` at the typed canonical table (empty, outside the period, dated in the
future, suspicious patterns per table). Called by :class:`funnelkit.data.loader.Client` while
it loads; every finding is a :class:`~funnelkit.data.validate.Problem` whose message names the
file, the column and the fix.
"""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import duckdb

from ..core.errors import format_rows
from ..core.sql import text_value
from .engagement import count_problems
from .tables import TableSpec
from .validate import Problem, offset_expression, q

if TYPE_CHECKING:
    from .sections import Period

__all__ = ["cross_file_duplicates", "duplicate_problems", "offset_notes", "table_warnings"]


#: What a repeated identifier usually is, per table.
_DUPLICATE_ADVICE = {
    "orders": "(if they are order lines, aggregate them to one row per order)",
    "accounts": "(a company listed twice: keep one row per account, merged in the CRM)",
    "leads": "(a lead exported twice: keep its latest row)",
}


def duplicate_problems(
    con: duckdb.DuckDBPyConnection,
    raw: str,
    spec: TableSpec,
    sources: dict[str, str],
    label: str,
    line_offset: int,
    unit: str,
) -> list[Problem]:
    """Errors for values of a unique column (an order id …) that appear on more than one row.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        The connection holding the raw table.
    raw : str
        The raw table as read from the file (with its ``__row`` numbers).
    spec : TableSpec
        The canonical table's columns.
    sources : dict of str to str
        Canonical column -> the file's column, for the columns the file has.
    label : str
        The file name shown in messages.
    line_offset : int
        Added to ``__row`` to give the line number in the file.
    unit : str
        "line" for text files and Excel, "row" for Parquet.

    Returns
    -------
    list of Problem
        One error per unique column with repeated values, with up to five example lines.
    """
    found = []
    for col in (c for c in spec.columns if c.unique and c.name in sources):
        src = text_value(q(sources[col.name]), col.kind)  # as the canonical table will hold it
        dup = f"SELECT {src} FROM {raw} WHERE {src} IS NOT NULL GROUP BY 1 HAVING count(*) > 1"
        total = _count(con, f"SELECT count(*) FROM {raw} WHERE {src} IN ({dup})")
        if not total:
            continue
        rows = con.sql(
            f"SELECT __row + {line_offset}, CAST({src} AS VARCHAR) FROM {raw} "
            f"WHERE {src} IN ({dup}) ORDER BY __row LIMIT 5"
        ).fetchall()
        lines = [int(r[0]) for r in rows]
        values = sorted({r[1] for r in rows})
        message = (
            f"{label}: {format_rows(lines, int(total), unit=unit)} share a value of "
            f"'{sources[col.name]}' with another row (e.g. {values[:3]}); each "
            f"{col.name} must appear once. Remove the duplicated rows in the export "
            f"{_DUPLICATE_ADVICE.get(spec.name, '')}".rstrip()
            + "."
        )
        found.append(
            Problem(
                spec.name,
                label,
                col.name,
                "duplicate",
                "error",
                int(total),
                lines,
                values,
                message,
            )
        )
    return found


def cross_file_duplicates(
    con: duckdb.DuckDBPyConnection, spec: TableSpec, parts: dict[str, str]
) -> list[Problem]:
    """Errors for a unique id (order, lead, account) found in more than one of a table's files.

    ``parts`` maps each typed part table (one per export of a ``data:`` list) to its file's
    name. Within one file, :func:`duplicate_problems` has already checked the id.

    Examples
    --------
    >>> from funnelkit.data.tables import TABLES
    >>> con = duckdb.connect()
    >>> _ = con.execute("CREATE TABLE a AS SELECT * FROM (VALUES ('o1'), ('o2')) t(order_id)")
    >>> _ = con.execute("CREATE TABLE b AS SELECT * FROM (VALUES ('o2'), ('o3')) t(order_id)")
    >>> found = cross_file_duplicates(con, TABLES["orders"], {"a": "shop.csv", "b": "app.csv"})
    >>> print(found[0].message)  # doctest: +NORMALIZE_WHITESPACE
    orders: 1 order_id value is in more than one file (e.g. 'o2' in shop.csv and app.csv);
    each order_id must appear once across the files of `data.orders`. Remove the rows from
    one export, or keep one of the files.
    """
    found = []
    for col in (c for c in spec.columns if c.unique):
        having = [part for part in parts if col.name in con.table(part).columns]
        if len(having) < 2:
            continue
        union = " UNION ALL ".join(
            f"SELECT DISTINCT {q(col.name)} AS v, {i} AS f FROM {part} WHERE {q(col.name)} "
            "IS NOT NULL"
            for i, part in enumerate(having)
        )
        rows = con.sql(
            f"SELECT CAST(v AS VARCHAR), list(f ORDER BY f), count(*) OVER () FROM ({union}) "
            "GROUP BY v HAVING count(*) > 1 ORDER BY min(f), 1 LIMIT 5"
        ).fetchall()
        if not rows:
            continue
        total = int(rows[0][2])
        value, files = rows[0][0], [parts[having[i]] for i in rows[0][1]]
        message = (
            f"{spec.name}: {total:,} {col.name} value{'s are' if total > 1 else ' is'} in more "
            f"than one file (e.g. '{value}' in {' and '.join(files)}); each {col.name} must "
            f"appear once across the files of `data.{spec.name}`. Remove the rows from one "
            "export, or keep one of the files."
        )
        found.append(
            Problem(
                spec.name,
                " + ".join(parts.values()),
                col.name,
                "duplicate",
                "error",
                total,
                [],
                [r[0] for r in rows],
                message,
            )
        )
    return found


def offset_notes(
    con: duckdb.DuckDBPyConnection,
    raw: str,
    spec: TableSpec,
    sources: dict[str, str],
    types: dict[str, str],
    label: str,
    *,
    timezone: str,
) -> list[Problem]:
    """Warnings for text time columns whose values carry more than one UTC offset.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        The connection holding the raw table.
    raw : str
        The raw table as read from the file.
    spec : TableSpec
        The canonical table's columns.
    sources : dict of str to str
        Canonical column -> the file's column, for the columns the file has.
    types : dict of str to str
        The file's column -> its DuckDB type in the raw table.
    label : str
        The file name shown in messages.
    timezone : str
        The client's time zone, which every time was converted to.

    Returns
    -------
    list of Problem
        One warning per time column mixing offsets ('Z', '+00', '+0000' and '+00:00' are one).
    """
    notes = []
    for col in (c for c in spec.columns if c.kind == "timestamp" and c.name in sources):
        src = sources[col.name]
        if types[src] != "VARCHAR":
            continue
        offset = offset_expression(src)
        # one spelling per offset: 'Z', '+00', '+0000' and '+00:00' are all UTC
        digits = f"replace({offset}, ':', '')"
        spelled = (
            f"CASE WHEN {offset} = 'Z' OR {digits} IN ('+00', '-00', '+0000', '-0000') "
            f"THEN '+00:00' ELSE substr({digits}, 1, 3) || ':' || "
            f"coalesce(nullif(substr({digits}, 4, 2), ''), '00') END"
        )
        offsets = con.sql(
            f"SELECT {spelled} AS o, count(*) FROM {raw} WHERE {offset} <> '' "
            "GROUP BY 1 ORDER BY 2 DESC, 1"
        ).fetchall()
        if len(offsets) > 1:
            seen = ", ".join(f"{o!r}: {n:,} rows" for o, n in offsets[:5])
            message = (
                f"{label}: column '{src}' mixes UTC offsets ({seen}); all were converted to "
                f"{timezone}. Expected around daylight-saving changes; "
                "otherwise check that the export uses one clock."
            )
            total = sum(n for _, n in offsets)
            notes.append(_warning(spec.name, label, col.name, "several_offsets", total, message))
    return notes


def table_warnings(
    con: duckdb.DuckDBPyConnection,
    name: str,
    spec: TableSpec,
    label: str,
    *,
    rows: int,
    period_sql: str,
    period: Period,
    timezone: str,
) -> list[Problem]:
    """Warnings about a loaded canonical table as a whole.

    An export with a header but no rows gets that warning alone; otherwise: no rows in the
    analysis period, rows dated more than a day in the future, the per-table patterns of
    ``_TABLE_RULES``, CRM leads whose stage dates run backwards, and the count rules of the
    social and e-mail tables (:func:`funnelkit.data.engagement.count_problems`, errors).

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        The connection holding the canonical table ``name``.
    name : str
        The canonical table.
    spec : TableSpec
        Its columns (``spec.time_column`` is the one the period applies to).
    label : str
        The file name shown in messages.
    rows : int
        Rows in the canonical table.
    period_sql : str
        SQL condition selecting the analysis period
        (:meth:`funnelkit.data.loader.Client.period_predicate`).
    period : Period
        The analysis period, named in the message.
    timezone : str
        The client's time zone (what "now" is).

    Returns
    -------
    list of Problem
        The warnings, in the order above.
    """
    if not rows:  # a header-only export: one warning says it all
        message = (
            f"{label}: has a header but no data rows, so the `{name}` table is empty (it has "
            f"no rows); analyses of `{name}` will be skipped. Export the data again, or "
            f"remove `data.{name}` from client.yaml."
        )
        return [_warning(name, label, spec.time_column, "no_rows", 0, message)]
    notes = []
    columns = list(con.table(name).columns)
    time_col = q(spec.time_column)
    dated = _count(con, f"SELECT count({time_col}) FROM {name}")  # 0: no time column (A/B rows)
    in_period = _count(con, f"SELECT count(*) FROM {name} WHERE {period_sql}")
    if dated and in_period == 0 and spec.periodic:
        lo, hi = con.sql(f"SELECT min({time_col}), max({time_col}) FROM {name}").fetchall()[0]
        span = f"its rows run from {lo} to {hi}" if lo is not None else "it has no rows"
        message = (
            f"{label}: no rows fall in the analysis period {period.start} – {period.end} "
            f"({span}); analyses of `{name}` will be skipped. Export the right dates or "
            "change `period` in client.yaml."
        )
        notes.append(_warning(name, label, spec.time_column, "empty_period", 0, message))
    now = datetime.now(ZoneInfo(timezone)).replace(tzinfo=None)
    future = _count(
        con,
        f"SELECT count(*) FROM {name} WHERE {time_col} > "
        f"TIMESTAMP '{now:%Y-%m-%d %H:%M:%S}' + INTERVAL 1 DAY",
    )
    if future:
        message = (
            f"{label}: {future:,} rows are dated more than a day in the future; check the "
            "export's time zone and date format."
        )
        notes.append(_warning(name, label, spec.time_column, "future", future, message))
    for column, check, query, text in _TABLE_RULES.get(name, ()):
        if column.startswith("!") and column[1:] in columns:  # "!x": only without column x
            continue
        if not column.startswith("!") and column not in columns:
            continue
        count = _count(con, query)
        if count:
            notes.append(
                _warning(name, label, column, check, count, text.format(label=label, count=count))
            )
    if name == "leads":
        stages = [c for c in ("created_at", "mql_at", "sql_at", "won_at") if c in columns]
        for earlier, later in itertools.pairwise(stages):
            bad = _count(con, f"SELECT count(*) FROM leads WHERE {later} < {earlier}")
            if bad:
                message = (
                    f"{label}: {bad:,} leads reached {later} before {earlier}; check the CRM "
                    "export (stage dates may have been overwritten)."
                )
                notes.append(_warning(name, label, later, "stage_order", bad, message))
    return notes + count_problems(con, name, label)


def _count(con: duckdb.DuckDBPyConnection, query: str) -> int:
    return int(con.sql(query).fetchall()[0][0] or 0)


def _warning(table: str, label: str, column: str, check: str, rows: int, message: str) -> Problem:
    return Problem(table, label, column, check, "warning", int(rows), [], [], message)


# Suspicious-but-usable patterns per table: (column, check, count query, message template); a
# rule runs when the table has the column ("!x": when it lacks column x).
_TABLE_RULES: dict[str, tuple[tuple[str, str, str, str], ...]] = {
    "events": (
        (
            "event",
            "repeated_events",
            "SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n FROM events "
            "GROUP BY user_id, timestamp, event HAVING count(*) > 1)",
            "{label}: {count:,} events repeat another event of the same user at the same "
            "second; funnels count them once, volumes count them all.",
        ),
    ),
    "assignments": (
        (
            "variant",
            "several_variants",
            "SELECT count(*) FROM (SELECT 1 FROM assignments GROUP BY experiment, user_id "
            "HAVING count(DISTINCT variant) > 1)",
            "{label}: {count:,} users were assigned to more than one variant of the same "
            "experiment; the A/B analysis excludes them and reports how many.",
        ),
    ),
    "spend": (
        (
            "!campaign",
            "repeated_days",
            "SELECT count(*) FROM (SELECT 1 FROM spend GROUP BY date, channel HAVING count(*) > 1)",
            "{label}: {count:,} day-and-channel pairs appear on several rows; they are summed "
            "(fine if they are separate campaigns).",
        ),
        (
            "campaign",
            "repeated_days",
            "SELECT count(*) FROM (SELECT 1 FROM spend GROUP BY date, channel, campaign "
            "HAVING count(*) > 1)",
            "{label}: {count:,} day, channel and campaign combinations appear on several rows; "
            "they are summed (check that the report was not exported twice).",
        ),
    ),
}
