"""The demo client's B2B side (funnelkit.demo.accounts): accounts, contacts, leads, truths.

The realised truths in truth.json are recomputed here with plain pandas from the CSV and Parquet
files (no funnelkit code) and must match; the planted counts per tier are exact by construction.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import funnelkit
from funnelkit.demo import generate_demo_data, load_truth

PERIOD = (pd.Timestamp("2026-09-15"), pd.Timestamp("2026-10-30"))  # [start, end)
TIERS = {"1": 30, "2": 70, "3": 100}


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo_accounts") / "data"
    generate_demo_data(path)
    return path


@pytest.fixture(scope="module")
def truth(data_dir: Path) -> dict:
    return load_truth(data_dir)["accounts"]


@pytest.fixture(scope="module")
def accounts(data_dir: Path) -> pd.DataFrame:
    return pd.read_csv(data_dir / "accounts.csv", dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def leads(data_dir: Path) -> pd.DataFrame:
    return pd.read_csv(data_dir / "crm_leads.csv", dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def events(data_dir: Path) -> pd.DataFrame:
    return pd.read_parquet(
        data_dir / "events.parquet",
        columns=["visitor_id", "event_time", "event_name", "account_id"],
    )


@pytest.fixture(scope="module")
def per_account(accounts: pd.DataFrame, leads: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    """One row per account, straight from the files."""
    ev = events[events["account_id"].notna()]
    period = (ev["event_time"] >= PERIOD[0]) & (ev["event_time"] < PERIOD[1])
    touch = ev[period & (ev["event_name"] != "session_start")]
    with_account = leads[leads["company_id"] != ""]
    won = with_account[with_account["won_at"] != ""]
    out = accounts.set_index("account_id")
    out["contacts"] = ev.groupby("account_id")["visitor_id"].nunique()
    out["touchpoints"] = touch.groupby("account_id").size()
    out = out.fillna({"contacts": 0, "touchpoints": 0})
    out["covered"] = out["contacts"] > 0
    out["engaged"] = out["touchpoints"] >= 3
    out["opportunity"] = out.index.isin(
        with_account.loc[with_account["sql_at"] != "", "company_id"]
    )
    out["won"] = out.index.isin(won["company_id"])
    value = won["deal_value"].astype(float).groupby(won["company_id"]).sum()
    out["won_value"] = value.reindex(out.index).fillna(0.0)
    return out


def _expected(group: pd.DataFrame) -> dict:
    """The realised block of one group of accounts, as truth.json should hold it."""
    n, engaged, opp = len(group), int(group["engaged"].sum()), int(group["opportunity"].sum())

    def share(a: int, b: int) -> float | None:
        return round(a / b, 6) if b else None

    return {
        "accounts": n,
        "covered": int(group["covered"].sum()),
        "coverage": share(int(group["covered"].sum()), n),
        "engaged": engaged,
        "engaged_share": share(engaged, n),
        "opportunities": opp,
        "opportunity_share_of_engaged": share(
            int((group["engaged"] & group["opportunity"]).sum()), engaged
        ),
        "won": int(group["won"].sum()),
        "win_rate": share(int(group["won"].sum()), opp),
        "engaged_without_opportunity": int((group["engaged"] & ~group["opportunity"]).sum()),
        "won_value": round(float(group["won_value"].sum()), 6),
        "touchpoints": int(group["touchpoints"].sum()),
    }


def test_demo_client_loads_accounts() -> None:
    client = funnelkit.load_client(emit_warnings=False)
    assert client.has("accounts")
    assert "account_id" in client.columns("leads")
    assert "account_id" in client.columns("events")
    assert client.row_counts["accounts"] == 300
    linked = client.sql("SELECT count(account_id) AS n FROM leads")["n"].iloc[0]
    assert linked > 0


def test_accounts_file(accounts: pd.DataFrame) -> None:
    assert list(accounts.columns) == [
        "account_id",
        "company",
        "target",
        "tier",
        "industry",
        "owner",
        "created_at",
    ]
    assert accounts["account_id"].is_unique and accounts["company"].is_unique
    assert accounts["account_id"].str.fullmatch(r"A\d{4}").all()
    targets = accounts[accounts["target"] == "yes"]
    assert targets["tier"].value_counts().to_dict() == TIERS
    others = accounts[accounts["target"] == "no"]
    assert len(others) == 100 and (others["tier"] == "").all()
    assert len(accounts) == len(targets) + len(others)
    assert (pd.to_datetime(accounts["created_at"]) < pd.Timestamp("2026-08-01")).all()


def test_every_account_id_is_known(
    accounts: pd.DataFrame, leads: pd.DataFrame, events: pd.DataFrame
) -> None:
    known = set(accounts["account_id"])
    on_leads = set(leads.loc[leads["company_id"] != "", "company_id"])
    on_events = set(events["account_id"].dropna())
    assert on_leads and on_events
    assert on_leads <= known and on_events <= known
    # one company per contact; a lead's account is its contact's account (leads are the
    # generate_lead events in order)
    ev = events[events["account_id"].notna()]
    assert not ev.drop_duplicates(["visitor_id", "account_id"])["visitor_id"].duplicated().any()
    assert events.loc[events["visitor_id"].isin(ev["visitor_id"]), "account_id"].notna().all()
    lead_events = events[events["event_name"] == "generate_lead"].reset_index(drop=True)
    assert len(lead_events) == len(leads)
    contact_account = lead_events["account_id"].fillna("")
    assert (
        contact_account[leads["company_id"] != ""]
        == leads.loc[leads["company_id"] != "", "company_id"]
    ).all()


def test_account_leads_are_in_the_period(leads: pd.DataFrame) -> None:
    with_account = leads[leads["company_id"] != ""]
    created = pd.to_datetime(with_account["created_at"])
    assert ((created >= PERIOD[0]) & (created < PERIOD[1])).all()


def test_realised_truth_equals_plain_pandas(truth: dict, per_account: pd.DataFrame) -> None:
    realised = truth["realised"]
    targets = per_account[per_account["target"] == "yes"]
    assert realised["all_accounts"] == _expected(per_account)
    assert realised["targets"] == _expected(targets)
    assert realised["non_target"] == _expected(per_account[per_account["target"] == "no"])
    for tier in TIERS:
        assert realised["by_tier"][f"tier_{tier}"] == _expected(targets[targets["tier"] == tier])
    for industry, block in realised["by_industry"].items():
        assert block == _expected(targets[targets["industry"] == industry]), industry
    stalling = targets["industry"] == realised["stalling"]["industry"]
    assert realised["stalling"]["stalling_industry"] == _expected(targets[stalling])
    assert realised["stalling"]["other_industries"] == _expected(targets[~stalling])
    stalled = targets.index[targets["engaged"] & ~targets["opportunity"]]
    assert realised["engaged_targets_without_opportunity"] == sorted(stalled)
    assert realised["contacts"] == int(per_account["contacts"].sum())


def test_planted_truths_are_realised(truth: dict) -> None:
    planted, realised = truth["planted"], truth["realised"]
    for tier, n in TIERS.items():
        block, drawn = realised["by_tier"][f"tier_{tier}"], planted["drawn"][f"tier_{tier}"]
        assert block["accounts"] == n
        # exact counts by construction: round(p x n), half up
        assert block["engaged"] == int(planted["p_engaged"][f"tier_{tier}"] * n + 0.5)
        assert block["covered"] == int(planted["p_covered"]["target"] * n + 0.5)
        for flag, key in (("covered", "covered"), ("engaged", "engaged"), ("won", "won")):
            assert block[key] == drawn[flag]
        assert block["opportunities"] == drawn["opportunity"]
    shares = [realised["by_tier"][f"tier_{t}"]["engaged_share"] for t in TIERS]
    assert shares == [0.6, 0.4, 0.2]
    assert realised["targets"]["coverage"] == pytest.approx(0.85, abs=0.01)
    win = {t: realised["by_tier"][f"tier_{t}"]["win_rate"] for t in TIERS}
    assert win["1"] > win["2"] > win["3"] and win["1"] - win["3"] > 0.4
    stall = realised["stalling"]
    assert (
        stall["stalling_industry"]["engaged_share"] > 2 * stall["other_industries"]["engaged_share"]
    )
    assert (
        stall["stalling_industry"]["opportunity_share_of_engaged"]
        < stall["other_industries"]["opportunity_share_of_engaged"] / 4
    )
