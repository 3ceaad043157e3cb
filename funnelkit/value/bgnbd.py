"""The BG/NBD purchase model (Fader, Hardie & Lee 2005, "Counting Your Customers the Easy Way").

While alive, a customer buys as a Poisson process with rate ``λ ~ Gamma(r, α)``; after each
repeat purchase they drop out for good with probability ``p ~ Beta(a, b)``. For a customer
with ``x`` repeat purchases, the last at ``t_x``, observed for ``T`` (FHL eq. 6)::

    L = B(a, b+x)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+T)^(r+x))
        + [x > 0] · B(a+1, b+x-1)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+t_x)^(r+x))

computed in logs (``gammaln``, ``betaln``, ``logaddexp``) so it stays finite for large ``x``.
Fitting: :func:`fit_bgnbd`. Predictions: :func:`expected_purchases` (a new customer, FHL eq. 7),
:func:`conditional_expected_purchases` (FHL eq. 10) and :func:`probability_alive`. The Gaussian
hypergeometric function of eqs. 7 and 10 is evaluated after Euler's transformation
``2F1(a,b;c;z) = (1-z)^(c-a-b) 2F1(c-a, c-b; c; z)``, whose parameters ``a+b-1-r`` and ``a-1``
do not grow with ``x`` — the direct series needs more and more terms, and scipy's ``hyp2f1``
loses accuracy, as ``x`` grows.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy.special import betaln, digamma, gammaln, hyp2f1

from ..core.errors import DataError, ParameterError
from .mle import ModelFit, fit_max_likelihood
from .summary import _check_summary

__all__ = [
    "BGNBD_PARAMS",
    "bgnbd_loglik",
    "conditional_expected_purchases",
    "expected_purchases",
    "fit_bgnbd",
    "probability_alive",
]

BGNBD_PARAMS = ("r", "alpha", "a", "b")


def _params(params: ModelFit | Mapping[str, float]) -> tuple[float, float, float, float]:
    values = params.params if isinstance(params, ModelFit) else params
    try:
        r, alpha, a, b = (float(values[k]) for k in BGNBD_PARAMS)
    except KeyError as exc:
        raise ParameterError(
            f"BG/NBD: parameter {exc.args[0]!r} is missing from {dict(values)!r}; give "
            "r, alpha, a and b (or the result of fit_bgnbd)."
        ) from None
    for name, value in zip(BGNBD_PARAMS, (r, alpha, a, b), strict=True):
        if not value > 0:
            raise ParameterError(
                f"BG/NBD: parameter {name} = {value!r} must be a number > 0; fit the model "
                "with fit_bgnbd or give positive values."
            )
    return r, alpha, a, b


def _arrays(x, t_x, T) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    if np.any(t_x > T + 1e-9) or np.any((x == 0) & (t_x > 0)) or np.any(x < 0):
        raise DataError(
            "BG/NBD: need 0 ≤ t_x ≤ T, x ≥ 0, and t_x = 0 when x = 0; check the summary "
            "(rfm_summary builds it that way)."
        )
    return x, t_x, T


def bgnbd_loglik(params: ModelFit | Mapping[str, float], x, t_x, T) -> np.ndarray:
    """Log-likelihood of each customer's ``(x, t_x, T)`` under BG/NBD (FHL 2005, eq. 6).

    Examples
    --------
    >>> p = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    >>> bgnbd_loglik(p, [0, 2], [0.0, 30.43], [38.86, 38.86]).round(4)
    array([-0.5547, -9.4586])
    """
    r, alpha, a, b = _params(params)
    x, t_x, T = _arrays(x, t_x, T)
    head = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + betaln(a, b + x) - betaln(a, b)
    stay = -(r + x) * np.log(alpha + T)
    with np.errstate(divide="ignore", invalid="ignore"):
        gone = np.where(
            x > 0, np.log(a) - np.log(b + x - 1) - (r + x) * np.log(alpha + t_x), -np.inf
        )
    return head + np.logaddexp(stay, gone)


class _Data:
    """The fitting data, with identical customers merged and the per-``x`` terms cached."""

    def __init__(self, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> None:
        rows = pd.DataFrame({"x": x, "t_x": t_x, "T": T})
        if len(rows) > 1000:
            counts = rows.value_counts(sort=False)
            if len(counts) < 0.8 * len(rows):
                rows = counts.index.to_frame(index=False)
                self.w = counts.to_numpy(dtype=float)
            else:
                self.w = np.ones(len(rows))
        else:
            self.w = np.ones(len(rows))
        self.x = rows["x"].to_numpy(dtype=float)
        self.t_x = rows["t_x"].to_numpy(dtype=float)
        self.T = rows["T"].to_numpy(dtype=float)
        self.ux, self.inv = np.unique(self.x, return_inverse=True)
        self.wx = np.bincount(self.inv, weights=self.w)  # weight per distinct x
        self.rep = self.x > 0
        self.n = float(self.w.sum())

    def neg_loglik(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        """Total negative log-likelihood and its gradient in (r, alpha, a, b)."""
        r, alpha, a, b = theta
        ux, wx, w, x = self.ux, self.wx, self.w, self.x
        # terms that depend on x only: once per distinct x
        head = gammaln(r + ux) - gammaln(r) + betaln(a, b + ux) - betaln(a, b)
        d_r_head = digamma(r + ux) - digamma(r)
        dg_abx = digamma(a + b + ux)
        d_a_head = digamma(a + b) - dg_abx
        d_b_head = digamma(b + ux) - dg_abx - digamma(b) + digamma(a + b)
        log_at = np.log(alpha + self.T)
        log_atx = np.log(alpha + self.t_x)
        rx = r + x
        stay = -rx * log_at
        with np.errstate(divide="ignore", invalid="ignore"):
            bx1 = np.where(self.rep, b + x - 1, 1.0)
            gone = np.where(self.rep, np.log(a) - np.log(bx1) - rx * log_atx, -np.inf)
        mix = np.logaddexp(stay, gone)
        share_gone = np.exp(gone - mix)  # weight of the "dropped out at t_x" branch
        share_stay = 1.0 - share_gone
        total = wx @ head + self.n * r * np.log(alpha) + w @ mix
        g_r = (
            wx @ d_r_head
            + self.n * np.log(alpha)
            - w @ (share_stay * log_at + share_gone * log_atx)
        )
        g_alpha = self.n * r / alpha - w @ (
            rx * (share_stay / (alpha + self.T) + share_gone / (alpha + self.t_x))
        )
        g_a = wx @ d_a_head + (w @ share_gone) / a
        g_b = wx @ d_b_head - w @ (share_gone / bx1)
        return -float(total), -np.array([g_r, g_alpha, g_a, g_b])


def fit_bgnbd(
    summary: pd.DataFrame,
    *,
    frequency: str = "x",
    recency: str = "t_x",
    age: str = "T",
) -> ModelFit:
    """Fit BG/NBD by maximum likelihood; estimates with standard errors.

    Parameters
    ----------
    summary : DataFrame
        One row per customer, e.g. from :func:`funnelkit.value.rfm_summary`.
    frequency, recency, age : str, keyword-only
        Columns of ``x``, ``t_x`` and ``T``.

    Returns
    -------
    ModelFit
        ``params`` and ``se`` (r, alpha, a, b), ``loglik``, ``n``, ``converged``; ``.table()``
        is the tidy frame.

    Examples
    --------
    >>> from funnelkit.value.simulate import simulate_bgnbd
    >>> data = simulate_bgnbd(3000, r=0.5, alpha=5.0, a=0.8, b=2.5, T=40.0, seed=1)
    >>> fit = fit_bgnbd(data)
    >>> fit.converged, fit.n
    (True, 3000)
    """
    cols = _check_summary(summary, (frequency, recency, age), "fit_bgnbd")
    x, t_x, T = _arrays(cols[frequency], cols[recency], cols[age])
    if len(x) < 2 or not np.any(x > 0):
        raise DataError(
            f"fit_bgnbd: {len(x)} customer(s), {int(np.sum(x > 0))} with repeat purchases; the "
            "model needs customers who bought again — use a longer calibration period."
        )
    data = _Data(x, t_x, T)
    mean_rate = max(float(np.mean(x)), 0.1) / max(float(np.mean(T)), 1e-6)
    start = (1.0, 1.0 / mean_rate, 1.0, 1.0)
    return fit_max_likelihood(
        data.neg_loglik, start, BGNBD_PARAMS, model="BG/NBD", n=len(x), weight=data.n
    )


def _euler_hyp2f1_tail(r, alpha, a, b, x, horizon, age) -> np.ndarray:
    """``((α+T)/(α+T+t))^(r+x) · 2F1(r+x, b+x; a+b+x-1; t/(α+T+t))``, computed stably."""
    base = (alpha + age) / (alpha + age + horizon)
    z = horizon / (alpha + age + horizon)
    return base ** (a - 1) * hyp2f1(a + b - 1 - r, a - 1, a + b + x - 1, z)


def expected_purchases(params: ModelFit | Mapping[str, float], t) -> np.ndarray:
    """Expected repeat purchases in ``(0, t]`` of a customer who just made a first purchase.

    FHL 2005 eq. 7: ``(a+b-1)/(a-1) · [1 - (α/(α+t))^r 2F1(r, b; a+b-1; t/(α+t))]``.

    Examples
    --------
    >>> p = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    >>> expected_purchases(p, [39.0, 78.0]).round(3)
    array([1.197, 1.861])
    """
    r, alpha, a, b = _params(params)
    t = np.asarray(t, dtype=float)
    if np.any(t < 0):
        raise ParameterError(
            f"expected_purchases: horizon t = {t} is negative; give a horizon ≥ 0 in the "
            "summary's time unit (weeks by default)."
        )
    tail = _euler_hyp2f1_tail(r, alpha, a, b, 0.0, t, 0.0)
    return (a + b - 1) / (a - 1) * (1 - tail)


def probability_alive(params: ModelFit | Mapping[str, float], x, t_x, T) -> np.ndarray:
    """P(still a customer at T | x, t_x, T); 1 for ``x = 0`` (nobody drops out before buying again).

    Examples
    --------
    >>> p = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    >>> probability_alive(p, [0, 2, 2], [0.0, 30.43, 5.0], [38.86, 38.86, 38.86]).round(3)
    array([1.   , 0.727, 0.124])
    """
    r, alpha, a, b = _params(params)
    x, t_x, T = _arrays(x, t_x, T)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_odds = (
            np.log(a) - np.log(b + x - 1) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
        )
    return np.where(x > 0, 1.0 / (1.0 + np.exp(np.where(x > 0, log_odds, 0.0))), 1.0)


def conditional_expected_purchases(
    params: ModelFit | Mapping[str, float], t, x, t_x, T
) -> np.ndarray:
    """Expected purchases in ``(T, T+t]`` of a customer with history ``(x, t_x, T)`` (FHL eq. 10).

    Examples
    --------
    >>> p = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    >>> conditional_expected_purchases(p, 39.0, [0, 2], [0.0, 30.43], [38.86, 38.86]).round(3)
    array([0.195, 1.226])
    """
    r, alpha, a, b = _params(params)
    x, t_x, T = _arrays(x, t_x, T)
    t = np.asarray(t, dtype=float)
    tail = _euler_hyp2f1_tail(r, alpha, a, b, x, t, T)
    return (a + b + x - 1) / (a - 1) * (1 - tail) * probability_alive(params, x, t_x, T)
