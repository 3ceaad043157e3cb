"""CUPED: variance reduction of a metric with its pre-period value (Deng et al., 2013).

Y_cuped = Y - θ·(X - mean(X)), θ = cov(Y, X) / var(X), pooled over all variants (randomisation
makes X independent of the variant, so the pooled θ keeps every arm's mean unbiased while
removing the part of Y's variance that X predicts). Variances and covariances use ddof = 1.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core.stats.arguments import AnalysisError, check_columns, finite_values

__all__ = ["cuped", "cuped_from_sums"]


def cuped(
    data: pd.DataFrame,
    *,
    value_col: str = "value",
    covariate_col: str = "pre_value",
    variant_col: str = "variant",
) -> tuple[pd.DataFrame, dict]:
    """Adjust a user-level metric with its pre-period covariate (CUPED).

    Takes one row per user (``variant, value, pre_value``) and returns a copy with a
    ``value_cuped`` column, ready for ``compare_means(..., value_col="value_cuped")``: same means
    per arm up to chance, smaller variance, so narrower intervals.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per user; ``value_col`` and ``covariate_col`` numeric without missing values
        (users without pre-period activity have covariate 0).
    value_col, covariate_col, variant_col : str
        Column names in ``data`` (``variant_col`` must exist; θ is pooled over all variants).

    Returns
    -------
    tuple of (pandas.DataFrame, dict)
        The frame with ``value_cuped`` added (the input is not changed), and ``{"theta": θ,
        "variance_reduction": 1 - var(Y_cuped) / var(Y) (= correlation²), "correlation":
        Pearson r of Y and X}``.

    Raises
    ------
    AnalysisError
        Missing column, missing/non-numeric values, fewer than 2 users, or a constant covariate
        (or metric) that carries no information.

    Examples
    --------
    >>> users = pd.DataFrame({"variant": ["A", "A", "B", "B"], "value": [1.0, 3.0, 2.0, 6.0],
    ...                       "pre_value": [0.0, 2.0, 1.0, 4.0]})
    >>> adjusted, info = cuped(users)
    >>> round(info["theta"], 4), round(info["variance_reduction"], 4)
    (1.2571, 0.9878)
    """
    check_columns(data, [variant_col, value_col, covariate_col])
    frame = data.copy()
    arrays = {}
    for col in (value_col, covariate_col):
        fix = "CUPED needs both values for every user — use 0 for users without pre-period activity"
        arrays[col] = finite_values(frame, col, fix=fix)
    y, x = arrays[value_col], arrays[covariate_col]
    if len(y) < 2 or np.var(x) == 0 or np.var(y) == 0:
        raise _uninformative(len(y), np.var(x, ddof=0), value_col, covariate_col)
    cov = np.cov(y, x, ddof=1)
    theta = float(cov[0, 1] / cov[1, 1])
    frame["value_cuped"] = y - theta * (x - x.mean())
    info = {
        "theta": theta,
        "variance_reduction": float(1 - frame["value_cuped"].var(ddof=1) / cov[0, 0]),
        "correlation": float(cov[0, 1] / np.sqrt(cov[0, 0] * cov[1, 1])),
    }
    return frame, info


def _uninformative(n: int, var_x: float, value_col: str, covariate_col: str) -> AnalysisError:
    return AnalysisError(
        f"CUPED needs at least 2 users and non-constant '{value_col}' and '{covariate_col}', "
        f"but got {n} users with var({covariate_col})={var_x:g}; a constant "
        "covariate cannot reduce variance — analyse the metric without CUPED."
    )


def _moments(n, s_y, s_yy, s_x, s_xx, s_xy):
    """Means, variances and covariance (ddof = 1) from sums."""
    mean_y, mean_x = s_y / n, s_x / n
    var_y = (s_yy - s_y * mean_y) / (n - 1)
    var_x = (s_xx - s_x * mean_x) / (n - 1)
    cov = (s_xy - s_x * mean_y) / (n - 1)
    return mean_y, mean_x, var_y, var_x, cov


def cuped_from_sums(
    sums: pd.DataFrame, *, value: str = "revenue", covariate: str = "pre_revenue"
) -> tuple[pd.DataFrame, dict]:
    """CUPED from per-variant sums: the adjusted metric's users, sum and sum of squares.

    The same θ and the same adjusted means and variances as :func:`cuped` on the users, from
    n, Σy, Σy², Σx, Σx² and Σxy per variant (counted where the data are, so no user row has to
    travel); the result feeds
    :func:`~funnelkit.core.stats.means.compare_means_from_summary`.

    Parameters
    ----------
    sums : pandas.DataFrame
        One row per variant: variant, users, y_sum, y_sum_sq, x_sum, x_sum_sq, xy_sum.
    value, covariate : str
        The names used in the error message.

    Returns
    -------
    tuple of (pandas.DataFrame, dict)
        variant, users, sum and sum_sq of ``y - θ·(x - mean(x))``; and θ, variance_reduction
        and correlation as :func:`cuped` gives them.

    Raises
    ------
    AnalysisError
        Fewer than 2 users, or a constant metric or covariate.

    Examples
    --------
    >>> users = pd.DataFrame({"variant": ["A", "A", "B", "B"], "y": [1.0, 3.0, 2.0, 6.0],
    ...                       "x": [0.0, 2.0, 1.0, 4.0]})
    >>> sums = users.assign(yy=users.y**2, xx=users.x**2, xy=users.x * users.y).groupby(
    ...     "variant").agg(users=("y", "size"), y_sum=("y", "sum"), y_sum_sq=("yy", "sum"),
    ...     x_sum=("x", "sum"), x_sum_sq=("xx", "sum"), xy_sum=("xy", "sum")).reset_index()
    >>> adjusted, info = cuped_from_sums(sums)
    >>> round(info["theta"], 4), round(info["variance_reduction"], 4)  # as cuped() on the users
    (1.2571, 0.9878)
    """
    total = sums[["users", "y_sum", "y_sum_sq", "x_sum", "x_sum_sq", "xy_sum"]].astype(float).sum()
    n = total["users"]
    if n < 2:
        raise _uninformative(int(n), 0.0, value, covariate)
    _, mean_x, var_y, var_x, cov = _moments(*total.to_numpy())
    tolerance = 1e-12
    if var_x <= tolerance * max(total["x_sum_sq"] / n, 1e-300) or var_y <= tolerance * max(
        total["y_sum_sq"] / n, 1e-300
    ):
        raise _uninformative(int(n), max(var_x, 0.0) * (n - 1) / n, value, covariate)
    theta = float(cov / var_x)
    rows = sums[["users", "y_sum", "y_sum_sq", "x_sum", "x_sum_sq", "xy_sum"]].astype(float)
    m = rows["users"]
    arm_y, arm_x, arm_var_y, arm_var_x, arm_cov = _moments(*(rows[c] for c in rows))
    mean = arm_y - theta * (arm_x - mean_x)
    var = (arm_var_y - 2 * theta * arm_cov + theta**2 * arm_var_x).where(m > 1, 0.0)
    adjusted = pd.DataFrame({"variant": sums["variant"].to_numpy(),
                             "users": sums["users"].to_numpy(), "sum": (m * mean).to_numpy(),
                             "sum_sq": ((m - 1) * var + m * mean**2).to_numpy()})  # fmt: skip
    var_adjusted = var_y - 2 * theta * cov + theta**2 * var_x
    info = {
        "theta": theta,
        "variance_reduction": float(1 - var_adjusted / var_y),
        "correlation": float(cov / np.sqrt(var_y * var_x)),
    }
    return adjusted, info
