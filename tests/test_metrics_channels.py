"""Channel economics and the two attribution rules, on the shop of test_metrics_sales.py.

Touches (events with a channel): a email 09-20, a ads 10-02 09:55; b ads; d (none at 09:00),
social 10-03 09:30, ads 10-05 09:00; k email 10-06 08:00, ads 10-06 09:00. c, e, f have no
touches (c and f fall back to orders.channel ads, e has none -> (unknown)).
"""

from __future__ import annotations

import numpy as np
import pytest
from test_metrics_sales import shop

from funnelkit.core.errors import ParameterError
from funnelkit.metrics.channels import attributed_orders, channel_economics


def credited(client, attribution):
    sql = attributed_orders(client, attribution=attribution)
    rows = client.sql(f"SELECT order_id, channel, customer_channel FROM ({sql}) AS a ORDER BY 1")
    return rows.set_index("order_id")


def test_attribution_rules_order_by_order(make_client):
    client, _ = shop(make_client)
    first = credited(client, "first_touch")
    # earliest touch per customer, all history; c, f: orders.channel; e: (unknown)
    assert first.channel.to_dict() == {
        "o1": "email", "o2": "social", "o3": "social", "o4": "(unknown)", "o5": "email",
        "o6": "ads", "p1": "email", "p2": "ads", "p3": "ads",
    }  # fmt: skip
    last = credited(client, "last_touch")
    # latest touch at or before each order: o1 ads 09:55, o2 social 09:30, o3 ads 10-05 09:00,
    # o5 ads 09:00; p1 only has the email touch of 09-20 before it
    assert last.channel.to_dict() == {
        "o1": "ads", "o2": "social", "o3": "ads", "o4": "(unknown)", "o5": "ads",
        "o6": "ads", "p1": "email", "p2": "ads", "p3": "ads",
    }  # fmt: skip
    # a new customer goes to the channel of the first order: d -> social (o2), not ads (o3)
    assert last.customer_channel["o3"] == "social" and last.customer_channel["o1"] == "email"


def test_channel_table_first_touch_by_hand(make_client):
    client, w = shop(make_client, customer_lifetime_years=1)
    table = channel_economics(client, w).set_index("channel")
    assert table.index.tolist() == ["ads", "social", "(unknown)", "email"]  # spend desc, name
    assert (table.attribution == "first_touch").all()
    assert table.spend.tolist() == [60, 40, 0, 0]
    assert table.new_customers.tolist() == [0, 1, 1, 1]  # social d, (unknown) e, email k
    assert table.customers.tolist() == [0, 1, 1, 2]  # email: a, k
    assert table.orders.tolist() == [0, 2, 1, 2]
    assert table.revenue.tolist() == [0, 80, 30, 50]
    social = table.loc["social"]
    assert social.cac == 40  # 40 / 1
    assert social.romi == pytest.approx(1.0)  # (80 - 40) / 40
    # 2 orders / 1 buyer × 365.25 / 10 = 73.05 a year × AOV 40 × 1 year = 2922
    assert social.clv == pytest.approx(2922)
    assert social.ltv_cac == pytest.approx(73.05)  # 2922 / 40
    ads = table.loc["ads"]
    assert np.isnan(ads.cac) and ads.romi == -1  # (0 - 60) / 60
    assert ads.note.startswith("no new customers; no orders in the period")
    email = table.loc["email"]
    assert np.isnan(email.cac) and np.isnan(email.romi) and np.isnan(email.ltv_cac)
    assert email.note.startswith("no spend recorded; on revenue: no gross_margin set")
    assert email.clv == pytest.approx(913.125)  # 2 / 2 × 36.525 × AOV 25


def test_channel_table_last_touch_differs(make_client):
    client, w = shop(make_client, customer_lifetime_years=1, gross_margin=0.5)
    table = channel_economics(client, w, attribution="last_touch").set_index("channel")
    assert table.index.tolist() == ["ads", "social", "(unknown)"]  # no order goes to email
    ads = table.loc["ads"]
    # ads: o1 10 + o3 60 + o5 40 = 110 from a, d, k; new customer k only
    assert (ads.orders, ads.customers, ads.new_customers, ads.revenue) == (3, 3, 1, 110)
    assert ads.cac == 60
    assert ads.romi == pytest.approx((110 * 0.5 - 60) / 60)
    # 3 / 3 × 36.525 × AOV 110 / 3 × 1 year × 0.5 margin = 669.625
    assert ads.clv == pytest.approx(669.625)
    assert "gross margin 50% applied" in ads.note
    social = table.loc["social"]
    assert (social.orders, social.revenue, social.romi) == (1, 20, pytest.approx(-0.75))


def test_default_window_and_bad_attribution(make_client):
    client, w = shop(make_client)
    assert channel_economics(client).equals(channel_economics(client, w))
    with pytest.raises(ParameterError, match=r"`attribution` must be one of.*'linear'"):
        channel_economics(client, attribution="linear")


def test_lifetime_estimated_note(make_client):
    client, w = shop(make_client)
    table = channel_economics(client, w)
    # retention 1/3 per 10-day period -> churn 2/3 -> lifetime 1 / (2/3) = 1.5 periods = 15
    # days, with no one-year floor (the old yearly-churn rule made it ~1 year: CLV 2922)
    assert table.note.str.contains(
        "lifetime = 1 / churn per 10-day period = 1 / 66.7% = 1.50"
    ).all()
    assert table.note.str.contains(r"\(retention 33.3% per period\)").all()
    social = table.set_index("channel").loc["social"]
    # social's buyer d spent 20 + 60 = 80 in the period (on revenue: no margin) × 1.5 periods
    assert social.clv == pytest.approx(120)
    assert social.margin_per_customer == pytest.approx(80)
    assert social.lifetime_months == pytest.approx(15 / (365.25 / 12))
    # payback = CAC / (CLV / lifetime months) = lifetime months / LTV:CAC
    assert social.payback_months == pytest.approx(social.lifetime_months / social.ltv_cac)
    assert social.ltv_cac == pytest.approx(120 / 40)


def test_touches_in_the_same_second_go_to_the_alphabetically_first_channel(make_client):
    # u1 has two touches at 10:00:00 ("zeta" listed first, then "alpha") before its order at
    # 11:00: both rules must credit "alpha", whatever the row order of the export.
    events = (
        "user_id,timestamp,event,channel\n"
        "u1,2026-10-02 10:00:00,page_view,zeta\n"
        "u1,2026-10-02 10:00:00,page_view,alpha\n"
    )
    orders = "order_id,customer_id,timestamp,revenue\no1,u1,2026-10-02 11:00:00,10\n"
    folder = make_client(
        {"events.csv": events, "orders.csv": orders},
        data={"events": {"path": "data/events.csv"}, "orders": {"path": "data/orders.csv"}},
    )
    from funnelkit import load_client

    client = load_client(folder, emit_warnings=False)
    for attribution in ("first_touch", "last_touch"):
        assert credited(client, attribution).channel.to_dict() == {"o1": "alpha"}
