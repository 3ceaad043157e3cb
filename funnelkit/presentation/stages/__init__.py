"""The stages chapter: mapping, coverage, volumes, conversion, compass (``02_map_stages``)."""

from .chapter import StagesChapter, map_stages
from .plots import plot_coverage, plot_stage_conversion, plot_stage_volumes

__all__ = [
    "StagesChapter",
    "map_stages",
    "plot_coverage",
    "plot_stage_conversion",
    "plot_stage_volumes",
]
