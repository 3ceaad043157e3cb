"""Data health: what each table holds, how complete it is, and what the loader noticed.

Every function takes a loaded :class:`~funnelkit.data.loader.Client` and returns a tidy DataFrame
computed in DuckDB (only aggregates reach pandas), for the ``00_data_health`` notebook.
"""

from __future__ import annotations

import pandas as pd

from .core.patterns import match_names
from .data.loader import Client
from .data.tables import TABLES
from .data.validate import q
from .metrics import memo, shared

__all__ = [
    "DUPLICATE_KEYS",
    "config_checks",
    "daily_volume",
    "duplicate_rows",
    "event_counts",
    "health_results",
    "missing_values",
    "table_overview",
]

#: What makes a row a duplicate in each table (exact repeats of these columns).
DUPLICATE_KEYS: dict[str, tuple[str, ...]] = {
    "events": ("user_id", "timestamp", "event"),
    "orders": ("order_id",),
    "spend": ("date", "channel", "campaign"),  # campaign where the export has it
    "leads": ("lead_id",),
    "nps": ("respondent_id", "timestamp"),
    "social": ("date", "network", "post_id"),  # post_id where the export has posts
    "email": ("campaign", "sent_at", "user_id"),  # user_id where rows are per recipient
    "accounts": ("account_id",),
    "assignments": ("user_id", "experiment"),
}
_ID_COLUMN = {"events": "user_id", "orders": "customer_id", "spend": "channel",
              "leads": "lead_id", "nps": "respondent_id", "social": "network",
              "email": "campaign", "accounts": "account_id", "assignments": "user_id"}  # fmt: skip


def _row(client: Client, sql: str) -> tuple:
    """The first row of a query, run once per client (the summary, tables and results ask)."""
    return memo.remember(client, ("health", sql), lambda: client.con.sql(sql).fetchall()[0])


def table_overview(client: Client) -> pd.DataFrame:
    """One row per configured table: size, date range, and rows in the analysis period.

    Returns
    -------
    pandas.DataFrame
        Columns: table, file, rows, distinct_ids (users, customers, leads … as named in
        ``id_column``), id_column, first, last, days_covered, rows_in_period,
        rows_in_previous_period, optional_columns_missing.

    Examples
    --------
    >>> from funnelkit import load_client
    >>> overview = table_overview(load_client(emit_warnings=False))
    >>> overview[["table", "rows"]].head(2).to_string(index=False)  # doctest: +SKIP
    """
    rows = []
    for name in client.tables:
        spec = TABLES[name]
        time_col = q(spec.time_column)
        id_col = _ID_COLUMN[name]
        first, last, ids, now, before = _row(
            client,
            f"SELECT min({time_col}), max({time_col}), count(DISTINCT {q(id_col)}), "
            f"count_if({client.period_predicate(name)}), "
            f"count_if({client.period_predicate(name, previous=True)}) FROM {name}",
        )
        present = client.columns(name)
        rows.append(
            {
                "table": name,
                "file": _read_from(client, name),
                "rows": client.row_counts[name],
                "distinct_ids": ids,
                "id_column": id_col,
                "first": pd.Timestamp(first) if first is not None else pd.NaT,
                "last": pd.Timestamp(last) if last is not None else pd.NaT,
                "days_covered": (pd.Timestamp(last) - pd.Timestamp(first)).days + 1
                if first is not None
                else 0,
                "rows_in_period": now if spec.periodic else client.row_counts[name],
                "rows_in_previous_period": before if spec.periodic else client.row_counts[name],
                "optional_columns_missing": ", ".join(
                    c.name for c in spec.columns if not c.required and c.name not in present
                ),
            }
        )
    columns = ["table", "file", "rows", "distinct_ids", "id_column", "first", "last",
               "days_covered", "rows_in_period", "rows_in_previous_period",
               "optional_columns_missing"]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


#: How the data-health table names the engine that holds a table in place.
_ENGINES = {"spark": "Spark", "clickhouse": "ClickHouse", "bigquery": "BigQuery"}


def _read_from(client: Client, name: str) -> str:
    """The export(s) a table was read from; a table an engine holds also names the engine."""
    files = " + ".join(path.name for path in client.source_files(name))
    engine = client.config.engine
    if engine.name in _ENGINES and name in engine.tables:
        return f"{files} · {_ENGINES[engine.name]}"
    return files


