"""Purchase and retention metrics on a hand-written shop, checked by hand, and on the demo.

The shop (period 2026-10-01 … 2026-10-10, so the window is [10-01, 10-11) and the previous
window [09-21, 10-01)):

- previous window orders: a 40 (email), b 30 (ads), c 20 (ads)
- window orders: o1 a 10 (email), o2 d 20 (ads), o3 d 60 (ads), o4 e 30 (no channel),
  o5 k 40 (ads); o6 f 50 on 10-12 is after the window
- visitors in the window: a, d, g, h, k (e orders without any event)
"""

from __future__ import annotations

import json
import math
from datetime import datetime

import numpy as np
import pytest

from funnelkit import load_client
from funnelkit.core.errors import ParameterError
from funnelkit.metrics import sales
from funnelkit.metrics.base import Window, window

EVENTS = """user_id,timestamp,event,channel,device
a,2026-09-20 09:00:00,page_view,email,desktop
a,2026-10-02 09:55:00,page_view,ads,mobile
b,2026-09-26 09:00:00,page_view,ads,desktop
d,2026-10-03 09:00:00,page_view,,mobile
d,2026-10-03 09:30:00,page_view,social,desktop
d,2026-10-05 09:00:00,page_view,ads,desktop
g,2026-10-04 10:00:00,page_view,ads,desktop
h,2026-10-07 10:00:00,page_view,email,mobile
k,2026-10-06 08:00:00,page_view,email,desktop
k,2026-10-06 09:00:00,page_view,ads,desktop
"""
ORDERS = """order_id,customer_id,timestamp,revenue,channel
p1,a,2026-09-25 10:00:00,40,email
p2,b,2026-09-26 10:00:00,30,ads
p3,c,2026-09-27 10:00:00,20,ads
o1,a,2026-10-02 10:00:00,10,email
o2,d,2026-10-03 10:00:00,20,ads
o3,d,2026-10-05 10:00:00,60,ads
o4,e,2026-10-06 12:00:00,30,
o5,k,2026-10-06 10:00:00,40,ads
o6,f,2026-10-12 10:00:00,50,ads
"""
SPEND = """date,channel,cost
2026-09-30,ads,999
2026-10-01,ads,30
2026-10-05,ads,30
2026-10-10,social,40
2026-10-11,social,500
"""
LEADS = """lead_id,created_at,channel
L1,2026-10-02 10:00:00,ads
L2,2026-10-04 10:00:00,ads
L3,2026-10-09 10:00:00,social
L4,2026-10-02 10:00:00,email
L5,2026-09-29 10:00:00,ads
"""
EMPTY = Window(datetime(2027, 1, 1), datetime(2027, 1, 11))  # no data in it or before it


def shop(make_client, *, orders: str = ORDERS, **metrics):
    """Load the hand-written shop with the given ``metrics:`` settings."""
    folder = make_client(
        {"events.csv": EVENTS, "orders.csv": orders, "spend.csv": SPEND, "leads.csv": LEADS},
        period={"start": "2026-10-01", "end": "2026-10-10"},
        data={
            name: {"path": f"data/{name}.csv"} for name in ("events", "orders", "spend", "leads")
        },
        metrics=metrics,
    )
    client = load_client(folder, emit_warnings=False)
    return client, window(client)


def test_orders_buyers_revenue_by_hand(make_client):
    client, w = shop(make_client)
    assert sales.compute_orders(client, w).value[0] == 5  # o1 … o5 (o6 is after the window)
    assert sales.compute_buyers(client, w).value[0] == 4  # a, d, e, k
    assert sales.compute_revenue(client, w).value[0] == 160  # 10 + 20 + 60 + 30 + 40
    by = sales.compute_orders(client, w, by="channel").set_index("channel")
    # orders.channel: ads o2 o3 o5, email o1, o4 empty -> (none)
    assert by.value.to_dict() == {"(none)": 1, "ads": 3, "email": 1}
    buyers = sales.compute_buyers(client, w, by="channel").set_index("channel")
    assert buyers.value.to_dict() == {"(none)": 1, "ads": 2, "email": 1}  # ads: d, k
    revenue = sales.compute_revenue(client, w, by="channel").set_index("channel")
    assert revenue.value.to_dict() == {"(none)": 30, "ads": 120, "email": 10}  # 20+60+40


def test_aov_t_interval_by_hand(make_client):
    client, w = shop(make_client)
    row = sales.compute_aov(client, w).iloc[0]
    # 5 orders, 160 / 5 = 32; deviations -22 -12 28 -2 8 -> SS 1480, sd = sqrt(1480 / 4) = 19.235
    # se = 19.235 / sqrt(5) = 8.602, t(0.975, 4) = 2.7764 -> 32 ± 23.883
    assert row.value == pytest.approx(32)
    assert (row.numerator, row.denominator) == (160, 5)
    assert row.sd == pytest.approx(19.2354, abs=1e-4)
    assert (row.ci_low, row.ci_high) == pytest.approx((8.117, 55.883), abs=1e-3)
    by = sales.compute_aov(client, w, by="channel").set_index("channel")
    # ads 20, 60, 40: mean 40, sd 20, se 11.547, t(0.975, 2) = 4.3027 -> 40 ± 49.683
    assert by.loc["ads", "value"] == pytest.approx(40)
    assert by.loc["ads", "ci_high"] == pytest.approx(89.683, abs=1e-3)
    assert by.loc["email", "value"] == 10 and np.isnan(by.loc["email", "ci_low"])  # n = 1


