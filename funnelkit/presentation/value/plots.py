"""Customer-value charts drawn from the frames of :mod:`funnelkit.value`; no computing.

Each function takes a frame, draws it on ``ax`` (a new one when None) and returns the Axes, with
its words in the report's language (gettext, Russian in ``locale/ru/LC_MESSAGES/value.po``),
Okabe–Ito colours (:mod:`funnelkit.presentation.palette`) and a description for the alt text
(:func:`funnelkit.presentation.charting.describe`).
"""

from __future__ import annotations

import matplotlib.pyplot as plt  # noqa: F401 - the doctests close their figures
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import LinearSegmentedColormap

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

__all__ = ["month_label", "plot_cohort_heatmap", "plot_holdout", "plot_segments", "week_label"]

#: White to Okabe–Ito blue: the heatmap's scale (darker = more).
_BLUES = LinearSegmentedColormap.from_list("okabe_ito_blue", ["#FFFFFF", palette.OKABE_ITO["blue"]])


def month_label(value: object) -> str:
    """A cohort's month in the report's language (``Aug 2026`` / ``авг. 2026 г.``)."""
    return format_date(value, "yMMM")


def week_label(value: object) -> str:
    """A first-visit week by its Monday in the report's language (``Oct 5`` / ``5 окт.``)."""
    return format_date(value, "MMMd")


def plot_cohort_heatmap(
    frame: pd.DataFrame,
    *,
    unit: str = "share",
    currency: str = "EUR",
    period: str = "month",
    ax: Axes | None = None,
) -> Axes:
    """Cohorts (rows) × periods since the first purchase or visit (columns), each cell its number.

    Takes :func:`funnelkit.value.heatmap_frame` of ``retention`` (``unit="share"``) or of
    ``revenue_per_customer`` (``unit="money"``); empty cells are periods not yet observed.
    ``period="week"`` reads the frame as first-visit weeks of visitors
    (:func:`funnelkit.value.visit_cohorts`, see :func:`.visits.weekly_return`).

    Examples
    --------
    >>> frame = pd.DataFrame({0: [1.0, 1.0], 1: [0.2, np.nan]},
    ...                      index=pd.to_datetime(["2026-08-01", "2026-09-01"]))
    >>> ax = plot_cohort_heatmap(frame)
    >>> ax.figure.funnelkit_alt.startswith("Heatmap of the share of each cohort's customers")
    True
    >>> weeks = pd.DataFrame({1: [0.21, 0.19], 2: [0.1, np.nan]},
    ...                      index=pd.to_datetime(["2026-10-05", "2026-10-12"]))
    >>> ax = plot_cohort_heatmap(weeks, period="week")
    >>> ax.figure.funnelkit_alt.startswith("Heatmap of the share of each first-visit week's")
    True
    >>> plt.close("all")
    """
    weekly = period == "week"
    label = week_label if weekly else month_label
    rows, cols = frame.shape
    ax = ax if ax is not None else new_axes(MAX_WIDTH, 0.45 * rows + 2.2)
    values = frame.to_numpy(dtype=float)
    top = np.nanmax(values) if np.isfinite(values).any() else 1.0
    ax.imshow(np.ma.masked_invalid(values), cmap=_BLUES, vmin=0, vmax=top or 1.0, aspect="auto")
    for (i, j), value in np.ndenumerate(values):
        if np.isfinite(value):
            dark = value > 0.6 * (top or 1.0)
            ax.text(j, i, number(value, unit, currency), ha="center", va="center", fontsize=10,
                    color="white" if dark else "black")  # fmt: skip
    ax.set_xticks(range(cols), [str(c) for c in frame.columns])
    ax.set_yticks(range(rows), [label(c) for c in frame.index])
    ax.grid(False)
    if weekly:
        ax.set_xlabel(gettext("weeks since the first visit (1 = the week after)"))
        ax.set_ylabel(gettext("first-visit week (from Monday)"))
        title = gettext("Share of each week's new visitors who came back, by week since")
        what = gettext("Heatmap of the share of each first-visit week's visitors who came back "
                       "in each week since their first visit: {items}.")  # fmt: skip
    elif unit == "share":
        ax.set_xlabel(gettext("months since the first purchase (0 = the month of the first order)"))
        ax.set_ylabel(gettext("first-purchase month"))
        title = gettext("Share of each cohort's customers who ordered, by month since the first")
        what = gettext("Heatmap of the share of each cohort's customers who ordered in each month "
                       "since their first purchase: {items}.")  # fmt: skip
    else:
        ax.set_xlabel(gettext("months since the first purchase (0 = the month of the first order)"))
        ax.set_ylabel(gettext("first-purchase month"))
        title = gettext("Revenue per customer of each cohort, by month since the first purchase")
        what = gettext(
            "Heatmap of each cohort's revenue per customer (revenue / customers of "
            "the cohort) in each month since their first purchase: {items}."
        )
    set_title(ax, title)
    pairs = [
        (label(c), " → ".join(number(v, unit, currency) for v in row if np.isfinite(v)))
        for c, row in zip(frame.index, values, strict=True)
    ]
    describe(ax, what.format(items=listing(pairs)))
    return ax


