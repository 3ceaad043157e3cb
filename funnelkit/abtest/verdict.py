"""A verdict a client can act on: one sentence set per experiment, variant and metric, EN and RU.

Takes the tidy comparisons of :func:`funnelkit.abtest.experiment.analyze_experiment` (one row per
metric and variant against control) and the experiment's checks, and decides, in this order:

1. ``withheld``: a check is blocking (a sample ratio mismatch): no winner, the reason given;
2. ``not_yet_conclusive``: the planned sample size or end date is not reached (peeking), with
   how much is left;
3. ``guardrail_blocked``: the goal improved significantly but a guardrail metric got
   significantly worse (that guardrail's own row is ``guardrail_blocked`` too);
4. ``ship``: significantly better (for the goal metric: ship the variant);
5. ``keep_control``: significantly worse;
6. ``no_difference``: not significant; the text says how small a difference the test could see.

"Significant" means the adjusted p-value (Holm by default, when several variants share a
control) is below the experiment's alpha. Every metric here is better when higher.
"""

from __future__ import annotations

import pandas as pd

from ..core.formatting import format_number
from ..core.stats.arguments import AnalysisError
from .checks import PEEKING_CHECKS

__all__ = [
    "DECISIONS",
    "METRICS",
    "decide",
    "overall_decision",
    "verdict_text",
    "verdicts",
]

#: The possible decisions.
DECISIONS = ("ship", "keep_control", "no_difference", "withheld", "not_yet_conclusive",
             "guardrail_blocked")  # fmt: skip

#: Metric name -> unit and names (EN; RU nominative and accusative).
METRICS: dict[str, dict[str, str]] = {
    "conversion": {"unit": "share", "en": "conversion", "ru": "конверсия", "ru_acc": "конверсию"},
    "revenue_per_user": {"unit": "money", "en": "revenue per user",
                         "ru": "выручка на пользователя", "ru_acc": "выручку на пользователя"},
    "orders_per_user": {"unit": "count", "en": "orders per user",
                        "ru": "число заказов на пользователя",
                        "ru_acc": "число заказов на пользователя"},
    "revenue_per_buyer": {"unit": "money", "en": "revenue per buyer (AOV among buyers)",
                          "ru": "выручка на покупателя (средний чек покупателя)",
                          "ru_acc": "выручку на покупателя (средний чек покупателя)"},
}  # fmt: skip
VERDICT_COLUMNS = ["experiment", "variant", "metric", "decision", "text_en", "text_ru"]


def _significant(row: pd.Series, alpha: float) -> bool:
    p = row.get("p_value_adjusted")
    if p is None or pd.isna(p):
        p = row.get("p_value")
    return p is not None and not pd.isna(p) and p < alpha


def decide(
    row: pd.Series, checks: pd.DataFrame, *, alpha: float, guardrail_worse: bool = False
) -> str:
    """The decision for one comparison row (see the module notes for the order of the rules).

    ``guardrail_worse`` says whether a guardrail metric got significantly worse for the same
    variant (it turns a goal "ship" into ``guardrail_blocked``).
    """
    if (checks["status"] == "blocking").any():
        return "withheld"
    if (checks["check"].isin(PEEKING_CHECKS) & (checks["status"] != "ok")).any():
        return "not_yet_conclusive"
    if not _significant(row, alpha):
        return "no_difference"
    better = row["abs_lift"] > 0
    role = row.get("role", "goal")
    if role == "guardrail" and not better:
        return "guardrail_blocked"
    if better:
        return "guardrail_blocked" if role == "goal" and guardrail_worse else "ship"
    return "keep_control"


def _numbers(row: pd.Series, language: str, currency: str) -> dict[str, str]:
    unit = METRICS.get(row["metric"], {}).get("unit") or _unit(row)
    f = lambda v, u=unit: format_number(v, u, language=language, currency=currency)  # noqa: E731
    p = row.get("p_value_adjusted")
    p = row["p_value"] if p is None or pd.isna(p) else p
    level = f"{1 - row['alpha']:.0%}"
    adjusted = row.get("adjust_method") not in (None, "none") and row.get("comparisons", 1) > 1
    lift, low, high = (row.get(c) for c in ("rel_lift", "rel_ci_low", "rel_ci_high"))
    diff_unit = "lift"
    if pd.isna(low) or pd.isna(high):  # e.g. 0 conversions: the absolute difference instead
        lift, low, high = (row.get(c) for c in ("abs_lift", "abs_ci_low", "abs_ci_high"))
        diff_unit = "points" if unit == "share" else unit
    lift, low, high = (f(v, diff_unit) for v in (lift, low, high))
    if language == "ru":
        stats = f"{lift}, {level} ДИ от {low} до {high}, p {f(p, 'p')}" + (
            " с поправкой на множественные сравнения" if adjusted else ""
        )
    else:
        stats = f"{lift}, {level} CI {low} to {high}, p {f(p, 'p')}" + (
            f", {row['adjust_method'].capitalize()}-adjusted" if adjusted else ""
        )
    mde = row.get("mde_rel")
    if mde is None or pd.isna(mde):
        mde = (row["rel_ci_high"] - row["rel_ci_low"]) / 2
    return {
        "c": f(row["control_value"]),
        "x": f(row["value"]),
        "stats": stats,
        "mde": None if pd.isna(mde) else f(abs(mde), "lift").lstrip("+"),
    }


