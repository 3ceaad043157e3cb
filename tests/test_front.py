"""The front page: headline numbers, findings ranked by worth, what to fix first, what changed.

Every worth below is worked out by hand in the comments.
"""

from __future__ import annotations

import pandas as pd
import pytest

from funnelkit.presentation.front import (
    fix_first,
    front_page,
    headline_kpis,
    rank_findings,
    what_changed,
)


def _results(*, romi=-0.25, decision="ship", compass_stage="retention", leak_value=800.0):
    metrics = {
        "metrics": [
            {
                "metric": "visitors",
                "value": 1000.0,
                "previous_value": 800.0,
                "relative_change": 0.25,
                "verdict": "better",
            },
            {
                "metric": "conversion_rate",
                "value": 0.05,
                "previous_value": 0.04,
                "relative_change": 0.25,
                "verdict": "no significant change",
            },
            {
                "metric": "revenue",
                "value": 5000.0,
                "previous_value": 4000.0,
                "relative_change": 0.25,
                "verdict": "better (not tested)",
            },
        ],
        "channels": [{"channel": "display", "romi": romi, "spend": 400.0}],
    }
    funnel = {
        "aov": {"aov": 10.0},
        "leaks": [
            {
                "step": "cart",
                "previous_step": "view",
                "lost_users": 300,
                "downstream_conversion": 0.5,
                "value": leak_value,
                "value_low": 700.0,
                "value_high": 900.0,
                "stage": "purchase",
            }
        ],
        "significant_segments": [
            # 1,000 at the step before; rate 0.1 against 0.3 for the rest (diff −0.2, interval
            # −0.25 to −0.15); half of those who pass buy, at 10 each:
            # worth = 0.2 × 1,000 × 0.5 × 10 = 1,000 (interval 750 to 1,250)
            {
                "column": "device",
                "segment": "mobile",
                "step": "cart",
                "flag": "under",
                "users_previous": 1000,
                "rate": 0.1,
                "rest_rate": 0.3,
                "abs_diff": -0.2,
                "abs_ci_low": -0.25,
                "abs_ci_high": -0.15,
            },
            {
                "column": "device",
                "segment": "desktop",
                "step": "cart",
                "flag": "over",
                "users_previous": 1000,
                "rate": 0.4,
                "rest_rate": 0.2,
                "abs_diff": 0.2,
                "abs_ci_low": 0.15,
                "abs_ci_high": 0.25,
            },
        ],
    }
    experiments = {
        "experiments": {
            # lift 0.01 × 1,000 visitors × AOV 10 = 100 (interval 0.002 → 20 to 0.018 → 180)
            "button": {
                "decision": decision,
                "winner": "green",
                "goal_metric": "conversion",
                "metrics": [
                    {
                        "role": "goal",
                        "variant": "green",
                        "abs_lift": 0.01,
                        "abs_ci_low": 0.002,
                        "abs_ci_high": 0.018,
                    }
                ],
            },
            "banner": {"decision": "withheld", "winner": None, "metrics": []},
        }
    }
    stages = {"compass": [{"rank": 1, "stage": compass_stage}]}
    return {
        "01": {"metrics": metrics},
        "02": {"stages": stages},
        "03": {"funnel": funnel},
        "04": experiments,
    }


def test_findings_ranked_by_worth_with_unpriced_last():
    found = rank_findings(_results())
    assert found["key"].tolist() == [
        "segment:device=mobile@cart",  # 1,000
        "leak:view>cart",  # 800, from the chapter's own scenario
        "channel:display",  # 0.25 × 400 = 100 of margin the spend did not bring back
        "experiment:button",  # 100
        "experiment:banner",  # withheld: no money, last
    ]
    assert found["worth"].tolist()[:4] == pytest.approx([1000.0, 800.0, 100.0, 100.0])
    segment = found.iloc[0]
    assert (segment["worth_low"], segment["worth_high"]) == pytest.approx((750.0, 1250.0))
    ship = found.set_index("key").loc["experiment:button"]
    assert (ship["worth_low"], ship["worth_high"]) == pytest.approx((20.0, 180.0))
    assert found["rank"].tolist() == [1, 2, 3, 4, 5]
    assert len(rank_findings(_results(), limit=3)) == 3


