"""Cohorts: retention and revenue by first-purchase month, return rate by first-visit week.

A cohort is every customer (or visitor) whose first order (first event) falls in the same
calendar period; ``period_number`` counts whole calendar periods since then (0 = the first
period). Every query is set-based DuckDB through ``client.sql``: one pass groups the rows into
(id, period) pairs, and only the cohort × period cells reach pandas, so tables of millions of
rows stay in the database. The history is used from its first row up to ``end`` (the analysis
period's last day by default), not only the analysis period: a cohort needs its first purchase.

The data end is the day of the last row up to ``end``: cells after it are absent, not zero (an
export that stops before the period end shows no empty months). A cell whose calendar period is
only partly observed (cut by the data end, or starting before the first row's day) has
``complete`` False; ``cohort_complete`` says whether the cohort's first period (its size) is.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..core.errors import AnalysisError, DataError, did_you_mean
from ..core.stats import wilson
from ..data.validate import q

if TYPE_CHECKING:
    from ..data.loader import Client

__all__ = ["cohort_churn", "heatmap_frame", "order_cohorts", "visit_cohorts"]

#: ``freq`` codes and the calendar unit each stands for (weeks start on Monday).
FREQUENCIES = {"W": "week", "M": "month", "Q": "quarter"}
STEPS = {"month": 1, "quarter": 3}

ORDER_COLUMNS = [
    "cohort", "period_number", "period_start", "cohort_size", "customers_active", "retention",
    "retention_low", "retention_high", "revenue", "revenue_per_customer",
    "cumulative_revenue_per_customer", "complete", "cohort_complete",
]  # fmt: skip
VISIT_COLUMNS = [
    "cohort", "period_number", "period_start", "cohort_size", "visitors_active", "retention",
    "retention_low", "retention_high", "complete", "cohort_complete",
]  # fmt: skip


def _unit(freq: str) -> str:
    if freq not in FREQUENCIES:
        raise AnalysisError(
            f"`freq` must be one of {list(FREQUENCIES)} (week, month, quarter), but {freq!r} was "
            f"passed{did_you_mean(str(freq).upper(), FREQUENCIES, sentence=False)}."
        )
    return FREQUENCIES[freq]


def _end(client: Client, end: Any) -> date:
    """The last observed day (inclusive): ``end`` or the analysis period's last day."""
    if end is None:
        return client.config.period.end
    try:
        day = pd.Timestamp(end)
    except (TypeError, ValueError):
        day = pd.NaT
    if pd.isna(day):
        raise AnalysisError(
            f"`end` must be a date such as '2026-10-31' (the last observed day), but {end!r} was "
            "passed; leave it out to use the analysis period's last day."
        )
    return day.date()


def _require(client: Client, table: str) -> None:
    if not client.has(table):
        raise DataError(
            f"{client.name}: cohorts need the `{table}` table, and none is configured; add "
            f"`data.{table}` to client.yaml (see docs/data.md for its columns).",
            table=table,
        )


def _cells(
    client: Client, *, table: str, key: str, revenue: bool, freq: str, end: Any
) -> pd.DataFrame:
    """Cohort × period cells (every observed cell, zeros included) with sizes and flags."""
    _require(client, table)
    unit, last = _unit(freq), _end(client, end)
    stop = f"TIMESTAMP '{last + timedelta(days=1):%Y-%m-%d}'"
    t = q("timestamp")
    money = f"COALESCE(sum({q('revenue')}), 0)" if revenue else "0"
    frame = client.sql(f"""
        WITH a AS (
            SELECT {q(key)} AS id, date_trunc('{unit}', {t}) AS bucket, {money} AS revenue,
                   min({t}) AS first_at, max({t}) AS last_at
            FROM {table} WHERE {t} < {stop} AND {q(key)} IS NOT NULL GROUP BY 1, 2),
        lim AS (SELECT date_trunc('day', min(first_at)) AS first_day,
                       date_trunc('day', max(last_at)) AS last_day FROM a),
        f AS (SELECT id, min(bucket) AS cohort FROM a GROUP BY 1),
        sizes AS (SELECT cohort, count(*) AS cohort_size FROM f GROUP BY 1),
        grid AS (
            SELECT cohort, cohort_size, unnest(generate_series(0, date_diff('{unit}', cohort,
                date_trunc('{unit}', (SELECT last_day FROM lim))))) AS period_number
            FROM sizes),
        cells AS (
            SELECT f.cohort, date_diff('{unit}', f.cohort, a.bucket) AS period_number,
                   count(*) AS active, sum(a.revenue) AS revenue
            FROM a JOIN f USING (id) GROUP BY 1, 2)
        SELECT grid.cohort, grid.period_number,
               grid.cohort + to_{unit}s(CAST(grid.period_number AS INTEGER)) AS period_start,
               grid.cohort_size, COALESCE(cells.active, 0) AS active,
               COALESCE(cells.revenue, 0) AS revenue, lim.first_day, lim.last_day
        FROM grid LEFT JOIN cells USING (cohort, period_number) CROSS JOIN lim
        ORDER BY 1, 2""")
    if frame.empty:
        return frame
    step = pd.DateOffset(weeks=1) if unit == "week" else pd.DateOffset(months=STEPS[unit])
    frame["complete"] = (frame["period_start"] >= frame["first_day"]) & (
        frame["period_start"] + step <= frame["last_day"] + pd.Timedelta(days=1)
    )
    whole = frame.loc[frame["period_number"] == 0].set_index("cohort")["complete"]
    frame["cohort_complete"] = frame["cohort"].map(whole).astype(bool)
    low, high = wilson(frame["active"].to_numpy(), frame["cohort_size"].to_numpy())
    frame["retention"] = frame["active"] / frame["cohort_size"]
    frame["retention_low"], frame["retention_high"] = low, high
    frame["period_number"] = frame["period_number"].astype("int64")
    frame["cohort_size"] = frame["cohort_size"].astype("int64")
    frame["active"] = frame["active"].astype("int64")
    return frame.drop(columns=["first_day", "last_day"])


