"""The A/B statistics on two real public tests, against their published figures.

The datasets stay in ``../shared/data`` (licence unclear: internal validation only, never copied
into this repository). Point ``FUNNELKIT_SHARED_DATA`` elsewhere if needed; absent files skip.

Published figures used (rounded as published):
- Cookie Cats (DataCamp project "Mobile Games A/B Testing with Cookie Cats"; counts from
  ``cookie_cats/SOURCE.md``): gate_30 44,700 players, gate_40 45,489; 1-day retention 44.8% vs
  44.2%, 7-day retention 19.0% vs 18.2%; the 7-day drop is the one that matters (the project's
  bootstrap puts the probability that gate_30 retains better on day 7 at ~99.8%+).
- Udacity "Analyze A/B Test Results" (``udacity_ab_test/SOURCE.md``: 3,893 rows where group and
  landing page disagree, one duplicated user_id, 290,584 unique users): after dropping both,
  control 145,274 users / 17,489 conversions (0.1204), treatment 145,310 / 17,264 (0.1188);
  statsmodels ``proportions_ztest`` gives z = 1.31 (old minus new), one-sided p = 0.905 for
  "new page better", two-sided p ≈ 0.19: no evidence the new page converts better.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from funnelkit.abtest.bayes import bayes_proportions
from funnelkit.core.stats.proportions import compare_proportions, srm_test

pytestmark = pytest.mark.shared_data

SHARED = Path(
    os.environ.get("FUNNELKIT_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)


def _read(relative: str) -> pd.DataFrame:
    path = SHARED / relative
    if not path.exists():
        pytest.skip(f"shared dataset {relative} not found at {path}")
    return pd.read_csv(path)


@pytest.fixture(scope="module")
def cookie_cats() -> pd.DataFrame:
    return _read("cookie_cats/cookie_cats.csv")


@pytest.fixture(scope="module")
def udacity() -> pd.DataFrame:
    """The usual cleaning: drop group/page mismatches, then the duplicated user_id."""
    raw = _read("udacity_ab_test/ab_data.csv")
    aligned = raw[(raw["group"] == "control") == (raw["landing_page"] == "old_page")]
    assert len(raw) - len(aligned) == 3_893  # SOURCE.md: 1,928 + 1,965 mismatched rows
    return aligned.drop_duplicates("user_id")


def _by_version(data: pd.DataFrame, metric: str) -> pd.DataFrame:
    return (
        data.groupby("version")
        .agg(users=("userid", "size"), conversions=(metric, "sum"))
        .reset_index()
        .rename(columns={"version": "variant"})
    )


def test_cookie_cats_one_day_retention_not_significant(cookie_cats):
    # two-sided pooled z-test (no continuity correction), gate_40 vs control gate_30
    row = compare_proportions(_by_version(cookie_cats, "retention_1"), control="gate_30").iloc[0]
    assert (row["control_users"], row["users"]) == (44_700, 45_489)  # SOURCE.md group sizes
    assert row["control_rate"] == pytest.approx(0.448, abs=5e-4)  # published 44.8%
    assert row["rate"] == pytest.approx(0.442, abs=5e-4)  # published 44.2%
    assert row["test"] == "z_pooled"
    assert row["p_value"] > 0.05
    assert row["abs_ci_low"] < 0 < row["abs_ci_high"]


def test_cookie_cats_seven_day_retention_significant(cookie_cats):
    row = compare_proportions(_by_version(cookie_cats, "retention_7"), control="gate_30").iloc[0]
    assert row["control_rate"] == pytest.approx(0.190, abs=5e-4)  # published 19.0%
    assert row["rate"] == pytest.approx(0.182, abs=5e-4)  # published 18.2%
    assert row["p_value"] < 0.05
    assert row["abs_ci_high"] < 0 and row["rel_ci_high"] < 0
    # the other conventions agree on significance here
    assert max(row["chi2_yates_p_value"], row["fisher_p_value"]) < 0.05


def test_cookie_cats_bayes_gate_30_better_on_day_seven(cookie_cats):
    bayes = bayes_proportions(_by_version(cookie_cats, "retention_7"), control="gate_30").iloc[0]
    assert 1 - bayes["prob_beat_control"] > 0.999  # P(gate_30 retains better on day 7)
    assert bayes["expected_loss_choosing_variant"] > bayes["expected_loss_choosing_control"]


def test_cookie_cats_split_is_not_a_sample_ratio_mismatch_at_0_001(cookie_cats):
    users = cookie_cats.groupby("version").size().rename("users").reset_index()
    result = srm_test(users.rename(columns={"version": "variant"}))
    # by hand: X² = 2 · 394.5² / 45,094.5 = 6.90 on 1 df, p ≈ 0.0086
    assert result["statistic"].iloc[0] == pytest.approx(2 * 394.5**2 / 45_094.5, rel=1e-9)
    assert result["p_value"].iloc[0] > 0.001  # below the 0.001 SRM alarm, yet < 0.05
    assert result["p_value"].iloc[0] < 0.05


def test_udacity_landing_page_conversion(udacity):
    assert len(udacity) == 290_584  # SOURCE.md: unique users after cleaning
    counts = (
        udacity.groupby("group")
        .agg(users=("user_id", "size"), conversions=("converted", "sum"))
        .reset_index()
        .rename(columns={"group": "variant"})
    )
    row = compare_proportions(counts, control="control").iloc[0]
    assert (row["control_users"], row["control_conversions"]) == (145_274, 17_489)
    assert (row["users"], row["conversions"]) == (145_310, 17_264)
    assert row["control_rate"] == pytest.approx(0.1204, abs=5e-5)
    assert row["rate"] == pytest.approx(0.1188, abs=5e-5)
    assert row["statistic"] == pytest.approx(-1.31, abs=5e-3)  # published z = 1.31 (old - new)
    assert row["p_value"] == pytest.approx(0.19, abs=5e-3)  # two-sided
    one_sided = compare_proportions(counts, control="control", alternative="larger").iloc[0]
    assert one_sided["p_value"] == pytest.approx(0.905, abs=5e-4)  # published one-sided p
