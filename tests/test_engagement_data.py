"""The `social` and `email` tables at load time: their count rules and the e-mail click events.

Each rule is tested with one row that breaks it (the error names the campaign or the network)
and the same data without the break (it loads); the events a recipient's clicks add are
compared with plain pandas on the same rows.
"""

from __future__ import annotations

import pandas as pd
import pytest

from funnelkit.core.errors import DataError
from funnelkit.data.engagement import EMAIL_CLICK
from funnelkit.data.prepare import load_client
from funnelkit.metrics.base import window
from funnelkit.metrics.traffic import sessions, visitors

CAMPAIGNS = (
    "campaign,sent_at,recipients,delivered,opens,unique_opens,clicks,unique_clicks,"
    "unsubscribes,bounces\n"
    "Осень,2026-10-02 09:00,1000,980,600,400,90,60,3,20\n"
    "Зима,2026-10-09 09:00,1100,1090,700,450,80,55,2,10\n"
)
EVENTS = (
    "user_id,timestamp,event,session_id,channel,account_id\n"
    "u1,2026-10-02 10:00,page_view,s1,seo,\n"
    "u2,2026-10-03 11:00,page_view,s2,seo,acme\n"
    "u3,2026-10-04 12:00,page_view,s3,ads,\n"
)


def _email_client(make_client, email: str, *, events: bool = False, **config):
    files = {"email.csv": email} | ({"events.csv": EVENTS} if events else {})
    data = {"email": {"path": "data/email.csv"}}
    if events:
        data["events"] = {"path": "data/events.csv"}
    return make_client(files, data=data, **config)


def test_campaign_rows_in_order_load(make_client):
    client = load_client(_email_client(make_client, CAMPAIGNS), emit_warnings=False)
    frame = client.frame("email")
    assert frame["delivered"].sum() == 2070 and list(frame["campaign"]) == ["Осень", "Зима"]
    assert client.issues().empty


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("delivered", "1200", r"1 campaign row has more delivered than recipients \(e.g. 'Осень' "
                              r"sent 2026-10-02 09:00: 1,200 > 1,000\)"),
        ("unique_opens", "700", r"more unique_opens than opens"),
        ("unique_clicks", "95", r"more unique_clicks than clicks"),
        ("unsubscribes", "990", r"more unsubscribes than delivered"),
    ],
)  # fmt: skip
def test_counts_out_of_order_stop_the_load_with_the_campaign(make_client, column, value, message):
    header, first, second = CAMPAIGNS.strip().split("\n")
    cells = dict(zip(header.split(","), first.split(","), strict=True)) | {column: value}
    text = "\n".join([header, ",".join(cells.values()), second]) + "\n"
    with pytest.raises(DataError, match=message) as err:
        load_client(_email_client(make_client, text), emit_warnings=False)
    assert "email.csv" in str(err.value)


def test_more_unique_clicks_than_opens_is_a_warning(make_client):
    text = CAMPAIGNS.replace("600,400,90,60", "600,50,90,60")
    client = load_client(_email_client(make_client, text), emit_warnings=False)
    found = client.issues().set_index("check").loc["click_without_open"]
    assert found["severity"] == "warning" and found["rows"] == 1


RECIPIENTS = (
    "campaign,sent_at,user_id,account_id,delivered,unique_opens,clicks,unique_clicks,clicked_at\n"
    "Осень,2026-10-02 09:00,u1,,1,1,2,1,2026-10-02 09:30\n"
    "Осень,2026-10-02 09:00,u2,acme,1,1,1,1,\n"
    "Осень,2026-10-02 09:00,u3,,1,0,0,0,\n"
    "Осень,2026-10-02 09:00,u9,,1,1,0,0,\n"
)


def test_a_recipients_click_becomes_an_event(make_client):
    folder = _email_client(make_client, RECIPIENTS, events=True)
    client = load_client(folder, emit_warnings=False)
    added = client.sql(
        f"SELECT user_id, timestamp, channel, account_id FROM events "
        f"WHERE event = '{EMAIL_CLICK}' ORDER BY user_id"
    )
    # pandas: rows with unique_clicks > 0 are u1 (clicked 09:30) and u2 (no clicked_at: sent_at)
    rows = pd.read_csv(pd.io.common.StringIO(RECIPIENTS))
    clicked = rows[rows["unique_clicks"] > 0]
    assert list(added["user_id"]) == list(clicked["user_id"]) == ["u1", "u2"]
    assert list(added["timestamp"].astype(str)) == ["2026-10-02 09:30:00", "2026-10-02 09:00:00"]
    assert set(added["channel"]) == {"email"}  # (events have no campaign column: none given)
    assert added["account_id"].tolist()[1] == "acme"
    assert client.row_counts["events"] == 3 + 2
    note = client.issues().set_index("check").loc["email_events"]
    assert note["rows"] == 2 and "email_click" in note["message"]
    # no session is made of them; the clickers were visitors anyway (u1, u2 have page views)
    current = window(client)
    assert sessions(client, current)["value"].iloc[0] == 3
    assert visitors(client, current)["value"].iloc[0] == 3


