"""The GA4 BigQuery export adapter: generated daily exports -> canonical events and orders.

Every expected number is a plain pandas / Python computation over the same generated rows.
"""

from __future__ import annotations

import gzip
import json
import random
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from funnelkit.core.errors import ConfigError, DataError
from funnelkit.data.prepare import load_client

REPO = Path(__file__).resolve().parents[1]
TZ = "Europe/Berlin"
DAYS = ("20261005", "20261006", "20261007")
_VALUE = pa.struct(
    [
        ("string_value", pa.string()),
        ("int_value", pa.int64()),
        ("float_value", pa.float64()),
        ("double_value", pa.float64()),
    ]
)
_PARAMS = pa.list_(pa.struct([("key", pa.string()), ("value", _VALUE)]))
FIELDS = {
    "event_date": pa.string(),
    "event_timestamp": pa.int64(),
    "event_name": pa.string(),
    "event_params": _PARAMS,
    "user_id": pa.string(),
    "user_pseudo_id": pa.string(),
    "device": pa.struct([("category", pa.string()), ("operating_system", pa.string())]),
    "traffic_source": pa.struct(
        [("name", pa.string()), ("medium", pa.string()), ("source", pa.string())]
    ),
    "collected_traffic_source": pa.struct(
        [
            ("manual_source", pa.string()),
            ("manual_medium", pa.string()),
            ("manual_campaign_name", pa.string()),
        ]
    ),
    "ecommerce": pa.struct(
        [
            ("transaction_id", pa.string()),
            ("purchase_revenue", pa.float64()),
            ("purchase_revenue_in_usd", pa.float64()),
        ]
    ),
}
FIRST_TOUCH = [
    ("(direct)", "(none)", "(direct)"),
    ("spring", "cpc", "google"),
    ("(organic)", "organic", "bing"),
]


def _param(key: str, value: object) -> dict:
    slot = {"string_value": None, "int_value": None, "float_value": None, "double_value": None}
    kind = {str: "string_value", int: "int_value", float: "double_value"}[type(value)]
    slot[kind] = value
    return {"key": key, "value": slot}


def ga4_days(*, seed: int = 7, missing: tuple[int, ...] = ()) -> dict[str, list[dict]]:
    """GA4-shaped events per day: sessions of page views, carts and purchases.

    ``missing``: the days (0-based) whose first purchase has no transaction id.

    Day 2 has no purchase and its file no ``ecommerce`` field; only day 3 has
    ``collected_traffic_source``; user p3 is signed in (``user_id`` member-3).
    """
    rng, days, tid = random.Random(seed), {}, 0
    for d, day in enumerate(DAYS):
        start = datetime.strptime(day, "%Y%m%d").replace(tzinfo=UTC) + timedelta(hours=6)
        rows, first_purchase = [], True
        for u in range(12):
            pseudo = f"{1000 + u}.{1700000000 + u}"
            first = FIRST_TOUCH[u % 3]
            for s in range(rng.randint(1, 2)):
                t = start + timedelta(hours=u, minutes=30 * s)
                sid = int(t.timestamp())
                utm = [("source", "newsletter"), ("medium", "email"), ("campaign", "oct")]
                tagged = (u + s + d) % 4 == 0
                names = ["session_start"] + ["page_view"] * rng.randint(1, 3)
                if rng.random() < 0.5:
                    names.append("add_to_cart")
                if d != 1 and rng.random() < 0.5:
                    names.append("purchase")
                for i, name in enumerate(names):
                    params = [
                        _param("ga_session_id", sid),
                        _param("ga_session_number", s + 1),
                        _param("page_location", f"https://shop.example/p{i}"),
                        _param("engagement_time_msec", 100 * i),
                    ]
                    if tagged and i < 2:
                        params += [_param(k, v) for k, v in utm]
                    row = {
                        "event_date": day,
                        "event_timestamp": int((t + timedelta(seconds=20 * i)).timestamp() * 1e6)
                        + rng.randint(0, 999_999),
                        "event_name": name,
                        "event_params": params,
                        "user_id": "member-3" if u == 3 else None,
                        "user_pseudo_id": pseudo,
                        "device": {
                            "category": ["desktop", "mobile"][u % 2],
                            "operating_system": "Linux",
                        },
                        "traffic_source": dict(
                            zip(("name", "medium", "source"), first, strict=True)
                        ),
                    }
                    if d == 2:
                        row["collected_traffic_source"] = (
                            {
                                "manual_source": "partner",
                                "manual_medium": "referral",
                                "manual_campaign_name": "autumn",
                            }
                            if u == 5
                            else None
                        )
                    if d != 1:
                        row["ecommerce"] = None
                    if name == "purchase":
                        tid += 1
                        revenue = round(rng.uniform(10, 200), 2)
                        params.append(_param("value", revenue))
                        no_id, first_purchase = first_purchase and d in missing, False
                        row["ecommerce"] = {
                            "transaction_id": ["", "(not set)"][tid % 2] if no_id else f"T{tid}",
                            "purchase_revenue": revenue,
                            "purchase_revenue_in_usd": revenue * 1.1,
                        }
                    rows.append(row)
        days[day] = rows
    return days


