"""The report's chapters on ClickHouse (chdb in-process) give DuckDB's numbers on the demo.

The demo's events are written to Parquet and named in ``engine.tables`` of a client with
``engine: clickhouse`` (no host: chdb, ClickHouse's own engine in this process, reading the file
in place with ``file()``); its other tables stay in ``data:``. Every chapter's results are
computed on both clients and compared number by number (1e-9 relative). The statements chdb
runs are the strings a ClickHouse server would get (tests/test_engine_clickhouse.py).
``funnelkit run`` of the whole demo on chdb is measured in docs/scale.md.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

pytest.importorskip("chdb", reason="chdb (ClickHouse in-process) is not installed")
pytest.importorskip("sqlglot", reason="sqlglot (the engines' SQL translator) is not installed")

from click.testing import CliRunner

import funnelkit
from funnelkit.data.engine_client import check_on_engine
from funnelkit.data.prepare import prepare
from funnelkit.health import table_overview
from funnelkit.presentation.results import to_jsonable
from funnelkit.presentation.value import review_value
from funnelkit.run.cli import main

sys.path.insert(0, str(Path(__file__).parent))
from engine_compare import CHAPTERS, differences, engine_client, events_by_day, zoned_events


@pytest.fixture(scope="module")
def clients(tmp_path_factory) -> Iterator[tuple[Any, Any]]:
    """(the demo on DuckDB, the demo with its events on ClickHouse)."""
    root = tmp_path_factory.mktemp("clickhouse_client")
    duck = funnelkit.load_client(emit_warnings=False)
    events = root / "events.parquet"
    duck.con.execute(f"COPY (SELECT * FROM events) TO '{events}' (FORMAT parquet)")
    folder = engine_client(root / "shop", events, "clickhouse")
    clickhouse = funnelkit.load_client(folder, emit_warnings=False)
    _record(clickhouse.con.engine)
    yield duck, clickhouse
    clickhouse.con.close()


def _record(engine: Any) -> None:
    """Keep every DuckDB-dialect statement the chapters send ``engine`` (in ``engine.sent``)."""
    engine.sent = []
    for method in ("frame", "describe", "create"):
        original = getattr(engine, method)

        def recording(*args: Any, _original: Any = original, **kwargs: Any) -> Any:
            engine.sent.append(args[-1] if len(args) == 2 else args[0])
            return _original(*args, **kwargs)

        setattr(engine, method, recording)


def test_the_events_are_on_clickhouse_and_the_small_tables_in_duckdb(clients):
    duck, clickhouse = clients
    assert type(clickhouse.con.engine).__name__ == "ClickHouseEngine"
    assert clickhouse.row_counts == duck.row_counts
    sent = clickhouse.con.engine.sql("SELECT count(*) AS n FROM events")
    assert '"file"(\'' in sent and "events.parquet', 'Parquet') AS events" in sent


@pytest.mark.parametrize(("chapter", "compute"), CHAPTERS, ids=[c for c, _ in CHAPTERS])
def test_a_chapter_on_clickhouse_gives_duckdbs_numbers(clients, chapter, compute):
    duck, clickhouse = clients
    expected, got = to_jsonable(compute(duck)), to_jsonable(compute(clickhouse))
    assert differences(expected, got) == [], chapter
    assert len(str(expected)) > 1000  # the chapter computed something


class ChdbServer:
    """A clickhouse-connect client stand-in: what a server would get, run by chdb, recorded."""

    def __init__(self, folder: Path) -> None:
        from chdb import session

        self.session, self.folder, self.sent = session.Session(), folder, []

    def command(self, text: str) -> None:
        self.sent.append(text)
        self.session.query(text)

    def query_df(self, text: str) -> Any:
        self.sent.append(text)
        return self.session.query(text, "DataFrame")

    def insert_df(self, table: str, frame: Any) -> None:
        path = self.folder / f"{table}.parquet"
        frame.to_parquet(path, index=False)
        self.sent.append(f"insert_df {table}")
        self.session.query(f"INSERT INTO `{table}` SELECT * FROM file('{path}', 'Parquet')")

    def close(self) -> None:
        self.session.close()


def test_on_a_server_the_chapters_upload_small_tables_and_write_nothing_lasting(
    clients, tmp_path, monkeypatch
):
    """The server path (clickhouse-connect) with chdb answering: same numbers, temporary only."""
    clickhouse_connect = pytest.importorskip("clickhouse_connect", reason="no clickhouse-connect")
    duck, local = clients
    server = ChdbServer(tmp_path)
    monkeypatch.setattr(clickhouse_connect, "get_client", lambda **_: server)
    events = local.config.engine.tables["events"]
    folder = engine_client(tmp_path / "shop", Path(events), "clickhouse", host="ch.example")
    client = funnelkit.load_client(folder, emit_warnings=False)
    for chapter, compute in CHAPTERS[1:4]:
        assert differences(compute(duck), compute(client)) == [], chapter
    created = [s.split(" AS ")[0][:60] for s in server.sent if s.startswith("CREATE")]
    assert created and all(s.startswith("CREATE TEMPORARY TABLE") for s in created), created
    assert "insert_df orders" in server.sent  # a small local table the funnel's value joins
    assert not any(s.startswith(("INSERT", "ALTER", "DROP TABLE")) for s in server.sent)


def test_every_statement_the_chapters_sent_is_written_for_bigquery(clients):
    """The statements the chapters above sent to ClickHouse, written for BigQuery: each parses
    back with BigQuery's grammar and keeps nothing BigQuery lacks or reads differently."""
    from test_engine_bigquery_sql import leftovers

    engine = clients[1].con.engine
    if len(set(engine.sent)) <= 40:  # run alone: the chapters above have not run
        for _, compute in CHAPTERS:
            compute(clients[1])
    sent = list(dict.fromkeys(engine.sent))
    assert len(sent) > 40  # every chapter sent its own statements
    found = {sql[:120]: problems for sql in sent if (problems := leftovers(sql))}
    assert found == {}


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT min(timestamp) AS first, max(timestamp) AS last, sum(revenue) AS revenue, "
        "count(*) AS n, count(DISTINCT user_id) AS users FROM events WHERE event = 'no such'",
        "SELECT channel, sum(revenue) FILTER (WHERE event = 'no such') AS revenue, "
        "max(timestamp) FILTER (WHERE event = 'no such') AS last, "
        "count(*) FILTER (WHERE event = 'no such') AS n FROM events GROUP BY 1 ORDER BY 1",
    ],
    ids=["over no rows", "filtered in each group"],
)
def test_an_aggregate_over_no_rows_is_null_as_in_duckdb(clients, sql):
    """ClickHouse's default would give 0 and 1970-01-01 (a period with no events, a step none
    reached); counts stay 0."""
    duck, clickhouse = clients
    want, got = duck.sql(sql), clickhouse.sql(sql)
    assert want.isna().sum().sum() > 0
    assert differences(to_jsonable(want), to_jsonable(got)) == []


