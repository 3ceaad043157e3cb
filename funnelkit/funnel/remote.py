"""The portable funnel run where the events are (Spark, ClickHouse, BigQuery), aggregated there.

:func:`remote_funnel` asks the engine for the event names (one GROUP BY), resolves the steps as
:func:`funnelkit.funnel.funnel_paths` does, writes the portable funnel
(:mod:`funnelkit.funnel.engine_sql`, the same definition DuckDB runs) around a final
``GROUP BY depth`` and sends it through :func:`funnelkit.core.engines.transpile`: only the counts
of units per depth (and breakdown) travel back. :func:`funnel_sql` gives the same SQL without an
engine (the BigQuery SQL is checked by parsing where no credentials exist).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..core.engines import transpile
from ..data.validate import q
from .engine_sql import build
from .plan import Plan, resolve, ts_lit
from .spec import FunnelSpec

if TYPE_CHECKING:
    from ..core.engines import Engine

__all__ = ["event_stats_sql", "funnel_sql", "remote_funnel"]


def event_stats_sql(table: str, period: tuple[datetime, datetime] | None = None) -> str:
    """DuckDB-dialect SQL: per event name, its rows and its rows in the period.

    Examples
    --------
    >>> print(event_stats_sql("events"))  # doctest: +NORMALIZE_WHITESPACE
    SELECT CAST(event AS VARCHAR) AS name, count(*) AS n, count(*) AS n_period FROM events
    WHERE event IS NOT NULL AND timestamp IS NOT NULL GROUP BY 1
    """
    ts = "CAST(timestamp AS TIMESTAMP)"
    in_period = (
        "count(*)"
        if period is None
        else f"sum(CASE WHEN {ts} >= {ts_lit(period[0])} AND {ts} < {ts_lit(period[1])} "
        "THEN 1 ELSE 0 END)"
    )
    return (
        f"SELECT CAST(event AS VARCHAR) AS name, count(*) AS n, {in_period} AS n_period "
        f"FROM {table} WHERE event IS NOT NULL AND timestamp IS NOT NULL GROUP BY 1"
    )


def funnel_sql(
    dialect: str,
    table: str,
    spec: FunnelSpec,
    *,
    stats: Sequence[tuple[str, int, int]],
    by: Sequence[str] = (),
    period: tuple[datetime, datetime] | None = None,
) -> str:
    """The aggregated portable funnel in ``dialect``: columns ``*by, depth, units``.

    ``stats`` are the (event name, rows, rows in the period) of :func:`event_stats_sql`.

    Examples
    --------
    >>> spec = FunnelSpec(("view_item", "purchase"))
    >>> sql = funnel_sql("bigquery", "shop.events", spec, stats=[("view_item", 9, 9),
    ...                                                           ("purchase", 2, 2)])
    >>> sql.startswith("SELECT depth, COUNT(*) AS units FROM (WITH base AS")
    True
    """
    return transpile(_aggregate_sql(table, spec, stats=stats, by=by, period=period), dialect)


def _aggregate_sql(
    table: str,
    spec: FunnelSpec,
    *,
    stats: Sequence[tuple[str, int, int]],
    by: Sequence[str],
    period: tuple[datetime, datetime] | None,
) -> str:
    """The aggregated portable funnel in DuckDB's dialect (what every engine is sent)."""
    plan = Plan(None, table, spec, tuple(by), period, [], [], {})
    resolve(plan, list(stats))
    keys = "".join(f"{q(c)}, " for c in by)
    return (
        f"SELECT {keys}depth, count(*) AS units FROM ({build(plan)}) AS paths "
        f"GROUP BY {keys}depth ORDER BY {keys}depth"
    )


def remote_funnel(
    engine: Engine,
    table: str,
    spec: FunnelSpec,
    *,
    by: Sequence[str] = (),
    period: tuple[datetime, datetime] | None = None,
) -> pd.DataFrame:
    """Units per depth reached (and breakdown), counted by ``engine`` over ``table`` in place.

    Returns a tidy frame ``*by, depth, units``, one row per depth with units (depth 1 = reached
    step 1 only); :func:`reached` turns it into units reaching each step.
    """
    stats = engine.query(event_stats_sql(table, period))
    rows = [(str(n), int(c), int(p or 0)) for n, c, p in stats.itertuples(index=False)]
    # the engine transpiles (and applies its own fixes): it is sent DuckDB's dialect
    counts = engine.query(_aggregate_sql(table, spec, stats=rows, by=by, period=period))
    counts.columns = [*by, "depth", "units"]
    counts["depth"] = counts["depth"].astype(int)
    counts["units"] = counts["units"].astype(int)
    return counts.sort_values([*by, "depth"], kind="stable").reset_index(drop=True)


def reached(counts: pd.DataFrame, k: int, *, by: Sequence[str] = ()) -> pd.DataFrame:
    """Units reaching each step 1..k from the per-depth counts of :func:`remote_funnel`.

    Examples
    --------
    >>> reached(pd.DataFrame({"depth": [1, 2, 3], "units": [5, 3, 2]}), 3)
       step  units
    0     1     10
    1     2      5
    2     3      2
    """
    rows: list[dict[str, Any]] = []
    groups = counts.groupby(list(by), sort=True) if by else [((), counts)]
    for key, part in groups:
        labels = dict(zip(by, key if isinstance(key, tuple) else (key,), strict=True))
        for step in range(1, k + 1):
            units = int(part.loc[part["depth"] >= step, "units"].sum())
            rows.append(labels | {"step": step, "units": units})
    return pd.DataFrame(rows, columns=[*by, "step", "units"])