def daily_volume(client: Client) -> pd.DataFrame:
    """Rows per day of every table, in long form (one row per table and day, zero-filled).

    Returns
    -------
    pandas.DataFrame
        Columns: table, date, rows, in_period (bool).
    """
    frames = []
    for name in client.tables:
        col = q(TABLES[name].time_column)
        frame = client.sql(
            f"""WITH bounds AS (SELECT CAST(min({col}) AS DATE) AS lo, CAST(max({col}) AS DATE)
                AS hi FROM {name}),
            spine AS (SELECT unnest(generate_series(lo, hi, INTERVAL 1 DAY)) AS day
                      FROM bounds WHERE lo IS NOT NULL),
            days AS (SELECT CAST(day AS DATE) AS date FROM spine),
            counts AS (SELECT CAST({col} AS DATE) AS date, count(*) AS rows FROM {name}
                       GROUP BY 1)
            SELECT '{name}' AS "table", days.date, coalesce(counts.rows, 0) AS rows
            FROM days LEFT JOIN counts USING (date) ORDER BY days.date"""
        )
        frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=["table", "date", "rows", "in_period"])
    result = pd.concat(frames, ignore_index=True)
    result["date"] = pd.to_datetime(result["date"])
    period = client.config.period
    result["in_period"] = result["date"].between(
        pd.Timestamp(period.start), pd.Timestamp(period.end)
    )
    result["rows"] = result["rows"].astype("int64")
    return result


def missing_values(client: Client) -> pd.DataFrame:
    """Empty cells per column of every table.

    Required columns are always complete: the loader refuses files where they are not.

    Returns
    -------
    pandas.DataFrame
        Columns: table, column, required, missing, share_missing.
    """
    rows = []
    for name in client.tables:
        spec = TABLES[name]
        # the canonical columns: an engine's table may carry more (a GA4 export, segments)
        columns = [c for c in client.columns(name) if c in spec.names]
        counts = client.con.sql(
            "SELECT " + ", ".join(f"count(*) - count({q(c)})" for c in columns) + f" FROM {name}"
        ).fetchall()[0]
        total = client.row_counts[name]
        for column, missing in zip(columns, counts, strict=True):
            rows.append(
                {
                    "table": name,
                    "column": column,
                    "required": spec.column(column).required,
                    "missing": int(missing),
                    "share_missing": missing / total if total else float("nan"),
                }
            )
    return pd.DataFrame(rows, columns=["table", "column", "required", "missing", "share_missing"])


def duplicate_rows(client: Client) -> pd.DataFrame:
    """Rows repeating another row's key (see :data:`DUPLICATE_KEYS`), per table.

    Returns
    -------
    pandas.DataFrame
        Columns: table, key, duplicate_rows (rows beyond the first of each key), share.
    """
    rows = []
    for name in client.tables:
        key = [c for c in DUPLICATE_KEYS[name] if c in client.columns(name)]
        cols = ", ".join(q(c) for c in key)
        # keys sharing a hash first (an integer GROUP BY), then the exact count among them
        (extra,) = _row(
            client,
            f"WITH c AS (SELECT hash({cols}) AS h FROM {name} GROUP BY h HAVING count(*) > 1) "
            f"SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n FROM {name} "
            f"WHERE hash({cols}) IN (SELECT h FROM c) GROUP BY {cols} HAVING count(*) > 1)",
        )
        total = client.row_counts[name]
        rows.append(
            {
                "table": name,
                "key": ", ".join(key),
                "duplicate_rows": int(extra),
                "share": extra / total if total else float("nan"),
            }
        )
    return pd.DataFrame(rows, columns=["table", "key", "duplicate_rows", "share"])