def test_conversion_rate_by_hand(make_client):
    client, w = shop(make_client)
    row = sales.compute_conversion_rate(client, w).iloc[0]
    # visitors a d g h k; a, d, k ordered in the window (e ordered but never visited)
    assert (row.numerator, row.denominator, row.value) == (3, 5, pytest.approx(0.6))
    # Wilson, R: binom::binom.confint(3, 5, methods = "wilson") -> 0.2307, 0.8824
    assert (row.ci_low, row.ci_high) == pytest.approx((0.2307, 0.8824), abs=1e-4)
    by = sales.compute_conversion_rate(client, w, by="channel").set_index("channel")
    # first in-window event with a channel: a ads, d social (09:00 has none), g ads, h email,
    # k email -> ads 1/2 (a), social 1/1 (d), email 1/2 (k)
    assert by.numerator.to_dict() == {"ads": 1, "email": 1, "social": 1}
    assert by.denominator.to_dict() == {"ads": 2, "email": 2, "social": 1}
    device = sales.compute_conversion_rate(client, w, by="device").set_index("device")
    # first in-window event: a mobile, d mobile, g desktop, h mobile, k desktop
    assert device.value.to_dict() == {"desktop": 0.5, "mobile": pytest.approx(2 / 3)}


def test_repeat_retention_churn_by_hand(make_client):
    client, w = shop(make_client)
    repeat = sales.compute_repeat_purchase_rate(client, w).iloc[0]
    # buyers a d e k; a has p1 + o1, d has o2 + o3 -> 2 / 4
    assert (repeat.numerator, repeat.denominator) == (2, 4)
    retention = sales.compute_retention_rate(client, w).iloc[0]
    # previous window customers a b c; only a ordered again -> 1 / 3
    assert (retention.numerator, retention.denominator) == (1, 3)
    churn = sales.compute_churn_rate(client, w).iloc[0]
    assert (churn.numerator, churn.denominator) == (2, 3)  # b, c
    assert retention.value + churn.value == pytest.approx(1)


def test_repeat_counts_history_before_the_window_only(make_client):
    client, _ = shop(make_client)
    early = Window(datetime(2026, 10, 1), datetime(2026, 10, 4))  # o1 a, o2 d
    repeat = sales.compute_repeat_purchase_rate(client, early).iloc[0]
    # a has p1 + o1 (2 orders); d's o3 on 10-05 is after this window's end -> 1 / 2
    assert (repeat.numerator, repeat.denominator) == (1, 2)


def test_empty_window_gives_zero_and_notes(make_client):
    client, _ = shop(make_client)
    orders = sales.compute_orders(client, EMPTY).iloc[0]
    assert orders.value == 0 and orders.note == "no orders in the period"
    assert sales.compute_revenue(client, EMPTY).value[0] == 0
    aov = sales.compute_aov(client, EMPTY).iloc[0]
    assert np.isnan(aov.value) and aov.note == "no orders in the period"
    conv = sales.compute_conversion_rate(client, EMPTY).iloc[0]
    assert np.isnan(conv.value) and conv.note == "no visitors in the period"
    repeat = sales.compute_repeat_purchase_rate(client, EMPTY).iloc[0]
    assert np.isnan(repeat.value) and repeat.note == "no buyers in the period"
    for compute in (sales.compute_retention_rate, sales.compute_churn_rate):
        row = compute(client, EMPTY).iloc[0]
        assert np.isnan(row.value) and row.note == "no customers in the period before"
    assert sales.compute_orders(client, EMPTY, by="channel").empty


def test_grouping_errors_name_the_allowed_groups(make_client):
    client, w = shop(make_client)
    with pytest.raises(ParameterError, match=r"cannot be grouped by 'device'.*\['channel'\]"):
        sales.compute_aov(client, w, by="device")
    with pytest.raises(ParameterError, match=r"needs the column `events.campaign`.*'device'"):
        sales.compute_conversion_rate(client, w, by="campaign")


def test_metric_records_are_complete():
    ids = [m.id for m in sales.METRICS]
    assert ids == [
        "orders", "buyers", "conversion_rate", "revenue", "aov",
        "repeat_purchase_rate", "retention_rate", "churn_rate",
    ]  # fmt: skip
    for metric in sales.METRICS:
        assert metric.name["en"] and metric.name["ru"] and metric.definition["ru"]
        assert "\n" not in metric.definition["en"] + metric.definition["ru"]
    assert {m.id: m.good for m in sales.METRICS}["churn_rate"] == "down"
    assert {m.id: m.name["ru"] for m in sales.METRICS}["aov"] == "Средний чек"


# -- the demo client ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo():
    client = load_client(emit_warnings=False)
    return client, window(client)


def test_demo_aov_by_channel_recovers_truth(demo):
    client, w = demo
    truth = json.loads((client.source("orders").parent / "truth.json").read_text())
    rows = sales.compute_aov(client, w, by="channel").set_index("channel")
    assert set(rows.index) == set(truth["aov"]["by_channel"])
    for channel, planted in truth["aov"]["by_channel"].items():
        row = rows.loc[channel]
        se = row.sd / math.sqrt(row.denominator)
        assert abs(row.value - planted["expected_mean"]) < 4 * se, channel


def test_demo_overall_metrics_finite_and_positive(demo):
    client, w = demo
    for metric in sales.METRICS:
        value = metric.compute(client, w).value[0]
        assert np.isfinite(value) and value > 0, metric.id
