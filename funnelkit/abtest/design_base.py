"""What every test design shares: its option checks, the one-tail alpha and the size columns.

Used by :mod:`funnelkit.abtest.design_proportions`, :mod:`funnelkit.abtest.design_means` and
:func:`funnelkit.abtest.design.days_needed`; the conventions are in :mod:`funnelkit.abtest.design`.
"""

from __future__ import annotations

import math

import numpy as np

from ..core.stats.arguments import (
    ALTERNATIVES,
    AnalysisError,
    check_choice,
    check_open_unit,
    check_positive,
)

__all__ = ["design_options", "round_up", "size_columns"]


def round_up(x: float) -> int:
    """Round up, ignoring floating-point noise just above a whole number.

    Parameters
    ----------
    x : float
        A size or a number of days.

    Returns
    -------
    int
        The smallest whole number >= ``x`` (``x`` within 1e-12 relative of a whole number
        counts as that number).

    Examples
    --------
    >>> round_up(76.70693), round_up(3.0000000000000004)
    (77, 3)
    """
    return math.ceil(x * (1 - 1e-12))


def design_options(
    alpha: float, power: float, ratio: float, variants: int, alternative: str
) -> tuple[float, float, float, int, float]:
    """Validate the options every design shares and derive the one-tail alpha.

    Parameters
    ----------
    alpha, power : float
        Family-wise significance level and power, each in (0, 1).
    ratio : float
        Allocation ``n_variant / n_control``, > 0.
    variants : int
        Number of arms including control, >= 2.
    alternative : {"two-sided", "larger", "smaller"}
        The test's alternative.

    Returns
    -------
    tuple
        ``(alpha, power, ratio, variants, tail)``; ``tail`` is the alpha of one tail of one
        comparison (Bonferroni over ``variants - 1``, halved when two-sided).

    Raises
    ------
    AnalysisError
        An option out of range, or ``power`` not above ``tail``.
    """
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


def size_columns(
    alpha: float, power: float, ratio: float, variants: int, n_exact: float, method: str
) -> dict:
    """The columns shared by every design frame, sizes rounded up.

    Parameters
    ----------
    alpha, power, ratio : float
        As validated by :func:`design_options`.
    variants : int
        Number of arms including control.
    n_exact : float
        Users in control before rounding (R's unrounded n).
    method : str
        The ``method`` column, e.g. "r_power_prop_test".

    Returns
    -------
    dict
        ``alpha, alpha_per_comparison, power, ratio, variants, n_control, n_variant, n_total,
        n_control_exact, method``.
    """
    n_control, n_variant = round_up(n_exact), round_up(n_exact * ratio)
    return {
        "alpha": alpha, "alpha_per_comparison": alpha / (variants - 1), "power": power,
        "ratio": ratio, "variants": variants, "n_control": n_control, "n_variant": n_variant,
        "n_total": n_control + (variants - 1) * n_variant, "n_control_exact": n_exact,
        "method": method,
    }  # fmt: skip
