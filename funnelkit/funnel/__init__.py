"""Funnels: the exact engine, per-step tables, tested segments, money at stake, trends, audiences.

The engine (:func:`funnel_paths`) turns an event log into one row per unit with the time of each
step reached, following the rules of ``docs/funnel.md`` (:class:`FunnelSpec`). Everything else
aggregates that relation in DuckDB into tidy frames: :func:`funnel_steps` (users, shares with
Wilson intervals, timings), :func:`segment_tests` (each segment against the rest, Holm,
minimum-sample gate), :func:`leak_opportunities` (money at stake), :func:`compare_periods`,
:func:`weekly_conversion`, :func:`next_events`, :func:`bounce_rates` and
:func:`dropoff_audience`. Tables, charts and the counting rules in plain words are shown by
:mod:`funnelkit.presentation.funnel` (the presentation layer).
"""

from __future__ import annotations

import importlib
from typing import Any

from .engine import ENGINES, funnel_paths
from .spec import ENTRIES, ORDERS, UNITS, WINDOW_FROM, FunnelError, FunnelSpec

# The analysis modules pull in scipy/statsmodels (via funnelkit.abtest) and matplotlib; they are
# imported on first use so that `funnel_paths` alone starts in a fraction of a second.
_LAZY: dict[str, str] = {
    "FunnelResult": "steps",
    "average_order_value": "money",
    "bounce_rates": "pages",
    "compare_periods": "trends",
    "conversion_times": "durations",
    "dropoff_audience": "audience",
    "funnel_steps": "steps",
    "leak_opportunities": "money",
    "leak_sentence": "money",
    "next_events": "trends",
    "paths_frame": "steps",
    "period_bounds": "steps",
    "run_funnel": "steps",
    "segment_heatmap_frame": "segments",
    "segment_tests": "segments",
    "time_to_convert": "steps",
    "weekly_conversion": "trends",
    "write_audience": "audience",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "ENGINES",
    "ENTRIES",
    "ORDERS",
    "UNITS",
    "WINDOW_FROM",
    "FunnelError",
    "FunnelResult",
    "FunnelSpec",
    "average_order_value",
    "bounce_rates",
    "compare_periods",
    "conversion_times",
    "dropoff_audience",
    "funnel_paths",
    "funnel_steps",
    "leak_opportunities",
    "leak_sentence",
    "next_events",
    "paths_frame",
    "period_bounds",
    "run_funnel",
    "segment_heatmap_frame",
    "segment_tests",
    "time_to_convert",
    "weekly_conversion",
    "write_audience",
]
