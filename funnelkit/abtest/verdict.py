"""A verdict a client can act on: one decision per experiment, variant and metric, worded EN and RU.

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
control) is below the experiment's alpha. Every metric here is better when higher. The
sentences are built in :mod:`funnelkit.abtest.verdict_wording`, the metric names and number
helpers in :mod:`funnelkit.abtest.wording` (both re-exported here).
"""

from __future__ import annotations

import pandas as pd

from ..core.stats.arguments import AnalysisError
from .checks import PEEKING_CHECKS
from .verdict_wording import verdict_text
from .wording import METRICS, alpha_text, clean_number, fmt, interval, metric_names

__all__ = [
    "DECISIONS",
    "METRICS",
    "alpha_text",
    "clean_number",
    "decide",
    "fmt",
    "interval",
    "metric_names",
    "overall_decision",
    "verdict_text",
    "verdicts",
]

#: The possible decisions.
DECISIONS = ("ship", "keep_control", "no_difference", "withheld", "not_yet_conclusive",
             "guardrail_blocked")  # fmt: skip
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
    Ship B: it raised conversion (users who reached the goal / users in the group) from 4.1% to 4.6% (+12%; 95% interval +3.0 to +21%; p = 0.008). Users were split between the groups as planned.
    >>> print(out["text_ru"].iloc[0].replace("\N{NO-BREAK SPACE}", " "))
    Внедряйте B: вариант повысил конверсию (дошедшие до цели / пользователи группы) с 4,1 % до 4,6 % (+12 %; 95% интервал от +3,0 до +21 %; p = 0,008). Пользователи распределились по группам так, как планировалось.
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