def test_the_visits_of_chapter_06_are_computed_on_clickhouse(clients):
    """The return rate comes from a day spine (generate_series), ClickHouse's arrayJoin here."""
    _, clickhouse = clients
    chapter = review_value(clickhouse)
    assert "visits" not in chapter.problems and int(chapter.visits["period_number"].max()) > 4


def test_the_data_health_table_says_which_engine_holds_the_events(clients):
    duck, clickhouse = clients
    files = table_overview(clickhouse).set_index("table")["file"]
    assert files["events"] == "events.parquet · ClickHouse"
    assert files["orders"] == table_overview(duck).set_index("table")["file"]["orders"]


def test_check_lists_the_engine_held_events_and_not_as_missing(clients):
    duck, clickhouse = clients
    result = CliRunner().invoke(main, ["check", str(clickhouse.config.client_dir)])
    assert result.exit_code == 0, result.output
    rows = duck.row_counts["events"]
    assert f"Read in place on clickhouse (engine.tables, checked):\n- events: {rows:,} rows (" in (
        result.output
    )
    missing = result.output.partition("Not provided")[2].partition("Warnings")[0]
    assert "Not provided" not in result.output or "- events:" not in missing
    tables = len(duck.row_counts)  # 8 from the folder and the events on ClickHouse
    assert f"client.yaml and {tables} tables checked, 1 of them on clickhouse (" in result.output


