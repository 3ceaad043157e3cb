"""The loader's account checks, as a consultant meets them: ``funnelkit check <folder>``.

Errors stop the load (exit code 2) with the file, the column, the lines, the values seen and the
fix; warnings keep the data and are printed by ``check``. The user's files are never modified.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

import funnelkit
from funnelkit.core.errors import ConfigError
from funnelkit.run.cli import main

ACCOUNTS = """account_id,name,target,tier
A1,Alpha,yes,1
A2,Beta,no,2
"""
LEADS = """lead_id,created_at,channel,account_id
L1,2026-10-02 09:00:00,paid,A1
L2,2026-10-03 09:00:00,paid,A2
"""
ORDERS = """order_id,customer_id,timestamp,revenue,account_id
O1,c1,2026-10-05 10:00:00,100,A1
O2,c2,2026-10-06 10:00:00,50,
"""
EVENTS = """user_id,timestamp,event,account_id
u1,2026-10-02 10:00:00,page_view,A1
u2,2026-10-02 11:00:00,page_view,
"""


@pytest.fixture(autouse=True)
def _own_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Prepared data go to a temporary cache (tests/conftest.py does not redirect it)."""
    monkeypatch.setenv("FUNNELKIT_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture
def folder(make_client):
    """``folder(accounts=..., leads=...)``: a client folder with those texts (None: absent)."""

    def _make(*, name: str = "abm", yaml: dict | None = None, **texts: str | bytes | None):
        texts = {"accounts": ACCOUNTS, "leads": LEADS} | texts
        kept = {t: text for t, text in texts.items() if text is not None}
        files = {f"{t}.{'parquet' if isinstance(x, bytes) else 'csv'}": x for t, x in kept.items()}
        data = {t: {"path": f"data/{f}"} for f in files for t in [f.split(".")[0]]}
        return make_client(files, name=name, data=data, **(yaml or {}))

    return _make


def check(folder: Path):
    return CliRunner().invoke(main, ["check", str(folder)], catch_exceptions=False)


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _fails(folder: Path) -> str:
    before = _snapshot(folder)
    result = check(folder)
    assert result.exit_code == 2, result.output
    assert _snapshot(folder) == before, "funnelkit check modified the user's files"
    return " ".join(result.output.split())  # messages wrap nowhere, but be safe


def _passes(folder: Path) -> str:
    before = _snapshot(folder)
    result = check(folder)
    assert result.exit_code == 0, result.output
    assert _snapshot(folder) == before, "funnelkit check modified the user's files"
    return " ".join(result.output.split())


# -- references from leads, orders and events ------------------------------------------------


def test_a_lead_naming_an_unknown_account_is_an_error(folder):
    text = _fails(folder(leads=LEADS + "L3,2026-10-04 09:00:00,paid,ZZ\n"))
    assert "leads.csv: 1 row (line 4) in column 'account_id' (account_id)" in text
    assert "names an account that is not in the accounts file (values seen: 'ZZ')" in text
    assert "add those companies to the accounts export, or fix the ids so they match" in text


def test_a_renamed_column_is_named_as_in_the_file(folder):
    leads = LEADS.replace("account_id", "company") + "L3,2026-10-04 09:00:00,paid, ZZ \n"
    client = folder(leads=leads, yaml={})
    # map company -> account_id
    config = client / "client.yaml"
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            "path: data/leads.csv", "path: data/leads.csv\n    columns:\n      account_id: company"
        ),
        encoding="utf-8",
    )
    text = _fails(client)
    # the id is trimmed before it is compared, and the column keeps its name in the file
    assert "leads.csv: 1 row (line 4) in column 'company' (account_id)" in text
    assert "(values seen: 'ZZ')" in text


def test_an_order_naming_an_unknown_account_is_an_error(folder):
    orders = ORDERS + "O3,c3,2026-10-07 10:00:00,70,A9\nO4,c4,2026-10-08 10:00:00,70,A8\n"
    text = _fails(folder(orders=orders))
    assert "orders.csv: 2 rows (lines 4, 5) in column 'account_id' (account_id)" in text
    assert "(values seen: 'A8', 'A9')" in text


def test_an_event_naming_an_unknown_account_is_a_warning(folder):
    client = folder(events=EVENTS + "u3,2026-10-03 10:00:00,page_view,ZZ\n")
    text = _passes(client)
    assert "events.csv: 1 row (line 4) in column 'account_id' (account_id)" in text
    assert "they count for no account until you add those companies" in text
    loaded = funnelkit.load_client(client, emit_warnings=False)
    assert loaded.sql("SELECT count(*) AS n FROM events")["n"].iloc[0] == 3  # nothing dropped


