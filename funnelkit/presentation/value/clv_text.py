"""The predicted customer value in words: the model, its checks, the simple formula beside it.

Reads the result of :func:`funnelkit.value.clv.customer_value` (and of ``holdout_check`` and
``value_by_channel``) without computing anything: the mean CLV and its interval, the fitted
parameters, the assumption checks and the simple formula's CLV are written as sentences in the
report's language (Russian in ``locale/ru/LC_MESSAGES/value.po``).
"""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from ...core.formatting import format_count, format_date, format_decimal, format_number
from ...core.i18n import gettext

__all__ = [
    "MODEL",
    "assumption_lines",
    "attribution_text",
    "audience_text",
    "clv_parts",
    "clv_results",
    "clv_text",
    "holdout_frame",
    "holdout_results",
    "holdout_text",
    "intro_text",
    "missing_text",
    "no_channels_text",
]

#: The model's name, as the results and the front page give it.
MODEL = "BG/NBD + Gamma-Gamma"


def _get(obj: Any, *names: str) -> Any:  # the holdout check's result is still being written
    """The first of ``names`` that ``obj`` has (attribute or key), else None."""
    for name in names:
        if isinstance(obj, dict) and name in obj:
            return obj[name]
        if not isinstance(obj, dict) and hasattr(obj, name):
            return getattr(obj, name)
    return None


