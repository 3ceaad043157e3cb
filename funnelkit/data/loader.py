"""Load a client's exports into canonical, validated tables in an embedded DuckDB.

Files are scanned where they lie (CSV and Parquet through DuckDB, Excel through pandas); each
table is validated in SQL and exposed under its canonical name (``events``, ``orders`` …) in the
client's DuckDB connection, so analyses run as set-based queries and only aggregates reach
pandas. Parquet sources stay views over the file; text sources are parsed once into a table.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd

from ..core.errors import DataError, format_rows
from ..core.sql import text_value
from .config import ClientConfig, TableSource
from .formats import layout_of
from .sources import connect, create_raw, detect_format, read_error
from .tables import TABLES, TableSpec
from .validate import (
    Problem,
    column_checks,
    column_values,
    offset_expression,
    parse_expression,
    q,
    run_checks,
)

__all__ = ["Client", "load_tables"]


class Client:
    """A client's validated tables in an in-process DuckDB, plus what the loader noticed.

    Create it with :func:`load_client`. Canonical tables are queryable by name in
    :meth:`sql`; :meth:`frame` brings a (small) table into pandas.
    """

    def __init__(
        self,
        config: ClientConfig,
        con: duckdb.DuckDBPyConnection | None = None,
        *,
        row_counts: dict[str, int] | None = None,
        problems: list[Problem] | None = None,
    ) -> None:
        self.config = config
        self.con = con if con is not None else connect()
        self.problems: list[Problem] = list(problems or [])
        self.row_counts: dict[str, int] = dict(row_counts or {})
        self._sources: dict[str, Path] = {t: config.table_path(t) for t in self.row_counts}

    # -- the public, read-only surface used by notebooks -------------------------------------
    @property
    def name(self) -> str:
        return self.config.client

    @property
    def tables(self) -> list[str]:
        """Canonical tables this client has, in canonical order."""
        return [t for t in TABLES if t in self.row_counts]

    def has(self, table: str, *columns: str) -> bool:
        """Whether the table is present (and has every given column)."""
        return table in self.row_counts and all(c in self.columns(table) for c in columns)

    def columns(self, table: str) -> list[str]:
        self._require(table)
        return list(self.con.table(table).columns)

    def table(self, table: str) -> duckdb.DuckDBPyRelation:
        """The canonical table as a DuckDB relation (lazy; nothing is read yet)."""
        self._require(table)
        return self.con.table(table)

    def frame(self, table: str) -> pd.DataFrame:
        """The canonical table in pandas; meant for the small tables (spend, NPS, leads)."""
        return self.table(table).df()

    def sql(self, query: str, params: list | None = None) -> pd.DataFrame:
        """Run SQL against the canonical tables and return the (aggregated) result."""
        return self.con.sql(query, params=params or None).df()

    def source(self, table: str) -> Path:
        self._require(table)
        return self._sources[table]

    def period_predicate(self, table: str, *, previous: bool = False) -> str:
        """SQL condition selecting the analysis period (or the equal-length one before it)."""
        spec = TABLES[table]
        start = datetime.combine(self.config.period.start, datetime.min.time())
        end = start + timedelta(days=self.config.period.days)
        if previous:
            start, end = start - timedelta(days=self.config.period.days), start
        col = q(spec.time_column)
        return (
            f"{col} >= TIMESTAMP '{start:%Y-%m-%d %H:%M:%S}' "
            f"AND {col} < TIMESTAMP '{end:%Y-%m-%d %H:%M:%S}'"
        )

    def issues(self) -> pd.DataFrame:
        """What the loader found suspicious, one row per finding.

        Columns: table, file, column, check, severity, rows, example_lines, examples, message.
        """
        columns = [
            "table",
            "file",
            "column",
            "check",
            "severity",
            "rows",
            "example_lines",
            "examples",
            "message",
        ]
        return pd.DataFrame([asdict(p) for p in self.problems], columns=columns)

    def _require(self, table: str) -> None:
        if table not in TABLES:
            raise DataError(f"Unknown table {table!r}; the canonical tables are {list(TABLES)}.")
        if table not in self.row_counts:
            raise DataError(
                f"{self.config.client}: no `{table}` table is configured; add `data.{table}` to "
                f"client.yaml to unlock this analysis (see docs/data.md for its columns).",
                table=table,
            )

    # -- loading -----------------------------------------------------------------------------
    def _load(self, name: str, source: TableSource) -> list[Problem]:
        spec = TABLES[name]
        path = self.config.table_path(name)
        fmt = detect_format(path, source.format)
        raw, key = f"raw_{name}", f"data.{name}"
        scan = create_raw(self.con, raw, path, fmt, source, table=name)
        if any(p.severity == "error" for p in scan.problems):  # lines after a bad one shift
            self.con.execute(f"DROP TABLE IF EXISTS {raw}")
            return scan.problems
        line_offset, unit = scan.line_offset, scan.unit
        layout = layout_of(
            source, key=key, timezone=self.config.timezone, currency=self.config.currency
        )
        types = dict(
            zip(self.con.table(raw).columns, map(str, self.con.table(raw).dtypes), strict=True)
        )
        sources = {c.name: source.columns.get(c.name, c.name) for c in spec.columns}
        sources = {canon: src for canon, src in sources.items() if src in types}
        checks, values = [], {}
        for canon, src in sources.items():
            checks += column_checks(src, types[src], spec.column(canon), layout)
            values |= column_values(src, types[src], spec.column(canon), layout)
        try:  # a Parquet file damaged after its footer fails here, at the first full scan
            problems = scan.problems + run_checks(
                self.con,
                raw,
                checks,
                table=name,
                file_label=path.name,
                column_sources=sources,
                line_offset=line_offset,
                unit=unit,
                values=values,
            )
            problems += self._duplicates(raw, spec, sources, path.name, line_offset, unit)
            problems += self._offset_note(raw, spec, sources, types, path.name)
            if any(p.severity == "error" for p in problems):
                return problems
            select = ", ".join(
                f"{parse_expression(src, types[src], spec.column(canon), layout)} AS {q(canon)}"
                for canon, src in sources.items()
            )
            self._store(name, select, raw=raw, fmt=fmt)
        except duckdb.Error as err:
            raise read_error(path.name, fmt, err, key) from err
        self.row_counts[name] = int(self.con.sql(f"SELECT count(*) FROM {name}").fetchall()[0][0])
        self._sources[name] = path
        return problems + self._table_warnings(name, spec, path.name)

    def _store(self, name: str, select: str, *, raw: str, fmt: str) -> None:
        """Keep one validated, typed canonical table in the connection's database, in file order.

        Parquet sources are copied too: a typed DuckDB table answers the chapters' queries
        several times faster than re-parsing the file's text columns at every scan.
        """
        self.con.execute(f"CREATE TABLE {name} AS SELECT {select} FROM {raw}")
        self.con.execute(f"DROP {'VIEW' if fmt == 'parquet' else 'TABLE'} {raw}")

    def _duplicates(
        self,
        raw: str,
        spec: TableSpec,
        sources: dict[str, str],
        label: str,
        line_offset: int,
        unit: str,
    ) -> list[Problem]:
        found = []
        for col in (c for c in spec.columns if c.unique and c.name in sources):
            src = text_value(q(sources[col.name]), col.kind)  # as the canonical table will hold it
            dup = f"SELECT {src} FROM {raw} WHERE {src} IS NOT NULL GROUP BY 1 HAVING count(*) > 1"
            total = self._count(f"SELECT count(*) FROM {raw} WHERE {src} IN ({dup})")
            if not total:
                continue
            rows = self.con.sql(
                f"SELECT __row + {line_offset}, CAST({src} AS VARCHAR) FROM {raw} "
                f"WHERE {src} IN ({dup}) ORDER BY __row LIMIT 5"
            ).fetchall()
            lines = [int(r[0]) for r in rows]
            values = sorted({r[1] for r in rows})
            message = (
                f"{label}: {format_rows(lines, int(total), unit=unit)} share a value of "
                f"'{sources[col.name]}' with another row (e.g. {values[:3]}); each "
                f"{col.name} must appear once. Remove the duplicated rows in the export "
                "(if they are order lines, aggregate them to one row per order)."
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

    def _offset_note(
        self, raw: str, spec: TableSpec, sources: dict[str, str], types: dict[str, str], label: str
    ) -> list[Problem]:
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
            offsets = self.con.sql(
                f"SELECT {spelled} AS o, count(*) FROM {raw} WHERE {offset} <> '' "
                "GROUP BY 1 ORDER BY 2 DESC, 1"
            ).fetchall()
            if len(offsets) > 1:
                seen = ", ".join(f"{o!r}: {n:,} rows" for o, n in offsets[:5])
                message = (
                    f"{label}: column '{src}' mixes UTC offsets ({seen}); all were converted to "
                    f"{self.config.timezone}. Expected around daylight-saving changes; "
                    "otherwise check that the export uses one clock."
                )
                total = sum(n for _, n in offsets)
                notes.append(
                    _warning(spec.name, label, col.name, "several_offsets", total, message)
                )
        return notes

    def _count(self, query: str) -> int:
        return int(self.con.sql(query).fetchall()[0][0] or 0)

    def _table_warnings(self, name: str, spec: TableSpec, label: str) -> list[Problem]:
        if not self.row_counts[name]:  # a header-only export: one warning says it all
            message = (
                f"{label}: has a header but no data rows, so the `{name}` table is empty (it has "
                f"no rows); analyses of `{name}` will be skipped. Export the data again, or "
                f"remove `data.{name}` from client.yaml."
            )
            return [_warning(name, label, spec.time_column, "no_rows", 0, message)]
        notes = []
        time_col = q(spec.time_column)
        in_period = self._count(f"SELECT count(*) FROM {name} WHERE {self.period_predicate(name)}")
        if in_period == 0:
            lo, hi = self.con.sql(
                f"SELECT min({time_col}), max({time_col}) FROM {name}"
            ).fetchall()[0]
            span = f"its rows run from {lo} to {hi}" if lo is not None else "it has no rows"
            period = self.config.period
            message = (
                f"{label}: no rows fall in the analysis period {period.start} – {period.end} "
                f"({span}); analyses of `{name}` will be skipped. Export the right dates or "
                "change `period` in client.yaml."
            )
            notes.append(_warning(name, label, spec.time_column, "empty_period", 0, message))
        now = datetime.now(ZoneInfo(self.config.timezone)).replace(tzinfo=None)
        future = self._count(
            f"SELECT count(*) FROM {name} WHERE {time_col} > "
            f"TIMESTAMP '{now:%Y-%m-%d %H:%M:%S}' + INTERVAL 1 DAY"
        )
        if future:
            message = (
                f"{label}: {future:,} rows are dated more than a day in the future; check the "
                "export's time zone and date format."
            )
            notes.append(_warning(name, label, spec.time_column, "future", future, message))
        for column, check, query, text in _TABLE_RULES.get(name, ()):
            if column not in self.columns(name):
                continue
            count = self._count(query)
            if count:
                notes.append(
                    _warning(
                        name, label, column, check, count, text.format(label=label, count=count)
                    )
                )
        if name == "leads":
            cols = self.columns("leads")
            stages = [c for c in ("created_at", "mql_at", "sql_at", "won_at") if c in cols]
            for earlier, later in itertools.pairwise(stages):
                bad = self._count(f"SELECT count(*) FROM leads WHERE {later} < {earlier}")
                if bad:
                    message = (
                        f"{label}: {bad:,} leads reached {later} before {earlier}; check the CRM "
                        "export (stage dates may have been overwritten)."
                    )
                    notes.append(_warning(name, label, later, "stage_order", bad, message))
        return notes


def _warning(table: str, label: str, column: str, check: str, rows: int, message: str) -> Problem:
    return Problem(table, label, column, check, "warning", int(rows), [], [], message)


# Suspicious-but-usable patterns per table: (column, check, count query, message template).
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
            "channel",
            "repeated_days",
            "SELECT count(*) FROM (SELECT 1 FROM spend GROUP BY date, channel HAVING count(*) > 1)",
            "{label}: {count:,} day-and-channel pairs appear on several rows; they are summed "
            "(fine if they are separate campaigns).",
        ),
    ),
}


def load_tables(config: ClientConfig, con: duckdb.DuckDBPyConnection | None = None) -> Client:
    """Validate every configured table of ``config`` into ``con`` and return the client.

    This is the loader itself: one scan per table, every rule checked in SQL, the typed
    canonical tables written into ``con`` (in memory by default). Runs and notebooks go through
    :func:`funnelkit.data.prepare.load_client`, which keeps the result in a cached database file.

    Raises
    ------
    DataError
        A table breaks a rule; the message lists every problem of every table with the file,
        column, number of rows, example lines and the fix. Nothing is dropped silently.

    Examples
    --------
    >>> from funnelkit.data.config import load_config
    >>> load_tables(load_config()).tables
    ['events', 'orders', 'spend', 'leads', 'nps', 'assignments']
    """
    loaded = Client(config, con)
    errors: list[Problem] = []
    for name, source in config.tables().items():
        problems = loaded._load(name, source)
        errors += [p for p in problems if p.severity == "error"]
        loaded.problems += [p for p in problems if p.severity != "error"]
    if errors:
        first = errors[0]
        raise DataError(
            f"{len(errors)} problem(s) in {config.client}'s data; nothing was loaded:\n- "
            + "\n- ".join(p.message for p in errors),
            table=first.table,
            file=first.file,
            column=first.column,
            row_count=first.rows,
            example_rows=first.example_lines,
            problems=[p.message for p in errors],
        )
    return loaded
