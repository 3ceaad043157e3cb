"""The front page's findings from the engagement chapter (07): e-mail rates that keep falling.

Read from the chapter's saved results (``results["engagement"]["email"]["trend"]``): a rate whose
test for trend across the campaigns (Cochran–Armitage, as R's ``prop.trend.test``) says it fell
is a finding, not priced (what an open is worth is not known), with the first and last
campaign's rates and what to do. A rate that rose, or moved within chance, is not a finding.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...core.formatting import format_number
from ...core.i18n import gettext

__all__ = ["engagement_findings"]

#: Per falling rate: the title (naming what it divides) and what to do.
_FALLING = {
    "open_rate": (
        "The e-mail open rate (unique opens / delivered) fell across {n} campaigns: from "
        "{first} to {last}",
        "Test subject lines and sending times on part of the list, and stop mailing addresses "
        "that have not opened for months: they drag delivery down too.",
    ),
    "click_rate": (
        "The e-mail click-through rate (unique clicks / delivered) fell across {n} campaigns: "
        "from {first} to {last}",
        "Give each letter one offer and one button, and test it against the current layout on "
        "part of the list.",
    ),
}


def engagement_findings(
    engagement: Mapping[str, Any] | None, *, language: str = "en"
) -> list[dict]:
    """The engagement chapter's falling e-mail rates as front-page rows (unpriced).

    Examples
    --------
    >>> results = {"email": {"trend": {"open_rate": {"campaigns": 9, "first": 0.41,
    ...     "last": 0.36, "p_value": 0.001, "direction": "down"}, "click_rate": {
    ...     "campaigns": 9, "first": 0.03, "last": 0.031, "p_value": 0.6, "direction": "flat"}}}}
    >>> [row["title"] for row in engagement_findings(results)]
    ['The e-mail open rate (unique opens / delivered) fell across 9 campaigns: from 41.0% to 36.0%']
    """
    if not engagement or not engagement.get("available", True):
        return []
    trends = (engagement.get("email") or {}).get("trend") or {}
    rows = []
    for rate, (title, action) in _FALLING.items():
        trend = trends.get(rate) or {}
        if trend.get("direction") != "down":
            continue
        share = {"unit": "share", "language": language}
        rows.append(
            {
                "kind": "engagement",
                "key": f"engagement:email:{rate}",
                "title": gettext(title, language).format(
                    n=format_number(trend.get("campaigns"), "count", language=language),
                    first=format_number(trend.get("first"), **share),
                    last=format_number(trend.get("last"), **share),
                ),
                "action": gettext(action, language),
                "worth": None,
                "worth_low": None,
                "worth_high": None,
                "link": "engagement",
                "stage": "consideration",
            }
        )
    return rows