def _float(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if np.isfinite(number) else None


def intro_text(customers: str, weeks: int, language: str) -> str:
    """What CLV is, the two ways to get it, and which number comes from which."""
    return gettext(
        "**Customer lifetime value (CLV)** is what a customer brings over a stated time: revenue, "
        "or gross profit when the client's gross margin is known. "
        "This chapter gives it two ways. The **simple formula** of the source articles multiplies "
        "the average order value by the orders per customer and by an expected lifetime of 1 / "
        "churn (this period's): quick, but the same for every customer. The **model** follows "
        "each of "
        "the {customers} customers' own purchases: how often they buy, how likely they are to "
        "have stopped buying, and how much they spend per order, and adds up what each is "
        "expected to bring in the next {weeks} weeks. Every CLV below says which of the two it "
        "comes from.",
        language,
    ).format(customers=customers, weeks=format_count(weeks, language))


def missing_text(problem: str | None) -> str:
    """The note shown when the predicted CLV cannot be given (not yet available or not fitted)."""
    if problem == "not installed" or problem is None:
        return (
            "The predicted customer value (the purchase and spend models) is not available in "
            "this version of the kit; the cohorts and segments below do not depend on it."
        )
    return (
        "The purchase and spend models could not be fitted on this client's orders (too few "
        "customers who bought more than once, or too short a history), so no predicted customer "
        "value is given; the cohorts and segments below do not depend on it."
    )


def clv_parts(value: Any, check: pd.DataFrame | None = None) -> dict[str, Any]:
    """The numbers of a :class:`funnelkit.value.clv.CustomerValue` the chapter shows, by name.

    ``check`` is :func:`funnelkit.value.spend_frequency_check` on the repeat buyers (None when
    it could not be run).
    """
    rows = value.totals.set_index("quantity")
    mean = rows.loc["clv_mean"]
    methods = value.comparison.set_index("method")["value"] if len(value.comparison) else {}
    simple = [v for m, v in dict(methods).items() if str(m).startswith("simple")]
    fits = pd.concat([value.purchases.table(), value.spend.table()], ignore_index=True)
    return {
        "mean": _float(mean["value"]),
        "low": _float(mean["ci_low"]),
        "high": _float(mean["ci_high"]),
        "simple": _float(simple[0]) if simple else None,
        "horizon_weeks": float(value.horizon_weeks),
        "margin": float(value.margin),
        "customers": int(rows.loc["customers", "value"]),
        "repeat_buyers": int(rows.loc["repeat_buyers", "value"]),
        "converged": bool(value.purchases.converged and value.spend.converged),
        "dropout": _dropout(value.purchases),
        "check": None if check is None or check.empty else check.iloc[0].to_dict(),
        "fits": fits[["model", "parameter", "estimate", "se"]],
        "model": MODEL,
    }


def _dropout(purchases: Any) -> float | None:
    """The common dropout probability when BG/NBD finds no spread in it, else None."""
    a, b = float(purchases["a"]), float(purchases["b"])
    return a / (a + b) if min(a, b) > 1e3 else None


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


def clv_text(parts: dict[str, Any], language: str, currency: str) -> str:
    """The mean predicted CLV, the model in one paragraph, its checks and the simple formula."""
    _ = partial(gettext, language=language)
    money = partial(format_number, unit="money", language=language, currency=currency)
    if parts["margin"] < 1:
        what = _("gross profit (revenue × the gross margin of {margin})").format(
            margin=format_number(parts["margin"], "share", language=language))  # fmt: skip
    else:
        what = _("revenue (no gross margin is set for this client)")
    if parts["low"] is not None and parts["high"] is not None:
        low, high = money(parts["low"]), money(parts["high"])
        interval = _("95% interval {low} to {high}, from the uncertainty of the model's "
                     "estimates").format(low=low, high=high)  # fmt: skip
    else:
        interval = _("no interval: the uncertainty of the estimates could not be measured")
    lines = [
        _("**Predicted customer value (model):** a customer is expected to bring **{mean}** "
          "of {what} over the next {weeks} weeks on average ({interval}).")
        .format(mean=money(parts["mean"]), what=what, interval=interval,
                weeks=format_count(parts["horizon_weeks"], language)),
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
        lines.append(
            _("**The simple formula** of the source articles (purchases per year × average "
              "order value × lifetime) gives **{simple}** per customer. The two differ because "
              "the simple formula assumes every customer keeps buying at this period's average "
              "rate for 1 / churn periods, while the model lets each customer's rate differ, "
              "counts the "
              "chance that a customer has already stopped buying, and counts only purchases "
              "still to come.").format(simple=money(parts["simple"]))
        )  # fmt: skip
    return "\n\n".join(lines)


def holdout_frame(holdout: Any) -> pd.DataFrame | None:
    """The buckets of a :class:`funnelkit.value.holdout.HoldoutCheck` that hold customers."""
    frame = getattr(holdout, "by_frequency", None)
    if not isinstance(frame, pd.DataFrame) or frame.empty:
        return None
    return frame[frame["customers"] > 0].reset_index(drop=True)


def holdout_text(holdout: Any, language: str, config: Any = None) -> str:
    """The holdout totals in one sentence: the split, predicted and actual repeat purchases."""
    totals = getattr(holdout, "totals", None)
    if not isinstance(totals, pd.DataFrame) or totals.empty:
        return ""
    row = totals.iloc[0]
    number = partial(format_number, unit="number", language=language)
    return gettext(
        "Fitted on the orders up to {calibration} only, the model expected the {n} customers "
        "of that time to make **{predicted}** repeat purchases in the {weeks} weeks up to "
        "{end}; they made **{actual}**.",
        language,
    ).format(
        calibration=format_date(row["calibration_end"], language),
        n=format_count(row["customers"], language),
        predicted=number(row["predicted"]),
        weeks=format_decimal(row["holdout_weeks"], 1, language),
        end=format_date(row["holdout_end"], language),
        actual=number(row["actual"]),
    )


def holdout_results(holdout: Any) -> dict[str, Any] | None:
    """The holdout check as plain values (None when it was not run)."""
    if holdout is None:
        return None
    return {"totals": holdout.totals, "by_frequency": holdout.by_frequency}


def audience_text(files: int, wanted: bool, language: str) -> str:
    """Where the segments' customer lists are (never in the report itself)."""
    if not wanted:
        return gettext(
            "One list of customers per segment is written next to the report when the report "
            "is built, as `audience_rfm_<segment>.csv`; the customers' ids are never shown here.",
            language,
        )
    return gettext(
        "**{n}** lists of customers, one per segment, are next to the report as "
        "`audience_rfm_<segment>.csv` (customer id, days since the last order, orders, "
        "revenue); the customers' ids are never shown here. Hand them to whoever runs the "
        "e-mail and advertising campaigns.",
        language,
    ).format(n=format_count(files, language))


def no_channels_text(spend: bool, model: bool, available: bool = True) -> str:
    """Why there is no value by channel."""
    if not available:
        return "The value by channel is not available in this version of the kit."
    if not model:
        return "The value by channel needs the predicted customer value, which is not available."
    if not spend:
        return (
            "The value by channel needs the marketing spend per channel (a `spend` table), to "
            "set the cost of a customer against their value."
        )
    return "No channel brought customers with a predicted value in this data."


#: How a customer's acquisition channel is chosen, per attribution rule.
_RULES = {
    "first_touch": "Each customer counts for the channel of their **first touch** (first-touch "
    "attribution; the channel of their first order when no touch is known).",
    "last_touch": "Each customer counts for the channel their first order is credited to "
    "(last-touch attribution).",
    "first_order": "Each customer counts for the channel recorded on their **first order**.",
}


def attribution_text(channels: pd.DataFrame, weeks: int, language: str) -> str:
    """The attribution rule of the value by channel, and what each column divides."""
    rule = str(channels["attribution"].iloc[0]) if "attribution" in channels else "first_touch"
    return (
        gettext(_RULES.get(rule, _RULES["first_touch"]), language)
        + " "
        + gettext(
            "New customers are those whose first order fell in the analysis period. CAC is the "
            "channel's spend in the period divided by its new customers; LTV:CAC divides the "
            "mean predicted CLV of those new customers by the CAC (above 1: a new customer is "
            "expected to bring back more than they cost within {weeks} weeks); payback is the "
            "months a new customer takes to bring back the CAC at the predicted rate.",
            language,
        ).format(weeks=format_count(weeks, language))
    )


def clv_results(parts: dict[str, Any] | None, problem: str | None) -> dict[str, Any]:
    """The predicted and simple CLV as plain values for ``save_results``."""
    if parts is None:
        return {"available": False, "reason": problem or "not available"}
    return {
        "available": True,
        "model": parts["model"],
        "horizon_weeks": parts["horizon_weeks"],
        "mean_clv": parts["mean"],
        "mean_clv_low": parts["low"],
        "mean_clv_high": parts["high"],
        "simple_clv": parts["simple"],
        "margin": parts["margin"],
        "customers": parts["customers"],
        "repeat_buyers": parts["repeat_buyers"],
        "spend_frequency_check": parts["check"],
        "parameters": parts["fits"],
    }