def _unit(row: pd.Series) -> str:
    """Unit of a metric outside :data:`METRICS` (a secondary goal): its ``unit`` column."""
    unit = row.get("unit")
    return unit if isinstance(unit, str) else "count"


def _names(row: pd.Series, goal: str | None) -> dict[str, str]:
    spec = METRICS.get(row["metric"], {"en": row["metric"], "ru": row["metric"]})
    en, ru, ru_acc = spec["en"], spec["ru"], spec.get("ru_acc", spec["ru"])
    if row["metric"].startswith("conversion:"):  # a secondary goal event
        goal = row["metric"].split(":", 1)[1]
        en, ru, ru_acc = f"conversion to {goal}", f"конверсия в {goal}", f"конверсию в {goal}"
    elif row["metric"] == "conversion" and goal:
        en, ru, ru_acc = f"conversion to {goal}", f"конверсия в {goal}", f"конверсию в {goal}"
    return {"en": en, "ru": ru, "ru_acc": ru_acc}


def verdict_text(
    row: pd.Series,
    decision: str,
    checks: pd.DataFrame,
    *,
    goal: str | None = None,
    currency: str = "EUR",
    guardrail: pd.Series | None = None,
) -> tuple[str, str]:
    """The English and Russian sentences for one comparison row and its decision.

    Parameters
    ----------
    row
        One comparison (metric, role, variant, control, value, control_value, rel_lift,
        rel_ci_low, rel_ci_high, p_value, p_value_adjusted, alpha, optional mde_rel).
    decision
        From :func:`decide`.
    checks
        The experiment's checks (for the split sentence, the SRM p-value and what is left).
    goal
        The goal event, to name conversion ("conversion to purchase").
    currency
        ISO code for money metrics.
    guardrail
        For a goal blocked by a guardrail: that guardrail's comparison row.

    Returns
    -------
    tuple of str
        ``(text_en, text_ru)``.
    """
    v, ctl = row["variant"], row["control"]
    name = _names(row, goal)
    en, ru = _numbers(row, "en", currency), _numbers(row, "ru", currency)
    role = row.get("role", "goal")
    srm = checks[checks["check"] == "srm"]
    srm_ok = not srm.empty and srm["status"].iloc[0] == "ok"
    split_en = " Sample split is healthy." if srm_ok else ""
    split_ru = " Распределение пользователей по группам в порядке." if srm_ok else ""
    if decision == "withheld":
        blocked = checks[checks["status"] == "blocking"].iloc[0]
        p = blocked["value"]
        p_en = f", p {format_number(p, 'p')}" if not pd.isna(p) else ""
        p_ru = f", p {format_number(p, 'p', language='ru')}" if not pd.isna(p) else ""
        return (
            f"Verdict withheld: users were not split between the variants as planned (sample "
            f"ratio mismatch{p_en}), so the groups may differ in more than the change tested. "
            f"Observed {name['en']}: {en['c']} in {ctl}, {en['x']} in {v}; do not act on it. "
            "Find the cause (often a logging, redirect or bot-filter bug), fix it and rerun "
            "the test.",
            f"Вывод не делается: пользователи распределились по вариантам не так, как "
            f"планировалось (нарушение пропорции выборки, SRM{p_ru}), поэтому группы могут "
            f"отличаться не только проверяемым изменением. Наблюдаемая {name['ru']}: {ru['c']} "
            f"в {ctl}, {ru['x']} в {v}; решения на этом не принимайте. Найдите причину (часто "
            "это ошибка логирования, перенаправления или фильтра ботов), устраните её и "
            "перезапустите тест.",
        )
    if decision == "not_yet_conclusive":
        left = checks[checks["check"].isin(PEEKING_CHECKS) & (checks["status"] != "ok")]
        left_en, left_ru = [], []
        for item in left.itertuples():
            n = int(item.value)
            if item.check == "sample_size":
                left_en.append(f"{n:,} more users per variant are needed")
                left_ru.append(f"нужно ещё {n:,} пользователей на вариант".replace(",", "\u202f"))
            else:
                left_en.append(f"{n} more day(s) until the planned end date")
                left_ru.append(f"до запланированной даты окончания осталось {n} дн.")
        return (
            f"Not yet conclusive: so far {name['en']} is {en['c']} in {ctl} and {en['x']} in {v} "
            f"({en['stats']}); {'; '.join(left_en)}. Do not stop the test early or pick a "
            "winner now: early results swing, and stopping at a lucky moment inflates false "
            "wins.",
            f"Пока рано делать вывод: сейчас {name['ru']} {ru['c']} в {ctl} и {ru['x']} в {v} "
            f"({ru['stats']}); {'; '.join(left_ru)}. Не останавливайте тест досрочно и не "
            "выбирайте победителя сейчас: ранние результаты колеблются, а остановка в удачный "
            "момент увеличивает число ложных побед.",
        )
    if decision == "guardrail_blocked" and role == "guardrail":
        return (
            f"Guardrail {name['en']} got significantly worse in {v}: {en['c']} in {ctl} vs "
            f"{en['x']} ({en['stats']}).{split_en} This blocks shipping {v}.",
            f"Контрольная метрика «{name['ru']}» значимо ухудшилась в {v}: {ru['c']} в {ctl} и "
            f"{ru['x']} в {v} ({ru['stats']}).{split_ru} Это блокирует внедрение {v}.",
        )
    if decision in ("ship", "guardrail_blocked"):
        text_en = (
            f"Variant {v} raised {name['en']} from {en['c']} to {en['x']} ({en['stats']})."
            f"{split_en}"
        )
        text_ru = (
            f"Вариант {v} повысил {name['ru_acc']} с {ru['c']} до {ru['x']} ({ru['stats']})."
            f"{split_ru}"
        )
        if decision == "guardrail_blocked" and guardrail is not None:
            g = _names(guardrail, goal)
            gen, gru = _numbers(guardrail, "en", currency), _numbers(guardrail, "ru", currency)
            return (
                f"{text_en} But guardrail {g['en']} got significantly worse ({gen['c']} → "
                f"{gen['x']}, {gen['stats']}). Do not ship {v} as it is.",
                f"{text_ru} Но контрольная метрика «{g['ru']}» значимо ухудшилась ({gru['c']} → "
                f"{gru['x']}, {gru['stats']}). Не внедряйте {v} в таком виде.",
            )
        if role == "goal":
            return f"{text_en} Ship {v}.", f"{text_ru} Внедряйте {v}."
        return (
            f"{text_en} A secondary metric: it informs, the goal metric decides.",
            f"{text_ru} Это дополнительная метрика: она информирует, решает целевая.",
        )
    if decision == "keep_control":
        return (
            f"Variant {v} lowered {name['en']} from {en['c']} to {en['x']} ({en['stats']})."
            f"{split_en} Keep {ctl}.",
            f"Вариант {v} снизил {name['ru_acc']} с {ru['c']} до {ru['x']} ({ru['stats']})."
            f"{split_ru} Оставьте {ctl}.",
        )
    if pd.isna(row.get("p_value")):
        return (
            f"{name['en'][0].upper()}{name['en'][1:]} could not be compared between {v} and {ctl} "
            f"({row.get('note') or 'too little data'}).",
            f"Метрику «{name['ru']}» нельзя сравнить между {v} и {ctl} "
            f"({row.get('note') or 'слишком мало данных'}).",
        )
    advice_en = f" Keep {ctl}, or run longer if a smaller effect matters." if role == "goal" else ""
    advice_ru = (
        f" Оставьте {ctl} или продлите тест, если важен меньший эффект." if role == "goal" else ""
    )
    return (
        f"No significant difference in {name['en']}: {en['c']} in {ctl} vs {en['x']} in {v} "
        f"({en['stats']}).{split_en}"
        + (
            f" The test cannot tell a difference smaller than ±{en['mde']} from no difference."
            if en["mde"]
            else ""
        )
        + advice_en,
        f"Значимой разницы нет: {name['ru']} {ru['c']} в {ctl} и {ru['x']} в {v} "
        f"({ru['stats']}).{split_ru}"
        + (f" Тест не различает эффекты меньше ±{ru['mde']}." if ru["mde"] else "")
        + advice_ru,
    )


