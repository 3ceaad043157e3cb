"""The portable funnel aggregated where the events are: the SQL each engine receives.

On DuckDB (the reference engine) :func:`remote_funnel` must equal :func:`funnel_paths`
aggregated by depth, on the demo client and on random logs; the BigQuery SQL is generated and
checked by parsing it back with BigQuery's grammar (it runs only where credentials exist).
"""

from __future__ import annotations

import os
from datetime import datetime

import pandas as pd
import pytest

sqlglot = pytest.importorskip("sqlglot", reason="sqlglot (the engines' SQL translator) missing")

from funnelkit import load_client  # noqa: E402
from funnelkit.core.engines import DuckDBEngine, transpile  # noqa: E402
from funnelkit.funnel import funnel_paths  # noqa: E402
from funnelkit.funnel.remote import funnel_sql, reached, remote_funnel  # noqa: E402
from funnelkit.funnel.spec import FunnelError, FunnelSpec  # noqa: E402


def _by_depth(paths: pd.DataFrame, by: tuple[str, ...] = ()) -> pd.DataFrame:
    counts = paths.groupby([*by, "depth"]).size().rename("units").reset_index()
    return counts.sort_values([*by, "depth"]).reset_index(drop=True)


@pytest.fixture(scope="module")
def demo():
    client = load_client(emit_warnings=False)
    spec = FunnelSpec.from_config(client.config.funnel)
    start = datetime.combine(client.config.period.start, datetime.min.time())
    end = datetime.combine(client.config.period.end, datetime.min.time()) + pd.Timedelta(days=1)
    return client, spec, (start, end)


@pytest.mark.parametrize("by", [(), ("channel",)])
def test_duckdb_engine_equals_funnel_paths_on_the_demo(demo, by):
    client, spec, period = demo
    got = remote_funnel(DuckDBEngine(client.con), "events", spec, by=by, period=period)
    paths = funnel_paths(client.table("events"), spec=spec, by=by, period=period,
                         con=client.con, engine="portable").df()  # fmt: skip
    want = _by_depth(paths, by)
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
    steps = reached(got, spec.k, by=by)
    assert steps.groupby("step")["units"].sum().is_monotonic_decreasing


def test_bigquery_sql_parses_back_and_names_no_duckdb_function(demo):
    client, spec, period = demo
    stats = [(r[0], r[1], r[2]) for r in client.con.sql(
        "SELECT event, count(*), count(*) FROM events GROUP BY 1").fetchall()]  # fmt: skip
    sql = funnel_sql("bigquery", "project.shop.events", spec, stats=stats, by=("channel",),
                     period=period)  # fmt: skip
    tree = sqlglot.parse_one(sql, read="bigquery")  # raises on anything BigQuery cannot read
    assert tree.sql(dialect="bigquery") == sql
    for duckdb_only in ("count_if", "VARCHAR", "epoch_us", "list_position"):
        assert duckdb_only not in sql
    assert "STRING" in sql and "FROM project.shop.events" in sql


def test_a_step_the_engine_does_not_have_names_its_events(demo):
    client, _, _ = demo
    spec = FunnelSpec(("view_item", "checkout_done"))
    with pytest.raises(FunnelError, match=r"\['checkout_done'\] match no event.*'page_view'"):
        remote_funnel(DuckDBEngine(client.con), "events", spec)


def test_transpile_refuses_an_unknown_dialect():
    from funnelkit.core.errors import ConfigError

    with pytest.raises(ConfigError, match="'oracle' is not one funnelkit writes for"):
        transpile("SELECT 1", "oracle")


@pytest.mark.skipif(
    not os.environ.get("GOOGLE_APPLICATION_CREDENTIALS"),
    reason="BigQuery runs only with credentials (GOOGLE_APPLICATION_CREDENTIALS unset here)",
)
def test_bigquery_runs_the_funnel_where_credentials_exist():  # pragma: no cover - needs GCP
    pytest.importorskip("google.cloud.bigquery")
    table = os.environ["FUNNELKIT_BIGQUERY_EVENTS"]  # e.g. project.dataset.events
    from funnelkit.core.engines.bigquery import BigQueryEngine

    engine = BigQueryEngine(project=table.split(".")[0])
    counts = remote_funnel(engine, table, FunnelSpec(("page_view", "purchase")))
    assert counts["units"].sum() > 0
