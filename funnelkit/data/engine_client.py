"""A client whose big tables stay on an engine: the chapters' queries go where the data are.

A client with ``engine: {name: spark, tables: {events: /lake/events/}}`` keeps its events on
Spark (or ClickHouse, ``name: clickhouse``); its other tables (orders, spend, leads …) are read
from ``data:`` and prepared in DuckDB as for any client. :func:`open_on_engine` gives the
chapters the usual :class:`~funnelkit.data.loader.Client`, over an
:class:`~funnelkit.core.engines.connection.EngineConnection`: a query that reads an
engine-held table runs on the engine (the same DuckDB-dialect SQL, rewritten by sqlglot), any
other query on DuckDB. Only results come back.

Before any chapter, each engine-held table is checked (its canonical columns and their types),
and the steps the loader runs after loading (one name per channel, e-mail clicks as events) are
applied to the session's view of it — the table itself is never written. The loader's warnings
(rows outside the period or in the future, repeated events, users in several variants …) are
computed on the engine once per run, before any chapter, and kept beside the prepared data for
the chapters (:func:`engine_warnings`).
"""

from __future__ import annotations

import atexit
import contextlib
import json
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..core.engines.connection import EngineConnection
from ..core.errors import ConfigError, DataError
from .account_refs import engine_reference_problems
from .adapters.ga4 import untracked_problem
from .adapters.ga4_engine import untracked_sql
from .engagement import email_click_events
from .engines import export_name, open_engine
from .findings import table_warnings
from .loader import Client
from .renames import rename_channels
from .tables import TABLES
from .validate import Problem

if TYPE_CHECKING:
    import duckdb

    from .config import ClientConfig

__all__ = ["ENGINES_WITH_CHAPTERS", "check_on_engine", "engine_warnings", "open_on_engine"]

#: Engines the chapters run on (the funnel alone runs on the others: see docs/scale.md).
ENGINES_WITH_CHAPTERS = ("spark", "clickhouse", "bigquery")
#: The DuckDB types each canonical kind may have on an engine.
_KINDS = {
    "timestamp": ("TIMESTAMP", "TIMESTAMP WITH TIME ZONE", "DATE"),
    "date": ("DATE", "TIMESTAMP"),
    "number": ("DOUBLE", "FLOAT", "BIGINT", "INTEGER", "SMALLINT", "TINYINT", "DECIMAL"),
    "integer": ("BIGINT", "INTEGER", "SMALLINT", "TINYINT"),
    "id": ("VARCHAR",),
    "text": ("VARCHAR",),
    "flag": ("BOOLEAN",),
}


def open_on_engine(
    config: ClientConfig,
    local: duckdb.DuckDBPyConnection,
    *,
    row_counts: dict[str, int],
    problems: list[Problem],
    warnings_file: Path | None = None,
    refresh_warnings: bool = False,
) -> Client:
    """The client with its ``engine.tables`` on the engine and its other tables in ``local``.

    The engine-held tables' warnings are read from ``warnings_file`` when it exists (written
    by this run's check before any chapter), else computed on the engine and written there;
    ``refresh_warnings`` computes them anew (``funnelkit run`` and ``check`` do, once).

    Raises
    ------
    ConfigError
        The engine cannot run the chapters yet, cannot be reached, or its extra is missing.
    DataError
        An engine-held table lacks a canonical column or has one of the wrong type.
    """
    if config.engine.name not in ENGINES_WITH_CHAPTERS:
        raise ConfigError(
            f"engine: {config.engine.name}: the report's chapters run on "
            f"{', '.join(ENGINES_WITH_CHAPTERS)} (and DuckDB) so far; on {config.engine.name} "
            "the funnel runs through funnelkit.funnel.remote.remote_funnel (docs/scale.md). "
            "Run the report on spark, or on DuckDB with the tables exported to the client folder."
        )
    engine, refs = open_engine(config)
    atexit.register(engine.close)  # before the JVM's own shutdown hooks race to clean up
    con = EngineConnection(engine, local, remote=refs)
    counts = {}
    for table in refs:
        _check_columns(con, table, ref=config.engine.tables[table], engine=config.engine.name)
        counts[table] = int(con.sql(f"SELECT count(*) FROM {table}").fetchall()[0][0])
    client = Client(config, con, row_counts={**row_counts, **counts}, problems=list(problems))
    client.problems += _warnings(client, warnings_file, refresh=refresh_warnings)
    client.problems += rename_channels(client) + email_click_events(client)
    return client