def test_without_events_nothing_is_added(make_client):
    client = load_client(_email_client(make_client, RECIPIENTS), emit_warnings=False)
    assert "events" not in client.tables
    assert "email_events" not in set(client.issues()["check"])


def test_a_recipients_row_counting_twice_is_an_error(make_client):
    text = RECIPIENTS.replace("u3,,1,0,0,0", "u3,,1,2,0,0")
    with pytest.raises(DataError, match=r"a recipient's unique_opens above 1"):
        load_client(_email_client(make_client, text), emit_warnings=False)


def test_a_network_mixing_posts_and_daily_totals_is_an_error(make_client):
    social = (
        "date,network,post_id,reach,likes\n"
        "2026-10-02,vk,p1,500,20\n2026-10-02,vk,,900,35\n2026-10-02,instagram,i1,400,30\n"
    )
    folder = make_client({"social.csv": social}, data={"social": {"path": "data/social.csv"}})
    with pytest.raises(DataError, match=r"'vk' \(1 post rows, 1 rows of daily totals\) mixes"):
        load_client(folder, emit_warnings=False)
    fixed = social.replace("2026-10-02,vk,,900", "2026-10-02,vk_page,,900")
    (folder / "data" / "social.csv").write_text(fixed, encoding="utf-8")
    client = load_client(folder, emit_warnings=False)
    assert client.frame("social")["likes"].sum() == 85


def test_the_demo_client_has_social_posts_and_campaigns():
    client = load_client(emit_warnings=False)
    assert {"social", "email"} <= set(client.tables)
    per_network = client.sql(
        "SELECT network, sum(likes + comments + shares) / sum(reach) AS rate FROM social "
        "GROUP BY network ORDER BY network"
    ).set_index("network")["rate"]
    assert per_network["instagram"] > 2 * per_network["facebook"]  # as planted (truth.json)
    assert client.issues()["table"].isin(["social", "email"]).sum() == 0


def test_a_post_on_two_rows_is_an_error(make_client):
    social = "date,network,post_id,reach,likes\n2026-10-02,vk,p1,500,20\n2026-10-09,vk,p1,700,25\n"
    folder = make_client({"social.csv": social}, data={"social": {"path": "data/social.csv"}})
    with pytest.raises(DataError, match=r"1 posts appear on more than one row \(e.g. 'p1' of vk\)"):
        load_client(folder, emit_warnings=False)


def test_without_events_the_compass_ranks_email_and_social(make_client):
    """A client with only e-mail campaigns and social posts: the preset's key metrics (sessions,
    visitors) fall back to the e-mail click rate and the social reach."""
    from funnelkit.stages.compass import key_metric

    social = "date,network,post_id,reach,likes,comments,shares\n2026-10-02,vk,p1,500,20,2,1\n"
    folder = make_client(
        {"email.csv": CAMPAIGNS, "social.csv": social},
        data={"email": {"path": "data/email.csv"}, "social": {"path": "data/social.csv"}},
    )
    client = load_client(folder, emit_warnings=False)
    assert key_metric(client, "engagement_rate", "preset").id == "email_click_rate"
    assert key_metric(client, "visitors", "preset").id == "social_reach"
    assert key_metric(client, "engagement_rate", "client.yaml").id == "engagement_rate"


def test_the_demo_open_rate_decline_is_found_as_planted():
    """truth.json plants a fall of 0.6 points per campaign in the analysis period (from 41%);
    the test for trend finds it, and the click-through rate (planted flat at 3%) stays flat."""
    from funnelkit.demo import load_truth
    from funnelkit.metrics.email import email_trend

    client = load_client(emit_warnings=False)
    planted = load_truth(client.config.client_dir / "data")["engagement"]["email"]
    opens = email_trend(client, window(client)).iloc[0]
    assert opens["direction"] == "down" and opens["p_value"] < 1e-6
    assert opens["slope_per_campaign"] == pytest.approx(
        -planted["open_drop_per_campaign"], abs=0.002
    )
    clicks = email_trend(client, window(client), rate="click_rate").iloc[0]
    assert clicks["direction"] == "flat"


def test_an_email_click_is_a_touchpoint_of_the_recipients_account(make_client):
    """acme's contact u2 viewed a page (weight 1) and clicked the e-mail (email_click: 2)."""
    from funnelkit.metrics.account_base import account_frame

    accounts = "account_id,name\nacme,Acme\n"
    folder = make_client(
        {"email.csv": RECIPIENTS, "events.csv": EVENTS, "accounts.csv": accounts},
        data={"email": {"path": "data/email.csv"}, "events": {"path": "data/events.csv"},
              "accounts": {"path": "data/accounts.csv"}},
    )  # fmt: skip
    client = load_client(folder, emit_warnings=False)
    acme = account_frame(client, window(client)).set_index("account_id").loc["acme"]
    assert acme["touchpoints"] == 2 and acme["score"] == 1 + 2
