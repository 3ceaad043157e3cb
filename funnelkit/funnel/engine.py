"""Count a funnel: an event log in, one row per unit (its deepest attempt) out.

The rules are those of docs/funnel.md. Two engines implement them as set-based queries in DuckDB:
``"portable"`` (standard SQL: window functions, joins, GROUP BY — what a distributed SQL engine
would run) and ``"fast"`` (DuckDB-only: integer keys, a numpy sweep). Both are compared with a
pure-Python reference in tests/test_funnel_engine.py.
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from ..data.sources import connect
from ..data.validate import lit
from . import engine_fast, engine_sql
from .plan import REQUIRED, Plan, is_literal, resolve, ts_lit
from .spec import FunnelError, FunnelSpec

__all__ = ["ENGINES", "funnel_paths"]

ENGINES = ("auto", "portable", "fast")
_NAMES = itertools.count()
_DEFAULT = object()


def _pandas() -> Any:
    """Return pandas if the caller already imported it (then it may have passed pandas objects)."""
    return sys.modules.get("pandas")


def _as_datetime(value: Any, name: str) -> datetime:
    if type(value) in (datetime, date):  # the common case, without importing pandas
        ts = value if isinstance(value, datetime) else datetime(value.year, value.month, value.day)
        return ts.replace(tzinfo=None)
    if isinstance(value, (datetime, date, str)):  # strings and pd.Timestamp: parsed by pandas
        import pandas as pd

        try:
            ts = pd.Timestamp(value)
        except ValueError as err:
            raise FunnelError(f"`period` {name} {value!r} is not a date or time.") from err
        if ts.tzinfo is not None:
            ts = ts.tz_localize(None)
        return ts.to_pydatetime()
    raise FunnelError(
        f"`period` must be (start, end_exclusive) datetimes, but its {name} is {value!r}."
    )


def _source(events: Any, con: duckdb.DuckDBPyConnection | None) -> tuple[Any, str]:
    """Register the input in a connection, read in place; return (connection, view name)."""
    data, pd = (
        sys.modules.get("funnelkit.data.loader"),
        _pandas(),
    )  # not imported: not passed either
    name = f"__funnel_src_{next(_NAMES)}"
    if data is not None and isinstance(events, data.Client):
        return events.con, "events"
    if pd is not None and isinstance(events, pd.DataFrame):
        con = con or connect()
        con.register(name, events)
        return con, name
    if isinstance(events, (str, Path)):
        path = Path(events).expanduser()
        if not path.is_file():
            raise FunnelError(f"Events file {str(path)!r} does not exist; pass an existing path.")
        suffix = "".join(path.suffixes[-2:]).lower()
        if path.suffix.lower() in (".parquet", ".pq"):
            scan = f"read_parquet({lit(str(path))})"
        elif path.suffix.lower() in (".csv", ".tsv", ".txt") or suffix.endswith(".csv.gz"):
            scan = f"read_csv({lit(str(path))}, header = true)"
        else:
            raise FunnelError(
                f"Cannot tell the format of {path.name!r}: use a .parquet or .csv file."
            )
        con = con or connect()
        con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT * FROM {scan}")
        return con, name
    if isinstance(events, duckdb.DuckDBPyRelation):
        own = getattr(events, "_con", None)
        con = con or own
        if con is None:
            raise FunnelError("Pass `con=` (the relation's connection) with a DuckDB relation.")
        con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS {events.sql_query()}")
        return con, name
    raise FunnelError(
        "`events` must be a funnelkit Client, a pandas DataFrame, a Parquet/CSV path or a "
        f"DuckDB relation, but a {type(events).__name__} was passed."
    )


def _plan(
    con: duckdb.DuckDBPyConnection,
    source: str,
    spec: FunnelSpec,
    by: tuple[str, ...],
    period: Any,
    *,
    scan_names: bool,
) -> Plan:
    present = list(con.table(source).columns)
    needed = [*REQUIRED]
    if spec.unit == "session" and "session_id" not in present:
        raise FunnelError(
            "unit='session' needs a 'session_id' column, which the events do not have; "
            f"their columns are {present}. Count users (unit='user') or add session ids."
        )
    missing = [c for c in needed if c not in present]
    if missing:
        raise FunnelError(
            f"The events lack the column(s) {missing} a funnel needs; their columns are "
            f"{present}. Rename the columns to the canonical names (user_id, timestamp, event)."
        )
    missing_by = [c for c in by if c not in present]
    if missing_by:
        raise FunnelError(
            f"The breakdown column(s) {missing_by} passed in `by` are not in the events; their "
            f"columns are {present}."
        )
    if period is not None:
        try:
            start, end = period
        except (TypeError, ValueError):
            raise FunnelError(
                f"`period` must be (start, end_exclusive), but {period!r} was passed."
            ) from None
        period = (_as_datetime(start, "start"), _as_datetime(end, "end"))
        if period[1] <= period[0]:
            raise FunnelError(
                f"`period` must end after it starts, but ({period[0]}, {period[1]}) was passed."
            )
    plan = Plan(con, source, spec, by, period, [], [], {})
    if scan_names:
        ts = "CAST(timestamp AS TIMESTAMP)"
        in_period = (
            "count(*)" if period is None else f"count(*) FILTER (WHERE {_period_sql(ts, period)})"
        )
        stats = con.sql(
            f"SELECT CAST(event AS VARCHAR), count(*), {in_period} "
            f"FROM {source} WHERE event IS NOT NULL AND timestamp IS NOT NULL GROUP BY 1"
        ).fetchall()
        resolve(plan, stats)
    else:  # literal names: the fast path filters on them and calls resolve() on what it read
        plan.step_names = [[p] for p in spec.steps]
        plan.exclusion_names = [[p] for p, _, _ in spec.exclusions]
    return plan


def _period_sql(ts: str, period: tuple[datetime, datetime]) -> str:
    return f"{ts} >= {ts_lit(period[0])} AND {ts} < {ts_lit(period[1])}"


def funnel_paths(
    events: Any,
    *,
    steps: Sequence[str] | None = None,
    spec: FunnelSpec | None = None,
    conversion_window: timedelta | float = _DEFAULT,  # type: ignore[assignment]
    window_from: str = _DEFAULT,  # type: ignore[assignment]
    order: str = _DEFAULT,  # type: ignore[assignment]
    entry: str = _DEFAULT,  # type: ignore[assignment]
    exclusions: Sequence[tuple[str, int, int]] = _DEFAULT,  # type: ignore[assignment]
    unit: str = _DEFAULT,  # type: ignore[assignment]
    by: Sequence[str] = (),
    period: tuple[datetime, datetime] | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
    engine: str = "auto",
) -> duckdb.DuckDBPyRelation:
    """Turn an event log into one row per unit: how deep its best attempt went, and when.

    Parameters
    ----------
    events
        A :class:`~funnelkit.data.loader.Client` (its ``events`` table), a pandas DataFrame, a
        Parquet or CSV path (read in place) or a DuckDB relation, with columns ``user_id``,
        ``timestamp``, ``event`` (and ``session_id`` for sessions, and every ``by`` column).
    steps, conversion_window, window_from, order, entry, exclusions, unit
        The funnel (see :class:`FunnelSpec` and docs/funnel.md); or pass ``spec=`` and override
        single fields with these keywords.
    by
        Breakdown columns; each unit gets the value on the step-1 event of its chosen attempt.
    period
        ``(start, end_exclusive)``: only step-1 events in it start attempts; later steps may
        fall after it.
    con
        The DuckDB connection to use (required only for a relation from another connection).
    engine
        ``"portable"`` (standard SQL), ``"fast"`` (DuckDB-only) or ``"auto"``.

    Returns
    -------
    duckdb.DuckDBPyRelation
        One row per unit with a non-voided attempt: ``unit_id`` (VARCHAR), ``depth`` (INTEGER,
        1..k), ``step_1_at`` … ``step_k_at`` (TIMESTAMP, NULL past depth), then the ``by``
        columns. For sessions, ``unit_id`` is ``"<user_id>|<session_id>"``.

    Raises
    ------
    FunnelError
        Invalid funnel, missing columns, a step matching no event, an empty period.

    Examples
    --------
    >>> import funnelkit
    >>> client = funnelkit.load_client(emit_warnings=False)
    >>> paths = funnel_paths(client, steps=["view_item", "purchase"], by=["channel"])
    >>> paths.columns
    ['unit_id', 'depth', 'step_1_at', 'step_2_at', 'channel']
    """
    overrides = {
        "conversion_window": conversion_window,
        "window_from": window_from,
        "order": order,
        "entry": entry,
        "exclusions": None if exclusions is _DEFAULT else tuple(exclusions),
        "unit": unit,
    }
    overrides = {k: v for k, v in overrides.items() if v is not _DEFAULT and v is not None}
    if spec is None:
        if steps is None:
            raise FunnelError("Pass the funnel's `steps` (or a `spec=FunnelSpec(...)`).")
        spec = FunnelSpec(steps=tuple(steps), **overrides)
    else:
        fields = {**spec.__dict__, **overrides}
        if steps is not None:
            fields["steps"] = tuple(steps)
        spec = FunnelSpec(**fields)
    if engine not in ENGINES:
        raise FunnelError(
            f"The value for `engine` must be one of {list(ENGINES)}, but {engine!r} was passed."
        )
    by = (by,) if isinstance(by, str) else tuple(by)
    fast = engine == "fast" or (engine == "auto" and engine_fast.supports(spec))
    patterns = [*spec.steps, *(p for p, _, _ in spec.exclusions)]
    literal = fast and engine_fast.supports(spec) and all(map(is_literal, patterns))
    con, source = _source(events, con)
    if not isinstance(con, duckdb.DuckDBPyConnection):  # events on Spark & co: standard SQL
        if engine == "fast":
            raise FunnelError(
                "engine='fast' runs on DuckDB only, and these events are on another engine; "
                "use engine='portable' (or 'auto')."
            )
        fast = literal = False
    try:
        plan = _plan(con, source, spec, by, period, scan_names=not literal)
        name = f"funnel_paths_{next(_NAMES)}"
        if fast:
            engine_fast.run(plan, name)
        else:
            con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {engine_sql.build(plan)}")
    finally:
        if source.startswith("__funnel_src_"):
            pd = _pandas()
            if pd is not None and isinstance(events, pd.DataFrame):
                con.unregister(source)
            else:
                con.execute(f"DROP VIEW IF EXISTS {source}")
    return con.table(name)
