"""Journey stages (awareness → consideration → purchase → retention → advocacy).

Which events and sources belong to each stage (``client.yaml`` merged with the business-type
preset), how much of the event log that covers, how many people reach each stage in a period
and how many move on to the next.
"""

from __future__ import annotations

from .compass import compass, compass_rule, compass_sentence
from .coverage import Coverage, coverage, stage_coverage
from .mapping import (
    StagePlan,
    event_stage_map,
    match_names,
    matches,
    resolve_stages,
    stage_events,
    unused_patterns,
)
from .presets import BUSINESS_TYPES, PRESETS, STAGES, StagePreset, check_stage, get_preset
from .volumes import stage_conversion, stage_volumes

__all__ = [
    "BUSINESS_TYPES",
    "PRESETS",
    "STAGES",
    "Coverage",
    "StagePlan",
    "StagePreset",
    "check_stage",
    "compass",
    "compass_rule",
    "compass_sentence",
    "coverage",
    "event_stage_map",
    "get_preset",
    "match_names",
    "matches",
    "resolve_stages",
    "stage_conversion",
    "stage_coverage",
    "stage_events",
    "stage_volumes",
    "unused_patterns",
]