def order_cohorts(client: Client, *, freq: str = "M", end: Any = None) -> pd.DataFrame:
    """Retention and revenue of each first-purchase cohort, one row per cohort and period.

    Parameters
    ----------
    client : Client
        A loaded client with an ``orders`` table.
    freq : {"M", "W", "Q"}, keyword-only
        Calendar period of the cohorts: month (default), week (from Monday) or quarter.
    end : date or str, optional, keyword-only
        Last observed day (inclusive); orders after it are ignored. Default: the analysis
        period's last day (``client.config.period.end``). All orders before it count, from the
        first one in the data.

    Returns
    -------
    pandas.DataFrame
        ``cohort`` (start of the first-purchase period), ``period_number`` (periods since),
        ``period_start``, ``cohort_size`` (customers whose first order is in the cohort),
        ``customers_active`` (of them, those with an order in the period), ``retention`` =
        active / size with its Wilson 95% interval ``retention_low``/``retention_high``,
        ``revenue`` (the cohort's orders in the period), ``revenue_per_customer`` = revenue /
        cohort size, ``cumulative_revenue_per_customer`` (periods 0..n), ``complete`` (the
        period is wholly observed) and ``cohort_complete`` (the first period is: the size is
        final). Periods after ``end`` are absent; observed periods without orders are zeros.

    Raises
    ------
    DataError
        The client has no orders table.
    AnalysisError
        ``freq`` or ``end`` is not usable.

    Examples
    --------
    >>> from funnelkit import load_client
    >>> client = load_client(emit_warnings=False)
    >>> cohorts = order_cohorts(client)
    >>> cohorts[["cohort", "period_number", "cohort_size", "customers_active", "complete"]]
          cohort  period_number  cohort_size  customers_active  complete
    0 2026-08-01              0          657               657      True
    1 2026-08-01              1          657                14      True
    2 2026-08-01              2          657                 1     False
    3 2026-09-01              0          856               856      True
    4 2026-09-01              1          856                17     False
    5 2026-10-01              0          937               937     False
    """
    frame = _cells(client, table="orders", key="customer_id", revenue=True, freq=freq, end=end)
    if frame.empty:
        return pd.DataFrame(columns=ORDER_COLUMNS)
    frame = frame.rename(columns={"active": "customers_active"})
    frame["revenue_per_customer"] = frame["revenue"] / frame["cohort_size"]
    frame["cumulative_revenue_per_customer"] = frame.groupby("cohort")[
        "revenue_per_customer"
    ].cumsum()
    return frame[ORDER_COLUMNS].reset_index(drop=True)


def visit_cohorts(client: Client, *, freq: str = "W", end: Any = None) -> pd.DataFrame:
    """Return rate of each first-visit cohort: the share of its new visitors back in period n.

    A visitor is an ``events.user_id``; any event counts as a visit. Same rules and columns as
    :func:`order_cohorts` without the revenue: ``visitors_active`` replaces
    ``customers_active`` and ``retention`` is the return rate (1 in period 0 by definition).

    Parameters
    ----------
    client : Client
        A loaded client with an ``events`` table.
    freq : {"W", "M", "Q"}, keyword-only
        Calendar period: week from Monday (default), month or quarter.
    end : date or str, optional, keyword-only
        Last observed day (inclusive); default the analysis period's last day.

    Returns
    -------
    pandas.DataFrame
        ``cohort, period_number, period_start, cohort_size, visitors_active, retention,
        retention_low, retention_high, complete, cohort_complete``.

    Examples
    --------
    >>> from funnelkit import load_client
    >>> client = load_client(emit_warnings=False)
    >>> weeks = visit_cohorts(client)
    >>> int(weeks["cohort_size"].drop_duplicates().sum()) == int(
    ...     client.sql("SELECT count(DISTINCT user_id) AS n FROM events")["n"].iloc[0])
    True
    >>> bool((weeks.loc[weeks["period_number"] == 0, "retention"] == 1).all())
    True
    """
    frame = _cells(client, table="events", key="user_id", revenue=False, freq=freq, end=end)
    if frame.empty:
        return pd.DataFrame(columns=VISIT_COLUMNS)
    return frame.rename(columns={"active": "visitors_active"})[VISIT_COLUMNS].reset_index(drop=True)


