"""Social-network metrics on a hand-written table, with the arithmetic written out.

Wilson intervals: the ones R ``prop.test(x, n, correct = FALSE)$conf.int`` prints, computed with
statsmodels ``proportion_confint(x, n, method="wilson")`` (which reproduces them).
"""

from __future__ import annotations

import math

import pytest

from funnelkit.core.errors import DataError, ParameterError
from funnelkit.data.prepare import load_client
from funnelkit.metrics import catalogue, compare_periods, compute_metric, get_metric
from funnelkit.metrics.base import RESULT_COLUMNS, window
from funnelkit.metrics.social import interaction_mix, post_engagement

# p0 is in the period before (September); p1..p4 in the period (October). p4 has no reach.
SOCIAL_CSV = (
    "date,network,post_id,reach,impressions,likes,comments,shares,clicks,follows,unfollows\n"
    """2026-09-20,vk,p0,100,120,2,0,0,1,0,0
2026-10-02,vk,p1,1000,1500,40,5,5,30,3,1
2026-10-03,vk,p2,500,600,10,0,5,10,1,0
2026-10-05,instagram,p3,2000,2500,150,20,10,0,10,2
2026-10-06,instagram,p4,,300,5,1,0,2,0,15
"""
)
# October, interactions = likes + comments + shares (no clicks):
#   vk: p1 40+5+5 = 50, p2 10+0+5 = 15 -> 65;  instagram: p3 150+20+10 = 180, p4 5+1+0 = 6 -> 186
#   total 251; reach: vk 1000+500 = 1500, instagram 2000 (p4 empty) -> 3500
#   engagement rate (rows with reach): vk 65/1500, instagram 180/2000 = 0.09, all 245/3500 = 0.07
#   follower growth: vk (3+1) - (1+0) = 3, instagram (10+0) - (2+15) = -7, all -4

IDS = ["social_reach", "social_interactions", "social_engagement_rate", "follower_growth"]


def _client(make_client, text: str = SOCIAL_CSV, name: str = "client"):
    folder = make_client(
        {"social.csv": text}, name=name, data={"social": {"path": "data/social.csv"}}
    )
    return load_client(folder, emit_warnings=False)


@pytest.fixture
def social(make_client):
    return _client(make_client)


def test_totals_and_rate_over_the_period(social):
    values = {m: compute_metric(social, m).iloc[0] for m in IDS}
    assert all(list(compute_metric(social, m).columns)[:7] == RESULT_COLUMNS for m in IDS)
    assert values["social_reach"]["value"] == 3500
    assert values["social_interactions"]["value"] == 251
    rate = values["social_engagement_rate"]
    assert (rate["numerator"], rate["denominator"], rate["value"]) == (245, 3500, 0.07)
    assert math.isnan(rate["ci_low"])  # a ratio of totals: no interval
    growth = values["follower_growth"]
    assert (growth["value"], growth["follows"], growth["unfollows"]) == (-4, 14, 18)
    assert math.isnan(growth["ci_low"])


def test_by_network_and_by_post(social):
    rate = compute_metric(social, "social_engagement_rate", by="network").set_index("network")
    assert rate["value"].to_dict() == pytest.approx({"instagram": 0.09, "vk": 65 / 1500})
    growth = compute_metric(social, "follower_growth", by="network").set_index("network")
    assert growth["value"].to_dict() == {"instagram": -7, "vk": 3}
    reach = compute_metric(social, "social_reach", by="post_id").set_index("post_id")
    assert reach["value"].to_dict() == {"p1": 1000, "p2": 500, "p3": 2000, "p4": 0}
    per_post = compute_metric(social, "social_engagement_rate", by="post_id").set_index("post_id")
    assert per_post.loc["p4", "note"] == "no reach in the period"
    with pytest.raises(ParameterError, match="'follower_growth' cannot be grouped by 'post_id'"):
        compute_metric(social, "follower_growth", by="post_id")


