"""Means per user (revenue with its zeros, orders, AOV among buyers): each variant vs control.

Conventions (see ``../shared/STATS_CONVENTIONS.md``):

- Welch's t-test, unequal variances, Welch–Satterthwaite df = R ``t.test(x, y)`` (R's default;
  scipy and statsmodels default to Student). ``diff`` = variant mean - control mean.
- Relative lift = mean / control_mean - 1, CI by the delta method on the *ratio* of means
  (not its log, so a zero variant mean is allowed): Var(r) ≈ v1/(n1·m2²) + m1²·v2/(n2·m2⁴),
  normal quantile.
- Mann–Whitney U = R ``wilcox.test(x, y, exact = FALSE, correct = TRUE)`` (normal approximation,
  continuity and tie correction; robust to heavy tails and the many zeros of revenue per user).
  ``mw_statistic`` is U of the variant = R's W.
- Bootstrap: percentile interval of the difference in means, resampling users within each arm,
  quantiles by R's default type 7 (numpy "linear"); a new generator seeded with ``seed`` for each
  comparison, so a variant's interval does not depend on which other variants are present.
- One-sided alternatives give one-sided intervals (the other end ±inf), as R ``t.test`` does.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .errors import (
    ALTERNATIVES,
    AnalysisError,
    arm_table,
    check_choice,
    check_columns,
    check_open_unit,
)
from .multiple import ADJUST_METHODS, adjust_pvalues

__all__ = ["compare_means", "compare_means_from_summary"]

_SCIPY_ALTERNATIVE = {"two-sided": "two-sided", "larger": "greater", "smaller": "less"}
_COLUMNS = [
    "variant", "control", "users", "mean", "control_users", "control_mean", "diff", "ci_low",
    "ci_high", "rel_lift", "rel_ci_low", "rel_ci_high", "statistic", "df", "p_value",
    "p_value_adjusted", "adjust_method", "mw_statistic", "mw_p_value", "boot_ci_low",
    "boot_ci_high", "test", "alpha", "alternative", "note",
]  # fmt: skip


def _interval(center: float, half_low: float, half_high: float, alternative: str):
    """(low, high) with the untested side open (±inf) for one-sided alternatives."""
    low = center - half_low if alternative != "smaller" else -np.inf
    high = center + half_high if alternative != "larger" else np.inf
    return low, high


def _quantile(alpha: float, alternative: str) -> float:
    """The one-tail level of a two-sided or one-sided interval."""
    return alpha / 2 if alternative == "two-sided" else alpha


def _relative(m1, v1, n1, m2, v2, n2, *, alpha: float, alternative: str) -> tuple:
    """Relative lift m1/m2 - 1 with its delta-method CI; NaNs and a note when m2 = 0."""
    if m2 == 0:
        return np.nan, np.nan, np.nan, "control mean is 0: relative lift undefined"
    ratio = m1 / m2
    se = np.sqrt(v1 / (n1 * m2**2) + m1**2 * v2 / (n2 * m2**4))
    half = stats.norm.isf(_quantile(alpha, alternative)) * se
    return (ratio - 1, *_interval(ratio - 1, half, half, alternative), "")


def _welch_moments(m1, v1, n1, m2, v2, n2, *, alpha: float, alternative: str) -> tuple:
    """Welch t, df, p, CI low, CI high from means, variances (ddof 1) and sizes."""
    a, b = v1 / n1, v2 / n2
    se = np.sqrt(a + b)
    df = (a + b) ** 2 / (a**2 / (n1 - 1) + b**2 / (n2 - 1))
    t = (m1 - m2) / se
    p = {
        "two-sided": 2 * stats.t.sf(abs(t), df),
        "larger": stats.t.sf(t, df),
        "smaller": stats.t.cdf(t, df),
    }[alternative]
    half = stats.t.isf(_quantile(alpha, alternative), df) * se
    return (t, df, p, *_interval(m1 - m2, half, half, alternative))


def _row(variant, control, moments, welch, *, alpha, alternative, extra, notes) -> dict:
    """One output row from the moments (m1, v1, n1, m2, v2, n2) and Welch numbers."""
    m1, v1, n1, m2, v2, n2 = moments
    if v1 == 0 and v2 == 0 and m1 == m2:
        welch = (np.nan, np.nan, 1.0, 0.0, 0.0)
        notes.append("no variation (both arms the same constant): Welch t undefined, p set to 1")
    elif v1 == 0 and v2 == 0:
        notes.append("both arms constant: Welch's t-test undefined")
    rel, rel_low, rel_high, rel_note = _relative(*moments, alpha=alpha, alternative=alternative)
    notes.append(rel_note)
    t, df, p, low, high = (float(v) for v in welch)
    return {
        "variant": variant, "control": control, "users": int(n1), "mean": float(m1),
        "control_users": int(n2), "control_mean": float(m2), "diff": float(m1 - m2),
        "ci_low": low, "ci_high": high, "rel_lift": rel, "rel_ci_low": rel_low,
        "rel_ci_high": rel_high, "statistic": t, "df": df, "p_value": p, "test": "welch_t",
        "alpha": alpha, "alternative": alternative, **extra,
        "note": "; ".join(n for n in notes if n),
    }  # fmt: skip


def _check_options(alpha, alternative, adjust) -> float:
    check_choice("alternative", alternative, ALTERNATIVES)
    check_choice("adjust", adjust, list(ADJUST_METHODS))
    return check_open_unit("alpha", alpha)


def _finish(rows: list[dict], adjust: str) -> pd.DataFrame:
    result = pd.DataFrame(rows)
    result["p_value_adjusted"] = adjust_pvalues(result["p_value"].to_numpy(), method=adjust)
    result["adjust_method"] = adjust
    return result[_COLUMNS]


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
        the variant), ``mw_p_value``; percentile bootstrap ``boot_ci_low/high`` of ``diff``;
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
    from .columns import MeansComparison  # several columns of the same users at once

    found = MeansComparison(
        data, [value_col], control=control, variant_col=variant_col, alpha=alpha,
        alternative=alternative, adjust=adjust, bootstrap=bootstrap, seed=seed,
    ).frames()[value_col]  # fmt: skip
    if isinstance(found, AnalysisError):
        raise found
    return found


def _check_arms(sizes: dict[str, int], control: str, variant_col: str) -> None:
    if control not in sizes:
        raise AnalysisError(
            f"`control` {control!r} is not a value of column '{variant_col}'; "
            f"variants present: {list(sizes)}."
        )
    if len(sizes) < 2:
        raise AnalysisError(
            f"`data` holds only the control {control!r}; add at least one variant to compare."
        )
    small = {k: n for k, n in sizes.items() if n < 2}
    if small:
        raise AnalysisError(
            f"Variant(s) {small} have fewer than 2 users; Welch's t-test needs a variance in each "
            "arm. Wait for more users or drop the variant."
        )


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
    alpha = _check_options(alpha, alternative, adjust)
    arms = arm_table(data, variant_col=variant_col, count_cols=[users_col], control=control)
    check_columns(data, [sum_col, sum_sq_col])
    _check_arms(arms[users_col].to_dict(), control, variant_col)
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
            welch = _welch_moments(*moments, alpha=alpha, alternative=alternative)
        extra = dict.fromkeys(["mw_statistic", "mw_p_value", "boot_ci_low", "boot_ci_high"], np.nan)
        notes = ["Mann-Whitney and bootstrap need user-level values: NaN from sums"]
        rows.append(
            _row(variant, control, moments, welch, alpha=alpha, alternative=alternative,
                 extra=extra, notes=notes)
        )  # fmt: skip
    return _finish(rows, adjust)
