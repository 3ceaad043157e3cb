"""The A/B analysis from sums counted where the data are equals the one from user rows (issue 16).

An engine-backed client brings back only sums per variant, exclusion reason and assignment day
(:class:`funnelkit.abtest.sums.OutcomeSums`); a DuckDB client brings back one row per user. The
two paths are independent computations of the same numbers: every number of ``to_results``
(the report's), the daily view, the checks, CUPED, the secondary goals and the segments must
agree to 1e-9 on the demo and on random windowed experiments with segments, secondary goals,
the sequential test, several variants and users in more than one variant. On ClickHouse (chdb)
the analysis returns no frame longer than the number of those cells.
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
import yaml

from funnelkit import load_client
from funnelkit.abtest import analyze_all, analyze_experiment, experiment_outcomes
from funnelkit.abtest.cuped import cuped, cuped_from_sums
from funnelkit.abtest.sums import OutcomeSums
from funnelkit.core.stats.arguments import AnalysisError
from funnelkit.presentation.results import to_jsonable

sys.path.insert(0, str(Path(__file__).parent))
from engine_compare import differences, engine_client, rows_back


def _everything(result) -> dict:
    """What the report reads of a result, plus the frames it draws (the note column aside:
    it says which robustness checks were run, and only the user rows allow them)."""
    return to_jsonable({
        "results": result.to_results(), "daily": result.daily, "checks": result.checks,
        "comparisons": result.comparisons.drop(columns=["note"]), "cuped": result.cuped,
        "verdicts": result.verdicts, "notes": result.notes, "decision": result.decision,
        "winner": result.winner, "sequential": result.sequential,
    })  # fmt: skip


def _same(client, name: str, **options) -> None:
    users = analyze_experiment(client, name, bootstrap=0, per_user=True, **options)
    sums = analyze_experiment(client, name, bootstrap=0, per_user=False, **options)
    assert differences(_everything(users), _everything(sums)) == [], name


@pytest.fixture(scope="module")
def demo():
    return load_client(emit_warnings=False)


@pytest.mark.parametrize("name", ["checkout_button", "hero_banner", "free_shipping_bar"])
@pytest.mark.parametrize(
    "options", [{}, {"include_incomplete": True}, {"window_days": 2.5}], ids=["", "incl", "win"]
)
def test_the_demo_experiments_from_sums_equal_those_from_user_rows(demo, name, options):
    _same(demo, name, **options)


def test_the_comparison_fails_when_a_number_differs(demo):
    users = analyze_experiment(demo, "checkout_button", bootstrap=0, per_user=True)
    sums = analyze_experiment(demo, "checkout_button", bootstrap=0, per_user=False)
    sums.cuped.loc[0, "diff"] *= 1 + 1e-7
    assert differences(_everything(users), _everything(sums))


def _shop(make_client, seed: int, *, money: bool) -> object:
    """A random shop: a windowed goal, secondary goals, a segment, 2–3 variants, mixed users."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(150, 500))
    variants = ["control", "b", "c"][: int(rng.integers(2, 4))]
    start = pd.Timestamp("2026-10-01")
    users = pd.DataFrame({
        "user_id": [f"u{i}" for i in range(n)],
        "experiment": "exp",
        "variant": rng.choice(variants, n),
        "assigned_at": start + pd.to_timedelta(rng.integers(-3 * 86400, 33 * 86400, n), "s"),
        "country": rng.choice(["DE", "FR", "US", None], n, p=[0.4, 0.3, 0.2, 0.1]),
        "device": rng.choice(["mobile", "desktop"], n),
    })  # fmt: skip
    twice = users.sample(frac=0.05, random_state=seed).assign(variant=variants[-1])
    assignments = pd.concat([users, twice], ignore_index=True)
    events = []
    for user in users.itertuples():
        for event in ("view", "cart", "buy"):
            if rng.random() < {"view": 0.8, "cart": 0.4, "buy": 0.2}[event]:
                at = user.assigned_at + pd.Timedelta(seconds=int(rng.integers(-5, 9) * 86400))
                revenue = round(float(rng.gamma(2, 20)), 2) if event == "buy" else None
                events.append((user.user_id, at, event, revenue))
    frame = pd.DataFrame(events, columns=["user_id", "timestamp", "event", "revenue"])
    if not money:
        frame = frame.drop(columns=["revenue"])
    experiment = {"name": "exp", "control": "control", "goal": "cart", "outcome_window_days": 5,
                  "secondary_goals": ["buy", "view"], "segments": ["country", "device"],
                  "sequential_tau": 0.05}  # fmt: skip
    folder = make_client(
        {"events.csv": frame.to_csv(index=False),
         "assignments.csv": assignments.to_csv(index=False)},
        name=f"shop{seed}{money}",
        data={"events": {"path": "data/events.csv"},
              "assignments": {"path": "data/assignments.csv"}},
        experiments=[experiment],
    )  # fmt: skip
    return load_client(folder, emit_warnings=False)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("money", [True, False], ids=["revenue", "no-revenue"])
