"""Overall tests across all k variants at once, before the pairwise comparisons with control.

Conventions:

- Proportions: Pearson's chi-square test of independence on the k×2 table (converted / not
  converted per variant) = R ``chisq.test(matrix)``: df = k - 1, no continuity correction for
  k > 2 and Yates' correction for a 2×2 table, as R applies it only there. For k > 2 the same
  X² as R ``prop.test(conversions, users)``.
- Means: Welch's one-way ANOVA (unequal variances) = R ``oneway.test(y ~ g)``
  (``var.equal = FALSE``): weights w_i = n_i / s_i², weighted mean m = Σ w_i x̄_i / Σ w_i,
  A = Σ w_i (x̄_i - m)² / (k - 1), λ = Σ (1 - w_i / Σw)² / (n_i - 1),
  F = A / (1 + 2 (k - 2) λ / (k² - 1)) on k - 1 and (k² - 1) / (3 λ) degrees of freedom
  (Welch 1951). With two arms F is the square of Welch's t.

Both return one tidy row: ``variants, users, statistic, df`` (and ``df_denom`` for the ANOVA),
``p_value, test, note``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .arguments import AnalysisError, arm_table, check_columns, finite_values

__all__ = ["overall_means", "overall_proportions"]

_MEANS_COLUMNS = ["variants", "users", "statistic", "df", "df_denom", "p_value", "test", "note"]


def overall_proportions(
    data: pd.DataFrame,
    *,
    variant_col: str = "variant",
    users_col: str = "users",
    conversions_col: str = "conversions",
) -> pd.DataFrame:
    """Do the conversion rates differ at all across the variants? (R ``chisq.test(matrix)``).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per variant (at least two) with whole counts of users and converted users.
    variant_col, users_col, conversions_col : str
        Column names in ``data``.

    Returns
    -------
    pandas.DataFrame
        One row: ``variants`` (k), ``users``, ``statistic`` (X²), ``df`` (k - 1), ``p_value``,
        ``min_expected`` (smallest expected count), ``test`` ("chi2" for k > 2, "chi2_yates" for
        two variants) and ``note`` ("" or why the p-value is 1 / doubtful).

    Raises
    ------
    AnalysisError
        Missing column, non-count values, conversions > users, an arm with 0 users, or fewer
        than two variants.

    Examples
    --------
    >>> counts = pd.DataFrame({"variant": ["A", "B", "C"], "users": [100, 100, 100],
    ...                        "conversions": [20, 30, 45]})
    >>> overall_proportions(counts)[["statistic", "df", "p_value", "test"]].round(5)
       statistic  df  p_value  test
    0   14.63415   2  0.00066  chi2
    """
    arms = arm_table(
        data, variant_col=variant_col, count_cols=[users_col, conversions_col], control=None
    )
    if len(arms) < 2:
        raise AnalysisError(
            f"An overall test needs at least two variants, but column '{variant_col}' holds "
            f"{arms.index.tolist()}."
        )
    users = arms[users_col].to_numpy(dtype=float)
    converted = arms[conversions_col].to_numpy(dtype=float)
    table = np.column_stack([converted, users - converted])
    expected = np.outer(users, table.sum(axis=0)) / users.sum()
    k = len(arms)
    test = "chi2_yates" if k == 2 else "chi2"
    notes = []
    if table.sum(axis=0).min() == 0:  # nobody (or everybody) converted: 0/0
        statistic, p_value = 0.0, 1.0
        notes.append("no variation (every arm 0% or every arm 100%): p-value set to 1")
    else:
        found = stats.chi2_contingency(table, correction=k == 2)
        statistic, p_value = float(found.statistic), float(found.pvalue)
        if expected.min() < 5:
            notes.append(
                f"approximation doubtful: smallest expected count {expected.min():.3g} < 5"
            )
    return pd.DataFrame(
        [{"variants": k, "users": int(users.sum()), "statistic": statistic, "df": k - 1,
          "p_value": p_value, "min_expected": float(expected.min()), "test": test,
          "note": "; ".join(notes)}]
    )  # fmt: skip


def overall_means(
    data: pd.DataFrame, *, variant_col: str = "variant", value_col: str = "value"
) -> pd.DataFrame:
    """Do the means differ at all across the variants? Welch's ANOVA (R ``oneway.test``).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per user with the variant and a numeric value (no missing values); at least
        two variants, each with at least two users.
    variant_col, value_col : str
        Column names in ``data``.

    Returns
    -------
    pandas.DataFrame
        One row: ``variants`` (k), ``users``, ``statistic`` (Welch's F), ``df`` (k - 1),
        ``df_denom`` (Welch's denominator df), ``p_value``, ``test`` ("welch_anova") and
        ``note`` ("" or why the numbers are NaN).

    Raises
    ------
    AnalysisError
        Missing column, missing or non-numeric values, fewer than two variants, or a variant
        with fewer than two users.

    Examples
    --------
    >>> sleep = pd.DataFrame({"group": ["1"] * 10 + ["2"] * 10, "extra": [
    ...     0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0,
    ...     1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]})
    >>> found = overall_means(sleep, variant_col="group", value_col="extra")
    >>> # R: oneway.test(extra ~ group, data = sleep)
    >>> # F = 3.4626, num df = 1.000, denom df = 17.776, p-value = 0.07939
    >>> found[["statistic", "df", "df_denom", "p_value"]].round(5)
       statistic  df  df_denom  p_value
    0    3.46263   1  17.77647  0.07939
    """
    check_columns(data, [variant_col, value_col])
    values = finite_values(data, value_col, fix="fill or drop the users without a value")
    labels = data[variant_col].astype(str).to_numpy()
    names = pd.unique(labels)
    groups = [values[labels == name] for name in names]
    small = {str(name): len(g) for name, g in zip(names, groups, strict=True) if len(g) < 2}
    if len(groups) < 2 or small:
        raise AnalysisError(
            f"Welch's ANOVA needs at least two variants with at least 2 users each, but column "
            f"'{variant_col}' has {dict(zip(names.tolist(), map(len, groups), strict=True))}."
        )
    n = np.array([len(g) for g in groups], dtype=float)
    mean = np.array([g.mean() for g in groups])
    var = np.array([g.var(ddof=1) for g in groups])
    k = len(groups)
    row = {"variants": k, "users": int(n.sum()), "df": k - 1}
    if (var == 0).any():
        zero = [str(name) for name, v in zip(names, var, strict=True) if v == 0]
        note = f"variant(s) {zero} constant: Welch's weights n/s² undefined"
        row |= {"statistic": np.nan, "df_denom": np.nan, "p_value": np.nan, "note": note}
        return pd.DataFrame([row | {"test": "welch_anova"}])[_MEANS_COLUMNS]
    w = n / var
    centre = (w * mean).sum() / w.sum()
    between = (w * (mean - centre) ** 2).sum() / (k - 1)
    lam = ((1 - w / w.sum()) ** 2 / (n - 1)).sum()
    statistic = between / (1 + 2 * (k - 2) * lam / (k**2 - 1))
    df_denom = (k**2 - 1) / (3 * lam)
    p_value = float(stats.f.sf(statistic, k - 1, df_denom))
    row |= {"statistic": float(statistic), "df_denom": float(df_denom), "p_value": p_value}
    return pd.DataFrame([row | {"test": "welch_anova", "note": ""}])[_MEANS_COLUMNS]
