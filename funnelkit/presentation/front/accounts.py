"""The front page's findings from the accounts chapter (05): stalled accounts and groups that lag.

Read from the chapter's saved results (``results["accounts"]``), like every other finding:

- **engaged target accounts with no opportunity** (``stalled_worth``): worth the chapter's stated
  scenario — the stalled accounts moving on at the period's opportunity and win rates, at the
  mean value of a won account (:func:`funnelkit.funnel.accounts.stalled_worth`), with its
  interval;
- **a tier, channel or industry doing worse** at a step of the account funnel (a significant test
  flagged ``under``): not priced, listed with the chapter's words and what to do.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...core.formatting import format_number
from ...core.i18n import gettext

__all__ = ["account_findings"]


def _stalled(accounts: Mapping[str, Any], language: str) -> list[dict]:
    worth = accounts.get("stalled_worth") or {}
    n = accounts.get("stalled_accounts") or 0
    if not n:
        return []
    title = gettext("{n} engaged target accounts have no sales opportunity yet", language).format(
        n=format_number(n, "count", language=language)
    )
    action = gettext(
        "Hand their list ({file}) to sales this week, the most engaged first.", language
    ).format(file=accounts.get("stalled_file") or "")
    return [
        {
            "kind": "accounts",
            "key": "accounts:stalled",
            "title": title,
            "action": action,
            "worth": worth.get("worth"),
            "worth_low": worth.get("worth_low"),
            "worth_high": worth.get("worth_high"),
            "link": "accounts",
            "stage": "consideration",
        }
    ]


def _lagging(accounts: Mapping[str, Any]) -> list[dict]:
    rows = []
    for found in accounts.get("significant_segments") or []:
        if found.get("flag") != "under" or not found.get("title"):
            continue
        rows.append(
            {
                "kind": "accounts",
                "key": f"accounts:{found['column']}:{found['segment']}:{found['step']}",
                "title": found["title"],
                "action": found.get("action") or "",
                "worth": None,
                "worth_low": None,
                "worth_high": None,
                "link": "accounts",
                "stage": "purchase"
                if found.get("step") in ("opportunity", "won")
                else ("consideration"),
            }
        )
    return rows


def account_findings(accounts: Mapping[str, Any] | None, *, language: str = "en") -> list[dict]:
    """The accounts chapter's findings as front-page rows (see the module docstring).

    Examples
    --------
    >>> results = {"stalled_accounts": 3, "stalled_file": "audience_stalled_accounts.csv",
    ...     "stalled_worth": {"worth": 900.0, "worth_low": 100.0, "worth_high": 2000.0},
    ...     "significant_segments": [{"column": "tier", "segment": "3", "step": "engaged",
    ...         "flag": "under", "title": "Tier 3 accounts engage less often: 20% vs 46%",
    ...         "action": "Reach them with content made for them."}]}
    >>> [(row["key"], row["worth"]) for row in account_findings(results)]
    [('accounts:stalled', 900.0), ('accounts:tier:3:engaged', None)]
    """
    if not accounts or not accounts.get("available", True):
        return []
    return [*_stalled(accounts, language), *_lagging(accounts)]
