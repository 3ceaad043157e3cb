"""Planning a test: sample size, minimum detectable effect and duration.

The duration (:func:`days_needed`) is here; the designs for a conversion rate are in
:mod:`funnelkit.abtest.design_proportions` and for a mean in :mod:`funnelkit.abtest.design_means`,
both re-exported here, with the checks they share in :mod:`funnelkit.abtest.design_base`.

Conventions (see ``../shared/STATS_CONVENTIONS.md``, traps 8 and 9):

- Proportions: R ``power.prop.test`` (default ``strict = FALSE``): the pooled-variance z-test,
  null variance at the pooled rate, alternative variance unpooled, and the wrong tail of a
  two-sided test ignored. *Not* Cohen's h (``pwr::pwr.2p.test``), which differs by up to ~1% in n.
  Computed with statsmodels ``samplesize_proportions_2indep_onetail`` /
  ``power_proportions_2indep`` on one tail (alpha/2 for two-sided).
- Means: R ``power.t.test`` (two-sample, ``strict = FALSE``): Student t power with df =
  n_control + n_variant - 2 and noncentrality mde / (sd·√(1/n_control + 1/n_variant)), upper tail
  only (scipy's noncentral t ``nct.sf`` — statsmodels' ``TTestIndPower`` returns NaN far in the
  tail — solved with brentq on log n; normal approximation only where df is astronomically
  large).
- Unequal allocation: ``ratio = n_variant / n_control``; the same formulas with the two group
  sizes (the pooled null rate is weighted by group size). With ``ratio = 1`` they are R's.
- More than one variant: each variant is compared with control at a Bonferroni
  ``alpha / (variants - 1)`` (conservative for the default Holm analysis); all variants get the
  same size, ``n_total = n_control + (variants - 1) * n_variant``.
- Sizes are rounded up (``n_control_exact`` keeps R's unrounded n).
- ``alternative``: "two-sided" and "larger" plan for a rise (target = baseline + mde),
  "smaller" for a fall (target = baseline - mde); one-sided tests spend all of alpha on that tail.
"""

from __future__ import annotations

import math

import pandas as pd

from ..core.stats.arguments import AnalysisError, check_positive
from .design_base import round_up
from .design_means import mde_mean, power_mean, sample_size_mean
from .design_proportions import mde_proportion, power_proportion, sample_size_proportion

__all__ = [
    "days_needed",
    "mde_mean",
    "mde_proportion",
    "power_mean",
    "power_proportion",
    "sample_size_mean",
    "sample_size_proportion",
]


def days_needed(n_total: int, *, daily_users: float, share_in_test: float = 1.0) -> pd.DataFrame:
    """Days a test must run: ``ceil(n_total / (daily_users * share_in_test))``.

    Parameters
    ----------
    n_total : int
        Users needed over all arms, e.g. ``plan["n_total"].iloc[0]`` from a design frame.
    daily_users : float
        Eligible users per day (new users reaching the tested page).
    share_in_test : float, default 1.0
        Share of eligible traffic put into the test, in (0, 1].

    Returns
    -------
    pandas.DataFrame
        One row: ``n_total, daily_users, share_in_test, users_per_day, days`` (whole days,
        rounded up; run whole weeks in practice to cover weekday effects).

    Raises
    ------
    AnalysisError
        ``n_total`` < 1, ``daily_users`` <= 0, or ``share_in_test`` outside (0, 1].

    Examples
    --------
    >>> days_needed(10_000, daily_users=1_200, share_in_test=0.5)
       n_total  daily_users  share_in_test  users_per_day  days
    0    10000       1200.0            0.5          600.0    17
    """
    n = check_positive("n_total", n_total)
    daily = check_positive("daily_users", daily_users)
    share = check_positive("share_in_test", share_in_test)
    if share > 1:
        raise AnalysisError(
            f"`share_in_test` is the share of daily traffic in the test and must be in (0, 1], "
            f"but {share_in_test!r} was passed; e.g. 0.5 for half the traffic."
        )
    per_day = daily * share
    return pd.DataFrame(
        [{"n_total": math.ceil(n), "daily_users": daily, "share_in_test": share,
          "users_per_day": per_day, "days": round_up(n / per_day)}]
    )  # fmt: skip
