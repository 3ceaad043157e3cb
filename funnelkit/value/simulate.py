"""Customers drawn from known BG/NBD and Gamma-Gamma parameters, to check the fits recover them.

BG/NBD: each customer has ``λ ~ Gamma(r, rate α)`` and ``p ~ Beta(a, b)``; purchases come as a
Poisson process of rate ``λ`` and after each repeat purchase the customer drops out with
probability ``p``, so they drop out right after their ``J``-th repeat purchase, ``J ~
Geometric(p)``. With ``N ~ Poisson(λT)`` purchases in ``(0, T]`` had they stayed, ``x = min(N,
J)``, and given ``N`` the purchase times are sorted uniforms, so ``t_x = T · Beta(x, N - x + 1)``.

Gamma-Gamma: ``ν ~ Gamma(q, rate γ)`` per customer and each purchase ``z ~ Gamma(p, rate ν)``,
so the mean of ``x`` purchases is ``Gamma(p x, rate ν) / x``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core.errors import ParameterError

__all__ = ["simulate_bgnbd", "simulate_gammagamma"]


def _positive(**values: float) -> None:
    for name, value in values.items():
        if not value > 0:
            raise ParameterError(f"simulate: `{name}` = {value!r} must be a number > 0.")


def simulate_bgnbd(
    n: int,
    *,
    r: float,
    alpha: float,
    a: float,
    b: float,
    T: float | np.ndarray = 39.0,
    seed: int | None = None,
) -> pd.DataFrame:
    """Draw ``n`` customers' ``(x, t_x, T)`` from BG/NBD with the given parameters.

    ``T`` is one observation length or one per customer.

    Examples
    --------
    >>> simulate_bgnbd(3, r=0.5, alpha=5.0, a=0.8, b=2.5, seed=0).columns.tolist()
    ['x', 't_x', 'T']
    """
    _positive(r=r, alpha=alpha, a=a, b=b, n=n)
    rng = np.random.default_rng(seed)
    T = np.broadcast_to(np.asarray(T, dtype=float), (n,)).copy()
    lam = rng.gamma(r, 1.0 / alpha, n)
    p = rng.beta(a, b, n)
    would_buy = rng.poisson(lam * T)
    drop_after = rng.geometric(np.clip(p, 1e-300, 1.0))
    x = np.minimum(would_buy, drop_after)
    t_x = np.zeros(n)
    bought = x > 0
    t_x[bought] = T[bought] * rng.beta(x[bought], would_buy[bought] - x[bought] + 1)
    return pd.DataFrame({"x": x.astype("int64"), "t_x": t_x, "T": T})


def simulate_gammagamma(
    x: np.ndarray, *, p: float, q: float, gamma: float, seed: int | None = None
) -> np.ndarray:
    """Mean spend of ``x`` purchases per customer (``x > 0``) drawn from Gamma-Gamma.

    Examples
    --------
    >>> simulate_gammagamma([1, 4], p=6.0, q=4.0, gamma=15.0, seed=0).shape
    (2,)
    """
    _positive(p=p, q=q, gamma=gamma)
    x = np.asarray(x, dtype=float)
    if np.any(x <= 0):
        raise ParameterError("simulate_gammagamma: every `x` must be ≥ 1 (repeat buyers only).")
    rng = np.random.default_rng(seed)
    nu = rng.gamma(q, 1.0 / gamma, x.size)
    return rng.gamma(p * x, 1.0 / nu) / x
