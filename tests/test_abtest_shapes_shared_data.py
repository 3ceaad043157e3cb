"""Experiments in the shapes they arrive in, on real public data, through ``load_client``.

Client folders are written in ``tmp_path`` from ``../shared/data`` (never copied into this
repository) and analysed end to end with ``abtest.analyze_all(load_client(folder))``:

- Cookie Cats (``cookie_cats/cookie_cats.csv``: userid, version, sum_gamerounds, retention_1,
  retention_7; outcomes on the row, TRUE/FALSE, no timestamps), file as published. Published:
  1-day retention 44.8% vs 44.2% (not significant), 7-day 19.0% vs 18.2% (significant).
- Udacity landing page (``udacity_ab_test/ab_data.csv`` + ``countries.csv``) after the usual
  cleaning (drop the 3,893 rows where group and landing_page disagree; the one duplicated
  user counts once, by funnelkit's first-row rule): 290,584 users, 12.04% vs 11.88%,
  z = −1.31, p ≈ 0.19 (statsmodels ``proportions_ztest``). With ``converted`` on the row no
  user is lost to an outcome window.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml
from scipy import stats

from conftest import SHARED_DATA
from funnelkit import abtest
from funnelkit.data.prepare import load_client

pytestmark = pytest.mark.shared_data


def _source(relative: str) -> Path:
    path = SHARED_DATA / relative
    if not path.exists():
        pytest.skip(f"shared dataset {relative} not found at {path}")
    return path


def _client(folder: Path, document: dict) -> Path:
    base = {"client": folder.name, "period": {"start": "2017-01-01", "end": "2017-01-31"}}
    (folder / "client.yaml").write_text(yaml.safe_dump(base | document), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def cookie_cats(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("cookie_cats")
    (folder / "data").mkdir()
    shutil.copy(_source("cookie_cats/cookie_cats.csv"), folder / "data" / "cookie_cats.csv")
    _client(folder, {
        "data": {"assignments": {"path": "data/cookie_cats.csv",
                                 "columns": {"user_id": "userid", "variant": "version"}}},
        "experiments": [
            {"name": "gate_day7", "control": "gate_30", "goal": "retention_7",
             "outcomes": {"retention_1": "share", "retention_7": "share",
                          "sum_gamerounds": "mean"},
             "secondary_goals": ["retention_1", "sum_gamerounds"]},
            {"name": "gate_day1", "control": "gate_30", "goal": "retention_1",
             "outcomes": {"retention_1": "share"}},
        ],
    })  # fmt: skip
    return abtest.analyze_all(load_client(folder, emit_warnings=False), bootstrap=0)


@pytest.fixture(scope="module")
def udacity(tmp_path_factory) -> dict:
    raw = pd.read_csv(_source("udacity_ab_test/ab_data.csv"))
    countries = pd.read_csv(_source("udacity_ab_test/countries.csv"))
    aligned = raw[(raw["group"] == "control") == (raw["landing_page"] == "old_page")]
    assert len(raw) - len(aligned) == 3_893  # SOURCE.md: 1,928 + 1,965 mismatched rows
    folder = tmp_path_factory.mktemp("udacity")
    (folder / "data").mkdir()
    aligned.merge(countries, on="user_id", how="left").to_csv(
        folder / "data" / "ab_data.csv", index=False
    )
    _client(folder, {
        "data": {"assignments": {"path": "data/ab_data.csv",
                                 "columns": {"variant": "group", "assigned_at": "timestamp"}}},
        "experiments": [{"name": "landing_page", "control": "control", "goal": "converted",
                         "outcomes": {"converted": "share"}, "segments": ["country"]}],
    })  # fmt: skip
    return abtest.analyze_all(load_client(folder, emit_warnings=False), bootstrap=0)


def test_cookie_cats_seven_day_retention_from_the_file_as_published(cookie_cats):
    result = cookie_cats["gate_day7"]
    assert result.error is None
    assert result.variants["users"].tolist() == [44_700, 45_489]  # SOURCE.md group sizes
    goal = result.comparisons.set_index("metric").loc["conversion"]
    assert goal["control_value"] == pytest.approx(0.190, abs=5e-4)  # published 19.0%
    assert goal["value"] == pytest.approx(0.182, abs=5e-4)  # published 18.2%
    assert goal["p_value"] == pytest.approx(0.0016, abs=1e-4)
    assert result.decision == "keep_control"  # gate_40 retains worse on day 7
    checks = result.checks.set_index("check")
    assert checks.loc["window_incomplete", "value"] == 0  # final values: nobody dropped
    assert checks.loc["srm", "status"] == "ok"  # p ≈ 0.0086 > 0.001


def test_cookie_cats_one_day_retention_is_not_significant(cookie_cats):
    goal = cookie_cats["gate_day1"].comparisons.set_index("metric").loc["conversion"]
    assert goal["control_value"] == pytest.approx(0.448, abs=5e-4)  # published 44.8%
    assert goal["value"] == pytest.approx(0.442, abs=5e-4)  # published 44.2%
    assert goal["p_value"] == pytest.approx(0.074, abs=1e-3) and not goal["significant"]
    assert cookie_cats["gate_day1"].decision == "no_difference"


def test_cookie_cats_secondary_goals_holm_adjusted(cookie_cats):
    rows = cookie_cats["gate_day7"].comparisons.set_index("metric")
    day1, rounds = rows.loc["retention_1"], rows.loc["sum_gamerounds"]
    assert day1["role"] == rounds["role"] == "secondary_goal"
    assert day1["p_value"] == pytest.approx(0.074, abs=1e-3)
    # Holm over two: the smaller p doubles, the larger keeps max(own p, the smaller's adjusted)
    assert day1["p_value_adjusted"] == pytest.approx(2 * day1["p_value"], rel=1e-12)
    assert rounds["p_value_adjusted"] == pytest.approx(
        max(rounds["p_value"], day1["p_value_adjusted"]), rel=1e-12
    )
    data = pd.read_csv(_source("cookie_cats/cookie_cats.csv"))
    a = data.loc[data["version"] == "gate_30", "sum_gamerounds"]
    b = data.loc[data["version"] == "gate_40", "sum_gamerounds"]
    assert rounds["p_value"] == pytest.approx(
        stats.ttest_ind(b, a, equal_var=False).pvalue, rel=1e-6
    )  # R t.test(sum_gamerounds ~ version)


def test_udacity_converted_on_the_row_loses_no_user(udacity):
    result = udacity["landing_page"]
    assert result.error is None
    assert result.variants.set_index("variant")["users"].to_dict() == {
        "control": 145_274, "treatment": 145_310,
    }  # fmt: skip
    assert result.variants["users"].sum() == 290_584  # SOURCE.md unique users
    checks = result.checks.set_index("check")
    assert checks.loc["window_incomplete", "value"] == 0
    row = result.proportions.iloc[0]
    assert (row["control_conversions"], row["conversions"]) == (17_489, 17_264)
    assert row["control_rate"] == pytest.approx(0.1204, abs=5e-5)
    assert row["rate"] == pytest.approx(0.1188, abs=5e-5)
    assert row["statistic"] == pytest.approx(-1.31, abs=5e-3)  # published z = 1.31 (old - new)
    assert row["p_value"] == pytest.approx(0.19, abs=5e-3)
    assert result.decision == "no_difference"


def test_udacity_effect_by_country(udacity):
    result = udacity["landing_page"]
    effects = result.segments.set_index("level")
    assert effects.index.tolist() == ["CA", "UK", "US"]
    assert effects["users"].sum() + effects["control_users"].sum() == 290_584
    test = result.segment_tests.iloc[0]
    assert test["df"] == 2 and test["p_value"] > 0.05  # no evidence the effect differs
    assert result.decision == "no_difference"  # a segment never makes the verdict
