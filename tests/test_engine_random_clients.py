"""Random small clients on ClickHouse (chdb) give DuckDB's numbers, chapter by chapter.

The demo is one shop with plenty of every event; real exports are thin, gappy and odd. Each
seed makes a small shop of its own — a few dozen to a few hundred users with one to a dozen
events each, spread across the comparison and analysis periods and past the period's end,
channels and revenue sometimes missing, a funnel step nobody reaches, orders from the purchase
events — and the chapters that read events and orders (00–03, 06) are computed with the events
in DuckDB and with the same events on ClickHouse. This is where a dialect difference shows
(NULLs, empty groups, aggregates over no rows, ties), which the demo's full data hide.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import yaml

pytest.importorskip("chdb", reason="chdb (ClickHouse in-process) is not installed")
pytest.importorskip("sqlglot", reason="sqlglot (the engines' SQL translator) is not installed")

import funnelkit
from funnelkit.presentation.funnel.display import dropoff_report
from funnelkit.presentation.results import to_jsonable

sys.path.insert(0, str(Path(__file__).parent))
from engine_compare import CHAPTERS, DEMO, differences

#: Events of the random shops, the funnel's own first (the demo's stages map them).
EVENTS = ["session_start", "page_view", "view_item", "add_to_cart", "begin_checkout",
          "add_payment_info", "purchase", "login", "search", "sign_up", "view_cart",
          "generate_lead", "newsletter_signup"]  # fmt: skip
WEIGHTS = np.array([8, 10, 6, 3, 2, 1, 1, 2, 2, 1, 1, 1, 1], dtype=float)
CHANNELS = ["organic_search", "paid_search", "email", "direct", None]
COMPARED = [c for c in CHAPTERS if c[0][:2] in ("00", "01", "02", "03", "06")]


def _shop(seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(events, orders) of a random small shop: seeded, deterministic."""
    rng = np.random.default_rng(seed)
    users = int(rng.integers(30, 300))
    start = pd.Timestamp("2026-08-01")
    span = (pd.Timestamp("2026-11-01") - start).total_seconds()
    rows = []
    for u in range(users):
        channel = CHANNELS[int(rng.integers(len(CHANNELS)))]
        first = rng.uniform(0, span)
        for _ in range(int(rng.integers(1, 13))):
            event = EVENTS[int(rng.choice(len(EVENTS), p=WEIGHTS / WEIGHTS.sum()))]
            when = start + pd.Timedelta(seconds=first + rng.exponential(3 * 86400))
            revenue = round(float(rng.gamma(3, 20)), 2) if event == "purchase" else None
            if revenue is not None and rng.random() < 0.1:
                revenue = None  # a purchase without its amount
            rows.append((f"u{u:04d}", when.floor("s"), event, f"s{u:04d}", channel,
                         ["mobile", "desktop"][u % 2], revenue))  # fmt: skip
    events = pd.DataFrame(rows, columns=["user_id", "timestamp", "event", "session_id",
                                         "channel", "device", "revenue"])  # fmt: skip
    if seed % 2:  # nobody reaches step 4 of the funnel: one stray event of it, alone
        events = events[events["event"] != "add_payment_info"]
        stray = events.iloc[[0]].assign(user_id="u9999", event="add_payment_info", revenue=None)
        events = pd.concat([events, stray], ignore_index=True)
    bought = events[(events["event"] == "purchase") & events["revenue"].notna()]
    orders = pd.DataFrame({
        "order_id": [f"o{i:05d}" for i in range(len(bought))],
        "customer_id": bought["user_id"].to_numpy(),
        "timestamp": bought["timestamp"].to_numpy(),
        "revenue": bought["revenue"].to_numpy(),
    })  # fmt: skip
    return events, orders


def _clients(root: Path, seed: int) -> tuple[Any, Any]:
    """The random shop with its events in DuckDB, and with them on ClickHouse."""
    events, orders = _shop(seed)
    data = root / "data"
    data.mkdir(parents=True)
    events.to_parquet(data / "events.parquet", index=False)
    orders.to_csv(data / "orders.csv", index=False)
    document = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    document.pop("experiments", None)
    document["client"] = f"Random shop {seed}"
    document["data"] = {"events": {"path": "data/events.parquet"},
                        "orders": {"path": "data/orders.csv"}}  # fmt: skip
    for stage in document["stages"].values():
        if "sources" in stage:
            stage["sources"] = [s for s in stage["sources"] if s == "orders"]
    (root / "duck").mkdir()
    (root / "duck" / "client.yaml").write_text(yaml.safe_dump(document), "utf-8")
    document["data"] = {"orders": {"path": str(data / "orders.csv")}}
    (root / "duck" / "data").symlink_to(data)
    duck = funnelkit.load_client(root / "duck", emit_warnings=False)
    canonical = root / "events_canonical.parquet"
    duck.con.execute(f"COPY (SELECT * FROM events) TO '{canonical}' (FORMAT parquet)")
    document["engine"] = {"name": "clickhouse", "tables": {"events": str(canonical)}}
    (root / "ch").mkdir()
    (root / "ch" / "client.yaml").write_text(yaml.safe_dump(document), "utf-8")
    return duck, funnelkit.load_client(root / "ch", emit_warnings=False)


@pytest.mark.parametrize("seed", range(6))
def test_a_random_small_shop_on_clickhouse_gives_duckdbs_numbers(tmp_path, seed):
    duck, clickhouse = _clients(tmp_path, seed)
    try:
        assert clickhouse.row_counts == duck.row_counts and duck.row_counts["events"] > 30
        for chapter, compute in COMPARED:
            expected, got = to_jsonable(compute(duck)), to_jsonable(compute(clickhouse))
            assert differences(expected, got) == [], (seed, chapter)
        _show_the_funnel_chapter(clickhouse)
    finally:
        clickhouse.con.close()


def _show_the_funnel_chapter(client: Any) -> None:
    """Every section of chapter 03 shows (seed 1's step nobody reaches once crashed its leaks)."""
    report = dropoff_report(client)
    assert not report.reason, report.reason
    sections = [name for name in dir(report) if name.startswith("show_")]
    assert "show_leak" in sections
    for name in sections:
        getattr(report, name)()
    plt.close("all")
