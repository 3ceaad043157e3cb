"""The Gamma-Gamma spend model of the mean value of a customer's repeat purchases.

Sources: Fader, Hardie & Lee 2005, "RFM and CLV: Using Iso-value Curves for Customer Base
Analysis"; Fader & Hardie 2013, "The Gamma-Gamma Model of Monetary Value".

Each purchase of a customer is worth ``z ~ Gamma(p, ν)``, and ``ν ~ Gamma(q, γ)`` across
customers; only the mean ``zbar`` of a customer's ``x`` repeat purchases is used. Its density
(Fader & Hardie 2013, eq. 3)::

    f(zbar | x) = Γ(px+q) / (Γ(px) Γ(q)) · γ^q (x zbar)^(px-1) x / (γ + x zbar)^(px+q)

The model assumes spend is independent of purchase frequency: :func:`spend_frequency_check`
tests it. :func:`conditional_expected_spend` is the posterior mean spend per purchase
(FHL 2005 eq. 3): a weighted mean of the population mean ``pγ/(q-1)`` and the customer's own
``zbar``.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import digamma, gammaln

from ..core.errors import DataError, DataWarning, ParameterError
from .mle import ModelFit, fit_max_likelihood
from .summary import _check_summary

__all__ = [
    "GAMMAGAMMA_PARAMS",
    "conditional_expected_spend",
    "fit_gammagamma",
    "gammagamma_loglik",
    "spend_frequency_check",
]

GAMMAGAMMA_PARAMS = ("p", "q", "gamma")


def _params(params: ModelFit | Mapping[str, float]) -> tuple[float, float, float]:
    values = params.params if isinstance(params, ModelFit) else params
    try:
        p, q, gamma = (float(values[k]) for k in GAMMAGAMMA_PARAMS)
    except KeyError as exc:
        raise ParameterError(
            f"Gamma-Gamma: parameter {exc.args[0]!r} is missing from {dict(values)!r}; give "
            "p, q and gamma (or the result of fit_gammagamma)."
        ) from None
    for name, value in zip(GAMMAGAMMA_PARAMS, (p, q, gamma), strict=True):
        if not value > 0:
            raise ParameterError(
                f"Gamma-Gamma: parameter {name} = {value!r} must be a number > 0; fit the "
                "model with fit_gammagamma or give positive values."
            )
    return p, q, gamma


def _repeat_buyers(x, zbar, what: str) -> tuple[np.ndarray, np.ndarray]:
    x, zbar = np.asarray(x, dtype=float), np.asarray(zbar, dtype=float)
    if np.any(x <= 0) or np.any(zbar <= 0):
        raise DataError(
            f"{what}: every customer needs x ≥ 1 repeat purchase and a mean spend > 0 (found "
            f"x = {x.min():g}, spend = {zbar.min():g}); keep the rows with x > 0 and spend > 0."
        )
    return x, zbar


def gammagamma_loglik(params: ModelFit | Mapping[str, float], x, zbar) -> np.ndarray:
    """Log density of each repeat buyer's mean spend ``zbar`` over ``x`` purchases.

    Examples
    --------
    >>> gammagamma_loglik({"p": 6.25, "q": 3.74, "gamma": 15.44}, [2], [22.35]).round(4)
    array([-3.5513])
    """
    p, q, gamma = _params(params)
    x, zbar = _repeat_buyers(x, zbar, "gammagamma_loglik")
    px = p * x
    return (
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * np.log(gamma)
        + (px - 1) * np.log(x * zbar)
        + np.log(x)
        - (px + q) * np.log(gamma + x * zbar)
    )


def fit_gammagamma(
    summary: pd.DataFrame, *, frequency: str = "x", monetary: str = "monetary"
) -> ModelFit:
    """Fit Gamma-Gamma by maximum likelihood on the customers with ``x > 0``.

    Repeat buyers whose mean spend is 0 (free repeat orders) have no gamma density; they are
    left out with a :class:`~funnelkit.core.errors.DataWarning` saying how many.

    Examples
    --------
    >>> from funnelkit.value.simulate import simulate_gammagamma
    >>> x = np.arange(1, 2001) % 5 + 1
    >>> spend = simulate_gammagamma(x, p=6, q=4, gamma=15, seed=0)
    >>> data = pd.DataFrame({"x": x, "monetary": spend})
    >>> fit_gammagamma(data).converged
    True
    """
    cols = _check_summary(summary, (frequency, monetary), "fit_gammagamma")
    keep = cols[frequency] > 0
    free = keep & (cols[monetary] <= 0)
    if free.any():
        warnings.warn(
            f"fit_gammagamma: {int(free.sum()):,} of {int(keep.sum()):,} repeat buyers have a "
            f"mean spend of 0 in {monetary!r}; the spend model is fitted without them.",
            DataWarning,
            stacklevel=2,
        )
        keep &= ~free
    x, zbar = _repeat_buyers(cols[frequency][keep], cols[monetary][keep], "fit_gammagamma")
    if x.size < 3:
        raise DataError(
            f"fit_gammagamma: {x.size} repeat buyer(s); the spend model needs at least 3 "
            "customers with x > 0."
        )
    frame = pd.DataFrame({"x": x, "z": zbar}).value_counts(sort=False)
    ux = frame.index.get_level_values(0).to_numpy(dtype=float)
    uz = frame.index.get_level_values(1).to_numpy(dtype=float)
    w = frame.to_numpy(dtype=float)
    xz = ux * uz
    log_xz = np.log(xz)
    n = w.sum()
    const = w @ np.log(ux)

    def neg_loglik(theta: np.ndarray) -> tuple[float, np.ndarray]:
        p, q, gamma = theta
        px = p * ux
        log_gxz = np.log(gamma + xz)
        total = (
            w @ (gammaln(px + q) - gammaln(px) + (px - 1) * log_xz - (px + q) * log_gxz)
            + n * (q * np.log(gamma) - gammaln(q))
            + const
        )
        dg = digamma(px + q)
        g_p = w @ (ux * (dg - digamma(px) + log_xz - log_gxz))
        g_q = w @ (dg - log_gxz) + n * (np.log(gamma) - digamma(q))
        g_gamma = n * q / gamma - w @ ((px + q) / (gamma + xz))
        return -float(total), -np.array([g_p, g_q, g_gamma])

    mean, var = float(np.mean(zbar)), float(np.var(zbar)) or 1.0
    # method-of-moments-like start: q > 2 keeps the mean finite, p·γ/(q-1) ≈ mean spend
    start = (max(mean**2 / var, 0.5), 3.0, max(mean, 1e-3))
    return fit_max_likelihood(
        neg_loglik, start, GAMMAGAMMA_PARAMS, model="Gamma-Gamma", n=x.size, weight=n
    )


def conditional_expected_spend(params: ModelFit | Mapping[str, float], x, zbar) -> np.ndarray:
    """Expected spend per purchase given ``x`` purchases averaging ``zbar`` (FHL 2005 eq. 3).

    ``(q-1)/(px+q-1) · pγ/(q-1) + px/(px+q-1) · zbar``; for ``x = 0`` the population mean
    ``pγ/(q-1)`` (needs ``q > 1``).

    Examples
    --------
    >>> params = {"p": 6.25, "q": 3.74, "gamma": 15.44}
    >>> conditional_expected_spend(params, [0, 2], [0, 22.35]).round(2)
    array([35.22, 24.66])
    """
    p, q, gamma = _params(params)
    if q <= 1:
        raise ParameterError(
            f"conditional_expected_spend: q = {q:g} ≤ 1, so the mean spend is infinite; the "
            "spend model does not fit these data."
        )
    x, zbar = np.asarray(x, dtype=float), np.asarray(zbar, dtype=float)
    px = p * x
    return (p * gamma + px * zbar) / (px + q - 1)


def spend_frequency_check(
    summary: pd.DataFrame,
    *,
    frequency: str = "x",
    monetary: str = "monetary",
    weak: float = 0.3,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Test whether mean spend is independent of purchase frequency among repeat buyers (Pearson).

    Gamma-Gamma assumes it is. The assumption is taken to hold when the correlation is weak,
    ``|r| < weak`` — with hundreds of customers a weak correlation is often significant (FHL
    2005 report r = 0.11 on CDNOW and keep the model); both facts are in the row.

    Examples
    --------
    >>> data = pd.DataFrame({"x": [1, 2, 3, 4, 5, 0], "monetary": [10, 12, 9, 11, 10, 0]})
    >>> spend_frequency_check(data)[["n", "independent"]]
       n  independent
    0  5         True
    """
    if not 0 < weak < 1 or not 0 < alpha < 1:
        raise ParameterError(
            f"spend_frequency_check: `weak` = {weak!r} and `alpha` = {alpha!r} must lie in "
            "(0, 1); e.g. weak=0.3, alpha=0.05."
        )
    cols = _check_summary(summary, (frequency, monetary), "spend_frequency_check")
    keep = cols[frequency] > 0
    x, z = cols[frequency][keep], cols[monetary][keep]
    if x.size < 3 or np.ptp(x) == 0 or np.ptp(z) == 0:
        raise DataError(
            f"spend_frequency_check: {x.size} repeat buyer(s) without variation in frequency "
            "or spend; the correlation needs at least 3 differing customers."
        )
    test = stats.pearsonr(x, z)
    ci = test.confidence_interval(1 - alpha)
    corr = float(test.statistic)
    independent = abs(corr) < weak
    significant = float(test.pvalue) < alpha
    note = (
        f"r = {corr:.2f}: "
        + ("weak" if independent else "not weak")
        + (", though significant" if significant and independent else "")
        + (
            "; Gamma-Gamma's independence assumption is acceptable"
            if independent
            else "; spend depends on frequency, so Gamma-Gamma's assumption fails"
        )
    )
    return pd.DataFrame(
        {
            "n": [int(x.size)],
            "r": [corr],
            "ci_low": [float(ci.low)],
            "ci_high": [float(ci.high)],
            "p_value": [float(test.pvalue)],
            "significant": [significant],
            "independent": [independent],
            "note": [note],
        }
    )
