"""The planning section of the A/B chapter: the numbers a plan starts from, and the plan in words.

Formatting only: the numbers come from :func:`funnelkit.abtest.planning.planning_inputs` and
:func:`funnelkit.abtest.planning.plan_from_inputs`; every word is in English or Russian.
"""

from __future__ import annotations

import pandas as pd

from ...abtest.wording import alpha_text, interval as between
from ...core.formatting import format_count, format_number
from ...core.i18n import gettext
from ..display import show

__all__ = ["design_text", "planning_table", "show_plan"]

_SOURCES = {
    "en": {"data": "the client's data", "parameter": "set by hand for this plan",
           "default": "an assumption, the standard default"},
    "ru": {"data": "данные клиента", "parameter": "задано вручную для этого плана",
           "default": "допущение: стандартное значение по умолчанию"},
}  # fmt: skip
_HEADERS = {
    "en": ["number", "value", "95% interval", "what it divides", "period", "source"],
    "ru": ["показатель", "значение", "95% интервал", "что на что делится", "период", "источник"],
}
_NAMES = {
    "en": {"baseline_rate": 'baseline conversion (goal "{goal}")',
           "revenue_per_visitor": "revenue per visitor: mean (standard deviation)",
           "daily_visitors": "eligible visitors a day"},
    "ru": {"baseline_rate": "базовая конверсия (цель «{goal}»)",
           "revenue_per_visitor": "выручка на посетителя: среднее (стандартное отклонение)",
           "daily_visitors": "подходящих посетителей в день"},
}  # fmt: skip


def _count(value: float, language: str) -> str:
    """A whole number with the language's thousands mark (Babel's: ``39,475`` / ``39 475``)."""
    return format_count(round(value), language=language)


def _share(value: float, language: str, digits: int = 1) -> str:
    text = f"{value:.{digits}%}"
    return text.replace(".", ",").replace("%", "\u00a0%") if language == "ru" else text


def goal_name(goal: str, language: str) -> str:
    """The goal event for a reader: ``purchase`` in Russian reads «покупка (purchase)»."""
    word = gettext(goal, language)
    return goal if word == goal else f"{word} ({goal})"


def _value(row, language: str, currency: str) -> str:
    if row.input == "baseline_rate":
        return format_number(row.value, "share", language=language)
    if row.input == "revenue_per_visitor":
        money = [format_number(v, "money", language=language, currency=currency)
                 for v in (row.value, row.sd)]  # fmt: skip
        return f"{money[0]} ({money[1]})"
    return _count(row.value, language)


def planning_table(
    inputs: pd.DataFrame, *, language: str = "en", currency: str = "EUR"
) -> pd.DataFrame:
    """:func:`~funnelkit.abtest.planning.planning_inputs` as a table a client reads.

    One row per number the plan uses: its value (the one used), its 95% interval, the two
    counts it divides and what they are, the period they come from and its source (the data,
    a notebook parameter, or the default, with the reason).

    Examples
    --------
    >>> from datetime import datetime
    >>> inputs = pd.DataFrame([{"input": "baseline_rate", "value": 0.05, "ci_low": 0.04,
    ...     "ci_high": 0.06, "numerator": 50.0, "denominator": 1000.0, "goal": "purchase",
    ...     "start": datetime(2026, 9, 1), "end": datetime(2026, 10, 1), "days": 30.0,
    ...     "source": "data", "divides_en": "buyers / visitors", "divides_ru": "…",
    ...     "note_en": "", "note_ru": ""}])
    >>> planning_table(inputs).iloc[0].tolist()  # doctest: +NORMALIZE_WHITESPACE
    ['baseline conversion (goal "purchase")', '5.0%', '4.0 to 6.0%',
     '50 / 1,000: buyers / visitors', '2026-09-01 – 2026-09-30 (30 days)', "the client's data"]
    """
    ru = language == "ru"
    rows = []
    for r in inputs.itertuples(index=False):
        interval = "–"
        if not pd.isna(r.ci_low):
            low, high = (
                format_number(v, "share", language=language) for v in (r.ci_low, r.ci_high)
            )
            interval = between(low, high, language)
        divides = r.divides_ru if ru else r.divides_en
        if not pd.isna(r.numerator) and r.denominator:
            divides = f"{_count(r.numerator, language)} / {_count(r.denominator, language)}: " + (
                divides
            )
        last = r.end - pd.Timedelta(days=1)
        days = f"{r.days:g} {'дн.' if ru else 'days'}"
        note = r.note_ru if ru else r.note_en
        source = _SOURCES[language][r.source] + (f" ({note})" if note else "")
        name = _NAMES[language][r.input].format(goal=r.goal)
        rows.append([name, _value(r, language, currency), interval, divides,
                     f"{r.start:%Y-%m-%d} – {last:%Y-%m-%d} ({days})", source])  # fmt: skip
    return pd.DataFrame(rows, columns=_HEADERS[language])


