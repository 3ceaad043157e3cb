"""Designs for a mean: sample size, power and minimum detectable change (R ``power.t.test``).

Conventions (see :mod:`funnelkit.abtest.design` for those shared with the proportion designs):
two-sample ``power.t.test`` with ``strict = FALSE``: Student t power with df =
n_control + n_variant - 2 and noncentrality mde / (sd·√(1/n_control + 1/n_variant)), upper tail
only (statsmodels ``TTestIndPower`` on one tail, solved with brentq).
"""

from __future__ import annotations

import pandas as pd
from scipy.optimize import brentq
from statsmodels.stats.power import TTestIndPower

from ..core.stats.arguments import AnalysisError, check_positive
from .design_base import design_options, size_columns

__all__ = ["mde_mean", "power_mean", "sample_size_mean"]

_MEAN_METHOD = "r_power_t_test"
_MIN_N, _MAX_N = 2.0, 1e9


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
    return TTestIndPower().power(effect, n_control, tail, ratio=ratio, alternative="larger")


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

    def gap(n: float) -> float:
        return _t_power(mde / sd, n, ratio, tail) - power

    if gap(_MAX_N) < 0:
        raise AnalysisError(
            f"`mde`={mde} is too small for sd={sd}: more than {_MAX_N:.0e} users per arm would "
            "be needed; plan for a larger effect."
        )
    n_exact = _MIN_N if gap(_MIN_N) >= 0 else brentq(gap, _MIN_N, _MAX_N, xtol=1e-10, rtol=1e-14)
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
