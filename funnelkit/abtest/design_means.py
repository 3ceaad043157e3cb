"""Designs for a mean: sample size, power and minimum detectable change (R ``power.t.test``).

Conventions (see :mod:`funnelkit.abtest.design` for those shared with the proportion designs):
two-sample ``power.t.test`` with ``strict = FALSE``: Student t power with df =
n_control + n_variant - 2 and noncentrality mde / (sd·√(1/n_control + 1/n_variant)), upper tail
only. The power is R's formula computed directly with scipy's noncentral t (``nct.sf``), not
statsmodels' ``TTestIndPower``, whose ``1 - nctdtr`` gives NaN far in the tail (n around 3,000 for
an effect of 1) and made the root finder crash; n is solved with brentq on log n.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats
from scipy.optimize import brentq

from ..core.stats.arguments import AnalysisError, check_positive
from .design_base import design_options, size_columns

__all__ = ["mde_mean", "power_mean", "sample_size_mean"]

_MEAN_METHOD = "r_power_t_test"
_MIN_N, _MAX_N = 2.0, 1e9
#: Beyond this many degrees of freedom the t is the normal to better than 1e-12 in power.
_NORMAL_DF = 1e12


def power_mean(
    sd: float,
    *,
    mde: float,
    n_control: float,
    ratio: float = 1.0,
    alpha: float = 0.05,
    variants: int = 2,
    alternative: str = "two-sided",
) -> float:
    """Power of the two-sample t-test for a difference ``mde`` (R ``power.t.test`` power).

    Examples
    --------
    >>> round(power_mean(1.0, mde=1.0, n_control=20), 7)  # R: power.t.test(n = 20, delta = 1)
    0.8689528
    """
    sd = check_positive("sd", sd)
    mde = check_positive("mde", mde)
    n_control = check_positive("n_control", n_control, minimum=1.0)
    _, _, ratio, _, tail = design_options(alpha, 0.5, ratio, variants, alternative)
    return float(_t_power(mde / sd, n_control, ratio, tail))


def _t_power(effect: float, n_control: float, ratio: float, tail: float) -> float:
    """R ``power.t.test`` p.body (strict = FALSE) with n_variant = ratio·n_control.

    ``P(T' > t_{1-tail, df})`` for T' noncentral t with df = n1 + n2 - 2 and noncentrality
    effect / √(1/n1 + 1/n2); the wrong tail of a two-sided test is ignored, as in R.

    Examples
    --------
    >>> round(_t_power(1.0, 20.0, 1.0, 0.025), 7)  # R: power.t.test(n = 20, delta = 1)
    0.8689528
    """
    n_variant = ratio * n_control
    df = n_control + n_variant - 2
    ncp = effect / math.sqrt(1 / n_control + 1 / n_variant)
    critical = stats.t.isf(tail, df)
    power = stats.nct.sf(critical, df, ncp) if df <= _NORMAL_DF else np.nan
    if not np.isfinite(power):
        # Normal approximation where the noncentral t is numerically unusable: a huge df (only
        # reached with an extreme ratio; scipy's nct agrees with direct integration up to df 2e9)
        # or a non-finite result. There T' ~ N(ncp, 1) up to O(1/df).
        power = stats.norm.sf(critical - ncp)
    return float(power)


def _mean_frame(sd, mde, alpha, power, ratio, variants, n_exact) -> pd.DataFrame:
    effect = {"sd": sd, "mde": mde, "effect_size": mde / sd}
    return pd.DataFrame(
        [effect | size_columns(alpha, power, ratio, variants, n_exact, _MEAN_METHOD)]
    )


def sample_size_mean(
    sd: float,
    *,
    mde: float,
    alpha: float = 0.05,
    power: float = 0.8,
    ratio: float = 1.0,
    variants: int = 2,
    alternative: str = "two-sided",
) -> pd.DataFrame:
    """Users needed per arm to detect a change ``mde`` in a mean with standard deviation ``sd``.

    R ``power.t.test(delta = mde, sd = sd, power = power)`` for ``ratio = 1``; unequal ratios use
    df = n_control + n_variant - 2 and noncentrality mde / (sd·√(1/n_control + 1/n_variant)). n
    is solved with brentq on [2, 1e9] (R: ``uniroot`` on [2, 1e7]); an effect so large that 2
    users per arm suffice returns 2.

    Returns
    -------
    pandas.DataFrame
        One row: ``sd, mde, effect_size (mde / sd), alpha, alpha_per_comparison, power, ratio,
        variants, n_control, n_variant, n_total, n_control_exact, method`` ("r_power_t_test").

    Raises
    ------
    AnalysisError
        sd or mde <= 0, alpha or power outside (0, 1), ratio <= 0, variants < 2, or an effect
        too small for 1e9 users.

    Examples
    --------
    >>> sample_size_mean(1.0, mde=1.0, power=0.9)[["n_control", "n_control_exact"]].round(5)
       n_control  n_control_exact
    0         23          22.0211
    """
    sd = check_positive("sd", sd)
    mde = check_positive("mde", mde)
    alpha, power, ratio, variants, tail = design_options(alpha, power, ratio, variants, alternative)

    def gap(log_n: float) -> float:
        return _t_power(mde / sd, math.exp(log_n), ratio, tail) - power

    low, high = math.log(_MIN_N), math.log(_MAX_N)
    if gap(high) < 0:
        raise AnalysisError(
            f"`mde`={mde} is too small for sd={sd}: more than {_MAX_N:.0e} users per arm would "
            "be needed; plan for a larger effect."
        )
    n_exact = _MIN_N
    if gap(low) < 0:
        n_exact = math.exp(brentq(gap, low, high, xtol=1e-14, rtol=1e-15))
    return _mean_frame(sd, mde, alpha, power, ratio, variants, n_exact)


def mde_mean(
    sd: float,
    *,
    n_control: int,
    alpha: float = 0.05,
    power: float = 0.8,
    ratio: float = 1.0,
    variants: int = 2,
    alternative: str = "two-sided",
) -> pd.DataFrame:
    """Smallest change in a mean detectable with ``n_control`` users in control.

    Solves the power of :func:`sample_size_mean` for ``mde`` with brentq (as R
    ``power.t.test(n, sd, power)`` solves for delta).

    Returns
    -------
    pandas.DataFrame
        One row with the columns of :func:`sample_size_mean` (``n_control_exact`` = the given n).

    Raises
    ------
    AnalysisError
        Invalid options as in :func:`sample_size_mean`, or ``n_control`` < 2.

    Examples
    --------
    >>> mde_mean(1.0, n_control=23, power=0.9)[["mde", "n_control"]].round(4)
          mde  n_control
    0  0.9774         23
    """
    sd = check_positive("sd", sd)
    n = check_positive("n_control", n_control, minimum=1.0)
    if n < 2:
        raise AnalysisError(f"`n_control` must be >= 2, but {n_control!r} was passed.")
    alpha, power, ratio, variants, tail = design_options(alpha, power, ratio, variants, alternative)

    def gap(effect: float) -> float:
        return _t_power(effect, n, ratio, tail) - power

    effect = brentq(gap, 1e-12, 1e3, xtol=1e-14, rtol=1e-14)
    return _mean_frame(sd, effect * sd, alpha, power, ratio, variants, n)
