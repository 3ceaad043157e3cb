"""A/B tests: plan a test, check it, analyse it, and say in plain words what to do.

One module per job: ``design`` (sample size, MDE, duration; ``design_proportions``,
``design_means``), ``lookup`` and ``outcomes`` (the experiment in ``client.yaml`` and its
user-level outcomes from a client's tables), ``sums`` (the same outcomes summed where an
engine holds the data, so only sums come back) and ``daily`` (the daily view both build),
``checks`` (sample split, double assignments,
windows, peeking; worded by ``check_text``), ``bayes`` and ``cuped`` (the A/B-only statistics),
``verdict`` (decisions), ``verdict_wording`` and ``wording`` (the verdicts, metric names and
numbers in English and Russian), ``analysis`` (the statistics of one experiment),
``experiment`` (the whole chain per experiment) and ``result`` (what it returns). The tests
every analysis shares (two proportions, Welch means with Mann–Whitney and bootstrap, multiple
comparisons) live in :mod:`funnelkit.core.stats` and are re-exported here; the report's tables
and charts are :mod:`funnelkit.presentation.abtest`. Everything public is re-exported here, e.g.
``from funnelkit import abtest; abtest.analyze_experiment(client, "x")``.

Note that the name ``cuped`` here is the function :func:`funnelkit.abtest.cuped.cuped`.
"""

from ..core.stats.arguments import ALTERNATIVES, AnalysisError, AnalysisWarning
from ..core.stats.means import compare_means, compare_means_from_summary
from ..core.stats.multiple import ADJUST_METHODS, adjust_pvalues
from ..core.stats.overall import overall_means, overall_proportions
from ..core.stats.proportions import PROPORTION_TESTS, compare_proportions, proportion_ci, srm_test
from ..core.stats.sequential import always_valid_p, msprt
from .bayes import bayes_proportions, prob_greater
from .checks import (
    CHECKS,
    PEEKING_CHECKS,
    SRM_ALPHA,
    aggregate_checks,
    experiment_checks,
    sequential_stop,
    srm_frame,
)
from .cuped import cuped, cuped_from_sums
from .design import (
    days_needed,
    mde_mean,
    mde_proportion,
    power_mean,
    power_proportion,
    sample_size_mean,
    sample_size_proportion,
)
from .experiment import (
    GUARDRAIL_ALIASES,
    ExperimentResult,
    analyze_aggregate,
    analyze_all,
    analyze_experiment,
    experiments_overview,
)
from .extras import add_sequential, overall_conversion
from .goals import secondary_goal_rows
from .outcomes import (
    EXCLUSION_REASONS,
    ORDER_GOALS,
    PRE_PERIOD_DAYS,
    aggregate_outcomes,
    daily_cumulative,
    experiment_outcomes,
    get_experiment,
    glob_to_like,
    observation_end,
)
from .planning import (
    DEFAULT_BASELINE_RATE,
    DEFAULT_DAILY_USERS,
    PLANNING_COLUMNS,
    plan_from_inputs,
    planning_goal,
    planning_inputs,
)
from .row_outcomes import row_outcomes
from .segments import interaction_test, segment_effects
from .sums import OutcomeSums
from .verdict import (
    DECISIONS,
    METRICS,
    decide,
    overall_decision,
    verdict_text,
    verdicts,
)

__all__ = [
    "ADJUST_METHODS",
    "ALTERNATIVES",
    "CHECKS",
    "DECISIONS",
    "DEFAULT_BASELINE_RATE",
    "DEFAULT_DAILY_USERS",
    "EXCLUSION_REASONS",
    "GUARDRAIL_ALIASES",
    "METRICS",
    "ORDER_GOALS",
    "PEEKING_CHECKS",
    "PLANNING_COLUMNS",
    "PRE_PERIOD_DAYS",
    "PROPORTION_TESTS",
    "SRM_ALPHA",
    "AnalysisError",
    "AnalysisWarning",
    "ExperimentResult",
    "OutcomeSums",
    "add_sequential",
    "adjust_pvalues",
    "aggregate_checks",
    "aggregate_outcomes",
    "always_valid_p",
    "analyze_aggregate",
    "analyze_all",
    "analyze_experiment",
    "bayes_proportions",
    "compare_means",
    "compare_means_from_summary",
    "compare_proportions",
    "cuped",
    "cuped_from_sums",
    "daily_cumulative",
    "days_needed",
    "decide",
    "experiment_checks",
    "experiment_outcomes",
    "experiments_overview",
    "get_experiment",
    "glob_to_like",
    "interaction_test",
    "mde_mean",
    "mde_proportion",
    "msprt",
    "observation_end",
    "overall_conversion",
    "overall_decision",
    "overall_means",
    "overall_proportions",
    "plan_from_inputs",
    "planning_goal",
    "planning_inputs",
    "power_mean",
    "power_proportion",
    "prob_greater",
    "proportion_ci",
    "row_outcomes",
    "sample_size_mean",
    "sample_size_proportion",
    "secondary_goal_rows",
    "segment_effects",
    "sequential_stop",
    "srm_frame",
    "srm_test",
    "verdict_text",
    "verdicts",
]
