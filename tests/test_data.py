"""Loader: canonical tables in DuckDB; each bad-input kind reported with file, column, lines."""

from __future__ import annotations

import warnings
from datetime import datetime

import pandas as pd
import pytest

from funnelkit.core.errors import DataError, DataWarning
from funnelkit.data.prepare import load_client


def _events(make_client, csv: str, **source):
    return make_client({"events.csv": csv}, data={"events": {"path": "data/events.csv", **source}})


def test_mapped_columns_become_canonical(tiny_client):
    client = load_client(tiny_client)
    assert client.tables == ["events", "orders"]
    assert client.columns("events") == ["user_id", "timestamp", "event", "channel"]
    frame = client.frame("events")
    assert frame.user_id.tolist() == ["u1", "u1", "u2"]
    assert frame.timestamp.iloc[0] == pd.Timestamp("2026-10-01 10:00:00")
    assert client.row_counts == {"events": 3, "orders": 2}
    assert client.frame("orders").revenue.sum() == pytest.approx(70.0)


def test_missing_table_message_says_how_to_unlock(tiny_client):
    client = load_client(tiny_client)
    assert not client.has("spend")
    with pytest.raises(DataError, match=r"no `spend` table is configured; add `data.spend`"):
        client.table("spend")


def test_unparsable_timestamps_name_file_column_lines(make_client):
    csv = "user_id,timestamp,event\nu1,2026-10-01 10:00:00,a\nu2,yesterday,a\nu3,31/10/2026,a\n"
    folder = _events(make_client, csv)
    with pytest.raises(DataError) as info:
        load_client(folder)
    message = str(info.value)
    assert "events.csv: 2 rows (lines 3, 4) in column 'timestamp'" in message
    assert "could not be read as timestamps" in message and "timestamp_format" in message
    assert "'yesterday'" in message
    assert info.value.row_count == 2 and info.value.example_rows == [3, 4]
    assert info.value.column == "timestamp"


def test_timestamp_format_setting_parses_local_formats(make_client):
    csv = "user_id,timestamp,event\nu1,01.10.2026 10:00,a\nu2,31.10.2026 23:59,a\n"
    client = load_client(_events(make_client, csv, timestamp_format="%d.%m.%Y %H:%M"))
    assert client.frame("events").timestamp.max() == pd.Timestamp("2026-10-31 23:59")


def test_offsets_are_converted_to_client_timezone(make_client):
    # 10:00 UTC is 12:00 in Berlin (CEST, UTC+2) on 2026-07-01 and 11:00 (CET) on 2026-11-01.
    csv = "user_id,timestamp,event\nu1,2026-10-01T10:00:00Z,a\nu2,2026-11-01T10:00:00+00:00,a\n"
    with warnings.catch_warnings():
        # 'Z' and '+00:00' are the same offset: no "mixes UTC offsets" warning
        warnings.simplefilter("error", DataWarning)
        client = load_client(_events(make_client, csv))
    stamps = client.frame("events").timestamp.tolist()
    assert stamps == [pd.Timestamp("2026-10-01 12:00"), pd.Timestamp("2026-11-01 11:00")]


def test_really_mixed_offsets_are_reported_with_their_rows(make_client):
    # +0300 and +03:00 are one offset spelled twice; -05 is another one
    csv = (
        "user_id,timestamp,event\nu1,2026-10-01 10:00:00+0300,a\n"
        "u2,2026-10-01 10:00:00+03:00,a\nu3,2026-10-01 10:00:00-05,a\n"
    )
    with pytest.warns(
        DataWarning, match=r"mixes UTC offsets \('\+03:00': 2 rows, '-05:00': 1 rows\)"
    ):
        client = load_client(_events(make_client, csv))
    stamps = client.frame("events").timestamp.tolist()
    # Berlin is UTC+2 on 2026-10-01: 07:00 UTC -> 09:00, 15:00 UTC -> 17:00
    assert stamps == [pd.Timestamp("2026-10-01 09:00")] * 2 + [pd.Timestamp("2026-10-01 17:00")]


