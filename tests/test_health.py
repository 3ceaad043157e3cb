"""Data-health frames, checked by hand on a tiny client."""

from __future__ import annotations

import pandas as pd
import pytest

from funnelkit import health
from funnelkit.data.prepare import load_client
from funnelkit.presentation import health_text

EVENTS = """user_id,timestamp,event,channel,campaign
u1,2026-09-20 10:00:00,page_view,email,
u1,2026-10-01 10:00:00,page_view,email,
u1,2026-10-01 10:00:00,page_view,email,
u1,2026-10-01 10:05:00,purchase,email,
u2,2026-10-03 11:00:00,page_view,ads,summer
"""
SPEND = "date,channel,cost\n2026-10-01,ads,5\n2026-10-01,tv,7\n"


@pytest.fixture
def client(make_client):
    folder = make_client(
        {"events.csv": EVENTS, "spend.csv": SPEND},
        data={"events": {"path": "data/events.csv"}, "spend": {"path": "data/spend.csv"}},
        funnel={"steps": ["page_view", "purchase", "checkout"]},
        experiments=[{"name": "exp1"}],
    )
    with pytest.warns(Warning):
        return load_client(folder)


def test_overview_counts(client):
    overview = health.table_overview(client).set_index("table")
    # 5 events, users u1 and u2; period 2026-10-01..31 holds 4, the 31 days before hold 1.
    assert overview.loc[
        "events", ["rows", "distinct_ids", "rows_in_period", "rows_in_previous_period"]
    ].tolist() == [5, 2, 4, 1]
    assert overview.loc["events", "days_covered"] == 14  # 2026-09-20 .. 2026-10-03
    missing = overview.loc["events", "optional_columns_missing"]
    assert missing == "session_id, page, device, revenue, account_id"


def test_daily_volume_is_zero_filled(client):
    volume = health.daily_volume(client)
    events = volume[volume.table == "events"]
    assert len(events) == 14 and events.rows.sum() == 5
    assert events.set_index("date").rows[pd.Timestamp("2026-10-01")] == 3
    assert events.set_index("date").rows[pd.Timestamp("2026-09-25")] == 0
    assert not events.set_index("date").in_period[pd.Timestamp("2026-09-20")]


def test_missing_values(client):
    missing = health.missing_values(client).set_index(["table", "column"])
    # campaign is empty on 4 of 5 rows.
    assert missing.loc[("events", "campaign"), "missing"] == 4
    assert missing.loc[("events", "campaign"), "share_missing"] == pytest.approx(0.8)


def test_duplicates(client):
    dups = health.duplicate_rows(client).set_index("table")
    assert dups.loc["events", "duplicate_rows"] == 1  # the repeated 10:00 page_view
    assert dups.loc["spend", "duplicate_rows"] == 0


def test_event_counts(client):
    counts = health.event_counts(client).set_index("event")
    assert counts.loc["page_view", ["events", "users", "events_in_period"]].tolist() == [4, 2, 3]
    assert counts.share_of_events.sum() == pytest.approx(1.0)
    assert health.event_counts(client, top=1).event.tolist() == ["page_view"]


def test_config_checks_flag_unknown_step_experiment_and_channel(client):
    checks = health.config_checks(client)
    status = dict(zip(checks.section + ":" + checks["item"], checks.status, strict=True))
    assert status["funnel.steps:checkout"] == "missing"
    assert status["funnel.steps:purchase"] == "ok"
    assert status["experiments:exp1"] == "no data"
    assert status["spend.channel:tv"] == "missing"
    assert status["spend.channel:ads"] == "ok"


def test_summary_text_names_the_problems(client):
    text = health_text.summary_text(client)
    assert "Not provided: orders, leads, nps, social, email, accounts, assignments" in text
    assert "client.yaml" not in text  # settings are the consultant's business
    settings = health_text.settings_text(client)
    assert "funnel.steps `checkout`" in settings and "spend.channel `tv`" in settings


def test_health_results_are_json_ready(client):
    import json

    from funnelkit.presentation.results import to_jsonable

    payload = json.dumps(to_jsonable(health.health_results(client)))
    assert '"table": "events"' in payload


def test_an_assignments_file_without_experiment_column_serves_each_experiment(make_client):
    """One experiment per file (Cookie Cats' shape): the check finds its variants."""
    rows = "userid,version,retention_7\n1,gate_30,1\n2,gate_40,0\n3,gate_30,0\n"
    folder = make_client(
        {"ab.csv": rows},
        data={"assignments": {"path": "data/ab.csv",
                              "columns": {"user_id": "userid", "variant": "version"}}},
        experiments=[{"name": "gate", "control": "gate_30", "goal": "retention_7",
                      "outcomes": {"retention_7": "share"}}],
    )  # fmt: skip
    checks = health.config_checks(load_client(folder, emit_warnings=False))
    row = checks[(checks.section == "experiments") & (checks["item"] == "gate")].iloc[0]
    assert row["status"] == "ok"
    assert "gate_30" in row["detail"] and "gate_40" in row["detail"]
