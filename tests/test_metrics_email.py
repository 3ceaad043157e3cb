"""E-mail campaign metrics on hand-written tables, with the arithmetic and the R references.

R was not run here: each Wilson interval is the one R ``prop.test(x, n, correct = FALSE)``
prints, computed with statsmodels ``proportion_confint(x, n, method="wilson")`` (which
reproduces it, see STATS_CONVENTIONS.md); the trend test's reference is R's own help page.
"""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd
import pytest

from funnelkit.core.errors import ParameterError
from funnelkit.data.prepare import load_client
from funnelkit.metrics import catalogue, compare_periods, compute_metric, get_metric
from funnelkit.metrics.base import RESULT_COLUMNS, window
from funnelkit.metrics.email import (
    RATES,
    email_campaigns,
    email_open_rate,
    email_trend,
)

# One campaign before the period (September), three in it (period 2026-10-01 .. 10-31).
CAMPAIGNS_CSV = (
    "campaign,sent_at,recipients,delivered,opens,unique_opens,clicks,unique_clicks,"
    "unsubscribes,bounces\n"
    """Sept news,2026-09-10 09:00:00,100,96,50,40,20,12,2,4
Oct A,2026-10-02 09:00:00,200,190,120,76,40,19,3,10
Oct B,2026-10-15 09:00:00,300,285,150,95,50,38,2,15
Oct C,2026-10-25 09:00:00,100,100,40,25,12,5,0,0
"""
)
# October sums: recipients 200+300+100 = 600, delivered 190+285+100 = 575,
# unique opens 76+95+25 = 196, unique clicks 19+38+5 = 62, unsubscribes 3+2+0 = 5,
# bounces 10+15+0 = 25.

# Per recipient, no recipients/delivered columns: 1 recipient a row, delivered = 1 - bounces.
# X: r1..r5, r5 bounced; r1, r2, r3 opened; r1, r2 clicked; r3 unsubscribed.
# Y: r1..r3 delivered; r1 opened; nobody clicked.
RECIPIENTS_CSV = """campaign,sent_at,user_id,unique_opens,unique_clicks,unsubscribes,bounces
X,2026-10-05 10:00:00,r1,1,1,0,0
X,2026-10-05 10:00:00,r2,1,1,0,0
X,2026-10-05 10:00:00,r3,1,0,1,0
X,2026-10-05 10:00:00,r4,0,0,0,0
X,2026-10-05 10:00:00,r5,0,0,0,1
Y,2026-10-20 10:00:00,r1,1,0,0,0
Y,2026-10-20 10:00:00,r2,0,0,0,0
Y,2026-10-20 10:00:00,r3,0,0,0,0
"""
# The same campaigns as campaign rows (delivered left to the rule: recipients - bounces).
AGGREGATE_CSV = """campaign,sent_at,recipients,unique_opens,unique_clicks,unsubscribes,bounces
X,2026-10-05 10:00:00,5,3,2,1,1
Y,2026-10-20 10:00:00,3,1,0,0,0
"""

IDS = ["email_delivery_rate", "email_open_rate", "email_click_rate", "email_click_to_open_rate",
       "email_unsubscribe_rate", "email_bounce_rate"]  # fmt: skip


def _client(make_client, text: str, name: str = "client"):
    folder = make_client({"email.csv": text}, name=name, data={"email": {"path": "data/email.csv"}})
    return load_client(folder, emit_warnings=False)


@pytest.fixture
def campaigns(make_client):
    return _client(make_client, CAMPAIGNS_CSV)


