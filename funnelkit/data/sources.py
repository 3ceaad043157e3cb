"""Reading client export files in place with DuckDB: format detection and the raw scan.

Files are never loaded into pandas to be inspected: DuckDB scans CSV and Parquet where they lie,
so a 50-million-row export costs a header read here. Excel has no DuckDB reader without an
extension download, so it goes through pandas (Excel files are small by nature: 1M rows max);
an "Excel" export that is an HTML table (Bitrix24's) through :mod:`.html_tables`.

The raw scan of a table is a TEMP table (text formats, every column as text) or a TEMP view
(Parquet) with a ``__row`` column numbering the data rows from 1; the loader validates it in SQL
and then writes the canonical table from it.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from ..core.errors import ConfigError, DataError, did_you_mean, format_rows
from ..core.sql import lit, q
from .html_tables import is_html, read_html_table
from .textfiles import TextFile, check_not_empty, inspect_text
from .validate import Problem

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "FORMATS",
    "RawScan",
    "connect",
    "create_raw",
    "detect_format",
    "file_columns",
    "read_error",
]

FORMATS = ("csv", "parquet", "excel")
_SUFFIXES = {".csv": "csv", ".tsv": "csv", ".txt": "csv", ".gz": "csv", ".parquet": "parquet",
             ".pq": "parquet", ".xlsx": "excel", ".xls": "excel"}  # fmt: skip
#: A totals line at the end of a spreadsheet export, in its leftmost filled cell.
_TOTALS_RE = re.compile(
    r"(grand\s+)?totals?|total\s+general|sum|summe|gesamt(summe)?|итого|итог|всего|сумма",
    re.IGNORECASE,
)
_TAIL_ROWS = 3


def connect() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection that prints no progress bar into logs or notebooks."""
    con = duckdb.connect()
    # Inside Jupyter, DuckDB refuses to touch this setting without ipywidgets; there it shows no
    # bar anyway, so a refusal is fine.
    with contextlib.suppress(duckdb.Error):
        con.execute("SET enable_progress_bar = false")
    return con


def detect_format(path: Path, declared: str | None = None, *, key: str = "path") -> str:
    """Return ``"csv"``, ``"parquet"`` or ``"excel"`` for a file, from ``declared`` or its suffix.

    Examples
    --------
    >>> detect_format(Path("events.parquet"))
    'parquet'
    """
    if declared is not None:
        return declared
    suffix = path.suffix.lower()
    if suffix in _SUFFIXES:
        return _SUFFIXES[suffix]
    raise ConfigError(
        f"{key}: cannot tell the format of '{path.name}' from its extension '{suffix}'; "
        f"use .csv, .parquet or .xlsx, or set `format:` to one of {list(FORMATS)}."
    )


def _csv_sql(text: TextFile, *, rejects: str | None = None) -> str:
    """A DuckDB ``read_csv`` reading every column as text (types are checked later, by row).

    Without ``rejects`` (a header read), rows DuckDB cannot split are skipped; with it, they are
    set aside in that TEMP table with their line numbers, to be reported.
    """
    options = f"header = true, all_varchar = true, encoding = {lit(text.encoding)}"
    if text.delimiter:
        options += f", delim = {lit(text.delimiter)}"
    if rejects:
        options += f", store_rejects = true, rejects_table = {lit(rejects)}"
        options += f", rejects_scan = {lit(rejects + '_scan')}"
    else:
        options += ", ignore_errors = true"
    return f"read_csv({lit(str(text.path))}, {options})"


def _lines_sql(text: TextFile) -> str:
    """Every line of a text file as one column ``line`` (for whitespace-separated files)."""
    return (
        f"read_csv({lit(str(text.path))}, columns = {{'line': 'VARCHAR'}}, header = false, "
        f"delim = '\x1f', quote = '', escape = '', auto_detect = false, "
        f"encoding = {lit(text.encoding)})"
    )


def read_error(label: str, fmt: str, err: Exception, key: str) -> DataError:
    """The error for a file DuckDB or pandas could not read: damaged, cut short, or not ``fmt``."""
    first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    name = {"csv": "CSV", "parquet": "Parquet", "excel": "an Excel workbook"}.get(fmt, fmt)
    return DataError(
        f"{label}: cannot be read as {name} ({first}); the file is damaged or incomplete "
        f"(export it again), or is not {name} (set `{key}.format`).",
        file=label,
    )


