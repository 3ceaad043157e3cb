"""The portable funnel on ClickHouse (chdb: ClickHouse's engine in-process) equals DuckDB's.

One chdb session serves the module. On random logs (the strategy ``cases`` of
tests/test_funnel_engine.py) every mode's per-unit result and its counts per depth are compared
with DuckDB running the same DuckDB-dialect SQL; on the demo client the funnel of client.yaml,
read in place from Parquet, gives DuckDB's counts, also per channel. The string chdb receives is
the one a ClickHouse server would receive.
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings

chdb = pytest.importorskip("chdb", reason="chdb (ClickHouse in-process) is not installed")
pytest.importorskip("sqlglot", reason="sqlglot (the engines' SQL translator) is not installed")

from funnelkit import load_client  # noqa: E402
from funnelkit.core.engines.clickhouse import ClickHouseEngine  # noqa: E402
from funnelkit.core.engines.clickhouse_sql import SETTINGS, clickhouse_sql  # noqa: E402
from funnelkit.data.sources import connect  # noqa: E402
from funnelkit.funnel import engine_sql, funnel_paths  # noqa: E402
from funnelkit.funnel.engine import _plan  # noqa: E402
from funnelkit.funnel.remote import remote_funnel  # noqa: E402
from funnelkit.funnel.spec import FunnelError, FunnelSpec  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from engine_compare import wall_clock_differences  # noqa: E402
from test_funnel_engine import MODES, _normal, cases  # noqa: E402

SOURCE = "events_src"
EXAMPLES = settings(
    max_examples=20,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture(scope="module")
def engine():
    eng = ClickHouseEngine.local()
    yield eng
    eng.close()


def _by_depth(paths_sql: str, by: tuple[str, ...]) -> str:
    keys = "".join(f'"{c}", ' for c in by)
    return (
        f"SELECT {keys}depth, count(*) AS units FROM ({paths_sql}) AS paths "
        f"GROUP BY {keys}depth ORDER BY {keys}depth"
    )


def _rows(frame: pd.DataFrame) -> list[tuple]:
    return sorted(
        (tuple(None if pd.isna(v) else v for v in row) for row in frame.itertuples(index=False)),
        key=repr,
    )


@pytest.mark.parametrize("mode", list(MODES))
def test_portable_funnel_on_clickhouse_equals_duckdb(engine, mode):
    con = connect()

    @EXAMPLES
    @given(cases(**MODES[mode]))
    def run(case):
        frame, spec, extra = case
        by, period = extra.get("by", ()), extra.get("period")
        con.register(SOURCE, frame)
        try:
            plan = _plan(con, SOURCE, spec, by, period, scan_names=True)
        except FunnelError as err:  # a period without step-1 events: nothing to compare
            assert "No step-1 event" in str(err)
            return
        sql = engine_sql.build(plan)
        engine.register(SOURCE, frame)
        want = con.sql(sql).df()
        got = engine.query(sql)
        assert list(got.columns) == list(want.columns)
        assert _normal(got) == _normal(want), (spec, extra)
        counts = _by_depth(sql, by)
        assert _rows(engine.query(counts)) == _rows(con.sql(counts).df()), (spec, extra)

    run()


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    client = load_client(emit_warnings=False)
    path = tmp_path_factory.mktemp("clickhouse") / "events.parquet"
    client.table("events").write_parquet(str(path))
    return client, FunnelSpec.from_config(client.config.funnel), path


@pytest.mark.parametrize("by", [(), ("channel",)])
def test_demo_funnel_on_clickhouse_equals_duckdb(engine, demo, by):
    client, spec, path = demo
    assert (spec.order, spec.conversion_window.days, spec.k) == ("ordered", 7, 5)
    engine.register("demo_events", path)  # a view over file(path): read in place
    plan = _plan(client.con, "events", spec, by, None, scan_names=True)
    plan.source = "demo_events"
    got = engine.query(_by_depth(engine_sql.build(plan), by))
    paths = funnel_paths(client, spec=spec, by=by).df()
    want = paths.groupby([*by, "depth"]).size().rename("units").reset_index()
    assert _rows(got) == _rows(want)
    assert got["units"].sum() == len(paths) > 10_000


@pytest.mark.parametrize("by", [(), ("channel",)])
def test_remote_funnel_on_clickhouse_equals_duckdb_on_the_demo(engine, demo, by):
    client, spec, path = demo
    engine.register("events", path)
    table = "events" if not by else ClickHouseEngine.source(str(path))  # a view, or in place
    start = datetime.combine(client.config.period.start, datetime.min.time())
    end = datetime.combine(client.config.period.end, datetime.min.time()) + pd.Timedelta(days=1)
    got = remote_funnel(engine, table, spec, by=by, period=(start, end))
    paths = funnel_paths(client, spec=spec, by=by, period=(start, end)).df()
    want = paths.groupby([*by, "depth"]).size().rename("units").reset_index()
    assert _rows(got) == _rows(want)


def test_the_same_string_goes_to_chdb_and_to_a_server(engine, monkeypatch):
    """Both backends get :func:`clickhouse_sql`'s string verbatim; credentials from the env."""
    sent: dict[str, str] = {}

    class Recorder:  # stands for a clickhouse_connect client or a chdb session
        def __init__(self, key, real=None):
            self.key, self.real = key, real

        def query_df(self, text):
            sent[self.key] = text
            return pd.DataFrame({"n": [1]})

        def query(self, text, fmt):
            sent[self.key] = text
            return self.real.query(text, fmt)

    duck = "SELECT a.n, CAST(TIMESTAMP '2026-01-01 00:00:00.000001' AS TIMESTAMP) AS t FROM (SELECT 1 AS n) a"  # noqa: E501
    server = ClickHouseEngine(host="clickhouse.example", _client=Recorder("server"))
    local = ClickHouseEngine(_session=Recorder("chdb", engine._session))
    server.query(duck)
    got = local.query(duck)
    assert sent["server"] == sent["chdb"] == clickhouse_sql(duck) == engine.sql(duck)
    assert sent["chdb"].endswith(
        "SETTINGS join_use_nulls = 1, session_timezone = 'UTC', "
        "aggregate_functions_null_for_empty = 1"
    )
    assert set(SETTINGS) == {"join_use_nulls", "session_timezone",
                             "aggregate_functions_null_for_empty"}  # fmt: skip
    assert got["t"].tolist() == [pd.Timestamp("2026-01-01 00:00:00.000001")]  # microseconds

    clickhouse_connect = pytest.importorskip("clickhouse_connect", reason="no clickhouse-connect")
    seen: dict = {}
    monkeypatch.setattr(clickhouse_connect, "get_client", lambda **kw: seen.update(kw) or object())
    monkeypatch.setenv("CLICKHOUSE_USER", "analyst")
    monkeypatch.setenv("CLICKHOUSE_PASSWORD", "from-the-env")
    ClickHouseEngine.server("ch.example", port=8443, database="metrica", secure=True)
    assert seen == {"host": "ch.example", "port": 8443, "database": "metrica", "secure": True,
                    "username": "analyst", "password": "from-the-env"}  # fmt: skip


