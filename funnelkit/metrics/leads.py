"""Consideration and purchase metrics from lead events and the CRM: leads, MQL→SQL, win rate.

Definitions:

- **Marketing conversions**: visitors with at least one lead event (``metrics.lead_events``, by
  default ``generate_lead`` and ``sign_up``) in the window. **Visitor→lead conversion** divides
  them by all visitors of the window.
- CRM rates are **cohort rates** over the leads *created* in the window: MQL rate = reached MQL
  / created; MQL→SQL = reached SQL / reached MQL; win rate = won / reached SQL; MQL→won = won /
  reached MQL (the pipeline's rate when the CRM records no SQL date). A lead created
  near the window end may still progress later, so the latest period reads low until the CRM
  catches up (said in the note when the window ends less than 30 days before the data end).
- **Lead-to-deal time**: days from ``created_at`` to ``won_at`` of the won leads created in the
  window (mean with a t interval; the median is an extra column).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from ..data.validate import q
from .base import Window, check_group, count_frame, define, label_sql, mean_frame, proportion_frame
from .shared import lead_flag
from .traffic import VISITOR_GROUPS, visitor_counts

if TYPE_CHECKING:
    from ..data.loader import Client

__all__ = [
    "METRICS",
    "lead_to_deal_days",
    "leads",
    "marketing_conversions",
    "mql_rate",
    "mql_to_sql",
    "mql_to_won",
    "visitor_to_lead",
    "win_rate",
]

LEAD_GROUPS = ("channel",)


def _lead_flag(client: Client, window: Window) -> str:
    return lead_flag(client)


def marketing_conversions(client: Client, window: Window, by: str | None = None) -> pd.DataFrame:
    """Visitors with a lead event (form, sign-up …) in the window."""
    check_group("marketing_conversions", by, VISITOR_GROUPS)
    counts = visitor_counts(client, window, by, _lead_flag(client, window))
    counts = counts.drop(columns="denominator")
    return count_frame("marketing_conversions", counts, by=by)


def visitor_to_lead(client: Client, window: Window, by: str | None = None) -> pd.DataFrame:
    """Share of the window's visitors with a lead event in the window, Wilson 95% CI.

    Examples
    --------
    >>> from funnelkit import load_client
    >>> from funnelkit.metrics.base import window
    >>> client = load_client(emit_warnings=False)
    >>> round(float(visitor_to_lead(client, window(client))["value"].iloc[0]), 4)
    0.0769
    """
    check_group("visitor_to_lead", by, VISITOR_GROUPS)
    counts = visitor_counts(client, window, by, _lead_flag(client, window))
    return proportion_frame("visitor_to_lead", counts, by=by, zero="no visitors in the period")


def _censor_note(client: Client, window: Window) -> str:
    last = client.con.sql("SELECT max(created_at) FROM leads").fetchall()[0][0]
    if last is not None and (last - window.end).days < 30:
        return "recent leads may still progress: the rate can rise as the CRM catches up"
    return ""


def _lead_counts(
    client: Client, window: Window, by: str | None, numerator: str, denominator: str
) -> pd.DataFrame:
    group = label_sql("channel")
    select = f"{group} AS {q(by)}, " if by else ""
    tail = " GROUP BY 1 ORDER BY 1" if by else ""
    return client.sql(
        f"SELECT {select}count_if({numerator}) AS numerator, "
        f"count_if({denominator}) AS denominator FROM leads "
        f"WHERE {window.sql('created_at')}{tail}"
    )


def _has(client: Client, column: str) -> str:
    return f"{column} IS NOT NULL" if client.has("leads", column) else "FALSE"


def leads(client: Client, window: Window, by: str | None = None) -> pd.DataFrame:
    """CRM leads created in the window."""
    check_group("leads", by, LEAD_GROUPS)
    counts = _lead_counts(client, window, by, "TRUE", "TRUE").drop(columns="denominator")
    return count_frame("leads", counts, by=by)


def _cohort_rate(
    metric: str, client: Client, window: Window, by: str | None, num: str, den: str, zero: str
) -> pd.DataFrame:
    check_group(metric, by, LEAD_GROUPS)
    counts = _lead_counts(client, window, by, num, den)
    frame = proportion_frame(metric, counts, by=by, zero=zero)
    censored = _censor_note(client, window)
    if censored:
        frame["note"] = [n or censored for n in frame["note"]]
    return frame


def mql_rate(client: Client, window: Window, by: str | None = None) -> pd.DataFrame:
    """Share of the leads created in the window that became marketing-qualified (MQL)."""
    return _cohort_rate(
        "mql_rate", client, window, by, _has(client, "mql_at"), "TRUE",
        "no leads created in the period",
    )  # fmt: skip


def mql_to_sql(client: Client, window: Window, by: str | None = None) -> pd.DataFrame:
    """MQL→SQL: of the window's leads that reached MQL, the share that reached SQL.

    Examples
    --------
    >>> from funnelkit import load_client
    >>> from funnelkit.metrics.base import window
    >>> client = load_client(emit_warnings=False)
    >>> row = mql_to_sql(client, window(client)).iloc[0]
    >>> int(row["numerator"]), int(row["denominator"]), round(float(row["value"]), 3)
    (294, 867, 0.339)
    """
    return _cohort_rate(
        "mql_to_sql", client, window, by, f"{_has(client, 'mql_at')} AND "
        f"{_has(client, 'sql_at')}", _has(client, "mql_at"), "no leads reached MQL",
    )  # fmt: skip


def win_rate(client: Client, window: Window, by: str | None = None) -> pd.DataFrame:
    """Win rate: of the window's leads that reached SQL, the share won."""
    return _cohort_rate(
        "win_rate", client, window, by, f"{_has(client, 'sql_at')} AND "
        f"{_has(client, 'won_at')}", _has(client, "sql_at"), "no leads reached SQL",
    )  # fmt: skip