def test_random_windowed_experiments_from_sums_equal_those_from_user_rows(make_client, seed, money):
    client = _shop(make_client, seed, money=money)
    result = analyze_experiment(client, "exp", bootstrap=0, per_user=False)
    assert len(result.segments) and len(result.sequential)  # the paths really ran
    assert (result.comparisons["role"] == "secondary_goal").sum() >= 2
    assert result.cuped.empty != money
    _same(client, "exp")


def test_cuped_from_sums_is_cuped_on_the_users():
    rng = np.random.default_rng(3)
    users = pd.DataFrame(
        {
            "variant": rng.choice(["a", "b", "c"], 500),
            "value": rng.gamma(1, 30, 500),
            "pre_value": rng.gamma(1, 10, 500),
        }
    )
    users["value"] += 0.8 * users["pre_value"]
    adjusted, info = cuped(users)
    sums = (
        users.assign(yy=users["value"] ** 2, xx=users["pre_value"] ** 2,
                     xy=users["value"] * users["pre_value"])
        .groupby("variant")
        .agg(users=("value", "size"), y_sum=("value", "sum"), y_sum_sq=("yy", "sum"),
             x_sum=("pre_value", "sum"), x_sum_sq=("xx", "sum"), xy_sum=("xy", "sum"))
        .reset_index()
    )  # fmt: skip
    from_sums, info_sums = cuped_from_sums(sums)
    assert info_sums == pytest.approx(info, rel=1e-10)
    by_arm = adjusted.groupby("variant")["value_cuped"]
    assert from_sums["sum"].to_numpy() == pytest.approx(by_arm.sum().to_numpy(), rel=1e-10)
    variance = (from_sums["sum_sq"] - from_sums["sum"] ** 2 / from_sums["users"]) / (
        from_sums["users"] - 1
    )
    assert variance.to_numpy() == pytest.approx(by_arm.var().to_numpy(), rel=1e-9)


def test_cuped_from_sums_refuses_a_constant_covariate():
    sums = pd.DataFrame({"variant": ["a", "b"], "users": [3, 3], "y_sum": [3.0, 6.0],
                         "y_sum_sq": [5.0, 14.0], "x_sum": [6.0, 6.0], "x_sum_sq": [12.0, 12.0],
                         "xy_sum": [6.0, 12.0]})  # fmt: skip
    with pytest.raises(AnalysisError, match="constant"):
        cuped_from_sums(sums)


def test_the_sums_count_every_assigned_user_once(demo):
    config = demo.config.experiments[0]
    sums = OutcomeSums(demo, config)
    outcomes = experiment_outcomes(demo, config)
    assert int(sums.cells["users"].sum()) == len(outcomes)
    reasons = sums.cells.groupby("excluded_reason", dropna=False)["users"].sum()
    expected = outcomes["excluded_reason"].fillna("analysed").value_counts()
    assert reasons.rename(index={np.nan: "analysed"}).to_dict() == expected.to_dict()
    by_day = sums.cells.groupby(pd.to_datetime(sums.cells["day"]))["users"].sum()
    days = outcomes["assigned_at"].dt.normalize().value_counts()
    assert by_day.to_dict() == days.to_dict()


