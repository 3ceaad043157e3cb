"""The visit section of the customer-value chapter: return rate of visitors by first-visit week.

Checks the week-1 return rate against plain pandas (a hand-made events table, and the demo's),
that weeks not wholly observed are blank rather than zero, that a client with events and no
orders gets the chapter (a note on what is missing, then the visits) while one with neither gets
one note and is left out of a run, and that the new words read in Russian.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import pandas as pd
import pytest
from chapter_output import capture_display, reset_language, shown_texts

from funnelkit import load_client
from funnelkit.core import paths
from funnelkit.core.i18n import gettext, use_language
from funnelkit.presentation.display import Table
from funnelkit.presentation.value import ValueChapter, review_value, text, visits
from funnelkit.run.chapters import Chapter, requirements, requirements_any, without_their_data

matplotlib.use("Agg")

# Cohort of Mon 7 Sep: a0..a9, of whom a0..a2 come back the week of 14 Sep (week 1), a0 on 21 Sep
# and a1 on Sun 4 Oct (week 3, the data end). Cohort of 14 Sep: b0..b4, b0 and b1 back on 22 Sep.
# Cohort of 21 Sep: c0..c3, c0 back on Mon 28 Sep. Cohort of 28 Sep: d0 alone, its week 1 unseen.
# Week 1 by hand: 3/10, 2/5, 1/4; pooled (3 + 2 + 1) / (10 + 5 + 4) = 6/19 = 0.3158.
ROWS = (
    [(f"a{i}", "2026-09-07 10:00") for i in range(10)]
    + [("a0", "2026-09-15 09:00"), ("a1", "2026-09-16 09:00"), ("a2", "2026-09-20 23:00")]
    + [("a0", "2026-09-21 08:00"), ("a1", "2026-10-04 18:00")]
    + [(f"b{i}", "2026-09-15 12:00") for i in range(5)]
    + [("b0", "2026-09-22 12:00"), ("b1", "2026-09-27 12:00")]
    + [(f"c{i}", "2026-09-23 12:00") for i in range(4)]
    + [("c0", "2026-09-28 07:00"), ("d0", "2026-09-30 07:00")]
)
EVENTS = "user_id,timestamp,event\n" + "".join(f"{u},{t},page_view\n" for u, t in ROWS)
LEADS = "lead_id,created_at,channel\nl1,2026-10-01,ads\nl2,2026-10-02,seo\n"
#: Latin words a Russian chapter may hold: table names and column names.
ALLOWED = {"orders", "events", "id"}


@pytest.fixture
def shown(monkeypatch):
    yield capture_display(monkeypatch, "funnelkit.presentation.value.chapter", alt_text=True)
    reset_language()
    plt.close("all")


def _events_client(make_client, language: str = "en"):
    data = {"events": {"path": "data/events.csv"}}
    folder = make_client({"events.csv": EVENTS}, name=f"visits-{language}", timezone="UTC",
                         language=language, data=data)  # fmt: skip
    return load_client(folder, emit_warnings=False)


def _week_one(events: pd.DataFrame) -> pd.DataFrame:
    """Plain pandas: per first-visit week (Monday), new visitors and those back the week after."""
    week = events["timestamp"].dt.to_period("W-SUN").dt.start_time
    frame = events.assign(week=week)[["user_id", "week"]].drop_duplicates()
    first = frame.groupby("user_id")["week"].min().rename("cohort")
    frame = frame.join(first, on="user_id")
    sizes = first.value_counts().sort_index()
    back = frame.loc[frame["week"] == frame["cohort"] + pd.Timedelta(weeks=1)]
    back = back.groupby("cohort")["user_id"].nunique().reindex(sizes.index, fill_value=0)
    return pd.DataFrame({"size": sizes, "back": back})


def _wilson(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    p, d = k / n, 1 + z * z / n
    centre = (p + z * z / (2 * n)) / d
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return centre - half, centre + half


def _english(texts: list[str]) -> list[str]:
    found = []
    for line in texts:
        line = re.sub(r"`[^`]*`", " ", line)
        for word in re.findall(r"[A-Za-z][A-Za-z0-9_'’*./:-]*", line):
            bare = word.strip(".*/'’-:,").lower()
            if "_" in word or "." in bare or bare in ALLOWED:
                continue
            found.append(word)
    return found


def test_week_one_return_matches_plain_pandas(make_client):
    client = _events_client(make_client)
    chapter = review_value(client)
    summary = visits.visit_summary(chapter.visits)
    events = client.sql("SELECT user_id, timestamp FROM events")
    plain = _week_one(events)
    assert plain["size"].tolist() == [10, 5, 4, 1] and plain["back"].tolist() == [3, 2, 1, 0]
    observed = plain.iloc[:3]  # the week after 28 Sep is after the data end (Sun 4 Oct)
    rate = observed["back"].sum() / observed["size"].sum()
    assert summary["cohorts"] == 3 and summary["visitors"] == 19
    assert summary["week_1_return"] == pytest.approx(rate) == pytest.approx(6 / 19)
    assert (summary["min"], summary["max"]) == pytest.approx((0.25, 0.4))
    assert (summary["low"], summary["high"]) == pytest.approx(_wilson(6, 19), abs=1e-9)
    assert (summary["first"], summary["last"]) == ("2026-09-07", "2026-09-21")
    assert summary["left_out"] == 0 and not summary["cut"]


def test_weeks_not_wholly_observed_are_blank_not_zero(make_client):
    wide = visits.weekly_return(review_value(_events_client(make_client)).visits)
    assert list(wide.columns) == [1, 2, 3]
    assert wide.loc["2026-09-07"].tolist() == pytest.approx([0.3, 0.1, 0.1])
    assert wide.loc["2026-09-14"].tolist()[:2] == pytest.approx([0.4, 0.0])  # seen: a real zero
    assert math.isnan(wide.loc["2026-09-14", 3])  # the week of 5 Oct is after the data end
    assert wide.loc["2026-09-28"].isna().all()  # d0's week 1 is not observed


def test_events_without_orders_note_then_visits(make_client, shown):
    chapter = review_value(_events_client(make_client))
    assert not chapter.available and chapter.visits is not None
    chapter.show_intro()
    chapter.show_clv()
    chapter.show_holdout()
    chapter.show_cohorts()
    chapter.show_visits()
    chapter.show_segments("")
    chapter.show_channels()
    texts = shown_texts(shown)
    assert "**orders** table" in texts[0] and "`order_id`, `customer_id`" in texts[0]
    assert "only the return rate of visitors" in texts[0]
    assert isinstance(shown[1], Table) and "New visitors in the week" in shown[1].text.columns
    assert shown[2].startswith("Heatmap of the share of each first-visit week's visitors")
    sentences = shown[3].data
    assert "**25.0% to 40.0%** came back the week after" in sentences
    assert "**31.6%** of new visitors" in sentences and len(shown) == 4
    plain = json.loads(json.dumps(chapter.to_results()))
    assert plain["available"] is False and plain["needs"] == text.NEEDS_ORDERS
    assert plain["visits"]["cohorts"] == 3
    assert plain["visits"]["week_1_return"] == pytest.approx(6 / 19)
    assert plain["visits"]["low"] < 6 / 19 < plain["visits"]["high"]


def test_neither_orders_nor_events_one_note_and_left_out_of_a_run(make_client, shown):
    folder = make_client({"leads.csv": LEADS}, name="leads-only", timezone="UTC",
                         data={"leads": {"path": "data/leads.csv"}})  # fmt: skip
    chapter = review_value(load_client(folder, emit_warnings=False))
    assert not chapter.available and chapter.visits is None
    chapter.show_intro()
    chapter.show_visits()
    chapter.show_cohorts()
    assert len(shown) == 1 and text.NEEDS in shown[0].data
    assert chapter.to_results()["visits"] is None
    notebook = paths.notebooks_dir() / "06_customer_value.ipynb"
    planned = Chapter(notebook, "Value", {}, {}, {}, requirements(notebook),
                      requirements_any(notebook))  # fmt: skip
    lines: list[str] = []
    assert without_their_data([planned], ["leads"], log=lines.append) == []
    assert lines == [
        "  06_customer_value: left out (needs an orders or events table; add `data.orders` or "
        "`data.events` to client.yaml)"
    ]
    for tables in (["events"], ["orders"], ["orders", "events", "spend"]):
        assert without_their_data([planned], tables, log=lines.append) == [planned]
    assert len(lines) == 1


def test_orders_without_events_says_what_the_visits_need(make_client, shown):
    client = _events_client(make_client)
    client.has = lambda table, *columns: table == "orders"  # an orders-only client, as it reads
    ValueChapter(client=client, available=True).show_visits()
    assert len(shown) == 1 and "**events** table" in shown[0].data


def test_demo_section_matches_plain_pandas(shown):
    client = load_client(emit_warnings=False)
    chapter = review_value(client)
    chapter.show_visits()
    texts = shown_texts(shown)
    assert any("Week 1" in t for t in texts) and "95% interval" in texts[-1]
    events = client.sql(
        "SELECT user_id, timestamp FROM events "
        f"WHERE timestamp < TIMESTAMP '{client.config.period.end}' + INTERVAL 1 DAY"
    )
    plain = _week_one(events)
    last = events["timestamp"].max().normalize()
    first_day = events["timestamp"].min().normalize()
    # whole cohorts whose week after is wholly observed: from Monday, next Sunday at the latest
    keep = (plain.index >= first_day) & (plain.index + pd.Timedelta(days=13) <= last)
    observed = plain.loc[keep]
    summary = visits.visit_summary(chapter.visits)
    assert summary["cohorts"] == len(observed) > 5
    rate = observed["back"].sum() / observed["size"].sum()
    assert summary["week_1_return"] == pytest.approx(rate)
    assert summary["visitors"] == observed["size"].sum()
    rates = observed["back"] / observed["size"]
    assert (summary["min"], summary["max"]) == pytest.approx((rates.min(), rates.max()))
    low, high = _wilson(int(observed["back"].sum()), int(observed["size"].sum()))
    assert (summary["low"], summary["high"]) == pytest.approx((low, high), abs=1e-9)
    assert chapter.to_results()["visits"]["week_1_return"] == pytest.approx(rate)


NEW_WORDS = [
    text.NEEDS_ORDERS,
    visits.NEEDS_EVENTS,
    "No events up to the end of the period, so there are no first-visit weeks.",
    "First-visit week (from Monday)",
    "New visitors in the week",
    "Week {n}",
    "No first-visit week has its following week wholly observed yet, so no return rate is stated.",
    "weeks since the first visit (1 = the week after)",
    "first-visit week (from Monday)",
    "Share of each week's new visitors who came back, by week since",
    "The return rate of visitors could not be computed from the events table.",
    "First-visit weeks cut by the start or the end of the data are left out: {n} (their visitors "
    "are not all new, or not all counted).",
    "Heatmap of the share of each first-visit week's visitors who came back in each week since "
    "their first visit: {items}.",
]


@pytest.mark.parametrize("message", NEW_WORDS)
def test_new_words_have_russian(message):
    assert gettext(message, "ru") != message


def test_russian_section_has_no_english_left(make_client, shown):
    chapter = review_value(_events_client(make_client, "ru"))
    use_language("ru")
    chapter.show_intro()
    chapter.show_visits()
    texts = shown_texts(shown)
    assert len(texts) > 4 and "Неделя 1" in texts
    assert not _english(texts), _english(texts)
    assert "вернулись на следующей неделе" in "\n".join(texts)


def test_notebook_declares_orders_or_events():
    notebook = Path(paths.notebooks_dir() / "06_customer_value.ipynb")
    assert requirements(notebook) == [] and requirements_any(notebook) == ["orders", "events"]


def test_a_long_history_shows_the_latest_weeks_and_says_so():
    """20 whole weekly cohorts of 100 visitors, 20 back in week 1 and 10 in every later week."""
    rows = []
    for i in range(20):
        cohort = pd.Timestamp("2026-03-02") + pd.Timedelta(weeks=i)
        for n in range(20 - i):
            active = 100 if n == 0 else 20 if n == 1 else 10
            rows.append({"cohort": cohort, "period_number": n, "cohort_size": 100,
                         "visitors_active": active, "retention": active / 100,
                         "complete": True, "cohort_complete": True})  # fmt: skip
    frame = pd.DataFrame(rows)
    wide = visits.weekly_return(frame)
    assert wide.shape == (visits.MAX_COHORTS, visits.MAX_WEEKS)
    assert wide.index[-1] == pd.Timestamp("2026-07-13")  # the latest cohort comes last
    summary = visits.visit_summary(frame)
    assert summary["cut"] and summary["cohorts"] == 19  # the last cohort has no week 1
    assert summary["week_1_return"] == pytest.approx(0.2)  # 19 × 20 / (19 × 100)
    for language in ("en", "ru"):
        said = visits.visit_sentences(summary, language)
        assert len(said) == 3 and "16" in said[-1] and "12" in said[-1]
    assert not _english(visits.visit_sentences(summary, "ru"))


def test_an_events_only_report_has_no_empty_sections(make_client, tmp_path):
    """Run notebook 06 headlessly for a client without orders, then build its report chapter.

    The headings of the orders-based sections (tagged ``hide-if-empty``) go with their empty
    sections; the visits section and the next steps (asking for the orders export) stay.
    """
    import papermill

    from funnelkit.run.book import chapter_from_notebook

    data = {"events": {"path": "data/events.csv"}}
    folder = make_client({"events.csv": EVENTS}, name="visits-run", timezone="UTC", data=data)
    out = tmp_path / "06_customer_value.ipynb"
    papermill.execute_notebook(
        str(paths.notebooks_dir() / "06_customer_value.ipynb"), str(out),
        parameters={"client_dir": str(folder),
                    "results_path": str(tmp_path / "06.json")},
        progress_bar=False, log_output=False,
    )  # fmt: skip
    chapter = chapter_from_notebook(out, language="en")
    titles = [title for _, title in chapter.sections]
    assert titles == [
        "Customer lifetime value: two ways to get it",
        "Who comes back to the site: return rate by first-visit week",
        "What to do next",
    ]
    assert "Ask for the orders export" in chapter.body and "segment lists" not in chapter.body
    saved = json.loads((tmp_path / "06.json").read_text(encoding="utf-8"))
    assert saved["value"]["available"] is False and saved["value"]["visits"]["cohorts"] >= 3
