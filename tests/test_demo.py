"""Tests of the seeded demo-client generator (funnelkit.demo).

Recovery tests compare observed rates with the planted expectation recorded in truth.json and
accept |observed - planted| < 4 standard errors, SE = sqrt(p (1 - p) / n). The data are generated
with fixed seeds, so these tests are deterministic.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import math
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from scipy import stats

from funnelkit import demo
from funnelkit.demo import (
    DATA_DAYS,
    DATA_START,
    DEMO_SEED,
    GENERATOR_VERSION,
    ensure_demo_data,
    generate_demo_data,
    load_truth,
)

Z = 4.0  # tolerance in standard errors
WINDOW_START = pd.Timestamp("2026-08-01 00:00:00")
WINDOW_END = pd.Timestamp("2026-10-29 23:59:59")
CHANNELS = ["organic_search", "paid_search", "paid_social", "email", "display", "affiliate"]
DEVICES = ["desktop", "mobile", "tablet"]
STEPS = ["view_item", "add_to_cart", "begin_checkout", "add_payment_info", "purchase"]
COLUMNS = {
    "events.parquet": [
        "visitor_id",
        "event_time",
        "event_name",
        "session_id",
        "page",
        "channel",
        "campaign",
        "device",
        "revenue",
        "account_id",
    ],
    "orders.csv": ["order_id", "customer_id", "created_at", "revenue", "channel"],
    "ad_spend.csv": ["date", "channel", "cost", "impressions", "clicks"],
    "crm_leads.csv": [
        "lead_id",
        "created_at",
        "channel",
        "mql_at",
        "sql_at",
        "won_at",
        "deal_value",
        "company_id",
    ],
    "nps.csv": ["respondent_id", "answered_at", "score", "segment"],
    "experiments.csv": ["user_id", "experiment", "variant", "assigned_at"],
    "accounts.csv": ["account_id", "company", "target", "tier", "industry", "owner", "created_at"],
    "social_posts.csv": [
        "post_id",
        "published",
        "platform",
        "reach",
        "impressions",
        "likes",
        "comments",
        "shares",
        "clicks",
        "follows",
    ],
    "email_campaigns.csv": [
        "campaign",
        "sent_at",
        "recipients",
        "delivered",
        "opens",
        "unique_opens",
        "clicks",
        "unique_clicks",
        "unsubscribes",
        "bounces",
    ],
}
TIME_COLUMNS = {
    "orders.csv": ["created_at"],
    "crm_leads.csv": ["created_at", "mql_at", "sql_at", "won_at"],
    "nps.csv": ["answered_at"],
    "experiments.csv": ["assigned_at"],
}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_within_se(observed: float, expected: float, n: int, label: str) -> None:
    se = math.sqrt(expected * (1 - expected) / n)
    assert abs(observed - expected) < Z * se, (
        f"{label}: observed {observed:.4f} vs planted {expected:.4f} (n={n}, SE={se:.4f})"
    )


def read_csv(data_dir: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(data_dir / name, dtype=str, keep_default_na=False)


# ------------------------------------------------------------------------------------------
# Fixtures: one default-size generation for the whole module
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "data"
    generate_demo_data(path)
    return path


@pytest.fixture(scope="module")
def truth(data_dir: Path) -> dict:
    return load_truth(data_dir)


@pytest.fixture(scope="module")
def events(data_dir: Path) -> pd.DataFrame:
    return pd.read_parquet(data_dir / "events.parquet")


@pytest.fixture(scope="module")
def orders(data_dir: Path) -> pd.DataFrame:
    return pd.read_csv(data_dir / "orders.csv", dtype={"order_id": str, "customer_id": str})


@pytest.fixture(scope="module")
def experiments(data_dir: Path) -> pd.DataFrame:
    df = pd.read_csv(data_dir / "experiments.csv")
    df["assigned_at"] = pd.to_datetime(df["assigned_at"])
    return df


@pytest.fixture(scope="module")
def sessions(events: pd.DataFrame) -> pd.DataFrame:
    """One row per session: channel, device, start, landing page and a flag per event name."""
    flags = pd.crosstab(events["session_id"], events["event_name"]) > 0
    first = events.groupby("session_id", sort=True).agg(
        visitor_id=("visitor_id", "first"),
        channel=("channel", "first"),
        device=("device", "first"),
        start=("event_time", "min"),
        landing=("page", "first"),
        n_events=("event_name", "size"),
    )
    page_views = events[events["event_name"] == "page_view"].groupby("session_id").size()
    out = first.join(flags)
    out["n_page_views"] = page_views.reindex(out.index, fill_value=0)
    out["bounced"] = (out["n_page_views"] == 1) & (out["n_events"] == 2)
    return out


# ------------------------------------------------------------------------------------------
# Determinism and arguments
# ------------------------------------------------------------------------------------------


def test_same_seed_gives_identical_files(tmp_path: Path) -> None:
    generate_demo_data(tmp_path / "a", seed=7, n_users=5_000)
    generate_demo_data(tmp_path / "b", seed=7, n_users=5_000)
    names_a = sorted(p.name for p in (tmp_path / "a").iterdir())
    names_b = sorted(p.name for p in (tmp_path / "b").iterdir())
    assert names_a == names_b == sorted([*COLUMNS, "truth.json"])
    for name in names_a:
        assert sha256(tmp_path / "a" / name) == sha256(tmp_path / "b" / name), name
    generate_demo_data(tmp_path / "c", seed=8, n_users=5_000)
    assert sha256(tmp_path / "a" / "events.parquet") != sha256(tmp_path / "c" / "events.parquet")


def test_refuses_non_empty_folder_and_tiny_sizes(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("precious", encoding="utf-8")
    with pytest.raises(FileExistsError):
        generate_demo_data(tmp_path, n_users=1_000)
    assert (tmp_path / "keep.txt").read_text(encoding="utf-8") == "precious"
    with pytest.raises(ValueError, match="n_users"):
        generate_demo_data(tmp_path / "x", n_users=10)


def test_public_constants() -> None:
    assert DEMO_SEED == 20261123
    assert DATA_START.isoformat() == "2026-08-01"
    assert DATA_DAYS == 90
    assert demo.DATA_END.isoformat() == "2026-10-29"
    assert set(demo.__all__) >= {"generate_demo_data", "ensure_demo_data", "load_truth"}


# ------------------------------------------------------------------------------------------
# Schemas and consistency
# ------------------------------------------------------------------------------------------


def test_truth_header_and_row_counts(data_dir: Path, truth: dict) -> None:
    assert truth["generator_version"] == GENERATOR_VERSION
    assert truth["seed"] == DEMO_SEED
    assert truth["n_users"] == 50_000
    assert (truth["data_start"], truth["data_end"]) == ("2026-08-01", "2026-10-29")
    assert truth["timezone"] == "Europe/Berlin"
    assert truth["currency"] == "EUR"
    assert truth["leaks"]["weak_channel"] == {
        "channel": "display",
        "step": "add_to_cart",
        "factor": 0.5,
    }
    assert truth["leaks"]["weak_device"] == {
        "device": "mobile",
        "step": "add_payment_info",
        "factor": 0.6,
    }
    assert truth["leaks"]["payment_bug"]["from_date"] == "2026-10-10"
    for entry in truth["files"].values():
        path = data_dir / entry["file"]
        if path.suffix == ".parquet":
            rows = pq.read_metadata(path).num_rows
        else:
            rows = len(pd.read_csv(path))
        assert rows == entry["rows"], entry
    json.dumps(truth)  # plain JSON types only


def test_column_names_and_order(data_dir: Path) -> None:
    for name, columns in COLUMNS.items():
        if name.endswith(".parquet"):
            assert pq.read_schema(data_dir / name).names == columns
        else:
            assert list(pd.read_csv(data_dir / name, nrows=5).columns) == columns, name


def test_events_schema_and_order(data_dir: Path, events: pd.DataFrame) -> None:
    schema = pq.read_schema(data_dir / "events.parquet")
    assert schema.field("event_time").type in (pa.timestamp("s"), pa.timestamp("us"))
    assert schema.field("event_time").type.tz is None
    for col in ["visitor_id", "event_name", "session_id", "page", "channel", "campaign", "device"]:
        assert schema.field(col).type == pa.string(), col
    assert schema.field("revenue").type == pa.float64()
    assert schema.pandas_metadata is None  # no pandas index stored

    assert events["event_time"].between(WINDOW_START, WINDOW_END).all()
    # Sorted by event_time, then visitor_id.
    key = pd.DataFrame({"t": events["event_time"], "v": events["visitor_id"]})
    assert key.equals(key.sort_values(["t", "v"], kind="stable").reset_index(drop=True))
    assert events["visitor_id"].str.fullmatch(r"u\d{6}").all()
    assert events["session_id"].str.fullmatch(r"s\d{7}").all()
    assert set(events["channel"]) == set(CHANNELS)
    assert set(events["device"]) == set(DEVICES)
    names = set(events["event_name"])
    assert 15 <= len(names) <= 20
    assert set(STEPS) | {"session_start", "page_view", "generate_lead"} <= names
    # Revenue only (and always) on purchases.
    is_purchase = events["event_name"] == "purchase"
    assert events.loc[is_purchase, "revenue"].gt(0).all()
    assert events.loc[~is_purchase, "revenue"].isna().all()
    # Campaigns: null for organic search, set for paid channels.
    assert events.loc[events["channel"] == "organic_search", "campaign"].isna().all()
    paid = events["channel"].isin(["paid_search", "paid_social", "display", "affiliate"])
    assert events.loc[paid, "campaign"].notna().all()
    # Pages.
    pages = set(events["page"])
    products = {p for p in pages if p.startswith("/product/")}
    assert 30 <= len(products) <= 45
    assert {"/", "/cart", "/checkout", "/checkout/payment", "/thank-you", "/sale"} <= pages
    assert any(p.startswith("/category/") for p in pages)
    assert any(p.startswith("/blog/") for p in pages)


def test_sessions_are_consistent(events: pd.DataFrame, sessions: pd.DataFrame) -> None:
    per_session = events.groupby("session_id")[["visitor_id", "channel", "device"]].nunique()
    assert (per_session == 1).all().all()
    firsts = events.groupby("session_id")["event_name"].agg(lambda s: tuple(s.iloc[:2]))
    assert (firsts == ("session_start", "page_view")).all()
    # Funnel steps only after the previous one.
    for prev, step in itertools.pairwise(STEPS):
        assert not (sessions[step] & ~sessions[prev]).any(), step
    # Mean number of sessions per visitor ~ 1.8 before clipping (a bit less after).
    per_visitor = sessions.groupby("visitor_id").size()
    assert 1.4 < per_visitor.mean() < 1.9
    assert 45_000 < per_visitor.size <= 50_000
    device_share = sessions.groupby("visitor_id")["device"].first().value_counts(normalize=True)
    assert 0.50 < device_share["mobile"] < 0.60


def test_orders_match_purchase_events(events: pd.DataFrame, orders: pd.DataFrame) -> None:
    assert (orders["revenue"] > 0).all()
    assert orders["order_id"].is_unique
    assert orders["order_id"].str.fullmatch(r"o\d{6}").all()
    purchases = events[events["event_name"] == "purchase"].copy()
    assert len(purchases) == len(orders)
    purchases["created_at"] = purchases["event_time"].dt.strftime("%Y-%m-%d %H:%M:%S")
    purchases["revenue"] = purchases["revenue"].round(2)
    merged = orders.merge(
        purchases.rename(columns={"visitor_id": "customer_id"}),
        on=["customer_id", "created_at", "revenue", "channel"],
        how="left",
        indicator=True,
    )
    assert len(merged) == len(orders)
    assert (merged["_merge"] == "both").all()
    created = pd.to_datetime(orders["created_at"], format="%Y-%m-%d %H:%M:%S")
    assert created.between(WINDOW_START, WINDOW_END).all()
    # Repeat purchases exist.
    assert orders["customer_id"].duplicated().sum() > 50


def test_aov_by_channel(orders: pd.DataFrame, truth: dict) -> None:
    for channel, params in truth["aov"]["by_channel"].items():
        rev = orders.loc[orders["channel"] == channel, "revenue"]
        sd = params["expected_mean"] * math.sqrt(math.exp(params["sigma"] ** 2) - 1)
        assert abs(rev.mean() - params["expected_mean"]) < Z * sd / math.sqrt(len(rev)), channel


def test_all_csv_timestamps_inside_window(data_dir: Path) -> None:
    for name, columns in TIME_COLUMNS.items():
        df = read_csv(data_dir, name)
        for col in columns:
            values = df.loc[df[col] != "", col]
            parsed = pd.to_datetime(values, format="%Y-%m-%d %H:%M:%S")
            assert parsed.between(WINDOW_START, WINDOW_END).all(), (name, col)


def test_ad_spend(data_dir: Path) -> None:
    spend = pd.read_csv(data_dir / "ad_spend.csv")
    assert len(spend) == 90 * 4
    assert set(spend["channel"]) == {"paid_search", "paid_social", "display", "affiliate"}
    dates = pd.to_datetime(spend["date"], format="%Y-%m-%d")
    assert dates.min() == WINDOW_START
    assert dates.max() == WINDOW_END.normalize()
    assert not spend.duplicated(["date", "channel"]).any()
    assert (spend["cost"] >= 0).all()
    assert (spend["clicks"] >= 0).all()
    assert (spend["impressions"] >= spend["clicks"]).all()
    assert spend["cost"].sum() > 1_000


def test_crm_leads(data_dir: Path) -> None:
    leads = read_csv(data_dir, "crm_leads.csv")
    assert 2_000 <= len(leads) <= 3_000
    assert leads["lead_id"].is_unique
    stages = ["created_at", "mql_at", "sql_at", "won_at"]
    times = {
        c: pd.to_datetime(leads[c].replace("", None), format="%Y-%m-%d %H:%M:%S") for c in stages
    }
    for prev, nxt in itertools.pairwise(stages):
        reached = times[nxt].notna()
        assert times[prev][reached].notna().all(), f"{nxt} without {prev}"
        assert (times[nxt][reached] >= times[prev][reached]).all(), nxt
    won = times["won_at"].notna()
    deal = pd.to_numeric(leads["deal_value"].replace("", None))
    assert deal[won].gt(0).all()
    assert deal[~won].isna().all()
    mql_share = times["mql_at"].notna().mean()
    assert 0.5 < mql_share < 0.62  # planted 0.6, a little lower through censoring
    sql_given_mql = times["sql_at"].notna().sum() / times["mql_at"].notna().sum()
    assert 0.2 < sql_given_mql < 0.4
    assert won.sum() > 20


def test_nps(data_dir: Path, orders: pd.DataFrame, truth: dict) -> None:
    nps = read_csv(data_dir, "nps.csv")
    score = nps["score"].astype(int)
    assert score.between(0, 10).all()
    assert set(nps["segment"]) <= {"new", "returning"}
    assert nps["respondent_id"].is_unique
    first_order = orders.groupby("customer_id")["created_at"].min()
    assert nps["respondent_id"].isin(first_order.index).all()
    lag = pd.to_datetime(nps["answered_at"]) - pd.to_datetime(
        first_order.loc[nps["respondent_id"]].to_numpy()
    )
    assert (lag >= pd.Timedelta(days=1)).all()
    assert (lag <= pd.Timedelta(days=8)).all()
    assert 0.25 < len(nps) / first_order.size < 0.40

    cat = truth["nps"]["category_probabilities"]
    p, d = cat["promoter"], cat["detractor"]
    assert truth["nps"]["true_nps"] == pytest.approx(100 * (p - d))
    assert truth["nps"]["true_nps"] == pytest.approx(32, abs=1)
    observed = 100 * ((score >= 9).mean() - (score <= 6).mean())
    se = 100 * math.sqrt((p + d - (p - d) ** 2) / len(score))
    assert abs(observed - truth["nps"]["true_nps"]) < Z * se


# ------------------------------------------------------------------------------------------
# Planted funnel rates are recovered
# ------------------------------------------------------------------------------------------


def previous_flag(sessions: pd.DataFrame, step: str) -> pd.Series:
    i = STEPS.index(step)
    return ~sessions["bounced"] if i == 0 else sessions[STEPS[i - 1]]


@pytest.mark.parametrize(("group", "names"), [("channel", CHANNELS), ("device", DEVICES)])
@pytest.mark.parametrize("step", STEPS)
def test_session_step_rates_match_truth(
    sessions: pd.DataFrame, truth: dict, group: str, names: list[str], step: str
) -> None:
    expected = truth["expected_session_step_rates"][f"by_{group}"]
    eligible = sessions[previous_flag(sessions, step)]
    for name in names:
        rows = eligible[eligible[group] == name]
        planted = expected[name][step]
        assert len(rows) == planted["n_sessions"], (name, step)
        assert_within_se(rows[step].mean(), planted["expected_rate"], len(rows), f"{name} {step}")


def test_display_leaks_at_add_to_cart(sessions: pd.DataFrame, truth: dict) -> None:
    viewed = sessions[sessions["view_item"]]
    rate = viewed.groupby("channel")["add_to_cart"].mean()
    others = rate.drop("display")
    assert rate["display"] < 0.7 * others.min()
    base = truth["base_step_probabilities"]
    assert base["display"]["add_to_cart"] < 0.6 * min(
        base[c]["add_to_cart"] for c in CHANNELS if c != "display"
    )


def test_mobile_leaks_at_add_payment_info(sessions: pd.DataFrame, truth: dict) -> None:
    checkout = sessions[sessions["begin_checkout"]]
    rate = checkout.groupby("device")["add_payment_info"].mean()
    assert rate["mobile"] < 0.75 * rate["desktop"]
    assert rate["mobile"] < rate["tablet"]
    assert truth["device_multipliers"]["mobile"]["add_payment_info"] == 0.6


def test_mobile_payment_bug_after_date(sessions: pd.DataFrame, truth: dict) -> None:
    bug = truth["leaks"]["payment_bug"]
    cut = pd.Timestamp(bug["from_date"])
    paying = sessions[sessions["add_payment_info"] & (sessions["device"] == bug["device"])]
    before = paying.loc[paying["start"] < cut, "purchase"].mean()
    after = paying.loc[paying["start"] >= cut, "purchase"].mean()
    assert after < before


def test_bounce_rate_by_landing_type(sessions: pd.DataFrame, truth: dict) -> None:
    prefix = {"category": "/category/", "product": "/product/", "blog": "/blog/"}
    exact = {"home": "/", "sale": "/sale"}
    expected = truth["bounce"]["expected_rate_by_landing_type"]
    for kind, planted in expected.items():
        if kind in exact:
            rows = sessions[sessions["landing"] == exact[kind]]
        else:
            rows = sessions[sessions["landing"].str.startswith(prefix[kind])]
        assert_within_se(rows["bounced"].mean(), planted, len(rows), f"bounce {kind}")
    assert expected["blog"] > max(v for k, v in expected.items() if k != "blog")


# ------------------------------------------------------------------------------------------
# Experiments
# ------------------------------------------------------------------------------------------


def experiment_truth(truth: dict, name: str) -> dict:
    return next(e for e in truth["experiments"] if e["name"] == name)


def test_experiment_rows_are_valid(experiments: pd.DataFrame, truth: dict) -> None:
    assert experiments["assigned_at"].between(WINDOW_START, WINDOW_END).all()
    for name, rows in experiments.groupby("experiment"):
        exp = experiment_truth(truth, name)
        assert set(rows["variant"]) == set(exp["variants"])
        days = rows["assigned_at"].dt.normalize()
        assert days.between(pd.Timestamp(exp["start"]), pd.Timestamp(exp["end"])).all(), name
    assert set(experiments["experiment"]) == {"checkout_button", "hero_banner", "free_shipping_bar"}


def test_double_assigned_users(experiments: pd.DataFrame, truth: dict) -> None:
    cb = experiments[experiments["experiment"] == "checkout_button"]
    variants_per_user = cb.groupby("user_id")["variant"].nunique()
    doubles = sorted(variants_per_user[variants_per_user > 1].index)
    exp = experiment_truth(truth, "checkout_button")
    assert 30 <= len(doubles) <= 50
    assert len(doubles) == exp["n_double_assigned"]
    assert doubles == exp["double_assigned_users"]
    for name in ["hero_banner", "free_shipping_bar"]:
        assert experiments.loc[experiments["experiment"] == name, "user_id"].is_unique


def clean_assignments(experiments: pd.DataFrame, name: str) -> pd.DataFrame:
    rows = experiments[experiments["experiment"] == name]
    counts = rows.groupby("user_id")["variant"].transform("nunique")
    return rows[counts == 1].drop_duplicates("user_id")


@pytest.mark.parametrize("name", ["checkout_button", "hero_banner", "free_shipping_bar"])
def test_assignment_shares(experiments: pd.DataFrame, truth: dict, name: str) -> None:
    exp = experiment_truth(truth, name)
    rows = clean_assignments(experiments, name)
    counts = rows["variant"].value_counts().reindex(exp["variants"]).to_numpy()
    n = counts.sum()
    assert n > 5_000
    for count, actual_p in zip(counts, exp["assignment_probabilities"], strict=True):
        assert_within_se(count / n, actual_p, n, f"{name} share")
    planned = np.array(exp["planned_split"]) / sum(exp["planned_split"]) * n
    p_value = stats.chisquare(counts, planned).pvalue
    if exp["srm"]:
        assert p_value < 0.001, f"{name}: SRM not detectable (p={p_value})"
    else:
        assert p_value > 0.001, f"{name}: unexpected SRM (p={p_value})"
    assert exp["srm"] == (name == "free_shipping_bar")


def test_checkout_button_effect(
    experiments: pd.DataFrame, sessions: pd.DataFrame, orders: pd.DataFrame, truth: dict
) -> None:
    exp = experiment_truth(truth, "checkout_button")
    assert exp["true_effect"]["relative_lift"] == pytest.approx(0.35)
    assigned = clean_assignments(experiments, "checkout_button").set_index("user_id")
    # Session level: begin_checkout | add_to_cart from the assignment on.
    s = sessions[sessions["visitor_id"].isin(assigned.index)].copy()
    s["variant"] = assigned.loc[s["visitor_id"], "variant"].to_numpy()
    s = s[s["start"] >= assigned.loc[s["visitor_id"], "assigned_at"].to_numpy()]
    carting = s[s["add_to_cart"]]
    rates = carting.groupby("variant")["begin_checkout"].agg(["mean", "size"])
    assert rates.loc["green_button", "mean"] > rates.loc["control", "mean"]
    for variant, planted in exp["expected_begin_checkout_rate_after_add_to_cart"].items():
        # The clean sample excludes the double-assigned users, so allow the tiny difference.
        row = rates.loc[variant]
        assert_within_se(row["mean"], planted, int(row["size"]), f"checkout_button {variant}")
    # Visitor level: buyers after assignment / assigned visitors.
    o = orders.assign(created_at=pd.to_datetime(orders["created_at"]))
    o = o[o["customer_id"].isin(assigned.index)]
    after = o[o["created_at"] >= assigned.loc[o["customer_id"], "assigned_at"].to_numpy()]
    buyers = assigned.index.isin(after["customer_id"])
    conversion = pd.Series(buyers, index=assigned.index).groupby(assigned["variant"]).mean()
    assert conversion["green_button"] > conversion["control"]


# ------------------------------------------------------------------------------------------
# ensure_demo_data
# ------------------------------------------------------------------------------------------


@pytest.fixture
def small_generator(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Make ensure_demo_data generate a small data set and record where it generated."""
    calls: list[Path] = []
    real = functools.partial(demo.generate_demo_data, n_users=1_000)
    lock = threading.Lock()

    def fake(out_dir: str | Path, **kwargs: object) -> dict:
        with lock:
            calls.append(Path(out_dir))
        return real(out_dir, **kwargs)

    monkeypatch.setattr(demo.store, "generate_demo_data", fake)  # where ensure_demo_data looks
    return calls


def leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if ".tmp-" in p.name)


def test_ensure_generates_once_then_is_a_no_op(tmp_path: Path, small_generator: list) -> None:
    target = tmp_path / "clients" / "demo" / "data"
    assert ensure_demo_data(target) == target
    assert len(small_generator) == 1
    assert small_generator[0].parent == target.parent
    assert small_generator[0].name.startswith(".data.tmp-")
    assert load_truth(target)["seed"] == DEMO_SEED
    assert leftovers(target.parent) == []
    stamps = {p.name: p.stat().st_mtime_ns for p in target.iterdir()}
    assert ensure_demo_data(str(target)) == target
    assert len(small_generator) == 1
    assert {p.name: p.stat().st_mtime_ns for p in target.iterdir()} == stamps


def test_ensure_moves_a_stale_folder_aside(tmp_path: Path, small_generator: list) -> None:
    target = tmp_path / "data"
    target.mkdir()
    stale = {"generator_version": GENERATOR_VERSION - 1, "seed": DEMO_SEED, "files": {}}
    (target / "truth.json").write_text(json.dumps(stale), encoding="utf-8")
    (target / "notes.txt").write_text("do not lose me", encoding="utf-8")
    ensure_demo_data(target)
    assert len(small_generator) == 1
    assert load_truth(target)["generator_version"] == GENERATOR_VERSION
    old = [p for p in tmp_path.iterdir() if p.name.startswith("data.old-")]
    assert len(old) == 1
    assert (old[0] / "notes.txt").read_text(encoding="utf-8") == "do not lose me"
    assert json.loads((old[0] / "truth.json").read_text(encoding="utf-8")) == stale
    # A folder with another seed is stale too.
    truth = load_truth(target)
    truth["seed"] = 1
    (target / "truth.json").write_text(json.dumps(truth), encoding="utf-8")
    ensure_demo_data(target)
    assert len(small_generator) == 2
    assert len([p for p in tmp_path.iterdir() if p.name.startswith("data.old-")]) == 2
    assert leftovers(tmp_path) == []


def test_ensure_uses_folder_created_by_another_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "data"
    real = demo.generate_demo_data

    def racing(out_dir: str | Path, **kwargs: object) -> dict:
        real(target, n_users=1_000)  # "another process" finishes first
        (target / "winner.txt").write_text("other process", encoding="utf-8")
        return real(out_dir, n_users=1_000, **kwargs)

    monkeypatch.setattr(demo.store, "generate_demo_data", racing)
    assert ensure_demo_data(target) == target
    assert (target / "winner.txt").exists()
    assert leftovers(tmp_path) == []


def test_ensure_is_safe_under_concurrency(tmp_path: Path, small_generator: list) -> None:
    target = tmp_path / "data"
    results: list[Path] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            results.append(ensure_demo_data(target))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert results == [target] * 4
    assert len(small_generator) == 1
    assert leftovers(tmp_path) == []
    assert load_truth(target)["seed"] == DEMO_SEED
