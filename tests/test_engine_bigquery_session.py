"""The BigQuery engine's session: what it sends through Google's client, and what comes back.

Google's client is replaced by a stand-in with its surface (``Client.query(statement,
job_config=QueryJobConfig(...))``, a job's ``result()``, ``schema``, ``session_info``) that
records each statement and answers it with DuckDB (the statement read back from BigQuery's
dialect by sqlglot). It checks what the engine asks BigQuery to do — one session, temporary
tables only, small tables sent as rows, a dry run to read a type, the session ended — not
BigQuery's answers (docs/scale.md: the emulator run, and no run on BigQuery itself).
"""

from __future__ import annotations

import sys
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

sqlglot = pytest.importorskip("sqlglot", reason="sqlglot (the engines' SQL translator) missing")

import duckdb  # noqa: E402

import funnelkit  # noqa: E402
from funnelkit.core.engines.bigquery import RETRY_SECONDS, BigQueryEngine  # noqa: E402
from funnelkit.core.errors import DataError  # noqa: E402
from funnelkit.data.engines import read_in_time_zone  # noqa: E402

_TYPES = {"VARCHAR": "STRING", "BIGINT": "INTEGER", "DOUBLE": "FLOAT", "TIMESTAMP": "DATETIME",
          "TIMESTAMP WITH TIME ZONE": "TIMESTAMP", "BOOLEAN": "BOOLEAN", "DATE": "DATE",
          "INTEGER": "INTEGER"}  # fmt: skip


def _field(name: str, kind: Any) -> Any:
    """A ``SchemaField`` of a DuckDB type: a struct is a RECORD, a list is REPEATED."""
    mode = "NULLABLE"
    while kind.id == "list":
        kind, mode = kind.child, "REPEATED"
    if kind.id == "struct":
        fields = [_field(n, c) for n, c in kind.children]
        return types.SimpleNamespace(name=name, field_type="RECORD", mode=mode, fields=fields)
    return types.SimpleNamespace(name=name, field_type=_TYPES[str(kind)], mode=mode, fields=[])


@dataclass
class QueryJobConfig:
    default_dataset: str | None = None
    maximum_bytes_billed: int | None = None
    dry_run: bool = False
    create_session: bool = False
    connection_properties: list[Any] = field(default_factory=list)


@dataclass
class ConnectionProperty:
    key: str
    value: str


@dataclass
class Retry:
    """``bigquery.DEFAULT_RETRY``: how long a failing call is retried."""

    deadline: float = 600.0

    def with_deadline(self, deadline: float) -> Retry:
        return Retry(deadline)


class Job:
    def __init__(self, frame: pd.DataFrame | None, schema: list[Any], session: str | None):
        self.frame, self.schema = frame, schema
        self.session_info = types.SimpleNamespace(session_id=session) if session else None

    def result(self, retry: Retry, job_retry: Retry) -> Job:
        assert retry.deadline == job_retry.deadline == RETRY_SECONDS
        return self

    def to_arrow(self, *, create_bqstorage_client: bool) -> Any:
        import pyarrow as pa

        assert create_bqstorage_client is False  # results are small: no Storage API client
        return pa.Table.from_pandas(self.frame, preserve_index=False)


