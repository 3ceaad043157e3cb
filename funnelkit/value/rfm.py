"""RFM: recency, frequency and monetary scores per customer, named segments and their audiences.

Per customer, from every order up to the analysis date ``as_of`` (the period's last day by
default; the whole history before it, not only the period): **recency** = days from the last
order's day to ``as_of`` (0 = bought that day), **frequency** = orders, **monetary** = revenue.

Each becomes a score 1..``bins`` by rank (quintiles by default): customers are ranked from worst
to best (recency: longest ago first; frequency and monetary: smallest first), **equal values
share the lowest rank of their group** (SQL ``rank()``, pandas ``method="min"``), and the score is
``floor((rank − 1) × bins / n) + 1``. Customers with the same value therefore always get the same
score: where most customers have one order, they all get F = 1, and the higher F scores hold
fewer customers than a fifth each (a score holding nobody is possible). Scores are computed in
DuckDB with window functions.

Segments come from the usual R × F grid (:data:`SEGMENT_RULES`, eleven segments covering the 25
cells once); monetary is shown, not used to name a segment. With ``bins`` other than 5 the
grid reads the scores on the quintile scale, ``ceil(score × 5 / bins)`` (exact for deciles).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..core.errors import AnalysisError, DataError, did_you_mean
from ..data.validate import q

if TYPE_CHECKING:
    from ..data.loader import Client

__all__ = [
    "SEGMENT_RULES",
    "SegmentRule",
    "rfm_scores",
    "rfm_segments",
    "segment_of",
    "segment_rules",
    "write_segment_audiences",
]

SCORE_COLUMNS = [
    "customer_id", "recency", "frequency", "monetary", "r_score", "f_score", "m_score",
    "rfm_code", "segment",
]  # fmt: skip


@dataclass(frozen=True)
class SegmentRule:
    """One named segment: its cells of the R × F grid (quintile scores, inclusive ranges)."""

    segment: str
    recency: tuple[int, int]
    frequency: tuple[int, int]
    name: dict[str, str]
    rule: dict[str, str]
    action: dict[str, str]


def _r(segment, recency, frequency, name, rule, action) -> SegmentRule:
    return SegmentRule(segment, recency, frequency, name, rule, action)


#: The segments in order of value, each with its grid cells, its rule in words and what to do.
SEGMENT_RULES: tuple[SegmentRule, ...] = (
    _r("champions", (5, 5), (4, 5), {"en": "Champions", "ru": "Чемпионы"},
       {"en": "R 5, F 4–5: bought most recently and most often",
        "ru": "R 5, F 4–5: покупали совсем недавно и чаще всех"},
       {"en": "Reward them; early access to new products; ask for reviews and referrals",
        "ru": "Поощрять; давать ранний доступ к новинкам; просить отзывы и рекомендации"}),
    _r("loyal", (3, 4), (4, 5), {"en": "Loyal", "ru": "Лояльные"},
       {"en": "R 3–4, F 4–5: buy often, bought recently",
        "ru": "R 3–4, F 4–5: покупают часто, покупали недавно"},
       {"en": "Upsell higher-value products; loyalty programme",
        "ru": "Предлагать более дорогие товары; программа лояльности"}),
    _r("potential_loyalists", (4, 5), (2, 3),
       {"en": "Potential loyalists", "ru": "Потенциально лояльные"},
       {"en": "R 4–5, F 2–3: recent customers with a few orders",
        "ru": "R 4–5, F 2–3: недавние покупатели с несколькими заказами"},
       {"en": "Offer membership or a loyalty programme; recommend related products",
        "ru": "Предложить членство или программу лояльности; рекомендовать сопутствующие товары"}),
    _r("new", (5, 5), (1, 1), {"en": "New customers", "ru": "Новые"},
       {"en": "R 5, F 1: first order very recently", "ru": "R 5, F 1: первый заказ совсем недавно"},
       {"en": "Onboarding; help them succeed with the first purchase; a reason for a second",
        "ru": "Онбординг; помочь с первой покупкой; дать повод для второй"}),
    _r("promising", (4, 4), (1, 1), {"en": "Promising", "ru": "Перспективные"},
       {"en": "R 4, F 1: one recent order", "ru": "R 4, F 1: один недавний заказ"},
       {"en": "Build brand awareness; a free trial or a second-order offer",
        "ru": "Знакомить с брендом; пробный период или предложение на второй заказ"}),
    _r("need_attention", (3, 3), (3, 3), {"en": "Need attention", "ru": "Требуют внимания"},
       {"en": "R 3, F 3: average recency and frequency",
        "ru": "R 3, F 3: средние давность и частота"},
       {"en": "Limited-time offers; recommend from their purchase history",
        "ru": "Ограниченные по времени предложения; рекомендации по истории покупок"}),
    _r("about_to_sleep", (3, 3), (1, 2), {"en": "About to sleep", "ru": "Засыпающие"},
       {"en": "R 3, F 1–2: fading, few orders", "ru": "R 3, F 1–2: остывают, заказов мало"},
       {"en": "Share popular products and discounts; reconnect before they go",
        "ru": "Показать популярные товары и скидки; напомнить о себе, пока не ушли"}),
    _r("at_risk", (1, 2), (3, 4), {"en": "At risk", "ru": "Под угрозой ухода"},
       {"en": "R 1–2, F 3–4: bought often, but long ago",
        "ru": "R 1–2, F 3–4: покупали часто, но давно"},
       {"en": "Personal win-back emails; renewals and helpful resources",
        "ru": "Персональные письма для возврата; продления и полезные материалы"}),
    _r("cant_lose_them", (1, 2), (5, 5), {"en": "Can't lose them", "ru": "Нельзя потерять"},
       {"en": "R 1–2, F 5: the most frequent buyers, gone quiet",
        "ru": "R 1–2, F 5: самые частые покупатели, которые затихли"},
       {"en": "Win them back with a personal call or offer; ask what went wrong",
        "ru": "Вернуть личным звонком или предложением; узнать, что пошло не так"}),
    _r("hibernating", (2, 2), (1, 2), {"en": "Hibernating", "ru": "Спящие"},
       {"en": "R 2, F 1–2: few orders, long ago", "ru": "R 2, F 1–2: мало заказов, давно"},
       {"en": "Offer other relevant products and special discounts; recreate value",
        "ru": "Предложить другие подходящие товары и особые скидки; напомнить о ценности"}),
    _r("lost", (1, 1), (1, 2), {"en": "Lost", "ru": "Потерянные"},
       {"en": "R 1, F 1–2: few orders, longest ago",
        "ru": "R 1, F 1–2: мало заказов, дольше всех назад"},
       {"en": "Revive interest with a reach-out campaign; otherwise spend nothing on them",
        "ru": "Попробовать вернуть рассылкой; иначе не тратить на них бюджет"}),
)  # fmt: skip

SEGMENTS = [rule.segment for rule in SEGMENT_RULES]
_GRID = np.empty((5, 5), dtype=object)
for _rule in SEGMENT_RULES:
    _GRID[_rule.recency[0] - 1 : _rule.recency[1], _rule.frequency[0] - 1 : _rule.frequency[1]] = (
        _rule.segment
    )
del _rule


def segment_of(r_score: Any, f_score: Any) -> np.ndarray:
    """The segment of each (R, F) pair of quintile scores 1..5, by :data:`SEGMENT_RULES`.

    Examples
    --------
    >>> segment_of([5, 5, 1], [5, 3, 1]).tolist()
    ['champions', 'potential_loyalists', 'lost']
    """
    r, f = np.asarray(r_score, dtype=int), np.asarray(f_score, dtype=int)
    if r.size and (min(r.min(), f.min()) < 1 or max(r.max(), f.max()) > 5):
        raise AnalysisError(
            "R and F scores must be quintile scores from 1 to 5, but "
            f"{sorted(set(r.tolist()) | set(f.tolist()))} were passed."
        )
    return _GRID[r - 1, f - 1] if r.size else np.array([], dtype=object)


def segment_rules(language: str = "en") -> pd.DataFrame:
    """:data:`SEGMENT_RULES` as a table in one language: segment, name, rule, action.

    Examples
    --------
    >>> segment_rules("ru").loc[0, ["segment", "name"]].tolist()
    ['champions', 'Чемпионы']
    """
    if language not in ("en", "ru"):
        raise AnalysisError(f"`language` must be 'en' or 'ru', but {language!r} was passed.")
    return pd.DataFrame(
        [
            {"segment": r.segment, "name": r.name[language], "rule": r.rule[language],
             "action": r.action[language]}
            for r in SEGMENT_RULES
        ]
    )  # fmt: skip


def _as_of(client: Client, as_of: Any) -> date:
    if as_of is None:
        return client.config.period.end
    try:
        day = pd.Timestamp(as_of)
    except (TypeError, ValueError):
        day = pd.NaT
    if pd.isna(day):
        raise AnalysisError(
            f"`as_of` must be a date such as '2026-10-31' (recency is counted to that day), but "
            f"{as_of!r} was passed; leave it out to use the analysis period's last day."
        )
    return day.date()


def rfm_scores(client: Client, *, as_of: Any = None, bins: int = 5) -> pd.DataFrame:
    """Recency, frequency, monetary and their scores per customer, with the named segment.

    Parameters
    ----------
    client : Client
        A loaded client with an ``orders`` table.
    as_of : date or str, optional, keyword-only
        The analysis date: orders after it are ignored and recency is counted to it. Default:
        the analysis period's last day (``client.config.period.end``).
    bins : int, keyword-only
        Number of score levels, 2..10 (default 5, quintiles).

    Returns
    -------
    pandas.DataFrame
        One row per customer, ordered by ``customer_id``: ``recency`` (days), ``frequency``
        (orders), ``monetary`` (revenue), ``r_score``/``f_score``/``m_score`` (1..bins, higher
        is better, ties by rank first), ``rfm_code`` (e.g. ``"545"``; ``"10-3-7"`` for
        deciles) and ``segment`` (a
        :data:`SEGMENT_RULES` name, categorical in that order). ``attrs["as_of"]`` holds the day.

    Raises
    ------
    DataError
        The client has no orders table.
    AnalysisError
        ``as_of`` or ``bins`` is not usable.

    Examples
    --------
    >>> from funnelkit import load_client
    >>> client = load_client(emit_warnings=False)
    >>> scores = rfm_scores(client)
    >>> len(scores), scores["r_score"].value_counts().sort_index().tolist()
    (2450, [491, 503, 501, 479, 476])
    >>> scores.head(3)[["customer_id", "recency", "frequency", "monetary", "rfm_code", "segment"]]
      customer_id  recency  frequency  monetary rfm_code         segment
    0     u000035       34          1    108.37      315  about_to_sleep
    1     u000058       77          1     95.54      114            lost
    2     u000059        1          1     88.58      514             new
    """
    if not client.has("orders"):
        raise DataError(
            f"{client.name}: RFM scores need the `orders` table, and none is configured; add "
            "`data.orders` to client.yaml (see docs/data.md for its columns).",
            table="orders",
        )
    if isinstance(bins, bool) or not isinstance(bins, int | np.integer) or not 2 <= bins <= 10:
        raise AnalysisError(
            f"`bins` must be a whole number from 2 to 10 (5 gives quintiles), but {bins!r} was "
            "passed."
        )
    day = _as_of(client, as_of)
    stop = f"TIMESTAMP '{day + timedelta(days=1):%Y-%m-%d}'"
    t = q("timestamp")

    def score(order: str) -> str:
        return f"((rank() OVER (ORDER BY {order}) - 1) * {int(bins)}) // n + 1"

    scores = client.sql(f"""
        WITH c AS (
            SELECT customer_id,
                   date_diff('day', CAST(max({t}) AS DATE), DATE '{day:%Y-%m-%d}') AS recency,
                   count(*) AS frequency, COALESCE(sum({q("revenue")}), 0) AS monetary
            FROM orders WHERE {t} < {stop} AND customer_id IS NOT NULL GROUP BY 1),
        s AS (SELECT *, count(*) OVER () AS n FROM c)
        SELECT customer_id, recency, frequency, monetary,
               {score("recency DESC")} AS r_score, {score("frequency")} AS f_score,
               {score("monetary")} AS m_score
        FROM s ORDER BY customer_id""")
    for column in ("recency", "frequency", "r_score", "f_score", "m_score"):
        scores[column] = scores[column].astype("int64")
    scores["monetary"] = scores["monetary"].astype(float)
    sep = "-" if bins > 9 else ""  # deciles: "10-3-7", not the ambiguous "1037"
    scores["rfm_code"] = (
        scores["r_score"].astype(str) + sep + scores["f_score"].astype(str) + sep
        + scores["m_score"].astype(str)
    )  # fmt: skip
    r5 = np.ceil(scores["r_score"].to_numpy() * 5 / bins).astype(int)
    f5 = np.ceil(scores["f_score"].to_numpy() * 5 / bins).astype(int)
    scores["segment"] = pd.Categorical(segment_of(r5, f5), categories=SEGMENTS)
    scores = scores[SCORE_COLUMNS]
    scores.attrs["as_of"] = day
    return scores


def rfm_segments(scores: pd.DataFrame) -> pd.DataFrame:
    """One row per segment (all of :data:`SEGMENT_RULES`, in order, empty ones with 0).

    Parameters
    ----------
    scores : pandas.DataFrame
        The table of :func:`rfm_scores`.

    Returns
    -------
    pandas.DataFrame
        ``segment, customers, share`` (of all customers), ``revenue, revenue_share``,
        ``mean_recency, mean_frequency, mean_monetary`` (NaN for an empty segment),
        ``action_en, action_ru``.

    Examples
    --------
    >>> from funnelkit import load_client
    >>> client = load_client(emit_warnings=False)
    >>> table = rfm_segments(rfm_scores(client))
    >>> int(table["customers"].sum()), round(float(table["share"].sum()), 6)
    (2450, 1.0)
    >>> table.loc[0, ["segment", "action_en"]].tolist()[0]
    'champions'
    """
    missing = [c for c in ("segment", "customer_id", "recency", "frequency", "monetary")
               if not isinstance(scores, pd.DataFrame) or c not in scores.columns]  # fmt: skip
    if missing:
        found = list(scores.columns) if isinstance(scores, pd.DataFrame) else type(scores).__name__
        raise AnalysisError(
            f"rfm_segments takes the table of rfm_scores(), but the column {missing[0]!r} is "
            f"missing (got {found}); pass rfm_scores(client)."
        )
    _known_segments(scores["segment"])
    segment = pd.Categorical(scores["segment"].astype(str), categories=SEGMENTS)
    out = (
        scores.assign(segment=segment)
        .groupby("segment", observed=False)
        .agg(
            customers=("customer_id", "size"),
            revenue=("monetary", "sum"),
            mean_recency=("recency", "mean"),
            mean_frequency=("frequency", "mean"),
            mean_monetary=("monetary", "mean"),
        )
        .reset_index()
    )
    total, revenue = out["customers"].sum(), out["revenue"].sum()
    out["share"] = out["customers"] / total if total else np.nan
    out["revenue_share"] = out["revenue"] / revenue if revenue else np.nan
    out["segment"] = out["segment"].astype(str)
    rules = {r.segment: r for r in SEGMENT_RULES}
    out["action_en"] = [rules[s].action["en"] for s in out["segment"]]
    out["action_ru"] = [rules[s].action["ru"] for s in out["segment"]]
    return out[
        ["segment", "customers", "share", "revenue", "revenue_share", "mean_recency",
         "mean_frequency", "mean_monetary", "action_en", "action_ru"]
    ]  # fmt: skip


def write_segment_audiences(scores: pd.DataFrame, results_path: str | Path) -> dict[str, Path]:
    """Write ``audience_rfm_<segment>.csv`` per non-empty segment next to the report.

    The report folder is the folder of ``results_path``; with an empty ``results_path`` (an
    interactive run, nbval) nothing is written. Each file holds the segment's customers:
    ``customer_id, recency, frequency, monetary, rfm_code``. The ids never go into the HTML.

    Parameters
    ----------
    scores : pandas.DataFrame
        The table of :func:`rfm_scores`.
    results_path : str or pathlib.Path
        The notebook's ``results_path`` parameter (empty when run interactively).

    Returns
    -------
    dict of str to pathlib.Path
        Segment → the file written (empty when nothing was written).

    Examples
    --------
    >>> write_segment_audiences(pd.DataFrame({"customer_id": ["a"], "segment": ["new"]}), "")
    {}
    """
    if not str(results_path or "").strip():
        return {}
    if not isinstance(scores, pd.DataFrame) or not {"customer_id", "segment"} <= set(scores):
        raise AnalysisError(
            "write_segment_audiences takes the table of rfm_scores() (columns customer_id and "
            "segment); pass rfm_scores(client)."
        )
    _known_segments(scores["segment"])
    folder = Path(results_path).parent
    folder.mkdir(parents=True, exist_ok=True)
    keep = [
        c for c in ("customer_id", "recency", "frequency", "monetary", "rfm_code") if c in scores
    ]
    written = {}
    for segment in SEGMENTS:
        rows = scores.loc[scores["segment"].astype(str) == segment, keep]
        if rows.empty:
            continue
        target = folder / f"audience_rfm_{re.sub(r'[^A-Za-z0-9_]+', '_', segment)}.csv"
        rows.to_csv(target, index=False)
        written[segment] = target
    return written


def _known_segments(values: pd.Series) -> None:
    unknown = sorted(set(values.astype(str)) - set(SEGMENTS))
    if unknown:
        raise AnalysisError(
            f"unknown segment {unknown[0]!r}{did_you_mean(unknown[0], SEGMENTS, sentence=False)}"
            f"; the segments are {SEGMENTS} (the `segment` column of rfm_scores())."
        )
