"""The statistics every analysis shares, each checked against R (the call beside each test).

- :mod:`~funnelkit.core.stats.intervals` — Wilson and other one-proportion intervals;
- :mod:`~funnelkit.core.stats.proportions` — each variant's rate against a control (pooled z,
  χ² with and without Yates, Fisher), sample ratio;
- :mod:`~funnelkit.core.stats.means` — Welch t-tests of means with Mann–Whitney and a seeded
  bootstrap (:mod:`~funnelkit.core.stats.columns` compares several columns of the same users at
  once, :mod:`~funnelkit.core.stats.welch` holds the shared moments,
  :mod:`~funnelkit.core.stats.bootstrap` the resampling);
- :mod:`~funnelkit.core.stats.multiple` — Holm and Benjamini–Hochberg adjustment;
- :mod:`~funnelkit.core.stats.arguments` — the input checks, raising
  :class:`~funnelkit.core.errors.AnalysisError` with the argument, the value and the fix.
"""

from .arguments import ALTERNATIVES
from .means import compare_means, compare_means_from_summary
from .multiple import ADJUST_METHODS, adjust_pvalues
from .proportions import PROPORTION_TESTS, compare_proportions, proportion_ci, srm_test, wilson

__all__ = [
    "ADJUST_METHODS",
    "ALTERNATIVES",
    "PROPORTION_TESTS",
    "adjust_pvalues",
    "compare_means",
    "compare_means_from_summary",
    "compare_proportions",
    "proportion_ci",
    "srm_test",
    "wilson",
]
