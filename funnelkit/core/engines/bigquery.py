"""BigQuery: the kit's queries run in the client's project, through Google's client library.

Credentials come from Google's usual chain (``GOOGLE_APPLICATION_CREDENTIALS``, ``gcloud auth
application-default login``, the metadata server) — never from ``client.yaml``, which names the
project, the dataset and the location only. With ``BIGQUERY_EMULATOR_HOST`` set (Google's own
variable for a local emulator) the client talks to that host without credentials.

Queries are written in DuckDB's dialect and transpiled to BigQuery's with its rules
(:func:`funnelkit.core.engines.transpile`, :mod:`.bigquery_rules`). Everything a run makes lives
in one BigQuery *session* (``create_session``): temporary tables a chapter creates, and the
small local tables a query joins (uploaded as rows of a temporary table). Views and the
engine-held tables are written into each query by name (:class:`~.names.Names`), so nothing is
written to a dataset. Only (aggregated) results are downloaded, brought to DuckDB's types.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import DataError
from . import missing_extra, transpile
from .bigquery_rows import bigquery_type, create_and_insert, quoted
from .names import Names
from .results import like_duckdb
from .session_views import SessionViews

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["RETRY_SECONDS", "BigQueryEngine"]

#: How long a call is retried when it fails for a reason worth retrying (no network, a rate
#: limit, a server error): Google's client retries for 10 minutes by default, as long as a
#: report cell may run, so an unreachable BigQuery ended in a cell timeout, not in a message.
RETRY_SECONDS = 120.0
#: Exceptions (by class name, Google's or requests') that mean BigQuery did not answer.
_UNREACHABLE = {"RetryError", "ConnectionError", "Timeout", "ServiceUnavailable",
                "TransportError", "DeadlineExceeded", "TimeoutError"}  # fmt: skip


@dataclass
class BigQueryEngine(SessionViews):
    """A BigQuery client for one project (and default dataset), in one session.

    Parameters
    ----------
    project : str
        The Google Cloud project billed for the queries.
    dataset : str, optional
        Default dataset of unqualified table names.
    location : str, optional
        Where the dataset lives (``EU``, ``US``, ``europe-west3`` …).
    maximum_bytes_billed : int, optional
        A query that would scan more is refused by BigQuery before it costs anything.

    Examples
    --------
    >>> engine = BigQueryEngine(project="acme")
    >>> engine.alias("events", "acme.ga4.events_flat")
    'events'
    >>> print(engine.sql("SELECT count(*) AS n FROM events"))
    SELECT COUNT(*) AS n FROM `acme`.`ga4`.`events_flat` AS events
    """

    project: str
    dataset: str | None = None
    location: str | None = None
    maximum_bytes_billed: int | None = None
    name: str = "bigquery"
    dialect: str = "bigquery"
    _client: Any = field(default=None, repr=False)
    _session: str | None = field(default=None, repr=False)
    _names: Names = field(default_factory=Names, repr=False)
    _temporary: set[str] = field(default_factory=set, repr=False)

    def _connect(self) -> Any:
        if self._client is None:
            try:
                from google.cloud import bigquery
            except ImportError as err:
                raise missing_extra("bigquery", "google-cloud-bigquery", err) from err
            options: dict[str, Any] = {"project": self.project, "location": self.location}
            if os.environ.get("BIGQUERY_EMULATOR_HOST"):  # a local emulator takes no credentials
                from google.auth.credentials import AnonymousCredentials

                options["credentials"] = AnonymousCredentials()
            self._client = bigquery.Client(**options)
        return self._client

    def sql(self, sql: str) -> str:
        """The BigQuery statement for DuckDB-dialect ``sql`` (the session's names written in)."""
        return transpile(self._names.inline(sql), self.dialect)

    # -- running ----------------------------------------------------------------------------------
    def _job(self, statement: str, *, dry_run: bool = False) -> tuple[Any, Any]:
        """Run ``statement`` (BigQuery's dialect) in the session: the job and its rows.

        The rows are the iterator of the one wait for the job (None for a dry run), so a
        result is asked for once.
        """
        client = self._connect()  # first: says which extra installs Google's client
        from google.cloud import bigquery
        from google.cloud.bigquery.retry import DEFAULT_JOB_RETRY, DEFAULT_RETRY

        config = bigquery.QueryJobConfig(
            maximum_bytes_billed=self.maximum_bytes_billed,
            dry_run=dry_run,
            create_session=self._session is None and not dry_run,
            connection_properties=[bigquery.ConnectionProperty("session_id", self._session)]
            if self._session
            else [],
        )
        # Each call is retried for RETRY_SECONDS. Starting a job gets no job_retry: with one,
        # Google's client wraps the start in a retry of its own, 10 minutes whatever is asked.
        # Waiting for the result may start a job that failed for a transient reason again.
        retry = DEFAULT_RETRY.with_deadline(RETRY_SECONDS)
        try:
            job = client.query(statement, job_config=config, retry=retry, job_retry=None)
            rows = (
                None
                if dry_run
                else job.result(
                    retry=retry, job_retry=DEFAULT_JOB_RETRY.with_deadline(RETRY_SECONDS)
                )
            )
        except Exception as err:  # google.api_core's exceptions: one message for the user
            raise self._error(err) from err
        if self._session is None and getattr(job, "session_info", None) is not None:
            self._session = job.session_info.session_id
        return job, rows

    def _error(self, err: Exception) -> DataError:
        """The user's message for a failed call: BigQuery unreachable, or the query refused."""
        first = str(err).strip().splitlines()[0] if str(err).strip() else repr(err)
        kinds = {cls.__name__ for cls in type(err).__mro__}
        if kinds & _UNREACHABLE:
            where = os.environ.get("BIGQUERY_EMULATOR_HOST") or "bigquery.googleapis.com"
            return DataError(
                f"BigQuery ({where}, project {self.project}) did not answer ({_cause(err)}). "
                f"Funnelkit retried for {RETRY_SECONDS:.0f} s and stopped rather than wait; "
                "check the network, the credentials (`gcloud auth application-default login` or "
                "GOOGLE_APPLICATION_CREDENTIALS) and the project, then run again."
            )
        return DataError(
            f"BigQuery refused the query: {first[:500]}. Check that the tables named under "
            "`engine: tables:` exist with the canonical columns (user_id, timestamp, event) "
            "and that the credentials may read them; if they do, this is a funnelkit bug: "
            "report the query, or remove `engine:` to run on the embedded DuckDB."
        )

    def run(self, statement: str) -> pd.DataFrame:
        """Run a statement already in BigQuery's dialect; its rows with DuckDB's pandas types."""
        _, rows = self._job(statement)
        return like_duckdb(rows.to_arrow(create_bqstorage_client=False).to_pandas())

    def query(self, sql: str) -> pd.DataFrame:
        """Run DuckDB-dialect ``sql`` in BigQuery; the result as DuckDB would give it."""
        return self.run(self.sql(sql))

    frame = query  # what EngineConnection calls

    def _command(self, statement: str) -> None:
        self._job(statement)

    # -- what the report's chapters need (see funnelkit.core.engines.connection) -----------------
    def alias(self, name: str, ref: str) -> str:
        """Let queries name the table ``ref`` (``project.dataset.table`` or ``dataset.table``).

        Nothing is asked of BigQuery; :meth:`instant_columns` then reads its types.
        """
        self._names.define(name, ".".join(f'"{part}"' for part in self._qualified(ref)))
        return name

    def _qualified(self, ref: str) -> list[str]:
        """``project.dataset.table`` of ``ref``.

        Queries name no default dataset, so a name without one is always the session's own
        temporary table.
        """
        parts = ref.split(".")
        if len(parts) == 1 and self.dataset is None:
            raise DataError(
                f"engine: bigquery: the table {ref!r} names no dataset; write it as "
                "`dataset.table` (or `project.dataset.table`) under `engine: tables:`, or set "
                "`dataset:` under `engine:`."
            )
        prefix = [self.project, str(self.dataset)][: 3 - len(parts)] if len(parts) < 3 else []
        return [*prefix, *parts]

    def instant_columns(self, name: str) -> list[str]:
        """The TIMESTAMP columns of ``name``: instants (a DATETIME is a wall-clock time).

        The kit reads them in the client's time zone (:func:`funnelkit.data.engines.open_engine`
        writes ``timezone(zone, column)``: ``DATETIME(column, zone)`` here). The types come from
        a dry run.
        """
        return [c for c, kind in self.describe(f"SELECT * FROM {name}")
                if kind == "TIMESTAMP WITH TIME ZONE"]  # fmt: skip

    def nested_schema(self, name: str) -> dict[str, Any]:
        """The fields of ``name``, a RECORD's (also a repeated one's) fields nested as dicts.

        From a dry run; what an export's adapter reads to know which fields a table has.
        """
        job, _ = self._job(self.sql(f"SELECT * FROM {name}"), dry_run=True)
        return _nested(job.schema)

    def describe(self, sql: str) -> list[tuple[str, str]]:
        """The columns of ``sql``'s result and their DuckDB type names (a dry run: free)."""
        job, _ = self._job(self.sql(sql), dry_run=True)
        return [(f.name, bigquery_type(f.field_type, f.mode)) for f in job.schema]

    def _make_table(self, name: str, sql: str) -> None:
        self._command(f"CREATE OR REPLACE TEMP TABLE {quoted(name)} AS {self.sql(sql)}")

    def _drop_table(self, name: str) -> None:
        self._command(f"DROP TABLE IF EXISTS {quoted(name)}")

    def register(self, name: str, data: Any) -> None:
        """A small pandas frame as the session's temporary table ``name``, or a table reference.

        A frame's rows are sent as ``INSERT … VALUES``; a reference (``dataset.table``) is read
        in place under ``name``.
        """
        if isinstance(data, str):
            self.alias(name, data)
            return
        for statement in create_and_insert(name, data):
            self._command(statement)
        self._temporary.add(name)

    def close(self) -> None:
        """End the session (its temporary tables go with it) and close the client."""
        if self._client is not None:
            if self._session is not None:
                try:
                    self._command("CALL BQ.ABORT_SESSION()")
                except DataError:
                    pass  # a session BigQuery already ended ends anyway after 24 h idle
                self._session = None
            self._client.close()
            self._client = None


def _cause(err: BaseException) -> str:
    """The first cause of a failed call, in a line (Google's and requests' wrappers removed).

    Examples
    --------
    >>> try:
    ...     try:
    ...         raise ConnectionRefusedError("[Errno 111] Connection refused")
    ...     except OSError as inner:
    ...         raise RuntimeError("Timeout of 120.0s exceeded") from inner
    ... except RuntimeError as outer:
    ...     print(_cause(outer))
    [Errno 111] Connection refused
    """
    for _ in range(10):
        inner = getattr(err, "cause", None) or err.__cause__ or err.__context__
        if not isinstance(inner, BaseException) or inner is err:
            break
        err = inner
    text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return text.rsplit(": ", 1)[-1] if "Errno" in text else text[:300]


def _nested(fields: Any) -> dict[str, Any]:
    """BigQuery ``SchemaField``s as nested dicts (a RECORD's fields; a type name otherwise)."""
    return {
        f.name: _nested(f.fields) if f.field_type in ("RECORD", "STRUCT")
        else f.field_type
        for f in fields
    }  # fmt: skip
