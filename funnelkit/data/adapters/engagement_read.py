"""Reading a social or e-mail platform's export into the canonical ``social`` or ``email`` table.

The exports of :mod:`.social` (Meta Business Suite posts, VK community statistics) and
:mod:`.email_reports` (Mailchimp, Unisender) are flat reports: a header line (sometimes below a
title), one row per post, day or campaign, maybe a totals line. Each is described by a
:class:`Report` — the vendor's names for every canonical column, in every interface language —
and read by :func:`build`, which reuses the ad platforms' reader (:mod:`.ads_read`): the header
found among the first lines, title lines and totals lines skipped with a warning, numbers in the
report's locale ("1,234" or "1 234"), rate and percent columns never read (the kit recomputes
rates from the counts).

Examples
--------
>>> r = Report("x", "X export", "doc", "social", {"date": ("Day",), "likes": ("Likes",)},
...            required=("date",), times=("%d.%m.%Y",))
>>> r.score(["Day", "Likes", "Other"])
2
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from ...core.errors import ConfigError, DataError, did_you_mean
from ...core.sql import lit
from ..sources import RawScan
from ..validate import Problem
from .ads_read import HEAD_LINES, ReportFile, drop_totals, number_layout, read_report

__all__ = ["REPORTS", "Report", "build", "other_report"]

_RUSSIAN = re.compile("[а-яё]", re.IGNORECASE)
_spaced = functools.partial(re.compile("[\u00a0\u202f]").sub, " ")
_ISO = "%Y-%m-%d %H:%M:%S"
#: Canonical columns holding text, not counts (no number layout is read from them).
_TEXTS = ("network", "post_id", "campaign", "user_id", "account_id")


@dataclass(frozen=True)
class Report:
    """One vendor export: its names for each canonical column (preferred first), its formats.

    ``constants`` are canonical columns the export implies (``network: vk``); ``choose`` picks
    constants from the header (Meta's Facebook or Instagram file); ``sums`` builds a column
    from two others when its own is absent (Mailchimp's bounces = soft + hard).
    """

    format: str
    vendor: str
    schema: str
    table: str
    names: Mapping[str, tuple[str, ...]]
    required: tuple[str, ...]
    times: tuple[str, ...]
    constants: Mapping[str, str] = field(default_factory=dict)
    choose: Callable[[list[str]], dict[str, str]] | None = None
    sums: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    id_column: str | None = None  #: the canonical column naming a row (post_id, campaign)
    time_column: str = "date"
    date_only: bool = True  #: keep the day of the vendor's time (``social.date``)

    def known(self) -> set[str]:
        every = [n for v in self.names.values() for n in v]
        every += [n for pair in self.sums.values() for n in pair]
        return {n.casefold() for n in every}

    def score(self, cells: list[str]) -> int:
        """How many of ``cells`` are this export's column names (finds the header line)."""
        known = self.known()
        return sum(1 for c in cells if c.strip().casefold() in known)


#: Every report by format (filled by :func:`register_report`).
REPORTS: dict[str, Report] = {}


def register_report(report: Report) -> Report:
    """Add ``report`` to :data:`REPORTS` (the "it looks like …" hints compare against them)."""
    REPORTS[report.format] = report
    return report


def other_report(cells: list[str], report: Report) -> Report | None:
    """The other export whose header this is, when it matches clearly better."""
    own = report.score(cells)
    best = max(REPORTS.values(), key=lambda r: r.score(cells))
    if best is report or best.score(cells) <= max(own, 2):
        return None
    return best


def _looks(cells: list[str], report: Report) -> str:
    other = other_report(cells, report)
    if other is None:
        return ""
    return (
        f" It looks like a {other.vendor}: set `data.{other.table}.format: {other.format}`"
        f"{'' if other.table == report.table else f' (it gives the {other.table} table)'}."
    )


def _find(header: list[str], names: tuple[str, ...]) -> str | None:
    by_fold = {h.strip().casefold(): h for h in header}
    return next((by_fold[n.casefold()] for n in names if n.casefold() in by_fold), None)


def _columns(report: Report, file: ReportFile, source: Any, key: str) -> dict[str, str]:
    """Canonical column -> the header name holding it (``columns:`` first, then the vendor's)."""
    label, found = file.path.name, {}
    unknown = sorted(set(source.columns) - set(report.names))
    if unknown:
        raise ConfigError(
            f"{key}.columns: {unknown} are not read from a {report.vendor}; map one of "
            f"{sorted(report.names)}."
        )
    for canon, names in report.names.items():
        declared = source.columns.get(canon)
        if declared is not None:
            if declared not in file.header:
                hint = did_you_mean(declared, file.header)
                raise ConfigError(
                    f"{label}: `{key}.columns.{canon}` is {declared!r}, which the header (line "
                    f"{file.header_line}) does not have; its columns are {file.header}.{hint}"
                )
            found[canon] = declared
        elif name := _find(file.header, names):
            found[canon] = name
    missing = [c for c in report.required if c not in found]
    if missing:
        names = " / ".join(report.names[missing[0]])
        raise DataError(
            f"{label}: the {report.vendor}'s header (line {file.header_line}) has no "
            f"{missing[0]} column (looked for {names}); its columns are {file.header}."
            f"{_looks(file.header, report)} Export the report again with that column, or map "
            f"it with `{key}.columns.{missing[0]}`.",
            file=label,
            column=missing[0],
        )
    return found


def _value(column: str) -> str:
    """A trimmed cell; "", "-" and "--" (no value) as NULL."""
    return f"nullif(nullif(nullif(trim({column}), ''), '--'), '-')"


def _time(cell: str, formats: tuple[str, ...], date_only: bool) -> str:
    """SQL: the vendor's time as ISO text; text in none of its formats is kept for the loader."""
    parsed = (
        f"coalesce(try_strptime({cell}, [{', '.join(lit(f) for f in formats)}]), "
        f"TRY_CAST({cell} AS TIMESTAMP))"
    )
    out = "%Y-%m-%d" if date_only else _ISO
    return f"CASE WHEN {parsed} IS NOT NULL THEN strftime({parsed}, {lit(out)}) ELSE {cell} END"


def _number(cell: str) -> str:
    """SQL: a count as an integer (thousands separators of either locale removed), else NULL."""
    digits = f"regexp_replace({cell}, '[ ,.\u00a0\u202f]', '', 'g')"
    return f"TRY_CAST({digits} AS BIGINT)"


def _select(report: Report, file: ReportFile, found: dict[str, str], row: str) -> str:
    parts = [f"{row} AS __row"]
    constants = dict(report.constants)
    if report.choose is not None:
        constants |= report.choose(file.header)
    for canon in report.names:
        if canon in found:
            cell = _value(file.column(found[canon]))
            if canon == report.time_column:
                cell = _time(cell, report.times, report.date_only)
            parts.append(f"{cell} AS {canon}")
        elif canon in constants:
            parts.append(f"{lit(constants[canon])} AS {canon}")
        elif canon in report.sums and all(n in file.header for n in report.sums[canon]):
            a, b = (_value(file.column(n)) for n in report.sums[canon])
            parts.append(f"CAST({_number(a)} + {_number(b)} AS VARCHAR) AS {canon}")
    return f"SELECT {', '.join(parts)} FROM {file.name}"


def _note(table: str, file: str, check: str, examples: list[str], what: str, rows: int = 0):
    message = f"{file}: {what}: {'; '.join(examples[:3])}" if examples else f"{file}: {what}"
    return Problem(table, file, "", check, "warning", rows or len(examples), [], examples[:3],
                   message)  # fmt: skip


def build(
    report: Report,
    con: duckdb.DuckDBPyConnection,
    raw: str,
    files: list[Path],
    source: Any,
    *,
    table: str,
) -> RawScan:
    """Create the raw scan ``raw`` of the canonical ``table`` from the export's ``files``."""
    key = f"data.{table}"
    label = files[0].parent.name if len(files) > 1 else files[0].name
    problems: list[Problem] = []
    selects, reads, russian, counts = [], [], False, set()
    for i, path in enumerate(files):
        file = read_report(con, f"{raw}_f{i}", path, source, report.score, key=key,
                           vendor=report.vendor)  # fmt: skip
        if not isinstance(file, ReportFile):
            raise DataError(
                f"{path.name}: no {report.vendor} header in its first {HEAD_LINES} lines (found "
                f"{file[:8]}).{_looks(file, report)} `format: {report.format}` reads the "
                f"vendor's own export ({report.schema}); export it again, or map renamed "
                "columns with `columns:`.",
                file=path.name,
            )
        reads.append(file)
        found = _columns(report, file, source, key)
        russian = russian or bool(_RUSSIAN.search(" ".join(file.header)))
        if file.skipped_above:
            what = f"skipped the {len(file.skipped_above)} line(s) above the header (line " \
                   f"{file.header_line}), the report's title"  # fmt: skip
            problems.append(_note(table, path.name, "skipped_title", file.skipped_above, what))
        ident = found.get(report.id_column or "")
        totals = drop_totals(
            con,
            file,
            date=file.column(found[report.time_column]),
            campaign=file.column(ident) if ident else None,
            unnamed_is_summary=ident is not None,
        )
        if totals:
            shown = [f"line {line}: '{_spaced(text[:60])}'" for line, text in totals[:3]]
            what = f"skipped {len(totals)} totals or empty line(s)"
            problems.append(_note(table, path.name, "skipped_totals", shown, what, len(totals)))
        counts |= {c for c in found if c not in (report.time_column, *_TEXTS)}
        counts |= {c for c in report.sums if c not in found}
        row = "__line" if len(files) == 1 else "NULL"
        selects.append(_select(report, file, found, row))
    union = " UNION ALL BY NAME ".join(
        f"SELECT *, {i} AS __file FROM ({s})" for i, s in enumerate(selects)
    )
    row = "__row" if len(files) == 1 else "row_number() OVER (ORDER BY __file, __seq)"
    con.execute(
        f"CREATE TEMP TABLE {raw} AS SELECT {row} AS __row, * EXCLUDE (__row, __file, __seq) "
        f"FROM (SELECT *, row_number() OVER () AS __seq FROM ({union}))"
    )
    for file in reads:
        con.execute(f"DROP TABLE {file.name}")
    present = con.table(raw).columns
    numeric = [c for c in sorted(counts) if c in present]
    values = " UNION ALL ".join(f"SELECT {c} AS v FROM {raw}" for c in numeric)
    layout: dict[str, Any] = (
        number_layout(con, values, russian) if values else {"decimal": ".", "thousands": ","}
    )
    layout["timestamp_format"] = None
    return RawScan(
        0, "line" if len(files) == 1 else "row", problems, relation="table", layout=layout,
        label=label,
    )  # fmt: skip


def tables(report: Report, **words: str) -> dict[str, dict[str, str]]:
    """The mapping table of the docs: canonical column -> the vendor's names (or ``words``)."""
    described = {c: " / ".join(n) for c, n in report.names.items() if n} | words
    for canon, value in report.constants.items():
        described[canon] = f"`{value}`"
    for canon, (a, b) in report.sums.items():
        described[canon] = (described.get(canon, "") + f" (else {a} + {b})").strip()
    return {report.table: described}
