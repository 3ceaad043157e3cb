"""Designs for a conversion rate: sample size, power and minimum detectable change.

Conventions (see :mod:`funnelkit.abtest.design` for those shared with the mean designs): R
``power.prop.test`` (default ``strict = FALSE``): the pooled-variance z-test, null variance at the
pooled rate, alternative variance unpooled, and the wrong tail of a two-sided test ignored.
*Not* Cohen's h (``pwr::pwr.2p.test``), which differs by up to ~1% in n. Computed with
statsmodels ``samplesize_proportions_2indep_onetail`` / ``power_proportions_2indep`` on one tail
(alpha/2 for two-sided).
"""

from __future__ import annotations

import pandas as pd
from scipy.optimize import brentq
from statsmodels.stats.proportion import (
    power_proportions_2indep,
    samplesize_proportions_2indep_onetail,
)

from ..core.stats.arguments import AnalysisError, check_open_unit, check_positive
from .design_base import design_options, size_columns

__all__ = ["mde_proportion", "power_proportion", "sample_size_proportion"]

_PROP_METHOD = "r_power_prop_test"


def _target(baseline: float, mde_abs: float, alternative: str) -> float:
    target = baseline - mde_abs if alternative == "smaller" else baseline + mde_abs
    if not 0 < target < 1:
        raise AnalysisError(
            f"The target rate baseline {'-' if alternative == 'smaller' else '+'} mde = "
            f"{target:g} must be strictly between 0 and 1; use a smaller `mde`."
        )
    return target


def power_proportion(
    baseline: float,
    *,
    target: float,
    n_control: float,
    ratio: float = 1.0,
    alpha: float = 0.05,
    variants: int = 2,
    alternative: str = "two-sided",
) -> float:
    """Power of the pooled z-test of ``target`` vs ``baseline`` (R ``power.prop.test`` power).

    Same conventions as :func:`sample_size_proportion` (strict = FALSE, Bonferroni alpha).

    Examples
    --------
    >>> round(power_proportion(0.5, target=0.75, n_control=50), 4)
    0.7402
    """
    baseline = check_open_unit("baseline", baseline)
    target = check_open_unit("target", target)
    n_control = check_positive("n_control", n_control)
    _, _, ratio, _, tail = design_options(alpha, 0.5, ratio, variants, alternative)
    return float(_prop_power(baseline, target, n_control, ratio, tail))


def _prop_power(p_control: float, p_variant: float, n_control: float, ratio: float, tail: float):
    if p_variant >= p_control:  # sample 1 = variant (n_variant), sample 2 = control
        diff, prop2, nobs1, sm_ratio = p_variant - p_control, p_control, ratio * n_control, 0.0
        sm_ratio = 1 / ratio
    else:  # sample 1 = control, sample 2 = variant
        diff, prop2, nobs1, sm_ratio = p_control - p_variant, p_variant, n_control, ratio
    return power_proportions_2indep(
        diff, prop2, nobs1, ratio=sm_ratio, alpha=tail, alternative="larger", return_results=False
    )


def _prop_frame(baseline, target, alpha, power, ratio, variants, n_exact) -> pd.DataFrame:
    rates = {"baseline": baseline, "target": target, "mde_abs": target - baseline}
    rates["mde_rel"] = target / baseline - 1
    return pd.DataFrame(
        [rates | size_columns(alpha, power, ratio, variants, n_exact, _PROP_METHOD)]
    )