def design_text(
    plan: pd.DataFrame,
    duration: pd.DataFrame,
    reachable: pd.DataFrame,
    inputs: pd.DataFrame | None = None,
    *,
    language: str = "en",
) -> str:
    """The test plan in words, from the design frames (computes nothing new).

    Parameters
    ----------
    plan
        :func:`~funnelkit.abtest.design.sample_size_proportion` (one row).
    duration
        :func:`~funnelkit.abtest.design.days_needed` for ``plan["n_total"]``.
    reachable
        :func:`~funnelkit.abtest.design.mde_proportion` for the traffic actually available.
    inputs
        :func:`~funnelkit.abtest.planning.planning_inputs`, to say where the baseline and the
        daily visitors come from (optional).
    language
        ``"en"`` or ``"ru"``.

    Returns
    -------
    str
        Markdown: the numbers used and their source, users per variant, in total, days needed,
        and the smallest lift the available traffic can detect.

    Examples
    --------
    >>> from funnelkit.abtest.design import days_needed, mde_proportion, sample_size_proportion
    >>> plan = sample_size_proportion(0.04, mde=0.10, relative=True)
    >>> duration = days_needed(plan["n_total"].iloc[0], daily_users=3000)
    >>> text = design_text(plan, duration, mde_proportion(0.04, n_control=20_000))
    >>> print(text.split(";")[0])
    - To detect a +10% relative lift (from 4.0% to 4.4%) with 80% power (the chance of detecting the lift if it is real) at a significance level of 5%, each of the 2 groups needs 39,475 users
    >>> text = design_text(plan, duration, mde_proportion(0.04, n_control=20_000), language="ru")
    >>> print(text.split(";")[0].replace("\N{NO-BREAK SPACE}", " "))
    - Чтобы заметить относительный прирост +10 % (с 4,0 % до 4,4 %) с мощностью 80 % (вероятность заметить прирост, если он есть) при уровне значимости 5 %, в каждой из 2 групп нужно пользователей: 39 475
    """  # noqa: E501
    p, r = plan.iloc[0], reachable.iloc[0]
    lines = [] if inputs is None else [_sources_line(inputs, language)]
    share = lambda v, digits=1: _share(v, language, digits)  # noqa: E731
    if pd.isna(p["n_total"]):  # the lift would take the rate past 100%
        return "\n".join([*lines, _past_full_line(p, language), _reachable_line(r, language)])
    d = duration.iloc[0]
    per_comparison = ""
    if p["variants"] > 2:
        per_comparison = gettext(
            " (a significance level of {split} per comparison with the control: the accepted "
            "risk of a false win is split evenly between the comparisons, Bonferroni's rule)",
            language,
        ).format(split=_share(p["alpha_per_comparison"], language, 2))
    lines += [
        "- "
        + gettext(
            "To detect a {mde} relative lift (from {base} to {target}) with {power} power (the "
            "chance of detecting the lift if it is real) at a significance level of {alpha}, "
            "each of the {k} groups needs {n} users{per_comparison}; {total} in total.",
            language,
        ).format(mde=format_number(p["mde_rel"], "lift", language=language),
                 base=share(p["baseline"]), target=share(p["target"]),
                 power=alpha_text(p["power"], language), alpha=alpha_text(p["alpha"], language),
                 k=int(p["variants"]), n=_count(p["n_variant"], language),
                 per_comparison=per_comparison, total=_count(p["n_total"], language)),
        "- "
        + gettext(
            "At {daily} users a day in the test, it takes **{days} days**; run whole weeks, so "
            "that every weekday counts equally.",
            language,
        ).format(daily=_count(d["users_per_day"], language), days=int(d["days"])),
        _reachable_line(r, language),
    ]  # fmt: skip
    return "\n".join(lines)


