"""Multiple-comparison adjustment of p-values, with R's ``p.adjust`` semantics.

statsmodels' ``multipletests`` does the arithmetic; this module adds R's names and R's handling of
missing values: NaN p-values stay NaN and are *not* counted in the number of tests, exactly like
``p.adjust`` (``multipletests`` on its own returns all-NaN or counts the NaN in n).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from statsmodels.stats.multitest import multipletests

from .arguments import AnalysisError

__all__ = ["ADJUST_METHODS", "adjust_pvalues"]

#: funnelkit name → (statsmodels ``multipletests`` method, R ``p.adjust`` method).
ADJUST_METHODS: dict[str, tuple[str, str]] = {
    "holm": ("holm", "holm"),
    "hochberg": ("simes-hochberg", "hochberg"),
    "hommel": ("hommel", "hommel"),
    "bonferroni": ("bonferroni", "bonferroni"),
    "bh": ("fdr_bh", "BH"),
    "by": ("fdr_by", "BY"),
    "none": ("", "none"),
}


def adjust_pvalues(p_values: Sequence[float] | np.ndarray, *, method: str = "holm") -> np.ndarray:
    """Adjust p-values for multiple comparisons, as R's ``p.adjust(p, method)``.

    Takes one p-value per comparison (e.g. each variant against control) and returns the adjusted
    p-values in the same order. NaN p-values are kept as NaN and excluded from the number of tests
    ``n``, as ``p.adjust`` does. With fewer than two non-missing p-values nothing changes.

    Parameters
    ----------
    p_values : sequence of float
        Raw p-values in [0, 1]; NaN allowed (a comparison that could not be tested).
    method : {"holm", "bh", "bonferroni", "hochberg", "by", "hommel", "none"}, default "holm"
        Holm step-down (family-wise error, R ``"holm"``, the default); Benjamini–Hochberg false
        discovery rate (R ``"BH"``/``"fdr"``); Bonferroni; Hochberg step-up; Benjamini–Yekutieli
        (R ``"BY"``); Hommel; or no adjustment. Case-insensitive; ``"fdr"`` is accepted for BH.

    Returns
    -------
    numpy.ndarray
        Adjusted p-values (float), same length and order as the input, capped at 1.

    Raises
    ------
    AnalysisError
        Unknown ``method``, or a p-value outside [0, 1].

    Examples
    --------
    >>> adjust_pvalues([0.01, 0.02, 0.03, 0.04, 0.05], method="holm")
    array([0.05, 0.08, 0.09, 0.09, 0.09])
    >>> adjust_pvalues([0.01, float("nan"), 0.04], method="bonferroni")
    array([0.02,  nan, 0.08])
    """
    key = method.lower() if isinstance(method, str) else method
    key = "bh" if key == "fdr" else key
    if key not in ADJUST_METHODS:
        raise AnalysisError(
            f"The value for `method` must be one of {list(ADJUST_METHODS)}, "
            f"but {method!r} was passed."
        )
    try:
        p = np.asarray(p_values, dtype=float).reshape(-1)
    except (TypeError, ValueError) as err:
        raise AnalysisError(
            f"`p_values` must be numbers in [0, 1] or NaN, but {p_values!r} was passed."
        ) from err
    present = ~np.isnan(p)
    if np.any((p[present] < 0) | (p[present] > 1)):
        raise AnalysisError(
            f"`p_values` must lie in [0, 1] (NaN allowed), but {p[present].tolist()} was passed."
        )
    adjusted = p.copy()
    if key == "none" or present.sum() < 2:
        return adjusted
    adjusted[present] = multipletests(p[present], method=ADJUST_METHODS[key][0])[1]
    return np.minimum(adjusted, 1.0)
