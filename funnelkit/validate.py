"""Type and rule checks for one canonical table, written as DuckDB SQL over the raw file.

Each check is one boolean SQL expression per row ("this row breaks the rule"); all of a table's
checks are counted in a single scan, and only failing checks are re-queried for example lines.
Nothing is dropped or repaired: a failing error check stops the load with a message naming the
file, the column, how many rows and which lines, and the fix.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from .errors import format_rows
from .tables import ColumnSpec

__all__ = ["Check", "Problem", "column_checks", "parse_expression", "run_checks"]

# A time followed by a UTC offset: "…10:00:00+03:00", "…10:00Z", "…10:00:00.123 +0300".
_OFFSET_RE = r"[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?\s*(Z|[+-][0-9]{2}(:?[0-9]{2})?)$"


def q(name: str) -> str:
    """Quote an identifier for DuckDB."""
    return '"' + name.replace('"', '""') + '"'


def lit(text: str) -> str:
    """Quote a string literal for DuckDB."""
    return "'" + text.replace("'", "''") + "'"


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


def _present(expr: str) -> str:
    return f"({expr} IS NOT NULL AND trim(CAST({expr} AS VARCHAR)) <> '')"


def parse_expression(
    source: str, raw_type: str, spec: ColumnSpec, *, timezone: str, timestamp_format: str | None
) -> str:
    """SQL turning the raw column into its canonical type, NULL where it cannot be parsed.

    Timestamps end up as naive wall-clock times in the client's time zone: values carrying a UTC
    offset are converted to that zone; values without one are taken to be in it already.
    """
    col = q(source)
    raw_type = raw_type.upper()
    text = f"NULLIF(trim(CAST({col} AS VARCHAR)), '')"
    if spec.kind in ("id", "text"):
        return text
    if spec.kind in ("number", "integer"):
        if raw_type.startswith(
            (
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
            )
        ):
            return f"CAST({col} AS DOUBLE)"
        return f"TRY_CAST({text} AS DOUBLE)"
    if spec.kind == "date":
        if raw_type in ("DATE",) or raw_type.startswith("TIMESTAMP"):
            return f"CAST({col} AS DATE)"
        if timestamp_format:
            return (
                f"coalesce(TRY_CAST({text} AS DATE), "
                f"CAST(try_strptime({text}, {lit(timestamp_format)}) AS DATE))"
            )
        return f"TRY_CAST({text} AS DATE)"
    # timestamps
    if raw_type.startswith("TIMESTAMP WITH TIME ZONE") or raw_type == "TIMESTAMPTZ":
        return f"timezone({lit(timezone)}, {col})"
    if raw_type.startswith("TIMESTAMP") or raw_type == "DATE":
        return f"CAST({col} AS TIMESTAMP)"
    if timestamp_format:
        return f"try_strptime({text}, {lit(timestamp_format)})"
    has_offset = f"regexp_matches({text}, {lit(_OFFSET_RE)})"
    return (
        f"CASE WHEN {has_offset} THEN timezone({lit(timezone)}, TRY_CAST({text} AS TIMESTAMPTZ)) "
        f"ELSE TRY_CAST({text} AS TIMESTAMP) END"
    )


def offset_expression(source: str) -> str:
    """SQL extracting the UTC offset text of a raw timestamp ('' where there is none)."""
    text = f"trim(CAST({q(source)} AS VARCHAR))"
    return f"regexp_extract({text}, {lit(_OFFSET_RE)}, 3)"


def column_checks(
    source: str, raw_type: str, spec: ColumnSpec, *, timezone: str, timestamp_format: str | None
) -> list[Check]:
    """The checks of one column, as SQL predicates over the raw scan."""
    col = q(source)
    parsed = parse_expression(
        source, raw_type, spec, timezone=timezone, timestamp_format=timestamp_format
    )
    checks: list[Check] = []
    if spec.required:
        checks.append(
            Check(
                spec.name,
                "missing",
                f"NOT {_present(col)}",
                "error",
                "fill the empty cells in the export, or remove those rows at the source",
            )
        )
    kind_word = {
        "timestamp": "timestamps",
        "date": "dates",
        "number": "numbers",
        "integer": "whole numbers",
    }.get(spec.kind)
    if kind_word:
        fmt_hint = (
            f" with format {timestamp_format!r}"
            if timestamp_format
            else " (ISO 8601, e.g. 2026-09-30 14:05:00)"
        )
        fix = (
            "fix the export or set `timestamp_format` for this table in client.yaml"
            if spec.kind in ("timestamp", "date")
            else "fix the export (use '.' as the "
            "decimal separator and no thousands separators or currency signs)"
        )
        checks.append(
            Check(
                spec.name,
                "unparsable",
                f"{_present(col)} AND ({parsed}) IS NULL",
                "error",
                f"could not be read as {kind_word}"
                f"{fmt_hint if spec.kind in ('timestamp', 'date') else ''}; {fix}",
            )
        )
    if spec.kind == "integer":
        checks.append(
            Check(
                spec.name,
                "not_integer",
                f"({parsed}) IS NOT NULL AND ({parsed}) <> round({parsed})",
                "error",
                "must be whole numbers; fix the export",
            )
        )
    if spec.minimum is not None:
        checks.append(
            Check(
                spec.name,
                "below_minimum",
                f"({parsed}) < {spec.minimum}",
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
                f"({parsed}) > {spec.maximum}",
                "error",
                f"are above {spec.maximum:g}; {spec.name} must lie between "
                f"{spec.minimum:g} and {spec.maximum:g}; fix the export",
            )
        )
    if spec.kind == "timestamp" and not timestamp_format and raw_type == "VARCHAR":
        checks.append(
            Check(
                spec.name,
                "mixed_timezones",
                f"{_present(col)} AND {offset_expression(source)} = ''",
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
) -> list[Problem]:
    """Count every check in one scan, then fetch example lines for those that fail."""
    if not checks:
        return []
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
        message = (
            f"{file_label}: {where} in column {column_label} {check.advice}"
            if check.name != "missing"
            else f"{file_label}: {where} have no value in required column {column_label}; "
            f"{check.advice}"
        )
        if check.name != "missing":
            message += f". Values seen: {shown}"
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
