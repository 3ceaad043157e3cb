"""Who comes back to the site: the return rate of visitors by first-visit week.

Reads :func:`funnelkit.value.visit_cohorts` (weekly cohorts of ``events.user_id``) and gives the
customer-value chapter its visit section: a table and a heatmap of the return rate (visitors of
the cohort back in week n / visitors of the cohort) and the week-1 return rate in words, pooled
over the cohorts with its Wilson interval (:func:`funnelkit.metrics.base.proportion_frame`).

Only whole weeks count: a first-visit week cut by the data start or end is left out (its visitors
are not all new, or not all counted), and a week not yet wholly observed is blank, not zero.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import pandas as pd
from babel.dates import format_skeleton

from ...core.formatting import format_count, format_number
from ...core.i18n import babel_locale, gettext
from ...metrics.base import proportion_frame
from ...value import heatmap_frame

__all__ = [
    "MAX_COHORTS",
    "MAX_WEEKS",
    "NEEDS_EVENTS",
    "visit_sentences",
    "visit_summary",
    "visit_table",
    "weekly_return",
]

#: The latest first-visit weeks shown in the table and the chart (all count in the summary).
MAX_COHORTS = 16
#: The weeks since the first visit shown (1 … MAX_WEEKS).
MAX_WEEKS = 12

#: What the visit section needs, said when the client has orders but no events table.
NEEDS_EVENTS = (
    "The return rate of visitors needs an **events** table (one row per event: `user_id`, "
    "`event`, `timestamp`); add it under `data:` in client.yaml to see who comes back to the site."
)


def _whole(visits: pd.DataFrame) -> pd.DataFrame:
    """The cohorts whose first week is wholly observed (their size is final)."""
    return visits.loc[visits["cohort_complete"].astype(bool)]


def weekly_return(visits: pd.DataFrame) -> pd.DataFrame:
    """Return rate by first-visit week (rows) and weeks since (columns 1, 2, …), whole weeks only.

    Week 0 (100% by definition) is left out; cells of weeks not wholly observed are NaN, so are
    weeks after the data end (a column with no whole week at all is dropped); only the latest
    :data:`MAX_COHORTS` cohorts and weeks up to :data:`MAX_WEEKS` are kept.

    Examples
    --------
    >>> visits = pd.DataFrame({
    ...     "cohort": pd.to_datetime(["2026-10-05"] * 3 + ["2026-10-12"] * 2),
    ...     "period_number": [0, 1, 2, 0, 1], "cohort_size": [10, 10, 10, 4, 4],
    ...     "retention": [1.0, 0.3, 0.1, 1.0, 0.25],
    ...     "complete": [True, True, False, True, False], "cohort_complete": True})
    >>> weekly_return(visits)  # doctest: +NORMALIZE_WHITESPACE
    period_number    1
    cohort
    2026-10-05     0.3
    2026-10-12     NaN
    """
    whole = _whole(visits)
    if whole.empty:
        return pd.DataFrame()
    masked = whole.assign(retention=whole["retention"].where(whole["complete"].astype(bool)))
    wide = heatmap_frame(masked, value="retention").dropna(axis=1, how="all")
    wide = wide.loc[:, [c for c in wide.columns if 1 <= int(c) <= MAX_WEEKS]]
    return wide.tail(MAX_COHORTS)


def visit_summary(visits: pd.DataFrame) -> dict[str, Any] | None:
    """The week-1 return rate: per cohort range, and pooled with its Wilson 95% interval.

    Pooled = visitors back in the week after their first visit / new visitors, over every
    cohort whose first and second weeks are both wholly observed (the cohorts' sizes weigh
    them). None when there are no cohorts at all.

    Returns
    -------
    dict or None
        ``cohorts`` (cohorts with a whole week 1), ``week_1_return``, ``low``, ``high``,
        ``min``, ``max``, ``first``/``last`` (their first-visit weeks, ISO dates),
        ``visitors`` (their new visitors), ``shown`` (cohorts with a whole first week),
        ``left_out`` (cohorts cut by the data start or end) and ``cut`` (True when
        :func:`weekly_return` drops cohorts or weeks to fit the page).

    Examples
    --------
    >>> visits = pd.DataFrame({
    ...     "cohort": pd.to_datetime(["2026-10-05"] * 2 + ["2026-10-12"] * 2),
    ...     "period_number": [0, 1, 0, 1], "cohort_size": [10, 10, 30, 30],
    ...     "visitors_active": [10, 3, 30, 6], "retention": [1.0, 0.3, 1.0, 0.2],
    ...     "complete": True, "cohort_complete": True})
    >>> s = visit_summary(visits)
    >>> s["cohorts"], s["week_1_return"], s["min"], s["max"]  # (3 + 6) / (10 + 30) = 0.225
    (2, 0.225, 0.2, 0.3)
    >>> # Wilson by hand: (0.225 + 1.96²/80 ± 1.96·√(0.225·0.775/40 + 1.96²/6400)) / (1 + 1.96²/40)
    >>> round(s["low"], 4), round(s["high"], 4)
    (0.1232, 0.375)
    """
    if visits is None or visits.empty:
        return None
    cohorts = visits["cohort"].nunique()
    whole = _whole(visits)
    complete = whole.loc[whole["complete"].astype(bool)]
    week = complete.loc[complete["period_number"] == 1]
    longest = int(complete["period_number"].max()) if len(complete) else 0
    summary: dict[str, Any] = {
        "cohorts": len(week),
        "shown": int(whole["cohort"].nunique()),
        "left_out": int(cohorts - whole["cohort"].nunique()),
        "visitors": int(week["cohort_size"].sum()),
        "cut": bool(whole["cohort"].nunique() > MAX_COHORTS or longest > MAX_WEEKS),
    }
    if week.empty:
        return summary | dict.fromkeys(
            ("week_1_return", "low", "high", "min", "max", "first", "last")
        )
    counts = pd.DataFrame({"numerator": [week["visitors_active"].sum()],
                           "denominator": [week["cohort_size"].sum()]})  # fmt: skip
    pooled = proportion_frame("week_1_return", counts, zero="no new visitors").iloc[0]
    return summary | {
        "week_1_return": float(pooled["value"]),
        "low": float(pooled["ci_low"]),
        "high": float(pooled["ci_high"]),
        "min": float(week["retention"].min()),
        "max": float(week["retention"].max()),
        "first": pd.Timestamp(week["cohort"].min()).date().isoformat(),
        "last": pd.Timestamp(week["cohort"].max()).date().isoformat(),
    }


def week_words(value: object, language: str) -> str:
    """A first-visit week by its Monday (``Oct 5, 2026`` / ``5 окт. 2026 г.``)."""
    return format_skeleton("yMMMd", pd.Timestamp(value).date(), locale=babel_locale(language))


def visit_table(wide: pd.DataFrame, sizes: pd.Series, language: str) -> pd.DataFrame:
    """:func:`weekly_return` as a table: the week, its new visitors, one column per week since.

    Weeks not yet wholly observed show "–".
    """
    _ = partial(gettext, language=language)
    rows = []
    for cohort, values in wide.iterrows():
        row = {
            _("First-visit week (from Monday)"): week_words(cohort, language),
            _("New visitors in the week"): format_count(sizes.get(cohort), language),
        }
        for period, value in values.items():
            header = _("Week {n}").format(n=int(period))
            row[header] = format_number(value, "share", language=language)
        rows.append(row)
    return pd.DataFrame(rows)


def visit_sentences(summary: dict[str, Any], language: str) -> list[str]:
    """The week-1 return rate in words: its range over the cohorts, pooled with its interval.

    ``summary`` is :func:`visit_summary`. Also says what is left out, and when the table and
    chart show only the latest weeks.
    """
    _ = partial(gettext, language=language)
    share = partial(format_number, unit="share", language=language)
    sentences = []
    if summary["week_1_return"] is None:
        sentences.append(_("No first-visit week has its following week wholly observed yet, so "
                           "no return rate is stated."))  # fmt: skip
    else:
        sentences.append(_(
            "Of the visitors who first came in a given week, **{low} to {high}** came back the "
            "week after (first-visit weeks from {first} to {last}, {n} in all)."
        ).format(low=share(summary["min"]), high=share(summary["max"]),
                 first=week_words(summary["first"], language),
                 last=week_words(summary["last"], language),
                 n=format_count(summary["cohorts"], language)))  # fmt: skip
        sentences.append(_(
            "Over all these weeks, **{rate}** of new visitors came back the week after (visitors "
            "back in the week after their first visit / new visitors, {visitors}; 95% interval "
            "{ci_low} to {ci_high})."
        ).format(rate=share(summary["week_1_return"]),
                 visitors=format_count(summary["visitors"], language),
                 ci_low=share(summary["low"]), ci_high=share(summary["high"])))  # fmt: skip
    if summary["left_out"]:
        sentences.append(_(
            "First-visit weeks cut by the start or the end of the data are left out: {n} (their "
            "visitors are not all new, or not all counted)."
        ).format(n=format_count(summary["left_out"], language)))  # fmt: skip
    if summary["cut"]:
        sentences.append(_(
            "The table and the chart show the latest {cohorts} first-visit weeks and up to week "
            "{weeks}; the figures above cover every week."
        ).format(cohorts=MAX_COHORTS, weeks=MAX_WEEKS))  # fmt: skip
    return sentences
