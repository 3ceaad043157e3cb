"""``engine:`` in client.yaml: which keys each engine reads, and no secrets."""

from __future__ import annotations

import pytest

from funnelkit.core.errors import ConfigError
from funnelkit.data.config import load_config


def _load(make_client, engine):
    return load_config(make_client({}, engine=engine), check_files=False)


def test_the_default_is_the_embedded_duckdb(make_client):
    assert load_config(make_client({}), check_files=False).engine.name == "duckdb"


def test_a_spark_client_names_its_master_and_its_tables(make_client):
    config = _load(make_client, {"name": "spark", "master": "local[2]",
                                 "tables": {"events": "/lake/events/"}})  # fmt: skip
    assert (config.engine.master, config.engine.tables) == ("local[2]", {"events": "/lake/events/"})


def test_a_ga4_export_on_bigquery_names_its_table_and_format(make_client):
    export = {
        "table": "analytics_1.events_*",
        "format": "ga4_export",
        "columns": {"user_id": "user_id"},
    }
    config = _load(make_client, {"name": "bigquery", "project": "acme",
                                 "tables": {"events": export, "orders": export}})  # fmt: skip
    assert config.engine.tables == {
        "events": "analytics_1.events_*",
        "orders": "analytics_1.events_*",
    }
    assert config.engine.exports["events"].columns == {"user_id": "user_id"}
    assert config.engine.exports["orders"].format == "ga4_export"


@pytest.mark.parametrize(
    ("engine", "message"),
    [
        ({"name": "clickhouse", "host": "ch", "password": "x", "tables": {"events": "e"}},
         r"\['password'\] would put a secret in client.yaml.*CLICKHOUSE_PASSWORD"),
        ({"name": "bigquery", "tables": {"events": "p.d.e"}}, r"needs `project`"),
        ({"name": "spark", "host": "x", "tables": {"events": "e"}},
         r"\['host'\] are not read by engine `spark`"),
        ({"name": "spark", "master": "local[2]", "remote": "sc://h:15002",
          "tables": {"events": "e"}}, r"either `master` or `remote`"),
        ({"name": "clickhouse", "host": "ch"}, r"name the events table"),
        ({"name": "oracle"}, r"`engine.name` = 'oracle' is invalid"),
        ({"name": "clickhouse", "tables": {"events": {"table": "h", "format": "ga4_export"}}},
         r"format ga4_export is read on bigquery and spark only.*make a view"),
        ({"name": "spark", "tables": {"events": {"format": "ga4_export"}}},
         r"tables.events is written as a mapping, so it needs `table:`"),
        ({"name": "spark", "tables": {"events": "e", "spend": {"table": "x",
                                                              "format": "ga4_export"}}},
         r"a GA4 export gives `events` and `orders`, not `spend`"),
        ({"name": "spark", "tables": {"events": {"table": "x", "format": "metrica_hits"}}},
         r"format"),
    ],
)  # fmt: skip
def test_an_engine_section_that_cannot_work_is_refused_with_the_fix(make_client, engine, message):
    with pytest.raises(ConfigError, match=message):
        _load(make_client, engine)


def test_a_clickhouse_client_counts_the_demo_funnel_in_place(make_client, tmp_path):
    """engine: clickhouse without a host is chdb in-process; the events Parquet read in place."""
    pytest.importorskip("chdb", reason="chdb (ClickHouse in-process) is not installed")
    from funnelkit import load_client
    from funnelkit.core.engines import DuckDBEngine
    from funnelkit.data.engines import open_engine
    from funnelkit.funnel.remote import remote_funnel
    from funnelkit.funnel.spec import FunnelSpec

    demo = load_client(emit_warnings=False)
    events = tmp_path / "events.parquet"
    demo.con.execute(f"COPY events TO '{events}' (FORMAT parquet)")
    config = _load(make_client, {"name": "clickhouse", "tables": {"events": str(events)}})
    engine, tables = open_engine(config)
    spec = FunnelSpec.from_config(demo.config.funnel)
    try:
        got = remote_funnel(engine, tables["events"], spec, by=("channel",))
    finally:
        engine.close()
    want = remote_funnel(DuckDBEngine(demo.con), "events", spec, by=("channel",))
    assert got.equals(want)
