"""The customer-value chapter: predicted CLV, first-purchase cohorts, RFM segments, channels.

``06_customer_value`` shows it: :func:`review_value` computes everything once and
:class:`ValueChapter` shows it piece by piece (``show_*``) and hands plain values to
``save_results`` (``to_results``).
"""

from .chapter import AUDIENCE_FILE, HORIZON_WEEKS, ValueChapter, review_value
from .plots import plot_cohort_heatmap, plot_holdout, plot_segments

__all__ = [
    "AUDIENCE_FILE",
    "HORIZON_WEEKS",
    "ValueChapter",
    "plot_cohort_heatmap",
    "plot_holdout",
    "plot_segments",
    "review_value",
]
