"""Words and numbers shared by the A/B verdicts and tables: metric names, ranges, levels.

A metric's name says what it divides (:data:`METRICS`, :func:`metric_names`); a formatted
number has no sign on a zero (:func:`fmt`); an interval writes its shared unit once
(:func:`interval`); a significance level reads ``5%`` / ``5 %`` (:func:`alpha_text`).
"""

from __future__ import annotations

import re

from ..core.formatting import format_number

__all__ = ["METRICS", "alpha_text", "clean_number", "fmt", "interval", "metric_names"]

#: Metric name -> unit and names (EN; RU nominative and accusative). Each rate says what it
#: divides; the goal's conversion is named by :func:`metric_names` after the goal event.
METRICS: dict[str, dict[str, str]] = {
    "conversion": {"unit": "share", "en": "conversion (users who reached the goal / users in "
                   "the group)", "ru": "конверсия (дошедшие до цели / пользователи группы)",
                   "ru_acc": "конверсию (дошедшие до цели / пользователи группы)"},
    "revenue_per_user": {"unit": "money", "en": "revenue per user",
                         "ru": "выручка на пользователя", "ru_acc": "выручку на пользователя"},
    "orders_per_user": {"unit": "count", "en": "orders per user",
                        "ru": "число заказов на пользователя",
                        "ru_acc": "число заказов на пользователя"},
    "revenue_per_buyer": {"unit": "money", "en": "revenue per buyer (average order value of "
                          "buyers)", "ru": "выручка на покупателя (средний чек покупателя)",
                          "ru_acc": "выручку на покупателя (средний чек покупателя)"},
}  # fmt: skip
#: Goal events with a plain name: EN, RU nominative and accusative (after "конверсия в").
_GOAL_NAMES = {"purchase": ("buyers", "покупку", "покупатели")}


def clean_number(text: str) -> str:
    """A signed number that rounds to zero without its sign: ``−0.0%`` reads ``0.0%``.

    Examples
    --------
    >>> clean_number("−0.0%"), clean_number("+0,0 п.п."), clean_number("−0.2%")
    ('0.0%', '0,0 п.п.', '−0.2%')
    """
    if text[:1] in "+−-" and not any(ch in "123456789" for ch in text):
        return text[1:]
    return text


def fmt(value: float, unit: str, language: str, currency: str = "EUR") -> str:
    """:func:`~funnelkit.core.formatting.format_number` without a sign on a zero."""
    return clean_number(format_number(value, unit, language=language, currency=currency))


def interval(low: str, high: str, language: str) -> str:
    """Two formatted ends as a range: ``+3.0 to +21%`` / ``от +3,0 до +21 %``.

    The unit both ends share (``%``, ``pp``) is written once, after the upper end.

    Examples
    --------
    >>> interval("+3.0%", "+21%", "en"), interval("−0,4 п.п.", "+0,7 п.п.", "ru")
    ('+3.0 to +21%', 'от −0,4 до +0,7 п.п.')
    """
    unit = lambda text: re.search(r"\s*(%|pp|п\.п\.)?$", text).group()  # noqa: E731
    if unit(low) and unit(low) == unit(high):
        low = low[: len(low) - len(unit(low))]
    return f"от {low} до {high}" if language == "ru" else f"{low} to {high}"


def alpha_text(alpha: float, language: str) -> str:
    """A significance level as a percentage without trailing zeros.

    Examples
    --------
    >>> alpha_text(0.05, "en"), alpha_text(0.025, "ru").replace("\N{NO-BREAK SPACE}", " ")
    ('5%', '2,5 %')
    """
    text = f"{alpha * 100:.3g}"
    return text.replace(".", ",") + "\u00a0%" if language == "ru" else text + "%"


def metric_names(metric: str, goal: str | None = None) -> dict[str, str]:
    """A metric's names for a reader (``en``, ``ru``, ``ru_acc``): rates say what they divide.

    Examples
    --------
    >>> metric_names("conversion", "purchase")["en"]
    'conversion to purchase (buyers / users in the group)'
    >>> metric_names("conversion", "purchase")["ru_acc"]
    'конверсию в покупку (покупатели / пользователи группы)'
    >>> metric_names("conversion:add_to_cart")["ru"]
    'конверсия в событие «add_to_cart» (дошедшие до него / пользователи группы)'
    """
    spec = METRICS.get(metric, {"en": metric, "ru": metric})
    en, ru, ru_acc = spec["en"], spec["ru"], spec.get("ru_acc", spec["ru"])
    event = metric.split(":", 1)[1] if metric.startswith("conversion:") else None
    if metric == "conversion" and goal and goal not in ("revenue", "orders"):
        event = goal
    if event in _GOAL_NAMES:
        who_en, what_ru, who_ru = _GOAL_NAMES[event]
        en = f"conversion to {event} ({who_en} / users in the group)"
        ru = f"конверсия в {what_ru} ({who_ru} / пользователи группы)"
        ru_acc = f"конверсию в {what_ru} ({who_ru} / пользователи группы)"
    elif event:
        en = f'conversion to "{event}" (users who reached it / users in the group)'
        ru = f"конверсия в событие «{event}» (дошедшие до него / пользователи группы)"
        ru_acc = f"конверсию в событие «{event}» (дошедшие до него / пользователи группы)"
    return {"en": en, "ru": ru, "ru_acc": ru_acc}
