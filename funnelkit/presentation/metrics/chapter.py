"""The "pick metrics" chapter: everything notebook 01 shows, computed once, shown piece by piece.

:func:`pick_metrics` computes the catalogue against the client's data, every supported metric
now and in the period before, the channel economics and the historical CLV curve;
:class:`MetricsChapter` displays them (tables from :mod:`.tables`, sentences from
:mod:`.sentences`, charts from :mod:`.plots`) and hands plain values to ``save_results``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Markdown, display

from ...core.i18n import gettext
from ...metrics.catalogue import catalogue, compute_metric, get_metric
from ...metrics.channels import channel_economics
from ...metrics.compare import NO_EARLIER, compare_periods, no_earlier_text
from ...metrics.pipeline import lead_pipeline
from ..display import note
from ..tables_common import show_text
from . import plots, sentences, tables
from .content import chapter_metric_ids, clv_summary, key_metrics_frame, with_metric_settings

if TYPE_CHECKING:
    from ...data.loader import Client

__all__ = ["MetricsChapter", "pick_metrics", "with_metric_settings"]


@dataclass
class MetricsChapter:
    """The computed content of the "pick metrics" chapter (see :func:`pick_metrics`)."""

    client: Client
    catalogue: pd.DataFrame
    key_metrics: pd.DataFrame
    changes: pd.DataFrame
    channels: pd.DataFrame | None
    clv_curve: pd.DataFrame | None
    pipeline: pd.DataFrame | None = None
    clv: dict[str, Any] | None = None

    @property
    def currency(self) -> str:
        return self.client.config.currency

    @property
    def language(self) -> str:
        return self.client.config.language

    def _(self, text: str) -> str:
        return gettext(text, self.language)

    def show_supported(self) -> None:
        """The metrics this client's data supports, by stage, with their definitions."""
        shown = tables.supported_table(self.catalogue, self.language)
        show_text(shown, empty=self._("The client's data supports no metric yet."))

    def show_missing(self) -> None:
        """The metrics that need data the client has not given, and what to add."""
        shown = tables.missing_table(self.catalogue, self.language)
        show_text(
            shown,
            empty=self._("Every metric of the catalogue can be computed from this client's data."),
        )

    def show_key_metrics(self) -> None:
        """The key metric of each stage, why it was chosen, and its value now and before."""
        show_text(tables.key_metrics_table(self.key_metrics, self.language))

    @property
    def no_earlier(self) -> str:
        """The words "no earlier data" in the client's language."""
        return no_earlier_text(self.language)

    def show_changes(self) -> None:
        """Every metric now against the period before, with the test of the change."""
        _ = self._
        table = self.changes
        if table.empty:
            note(_("No metric can be computed from this client's data, so nothing is compared."))
            return
        if not (table["verdict"] != NO_EARLIER).any():
            note(_("No earlier data: the period before the analysis period holds no rows, so no "
                   "metric is compared or tested. Export data from before the period start to "
                   "see the changes."))  # fmt: skip
        show_text(tables.changes_table(table, self.language, self.currency))
        if self.clv is not None and self.channels is None and "clv" in set(table["metric"]):
            display(Markdown(self.clv_text()))

    def plot_changes(self) -> None:
        if self.changes.empty or self.changes["relative_change"].notna().sum() == 0:
            note(self._("Nothing to chart: no earlier data to compare the period with."))
            return
        plots.plot_changes(self.changes)
        plt.show()

    def show_pipeline(self) -> None:
        """Leads, MQL, SQL, won deals, their rates and the sales cycle per channel."""
        _ = self._
        if self.pipeline is None:
            note(_("The pipeline by channel needs the CRM's leads, which this client's data does "
                   "not have."))  # fmt: skip
            return
        if self.pipeline.empty:
            note(_("No leads were created in the period."))
            return
        show_text(tables.pipeline_table(self.pipeline, self.language))
        gaps = {n for n in self.pipeline["note"] if n}
        for gap in sorted(gaps):
            note(_("Rates left out: {gap}.").format(gap=_(gap)))

    def plot_pipeline(self) -> None:
        if self.pipeline is None or self.pipeline.empty:
            note(self._("No leads in the period, so there is no pipeline to chart."))
            return
        plots.plot_pipeline(self.pipeline)
        plt.show()

    def clv_text(self) -> str:
        """How CLV, LTV:CAC and payback were computed, with their numbers, in plain words."""
        return sentences.clv_text(
            self.clv,
            gross_margin=self.client.config.metrics.gross_margin,
            language=self.language,
            currency=self.currency,
            has_orders=self.client.has("orders"),
        )

    def show_channels(self) -> None:
        _ = self._
        if self.channels is None:
            note(_("Channel economics need the advertising spend and the orders, which this "
                   "client's data does not have."))  # fmt: skip
            return
        on_margin = bool(self.client.config.metrics.gross_margin)
        show_text(tables.channels_table(self.channels, self.language, self.currency,
                                        on_margin=on_margin))  # fmt: skip
        if self.clv is not None:
            display(Markdown(self.clv_text()))

    def plot_channels(self) -> None:
        if self.channels is None or self.channels["cac"].notna().sum() == 0:
            note(self._("No channel has both spend and customers, so there is nothing to chart."))
            return
        _fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 9.5), layout="constrained")
        on_margin = bool(self.client.config.metrics.gross_margin)
        plots.plot_cac_vs_ltv(self.channels, currency=self.currency, on_margin=on_margin, ax=top)
        plots.plot_romi(self.channels, ax=bottom)
        plt.show()

    def show_clv_curve(self) -> None:
        if self.clv_curve is None or self.clv_curve.empty:
            note(self._("The revenue-per-customer curve needs orders over at least a month."))
            return
        plots.plot_clv_curve(self.clv_curve, currency=self.currency)
        plt.show()

    def settings_text(self) -> str:
        """The settings the numbers depend on, in one sentence."""
        return sentences.settings_text(
            self.client.config.metrics, language=self.language, currency=self.currency
        )

    def show_settings(self) -> None:
        display(Markdown(self.settings_text()))

    def to_results(self) -> dict[str, Any]:
        """Plain values for ``save_results``: metrics now vs before, key metrics, channels.

        ``clv`` holds the CLV with its assumption (``clv, margin_per_customer,
        revenue_per_customer, lifetime_months, periods, period_days, retention, churn,
        source, cac, ltv_cac, payback_months, note``) and ``clv_text`` the sentence shown.
        """
        metrics = self.changes[
            [
                "metric",
                "stage",
                "value",
                "ci_low",
                "ci_high",
                "previous_value",
                "change",
                "relative_change",
                "p_value_adjusted",
                "significant",
                "verdict",
            ]
        ]
        return {
            "metrics": metrics,
            "key_metrics": self.key_metrics[["stage", "key_metric", "chosen_in"]],
            "channels": self.channels,
            "pipeline": self.pipeline,
            "settings": self.client.config.metrics.model_dump(),
            "clv": self.clv,
            "clv_text": self.clv_text() if self.clv is not None else None,
        }