def write_export(folder: Path, days: dict[str, list[dict]], kind: str) -> Path:
    """Each day as ``events_YYYYMMDD.parquet`` (nested), ``.jsonl`` or ``.json.gz`` (INT64 text)."""
    folder.mkdir(parents=True, exist_ok=True)
    for day, rows in days.items():
        if kind == "parquet":
            names = [n for n in FIELDS if any(n in r for r in rows)]
            schema = pa.schema([(n, FIELDS[n]) for n in names])
            pq.write_table(
                pa.Table.from_pylist(rows, schema=schema), folder / f"events_{day}.parquet"
            )
        else:
            lines = []
            for row in rows:
                row = json.loads(json.dumps(row))
                row["event_timestamp"] = str(row["event_timestamp"])  # BigQuery: INT64 as text
                for p in row["event_params"]:
                    if p["value"]["int_value"] is not None:
                        p["value"]["int_value"] = str(p["value"]["int_value"])
                lines.append(json.dumps({k: v for k, v in row.items() if v is not None}))
            text = ("\n".join(lines) + "\n").encode()
            if kind == "json.gz":  # BigQuery's --compression=GZIP
                (folder / f"events_{day}.json.gz").write_bytes(gzip.compress(text))
            else:
                (folder / f"events_{day}.jsonl").write_bytes(text)
    return folder


def reference(days: dict[str, list[dict]], *, signed_in: bool = False) -> pd.DataFrame:
    """The canonical events by hand: one plain dict per GA4 row."""
    out = []
    for rows in days.values():
        for r in rows:
            p = {
                x["key"]: next(v for v in x["value"].values() if v is not None)
                for x in r["event_params"]
            }
            cts, ts = r.get("collected_traffic_source"), r["traffic_source"]
            if "source" in p:
                channel = f"{p['source']} / {p['medium']}"
            elif cts:
                channel = f"{cts['manual_source']} / {cts['manual_medium']}"
            else:
                channel = f"{ts['source']} / {ts['medium']}"
            ecommerce = r.get("ecommerce") or {}
            tid = ecommerce.get("transaction_id")
            out.append(
                {
                    "user_id": (r["user_id"] or r["user_pseudo_id"])
                    if signed_in
                    else r["user_pseudo_id"],
                    "stamp": r["event_timestamp"],
                    "event": r["event_name"],
                    "session_id": f"{r['user_pseudo_id']}-{p['ga_session_id']}",
                    "page": p["page_location"],
                    "channel": channel,
                    "campaign": p.get("campaign")
                    or (cts or {}).get("manual_campaign_name")
                    or ts["name"],
                    "device": r["device"]["category"],
                    "revenue": ecommerce.get("purchase_revenue")
                    if r["event_name"] == "purchase"
                    else None,
                    "order_id": tid if tid not in (None, "", "(not set)") else None,
                }
            )
    frame = pd.DataFrame(out)
    utc = pd.to_datetime(frame.pop("stamp"), unit="us", utc=True)
    frame["timestamp"] = utc.dt.tz_convert(TZ).dt.tz_localize(None)
    return frame