def test_each_rate_is_its_sum_over_sum_with_wilson_like_r(campaigns):
    expected = {
        # metric: (x, n, R prop.test(x, n, correct = FALSE)$conf.int)
        "email_delivery_rate": (575, 600, (0.939215, 0.971620)),  # prop.test(575, 600, ...)
        "email_open_rate": (196, 575, (0.303297, 0.380554)),  # prop.test(196, 575, ...)
        "email_click_rate": (62, 575, (0.085028, 0.135829)),  # prop.test(62, 575, ...)
        "email_click_to_open_rate": (62, 196, (0.255285, 0.384430)),  # prop.test(62, 196, ...)
        "email_unsubscribe_rate": (5, 575, (0.003720, 0.020193)),  # prop.test(5, 575, ...)
        "email_bounce_rate": (25, 600, (0.028380, 0.060785)),  # prop.test(25, 600, ...)
    }
    for metric, (x, n, (low, high)) in expected.items():
        row = compute_metric(campaigns, metric).iloc[0]
        assert list(compute_metric(campaigns, metric).columns) == RESULT_COLUMNS
        assert (row["numerator"], row["denominator"]) == (x, n), metric
        assert row["value"] == pytest.approx(x / n)
        assert row["ci_low"] == pytest.approx(low, abs=1e-6)
        assert row["ci_high"] == pytest.approx(high, abs=1e-6)
        assert row["note"] == ""


def test_by_campaign_gives_one_row_per_campaign_in_the_window(campaigns):
    rows = compute_metric(campaigns, "email_open_rate", by="campaign")
    assert rows["campaign"].tolist() == ["Oct A", "Oct B", "Oct C"]
    # 76 / 190 = 0.4, 95 / 285 = 0.3333, 25 / 100 = 0.25
    assert rows["value"].tolist() == pytest.approx([0.4, 1 / 3, 0.25])
    # R: prop.test(76, 190, correct = FALSE)$conf.int -> 0.332988 0.470975
    assert rows.loc[0, ["ci_low", "ci_high"]].tolist() == pytest.approx([0.332988, 0.470975],
                                                                        abs=1e-6)  # fmt: skip


def test_per_recipient_rows_equal_the_aggregate_rows(make_client):
    per_recipient = _client(make_client, RECIPIENTS_CSV, "recipients")
    aggregate = _client(make_client, AGGREGATE_CSV, "aggregate")
    for metric in IDS:
        assert get_metric(metric).supported(per_recipient), metric
        a = compute_metric(per_recipient, metric, by="campaign")
        b = compute_metric(aggregate, metric, by="campaign")
        pd.testing.assert_frame_equal(a, b)
    # X: 5 recipients, delivered 5 - 1 = 4, opens 3, clicks 2, unsubscribes 1, bounces 1
    x = email_campaigns(per_recipient, window(per_recipient)).iloc[0]
    counts = ["recipients", "delivered", "unique_opens", "unique_clicks", "unsubscribes",
              "bounces"]  # fmt: skip
    assert x[counts].tolist() == [5, 4, 3, 2, 1, 1]
    # delivery 4/5: R prop.test(4, 5, correct = FALSE)$conf.int -> 0.375535 0.963776
    assert x["delivery_rate"] == 0.8
    assert [x["delivery_rate_low"], x["delivery_rate_high"]] == pytest.approx(
        [0.375535, 0.963776], abs=1e-6
    )
    # open 3/4 (0.300642, 0.954413), click 2/4 (0.150039, 0.849961), CTOR 2/3 (0.207660,
    # 0.938508), unsubscribe 1/4 (0.045587, 0.699358), bounce 1/5 (0.036224, 0.624465)
    assert [x["open_rate"], x["click_rate"], x["click_to_open_rate"], x["unsubscribe_rate"],
            x["bounce_rate"]] == pytest.approx([0.75, 0.5, 2 / 3, 0.25, 0.2])  # fmt: skip
    assert x["click_to_open_rate_low"] == pytest.approx(0.207660, abs=1e-6)
    # overall open rate: (3 + 1) / (4 + 3) = 4/7
    assert compute_metric(per_recipient, "email_open_rate")["value"].item() == pytest.approx(4 / 7)


