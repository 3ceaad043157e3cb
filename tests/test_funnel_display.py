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
    shown = steps_table(_steps())
    assert list(shown.columns) == [
        "step_number",
        "step",
        "users",
        "share of step 1 (95% interval)",
        "share of previous (95% interval)",
        "dropped",
        "time from previous step: median",
        "time from previous step: 90% within",
        "time from step 1: median",
        "time from step 1: 90% within",
    ]
    first, second, third = (shown.iloc[i] for i in range(3))
    # step 1 is 100% by definition: no interval to show
    assert first["share of step 1 (95% interval)"] == "100.0%"
    assert first["share of previous (95% interval)"] == "100.0%"
    assert first["time from step 1: median"] == "–"
    assert second["share of step 1 (95% interval)"] == "33.0% (30.2%–36.0%)"
    assert second["time from previous step: median"] == "36 s"  # 0.01 h
    assert second["time from previous step: 90% within"] == "12 min"  # 0.2 h
    assert third["share of previous (95% interval)"] == "30.3% (25.7%–35.4%)"
    assert third["time from step 1: 90% within"] == "5.4 d"  # 130 h
    assert third["users"] == 100 and third["dropped"] == 230


def test_leak_table_rounds_purchases_and_writes_money_in_the_client_language() -> None:
    leaks = pd.DataFrame(
        {
            "rank": [1, 2],
            "previous_step": ["view", "cart"],
            "step": ["cart", "buy"],
            "lost_users": [670, 230],
            "downstream_conversion": [0.303, 1.0],
            "lost_conversions": [203.49, 230.0],
            "aov": [69.2, 69.2],
            "value": [14081.5, 15916.0],
            "value_low": [12000.0, 14000.0],
            "value_high": [16500.25, 17800.0],
            "currency": ["EUR", "EUR"],
        }
    )
    shown = leak_table(leaks)
    top = shown.iloc[0]
    assert top["step"] == "view → cart"
    assert top["purchases lost"] == 203  # whole purchases, not 203.49
    assert top["money at stake"] == "€14,081.50"
    assert top["money at stake (95% interval)"] == "€12,000.00 – €16,500.25"
    ru = leak_table(leaks, language="ru").iloc[0]
    assert ru["money at stake"] == "14\u202f081,50 €"


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
    shown = flagged_table(_segment_tests())
    assert shown["segment"].tolist() == ["display", "mobile"]  # biggest gap first; email dropped
    assert shown["than the rest"].tolist() == ["worse", "better"]
    assert shown["difference"].tolist() == ["−20.6 pp", "+8.1 pp"]
    assert flagged_table(_segment_tests(), language="ru")["difference"].iloc[0] == "−20,6 п.п."


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
    shown = period_table(compared)
    assert shown["significant"].tolist() == ["no", "yes"]
    assert shown["change of share of previous"].tolist() == ["–", "−0.3 pp"]  # step 1: none
    assert shown["change of share of step 1"].iloc[1] == "+5.9 pp"


def test_show_table_leaves_text_columns_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    # formatted text in "share" columns must not be formatted as a percentage again
    import funnelkit.presentation.display

    pages: list[str] = []
    monkeypatch.setattr(
        funnelkit.presentation.display, "display", lambda styled: pages.append(styled.to_html())
    )
    show_table(steps_table(_steps()))
    show_table(flagged_table(_segment_tests()))
    assert "33.0% (30.2%–36.0%)" in pages[0]
    assert "14.3%" in pages[1] and "−20.6 pp" in pages[1]  # rate as %, difference as text