def _client(make_client, folder_name: str = "ga4", **tables) -> Path:
    data = {
        t: {"path": f"data/{folder_name}", "format": "ga4_export", **extra}
        for t, extra in tables.items()
    }
    return make_client(
        data=data, currency="EUR", period={"start": "2026-10-01", "end": "2026-10-31"}
    )


@pytest.mark.parametrize("kind", ["parquet", "json", "json.gz"])
def test_events_and_orders_equal_pandas(make_client, kind):
    days = ga4_days()
    folder = _client(make_client, events={}, orders={})
    write_export(folder / "data" / "ga4", days, kind)
    client = load_client(folder, emit_warnings=False)
    ref = reference(days)
    events = client.frame("events")
    assert len(events) == len(ref)
    assert events["event"].value_counts().to_dict() == ref["event"].value_counts().to_dict()
    assert events["user_id"].nunique() == ref["user_id"].nunique() == 12
    assert set(events["session_id"]) == set(ref["session_id"])
    assert events.groupby("channel").size().to_dict() == ref.groupby("channel").size().to_dict()
    assert "newsletter / email" in set(events["channel"]) and "partner / referral" in set(
        events["channel"]
    )
    assert events.groupby("campaign").size().to_dict() == ref.groupby("campaign").size().to_dict()
    assert events.groupby("device").size().to_dict() == ref.groupby("device").size().to_dict()
    assert events["revenue"].sum() == pytest.approx(ref["revenue"].sum())
    assert sorted(events["timestamp"]) == sorted(ref["timestamp"])  # µs UTC -> Berlin time
    assert set(events["page"]) == set(ref["page"])
    orders = client.frame("orders")
    bought = ref[ref["order_id"].notna()]
    assert sorted(orders["order_id"]) == sorted(bought["order_id"])
    assert orders["revenue"].sum() == pytest.approx(bought["revenue"].sum())
    assert orders["customer_id"].nunique() == bought["user_id"].nunique()
    assert dict(zip(orders.order_id, orders.channel, strict=True)) == dict(
        zip(bought.order_id, bought.channel, strict=True)
    )


def test_signed_in_user_id_falls_back_to_the_device_id(make_client):
    days = ga4_days()
    folder = _client(
        make_client,
        events={"columns": {"user_id": "user_id"}},
        orders={"columns": {"customer_id": "user_id"}},
    )
    write_export(folder / "data" / "ga4", days, "parquet")
    client = load_client(folder, emit_warnings=False)
    ref = reference(days, signed_in=True)
    events = client.frame("events")
    assert set(events["user_id"]) == set(ref["user_id"])
    assert "member-3" in set(events["user_id"])
    bought = ref[ref["order_id"].notna()]
    assert set(client.frame("orders")["customer_id"]) == set(bought["user_id"])


def test_purchases_without_transaction_id_are_counted_in_a_warning(make_client):
    days = ga4_days(missing=(0, 2))  # the first purchase of days 1 and 3
    folder = _client(make_client, orders={})
    write_export(folder / "data" / "ga4", days, "parquet")
    client = load_client(folder, emit_warnings=False)
    ref = reference(days)
    purchases = ref[ref["event"] == "purchase"]
    assert len(client.frame("orders")) == purchases["order_id"].notna().sum() == len(purchases) - 2
    issues = client.issues()
    row = issues[issues["check"] == "ga4_no_transaction_id"].iloc[0]
    assert row["rows"] == 2 and row["severity"] == "warning"
    assert "2 purchase event(s) have no ecommerce.transaction_id" in row["message"]
    missing = purchases[purchases["order_id"].isna()]["revenue"].sum()
    assert f"revenue {missing:,.2f}" in row["message"]
    flat = [r for rows in days.values() for r in rows]  # the rows counted across the files
    lines = [i + 1 for i, r in enumerate(flat) if r["event_name"] == "purchase"
             and r["ecommerce"]["transaction_id"] in ("", "(not set)")]  # fmt: skip
    assert list(row["example_lines"]) == lines and lines[1] > len(days[DAYS[0]]) + len(
        days[DAYS[1]]
    )


