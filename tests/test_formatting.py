"""Numbers, money, shares and dates as a client reads them, in English and in Russian (Babel)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from funnelkit.core.formatting import (
    MINUS,
    format_count,
    format_date,
    format_hours,
    format_number,
    format_p,
    format_value,
)

NB = "\xa0"  # Babel's Russian thousands mark and the space before "%" and "€"


@pytest.mark.parametrize(
    ("value", "unit", "language", "expected"),
    [
        (10525, "count", "en", "10,525"),
        (10525.0, "count", "ru", f"10{NB}525"),
        (118504.0, "number", "en", "118,504"),  # a count stored as a float: no ".00"
        (0.0412, "share", "en", "4.1%"),
        (0.0412, "share", "ru", f"4,1{NB}%"),
        (0.004, "share", "en", "0.40%"),
        (-0.00001, "share", "en", "0.0%"),  # rounds to zero: never "-0.0%"
        (-0.00004, "share", "ru", f"0,0{NB}%"),
        (-0.0004, "share", "ru", f"{MINUS}0,04{NB}%"),
        (208668.4, "money", "en", "€208,668"),  # no cents from 100 up
        (208668.4, "money", "ru", f"208{NB}668{NB}€"),
        (2.5, "money", "en", "€2.50"),  # cents below 100
        (-0.38, "money", "en", f"{MINUS}€0.38"),
        (-1234.5, "money", "ru", f"{MINUS}1{NB}235{NB}€"),
        (0.12, "lift", "en", "+12%"),
        (-0.034, "lift", "ru", f"{MINUS}3,4{NB}%"),
        (-0.0001, "lift", "en", "0.0%"),
        (-0.0123, "points", "en", f"{MINUS}1.2 pp"),
        (-0.0123, "points", "ru", f"{MINUS}1,2 п.п."),
        (0.0004, "p", "ru", "< 0,001"),
        (0.0123, "p", "en", "= 0.012"),
        (float("nan"), "share", "ru", "–"),
        (None, "money", "en", "–"),
    ],
)
def test_format_number(value, unit, language, expected):
    assert format_number(value, unit, language=language) == expected


def test_money_uses_the_currency_sign_in_each_language():
    assert format_number(1500, "money", currency="RUB", language="ru") == f"1{NB}500{NB}₽"
    assert format_number(1500, "money", currency="USD") == "$1,500"
    assert format_number(1500, "money", currency="CHF") == "CHF1,500"


def test_no_hand_made_separators_anywhere():
    """Russian uses one thousands mark (Babel's) in every kind of number."""
    texts = [
        format_count(1234567, "ru"),
        format_number(1234567.0, "money", language="ru"),
        format_value(1234567.0, "money", "EUR", language="ru"),
        format_value(1234.0, "people", language="ru"),
    ]
    assert all(NB in t and "\u202f" not in t and "," not in t for t in texts)


def test_format_value_in_both_languages():
    assert format_value(0.1234, "share", language="ru") == f"12,3{NB}%"
    assert format_value(2.5, "ratio", language="ru") == "2,50×"
    assert format_value(31.6, "score") == "32"
    assert format_value(1.5, "months", language="ru") == f"1,5{NB}месяца"
    assert format_value(float("nan"), "share", language="ru") == "–"


def test_format_p_and_hours_in_russian():
    assert format_p(0.0312, language="ru") == "0,031"
    assert format_p(0.0004) == "< 0.001"
    assert format_hours(100.0, language="ru") == "4,2 дн."
    assert format_hours(9.96 / 60, language="ru") == "10 мин"
    assert format_hours(0.0066, language="ru") == "24 с"


@pytest.mark.parametrize(
    ("value", "language", "expected"),
    [
        (dt.date(2026, 9, 15), "en", "15 Sep 2026"),
        (dt.date(2026, 9, 15), "ru", "15 сент. 2026\u202fг."),
        (pd.Timestamp("2026-10-29 23:59"), "en", "29 Oct 2026"),
        ("2026-10-29", "ru", "29 окт. 2026\u202fг."),
        (pd.NaT, "en", "–"),
    ],
)
def test_format_date(value, language, expected):
    assert format_date(value, language) == expected
