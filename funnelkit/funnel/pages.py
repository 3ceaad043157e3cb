"""Bounce rate by landing page: which entry pages lose visitors before they look further."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd

from ..core.stats import wilson
from ..metrics.base import Window
from ..metrics.traffic import bounce_rate

__all__ = ["bounce_rates"]


def bounce_rates(
    events: Any,
    *,
    period: tuple[datetime, datetime] | None = None,
    page_event: str = "page_view",
    top: int = 10,
) -> pd.DataFrame:
    """Sessions and bounce rate per landing page, with Wilson 95% intervals.

    Given a client, the metric catalogue's definitions are used, so every chapter reports the
    same bounce rate (:mod:`funnelkit.metrics.traffic`): a session bounces with at most one page
    view and no event besides ``metrics.non_interaction_events``; it counts in the period of its
    first event; its landing page is the page of its first page view (sessions without a page
    view are left out here). Given a bare relation (no client settings), a session's **landing
    page** is the ``page`` of its first ``page_event`` (earliest timestamp; ties by page), a
    **bounce** is a session with exactly one ``page_event``, and sessions count in the period of
    their first page view.

    Parameters
    ----------
    events : funnelkit.data.loader.Client or duckdb.DuckDBPyRelation
        Events with ``session_id``, ``timestamp``, ``event`` and ``page``.
    period : (datetime, datetime), optional
        ``(start, end_exclusive)`` of the landing; all sessions when None.
    page_event : str, default "page_view"
        The event name of a page view.
    top : int, default 10
        Keep the landing pages with most sessions.

    Returns
    -------
    pandas.DataFrame
        ``landing_page, sessions, bounces, bounce_rate, ci_low, ci_high``, most sessions first.

    Examples
    --------
    >>> import duckdb
    >>> log = duckdb.sql(
    ...     "SELECT * FROM (VALUES ('s1', TIMESTAMP '2026-10-01 10:00', 'page_view', '/home'), "
    ...     "('s2', TIMESTAMP '2026-10-01 11:00', 'page_view', '/home'), "
    ...     "('s2', TIMESTAMP '2026-10-01 11:01', 'page_view', '/shoes')) "
    ...     "t(session_id, timestamp, event, page)"
    ... )
    >>> bounce_rates(log)[["landing_page", "sessions", "bounces", "bounce_rate"]]
      landing_page  sessions  bounces  bounce_rate
    0        /home         2        1          0.5
    """
    if hasattr(events, "config"):
        return _client_bounce_rates(events, period=period, top=top)
    relation = events.table("events") if hasattr(events, "table") else events
    where = ""
    if period is not None:
        start, end = (f"TIMESTAMP '{t:%Y-%m-%d %H:%M:%S}'" for t in period)
        where = f"WHERE first_at >= {start} AND first_at < {end}"
    event = page_event.replace("'", "''")
    frame = relation.query(
        "fk_bounce_events",
        f"""WITH s AS (
                SELECT session_id, min(timestamp) AS first_at,
                    arg_min(page, {{'t': timestamp, 'p': page}}) AS landing_page,
                    count(*) AS views
                FROM fk_bounce_events
                WHERE event = '{event}' AND session_id IS NOT NULL
                GROUP BY session_id
            )
            SELECT coalesce(landing_page, '(missing)') AS landing_page, count(*) AS sessions,
                count(*) FILTER (WHERE views = 1) AS bounces
            FROM s {where} GROUP BY 1 ORDER BY sessions DESC, landing_page LIMIT {int(top)}""",
    ).df()
    frame["bounce_rate"] = frame["bounces"] / frame["sessions"]
    frame["ci_low"], frame["ci_high"] = wilson(frame["bounces"], frame["sessions"])
    return frame


def _client_bounce_rates(
    client: Any, *, period: tuple[datetime, datetime] | None, top: int
) -> pd.DataFrame:

    start, end = period or (datetime(1900, 1, 1), datetime(2200, 1, 1))
    rows = bounce_rate(client, Window(start, end), by="landing_page")
    rows = rows[rows["landing_page"] != "(no page view)"]
    frame = pd.DataFrame(
        {
            "landing_page": rows["landing_page"],
            "sessions": rows["denominator"].astype("int64"),
            "bounces": rows["numerator"].astype("int64"),
            "bounce_rate": rows["value"],
            "ci_low": rows["ci_low"],
            "ci_high": rows["ci_high"],
        }
    )
    frame = frame.sort_values(["sessions", "landing_page"], ascending=[False, True])
    return frame.head(int(top)).reset_index(drop=True)
