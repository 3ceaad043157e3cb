"""The engine a client's ``engine:`` section names, opened, with its tables referenced in place.

:func:`open_engine` turns :class:`~funnelkit.data.engine_config.EngineConfig` into an
:class:`~funnelkit.core.engines.Engine` and says, for each canonical table of ``engine.tables``,
what a query names it by there: a Spark temporary view over the table or the Parquet path, a
name ClickHouse queries read as the table or its ``file()``/``s3()`` reader, a name BigQuery
queries read as the ``project.dataset.table``. Nothing is copied. Instants (a zoned timestamp)
are read as wall-clock times in the client's time zone (:func:`read_in_time_zone`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core.engines import DuckDBEngine, Engine
from ..core.engines.bigquery import BigQueryEngine
from ..core.engines.clickhouse import ClickHouseEngine
from ..core.engines.spark import SparkEngine
from ..core.sql import lit, q
from .adapters.ga4_engine import engine_select

if TYPE_CHECKING:
    import duckdb

    from .config import ClientConfig
    from .engine_config import EngineExport

__all__ = ["export_name", "open_engine", "read_in_time_zone"]


def open_engine(
    config: ClientConfig, con: duckdb.DuckDBPyConnection | None = None
) -> tuple[Engine, dict[str, str]]:
    """The client's engine and, per canonical table, its name in that engine's queries.

    ``con`` is the client's DuckDB connection, used when the engine is ``duckdb`` (whose tables
    are the loaded canonical tables, by their names).

    Examples
    --------
    >>> import duckdb
    >>> from funnelkit.data.config import load_config
    >>> engine, tables = open_engine(load_config(), duckdb.connect())
    >>> engine.name, tables["events"]
    ('duckdb', 'events')
    """
    settings = config.engine
    if settings.name == "duckdb":
        if con is None:
            raise ValueError("engine duckdb: pass the client's DuckDB connection")
        return DuckDBEngine(con), {name: name for name in config.tables()}
    engine: SparkEngine | ClickHouseEngine | BigQueryEngine
    if settings.name == "spark":
        engine = SparkEngine.from_config(
            {k: v for k, v in (("master", settings.master), ("remote", settings.remote)) if v}
        )
    elif settings.name == "clickhouse":
        engine = ClickHouseEngine.from_config(
            settings.host, settings.port, settings.database, settings.secure
        )
    else:
        engine = BigQueryEngine(
            project=str(settings.project),
            dataset=settings.dataset,
            location=settings.location,
            maximum_bytes_billed=settings.maximum_bytes_billed,
        )
    refer = engine.register if isinstance(engine, SparkEngine) else engine.alias
    zone = config.timezone
    names = {}
    for name, ref in settings.tables.items():
        export = settings.exports.get(name)
        names[name] = (
            refer(name, ref)
            if export is None
            else _read_export(engine, refer(export_name(name), ref), name, ref, export, zone)
        )
    for name in names:
        read_in_time_zone(engine, name, zone)
    return engine, names


def export_name(table: str) -> str:
    """The engine's name for the export a canonical ``table`` is read from (``events__export``)."""
    return f"{table}__export"


def _read_export(
    engine: Any, raw: str, name: str, ref: str, export: EngineExport, zone: str
) -> str:
    """The canonical table ``name`` as a view over the export ``ref``, named ``raw`` there.

    The view reads the fields the export has (``nested_schema``) as the adapter reads the
    export's files (only ``ga4_export`` so far), its times in the client's ``zone``.
    """
    sql = engine_select(
        engine.nested_schema(raw), table=name, overrides=dict(export.columns),
        label=Path(ref).name or ref, source=raw, timezone=zone,
    )  # fmt: skip
    engine.create(name, sql, materialize=False)
    return name


def read_in_time_zone(engine: Any, name: str, timezone: str) -> None:
    """Read each instant column of the engine-held table ``name`` in the client's ``timezone``.

    An instant (BigQuery's and Spark's TIMESTAMP, a ClickHouse table's DateTime, a Parquet
    timestamp adjusted to UTC) becomes its wall-clock time in ``timezone``, as the loader reads
    a zoned timestamp from a file, so a day, a week and the analysis period begin at the
    client's midnight on every engine. A wall-clock type (DATETIME, TIMESTAMP_NTZ, a Parquet
    timestamp without a zone) is read as it is. Only the session's view changes.
    """
    for column in engine.instant_columns(name):
        engine.replace_column(name, column, f"timezone({lit(timezone)}, {q(column)})")
