"""The engagement chapter's shared words: what it needs, the intro and the change cells.

Sentences are written in English and translated through gettext (Russian in
``locale/ru/LC_MESSAGES/engagement.po``); numbers are drawn by
:mod:`funnelkit.core.formatting`. Nothing here computes a statistic.
"""

from __future__ import annotations

from functools import partial

import pandas as pd
from babel.dates import format_skeleton

from ...core.formatting import format_date, format_number, format_p, format_value
from ...core.i18n import babel_locale, gettext
from ...metrics.compare import NO_EARLIER, no_earlier_text

__all__ = [
    "NEEDS",
    "NEEDS_EMAIL",
    "NEEDS_SOCIAL",
    "NEXT_EMAIL",
    "NEXT_SOCIAL",
    "day_text",
    "interval_text",
    "intro_text",
    "period_text",
    "rate_change_text",
    "verdict_text",
]

#: The note of a client with neither table (the notebook run directly on such a client).
NEEDS = (
    "This chapter needs a **social** export (posts or daily totals of a page or community: "
    "Meta Business Suite for Facebook and Instagram, VK's community statistics) or an "
    "**email** export (campaign reports of Mailchimp, Unisender or SendPulse). Add one under "
    "`data:` in client.yaml (docs/data.md lists the columns)."
)
#: The note of the social section when the client has no social table.
NEEDS_SOCIAL = (
    "No social-network export was given. This section would show the reach, interactions and "
    "engagement rate (interactions / reach) of each network, the mix of likes, comments and "
    "shares, and the best and weakest posts. Meta Business Suite's post export (Facebook, "
    "Instagram) or VK's community statistics give it, as `data.social` in client.yaml."
)
#: The note of the e-mail section when the client has no email table.
NEEDS_EMAIL = (
    "No e-mail export was given. This section would show the delivery, open, click-through and "
    "unsubscribe rates of the campaigns against the period before, each campaign's rates and "
    "their trend. A campaign report of Mailchimp or Unisender gives it, as `data.email` in "
    "client.yaml."
)

#: What to do with the social section.
NEXT_SOCIAL = (
    "**Social:** make more posts like the best ones above (their subject, format and day) and "
    "fewer like the weakest; where likes make up most of the mix, ask a question or give a "
    "reason to share. Compare next month's engagement rate per network, not the total reach."
)
#: What to do with the e-mail section.
NEXT_EMAIL = (
    "**E-mail:** judge campaigns by their click rate rather than the open rate. Where a rate "
    "falls from campaign to campaign, test the subject lines and the sending day, and take out "
    "the addresses that have bounced or not clicked for months; watch the unsubscribe rate when "
    "sending more often."
)

#: How a verdict of :func:`funnelkit.metrics.compare.compare_periods` reads in a table.
_VERDICTS = {
    "better": "significantly better",
    "worse": "significantly worse",
    "no significant change": "no significant change",
    "no change": "no change",
    "not comparable": "not comparable",
    "better (not tested)": "better (not tested)",
    "worse (not tested)": "worse (not tested)",
}


def day_text(value: object, language: str) -> str:
    r"""A day of the period in a narrow table cell: no year (the intro gives the period), no break.

    Examples
    --------
    >>> day_text("2026-10-02", "en"), day_text("2026-10-02", "ru")
    ('Oct\xa02', '2\xa0окт.')
    """
    if value is None or pd.isna(value):
        return "–"
    day = pd.Timestamp(value).date()
    return format_skeleton("MMMd", day, locale=babel_locale(language)).replace(" ", "\xa0")


def period_text(start: object, end: object, language: str) -> str:
    """The period as a reader writes it: ``1 Oct 2026 – 31 Oct 2026``.

    Examples
    --------
    >>> period_text("2026-10-01", "2026-10-31", "en")
    '1 Oct 2026 – 31 Oct 2026'
    """
    return f"{format_date(start, language)} – {format_date(end, language)}"


def intro_text(social: bool, email: bool, period: str, language: str) -> str:
    """What engagement means here, which rate divides what, and the period.

    Examples
    --------
    >>> intro_text(True, False, "1 Oct 2026 – 31 Oct 2026", "en")[:40]
    '**Engagement** is what people do with wh'
    """
    _ = partial(gettext, language=language)
    parts = [_(
        "**Engagement** is what people do with what the client publishes or sends: the "
        "interactions on social posts (likes, comments and shares; clicks on a post are shown "
        "apart) and the opens and clicks of e-mails. Every rate below is named by what it "
        "divides, and is compared with the period before of the same length (this period: "
        "{period})."
    ).format(period=period)]  # fmt: skip
    if social:
        parts.append(_(
            "- **Engagement rate** of a post or a network = interactions (likes + comments + "
            "shares) / reach (accounts that saw it). Reach is added up over the posts, so a "
            "person who saw two posts counts twice, and the rate is interactions per account "
            "reached rather than a share of people."
        ))  # fmt: skip
    if email:
        parts.append(_(
            "- **Open rate** = recipients who opened / messages delivered; **click rate** "
            "(click-through) = recipients who clicked a link / messages delivered; "
            "**click-to-open rate** = recipients who clicked / recipients who opened; "
            "**unsubscribe rate** = unsubscribes / delivered; **delivery rate** = delivered / "
            "recipients (the addresses a campaign was sent to); **bounce rate** = bounces / "
            "recipients."
        ))  # fmt: skip
    return "\n".join(parts)


def verdict_text(verdict: object, language: str) -> str:
    """A verdict of ``compare_periods`` in words ("significantly worse", "no earlier data").

    Examples
    --------
    >>> verdict_text("worse", "en"), verdict_text("no earlier data", "ru")
    ('significantly worse', 'нет данных за прошлый период')
    """
    if verdict == NO_EARLIER:
        return no_earlier_text(language)
    if not isinstance(verdict, str) or not verdict:
        return "–"
    return gettext(_VERDICTS.get(verdict, verdict), language)


def interval_text(low: float, high: float, language: str, unit: str = "share") -> str:
    r"""A 95% interval as ``28.0% – 34.5%``, or an en dash without one.

    Examples
    --------
    >>> interval_text(0.28, 0.345, "en"), interval_text(float("nan"), 0.3, "en")
    ('28.0% – 34.5%', '–')
    """
    if pd.isna(low) or pd.isna(high):
        return "–"
    first = format_value(low, unit, language=language)
    return f"{first} – {format_value(high, unit, language=language)}"


def rate_change_text(change: float, language: str) -> str:
    r"""A change of a rate in percentage points, or an en dash.

    Examples
    --------
    >>> rate_change_text(-0.012, "en"), rate_change_text(None, "en")
    ('−1.2 pp', '–')
    """
    if change is None or pd.isna(change):
        return "–"
    return format_number(change, "points", language=language)


def p_text(p_value: float, language: str) -> str:
    r"""A p-value for a sentence: ``p = 0.012`` / ``p < 0.001``, with no-break spaces.

    Examples
    --------
    >>> p_text(0.0123, "en"), p_text(0.0001, "en")  # kept on one line
    ('p\xa0=\xa00.012', 'p\xa0<\xa00.001')
    """
    return f"p {format_number(p_value, 'p', language=language)}".replace(" ", "\xa0")


def p_cell(p_value: float, language: str) -> str:
    """A p-value in a table cell (``0.031``, ``< 0.001``, ``–``)."""
    return format_p(p_value, language=language)
