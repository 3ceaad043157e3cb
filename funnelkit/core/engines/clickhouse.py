"""ClickHouse: the kit's queries run where the events are, in-process (chdb) or on a server.

Two backends, one SQL: :meth:`ClickHouseEngine.sql` turns the kit's DuckDB-dialect query into
the ClickHouse statement (:func:`~funnelkit.core.engines.clickhouse_sql.clickhouse_sql`:
transpiled, timestamps kept to the microsecond, its settings appended), and that string is sent
verbatim either to

- **chdb** (``ClickHouseEngine.local()``), ClickHouse's own engine in this process: tests, and
  Parquet files read in place with ClickHouse's ``file(...)`` / ``s3(...)`` table functions; or
- **a server** (``ClickHouseEngine.server(host=…)``) through ``clickhouse-connect``. The user and
  password come ONLY from the environment (``CLICKHOUSE_USER``, ``CLICKHOUSE_PASSWORD``) or the
  client library's own defaults — never from ``client.yaml``.

Only the (aggregated) result travels back, as a pandas frame whose timestamps are naive UTC.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import DataError
from . import missing_extra
from .clickhouse_sql import SETTINGS, clickhouse_sql, file_table
from .names import Names
from .results import clickhouse_type, like_duckdb
from .session_views import SessionViews

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ClickHouseEngine"]


@dataclass
class ClickHouseEngine(SessionViews):
    """A ClickHouse session in-process (chdb) or a client of a ClickHouse server.

    Build it with :meth:`local` or :meth:`server`; :meth:`query` takes DuckDB-dialect SQL.

    Examples
    --------
    >>> engine = ClickHouseEngine.local()  # doctest: +SKIP
    >>> engine.query("SELECT 41 + 1 AS answer")["answer"].tolist()  # doctest: +SKIP
    [42]
    >>> print(ClickHouseEngine().sql("SELECT CAST(u AS VARCHAR) AS u FROM t"))
    SELECT CAST(u AS Nullable(String)) AS u FROM t SETTINGS join_use_nulls = 1, session_timezone = 'UTC', aggregate_functions_null_for_empty = 1
    """  # noqa: E501

    host: str | None = None
    port: int | None = None
    database: str | None = None
    secure: bool = False
    name: str = "clickhouse"
    dialect: str = "clickhouse"
    settings: dict[str, int | str] = field(default_factory=lambda: dict(SETTINGS))
    _session: Any = field(default=None, repr=False)
    _client: Any = field(default=None, repr=False)
    _tmp: str | None = field(default=None, repr=False)
    _names: Names = field(default_factory=Names, repr=False)
    _temporary: set[str] = field(default_factory=set, repr=False)

    @classmethod
    def local(cls) -> ClickHouseEngine:
        """An in-process chdb session (its tables are seen by every session of the process)."""
        try:
            from chdb import session
        except ImportError as err:
            raise missing_extra("clickhouse", "chdb", err) from err
        # ":memory:", the path every in-process session shares: chdb runs one embedded server
        # per process, and a second path would be refused
        return cls(_session=session.Session(), _tmp=tempfile.mkdtemp(prefix="funnelkit-chdb-"))

    @classmethod
    def server(
        cls,
        host: str,
        port: int | None = None,
        database: str | None = None,
        secure: bool = False,
    ) -> ClickHouseEngine:
        """A client of the server at ``host`` (credentials from the environment only)."""
        engine = cls(host=host, port=port, database=database, secure=secure)
        engine._connect()
        return engine

    @classmethod
    def from_config(
        cls,
        host: str | None = None,
        port: int | None = None,
        database: str | None = None,
        secure: bool = False,
    ) -> ClickHouseEngine:
        """A server client when ``host`` is given (``engine:`` in client.yaml), else chdb."""
        if host is None:
            return cls.local()
        return cls.server(host, port=port, database=database, secure=secure)

    @staticmethod
    def source(ref: str) -> str:
        """The FROM item for a table of ``engine: tables:``: a table name, a file or an S3 URL.

        Examples
        --------
        >>> ClickHouseEngine.source("metrica.hits")
        'metrica.hits'
        >>> print(ClickHouseEngine.source("/lake/events/*.parquet"))
        "file"('/lake/events/*.parquet', 'Parquet')
        >>> print(ClickHouseEngine.source("https://bucket.s3.amazonaws.com/events/*.parquet"))
        s3('https://bucket.s3.amazonaws.com/events/*.parquet', 'Parquet')
        """
        quoted = ref.replace("'", "''")
        if ref.startswith(("s3://", "https://", "http://")):
            return f"s3('{quoted}', 'Parquet')"
        if "/" in ref or ref.lower().endswith((".parquet", ".pq")):
            return file_table(ref)
        return ref

    def _connect(self) -> Any:
        if self._session is not None:
            return self._session
        if self._client is None:
            if self.host is None:
                raise DataError(
                    "engine: clickhouse has neither a server `host` nor a local chdb session; "
                    "set `host:` under `engine:` in client.yaml, or use "
                    "ClickHouseEngine.local() for files on this machine."
                )
            try:
                import clickhouse_connect
            except ImportError as err:
                raise missing_extra("clickhouse", "clickhouse-connect", err) from err
            options: dict[str, Any] = {"host": self.host, "secure": self.secure}
            if self.port is not None:
                options["port"] = self.port
            if self.database is not None:
                options["database"] = self.database
            if os.environ.get("CLICKHOUSE_USER"):
                options["username"] = os.environ["CLICKHOUSE_USER"]
            if os.environ.get("CLICKHOUSE_PASSWORD") is not None:
                options["password"] = os.environ["CLICKHOUSE_PASSWORD"]
            self._client = clickhouse_connect.get_client(**options)
        return self._client

    def sql(self, sql: str) -> str:
        """The ClickHouse statement for DuckDB-dialect ``sql``: what chdb or the server gets.

        The names :meth:`alias` and :meth:`create` gave are written in as their FROM items.
        """
        return clickhouse_sql(self._names.inline(sql), self.settings)

    # -- what the report's chapters need (see funnelkit.core.engines.connection) -----------------
    def alias(self, name: str, ref: str) -> str:
        """Let queries name the engine-held table ``ref`` (see :meth:`source`) ``name``."""
        self._names.define(name, self.source(ref))
        return name

    def describe(self, sql: str) -> list[tuple[str, str]]:
        """The columns of ``sql``'s result and their DuckDB type names (nothing is read)."""
        return [(name, clickhouse_type(kind)) for name, kind in self._described(sql)]

    def _described(self, sql: str) -> list[tuple[str, str]]:
        """The columns of ``sql``'s result and their ClickHouse types."""
        statement = self.sql(sql)
        body, _, settings = statement.rpartition(" SETTINGS ")
        described = self.run(f"DESCRIBE TABLE ({body}) SETTINGS {settings}")
        return list(zip(described["name"], described["type"], strict=True))

    def instant_columns(self, name: str) -> list[str]:
        """The columns of the engine-held table ``name`` that hold instants.

        Every DateTime of a ClickHouse table is an instant (shown in the session's UTC). A
        Parquet file's timestamp is one when the file says so (``isAdjustedToUTC``): ClickHouse
        types both kinds ``DateTime64(6, 'UTC')``, so the file's own metadata is read. The kit
        reads instants in the client's time zone (:func:`funnelkit.data.engines.open_engine`).
        """
        times = [c for c, kind in self._described(f"SELECT * FROM {name}")
                 if clickhouse_type(kind) == "TIMESTAMP"]  # fmt: skip
        item = self._names.item(name) if name in self._names else ""
        if not times or not item.endswith(", 'Parquet')"):
            return times
        metadata = item.removesuffix("'Parquet')") + "'ParquetMetadata')"
        adjusted = self.run(
            f"SELECT DISTINCT c.name AS name FROM {metadata} ARRAY JOIN columns AS c "
            "WHERE startsWith(c.logical_type, 'Timestamp(isAdjustedToUTC=true')"
        )
        return [c for c in times if c in set(adjusted["name"])]

    def _make_table(self, name: str, sql: str) -> None:
        self._command(f"CREATE TEMPORARY TABLE {_ident(name)} ENGINE = Memory AS {self.sql(sql)}")

    def _drop_table(self, name: str) -> None:
        self._command(f"DROP TEMPORARY TABLE IF EXISTS {_ident(name)}")

    def _command(self, statement: str) -> None:
        backend = self._connect()
        if self._session is not None:
            backend.query(statement)
        else:
            backend.command(statement)

    def query(self, sql: str) -> pd.DataFrame:
        """Run DuckDB-dialect ``sql`` on ClickHouse; its result with DuckDB's pandas types."""
        return self.run(self.sql(sql))

    frame = query  # what EngineConnection calls: the result already has DuckDB's types

    def run(self, text: str) -> pd.DataFrame:
        """Run a statement already in ClickHouse's dialect, verbatim (timestamps as naive UTC)."""
        backend = self._connect()
        try:
            if self._session is not None:
                frame = backend.query(text, "DataFrame")
            else:
                frame = backend.query_df(text)
        except Exception as err:  # chdb and clickhouse-connect raise their own families
            first = str(err).strip().splitlines()[0] if str(err).strip() else repr(err)
            raise DataError(
                f"ClickHouse refused the query: {first[:500]}. Check that the tables named "
                "under `engine: tables:` exist with the canonical columns (user_id, timestamp, "
                "event); if they do, this is a funnelkit bug: report the query, or remove "
                "`engine:` to run on the embedded DuckDB."
            ) from err
        return like_duckdb(frame)

    def register(self, name: str, data: Any) -> None:
        """Make ``name`` a table of the session: a pandas frame, or a Parquet path in place.

        A frame (a small local table a query joins) becomes a temporary ``Memory`` table: in
        chdb through a Parquet file in the session's directory, on a server through the
        client's ``insert_df``. A path is read in place at each query (in chdb a view over
        ``file(path, 'Parquet')``; on a server the path is the server's).
        """
        ident = _ident(name)
        if self._session is None:
            if isinstance(data, (str, Path)):
                self.alias(name, str(data))
            else:
                self._upload(name, data)
            return
        if isinstance(data, (str, Path)):
            self._session.query(f"DROP VIEW IF EXISTS {ident}")
            self._session.query(f"CREATE VIEW {ident} AS SELECT * FROM {file_table(str(data))}")
            return
        assert self._tmp is not None
        path = Path(self._tmp) / f"{uuid.uuid4().hex}.parquet"
        data.to_parquet(path, index=False)
        self._session.query(f"DROP TEMPORARY TABLE IF EXISTS {ident}")
        self._session.query(
            f"CREATE TEMPORARY TABLE {ident} ENGINE = Memory AS "
            f"SELECT * FROM {file_table(str(path))}"
        )
        path.unlink()

    def _upload(self, name: str, frame: pd.DataFrame) -> None:
        """``frame`` as the server session's temporary table ``name`` (typed column by column)."""
        columns = ", ".join(f"{_ident(str(c))} {_column_type(frame[c])}" for c in frame.columns)
        self._command(f"DROP TEMPORARY TABLE IF EXISTS {_ident(name)}")
        self._command(f"CREATE TEMPORARY TABLE {_ident(name)} ({columns}) ENGINE = Memory")
        if len(frame):
            self._connect().insert_df(name, frame)

    def close(self) -> None:
        """Close the chdb session (and drop its directory) or the server client."""
        if self._session is not None:
            self._session.close()
            self._session = None
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None
        if self._client is not None:
            self._client.close()
            self._client = None


def _column_type(column: pd.Series) -> str:
    """The ClickHouse type a pandas column is uploaded as (nullable, as DuckDB's columns are)."""
    kind = column.dtype.kind
    if kind == "M":
        return "Nullable(DateTime64(6))"
    if kind in "iu":
        return "Nullable(Int64)"
    if kind == "f":
        return "Nullable(Float64)"
    if kind == "b":
        return "Nullable(Bool)"
    return "Nullable(String)"


def _ident(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"
