"""Engagement charts drawn from the frames of :mod:`funnelkit.metrics.social` and ``.email``.

Each function takes a frame, draws it and returns the Axes (or the Figure of two panels), with
its words in the report's language (gettext, Russian in ``locale/ru/LC_MESSAGES/engagement.po``),
Okabe–Ito colours and a description for the alt text. Nothing here computes a statistic: the
shares and the intervals are the metrics'.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ...core.i18n import gettext
from .. import palette
from ..charting import (
    MAX_WIDTH,
    describe,
    format_date,
    legend_below,
    listing,
    new_axes,
    number,
    number_formatter,
    set_title,
    wrap_label,
)
from .social_text import network_name

__all__ = ["TYPE_WORDS", "plot_campaign_rates", "plot_interaction_mix", "type_label"]

#: Interaction types as a reader names them.
TYPE_WORDS = {
    "likes": "likes",
    "comments": "comments",
    "shares": "shares",
    "clicks": "clicks",
}


def type_label(kind: object) -> str:
    """An interaction type in the report's language.

    Examples
    --------
    >>> type_label("shares")
    'shares'
    """
    return gettext(TYPE_WORDS.get(str(kind), str(kind)))


def _errors(values: pd.Series, low: pd.Series, high: pd.Series) -> np.ndarray | None:
    """Error-bar lengths below and above each value; None when no row has an interval."""
    low, high = low.astype(float), high.astype(float)
    if low.isna().all() or high.isna().all():
        return None
    values = values.astype(float)
    below = (values - low).clip(lower=0).fillna(0).to_numpy()
    above = (high - values).clip(lower=0).fillna(0).to_numpy()
    return np.vstack([below, above])


def plot_interaction_mix(mix: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Share of each interaction type per network, as grouped bars with their 95% intervals.

    Takes :func:`funnelkit.metrics.social.interaction_mix` (``network, type, interactions,
    share, ci_low, ci_high``); each network has its colour, the shares of a network add up to
    100%.

    Examples
    --------
    >>> mix = pd.DataFrame({"network": ["vk", "vk", "instagram", "instagram"],
    ...                     "type": ["likes", "shares"] * 2, "interactions": [80, 20, 90, 10],
    ...                     "share": [.8, .2, .9, .1], "ci_low": [.7, .1, .8, .05],
    ...                     "ci_high": [.9, .3, .95, .2]})
    >>> ax = plot_interaction_mix(mix)
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['likes', 'shares']
    >>> plt.close("all")
    """
    types = list(dict.fromkeys(mix["type"].astype(str)))
    networks = list(dict.fromkeys(mix["network"].astype(str)))
    ax = ax if ax is not None else new_axes(MAX_WIDTH, 0.45 * len(types) * len(networks) + 2.4)
    colours = palette.colours_for(networks, "segment", order=networks)
    height = 0.8 / max(len(networks), 1)
    y = np.arange(len(types))
    pairs = []
    for i, network in enumerate(networks):
        part = mix[mix["network"].astype(str) == network]
        part = part.set_index(part["type"].astype(str)).reindex(types)
        share = part["share"].astype(float)
        offset = y + (i - (len(networks) - 1) / 2) * height
        errors = _errors(share, part["ci_low"], part["ci_high"])
        ax.barh(offset, share.fillna(0), height=height * 0.9, color=colours[network],
                label=network_name(network), xerr=errors,
                error_kw={"ecolor": "#333333", "capsize": 3, "lw": 1})  # fmt: skip
        for yi, value, top in zip(offset, share, part["ci_high"].astype(float), strict=True):
            if np.isfinite(value):
                end = top if np.isfinite(top) else value
                ax.annotate(number(value, "share"), (end, yi), xytext=(4, 0),
                            textcoords="offset points", va="center", fontsize=10)  # fmt: skip
        items = ", ".join(f"{type_label(t)} {number(v, 'share')}" for t, v in zip(
            types, share, strict=True) if np.isfinite(v))  # fmt: skip
        pairs.append((network_name(network), items))
    ax.set_yticks(y, [type_label(t) for t in types])
    ax.grid(axis="y", visible=False)  # a line through the middle of each group of bars
    ax.invert_yaxis()
    top = float(mix["ci_high"].astype(float).max()) if mix["ci_high"].notna().any() else 0.0
    ax.set_xlim(0, min(max(top, float(mix["share"].max())) * 1.25 + 0.05, 1.15))
    ax.xaxis.set_major_formatter(number_formatter("share"))
    ax.xaxis.set_major_locator(plt.MaxNLocator(5))
    ax.set_xlabel(gettext("share of the network's likes, comments, shares and clicks taken "
                          "together, with 95% intervals"))  # fmt: skip
    set_title(ax, gettext("What people do with the posts: the mix of interactions per network"))
    legend_below(ax, ncol=min(len(networks), 4))
    describe(ax, gettext("Bar chart of the share of each kind of interaction per network: "
                         "{items}.").format(items=listing(pairs)))  # fmt: skip
    return ax


