"""Money at stake: arithmetic by hand, intervals, AOV sources, sentences."""

from __future__ import annotations

import math
from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from funnelkit.core.stats.proportions import proportion_ci
from funnelkit.data.prepare import load_client
from funnelkit.funnel import average_order_value, leak_opportunities, leak_sentence

PERIOD = (datetime(2026, 10, 1), datetime(2026, 11, 1))


def _table(users: list[int]) -> pd.DataFrame:
    steps = ["view", "cart", "checkout", "buy"][: len(users)]
    return pd.DataFrame({"step_number": range(1, len(users) + 1), "step": steps, "users": users})


def _segments() -> pd.DataFrame:
    """Groups at step 3 (checkout): desktop is significantly better; the others do not count."""
    return pd.DataFrame({
        "column": ["device", "device", "channel"], "segment": ["desktop", "tablet", "email"],
        "step_number": [3, 3, 3], "rate": [0.35, 0.9, 0.5], "users": [70, 9, 50],
        "users_previous": [200, 10, 100], "flag": ["over", "over", ""],
        "gated": [False, True, False],
    })  # fmt: skip


def _periods() -> pd.DataFrame:
    """The previous period: step 4 (buy) passed 60 of 100 (60%), significantly above 50%."""
    return pd.DataFrame({
        "step_number": [1, 2, 3, 4], "step": ["view", "cart", "checkout", "buy"],
        "previous_users": [900, 300, 100, 60],
        "previous_share_of_previous": [1.0, 1 / 3, 1 / 3, 0.6],
        "change_of_previous": [0.0, 0.07, -0.08, -0.1],
        "p_value_adjusted_of_previous": [math.nan, 0.2, 0.3, 0.01],
    })  # fmt: skip


def test_value_is_a_stated_scenario_not_every_lost_user():
    leaks = leak_opportunities(
        _table([1000, 400, 100, 50]), aov=80.0, aov_ci=(70.0, 90.0),
        segments=_segments(), periods=_periods(),
    )  # fmt: skip
    by_step = leaks.set_index("step")
    # pass rates: cart 400/1000 = 0.4, checkout 100/400 = 0.25, buy 50/100 = 0.5;
    # downstream (buyers / users at the step): cart 50/400, checkout 50/100, buy 50/50
    assert by_step["rate"].to_dict() == pytest.approx({"cart": 0.4, "checkout": 0.25, "buy": 0.5})
    assert by_step["downstream_conversion"].to_dict() == {"cart": 0.125, "checkout": 0.5, "buy": 1}
    # checkout: desktop's 35% (significant, not gated; tablet's 90% is gated, email's 50% is
    # not significant) -> 400 × (0.35 − 0.25) = 40 more at checkout × 0.5 = 20 buyers × 80
    assert by_step.loc["checkout", "scenario"] == "best_segment"
    assert by_step.loc["checkout", "scenario_detail"] == "device = desktop"
    assert by_step.loc["checkout", "extra_users"] == pytest.approx(40)
    assert by_step.loc["checkout", "value"] == pytest.approx(1600)
    # buy: no group did better, the previous period did (60%, p 0.01): 100 × 0.1 × 1 × 80
    assert by_step.loc["buy", "scenario"] == "previous_period"
    assert by_step.loc["buy", "value"] == pytest.approx(800)
    # cart: the previous period was not significantly better and no group was: nothing counted
    assert by_step.loc["cart", "scenario"] == "none" and by_step.loc["cart", "value"] == 0
    assert leaks["step"].tolist() == ["checkout", "buy", "cart"]
    assert leaks["rank"].tolist() == [1, 2, 3]
    # the ceiling (everyone lost goes on) is kept for reference: checkout 300 × 0.5 × 80
    assert by_step.loc["checkout", "max_value"] == pytest.approx(12000)
    assert not by_step["capped"].any()
    target_low, target_high = proportion_ci(70, 200)
    low, high = proportion_ci(50, 100)
    assert by_step.loc["checkout", "target_ci_low"] == pytest.approx(target_low)
    assert by_step.loc["checkout", "value_low"] == pytest.approx(
        400 * (target_low - 0.25) * low * 70
    )
    assert by_step.loc["checkout", "value_high"] == pytest.approx(
        400 * (target_high - 0.25) * high * 90
    )
    assert (leaks["value_low"] <= leaks["value"]).all()
    assert (leaks["value"] <= leaks["value_high"]).all()
    assert by_step.loc["checkout", "previous_step"] == "cart"


def test_value_is_capped_at_the_period_revenue_and_says_so():
    leaks = leak_opportunities(
        _table([1000, 400, 100, 50]), aov=80.0, aov_ci=(70.0, 90.0), segments=_segments(),
        revenue=1000.0,
    )  # fmt: skip
    top = leaks.iloc[0]
    # the scenario's 1,600 is more than the period's revenue (1,000): cut to it, and flagged
    assert top["step"] == "checkout" and top["capped"]
    assert top["value"] == 1000 and top["value_high"] == 1000 and top["cap"] == 1000
    assert top["value_low"] <= top["value"]
    assert "This is capped at €1,000" in leak_sentence(leaks, "en")


