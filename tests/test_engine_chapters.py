"""The report's chapters on Spark: the demo client with its events on Spark gives DuckDB's numbers.

The demo's events are written to Parquet with their canonical columns (as a lake holds them) and
named in ``engine.tables``; its other tables stay in ``data:``. Every chapter, 00–07 (its
results and every table it shows: ``tests/engine_compare.py``), is computed on both clients and
compared number by number: equal to 1e-9 relative (Spark sums in another order than DuckDB, so
the last bits of a sum may differ).
``funnelkit run`` of the whole demo on Spark is measured in docs/scale.md.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

import funnelkit
from funnelkit.core.errors import ConfigError
from funnelkit.data.config import load_config
from funnelkit.presentation.results import to_jsonable
from funnelkit.run.chapters import Chapter, without_their_data
from funnelkit.run.cli import main
from funnelkit.run.report import client_tables

sys.path.insert(0, str(Path(__file__).parent))
from engine_compare import (
    CHAPTERS,
    SPARK_WARNINGS,
    differences,
    engine_client,
    skip_without_spark,
)

skip_without_spark()
from test_abtest_sums import counted_on_engine  # noqa: E402

pytestmark = SPARK_WARNINGS


def _engine_client(folder: Path, events: Path, **engine: Any) -> Path:
    """The demo with ``events`` on Spark (``local[2]`` unless ``remote`` is given)."""
    where = {} if "remote" in engine else {"master": "local[2]"}
    return engine_client(folder, events, "spark", **where, **engine)


@pytest.fixture(scope="module")
def clients(tmp_path_factory) -> Iterator[tuple[Any, Any, Path]]:
    """(the demo on DuckDB, the demo with its events on Spark, the events' Parquet file)."""
    root = tmp_path_factory.mktemp("spark_client")
    duck = funnelkit.load_client(emit_warnings=False)
    events = root / "events.parquet"
    duck.con.execute(f"COPY (SELECT * FROM events) TO '{events}' (FORMAT parquet)")
    spark = funnelkit.load_client(_engine_client(root / "shop", events), emit_warnings=False)
    yield duck, spark, events
    spark.con.close()


def test_the_events_are_on_spark_and_the_small_tables_in_duckdb(clients):
    duck, spark, _ = clients
    assert type(spark.con).__name__ == "EngineConnection"
    assert spark.row_counts == duck.row_counts
    assert spark.sql("SELECT count(*) AS n FROM orders").n[0] == duck.row_counts["orders"]
    assert spark.source("events").name == "events.parquet"


@pytest.mark.parametrize(("chapter", "compute"), CHAPTERS, ids=[c for c, _ in CHAPTERS])
def test_a_chapter_on_spark_gives_duckdbs_numbers(clients, chapter, compute):
    duck, spark, _ = clients
    expected, got = to_jsonable(compute(duck)), to_jsonable(compute(spark))  # as saved
    assert differences(expected, got) == [], chapter
    assert len(str(expected)) > 1000  # the chapter computed something


def test_an_engine_table_without_its_canonical_columns_stops_the_run_before_a_chapter(
    clients, tmp_path
):
    duck, _, _ = clients
    events = tmp_path / "events.parquet"
    duck.con.execute(
        f"COPY (SELECT * EXCLUDE (event) FROM events LIMIT 100) TO '{events}' (FORMAT parquet)"
    )
    folder = _engine_client(tmp_path / "shop", events)
    out = tmp_path / "reports"
    result = CliRunner().invoke(main, ["run", str(folder), "--output-dir", str(out)])
    assert result.exit_code == 2, result.output
    assert "events on spark" in result.output and "['event']" in result.output
    assert "make a view there" in result.output
    assert not any(out.rglob("*.html"))  # no chapter ran


def test_a_table_in_both_data_and_engine_tables_is_refused(tmp_path):
    folder = _engine_client(tmp_path / "shop", tmp_path / "events.parquet")
    document = yaml.safe_load((folder / "client.yaml").read_text("utf-8"))
    document["engine"]["tables"]["orders"] = "lake.orders"
    (folder / "client.yaml").write_text(yaml.safe_dump(document), "utf-8")
    with pytest.raises(ConfigError, match=r"\['orders'\] are both in `data:` and in"):
        load_config(folder)


def test_a_bigquery_client_without_googles_package_names_the_extra(tmp_path, monkeypatch):
    """The chapters run on BigQuery too; without google-cloud-bigquery the run stops at once."""
    import sys

    monkeypatch.setitem(sys.modules, "google.cloud.bigquery", None)  # as if not installed
    monkeypatch.delenv("BIGQUERY_EMULATOR_HOST", raising=False)
    folder = _engine_client(tmp_path / "shop", tmp_path / "events.parquet")
    document = yaml.safe_load((folder / "client.yaml").read_text("utf-8"))
    document["engine"] = {"name": "bigquery", "project": "p", "tables": {"events": "d.events"}}
    (folder / "client.yaml").write_text(yaml.safe_dump(document), "utf-8")
    with pytest.raises(ConfigError, match=r"google-cloud-bigquery.*pip install -e \.\[bigquery\]"):
        funnelkit.load_client(folder, emit_warnings=False)


def test_a_chapter_that_needs_the_events_runs_when_the_engine_holds_them(tmp_path):
    folder = _engine_client(tmp_path / "shop", tmp_path / "events.parquet")
    config = load_config(folder, check_files=False)
    prepared = SimpleNamespace(tables={"orders": {}, "assignments": {}})
    tables = client_tables(config, prepared)
    assert tables == ["orders", "assignments", "events"]
    value = Chapter(Path("06_customer_value.ipynb"), "Value", {}, {}, {}, [],
                    requires_any=["orders", "events"])  # fmt: skip
    engagement = Chapter(Path("07_engagement.ipynb"), "Engagement", {}, {}, {}, [],
                         requires_any=["social", "email"])  # fmt: skip
    kept = without_their_data([value, engagement], tables, log=lambda _: None)
    assert [c.stem for c in kept] == ["06_customer_value"]


def test_segments_and_secondary_goals_are_counted_on_spark(make_client, tmp_path):
    """The A/B sums with segments and secondary goals, events and assignments held by Spark."""
    counted_on_engine(make_client, tmp_path, "spark", seed=2, held="both")
