"""The compass: one key metric per journey stage, now and before, and which stage to fix first.

The ranking rule (stated on the report by :func:`compass_rule`):

1. stages whose key metric misses its target from ``client.yaml`` (``stages.<stage>.target``),
   the largest relative shortfall first;
2. then stages whose key metric got **significantly** worse than in the period before (Holm
   over the five key metrics, α = 0.05), the largest relative deterioration first;
3. then stages that got worse without a significant (or testable) change, the largest first;
4. then the rest, the smallest improvement first;
5. stages whose key metric has no data in the period before (and meets or has no target) are not
   ranked: there is nothing to compare with ("no earlier data");
6. stages whose key metric cannot be computed from the client's data come last.

When the client's data lacks a column the preset key metric needs, the preset's fallback is
used (:data:`FALLBACK`: the B2B win rate ``won / SQL`` becomes ``won / MQL`` when the CRM has no
SQL date).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..core.formatting import format_number, format_value
from ..core.i18n import gettext
from ..metrics.base import Metric
from ..metrics.catalogue import get_metric
from ..metrics.compare import NO_EARLIER, compare_periods
from .mapping import resolve_stages
from .presets import STAGE_NAMES_RU, stage_name

if TYPE_CHECKING:
    from ..data.loader import Client

__all__ = [
    "FALLBACK",
    "RULE_OF_STATUS",
    "STAGE_NAMES_RU",
    "compass",
    "compass_rule",
    "compass_sentence",
    "key_metric",
]

_GROUP = {"below target": 0, "significantly worse": 1, "worse": 2, "no worse": 3,
          NO_EARLIER: 4, "no data": 5}  # fmt: skip

#: A preset key metric the client's data cannot compute → the one used instead.
FALLBACK = {
    "win_rate": "mql_to_won",
    "mql_to_sql": "mql_rate",
    # the account-based preset falls back to the lead and customer metrics without accounts
    "target_account_coverage": "visitors",
    "engaged_target_accounts": "mql_to_sql",
    "account_win_rate": "win_rate",
    "account_retention": "retention_rate",
    # without a site's events, engagement and reach come from e-mail and social networks
    "engagement_rate": "email_click_rate",
    "email_click_rate": "social_engagement_rate",
    "visitors": "social_reach",
}

_RULE = {
    "en": "Stages are ranked by four rules, in this order: (1) a key metric below the target the "
    "consultant set, largest shortfall first; (2) a significant deterioration against the "
    "previous period, largest first (significant: unlikely to be chance — two-sided tests, "
    "Holm-corrected over the five key metrics, α = 0.05); (3) a deterioration that is not "
    "significant or cannot be tested, largest first; (4) the rest, smallest improvement first. "
    "Stages without data in the previous period are not ranked; stages without the data for "
    "their key metric come last.",
    "ru": "Этапы упорядочены по четырём правилам, в таком порядке: (1) ключевая метрика ниже "
    "цели, заданной консультантом, — сначала наибольшее отставание; (2) значимое ухудшение по "
    "сравнению с прошлым периодом — сначала наибольшее (значимое — то есть вряд ли случайное: "
    "двусторонние тесты с поправкой Холма на пять ключевых метрик, α = 0,05); (3) ухудшение "
    "незначимое или не поддающееся проверке — сначала наибольшее; (4) остальные — сначала "
    "наименьшее улучшение. Этапы без данных за прошлый период не ранжируются; этапы, для "
    "ключевой метрики которых нет данных, идут последними.",
}

#: Which rule of :func:`compass_rule` ranks a stage with each status (None: not ranked).
RULE_OF_STATUS = {"below target": 1, "significantly worse": 2, "worse": 3, "no worse": 4}


def compass_rule(language: str = "en") -> str:
    """The ranking rule in words (English or Russian)."""
    return _RULE[language]


def _gap(good: str, value: float, target: float | None) -> float:
    """Relative shortfall to the target in the metric's good direction (< 0: target met)."""
    if target is None or pd.isna(value):
        return np.nan
    scale = abs(target) if target != 0 else 1.0
    return (target - value) / scale if good == "up" else (value - target) / scale


