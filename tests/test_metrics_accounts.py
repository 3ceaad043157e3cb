"""Account metrics, the per-account frame and the account funnel on tiny clients, by hand.

One small B2B client (nine accounts) is written to a temporary folder; every number below is
worked out by hand in the comments, from the CSV text, before the code is asked. The analysis
period is October 2026 (``[2026-10-01, 2026-11-01)``); the window before it is
``[2026-08-31, 2026-10-01)``. Timestamps carry no offset: they are wall-clock times in the
client's zone, so day differences are exact (no daylight-saving hour).

Accounts (target column spelled in every accepted way; tier 1 / 2):

====  =======  ======  ====  ===================================================
id    target   read    tier  what happens
====  =======  ======  ====  ===================================================
A1    yes      target  1     lead L1 (SQL 10-05, won 10-20, 1000), ordered Sep + Oct
A2    1        target  1     leads L2 (SQL, 500), L3 (SQL, no value); ordered Sep
A3    да       target  2     2 page views; lead L6 (MQL only); first order in Oct
A4    no       other   2     webinar; lead L4 won without SQL (2000); first order in Oct
A5    (empty)  other   1     ordered in Sep only
A6    true     target  2     only a lead from September (a contact known before)
A7    Да       target  1     nothing (its lead L9 is created after the window)
A8    yes      target  2     4 page views, no lead: engaged and stalled
A9    YES      target  1     3 e-mail clicks, no lead: engaged and stalled; ordered Jul + Oct
====  =======  ======  ====  ===================================================
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportion_confint, proportions_ztest

import funnelkit
from funnelkit.funnel.accounts import (
    ACCOUNT_STEPS,
    account_funnel,
    account_funnel_tests,
    account_paths,
    stalled_accounts,
    write_stalled_accounts,
)
from funnelkit.metrics import accounts as am
from funnelkit.metrics.account_base import ACCOUNT_COLUMNS, account_frame, touchpoint_weight_sql
from funnelkit.metrics.base import window

ACCOUNTS = """account_id,name,target,tier,industry,owner
A1,Alpha,yes,1,saas,ann
A2,Beta,1,1,retail,bob
A3,Gamma,да,2,saas,ann
A4,Delta,no,2,retail,bob
A5,Epsilon,,1,saas,ann
A6,Zeta,true,2,retail,bob
A7,Eta,Да,1,saas,ann
A8,Theta,yes,2,retail,bob
A9,Iota,YES,1,saas,ann
"""

# touchpoint weights with the defaults (session_start is a non-interaction event: 0):
#   A1: page_view 1 + request_demo 10 + email_click 2 = 13 (3 touchpoints; the September view
#       and the November view are outside the window)
#   A2: page_view 1 + email_open 1 + pricing_calc (no pattern: other_events_weight 1) = 3 (3);
#       u2b only starts a session: a contact, no touchpoint
#   A3: page_view 1 + page_view 1 = 2 (2 touchpoints: below engaged_touchpoints = 3)
#   A4: webinar_live (webinar*) 5 (1)
#   A8: 4 page views = 4 (4);  A9: 3 email_click × 2 = 6 (3)
EVENTS = """user_id,timestamp,event,channel,account_id
u1,2026-09-15 10:00:00,page_view,social,A1
u1,2026-10-01 09:00:00,session_start,paid,A1
u1,2026-10-01 09:01:00,page_view,paid,A1
u1,2026-10-02 10:00:00,request_demo,paid,A1
u1,2026-10-03 10:00:00,email_click,email,A1
u1,2026-11-02 10:00:00,page_view,paid,A1
u2,2026-10-02 08:00:00,page_view,social,A2
u2,2026-10-02 08:05:00,email_open,social,A2
u2,2026-10-04 08:00:00,pricing_calc,social,A2
u2b,2026-10-05 12:00:00,session_start,social,A2
u3,2026-10-11 10:00:00,session_start,email,A3
u3,2026-10-11 10:01:00,page_view,email,A3
u3,2026-10-11 10:02:00,page_view,email,A3
u4,2026-10-08 15:00:00,webinar_live,,A4
u8,2026-10-12 10:00:00,page_view,social,A8
u8,2026-10-12 10:01:00,page_view,social,A8
u8,2026-10-12 10:02:00,page_view,social,A8
u8,2026-10-12 10:03:00,page_view,social,A8
u9,2026-10-13 10:00:00,email_click,email,A9
u9,2026-10-13 10:01:00,email_click,email,A9
u9,2026-10-13 10:02:00,email_click,email,A9
anon,2026-10-14 10:00:00,page_view,paid,
"""

LEADS = """lead_id,created_at,channel,mql_at,sql_at,won_at,value,account_id
L1,2026-09-10 09:00:00,paid,2026-09-20 09:00:00,2026-10-05 09:00:00,2026-10-20 09:00:00,1000,A1
L2,2026-10-03 09:00:00,social,2026-10-04 09:00:00,2026-10-10 09:00:00,,500,A2
L3,2026-10-06 09:00:00,social,2026-10-07 09:00:00,2026-10-12 09:00:00,,,A2
L4,2026-10-02 09:00:00,paid,2026-10-03 09:00:00,,2026-10-25 09:00:00,2000,A4
L5,2026-09-05 09:00:00,events,2026-09-06 09:00:00,,,,A6
L6,2026-10-15 09:00:00,social,2026-10-16 09:00:00,,,300,A3
L9,2026-11-05 09:00:00,paid,,,,,A7
L10,2026-10-20 09:00:00,paid,2026-10-21 09:00:00,2026-10-22 09:00:00,,900,
"""

ORDERS = """order_id,customer_id,timestamp,revenue,account_id
O1,c1,2026-09-12 10:00:00,100,A1
O2,c1,2026-10-22 10:00:00,400,A1
O3,c2,2026-09-20 10:00:00,200,A2
O4,c4,2026-10-26 10:00:00,2000,A4
O5,c3,2026-10-18 10:00:00,150,A3
O6,cx,2026-10-10 10:00:00,999,
O7,c5,2026-09-25 10:00:00,80,A5
O8,c9,2026-07-01 10:00:00,60,A9
O9,c9,2026-10-28 10:00:00,40,A9
"""

# October spend: paid 100 + 200, email 200, social 100 = 600 (September and November excluded)
SPEND = """date,channel,cost
2026-09-30,paid,1000
2026-10-01,paid,100
2026-10-15,paid,200
2026-10-02,email,200
2026-10-03,social,100
2026-11-01,email,50
"""

ORDERS_NO_ACCOUNT = """order_id,customer_id,timestamp,revenue
O1,c1,2026-10-22 10:00:00,400
"""

# the deals-only client adds two September wins: A1 (so A1 is kept) and A2 (lost in October)
LEADS_MORE = (
    LEADS
    + "L7,2026-08-01 09:00:00,paid,,,2026-09-20 09:00:00,700,A2\n"
    + "L8,2026-08-05 09:00:00,paid,,,2026-09-15 09:00:00,300,A1\n"
)

TABLES = ("accounts", "events", "leads", "orders", "spend")


@pytest.fixture(autouse=True)
def _own_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Prepared data go to a temporary cache (tests/conftest.py does not redirect it)."""
    monkeypatch.setenv("FUNNELKIT_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture
def abm(make_client):
    """``abm(files=..., accounts=..., **yaml)``: the client above, loaded; files may be replaced."""

    def _load(files: dict[str, str] | None = None, *, name: str = "abm", **config):
        texts = {
            "accounts": ACCOUNTS, "events": EVENTS, "leads": LEADS, "orders": ORDERS,
            "spend": SPEND,
        } | (files or {})  # fmt: skip
        data = {t: {"path": f"data/{t}.csv"} for t, text in texts.items() if text is not None}
        config.setdefault("metrics", {"gross_margin": 0.5})
        folder = make_client(
            {f"{t}.csv": text for t, text in texts.items() if text is not None},
            name=name,
            data=data,
            **config,
        )
        return funnelkit.load_client(folder, emit_warnings=False)

    return _load


@pytest.fixture
def client(abm):
    return abm()


def _row(frame: pd.DataFrame, by: str | None = None, key: object = None) -> pd.Series:
    if by is None:
        assert len(frame) == 1
        return frame.iloc[0]
    rows = frame[frame[by] == key]
    assert len(rows) == 1, frame
    return rows.iloc[0]


def _frame(client) -> pd.DataFrame:
    return account_frame(client, window(client)).set_index("account_id")


# -- the per-account frame -------------------------------------------------------------------


def test_account_frame_columns_and_one_row_per_account(client):
    frame = account_frame(client, window(client))
    assert list(frame.columns) == ACCOUNT_COLUMNS
    assert frame["account_id"].tolist() == [f"A{i}" for i in range(1, 10)]


def test_target_flag_spellings(client):
    # yes, 1, да, true, Да, YES -> target; no and an empty cell -> not
    frame = _frame(client)
    assert frame["target"].to_dict() == {
        "A1": True, "A2": True, "A3": True, "A4": False, "A5": False, "A6": True, "A7": True,
        "A8": True, "A9": True,
    }  # fmt: skip
    assert frame.loc["A4", "target_list"] == "other"
    assert frame.loc["A1", "target_list"] == "target"


def test_touchpoints_and_score_with_default_weights(client):
    frame = _frame(client)
    # see the comment above EVENTS
    assert frame["touchpoints"].to_dict() == {
        "A1": 3, "A2": 3, "A3": 2, "A4": 1, "A5": 0, "A6": 0, "A7": 0, "A8": 4, "A9": 3,
    }  # fmt: skip
    assert frame["score"].to_dict() == {
        "A1": 13.0, "A2": 3.0, "A3": 2.0, "A4": 5.0, "A5": 0.0, "A6": 0.0, "A7": 0.0,
        "A8": 4.0, "A9": 6.0,
    }  # fmt: skip
    # engaged: at least 3 touchpoints
    assert frame.index[frame["engaged"]].tolist() == ["A1", "A2", "A8", "A9"]


def test_session_start_weighs_zero_and_comes_first(client):
    sql = touchpoint_weight_sql(client)
    assert sql.startswith("CASE WHEN event IN ('session_start') THEN 0.0")
    weights = client.sql(
        f"SELECT event, {sql} AS w FROM (VALUES ('session_start'), ('request_demo'), "
        "('webinar_live'), ('pricing_calc'), ('social_share')) t(event) ORDER BY event"
    )
    assert dict(zip(weights["event"], weights["w"], strict=True)) == {
        "pricing_calc": 1.0, "request_demo": 10.0, "session_start": 0.0, "social_share": 1.0,
        "webinar_live": 5.0,
    }  # fmt: skip


def test_contacts_from_events_and_leads_known_before_the_window(client):
    frame = _frame(client)
    # A1: u1 + L1 (created in Sep) = 2; A2: u2, u2b (session only), L2, L3 = 4; A3: u3 + L6;
    # A4: u4 + L4; A6: L5 from September = 1; A7: L9 is created after the window = 0;
    # A5 only has orders (orders make no contacts) = 0
    assert frame["contacts"].to_dict() == {
        "A1": 2, "A2": 4, "A3": 2, "A4": 2, "A5": 0, "A6": 1, "A7": 0, "A8": 1, "A9": 1,
    }  # fmt: skip


def test_first_touch_channel_and_cycle_days(client):
    frame = _frame(client)
    # A1: lead L1 (09-10, paid) is before its first event (09-15, social) -> paid
    # A2: its first event (10-02 08:00, social) is before L2 (10-03); A3: its session_start
    # (email); A4: L4 (10-02, paid) before the webinar (whose channel is empty); A6: L5 (events)
    assert frame["channel"].to_dict() == {
        "A1": "paid", "A2": "social", "A3": "email", "A4": "paid", "A5": "(none)",
        "A6": "events", "A7": "(none)", "A8": "social", "A9": "email",
    }  # fmt: skip
    # A1: 2026-09-10 09:00 -> won 2026-10-20 09:00 = 40 days; A4: 10-02 09:00 -> 10-25 09:00 = 23
    assert frame["cycle_days"].dropna().to_dict() == {"A1": 40.0, "A4": 23.0}


def test_opportunities_won_and_values_per_account(client):
    frame = _frame(client)
    # SQL in October: L1 (A1), L2 + L3 (A2); L4 (A4) was won without an SQL date
    assert frame["opportunities"].to_dict() == {
        "A1": 1, "A2": 2, "A3": 0, "A4": 0, "A5": 0, "A6": 0, "A7": 0, "A8": 0, "A9": 0,
    }  # fmt: skip
    # won implies opportunity: A4 counts as an opportunity though it has no SQL
    assert frame.index[frame["opportunity"]].tolist() == ["A1", "A2", "A4"]
    assert frame.index[frame["won"]].tolist() == ["A1", "A4"]
    assert frame.loc["A2", "pipeline_value"] == 500.0  # L3 has no value
    assert frame.loc["A2", "unvalued_opportunities"] == 1
    assert frame.loc["A4", "won_value"] == 2000.0


def test_revenue_customers_and_new_customers_from_orders(client):
    frame = _frame(client)
    # October orders with an account: A1 400, A3 150, A4 2000, A9 40 (O6 has no account)
    assert frame["revenue"].to_dict() == {
        "A1": 400.0, "A2": 0.0, "A3": 150.0, "A4": 2000.0, "A5": 0.0, "A6": 0.0, "A7": 0.0,
        "A8": 0.0, "A9": 40.0,
    }  # fmt: skip
    assert frame.index[frame["customer"]].tolist() == ["A1", "A3", "A4", "A9"]
    # September (the window before): A1, A2, A5; A9's July order is earlier still
    assert frame.index[frame["customer_before"]].tolist() == ["A1", "A2", "A5"]
    # first order ever in October: A3, A4 (A1 first ordered in Sep, A9 in Jul)
    assert frame.index[frame["new_customer"]].tolist() == ["A3", "A4"]


# -- coverage and engagement -----------------------------------------------------------------


def test_target_account_coverage(client):
    row = _row(am.target_account_coverage(client, window(client)))
    # targets A1 A2 A3 A6 A7 A8 A9 = 7; with a contact: all but A7 = 6
    assert (row["numerator"], row["denominator"]) == (6, 7)
    assert row["value"] == pytest.approx(6 / 7)
    low, high = proportion_confint(6, 7, alpha=0.05, method="wilson")
    assert (row["ci_low"], row["ci_high"]) == (pytest.approx(low), pytest.approx(high))


def test_coverage_by_tier(client):
    rows = am.target_account_coverage(client, window(client), by="tier")
    # tier 1 targets A1 A2 A7 A9 (A7 has no contact): 3/4; tier 2 targets A3 A6 A8: 3/3
    assert _row(rows, "tier", "1")[["numerator", "denominator"]].tolist() == [3, 4]
    assert _row(rows, "tier", "2")[["numerator", "denominator"]].tolist() == [3, 3]


def test_engaged_target_accounts(client):
    row = _row(am.engaged_target_accounts(client, window(client)))
    # A1 (3), A2 (3), A8 (4), A9 (3) of 7 targets; A3 has 2, A4 is not a target
    assert (row["numerator"], row["denominator"]) == (4, 7)
    assert row["value"] == pytest.approx(4 / 7)


def test_engaged_threshold_is_configurable(abm):
    client = abm(accounts={"engaged_touchpoints": 4})
    row = _row(am.engaged_target_accounts(client, window(client)))
    assert (row["numerator"], row["denominator"]) == (1, 7)  # only A8 has 4


def test_account_engagement_score_mean_and_t_interval(client):
    row = _row(am.account_engagement_score(client, window(client)))
    scores = np.array([13, 3, 2, 0, 0, 4, 6], dtype=float)  # A1 A2 A3 A6 A7 A8 A9
    # (13 + 3 + 2 + 0 + 0 + 4 + 6) / 7 = 28 / 7 = 4.0
    assert row["value"] == pytest.approx(4.0)
    half = stats.t.ppf(0.975, 6) * scores.std(ddof=1) / np.sqrt(7)
    assert 4.0 - half < 0  # the t interval reaches below 0: clipped, a score is never negative
    assert row["ci_low"] == 0
    assert row["ci_high"] == pytest.approx(4.0 + half)


def test_custom_weights_replace_the_defaults(abm):
    client = abm(
        accounts={
            "engaged_touchpoints": 2,
            "weights": {"page_view": 2, "request_*": 7},
            "other_events_weight": 0.5,
        }
    )
    frame = _frame(client)
    # A1: view 2 + demo 7 + email_click (no longer a pattern: 0.5) = 9.5; A2: 2 + 0.5 + 0.5 = 3
    # A3: 2 + 2 = 4; A4: webinar (other) 0.5; A8: 4 × 2 = 8; A9: 3 × 0.5 = 1.5
    assert frame["score"].to_dict() == {
        "A1": 9.5, "A2": 3.0, "A3": 4.0, "A4": 0.5, "A5": 0.0, "A6": 0.0, "A7": 0.0,
        "A8": 8.0, "A9": 1.5,
    }  # fmt: skip
    row = _row(am.account_engagement_score(client, window(client)))
    # (9.5 + 3 + 4 + 0 + 0 + 8 + 1.5) / 7 = 26 / 7
    assert row["value"] == pytest.approx(26 / 7)
    engaged = _row(am.engaged_target_accounts(client, window(client)))
    # at least 2 touchpoints: A1 A2 A3 A8 A9
    assert (engaged["numerator"], engaged["denominator"]) == (5, 7)


def test_zero_weights_are_not_touchpoints(abm):
    client = abm(accounts={"other_events_weight": 0, "weights": {"page_view": 0, "email_*": 2}})
    frame = _frame(client)
    # only e-mail events count: A1 email_click, A2 email_open, A9 3 clicks
    assert frame["touchpoints"].to_dict() == {
        "A1": 1, "A2": 1, "A3": 0, "A4": 0, "A5": 0, "A6": 0, "A7": 0, "A8": 0, "A9": 3,
    }  # fmt: skip
    assert frame.loc["A9", "score"] == 6.0


# -- opportunities, win rate, pipeline, cycle ------------------------------------------------


def test_account_opportunities_and_win_rate(client):
    w = window(client)
    assert _row(am.account_opportunities(client, w))["value"] == 3  # A1 A2 A4
    row = _row(am.account_win_rate(client, w))
    assert (row["numerator"], row["denominator"]) == (2, 3)  # A1, A4 won
    low, high = proportion_confint(2, 3, method="wilson")
    assert (row["ci_low"], row["ci_high"]) == (pytest.approx(low), pytest.approx(high))


def test_win_rate_by_target_list(client):
    rows = am.account_win_rate(client, window(client), by="target_list")
    # target: opportunities A1 A2, won A1 -> 1/2; other: A4 -> 1/1
    assert _row(rows, "target_list", "target")[["numerator", "denominator"]].tolist() == [1, 2]
    assert _row(rows, "target_list", "other")[["numerator", "denominator"]].tolist() == [1, 1]


def test_pipeline_value_notes_unvalued_opportunities(client):
    row = _row(am.pipeline_value(client, window(client)))
    # SQL in October with an account: L1 1000 + L2 500 + L3 (no value) = 1500; L10 has none
    assert row["value"] == 1500.0
    assert row["note"] == "1 opportunity without a value (counted as 0)"


def test_opportunity_from_mql(abm):
    client = abm(accounts={"opportunity": "mql"})
    w = window(client)
    # MQL in October: L2 L3 (A2), L4 (A4), L6 (A3); A1's MQL is in Sep but it won in Oct
    assert _row(am.account_opportunities(client, w))["value"] == 4
    row = _row(am.account_win_rate(client, w))
    assert (row["numerator"], row["denominator"]) == (2, 4)
    # 500 + (L3: none) + 2000 + 300 = 2800
    pipe = _row(am.pipeline_value(client, w))
    assert pipe["value"] == 2800.0
    assert pipe["note"].startswith("1 opportunity without a value")


def test_account_sales_cycle_days(client):
    row = _row(am.account_sales_cycle_days(client, window(client)))
    # A1 40 days, A4 23 days: mean 31.5, sd = |40 − 23| / √2
    assert (row["value"], row["denominator"]) == (31.5, 2)
    half = stats.t.ppf(0.975, 1) * (17 / np.sqrt(2)) / np.sqrt(2)
    assert row["ci_low"] == pytest.approx(31.5 - half)


# -- retention, churn, CAC, CLV --------------------------------------------------------------


def test_retention_and_churn_from_orders(client):
    w = window(client)
    kept = _row(am.account_retention(client, w))
    lost = _row(am.account_churn(client, w))
    # September customers A1 A2 A5; October again: A1 -> 1/3 kept, 2/3 lost
    assert (kept["numerator"], kept["denominator"]) == (1, 3)
    assert (lost["numerator"], lost["denominator"]) == (2, 3)
    assert kept["value"] + lost["value"] == pytest.approx(1.0)


def test_retention_from_won_deals_when_orders_have_no_account(abm):
    client = abm({"orders": ORDERS_NO_ACCOUNT, "leads": LEADS_MORE}, name="deals")
    w = window(client)
    frame = _frame(client)
    # customers are accounts with a won deal: Sep: A1 (L8), A2 (L7); Oct: A1 (L1), A4 (L4)
    assert frame.index[frame["customer_before"]].tolist() == ["A1", "A2"]
    assert frame.index[frame["customer"]].tolist() == ["A1", "A4"]
    assert frame.loc["A1", "revenue"] == 1000.0  # the won value, not the account-less order
    kept = _row(am.account_retention(client, w))
    assert (kept["numerator"], kept["denominator"]) == (1, 2)
    # new: A4 only (A1 first won in Sep): CAC = 600 / 1
    assert _row(am.account_cac(client, w))["value"] == 600.0
    # CLV: revenue 1000 + 2000, margin 0.5, 2 customers, churn 1/2 -> 3000 × 0.5 / 2 × 2 = 1500
    assert _row(am.account_clv(client, w))["value"] == pytest.approx(1500.0)


def test_account_cac_overall(client):
    row = _row(am.account_cac(client, window(client)))
    # October spend 600 / new customer accounts A3, A4 = 300
    assert (row["numerator"], row["denominator"], row["value"]) == (600.0, 2, 300.0)


def test_account_cac_by_first_touch_channel(client):
    rows = am.account_cac(client, window(client), by="channel")
    # new customers: A3 (email), A4 (paid); spend paid 300, email 200, social 100
    assert _row(rows, "channel", "paid")["value"] == 300.0
    assert _row(rows, "channel", "email")["value"] == 200.0
    social = _row(rows, "channel", "social")
    assert np.isnan(social["value"]) and social["note"] == "no new customer accounts"
    assert _row(rows, "channel", "email")["note"] == "channel of the account's first touch"


def test_account_clv_by_hand(client):
    row = _row(am.account_clv(client, window(client)))
    # churn 2/3 -> 1 / churn = 1.5 periods; revenue 400 + 150 + 2000 + 40 = 2590 over 4
    # customer accounts; margin 0.5: 2590 × 0.5 / 4 × 1.5 = 485.625
    assert row["value"] == pytest.approx(2590 * 0.5 / 4 * 1.5)
    assert row["value"] == pytest.approx(485.625)
    assert "1 / account churn (66.7%) = 1.50 periods" in row["note"]
    assert "gross margin 50% applied" in row["note"]


def test_account_clv_by_tier(client):
    rows = am.account_clv(client, window(client), by="tier")
    # tier 1: A1 400 + A9 40 = 440 / 2 × 0.75 = 165; tier 2: A3 150 + A4 2000 = 2150 / 2 × 0.75
    assert _row(rows, "tier", "1")["value"] == pytest.approx(165.0)
    assert _row(rows, "tier", "2")["value"] == pytest.approx(806.25)


def test_account_clv_with_configured_lifetime(abm):
    client = abm(metrics={"customer_lifetime_years": 1})
    row = _row(am.account_clv(client, window(client)))
    # no margin set: revenue alone; periods = 365.25 / 31 days
    assert row["value"] == pytest.approx(2590 / 4 * 365.25 / 31)


# -- no target column, unavailable rows ------------------------------------------------------


def test_without_a_target_column_every_account_is_a_target(abm):
    no_target = "\n".join(
        ",".join(c for i, c in enumerate(line.split(",")) if i != 2)
        for line in ACCOUNTS.splitlines()
    )
    client = abm({"accounts": no_target + "\n"})
    row = _row(am.target_account_coverage(client, window(client)))
    # all 9 accounts; with a contact: all but A5 and A7
    assert (row["numerator"], row["denominator"]) == (7, 9)
    engaged = _row(am.engaged_target_accounts(client, window(client)))
    assert (engaged["numerator"], engaged["denominator"]) == (4, 9)  # A4 has 1 touchpoint


def test_no_account_id_on_events_gives_unavailable_rows_not_zero(abm):
    events = "\n".join(line.rsplit(",", 1)[0] for line in EVENTS.splitlines()) + "\n"
    client = abm({"events": events})
    w = window(client)
    for metric in (am.engaged_target_accounts, am.account_engagement_score):
        row = _row(metric(client, w))
        assert np.isnan(row["value"]) and row["value"] != 0
        assert row["note"] == "no events.account_id in the export"
    grouped = am.engaged_target_accounts(client, w, by="tier")
    assert grouped["tier"].tolist() == ["(all)"] and np.isnan(grouped["value"].iloc[0])
    # coverage still counts the leads: A1 A2 A3 A6 (A8 and A9 only had visitors)
    row = _row(am.target_account_coverage(client, w))
    assert (row["numerator"], row["denominator"]) == (4, 7)


def test_no_account_id_anywhere_but_accounts(abm):
    drop = "\n".join(line.rsplit(",", 1)[0] for line in EVENTS.splitlines()) + "\n"
    leads = "\n".join(line.rsplit(",", 1)[0] for line in LEADS.splitlines()) + "\n"
    client = abm({"events": drop, "leads": leads, "orders": ORDERS_NO_ACCOUNT})
    w = window(client)
    assert _row(am.target_account_coverage(client, w))["note"] == (
        "no account_id on events or leads"
    )
    assert _row(am.account_win_rate(client, w))["note"] == "no leads.account_id in the export"
    for metric in (am.account_retention, am.account_churn, am.account_cac, am.account_clv):
        row = _row(metric(client, w))
        assert np.isnan(row["value"])
        assert row["note"] == "no account_id on orders or leads with won_at"


def test_missing_sql_column_is_named(abm):
    leads = LEADS.replace(",sql_at", ",sql_when")
    client = abm({"leads": leads})
    row = _row(am.account_opportunities(client, window(client)))
    assert np.isnan(row["value"]) and row["note"] == "no leads.sql_at in the export"


def test_every_metric_is_in_the_catalogue():
    ids = {m.id for m in am.METRICS}
    assert ids == set(am.__all__) - {"METRICS"}


# -- the account funnel ----------------------------------------------------------------------


def test_account_funnel_depths_and_counts(client):
    paths = account_paths(client).df().set_index("unit_id")
    # targets only; A1 won 4, A2 opportunity 3, A8 A9 engaged 2, A3 A6 A7 1
    assert paths["depth"].to_dict() == {
        "A1": 4, "A2": 3, "A3": 1, "A6": 1, "A7": 1, "A8": 2, "A9": 2,
    }  # fmt: skip
    table = account_funnel(client)
    assert table["step"].tolist() == list(ACCOUNT_STEPS)
    assert table["accounts"].tolist() == [7, 4, 2, 1]
    assert table["dropped"].tolist() == [0, 3, 2, 1]
    assert not [c for c in table.columns if c.startswith("time_from")]


def test_account_funnel_is_cumulative(abm):
    client = abm(accounts={"opportunity": "mql"})
    # A3 has 2 touchpoints (not engaged) but an MQL in October: an opportunity, so it also
    # counts at "engaged" (a later step implies the earlier ones)
    assert account_paths(client).df().set_index("unit_id").loc["A3", "depth"] == 3
    assert account_funnel(client)["accounts"].tolist() == [7, 5, 3, 1]


def test_account_funnel_wilson_intervals(client):
    table = account_funnel(client)
    counts = table["accounts"].tolist()
    for i, row in table.iterrows():
        low, high = proportion_confint(row["accounts"], counts[0], method="wilson")
        assert row["share_of_first"] == pytest.approx(row["accounts"] / counts[0])
        assert row["share_of_first_ci_low"] == pytest.approx(low)
        assert row["share_of_first_ci_high"] == pytest.approx(high)
        if i:
            low, high = proportion_confint(row["accounts"], counts[i - 1], method="wilson")
            assert row["share_of_previous_ci_low"] == pytest.approx(low)
            assert row["share_of_previous_ci_high"] == pytest.approx(high)


def test_account_funnel_by_tier(client):
    table = account_funnel(client, by="tier")
    # tier 1: A1 (4) A2 (3) A7 (1) A9 (2) -> 4, 3, 2, 1; tier 2: A3 (1) A6 (1) A8 (2) -> 3, 1, 0, 0
    one = table[table["tier"] == "1"]["accounts"].tolist()
    two = table[table["tier"] == "2"]["accounts"].tolist()
    assert (one, two) == ([4, 3, 2, 1], [3, 1, 0, 0])


def _big_client(make_client) -> funnelkit.Client:
    """200 target accounts: tier 1 has 80 of 100 engaged, tier 2 has 10 of 100."""
    accounts = ["account_id,name,target,tier"]
    events = ["user_id,timestamp,event,account_id"]
    for i in range(200):
        tier = "1" if i < 100 else "2"
        accounts.append(f"B{i:03d},Company {i},yes,{tier}")
        engaged = (i < 80) if tier == "1" else (i < 110)
        for minute in range(3 if engaged else 1):
            events.append(f"v{i},2026-10-05 10:0{minute}:00,page_view,B{i:03d}")
    folder = make_client(
        {"accounts.csv": "\n".join(accounts) + "\n", "events.csv": "\n".join(events) + "\n"},
        name="big",
        data={"accounts": {"path": "data/accounts.csv"}, "events": {"path": "data/events.csv"}},
    )
    return funnelkit.load_client(folder, emit_warnings=False)


def test_account_funnel_tests_flag_a_clear_difference(make_client):
    client = _big_client(make_client)
    tests = account_funnel_tests(client, by="tier")
    engaged = tests[tests["step"] == "engaged"].set_index("segment")
    assert engaged.loc["1", ["users_previous", "users"]].tolist() == [100, 80]
    assert engaged.loc["2", ["users_previous", "users"]].tolist() == [100, 10]
    assert engaged.loc["1", "flag"] == "over" and engaged.loc["2", "flag"] == "under"
    assert bool(engaged["significant"].all())
    # the pooled z-test of 80/100 against 10/100, as statsmodels computes it
    _, p = proportions_ztest([80, 10], [100, 100])
    assert engaged.loc["1", "p_value"] == pytest.approx(p, rel=1e-6)
    # nobody reached "opportunity": both sides stay below any difference
    assert not tests[tests["step"] == "won"]["significant"].any()


def test_account_funnel_tests_gate_small_segments(client):
    tests = account_funnel_tests(client, by="tier")  # 4 and 3 target accounts < 20
    assert bool(tests["gated"].all()) and not tests["significant"].any()


def test_stalled_accounts(client):
    stalled = stalled_accounts(client)
    # engaged targets with no opportunity: A9 (score 6) then A8 (score 4)
    assert stalled["account_id"].tolist() == ["A9", "A8"]
    assert stalled["score"].tolist() == [6.0, 4.0]
    assert stalled.columns.tolist() == [
        "account_id", "name", "tier", "industry", "owner", "channel", "contacts", "touchpoints",
        "score",
    ]  # fmt: skip


def test_write_stalled_accounts(client, tmp_path: Path):
    results = tmp_path / "report" / "results.json"
    written = write_stalled_accounts(stalled_accounts(client), results)
    assert written == tmp_path / "report" / "audience_stalled_accounts.csv"
    back = pd.read_csv(written, dtype={"tier": str})
    assert back["account_id"].tolist() == ["A9", "A8"]
    assert back["name"].tolist() == ["Iota", "Theta"]
    assert write_stalled_accounts(stalled_accounts(client), "") is None


def test_clv_without_churn_has_no_value_and_says_why(abm):
    # A2 and A5 buy again in October: every customer of September is kept, churn 0
    orders = ORDERS + "O10,c2,2026-10-02 10:00:00,10,A2\nO11,c5,2026-10-03 10:00:00,10,A5\n"
    client = abm({"orders": orders})
    assert _row(am.account_churn(client, window(client)))["value"] == 0.0
    row = _row(am.account_clv(client, window(client)))
    assert np.isnan(row["value"])
    assert row["note"].startswith("no account churn observed: lifetime unknown")


def test_groupings_a_metric_does_not_offer_are_refused(client):
    from funnelkit.core.errors import FunnelkitError

    with pytest.raises(FunnelkitError, match="tier"):
        am.account_cac(client, window(client), by="tier")
    with pytest.raises(FunnelkitError, match="target_list"):
        am.engaged_target_accounts(client, window(client), by="target_list")


# -- the demo's planted truths recovered, and the stalled accounts' worth --------------------------


def _demo_truth() -> dict:
    import json

    from funnelkit.core import paths
    from funnelkit.demo import ensure_demo_data

    data = ensure_demo_data(paths.demo_client_dir() / "data")
    return json.loads((data / "truth.json").read_text(encoding="utf-8"))["accounts"]


def test_demo_account_metrics_recover_the_planted_truths():
    """The realised counts (plain pandas over the files, funnelkit.demo.accounts) exactly, and
    the planted rates inside the metrics' 95% intervals."""
    truth = _demo_truth()
    client = funnelkit.load_client(emit_warnings=False)
    w = window(client)
    targets = truth["realised"]["targets"]
    coverage = _row(am.target_account_coverage(client, w))
    assert (coverage["numerator"], coverage["denominator"]) == (targets["covered"], 200)
    engaged = am.engaged_target_accounts(client, w, by="tier").set_index("tier")
    planted = truth["planted"]
    for tier in ("1", "2", "3"):
        real = truth["realised"]["by_tier"][f"tier_{tier}"]
        assert engaged.loc[tier, "numerator"] == real["engaged"]
        share = planted["p_engaged"][f"tier_{tier}"]
        assert engaged.loc[tier, "ci_low"] <= share <= engaged.loc[tier, "ci_high"]
    wins = am.account_win_rate(client, w, by="target_list").set_index("target_list")
    assert wins.loc["target", "numerator"] == targets["won"]
    assert wins.loc["target", "denominator"] == targets["opportunities"]


def test_demo_stalled_accounts_and_their_worth_by_hand():
    """worth = stalled × (opportunities / engaged) × (won / opportunities) × won value / won."""
    from funnelkit.funnel.accounts import stalled_accounts, stalled_worth

    targets = _demo_truth()["realised"]["targets"]
    client = funnelkit.load_client(emit_warnings=False)
    found = stalled_worth(client)
    assert (
        found["stalled"] == targets["engaged_without_opportunity"] == len(stalled_accounts(client))
    )
    # 37 × 29/66 × 12/29 × 48,390/12 = 37 × 48,390 / 66 = 27,127.73
    by_hand = (
        targets["engaged_without_opportunity"]
        * targets["opportunities"] / targets["engaged"]
        * targets["won"] / targets["opportunities"]
        * targets["won_value"] / targets["won"]
    )  # fmt: skip
    assert found["worth"] == pytest.approx(by_hand)
    low, high = proportion_confint(targets["opportunities"], targets["engaged"], method="wilson")
    assert found["opportunity_rate_low"] == pytest.approx(low)
    assert found["opportunity_rate_high"] == pytest.approx(high)
    assert found["worth_low"] < found["worth"] < found["worth_high"]


def test_clv_per_account_needs_a_value_for_won_deals(make_client):
    """Won deals without a value (Olist's closed deals) give no CLV, never a CLV of 0."""
    folder = make_client(
        {
            "accounts.csv": "account_id,name\nA1,Acme\nA2,Beta\n",
            "leads.csv": "lead_id,created_at,channel,won_at,account_id\n"
            "L1,2026-09-02,ads,2026-09-20,A1\nL2,2026-10-02,ads,2026-10-20,A1\n"
            "L3,2026-09-05,seo,2026-09-25,A2\n",
        },
        timezone="UTC",
        data={"accounts": {"path": "data/accounts.csv"}, "leads": {"path": "data/leads.csv"}},
    )
    client = funnelkit.load_client(folder, emit_warnings=False)
    clv = _row(am.account_clv(client, window(client)))
    assert np.isnan(clv["value"]) and "leads.value" in clv["note"]
    # retention needs no value: A1 and A2 won in September, A1 won again in October -> 1/2
    kept = _row(am.account_retention(client, window(client)))
    assert (kept["numerator"], kept["denominator"]) == (1, 2)
