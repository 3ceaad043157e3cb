"""User-level outcomes recorded on the assignment row itself (Cookie Cats, Udacity, a CRM export).

An experiment whose ``outcomes`` in ``client.yaml`` are columns of the assignments file (a 0/1 or
TRUE/FALSE flag: ``share``; a number per user: ``mean``) needs no events and no window: the
values are final. :func:`row_outcomes` turns those rows into the same one-row-per-user frame
as :func:`funnelkit.abtest.outcomes.experiment_outcomes` (which calls it), plus one column per
outcome and segment.

Conventions
-----------
- No outcome window and no ``window_incomplete`` exclusion: the value on the row is the
  outcome, however late the user was assigned. ``assigned_at`` is optional.
- A user on several rows of the same variant counts once, with the values of their first row
  in the file (as ``pandas.DataFrame.drop_duplicates``); a user in several variants is excluded
  (``several_variants``), and one assigned after the analysis period too, when times are given.
- Segment values are read as text; an empty cell is the segment ``(missing)``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd

from ..data.config import ExperimentConfig
from ..data.experiment_data import (
    assignment_rows,
    check_experiment_columns,
    experiment_rows,
    outcome_sql,
)
from ..data.loader import Client
from ..data.validate import q
from .lookup import no_rows_error, observation_end

__all__ = ["MISSING_SEGMENT", "STANDARD_COLUMNS", "row_outcomes"]

#: The columns every user-level outcomes frame has (see ``experiment_outcomes``).
STANDARD_COLUMNS = ["user_id", "variant", "assigned_at", "converted", "revenue", "orders",
                    "pre_revenue", "excluded_reason"]  # fmt: skip
#: The segment of a user whose segment cell is empty.
MISSING_SEGMENT = "(missing)"


def _frame_names(names: list[str], prefix: str, taken: set[str]) -> dict[str, str]:
    """Column name in the outcomes frame of each outcome/segment (prefixed when it collides)."""
    return {n: (f"{prefix}_{n}" if n in taken else n) for n in names}


def row_outcomes(client: Client, config: ExperimentConfig) -> pd.DataFrame:
    """One row per assigned user, with the experiment's outcome and segment columns.

    Parameters
    ----------
    client
        A loaded client whose ``assignments`` file holds the columns named by
        ``config.outcomes`` and ``config.segments``.
    config
        The experiment (its ``goal`` is a ``share`` outcome).

    Returns
    -------
    pandas.DataFrame
        The standard columns (``converted`` = the goal flag; revenue, orders and pre_revenue
        NaN), then one column per outcome (0/1 or the number) and per segment (text).
        ``attrs``: experiment, window_days (None), final_outcomes (True), observation_end,
        outcome_columns and segment_columns (name in client.yaml -> column of the frame).

    Raises
    ------
    DataError
        An outcome or segment column is missing, or holds values that are not flags/numbers.
    AnalysisError
        The experiment has no rows in the assignments table.

    Examples
    --------
    >>> from funnelkit.data.config import ClientConfig
    >>> from funnelkit.data.loader import Client
    >>> client = Client(ClientConfig(client="x", period={"start": "2026-10-01",
    ...                                                  "end": "2026-10-31"}))
    >>> _ = client.con.execute("CREATE TABLE assignments AS SELECT * FROM (VALUES "
    ...     "('u1', NULL, 'a', NULL::TIMESTAMP, 'TRUE'), ('u2', NULL, 'b', NULL, '0')) "
    ...     "t(user_id, experiment, variant, assigned_at, kept)")
    >>> client.row_counts["assignments"] = 2
    >>> client._sources["assignments"] = __import__("pathlib").Path("a.csv")
    >>> config = ExperimentConfig(name="e", control="a", goal="kept", outcomes={"kept": "share"})
    >>> row_outcomes(client, config)[["user_id", "variant", "converted", "kept"]]
      user_id variant  converted  kept
    0      u1       a          1   1.0
    1      u2       b          0   0.0
    """
    check_experiment_columns(client, config)
    outcomes = _frame_names(list(config.outcomes), "outcome", set(STANDARD_COLUMNS))
    segments = _frame_names(
        list(config.segments), "segment", set(STANDARD_COLUMNS) | set(outcomes.values())
    )
    values = [f"{outcome_sql(c, kind)} AS {q(outcomes[c])}" for c, kind in config.outcomes.items()]
    values += [
        f"coalesce(CAST({q(c)} AS VARCHAR), '{MISSING_SEGMENT}') AS {q(segments[c])}"
        for c in config.segments
    ]
    picked = ", ".join(f"r.{q(c)}" for c in [*outcomes.values(), *segments.values()])
    period_end = datetime.combine(client.config.period.end + timedelta(days=1), datetime.min.time())
    query = f"""
        WITH rows AS (
            SELECT *, row_number() OVER () AS __n FROM (
                SELECT user_id, variant, assigned_at, {", ".join(values)}
                FROM {assignment_rows(client)}
                WHERE {experiment_rows(config.name)})
        ), assigned AS (
            SELECT user_id, variant, min(assigned_at) AS assigned_at, min(__n) AS first_n
            FROM rows GROUP BY user_id, variant
        ), users AS (
            SELECT user_id, CASE WHEN count(*) = 1 THEN min(variant) END AS variant,
                   min(assigned_at) AS assigned_at, count(*) AS n_variants, min(first_n) AS first_n
            FROM assigned GROUP BY user_id
        )
        SELECT u.user_id, u.variant, u.assigned_at, {picked},
               CASE WHEN u.n_variants > 1 THEN 'several_variants'
                    WHEN u.assigned_at >= TIMESTAMP '{period_end:%Y-%m-%d %H:%M:%S}'
                        THEN 'assigned_after_period'
               END AS excluded_reason
        FROM users AS u JOIN rows AS r ON r.__n = u.first_n
        ORDER BY u.assigned_at, u.first_n"""
    frame = client.sql(query)
    if frame.empty:
        raise no_rows_error(client, config)
    goal = outcomes[config.goal]
    frame = frame.assign(
        converted=frame[goal].astype("int64"),
        revenue=float("nan"),
        orders=float("nan"),
        pre_revenue=float("nan"),
        assigned_at=pd.to_datetime(frame["assigned_at"]),
        variant=frame["variant"].astype(object).where(frame["variant"].notna(), None),
        excluded_reason=frame["excluded_reason"]
        .astype(object)
        .where(frame["excluded_reason"].notna(), None),
    )
    extra = [*outcomes.values(), *segments.values()]
    frame = frame[[*STANDARD_COLUMNS, *extra]].astype({c: "float64" for c in outcomes.values()})
    frame.attrs.update(
        {
            "experiment": config.name,
            "window_days": None,
            "final_outcomes": True,
            "observation_end": observation_end(client),
            "outcome_columns": outcomes,
            "segment_columns": segments,
        }
    )
    return frame
