"""The statistics every analysis shares, each checked against R (the call beside each test).

- :mod:`~funnelkit.core.stats.intervals` — Wilson and other one-proportion intervals;
- :mod:`~funnelkit.core.stats.proportions` — each variant's rate against a control (pooled z,
  χ² with and without Yates, Fisher), sample ratio;
- :mod:`~funnelkit.core.stats.means` — Welch t-tests of means with Mann–Whitney (exact for small
  samples without ties, as R ``wilcox.test``) and a seeded bootstrap
  (:mod:`~funnelkit.core.stats.columns` compares several columns of the same users at once,
  :mod:`~funnelkit.core.stats.welch` holds the shared moments,
  :mod:`~funnelkit.core.stats.bootstrap` the resampling);
- :mod:`~funnelkit.core.stats.overall` — one overall test across all k variants before the
  pairwise ones: chi-square on the k×2 table (R ``chisq.test``) and Welch's one-way ANOVA
  (R ``oneway.test``);
- :mod:`~funnelkit.core.stats.sequential` — the mixture SPRT's always-valid p-values for teams
  that look every day (Johari et al. 2017);
- :mod:`~funnelkit.core.stats.trend` — a trend in proportions across ordered groups
  (Cochran–Armitage, R ``prop.trend.test``);
- :mod:`~funnelkit.core.stats.multiple` — Holm and Benjamini–Hochberg adjustment;
- :mod:`~funnelkit.core.stats.arguments` — the input checks, raising
  :class:`~funnelkit.core.errors.AnalysisError` with the argument, the value and the fix.
"""

from .arguments import ALTERNATIVES
from .means import compare_means, compare_means_from_summary
from .multiple import ADJUST_METHODS, adjust_pvalues
from .overall import overall_means, overall_proportions
from .proportions import PROPORTION_TESTS, compare_proportions, proportion_ci, srm_test, wilson
from .sequential import always_valid_p, msprt
from .trend import proportion_trend_test

__all__ = [
    "ADJUST_METHODS",
    "ALTERNATIVES",
    "PROPORTION_TESTS",
    "adjust_pvalues",
    "always_valid_p",
    "compare_means",
    "compare_means_from_summary",
    "compare_proportions",
    "msprt",
    "overall_means",
    "overall_proportions",
    "proportion_ci",
    "proportion_trend_test",
    "srm_test",
    "wilson",
]
