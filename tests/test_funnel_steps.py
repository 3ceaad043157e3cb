"""Per-step funnel tables: hand-counted tiny logs, zero denominators, timings, run_funnel."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import duckdb
import numpy as np
import pandas as pd
import pytest

from funnelkit.core.errors import FunnelkitError
from funnelkit.data.prepare import load_client
from funnelkit.funnel import (
    FunnelSpec,
    funnel_paths,
    funnel_steps,
    period_bounds,
    run_funnel,
    time_to_convert,
)
from funnelkit.funnel.durations import conversion_times
from funnelkit.presentation.funnel import semantics_box

STEPS = ["view", "cart", "buy"]


def _log() -> pd.DataFrame:
    rows = [
        # a: all three steps, 1 h then 2 h apart
        ("a", "2026-10-01 10:00", "view", "email"),
        ("a", "2026-10-01 11:00", "cart", "email"),
        ("a", "2026-10-01 13:00", "buy", "email"),
        # b: view then cart 3 h later
        ("b", "2026-10-02 09:00", "view", "email"),
        ("b", "2026-10-02 12:00", "cart", "email"),
        # c: view only
        ("c", "2026-10-03 09:00", "view", "display"),
        # d: cart 8 days after view: outside the 7-day window
        ("d", "2026-10-04 09:00", "view", "display"),
        ("d", "2026-10-12 09:00", "cart", "display"),
    ]
    frame = pd.DataFrame(rows, columns=["user_id", "timestamp", "event", "channel"])
    frame["timestamp"] = pd.to_datetime(frame["timestamp"])
    return frame


def test_hand_counted_users_shares_and_dropped():
    table = funnel_steps(funnel_paths(_log(), steps=STEPS), steps=STEPS)
    assert table["users"].tolist() == [4, 2, 1]
    assert table["share_of_first"].tolist() == [1.0, 0.5, 0.25]
    assert table["share_of_previous"].tolist() == [1.0, 0.5, 0.5]
    assert table["dropped"].tolist() == [0, 2, 1]
    # R: prop.test(2, 4, correct = FALSE)$conf.int -> 0.1500 0.8500 (Wilson)
    assert table.loc[1, "share_of_first_ci_low"] == pytest.approx(0.15, abs=1e-4)
    assert table.loc[1, "share_of_first_ci_high"] == pytest.approx(0.85, abs=1e-4)
    assert table.loc[1, "share_of_previous_ci_low"] == pytest.approx(0.15, abs=1e-4)


def test_timings_in_hours_median_and_p90():
    table = funnel_steps(funnel_paths(_log(), steps=STEPS), steps=STEPS)
    assert np.isnan(table.loc[0, "time_from_previous_median"])
    # cart: a after 1 h, b after 3 h -> median 2 h, p90 = 1 + 0.9 * 2 = 2.8 h
    assert table.loc[1, "time_from_previous_median"] == pytest.approx(2.0)
    assert table.loc[1, "time_from_previous_p90"] == pytest.approx(2.8)
    assert table.loc[2, "time_from_previous_median"] == pytest.approx(2.0)
    assert table.loc[2, "time_from_first_median"] == pytest.approx(3.0)
    durations = time_to_convert(funnel_paths(_log(), steps=STEPS), steps=STEPS)
    assert durations[["unit_id", "step", "hours"]].to_numpy().tolist() == [["a", "buy", 3.0]]


def test_breakdown_counts_each_segment():
    paths = funnel_paths(_log(), steps=STEPS, by=["channel"])
    table = funnel_steps(paths, steps=STEPS, by="channel").set_index(["channel", "step"])
    assert table.loc[("email", "view"), "users"] == 2
    assert table.loc[("email", "buy"), "share_of_first"] == 0.5
    assert table.loc[("display", "cart"), "users"] == 0
    assert table.loc[("display", "buy"), "users"] == 0


def _paths(rows: str, k: int = 3) -> duckdb.DuckDBPyRelation:
    cols = ", ".join(f"step_{i}_at" for i in range(1, k + 1))
    return duckdb.sql(f"SELECT * FROM (VALUES {rows}) t(unit_id, depth, {cols}, channel)")


def test_zero_users_at_a_step_gives_nan_not_an_error():
    paths = _paths(
        "('a', 1, TIMESTAMP '2026-10-01', NULL::TIMESTAMP, NULL::TIMESTAMP, 'x'), "
        "('b', 1, TIMESTAMP '2026-10-02', NULL::TIMESTAMP, NULL::TIMESTAMP, 'y')"
    )
    table = funnel_steps(paths, steps=STEPS)
    assert table["users"].tolist() == [2, 0, 0]
    assert table.loc[1, "share_of_previous"] == 0.0
    assert table.loc[1, "share_of_previous_ci_low"] == 0.0
    assert np.isnan(table.loc[2, "share_of_previous"])
    assert np.isnan(table.loc[2, "share_of_previous_ci_low"])
    assert np.isnan(table.loc[2, "time_from_first_median"])
    by = funnel_steps(paths, steps=STEPS, by="channel")
    assert len(by) == 6 and by["users"].tolist() == [1, 0, 0, 1, 0, 0]


def test_paths_missing_columns_named():
    paths = duckdb.sql("SELECT 'a' AS unit_id, 1 AS depth")
    with pytest.raises(FunnelkitError, match=r"lacks column\(s\) \['step_1_at'"):
        funnel_steps(paths, steps=["view", "buy"])
    with pytest.raises(FunnelkitError, match="`step` must be a step number from 2 to 2"):
        time_to_convert(paths, steps=["view", "buy"], step=3)


def test_period_bounds_and_bad_period():
    client = load_client(None, emit_warnings=False)
    start, end = period_bounds(client)
    assert start == datetime(2026, 9, 15) and end == datetime(2026, 10, 30)
    assert period_bounds(client, "previous") == (start - (end - start), start)
    with pytest.raises(FunnelkitError, match=r"one of \['current', 'previous'\], but 'last'"):
        period_bounds(client, "last")


EVENTS = """user_id,timestamp,event,channel
a,2026-10-01 10:00:00,view,email
a,2026-10-01 10:05:00,buy,email
b,2026-10-02 10:00:00,view,ads
c,2026-09-20 10:00:00,view,ads
c,2026-09-20 11:00:00,buy,ads
"""


def test_run_funnel_uses_config_and_period(make_client):
    folder = make_client(
        {"events.csv": EVENTS},
        data={"events": {"path": "data/events.csv"}},
        funnel={"steps": ["view", "buy"], "conversion_window_days": 2, "segments": ["channel"]},
    )
    client = load_client(folder, emit_warnings=False)
    result = run_funnel(client, by="channel")
    assert result.spec.conversion_window == timedelta(days=2)
    assert result.period == (datetime(2026, 10, 1), datetime(2026, 11, 1))
    assert result.table["users"].tolist() == [2, 1]
    assert set(result.by_table["channel"]) == {"email", "ads"}
    previous = run_funnel(client, period="previous")
    assert previous.table["users"].tolist() == [1, 1]
    strict = run_funnel(client, order="strict", steps=["view", "buy"])
    assert strict.spec.order == "strict"
    assert date(2026, 10, 1) == result.period[0].date()


def test_run_funnel_with_steps_needs_no_funnel_section(make_client):
    folder = make_client({"events.csv": EVENTS}, data={"events": {"path": "data/events.csv"}})
    client = load_client(folder, emit_warnings=False)
    assert client.config.funnel.steps == []
    result = run_funnel(client, steps=["view", "buy"])
    assert result.steps == ["view", "buy"]
    assert result.table["users"].tolist() == [2, 1]
    with pytest.raises(FunnelkitError, match="at least two steps"):
        run_funnel(client)


def test_semantics_box_reflects_the_spec():
    spec = FunnelSpec(
        ("view", "cart", "buy"),
        conversion_window=timedelta(hours=36),
        window_from="previous_step",
        order="strict",
        entry="first",
        exclusions=(("refund", 1, 3),),
        unit="session",
    )
    box = semantics_box(spec)
    assert "within 36 hours of the step before it" in box
    assert "no other event of the session in between" in box
    assert "only the session's first step-1 event" in box
    assert "`refund` between steps 1 and 3" in box
    assert "each session counts once" in box
    default = semantics_box(FunnelSpec(("view", "buy")))
    assert "within 7 days of step 1 (inclusive)" in default and "Exclusions:** none" in default
    assert "re-entry" in default and "other events may happen in between" in default


@pytest.mark.parametrize("seed", range(5))
def test_conversion_times_are_numpys_histogram_and_pandas_quantiles(seed):
    """The bins and quantiles counted in SQL equal np.histogram and pandas on the unit hours."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 400))
    start = pd.Timestamp("2026-10-01")
    seconds = rng.lognormal(8, 2.5, n).round()  # some under a minute, some over a month
    depth = rng.integers(1, 4, n)
    paths = pd.DataFrame({"unit_id": [f"u{i}" for i in range(n)], "depth": depth,
                          "step_1_at": start, "step_2_at": start + pd.to_timedelta(seconds, "s"),
                          "step_3_at": start + pd.to_timedelta(seconds * 2, "s")})  # fmt: skip
    relation = duckdb.connect().from_df(paths)
    for step in (2, 3):
        histogram, quantiles = conversion_times(relation, steps=STEPS, step=step, bins=25)
        hours = time_to_convert(relation, steps=STEPS, step=step)["hours"].clip(lower=1 / 60)
        assert quantiles["users"].iloc[0] == len(hours)
        if hours.empty:
            assert histogram.empty and np.isnan(quantiles["median_hours"].iloc[0])
            continue
        top = max(hours.max(), 1.0)
        edges = np.logspace(np.log10(1 / 60), np.log10(top), 26)
        edges[0], edges[-1] = 1 / 60, top  # logspace's last edge can fall a hair below the max
        expected, _ = np.histogram(hours, bins=edges)
        assert histogram["users"].tolist() == expected.tolist()
        assert histogram["users"].sum() == len(hours)  # every unit drawn, the longest too
        assert histogram["low_hours"].to_numpy() == pytest.approx(edges[:-1], rel=1e-12)
        row = quantiles.iloc[0]
        for column, q in (("p25_hours", 0.25), ("median_hours", 0.5), ("p75_hours", 0.75)):
            assert row[column] == pytest.approx(hours.quantile(q), rel=1e-12)
        assert row["max_hours"] == pytest.approx(hours.max(), rel=1e-12)
        assert row["step"] == STEPS[step - 1]


def test_conversion_times_refuse_a_bad_step_or_bin_count():
    paths = funnel_paths(_log(), steps=STEPS)
    with pytest.raises(FunnelkitError, match="step number from 2 to 3"):
        conversion_times(paths, steps=STEPS, step=1)
    with pytest.raises(FunnelkitError, match="at least 1"):
        conversion_times(paths, steps=STEPS, bins=0)
