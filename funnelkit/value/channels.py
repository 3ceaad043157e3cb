"""Predicted customer value by acquisition channel; CAC, LTV:CAC and payback where spend exists.

A customer's acquisition channel follows ``metrics.attribution`` through
:func:`funnelkit.metrics.channels.attributed_orders` (its ``customer_channel``: the first
touch's channel, or the channel the first order is credited to under last touch, falling back
to the first order's ``orders.channel``), so the CAC here equals the one of
:func:`~funnelkit.metrics.channels.channel_economics`. ``attribution="first_order"`` takes the
``orders.channel`` of each customer's first order instead (earliest timestamp, then order id).

Per channel: ``customers`` (all the customers valued), ``clv_mean`` with a 95% **t interval**
over customers (CLV is skewed: read it as approximate for small channels), ``new_customers``
(first-ever order in the analysis period) and their ``clv_mean_new``; with spend,
``cac = spend in the period / new customers``, ``ltv_cac = clv_mean_new / cac`` (the value of
the customers the spend bought) and ``payback_months = cac / (clv_mean_new / horizon in
months)``, the months of predicted margin (revenue when no margin is set) that repay the CAC.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

from ..core.errors import DataError, ParameterError
from ..data.validate import q
from ..metrics.base import label_sql
from ..metrics.channels import (
    MONTH_DAYS,
    attributed_orders,
    check_attribution,
    spend_window_sql,
)
from .clv import CustomerValue

if TYPE_CHECKING:
    from ..data.loader import Client

__all__ = ["FIRST_ORDER", "value_by_channel"]

#: The attribution that takes the first order's own ``orders.channel``.
FIRST_ORDER = "first_order"


def acquisition_channels(client: Client, attribution: str) -> pd.DataFrame:
    """``customer_id, channel, first_order_at`` of every customer, by the given rule."""
    if attribution == FIRST_ORDER:
        if not client.has("orders", "channel"):
            raise DataError(
                "value_by_channel: the orders table has no channel column; add "
                "orders.channel or use the client's attribution (attribution=None).",
                table="orders",
                column="channel",
            )
        return client.sql(f"""
            SELECT customer_id, channel, first_order_at FROM (
                SELECT customer_id, {label_sql("channel")} AS channel,
                       min({q("timestamp")}) OVER (PARTITION BY customer_id) AS first_order_at,
                       row_number() OVER (PARTITION BY customer_id
                                          ORDER BY {q("timestamp")}, order_id) AS rank
                FROM orders) AS o
            WHERE rank = 1
        """)
    sql = attributed_orders(client, attribution=attribution)
    return client.sql(
        "SELECT DISTINCT customer_id, customer_channel AS channel, first_order_at "
        f"FROM ({sql}) AS a"
    )


def _t_interval(values: pd.Series) -> pd.Series:
    n = values.size
    mean = values.mean()
    if n < 2:
        return pd.Series({"clv_mean": mean, "clv_ci_low": np.nan, "clv_ci_high": np.nan})
    half = stats.t.ppf(0.975, n - 1) * values.std(ddof=1) / np.sqrt(n)
    return pd.Series({"clv_mean": mean, "clv_ci_low": mean - half, "clv_ci_high": mean + half})


def value_by_channel(
    client: Client, value: CustomerValue, *, attribution: str | None = None
) -> pd.DataFrame:
    """Mean predicted CLV per acquisition channel, and CAC, LTV:CAC and payback with spend.

    Parameters
    ----------
    client : funnelkit.data.loader.Client
        The client ``value`` was computed on.
    value : CustomerValue
        The result of :func:`funnelkit.value.customer_value` (its period is used).
    attribution : {"first_touch", "last_touch", "first_order"}, keyword-only
        The acquisition rule; None takes ``metrics.attribution``.

    Returns
    -------
    DataFrame
        One row per channel by descending customers: ``channel, attribution, customers,
        clv_mean, clv_ci_low, clv_ci_high, new_customers, clv_mean_new, spend, cac, ltv_cac,
        payback_months, note`` (``spend`` and what follows are NaN without spend).

    Examples
    --------
    >>> from funnelkit import load_client
    >>> from funnelkit.value.clv import customer_value
    >>> client = load_client(emit_warnings=False)
    >>> table = value_by_channel(client, customer_value(client, draws=0))
    >>> table.loc[table["channel"] == "paid_search", "new_customers"].item()
    481
    """
    if not isinstance(value, CustomerValue) or value.window is None:
        raise ParameterError(
            "value_by_channel: `value` must be the result of customer_value(client) (it "
            "carries the analysis period); value_from_summary has no period."
        )
    rule = attribution if attribution == FIRST_ORDER else check_attribution(client, attribution)
    window = value.window
    channels = acquisition_channels(client, rule)
    frame = value.customers[["customer_id", "clv"]].merge(channels, on="customer_id", how="left")
    frame["channel"] = frame["channel"].fillna("(unknown)")
    start, end = pd.Timestamp(window.start), pd.Timestamp(window.end)
    frame["new"] = (frame["first_order_at"] >= start) & (frame["first_order_at"] < end)
    grouped = frame.groupby("channel")
    out = pd.DataFrame({name: _t_interval(part) for name, part in grouped["clv"]}).T
    out.insert(0, "customers", grouped.size())
    out["new_customers"] = frame[frame["new"]].groupby("channel").size()
    out["new_customers"] = out["new_customers"].fillna(0).astype(int)
    out["clv_mean_new"] = frame[frame["new"]].groupby("channel")["clv"].mean()
    has_spend = client.has("spend", "channel")
    if has_spend:
        spend = client.sql(
            f"SELECT {label_sql('channel')} AS channel, sum(cost) AS spend FROM spend "
            f"WHERE {spend_window_sql(window)} GROUP BY 1"
        ).set_index("channel")["spend"]
        out = out.reindex(out.index.union(spend.index))
        out["spend"] = spend.reindex(out.index).fillna(0.0).astype(float)
        out[["customers", "new_customers"]] = out[["customers", "new_customers"]].fillna(0)
    else:
        out["spend"] = np.nan
    paid = out["spend"].where(out["spend"] > 0)
    out["cac"] = paid / out["new_customers"].where(out["new_customers"] > 0)
    out["ltv_cac"] = out["clv_mean_new"] / out["cac"]
    horizon_months = value.horizon_weeks * 7 / MONTH_DAYS
    out["payback_months"] = out["cac"] / (out["clv_mean_new"] / horizon_months)
    out = out.reset_index(names="channel")
    out.insert(1, "attribution", rule)
    for column in ("customers", "new_customers"):
        out[column] = out[column].astype(int)
    out["note"] = [_note(row, value, has_spend, horizon_months) for row in out.itertuples()]
    columns = ["channel", "attribution", "customers", "clv_mean", "clv_ci_low", "clv_ci_high",
               "new_customers", "clv_mean_new", "spend", "cac", "ltv_cac", "payback_months",
               "note"]  # fmt: skip
    order = out.sort_values(["customers", "channel"], ascending=[False, True]).index
    return out.loc[order, columns].reset_index(drop=True)


def _note(row, value: CustomerValue, has_spend: bool, horizon_months: float) -> str:
    rule = {
        "first_touch": "channel of the customer's first touch (else of the first order)",
        "last_touch": "channel the customer's first order is credited to (last touch)",
        FIRST_ORDER: "orders.channel of the customer's first order",
    }[row.attribution]
    said = [f"acquired by: {rule}", f"CLV of the next {value.horizon_weeks:g} weeks"]
    said.append(value.margin_note)
    if not has_spend:
        said.append("no spend table: CAC not computed")
    elif not row.spend > 0:
        said.append("no spend recorded")
    elif row.new_customers == 0:
        said.append("no new customers in the period")
    elif row.payback_months > horizon_months:
        said.append("not paid back within the horizon")
    return "; ".join(said)
