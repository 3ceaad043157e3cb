"""Experiments in the shapes they arrive in (issue 12, item 3): outcomes on the row, per-variant
summaries and secondary goals (results by segment: ``test_abtest_segments.py``).

Every statistic is checked against an independent computation written here: the pooled z-test
by hand (= R ``prop.test(correct = FALSE)``), Welch by ``scipy.stats.ttest_ind(equal_var=False)``
(= R ``t.test``), Holm by hand (= R ``p.adjust(p, "holm")``), and the interaction test by a
user-level logistic regression (``statsmodels`` formula ``Logit``; = R
``anova(glm(y ~ variant * segment, family = binomial), test = "Chisq")``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from funnelkit import health
from funnelkit.abtest import (
    AnalysisError,
    analyze_aggregate,
    analyze_all,
    analyze_experiment,
    experiment_outcomes,
)
from funnelkit.core.errors import ConfigError, DataError
from funnelkit.data.config import ExperimentConfig, load_config
from funnelkit.data.prepare import load_client

ROW_EXPERIMENT = {
    "name": "gate",
    "control": "a",
    "outcomes": {"kept": "share", "rounds": "mean", "bought": "share"},
    "goal": "kept",
}


def _users(seed: int = 7, n: int = 400) -> pd.DataFrame:
    """Users of two variants with a flag, a number, a second flag and a country; no times."""
    rng = np.random.default_rng(seed)
    variant = np.repeat(["a", "b"], n // 2)
    country = rng.choice(["DE", "FR", "US"], size=n)
    # the effect of b on `kept` exists in DE only, so the segments differ
    p = np.where((variant == "b") & (country == "DE"), 0.75, 0.4)
    kept = rng.random(n) < p
    return pd.DataFrame(
        {
            "uid": [f"u{i}" for i in range(n)],
            "group": variant,
            "kept": np.where(kept, "TRUE", "FALSE"),
            "rounds": rng.poisson(np.where(variant == "b", 30, 20)).astype(float),
            "bought": (rng.random(n) < np.where(variant == "b", 0.30, 0.10)).astype(int),
            "country": country,
        }
    )


@pytest.fixture
def row_client(make_client):
    """A client whose assignments file carries the outcomes: ``row_client(frame, **exp)``."""

    def _make(frame: pd.DataFrame | None = None, csv: str | None = None, **experiment):
        text = (
            csv if csv is not None else (_users() if frame is None else frame).to_csv(index=False)
        )
        folder = make_client(
            {"users.csv": text},
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


def _z_test(x1: int, n1: int, x2: int, n2: int) -> float:
    """Two-sided pooled z-test without continuity correction (R prop.test(correct = FALSE))."""
    pooled = (x1 + x2) / (n1 + n2)
    z = (x2 / n2 - x1 / n1) / np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    return float(2 * stats.norm.sf(abs(z)))


def _holm(p: list[float]) -> list[float]:
    """Holm's step-down adjustment by hand (R p.adjust(p, "holm"))."""
    order = np.argsort(p)
    m = len(p)
    adjusted = np.empty(m)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        adjusted[i] = running
    return adjusted.tolist()


# -- outcomes on the row ------------------------------------------------------------------------


def test_outcomes_on_the_row_need_no_times_and_lose_no_user(row_client):
    users = _users()
    client = row_client(users)
    # the canonical table keeps its columns (absent optional ones NULL); the others lie beside it
    assert client.columns("assignments") == ["user_id", "variant", "experiment", "assigned_at"]
    beside = client.con.table("assignment_columns").columns
    assert beside == ["kept", "rounds", "bought", "country"]
    assert health.missing_values(client)["column"].tolist() == client.columns("assignments")
    result = analyze_experiment(client, "gate", bootstrap=0)
    kept = users["kept"] == "TRUE"
    counts = kept.groupby(users["group"]).agg(["sum", "size"])
    assert result.variants["users"].tolist() == [200, 200]  # nobody excluded for a window
    assert result.variants["conversions"].tolist() == counts["sum"].tolist()
    goal = result.comparisons.set_index("metric").loc["conversion"]
    expected = _z_test(counts.loc["a", "sum"], 200, counts.loc["b", "sum"], 200)
    assert goal["p_value"] == pytest.approx(expected, rel=1e-9)
    checks = result.checks.set_index("check")
    assert checks.loc["window_incomplete", "status"] == "ok"
    assert "final values" in checks.loc["window_incomplete", "detail"]
    assert result.daily.empty  # no assignment times: no day-by-day chart


