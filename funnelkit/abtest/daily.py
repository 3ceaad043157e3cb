"""Users and conversions per variant and assignment day, with running totals.

Shared by the user-level path (:func:`funnelkit.abtest.outcomes.daily_cumulative` counts the
users) and the path that counts them where the data are (:mod:`funnelkit.abtest.sums`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["DAILY_COLUMNS", "daily_from_counts"]

DAILY_COLUMNS = ["variant", "date", "users", "conversions", "cumulative_users",
                 "cumulative_conversions", "cumulative_rate"]  # fmt: skip


def daily_from_counts(counts: pd.DataFrame) -> pd.DataFrame:
    """Every day from the first to the last assignment per variant, zero-filled, with totals.

    Parameters
    ----------
    counts
        variant, date (a day), users, conversions: one row per variant and day with users.

    Returns
    -------
    pandas.DataFrame
        :data:`DAILY_COLUMNS`; cumulative_rate is NaN before a variant's first user.

    Examples
    --------
    >>> counts = pd.DataFrame({"variant": ["a", "b"], "users": [2, 1], "conversions": [1, 1],
    ...                        "date": pd.to_datetime(["2026-10-01", "2026-10-02"])})
    >>> daily_from_counts(counts)[["variant", "date", "cumulative_users", "cumulative_rate"]]
      variant       date  cumulative_users  cumulative_rate
    0       a 2026-10-01                 2              0.5
    1       a 2026-10-02                 2              0.5
    2       b 2026-10-01                 0              NaN
    3       b 2026-10-02                 1              1.0
    """
    if counts.empty:
        return pd.DataFrame(columns=DAILY_COLUMNS)
    grid = pd.MultiIndex.from_product(
        [
            sorted(counts["variant"].unique()),
            pd.date_range(counts["date"].min(), counts["date"].max(), freq="D"),
        ],
        names=["variant", "date"],
    )
    daily = (
        counts.set_index(["variant", "date"])[["users", "conversions"]]
        .reindex(grid, fill_value=0)
        .reset_index()
    )
    grouped = daily.groupby("variant")
    daily["cumulative_users"] = grouped["users"].cumsum()
    daily["cumulative_conversions"] = grouped["conversions"].cumsum()
    daily["cumulative_rate"] = daily["cumulative_conversions"] / daily["cumulative_users"].where(
        daily["cumulative_users"] > 0, np.nan
    )
    return daily[DAILY_COLUMNS].astype(
        {
            "users": "int64",
            "conversions": "int64",
            "cumulative_users": "int64",
            "cumulative_conversions": "int64",
        }
    )