# -- the accounts file itself ----------------------------------------------------------------


def test_an_account_listed_twice_is_an_error(folder):
    text = _fails(folder(accounts=ACCOUNTS + "A1,Alpha GmbH,yes,1\n"))
    assert "accounts.csv: 2 rows (lines 2, 4) share a value of 'account_id'" in text
    assert "['A1']" in text and "each account_id must appear once" in text


def test_a_target_that_is_not_yes_or_no_is_an_error(folder):
    text = _fails(folder(accounts=ACCOUNTS + "A3,Gamma,maybe,1\n"))
    assert "accounts.csv: 1 row (line 4) in column 'target' could not be read as yes/no" in text
    assert "Values seen: 'maybe'" in text
    assert "1/0, true/false, yes/no, да/нет; an empty cell is no" in text


def test_every_spelling_of_yes_and_no_is_read(folder):
    accounts = (
        "account_id,name,target\n"
        "A1,a,1\nA2,b,0\nA3,c,true\nA4,d,FALSE\nA5,e, Yes \nA6,f,no\nA7,g,да\nA8,h,Нет\nA9,i,\n"
    )
    client = folder(accounts=accounts, leads=None)
    _passes(client)
    loaded = funnelkit.load_client(client, emit_warnings=False)
    frame = loaded.sql("SELECT account_id, target FROM accounts ORDER BY account_id")
    # an empty cell is no, already in the stored table (not left missing)
    assert frame["target"].tolist() == [True, False, True, False, True, False, True, False, False]


def test_a_parquet_boolean_target_is_read(folder, tmp_path):
    path = tmp_path / "accounts.parquet"
    duckdb.sql(
        "SELECT * FROM (VALUES ('A1', 'a', TRUE), ('A2', 'b', FALSE), ('A3', 'c', NULL)) "
        "t(account_id, name, target)"
    ).write_parquet(str(path))
    client = folder(accounts=path.read_bytes(), leads=None)
    _passes(client)
    loaded = funnelkit.load_client(client, emit_warnings=False)
    frame = loaded.sql("SELECT account_id, target FROM accounts ORDER BY account_id")
    assert frame["target"].fillna(False).tolist() == [True, False, False]


def test_a_target_column_marking_nobody_is_a_warning(folder):
    text = _passes(folder(accounts="account_id,name,target\nA1,a,no\nA2,b,\n", leads=None))
    assert "accounts.csv: column 'target' marks no account as a target" in text
    assert "remove the mapping of `target` (then every account is a target)" in text


def test_account_id_without_an_accounts_file_is_a_warning(folder):
    text = _passes(folder(accounts=None))
    assert "leads.csv: column 'account_id' names the contact's company (account_id) on 2" in text
    assert "client.yaml has no `data.accounts`" in text


# -- the accounts: section of client.yaml ----------------------------------------------------


def test_unknown_keys_under_accounts_are_a_config_error(folder):
    client = folder(yaml={"accounts": {"engaged_touchpoint": 3}})
    text = _fails(client)
    assert "unknown key `accounts.engaged_touchpoint`" in text
    assert "did you mean 'engaged_touchpoints'?" in text
    with pytest.raises(ConfigError, match="engaged_touchpoint"):
        funnelkit.load_client(client, emit_warnings=False)


def test_a_negative_weight_is_a_config_error(folder):
    client = folder(yaml={"accounts": {"weights": {"request_demo": -5}}})
    text = _fails(client)
    assert "touchpoint weight of 'request_demo' is -5" in text
    with pytest.raises(ConfigError, match="weights are 0 or more"):
        funnelkit.load_client(client, emit_warnings=False)


@pytest.mark.parametrize(
    "section",
    [{"engaged_touchpoints": 0}, {"other_events_weight": -1}, {"opportunity": "won"}],
)
def test_out_of_range_account_settings_are_config_errors(folder, section):
    key = next(iter(section))
    client = folder(yaml={"accounts": section})
    assert key in _fails(client)


def test_a_valid_accounts_section_loads(folder):
    client = folder(
        yaml={
            "accounts": {
                "engaged_touchpoints": 2,
                "weights": {"request_demo": 10, "page_*": 1, "re:^email_(open|click)$": 2},
                "other_events_weight": 0,
                "opportunity": "mql",
            }
        }
    )
    _passes(client)
    settings = funnelkit.load_client(client, emit_warnings=False).config.accounts
    assert settings.engaged_touchpoints == 2 and settings.opportunity == "mql"
    assert settings.weights == {"request_demo": 10, "page_*": 1, "re:^email_(open|click)$": 2}
