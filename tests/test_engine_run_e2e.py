"""``funnelkit run`` end to end on a client whose events and assignments ClickHouse holds.

A small Russian-language shop (tests/test_abtest_sums.py's random shop: a windowed experiment
with three variants, two segment columns, two secondary goals and the sequential test) is run
twice through the command line, once from its folder (DuckDB) and once with its events and
assignments as Parquet files that chdb reads in place and no ``data:`` at all. The chapters that
read the engine's A/B sums, the conversion-time bins and the data-health table (00, 03, 04) must
write the same numbers and the same data warnings (found on the engine), and the client's report
must read cleanly.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import duckdb
import pytest
import yaml
from click.testing import CliRunner

pytest.importorskip("chdb", reason="chdb (ClickHouse in-process) is not installed")
pytest.importorskip("sqlglot", reason="sqlglot (the engines' SQL translator) is not installed")

sys.path.insert(0, str(Path(__file__).parent))
from engine_compare import differences
from test_abtest_sums import _shop

from funnelkit.run.cli import main

KEPT = ("00_data_health", "03_find_dropoff", "04_ab_test")
OTHERS = ["01_pick_metrics", "02_map_stages", "05_accounts", "06_customer_value", "07_engagement"]


def _run(folder: Path, out: Path) -> Path:
    result = CliRunner().invoke(main, ["run", str(folder), "--output-dir", str(out)])
    assert result.exit_code == 0, result.output
    return next(out.glob("*/*/summary.json")).parent


def test_a_client_held_by_clickhouse_runs_from_the_command_line(make_client, tmp_path):
    duck = _shop(make_client, 3, money=True)
    folder = duck.config.client_dir
    document = yaml.safe_load((folder / "client.yaml").read_text("utf-8"))
    document |= {"language": "ru", "currency": "RUB", "report": {"chapters": {"exclude": OTHERS}}}
    (folder / "client.yaml").write_text(yaml.safe_dump(document, allow_unicode=True), "utf-8")
    held = {"events": tmp_path / "events.parquet", "assignments": tmp_path / "assignments.parquet"}
    duck.con.execute(f"COPY (SELECT * FROM events) TO '{held['events']}' (FORMAT parquet)")
    duckdb.sql(f"COPY (SELECT * FROM read_csv('{folder / 'data/assignments.csv'}')) "
               f"TO '{held['assignments']}' (FORMAT parquet)")  # fmt: skip
    on_engine = tmp_path / "on_clickhouse"
    on_engine.mkdir()
    document = {k: v for k, v in document.items() if k != "data"} | {
        "slug": "shop-on-clickhouse",
        "engine": {"name": "clickhouse", "tables": {k: str(v) for k, v in held.items()}},
    }
    (on_engine / "client.yaml").write_text(yaml.safe_dump(document, allow_unicode=True), "utf-8")

    expected = _run(folder, tmp_path / "reports_duckdb")
    got = _run(on_engine, tmp_path / "reports_clickhouse")

    for stem in KEPT:
        a = (expected / f"{stem}.results.json").read_text("utf-8")
        a = json.loads(a.replace(".csv", ".parquet"))  # the same tables, exported as Parquet
        b = json.loads((got / f"{stem}.results.json").read_text("utf-8"))
        found = differences(a, b)
        if stem == "00_data_health":  # read from the engine, and named so; same warnings
            assert len(a["warnings"]) == 1 and a["warnings"][0]["check"] == "several_variants"
            assert all("· ClickHouse'" in d for d in found) and len(found) == 2, found
        else:
            assert found == [], stem
    html = next((got / "client").glob("*.html")).read_text("utf-8")
    text = re.sub(r"<[^>]+>", " ", re.sub(r"<(script|style).*?</\1>", "", html, flags=re.S))
    assert "Результаты по сегментам" in text and "events.parquet · ClickHouse" in text
    for leftover in ("Traceback", " nan ", " None ", "NaN"):
        assert leftover not in text, leftover