def test_channels_that_pay_back_and_groups_doing_better_are_no_findings():
    found = rank_findings(_results(romi=0.4, decision="no_difference"))
    assert "channel:display" not in set(found["key"])
    button = found.set_index("key").loc["experiment:button"]  # listed, but worth nothing
    assert button["title"] == "The button test: no difference" and pd.isna(button["worth"])
    assert not found["key"].str.contains("desktop").any()


def test_fix_first_argues_against_a_compass_that_points_elsewhere():
    results = _results()
    text = fix_first(rank_findings(results), results)
    assert text.startswith("Fix first: mobile (device) visitors go on to cart far less often")
    assert "about €1,000" in text
    assert "compass ranks the retention stage first" in text and "work on retention next" in text
    assert "quickest gain is ready: The button test found a winner: green" in text


def test_fix_first_notes_when_the_compass_agrees_and_speaks_russian():
    results = _results(compass_stage="purchase")
    text = fix_first(rank_findings(results, language="ru"), results, language="ru")
    assert "Компас пути клиента согласен" in text and "«покупка»" in text
    assert "около 1\u00a0000\u00a0€" in text  # Babel's Russian money: no-break spaces


def test_fix_first_without_data_says_so():
    empty = rank_findings({})
    assert empty.empty
    assert "not enough to rank" in fix_first(empty, {})


def test_headline_kpis_name_what_rates_divide():
    kpis = headline_kpis(_results()).set_index("metric")
    assert kpis.loc["conversion_rate", "label"] == "Visitor → buyer (buyers / visitors)"
    assert kpis.loc["conversion_rate", "change"] == "+1.0 pp"  # shares move in points
    assert kpis.loc["conversion_rate", "tone"] == "neutral"  # not significant: no colour
    assert kpis.loc["visitors", "tone"] == "good" and kpis.loc["visitors", "change"] == "+25%"
    assert kpis.loc["revenue", "tone"] == "good"


def test_a_kpi_without_earlier_data_says_so_in_russian():
    """Seen on a ten-day Russian client: the cards read "no earlier data" in English."""
    results = _results()
    for row in results["01"]["metrics"]["metrics"]:
        row |= {"previous_value": None, "relative_change": None, "verdict": "no earlier data"}
    kpis = headline_kpis(results, language="ru")
    assert set(kpis["verdict"]) == {"нет данных за прошлый период"}


def test_what_changed_lists_kpis_findings_and_verdicts():
    now, before = _results(), _results(romi=0.5, decision="no_difference")
    before["01"]["metrics"]["metrics"][0] = {
        **before["01"]["metrics"]["metrics"][0],
        "value": 900.0,
    }
    lines = what_changed(
        now,
        before,
        findings_now=rank_findings(now),
        findings_before=rank_findings(before),
        previous_date="1 Nov 2026",
    )
    assert "Visitors: 1,000, was 900 in the report of 1 Nov 2026." in lines
    assert any(line.startswith("New finding: display does not pay back") for line in lines)
    assert "Test button: no difference → ship the winner." in lines


def test_front_page_html_links_each_finding_to_its_evidence():
    page = front_page(_results(), links={"funnel": "c03", "metrics": "c01"})
    assert page.count('href="#c03"') == 2 and page.count('href="#c01"') == 1
    assert "What changed" not in page  # no previous report
    assert "they are alternatives and are not added up" in page


def test_front_page_of_a_client_with_only_orders():
    results = {"01": {"metrics": {"metrics": [{"metric": "revenue", "value": 10.0}]}}}
    page = front_page(results)
    assert "Revenue" in page and "No finding could be ranked" in page
    assert isinstance(headline_kpis({}), pd.DataFrame) and headline_kpis({}).empty


def test_an_experiment_verdict_without_money_is_still_a_finding():
    results = {
        "04": {
            "overview": [{"experiment": "gate", "verdict": "Keep gate_30: retention fell."}],
            "experiments": {"gate": {"decision": "keep_control", "winner": None}},
        }
    }
    found = rank_findings(results)
    assert found[["title", "action"]].to_numpy().tolist() == [
        ["The gate test: keep the control", "Keep gate_30: retention fell."]
    ]
    assert fix_first(found, results).endswith(
        "tests' verdicts first: The gate test: keep the control."
    )