class Client:
    """Google's ``bigquery.Client``, answered by DuckDB, every statement kept in ``sent``."""

    last: Client | None = None
    setup: tuple[str, ...] = ()  # more tables, made by a test

    def __init__(self, project: str, location: str | None = None, credentials: Any = None):
        self.project, self.sent, self.configs = project, [], []
        self.unreachable = False
        self.con = duckdb.connect()
        self.con.execute("CREATE SCHEMA shop")
        self.con.execute(
            "CREATE TABLE shop.events AS SELECT 'u' || (i % 7) AS user_id, "
            "TIMESTAMPTZ '2026-09-01 00:00:00+00' + INTERVAL (i) HOUR AS timestamp, "
            "CASE WHEN i % 3 = 0 THEN 'purchase' ELSE 'page_view' END AS event "
            "FROM range(100) r(i)"
        )
        for statement in Client.setup:
            self.con.execute(statement)
        Client.last = self

    def query(
        self, statement: str, job_config: QueryJobConfig, retry: Retry, job_retry: Retry | None
    ) -> Job:
        assert retry.deadline == RETRY_SECONDS  # not Google's 10 minutes
        assert job_retry is None  # else Google's client retries the job's start for 10 minutes
        if self.unreachable:
            raise ConnectionRefusedError("[Errno 111] Connection refused")
        self.sent.append(statement)
        self.configs.append(job_config)
        if "BQ.ABORT_SESSION" in statement:
            return Job(None, [], None)
        text = sqlglot.transpile(statement, read="bigquery", write="duckdb")[0]
        text = text.replace("local.shop.", "shop.").replace('"local"."shop".', "shop.")
        session = "session-1" if job_config.create_session else None
        if job_config.dry_run:
            relation = self.con.sql(text)
            schema = [_field(n, t) for n, t in zip(relation.columns, relation.types, strict=True)]
            return Job(None, schema, session)
        try:
            relation = self.con.sql(text)
        except duckdb.Error as err:
            raise RuntimeError(f"400 {err}") from err
        return Job(relation.df() if relation is not None else None, [], session)

    def close(self) -> None:
        self.con.close()


@pytest.fixture
def engine(monkeypatch) -> BigQueryEngine:
    module = types.ModuleType("google.cloud.bigquery")
    module.Client, module.QueryJobConfig = Client, QueryJobConfig
    module.ConnectionProperty = ConnectionProperty
    retries = types.ModuleType("google.cloud.bigquery.retry")
    retries.DEFAULT_RETRY, retries.DEFAULT_JOB_RETRY = Retry(600.0), Retry(2400.0)
    monkeypatch.setitem(sys.modules, "google.cloud.bigquery.retry", retries)
    monkeypatch.setitem(sys.modules, "google.cloud.bigquery", module)
    credentials = types.ModuleType("google.auth.credentials")
    credentials.AnonymousCredentials = type("AnonymousCredentials", (), {})
    monkeypatch.setitem(sys.modules, "google.auth", types.ModuleType("google.auth"))
    monkeypatch.setitem(sys.modules, "google.auth.credentials", credentials)
    monkeypatch.setenv("BIGQUERY_EMULATOR_HOST", "http://127.0.0.1:9")  # anonymous credentials
    return BigQueryEngine(project="local", dataset="shop")


def test_one_session_carries_every_statement(engine):
    engine.alias("events", "local.shop.events")
    engine.query("SELECT count(*) AS n FROM events")
    engine.query("SELECT count(DISTINCT user_id) AS u FROM events")
    configs = Client.last.configs
    runs = [c for c in configs if not c.dry_run]
    assert runs[0].create_session and not any(c.create_session for c in runs[1:])
    assert all(c.connection_properties[0].value == "session-1" for c in runs[1:])
    assert all(c.default_dataset is None for c in configs)  # names are written in full


def test_a_table_is_named_in_full_in_the_queries(engine):
    engine.alias("events", "events")  # the dataset from `engine: dataset:`
    engine.alias("orders", "sales.orders")
    assert "FROM `local`.`shop`.`events` AS events" in engine.sql("SELECT * FROM events")
    assert "FROM `local`.`sales`.`orders` AS orders" in engine.sql("SELECT * FROM orders")
    with pytest.raises(DataError, match=r"names no dataset; write it as `dataset\.table`"):
        BigQueryEngine(project="p").alias("events", "events")


