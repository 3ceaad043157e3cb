"""What an experiment's analysis starts from: its settings, and how far the data reach.

:func:`get_experiment` finds the experiment in ``client.yaml``; :func:`observation_end` is the
end (exclusive) of what the data can show, which decides whose outcome window is complete (see
:mod:`funnelkit.abtest.outcomes`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd

from ..core.stats.arguments import AnalysisError
from ..data.config import ExperimentConfig
from ..data.loader import Client

__all__ = ["get_experiment", "no_rows_error", "observation_end"]


def get_experiment(client: Client, experiment: str | ExperimentConfig) -> ExperimentConfig:
    """The experiment's settings from ``client.yaml`` (or the config passed through).

    Raises
    ------
    AnalysisError
        If the name is not declared under ``experiments:``; the message lists the declared ones.

    Examples
    --------
    >>> from funnelkit import load_client
    >>> get_experiment(load_client(emit_warnings=False), "hero_banner").control
    'control'
    """
    if isinstance(experiment, ExperimentConfig):
        return experiment
    declared = {e.name: e for e in client.config.experiments}
    if experiment not in declared:
        raise AnalysisError(
            f"experiment {experiment!r} is not declared in {client.name}'s client.yaml; the "
            f"declared experiments are {sorted(declared)}. Add it under `experiments:` or pass "
            f"an ExperimentConfig(name={experiment!r}, control=...)."
        )
    return declared[experiment]


def observation_end(client: Client) -> datetime:
    """The end (exclusive) of what the data can show: period end or the last day of data.

    The earlier of midnight after ``period.end`` and midnight after the last timestamp in
    ``events`` / ``orders`` (whichever are loaded).

    Examples
    --------
    >>> from funnelkit import load_client
    >>> observation_end(load_client(emit_warnings=False))
    datetime.datetime(2026, 10, 30, 0, 0)
    """
    period_end = datetime.combine(client.config.period.end + timedelta(days=1), datetime.min.time())
    lasts = [
        client.con.sql(f"SELECT max(timestamp) FROM {table}").fetchall()[0][0]
        for table in ("events", "orders")
        if client.has(table)
    ]
    lasts = [pd.Timestamp(t) for t in lasts if t is not None]
    if not lasts:
        return period_end
    data_end = datetime.combine(max(lasts).date() + timedelta(days=1), datetime.min.time())
    return min(period_end, data_end)


def no_rows_error(client: Client, config: ExperimentConfig) -> AnalysisError:
    """The error for an experiment with no rows in ``assignments``, naming the ones there are."""
    seen = client.sql("SELECT DISTINCT experiment FROM assignments ORDER BY 1")["experiment"]
    return AnalysisError(
        f"experiment {config.name!r} has no rows in the assignments table; the experiments "
        f"there are {seen.tolist()}. Check the name in client.yaml against the export."
    )
