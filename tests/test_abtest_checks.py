"""Checks before a verdict: SRM against hand-computed chi-squares, exclusions, peeking."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest
from scipy import stats

from funnelkit.abtest import aggregate_checks, experiment_checks, srm_frame
from funnelkit.data.config import ExperimentConfig


def outcomes(counts: dict[str, int], *, reasons: dict[str, int] | None = None) -> pd.DataFrame:
    """A user-level frame: ``counts`` included users per variant, plus excluded users."""
    variants = [v for v, n in counts.items() for _ in range(n)]
    frame = pd.DataFrame(
        {
            "variant": variants,
            "assigned_at": pd.Timestamp("2026-10-01 12:00"),
            "excluded_reason": None,
        }
    )
    extra = [
        {"variant": None if r == "several_variants" else "control", "excluded_reason": r,
         "assigned_at": pd.Timestamp("2026-10-20")}
        for r, n in (reasons or {}).items()
        for _ in range(n)
    ]  # fmt: skip
    frame = pd.concat([frame, pd.DataFrame(extra)], ignore_index=True)
    frame.attrs.update({"window_days": 7.0, "observation_end": datetime(2026, 10, 30)})
    return frame


def config(**settings) -> ExperimentConfig:
    return ExperimentConfig(name="exp", planned_split={"control": 1, "b": 1}, **settings)


def row(checks: pd.DataFrame, name: str) -> pd.Series:
    return checks.set_index("check").loc[name]


def test_checks_in_order_with_statuses():
    checks = experiment_checks(outcomes({"control": 500, "b": 500}), config())
    assert checks.columns.tolist() == ["check", "status", "value", "detail"]
    assert checks["check"].tolist() == [
        "srm", "several_variants", "window_incomplete", "outside_period", "sample_size", "end_date",
    ]  # fmt: skip
    assert set(checks["status"]) == {"ok"}
    assert row(checks, "srm")["value"] == pytest.approx(1.0)


def test_srm_blocking_matches_hand_computed_chi_square():
    checks = experiment_checks(outcomes({"control": 600, "b": 400}), config())
    srm = row(checks, "srm")
    # By hand: expected 500 each; X² = 100²/500 + 100²/500 = 40, df = 1.
    # R: chisq.test(c(600, 400), p = c(0.5, 0.5)) -> X-squared = 40, p-value = 2.54e-10
    assert srm["value"] == pytest.approx(stats.chi2.sf(40, 1), rel=1e-12)
    assert srm["value"] == pytest.approx(2.539629e-10, rel=1e-6)
    assert srm["status"] == "blocking"
    assert "60.0% / 40.0% (control / b) against a planned 50.0% / 50.0%" in srm["detail"]
    assert "chi-square = 40.00, df = 1" in srm["detail"]
    assert "the verdict is withheld" in srm["detail"]


def test_srm_unequal_planned_split():
    plan = ExperimentConfig(name="exp", planned_split={"control": 2, "b": 1})
    srm = srm_frame(pd.Series({"control": 660, "b": 340}), plan)
    # R: chisq.test(c(660, 340), p = c(2, 1) / 3) -> X-squared = 0.2, p-value = 0.6547
    assert srm["statistic"].iloc[0] == pytest.approx(0.2, rel=1e-12)
    assert srm["p_value"].iloc[0] == pytest.approx(0.6547208, rel=1e-6)
    assert srm["expected_share"].round(4).tolist() == [0.6667, 0.3333]


def test_srm_equal_split_when_none_planned():
    checks = experiment_checks(outcomes({"control": 5350, "b": 4650}), ExperimentConfig(name="exp"))
    # R: chisq.test(c(5350, 4650)) -> X-squared = 49, p-value = 2.56e-12
    assert row(checks, "srm")["value"] == pytest.approx(stats.chi2.sf(49, 1), rel=1e-9)


def test_srm_counts_window_incomplete_but_not_double_assigned():
    frame = outcomes({"control": 500, "b": 450}, reasons={"window_incomplete": 50})
    frame.loc[frame["excluded_reason"] == "window_incomplete", "variant"] = "b"
    srm = row(experiment_checks(frame, config()), "srm")
    assert srm["value"] == pytest.approx(1.0)


def test_unplanned_variant_is_blocking():
    checks = experiment_checks(outcomes({"control": 500, "b": 500, "c": 10}), config())
    srm = row(checks, "srm")
    assert srm["status"] == "blocking" and pd.isna(srm["value"])
    assert "variant(s) ['c'] are in the data but not in planned_split" in srm["detail"]


def test_exclusions_are_counted():
    frame = outcomes(
        {"control": 500, "b": 500},
        reasons={"several_variants": 4, "window_incomplete": 30, "assigned_after_period": 2},
    )
    checks = experiment_checks(frame, config(), period_start=date(2026, 10, 5))
    several = row(checks, "several_variants")
    assert several["status"] == "warning" and several["value"] == 4
    assert (
        "4 users (0.39% of those assigned) were logged in more than one variant"
        in (several["detail"])
    )
    window = row(checks, "window_incomplete")
    assert (
        window["value"] == 30
        and "less than 7 days before the data end (2026-10-29)" in window["detail"]
    )
    outside = row(checks, "outside_period")
    # 2 after the period, 1,000 before its start (assigned 10-01 < 10-05).
    assert outside["status"] == "warning" and outside["value"] == 1002
    assert "2 users were assigned after the analysis period" in outside["detail"]
    assert "1,000 users were assigned before the period started" in outside["detail"]


def test_peeking_planned_sample_size_not_reached():
    checks = experiment_checks(
        outcomes({"control": 600, "b": 400}), config(planned_users_per_variant=1000)
    )
    size = row(checks, "sample_size")
    assert size["status"] == "warning" and size["value"] == 600
    assert "Not yet conclusive: the smallest variant has 400 of the 1,000" in size["detail"]
    assert "600 more are needed" in size["detail"]


def test_peeking_end_date_after_data_end():
    checks = experiment_checks(outcomes({"control": 500, "b": 500}), config(end_date="2026-11-12"))
    end = row(checks, "end_date")
    assert end["status"] == "warning" and end["value"] == 14
    assert "planned to run until 2026-11-12, and the data end on 2026-10-29" in end["detail"]
    done = experiment_checks(
        outcomes({"control": 500, "b": 500}), config(end_date="2026-10-29"),
        data_end=date(2026, 10, 29),
    )  # fmt: skip
    assert row(done, "end_date")["status"] == "ok"


def test_aggregate_checks_from_counts():
    counts = pd.DataFrame({"variant": ["control", "b"], "users": [600, 400]})
    checks = aggregate_checks(
        counts, config(planned_users_per_variant=300, end_date="2026-10-01"),
        data_end=date(2026, 10, 1),
    )  # fmt: skip
    assert checks["check"].tolist() == ["srm", "sample_size", "end_date"]
    assert checks["status"].tolist() == ["blocking", "ok", "ok"]
