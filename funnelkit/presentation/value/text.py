"""The customer-value chapter's tables and sentences, as a client reads them.

Each function turns a frame of :mod:`funnelkit.value` into text: words in the report's language
(gettext, Russian in ``locale/ru/LC_MESSAGES/value.po``), numbers drawn by
:mod:`funnelkit.core.formatting`, and every rate named by what it divides. The numbers
themselves are not changed.
"""

from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd
from babel.dates import format_skeleton

from ...core.formatting import format_count, format_number
from ...core.i18n import babel_locale, gettext

__all__ = [
    "NEEDS",
    "NEEDS_ORDERS",
    "NEXT_STEPS",
    "NEXT_STEPS_VISITS",
    "churn_sentences",
    "cohort_table",
    "month_words",
    "segments_table",
]

#: What the chapter needs, said when the client has no orders table.
NEEDS = (
    "This chapter needs an **orders** table (one row per order: `order_id`, `customer_id`, "
    "`timestamp`, `revenue`), so that each customer's purchases can be counted and valued. Add "
    "it under `data:` in client.yaml (docs/data.md lists the columns)."
)

#: What to do next, with orders (the segment lists) and with visits only.
NEXT_STEPS = (
    "Hand the segment lists to whoever runs the campaigns, start with the segments that bring the "
    "largest share of revenue, and compare the cohorts' return rates next month: a campaign for a "
    "second order shows first in month 1 of the newest cohort."
)
NEXT_STEPS_VISITS = (
    "Ask for the orders export (one row per order: `order_id`, `customer_id`, `timestamp`, "
    "`revenue`), so that the next report can value the customers and segment them. Until then, "
    "compare the week-1 return rate of the newest cohorts next month: a change to the site or a "
    "reminder campaign shows there first."
)

#: What the orders-based parts need, said when the client has events but no orders table.
NEEDS_ORDERS = (
    "The predicted customer value, the cohorts of first purchases, the customer segments and the "
    "value by channel need an **orders** table (one row per order: `order_id`, `customer_id`, "
    "`timestamp`, `revenue`); this client has none, so only the return rate of visitors, from "
    "the events table, is shown below. Add the orders table under `data:` in client.yaml "
    "(docs/data.md lists the columns)."
)


def month_words(value: object, language: str) -> str:
    """A cohort's month in words, capitalised (``August 2026`` / ``Август 2026 г.``)."""
    stamp = pd.Timestamp(value)
    text = format_skeleton("yMMMM", stamp.date(), locale=babel_locale(language))
    return text[:1].upper() + text[1:]


def cohort_table(
    wide: pd.DataFrame, sizes: pd.Series, unit: str, language: str, currency: str
) -> pd.DataFrame:
    """A heatmap frame as a table: the cohort, its customers, one column per month since.

    ``wide`` is :func:`funnelkit.value.heatmap_frame`; ``sizes`` the customers per cohort.
    Months not yet observed show "–".
    """
    _ = partial(gettext, language=language)
    rows = []
    for cohort, values in wide.iterrows():
        row = {
            _("First-purchase month"): month_words(cohort, language),
            _("Customers in the cohort"): format_count(sizes.get(cohort), language),
        }
        for period, value in values.items():
            header = _("Month {n}").format(n=int(period))
            row[header] = format_number(value, unit, language=language, currency=currency)
        rows.append(row)
    return pd.DataFrame(rows)


