"""The customer-value chapter: what notebook 06 shows, computed once.

:func:`review_value` computes the predicted customer value (when :mod:`funnelkit.value.clv` is
there), the first-purchase cohorts and their churn, the RFM segments and the value by channel;
:class:`ValueChapter` displays them (tables and sentences from :mod:`.text` and :mod:`.clv_text`,
charts from :mod:`.plots`) and hands plain values to ``save_results``. With an events table it
also shows the return rate of visitors by first-visit week (:mod:`.visits`). A client with events
but no orders gets a note saying what the orders-based parts need, then the visit section; a
client with neither gets one note saying what the chapter needs, and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Markdown, display

from ...core.errors import FunnelkitError
from ...core.formatting import format_count
from ...value import (
    cohort_churn,
    heatmap_frame,
    order_cohorts,
    rfm_scores,
    rfm_segments,
    segment_rules,
    spend_frequency_check,
    visit_cohorts,
    write_segment_audiences,
)
from ...value.channels import value_by_channel
from ...value.clv import customer_value
from ...value.holdout import holdout_check
from ..display import ClientWords, note, show
from ..results import to_jsonable
from . import clv_text, plots, text, visits

if TYPE_CHECKING:
    from ...data.loader import Client

__all__ = ["AUDIENCE_FILE", "HORIZON_WEEKS", "ValueChapter", "review_value"]

#: The pattern of the audience files written next to the report, one per RFM segment.
AUDIENCE_FILE = "audience_rfm_<segment>.csv"
#: The horizon of the predicted customer value, in weeks.
HORIZON_WEEKS = 52


@dataclass
class ValueChapter(ClientWords):
    """The computed content of the customer-value chapter (see :func:`review_value`).

    ``available`` says whether the orders-based parts (predicted value, orders cohorts,
    segments, channels) are there; ``visits`` is :func:`funnelkit.value.visit_cohorts` by week
    (None without an events table), shown whatever ``available`` is.
    """

    client: Client
    available: bool
    cohorts: pd.DataFrame = field(default_factory=pd.DataFrame)
    churn: pd.DataFrame = field(default_factory=pd.DataFrame)
    scores: pd.DataFrame = field(default_factory=pd.DataFrame)
    segments: pd.DataFrame = field(default_factory=pd.DataFrame)
    value: Any = None
    parts: dict[str, Any] | None = None
    holdout: Any = None
    channels: pd.DataFrame | None = None
    visits: pd.DataFrame | None = None
    problems: dict[str, str] = field(default_factory=dict)
    horizon_weeks: int = HORIZON_WEEKS

    # --- 1. intro ---------------------------------------------------------------------------
    def show_intro(self) -> None:
        """What CLV is and where each number comes from, or what the chapter needs."""
        if not self.available:
            events = self.client.has("events")
            note(text.NEEDS_ORDERS if events else text.NEEDS, language=self.language)
            return
        customers = format_count(len(self.scores), self.language)
        display(Markdown(clv_text.intro_text(customers, self.horizon_weeks, self.language)))

    # --- 2. predicted value -----------------------------------------------------------------
    def show_clv(self) -> None:
        """The mean predicted CLV with its interval, the model, its checks, the simple formula."""
        if not self.available:
            return
        if self.value is None:
            note(clv_text.missing_text(self.problems.get("clv")), language=self.language)
            return
        display(Markdown(clv_text.clv_text(self.parts, self.language, self.currency)))

    def show_holdout(self) -> None:
        """Predicted vs actual repeat purchases in the holdout weeks (chart and totals)."""
        if not self.available or self.value is None:
            return
        check = clv_text.holdout_frame(self.holdout) if self.holdout is not None else None
        if check is None or check.empty:
            note(self._("The holdout check is not available for this client's history."),
                 language=self.language)  # fmt: skip
            return
        plots.plot_holdout(check)
        plt.show()
        sentence = clv_text.holdout_text(self.holdout, self.language, self.client.config)
        if sentence:
            display(Markdown(sentence))

    # --- 3. cohorts -------------------------------------------------------------------------
    def show_cohorts(self) -> None:
        """Retention and revenue per customer by first-purchase month, and churn in words."""
        if not self.available:
            return
        if self.cohorts.empty:
            note(self._("No orders up to the end of the period, so there are no cohorts."),
                 language=self.language)  # fmt: skip
            return
        sizes = self.cohorts.groupby("cohort")["cohort_size"].first()
        retention = heatmap_frame(self.cohorts, value="retention")
        show(text.cohort_table(retention, sizes, "share", self.language, self.currency))
        plots.plot_cohort_heatmap(retention, unit="share")
        plt.show()
        revenue = heatmap_frame(self.cohorts, value="revenue_per_customer")
        plots.plot_cohort_heatmap(revenue, unit="money", currency=self.currency)
        plt.show()
        sentences = text.churn_sentences(self.churn, self.language)
        display(Markdown("\n".join(f"- {s}" for s in sentences)))

    # --- 3b. visits ------------------------------------------------------------------------
    def show_visits(self) -> None:
        """Return rate of visitors by first-visit week: table, heatmap and week 1 in words."""
        if not self.client.has("events"):
            if self.available:
                note(visits.NEEDS_EVENTS, language=self.language)
            return
        if self.visits is None:  # visit_cohorts failed: the reason is in problems["visits"]
            note(self._("The return rate of visitors could not be computed from the events "
                        "table."), language=self.language)  # fmt: skip
            return
        if self.visits.empty:
            note(self._("No events up to the end of the period, so there are no first-visit "
                        "weeks."), language=self.language)  # fmt: skip
            return
        wide = visits.weekly_return(self.visits)
        summary = visits.visit_summary(self.visits)
        if wide.shape[0] and wide.shape[1]:
            sizes = self.visits.groupby("cohort")["cohort_size"].first()
            show(visits.visit_table(wide, sizes, self.language))
            plots.plot_cohort_heatmap(wide, unit="share", period="week")
            plt.show()
        sentences = visits.visit_sentences(summary, self.language)
        display(Markdown("\n".join(f"- {s}" for s in sentences)))

    # --- 4. segments ------------------------------------------------------------------------
    def segment_names(self) -> dict[str, str]:
        rules = segment_rules(self.language)
        return dict(zip(rules["segment"], rules["name"], strict=True))

    def show_segments(self, results_path: str | Path = "") -> None:
        """The RFM segments: table, chart, and the audience files written next to the report."""
        if not self.available:
            return
        if self.segments.empty or int(self.segments["customers"].sum()) == 0:
            note(self._("No customers to segment."), language=self.language)
            return
        rules = segment_rules(self.language)
        show(text.segments_table(self.segments, rules, self.language, self.currency))
        empty = [self.segment_names()[s] for s in self.segments.loc[
            self.segments["customers"] == 0, "segment"]]  # fmt: skip
        if empty:
            note(self._("No customer falls in these segments, left out above: {names}.").format(
                names=", ".join(empty)), language=self.language)  # fmt: skip
        plots.plot_segments(self.segments, self.segment_names())
        plt.show()
        written = write_segment_audiences(self.scores, results_path)
        display(Markdown(clv_text.audience_text(len(written), bool(str(results_path or "")),
                                                self.language)))  # fmt: skip

    # --- 5. channels ------------------------------------------------------------------------
    def show_channels(self) -> None:
        """Predicted value, CAC, LTV:CAC and payback per channel, with the attribution rule."""
        if not self.available:
            return
        if self.channels is None or self.channels.empty:
            note(clv_text.no_channels_text(self.client.has("spend"), self.value is not None,
                                           value_by_channel is not None),
                 language=self.language)  # fmt: skip
            return
        if set(self.channels["channel"].astype(str)) == {"(unknown)"}:
            note(self._("No customer's acquisition channel is known (the orders and events carry "
                        "no channel), so there is no value by channel."),
                 language=self.language)  # fmt: skip
            return
        weeks = self.horizon_weeks
        display(Markdown(clv_text.attribution_text(self.channels, weeks, self.language)))
        show(text.channel_table(self.channels, weeks, self.language, self.currency))
        if not self.client.has("spend"):
            note(clv_text.no_channels_text(False, True), language=self.language)

    # --- 6. next steps ----------------------------------------------------------------------
    def show_next_steps(self) -> None:
        """What to do with the chapter: the segment lists, or the orders export still missing."""
        if self.available:
            display(Markdown(self._(text.NEXT_STEPS)))
        elif self.visits is not None and len(self.visits):
            display(Markdown(self._(text.NEXT_STEPS_VISITS)))

    # --- results ----------------------------------------------------------------------------
    def to_results(self) -> dict[str, Any]:
        """Plain JSON values: the predicted and simple CLV, cohorts, segments, channels, visits.

        ``available`` is whether the orders-based parts are there (False without an orders
        table, then only ``needs`` and ``visits`` are given); ``visits`` is the week-1 return
        rate of visitors (``cohorts``, ``week_1_return``, ``low``, ``high``, … of
        :func:`.visits.visit_summary`), None without an events table.
        """
        summary = None if self.visits is None else to_jsonable(visits.visit_summary(self.visits))
        if not self.available:
            needs = text.NEEDS_ORDERS if self.client.has("events") else text.NEEDS
            return {"available": False, "needs": needs, "visits": summary}
        keep = ("cohort", "cohort_size", "observed_periods", "churn_1", "churn_1_low",
                "churn_1_high", "churn_3")  # fmt: skip
        churn = [c for c in keep if c in self.churn]
        segments = ["segment", "customers", "share", "revenue", "revenue_share",
                    "mean_recency", "mean_frequency", "mean_monetary"]  # fmt: skip
        table = self.segments[segments].assign(
            name=self.segments["segment"].map(self.segment_names()),
            action=self.segments[f"action_{self.language}"],
        )
        return to_jsonable({
            "available": True,
            "customers": len(self.scores),
            "clv": clv_text.clv_results(self.parts, self.problems.get("clv")),
            "horizon_weeks": self.horizon_weeks,
            "cohorts": {
                "count": int(self.cohorts["cohort"].nunique()) if len(self.cohorts) else 0,
                "churn": self.churn[churn] if len(self.churn) else [],
            },
            "segments": table,
            "audience_files": [f"audience_rfm_{s}.csv" for s, n in
                               zip(self.segments["segment"], self.segments["customers"],
                                   strict=True) if n > 0],
            "by_channel": self.channels.drop(columns=["note"], errors="ignore")
            if self.channels is not None else [],
            "holdout": clv_text.holdout_results(self.holdout),
            "visits": summary,
        })  # fmt: skip


def review_value(client: Client, *, horizon_weeks: int = HORIZON_WEEKS) -> ValueChapter:
    """Compute the customer-value chapter for a client.

    Without orders only the visits (with an events table) are computed and ``available`` is
    False; with neither table the chapter is one note.

    Examples
    --------
    >>> from funnelkit import load_client
    >>> chapter = review_value(load_client(emit_warnings=False))
    >>> chapter.available, int(chapter.segments["customers"].sum()) == len(chapter.scores)
    (True, True)
    >>> int(chapter.visits["period_number"].max()) > 4  # weekly cohorts of the events
    True
    """
    problems: dict[str, str] = {}
    weeks = None
    if client.has("events"):
        try:
            weeks = visit_cohorts(client, freq="W")
        except (FunnelkitError, ValueError) as error:
            problems["visits"] = str(error)
    if not client.has("orders"):
        return ValueChapter(client=client, available=False, visits=weeks, problems=problems,
                            horizon_weeks=horizon_weeks)  # fmt: skip
    cohorts = order_cohorts(client, freq="M")
    scores = rfm_scores(client)
    chapter = ValueChapter(
        client=client,
        available=True,
        cohorts=cohorts,
        churn=cohort_churn(cohorts) if len(cohorts) else pd.DataFrame(),
        scores=scores,
        segments=rfm_segments(scores),
        visits=weeks,
        problems=problems,
        horizon_weeks=horizon_weeks,
    )
    try:
        chapter.value = customer_value(client, horizon_weeks=horizon_weeks)
    except (FunnelkitError, ValueError) as error:
        chapter.problems["clv"] = str(error)
        return chapter
    if not np.isfinite(chapter.value.totals.set_index("quantity").loc["clv_mean", "value"]):
        # a degenerate fit (weeks of history, parameters run off to the bounds): no value
        chapter.problems["clv"] = "the models gave no finite customer value"
        chapter.value = None
        return chapter
    try:
        check = spend_frequency_check(chapter.value.customers, frequency="frequency")
    except (FunnelkitError, ValueError):
        check = None
    try:
        chapter.holdout = holdout_check(client)
    except (FunnelkitError, ValueError) as error:
        chapter.problems["holdout"] = str(error)
    chapter.parts = clv_text.clv_parts(chapter.value, check, holdout=chapter.holdout)
    try:
        chapter.channels = value_by_channel(client, chapter.value)
    except (FunnelkitError, ValueError) as error:
        chapter.problems["by_channel"] = str(error)
    return chapter
