"""The planning section of the A/B chapter: the numbers a plan starts from, and the plan in words.

Formatting only: the numbers come from :func:`funnelkit.abtest.planning.planning_inputs` and
:func:`funnelkit.abtest.planning.plan_from_inputs`; every word is in English or Russian.
"""

from __future__ import annotations

import pandas as pd

from ...core.formatting import format_number
from ..display import show

__all__ = ["design_text", "planning_table", "show_plan"]

_SOURCES = {
    "en": {"data": "the client's data", "parameter": "a notebook parameter", "default": "default"},
    "ru": {"data": "данные клиента", "parameter": "параметр блокнота",
           "default": "значение по умолчанию"},
}  # fmt: skip
_HEADERS = {
    "en": ["number", "value", "95% interval", "what it divides", "period", "source"],
    "ru": ["показатель", "значение", "95% интервал", "что на что делится", "период", "источник"],
}
_NAMES = {
    "en": {"baseline_rate": 'baseline conversion rate (goal "{goal}")',
           "revenue_per_visitor": "revenue per visitor: mean (standard deviation)",
           "daily_visitors": "eligible visitors a day"},
    "ru": {"baseline_rate": "базовая конверсия (цель «{goal}»)",
           "revenue_per_visitor": "выручка на посетителя: среднее (стандартное отклонение)",
           "daily_visitors": "подходящих посетителей в день"},
}  # fmt: skip


def _count(value: float, language: str) -> str:
    """A whole number with thousands separators (a narrow space in Russian)."""
    text = f"{round(value):,}"
    return text.replace(",", "\u202f") if language == "ru" else text


def _share(value: float, language: str, digits: int = 1) -> str:
    text = f"{value:.{digits}%}"
    return text.replace(".", ",") if language == "ru" else text


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
    ['baseline conversion rate (goal "purchase")', '5.0%', '4.0% to 6.0%',
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
            interval = f"{low} {'до' if ru else 'to'} {high}"
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
    - To detect a +10% relative lift (from 4.0% to 4.4%) with 80% power at alpha 0.05, each of the 2 variants needs 39,475 users
    >>> text = design_text(plan, duration, mde_proportion(0.04, n_control=20_000), language="ru")
    >>> print(text.split(";")[0].replace("\u202f", " "))
    - Чтобы заметить относительный прирост +10% (с 4,0% до 4,4%) с мощностью 80% при alpha 0,05, каждому из 2 вариантов нужно 39 475 пользователей
    """  # noqa: E501
    p, d, r = plan.iloc[0], duration.iloc[0], reachable.iloc[0]
    lines = [] if inputs is None else [_sources_line(inputs, language)]
    if language == "ru":
        alpha = f"{p['alpha']:g}".replace(".", ",")
        per_comparison = ""
        if p["variants"] > 2:
            split = f"{p['alpha_per_comparison']:.3g}".replace(".", ",")
            per_comparison = f" (alpha {split} на каждое сравнение с контролем, Бонферрони)"
        lift = f"{r['mde_rel']:+.1%}".replace(".", ",").replace("-", "−")
        lines += [
            f"- Чтобы заметить относительный прирост {p['mde_rel']:+.0%} (с "
            f"{_share(p['baseline'], 'ru')} до {_share(p['target'], 'ru')}) с мощностью "
            f"{p['power']:.0%} при alpha {alpha}, каждому из {int(p['variants'])} вариантов нужно "
            f"{_count(p['n_variant'], 'ru')} пользователей{per_comparison}; всего "
            f"{_count(p['n_total'], 'ru')}.",
            f"- При {_count(d['users_per_day'], 'ru')} пользователях в день тест займёт "
            f"**{int(d['days'])} дн.**; проводите его целыми неделями, чтобы каждый день недели "
            "учитывался одинаково.",
            f"- С {_count(r['n_control'], 'ru')} пользователями на вариант наименьший прирост, "
            f"который тест надёжно заметит: {lift} ({_share(r['baseline'], 'ru')} → "
            f"{_share(r['target'], 'ru', 2)}). Меньший реальный эффект вполне может закончиться "
            "выводом «значимой разницы нет».",
        ]
        return "\n".join(lines)
    per_comparison = (
        f" (alpha {p['alpha_per_comparison']:.3g} per comparison with control, Bonferroni)"
        if p["variants"] > 2
        else ""
    )
    lines += [
        f"- To detect a {p['mde_rel']:+.0%} relative lift (from {p['baseline']:.1%} to "
        f"{p['target']:.1%}) with {p['power']:.0%} power at alpha {p['alpha']:g}, each of the "
        f"{int(p['variants'])} variants needs {int(p['n_variant']):,} users{per_comparison}; "
        f"{int(p['n_total']):,} in total.",
        f"- At {d['users_per_day']:,.0f} users a day in the test that takes **{int(d['days'])} "
        "days**; run whole weeks, so that every weekday counts equally.",
        f"- With {int(r['n_control']):,} users per variant, the smallest lift the test can "
        f"reliably detect is {r['mde_rel']:+.1%} ({r['baseline']:.1%} → {r['target']:.2%}). A "
        'smaller true effect may well end as "no significant difference".',
    ]
    return "\n".join(lines)


def _sources_line(inputs: pd.DataFrame, language: str) -> str:
    """Where the baseline rate and the daily visitors of the plan come from, in one bullet."""
    rows = inputs.set_index("input")
    rate, daily = rows.loc["baseline_rate"], rows.loc["daily_visitors"]
    names = _SOURCES[language]
    rate_text = format_number(rate["value"], "share", language=language)
    daily_text = _count(daily["value"], language)
    if language == "ru":
        return (
            f"- План для цели `{rate['goal']}`: базовая конверсия **{rate_text}** (источник: "
            f"{names[rate['source']]}), **{daily_text}** подходящих посетителей в день "
            f"(источник: {names[daily['source']]}). Посетитель, заходящий в разные дни, "
            "считается в каждом из них, поэтому реальный тест может идти дольше."
        )
    return (
        f"- Planned for the goal `{rate['goal']}` from a baseline conversion rate of "
        f"**{rate_text}** (source: {names[rate['source']]}) and **{daily_text}** eligible "
        f"visitors a day (source: {names[daily['source']]}). A visitor who comes back on "
        "several days counts on each, so the real test may take longer."
    )


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
