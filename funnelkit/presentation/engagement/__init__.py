"""The engagement chapter: social networks and e-mail, where people act on what is published.

``07_engagement`` shows it: :func:`review_engagement` computes everything once and
:class:`EngagementChapter` shows it piece by piece (``show_*``) and hands plain values to
``save_results`` (``to_results``).
"""

from .chapter import EngagementChapter, network_frame, review_engagement
from .plots import plot_campaign_rates, plot_interaction_mix

__all__ = [
    "EngagementChapter",
    "network_frame",
    "plot_campaign_rates",
    "plot_interaction_mix",
    "review_engagement",
]