def test_a_join_miss_is_null_and_a_period_literal_keeps_microseconds(engine):
    sql = (
        "SELECT a.n, b.t FROM (SELECT 1 AS n) a LEFT JOIN (SELECT 2 AS n, "
        "TIMESTAMP '2026-01-01 00:00:00.000001' AS t) b ON a.n = b.n"
    )
    assert engine.query(sql).iloc[0].isna().tolist() == [False, True]
    start = datetime(2026, 1, 1, 0, 0, 0, 1)
    sql = f"SELECT TIMESTAMP '{start:%Y-%m-%d %H:%M:%S.%f}' > TIMESTAMP '2026-01-01' AS later"
    assert bool(engine.query(sql)["later"].iloc[0])


def test_microseconds_and_a_sub_second_window_count_as_on_duckdb(engine):
    """Events 1 µs apart stay apart (``DateTime64(6)``); a 1.5 ms window is an integer interval."""
    t0 = datetime(2026, 3, 1, 12, 0)
    frame = pd.DataFrame(
        {
            "user_id": ["u1", "u1", "u1", "u2", "u2", "u3", "u3"],
            "timestamp": [t0 + pd.Timedelta(microseconds=m) for m in (0, 1, 1500, 0, 1501, 7, 7)],
            "event": ["a", "b", "c", "a", "b", "b", "a"],
        }
    ).astype({"timestamp": "datetime64[us]"})
    spec = FunnelSpec(steps=("a", "b", "c"), conversion_window=pd.Timedelta(microseconds=1500))
    con = connect()
    con.register(SOURCE, frame)
    engine.register(SOURCE, frame)
    sql = engine_sql.build(_plan(con, SOURCE, spec, (), None, scan_names=True))
    assert "INTERVAL 1500 MICROSECOND" in sql
    want = con.sql(sql).df()
    assert _normal(engine.query(sql)) == _normal(want)
    assert want.sort_values("unit_id")["depth"].tolist() == [3, 1, 2]


@pytest.mark.parametrize("order", ["ordered", "any"])
def test_materialized_ctes_change_nothing_but_speed(engine, demo, order):
    """The optional ``enable_materialized_cte`` (CTEs read twice are computed once)."""
    client, spec, path = demo
    spec = FunnelSpec(**{**spec.__dict__, "order": order})
    engine.register("demo_events", path)
    fast = ClickHouseEngine(settings={**SETTINGS, "enable_materialized_cte": 1},
                            _session=engine._session)  # fmt: skip
    plan = _plan(client.con, "events", spec, (), None, scan_names=True)
    want = _rows(client.con.sql(_by_depth(engine_sql.build(plan), ())).df())
    plan.source = "demo_events"
    sql = _by_depth(engine_sql.build(plan), ())
    assert "ev AS MATERIALIZED" in fast.sql(sql) and "MATERIALIZED" not in engine.sql(sql)
    assert _rows(fast.query(sql)) == _rows(engine.query(sql)) == want


def test_an_instant_reads_as_zoneinfos_wall_clock_time_across_summer_time(engine):
    """``timezone(zone, ts)`` on ClickHouse against Python's zoneinfo (brute force)."""
    assert wall_clock_differences(engine) == []
