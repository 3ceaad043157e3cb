r"""How numbers read in a report: counts, shares, money, lifts, percentage points, p-values, dates.

One place for every number a client reads, so that a figure looks the same in a table, a chart
and a sentence. Numbers follow the report language's own rules, taken from Babel's CLDR data
(``funnelkit.core.i18n.babel_locale``), one format per report:

- English (``en_US``): ``10,525``, ``4.1%``, ``€208,668``, ``€2.50``, ``15 Sep 2026``;
- Russian (``ru_RU``): ``10 525``, ``4,1 %``, ``208 668 €``, ``2,50 €``, ``15 сент. 2026 г.``
  (thousands and the percent sign set off by a non-breaking space, decimal comma).

Counts have no decimals; money has no cents from 100 up; a negative number starts with a true
minus sign ``−``; a value that rounds to zero reads as zero, never ``-0.0%``. Missing values
(``None``, NaN, NaT) read as an en dash ``–``, never as ``nan``.

- :func:`format_number` — a value in a unit (``share``, ``money``, ``lift``, ``points``, ``p``,
  ``count``, or a plain number) in the report's language;
- :func:`format_count` — a number of people, orders, events …;
- :func:`format_decimal` — a plain number with a fixed number of decimals;
- :func:`format_value` — a catalogue metric's value in its unit (``share``, ``money``,
  ``score``, ``days`` …), as the compass and the metrics chapter show it;
- :func:`format_p` — a p-value in a table (``< 0.001``, else three decimals);
- :func:`format_hours` — a duration given in hours, in the unit a reader expects;
- :func:`format_date` — a day as the language writes it.
"""

from __future__ import annotations

import copy
import datetime as dt
import decimal
import functools
import math

from .i18n import babel_locale

__all__ = [
    "CURRENCY_SYMBOLS",
    "MINUS",
    "format_count",
    "format_date",
    "format_decimal",
    "format_hours",
    "format_number",
    "format_p",
    "format_value",
]

#: Currency signs shown in place of the ISO code; other currencies show their code.
CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "RUB": "₽"}

#: The minus sign of every negative number (U+2212, as wide as the plus sign).
MINUS = "\u2212"

_POINTS = {"en": "pp", "ru": "п.п."}
_HOURS_UNITS = {
    "en": {"s": "s", "min": "min", "h": "h", "d": "d"},
    "ru": {"s": "с", "min": "мин", "h": "ч", "d": "дн."},
}
# Metric durations carry one decimal, so Russian takes the genitive singular ("3,2 дня").
_DURATION_UNITS = {
    "en": {"days": "days", "months": "months", "years": "years"},
    "ru": {"days": "дня", "months": "месяца", "years": "года"},
}
_DATE_FORMATS = {"en": "d MMM y", "ru": "medium"}


def _missing(value: object) -> bool:
    """None, NaN, pandas' NA or NaT (without importing pandas)."""
    if value is None:
        return True
    try:
        return math.isnan(value)  # type: ignore[arg-type]
    except TypeError:
        return str(value) in {"<NA>", "NaT"}


def _language(language: str | None) -> str:
    return "ru" if babel_locale(language) == "ru_RU" else "en"


@functools.cache
def _babel(locale: str):
    """The Babel locale object of ``locale`` (parsed once)."""
    from babel import Locale  # Babel is needed only when a number is drawn

    return Locale.parse(locale)


@functools.cache
def _pattern(locale: str, kind: str, digits: int, *, exact: bool = True, sign: bool = False,
             symbol: str = ""):  # fmt: skip
    """The locale's own number pattern of ``kind`` with ``digits`` decimals.

    ``exact``: always that many decimals, else at most; ``sign``: a plus sign on positive
    numbers; the minus is ``−``; ``symbol`` replaces the currency sign ``¤``.
    """
    data = _babel(locale)
    base = {
        "decimal": data.decimal_formats[None],
        "percent": data.percent_formats[None],
        "currency": data.currency_formats["standard"],
    }[kind]
    pattern = copy.copy(base)
    pattern.frac_prec = (digits if exact else 0, digits)
    positive, negative = pattern.prefix
    negative = negative.replace("-", MINUS)
    if sign:
        positive = "+" + positive
    pattern.prefix = (positive.replace("¤", symbol), negative.replace("¤", symbol))
    pattern.suffix = tuple(part.replace("¤", symbol) for part in pattern.suffix)
    return pattern


