"""The "pick metrics" chapter: everything notebook 01 shows, computed once, shown piece by piece.

:func:`pick_metrics` computes the catalogue against the client's data, every supported metric
now and in the period before, the channel economics and the historical CLV curve;
:class:`MetricsChapter` displays them and hands plain values to ``save_results``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Markdown, display

from ...core.formatting import format_value
from ...metrics.catalogue import catalogue, compute_metric, get_metric
from ...metrics.channels import channel_economics
from ...metrics.compare import NO_EARLIER, compare_periods, no_earlier_text
from ...metrics.pipeline import lead_pipeline
from ...stages.compass import key_metric
from ...stages.mapping import resolve_stages
from ..display import note, show
from . import plots

if TYPE_CHECKING:
    from ...data.loader import Client

__all__ = ["MetricsChapter", "pick_metrics", "with_metric_settings"]


def with_metric_settings(client: Client, **settings: Any) -> Client:
    """A view of the client with some ``metrics:`` settings replaced (None keeps client.yaml).

    The client's files and its ``client.yaml`` are not touched; the copy shares the data.

    Examples
    --------
    >>> from funnelkit import load_client
    >>> client = load_client(emit_warnings=False)
    >>> with_metric_settings(client, gross_margin=0.3).config.metrics.gross_margin
    0.3
    >>> client.config.metrics.gross_margin
    0.45
    """
    changes = {k: v for k, v in settings.items() if v not in (None, "", 0)}
    if not changes:
        return client
    view = copy.copy(client)
    metrics = client.config.metrics.model_copy(update=changes)
    view.config = client.config.model_copy(update={"metrics": metrics})
    return view


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

    @property
    def currency(self) -> str:
        return self.client.config.currency

    def show_supported(self) -> None:
        """The metrics this client's data supports, by stage, with their definitions."""
        table = self.catalogue[self.catalogue["supported"]]
        show(
            table[["stage", "name", "definition", "formula", "good"]],
            empty="The client's data supports no metric yet: add the events export first.",
        )

    def show_missing(self) -> None:
        """The metrics that need data the client has not given, and what to add."""
        table = self.catalogue[~self.catalogue["supported"]]
        show(
            table[["stage", "name", "missing"]].rename(columns={"missing": "add_to_unlock"}),
            empty="Every metric of the catalogue can be computed from this client's data.",
        )

    def show_key_metrics(self) -> None:
        """The key metric of each stage, why it was chosen, and its value now and before."""
        show(self.key_metrics[["stage", "name", "now", "before", "why", "chosen_in"]])

    @property
    def no_earlier(self) -> str:
        """The words "no earlier data" in the client's language."""
        return no_earlier_text(self.client.config.language)

    def show_changes(self) -> None:
        """Every metric now against the period before, with the test of the change."""
        table = self.changes.copy()
        if table.empty:
            note("No metric can be computed from this client's data, so nothing is compared.")
            return
        table["now"] = [
            format_value(v, u, self.currency)
            for v, u in zip(table["value"], table["unit"], strict=True)
        ]
        earlier = table["verdict"] != NO_EARLIER
        table["before"] = [
            format_value(v, u, self.currency) if e else self.no_earlier
            for v, u, e in zip(table["previous_value"], table["unit"], earlier, strict=True)
        ]
        table.loc[~earlier, "verdict"] = self.no_earlier
        if not earlier.any():
            note(
                f"{self.no_earlier.capitalize()}: the period before the analysis period holds "
                "no rows, so no metric is compared or tested. Export data from before the "
                "period start to see the changes."
            )
        columns = [
            "stage",
            "name",
            "before",
            "now",
            "relative_change",
            "p_value_adjusted",
            "verdict",
        ]
        show(table[columns], percent=["relative_change"])

    def plot_changes(self) -> None:
        if self.changes.empty or self.changes["relative_change"].notna().sum() == 0:
            note(f"Nothing to chart: {self.no_earlier} to compare the period with.")
            return
        plots.plot_changes(self.changes)
        plt.show()

    def show_pipeline(self) -> None:
        """Leads, MQL, SQL, won deals, their rates and the sales cycle per channel."""
        if self.pipeline is None:
            note("The pipeline by channel needs the leads table (with mql_at and won_at); add "
                 "it to client.yaml.")  # fmt: skip
            return
        table = self.pipeline.rename(columns=_PIPELINE_HEADERS)
        shown = [c for c in _PIPELINE_HEADERS.values() if table[c].notna().any()]
        show(
            table[shown],
            percent=[c for c in shown if "/" in c],
            empty="No leads were created in the period.",
        )
        gaps = {n for n in self.pipeline["note"] if n}
        for gap in sorted(gaps):
            note(f"Rates left out: {gap}.")

    def plot_pipeline(self) -> None:
        if self.pipeline is None or self.pipeline.empty:
            note("No leads in the period, so there is no pipeline to chart.")
            return
        plots.plot_pipeline(self.pipeline)
        plt.show()

    def show_channels(self) -> None:
        if self.channels is None:
            note("Channel economics need the spend and orders tables; add them to client.yaml.")
            return
        columns = [
            "channel",
            "spend",
            "new_customers",
            "customers",
            "orders",
            "revenue",
            "cac",
            "romi",
            "clv",
            "ltv_cac",
            "note",
        ]
        show(self.channels[columns], percent=["romi"])

    def plot_channels(self) -> None:
        if self.channels is None or self.channels["cac"].notna().sum() == 0:
            note("No channel has both spend and customers, so there is nothing to chart.")
            return
        fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
        plots.plot_cac_vs_ltv(self.channels, currency=self.currency, ax=left)
        plots.plot_romi(self.channels, ax=right)
        fig.tight_layout()
        plt.show()

    def show_clv_curve(self) -> None:
        if self.clv_curve is None or self.clv_curve.empty:
            note("The historical CLV curve needs the orders table with at least a month of data.")
            return
        plots.plot_clv_curve(self.clv_curve, currency=self.currency)
        plt.show()

    def settings_text(self) -> str:
        """The settings the numbers depend on, in one sentence."""
        settings = self.client.config.metrics
        margin = (
            f"a gross margin of {settings.gross_margin:.0%}"
            if settings.gross_margin
            else "revenue (no gross margin set, so ROMI and CLV are on revenue)"
        )
        attribution = settings.attribution.replace("_", "-")
        return (
            f"Channels are credited by **{attribution}** attribution; money metrics use "
            f"{margin}; amounts are in {self.currency}."
        )

    def show_settings(self) -> None:
        display(Markdown(self.settings_text()))

    def to_results(self) -> dict[str, Any]:
        """Plain values for ``save_results``: metrics now vs before, key metrics, channels."""
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
        }


