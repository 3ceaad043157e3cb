"""The engine a client's ``engine:`` section names, opened, with its tables referenced in place.

:func:`open_engine` turns :class:`~funnelkit.data.engine_config.EngineConfig` into an
:class:`~funnelkit.core.engines.Engine` and says, for each canonical table of ``engine.tables``,
what a query names it by there: a Spark temporary view over the table or the Parquet path, a
name ClickHouse queries read as the table or its ``file()``/``s3()`` reader, a name BigQuery
queries read as the ``project.dataset.table``. Nothing is copied.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..core.engines import DuckDBEngine, Engine
from ..core.engines.bigquery import BigQueryEngine
from ..core.engines.clickhouse import ClickHouseEngine
from ..core.engines.spark import SparkEngine

if TYPE_CHECKING:
    import duckdb

    from .config import ClientConfig

__all__ = ["open_engine"]


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
    if settings.name == "spark":
        spark = SparkEngine.from_config(
            {k: v for k, v in (("master", settings.master), ("remote", settings.remote)) if v}
        )
        return spark, {name: spark.register(name, ref) for name, ref in settings.tables.items()}
    if settings.name == "clickhouse":
        clickhouse = ClickHouseEngine.from_config(
            settings.host, settings.port, settings.database, settings.secure
        )
        return clickhouse, {n: clickhouse.alias(n, ref) for n, ref in settings.tables.items()}
    bigquery = BigQueryEngine(
        project=str(settings.project),
        dataset=settings.dataset,
        location=settings.location,
        maximum_bytes_billed=settings.maximum_bytes_billed,
    )
    names = {n: bigquery.alias(n, ref) for n, ref in settings.tables.items()}
    for name in names:
        bigquery.read_timestamps_as_utc(name)
    return bigquery, names
