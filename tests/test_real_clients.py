"""Every chapter on real clients: folders built from ``../shared/data``, run as a consultant does.

Each dataset becomes a client folder in a temporary directory with a few lines of pandas (the way a
consultant turns an export into one), then ``funnelkit run`` writes the whole report. Every
chapter must finish (exit 0, every notebook ``ok``), and the A/B figures that reach the report's
``summary.json`` must equal the datasets' public write-ups (see tests/test_abtest_shared_data.py):

- Cookie Cats: 7-day retention 19.0% vs 18.2%, p ≈ 0.0016 (keep gate_30); 1-day 44.8% vs 44.2%,
  p ≈ 0.074 (no difference). Assignments only, outcomes on the row, no timestamps.
- Udacity landing page, after dropping the rows where group and page disagree: 12.04% vs 11.88%,
  p ≈ 0.19, 290,584 users, none lost to an outcome window. Assignments plus events.
- CDNOW: orders only (the whitespace text file, as published, read with ``delimiter``).
- Olist: the leads file and the closed-deals file as published, joined by ``data.deals``; the 60
  leads without an origin are labelled ``unknown`` (``leads.channel`` is required).
- Olist as an account-based client (``olist-abm``): the 842 sellers of the closed deals are the
  accounts (tier = ``lead_type``, industry = ``business_segment``, owner = ``sr_id``) and each won
  lead carries its seller; two tables only (accounts, leads + deals). The accounts chapter runs
  and says what it cannot compute (no touchpoints, no deal values) instead of printing zeros; the
  other clients have no accounts, so their runs leave the chapter out.

The datasets are never copied into the repository; absent files skip with the reason.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from conftest import SHARED_DATA

pytestmark = [pytest.mark.shared_data, pytest.mark.e2e]

FUNNELKIT = Path(sys.executable).with_name("funnelkit")


def _source(relative: str) -> Path:
    path = SHARED_DATA / relative
    if not path.exists():
        pytest.skip(f"shared dataset {relative} not found at {path}")
    return path


def _folder(root: Path, name: str, document: dict) -> Path:
    folder = root / name
    (folder / "data").mkdir(parents=True)
    (folder / "client.yaml").write_text(
        yaml.safe_dump({"client": name.title(), **document}, sort_keys=False), encoding="utf-8"
    )
    return folder


def cookie_cats(root: Path) -> Path:
    folder = _folder(root, "cookie-cats", {
        "period": {"start": "2018-01-01", "end": "2018-01-31"},
        "data": {"assignments": {"path": "data/cookie_cats.csv",
                                 "columns": {"user_id": "userid", "variant": "version"}}},
        "experiments": [
            {"name": "gate_day7", "control": "gate_30", "goal": "retention_7",
             "outcomes": {"retention_1": "share", "retention_7": "share"}},
            {"name": "gate_day1", "control": "gate_30", "goal": "retention_1",
             "outcomes": {"retention_1": "share"}},
        ],
    })  # fmt: skip
    shutil.copy(_source("cookie_cats/cookie_cats.csv"), folder / "data" / "cookie_cats.csv")
    return folder


def udacity(root: Path) -> Path:
    raw = pd.read_csv(_source("udacity_ab_test/ab_data.csv"))
    aligned = raw[(raw["group"] == "control") == (raw["landing_page"] == "old_page")]
    folder = _folder(root, "udacity", {
        "period": {"start": "2017-01-02", "end": "2017-01-24"},
        "data": {"assignments": {"path": "data/ab_data.csv",
                                 "columns": {"variant": "group", "assigned_at": "timestamp"}},
                 "events": {"path": "data/events.csv"}},
        "experiments": [{"name": "landing_page", "control": "control", "goal": "converted",
                         "outcomes": {"converted": "share"}}],
    })  # fmt: skip
    aligned.to_csv(folder / "data" / "ab_data.csv", index=False)
    views = aligned[["user_id", "timestamp"]].assign(event="landing")
    bought = aligned.loc[aligned["converted"] == 1, ["user_id", "timestamp"]].assign(event="buy")
    pd.concat([views, bought]).to_csv(folder / "data" / "events.csv", index=False)
    return folder


def cdnow(root: Path) -> Path:
    orders = pd.read_csv(
        _source("cdnow/CDNOW_master.txt"), sep=r"\s+", header=0,
        names=["customer", "date", "quantity", "amount"], dtype={"customer": str, "date": str},
    )  # fmt: skip
    orders.insert(0, "order_id", range(1, len(orders) + 1))
    folder = _folder(root, "cdnow", {
        "period": {"start": "1997-07-01", "end": "1998-06-30"}, "currency": "USD",
        "data": {"orders": {"path": "data/orders.csv", "timestamp_format": "%Y%m%d",
                            "columns": {"customer_id": "customer", "timestamp": "date",
                                        "revenue": "amount"}}},
    })  # fmt: skip
    orders.to_csv(folder / "data" / "orders.csv", index=False)
    return folder


def olist(root: Path) -> Path:
    leads = pd.read_csv(
        _source("olist_marketing_funnel/olist_marketing_qualified_leads_dataset.csv")
    )
    leads["origin"] = leads["origin"].fillna("unknown")
    folder = _folder(root, "olist", {
        "period": {"start": "2018-01-01", "end": "2018-05-31"}, "currency": "BRL",
        "business_type": "b2b",
        "data": {"leads": {"path": "data/leads.csv",
                           "columns": {"lead_id": "mql_id", "created_at": "first_contact_date",
                                       "channel": "origin", "mql_at": "first_contact_date"}},
                 "deals": {"path": "data/deals.csv", "key": "mql_id",
                           "columns": {"won_at": "won_date"}}},
    })  # fmt: skip
    leads.to_csv(folder / "data" / "leads.csv", index=False)
    shutil.copy(
        _source("olist_marketing_funnel/olist_closed_deals_dataset.csv"),
        folder / "data" / "deals.csv",
    )
    return folder


def olist_abm(root: Path) -> Path:
    deals = pd.read_csv(_source("olist_marketing_funnel/olist_closed_deals_dataset.csv"))
    leads = pd.read_csv(
        _source("olist_marketing_funnel/olist_marketing_qualified_leads_dataset.csv")
    )
    leads["origin"] = leads["origin"].fillna("unknown")
    leads = leads.merge(deals[["mql_id", "seller_id"]], on="mql_id", how="left")
    accounts = pd.DataFrame({
        "account_id": deals["seller_id"], "company": "seller " + deals["seller_id"].str[:8],
        "tier": deals["lead_type"], "industry": deals["business_segment"], "owner": deals["sr_id"],
    })  # fmt: skip
    folder = _folder(root, "olist-abm", {
        "period": {"start": "2018-01-01", "end": "2018-05-31"}, "currency": "BRL",
        "business_type": "abm", "accounts": {"opportunity": "mql"},
        "data": {"accounts": {"path": "data/accounts.csv", "columns": {"name": "company"}},
                 "leads": {"path": "data/leads.csv",
                           "columns": {"lead_id": "mql_id", "created_at": "first_contact_date",
                                       "channel": "origin", "mql_at": "first_contact_date",
                                       "account_id": "seller_id"}},
                 "deals": {"path": "data/deals.csv", "key": "mql_id",
                           "columns": {"won_at": "won_date"}}},
    })  # fmt: skip
    accounts.to_csv(folder / "data" / "accounts.csv", index=False)
    leads.to_csv(folder / "data" / "leads.csv", index=False)
    deals.to_csv(folder / "data" / "deals.csv", index=False)
    return folder


BUILDERS = {
    "cookie-cats": cookie_cats,
    "udacity": udacity,
    "cdnow": cdnow,
    "olist": olist,
    "olist-abm": olist_abm,
}


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict[str, dict]:
    """Build every client folder, run ``funnelkit batch`` once, return each summary.json."""
    root = tmp_path_factory.mktemp("real_clients")
    clients, out = root / "clients", root / "reports"
    for build in BUILDERS.values():
        build(clients)
    # No PDF (no Chromium at FUNNELKIT_CHROMIUM, as on a machine without one: the run says so
    # and writes everything else): no test here reads a PDF, and printing five of them took a
    # fifth of this run. tests/test_e2e.py prints and checks the demo report's PDF.
    env = os.environ | {
        "FUNNELKIT_CACHE_DIR": str(root / "cache"),
        "FUNNELKIT_CHROMIUM": str(root / "no-chromium"),
    }
    done = subprocess.run(
        [str(FUNNELKIT), "batch", str(clients), "--output-dir", str(out), "--jobs", "2"],
        capture_output=True, text=True, env=env, check=False, timeout=900,
    )  # fmt: skip
    summaries = {}
    for name in BUILDERS:
        found = sorted((out / name).glob("*/summary.json"))
        summaries[name] = json.loads(found[-1].read_text(encoding="utf-8")) if found else {}
    summaries["_run"] = {"returncode": done.returncode, "output": done.stdout + done.stderr}
    return summaries


@pytest.mark.parametrize("name", list(BUILDERS))
def test_every_chapter_finishes_on_a_real_client(reports, name):
    summary = reports[name]
    assert summary, f"no report for {name}:\n{reports['_run']['output'][-3000:]}"
    failed = {n["name"]: n.get("message", "") for n in summary["notebooks"] if n["status"] != "ok"}
    assert failed == {}
    assert summary["run"]["status"] == "ok"


def test_the_batch_exits_zero(reports):
    assert reports["_run"]["returncode"] == 0, reports["_run"]["output"][-3000:]
    assert "BAD INPUT" not in reports["_run"]["output"]


def _goal(summary: dict, experiment: str) -> dict:
    """The primary goal's comparison row as the report recorded it, with the decision."""
    found = summary["results"]["04_ab_test"]["experiments"][experiment]
    rows = [r for r in found["metrics"] if r["metric"] == found["goal_metric"]]
    return {"decision": found["decision"], **rows[0]}


