"""The accounts chapter (notebook 05) on a small ABM client, in English and Russian.

The client is built here: 240 companies (every sixth off the target list), tier 3 engaging far
less often than tiers 1 and 2, events, leads and spend over September and October 2026. The
funnel counts and the stalled accounts are checked against plain pandas on the CSV files.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import pandas as pd
import pytest
from chapter_output import capture_display, reset_language, shown_texts

from funnelkit import load_client
from funnelkit.core.i18n import use_language
from funnelkit.presentation.accounts import (
    STALLED_FILE,
    plot_account_funnel,
    plot_funnel_by,
    review_accounts,
)
from funnelkit.presentation.accounts.text import note_text
from funnelkit.presentation.display import Table
from funnelkit.presentation.results import load_results, save_results

matplotlib.use("Agg")

#: Latin words a Russian chapter may hold: abbreviations and names set in code spans.
ALLOWED = {"cac", "clv", "sql", "mql", "abm", "p", "csv", "id", "crm"}
#: Interaction events of the client (the weights table names them), channels (data).
EVENTS = ["page_view", "email_click", "request_demo", "session_start"]
CHANNELS = ["ads", "seo", "email"]


def make_client(folder: Path, *, language: str = "en", accounts: bool = True) -> Path:
    """Write a small ABM client (client.yaml and CSVs) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(7)
    rows, events, leads, spend = [], [], [], []
    for i in range(240):
        aid, tier = f"acc{i:03d}", ("1", "2", "3")[i % 3]
        channel = CHANNELS[i % 4 % 3]
        created = pd.Timestamp("2026-06-01") + pd.Timedelta(days=i % 150)  # covers September
        rows.append({"account_id": aid, "name": f"Company{i:03d} Ltd",
                     "target": "no" if i % 6 == 5 else "yes", "tier": tier,
                     "industry": ("retail", "bank")[i % 2], "owner": f"rep{i % 3}",
                     "created_at": created})  # fmt: skip
        for month in (9, 10):
            if rng.random() < (0.2 if tier == "3" else 0.7):
                for k in range(rng.randint(3, 6)):
                    events.append({"user_id": f"u{i}_{month}", "event": rng.choice(EVENTS),
                                   "timestamp": f"2026-{month:02d}-{k + 2:02d} 10:00",
                                   "channel": channel, "account_id": aid})  # fmt: skip
                if rng.random() < 0.5:
                    day = f"2026-{month:02d}-"
                    leads.append({"lead_id": f"l{i}_{month}", "created_at": day + "03",
                                  "channel": channel, "mql_at": day + "04", "sql_at": day + "06",
                                  "won_at": day + "20" if rng.random() < 0.5 else "",
                                  "value": "" if i % 7 == 0 else 1000 + 10 * i,
                                  "account_id": aid})  # fmt: skip
    for day in pd.date_range("2026-09-01", "2026-10-31"):
        spend += [{"date": day.date(), "channel": c, "cost": 50} for c in CHANNELS]
    pd.DataFrame(events).to_csv(folder / "events.csv", index=False)
    pd.DataFrame(leads).to_csv(folder / "leads.csv", index=False)
    pd.DataFrame(spend).to_csv(folder / "spend.csv", index=False)
    data = {"events": "events.csv", "leads": "leads.csv", "spend": "spend.csv"}
    if accounts:
        pd.DataFrame(rows).to_csv(folder / "accounts.csv", index=False)
        data["accounts"] = "accounts.csv"
    tables = "".join(f"  {name}: {{path: {path}}}\n" for name, path in data.items())
    (folder / "client.yaml").write_text(
        f"client: ABM test\nlanguage: {language}\nperiod: {{start: 2026-10-01, end: 2026-10-31}}\n"
        f"business_type: abm\ndata:\n{tables}",
        encoding="utf-8",
    )
    return folder


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("abm")
    return {
        "en": make_client(root / "en"),
        "ru": make_client(root / "ru", language="ru"),
        "none": make_client(root / "none", accounts=False),
    }


@pytest.fixture(scope="module")
def chapters(folders):
    return {key: review_accounts(load_client(f, emit_warnings=False)) for key, f in folders.items()}


@pytest.fixture
def shown(monkeypatch):
    yield capture_display(monkeypatch, "funnelkit.presentation.accounts.chapter")
    reset_language()


def _show_all(chapter, results_path) -> None:
    use_language(chapter.language)
    chapter.show_intro()
    chapter.show_metrics()
    chapter.show_funnel()
    chapter.show_funnel_by("tier")
    chapter.show_funnel_by("channel")
    chapter.show_findings()
    chapter.show_stalled(results_path)


def _reference(folder: Path) -> pd.DataFrame:
    """Per target account, from the CSVs with plain pandas: engaged, opportunity, won."""
    accounts = pd.read_csv(folder / "accounts.csv")
    events = pd.read_csv(folder / "events.csv", parse_dates=["timestamp"])
    leads = pd.read_csv(folder / "leads.csv", parse_dates=["sql_at", "won_at"])
    october = events[(events["timestamp"] >= "2026-10-01") & (events["event"] != "session_start")]
    touches = october.groupby("account_id").size()
    won = set(leads.loc[leads["won_at"].dt.month.eq(10), "account_id"])
    opportunity = set(leads.loc[leads["sql_at"].dt.month.eq(10), "account_id"]) | won
    targets = accounts[accounts["target"] == "yes"].copy()
    targets["won"] = targets["account_id"].isin(won)
    targets["opportunity"] = targets["account_id"].isin(opportunity)
    touched = targets["account_id"].map(touches).fillna(0) >= 3
    targets["engaged"] = touched | targets["opportunity"]
    targets["stalled"] = touched & ~targets["opportunity"]
    return targets


