"""Charts of an experiment, drawn from the tidy frames of the analysis (they compute nothing).

:func:`plot_forest` shows every relative lift with its confidence interval, one line per metric
and variant, around a zero line; :func:`plot_cumulative` shows the cumulative conversion rate by
assignment day per variant, which shows whether an early lead held or faded.

Each variant has one colour in every chart (:func:`funnelkit.presentation.palette.colour_for`):
the control is always dark grey, the other variants take the palette in their declared order
(pass ``variants``, e.g. ``list(experiment.planned_split)``).
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from ...core.i18n import gettext
from .. import palette
from ..plots import (
    MAX_WIDTH,
    date_axis,
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

__all__ = ["metric_label", "plot_cumulative", "plot_forest"]


def metric_label(metric: object) -> str:
    """An experiment metric's name for a reader (``revenue_per_user`` -> revenue per user)."""
    return gettext(str(metric).replace("_", " "))


def _control(frame: pd.DataFrame, control: str | None) -> str:
    if control is not None:
        return control
    if "control" in frame and len(frame):
        return str(frame["control"].iloc[0])
    return "control"


def plot_forest(
    frame: pd.DataFrame,
    *,
    ax: Axes | None = None,
    lift_col: str = "rel_lift",
    low_col: str = "rel_ci_low",
    high_col: str = "rel_ci_high",
    title: str | None = None,
    control: str | None = None,
    variants: Sequence[str] | None = None,
) -> Axes:
    """Relative lifts with their confidence intervals, per metric and variant, and a zero line.

    Parameters
    ----------
    frame
        One row per metric and variant, e.g. ``ExperimentResult.comparisons`` (metric, variant,
        rel_lift, rel_ci_low, rel_ci_high; an optional boolean or 0/1 ``significant`` column
        marks significant rows, otherwise rows whose interval excludes 0 are).
    ax
        Axes to draw on (default: a new figure sized to the rows).
    lift_col, low_col, high_col
        The estimate and the interval bounds (shares: 0.12 = +12%).
    title
        Axes title (default: "Lift against control, with confidence intervals").
    control, variants
        The control's name (default: the frame's ``control`` column, else "control") and the
        declared order of the variants, which fixes their colours across charts.

    Returns
    -------
    matplotlib.axes.Axes

    A significant rise is a filled ▲, a significant fall a filled ▼, no clear difference a
    hollow ○; each row is labelled with its lift and, in the legend, what the shapes mean.

    Examples
    --------
    >>> lifts = pd.DataFrame({"metric": ["conversion"], "variant": ["B"], "rel_lift": [0.12],
    ...                       "rel_ci_low": [0.03], "rel_ci_high": [0.21]})
    >>> plot_forest(lifts).get_xlabel()
    'lift against control'
    >>> plt.close("all")
    """
    rows = frame.reset_index(drop=True)
    control = _control(rows, control)
    order = list(variants) if variants is not None else list(dict.fromkeys(rows["variant"]))
    labels = [f"{metric_label(m)} · {v}" for m, v in zip(rows["metric"], rows["variant"],
                                                         strict=True)]  # fmt: skip
    ax = ax or new_axes(MAX_WIDTH, 0.5 * len(rows) + 1.8)
    y = np.arange(len(rows))[::-1]
    low, high = rows[low_col].to_numpy(float), rows[high_col].to_numpy(float)
    lift = rows[lift_col].to_numpy(float)
    if "significant" in rows:
        significant = rows["significant"].astype(bool).to_numpy()
    else:
        significant = (low > 0) | (high < 0)
    kinds = np.where(significant & (lift > 0), "up", np.where(significant & (lift < 0), "down",
                                                              "none"))  # fmt: skip
    markers = {"up": "^", "down": "v", "none": "o"}
    for i, yi in enumerate(y):
        colour = palette.colour_for(rows["variant"].iloc[i], "variant", control=control,
                                    order=order)  # fmt: skip
        ax.hlines(yi, low[i], high[i], color=colour, lw=2.2)
        ax.plot(lift[i], yi, markers[kinds[i]], color=colour, markersize=9, clip_on=False,
                markerfacecolor=colour if kinds[i] != "none" else "white",
                markeredgewidth=1.8)  # fmt: skip
    ax.axvline(0, color="0.3", lw=1, ls="--")
    ax.set_yticks(y, [wrap_label(label, 32) for label in labels])
    ax.set_ylim(-0.7, len(rows) - 0.3)
    finite = np.concatenate([low[np.isfinite(low)], high[np.isfinite(high)], [0.0]])
    span = float(finite.max() - finite.min()) or 0.1
    ax.set_xlim(float(finite.min()) - 0.08 * span, float(finite.max()) + 0.08 * span)
    ax.xaxis.set_major_formatter(number_formatter("lift"))
    ax.xaxis.set_major_locator(plt.MaxNLocator(6))
    ax.set_xlabel(gettext("lift against control"))
    set_title(ax, title or gettext("Lift against control, with confidence intervals"))
    ax.grid(axis="y", visible=False)
    names = {"up": gettext("significantly higher"), "down": gettext("significantly lower"),
             "none": gettext("no clear difference")}  # fmt: skip
    handles = [
        Line2D([], [], ls="", marker=markers[k], color="#333333", markersize=9,
               markerfacecolor="#333333" if k != "none" else "white", label=names[k])
        for k in ("up", "down", "none") if (kinds == k).any()
    ]  # fmt: skip
    legend_below(ax, handles, ncol=3)
    pairs = [
        (label, gettext("{lift} ({low} to {high}), {verdict}").format(
            lift=number(lift[i], "lift"), low=number(low[i], "lift"),
            high=number(high[i], "lift"), verdict=names[kinds[i]]))
        for i, label in enumerate(labels)
    ]  # fmt: skip
    describe(
        ax,
        gettext(
            "Chart of the lift of each variant against the control group ({control}), with 95% "
            "confidence intervals: {items}."
        ).format(control=control, items=listing(pairs, limit=12)),
    )
    return ax