def verdicts(
    comparisons: pd.DataFrame,
    checks: pd.DataFrame,
    *,
    goal: str | None = None,
    currency: str = "EUR",
    language: str = "en",
) -> pd.DataFrame:
    """Decide and word a verdict for every comparison row.

    Parameters
    ----------
    comparisons
        One row per metric and variant against control, with columns experiment, metric, role
        (``goal``/``guardrail``/``secondary``), variant, control, value, control_value,
        abs_lift, rel_lift, rel_ci_low, rel_ci_high, p_value, p_value_adjusted, alpha and
        optionally adjust_method, comparisons (number of variants compared), mde_rel, note.
    checks
        The experiment's checks from :func:`~funnelkit.abtest.checks.experiment_checks`.
    goal
        The goal event, used to name conversion.
    currency
        ISO code for money metrics.
    language
        ``"en"`` or ``"ru"``: which text goes into the ``text`` column.

    Returns
    -------
    pandas.DataFrame
        Columns: experiment, variant, metric, decision, text_en, text_ru, text (in
        ``language``).

    Examples
    --------
    >>> row = {"experiment": "checkout", "metric": "conversion", "role": "goal",
    ...     "variant": "B", "control": "A", "value": 0.046, "control_value": 0.041,
    ...     "abs_lift": 0.005, "rel_lift": 0.12, "rel_ci_low": 0.03, "rel_ci_high": 0.21,
    ...     "p_value": 0.008, "p_value_adjusted": 0.008, "alpha": 0.05}
    >>> checks = pd.DataFrame({"check": ["srm"], "status": ["ok"], "value": [0.4],
    ...     "detail": [""]})
    >>> out = verdicts(pd.DataFrame([row]), checks)
    >>> print(out["text_en"].iloc[0])
    Variant B raised conversion from 4.1% to 4.6% (+12%, 95% CI +3.0% to +21%, p = 0.008). Sample split is healthy. Ship B.
    >>> print(out["text_ru"].iloc[0])
    Вариант B повысил конверсию с 4,1% до 4,6% (+12%, 95% ДИ от +3,0% до +21%, p = 0,008). Распределение пользователей по группам в порядке. Внедряйте B.
    """  # noqa: E501
    if language not in ("en", "ru"):
        raise AnalysisError(
            f"The value for `language` must be one of ['en', 'ru'], but {language!r} was passed."
        )
    rows = []
    roles = comparisons.get("role", pd.Series("goal", index=comparisons.index))
    for _, row in comparisons.iterrows():  # one row per metric and variant: a handful
        alpha = float(row["alpha"])
        guards = comparisons[(roles == "guardrail") & (comparisons["variant"] == row["variant"])]
        worse = [g for _, g in guards.iterrows() if _significant(g, alpha) and g["abs_lift"] < 0]
        decision = decide(row, checks, alpha=alpha, guardrail_worse=bool(worse))
        text_en, text_ru = verdict_text(
            row,
            decision,
            checks,
            goal=goal,
            currency=currency,
            guardrail=worse[0] if worse else None,
        )
        rows.append(
            {
                "experiment": row.get("experiment"),
                "variant": row["variant"],
                "metric": row["metric"],
                "decision": decision,
                "text_en": text_en,
                "text_ru": text_ru,
                "text": text_en if language == "en" else text_ru,
            }
        )
    return pd.DataFrame(rows, columns=[*VERDICT_COLUMNS, "text"])


