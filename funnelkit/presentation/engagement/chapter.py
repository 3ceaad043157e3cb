"""The engagement chapter: social networks and e-mail, what notebook 07 shows, computed once.

:func:`review_engagement` asks :mod:`funnelkit.metrics.social` and :mod:`funnelkit.metrics.email`
for this period's and the period before's numbers (reach, interactions and engagement rate per
network, the interaction mix, the posts; the e-mail rates with their tests, each campaign's rates
and their trend); :class:`EngagementChapter` displays them (tables and sentences from
:mod:`.social_text` and :mod:`.email_text`, charts from :mod:`.plots`) and hands plain values
to ``save_results``. A section whose table the client lacks is one note saying which export
gives it; a client with neither table gets one note, and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Markdown, display

from ...metrics import email as email_metrics, social as social_metrics
from ...metrics.base import window
from ...metrics.catalogue import get_metric
from ...metrics.compare import compare_periods, has_rows_before
from ..display import ClientWords, note, show
from ..results import to_jsonable
from . import email_text, plots, social_text, text

if TYPE_CHECKING:
    from ...data.loader import Client

__all__ = [
    "EMAIL_METRICS",
    "SOCIAL_METRICS",
    "TOP_POSTS",
    "EngagementChapter",
    "network_frame",
    "review_engagement",
]

#: The social metrics of the catalogue: column of :func:`network_frame` -> metric id.
SOCIAL_METRICS = {
    "reach": "social_reach",
    "interactions": "social_interactions",
    "engagement_rate": "social_engagement_rate",
    "follower_growth": "follower_growth",
}
#: The e-mail rates of the catalogue, in the order the headline table shows them.
EMAIL_METRICS = ("email_delivery_rate", "email_open_rate", "email_click_rate",
                 "email_click_to_open_rate", "email_unsubscribe_rate",
                 "email_bounce_rate")  # fmt: skip
#: The trends said in words, per campaign rate.
TREND_RATES = ("open_rate", "click_rate")
#: Posts shown at the top and at the bottom of the ranking (all of them up to twice this).
TOP_POSTS = 5


def _supported(client: Client, ids: tuple[str, ...] | list[str]) -> list[str]:
    return [m for m in ids if get_metric(m).supported(client)]


def network_frame(client: Client) -> pd.DataFrame:
    """Per network: each social metric now and before, and the engagement rate's change.

    Columns: ``network``, the values of :data:`SOCIAL_METRICS` now and as ``previous_<name>``,
    ``engagement_rate_change`` (now − before, no test: a ratio of two totals) and ``earlier``
    (whether the social table covers the period before). The values are the metrics'.

    Examples
    --------
    >>> from funnelkit import load_client
    >>> list(network_frame(load_client(emit_warnings=False)).columns[:4])
    ['network', 'reach', 'interactions', 'engagement_rate']
    """
    columns = ["network", *SOCIAL_METRICS, *(f"previous_{c}" for c in SOCIAL_METRICS),
               "engagement_rate_change", "earlier"]  # fmt: skip
    if not client.has("social"):
        return pd.DataFrame(columns=columns)
    earlier = has_rows_before(client, "social")
    parts = []
    for label, period in (("", "current"), ("previous_", "previous")):
        if label and not earlier:
            continue
        for column, metric_id in SOCIAL_METRICS.items():
            metric = get_metric(metric_id)
            if not metric.supported(client):
                continue
            found = metric.compute(client, window(client, period), by="network")
            parts.append(found.set_index("network")["value"].rename(label + column))
    frame = pd.concat(parts, axis=1) if parts else pd.DataFrame()
    frame = frame.reindex(columns=columns[1:-2]).rename_axis("network").reset_index()
    frame["engagement_rate_change"] = frame["engagement_rate"] - frame["previous_engagement_rate"]
    frame["earlier"] = earlier
    return frame[columns].sort_values("reach", ascending=False, na_position="last",
                                      ignore_index=True)  # fmt: skip


@dataclass
class EngagementChapter(ClientWords):
    """The computed content of the engagement chapter (see :func:`review_engagement`)."""

    client: Client
    social: bool
    email: bool
    networks: pd.DataFrame = field(default_factory=pd.DataFrame)
    social_totals: pd.DataFrame = field(default_factory=pd.DataFrame)
    mix: pd.DataFrame = field(default_factory=pd.DataFrame)
    posts: pd.DataFrame = field(default_factory=pd.DataFrame)
    rates: pd.DataFrame = field(default_factory=pd.DataFrame)
    campaigns: pd.DataFrame = field(default_factory=pd.DataFrame)
    trends: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def available(self) -> bool:
        return self.social or self.email

    def period(self) -> str:
        """The first and last day of the period, in words."""
        now = window(self.client)
        last = now.end - pd.Timedelta(days=1)
        return text.period_text(now.start, last, self.language)

    # --- 1. intro ---------------------------------------------------------------------------
    def show_intro(self) -> None:
        """What engagement and each rate are, or the note saying what the chapter needs."""
        if not self.available:
            note(text.NEEDS, language=self.language)
            return
        display(Markdown(text.intro_text(self.social, self.email, self.period(), self.language)))

    # --- 2. social --------------------------------------------------------------------------
    def show_networks(self) -> None:
        """Per network: reach, interactions, engagement rate now and before, followers."""
        if not self.available:
            return
        if not self.social:
            note(text.NEEDS_SOCIAL, language=self.language)
            return
        if self.networks.empty:
            note(self._("The social export holds no rows in this period."), language=self.language)
            return
        show(social_text.networks_table(self.networks, self.language, self.social_totals))
        sentences = social_text.networks_sentences(self.networks, self.language)
        display(Markdown("\n".join(f"- {s}" for s in sentences)))

    def daily_only(self) -> list[str]:
        """The networks of this period with no post in the export (daily totals only)."""
        if self.networks.empty:
            return []
        posted = set(self.posts["network"].astype(str)) if len(self.posts) else set()
        return [n for n in self.networks["network"].astype(str) if n not in posted]

    def show_mix(self) -> None:
        """The share of likes, comments, shares and clicks per network, with intervals."""
        if not self.social or self.mix.empty or self.networks.empty:
            return
        plots.plot_interaction_mix(self.mix)
        plt.show()

    def show_posts(self) -> None:
        """The best and weakest posts by engagement rate, or why there is no view per post."""
        if not self.social or self.networks.empty:
            return
        daily = self.daily_only()
        if self.posts.empty:
            note(social_text.daily_totals_text(daily, True, self.language),
                 language=self.language)  # fmt: skip
            return
        if len(self.posts) <= 2 * TOP_POSTS:
            display(Markdown(self._("Every post of the period, the best engagement rate first:")))
            show(social_text.posts_table(self.posts, self.language))
        else:
            n = TOP_POSTS
            display(Markdown(self._("The {n} posts with the best engagement rate:").format(n=n)))
            show(social_text.posts_table(self.posts.head(n), self.language))
            display(Markdown(self._("The {n} posts with the weakest engagement rate (of {all}):")
                             .format(n=n, all=len(self.posts))))  # fmt: skip
            show(social_text.posts_table(self.posts.tail(n), self.language))
        note(self._("A post seen by few accounts has a rate that swings with a handful of "
                    "likes: compare its reach before copying it."),
             language=self.language)  # fmt: skip
        if daily:
            note(social_text.daily_totals_text(daily, False, self.language),
                 language=self.language)  # fmt: skip

    # --- 3. e-mail --------------------------------------------------------------------------
    def show_email_rates(self) -> None:
        """The headline e-mail rates now and before, with intervals, tests and verdicts."""
        if not self.available:
            return
        if not self.email:
            note(text.NEEDS_EMAIL, language=self.language)
            return
        if self.rates.empty:
            note(self._("The e-mail export holds none of the counts the rates need."),
                 language=self.language)  # fmt: skip
            return
        show(email_text.rates_table(self.rates, self.language))
        display(Markdown(self._(email_text.CAVEAT)))

    def show_campaigns(self) -> None:
        """Each campaign's rates (table and chart, send order) and their trend in words."""
        if not self.email:
            return
        if self.campaigns.empty:
            note(self._("No campaign was sent in this period."), language=self.language)
            return
        plots.plot_campaign_rates(self.campaigns)
        plt.show()
        show(email_text.campaigns_table(self.campaigns, self.language))
        if len(self.trends):
            sentences = [email_text.trend_sentence(r, self.language)
                         for _i, r in self.trends.iterrows()]  # fmt: skip
            display(Markdown("\n".join(f"- {s}" for s in sentences)))
            display(Markdown(self._(email_text.TREND_EXPLAINED)))

    # --- 4. next steps ----------------------------------------------------------------------
    def show_next_steps(self) -> None:
        """What to do with the chapter, for the sections the client has."""
        steps = []
        if self.social and len(self.networks):
            steps.append(self._(text.NEXT_SOCIAL))
        if self.email and len(self.campaigns):
            steps.append(self._(text.NEXT_EMAIL))
        if steps:
            display(Markdown("\n".join(f"- {s}" for s in steps)))

    # --- results ----------------------------------------------------------------------------
    def to_results(self) -> dict[str, Any]:
        """Plain JSON values: per network, the mix and the posts; e-mail rates and trends."""
        if not self.available:
            return {"available": False, "needs": text.NEEDS}
        now = window(self.client)
        changes = ["metric", "name", "value", "ci_low", "ci_high", "previous_value", "change",
                   "p_value_adjusted", "significant", "verdict", "note"]  # fmt: skip
        social = {"available": False, "needs": text.NEEDS_SOCIAL}
        if self.social:
            social = {
                "available": True,
                "networks": self.networks,
                "totals": self.social_totals[changes] if len(self.social_totals) else [],
                "mix": self.mix,
                "posts": len(self.posts),
                "top_posts": self.posts.head(TOP_POSTS),
                "bottom_posts": self.posts.tail(TOP_POSTS) if len(self.posts) > TOP_POSTS
                else [],
                "daily_totals_only": self.daily_only(),
                "sentences": social_text.networks_sentences(self.networks, self.language)
                if len(self.networks) else [],
            }  # fmt: skip
        email = {"available": False, "needs": text.NEEDS_EMAIL}
        if self.email:
            email = {
                "available": True,
                "rates": self.rates[changes] if len(self.rates) else [],
                "campaigns": self.campaigns,
                "trend": {str(r["rate"]): r.drop("rate") for _i, r in self.trends.iterrows()},
                "sentences": [email_text.trend_sentence(r, self.language)
                              for _i, r in self.trends.iterrows()],
            }  # fmt: skip
        return to_jsonable({
            "available": True,
            "period": {"start": now.start.date(), "end": (now.end - pd.Timedelta(days=1)).date()},
            "social": social,
            "email": email,
        })  # fmt: skip


