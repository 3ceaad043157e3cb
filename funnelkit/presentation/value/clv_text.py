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
from ...value.checks import holdout_missed
from .headline import assumption_lines, clv_text

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


def clv_parts(
    value: Any, check: pd.DataFrame | None = None, *, holdout: Any = None
) -> dict[str, Any]:
    """The numbers of a :class:`funnelkit.value.clv.CustomerValue` the chapter shows, by name.

    ``check`` is :func:`funnelkit.value.spend_frequency_check` on the repeat buyers (None when
    it could not be run); ``holdout`` the :class:`funnelkit.value.holdout.HoldoutCheck` (None
    when it could not be run), whose miss counts among the caveats.
    """
    rows = value.totals.set_index("quantity")
    mean = rows.loc["clv_mean"]
    methods = value.comparison.set_index("method")["value"] if len(value.comparison) else {}
    simple = [v for m, v in dict(methods).items() if str(m).startswith("simple")]
    fits = pd.concat([value.purchases.table(), value.spend.table()], ignore_index=True)
    miss = _holdout_miss(holdout)
    caveats = list(getattr(value, "caveats", []))
    if miss is not None and holdout_missed(holdout.totals):
        caveats.append("holdout_miss")
    return {
        "mean": _float(mean["value"]),
        "low": _float(mean["ci_low"]),
        "high": _float(mean["ci_high"]),
        "new": _new_customer(getattr(value, "new_customer", None)),
        "simple": _float(simple[0]) if simple else None,
        "horizon_weeks": float(value.horizon_weeks),
        "history_weeks": _float(getattr(value, "history_weeks", None)),
        "margin": float(value.margin),
        "customers": int(rows.loc["customers", "value"]),
        "repeat_buyers": int(rows.loc["repeat_buyers", "value"]),
        "converged": bool(value.purchases.converged and value.spend.converged),
        "dropout": _dropout(value.purchases),
        "check": None if check is None or check.empty else check.iloc[0].to_dict(),
        "fits": fits[["model", "parameter", "estimate", "se"]],
        "model": MODEL,
        "caveats": caveats,
        "holdout_error": miss,
    }


def _holdout_miss(holdout: Any) -> float | None:
    """The holdout check's relative error (predicted / actual − 1), None without it."""
    totals = getattr(holdout, "totals", None)
    if not isinstance(totals, pd.DataFrame) or totals.empty or "error" not in totals:
        return None
    return _float(totals["error"].iloc[0])


def _new_customer(frame: pd.DataFrame | None) -> dict[str, float | None] | None:
    """A new customer's value and its parts (None when it was not computed)."""
    if not isinstance(frame, pd.DataFrame) or frame.empty:
        return None
    rows = frame.set_index("component")
    return {
        "value": _float(rows.loc["value", "value"]),
        "low": _float(rows.loc["value", "ci_low"]),
        "high": _float(rows.loc["value", "ci_high"]),
        "first_order": _float(rows.loc["first_order", "value"]),
        "repeat_purchases": _float(rows.loc["repeat_purchases", "value"]),
        "repeat_spend": _float(rows.loc["repeat_spend", "value"]),
    }


def _dropout(purchases: Any) -> float | None:
    """The common dropout probability when BG/NBD finds no spread in it, else None."""
    a, b = float(purchases["a"]), float(purchases["b"])
    return a / (a + b) if min(a, b) > 1e3 else None


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
        "new_customer_clv": (parts.get("new") or {}).get("value"),
        "new_customer_clv_low": (parts.get("new") or {}).get("low"),
        "new_customer_clv_high": (parts.get("new") or {}).get("high"),
        "new_customer": parts.get("new"),
        "simple_clv": parts["simple"],
        "margin": parts["margin"],
        "reliable": not parts.get("caveats"),
        "caveats": list(parts.get("caveats", [])),
        "history_weeks": parts.get("history_weeks"),
        "holdout_error": parts.get("holdout_error"),
        "customers": parts["customers"],
        "repeat_buyers": parts["repeat_buyers"],
        "spend_frequency_check": parts["check"],
        "parameters": parts["fits"],
    }
