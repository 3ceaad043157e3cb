"""Results by segment: the goal's effect per country, device …, and whether it really differs.

An experiment lists ``segments`` in ``client.yaml``: columns of the assignments file, read as
text for each user (their first row). For every segment column and value, the goal's
conversion is compared variant against control (the pooled z-test and Newcombe interval of
:func:`funnelkit.core.stats.proportions.compare_proportions`, not adjusted: exploratory).
Whether the effect differs between the values is one test per segment column: the likelihood
ratio test of the ``variant × segment`` interaction in a binomial logistic regression, on the
counts per cell (the same likelihood ratio as on one row per user), as R's
``anova(glm(converted ~ variant * segment, family = binomial), test = "Chisq")`` interaction
line. A segment never makes a verdict: the goal over all users decides; a significant
interaction says "look closer", a per-segment p-value alone says nothing.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.genmod.families import Binomial
from statsmodels.genmod.generalized_linear_model import GLM

from ..core.stats.proportions import compare_proportions
from ..data.config import ExperimentConfig
from ..data.experiment_data import assignment_rows, check_experiment_columns, experiment_rows
from ..data.loader import Client
from ..data.validate import q
from .row_outcomes import MISSING_SEGMENT

__all__ = [
    "SEGMENT_COLUMNS",
    "SEGMENT_TEST_COLUMNS",
    "interaction_test",
    "segment_effects",
    "segment_levels",
]

SEGMENT_COLUMNS = ["segment", "level", "variant", "control", "users", "control_users", "value",
                   "control_value", "abs_lift", "abs_ci_low", "abs_ci_high", "rel_lift",
                   "rel_ci_low", "rel_ci_high", "p_value", "test", "note"]  # fmt: skip
SEGMENT_TEST_COLUMNS = ["segment", "levels", "statistic", "df", "p_value", "test", "r_call"]
R_CALL = 'anova(glm(converted ~ variant * segment, family = binomial), test = "Chisq")'


def _deviance(cells: pd.DataFrame, design: pd.DataFrame) -> tuple[float, int]:
    """Binomial deviance of a logistic fit to grouped counts, and the design's rank."""
    x = design.to_numpy(dtype=float)
    rank = int(np.linalg.matrix_rank(x))
    if rank == len(cells):  # one parameter per cell: the saturated fit, deviance 0
        return 0.0, rank
    y = np.column_stack([cells["conversions"], cells["users"] - cells["conversions"]])
    with warnings.catch_warnings():  # a cell at 0% or 100% drives a coefficient to infinity
        warnings.simplefilter("ignore")
        fit = GLM(y.astype(float), x, family=Binomial()).fit()
    return float(fit.deviance), rank


def interaction_test(cells: pd.DataFrame) -> dict:
    """Likelihood-ratio test of ``variant × level`` in a logistic regression on cell counts.

    Parameters
    ----------
    cells
        One row per variant and level: variant, level, users, conversions.

    Returns
    -------
    dict
        statistic (deviance of the additive model minus that of the interaction model), df
        (difference in parameters), p_value (chi-square upper tail), test, r_call.

    Examples
    --------
    >>> cells = pd.DataFrame({"variant": ["a", "a", "b", "b"], "level": ["x", "y", "x", "y"],
    ...                       "users": [100, 100, 100, 100], "conversions": [10, 10, 20, 10]})
    >>> round(interaction_test(cells)["p_value"], 4)
    0.1957
    """
    cells = cells[cells["users"] > 0].reset_index(drop=True)
    main = pd.get_dummies(cells[["variant", "level"]], drop_first=True, dtype=float)
    main.insert(0, "const", 1.0)
    inter = main.copy()
    for v in [c for c in main if c.startswith("variant_")]:
        for lvl in [c for c in main if c.startswith("level_")]:
            inter[f"{v}:{lvl}"] = main[v] * main[lvl]
    dev0, rank0 = _deviance(cells, main)
    dev1, rank1 = _deviance(cells, inter)
    df = rank1 - rank0
    statistic = max(dev0 - dev1, 0.0)
    p = float(stats.chi2.sf(statistic, df)) if df > 0 else np.nan
    return {"statistic": statistic, "df": df, "p_value": p,
            "test": "logistic_interaction_lr", "r_call": R_CALL}  # fmt: skip


