"""Money figures that cannot contradict each other (issue 13): CLV, LTV:CAC, payback, leaks.

Each test would have caught one contradiction of the demo report before the fix: a CLV of a
whole year of purchases with 2.4% retention (lifetime floored at one year), an LTV:CAC and a
payback not built on the same CLV, one leak "worth" twice the period's revenue and leaks added
up to more than three times it, a gross-margin curve labelled revenue, and English left in a
Russian report.

The hand-made shop: a 30-day period (2026-10-01 … 10-30) and the 30 days before it.

- before: customers c0 … c9 order once each (10 customers);
- now: c0 orders again (the only one of the 10 to come back: retention 1/10), and the new
  customers n1 … n4 order once; every order is 60, so 5 orders, 5 buyers, revenue 300;
- spend 100 on 2026-10-05, gross margin 50%.
"""

from __future__ import annotations

import copy
import math
import re

import pandas as pd
import pytest

from funnelkit import load_client
from funnelkit.funnel.money import leak_sentence
from funnelkit.metrics import value
from funnelkit.metrics.base import window
from funnelkit.metrics.catalogue import get_metric
from funnelkit.metrics.channels import channel_economics, lifetime_assumption
from funnelkit.presentation.funnel.display import dropoff_report
from funnelkit.presentation.funnel.tables import leak_table
from funnelkit.presentation.metrics.chapter import pick_metrics

MONTH = 365.25 / 12

ORDERS = "order_id,customer_id,timestamp,revenue,channel\n" + "".join(
    [f"b{i},c{i},2026-09-{10 + i:02d} 10:00:00,50,ads\n" for i in range(10)]
    + ["o0,c0,2026-10-03 10:00:00,60,ads\n"]
    + [f"o{i},n{i},2026-10-{10 + i:02d} 10:00:00,60,ads\n" for i in range(1, 5)]
)
SPEND = "date,channel,cost\n2026-10-05,ads,100\n"


@pytest.fixture
def low_retention(make_client):
    folder = make_client(
        {"orders.csv": ORDERS, "spend.csv": SPEND},
        period={"start": "2026-10-01", "end": "2026-10-30"},
        data={"orders": {"path": "data/orders.csv"}, "spend": {"path": "data/spend.csv"}},
        metrics={"gross_margin": 0.5},
    )
    client = load_client(folder, emit_warnings=False)
    return client, window(client)


def test_clv_lifetime_follows_observed_retention_without_a_one_year_floor(low_retention):
    client, period = low_retention
    assert period.days == 30
    life = lifetime_assumption(client, period)
    # retention 1/10 (c0 came back) -> churn 0.9 per 30-day period -> expected lifetime
    # 1 / 0.9 = 1.111 periods = 33.3 days = 0.0913 years (the old yearly-churn rule,
    # 1 / (1 − 0.1 ** (365.25 / 30)), gave 1.0 year)
    assert life["retention"] == pytest.approx(0.1) and life["churn"] == pytest.approx(0.9)
    assert life["periods"] == pytest.approx(1 / 0.9)
    assert life["years"] == pytest.approx(30 / 0.9 / 365.25)
    assert life["years"] < 1
    row = value.compute_clv(client, period).iloc[0]
    # CLV = revenue per buyer 300 / 5 = 60 × margin 0.5 = 30 of gross margin per buyer in the
    # period × 1.111 periods = 33.33 (not 30 × 365.25 / 30 = 365 of a whole year)
    assert row.margin_per_customer == pytest.approx(30)
    assert row.value == pytest.approx(30 / 0.9)
    assert row.lifetime_months == pytest.approx(30 / 0.9 / MONTH)
    # the assumption is written next to the number, in words
    assert "lifetime = 1 / churn per 30-day period = 1 / 90.0% = 1.11 periods" in row.note


def test_ltv_cac_and_payback_are_built_on_the_same_clv_and_cac(low_retention):
    client, period = low_retention
    clv = value.compute_clv(client, period).value[0]
    cac = value.compute_cac(client, period).iloc[0]
    # CAC = spend 100 / new customers n1 … n4 (c0's first order was in September) = 25
    assert (cac.numerator, cac.denominator) == (100, 4)
    ratio = value.compute_ltv_cac(client, period).value[0]
    assert ratio == pytest.approx(clv / 25)  # 33.33 / 25 = 1.333
    payback = value.compute_payback_months(client, period).iloc[0]
    # monthly margin per buyer: 300 × 0.5 / 5 × 30.4375 / 30 = 30.44; 25 / 30.44 = 0.821 months
    assert payback.value == pytest.approx(25 / (30 * MONTH / 30))
    # the same margin spread over the same lifetime: payback = lifetime months / LTV:CAC
    lifetime_months = 30 / 0.9 / MONTH
    assert payback.value == pytest.approx(lifetime_months / ratio)
    assert payback.value < lifetime_months  # it pays back within the lifetime ...
    assert ratio > 1  # ... which is what an LTV:CAC above 1 says


