"""Conversion rates: each variant against control, and the sample ratio check.

One-proportion intervals (:func:`proportion_ci`, :func:`wilson`) live in
:mod:`funnelkit.core.stats.intervals` and are re-exported here.

Conventions (see ``../shared/STATS_CONVENTIONS.md``):

- z-test: pooled standard error, no continuity correction = R ``prop.test(correct = FALSE)``;
  its z² is R's X-squared. ``"larger"`` means variant rate > control rate.
- chi-square: 2×2 table, with and without Yates' correction (R ``prop.test()`` default is with);
  one-sided p-values from the signed root of X², as R ``prop.test(alternative = ...)`` does.
- Fisher: R ``fisher.test`` p-value (two-sided = sum of tables no more likely than the one seen).
- Absolute difference CI: Newcombe's hybrid score interval (Wilson limits of each rate, no
  continuity correction). Relative lift CI: delta method on log(rate / control_rate), minus 1.
- One-sided alternatives give one-sided intervals (the two-sided ``1 - 2*alpha`` bound on the
  tested side; the other end is the bound of the parameter: ±1 for a difference, -1 / +inf for
  the relative lift), as R does; two-sided gives the usual ``1 - alpha`` interval.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportions_ztest,
)

from .arguments import (
    ALTERNATIVES,
    AnalysisError,
    AnalysisWarning,
    arm_table,
    check_choice,
    check_open_unit,
)
from .intervals import proportion_ci, wilson
from .multiple import ADJUST_METHODS, adjust_pvalues

__all__ = ["PROPORTION_TESTS", "compare_proportions", "proportion_ci", "srm_test", "wilson"]

#: ``test`` argument → the value of the ``test`` column.
PROPORTION_TESTS = {"z": "z_pooled", "chi2": "chi2_yates", "fisher": "fisher_exact"}
_SCIPY_ALTERNATIVE = {"two-sided": "two-sided", "larger": "greater", "smaller": "less"}
_COLUMNS = [
    "variant", "control", "users", "conversions", "rate", "control_users", "control_conversions",
    "control_rate", "abs_lift", "abs_ci_low", "abs_ci_high", "rel_lift", "rel_ci_low",
    "rel_ci_high", "test", "statistic", "p_value", "p_value_adjusted", "adjust_method",
    "z_p_value", "chi2_p_value", "chi2_yates_p_value", "fisher_p_value", "min_expected",
    "ci_method", "rel_ci_method", "alpha", "alternative", "note",
]  # fmt: skip


def _chi2_p(statistic: float, diff: float, alternative: str) -> float:
    """p-value of a 1-df X², one-sided from its signed root as R ``prop.test`` does."""
    if alternative == "two-sided":
        return float(stats.chi2.sf(statistic, 1))
    z = np.sign(diff) * np.sqrt(statistic)
    return float(stats.norm.sf(z) if alternative == "larger" else stats.norm.cdf(z))


def _one_sided(low: float, high: float, alternative: str, bounds: tuple[float, float]):
    """Replace the untested end of an interval by the parameter's bound."""
    if alternative == "larger":
        return low, bounds[1]
    if alternative == "smaller":
        return bounds[0], high
    return low, high


