"""Planning a test from the client's own data: baseline, revenue spread, daily visitors, display."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from IPython.display import Markdown
from statsmodels.stats.proportion import proportion_confint

from funnelkit.abtest import (
    DEFAULT_BASELINE_RATE,
    DEFAULT_DAILY_USERS,
    PLANNING_COLUMNS,
    AnalysisError,
    analyze_experiment,
    plan_from_inputs,
    planning_goal,
    planning_inputs,
    sample_size_proportion,
)
from funnelkit.data.prepare import load_client
from funnelkit.presentation import abtest as abtest_report

START, END = pd.Timestamp("2026-09-15"), pd.Timestamp("2026-10-30")  # demo period, end exclusive


@pytest.fixture(scope="module")
def demo():
    return load_client(emit_warnings=False)


@pytest.fixture(scope="module")
def demo_events(demo):
    events = pd.read_parquet(demo.config.client_dir / "data" / "events.parquet")
    return events[(events["event_time"] >= START) & (events["event_time"] < END)]


@pytest.fixture(scope="module")
def inputs(demo):
    return planning_inputs(demo).set_index("input")


def test_baseline_is_the_share_of_visitors_reaching_the_goal(inputs, demo_events):
    visitors = demo_events["visitor_id"].nunique()
    buyers = demo_events.loc[demo_events["event_name"] == "purchase", "visitor_id"].nunique()
    rate = inputs.loc["baseline_rate"]
    assert (rate["numerator"], rate["denominator"]) == (buyers, visitors)
    assert rate["value"] == pytest.approx(buyers / visitors, rel=1e-12)
    low, high = proportion_confint(buyers, visitors, method="wilson")
    assert (rate["ci_low"], rate["ci_high"]) == pytest.approx((low, high), rel=1e-9)
    assert rate["goal"] == "purchase" and rate["source"] == "data"
    assert rate["divides_en"] == 'visitors with a "purchase" event / visitors with any event'
    assert (rate["start"], rate["end"], rate["days"]) == (START, END, 45)


def test_daily_visitors_are_distinct_visitors_per_day_averaged(inputs, demo_events):
    per_day = demo_events.groupby(demo_events["event_time"].dt.date)["visitor_id"].nunique()
    daily = inputs.loc["daily_visitors"]
    assert daily["numerator"] == per_day.sum() and daily["denominator"] == 45
    assert daily["value"] == pytest.approx(per_day.sum() / 45, rel=1e-12)
    assert daily["value"] > demo_events["visitor_id"].nunique() / 45  # returning visitors count


def test_revenue_per_visitor_counts_visitors_without_orders_as_zero(inputs, demo, demo_events):
    orders = pd.read_csv(demo.config.client_dir / "data" / "orders.csv", parse_dates=["created_at"])
    orders = orders[(orders["created_at"] >= START) & (orders["created_at"] < END)]
    visitors = demo_events["visitor_id"].unique()
    revenue = orders.groupby("customer_id")["revenue"].sum().reindex(visitors, fill_value=0.0)
    row = inputs.loc["revenue_per_visitor"]
    assert row["value"] == pytest.approx(revenue.mean(), rel=1e-9)
    assert row["variance"] == pytest.approx(revenue.var(ddof=1), rel=1e-9)
    assert row["sd"] == pytest.approx(revenue.std(ddof=1), rel=1e-9)
    assert row["denominator"] == len(visitors)


def test_overrides_win_and_keep_what_the_data_give(demo, inputs):
    given = planning_inputs(demo, baseline_rate=0.03, daily_users=500).set_index("input")
    assert given.loc["baseline_rate", "value"] == 0.03
    assert given.loc["daily_visitors", "value"] == 500
    assert set(given.loc[["baseline_rate", "daily_visitors"], "source"]) == {"parameter"}
    assert given.loc["baseline_rate", "data_value"] == inputs.loc["baseline_rate", "value"]
    assert np.isnan(given.loc["baseline_rate", "ci_low"])
    assert given.loc["baseline_rate", "note_en"] == "the data give 5.0%"  # no parameter names
    zero = planning_inputs(demo, baseline_rate=0, daily_users=0).set_index("input")
    assert set(zero["source"]) == {"data"}
    design = plan_from_inputs(given.reset_index(), mde=0.1)
    direct = sample_size_proportion(0.03, mde=0.1, relative=True)
    assert design["plan"]["n_total"].iloc[0] == direct["n_total"].iloc[0]
    assert design["duration"]["days"].iloc[0] == -(-direct["n_total"].iloc[0] // 500)
    assert design["reachable"]["n_control"].iloc[0] == 500 * 28 // 2


@pytest.mark.parametrize(("name", "value"), [("baseline_rate", 1.5), ("daily_users", -3)])
def test_overrides_out_of_range_are_refused(demo, name, value):
    with pytest.raises(AnalysisError, match=rf"`{name}` must be .*or 0 to take it from"):
        planning_inputs(demo, **{name: value})


ORDERS = "order_id,customer_id,timestamp,revenue\no1,u1,2026-10-01 10:00:00,50\n"
EVENTS = "user_id,timestamp,event\nu1,2026-10-01 10:00:00,page_view\nu2,2026-10-02 10:00:00,x\n"


def test_a_client_without_events_falls_back_to_the_defaults(make_client):
    folder = make_client({"orders.csv": ORDERS}, data={"orders": {"path": "data/orders.csv"}})
    frame = planning_inputs(load_client(folder, emit_warnings=False))
    assert frame.columns.tolist() == PLANNING_COLUMNS
    rows = frame.set_index("input")
    assert rows.index.tolist() == ["baseline_rate", "daily_visitors"]  # no visitors: no revenue
    assert rows.loc["baseline_rate", "value"] == DEFAULT_BASELINE_RATE
    assert rows.loc["daily_visitors", "value"] == DEFAULT_DAILY_USERS
    assert set(rows["source"]) == {"default"}
    assert rows.loc["baseline_rate", "note_en"] == 'no "events" table'  # the reason only
    assert rows.loc["daily_visitors", "note_ru"] == "нет таблицы «events»"
    design = plan_from_inputs(frame, mde=0.1)
    text = abtest_report.design_text(**design, inputs=frame)
    assert "from an **assumed** baseline conversion of **4.0%**" in text
    assert 'because no "events" table' in text
    assert "(source: an assumption, the standard default)" in text
    assert "baseline_rate" not in text and "client.yaml" not in text  # nothing for consultants
    table = abtest_report.planning_table(frame, language="ru")
    assert table["источник"].iloc[0] == (
        "допущение: стандартное значение по умолчанию (нет таблицы «events»)"
    )
    ru = abtest_report.design_text(**design, inputs=frame, language="ru")
    assert "**принятой допущением** базовой конверсии **4,0\xa0%**" in ru


def test_no_events_in_the_period_falls_back_too(make_client):
    folder = make_client({"events.csv": EVENTS}, data={"events": {"path": "data/events.csv"}},
                         period={"start": "2026-11-01", "end": "2026-11-30"})  # fmt: skip
    rows = planning_inputs(load_client(folder, emit_warnings=False)).set_index("input")
    assert set(rows["source"]) == {"default"}
    assert rows.loc["daily_visitors", "note_en"] == (
        "no events in the analysis period 2026-11-01 – 2026-11-30"
    )


def test_a_goal_nobody_reached_falls_back_with_the_reason(make_client):
    folder = make_client({"events.csv": EVENTS}, data={"events": {"path": "data/events.csv"}})
    rows = planning_inputs(load_client(folder, emit_warnings=False)).set_index("input")
    assert rows.loc["baseline_rate", "source"] == "default"
    assert rows.loc["baseline_rate", "data_value"] == 0
    assert rows.loc["baseline_rate", "note_en"].startswith('no visitor reached "purchase"')
    daily = rows.loc["daily_visitors"]  # 2 visitor-days; the data end on 2 Oct, not on 31 Oct
    assert daily["source"] == "data" and (daily["value"], daily["days"]) == (1.0, 2.0)


def test_the_goal_comes_from_experiments_then_funnel_then_purchase(make_client):
    data = {"events": {"path": "data/events.csv"}}
    files = {"events.csv": EVENTS}
    folder = make_client(files, data=data, name="a", experiments=[{"name": "e", "goal": "x"}],
                         funnel={"steps": ["page_view", "y"]})  # fmt: skip
    assert planning_goal(load_client(folder, emit_warnings=False)) == "x"
    folder = make_client(files, data=data, name="b", funnel={"steps": ["page_view", "x"]})
    client = load_client(folder, emit_warnings=False)
    assert planning_goal(client) == "x"
    rate = planning_inputs(client).set_index("input").loc["baseline_rate"]
    assert (rate["numerator"], rate["denominator"], rate["value"]) == (1, 2, 0.5)
    folder = make_client(files, data=data, name="c")
    assert planning_goal(load_client(folder, emit_warnings=False)) == "purchase"
    rate = planning_inputs(client, goal="page_*").set_index("input").loc["baseline_rate"]
    assert rate["numerator"] == 1 and rate["goal"] == "page_*"


def test_the_plan_says_which_numbers_it_used_and_where_from(demo, inputs, monkeypatch):
    frame = inputs.reset_index()
    design = plan_from_inputs(frame, mde=0.1)
    en = abtest_report.design_text(**design, inputs=frame)
    assert en.startswith(
        "- Planned for the goal `purchase` from a baseline conversion of **5.0%** (visitors with "
        'a "purchase" event / visitors with any event: 1,484 / 29,532), measured in the '
        "client's data over 2026-09-15 – 2026-10-29. Eligible visitors a day: **1,019** (source: "
        "the client's data)"
    )
    ru = abtest_report.design_text(**design, inputs=frame, language="ru").replace("\xa0", " ")
    assert ru.startswith(
        "- План для цели `purchase` исходит из базовой конверсии **5,0 %** (посетители с "
        "событием «purchase» / посетители с любым событием: 1 484 / 29 532), измеренной по "
        "данным клиента за 2026-09-15 – 2026-10-29. Подходящих посетителей в день: **1 019**"
    )
    assert "дн.**" in ru and "Бонферрони" not in ru and "alpha" not in ru
    table = abtest_report.planning_table(frame)
    assert table.columns.tolist() == ["number", "value", "95% interval", "what it divides",
                                      "period", "source"]  # fmt: skip
    assert table["what it divides"].iloc[0] == (
        '1,484 / 29,532: visitors with a "purchase" event / visitors with any event'
    )
    assert table["period"].iloc[0] == "2026-09-15 – 2026-10-29 (45 days)"
    assert table["value"].iloc[1].startswith("€3.63 (€18.")
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    abtest_report.show_plan(frame, design)
    assert any(isinstance(obj, Markdown) and "Planned for the goal" in obj.data for obj in shown)


def test_results_table_shows_the_statistic_and_the_yates_p(demo):
    result = analyze_experiment(demo, "checkout_button", bootstrap=0)
    proportions = result.proportions.iloc[0]
    table = abtest_report.results_table(result).set_index("metric")
    row = table.loc["conversion to purchase (buyers / users in the group) — goal"]
    assert row["test statistic"] == f"z = {proportions['statistic']:.2f}"
    assert row["p, chi-square with Yates' correction"] == (
        f"{proportions['chi2_yates_p_value']:.2g}"
    )
    assert row["p, chi-square with Yates' correction"] != row["p"]  # not the z-test's p again
    assert table.loc["revenue per user — guardrail", "p, chi-square with Yates' correction"] == "–"
    ru = abtest_report.results_table(result, language="ru")
    assert {"статистика критерия", "p, хи-квадрат с поправкой Йейтса"} <= set(ru.columns)
    assert ru["метрика"].iloc[0] == "конверсия в покупку (покупатели / пользователи группы) — цель"
    assert ru["решение"].iloc[0] == "внедрять вариант"
    assert ru["статистика критерия"].iloc[0] == (
        f"z = {proportions['statistic']:.2f}".replace(".", ",")
    )


def test_an_outcome_on_the_row_gives_the_control_groups_baseline(make_client):
    """Cookie Cats' shape: no events, the goal is a flag per user; the control group's rate."""
    rows = pd.DataFrame(
        {"userid": range(12), "version": ["a", "b"] * 6, "ret": [1, 0, 1, 1, 0, 0] * 2}
    )
    folder = make_client(
        {"ab.csv": rows.to_csv(index=False)},
        data={"assignments": {"path": "data/ab.csv",
                              "columns": {"user_id": "userid", "variant": "version"}}},
        experiments=[{"name": "gate", "control": "a", "goal": "ret", "outcomes": {"ret": "share"}}],
    )  # fmt: skip
    found = planning_inputs(load_client(folder, emit_warnings=False)).set_index("input")
    rate = found.loc["baseline_rate"]
    control = rows[rows["version"] == "a"]["ret"]
    assert rate["source"] == "data" and rate["value"] == pytest.approx(control.mean())
    assert (rate["numerator"], rate["denominator"]) == (control.sum(), len(control))
    low, high = proportion_confint(control.sum(), len(control), method="wilson")
    assert (rate["ci_low"], rate["ci_high"]) == (pytest.approx(low), pytest.approx(high))
    assert "control users" in rate["divides_en"]
    assert found.loc["daily_visitors", "source"] == "default"  # no events, no assignment times


def test_the_plan_uses_the_baseline_measured_on_the_demo(inputs, demo_events):
    """The plan starts from the data's conversion (buyers / visitors), never the 4% default."""
    visitors = demo_events["visitor_id"].nunique()
    buyers = demo_events.loc[demo_events["event_name"] == "purchase", "visitor_id"].nunique()
    frame = inputs.reset_index()
    design = plan_from_inputs(frame, mde=0.1)
    assert design["plan"]["baseline"].iloc[0] == pytest.approx(buyers / visitors, rel=1e-12)
    assert design["reachable"]["baseline"].iloc[0] == pytest.approx(buyers / visitors, rel=1e-12)
    assert abs(buyers / visitors - DEFAULT_BASELINE_RATE) > 0.005  # the demo's rate differs
    for language in ("en", "ru"):
        text = abtest_report.design_text(**design, inputs=frame, language=language)
        shown = abtest_report.planning_table(frame, language=language).iloc[0, 1]
        assert f"**{shown}**" in text  # the sentence quotes the table's measured value
        assert "4.0%" not in text and "4,0" not in text


