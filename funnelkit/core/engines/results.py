"""An engine's result as DuckDB would give it: the same pandas types and the same type names.

A chapter written against DuckDB reads decimals as floats, dates as datetimes and missing values
as NaN/NaT; Spark's Arrow results keep ``decimal.Decimal`` and ``datetime.date`` objects.
:func:`like_duckdb` converts them, so the numbers a report prints do not depend on the engine.
"""

from __future__ import annotations

import datetime as dt
import decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["duckdb_type", "like_duckdb"]

_SPARK_NAMES = {
    "string": "VARCHAR", "varchar": "VARCHAR", "char": "VARCHAR", "bigint": "BIGINT",
    "int": "INTEGER", "smallint": "SMALLINT", "tinyint": "TINYINT", "double": "DOUBLE",
    "float": "FLOAT", "boolean": "BOOLEAN", "date": "DATE", "timestamp_ntz": "TIMESTAMP",
    "timestamp": "TIMESTAMP WITH TIME ZONE", "binary": "BLOB", "void": "NULL",
}  # fmt: skip


def duckdb_type(spark_type: str) -> str:
    """DuckDB's name of a Spark type (its ``simpleString``).

    Examples
    --------
    >>> duckdb_type("timestamp_ntz"), duckdb_type("decimal(38,6)"), duckdb_type("array<string>")
    ('TIMESTAMP', 'DECIMAL(38,6)', 'VARCHAR[]')
    """
    text = spark_type.strip().lower()
    if text.startswith("decimal"):
        return text.upper()
    if text.startswith("array<") and text.endswith(">"):
        return f"{duckdb_type(text[6:-1])}[]"
    return _SPARK_NAMES.get(text, text.upper())


def like_duckdb(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with decimal columns as float64 and date columns as ``datetime64[us]``.

    Examples
    --------
    >>> import decimal, datetime, pandas as pd
    >>> out = like_duckdb(pd.DataFrame({"x": [decimal.Decimal("1.5"), None],
    ...                                 "d": [datetime.date(2026, 1, 2), None]}))
    >>> [str(t) for t in out.dtypes]
    ['float64', 'datetime64[us]']
    """
    import pandas as pd

    for column in frame.columns:
        series = frame[column]
        if series.dtype != object:
            continue
        sample = _first(series)
        if isinstance(sample, decimal.Decimal):
            frame[column] = pd.to_numeric(series.astype(object), errors="raise").astype("float64")
        elif isinstance(sample, dt.date) and not isinstance(sample, dt.datetime):
            frame[column] = pd.to_datetime(series).astype("datetime64[us]")
    return frame


def _first(series: Any) -> Any:
    present = series.dropna()
    return present.iloc[0] if len(present) else None
