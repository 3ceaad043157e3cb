"""Channel economics: spend, customers, revenue, CAC, ROMI and CLV per acquisition channel.

Orders and customers are credited to channels by one of two rules (``metrics.attribution`` in
``client.yaml``); :func:`attributed_orders` is the only implementation of them, so CAC and ROMI
by channel in :mod:`funnelkit.metrics.value` and the channel table here always agree.

Attribution rules
-----------------
A *touch* is an event (``events`` table, all history, not only the analysis window) whose
``channel`` is not empty; the customer is matched through ``orders.customer_id =
events.user_id``.

``first_touch``
    A customer's channel is the channel of their earliest touch. A customer without any touch
    gets the ``channel`` of their first order (``orders.channel``, when the orders table has
    it), else ``(unknown)``. All of the customer's orders, and the customer, are credited to
    that one channel.
``last_touch``
    Each order is credited to the channel of the customer's latest touch at or before the
    order time; without one, to the order's own ``orders.channel``, else ``(unknown)``. A new
    customer is credited to the channel their first order was credited to.

Ties (two touches of a customer in the same second) go to the alphabetically first channel,
under both rules, so the result never depends on row order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..core.errors import ParameterError
from ..data.validate import q
from . import memo
from .base import Window, label_sql, text_sql, window as client_window
from .sales import UNKNOWN, compute_retention_rate, join_notes

if TYPE_CHECKING:
    from ..data.loader import Client

__all__ = [
    "ATTRIBUTIONS",
    "attributed_orders",
    "channel_economics",
    "clv_factors",
    "lifetime_assumption",
    "lifetime_years",
    "margin",
]

ATTRIBUTIONS = ("first_touch", "last_touch")
YEAR_DAYS = 365.25
MONTH_DAYS = YEAR_DAYS / 12  # 30.4375


def check_attribution(client: Client, attribution: str | None) -> str:
    """The attribution to use: the given one, else the client's ``metrics.attribution``."""
    chosen = client.config.metrics.attribution if attribution is None else attribution
    if chosen not in ATTRIBUTIONS:
        raise ParameterError(
            f"The value for `attribution` must be one of {list(ATTRIBUTIONS)}, but {chosen!r} "
            "was passed."
        )
    return chosen


def attributed_orders(client: Client, *, attribution: str | None = None) -> str:
    """SQL selecting every order (all history) with the channel it is credited to.

    The rules are those of the module docstring. Use the result as a subquery:
    ``f"SELECT … FROM ({attributed_orders(client)}) AS a"``.

    Parameters
    ----------
    client
        A loaded client with an ``orders`` table (``events.channel`` is used when present).
    attribution
        ``"first_touch"`` or ``"last_touch"``; ``None`` takes ``metrics.attribution``.

    Returns
    -------
    str
        A query with one row per order and the columns ``order_id``, ``customer_id``,
        ``timestamp``, ``revenue``, ``channel`` (the order's credited channel),
        ``customer_channel`` (the channel the customer is credited to as a new customer) and
        ``first_order_at`` (the customer's first-ever order time).

    Raises
    ------
    ParameterError
        An unknown attribution.

    Examples
    --------
    >>> from funnelkit import load_client
    >>> client = load_client(emit_warnings=False)
    >>> sql = attributed_orders(client, attribution="last_touch")
    >>> int(client.sql(f"SELECT count(*) AS n FROM ({sql}) AS a").n[0])
    2589
    """
    attribution = check_attribution(client, attribution)
    order_channel = (
        text_sql("o.channel") if client.has("orders", "channel") else "CAST(NULL AS VARCHAR)"
    )
    if client.has("events", "channel"):
        touches = (
            f"SELECT user_id, {q('timestamp')} AS touched_at, {text_sql('channel')} AS channel "
            f"FROM events WHERE {text_sql('channel')} IS NOT NULL "
            "AND user_id IN (SELECT customer_id FROM orders)"
        )
    else:  # no touches: every customer falls back to orders.channel
        touches = (
            "SELECT CAST(NULL AS VARCHAR) AS user_id, CAST(NULL AS TIMESTAMP) AS touched_at, "
            "CAST(NULL AS VARCHAR) AS channel WHERE FALSE"
        )
    ranked = (
        f"SELECT o.order_id, o.customer_id, o.{q('timestamp')} AS {q('timestamp')}, o.revenue, "
        f"{order_channel} AS order_channel, "
        f"min(o.{q('timestamp')}) OVER (PARTITION BY o.customer_id) AS first_order_at, "
        "row_number() OVER (PARTITION BY o.customer_id "
        f"ORDER BY o.{q('timestamp')}, o.order_id) AS order_rank FROM orders AS o"
    )
    if attribution == "first_touch":
        return f"""
        WITH touches AS ({touches}), ranked AS ({ranked}),
        first_touch AS (
            SELECT user_id, channel FROM (
                SELECT user_id, channel, row_number() OVER (
                    PARTITION BY user_id ORDER BY touched_at, channel) AS r
                FROM touches) AS t
            WHERE r = 1),
        customer AS (
            SELECT r.customer_id, COALESCE(f.channel, r.order_channel, '{UNKNOWN}') AS channel
            FROM ranked AS r LEFT JOIN first_touch AS f ON f.user_id = r.customer_id
            WHERE r.order_rank = 1)
        SELECT r.order_id, r.customer_id, r.{q("timestamp")}, r.revenue, c.channel,
               c.channel AS customer_channel, r.first_order_at
        FROM ranked AS r JOIN customer AS c ON c.customer_id = r.customer_id
        """
    return f"""
    WITH touches AS ({touches}), ranked AS ({ranked}),
    credited AS (
        SELECT r.order_id, r.customer_id, r.{q("timestamp")}, r.revenue, r.first_order_at,
               r.order_rank, COALESCE(t.channel, r.order_channel, '{UNKNOWN}') AS channel
        FROM ranked AS r ASOF LEFT JOIN (
            SELECT user_id, touched_at, min(channel) AS channel FROM touches
            GROUP BY user_id, touched_at) AS t
          ON r.customer_id = t.user_id AND r.{q("timestamp")} >= t.touched_at)
    SELECT order_id, customer_id, {q("timestamp")}, revenue, channel,
           first_value(channel) OVER (
               PARTITION BY customer_id ORDER BY order_rank) AS customer_channel,
           first_order_at
    FROM credited
    """