def _compare_pair(
    x1: int, n1: int, x2: int, n2: int, *, alpha: float, alternative: str, test: str
) -> dict:
    """All numbers of one variant (x1 of n1) against control (x2 of n2)."""
    notes: list[str] = []
    table = np.array([[x1, n1 - x1], [x2, n2 - x2]])
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / table.sum()
    min_expected = float(expected.min())
    diff = x1 / n1 - x2 / n2
    if x1 + x2 in (0, n1 + n2):  # no variation at all: every statistic is 0/0
        z_stat = chi2_stat = chi2_yates_stat = 0.0
        z_p = chi2_p = chi2_yates_p = 1.0
        notes.append("no variation (both arms 0% or both 100%): all p-values set to 1")
    else:
        z_stat, z_p = proportions_ztest([x1, x2], [n1, n2], alternative=alternative)
        z_stat, z_p = float(z_stat), float(z_p)
        chi2_stat = float(stats.chi2_contingency(table, correction=False).statistic)
        chi2_yates_stat = float(stats.chi2_contingency(table, correction=True).statistic)
        chi2_p = _chi2_p(chi2_stat, diff, alternative)
        chi2_yates_p = _chi2_p(chi2_yates_stat, diff, alternative)
    fisher_p = float(stats.fisher_exact(table, alternative=_SCIPY_ALTERNATIVE[alternative]).pvalue)

    chosen = test
    if test == "auto":
        chosen = "fisher" if min_expected < 5 else "z"
        if chosen == "fisher":
            notes.append(f"Fisher's exact test: smallest expected count {min_expected:.3g} < 5")
    elif chosen != "fisher" and min_expected < 5 and len(notes) == 0:
        warnings.warn(
            f"Chi-squared approximation may be incorrect: smallest expected count "
            f"{min_expected:.3g} < 5; use test='fisher' or test='auto'.",
            AnalysisWarning,
            stacklevel=3,
        )
        notes.append(f"approximation doubtful: smallest expected count {min_expected:.3g} < 5")
    if chosen == "fisher":
        with np.errstate(all="ignore"):
            odds = stats.contingency.odds_ratio(table, kind="conditional").statistic
        statistic, p_value = float(odds), fisher_p
    elif chosen == "chi2":
        statistic, p_value = chi2_yates_stat, chi2_yates_p
    else:
        statistic, p_value = z_stat, z_p

    ci_alpha = alpha if alternative == "two-sided" else 2 * alpha
    low, high = confint_proportions_2indep(x1, n1, x2, n2, method="newcomb", alpha=ci_alpha)
    abs_low, abs_high = _one_sided(float(low), float(high), alternative, (-1.0, 1.0))
    rel_lift = rel_low = rel_high = np.nan
    if x2 == 0:
        notes.append("control has 0 conversions: relative lift undefined")
    elif x1 == 0:
        rel_lift = -1.0
        notes.append("variant has 0 conversions: relative lift CI undefined on the log scale")
    else:
        rel_lift = (x1 / n1) / (x2 / n2) - 1.0
        low, high = confint_proportions_2indep(
            x1, n1, x2, n2, method="log", compare="ratio", alpha=ci_alpha
        )
        rel_low, rel_high = _one_sided(float(low) - 1, float(high) - 1, alternative, (-1, np.inf))
    return {
        "abs_lift": diff,
        "abs_ci_low": abs_low,
        "abs_ci_high": abs_high,
        "rel_lift": rel_lift,
        "rel_ci_low": rel_low,
        "rel_ci_high": rel_high,
        "test": PROPORTION_TESTS[chosen],
        "statistic": statistic,
        "p_value": p_value,
        "z_p_value": z_p,
        "chi2_p_value": chi2_p,
        "chi2_yates_p_value": chi2_yates_p,
        "fisher_p_value": fisher_p,
        "min_expected": min_expected,
        "note": "; ".join(notes),
    }


def compare_proportions(
    data: pd.DataFrame,
    *,
    control: str,
    variant_col: str = "variant",
    users_col: str = "users",
    conversions_col: str = "conversions",
    alpha: float = 0.05,
    alternative: str = "two-sided",
    adjust: str = "holm",
    test: str = "auto",
) -> pd.DataFrame:
    """Compare each variant's conversion rate with the control's.

    Turns aggregated counts, one row per variant (``variant, users, conversions``), into one row
    per non-control variant (in input order) with the lift, its intervals and every test's p-value.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per variant with whole counts of users and of converted users.
    control : str
        The control's value in ``variant_col``.
    variant_col, users_col, conversions_col : str
        Column names in ``data``.
    alpha : float, default 0.05
        Significance level; intervals have confidence ``1 - alpha``.
    alternative : {"two-sided", "larger", "smaller"}, default "two-sided"
        "larger": the variant's rate is higher than the control's.
    adjust : str, default "holm"
        Multiple-comparison adjustment across variants, see :func:`adjust_pvalues`.
    test : {"auto", "z", "chi2", "fisher"}, default "auto"
        Which test gives ``statistic`` / ``p_value``. "auto": the pooled z-test (= R
        ``prop.test(correct = FALSE)``), or Fisher's exact test (= R ``fisher.test``) when an
        expected count of the 2×2 table is below 5. "chi2" is Yates-corrected (= R ``prop.test()``
        default). Forcing "z"/"chi2" with an expected count < 5 warns (AnalysisWarning).

    Returns
    -------
    pandas.DataFrame
        ``variant, control, users, conversions, rate, control_users, control_conversions,
        control_rate``; ``abs_lift`` = rate - control_rate with ``abs_ci_low/high`` (Newcombe
        hybrid score); ``rel_lift`` = rate / control_rate - 1 with ``rel_ci_low/high`` (delta
        method on the log ratio, minus 1); ``test`` ("z_pooled", "chi2_yates", "fisher_exact");
        ``statistic`` (z; Yates X²; or for Fisher the conditional-MLE odds ratio, R's
        ``fisher.test()$estimate``); ``p_value``; ``p_value_adjusted`` and ``adjust_method``;
        ``z_p_value``, ``chi2_p_value`` (no correction), ``chi2_yates_p_value``,
        ``fisher_p_value`` whatever the chosen test; ``min_expected`` (smallest expected count);
        ``ci_method`` ("newcombe_hybrid_score"), ``rel_ci_method`` ("delta_log_ratio"),
        ``alpha``, ``alternative``, ``note`` ("" or why a number is NaN / how the test was chosen).

        Degenerate arms never raise: with 0 conversions in both arms (or 100% in both) every
        p-value is 1 and ``abs_lift`` is 0; with 0 control conversions the relative lift and its
        CI are NaN; with 0 variant conversions ``rel_lift`` is -1 and its CI NaN. The reason is
        in ``note``.

    Raises
    ------
    AnalysisError
        Missing column, unknown control or option, non-count values, conversions > users, or an
        arm with 0 users (named in the message).

    Examples
    --------
    >>> counts = pd.DataFrame(
    ...     {"variant": ["A", "B"], "users": [1000, 1000], "conversions": [45, 60]}
    ... )
    >>> result = compare_proportions(counts, control="A")
    >>> result[["variant", "abs_lift", "rel_lift", "test", "p_value"]].round(4)
      variant  abs_lift  rel_lift      test  p_value
    0       B     0.015    0.3333  z_pooled   0.1326
    """
    alpha = check_open_unit("alpha", alpha)
    check_choice("alternative", alternative, ALTERNATIVES)
    check_choice("adjust", adjust, list(ADJUST_METHODS))
    check_choice("test", test, ["auto", *PROPORTION_TESTS])
    arms = arm_table(
        data, variant_col=variant_col, count_cols=[users_col, conversions_col], control=control
    )
    n2, x2 = (int(v) for v in arms.loc[control, [users_col, conversions_col]])
    rows = []
    for variant, (n1, x1) in arms.drop(index=control)[[users_col, conversions_col]].iterrows():
        numbers = _compare_pair(
            int(x1), int(n1), x2, n2, alpha=alpha, alternative=alternative, test=test
        )
        rows.append(
            {
                "variant": variant,
                "control": control,
                "users": int(n1),
                "conversions": int(x1),
                "rate": x1 / n1,
                "control_users": n2,
                "control_conversions": x2,
                "control_rate": x2 / n2,
                **numbers,
                "adjust_method": adjust,
                "ci_method": "newcombe_hybrid_score",
                "rel_ci_method": "delta_log_ratio",
                "alpha": alpha,
                "alternative": alternative,
            }
        )
    result = pd.DataFrame(rows)
    result["p_value_adjusted"] = adjust_pvalues(result["p_value"].to_numpy(), method=adjust)
    return result[_COLUMNS]


