"""One row per account for a window: touchpoints, engagement, opportunities, deals, revenue.

Every account metric (:mod:`funnelkit.metrics.accounts`) and the account funnel
(:mod:`funnelkit.funnel.accounts`) read this frame, so they count the same things the same way.
Definitions (all in the client's wall-clock time, the window ``[start, end)``):

- **target**: the account is on the target list (``accounts.target``; every account when the
  export has no such column).
- **touchpoint**: an event of one of the account's contacts (``events.account_id``) in the window
  whose weight is above 0. The weight of an event is that of the first pattern of
  ``accounts.weights`` it matches (see :data:`funnelkit.data.sections.DEFAULT_TOUCHPOINT_WEIGHTS`),
  else ``accounts.other_events_weight``; the non-interaction events
  (``metrics.non_interaction_events``, e.g. ``session_start``) weigh 0. **engagement score** = the
  sum of the weights; **engaged** = at least ``accounts.engaged_touchpoints`` touchpoints.
- **contacts**: the distinct visitors (``events.user_id``) and CRM leads with the account's id,
  seen before the window's end (a contact known since earlier still counts).
- **opportunity**: a lead of the account reached SQL (``sql_at``; ``mql_at`` with
  ``accounts.opportunity: mql``) in the window; **won**: a lead of the account was won
  (``won_at``) in the window. ``pipeline_value`` sums ``value`` over the window's opportunities,
  ``won_value`` over its won deals.
- **revenue**: the orders with the account's id placed in the window; when orders carry no
  ``account_id``, the value of the deals won in the window.
- **customer**: an account with revenue in the window (``customer``), or in the equal window
  before (``customer_before``); **new customer**: its first-ever order or won deal is in the window.
- **channel**: the channel of the account's first touch up to the window's end: its earliest
  lead or event with a channel (first-touch attribution, stated wherever a metric is split by it).
- **cycle_days**: days from the account's first touch (first event or lead, ever) to its first
  deal won in the window.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..core.patterns import sql_match
from ..data.validate import q
from . import memo
from .base import NONE, Window, empty_frame, text_sql, ts

if TYPE_CHECKING:
    from ..data.loader import Client

__all__ = ["ACCOUNT_COLUMNS", "ACCOUNT_GROUPS", "account_frame", "grouped", "missing_note",
           "opportunity_column", "touchpoint_weight_sql", "unavailable"]  # fmt: skip

#: The groupings account metrics offer (``tier``, ``industry`` and ``owner`` from the accounts
#: file; ``channel`` by first touch; ``target`` splits the target list from the other accounts).
ACCOUNT_GROUPS = ("tier", "industry", "owner", "channel", "target_list")

ACCOUNT_COLUMNS = [
    "account_id", "name", "target", "tier", "industry", "owner", "channel", "target_list",
    "contacts", "touchpoints", "score", "engaged", "opportunities", "opportunity",
    "pipeline_value", "unvalued_opportunities", "won_deals", "won", "won_value", "revenue",
    "orders", "customer", "customer_before", "new_customer", "first_touch_at", "first_won_at",
    "cycle_days",
]  # fmt: skip


def touchpoint_weight_sql(client: Client, event: str = "event") -> str:
    """SQL giving an event's weight in the engagement score (0: not a touchpoint).

    Examples
    --------
    >>> from funnelkit import load_client
    >>> sql = touchpoint_weight_sql(load_client(emit_warnings=False))
    >>> sql.startswith("CASE WHEN event IN ('session_start') THEN 0.0")
    True
    """
    settings = client.config.accounts
    quiet = client.config.metrics.non_interaction_events
    cases = []
    if quiet:
        names = ", ".join("'" + e.replace("'", "''") + "'" for e in quiet)
        cases.append(f"WHEN {event} IN ({names}) THEN 0.0")
    cases += [f"WHEN {sql_match(event, p)} THEN {float(w)!r}" for p, w in settings.weights.items()]
    return f"CASE {' '.join(cases)} ELSE {float(settings.other_events_weight)!r} END"


def opportunity_column(client: Client) -> str | None:
    """The leads column that makes an opportunity (``sql_at`` or ``mql_at``), if the CRM has it."""
    column = f"{client.config.accounts.opportunity}_at"
    return column if client.has("leads", column) else None


def _has(client: Client, table: str) -> bool:
    return client.has(table, "account_id")


def _touch_sql(client: Client, window: Window) -> str:
    if not _has(client, "events"):
        return "SELECT NULL::VARCHAR AS account_id, 0 AS touchpoints, 0.0 AS score WHERE FALSE"
    weight = touchpoint_weight_sql(client)
    return (
        f"SELECT account_id, count_if(w > 0) AS touchpoints, sum(w) AS score FROM ("
        f"SELECT account_id, {weight} AS w FROM events WHERE account_id IS NOT NULL AND "
        f"{window.sql(q('timestamp'))}) GROUP BY 1"
    )


def _firsts_sql(client: Client, window: Window) -> str:
    """Per account: known contacts, first touch and its channel, up to the window's end."""
    parts = []
    end = ts(window.end)
    if _has(client, "events"):
        channel = text_sql("channel") if client.has("events", "channel") else "NULL"
        parts.append(
            f"SELECT account_id, 'u' || user_id AS contact, {q('timestamp')} AS touched, "
            f"{channel} AS channel FROM events WHERE account_id IS NOT NULL AND "
            f"{q('timestamp')} < {end}"
        )
    if _has(client, "leads"):
        parts.append(
            f"SELECT account_id, 'l' || lead_id AS contact, created_at AS touched, "
            f"{text_sql('channel')} AS channel FROM leads "
            f"WHERE account_id IS NOT NULL AND created_at < {end}"
        )
    if not parts:
        return (
            "SELECT NULL::VARCHAR AS account_id, 0 AS contacts, NULL::TIMESTAMP AS first_touch_at,"
            " NULL::VARCHAR AS channel WHERE FALSE"
        )
    return (
        "SELECT account_id, count(DISTINCT contact) AS contacts, min(touched) AS first_touch_at, "
        "arg_min(channel, touched) FILTER (WHERE channel IS NOT NULL) AS channel FROM ("
        + " UNION ALL ".join(parts)
        + ") GROUP BY 1"
    )


