"""What to fix first: the most valuable finding, argued against the compass and the tests.

The most valuable priced finding comes first because its worth is measured in money; the journey
compass (chapter 02) ranks stages by distance to target with no money estimate, so where it points
elsewhere it comes second; a winning experiment is the quickest gain, a broken one is not acted on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from ...core.formatting import format_number
from ...core.i18n import gettext
from .kpis import section

__all__ = ["fix_first"]

#: Why the compass put a stage first, by the status of its key metric (chapter 02's rule).
_BECAUSE = {
    "below target": "its key metric is furthest below its target",
    "significantly worse": "its key metric got significantly worse than in the period before",
    "worse": "its key metric got worse than in the period before (not significantly)",
    "no worse": "no stage is below its target or worse than before, and its key metric improved "
    "the least",
}


def fix_first(
    findings: pd.DataFrame,
    results: Mapping[str, Any],
    *,
    language: str = "en",
    currency: str = "EUR",
) -> str:
    """One paragraph: what to fix first and why, reconciling the compass and the experiments.

    The most valuable finding comes first because its worth is measured in money; the journey
    compass ranks stages by their distance to target (no money), so where it points elsewhere the
    paragraph says so and puts that stage second; a winning experiment is named as the quickest
    gain, a broken one as not to be acted on.
    """
    money = findings[findings["worth"].notna() & (findings["kind"] != "experiment")]
    parts = []
    if len(money):
        top = money.iloc[0]
        parts.append(
            gettext("Fix first: {title}.", language).format(title=top["title"])
            + " "
            + gettext(
                "It is worth the most of everything measured: about {worth} in a period like "
                "this one{interval}.",
                language,
            ).format(
                worth=format_number(top["worth"], "money", language=language, currency=currency),
                interval=_interval(top, language, currency),
            )
        )
    stages = section(results, "stages") or {}
    compass = [row for row in stages.get("compass") or [] if row.get("rank") == 1]
    if compass:
        row = compass[0]
        stage = gettext(str(row["stage"]), language)
        because = gettext(_BECAUSE.get(str(row.get("status")), _BECAUSE["below target"]), language)
        if not len(money):
            parts.append(
                gettext(
                    "Fix first: the {stage} stage. The journey compass ranks it first, because "
                    "{because} (the data hold no money estimate to weigh it against).",
                    language,
                ).format(stage=stage, because=because)
            )
        elif row["stage"] == money.iloc[0]["stage"]:
            parts.append(
                gettext(
                    "The journey compass agrees: it ranks the {stage} stage first.", language
                ).format(stage=stage)
            )
        else:
            parts.append(
                gettext(
                    "The journey compass ranks the {stage} stage first, because {because}; that "
                    "has no money estimate, so it comes second: work on {stage} next.",
                    language,
                ).format(stage=stage, because=because)
            )
    ship = findings[(findings["kind"] == "experiment") & findings["worth"].notna()]
    if len(ship):
        parts.append(
            gettext("Meanwhile, the quickest gain is ready: {title}.", language).format(
                title=ship.iloc[0]["title"]
            )
        )
    tests = findings[findings["kind"] == "experiment"]
    if not parts and len(tests):
        return gettext(
            "These data allow neither a money estimate nor the journey compass; act on the "
            "tests' verdicts first: {title}.",
            language,
        ).format(title=tests.iloc[0]["title"])
    unpriced = findings[findings["worth"].isna() & (findings["kind"] != "experiment")]
    if not parts and len(unpriced):
        return gettext(
            "Nothing in these data can be priced and there is no journey compass to rank the "
            "stages, so start with the first finding below: {title}.",
            language,
        ).format(title=unpriced.iloc[0]["title"])
    if not parts:
        return gettext(
            "The data of this report are not enough to rank what to fix first; the chapters "
            "below say what each one could measure.",
            language,
        )
    return " ".join(parts)


def _interval(row: Mapping[str, Any], language: str, currency: str) -> str:
    if row.get("worth_low") is None or pd.isna(row.get("worth_low")):
        return ""
    return gettext(" (95% interval {low} to {high})", language).format(
        low=format_number(row["worth_low"], "money", language=language, currency=currency),
        high=format_number(row["worth_high"], "money", language=language, currency=currency),
    )
