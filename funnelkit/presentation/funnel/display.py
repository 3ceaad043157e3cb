"""The drop-off chapter (notebook ``03_find_dropoff``): computed once, shown section by section.

:func:`dropoff_report` runs the funnel analyses of :mod:`funnelkit.funnel` for a client and
returns a :class:`DropoffReport`, whose ``show_*`` methods draw each section. The tables it
shows are built in :mod:`funnelkit.presentation.funnel.tables`, re-exported here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pandas as pd
from IPython.display import Markdown, display

from ...core.formatting import format_count, format_number
from ...core.i18n import gettext
from ...funnel.audience import dropoff_audience, write_audience
from ...funnel.durations import conversion_times
from ...funnel.money import average_order_value, leak_opportunities, leak_sentence
from ...funnel.pages import bounce_rates
from ...funnel.segments import segment_heatmap_frame, segment_tests
from ...funnel.spec import FunnelError
from ...funnel.steps import run_funnel
from ...funnel.trends import compare_periods, next_events, weekly_conversion
from ...metrics.compare import has_rows_before, no_earlier_text
from ..display import note
from .plots import (
    plot_bounce_rates,
    plot_funnel,
    plot_segment_heatmap,
    plot_time_to_convert,
    plot_weekly_trend,
)
from .tables import (
    flagged_table,
    leak_table,
    next_events_table,
    period_table,
    semantics_box,
    show_table,
    steps_table,
)

__all__ = [
    "DropoffReport",
    "dropoff_report",
    "flagged_table",
    "leak_table",
    "next_events_table",
    "period_table",
    "semantics_box",
    "show_table",
    "steps_table",
]


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
    duration_quantiles: pd.DataFrame | None = None
    bounce: pd.DataFrame | None = None
    next_events: pd.DataFrame | None = None
    leak_step: int = 2
    periods_note: str = ""

    def _skipped(self) -> bool:
        if self.reason:
            note(gettext(self.reason, self.language))
        return bool(self.reason)

    def show_funnel(self) -> None:
        """The counting rules box, the funnel chart and the per-step table."""
        if self._skipped():
            return
        display(Markdown(semantics_box(self.result.spec, self.language)))
        plot_funnel(self.result.table)
        show_table(steps_table(self.result.table, language=self.language))
        display(Markdown(self.funnel_rate_text()))

    def funnel_rate_text(self) -> str:
        """The funnel's end-to-end rate named by what it divides (not the visitor → buyer rate)."""
        table = self.result.table.sort_values("step_number")
        first, last = str(table["step"].iloc[0]), str(table["step"].iloc[-1])
        rate = format_number(float(table["share_of_first"].iloc[-1]), "share",
                             language=self.language)  # fmt: skip
        return gettext(
            "**{first} → {last} (funnel): {rate}** of the users who reached {first} in the period "
            "went on to {last} ({last} / {first}, within the conversion window). This is not "
            "the visitor → buyer rate of the metrics chapter, which divides buyers by all "
            "visitors.",
            self.language,
        ).format(first=first, last=last, rate=rate)

    def show_leak(self) -> None:
        """The biggest leak in one sentence, then the scenario of every step (not a total)."""
        if self._skipped():
            return
        display(Markdown(leak_sentence(self.leaks, self.language)))
        show_table(leak_table(self.leaks, language=self.language))

    def show_segments(self) -> None:
        """The segment heatmap and the table of significant segments."""
        if self._skipped():
            return
        if not self.heatmap.empty:
            plot_segment_heatmap(self.heatmap)
        show_table(
            flagged_table(self.segments, language=self.language),
            empty=gettext("No segment differs significantly.", self.language),
        )

    def show_periods(self) -> None:
        """Compare the analysis period with the one before it, per step."""
        if self._skipped():
            return
        if self.periods.empty:
            note(
                self.periods_note
                or gettext("No comparison with the previous period.", self.language)
            )
            return
        show_table(period_table(self.periods, language=self.language))

    def show_weekly(self) -> None:
        """Conversion by entry week."""
        if not self._skipped():
            plot_weekly_trend(self.weekly)

    def show_time_to_convert(self) -> None:
        """How long conversion takes."""
        if not self._skipped():
            plot_time_to_convert(self.durations, self.duration_quantiles)

    def show_bounce(self, top: int = 10) -> None:
        """Bounce rate of the ``top`` landing pages by sessions (needs session_id and page)."""
        if self._skipped():
            return
        if self.bounce is None or self.bounce.empty:
            note(gettext("No sessions with page views, so no bounce rate by page.", self.language))
            return
        plot_bounce_rates(self.bounce.head(top))

    def show_next_events(self) -> None:
        """Where those who dropped at the biggest leak went next."""
        if not self._skipped():
            show_table(
                next_events_table(self.next_events, language=self.language),
                empty=gettext("Nobody dropped at this step.", self.language),
            )

    def write_audience(self, results_path: str, *, step: str = "") -> None:
        """Write the drop-off audience CSV next to the results and say where (or why not)."""
        if self._skipped():
            return
        names = self.result.steps
        number = names.index(step) + 1 if step in names[1:] else self.leak_step
        audience = dropoff_audience(self.result.paths, step=number)
        path = write_audience(audience, results_path, step_name=names[number - 1])
        unit = "sessions" if self.result.spec.unit == "session" else "users"
        values = {"n": format_count(len(audience), self.language), "step": names[number - 1]}
        if path:
            text = f"{{n}} {unit} dropped at {{step}}: written to `{{file}}` in the report folder."
            values["file"] = path.name
        else:
            text = f"{{n}} {unit} dropped at {{step}}: no file written (interactive run)."
        note(gettext(text, self.language).format(**values))

    def to_results(self) -> dict[str, Any]:
        """Plain values for ``save_results``: steps, leaks, significant segments, periods.

        ``leaks`` carries each step's ``scenario, scenario_detail, target_rate, value,
        value_low, value_high, cap, capped`` (alternatives: never add them up);
        ``leak_sentence`` is the sentence shown, ``leaks_are_alternatives`` says the values
        must not be summed, ``period_revenue`` is the cap every value stays under and
        ``funnel_conversion`` the end-to-end rate (last step / first step) with its step names.
        """
        if self.reason:
            return {"skipped": self.reason}
        flagged = self.segments[self.segments["flag"] != ""]
        ordered = self.result.table.sort_values("step_number")
        return {
            "steps": self.result.table, "period": list(self.result.period),
            "leaks": self.leaks, "aov": self.aov, "min_segment_users": self.gate,
            "significant_segments": flagged, "period_over_period": self.periods,
            "leak_sentence": leak_sentence(self.leaks, self.language),
            "leaks_are_alternatives": True,
            "funnel_conversion": {
                "from": self.result.steps[0], "to": self.result.steps[-1],
                "rate": float(ordered["share_of_first"].iloc[-1]),
            },
            "period_revenue": self.aov.get("revenue"),
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
        head = "No comparison with the previous period"
        if not has_rows_before(client, "events"):
            head = no_earlier_text(report.language).capitalize()
        head = gettext(head, report.language)
        detail = f": {err}" if report.language == "en" else "."
        previous, report.periods_note = None, f"{head}{detail}"
        report.periods = pd.DataFrame()
    gate = min_segment_users or config.min_segment_users
    names, paths, k = current.steps, current.paths, len(current.steps)
    aov = average_order_value(client, period=current.period, purchase_event=steps[-1])
    report.result, report.previous, report.aov, report.gate = current, previous, aov, gate
    report.segments = segment_tests(paths, steps=names, by=by, min_users=gate)
    report.leaks = leak_opportunities(
        current.table, aov=aov["aov"], aov_ci=(aov["aov_ci_low"], aov["aov_ci_high"]),
        currency=client.config.currency, aov_source=aov["source"], note=aov["note"],
        segments=report.segments, periods=report.periods, revenue=aov.get("revenue"),
    )  # fmt: skip
    report.heatmap = segment_heatmap_frame(report.segments)
    report.weekly = weekly_conversion(paths, steps=names)
    report.durations, report.duration_quantiles = conversion_times(paths, steps=names)
    if client.has("events", "session_id", "page"):
        report.bounce = bounce_rates(client, period=current.period, top=top_pages)
    report.leak_step = int(report.leaks["step_number"].iloc[0]) if k > 1 else 2
    report.next_events = next_events(
        paths, client, steps=names, step=report.leak_step, window=current.spec.conversion_window,
        unit=current.spec.unit, top=top_next_events,
    )  # fmt: skip
    return report