def test_late_assignees_are_kept_when_the_outcome_is_on_the_row(row_client):
    # assigned on the last day of the period: a windowed goal would drop them, a final value not
    csv = "uid,group,kept,when\nu1,a,1,2026-10-31 23:00:00\nu2,b,0,2026-10-31 23:30:00\n"
    client = row_client(
        csv=csv, outcomes={"kept": "share"}, secondary_goals=[], segments=[], goal="kept"
    )
    assert client.frame("assignments")["assigned_at"].isna().all()  # `when` is not mapped
    out = experiment_outcomes(client, "gate")
    assert out["excluded_reason"].isna().all()
    assert out.set_index("user_id")["converted"].to_dict() == {"u1": 1, "u2": 0}


def test_flags_accept_one_zero_true_false_in_any_case(row_client):
    csv = "uid,group,kept\nu1,a,TRUE\nu2,a,false\nu3,b,1\nu4,b,0\nu5,b,True\nu6,a,1.0\n"
    client = row_client(csv=csv, outcomes={"kept": "share"}, goal="kept")
    out = experiment_outcomes(client, "gate").set_index("user_id")
    assert out["converted"].to_dict() == {"u1": 1, "u2": 0, "u3": 1, "u4": 0, "u5": 1, "u6": 1}


def test_repeated_user_counts_once_with_the_first_row(row_client):
    csv = "uid,group,kept\nu1,a,0\nu1,a,1\nu2,b,1\nu3,a,1\nu3,b,1\n"
    client = row_client(csv=csv, outcomes={"kept": "share"}, goal="kept")
    out = experiment_outcomes(client, "gate").set_index("user_id")
    assert out.loc["u1", "converted"] == 0  # first row, as drop_duplicates keeps
    assert out.loc["u3", "excluded_reason"] == "several_variants"


def test_unknown_outcome_column_names_file_column_and_fix(row_client):
    client = row_client(outcomes={"kept": "share", "revenue": "mean"})
    with pytest.raises(DataError) as info:
        analyze_experiment(client, "gate", bootstrap=0)
    message = str(info.value)
    assert "users.csv: experiment 'gate' names an outcome column 'revenue'" in message
    assert "its columns are" in message and "Fix the name under `experiments`" in message
    assert info.value.column == "revenue" and info.value.file == "users.csv"


def test_flags_that_are_not_flags_name_the_lines(row_client):
    csv = "uid,group,kept\nu1,a,1\nu2,b,yes\nu3,b,0\nu4,a,2\n"
    client = row_client(csv=csv, outcomes={"kept": "share"}, goal="kept")
    with pytest.raises(DataError) as info:
        experiment_outcomes(client, "gate")
    message = str(info.value)
    assert "users.csv: 2 rows (lines 3, 5) in column 'kept'" in message
    assert "must be flags written 1/0 or TRUE/FALSE" in message and "'yes', '2'" in message
    assert info.value.example_rows == [3, 5]


def test_non_numeric_and_empty_outcomes_are_errors(row_client):
    csv = "uid,group,kept,rounds\nu1,a,1,3\nu2,b,0,many\nu3,b,0,\n"
    client = row_client(csv=csv, outcomes={"kept": "share", "rounds": "mean"}, goal="kept")
    with pytest.raises(DataError, match=r"2 rows \(lines 3, 4\) in column 'rounds'.*numbers"):
        analyze_experiment(client, "gate")
    # analyze_all keeps the error with the experiment instead of stopping the others
    assert "must be numbers" in analyze_all(client)["gate"].error


@pytest.mark.parametrize(
    ("experiment", "fragment"),
    [
        ({"outcomes": {"rounds": "mean"}, "goal": "rounds"}, "the goal must be one of its 'share'"),
        ({"goal": "kept", "secondary_goals": ["nope"]}, "secondary goal(s) ['nope'] are not in"),
        ({"goal": "kept", "secondary_goals": ["kept"]}, "is both the goal and a secondary goal"),
    ],
)
def test_bad_outcome_settings_are_config_errors(make_client, experiment, fragment):
    folder = make_client(
        {"users.csv": "uid,group,kept\nu1,a,1\n"},
        data={"assignments": {"path": "data/users.csv", "columns": {"user_id": "uid",
                                                                    "variant": "group"}}},
        experiments=[ROW_EXPERIMENT | experiment],
    )  # fmt: skip
    with pytest.raises(ConfigError) as info:
        load_config(folder)
    assert "`experiments.0`" in str(info.value) and fragment in str(info.value)


