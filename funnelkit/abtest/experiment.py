"""One call per experiment: outcomes, checks, every comparison, the Bayesian view and a verdict.

:func:`analyze_experiment` runs the whole chain for an experiment declared in ``client.yaml``;
:func:`analyze_aggregate` runs the same statistics on a per-variant export (users, conversions,
sums and sums of squares) and gives the same numbers for the same users. The result is an
:class:`ExperimentResult` of tidy frames;
:func:`funnelkit.presentation.abtest.show_experiment` shows it.

Conventions (the report states them too)
----------------------------------------
- Goal conversion: pooled z-test (= R ``prop.test(correct = FALSE)``), Fisher's exact test when
  an expected count is below 5; Newcombe's interval of the difference; delta-method interval of
  the relative lift on the log scale.
- Means per user (revenue with its zeros, orders, revenue per buyer): Welch's t-test (= R
  ``t.test``), with Mann–Whitney and a seeded bootstrap interval as robustness checks.
- Several variants: each against control, p-values adjusted with Holm (R ``p.adjust``) within
  a metric; verdicts read the adjusted p-value. Metrics are not adjusted against each other:
  the goal metric decides, guardrails can only block, the others inform.
- ``mde_rel``: the relative change the test had 80% power to detect with the users it got
  (R ``power.prop.test`` / ``power.t.test`` conventions), quoted when nothing is significant.
- CUPED (pre-period revenue as covariate) is a second, variance-reduced estimate of revenue per
  user; the verdict stays on the plain Welch test.
- Outcome windows include their last day; outcomes on the assignment row have no window.
- Secondary goals (Holm across them) and results by segment inform; only the goal decides
  (:mod:`funnelkit.abtest.goals`, :mod:`funnelkit.abtest.segments`).
- More than two variants: first the chi-square test of the k×2 table (= R ``chisq.test``).
  ``sequential_tau``: the mSPRT's always-valid p of the goal per daily look (two-sided).

The statistics both paths share are computed in :mod:`funnelkit.abtest.analysis`.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from ..core.errors import DataError
from ..core.stats.arguments import AnalysisError
from ..data.config import ExperimentConfig
from ..data.experiment_data import read_summary
from ..data.loader import Client
from .analysis import (
    COMPARISON_COLUMNS,
    GUARDRAIL_ALIASES,
    MDE_POWER,
    MEAN_SUMS,
    analyze,
)
from .checks import aggregate_checks, counted_checks, experiment_checks
from .daily import daily_from_counts
from .extras import add_goals_and_segments
from .outcomes import aggregate_outcomes, daily_cumulative, experiment_outcomes, get_experiment
from .result import ExperimentResult
from .sums import OutcomeSums

__all__ = [
    "COMPARISON_COLUMNS",
    "GUARDRAIL_ALIASES",
    "MDE_POWER",
    "MEAN_SUMS",
    "ExperimentResult",
    "analyze_aggregate",
    "analyze_all",
    "analyze_experiment",
    "experiments_overview",
]


def analyze_experiment(
    client: Client,
    experiment: str | ExperimentConfig,
    *,
    metrics: list[str] | None = None,
    adjust: str = "holm",
    bootstrap: int = 2000,
    seed: int = 20261123,
    cuped: bool = True,
    window_days: float | None = None,
    include_incomplete: bool = False,
    per_user: bool | None = None,
) -> ExperimentResult:
    """Analyse one experiment of a loaded client: checks, comparisons, Bayes, CUPED, verdicts.

    The experiment's data come in one of three shapes (see :class:`ExperimentConfig`):
    assignments with ``events``/``orders`` measured over an outcome window (both ends
    included: an event exactly ``outcome_window_days`` after the assignment counts), outcome
    columns on the assignment rows (final values, no window), or a per-variant ``summary``
    file (analysed by :func:`analyze_aggregate`). ``secondary_goals`` add comparisons
    (role ``secondary_goal``, Holm across them) and ``segments`` fill ``segments`` and
    ``segment_tests``; neither ever makes the verdict.

    Parameters
    ----------
    client
        A loaded client with ``assignments`` (and ``events`` / ``orders``).
    experiment
        Its name in ``client.yaml`` or an :class:`ExperimentConfig`.
    metrics
        Metrics compared besides the goal and the guardrails (default: all of
        :data:`~funnelkit.abtest.wording.METRICS`; ``[]`` for none).
    adjust
        Adjustment across variants (``holm``, ``bh``, … see
        :func:`~funnelkit.core.stats.multiple.adjust_pvalues`).
    bootstrap, seed
        Bootstrap resamples for the mean metrics (0 skips) and their seed.
    cuped
        Also estimate revenue per user with CUPED (pre-period revenue as covariate).
    window_days
        Outcome window (default: the experiment's ``outcome_window_days``).
    include_incomplete
        Also analyse users whose outcome window is not complete (default: excluded, their
        outcomes are cut short).
    per_user
        Bring one row per assigned user back from the data (``True``), or only their sums
        per variant and day (``False``, :class:`~funnelkit.abtest.sums.OutcomeSums`: the same
        numbers for everything the report shows; no Mann–Whitney or bootstrap in ``means``).
        Default: sums when an engine holds the client's tables (``engine:``), rows otherwise.
        Outcomes declared on the assignment rows are always read as rows.

    Returns
    -------
    ExperimentResult
        Frames: variants (per-variant sums), checks, proportions, means (one row per metric and
        variant, with a ``metric`` column; its Mann–Whitney and bootstrap columns, which no
        report section shows, are computed the first time ``means`` is read), bayes, cuped,
        daily, comparisons (every metric in one shape: value, control_value, abs/rel lift with
        CIs, p-values, significant, role, mde_rel), verdicts, overall (k > 2: chi-square across
        all variants) and sequential (with ``sequential_tau``: the always-valid mSPRT per daily
        look); ``decision``, ``winner``, :meth:`ExperimentResult.to_results`.

    Raises
    ------
    AnalysisError
        Undeclared experiment, missing table, unknown metric or guardrail, or no control users.

    Examples
    --------
    >>> from funnelkit import load_client
    >>> client = load_client(emit_warnings=False)
    >>> result = analyze_experiment(client, "free_shipping_bar", bootstrap=0)
    >>> result.decision, result.srm_p_value < 0.001
    ('withheld', True)
    """
    config = get_experiment(client, experiment)
    if config.summary is not None:  # a per-variant export: the aggregated path
        return analyze_aggregate(
            read_summary(client.config, config), config, metrics=metrics, adjust=adjust,
            data_end=client.config.period.end, currency=client.config.currency,
            language=client.config.language,
        )  # fmt: skip
    include = ("window_incomplete",) if include_incomplete else ()
    if per_user is None:
        per_user = client.config.engine.name == "duckdb"
    if not per_user and not config.outcomes:
        options = {"metrics": metrics, "adjust": adjust, "use_cuped": cuped}
        sums = OutcomeSums(client, config, window_days=window_days, include=include)
        return _analyze_sums(client, config, sums, **options)
    outcomes = experiment_outcomes(client, config, window_days=window_days)
    last_day = (outcomes.attrs["observation_end"] - timedelta(days=1)).date()
    checks = experiment_checks(outcomes, config, data_end=last_day,
                               period_start=client.config.period.start)  # fmt: skip
    reason = outcomes["excluded_reason"]
    result = analyze(
        config, aggregate_outcomes(outcomes, control=config.control, include=include), checks,
        users=outcomes[reason.isna() | reason.isin(include)], metrics=metrics, adjust=adjust,
        bootstrap=bootstrap, seed=seed, use_cuped=cuped, currency=client.config.currency,
        language=client.config.language,
    )  # fmt: skip
    result.daily = daily_cumulative(outcomes, include=include)
    users = outcomes[reason.isna() | reason.isin(include)]
    return add_goals_and_segments(client, config, users, result)


def _analyze_sums(
    client: Client,
    config: ExperimentConfig,
    sums: OutcomeSums,
    *,
    metrics: list[str] | None,
    adjust: str,
    use_cuped: bool,
) -> ExperimentResult:
    """:func:`analyze_experiment` from the outcome sums (no user row leaves the engine)."""
    last_day = (sums.observation_end - timedelta(days=1)).date()
    period_start = client.config.period.start
    checks = counted_checks(sums.counts(period_start=period_start), config, end=last_day,
                            window=sums.window_days, period_start=period_start)  # fmt: skip
    aggregate = sums.variants(control=config.control)
    result = analyze(config, aggregate, checks, users=None, metrics=metrics, adjust=adjust,
                     bootstrap=0, seed=0, use_cuped=use_cuped, currency=client.config.currency,
                     language=client.config.language, cuped_sums=sums.cuped_sums())  # fmt: skip
    result.daily = daily_from_counts(sums.daily_counts())
    return add_goals_and_segments(client, config, None, result, sums=sums)


def analyze_aggregate(
    aggregate: pd.DataFrame,
    experiment: ExperimentConfig,
    *,
    metrics: list[str] | None = None,
    adjust: str = "holm",
    data_end: date | None = None,
    currency: str = "EUR",
    language: str = "en",
) -> ExperimentResult:
    """The same analysis from one row per variant (an ad-platform or testing-tool export).

    ``aggregate`` has the columns of :func:`~funnelkit.abtest.outcomes.aggregate_outcomes`:
    variant, users, conversions, and optionally revenue_sum, revenue_sum_sq, orders_sum,
    orders_sum_sq and buyers (without them the mean metrics are skipped). It gives the same
    proportions, Bayes, Welch numbers and verdicts as :func:`analyze_experiment` on the same
    users; Mann–Whitney, bootstrap and CUPED need user-level data and are absent. Checks: SRM,
    sample size and end date (``data_end``: the last day the export covers, default today).

    Examples
    --------
    >>> counts = pd.DataFrame({"variant": ["control", "b"], "users": [10_000, 10_000],
    ...                        "conversions": [400, 480]})
    >>> result = analyze_aggregate(counts, ExperimentConfig(name="banner"))
    >>> result.decision, result.winner
    ('ship', 'b')
    """
    frame = aggregate.copy()
    for col in ("revenue_sum", "revenue_sum_sq", "orders_sum", "orders_sum_sq", "buyers"):
        if col not in frame:
            frame[col] = np.nan
    checks = aggregate_checks(frame, experiment, data_end=data_end)
    result = analyze(experiment, frame, checks, users=None, metrics=metrics, adjust=adjust,
                      bootstrap=0, seed=0, use_cuped=False, currency=currency,
                      language=language)  # fmt: skip
    if experiment.sequential_tau is not None:  # no daily looks in a per-variant export
        result.notes.append("Последовательный тест (mSPRT, рассчитанный на ежедневную "
                            "проверку) не проведён: в сводке по вариантам нет дневных данных."
                            if language == "ru" else "The sequential test (mSPRT, a test "
                            "designed to be checked every day) was not run: a per-variant "
                            "summary has no daily counts.")  # fmt: skip
    return result


def analyze_all(client: Client, **options) -> dict[str, ExperimentResult]:
    """:func:`analyze_experiment` for every experiment in ``client.yaml``, in order.

    An experiment that cannot be analysed (e.g. no assignments under its name, or a bad
    outcome column) gets a result with ``error`` set instead of stopping the others. Without
    an ``assignments`` table only experiments with a ``summary`` file are analysed.
    ``options`` go to :func:`analyze_experiment`.
    """
    results: dict[str, ExperimentResult] = {}
    for config in client.config.experiments:
        if config.summary is None and not client.has("assignments"):
            continue
        try:
            results[config.name] = analyze_experiment(client, config, **options)
        except (AnalysisError, DataError) as err:
            results[config.name] = ExperimentResult(
                config, error=str(err), currency=client.config.currency,
                language=client.config.language,
            )  # fmt: skip
    return results


def experiments_overview(results: dict[str, ExperimentResult]) -> pd.DataFrame:
    """One row per experiment: variants, analysed users, SRM p-value, decision and winner.

    Returns
    -------
    pandas.DataFrame
        Columns: experiment, goal, variants, users, srm_p_value, decision, winner, verdict (the
        goal verdict of the winner, else of the first variant, in the client's language; the
        error for an experiment that could not be analysed).

    Examples
    --------
    >>> counts = pd.DataFrame({"variant": ["control", "b"], "users": [5_000, 5_600],
    ...                        "conversions": [200, 230]})
    >>> found = {"banner": analyze_aggregate(counts, ExperimentConfig(name="banner"))}
    >>> experiments_overview(found)[["experiment", "users", "decision"]]
      experiment  users  decision
    0     banner  10600  withheld
    """
    rows = []
    for name, result in results.items():
        row = {"experiment": name, "goal": result.experiment.goal, "variants": "", "users": 0,
               "srm_p_value": np.nan, "decision": result.decision, "winner": result.winner,
               "verdict": result.error or ""}  # fmt: skip
        if not result.error:
            goal = result.verdicts[result.verdicts["metric"] == result.goal_metric]
            pick = goal[goal["variant"] == result.winner] if result.winner else goal.head(1)
            row |= {"variants": ", ".join(result.variants["variant"]),
                    "users": int(result.variants["users"].sum()),
                    "srm_p_value": result.srm_p_value,
                    "verdict": pick["text"].iloc[0] if len(pick) else ""}  # fmt: skip
        rows.append(row)
    return pd.DataFrame(rows, columns=["experiment", "goal", "variants", "users", "srm_p_value",
                                       "decision", "winner", "verdict"])  # fmt: skip