def mql_to_won(client: Client, window: Window, by: str | None = None) -> pd.DataFrame:
    """MQL→won: of the window's leads that reached MQL, the share won (won / MQL).

    Needs no SQL date, so a CRM that skips the sales-qualified step still has a pipeline rate.
    """
    return _cohort_rate(
        "mql_to_won", client, window, by, f"{_has(client, 'mql_at')} AND "
        f"{_has(client, 'won_at')}", _has(client, "mql_at"), "no leads reached MQL",
    )  # fmt: skip


def lead_to_deal_days(client: Client, window: Window, by: str | None = None) -> pd.DataFrame:
    """Mean days from lead creation to the won deal (won leads created in the window)."""
    check_group("lead_to_deal_days", by, LEAD_GROUPS)
    group = label_sql("channel")
    select = f"{group} AS {q(by)}, " if by else ""
    tail = " GROUP BY 1 ORDER BY 1" if by else ""
    days = "(epoch(won_at) - epoch(created_at)) / 86400.0"
    stats_frame = client.sql(
        f"SELECT {select}COALESCE(sum({days}), 0) AS numerator, count(*) AS denominator, "
        f"stddev_samp({days}) AS sd, median({days}) AS median_days FROM leads "
        f"WHERE {window.sql('created_at')} AND won_at IS NOT NULL{tail}"
    )
    return mean_frame("lead_to_deal_days", stats_frame, by=by, zero="no won deals")


_LEADS = (("leads", ("lead_id", "created_at")),)

