"""The `abm` business type: its stages follow the ABM article, and it falls back without accounts.

Also: the accounts chapter is left out of a run whose client has no accounts table.
"""

from __future__ import annotations

from pathlib import Path

from funnelkit import load_client
from funnelkit.run.chapters import Chapter, requirements, requirements_any, without_their_data
from funnelkit.stages.compass import compass, key_metric
from funnelkit.stages.mapping import resolve_stages
from funnelkit.stages.presets import get_preset

ACCOUNTS = "account_id,name,target,tier\na1,Acme,yes,1\na2,Beta,yes,2\na3,Gamma,no,\n"
# a1: a lead reaching SQL on 10-05 and won on 10-20; a2: a lead reaching SQL, not won
LEADS = (
    "lead_id,created_at,channel,mql_at,sql_at,won_at,value,account_id\n"
    "l1,2026-10-01,ads,2026-10-02,2026-10-05,2026-10-20,100,a1\n"
    "l2,2026-10-02,seo,2026-10-03,2026-10-06,,50,a2\n"
    "l3,2026-09-10,seo,2026-09-11,2026-09-12,2026-09-20,70,a2\n"
)
# a1's contact: 3 touchpoints (session_start weighs 0); a2's contact: 1 touchpoint
EVENTS = (
    "user_id,timestamp,event,account_id\n"
    "u1,2026-10-02 10:00,session_start,a1\n"
    "u1,2026-10-02 10:00,page_view,a1\n"
    "u1,2026-10-02 10:05,request_demo,a1\n"
    "u1,2026-10-03 09:00,page_view,a1\n"
    "u2,2026-10-04 09:00,page_view,a2\n"
    "u9,2026-10-04 09:00,page_view,\n"
)


def _abm_client(make_client, *, accounts: bool = True):
    data = {
        "events": {"path": "data/events.csv"},
        "leads": {"path": "data/leads.csv"},
    }
    files = {"events.csv": EVENTS, "leads.csv": LEADS}
    if accounts:
        data["accounts"] = {"path": "data/accounts.csv"}
        files["accounts.csv"] = ACCOUNTS
    else:
        files["events.csv"] = (
            EVENTS.replace(",account_id", "")
            .replace(",a1", "")
            .replace(",a2", "")
            .replace("09:00,\n", "09:00\n")
        )
        files["leads.csv"] = LEADS.replace(",account_id", "").replace(",a1", "").replace(",a2", "")
    folder = make_client(files, business_type="abm", timezone="UTC", data=data)
    return load_client(folder, emit_warnings=False)


def test_the_preset_follows_the_article():
    """Engagement at consideration, win rate at purchase, account retention at retention."""
    preset = get_preset("abm")
    assert [p.key_metric for p in preset.values()] == [
        "target_account_coverage",
        "engaged_target_accounts",
        "account_win_rate",
        "account_retention",
        "nps",
    ]
    for stage in preset.values():
        assert stage.reason["en"] and stage.reason["ru"]


def test_with_accounts_the_compass_reads_the_account_metrics(make_client):
    client = _abm_client(make_client)
    plans = {p.stage: p for p in resolve_stages(client)}
    chosen = {s: key_metric(client, p.key_metric, p.origin["key_metric"]).id
              for s, p in plans.items()}  # fmt: skip
    assert chosen["consideration"] == "engaged_target_accounts"
    assert chosen["purchase"] == "account_win_rate"
    table = compass(client).set_index("stage")
    # engaged target accounts: a1 (3 touchpoints) of the two targets a1, a2 -> 1/2
    assert table.loc["consideration", "value"] == 0.5
    # account win rate: a1 won of the opportunities a1, a2 -> 1/2
    assert table.loc["purchase", "value"] == 0.5


def test_without_accounts_the_compass_falls_back_to_lead_metrics(make_client):
    client = _abm_client(make_client, accounts=False)
    plans = {p.stage: p for p in resolve_stages(client)}
    chosen = {s: key_metric(client, p.key_metric, p.origin["key_metric"]).id
              for s, p in plans.items()}  # fmt: skip
    assert chosen["awareness"] == "visitors"
    assert chosen["consideration"] == "mql_to_sql"
    assert chosen["purchase"] == "win_rate"
    table = compass(client).set_index("stage")
    assert "instead of" in table.loc["purchase", "why"]


def test_the_accounts_chapter_declares_its_table():
    from funnelkit.core import paths

    assert requirements(paths.notebooks_dir() / "05_accounts.ipynb") == ["accounts"]
    value = paths.notebooks_dir() / "06_customer_value.ipynb"
    assert requirements(value) == [] and requirements_any(value) == ["orders", "events"]
    engagement = paths.notebooks_dir() / "07_engagement.ipynb"
    assert requirements(engagement) == [] and requirements_any(engagement) == ["social", "email"]
    others = [
        p for p in paths.notebooks_dir().glob("*.ipynb") if p.stem[:2] not in ("05", "06", "07")
    ]
    assert others and all(requirements(p) == requirements_any(p) == [] for p in others)


def test_a_chapter_without_its_table_is_left_out_with_a_line_saying_why():
    lines: list[str] = []
    chapters = [
        Chapter(Path("03_find_dropoff.ipynb"), "Drop-off", {}, {}, {}),
        Chapter(Path("05_accounts.ipynb"), "Accounts", {}, {}, {}, ["accounts"]),
    ]
    kept = without_their_data(chapters, ["events"], log=lines.append)
    assert [c.stem for c in kept] == ["03_find_dropoff"]
    assert lines == [
        "  05_accounts: left out (needs the accounts table; add `data.accounts` to client.yaml)"
    ]
    assert without_their_data(chapters, ["events", "accounts"], log=lines.append) == chapters


def test_a_chapter_needing_one_of_two_tables_runs_with_either():
    lines: list[str] = []
    value = Chapter(Path("06_customer_value.ipynb"), "Value", {}, {}, {}, [], ["orders", "events"])
    for tables in (["orders"], ["events"], ["orders", "events", "spend"]):
        assert without_their_data([value], tables, log=lines.append) == [value]
    assert lines == []
    assert without_their_data([value], ["spend", "leads"], log=lines.append) == []
    assert lines == [
        "  06_customer_value: left out (needs an orders or events table; add `data.orders` or "
        "`data.events` to client.yaml)"
    ]
    both = Chapter(Path("x.ipynb"), "X", {}, {}, {}, ["accounts"], ["orders", "events"])
    lines.clear()
    assert without_their_data([both], ["events"], log=lines.append) == []  # all-of first
    assert "needs the accounts table" in lines[0]
    assert without_their_data([both], ["accounts", "orders"], log=lines.append) == [both]
