"""Awareness and consideration metrics from the events log: visitors, sessions, bounce, engagement.

Definitions (exact, also in the catalogue and the README):

- A **visitor** is a ``user_id`` with at least one event in the window; a **new visitor** one
  whose first event ever (all history in the export) is in the window.
- A **session** is a (``user_id``, ``session_id``) pair; it belongs to the window in which its
  first event falls, and all its events count, even those after the window end.
- A session **bounces** when it has at most one page view (``metrics.page_view_event``) and no
  other event except the non-interaction ones (``metrics.non_interaction_events``, by default
  ``session_start``).
- A session is **engaged** when it has at least two page views or a conversion event
  (``metrics.lead_events`` or ``metrics.conversion_events``).
- Grouping: a session's ``channel``, ``device`` and ``campaign`` are those of its first event
  with a non-empty value; its ``landing_page`` is the ``page`` of its first page view
  ("(no page view)" if it has none). A visitor's group is the value of their first event in the
  window with a non-empty value. Rows without a value group under "(none)".

Ties at equal timestamps are broken by the value itself, so results never depend on row order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from ..core.errors import DataError
from ..data.validate import lit, q
from . import shared
from .base import (
    NONE,
    Window,
    check_group,
    count_frame,
    define,
    label_sql,
    proportion_frame,
    text_sql,
)

if TYPE_CHECKING:
    from ..data.loader import Client

__all__ = [
    "METRICS",
    "bounce_rate",
    "engagement_rate",
    "new_visitors",
    "session_frame_sql",
    "sessions",
    "visitor_counts",
    "visitors",
]

VISITOR_GROUPS = ("channel", "device", "campaign")
SESSION_GROUPS = ("channel", "device", "campaign", "landing_page")


_in_list = shared.in_list


def _first_value(client: Client, column: str, where: str) -> str:
    """SQL: per user, the column's value on the first event (in ``where``) that has one."""
    if column not in client.columns("events"):
        raise_missing(client, column)
    value = text_sql(q(column))  # a blank cell is no value
    return (
        f"SELECT user_id, arg_min({value}, (timestamp, {value})) AS grp FROM events "
        f"WHERE {where} AND {value} IS NOT NULL GROUP BY user_id"
    )


def raise_missing(client: Client, column: str) -> None:

    raise DataError(
        f"{client.name}: the events table has no '{column}' column (it has "
        f"{client.columns('events')}); map it in client.yaml under `data.events.columns` or "
        "group by another column.",
        table="events",
        column=column,
    )


def visitor_counts(client: Client, window: Window, by: str | None, flag: str) -> pd.DataFrame:
    """Visitors in the window (denominator) and those for whom ``flag`` holds (numerator).

    ``flag`` is a SQL condition evaluated per visitor over their events in the window (an
    aggregate such as ``bool_or(event = 'x')``, or a condition on ``user_id``). With ``by``, a
    visitor belongs to the value of their first event in the window that has one.
    """
    in_window = window.sql("timestamp")
    base = f"SELECT user_id, {flag} AS hit FROM events WHERE {in_window} GROUP BY user_id"
    if by is None:
        standard = shared.visitor_flag_counts(client, window)  # every standard flag, one scan
        if flag in standard:
            numerator, denominator = standard[flag]
            return pd.DataFrame({"numerator": [numerator], "denominator": [denominator]})
        return client.sql(
            f"SELECT count_if(hit) AS numerator, count(*) AS denominator FROM ({base})"
        )
    groups = _first_value(client, by, in_window)
    return client.sql(
        f"SELECT COALESCE(g.grp, {lit(NONE)}) AS {q(by)}, "
        f"count_if(v.hit) AS numerator, count(*) AS denominator "
        f"FROM ({base}) v LEFT JOIN ({groups}) g USING (user_id) GROUP BY 1 ORDER BY 1"
    )


def visitors(client: Client, window: Window, by: str | None = None) -> pd.DataFrame:
    """Visitors: distinct users with at least one event in the window.

    Examples
    --------
    >>> from funnelkit import load_client
    >>> from funnelkit.metrics.base import window
    >>> client = load_client(emit_warnings=False)
    >>> int(visitors(client, window(client))["value"].iloc[0])
    29532
    """
    check_group("visitors", by, VISITOR_GROUPS)
    counts = visitor_counts(client, window, by, "TRUE")
    counts["numerator"] = counts.pop("denominator")
    return count_frame("visitors", counts, by=by)


def new_visitors(client: Client, window: Window, by: str | None = None) -> pd.DataFrame:
    """New visitors: visitors whose first event in the whole export falls in the window."""
    check_group("new_visitors", by, VISITOR_GROUPS)
    if by is None:
        counts = pd.DataFrame({"numerator": [shared.new_visitor_count(client, window)]})
        return count_frame("new_visitors", counts, by=by)
    counts = client.sql(
        f"WITH firsts AS (SELECT user_id, min(timestamp) AS first_at FROM events GROUP BY 1), "
        f"new AS (SELECT user_id FROM firsts WHERE {window.sql('first_at')}) "
        f"SELECT COALESCE(g.grp, {lit(NONE)}) AS {q(by)}, count(*) AS numerator FROM new "
        f"LEFT JOIN ({_first_value(client, by, window.sql('timestamp'))}) g USING (user_id) "
        "GROUP BY 1 ORDER BY 1"
    )
    return count_frame("new_visitors", counts, by=by)