def test_an_engine_table_without_its_canonical_columns_stops_the_run_before_a_chapter(
    clients, tmp_path
):
    duck, _ = clients
    events = tmp_path / "events.parquet"
    duck.con.execute(
        f"COPY (SELECT * EXCLUDE (timestamp), CAST(timestamp AS VARCHAR) AS timestamp "
        f"FROM events LIMIT 100) TO '{events}' (FORMAT parquet)"
    )
    folder = engine_client(tmp_path / "shop", events, "clickhouse")
    out = tmp_path / "reports"
    result = CliRunner().invoke(main, ["run", str(folder), "--output-dir", str(out)])
    assert result.exit_code == 2, result.output
    assert "events on clickhouse" in result.output and "timestamp is VARCHAR" in result.output
    assert not any(out.rglob("*.html"))  # no chapter ran


def test_an_engine_table_with_more_than_the_canonical_columns_gets_its_health_chapter(
    clients, tmp_path
):
    """A GA4 or Metrica table keeps its own columns beside the canonical ones: chapter 00 reads
    the canonical ones (it used to stop on the first other column)."""
    duck, _ = clients
    events = tmp_path / "events.parquet"
    duck.con.execute(
        f"COPY (SELECT *, 1 AS ga_session_number, NULL::VARCHAR AS platform FROM events) "
        f"TO '{events}' (FORMAT parquet)"
    )
    wide = funnelkit.load_client(engine_client(tmp_path / "shop", events, "clickhouse"),
                                 emit_warnings=False)  # fmt: skip
    try:
        assert "ga_session_number" in wide.columns("events")
        expected, got = to_jsonable(CHAPTERS[0][1](duck)), to_jsonable(CHAPTERS[0][1](wide))
        assert differences(expected, got) == []
    finally:
        wide.con.close()


def test_the_loaders_warnings_about_an_engine_table_are_found_on_the_engine(clients, tmp_path):
    """Repeated events and rows in the future, as a file would be warned about; found once by
    the run's check, kept beside the prepared data for the chapters."""
    duck, _ = clients
    events = tmp_path / "events.parquet"
    duck.con.execute(
        f"COPY (SELECT * FROM events UNION ALL (SELECT * FROM events ORDER BY user_id, timestamp "
        f"LIMIT 5) UNION ALL (SELECT * REPLACE (TIMESTAMP '2031-01-01 10:00' AS timestamp) "
        f"FROM events ORDER BY user_id DESC LIMIT 3)) TO '{events}' (FORMAT parquet)"
    )
    folder = engine_client(tmp_path / "shop", events, "clickhouse")
    prepared = prepare(folder)
    held, found = check_on_engine(prepared.open)
    assert held["events"] == duck.row_counts["events"] + 8
    checks = {(p.table, p.check): p.rows for p in found}
    assert checks == {("events", "repeated_events"): 5, ("events", "future"): 3}
    assert all(p.file == "events.parquet" for p in found)
    kept = prepared.database.with_name("engine_warnings.json")
    assert kept.is_file()
    client = prepared.open()  # a chapter: the warnings as the check left them
    try:
        assert [p for p in client.problems if p.table == "events"] == found
    finally:
        client.con.close()
    kept.write_text("[]", encoding="utf-8")  # read from the file, not computed again …
    client = prepared.open()
    try:
        assert not [p for p in client.problems if p.table == "events"]
    finally:
        client.con.close()
    assert check_on_engine(prepared.open)[1] == found  # … until the next run's check
    result = CliRunner().invoke(main, ["check", str(folder)])
    assert "events.parquet: 5 events repeat another event" in result.output
    assert "events.parquet: 3 rows are dated more than a day in the future" in result.output


def test_the_comparison_sees_a_difference_in_the_9th_digit():
    assert differences({"a": [1.0, "x"]}, {"a": [1.0, "x"]}) == []
    assert differences({"a": [1.0, "x"]}, {"a": [1.000000002, "x"]}) != []
    assert differences({"a": [1.0, "x"]}, {"a": [1.0, "y"]}) != []