def test_funnel_and_stalled_match_plain_pandas(chapters, folders):
    ref = _reference(folders["en"])
    expected = [len(ref), int(ref["engaged"].sum()), int(ref["opportunity"].sum()),
                int(ref["won"].sum())]  # fmt: skip
    assert chapters["en"].funnel["accounts"].tolist() == expected
    assert len(chapters["en"].stalled) == int(ref["stalled"].sum()) > 0


def test_english_chapter_says_it_in_words(chapters, shown, tmp_path):
    results_path = tmp_path / "results" / "05_accounts.json"
    _show_all(chapters["en"], str(results_path))
    text = "\n".join(shown_texts(shown))
    assert "the **target list** is the accounts" in text and "at least **3** touchpoints" in text
    assert "request_demo" in text  # the weights table
    assert "Account win rate (accounts won / accounts with an opportunity)" in text
    assert "Share of the target list (step / target accounts), 95% interval" in text
    assert re.search(r"Tier 3 accounts engage less often than the other target accounts: "
                     r"\d+\.\d% vs \d+\.\d%", text)  # fmt: skip
    assert "significant after Holm's correction" in text and "What to do:" in text
    assert "no value" not in [line for line in text.splitlines() if line.startswith("- ")]
    # the stalled accounts: counted in the report, listed only in the CSV beside it
    stalled = pd.read_csv(results_path.parent / STALLED_FILE)
    assert len(stalled) == len(chapters["en"].stalled)
    assert f"**{len(stalled)}** engaged target accounts" in text and STALLED_FILE in text
    for value in list(stalled["account_id"]) + list(stalled["name"]):
        assert value not in text
    assert "Company" not in text and not re.search(r"\bacc\d{3}\b", text)
    assert not re.search(r"\bnan\b|\bNone\b|NaT|[{}]|dtype|Timestamp\(", text), text


def test_metric_without_value_shows_its_note_not_zero(chapters, shown):
    _show_all(chapters["en"], "")
    table = next(o.text for o in shown if isinstance(o, Table) and "Metric" in o.text.columns)
    retention = table[table["Metric"].str.startswith("Account retention")].iloc[0]
    assert (
        retention["Before"] == "–"
        and "no customer accounts in the previous period" in retention["Note"]
    )
    pipeline = table[table["Metric"].str.startswith("Pipeline value")].iloc[0]
    assert "opportunities without a value (counted as 0)" in pipeline["Note"]
    assert "no earlier data" not in set(table["Before"])  # accounts.created_at covers September


def test_russian_chapter_has_no_english_left(chapters, shown):
    _show_all(chapters["ru"], "")
    texts = shown_texts(shown)
    patterns = {p.strip("*").lower() for p in chapters["ru"].client.config.accounts.weights}
    found = []
    for text in texts:
        text = re.sub(r"`[^`]*`", " ", text)
        for word in re.findall(r"[A-Za-z][A-Za-z0-9_'’*./-]*", text):
            bare = word.strip(".*/'’-,").lower()
            if "_" in word or bare in ALLOWED or bare in {*CHANNELS, *EVENTS, *patterns}:
                continue
            found.append(word)
    assert not found, found
    joined = "\n".join(texts)
    assert "Аккаунты уровня 3 вовлекаются реже" in joined and "поправкой Холма" in joined
    assert not re.search(r"\bnan\b|\bNone\b|NaT|[{}]", joined)


def test_without_accounts_one_note_and_nothing_else(chapters, shown, tmp_path):
    chapter = chapters["none"]
    assert not chapter.available
    _show_all(chapter, str(tmp_path / "r.json"))
    assert len(shown) == 1 and "**accounts** table" in shown[0].data
    assert "`account_id`" in shown[0].data
    assert not (tmp_path / STALLED_FILE).exists()
    assert json.loads(json.dumps(chapter.to_results()))["available"] is False


def test_to_results_is_plain_json(chapters, tmp_path):
    results = chapters["en"].to_results()
    plain = json.loads(json.dumps(results))
    assert plain["stalled_accounts"] == len(chapters["en"].stalled)
    assert [r["accounts"] for r in plain["funnel"]] == chapters["en"].funnel["accounts"].tolist()
    finding = next(f for f in plain["significant_segments"] if f["segment"] == "3")
    assert finding["step"] == "engaged" and finding["flag"] == "under"
    assert {m["metric"] for m in plain["metrics"]} >= {"account_win_rate", "pipeline_value"}
    path = tmp_path / "05_accounts.json"
    save_results({"accounts": results}, path)
    assert load_results(path)["accounts"]["stalled_accounts"] == plain["stalled_accounts"]


def test_charts_return_axes_with_alt_text(chapters):
    use_language("ru")
    try:
        ax = plot_account_funnel(chapters["en"].funnel)
        assert ax.figure.funnelkit_alt.startswith("Столбчатая диаграмма")
        ax = plot_funnel_by(chapters["en"].funnel_by["channel"], "channel")
        assert "нет известных контактов" in ax.figure.funnelkit_alt
    finally:
        use_language("en")
        plt.close("all")


def test_notes_are_translated_with_their_numbers():
    assert note_text("no leads.value in the export", "ru") == "в выгрузке нет leads.value"
    assert note_text("1 opportunity without a value (counted as 0)", "en").startswith("1 opp")
    assert note_text("", "ru") == ""