def session_frame_sql(client: Client, window: Window) -> str:
    """SQL: one row per session started in the window with its page views and flags.

    Columns: user_id, session_id, started, page_views, interactions, conversions,
    channel, device, campaign, landing_page (grouping columns absent from the events table
    are NULL).
    """
    return f"{shared.session_select(client)} HAVING {window.sql('min(timestamp)')}"


def _session_counts(client: Client, window: Window, by: str | None, flag: str) -> pd.DataFrame:
    counts = shared.session_counts(client, window, by, flag)  # the standard flags, one scan
    if counts is not None:
        return counts
    sessions_sql = session_frame_sql(client, window)
    if by is None:
        return client.sql(
            f"SELECT count_if({flag}) AS numerator, count(*) AS denominator FROM ({sessions_sql})"
        )
    return client.sql(
        f"SELECT {label_sql(q(by))} AS {q(by)}, "
        f"count_if({flag}) AS numerator, count(*) AS denominator FROM ({sessions_sql}) "
        "GROUP BY 1 ORDER BY 1"
    )


def sessions(client: Client, window: Window, by: str | None = None) -> pd.DataFrame:
    """Sessions started in the window."""
    check_group("sessions", by, SESSION_GROUPS)
    counts = _session_counts(client, window, by, "TRUE")
    counts["numerator"] = counts.pop("denominator")
    return count_frame("sessions", counts, by=by)


BOUNCED = shared.BOUNCED
ENGAGED = shared.ENGAGED


def bounce_rate(client: Client, window: Window, by: str | None = None) -> pd.DataFrame:
    """Share of sessions with at most one page view and no interaction, Wilson 95% CI.

    Examples
    --------
    >>> from funnelkit import load_client
    >>> from funnelkit.metrics.base import window
    >>> client = load_client(emit_warnings=False)
    >>> row = bounce_rate(client, window(client)).iloc[0]
    >>> round(float(row["value"]), 3), int(row["denominator"])
    (0.375, 45812)
    """
    check_group("bounce_rate", by, SESSION_GROUPS)
    counts = _session_counts(client, window, by, BOUNCED)
    return proportion_frame("bounce_rate", counts, by=by, zero="no sessions in the period")


def engagement_rate(client: Client, window: Window, by: str | None = None) -> pd.DataFrame:
    """Share of sessions with two or more page views or a conversion event, Wilson 95% CI."""
    check_group("engagement_rate", by, SESSION_GROUPS)
    counts = _session_counts(client, window, by, ENGAGED)
    return proportion_frame("engagement_rate", counts, by=by, zero="no sessions in the period")


_EVENTS = (("events", ("user_id", "timestamp", "event")),)
_SESSIONS = (("events", ("user_id", "timestamp", "event", "session_id")),)

METRICS = [
    define(
        "visitors", "awareness", "count", "people", "up",
        name={"en": "Visitors", "ru": "Посетители"},
        definition={
            "en": "Distinct users with at least one event in the period.",
            "ru": "Уникальные пользователи, совершившие хотя бы одно событие за период.",
        },
        formula="count(distinct user_id with an event in the period)",
        needs=_EVENTS, compute=visitors, groups=VISITOR_GROUPS,
    ),
    define(
        "new_visitors", "awareness", "count", "people", "up",
        name={"en": "New visitors", "ru": "Новые посетители"},
        definition={
            "en": "Visitors whose first event in the whole export falls in the period.",
            "ru": "Посетители, чьё первое событие во всей выгрузке приходится на период.",
        },
        formula="count(users with min(event time) in the period)",
        needs=_EVENTS, compute=new_visitors, groups=VISITOR_GROUPS,
    ),
    define(
        "sessions", "awareness", "count", "sessions", "up",
        name={"en": "Sessions", "ru": "Сеансы"},
        definition={
            "en": "Visits (user and session id) whose first event falls in the period.",
            "ru": "Визиты (пользователь и id сеанса), начавшиеся в периоде.",
        },
        formula="count(distinct (user_id, session_id) starting in the period)",
        needs=_SESSIONS, compute=sessions, groups=SESSION_GROUPS,
    ),
    define(
        "bounce_rate", "awareness", "proportion", "share", "down",
        name={"en": "Bounce rate", "ru": "Показатель отказов"},
        definition={
            "en": "Share of sessions with at most one page view and no other interaction.",
            "ru": "Доля сеансов не более чем с одним просмотром страницы и без других действий.",
        },
        formula="bounced sessions / sessions",
        needs=_SESSIONS, compute=bounce_rate, groups=SESSION_GROUPS,
    ),
    define(
        "engagement_rate", "consideration", "proportion", "share", "up",
        name={"en": "Engagement rate", "ru": "Вовлечённость"},
        definition={
            "en": "Share of sessions with two or more page views or a conversion event.",
            "ru": "Доля сеансов с двумя и более просмотрами страниц или целевым действием.",
        },
        formula="sessions with (page views >= 2 or a conversion event) / sessions",
        needs=_SESSIONS, compute=engagement_rate, groups=SESSION_GROUPS,
    ),
]  # fmt: skip
