"""The predicted customer value's lead paragraphs: a new customer, the current ones, the caveats.

Reads the plain values of :func:`.clv_text.clv_parts` and writes, in the report's language:

1. what a **new customer** is worth by the model (first order + the repeat purchases expected
   over the horizon), the figure that compares with the articles' simple formula;
2. when the forecast is only indicative, why (the caveat codes of
   :func:`funnelkit.value.checks.caveats`, plus a holdout check that missed);
3. what the **current customers** are expected to bring (purchases still to come only);
4. the model in one paragraph and its assumptions, each checked on the data;
5. the simple formula's CLV beside the model's new-customer value, and why they differ.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from ...core.formatting import format_count, format_decimal, format_number
from ...core.i18n import gettext

__all__ = ["assumption_lines", "caveat_lines", "clv_text"]


def assumption_lines(parts: dict[str, Any], language: str) -> list[str]:
    """What the model assumes, each checked on the data, as sentences."""
    _ = partial(gettext, language=language)
    share = partial(format_number, unit="share", language=language)
    count = partial(format_count, language=language)
    lines = []
    check = parts["check"]
    if check is None:
        lines.append(_("The spend model assumes that how much a customer spends per order does "
                       "not depend on how often they buy; too few customers bought again to "
                       "check it."))  # fmt: skip
    else:
        verdict = (
            _("weak, so the assumption holds")
            if check["independent"]
            else _("not weak, so the assumption fails and the spend per customer is less reliable")
        )
        lines.append(_("The spend model assumes that how much a customer spends per order does "
                       "not depend on how often they buy: among the customers who bought again "
                       "({n}), the correlation between the two is {r} ({verdict}).").format(
            n=count(check["n"]), r=format_decimal(check["r"], 2, language),
            verdict=verdict))  # fmt: skip
    repeat, customers = parts["repeat_buyers"], parts["customers"]
    ratio = repeat / customers if customers else 0.0
    text = _("{repeat} of the {n} customers ({share}) bought more than once; the spend model "
             "learns from them.").format(repeat=count(repeat), n=count(customers),
                                         share=share(ratio))  # fmt: skip
    if repeat < 100:
        text += " " + _("They are few, so the spend estimate is rough.")
    lines.append(text)
    if parts["dropout"] is not None:
        lines.append(_("The purchase model finds that customers do not differ in how likely "
                       "they are to stop: after each repeat purchase a customer stops buying "
                       "with a probability of {p}.").format(p=share(parts["dropout"])))  # fmt: skip
    if not parts["converged"]:
        lines.append(_("The fit did not settle on one answer: read the predicted value as "
                       "indicative only."))  # fmt: skip
    return lines


def _interval(parts: dict[str, Any], money, _) -> str:
    if parts.get("low") is not None and parts.get("high") is not None:
        text = _("95% interval {low} to {high}, from the uncertainty of the model's estimates")
        return text.format(low=money(parts["low"]), high=money(parts["high"]))
    return _("no interval: the uncertainty of the estimates could not be measured")


def caveat_lines(parts: dict[str, Any], language: str) -> list[str]:
    """Why the model's figures are only indicative, one sentence per caveat (empty: none)."""
    _ = partial(gettext, language=language)
    codes = parts.get("caveats", [])
    said = []
    if "short_history" in codes:
        text = _("the order history goes back {history} weeks, and the forecast reaches {weeks} "
                 "weeks ahead, more than twice as far;")  # fmt: skip
        said.append(text.format(
            history=format_decimal(parts.get("history_weeks") or 0.0, 1, language),
            weeks=format_count(parts["horizon_weeks"], language)))  # fmt: skip
    if "not_converged" in codes:
        said.append(_("the model's fit did not settle on one answer;"))
    if "few_repeat_buyers" in codes:
        text = _("only {repeat} customers bought more than once, too few for the model to "
                 "learn from;")  # fmt: skip
        said.append(text.format(repeat=format_count(parts["repeat_buyers"], language)))
    if "holdout_miss" in codes:
        text = _("fitted on the earlier weeks only, it missed the later weeks' repeat purchases "
                 "by {miss} (the check below);")  # fmt: skip
        miss = abs(parts.get("holdout_error") or 0.0)
        said.append(text.format(miss=format_number(miss, "share", language=language)))
    return said


