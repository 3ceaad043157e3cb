"""Results by segment (issue 12, item 3d): per-segment effects and the interaction test.

Checked against independent computations: the pooled z-test by hand (= R
``prop.test(correct = FALSE)``) per segment, and the interaction likelihood ratio by user-level
logistic regressions (``statsmodels`` formula ``Logit``; = R
``anova(glm(y ~ variant * segment, family = binomial), test = "Chisq")``).
"""

from __future__ import annotations

import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import stats
from test_abtest_shapes import ROW_EXPERIMENT, _users, _z_test

from funnelkit.abtest import analyze_experiment, interaction_test
from funnelkit.core.errors import DataError
from funnelkit.data.prepare import load_client
from funnelkit.presentation import abtest as abtest_report


@pytest.fixture
def row_client(make_client):
    """A client whose assignments file carries the outcomes and a country column."""

    def _make(frame: pd.DataFrame, **experiment):
        folder = make_client(
            {"users.csv": frame.to_csv(index=False)},
            data={
                "assignments": {
                    "path": "data/users.csv",
                    "columns": {"user_id": "uid", "variant": "group"},
                }
            },
            experiments=[ROW_EXPERIMENT | experiment],
        )
        return load_client(folder, emit_warnings=False)

    return _make


def test_segment_effects_and_the_interaction_test(row_client):
    users = _users(seed=5, n=1200)
    client = row_client(users, segments=["country"])
    result = analyze_experiment(client, "gate", bootstrap=0)
    effects = result.segments.set_index("level")
    assert effects.index.tolist() == ["DE", "FR", "US"]
    kept = (users["kept"] == "TRUE").astype(int)
    for level in ("DE", "FR", "US"):
        part = users[users["country"] == level]
        k = kept[part.index]
        a, b = part["group"] == "a", part["group"] == "b"
        expected = _z_test(k[a].sum(), a.sum(), k[b].sum(), b.sum())
        assert effects.loc[level, "p_value"] == pytest.approx(expected, rel=1e-9)
        assert effects.loc[level, "abs_ci_low"] < effects.loc[level, "abs_lift"]
    # independent: user-level logistic regressions, R anova(glm(kept ~ group * country,
    # family = binomial), test = "Chisq") interaction line
    data = users.assign(y=kept)
    full = smf.logit("y ~ C(group) * C(country)", data).fit(disp=0)
    additive = smf.logit("y ~ C(group) + C(country)", data).fit(disp=0)
    lr = 2 * (full.llf - additive.llf)
    test = result.segment_tests.set_index("segment").loc["country"]
    assert test["statistic"] == pytest.approx(lr, rel=1e-6)
    assert test["df"] == 2 and test["p_value"] == pytest.approx(stats.chi2.sf(lr, 2), rel=1e-6)
    assert test["p_value"] < 0.01  # the effect is planted in DE only
    note = " ".join(result.notes)  # plain words for a client; the R call stays in the docs
    assert "interaction test says whether the effect really differs" in note
    assert "anova" not in note
    # a segment never makes the verdict: the decision is the goal's over all users
    goal = result.comparisons.set_index("metric").loc["conversion"]
    assert result.decision == ("ship" if goal["significant"] else "no_difference")


def test_interaction_test_of_a_homogeneous_effect_is_not_significant():
    # the same odds ratio in both segments: LR statistic 0
    cells = pd.DataFrame(
        {
            "variant": ["a", "b", "a", "b"],
            "level": ["x", "x", "y", "y"],
            "users": [100, 100, 200, 200],
            "conversions": [20, 40, 40, 80],
        }
    )
    found = interaction_test(cells)
    assert found["df"] == 1 and found["statistic"] == pytest.approx(0.0, abs=1e-8)
    assert found["p_value"] == pytest.approx(1.0, abs=1e-6)


def test_segments_of_a_windowed_experiment_come_from_the_assignments_file(make_client):
    assignments = (
        "user_id,experiment,variant,assigned_at,device\nu1,exp,control,2026-10-01 10:00:00,mobile\n"
        "u2,exp,b,2026-10-01 10:00:00,mobile\nu3,exp,control,2026-10-01 10:00:00,desktop\n"
        "u4,exp,b,2026-10-01 10:00:00,\n"
    )
    events = "user_id,timestamp,event\nu2,2026-10-02 10:00:00,purchase\nu9,2026-10-30 1:00,x\n"
    folder = make_client(
        {"a.csv": assignments, "e.csv": events},
        data={"assignments": {"path": "data/a.csv"}, "events": {"path": "data/e.csv"}},
        experiments=[{"name": "exp", "segments": ["device"]}],
    )
    result = analyze_experiment(load_client(folder, emit_warnings=False), "exp", bootstrap=0)
    mobile = result.segments.set_index("level").loc["mobile"]
    assert (mobile["control_value"], mobile["value"]) == (0.0, 1.0)
    assert result.segment_tests["levels"].iloc[0] == 3  # mobile, desktop, (missing)
    folder = make_client(
        {"a.csv": assignments, "e.csv": events},
        data={"assignments": {"path": "data/a.csv"}, "events": {"path": "data/e.csv"}},
        experiments=[{"name": "exp", "segments": ["country"]}],
    )
    with pytest.raises(DataError, match=r"a segment column 'country'.*its columns are"):
        analyze_experiment(load_client(folder, emit_warnings=False), "exp", bootstrap=0)


def test_the_report_shows_segments_and_the_interaction_in_words(row_client):
    users = _users(seed=5, n=1200)
    result = analyze_experiment(row_client(users, segments=["country"]), "gate", bootstrap=0)
    table = abtest_report.segments_table(result)
    assert table["value"].tolist() == ["DE", "FR", "US"]
    de = result.segments.set_index("level").loc["DE"]
    row = table.set_index("value").loc["DE"]
    assert row["users: variant / control"] == f"{de['users']:,} / {de['control_users']:,}"
    assert row["variant: converted ÷ users"] == f"{de['value']:.1%}"
    assert row["difference"] == f"{de['abs_lift'] * 100:+.1f} pp".replace("-", "−")
    assert row["95% CI of the difference"].endswith(f"{de['abs_ci_high'] * 100:+.1f} pp")
    assert result.segment_tests["p_value"].iloc[0] < 0.001  # planted in DE only
    assert abtest_report.interaction_texts(result) == [
        "The effect differs between the values of country (p < 0.001): worth a closer look, "
        "but no segment decides the verdict."
    ]
    ru = abtest_report.segments_table(result, language="ru")
    assert ru.columns[:3].tolist() == ["сегмент", "значение", "вариант"]
    assert abtest_report.interaction_texts(result, language="ru")[0].startswith(
        "Эффект различается между значениями country (p < 0,001): стоит присмотреться"
    )
    # without `segments`, no table and no sentence
    plain = analyze_experiment(row_client(users), "gate", bootstrap=0)
    assert abtest_report.segments_table(plain).empty
    assert abtest_report.interaction_texts(plain) == []
