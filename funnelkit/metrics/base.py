"""The building blocks every metric shares: the metric record, the window, and tidy results.

A metric's compute function takes a :class:`~funnelkit.data.loader.Client`, a :class:`Window` and an
optional grouping column, runs set-based SQL against the canonical tables, and returns one tidy
row per group with the same columns for every metric (:data:`RESULT_COLUMNS`). Counts are turned
into values here, in one place, so every metric treats a zero denominator the same way: the value
is missing and ``note`` says why; never an exception, never infinity.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from ..core.errors import ParameterError
from ..core.stats import wilson

if TYPE_CHECKING:
    from ..data.loader import Client

__all__ = [
    "KINDS",
    "NONE",
    "RESULT_COLUMNS",
    "STAGES",
    "Metric",
    "Window",
    "count_frame",
    "define",
    "empty_frame",
    "label_sql",
    "mean_frame",
    "nps_frame",
    "proportion_frame",
    "ratio_frame",
    "text_sql",
    "ts",
    "window",
]

STAGES = ("awareness", "consideration", "purchase", "retention", "advocacy")

#: How a metric's value is built, which decides its interval and its period-over-period test:
#: ``proportion`` (numerator out of denominator; Wilson interval, two-proportion z test),
#: ``nps`` (promoters minus detractors; NPS variance), ``count`` (a number of things; Poisson
#: comparison), ``mean`` (a mean of values; t interval, Welch test), ``ratio`` (one total over
#: another, e.g. spend per customer; no interval), ``total`` (a sum of money; no interval),
#: ``curve`` (one row per month since first purchase; not compared between periods).
KINDS = ("proportion", "nps", "count", "mean", "ratio", "total", "curve")

#: Columns of every compute function's result, after the grouping column (if any).
RESULT_COLUMNS = ["metric", "value", "numerator", "denominator", "ci_low", "ci_high", "note"]

Kind = Literal["proportion", "nps", "count", "mean", "ratio", "total", "curve"]


@dataclass(frozen=True)
class Metric:
    """One entry of the metric catalogue.

    Attributes
    ----------
    id : str
        Stable snake_case identifier used in ``client.yaml`` (``key_metric: nps``).
    stage : str
        Journey stage it belongs to (one of :data:`STAGES`).
    kind : str
        One of :data:`KINDS`.
    unit : str
        ``people``, ``sessions``, ``leads``, ``orders``, ``share``, ``money``, ``days``,
        ``months``, ``years``, ``score`` or ``ratio`` (how the value is displayed).
    good : str
        ``up`` when a higher value is better, ``down`` when lower is better.
    name, definition : dict
        ``{"en": …, "ru": …}``: the name and a one-line definition.
    formula : str
        The formula in words and symbols, as shown in the catalogue.
    needs : tuple of (table, columns)
        Canonical tables and the columns the metric reads.
    compute : callable
        ``compute(client, window, by=None) -> DataFrame`` with :data:`RESULT_COLUMNS`.
    groups : tuple of str
        Grouping columns ``by=`` accepts (e.g. ``channel``, ``device``, ``landing_page``).
    """

    id: str
    stage: str
    kind: Kind
    unit: str
    good: Literal["up", "down"]
    name: dict[str, str]
    definition: dict[str, str]
    formula: str
    needs: tuple[tuple[str, tuple[str, ...]], ...]
    compute: Callable[..., pd.DataFrame] = field(repr=False, compare=False)
    groups: tuple[str, ...] = ()

    def missing(self, client: Client) -> list[str]:
        """What the client lacks to compute this metric, as ``table.column`` strings."""
        lacking = []
        for table, columns in self.needs:
            if not client.has(table):
                lacking.append(f"{table} table")
                continue
            lacking += [f"{table}.{c}" for c in columns if not client.has(table, c)]
        return lacking

    def supported(self, client: Client) -> bool:
        return not self.missing(client)


@dataclass(frozen=True)
class Window:
    """A half-open time window ``[start, end)`` in the client's wall-clock time.

    Examples
    --------
    >>> w = Window(datetime(2026, 10, 1), datetime(2026, 11, 1), "current")
    >>> w.days, w.previous().start.date()
    (31.0, datetime.date(2026, 8, 31))
    """

    start: datetime
    end: datetime
    label: str = "custom"

    @property
    def days(self) -> float:
        return (self.end - self.start) / timedelta(days=1)

    def previous(self) -> Window:
        """The equal-length window just before this one."""
        return Window(self.start - (self.end - self.start), self.start, "previous")

    def sql(self, column: str) -> str:
        """SQL condition: ``column`` falls in the window."""
        return f"{column} >= {ts(self.start)} AND {column} < {ts(self.end)}"


#: The group of rows without a value in the grouping column (empty or blank cells).
NONE = "(none)"


def text_sql(column: str) -> str:
    """SQL for a text column with blank cells turned into NULL."""
    return f"NULLIF(TRIM(CAST({column} AS VARCHAR)), '')"


def label_sql(column: str) -> str:
    """SQL for a grouping label: the trimmed text, or ``(none)`` when empty."""
    return f"COALESCE({text_sql(column)}, '{NONE}')"


def ts(moment: datetime) -> str:
    """A SQL timestamp literal."""
    return f"TIMESTAMP '{moment:%Y-%m-%d %H:%M:%S}'"


def window(client: Client, period: str | Window | tuple[Any, Any] = "current") -> Window:
    """The analysis window of a client: ``"current"``, ``"previous"``, or explicit bounds.

    A ``(start, end)`` tuple of dates is read as both days inclusive; of datetimes as
    ``[start, end)``.
    """
    if isinstance(period, Window):
        return period
    if isinstance(period, tuple):
        start, end = period
        if not isinstance(start, datetime) and isinstance(start, date):
            start = datetime.combine(start, datetime.min.time())
            end = datetime.combine(end, datetime.min.time()) + timedelta(days=1)
        if end <= start:
            raise ParameterError(f"The window {period!r} is empty: its end is not after its start.")
        return Window(start, end)
    if period not in ("current", "previous"):
        raise ParameterError(
            f"The value for `period` must be 'current', 'previous' or a (start, end) tuple, but "
            f"{period!r} was passed."
        )
    start = datetime.combine(client.config.period.start, datetime.min.time())
    current = Window(start, start + timedelta(days=client.config.period.days), "current")
    return current if period == "current" else current.previous()


# -- turning counts into tidy rows ---------------------------------------------------------------


def empty_frame(metric: str, by: str | None = None) -> pd.DataFrame:
    """A result frame with no rows and the standard columns (for a metric with nothing to show)."""
    columns = ([by] if by else []) + RESULT_COLUMNS
    frame = pd.DataFrame({c: pd.Series(dtype=object if c in ("metric", "note") else float)
                          for c in columns})  # fmt: skip
    if by:
        frame[by] = frame[by].astype(object)
    return frame


def _finish(metric: str, counts: pd.DataFrame, by: str | None) -> pd.DataFrame:
    counts = counts.copy()
    counts.insert(0, "metric", metric)
    if by:
        counts = counts[[by, *[c for c in counts.columns if c != by]]]
    for column in RESULT_COLUMNS:
        if column not in counts:
            counts[column] = np.nan if column != "note" else ""
    counts["note"] = counts["note"].fillna("").astype(object)
    ordered = ([by] if by else []) + RESULT_COLUMNS
    extra = [c for c in counts.columns if c not in ordered]
    result = counts[ordered + extra].reset_index(drop=True)
    for column in ("value", "numerator", "denominator", "ci_low", "ci_high"):
        result[column] = result[column].astype(float)
    return result


def _zero_note(denominator: pd.Series, reason: str) -> pd.Series:
    return pd.Series(np.where(denominator.fillna(0) <= 0, reason, ""), index=denominator.index)


def proportion_frame(
    metric: str, counts: pd.DataFrame, *, by: str | None = None, zero: str
) -> pd.DataFrame:
    """Rows of a proportion: ``numerator / denominator`` with a Wilson 95% interval.

    ``counts`` has ``numerator`` and ``denominator`` (and the ``by`` column). A zero
    denominator gives a missing value and the reason ``zero`` in ``note``.

    Examples
    --------
    >>> counts = pd.DataFrame({"numerator": [3, 0], "denominator": [10, 0]})
    >>> rows = proportion_frame("x", counts, zero="no sessions")
    >>> rows[["value", "ci_low", "ci_high"]].round(4)
       value  ci_low  ci_high
    0    0.3  0.1078   0.6032
    1    NaN     NaN      NaN
    >>> rows["note"].tolist()
    ['', 'no sessions']
    """
    counts = counts.copy()
    den = counts["denominator"].astype(float)
    num = counts["numerator"].astype(float)
    counts["value"] = np.where(den > 0, num / den.where(den > 0, 1), np.nan)
    counts["ci_low"], counts["ci_high"] = wilson(num.to_numpy(), den.to_numpy())
    counts["note"] = _zero_note(den, zero)
    return _finish(metric, counts, by)


def ratio_frame(
    metric: str, counts: pd.DataFrame, *, by: str | None = None, zero: str, scale: float = 1.0
) -> pd.DataFrame:
    """Rows of a ratio of totals (``scale * numerator / denominator``), no interval.

    Examples
    --------
    >>> counts = pd.DataFrame({"numerator": [500.0, 80.0], "denominator": [4, 0]})
    >>> rows = ratio_frame("cac", counts, zero="no new customers")
    >>> rows["value"].tolist(), rows["note"].tolist()
    ([125.0, nan], ['', 'no new customers'])
    """
    counts = counts.copy()
    den = counts["denominator"].astype(float)
    num = counts["numerator"].astype(float)
    counts["value"] = np.where(den > 0, scale * num / den.where(den > 0, 1), np.nan)
    counts["note"] = _zero_note(den, zero)
    return _finish(metric, counts, by)


def count_frame(metric: str, counts: pd.DataFrame, *, by: str | None = None) -> pd.DataFrame:
    """Rows of a count or a total: ``value`` = ``numerator`` (denominator left empty)."""
    counts = counts.copy()
    counts["value"] = counts["numerator"].astype(float)
    counts["denominator"] = np.nan
    return _finish(metric, counts, by)


def mean_frame(
    metric: str, stats_frame: pd.DataFrame, *, by: str | None = None, zero: str
) -> pd.DataFrame:
    """Rows of a mean with a t 95% interval.

    ``stats_frame`` has ``numerator`` (the sum), ``denominator`` (n) and ``sd`` (the sample
    standard deviation). ``sd`` is kept as a column so means can be compared between periods.
    """
    frame = stats_frame.copy()
    n = frame["denominator"].astype(float)
    total = frame["numerator"].astype(float)
    frame["value"] = np.where(n > 0, total / n.where(n > 0, 1), np.nan)
    sd = frame["sd"].astype(float)
    half = np.full(len(frame), np.nan)
    ok = (n > 1).to_numpy() & sd.notna().to_numpy()
    half[ok] = stats.t.ppf(0.975, n[ok] - 1) * sd[ok] / np.sqrt(n[ok])
    frame["ci_low"] = frame["value"] - half
    frame["ci_high"] = frame["value"] + half
    frame["note"] = _zero_note(n, zero)
    return _finish(metric, frame, by)


def nps_frame(metric: str, counts: pd.DataFrame, *, by: str | None = None) -> pd.DataFrame:
    """NPS rows from ``promoters``, ``passives``, ``detractors`` counts, with a 95% interval.

    NPS = 100 (P − D) / n. Its standard error is 100 sqrt((p_P + p_D − (p_P − p_D)²) / n),
    the variance of a variable scored +1 / 0 / −1 (the "standard NPS variance"). ``numerator``
    is P − D, ``denominator`` n; the three counts stay as columns.

    Examples
    --------
    >>> counts = pd.DataFrame({"promoters": [50], "passives": [30], "detractors": [20]})
    >>> nps_frame("nps", counts)[["value", "ci_low", "ci_high"]].round(2)
       value  ci_low  ci_high
    0   30.0   14.69    45.31
    """
    frame = counts.copy()
    for column in ("promoters", "passives", "detractors"):
        frame[column] = frame[column].fillna(0).astype("int64")
    p = frame["promoters"].astype(float)
    d = frame["detractors"].astype(float)
    n = p + frame["passives"].astype(float) + d
    safe = n.where(n > 0, 1)
    share_p, share_d = p / safe, d / safe
    frame["numerator"] = p - d
    frame["denominator"] = n
    frame["value"] = np.where(n > 0, 100 * (share_p - share_d), np.nan)
    se = 100 * np.sqrt(np.maximum(share_p + share_d - (share_p - share_d) ** 2, 0) / safe)
    z = stats.norm.ppf(0.975)
    frame["ci_low"] = np.where(n > 0, frame["value"] - z * se, np.nan)
    frame["ci_high"] = np.where(n > 0, frame["value"] + z * se, np.nan)
    frame["note"] = _zero_note(n, "no NPS answers in the period")
    return _finish(metric, frame, by)


def define(id_: str, stage: str, kind: str, unit: str, good: str, **fields: Any) -> Metric:
    """A catalogue entry with the five classifying fields given positionally (for the tables)."""
    return Metric(id=id_, stage=stage, kind=kind, unit=unit, good=good, **fields)  # type: ignore[arg-type]


def check_group(metric: Metric | str, by: str | None, allowed: Sequence[str]) -> None:
    """Refuse a grouping the metric does not support, listing those it does."""
    if by is not None and by not in allowed:
        name = metric.id if isinstance(metric, Metric) else metric
        raise ParameterError(
            f"The metric {name!r} cannot be grouped by {by!r}; it can be grouped by "
            f"{list(allowed) or 'nothing'}."
        )
