"""What an experiment's analysis adds beyond the goal: secondary goals and results by segment.

Called by :func:`funnelkit.abtest.experiment.analyze_experiment` once the goal is analysed:
:func:`add_goals_and_segments` appends the secondary goals' rows to ``comparisons`` (and words
their verdicts, which inform and never decide) and fills ``segments`` and
``segment_tests`` (:mod:`funnelkit.abtest.segments`).
"""

from __future__ import annotations

import pandas as pd

from ..data.config import ExperimentConfig
from ..data.loader import Client
from .goals import secondary_goal_rows
from .result import ExperimentResult
from .segments import segment_effects
from .verdict import verdicts

__all__ = ["SEGMENT_NOTE", "add_goals_and_segments"]

#: The note shown with results by segment.
SEGMENT_NOTE = (
    "Results by segment are exploratory: their p-values are not adjusted, and no segment makes "
    "a verdict; the goal over all users decides. The interaction test says whether the effect "
    "really differs between segments (likelihood ratio of variant × segment in a logistic "
    'regression, as R anova(glm(y ~ variant * segment, binomial), test = "Chisq")).'
)


def add_goals_and_segments(
    client: Client, config: ExperimentConfig, users: pd.DataFrame, result: ExperimentResult
) -> ExperimentResult:
    """Add the secondary goals' comparisons and verdicts, and the results by segment.

    Parameters
    ----------
    client
        The loaded client.
    config
        The experiment (``secondary_goals``, ``segments``).
    users
        The analysed users, one row each (exclusions removed).
    result
        The goal's result; changed in place and returned.

    Returns
    -------
    ExperimentResult
        With secondary-goal rows in ``comparisons`` and ``verdicts`` (role ``secondary_goal``)
        and the ``segments`` / ``segment_tests`` frames.
    """
    if config.secondary_goals:
        columns = list(result.comparisons.columns)
        extra = secondary_goal_rows(client, config, users, columns=columns)
        base = result.comparisons.assign(unit=None)
        result.comparisons = pd.concat([base, extra], ignore_index=True)
        result.verdicts = verdicts(result.comparisons, result.checks, goal=config.goal,
                                   currency=result.currency, language=result.language)  # fmt: skip
    if config.segments:
        result.segments, result.segment_tests = segment_effects(client, config, users)
        result.notes.append(SEGMENT_NOTE)
    return result