def _deals_sql(client: Client, window: Window) -> str:
    """Per account: the window's opportunities, won deals, their values, and the first win ever."""
    if not _has(client, "leads"):
        return "SELECT NULL::VARCHAR AS account_id WHERE FALSE"
    opp = opportunity_column(client)
    has_won = client.has("leads", "won_at")
    value = "value" if client.has("leads", "value") else "NULL::DOUBLE"
    in_opp = window.sql(opp) if opp else "FALSE"
    in_won = window.sql("won_at") if has_won else "FALSE"
    won_at = "won_at" if has_won else "NULL::TIMESTAMP"
    return (
        f"SELECT account_id, count_if({in_opp}) AS opportunities, "
        f"sum({value}) FILTER (WHERE {in_opp}) AS pipeline_value, "
        f"count_if({in_opp} AND {value} IS NULL) AS unvalued_opportunities, "
        f"count_if({in_won}) AS won_deals, sum({value}) FILTER (WHERE {in_won}) AS won_value, "
        f"min({won_at}) FILTER (WHERE {in_won}) AS first_won_at, "
        f"min({won_at}) AS first_win_ever, "
        f"bool_or({window.previous().sql(won_at)}) AS won_before "
        "FROM leads WHERE account_id IS NOT NULL GROUP BY 1"
    )


def _orders_sql(client: Client, window: Window) -> str:
    if not _has(client, "orders"):
        return "SELECT NULL::VARCHAR AS account_id WHERE FALSE"
    at = q("timestamp")
    return (
        f"SELECT account_id, count_if({window.sql(at)}) AS orders, "
        f"sum(revenue) FILTER (WHERE {window.sql(at)}) AS order_revenue, "
        f"bool_or({window.previous().sql(at)}) AS ordered_before, min({at}) AS first_order_ever "
        "FROM orders WHERE account_id IS NOT NULL GROUP BY 1"
    )


def _compute(client: Client, window: Window) -> pd.DataFrame:
    def column(name: str) -> str:
        return text_sql(f"a.{name}") if client.has("accounts", name) else "NULL::VARCHAR"

    target = "COALESCE(a.target, FALSE)" if client.has("accounts", "target") else "TRUE"
    frame = client.sql(
        f"WITH t AS ({_touch_sql(client, window)}), f AS ({_firsts_sql(client, window)}), "
        f"d AS ({_deals_sql(client, window)}), o AS ({_orders_sql(client, window)}) "
        f"SELECT a.account_id, a.name, {target} AS target, {column('tier')} AS tier, "
        f"{column('industry')} AS industry, {column('owner')} AS owner, f.channel, "
        "COALESCE(f.contacts, 0) AS contacts, COALESCE(t.touchpoints, 0) AS touchpoints, "
        "COALESCE(t.score, 0) AS score, f.first_touch_at, d.* EXCLUDE (account_id), "
        "o.* EXCLUDE (account_id) FROM accounts a LEFT JOIN t USING (account_id) "
        "LEFT JOIN f USING (account_id) LEFT JOIN d USING (account_id) "
        "LEFT JOIN o USING (account_id) ORDER BY a.account_id"
    )
    return _derive(client, frame, window)


