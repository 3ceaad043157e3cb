"""Account-based marketing metrics: coverage, engagement, opportunities, win rate, pipeline, CLV.

Every metric reads the per-account frame of :func:`funnelkit.metrics.account_base.account_frame`
(its module docstring defines touchpoints, engaged, opportunity, won, customer and first-touch
channel). Coverage and engagement are about the **target list**; opportunities, win rate,
pipeline, sales cycle, retention, CAC and CLV count **every account** (split them by
``target_list`` to compare the target list with the others). A metric whose data are not in the
export (no ``account_id`` on the events, leads or orders it reads) returns a row with no value
and a ``note`` naming what is missing, never a zero.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .account_base import (
    ACCOUNT_GROUPS,
    account_frame,
    grouped,
    missing_note,
    opportunity_column,
    unavailable,
)
from .account_value import (
    account_cac,
    account_churn,
    account_clv,
    account_retention,
)
from .base import (
    Window,
    check_group,
    count_frame,
    define,
    mean_frame,
    proportion_frame,
)

if TYPE_CHECKING:
    from ..data.loader import Client

__all__ = [
    "METRICS",
    "account_cac",
    "account_churn",
    "account_clv",
    "account_engagement_score",
    "account_opportunities",
    "account_retention",
    "account_sales_cycle_days",
    "account_win_rate",
    "engaged_target_accounts",
    "pipeline_value",
    "target_account_coverage",
]

_LIST_GROUPS = ("tier", "industry", "owner", "channel")


def _targets(client: Client, window: Window) -> pd.DataFrame:
    frame = account_frame(client, window)
    return frame[frame["target"]]


def target_account_coverage(client: Client, window: Window, by: str | None = None) -> pd.DataFrame:
    """Share of the target accounts with at least one known contact (visitor or lead).

    Examples
    --------
    >>> from funnelkit import load_client
    >>> from funnelkit.metrics.base import window
    >>> client = load_client(emit_warnings=False)
    >>> row = target_account_coverage(client, window(client)).iloc[0]
    >>> targets = int(account_frame(client, window(client))["target"].sum())
    >>> bool(0 < row["value"] <= 1), int(row["denominator"]) == targets
    (True, True)
    """
    check_group("target_account_coverage", by, _LIST_GROUPS)
    if not (client.has("events", "account_id") or client.has("leads", "account_id")):
        return unavailable("target_account_coverage", by, "no account_id on events or leads")
    counts = grouped(_targets(client, window), by, {
        "numerator": lambda f: int((f["contacts"] > 0).sum()), "denominator": len,
    })  # fmt: skip
    return proportion_frame("target_account_coverage", counts, by=by, zero="no target accounts")


def engaged_target_accounts(client: Client, window: Window, by: str | None = None) -> pd.DataFrame:
    """Share of the target accounts with at least ``accounts.engaged_touchpoints`` touchpoints."""
    check_group("engaged_target_accounts", by, _LIST_GROUPS)
    if note := missing_note(client, ("events", "account_id")):
        return unavailable("engaged_target_accounts", by, note)
    counts = grouped(_targets(client, window), by, {
        "numerator": lambda f: int(f["engaged"].sum()), "denominator": len,
    })  # fmt: skip
    return proportion_frame("engaged_target_accounts", counts, by=by, zero="no target accounts")


def account_engagement_score(client: Client, window: Window, by: str | None = None) -> pd.DataFrame:
    """Mean engagement score (weighted touchpoints) per target account, t 95% interval."""
    check_group("account_engagement_score", by, _LIST_GROUPS)
    if note := missing_note(client, ("events", "account_id")):
        return unavailable("account_engagement_score", by, note)
    stats = grouped(_targets(client, window), by, {
        "numerator": lambda f: float(f["score"].sum()), "denominator": len,
        "sd": lambda f: float(f["score"].std(ddof=1)) if len(f) > 1 else np.nan,
    })  # fmt: skip
    rows = mean_frame("account_engagement_score", stats, by=by, zero="no target accounts")
    rows["ci_low"] = rows["ci_low"].clip(lower=0)  # a score is never negative
    return rows


def _deal_note(client: Client, *, won: bool = False) -> str:
    needs = [("leads", "account_id")]
    if won:
        needs.append(("leads", "won_at"))
    note = missing_note(client, *needs)
    if not note and opportunity_column(client) is None:
        note = f"no leads.{client.config.accounts.opportunity}_at in the export"
    return note


def account_opportunities(client: Client, window: Window, by: str | None = None) -> pd.DataFrame:
    """Accounts with an opportunity (a lead reaching SQL, or a won deal) in the window."""
    check_group("account_opportunities", by, ACCOUNT_GROUPS)
    if note := _deal_note(client):
        return unavailable("account_opportunities", by, note)
    frame = account_frame(client, window)
    counts = grouped(frame, by, {"numerator": lambda f: int(f["opportunity"].sum())})
    return count_frame("account_opportunities", counts, by=by)


def account_win_rate(client: Client, window: Window, by: str | None = None) -> pd.DataFrame:
    """Win rate per account: accounts with a won deal / accounts with an opportunity.

    Examples
    --------
    >>> import pandas as pd
    >>> from funnelkit import load_client
    >>> from funnelkit.metrics.base import window
    >>> client = load_client(emit_warnings=False)
    >>> row = account_win_rate(client, window(client)).iloc[0]
    >>> frame = account_frame(client, window(client))
    >>> (int(row["numerator"]), int(row["denominator"]))
    (14, 38)
    >>> (int(frame["won"].sum()), int(frame["opportunity"].sum()))
    (14, 38)
    """
    check_group("account_win_rate", by, ACCOUNT_GROUPS)
    if note := _deal_note(client, won=True):
        return unavailable("account_win_rate", by, note)
    counts = grouped(account_frame(client, window), by, {
        "numerator": lambda f: int(f["won"].sum()),
        "denominator": lambda f: int(f["opportunity"].sum()),
    })  # fmt: skip
    return proportion_frame("account_win_rate", counts, by=by, zero="no account opportunities")


def pipeline_value(client: Client, window: Window, by: str | None = None) -> pd.DataFrame:
    """Total value of the window's opportunities of every account (open and won alike)."""
    check_group("pipeline_value", by, ACCOUNT_GROUPS)
    note = _deal_note(client) or missing_note(client, ("leads", "value"))
    if note:
        return unavailable("pipeline_value", by, note)
    counts = grouped(account_frame(client, window), by, {
        "numerator": lambda f: float(f["pipeline_value"].fillna(0).sum()),
        "unvalued": lambda f: int(f["unvalued_opportunities"].sum()),
    })  # fmt: skip
    counts["note"] = [
        f"{n} opportunit{'y' if n == 1 else 'ies'} without a value (counted as 0)" if n else ""
        for n in counts["unvalued"]
    ]
    return count_frame("pipeline_value", counts.drop(columns="unvalued"), by=by)


