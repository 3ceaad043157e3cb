"""What the metrics chapter shows, gathered from the analyses (nothing computed here).

:func:`with_metric_settings` applies the notebook's settings to a view of the client,
:func:`clv_summary` collects CLV with every number of its assumption, and
:func:`key_metrics_frame` the key metric of each stage with its values and why it was chosen.
"""

from __future__ import annotations

import copy
import math
from typing import TYPE_CHECKING, Any

import pandas as pd

from ...core.formatting import format_value
from ...core.i18n import gettext
from ...metrics.accounts import METRICS as _ACCOUNT_METRICS
from ...metrics.base import window
from ...metrics.catalogue import CATALOGUE, get_metric
from ...metrics.channels import lifetime_assumption
from ...metrics.compare import NO_EARLIER, no_earlier_text
from ...metrics.email import METRICS as _EMAIL_METRICS
from ...metrics.social import METRICS as _SOCIAL_METRICS
from ...metrics.value import compute_cac, compute_clv, compute_ltv_cac, compute_payback_months
from ...stages.compass import key_metric
from ...stages.mapping import resolve_stages
from .tables import needs_words

if TYPE_CHECKING:
    from ...data.loader import Client

__all__ = ["clv_summary", "key_metrics_frame", "with_metric_settings"]


def with_metric_settings(client: Client, **settings: Any) -> Client:
    """A view of the client with some ``metrics:`` settings replaced (None keeps client.yaml).

    The client's files and its ``client.yaml`` are not touched; the copy shares the data.

    Examples
    --------
    >>> from funnelkit import load_client
    >>> client = load_client(emit_warnings=False)
    >>> with_metric_settings(client, gross_margin=0.3).config.metrics.gross_margin
    0.3
    >>> client.config.metrics.gross_margin
    0.45
    """
    changes = {k: v for k, v in settings.items() if v not in (None, "", 0)}
    if not changes:
        return client
    view = copy.copy(client)
    metrics = client.config.metrics.model_copy(update=changes)
    view.config = client.config.model_copy(update={"metrics": metrics})
    return view


def clv_summary(client: Client) -> dict[str, Any] | None:
    """CLV with every number of its assumption, and the LTV:CAC and payback built on it.

    None when the client has no orders; ``cac``, ``ltv_cac`` and ``payback_months`` are NaN
    without advertising spend.
    """
    if not client.has("orders"):
        return None
    period = window(client)
    row = compute_clv(client, period).iloc[0]
    found = lifetime_assumption(client, period)
    summary = {
        "clv": float(row["value"]), "margin_per_customer": float(row["margin_per_customer"]),
        "revenue_per_customer": float(row["margin_per_customer"])
        / (client.config.metrics.gross_margin or 1.0),
        "lifetime_months": float(found["months"]), "periods": float(found["periods"]),
        "period_days": float(found["period_days"]), "retention": float(found["retention"]),
        "churn": float(found["churn"]), "source": found["source"], "note": str(row["note"]),
        "cac": math.nan, "ltv_cac": math.nan, "payback_months": math.nan,
    }  # fmt: skip
    if client.has("spend"):
        summary["cac"] = float(compute_cac(client, period).value.iloc[0])
        summary["ltv_cac"] = float(compute_ltv_cac(client, period).value.iloc[0])
        summary["payback_months"] = float(compute_payback_months(client, period).value.iloc[0])
    return summary


#: The account metrics (chapter 05 shows and tests them).
ACCOUNT_METRICS = frozenset(m.id for m in _ACCOUNT_METRICS)
#: The social and e-mail metrics (chapter 07 shows and tests them).
ENGAGEMENT_METRICS = frozenset(m.id for m in (*_SOCIAL_METRICS, *_EMAIL_METRICS))


def chapter_metric_ids(client: Client) -> list[str]:
    """The metrics chapter 01 compares: every supported one but the account and engagement ones.

    The account metrics (chapter 05) and the social and e-mail metrics (chapter 07) have their
    own chapters, with their own families of tests, so one metric never gets two verdicts; a
    stage whose key metric is one of them (the ``abm`` preset; ``key_metric: email_click_rate``)
    still gets it here.

    Examples
    --------
    >>> from funnelkit import load_client
    >>> ids = chapter_metric_ids(load_client(emit_warnings=False))
    >>> "conversion_rate" in ids, "account_win_rate" in ids
    (True, False)
    """
    keys = {
        key_metric(client, plan.key_metric, plan.origin["key_metric"]).id
        for plan in resolve_stages(client)
    }
    return [
        m.id
        for m in CATALOGUE.values()
        if m.kind != "curve"
        and m.supported(client)
        and (m.id not in ACCOUNT_METRICS | ENGAGEMENT_METRICS or m.id in keys)
    ]


def key_metrics_frame(client: Client, changes: pd.DataFrame) -> pd.DataFrame:
    """The key metric of each stage: ``stage, key_metric, name, now, before, why, chosen_in``.

    ``now`` and ``before`` are the values written for the client (from ``changes``, which is
    :func:`funnelkit.metrics.compare.compare_periods`); ``why`` says why the metric was chosen.
    """
    language = client.config.language
    found = changes.set_index("metric")
    rows = []
    for plan in resolve_stages(client):
        metric = key_metric(client, plan.key_metric, plan.origin["key_metric"])
        chosen = plan.origin["key_metric"]
        why = (
            plan.reason.get(language, "")
            if chosen == "preset"
            else gettext("chosen by the consultant for this client", language)
        )
        if metric.id != plan.key_metric:
            preset = get_metric(plan.key_metric)
            why = gettext("{metric} instead of {preset}: the data has no {missing}", language)
            why = why.format(
                metric=metric.name[language], preset=preset.name[language],
                missing=needs_words(", ".join(preset.missing(client)), language),
            )  # fmt: skip
        if metric.id in found.index:
            value, before = found.loc[metric.id, ["value", "previous_value"]]
            if found.loc[metric.id, "verdict"] == NO_EARLIER:
                before = no_earlier_text(language)
        else:
            value = before = float("nan")
            why += " " + gettext("(needs {missing})", language).format(
                missing=needs_words(", ".join(metric.missing(client)), language)
            )
        rows.append(
            {
                "stage": plan.stage,
                "key_metric": metric.id,
                "name": metric.name[language],
                "now": format_value(value, metric.unit, client.config.currency, language=language),
                "before": before
                if isinstance(before, str)
                else format_value(before, metric.unit, client.config.currency, language=language),
                "why": why,
                "chosen_in": chosen,
            }
        )
    return pd.DataFrame(rows)
