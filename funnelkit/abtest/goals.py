"""Secondary goals: more than one goal per experiment, never more than one verdict.

An experiment has one ``goal`` (it alone decides) and may list ``secondary_goals`` in
``client.yaml``: goal events (names or patterns, measured in the same window as the goal) or,
when the outcomes are columns of the assignments file, more of those columns (a ``share`` or a
``mean``). Each is compared variant against control on the users the goal was analysed on, and
the p-values of all secondary comparisons (every secondary goal and variant) form one family
adjusted with Holm's method (R ``p.adjust(p, "holm")``): the more secondary goals, the stronger
each must be to count. Their rows have ``role = 'secondary_goal'``; the verdict reads the goal
only (:func:`funnelkit.abtest.verdict.overall_decision`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from ..core.stats.means import compare_means
from ..core.stats.multiple import adjust_pvalues
from ..core.stats.proportions import compare_proportions
from ..data.config import ExperimentConfig
from ..data.loader import Client
from .outcomes import experiment_outcomes

__all__ = ["SECONDARY_ROLE", "secondary_goal_rows", "secondary_metric"]

#: ``role`` of a secondary goal's rows in ``comparisons``.
SECONDARY_ROLE = "secondary_goal"
_MEAN_RENAMES = {"mean": "value", "control_mean": "control_value", "diff": "abs_lift",
                 "ci_low": "abs_ci_low", "ci_high": "abs_ci_high"}  # fmt: skip


def secondary_metric(goal: str, config: ExperimentConfig) -> str:
    """The ``metric`` name of a secondary goal: the outcome column, or ``conversion:<event>``.

    Examples
    --------
    >>> secondary_metric("add_to_cart", ExperimentConfig(name="x"))
    'conversion:add_to_cart'
    """
    return goal if goal in config.outcomes else f"conversion:{goal}"


def _values(client: Client, config: ExperimentConfig, users: pd.DataFrame, goal: str):
    """Per analysed user, the secondary goal's value (0/1 or a number) and its kind."""
    if goal in config.outcomes:
        return users[users.attrs["outcome_columns"][goal]], config.outcomes[goal]
    other = config.model_copy(update={"goal": goal, "secondary_goals": []})
    found = experiment_outcomes(client, other, window_days=users.attrs.get("window_days"))
    converted = found.set_index("user_id")["converted"]
    return users["user_id"].map(converted).fillna(0).astype("int64"), "share"


def secondary_goal_rows(
    client: Client,
    config: ExperimentConfig,
    users: pd.DataFrame | None,
    *,
    columns: list[str],
    counts_of: Callable[[str], pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """One comparison row per secondary goal and variant, Holm-adjusted across all of them.

    Parameters
    ----------
    client
        The loaded client (event goals are measured on its ``events``).
    config
        The experiment; its ``secondary_goals`` are compared.
    users
        The analysed users (one row each, from ``experiment_outcomes``, exclusions removed), or
        ``None`` with ``counts_of``.
    columns
        The columns of the comparisons frame (the rows get them, plus ``unit``).
    counts_of
        Goal event -> users and conversions per variant counted where the data are
        (:class:`funnelkit.abtest.sums.OutcomeSums`); default: counted on ``users``.

    Returns
    -------
    pandas.DataFrame
        Rows with role ``secondary_goal``, metric from :func:`secondary_metric`, unit
        (``share``/``count``), p_value_adjusted and adjust_method ``holm`` over the family.
    """
    parts = []
    options = {"control": config.control, "alpha": config.alpha,
               "alternative": config.alternative, "adjust": "none"}  # fmt: skip
    for goal in config.secondary_goals:
        if counts_of is not None:
            counts, kind = counts_of(goal), "share"
        else:
            values, kind = _values(client, config, users, goal)
            data = pd.DataFrame({"variant": users["variant"].to_numpy(),
                                 "value": values.to_numpy()})  # fmt: skip
            counts = (
                data.groupby("variant")
                .agg(users=("value", "size"), conversions=("value", "sum"))
                .reset_index()
            )
        if kind == "share":
            frame = compare_proportions(counts, **options).rename(
                columns={"rate": "value", "control_rate": "control_value"})  # fmt: skip
        else:
            frame = compare_means(data, bootstrap=0, **options).rename(columns=_MEAN_RENAMES)
        unit = "share" if kind == "share" else "count"
        parts.append(frame.assign(metric=secondary_metric(goal, config), unit=unit))
    if not parts:
        return pd.DataFrame(columns=[*columns, "unit"])
    rows = pd.concat(parts, ignore_index=True)
    rows["p_value_adjusted"] = adjust_pvalues(rows["p_value"].to_numpy(), method="holm")
    p = rows["p_value_adjusted"].fillna(rows["p_value"])
    rows = rows.assign(
        experiment=config.name, role=SECONDARY_ROLE, adjust_method="holm",
        comparisons=len(rows), significant=p < rows["alpha"], mde_rel=np.nan,
    )  # fmt: skip
    return rows.reindex(columns=[*columns, "unit"])
