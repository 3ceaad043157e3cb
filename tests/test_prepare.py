"""Prepared data: validated once into a cached DuckDB file, reused while inputs are unchanged."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import duckdb
import pytest

from conftest import EVENTS_CSV
from funnelkit.core.errors import ConfigError, DataError, ReportError
from funnelkit.data import prepare as prep
from funnelkit.run.check import describe, tables_overview


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("FUNNELKIT_CACHE_DIR", str(folder))
    return folder


def entries(cache: Path) -> list[Path]:
    return sorted(p for p in (cache / "prepared").iterdir() if not p.name.startswith("."))


def test_prepare_validates_once_then_reuses(tiny_client, cache):
    first = prep.prepare(tiny_client)
    assert not first.reused and first.database.is_file()
    assert first.tables["events"]["rows"] == 3 and first.tables["orders"]["rows"] == 2
    assert first.tables["events"]["first"] == "2026-10-01T10:00:00"
    assert first.tables["orders"]["in_period"] == 2
    again = prep.prepare(tiny_client)
    assert again.reused and again.key == first.key and again.database == first.database
    assert [e.name for e in entries(cache)] == [first.key]
    # the inputs summary.json records: every data file then client.yaml, with their hashes
    assert [f.table for f in again.inputs] == ["events", "orders", None]
    assert all(len(f.sha256) == 64 for f in again.inputs)


def test_a_changed_file_or_mapping_makes_a_new_entry_and_old_ones_are_pruned(tiny_client, cache):
    first = prep.prepare(tiny_client)
    events = tiny_client / "data" / "events.csv"
    events.write_text(EVENTS_CSV + "u3,2026-10-03 12:00:00,page_view,email\n", encoding="utf-8")
    second = prep.prepare(tiny_client)
    assert not second.reused and second.key != first.key
    assert second.tables["events"]["rows"] == 4
    text = (tiny_client / "client.yaml").read_text(encoding="utf-8")
    (tiny_client / "client.yaml").write_text(text.replace("2026-10-31", "2026-10-30"))
    third = prep.prepare(tiny_client)
    assert not third.reused and third.key not in {first.key, second.key}
    # at most KEEP_PER_CLIENT entries of one client folder stay in the cache
    assert [e.name for e in entries(cache)] == sorted([second.key, third.key])


def test_a_report_only_change_of_client_yaml_keeps_the_prepared_data(tiny_client, cache):
    first = prep.prepare(tiny_client)
    with (tiny_client / "client.yaml").open("a", encoding="utf-8") as handle:
        handle.write("funnel: {steps: [page_view, purchase]}\n")
    again = prep.prepare(tiny_client)
    assert again.reused and again.key == first.key
    # ... but summary.json still records the new client.yaml
    assert again.inputs[-1].sha256 != first.inputs[-1].sha256


def test_load_client_opens_the_prepared_data_read_only(tiny_client, cache):
    client = prep.load_client(tiny_client, emit_warnings=False)
    assert client.tables == ["events", "orders"]
    assert client.sql("SELECT sum(revenue) AS r FROM orders").r[0] == 70.0
    with pytest.raises(duckdb.Error, match="read-only"):
        client.con.execute("DELETE FROM orders")
    client.con.execute("CREATE TEMP TABLE scratch AS SELECT 1 AS x")  # analyses may use TEMP
    assert prep.prepare(tiny_client).reused


def test_bad_data_is_not_cached(make_client, cache):
    folder = make_client(
        {"orders.csv": "order_id,customer_id,timestamp,revenue\no1,u1,2026-10-01,abc\n"},
        data={"orders": {"path": "data/orders.csv"}},
    )
    with pytest.raises(DataError, match=r"orders.csv: 1 row \(line 2\) in column 'revenue'"):
        prep.prepare(folder)
    assert entries(cache) == []


def test_a_missing_file_names_the_yaml_key(tiny_client, cache):
    (tiny_client / "data" / "orders.csv").unlink()
    with pytest.raises(ConfigError, match=r"`data.orders.path` points to 'data/orders.csv'"):
        prep.prepare(tiny_client)


def test_an_unwritable_cache_is_a_sentence(tiny_client, tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("FUNNELKIT_CACHE_DIR", str(blocker / "cache"))
    with pytest.raises(ReportError, match="set FUNNELKIT_CACHE_DIR to a writable folder"):
        prep.prepare(tiny_client)


def test_parallel_prepares_of_the_same_inputs_agree(tiny_client, cache):
    made: list[prep.Prepared] = []
    threads = [
        threading.Thread(target=lambda: made.append(prep.prepare(tiny_client))) for _ in "abcd"
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(made) == 4 and len({p.key for p in made}) == 1
    assert len(entries(cache)) == 1
    assert all(p.open().row_counts == {"events": 3, "orders": 2} for p in made)


def test_same_files_in_another_folder_are_prepared_for_that_folder(tiny_client, cache, tmp_path):
    first = prep.prepare(tiny_client)
    copy = tmp_path / "moved"
    copy.mkdir()
    for path in tiny_client.rglob("*"):
        target = copy / path.relative_to(tiny_client)
        if path.is_dir():
            target.mkdir(exist_ok=True)
        else:
            target.write_bytes(path.read_bytes())
    moved = prep.prepare(copy)
    assert moved.key != first.key
    assert moved.tables["events"]["file"] == str(copy / "data" / "events.csv")


def test_a_damaged_cache_entry_is_prepared_again(tiny_client, cache):
    first = prep.prepare(tiny_client)
    (first.database.parent / "manifest.json").write_text("{not json", encoding="utf-8")
    again = prep.prepare(tiny_client)
    assert not again.reused and again.key == first.key
    assert json.loads((again.database.parent / "manifest.json").read_text())["key"] == first.key


def test_check_describes_tables_period_and_warnings(tiny_client, cache):
    prepared = prep.prepare(tiny_client)
    overview = tables_overview(prepared)
    assert overview.to_dict("records")[1] == {
        "table": "orders",
        "file": "data/orders.csv",
        "rows": 2,
        "first": "2026-10-01T10:01:00",
        "last": "2026-10-03T09:00:00",
        "in_period": 2,
    }
    text = describe(prepared)
    assert text.startswith("Tiny Shop: client.yaml and 2 tables checked (validated in ")
    assert "Analysis period: 2026-10-01 – 2026-10-31 (31 days), time zone Europe/Berlin" in text
    assert "- spend: CAC, ROMI and channel economics" in text
    assert f"Ready: funnelkit run {tiny_client}" in text