def test_cookie_cats_through_the_report_equals_the_write_up(reports):
    day7 = _goal(reports["cookie-cats"], "gate_day7")
    assert day7["control_value"] == pytest.approx(0.190, abs=5e-4)  # published 19.0%
    assert day7["value"] == pytest.approx(0.182, abs=5e-4)  # published 18.2%
    assert day7["p_value"] == pytest.approx(0.0016, abs=1e-4)
    assert day7["decision"] == "keep_control"
    day1 = _goal(reports["cookie-cats"], "gate_day1")
    assert (day1["control_value"], day1["value"]) == (
        pytest.approx(0.448, abs=5e-4),
        pytest.approx(0.442, abs=5e-4),
    )  # published 44.8% vs 44.2%
    assert day1["p_value"] == pytest.approx(0.074, abs=1e-3)
    assert day1["decision"] == "no_difference"


def test_udacity_through_the_report_equals_the_write_up(reports):
    found = _goal(reports["udacity"], "landing_page")
    assert found["control_value"] == pytest.approx(0.1204, abs=5e-5)
    assert found["value"] == pytest.approx(0.1188, abs=5e-5)
    assert found["p_value"] == pytest.approx(0.19, abs=5e-3)
    assert found["decision"] == "no_difference"


def test_the_accounts_chapter_runs_only_where_there_are_accounts(reports):
    for name in ("cookie-cats", "udacity", "cdnow", "olist"):
        assert "05_accounts" not in [n["name"] for n in reports[name]["notebooks"]]
    found = reports["olist-abm"]["results"]["05_accounts"]["accounts"]
    metrics = {row["metric"]: row for row in found["metrics"]}
    # plain pandas: each seller has one lead; won = won_date in the period, an opportunity = its
    # MQL (first contact) or its win in the period (a won deal is an opportunity)
    deals = pd.read_csv(_source("olist_marketing_funnel/olist_closed_deals_dataset.csv"),
                        parse_dates=["won_date"])  # fmt: skip
    leads_file = _source("olist_marketing_funnel/olist_marketing_qualified_leads_dataset.csv")
    mqls = pd.read_csv(leads_file, parse_dates=["first_contact_date"]).merge(deals, on="mql_id")
    start, end = pd.Timestamp("2018-01-01"), pd.Timestamp("2018-06-01")
    won = mqls["won_date"].between(start, end, inclusive="left")
    opportunity = won | mqls["first_contact_date"].between(start, end, inclusive="left")
    steps = {s["step"]: s["accounts"] for s in found["funnel"]}
    assert (steps["target"], steps["opportunity"], steps["won"]) == (
        len(deals),
        opportunity.sum(),
        won.sum(),
    )  # 842, 811, 662
    assert metrics["account_win_rate"]["value"] == pytest.approx(won.sum() / opportunity.sum())
    # no deal values in the export: no CLV and no pipeline, never a zero
    clv = metrics["account_clv"]
    assert clv["value"] is None and "leads.value" in clv["note"]
    assert "leads.value" in found["metrics_not_computed"].values()


