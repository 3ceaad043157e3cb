"""The counting rules in plain words, and the funnel tables as a client reads them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pandas as pd

from ...core.formatting import format_hours, format_number

__all__ = [
    "flagged_table",
    "format_hours",
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
    from ..display import show

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


@dataclass
class DropoffReport:
    """The frames of notebook 03, with one ``show_*`` method per section.

    When ``reason`` is set (no events, no steps, an empty period) every section shows that
    reason as a visible note instead of failing.
    """

    language: str = "en"
    currency: str = "EUR"
    reason: str = ""
    result: Any = None
    previous: Any = None
    aov: dict = field(default_factory=dict)
    gate: int = 0
    leaks: pd.DataFrame | None = None
    segments: pd.DataFrame | None = None
    heatmap: pd.DataFrame | None = None
    periods: pd.DataFrame | None = None
    weekly: pd.DataFrame | None = None
    durations: pd.DataFrame | None = None
    bounce: pd.DataFrame | None = None
    next_events: pd.DataFrame | None = None
    leak_step: int = 2
    periods_note: str = ""

    def _skipped(self) -> bool:
        if self.reason:
            from ..display import note

            note(self.reason)
        return bool(self.reason)

    def show_funnel(self) -> None:
        """The counting rules box, the funnel chart and the per-step table."""
        if self._skipped():
            return
        from IPython.display import Markdown, display

        from .plots import plot_funnel

        display(Markdown(semantics_box(self.result.spec)))
        plot_funnel(self.result.table)
        show_table(steps_table(self.result.table))

    def show_leak(self) -> None:
        """The biggest leak in one sentence, then the ranking of all steps."""
        if self._skipped():
            return
        from IPython.display import Markdown, display

        from ...funnel.money import leak_sentence

        display(Markdown(leak_sentence(self.leaks, self.language)))
        show_table(leak_table(self.leaks, language=self.language))

    def show_segments(self) -> None:
        """The segment heatmap and the table of significant segments."""
        if self._skipped():
            return
        from .plots import plot_segment_heatmap

        if not self.heatmap.empty:
            plot_segment_heatmap(self.heatmap)
        show_table(
            flagged_table(self.segments, language=self.language),
            empty="No segment differs significantly.",
        )

    def show_periods(self) -> None:
        """Compare the analysis period with the one before it, per step."""
        if self._skipped():
            return
        if self.periods.empty:
            from ..display import note

            note(self.periods_note or "No comparison with the previous period.")
            return
        show_table(period_table(self.periods, language=self.language))

    def show_weekly(self) -> None:
        """Conversion by entry week."""
        if not self._skipped():
            from .plots import plot_weekly_trend

            plot_weekly_trend(self.weekly)

    def show_time_to_convert(self) -> None:
        """How long conversion takes."""
        if not self._skipped():
            from .plots import plot_time_to_convert

            plot_time_to_convert(self.durations)

    def show_bounce(self, top: int = 10) -> None:
        """Bounce rate of the ``top`` landing pages by sessions (needs session_id and page)."""
        if self._skipped():
            return
        from ..display import note
        from .plots import plot_bounce_rates

        if self.bounce is None or self.bounce.empty:
            note("No sessions with page views (needs `session_id` and `page` on events).")
            return
        plot_bounce_rates(self.bounce.head(top))

    def show_next_events(self) -> None:
        """Where those who dropped at the biggest leak went next."""
        if not self._skipped():
            show_table(self.next_events, empty="Nobody dropped at this step.")

    def write_audience(self, results_path: str, *, step: str = "") -> None:
        """Write the drop-off audience CSV next to the results and say where (or why not)."""
        if self._skipped():
            return
        from ...funnel.audience import dropoff_audience, write_audience
        from ..display import note

        names = self.result.steps
        number = names.index(step) + 1 if step in names[1:] else self.leak_step
        audience = dropoff_audience(self.result.paths, step=number)
        path = write_audience(audience, results_path, step_name=names[number - 1])
        where = f"`{path.name}` in the report folder" if path else "no file (interactive run)"
        unit = "sessions" if self.result.spec.unit == "session" else "users"
        note(f"{len(audience):,} {unit} dropped at {names[number - 1]}: written to {where}.")

    def to_results(self) -> dict[str, Any]:
        """Plain values for ``save_results``: steps, leaks, significant segments, periods."""
        if self.reason:
            return {"skipped": self.reason}
        flagged = self.segments[self.segments["flag"] != ""]
        return {
            "steps": self.result.table, "period": list(self.result.period),
            "leaks": self.leaks, "aov": self.aov, "min_segment_users": self.gate,
            "significant_segments": flagged, "period_over_period": self.periods,
        }  # fmt: skip


_DEFAULT_SEGMENTS = ("channel", "device", "campaign")


def dropoff_report(
    client: Any,
    *,
    steps: list[str] | None = None,
    segments: list[str] | None = None,
    conversion_window_days: float | None = None,
    min_segment_users: int | None = None,
    top_pages: int = 30,
    top_next_events: int = 8,
) -> DropoffReport:
    """Everything notebook 03 shows, computed once (or the reason it is skipped).

    Parameters
    ----------
    client : funnelkit.data.loader.Client
        A loaded client.
    steps, segments : list of str, optional
        Override ``funnel.steps`` / ``funnel.segments`` of client.yaml (default segments when
        neither is given: those of channel, device, campaign the events have). Empty: keep.
    conversion_window_days : float, optional
        Override ``funnel.conversion_window_days`` (None or 0: keep).
    min_segment_users : int, optional
        Override the segment gate ``funnel.min_segment_users`` (None or 0: keep).
    top_pages, top_next_events : int
        Rows kept in the bounce-rate and "where they go next" tables.

    Returns
    -------
    DropoffReport
    """
    from ...funnel.engine import funnel_paths  # noqa: F401  (the engine must import for a report)
    from ...funnel.money import average_order_value, leak_opportunities
    from ...funnel.pages import bounce_rates
    from ...funnel.segments import segment_heatmap_frame, segment_tests
    from ...funnel.spec import FunnelError
    from ...funnel.steps import run_funnel, time_to_convert
    from ...funnel.trends import compare_periods, next_events, weekly_conversion

    config = client.config.funnel
    report = DropoffReport(language=client.config.language, currency=client.config.currency)
    steps = steps or list(config.steps)
    if not client.has("events") or len(steps) < 2:
        report.reason = (
            "No `events` table is configured, so the funnel is skipped; add `data.events` to "
            "client.yaml."
            if not client.has("events")
            else "No funnel steps: set `funnel.steps` in client.yaml (at least two event names)."
        )
        return report
    chosen = segments or list(config.segments) or list(_DEFAULT_SEGMENTS)
    by = [c for c in chosen if client.has("events", c)]
    overrides: dict[str, Any] = {"steps": steps}
    if conversion_window_days:
        overrides["conversion_window"] = timedelta(days=conversion_window_days)
    try:
        current = run_funnel(client, by=by, **overrides)
    except FunnelError as err:
        report.reason = f"The funnel cannot be counted: {err}"
        return report
    try:
        previous = run_funnel(client, period="previous", **overrides)
        report.periods = compare_periods(current.table, previous.table)
    except FunnelError as err:  # e.g. no data before the analysis period
        previous, report.periods_note = None, f"No comparison with the previous period: {err}"
        report.periods = pd.DataFrame()
    gate = min_segment_users or config.min_segment_users
    names, paths, k = current.steps, current.paths, len(current.steps)
    aov = average_order_value(client, period=current.period, purchase_event=steps[-1])
    report.result, report.previous, report.aov, report.gate = current, previous, aov, gate
    report.leaks = leak_opportunities(
        current.table, aov=aov["aov"], aov_ci=(aov["aov_ci_low"], aov["aov_ci_high"]),
        currency=client.config.currency, aov_source=aov["source"], note=aov["note"],
    )  # fmt: skip
    report.segments = segment_tests(paths, steps=names, by=by, min_users=gate)
    report.heatmap = segment_heatmap_frame(report.segments)
    report.weekly = weekly_conversion(paths, steps=names)
    report.durations = time_to_convert(paths, steps=names)
    if client.has("events", "session_id", "page"):
        report.bounce = bounce_rates(client, period=current.period, top=top_pages)
    report.leak_step = int(report.leaks["step_number"].iloc[0]) if k > 1 else 2
    report.next_events = next_events(
        paths, client, steps=names, step=report.leak_step, window=current.spec.conversion_window,
        unit=current.spec.unit, top=top_next_events,
    )  # fmt: skip
    return report
