"""Customer lifetime value: the CLV estimate and the historical CLV curve by month.

CLV is purchases per year × average order value × lifetime in years (× gross margin), from the
window's orders, i.e. the gross margin per buyer in the period × the expected lifetime in
periods. The lifetime is ``metrics.customer_lifetime_years`` or ``1 / churn`` periods with churn
the observed share of the previous period's customers who did not come back (no floor: 2%
retention gives just over one period, not a year; see
:func:`funnelkit.metrics.channels.lifetime_assumption`). The historical curve is the cumulative
**revenue** per customer by months since the first purchase (no margin applied, so it can be
read against the order values). :func:`order_summary` and :func:`attributed_table` are shared
with the cost metrics of :mod:`funnelkit.metrics.value`, which re-exports both ``compute_*``
functions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from ..data.validate import q
from . import memo
from .base import Window, check_group, empty_frame, ratio_frame, ts
from .channels import (
    MONTH_DAYS,
    YEAR_DAYS,
    attributed_orders,
    clv_factors,
    lifetime_assumption,
    margin,
)
from .sales import add_note, require_group

if TYPE_CHECKING:
    from ..data.loader import Client

__all__ = ["compute_clv", "compute_historical_clv"]

#: The groupings the money metrics offer (by attributed acquisition channel).
GROUPS = ("channel",)


def attributed_table(client: Client) -> str:
    """The attributed orders (computed once per client) as a table expression named ``a``."""
    return f"{memo.temp_table(client, attributed_orders(client), prefix='fk_attributed')} AS a"


def order_summary(client: Client, window: Window, by: str | None) -> pd.DataFrame:
    """Orders, buyers and revenue in the window (per attributed channel when grouped)."""
    source = attributed_table(client) if by else "orders"
    key, group = ("channel, ", " GROUP BY 1 ORDER BY 1") if by else ("", "")
    return client.sql(
        f"SELECT {key}count(*) AS orders, count(DISTINCT customer_id) AS customers, "
        f"COALESCE(sum(revenue), 0) AS revenue FROM {source} "
        f"WHERE {window.sql(q('timestamp'))}{group}"
    )


def compute_clv(client: Client, window: Window, by: str | None = None) -> pd.DataFrame:
    """Customer lifetime value: purchases per year × AOV × lifetime in years (× margin).

    ``numerator`` = revenue × margin × 365.25 / days × lifetime years (the window's gross
    margin stretched over the expected lifetime), ``denominator`` = buyers; extra columns hold
    the three factors ``purchases_per_year``, ``average_order_value`` and ``lifetime_years``,
    and ``margin_per_customer`` (gross margin per buyer in the window), ``lifetime_months``,
    ``retention`` and ``churn`` per period (NaN when the lifetime is configured).

    Examples
    --------
    >>> from funnelkit import load_client
    >>> from funnelkit.metrics.base import window
    >>> client = load_client(emit_warnings=False)
    >>> row = compute_clv(client, window(client)).iloc[0]
    >>> factors = ["purchases_per_year", "average_order_value", "lifetime_years", "value"]
    >>> row[factors].astype(float).round(2).tolist()
    [8.46, 69.23, 0.13, 33.28]
    >>> row["note"]  # doctest: +NORMALIZE_WHITESPACE
    'gross margin 45% applied; lifetime = 1 / churn per 45-day period = 1 / 97.6% = 1.02
    periods = 1.5 months (retention 2.4% per period)'
    """
    require_group(client, "clv", by, "orders", GROUPS)
    share, margin_note = margin(client)
    assumption = lifetime_assumption(client, window)
    life, life_note = assumption["years"], assumption["note"]
    summary = order_summary(client, window, by)
    if summary.empty:
        return empty_frame("clv", by)
    factors = clv_factors(summary, window=window, margin_share=share, lifetime=life)
    summary["numerator"] = summary["revenue"] * share * YEAR_DAYS / window.days * life
    summary["denominator"] = summary["customers"]
    summary = summary.drop(columns=["orders", "customers", "revenue"])
    rows = ratio_frame("clv", summary, by=by, zero="no buyers in the period")
    for column in ("purchases_per_year", "average_order_value", "lifetime_years"):
        rows[column] = factors[column].to_numpy()
    rows["margin_per_customer"] = factors["margin_per_customer"].to_numpy()
    rows["lifetime_months"] = assumption["months"]
    rows["retention"], rows["churn"] = assumption["retention"], assumption["churn"]
    return add_note(add_note(rows, True, margin_note), True, life_note)


def compute_historical_clv(client: Client, window: Window, by: str | None = None) -> pd.DataFrame:
    """Cumulative revenue per customer by months since the first purchase (a curve).

    Customers whose first-ever order is before the window end form the cohort; a month is
    30.4375 days. Month ``m`` counts revenue of orders before first order + (m + 1) months and
    only customers observed that long (first order + (m + 1) months <= window end). One row
    per ``months_since_first``; ``numerator`` = cumulative revenue (revenue, not gross margin:
    ``metrics.gross_margin`` is not applied, the note says so), ``denominator`` = customers
    observed.

    Examples
    --------
    >>> from funnelkit import load_client
    >>> from funnelkit.metrics.base import window
    >>> client = load_client(emit_warnings=False)
    >>> curve = compute_historical_clv(client, window(client))
    >>> curve[["months_since_first", "value", "denominator"]].round(2)
       months_since_first  value  denominator
    0                   0  74.32       1463.0
    1                   1  76.90        613.0
    """
    check_group("historical_clv", by, ())
    share, _ = margin(client)
    note = (
        "on revenue (before the gross margin)"
        if share == 1.0
        else f"on revenue: the gross margin ({share:.0%}) is not applied to this curve"
    )
    month = MONTH_DAYS * 86400
    end = ts(window.end)
    counts = client.sql(f"""
        WITH c AS (
            SELECT customer_id, min({q("timestamp")}) AS first_at,
                   CAST(floor((epoch({end}) - epoch(min({q("timestamp")}))) / {month})
                        AS BIGINT) AS observed
            FROM orders GROUP BY 1 HAVING min({q("timestamp")}) < {end}),
        o AS (
            SELECT o.customer_id, o.revenue,
                   floor((epoch(o.{q("timestamp")}) - epoch(c.first_at)) / {month}) AS k
            FROM orders AS o JOIN c ON c.customer_id = o.customer_id
            WHERE o.{q("timestamp")} < {end}),
        months AS (SELECT unnest(generate_series(0, (SELECT COALESCE(max(observed), 0)
                                                     FROM c))) AS m),
        seen AS (SELECT c.customer_id, months.m FROM c JOIN months ON months.m < c.observed)
        SELECT seen.m AS months_since_first, count(DISTINCT seen.customer_id) AS denominator,
               COALESCE(sum(o.revenue), 0) AS revenue
        FROM seen LEFT JOIN o ON o.customer_id = seen.customer_id AND o.k <= seen.m
        GROUP BY 1 ORDER BY 1""")
    if counts.empty:
        counts = pd.DataFrame({"months_since_first": [0], "denominator": [0], "revenue": [0.0]})
    counts["numerator"] = counts["revenue"]
    counts["months_since_first"] = counts["months_since_first"].astype(int)
    rows = ratio_frame(
        "historical_clv",
        counts.drop(columns="revenue"),
        zero="no customer observed for a full month since the first order",
    )
    return add_note(rows, True, note)