def test_the_customer_value_chapter_on_cdnow_against_plain_pandas(reports):
    """Chapter 06 on the CDNOW master: 23,570 customers, first orders and holdout by hand."""
    found = reports["cdnow"]["results"]["06_customer_value"]["value"]
    raw = pd.read_csv(_source("cdnow/CDNOW_master.txt"), sep=r"\s+", header=0,
                      names=["customer", "date", "quantity", "amount"],
                      dtype={"customer": str, "date": str})  # fmt: skip
    raw["day"] = pd.to_datetime(raw["date"], format="%Y%m%d")
    days = raw.groupby(["customer", "day"], as_index=False)["amount"].sum()
    first = days.groupby("customer")["day"].transform("min")
    assert found["customers"] == raw["customer"].nunique() == 23_570
    assert sum(s["customers"] for s in found["segments"]) == 23_570
    clv = found["clv"]
    # the whole history (78 weeks) against a 52-week horizon, 11,516 repeat buyers: no caveat
    assert clv["available"] and clv["reliable"] and clv["caveats"] == []
    first_orders = days.loc[days["day"] == first, "amount"].mean()
    assert clv["new_customer"]["first_order"] == pytest.approx(first_orders)  # no margin set
    assert clv["new_customer_clv_low"] < clv["new_customer_clv"] < clv["new_customer_clv_high"]
    # holdout: calibration to the period start (1997-06-30), then 52 weeks; repeat purchase days
    # after the calibration end of the customers who had bought by then
    totals = found["holdout"]["totals"][0]
    calibration = pd.Timestamp("1997-06-30")
    known = days[first <= calibration]
    assert totals["actual"] == (known["day"] > calibration).sum()  # 26,977
    assert abs(totals["error"]) < 0.25  # measured: 23,949 predicted, 11% under
    assert found["visits"] is None  # no events table


def test_the_customer_value_chapter_runs_on_events_alone_and_only_there(reports):
    for name in ("cookie-cats", "olist", "olist-abm"):  # neither orders nor events
        assert "06_customer_value" not in [n["name"] for n in reports[name]["notebooks"]]
    found = reports["udacity"]["results"]["06_customer_value"]["value"]
    assert found["available"] is False  # no orders: the orders-based parts say what they need
    visits = found["visits"]
    assert visits["cohorts"] >= 2 and 0 <= visits["week_1_return"] < 0.05  # one visit each
