"""The social section's tables and sentences, from the frames of :mod:`funnelkit.metrics.social`.

Words in the report's language (gettext, Russian in ``locale/ru/LC_MESSAGES/engagement.po``),
numbers by :mod:`funnelkit.core.formatting`; the engagement rate is always named by what it
divides (interactions / reach). The numbers themselves are the metrics', unchanged.
"""

from __future__ import annotations

from functools import partial

import pandas as pd

from ...core.formatting import format_count, format_number
from ...core.i18n import gettext
from ...metrics.compare import NO_EARLIER, no_earlier_text
from .text import day_text, rate_change_text

__all__ = [
    "NETWORK_NAMES",
    "SMALL_CHANGE",
    "daily_totals_text",
    "network_name",
    "networks_sentences",
    "networks_table",
    "posts_table",
]

#: Networks as their owners write them (anything else is shown as given).
NETWORK_NAMES = {
    "facebook": "Facebook",
    "instagram": "Instagram",
    "vk": "VK",
    "vkontakte": "VK",
    "telegram": "Telegram",
    "ok": "OK",
    "odnoklassniki": "OK",
    "linkedin": "LinkedIn",
    "youtube": "YouTube",
    "tiktok": "TikTok",
    "x": "X",
    "twitter": "X",
    "dzen": "Dzen",
}


#: A change of an engagement rate below this (half a percentage point) is not called a change.
SMALL_CHANGE = 0.005


def network_name(network: object) -> str:
    """A network as its owner writes it.

    Examples
    --------
    >>> network_name("vk"), network_name("instagram"), network_name("Threads")
    ('VK', 'Instagram', 'Threads')
    """
    return NETWORK_NAMES.get(str(network).strip().lower(), str(network))


def _count(value: float, language: str) -> str:
    return format_count(value, language)


def _signed(value: float, language: str) -> str:
    if pd.isna(value):
        return "–"
    text = format_count(value, language)
    return f"+{text}" if value > 0 else text


def _share(value: float, language: str) -> str:
    return format_number(value, "share", language=language)


#: The columns of :func:`network_frame` and the catalogue ids of ``compare_periods``' rows.
_TOTALS = {
    "reach": "social_reach",
    "interactions": "social_interactions",
    "engagement_rate": "social_engagement_rate",
    "follower_growth": "follower_growth",
}


def totals_row(totals: pd.DataFrame, language: str) -> pd.Series | None:
    """The "all networks" row from :func:`funnelkit.metrics.compare.compare_periods`."""
    if totals is None or totals.empty:
        return None
    found = totals.set_index("metric")
    row = {"network": gettext("All networks", language)}
    for column, metric in _TOTALS.items():
        row[column] = found["value"].get(metric)
        row[f"previous_{column}"] = found["previous_value"].get(metric)
    verdict = found["verdict"].get("social_engagement_rate")
    row["earlier"] = verdict is not None and verdict != NO_EARLIER
    row["engagement_rate_change"] = found["change"].get("social_engagement_rate")
    return pd.Series(row)


def networks_table(
    networks: pd.DataFrame, language: str, totals: pd.DataFrame | None = None
) -> pd.DataFrame:
    """One row per network: reach, interactions, engagement rate now and before, followers.

    ``networks`` is the chapter's frame (:func:`funnelkit.presentation.engagement.chapter.
    network_frame`): ``network, reach, interactions, engagement_rate, follower_growth``, the
    same with ``previous_`` and ``earlier`` (whether the period before has data). ``totals``
    (``compare_periods`` of the social metrics) adds an "All networks" row when there are
    several networks.
    """
    _ = partial(gettext, language=language)
    rows = []
    frame = networks
    total = totals_row(totals, language) if len(networks) > 1 else None
    if total is not None:
        frame = pd.concat([networks, total.to_frame().T], ignore_index=True)
    for _i, row in frame.iterrows():
        earlier = bool(row["earlier"])
        rows.append({
            _("Network"): network_name(row["network"]),
            _("Reach (accounts that saw a post)"): _count(row["reach"], language),
            _("Interactions"): _count(row["interactions"], language),
            _("Engagement rate (interactions / reach)"): _share(row["engagement_rate"], language),
            _("Engagement rate before"): _share(row["previous_engagement_rate"], language)
            if earlier else no_earlier_text(language),
            _("Change"): rate_change_text(row["engagement_rate_change"], language)
            if earlier else "–",
            _("Follower growth (follows − unfollows)"): _signed(row["follower_growth"],
                                                                 language),
        })  # fmt: skip
    return pd.DataFrame(rows)