def test_a_lift_past_100_percent_has_no_sample_size_and_says_why():
    """A goal nearly everyone reaches (91.7%): +10% would mean 100.8%. The plan says so in the
    client's language and still gives the smallest lift the traffic can detect, instead of
    stopping the chapter (found on a GA4 shop whose buyers were 11 of 12 visitors)."""
    frame = pd.DataFrame({"input": ["baseline_rate", "daily_visitors"], "value": [0.9167, 40.0]})
    design = plan_from_inputs(frame, mde=0.10)
    assert design["plan"]["n_total"].isna().all() and design["duration"].empty
    assert design["plan"]["target"].iloc[0] == pytest.approx(1.00837)
    assert design["reachable"]["n_control"].iloc[0] == 40 * 28 // 2
    text = abtest_report.design_text(**design)
    assert text.startswith("- A +10% relative lift on a conversion of 91.7% would take it to "
                           "100.8%, past 100%, so no test can show it")  # fmt: skip
    assert "the smallest lift the test can reliably detect is +4.4% (91.7% → 95.73%)" in text
    ru = abtest_report.design_text(**design, language="ru")
    assert ru.startswith("- Относительный прирост +10\xa0% при конверсии 91,7\xa0% довёл бы её")
    assert "наименьший прирост, который тест надёжно заметит: +4,4\xa0%" in ru


def test_traffic_too_small_for_any_lift_near_100_percent_says_so():
    """72 users per group on a 91.7% goal: not even 100% is detectable (mde_proportion has no
    answer); the plan says the test needs more visitors instead of stopping the chapter."""
    frame = pd.DataFrame({"input": ["baseline_rate", "daily_visitors"], "value": [0.9167, 5.15]})
    design = plan_from_inputs(frame, mde=0.10)
    assert design["reachable"]["target"].isna().all()
    text = abtest_report.design_text(**design)
    assert (
        "- With 72 users per group, not even a rise from 91.7% to 100% would be detected " in text
    )
    ru = abtest_report.design_text(**design, language="ru")
    assert "При 72 пользователях на группу тест надёжно не заметит даже рост с 91,7\xa0%" in ru
