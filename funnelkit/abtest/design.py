"""Planning a test: sample size, minimum detectable effect and duration.

Conventions (see ``../shared/STATS_CONVENTIONS.md``, traps 8 and 9):

- Proportions: R ``power.prop.test`` (default ``strict = FALSE``): the pooled-variance z-test,
  null variance at the pooled rate, alternative variance unpooled, and the wrong tail of a
  two-sided test ignored. *Not* Cohen's h (``pwr::pwr.2p.test``), which differs by up to ~1% in n.
  Computed with statsmodels ``samplesize_proportions_2indep_onetail`` /
  ``power_proportions_2indep`` on one tail (alpha/2 for two-sided).
- Means: R ``power.t.test`` (two-sample, ``strict = FALSE``): Student t power with df =
  n_control + n_variant - 2 and noncentrality mde / (sd·√(1/n_control + 1/n_variant)), upper tail
  only (statsmodels ``TTestIndPower`` on one tail, solved with brentq).
- Unequal allocation: ``ratio = n_variant / n_control``; the same formulas with the two group
  sizes (the pooled null rate is weighted by group size). With ``ratio = 1`` they are R's.
- More than one variant: each variant is compared with control at a Bonferroni
  ``alpha / (variants - 1)`` (conservative for the default Holm analysis); all variants get the
  same size, ``n_total = n_control + (variants - 1) * n_variant``.
- Sizes are rounded up (``n_control_exact`` keeps R's unrounded n).
- ``alternative``: "two-sided" and "larger" plan for a rise (target = baseline + mde),
  "smaller" for a fall (target = baseline - mde); one-sided tests spend all of alpha on that tail.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.optimize import brentq
from statsmodels.stats.power import TTestIndPower
from statsmodels.stats.proportion import (
    power_proportions_2indep,
    samplesize_proportions_2indep_onetail,
)

from ..core.stats.arguments import (
    ALTERNATIVES,
    AnalysisError,
    check_choice,
    check_open_unit,
    check_positive,
)

__all__ = [
    "days_needed",
    "mde_mean",
    "mde_proportion",
    "power_mean",
    "power_proportion",
    "sample_size_mean",
    "sample_size_proportion",
]

_PROP_METHOD = "r_power_prop_test"
_MEAN_METHOD = "r_power_t_test"
_MIN_N, _MAX_N = 2.0, 1e9


def _ceil(x: float) -> int:
    """Round up, ignoring floating-point noise just above a whole number."""
    return math.ceil(x * (1 - 1e-12))


def _common(alpha, power, ratio, variants, alternative) -> tuple[float, float, float, int, float]:
    """Validate shared options; return alpha, power, ratio, variants, one-tail alpha."""
    alpha = check_open_unit("alpha", alpha)
    power = check_open_unit("power", power)
    ratio = check_positive("ratio", ratio)
    check_choice("alternative", alternative, ALTERNATIVES)
    if isinstance(variants, bool) or not isinstance(variants, int | np.integer) or variants < 2:
        raise AnalysisError(
            f"`variants` counts all arms including control and must be a whole number >= 2, "
            f"but {variants!r} was passed; e.g. variants=3 for A/B/C."
        )
    tail = alpha / (variants - 1) / (2 if alternative == "two-sided" else 1)
    if power <= tail:
        raise AnalysisError(
            f"`power` ({power}) must exceed the one-tail alpha ({tail:g}); use e.g. power=0.8."
        )
    return alpha, power, ratio, int(variants), tail


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
    _, _, ratio, _, tail = _common(alpha, 0.5, ratio, variants, alternative)
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


def _sizes(alpha, power, ratio, variants, n_exact, method) -> dict:
    """The columns shared by every design frame, sizes rounded up."""
    n_control, n_variant = _ceil(n_exact), _ceil(n_exact * ratio)
    return {
        "alpha": alpha, "alpha_per_comparison": alpha / (variants - 1), "power": power,
        "ratio": ratio, "variants": variants, "n_control": n_control, "n_variant": n_variant,
        "n_total": n_control + (variants - 1) * n_variant, "n_control_exact": n_exact,
        "method": method,
    }  # fmt: skip


def _prop_frame(baseline, target, alpha, power, ratio, variants, n_exact) -> pd.DataFrame:
    rates = {"baseline": baseline, "target": target, "mde_abs": target - baseline}
    rates["mde_rel"] = target / baseline - 1
    return pd.DataFrame([rates | _sizes(alpha, power, ratio, variants, n_exact, _PROP_METHOD)])


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
    alpha, power, ratio, variants, tail = _common(alpha, power, ratio, variants, alternative)
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
    alpha, power, ratio, variants, tail = _common(alpha, power, ratio, variants, alternative)
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
    _, _, ratio, _, tail = _common(alpha, 0.5, ratio, variants, alternative)
    return float(_t_power(mde / sd, n_control, ratio, tail))


def _t_power(effect: float, n_control: float, ratio: float, tail: float) -> float:
    return TTestIndPower().power(effect, n_control, tail, ratio=ratio, alternative="larger")


def _mean_frame(sd, mde, alpha, power, ratio, variants, n_exact) -> pd.DataFrame:
    effect = {"sd": sd, "mde": mde, "effect_size": mde / sd}
    return pd.DataFrame([effect | _sizes(alpha, power, ratio, variants, n_exact, _MEAN_METHOD)])


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
    alpha, power, ratio, variants, tail = _common(alpha, power, ratio, variants, alternative)

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
    alpha, power, ratio, variants, tail = _common(alpha, power, ratio, variants, alternative)

    def gap(effect: float) -> float:
        return _t_power(effect, n, ratio, tail) - power

    effect = brentq(gap, 1e-12, 1e3, xtol=1e-14, rtol=1e-14)
    return _mean_frame(sd, effect * sd, alpha, power, ratio, variants, n)


def days_needed(n_total: int, *, daily_users: float, share_in_test: float = 1.0) -> pd.DataFrame:
    """Days a test must run: ``ceil(n_total / (daily_users * share_in_test))``.

    Parameters
    ----------
    n_total : int
        Users needed over all arms, e.g. ``plan["n_total"].iloc[0]`` from a design frame.
    daily_users : float
        Eligible users per day (new users reaching the tested page).
    share_in_test : float, default 1.0
        Share of eligible traffic put into the test, in (0, 1].

    Returns
    -------
    pandas.DataFrame
        One row: ``n_total, daily_users, share_in_test, users_per_day, days`` (whole days,
        rounded up; run whole weeks in practice to cover weekday effects).

    Raises
    ------
    AnalysisError
        ``n_total`` < 1, ``daily_users`` <= 0, or ``share_in_test`` outside (0, 1].

    Examples
    --------
    >>> days_needed(10_000, daily_users=1_200, share_in_test=0.5)
       n_total  daily_users  share_in_test  users_per_day  days
    0    10000       1200.0            0.5          600.0    17
    """
    n = check_positive("n_total", n_total)
    daily = check_positive("daily_users", daily_users)
    share = check_positive("share_in_test", share_in_test)
    if share > 1:
        raise AnalysisError(
            f"`share_in_test` is the share of daily traffic in the test and must be in (0, 1], "
            f"but {share_in_test!r} was passed; e.g. 0.5 for half the traffic."
        )
    per_day = daily * share
    return pd.DataFrame(
        [{"n_total": math.ceil(n), "daily_users": daily, "share_in_test": share,
          "users_per_day": per_day, "days": _ceil(n / per_day)}]
    )  # fmt: skip
