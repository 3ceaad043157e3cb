"""User-level outcomes of an experiment, from a loaded client's assignments, events and orders.

Turns the ``assignments`` log (one row per user, experiment and variant) into one row per
assigned user with what happened in the outcome window after the assignment: did the goal
happen, how much revenue, how many orders, and the revenue in the 30 days before (the CUPED
covariate). All per-event work is set-based SQL in the client's DuckDB (joins and GROUP BY in
standard SQL); only one row per user reaches pandas. The goal is an event name or pattern
(:mod:`funnelkit.core.patterns`). :func:`get_experiment` and :func:`observation_end` live in
:mod:`funnelkit.abtest.lookup` and ``glob_to_like`` in core.patterns; all stay importable here.

Conventions
-----------
- The outcome window includes both ends, as the funnel's conversion window does: an event or
  order counts when ``assigned_at <= timestamp <= assigned_at + window_days`` (a 7-day
  retention event exactly 7 days after the assignment counts).
- A user logged in more than one variant of the experiment is kept as one row with
  ``variant`` empty (``None``) and ``excluded_reason = 'several_variants'``.
- The observation end is the earlier of the end of the analysis period and the end of the last
  day present in ``events``/``orders`` (exclusive). A user whose window's last instant is
  not before it (``assigned_at + window_days >= observation_end``) has
  ``excluded_reason = 'window_incomplete'``: their outcome is not fully observed, and counting
  them would bias the rate down (late assignees had less time to convert). They are excluded
  from the analysis by default and counted in the checks.
- Outcomes declared as columns of the assignments file (``outcomes:`` in client.yaml) are
  final values: no window and no ``window_incomplete`` exclusion
  (:mod:`funnelkit.abtest.row_outcomes`).
- A user assigned after the analysis period ends has ``excluded_reason = 'assigned_after_period'``.
  Users assigned before the period starts are kept (the experiment may have started earlier);
  the checks count them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd

from ..core.patterns import glob_to_like, sql_match
from ..core.stats.arguments import AnalysisError
from ..data.config import ExperimentConfig
from ..data.experiment_data import experiment_rows
from ..data.loader import Client
from .daily import DAILY_COLUMNS, daily_from_counts
from .lookup import get_experiment, no_rows_error, observation_end
from .row_outcomes import row_outcomes

__all__ = [
    "EXCLUSION_REASONS",
    "ORDER_GOALS",
    "PRE_PERIOD_DAYS",
    "aggregate_outcomes",
    "daily_cumulative",
    "experiment_outcomes",
    "get_experiment",
    "glob_to_like",
    "observation_end",
]

#: Days before the assignment whose revenue is the CUPED covariate ``pre_revenue``.
PRE_PERIOD_DAYS = 30
#: Goals measured on the ``orders`` table instead of an event name.
ORDER_GOALS = ("revenue", "orders")
#: Values of ``excluded_reason``, in order of precedence.
EXCLUSION_REASONS = ("several_variants", "assigned_after_period", "window_incomplete")

OUTCOME_COLUMNS = ["user_id", "variant", "assigned_at", "converted", "revenue", "orders",
                   "pre_revenue", "excluded_reason"]  # fmt: skip
AGGREGATE_COLUMNS = ["variant", "users", "conversions", "revenue_sum", "revenue_sum_sq",
                     "orders_sum", "orders_sum_sq", "buyers"]  # fmt: skip


def _money_source(client: Client) -> str | None:
    """SQL relation (customer_id, timestamp, revenue) of purchases, or None when absent."""
    if client.has("orders"):
        return "SELECT customer_id, timestamp, revenue FROM orders"
    if client.has("events", "revenue"):
        return (
            "SELECT user_id AS customer_id, timestamp, revenue FROM events "
            "WHERE revenue IS NOT NULL"
        )
    return None


def experiment_outcomes(
    client: Client, experiment: str | ExperimentConfig, *, window_days: float | None = None
) -> pd.DataFrame:
    """One row per assigned user: goal reached, revenue and orders in the window, pre-period revenue.

    Turns the ``assignments`` rows of one experiment (one per user and variant, possibly
    repeated) into one row per user, joined in SQL with ``events`` and ``orders`` within the
    outcome window (see the module notes for the window and exclusion rules).

    Parameters
    ----------
    client
        A loaded client with an ``assignments`` table, and ``events`` (event goals) or
        ``orders`` (goal ``revenue`` / ``orders``; also revenue for every goal). Without
        ``orders``, events carrying a ``revenue`` value stand in for orders.
    experiment
        The experiment's name in ``client.yaml`` or an :class:`ExperimentConfig`.
    window_days
        Outcome window after the assignment, in days (default: the experiment's
        ``outcome_window_days``).

    Returns
    -------
    pandas.DataFrame
        One row per user, ordered by ``assigned_at``: user_id, variant (``None`` for users in
        several variants), assigned_at (the first assignment), converted (0/1: an event
        matching the goal, a name or pattern of :mod:`funnelkit.core.patterns`, happened in the
        window; for goal ``revenue``/``orders``: an order did), revenue (sum of order revenue in the window,
        0 if none), orders (orders in the window), pre_revenue (revenue in the
        :data:`PRE_PERIOD_DAYS` days before the assignment), excluded_reason (``None``,
        ``'several_variants'``, ``'assigned_after_period'`` or ``'window_incomplete'``).
        Revenue columns are NaN when the client has neither orders nor event revenue.
        ``attrs`` holds experiment, window_days and observation_end. With ``outcomes`` in
        client.yaml (values on the assignment rows), the frame of
        :func:`~funnelkit.abtest.row_outcomes.row_outcomes`: no window, one more column per
        outcome and segment.

    Raises
    ------
    AnalysisError
        If a table the goal needs is missing, the experiment is not declared, or it has no
        assignments.

    Examples
    --------
    >>> from funnelkit import load_client
    >>> out = experiment_outcomes(load_client(emit_warnings=False), "checkout_button")
    >>> out.columns.tolist()
    ['user_id', 'variant', 'assigned_at', 'converted', 'revenue', 'orders', 'pre_revenue', 'excluded_reason']
    >>> out["excluded_reason"].value_counts().to_dict()
    {'window_incomplete': 1943, 'several_variants': 40}
    """  # noqa: E501
    config = get_experiment(client, experiment)
    if config.outcomes:
        _need_assignments(client, config)
        return row_outcomes(client, config)
    query, window, obs_end = outcome_query(client, config, window_days=window_days)
    frame = client.sql(f"{query}\n        ORDER BY w.assigned_at, w.user_id")
    if frame.empty:
        raise no_rows_error(client, config)
    frame = frame.astype(
        {"converted": "int64", "revenue": "float64", "pre_revenue": "float64"}
    ).assign(
        orders=lambda f: f["orders"].astype("float64" if f["orders"].isna().any() else "int64"),
        assigned_at=lambda f: pd.to_datetime(f["assigned_at"]),
        variant=lambda f: f["variant"].astype(object).where(f["variant"].notna(), None),
        excluded_reason=lambda f: (
            f["excluded_reason"].astype(object).where(f["excluded_reason"].notna(), None)
        ),
    )
    frame = frame[OUTCOME_COLUMNS]
    frame.attrs.update(
        {"experiment": config.name, "window_days": float(window), "observation_end": obs_end}
    )
    return frame


def _need_assignments(client: Client, config: ExperimentConfig) -> None:
    if not client.has("assignments"):
        raise AnalysisError(
            f"{client.name}: no `assignments` table is configured, so experiment "
            f"{config.name!r} cannot be analysed; add `data.assignments` to client.yaml "
            "(columns user_id, experiment, variant, assigned_at)."
        )


def outcome_query(
    client: Client, config: ExperimentConfig, *, window_days: float | None = None
) -> tuple[str, float, datetime]:
    """The SQL of :func:`experiment_outcomes` (one row per assigned user, unordered).

    Returns the query, the window in days and the observation end. The query runs where the
    client's tables are (DuckDB, or the engine holding them), so callers may aggregate it there
    instead of fetching its rows (:mod:`funnelkit.abtest.sums`).

    Raises
    ------
    AnalysisError
        As :func:`experiment_outcomes` (missing table, no assignment times, bad window).
    """
    _need_assignments(client, config)
    if not client.sql("SELECT count(assigned_at) AS n FROM assignments")["n"].iloc[0]:
        raise AnalysisError(
            f"experiment {config.name!r} measures {config.goal!r} in a window after the "
            "assignment, but the assignments file has no `assigned_at` times; map "
            "`data.assignments.columns.assigned_at`, or declare the outcome columns of the "
            "file under the experiment's `outcomes:` (no window needed)."
        )
    window = config.outcome_window_days if window_days is None else window_days
    if not window > 0:
        raise AnalysisError(
            f"window_days must be a positive number of days, but {window!r} was passed."
        )
    order_goal = config.goal in ORDER_GOALS
    money = _money_source(client)
    if order_goal and money is None:
        raise AnalysisError(
            f"experiment {config.name!r} has goal {config.goal!r}, which is measured on orders, "
            f"but {client.name} has no `orders` table (nor event revenue); add `data.orders`."
        )
    if not order_goal and not client.has("events"):
        raise AnalysisError(
            f"experiment {config.name!r} has goal event {config.goal!r}, but {client.name} has "
            "no `events` table; add `data.events`, or set the goal to 'orders' or 'revenue'."
        )
    seconds = round(window * 86400)
    obs_end = observation_end(client)
    period_end = datetime.combine(client.config.period.end + timedelta(days=1), datetime.min.time())
    in_window = "o.timestamp >= w.assigned_at AND o.timestamp <= w.window_end"
    in_pre = "o.timestamp >= w.pre_start AND o.timestamp < w.assigned_at"
    money_cte = (
        f""", money AS (
            SELECT w.user_id,
                   sum(CASE WHEN {in_window} THEN o.revenue ELSE 0 END) AS revenue,
                   count(CASE WHEN {in_window} THEN 1 END) AS orders,
                   sum(CASE WHEN {in_pre} THEN o.revenue ELSE 0 END) AS pre_revenue
            FROM windows AS w JOIN ({money}) AS o ON o.customer_id = w.user_id
            WHERE o.timestamp >= w.pre_start AND o.timestamp <= w.window_end
            GROUP BY w.user_id)"""
        if money
        else ""
    )
    if order_goal:
        goal_cte = ", goal AS (SELECT user_id FROM money WHERE orders > 0)"
    else:
        goal_cte = f""", goal AS (
            SELECT DISTINCT w.user_id FROM windows AS w JOIN events AS e ON e.user_id = w.user_id
            WHERE {sql_match("e.event", config.goal)}
              AND e.timestamp >= w.assigned_at AND e.timestamp <= w.window_end)"""
    if money:
        money_cols = (
            "coalesce(m.revenue, 0) AS revenue, coalesce(m.orders, 0) AS orders, "
            "coalesce(m.pre_revenue, 0) AS pre_revenue"
        )
        money_join = "LEFT JOIN money AS m ON m.user_id = w.user_id"
    else:
        money_cols = (
            "CAST(NULL AS DOUBLE) AS revenue, CAST(NULL AS BIGINT) AS orders, "
            "CAST(NULL AS DOUBLE) AS pre_revenue"
        )
        money_join = ""
    query = f"""
        WITH assigned AS (
            SELECT user_id, variant, min(assigned_at) AS assigned_at FROM assignments
            WHERE {experiment_rows(config.name)} GROUP BY user_id, variant
        ), users AS (
            SELECT user_id, CASE WHEN count(*) = 1 THEN min(variant) END AS variant,
                   min(assigned_at) AS assigned_at, count(*) AS n_variants
            FROM assigned GROUP BY user_id
        ), windows AS (
            SELECT user_id, variant, assigned_at, n_variants,
                   assigned_at + {seconds} * INTERVAL '1' SECOND AS window_end,
                   assigned_at - {PRE_PERIOD_DAYS} * INTERVAL '1' DAY AS pre_start
            FROM users
        ){money_cte}{goal_cte}
        SELECT w.user_id, w.variant, w.assigned_at,
               CASE WHEN g.user_id IS NULL THEN 0 ELSE 1 END AS converted,
               {money_cols},
               CASE WHEN w.n_variants > 1 THEN 'several_variants'
                    WHEN w.assigned_at >= TIMESTAMP '{period_end:%Y-%m-%d %H:%M:%S}'
                        THEN 'assigned_after_period'
                    WHEN w.window_end >= TIMESTAMP '{obs_end:%Y-%m-%d %H:%M:%S}'
                        THEN 'window_incomplete'
               END AS excluded_reason
        FROM windows AS w
        LEFT JOIN goal AS g ON g.user_id = w.user_id
        {money_join}"""
    return query, float(window), obs_end


def _included(outcomes: pd.DataFrame, include: tuple[str, ...] = ()) -> pd.DataFrame:
    reason = outcomes["excluded_reason"]
    return outcomes[reason.isna() | reason.isin(list(include))]


def aggregate_outcomes(
    outcomes: pd.DataFrame, *, control: str | None = None, include: tuple[str, ...] = ()
) -> pd.DataFrame:
    """Per-variant sums of user-level outcomes: the table an ad platform or testing tool exports.

    Turns one row per user (from :func:`experiment_outcomes`) into one row per variant. Only
    users without an ``excluded_reason`` count (plus those whose reason is in ``include``).
    Sums of squares let means, variances and Welch's test be recomputed exactly from it.

    Parameters
    ----------
    outcomes
        User-level outcomes with columns variant, converted, revenue, orders, excluded_reason.
    control
        Put this variant first (the others follow in name order).
    include
        Exclusion reasons to count anyway, e.g. ``("window_incomplete",)``.

    Returns
    -------
    pandas.DataFrame
        Columns: variant, users, conversions, revenue_sum, revenue_sum_sq, orders_sum,
        orders_sum_sq, buyers (users with at least one order in the window).

    Examples
    --------
    >>> users = pd.DataFrame({"variant": ["a", "a", "b"], "converted": [1, 0, 1],
    ...     "revenue": [10.0, 0.0, 5.0], "orders": [1, 0, 2], "excluded_reason": [None] * 3})
    >>> aggregate_outcomes(users, control="b").drop(columns=["orders_sum", "orders_sum_sq"])
      variant  users  conversions  revenue_sum  revenue_sum_sq  buyers
    0       b      1            1          5.0            25.0       1
    1       a      2            1         10.0           100.0       1
    """
    used = _included(outcomes, include)
    grouped = (
        used.assign(
            revenue_sq=used["revenue"] ** 2,
            orders_sq=used["orders"] ** 2,
            buyer=(used["orders"] > 0).astype("int64"),
        )
        .groupby("variant", sort=True)
        .agg(
            users=("converted", "size"),
            conversions=("converted", "sum"),
            revenue_sum=("revenue", lambda s: s.sum(min_count=1)),
            revenue_sum_sq=("revenue_sq", lambda s: s.sum(min_count=1)),
            orders_sum=("orders", "sum"),
            orders_sum_sq=("orders_sq", "sum"),
            buyers=("buyer", "sum"),
        )
        .reset_index()
    )
    if control is not None and control in set(grouped["variant"]):
        first = grouped["variant"] == control
        grouped = pd.concat([grouped[first], grouped[~first]], ignore_index=True)
    return grouped[AGGREGATE_COLUMNS].reset_index(drop=True)


def daily_cumulative(outcomes: pd.DataFrame, *, include: tuple[str, ...] = ()) -> pd.DataFrame:
    """Users and conversions by assignment day per variant, with running totals.

    Turns one row per user into one row per variant and calendar day of assignment (every day
    from the first to the last assignment, zero-filled). Excluded users are left out as in
    :func:`aggregate_outcomes`.

    Returns
    -------
    pandas.DataFrame
        Columns: variant, date, users, conversions, cumulative_users, cumulative_conversions,
        cumulative_rate (cumulative conversions / cumulative users; NaN before the first user).

    Examples
    --------
    >>> users = pd.DataFrame({"variant": ["a", "a", "b"], "converted": [1, 0, 1],
    ...     "assigned_at": pd.to_datetime(["2026-10-01 09:00", "2026-10-03 08:00",
    ...                                   "2026-10-02 12:00"]),
    ...     "excluded_reason": [None] * 3})
    >>> daily_cumulative(users)[["variant", "date", "cumulative_users", "cumulative_rate"]]
      variant       date  cumulative_users  cumulative_rate
    0       a 2026-10-01                 1              1.0
    1       a 2026-10-02                 1              1.0
    2       a 2026-10-03                 2              0.5
    3       b 2026-10-01                 0              NaN
    4       b 2026-10-02                 1              1.0
    5       b 2026-10-03                 1              1.0
    """
    used = _included(outcomes, include)
    used = used[used["assigned_at"].notna()]  # outcomes on the row may come without times
    if used.empty:
        return pd.DataFrame(columns=DAILY_COLUMNS)
    days = used.assign(date=pd.to_datetime(used["assigned_at"]).dt.normalize())
    counts = days.groupby(["variant", "date"]).agg(
        users=("converted", "size"), conversions=("converted", "sum")
    )
    return daily_from_counts(counts.reset_index())
