"""The biggest leak in words: its scenario and its money at stake, in the report's language.

:func:`leak_sentence` writes the sentence a client reads first (Markdown) and
:func:`scenario_label` names one step's scenario in a few words, both from the frame of
:func:`funnelkit.funnel.money.leak_opportunities`. Numbers are drawn by
:mod:`funnelkit.core.formatting` and words by :func:`funnelkit.core.i18n.gettext`.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from ..core.formatting import format_number
from ..core.i18n import current_language, gettext

__all__ = ["leak_sentence", "scenario_label"]


def _money(value: float, language: str, currency: str) -> str:
    return format_number(float(value), "money", language=language, currency=currency)


def _count(value: float, language: str) -> str:
    whole = value if math.isnan(value) else round(value)  # NaN: nobody passed, shown as '–'
    return format_number(float(whole), "count", language=language)


def _share(value: float, language: str) -> str:
    return format_number(float(value), "share", language=language)


def scenario_label(row: Any, language: str | None = None) -> str:
    """The scenario of one leak row in a few words, e.g. "best group this period (…)".

    Examples
    --------
    >>> scenario_label({"scenario": "best_segment", "scenario_detail": "device = desktop"})
    'best group this period (device = desktop)'
    """
    if row["scenario"] == "best_segment":
        column, _, segment = str(row["scenario_detail"]).partition(" = ")
        group = f"{gettext(column, language)} = {segment}"
        return gettext("best group this period ({group})", language).format(group=group)
    if row["scenario"] == "previous_period":
        return gettext("rate of the previous period", language)
    return gettext("no group or earlier period above this rate: nothing counted", language)


def leak_sentence(
    frame: pd.DataFrame, language: str | None = None, *, last_step: str | None = None
) -> str:
    """The biggest leak, its scenario and its money at stake (Markdown), English or Russian.

    The sentence says what the pass rate divides, which scenario the money assumes, when it
    was capped, and that the steps' amounts must not be added up.

    Parameters
    ----------
    frame : pandas.DataFrame
        The frame of :func:`funnelkit.funnel.money.leak_opportunities`.
    language : {"en", "ru"}, optional
        Language of the sentence (default: the report's current language).
    last_step : str, optional
        Name of the funnel's last step (default: the last step in ``frame``).

    Examples
    --------
    >>> from funnelkit.funnel.money import leak_opportunities
    >>> table = pd.DataFrame({"step_number": [1, 2], "step": ["view", "buy"],
    ...                       "users": [1000, 100]})
    >>> before = pd.DataFrame({"step_number": [1, 2], "step": ["view", "buy"],
    ...     "users": [1000, 100], "previous_users": [1000, 150],
    ...     "previous_share_of_previous": [1.0, 0.15], "change_of_previous": [0.0, -0.05],
    ...     "p_value_adjusted_of_previous": [float("nan"), 0.001]})
    >>> leaks = leak_opportunities(table, aov=50.0, aov_ci=(40.0, 60.0), periods=before)
    >>> print(leak_sentence(leaks, "en"))  # doctest: +NORMALIZE_WHITESPACE
    The biggest leak is at **view → buy**: 900 users stopped there; 10.0% went on (buy /
    view). If this pass rate went back to its level in the previous period (15.0%), about 50
    more users would reach **buy**, worth about **€2,500** of revenue in the period (95%
    interval €1,125 to €4,408). Each step's amount is a separate scenario: they are
    alternatives, never add them up.
    """
    language = language or current_language()
    if frame.empty or frame["lost_users"].max() <= 0:
        return gettext("No users were lost between the steps.", language)
    top = frame.iloc[0]
    last = last_step or str(frame.sort_values("step_number")["step"].iloc[-1])
    currency = str(top["currency"])
    text = gettext(
        "The biggest leak is at **{previous} → {step}**: {lost} users stopped there; {rate} "
        "went on ({step} / {previous}).",
        language,
    ).format(
        previous=top["previous_step"],
        step=top["step"],
        lost=_count(top["lost_users"], language),
        rate=_share(top["rate"], language),
    )
    values = {
        "target": _share(top["target_rate"], language),
        "extra": _count(top["extra_purchases"], language), "last": last,
        "value": _money(top["value"], language, currency),
        "low": _money(top["value_low"], language, currency),
        "high": _money(top["value_high"], language, currency),
        "cap": _money(top["cap"], language, currency),
    }  # fmt: skip
    if top["scenario"] == "none":
        text += " " + gettext(
            "No group and no earlier period passed any step at a significantly higher rate, so no "
            "money is put on the leaks.",
            language,
        )
    else:
        if top["scenario"] == "best_segment":
            column, _, segment = str(top["scenario_detail"]).partition(" = ")
            values["group"] = f"{gettext(column, language)} = {segment}"
            lead = gettext(
                "If this pass rate rose to that of its best group this period, {group} "
                "({target}, significantly above the rest),",
                language,
            )
        else:
            lead = gettext(
                "If this pass rate went back to its level in the previous period ({target}),",
                language,
            )
        if math.isfinite(float(top["value"])):
            tail = gettext(
                "about {extra} more users would reach **{last}**, worth about **{value}** of "
                "revenue in the period (95% interval {low} to {high}).",
                language,
            )
        else:
            tail = gettext("about {extra} more users would reach **{last}**.", language)
            tail += " " + gettext("The money at stake is unknown ({note}).", language).format(
                note=gettext(str(top["note"] or "no AOV"), language)
            )
        text += " " + (lead + " " + tail).format(**values)
        if bool(top["capped"]):
            text += " " + gettext(
                "This is capped at {cap}: the most the step could add (every user lost there "
                "going on), and never more than the period's revenue.",
                language,
            ).format(**values)
    text += " " + gettext(
        "Each step's amount is a separate scenario: they are alternatives, never add them up.",
        language,
    )
    return text
