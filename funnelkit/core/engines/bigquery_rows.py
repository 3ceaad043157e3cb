r"""Types and rows between pandas, DuckDB's type names and BigQuery's SQL.

A small local table a query on BigQuery joins (orders, spend …) goes into the run's session as
a temporary table, its rows written as ``INSERT … VALUES`` literals (nothing is written to a
dataset, and no load job is needed); a result's BigQuery types are named as DuckDB names them.

Examples
--------
>>> import pandas as pd
>>> frame = pd.DataFrame({"id": ["a", "b'c"], "n": [1, 2],
...                       "at": pd.to_datetime(["2026-01-02 03:04:05", None])})
>>> for statement in create_and_insert("orders", frame):
...     print(statement)
CREATE OR REPLACE TEMP TABLE `orders` (`id` STRING, `n` INT64, `at` DATETIME)
INSERT INTO `orders` VALUES ('a', 1, CAST('2026-01-02 03:04:05' AS DATETIME)), ('b\'c', 2, NULL)
>>> bigquery_type("DATETIME", "NULLABLE"), bigquery_type("INTEGER", "REPEATED")
('TIMESTAMP', 'BIGINT[]')
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["bigquery_type", "create_and_insert", "quoted"]

#: Characters of values per INSERT statement (BigQuery takes statements up to 1 MB; each DML
#: job costs a second or two, so a 70,000-row table is a handful of statements, not hundreds).
CHARACTERS_PER_INSERT = 900_000

_DUCKDB_NAMES = {
    "STRING": "VARCHAR", "INTEGER": "BIGINT", "INT64": "BIGINT", "FLOAT": "DOUBLE",
    "FLOAT64": "DOUBLE", "NUMERIC": "DECIMAL", "BIGNUMERIC": "DECIMAL", "BOOLEAN": "BOOLEAN",
    "BOOL": "BOOLEAN", "DATE": "DATE", "DATETIME": "TIMESTAMP",
    "TIMESTAMP": "TIMESTAMP WITH TIME ZONE", "BYTES": "BLOB", "TIME": "TIME",
}  # fmt: skip


def bigquery_type(field_type: str, mode: str | None = None) -> str:
    """DuckDB's name of a BigQuery column type (``REPEATED`` is a list)."""
    name = _DUCKDB_NAMES.get(field_type.upper(), field_type.upper())
    return f"{name}[]" if (mode or "").upper() == "REPEATED" else name


def quoted(name: str) -> str:
    """A BigQuery identifier in backticks."""
    return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"


def _column_type(column: pd.Series) -> str:
    kind = column.dtype.kind
    if kind == "M":
        return "DATETIME"
    if kind in "iu":
        return "INT64"
    if kind == "f":
        return "FLOAT64"
    if kind == "b":
        return "BOOL"
    present = column.dropna()
    if len(present) and isinstance(present.iloc[0], dt.date):
        return "DATETIME" if isinstance(present.iloc[0], dt.datetime) else "DATE"
    return "STRING"


def _literal(value: Any, kind: str) -> str:
    import pandas as pd

    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return "NULL"
    if kind == "DATETIME":
        return f"CAST('{pd.Timestamp(value).isoformat(sep=' ')}' AS DATETIME)"
    if kind == "DATE":
        return f"DATE '{value.isoformat()}'"
    if kind == "BOOL":
        return "TRUE" if value else "FALSE"
    if kind in ("INT64", "FLOAT64"):
        number = value.item() if hasattr(value, "item") else value
        return repr(float(number)) if kind == "FLOAT64" else str(int(number))
    text = str(value).replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n")
    return f"'{text}'"


def create_and_insert(name: str, frame: pd.DataFrame) -> Iterator[str]:
    """The statements that make ``frame`` the session's temporary table ``name``."""
    kinds = {str(c): _column_type(frame[c]) for c in frame.columns}
    columns = ", ".join(f"{quoted(c)} {kind}" for c, kind in kinds.items())
    yield f"CREATE OR REPLACE TEMP TABLE {quoted(name)} ({columns})"
    values: list[str] = []
    size = 0
    for row in frame.itertuples(index=False, name=None):
        values.append(
            "(" + ", ".join(_literal(v, k) for v, k in zip(row, kinds.values(), strict=True)) + ")"
        )
        size += len(values[-1]) + 2
        if size >= CHARACTERS_PER_INSERT:
            yield f"INSERT INTO {quoted(name)} VALUES {', '.join(values)}"
            values, size = [], 0
    if values:
        yield f"INSERT INTO {quoted(name)} VALUES {', '.join(values)}"
