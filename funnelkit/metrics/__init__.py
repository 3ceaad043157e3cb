"""The metric catalogue: one key metric per journey stage, computed from the canonical tables.

- :mod:`~funnelkit.metrics.catalogue` — the registry (``CATALOGUE``, :func:`get_metric`,
  :func:`catalogue`, :func:`compute_metric`, :func:`compute_metrics`);
- :mod:`~funnelkit.metrics.compare` — period over period with a test per kind of metric;
- :mod:`~funnelkit.metrics.channels` — channel economics with first- or last-touch attribution;
- :mod:`~funnelkit.metrics.pipeline` — the B2B pipeline (leads, MQL, SQL, won) by channel;
- :mod:`~funnelkit.metrics.value` and :mod:`~funnelkit.metrics.lifetime` — CAC, ROMI, payback,
  LTV:CAC; CLV and the historical CLV curve;
- :mod:`~funnelkit.metrics.shared` and :mod:`~funnelkit.metrics.memo` — the visitor, session
  and event-name counts several metrics share, computed once per client in one scan each.

What notebook ``01_pick_metrics`` shows is :mod:`funnelkit.presentation.metrics`.
"""

from __future__ import annotations

from .base import RESULT_COLUMNS, Metric, Window, window
from .catalogue import CATALOGUE, catalogue, compute_metric, compute_metrics, get_metric
from .channels import channel_economics
from .compare import compare_periods
from .pipeline import lead_pipeline

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
    "lead_pipeline",
    "window",
]