def _ticks(campaigns: pd.DataFrame) -> list[str]:
    """Campaign names when few (wrapped), else their send dates."""
    if len(campaigns) <= 6:
        return [wrap_label(c, 14) for c in campaigns["campaign"].astype(str)]
    return [format_date(d) for d in campaigns["sent_at"]]


def plot_campaign_rates(campaigns: pd.DataFrame) -> Figure:
    """Open rate (top) and click rate (bottom) of each campaign in send order, 95% intervals.

    Takes :func:`funnelkit.metrics.email.email_campaigns`; the two rates differ tenfold, so each
    has its own panel and scale. Up to six campaigns are labelled by name, more by send date.

    Examples
    --------
    >>> frame = pd.DataFrame({"campaign": ["A", "B"], "sent_at": pd.to_datetime(
    ...     ["2026-10-01", "2026-10-08"]), "open_rate": [.3, .25], "open_rate_low": [.28, .23],
    ...     "open_rate_high": [.32, .27], "click_rate": [.03, .02],
    ...     "click_rate_low": [.02, .015], "click_rate_high": [.04, .03]})
    >>> fig = plot_campaign_rates(frame)
    >>> [t for ax in fig.axes for loc in ("left", "center") if (t := ax.get_title(loc))]
    ['Open rate by campaign (opened / delivered)', 'Click rate by campaign (clicked / delivered)']
    >>> plt.close("all")
    """
    fig, axes = plt.subplots(2, 1, figsize=(MAX_WIDTH, 6.4), sharex=True, layout="constrained")
    x = np.arange(len(campaigns))
    panels = (
        ("open_rate", palette.OKABE_ITO["blue"], "o",
         gettext("Open rate by campaign (opened / delivered)")),
        ("click_rate", palette.OKABE_ITO["orange"], "s",
         gettext("Click rate by campaign (clicked / delivered)")),
    )  # fmt: skip
    for ax, (rate, colour, marker, title) in zip(axes, panels, strict=True):
        values = campaigns[rate].astype(float)
        errors = _errors(values, campaigns[f"{rate}_low"], campaigns[f"{rate}_high"])
        ax.errorbar(x, values, yerr=errors, fmt=f"{marker}-", color=colour, ms=7, lw=1.5,
                    ecolor=colour, capsize=4, elinewidth=1.2)  # fmt: skip
        top = campaigns[f"{rate}_high"].astype(float).max()
        top = top if np.isfinite(top) else values.max()
        ax.set_ylim(0, (top if np.isfinite(top) and top > 0 else 0.1) * 1.2)
        ax.yaxis.set_major_formatter(number_formatter("share"))
        ax.yaxis.set_major_locator(plt.MaxNLocator(4))
        ax.grid(axis="y", alpha=0.3)
        set_title(ax, title)
        pairs = [(name, number(v, "share")) for name, v in zip(
            campaigns["campaign"].astype(str), values, strict=True) if np.isfinite(v)]  # fmt: skip
        what = gettext("Line chart of the open rate of each campaign in send order, with 95% "
                       "intervals: {items}.") if rate == "open_rate" else gettext(
            "Line chart of the click rate of each campaign in send order, with 95% intervals: "
            "{items}.")  # fmt: skip
        describe(ax, what.format(items=listing(pairs, limit=12)))
    axes[-1].set_xticks(x, _ticks(campaigns), fontsize=10)
    axes[-1].set_xlim(-0.5, len(campaigns) - 0.5)
    if len(campaigns) > 6:
        axes[-1].set_xlabel(gettext("campaigns in send order (date sent)"))
    return fig
