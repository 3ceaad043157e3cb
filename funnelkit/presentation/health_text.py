"""Chapter 00's words: the data-health verdict, the loader's warnings, the settings check.

What :mod:`funnelkit.health` finds, said in the report's language for the client
(:func:`summary_text`, :func:`warnings_table`), and what only the consultant reads: whether
everything ``client.yaml`` refers to is in the data (:func:`settings_text`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from ..core.formatting import format_count, format_date
from ..core.i18n import gettext
from ..data.tables import TABLES
from ..health import config_checks, duplicate_rows
from ..metrics.compare import has_rows_before

if TYPE_CHECKING:
    from ..data.loader import Client

__all__ = ["WARNING_WORDS", "settings_text", "summary_text", "warnings_table"]


#: The loader's warning checks in a reader's words: check -> (finding, what it means).
WARNING_WORDS: dict[str, tuple[str, str]] = {
    "future": (
        "rows dated in the future",
        "Rows dated more than a day in the future: check the export's time zone and date format.",
    ),
    "several_variants": (
        "people in several variants",
        "These people were assigned to more than one variant of the same experiment; the A/B "
        "analysis leaves them out and says how many.",
    ),
    "several_offsets": (
        "several UTC offsets",
        "The times carry different UTC offsets; all were converted to the report's time zone. "
        "Expected around daylight-saving changes; otherwise the export mixes clocks.",
    ),
    "repeated_events": (
        "repeated events",
        "Events repeating another event of the same person at the same second; funnels count "
        "them once, volumes count them all.",
    ),
    "repeated_days": (
        "repeated days",
        "Day-and-channel pairs on several rows of the spend table; they are summed (fine if "
        "they are separate campaigns).",
    ),
    "null_like": (
        "a word for a missing value",
        "Cells holding a word for a missing value (such as NULL or N/A); they are read as empty.",
    ),
    "no_rows": (
        "no data rows",
        "The file has a header but no data rows; the analyses of this table are skipped.",
    ),
    "empty_period": (
        "no rows in the period",
        "No rows fall in the analysis period; the analyses of this table are skipped.",
    ),
    "won_before_created": (
        "deal won before the lead was created",
        "Deals marked as won before their lead was created; worth checking the CRM export.",
    ),
    "stage_order": (
        "stages out of order",
        "Leads that reached a later stage before an earlier one; worth checking the CRM export "
        "(stage dates may have been overwritten).",
    ),
    "skipped_footer": (
        "summary lines skipped",
        "Summary lines at the end of the file were left out, as the report settings say.",
    ),
    "sheet_read": (
        "one sheet of several read",
        "The workbook has several sheets; one of them was read.",
    ),
}


def warnings_table(client: Client, *, language: str | None = None) -> pd.DataFrame:
    """The loader's warnings as the client reads them, in the report's language.

    Each finding in words with what it means for the analyses; the loader's own message (which
    may name ``client.yaml`` settings) is for the consultant (:meth:`Client.issues`) and is
    used here only for a check without words of its own.

    Returns
    -------
    pandas.DataFrame
        Columns: table, column, finding, rows, what_it_means.
    """
    language = language or client.config.language
    issues = client.issues()
    issues = issues[issues["severity"] == "warning"]
    rows = []
    for issue in issues.itertuples():
        finding, meaning = WARNING_WORDS.get(issue.check, (issue.check, issue.message))
        rows.append(
            {
                "table": issue.table,
                "column": issue.column or "–",
                "finding": gettext(finding, language),
                "rows": int(issue.rows),
                "what_it_means": gettext(meaning, language),
            }
        )
    return pd.DataFrame(rows, columns=["table", "column", "finding", "rows", "what_it_means"])


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _table_names(names: list[str], language: str) -> str:
    """Table names joined with commas, each as the reader calls it (``orders`` -> "заказы")."""
    return ", ".join(gettext(name, language) for name in names)


def summary_text(client: Client, *, language: str | None = None) -> str:
    """The data-health verdict in plain words for the client, as Markdown bullet points.

    In the report's language (default: the client's). What concerns the report settings
    (``client.yaml``) is left to :func:`settings_text`, which only the consultant reads.

    Examples
    --------
    >>> from funnelkit import load_client
    >>> print(summary_text(load_client(emit_warnings=False)).splitlines()[0])
    - All 9 tables provided were loaded; none has rows dated outside a plausible range.
    """
    language = language or client.config.language
    config = client.config
    lines = []
    missing_tables = [t for t in TABLES if t not in client.tables]
    future = [p for p in client.problems if p.check == "future"]
    if future:
        lines.append(
            gettext(
                "- All {n} tables provided were loaded; {k} have rows dated in the future "
                "(see the warnings).",
                language,
            ).format(n=len(client.tables), k=len(future))
        )
    else:
        lines.append(
            gettext(
                "- All {n} tables provided were loaded; none has rows dated outside a "
                "plausible range.",
                language,
            ).format(n=len(client.tables))
        )
    if missing_tables:
        lines.append(
            gettext("- Not provided: {tables}. Analyses that need them are skipped.", language)
            .format(tables=_table_names(missing_tables, language))
        )  # fmt: skip
    empty = [p.table for p in client.problems if p.check == "empty_period"]
    if empty:
        lines.append(
            gettext("- No rows in the analysis period for: {tables}.", language).format(
                tables=_table_names(empty, language)
            )
        )
    dated = [t for t in client.tables if TABLES[t].periodic]  # a list of accounts is not dated
    if before := [t for t in dated if not has_rows_before(client, t)]:
        lines.append(
            gettext(
                "- No earlier data for: {tables} (no rows in the period before the analysis "
                "period), so later chapters show no change there.",
                language,
            ).format(tables=_table_names(before, language))
        )
    dups = duplicate_rows(client)
    dups = dups[dups.duplicate_rows > 0]
    for row in dups.itertuples():
        lines.append(
            gettext(
                "- {table}: {n} rows repeat another row's key ({key}); the analyses handle "
                "them as the warnings below describe.",
                language,
            ).format(
                table=_capitalised(gettext(row.table, language)),
                n=format_count(row.duplicate_rows, language),
                key=", ".join(f"`{k}`" for k in row.key.split(", ")),
            )
        )
    warnings_count = sum(1 for p in client.problems if p.severity == "warning")
    lines.append(
        gettext(
            "- Loader warnings: {n} (listed below)."
            if warnings_count
            else "- Loader warnings: none.",
            language,
        ).format(n=format_count(warnings_count, language))
    )
    period = config.period
    lines.append(
        gettext(
            "- Analysis period: {start} to {end} ({days} days), compared with the {days} days "
            "before; times in {timezone}.",
            language,
        ).format(
            start=format_date(period.start, language),
            end=format_date(period.end, language),
            days=format_count(period.days, language),
            timezone=config.timezone,
        )
    )
    return "\n".join(lines)


def settings_text(client: Client) -> str:
    """For the consultant only: whether everything ``client.yaml`` refers to is in the data.

    Kept out of the client's report (the notebook shows it in a ``consultant`` cell), in
    English like the settings file itself.
    """
    lines = []
    if missing_tables := [t for t in TABLES if t not in client.tables]:
        lines.append(
            f"- Tables not configured: {', '.join(missing_tables)}; see docs/data.md for what "
            "each unlocks."
        )
    checks = config_checks(client)
    failed = checks[checks.status == "missing"]
    if len(failed):
        items = "; ".join(f"{r.section} `{r.item}`" for r in failed.itertuples())
        lines.append(f"- client.yaml refers to things the data does not contain: {items}.")
    else:
        lines.append(
            "- Everything client.yaml refers to (funnel steps, stages, experiments) "
            "exists in the data."
        )
    return "\n".join(lines)
