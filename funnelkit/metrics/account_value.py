"""Account metrics of value: retention and churn of customer accounts, CAC and CLV per account.

A *customer account* bought in the window: an order with its ``account_id``, or (when orders
carry none) a deal won. Retention compares the window with the equal window before, as the
customer retention of :mod:`funnelkit.metrics.sales` does; CLV multiplies the margin per
customer account by the expected number of periods it stays (``1 / account churn``, or
``metrics.customer_lifetime_years``), as the customer CLV of :mod:`funnelkit.metrics.lifetime`.
Catalogue entries: :mod:`funnelkit.metrics.accounts`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .account_base import ACCOUNT_GROUPS, account_frame, grouped, missing_note, unavailable
from .base import NONE, Window, check_group, proportion_frame, ratio_frame
from .channels import margin, spend_window_sql
from .shared import in_list

if TYPE_CHECKING:
    from ..data.loader import Client

__all__ = ["account_cac", "account_churn", "account_clv", "account_retention"]


def _customer_note(client: Client) -> str:
    if client.has("orders", "account_id"):
        return ""
    return missing_note(client, ("leads", "account_id"), ("leads", "won_at")) and (
        "no account_id on orders or leads with won_at"
    )


def _kept(client: Client, window: Window, by: str | None, keep: bool) -> pd.DataFrame:
    frame = account_frame(client, window)
    before = frame[frame["customer_before"]]
    return grouped(before, by, {
        "numerator": lambda f: int((f["customer"] == keep).sum()), "denominator": len,
    })  # fmt: skip


def account_retention(client: Client, window: Window, by: str | None = None) -> pd.DataFrame:
    """Customer accounts of the window before that are customers again in this window."""
    check_group("account_retention", by, ACCOUNT_GROUPS)
    if note := _customer_note(client):
        return unavailable("account_retention", by, note)
    counts = _kept(client, window, by, True)
    return proportion_frame(
        "account_retention", counts, by=by, zero="no customer accounts in the previous period"
    )


def account_churn(client: Client, window: Window, by: str | None = None) -> pd.DataFrame:
    """Customer accounts of the window before that bought nothing in this one (1 − retention)."""
    check_group("account_churn", by, ACCOUNT_GROUPS)
    if note := _customer_note(client):
        return unavailable("account_churn", by, note)
    counts = _kept(client, window, by, False)
    return proportion_frame(
        "account_churn", counts, by=by, zero="no customer accounts in the previous period"
    )


def _spend(client: Client, window: Window, by: str | None) -> pd.DataFrame:
    group = "channel, " if by == "channel" else ""
    tail = " GROUP BY 1" if by == "channel" else ""
    channels = client.config.accounts.spend_channels
    only = f" AND channel IN ({in_list(channels)})" if channels else ""
    return client.sql(
        f"SELECT {group}COALESCE(sum(cost), 0) AS spend FROM spend "
        f"WHERE {spend_window_sql(window)}{only}{tail}"
    )


def account_cac(client: Client, window: Window, by: str | None = None) -> pd.DataFrame:
    """Spend in the window / accounts that became customers in it (first order or won deal)."""
    check_group("account_cac", by, ("channel",))
    note = missing_note(client, ("spend", "cost")) or _customer_note(client)
    if note:
        return unavailable("account_cac", by, note)
    frame = account_frame(client, window)
    new = grouped(frame, by, {"denominator": lambda f: int(f["new_customer"].sum())})
    spend = _spend(client, window, by)
    if by:
        counts = new.merge(spend, on="channel", how="outer").fillna({"denominator": 0, "spend": 0})
    else:
        counts = new.assign(spend=float(spend["spend"].iloc[0]))
    counts = counts.rename(columns={"spend": "numerator"})
    rows = ratio_frame("account_cac", counts, by=by, zero="no new customer accounts")
    if by:
        rows["note"] = [n or "channel of the account's first touch" for n in rows["note"]]
        unknown = rows["channel"] == NONE  # no first touch: no spend can be set against them
        rows.loc[unknown, "value"] = np.nan
        rows.loc[unknown, "note"] = "first touch unknown: no spend can be attributed"
    else:  # say whose spend it divides: a business selling to people too spends on them
        channels = client.config.accounts.spend_channels
        whose = f"spend of {', '.join(channels)}" if channels else "spend of every channel"
        rows["note"] = [n or whose for n in rows["note"]]
    return rows


def account_clv(client: Client, window: Window, by: str | None = None) -> pd.DataFrame:
    """Account lifetime value: margin per customer account in the window × expected periods.

    The expected number of periods an account stays is ``1 / account churn`` (geometric, as the
    customer CLV of :mod:`funnelkit.metrics.lifetime`), or ``metrics.customer_lifetime_years``
    when set. Margin is ``metrics.gross_margin`` × revenue (revenue alone when not set).
    """
    check_group("account_clv", by, ("tier", "target_list"))
    note = _customer_note(client)
    if not note and not client.has("orders", "account_id") and not client.has("leads", "value"):
        note = "no leads.value in the export"  # won deals without a value: no revenue to count
    if note:
        return unavailable("account_clv", by, note)
    frame = account_frame(client, window)
    share, margin_note = margin(client)
    years = client.config.metrics.customer_lifetime_years
    if years is not None:
        periods, how = years * 365.25 / window.days, f"lifetime {years:g} years (configured)"
    else:
        before = frame[frame["customer_before"]]
        churn = float((~before["customer"]).mean()) if len(before) else np.nan
        periods = 1 / churn if churn and np.isfinite(churn) else np.nan
        if np.isfinite(periods):
            how = f"lifetime 1 / account churn ({churn:.1%}) = {periods:.2f} periods"
        elif len(before):
            how = "no account churn observed: lifetime unknown"
        else:
            how = "no customer accounts in the period before: lifetime unknown"
    customers = frame[frame["customer"]]
    counts = grouped(customers, by, {
        "numerator": lambda f: float(f["revenue"].sum()) * share * periods, "denominator": len,
    })  # fmt: skip
    rows = ratio_frame("account_clv", counts, by=by, zero="no customer accounts")
    rows["note"] = [n or f"{how}; {margin_note}" for n in rows["note"]]
    return rows