def _read_sheet(
    path: Path, sheet: str | int | None, key: str, *, nrows: int | None = None
) -> tuple[pd.DataFrame, str, list[str]]:
    """One sheet of a workbook, every column as text; its name; every sheet's name.

    A ``sheet`` the workbook does not have is a :class:`ConfigError` listing the sheets present.
    """
    import pandas as pd  # only Excel needs it; imported here to keep `import funnelkit` light

    if is_html(path):  # an "Excel" export that is an HTML table (Bitrix24 and others)
        return read_html_table(path, key=key, nrows=nrows), "HTML table", ["HTML table"]
    try:
        book = pd.ExcelFile(path)
    except Exception as err:  # openpyxl and zipfile raise many kinds; all mean "unreadable"
        raise read_error(path.name, "excel", err, key) from err
    with book:
        names = [str(n) for n in book.sheet_names]
        if sheet is None:
            name = names[0]
        elif isinstance(sheet, int) and 0 <= sheet < len(names):
            name = names[sheet]
        elif str(sheet) in names:
            name = str(sheet)
        else:
            hint = did_you_mean(str(sheet), names, sentence=False)
            raise ConfigError(
                f"{path.name}: has no sheet {sheet!r} (`{key}.sheet`); its sheets are "
                f"{names}{hint} Set `sheet` to a name from that list (or a position counted "
                "from 0)."
            )
        try:
            frame = pd.read_excel(book, sheet_name=name, dtype=str, nrows=nrows)
        except Exception as err:
            raise read_error(path.name, "excel", err, key) from err
    return frame, name, names


def file_columns(
    path: Path,
    fmt: str,
    *,
    delimiter: str | None = None,
    sheet: str | int | None = None,
    encoding: str | None = None,
    key: str = "data",
) -> list[str]:
    r"""The column names of a data file, reading as little of it as possible.

    Examples
    --------
    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = Path(d) / "x.csv"
    ...     _ = p.write_text("a,b\n1,2\n")
    ...     file_columns(p, "csv")
    ['a', 'b']
    """
    check_not_empty(path, key=key)
    if fmt == "excel":
        return [str(c) for c in _read_sheet(path, sheet, key, nrows=0)[0].columns]
    try:
        if fmt == "csv":
            text = inspect_text(path, encoding=encoding, delimiter=delimiter, key=key)
            if text.whitespace:
                return list(text.header)
            scan = _csv_sql(text)
        else:
            scan = f"read_parquet({lit(str(path))})"
        with connect() as con:
            return list(con.sql(f"SELECT * FROM {scan} LIMIT 0").columns)
    except duckdb.Error as err:
        raise read_error(path.name, fmt, err, key) from err


@dataclass
class RawScan:
    """What :func:`create_raw` made: how rows map to lines, and what it noticed."""

    line_offset: int  #: add to ``__row`` to get the line a spreadsheet or editor shows
    unit: str  #: "line" (text, Excel: the header is line 1) or "row" (Parquet)
    problems: list[Problem] = field(default_factory=list)
    #: Footer lines (``skip_footer``) that DuckDB could not split, so never entered the scan.
    set_aside: list[tuple[int, str]] = field(default_factory=list)
    relation: str = ""  #: "view" or "table" when an adapter made the scan
    #: An adapter's value layout (``decimal``, ``timestamp_format`` … as in ``TableSource``).
    layout: dict[str, Any] = field(default_factory=dict)
    label: str = ""  #: what problems call an adapter's export (default: the file name)


def create_raw(
    con: duckdb.DuckDBPyConnection, raw: str, path: Path, fmt: str, source: Any, *, table: str
) -> RawScan:
    """Create the raw scan ``raw`` of one export (a TEMP table or view), ready to be checked.

    ``source`` is the table's ``TableSource``. Problems of the file as a whole come back in
    :attr:`RawScan.problems`: rows with the wrong number of fields (error, with their lines), a
    totals line at the end (error, unless ``skip_footer`` drops it: then a warning), which sheet
    of a workbook was read (warning).
    """
    key, label = f"data.{table}", path.name
    check_not_empty(path, key=key)
    try:
        if fmt == "parquet":
            con.execute(
                f"CREATE TEMP VIEW {raw} AS SELECT file_row_number + 1 AS __row, * "
                f"FROM read_parquet({lit(str(path))}, file_row_number = true)"
            )
            return RawScan(0, "row")
        if fmt == "excel":
            scan = _excel_raw(con, raw, path, source, key, table)
        else:
            scan = _text_raw(con, raw, path, source, key, table)
    except duckdb.Error as err:
        raise read_error(label, fmt, err, key) from err
    if not any(p.severity == "error" for p in scan.problems):
        scan.problems += _footer(con, raw, label, source.skip_footer, key, table, scan.set_aside)
    return scan