def engine_warnings(client: Client) -> list[Problem]:
    """The loader's warnings about each engine-held table, its queries run on the engine.

    The same checks as for a file (:func:`~funnelkit.data.findings.table_warnings`); the
    messages name the table as ``engine.tables`` does (the file name of a path).
    """
    found: list[Problem] = []
    accounts_loaded = "accounts" in client.row_counts
    for table, ref in client.config.engine.tables.items():
        label = Path(ref).name or ref
        found += table_warnings(
            client.con, table, TABLES[table], label,
            rows=client.row_counts[table], period_sql=client.period_predicate(table),
            period=client.config.period, timezone=client.config.timezone,
        )  # fmt: skip
        found += engine_reference_problems(
            client.con, table, label=label, accounts_loaded=accounts_loaded
        )
        if table == "orders" and table in client.config.engine.exports:  # a GA4 export
            found += _untracked_purchases(client.con.engine, label)
    return found


def _untracked_purchases(engine: Any, label: str) -> list[Problem]:
    """The GA4 export's purchases without a transaction id: not orders, counted in a warning."""
    raw = export_name("orders")
    counted = engine.query(untracked_sql(engine.nested_schema(raw), source=raw)).iloc[0]
    revenue = None if pd.isna(counted["revenue"]) else float(counted["revenue"])
    return untracked_problem(label, int(counted["n"]), revenue, [])


def _warnings(client: Client, path: Path | None, *, refresh: bool) -> list[Problem]:
    """The engine tables' warnings: kept from this run's check, or computed (and kept)."""
    if path is not None and path.is_file() and not refresh:
        try:
            return [Problem(**p) for p in json.loads(path.read_text(encoding="utf-8"))]
        except (OSError, ValueError, TypeError):
            pass  # unreadable: computed again below
    found = engine_warnings(client)
    if path is not None:
        with contextlib.suppress(OSError):  # a read-only cache: the chapters compute them
            path.write_text(json.dumps([asdict(p) for p in found]), encoding="utf-8")
    return found


def check_on_engine(open_client: Callable[..., Client]) -> tuple[dict[str, int], list[Problem]]:
    """Open the client on its engine once, before any chapter: rows and warnings of its tables.

    ``funnelkit run`` and ``check`` call it so that an unreachable engine or a table without
    its canonical columns stops the run (exit 2) before a notebook starts. It computes the
    engine tables' warnings anew (``open_client(refresh_warnings=True)``), kept for the
    chapters, and returns them with the rows of each engine-held table.

    Raises
    ------
    DataError
        A table on the engine breaks a rule a file would be refused for (an order or a lead
        naming an account the accounts file lacks): every such problem, before any chapter.
    """
    client = open_client(refresh_warnings=True)
    try:
        held = {t: client.row_counts[t] for t in client.config.engine.tables}
        found = [p for p in client.problems if p.table in held]
    finally:
        client.con.close()
    errors = [p for p in found if p.severity == "error"]
    if errors:
        raise DataError(
            f"{len(errors)} problem(s) in {client.config.client}'s tables on "
            f"{client.config.engine.name}; no chapter was run:\n- "
            + "\n- ".join(p.message for p in errors),
            table=errors[0].table,
            problems=[p.message for p in errors],
        )
    return held, found


def _check_columns(con: EngineConnection, table: str, *, ref: str, engine: str) -> None:
    """Every required canonical column is there, and every canonical column has a usable type."""
    if table not in TABLES:
        raise ConfigError(
            f"engine.tables names {table!r}, which is not a canonical table; use one of "
            f"{list(TABLES)}."
        )
    spec = TABLES[table]
    present = dict(zip(con.table(table).columns, con.table(table).types, strict=True))
    missing = [c for c in spec.required if c not in present]
    wrong = [
        f"{c.name} is {present[c.name]} (expected {' or '.join(_KINDS[c.kind])})"
        for c in spec.columns
        if c.name in present and not present[c.name].startswith(_KINDS.get(c.kind, ("",)))
    ]
    if missing or wrong:
        what = []
        if missing:
            what.append(f"lacks the column(s) {missing} (it has {list(present)})")
        if wrong:
            what.append("has " + "; ".join(wrong))
        raise DataError(
            f"{table} on {engine} ({ref}) {' and '.join(what)}. Tables on an engine are read as "
            "they are, with the canonical column names and types: make a view there that "
            f"renames and casts them (docs/data.md lists the columns of {table}), and name that "
            "view in engine.tables.",
            table=table,
        )
