"""The e-mail section's tables and sentences, from the frames of :mod:`funnelkit.metrics.email`.

Words in the report's language (gettext, Russian in ``locale/ru/LC_MESSAGES/engagement.po``),
numbers by :mod:`funnelkit.core.formatting`; every rate named by what it divides. The numbers
are the metrics' (``compare_periods``, ``email_campaigns``, ``email_trend``), unchanged.
"""

from __future__ import annotations

from functools import partial

import pandas as pd

from ...core.formatting import format_count, format_number, format_value
from ...core.i18n import gettext
from ...metrics.compare import NO_EARLIER, no_earlier_text
from .text import day_text, interval_text, p_cell, p_text, rate_change_text, verdict_text

__all__ = [
    "CAVEAT",
    "RATES",
    "TREND_EXPLAINED",
    "campaigns_table",
    "rates_table",
    "trend_sentence",
    "with_interval",
]

#: The campaign rates of :func:`funnelkit.metrics.email.email_campaigns`: column -> header.
RATES = {
    "open_rate": "Open rate (opened / delivered)",
    "click_rate": "Click rate (clicked / delivered)",
    "click_to_open_rate": "Click-to-open (clicked / opened)",
    "unsubscribe_rate": "Unsubscribed / delivered",
    "bounce_rate": "Bounced / recipients",
}

#: A rate of ``email_trend`` as a sentence names it.
_RATE_WORDS = {
    "open_rate": "the open rate",
    "click_rate": "the click rate",
    "click_to_open_rate": "the click-to-open rate",
    "unsubscribe_rate": "the unsubscribe rate",
    "bounce_rate": "the bounce rate",
    "delivery_rate": "the delivery rate",
}

#: The opens caveat, said under the e-mail rates.
CAVEAT = (
    "**Opens are inflated.** Mail apps that pre-load images, above all Apple Mail with its Mail "
    "Privacy Protection, record an open for messages nobody read, so the open rate is higher than "
    "the share of people who read the e-mail, and it jumps when the share of such readers "
    "changes. Clicks are made by people: the click rate is the safer signal of interest."
)

#: The test for trend in plain words, said after the trend sentences.
TREND_EXPLAINED = (
    "The test for trend (Cochran–Armitage, as R's `prop.trend.test`) asks whether a rate moves "
    "steadily up or down from one campaign to the next, more than the chance differences between "
    "campaigns would explain; p is how often a trend at least this steep would appear if the "
    "rate were in truth the same for every campaign. A trend is called one when p is below 0.05."
)


def _share(value: float, language: str) -> str:
    return format_number(value, "share", language=language)


def rates_table(changes: pd.DataFrame, language: str) -> pd.DataFrame:
    """Each headline e-mail rate before and now, its 95% interval, the change and the verdict.

    ``changes`` is :func:`funnelkit.metrics.compare.compare_periods` on the e-mail rates.
    """
    _ = partial(gettext, language=language)
    rows = []
    for _i, row in changes.iterrows():
        earlier = row["verdict"] != NO_EARLIER
        rows.append({
            _("Rate"): str(row["name"]),
            _("Before"): format_value(row["previous_value"], "share", language=language)
            if earlier else no_earlier_text(language),
            _("Now"): format_value(row["value"], "share", language=language),
            _("95% interval (now)"): interval_text(row["ci_low"], row["ci_high"], language),
            _("Change"): rate_change_text(row["change"], language) if earlier else "–",
            _("p, adjusted"): p_cell(row["p_value_adjusted"], language),
            _("Verdict"): verdict_text(row["verdict"], language),
        })  # fmt: skip
    return pd.DataFrame(rows)


def with_interval(value: float, low: float, high: float, language: str) -> str:
    r"""A rate and its 95% interval in a narrow cell: ``40.0% (37.0–43.1%)``.

    Examples
    --------
    >>> with_interval(0.4, 0.37, 0.431, "en"), with_interval(0.4, 0.37, 0.431, "ru")
    ('40.0% (37.0–43.1%)', '40,0 % (37,0–43,1 %)')
    """
    if pd.isna(value):
        return "–"
    if pd.isna(low) or pd.isna(high):
        return _share(value, language)
    bare = _share(low, language).rstrip("%").rstrip("\xa0")
    return f"{_share(value, language)} ({bare}–{_share(high, language)})"


def campaigns_table(campaigns: pd.DataFrame, language: str) -> pd.DataFrame:
    """One row per campaign in send order: delivered and each rate (open and click with 95%)."""
    _ = partial(gettext, language=language)
    table = {
        _("Campaign"): [str(c) for c in campaigns["campaign"]],
        _("Sent"): [day_text(d, language) for d in campaigns["sent_at"]],
        _("Delivered"): [format_count(v, language) for v in campaigns["delivered"]],
    }
    for rate, header in RATES.items():
        if rate not in campaigns:
            continue
        if rate in ("open_rate", "click_rate"):
            cells = [with_interval(v, lo, hi, language) for v, lo, hi in zip(
                campaigns[rate], campaigns[f"{rate}_low"], campaigns[f"{rate}_high"],
                strict=True)]  # fmt: skip
        else:
            cells = [_share(v, language) for v in campaigns[rate]]
        table[_(header)] = cells
    return pd.DataFrame(table)


def rate_words(rate: str, language: str) -> str:
    """A rate of ``email_trend`` as a sentence names it ("the open rate").

    Examples
    --------
    >>> rate_words("click_rate", "en")
    'the click rate'
    """
    return gettext(_RATE_WORDS.get(rate, rate.replace("_", " ")), language)


def trend_sentence(trend: pd.Series, language: str) -> str:
    r"""One row of :func:`funnelkit.metrics.email.email_trend` as a sentence.

    Examples
    --------
    >>> row = pd.Series({"rate": "open_rate", "campaigns": 9, "first": 0.34, "last": 0.28,
    ...                  "p_value": 0.012, "direction": "down"})
    >>> print(trend_sentence(row, "en").replace("\xa0", " "))  # doctest: +NORMALIZE_WHITESPACE
    The open rate fell across the 9 campaigns, from 34.0% in the first to 28.0% in the last
    (test for trend, p = 0.012).
    """
    _ = partial(gettext, language=language)
    rate = rate_words(str(trend["rate"]), language)
    n = int(trend["campaigns"]) if pd.notna(trend["campaigns"]) else 0
    values = {
        "rate": rate, "Rate": rate[:1].upper() + rate[1:],
        "n": format_count(n, language),
        "first": _share(trend["first"], language), "last": _share(trend["last"], language),
        "p": p_text(trend["p_value"], language),
    }  # fmt: skip
    if pd.isna(trend["p_value"]):
        text = _("{Rate} cannot be tested for a trend: the test needs at least 3 campaigns with "
                 "deliveries, and there are {n}.")  # fmt: skip
    elif trend["direction"] == "up":
        text = _("{Rate} rose across the {n} campaigns, from {first} in the first to {last} in "
                 "the last (test for trend, {p}).")  # fmt: skip
    elif trend["direction"] == "down":
        text = _("{Rate} fell across the {n} campaigns, from {first} in the first to {last} in "
                 "the last (test for trend, {p}).")  # fmt: skip
    else:
        text = _("{Rate} shows no steady trend across the {n} campaigns ({first} in the first, "
                 "{last} in the last; test for trend, {p}).")  # fmt: skip
    return text.format(**values)
