"""CUPED: variance reduction of a metric with its pre-period value (Deng et al., 2013).

Y_cuped = Y - θ·(X - mean(X)), θ = cov(Y, X) / var(X), pooled over all variants (randomisation
makes X independent of the variant, so the pooled θ keeps every arm's mean unbiased while
removing the part of Y's variance that X predicts). Variances and covariances use ddof = 1.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core.stats.arguments import AnalysisError, check_columns, finite_values

__all__ = ["cuped"]


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
        raise AnalysisError(
            f"CUPED needs at least 2 users and non-constant '{value_col}' and '{covariate_col}', "
            f"but got {len(y)} users with var({covariate_col})={np.var(x, ddof=0):g}; a constant "
            "covariate cannot reduce variance — analyse the metric without CUPED."
        )
    cov = np.cov(y, x, ddof=1)
    theta = float(cov[0, 1] / cov[1, 1])
    frame["value_cuped"] = y - theta * (x - x.mean())
    info = {
        "theta": theta,
        "variance_reduction": float(1 - frame["value_cuped"].var(ddof=1) / cov[0, 0]),
        "correlation": float(cov[0, 1] / np.sqrt(cov[0, 0] * cov[1, 1])),
    }
    return frame, info