def margin(client: Client) -> tuple[float, str]:
    """The gross margin share to apply (1 when not set) and the note saying which."""
    share = client.config.metrics.gross_margin
    if share is None:
        return 1.0, "on revenue: no gross_margin set"
    return float(share), f"gross margin {share:.0%} applied"


def lifetime_assumption(client: Client, window: Window) -> dict[str, Any]:
    """The expected customer lifetime CLV uses, with every number of its derivation.

    ``metrics.customer_lifetime_years`` when set (``source="configured"``); else estimated
    from the observed retention with no floor (``source="retention"``): a customer of one
    period comes back in the next with the probability ``retention`` (the share of the
    previous equal-length period's customers who ordered again in this one, see
    :func:`~funnelkit.metrics.sales.compute_retention_rate`), so the number of periods a
    customer stays is geometric and its mean is ``1 / churn`` with ``churn = 1 − retention``.
    The lifetime is that many periods of ``window.days`` days; with 2% retention it is just over
    one period, whatever the period's length (a month, 45 days, a year).

    Returns
    -------
    dict
        ``source`` ("configured", "retention" or None when not estimated), ``retention``,
        ``churn`` (per period), ``period_days``, ``periods`` (expected lifetime in periods),
        ``years``, ``months`` (lifetime; NaN when not estimated) and ``note`` (English).

    Examples
    --------
    >>> from funnelkit import load_client
    >>> client = load_client(emit_warnings=False)
    >>> life = lifetime_assumption(client, client_window(client))
    >>> round(life["churn"], 4), round(life["periods"], 3), round(life["months"], 2)
    (0.9758, 1.025, 1.52)
    """
    configured = client.config.metrics.customer_lifetime_years
    found: dict[str, Any] = {
        "source": None, "retention": np.nan, "churn": np.nan, "period_days": float(window.days),
        "periods": np.nan, "years": np.nan, "months": np.nan,
    }  # fmt: skip
    if configured is not None:
        years = float(configured)
        found.update(
            source="configured",
            years=years,
            months=years * 12,
            periods=years * YEAR_DAYS / window.days,
            note=f"lifetime {configured:g} years from customer_lifetime_years",
        )
        return found
    retention = compute_retention_rate(client, window)
    rate = float(retention["value"].iloc[0])
    found["retention"] = rate
    if np.isnan(rate):
        found["note"] = (
            "lifetime not estimated: no customers in the period before; "
            "set metrics.customer_lifetime_years"
        )
        return found
    churn = 1.0 - rate
    found["churn"] = churn
    if churn <= 0:
        found["note"] = (
            "lifetime not estimated: no customer churned (retention 100%); "
            "set metrics.customer_lifetime_years"
        )
        return found
    periods = 1.0 / churn
    years = periods * window.days / YEAR_DAYS
    found.update(source="retention", periods=periods, years=years, months=years * 12)
    found["note"] = (
        f"lifetime = 1 / churn per {window.days:g}-day period = 1 / {churn:.1%} = "
        f"{periods:.2f} periods = {years * 12:.1f} months (retention {rate:.1%} per period)"
    )
    return found


