"""The demo shop's social posts and e-mail campaigns, with the engagement they planted.

Drawn from a stream of their own (``np.random.default_rng((seed, 23))``), so every other table
stays byte-identical. What is planted, and written to ``truth.json`` under ``engagement``:

- **social**: two networks posting about three times a week over the whole data window. Each
  post's reach is log-normal around the network's median; its likes, comments and shares are
  binomial draws from that reach with the network's rates (Instagram engages about three times
  as much as Facebook per person reached); clicks and new followers likewise.
- **e-mail**: a campaign every Tuesday to a list that grows by about 0.5% a week; delivery,
  unique opens, unique clicks, unsubscribes and bounces are binomial draws. The open rate
  **falls** by 0.6 points per campaign in the analysis period (from 41%), a decline the
  engagement chapter's test for trend should find; the click-through rate stays at 3%.

Files: ``social_posts.csv`` (canonical columns but ``published`` for ``date`` and ``platform``
for ``network``: the demo's client.yaml maps them) and ``email_campaigns.csv``.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from .params import DATA_DAYS, DATA_START

__all__ = ["ENGAGEMENT_STREAM", "simulate_engagement"]

#: ``np.random.default_rng((seed, ENGAGEMENT_STREAM))`` draws this module's tables.
ENGAGEMENT_STREAM = 23

#: Per network: posts per week, median reach, and per-person-reached rates of each interaction.
_NETWORKS = {
    "instagram": {"posts_per_week": 3, "reach": 4200, "likes": 0.045, "comments": 0.004,
                  "shares": 0.003, "clicks": 0.006, "follows": 0.0015},
    "facebook": {"posts_per_week": 3, "reach": 2600, "likes": 0.012, "comments": 0.002,
                 "shares": 0.002, "clicks": 0.009, "follows": 0.0005},
}  # fmt: skip
_REACH_SIGMA = 0.45
_IMPRESSIONS_PER_REACH = 1.35

#: The e-mail list and its rates (per message delivered; bounces per message sent).
_EMAIL = {"list": 18_000, "weekly_growth": 0.005, "bounce": 0.012, "open": 0.41,
          "open_drop_per_campaign": 0.006, "click": 0.03, "unsubscribe": 0.0022,
          "opens_per_opener": 1.6, "clicks_per_clicker": 1.4}  # fmt: skip
_ANALYSIS_START = date(2026, 9, 15)  # the demo client's period.start: the decline starts here


def simulate_engagement(rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """The social posts, the e-mail campaigns, and their truth entry.

    Examples
    --------
    >>> social, email, truth = simulate_engagement(np.random.default_rng((7, ENGAGEMENT_STREAM)))
    >>> sorted(social["platform"].unique()), len(email) == truth["email"]["campaigns"]
    (['facebook', 'instagram'], True)
    >>> bool((email["unique_opens"] <= email["delivered"]).all())
    True
    """
    social = _social(rng)
    email, opens = _email(rng)
    truth = {
        "social": {name: dict(spec) for name, spec in _NETWORKS.items()}
        | {"posts": len(social)},
        "email": {**_EMAIL, "campaigns": len(email), "planted_open_rate": opens,
                  "decline_starts": _ANALYSIS_START.isoformat()},
    }  # fmt: skip
    return social, email, truth


def _days() -> list[date]:
    return [DATA_START + timedelta(days=d) for d in range(DATA_DAYS)]


def _social(rng: np.random.Generator) -> pd.DataFrame:
    rows: list[dict[str, Any]] = []
    for network, spec in _NETWORKS.items():
        days = [d for d in _days() if rng.random() < spec["posts_per_week"] / 7]
        for number, day in enumerate(days, start=1):
            reach = int(rng.lognormal(np.log(spec["reach"]), _REACH_SIGMA))
            impressions = int(reach * _IMPRESSIONS_PER_REACH + rng.poisson(40))
            row = {"post_id": f"{network[:2]}-{day:%m%d}-{number:03d}", "published": day,
                   "platform": network, "reach": reach, "impressions": impressions}  # fmt: skip
            for kind in ("likes", "comments", "shares", "clicks", "follows"):
                row[kind] = int(rng.binomial(reach, spec[kind]))
            rows.append(row)
    return pd.DataFrame(rows).sort_values(["published", "platform"], kind="stable")


def _email(rng: np.random.Generator) -> tuple[pd.DataFrame, list[float]]:
    tuesdays = [d for d in _days() if d.weekday() == 1]
    rows, planted = [], []
    after = 0
    for week, day in enumerate(tuesdays):
        recipients = int(_EMAIL["list"] * (1 + _EMAIL["weekly_growth"]) ** week)
        bounces = int(rng.binomial(recipients, _EMAIL["bounce"]))
        delivered = recipients - bounces
        if day >= _ANALYSIS_START:
            after += 1
        p_open = _EMAIL["open"] - _EMAIL["open_drop_per_campaign"] * max(after - 1, 0)
        planted.append(round(p_open, 4))
        unique_opens = int(rng.binomial(delivered, p_open))
        unique_clicks = int(rng.binomial(unique_opens, _EMAIL["click"] / p_open))
        repeat_opens = rng.poisson(unique_opens * (_EMAIL["opens_per_opener"] - 1))
        repeat_clicks = rng.poisson(unique_clicks * (_EMAIL["clicks_per_clicker"] - 1))
        rows.append({
            "campaign": f"Newsletter {day:%d %b}", "sent_at": f"{day} 10:00:00",
            "recipients": recipients, "delivered": delivered,
            "opens": unique_opens + int(repeat_opens),
            "unique_opens": unique_opens,
            "clicks": unique_clicks + int(repeat_clicks),
            "unique_clicks": unique_clicks,
            "unsubscribes": int(rng.binomial(delivered, _EMAIL["unsubscribe"])),
            "bounces": bounces,
        })  # fmt: skip
    return pd.DataFrame(rows), planted
