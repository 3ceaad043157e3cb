"""The "map stages" chapter: what notebook 02 shows, computed once, shown piece by piece.

:func:`map_stages` checks the stage mapping (an invalid one raises a
:class:`~funnelkit.core.errors.ConfigError` naming the fix), measures coverage, counts the people at
each stage and between stages, and builds the compass; :class:`StagesChapter` displays them
and hands plain values to ``save_results``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Markdown, display

from ...core.formatting import format_value
from ...metrics.compare import NO_EARLIER, no_earlier_text
from ...stages.compass import compass, compass_rule, compass_sentence
from ...stages.coverage import Coverage, coverage
from ...stages.volumes import stage_conversion, stage_volumes
from ..display import note, show
from . import plots

if TYPE_CHECKING:
    from ...data.loader import Client

__all__ = ["StagesChapter", "map_stages"]


@dataclass
class StagesChapter:
    """The computed content of the "map stages" chapter (see :func:`map_stages`)."""

    client: Client
    coverage: Coverage
    volumes: pd.DataFrame
    conversion: pd.DataFrame
    compass: pd.DataFrame

    @property
    def language(self) -> str:
        return self.client.config.language

    def coverage_text(self) -> str:
        """One sentence on how much of the event log the stages explain."""
        share = self.coverage.share_covered
        unmapped = self.coverage.unmapped
        if pd.isna(share):
            return "The client has no events table, so only the other sources map to stages."
        text = f"The stage mapping covers **{share:.1%}** of all events"
        if unmapped.empty:
            return text + "; every event name belongs to a stage."
        return text + (
            f"; {len(unmapped)} event names belong to no stage, the largest being "
            f"`{unmapped.iloc[0]['event']}` ({unmapped.iloc[0]['share_of_events']:.1%} of events)."
        )

    def show_coverage_text(self) -> None:
        display(Markdown(self.coverage_text()))

    def show_mapping(self) -> None:
        """Per stage: its patterns and sources, the event names they matched, and the origin."""
        columns = [
            "stage",
            "patterns",
            "sources",
            "matched_event_names",
            "events",
            "share_of_events",
            "has_data",
            "origin",
        ]
        show(self.coverage.stages[columns])

    def plot_coverage(self, top: int = 15) -> None:
        plots.plot_coverage(self.coverage.event_map, top=top)
        plt.show()

    def show_unmapped(self) -> None:
        """Event names no stage claims: map them (or decide they are noise)."""
        show(self.coverage.unmapped, empty="Every event name is mapped to a stage.")
        if self.coverage.no_data:
            note(f"Stages nobody reached in the period: {', '.join(self.coverage.no_data)}.")
        unused = self.coverage.unused_patterns
        if not unused.empty:
            names = ", ".join(f"`{p}`" for p in unused["pattern"])
            note(f"Preset patterns that matched no event of this client (ignored): {names}.")

    def show_volumes(self) -> None:
        plots.plot_stage_volumes(self.volumes)
        plt.show()
        show(self.volumes)

    def show_conversion(self) -> None:
        plots.plot_stage_conversion(self.conversion)
        plt.show()
        columns = [
            "from_stage",
            "to_stage",
            "people_from",
            "people_both",
            "people_to",
            "rate",
            "ci_low",
            "ci_high",
            "basis",
            "note",
        ]
        table = self.conversion[[c for c in columns if c in self.conversion]].copy()
        table["people_both"] = table["people_both"].astype("Int64")  # empty for volume ratios
        show(table, percent=["rate", "ci_low", "ci_high"])

    def show_compass(self) -> None:
        """The compass table, the ranking rule, and the "fix this stage first" sentence."""
        currency = self.client.config.currency
        table = self.compass.copy()
        table["now"] = [
            format_value(v, u, currency) for v, u in zip(table["value"], table["unit"], strict=True)
        ]
        table["before"] = [
            no_earlier_text(self.language) if status == NO_EARLIER else format_value(v, u, currency)
            for v, u, status in zip(
                table["previous_value"], table["unit"], table["status"], strict=True
            )
        ]
        table["rank"] = table["rank"].astype("Int64")
        table["target_value"] = [
            format_value(v, u, currency) if pd.notna(v) else "–"
            for v, u in zip(table["target"], table["unit"], strict=True)
        ]
        columns = [
            "rank",
            "stage",
            "name",
            "before",
            "now",
            "relative_change",
            "p_value_adjusted",
            "target_value",
            "gap_to_target",
            "status",
        ]
        show(table[columns], percent=["relative_change", "gap_to_target"])
        display(Markdown(f"> {compass_rule(self.language)}"))
        display(
            Markdown(
                "### " + compass_sentence(self.compass, language=self.language, currency=currency)
            )
        )

    def to_results(self) -> dict[str, Any]:
        """Plain values for ``save_results``: coverage, volumes, conversion and the compass."""
        ranking = self.compass[
            [
                "rank",
                "stage",
                "key_metric",
                "value",
                "ci_low",
                "ci_high",
                "previous_value",
                "change",
                "relative_change",
                "p_value_adjusted",
                "significant",
                "target",
                "gap_to_target",
                "status",
            ]
        ]
        return {
            "share_of_events_covered": self.coverage.share_covered,
            "unmapped_events": self.coverage.unmapped["event"].tolist(),
            "stages_without_data": list(self.coverage.no_data),
            "volumes": self.volumes,
            "conversion": self.conversion,
            "compass": ranking,
            "fix_first": compass_sentence(
                self.compass, language=self.language, currency=self.client.config.currency
            ),
        }


def map_stages(client: Client) -> StagesChapter:
    """Compute the "map stages" chapter for a client.

    Raises
    ------
    ConfigError
        When the stage mapping in client.yaml is invalid (an event claimed by two stages, a
        pattern matching no event, a source whose table is not configured).

    Examples
    --------
    >>> from funnelkit import load_client
    >>> chapter = map_stages(load_client(emit_warnings=False))
    >>> chapter.compass["stage"].iloc[0], round(float(chapter.coverage.share_covered), 3)
    ('retention', 0.914)
    """
    volumes = stage_volumes(client)
    return StagesChapter(
        client=client,
        coverage=coverage(client, volumes=volumes),
        volumes=volumes,
        conversion=stage_conversion(client),
        compass=compass(client),
    )