def test_mixed_naive_and_offset_timestamps_are_an_error(make_client):
    csv = (
        "user_id,timestamp,event\nu1,2026-10-01 10:00:00+03:00,a\n"
        "u2,2026-10-01 10:00:00,a\nu3,2026-10-01 11:00:00,a\n"
    )
    with pytest.raises(
        DataError,
        match=r"2 rows \(lines 3, 4\) in column 'timestamp' have no "
        r"UTC offset while other rows of the same column do",
    ):
        load_client(_events(make_client, csv))


def test_several_offsets_are_a_warning_with_counts(make_client):
    csv = (
        "user_id,timestamp,event\nu1,2026-10-20 10:00:00+02:00,a\n"
        "u2,2026-10-30 10:00:00+01:00,a\nu3,2026-10-30 11:00:00+01:00,a\n"
    )
    with pytest.warns(DataWarning, match=r"mixes UTC offsets \('\+01:00': 2 rows, '\+02:00': 1"):
        client = load_client(_events(make_client, csv))
    assert client.issues().check.tolist() == ["several_offsets"]


def test_negative_cost_is_an_error(make_client):
    csv = "date,channel,cost\n2026-10-01,email,10\n2026-10-02,email,-5\n"
    folder = make_client({"spend.csv": csv}, data={"spend": {"path": "data/spend.csv"}})
    with pytest.raises(
        DataError,
        match=r"spend.csv: 1 row \(line 3\) in column 'cost' are "
        r"below 0.*Values seen: '-5'",
    ):
        load_client(folder)


def test_negative_revenue_and_bad_numbers(make_client):
    csv = (
        "order_id,customer_id,timestamp,revenue\no1,u1,2026-10-01,-3\n"
        'o2,u1,2026-10-02,"1,5"\no3,u2,2026-10-03,abc\n'
    )
    folder = make_client({"orders.csv": csv}, data={"orders": {"path": "data/orders.csv"}})
    with pytest.raises(DataError) as info:
        load_client(folder)
    message = str(info.value)
    assert "2 rows (lines 3, 4) in column 'revenue' could not be read as numbers" in message
    assert "1 row (line 2) in column 'revenue' are below 0" in message
    assert message.startswith("2 problem(s) in Tiny Shop's data; nothing was loaded")


def test_duplicate_order_ids(make_client):
    csv = (
        "order_id,customer_id,timestamp,revenue\no1,u1,2026-10-01,3\no2,u1,2026-10-02,4\n"
        "o1,u2,2026-10-03,5\n"
    )
    folder = make_client({"orders.csv": csv}, data={"orders": {"path": "data/orders.csv"}})
    with pytest.raises(
        DataError,
        match=r"orders.csv: 2 rows \(lines 2, 4\) share a value of "
        r"'order_id' with another row \(e.g. \['o1'\]\)",
    ):
        load_client(folder)


def test_nps_outside_range_and_fractional(make_client):
    csv = "respondent_id,timestamp,score\nr1,2026-10-01,10\nr2,2026-10-01,11\nr3,2026-10-02,7.5\n"
    folder = make_client({"nps.csv": csv}, data={"nps": {"path": "data/nps.csv"}})
    with pytest.raises(DataError) as info:
        load_client(folder)
    assert "1 row (line 3) in column 'score' are above 10" in str(info.value)
    assert "1 row (line 4) in column 'score' must be whole numbers" in str(info.value)


def test_missing_required_values(make_client):
    csv = "user_id,timestamp,event\nu1,2026-10-01,a\n,2026-10-01,a\nu3,2026-10-01,\n"
    with pytest.raises(DataError) as info:
        load_client(_events(make_client, csv))
    assert "1 row (line 3) have no value in required column 'user_id'" in str(info.value)
    assert "1 row (line 4) have no value in required column 'event'" in str(info.value)


