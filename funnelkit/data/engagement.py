"""What the loader checks in the ``social`` and ``email`` tables, and the e-mail clicks it adds.

Counts of one row must be in order: a campaign cannot have more recipients who opened than
messages delivered, nor a recipient's row a unique open above 1. A social network's rows are
either posts or daily totals, never both (their interactions would be counted twice). Rows
that break a rule are errors naming the campaign or the day, so a wrong report is never made.

Where e-mail rows are per recipient (``email.user_id``) and the client has events, each
recipient's click becomes an ``email_click`` event (channel ``email``) dated by ``clicked_at``
(or ``sent_at``), so it counts in funnels and as an account touchpoint. Opens are not added:
mail apps that pre-load images (Apple Mail Privacy Protection) open messages nobody read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import duckdb

from ..core.sql import lit
from .validate import Problem, q

if TYPE_CHECKING:
    from .loader import Client

__all__ = ["EMAIL_CLICK", "count_problems", "email_click_events"]

#: The event name a recipient's e-mail click becomes.
EMAIL_CLICK = "email_click"

#: (smaller, larger, severity): a row's ``smaller`` count may not exceed its ``larger`` one.
_EMAIL_ORDER = (
    ("delivered", "recipients", "error"),
    ("bounces", "recipients", "error"),
    ("unique_opens", "opens", "error"),
    ("unique_clicks", "clicks", "error"),
    ("unique_opens", "delivered", "error"),
    ("unique_clicks", "delivered", "error"),
    ("unsubscribes", "delivered", "error"),
    ("unique_clicks", "unique_opens", "warning"),  # clicks in mail that blocks images: no open
)

#: Counts a recipient's own row holds at most once.
_ONCE = ("recipients", "delivered", "unique_opens", "unique_clicks", "unsubscribes", "bounces")

_FIX = {
    "error": "Export the campaign report again (the counts of one row come from different "
    "dates or lists) or correct the rows.",
    "warning": "Some mail programs block the images that record an open, so a click can come "
    "without one; the click-to-open rate of these campaigns is left out.",
}


def count_problems(con: duckdb.DuckDBPyConnection, name: str, label: str) -> list[Problem]:
    """The rule breaks of the typed ``social`` or ``email`` table (other tables: none).

    Examples
    --------
    >>> con = duckdb.connect()
    >>> _ = con.execute("CREATE TABLE email AS SELECT * FROM (VALUES ('Осень', "
    ...                 "TIMESTAMP '2026-10-01 09:00', 1000, 1200)) t(campaign, sent_at, "
    ...                 "recipients, delivered)")
    >>> print(count_problems(con, "email", "mail.csv")[0].message)  # doctest: +ELLIPSIS
    ... # doctest: +NORMALIZE_WHITESPACE
    mail.csv: 1 campaign row has more delivered than recipients
    (e.g. 'Осень' sent 2026-10-01 09:00: 1,200 > 1,000). Export...
    """
    if name == "email":
        return _email_problems(con, label)
    if name == "social":
        return _social_problems(con, label)
    return []


def _email_problems(con: duckdb.DuckDBPyConnection, label: str) -> list[Problem]:
    columns = set(con.table("email").columns)
    found = []
    for smaller, larger, severity in _EMAIL_ORDER:
        if {smaller, larger} <= columns:
            where = f"{q(smaller)} > {q(larger)}"
            found += _rows(con, label, smaller, where, severity,
                           f"more {smaller} than {larger}", (smaller, larger))  # fmt: skip
    if "user_id" in columns:
        for column in (c for c in _ONCE if c in columns):
            where = f"user_id IS NOT NULL AND {q(column)} > 1"
            found += _rows(con, label, column, where, "error",
                           f"a recipient's {column} above 1", (column,))  # fmt: skip
    return found


def _rows(
    con: duckdb.DuckDBPyConnection,
    label: str,
    column: str,
    where: str,
    severity: str,
    what: str,
    shown: tuple[str, ...],
) -> list[Problem]:
    total = int(con.sql(f"SELECT count(*) FROM email WHERE {where}").fetchall()[0][0])
    if not total:
        return []
    values = " || ' > ' || ".join(f"format('{{:,}}', CAST({q(c)} AS BIGINT))" for c in shown)
    first = con.sql(
        f"SELECT campaign, strftime(sent_at, '%Y-%m-%d %H:%M'), {values} FROM email "
        f"WHERE {where} ORDER BY sent_at, campaign LIMIT 1"
    ).fetchall()[0]
    rows = "campaign row has" if total == 1 else "campaign rows have"
    message = (
        f"{label}: {total:,} {rows} {what} (e.g. '{first[0]}' sent {first[1]}: {first[2]}). "
        + _FIX[severity]
    )
    check = "count_order" if severity == "error" else "click_without_open"
    return [Problem("email", label, column, check, severity, total, [], [str(first[0])], message)]


def _social_problems(con: duckdb.DuckDBPyConnection, label: str) -> list[Problem]:
    if "post_id" not in con.table("social").columns:
        return []
    return _mixed_rows(con, label) + _posts_twice(con, label)


def _posts_twice(con: duckdb.DuckDBPyConnection, label: str) -> list[Problem]:
    """A post on two rows: two exports of overlapping periods, whose counts would add up."""
    found = con.sql(
        "SELECT network, post_id, count(*) AS n FROM social WHERE post_id IS NOT NULL "
        "GROUP BY ALL HAVING n > 1 ORDER BY network, post_id"
    ).fetchall()
    if not found:
        return []
    network, post, _ = found[0]
    message = (
        f"{label}: {len(found):,} posts appear on more than one row (e.g. '{post}' of "
        f"{network}); a post's counts are its lifetime totals, so two rows of it would count it "
        "twice. Export periods that do not overlap, or keep the latest export."
    )
    rows = sum(n for *_, n in found)
    return [Problem("social", label, "post_id", "duplicate", "error", rows, [], [], message)]


def _mixed_rows(con: duckdb.DuckDBPyConnection, label: str) -> list[Problem]:
    mixed = con.sql(
        "SELECT network, count(post_id) AS posts, count(*) - count(post_id) AS days FROM social "
        "GROUP BY network HAVING posts > 0 AND days > 0 ORDER BY network"
    ).fetchall()
    if not mixed:
        return []
    names = ", ".join(f"'{n}' ({p:,} post rows, {d:,} rows of daily totals)" for n, p, d in mixed)
    message = (
        f"{label}: {names} mixes posts and daily totals, whose likes, comments and shares "
        "would be counted twice. Give each network one kind of rows: the post export, or the "
        "page's (community's) daily statistics — as two networks if you need both, e.g. "
        "`vk` and `vk_posts`."
    )
    rows = sum(p + d for _, p, d in mixed)
    return [Problem("social", label, "post_id", "mixed_rows", "error", rows, [], [], message)]


def email_click_events(client: Client) -> list[Problem]:
    """Append each e-mail recipient's click to ``events`` as ``email_click``; a note says so.

    Needs ``email.user_id`` with ``unique_clicks`` (or ``clicks``) and an events table; the
    event takes the recipient's ``account_id`` and the campaign where events have the columns.
    """
    if not (client.has("email", "user_id") and client.has("events")):
        return []
    clicked = next((c for c in ("unique_clicks", "clicks") if client.has("email", c)), None)
    if clicked is None:
        return []
    time = "COALESCE(clicked_at, sent_at)" if client.has("email", "clicked_at") else "sent_at"
    select = {
        "user_id": "user_id",
        "timestamp": time,
        "event": lit(EMAIL_CLICK),
        "channel": "'email'",
        "campaign": "campaign",
        "account_id": "account_id" if client.has("email", "account_id") else None,
    }
    present = set(client.columns("events"))
    chosen = {c: e for c, e in select.items() if c in present and e is not None}
    where = f"user_id IS NOT NULL AND {q(clicked)} > 0"
    added = int(client.con.sql(f"SELECT count(*) FROM email WHERE {where}").fetchall()[0][0])
    if not added:
        return []
    columns = ", ".join(q(c) for c in chosen)
    values = ", ".join(f"{e} AS {q(c)}" for c, e in chosen.items())
    client.con.execute(f"INSERT INTO events ({columns}) SELECT {values} FROM email WHERE {where}")
    client.row_counts["events"] += added
    message = (
        f"events: {added:,} e-mail clicks of recipients (email.user_id) added as "
        f"`{EMAIL_CLICK}` events (channel 'email'), dated by "
        f"{'clicked_at (sent_at where empty)' if 'COALESCE' in time else 'sent_at'}; they count "
        "in funnels and as account touchpoints."
    )
    return [Problem("events", "events", "event", "email_events", "note", added, message=message)]
