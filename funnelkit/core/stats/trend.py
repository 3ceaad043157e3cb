"""Trend in proportions across ordered groups: the Cochran–Armitage test (= R ``prop.trend.test``).

R computes it as a weighted regression: ``prop.trend.test(x, n, score)`` fits
``lm(x/n ~ score, weights = n / (p (1 - p)))`` with ``p = sum(x) / sum(n)`` and reports the
regression sum of squares, on 1 degree of freedom. With ``s̄ = Σ nᵢ sᵢ / Σ nᵢ`` that term is,
in closed form,

    X² = [Σ xᵢ (sᵢ − s̄)]² / (p (1 − p) Σ nᵢ (sᵢ − s̄)²),

because the weights are ``nᵢ`` times a constant, the weighted mean of the scores is ``s̄``, and
the regression SS is ``(Σ wᵢ (sᵢ − s̄) fᵢ)² / Σ wᵢ (sᵢ − s̄)²`` with ``fᵢ = xᵢ / nᵢ``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import stats

from .arguments import AnalysisError

__all__ = ["proportion_trend_test"]


def proportion_trend_test(
    x: Sequence[float] | np.ndarray,
    n: Sequence[float] | np.ndarray,
    *,
    score: Sequence[float] | np.ndarray | None = None,
) -> tuple[float, float]:
    """Chi-squared test for a linear trend in proportions ``x / n`` over ordered groups.

    Reproduces R ``prop.trend.test(x, n, score)`` (statistic and p value).

    Parameters
    ----------
    x, n : array-like of int
        Successes and trials of each group, in order (0 <= x <= n, n > 0).
    score : array-like of float, optional
        The groups' scores; default ``1, 2, …, k`` (R's ``seq_along(x)``).

    Returns
    -------
    tuple of float
        ``(statistic, p_value)``: the χ² statistic on 1 df and its upper-tail p value. Both
        NaN when the pooled proportion is 0 or 1 or every score is the same (R's regression
        has nothing to fit there either).

    Raises
    ------
    AnalysisError
        Lengths differ, fewer than two groups, ``n`` <= 0 or ``x`` outside [0, n].

    Examples
    --------
    >>> # R: prop.trend.test(c(83, 90, 129, 70), c(86, 93, 136, 82))
    >>> # X-squared = 8.2249, df = 1, p-value = 0.004132
    >>> stat, p = proportion_trend_test([83, 90, 129, 70], [86, 93, 136, 82])
    >>> round(stat, 4), round(p, 6)
    (8.2249, 0.004132)
    """
    xs = np.asarray(x, dtype=float)
    ns = np.asarray(n, dtype=float)
    scores = np.arange(1, len(xs) + 1, dtype=float) if score is None else np.asarray(score, float)
    if not (xs.ndim == ns.ndim == scores.ndim == 1 and len(xs) == len(ns) == len(scores)):
        raise AnalysisError(
            f"`proportion_trend_test` needs x, n and score of the same length, but lengths "
            f"{len(np.atleast_1d(xs))}, {len(np.atleast_1d(ns))} and "
            f"{len(np.atleast_1d(scores))} were passed."
        )
    if len(xs) < 2 or np.any(~(ns > 0)) or np.any(~((xs >= 0) & (xs <= ns))):
        raise AnalysisError(
            "`proportion_trend_test` needs at least two groups with n > 0 and 0 <= x <= n, but "
            f"x={xs.tolist()!r} and n={ns.tolist()!r} were passed."
        )
    pooled = xs.sum() / ns.sum()
    centred = scores - (ns * scores).sum() / ns.sum()
    spread = (ns * centred**2).sum()
    if pooled in (0.0, 1.0) or spread <= 0:
        return float("nan"), float("nan")
    statistic = float((xs * centred).sum() ** 2 / (pooled * (1 - pooled) * spread))
    return statistic, float(stats.chi2.sf(statistic, 1))
