"""The funnel tables as a client reads them, and the counting rules in plain words.

Each function turns one tidy frame of :mod:`funnelkit.funnel` into text columns for display
(:func:`steps_table`, :func:`flagged_table`, :func:`period_table`, :func:`leak_table`,
:func:`next_events_table`) or shows it (:func:`show_table`); :func:`semantics_box` states the
rules a funnel was counted by. Headers and words are in the report's language (gettext, Russian
in ``locale/ru/LC_MESSAGES/funnel.po``), counts are whole numbers and every rate says what it
divides. The numbers themselves are not changed.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from IPython.display import display

from ...core.formatting import format_count, format_hours, format_number, format_p
from ...core.i18n import current_language, gettext
from ...funnel.money import scenario_label
from ..display import Table, note, show

__all__ = [
    "flagged_table",
    "leak_table",
    "next_events_table",
    "period_table",
    "semantics_box",
    "show_table",
    "show_text",
    "steps_table",
]


_ORDER = {
    "ordered": {
        "user": "the steps must happen in this order; other events may happen in between "
        "(events at the same second count in step order)",
        "session": "the steps must happen in this order; other events may happen in between "
        "(events at the same second count in step order)",
    },
    "strict": {
        "user": "the steps must happen in this order with no other event of the user in between",
        "session": "the steps must happen in this order with no other event of the session in "
        "between",
    },
    "any": {
        "user": "the steps may happen in any order",
        "session": "the steps may happen in any order",
    },
}


def _plural_ru(n: int, one: str, few: str, many: str) -> str:
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def _duration(window: Any, language: str = "en") -> str:
    seconds = window.total_seconds()
    for size, en, ru in ((86400, ("day", "days"), ("день", "дня", "дней")),
                         (3600, ("hour", "hours"), ("час", "часа", "часов"))):  # fmt: skip
        if seconds % size == 0:
            n = int(seconds // size)
            word = _plural_ru(n, *ru) if language == "ru" else en[n != 1]
            return f"{n} {word}"
    hours = format_number(seconds / 3600, "number", language=language)
    return f"{hours} " + ("ч" if language == "ru" else "hours")


def semantics_box(spec: Any, language: str | None = None) -> str:
    """The funnel's counting rules as a Markdown box (printed with every funnel).

    Reads the actual :class:`FunnelSpec`, so the box states the rules that were counted.

    Examples
    --------
    >>> from datetime import timedelta
    >>> from funnelkit.funnel.spec import FunnelSpec
    >>> box = semantics_box(FunnelSpec(("view", "buy"), conversion_window=timedelta(days=3)))
    >>> "within 3 days of step 1" in box, "deepest step" in box
    (True, True)
    """
    language = language or current_language()

    def _(text: str) -> str:
        return gettext(text, language)

    unit = "session" if spec.unit == "session" else "user"
    window = _duration(spec.conversion_window, language)
    if spec.window_from == "previous_step":
        window_text = _("each step counts only within {window} of the step before it")
    else:
        window_text = _("each step counts only within {window} of step 1 (inclusive)")
    window_text = window_text.format(window=window)
    if spec.entry == "first":
        entry = _(f"only the {unit}'s first step-1 event in the period starts an attempt")
    else:
        entry = _(
            f"every step-1 event in the period starts an attempt; a {unit} counts once, at the "
            "deepest step reached over all attempts (re-entry)"
        )
    if spec.exclusions:
        parts = [
            _("`{event}` between steps {first} and {last}").format(event=e, first=i, last=j)
            for e, i, j in spec.exclusions
        ]
        exclusions = _("an attempt is void when {events} happens").format(events="; ".join(parts))
    else:
        exclusions = _("none")
    steps = " → ".join(f"{n}. `{s}`" for n, s in enumerate(spec.steps, start=1))
    each = "each event fills at most one step"
    lines = [
        _("**How this funnel counts** — steps: {steps}").format(steps=steps),
        "- " + _("**Unit:**") + " " + _(f"each {unit} counts once per step"),
        "- " + _("**Order:**") + f" {_(_ORDER[spec.order][unit])}; {_(each)}",
        "- " + _("**Window:**") + f" {window_text}",
        "- " + _("**Entry:**") + f" {entry}",
        "- " + _("**Exclusions:**") + f" {exclusions}",
        "- "
        + _("**Shares:**")
        + " "
        + _(
            '"share of step 1" divides by the users at step 1, the "pass rate" by the users at the '
            "step before; both with 95% Wilson intervals (the range the true share most likely "
            "lies in)"
        ),
    ]
    return "\n".join("> " + line for line in lines)


def _share_with_interval(
    step_number: int, share: float, low: float, high: float, language: str
) -> str:
    if pd.isna(share):
        return "–"
    text = format_number(share, "share", language=language)
    if step_number == 1 or pd.isna(low):  # step 1 is 100% of itself by definition
        return text
    low_text = format_number(low, "share", language=language)
    high_text = format_number(high, "share", language=language)
    return f"{text} ({low_text}–{high_text})"


def _counts(values: pd.Series, language: str) -> list[str]:
    return [format_count(v, language) for v in values]


def steps_table(table: pd.DataFrame, *, language: str | None = None) -> pd.DataFrame:
    """The per-step frame as a client reads it: shares with their 95% intervals, readable times.

    Takes :func:`funnelkit.funnel.funnel_steps`'s table (times in hours) and returns text
    columns for display, headed in the report's language; the numbers themselves stay in the
    table (and in ``summary.json``).

    Examples
    --------
    >>> table = pd.DataFrame({"step_number": [1, 2], "step": ["view", "buy"], "users": [10, 4],
    ...     "share_of_first": [1.0, 0.4], "share_of_first_ci_low": [1.0, 0.168],
    ...     "share_of_first_ci_high": [1.0, 0.687], "share_of_previous": [1.0, 0.4],
    ...     "share_of_previous_ci_low": [1.0, 0.168], "share_of_previous_ci_high": [1.0, 0.687],
    ...     "dropped": [0, 6], "time_from_previous_median": [float("nan"), 0.5],
    ...     "time_from_previous_p90": [float("nan"), 30.0],
    ...     "time_from_first_median": [float("nan"), 0.5],
    ...     "time_from_first_p90": [float("nan"), 30.0]})
    >>> steps_table(table, language="en").iloc[1].astype(str).tolist()
    ['2', 'buy', '4', '40.0% (16.8%–68.7%)', '40.0% (16.8%–68.7%)', '6', '30 min', '30 h', '30 min', '30 h']
    """  # noqa: E501
    language = language or current_language()

    def _(text: str) -> str:
        return gettext(text, language)

    first = str(table.sort_values("step_number")["step"].iloc[0]) if len(table) else ""
    shown = pd.DataFrame({
        _("Step no."): _counts(table["step_number"], language),
        _("Step"): table["step"],
        _("Users"): _counts(table["users"], language),
    })  # fmt: skip
    headers = (
        ("share_of_first", _("Share of step 1: users / users at step 1 (95% interval)")),
        ("share_of_previous", _("Pass rate: users / users at the step before (95% interval)")),
    )
    for name, label in headers:
        shown[label.format(first=first)] = [
            _share_with_interval(*values, language)
            for values in zip(table["step_number"], table[name], table[f"{name}_ci_low"],
                              table[f"{name}_ci_high"], strict=True)
        ]  # fmt: skip
    shown[_("Lost at this step")] = _counts(table["dropped"], language)
    for name, label in (("previous", "from the step before"), ("first", "from step 1")):
        for stat, word in (("median", "median"), ("p90", "90% within")):
            header = _(f"Time {label}: {word}")
            shown[header] = [
                format_hours(v, language=language) for v in table[f"time_from_{name}_{stat}"]
            ]
    return shown


_FLAGS = {"under": "worse than the rest", "over": "better than the rest"}


def flagged_table(tests: pd.DataFrame, *, language: str | None = None) -> pd.DataFrame:
    """Only the significant segments, biggest gap first, in readable columns.

    The pass rate divides the group's users at the step by its users at the step before; the
    difference is in percentage points (group rate minus the rate of everyone else).
    """
    language = language or current_language()

    def _(text: str) -> str:
        return gettext(text, language)

    flagged = tests[tests["flag"] != ""].copy()
    flagged = flagged.reindex(flagged["abs_diff"].abs().sort_values(ascending=False).index)

    def shares(values: pd.Series) -> list[str]:
        return [format_number(v, "share", language=language) for v in values]

    return pd.DataFrame({
        _("Breakdown"): [_(str(c)) for c in flagged["column"]],
        _("Group"): flagged["segment"].astype(str),
        _("Step"): flagged["step"],
        _("Against everyone else"): [_(_FLAGS[f]) for f in flagged["flag"]],
        _("Group's users at the step before"): _counts(flagged["users_previous"], language),
        _("Group's pass rate (step / step before)"): shares(flagged["rate"]),
        _("Pass rate of everyone else"): shares(flagged["rest_rate"]),
        _("Difference"): [format_number(v, "points", language=language)
                          for v in flagged["abs_diff"]],
        _("p, adjusted"): [format_p(v, language=language) for v in flagged["p_value_adjusted"]],
    })  # fmt: skip


def period_table(compared: pd.DataFrame, *, language: str | None = None) -> pd.DataFrame:
    """The period-over-period frame in readable columns (changes in percentage points)."""
    language = language or current_language()

    def _(text: str) -> str:
        return gettext(text, language)

    def points(column: str, p_column: str) -> list[str]:
        # step 1 is 100% in both periods: no change to show (and no test, hence no p-value)
        return [
            "–" if pd.isna(p) else format_number(v, "points", language=language)
            for v, p in zip(compared[column], compared[p_column], strict=True)
        ]

    def shares(column: str) -> list[str]:
        return [format_number(v, "share", language=language) for v in compared[column]]

    def p_values(column: str) -> list[str]:
        return [format_p(v, language=language) for v in compared[column]]

    return pd.DataFrame({
        _("Step"): compared["step"],
        _("Users before"): _counts(compared["previous_users"], language),
        _("Users now"): _counts(compared["users"], language),
        _("Pass rate before (step / step before)"): shares("previous_share_of_previous"),
        _("Pass rate now"): shares("share_of_previous"),
        _("Change of the pass rate"): points("change_of_previous", "p_value_adjusted_of_previous"),
        _("p, adjusted (pass rate)"): p_values("p_value_adjusted_of_previous"),
        _("Share of step 1 before (step / step 1)"): shares("previous_share_of_first"),
        _("Share of step 1 now"): shares("share_of_first"),
        _("Change of the share of step 1"): points("change_of_first", "p_value_adjusted_of_first"),
        _("p, adjusted (share of step 1)"): p_values("p_value_adjusted_of_first"),
        _("Significant change"): [_("yes") if v else _("no") for v in compared["significant"]],
    })  # fmt: skip


def next_events_table(frame: pd.DataFrame, *, language: str | None = None) -> pd.DataFrame:
    """Where the dropped users went next: the event, how many, their share of those dropped."""
    language = language or current_language()

    def _(text: str) -> str:
        return gettext(text, language)

    return pd.DataFrame({
        _("Next event"): [_(str(e)) if str(e) == "(nothing)" else str(e)
                          for e in frame["next_event"]],
        _("Users"): _counts(frame["users"], language),
        _("Share of those lost"): [format_number(v, "share", language=language)
                                   for v in frame["share"]],
    })  # fmt: skip


def _shares(frame: pd.DataFrame) -> list[str]:
    """Numeric columns shown as percentages (text columns are already formatted)."""
    return [
        c
        for c in frame.columns
        if pd.api.types.is_float_dtype(frame[c].dtype) and ("share" in c or c.endswith("rate"))
    ]


def show_table(frame: pd.DataFrame, *, empty: str = "Nothing to show.") -> None:
    """Display any of the frames above (shares as percentages, p-values plain).

    A frame of text only (the tables above: already formatted and headed in the report's
    language) is shown as it is, so that step, event and group names are never translated as
    if they were words; any other frame goes through :func:`funnelkit.presentation.display.show`.
    """
    if not frame.empty and all(pd.api.types.is_object_dtype(t) or pd.api.types.is_string_dtype(t)
                               for t in frame.dtypes):  # fmt: skip
        show_text(frame)
        return
    show(frame, empty=gettext(empty), percent=_shares(frame))


def show_text(frame: pd.DataFrame, *, empty: str = "Nothing to show.") -> None:
    """Display a frame of already formatted text as it is (headers and cells unchanged)."""
    if frame.empty:
        note(gettext(empty))
        return
    text = frame.astype(str).reset_index(drop=True)
    styled = text.style.format(escape="html").hide(axis="index")
    display(Table(styled, text))


def leak_table(leaks: pd.DataFrame, *, language: str | None = None) -> pd.DataFrame:
    """The leak ranking as a client reads it: the scenario, whole buyers, money with its currency.

    Every row is one step's scenario on its own (never add the rows up); the pass rate divides
    the users at the step by those at the step before.

    Examples
    --------
    >>> leaks = pd.DataFrame({"rank": [1], "previous_step": ["view"], "step": ["buy"],
    ...     "lost_users": [900], "rate": [0.1], "scenario": ["previous_period"],
    ...     "scenario_detail": [""], "target_rate": [0.15], "extra_purchases": [50.4],
    ...     "value": [2520.0], "value_low": [1125.0], "value_high": [4408.0],
    ...     "capped": [False], "currency": ["EUR"]})
    >>> leak_table(leaks, language="en").iloc[0].astype(str).tolist()
    ['1', 'view → buy', '900', '10.0%', 'rate of the previous period', '15.0%', '50', '€2,520', '€1,125 – €4,408', 'no']
    """  # noqa: E501
    language = language or current_language()

    def _(text: str) -> str:
        return gettext(text, language)

    def money(values: pd.Series) -> list[str]:
        return [
            format_number(float(v), "money", language=language, currency=str(c))
            for v, c in zip(values, leaks["currency"], strict=True)
        ]

    def shares(values: pd.Series) -> list[str]:
        return [format_number(v, "share", language=language) for v in values]

    lows, highs = money(leaks["value_low"]), money(leaks["value_high"])
    interval = [
        "–" if pd.isna(v) else f"{low} – {high}"
        for v, low, high in zip(leaks["value"], lows, highs, strict=True)
    ]
    scenario = [scenario_label(row, language) for _i, row in leaks.iterrows()]
    # no extra buyers to state where nobody passed the step (0 of 0 went on to buy)
    extra = [format_count(None if pd.isna(v) else round(v), language)
             for v in leaks["extra_purchases"]]  # fmt: skip
    return pd.DataFrame({
        _("Rank"): _counts(leaks["rank"], language),
        _("Step"): (leaks["previous_step"] + " → " + leaks["step"]).tolist(),
        _("Users lost"): _counts(leaks["lost_users"], language),
        _("Pass rate now (step / step before)"): shares(leaks["rate"]),
        _("Scenario"): scenario,
        _("Pass rate in the scenario"): shares(leaks["target_rate"]),
        _("Extra buyers in the scenario"): extra,
        _("Extra revenue in the scenario (do not add up)"): money(leaks["value"]),
        _("95% interval"): interval,
        _("Capped at the most the step could add"): [_("yes") if c else _("no")
                                                     for c in leaks["capped"]],
    })  # fmt: skip
