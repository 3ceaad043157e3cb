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


def test_value_is_lost_times_downstream_conversion_times_aov():
    leaks = leak_opportunities(_table([1000, 400, 100, 50]), aov=80.0, aov_ci=(70.0, 90.0))
    by_step = leaks.set_index("step")
    # cart: 600 lost x 50/400 x 80 = 6,000; checkout: 300 x 50/100 x 80 = 12,000;
    # buy: 50 x 50/50 x 80 = 4,000
    assert by_step["lost_users"].to_dict() == {"cart": 600, "checkout": 300, "buy": 50}
    assert by_step["downstream_conversion"].to_dict() == {"cart": 0.125, "checkout": 0.5, "buy": 1}
    assert by_step["value"].to_dict() == pytest.approx(
        {"cart": 6000, "checkout": 12000, "buy": 4000}
    )
    assert leaks["step"].tolist() == ["checkout", "cart", "buy"]
    assert leaks["rank"].tolist() == [1, 2, 3]
    low, high = proportion_ci(50, 100)
    assert by_step.loc["checkout", "value_low"] == pytest.approx(300 * low * 70)
    assert by_step.loc["checkout", "value_high"] == pytest.approx(300 * high * 90)
    assert by_step.loc["checkout", "previous_step"] == "cart"


def test_zero_users_downstream_gives_nan_not_an_error():
    leaks = leak_opportunities(_table([100, 0, 0]), aov=10.0)
    by_step = leaks.set_index("step")
    assert by_step.loc["cart", "lost_users"] == 100
    assert np.isnan(by_step.loc["cart", "downstream_conversion"])
    assert np.isnan(by_step.loc["cart", "value"])


def test_unknown_aov_keeps_the_ranking_and_says_why():
    leaks = leak_opportunities(_table([1000, 400, 100, 50]), aov=math.nan, note="no orders")
    assert leaks["step"].tolist() == ["checkout", "cart", "buy"]
    assert leaks["value"].isna().all()
    text = leak_sentence(leaks)
    assert "The money at stake is unknown (no orders)." in text and "worth" not in text
    assert "Сумму в деньгах оценить нельзя" in leak_sentence(leaks, "ru")


def test_sentences_in_english_and_russian():
    leaks = leak_opportunities(_table([1000, 400, 100, 50]), aov=80.0, aov_ci=(70.0, 90.0))
    text = leak_sentence(leaks)
    assert text.startswith("The biggest leak is between **cart** and **checkout**: 300 users")
    assert "about 150 more would have reached **buy**, worth about **€12,000.00**" in text
    ru = leak_sentence(leaks, "ru", last_step="buy")
    assert ru.startswith("Самая большая утечка — между **cart** и **checkout**")
    assert "12\u202f000,00 €" in ru
    assert leak_sentence(leak_opportunities(_table([5, 5]), aov=1.0)).startswith("No users")


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