def _trends(client: Client, campaigns: pd.DataFrame) -> pd.DataFrame:
    if campaigns.empty:
        return pd.DataFrame()
    rates = [r for r in TREND_RATES if r in campaigns and campaigns[r].notna().any()]
    found = [email_metrics.email_trend(client, window(client), rate=r) for r in rates]
    return pd.concat(found, ignore_index=True) if found else pd.DataFrame()


def review_engagement(client: Client) -> EngagementChapter:
    """Compute the engagement chapter for a client (one note with neither table).

    Examples
    --------
    >>> from funnelkit import load_client
    >>> chapter = review_engagement(load_client(emit_warnings=False))
    >>> chapter.available == (chapter.client.has("social") or chapter.client.has("email"))
    True
    """
    chapter = EngagementChapter(client=client, social=client.has("social"),
                                email=client.has("email"))  # fmt: skip
    now = window(client)
    if chapter.social:
        chapter.networks = network_frame(client)
        ids = _supported(client, list(SOCIAL_METRICS.values()))
        chapter.social_totals = compare_periods(client, ids) if ids else pd.DataFrame()
        chapter.mix = social_metrics.interaction_mix(client, now, by="network")
        chapter.posts = social_metrics.post_engagement(client, now)
    if chapter.email:
        ids = _supported(client, EMAIL_METRICS)
        chapter.rates = compare_periods(client, ids) if ids else pd.DataFrame()
        chapter.campaigns = email_metrics.email_campaigns(client, now)
        chapter.trends = _trends(client, chapter.campaigns)
    return chapter
