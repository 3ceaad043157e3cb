"""The front page's findings, ranked by what they are worth, and the one thing to fix first.

Each chapter already tested its own question; this module only lines their answers up:

- **a funnel leak** (chapter 03): worth the value of its stated scenario (``leaks[].value``, with
  its interval: the step's pass rate raised to its best group's or last period's; chapter 03
  caps it at the period's revenue);
- **a group doing worse at a step** (chapter 03's significant segments flagged ``under``): worth
  ``users at the step before × (rate of the other visitors − the group's rate) × the step's
  downstream conversion × average order value`` — the revenue if the group did as well as the
  others, with the interval from the difference's interval;
- **a channel that does not pay back** (chapter 01, ROMI < 0): worth ``−ROMI × spend``, the gross
  margin the period's spend failed to bring back;
- **an experiment to ship** (chapter 04, decision ``ship``): worth ``absolute lift × visitors in
  the period × average order value`` — the revenue if every visitor had seen the winner;
- **an experiment that cannot be trusted** (decision ``withheld``): no money, listed after;
- **engaged target accounts with no opportunity, and account groups that lag** (chapter 05):
  see :mod:`.accounts`;
- **customers who used to buy often and stopped** (chapter 06's RFM segments "at risk" and
  "can't lose them"): no money, listed after; see :mod:`.customers`.

Findings are alternatives, not a sum: each is the worth of its own scenario in one period like
the analysis period. :func:`fix_first` picks the most valuable one and argues it against the
journey compass (chapter 02) and the experiments (chapter 04) in :mod:`.first`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from ...core.formatting import format_number
from ...core.i18n import gettext
from ...funnel.money import scenario_label
from .accounts import account_findings
from .customers import segment_findings
from .engagement import engagement_findings
from .kpis import metric_rows, section

__all__ = ["DECISION_WORDS", "FINDING_COLUMNS", "rank_findings"]

#: An experiment's decision in a few words (translated through the catalogue).
DECISION_WORDS = {
    "ship": "ship the winner",
    "no_difference": "no difference",
    "withheld": "verdict withheld",
    "keep_control": "keep the control",
    "not_yet_conclusive": "not yet conclusive",
    "guardrail_blocked": "winner blocked by a guardrail metric",
}

FINDING_COLUMNS = [
    "kind",
    "key",
    "title",
    "action",
    "worth",
    "worth_low",
    "worth_high",
    "link",
    "stage",
]


def _num(value: Any) -> float | None:
    return None if value is None else float(value)


def _leak_title(leak: Mapping[str, Any], language: str) -> str:
    lost = gettext("{lost} people left between {previous} and {step}", language).format(
        lost=format_number(leak["lost_users"], "count", language=language),
        previous=leak["previous_step"],
        step=leak["step"],
    )
    if leak.get("target_rate") is None or leak.get("extra_purchases") is None:
        return lost
    return lost + gettext(
        '; in the scenario "{scenario}", {target} instead of {rate} would go on: about '
        "{extra} more buyers",
        language,
    ).format(
        scenario=scenario_label(leak, language),
        target=format_number(leak["target_rate"], "share", language=language),
        rate=format_number(leak["rate"], "share", language=language),
        extra=format_number(round(leak["extra_purchases"]), "count", language=language),
    )


def _leaks(funnel: Mapping[str, Any], language: str) -> list[dict]:
    out = []
    for leak in (funnel.get("leaks") or [])[:2]:
        if not leak.get("value"):
            continue
        action = gettext(
            "Find out why visitors stop before {step}: check that step's page on each device and "
            "channel (the groups flagged in the drop-off chapter first), fix what breaks, then "
            "test the fix.",
            language,
        ).format(step=leak["step"])
        out.append(
            {
                "kind": "leak",
                "key": f"leak:{leak['previous_step']}>{leak['step']}",
                "title": _leak_title(leak, language),
                "action": action,
                "worth": _num(leak.get("value")),
                "worth_low": _num(leak.get("value_low")),
                "worth_high": _num(leak.get("value_high")),
                "link": "funnel",
                "stage": leak.get("stage") or "purchase",
            }
        )
    return out


def _segments(funnel: Mapping[str, Any], language: str) -> list[dict]:
    leaks = {leak["step"]: leak for leak in funnel.get("leaks") or []}
    aov = (funnel.get("aov") or {}).get("aov")
    rows = []
    for seg in funnel.get("significant_segments") or []:
        leak = leaks.get(seg.get("step"))
        if seg.get("flag") != "under" or leak is None or not aov:
            continue
        carry = seg["users_previous"] * float(leak["downstream_conversion"]) * float(aov)
        worth = -float(seg["abs_diff"]) * carry
        low, high = -float(seg["abs_ci_high"]) * carry, -float(seg["abs_ci_low"]) * carry
        title = gettext(
            "{segment} ({column}) visitors go on to {step} far less often: {rate} against {rest} "
            "for everyone else",
            language,
        ).format(
            segment=seg["segment"],
            column=gettext(str(seg["column"]), language),
            step=seg["step"],
            rate=format_number(seg["rate"], "share", language=language),
            rest=format_number(seg["rest_rate"], "share", language=language),
        )
        action = gettext(
            "Look at the {step} step as a {segment} visitor sees it; worth stated for the group "
            "doing as well as everyone else.",
            language,
        ).format(step=seg["step"], segment=seg["segment"])
        rows.append(
            {
                "kind": "segment",
                "key": f"segment:{seg['column']}={seg['segment']}@{seg['step']}",
                "title": title,
                "action": action,
                "worth": worth,
                "worth_low": min(low, high),
                "worth_high": max(low, high),
                "link": "funnel",
                "stage": leak.get("stage") or "purchase",
            }
        )
    return sorted(rows, key=lambda r: -r["worth"])[:2]


def _channels(metrics: Mapping[str, Any], language: str, currency: str) -> list[dict]:
    rows = []
    for channel in metrics.get("channels") or []:
        romi, spend = channel.get("romi"), channel.get("spend")
        if romi is None or spend is None or romi >= 0:
            continue
        title = gettext(
            "{channel} does not pay back its advertising: each {unit} spent returns {back} "
            "of margin",
            language,
        ).format(
            channel=channel["channel"],
            unit=format_number(1, "money", language=language, currency=currency),
            back=format_number(1 + romi, "money", language=language, currency=currency),
        )
        action = gettext(
            "Cut or rework the {channel} campaigns; move the budget to channels that pay back.",
            language,
        ).format(channel=channel["channel"])
        worth = -float(romi) * float(spend)
        rows.append(
            {
                "kind": "channel",
                "key": f"channel:{channel['channel']}",
                "title": title,
                "action": action,
                "worth": worth,
                "worth_low": None,
                "worth_high": None,
                "link": "metrics",
                "stage": "awareness",
            }
        )
    return rows


def _experiments(
    abtests: Mapping[str, Any], visitors: float | None, aov: float | None, language: str
) -> list[dict]:
    rows = []
    verdicts = {row.get("experiment"): row.get("verdict") for row in abtests.get("overview") or []}
    for name, result in (abtests.get("experiments") or {}).items():
        decision = result.get("decision")
        if decision not in ("withheld", "ship") or (
            decision == "ship" and not result.get("winner")
        ):
            words = gettext(DECISION_WORDS.get(str(decision), str(decision)), language)
            rows.append(
                {
                    "kind": "experiment",
                    "key": f"experiment:{name}",
                    "title": gettext("The {experiment} test: {decision}", language).format(
                        experiment=name, decision=words
                    ),
                    "action": verdicts.get(name) or "",
                    "worth": None,
                    "worth_low": None,
                    "worth_high": None,
                    "link": "abtest",
                    "stage": "purchase",
                }
            )
        elif decision == "withheld":
            rows.append(
                {
                    "kind": "experiment",
                    "key": f"experiment:{name}",
                    "title": gettext(
                        "The {experiment} test cannot be trusted: its visitors were not split as "
                        "planned",
                        language,
                    ).format(experiment=name),
                    "action": gettext(
                        "Do not act on its result; find why the split broke and run it again.",
                        language,
                    ),
                    "worth": None,
                    "worth_low": None,
                    "worth_high": None,
                    "link": "abtest",
                    "stage": "purchase",
                }
            )
        elif decision == "ship" and result.get("winner"):
            goal = next(
                (
                    m
                    for m in result.get("metrics") or []
                    if m.get("role") == "goal" and m.get("variant") == result["winner"]
                ),
                None,
            )
            worth = low = high = None
            if goal and visitors and aov and result.get("goal_metric") == "conversion":
                carry = float(visitors) * float(aov)
                worth = float(goal["abs_lift"]) * carry
                low, high = float(goal["abs_ci_low"]) * carry, float(goal["abs_ci_high"]) * carry
            rows.append(
                {
                    "kind": "experiment",
                    "key": f"experiment:{name}",
                    "title": gettext(
                        "The {experiment} test found a winner: {winner}", language
                    ).format(experiment=name, winner=result["winner"]),
                    "action": gettext(
                        "Ship {winner} to every visitor; worth stated for all the period's "
                        "visitors seeing it.",
                        language,
                    ).format(winner=result["winner"]),
                    "worth": worth,
                    "worth_low": low,
                    "worth_high": high,
                    "link": "abtest",
                    "stage": "purchase",
                }
            )
    return rows


def rank_findings(
    results: Mapping[str, Any], *, language: str = "en", currency: str = "EUR", limit: int = 5
) -> pd.DataFrame:
    """The report's findings, most valuable first (those without a money value last).

    Parameters
    ----------
    results
        Chapter stem -> that chapter's saved results (``summary.json``'s ``results``).
    language, currency
        For the sentences.
    limit
        At most this many findings.

    Returns
    -------
    pandas.DataFrame
        :data:`FINDING_COLUMNS`, one row per finding, ``rank`` from 1.

    Examples
    --------
    >>> funnel = {"leaks": [{"step": "cart", "previous_step": "view", "lost_users": 10,
    ...     "value": 50.0, "value_low": 40.0, "value_high": 60.0, "downstream_conversion": 0.5}]}
    >>> metrics = {"channels": [{"channel": "display", "romi": -0.5, "spend": 200.0}]}
    >>> found = rank_findings({"03": {"funnel": funnel}, "01": {"metrics": metrics}})
    >>> found[["kind", "worth"]].values.tolist()
    [['channel', 100.0], ['leak', 50.0]]
    """
    funnel = section(results, "funnel") or {}
    metrics = section(results, "metrics") or {}
    rows = metric_rows(results)
    visitors = (rows.get("visitors") or {}).get("value")
    aov = (funnel.get("aov") or {}).get("aov") or (rows.get("aov") or {}).get("value")
    abtests = {}
    for value in results.values():
        if isinstance(value, Mapping) and isinstance(value.get("experiments"), Mapping):
            abtests = value
    found = [
        *_leaks(funnel, language),
        *_segments(funnel, language),
        *_channels(metrics, language, currency),
        *_experiments(abtests, visitors, aov, language),
        *account_findings(section(results, "accounts"), language=language),
        *segment_findings(results, language=language),
        *engagement_findings(section(results, "engagement"), language=language),
    ]
    frame = pd.DataFrame.from_records(found, columns=FINDING_COLUMNS)
    frame["has_worth"] = frame["worth"].notna()
    frame = frame.sort_values(["has_worth", "worth"], ascending=[False, False], kind="stable")
    frame = frame.drop(columns="has_worth").head(limit).reset_index(drop=True)
    frame.insert(0, "rank", range(1, len(frame) + 1))
    return frame