def test_not_a_ga4_file_lists_its_fields(make_client):
    folder = _client(make_client, events={})
    (folder / "data" / "ga4").mkdir()
    pq.write_table(pa.table({"visitor": ["a"], "ts": [1]}), folder / "data/ga4/events_1.parquet")
    with pytest.raises(
        ConfigError,
        match=r"not a GA4 BigQuery export.*lacks event_timestamp.*"
        r"its fields are visitor, ts",
    ):
        load_client(folder, emit_warnings=False)


def test_a_folder_mixing_parquet_and_json_is_refused(make_client):
    days = ga4_days()
    folder = _client(make_client, events={})
    write_export(folder / "data" / "ga4", dict(list(days.items())[:1]), "parquet")
    write_export(folder / "data" / "ga4", dict(list(days.items())[1:]), "json")
    with pytest.raises(ConfigError, match=r"mixes Parquet \(1 file.*and JSON \(2 file"):
        load_client(folder, emit_warnings=False)


def test_a_damaged_avro_file_is_named(make_client):
    folder = _client(make_client, events={})
    (folder / "data" / "ga4").mkdir()
    (folder / "data/ga4/events_20261005.avro").write_bytes(b"Obj\x01 not read")
    with pytest.raises(DataError, match=r"events_20261005.avro: cannot be read as Avro"):
        load_client(folder, emit_warnings=False)


def test_funnelkit_run_reports_the_pandas_numbers(make_client, tmp_path):
    days = ga4_days()
    folder = _client(make_client, events={}, orders={})
    write_export(folder / "data" / "ga4", days, "parquet")
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    (notebooks / "01_pick_metrics.ipynb").write_bytes(
        (REPO / "notebooks" / "01_pick_metrics.ipynb").read_bytes()
    )
    out = tmp_path / "out"
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "funnelkit"),
            "run",
            str(folder),
            "--output-dir",
            str(out),
            "--notebooks",
            str(notebooks),
            "--jobs",
            "1",
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (found,) = out.rglob("01_pick_metrics.results.json")
    metrics = {m["metric"]: m["value"] for m in json.loads(found.read_text())["metrics"]["metrics"]}
    ref = reference(days)
    bought = ref[ref["order_id"].notna()]
    assert metrics["visitors"] == ref["user_id"].nunique()
    assert metrics["buyers"] == bought["user_id"].nunique()
    assert metrics["orders"] == len(bought)
    assert metrics["revenue"] == pytest.approx(bought["revenue"].sum())
    assert metrics["sessions"] == ref["session_id"].nunique()


def test_columns_reads_another_field_or_parameter(make_client):
    days = ga4_days()
    columns = {"device": "device.operating_system", "page": "event_params.ga_session_number"}
    folder = _client(make_client, events={"columns": columns})
    write_export(folder / "data" / "ga4", days, "parquet")
    events = load_client(folder, emit_warnings=False).frame("events")
    assert set(events["device"]) == {"Linux"} and set(events["page"]) == {"1", "2"}
    folder = _client(make_client, events={"columns": {"device": "device.browser"}})
    with pytest.raises(ConfigError, match=r"has no field `device.browser`; its fields are"):
        load_client(folder, emit_warnings=False)


def test_a_transaction_sent_twice_stops_the_load_with_its_id(make_client):
    days = ga4_days()
    again = next(r for r in days[DAYS[0]] if r["event_name"] == "purchase")
    days[DAYS[2]].append({**again, "event_timestamp": again["event_timestamp"] + 60_000_000})
    folder = _client(make_client, orders={})
    write_export(folder / "data" / "ga4", days, "parquet")
    with pytest.raises(DataError, match=r"order_id") as caught:
        load_client(folder, emit_warnings=False)
    assert again["ecommerce"]["transaction_id"] in str(caught.value)


# --- Avro (`bq extract --destination_format=AVRO`), read through funnelkit.data.adapters.ga4_avro