def pick_metrics(
    client: Client, *, attribution: str | None = None, gross_margin: float | None = None
) -> MetricsChapter:
    """Compute the "pick metrics" chapter for a client.

    Parameters
    ----------
    client : funnelkit.data.loader.Client
    attribution : {"first_touch", "last_touch"}, optional
        Overrides ``metrics.attribution`` of client.yaml for this chapter.
    gross_margin : float, optional
        Overrides ``metrics.gross_margin`` (0 or None keeps client.yaml's).

    Returns
    -------
    MetricsChapter

    Examples
    --------
    >>> from funnelkit import load_client
    >>> chapter = pick_metrics(load_client(emit_warnings=False))
    >>> chapter.key_metrics["key_metric"].tolist()
    ['visitors', 'engagement_rate', 'conversion_rate', 'repeat_purchase_rate', 'nps']
    """
    client = with_metric_settings(client, attribution=attribution, gross_margin=gross_margin)
    table = catalogue(client, language=client.config.language)
    changes = compare_periods(client, chapter_metric_ids(client))
    channels = channel_economics(client) if client.has("spend") and client.has("orders") else None
    curve = None
    if get_metric("historical_clv").supported(client):
        curve = compute_metric(client, "historical_clv")
    return MetricsChapter(
        client=client,
        catalogue=table,
        key_metrics=key_metrics_frame(client, changes),
        changes=changes,
        channels=channels,
        clv_curve=curve,
        pipeline=lead_pipeline(client) if client.has("leads") else None,
        clv=clv_summary(client),
    )