def account_sales_cycle_days(client: Client, window: Window, by: str | None = None) -> pd.DataFrame:
    """Mean days from an account's first touch to its first deal won in the window."""
    check_group("account_sales_cycle_days", by, ACCOUNT_GROUPS)
    if note := missing_note(client, ("leads", "account_id"), ("leads", "won_at")):
        return unavailable("account_sales_cycle_days", by, note)
    won = account_frame(client, window)
    won = won[won["cycle_days"].notna()]
    stats = grouped(won, by, {
        "numerator": lambda f: float(f["cycle_days"].sum()), "denominator": len,
        "sd": lambda f: float(f["cycle_days"].std(ddof=1)) if len(f) > 1 else np.nan,
    })  # fmt: skip
    return mean_frame("account_sales_cycle_days", stats, by=by, zero="no accounts won")


_ACCOUNTS = ("accounts", ("account_id", "name"))
_EVENTS = ("events", ("account_id",))
_LEADS = ("leads", ("account_id",))

METRICS = [
    define(
        "target_account_coverage", "awareness", "proportion", "share", "up",
        name={"en": "Target-account coverage (accounts with a contact / target accounts)",
              "ru": "Охват целевых аккаунтов (аккаунты с контактом / целевые аккаунты)"},
        definition={
            "en": "Share of the target accounts with at least one known contact: a visitor or a "
                  "CRM lead from the company.",
            "ru": "Доля целевых аккаунтов, у которых есть хотя бы один известный контакт: "
                  "посетитель сайта или лид в CRM из этой компании.",
        },
        formula="target accounts with ≥ 1 contact / target accounts",
        needs=(_ACCOUNTS,), compute=target_account_coverage, groups=_LIST_GROUPS,
    ),
    define(
        "engaged_target_accounts", "consideration", "proportion", "share", "up",
        name={"en": "Engaged target accounts (engaged / target accounts)",
              "ru": "Вовлечённые целевые аккаунты (вовлечённые / целевые аккаунты)"},
        definition={
            "en": "Share of the target accounts whose people made at least the set number of "
                  "touchpoints (site visits, e-mail clicks, demo requests …) in the period.",
            "ru": "Доля целевых аккаунтов, сотрудники которых совершили не меньше заданного "
                  "числа касаний (посещения сайта, клики в письмах, запросы демо …) за период.",
        },
        formula="target accounts with ≥ N touchpoints in the period / target accounts",
        needs=(_ACCOUNTS, _EVENTS), compute=engaged_target_accounts, groups=_LIST_GROUPS,
    ),
    define(
        "account_engagement_score", "consideration", "mean", "score", "up",
        name={"en": "Account engagement score (weighted touchpoints per target account)",
              "ru": "Индекс вовлечённости аккаунта (взвешенные касания на целевой аккаунт)"},
        definition={
            "en": "Mean, over the target accounts, of their touchpoints in the period, each "
                  "weighted by what it says about intent (a demo request weighs more than a "
                  "visit).",
            "ru": "Среднее по целевым аккаунтам число касаний за период, где каждое касание "
                  "взвешено по тому, насколько оно говорит о намерении купить (запрос демо "
                  "весит больше посещения).",
        },
        formula="mean over target accounts of Σ weight(touchpoint)",
        needs=(_ACCOUNTS, _EVENTS), compute=account_engagement_score, groups=_LIST_GROUPS,
    ),
    define(
        "account_opportunities", "purchase", "count", "accounts", "up",
        name={"en": "Accounts with an opportunity", "ru": "Аккаунты с возможностью сделки"},
        definition={
            "en": "Accounts with a lead that sales accepted (SQL) or a deal won in the period.",
            "ru": "Аккаунты, у которых за период лид принят отделом продаж (SQL) или "
                  "выиграна сделка.",
        },
        formula="count(accounts with an SQL or a won deal in the period)",
        needs=(_ACCOUNTS, _LEADS), compute=account_opportunities, groups=ACCOUNT_GROUPS,
    ),
    define(
        "account_win_rate", "purchase", "proportion", "share", "up",
        name={"en": "Account win rate (accounts won / accounts with an opportunity)",
              "ru": "Доля выигранных аккаунтов (выигранные / аккаунты с возможностью сделки)"},
        definition={
            "en": "Of the accounts with an opportunity in the period, the share that won a deal.",
            "ru": "Доля аккаунтов, выигравших сделку, среди аккаунтов с возможностью сделки "
                  "за период.",
        },
        formula="accounts with a won deal / accounts with an opportunity (in the period)",
        needs=(_ACCOUNTS, ("leads", ("account_id", "won_at"))), compute=account_win_rate,
        groups=ACCOUNT_GROUPS,
    ),
    define(
        "pipeline_value", "purchase", "total", "money", "up",
        name={"en": "Pipeline value (value of the period's opportunities)",
              "ru": "Объём воронки сделок (сумма возможностей за период)"},
        definition={
            "en": "Total value of the deals that reached SQL (became opportunities) in the "
                  "period, whether still open or since won.",
            "ru": "Сумма сделок, дошедших до SQL (ставших возможностями) за период, и открытых, "
                  "и уже выигранных.",
        },
        formula="Σ value of leads reaching SQL in the period (with an account)",
        needs=(_ACCOUNTS, ("leads", ("account_id", "value"))), compute=pipeline_value,
        groups=ACCOUNT_GROUPS,
    ),
    define(
        "account_sales_cycle_days", "purchase", "mean", "days", "down",
        name={"en": "Sales cycle per account (first touch → won deal)",
              "ru": "Цикл сделки по аккаунту (первое касание → выигранная сделка)"},
        definition={
            "en": "Mean days from an account's first touch to its first deal won in the period.",
            "ru": "Среднее число дней от первого касания аккаунта до его первой сделки, "
                  "выигранной за период.",
        },
        formula="mean(first won_at − first touch) over accounts won in the period",
        needs=(_ACCOUNTS, ("leads", ("account_id", "won_at"))), compute=account_sales_cycle_days,
        groups=ACCOUNT_GROUPS,
    ),
    define(
        "account_retention", "retention", "proportion", "share", "up",
        name={"en": "Account retention (customer accounts kept / customer accounts before)",
              "ru": "Удержание аккаунтов (оставшиеся клиенты / клиенты прошлого периода)"},
        definition={
            "en": "Of the accounts that bought in the period before, the share that bought again "
                  "in this one.",
            "ru": "Доля аккаунтов, купивших в прошлом периоде, которые снова купили в этом.",
        },
        formula="accounts buying in both periods / accounts buying in the period before",
        needs=(_ACCOUNTS,), compute=account_retention, groups=ACCOUNT_GROUPS,
    ),
    define(
        "account_churn", "retention", "proportion", "share", "down",
        name={"en": "Account churn (customer accounts lost / customer accounts before)",
              "ru": "Отток аккаунтов (ушедшие клиенты / клиенты прошлого периода)"},
        definition={
            "en": "Of the accounts that bought in the period before, the share that bought "
                  "nothing in this one.",
            "ru": "Доля аккаунтов, купивших в прошлом периоде, которые ничего не купили в этом.",
        },
        formula="1 − account retention",
        needs=(_ACCOUNTS,), compute=account_churn, groups=ACCOUNT_GROUPS,
    ),
    define(
        "account_cac", "purchase", "ratio", "money", "down",
        name={"en": "CAC per account (spend / new customer accounts)",
              "ru": "CAC на аккаунт (расходы / новые аккаунты-клиенты)"},
        definition={
            "en": "Marketing spend of the period divided by the accounts that became customers "
                  "in it.",
            "ru": "Маркетинговые расходы за период, делённые на аккаунты, ставшие клиентами "
                  "за этот период.",
        },
        formula="spend / accounts with their first order or won deal in the period",
        needs=(_ACCOUNTS, ("spend", ("date", "cost"))), compute=account_cac, groups=("channel",),
    ),
    define(
        "account_clv", "retention", "ratio", "money", "up",
        name={"en": "CLV per account (margin per customer account × expected periods)",
              "ru": "CLV аккаунта (маржа на аккаунт-клиента × ожидаемое число периодов)"},
        definition={
            "en": "What a customer account is worth over its relationship: its gross margin in "
                  "the period times the periods it is expected to stay (1 / account churn).",
            "ru": "Сколько стоит аккаунт-клиент за всё время отношений: его валовая маржа за "
                  "период, умноженная на ожидаемое число периодов (1 / отток аккаунтов).",
        },
        formula="Σ revenue × margin / customer accounts × 1 / account churn",
        needs=(_ACCOUNTS,), compute=account_clv, groups=("tier", "target_list"),
    ),
]  # fmt: skip
