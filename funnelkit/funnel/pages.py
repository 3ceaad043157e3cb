"""Bounce rate by landing page: which entry pages lose visitors before they look further."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd

from .steps import wilson

__all__ = ["bounce_rates"]


def bounce_rates(
    events: Any,
    *,
    period: tuple[datetime, datetime] | None = None,
    page_event: str = "page_view",
    top: int = 10,
) -> pd.DataFrame:
    """Sessions and bounce rate per landing page, with Wilson 95% intervals.

    A session's **landing page** is the ``page`` of its first ``page_view`` (earliest
    timestamp; ties by page). A **bounce** is a session with exactly one ``page_view``. Sessions
    count in the period of their first page view.

    Parameters
    ----------
    events : funnelkit.data.Client or duckdb.DuckDBPyRelation
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
