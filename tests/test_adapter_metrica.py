"""Yandex Metrica Logs API downloads (hits and visits) read through their adapters.

The tests write downloads shaped like the Logs API's (tab-separated, a header of ``ym:pv:`` /
``ym:s:`` fields, ClickHouse arrays ``[1,2]`` and ``['a','b']``, times in the counter's zone),
split in parts like a large request, and compare what the loader keeps with plain pandas on the
same generated rows.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
import yaml

import funnelkit.data.adapters.metrica  # noqa: F401  (registers metrica_hits, metrica_visits)
from funnelkit.core.errors import ConfigError, DataError
from funnelkit.data.column_hints import column_hint
from funnelkit.data.prepare import load_client

REPO = Path(__file__).resolve().parents[1]
START = datetime(2026, 10, 1)
SOURCES = ["organic", "direct", "ad", "referral", "social", "email"]
PAGES = ["https://магазин.рф/", "https://магазин.рф/каталог/платья", "https://магазин.рф/корзина"]
TITLES = ["Главная — Магазин", 'Платья "Лето"', "Корзина"]


def _array(values: list, quoted: bool) -> str:
    """A ClickHouse array as the Logs API writes it."""
    if quoted:
        return "[" + ",".join("'" + str(v).replace("'", "\\'") + "'" for v in values) + "]"
    return "[" + ",".join(str(v) for v in values) + "]"


def make_visits(seed: int = 7, n: int = 80) -> list[dict]:
    """Visits of 25 visitors over ten days: 0/1/several goals, 0/1/2 purchases each."""
    rng = random.Random(seed)
    visits, order = [], 0
    for i in range(n):
        start = START + timedelta(days=i % 10, hours=rng.randint(8, 22), minutes=rng.randint(0, 59))
        goals = rng.choice([[], [], [101], [101, 202], [202, 303, 101]])
        bought = rng.choice([[], [], [], [1], [1, 2]])
        ids, revenues = [], []
        for _ in bought:
            order += 1
            ids.append(f"ORD-{order:04d}")
            revenues.append(round(rng.uniform(300, 9000), 2))
        visits.append(
            {
                "ym:s:visitID": str(9_000_000_000_000_000 + i),
                "ym:s:clientID": str(1_633_024_500_000_000_000 + rng.randint(1, 25)),
                "ym:s:dateTime": start.strftime("%Y-%m-%d %H:%M:%S"),
                "ym:s:startURL": rng.choice(PAGES),
                "ym:s:lastTrafficSource": rng.choice(SOURCES),
                "ym:s:UTMCampaign": rng.choice(["", "осень_распродажа", "brand"]),
                "ym:s:deviceCategory": rng.choice("1234"),
                "goals": goals,
                "goal_times": [start + timedelta(minutes=3 * (k + 1)) for k in range(len(goals))],
                "purchase_ids": ids,
                "revenues": revenues,
                "purchase_times": [start + timedelta(minutes=20 + k) for k in range(len(ids))],
            }
        )
    return visits


def visits_tsv(visits: list[dict], *, currency: str = "RUB") -> str:
    """The Logs API download of ``visits`` (header and one line per visit)."""
    fields = [
        "ym:s:visitID", "ym:s:clientID", "ym:s:dateTime", "ym:s:startURL",
        "ym:s:lastTrafficSource", "ym:s:UTMCampaign", "ym:s:deviceCategory", "ym:s:goalsID",
        "ym:s:goalsDateTime", "ym:s:purchaseID", "ym:s:purchaseRevenue",
        "ym:s:purchaseCurrency", "ym:s:purchaseDateTime",
    ]  # fmt: skip
    lines = ["\t".join(fields)]
    for v in visits:
        times = [t.strftime("%Y-%m-%d %H:%M:%S") for t in v["goal_times"]]
        bought = [t.strftime("%Y-%m-%d %H:%M:%S") for t in v["purchase_times"]]
        cells = [v[f] for f in fields[:7]] + [
            _array(v["goals"], quoted=False),
            _array(times, quoted=True),
            _array(v["purchase_ids"], quoted=True),
            _array(v["revenues"], quoted=False),
            _array([currency] * len(v["purchase_ids"]), quoted=True),
            _array(bought, quoted=True),
        ]
        lines.append("\t".join(cells))
    return "\n".join(lines) + "\n"


def make_hits(seed: int = 11, n: int = 120) -> list[dict]:
    """Page views of 20 visitors over ten days, some reaching goals."""
    rng = random.Random(seed)
    hits = []
    for i in range(n):
        page = rng.randrange(len(PAGES))
        hits.append(
            {
                "ym:pv:watchID": str(5_000_000_000 + i),
                "ym:pv:clientID": str(1_700_000_000_000_000_000 + rng.randint(1, 20)),
                "ym:pv:dateTime": (
                    START + timedelta(days=i % 10, hours=rng.randint(0, 23), seconds=i)
                ).strftime("%Y-%m-%d %H:%M:%S"),
                "ym:pv:title": TITLES[page],
                "ym:pv:URL": PAGES[page] + rng.choice(["", "?utm_source=yandex"]),
                "ym:pv:lastTrafficSource": rng.choice(SOURCES),
                "ym:pv:deviceCategory": rng.choice("123"),
                "goals": rng.choice([[], [], [], [101], [101, 202]]),
            }
        )
    return hits


def hits_tsv(hits: list[dict]) -> str:
    fields = [f for f in hits[0] if f.startswith("ym:")] + ["ym:pv:goalsID"]
    lines = ["\t".join(fields)]
    lines += ["\t".join([*(h[f] for f in fields[:-1]), _array(h["goals"], False)]) for h in hits]
    return "\n".join(lines) + "\n"


def _client(
    root: Path, files: dict[str, str], data: dict, *, currency: str = "RUB", end: str = "2026-10-10"
) -> Path:
    """A client folder with the download under data/ (``name/part.tsv`` makes a folder)."""
    for name, text in files.items():
        target = root / "data" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    document = {
        "client": "Магазин",
        "timezone": "Europe/Moscow",
        "currency": currency,
        "period": {"start": "2026-10-01", "end": end},
        "data": data,
    }
    (root / "client.yaml").write_text(yaml.safe_dump(document, allow_unicode=True), "utf-8")
    return root


def _two_parts(visits: list[dict], **kwargs) -> dict[str, str]:
    half = len(visits) // 2
    return {
        "visits/part_1.tsv": visits_tsv(visits[:half], **kwargs),
        "visits/part_2.tsv": visits_tsv(visits[half:], **kwargs),
    }


VISITS_DATA = {
    "events": {"path": "data/visits", "format": "metrica_visits"},
    "orders": {"path": "data/visits", "format": "metrica_visits"},
}


def _exploded(visits: list[dict], items: str, *others: str) -> pd.DataFrame:
    """One row per item of a visit's array (goals or purchases), with the visit's fields."""
    frame = pd.DataFrame(visits)
    frame = frame[frame[items].map(len) > 0].explode([items, *others], ignore_index=True)
    return frame


def test_visits_become_visit_goal_and_purchase_events(tmp_path):
    visits = make_visits()
    client = load_client(_client(tmp_path, _two_parts(visits), VISITS_DATA), emit_warnings=False)
    events = client.frame("events")
    goals = _exploded(visits, "goals", "goal_times")
    purchases = _exploded(visits, "purchase_ids", "revenues", "purchase_times")
    expected = pd.concat(
        [
            pd.Series("visit", index=range(len(visits))),
            "goal_" + goals["goals"].astype(str),
            pd.Series("purchase", index=range(len(purchases))),
        ]
    ).value_counts()
    assert events["event"].value_counts().sort_index().to_dict() == expected.sort_index().to_dict()
    assert {0, 1, 3} <= set(map(len, (v["goals"] for v in visits)))  # 0, 1, several goals
    reached = events[events["event"].str.startswith("goal_")]
    mine = sorted(zip(reached["user_id"], reached["event"], reached["timestamp"], strict=True))
    theirs = sorted(
        zip(goals["ym:s:clientID"], "goal_" + goals["goals"].astype(str), goals["goal_times"],
            strict=True)
    )  # fmt: skip
    assert mine == theirs
    frame = pd.DataFrame(visits)
    first = events[events["event"] == "visit"].reset_index(drop=True)
    assert first["session_id"].tolist() == frame["ym:s:visitID"].tolist()  # parts in name order
    assert first["page"].tolist() == frame["ym:s:startURL"].tolist()  # Cyrillic URLs kept
    assert first["channel"].value_counts().to_dict() == (
        frame["ym:s:lastTrafficSource"].value_counts().to_dict()
    )
    words = frame["ym:s:deviceCategory"].map(
        {"1": "desktop", "2": "mobile", "3": "tablet", "4": "tv"}
    )
    assert first["device"].tolist() == words.tolist()
    assert first["campaign"].fillna("").tolist() == frame["ym:s:UTMCampaign"].tolist()
    bought = events[events["event"] == "purchase"]
    assert bought["revenue"].sum() == pytest.approx(purchases["revenues"].sum())


def test_visits_purchases_become_orders(tmp_path):
    visits = make_visits()
    client = load_client(_client(tmp_path, _two_parts(visits), VISITS_DATA), emit_warnings=False)
    orders = client.frame("orders")
    purchases = _exploded(visits, "purchase_ids", "revenues", "purchase_times")
    assert len(orders) == len(purchases) > 0
    assert any(len(v["purchase_ids"]) == 2 for v in visits)  # two purchases in one visit
    assert any(not v["purchase_ids"] for v in visits)  # and visits without any
    assert orders["order_id"].tolist() == purchases["purchase_ids"].tolist()
    assert orders["revenue"].sum() == pytest.approx(purchases["revenues"].sum())
    assert orders["customer_id"].tolist() == purchases["ym:s:clientID"].tolist()
    assert orders["timestamp"].tolist() == list(purchases["purchase_times"])
    by_channel = orders.groupby("channel")["revenue"].sum()
    reference = purchases.groupby("ym:s:lastTrafficSource")["revenues"].sum().astype(float)
    pd.testing.assert_series_equal(by_channel, reference, check_names=False)


def test_hits_become_page_views_and_goal_reaches(tmp_path):
    hits = make_hits()
    data = {"events": {"path": "data/hits.tsv", "format": "metrica_hits"}}
    client = load_client(_client(tmp_path, {"hits.tsv": hits_tsv(hits)}, data), emit_warnings=False)
    events = client.frame("events")
    frame = pd.DataFrame(hits)
    goals = _exploded(hits, "goals")
    counts = events["event"].value_counts().to_dict()
    assert counts == {"page_view": len(hits)} | (
        ("goal_" + goals["goals"].astype(str)).value_counts().to_dict()
    )
    views = events[events["event"] == "page_view"].reset_index(drop=True)
    assert views["page"].tolist() == frame["ym:pv:URL"].tolist()
    assert views["user_id"].tolist() == frame["ym:pv:clientID"].tolist()
    assert views["channel"].value_counts().to_dict() == (
        frame["ym:pv:lastTrafficSource"].value_counts().to_dict()
    )
    assert views["device"].value_counts().to_dict() == (
        frame["ym:pv:deviceCategory"].map({"1": "desktop", "2": "mobile", "3": "tablet"})
        .value_counts().to_dict()
    )  # fmt: skip
    assert "session_id" not in events.columns or events["session_id"].isna().all()


def test_hits_with_a_visit_id_carry_the_session(tmp_path):
    """Downloads since 10 October 2025 may include ``ym:pv:visitID``: the hit's session."""
    hits = make_hits(seed=4, n=40)
    for i, hit in enumerate(hits):
        hit["ym:pv:visitID"] = str(8_000_000 + i // 4)  # four hits per visit
    data = {"events": {"path": "data/hits.tsv", "format": "metrica_hits"}}
    client = load_client(_client(tmp_path, {"hits.tsv": hits_tsv(hits)}, data), emit_warnings=False)
    views = client.frame("events").query("event == 'page_view'").reset_index(drop=True)
    assert views["session_id"].tolist() == [h["ym:pv:visitID"] for h in hits]
    assert views["session_id"].nunique() == 10


def test_a_file_that_is_not_a_metrica_download(tmp_path):
    data = {"events": {"path": "data/visits.tsv", "format": "metrica_visits"}}
    root = _client(tmp_path / "a", {"visits.tsv": "visit,user\n1,2\n"}, data)
    with pytest.raises(DataError, match=r"visits.tsv is not a Yandex Metrica .*ym:s:clientID"):
        load_client(root)
    root = _client(tmp_path / "b", {"visits.tsv": hits_tsv(make_hits())}, data)
    with pytest.raises(DataError, match="download of hits: use `format: metrica_hits`"):
        load_client(root)


def test_a_purchase_in_another_currency_names_its_lines(tmp_path):
    visits = make_visits()
    text = visits_tsv(visits)
    line = next(i for i, v in enumerate(visits, start=2) if v["purchase_ids"])
    rows = text.split("\n")
    rows[line - 1] = rows[line - 1].replace("'RUB'", "'USD'")
    data = {"orders": {"path": "data/visits.tsv", "format": "metrica_visits"}}
    root = _client(tmp_path, {"visits.tsv": "\n".join(rows)}, data)
    with pytest.raises(DataError, match=rf"visits.tsv: \d+ rows? \((e.g. )?lines? {line}\b.*USD"):
        load_client(root)


def test_arrays_of_unequal_length_name_the_part_and_line(tmp_path):
    visits = make_visits()
    files = _two_parts(visits)
    rows = files["visits/part_2.tsv"].split("\n")
    line = next(i for i, r in enumerate(rows, start=1) if "\t[101,202]\t" in r)
    rows[line - 1] = rows[line - 1].replace("\t[101,202]\t", "\t[101]\t")
    files["visits/part_2.tsv"] = "\n".join(rows)
    with pytest.raises(
        DataError, match=rf"unequal length .* part_2.tsv line {line} \(1 ym:s:goalsID, 2"
    ):
        load_client(_client(tmp_path, files, VISITS_DATA))


def test_a_bad_time_in_a_single_file_points_at_its_line(tmp_path):
    visits = make_visits()
    visits[4]["ym:s:dateTime"] = "04.10.2026 12:00"
    data = {"events": {"path": "data/visits.tsv", "format": "metrica_visits"}}
    with pytest.raises(DataError, match=r"visits.tsv: .*line 6\b.*timestamp"):
        load_client(_client(tmp_path, {"visits.tsv": visits_tsv(visits)}, data))


def test_a_purchase_id_in_two_visits_is_reported(tmp_path):
    visits = make_visits()
    buying = [v for v in visits if v["purchase_ids"]]
    buying[1]["purchase_ids"][0] = buying[0]["purchase_ids"][0]
    data = {"orders": {"path": "data/visits.tsv", "format": "metrica_visits"}}
    with pytest.raises(DataError, match=buying[0]["purchase_ids"][0]):
        load_client(_client(tmp_path, {"visits.tsv": visits_tsv(visits)}, data))


@pytest.mark.e2e
def test_run_reports_visitors_buyers_and_revenue_of_the_download(tmp_path):
    """`funnelkit run` on a Metrica client: chapter 01's numbers equal pandas on the rows."""
    visits = make_visits(seed=3, n=120)
    root = _client(tmp_path / "shop", _two_parts(visits), VISITS_DATA, end="2026-10-31")
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    (notebooks / "01_pick_metrics.ipynb").write_bytes(
        (REPO / "notebooks" / "01_pick_metrics.ipynb").read_bytes()
    )
    env = {**os.environ, "FUNNELKIT_REPORTS_DIR": str(tmp_path / "reports")}
    result = subprocess.run(
        [sys.executable, "-m", "funnelkit", "run", str(root), "--notebooks", str(notebooks),
         "--output-dir", str(tmp_path / "reports"), "-j", "1"],
        capture_output=True, text=True, env=env, cwd=REPO, timeout=900,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    found = sorted((tmp_path / "reports").rglob("01_pick_metrics.results.json"))
    assert len(found) == 1, found
    metrics = json.loads(found[0].read_text("utf-8"))["metrics"]["metrics"]
    values = {m["metric"]: m["value"] for m in metrics}
    frame = pd.DataFrame(visits)
    purchases = _exploded(visits, "purchase_ids", "revenues")
    assert values["visitors"] == frame["ym:s:clientID"].nunique()
    assert values["buyers"] == purchases["ym:s:clientID"].nunique()
    assert values["orders"] == len(purchases)
    assert values["revenue"] == pytest.approx(purchases["revenues"].astype(float).sum())


def test_columns_override_a_default_field(tmp_path):
    hits = make_hits()
    data = {
        "events": {
            "path": "data/hits",
            "format": "metrica_hits",
            "columns": {"page": "ym:pv:title"},
        }
    }
    client = load_client(
        _client(tmp_path, {"hits/hits.txt": hits_tsv(hits)}, data), emit_warnings=False
    )
    views = client.frame("events").query("event == 'page_view'")
    assert views["page"].tolist() == [h["ym:pv:title"] for h in hits]  # 'Платья "Лето"' intact
    assert views["campaign"].isna().all()  # no ym:pv:UTMCampaign in this download
    data["events"]["columns"] = {"page": "ym:pv:pageTitle"}
    with pytest.raises(
        ConfigError, match=r"columns.page: the download has no field `ym:pv:pageTitle`"
    ):
        load_client(_client(tmp_path / "b", {"hits/hits.txt": hits_tsv(hits)}, data))


def test_metrica_fields_in_a_plain_file_get_hints():
    hint = column_hint(["ym:s:clientID", "ts"], table="events", column="user_id", key="data.events")
    assert "`ym:s:clientID` looks like a user id; map it with `columns.user_id`" in hint
    whole = ["ym:s:visitID", "ym:s:clientID", "ym:s:dateTime", "ym:s:startURL"]
    hint = column_hint(whole, table="events", column="user_id", key="data.events")
    assert "`data.events.format: metrica_visits`" in hint
    hint = column_hint(["ym:pv:clientID", "ym:pv:dateTime"], table="events", column="user_id",
                       key="data.events")  # fmt: skip
    assert "`data.events.format: metrica_hits`" in hint
