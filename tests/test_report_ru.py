"""The demo client's report in Russian, end to end: every client-facing word Russian.

Runs ``funnelkit run`` on the demo data with ``language: ru`` and reads the client's report as
a client would: the visible text (and the charts' alt text) must be Russian but for an
allow-list of names — the client's own event, experiment, variant, channel and device names,
abbreviations the glossary explains, and the client's name.
"""

from __future__ import annotations

import html as htmllib
import os
import re
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import yaml

from funnelkit.core import paths
from funnelkit.demo import ensure_demo_data

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[1]
#: Names a Russian report keeps in Latin letters: abbreviations the glossary explains, units,
#: standards and the tools a reader may know by name.
ALLOWED = {
    "cac",
    "clv",
    "ltv",
    "romi",
    "nps",
    "mql",
    "sql",
    "srm",
    "cuped",
    "aov",
    "cpl",
    "cpa",
    "ctr",
    "crm",
    "csv",
    "ga4",
    "utm",
    "id",
    "p",
    "pp",
    "ci",
    "z",
    "vs",
    "holm",
    "wilson",
    "welch",
    "mann",
    "whitney",
    "bonferroni",
    "mssprt",
    "msprt",
    "r",
    "eur",
    "usd",
    "rub",
    "demo",
    "shop",
    "funnelkit",
    "a",
    "b",
    "ab",
    "x",
    "n",
    # engagement: networks, services and the e-mail privacy feature named as such
    "instagram",
    "facebook",
    "vk",
    "ctor",
    "apple",
    "mail",
    "privacy",
    "protection",
    "meta",
    "business",
    "suite",
    "mailchimp",
    "unisender",
    "e",
}


def _client_names(data: Path) -> set[str]:
    """Every event, experiment, variant, channel, device, page and campaign name in the data."""
    events = pd.read_parquet(data / "events.parquet")
    names: set[str] = set()
    for column in ("event_name", "channel", "device", "page", "campaign"):
        if column in events:
            names |= set(events[column].dropna().astype(str))
    for file, columns in (
        ("experiments.csv", ["experiment", "variant"]),
        ("ad_spend.csv", ["channel"]),
        ("crm_leads.csv", ["channel"]),
        ("orders.csv", ["channel"]),
        ("nps.csv", ["segment"]),
        ("social_posts.csv", ["platform", "post_id"]),
        ("email_campaigns.csv", ["campaign"]),
    ):
        frame = pd.read_csv(data / file)
        for column in columns:
            if column in frame:
                names |= set(frame[column].dropna().astype(str))
    return {word.lower() for name in names for word in re.split(r"[^A-Za-z0-9]+", name) if word}


def visible_text(page: str) -> list[str]:
    """The page's text blocks as a reader sees them, plus every image's alt text."""
    alts = re.findall(r'<img[^>]*\balt="([^"]*)"', page)
    body = re.sub(r"<(style|script)\b.*?</\1>", " ", page, flags=re.S | re.I)
    body = re.sub(r"<code>.*?</code>", " ", body, flags=re.S)  # names set as code
    blocks = re.split(r"<(?:p|li|td|th|h[1-6]|dt|dd|figcaption|div|caption)\b[^>]*>", body)
    texts = [htmllib.unescape(re.sub(r"<[^>]+>", " ", b)) for b in blocks]
    return [" ".join(t.split()) for t in texts + [htmllib.unescape(a) for a in alts] if t.strip()]


def english_words(text: str, allowed: set[str]) -> list[str]:
    """Latin-letter words of ``text`` not on the allow-list (names joined by _ count as one)."""
    words = re.findall(r"[A-Za-z][A-Za-z0-9_'’-]*", text)
    return [w for w in words if w.lower() not in allowed and "_" not in w]


@pytest.fixture(scope="module")
def ru_report(tmp_path_factory):
    data = ensure_demo_data(paths.demo_client_dir() / "data")
    config = yaml.safe_load((paths.demo_client_dir() / "client.yaml").read_text(encoding="utf-8"))
    config["language"] = "ru"
    for table in config["data"].values():
        table["path"] = str(data / Path(table["path"]).name)
    client = tmp_path_factory.mktemp("ru-client")
    (client / "client.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), "utf-8")
    out = tmp_path_factory.mktemp("ru-reports")
    # No PDF (no Chromium at FUNNELKIT_CHROMIUM: the run says so and writes the rest): the tests
    # read report.html only; tests/test_e2e.py prints and checks the demo report's PDF.
    env = {
        **os.environ,
        "FUNNELKIT_REPORTS_DIR": str(out),
        "FUNNELKIT_CHROMIUM": str(out / "no-chromium"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "funnelkit", "run", str(client)],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    folder = out / "demo-shop" / date.today().isoformat()
    return folder, _client_names(data) | ALLOWED


def test_ru_report_is_russian(ru_report):
    """>= 95% of the words are Russian and no English phrase of 4+ words is left anywhere."""
    folder, allowed = ru_report
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert '<html lang="ru">' in page
    texts = visible_text(page)
    russian = sum(len(re.findall(r"[А-Яа-яЁё]+", t)) for t in texts)
    english = [w for t in texts for w in english_words(t, allowed)]
    share = russian / max(russian + len(english), 1)
    phrases = []
    for text in texts:
        run: list[str] = []
        for token in re.findall(r"[A-Za-zА-Яа-яЁё0-9_'’-]+", text):
            if re.fullmatch(r"[A-Za-z][A-Za-z'’-]*", token) and token.lower() not in allowed:
                run.append(token)
                continue
            if len(run) >= 4:
                phrases.append(" ".join(run))
            run = []
        if len(run) >= 4:
            phrases.append(" ".join(run))
    common = pd.Series(english).value_counts().head(25).to_dict()
    assert not phrases, f"English left in the ru report: {sorted(set(phrases))[:30]}"
    assert share >= 0.95, f"only {share:.1%} of the words are Russian; most frequent: {common}"


def test_ru_report_uses_one_number_format(ru_report):
    """Russian numbers: a space between thousands and a decimal comma — never 10,525 or 46.0%."""
    folder, _ = ru_report
    texts = visible_text((folder / "report.html").read_text(encoding="utf-8"))
    english_numbers = [
        m
        for t in texts
        for m in re.findall(r"(?<![\w.,])[1-9]\d{0,2}(?:,\d{3})+(?![\d,])|\d+\.\d+ ?%", t)
    ]
    assert not english_numbers, f"English-formatted numbers in a ru report: {english_numbers[:20]}"


@pytest.mark.skipif(not shutil.which("chromium"), reason="Chromium is not installed")
def test_ru_report_reads_on_a_phone(ru_report, tmp_path):
    from browser import probe

    folder, _ = ru_report
    phone = probe(folder / "report.html", tmp_path, width=390)
    assert phone["scroll"] <= phone["width"] and not phone["overflowing"], phone["overflowing"]
