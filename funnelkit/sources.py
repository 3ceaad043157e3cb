"""Reading client export files in place with DuckDB: format detection and scan expressions.

Files are never loaded into pandas to be inspected: DuckDB scans CSV and Parquet where they lie,
so a 50-million-row export costs a header read here. Excel has no DuckDB reader without an
extension download, so it goes through pandas (Excel files are small by nature: 1M rows max).
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from .errors import ConfigError
from .validate import lit

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["FORMATS", "connect", "detect_format", "file_columns", "scan_sql"]

FORMATS = ("csv", "parquet", "excel")
_SUFFIXES = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".gz": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".xlsx": "excel",
    ".xls": "excel",
}


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


def scan_sql(path: Path, fmt: str, *, delimiter: str | None = None) -> str:
    """A DuckDB table expression reading every column of the file as text (CSV) or as stored.

    CSV columns are read as VARCHAR on purpose: type problems are then found and reported by
    row in SQL, instead of DuckDB's sniffer guessing a type and failing on row 3,000,001.
    """
    if fmt == "parquet":
        return f"read_parquet({lit(str(path))})"
    if fmt == "csv":
        options = "header = true, all_varchar = true"
        if delimiter:
            options += f", delim = {lit(delimiter)}"
        return f"read_csv({lit(str(path))}, {options})"
    raise ValueError(f"scan_sql does not read {fmt!r}; load Excel with pandas")


def read_excel(path: Path, sheet: str | int | None) -> pd.DataFrame:
    """Read an Excel sheet with every column as text, like the CSV scan."""
    import pandas as pd  # only Excel needs it; imported here to keep `import funnelkit` light

    try:
        return pd.read_excel(path, sheet_name=0 if sheet is None else sheet, dtype=str)
    except (ValueError, OSError) as err:
        raise ConfigError(f"{path.name}: cannot read sheet {sheet!r}: {err}") from err


def file_columns(
    path: Path, fmt: str, *, delimiter: str | None = None, sheet: str | int | None = None
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
    if fmt == "excel":
        import pandas as pd

        try:
            header = pd.read_excel(path, sheet_name=0 if sheet is None else sheet, nrows=0)
        except (ValueError, OSError) as err:
            raise ConfigError(f"{path.name}: cannot read sheet {sheet!r}: {err}") from err
        return [str(c) for c in header.columns]
    try:
        with connect() as con:
            rel = con.sql(f"SELECT * FROM {scan_sql(path, fmt, delimiter=delimiter)} LIMIT 0")
            return list(rel.columns)
    except duckdb.Error as err:
        raise ConfigError(
            f"{path.name}: cannot be read as {fmt.upper()} ({str(err).splitlines()[0]}); "
            "check that the file is a complete export, or set `format:`/`delimiter:`."
        ) from err
