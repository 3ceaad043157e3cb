"""Reading an ad platform's report as it is downloaded: title lines, the header, a totals footer.

Ad platforms put lines above the header of a UI download (the report's name, its date range)
and totals below the data ("Total: Account", "Итого", the Reports API's "Total rows: 12"). This
module finds the header line among the first :data:`HEAD_LINES` lines by the platform's own
column names, reads the lines below it with DuckDB (every value as text; Excel through pandas),
and numbers each row with its line in the file (``__line``, the header's line + 1 for the first
data row), so that the loader's checks report a bad value with the line a text editor or a
spreadsheet shows.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from ...core.errors import ConfigError, DataError
from ...core.sql import lit, q
from ..sources import read_error
from ..textfiles import inspect_text

__all__ = [
    "HEAD_LINES",
    "ReportFile",
    "date_format",
    "drop_totals",
    "micros_by_value",
    "number_layout",
    "read_report",
]

#: How many lines from the top are searched for the header.
HEAD_LINES = 30
_DELIMITERS = ("\t", ",", ";")
_EXCEL = (".xlsx", ".xlsm", ".xls")
#: A totals or summary line below (or, in some downloads, above) the data: "Total: Account",
#: "Итого: кампании", "Total rows: 12", "Всего".
TOTALS_SQL = r"(?i)^\s*(total|totals|итого|итог|всего|общий итог)(\s*:.*|\s+rows\b.*|\s+строк.*)?$"


@dataclass
class ReportFile:
    """One report file read into a TEMP table ``name`` (columns ``c1`` … and ``__line``)."""

    path: Path
    name: str
    header: list[str]  #: the column names, in the file's order (``c1`` is ``header[0]``)
    header_line: int  #: the header's line in the file, from 1
    skipped_above: list[str]  #: the lines above the header (title, date range)

    def column(self, header_name: str) -> str:
        """The TEMP table's column holding ``header_name`` (``c3``)."""
        return f"c{self.header.index(header_name) + 1}"


def _split(line: str, delimiter: str) -> list[str]:
    return [cell.strip() for cell in next(csv.reader([line], delimiter=delimiter), [])]


def find_header(lines: list[list[str]], score: Callable[[list[str]], int]) -> int:
    """The index of the first row whose cells ``score`` ≥ 2 (the platform's column names)."""
    for index, cells in enumerate(lines[:HEAD_LINES]):
        if score(cells) >= 2:
            return index
    return -1


_CODECS = {"utf-8": "utf-8-sig", "latin-1": "latin-1", "utf-16": "utf-16"}


def _text_lines(path: Path, encoding: str | None, key: str) -> tuple[Any, list[str]]:
    with path.open("rb") as handle:
        bom = handle.read(2)
    declared = encoding or ("utf-16" if bom in (b"\xff\xfe", b"\xfe\xff") else None)
    text = inspect_text(path, encoding=declared, delimiter=",", key=key)
    codec = _CODECS[text.encoding]
    head: list[str] = []
    with text.path.open(encoding=codec, errors="replace", newline="") as handle:
        for line in handle:
            head.append(line.rstrip("\r\n"))
            if len(head) >= HEAD_LINES:
                break
    return text, head


def read_report(
    con: duckdb.DuckDBPyConnection,
    name: str,
    path: Path,
    source: Any,
    score: Callable[[list[str]], int],
    *,
    key: str,
    vendor: str,
) -> ReportFile | list[str]:
    """Read one report file into the TEMP table ``name``; the header's cells if none is found.

    Returns the :class:`ReportFile`, or — when no line of the first :data:`HEAD_LINES` has two
    of the platform's column names — the first non-empty line's cells, for the caller's error.
    """
    if path.suffix.lower() in _EXCEL:
        return _read_excel(con, name, path, source, score, key=key)
    if source.delimiter == "whitespace":  # report cells hold spaces ("Campaign name")
        raise ConfigError(
            f"{key}.delimiter: `whitespace` cannot split an ad platform's report, whose "
            "cells hold spaces; remove the key (tab, comma and semicolon are detected)."
        )
    text, head = _text_lines(path, source.encoding, key)
    best: tuple[int, int, str] = (-1, 0, ",")  # (line index, score, delimiter)
    delimiters = (source.delimiter,) if source.delimiter else _DELIMITERS
    for index, line in enumerate(head):
        for delimiter in delimiters:
            points = score(_split(line, delimiter))
            if points >= 2 and points > best[1]:
                best = (index, points, delimiter)
        if best[0] >= 0:
            break
    index, _, delimiter = best
    if index < 0:
        first = next((line for line in head if line.strip()), "")
        return _split(first, max(_DELIMITERS, key=first.count))
    header = _split(head[index], delimiter)
    columns = ", ".join(f"{lit(f'c{i}')}: 'VARCHAR'" for i in range(1, len(header) + 1))
    scan = (
        f"read_csv({lit(str(text.path))}, header = false, skip = {index + 1}, "
        f"delim = {lit(delimiter)}, quote = '\"', escape = '\"', columns = {{{columns}}}, "
        f"auto_detect = false, null_padding = true, encoding = {lit(text.encoding)})"
    )
    try:
        con.execute(
            f"CREATE TEMP TABLE {name} AS SELECT row_number() OVER () + {index + 1} AS __line, * "
            f"FROM {scan}"
        )
    except duckdb.Error as err:
        raise read_error(path.name, vendor, err, key) from err
    _renumber_after_blank_lines(con, name, text, index + 1)
    return ReportFile(path, name, header, index + 1, head[:index])


