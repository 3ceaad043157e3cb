"""What an experiment's analysis adds beyond the goal: secondary goals, segments, overall, mSPRT.

Called by :func:`funnelkit.abtest.experiment.analyze_experiment` once the goal is analysed:
:func:`add_goals_and_segments` appends the secondary goals' rows to ``comparisons`` (and words
their verdicts, which inform and never decide), fills ``segments`` and
``segment_tests`` (:mod:`funnelkit.abtest.segments`) and, with ``sequential_tau``, the
always-valid mSPRT of the goal's conversion (``sequential``, :func:`add_sequential`).
:func:`overall_conversion` is the k-variant chi-square test shown before the pairwise rows.
"""

from __future__ import annotations

from typing import Protocol

import pandas as pd

from ..core.i18n import gettext
from ..core.stats.arguments import AnalysisError
from ..core.stats.overall import overall_proportions
from ..core.stats.sequential import msprt
from ..data.config import ExperimentConfig
from ..data.loader import Client
from .checks import sequential_stop
from .goals import secondary_goal_rows
from .result import ExperimentResult
from .segments import segment_effects
from .verdict import verdicts

__all__ = [
    "SEGMENT_NOTE",
    "SEGMENT_NOTE_RU",
    "add_goals_and_segments",
    "add_sequential",
    "overall_conversion",
]


#: The note shown with results by segment.
class OutcomeCounts(Protocol):
    """Counts of analysed users made where the data are (:class:`funnelkit.abtest.sums.OutcomeSums`)."""  # noqa: E501

    def goal_counts(self, goal: str) -> pd.DataFrame: ...

    def segment_cells(self, column: str) -> pd.DataFrame: ...


SEGMENT_NOTE = (
    "Results by segment are exploratory: their p-values are not adjusted for the many segments "
    "compared, and no segment makes a verdict; the goal over all users decides. The "
    "interaction test says whether the effect really differs between segments."
)
#: The same note for a Russian-speaking client.
SEGMENT_NOTE_RU = (
    "Результаты по сегментам разведочные: их p-значения не скорректированы на число "
    "сравниваемых сегментов, и ни один сегмент не даёт вердикта; решает цель по всем "
    "пользователям. Тест взаимодействия показывает, действительно ли эффект различается между "
    "сегментами."
)
_NOT_RUN = {"en": "The sequential test (mSPRT, a test designed to be checked every day) was not "
                  "run: {}.",
            "ru": "Последовательный тест (mSPRT, рассчитанный на ежедневную проверку) не "
                  "проведён: {}."}  # fmt: skip
_WHY = {"revenue": {"en": "the goal is revenue", "ru": "цель — выручка"},
        "no_times": {"en": "the users have no assignment times, so there are no daily looks",
                     "ru": "у пользователей нет времени попадания в тест, поэтому нет "
                           "ежедневных срезов"}}  # fmt: skip


def add_goals_and_segments(
    client: Client,
    config: ExperimentConfig,
    users: pd.DataFrame | None,
    result: ExperimentResult,
    *,
    sums: OutcomeCounts | None = None,
) -> ExperimentResult:
    """Add the secondary goals' comparisons and verdicts, and the results by segment.

    Parameters
    ----------
    client
        The loaded client.
    config
        The experiment (``secondary_goals``, ``segments``).
    users
        The analysed users, one row each (exclusions removed), or ``None`` with ``sums``.
    result
        The goal's result; changed in place and returned.
    sums
        Counts made where the data are instead of on ``users``: an object with
        ``goal_counts(goal)`` and ``segment_cells(column)``
        (:class:`funnelkit.abtest.sums.OutcomeSums`).

    Returns
    -------
    ExperimentResult
        With secondary-goal rows in ``comparisons`` and ``verdicts`` (role ``secondary_goal``)
        and the ``segments`` / ``segment_tests`` frames.
    """
    if config.secondary_goals:
        columns = list(result.comparisons.columns)
        extra = secondary_goal_rows(client, config, users, columns=columns,
                                    counts_of=sums and sums.goal_counts)  # fmt: skip
        base = result.comparisons.assign(unit=None)
        result.comparisons = pd.concat([base, extra], ignore_index=True)
        result.verdicts = verdicts(result.comparisons, result.checks, goal=config.goal,
                                   currency=result.currency, language=result.language)  # fmt: skip
    if config.segments:
        result.segments, result.segment_tests = segment_effects(
            client, config, users, cells_of=sums and sums.segment_cells
        )
        result.notes.append(SEGMENT_NOTE_RU if result.language == "ru" else SEGMENT_NOTE)
    if config.sequential_tau is not None:
        add_sequential(config, result)
    return result


def overall_conversion(aggregate: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    """Do the goal's conversion rates differ at all across k > 2 variants? (R ``chisq.test``).

    Parameters
    ----------
    aggregate
        One row per variant: variant, users, conversions.
    notes
        The result's notes; why the test could not run is appended there.

    Returns
    -------
    pandas.DataFrame
        One row of :func:`~funnelkit.core.stats.overall.overall_proportions` with
        ``metric = "conversion"``; empty with two variants (the pairwise test is the overall
        one) or when the test cannot run.

    Examples
    --------
    >>> counts = pd.DataFrame({"variant": ["A", "B", "C"], "users": [100, 100, 100],
    ...                        "conversions": [20, 30, 45]})
    >>> overall_conversion(counts, [])[["metric", "df", "test"]]
           metric  df  test
    0  conversion   2  chi2
    """
    if len(aggregate) <= 2:
        return pd.DataFrame()
    try:
        found = overall_proportions(aggregate)
    except AnalysisError as err:
        notes.append(
            gettext("The overall test of the {n} groups was not run: {reason}").format(
                n=len(aggregate), reason=gettext(str(err))
            )
        )
        return pd.DataFrame()
    return found.assign(metric="conversion")[["metric", *found.columns]]


def add_sequential(config: ExperimentConfig, result: ExperimentResult) -> ExperimentResult:
    """The always-valid mSPRT of the goal's conversion at every daily look (``sequential``).

    Runs :func:`~funnelkit.core.stats.sequential.msprt` with ``tau = sequential_tau`` and the
    experiment's alpha on ``result.daily`` (cumulative users and conversions per variant and
    assignment day: msprt's default columns). Two-sided only, each variant against control,
    not adjusted across variants. When the boundary is crossed, the peeking checks are lifted
    (:func:`~funnelkit.abtest.checks.sequential_stop`) and the verdicts re-read.

    Parameters
    ----------
    config
        The experiment (``sequential_tau``, ``control``, ``alpha``, ``goal``).
    result
        Its result with ``daily``; changed in place and returned.

    Returns
    -------
    ExperimentResult
        With ``sequential`` (one row per variant and look), or a note saying why it is absent.
    """
    language = "ru" if result.language == "ru" else "en"
    if result.goal_metric != "conversion" or not len(result.daily):
        why = _WHY["revenue" if result.goal_metric != "conversion" else "no_times"][language]
        result.notes.append(_NOT_RUN[language].format(why))
        return result
    try:
        result.sequential = msprt(result.daily, control=config.control,
                                  tau=config.sequential_tau, alpha=config.alpha)  # fmt: skip
    except AnalysisError as err:
        result.notes.append(_NOT_RUN[language].format(gettext(str(err), language).rstrip(".")))
        return result
    checks = sequential_stop(result.checks, result.sequential)
    if checks is not result.checks:
        result.checks = checks
        result.verdicts = verdicts(result.comparisons, checks, goal=config.goal,
                                   currency=result.currency, language=result.language)  # fmt: skip
    return result