def plot_segments(segments: pd.DataFrame, names: dict[str, str], *, ax: Axes | None = None) -> Axes:
    """Share of customers and share of revenue per RFM segment, side by side.

    Takes :func:`funnelkit.value.rfm_segments` (empty segments are left out) and the segments'
    names in the report's language.

    Examples
    --------
    >>> seg = pd.DataFrame({"segment": ["new", "lost"], "customers": [3, 1],
    ...                     "share": [0.75, 0.25], "revenue_share": [0.6, 0.4]})
    >>> ax = plot_segments(seg, {"new": "New customers", "lost": "Lost"})
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['New customers', 'Lost']
    >>> plt.close("all")
    """
    shown = segments[segments["customers"] > 0].reset_index(drop=True)
    ax = ax if ax is not None else new_axes(MAX_WIDTH, 0.55 * len(shown) + 2.2)
    y = np.arange(len(shown))
    height = 0.38
    customers = ax.barh(y - height / 2, shown["share"], height, color=palette.OKABE_ITO["blue"],
                        label=gettext("share of customers"))  # fmt: skip
    revenue = ax.barh(
        y + height / 2,
        shown["revenue_share"],
        height,
        hatch="//",
        color=palette.OKABE_ITO["orange"],
        label=gettext("share of revenue"),
    )
    for bars in (customers, revenue):
        ax.bar_label(bars, labels=[number(float(b.get_width()), "share") for b in bars],
                     padding=3, fontsize=10)  # fmt: skip
    labels = [names.get(s, s) for s in shown["segment"]]
    ax.set_yticks(y, [wrap_label(label, 24) for label in labels])
    ax.invert_yaxis()
    top = float(max(shown["share"].max(), shown["revenue_share"].max())) if len(shown) else 0.0
    ax.set_xlim(0, max(top, 0.01) * 1.25)
    ax.xaxis.set_major_formatter(number_formatter("share"))
    ax.set_xlabel(gettext("share of all customers; share of all revenue"))
    set_title(ax, gettext("Customer segments: their share of customers and of revenue"))
    legend_below(ax, ncol=2)
    pairs = [
        (label, f"{number(c, 'share')} / {number(r, 'share')}")
        for label, c, r in zip(labels, shown["share"], shown["revenue_share"], strict=True)
    ]
    describe(ax, gettext("Bar chart of each customer segment's share of customers and share of "
                         "revenue: {items}.").format(items=listing(pairs, limit=11)))  # fmt: skip
    return ax


def plot_holdout(check: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Predicted and actual repeat purchases in the holdout weeks, by past purchases.

    Takes a frame with ``frequency`` (repeat purchases in the calibration weeks), ``actual``
    and ``predicted`` (mean repeat purchases per customer in the holdout weeks), as in Fader,
    Hardie & Lee's calibration/holdout figure.

    Examples
    --------
    >>> check = pd.DataFrame({"frequency": [0, 1, 2], "actual": [0.2, 0.6, 1.1],
    ...                       "predicted": [0.25, 0.55, 1.0]})
    >>> ax = plot_holdout(check)
    >>> len(ax.get_lines())
    2
    >>> plt.close("all")
    """
    ax = ax if ax is not None else new_axes(MAX_WIDTH, 4.5)
    x = np.arange(len(check))
    labels = [str(v) for v in check["frequency"]]
    ax.plot(x, check["actual"], marker="o", ms=7, lw=1.8, color=palette.OKABE_ITO["blue"],
            label=gettext("actual"))  # fmt: skip
    ax.plot(x, check["predicted"], marker="s", ms=7, lw=1.8, ls="--",
            color=palette.OKABE_ITO["orange"], label=gettext("predicted by the model"))  # fmt: skip
    ax.set_xticks(x, labels)
    ax.set_ylim(bottom=0)
    ax.yaxis.set_major_formatter(number_formatter("number"))
    ax.set_xlabel(gettext("repeat purchases in the calibration weeks"))
    ax.set_ylabel(gettext("mean repeat purchases per customer in the holdout weeks"))
    set_title(ax, gettext("Predicted and actual repeat purchases in the holdout weeks"))
    legend_below(ax, ncol=2)
    pairs = [
        (label, f"{number(a, 'number')} / {number(p, 'number')}")
        for label, a, p in zip(labels, check["actual"], check["predicted"], strict=True)
    ]
    describe(ax, gettext("Line chart of the mean repeat purchases per customer in the holdout "
                         "weeks, actual / predicted, by repeat purchases in the calibration "
                         "weeks: {items}.").format(items=listing(pairs)))  # fmt: skip
    return ax