def srm_test(
    data: pd.DataFrame,
    *,
    planned_split: Mapping[str, float] | None = None,
    variant_col: str = "variant",
    users_col: str = "users",
) -> pd.DataFrame:
    """Sample ratio mismatch: chi-square goodness of fit of users per variant to the plan.

    Turns one row per variant (``variant, users``) into one row per variant with its observed and
    planned share. The test is R ``chisq.test(x = users, p = planned_shares)`` (no correction; df
    = number of variants - 1); ``statistic``/``p_value`` are the same on every row.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per variant with the number of users assigned.
    planned_split : mapping of variant to weight, optional
        Planned allocation, e.g. ``{"A": 50, "B": 50}``; normalised to shares. A planned variant
        absent from ``data`` counts 0 users. None: equal split over the variants in ``data``.
    variant_col, users_col : str
        Column names in ``data``.

    Returns
    -------
    pandas.DataFrame
        ``variant, users, share, expected_share, expected_users, statistic, p_value, df, test``
        (``test`` = "chi2_goodness_of_fit").

    Raises
    ------
    AnalysisError
        A variant in ``data`` that the plan lacks, a non-positive planned weight, fewer than two
        variants, or no users at all.

    Examples
    --------
    >>> users = pd.DataFrame({"variant": ["A", "B"], "users": [5050, 4950]})
    >>> srm_test(users)[["variant", "share", "expected_users", "p_value"]].round(4)
      variant  share  expected_users  p_value
    0       A  0.505          5000.0   0.3173
    1       B  0.495          5000.0   0.3173
    """
    arms = arm_table(data, variant_col=variant_col, count_cols=[users_col], control=None)
    users = arms[users_col]
    if planned_split is None:
        plan = pd.Series(1.0, index=users.index)
    else:
        plan = pd.Series({str(k): v for k, v in dict(planned_split).items()}, dtype=float)
        unplanned = [v for v in users.index if v not in plan.index]
        if unplanned:
            raise AnalysisError(
                f"Variant(s) {unplanned} in column '{variant_col}' are not in `planned_split` "
                f"{dict(planned_split)}; add them to the plan or drop them from the data."
            )
        if not np.all(np.isfinite(plan)) or (plan <= 0).any():
            raise AnalysisError(
                f"`planned_split` weights must be positive numbers, but {dict(planned_split)} "
                "was passed; leave out a variant that gets no traffic."
            )
        users = users.reindex(users.index.append(plan.index.difference(users.index, sort=False)))
        users = users.fillna(0).astype(np.int64)
        plan = plan.reindex(users.index)
    if len(users) < 2 or users.sum() == 0:
        raise AnalysisError(
            f"A sample ratio test needs at least two variants and some users, but got "
            f"{users.to_dict()}."
        )
    expected_share = plan / plan.sum()
    expected_users = expected_share * users.sum()
    result = stats.chisquare(users.to_numpy(dtype=float), f_exp=expected_users.to_numpy())
    return pd.DataFrame(
        {
            "variant": users.index.to_list(),
            "users": users.to_numpy(),
            "share": (users / users.sum()).to_numpy(),
            "expected_share": expected_share.to_numpy(),
            "expected_users": expected_users.to_numpy(),
            "statistic": float(result.statistic),
            "p_value": float(result.pvalue),
            "df": len(users) - 1,
            "test": "chi2_goodness_of_fit",
        }
    )