def _series(frame: pd.DataFrame, name: str, default: object) -> pd.Series:
    return frame[name] if name in frame else pd.Series(default, index=frame.index)


def _derive(client: Client, frame: pd.DataFrame, window: Window) -> pd.DataFrame:
    """Flags and the columns of :data:`ACCOUNT_COLUMNS` from the joined per-account counts."""
    counted = ("opportunities", "unvalued_opportunities", "won_deals", "orders")
    count = {c: _series(frame, c, 0).fillna(0).astype(int) for c in counted}
    frame = frame.assign(**count)
    frame["target"] = frame["target"].astype(bool)
    frame["target_list"] = np.where(frame["target"], "target", "other")
    for name in ("tier", "industry", "owner", "channel"):
        frame[name] = frame[name].fillna(NONE)
    frame["touchpoints"] = frame["touchpoints"].astype(int)
    frame["contacts"] = frame["contacts"].astype(int)
    frame["score"] = frame["score"].astype(float)
    frame["engaged"] = frame["touchpoints"] >= client.config.accounts.engaged_touchpoints
    frame["won"] = frame["won_deals"] > 0
    frame["opportunity"] = (frame["opportunities"] > 0) | frame["won"]
    for name in ("pipeline_value", "won_value", "order_revenue"):
        frame[name] = _series(frame, name, np.nan).astype(float)
    by_orders = _has(client, "orders")
    frame["revenue"] = (frame["order_revenue"] if by_orders else frame["won_value"]).fillna(0.0)
    frame["customer"] = frame["orders"] > 0 if by_orders else frame["won"]
    before = _series(frame, "ordered_before" if by_orders else "won_before", False)
    frame["customer_before"] = before.fillna(False).astype(bool)
    first = _series(frame, "first_order_ever" if by_orders else "first_win_ever", pd.NaT)
    first = pd.to_datetime(first)
    frame["new_customer"] = (first >= window.start) & (first < window.end)
    for name in ("first_touch_at", "first_won_at"):
        frame[name] = pd.to_datetime(_series(frame, name, pd.NaT))
    cycle = (frame["first_won_at"] - frame["first_touch_at"]) / pd.Timedelta(days=1)
    frame["cycle_days"] = cycle.where(cycle >= 0)
    return frame[ACCOUNT_COLUMNS].reset_index(drop=True)


def account_frame(client: Client, window: Window) -> pd.DataFrame:
    """One row per account of the accounts table for ``window`` (see the module docstring).

    Parameters
    ----------
    client : funnelkit.data.loader.Client
        A client with an ``accounts`` table.
    window : Window
        The period the touchpoints, opportunities, won deals and revenue are counted in.

    Returns
    -------
    pandas.DataFrame
        :data:`ACCOUNT_COLUMNS`, one row per account in ``account_id`` order; computed once per
        client and window.

    Examples
    --------
    >>> from funnelkit import load_client
    >>> from funnelkit.metrics.base import window
    >>> client = load_client(emit_warnings=False)
    >>> frame = account_frame(client, window(client))
    >>> bool((frame["won"] <= frame["opportunity"]).all())
    True
    """
    key = ("accounts", window.start, window.end)
    return memo.remember(client, key, lambda: _compute(client, window)).copy()


# -- what every account metric does with the frame ---------------------------------------------


def missing_note(client: Client, *needs: tuple[str, str]) -> str:
    """The first of ``(table, column)`` the client lacks, as a note ('' when all are there)."""
    for table, column in needs:
        if not client.has(table, column):
            return f"no {table}.{column} in the export"
    return ""


def unavailable(metric: str, by: str | None, note: str) -> pd.DataFrame:
    """One result row with no value and ``note`` saying what is missing (never a zero)."""
    frame = empty_frame(metric, by)
    row = {c: np.nan for c in frame.columns} | {"metric": metric, "note": note}
    if by:
        row[by] = "(all)"
    return pd.concat([frame, pd.DataFrame([row])], ignore_index=True)


def grouped(
    frame: pd.DataFrame, by: str | None, columns: dict[str, Callable[[pd.DataFrame], float]]
) -> pd.DataFrame:
    """Aggregate ``frame`` (per group of ``by``, or whole) into one row per group."""
    groups = frame.groupby(by, sort=True) if by else [(None, frame)]
    rows = []
    for key, part in groups:
        row = {name: fn(part) for name, fn in columns.items()}
        if by:
            row = {by: key} | row
        rows.append(row)
    if not rows and by is None:
        rows = [{name: fn(frame) for name, fn in columns.items()}]
    return pd.DataFrame(rows, columns=([by] if by else []) + list(columns))