def test_a_timestamp_column_is_read_as_the_clients_wall_clock_datetime(engine):
    """A TIMESTAMP is an instant: read as the DATETIME in the client's zone (summer time: +2 h
    in Berlin), which the kit's SQL compares with its DATETIME literals."""
    engine.alias("events", "local.shop.events")
    assert dict(engine.describe("SELECT * FROM events"))["timestamp"] == "TIMESTAMP WITH TIME ZONE"
    assert Client.last.configs[0].dry_run  # the table's types came from a dry run (free)
    read_in_time_zone(engine, "events", "Europe/Berlin")
    assert dict(engine.describe("SELECT * FROM events"))["timestamp"] == "TIMESTAMP"
    assert "DATETIME(`timestamp`, 'Europe/Berlin')" in engine.sql("SELECT * FROM events")
    first = engine.query("SELECT min(timestamp) AS first FROM events")["first"].iloc[0]
    assert first == pd.Timestamp("2026-09-01 02:00:00")  # 00:00 UTC


def test_a_small_local_table_is_sent_as_rows_of_a_session_temporary_table(engine):
    orders = pd.DataFrame({
        "order_id": [f"o{i}" for i in range(1_200)], "revenue": [i / 4 for i in range(1_200)],
        "timestamp": pd.date_range("2026-09-01", periods=1_200, freq="h"),
        "note": ["it's", None] * 600,
    })  # fmt: skip
    engine.register("orders", orders)
    got = engine.query(
        "SELECT count(*) AS n, sum(revenue) AS revenue, count(note) AS notes, "
        "max(timestamp) AS last FROM orders"
    ).iloc[0]
    assert (got["n"], got["revenue"], got["notes"]) == (1_200, orders["revenue"].sum(), 600)
    assert got["last"] == orders["timestamp"].max()
    sent = Client.last.sent
    assert sent[0].startswith("CREATE OR REPLACE TEMP TABLE `orders`")
    assert sum(s.startswith("INSERT INTO `orders` VALUES") for s in sent) == 1


def test_a_larger_table_goes_in_statements_under_bigquerys_1_mb(engine, monkeypatch):
    from funnelkit.core.engines import bigquery_rows

    monkeypatch.setattr(bigquery_rows, "CHARACTERS_PER_INSERT", 10_000)
    frame = pd.DataFrame({"user_id": [f"user-{i:06d}" for i in range(5_000)], "n": range(5_000)})
    engine.register("assignments", frame)
    inserts = [s for s in Client.last.sent if s.startswith("INSERT")]
    assert len(inserts) == 12 and all(len(s) < 10_100 for s in inserts)  # ~21 chars a row
    got = engine.query("SELECT count(*) AS n, sum(n) AS total FROM assignments").iloc[0]
    assert (got["n"], got["total"]) == (5_000, sum(range(5_000)))


def test_chapters_make_temporary_tables_and_views_only_and_the_session_ends(engine):
    engine.alias("events", "local.shop.events")
    read_in_time_zone(engine, "events", "UTC")
    engine.create("buyers", "SELECT DISTINCT user_id FROM events WHERE event = 'purchase'",
                  materialize=True)  # fmt: skip
    engine.create("views", "SELECT * FROM events WHERE event = 'page_view'", materialize=False)
    got = engine.query("SELECT count(*) AS n FROM views JOIN buyers USING (user_id)")
    assert got["n"].iloc[0] == 66
    engine.replace_column("events", "event", "upper(event)")
    assert engine.query("SELECT min(event) AS e FROM events")["e"].iloc[0] == "PAGE_VIEW"
    engine.drop("buyers")
    client = Client.last
    engine.close()
    created = [s for s in client.sent if s.startswith(("CREATE", "INSERT", "DROP"))]
    assert created == [
        "CREATE OR REPLACE TEMP TABLE `buyers` AS SELECT DISTINCT user_id FROM (SELECT * REPLACE "
        "(DATETIME(`timestamp`, 'UTC') AS `timestamp`) FROM `local`.`shop`.`events` AS events) "
        "AS events WHERE event = 'purchase'",
        "DROP TABLE IF EXISTS `buyers`",
    ]
    assert client.sent[-1] == "CALL BQ.ABORT_SESSION()"