def test_interaction_mix_shares_with_wilson(social):
    mix = interaction_mix(social, window(social))
    assert list(mix.columns) == ["network", "type", "interactions", "share", "ci_low", "ci_high"]
    vk = mix[mix["network"] == "vk"].set_index("type")
    # vk: likes 40+10 = 50, comments 5, shares 10, clicks 30+10 = 40; total 105
    assert vk["interactions"].tolist() == [50, 5, 10, 40]
    assert vk.index.tolist() == ["likes", "comments", "shares", "clicks"]
    assert vk.loc["likes", "share"] == pytest.approx(50 / 105)
    # R: prop.test(50, 105, correct = FALSE)$conf.int -> 0.383200 0.570862
    assert vk.loc["likes", ["ci_low", "ci_high"]].tolist() == pytest.approx(
        [0.383200, 0.570862], abs=1e-6
    )
    insta = mix[mix["network"] == "instagram"].set_index("type")
    # instagram: likes 155, comments 21, shares 10, clicks 2; total 188
    # R: prop.test(2, 188, correct = FALSE)$conf.int -> 0.002922 0.037952
    assert insta.loc["clicks", ["ci_low", "ci_high"]].tolist() == pytest.approx(
        [0.002922, 0.037952], abs=1e-6
    )
    assert mix.groupby("network")["share"].sum().tolist() == pytest.approx([1.0, 1.0])


def test_post_engagement_sorted_best_first(social):
    posts = post_engagement(social, window(social))
    assert list(posts.columns) == ["network", "post_id", "date", "reach", "interactions",
                                   "engagement_rate"]  # fmt: skip
    # p3 180/2000 = 0.09, p1 50/1000 = 0.05, p2 15/500 = 0.03, p4 no reach
    assert posts["post_id"].tolist() == ["p3", "p1", "p2", "p4"]
    assert posts["engagement_rate"].tolist()[:3] == pytest.approx([0.09, 0.05, 0.03])
    assert math.isnan(posts["engagement_rate"].iloc[3])


def test_daily_totals_have_no_posts(make_client):
    text = "date,network,reach,likes,comments,shares\n2026-10-02,vk,300,9,1,2\n"
    client = _client(make_client, text)
    posts = post_engagement(client, window(client))
    assert posts.empty and list(posts.columns)[:2] == ["network", "post_id"]
    # 9 + 1 + 2 = 12 interactions / 300 reach = 0.04
    assert compute_metric(client, "social_engagement_rate")["value"].item() == 0.04
    with pytest.raises(DataError, match="the social table has no 'post_id' column"):
        compute_metric(client, "social_reach", by="post_id")


def test_missing_columns_are_named(make_client):
    client = _client(make_client, "date,network,post_id,reach,likes\n2026-10-02,vk,p1,10,1\n")
    assert get_metric("social_interactions").missing(client) == ["social.comments",
                                                                  "social.shares"]  # fmt: skip
    assert get_metric("follower_growth").missing(client) == ["social.follows"]
    assert get_metric("social_reach").missing(client) == []
    table = catalogue(client).set_index("metric")
    assert table.loc["social_reach", "supported"]
    assert table.loc["social_engagement_rate", "missing"] == "social.comments, social.shares"
    assert table.loc["email_open_rate", "missing"] == "email table"


def test_follower_growth_without_unfollows_counts_follows(make_client):
    client = _client(make_client, "date,network,follows\n2026-10-02,vk,5\n2026-10-03,vk,2\n")
    assert compute_metric(client, "follower_growth")["value"].item() == 7


def test_compare_periods_on_social_metrics(social):
    table = compare_periods(social, IDS).set_index("metric")
    # interactions: count -> exact Poisson test, 251 now vs 2 before
    assert table.loc["social_interactions", "test"] == "poisson_exact"
    assert table.loc["social_interactions", "previous_value"] == 2
    # sums of reach and net follows, and the ratio: shown, not tested
    assert (table.loc[["social_reach", "follower_growth", "social_engagement_rate"], "test"]
            == "none").all()  # fmt: skip
    assert table.loc["social_engagement_rate", "previous_value"] == pytest.approx(0.02)  # 2/100
    assert table.loc["social_reach", "verdict"] == "better (not tested)"


def test_names_say_what_they_divide():
    metric = get_metric("social_engagement_rate")
    assert metric.name["en"] == "Social engagement rate (likes + comments + shares / reach)"
    assert metric.name["ru"] == "Вовлечённость в соцсетях (лайки + комментарии + репосты / охват)"
    assert metric.kind == "ratio" and metric.good == "up"
    assert "not distinct people" in get_metric("social_reach").definition["en"]