_DECISION_ORDER = ("withheld", "not_yet_conclusive", "ship", "guardrail_blocked", "keep_control")


def overall_decision(
    verdicts_frame: pd.DataFrame, metric: str, comparisons: pd.DataFrame | None = None
) -> tuple[str, str | None]:
    """The experiment-level decision on ``metric`` and the winning variant (when shipping).

    ``withheld`` and ``not_yet_conclusive`` come first; then ``ship`` if any variant ships (the
    one with the largest relative lift in ``comparisons`` wins), ``guardrail_blocked``,
    ``keep_control`` when every variant is significantly worse, else ``no_difference``.

    Examples
    --------
    >>> frame = pd.DataFrame({"variant": ["b", "c"], "metric": ["conversion"] * 2,
    ...                       "decision": ["no_difference", "ship"]})
    >>> overall_decision(frame, "conversion")
    ('ship', 'c')
    """
    rows = verdicts_frame[verdicts_frame["metric"] == metric] if len(verdicts_frame) else None
    if rows is None or rows.empty:
        return "no_difference", None
    found = set(rows["decision"])
    for decision in _DECISION_ORDER:
        if decision not in found or (decision == "keep_control" and found != {decision}):
            continue
        if decision != "ship":
            return decision, None
        ships = rows.loc[rows["decision"] == "ship", "variant"].tolist()
        if comparisons is not None and len(ships) > 1:
            lifts = comparisons[comparisons["metric"] == metric].set_index("variant")["rel_lift"]
            return decision, str(lifts.loc[ships].idxmax())
        return decision, ships[0]
    return "no_difference", None