def test_a_refused_query_says_what_to_check(engine):
    engine.alias("events", "local.shop.events")
    with pytest.raises(DataError, match=r"BigQuery refused the query: 400 .*engine: tables:"):
        engine.query("SELECT no_such_column FROM events")


def test_an_unreachable_bigquery_stops_with_a_message_after_two_minutes_not_ten(engine):
    """Google's client retries for 10 minutes, a report cell's whole time; the engine asks for
    2, then says that BigQuery did not answer (not that it refused the query)."""
    engine.alias("events", "local.shop.events")
    engine.query("SELECT count(*) AS n FROM events")
    Client.last.unreachable = True
    with pytest.raises(
        DataError, match=r"did not answer \(\[Errno 111\] Connection refused\)"
    ) as e:
        engine.query("SELECT count(*) AS n FROM events")
    assert "retried for 120 s" in str(e.value) and "http://127.0.0.1:9" in str(e.value)
    assert "refused the query" not in str(e.value)


def test_a_ga4_export_in_bigquery_is_read_by_the_ga4_adapters_mapping(
    engine, tmp_path, monkeypatch
):
    """``engine.tables: {events: {table: …, format: ga4_export}}``: the client's events and
    orders are the nested export read as the GA4 adapter reads its files (pandas reference),
    their times in the client's zone; nothing but views and the session's own tables."""
    sys.path.insert(0, str(Path(__file__).parent))
    from test_adapter_ga4 import TZ, ga4_days, reference, write_export

    days = ga4_days(missing=(0, 2))  # two purchases without a transaction id
    folder = write_export(tmp_path / "export", days, "parquet")
    monkeypatch.setattr(Client, "setup", (
        f"CREATE TABLE shop.ga4 AS SELECT * FROM read_parquet('{folder}/*.parquet', "
        "union_by_name = true)",
    ))  # fmt: skip
    export = {"table": "local.shop.ga4", "format": "ga4_export"}
    document = {
        "client": "GA4 in BigQuery", "currency": "EUR", "timezone": TZ,
        "period": {"start": "2026-10-01", "end": "2026-10-31"},
        "engine": {"name": "bigquery", "project": "local",
                   "tables": {"events": export, "orders": export}},
    }  # fmt: skip
    (tmp_path / "client.yaml").write_text(yaml.safe_dump(document), encoding="utf-8")
    client = funnelkit.load_client(tmp_path, emit_warnings=False)
    try:
        got = client.sql("SELECT * FROM events").sort_values(["user_id", "timestamp", "event"])
        want = reference(days).sort_values(["user_id", "timestamp", "event"])
        pd.testing.assert_frame_equal(got.reset_index(drop=True),
                                      want[got.columns].reset_index(drop=True),
                                      check_dtype=False)  # fmt: skip
        orders = client.sql("SELECT order_id, revenue FROM orders ORDER BY order_id")
        paid = want.dropna(subset=["order_id"]).sort_values("order_id")
        assert orders["order_id"].tolist() == paid["order_id"].tolist() and len(orders) > 5
        assert client.row_counts["events"] == len(want)
        untracked = [p for p in client.problems if p.check == "ga4_no_transaction_id"]
        lost = want[(want["event"] == "purchase") & want["order_id"].isna()]["revenue"].sum()
        assert [(p.table, p.rows) for p in untracked] == [("orders", 2)]
        assert "2 purchase event(s) have no ecommerce.transaction_id" in untracked[0].message
        assert f"revenue {lost:,.2f} in all" in untracked[0].message
    finally:
        sent = Client.last.sent
        client.con.close()
    assert any("[SAFE_OFFSET(0)].value" in s for s in sent)  # a missing parameter: NULL
    assert not any(s.startswith(("INSERT INTO `local`", "CREATE TABLE", "DROP TABLE `local`"))
                   for s in sent)  # fmt: skip
