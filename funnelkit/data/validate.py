"""Type and rule checks for one canonical table, written as DuckDB SQL over the raw file.

Each check is one boolean SQL expression per row ("this row breaks the rule"); all of a table's
checks are counted in a single scan, and only failing checks are re-queried for example lines.
Nothing is dropped or repaired: a failing error check stops the load with a message naming the
file, the column, how many rows and which lines, and the fix.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb

from ..core.errors import format_rows
from ..core.sql import flag_sql, is_missing, lit, null_tokens, q, text_value, trimmed
from . import hints
from .formats import INTEGER_LIMIT, MONEY_LIMIT, Layout, epoch_sql, number_sql
from .tables import ColumnSpec

__all__ = [
    "Check",
    "Layout",
    "Problem",
    "column_checks",
    "column_values",
    "lit",
    "parse_expression",
    "q",
    "run_checks",
]

# A time followed by a UTC offset: "…10:00:00+03:00", "…10:00Z", "…10:00:00.123 +0300".
_OFFSET_RE = r"[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?\s*(Z|[+-][0-9]{2}(:?[0-9]{2})?)\s*$"
_NUMERIC_TYPES = (
    "DOUBLE",
    "FLOAT",
    "DECIMAL",
    "INT",
    "BIGINT",
    "HUGEINT",
    "SMALLINT",
    "TINYINT",
    "UBIGINT",
    "UINTEGER",
    "USMALLINT",
    "UTINYINT",
    "UHUGEINT",
)

#: ``hint(con, raw_view, failing_sql)`` -> advice naming the client.yaml key that fits, or None.
Hint = Callable[[duckdb.DuckDBPyConnection, str, str], "str | None"]


@dataclass
class Check:
    """One rule: ``failing`` is a SQL predicate true for rows that break it."""

    column: str
    name: str
    failing: str
    severity: str  # "error" stops the load; "warning" is shown in the data-health report
    advice: str
    #: An aggregate over the raw scan; when it is 0 the check cannot fail and is skipped.
    precondition: str | None = None
    #: Looks at the failing values and returns a more precise advice (e.g. the key to set).
    hint: Hint | None = None


@dataclass
class Problem:
    """A check that failed, with its count and example file lines."""

    table: str
    file: str
    column: str
    check: str
    severity: str
    rows: int
    example_lines: list[int] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)
    message: str = ""


def parse_expression(source: str, raw_type: str, spec: ColumnSpec, layout: Layout) -> str:
    """SQL turning the raw column into its canonical type, NULL where it cannot be parsed.

    Ids and texts are trimmed, and spellings of "no value" (``NULL``, ``nan``, ``N/A`` …) become
    NULL. Numbers follow the layout's separators. Timestamps end up as naive wall-clock times in
    the client's time zone: values carrying a UTC offset, and Unix times, are converted to that
    zone; values without an offset are taken to be in it already. (DuckDB's casts ignore
    surrounding spaces and read the spellings of "no value" as NULL, so the hot paths need no
    trimming.)
    """
    col = q(source)
    raw_type = raw_type.upper()
    numeric = raw_type.startswith(_NUMERIC_TYPES)
    text = f"CAST({col} AS VARCHAR)"
    if spec.kind in ("id", "text"):  # a typed cell (Parquet int64 ids) has no spaces to trim
        return text_value(col, spec.kind) if raw_type == "VARCHAR" else text
    if spec.kind == "flag":
        if raw_type == "BOOLEAN":
            return col
        if numeric:
            return f"CASE WHEN {col} = 1 THEN TRUE WHEN {col} = 0 THEN FALSE END"
        return flag_sql(col)
    if spec.kind in ("number", "integer"):
        if numeric:
            return f"CAST({col} AS DOUBLE)"
        if layout.plain_numbers:
            return f"TRY_CAST({text} AS DOUBLE)"
        return number_sql(trimmed(col), layout)
    native = raw_type.startswith("TIMESTAMP") or raw_type == "DATE"
    if layout.timestamp_unit and not native:
        number = f"CAST({col} AS DOUBLE)" if numeric else f"TRY_CAST({text} AS DOUBLE)"
        stamp = epoch_sql(number, layout)
        return f"CAST({stamp} AS DATE)" if spec.kind == "date" else stamp
    fmt = layout.timestamp_format
    if spec.kind == "date":
        if native:
            return f"CAST({col} AS DATE)"
        if fmt:
            return (
                f"coalesce(TRY_CAST({text} AS DATE), "
                f"CAST(try_strptime({trimmed(col)}, {lit(fmt)}) AS DATE))"
            )
        return f"TRY_CAST({text} AS DATE)"
    # timestamps
    if raw_type.startswith("TIMESTAMP WITH TIME ZONE") or raw_type == "TIMESTAMPTZ":
        return f"timezone({lit(layout.timezone)}, {col})"
    if native:
        return f"CAST({col} AS TIMESTAMP)"
    if fmt:
        return f"try_strptime({trimmed(col)}, {lit(fmt)})"
    has_offset = f"regexp_matches({text}, {lit(_OFFSET_RE)})"
    return (
        f"CASE WHEN {has_offset} THEN timezone({lit(layout.timezone)}, "
        f"TRY_CAST({text} AS TIMESTAMPTZ)) ELSE TRY_CAST({text} AS TIMESTAMP) END"
    )


def offset_expression(source: str) -> str:
    """SQL extracting the UTC offset text of a raw timestamp ('' where there is none)."""
    return f"regexp_extract(CAST({q(source)} AS VARCHAR), {lit(_OFFSET_RE)}, 3)"


def _missing_alias(source: str) -> str:
    return q(f"__missing {source}")


def _value_alias(source: str) -> str:
    return q(f"__value {source}")


def column_values(source: str, raw_type: str, spec: ColumnSpec, layout: Layout) -> dict[str, str]:
    """Per-row SQL shared by a column's checks: whether the cell is missing, and its value.

    :func:`run_checks` computes these once per row, and the checks refer to them by name.
    """
    typed = raw_type.upper() != "VARCHAR"  # a typed Parquet/Excel cell cannot spell "null"
    missing = f"({q(source)} IS NULL)" if typed else is_missing(q(source), null_tokens(spec.kind))
    values = {_missing_alias(source): missing}
    if spec.kind not in ("id", "text"):  # text needs no parsing: no check reads its value
        values[_value_alias(source)] = parse_expression(source, raw_type, spec, layout)
    return values


def _unparsable_advice(spec: ColumnSpec, layout: Layout) -> str:
    if spec.kind == "flag":
        return (
            "could not be read as yes/no (1/0, true/false, yes/no, да/нет; an empty cell is "
            "no); fix the export"
        )
    if spec.kind in ("number", "integer"):
        word = "numbers" if spec.kind == "number" else "whole numbers"
        written = (
            f"decimal {layout.decimal!r}, thousands {layout.thousands!r}, currency signs "
            f"{'allowed' if layout.currency_signs else 'not allowed'}"
        )
        return (
            f"could not be read as {word} ({written}); fix the export, or describe how it "
            f"writes numbers with `{layout.key}.decimal`, `.thousands` or `.currency_signs`"
        )
    word = "timestamps" if spec.kind == "timestamp" else "dates"
    if layout.timestamp_unit:
        how = f" as Unix times in {layout.timestamp_unit!r} (`{layout.key}.timestamp_unit`)"
    elif layout.timestamp_format:
        how = f" with format {layout.timestamp_format!r}"
    else:
        how = " (ISO 8601, e.g. 2026-09-30 14:05:00)"
    return (
        f"could not be read as {word}{how}; fix the export or set `timestamp_format` "
        f"(or `timestamp_unit` for Unix times) under `{layout.key}` in client.yaml"
    )


def column_checks(source: str, raw_type: str, spec: ColumnSpec, layout: Layout) -> list[Check]:
    """The checks of one column, as SQL predicates over the raw scan."""
    col = q(source)
    parsed, missing = _value_alias(source), _missing_alias(source)
    tokens = null_tokens(spec.kind)
    blank = f"({col} IS NULL OR {is_missing(col, ())})"
    checks: list[Check] = []
    if spec.required:
        checks.append(
            Check(
                spec.name,
                "missing",
                missing,
                "error",
                "fill the empty cells in the export, or remove those rows at the source",
            )
        )
    elif raw_type.upper() == "VARCHAR":
        checks.append(
            Check(
                spec.name,
                "null_like",
                f"NOT {blank} AND {missing}",
                "warning",
                f"hold a spelling of a missing value ({', '.join(repr(t) for t in tokens if t)}, "
                "in any case); they are read as missing and counted in the data-health chapter's "
                "missing values",
            )
        )
    finite = f"isfinite({parsed})"
    if spec.kind != "id" and spec.kind != "text":
        checks.append(
            Check(
                spec.name,
                "unparsable",
                f"NOT {missing} AND ({parsed}) IS NULL",
                "error",
                _unparsable_advice(spec, layout),
                hint=hints.for_column(source, spec.kind, layout),
            )
        )
    if spec.kind in ("number", "integer"):
        limit = MONEY_LIMIT if spec.kind == "number" else INTEGER_LIMIT
        limit_text = "1e15" if spec.kind == "number" else "2^63"
        checks += [
            Check(
                spec.name,
                "non_finite",
                f"NOT {finite}",
                "error",
                "are not finite numbers ('inf', 'nan', or beyond ±1.8e308 such as '1e309'); "
                "fix the export (leave a cell empty where the value is unknown)",
            ),
            Check(
                spec.name,
                "too_large",
                f"{finite} AND abs({parsed}) >= {limit:.0f}",
                "error",
                f"are {limit_text} or more in absolute value, which no "
                + ("amount" if spec.kind == "number" else "count (a 64-bit integer)")
                + " can be; they are probably ids or codes in the wrong column, or a unit "
                "error: fix the export",
            ),
        ]
    if spec.kind == "integer":
        checks.append(
            Check(
                spec.name,
                "not_integer",
                f"{finite} AND ({parsed}) <> round({parsed})",
                "error",
                "must be whole numbers; fix the export",
            )
        )
    if spec.minimum is not None:
        checks.append(
            Check(
                spec.name,
                "below_minimum",
                f"{finite} AND ({parsed}) < {spec.minimum}",
                "error",
                f"are below {spec.minimum:g}, which is impossible for "
                f"{spec.name}; fix or remove them in the export (refunds belong "
                "in a separate file)",
            )
        )
    if spec.maximum is not None:
        checks.append(
            Check(
                spec.name,
                "above_maximum",
                f"{finite} AND ({parsed}) > {spec.maximum}",
                "error",
                f"are above {spec.maximum:g}; {spec.name} must lie between "
                f"{spec.minimum:g} and {spec.maximum:g}; fix the export",
            )
        )
    naive_text = raw_type == "VARCHAR" and not layout.timestamp_format
    if spec.kind == "timestamp" and naive_text and not layout.timestamp_unit:
        checks.append(
            Check(
                spec.name,
                "mixed_timezones",
                f"NOT {missing} AND {offset_expression(source)} = ''",
                "error",
                "have no UTC offset while other rows of the same column do, so their "
                "time zone is ambiguous; export every timestamp with an offset, or "
                "every one without (then client.yaml's `timezone` applies)",
                precondition=f"count_if({offset_expression(source)} <> '')",
            )
        )
    return checks


def run_checks(
    con: duckdb.DuckDBPyConnection,
    raw_view: str,
    checks: list[Check],
    *,
    table: str,
    file_label: str,
    column_sources: dict[str, str],
    line_offset: int,
    unit: str = "line",
    examples: int = 5,
    values: dict[str, str] | None = None,
) -> list[Problem]:
    """Count every check in one scan, then fetch example lines for those that fail.

    ``values`` (alias -> SQL, from :func:`column_values`) are computed once per row in that
    scan; the checks refer to them by alias.
    """
    if not checks:
        return []
    if values:
        computed = ", ".join(f"{sql} AS {alias}" for alias, sql in values.items())
        raw_view = f"(SELECT *, {computed} FROM {raw_view}) AS checked"
    # A check with a precondition (e.g. "some rows carry a UTC offset") only counts when it holds.
    counts_sql = ", ".join(
        f"CASE WHEN {c.precondition} > 0 THEN count_if({c.failing}) ELSE 0 END"
        if c.precondition
        else f"count_if({c.failing})"
        for c in checks
    )
    counts = con.sql(f"SELECT {counts_sql} FROM {raw_view}").fetchall()[0]
    problems = []
    for check, count in zip(checks, counts, strict=True):
        if not count:
            continue
        src = column_sources[check.column]
        rows = con.sql(
            f"SELECT __row + {line_offset}, CAST({q(src)} AS VARCHAR) FROM {raw_view} "
            f"WHERE {check.failing} ORDER BY __row LIMIT {examples}"
        ).fetchall()
        lines = [int(r[0]) for r in rows]
        values = [r[1] for r in rows]
        where = format_rows(lines, int(count), unit=unit)
        shown = ", ".join(repr(v) for v in values[:3])
        column_label = (
            f"'{src}'" if src == check.column else f"'{src}' (canonical `{check.column}`)"
        )
        advice = (check.hint and check.hint(con, raw_view, check.failing)) or check.advice
        if check.name == "missing":
            message = (
                f"{file_label}: {where} have no value in required column {column_label}; {advice}"
            )
            if any(v is not None and v.strip() for v in values):
                message += f". Values seen: {shown} (spellings of a missing value)"
        else:
            message = f"{file_label}: {where} in column {column_label} {advice}. "
            message += f"Values seen: {shown}"
        problems.append(
            Problem(
                table,
                file_label,
                check.column,
                check.name,
                check.severity,
                int(count),
                lines,
                [str(v) for v in values],
                message,
            )
        )
    return problems