def test_fix_first_follows_the_compass_when_nothing_is_priced():
    results = {"02": {"stages": {"compass": [{"rank": 1, "stage": "consideration"}]}}}
    text = fix_first(rank_findings(results), results)
    assert text.startswith("Fix first: the consideration stage. The journey compass ranks it")
    assert "comes second" not in text


# --- customer value (chapter 06): the model's new-customer value and customers slipping away ---
def _clv(**changes):
    clv = {
        "available": True,
        "model": "BG/NBD + Gamma-Gamma",
        "horizon_weeks": 52.0,
        "mean_clv": 40.0,
        "mean_clv_low": 35.0,
        "mean_clv_high": 46.0,
        "new_customer_clv": 85.0,
        "new_customer_clv_low": 70.0,
        "new_customer_clv_high": 99.0,
        "simple_clv": 33.28,
        "margin": 0.45,
        "reliable": True,
        "caveats": [],
    }
    return {**clv, **changes}


def _segments(at_risk=30, cant_lose=5):
    return [
        {"segment": "champions", "customers": 50, "share": 0.25, "revenue": 6000.0,
         "revenue_share": 0.5, "name": "Champions", "action": "Reward them."},
        {"segment": "at_risk", "customers": at_risk, "share": 0.15, "revenue": 1200.0,
         "revenue_share": 0.1, "name": "At risk", "action": "Win them back with an offer."},
        {"segment": "cant_lose_them", "customers": cant_lose, "share": 0.025, "revenue": 600.0,
         "revenue_share": 0.05, "name": "Can't lose them", "action": "Call them personally."},
    ]  # fmt: skip


def _with_value(clv=None, segments=None):
    results = _results()
    results["06_customer_value"] = {
        "value": {"available": True, "clv": clv or _clv(), "segments": segments or [],
                  "customers": 200, "horizon_weeks": 52.0}
    }  # fmt: skip
    return results


def test_headline_names_the_model_behind_a_new_customers_value():
    kpis = headline_kpis(_with_value()).set_index("metric")
    row = kpis.loc["new_customer_clv"]
    assert row["label"] == (
        "Value of a new customer (first order + next 52 weeks; model: BG/NBD + Gamma-Gamma)"
    )
    assert row["value"] == "€85.00" and row["tone"] == "neutral" and row["verdict"] == ""
    # no before: the model is fitted on this report's history only
    assert row["previous"] == "–" and row["change"] == "" and row["direction"] == "flat"
    assert row["interval"] == "gross profit; 95% interval €70.00 to €99.00"
    assert kpis.loc["visitors", "interval"] == ""  # the other cards keep their before
    page = front_page(_with_value())
    card = page.split("Value of a new customer")[1].split("</div>")[0]
    assert "€85.00" in card and "95% interval €70.00 to €99.00" in card
    assert "in the period before" not in card  # a missing before is not written as "– vs –"


def test_an_unreliable_model_value_is_only_indicative():
    clv = _clv(reliable=False, caveats=["short_history", "holdout_miss"], margin=1.0)
    row = headline_kpis(_with_value(clv)).set_index("metric").loc["new_customer_clv"]
    assert row["value"] == "≈ €85.00" and row["tone"] == "indicative"
    assert row["verdict"] == (
        "indicative: the history is short; it missed the weeks held out to check it"
    )
    assert row["interval"].startswith("revenue; 95% interval")
    card = front_page(_with_value(clv)).split("Value of a new customer")[1].split("</div>")[0]
    assert "≈ €85.00" in card and "indicative: the history is short" in card
    unknown = _clv(reliable=False, caveats=[])
    assert headline_kpis(_with_value(unknown)).iloc[-1]["verdict"] == "indicative only"
    ru = headline_kpis(_with_value(clv), language="ru").set_index("metric")
    assert ru.loc["new_customer_clv", "label"] == (
        "Ценность нового клиента (первый заказ + следующие 52 нед.; модель: BG/NBD + Gamma-Gamma)"
    )
    assert ru.loc["new_customer_clv", "verdict"].startswith(
        "ориентировочно: история покупок короткая; прогноз не совпал"
    )
    assert ru.loc["new_customer_clv", "interval"].startswith("выручка; 95%-й интервал: от 70,00")


