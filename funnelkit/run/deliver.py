"""What the client receives: the one-page HTML report, its A4 PDF, and a bundle of only those.

:func:`write_client_report` composes the report (front page, chapters, glossary) from the
executed notebooks and the chapters' results; :func:`print_pdf` prints it to an A4 PDF with
headless Chromium — the same engine the report is checked in, so paper shows what the screen
shows, with the print stylesheet's cover, page numbers and no cut tables; :func:`bundle` copies
the two into ``client/`` — no notebooks, no ``summary.json`` with machine paths, no audience
CSV with visitor ids: the folder a consultant can send as it is.

Chromium is found as ``$FUNNELKIT_CHROMIUM``, ``chromium``, ``chromium-browser`` or
``google-chrome`` on the PATH (Debian: ``apt install chromium``). Without it the HTML is still
written and the run says why there is no PDF.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from babel.dates import format_date

from ..core.errors import ReportError
from ..core.i18n import babel_locale, gettext
from ..core.version import __version__
from ..data.branding import Branding, load_branding, logo_data_uri
from ..presentation.front import front_page, glossary
from .book import Chapter, chapter_from_notebook, render_book, write_book

__all__ = [
    "Deliverables",
    "bundle",
    "find_browser",
    "headless_command",
    "print_pdf",
    "write_client_report",
]

#: Which results key proves which kind of finding (front-page links to the chapters).
_LINK_KEYS = {
    "metrics": "metrics",
    "stages": "stages",
    "funnel": "funnel",
    "abtest": "experiments",
    "accounts": "accounts",
    "value": "value",
    "engagement": "engagement",
}


@dataclass
class Deliverables:
    """The client's files of one run (paths relative to the report folder) and any PDF problem."""

    html: str
    pdf: str | None
    bundle: str
    pdf_note: str = ""


def find_browser() -> str | None:
    """The Chromium executable to print with, or None."""
    named = os.environ.get("FUNNELKIT_CHROMIUM")
    if named:
        return named
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def headless_command(browser: str, profile: str | Path) -> list[str]:
    """Chromium, headless and offline (no DNS, no background traffic), with its own profile.

    Examples
    --------
    >>> headless_command("chromium", "/tmp/p")[:3]
    ['chromium', '--headless', '--no-sandbox']
    """
    return [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        f"--user-data-dir={profile}",
    ]


def print_pdf(
    html_path: Path, pdf_path: Path, *, browser: str | None = None, timeout: int = 300
) -> Path:
    """Print ``html_path`` to an A4 PDF with headless Chromium, offline; returns ``pdf_path``.

    Raises
    ------
    ReportError
        When no browser is found, or printing fails (with Chromium's last words).
    """
    browser = browser or find_browser()
    if browser is None:
        raise ReportError(
            "no Chromium to print the PDF with; install it (Debian/Ubuntu: apt install chromium) "
            "or set FUNNELKIT_CHROMIUM to a Chrome/Chromium executable"
        )
    partial = pdf_path.with_name(pdf_path.name + ".partial.pdf")
    with tempfile.TemporaryDirectory(prefix="funnelkit-chromium-") as profile:
        command = [
            *headless_command(browser, profile),
            "--no-pdf-header-footer",
            "--run-all-compositor-stages-before-draw",
            "--virtual-time-budget=20000",
            f"--print-to-pdf={partial}",
            html_path.resolve().as_uri(),
        ]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        except (OSError, subprocess.TimeoutExpired) as err:
            raise ReportError(f"printing {html_path.name} to PDF failed: {err}") from err
    if done.returncode != 0 or not partial.is_file() or partial.stat().st_size == 0:
        partial.unlink(missing_ok=True)
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise ReportError(f"printing {html_path.name} to PDF failed: {' '.join(tail)}")
    partial.replace(pdf_path)
    return pdf_path


def _previous_results(
    previous: Path | None, language: str
) -> tuple[dict[str, Any] | None, str | None]:
    """The previous report's results and its date in words (None, None without one)."""
    if previous is None:
        return None, None
    try:
        summary = json.loads((previous / "summary.json").read_text(encoding="utf-8"))
        day = date.fromisoformat(summary["run"]["run_date"])
    except (OSError, ValueError, KeyError, TypeError):
        return None, None
    return summary.get("results") or None, format_date(day, "long", locale=babel_locale(language))


def _links(chapters: Sequence[Chapter], results: Mapping[str, Any]) -> dict[str, str]:
    anchors = {chapter.stem: chapter.anchor for chapter in chapters}
    links = {}
    for link, key in _LINK_KEYS.items():
        for stem, value in results.items():
            if isinstance(value, Mapping) and key in value and stem in anchors:
                links[link] = anchors[stem]
                break
    return links


def _period(config: Any, language: str) -> str:
    locale = babel_locale(language)
    start = format_date(config.period.start, "long", locale=locale)
    end = format_date(config.period.end, "long", locale=locale)
    return f"{start} – {end}"


def write_client_report(
    config: Any,
    notebooks: Sequence[tuple[str, Path]],
    results: Mapping[str, Any],
    report_path: Path,
    *,
    day: date,
    previous: Path | None = None,
) -> Path:
    """Compose and write the client's HTML report; returns its path.

    Parameters
    ----------
    config
        The client's :class:`~funnelkit.data.config.ClientConfig` (language, currency, period,
        ``report.branding``).
    notebooks
        ``(stem, executed notebook path)`` per chapter, in report order.
    results
        Chapter stem -> its saved results.
    report_path
        Where to write the page.
    day
        The report's date (on the cover).
    previous
        The client's previous report folder: its results feed "what changed".
    """
    language, currency = config.language, config.currency
    branding: Branding = load_branding(config.report.branding, client_dir=config.client_dir)
    chapters = [
        chapter_from_notebook(path, language=language, stem=stem) for stem, path in notebooks
    ]
    before, before_date = _previous_results(previous, language)
    front = front_page(
        results,
        language=language,
        currency=currency,
        links=_links(chapters, results),
        previous=before,
        previous_date=before_date,
    )
    cover = {
        "client": config.client,
        "period_label": gettext("Analysis period", language),
        "period": _period(config, language),
        "date": format_date(day, "long", locale=babel_locale(language)),
        "version": __version__,
    }
    brand = {
        **branding.model_dump(exclude={"logo"}),
        "logo": logo_data_uri(branding),
        "accent": branding.accent_colour,
    }
    page = render_book(
        chapters,
        language=language,
        title=f"{config.client} — {gettext('Marketing report', language)}",
        cover=cover,
        front=front,
        glossary=glossary(language),
        branding=brand,
    )
    return write_book(page, report_path)


def bundle(report_dir: Path, slug: str, day: date, files: Sequence[Path]) -> Path:
    """Copy the client's files into ``report_dir / "client"`` under dated names; the folder."""
    target = report_dir / "client"
    target.mkdir(exist_ok=True)
    for path in files:
        shutil.copy2(path, target / f"{slug}-{day.isoformat()}{path.suffix}")
    return target