def plot_cumulative(
    daily: pd.DataFrame,
    *,
    ax: Axes | None = None,
    title: str | None = None,
    control: str | None = None,
    variants: Sequence[str] | None = None,
) -> Axes:
    """Cumulative conversion rate by assignment day, one line per variant.

    Parameters
    ----------
    daily
        The frame of :func:`funnelkit.abtest.outcomes.daily_cumulative` (variant, date,
        cumulative_rate).
    ax
        Axes to draw on (default: a new figure).
    title
        Axes title (default: "Cumulative conversion by assignment day").
    control, variants
        The control's name (default "control") and the declared order of the variants, which
        fixes their colours across charts; lines are drawn in the frame's order.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> daily = pd.DataFrame({"variant": ["a", "a", "b", "b"],
    ...     "date": pd.to_datetime(["2026-10-01", "2026-10-02"] * 2),
    ...     "cumulative_rate": [0.04, 0.045, 0.05, 0.048]})
    >>> len(plot_cumulative(daily).get_lines())
    2
    >>> plt.close("all")
    """
    control = control or "control"
    order = list(variants) if variants is not None else list(dict.fromkeys(daily["variant"]))
    ax = ax or new_axes(MAX_WIDTH, 4)
    ends = []
    for variant, part in daily.groupby("variant", sort=False):
        colour = palette.colour_for(variant, "variant", control=control, order=order)
        is_control = str(variant) == control
        name = str(variant)
        if is_control and name != "control":
            name = gettext("{variant} (control)").format(variant=variant)
        ax.plot(part["date"], part["cumulative_rate"], lw=2.4 if is_control else 1.8,
                ls="--" if is_control else "-", color=colour, label=name)  # fmt: skip
        rates = part["cumulative_rate"].dropna()
        if len(rates):
            ends.append((name, number(float(rates.iloc[-1]), "share")))
    ax.yaxis.set_major_formatter(number_formatter("share"))
    ax.margins(x=0.02, y=0.1)
    date_axis(ax)
    ax.set_ylabel(gettext("conversion so far"))
    ax.set_xlabel(gettext("assignment day"))
    set_title(ax, title or gettext("Cumulative conversion by assignment day"))
    ax.legend(frameon=True, framealpha=0.9, loc="best")
    dates = pd.to_datetime(daily["date"]) if len(daily) else pd.Series(dtype="datetime64[ns]")
    text = gettext("Line chart of the cumulative conversion rate by assignment day")
    if len(dates):
        text += " " + gettext("from {start} to {end}").format(
            start=format_date(dates.min(), "yMMMd"), end=format_date(dates.max(), "yMMMd")
        )
    if ends:
        text += "; " + gettext("on the last day: {items}").format(items=listing(ends))
    describe(ax, text + ".")
    return ax