def _draw(value: float, language: str | None, kind: str = "decimal", digits: int = 0,
          **options) -> str:  # fmt: skip
    """``value`` through the locale's pattern, rounded first so that no zero is negative."""
    if math.isinf(value):
        return ("+" if options.get("sign") else "") + "∞" if value > 0 else MINUS + "∞"
    scale = 2 if kind == "percent" else 0
    step = decimal.Decimal(1).scaleb(-(digits + scale))
    rounded = decimal.Decimal(str(float(value))).quantize(step, decimal.ROUND_HALF_UP)
    if rounded == 0:
        rounded = abs(rounded)  # -0.0 would draw as "-0.0"
        options.pop("sign", None)
    locale = babel_locale(language)
    return _pattern(locale, kind, digits, **options).apply(rounded, _babel(locale))


def _significant(value: float, figures: int) -> int:
    """Decimals that keep ``figures`` significant figures of ``value``."""
    if value == 0:
        return 0
    return max(0, figures - 1 - math.floor(math.log10(abs(value))))


def format_number(value: float, unit: str, *, language: str = "en", currency: str = "EUR") -> str:
    r"""A value as a client reads it: shares in %, money with its currency, counts plain.

    Units: ``share`` (one decimal, two below 1%), ``money`` (no cents from 100 up), ``lift``
    (signed %), ``points`` (signed percentage points), ``p`` (``< 0.001`` or ``= `` two
    significant figures); any other unit (``count``, ``number``): whole numbers and numbers from
    1,000 up without decimals, others (a mean per user) with three significant figures.

    Examples
    --------
    >>> format_number(0.0412, "share"), format_number(0.0412, "share", language="ru")
    ('4.1%', '4,1\xa0%')
    >>> format_number(-0.00001, "share"), format_number(0.004, "share")
    ('0.0%', '0.40%')
    >>> format_number(208668.4, "money"), format_number(208668.4, "money", language="ru")
    ('€208,668', '208\xa0668\xa0€')
    >>> format_number(-2.5, "money"), format_number(12.5, "money", currency="RUB", language="ru")
    ('−€2.50', '12,50\xa0₽')
    >>> format_number(-0.0123, "points"), format_number(-0.0123, "points", language="ru")
    ('−1.2 pp', '−1,2 п.п.')
    >>> format_number(0.12, "lift"), format_number(-0.034, "lift", language="ru")
    ('+12%', '−3,4\xa0%')
    >>> format_number(0.0004, "p"), format_number(0.0123, "p", language="ru")
    ('< 0.001', '= 0,012')
    >>> format_number(10525.0, "count"), format_number(10525, "count", language="ru")
    ('10,525', '10\xa0525')
    >>> format_number(0.0412, "count"), format_number(1234.56, "number"), format_number(None, "p")
    ('0.0412', '1,235', '–')
    """
    if _missing(value):
        return "–"
    value = float(value)
    if unit == "share":
        digits = 2 if 0 < abs(value) < 0.01 else 1
        if abs(value) < 0.5 * 10 ** -(digits + 2):  # rounds to zero: "0.0%", whatever its sign
            value, digits = 0.0, 1
        return _draw(value, language, "percent", digits)
    if unit == "money":
        digits = 0 if round(abs(value), 2) >= 100 else 2
        symbol = CURRENCY_SYMBOLS.get(currency, currency)
        return _draw(value, language, "currency", digits, symbol=symbol)
    if unit == "lift":
        digits = 0 if abs(value) >= 0.095 else 1
        return _draw(value, language, "percent", digits, sign=True)
    if unit == "points":
        number = _draw(value * 100, language, "decimal", 1, sign=True)
        return f"{number} {_POINTS[_language(language)]}"
    if unit == "p":
        if value < 0.001:
            return "< " + _draw(0.001, language, "decimal", 3)
        return "= " + _draw(value, language, "decimal", _significant(value, 2), exact=False)
    if value.is_integer() or abs(value) >= 1000:  # a count (or a large number): no decimals
        return format_count(value, language)
    return _draw(value, language, "decimal", _significant(value, 3), exact=False)


def format_count(value: float, language: str = "en") -> str:
    r"""A count (people, orders, events) as a whole number with the language's thousands mark.

    Examples
    --------
    >>> format_count(118504.0), format_count(118504, "ru"), format_count(None)
    ('118,504', '118\xa0504', '–')
    """
    if _missing(value):
        return "–"
    return _draw(float(value), language, "decimal", 0)


def format_decimal(value: float, digits: int = 2, language: str = "en") -> str:
    r"""A plain number with exactly ``digits`` decimals (a table cell with no unit).

    Examples
    --------
    >>> format_decimal(1234.567), format_decimal(-2.5, 2, "ru"), format_decimal(-0.001)
    ('1,234.57', '−2,50', '0.00')
    """
    if _missing(value):
        return "–"
    return _draw(float(value), language, "decimal", digits)


