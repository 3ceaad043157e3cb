"""Means per user (revenue with its zeros, orders, AOV among buyers): each variant vs control.

Conventions (see ``../shared/STATS_CONVENTIONS.md``):

- Welch's t-test, unequal variances, Welch–Satterthwaite df = R ``t.test(x, y)`` (R's default;
  scipy and statsmodels default to Student). ``diff`` = variant mean - control mean.
- Relative lift = mean / control_mean - 1, CI by the delta method on the *ratio* of means
  (not its log, so a zero variant mean is allowed): Var(r) ≈ v1/(n1·m2²) + m1²·v2/(n2·m2⁴),
  normal quantile.
- Mann–Whitney U = R ``wilcox.test(x, y)`` with its defaults: the exact p-value when both arms
  have fewer than 50 users and there are no ties, otherwise the normal approximation with
  continuity and tie correction (robust to heavy tails and the many zeros of revenue per user);
  ``mw_method`` is "exact" or "normal". ``mw_statistic`` is U of the variant = R's W.
- Bootstrap: percentile interval of the difference in means, resampling users within each arm,
  quantiles by R's default type 7 (numpy "linear"); a new generator seeded with ``seed`` for each
  comparison, so a variant's interval does not depend on which other variants are present.
- One-sided alternatives give one-sided intervals (the other end ±inf), as R ``t.test`` does.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .arguments import AnalysisError, arm_table, check_columns
from .columns import MeansComparison
from .welch import check_arms, check_options, comparison_row, finish, welch_moments

__all__ = ["compare_means", "compare_means_from_summary"]


def compare_means(
    data: pd.DataFrame,
    *,
    control: str,
    variant_col: str = "variant",
    value_col: str = "value",
    alpha: float = 0.05,
    alternative: str = "two-sided",
    adjust: str = "holm",
    bootstrap: int = 2000,
    seed: int = 20261123,
) -> pd.DataFrame:
    """Compare each variant's mean per user with the control's (Welch, Mann–Whitney, bootstrap).

    Turns user-level rows (``variant, value``: one row per user, zeros included) into one row per
    non-control variant, in order of first appearance.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per user with the variant and a numeric value (no missing values).
    control : str
        The control's value in ``variant_col``.
    variant_col, value_col : str
        Column names in ``data``.
    alpha : float, default 0.05
        Significance level; intervals have confidence ``1 - alpha``.
    alternative : {"two-sided", "larger", "smaller"}, default "two-sided"
        "larger": the variant's mean is higher than the control's.
    adjust : str, default "holm"
        Multiple-comparison adjustment across variants, see :func:`adjust_pvalues`.
    bootstrap : int, default 2000
        Bootstrap resamples; 0 skips the bootstrap (NaN bounds).
    seed : int, default 20261123
        Seed of the bootstrap generator (same seed, same data → same interval).

    Returns
    -------
    pandas.DataFrame
        ``variant, control, users, mean, control_users, control_mean``; ``diff`` with Welch
        ``ci_low/high``; ``rel_lift`` with delta-method ``rel_ci_low/high``; Welch ``statistic``
        (t), ``df``, ``p_value``, ``p_value_adjusted``, ``adjust_method``; ``mw_statistic`` (U of
        the variant), ``mw_p_value``, ``mw_method`` ("exact" or "normal", as R
        ``wilcox.test``); percentile bootstrap ``boot_ci_low/high`` of ``diff``;
        ``test`` ("welch_t"), ``alpha``, ``alternative``, ``note`` ("" or why a number is NaN).

    Raises
    ------
    AnalysisError
        Missing column, unknown control or option, missing or non-numeric values, or an arm with
        fewer than 2 users.

    Examples
    --------
    >>> users = pd.DataFrame(
    ...     {"variant": ["A"] * 5 + ["B"] * 5, "value": [0, 0, 10, 20, 0, 0, 15, 30, 0, 25]}
    ... )
    >>> result = compare_means(users, control="A", bootstrap=200)
    >>> result[["variant", "mean", "control_mean", "diff", "p_value", "mw_p_value"]].round(4)
      variant  mean  control_mean  diff  p_value  mw_p_value
    0       B  14.0           6.0   8.0   0.3153      0.3727
    """
    found = MeansComparison(
        data, [value_col], control=control, variant_col=variant_col, alpha=alpha,
        alternative=alternative, adjust=adjust, bootstrap=bootstrap, seed=seed,
    ).frames()[value_col]  # fmt: skip
    if isinstance(found, AnalysisError):
        raise found
    return found


def compare_means_from_summary(
    data: pd.DataFrame,
    *,
    control: str,
    variant_col: str = "variant",
    users_col: str = "users",
    sum_col: str = "sum",
    sum_sq_col: str = "sum_sq",
    alpha: float = 0.05,
    alternative: str = "two-sided",
    adjust: str = "holm",
) -> pd.DataFrame:
    """Welch comparison of means from per-variant sums (n, Σx, Σx²), e.g. a testing tool export.

    Gives the same Welch and relative-lift numbers as :func:`compare_means` on the user-level
    data (mean = Σx/n, variance = (Σx² - (Σx)²/n)/(n - 1)); Mann–Whitney and the bootstrap need
    user-level values, so their columns are NaN and ``note`` says so. Same output columns and
    conventions as :func:`compare_means`.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per variant: users, sum of the values, sum of squared values.
    control : str
        The control's value in ``variant_col``.
    variant_col, users_col, sum_col, sum_sq_col : str
        Column names in ``data``.
    alpha, alternative, adjust
        As in :func:`compare_means`.

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`compare_means`.

    Raises
    ------
    AnalysisError
        Missing column, unknown control or option, non-numeric sums, an arm with fewer than 2
        users, or sums of squares impossible for the sums (negative variance).

    Examples
    --------
    >>> sums = pd.DataFrame(
    ...     {"variant": ["A", "B"], "users": [5, 5], "sum": [30, 70], "sum_sq": [500, 1750]}
    ... )
    >>> compare_means_from_summary(sums, control="A")[["variant", "diff", "p_value"]].round(4)
      variant  diff  p_value
    0       B   8.0   0.3153
    """
    alpha = check_options(alpha, alternative, adjust)
    arms = arm_table(data, variant_col=variant_col, count_cols=[users_col], control=control)
    check_columns(data, [sum_col, sum_sq_col])
    check_arms(arms[users_col].to_dict(), control, variant_col)
    sums = data[[sum_col, sum_sq_col]].apply(pd.to_numeric, errors="coerce")
    sums.index = arms.index
    if not np.isfinite(sums.to_numpy(dtype=float)).all():
        raise AnalysisError(
            f"Columns '{sum_col}' and '{sum_sq_col}' must be numbers, but got "
            f"{sums.to_dict('index')}; check the export."
        )
    n = arms[users_col].astype(float)
    mean = sums[sum_col] / n
    var = (sums[sum_sq_col] - sums[sum_col] ** 2 / n) / (n - 1)
    scale = np.maximum(sums[sum_sq_col].abs(), 1.0) / (n - 1)
    if (var < -1e-9 * scale).any():
        raise AnalysisError(
            f"Column '{sum_sq_col}' is smaller than '{sum_col}'²/users for variant(s) "
            f"{var.index[var < -1e-9 * scale].tolist()}, which no data can give; pass the sum of "
            "squared values per user, not the square of the sum."
        )
    var = var.clip(lower=0.0)
    rows = []
    for variant in arms.index.drop(control):
        moments = (mean[variant], var[variant], n[variant], mean[control], var[control], n[control])
        welch = (np.nan,) * 5
        if moments[1] > 0 or moments[4] > 0:
            welch = welch_moments(*moments, alpha=alpha, alternative=alternative)
        extra = dict.fromkeys(
            ["mw_statistic", "mw_p_value", "mw_method", "boot_ci_low", "boot_ci_high"], np.nan
        )
        notes = ["Mann-Whitney and bootstrap need user-level values: NaN from sums"]
        rows.append(
            comparison_row(variant, control, moments, welch, alpha=alpha, alternative=alternative,
                 extra=extra, notes=notes)
        )  # fmt: skip
    return finish(rows, adjust)
