"""Account-funnel charts drawn from the frames of :mod:`funnelkit.funnel.accounts`; no computing.

Each function takes a frame, draws it on ``ax`` (a new one when None) and returns the Axes, with
its words in the report's language (gettext, Russian in ``locale/ru/LC_MESSAGES/accounts.po``),
Okabe–Ito colours (:mod:`funnelkit.presentation.palette`) and a description for the alt text
(:func:`funnelkit.presentation.charting.describe`).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from ...core.i18n import gettext
from ...metrics.base import NONE
from .. import palette
from ..charting import (
    MAX_WIDTH,
    describe,
    legend_below,
    listing,
    new_axes,
    number,
    number_formatter,
    set_title,
)

__all__ = ["STEP_WORDS", "plot_account_funnel", "plot_funnel_by", "step_label"]

#: The account funnel's steps as a reader names them.
STEP_WORDS = {
    "target": "on the target list",
    "engaged": "engaged",
    "opportunity": "opportunity",
    "won": "won",
}


def none_label(column: str, language: str | None = None) -> str:
    """The group of accounts without a value in ``column``, in words.

    Examples
    --------
    >>> none_label("channel", "en"), none_label("tier", "en")
    ('no known contact', 'not set')
    """
    # an account's channel is that of its first contact: without one, nobody is known there
    return gettext("no known contact" if column == "channel" else "not set", language)


def step_label(step: object, language: str | None = None) -> str:
    """A step of the account funnel in the report's language.

    Examples
    --------
    >>> step_label("target"), step_label("won", "ru")
    ('on the target list', 'выиграна сделка')
    """
    return gettext(STEP_WORDS.get(str(step), str(step)), language)


def plot_account_funnel(funnel: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Target accounts at each step as horizontal bars, labelled "count (share of the list)".

    Takes the frame of :func:`funnelkit.funnel.accounts.account_funnel` (no ``by``).

    Examples
    --------
    >>> funnel = pd.DataFrame({"step": ["target", "engaged", "opportunity", "won"],
    ...                        "accounts": [100, 50, 20, 5],
    ...                        "share_of_first": [1, 0.5, 0.2, 0.05]})
    >>> ax = plot_account_funnel(funnel)
    >>> [t.get_text() for t in ax.get_yticklabels()][:2]
    ['on the target list', 'engaged']
    >>> ax.figure.funnelkit_alt.startswith("Bar chart of the target accounts")
    True
    >>> plt.close("all")
    """
    ax = ax if ax is not None else new_axes(MAX_WIDTH, 0.55 * len(funnel) + 1.8)
    y = np.arange(len(funnel))
    bars = ax.barh(y, funnel["accounts"], color=palette.OKABE_ITO["blue"])
    labels = [
        f"{number(int(a), 'count')} ({number(float(s), 'share')})"
        for a, s in zip(funnel["accounts"], funnel["share_of_first"], strict=True)
    ]
    ax.bar_label(bars, labels=labels, padding=3, fontsize=10)
    ax.set_yticks(y, [step_label(s) for s in funnel["step"]])
    ax.invert_yaxis()  # the funnel reads top to bottom
    top = float(funnel["accounts"].max()) if len(funnel) else 0.0
    ax.set_xlim(0, max(top, 1) * 1.3)
    ax.xaxis.set_major_formatter(number_formatter("count"))
    ax.xaxis.set_major_locator(plt.MaxNLocator(5, integer=True))
    ax.set_xlabel(gettext("target accounts (share of the target list in brackets)"))
    set_title(ax, gettext("The account funnel: target accounts reaching each step"))
    pairs = [(step_label(s), label) for s, label in zip(funnel["step"], labels, strict=True)]
    describe(
        ax,
        gettext("Bar chart of the target accounts at each step of the account funnel: "
                "{items}.").format(items=listing(pairs)),
    )  # fmt: skip
    return ax


def plot_funnel_by(funnel: pd.DataFrame, by: str, *, ax: Axes | None = None) -> Axes:
    """Share of each group's target accounts reaching each step, one line per group.

    Takes :func:`funnelkit.funnel.accounts.account_funnel` run with ``by=by``; each group has
    its own colour and marker shape; up to three groups carry their last share at the line's
    end (more would overlap: the table under the chart has every number).

    Examples
    --------
    >>> funnel = pd.DataFrame({"tier": ["1"] * 2 + ["2"] * 2, "step": ["target", "won"] * 2,
    ...                        "accounts": [10, 4, 20, 2], "share_of_first": [1, .4, 1, .1]})
    >>> ax = plot_funnel_by(funnel, "tier")
    >>> len(ax.get_lines())
    2
    >>> plt.close("all")
    """
    ax = ax if ax is not None else new_axes(MAX_WIDTH, 4.5)
    steps = list(dict.fromkeys(funnel["step"]))
    x = np.arange(len(steps))
    groups = [str(g) for g in dict.fromkeys(funnel[by].astype(str))]
    colours = palette.colours_for(groups, "segment", order=groups)
    pairs = []
    for group in groups:
        part = funnel[funnel[by].astype(str) == group].set_index("step").reindex(steps)
        share = part["share_of_first"].astype(float).to_numpy()
        marker = palette.MARKERS[groups.index(group) % len(palette.MARKERS)]
        size = int(part["accounts"].iloc[0]) if pd.notna(part["accounts"].iloc[0]) else 0
        name = none_label(by) if group == NONE else group
        label = f"{name} ({number(size, 'count')})"
        ax.plot(x, share, marker=marker, ms=7, lw=1.8, color=colours[group], label=label)
        last = share[-1]
        if np.isfinite(last) and len(groups) <= 3:  # more labels would overlap
            ax.annotate(number(last, "share"), (x[-1], last), xytext=(8, 0),
                        textcoords="offset points", va="center", fontsize=10,
                        color=colours[group], annotation_clip=False)  # fmt: skip
        pairs.append((name, " → ".join(number(v, "share") for v in share if np.isfinite(v))))
    ax.set_xticks(x, [step_label(s) for s in steps])
    ax.set_xlim(-0.3, len(steps) - 0.5)
    ax.set_ylim(0, 1.05)
    ax.yaxis.set_major_formatter(number_formatter("share"))
    ax.set_ylabel(gettext("share of the group's target accounts"))
    what = gettext(by)
    set_title(ax, gettext("The account funnel by {by} (in brackets: target accounts)").format(
        by=what))  # fmt: skip
    legend_below(ax, ncol=min(len(groups), 4))
    describe(
        ax,
        gettext("Line chart of the share of target accounts reaching each step, by {by}: "
                "{items}.").format(by=what, items=listing(pairs)),
    )  # fmt: skip
    return ax
