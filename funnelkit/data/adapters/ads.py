"""Ad platforms' cost reports read as the canonical ``spend`` table.

Three adapters, each reading the platform's daily campaign report as a consultant downloads it
(CSV, TSV or XLSX; one file, or a folder of them read as one table):

``format: google_ads``
    Google Ads campaign report, downloaded from ads.google.com (Reports, or the Campaigns page's
    download), following Google Ads Help "Download your reports"
    (https://support.google.com/google-ads/answer/2454022): "Day", "Campaign", "Currency code",
    "Cost", "Impr.", "Clicks" (English UI) or "День", "Кампания", "Код валюты", "Стоимость",
    "Показы", "Клики" (Russian UI); or a Google Ads API report with its field names
    ("segments.date", "campaign.name", "customer.currency_code", "metrics.cost_micros" — cost in
    millionths — "metrics.impressions", "metrics.clicks"; Google Ads API "Report fields").
``format: meta_ads``
    Meta Ads Manager export (Meta Business Help Center, "Export your ad reports from Ads
    Manager", https://www.facebook.com/business/help/1695754927158071) with a daily breakdown:
    "Reporting starts", "Reporting ends", "Day", "Campaign name", "Amount spent (EUR)" (the
    currency is in the header), "Impressions", "Link clicks" or "Clicks (all)"; Russian UI
    "День", "Название кампании", "Потраченная сумма (RUB)", "Показы", "Клики по ссылке".
``format: yandex_direct``
    Yandex Direct report: the Reports API TSV (Yandex Direct API v5 "Формат отчёта" and "Поля
    отчётов", https://yandex.ru/dev/direct/doc/reports/) — "Date", "CampaignName", "Cost",
    "Impressions", "Clicks", a title line and a "Total rows: N" footer — or the "Мастер
    отчётов" download ("Дата", "Кампания", "Расход (руб.)", "Показы", "Клики").

Every report becomes spend rows: ``date`` ← the day, ``channel`` ← the platform's name
(``google_ads``, ``meta_ads``, ``yandex_direct``; ``columns: {channel: <column>}`` reads it
from a column instead), ``campaign`` ← the campaign's name, ``cost``, ``impressions`` and
``clicks`` (both optional). Title and date-range lines above the header and totals lines
("Total: Account", "Итого", "Total rows: N") are skipped, with a warning saying which.
Numbers are read in the report's locale ("1,234.56" or "1 234,56", told from the values and
the header's language), money in millionths (``metrics.cost_micros``; a Reports API file
downloaded without ``returnMoneyInMicros: false``) is divided by 1,000,000 with a warning. The
platform's currency (a currency column, or the cost header's "(EUR)", "(руб.)") must be the
client's ``currency``: otherwise a :class:`~funnelkit.core.errors.DataError` names the file,
the value, the lines and the fix.

Examples
--------
>>> from funnelkit.data.adapters import find_adapter
>>> sorted(find_adapter("meta_ads").tables["spend"])[:3]
['campaign', 'channel', 'clicks']
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from ...core.errors import ConfigError, DataError, did_you_mean, format_rows
from ...core.sql import lit
from ..sources import RawScan
from ..validate import Problem
from . import Adapter, register
from .ads_platforms import (
    META,
    PLATFORMS,
    RUSSIAN_SIGNATURES,
    WORD_CURRENCIES,
    YANDEX,
    Platform,
    other_platform,
)
from .ads_read import (
    ReportFile,
    date_format,
    drop_totals,
    micros_by_value,
    no_header_error,
    number_layout,
    read_report,
)

__all__ = ["PLATFORMS"]

_CANONICAL = ("date", "campaign", "cost", "impressions", "clicks")
#: Words of a Russian UI's header (the numbers are then "1 234,56" unless the values say not).
_RUSSIAN = re.compile("[а-яё]", re.IGNORECASE)
_spaced = functools.partial(re.compile("[\u00a0\u202f]").sub, " ")  # no-break spaces, as seen


def _find(report: ReportFile, names: tuple[str, ...]) -> str | None:
    by_fold = {h.casefold(): h for h in report.header}
    return next((by_fold[n.casefold()] for n in names if n.casefold() in by_fold), None)


@dataclass
class _Columns:
    """Where one file holds each canonical column, and what its header says of the money."""

    found: dict[str, str]  #: canonical -> header name
    micros: bool = False
    currency_column: str | None = None
    header_currency: str | None = None  #: from "Amount spent (EUR)"


def _columns(platform: Platform, report: ReportFile, source: Any, key: str) -> _Columns:
    label, found = report.path.name, {}
    for canon in (*_CANONICAL, "channel"):
        declared = source.columns.get(canon)
        if declared is not None:
            if declared not in report.header:
                hint = did_you_mean(declared, report.header)
                raise ConfigError(
                    f"{label}: `{key}.columns.{canon}` is {declared!r}, which the report's "
                    f"header (line {report.header_line}) does not have; its columns are "
                    f"{report.header}.{hint}"
                )
            found[canon] = declared
        elif canon in platform.names and (name := _find(report, platform.names[canon])):
            found[canon] = name
    cols = _Columns(found)
    if "cost" not in found and (name := _find(report, platform.micros)):
        found["cost"], cols.micros = name, True
    if "cost" not in found and platform.cost_pattern:
        pattern = re.compile(platform.cost_pattern, re.IGNORECASE)
        for name in report.header:
            if match := pattern.fullmatch(name):
                found["cost"] = name
                word = match.group(1).strip()
                cols.header_currency = WORD_CURRENCIES.get(word.casefold(), word.upper())
                break
    if "date" not in found and platform.period:
        found["date"] = _find(report, platform.period[0]) or ""
    missing = [c for c in ("date", "cost") if not found.get(c)]
    if missing:
        names = " / ".join(platform.names[missing[0]])
        other = other_platform(report.header, platform)
        looks = (
            f"It looks like {other}: set `{key}.format: {other.split('`')[1]}`; else "
            if other
            else ""
        )
        raise DataError(
            f"{label}: the {platform.vendor}'s header (line {report.header_line}) has no "
            f"{missing[0]} column (looked for {names}); its columns are {report.header}. "
            f"{looks}add the {missing[0]} to the report (a daily breakdown) and export it "
            f"again, or map the column with `{key}.columns.{missing[0]}`.",
            file=label,
            column=missing[0],
        )
    cols.currency_column = _find(report, platform.currency)
    return cols


def _check_currency(
    con: duckdb.DuckDBPyConnection,
    report: ReportFile,
    cols: _Columns,
    currency: str | None,
    *,
    key: str,
    vendor: str,
) -> None:
    """The platform's currency must be the client's: a mismatch is a DataError with its lines."""
    if currency is None:
        return
    label = report.path.name
    fix = (
        f"convert the costs to {currency} before loading them, or set `currency: {{value}}` in "
        f"client.yaml if the client reports in {{value}} (then every money column is {{value}})"
    )
    if cols.header_currency and cols.header_currency != currency:
        value = cols.header_currency
        advice = (
            "у.е. are Yandex Direct's conventional units, not a currency: export the report "
            "in the account's currency"
            if value == "у.е."
            else fix.format(value=value)
        )
        raise DataError(
            f"{label}: the {vendor}'s cost column {cols.found['cost']!r} is in {value!r}, but the "
            f"client's currency is {currency}; {advice}.",
            file=label,
            column=cols.found["cost"],
            problems=[value],
        )
    if cols.currency_column is None:
        return
    column = report.column(cols.currency_column)
    wrong = con.sql(
        f"SELECT upper(trim({column})) AS v, count(*), list(__line ORDER BY __line)[1:5] "
        f"FROM {report.name} WHERE nullif(trim({column}), '') IS NOT NULL "
        f"AND upper(trim({column})) <> {lit(currency)} GROUP BY v ORDER BY count(*) DESC"
    ).fetchall()
    if wrong:
        value, count, lines = wrong[0]
        raise DataError(
            f"{label}: the {vendor} reports its costs in {value!r} (column "
            f"{cols.currency_column!r}, {format_rows(lines, int(count))}), but the client's "
            f"currency is {currency}; {fix.format(value=value)}.",
            file=label,
            column=cols.currency_column,
            row_count=int(count),
            example_rows=lines,
            problems=[value],
        )


def _period_check(con: duckdb.DuckDBPyConnection, report: ReportFile, platform: Platform) -> None:
    """A Meta export without "Day" must cover one day per row (Reporting starts = ends)."""
    starts, ends = (_find(report, names) for names in platform.period or ((), ()))
    if not (starts and ends):
        return
    a, b = report.column(starts), report.column(ends)
    lines = con.sql(
        f"SELECT list(__line ORDER BY __line)[1:5], count(*) FROM {report.name} "
        f"WHERE trim({a}) IS DISTINCT FROM trim({b})"
    ).fetchall()[0]
    if lines[1]:
        raise DataError(
            f"{report.path.name}: the {platform.vendor} has no 'Day' column and "
            f"{format_rows(lines[0], int(lines[1]))} cover more than one day ({starts!r} ≠ "
            f"{ends!r}); export the report with the daily breakdown (Breakdown → By time → Day).",
            file=report.path.name,
        )


#: An Excel day read as text ("2024-01-15 00:00:00"), the day kept.
_MIDNIGHT = "^([0-9]{4}-[0-9]{2}-[0-9]{2})[ T]00:00:00$"


def _value(column: str) -> str:
    """A trimmed cell, "--" (Google Ads' "not applicable") and "" as NULL."""
    return f"nullif(nullif(trim({column}), ''), '--')"


def _select(report: ReportFile, cols: _Columns, platform: Platform, row: str) -> str:
    found = cols.found
    date = _value(report.column(found["date"]))
    parts = [
        f"{row} AS __row",
        f"regexp_replace({date}, {lit(_MIDNIGHT)}, '\\1') AS date",
        f"{_value(report.column(found['channel']))} AS channel"
        if "channel" in found
        else f"{lit(platform.format)} AS channel",
    ]
    if "campaign" in found:
        parts.append(f"trim({report.column(found['campaign'])}) AS campaign")
    cost = _value(report.column(found["cost"]))
    if cols.micros:
        cost = (
            f"CASE WHEN regexp_full_match({cost}, '-?[0-9]+') "
            f"THEN CAST(CAST({cost} AS HUGEINT) / 1000000.0 AS VARCHAR) ELSE {cost} END"
        )
    parts.append(f"{cost} AS cost")
    parts += [
        f"{_value(report.column(found[c]))} AS {c}" for c in ("impressions", "clicks") if c in found
    ]
    return f"SELECT {', '.join(parts)} FROM {report.name}"


def _build(
    platform: Platform,
    con: duckdb.DuckDBPyConnection,
    raw: str,
    files: list[Path],
    source: Any,
    *,
    table: str,
    currency: str | None = None,
) -> RawScan:
    key = f"data.{table}"
    label = files[0].parent.name if len(files) > 1 else files[0].name
    problems: list[Problem] = []
    selects, reports, russian, micros = [], [], False, False
    for i, path in enumerate(files):
        report = read_report(
            con, f"{raw}_f{i}", path, source, platform.score, key=key, vendor=platform.vendor
        )
        if not isinstance(report, ReportFile):
            other = other_platform(report, platform)
            raise no_header_error(path.name, platform.vendor, report, other, platform.format)
        reports.append(report)
        cols = _columns(platform, report, source, key)
        russian = russian or bool(_RUSSIAN.search(" ".join(report.header)))
        if report.skipped_above:
            problems.append(
                _note(
                    table,
                    path.name,
                    "skipped_title",
                    report.skipped_above,
                    f"skipped the {len(report.skipped_above)} line(s) above the "
                    f"header (line {report.header_line}), the report's title",
                )
            )
        campaign = cols.found.get("campaign")
        totals = drop_totals(
            con,
            report,
            date=report.column(cols.found["date"]),
            campaign=report.column(campaign) if campaign else None,
            unnamed_is_summary=platform is META,
        )
        if totals:
            shown = [f"line {line}: '{_spaced(text[:60])}'" for line, text in totals[:3]]
            problems.append(
                _note(
                    table,
                    path.name,
                    "skipped_totals",
                    shown,
                    f"skipped {len(totals)} totals or empty line(s)",
                    rows=len(totals),
                )
            )
        _check_currency(con, report, cols, currency, key=key, vendor=platform.vendor)
        if currency and not (cols.header_currency or cols.currency_column):
            what = (
                f"the {platform.vendor} does not say its currency (no currency column, none in "
                f"the cost header); its costs are taken to be in the client's {currency}"
            )
            problems.append(_note(table, path.name, "currency_assumed", [], what))
        if platform.period and _find(report, platform.names["date"]) is None:
            _period_check(con, report, platform)  # a Meta export without "Day"
        if not cols.micros and platform is YANDEX and "cost" not in source.columns:
            cols.micros = micros_by_value(con, report, report.column(cols.found["cost"]))
        if cols.micros:
            micros = True
            problems.append(
                _note(
                    table,
                    path.name,
                    "money_in_micros",
                    [cols.found["cost"]],
                    "read the cost in millionths (micros) and divided it by 1,000,000",
                )
            )
        row = "__line" if len(files) == 1 else "NULL"
        selects.append((_select(report, cols, platform, row), i))
    union = " UNION ALL ".join(f"SELECT *, {i} AS __file FROM ({s})" for s, i in selects)
    row = "__row" if len(files) == 1 else "row_number() OVER (ORDER BY __file, __seq)"
    con.execute(
        f"CREATE TEMP TABLE {raw} AS SELECT {row} AS __row, * EXCLUDE (__row, __file, __seq) "
        f"FROM (SELECT *, row_number() OVER () AS __seq FROM ({union}))"
    )
    for report in reports:
        con.execute(f"DROP TABLE {report.name}")
    values = " UNION ALL ".join(
        f"SELECT {c} AS v FROM {raw}" for c in ("cost", "impressions", "clicks")
        if c in con.table(raw).columns
    )  # fmt: skip
    layout: dict[str, Any] = (
        {"decimal": ".", "thousands": ","} if micros else number_layout(con, values, russian)
    )
    layout["timestamp_format"] = date_format(con, f"SELECT date AS v FROM {raw}")
    single = len(files) == 1
    return RawScan(
        0, "line" if single else "row", problems, relation="table", layout=layout, label=label
    )


def _note(
    table: str, file: str, check: str, examples: list[str], what: str, *, rows: int = 0
) -> Problem:
    """A warning of the data-health report: what the adapter did to read the report."""
    message = f"{file}: {what}: {'; '.join(examples[:3])}" if examples else f"{file}: {what}"
    count = rows or len(examples)
    return Problem(table, file, "", check, "warning", count, [], examples[:3], message)


def _adapter(platform: Platform) -> Adapter:
    names = platform.names
    build = functools.partial(_build, platform)  # keeps the `currency` keyword visible
    cost = " / ".join([*names["cost"], *platform.micros])
    return Adapter(
        format=platform.format,
        vendor=platform.vendor,
        schema=platform.schema,
        tables={
            "spend": {
                "date": " / ".join(names["date"]),
                "channel": f"`{platform.format}` (or `columns.channel`)",
                "campaign": " / ".join(names["campaign"]),
                "cost": cost,
                "impressions": " / ".join(names["impressions"]),
                "clicks": " / ".join(names["clicks"]),
            }
        },
        suffixes=(".csv", ".tsv", ".txt", ".xlsx"),
        build=build,
        signature=platform.signature,
        signatures=RUSSIAN_SIGNATURES.get(platform.format, ()),
        hints=platform.hints,
    )


for _platform in PLATFORMS.values():
    register(_adapter(_platform))