def _excel_raw(
    con: duckdb.DuckDBPyConnection, raw: str, path: Path, source: Any, key: str, table: str
) -> RawScan:
    frame, name, names = _read_sheet(path, source.sheet, key)
    con.register(f"{raw}_df", frame)
    con.execute(f"CREATE TEMP TABLE {raw} AS SELECT row_number() OVER () AS __row, * FROM {raw}_df")
    con.unregister(f"{raw}_df")
    problems = []
    if len(names) > 1:
        chosen = "as `sheet` says" if source.sheet is not None else "the first one"
        message = (
            f"{path.name}: the workbook has {len(names)} sheets ({', '.join(names)}); read "
            f"{name!r}, {chosen}. Set `{key}.sheet` to read another one."
        )
        problems.append(Problem(table, path.name, "", "sheet_read", "warning", 0, message=message))
    return RawScan(1, "line", problems)


def _text_raw(
    con: duckdb.DuckDBPyConnection, raw: str, path: Path, source: Any, key: str, table: str
) -> RawScan:
    text = inspect_text(path, encoding=source.encoding, delimiter=source.delimiter, key=key)
    if text.whitespace:
        names = text.header
        fields = r"regexp_split_to_array(regexp_replace(line, '^\s+|\s+$', '', 'g'), '\s+')"
        columns = ", ".join(f"f[{i}] AS {q(n)}" for i, n in enumerate(names, start=1))
        con.execute(
            f"CREATE TEMP TABLE {raw} AS SELECT __line - 1 AS __row, {columns}, len(f) AS __n "
            f"FROM (SELECT row_number() OVER () AS __line, {fields} AS f FROM {_lines_sql(text)}) "
            f"WHERE __line > 1 AND f <> ['']"
        )
        footer = _tail_rows(con, raw, source.skip_footer)  # may have any number of fields
        below = f"AND __row < {min(footer)}" if footer else ""
        bad = con.sql(
            f"SELECT __row + 1, __n FROM {raw} WHERE __n <> {len(names)} {below} ORDER BY __row"
        ).fetchall()
        con.execute(f"ALTER TABLE {raw} DROP COLUMN __n")
        shown = dict(  # the text of the first bad lines, read again (only when there are some)
            con.sql(
                f"SELECT n, line FROM (SELECT row_number() OVER () AS n, line "
                f"FROM {_lines_sql(text)}) WHERE n IN ({', '.join(str(b[0]) for b in bad[:3])})"
            ).fetchall()
            if bad
            else ()
        )
        found = [(int(line), f"{n} fields", str(shown.get(line, ""))) for line, n in bad]
        return RawScan(1, "line", _ragged(found, path.name, len(names), "white space", key, table))
    rejects = f"{raw}_rejects"
    con.execute(
        f"CREATE TEMP TABLE {raw} AS SELECT row_number() OVER () AS __row, * "
        f"FROM {_csv_sql(text, rejects=rejects)}"
    )
    bad = con.sql(  # one row per line (a line missing two fields is reported twice)
        f"SELECT line, min(error_type), min(csv_line) FROM {rejects} GROUP BY line ORDER BY line"
    ).fetchall()
    con.execute(f"DROP TABLE {rejects}; DROP TABLE {rejects}_scan")
    width = len(con.table(raw).columns) - 1
    found = [(int(line), kind.lower(), str(line_text)) for line, kind, line_text in bad]
    set_aside = []
    if source.skip_footer and found:  # footer lines need not have the header's fields
        footer = {r + 1 for r in _tail_rows(con, raw, source.skip_footer)}
        footer = set(sorted(footer | {line for line, _, _ in found})[-source.skip_footer :])
        set_aside = [(line, line_text) for line, _, line_text in found if line in footer]
        found = [f for f in found if f[0] not in footer]
    problems = _ragged(found, path.name, width, repr(text.delimiter), key, table)
    return RawScan(1, "line", problems, set_aside)


