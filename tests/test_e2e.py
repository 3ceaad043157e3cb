"""End to end: the real ``funnelkit`` command on the demo client, and the HTML in a real browser.

Assertions are on artifacts (folders, summary.json, HTML content), not on rendered cell text.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import jsonschema
import pytest
import yaml

from funnelkit.core import paths
from funnelkit.run.deliver import headless_command

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[1]
FUNNELKIT = [sys.executable, "-m", "funnelkit"]
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
# Hosts Chromium itself contacts at start-up (sign-in, time, search); anything else is the page.
CHROMIUM_OWN = re.compile(
    r"^https?://([a-z0-9-]+\.)*(google\.com|gstatic\.com|googleapis\.com|~notfound)"
)


def _run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*FUNNELKIT, *args], capture_output=True, text=True, env=env, cwd=REPO, timeout=900
    )


@pytest.fixture(scope="module")
def reports_root(tmp_path_factory):
    return tmp_path_factory.mktemp("e2e-reports")


@pytest.fixture(scope="module")
def env(reports_root):
    return {**os.environ, "FUNNELKIT_REPORTS_DIR": str(reports_root)}


@pytest.fixture(scope="module")
def first_run(env, reports_root):
    result = _run("run", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    return result, reports_root / "demo-shop" / date.today().isoformat()


def test_run_writes_the_dated_report_folder(first_run):
    result, folder = first_run
    assert folder.is_dir()
    assert str(folder / "index.html") in result.stdout
    for notebook in NOTEBOOKS:
        for suffix in (".ipynb", ".html", ".results.json"):
            assert (folder / f"{notebook.stem}{suffix}").is_file(), notebook.stem + suffix
    assert (folder / "summary.json").is_file() and (folder / "index.html").is_file()


def test_dropoff_audience_is_a_file_not_part_of_the_html(first_run):
    _, folder = first_run
    audiences = list(folder.glob("audience_dropped_at_*.csv"))
    assert audiences, "03_find_dropoff writes the retargeting audience next to the report"
    import pandas as pd

    ids = pd.read_csv(audiences[0])["unit_id"].astype(str)
    assert len(ids) > 100
    html = "".join(p.read_text(encoding="utf-8") for p in folder.glob("*.html"))
    assert not any(user in html for user in ids.head(50))


def test_summary_matches_schema_and_records_inputs(first_run):
    _, folder = first_run
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    schema = json.loads(
        (REPO / "funnelkit" / "run" / "summary.schema.json").read_text(encoding="utf-8")
    )
    jsonschema.validate(summary, schema)
    assert summary["client"] == "Demo Shop" and summary["run"]["status"] == "ok"
    for item in summary["inputs"]:
        digest = hashlib.sha256(Path(item["path"]).read_bytes()).hexdigest()
        assert item["sha256"] == digest
    health = summary["results"]["00_data_health"]
    assert [t["table"] for t in health["tables"]] == [
        "events",
        "orders",
        "spend",
        "leads",
        "nps",
        "social",
        "email",
        "accounts",
        "assignments",
    ]
    assert health["config_checks_failed"] == []
    picked = summary["results"]["01_pick_metrics"]["metrics"]
    nps = {row["metric"]: row for row in picked["metrics"]}["nps"]
    assert {"value", "previous_value", "change", "ci_low", "ci_high"} <= set(nps)
    compass = summary["results"]["02_map_stages"]["stages"]["compass"]
    assert compass[0]["stage"] == "retention"
    assert {n["name"] for n in summary["notebooks"]} == {p.stem for p in NOTEBOOKS}


def test_html_has_headings_header_and_no_tracebacks_or_code(first_run):
    _, folder = first_run
    html = (folder / "00_data_health.html").read_text(encoding="utf-8")
    for heading in (
        "Data health: can we trust the numbers?",
        "What arrived",
        "Rows per day",
        "Empty cells",
        "Repeated rows",
        "Warnings",
    ):
        assert heading in html
    assert "Demo Shop" in html and "2026-09-15" in html
    assert "Traceback" not in html
    # no error or stderr output (the stylesheet mentions the mime type, so look for elements)
    assert not re.search(r"<div[^>]*data-mime-type=\"application/vnd.jupyter.stderr", html)
    assert "load_client(" not in html  # code is hidden by default
    assert "data:image/png;base64," in html
    index = (folder / "index.html").read_text(encoding="utf-8")
    assert "00_data_health.html" in index and "Demo Shop" in index


def test_second_run_same_day_does_not_overwrite(first_run, env, tmp_path):
    _, folder = first_run
    before = {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    # The same demo client again, with the chapters whose results "what changed" compares (the
    # headline metrics, the funnel's findings and the experiments' verdicts) and the one that
    # writes a file of its own (the audience of 03): the full report is the first run's tests.
    # No PDF either (no Chromium at FUNNELKIT_CHROMIUM: the run says so and goes on): the first
    # run's PDF is checked below, and this test reads the second report's HTML only.
    chapters = tmp_path / "chapters"
    chapters.mkdir()
    for stem in ("01_pick_metrics", "03_find_dropoff", "04_ab_test"):
        shutil.copy(REPO / "notebooks" / f"{stem}.ipynb", chapters)
    no_pdf = {**env, "FUNNELKIT_CHROMIUM": str(tmp_path / "no-chromium")}
    result = _run("run", "--notebooks", str(chapters), env=no_pdf)
    assert result.returncode == 0, result.stderr
    second = folder.with_name(folder.name + "_2")
    assert second.is_dir()
    after = {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    assert after == before
    summary = json.loads((second / "summary.json").read_text(encoding="utf-8"))
    assert summary["run"]["previous_report"] == str(folder)
    assert list(second.glob("audience_dropped_at_*.csv"))  # 03 wrote into its own folder
    # the front page of the second report says what changed since the first
    page = (second / "report.html").read_text(encoding="utf-8")
    assert f"What changed since the report of {date.today():%B} " in page


def test_batch_broken_client_fails_cleanly_other_succeeds(tmp_path, env, first_run):
    demo = yaml.safe_load((paths.demo_client_dir() / "client.yaml").read_text(encoding="utf-8"))
    data_dir = paths.demo_client_dir() / "data"
    for source in demo["data"].values():
        source["path"] = str(data_dir / Path(source["path"]).name)
    clients = tmp_path / "clients"
    good, broken, bad_data = clients / "good", clients / "broken", clients / "bad-data"
    for folder, name, top_events in (
        (good, "Good Shop", 5),
        (broken, "Broken Shop", "many"),
        (bad_data, "Bad Data Shop", 5),
    ):
        folder.mkdir(parents=True)
        config = {
            **demo,
            "client": name,
            "parameters": {"00_data_health": {"top_events": top_events}},
        }
        (folder / "client.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    # one NPS answer of 11 in an otherwise valid export
    nps = (data_dir / "nps.csv").read_text(encoding="utf-8").splitlines()
    header, first = nps[0], nps[1].split(",")
    first[header.split(",").index("score")] = "11"
    (bad_data / "nps.csv").write_text("\n".join([header, ",".join(first), *nps[2:]]) + "\n")
    config = yaml.safe_load((bad_data / "client.yaml").read_text())
    config["data"]["nps"]["path"] = "nps.csv"
    (bad_data / "client.yaml").write_text(yaml.safe_dump(config, sort_keys=False))

    chapters = tmp_path / "chapters"  # two chapters are enough to tell the clients apart
    chapters.mkdir()
    for stem in ("00_data_health", "02_map_stages"):
        shutil.copy(REPO / "notebooks" / f"{stem}.ipynb", chapters)
    # no PDF for the good client (no Chromium at FUNNELKIT_CHROMIUM: the run says so and goes
    # on): this test reads the batch's verdicts only; the first run's PDF is checked below
    no_pdf = {**env, "FUNNELKIT_CHROMIUM": str(tmp_path / "no-chromium")}
    result = _run("batch", str(clients), "--jobs", "2", "--notebooks", str(chapters), env=no_pdf)
    assert result.returncode == 1, result.stdout + result.stderr
    table = result.stdout[result.stdout.index("client ") :]
    assert re.search(r"broken +bad input .*00_data_health.ipynb: parameter `top_events`", table)
    assert re.search(r"bad-data +bad input .*nps.csv: 1 row \(line 2\) in column 'score'", table)
    assert re.search(r"good +ok ", table)
    # the whole message, with the fix, follows the table
    assert "BAD INPUT bad-data: 1 problem(s) in Bad Data Shop's data" in result.stderr
    assert "BAD INPUT good" not in result.stderr  # only the refused clients
    assert "between 0 and 10" in result.stderr
    reports = Path(env["FUNNELKIT_REPORTS_DIR"])
    assert list((reports / "good-shop").glob("*/index.html"))
    assert not (reports / "broken-shop").exists() and not (reports / "bad-data-shop").exists()


def test_chapters_ran_in_parallel(first_run):
    """The runner records when each chapter started and finished: some of them overlapped."""
    _, folder = first_run
    runs = json.loads((folder / "summary.json").read_text(encoding="utf-8"))["notebooks"]
    assert [r["name"] for r in runs] == [p.stem for p in NOTEBOOKS]  # the report's order
    overlapping = [
        (a["name"], b["name"])
        for i, a in enumerate(runs)
        for b in runs[i + 1 :]
        if a["started_at"] < b["finished_at"] and b["started_at"] < a["finished_at"]
    ]
    assert overlapping, [(r["name"], r["started_at"], r["finished_at"]) for r in runs]


def test_check_describes_the_demo_client_and_the_run_reuses_its_work(env, tmp_path):
    own = {**env, "FUNNELKIT_CACHE_DIR": str(tmp_path / "cache")}
    result = _run("check", env=own)
    assert result.returncode == 0, result.stderr
    assert "Demo Shop: client.yaml and 9 tables checked (validated in" in result.stdout
    assert re.search(r"events +data/events.parquet +415,356", result.stdout)
    again = _run("check", env=own)
    assert "reused unchanged from the cache" in again.stdout


@pytest.mark.skipif(
    not (shutil.which("chromium") or shutil.which("chromium-browser")),
    reason="Chromium is not installed (CI installs Debian's chromium)",
)
def test_report_opens_offline_in_a_real_browser(first_run, tmp_path):
    """Headless Chromium with DNS disabled loads every page; its network log shows no request
    for a script, stylesheet, font or image from any host."""
    _, folder = first_run
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    for page in sorted(folder.glob("*.html")):
        log = tmp_path / f"{page.stem}.netlog.json"
        result = subprocess.run(
            [
                *headless_command(browser, tmp_path / "profile"),
                f"--log-net-log={log}",
                "--virtual-time-budget=5000",
                "--dump-dom",
                page.as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr[-2000:]
        assert "<h1" in result.stdout or "<table" in result.stdout  # the page rendered
        requested = set(re.findall(r"https?://[^\"\s\\]+", log.read_text(errors="replace")))
        from_page = sorted(u for u in requested if not CHROMIUM_OWN.match(u))
        assert not from_page, f"{page.name} tried to fetch {from_page}"


# ---- what the client receives -------------------------------------------------------------


def _client_files(folder: Path) -> list[Path]:
    return sorted((folder / "client").iterdir())


def test_client_report_has_front_page_every_chapter_and_glossary(first_run):
    _, folder = first_run
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and '<html lang="en">' in page
    for text in (
        "What to fix first",
        "The headline numbers",
        "Findings, most valuable first",
        "Words used in this report",
        "Visitor → buyer (buyers / visitors)",
    ):
        assert text in page, text
    chapters = re.findall(r'<h1 id="(c[^"]+)"', page)
    assert chapters == [f"c{p.stem}" for p in NOTEBOOKS]
    for anchor in re.findall(r'href="#([^"]+)"', page):
        assert f'id="{anchor}"' in page, f"link to a missing section #{anchor}"
    assert "Traceback" not in page and "load_client(" not in page
    assert "client.yaml" not in page.split('id="front"')[1].split("</section>")[0]
    assert "No description has been provided" not in page
    index = (folder / "index.html").read_text(encoding="utf-8")
    assert "report.html" in index


def test_client_bundle_holds_only_the_report(first_run):
    _, folder = first_run
    names = [p.name for p in _client_files(folder)]
    stem = f"demo-shop-{date.today().isoformat()}"
    expected = [f"{stem}.html", f"{stem}.pdf"] if shutil.which("chromium") else [f"{stem}.html"]
    assert names == expected
    import pandas as pd

    audience = next(folder.glob("audience_dropped_at_*.csv"))
    ids = set(pd.read_csv(audience)["unit_id"].astype(str))
    page = (folder / "client" / f"{stem}.html").read_text(encoding="utf-8")
    words = set(re.findall(r"[A-Za-z0-9_-]{6,}", page))
    assert not ids & words, "a visitor id of the audience file is in the client's report"
    for private in (str(folder), str(REPO), str(Path.home()), "summary.json", ".ipynb"):
        assert private not in page, f"the client's report mentions {private}"


@pytest.mark.skipif(not shutil.which("chromium"), reason="Chromium is not installed")
def test_pdf_is_a4_with_a_plausible_page_count(first_run):
    from browser import pdf_pages

    _, folder = first_run
    pages, sizes = pdf_pages(folder / "report.pdf")
    assert sizes == {(595, 842)}, sizes  # A4 in points
    assert 10 <= pages <= 75, pages  # eight chapters: 62 pages on 2026-12-04


@pytest.mark.skipif(not shutil.which("chromium"), reason="Chromium is not installed")
def test_report_reads_on_a_phone_and_prints_without_cut_tables(first_run, tmp_path):
    from browser import A4_TEXT_PX, probe

    _, folder = first_run
    phone = probe(folder / "report.html", tmp_path, width=390)
    assert phone["scroll"] <= phone["width"], "the page scrolls sideways at 390 px"
    assert not phone["overflowing"], phone["overflowing"]
    assert phone["images"], "no chart found"
    for image in phone["images"]:
        # charts keep >= 72% of their natural size: 10-pt text stays >= 10 px
        assert image["shown"] >= 0.72 * min(image["natural"], 10_000) - 1, image
        assert image["alt"] and not image["alt"].startswith("Chart:"), image["alt"]
    paper = probe(folder / "report.html", tmp_path, width=A4_TEXT_PX, print_layout=True)
    assert not paper["overflowing"], paper["overflowing"]
    cut = [t for t in paper["tables"] if t["right"] > paper["width"] + 1]
    assert not cut, f"tables wider than an A4 page: {cut}"
