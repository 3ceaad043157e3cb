"""The metrics chapter: catalogue, key metrics, changes, channels and CLV (``01_pick_metrics``)."""

from .chapter import MetricsChapter, pick_metrics
from .content import with_metric_settings
from .plots import plot_cac_vs_ltv, plot_changes, plot_clv_curve, plot_romi

__all__ = [
    "MetricsChapter",
    "pick_metrics",
    "plot_cac_vs_ltv",
    "plot_changes",
    "plot_clv_curve",
    "plot_romi",
    "with_metric_settings",
]