def test_email_campaigns_columns_and_absent_counts_are_nan(make_client):
    text = "campaign,sent_at,recipients,unique_opens\nA,2026-10-02 09:00:00,10,4\n"
    client = _client(make_client, text)
    frame = email_campaigns(client, window(client))
    rates = [c for r in RATES for c in (r, f"{r}_low", f"{r}_high")]
    assert list(frame.columns) == ["campaign", "sent_at", "recipients", "delivered",
                                   "unique_opens", "unique_clicks", "unsubscribes", "bounces",
                                   *rates]  # fmt: skip
    row = frame.iloc[0]
    # no delivered, no bounces: delivered = recipients = 10; open rate 4 / 10
    assert row["delivered"] == 10 and row["open_rate"] == 0.4
    assert math.isnan(row["unique_clicks"]) and math.isnan(row["click_rate"])
    assert math.isnan(row["bounce_rate_low"])


def test_missing_columns_are_named(make_client):
    text = "campaign,sent_at,recipients,unique_opens\nA,2026-10-02 09:00:00,10,4\n"
    client = _client(make_client, text)
    # delivered can be recipients here, but a delivery rate needs delivered or bounces
    assert get_metric("email_delivery_rate").missing(client) == ["email.delivered"]
    assert get_metric("email_open_rate").missing(client) == []
    assert get_metric("email_click_rate").missing(client) == ["email.unique_clicks"]
    assert get_metric("email_bounce_rate").missing(client) == ["email.bounces"]
    assert get_metric("email_click_to_open_rate").missing(client) == ["email.unique_clicks"]
    # no recipients and no user_id: nothing to divide by
    bare = _client(make_client, "campaign,sent_at,unique_opens\nA,2026-10-02 09:00:00,4\n", "b")
    assert get_metric("email_open_rate").missing(bare) == ["email.delivered"]
    assert get_metric("email_bounce_rate").missing(bare) == ["email.bounces", "email.recipients"]
    table = catalogue(bare).set_index("metric")
    assert not table.loc["email_open_rate", "supported"]
    assert table.loc["email_open_rate", "missing"] == "email.delivered"


def test_catalogue_marks_supported_metrics(campaigns):
    table = catalogue(campaigns).set_index("metric")
    assert table.loc[IDS, "supported"].all()
    assert table.loc["social_reach", "missing"] == "social table"
    assert table.loc["email_open_rate", "name"] == "E-mail open rate (unique opens / delivered)"
    ru = catalogue(language="ru").set_index("metric")
    assert ru.loc["email_click_rate", "name"].endswith("(уникальные клики / доставленные)")


def test_zero_denominators_give_notes_not_errors(make_client):
    text = (
        "campaign,sent_at,recipients,delivered,unique_opens,unique_clicks\n"
        "A,2026-10-02 09:00:00,10,8,4,1\n"
        "Z,2026-10-03 09:00:00,0,0,0,0\n"
    )
    client = _client(make_client, text)
    rows = compute_metric(client, "email_click_to_open_rate", by="campaign")
    assert rows["note"].tolist() == ["", "no opened e-mails in the period"]
    assert math.isnan(rows.loc[1, "value"]) and math.isnan(rows.loc[1, "ci_low"])
    assert compute_metric(client, "email_open_rate")["value"].item() == 0.5  # 4 / (8 + 0)
    empty = compute_metric(client, "email_open_rate", period=(date(2026, 12, 1), date(2026, 12, 2)))
    # a window without campaigns: 0 / 0
    assert empty["note"].item() == "no delivered e-mails in the period"


def test_more_clicks_than_opens_is_left_out_of_click_to_open(make_client):
    text = (
        "campaign,sent_at,recipients,delivered,unique_opens,unique_clicks\n"
        "A,2026-10-02 09:00:00,10,10,4,2\n"
        "B,2026-10-03 09:00:00,10,10,1,3\n"
    )
    client = _client(make_client, text)
    row = compute_metric(client, "email_click_to_open_rate").iloc[0]
    # B (3 clicks > 1 open) is left out: 2 / 4
    assert (row["numerator"], row["denominator"]) == (2, 4)
    assert row["note"] == "campaigns with more unique clicks than unique opens left out"
    by = compute_metric(client, "email_click_to_open_rate", by="campaign")
    assert math.isnan(by.loc[1, "value"]) and "left out" in by.loc[1, "note"]
    # the click rate keeps B: (2 + 3) / 20
    assert compute_metric(client, "email_click_rate")["value"].item() == 0.25


