"""The metric catalogue: one key metric per journey stage, computed from the canonical tables.

- :mod:`~funnelkit.metrics.catalogue` — the registry (``CATALOGUE``, :func:`get_metric`,
  :func:`catalogue`, :func:`compute_metric`, :func:`compute_metrics`);
- :mod:`~funnelkit.metrics.compare` — period over period with a test per kind of metric;
- :mod:`~funnelkit.metrics.channels` — channel economics with first- or last-touch attribution;
- :mod:`~funnelkit.presentation.metrics.chapter` — what notebook ``01_pick_metrics`` shows;
- :mod:`~funnelkit.metrics.shared` and :mod:`~funnelkit.metrics.memo` — the visitor, session
  and event-name counts several metrics share, computed once per client in one scan each.
"""

from __future__ import annotations

import importlib
from typing import Any

from .base import RESULT_COLUMNS, Metric, Window, window
from .catalogue import CATALOGUE, catalogue, compute_metric, compute_metrics, get_metric
from .compare import compare_periods

# The chapter and channel modules reach into funnelkit.stages (which itself uses the catalogue);
# importing them on first use keeps the two packages free of an import cycle.
_LAZY = {
    "channel_economics": "channels",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "CATALOGUE",
    "RESULT_COLUMNS",
    "Metric",
    "Window",
    "catalogue",
    "channel_economics",
    "compare_periods",
    "compute_metric",
    "compute_metrics",
    "get_metric",
    "window",
]
