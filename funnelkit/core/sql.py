"""Small SQL text helpers shared by the loader's modules: quoting and missing-value tests.

A cell is *missing* when it is empty, only white space (including the no-break spaces Excel
writes) or one of the spellings exports use for "no value" (:data:`NULL_TOKENS`). Number
columns keep ``nan`` out of that list: there it is a non-finite number, refused with its rows.
"""

from __future__ import annotations

import re

__all__ = [
    "FLAG_FALSE",
    "FLAG_TRUE",
    "NULL_TOKENS",
    "NUMBER_NULL_TOKENS",
    "WHITESPACE",
    "flag_sql",
    "is_missing",
    "lit",
    "null_tokens",
    "q",
    "text_value",
    "trimmed",
]

#: White space trimmed around every cell: space, tab, no-break space, narrow no-break space.
WHITESPACE = " \t\r\n\u00a0\u202f"
#: Spellings of "no value" in id, text and time columns (compared in lower case, trimmed).
NULL_TOKENS = ("", "null", "nan", "none", "n/a", "#n/a", "-")
#: The same for number columns: ``nan`` is refused as a non-finite number there, and ``-`` is
#: left to fail as unparsable (in accounting layouts it means zero, not missing).
NUMBER_NULL_TOKENS = ("", "null", "none", "n/a", "#n/a")
#: Time columns also take pandas' ``NaT``.
TIME_NULL_TOKENS = (*NULL_TOKENS, "nat")


def q(name: str) -> str:
    """Quote an identifier for DuckDB.

    Examples
    --------
    >>> q("order id")
    '"order id"'
    """
    return '"' + name.replace('"', '""') + '"'


def lit(text: str) -> str:
    """Quote a string literal for DuckDB.

    Examples
    --------
    >>> lit("it's")
    "'it''s'"
    """
    return "'" + text.replace("'", "''") + "'"


#: The same white space as a regular-expression character class (RE2 syntax).
_WS = r"[ \t\r\n\x{00A0}\x{202F}]"
#: A cell with white space at either end.
_EDGES = lit(f"^{_WS}|{_WS}$")


def trimmed(expr: str) -> str:
    """SQL: the value as text without surrounding white space (no-break spaces included).

    ``trim`` with a character list is slow on long columns, so it only runs on the few values
    that start or end with white space.

    Examples
    --------
    >>> import duckdb
    >>> duckdb.sql(f"SELECT {trimmed(lit(chr(160) + 'u1 '))}").fetchall()[0][0]
    'u1'
    """
    text = f"CAST({expr} AS VARCHAR)"
    return (
        f"CASE WHEN regexp_matches({text}, {_EDGES}) THEN trim({text}, {lit(WHITESPACE)}) "
        f"ELSE {text} END"
    )


def is_missing(expr: str, tokens: tuple[str, ...] = NULL_TOKENS) -> str:
    """SQL predicate: the cell is NULL, blank or a spelling of "no value" (in any case).

    One RE2 full match per cell: measured faster than trimming and comparing with a list.

    Examples
    --------
    >>> import duckdb
    >>> cells = [" N/A ", "u1", "", "\u00a0 null  ", "none", "nonexistent"]
    >>> duckdb.sql("SELECT " + ", ".join(is_missing(lit(c)) for c in cells)).fetchall()[0]
    (True, False, True, True, True, False)
    """
    words = "|".join(re.escape(t) for t in tokens if t)
    pattern = lit(f"(?i){_WS}*(?:{words})?{_WS}*" if words else f"{_WS}*")
    return f"({expr} IS NULL OR regexp_full_match(CAST({expr} AS VARCHAR), {pattern}))"


#: How exports write yes and no in a flag column (compared trimmed, in lower case).
FLAG_TRUE = ("1", "true", "yes", "y", "t", "x", "да", "д", "+")
FLAG_FALSE = ("0", "false", "no", "n", "f", "нет", "н")


def flag_sql(expr: str) -> str:
    """SQL reading a yes/no cell as a BOOLEAN: NULL when it is neither (or missing).

    Examples
    --------
    >>> import duckdb
    >>> cells = ", ".join(flag_sql(lit(v)) for v in (" Yes", "0", "Да", "maybe"))
    >>> duckdb.sql(f"SELECT {cells}").fetchall()[0]
    (True, False, True, None)
    """
    word = f"lower({trimmed(expr)})"
    yes = ", ".join(lit(v) for v in FLAG_TRUE)
    no = ", ".join(lit(v) for v in FLAG_FALSE)
    return f"CASE WHEN {word} IN ({yes}) THEN TRUE WHEN {word} IN ({no}) THEN FALSE END"


def null_tokens(kind: str) -> tuple[str, ...]:
    """The spellings of "no value" for a column kind (``id``, ``number``, ``timestamp`` …).

    Examples
    --------
    >>> "nan" in null_tokens("id"), "nan" in null_tokens("number")
    (True, False)
    """
    if kind in ("number", "integer"):
        return NUMBER_NULL_TOKENS
    return TIME_NULL_TOKENS if kind in ("timestamp", "date") else NULL_TOKENS


def text_value(expr: str, kind: str) -> str:
    """SQL: the trimmed text of a cell, NULL where it is missing for its column kind.

    Examples
    --------
    >>> import duckdb
    >>> cells = ", ".join(text_value(lit(v), "id") for v in (" NULL", " u1"))
    >>> duckdb.sql(f"SELECT {cells}").fetchall()
    [(None, 'u1')]
    """
    return f"CASE WHEN {is_missing(expr, null_tokens(kind))} THEN NULL ELSE {trimmed(expr)} END"