def _tail_rows(con: duckdb.DuckDBPyConnection, raw: str, count: int) -> list[int]:
    """The ``__row`` of the last ``count`` rows of the raw scan (reads only the tail)."""
    if not count:
        return []
    return [
        int(r[0])
        for r in con.sql(f"SELECT __row FROM {raw} ORDER BY __row DESC LIMIT {count}").fetchall()
    ]


def _ragged(
    found: list[tuple[int, str, str]], label: str, width: int, delimiter: str, key: str, table: str
) -> list[Problem]:
    """One error for the rows DuckDB could not split into the header's fields."""
    if not found:
        return []
    lines = [line for line, _, _ in found]
    kinds = "; ".join(f"line {line}: {kind}" for line, kind, _ in found[:3])
    shown = ", ".join(repr(text[:60]) for _, _, text in found[:3])
    encoding = any("encoding" in kind or "unicode" in kind for _, kind, _ in found)
    fix = (
        "the file is not valid UTF-8 after its first megabyte (where the encoding is "
        f"checked): set `{key}.encoding` to its real encoding (e.g. cp1251 or latin-1)"
        if encoding
        else "a value probably contains a space (values cannot be quoted in a whitespace-"
        "separated file), or the export was cut; export the file with a delimiter such as ';'"
        if delimiter == "white space"
        else f"a value probably contains the delimiter ({delimiter}) without quotes, or the "
        f"export was cut; fix the export (quote such values), or set `{key}.delimiter` if "
        f"{delimiter} is not the delimiter"
    )
    message = (
        f"{label}: {format_rows(lines, len(lines))} cannot be split into the header's {width} "
        f"fields ({kinds}); {fix}. Lines seen: {shown}"
    )
    return [Problem(table, label, "", "ragged", "error", len(lines), lines[:5], [], message)]


def _footer(
    con: duckdb.DuckDBPyConnection,
    raw: str,
    label: str,
    skip: int,
    key: str,
    table: str,
    set_aside: list[tuple[int, str]],
) -> list[Problem]:
    """Drop the declared footer lines (a warning says which), then look for a totals line.

    Rows are found by ``__row`` order (blank lines leave gaps in it), reading only the tail.
    ``set_aside`` are footer lines DuckDB could not split and so never entered the scan.
    """
    columns = [c for c in con.table(raw).columns if c != "__row"]
    problems = []
    if skip:
        total = int(con.sql(f"SELECT count(*) FROM {raw}").fetchall()[0][0]) + len(set_aside)
        if skip > total:
            raise ConfigError(
                f"{label}: `{key}.skip_footer` is {skip}, but the file has only {total} data "
                "rows; set it to the number of summary lines at the end of the export."
            )
        rows = skip - len(set_aside)
        gone = con.sql(f"SELECT * FROM {raw} ORDER BY __row DESC LIMIT {rows}").fetchall()
        lines = [(int(r[0]) + 1, ", ".join(str(v) for v in r[1:] if v is not None)) for r in gone]
        lines = sorted(lines + set_aside)
        if gone:
            con.execute(f"DELETE FROM {raw} WHERE __row >= {min(int(r[0]) for r in gone)}")
        message = (
            f"{label}: skipped the last {skip} line(s) (from line {lines[0][0]}), as "
            f"`{key}.skip_footer` says: {'; '.join(text for _, text in lines)}"
        )
        problems.append(
            Problem(table, label, "", "skipped_footer", "warning", skip, [], [], message)
        )
    tail = con.sql(f"SELECT * FROM {raw} ORDER BY __row DESC LIMIT {_TAIL_ROWS}").fetchall()
    for below, row in enumerate(tail):  # from the last row up
        filled = [(c, str(v).strip()) for c, v in zip(columns, row[1:], strict=True) if v]
        filled = [(c, v) for c, v in filled if v]
        if filled and _TOTALS_RE.fullmatch(filled[0][1].rstrip(":")):
            column, value = filled[0]
            line, count = int(row[0]) + 1, below + 1 + skip
            message = (
                f"{label}: line {line} looks like a totals line ({value!r} in column "
                f"'{column}'), not data. Remove it from the export, or set "
                f"`{key}.skip_footer: {count}` in client.yaml to skip the last {count} line(s)."
            )
            problems.append(
                Problem(table, label, column, "totals_row", "error", 1, [line], [value], message)
            )
            break
    return problems