def _renumber_after_blank_lines(
    con: duckdb.DuckDBPyConnection, name: str, text: Any, header_line: int
) -> None:
    """DuckDB skips empty lines: give the rows below one their real line numbers again."""
    lines: list[int] = []
    with text.path.open(encoding=_CODECS[text.encoding], errors="replace", newline="") as handle:
        for number, line in enumerate(handle, start=1):
            if number > header_line and line.rstrip("\r\n") != "":
                lines.append(number)
    if not lines or lines[-1] - lines[0] + 1 == len(lines):
        return  # no empty line among the data: ``__line`` is right
    import pandas as pd

    count = int(con.sql(f"SELECT count(*) FROM {name}").fetchall()[0][0])
    if count != len(lines):  # a quoted value spans lines: keep DuckDB's numbering
        return
    mapping = pd.DataFrame({"k": range(header_line + 1, header_line + 1 + count), "n": lines})
    con.register(f"{name}_lines", mapping)
    con.execute(f"UPDATE {name} SET __line = m.n FROM {name}_lines m WHERE {name}.__line = m.k")
    con.unregister(f"{name}_lines")


def _read_excel(
    con: duckdb.DuckDBPyConnection,
    name: str,
    path: Path,
    source: Any,
    score: Callable[[list[str]], int],
    *,
    key: str,
) -> ReportFile | list[str]:
    import pandas as pd  # Excel only; as funnelkit.data.sources._excel_raw does

    try:
        frame = pd.read_excel(path, sheet_name=source.sheet or 0, header=None, dtype=str)
    except Exception as err:  # openpyxl and zipfile raise many kinds; all mean "unreadable"
        raise read_error(path.name, "excel", err, key) from err
    rows = [[("" if pd.isna(v) else str(v).strip()) for v in row] for row in frame.to_numpy()]
    index = find_header(rows, score)
    if index < 0:
        return next((r for r in rows if any(rows)), [])
    header = rows[index]
    while header and not header[-1]:
        header = header[:-1]
    body = frame.iloc[index + 1 :, : len(header)].copy()
    body.columns = [f"c{i}" for i in range(1, len(header) + 1)]
    body.insert(0, "__line", range(index + 2, index + 2 + len(body)))
    body = body.astype(object).where(body.notna(), None)
    con.register(f"{name}_df", body)
    selected = ", ".join(f"CAST({q(c)} AS VARCHAR) AS {q(c)}" for c in body.columns[1:])
    con.execute(f"CREATE TEMP TABLE {name} AS SELECT __line, {selected} FROM {name}_df")
    con.unregister(f"{name}_df")
    above = ["; ".join(c for c in r if c) for r in rows[:index]]
    return ReportFile(path, name, header, index + 1, above)


