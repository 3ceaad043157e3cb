"""The front page's headline numbers: a few key metrics against the period before.

Read from the metrics chapter's results (``results["metrics"]["metrics"]``: one row per metric
with ``value``, ``previous_value``, ``relative_change``, ``verdict``), so the front page shows the
very numbers chapter 01 tested; nothing is recomputed here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from ...core.formatting import format_number
from ...core.i18n import gettext
from .customers import model_clv_kpi

__all__ = ["HEADLINE_METRICS", "headline_kpis", "metric_rows", "section"]

#: Metric id -> (label naming what a rate divides, unit for formatting). In this order.
HEADLINE_METRICS: dict[str, tuple[str, str]] = {
    "visitors": ("Visitors", "count"),
    "buyers": ("Buyers", "count"),
    "conversion_rate": ("Visitor → buyer (buyers / visitors)", "share"),
    "revenue": ("Revenue", "money"),
    "aov": ("Average order value (revenue / orders)", "money"),
    "repeat_purchase_rate": ("Repeat buyers (buyers with 2+ orders / buyers)", "share"),
    "leads": ("Leads", "count"),
    "win_rate": ("Win rate (won / SQL)", "share"),
    "engaged_target_accounts": ("Engaged target accounts (engaged / target accounts)", "share"),
    "account_win_rate": ("Account win rate (accounts won / accounts with an opportunity)", "share"),
    "email_click_rate": ("E-mail click-through rate (unique clicks / delivered)", "share"),
    "social_engagement_rate": ("Social engagement rate (likes + comments + shares / reach)",
                               "share"),
}  # fmt: skip


def section(results: Mapping[str, Any], key: str) -> Any:
    """The first chapter result holding ``key`` (e.g. ``"funnel"``), or None.

    Examples
    --------
    >>> section({"03_find_dropoff": {"funnel": {"leaks": []}}, "00": None}, "funnel")
    {'leaks': []}
    """
    for value in results.values():
        if isinstance(value, Mapping) and isinstance(value.get(key), Mapping):
            return value[key]
    return None


def metric_rows(results: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """Metric id -> its row in the results of chapter 01, 05 or 07 (empty without them).

    Examples
    --------
    >>> found = metric_rows({"07": {"engagement": {"email": {"rates": [
    ...     {"metric": "email_click_rate", "value": 0.03}]}}}})
    >>> list(found)
    ['email_click_rate']
    """
    engagement = section(results, "engagement") or {}
    tables = [
        (section(results, "metrics") or {}).get("metrics"),  # chapter 01
        (section(results, "accounts") or {}).get("metrics"),  # the accounts chapter (05)
        (engagement.get("email") or {}).get("rates"),  # the engagement chapter (07)
        (engagement.get("social") or {}).get("totals"),
    ]
    rows: dict[str, Mapping[str, Any]] = {}
    for table in tables:
        for row in table or []:
            if row.get("metric") and row["metric"] not in rows:
                rows[row["metric"]] = row
    return rows


def _tone(verdict: str) -> str:
    if verdict.startswith("better"):
        return "good"
    if verdict.startswith("worse"):
        return "bad"
    return "neutral"


def headline_kpis(
    results: Mapping[str, Any], *, language: str = "en", currency: str = "EUR"
) -> pd.DataFrame:
    """One row per headline metric the client's data have: value, before, change, tone.

    Columns: ``metric``, ``label`` (in ``language``, naming what a rate divides), ``value`` and
    ``previous`` (formatted), ``change`` (relative for counts and money, percentage points for
    shares; formatted), ``tone`` (``good``/``bad``/``neutral``: a significant change in the good
    or bad direction, else neutral), ``verdict`` (the chapter's words, translated), ``interval``
    (empty but for the last row: the customer-value chapter's predicted value of a new customer,
    :func:`funnelkit.presentation.front.customers.model_clv_kpi`, which has no before).

    Examples
    --------
    >>> rows = {"metrics": {"metrics": [{"metric": "visitors", "value": 120.0,
    ...     "previous_value": 100.0, "change": 20.0, "relative_change": 0.2,
    ...     "verdict": "better"}]}}
    >>> kpis = headline_kpis({"01": rows})
    >>> kpis[["label", "value", "previous", "change", "tone"]].values.tolist()
    [['Visitors', '120', '100', '+20%', 'good']]
    """
    found = metric_rows(results)
    records = []
    for metric, (label, unit) in HEADLINE_METRICS.items():
        row = found.get(metric)
        if row is None or row.get("value") is None:
            continue
        value, previous = row.get("value"), row.get("previous_value")
        if previous is None:
            change = ""
        elif unit == "share":
            change = format_number(value - previous, "points", language=language)
        else:
            relative = row.get("relative_change")
            change = "" if relative is None else format_number(relative, "lift", language=language)
        verdict = str(row.get("verdict") or "")
        records.append(
            {
                "metric": metric,
                "label": gettext(label, language),
                "value": format_number(value, unit, language=language, currency=currency),
                "previous": format_number(previous, unit, language=language, currency=currency),
                "change": change,
                "direction": "up"
                if previous is not None and value > previous
                else ("down" if previous is not None and value < previous else "flat"),
                "tone": _tone(verdict),
                "verdict": gettext(verdict, language) if verdict else "",
                "interval": "",
            }
        )
    model = model_clv_kpi(results, language=language, currency=currency)
    if model is not None:
        records.append(model)
    columns = [
        "metric", "label", "value", "previous", "change", "direction", "tone", "verdict",
        "interval",
    ]  # fmt: skip
    return pd.DataFrame.from_records(records, columns=columns)