def test_mapped_column_names_both_names(make_client):
    csv = "visitor,ts,name\nu1,not a date,a\n"
    folder = _events(
        make_client, csv, columns={"user_id": "visitor", "timestamp": "ts", "event": "name"}
    )
    with pytest.raises(DataError, match=r"column 'ts' \(canonical `timestamp`\)"):
        load_client(folder)


def test_empty_period_is_a_visible_warning(make_client):
    csv = "user_id,timestamp,event\nu1,2025-01-01 10:00:00,a\n"
    with pytest.warns(
        DataWarning,
        match=r"no rows fall in the analysis period 2026-10-01 – "
        r"2026-10-31 \(its rows run from 2025-01-01",
    ):
        client = load_client(_events(make_client, csv))
    assert client.issues().check.tolist() == ["empty_period"]


def test_header_only_file_is_an_empty_table(make_client):
    with pytest.warns(DataWarning, match="it has no rows"):
        client = load_client(_events(make_client, "user_id,timestamp,event\n"))
    assert client.row_counts["events"] == 0


def test_repeated_events_are_counted_not_dropped(make_client):
    csv = "user_id,timestamp,event\nu1,2026-10-01 10:00:00,a\nu1,2026-10-01 10:00:00,a\n"
    with pytest.warns(DataWarning, match="1 events repeat another event"):
        client = load_client(_events(make_client, csv))
    assert client.row_counts["events"] == 2


def test_lead_stage_order_warning(make_client):
    csv = (
        "lead_id,created_at,channel,mql_at\nL1,2026-10-05,email,2026-10-01\n"
        "L2,2026-10-05,email,2026-10-06\n"
    )
    folder = make_client({"leads.csv": csv}, data={"leads": {"path": "data/leads.csv"}})
    with pytest.warns(DataWarning, match="1 leads reached mql_at before created_at"):
        load_client(folder)


def test_parquet_with_native_types_reports_rows(make_client, tmp_path):
    frame = pd.DataFrame(
        {
            "user_id": ["u1", "u2"],
            "timestamp": [datetime(2026, 10, 1, 9), datetime(2026, 10, 2, 9)],
            "event": ["a", None],
        }
    )
    folder = make_client()
    frame.to_parquet(folder / "data" / "events.parquet")
    (folder / "client.yaml").write_text(
        (folder / "client.yaml").read_text() + "data:\n  events:\n    path: data/events.parquet\n"
    )
    with pytest.raises(DataError, match=r"1 row \(row 2\) have no value in required column"):
        load_client(folder)


def test_excel_source(make_client):
    folder = make_client()
    frame = pd.DataFrame(
        {"Дата": ["2026-10-01", "2026-10-02"], "Канал": ["email", "seo"], "Расход": [10.5, 0]}
    )
    frame.to_excel(folder / "data" / "spend.xlsx", sheet_name="Spend", index=False)
    (folder / "client.yaml").write_text(
        (folder / "client.yaml").read_text()
        + "data:\n  spend:\n    path: data/spend.xlsx\n    sheet: Spend\n    columns: "
        "{date: Дата, channel: Канал, cost: Расход}\n",
        encoding="utf-8",
    )
    client = load_client(folder)
    assert client.frame("spend").cost.tolist() == [10.5, 0.0]


def test_input_files_are_not_modified(tiny_client):
    before = {p: p.read_bytes() for p in (tiny_client / "data").iterdir()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        load_client(tiny_client)
    assert {p: p.read_bytes() for p in (tiny_client / "data").iterdir()} == before


def test_period_predicates(tiny_client):
    client = load_client(tiny_client)
    now = client.sql(f"SELECT count(*) AS n FROM events WHERE {client.period_predicate('events')}")
    before = client.sql(
        "SELECT count(*) AS n FROM events WHERE " + client.period_predicate("events", previous=True)
    )
    assert (int(now.n[0]), int(before.n[0])) == (3, 0)
