"""How numbers read in a report: shares, money, lifts, percentage points, p-values, durations.

One place for every number a client reads, so that a figure looks the same in a table, a chart
and a sentence, and so that localisation has one place to hang on. Two languages today: English
(``1,234.5``, ``4.1%``, ``€2.50``) and Russian (``1\u202f234,5``, ``4,1%``, ``2,50 ₽``). Missing
values (``None`` or NaN) read as an en dash, never as ``nan``.

- :func:`format_number` — a value in a unit (``share``, ``money``, ``lift``, ``points``, ``p``,
  or a count) in the report's language;
- :func:`format_value` — a catalogue metric's value in its unit (``share``, ``money``,
  ``score``, ``days`` …), as the compass and the metrics chapter show it;
- :func:`format_p` — a p-value in a table (``< 0.001``, else three decimals);
- :func:`format_hours` — a duration given in hours, in the unit a reader expects.
"""

from __future__ import annotations

import math

__all__ = ["CURRENCY_SYMBOLS", "format_hours", "format_number", "format_p", "format_value"]

#: Currency signs shown in place of the ISO code; other currencies show their code.
CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "RUB": "₽"}


def _missing(value: object) -> bool:
    """None, NaN, pandas' NA or NaT (without importing pandas)."""
    if value is None:
        return True
    try:
        return math.isnan(value)  # type: ignore[arg-type]
    except TypeError:
        return str(value) in {"<NA>", "NaT"}


def format_number(value: float, unit: str, *, language: str = "en", currency: str = "EUR") -> str:
    """A value as a client reads it: shares in %, money with its currency, counts plain.

    Examples
    --------
    >>> format_number(0.0412, "share"), format_number(0.0412, "share", language="ru")
    ('4.1%', '4,1%')
    >>> print(format_number(2.5, "money"),
    ...       format_number(12.5, "money", currency="RUB", language="ru"))
    €2.50 12,50 ₽
    >>> format_number(-0.0123, "points"), format_number(-0.0123, "points", language="ru")
    ('−1.2 pp', '−1,2 п.п.')
    """
    if _missing(value):
        return "–"
    if unit == "share":
        text = f"{value:.2%}" if abs(value) < 0.01 and value != 0 else f"{value:.1%}"
    elif unit == "money":
        text = f"{abs(value):,.2f}"
    elif unit == "lift":
        digits = 0 if abs(value) >= 0.095 else 1
        text = f"{value:+.{digits}%}".replace("-", "−")
    elif unit == "points":
        text = f"{value * 100:+.1f}".replace("-", "−")
    elif unit == "p":
        text = "< 0.001" if value < 0.001 else f"= {value:.2g}"
    else:
        text = f"{value:,.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    if language == "ru":
        text = text.replace(",", "\u202f").replace(".", ",")
    if unit == "money":
        symbol, sign = CURRENCY_SYMBOLS.get(currency, currency), "−" if value < 0 else ""
        return f"{sign}{text} {symbol}" if language == "ru" else f"{sign}{symbol}{text}"
    if unit == "points":  # after the decimal comma, which must not touch "п.п."
        return text + (" п.п." if language == "ru" else " pp")
    return text


def format_value(value: float, unit: str, currency: str = "") -> str:
    """A metric value for reading: shares as %, money with the currency, scores as integers.

    Examples
    --------
    >>> format_value(0.1234, "share"), format_value(1234.5, "money", "EUR")
    ('12.3%', '1,234.50 EUR')
    >>> format_value(31.16, "score"), format_value(12.0, "people"), format_value(2.5, "ratio")
    ('31', '12', '2.50×')
    """
    if _missing(value):
        return "–"
    if unit == "share":
        return f"{value:.1%}"
    if unit == "money":
        return f"{value:,.2f} {currency}".strip()
    if unit == "score":
        return f"{value:.0f}"
    if unit in ("days", "months", "years"):
        return f"{value:,.1f} {unit}"
    if unit == "ratio":
        return f"{value:.2f}×"
    return f"{value:,.0f}"


def format_p(value: float) -> str:
    """A p-value as readers expect it: '< 0.001', else three decimals.

    Examples
    --------
    >>> format_p(0.0004), format_p(0.0312), format_p(float("nan"))
    ('< 0.001', '0.031', '–')
    """
    if _missing(value):
        return "–"
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


def format_hours(hours: float, *, digits: int = 1) -> str:
    """A duration given in hours, in the unit a reader expects.

    Seconds below a minute, minutes below an hour, hours below two days, days above; one
    decimal below 10 of the unit (``digits=0``: none).

    Examples
    --------
    >>> [format_hours(h) for h in (0.0066, 0.05, 2.5, 100.0, float("nan"))]
    ['24 s', '3.0 min', '2.5 h', '4.2 d', '–']
    """
    if _missing(hours):
        return "–"
    seconds = float(hours) * 3600
    if seconds < 59.5:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        value, unit = seconds / 60, "min"
    elif hours < 48:
        value, unit = float(hours), "h"
    else:
        value, unit = float(hours) / 24, "d"
    text = f"{value:.{digits}f}"
    if float(text) >= 10:  # 9.96 reads as "10", not "10.0"
        text = f"{value:.0f}"
    return f"{text} {unit}"