@pytest.fixture(scope="module")
def on_clickhouse(tmp_path_factory, demo):
    pytest.importorskip("chdb", reason="chdb (ClickHouse in-process) is not installed")
    pytest.importorskip("sqlglot", reason="sqlglot (the engines' SQL translator) is not installed")
    root = tmp_path_factory.mktemp("sums_clickhouse")
    events = root / "events.parquet"
    demo.con.execute(f"COPY (SELECT * FROM events) TO '{events}' (FORMAT parquet)")
    client = load_client(engine_client(root / "shop", events, "clickhouse"), emit_warnings=False)
    yield client
    client.con.close()


def test_on_an_engine_only_sums_come_back(on_clickhouse):
    engine = on_clickhouse.con.engine
    with rows_back(engine) as returned:
        found = analyze_all(on_clickhouse, bootstrap=0)  # default on an engine: the sums
    assert all(r.error is None for r in found.values())
    users = max(int(r.variants["users"].sum()) for r in found.values())
    assert returned and max(returned) < 200 < users  # cells, not the 17,000+ users
    with rows_back(engine) as returned:
        analyze_experiment(on_clickhouse, "checkout_button", bootstrap=0, per_user=True)
    assert max(returned) > 10_000  # the user rows, when asked for


@pytest.mark.parametrize(("seed", "held"), [(0, "events"), (1, "both")])
def test_segments_and_secondary_goals_are_counted_on_clickhouse(make_client, tmp_path, seed, held):
    pytest.importorskip("chdb", reason="chdb (ClickHouse in-process) is not installed")
    pytest.importorskip("sqlglot", reason="sqlglot (the engines' SQL translator) is not installed")
    counted_on_engine(make_client, tmp_path, "clickhouse", seed=seed, held=held)


def counted_on_engine(make_client, tmp_path: Path, engine: str, *, seed: int, held: str) -> None:
    """Events (and assignments, with their segment columns) on the engine: DuckDB's numbers.

    Spark's case runs in tests/test_engine_chapters.py, beside the Spark session it reuses.
    """
    duck = _shop(make_client, seed, money=True)
    folder = duck.config.client_dir
    tables = {"events": tmp_path / "events.parquet"}
    duck.con.execute(f"COPY (SELECT * FROM events) TO '{tables['events']}' (FORMAT parquet)")
    document = yaml.safe_load((folder / "client.yaml").read_text("utf-8"))
    del document["data"]["events"]
    if held == "both":  # the file as exported, its segment columns included
        tables["assignments"] = tmp_path / "assignments.parquet"
        duckdb.sql(f"COPY (SELECT * FROM read_csv('{folder / 'data/assignments.csv'}')) "
                   f"TO '{tables['assignments']}' (FORMAT parquet)")  # fmt: skip
        del document["data"]["assignments"]
    else:
        document["data"]["assignments"]["path"] = str(folder / "data/assignments.csv")
    where = {"master": "local[2]"} if engine == "spark" else {}
    document["engine"] = {"name": engine, **where,
                          "tables": {k: str(v) for k, v in tables.items()}}  # fmt: skip
    (tmp_path / "on_engine").mkdir()
    (tmp_path / "on_engine/client.yaml").write_text(yaml.safe_dump(document), "utf-8")
    on_engine = load_client(tmp_path / "on_engine", emit_warnings=False)
    try:
        assert set(on_engine.config.engine.tables) == set(tables)
        expected = _everything(analyze_experiment(duck, "exp", bootstrap=0))  # DuckDB: user rows
        got = analyze_experiment(on_engine, "exp", bootstrap=0)  # the engine: sums
        assert set(got.segments["segment"]) == {"country", "device"}  # two uploads, one name
        assert (got.comparisons["role"] == "secondary_goal").any()
        assert differences(expected, _everything(got)) == []
        if held == "both":  # the user rows read on the engine give them too
            rows = analyze_experiment(on_engine, "exp", bootstrap=0, per_user=True)
            assert differences(expected, _everything(rows)) == []
    finally:
        on_engine.con.close()