def test_channel_table_uses_the_same_clv_lifetime_and_payback(low_retention):
    client, period = low_retention
    ads = channel_economics(client, period).set_index("channel").loc["ads"]
    assert ads.clv == pytest.approx(value.compute_clv(client, period).value[0])
    assert ads.ltv_cac == pytest.approx(ads.clv / ads.cac)
    assert ads.payback_months == pytest.approx(ads.lifetime_months / ads.ltv_cac)
    assert ads.payback_months == pytest.approx(
        value.compute_payback_months(client, period).value[0]
    )


def test_margin_and_revenue_are_labelled_as_such(low_retention):
    client, period = low_retention
    curve = value.compute_historical_clv(client, period)
    # the curve is drawn as "revenue per customer": it holds revenue, not revenue × 0.5
    assert curve.note[0] == "on revenue: the gross margin (50%) is not applied to this curve"
    assert get_metric("historical_clv").name["en"].startswith("Revenue per customer")
    assert "Gross margin per buyer" in get_metric("clv").definition["en"]
    assert "gross margin" in get_metric("payback_months").name["en"]
    chapter = pick_metrics(client)
    text = chapter.clv_text()
    assert "of gross margin per customer" in text
    assert (
        "gross margin per buyer in the period (€30.00 = revenue per buyer €60.00 × margin 50%)"
        in (text)
    )
    assert "**LTV:CAC = 1.3**" in text and "**payback** takes **0.8 months**" in text
    no_margin = copy.copy(client)
    metrics = client.config.metrics.model_copy(update={"gross_margin": None})
    no_margin.config = client.config.model_copy(update={"metrics": metrics})
    assert "of revenue per customer (no gross margin is set)" in pick_metrics(no_margin).clv_text()


@pytest.fixture(scope="module")
def demo_report():
    return dropoff_report(load_client(emit_warnings=False))


def test_each_demo_leak_is_a_stated_scenario_under_its_caps(demo_report):
    leaks, revenue = demo_report.leaks, demo_report.aov["revenue"]
    assert revenue == pytest.approx(107099.38, abs=0.01)
    assert set(leaks["scenario"]) <= {"best_segment", "previous_period", "none"}
    assert (leaks["scenario"] != "none").any()
    # never more than the step could add (every user lost there going on) nor the revenue
    assert (leaks["value"] <= leaks["max_value"] + 1e-6).all()
    assert (leaks["value_high"] <= leaks["cap"] + 1e-6).all()
    assert (leaks["value"] <= revenue).all()
    # the interval contains the point
    assert (leaks["value_low"] <= leaks["value"]).all()
    assert (leaks["value"] <= leaks["value_high"]).all()
    # the old "everyone lost goes on" figure (208,668, twice the revenue) is only the ceiling
    top = leaks.iloc[0]
    assert top["max_value"] > revenue and top["value"] < revenue / 2
    results = demo_report.to_results()
    assert results["leaks_are_alternatives"] is True
    assert results["period_revenue"] == pytest.approx(revenue)
    assert "never add them up" in results["leak_sentence"]


def _english_words(text: str) -> set[str]:
    """Latin words of a Russian text that are not event names, groups, codes or currencies."""
    allowed = {"view_item", "add_to_cart", "begin_checkout", "add_payment_info", "purchase",
               "email", "desktop", "mobile", "paid_search", "paid_social", "display",
               "affiliate", "organic_search", "CLV", "CAC", "LTV", "ROMI", "EUR", "p",
               "BG", "NBD", "Gamma"}  # fmt: skip
    return {w for w in re.findall(r"[A-Za-z_]+", text) if w not in allowed}


@pytest.mark.parametrize("language", ["en", "ru"])
def test_demo_money_sentences_in_both_languages(demo_report, language):
    text = leak_sentence(demo_report.leaks, language)
    table = leak_table(demo_report.leaks, language=language)
    client = load_client(emit_warnings=False)
    client.config = client.config.model_copy(update={"language": language})
    chapter = pick_metrics(client)
    clv_text = chapter.clv_text()
    if language == "en":
        assert "worth about" in text and "of revenue" in text and "never add them up" in text
        assert "best group this period" in table["Scenario"].iloc[0]
        assert "of gross margin per customer" in clv_text and "LTV:CAC = 3.4" in clv_text
    else:
        assert "не складывайте" in text and "выручки за период" in text
        assert "лучшая группа этого периода" in table["Сценарий"].iloc[0]
        assert "валовой маржи на клиента" in clv_text
        for sentence in (text, clv_text, " ".join(table.columns), chapter.settings_text()):
            assert not _english_words(sentence), sentence
    # the demo's CLV: 2.4% retention per 45-day period -> 1 / 0.976 = 1.02 periods = 1.5
    # months, so CLV is about one period's gross margin per buyer (32.48), not a year's
    clv = chapter.clv
    assert clv["lifetime_months"] == pytest.approx(45 / 0.97576 / MONTH, rel=1e-3)
    assert clv["clv"] == pytest.approx(33.28, abs=0.01)
    assert clv["ltv_cac"] == pytest.approx(clv["clv"] / clv["cac"])
    assert clv["payback_months"] == pytest.approx(clv["lifetime_months"] / clv["ltv_cac"])
    assert math.isfinite(clv["payback_months"])
    assert isinstance(chapter.to_results()["clv"], dict)
    assert not pd.isna(chapter.to_results()["clv_text"])


