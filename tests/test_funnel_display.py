"""The funnel tables as a client reads them (notebook 03): formatting only, numbers unchanged."""

from __future__ import annotations

import pandas as pd
import pytest

from funnelkit.core.formatting import format_hours
from funnelkit.presentation.funnel.display import (
    flagged_table,
    leak_table,
    period_table,
    show_table,
    steps_table,
)


@pytest.mark.parametrize(
    ("hours", "text"),
    [
        (0.0, "0 s"),
        (59.4 / 3600, "59 s"),
        (60 / 3600, "1.0 min"),
        (9.96 / 60, "10 min"),  # 9.96 min rounds to 10.0: shown without a decimal
        (45 / 60, "45 min"),
        (1.0, "1.0 h"),
        (47.9, "48 h"),
        (48.0, "2.0 d"),
        (24 * 12.4, "12 d"),
        (float("nan"), "–"),
        (None, "–"),
    ],
)
def test_format_hours_picks_the_unit(hours: float, text: str) -> None:
    assert format_hours(hours) == text


def test_format_hours_without_decimals_for_chart_axes() -> None:
    assert [format_hours(h, digits=0) for h in (0.1, 1.0, 10.0, 96.0)] == [
        "6 min",
        "1 h",
        "10 h",
        "4 d",
    ]


def _steps() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "step_number": [1, 2, 3],
            "step": ["view", "cart", "buy"],
            "users": [1000, 330, 100],
            "share_of_first": [1.0, 0.33, 0.10],
            "share_of_first_ci_low": [0.9962, 0.3017, 0.0827],  # Wilson's low end for 100%
            "share_of_first_ci_high": [1.0, 0.3596, 0.1204],
            "share_of_previous": [1.0, 0.33, 0.30303],
            "share_of_previous_ci_low": [0.9962, 0.3017, 0.2566],
            "share_of_previous_ci_high": [1.0, 0.3596, 0.3537],
            "dropped": [0, 670, 230],
            "time_from_previous_median": [float("nan"), 0.01, 26.0],
            "time_from_previous_p90": [float("nan"), 0.2, 100.0],
            "time_from_first_median": [float("nan"), 0.01, 27.5],
            "time_from_first_p90": [float("nan"), 0.2, 130.0],
        }
    )


def test_steps_table_shows_intervals_and_readable_times() -> None:
    shown = steps_table(_steps(), language="en")
    assert list(shown.columns) == [
        "Step no.",
        "Step",
        "Users",
        "Share of step 1: users / users at step 1 (95% interval)",
        "Pass rate: users / users at the step before (95% interval)",
        "Lost at this step",
        "Time from the step before: median",
        "Time from the step before: 90% within",
        "Time from step 1: median",
        "Time from step 1: 90% within",
    ]
    first, second, third = (shown.iloc[i] for i in range(3))
    share, rate = shown.columns[3], shown.columns[4]
    # step 1 is 100% by definition: no interval to show
    assert first[share] == "100.0%" and first[rate] == "100.0%"
    assert first["Time from step 1: median"] == "–"
    assert second[share] == "33.0% (30.2%–36.0%)"
    assert second["Time from the step before: median"] == "36 s"  # 0.01 h
    assert second["Time from the step before: 90% within"] == "12 min"  # 0.2 h
    assert third[rate] == "30.3% (25.7%–35.4%)"
    assert third["Time from step 1: 90% within"] == "5.4 d"  # 130 h
    # counts are whole numbers as text: never 100.00
    assert third["Users"] == "100" and third["Lost at this step"] == "230"


def test_steps_table_in_russian_has_no_english_header() -> None:
    shown = steps_table(_steps(), language="ru")
    assert shown.columns[0] == "№ шага" and shown.columns[2] == "Пользователи"
    assert all(
        not any(c.isascii() and c.isalpha() for c in h.replace("p", "")) for h in shown.columns
    )
    assert shown.iloc[1, 3] == "33,0\xa0% (30,2\xa0%–36,0\xa0%)"


def _leaks() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "rank": [1, 2],
            "previous_step": ["view", "cart"],
            "step": ["cart", "buy"],
            "lost_users": [670, 230],
            "rate": [0.33, 0.303],
            "scenario": ["best_segment", "previous_period"],
            "scenario_detail": ["device = desktop", ""],
            "target_rate": [0.36, 0.35],
            "extra_purchases": [203.49, 15.6],
            "value": [14081.5, 1080.0],
            "value_low": [12000.0, 500.0],
            "value_high": [16500.25, 1700.0],
            "capped": [False, True],
            "currency": ["EUR", "EUR"],
        }
    )