METRICS = [
    define(
        "marketing_conversions", "consideration", "count", "people", "up",
        name={"en": "Marketing conversions", "ru": "Маркетинговые конверсии"},
        definition={
            "en": "Visitors who sent a form or signed up (a lead event) in the period.",
            "ru": "Посетители, оставившие заявку или зарегистрировавшиеся за период.",
        },
        formula="count(visitors with a lead event in the period)",
        needs=(("events", ("user_id", "timestamp", "event")),),
        compute=marketing_conversions, groups=VISITOR_GROUPS,
    ),
    define(
        "leads", "consideration", "count", "leads", "up",
        name={"en": "Leads", "ru": "Лиды"},
        definition={
            "en": "CRM leads created in the period.",
            "ru": "Лиды в CRM, созданные за период.",
        },
        formula="count(leads created in the period)",
        needs=_LEADS, compute=leads, groups=LEAD_GROUPS,
    ),
    define(
        "visitor_to_lead", "consideration", "proportion", "share", "up",
        name={"en": "Visitor→lead conversion", "ru": "Конверсия посетителя в лида"},
        definition={
            "en": "Share of visitors with a lead event (form, sign-up) in the period.",
            "ru": "Доля посетителей, оставивших заявку или зарегистрировавшихся за период.",
        },
        formula="visitors with a lead event / visitors",
        needs=(("events", ("user_id", "timestamp", "event")),),
        compute=visitor_to_lead, groups=VISITOR_GROUPS,
    ),
    define(
        "mql_rate", "consideration", "proportion", "share", "up",
        name={"en": "Lead→MQL rate (MQL / leads)", "ru": "Доля лидов, ставших MQL (MQL / лиды)"},
        definition={
            "en": "Share of the leads created in the period that became marketing-qualified.",
            "ru": "Доля лидов, созданных за период, квалифицированных маркетингом (MQL).",
        },
        formula="leads with mql_at / leads created in the period",
        needs=(("leads", ("lead_id", "created_at", "mql_at")),),
        compute=mql_rate, groups=LEAD_GROUPS,
    ),
    define(
        "mql_to_sql", "consideration", "proportion", "share", "up",
        name={"en": "MQL→SQL rate (SQL / MQL)", "ru": "Конверсия MQL в SQL (SQL / MQL)"},
        definition={
            "en": "Of the period's leads that became MQL, the share that became sales-ready (SQL).",
            "ru": "Доля MQL из лидов периода, ставших SQL (готовых к продаже).",
        },
        formula="leads with sql_at / leads with mql_at (created in the period)",
        needs=(("leads", ("lead_id", "created_at", "mql_at", "sql_at")),),
        compute=mql_to_sql, groups=LEAD_GROUPS,
    ),
    define(
        "win_rate", "purchase", "proportion", "share", "up",
        name={"en": "Win rate (won / SQL)", "ru": "Доля выигранных сделок (выиграно / SQL)"},
        definition={
            "en": "Of the period's leads that became SQL, the share won.",
            "ru": "Доля выигранных сделок среди SQL из лидов периода.",
        },
        formula="leads with won_at / leads with sql_at (created in the period)",
        needs=(("leads", ("lead_id", "created_at", "sql_at", "won_at")),),
        compute=win_rate, groups=LEAD_GROUPS,
    ),
    define(
        "mql_to_won", "purchase", "proportion", "share", "up",
        name={"en": "MQL→won rate (won / MQL)", "ru": "Конверсия MQL в сделку (выиграно / MQL)"},
        definition={
            "en": "Of the period's leads that became MQL, the share won (no SQL date needed).",
            "ru": "Доля выигранных сделок среди MQL из лидов периода (дата SQL не нужна).",
        },
        formula="leads with won_at / leads with mql_at (created in the period)",
        needs=(("leads", ("lead_id", "created_at", "mql_at", "won_at")),),
        compute=mql_to_won, groups=LEAD_GROUPS,
    ),
    define(
        "lead_to_deal_days", "purchase", "mean", "days", "down",
        name={"en": "Lead-to-deal time", "ru": "Время от лида до сделки"},
        definition={
            "en": "Mean days from lead creation to the won deal, for won leads of the period.",
            "ru": "Среднее число дней от создания лида до выигранной сделки (лиды периода).",
        },
        formula="mean(won_at - created_at) over won leads created in the period",
        needs=(("leads", ("lead_id", "created_at", "won_at")),),
        compute=lead_to_deal_days, groups=LEAD_GROUPS,
    ),
]  # fmt: skip
