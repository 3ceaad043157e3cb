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
from .bgnbd import _euler_hyp2f1_tail, _params as bgnbd_params, probability_alive
from .mle import ModelFit
from .summary import UNITS

__all__ = [
    "bootstrap_mean_clv",
    "check_options",
    "discount_factors",
    "log_normal_draws",
    "predicted_purchases",
    "purchases_if_alive",
]


def purchases_if_alive(params, t, x, T) -> np.ndarray:
    """Expected purchases in ``(T, T+t]`` of a customer still buying at ``T`` (any ``t_x``).

    FHL eq. 10 without its ``P(alive)`` factor:
    ``(a+b+x−1)/(a−1) · [1 − ((α+T)/(α+T+t))^(r+x) 2F1(r+x, b+x; a+b+x−1; t/(α+T+t))]``,
    computed through the Euler transform; where that overflows (the fit makes the dropout
    probability the same for everyone, ``a, b → ∞``: ``0 · ∞``) the direct form, which is finite
    there, is used. It does not depend on the recency ``t_x``, so it can be computed once per
    distinct ``(x, T)``.

    Examples
    --------
    >>> p = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    >>> purchases_if_alive(p, 39.0, [2], [38.86]).round(3)  # × P(alive) 0.727 = 1.226
    array([1.687])
    """
    r, alpha, a, b = bgnbd_params(params)
    x, T, t = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (x, T, t)))
    with np.errstate(all="ignore"):
        tail = _euler_hyp2f1_tail(r, alpha, a, b, x, t, T)
        found = np.array((a + b + x - 1) / (a - 1) * (1 - tail), dtype=float, ndmin=1)
        bad = ~np.isfinite(found)
        if bad.any():
            xb, Tb, tb = (np.atleast_1d(v)[bad] for v in (x, T, t))
            direct = ((alpha + Tb) / (alpha + Tb + tb)) ** (r + xb) * hyp2f1(
                r + xb, b + xb, a + b + xb - 1, tb / (alpha + Tb + tb)
            )
            found[bad] = (a + b + xb - 1) / (a - 1) * (1 - direct)
    return found.reshape(x.shape)


def predicted_purchases(params, t, x, t_x, T) -> np.ndarray:
    """:func:`conditional_expected_purchases`, finite also when ``a`` and ``b`` are huge.

    :func:`purchases_if_alive` × :func:`~funnelkit.value.bgnbd.probability_alive`.

    Examples
    --------
    >>> p = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    >>> predicted_purchases(p, 39.0, [0, 2], [0.0, 30.43], [38.86, 38.86]).round(3)
    array([0.195, 1.226])
    """
    return purchases_if_alive(params, t, x, T) * probability_alive(params, x, t_x, T)


def discount_factors(params, x, t_x, T, horizon: float, step: float, weekly: float):
    """Discounted over undiscounted expected purchases, per customer (weekly discounting).

    ``P(alive)`` cancels in the ratio, so it is computed once per distinct ``(x, T)``; ``t_x``
    is accepted for symmetry with :func:`predicted_purchases`.
    """
    x, T = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(T, dtype=float))
    pairs, inverse = np.unique(np.column_stack([x.ravel(), T.ravel()]), axis=0,
                               return_inverse=True)  # fmt: skip
    grid = np.append(np.arange(step, horizon, step), horizon)
    px, pT = pairs[:, 0], pairs[:, 1]
    cumulative = np.stack([purchases_if_alive(params, t, px, pT) for t in grid], axis=1)
    increments = np.diff(cumulative, axis=1, prepend=0.0)
    weights = (1.0 + weekly) ** -(grid / step)
    with np.errstate(invalid="ignore", divide="ignore"):
        factor = (increments @ weights) / cumulative[:, -1]
    factor = np.where(cumulative[:, -1] > 0, factor, 1.0)
    return factor[inverse.ravel()].reshape(x.shape)


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
    inverse = inverse.ravel()
    hx, htx, hT = (np.ascontiguousarray(c) for c in histories.T)
    # the 2F1 part depends on (x, T) only, P(alive) on the whole history, and the expected spend
    # is linear in zbar: per history, the customers' weight × discount and weight × discount × zbar
    pairs, pair_of = np.unique(histories[:, [0, 2]], axis=0, return_inverse=True)
    pair_of = pair_of.ravel()
    px, pT = pairs[:, 0], pairs[:, 1]
    carried = weights * rows["factor"].to_numpy(dtype=float)
    mass = np.bincount(inverse, weights=carried, minlength=len(histories))
    spent = np.bincount(
        inverse, weights=carried * rows["monetary"].to_numpy(dtype=float), minlength=len(histories)
    )
    horizon = float(rows["horizon"].iloc[0])
    total = weights.sum()
    means = np.full(draws, np.nan)
    order = [list(spend.params.index).index(k) for k in ("p", "q", "gamma")]
    for i in range(draws):
        p, q, gamma = gg[i, order]
        if q <= 1:  # infinite mean spend
            continue
        bg_i = dict(zip(purchases.params.index, bg[i], strict=True))
        with np.errstate(all="ignore"):
            expected = purchases_if_alive(bg_i, horizon, px, pT)[pair_of] * probability_alive(
                bg_i, hx, htx, hT
            )
            # Σ over a history's customers of weight × factor × E[spend | x, zbar] (FHL eq. 3)
            spending = (p * gamma * mass + p * hx * spent) / (p * hx + q - 1)
            clv = expected * spending * share
        if np.all(np.isfinite(clv)):
            means[i] = float(clv.sum() / total)
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