def _segment_values(client: Client, config: ExperimentConfig, users: pd.DataFrame, column: str):
    names = users.attrs.get("segment_columns", {})
    if column in names:
        return users[names[column]]
    # each user's first row in the file, as for outcomes on the row
    first = client.sql(segment_levels(client, config, column)).set_index("user_id")["level"]
    return users["user_id"].map(first).fillna(MISSING_SEGMENT)


def segment_levels(client: Client, config: ExperimentConfig, column: str) -> str:
    """SQL: each assigned user's value of a segment column (their first row in the file)."""
    return (
        f"SELECT user_id, coalesce(CAST({q(column)} AS VARCHAR), '{MISSING_SEGMENT}') AS level "
        f"FROM (SELECT *, row_number() OVER () AS __n FROM {assignment_rows(client)}) "
        f"WHERE {experiment_rows(config.name)} "
        "QUALIFY row_number() OVER (PARTITION BY user_id ORDER BY __n) = 1"
    )


def _user_cells(users: pd.DataFrame, levels: pd.Series) -> pd.DataFrame:
    data = pd.DataFrame({"variant": users["variant"].to_numpy(), "level": levels.to_numpy(),
                         "converted": users["converted"].to_numpy()})  # fmt: skip
    return (
        data.groupby(["level", "variant"])
        .agg(users=("converted", "size"), conversions=("converted", "sum"))
        .reset_index()
    )


def segment_effects(
    client: Client,
    config: ExperimentConfig,
    users: pd.DataFrame | None,
    *,
    cells_of: Callable[[str], pd.DataFrame] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The goal's effect per segment value, and the interaction test per segment column.

    Parameters
    ----------
    client
        The loaded client (segment columns are read from its assignments).
    config
        The experiment; its ``segments`` are used.
    users
        The analysed users (variant, converted; exclusions removed), or ``None`` with
        ``cells_of``.
    cells_of
        Segment column -> its cells (level, variant, users, conversions) counted where the
        data are (:class:`funnelkit.abtest.sums.OutcomeSums`); default: counted on ``users``.

    Returns
    -------
    tuple of pandas.DataFrame
        Effects (:data:`SEGMENT_COLUMNS`: one row per segment column, value and variant
        against control; p-values not adjusted) and tests (:data:`SEGMENT_TEST_COLUMNS`).

    Raises
    ------
    DataError
        A segment column is not in the assignments file.
    """
    if not config.segments:
        return pd.DataFrame(columns=SEGMENT_COLUMNS), pd.DataFrame(columns=SEGMENT_TEST_COLUMNS)
    if users is None or "segment_columns" not in users.attrs:
        check_experiment_columns(client, config)
    effects, tests = [], []
    for column in config.segments:
        if cells_of is not None:
            cells = cells_of(column)
        else:
            cells = _user_cells(users, _segment_values(client, config, users, column))
        tests.append({"segment": column, "levels": cells["level"].nunique(),
                      **interaction_test(cells)})  # fmt: skip
        for level, part in cells.groupby("level", sort=True):
            if config.control not in set(part["variant"]) or len(part) < 2:
                continue  # nothing to compare in this segment value
            rows = compare_proportions(part, control=config.control, alpha=config.alpha,
                                       alternative=config.alternative, adjust="none")  # fmt: skip
            effects.append(rows.rename(columns={"rate": "value", "control_rate": "control_value"})
                           .assign(segment=column, level=level))  # fmt: skip
    found = pd.concat(effects, ignore_index=True) if effects else pd.DataFrame()
    return found.reindex(columns=SEGMENT_COLUMNS), pd.DataFrame(tests, columns=SEGMENT_TEST_COLUMNS)
