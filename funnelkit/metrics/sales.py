"""Purchase and retention metrics: orders, buyers, conversion, revenue, AOV, repeat, retention.

Each compute function turns the canonical ``orders`` (and ``events``) tables into one tidy row
per group (see :mod:`funnelkit.metrics.base`); all counting is done in SQL. An order belongs to
the window its ``timestamp`` falls in; a *buyer* is a distinct ``customer_id`` with an order in
the window.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd

from ..core.errors import ParameterError
from ..data.validate import q
from .base import (
    Metric,
    Window,
    check_group,
    count_frame,
    empty_frame,
    label_sql,
    mean_frame,
    proportion_frame,
    ts,
)
from .shared import bought_flag
from .traffic import VISITOR_GROUPS, visitor_counts  # one definition of a visitor

if TYPE_CHECKING:
    from ..data.loader import Client

__all__ = [
    "METRICS",
    "compute_aov",
    "compute_buyers",
    "compute_churn_rate",
    "compute_conversion_rate",
    "compute_orders",
    "compute_repeat_purchase_rate",
    "compute_retention_rate",
    "compute_revenue",
]

UNKNOWN = "(unknown)"  # a channel attribution could not determine
ORDER_GROUPS = ("channel",)


def require_group(
    client: Client, metric: str, by: str | None, table: str, allowed: Sequence[str]
) -> None:
    """Refuse a grouping the metric does not offer or the client's table does not have."""
    check_group(metric, by, allowed)
    if by is not None and not client.has(table, by):
        raise ParameterError(
            f"The metric {metric!r} grouped by {by!r} needs the column `{table}.{by}`, which "
            f"this client's {table} table does not have; its columns are "
            f"{client.columns(table)}. Map a column to `{by}` under `data.{table}.columns` in "
            "client.yaml, or group by something else."
        )


def add_note(frame: pd.DataFrame, mask: pd.Series | bool, text: str) -> pd.DataFrame:
    """Append ``text`` to ``note`` where ``mask`` holds (``; ``-separated)."""
    if not text:
        return frame
    mask = pd.Series(mask, index=frame.index) if isinstance(mask, bool) else mask
    joined = frame["note"].where(frame["note"] == "", frame["note"] + "; ") + text
    frame["note"] = joined.where(mask, frame["note"])
    return frame


def join_notes(*parts: Sequence[str]) -> list[str]:
    """Element-wise ``"; "``-join of several note columns, skipping empty parts."""
    return ["; ".join(p for p in row if p) for row in zip(*parts, strict=True)]


def _order_totals(
    client: Client, window: Window, by: str | None, metric: str, select: str
) -> pd.DataFrame:
    require_group(client, metric, by, "orders", ORDER_GROUPS)
    key = f"{label_sql(q(by))} AS {q(by)}, " if by else ""
    group = " GROUP BY 1 ORDER BY 1" if by else ""
    return client.sql(f"SELECT {key}{select} FROM orders WHERE {window.sql(q('timestamp'))}{group}")


def _count_rows(metric: str, counts: pd.DataFrame, by: str | None, empty: str) -> pd.DataFrame:
    if counts.empty:
        return empty_frame(metric, by)
    counts["numerator"] = counts["numerator"].fillna(0).astype(float)
    counts["note"] = ""
    return add_note(count_frame(metric, counts, by=by), counts["numerator"] == 0, empty)


def compute_orders(client: Client, window: Window, by: str | None = None) -> pd.DataFrame:
    """Count the orders placed in the window (one row, or one per ``orders.channel``).

    Examples
    --------
    >>> from funnelkit import load_client
    >>> from funnelkit.metrics.base import window
    >>> client = load_client(emit_warnings=False)
    >>> int(compute_orders(client, window(client)).value[0])
    1547
    """
    counts = _order_totals(client, window, by, "orders", "count(*) AS numerator")
    return _count_rows("orders", counts, by, "no orders in the period")


def compute_buyers(client: Client, window: Window, by: str | None = None) -> pd.DataFrame:
    """Count the distinct customers with an order in the window.

    Examples
    --------
    >>> from funnelkit import load_client
    >>> from funnelkit.metrics.base import window
    >>> client = load_client(emit_warnings=False)
    >>> int(compute_buyers(client, window(client)).value[0])
    1484
    """
    select = "count(DISTINCT customer_id) AS numerator"
    counts = _order_totals(client, window, by, "buyers", select)
    return _count_rows("buyers", counts, by, "no orders in the period")


def compute_revenue(client: Client, window: Window, by: str | None = None) -> pd.DataFrame:
    """Sum the revenue of the orders placed in the window.

    Examples
    --------
    >>> from funnelkit import load_client
    >>> from funnelkit.metrics.base import window
    >>> client = load_client(emit_warnings=False)
    >>> round(compute_revenue(client, window(client)).value[0])
    107099
    """
    counts = _order_totals(client, window, by, "revenue", "sum(revenue) AS numerator")
    return _count_rows("revenue", counts, by, "no orders in the period")


