"""The funnel tables as a client reads them, and the counting rules in plain words.

Each function turns one tidy frame of :mod:`funnelkit.funnel` into text columns for display
(:func:`steps_table`, :func:`flagged_table`, :func:`period_table`, :func:`leak_table`) or shows
it (:func:`show_table`); :func:`semantics_box` states the rules a funnel was counted by. The
numbers themselves are not changed.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ...core.formatting import format_hours, format_number
from ..display import show

__all__ = [
    "flagged_table",
    "leak_table",
    "period_table",
    "semantics_box",
    "show_table",
    "steps_table",
]


_ORDER = {
    "ordered": "the steps must happen in this order; other events may happen in between "
    "(events at the same second count in step order)",
    "strict": "the steps must happen in this order with no other event of the {unit} in between",
    "any": "the steps may happen in any order",
}


def _duration(window: Any) -> str:
    seconds = window.total_seconds()
    if seconds % 86400 == 0:
        days = int(seconds // 86400)
        return f"{days} day" + ("s" if days != 1 else "")
    if seconds % 3600 == 0:
        hours = int(seconds // 3600)
        return f"{hours} hour" + ("s" if hours != 1 else "")
    return f"{seconds / 3600:.3g} hours"


def semantics_box(spec: Any) -> str:
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
    unit = "session" if spec.unit == "session" else "user"
    window = _duration(spec.conversion_window)
    if spec.window_from == "previous_step":
        window_text = f"each step counts only within {window} of the step before it"
    else:
        window_text = f"each step counts only within {window} of step 1 (inclusive)"
    if spec.entry == "first":
        entry = f"only the {unit}'s first step-1 event in the period starts an attempt"
    else:
        entry = (
            f"every step-1 event in the period starts an attempt; a {unit} counts once, at the "
            "deepest step reached over all attempts (re-entry)"
        )
    if spec.exclusions:
        parts = [f"`{e}` between steps {i} and {j}" for e, i, j in spec.exclusions]
        exclusions = "an attempt is void when " + "; ".join(parts) + " happens"
    else:
        exclusions = "none"
    steps = " → ".join(f"{n}. `{s}`" for n, s in enumerate(spec.steps, start=1))
    lines = [
        f"**How this funnel counts** — steps: {steps}",
        f"- **Unit:** each {unit} counts once per step",
        f"- **Order:** {_ORDER[spec.order].format(unit=unit)}; each event fills at most one step",
        f"- **Window:** {window_text}",
        f"- **Entry:** {entry}",
        f"- **Exclusions:** {exclusions}",
        '- **Shares:** "of step 1" divides by the users at step 1, "of previous" by the users '
        "at the step before; both with 95% Wilson intervals",
    ]
    return "\n".join("> " + line for line in lines)


def _share_with_interval(step_number: int, share: float, low: float, high: float) -> str:
    if pd.isna(share):
        return "–"
    if step_number == 1 or pd.isna(low):  # step 1 is 100% of itself by definition
        return f"{share:.1%}"
    return f"{share:.1%} ({low:.1%}–{high:.1%})"


def steps_table(table: pd.DataFrame) -> pd.DataFrame:
    """The per-step frame as a client reads it: shares with their 95% intervals, readable times.

    Takes :func:`funnelkit.funnel.funnel_steps`'s table (times in hours) and returns text
    columns for display; the numbers themselves stay in the table (and in ``summary.json``).

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
    >>> steps_table(table).iloc[1].astype(str).tolist()
    ['2', 'buy', '4', '40.0% (16.8%–68.7%)', '40.0% (16.8%–68.7%)', '6', '30 min', '30 h', '30 min', '30 h']
    """  # noqa: E501
    shown = pd.DataFrame({"step_number": table["step_number"], "step": table["step"],
                          "users": table["users"]})  # fmt: skip
    for name, label in (("share_of_first", "of step 1"), ("share_of_previous", "of previous")):
        shown[f"share {label} (95% interval)"] = [
            _share_with_interval(*values)
            for values in zip(table["step_number"], table[name], table[f"{name}_ci_low"],
                              table[f"{name}_ci_high"], strict=True)
        ]  # fmt: skip
    shown["dropped"] = table["dropped"]
    for name, label in (("previous", "from previous step"), ("first", "from step 1")):
        for stat, word in (("median", "median"), ("p90", "90% within")):
            shown[f"time {label}: {word}"] = table[f"time_from_{name}_{stat}"].map(format_hours)
    return shown


_FLAGS = {"under": "worse", "over": "better"}


def flagged_table(tests: pd.DataFrame, *, language: str = "en") -> pd.DataFrame:
    """Only the significant segments, biggest gap first, in readable columns.

    The difference is in percentage points (segment rate minus the rate of everyone else).
    """
    flagged = tests[tests["flag"] != ""].copy()
    flagged = flagged.reindex(flagged["abs_diff"].abs().sort_values(ascending=False).index)
    return pd.DataFrame({
        "column": flagged["column"], "segment": flagged["segment"], "step": flagged["step"],
        "than the rest": flagged["flag"].map(_FLAGS),
        "users at previous step": flagged["users_previous"],
        "segment rate": flagged["rate"], "rest rate": flagged["rest_rate"],
        "difference": [format_number(v, "points", language=language) for v in flagged["abs_diff"]],
        "p_value_adjusted": flagged["p_value_adjusted"],
    })  # fmt: skip


def period_table(compared: pd.DataFrame, *, language: str = "en") -> pd.DataFrame:
    """The period-over-period frame in readable columns (changes in percentage points)."""

    def points(column: str, p_column: str) -> list[str]:
        # step 1 is 100% in both periods: no change to show (and no test, hence no p-value)
        return [
            "–" if pd.isna(p) else format_number(v, "points", language=language)
            for v, p in zip(compared[column], compared[p_column], strict=True)
        ]

    return pd.DataFrame({
        "step": compared["step"], "users before": compared["previous_users"],
        "users": compared["users"],
        "share of previous before": compared["previous_share_of_previous"],
        "share of previous": compared["share_of_previous"],
        "change of share of previous": points("change_of_previous", "p_value_adjusted_of_previous"),
        "p_adjusted_of_previous": compared["p_value_adjusted_of_previous"],
        "share of step 1 before": compared["previous_share_of_first"],
        "share of step 1": compared["share_of_first"],
        "change of share of step 1": points("change_of_first", "p_value_adjusted_of_first"),
        "p_adjusted_of_first": compared["p_value_adjusted_of_first"],
        "significant": compared["significant"].map({True: "yes", False: "no"}),
    })  # fmt: skip


def _shares(frame: pd.DataFrame) -> list[str]:
    """Numeric columns shown as percentages (text columns are already formatted)."""
    return [
        c
        for c in frame.columns
        if pd.api.types.is_float_dtype(frame[c].dtype) and ("share" in c or c.endswith("rate"))
    ]


def show_table(frame: pd.DataFrame, *, empty: str = "Nothing to show.") -> None:
    """Display any of the frames above (shares as percentages, p-values plain)."""
    show(frame, empty=empty, percent=_shares(frame))


def leak_table(leaks: pd.DataFrame, *, language: str = "en") -> pd.DataFrame:
    """The leak ranking as a client reads it: whole purchases, money with its currency.

    Examples
    --------
    >>> leaks = pd.DataFrame({"rank": [1], "previous_step": ["view"], "step": ["buy"],
    ...     "lost_users": [900], "downstream_conversion": [1.0], "lost_conversions": [900.4],
    ...     "aov": [50.0], "value": [45020.0], "value_low": [34668.2], "value_high": [54000.0],
    ...     "currency": ["EUR"]})
    >>> leak_table(leaks).iloc[0].astype(str).tolist()
    ['1', 'view → buy', '900', '1.0', '900', '€50.00', '€45,020.00', '€34,668.20 – €54,000.00']
    """

    def money(values: pd.Series) -> list[str]:
        return [
            format_number(float(v), "money", language=language, currency=str(c))
            for v, c in zip(values, leaks["currency"], strict=True)
        ]

    lows, highs = money(leaks["value_low"]), money(leaks["value_high"])
    interval = [f"{low} – {high}" for low, high in zip(lows, highs, strict=True)]
    return pd.DataFrame({
        "rank": leaks["rank"], "step": leaks["previous_step"] + " → " + leaks["step"],
        "users lost": leaks["lost_users"],
        "share who bought after passing": leaks["downstream_conversion"],
        "purchases lost": leaks["lost_conversions"].round().astype("int64"),
        "average order": money(leaks["aov"]), "money at stake": money(leaks["value"]),
        "money at stake (95% interval)": interval,
    })  # fmt: skip
