"""Advocacy metrics from NPS answers: NPS with its interval, advocates, promoter/detractor shares.

Answers count in the window of their ``timestamp``. Promoters answer 9–10, passives 7–8,
detractors 0–6. NPS = 100 × (promoters − detractors) / answers; its 95% interval uses the
standard NPS variance (see :func:`funnelkit.metrics.base.nps_frame`). A respondent who answers
twice counts twice (each answer is a vote), as survey tools count.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from ..data.validate import q
from .base import (
    Metric,
    Window,
    check_group,
    count_frame,
    define,
    label_sql,
    nps_frame,
    proportion_frame,
)

if TYPE_CHECKING:
    from ..data.loader import Client

__all__ = ["METRICS", "advocates", "detractor_share", "nps", "promoter_share"]

NPS_GROUPS = ("segment",)


def _counts(client: Client, window: Window, by: str | None) -> pd.DataFrame:
    group = label_sql("segment")
    select = f"{group} AS {q(by)}, " if by else ""
    tail = " GROUP BY 1 ORDER BY 1" if by else ""
    return client.sql(
        f"SELECT {select}count_if(score >= 9) AS promoters, "
        "count_if(score BETWEEN 7 AND 8) AS passives, count_if(score <= 6) AS detractors, "
        "count(DISTINCT respondent_id) FILTER (WHERE score >= 9) AS advocates "
        f"FROM nps WHERE {window.sql('timestamp')}{tail}"
    )


def nps(client: Client, window: Window, by: str | None = None) -> pd.DataFrame:
    """Net Promoter Score of the answers in the window, with promoters/passives/detractors.

    Examples
    --------
    >>> from funnelkit import load_client
    >>> from funnelkit.metrics.base import window
    >>> client = load_client(emit_warnings=False)
    >>> nps(client, window(client))[["value", "promoters", "passives", "detractors"]].round(1)
       value  promoters  passives  detractors
    0   31.2        239       166          86
    """
    check_group("nps", by, NPS_GROUPS)
    counts = _counts(client, window, by).drop(columns="advocates")
    return nps_frame("nps", counts, by=by)


def advocates(client: Client, window: Window, by: str | None = None) -> pd.DataFrame:
    """Advocates: distinct respondents who answered 9 or 10 in the window."""
    check_group("advocates", by, NPS_GROUPS)
    counts = _counts(client, window, by)
    counts = counts.rename(columns={"advocates": "numerator"})
    return count_frame("advocates", counts[([by] if by else []) + ["numerator"]], by=by)


def _share(metric: str, column: str, client: Client, window: Window, by: str | None):
    check_group(metric, by, NPS_GROUPS)
    counts = _counts(client, window, by)
    counts["numerator"] = counts[column]
    counts["denominator"] = counts["promoters"] + counts["passives"] + counts["detractors"]
    counts = counts[([by] if by else []) + ["numerator", "denominator"]]
    return proportion_frame(metric, counts, by=by, zero="no NPS answers in the period")


def promoter_share(client: Client, window: Window, by: str | None = None) -> pd.DataFrame:
    """Share of answers that are 9 or 10, Wilson 95% CI."""
    return _share("promoter_share", "promoters", client, window, by)


def detractor_share(client: Client, window: Window, by: str | None = None) -> pd.DataFrame:
    """Share of answers from 0 to 6, Wilson 95% CI."""
    return _share("detractor_share", "detractors", client, window, by)


def _metric(id_: str, kind: str, unit: str, good: str, **fields: object) -> Metric:
    return define(id_, "advocacy", kind, unit, good, **fields)


_NPS = (("nps", ("respondent_id", "timestamp", "score")),)

METRICS = [
    _metric(
        "nps", "nps", "score", "up",
        name={"en": "Net Promoter Score (NPS)", "ru": "Индекс потребительской лояльности (NPS)"},
        definition={
            "en": "Promoters (9–10) minus detractors (0–6), as % of answers, from −100 to 100.",
            "ru": "Доля промоутеров (9–10) минус доля критиков (0–6), от −100 до 100.",
        },
        formula="100 × (promoters − detractors) / answers",
        needs=_NPS, compute=nps, groups=NPS_GROUPS,
    ),
    _metric(
        "advocates", "count", "people", "up",
        name={"en": "Advocates", "ru": "Сторонники"},
        definition={
            "en": "Distinct customers who answered 9 or 10 (would recommend) in the period.",
            "ru": "Уникальные клиенты, ответившие 9 или 10 (готовы рекомендовать) за период.",
        },
        formula="count(distinct respondents with score >= 9)",
        needs=_NPS, compute=advocates, groups=NPS_GROUPS,
    ),
    _metric(
        "promoter_share", "proportion", "share", "up",
        name={"en": "Promoter share", "ru": "Доля промоутеров"},
        definition={
            "en": "Share of NPS answers that are 9 or 10.",
            "ru": "Доля ответов NPS с оценкой 9 или 10.",
        },
        formula="answers >= 9 / answers",
        needs=_NPS, compute=promoter_share, groups=NPS_GROUPS,
    ),
    _metric(
        "detractor_share", "proportion", "share", "down",
        name={"en": "Detractor share", "ru": "Доля критиков"},
        definition={
            "en": "Share of NPS answers from 0 to 6.",
            "ru": "Доля ответов NPS с оценкой от 0 до 6.",
        },
        formula="answers <= 6 / answers",
        needs=_NPS, compute=detractor_share, groups=NPS_GROUPS,
    ),
]  # fmt: skip
