"""The client's deliverables: the page from notebooks and results, the PDF step, the bundle."""

from __future__ import annotations

import json
from datetime import date

import nbformat
import pytest

from funnelkit.core.errors import ReportError
from funnelkit.data.config import load_config
from funnelkit.run.deliver import bundle, find_browser, print_pdf, write_client_report


def _metrics(visitors: float) -> dict:
    return {
        "metrics": {
            "metrics": [
                {
                    "metric": "visitors",
                    "value": visitors,
                    "previous_value": 100.0,
                    "relative_change": 0.1,
                    "verdict": "better",
                }
            ]
        }
    }


@pytest.fixture
def folder(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Pick the metrics")])
    nbformat.write(nb, tmp_path / "01_pick_metrics.ipynb")
    return tmp_path


def test_page_has_front_page_chapter_and_what_changed(folder, tmp_path_factory):
    previous = tmp_path_factory.mktemp("previous")
    summary = {"run": {"run_date": "2026-11-01"}, "results": {"01_pick_metrics": _metrics(90.0)}}
    (previous / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    page = write_client_report(
        load_config(None, check_files=False),
        [("01_pick_metrics", folder / "01_pick_metrics.ipynb")],
        {"01_pick_metrics": _metrics(110.0)},
        folder / "report.html",
        day=date(2026, 12, 3),
        previous=previous,
    ).read_text(encoding="utf-8")
    assert "Demo Shop" in page and "December 3, 2026" in page
    assert "September 15, 2026 – October 29, 2026" in page  # the period, in words
    assert "What changed since the report of November 1, 2026" in page
    assert "Visitors: 110, was 90 in the report of November 1, 2026." in page
    assert 'href="#c01_pick_metrics"' in page and 'id="c01_pick_metrics"' in page


def test_a_broken_previous_report_is_ignored_not_fatal(folder, tmp_path_factory):
    previous = tmp_path_factory.mktemp("previous")
    (previous / "summary.json").write_text("{half", encoding="utf-8")
    page = write_client_report(
        load_config(None, check_files=False),
        [],
        {},
        folder / "r.html",
        day=date(2026, 12, 3),
        previous=previous,
    ).read_text(encoding="utf-8")
    assert "What changed" not in page and "Summary" in page


def test_pdf_without_a_browser_says_how_to_get_one(folder, monkeypatch):
    monkeypatch.delenv("FUNNELKIT_CHROMIUM", raising=False)
    monkeypatch.setenv("PATH", str(folder))
    assert find_browser() is None
    (folder / "r.html").write_text("<p>x</p>", encoding="utf-8")
    with pytest.raises(ReportError, match="apt install chromium"):
        print_pdf(folder / "r.html", folder / "r.pdf")
    with pytest.raises(ReportError, match=r"printing r\.html to PDF failed"):
        print_pdf(folder / "r.html", folder / "r.pdf", browser=str(folder / "no-such-browser"))
    assert not list(folder.glob("r.pdf*"))  # nothing half-written left behind


def test_bundle_holds_only_what_it_is_given(folder):
    page = folder / "report.html"
    page.write_text("<p>x</p>", encoding="utf-8")
    (folder / "summary.json").write_text("{}", encoding="utf-8")
    target = bundle(folder, "acme", date(2026, 12, 3), [page])
    assert [p.name for p in target.iterdir()] == ["acme-2026-12-03.html"]
