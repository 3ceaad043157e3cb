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

__all__ = ["clickhouse_type", "duckdb_type", "like_duckdb"]

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


_CLICKHOUSE_NAMES = {
    "String": "VARCHAR", "FixedString": "VARCHAR", "UUID": "VARCHAR", "Int8": "TINYINT",
    "Int16": "SMALLINT", "Int32": "INTEGER", "Int64": "BIGINT", "UInt8": "UTINYINT",
    "UInt16": "USMALLINT", "UInt32": "UINTEGER", "UInt64": "UBIGINT", "Float32": "FLOAT",
    "Float64": "DOUBLE", "Bool": "BOOLEAN", "Date": "DATE", "Date32": "DATE",
    "DateTime": "TIMESTAMP", "Nothing": "NULL",
}  # fmt: skip


def clickhouse_type(name: str) -> str:
    """DuckDB's name of a ClickHouse type (as ``DESCRIBE`` prints it).

    A zoned ``DateTime64`` is a plain ``TIMESTAMP``: the kit's sessions show every DateTime in
    UTC, and an engine-held table's instants are first read in the client's time zone
    (:meth:`~funnelkit.core.engines.clickhouse.ClickHouseEngine.instant_columns`).

    Examples
    --------
    >>> clickhouse_type("Nullable(DateTime64(6, 'UTC'))"), clickhouse_type("LowCardinality(String)")
    ('TIMESTAMP', 'VARCHAR')
    >>> clickhouse_type("Array(Nullable(Int64))"), clickhouse_type("Decimal(18, 2)")
    ('BIGINT[]', 'DECIMAL(18,2)')
    """
    text = name.strip()
    for wrapper in ("Nullable(", "LowCardinality("):
        if text.startswith(wrapper) and text.endswith(")"):
            return clickhouse_type(text[len(wrapper) : -1])
    if text.startswith("Array(") and text.endswith(")"):
        return f"{clickhouse_type(text[6:-1])}[]"
    if text.startswith("Decimal"):
        return "DECIMAL" + text[len("Decimal") :].replace(" ", "")
    base = text.split("(", 1)[0]
    if base == "DateTime64":
        return "TIMESTAMP"
    return _CLICKHOUSE_NAMES.get(base, text.upper())


def like_duckdb(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with DuckDB's pandas types for the same SQL types.

    Decimals are float64; dates and timestamps are naive ``datetime64[us]`` (a zoned one read
    as UTC).

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
        if series.dtype.kind == "M":
            if getattr(series.dtype, "tz", None) is not None:
                series = series.dt.tz_convert("UTC").dt.tz_localize(None)
            frame[column] = series.astype("datetime64[us]")
            continue
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