def test_compare_periods_tests_each_rate_with_two_proportions(campaigns):
    table = compare_periods(campaigns, IDS).set_index("metric")
    assert table["test"].isin(["z_pooled", "fisher_exact"]).all()
    # open rate: before 40 / 96, now 196 / 575
    assert table.loc["email_open_rate", "previous_value"] == pytest.approx(40 / 96)
    assert table.loc["email_open_rate", "value"] == pytest.approx(196 / 575)
    assert table["p_value"].notna().all()


def test_email_trend_matches_prop_trend_test(campaigns):
    trend = email_trend(campaigns, window(campaigns))
    assert list(trend.columns) == ["rate", "campaigns", "first", "last", "slope_per_campaign",
                                   "statistic", "p_value", "direction", "note"]  # fmt: skip
    row = trend.iloc[0]
    # R: prop.trend.test(c(76, 95, 25), c(190, 285, 100))
    # by hand: p = 196/575 = 0.340870, s̄ = (190 + 570 + 300)/575 = 1.843478,
    # T = 76(-0.843478) + 95(0.156522) + 25(1.156522) = -20.32174,
    # Σn(s - s̄)² = 275.9130, X² = T² / (p(1-p) · 275.9130) = 6.6618, p = 0.00985
    assert row["statistic"] == pytest.approx(6.661774, abs=1e-5)
    assert row["p_value"] == pytest.approx(0.009850, abs=1e-5)
    assert (row["campaigns"], row["first"], row["last"]) == (3, 0.4, 0.25)
    # weighted slope = -20.32174 / 275.9130 = -0.073653 per campaign
    assert row["slope_per_campaign"] == pytest.approx(-20.32174 / 275.9130, rel=1e-5)
    assert row["direction"] == "down" and row["note"] == ""
    # click rate: R prop.trend.test(c(19, 38, 5), c(190, 285, 100)) -> X² = 0.6952, p = 0.4044
    clicks = email_trend(campaigns, window(campaigns), rate="click_rate").iloc[0]
    assert clicks["statistic"] == pytest.approx(0.695205, abs=1e-5)
    assert clicks["direction"] == "flat"


def test_email_trend_needs_three_campaigns_and_a_known_rate(make_client):
    client = _client(make_client, AGGREGATE_CSV)
    row = email_trend(client, window(client)).iloc[0]
    assert row["campaigns"] == 2 and np.isnan(row["statistic"]) and row["direction"] == "flat"
    assert row["note"] == "fewer than 3 campaigns with this rate: no trend test"
    with pytest.raises(ParameterError, match=r"`rate` must be one of \['delivery_rate'"):
        email_trend(client, window(client), rate="opens")


def test_email_metrics_refuse_other_groupings(campaigns):
    with pytest.raises(ParameterError, match="cannot be grouped by 'network'"):
        email_open_rate(campaigns, window(campaigns), by="network")


def test_email_trend_of_a_constant_rate_has_no_test(make_client):
    text = "campaign,sent_at,recipients,bounces\n" + "".join(
        f"C{i},2026-10-0{i} 09:00:00,10,0\n" for i in (1, 2, 3)
    )
    row = email_trend(_client(make_client, text), window(_client(make_client, text, "b")),
                      rate="bounce_rate").iloc[0]  # fmt: skip
    # 0/10 bounces in each campaign: R prop.trend.test(c(0, 0, 0), c(10, 10, 10)) gives NaN
    assert np.isnan(row["statistic"]) and row["campaigns"] == 3
    assert row["note"] == "the rate is 0 in every campaign, or 1 in every one: no trend test"