def compute_aov(client: Client, window: Window, by: str | None = None) -> pd.DataFrame:
    """Average order value: the mean revenue per order in the window, with a t 95% interval.

    ``numerator`` is the revenue, ``denominator`` the number of orders, ``sd`` the sample
    standard deviation of order revenue.

    Examples
    --------
    >>> from funnelkit import load_client
    >>> from funnelkit.metrics.base import window
    >>> client = load_client(emit_warnings=False)
    >>> compute_aov(client, window(client))[["value", "ci_low", "ci_high"]].round(1)
       value  ci_low  ci_high
    0   69.2    67.2     71.2
    """
    select = "sum(revenue) AS numerator, count(*) AS denominator, stddev_samp(revenue) AS sd"
    stats = _order_totals(client, window, by, "aov", select)
    if stats.empty:
        return empty_frame("aov", by)
    stats["numerator"] = stats["numerator"].fillna(0)
    return mean_frame("aov", stats, by=by, zero="no orders in the period")


def compute_conversion_rate(client: Client, window: Window, by: str | None = None) -> pd.DataFrame:
    """Share of the window's visitors who placed an order in the window.

    Visitors are the distinct ``events.user_id`` with any event in the window; a visitor
    converts when ``orders.customer_id`` equals their id for an order in the window. Grouped
    by ``channel``, ``device`` or ``campaign``, a visitor belongs to the value of their first
    event in the window where that column is not empty (``(none)`` if there is none).

    Examples
    --------
    >>> from funnelkit import load_client
    >>> from funnelkit.metrics.base import window
    >>> client = load_client(emit_warnings=False)
    >>> rows = compute_conversion_rate(client, window(client), by="device")
    >>> rows[["device", "numerator", "denominator", "value"]].round(4)
        device  numerator  denominator   value
    0  desktop      777.0      10385.0  0.0748
    1   mobile      549.0      16246.0  0.0338
    2   tablet      158.0       2901.0  0.0545
    """
    require_group(client, "conversion_rate", by, "events", VISITOR_GROUPS)
    counts = visitor_counts(client, window, by, bought_flag(window))
    if counts.empty:
        return empty_frame("conversion_rate", by)
    return proportion_frame("conversion_rate", counts, by=by, zero="no visitors in the period")


def compute_repeat_purchase_rate(
    client: Client, window: Window, by: str | None = None
) -> pd.DataFrame:
    """Share of the window's buyers with at least two orders in all history up to its end.

    Examples
    --------
    >>> from funnelkit import load_client
    >>> from funnelkit.metrics.base import window
    >>> client = load_client(emit_warnings=False)
    >>> rows = compute_repeat_purchase_rate(client, window(client))
    >>> rows[["value", "numerator", "denominator"]].round(4)
        value  numerator  denominator
    0  0.0566       84.0       1484.0
    """
    check_group("repeat_purchase_rate", by, ())
    counts = client.sql(f"""
        WITH b AS (SELECT DISTINCT customer_id FROM orders WHERE {window.sql(q("timestamp"))}),
        h AS (SELECT customer_id, count(*) AS n FROM orders
              WHERE {q("timestamp")} < {ts(window.end)}
              GROUP BY 1)
        SELECT count(*) FILTER (WHERE h.n >= 2) AS numerator, count(*) AS denominator
        FROM b JOIN h ON h.customer_id = b.customer_id
    """)
    return proportion_frame("repeat_purchase_rate", counts, by=by, zero="no buyers in the period")


def _kept(client: Client, window: Window) -> pd.DataFrame:
    """Previous-window customers (denominator) and those who ordered again in the window."""
    return client.sql(f"""
        WITH p AS (SELECT DISTINCT customer_id FROM orders
                   WHERE {window.previous().sql(q("timestamp"))}),
        c AS (SELECT DISTINCT customer_id FROM orders WHERE {window.sql(q("timestamp"))})
        SELECT count(c.customer_id) AS kept, count(*) AS denominator
        FROM p LEFT JOIN c ON c.customer_id = p.customer_id
    """)


def compute_retention_rate(client: Client, window: Window, by: str | None = None) -> pd.DataFrame:
    """Retention: customers at the start of the window still active at its end.

    "At the start" means they ordered in the equal-length window before
    (:meth:`Window.previous`); "still active" that they ordered again in this window, i.e.
    activity is an order within one window length.

    Examples
    --------
    >>> from funnelkit import load_client
    >>> from funnelkit.metrics.base import window
    >>> client = load_client(emit_warnings=False)
    >>> rows = compute_retention_rate(client, window(client))
    >>> rows[["value", "numerator", "denominator"]].round(4)
        value  numerator  denominator
    0  0.0242       24.0        990.0
    """
    check_group("retention_rate", by, ())
    counts = _kept(client, window).rename(columns={"kept": "numerator"})
    return proportion_frame("retention_rate", counts, zero="no customers in the period before")


