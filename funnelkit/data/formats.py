"""How the values of one export are written, and the SQL that reads them that way.

``client.yaml`` declares a file's layout under ``data.<table>``: ``decimal``, ``thousands``,
``currency_signs``, ``timestamp_format``, ``timestamp_unit``. :class:`Layout` carries these to
the SQL builders here. A value that does not follow the declared layout is never guessed at: it
reads as NULL, and the loader reports its rows (see :mod:`funnelkit.data.hints` for the
suggestions).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from ..core.sql import lit

__all__ = [
    "EPOCH_RANGE",
    "MONEY_LIMIT",
    "TIME_FORMATS",
    "Layout",
    "check_currency",
    "currency_tokens",
    "epoch_sql",
    "layout_of",
    "number_sql",
]

#: Numbers this large (in absolute value) are refused in money columns: no order, cost or deal
#: of a client is worth a quadrillion; such values are ids or codes that landed in the wrong column.
MONEY_LIMIT = 1e15
#: Whole-number columns must fit a signed 64-bit integer.
INTEGER_LIMIT = 2.0**63
#: Unix times read with ``timestamp_unit`` must fall in 1973-03-03 .. 2100-01-01 (seconds): a
#: smaller value is a placeholder or the wrong unit, a larger one almost always the wrong unit.
EPOCH_RANGE = (1e8, 4102444800.0)
_MICROSECONDS = {"s": 1_000_000, "ms": 1_000, "us": 1}

#: strftime layouts tried, in this order, to suggest a ``timestamp_format`` for values that are
#: not ISO 8601. Day-first layouts come before month-first ones; both are named when both fit.
TIME_FORMATS = (
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
    "%d.%m.%y %H:%M",
    "%d.%m.%y",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
    "%d-%m-%Y %H:%M:%S",
    "%d-%m-%Y %H:%M",
    "%d-%m-%Y",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d",
    "%Y%m%d",
    "%d %b %Y",
    "%d %B %Y",
    "%b %d, %Y",
)

# Locales whose currency symbols are recognised (babel's CLDR data), and spellings CLDR lacks.
_LOCALES = ("en", "ru", "de", "fr", "es", "it", "pt", "nl", "pl", "uk", "kk", "be", "tr", "sv")
_EXTRA_TOKENS = {
    "RUB": ("руб.", "руб", "р.", "р"),
    "BYN": ("руб.", "р.", "Br"),
    "UAH": ("грн.", "грн"),
    "KZT": ("тг",),
    "PLN": ("zł",),
    "CHF": ("Fr.",),
}


@dataclass(frozen=True)
class Layout:
    """How one file writes its values; built from ``data.<table>`` and the client's settings.

    Examples
    --------
    >>> Layout(key="data.orders", decimal=",").decimal
    ','
    """

    key: str = "data.<table>"
    timezone: str = "UTC"
    timestamp_format: str | None = None
    timestamp_unit: str | None = None
    decimal: str = "."
    thousands: str | None = None
    currency: str = "EUR"
    currency_signs: bool = False

    @property
    def plain_numbers(self) -> bool:
        """Whether numbers are written as DuckDB reads them (``1234.5``)."""
        return self.decimal == "." and self.thousands is None and not self.currency_signs


@functools.cache
def currency_tokens(code: str) -> tuple[str, ...]:
    """The ways a currency is written next to an amount: its code and its symbols.

    Longest first, so that a regular expression alternation prefers ``руб.`` over ``р``.

    Examples
    --------
    >>> "₽" in currency_tokens("RUB") and "€" not in currency_tokens("RUB")
    True
    """
    from babel.numbers import get_currency_symbol  # CLDR data; loaded only when needed

    tokens = {code, code.lower(), *_EXTRA_TOKENS.get(code, ())}
    tokens.update(get_currency_symbol(code, locale=loc) for loc in _LOCALES)
    return tuple(sorted(tokens, key=lambda t: (-len(t), t)))


def _separator_class(sep: str) -> str:
    # a declared space also matches the no-break spaces Excel and Russian locales write
    return r"[ \x{00A0}\x{202F}]" if sep == " " else re.escape(sep)


def number_sql(text: str, layout: Layout) -> str:
    """SQL reading a trimmed text expression as a DOUBLE in ``layout``; NULL where it does not fit.

    Besides digits, a value may carry a sign, the declared decimal and thousands separators (the
    groups must be of three digits), an exponent, the client currency's sign when
    ``currency_signs`` is on, and the words ``inf`` / ``nan`` (refused later as non-finite).

    Examples
    --------
    >>> import duckdb
    >>> layout = Layout(decimal=",", thousands=" ", currency="RUB", currency_signs=True)
    >>> sql = number_sql("x", layout)
    >>> duckdb.sql(f"SELECT {sql} FROM (VALUES ('1\u00a0200,50 ₽'), ('12.5')) t(x)").fetchall()
    [(1200.5,), (None,)]
    """
    if layout.plain_numbers:
        return f"TRY_CAST({text} AS DOUBLE)"
    value = text
    if layout.currency_signs:
        signs = "|".join(re.escape(t) for t in currency_tokens(layout.currency))
        strip = lit(rf"^([+-]?)\s*(?:{signs})\s*|\s*(?:{signs})$")
        value = f"regexp_replace({value}, {strip}, '\\1', 'g')"
    dec = re.escape(layout.decimal)
    if layout.thousands:
        sep = _separator_class(layout.thousands)
        whole = rf"(?:[0-9]{{1,3}}(?:{sep}[0-9]{{3}})+|[0-9]+)"
    else:
        sep, whole = None, "[0-9]+"
    grammar = (
        rf"[+-]?(?:(?:{whole}(?:{dec}[0-9]*)?|{dec}[0-9]+)(?:[eE][+-]?[0-9]+)?"
        r"|(?i:inf|infinity|nan))"
    )
    plain = f"regexp_replace({value}, {lit(sep)}, '', 'g')" if sep else value
    if layout.decimal != ".":
        plain = f"replace({plain}, {lit(layout.decimal)}, '.')"
    return (
        f"CASE WHEN regexp_full_match({value}, {lit(grammar)}) THEN TRY_CAST({plain} AS DOUBLE) END"
    )


def epoch_sql(number: str, layout: Layout) -> str:
    """SQL turning a Unix time (a DOUBLE in ``layout.timestamp_unit``) into local wall-clock time.

    Unix times count from 1970-01-01 UTC, so they are converted to the client's ``timezone`` like
    timestamps that carry an offset. Values outside :data:`EPOCH_RANGE` read as NULL.

    Examples
    --------
    >>> import duckdb
    >>> sql = epoch_sql("x", Layout(timezone="Europe/Berlin", timestamp_unit="ms"))
    >>> duckdb.sql(f"SELECT {sql} FROM (VALUES (1790000000000.0)) t(x)").fetchall()[0][0]
    datetime.datetime(2026, 9, 21, 16, 13, 20)
    """
    factor = _MICROSECONDS[layout.timestamp_unit or "s"]
    micros = f"({number}) * {factor}"
    low, high = (bound * 1_000_000 for bound in EPOCH_RANGE)
    return (
        f"CASE WHEN {micros} BETWEEN {low:.0f} AND {high:.0f} THEN "
        f"timezone({lit(layout.timezone)}, timezone('UTC', "
        f"make_timestamp(CAST(round({micros}) AS BIGINT)))) END"
    )


def layout_of(source: object, *, key: str, timezone: str, currency: str) -> Layout:
    """The layout a ``TableSource`` of ``client.yaml`` declares (with the client's settings)."""
    return Layout(
        key=key,
        timezone=timezone,
        timestamp_format=getattr(source, "timestamp_format", None),
        timestamp_unit=getattr(source, "timestamp_unit", None),
        decimal=getattr(source, "decimal", "."),
        thousands=getattr(source, "thousands", None),
        currency=currency,
        currency_signs=getattr(source, "currency_signs", False),
    )


#: Currencies most clients use; a misspelt code is compared with these first.
_COMMON_CURRENCIES = ("EUR", "USD", "GBP", "RUB", "CHF", "PLN", "SEK", "KZT", "UAH", "TRY", "CNY")


def check_currency(code: str) -> str:
    """Return ``code`` if it is an ISO 4217 currency code (babel's CLDR list), else raise.

    Examples
    --------
    >>> check_currency("RUB")
    'RUB'
    >>> check_currency("EUD")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ValueError: 'EUD' is not an ISO 4217 currency code; did you mean 'EUR'? ...
    """
    from babel.numbers import list_currencies  # CLDR data, loaded only to validate the config

    codes = list_currencies()
    if code in codes:
        return code
    upper = code.strip().upper()

    def closeness(other: str) -> tuple[int, int, int]:
        same = sum(a == b for a, b in zip(upper, other, strict=False))
        prefix = len(next((upper[:i] for i in (3, 2, 1) if other.startswith(upper[:i])), ""))
        return same, prefix, other in _COMMON_CURRENCIES

    if upper in codes:
        hint = f"; did you mean {upper!r}?"
    else:
        ranked = sorted(codes, key=closeness, reverse=True)
        hint = f"; did you mean {ranked[0]!r}?" if closeness(ranked[0])[0] >= 2 else ""
    raise ValueError(
        f"{code!r} is not an ISO 4217 currency code{hint} Write the three capital letters, "
        "e.g. EUR, USD, RUB"
    )
