"""A sequential test that stays valid however often one looks: the mixture SPRT (mSPRT).

Teams look at an A/B test every day; stopping at the first fixed-horizon p < 0.05 inflates the
false-positive rate far above 5%. The mSPRT of Johari, Koomen, Pekelis & Walsh (2017, "Peeking
at A/B Tests: Why it matters, and what to do about it", KDD '17, eq. for the normal mixture)
gives an *always-valid* p-value instead: under H0 the chance that it ever falls below alpha, at
any look, is at most alpha.

Conventions:

- At each look n the difference θ̂ₙ = variant - control (rate or mean) has plug-in variance
  Vₙ = s₁²/n₁ + s₂²/n₂ (for rates s² = p(1 - p), for means the sample variance, ddof 1).
- Normal mixing distribution θ ~ N(θ₀, τ²) over the alternatives; the mixture likelihood ratio
  of the normal approximation θ̂ₙ ~ N(θ, Vₙ) is

  Λₙ = √(Vₙ / (Vₙ + τ²)) · exp(τ² (θ̂ₙ - θ₀)² / (2 Vₙ (Vₙ + τ²))),

  computed on the log scale; the always-valid p-value is pₙ = min(1, 1 / max_{m ≤ n} Λₘ)
  (non-increasing), and the boundary is crossed when Λₙ ≥ 1 / alpha, i.e. pₙ ≤ alpha.
- τ is on the scale of the difference (absolute rate difference, or the metric's unit) and is
  best set to the size of effect one expects, e.g. the design's MDE; two-sided only.
- A look before both arms have a variance (no users, or a rate of 0 or 1) carries no
  information: Λ = 0 there and the p-value stays where it was.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .arguments import AnalysisError, check_columns, check_open_unit, check_positive

__all__ = ["always_valid_p", "msprt", "msprt_log_lr"]

_COLUMNS = [
    "look", "variant", "control", "users", "control_users", "estimate", "control_estimate",
    "diff", "std_error", "likelihood_ratio", "p_value", "crossed", "tau", "alpha", "test", "note",
]  # fmt: skip


def msprt_log_lr(diff, variance, *, tau: float, theta0: float = 0.0) -> np.ndarray:
    """Log Λ of the normal-mixture SPRT, elementwise (-inf where ``variance`` is not > 0).

    Examples
    --------
    >>> round(float(msprt_log_lr(0.0, 1.0, tau=1.0)), 6), round(float(np.log(0.5) / 2), 6)
    (-0.346574, -0.346574)
    """
    diff, variance = np.asarray(diff, dtype=float), np.asarray(variance, dtype=float)
    ok = np.isfinite(variance) & (variance > 0) & np.isfinite(diff)
    v = np.where(ok, variance, 1.0)
    t2 = tau * tau
    log_lr = 0.5 * np.log(v / (v + t2)) + t2 * (diff - theta0) ** 2 / (2 * v * (v + t2))
    return np.where(ok, log_lr, -np.inf)


def always_valid_p(diff, variance, *, tau: float, theta0: float = 0.0) -> np.ndarray:
    """Always-valid p-values pₙ = min(1, 1 / max_{m ≤ n} Λₘ) along the last axis (the looks).

    Parameters
    ----------
    diff, variance : array_like
        θ̂ and its variance at each look (last axis); other axes are independent series.
    tau : float
        Standard deviation of the normal mixing distribution, > 0.
    theta0 : float, default 0
        The null difference.

    Returns
    -------
    numpy.ndarray
        The p-values, non-increasing along the last axis.

    Examples
    --------
    >>> always_valid_p([0.0, 0.02, 0.01], [1e-4, 5e-5, 3e-5], tau=0.01).round(4)
    array([1.    , 0.1203, 0.1203])
    """
    log_lr = np.maximum.accumulate(msprt_log_lr(diff, variance, tau=tau, theta0=theta0), axis=-1)
    return np.exp(-np.maximum(log_lr, 0.0))


def _arm_numbers(wide: dict, users: np.ndarray, metric: str) -> tuple[np.ndarray, np.ndarray]:
    """Estimate and variance of one observation per look for one arm."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if metric == "proportion":
            rate = wide["conversions"] / users
            return rate, rate * (1 - rate)
        mean = wide["sum"] / users
        var = (wide["sum_sq"] - wide["sum"] ** 2 / users) / (users - 1)
        return mean, np.where(users >= 2, np.maximum(var, 0.0), np.nan)


