"""Spark: the kit's queries run where a lake's events are, through a Spark session.

:class:`SparkEngine` wraps a :class:`pyspark.sql.SparkSession` — one passed in, a new one on a
master (``"local[2]"`` or a cluster URL such as ``"spark://host:7077"``), or a Spark Connect
client (``remote="sc://host:15002"``). :meth:`SparkEngine.query` takes the kit's DuckDB-dialect
SQL, rewrites it with :func:`~funnelkit.core.engines.transpile` (sqlglot, dialect ``spark``),
runs it with ``spark.sql`` and brings back only its (aggregated) result as pandas.

Session settings (:data:`SETTINGS`), each needed for results equal to DuckDB's:

- ``spark.sql.session.timeZone=UTC``: DuckDB's ``TIMESTAMP`` has no zone; ``CAST(... AS
  TIMESTAMP)`` (written ``TIMESTAMP_NTZ`` by sqlglot) then shifts nothing. An engine-held
  table's zoned timestamps (instants: Parquet written with ``isAdjustedToUTC``, a catalog
  ``TIMESTAMP``) are read in the client's time zone (:meth:`SparkEngine.instant_columns`).
- ``spark.sql.ansi.enabled=true`` (Spark 4's default, pinned): a cast that cannot succeed fails
  as in DuckDB instead of turning into NULL, and integer overflow raises.
- ``spark.sql.parquet.inferTimestampNTZ.enabled=true``: Parquet timestamps DuckDB writes
  without a zone are read as ``TIMESTAMP_NTZ``.
- ``spark.sql.execution.arrow.pyspark.enabled=true``: ``toPandas`` through Arrow (fast, and
  timestamps stay naive microseconds).
- Local sessions only (:data:`LOCAL_SETTINGS`): ``spark.sql.shuffle.partitions=4`` (the 200
  default is 200 tasks per shuffle on a laptop's few cores), no web UI or console progress bar.

Credentials never come from ``client.yaml``: a Spark Connect token is read from the
``SPARK_CONNECT_TOKEN`` environment variable (or pyspark's own ``SPARK_REMOTE``), and settings
that look like secrets are refused in :meth:`SparkEngine.from_config`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError
from . import missing_extra, transpile
from .results import duckdb_type, like_duckdb

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["LOCAL_SETTINGS", "SETTINGS", "SparkEngine"]

#: Settings every session gets (see the module docstring for why).
SETTINGS: dict[str, str] = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.ansi.enabled": "true",
    "spark.sql.parquet.inferTimestampNTZ.enabled": "true",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
}
#: Extra settings of a ``local[...]`` session (tiny shuffles, no UI).
LOCAL_SETTINGS: dict[str, str] = {
    "spark.sql.shuffle.partitions": "4",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.log.level": "ERROR",
}
_SECRET = re.compile(r"secret|password|token|credential|access\.key|private", re.IGNORECASE)


@dataclass
class SparkEngine:
    """A Spark session that runs the kit's DuckDB-dialect SQL.

    Parameters
    ----------
    session
        An existing ``SparkSession`` (it is not stopped by :meth:`close`); or ``None`` to
        build one from ``master`` or ``remote``.
    master
        ``"local[2]"`` (the default without ``remote``) or a cluster master URL.
    remote
        A Spark Connect URL, ``"sc://host:15002"`` (needs ``pyspark[connect]``); the token, if
        any, comes from the ``SPARK_CONNECT_TOKEN`` environment variable.
    conf
        More Spark settings (strings); secrets are refused.

    Examples
    --------
    >>> engine = SparkEngine(master="local[2]")  # doctest: +SKIP
    >>> engine.query("SELECT 41 + 1 AS answer")["answer"].tolist()  # doctest: +SKIP
    [42]
    >>> print(SparkEngine.sql("SELECT CAST(u AS VARCHAR) AS u FROM t"))
    SELECT CAST(u AS STRING) AS u FROM t
    """

    session: Any = None
    master: str | None = None
    remote: str | None = None
    conf: Mapping[str, str] = field(default_factory=dict)
    app_name: str = "funnelkit"
    name: str = "spark"
    dialect: str = "spark"
    _owned: bool = field(default=False, repr=False)

    def __post_init__(self) -> None:
        _refuse_secrets(self.conf, self.remote)
        if self.session is None:
            self.session = self._build()
            self._owned = True
        for key, value in SETTINGS.items():  # also on a passed-in session; `conf` may override
            if key not in self.conf:
                self.session.conf.set(key, value)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> SparkEngine:
        """The engine of ``client.yaml``'s ``engine:`` section (``master``/``remote``/``conf``).

        Examples
        --------
        >>> SparkEngine.from_config({"remote": "sc://h:15002/;token=abc"})
        Traceback (most recent call last):
        ...
        funnelkit.core.errors.ConfigError: engine: spark: `remote` carries a credential ...
        """
        allowed = {"type", "name", "master", "remote", "conf", "app_name"}
        unknown = sorted(set(config) - allowed)
        if unknown:
            raise ConfigError(
                f"engine: spark does not know the key(s) {unknown}; use "
                f"{sorted(allowed - {'type'})} (credentials come from the environment, never from "
                "client.yaml)."
            )
        conf = {str(k): str(v) for k, v in dict(config.get("conf") or {}).items()}
        _refuse_secrets(conf, config.get("remote"))
        return cls(
            master=config.get("master"),
            remote=config.get("remote"),
            conf=conf,
            app_name=str(config.get("app_name") or "funnelkit"),
        )

    def _build(self) -> Any:
        try:
            from pyspark.sql import SparkSession
        except ImportError as err:
            raise missing_extra("spark", "pyspark", err) from err
        builder = SparkSession.builder.appName(self.app_name)
        if self.remote:
            url = self.remote
            token = os.environ.get("SPARK_CONNECT_TOKEN")
            if token:
                url = f"{url.rstrip('/')}/;token={token}"
            builder = builder.remote(url)
        else:
            master = self.master or "local[2]"
            builder = builder.master(master)
            if master.startswith("local"):
                for key, value in LOCAL_SETTINGS.items():
                    builder = builder.config(key, value)
        for key, value in {**SETTINGS, **self.conf}.items():
            builder = builder.config(key, value)
        return builder.getOrCreate()

    @staticmethod
    def sql(sql: str) -> str:
        """``sql`` (DuckDB's dialect) as Spark runs it."""
        return transpile(sql, "spark")

    def query(self, sql: str) -> pd.DataFrame:
        """Run DuckDB-dialect ``sql`` on Spark; its result as pandas (columns as in the SQL)."""
        return self.run(self.sql(sql))

    def run(self, text: str) -> pd.DataFrame:
        """Run a statement already in Spark's dialect, verbatim; its result as pandas."""
        return self.session.sql(text).toPandas()

    def frame(self, sql: str) -> pd.DataFrame:
        """Run DuckDB-dialect ``sql``; its result with DuckDB's pandas types."""
        return like_duckdb(self.query(sql))

    def describe(self, sql: str) -> list[tuple[str, str]]:
        """The columns of ``sql``'s result and their DuckDB type names (nothing is run)."""
        schema = self.session.sql(self.sql(sql)).schema
        return [(f.name, duckdb_type(f.dataType.simpleString())) for f in schema.fields]

    def instant_columns(self, name: str) -> list[str]:
        """The ``TIMESTAMP`` (instant) columns of ``name``; ``TIMESTAMP_NTZ`` is a wall-clock time.

        The kit reads them in the client's time zone (``from_utc_timestamp``, see
        :func:`funnelkit.data.engines.open_engine`).
        """
        return [c for c, kind in self.describe(f"SELECT * FROM {name}")
                if kind == "TIMESTAMP WITH TIME ZONE"]  # fmt: skip

    def nested_schema(self, name: str) -> dict[str, Any]:
        """The fields of ``name``, a record's and a list of records' fields nested as dicts.

        What an export's adapter reads to know which fields a table has (see
        :func:`funnelkit.data.adapters.ga4.has_field`).
        """
        return _nested(self.session.table(name).schema)

    def create(self, name: str, sql: str, *, materialize: bool) -> None:
        """The temporary view ``name`` over ``sql``; computed once and kept if ``materialize``.

        A materialised view is checkpointed in the session (``localCheckpoint``): later
        queries read its rows instead of recomputing them, as DuckDB's temporary tables do.
        """
        frame = self.session.sql(self.sql(sql))
        if materialize:
            frame = frame.localCheckpoint(eager=True)
        frame.createOrReplaceTempView(name)

    def drop(self, name: str) -> None:
        """Forget the temporary view ``name`` (the session's; never a stored table)."""
        self.session.catalog.dropTempView(name)

    def append(self, name: str, rows: pd.DataFrame) -> None:
        """The temporary view ``name`` with ``rows`` after its own (columns matched by name).

        Used to add rows the kit derives (e-mail clicks as events) to an engine-held table
        without writing to it: only this session's view changes.
        """
        current = self.session.table(name)
        kinds = {f.name: f.dataType for f in current.schema.fields}
        added = _as_spark(self.session, rows[[c for c in rows.columns if c in kinds]])
        added = added.select(*(added[c].cast(kinds[c]).alias(c) for c in added.columns))
        current.unionByName(added, allowMissingColumns=True).createOrReplaceTempView(name)

    def replace_column(self, name: str, column: str, expression: str) -> None:
        """The temporary view ``name`` with ``column`` recomputed by a DuckDB-dialect expression."""
        from pyspark.sql import functions as F

        spark_expression = self.sql(f"SELECT {expression}").removeprefix("SELECT ")
        frame = self.session.table(name)
        frame.withColumn(column, F.expr(spark_expression)).createOrReplaceTempView(name)

    def register(self, name: str, data: Any) -> str:
        """Make ``data`` the temporary view ``name``; return ``name``.

        ``data`` is a pandas frame (tests, small tables), a Parquet file or directory (read in
        place with ``spark.read.parquet``; local path or ``s3a://``/``gs://``/``hdfs://`` URL),
        a Spark DataFrame, or the name of a table in the session's catalog.
        """
        frame = _as_spark(self.session, data)
        frame.createOrReplaceTempView(name)
        return name

    def close(self) -> None:
        """Stop the session if this engine started it (a passed-in session stays open)."""
        if self._owned and self.session is not None:
            self.session.stop()
            self.session = None


def _refuse_secrets(conf: Mapping[str, str], remote: str | None) -> None:
    secrets = sorted(k for k in conf if _SECRET.search(k))
    if secrets:
        raise ConfigError(
            f"engine: spark: the setting(s) {secrets} look like credentials, which client.yaml "
            "must not hold; set them in the environment or spark-defaults.conf instead."
        )
    if remote and _SECRET.search(remote):
        raise ConfigError(
            "engine: spark: `remote` carries a credential (token=...); write only "
            "sc://host:port and set the token in the SPARK_CONNECT_TOKEN environment variable."
        )


def _as_spark(spark: Any, data: Any) -> Any:
    """A Spark DataFrame of ``data`` (see :meth:`SparkEngine.register`)."""
    if hasattr(data, "createOrReplaceTempView"):
        return data
    if isinstance(data, (str, Path)):
        text = str(data)
        if isinstance(data, Path) or "/" in text or text.endswith((".parquet", ".pq")):
            try:  # files with different fields read by name, as DuckDB's union_by_name
                return spark.read.option("mergeSchema", "true").parquet(text)
            except Exception as err:  # pyspark raises its own families (analysis, Py4J)
                if "NANOS" not in str(err):
                    raise
                raise ConfigError(
                    f"engine: spark cannot read the nanosecond timestamps of {text!r} (Spark "
                    "reads Parquet timestamps to the microsecond only). Rewrite the file with "
                    "microsecond timestamps: DuckDB's COPY ... (FORMAT PARQUET) writes them, "
                    "pyarrow with pq.write_table(..., coerce_timestamps='us')."
                ) from err
        return spark.table(text)
    if hasattr(data, "dtypes") and hasattr(data, "columns"):
        return spark.createDataFrame(data, schema=_schema(data))
    raise ConfigError(
        f"engine: spark cannot register a {type(data).__name__}; pass a pandas DataFrame, a "
        "Parquet path, a Spark DataFrame or a table name."
    )


def _schema(frame: pd.DataFrame) -> Any:
    """A Spark schema for a pandas frame: naive datetimes as TIMESTAMP_NTZ (DuckDB's TIMESTAMP).

    Inferring would make an all-NULL column untyped and a naive datetime zoned.
    """
    from pyspark.sql import types as T

    fields = []
    for column, dtype in frame.dtypes.items():
        kind = dtype.kind
        if kind == "M":
            spark_type = T.TimestampType() if getattr(dtype, "tz", None) else T.TimestampNTZType()
        elif kind in "iu":
            spark_type = T.LongType()
        elif kind == "f":
            spark_type = T.DoubleType()
        elif kind == "b":
            spark_type = T.BooleanType()
        else:
            spark_type = T.StringType()
        fields.append(T.StructField(str(column), spark_type, nullable=True))
    return T.StructType(fields)


def _nested(struct: Any) -> dict[str, Any]:
    """A Spark ``StructType`` as nested dicts (a list of records: its record's fields)."""
    out: dict[str, Any] = {}
    for f in struct.fields:
        kind = f.dataType
        while kind.typeName() == "array":
            kind = kind.elementType
        out[f.name] = _nested(kind) if kind.typeName() == "struct" else kind.simpleString().upper()
    return out
