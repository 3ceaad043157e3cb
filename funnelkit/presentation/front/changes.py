"""What changed since the client's previous report: KPIs, findings and experiment verdicts.

Compares this run's chapter results with those saved in the previous report folder (the
consultant's monthly rerun): the headline metrics' values, which findings appeared or went away
(by their key: the same step, group, channel or experiment), and experiments whose decision moved.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from ...core.i18n import gettext
from .findings import DECISION_WORDS
from .kpis import HEADLINE_METRICS, headline_kpis

__all__ = ["what_changed"]


def _decisions(results: Mapping[str, Any]) -> dict[str, str]:
    for value in results.values():
        if isinstance(value, Mapping) and isinstance(value.get("experiments"), Mapping):
            return {
                name: str(result.get("decision")) for name, result in value["experiments"].items()
            }
    return {}


def what_changed(
    current: Mapping[str, Any],
    previous: Mapping[str, Any],
    *,
    findings_now: pd.DataFrame,
    findings_before: pd.DataFrame,
    previous_date: str,
    language: str = "en",
    currency: str = "EUR",
) -> list[str]:
    """Sentences saying what moved since the report of ``previous_date``.

    Examples
    --------
    >>> row = lambda v: {"metrics": {"metrics": [{"metric": "buyers", "value": v}]}}
    >>> none = pd.DataFrame(columns=["key", "title"])
    >>> what_changed({"01": row(120.0)}, {"01": row(100.0)}, findings_now=none,
    ...              findings_before=none, previous_date="2026-11-01")
    ['Buyers: 120, was 100 in the report of 2026-11-01.']
    """
    lines = []
    now = headline_kpis(current, language=language, currency=currency).set_index("metric")
    before = headline_kpis(previous, language=language, currency=currency).set_index("metric")
    for metric in HEADLINE_METRICS:
        if metric in now.index and metric in before.index:
            if now.loc[metric, "value"] != before.loc[metric, "value"]:
                lines.append(
                    gettext(
                        "{label}: {now}, was {before} in the report of {date}.", language
                    ).format(
                        label=now.loc[metric, "label"],
                        now=now.loc[metric, "value"],
                        before=before.loc[metric, "value"],
                        date=previous_date,
                    )
                )
    new_keys = set(findings_now["key"]) - set(findings_before["key"])
    gone_keys = set(findings_before["key"]) - set(findings_now["key"])
    for _, row in findings_now[findings_now["key"].isin(new_keys)].iterrows():
        lines.append(gettext("New finding: {title}.", language).format(title=row["title"]))
    for _, row in findings_before[findings_before["key"].isin(gone_keys)].iterrows():
        lines.append(gettext("No longer a finding: {title}.", language).format(title=row["title"]))
    old = _decisions(previous)
    for name, decision in _decisions(current).items():
        if name in old and old[name] != decision:
            lines.append(
                gettext("Test {experiment}: {before} → {now}.", language).format(
                    experiment=name,
                    before=gettext(DECISION_WORDS.get(old[name], old[name]), language),
                    now=gettext(DECISION_WORDS.get(decision, decision), language),
                )
            )
        elif name not in old:
            lines.append(
                gettext("Test {experiment}: first verdict, {now}.", language).format(
                    experiment=name, now=gettext(DECISION_WORDS.get(decision, decision), language)
                )
            )
    return lines