def clv_text(parts: dict[str, Any], language: str, currency: str) -> str:
    """The new customer's value, the caveats, the current customers, the model, the formula."""
    _ = partial(gettext, language=language)
    money = partial(format_number, unit="money", language=language, currency=currency)
    weeks = format_count(parts["horizon_weeks"], language)
    if parts["margin"] < 1:
        what = _("gross profit (revenue × the gross margin of {margin})").format(
            margin=format_number(parts["margin"], "share", language=language))  # fmt: skip
    else:
        what = _("revenue (no gross margin is set for this client)")
    lines = []
    new = parts.get("new")
    if new and new.get("value") is not None:
        lines.append(
            _("**A new customer is worth {value}** of {what} by the model ({interval}): their "
              "first order, {first}, plus {purchases} repeat purchases expected over the next "
              "{weeks} weeks at {spend} each.").format(
                value=money(new["value"]), what=what, interval=_interval(new, money, _),
                first=money(new["first_order"]), weeks=weeks,
                purchases=format_decimal(new["repeat_purchases"], 2, language),
                spend=money(new["repeat_spend"]))
        )  # fmt: skip
    caveats = caveat_lines(parts, language)
    if caveats:
        lines.append(_("**Read the model's figures as indicative**, because") + "\n\n"
                     + "\n".join(f"- {line}" for line in caveats))  # fmt: skip
    mean = parts["mean"]
    lines.append(
        _("**The current customers** ({n}) are expected to bring **{mean}** each on average "
          "over the next {weeks} weeks, {total} in all ({interval} for the average), counting "
          "only purchases still to come.").format(
            n=format_count(parts["customers"], language), mean=money(mean), weeks=weeks,
            total=money(mean * parts["customers"]), interval=_interval(parts, money, _))
    )  # fmt: skip
    lines += [
        _("**The model.** Two parts, fitted to every customer's order history. The first (BG/NBD) "
          "says how often a customer buys and how likely they are to have stopped: customers "
          "differ in how often they buy, and after each purchase a customer may drop out for "
          "good. The second (Gamma-Gamma) says how much a customer spends per order: customers "
          "differ in their usual order value, and one order varies around it. A customer's "
          "value is the purchases expected in the next weeks times the spend expected per "
          "purchase."),
        _("**What the model assumes, checked on this client's data:**") + "\n\n"
        + "\n".join(f"- {line}" for line in assumption_lines(parts, language)),
    ]  # fmt: skip
    if parts["simple"] is not None:
        lines.append(_simple_text(parts, money, language))
    return "\n\n".join(lines)


def _simple_text(parts: dict[str, Any], money, language: str) -> str:
    """The simple formula's CLV set against the model's value of a new customer."""
    _ = partial(gettext, language=language)
    text = _("**The simple formula** of the source articles (purchases per year × average order "
             "value × lifetime, the lifetime being 1 / churn) gives **{simple}** per "
             "customer.").format(simple=money(parts["simple"]))  # fmt: skip
    new = (parts.get("new") or {}).get("value")
    if new is None:
        return text
    return (
        text
        + " "
        + _(
            "Like the model's {new} for a new customer, it counts a customer from the first order "
            "on; it assumes every customer keeps buying at this period's average rate until the "
            "end of an average lifetime, while the model lets each customer's rate differ, counts "
            "the chance that a customer has already stopped, and stops at {weeks} weeks."
        ).format(new=money(new), weeks=format_count(parts["horizon_weeks"], language))
    )
