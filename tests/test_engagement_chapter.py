"""The engagement chapter (notebook 07) on small social and e-mail clients, in English and Russian.

The clients are built here: Instagram and VK posts over September and October 2026 (October is
the period), seven e-mail campaigns (two in September, five in October, the open rate falling),
and one client with only the e-mail table. Expected numbers are written by hand from the rows
below or computed with plain pandas on the CSV files.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import pandas as pd
import pytest
from chapter_output import capture_display, reset_language, shown_texts

from funnelkit import load_client
from funnelkit.core.i18n import use_language
from funnelkit.presentation.display import Table
from funnelkit.presentation.engagement import (
    plot_campaign_rates,
    plot_interaction_mix,
    review_engagement,
)
from funnelkit.presentation.engagement.email_text import trend_sentence
from funnelkit.presentation.results import load_results, save_results

matplotlib.use("Agg")

#: Latin words a Russian chapter may hold: brand names, abbreviations, the campaigns' names.
ALLOWED = {"vk", "instagram", "facebook", "meta", "business", "suite", "mailchimp", "unisender",
           "sendpulse", "apple", "mail", "privacy", "protection", "cochran", "armitage", "r",
           "p", "ctr", "ctor", "id", "csv", "mpp", "e-mail"}  # fmt: skip

#: Posts: (network, post id, day, reach, likes, comments, shares, clicks).
POSTS = [
    ("instagram", "ig-01", "2026-09-05", 1000, 40, 5, 5, 10),
    ("instagram", "ig-02", "2026-09-20", 1000, 30, 5, 5, 10),
    ("vk", "vk-01", "2026-09-06", 2000, 50, 10, 20, 30),
    ("vk", "vk-02", "2026-09-21", 2000, 50, 10, 20, 30),
    ("instagram", "ig-03", "2026-10-02", 1200, 80, 10, 10, 20),
    ("instagram", "ig-04", "2026-10-09", 800, 20, 4, 6, 8),
    ("instagram", "ig-05", "2026-10-16", 1000, 60, 10, 10, 12),
    ("instagram", "ig-06", "2026-10-23", 500, 5, 0, 0, 2),
    ("vk", "vk-03", "2026-10-03", 3000, 40, 10, 10, 40),
    ("vk", "vk-04", "2026-10-10", 1000, 30, 5, 5, 10),
    ("vk", "vk-05", "2026-10-17", 2000, 20, 5, 5, 20),
]
#: Campaigns: (name, sent, recipients, delivered, unique opens, unique clicks, unsubscribes).
CAMPAIGNS = [
    ("Сентябрь 1", "2026-09-08 10:00", 1000, 980, 392, 49, 2),
    ("Сентябрь 2", "2026-09-22 10:00", 1000, 980, 382, 47, 3),
    ("October news", "2026-10-01 10:00", 1000, 990, 396, 50, 2),
    ("Autumn sale", "2026-10-08 10:00", 1000, 980, 353, 45, 4),
    ("Webinar", "2026-10-15 10:00", 1000, 985, 315, 44, 3),
    ("Case study", "2026-10-22 10:00", 1000, 990, 277, 40, 5),
    ("Black Friday", "2026-10-29 10:00", 1000, 970, 243, 39, 6),
]


def make_client(folder: Path, *, language: str = "en", social: bool = True,
                email: bool = True, daily: bool = False) -> Path:  # fmt: skip
    """Write a client with social posts and/or e-mail campaigns into ``folder``.

    ``daily``: the social rows are a community's daily totals (no post id).
    """
    folder.mkdir(parents=True, exist_ok=True)
    data = {}
    if social:
        rows = [dict(zip(("network", "post_id", "date", "reach", "likes", "comments", "shares",
                          "clicks"), p, strict=True)) for p in POSTS]  # fmt: skip
        for row in rows:
            row["follows"], row["unfollows"] = (12, 2) if row["network"] == "vk" else (20, 5)
            if daily:
                row["post_id"] = ""
        pd.DataFrame(rows).to_csv(folder / "social.csv", index=False)
        data["social"] = "social.csv"
    if email:
        rows = [dict(zip(("campaign", "sent_at", "recipients", "delivered", "unique_opens",
                          "unique_clicks", "unsubscribes"), c, strict=True))
                for c in CAMPAIGNS]  # fmt: skip
        for row in rows:
            row["bounces"] = row["recipients"] - row["delivered"]
            row["opens"], row["clicks"] = 2 * row["unique_opens"], 2 * row["unique_clicks"]
        pd.DataFrame(rows).to_csv(folder / "email.csv", index=False)
        data["email"] = "email.csv"
    if not data:  # a client with neither table: a few visits
        pd.DataFrame({"user_id": ["u1", "u2"], "event": ["page_view"] * 2,
                      "timestamp": ["2026-10-02 10:00", "2026-10-03 10:00"]}).to_csv(
            folder / "events.csv", index=False)  # fmt: skip
        data["events"] = "events.csv"
    tables = "".join(f"  {name}: {{path: {path}}}\n" for name, path in data.items())
    (folder / "client.yaml").write_text(
        f"client: Engagement test\nlanguage: {language}\n"
        f"period: {{start: 2026-10-01, end: 2026-10-31}}\ndata:\n{tables}",
        encoding="utf-8",
    )
    return folder


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("engagement")
    return {
        "en": make_client(root / "en"),
        "ru": make_client(root / "ru", language="ru"),
        "email": make_client(root / "email", social=False),
        "social": make_client(root / "social", email=False, language="ru"),
        "daily": make_client(root / "daily", email=False, daily=True),
        "none": make_client(root / "none", social=False, email=False),
    }


@pytest.fixture(scope="module")
def chapters(folders):
    return {k: review_engagement(load_client(f, emit_warnings=False)) for k, f in folders.items()}


@pytest.fixture
def shown(monkeypatch):
    yield capture_display(monkeypatch, "funnelkit.presentation.engagement.chapter",
                          alt_text=True)  # fmt: skip
    reset_language()


def _show_all(chapter) -> str:
    use_language(chapter.language)
    chapter.show_intro()
    chapter.show_networks()
    chapter.show_mix()
    chapter.show_posts()
    chapter.show_email_rates()
    chapter.show_campaigns()
    chapter.show_next_steps()


def _text(shown) -> str:
    return "\n".join(shown_texts(shown))


def _no_reprs(text: str) -> None:
    assert not re.search(r"\bnan\b|\bNone\b|NaT|[{}]|dtype|Timestamp\(|\bTrue\b|\bFalse\b",
                         text), text  # fmt: skip


def test_networks_match_the_rows_by_hand(chapters):
    networks = chapters["en"].networks.set_index("network")
    # October: Instagram reach 1200 + 800 + 1000 + 500 = 3500, interactions (likes + comments +
    # shares) 100 + 30 + 80 + 5 = 215; VK reach 3000 + 1000 + 2000 = 6000, interactions
    # 60 + 40 + 30 = 130. September: Instagram 90 / 2000, VK 160 / 4000.
    assert networks.loc["instagram", ["reach", "interactions"]].tolist() == [3500, 215]
    assert networks.loc["vk", ["reach", "interactions"]].tolist() == [6000, 130]
    assert networks.loc["instagram", "engagement_rate"] == pytest.approx(215 / 3500)
    assert networks.loc["vk", "previous_engagement_rate"] == pytest.approx(160 / 4000)
    assert networks.loc["vk", "engagement_rate_change"] == pytest.approx(130 / 6000 - 0.04)
    # follows − unfollows per post: Instagram 4 × (20 − 5), VK 3 × (12 − 2)
    assert networks.loc["instagram", "follower_growth"] == 60
    assert networks.loc["vk", "follower_growth"] == 30
    assert networks["earlier"].all()


def test_english_chapter_says_it_in_words(chapters, shown):
    _show_all(chapters["en"])
    text = _text(shown)
    assert "named by what it divides" in text and "interactions (likes + comments + shares)" in text
    assert "**Instagram** had the highest engagement rate: 6.1% (interactions / reach), " \
        "against VK 2.2%." in text  # fmt: skip
    assert "on VK the engagement rate fell from 4.0% to 2.2% (−1.8 pp)" in text
    # e-mail: unique opens / delivered, October (396 + 353 + 315 + 277 + 243) / 4,915 = 32.2%,
    # September (392 + 382) / 1,960 = 39.5%
    table = next(o.text for o in shown if isinstance(o, Table) and "Rate" in o.text.columns)
    row = table[table["Rate"].str.startswith("E-mail open rate")].iloc[0]
    assert (row["Before"], row["Now"], row["Verdict"]) == ("39.5%", "32.2%",
                                                           "significantly worse")  # fmt: skip
    assert "The open rate fell across the 5 campaigns, from 40.0% in the first to 25.1% in the " \
        "last (test for trend, p\xa0<\xa00.001)." in text  # fmt: skip
    assert "Apple Mail" in text and "click rate is the safer signal" in text
    assert (
        "Bar chart of the share of each kind of interaction per network: Instagram likes "
        "64.2%" in text
    )  # 165 likes of 165 + 24 + 26 + 42 = 257 interactions and clicks
    assert "ig-03" in text and "Every post of the period" in text  # 7 posts: all shown
    _no_reprs(text)


def test_click_trend_p_value_is_cochran_armitage(chapters):
    """R: prop.trend.test(c(50, 45, 44, 40, 39), c(990, 980, 985, 990, 970)); by hand 1.5847."""
    x = pd.Series([50, 45, 44, 40, 39], dtype=float)
    n = pd.Series([990, 980, 985, 990, 970], dtype=float)
    score = pd.Series(range(1, 6), dtype=float)
    p = x.sum() / n.sum()  # the statistic by hand: (Σ x·s − p Σ n·s)² / (p q (Σ n s² − (Σ n s)²/N))
    statistic = (x @ score - p * (n @ score)) ** 2 / (
        p * (1 - p) * (n @ score**2 - (n @ score) ** 2 / n.sum()))  # fmt: skip
    trend = chapters["en"].trends.set_index("rate").loc["click_rate"]
    assert trend["statistic"] == pytest.approx(statistic, rel=1e-9)
    row = chapters["en"].trends.set_index("rate", drop=False).loc["click_rate"]
    assert trend_sentence(row, "en").endswith("; test for trend, p\xa0=\xa00.21).")


def test_russian_chapter_has_no_english_left(chapters, shown):
    _show_all(chapters["ru"])
    texts = shown_texts(shown)
    names = {w.lower() for c in CAMPAIGNS for w in c[0].split()}
    found = []
    for text in texts:
        text = re.sub(r"`[^`]*`", " ", text)
        for word in re.findall(r"[A-Za-z][A-Za-z0-9_'’*./-]*", text):
            bare = word.strip(".*/'’-,").lower()
            if "_" in word or bare in ALLOWED | names or re.fullmatch(r"(ig|vk)-\d+", bare):
                continue
            found.append(word)
    assert not found, found
    joined = "\n".join(texts)
    assert "Самая высокая вовлечённость у **Instagram**: 6,1\xa0%" in joined
    assert "Открываемость снижалась на протяжении рассылок (всего 5)" in joined
    _no_reprs(joined)


def test_only_email_says_which_exports_give_social(chapters, shown):
    _show_all(chapters["email"])
    text = _text(shown)
    assert "No social-network export was given" in text and "Meta Business Suite" in text
    assert "Engagement rate (interactions / reach)" not in text  # no social table
    assert "E-mail open rate" in text
    results = json.loads(json.dumps(chapters["email"].to_results()))
    assert results["social"]["available"] is False and results["email"]["available"] is True


def test_only_social_says_which_exports_give_email(chapters, shown):
    _show_all(chapters["social"])
    text = _text(shown)
    assert "Выгрузки рассылок нет" in text and "Mailchimp" in text and "Unisender" in text
    assert "Открываемость" not in text.split("Выгрузки рассылок нет")[0].split("\n", 3)[-1]


def test_daily_totals_say_there_is_no_view_per_post(chapters, shown):
    chapter = chapters["daily"]
    assert chapter.posts.empty and len(chapter.networks) == 2
    _show_all(chapter)
    text = _text(shown)
    assert "daily totals of the page or community, not posts" in text
    assert "Every post of the period" not in text
    assert json.loads(json.dumps(chapter.to_results()))["social"]["daily_totals_only"] == [
        "vk", "instagram"]  # fmt: skip


def test_without_either_table_one_note_and_nothing_else(chapters, shown, tmp_path):
    chapter = chapters["none"]
    assert not chapter.available
    _show_all(chapter)
    assert len(shown) == 1 and "**social** export" in shown[0].data
    results = json.loads(json.dumps(chapter.to_results()))
    assert results == {"available": False, "needs": results["needs"]}


def test_to_results_is_plain_json(chapters, tmp_path):
    results = chapters["en"].to_results()
    plain = json.loads(json.dumps(results))
    assert plain["period"] == {"start": "2026-10-01", "end": "2026-10-31"}
    vk = next(n for n in plain["social"]["networks"] if n["network"] == "vk")
    assert vk["reach"] == 6000 and vk["interactions"] == 130
    assert [p["post_id"] for p in plain["social"]["top_posts"]][:2] == ["ig-03", "ig-05"]
    rates = {r["metric"]: r for r in plain["email"]["rates"]}
    assert rates["email_open_rate"]["value"] == pytest.approx(1584 / 4915)
    assert rates["email_open_rate"]["verdict"] == "worse"
    assert plain["email"]["trend"]["open_rate"]["direction"] == "down"
    assert len(plain["email"]["campaigns"]) == 5
    path = tmp_path / "07_engagement.json"
    save_results({"engagement": results}, path)
    assert load_results(path)["engagement"] == plain
    _no_reprs(json.dumps(plain, ensure_ascii=False).replace("{", "").replace("}", ""))


def _title(ax) -> str:
    """The title wherever the style puts it (the report style: left)."""
    return ax.get_title("left") or ax.get_title("center")


def test_charts_return_axes_and_figure_with_titles(chapters):
    use_language("ru")
    try:
        ax = plot_interaction_mix(chapters["en"].mix)
        assert _title(ax).startswith("Что люди делают с публикациями")
        assert ax.figure.funnelkit_alt.startswith("Столбчатая диаграмма")
        fig = plot_campaign_rates(chapters["en"].campaigns)
        assert [_title(a) for a in fig.axes] == [
            "Открываемость по рассылкам (открыли / доставлено)",
            "Кликабельность по рассылкам (кликнули / доставлено)"]  # fmt: skip
        assert "Black Friday 25,1" in fig.funnelkit_alt
    finally:
        use_language("en")
        plt.close("all")
