"""The front page as HTML: headline numbers, what to fix first, ranked findings, what changed.

Takes the chapters' saved results (and, when there is one, the previous report's), and returns
one HTML fragment in the client's language; :mod:`funnelkit.run.book` puts it before the
chapters. ``links`` maps ``metrics``/``funnel``/``abtest``/``stages``/``accounts``/``value`` to the
anchors of the chapters that prove each finding (a finding whose chapter is absent gets no link);
a finding may point at a section (``value:segments``), linked to the chapter when the section's
own anchor is not in ``links``.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

import pandas as pd

from ...core.formatting import format_number
from ...core.i18n import gettext
from .changes import what_changed
from .findings import rank_findings
from .first import fix_first
from .kpis import headline_kpis

__all__ = ["front_page"]

_ALTERNATIVES = (
    "Each finding is worth what its own stated scenario would add in a period like this one; "
    "they are alternatives and are not added up."
)


def _e(text: Any) -> str:
    return html.escape(str(text))


def _kpi_cards(kpis: pd.DataFrame, language: str) -> str:
    if kpis.empty:
        text = gettext("The data of this report hold none of the headline numbers.", language)
        return f"<p>{_e(text)}</p>"
    cards = []
    for row in kpis.to_dict("records"):
        interval = str(row.get("interval") or "")
        before = f'<p class="fk-kpi-change fk-neutral">{_e(interval)}</p>' if interval else ""
        verdict = str(row.get("verdict") or "")
        if row["previous"] not in ("–", "", None):
            words = gettext("{change} vs {previous} in the period before", language).format(
                change=row["change"], previous=row["previous"]
            )
            words += f" · {verdict}" if verdict else ""
            before += (
                f'<p class="fk-kpi-change fk-{row["tone"]} fk-{row["direction"]}">{_e(words)}</p>'
            )
        elif verdict:  # no before (the predicted customer value): the verdict alone
            before += f'<p class="fk-kpi-change fk-neutral fk-{row["tone"]}">{_e(verdict)}</p>'
        cards.append(
            f'<div class="fk-kpi fk-kpi-{_e(row["tone"])}">'
            f'<p class="fk-kpi-name">{_e(row["label"])}</p>'
            f'<p class="fk-kpi-value">{_e(row["value"])}</p>{before}</div>'
        )
    return f'<div class="fk-kpis">{"".join(cards)}</div>'


def _findings_list(
    findings: pd.DataFrame, links: Mapping[str, str], language: str, currency: str
) -> str:
    if findings.empty:
        text = gettext("No finding could be ranked with the data of this report.", language)
        return f"<p>{_e(text)}</p>"
    items = []
    for row in findings.to_dict("records"):
        worth = ""
        if row["worth"] is not None and not pd.isna(row["worth"]):
            money = format_number(row["worth"], "money", language=language, currency=currency)
            worth = gettext("Worth about {worth} per period", language).format(worth=money)
            if row["worth_low"] is not None and not pd.isna(row["worth_low"]):
                worth += gettext(" (95% interval {low} to {high})", language).format(
                    low=format_number(
                        row["worth_low"], "money", language=language, currency=currency
                    ),
                    high=format_number(
                        row["worth_high"], "money", language=language, currency=currency
                    ),
                )
            worth = f'<span class="fk-worth">{_e(worth)}.</span> '
        link = str(row["link"] or "")
        anchor = links.get(link) or links.get(link.split(":")[0])  # a section, else its chapter
        proof = (
            f' <a href="#{_e(anchor)}">{_e(gettext("See the evidence", language))}</a>'
            if anchor
            else ""
        )
        items.append(
            f"<li><strong>{_e(row['title'])}.</strong> {worth}"
            f'<span class="fk-action">{_e(row["action"])}{proof}</span></li>'
        )
    return f'<ol class="fk-findings">{"".join(items)}</ol>'


def front_page(
    results: Mapping[str, Any],
    *,
    language: str = "en",
    currency: str = "EUR",
    links: Mapping[str, str] | None = None,
    previous: Mapping[str, Any] | None = None,
    previous_date: str | None = None,
) -> str:
    """The front page's HTML (see the module docstring).

    Examples
    --------
    >>> page = front_page({"01": {"metrics": {"metrics": [{"metric": "visitors",
    ...     "value": 120.0, "previous_value": 100.0, "relative_change": 0.2,
    ...     "verdict": "better"}]}}})
    >>> "Visitors" in page and "What to fix first" in page
    True
    """
    links = links or {}
    kpis = headline_kpis(results, language=language, currency=currency)
    findings = rank_findings(results, language=language, currency=currency)
    parts = [
        f"<h1>{_e(gettext('Summary', language))}</h1>",
        f"<h2>{_e(gettext('The headline numbers', language))}</h2>",
        _kpi_cards(kpis, language),
        f'<div class="fk-first"><h2>{_e(gettext("What to fix first", language))}</h2>'
        f"<p>{_e(fix_first(findings, results, language=language, currency=currency))}</p></div>",
        f"<h2>{_e(gettext('Findings, most valuable first', language))}</h2>",
        f"<p>{_e(gettext(_ALTERNATIVES, language))}</p>",
        _findings_list(findings, links, language, currency),
    ]
    if previous is not None:
        before = rank_findings(previous, language=language, currency=currency)
        lines = what_changed(
            results,
            previous,
            findings_now=findings,
            findings_before=before,
            previous_date=previous_date or "",
            language=language,
            currency=currency,
        )
        title = gettext("What changed since the report of {date}", language).format(
            date=previous_date or ""
        )
        body = "".join(f"<li>{_e(line)}</li>" for line in lines) or (
            f"<li>{_e(gettext('Nothing of note changed.', language))}</li>"
        )
        parts.append(f'<h2>{_e(title)}</h2><ul class="fk-changes">{body}</ul>')
    return "\n".join(parts)
