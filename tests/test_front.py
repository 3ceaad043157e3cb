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