_PIPELINE_HEADERS = {
    "channel": "channel",
    "leads": "leads",
    "mql": "MQL",
    "sql": "SQL",
    "won": "won",
    "mql_per_lead": "MQL / leads",
    "won_per_mql": "won / MQL",
    "won_per_sql": "won / SQL",
    "sales_cycle_days": "sales cycle, median days",
}


def _key_metrics(client: Client, changes: pd.DataFrame) -> pd.DataFrame:
    language = client.config.language
    found = changes.set_index("metric")
    rows = []
    for plan in resolve_stages(client):
        metric = key_metric(client, plan.key_metric, plan.origin["key_metric"])
        chosen = plan.origin["key_metric"]
        why = plan.reason.get(language, "") if chosen == "preset" else "chosen in client.yaml"
        if metric.id != plan.key_metric:
            preset = get_metric(plan.key_metric)
            why = (
                f"{metric.name[language]} instead of {preset.name[language]}: the data has no "
                f"{', '.join(preset.missing(client))}"
            )
        if metric.id in found.index:
            value, before = found.loc[metric.id, ["value", "previous_value"]]
            if found.loc[metric.id, "verdict"] == NO_EARLIER:
                before = no_earlier_text(language)
        else:
            value = before = float("nan")
            why += f" (needs {', '.join(metric.missing(client))})"
        rows.append(
            {
                "stage": plan.stage,
                "key_metric": metric.id,
                "name": metric.name[language],
                "now": format_value(value, metric.unit, client.config.currency),
                "before": before
                if isinstance(before, str)
                else format_value(before, metric.unit, client.config.currency),
                "why": why,
                "chosen_in": chosen,
            }
        )
    return pd.DataFrame(rows)


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
    changes = compare_periods(client)
    channels = channel_economics(client) if client.has("spend") and client.has("orders") else None
    curve = None
    if get_metric("historical_clv").supported(client):
        curve = compute_metric(client, "historical_clv")
    return MetricsChapter(
        client=client,
        catalogue=table,
        key_metrics=_key_metrics(client, changes),
        changes=changes,
        channels=channels,
        clv_curve=curve,
        pipeline=lead_pipeline(client) if client.has("leads") else None,
    )
