"""What the Welch comparisons of means share: moments, intervals, one output row, the checks.

:mod:`~funnelkit.core.stats.means` (one value column) and :mod:`~funnelkit.core.stats.columns`
(several columns of the same users) both build their rows here, so the two give the same numbers.
Welch's t-test and interval = R ``t.test(x, y)`` (``var.equal = FALSE``); the relative lift's
interval is the delta method on m1/m2.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .arguments import ALTERNATIVES, AnalysisError, check_choice, check_open_unit
from .multiple import ADJUST_METHODS, adjust_pvalues

__all__ = [
    "MEAN_COLUMNS",
    "SCIPY_ALTERNATIVE",
    "check_arms",
    "check_options",
    "comparison_row",
    "finish",
    "interval",
    "quantile",
    "relative_lift",
    "welch_moments",
]

SCIPY_ALTERNATIVE = {"two-sided": "two-sided", "larger": "greater", "smaller": "less"}
MEAN_COLUMNS = [
    "variant", "control", "users", "mean", "control_users", "control_mean", "diff", "ci_low",
    "ci_high", "rel_lift", "rel_ci_low", "rel_ci_high", "statistic", "df", "p_value",
    "p_value_adjusted", "adjust_method", "mw_statistic", "mw_p_value", "mw_method", "boot_ci_low",
    "boot_ci_high", "test", "alpha", "alternative", "note",
]  # fmt: skip


def interval(center: float, half_low: float, half_high: float, alternative: str):
    """(low, high) with the untested side open (±inf) for one-sided alternatives."""
    low = center - half_low if alternative != "smaller" else -np.inf
    high = center + half_high if alternative != "larger" else np.inf
    return low, high


def quantile(alpha: float, alternative: str) -> float:
    """The one-tail level of a two-sided or one-sided interval."""
    return alpha / 2 if alternative == "two-sided" else alpha


def relative_lift(m1, v1, n1, m2, v2, n2, *, alpha: float, alternative: str) -> tuple:
    """Relative lift m1/m2 - 1 with its delta-method CI; NaNs and a note when m2 = 0."""
    if m2 == 0:
        return np.nan, np.nan, np.nan, "control mean is 0: relative lift undefined"
    ratio = m1 / m2
    se = np.sqrt(v1 / (n1 * m2**2) + m1**2 * v2 / (n2 * m2**4))
    half = stats.norm.isf(quantile(alpha, alternative)) * se
    return (ratio - 1, *interval(ratio - 1, half, half, alternative), "")


def welch_moments(m1, v1, n1, m2, v2, n2, *, alpha: float, alternative: str) -> tuple:
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
    half = stats.t.isf(quantile(alpha, alternative), df) * se
    return (t, df, p, *interval(m1 - m2, half, half, alternative))


def comparison_row(variant, control, moments, welch, *, alpha, alternative, extra, notes) -> dict:
    """One output row from the moments (m1, v1, n1, m2, v2, n2) and Welch numbers."""
    m1, v1, n1, m2, v2, n2 = moments
    if v1 == 0 and v2 == 0 and m1 == m2:
        welch = (np.nan, np.nan, 1.0, 0.0, 0.0)
        notes.append("no variation (both arms the same constant): Welch t undefined, p set to 1")
    elif v1 == 0 and v2 == 0:
        notes.append("both arms constant: Welch's t-test undefined")
    rel, rel_low, rel_high, rel_note = relative_lift(*moments, alpha=alpha, alternative=alternative)
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


def check_options(alpha, alternative, adjust) -> float:
    """Refuse an unknown ``alternative`` or ``adjust`` and an ``alpha`` outside (0, 1)."""
    check_choice("alternative", alternative, ALTERNATIVES)
    check_choice("adjust", adjust, list(ADJUST_METHODS))
    return check_open_unit("alpha", alpha)


def finish(rows: list[dict], adjust: str) -> pd.DataFrame:
    """The rows as a frame in :data:`MEAN_COLUMNS` order, with adjusted p-values."""
    result = pd.DataFrame(rows)
    result["p_value_adjusted"] = adjust_pvalues(result["p_value"].to_numpy(), method=adjust)
    result["adjust_method"] = adjust
    return result[MEAN_COLUMNS]


def check_arms(sizes: dict[str, int], control: str, variant_col: str) -> None:
    """Refuse a missing control arm or an arm with fewer than 2 users."""
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
