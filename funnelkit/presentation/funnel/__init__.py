"""The drop-off chapter: funnel tables, charts and sentences (notebook ``03_find_dropoff``).

``from funnelkit.presentation import funnel as funnel_report``;
``funnel_report.dropoff_report(client).show_funnel()``.
"""

from .display import (
    DropoffReport,
    dropoff_report,
    flagged_table,
    leak_table,
    period_table,
    semantics_box,
    show_table,
    steps_table,
)
from .plots import (
    plot_bounce_rates,
    plot_funnel,
    plot_segment_heatmap,
    plot_time_to_convert,
    plot_weekly_trend,
)

__all__ = [
    "DropoffReport",
    "dropoff_report",
    "flagged_table",
    "leak_table",
    "period_table",
    "plot_bounce_rates",
    "plot_funnel",
    "plot_segment_heatmap",
    "plot_time_to_convert",
    "plot_weekly_trend",
    "semantics_box",
    "show_table",
    "steps_table",
]
