"""Unit economics: CAC, CPA, CPL, ROMI, LTV/CAC and CAC payback, and the catalogue entries.

Spend is the ``spend`` table's ``cost`` on the window's days; a *new customer* is a customer
whose first-ever order falls in the window. Grouped by ``channel``, orders and new customers
are credited by :func:`funnelkit.metrics.channels.attributed_orders` (the client's
``metrics.attribution``), spend by ``spend.channel``, leads by ``leads.channel``. Money-valued
results say in ``note`` whether ``metrics.gross_margin`` was applied.

CLV and the historical CLV curve are computed in :mod:`funnelkit.metrics.lifetime`; they are
re-exported here and listed in :data:`METRICS` with the cost metrics.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..data.validate import q
from .base import Metric, Window, empty_frame, label_sql, ratio_frame
from .channels import MONTH_DAYS, lifetime_years, margin, spend_window_sql
from .lifetime import (
    GROUPS,
    attributed_table,
    compute_clv,
    compute_historical_clv,
    order_summary,
)
from .sales import add_note, join_notes, require_group

if TYPE_CHECKING:
    from ..data.loader import Client

__all__ = [
    "METRICS",
    "compute_cac",
    "compute_clv",
    "compute_cpa",
    "compute_cpl",
    "compute_historical_clv",
    "compute_ltv_cac",
    "compute_payback_months",
    "compute_romi",
]


def _spend_sql(window: Window, by: str | None) -> str:
    key = f"{label_sql('channel')} AS channel, " if by else ""
    group = " GROUP BY 1" if by else ""
    return f"SELECT {key}sum(cost) AS spend FROM spend WHERE {spend_window_sql(window)}{group}"


def _spend_over(
    client: Client,
    window: Window,
    by: str | None,
    metric: str,
    *,
    units: str,
    units_by: str,
    zero: str,
) -> pd.DataFrame:
    """Spend / units: ``units`` is SQL for one total, ``units_by`` per ``channel``."""
    if by is None:
        sql = f"SELECT ({_spend_sql(window, None)}) AS numerator, ({units}) AS denominator"
    else:
        sql = f"""
            WITH s AS ({_spend_sql(window, by)}), u AS ({units_by})
            SELECT COALESCE(s.channel, u.channel) AS channel, s.spend AS numerator,
                   COALESCE(u.units, 0) AS denominator
            FROM s FULL OUTER JOIN u ON u.channel = s.channel ORDER BY 1"""
    counts = client.sql(sql)
    if counts.empty:
        return empty_frame(metric, by)
    rows = ratio_frame(metric, counts, by=by, zero=zero)
    missing = rows["numerator"].isna()
    rows.loc[missing, "note"] = "no spend recorded"
    return rows


def _new_customers_sql(client: Client, window: Window, by: str | None) -> str:
    if by:
        return (
            "SELECT customer_channel AS channel, count(DISTINCT customer_id) AS units "
            f"FROM {attributed_table(client)} WHERE {window.sql('first_order_at')} GROUP BY 1"
        )
    return (
        f"SELECT count(*) FROM (SELECT customer_id, min({q('timestamp')}) AS first_order_at "
        f"FROM orders GROUP BY 1) AS f WHERE {window.sql('first_order_at')}"
    )


def compute_cac(client: Client, window: Window, by: str | None = None) -> pd.DataFrame:
    """Customer acquisition cost: the window's spend per new customer.

    Examples
    --------
    >>> from funnelkit import load_client
    >>> from funnelkit.metrics.base import window
    >>> client = load_client(emit_warnings=False)
    >>> compute_cac(client, window(client))[["value", "numerator", "denominator"]].round(2)
       value  numerator  denominator
    0   9.69   14154.08       1460.0
    """
    require_group(client, "cac", by, "spend", GROUPS)
    return _spend_over(
        client, window, by, "cac",
        units=_new_customers_sql(client, window, None),
        units_by=_new_customers_sql(client, window, by or "channel"),
        zero="no new customers in the period",
    )  # fmt: skip


def compute_cpa(client: Client, window: Window, by: str | None = None) -> pd.DataFrame:
    """Cost per order: the window's spend per order placed in the window.

    Examples
    --------
    >>> from funnelkit import load_client
    >>> from funnelkit.metrics.base import window
    >>> client = load_client(emit_warnings=False)
    >>> float(compute_cpa(client, window(client)).value[0].round(2))
    9.15
    """
    require_group(client, "cpa", by, "spend", GROUPS)
    in_window = window.sql(q("timestamp"))
    return _spend_over(
        client, window, by, "cpa",
        units=f"SELECT count(*) FROM orders WHERE {in_window}",
        units_by=f"SELECT channel, count(*) AS units FROM {attributed_table(client)} "
        f"WHERE {in_window} GROUP BY 1" if by else "",
        zero="no orders in the period",
    )  # fmt: skip


def compute_cpl(client: Client, window: Window, by: str | None = None) -> pd.DataFrame:
    """Cost per lead: the window's spend per lead created in the window (by ``leads.channel``).

    Examples
    --------
    >>> from funnelkit import load_client
    >>> from funnelkit.metrics.base import window
    >>> client = load_client(emit_warnings=False)
    >>> float(compute_cpl(client, window(client)).value[0].round(2))
    9.68
    """
    require_group(client, "cpl", by, "spend", GROUPS)
    in_window = window.sql("created_at")
    return _spend_over(
        client, window, by, "cpl",
        units=f"SELECT count(*) FROM leads WHERE {in_window}",
        units_by=f"SELECT {label_sql('channel')} AS channel, count(*) AS units FROM leads "
        f"WHERE {in_window} GROUP BY 1",
        zero="no leads in the period",
    )  # fmt: skip


def compute_romi(client: Client, window: Window, by: str | None = None) -> pd.DataFrame:
    """Return on marketing investment of the paid channels.

    Paid channels have spend > 0 in the window; their revenue is the window's orders credited
    to them by the attribution rule. ``numerator`` = revenue × margin − spend,
    ``denominator`` = spend, value = numerator / denominator.

    Examples
    --------
    >>> from funnelkit import load_client
    >>> from funnelkit.metrics.base import window
    >>> client = load_client(emit_warnings=False)
    >>> compute_romi(client, window(client), by="channel")[["channel", "value"]].round(3)
           channel  value
    0    affiliate  2.052
    1      display -0.531
    2  paid_search  1.491
    3  paid_social -0.152
    """
    require_group(client, "romi", by, "spend", GROUPS)
    share, note = margin(client)
    paid = client.sql(f"""
        WITH s AS ({_spend_sql(window, "channel")}),
        r AS (SELECT channel, sum(revenue) AS revenue FROM {attributed_table(client)}
              WHERE {window.sql(q("timestamp"))} GROUP BY 1)
        SELECT s.channel, s.spend, COALESCE(r.revenue, 0) AS revenue
        FROM s LEFT JOIN r ON r.channel = s.channel WHERE s.spend > 0 ORDER BY 1""")
    if by is None:
        paid = paid[["spend", "revenue"]].sum().to_frame().T
    paid["numerator"] = paid["revenue"] * share - paid["spend"]
    paid["denominator"] = paid["spend"]
    if paid.empty:
        return empty_frame("romi", by)
    rows = ratio_frame("romi", paid, by=by, zero="no advertising spend in the period")
    rule = client.config.metrics.attribution.replace("_", "-")
    return add_note(rows, True, f"{note}; {rule} attribution")


def _by_frame(rows: pd.DataFrame, by: str | None) -> pd.DataFrame:
    return rows.set_index(by) if by else rows


def compute_ltv_cac(client: Client, window: Window, by: str | None = None) -> pd.DataFrame:
    """Customer lifetime value over customer acquisition cost.

    CLV is :func:`compute_clv` (gross margin per buyer × expected lifetime, no one-year floor),
    so with 2% retention LTV:CAC is about the first period's gross margin over CAC.

    Examples
    --------
    >>> from funnelkit import load_client
    >>> from funnelkit.metrics.base import window
    >>> client = load_client(emit_warnings=False)
    >>> float(compute_ltv_cac(client, window(client)).value[0].round(2))
    3.43
    """
    require_group(client, "ltv_cac", by, "spend", GROUPS)
    clv = _by_frame(compute_clv(client, window, by), by)
    cac = _by_frame(compute_cac(client, window, by), by)
    joined = clv[["value", "note"]].join(
        cac[["value", "note"]], how="outer", suffixes=("_clv", "_cac")
    )
    counts = pd.DataFrame(
        {"numerator": joined["value_clv"], "denominator": joined["value_cac"]}
    ).reset_index(drop=by is None)
    rows = ratio_frame("ltv_cac", counts, by=by, zero="")
    no_clv = joined["value_clv"].isna().to_numpy()
    no_cac = joined["value_cac"].isna().to_numpy()
    reason_clv = ("no CLV: " + joined["note_clv"].fillna("no orders in the period")).to_numpy()
    reason_cac = ("no CAC: " + joined["note_cac"].fillna("no spend recorded")).to_numpy()
    zero_cac = (joined["value_cac"] == 0).to_numpy()
    rows["note"] = join_notes(
        np.where(no_clv, reason_clv, ""),
        np.where(no_cac, reason_cac, ""),
        np.where(zero_cac, "CAC is 0: spend recorded as 0", ""),
    )
    return rows


def compute_payback_months(client: Client, window: Window, by: str | None = None) -> pd.DataFrame:
    """Months of gross margin per customer needed to recover the acquisition cost.

    Monthly gross margin per customer = AOV × purchases per customer per month × margin
    (= revenue × margin / buyers × 30.4375 / days), which is CLV / lifetime in months: the
    CLV of :func:`compute_clv` spread evenly over the expected lifetime. Hence payback =
    lifetime months / LTV:CAC, always consistent with both; a payback longer than the expected
    lifetime means the average customer leaves before paying back (the note says so).
    ``numerator`` = CAC, ``denominator`` = monthly gross margin per customer.

    Examples
    --------
    >>> from funnelkit import load_client
    >>> from funnelkit.metrics.base import window
    >>> client = load_client(emit_warnings=False)
    >>> float(compute_payback_months(client, window(client)).value[0].round(2))
    0.44
    """
    require_group(client, "payback_months", by, "spend", GROUPS)
    share, margin_note = margin(client)
    cac = _by_frame(compute_cac(client, window, by), by)
    summary = _by_frame(order_summary(client, window, by), by)
    joined = cac[["value", "note"]].join(summary, how="outer")
    customers = joined["customers"].astype(float)
    monthly = joined["revenue"] * share / customers.where(customers > 0) * MONTH_DAYS / window.days
    counts = pd.DataFrame(
        {"numerator": joined["value"], "denominator": monthly.fillna(0)}
    ).reset_index(drop=by is None)
    rows = ratio_frame("payback_months", counts, by=by, zero="no revenue from buyers in the period")
    no_cac = joined["value"].isna().to_numpy()
    reason = ("no CAC: " + joined["note"].fillna("no spend recorded")).to_numpy()
    rows.loc[no_cac, "note"] = reason[no_cac]
    life, _ = lifetime_years(client, window)
    longer = (rows["value"] > life * 12).to_numpy() if np.isfinite(life) else False
    rows = add_note(
        rows, longer, f"longer than the expected customer lifetime ({life * 12:.1f} months)"
    )
    return add_note(rows, True, margin_note)


_SPEND = ("spend", ("date", "channel", "cost"))
_ORDERS = ("orders", ("customer_id", "timestamp", "revenue"))

METRICS: list[Metric] = [
    Metric(
        "cac", "purchase", "ratio", "money", "down",
        {"en": "Customer acquisition cost (CAC)",
         "ru": "Стоимость привлечения клиента (CAC)"},
        {"en": "Advertising spend in the period per new customer (first-ever order in the "
               "period).",
         "ru": "Рекламные расходы периода на одного нового клиента (первый заказ сделан в "
               "этом периоде)."},
        "spend in the period / customers whose first order is in the period",
        (_SPEND, _ORDERS), compute_cac, GROUPS,
    ),
    Metric(
        "cpa", "purchase", "ratio", "money", "down",
        {"en": "Cost per order (CPA)", "ru": "Стоимость заказа (CPA)"},
        {"en": "Advertising spend in the period per order placed in the period.",
         "ru": "Рекламные расходы периода в расчёте на один заказ этого периода."},
        "spend in the period / orders in the period",
        (_SPEND, _ORDERS), compute_cpa, GROUPS,
    ),
    Metric(
        "cpl", "consideration", "ratio", "money", "down",
        {"en": "Cost per lead (CPL)", "ru": "Стоимость лида (CPL)"},
        {"en": "Advertising spend in the period per lead created in the period.",
         "ru": "Рекламные расходы периода в расчёте на один лид, созданный в этом периоде."},
        "spend in the period / leads created in the period",
        (_SPEND, ("leads", ("created_at", "channel"))), compute_cpl, GROUPS,
    ),
    Metric(
        "romi", "purchase", "ratio", "share", "up",
        {"en": "Return on marketing investment (ROMI)",
         "ru": "Окупаемость маркетинговых инвестиций (ROMI)"},
        {"en": "Attributed revenue of paid channels times gross margin, minus spend, over "
               "spend.",
         "ru": "Выручка платных каналов по модели атрибуции, умноженная на валовую маржу, "
               "за вычетом расходов, делённая на расходы."},
        "(revenue of channels with spend × margin − spend) / spend",
        (_SPEND, _ORDERS), compute_romi, GROUPS,
    ),
    Metric(
        "clv", "retention", "ratio", "money", "up",
        {"en": "Customer lifetime value, simple formula (CLV)",
         "ru": "Пожизненная ценность клиента, простая формула (CLV)"},
        {"en": "Gross margin per buyer in the period (revenue per buyer × gross margin; "
               "revenue if no margin is set) × expected customer lifetime in periods: 1 / churn "
               "per period (the share of the previous period's customers who did not come "
               "back), or the lifetime the consultant set.",
         "ru": "Валовая маржа на покупателя за период (выручка на покупателя × валовая маржа; "
               "выручка, если маржа не задана) × ожидаемый срок жизни клиента в периодах: "
               "1 / отток за период (доля клиентов прошлого периода, не вернувшихся в "
               "текущем), либо срок, заданный консультантом."},
        "revenue × margin / buyers × 1 / (1 − retention per period)",
        (_ORDERS,), compute_clv, GROUPS,
    ),
    Metric(
        "historical_clv", "retention", "curve", "money", "up",
        {"en": "Revenue per customer by month since the first purchase",
         "ru": "Накопленная выручка на клиента по месяцам с первой покупки"},
        {"en": "Cumulative revenue (not gross margin) per customer by months since the first "
               "purchase, among customers observed that long.",
         "ru": "Накопленная выручка (не валовая маржа) на клиента по месяцам с первой "
               "покупки среди клиентов, наблюдаемых не меньше этого срока."},
        "revenue before first order + (m+1) months / customers observed m+1 months",
        (_ORDERS,), compute_historical_clv,
    ),
    Metric(
        "ltv_cac", "retention", "ratio", "ratio", "up",
        {"en": "LTV:CAC ratio (CLV / CAC)", "ru": "Соотношение LTV:CAC (CLV / CAC)"},
        {"en": "Customer lifetime value (gross margin) divided by customer acquisition cost.",
         "ru": "Пожизненная ценность клиента (по валовой марже), делённая на стоимость его "
               "привлечения."},
        "CLV / CAC",
        (_SPEND, _ORDERS), compute_ltv_cac, GROUPS,
    ),
    Metric(
        "payback_months", "purchase", "ratio", "months", "down",
        {"en": "CAC payback period (months of gross margin)",
         "ru": "Срок окупаемости CAC (в месяцах валовой маржи)"},
        {"en": "Months of gross margin per customer needed to recover the acquisition cost, "
               "at the monthly margin CLV assumes (CLV / lifetime in months).",
         "ru": "Сколько месяцев валовой маржи с клиента нужно, чтобы окупить стоимость его "
               "привлечения, при той же месячной марже, что заложена в CLV (CLV / срок жизни "
               "в месяцах)."},
        "CAC / (revenue × margin / buyers per month) = lifetime months / (CLV / CAC)",
        (_SPEND, _ORDERS), compute_payback_months, GROUPS,
    ),
]  # fmt: skip
