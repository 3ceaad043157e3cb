"""Traffic, lead and NPS metrics against values worked out by hand on tiny logs.

Windows: the period is 2026-10-01..2026-10-10 (both inclusive, i.e. [10-01, 10-11)); the
previous window is [09-21, 10-01). Wilson intervals are checked against R
``prop.test(x, n, correct = FALSE)$conf.int`` (the Wilson score interval without continuity
correction), t intervals against R ``t.test(x)$conf.int``.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from funnelkit import load_client
from funnelkit.core.errors import DataError, ParameterError
from funnelkit.metrics import advocacy, leads, traffic
from funnelkit.metrics.base import Window, window

EVENTS = """user_id,timestamp,event,session_id,page,channel,device
u1,2026-10-01 10:00:00,session_start,s1,,email,mobile
u1,2026-10-01 10:00:01,page_view,s1,/home,email,mobile
u2,2026-10-02 09:00:00,session_start,s2,,paid,desktop
u2,2026-10-02 09:00:01,page_view,s2,/shoes,paid,desktop
u2,2026-10-02 09:00:30,page_view,s2,/shoes/1,paid,desktop
u2,2026-10-05 12:00:00,page_view,s3,/home,,desktop
u2,2026-10-05 12:00:10,generate_lead,s3,/home,,desktop
u3,2026-09-25 08:00:00,page_view,s4,/home,email,mobile
u3,2026-10-03 08:00:00,page_view,s5,/sale,email,mobile
u3,2026-10-03 08:00:05,scroll,s5,/sale,email,mobile
u4,2026-10-10 23:59:59,page_view,s6,/home,paid,tablet
u5,2026-10-11 00:00:00,page_view,s7,/home,paid,tablet
u6,2026-09-30 23:59:00,session_start,s8,,email,mobile
u6,2026-10-01 00:01:00,page_view,s8,/home,email,mobile
"""
# Sessions by start: current s1 s2 s3 s5 s6 (s8 started 09-30, s7 on 10-11 is outside);
# previous s4 s8.

LEADS = """lead_id,created_at,channel,mql_at,sql_at,won_at,value
L1,2026-10-01 09:00:00,email,2026-10-01 12:00:00,2026-10-03 09:00:00,2026-10-11 09:00:00,1000
L2,2026-10-02 09:00:00,email,2026-10-02 10:00:00,2026-10-04 09:00:00,,
L3,2026-10-03 09:00:00,paid,2026-10-04 09:00:00,,,
L4,2026-10-04 09:00:00,paid,,,,
L5,2026-09-25 09:00:00,paid,2026-09-26 09:00:00,2026-09-27 09:00:00,2026-10-02 09:00:00,500
L6,2026-10-05 09:00:00,email,2026-10-05 10:00:00,2026-10-06 09:00:00,2026-10-09 09:00:00,700
"""

NPS = """respondent_id,timestamp,score,segment
r1,2026-10-01 10:00:00,10,new
r2,2026-10-02 10:00:00,9,new
r3,2026-10-03 10:00:00,8,returning
r4,2026-10-04 10:00:00,6,returning
r5,2026-10-05 10:00:00,0,new
r1,2026-10-06 10:00:00,9,new
r6,2026-09-25 10:00:00,3,new
"""


def wilson(x: float, n: float, z: float = 1.959963984540054) -> tuple[float, float]:
    """The Wilson score interval written out (independent of funnelkit's implementation)."""
    p = x / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    folder = tmp_path_factory.mktemp("metrics_client")
    (folder / "data").mkdir()
    for name, text in {"events.csv": EVENTS, "leads.csv": LEADS, "nps.csv": NPS}.items():
        (folder / "data" / name).write_text(text, encoding="utf-8")
    (folder / "client.yaml").write_text(
        "client: Tiny\ntimezone: UTC\nperiod: {start: 2026-10-01, end: 2026-10-10}\n"
        "data:\n  events: {path: data/events.csv}\n  leads: {path: data/leads.csv, "
        "columns: {value: value}}\n  nps: {path: data/nps.csv}\n",
        encoding="utf-8",
    )
    return load_client(folder, emit_warnings=False)


@pytest.fixture(scope="module")
def now(client):
    return window(client, "current")


@pytest.fixture(scope="module")
def before(client):
    return window(client, "previous")


def one(frame: pd.DataFrame) -> pd.Series:
    assert len(frame) == 1
    return frame.iloc[0]


def by(frame: pd.DataFrame, column: str) -> dict:
    return {k: (r["numerator"], r["denominator"]) for k, r in frame.set_index(column).iterrows()}


def test_window_is_the_period_and_the_one_before(now, before):
    assert (now.start, now.end) == (pd.Timestamp("2026-10-01"), pd.Timestamp("2026-10-11"))
    assert (before.start, before.end) == (pd.Timestamp("2026-09-21"), pd.Timestamp("2026-10-01"))


def test_visitors_and_new_visitors(client, now, before):
    # current: u1 u2 u3 u4 u6 have an event in [10-01, 10-11); u5's is at 10-11 00:00 (outside)
    assert one(traffic.visitors(client, now))["value"] == 5
    # new: first event ever in the window: u1, u2, u4 (u3 first seen 09-25, u6 on 09-30)
    assert one(traffic.new_visitors(client, now))["value"] == 3
    # previous window: u3 (09-25) and u6 (09-30)
    assert one(traffic.visitors(client, before))["value"] == 2


def test_visitors_by_channel_uses_first_event_with_a_channel(client, now):
    # u1 email; u2 paid (10-02); u3 email (10-03); u4 paid; u6 email (its 10-01 page view)
    table = traffic.visitors(client, now, by="channel").set_index("channel")["value"]
    assert table.to_dict() == {"email": 3.0, "paid": 2.0}


def test_sessions_count_by_their_start(client, now, before):
    assert one(traffic.sessions(client, now))["value"] == 5  # s1 s2 s3 s5 s6
    assert one(traffic.sessions(client, before))["value"] == 2  # s4 s8 (s8 runs into 10-01)


def test_bounce_rate_with_wilson_interval(client, now):
    # bounces: s1 (one page view + session_start) and s6 (one page view); s2 has 2 page views,
    # s3 a generate_lead, s5 a scroll -> 2 / 5 = 0.4
    row = one(traffic.bounce_rate(client, now))
    assert (row["numerator"], row["denominator"], row["value"]) == (2, 5, 0.4)
    # Wilson by hand (= R prop.test(2, 5, correct = FALSE)$conf.int): centre (0.4 + 1.92/5) /
    # (1 + 3.84/5) = 0.44345, half-width 0.32583 -> 0.1176208 0.7692757
    assert row["ci_low"] == pytest.approx(0.1176208, abs=1e-6)
    assert row["ci_high"] == pytest.approx(0.7692757, abs=1e-6)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx(wilson(2, 5))


def test_bounce_rate_per_landing_page_and_channel(client, now):
    # landing pages: s1 /home (bounce), s3 /home, s6 /home (bounce), s2 /shoes, s5 /sale
    pages = by(traffic.bounce_rate(client, now, by="landing_page"), "landing_page")
    assert pages == {"/home": (2, 3), "/sale": (0, 1), "/shoes": (0, 1)}
    # session channel = first non-empty: s1 email, s5 email, s2 paid, s6 paid, s3 none
    channels = by(traffic.bounce_rate(client, now, by="channel"), "channel")
    assert channels == {"(none)": (0, 1), "email": (1, 2), "paid": (1, 2)}


def test_engagement_rate(client, now, before):
    # engaged: s2 (2 page views), s3 (generate_lead is a conversion event) -> 2 / 5
    row = one(traffic.engagement_rate(client, now))
    assert (row["numerator"], row["denominator"]) == (2, 5)
    # previous: s4 and s8 each have one page view and no conversion -> 0 / 2
    assert one(traffic.engagement_rate(client, before))["value"] == 0


def test_lead_metrics_from_events(client, now):
    # only u2 sent generate_lead -> 1 conversion; 1 of 5 visitors
    assert one(leads.marketing_conversions(client, now))["value"] == 1
    row = one(leads.visitor_to_lead(client, now))
    assert (row["numerator"], row["denominator"], row["value"]) == (1, 5, 0.2)


def test_crm_cohort_rates(client, now):
    # created in the window: L1 L2 L3 L4 L6 -> 5 leads; MQL: L1 L2 L3 L6 (4);
    # SQL among MQL: L1 L2 L6 (3); won among SQL: L1 L6 (2)
    assert one(leads.leads(client, now))["value"] == 5
    assert tuple(one(leads.mql_rate(client, now))[["numerator", "denominator"]]) == (4, 5)
    assert tuple(one(leads.mql_to_sql(client, now))[["numerator", "denominator"]]) == (3, 4)
    row = one(leads.win_rate(client, now))
    assert (row["numerator"], row["denominator"]) == (2, 3)
    assert "recent leads may still progress" in row["note"]


def test_crm_rates_by_channel_with_a_zero_denominator(client, now):
    # paid: L3 (MQL, no SQL), L4 (nothing): SQL count 0 -> win rate undefined, with a reason
    table = leads.win_rate(client, now, by="channel").set_index("channel")
    assert math.isnan(table.loc["paid", "value"])
    assert table.loc["paid", "note"] == "no leads reached SQL"
    assert (table.loc["email", "numerator"], table.loc["email", "denominator"]) == (2, 3)


def test_lead_to_deal_days_mean_and_t_interval(client, now, before):
    # won leads created in the window: L1 10 days, L6 4 days -> mean 7
    row = one(leads.lead_to_deal_days(client, now))
    assert row["value"] == pytest.approx(7)
    # R: t.test(c(10, 4))$conf.int -> -31.11861 45.11861
    assert row["ci_low"] == pytest.approx(-31.11861, abs=1e-4)
    assert row["ci_high"] == pytest.approx(45.11861, abs=1e-4)
    assert row["median_days"] == pytest.approx(7)
    # previous: L5, 09-25 09:00 -> 10-02 09:00 = 7 days, n = 1: no interval
    prev = one(leads.lead_to_deal_days(client, before))
    assert prev["value"] == pytest.approx(7) and math.isnan(prev["ci_low"])


def test_nps_with_standard_variance(client, now):
    # 6 answers: promoters r1(10) r2(9) r1(9) = 3, passive r3 = 1, detractors r4 r5 = 2
    row = one(advocacy.nps(client, now))
    assert (row["promoters"], row["passives"], row["detractors"]) == (3, 1, 2)
    assert row["value"] == pytest.approx(100 / 6)  # 100 (3 - 2) / 6
    # se = 100 sqrt((1/2 + 1/3 - (1/6)^2) / 6) = 36.6414; CI = 16.667 -+ 1.96 * 36.6414
    se = 100 * math.sqrt((1 / 2 + 1 / 3 - (1 / 6) ** 2) / 6)
    assert row["ci_low"] == pytest.approx(100 / 6 - 1.959964 * se, abs=1e-4)
    assert row["ci_high"] == pytest.approx(100 / 6 + 1.959964 * se, abs=1e-4)


def test_nps_by_segment_and_advocates(client, now):
    # new: r1 10, r2 9, r5 0, r1 9 -> (3 - 1) / 4 = 50; returning: r3 8, r4 6 -> -50
    table = advocacy.nps(client, now, by="segment").set_index("segment")["value"]
    assert table.to_dict() == pytest.approx({"new": 50.0, "returning": -50.0})
    # advocates are distinct promoters: r1 (twice) and r2
    assert one(advocacy.advocates(client, now))["value"] == 2
    assert one(advocacy.promoter_share(client, now))["value"] == pytest.approx(3 / 6)
    assert one(advocacy.detractor_share(client, now))["value"] == pytest.approx(2 / 6)


def test_empty_window_gives_missing_values_with_reasons(client):
    empty = Window(pd.Timestamp("2025-01-01").to_pydatetime(),
                   pd.Timestamp("2025-01-08").to_pydatetime())  # fmt: skip
    assert one(traffic.visitors(client, empty))["value"] == 0
    bounce = one(traffic.bounce_rate(client, empty))
    assert math.isnan(bounce["value"]) and bounce["note"] == "no sessions in the period"
    nps = one(advocacy.nps(client, empty))
    assert math.isnan(nps["value"]) and nps["note"] == "no NPS answers in the period"
    assert math.isnan(one(leads.lead_to_deal_days(client, empty))["value"])
    assert one(leads.mql_to_sql(client, empty))["note"].startswith("no leads reached MQL")


def test_unsupported_grouping_lists_the_allowed_ones(client, now):
    with pytest.raises(ParameterError, match=r"cannot be grouped by 'page'.*'landing_page'"):
        traffic.bounce_rate(client, now, by="page")


def test_grouping_by_a_column_the_export_lacks(client, now):
    with pytest.raises(DataError, match="no 'campaign' column"):
        traffic.visitors(client, now, by="campaign")


def test_demo_bounce_rate_recovers_the_planted_rate():
    client = load_client(emit_warnings=False)
    row = one(traffic.bounce_rate(client, window(client)))
    truth = 0.375803  # truth.json bounce.expected_rate
    se = math.sqrt(truth * (1 - truth) / row["denominator"])
    assert abs(row["value"] - truth) < 4 * se