def compute_churn_rate(client: Client, window: Window, by: str | None = None) -> pd.DataFrame:
    """Churn: customers of the window before who placed no order in this window (1 − retention).

    Examples
    --------
    >>> from funnelkit import load_client
    >>> from funnelkit.metrics.base import window
    >>> client = load_client(emit_warnings=False)
    >>> rows = compute_churn_rate(client, window(client))
    >>> rows[["value", "numerator", "denominator"]].round(4)
        value  numerator  denominator
    0  0.9758      966.0        990.0
    """
    check_group("churn_rate", by, ())
    counts = _kept(client, window)
    counts["numerator"] = counts["denominator"] - counts["kept"]
    return proportion_frame(
        "churn_rate", counts.drop(columns="kept"), zero="no customers in the period before"
    )


_ORDERS = ("orders", ("customer_id", "timestamp"))
_REVENUE = ("orders", ("timestamp", "revenue"))

METRICS: list[Metric] = [
    Metric(
        "orders", "purchase", "count", "orders", "up",
        {"en": "Orders", "ru": "Заказы"},
        {"en": "Number of orders placed in the period.",
         "ru": "Количество заказов, оформленных за период."},
        "count(orders in the period)",
        (("orders", ("timestamp",)),), compute_orders, ORDER_GROUPS,
    ),
    Metric(
        "buyers", "purchase", "count", "people", "up",
        {"en": "Buyers", "ru": "Покупатели"},
        {"en": "Distinct customers who placed at least one order in the period.",
         "ru": "Число уникальных клиентов, оформивших хотя бы один заказ за период."},
        "count(distinct customer_id of orders in the period)",
        (_ORDERS,), compute_buyers, ORDER_GROUPS,
    ),
    Metric(
        "conversion_rate", "purchase", "proportion", "share", "up",
        {"en": "Conversion rate", "ru": "Конверсия в покупку"},
        {"en": "Share of the period's visitors who placed an order in the same period.",
         "ru": "Доля посетителей периода, оформивших заказ в том же периоде."},
        "visitors with an order in the period / visitors with any event in the period",
        (("events", ("user_id", "timestamp")), _ORDERS),
        compute_conversion_rate, VISITOR_GROUPS,
    ),
    Metric(
        "revenue", "purchase", "total", "money", "up",
        {"en": "Revenue", "ru": "Выручка"},
        {"en": "Total value of the orders placed in the period.",
         "ru": "Суммарная стоимость заказов, оформленных за период."},
        "sum(order revenue in the period)",
        (_REVENUE,), compute_revenue, ORDER_GROUPS,
    ),
    Metric(
        "aov", "purchase", "mean", "money", "up",
        {"en": "Average order value", "ru": "Средний чек"},
        {"en": "Mean revenue per order placed in the period.",
         "ru": "Средняя стоимость одного заказа за период."},
        "revenue in the period / orders in the period (t interval)",
        (_REVENUE,), compute_aov, ORDER_GROUPS,
    ),
    Metric(
        "repeat_purchase_rate", "retention", "proportion", "share", "up",
        {"en": "Repeat purchase rate", "ru": "Доля повторных покупателей"},
        {"en": "Share of the period's buyers with at least two orders in all history up to "
               "the period end.",
         "ru": "Доля покупателей периода, сделавших за всю историю до конца периода не менее "
               "двух заказов."},
        "buyers in the period with >= 2 orders up to its end / buyers in the period",
        (_ORDERS,), compute_repeat_purchase_rate,
    ),
    Metric(
        "retention_rate", "retention", "proportion", "share", "up",
        {"en": "Retention rate", "ru": "Коэффициент удержания"},
        {"en": "Share of the previous equal-length period's customers who ordered again in "
               "this period.",
         "ru": "Доля клиентов предыдущего периода той же длины, снова сделавших заказ в "
               "текущем периоде."},
        "customers of the previous period with an order in this period / customers of the "
        "previous period",
        (_ORDERS,), compute_retention_rate,
    ),
    Metric(
        "churn_rate", "retention", "proportion", "share", "down",
        {"en": "Churn rate", "ru": "Коэффициент оттока"},
        {"en": "Share of the previous equal-length period's customers who placed no order in "
               "this period.",
         "ru": "Доля клиентов предыдущего периода той же длины, не сделавших ни одного заказа "
               "в текущем периоде."},
        "1 − retention rate = customers of the previous period without an order in this "
        "period / customers of the previous period",
        (_ORDERS,), compute_churn_rate,
    ),
]  # fmt: skip
