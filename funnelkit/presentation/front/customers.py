"""The front page's customer value: a new customer's predicted value, and customers slipping away.

Read from the customer-value chapter's saved results (``results["value"]``, chapter 06), like
every other front-page figure; nothing is recomputed here:

- **the value of a new customer** (``value["clv"]["new_customer_clv"]`` with its 95% interval):
  the first order plus the purchases the model (BG/NBD + Gamma-Gamma) expects over the next
  ``horizon_weeks`` — the figure comparable with chapter 01's simple formula. It has no "before"
  (the model is fitted on this report's history only); when the chapter found a caveat
  (``reliable`` False) the card says the figure is indicative and why;
- **customers who used to buy often but stopped** (the RFM segments ``at_risk`` and
  ``cant_lose_them``): an unpriced finding with the segments' own action, linked to the
  chapter's segment section (``link`` ``value:segments``; the chapter's anchor when the section's
  own is not given).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...core.formatting import format_count, format_number
from ...core.i18n import gettext

__all__ = ["CAVEAT_WORDS", "SLIPPING_SEGMENTS", "model_clv_kpi", "segment_findings"]

#: Why a predicted value is only indicative, by the chapter's caveat code (translated).
CAVEAT_WORDS = {
    "short_history": "the history is short",
    "not_converged": "the model's fit did not settle",
    "few_repeat_buyers": "few customers bought more than once",
    "holdout_miss": "it missed the weeks held out to check it",
}
#: The RFM segments of customers who used to buy often and have not ordered for a long time.
SLIPPING_SEGMENTS = ("at_risk", "cant_lose_them")


def _value(results: Mapping[str, Any]) -> Mapping[str, Any]:
    """The customer-value chapter's results (``results[...]["value"]``), empty without them."""
    for found in results.values():
        if isinstance(found, Mapping) and isinstance(found.get("value"), Mapping):
            return found["value"]
    return {}


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number == number and abs(number) != float("inf") else None


def indicative_words(caveats: Any, language: str = "en") -> str:
    """Why the figure is indicative, in a few words (``"indicative: …"``).

    Examples
    --------
    >>> indicative_words(["short_history", "holdout_miss"])
    'indicative: the history is short; it missed the weeks held out to check it'
    >>> indicative_words([])
    'indicative only'
    """
    reasons = [gettext(CAVEAT_WORDS[c], language) for c in caveats or [] if c in CAVEAT_WORDS]
    if not reasons:
        return gettext("indicative only", language)
    return gettext("indicative: {reasons}", language).format(reasons="; ".join(reasons))


def model_clv_kpi(
    results: Mapping[str, Any], *, language: str = "en", currency: str = "EUR"
) -> dict[str, Any] | None:
    """The headline card of a new customer's predicted value, or None without one.

    Columns as :func:`funnelkit.presentation.front.kpis.headline_kpis` (``previous`` is
    ``"–"`` and ``change`` empty: there is no before), plus ``interval`` (the 95% interval and
    whether the value is revenue or gross profit). An unreliable forecast is written ``≈ value``
    with its reason as the verdict (tone ``indicative``).

    Examples
    --------
    >>> clv = {"available": True, "model": "BG/NBD + Gamma-Gamma", "horizon_weeks": 52.0,
    ...     "new_customer_clv": 85.0, "new_customer_clv_low": 70.0,
    ...     "new_customer_clv_high": 101.0, "margin": 1.0, "reliable": True, "caveats": []}
    >>> row = model_clv_kpi({"06": {"value": {"clv": clv}}})
    >>> row["label"]
    'Value of a new customer (first order + next 52 weeks; model: BG/NBD + Gamma-Gamma)'
    >>> row["value"], row["interval"]
    ('€85.00', 'revenue; 95% interval €70.00 to €101')
    """
    value = _value(results)
    clv = value.get("clv")
    if not isinstance(clv, Mapping) or not clv.get("available"):
        return None
    point = _number(clv.get("new_customer_clv"))
    if point is None:
        return None

    def money(amount: float) -> str:
        return format_number(amount, "money", language=language, currency=currency)

    weeks = _number(clv.get("horizon_weeks")) or _number(value.get("horizon_weeks")) or 52.0
    label = gettext(
        "Value of a new customer (first order + next {weeks} weeks; model: {model})", language
    ).format(
        weeks=format_count(round(weeks), language),
        model=clv.get("model") or "BG/NBD + Gamma-Gamma",
    )
    margin = _number(clv.get("margin"))
    what = (
        gettext("gross profit", language)
        if margin is not None and margin < 1
        else gettext("revenue", language)
    )
    low, high = _number(clv.get("new_customer_clv_low")), _number(clv.get("new_customer_clv_high"))
    if low is not None and high is not None:
        what += "; " + gettext("95% interval {low} to {high}", language).format(
            low=money(low), high=money(high)
        )
    reliable = clv.get("reliable") is not False
    return {
        "metric": "new_customer_clv",
        "label": label,
        "value": money(point) if reliable else "≈ " + money(point),
        "previous": format_number(None, "money", language=language, currency=currency),
        "change": "",
        "direction": "flat",
        "tone": "neutral" if reliable else "indicative",
        "verdict": "" if reliable else indicative_words(clv.get("caveats"), language),
        "interval": what,
    }


def segment_findings(results: Mapping[str, Any], *, language: str = "en") -> list[dict]:
    """The unpriced finding on customers slipping away (at risk, can't lose them), or none.

    Examples
    --------
    >>> segments = [{"segment": "at_risk", "customers": 30, "revenue_share": 0.12,
    ...     "action": "Win them back with a personal offer."},
    ...     {"segment": "cant_lose_them", "customers": 0, "revenue_share": 0.0, "action": "x"}]
    >>> (row,) = segment_findings({"06": {"value": {"segments": segments}}})
    >>> row["title"].split("; ")[1]
    'they brought 12.0% of revenue'
    >>> row["worth"], row["link"]
    (None, 'value:segments')
    """
    value = _value(results)
    rows = [
        row
        for row in value.get("segments") or []
        if isinstance(row, Mapping)
        and row.get("segment") in SLIPPING_SEGMENTS
        and (_number(row.get("customers")) or 0) > 0
    ]
    if not rows:
        return []
    customers = sum(_number(row.get("customers")) or 0 for row in rows)
    share = sum(_number(row.get("revenue_share")) or 0 for row in rows)
    title = gettext(
        "{n} customers who used to buy often have not ordered for a long time; they brought "
        "{share} of revenue",
        language,
    ).format(
        n=format_number(customers, "count", language=language),
        share=format_number(share, "share", language=language),
    )
    actions = [  # each segment named, with its size and its own action, as one sentence
        "{name} ({n}): {action}.".format(
            name=str(row.get("name") or row.get("segment")),
            n=format_number(_number(row.get("customers")) or 0, "count", language=language),
            action=str(row["action"]).strip().rstrip("."),
        )
        for row in rows
        if str(row.get("action") or "").strip()
    ]
    return [
        {
            "kind": "customers",
            "key": "customers:slipping",
            "title": title,
            "action": " ".join(a for a in actions if a),
            "worth": None,
            "worth_low": None,
            "worth_high": None,
            "link": "value:segments",
            "stage": "retention",
        }
    ]
