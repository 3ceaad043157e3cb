"""Segments against the rest at every step: tested, Holm-corrected, gated by sample size.

For each breakdown column (channel, device, campaign, landing page, any event column carried
into the paths with ``by=``), every segment's step conversion (users at step k / users at step
k−1) is compared with that of all other units together ("the rest") by a two-proportion test
(:func:`funnelkit.abtest.compare_proportions`: pooled z-test, Fisher's exact test when an
expected count is below 5). Holm's correction runs over **all** tested comparisons of the call
(every column, segment and step). **Minimum-sample gate:** a comparison is tested only when both
the segment and the rest have at least ``min_users`` units at the previous step; gated rows are
reported with ``gated=True``, no p-value, and are never flagged.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import numpy as np
import pandas as pd

from ..core.stats.arguments import check_open_unit
from ..core.stats.multiple import adjust_pvalues
from ..core.stats.proportions import _compare_pair, compare_proportions
from .steps import funnel_steps

__all__ = ["segment_heatmap_frame", "segment_tests"]

_COLUMNS = [
    "column", "segment", "step_number", "step", "users_previous", "users", "rate",
    "rest_users_previous", "rest_users", "rest_rate", "abs_diff", "abs_ci_low", "abs_ci_high",
    "rel_diff", "test", "p_value", "p_value_adjusted", "gated", "significant", "flag",
]  # fmt: skip


def _counts(paths: duckdb.DuckDBPyRelation, steps: list[str], column: str) -> pd.DataFrame:
    """Per segment and step (k ≥ 2): users at k−1 and k, for the segment and for the rest."""
    table = funnel_steps(paths, steps=steps, by=column)
    table = table.rename(columns={column: "segment"})
    table["users_previous"] = table["users"] + table["dropped"]
    total = table.groupby("step_number")[["users", "users_previous"]].transform("sum")
    table["rest_users"] = total["users"] - table["users"]
    table["rest_users_previous"] = total["users_previous"] - table["users_previous"]
    table.insert(0, "column", column)
    return table[table["step_number"] >= 2]


def segment_tests(
    paths: duckdb.DuckDBPyRelation,
    *,
    steps: Sequence[str],
    by: str | Sequence[str],
    min_users: int = 100,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Test each segment against the rest at every step; flag significant under/over-performers.

    Turns the paths (one row per unit with breakdown columns) into one row per breakdown column,
    segment and step ≥ 2.

    Parameters
    ----------
    paths : duckdb.DuckDBPyRelation
        The relation of :func:`funnel_paths` run with ``by=`` these columns.
    steps : sequence of str
        Step names, in order.
    by : str or sequence of str
        Breakdown columns; each is analysed on its own (segment vs the rest of that column).
    min_users : int, default 100
        The gate: both the segment and the rest need at least this many units at the previous
        step to be tested (``funnel.min_segment_users`` in client.yaml).
    alpha : float, default 0.05
        Family-wise error rate of the Holm-adjusted tests.

    Returns
    -------
    pandas.DataFrame
        ``column, segment, step_number, step``; ``users_previous, users, rate`` of the segment
        (rate = step conversion from the previous step) and ``rest_users_previous, rest_users,
        rest_rate``; ``abs_diff`` (rate − rest_rate) with its Newcombe 95% interval
        ``abs_ci_low/high``; ``rel_diff`` (rate / rest_rate − 1); ``test`` ("z_pooled" or
        "fisher_exact"); ``p_value``; ``p_value_adjusted`` (Holm over all tested rows);
        ``gated`` (True: below the gate, not tested); ``significant``
        (``p_value_adjusted < alpha`` and not gated); ``flag`` ("under", "over" or "").

    Examples
    --------
    >>> import duckdb
    >>> paths = duckdb.sql(
    ...     "SELECT i AS unit_id, CASE WHEN i % 10 < (CASE WHEN i < 400 THEN 2 ELSE 6 END) "
    ...     "THEN 2 ELSE 1 END AS depth, TIMESTAMP '2026-10-01' AS step_1_at, "
    ...     "TIMESTAMP '2026-10-01' AS step_2_at, CASE WHEN i < 400 THEN 'display' ELSE "
    ...     "'search' END AS channel FROM range(1000) t(i)"
    ... )
    >>> tests = segment_tests(paths, steps=["view", "cart"], by="channel")
    >>> tests[["segment", "users_previous", "rate", "rest_rate", "gated", "flag"]]
       segment  users_previous  rate  rest_rate  gated   flag
    0  display             400   0.2        0.6  False  under
    1   search             600   0.6        0.2  False   over
    """
    steps = list(steps)
    columns = [by] if isinstance(by, str) else list(by)
    if not columns:
        return pd.DataFrame(columns=_COLUMNS)
    table = pd.concat([_counts(paths, steps, c) for c in columns], ignore_index=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        table["rate"] = table["users"] / table["users_previous"].where(table["users_previous"] > 0)
        table["rest_rate"] = table["rest_users"] / table["rest_users_previous"].where(
            table["rest_users_previous"] > 0
        )
    table["gated"] = (table["users_previous"] < min_users) | (
        table["rest_users_previous"] < min_users
    )
    stats = ["abs_diff", "abs_ci_low", "abs_ci_high", "rel_diff", "test", "p_value"]
    for name in stats:
        table[name] = "" if name == "test" else np.nan
    tested = table[~table["gated"]]
    found = [
        _segment_vs_rest(*counts, alpha=alpha)  # one test per comparison, not per user
        for counts in zip(tested["users"], tested["users_previous"], tested["rest_users"],
                          tested["rest_users_previous"], strict=True)
    ]  # fmt: skip
    for name, values in zip(stats, zip(*found, strict=True), strict=True) if found else ():
        table.loc[tested.index, name] = list(values)
    table["p_value"] = table["p_value"].astype(float)
    table["p_value_adjusted"] = adjust_pvalues(table["p_value"].to_numpy(), method="holm")
    table["significant"] = (~table["gated"]) & (table["p_value_adjusted"] < alpha)
    table["flag"] = np.where(
        table["significant"], np.where(table["abs_diff"] < 0, "under", "over"), ""
    )
    return table[_COLUMNS].reset_index(drop=True)


def _segment_vs_rest(x1: int, n1: int, x2: int, n2: int, *, alpha: float) -> tuple:
    """Segment (``x1`` of ``n1``) against the rest (``x2`` of ``n2``), as compare_proportions.

    Returns abs_diff, its interval, rel_diff, test and p_value: the numbers the table keeps.
    """
    if n1 > 0 and n2 > 0 and 0 <= x1 <= n1 and 0 <= x2 <= n2:  # what compare_proportions checks
        alpha = check_open_unit("alpha", alpha)
        row = _compare_pair(int(x1), int(n1), int(x2), int(n2), alpha=alpha,
                            alternative="two-sided", test="auto")  # fmt: skip
    else:  # let compare_proportions refuse the counts with its message
        counts = pd.DataFrame({"variant": ["segment", "rest"], "users": [n1, n2],
                               "conversions": [x1, x2]})  # fmt: skip
        row = compare_proportions(counts, control="rest", alpha=alpha, adjust="none").iloc[0]
    return (row["abs_lift"], row["abs_ci_low"], row["abs_ci_high"], row["rel_lift"], row["test"],
            row["p_value"])  # fmt: skip


def segment_heatmap_frame(tests: pd.DataFrame) -> pd.DataFrame:
    """Reshape :func:`segment_tests` into the tidy frame the heatmap draws.

    Returns
    -------
    pandas.DataFrame
        ``row`` (``"column: segment"``), ``column, segment, step_number, step, rate,
        abs_diff, significant, flag, gated``, one row per cell, in the input order.

    Examples
    --------
    >>> tests = pd.DataFrame({"column": ["device"], "segment": ["mobile"], "step_number": [2],
    ...     "step": ["cart"], "rate": [0.2], "abs_diff": [-0.1], "significant": [True],
    ...     "flag": ["under"], "gated": [False]})
    >>> segment_heatmap_frame(tests)[["row", "step", "rate", "flag"]]
                  row  step  rate   flag
    0  device: mobile  cart   0.2  under
    """
    frame = tests[
        ["column", "segment", "step_number", "step", "rate", "abs_diff", "significant", "flag",
         "gated"]
    ].copy()  # fmt: skip
    frame.insert(0, "row", frame["column"].astype(str) + ": " + frame["segment"].astype(str))
    return frame.reset_index(drop=True)
