"""The metrics chapter's sentences with numbers: how CLV was computed, and the settings used.

Plain words in the report's language (gettext, Russian in ``locale/ru/LC_MESSAGES/metrics.po``),
numbers drawn by :mod:`funnelkit.core.formatting`; each sentence states the arithmetic behind
its figures so that they cannot contradict the tables.
"""

from __future__ import annotations

import math
from functools import partial
from typing import Any

from ...core.formatting import format_count, format_number
from ...core.i18n import gettext
from .tables import decimal, percent

__all__ = ["MODEL", "clv_text", "model_text", "settings_text"]


#: The model chapter 06 predicts each customer's value with (named where a CLV is shown).
MODEL = "BG/NBD + Gamma-Gamma"


def model_text(language: str) -> str:
    """The sentence pointing from the simple formula to the customer-value chapter's model.

    Examples
    --------
    >>> model_text("en")[:60]
    'The customer-value chapter predicts CLV per customer with a '
    """
    return gettext(
        "The customer-value chapter predicts CLV per customer with a purchase model ({model}): "
        "from each customer's own orders rather than one average for everyone.",
        language,
    ).format(model=MODEL)


def clv_text(clv: dict[str, Any] | None, *, gross_margin: float | None, language: str,
             currency: str, has_orders: bool = False) -> str:  # fmt: skip
    """How CLV, LTV:CAC and payback were computed, with their numbers, in plain words.

    ``clv`` is the chapter's CLV summary (``clv, margin_per_customer, revenue_per_customer,
    lifetime_months, periods, period_days, retention, churn, source, cac, ltv_cac,
    payback_months, note``); ``gross_margin`` the client's setting (None: CLV is on revenue).
    The CLV is named by its method (the simple formula); ``has_orders`` (the client has orders,
    so the customer-value chapter runs) adds a sentence on the model that chapter uses.

    Examples
    --------
    >>> clv_text(None, gross_margin=None, language="en", currency="EUR")
    'CLV, simple formula (customer lifetime value) could not be estimated: no orders in the period.'
    """
    _ = partial(gettext, language=language)
    clv = clv or {}
    if not clv or not math.isfinite(clv.get("clv", math.nan)):
        text = _(
            "CLV, simple formula (customer lifetime value) could not be estimated: {why}."
        ).format(why=_(str(clv.get("note", "no orders in the period"))))
        return text + (" " + model_text(language) if has_orders else "")

    def money(value: float) -> str:
        return format_number(value, "money", language=language, currency=currency)

    values = {
        "clv": money(clv["clv"]),
        "per_customer": money(clv["margin_per_customer"]),
        "revenue": money(clv["revenue_per_customer"]),
        "margin": percent(gross_margin or 1.0, language),
        "months": decimal(clv["lifetime_months"], 1, language),
        "periods": decimal(clv["periods"], 2, language),
        "days": format_count(clv["period_days"], language),
        "retention": format_number(clv["retention"], "share", language=language),
        "churn": format_number(clv["churn"], "share", language=language),
    }
    if gross_margin:
        text = _("**CLV, simple formula (customer lifetime value) = {clv}** of gross margin per "
                 "customer: "
                 "gross margin per buyer in the period ({per_customer} = revenue per buyer "
                 "{revenue} × margin {margin})")  # fmt: skip
    else:
        text = _(
            "**CLV, simple formula (customer lifetime value) = {clv}** of revenue per customer "
            "(no gross margin is set): revenue per buyer in the period ({revenue})"
        )
    if clv["source"] == "retention":
        text += " " + _(
            "× the expected lifetime, {periods} periods of {days} days ≈ {months} months. "
            "Only {retention} of the previous period's customers ordered again (churn "
            "{churn}), so a customer is expected to stay 1 / churn = {periods} periods. "
            "This assumes every customer keeps coming back with that same chance and "
            "spends what this period's buyers spent."
        )
    else:
        text += " " + _(
            "× the lifetime set by the consultant, {months} months. This assumes customers "
            "keep buying at this period's pace for that long."
        )
    text = text.format(**values)
    ltv, payback, cac = clv.get("ltv_cac"), clv.get("payback_months"), clv.get("cac")
    if cac is not None and math.isfinite(cac) and ltv is not None and math.isfinite(ltv):
        more = {
            "cac": money(cac),
            "ratio": decimal(ltv, 1, language),
            "payback": decimal(payback, 1, language),
            "months": values["months"],
        }
        text += " " + _(
            "With CAC (the cost of winning a new customer) at {cac}, **LTV:CAC = {ratio}** "
            "(CLV / CAC) and the **payback** takes **{payback} months** of that margin (CAC "
            "/ monthly margin per customer = lifetime {months} months / LTV:CAC)."
        ).format(**more)
        if payback > clv["lifetime_months"]:
            text += " " + _("That is longer than a customer is expected to stay: on "
                            "average a new customer does not pay back.")  # fmt: skip
    if has_orders:
        text += " " + model_text(language)
    return text


def settings_text(settings: Any, *, language: str, currency: str) -> str:
    """The settings the numbers depend on (``client.config.metrics``), in one sentence.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> settings = SimpleNamespace(gross_margin=0.45, attribution="last_touch")
    >>> settings_text(settings, language="en", currency="EUR")  # doctest: +NORMALIZE_WHITESPACE
    'Channels are credited by **last-touch** attribution; money metrics use a gross margin of
    45% (ROMI, CLV and payback are on gross margin, not revenue); amounts are in EUR.'
    """
    _ = partial(gettext, language=language)
    if settings.gross_margin:
        margin = _(
            "a gross margin of {margin} (ROMI, CLV and payback are on gross margin, not revenue)"
        ).format(margin=percent(settings.gross_margin, language))
    else:
        margin = _("revenue (no gross margin set, so ROMI and CLV are on revenue)")
    attribution = _(settings.attribution.replace("_", "-"))
    return _(
        "Channels are credited by **{attribution}** attribution; money metrics use "
        "{margin}; amounts are in {currency}."
    ).format(attribution=attribution, margin=margin, currency=currency)