def drop_totals(
    con: duckdb.DuckDBPyConnection,
    report: ReportFile,
    *,
    date: str,
    campaign: str | None,
    unnamed_is_summary: bool = False,
) -> list:
    """Delete the totals and summary lines; return ``(line, text)`` of each, in line order.

    A line is a totals line when the first column or the date column reads "Total: …",
    "Итого", "Total rows: 12" …; when its day is empty and its campaign does, or is empty too;
    when its campaign is empty and ``unnamed_is_summary`` (Ads Manager's summary row: every
    Meta campaign has a name); or when every cell of it is empty.
    """
    pattern = lit(TOTALS_SQL)
    match = " OR ".join(
        f"regexp_matches(coalesce({c}, ''), {pattern})" for c in sorted({"c1", date})
    )
    if campaign:
        named = f"regexp_matches(coalesce({campaign}, ''), {pattern})"
        unnamed = f"nullif(trim({campaign}), '') IS NULL"
        match += f" OR (nullif(trim({date}), '') IS NULL AND ({named} OR {unnamed}))"
        if unnamed_is_summary:
            match += f" OR {unnamed}"
    cells = [f"c{i}" for i in range(1, len(report.header) + 1)]
    empty = " AND ".join(f"nullif(trim({c}), '') IS NULL" for c in cells)
    where = f"({match}) OR ({empty})"
    text = " || '; ' || ".join(f"coalesce({c}, '')" for c in cells)
    found = con.sql(
        f"SELECT __line, regexp_replace({text}, '(; )+$', '') FROM {report.name} "
        f"WHERE {where} ORDER BY __line"
    ).fetchall()
    if found:
        con.execute(f"DELETE FROM {report.name} WHERE {where}")
    return [(int(line), str(t)) for line, t in found]


def no_header_error(
    label: str, vendor: str, seen: list[str], other: str | None, fmt: str
) -> DataError:
    """The error for a file without the platform's header (another platform's, or not a report)."""
    looks = (
        f" It looks like {other}: set `format: {other.split('`')[1]}`."
        if other and "`" in other
        else ""
    )
    return DataError(
        f"{label}: no {vendor} header in its first {HEAD_LINES} lines (found {seen[:8]}).{looks} "
        f"`format: {fmt}` reads the platform's own download (see docs/adapters/ads.md); "
        "export the campaign report again, or map renamed columns with `columns:`.",
        file=label,
    )


def number_layout(con: duckdb.DuckDBPyConnection, sql: str, russian: bool) -> dict[str, str]:
    """``decimal`` and ``thousands`` from the values ("1,234.56" or "1 234,56"), else the header.

    Examples
    --------
    >>> con = duckdb.connect()
    >>> number_layout(con, "SELECT * FROM (VALUES ('1 234,56'), ('12')) t(v)", False)
    {'decimal': ',', 'thousands': ' '}
    >>> number_layout(con, "SELECT * FROM (VALUES ('12')) t(v)", False)
    {'decimal': '.', 'thousands': ','}
    """
    comma, dot, spaced, grouped = con.sql(
        f"SELECT bool_or(regexp_full_match(v, '-?[0-9][0-9 \u00a0\u202f]*,[0-9]{{1,2}}')), "
        f"bool_or(regexp_matches(v, '[0-9]\\.[0-9]+$')), "
        f"bool_or(regexp_matches(v, '[0-9][ \u00a0\u202f][0-9]{{3}}')), "
        f"bool_or(regexp_matches(v, '[0-9],[0-9]{{3}}([^0-9]|$)')) "
        f"FROM ({sql}) WHERE v IS NOT NULL"
    ).fetchall()[0]
    if comma and not dot:
        return {"decimal": ",", "thousands": " "}
    if dot or grouped:
        return {"decimal": ".", "thousands": ","}
    if spaced or russian:
        return {"decimal": ",", "thousands": " "}
    return {"decimal": ".", "thousands": ","}


def date_format(con: duckdb.DuckDBPyConnection, sql: str) -> str | None:
    """The ``timestamp_format`` of the days: None for ISO, else "%d.%m.%Y" or "%m/%d/%Y"."""
    dotted, slashed = con.sql(
        f"SELECT bool_or(regexp_full_match(v, '[0-9]{{1,2}}\\.[0-9]{{1,2}}\\.[0-9]{{4}}')), "
        f"bool_or(regexp_full_match(v, '[0-9]{{1,2}}/[0-9]{{1,2}}/[0-9]{{4}}')) "
        f"FROM ({sql}) WHERE v IS NOT NULL"
    ).fetchall()[0]
    return "%d.%m.%Y" if dotted else "%m/%d/%Y" if slashed else None


def micros_by_value(con: duckdb.DuckDBPyConnection, report: ReportFile, cost: str) -> bool:
    """A Reports API cost column in millionths: whole numbers, all multiples of 10,000, ≥ 1e6."""
    whole, multiples, top, filled = con.sql(
        f"SELECT bool_and(regexp_full_match(trim(v), '[0-9]+')), "
        f"bool_and(TRY_CAST(trim(v) AS HUGEINT) % 10000 = 0), max(TRY_CAST(trim(v) AS HUGEINT)), "
        f"count(v) FROM (SELECT nullif(trim({cost}), '') AS v FROM {report.name}) "
        "WHERE v IS NOT NULL"
    ).fetchall()[0]
    return bool(filled and whole and multiples and top is not None and top >= 1_000_000)
