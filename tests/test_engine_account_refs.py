"""The accounts checks of a file apply to a table an engine holds (ClickHouse through chdb).

A file's ``account_id`` is checked against the accounts file by the loader, with its lines
(tests/test_account_loader.py); a table read in place on an engine gets the same checks from the
run's check before any chapter: the warning that ``account_id`` is given without
``data.accounts``, events naming unknown accounts (a warning) and orders naming them (an error:
exit 2, no chapter).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

pytest.importorskip("chdb", reason="chdb (ClickHouse in-process) is not installed")
pytest.importorskip("sqlglot", reason="sqlglot (the engines' SQL translator) is not installed")

from click.testing import CliRunner

import funnelkit
from funnelkit.core.errors import DataError
from funnelkit.data.engine_client import check_on_engine
from funnelkit.data.prepare import prepare
from funnelkit.run.cli import main

sys.path.insert(0, str(Path(__file__).parent))
from engine_compare import engine_client


@pytest.fixture(scope="module")
def demo():
    client = funnelkit.load_client(emit_warnings=False)
    yield client
    client.con.close()


def _events(demo, path: Path, *, unknown: int = 0) -> Path:
    """The demo's events as Parquet, the first ``unknown`` rows with an account nobody lists."""
    demo.con.execute(
        f"COPY (SELECT * REPLACE (CASE WHEN row_number() OVER (ORDER BY user_id, timestamp) <= "
        f"{unknown} THEN 'zz-' || user_id ELSE account_id END AS account_id) FROM events) "
        f"TO '{path}' (FORMAT parquet)"
    )
    return path


def _found(folder: Path) -> list:
    return check_on_engine(prepare(folder).open)[1]


def test_events_naming_unknown_accounts_are_a_warning_with_their_count(demo, tmp_path):
    folder = engine_client(tmp_path / "c", _events(demo, tmp_path / "e.parquet", unknown=7),
                           "clickhouse")  # fmt: skip
    found = [p for p in _found(folder) if p.check == "unknown_account"]
    assert [(p.table, p.severity, p.rows, p.column) for p in found] == [
        ("events", "warning", 7, "account_id")
    ]
    assert (
        "e.parquet: 7 rows in column 'account_id' (account_id) name an account" in found[0].message
    )
    assert "'zz-" in found[0].message and "count for no account" in found[0].message


def test_known_accounts_give_no_account_warning(demo, tmp_path):
    folder = engine_client(tmp_path / "c", _events(demo, tmp_path / "e.parquet"), "clickhouse")
    assert not [p for p in _found(folder) if "account" in p.check]


def test_account_ids_without_an_accounts_file_are_a_warning_naming_their_rows(demo, tmp_path):
    folder = engine_client(tmp_path / "c", _events(demo, tmp_path / "e.parquet"), "clickhouse")
    document = yaml.safe_load((folder / "client.yaml").read_text(encoding="utf-8"))
    del document["data"]["accounts"]
    (folder / "client.yaml").write_text(yaml.safe_dump(document, sort_keys=False), "utf-8")
    named = demo.con.sql("SELECT count(account_id) FROM events").fetchall()[0][0]
    assert named > 0
    found = [p for p in _found(folder) if p.check == "accounts_missing"]
    assert [(p.table, p.rows) for p in found] == [("events", named)]
    result = CliRunner().invoke(main, ["check", str(folder)])
    assert result.exit_code == 0, result.output
    assert f"on {named:,} row(s), but client.yaml has no `data.accounts`" in result.output


def test_orders_on_the_engine_naming_unknown_accounts_stop_the_run(demo, tmp_path):
    """An error as for a file: exit 2 before any chapter, the table and the fix named."""
    events = _events(demo, tmp_path / "e.parquet")
    orders = tmp_path / "orders.parquet"
    demo.con.execute(
        f"COPY (SELECT *, CASE WHEN row_number() OVER (ORDER BY order_id) <= 3 THEN 'nobody' "
        f"END AS account_id FROM orders) TO '{orders}' (FORMAT parquet)"
    )
    folder = engine_client(tmp_path / "c", events, "clickhouse")
    document = yaml.safe_load((folder / "client.yaml").read_text(encoding="utf-8"))
    del document["data"]["orders"]
    document["engine"]["tables"]["orders"] = str(orders)
    (folder / "client.yaml").write_text(yaml.safe_dump(document, sort_keys=False), "utf-8")
    with pytest.raises(DataError, match="3 rows in column 'account_id'"):
        check_on_engine(prepare(folder).open)
    result = CliRunner().invoke(main, ["run", str(folder), "--output-dir", str(tmp_path / "r")])
    assert result.exit_code == 2, result.output
    assert "orders.parquet: 3 rows in column 'account_id' (account_id) name an account" in (
        result.output
    )
    assert "add those companies to the accounts export" in result.output
    assert not (tmp_path / "r").exists() or not any((tmp_path / "r").rglob("*.html"))
