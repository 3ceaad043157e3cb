"""The metric registry: every metric with its stage, definition in two languages, and needs.

``CATALOGUE`` is a dict from metric id to :class:`~funnelkit.metrics.base.Metric`;
:func:`get_metric` looks one up (the error lists the ids), :func:`catalogue` lists them as a
frame (and, given a client, what its data supports and what is missing to unlock the rest), and
:func:`compute_metric` / :func:`compute_metrics` compute them for a period.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..core.errors import DataError, ParameterError, did_you_mean
from . import accounts, advocacy, email, leads, sales, social, traffic, value
from .base import STAGES, Metric, Window, window

if TYPE_CHECKING:
    from ..data.loader import Client

__all__ = ["CATALOGUE", "catalogue", "compute_metric", "compute_metrics", "get_metric"]

#: Display names that say what each rate divides (the report names every rate by its
#: numerator and denominator, so "conversion" is never one of several unnamed numbers).
_DIVISOR_NAMES: dict[str, dict[str, str]] = {
    "bounce_rate": {"en": "Bounce rate (bounced sessions / sessions)",
                    "ru": "Показатель отказов (сеансы-отказы / сеансы)"},
    "engagement_rate": {"en": "Engagement rate (engaged sessions / sessions)",
                        "ru": "Вовлечённость (вовлечённые сеансы / сеансы)"},
    "marketing_conversions": {"en": "Visitors with a lead event (marketing conversions)",
                              "ru": "Посетители, оставившие заявку (маркетинговые конверсии)"},
    "visitor_to_lead": {"en": "Visitor → lead (visitors with a lead event / visitors)",
                        "ru": "Посетитель → лид (посетители с заявкой / посетители)"},
    "conversion_rate": {"en": "Visitor → buyer (buyers / visitors)",
                        "ru": "Посетитель → покупатель (покупатели / посетители)"},
    "aov": {"en": "Average order value (revenue / orders)",
            "ru": "Средний чек (выручка / заказы)"},
    "repeat_purchase_rate": {"en": "Repeat buyers (buyers with 2+ orders / buyers)",
                             "ru": "Повторные покупатели (покупатели с 2+ заказами / "
                                   "покупатели)"},
    "retention_rate": {"en": "Retention (returning customers / previous period's customers)",
                       "ru": "Удержание (вернувшиеся клиенты / клиенты прошлого периода)"},
    "churn_rate": {"en": "Churn (customers who did not return / previous period's customers)",
                   "ru": "Отток (не вернувшиеся клиенты / клиенты прошлого периода)"},
    "promoter_share": {"en": "Promoter share (answers 9–10 / answers)",
                       "ru": "Доля промоутеров (ответы 9–10 / все ответы)"},
    "detractor_share": {"en": "Detractor share (answers 0–6 / answers)",
                        "ru": "Доля критиков (ответы 0–6 / все ответы)"},
}  # fmt: skip


def _named(metric: Metric) -> Metric:
    names = _DIVISOR_NAMES.get(metric.id)
    return dataclasses.replace(metric, name=names) if names else metric


CATALOGUE: dict[str, Metric] = {
    m.id: _named(m)
    for m in sorted(
        [
            *traffic.METRICS,
            *leads.METRICS,
            *sales.METRICS,
            *value.METRICS,
            *advocacy.METRICS,
            *accounts.METRICS,
            *social.METRICS,
            *email.METRICS,
        ],
        key=lambda m: STAGES.index(m.stage),
    )
}

LANGUAGES = ("en", "ru")


def get_metric(metric: str | Metric) -> Metric:
    """Look up a metric by id; the error lists the valid ids.

    Examples
    --------
    >>> get_metric("aov").name["ru"]
    'Средний чек (выручка / заказы)'
    """
    if isinstance(metric, Metric):
        return metric
    try:
        return CATALOGUE[metric]
    except KeyError:
        hint = did_you_mean(str(metric), CATALOGUE)
        raise ParameterError(
            f"Unknown metric {metric!r}.{hint} The metrics are {sorted(CATALOGUE)}."
        ) from None


def _language(language: str) -> str:
    if language not in LANGUAGES:
        raise ParameterError(
            f"The value for `language` must be one of {list(LANGUAGES)}, but {language!r} "
            "was passed."
        )
    return language


def catalogue(client: Client | None = None, *, language: str = "en") -> pd.DataFrame:
    """The metric catalogue, one row per metric in journey order.

    Parameters
    ----------
    client : funnelkit.data.loader.Client, optional
        When given, adds ``supported`` (the client's data has every table and column the metric
        needs) and ``missing`` (what to add to ``client.yaml`` to unlock it).
    language : {"en", "ru"}
        Language of ``name`` and ``definition``.

    Returns
    -------
    pandas.DataFrame
        ``metric, stage, name, definition, formula, unit, good, kind, needs, groups``
        [, ``supported, missing``].

    Examples
    --------
    >>> table = catalogue(language="ru")
    >>> len(table) >= 22, table.loc[table["metric"] == "nps", "stage"].item()
    (True, 'advocacy')
    """
    language = _language(language)
    rows = []
    for metric in CATALOGUE.values():
        row: dict[str, Any] = {
            "metric": metric.id,
            "stage": metric.stage,
            "name": metric.name[language],
            "definition": metric.definition[language],
            "formula": metric.formula,
            "unit": metric.unit,
            "good": "higher" if metric.good == "up" else "lower",
            "kind": metric.kind,
            "needs": "; ".join(f"{t}({', '.join(c)})" for t, c in metric.needs),
            "groups": ", ".join(metric.groups),
        }
        if client is not None:
            missing = metric.missing(client)
            row["supported"] = not missing
            row["missing"] = ", ".join(missing)
        rows.append(row)
    return pd.DataFrame(rows)


def compute_metric(
    client: Client,
    metric: str | Metric,
    *,
    period: str | Window | tuple[Any, Any] = "current",
    by: str | None = None,
) -> pd.DataFrame:
    """Compute one metric for a period (optionally per group).

    Parameters
    ----------
    client : funnelkit.data.loader.Client
    metric : str or Metric
        A catalogue id such as ``"conversion_rate"``.
    period : "current", "previous", Window or (start, end)
        The analysis period from ``client.yaml``, the equal-length one before it, or explicit
        bounds (dates are inclusive).
    by : str, optional
        A grouping column the metric supports (see ``catalogue()["groups"]``).

    Returns
    -------
    pandas.DataFrame
        [``by``,] ``metric, value, numerator, denominator, ci_low, ci_high, note`` and
        metric-specific extra columns; one row per group.

    Raises
    ------
    DataError
        When the client lacks a table or column the metric needs (says what to add).

    Examples
    --------
    >>> from funnelkit import load_client
    >>> client = load_client(emit_warnings=False)
    >>> rows = compute_metric(client, "engagement_rate", by="device")
    >>> rows["device"].tolist()
    ['desktop', 'mobile', 'tablet']
    """
    metric = get_metric(metric)
    missing = metric.missing(client)
    if missing:
        raise DataError(
            f"{client.name}: the metric {metric.id!r} needs {', '.join(missing)}, which the "
            "client's data does not have; add it under `data:` in client.yaml "
            "(docs/data.md lists the columns) or choose another metric."
        )
    return metric.compute(client, window(client, period), by)


def compute_metrics(
    client: Client,
    metrics: Iterable[str] | None = None,
    *,
    period: str | Window | tuple[Any, Any] = "current",
) -> pd.DataFrame:
    """Every supported metric (or the given ones) for one period, one row per metric.

    Curves (``historical_clv``) are left out; compute them with :func:`compute_metric`.
    Unsupported metrics are skipped when ``metrics`` is None, refused when named.

    Returns
    -------
    pandas.DataFrame
        ``metric, stage, name, unit, kind, good, value, numerator, denominator, ci_low,
        ci_high, note`` plus the metrics' extra columns (e.g. ``sd`` of means).
    """
    if metrics is None:
        chosen = [m for m in CATALOGUE.values() if m.kind != "curve" and m.supported(client)]
    else:
        chosen = [get_metric(m) for m in metrics]
    frames = [f for f in (compute_metric(client, m, period=period) for m in chosen) if not f.empty]
    if not frames:
        columns = ["metric", "stage", "name", "unit", "kind", "good", "value", "numerator",
                   "denominator", "ci_low", "ci_high", "note"]  # fmt: skip
        return pd.DataFrame(columns=columns)
    table = pd.concat(frames, ignore_index=True)
    info = pd.DataFrame(
        [
            {"metric": m.id, "stage": m.stage, "name": m.name[client.config.language],
             "unit": m.unit, "kind": m.kind, "good": m.good}
            for m in chosen
        ]
    )  # fmt: skip
    return info.merge(table, on="metric", how="left")