def test_without_any_scenario_no_money_is_put_on_a_step():
    leaks = leak_opportunities(_table([1000, 400, 100, 50]), aov=80.0, aov_ci=(70.0, 90.0))
    assert (leaks["scenario"] == "none").all() and (leaks["value"] == 0).all()
    # the ranking then falls back to the ceiling: checkout 300 × 0.5 = 150 buyers
    assert leaks["step"].tolist() == ["checkout", "cart", "buy"]
    assert "No group and no earlier period passed any step at a significantly" in leak_sentence(
        leaks, "en"
    )


def test_zero_users_downstream_gives_nan_not_an_error():
    leaks = leak_opportunities(_table([100, 0, 0]), aov=10.0)
    by_step = leaks.set_index("step")
    assert by_step.loc["cart", "lost_users"] == 100
    assert np.isnan(by_step.loc["cart", "downstream_conversion"])
    assert np.isnan(by_step.loc["cart", "value"])


def test_unknown_aov_keeps_the_ranking_and_says_why():
    leaks = leak_opportunities(
        _table([1000, 400, 100, 50]), aov=math.nan, note="no orders", segments=_segments()
    )
    assert leaks["step"].tolist()[0] == "checkout"
    assert leaks["value"].isna().all()
    text = leak_sentence(leaks, "en")
    assert "The money at stake is unknown (no orders)." in text and "worth" not in text
    assert "Сумму в деньгах оценить нельзя" in leak_sentence(leaks, "ru")


def test_sentences_in_english_and_russian():
    leaks = leak_opportunities(
        _table([1000, 400, 100, 50]), aov=80.0, aov_ci=(70.0, 90.0), segments=_segments()
    )
    text = leak_sentence(leaks, "en")
    assert text.startswith(
        "The biggest leak is at **cart → checkout**: 300 users stopped there; 25.0% went on "
        "(checkout / cart)."
    )
    assert "its best group this period, device = desktop (35.0%" in text
    assert "about 20 more users would reach **buy**, worth about **€1,600** of revenue" in text
    assert "they are alternatives, never add them up" in text
    ru = leak_sentence(leaks, "ru", last_step="buy")
    assert ru.startswith("Самая большая утечка — на шаге **cart → checkout**")
    assert "устройство = desktop" in ru and "**1\xa0600\xa0€**" in ru
    assert "не складывайте" in ru
    assert not any(word in ru for word in ("users", "scenario", "worth", "group"))
    assert leak_sentence(leak_opportunities(_table([5, 5]), aov=1.0), "en").startswith("No users")


EVENTS = """user_id,timestamp,event,revenue
u1,2026-10-01 10:00:00,purchase,50
u2,2026-10-02 10:00:00,purchase,20
u3,2026-09-02 10:00:00,purchase,999
u1,2026-10-01 09:00:00,view,
"""
ORDERS = """order_id,customer_id,timestamp,revenue
o1,u1,2026-10-01 10:01:00,50.00
o2,u2,2026-10-03 09:00:00,20.00
o3,u3,2026-09-03 09:00:00,999.00
"""


def test_aov_from_orders_with_t_interval(make_client):
    folder = make_client(
        {"events.csv": EVENTS, "orders.csv": ORDERS},
        data={"events": {"path": "data/events.csv"}, "orders": {"path": "data/orders.csv"}},
    )
    aov = average_order_value(load_client(folder, emit_warnings=False), period=PERIOD)
    # R: t.test(c(50, 20))$conf.int -> -155.5931 225.5931
    assert aov["source"] == "orders" and aov["orders"] == 2
    assert aov["aov"] == pytest.approx(35.0)
    assert aov["aov_ci_low"] == pytest.approx(-155.5931, abs=1e-3)
    assert aov["aov_ci_high"] == pytest.approx(225.5931, abs=1e-3)


def test_aov_falls_back_to_purchase_events_then_nan(make_client):
    folder = make_client({"events.csv": EVENTS}, data={"events": {"path": "data/events.csv"}})
    aov = average_order_value(load_client(folder, emit_warnings=False), period=PERIOD)
    assert aov["source"] == "events" and aov["aov"] == pytest.approx(35.0)
    bare = "user_id,timestamp,event\nu1,2026-10-01 10:00:00,purchase\n"
    folder = make_client(
        {"events.csv": bare}, name="bare", data={"events": {"path": "data/events.csv"}}
    )
    none = average_order_value(load_client(folder, emit_warnings=False), period=PERIOD)
    assert none["source"] is None and math.isnan(none["aov"]) and "unknown" in none["note"]