def test_leak_table_states_the_scenario_and_writes_money_in_the_client_language() -> None:
    shown = leak_table(_leaks(), language="en")
    top = shown.iloc[0]
    assert top["Step"] == "view → cart"
    assert top["Scenario"] == "best group this period (device = desktop)"
    assert top["Pass rate now (step / step before)"] == "33.0%"
    assert top["Pass rate in the scenario"] == "36.0%"
    assert top["Extra buyers in the scenario"] == "203"  # whole buyers, not 203.49
    assert top["Extra revenue in the scenario (do not add up)"] == "€14,082"
    assert top["95% interval"] == "€12,000 – €16,500"
    assert shown["Capped at the most the step could add"].tolist() == ["no", "yes"]
    assert shown.iloc[1]["Scenario"] == "rate of the previous period"
    ru = leak_table(_leaks(), language="ru").iloc[0]
    assert ru["Дополнительная выручка в сценарии (не складывать)"] == "14\xa0082\xa0€"
    assert ru["Сценарий"] == "лучшая группа этого периода (устройство = desktop)"


def test_a_step_nobody_passed_shows_dashes_not_a_crash() -> None:
    """Found on a random client: steps 4 and 5 reached by nobody leave 0 of 0 going on to buy,
    so there is no number of extra buyers to state (leak_table raised on round(NaN))."""
    from funnelkit.funnel.money import leak_opportunities
    from funnelkit.funnel.money_text import leak_sentence

    table = pd.DataFrame({"step_number": [1, 2, 3, 4], "step": ["view", "cart", "pay", "buy"],
                          "users": [60, 25, 1, 0]})  # fmt: skip
    leaks = leak_opportunities(table, aov=50.0, aov_ci=(40.0, 60.0))
    shown = leak_table(leaks, language="en").set_index("Step")
    assert shown.loc["pay → buy", "Extra buyers in the scenario"] == "–"
    assert shown.loc["pay → buy", "Extra revenue in the scenario (do not add up)"] == "–"
    assert shown.loc["pay → buy", "95% interval"] == "–"  # not "– – –"
    assert shown.loc["view → cart", "Extra buyers in the scenario"] == "0"
    assert "nan" not in leak_sentence(leaks, "en").lower()


def _segment_tests() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "column": ["channel", "channel", "device"],
            "segment": ["display", "email", "mobile"],
            "step": ["cart", "cart", "buy"],
            "flag": ["under", "", "over"],
            "users_previous": [1451, 900, 781],
            "rate": [0.143, 0.31, 0.80],
            "rest_rate": [0.349, 0.33, 0.72],
            "abs_diff": [-0.206, -0.02, 0.081],
            "p_value_adjusted": [0.0001, 0.4, 0.002],
        }
    )


def test_flagged_table_keeps_significant_rows_with_differences_in_points() -> None:
    shown = flagged_table(_segment_tests(), language="en")
    assert shown["Group"].tolist() == ["display", "mobile"]  # biggest gap first; email dropped
    assert shown["Against everyone else"].tolist() == [
        "worse than the rest",
        "better than the rest",
    ]
    assert shown["Difference"].tolist() == ["−20.6 pp", "+8.1 pp"]
    assert shown["Group's pass rate (step / step before)"].tolist() == ["14.3%", "80.0%"]
    assert shown["p, adjusted"].tolist() == ["< 0.001", "0.002"]
    ru = flagged_table(_segment_tests(), language="ru")
    assert ru["Разница"].iloc[0] == "−20,6 п.п." and ru["Разрез"].iloc[0] == "канал"


def test_period_table_says_yes_or_no_and_changes_in_points() -> None:
    compared = pd.DataFrame(
        {
            "step": ["view", "cart"],
            "previous_users": [900, 300],
            "users": [1000, 330],
            "previous_share_of_previous": [1.0, 0.333],
            "share_of_previous": [1.0, 0.33],
            "change_of_previous": [0.0, -0.003],
            "p_value_adjusted_of_previous": [float("nan"), 0.9],
            "previous_share_of_first": [1.0, 0.333],
            "share_of_first": [1.0, 0.33],
            "change_of_first": [0.0, 0.059],
            "p_value_adjusted_of_first": [float("nan"), 0.0004],
            "significant": [False, True],
        }
    )
    shown = period_table(compared, language="en")
    assert shown["Significant change"].tolist() == ["no", "yes"]  # never True/False
    assert shown["Change of the pass rate"].tolist() == ["–", "−0.3 pp"]  # step 1: none
    assert shown["Change of the share of step 1"].iloc[1] == "+5.9 pp"
    assert shown["Users now"].tolist() == ["1,000", "330"]


def test_show_table_leaves_text_columns_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    # formatted text must be shown as it is: no second formatting, no translated step names
    import funnelkit.presentation.funnel.tables as tables

    pages: list[str] = []
    monkeypatch.setattr(tables, "display", lambda table: pages.append(table.to_html()))
    show_table(steps_table(_steps(), language="en"))
    show_table(flagged_table(_segment_tests(), language="en"))
    assert "33.0% (30.2%–36.0%)" in pages[0] and "Step no." in pages[0]
    assert "14.3%" in pages[1] and "−20.6 pp" in pages[1]
