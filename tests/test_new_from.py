"""`funnelkit new NAME --from DIR` (issue 15 item 2) and vendor-aware column hints (item 3)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pytest
import yaml
from click.testing import CliRunner

from funnelkit.core.sql import lit
from funnelkit.data.adapters import ADAPTERS, Adapter, register
from funnelkit.data.discover import discover
from funnelkit.data.sources import RawScan
from funnelkit.run.cli import main

EVENTS_RU = """Пользователь;Время события;Событие;Источник
u1;2026-10-01 10:00:00;page_view;email
u1;2026-10-01 10:01:00;purchase;email
u2;2026-10-02 11:00:00;page_view;seo
"""
ORDERS = """Номер заказа,Клиент,Дата,Сумма
o1,u1,2026-10-01 10:01:00,50.00
o2,u2,2026-10-03 09:00:00,20.00
"""
DEALS = """Deal ID,Создана,Канал сделки,Этап сделки
d1,2026-10-01 09:00:00,email,Первичный контакт
d2,2026-10-02 09:00:00,seo,Переговоры
d3,2026-10-03 09:00:00,seo,Успешно реализовано
d4,2026-10-04 09:00:00,email,Переговоры
"""
COSTS = "Day\tCampaign\tCost\n{day}\tbrand\t10.5\n{day}\tgeneric\t4\n"


def _build_deals(con, raw, files, source, *, table):
    """The test CRM: rename its fields to the canonical leads columns."""
    scan = f"read_csv([{', '.join(lit(str(f)) for f in files)}], header = true, all_varchar = true)"
    con.execute(
        f'CREATE TEMP TABLE {raw} AS SELECT row_number() OVER () AS __row, "Deal ID" AS lead_id, '
        f'"Создана" AS created_at, "Канал сделки" AS channel FROM {scan}'
    )
    return RawScan(1, "line", relation="table")


def _build_costs(con, raw, files, source, *, table):
    scan = f"read_csv([{', '.join(lit(str(f)) for f in files)}], header = true, all_varchar = true)"
    con.execute(
        f"CREATE TEMP TABLE {raw} AS SELECT row_number() OVER () AS __row, Day AS date, "
        f"'test_ads' AS channel, Campaign AS campaign, Cost AS cost FROM {scan}"
    )
    return RawScan(1, "line", relation="table")


@pytest.fixture
def adapters():
    """Two test adapters, registered for the test and removed after it."""
    crm = register(
        Adapter(
            format="test_crm",
            vendor="Test CRM deals export",
            schema="tests/test_new_from.py",
            tables={"leads": {"lead_id": "Deal ID", "created_at": "Создана"}},
            suffixes=(".csv",),
            build=_build_deals,
            signature=frozenset({"Deal ID", "Создана", "Этап сделки"}),
            hints={"Этап сделки": "is the deal stage; list its values under `stages:`"},
        )
    )
    ads = register(
        Adapter(
            format="test_ads",
            vendor="Test Ads cost report",
            schema="tests/test_new_from.py",
            tables={"spend": {"date": "Day", "cost": "Cost"}},
            suffixes=(".tsv",),
            build=_build_costs,
            signature=frozenset({"Day", "Campaign", "Cost"}),
        )
    )
    metrica = register(
        Adapter(
            format="test_metrica",
            vendor="Test Metrica visits",
            schema="tests/test_new_from.py",
            tables={"events": {"user_id": "ym:s:clientID"}},
            suffixes=(".tsv",),
            build=_build_costs,
            signature=frozenset({"tm:s:visitID", "tm:s:clientID", "tm:s:dateTime"}),
            hints={"tm:s:clientID": "looks like a user id; map it with `columns.user_id`"},
        )
    )
    yield crm, ads, metrica
    for adapter in (crm, ads, metrica):
        ADAPTERS.pop(adapter.format, None)


@pytest.fixture
def exports(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FUNNELKIT_CACHE_DIR", str(tmp_path / "cache"))
    folder = tmp_path / "exports"
    (folder / "ads_daily").mkdir(parents=True)
    (folder / "events.csv").write_text(EVENTS_RU, encoding="utf-8")
    (folder / "orders.csv").write_text(ORDERS, encoding="utf-8")
    (folder / "deals.csv").write_text(DEALS, encoding="utf-8")
    (folder / "notes.txt").write_text("the client's notes\nnothing tabular here\n")
    (folder / "brief.pdf").write_bytes(b"%PDF-1.4\x00binary")
    (folder / "ads_daily" / "README.txt").write_text("Daily cost reports, one per day\n")
    for day in ("2026-10-01", "2026-10-02", "2026-10-03"):
        name = f"costs_{day.replace('-', '')}.tsv"
        (folder / "ads_daily" / name).write_text(COSTS.format(day=day), encoding="utf-8")
    return folder


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _invoke(*args: str | Path):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_discover_tells_tables_vendor_exports_and_unknown_files(exports, adapters):
    found = discover(exports).set_index("path")
    rows = {Path(p).name: row for p, row in found.iterrows()}
    assert rows["events.csv"]["kind"] == "table"
    assert rows["events.csv"]["columns"] == {
        "user_id": "Пользователь", "timestamp": "Время события", "event": "Событие",
        "channel": "Источник",
    }  # fmt: skip
    assert rows["orders.csv"]["table"] == "orders"
    assert rows["orders.csv"]["columns"] == {
        "order_id": "Номер заказа", "customer_id": "Клиент", "timestamp": "Дата",
        "revenue": "Сумма",
    }  # fmt: skip
    deals = rows["deals.csv"]
    assert (deals["kind"], deals["format"], deals["tables"]) == ("adapter", "test_crm", ("leads",))
    # the stage names, most frequent first (Переговоры twice), then by name
    assert deals["stages"] == {
        "column": "Этап сделки",
        "values": ["Переговоры", "Первичный контакт", "Успешно реализовано"],
    }
    daily = rows["ads_daily"]
    assert (daily["kind"], daily["format"], daily["files"]) == ("adapter", "test_ads", 4)
    assert "1 file(s) without the suffixes .tsv are not read (README.txt)" in daily["reason"]
    assert rows["notes.txt"]["kind"] == rows["brief.pdf"]["kind"] == "unknown"
    assert "not a data file" in rows["brief.pdf"]["reason"]


def test_new_from_writes_the_mapping_and_check_passes(exports, adapters, tmp_path):
    before = _digest(exports)
    result = _invoke("new", "Acme Shop", "--from", exports, "--dir", "clients")
    assert result.exit_code == 0, result.output
    assert "read in place, not copied" in result.output
    assert "Not placed (2" in result.output
    assert "notes.txt ['the', \"client's\", 'notes']: no vendor signature" in result.output
    assert "brief.pdf" in result.output
    dest = tmp_path / "clients" / "acme-shop"
    text = (dest / "client.yaml").read_text(encoding="utf-8")
    config = yaml.safe_load(text)
    assert config["client"] == "Acme Shop"
    data = config["data"]
    assert set(data) == {"events", "orders", "leads", "spend"}
    assert data["events"] == {
        "path": "../../exports/events.csv",
        "columns": {"user_id": "Пользователь", "timestamp": "Время события",
                    "event": "Событие", "channel": "Источник"},
    }  # fmt: skip
    assert data["orders"]["columns"]["revenue"] == "Сумма"
    assert data["leads"] == {"path": "../../exports/deals.csv", "format": "test_crm"}
    assert data["spend"] == {"path": "../../exports/ads_daily", "format": "test_ads"}
    # the comments: why each file was placed, the CRM's stage TODO, what was not placed
    assert "# events.csv: a canonical events table (Пользователь = user_id" in text
    assert "# deals.csv: Test CRM deals export, `format: test_crm` (its header has" in text
    assert "stages: TODO" in text and "#   - Успешно реализовано\n" in text
    assert "#   won: []" in text
    assert "# Not placed" in text and "# - brief.pdf: not a data file" in text
    # the example comments of the template's `data:` are gone, the rest of it is kept
    assert "#  events:                   # user_id" not in text
    assert "stages: {}" in text and "experiments: []" in text
    check = _invoke("check", dest)
    assert check.exit_code == 0, check.output
    assert "leads" in check.output and "spend" in check.output
    assert "events.csv" in check.output
    assert _digest(exports) == before  # read in place, never changed or copied
    assert not list((dest / "data").iterdir())


def test_existing_client_folder_is_refused_and_kept(exports, adapters, tmp_path):
    dest = tmp_path / "clients" / "acme"
    dest.mkdir(parents=True)
    (dest / "client.yaml").write_text("client: Mine\n", encoding="utf-8")
    result = _invoke("new", "Acme", "--from", exports, "--dir", "clients")
    assert result.exit_code == 2
    assert "already exists" in result.output
    assert (dest / "client.yaml").read_text(encoding="utf-8") == "client: Mine\n"
    assert sorted(p.name for p in dest.iterdir()) == ["client.yaml"]


def test_from_must_be_a_folder_and_without_from_nothing_changes(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = _invoke("new", "Acme", "--from", tmp_path / "missing", "--dir", "clients")
    assert result.exit_code == 2 and "is not a folder" in result.output
    assert not (tmp_path / "clients").exists()
    plain = _invoke("new", "Acme", "--dir", "clients")
    assert plain.exit_code == 0
    assert yaml.safe_load((tmp_path / "clients/acme/client.yaml").read_text())["data"] == {}


def test_exports_outside_the_project_get_absolute_paths(exports, adapters, tmp_path, monkeypatch):
    project = tmp_path / "project"
    project.mkdir()
    monkeypatch.chdir(project)
    assert _invoke("new", "Acme", "--from", exports, "--dir", "clients").exit_code == 0
    data = yaml.safe_load((project / "clients/acme/client.yaml").read_text(encoding="utf-8"))
    assert data["data"]["events"]["path"] == (exports / "events.csv").as_posix()
    text = (project / "clients/acme/client.yaml").read_text(encoding="utf-8")
    assert "(absolute paths: the exports are outside the current project folder)" in " ".join(
        line.lstrip("# ") for line in text.splitlines()
    )


def test_a_second_file_for_a_taken_table_is_not_placed(tmp_path):
    (tmp_path / "a_events.csv").write_text("user_id,timestamp,event\nu,2026-10-01,x\n")
    (tmp_path / "b_events.csv").write_text("visitor,ts,name,event\nu,2026-10-01,x,y\n")
    found = discover(tmp_path)
    assert found["kind"].tolist() == ["table", "unknown"]
    assert "already placed" in found["reason"][1] and "a_events.csv" in found["reason"][1]


def test_cp1251_export_gets_its_encoding(tmp_path):
    (tmp_path / "orders.csv").write_bytes(ORDERS.encode("cp1251"))
    row = discover(tmp_path).iloc[0]
    assert (row["table"], row["options"]) == ("orders", {"encoding": "cp1251"})


def test_parquet_struct_fields_take_part_in_signatures(tmp_path, adapters):
    path = tmp_path / "visits.parquet"
    with duckdb.connect() as con:
        con.execute(
            "COPY (SELECT 1 AS \"tm:s:visitID\", {'clientID': 'c1'} AS \"tm:s\", "
            f"'2026-10-01' AS \"tm:s:dateTime\") TO {lit(str(path))} (FORMAT parquet)"
        )
    row = discover(tmp_path).iloc[0]
    assert "tm:s.clientID" in row["header"]
    assert row["kind"] == "unknown"  # tm:s:clientID itself is not there


# --- item 3: column hints that know the vendors' names ---------------------------------------


def _check_events(make_client, header: str, row: str) -> str:
    client = make_client(
        {"events.csv": f"{header}\n{row}\n"}, data={"events": {"path": "data/events.csv"}}
    )
    result = _invoke("check", client)
    assert result.exit_code == 2
    return " ".join(result.output.split())


def test_missing_user_id_with_a_vendor_field_names_it(make_client, adapters, monkeypatch, tmp_path):
    monkeypatch.setenv("FUNNELKIT_CACHE_DIR", str(tmp_path / "cache"))
    out = _check_events(
        make_client, "tm:s:clientID,timestamp,event", "c1,2026-10-01 10:00:00,page_view"
    )
    assert "needs a 'user_id' column" in out
    assert (
        "`tm:s:clientID` looks like a user id; map it with `columns.user_id`; for this file: "
        "`data.events.columns.user_id: tm:s:clientID`." in out
    )


def test_metrica_client_id_is_named_with_or_without_its_adapter(make_client, monkeypatch, tmp_path):
    monkeypatch.setenv("FUNNELKIT_CACHE_DIR", str(tmp_path / "cache"))
    out = _check_events(
        make_client, "ym:s:clientID,timestamp,event", "c1,2026-10-01 10:00:00,page_view"
    )
    assert "`ym:s:clientID`" in out and "columns.user_id" in out


def test_a_whole_vendor_signature_names_the_format(make_client, adapters, monkeypatch, tmp_path):
    monkeypatch.setenv("FUNNELKIT_CACHE_DIR", str(tmp_path / "cache"))
    out = _check_events(
        make_client, "tm:s:visitID,tm:s:clientID,tm:s:dateTime", "1,c1,2026-10-01 10:00:00"
    )
    assert (
        "This looks like the Test Metrica visits: set `data.events.format: test_metrica` and the "
        "adapter reads it." in out
    )


def test_a_vendor_export_of_another_table_is_named(make_client, adapters, monkeypatch, tmp_path):
    monkeypatch.setenv("FUNNELKIT_CACHE_DIR", str(tmp_path / "cache"))
    out = _check_events(make_client, "Day,Campaign,Cost", "2026-10-01,brand,1")
    assert (
        "This looks like the Test Ads cost report (`format: test_ads`), which gives `spend`, not "
        "`events`: is `data.events.path` the right file?" in out
    )


def test_a_synonym_is_suggested_without_vendors(make_client, monkeypatch, tmp_path):
    monkeypatch.setenv("FUNNELKIT_CACHE_DIR", str(tmp_path / "cache"))
    out = _check_events(make_client, "Пользователь,timestamp,event", "u,2026-10-01,x")
    assert "`Пользователь` looks like the user_id; map it with " in out
    assert "`data.events.columns.user_id: Пользователь`" in out


def test_excel_and_json_lines_headers_are_read(tmp_path):
    import pandas as pd

    pd.DataFrame(
        {"Респондент": ["r1"], "Дата": ["2026-10-01"], "Оценка": [9], "Сегмент": ["new"]}
    ).to_excel(tmp_path / "nps.xlsx", index=False)
    (tmp_path / "ga4.jsonl").write_text(
        '{"event_name": "page_view", "event_timestamp": 1759312800000000, '
        '"user_pseudo_id": "u1", "ecommerce": {"purchase_revenue": null}}\n'
    )
    rows = {Path(p).name: r for p, r in discover(tmp_path).set_index("path").iterrows()}
    nps = rows["nps.xlsx"]
    assert (nps["kind"], nps["table"]) == ("table", "nps")
    assert nps["columns"] == {
        "respondent_id": "Респондент", "timestamp": "Дата", "score": "Оценка",
        "segment": "Сегмент",
    }  # fmt: skip
    ga4 = rows["ga4.jsonl"]
    assert "ecommerce.purchase_revenue" in ga4["header"]
    # no GA4 adapter registered here: a canonical events table by its names, but in JSON
    assert ga4["kind"] == "unknown"
    assert "has the columns of the events table, but JSON is read only by a vendor" in ga4["reason"]


def test_title_lines_above_a_vendor_header_and_a_non_data_table(tmp_path, adapters, monkeypatch):
    """A report with title lines is still recognised; an experiment summary goes elsewhere."""
    summary = register(
        Adapter(
            format="test_tool", vendor="Test testing-tool results", schema="tests",
            tables={"summary": {"variant": "Variation"}}, suffixes=(".csv",),
            build=_build_costs, signature=frozenset({"Variation", "Users", "Conversions"}),
        )
    )  # fmt: skip
    monkeypatch.chdir(tmp_path)
    exports = tmp_path / "exports"
    exports.mkdir()
    (exports / "costs.tsv").write_text("Campaign report\nOctober 2026\n" + COSTS.format(day="x"))
    (exports / "ab.csv").write_text("Variation,Users,Conversions\nA,10,1\nB,10,2\n")
    try:
        found = discover(exports).set_index("path")
        costs = found.loc[exports / "costs.tsv"]
        assert (costs["kind"], costs["format"], costs["options"]) == ("adapter", "test_ads", {})
        assert "on line 3 below the report's title" in costs["reason"]
        assert _invoke("new", "Acme", "--from", exports, "--dir", "clients").exit_code == 0
        text = (tmp_path / "clients/acme/client.yaml").read_text(encoding="utf-8")
    finally:
        ADAPTERS.pop(summary.format, None)
    assert set(yaml.safe_load(text)["data"]) == {"spend"}
    assert "It is not a `data:` table but an experiment's `summary`" in " ".join(
        line.lstrip("# ") for line in text.splitlines()
    )


def test_a_ga4_avro_folder_is_recognised_by_its_schema(tmp_path):
    """Avro headers are read with fastavro, so `bq extract`'s default format is placed too."""
    from test_adapter_ga4 import ga4_days, write_avro

    write_avro(tmp_path / "exports" / "ga4", ga4_days(seed=2))
    (tmp_path / "exports" / "broken.avro").write_bytes(b"Obj\x01 not really")
    found = discover(tmp_path / "exports").set_index("path")
    ga4 = found.loc[next(p for p in found.index if str(p).endswith("ga4"))]
    assert ga4["kind"] == "adapter" and ga4["format"] == "ga4_export"
    broken = found.loc[next(p for p in found.index if str(p).endswith("broken.avro"))]
    assert broken["kind"] == "unknown" and "Avro file that cannot be read" in broken["reason"]
