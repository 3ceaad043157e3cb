"""Weekly trend, period over period, where drop-offs go, bounce rates, audiences, the report."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from funnelkit.core.errors import FunnelkitError
from funnelkit.data.prepare import load_client
from funnelkit.funnel import (
    bounce_rates,
    compare_periods,
    dropoff_audience,
    next_events,
    run_funnel,
    weekly_conversion,
    write_audience,
)
from funnelkit.presentation.funnel import dropoff_report

EVENTS = """user_id,session_id,timestamp,event,page,channel
a,s1,2026-10-05 10:00:00,page_view,/home,email
a,s1,2026-10-05 10:01:00,view,/p1,email
a,s1,2026-10-05 10:02:00,cart,/p1,email
a,s1,2026-10-05 10:03:00,buy,/checkout,email
b,s2,2026-10-06 10:00:00,page_view,/home,ads
b,s2,2026-10-06 10:01:00,view,/p1,ads
b,s2,2026-10-06 10:02:00,cart,/p1,ads
b,s2,2026-10-06 10:05:00,search,/search,ads
c,s3,2026-10-13 09:00:00,page_view,/sale,ads
c,s3,2026-10-13 09:01:00,view,/p2,ads
c,s3,2026-10-13 09:03:00,cart,/p2,ads
c,s3,2026-10-13 09:04:00,page_view,/p3,ads
c,s3,2026-10-13 09:02:00,page_view,/p2,ads
d,s4,2026-10-14 09:00:00,page_view,/sale,ads
d,s4,2026-10-14 09:01:00,view,/p2,ads
e,s5,2026-10-20 09:00:00,page_view,/home,email
"""
STEPS = ["view", "cart", "buy"]


@pytest.fixture
def client(make_client):
    folder = make_client(
        {"events.csv": EVENTS},
        data={"events": {"path": "data/events.csv"}},
        funnel={"steps": STEPS, "segments": ["channel"]},
    )
    return load_client(folder, emit_warnings=False)


def test_weekly_conversion_by_entry_week(client):
    weekly = weekly_conversion(run_funnel(client).paths, steps=STEPS)
    last = weekly[weekly["step"] == "buy"].set_index("week")
    # week of 5 Oct: a and b entered, a bought; week of 12 Oct: c and d, nobody bought
    assert last["entered"].tolist() == [2, 2]
    assert last["users"].tolist() == [1, 0]
    assert last["share_of_first"].tolist() == [0.5, 0.0]
    assert str(last.index[0].date()) == "2026-10-05"


def test_next_events_after_the_last_reached_step(client):
    result = run_funnel(client)
    found = next_events(result.paths, client, steps=STEPS, step=3, window=timedelta(days=7))
    # b and c reached cart, not buy: b searched next, c viewed a page
    assert found.set_index("next_event")["users"].to_dict() == {"page_view": 1, "search": 1}
    assert found["share"].tolist() == [0.5, 0.5]
    at_cart = next_events(result.paths, client, steps=STEPS, step=2)
    assert at_cart.set_index("next_event")["users"].to_dict() == {"(nothing)": 1}
    with pytest.raises(ValueError, match="from 2 to 3, but 4"):
        next_events(result.paths, client, steps=STEPS, step=4)


def test_bounce_rate_by_landing_page(client):
    bounce = bounce_rates(client).set_index("landing_page")
    # the catalogue's rule: at most one page view and no interaction (only session_start is not
    # one). /home lands s1 (view, cart, buy follow), s2 (view, cart, search), s5 (nothing else):
    # 1 bounce of 3; /sale lands s3 (3 page views) and s4 (a view follows): 0 of 2
    assert bounce.loc["/home", ["sessions", "bounces"]].tolist() == [3, 1]
    assert bounce.loc["/sale", ["sessions", "bounces"]].tolist() == [2, 0]
    assert bounce.loc["/sale", "bounce_rate"] == 0.0
    assert bounce.loc["/home", "bounce_rate"] == pytest.approx(1 / 3)
    assert bounce_rates(client, top=1)["landing_page"].tolist() == ["/home"]


def test_bounce_rate_of_a_bare_relation_counts_page_views_only(client):
    # no client settings: a bounce is a session with exactly one page view (s1, s2, s4, s5)
    bounce = bounce_rates(client.table("events")).set_index("landing_page")
    assert bounce.loc["/home", ["sessions", "bounces"]].tolist() == [3, 3]
    assert bounce.loc["/sale", ["sessions", "bounces"]].tolist() == [2, 1]


def test_compare_periods_hand_counted():
    now = pd.DataFrame(
        {"step_number": [1, 2, 3], "step": STEPS, "users": [1000, 300, 0], "dropped": [0, 700, 300]}
    )
    before = pd.DataFrame(
        {"step_number": [1, 2, 3], "step": STEPS, "users": [1000, 200, 0], "dropped": [0, 800, 200]}
    )
    table = compare_periods(now, before).set_index("step")
    assert table.loc["cart", "change_of_previous"] == pytest.approx(0.1)
    # R: prop.test(c(300, 200), c(1000, 1000), correct = FALSE)$p.value -> 2.418e-07
    assert table.loc["cart", "p_value_of_previous"] == pytest.approx(2.418e-07, rel=1e-3)
    assert table.loc["cart", "significant"] and not table.loc["view", "significant"]
    assert table.loc["buy", "p_value_of_previous"] == 1.0  # 0 of 300 vs 0 of 200: no variation
    assert np.isnan(table.loc["view", "p_value_of_previous"])


def test_dropoff_audience_and_file(client, tmp_path):
    paths = run_funnel(client, by="channel").paths
    audience = dropoff_audience(paths, step=3)
    assert audience["unit_id"].tolist() == ["b", "c"]
    assert audience["reached_step"].tolist() == [2, 2]
    assert "channel" in audience.columns
    assert write_audience(audience, "", step_name="buy") is None
    path = write_audience(audience, tmp_path / "out" / "03.json", step_name="buy")
    assert path == tmp_path / "out" / "audience_dropped_at_buy.csv"
    assert pd.read_csv(path)["unit_id"].tolist() == ["b", "c"]
    with pytest.raises(FunnelkitError, match="from 2 to 3, but 1"):
        dropoff_audience(paths, step=1)


def test_report_skips_with_a_reason_without_events(make_client):
    folder = make_client(
        {"orders.csv": "order_id,customer_id,timestamp,revenue\no1,u1,2026-10-01 10:00:00,5\n"},
        data={"orders": {"path": "data/orders.csv"}},
    )
    report = dropoff_report(load_client(folder, emit_warnings=False))
    assert "No `events` table" in report.reason
    assert report.to_results() == {"skipped": report.reason}


def test_report_on_a_tiny_client(client):
    report = dropoff_report(client, min_segment_users=1)
    assert report.reason == "" and report.leak_step in (2, 3)
    results = report.to_results()
    assert results["steps"]["users"].tolist() == [4, 3, 1]
    assert {"leaks", "significant_segments", "period_over_period", "aov"} <= set(results)
    assert report.periods.empty and "No step-1 event" in report.periods_note
