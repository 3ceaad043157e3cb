"""EngineConnection: each statement goes where its tables are; the engine's data are never written.

The engine here is a second DuckDB database standing in for Spark (the routing, the copies and
the refusals do not depend on the engine; tests/test_engine_chapters.py runs the real one).
"""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

pytest.importorskip("sqlglot", reason="sqlglot is not installed (pip install -e .[spark])")

from funnelkit.core.engines.connection import EngineConnection, EngineRelation
from funnelkit.core.errors import ConfigError


class FakeEngine:
    """The operations EngineConnection asks of an engine, on an in-memory DuckDB."""

    name = dialect = "duckdb"

    def __init__(self) -> None:
        self.con = duckdb.connect()
        self.copied: list[str] = []
        self.queries: list[str] = []

    def frame(self, sql: str) -> pd.DataFrame:
        self.queries.append(sql)
        return self.con.sql(sql).df()

    def describe(self, sql: str) -> list[tuple[str, str]]:
        relation = self.con.sql(sql)
        return list(zip(relation.columns, map(str, relation.types), strict=True))

    def create(self, name: str, sql: str, *, materialize: bool) -> None:
        kind = "TABLE" if materialize else "VIEW"
        self.con.execute(f"CREATE OR REPLACE TEMP {kind} {name} AS {sql}")

    def drop(self, name: str) -> None:
        self.con.execute(f"DROP TABLE IF EXISTS {name}")

    def register(self, name: str, frame: pd.DataFrame) -> str:
        self.copied.append(name)
        self.con.register(name, frame)
        return name

    def append(self, name: str, rows: pd.DataFrame) -> None:
        self.con.register("fk_rows", rows)
        self.con.execute(
            f"CREATE OR REPLACE TEMP TABLE {name} AS "
            f"SELECT * FROM {name} UNION ALL BY NAME SELECT * FROM fk_rows"
        )

    def replace_column(self, name: str, column: str, expression: str) -> None:
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS "
                         f"SELECT * REPLACE ({expression} AS {column}) FROM {name}")  # fmt: skip

    def close(self) -> None:
        self.con.close()


@pytest.fixture
def pair() -> tuple[EngineConnection, FakeEngine]:
    engine = FakeEngine()
    engine.con.execute(
        "CREATE TEMP TABLE events AS SELECT * FROM (VALUES ('u1', 'view', 'ads'), "
        "('u1', 'buy', 'ads'), ('u2', 'view', 'seo')) t(user_id, event, channel)"
    )
    local = duckdb.connect()
    local.execute("CREATE TABLE orders AS SELECT * FROM (VALUES ('u1', 10.0), ('u3', 5.0)) "
                  "t(customer_id, revenue)")  # fmt: skip
    return EngineConnection(engine, local, remote={"events"}), engine


def test_a_query_on_the_small_tables_stays_in_duckdb(pair):
    con, engine = pair
    relation = con.sql("SELECT sum(revenue) AS r FROM orders")
    assert isinstance(relation, duckdb.DuckDBPyRelation)
    assert relation.fetchall() == [(15.0,)]
    assert engine.queries == []


def test_a_query_on_an_engine_table_runs_there_and_joins_a_small_table_copied_once(pair):
    con, engine = pair
    sql = ("SELECT e.user_id, sum(o.revenue) AS r FROM events e JOIN orders o "
           "ON o.customer_id = e.user_id WHERE e.event = ? GROUP BY 1")  # fmt: skip
    relation = con.sql(sql, params=["buy"])
    assert isinstance(relation, EngineRelation)
    assert relation.columns == ["user_id", "r"]
    assert relation.fetchall() == [("u1", 10.0)]
    con.sql(sql, params=["view"]).df()
    assert engine.copied == ["orders"]  # once, however often it is joined
    assert "'buy'" in engine.queries[0]  # the parameter became a literal


def test_a_temporary_table_over_engine_data_is_made_there_and_queried_there(pair):
    con, engine = pair
    con.execute("CREATE OR REPLACE TEMP TABLE fk_users AS SELECT DISTINCT user_id FROM events")
    assert con.sql("SELECT count(*) AS n FROM fk_users").fetchall() == [(2,)]
    assert engine.con.sql("SELECT count(*) FROM fk_users").fetchall() == [(2,)]
    con.execute("DROP TABLE IF EXISTS fk_users")
    assert "fk_users" not in {r[0] for r in engine.con.sql("SHOW TABLES").fetchall()}


def test_relation_query_inlines_the_relation_under_unique_names(pair):
    con, _ = pair
    paths = con.table("events").query("fk_paths", "SELECT * FROM fk_paths WHERE event = 'view'")
    twice = paths.query("fk_paths", "SELECT count(*) AS n FROM fk_paths")
    assert twice.fetchall() == [(2,)]
    assert "fk_paths__" in twice.sql_query()


def test_rows_added_and_channels_renamed_reach_the_engines_view_of_the_table(pair):
    con, _ = pair
    con.execute("INSERT INTO events (user_id, event) SELECT customer_id, 'email_click' "
                "FROM orders WHERE revenue > 6")  # fmt: skip
    con.execute("UPDATE events SET channel = CASE trim(channel) WHEN 'ads' THEN 'paid' END "
                "WHERE trim(channel) IN ('ads')")  # fmt: skip
    rows = con.sql("SELECT user_id, event, channel FROM events ORDER BY ALL").fetchall()
    assert rows == [("u1", "buy", "paid"), ("u1", "email_click", None), ("u1", "view", "paid"),
                    ("u2", "view", "seo")]  # fmt: skip


@pytest.mark.parametrize(
    "statement",
    ["CREATE TABLE kept AS SELECT * FROM events", "DELETE FROM events WHERE event = 'buy'"],
)
def test_anything_that_would_write_to_the_engine_is_refused(pair, statement):
    con, engine = pair
    with pytest.raises(ConfigError, match=r"only makes temporary|does not change"):
        con.execute(statement)
    assert engine.con.sql("SELECT count(*) FROM events").fetchall() == [(3,)]
