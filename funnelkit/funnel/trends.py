"""Funnels over time: by entry week, against the previous period, and where drop-offs go next."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from ..core.stats import wilson
from ..core.stats.multiple import adjust_pvalues
from ..core.stats.proportions import compare_proportions
from .steps import _check_paths, _query

__all__ = ["compare_periods", "next_events", "weekly_conversion"]


def weekly_conversion(paths: duckdb.DuckDBPyRelation, *, steps: Sequence[str]) -> pd.DataFrame:
    """Share of each entry week's units that reached each step.

    The entry week is the (Monday-starting) week of the chosen attempt's step-1 event.

    Parameters
    ----------
    paths : duckdb.DuckDBPyRelation
        The relation of :func:`funnel_paths`.
    steps : sequence of str
        Step names, in order.

    Returns
    -------
    pandas.DataFrame
        ``week`` (Monday, timestamp), ``step_number, step``, ``entered`` (units whose step 1
        fell in that week), ``users`` (of them, reached this step), ``share_of_first`` with
        Wilson ``ci_low/ci_high``; one row per week and step.

    Examples
    --------
    >>> import duckdb
    >>> paths = duckdb.sql(
    ...     "SELECT * FROM (VALUES ('a', 2, TIMESTAMP '2026-10-06 10:00', TIMESTAMP "
    ...     "'2026-10-06 12:00'), ('b', 1, TIMESTAMP '2026-10-07 09:00', NULL)) "
    ...     "t(unit_id, depth, step_1_at, step_2_at)"
    ... )
    >>> weekly_conversion(paths, steps=["view", "buy"])[["week", "step", "entered", "users",
    ...                                                  "share_of_first"]]
            week  step  entered  users  share_of_first
    0 2026-10-05  view        2      2             1.0
    1 2026-10-05   buy        2      1             0.5
    """
    steps = list(steps)
    _check_paths(paths, steps, [])
    k = len(steps)
    frame = _query(
        paths,
        f"""SELECT CAST(date_trunc('week', step_1_at) AS TIMESTAMP) AS week, n AS step_number,
                count(*) AS entered, count(*) FILTER (WHERE depth >= n) AS users
            FROM fk_paths CROSS JOIN (VALUES {", ".join(f"({n})" for n in range(1, k + 1))})
                AS r(n) GROUP BY ALL ORDER BY week, step_number""",
    )
    frame["step_number"] = frame["step_number"].astype(int)
    frame.insert(2, "step", [steps[n - 1] for n in frame["step_number"]])
    frame["share_of_first"] = frame["users"] / frame["entered"]
    frame["ci_low"], frame["ci_high"] = wilson(frame["users"], frame["entered"])
    return frame


def _test(x1: int, n1: int, x0: int, n0: int) -> float:
    if n1 <= 0 or n0 <= 0:
        return np.nan
    counts = pd.DataFrame({"variant": ["current", "previous"], "users": [n1, n0],
                           "conversions": [x1, x0]})  # fmt: skip
    return float(compare_proportions(counts, control="previous", adjust="none")["p_value"].iloc[0])


def compare_periods(
    current: pd.DataFrame, previous: pd.DataFrame, *, alpha: float = 0.05
) -> pd.DataFrame:
    """Per-step change between the analysis period and the equal-length period before it.

    Parameters
    ----------
    current, previous : pandas.DataFrame
        :func:`funnel_steps` frames (no breakdown) of the two periods.
    alpha : float, default 0.05
        Significance level of the Holm-adjusted tests.

    Returns
    -------
    pandas.DataFrame
        ``step_number, step, users, previous_users``; ``share_of_previous``,
        ``previous_share_of_previous``, ``change_of_previous`` (difference, in share points) and
        its ``p_value_of_previous``; the same for ``share_of_first`` (``change_of_first``,
        ``p_value_of_first``); ``p_value_adjusted_of_previous`` and ``p_value_adjusted_of_first``
        (Holm over both tests of every step), ``p_value_adjusted`` (the smaller of the two) and
        ``significant`` (True when either adjusted p < alpha).
        Tests are two-proportion z-tests (Fisher's exact when an expected count < 5).

    Examples
    --------
    >>> now = pd.DataFrame({"step_number": [1, 2], "step": ["view", "buy"],
    ...                     "users": [1000, 300], "dropped": [0, 700]})
    >>> before = pd.DataFrame({"step_number": [1, 2], "step": ["view", "buy"],
    ...                        "users": [1000, 200], "dropped": [0, 800]})
    >>> table = compare_periods(now, before)
    >>> table[["step", "change_of_previous", "significant"]]
       step  change_of_previous  significant
    0  view                 0.0        False
    1   buy                 0.1         True
    """
    cols = ["step_number", "step", "users", "dropped"]
    frame = current[cols].merge(previous[cols], on=["step_number", "step"],
                                suffixes=("", "_before"))  # fmt: skip
    frame = frame.rename(columns={"users_before": "previous_users"})
    base_now = frame["users"] + frame["dropped"]
    base_before = frame["previous_users"] + frame["dropped_before"]
    first_now, first_before = frame["users"].iloc[0], frame["previous_users"].iloc[0]
    with np.errstate(invalid="ignore", divide="ignore"):
        frame["share_of_previous"] = frame["users"] / base_now.where(base_now > 0)
        frame["previous_share_of_previous"] = frame["previous_users"] / base_before.where(
            base_before > 0
        )
        frame["share_of_first"] = frame["users"] / (first_now or np.nan)
        frame["previous_share_of_first"] = frame["previous_users"] / (first_before or np.nan)
    frame["change_of_previous"] = frame["share_of_previous"] - frame["previous_share_of_previous"]
    frame["change_of_first"] = frame["share_of_first"] - frame["previous_share_of_first"]
    later = frame["step_number"] > 1  # step 1 is 100% by definition: nothing to test
    frame["p_value_of_previous"] = [
        _test(x1, n1, x0, n0) if is_later else np.nan
        for x1, n1, x0, n0, is_later in zip(
            frame["users"], base_now, frame["previous_users"], base_before, later, strict=True
        )
    ]
    frame["p_value_of_first"] = [
        _test(x1, first_now, x0, first_before) if is_later else np.nan
        for x1, x0, is_later in zip(frame["users"], frame["previous_users"], later, strict=True)
    ]
    adjusted = adjust_pvalues(
        np.concatenate([frame["p_value_of_previous"], frame["p_value_of_first"]]), method="holm"
    ).reshape(2, -1)
    frame["p_value_adjusted_of_previous"] = adjusted[0]
    frame["p_value_adjusted_of_first"] = adjusted[1]
    frame["p_value_adjusted"] = np.fmin(adjusted[0], adjusted[1])
    frame["significant"] = (adjusted < alpha).any(axis=0)
    return frame.drop(columns=["dropped", "dropped_before"])


def next_events(
    paths: duckdb.DuckDBPyRelation,
    events: Any,
    *,
    steps: Sequence[str],
    step: int,
    window: timedelta = timedelta(days=7),
    unit: str = "user",
    top: int = 10,
) -> pd.DataFrame:
    """Where drop-offs go instead: the next event after the last step reached.

    Takes the units that reached step ``step − 1`` but not ``step`` (the leak) and, for each,
    the first event after its step ``step − 1`` event and within ``window`` of its step 1
    (the same unit's events; a SQL join of the paths to the events).

    Parameters
    ----------
    paths : duckdb.DuckDBPyRelation
        The relation of :func:`funnel_paths`, on the same DuckDB connection as ``events``.
    events : funnelkit.data.loader.Client or duckdb.DuckDBPyRelation
        The event log (``user_id``/``session_id``, ``timestamp``, ``event``).
    steps : sequence of str
        Step names.
    step : int
        The step at which they dropped (2..k).
    window : datetime.timedelta
        The funnel's conversion window.
    unit : {"user", "session"}
        The funnel's counting unit (which id column joins the paths to the events).
    top : int, default 10
        Number of next events to keep; the remainder is summed into ``"(other)"``.

    Returns
    -------
    pandas.DataFrame
        ``next_event`` (``"(nothing)"`` for units with no later event in the window),
        ``users``, ``share`` (of the dropped units), most frequent first.
    """
    k = len(steps)
    if not 2 <= step <= k:
        raise ValueError(f"`step` must be a step number from 2 to {k}, but {step} was passed.")
    relation = events.table("events") if hasattr(events, "table") else events
    # a TEMP view: the client's own database is opened read-only (prepared data)
    view = f"CREATE OR REPLACE TEMP VIEW fk_next_events AS {relation.sql_query()}"
    relation.query("fk_source", view)
    id_col = "session_id" if unit == "session" else "user_id"
    seconds = int(window.total_seconds())
    frame = _query(
        paths,
        f"""WITH dropped AS (
                SELECT unit_id, step_1_at, step_{step - 1}_at AS last_at FROM fk_paths
                WHERE depth = {step - 1}
            ), nxt AS (
                SELECT d.unit_id, arg_min(e.event, {{'t': e.timestamp, 'e': e.event}}) AS next_event
                FROM dropped d JOIN fk_next_events e ON e.{id_col} = d.unit_id
                    AND e.timestamp > d.last_at
                    AND e.timestamp <= d.step_1_at + INTERVAL {seconds} SECOND
                GROUP BY d.unit_id
            )
            SELECT coalesce(n.next_event, '(nothing)') AS next_event, count(*) AS users
            FROM dropped d LEFT JOIN nxt n USING (unit_id)
            GROUP BY 1 ORDER BY users DESC, next_event""",
    )
    total = int(frame["users"].sum())
    if len(frame) > top:
        rest = pd.DataFrame({"next_event": ["(other)"], "users": [frame["users"][top:].sum()]})
        frame = pd.concat([frame.head(top), rest], ignore_index=True)
    frame["users"] = frame["users"].astype("int64")
    frame["share"] = frame["users"] / total if total else np.nan
    return frame
