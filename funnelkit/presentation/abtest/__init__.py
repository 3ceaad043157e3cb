"""The A/B chapter: design sentences, result tables, forest and cumulative charts (``04_ab_test``).

``from funnelkit.presentation import abtest as abtest_report``;
``abtest_report.show_experiments(abtest.analyze_all(client))``.
"""

from .display import (
    consultant_notes,
    overview_table,
    results_table,
    show_experiment,
    show_experiments,
)
from .plan import design_text, planning_table, show_plan
from .plots import plot_cumulative, plot_forest
from .sections import interaction_texts, overall_text, sequential_texts
from .tables import secondary_table, segments_table

__all__ = [
    "consultant_notes",
    "design_text",
    "interaction_texts",
    "overall_text",
    "overview_table",
    "planning_table",
    "plot_cumulative",
    "plot_forest",
    "results_table",
    "secondary_table",
    "segments_table",
    "sequential_texts",
    "show_experiment",
    "show_experiments",
    "show_plan",
]