def test_no_model_value_without_chapter_six_or_when_it_could_not_be_fitted():
    assert "new_customer_clv" not in set(headline_kpis(_results())["metric"])
    absent = _with_value({"available": False, "reason": "too few repeat buyers"})
    assert "new_customer_clv" not in set(headline_kpis(absent)["metric"])
    # a chapter-06 result written before the new keys: nothing, and no crash
    old = _with_value({"available": True, "mean_clv": 40.0, "simple_clv": 33.0})
    assert "new_customer_clv" not in set(headline_kpis(old)["metric"])
    no_interval = _clv(new_customer_clv_low=None, new_customer_clv_high=None)
    row = headline_kpis(_with_value(no_interval)).iloc[-1]
    assert row["interval"] == "gross profit" and row["value"] == "€85.00"


def test_customers_who_stopped_buying_are_an_unpriced_finding():
    results = _with_value(segments=_segments())
    found = rank_findings(results, limit=10).set_index("key")
    row = found.loc["customers:slipping"]
    # at risk 30 + can't lose them 5 = 35 customers; 10% + 5% = 15% of revenue
    assert row["title"] == (
        "35 customers who used to buy often have not ordered for a long time; they brought "
        "15.0% of revenue"
    )
    # each segment named with its size and its own action
    assert row["action"] == (
        "At risk (30): Win them back with an offer. Can't lose them (5): Call them personally."
    )
    assert pd.isna(row["worth"]) and row["link"] == "value:segments"
    assert found.index[-1] == "customers:slipping" or pd.isna(found["worth"].iloc[-1])
    priced = found[found["worth"].notna()]
    assert found.index.get_loc("customers:slipping") > found.index.get_loc(priced.index[-1])
    # linked to the segment section when given, else to the chapter
    alone = {"06": results["06_customer_value"]}
    assert 'href="#c06-segments"' in front_page(
        alone, links={"value": "c06", "value:segments": "c06-segments"}
    )
    assert 'href="#c06"' in front_page(alone, links={"value": "c06"})
    ru = rank_findings(results, language="ru", limit=10).set_index("key")
    assert ru.loc["customers:slipping", "title"] == (
        "Клиентов, которые раньше покупали часто, но давно не делали заказов: 35; они принесли "
        "15,0\u00a0% выручки"
    )


def test_no_slipping_finding_when_both_segments_are_empty():
    results = _with_value(segments=_segments(at_risk=0, cant_lose=0))
    assert "customers:slipping" not in set(rank_findings(results, limit=10)["key"])
    only_one = _with_value(segments=_segments(at_risk=0, cant_lose=4))
    row = rank_findings(only_one, limit=10).set_index("key").loc["customers:slipping"]
    assert row["title"].startswith("4 customers")
    assert row["action"] == "Can't lose them (4): Call them personally."


def test_glossary_says_which_clv_is_used_where():
    from funnelkit.presentation.front import glossary

    en, ru = dict(glossary("en")), dict(glossary("ru"))
    assert "simple formula" in en["CLV"] and "BG/NBD + Gamma-Gamma" in en["CLV"]
    assert "LTV:CAC" in en["CLV"] and "customer-value chapter" in en["CLV"]
    assert "Простая формула" in ru["CLV"] and "Модель (BG/NBD + Gamma-Gamma)" in ru["CLV"]


def test_fix_first_with_only_unpriced_findings_points_at_the_first():
    """CDNOW-like: orders only, no compass, one unpriced finding (customers slipping away)."""
    results = _with_value(segments=_segments())
    only = {"06_customer_value": results["06_customer_value"]}
    findings = rank_findings(only, limit=10)
    assert findings["worth"].isna().all()
    text = fix_first(findings, only)
    assert text.startswith("Nothing in these data can be priced")
    assert "35 customers who used to buy often" in text
    ru = fix_first(rank_findings(only, language="ru", limit=10), only, language="ru")
    assert ru.startswith("В этих данных нечего оценить в деньгах")