def lifetime_years(client: Client, window: Window) -> tuple[float, str]:
    """Expected relationship length in years, and how it was obtained (no one-year floor).

    ``metrics.customer_lifetime_years`` when set; else ``1 / churn`` periods of the window's
    length, churn = 1 − retention per period (see :func:`lifetime_assumption`).
    """
    found = lifetime_assumption(client, window)
    return found["years"], found["note"]


def clv_factors(
    summary: pd.DataFrame, *, window: Window, margin_share: float, lifetime: float
) -> pd.DataFrame:
    """CLV and its factors from ``orders``, ``customers`` and ``revenue`` columns.

    purchases_per_year = orders / customers × 365.25 / days; average_order_value = revenue /
    orders; clv = purchases_per_year × average_order_value × lifetime × margin. Also
    ``revenue_per_customer`` (revenue / customers in the window) and
    ``margin_per_customer`` (the same × margin: gross margin, not revenue). Zero counts give
    NaN.
    """
    orders = summary["orders"].astype(float).where(summary["orders"] > 0)
    customers = summary["customers"].astype(float).where(summary["customers"] > 0)
    out = pd.DataFrame(index=summary.index)
    out["purchases_per_year"] = orders / customers * YEAR_DAYS / window.days
    out["average_order_value"] = summary["revenue"].astype(float) / orders
    out["lifetime_years"] = lifetime
    out["clv"] = out["purchases_per_year"] * out["average_order_value"] * lifetime * margin_share
    out["revenue_per_customer"] = summary["revenue"].astype(float) / customers
    out["margin_per_customer"] = out["revenue_per_customer"] * margin_share
    return out


def spend_window_sql(window: Window) -> str:
    """SQL condition: the spend row's day falls in the window."""
    return window.sql(f"CAST({q('date')} AS TIMESTAMP)")


_UNMATCHED = ("no event, order or lead carries this channel name, so what it brought back is "
              "unknown (not zero): name it the same way in spend and in the events")  # fmt: skip


def known_channels(client: Client) -> frozenset[str]:
    """Every channel name events, orders and leads carry (any date), written as spend's are.

    >>> from funnelkit import load_client
    >>> "paid_search" in known_channels(load_client(emit_warnings=False))
    True
    """
    tables = [t for t in ("events", "orders", "leads") if client.has(t, "channel")]
    query = " UNION ".join(f"SELECT {label_sql('channel')} AS c FROM {t}" for t in tables)
    if not tables:
        return frozenset()
    return memo.remember(  # once per connection: a full scan of the events
        client, "known_channels", lambda: frozenset(map(str, client.sql(query)["c"]))
    )