def test_a_spend_channel_no_visit_or_order_names_is_unknown_not_a_loss(make_client):
    """Google Ads spend named 'google_ads' beside GA4 events named 'google / cpc': the spend
    cannot be matched, so the kit must not report it as returning nothing (ROMI −100%)."""
    from funnelkit.metrics.channels import channel_economics

    events = "user_id,timestamp,event,channel\n" + "".join(
        f"u{i},2026-10-0{1 + i % 5} 10:00:00,page_view,google / cpc\n" for i in range(20)
    )
    orders = "order_id,customer_id,timestamp,revenue\n" + "".join(
        f"o{i},u{i},2026-10-0{1 + i % 5} 10:05:00,50\n" for i in range(0, 20, 4)
    )
    spend = "date,channel,cost\n2026-10-01,google_ads,300\n2026-10-02,google / cpc,100\n"
    folder = make_client(
        {"events.csv": events, "orders.csv": orders, "spend.csv": spend},
        data={"events": {"path": "data/events.csv"}, "orders": {"path": "data/orders.csv"},
              "spend": {"path": "data/spend.csv"}},
    )  # fmt: skip
    table = channel_economics(load_client(folder, emit_warnings=False)).set_index("channel")
    unknown = table.loc["google_ads"]
    assert unknown["spend"] == 300 and math.isnan(unknown["romi"]) and math.isnan(unknown["cac"])
    assert "no event, order or lead carries this channel name" in unknown["note"]
    from funnelkit.presentation.metrics.tables import row_note

    assert row_note(unknown["note"], "ru").startswith("ни одно событие, заказ или лид")
    matched = table.loc["google / cpc"]  # 5 orders × 50 against 100 of spend, on revenue
    assert matched["romi"] == pytest.approx((250 - 100) / 100)


def test_channels_give_one_name_to_the_spend_and_the_visits(make_client):
    """`channels:` maps GA4's 'google / cpc' and the ad report's 'google_ads' to one channel."""
    from funnelkit.core.errors import ConfigError
    from funnelkit.data.prepare import fingerprint
    from funnelkit.metrics.channels import channel_economics

    events = "user_id,timestamp,event,channel\n" + "".join(
        f"u{i},2026-10-0{1 + i % 5} 10:00:00,page_view,google / cpc\n" for i in range(20)
    )
    orders = "order_id,customer_id,timestamp,revenue\n" + "".join(
        f"o{i},u{i},2026-10-0{1 + i % 5} 10:05:00,50\n" for i in range(0, 20, 4)
    )
    spend = "date,channel,cost\n2026-10-01,google_ads,300\n2026-10-02,google / cpc,100\n"
    data = {"events": {"path": "data/events.csv"}, "orders": {"path": "data/orders.csv"},
            "spend": {"path": "data/spend.csv"}}  # fmt: skip
    files = {"events.csv": events, "orders.csv": orders, "spend.csv": spend}
    folder = make_client(files, data=data,
                         channels={"paid_search": ["google / cpc", "google_ads"]})  # fmt: skip
    client = load_client(folder, emit_warnings=False)
    row = channel_economics(client).set_index("channel").loc["paid_search"]
    # 5 new customers from 20 visitors, 400 of spend, 250 of revenue (no margin: on revenue)
    assert (row["spend"], row["new_customers"]) == (400, 5)
    assert row["cac"] == pytest.approx(80) and row["romi"] == pytest.approx((250 - 400) / 400)
    renamed = client.issues()
    assert set(renamed.loc[renamed["check"] == "channels_renamed", "rows"]) == {20, 2}
    # the cache key follows the mapping, so a changed mapping never reuses old prepared data
    before = fingerprint(load_config_of(folder))[0]
    config = folder / "client.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("paid_search", "search"), "utf-8")
    assert fingerprint(load_config_of(folder))[0] != before
    bad = make_client(files, name="bad", data=data,
                      channels={"a": ["google_ads"], "b": ["google_ads"]})  # fmt: skip
    with pytest.raises(ConfigError, match="'google_ads' is listed under both 'a' and 'b'"):
        load_client(bad, emit_warnings=False)


def load_config_of(folder):
    from funnelkit.data.config import load_config

    return load_config(folder)