def test_windowed_goal_without_times_says_what_to_map(row_client):
    client = row_client(outcomes={}, goal="purchase")
    result = analyze_all(client)["gate"]
    assert "has no `assigned_at` times" in result.error and "outcomes:" in result.error


# -- secondary goals ----------------------------------------------------------------------------


def test_secondary_goals_are_holm_adjusted_and_never_decide(row_client):
    users = _users()
    # the goal shows no effect at all; both secondaries show large ones
    users["kept"] = np.tile(["TRUE", "FALSE"], len(users) // 2)
    client = row_client(users, secondary_goals=["bought", "rounds"])
    result = analyze_experiment(client, "gate", bootstrap=0)
    rows = result.comparisons.set_index("metric")
    assert rows.loc["bought", "role"] == rows.loc["rounds", "role"] == "secondary_goal"
    a, b = users[users["group"] == "a"], users[users["group"] == "b"]
    p_bought = _z_test(a["bought"].sum(), len(a), b["bought"].sum(), len(b))
    p_rounds = stats.ttest_ind(b["rounds"], a["rounds"], equal_var=False).pvalue
    assert rows.loc["bought", "p_value"] == pytest.approx(p_bought, rel=1e-9)
    assert rows.loc["rounds", "p_value"] == pytest.approx(p_rounds, rel=1e-6)
    holm = _holm([p_bought, p_rounds])
    assert rows.loc["bought", "p_value_adjusted"] == pytest.approx(holm[0], rel=1e-6)
    assert rows.loc["rounds", "p_value_adjusted"] == pytest.approx(holm[1], rel=1e-6)
    assert rows.loc["rounds", "value"] == pytest.approx(b["rounds"].mean())
    assert rows.loc[["bought", "rounds"], "significant"].all()
    assert result.decision == "no_difference" and result.winner is None  # the goal decides
    text = result.verdicts.set_index("metric").loc["bought", "text_en"]
    assert "after adjusting for the number of comparisons" in text
    assert "it adds to the picture, the goal metric decides" in text


def test_holm_across_secondaries_is_stricter_than_each_alone(row_client):
    users = _users(seed=11)
    alone = analyze_experiment(row_client(users, secondary_goals=["bought"]), "gate", bootstrap=0)
    both = analyze_experiment(
        row_client(users, secondary_goals=["bought", "rounds"]), "gate", bootstrap=0
    )
    one = alone.comparisons.set_index("metric")
    two = both.comparisons.set_index("metric")
    assert one.loc["bought", "p_value_adjusted"] == one.loc["bought", "p_value"]  # family of 1
    raw = [two.loc["bought", "p_value"], two.loc["rounds", "p_value"]]
    assert two.loc["bought", "p_value_adjusted"] == pytest.approx(_holm(raw)[0], rel=1e-12)
    assert two.loc["bought", "p_value_adjusted"] >= one.loc["bought", "p_value_adjusted"]
    assert (two.loc[["bought", "rounds"], "comparisons"] == 2).all()


def test_secondary_goal_events_use_the_goal_window(make_client):
    assignments = (
        "user_id,experiment,variant,assigned_at\nu1,exp,control,2026-10-01 10:00:00\n"
        "u2,exp,control,2026-10-01 10:00:00\nu3,exp,b,2026-10-01 10:00:00\n"
        "u4,exp,b,2026-10-01 10:00:00\n"
    )
    events = (
        "user_id,timestamp,event\nu1,2026-10-01 11:00:00,purchase\n"
        "u3,2026-10-08 10:00:00,add_to_cart\n"  # exactly 7 days: inside (inclusive)
        "u4,2026-10-08 10:00:01,add_to_cart\n"  # one second later: outside
        "u2,2026-10-02 10:00:00,add_to_cart\nu9,2026-10-30 10:00:00,page_view\n"
    )
    folder = make_client(
        {"a.csv": assignments, "e.csv": events},
        data={"assignments": {"path": "data/a.csv"}, "events": {"path": "data/e.csv"}},
        experiments=[{"name": "exp", "secondary_goals": ["add_to_*"]}],
    )
    result = analyze_experiment(load_client(folder, emit_warnings=False), "exp", bootstrap=0)
    row = result.comparisons.set_index("metric").loc["conversion:add_to_*"]
    assert (row["control_value"], row["value"]) == (0.5, 0.5)  # u2 of 2; u3 of 2
    assert row["role"] == "secondary_goal"
    text = result.verdicts.set_index("metric").loc["conversion:add_to_*", "text_en"]
    assert 'conversion to "add_to_*" (users who reached it / users in the group)' in text


# -- per-variant summary ------------------------------------------------------------------------


def test_summary_file_gives_the_numbers_of_user_level_data(make_client, row_client):
    users = _users(seed=3)
    users["revenue"] = np.round(np.random.default_rng(3).gamma(2, 10, len(users)), 2)
    user_level = row_client(users, outcomes={"kept": "share"}, goal="kept")
    from_users = analyze_experiment(user_level, "gate", bootstrap=0)
    kept = (users["kept"] == "TRUE").astype(int)
    sums = (
        users.assign(kept=kept, sq=users["revenue"] ** 2)
        .groupby("group")
        .agg(visitors=("uid", "size"), buyers=("kept", "sum"), revenue_sum=("revenue", "sum"),
             revenue_sum_sq=("sq", "sum"))
        .reset_index()
    )  # fmt: skip
    folder = make_client(
        {"summary.csv": sums.to_csv(index=False, sep=";")},
        experiments=[{"name": "gate", "control": "a", "summary": {
            "path": "data/summary.csv",
            "columns": {"variant": "group", "users": "visitors", "conversions": "buyers"}}}],
    )  # fmt: skip
    from_summary = analyze_all(load_client(folder, emit_warnings=False))["gate"]
    assert from_summary.error is None
    goal = from_summary.comparisons.set_index("metric").loc["conversion"]
    same = from_users.comparisons.set_index("metric").loc["conversion"]
    for col in ("value", "control_value", "abs_ci_low", "abs_ci_high", "rel_lift", "p_value"):
        assert goal[col] == pytest.approx(same[col], rel=1e-12)
    # revenue per user from the sums equals Welch on the user rows (R t.test)
    a, b = users[users["group"] == "a"], users[users["group"] == "b"]
    welch = stats.ttest_ind(b["revenue"], a["revenue"], equal_var=False).pvalue
    revenue = from_summary.comparisons.set_index("metric").loc["revenue_per_user"]
    assert revenue["p_value"] == pytest.approx(welch, rel=1e-6)
    direct = analyze_aggregate(
        sums.rename(columns={"group": "variant", "visitors": "users", "buyers": "conversions"}),
        ExperimentConfig(name="gate", control="a"),
    )
    assert direct.comparisons["p_value"].tolist() == pytest.approx(
        from_summary.comparisons["p_value"].tolist(), rel=1e-12
    )


def test_bad_summary_names_file_column_and_rows(make_client):
    csv = "variant,users,conversions\na,100,10\nb,50,60\n"
    folder = make_client(
        {"s.csv": csv},
        experiments=[{"name": "x", "control": "a", "summary": {"path": "data/s.csv"}}],
    )
    with pytest.raises(DataError) as info:
        analyze_experiment(load_client(folder, emit_warnings=False), "x")
    assert "s.csv: 1 row (line 3) in column 'conversions' exceed the users" in str(info.value)
    csv = "variant,visits,conversions\na,100,10\n"
    folder = make_client(
        {"s.csv": csv},
        experiments=[{"name": "x", "control": "a", "summary": {"path": "data/s.csv"}}],
    )
    with pytest.raises(DataError, match=r"needs columns \['users'\].*`experiments.x.summary"):
        analyze_experiment(load_client(folder, emit_warnings=False), "x")


def test_rows_of_another_experiment_are_not_read(row_client):
    csv = "uid,group,kept,experiment\nu1,a,1,other\nu2,b,0,other\n"
    client = row_client(csv=csv, outcomes={"kept": "share"}, goal="kept")
    with pytest.raises(AnalysisError, match=r"'gate' has no rows .* are \['other'\]"):
        experiment_outcomes(client, "gate")