def msprt(
    data: pd.DataFrame,
    *,
    control: str,
    tau: float,
    alpha: float = 0.05,
    variant_col: str = "variant",
    look_col: str = "date",
    users_col: str = "cumulative_users",
    conversions_col: str = "cumulative_conversions",
    sum_col: str | None = None,
    sum_sq_col: str | None = None,
    theta0: float = 0.0,
) -> pd.DataFrame:
    """Mixture SPRT of each variant against control at every look (Johari et al. 2017).

    Parameters
    ----------
    data : pandas.DataFrame
        Cumulative counts, one row per variant and look (e.g. the output of
        ``abtest.daily_cumulative``): users and converted users so far, or, for a mean, users,
        the sum of the values and the sum of squared values so far. A look missing for a
        variant carries its previous totals forward.
    control : str
        The control's value in ``variant_col``.
    tau : float
        Standard deviation of the mixing distribution, on the scale of the difference (rate
        points, e.g. 0.01, or the metric's unit); set it near the effect you expect (the MDE).
    alpha : float, default 0.05
        The boundary: stop when the always-valid p-value is at most ``alpha``.
    variant_col, look_col, users_col, conversions_col : str
        Column names in ``data`` (defaults: those of ``daily_cumulative``).
    sum_col, sum_sq_col : str, optional
        Give both to test a difference of means instead of rates.
    theta0 : float, default 0
        The difference under the null hypothesis.

    Returns
    -------
    pandas.DataFrame
        One row per non-control variant and look (in look order): ``look, variant, control,
        users, control_users, estimate, control_estimate, diff, std_error`` (√Vₙ),
        ``likelihood_ratio`` (Λₙ), ``p_value`` (always valid), ``crossed`` (p_value <= alpha:
        the boundary has been reached at this look or before), ``tau, alpha, test``
        ("msprt_normal_mixture") and ``note``.

    Raises
    ------
    AnalysisError
        Missing column, unknown control, tau <= 0, alpha outside (0, 1), negative or
        non-numeric counts, or a look twice for one variant.

    Examples
    --------
    >>> days = pd.DataFrame({"date": [1, 1, 2, 2], "variant": ["A", "B"] * 2,
    ...     "cumulative_users": [1000, 1000, 2000, 2000],
    ...     "cumulative_conversions": [100, 130, 200, 270]})
    >>> msprt(days, control="A", tau=0.02)[["look", "diff", "p_value", "crossed"]].round(4)
       look   diff  p_value  crossed
    0     1  0.030   0.3964    False
    1     2  0.035   0.0199     True
    """
    tau = check_positive("tau", tau)
    alpha = check_open_unit("alpha", alpha)
    means = sum_col is not None or sum_sq_col is not None
    if means and (sum_col is None or sum_sq_col is None):
        raise AnalysisError("Pass both `sum_col` and `sum_sq_col` to test a mean, or neither.")
    fields = {"users": users_col}
    fields |= {"sum": sum_col, "sum_sq": sum_sq_col} if means else {"conversions": conversions_col}
    check_columns(data, [variant_col, look_col, *fields.values()])
    frame = data[[variant_col, look_col, *fields.values()]].copy()
    frame[variant_col] = frame[variant_col].astype(str)
    for column in fields.values():
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    bad = ~np.isfinite(frame[list(fields.values())].to_numpy(float)).all(axis=1)
    bad |= (frame[users_col] < 0).to_numpy()
    if not means:
        bad |= (
            (frame[conversions_col] < 0) | (frame[conversions_col] > frame[users_col])
        ).to_numpy()
    if bad.any():
        raise AnalysisError(
            f"Columns {list(fields.values())} must hold cumulative counts (users >= conversions "
            f">= 0), but rows {np.flatnonzero(bad)[:5].tolist()} do not."
        )
    if frame.duplicated([variant_col, look_col]).any():
        raise AnalysisError(
            f"`data` must hold one row per variant and '{look_col}'; aggregate first."
        )
    variants = pd.unique(frame[variant_col]).tolist()
    if control not in variants or len(variants) < 2:
        raise AnalysisError(
            f"`control` {control!r} and at least one variant must be values of column "
            f"'{variant_col}'; present: {variants}."
        )
    wide = {
        key: frame.pivot_table(index=look_col, columns=variant_col, values=column, aggfunc="sum")
        .sort_index()
        .ffill()
        .fillna(0.0)
        for key, column in fields.items()
    }  # fmt: skip
    metric = "mean" if means else "proportion"
    looks = wide["users"].index
    arms = {
        v: (wide["users"][v].to_numpy(float), {k: w[v].to_numpy(float) for k, w in wide.items()})
        for v in variants
    }
    n2, numbers2 = arms[control]
    m2, s2 = _arm_numbers(numbers2, n2, metric)
    rows = []
    for variant in (v for v in variants if v != control):
        n1, numbers1 = arms[variant]
        m1, s1 = _arm_numbers(numbers1, n1, metric)
        with np.errstate(divide="ignore", invalid="ignore"):
            variance = s1 / n1 + s2 / n2
        diff = m1 - m2
        log_lr = msprt_log_lr(diff, variance, tau=tau, theta0=theta0)
        p_value = always_valid_p(diff, variance, tau=tau, theta0=theta0)
        empty = ~(np.isfinite(variance) & (variance > 0))
        rows.append(
            pd.DataFrame(
                {"look": looks, "variant": variant, "control": control,
                 "users": n1.astype(np.int64), "control_users": n2.astype(np.int64),
                 "estimate": m1, "control_estimate": m2, "diff": diff,
                 "std_error": np.sqrt(variance), "likelihood_ratio": np.exp(log_lr),
                 "p_value": p_value, "crossed": p_value <= alpha, "tau": tau, "alpha": alpha,
                 "test": "msprt_normal_mixture",
                 "note": np.where(empty, "no variance yet in an arm: look carries no evidence", "")}
            )
        )  # fmt: skip
    return pd.concat(rows, ignore_index=True)[_COLUMNS]