def _past_full_line(p: pd.Series, language: str) -> str:
    """Why there is no sample size: the lift would take the conversion past 100%."""
    return "- " + gettext(
        "A {mde} relative lift on a conversion of {base} would take it to {target}, past "
        "100%, so no test can show it: plan for a goal that fewer visitors reach, or for a "
        "smaller lift.",
        language,
    ).format(
        mde=format_number(p["mde_rel"], "lift", language=language),
        base=_share(p["baseline"], language, 1),
        target=_share(p["target"], language, 1),
    )


def _reachable_line(r: pd.Series, language: str) -> str:
    """The smallest lift the available traffic can detect, as a bullet."""
    if pd.isna(r["target"]):  # not even a move to 100% is detectable
        return "- " + gettext(
            "With {n} users per group, not even a rise from {base} to 100% would be detected "
            "reliably: the test needs more visitors.",
            language,
        ).format(n=_count(r["n_control"], language), base=_share(r["baseline"], language, 1))
    return "- " + gettext(
        "With {n} users per group, the smallest lift the test can reliably detect is {lift} "
        '({base} → {target}). A smaller true effect may well end as "no significant '
        'difference".',
        language,
    ).format(
        n=_count(r["n_control"], language),
        lift=format_number(r["mde_rel"], "lift", language=language),
        base=_share(r["baseline"], language, 1),
        target=_share(r["target"], language, 2),
    )


def _sources_line(inputs: pd.DataFrame, language: str) -> str:
    """Where the baseline rate and the daily visitors of the plan come from, in one bullet.

    The baseline says what it divides, the two counts and the period; an assumed default is
    called an assumption, with the reason the data could not give the number.
    """
    rows = inputs.set_index("input")
    rate, daily = rows.loc["baseline_rate"], rows.loc["daily_visitors"]
    names = _SOURCES[language]
    ru = language == "ru"
    rate_text = format_number(rate["value"], "share", language=language)
    daily_text = _count(daily["value"], language)
    divides = rate["divides_ru" if ru else "divides_en"]
    if rate["source"] == "data" and not pd.isna(rate.get("denominator", float("nan"))):
        last = pd.Timestamp(rate["end"]) - pd.Timedelta(days=1)
        baseline = gettext(
            "a baseline conversion of **{rate}** ({divides}: {num} / {den}), measured in the "
            "client's data over {start} – {end}",
            language,
        ).format(rate=rate_text, divides=divides, num=_count(rate["numerator"], language),
                 den=_count(rate["denominator"], language), end=f"{last:%Y-%m-%d}",
                 start=f"{pd.Timestamp(rate['start']):%Y-%m-%d}")  # fmt: skip
    elif rate["source"] == "default":
        why = rate["note_ru" if ru else "note_en"]
        baseline = gettext(
            "an **assumed** baseline conversion of **{rate}** ({divides}), because {why}", language
        ).format(rate=rate_text, divides=divides, why=why)
    else:
        baseline = gettext(
            "a baseline conversion of **{rate}** ({divides}; source: {source})", language
        ).format(rate=rate_text, divides=divides, source=names[rate["source"]])
    return "- " + gettext(
        "Planned for the goal `{goal}` from {baseline}. Eligible visitors a day: **{daily}** "
        "(source: {source}); a visitor who comes back on several days counts on each, so the "
        "real test may take longer.",
        language,
    ).format(goal=rate["goal"], baseline=baseline, daily=daily_text,
             source=names[daily["source"]])  # fmt: skip


def show_plan(
    inputs: pd.DataFrame, design: dict, *, language: str = "en", currency: str = "EUR"
) -> None:
    """Display the planning inputs as a table, then the plan in words (a notebook section).

    Parameters
    ----------
    inputs
        :func:`~funnelkit.abtest.planning.planning_inputs`.
    design
        :func:`~funnelkit.abtest.planning.plan_from_inputs` (``plan``, ``duration``,
        ``reachable``).
    language, currency
        The client's.
    """
    from IPython.display import Markdown, display

    show(planning_table(inputs, language=language, currency=currency))
    display(Markdown(design_text(**design, inputs=inputs, language=language)))