def sample_size_proportion(
    baseline: float,
    *,
    mde: float,
    relative: bool = False,
    alpha: float = 0.05,
    power: float = 0.8,
    ratio: float = 1.0,
    variants: int = 2,
    alternative: str = "two-sided",
) -> pd.DataFrame:
    """Users needed per arm to detect a change in a conversion rate (R ``power.prop.test``).

    Parameters
    ----------
    baseline : float
        The control's expected conversion rate, in (0, 1).
    mde : float
        Minimum detectable effect, > 0: absolute (0.005 = +0.5 points) or, with
        ``relative=True``, relative to the baseline (0.10 = +10%).
    relative : bool, default False
        Whether ``mde`` is relative.
    alpha, power : float, default 0.05, 0.8
        Family-wise significance level and power, each in (0, 1).
    ratio : float, default 1.0
        Allocation ``n_variant / n_control`` (e.g. 2.0 puts twice as many users in each variant).
    variants : int, default 2
        Number of arms including control; alpha is split Bonferroni-wise over variants - 1.
    alternative : {"two-sided", "larger", "smaller"}, default "two-sided"
        See the module conventions.

    Returns
    -------
    pandas.DataFrame
        One row: ``baseline, target, mde_abs, mde_rel, alpha, alpha_per_comparison, power, ratio,
        variants, n_control, n_variant, n_total`` (rounded up), ``n_control_exact``, ``method``
        ("r_power_prop_test").

    Raises
    ------
    AnalysisError
        baseline, alpha or power outside (0, 1); mde <= 0; target rate outside (0, 1); ratio <= 0;
        variants < 2.

    Examples
    --------
    >>> plan = sample_size_proportion(0.5, mde=0.25, power=0.9)
    >>> plan[["target", "n_control", "n_total", "n_control_exact"]].round(5)
       target  n_control  n_total  n_control_exact
    0    0.75         77      154         76.70693
    """
    baseline = check_open_unit("baseline", baseline)
    mde = check_positive("mde", mde)
    alpha, power, ratio, variants, tail = design_options(alpha, power, ratio, variants, alternative)
    target = _target(baseline, mde * baseline if relative else mde, alternative)
    n_variant = samplesize_proportions_2indep_onetail(
        target - baseline, baseline, power, ratio=1 / ratio, alpha=tail, alternative="larger"
    )
    n_exact = float(n_variant) / ratio
    return _prop_frame(baseline, target, alpha, power, ratio, variants, n_exact)


def mde_proportion(
    baseline: float,
    *,
    n_control: int,
    ratio: float = 1.0,
    alpha: float = 0.05,
    power: float = 0.8,
    variants: int = 2,
    alternative: str = "two-sided",
) -> pd.DataFrame:
    """Smallest change in a conversion rate detectable with ``n_control`` users in control.

    Solves the power of :func:`sample_size_proportion` for the target rate with brentq (as R
    ``power.prop.test(n, p1, power)`` solves for p2); the variant arms get ``ratio * n_control``.

    Returns
    -------
    pandas.DataFrame
        One row with the columns of :func:`sample_size_proportion` (``n_control_exact`` is the
        given n); ``mde_abs`` / ``mde_rel`` are the detectable absolute / relative changes.

    Raises
    ------
    AnalysisError
        Invalid options (as in :func:`sample_size_proportion`), ``n_control`` < 2, or so few
        users that even a move to 0% / 100% would not reach the power.

    Examples
    --------
    >>> plan = mde_proportion(0.5, n_control=50, power=0.9)
    >>> plan[["target", "mde_abs", "mde_rel"]].round(4)
       target  mde_abs  mde_rel
    0  0.8026   0.3026   0.6053
    """
    baseline = check_open_unit("baseline", baseline)
    n = check_positive("n_control", n_control, minimum=1.0)
    alpha, power, ratio, variants, tail = design_options(alpha, power, ratio, variants, alternative)
    edge = 1e-10 if alternative == "smaller" else 1 - 1e-10

    def gap(target: float) -> float:
        return _prop_power(baseline, target, n, ratio, tail) - power

    if gap(edge) <= 0:
        raise AnalysisError(
            f"With n_control={n_control} not even a move of the rate from {baseline} to "
            f"{round(edge)} reaches power {power}; increase `n_control` or lower `power`."
        )
    target = brentq(gap, baseline, edge, xtol=1e-14, rtol=1e-14)
    return _prop_frame(baseline, target, alpha, power, ratio, variants, n)
