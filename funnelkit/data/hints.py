"""Suggestions when a file does not read: which ``client.yaml`` key describes the export.

Values that failed to parse (:func:`number_hint`, :func:`time_hint`): only called when a check
has already failed, so the extra queries here cost nothing on clean data. A hint never changes
what is loaded: it looks at (a sample of) the failing values, and at most tries a few layouts on
the whole column in SQL, to name the setting that reads them all.

Column names (:func:`column_hint`): a required column the file lacks may be there under another
name: an English or Russian synonym (:data:`COLUMN_SYNONYMS`, also used by ``funnelkit new
--from``), or a vendor's field (the adapters' ``signature`` and ``hints``).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime

import duckdb

from ..core.sql import lit, q, text_value, trimmed
from .formats import EPOCH_RANGE, TIME_FORMATS, Layout, currency_tokens

__all__ = [
    "for_column",
    "number_hint",
    "time_hint",
]

_SPACES = " \u00a0\u202f"
# an amount with an optional sign or word before and after it: "-€1 200,50", "12,50 руб."
_AMOUNT_RE = re.compile(r"([+-]?)\s*([^\d\s+\-.,]*)\s*([+-]?[\d.,' \u00a0\u202f]*\d)\s*(\S*)")
_UNITS = {"s": "seconds", "ms": "milliseconds", "us": "microseconds"}
_PER_SECOND = {"s": 1.0, "ms": 1e3, "us": 1e6}
_SEPARATOR_WORDS = {" ": "spaces", ",": "commas", ".": "points", "'": "apostrophes"}


def for_column(
    source: str, kind: str, layout: Layout
) -> Callable[[duckdb.DuckDBPyConnection, str, str], str | None] | None:
    """The hint for a column kind: numbers and times have one, ids and texts none."""
    if kind in ("number", "integer"):
        return lambda con, raw, failing: number_hint(
            _values(con, raw, source, failing), layout=layout
        )
    if kind in ("timestamp", "date"):
        return lambda con, raw, failing: time_hint(
            con, raw, source, _values(con, raw, source, failing), kind=kind, layout=layout
        )
    return None


def _values(con: duckdb.DuckDBPyConnection, raw: str, source: str, failing: str) -> list[str]:
    rows = con.sql(
        f"SELECT DISTINCT {trimmed(q(source))} FROM {raw} WHERE {failing} LIMIT 500"
    ).fetchall()
    return sorted(str(r[0]) for r in rows)


@functools.cache
def _iso_codes() -> frozenset[str]:
    from babel.numbers import list_currencies

    return frozenset(list_currencies())


def _is_currency(token: str) -> bool:
    """Whether a word next to an amount is a currency: a sign, an ISO code, руб. / грн."""
    if any(unicodedata.category(ch) == "Sc" for ch in token):
        return True
    return token.upper() in _iso_codes() or token.lower().rstrip(".") in ("руб", "р", "грн")


def _shape(number: str) -> tuple[str | None, str | None] | None:
    """(decimal, thousands) separators a number needs; '?,' marks 'd,ddd' (either one)."""
    digits = number.lstrip("+-")
    if re.fullmatch(r"\d+", digits):
        return None, None
    if match := re.fullmatch(r"(\d+)([.,])(\d+)", digits):
        whole, sep, fraction = match.groups()
        # 1,200 is 1200 or 1.2; 12,5 and 1234,567 can only be decimals
        ambiguous = len(fraction) == 3 and len(whole) <= 3 and whole != "0"
        return ("?" + sep if ambiguous else sep), None
    grouped = r"\d{1,3}([ \u00a0\u202f.,'])\d{3}(?:\1\d{3})*(?:([.,])\d+)?"
    if match := re.fullmatch(grouped, digits):
        thousands, decimal = match.groups()
        thousands = " " if thousands in _SPACES else thousands
        return None if decimal == thousands else (decimal, thousands)
    return None


def _yaml(value: str | bool) -> str:
    return "true" if value is True else f"'{value}'"


def number_hint(values: list[str], *, layout: Layout) -> str | None:
    """Advice for numbers that failed to parse: the separators and signs they use.

    Examples
    --------
    >>> number_hint(["12,5", "3,75"], layout=Layout(key="data.orders"))
    "could not be read as numbers: this looks like decimal commas (e.g. '12,5'); set `data.orders.decimal: ','` in client.yaml"
    """  # noqa: E501
    signs: set[str] = set()
    shapes, odd = [], []
    for value in values:
        match = _AMOUNT_RE.fullmatch(value.strip(_SPACES))
        if match is None or (match[2] and not _is_currency(match[2])):
            odd.append(value)
            continue
        if match[4] and not _is_currency(match[4]):
            odd.append(value)
            continue
        signs.update(t for t in (match[2], match[4]) if t)
        shape = _shape(match[1] + match[3])
        if shape is None:
            odd.append(value)
        else:
            shapes.append((shape, value))
    own = set(currency_tokens(layout.currency))
    foreign = sorted(signs - own)
    if foreign:
        return (
            f"could not be read as amounts in {layout.currency}: they carry the sign of another "
            f"currency ({', '.join(repr(s) for s in foreign)}); convert them to client.yaml's "
            f"`currency` in the export (or fix `currency` if the whole export is in that one)"
        )
    decimals = {d for (d, _), _ in shapes if d and not d.startswith("?")}
    thousands = {t for (_, t), _ in shapes if t}
    ambiguous = {d[1] for (d, _), _ in shapes if d and d.startswith("?")} - thousands
    if len(decimals) > 1 or len(thousands) > 1 or decimals & thousands:
        return (
            "could not be read as numbers: the column mixes number layouts (e.g. "
            f"{', '.join(repr(v) for _, v in shapes[:3])}); export it with one decimal separator "
            "and no or one kind of thousands separator"
        )
    settings: dict[str, str | bool] = {}
    words = []
    decimal = next(iter(decimals), None)
    if decimal is None and ambiguous and not thousands:
        sep = next(iter(ambiguous))
        example = next(v for (d, _), v in shapes if d == "?" + sep)
        return (
            f"could not be read as numbers: values like {example!r} are either thousands "
            f"separated ({example} = {example.replace(sep, '')}: set `{layout.key}.thousands: "
            f"'{sep}'`) or decimal {_SEPARATOR_WORDS[sep]} (set `{layout.key}.decimal: '{sep}'`); "
            "check with the client which one the export uses"
        )
    if decimal and decimal != layout.decimal:
        settings["decimal"] = decimal
        words.append(f"decimal {_SEPARATOR_WORDS[decimal]}")
    thousand = next(iter(thousands), None)
    if thousand and thousand != layout.thousands:
        settings["thousands"] = thousand
        words.append(f"{_SEPARATOR_WORDS[thousand]} as thousands separators")
    if signs and not layout.currency_signs:
        settings["currency_signs"] = True
        words.append(f"currency signs ({', '.join(repr(s) for s in sorted(signs))})")
    if not settings:
        if odd:
            return (
                f"are not numbers in any layout (e.g. {', '.join(repr(v) for v in odd[:3])}); "
                "fix the export (a missing value is an empty cell; '-' for zero must be 0)"
            )
        return None
    example = next((v for (d, t), v in shapes if d or t), shapes[0][1] if shapes else values[0])
    keys = [f"`{layout.key}.{k}: {_yaml(v)}`" for k, v in settings.items()]
    keys_text = keys[0] if len(keys) == 1 else ", ".join(keys[:-1]) + " and " + keys[-1]
    message = (
        f"could not be read as numbers: this looks like {' and '.join(words)} "
        f"(e.g. {example!r}); set {keys_text} in client.yaml"
    )
    if odd:
        message += (
            f"; some values are not numbers at all ({', '.join(repr(v) for v in odd[:3])}): "
            "fix those in the export"
        )
    return message


def _epoch_unit(values: list[str]) -> str | None:
    """The Unix-time unit every value fits (the ranges of s, ms and µs do not overlap)."""
    units = set()
    for value in values:
        if not re.fullmatch(r"\d+(\.\d+)?", value):
            return None
        seconds = {u: float(value) / f for u, f in _PER_SECOND.items()}
        fits = [u for u, x in seconds.items() if EPOCH_RANGE[0] <= x <= EPOCH_RANGE[1]]
        if not fits:
            return None
        units.add(fits[0])
    return units.pop() if len(units) == 1 else None


def time_hint(
    con: duckdb.DuckDBPyConnection,
    raw: str,
    source: str,
    values: list[str],
    *,
    kind: str,
    layout: Layout,
) -> str | None:
    """Advice for times that failed to parse: the Unix-time unit, or the strftime layout that fits.

    Formats are first tried on the failing values, then the ones that read them all are tried on
    every value of the column (a ``timestamp_format`` applies to the whole column).
    """
    word = "timestamps" if kind == "timestamp" else "dates"
    unit = _epoch_unit(values)
    if unit and unit != layout.timestamp_unit:
        first = float(values[0]) / _PER_SECOND[unit]
        shown = datetime.fromtimestamp(first, UTC).strftime("%Y-%m-%d %H:%M:%S")
        return (
            f"could not be read as {word}: this looks like Unix time in {_UNITS[unit]} "
            f"(e.g. {values[0]} = {shown} UTC); set `{layout.key}.timestamp_unit: {unit}` in "
            f"client.yaml (they are then converted to {layout.timezone})"
        )
    if layout.timestamp_unit or not values:
        return None
    text = text_value(q(source), kind)
    listed = ", ".join(f"({lit(v)})" for v in values)
    tried = ", ".join(f"count_if(try_strptime(v, {lit(f)}) IS NULL)" for f in TIME_FORMATS)
    failures = con.sql(f"SELECT {tried} FROM (VALUES {listed}) t(v)").fetchall()[0]
    candidates = [f for f, n in zip(TIME_FORMATS, failures, strict=True) if n == 0]
    if not candidates:
        return None
    iso = f"TRY_CAST({text} AS DATE) IS NULL AND " if kind == "date" else ""
    whole = ", ".join(
        f"count_if({text} IS NOT NULL AND {iso}try_strptime({text}, {lit(f)}) IS NULL)"
        for f in candidates
    )
    counts = con.sql(f"SELECT {whole} FROM {raw}").fetchall()[0]
    fits = [f for f, n in zip(candidates, counts, strict=True) if n == 0]
    if not fits:
        return None
    best = fits[0]
    declared = layout.timestamp_format
    message = (
        f"could not be read as {word}{f' with format {declared!r}' if declared else ''}: the "
        f"format {best!r} reads every value of the column (e.g. {values[-1]!r}); set "
        f"`{layout.key}.timestamp_format: '{best}'` in client.yaml"
    )
    swapped = best.replace("%d", "\0").replace("%m", "%d").replace("\0", "%m")
    if swapped != best and swapped in fits:
        message += (
            f" (no day in the column is above 12, so {swapped!r} fits too: check with the client "
            "whether the day or the month comes first)"
        )
    return message