def churn_sentences(churn: pd.DataFrame, language: str) -> list[str]:
    """Each cohort's churn in the month after its first purchase, in words.

    ``churn`` is :func:`funnelkit.value.cohort_churn`; a cohort whose next month is not yet
    wholly observed says so instead of a number.
    """
    _ = partial(gettext, language=language)
    share = partial(format_number, unit="share", language=language)
    sentences = []
    for _i, row in churn.iterrows():
        month = month_words(row["cohort"], language)
        n = format_count(row["cohort_size"], language)
        if pd.isna(row.get("churn_1")):
            sentences.append(
                _(
                    "{month} ({n} new customers): the month after is not yet wholly observed, so "
                    "its churn is not stated."
                ).format(month=month, n=n)
            )
            continue
        text = _(
            "{month} ({n} new customers): **{churn}** placed no order in the month after "
            "(churn = customers without an order that month / customers of the cohort; 95% "
            "interval {low} to {high})."
        ).format(month=month, n=n, churn=share(row["churn_1"]), low=share(row["churn_1_low"]),
                 high=share(row["churn_1_high"]))  # fmt: skip
        if "churn_3" in row and pd.notna(row["churn_3"]):
            text += " " + _("Three months after: {churn}.").format(churn=share(row["churn_3"]))
        sentences.append(text)
    return sentences


def segments_table(
    segments: pd.DataFrame, rules: pd.DataFrame, language: str, currency: str
) -> pd.DataFrame:
    """The non-empty RFM segments: size, shares, means and what to do, in the language.

    ``segments`` is :func:`funnelkit.value.rfm_segments`; ``rules`` is
    :func:`funnelkit.value.segment_rules` in the report's language.
    """
    _ = partial(gettext, language=language)
    share = partial(format_number, unit="share", language=language)
    by = rules.set_index("segment")
    rows = []
    for _i, row in segments[segments["customers"] > 0].iterrows():
        rule = by.loc[row["segment"]]
        rows.append({
            _("Segment"): rule["name"],
            _("Who is in it"): rule["rule"],
            _("Customers"): format_count(row["customers"], language),
            _("Share of customers (segment / all customers)"): share(row["share"]),
            _("Share of revenue (segment / all revenue)"): share(row["revenue_share"]),
            _("Orders per customer"): format_number(row["mean_frequency"], "number",
                                                    language=language),
            _("Revenue per customer"): format_number(row["mean_monetary"], "money",
                                                     language=language, currency=currency),
            _("What to do"): rule["action"],
        })  # fmt: skip
    return pd.DataFrame(rows)


def _cell(value: object, unit: str, language: str, currency: str) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "–"
    if unit == "count":
        return format_count(value, language)
    return format_number(value, unit, language=language, currency=currency)


def channel_table(frame: pd.DataFrame, weeks: int, language: str, currency: str) -> pd.DataFrame:
    """Value by channel: customers, mean predicted CLV, new customers, CAC, LTV:CAC, payback.

    ``frame`` is :func:`funnelkit.value.channels.value_by_channel`; the spend columns show "–"
    where the channel has no spend.
    """
    _ = partial(gettext, language=language)
    rows = []
    for _i, row in frame.iterrows():
        channel = str(row["channel"])
        low = _cell(row["clv_ci_low"], "money", language, currency)
        high = _cell(row["clv_ci_high"], "money", language, currency)
        rows.append({
            _("Channel"): _("(unknown)") if channel == "(unknown)" else channel,
            _("Customers"): _cell(row["customers"], "count", language, currency),
            _("Mean predicted CLV, next {weeks} weeks (95% interval)").format(
                weeks=format_count(weeks, language)):
                f"{_cell(row['clv_mean'], 'money', language, currency)} ({low} – {high})",
            _("New customers in the period"): _cell(row["new_customers"], "count", language,
                                                    currency),
            _("Mean predicted CLV of the new customers"): _cell(row["clv_mean_new"], "money",
                                                                language, currency),
            _("Spend in the period"): _cell(row["spend"], "money", language, currency),
            _("CAC (spend / new customers)"): _cell(row["cac"], "money", language, currency),
            _("LTV:CAC (new customers' mean CLV / CAC)"): _cell(row["ltv_cac"], "number",
                                                                language, currency),
            _("Payback, months (CAC / monthly predicted value of a new customer)"): _cell(
                row["payback_months"], "number", language, currency),
        })  # fmt: skip
    return pd.DataFrame(rows)
