"""One-proportion intervals: the Wilson score interval of a rate (= R ``prop.test``).

:func:`proportion_ci` checks its input and raises; :func:`wilson` is the lenient 95% form the
analysis tables use, NaN where there are no trials. Both are also importable from
:mod:`funnelkit.core.stats.proportions` and :mod:`funnelkit.core.stats`.
"""

from __future__ import annotations

import numpy as np
from statsmodels.stats.proportion import proportion_confint

from .arguments import AnalysisError, check_open_unit

__all__ = ["proportion_ci", "wilson"]


def proportion_ci(
    successes: int | np.ndarray, trials: int | np.ndarray, *, alpha: float = 0.05
) -> tuple:
    """Wilson score interval of one proportion, = R ``prop.test(x, n, correct = FALSE)$conf.int``.

    No continuity correction. The bounds are clipped to [0, 1] and are exactly 0 at
    ``successes = 0`` and exactly 1 at ``successes = trials``, as R prints them.

    Parameters
    ----------
    successes, trials : int or array of int
        Converted users and users (0 <= successes <= trials, trials > 0).
    alpha : float, default 0.05
        Two-sided interval with confidence ``1 - alpha``.

    Returns
    -------
    tuple
        ``(low, high)``, floats for scalar input, arrays for array input.

    Raises
    ------
    AnalysisError
        ``trials`` <= 0 or ``successes`` outside [0, trials].

    Examples
    --------
    >>> low, high = proportion_ci(0, 10)
    >>> low, round(high, 6)
    (0.0, 0.277533)
    """
    alpha = check_open_unit("alpha", alpha)
    x = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    if np.any(~(n > 0)) or np.any(~((x >= 0) & (x <= n))):
        raise AnalysisError(
            f"`proportion_ci` needs trials > 0 and 0 <= successes <= trials, but successes="
            f"{successes!r} and trials={trials!r} were passed."
        )
    low, high = proportion_confint(x, n, alpha=alpha, method="wilson")
    low = np.where(x == 0, 0.0, np.clip(low, 0.0, 1.0))
    high = np.where(x == n, 1.0, np.clip(high, 0.0, 1.0))
    if low.ndim == 0:
        return float(low), float(high)
    return low, high


def wilson(successes: np.ndarray, trials: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Wilson 95% bounds of ``successes / trials``, NaN where ``trials`` is 0 (no exception).

    Parameters
    ----------
    successes, trials : array-like of int
        Successes and trials, element by element (0 <= successes <= trials).

    Returns
    -------
    tuple of numpy.ndarray
        ``(low, high)``, as :func:`proportion_ci` with ``alpha=0.05``; NaN where ``trials`` is 0.

    Examples
    --------
    >>> low, high = wilson(np.array([5, 0]), np.array([10, 0]))
    >>> np.round(low, 4), np.isnan(high[1])
    (array([0.2366,    nan]), np.True_)
    """
    x = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    low = np.full(x.shape, np.nan)
    high = np.full(x.shape, np.nan)
    ok = n > 0
    if ok.any():
        low[ok], high[ok] = proportion_ci(x[ok], n[ok])
    return low, high