def _avro_record(name: str, namespace: str, fields: dict[str, object]) -> dict:
    """A BigQuery-style Avro record: every field NULLABLE, i.e. a union with null."""
    return {
        "type": "record",
        "name": name,
        "namespace": namespace,
        "fields": [{"name": n, "type": ["null", t], "default": None} for n, t in fields.items()],
    }


_AVRO_VALUE = _avro_record(
    "value",
    "root.event_params",
    {"string_value": "string", "int_value": "long", "float_value": "double",
     "double_value": "double"},
)  # fmt: skip
_AVRO_PARAM = {  # REPEATED RECORD: an array of records (the value record nested, NULLABLE)
    "type": "record",
    "name": "event_params",
    "namespace": "root",
    "fields": [
        {"name": "key", "type": ["null", "string"], "default": None},
        {"name": "value", "type": ["null", _AVRO_VALUE], "default": None},
    ],
}
AVRO_FIELDS: dict[str, object] = {
    "event_date": ["null", "string"],
    "event_timestamp": "long",  # INT64 µs (REQUIRED in the export, so no union)
    "event_name": ["null", "string"],
    "event_params": {"type": "array", "items": _AVRO_PARAM},
    "user_id": ["null", "string"],
    "user_pseudo_id": ["null", "string"],
    # the same record type again, named instead of repeated (as Avro writers do)
    "user_properties": {"type": "array", "items": "root.event_params"},
    "device": ["null", _avro_record("device", "root", {"category": "string",
                                                       "operating_system": "string"})],
    "traffic_source": ["null", _avro_record("traffic_source", "root", {
        "name": "string", "medium": "string", "source": "string"})],
    "collected_traffic_source": ["null", _avro_record("collected_traffic_source", "root", {
        "manual_source": "string", "manual_medium": "string", "manual_campaign_name": "string"})],
    "ecommerce": ["null", _avro_record("ecommerce", "root", {
        "transaction_id": "string", "purchase_revenue": "double",
        "purchase_revenue_in_usd": "double"})],
    "event_server_timestamp_offset": ["null", {"type": "long", "logicalType": "time-micros"}],
}  # fmt: skip


def write_avro(folder: Path, days: dict[str, list[dict]]) -> Path:
    """Each day as ``events_YYYYMMDD.avro``: only the fields the day has (day 2: no ecommerce)."""
    import fastavro

    folder.mkdir(parents=True, exist_ok=True)
    for i, (day, rows) in enumerate(days.items()):
        names = [n for n in AVRO_FIELDS if any(n in r for r in rows)]
        names += ["user_properties", "event_server_timestamp_offset"]
        fields = [{"name": n, "type": AVRO_FIELDS[n]} for n in AVRO_FIELDS if n in names]
        schema = {"type": "record", "name": "Root", "fields": fields}
        records = [
            {**{n: r.get(n) for n in names}, "user_properties": [],
             "event_server_timestamp_offset": None}
            for r in rows
        ]  # fmt: skip
        with (folder / f"events_{day}.avro").open("wb") as out:
            fastavro.writer(out, fastavro.parse_schema(schema), records,
                            codec=["null", "deflate"][i % 2], sync_interval=2000)  # fmt: skip
    return folder


def _both(make_client, days: dict[str, list[dict]], **tables) -> tuple:
    """The same days loaded from an Avro export and from a Parquet export."""
    loaded = []
    for kind in ("avro", "parquet"):
        data = {t: {"path": "data/ga4", "format": "ga4_export", **x} for t, x in tables.items()}
        folder = make_client(name=kind, data=data, currency="EUR")
        if kind == "avro":
            write_avro(folder / "data" / "ga4", days)
        else:
            write_export(folder / "data" / "ga4", days, "parquet")
        loaded.append(load_client(folder, emit_warnings=False))
    return tuple(loaded)


