"""Load a client's exports into canonical, validated tables in an embedded DuckDB.

Files are scanned where they lie (CSV and Parquet through DuckDB, Excel through pandas); each
table is validated in SQL and exposed under its canonical name (``events``, ``orders`` …) in the
client's DuckDB connection, so analyses run as set-based queries and only aggregates reach
pandas. Parquet sources stay views over the file; text sources are parsed once into a table.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd

from ..core.errors import DataError
from .account_refs import ACCOUNT_TABLES, account_warnings, reference_problems
from .adapters import find_adapter
from .config import ClientConfig, TableSource
from .deals import join_deals
from .engagement import email_click_events
from .findings import cross_file_duplicates, duplicate_problems, offset_notes, table_warnings
from .formats import Layout, layout_of
from .renames import rename_channels
from .sources import connect, create_raw, detect_format, read_error
from .tables import TABLES, ColumnSpec
from .validate import (
    Problem,
    column_checks,
    column_values,
    parse_expression,
    q,
    run_checks,
)

__all__ = ["ASSIGNMENT_COLUMNS_TABLE", "Client", "load_tables"]


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
        configured = config.tables()  # engine-held tables (``engine.tables``) have no file
        self._sources: dict[str, Path] = {
            t: config.table_path(t) for t in self.row_counts if t in configured
        }
        self._labels: dict[str, str] = {}

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
        """The (first) export the table was read from (for an engine-held table, its name there)."""
        self._require(table)
        if table not in self._sources:
            return Path(self.config.engine.tables[table])
        return self._sources[table]

    def source_files(self, table: str) -> list[Path]:
        """Every export the table was read from (several when ``data.<table>`` is a list)."""
        self._require(table)
        if table not in self._sources:
            return [self.source(table)]
        return [self.config.source_path(s) for s in self.config.tables()[table]]

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
    def _load_table(self, name: str, sources: list[TableSource]) -> list[Problem]:
        """Load one canonical table from its export, or from several exports appended."""
        if len(sources) == 1:
            problems = self._load(name, sources[0], target=name)
        else:
            problems = self._load_parts(name, sources)
        if any(p.severity == "error" for p in problems):
            return problems
        label = self._labels[name]
        self.row_counts[name] = int(self.con.sql(f"SELECT count(*) FROM {name}").fetchall()[0][0])
        self._sources[name] = self.config.source_path(sources[0])
        if name == "accounts":
            has_target = "target" in self.con.table(name).columns
            problems += account_warnings(self.con, label, has_target=has_target)
        return problems + table_warnings(
            self.con,
            name,
            TABLES[name],
            label,
            rows=self.row_counts[name],
            period_sql=self.period_predicate(name),
            period=self.config.period,
            timezone=self.config.timezone,
        )

    def _load_parts(self, name: str, sources: list[TableSource]) -> list[Problem]:
        """Load each export into a part of its own, then append the parts into ``name``.

        Each file is checked as if it were the only one (its lines, its layout); then a unique
        id in two files is an error naming both. The parts share the canonical columns, so
        one export lacking an optional column (a campaign) leaves it empty on its rows.
        """
        parts = [(f"{name}__part{i}", source) for i, source in enumerate(sources, start=1)]
        problems: list[Problem] = []
        for part, source in parts:
            problems += self._load(name, source, target=part)
        labels = [self._labels.pop(part) for part, _ in parts if part in self._labels]
        if not any(p.severity == "error" for p in problems):
            problems += cross_file_duplicates(
                self.con, TABLES[name], dict(zip([p for p, _ in parts], labels, strict=True))
            )
        if not any(p.severity == "error" for p in problems):
            union = " UNION ALL BY NAME ".join(f"SELECT * FROM {part}" for part, _ in parts)
            present = set(self.con.sql(union).columns)
            columns = ", ".join(q(c) for c in TABLES[name].names if c in present)
            self.con.execute(f"CREATE TABLE {name} AS SELECT {columns} FROM ({union})")
            self._labels[name] = " + ".join(labels)
        for part, _ in parts:
            self.con.execute(f"DROP TABLE IF EXISTS {part}")
        return problems

    def _load(self, name: str, source: TableSource, *, target: str) -> list[Problem]:
        """Read, check and store one export of table ``name`` as the typed table ``target``."""
        spec = TABLES[name]
        path = self.config.source_path(source)
        raw, key = f"raw_{target}", f"data.{name}"
        adapter = find_adapter(source.format)
        if adapter is not None:  # a vendor export: the adapter names the columns canonically
            scan = adapter.build_raw(
                self.con, raw, path, source, table=name, currency=self.config.currency
            )
            fmt = "parquet" if scan.relation == "view" else "adapter"
        else:
            fmt = detect_format(path, source.format)
            scan = create_raw(self.con, raw, path, fmt, source, table=name)
        if any(p.severity == "error" for p in scan.problems):  # lines after a bad one shift
            self.con.execute(f"DROP {'VIEW' if fmt == 'parquet' else 'TABLE'} IF EXISTS {raw}")
            return scan.problems
        line_offset, unit, label = scan.line_offset, scan.unit, scan.label or path.name
        if scan.layout:
            source = source.model_copy(update=scan.layout)
        layout = layout_of(
            source, key=key, timezone=self.config.timezone, currency=self.config.currency
        )
        deal_columns: dict[str, str] = {}
        if name == "leads" and self.config.data.deals is not None:  # won_at, value: data.deals
            joined = join_deals(self.con, raw, self.config, source, layout, fmt=fmt)
            if any(p.severity == "error" for p in joined.problems):
                return scan.problems + joined.problems
            raw, deal_columns = joined.raw, joined.columns
            scan.problems += joined.problems
        types = dict(
            zip(self.con.table(raw).columns, map(str, self.con.table(raw).dtypes), strict=True)
        )
        renamed = {} if adapter is not None else source.columns  # adapters rename themselves
        sources = {c.name: renamed.get(c.name, c.name) for c in spec.columns}
        sources = {canon: src for canon, src in sources.items() if src in types}
        sources |= deal_columns
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
                file_label=label,
                column_sources=sources,
                line_offset=line_offset,
                unit=unit,
                values=values,
            )
            problems += duplicate_problems(self.con, raw, spec, sources, label, line_offset, unit)
            problems += offset_notes(
                self.con, raw, spec, sources, types, label, timezone=self.config.timezone
            )
            if name in ACCOUNT_TABLES and "account_id" in sources:
                src = sources["account_id"]
                problems += reference_problems(
                    self.con, raw, table=name, column=src, label=label, unit=unit,
                    expression=parse_expression(src, types[src], spec.column("account_id"), layout),
                    line_offset=line_offset, accounts_loaded="accounts" in self.row_counts,
                )  # fmt: skip
            if any(p.severity == "error" for p in problems):
                return problems
            select = ", ".join(
                f"{_stored(src, types[src], spec.column(canon), layout)} AS {q(canon)}"
                for canon, src in sources.items()
            )
            if name == "accounts" and "created_at" not in sources:  # dated like every table
                select += ", CAST(NULL AS TIMESTAMP) AS created_at"
            if name == "assignments":
                select += _absent_assignment_columns(sources)
                _store_assignment_columns(self.con, raw, spec.names, sources, types)
            self._store(target, select, raw=raw, fmt=fmt)
        except duckdb.Error as err:
            raise read_error(label, adapter.vendor if adapter else fmt, err, key) from err
        self._labels[target] = label
        return problems

    def _store(self, name: str, select: str, *, raw: str, fmt: str) -> None:
        """Keep one validated, typed canonical table in the connection's database, in file order.

        Parquet sources are copied too: a typed DuckDB table answers the chapters' queries
        several times faster than re-parsing the file's text columns at every scan.
        """
        self.con.execute(f"CREATE TABLE {name} AS SELECT {select} FROM {raw}")
        self.con.execute(f"DROP {'VIEW' if fmt == 'parquet' else 'TABLE'} {raw}")


#: Canonical SQL types of the assignment columns that may be absent from the file.
_ABSENT_ASSIGNMENT_COLUMNS = {"experiment": "VARCHAR", "assigned_at": "TIMESTAMP"}
#: The table holding the assignments file's other columns, row for row (see below).
ASSIGNMENT_COLUMNS_TABLE = "assignment_columns"


def _absent_assignment_columns(sources: dict[str, str]) -> str:
    """SQL selecting the optional assignment columns the file lacks, as NULL."""
    return "".join(
        f", CAST(NULL AS {sql_type}) AS {q(canon)}"
        for canon, sql_type in _ABSENT_ASSIGNMENT_COLUMNS.items()
        if canon not in sources
    )


def _store_assignment_columns(
    con: duckdb.DuckDBPyConnection,
    raw: str,
    names: list[str],
    sources: dict[str, str],
    types: dict[str, str],
) -> None:
    """Keep the assignments file's non-canonical columns, as they are, in their own table.

    An experiment's ``outcomes`` and ``segments`` are read from them (and checked when it is
    analysed: :mod:`funnelkit.data.experiment_data`). The table has the rows of
    ``assignments`` in the same order (both are written from one scan of the file), so the
    two are put side by side with a ``POSITIONAL JOIN``; ``assignments`` itself keeps only the
    canonical columns every chapter expects.
    """
    used = set(sources.values())
    extra = [c for c in types if not c.startswith("__") and c not in used and c not in names]
    con.execute(f"DROP TABLE IF EXISTS {ASSIGNMENT_COLUMNS_TABLE}")
    if extra:
        columns = ", ".join(q(c) for c in extra)
        con.execute(f"CREATE TABLE {ASSIGNMENT_COLUMNS_TABLE} AS SELECT {columns} FROM {raw}")


def _stored(source: str, raw_type: str, spec: ColumnSpec, layout: Layout) -> str:
    """What the canonical table keeps: the parsed value; a yes/no flag left empty is no."""
    expression = parse_expression(source, raw_type, spec, layout)
    return f"COALESCE({expression}, FALSE)" if spec.kind == "flag" else expression


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
    ['events', 'orders', 'spend', 'leads', 'nps', 'social', 'email', 'accounts', 'assignments']
    """
    loaded = Client(config, con)
    errors: list[Problem] = []
    # accounts first: the account_id of leads, orders and events is checked against it
    for name, sources in sorted(config.tables().items(), key=lambda item: item[0] != "accounts"):
        problems = loaded._load_table(name, sources)
        errors += [p for p in problems if p.severity == "error"]
        loaded.problems += [p for p in problems if p.severity != "error"]
    if not errors:  # the steps that need every table: one name per channel, e-mail clicks
        loaded.problems += rename_channels(loaded) + email_click_events(loaded)
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