def test_instants_are_read_in_the_clients_time_zone_as_from_a_file(clients, tmp_path):
    """Events whose Parquet timestamps are instants give the same days, times and chapters as
    the same file loaded from ``data:`` (the loader reads them in the client's zone)."""
    duck, _ = clients
    events = zoned_events(duck, tmp_path / "zoned.parquet")
    client = funnelkit.load_client(engine_client(tmp_path / "c", events, "clickhouse"),
                                   emit_warnings=False)  # fmt: skip
    try:
        assert "timeZoneOffset(toTimeZone" in client.con.engine.sql("SELECT * FROM events")
        assert events_by_day(client) == events_by_day(duck)
        for chapter, compute in CHAPTERS[1:3]:
            assert differences(compute(duck), compute(client)) == [], chapter
    finally:
        client.con.close()


def test_which_columns_hold_instants_on_clickhouse(clients, tmp_path):
    """A Parquet timestamp is an instant when the file says so; a table's DateTime always is."""
    from funnelkit.core.engines.clickhouse import ClickHouseEngine

    duck, _ = clients
    zoned = zoned_events(duck, tmp_path / "zoned.parquet")
    naive = tmp_path / "naive.parquet"
    duck.con.execute(f"COPY (SELECT * FROM events LIMIT 10) TO '{naive}' (FORMAT parquet)")
    engine = ClickHouseEngine.local()
    engine.alias("zoned", str(zoned))
    engine.alias("naive", str(naive))
    assert engine.instant_columns("zoned") == ["timestamp"]
    assert engine.instant_columns("naive") == []


def test_a_server_tables_datetime_is_read_in_the_clients_time_zone(clients, tmp_path, monkeypatch):
    """A ClickHouse table's DateTime is an instant whatever its declared zone (none here)."""
    clickhouse_connect = pytest.importorskip("clickhouse_connect", reason="no clickhouse-connect")
    duck, _ = clients
    zoned = zoned_events(duck, tmp_path / "zoned.parquet")
    server = ChdbServer(tmp_path)
    server.command(
        "CREATE TABLE hits ENGINE = Memory AS SELECT * REPLACE (CAST(timestamp AS "
        f"DateTime64(6)) AS timestamp) FROM file('{zoned}', 'Parquet')"
    )
    monkeypatch.setattr(clickhouse_connect, "get_client", lambda **_: server)
    folder = engine_client(tmp_path / "shop", zoned, "clickhouse", host="ch.example")
    document = yaml.safe_load((folder / "client.yaml").read_text(encoding="utf-8"))
    document["engine"]["tables"]["events"] = "hits"
    (folder / "client.yaml").write_text(yaml.safe_dump(document, sort_keys=False), "utf-8")
    client = funnelkit.load_client(folder, emit_warnings=False)
    try:
        assert events_by_day(client) == events_by_day(duck)
    finally:
        client.con.close()


def test_with_the_orders_on_the_engine_too_the_chapters_give_duckdbs_numbers(clients, tmp_path):
    """Orders read in place as well (the value chapter's month spine, the metrics' CLV curve
    and the funnel's revenue join run on ClickHouse): the same numbers as DuckDB's."""
    duck, _ = clients
    events, orders = tmp_path / "events.parquet", tmp_path / "orders.parquet"
    duck.con.execute(f"COPY (SELECT * FROM events) TO '{events}' (FORMAT parquet)")
    duck.con.execute(f"COPY (SELECT * FROM orders) TO '{orders}' (FORMAT parquet)")
    folder = engine_client(tmp_path / "shop", events, "clickhouse")
    document = yaml.safe_load((folder / "client.yaml").read_text(encoding="utf-8"))
    del document["data"]["orders"]
    document["engine"]["tables"]["orders"] = str(orders)
    (folder / "client.yaml").write_text(yaml.safe_dump(document, sort_keys=False), "utf-8")
    client = funnelkit.load_client(folder, emit_warnings=False)
    try:
        assert client.con.on_engine({"orders"})
        for chapter, compute in [CHAPTERS[1], CHAPTERS[6]]:
            assert differences(compute(duck), compute(client)) == [], chapter
    finally:
        client.con.close()
