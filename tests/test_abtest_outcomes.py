"""User-level experiment outcomes: windows, exclusions, revenue with zeros, the CUPED covariate."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest

from funnelkit.abtest import (
    AnalysisError,
    aggregate_outcomes,
    daily_cumulative,
    experiment_outcomes,
    get_experiment,
    glob_to_like,
    observation_end,
)
from funnelkit.data.prepare import load_client

ASSIGNMENTS = """user_id,experiment,variant,assigned_at
u1,exp,control,2026-10-01 10:00:00
u2,exp,b,2026-10-01 10:00:00
u3,exp,control,2026-10-02 09:00:00
u3,exp,b,2026-10-02 10:00:00
u4,exp,b,2026-10-28 12:00:00
u5,exp,control,2026-11-02 00:00:00
u6,exp,b,2026-10-03 05:00:00
u6,exp,b,2026-10-03 00:00:00
u7,other,control,2026-10-01 00:00:00
"""
EVENTS = """user_id,timestamp,event
u1,2026-10-01 10:00:00,purchase
u2,2026-10-01 09:59:59,purchase
u2,2026-10-08 10:00:01,purchase
u6,2026-10-09 23:59:59,purchase_confirmed
u7,2026-10-31 12:00:00,page_view
"""
ORDERS = """order_id,customer_id,timestamp,revenue
o1,u1,2026-10-01 10:05:00,50.0
o2,u1,2026-10-05 00:00:00,30.0
o3,u1,2026-09-20 00:00:00,20.0
o4,u1,2026-08-15 00:00:00,99.0
o5,u2,2026-10-08 10:00:01,40.0
o6,u6,2026-10-04 00:00:00,10.0
"""
EXPERIMENT = {"name": "exp", "control": "control", "planned_split": {"control": 1, "b": 1}}


@pytest.fixture
def ab_client(make_client):
    """Write an A/B client: ``ab_client(events=..., experiments=[...], tables=...)``."""

    def _make(*, events: str = EVENTS, orders: str | None = ORDERS, **experiment):
        files = {"assignments.csv": ASSIGNMENTS, "events.csv": events}
        data = {
            "assignments": {"path": "data/assignments.csv"},
            "events": {"path": "data/events.csv"},
        }
        if orders is not None:
            files["orders.csv"] = orders
            data["orders"] = {"path": "data/orders.csv"}
        folder = make_client(files, data=data, experiments=[EXPERIMENT | experiment])
        return load_client(folder, emit_warnings=False)

    return _make


def by_user(frame: pd.DataFrame) -> dict:
    return frame.set_index("user_id").to_dict(orient="index")


def test_one_row_per_user_with_the_listed_columns(ab_client):
    out = experiment_outcomes(ab_client(), "exp")
    assert out.columns.tolist() == [
        "user_id", "variant", "assigned_at", "converted", "revenue", "orders", "pre_revenue",
        "excluded_reason",
    ]  # fmt: skip
    assert out["user_id"].tolist() == ["u1", "u2", "u3", "u6", "u4", "u5"]  # by assigned_at
    assert out.attrs["observation_end"] == datetime(2026, 11, 1)


def test_window_includes_both_ends(ab_client):
    users = by_user(experiment_outcomes(ab_client(), "exp"))
    # u1: purchase at the very second of assignment counts.
    assert users["u1"]["converted"] == 1
    # u2: one purchase a second before assignment, one 7 days and 1 second after: neither counts.
    assert users["u2"]["converted"] == 0
    assert users["u2"]["revenue"] == 0 and users["u2"]["orders"] == 0


def test_event_exactly_at_the_window_end_counts(ab_client):
    # Issue 12: a 7-day retention event exactly 7 days after assignment is inside the window
    # (the funnel's window is inclusive too); one second later it is not.
    events = EVENTS.replace("u2,2026-10-08 10:00:01,purchase", "u2,2026-10-08 10:00:00,purchase")
    orders = ORDERS.replace("o5,u2,2026-10-08 10:00:01", "o5,u2,2026-10-08 10:00:00")
    users = by_user(experiment_outcomes(ab_client(events=events, orders=orders), "exp"))
    assert users["u2"]["converted"] == 1
    assert users["u2"]["revenue"] == 40.0 and users["u2"]["orders"] == 1
    shorter = by_user(experiment_outcomes(ab_client(events=events), "exp", window_days=7 - 1e-5))
    assert shorter["u2"]["converted"] == 0  # the window now ends a second before the event


def test_goal_pattern_matches_event_names(ab_client):
    exact = by_user(experiment_outcomes(ab_client(), "exp"))
    pattern = by_user(experiment_outcomes(ab_client(goal="purchase*"), "exp"))
    assert exact["u6"]["converted"] == 0  # 'purchase_confirmed' is not 'purchase'
    assert pattern["u6"]["converted"] == 1  # 23:59:59 on day 7 is inside the window
    assert glob_to_like("purchase*") == "purchase%"
    assert glob_to_like("a_b?") == "a\\_b_"


def test_longer_window_counts_later_events(ab_client):
    users = by_user(experiment_outcomes(ab_client(), "exp", window_days=8))
    assert users["u2"]["converted"] == 1 and users["u2"]["revenue"] == 40.0


def test_revenue_orders_and_pre_period_covariate(ab_client):
    users = by_user(experiment_outcomes(ab_client(), "exp"))
    assert users["u1"]["revenue"] == 80.0 and users["u1"]["orders"] == 2
    # Only the order 11 days before assignment is in the 30-day pre-period (not the one 47 days).
    assert users["u1"]["pre_revenue"] == 20.0
    assert users["u6"]["revenue"] == 10.0 and users["u6"]["pre_revenue"] == 0.0


def test_exclusions_are_kept_and_labelled(ab_client):
    users = by_user(experiment_outcomes(ab_client(), "exp"))
    assert users["u3"]["variant"] is None
    assert users["u3"]["excluded_reason"] == "several_variants"
    assert users["u4"]["excluded_reason"] == "window_incomplete"  # 10-28 + 7 days > 11-01
    assert users["u5"]["excluded_reason"] == "assigned_after_period"
    assert users["u1"]["excluded_reason"] is None
    # u6 was logged twice in the same variant: one user, first assignment.
    assert users["u6"]["assigned_at"] == pd.Timestamp("2026-10-03 00:00:00")
    assert users["u6"]["excluded_reason"] is None


def test_data_ending_early_cuts_the_observation(ab_client):
    events = EVENTS.replace("u7,2026-10-31 12:00:00,page_view\n", "")
    client = ab_client(events=events)
    assert observation_end(client) == datetime(2026, 10, 10)  # midnight after the last order/event
    users = by_user(experiment_outcomes(client, "exp"))
    # u6: window ends 10-10 00:00 inclusive, exactly at the observation end (exclusive): that
    # last instant is not observed, so the window is incomplete; a second shorter, complete.
    assert users["u6"]["excluded_reason"] == "window_incomplete"
    assert users["u4"]["excluded_reason"] == "window_incomplete"
    shorter = by_user(experiment_outcomes(client, "exp", window_days=7 - 1 / 86400))
    assert shorter["u6"]["excluded_reason"] is None


def test_orders_goal_uses_orders(ab_client):
    users = by_user(experiment_outcomes(ab_client(goal="orders"), "exp"))
    assert users["u1"]["converted"] == 1 and users["u6"]["converted"] == 1
    assert users["u2"]["converted"] == 0


def test_without_orders_revenue_is_missing(ab_client):
    out = experiment_outcomes(ab_client(orders=None), "exp")
    assert out["revenue"].isna().all() and out["pre_revenue"].isna().all()
    with pytest.raises(AnalysisError, match=r"goal 'revenue', which is measured on orders"):
        experiment_outcomes(ab_client(orders=None, goal="revenue"), "exp")


def test_aggregate_counts_included_users_with_zeros(ab_client):
    out = experiment_outcomes(ab_client(), "exp")
    agg = aggregate_outcomes(out, control="control")
    assert agg["variant"].tolist() == ["control", "b"]
    rows = agg.set_index("variant").to_dict(orient="index")
    # control: u1 only. b: u2 (nothing, a zero that counts) and u6.
    assert rows["control"] == {
        "users": 1, "conversions": 1, "revenue_sum": 80.0, "revenue_sum_sq": 6400.0,
        "orders_sum": 2, "orders_sum_sq": 4, "buyers": 1,
    }  # fmt: skip
    assert rows["b"]["users"] == 2 and rows["b"]["revenue_sum"] == 10.0
    assert rows["b"]["buyers"] == 1 and rows["b"]["conversions"] == 0
    with_late = aggregate_outcomes(out, include=("window_incomplete",)).set_index("variant")
    assert with_late.loc["b", "users"] == 3


def test_daily_cumulative_by_assignment_day(ab_client):
    daily = daily_cumulative(experiment_outcomes(ab_client(), "exp"))
    b = daily[daily["variant"] == "b"].set_index("date")
    assert b.index.min() == pd.Timestamp("2026-10-01") and len(b) == 3  # 10-01 … 10-03
    assert b["cumulative_users"].tolist() == [1, 1, 2]
    assert b.loc["2026-10-03", "cumulative_rate"] == 0.0
    control = daily[daily["variant"] == "control"]
    assert control["cumulative_rate"].iloc[-1] == 1.0


def test_undeclared_experiment_lists_the_declared(ab_client):
    with pytest.raises(AnalysisError, match=r"'nope' is not declared .* are \['exp'\]"):
        get_experiment(ab_client(), "nope")


def test_declared_but_absent_experiment(ab_client):
    client = ab_client(name="ghost")
    with pytest.raises(AnalysisError, match=r"'ghost' has no rows .* are \['exp', 'other'\]"):
        experiment_outcomes(client, "ghost")


def test_no_assignments_table(make_client):
    folder = make_client(
        {"events.csv": EVENTS},
        data={"events": {"path": "data/events.csv"}},
        experiments=[EXPERIMENT],
    )
    client = load_client(folder, emit_warnings=False)
    with pytest.raises(AnalysisError, match=r"no `assignments` table is configured"):
        experiment_outcomes(client, "exp")


def test_window_must_be_positive(ab_client):
    with pytest.raises(AnalysisError, match=r"window_days must be a positive number"):
        experiment_outcomes(ab_client(), "exp", window_days=0)


def test_tiny_experiment_is_analysed_with_notes_not_errors(ab_client):
    from funnelkit.abtest import analyze_experiment

    result = analyze_experiment(ab_client(), "exp", include_incomplete=True, bootstrap=0)
    assert result.variants["users"].tolist() == [1, 3]  # u4's incomplete window included
    assert result.proportions["test"].iloc[0] == "fisher_exact"  # expected counts below 5
    assert result.means.empty and any("fewer than 2 users" in n for n in result.notes)
    text = result.verdicts["text_en"].iloc[0]
    # 0 conversions in b: no relative interval, so the absolute difference is quoted
    assert "(−100.0 pp, or −100% relative to control; 95% interval −100.0 to −2.8 pp" in text
    assert "p = 0.25" in text
    assert result.decision == "no_difference"