def format_value(value: float, unit: str, currency: str = "", *, language: str = "en") -> str:
    r"""A metric value for reading: shares as %, money with the currency, scores as integers.

    Examples
    --------
    >>> format_value(0.1234, "share"), format_value(1234.5, "money", "EUR")
    ('12.3%', '€1,235')
    >>> format_value(1234.5, "money", "EUR", language="ru")
    '1\xa0235\xa0€'
    >>> format_value(3.25, "days", language="ru"), format_value(3.25, "days")
    ('3,3\xa0дня', '3.3\xa0days')
    >>> format_value(31.16, "score"), format_value(12.0, "people"), format_value(2.5, "ratio")
    ('31', '12', '2.50×')
    """
    if _missing(value):
        return "–"
    if unit == "share":
        return format_number(value, "share", language=language)
    if unit == "money":
        if currency:
            return format_number(value, "money", language=language, currency=currency)
        return _draw(value, language, "decimal", 0 if round(abs(value), 2) >= 100 else 2)
    if unit == "score":
        return format_count(value, language)
    if unit in _DURATION_UNITS["en"]:
        words = _DURATION_UNITS[_language(language)]
        return f"{_draw(value, language, 'decimal', 1)}\xa0{words[unit]}"
    if unit == "ratio":
        return _draw(value, language, "decimal", 2) + "×"
    return format_count(value, language)


def format_p(value: float, *, language: str = "en") -> str:
    r"""A p-value as readers expect it: '< 0.001', '> 0.999', else three decimals.

    Never "1.000" (a p-value is not exactly one; in Russian "1,000" would also read like a
    thousand to an English eye).

    Examples
    --------
    >>> format_p(0.0004), format_p(0.0312), format_p(float("nan")), format_p(0.0312, language="ru")
    ('< 0.001', '0.031', '–', '0,031')
    >>> format_p(1.0), format_p(1.0, language="ru")
    ('> 0.999', '> 0,999')
    """
    if _missing(value):
        return "–"
    if value < 0.001:
        return "< " + _draw(0.001, language, "decimal", 3)
    if value > 0.999:
        return "> " + _draw(0.999, language, "decimal", 3)
    return _draw(value, language, "decimal", 3)


def format_hours(hours: float, *, digits: int = 1, language: str = "en") -> str:
    r"""A duration given in hours, in the unit a reader expects.

    Seconds below a minute, minutes below an hour, hours below two days, days above; one
    decimal below 10 of the unit (``digits=0``: none).

    Examples
    --------
    >>> [format_hours(h) for h in (0.0066, 0.05, 2.5, 100.0, float("nan"))]
    ['24 s', '3.0 min', '2.5 h', '4.2 d', '–']
    >>> [format_hours(h, language="ru") for h in (0.0066, 0.05, 2.5, 100.0)]
    ['24 с', '3,0 мин', '2,5 ч', '4,2 дн.']
    """
    if _missing(hours):
        return "–"
    units = _HOURS_UNITS[_language(language)]
    seconds = float(hours) * 3600
    if seconds < 59.5:
        return f"{_draw(seconds, language, 'decimal', 0)} {units['s']}"
    if seconds < 3600:
        value, unit = seconds / 60, "min"
    elif hours < 48:
        value, unit = float(hours), "h"
    else:
        value, unit = float(hours) / 24, "d"
    if round(value, digits) >= 10:  # 9.96 reads as "10", not "10.0"
        digits = 0
    return f"{_draw(value, language, 'decimal', digits)} {units[unit]}"


def format_date(value: object, language: str = "en") -> str:
    r"""A day as the language writes it: ``15 Sep 2026``, ``15 сент. 2026 г.``.

    ``value`` is a date, a datetime or pandas Timestamp (the time is dropped) or an ISO string.

    Examples
    --------
    >>> format_date(dt.date(2026, 9, 15)), format_date("2026-09-15T10:00", "ru"), format_date(None)
    ('15 Sep 2026', '15 сент. 2026\u202fг.', '–')
    """
    if _missing(value):
        return "–"
    if not isinstance(value, dt.date):  # an ISO string, numpy's datetime64 …
        value = dt.date.fromisoformat(str(value)[:10])
    if isinstance(value, dt.datetime):
        value = value.date()
    from babel.dates import format_date as babel_format_date

    locale = babel_locale(language)
    return babel_format_date(value, _DATE_FORMATS[_language(language)], locale=locale)