def _worsening(good: str, relative: float) -> float:
    """Relative change signed so that positive means worse."""
    if pd.isna(relative):
        return np.nan
    return -relative if good == "up" else relative


def key_metric(client: Client, key: str, origin: str) -> Metric:
    """The stage's key metric, or the preset's fallback when the data cannot compute it.

    Examples
    --------
    >>> from funnelkit import load_client
    >>> key_metric(load_client(emit_warnings=False), "win_rate", "preset").id
    'win_rate'
    """
    metric = get_metric(key)
    if origin != "preset":
        return metric
    candidate = metric
    while not candidate.supported(client) and candidate.id in FALLBACK:  # follow the chain
        candidate = get_metric(FALLBACK[candidate.id])
        if candidate.supported(client):
            return candidate
    return metric


def _fallback_why(client: Client, preset: str, used: str) -> str:
    old, new = get_metric(preset), get_metric(used)
    missing = ", ".join(old.missing(client))
    if client.config.language == "ru":
        return f"{new.name['ru']} вместо «{old.name['ru']}»: в данных нет {missing}"
    return f"{new.name['en']} instead of {old.name['en']}: the data has no {missing}"


def compass(client: Client, *, alpha: float = 0.05) -> pd.DataFrame:
    """The five key metrics, now and in the period before, ranked by which stage needs work first.

    Parameters
    ----------
    client : funnelkit.data.loader.Client
    alpha : float, default 0.05
        Significance level after Holm's correction over the key metrics.

    Returns
    -------
    pandas.DataFrame
        One row per stage in rank order: ``rank, stage, key_metric, name, unit, good, value,
        ci_low, ci_high, previous_value, change, relative_change, test, p_value,
        p_value_adjusted, significant, target, gap_to_target, status`` ("below target",
        "significantly worse", "worse", "no worse", "no data"), ``why`` (why this key metric),
        ``key_metric_origin`` ("client.yaml" or "preset"), ``note``.

    Examples
    --------
    >>> from funnelkit import load_client
    >>> table = compass(load_client(emit_warnings=False))
    >>> table["stage"].tolist()[0], len(table)
    ('retention', 5)
    """
    language = client.config.language
    plans = resolve_stages(client)
    metrics = {p.stage: key_metric(client, p.key_metric, p.origin["key_metric"]) for p in plans}
    computable = list(dict.fromkeys(m.id for m in metrics.values() if m.supported(client)))
    changes = compare_periods(client, computable, alpha=alpha).set_index("metric")
    rows: list[dict[str, Any]] = []
    for plan in plans:
        metric = metrics[plan.stage]
        row: dict[str, Any] = {
            "stage": plan.stage,
            "key_metric": metric.id,
            "name": metric.name[language],
            "unit": metric.unit,
            "good": metric.good,
            "target": plan.target,
            "why": plan.reason.get(language, "") if plan.origin["key_metric"] == "preset" else (
                "chosen by the consultant" if language == "en" else "выбрана консультантом"),
            "key_metric_origin": plan.origin["key_metric"],
        }  # fmt: skip
        if metric.id != plan.key_metric:
            row["why"] = _fallback_why(client, plan.key_metric, metric.id)
        if metric.id not in changes.index:
            missing = ", ".join(metric.missing(client))
            needs = gettext("needs {columns}", language).format(columns=missing)
            rows.append({**row, "status": "no data", "note": needs})
            continue
        found = changes.loc[metric.id]
        for column in ("value", "ci_low", "ci_high", "previous_value", "change",
                       "relative_change", "test", "p_value", "p_value_adjusted", "significant",
                       "note"):  # fmt: skip
            row[column] = found[column]
        row["gap_to_target"] = _gap(metric.good, found["value"], plan.target)
        worse_by = _worsening(metric.good, found["relative_change"])
        if pd.isna(found["value"]):
            status = "no data"
        elif row["gap_to_target"] > 0:
            status = "below target"
        elif found["verdict"] == NO_EARLIER:
            status = NO_EARLIER
        elif worse_by > 0 and found["significant"]:
            status = "significantly worse"
        elif worse_by > 0:
            status = "worse"
        else:
            status = "no worse"
        row["status"] = status
        row["_worse_by"] = worse_by
        rows.append(row)
    table = pd.DataFrame(rows)
    for column in ("gap_to_target", "_worse_by"):
        if column not in table:
            table[column] = np.nan
    table["_group"] = table["status"].map(_GROUP)
    table["_key"] = np.where(table["status"] == "below target", -table["gap_to_target"],
                             -table["_worse_by"].fillna(-np.inf))  # fmt: skip
    table = table.sort_values(["_group", "_key"], kind="stable").reset_index(drop=True)
    judged = table["_group"] < _GROUP[NO_EARLIER]
    ranked = ((table["status"] != NO_EARLIER) & judged.any()).to_numpy()
    table.insert(0, "rank", np.where(ranked, np.cumsum(ranked), np.nan))
    columns = ["rank", "stage", "key_metric", "name", "unit", "good", "value", "ci_low",
               "ci_high", "previous_value", "change", "relative_change", "test", "p_value",
               "p_value_adjusted", "significant", "target", "gap_to_target", "status", "why",
               "key_metric_origin", "note"]  # fmt: skip
    return table.reindex(columns=columns)


