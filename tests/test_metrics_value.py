"""Unit economics on the hand-written shop of test_metrics_sales.py, checked by hand.

In the window [2026-10-01, 2026-10-11): spend ads 30 + 30 = 60, social 40 (total 100); orders
o1 a 10, o2 d 20, o3 d 60, o4 e 30, o5 k 40 (5 orders, 160, buyers a d e k); new customers
(first-ever order in the window) d, e, k; leads L1-L4. First touch credits a -> email,
d -> social, e -> (unknown), k -> email; last touch credits o1 ads, o2 social, o3 ads, o4
(unknown), o5 ads.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pytest
from test_metrics_sales import EMPTY, shop

from funnelkit import load_client
from funnelkit.core.errors import ParameterError
from funnelkit.metrics import value
from funnelkit.metrics.base import Window, window


def test_cac_cpa_cpl_by_hand(make_client):
    client, w = shop(make_client)
    cac = value.compute_cac(client, w).iloc[0]
    assert (cac.numerator, cac.denominator) == (100, 3)  # spend 100, new d e k
    assert cac.value == pytest.approx(33.3333, abs=1e-4)
    assert value.compute_cpa(client, w).value[0] == 20  # 100 / 5 orders
    assert value.compute_cpl(client, w).value[0] == 25  # 100 / 4 leads (L5 is before)
    cpl = value.compute_cpl(client, w, by="channel").set_index("channel")
    assert cpl.value["ads"] == 30 and cpl.value["social"] == 40  # 60 / 2, 40 / 1
    assert np.isnan(cpl.value["email"]) and cpl.note["email"] == "no spend recorded"


def test_cac_by_channel_follows_attribution(make_client):
    client, w = shop(make_client)
    first = value.compute_cac(client, w, by="channel").set_index("channel")
    # first touch: d -> social, k -> email, e -> (unknown); ads has spend 60 and no new customer
    assert first.value["social"] == 40  # 40 / 1
    assert np.isnan(first.value["ads"]) and first.note["ads"] == "no new customers in the period"
    assert first.note["email"] == "no spend recorded" and first.denominator["email"] == 1
    client, w = shop(make_client, attribution="last_touch")
    last = value.compute_cac(client, w, by="channel").set_index("channel")
    # last touch: k's first order o5 follows the ads touch at 09:00 -> ads 60 / 1
    assert last.value["ads"] == 60 and last.value["social"] == 40
    assert "email" not in last.index


def test_romi_first_vs_last_touch_and_margin(make_client):
    client, w = shop(make_client)
    row = value.compute_romi(client, w).iloc[0]
    # first touch: paid channels ads (0 revenue) and social (o2 + o3 = 80): (80 - 100) / 100
    assert row.value == pytest.approx(-0.2)
    assert (row.numerator, row.denominator) == (-20, 100)
    assert row.note == "on revenue: no gross_margin set; first-touch attribution"
    client, w = shop(make_client, attribution="last_touch")
    # last touch: ads o1 + o3 + o5 = 110, social o2 = 20: (130 - 100) / 100
    assert value.compute_romi(client, w).value[0] == pytest.approx(0.3)
    client, w = shop(make_client, gross_margin=0.5)
    row = value.compute_romi(client, w).iloc[0]
    assert row.value == pytest.approx(-0.6)  # (80 × 0.5 - 100) / 100
    assert row.note.startswith("gross margin 50% applied")


def test_clv_with_lifetime_set_and_margin(make_client):
    client, w = shop(make_client, customer_lifetime_years=3, gross_margin=0.4)
    row = value.compute_clv(client, w).iloc[0]
    # 5 orders / 4 buyers × 365.25 / 10 days = 45.65625 a year; AOV 160 / 5 = 32
    # 45.65625 × 32 × 3 years × 0.4 = 1753.2
    assert row.purchases_per_year == pytest.approx(45.65625)
    assert row.average_order_value == pytest.approx(32)
    assert row.lifetime_years == 3
    assert row.value == pytest.approx(1753.2)
    assert row.denominator == 4
    assert row.note == "gross margin 40% applied; lifetime 3 years from customer_lifetime_years"


ONE_YEAR = Window(datetime(2026, 1, 1), datetime(2026, 1, 1) + timedelta(days=365.25))
YEAR_ORDERS = """order_id,customer_id,timestamp,revenue,channel
p1,x,2025-06-01 10:00:00,10,ads
p2,y,2025-07-01 10:00:00,10,ads
o1,x,2026-03-01 10:00:00,100,ads
o2,x,2026-06-01 10:00:00,50,ads
o3,z,2026-07-01 10:00:00,30,ads
"""


def test_clv_with_lifetime_estimated_from_retention(make_client):
    client, _ = shop(make_client, orders=YEAR_ORDERS)
    row = value.compute_clv(client, ONE_YEAR).iloc[0]
    # a 365.25-day window: x and y ordered in the year before, x again -> retention 1/2,
    # churn per period 1 - 0.5 = 0.5 -> lifetime 1 / 0.5 = 2 periods of 365.25 days = 2 years
    # 3 orders / 2 buyers (x, z) × 1 = 1.5 a year; AOV 180 / 3 = 60 -> 1.5 × 60 × 2 = 180
    assert row.lifetime_years == pytest.approx(2)
    assert row.value == pytest.approx(180)
    assert "lifetime = 1 / churn per 365.25-day period = 1 / 50.0% = 2.00 periods" in row.note
    assert "(retention 50.0% per period)" in row.note
    assert row.lifetime_months == pytest.approx(24) and row.churn == pytest.approx(0.5)
    assert "on revenue: no gross_margin set" in row.note


def test_clv_lifetime_not_estimable(make_client):
    client, _ = shop(make_client)
    row = value.compute_clv(client, EMPTY).iloc[0]
    assert np.isnan(row.value)
    assert "no buyers in the period" in row.note
    assert "lifetime not estimated: no customers in the period before" in row.note
    everyone_back = YEAR_ORDERS.replace("p2,y", "p2,z")  # x and z both return: retention 100%
    client, _ = shop(make_client, orders=everyone_back)
    row = value.compute_clv(client, ONE_YEAR).iloc[0]
    assert np.isnan(row.value) and "no customer churned" in row.note


HISTORY = """order_id,customer_id,timestamp,revenue,channel
a1,u1,2026-08-01 00:00:00,100,ads
a2,u1,2026-08-20 00:00:00,50,ads
a3,u1,2026-09-05 00:00:00,30,ads
a4,u1,2026-10-20 00:00:00,999,ads
b1,u2,2026-09-01 00:00:00,40,ads
b2,u2,2026-10-05 00:00:00,20,ads
c1,u3,2026-10-02 00:00:00,70,ads
d1,u4,2026-10-15 00:00:00,80,ads
"""


def test_historical_clv_censors_customers_not_observed_long_enough(make_client):
    client, w = shop(make_client, orders=HISTORY)
    curve = value.compute_historical_clv(client, w)
    # window end 10-11; a month is 30.4375 days. u1: 71 days = 2.33 months -> months 0, 1;
    # u2: 40 days = 1.31 -> month 0 only; u3: 9 days -> none; u4 starts after the end.
    # month 0 (< first + 30.4 days): u1 100 + 50, u2 40 -> 190 / 2 = 95
    # month 1: u1 100 + 50 + 30 (09-05 is 35 days in) -> 180 / 1; u2's 20 (34 days in) is not
    # counted because u2 was not observed for 2 months (else (180 + 60) / 2 = 120)
    assert curve.months_since_first.tolist() == [0, 1]
    assert curve.value.tolist() == [95, 180]
    assert curve.denominator.tolist() == [2, 1]
    assert curve.note[0] == "on revenue (before the gross margin)"
    client, w = shop(make_client, orders=HISTORY, gross_margin=0.5)
    curve = value.compute_historical_clv(client, w)
    # revenue, not gross margin: the curve's label says revenue, so the margin is not applied
    assert curve.value.tolist() == [95, 180]
    assert curve.note[0] == "on revenue: the gross margin (50%) is not applied to this curve"
    empty = value.compute_historical_clv(client, Window(datetime(2026, 1, 1), datetime(2026, 2, 1)))
    assert np.isnan(empty.value[0]) and "no customer observed" in empty.note[0]


def test_ltv_cac_and_payback_by_hand(make_client):
    client, w = shop(make_client, customer_lifetime_years=3, gross_margin=0.4)
    ratio = value.compute_ltv_cac(client, w).iloc[0]
    # CLV 1753.2 (above) / CAC 100 / 3 = 33.333 -> 52.596
    assert ratio.value == pytest.approx(52.596)
    client, w = shop(make_client, gross_margin=0.5)
    payback = value.compute_payback_months(client, w).iloc[0]
    # monthly gross profit per customer: 160 × 0.5 / 4 buyers × 30.4375 / 10 days = 60.875
    # payback = 33.333 / 60.875 = 0.54757 months
    assert payback.denominator == pytest.approx(60.875)
    assert payback.value == pytest.approx(0.54757, abs=1e-5)
    # retention 1/3 per 10-day period -> lifetime 1 / (2/3) = 1.5 periods = 15 days = 0.49
    # months: the payback (0.55) is longer, so the average customer never pays back, as the
    # LTV:CAC below 1 says too (payback = lifetime months / LTV:CAC)
    assert payback.note == (
        "longer than the expected customer lifetime (0.5 months); gross margin 50% applied"
    )
    ratio = value.compute_ltv_cac(client, w).iloc[0]
    assert ratio.value < 1
    assert payback.value * ratio.value == pytest.approx(15 / (365.25 / 12))
    by = value.compute_ltv_cac(client, w, by="channel").set_index("channel")
    assert np.isnan(by.value["email"]) and by.note["email"] == "no CAC: no spend recorded"


def test_empty_window_and_zero_denominators(make_client):
    client, _ = shop(make_client)
    for compute in (value.compute_cac, value.compute_cpa, value.compute_cpl):
        row = compute(client, EMPTY).iloc[0]
        assert np.isnan(row.value) and row.note == "no spend recorded"
    romi = value.compute_romi(client, EMPTY).iloc[0]
    assert np.isnan(romi.value) and "no advertising spend in the period" in romi.note
    ratio = value.compute_ltv_cac(client, EMPTY).iloc[0]
    assert np.isnan(ratio.value) and ratio.note.startswith("no CLV: ")
    assert "no CAC: no spend recorded" in ratio.note
    payback = value.compute_payback_months(client, EMPTY).iloc[0]
    assert np.isnan(payback.value) and payback.note.startswith("no CAC")
    late = Window(datetime(2026, 10, 10), datetime(2026, 10, 11))  # social spends 40, no orders
    cpa = value.compute_cpa(client, late).iloc[0]
    assert np.isnan(cpa.value) and cpa.note == "no orders in the period"


def test_unknown_group_is_refused(make_client):
    client, w = shop(make_client)
    with pytest.raises(ParameterError, match=r"'historical_clv' cannot be grouped by 'channel'"):
        value.compute_historical_clv(client, w, by="channel")


def test_metric_records_are_complete():
    assert [m.id for m in value.METRICS] == [
        "cac", "cpa", "cpl", "romi", "clv", "historical_clv", "ltv_cac", "payback_months",
    ]  # fmt: skip
    for metric in value.METRICS:
        assert metric.name["ru"] and metric.definition["ru"] and metric.formula
    names = {m.id: m.name["ru"] for m in value.METRICS}
    assert names["cac"].startswith("Стоимость привлечения клиента")


@pytest.fixture(scope="module")
def demo():
    client = load_client(emit_warnings=False)
    return client, window(client)


def test_demo_overall_values_finite_and_positive(demo):
    client, w = demo
    for metric in value.METRICS:
        rows = metric.compute(client, w)
        values = rows.value.to_numpy()
        assert np.isfinite(values).all(), metric.id
        if metric.id != "romi":  # ROMI may be negative; it is finite
            assert (values > 0).all(), metric.id
