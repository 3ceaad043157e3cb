"""Forecast helpers of the CLV: stable conditional purchases, discounting, parameter draws.

:func:`predicted_purchases` is BG/NBD's conditional expectation that stays finite when the fit
makes the dropout probability the same for everyone; :func:`bootstrap_mean_clv` recomputes the
mean CLV under parameters drawn from normals on the log scale with the fits' covariance (the
delta method maps it: ``cov / (θ θᵀ)``), the two models independently.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import hyp2f1

from ..core.errors import ParameterError
from .bgnbd import _params as bgnbd_params, conditional_expected_purchases, probability_alive
from .gammagamma import conditional_expected_spend
from .mle import ModelFit
from .summary import UNITS

__all__ = [
    "bootstrap_mean_clv",
    "check_options",
    "discount_factors",
    "log_normal_draws",
    "predicted_purchases",
]


def predicted_purchases(params, t, x, t_x, T) -> np.ndarray:
    """:func:`conditional_expected_purchases`, finite also when ``a`` and ``b`` are huge.

    When the fit makes the dropout probability the same for everyone (``a, b → ∞``), the
    Euler-transformed form overflows (``0 · ∞``); there the direct form FHL eq. 10,
    ``(a+b+x−1)/(a−1) · [1 − ((α+T)/(α+T+t))^(r+x) 2F1(r+x, b+x; a+b+x−1; t/(α+T+t))]
    · P(alive)``, is finite and used instead.
    """
    with np.errstate(all="ignore"):
        found = np.asarray(conditional_expected_purchases(params, t, x, t_x, T), dtype=float)
        bad = ~np.isfinite(found)
        if not bad.any():
            return found
        r, alpha, a, b = bgnbd_params(params)
        x, t_x, T, t = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (x, t_x, T, t)))
        xb, Tb, tb = x[bad], T[bad], t[bad]
        tail = ((alpha + Tb) / (alpha + Tb + tb)) ** (r + xb) * hyp2f1(
            r + xb, b + xb, a + b + xb - 1, tb / (alpha + Tb + tb)
        )
        alive = probability_alive(params, xb, t_x[bad], Tb)
        found = np.array(np.broadcast_to(found, x.shape), dtype=float)
        found[bad] = (a + b + xb - 1) / (a - 1) * (1 - tail) * alive
    return found


def discount_factors(params, x, t_x, T, horizon: float, step: float, weekly: float):
    """Discounted over undiscounted expected purchases, per customer (weekly discounting)."""
    grid = np.append(np.arange(step, horizon, step), horizon)
    cumulative = np.stack([predicted_purchases(params, t, x, t_x, T) for t in grid], axis=1)
    increments = np.diff(cumulative, axis=1, prepend=0.0)
    weights = (1.0 + weekly) ** -(grid / step)
    with np.errstate(invalid="ignore", divide="ignore"):
        factor = (increments @ weights) / cumulative[:, -1]
    return np.where(cumulative[:, -1] > 0, factor, 1.0)


def log_normal_draws(fit: ModelFit, n: int, rng: np.random.Generator) -> np.ndarray | None:
    """``n`` parameter vectors drawn from a normal on the log scale; None without a covariance."""
    theta = fit.params.to_numpy(dtype=float)
    cov = fit.cov.reindex(index=fit.params.index, columns=fit.params.index).to_numpy(dtype=float)
    if cov.size == 0 or not np.all(np.isfinite(cov)):
        return None
    cov_log = cov / np.outer(theta, theta)
    eigen = np.linalg.eigvalsh(cov_log)
    if eigen.min() < -1e-10 * max(eigen.max(), 1e-300):
        return None
    draws = rng.multivariate_normal(np.log(theta), cov_log, size=n, method="eigh")
    return np.exp(draws)


def bootstrap_mean_clv(
    purchases: ModelFit,
    spend: ModelFit,
    rows: pd.DataFrame,
    weights: np.ndarray,
    *,
    share: float,
    draws: int,
    seed: int,
) -> np.ndarray:
    """Mean CLV under ``draws`` parameter draws (NaN where a draw gives no finite value).

    ``rows`` holds distinct customers (``x, t_x, T, monetary``, the ``horizon`` and the discount
    ``factor`` of each), ``weights`` how many customers each stands for.
    """
    rng = np.random.default_rng(seed)
    bg = log_normal_draws(purchases, draws, rng)
    gg = log_normal_draws(spend, draws, rng)
    if bg is None or gg is None or draws == 0:
        return np.array([])
    history = rows[["x", "t_x", "T"]].to_numpy(dtype=float)
    histories, inverse = np.unique(history, axis=0, return_inverse=True)
    hx, htx, hT = (np.ascontiguousarray(c) for c in histories.T)  # once per distinct history
    x = history[:, 0]
    zbar, factor = rows["monetary"].to_numpy(dtype=float), rows["factor"].to_numpy(dtype=float)
    horizon = float(rows["horizon"].iloc[0])
    total = weights.sum()
    means = np.full(draws, np.nan)
    for i in range(draws):
        if gg[i, 1] <= 1:  # q ≤ 1: infinite mean spend
            continue
        bg_i = dict(zip(purchases.params.index, bg[i], strict=True))
        gg_i = dict(zip(spend.params.index, gg[i], strict=True))
        with np.errstate(all="ignore"):
            clv = (
                predicted_purchases(bg_i, horizon, hx, htx, hT)[inverse.ravel()]
                * factor
                * conditional_expected_spend(gg_i, x, zbar)
                * share
            )
        if np.all(np.isfinite(clv)):
            means[i] = float(weights @ clv / total)
    return means


def check_options(horizon_weeks: float, discount_rate_annual: float, margin: float | None,
                   unit: str, draws: int) -> None:  # fmt: skip
    """Refuse options of :func:`~funnelkit.value.clv.customer_value` out of range."""
    if not np.isfinite(horizon_weeks) or horizon_weeks <= 0:
        raise ParameterError(
            f"customer_value: `horizon_weeks` = {horizon_weeks!r} must be a number > 0, e.g. 52."
        )
    if not 0 <= discount_rate_annual < 1:
        raise ParameterError(
            f"customer_value: `discount_rate_annual` = {discount_rate_annual!r} must lie in "
            "[0, 1), e.g. 0.1 for 10% a year."
        )
    if margin is not None and not 0 < margin <= 1:
        raise ParameterError(
            f"customer_value: `margin` = {margin!r} must be a share in (0, 1], e.g. 0.45."
        )
    if unit not in UNITS:
        raise ParameterError(f"customer_value: `unit` = {unit!r} must be one of {sorted(UNITS)}.")
    if draws < 0:
        raise ParameterError(f"customer_value: `draws` = {draws!r} must be ≥ 0 (0: no interval).")