_SENTENCES = {
    "below target": "Fix **{stage}** first: {metric} went from {before} to {now}{moved}. It ranks "
    "first by rule 1: its key metric is below the target of {target}.",
    "significantly worse": "Fix **{stage}** first: {metric} went from {before} to {now}{moved}. "
    "It ranks first by rule 2: a significant deterioration against the previous period "
    "(adjusted p {p}).",
    "worse": "Fix **{stage}** first: {metric} went from {before} to {now}{moved}. It ranks first "
    "by rule 3: the largest deterioration, though not a significant one, so watch it rather "
    "than act on it alone.",
    "no worse": "Fix **{stage}** first: {metric} went from {before} to {now}{moved}. It ranks "
    "first by rule 4: no stage got worse, and this one improved the least.",
}


def compass_sentence(table: pd.DataFrame, *, language: str = "en", currency: str = "") -> str:
    r"""The "fix this stage first" sentence for the top row of :func:`compass`.

    It names the rule of :func:`compass_rule` that put the stage first.

    Examples
    --------
    >>> row = {"rank": 1, "stage": "purchase", "name": "Conversion rate", "unit": "share",
    ...        "value": 0.05, "previous_value": 0.06, "relative_change": -1 / 6,
    ...        "p_value_adjusted": 0.002, "status": "significantly worse", "target": None,
    ...        "gap_to_target": float("nan")}
    >>> print(compass_sentence(pd.DataFrame([row])))
    Fix **purchase** first: Conversion rate went from 6.0% to 5.0% (−17%). It ranks first by rule 2: a significant deterioration against the previous period (adjusted p = 0.002).
    >>> print(compass_sentence(pd.DataFrame([row]), language="ru").replace("\xa0", " "))
    Начните с этапа «покупка»: Conversion rate — было 6,0 %, стало 5,0 % (−17 %). Он первый по правилу 2: значимое ухудшение по сравнению с прошлым периодом (скорректированное p = 0,002).
    """  # noqa: E501
    if table.empty:
        return gettext("No stage can be judged: no key metric could be computed.", language)
    top = table.iloc[0]
    if top["status"] == "no data":
        return gettext(
            "No stage can be judged: no key metric can be computed from this client's data.",
            language,
        )
    if top["status"] == NO_EARLIER:
        return gettext(
            "No stage is ranked: there is no earlier data to compare with (targets set by the "
            "consultant are checked without it).",
            language,
        )
    unit = top["unit"]
    change = top["relative_change"]
    target = top.get("target")
    return gettext(_SENTENCES[top["status"]], language).format(
        stage=stage_name(top["stage"], language),
        metric=top["name"],
        before=format_value(top["previous_value"], unit, currency, language=language),
        now=format_value(top["value"], unit, currency, language=language),
        moved=f" ({format_number(change, 'lift', language=language)})" if pd.notna(change) else "",
        target=format_value(target, unit, currency, language=language)
        if target is not None and pd.notna(target)
        else "–",
        p=format_number(top["p_value_adjusted"], "p", language=language),
    )