def event_counts(client: Client, *, top: int | None = None) -> pd.DataFrame:
    """Events and users per event name over all the data, most frequent first.

    Parameters
    ----------
    client
        A loaded client with an ``events`` table.
    top
        Keep only the most frequent names (``None``: all).

    Returns
    -------
    pandas.DataFrame
        Columns: event, events, users, share_of_events, events_in_period, first_seen, last_seen.
    """
    if not client.has("events"):
        return pd.DataFrame(
            columns=["event", "events", "users", "share_of_events", "events_in_period",
                     "first_seen", "last_seen"]
        )  # fmt: skip
    limit = f"LIMIT {int(top)}" if top else ""
    frame = client.sql(
        f"""SELECT event, count(*) AS events,
                   count(*) / sum(count(*)) OVER () AS share_of_events,
                   count_if({client.period_predicate("events")}) AS events_in_period,
                   min(timestamp) AS first_seen, max(timestamp) AS last_seen
            FROM events GROUP BY event ORDER BY events DESC, event {limit}"""
    )
    users = frame["event"].map(shared.event_users(client)).astype("int64")
    frame.insert(2, "users", users)  # distinct users per name, counted in one pass
    return frame


def config_checks(client: Client) -> pd.DataFrame:
    """Check that the data contain what ``client.yaml`` refers to.

    Funnel steps, stage event patterns, experiments and their variants, and spend channels
    seen in the traffic.

    Returns
    -------
    pandas.DataFrame
        Columns: section, item, status (``ok`` / ``missing`` / ``no data``), detail.
    """
    config = client.config
    rows: list[dict[str, str]] = []
    names = (
        set(memo.fetch(client, "SELECT DISTINCT event FROM events").event)
        if client.has("events")
        else set()
    )

    def add(section: str, item: str, ok: bool, detail: str, *, no_data: bool = False) -> None:
        status = "no data" if no_data else ("ok" if ok else "missing")
        rows.append({"section": section, "item": item, "status": status, "detail": detail})

    for step in config.funnel.steps:
        hits = sorted(match_names(names, step))
        add(
            "funnel.steps",
            step,
            bool(hits),
            f"matches {', '.join(hits[:5])}"
            if hits
            else "no event has this name; check the spelling against the event list below",
            no_data=not client.has("events"),
        )
    for stage, spec in config.stages.items():
        for pattern in spec.events:
            hits = sorted(match_names(names, pattern))
            add(
                f"stages.{stage}",
                pattern,
                bool(hits),
                f"matches {len(hits)} event name(s)" if hits else "matches no event name",
                no_data=not client.has("events"),
            )
        for source in spec.sources:
            add(
                f"stages.{stage}",
                source,
                client.has(source),
                "table loaded" if client.has(source) else f"no `{source}` table configured",
            )
    if config.experiments:
        seen = (
            memo.fetch(
                client,
                "SELECT experiment, variant, count(*) AS users FROM assignments GROUP BY ALL",
            )
            if client.has("assignments")
            else pd.DataFrame(columns=["experiment", "variant", "users"])
        )
        for experiment in config.experiments:
            # a file without an `experiment` column holds one experiment: every one reads it
            variants = seen[(seen.experiment == experiment.name) | seen.experiment.isna()]
            planned = set(experiment.planned_split or {})
            found = set(variants.variant)
            ok = (
                not variants.empty
                and experiment.control in found
                and (not planned or planned == found)
            )
            detail = (
                f"variants in data: {sorted(found)}"
                if not variants.empty
                else "not in the assignments table"
            )
            if planned and found and planned != found:
                detail += f"; planned: {sorted(planned)}"
            add("experiments", experiment.name, ok, detail, no_data=not client.has("assignments"))
    if client.has("spend") and client.has("events", "channel"):
        spend_channels = set(memo.fetch(client, "SELECT DISTINCT channel FROM spend").channel)
        traffic = set(
            memo.fetch(
                client, "SELECT DISTINCT channel FROM events WHERE channel IS NOT NULL"
            ).channel
        )
        for channel in sorted(spend_channels):
            add(
                "spend.channel",
                channel,
                channel in traffic,
                "has traffic in events"
                if channel in traffic
                else "spend but no events with this channel: check the channel naming",
            )
    return pd.DataFrame(rows, columns=["section", "item", "status", "detail"])


def health_results(client: Client) -> dict:
    """The data-health findings for ``summary.json`` (see the README's schema section)."""
    overview = table_overview(client)
    checks = config_checks(client)
    issues = client.issues()
    return {
        "tables": overview.to_dict(orient="records"),
        "warnings": issues[["table", "column", "check", "rows", "message"]].to_dict(
            orient="records"
        ),
        "config_checks_failed": checks[checks.status != "ok"].to_dict(orient="records"),
        "duplicates": duplicate_rows(client).to_dict(orient="records"),
    }