def channel_economics(
    client: Client, window: Window | None = None, *, attribution: str | None = None
) -> pd.DataFrame:
    """Turn spend and orders into one row of unit economics per acquisition channel.

    Channels are the union of the channels with spend in the window and the channels orders
    are credited to (see the module docstring for the rules). ``revenue`` and ``orders`` count
    the window's orders, ``customers`` the distinct customers among them, ``new_customers``
    those whose first-ever order is in the window. ``cac = spend / new_customers``,
    ``romi = (revenue × margin − spend) / spend``, ``clv`` the formula of
    :func:`funnelkit.metrics.value.compute_clv` with the channel's own orders, buyers and
    average order value and the overall lifetime, ``ltv_cac = clv / cac``.

    Parameters
    ----------
    client
        A loaded client with ``orders`` and ``spend`` tables.
    window
        The period; ``None`` is the client's analysis period.
    attribution
        ``"first_touch"`` or ``"last_touch"``; ``None`` takes ``metrics.attribution``.

    Returns
    -------
    DataFrame
        One row per channel, by descending spend: ``channel``, ``attribution``, ``spend``,
        ``new_customers``, ``customers``, ``orders``, ``revenue``, ``cac``, ``romi``, ``clv``,
        ``ltv_cac``, ``note`` (why a value is missing, whether a margin was applied), then
        ``payback_months`` (CAC / (CLV / lifetime in months)), ``margin_per_customer`` (gross
        margin per buyer in the period: revenue × margin / customers) and
        ``lifetime_months`` (the expected lifetime CLV uses, the same for every channel).

    Raises
    ------
    ParameterError
        An unknown attribution.

    Examples
    --------
    >>> from funnelkit import load_client
    >>> table = channel_economics(load_client(emit_warnings=False))
    >>> columns = ["channel", "spend", "new_customers", "cac", "romi"]
    >>> print(table[columns].round(2).to_string(index=False))
           channel   spend  new_customers   cac  romi
       paid_search 6907.28            481 14.36  1.49
       paid_social 3874.40            138 28.08 -0.15
           display 1921.76             44 43.68 -0.53
         affiliate 1450.64            147  9.87  2.05
             email    0.00            255   NaN   NaN
    organic_search    0.00            395   NaN   NaN
    """
    attribution = check_attribution(client, attribution)
    window = client_window(client) if window is None else window
    in_window = window.sql(q("timestamp"))
    sql = attributed_orders(client, attribution=attribution)
    attributed = memo.temp_table(client, sql, prefix="fk_attributed")
    frame = client.sql(f"""
        WITH a AS (SELECT * FROM {attributed}),
        s AS (SELECT {label_sql("channel")} AS channel, sum(cost) AS spend FROM spend
              WHERE {spend_window_sql(window)} GROUP BY 1),
        o AS (SELECT channel, count(*) AS orders, count(DISTINCT customer_id) AS customers,
                     sum(revenue) AS revenue FROM a WHERE {in_window} GROUP BY 1),
        n AS (SELECT customer_channel AS channel, count(DISTINCT customer_id) AS new_customers
              FROM a WHERE {window.sql("first_order_at")} GROUP BY 1),
        ch AS (SELECT channel FROM s UNION SELECT channel FROM o UNION SELECT channel FROM n)
        SELECT ch.channel, COALESCE(s.spend, 0) AS spend,
               COALESCE(n.new_customers, 0) AS new_customers,
               COALESCE(o.customers, 0) AS customers, COALESCE(o.orders, 0) AS orders,
               COALESCE(o.revenue, 0) AS revenue
        FROM ch LEFT JOIN s ON s.channel = ch.channel LEFT JOIN o ON o.channel = ch.channel
             LEFT JOIN n ON n.channel = ch.channel
        ORDER BY spend DESC, ch.channel
    """)
    frame.insert(1, "attribution", attribution)
    for column in ("spend", "revenue"):
        frame[column] = frame[column].astype(float)
    for column in ("new_customers", "customers", "orders"):
        frame[column] = frame[column].astype(int)
    share, margin_note = margin(client)
    life, life_note = lifetime_years(client, window)
    spend = frame["spend"].where(frame["spend"] > 0)
    new = frame["new_customers"].where(frame["new_customers"] > 0)
    frame["cac"] = spend / new
    frame["romi"] = (frame["revenue"] * share - spend) / spend
    factors = clv_factors(frame, window=window, margin_share=share, lifetime=life)
    frame["clv"] = factors["clv"]
    frame["ltv_cac"] = frame["clv"] / frame["cac"]
    # The same arithmetic as compute_payback_months: CAC over the monthly gross margin the
    # CLV assumes (CLV / lifetime in months), so payback = lifetime months / LTV:CAC.
    monthly = factors["margin_per_customer"] * MONTH_DAYS / window.days
    frame["payback_months"] = frame["cac"] / monthly
    frame["margin_per_customer"] = factors["margin_per_customer"]
    frame["lifetime_months"] = life * 12
    has_spend = (frame["spend"] > 0).to_numpy()
    unmatched = has_spend & ~frame["channel"].isin(known_channels(client)).to_numpy()
    for column in ("cac", "romi", "clv", "ltv_cac", "payback_months"):
        frame.loc[unmatched, column] = np.nan  # not "pays nothing back": the names differ
    frame["note"] = join_notes(
        np.where(unmatched, _UNMATCHED, ""),
        np.where(has_spend, "", "no spend recorded"),
        np.where(has_spend & (frame["new_customers"] == 0).to_numpy(), "no new customers", ""),
        np.where(frame["customers"] == 0, "no orders in the period", ""),
        [margin_note] * len(frame),
        [life_note] * len(frame),
    )
    return frame.reset_index(drop=True)
