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

from ...core.formatting import format_count, format_number, format_p, format_value
from ...core.i18n import gettext
from ...metrics.compare import NO_EARLIER, no_earlier_text
from ...stages.compass import compass, compass_rule, compass_sentence
from ...stages.coverage import Coverage, coverage
from ...stages.mapping import resolve_stages
from ...stages.presets import stage_name
from ...stages.volumes import stage_conversion, stage_volumes
from ..display import note, show
from . import plots

if TYPE_CHECKING:
    from ...data.loader import Client

__all__ = ["StagesChapter", "map_stages"]


#: What a source puts in a stage, as a reader reads it (``(source, stage)`` first, then source).
_SOURCE_WORDS = {
    ("orders", "retention"): "a repeat order",
    ("nps", "advocacy"): "a promoter's survey answer (NPS 9–10)",
    ("leads", "purchase"): "a won deal (counted in leads)",
    "orders": "an order",
    "nps": "a survey answer (NPS)",
    "leads": "a new lead (counted in leads)",
}
#: Where a stage's definition comes from, in the reader's words.
_ORIGIN_WORDS = {
    "client.yaml": "set for this report",
    "preset": "standard for the business type",
    "client.yaml + preset": "set for this report + standard",
}
_EVENTS_SHOWN = 5


def _share(value: float, language: str) -> str:
    return format_number(value, "share", language=language)