def _sorted(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    return frame.sort_values(by).reset_index(drop=True)


def test_avro_export_equals_the_parquet_export_and_pandas(make_client, tmp_path, monkeypatch):
    import tempfile

    from funnelkit.data.adapters import ga4_avro

    spill = tmp_path / "spill"
    spill.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spill))
    monkeypatch.setattr(ga4_avro, "BATCH", 17)  # several row groups per day
    days = ga4_days(missing=(0, 2))
    avro, parquet = _both(make_client, days, events={}, orders={})
    assert list(spill.iterdir()) == []  # the temporary Parquet files are gone
    by = ["timestamp", "event", "user_id"]
    events = _sorted(avro.frame("events"), by)
    pd.testing.assert_frame_equal(events, _sorted(parquet.frame("events"), by))
    ref = _sorted(reference(days), by)
    assert len(events) == len(ref) == sum(map(len, days.values()))
    for column in ("user_id", "event", "session_id", "page", "channel", "campaign", "device"):
        assert list(events[column]) == list(ref[column]), column
    assert list(events["timestamp"]) == list(ref["timestamp"])  # µs UTC -> Berlin time
    assert events["revenue"].sum() == pytest.approx(ref["revenue"].sum())
    orders = _sorted(avro.frame("orders"), ["order_id"])
    pd.testing.assert_frame_equal(orders, _sorted(parquet.frame("orders"), ["order_id"]))
    bought = ref[ref["order_id"].notna()]
    assert sorted(orders["order_id"]) == sorted(bought["order_id"])
    assert orders["revenue"].sum() == pytest.approx(bought["revenue"].sum())
    # the rows of the untracked purchases are counted across the Avro files as for Parquet
    issues = avro.issues()
    row = issues[issues["check"] == "ga4_no_transaction_id"].iloc[0]
    other = parquet.issues()
    assert row["rows"] == 2 and list(row["example_lines"]) == list(
        other[other["check"] == "ga4_no_transaction_id"].iloc[0]["example_lines"]
    )


def test_avro_signed_in_user_id_and_columns_overrides(make_client):
    days = ga4_days()
    columns = {"user_id": "user_id", "device": "device.operating_system"}
    avro, parquet = _both(make_client, days, events={"columns": columns})
    by = ["timestamp", "event", "user_id"]
    events = _sorted(avro.frame("events"), by)
    pd.testing.assert_frame_equal(events, _sorted(parquet.frame("events"), by))
    assert "member-3" in set(events["user_id"]) and set(events["device"]) == {"Linux"}


def test_a_folder_mixing_avro_and_parquet_is_refused(make_client):
    days = ga4_days()
    folder = _client(make_client, events={})
    write_export(folder / "data" / "ga4", dict(list(days.items())[:1]), "parquet")
    write_avro(folder / "data" / "ga4", dict(list(days.items())[1:]))
    with pytest.raises(ConfigError, match=r"mixes Parquet \(1 file.*and Avro \(2 file"):
        load_client(folder, emit_warnings=False)


def test_an_avro_file_that_is_not_ga4_lists_its_fields(make_client):
    import fastavro

    folder = _client(make_client, events={})
    (folder / "data" / "ga4").mkdir()
    schema = {
        "type": "record",
        "name": "Root",
        "fields": [{"name": "visitor", "type": "string"}, {"name": "ts", "type": "long"}],
    }
    with (folder / "data/ga4/events_1.avro").open("wb") as out:
        fastavro.writer(out, schema, [{"visitor": "a", "ts": 1}])  # fmt: skip
    with pytest.raises(
        ConfigError, match=r"events_1.avro is not a GA4 BigQuery export.*lacks event_timestamp"
        r".*its fields are visitor, ts"
    ):  # fmt: skip
        load_client(folder, emit_warnings=False)


def test_an_avro_file_cut_short_is_named(make_client):
    days = ga4_days()
    folder = _client(make_client, events={})
    write_avro(folder / "data" / "ga4", days)
    day = folder / "data" / "ga4" / f"events_{DAYS[1]}.avro"
    day.write_bytes(day.read_bytes()[: day.stat().st_size // 2])
    with pytest.raises(DataError, match=rf"events_{DAYS[1]}.avro: cannot be read as Avro"):
        load_client(folder, emit_warnings=False)