def networks_sentences(networks: pd.DataFrame, language: str) -> list[str]:
    """The network with the highest engagement rate, and the biggest change against before.

    Examples
    --------
    >>> frame = pd.DataFrame({"network": ["vk", "instagram"], "engagement_rate": [0.02, 0.05],
    ...                       "previous_engagement_rate": [0.03, 0.05], "earlier": [True, True],
    ...                       "engagement_rate_change": [-0.01, 0.0]})
    >>> networks_sentences(frame, "en")[0]
    '**Instagram** had the highest engagement rate: 5.0% (interactions / reach), against VK 2.0%.'
    """
    _ = partial(gettext, language=language)
    rated = networks.dropna(subset=["engagement_rate"])
    if rated.empty:
        return [_("No network has a reach to divide its interactions by, so there is no "
                  "engagement rate.")]  # fmt: skip
    ranked = rated.sort_values("engagement_rate", ascending=False)
    best = ranked.iloc[0]
    others = [f"{network_name(r['network'])} {_share(r['engagement_rate'], language)}"
              for _i, r in ranked.iloc[1:].iterrows()]  # fmt: skip
    if others:
        first = _("**{network}** had the highest engagement rate: {rate} (interactions / "
                  "reach), against {others}.")  # fmt: skip
    else:
        first = _("**{network}** had an engagement rate of {rate} (interactions / reach).")
    sentences = [first.format(network=network_name(best["network"]),
                              rate=_share(best["engagement_rate"], language),
                              others=", ".join(others))]  # fmt: skip
    moved = rated[rated["earlier"].astype(bool)].dropna(subset=["engagement_rate_change"])
    if moved.empty:
        sentences.append(_("The period before holds no social data, so no change can be "
                           "measured yet."))  # fmt: skip
        return sentences
    row = moved.loc[moved["engagement_rate_change"].abs().idxmax()]
    change = float(row["engagement_rate_change"])
    if abs(change) < SMALL_CHANGE:
        sentences.append(_(
            "No network's engagement rate moved by half a point or more against the period "
            "before (the biggest move: {network}, from {before} to {now})."
        ).format(network=network_name(row["network"]),
                 before=_share(row["previous_engagement_rate"], language),
                 now=_share(row["engagement_rate"], language)))  # fmt: skip
        return sentences
    text = (_("The biggest change: on {network} the engagement rate rose from {before} to {now} "
              "({points}).") if change > 0 else
            _("The biggest change: on {network} the engagement rate fell from {before} to {now} "
              "({points})."))  # fmt: skip
    sentences.append(
        text.format(network=network_name(row["network"]),
                    before=_share(row["previous_engagement_rate"], language),
                    now=_share(row["engagement_rate"], language),
                    points=rate_change_text(change, language))
        + " " + _("An engagement rate is a ratio of two totals, not a share of people, so its "
                  "change is not tested; read a change of a few tenths of a point as noise.")
    )  # fmt: skip
    return sentences


def posts_table(posts: pd.DataFrame, language: str) -> pd.DataFrame:
    """Posts as :func:`funnelkit.metrics.social.post_engagement` ranks them, ids as given."""
    _ = partial(gettext, language=language)
    return pd.DataFrame({
        _("Network"): [network_name(n) for n in posts["network"]],
        _("Post"): [str(p) for p in posts["post_id"]],
        _("Published"): [day_text(d, language) for d in posts["date"]],
        _("Reach"): [_count(v, language) for v in posts["reach"]],
        _("Interactions"): [_count(v, language) for v in posts["interactions"]],
        _("Engagement rate (interactions / reach)"): [_share(v, language)
                                                       for v in posts["engagement_rate"]],
    })  # fmt: skip


def daily_totals_text(networks: list[str], every: bool, language: str) -> str:
    """The note for networks whose export holds daily totals only (no per-post view).

    Examples
    --------
    >>> daily_totals_text(["vk"], True, "en")[:51]
    'The social export holds daily totals of the page or'
    """
    names = ", ".join(network_name(n) for n in networks)
    if every:
        text = ("The social export holds daily totals of the page or community, not posts, so "
                "there is no view per post. The post export of Meta Business Suite (Content → "
                "Posts) or VK's post statistics would add one.")  # fmt: skip
        return gettext(text, language)
    text = ("{networks}: the export holds daily totals, not posts, so these networks are not in "
            "the posts above.")  # fmt: skip
    return gettext(text, language).format(networks=names)
