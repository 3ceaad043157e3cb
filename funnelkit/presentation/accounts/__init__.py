"""The accounts chapter (account-based marketing): metrics, account funnel, stalled accounts.

``05_accounts`` shows it: :func:`review_accounts` computes everything once and
:class:`AccountsChapter` shows it piece by piece (``show_*``) and hands plain values to
``save_results`` (``to_results``).
"""

from .chapter import BREAKDOWNS, STALLED_FILE, AccountsChapter, review_accounts
from .plots import plot_account_funnel, plot_funnel_by

__all__ = [
    "BREAKDOWNS",
    "STALLED_FILE",
    "AccountsChapter",
    "plot_account_funnel",
    "plot_funnel_by",
    "review_accounts",
]
