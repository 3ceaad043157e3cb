"""Visitor, session and event-name aggregates shared by several metrics, each in one scan.

Visitors, new visitors, visitor→lead, conversion rate, sessions, bounce and engagement rate all
read the events log per visitor or per session, for the analysis period and the period before
it. Instead of one pass over the log per metric and period, the counts they need are computed
together here, once per client (:mod:`funnelkit.metrics.memo`), for every standard window in
one pass; the definitions stay those of :mod:`funnelkit.metrics.traffic`, and the counts are the
same integers the one-metric queries give (tests/test_metrics_shared.py). :func:`event_users`
gives the distinct users per event name that the data-health and stage chapters show.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from ..data.validate import lit, q
from . import memo
from .base import Window, label_sql

if TYPE_CHECKING:
    from ..data.loader import Client

__all__ = [
    "BOUNCED",
    "ENGAGED",
    "bought_flag",
    "event_users",
    "in_list",
    "lead_flag",
    "new_visitor_count",
    "session_counts",
    "session_select",
    "visitor_flag_counts",
]

BOUNCED = "page_views <= 1 AND interactions = 0"
ENGAGED = "page_views >= 2 OR conversions > 0"
_SESSION_FLAGS = {"TRUE": "sessions", BOUNCED: "bounced", ENGAGED: "engaged"}


def in_list(names: list[str]) -> str:
    """SQL list of string literals (``NULL`` for none, so ``x IN (NULL)`` matches nothing)."""
    return ", ".join(lit(n) for n in names) if names else "NULL"


def lead_flag(client: Client) -> str:
    """Visitor flag: a lead event (``metrics.lead_events``) among their events in the window."""
    return f"bool_or(event IN ({in_list(client.config.metrics.lead_events)}))"


def bought_flag(window: Window) -> str:
    """Visitor flag: their id is the customer of an order placed in the window."""
    return f"user_id IN (SELECT customer_id FROM orders WHERE {window.sql(q('timestamp'))})"


def _which(windows: list[Window], column: str) -> tuple[str, str]:
    """SQL numbering the (disjoint) windows a time falls in, and the condition 'in any'."""
    whens = " ".join(f"WHEN {w.sql(column)} THEN {i}" for i, w in enumerate(windows))
    return f"CASE {whens} END", " OR ".join(f"({w.sql(column)})" for w in windows)


def _split(frame: pd.DataFrame, count: int) -> list[pd.DataFrame]:
    """The rows of each window ``w`` = 0 … count − 1, without the ``w`` column."""
    return [frame[frame["w"] == i].drop(columns="w").reset_index(drop=True) for i in range(count)]


def _visits(client: Client, window: Window) -> dict[str, int]:
    """Visitors, lead visitors, buying visitors and new visitors of the window, in one pass.

    One ``GROUP BY user_id`` over the events serves every standard window at once (each
    visitor's flags per window and their first event ever); buyers come from the orders.
    """
    has_orders = client.has("orders")
    names = in_list(client.config.metrics.lead_events)

    def compute(windows: list[Window]) -> list[dict[str, int]]:
        flags, joins, counts = [], [], []
        for i, w in enumerate(windows):
            flags.append(
                f"bool_or({w.sql('timestamp')}) AS in{i}, "
                f"bool_or({w.sql('timestamp')} AND event IN ({names})) AS lead{i}"
            )
            bought = "FALSE"
            if has_orders:
                joins.append(
                    f"LEFT JOIN (SELECT DISTINCT customer_id FROM orders "
                    f"WHERE {w.sql(q('timestamp'))}) AS b{i} ON b{i}.customer_id = v.user_id"
                )
                bought = f"b{i}.customer_id IS NOT NULL"
            counts.append(
                f"count_if(in{i}), count_if(in{i} AND lead{i}), count_if(in{i} AND {bought}), "
                f"count_if({w.sql('first_at')})"
            )
        row = client.con.sql(
            f"SELECT {', '.join(counts)} FROM (SELECT user_id, min(timestamp) AS first_at, "
            f"{', '.join(flags)} FROM events GROUP BY user_id) AS v {' '.join(joins)}"
        ).fetchall()[0]
        keys = ("visitors", "leads", "buyers", "new")
        return [
            {k: int(n) for k, n in zip(keys, row[4 * i : 4 * i + 4], strict=True)}
            for i in range(len(windows))
        ]

    return memo.windowed(client, ("visits", names, has_orders), window, compute)


def visitor_flag_counts(client: Client, window: Window) -> dict[str, tuple[int, int]]:
    """``{flag: (visitors with it, visitors)}`` for the window's standard visitor flags.

    The flags are ``"TRUE"``, :func:`lead_flag` and (with an orders table) :func:`bought_flag`
    of the window, spelled exactly as the metrics pass them to
    :func:`~funnelkit.metrics.traffic.visitor_counts`.
    """
    found = _visits(client, window)
    n = found["visitors"]
    flags = {"TRUE": (n, n), lead_flag(client): (found["leads"], n)}
    if client.has("orders"):
        flags[bought_flag(window)] = (found["buyers"], n)
    return flags


def new_visitor_count(client: Client, window: Window) -> int:
    """Visitors whose first event in the whole export falls in the window."""
    return _visits(client, window)["new"]


def event_users(client: Client) -> dict[str, int]:
    """Distinct users per event name over the whole events table (``count(DISTINCT user_id)``).

    With up to 62 names, each user's names are folded into a (signed, so every engine has the
    type) ``BIGINT`` bit mask in one ``GROUP BY user_id`` (far cheaper than a distinct count per
    name); with more, the plain query runs.
    """

    def compute() -> dict[str, int]:
        names = [r[0] for r in client.con.sql("SELECT DISTINCT event FROM events").fetchall()]
        if len(names) > 62 or any(n is None for n in names):
            rows = client.con.sql(
                "SELECT event, count(DISTINCT user_id) FROM events GROUP BY event"
            ).fetchall()
            return {n: int(u) for n, u in rows}
        if not names:
            return {}
        codes = f"[{in_list(names)}]"
        bits = ", ".join(f"count_if(m & {1 << i} <> 0)" for i in range(len(names)))
        row = client.con.sql(
            f"SELECT {bits} FROM (SELECT bit_or(CAST(1 AS BIGINT) << "
            f"CAST(list_position({codes}, event) - 1 AS INTEGER)) AS m FROM events "
            "GROUP BY user_id) AS fk_masks"
        ).fetchall()[0]
        return {n: int(u) for n, u in zip(names, row, strict=True)}

    return dict(memo.remember(client, "event_users", compute))


def session_select(
    client: Client, groups: tuple[str, ...] | None = None, *, extra: str = "", join: str = ""
) -> str:
    """SQL: one row per session (all history) with its start, page views and flags.

    Columns: user_id, session_id, started, page_views, interactions, conversions and the
    grouping columns ``groups`` (default all of channel, device, campaign, landing_page; those
    absent from the events table are NULL). See :mod:`funnelkit.metrics.traffic` for the rules.
    ``extra`` adds aggregate columns and ``join`` a join to the events scan.
    """
    settings = client.config.metrics
    page_view = lit(settings.page_view_event)
    passive = in_list([settings.page_view_event, *settings.non_interaction_events])
    converting = in_list([*settings.lead_events, *settings.conversion_events])
    present = client.columns("events")
    groups = ("channel", "device", "campaign", "landing_page") if groups is None else groups

    def first(column: str) -> str:
        if column not in present:
            return f"NULL AS {column}"
        return (
            f"arg_min({q(column)}, (timestamp, {q(column)})) "
            f"FILTER (WHERE {q(column)} IS NOT NULL) AS {column}"
        )

    landing = (
        f"arg_min(page, (timestamp, page)) FILTER (WHERE {_landing_rows(client)})"
        if "page" in present
        else "NULL"
    )
    columns = [
        f"COALESCE({landing}, {lit('(no page view)')}) AS landing_page"
        if g == "landing_page"
        else first(g)
        for g in groups
    ]
    return (
        "SELECT user_id, session_id, min(timestamp) AS started, "
        f"count(*) FILTER (WHERE event = {page_view}) AS page_views, "
        f"count(*) FILTER (WHERE event NOT IN ({passive})) AS interactions, "
        f"count(*) FILTER (WHERE event IN ({converting})) AS conversions"
        + "".join(f", {c}" for c in columns)
        + (f", {extra}" if extra else "")
        + f" FROM events {join} WHERE session_id IS NOT NULL GROUP BY user_id, session_id"
    )


def _landing_rows(client: Client) -> str:
    """SQL condition: the row is a page view with a page (a landing page candidate)."""
    return f"event = {lit(client.config.metrics.page_view_event)} AND page IS NOT NULL"


def _grouped_sessions(client: Client, by: str) -> tuple[str, str]:
    """``(WITH clause, SQL)``: one row per session with its ``by`` value, as session_select.

    A session's value is the one of its earliest row that has one (ties: the smallest value).
    Rather than ``arg_min(value, (timestamp, value))`` over structs, each value's rank in sort
    order is packed with the time into one integer, whose ``min`` decodes to the same value:
    a third less work and memory. Falls back to ``arg_min`` where the packing could overflow.
    """
    present = client.columns("events")
    column = "page" if by == "landing_page" else by
    if column not in present or str(client.table("events").types[present.index("timestamp")]) != (
        "TIMESTAMP"
    ):
        return "", session_select(client, (by,))
    rows = _landing_rows(client) if by == "landing_page" else f"{q(column)} IS NOT NULL"
    values, low, high = client.con.sql(
        f"SELECT count(DISTINCT {q(column)}) FILTER (WHERE {rows}), min(epoch_us(timestamp)), "
        "max(epoch_us(timestamp)) FROM events"
    ).fetchall()[0]
    k = int(values or 0) + 1
    if low is None or (high - low + 1) * k >= 2**62:
        return "", session_select(client, (by,))
    ranks = (
        f"fk_ranks AS (SELECT fk_value, (row_number() OVER (ORDER BY fk_value))::BIGINT AS "
        f"fk_rank FROM (SELECT DISTINCT {q(column)} AS fk_value FROM events WHERE {rows}))"
    )
    sessions = session_select(
        client,
        (),
        extra=f"min((epoch_us(timestamp) - {low}) * {k} + fk_ranks.fk_rank) "
        f"FILTER (WHERE {rows}) AS fk_code",
        join=f"LEFT JOIN fk_ranks ON fk_ranks.fk_value = events.{q(column)}",
    )
    value = "d.fk_value"
    if by == "landing_page":
        value = f"COALESCE(d.fk_value, {lit('(no page view)')})"
    return f"WITH {ranks} ", (
        f"SELECT s.* EXCLUDE (fk_code), {value} AS {q(by)} FROM ({sessions}) AS s "
        f"LEFT JOIN fk_ranks AS d ON d.fk_rank = s.fk_code % {k}"
    )


def session_counts(
    client: Client, window: Window, by: str | None, flag: str
) -> pd.DataFrame | None:
    """Sessions started in the window with ``flag`` (numerator) out of all (denominator).

    Only for the flags the metrics use (every session, :data:`BOUNCED`, :data:`ENGAGED`);
    None for any other flag. With ``by``, one row per group label, in label order.
    """
    if flag not in _SESSION_FLAGS:
        return None
    settings = client.config.metrics
    key = ("sessions", by, settings.page_view_event, tuple(settings.non_interaction_events),
           tuple(settings.lead_events), tuple(settings.conversion_events))  # fmt: skip

    def compute(windows: list[Window]) -> list[pd.DataFrame]:
        which, anywhere = _which(windows, "started")
        label = f", {label_sql(q(by))} AS {q(by)}" if by else ""
        order = f"w, {q(by)}" if by else "w"
        head, sessions = _grouped_sessions(client, by) if by else ("", session_select(client, ()))
        cube = client.sql(
            f"{head}SELECT {which} AS w{label}, count(*) AS sessions, "
            f"count_if({BOUNCED}) AS bounced, count_if({ENGAGED}) AS engaged "
            f"FROM ({sessions}) WHERE {anywhere} GROUP BY ALL ORDER BY {order}"
        )
        return _split(cube, len(windows))

    cube = memo.windowed(client, key, window, compute)
    column = _SESSION_FLAGS[flag]
    if by is None:
        total = int(cube["sessions"].sum())
        return pd.DataFrame({"numerator": [int(cube[column].sum())], "denominator": [total]})
    return pd.DataFrame(
        {by: cube[by], "numerator": cube[column].astype("int64"),
         "denominator": cube["sessions"].astype("int64")}
    )  # fmt: skip