def cohort_churn(cohorts: pd.DataFrame, *, periods: tuple[int, ...] = (1, 3)) -> pd.DataFrame:
    """Churn of each cohort: the share of its customers with no order in period n.

    Churn after n periods is ``1 − retention`` at ``period_number`` n: of the customers who
    first bought in the cohort's period, the share who placed no order n periods later (some
    may come back afterwards; this is the plain "did not buy that month" reading). It is NaN
    where that period is not wholly observed (absent, or ``complete`` False: a partly observed
    month would overstate churn). The interval is the retention's Wilson interval, flipped.

    Parameters
    ----------
    cohorts : pandas.DataFrame
        The table of :func:`order_cohorts` or :func:`visit_cohorts`.
    periods : tuple of int, keyword-only
        The periods n stated (default month 1 and month 3 for monthly cohorts).

    Returns
    -------
    pandas.DataFrame
        One row per cohort: ``cohort, cohort_size, cohort_complete, observed_periods`` (whole
        periods observed after the first) and, for each n, ``churn_<n>, churn_<n>_low,
        churn_<n>_high``.

    Examples
    --------
    >>> from funnelkit import load_client
    >>> client = load_client(emit_warnings=False)
    >>> churn = cohort_churn(order_cohorts(client))
    >>> churn["churn_1"] = churn["churn_1"].round(3)
    >>> churn[["cohort", "cohort_size", "observed_periods", "churn_1"]]
          cohort  cohort_size  observed_periods  churn_1
    0 2026-08-01          657                 1    0.979
    1 2026-09-01          856                 0      NaN
    2 2026-10-01          937                 0      NaN
    """
    _check(cohorts, "retention", "cohort_churn")
    periods = tuple(periods) if isinstance(periods, list | tuple) else (periods,)
    bad = [
        n for n in periods if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1
    ]
    if bad or not periods:
        raise AnalysisError(
            f"`periods` must be whole numbers of periods from 1 (e.g. (1, 3)), but {periods!r} "
            "was passed."
        )
    whole = cohorts.loc[cohorts["complete"].astype(bool) & (cohorts["period_number"] > 0)]
    out = cohorts.groupby("cohort", sort=True).agg(
        cohort_size=("cohort_size", "first"), cohort_complete=("cohort_complete", "first")
    )
    out["observed_periods"] = whole.groupby("cohort")["period_number"].max()
    out["observed_periods"] = out["observed_periods"].fillna(0).astype("int64")
    for n in periods:
        cell = whole.loc[whole["period_number"] == n].set_index("cohort")
        out[f"churn_{n}"] = 1 - cell["retention"]
        out[f"churn_{n}_low"] = 1 - cell["retention_high"]
        out[f"churn_{n}_high"] = 1 - cell["retention_low"]
    return out.reset_index()


def heatmap_frame(cohorts: pd.DataFrame, *, value: str = "retention") -> pd.DataFrame:
    """The cohort table reshaped for a heatmap: one row per cohort, one column per period.

    Parameters
    ----------
    cohorts : pandas.DataFrame
        The table of :func:`order_cohorts` or :func:`visit_cohorts`.
    value : str, keyword-only
        The column shown in the cells (``retention``, ``revenue_per_customer``,
        ``cumulative_revenue_per_customer`` …).

    Returns
    -------
    pandas.DataFrame
        Index ``cohort``, columns ``period_number`` 0, 1, …; NaN where a cohort's period is
        after the data end (absent, not zero).

    Examples
    --------
    >>> from funnelkit import load_client
    >>> client = load_client(emit_warnings=False)
    >>> heatmap_frame(order_cohorts(client)).round(3)  # doctest: +NORMALIZE_WHITESPACE
    period_number    0      1      2
    cohort
    2026-08-01     1.0  0.021  0.002
    2026-09-01     1.0  0.020    NaN
    2026-10-01     1.0    NaN    NaN
    """
    _check(cohorts, value, "heatmap_frame")
    wide = cohorts.set_index(["cohort", "period_number"])[value].unstack("period_number")  # noqa: PD010
    return wide.sort_index().sort_index(axis=1)


def _check(cohorts: Any, value: str, name: str) -> None:
    needed = ["cohort", "period_number", "cohort_size", "complete", "cohort_complete", value]
    if not isinstance(cohorts, pd.DataFrame):
        raise AnalysisError(
            f"{name} takes the table of order_cohorts() or visit_cohorts(), but a "
            f"{type(cohorts).__name__} was passed."
        )
    missing = [c for c in dict.fromkeys(needed) if c not in cohorts.columns]
    if missing:
        hint = did_you_mean(missing[-1], cohorts.columns, sentence=False)
        raise AnalysisError(
            f"{name}: the table has no column {missing[-1]!r}{hint} (columns: "
            f"{list(cohorts.columns)}); pass the table of order_cohorts() or visit_cohorts()."
        )