def _names(names: list[str], language: str) -> str:
    """Event names, the first few and how many more."""
    shown = ", ".join(names[:_EVENTS_SHOWN])
    if len(names) > _EVENTS_SHOWN:
        more = gettext("{n} more", language).format(
            n=format_count(len(names) - _EVENTS_SHOWN, language)
        )
        shown += ", " + more
    return shown


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

    def _stage(self, stage: str) -> str:
        return stage_name(stage, self.language)

    def coverage_text(self) -> str:
        """One sentence on how much of the event log the stages explain."""
        language = self.language
        share = self.coverage.share_covered
        unmapped = self.coverage.unmapped
        if pd.isna(share):
            return gettext(
                "The client has no events table, so only the other sources map to stages.",
                language,
            )
        if unmapped.empty:
            return gettext(
                "The stage mapping covers **{share}** of all events; every event name belongs "
                "to a stage.",
                language,
            ).format(share=_share(share, language))
        return gettext(
            "The stage mapping covers **{share}** of all events; {n} event names belong to no "
            "stage, the largest being `{event}` ({event_share} of events).",
            language,
        ).format(
            share=_share(share, language),
            n=format_count(len(unmapped), language),
            event=unmapped.iloc[0]["event"],
            event_share=_share(unmapped.iloc[0]["share_of_events"], language),
        )

    def show_coverage_text(self) -> None:
        display(Markdown(self.coverage_text()))

    def show_mapping(self) -> None:
        """Per stage: its patterns and sources, the event names they matched, and the origin."""
        language = self.language
        table = self.coverage.stages.copy()
        table["stage"] = table["stage"].map(self._stage)
        table["sources"] = [
            ", ".join(gettext(s.strip(), language) for s in text.split(",") if s.strip())
            for text in table["sources"]
        ]
        table["origin"] = [gettext(_ORIGIN_WORDS.get(o, o), language) for o in table["origin"]]
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
        show(table[columns].rename(columns={"has_data": "anyone_in_the_period"}))

    def plot_coverage(self, top: int = 15) -> None:
        plots.plot_coverage(self.coverage.event_map, top=top)
        plt.show()

    def show_unmapped(self) -> None:
        """Event names no stage claims: map them (or decide they are noise)."""
        language = self.language
        show(self.coverage.unmapped, empty="Every event name is mapped to a stage.")
        if self.coverage.no_data:
            stages = ", ".join(self._stage(s) for s in self.coverage.no_data)
            note(gettext("Stages nobody reached in the period: {stages}.", language).format(
                stages=stages))  # fmt: skip
        unused = self.coverage.unused_patterns
        if not unused.empty:
            names = ", ".join(f"`{p}`" for p in unused["pattern"])
            note(
                gettext(
                    "Standard patterns that matched no event of this client (ignored): {names}.",
                    language,
                ).format(names=names)
            )

    def stage_definitions(self) -> dict[str, str]:
        """Per stage, who it counts, in the reader's words.

        For example "people with an event of the purchase stage (add_to_cart, …) or an order".
        """
        language = self.language
        stages = self.coverage.stages
        matched = dict(zip(stages["stage"], stages["matched_event_names"], strict=True))
        definitions = {}
        for plan in resolve_stages(self.client):
            parts = []
            names = [n for n in str(matched.get(plan.stage, "")).split(", ") if n]
            if names:
                parts.append(
                    gettext("an event of the {stage} stage ({events})", language).format(
                        stage=self._stage(plan.stage), events=_names(names, language)
                    )
                )
            for source in plan.sources:
                words = _SOURCE_WORDS.get((source, plan.stage), _SOURCE_WORDS.get(source, source))
                parts.append(gettext(words, language))
            if not parts:
                definitions[plan.stage] = "–"
                continue
            joined = f" {gettext('or', language)} ".join(parts)
            definitions[plan.stage] = gettext("people with {what}", language).format(what=joined)
        return definitions

    def volume_table(self) -> pd.DataFrame:
        """The stage volumes as shown: each stage with what it counts."""
        definitions = self.stage_definitions()
        table = self.volumes.copy()
        table.insert(1, "who_is_counted", table["stage"].map(definitions).fillna("–"))
        table["stage"] = table["stage"].map(self._stage)
        return table.rename(
            columns={
                "from_events": "of_them_through_events",
                "from_sources": "of_them_through_orders,_leads_or_surveys",
                "linkable": "counted_as_people_not_leads",
            }
        )

    def show_volumes(self) -> None:
        plots.plot_stage_volumes(self.volumes)
        plt.show()
        show(self.volume_table())

    def conversion_table(self) -> pd.DataFrame:
        """Stage-to-stage rates as shown, each named by what it divides."""
        language = self.language
        rows = []
        for r in self.conversion.itertuples():
            a, b = self._stage(r.from_stage), self._stage(r.to_stage)
            if r.basis == "same people":
                divides = gettext("people at both / people at {first}", language)
            else:
                divides = gettext(
                    "people at {second} / people at {first}, not the same people", language
                )
            name = f"{a} → {b} ({divides.format(first=a, second=b)})"
            interval = (
                "–"
                if pd.isna(r.ci_low)
                else f"{_share(r.ci_low, language)} – {_share(r.ci_high, language)}"
            )
            rows.append(
                {
                    "stage_to_stage": name,
                    "people_at_the_first_stage": r.people_from,
                    "people_at_both": r.people_both,
                    "people_at_the_next_stage": r.people_to,
                    "rate": r.rate,
                    "95%_interval": interval,
                    "note": r.note,
                }
            )
        table = pd.DataFrame(rows)
        table["people_at_both"] = table["people_at_both"].astype("Int64")  # empty: volume ratio
        return table

    def show_conversion(self) -> None:
        plots.plot_stage_conversion(self.conversion)
        plt.show()
        show(self.conversion_table(), percent=["rate"])

    def compass_table(self) -> pd.DataFrame:
        """The compass as shown: values in their units, stage and status in the reader's words."""
        language, currency = self.language, self.client.config.currency
        table = self.compass.copy()

        def value(v: float, u: str) -> str:
            return format_value(v, u, currency, language=language)

        table["now"] = [value(v, u) for v, u in zip(table["value"], table["unit"], strict=True)]
        table["before"] = [
            no_earlier_text(language) if status == NO_EARLIER else value(v, u)
            for v, u, status in zip(
                table["previous_value"], table["unit"], table["status"], strict=True
            )
        ]
        table["rank"] = table["rank"].astype("Int64")
        table["target_value"] = [
            value(v, u) if pd.notna(v) else "–"
            for v, u in zip(table["target"], table["unit"], strict=True)
        ]
        table["stage"] = table["stage"].map(self._stage)
        table["p_value_adjusted"] = [
            format_p(v, language=language) for v in table["p_value_adjusted"]
        ]
        table["relative_change"] = [
            format_number(v, "lift", language=language) for v in table["relative_change"]
        ]
        table["status"] = [
            no_earlier_text(language) if s == NO_EARLIER else gettext(str(s), language)
            for s in table["status"]
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
        return table[columns].rename(
            columns={
                "name": "key_metric",
                "relative_change": "change",
                "p_value_adjusted": "adjusted_p-value",
                "target_value": "target",
            }
        )

    def show_compass(self) -> None:
        """The compass table, the ranking rule, and the "fix this stage first" sentence."""
        currency = self.client.config.currency
        show(self.compass_table(), percent=["gap_to_target"])
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
            "who_is_counted": self.stage_definitions(),
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
