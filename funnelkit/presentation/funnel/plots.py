"""Funnel charts drawn from the tidy frames of the funnel analysis; they compute nothing.

Each function takes a frame, draws it on ``ax`` (a new one when None) and returns the Axes,
with its words in the report's language and a description for the alt text
(:func:`funnelkit.presentation.plots.describe`).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from ...core.formatting import format_hours
from ...core.i18n import current_language, gettext
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
)

__all__ = [
    "plot_bounce_rates",
    "plot_funnel",
    "plot_segment_heatmap",
    "plot_time_to_convert",
    "plot_weekly_trend",
]

BAR = palette.OKABE_ITO["blue"]
#: Significant under- and over-performers: colour, line style and a symbol before the number.
FLAG = {"under": palette.WORSE, "over": palette.BETTER}
FLAG_STYLE = {"under": "-", "over": "--"}
FLAG_SYMBOL = {"under": "▼", "over": "▲"}


def _axes(ax: Axes | None, size: tuple[float, float] = (MAX_WIDTH, 4.5)) -> Axes:
    return ax if ax is not None else new_axes(*size)


def plot_funnel(table: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Users per step as horizontal bars (step 1 on top), with 95% interval whiskers.

    Each bar is labelled with its users, the share of step 1 and, from step 2, the share of the
    previous step. Takes the frame of :func:`funnel_steps` (no breakdown).
    """
    ax = _axes(ax, (MAX_WIDTH, 0.6 * len(table) + 1.8))
    y = np.arange(len(table))
    first = table["users"].iloc[0] if len(table) else 0
    ax.barh(y, table["users"], color=BAR, alpha=0.85)
    low = (table["share_of_first"] - table["share_of_first_ci_low"]) * first
    high = (table["share_of_first_ci_high"] - table["share_of_first"]) * first
    ax.errorbar(table["users"], y, xerr=[low.fillna(0), high.fillna(0)], fmt="none",
                ecolor="black", capsize=4, lw=1)  # fmt: skip
    for i, row in enumerate(table.itertuples()):
        label = number(int(row.users), "count")
        if i:
            label += " · " + gettext("{share} of step 1").format(
                share=number(row.share_of_first, "share")
            )
            label += " · " + gettext("{share} of previous").format(
                share=number(row.share_of_previous, "share")
            )
        ax.annotate(label, (row.users + high.fillna(0).iloc[i], i), xytext=(6, 0),
                    textcoords="offset points", ha="left", va="center", fontsize=10,
                    annotation_clip=False)  # fmt: skip
    names = [f"{n}. {s}" for n, s in zip(table["step_number"], table["step"], strict=True)]
    ax.set_yticks(y, names)
    ax.invert_yaxis()  # the funnel reads top to bottom
    ax.set_xlabel(gettext("number of users"))
    ax.xaxis.set_major_formatter(number_formatter("count"))
    ticks = plt.MaxNLocator(4, integer=True).tick_values(0, max(first, 1))
    ax.set_xticks([t for t in ticks if 0 <= t <= max(first, 1) * 1.05])
    ax.set_xlim(0, max(first, 1) * 2.1)
    ax.grid(axis="y", visible=False)
    set_title(ax, gettext("Funnel: users reaching each step (whiskers: 95% interval)"))
    pairs = [
        (s, number(int(u), "count")) for s, u in zip(table["step"], table["users"], strict=True)
    ]
    text = gettext("Bar chart of users at each funnel step: {items}.").format(items=listing(pairs))
    if len(table) > 1:
        text += " " + gettext("{share} of the users of step 1 reach the last step.").format(
            share=number(float(table["share_of_first"].iloc[-1]), "share")
        )
    describe(ax, text)
    return ax


def plot_segment_heatmap(frame: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Step conversion per segment (rows) and step (columns); significant cells outlined.

    Takes :func:`segment_heatmap_frame`. Colour is the conversion from the previous step; a
    solid vermillion frame and ▼ mark a significant under-performer, a dashed blue frame and ▲
    an over-performer; a number in brackets is a segment below the sample gate.
    """
    if {"column", "segment"} <= set(frame.columns):  # "channel: email" in the report's language
        labels = [f"{gettext(str(c))}: {s}" for c, s in zip(frame["column"], frame["segment"],
                                                           strict=True)]  # fmt: skip
        frame = frame.assign(row=labels)
    rows = list(dict.fromkeys(frame["row"]))
    steps = list(dict.fromkeys(frame.sort_values("step_number")["step"]))
    ax = _axes(ax, (MAX_WIDTH, 0.5 * len(rows) + 2.2))
    grid = frame.pivot_table(index="row", columns="step", values="rate", aggfunc="first",
                             dropna=False).reindex(index=rows, columns=steps)  # fmt: skip
    image = ax.imshow(grid.to_numpy(dtype=float), aspect="auto", cmap="Blues", vmin=0, vmax=1)
    flagged = {"under": [], "over": []}
    for cell in frame.itertuples():
        i, j = rows.index(cell.row), steps.index(cell.step)
        text = "–" if pd.isna(cell.rate) else number(cell.rate, "share")
        if cell.gated:
            text = f"({text})"
        if cell.flag in FLAG:
            text = f"{FLAG_SYMBOL[cell.flag]}{text}"
            flagged[cell.flag].append(f"{cell.row}, {cell.step} {number(cell.rate, 'share')}")
        colour = "white" if (cell.rate or 0) > 0.6 else "black"
        ax.text(j, i, text, ha="center", va="center", fontsize=10, color=colour)
        if cell.flag in FLAG:
            ax.add_patch(plt.Rectangle((j - 0.47, i - 0.44), 0.94, 0.88, fill=False,
                                       edgecolor=FLAG[cell.flag], lw=2.5,
                                       ls=FLAG_STYLE[cell.flag]))  # fmt: skip
    ax.set_xticks(range(len(steps)), steps, rotation=20 if len(steps) > 3 else 0,
                  ha="right" if len(steps) > 3 else "center")  # fmt: skip
    ax.set_yticks(range(len(rows)), rows)
    ax.grid(False)
    ax.figure.colorbar(image, ax=ax, label=gettext("conversion from previous step"), shrink=0.8,
                       format=number_formatter("share"))  # fmt: skip
    handles = [
        Line2D([], [], color=FLAG["under"], lw=2.5, ls=FLAG_STYLE["under"],
               label=gettext("▼ significantly lower")),
        Line2D([], [], color=FLAG["over"], lw=2.5, ls=FLAG_STYLE["over"],
               label=gettext("▲ significantly higher")),
        Line2D([], [], color="none", label=gettext("(…) too few users to test")),
    ]  # fmt: skip
    legend_below(ax, handles, ncol=1)
    set_title(ax, gettext("Step conversion by segment"))
    text = gettext(
        "Heatmap of the conversion from the previous step for {rows} segments and {steps} steps."
    ).format(rows=len(rows), steps=len(steps))
    for flag, sentence in (
        ("under", gettext("Significantly lower: {items}.")),
        ("over", gettext("Significantly higher: {items}.")),
    ):
        if flagged[flag]:
            text += " " + sentence.format(items="; ".join(flagged[flag]))
    if not flagged["under"] and not flagged["over"]:
        text += " " + gettext("No segment differs significantly.")
    describe(ax, text)
    return ax


def plot_weekly_trend(weekly: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Share of each entry week reaching each step (lines), with 95% bands.

    Takes :func:`weekly_conversion`.
    """
    ax = _axes(ax)
    later = weekly[weekly["step_number"] > 1]
    order = list(dict.fromkeys(later.sort_values("step_number")["step"]))
    parts = []
    for step, part in later.groupby("step_number", sort=True):
        name = part["step"].iloc[0]
        colour = palette.colour_for(name, "step", order=order)
        ax.plot(part["week"], part["share_of_first"], marker=palette.marker_for(
            name, "step", order=order), color=colour, label=f"{step}. {name}")  # fmt: skip
        ax.fill_between(part["week"], part["ci_low"], part["ci_high"], alpha=0.15, color=colour)
        parts.append(
            gettext("{step} from {first} to {last}").format(
                step=name,
                first=number(float(part["share_of_first"].iloc[0]), "share"),
                last=number(float(part["share_of_first"].iloc[-1]), "share"),
            )
        )
    ax.yaxis.set_major_formatter(number_formatter("share"))
    ax.set_ylim(bottom=0)
    ax.margins(x=0.04)
    date_axis(ax, ticks=later["week"])
    ax.set_ylabel(gettext("share of step-1 users"))
    ax.set_xlabel(gettext("week of entry (step 1)"))
    ax.legend(loc="upper left", bbox_to_anchor=(1, 1), frameon=False)
    set_title(ax, gettext("Conversion by entry week"))
    weeks = pd.to_datetime(weekly["week"]) if len(weekly) else pd.Series(dtype="datetime64[ns]")
    text = gettext("Line chart of the share of step-1 users reaching each step, by week of entry")
    if len(weeks):
        text += " " + gettext("from {start} to {end}").format(
            start=format_date(weeks.min(), "yMMMd"), end=format_date(weeks.max(), "yMMMd")
        )
    text += (": " + "; ".join(parts) + ".") if parts else "."
    describe(ax, text)
    return ax


def _duration(hours: float) -> str:
    """A duration in whole units in the report's language (``3 h`` / ``3 ч``, ``4 дн.``)."""
    return format_hours(hours, digits=0, language=current_language())


def plot_time_to_convert(
    histogram: pd.DataFrame, quantiles: pd.DataFrame, *, ax: Axes | None = None
) -> Axes:
    """Distribution of hours from step 1 to conversion (log scale), with its median.

    Takes the two frames of :func:`~funnelkit.funnel.durations.conversion_times` (the bins
    and the quantiles, counted where the data are).
    """
    ax = _axes(ax)
    row = quantiles.iloc[0] if len(quantiles) else None
    users = int(row["users"]) if row is not None else 0
    if users and len(histogram):
        edges = np.append(histogram["low_hours"].to_numpy(), histogram["high_hours"].iloc[-1])
        ax.hist(histogram["low_hours"], bins=edges, weights=histogram["users"], color=BAR,
                alpha=0.85)  # fmt: skip
        median = float(row["median_hours"])
        ax.axvline(median, color="black", ls="--", lw=1.2,
                   label=gettext("median: {time}").format(time=_duration(median)))  # fmt: skip
        ax.legend(frameon=False)
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda value, _: _duration(value)))
    ax.yaxis.set_major_formatter(number_formatter("count"))
    ax.set_xlabel(gettext("time from step 1 to conversion"))
    ax.set_ylabel(gettext("number of users"))
    set_title(ax, gettext("How long conversion takes"))
    if users:
        text = gettext(
            "Histogram of the time from step 1 to conversion for {n} users (log scale): median "
            "{median}, a quarter within {q1}, three quarters within {q3}."
        ).format(
            n=number(users, "count"),
            median=_duration(row["median_hours"]),
            q1=_duration(row["p25_hours"]),
            q3=_duration(row["p75_hours"]),
        )
    else:
        text = gettext("Histogram of the time from step 1 to conversion: no user converted.")
    describe(ax, text)
    return ax


def plot_bounce_rates(bounce: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Bounce rate per landing page as horizontal bars with 95% whiskers.

    Takes :func:`bounce_rates`.
    """
    ax = _axes(ax, (MAX_WIDTH, 0.42 * len(bounce) + 1.6))
    y = np.arange(len(bounce))[::-1]
    err = [bounce["bounce_rate"] - bounce["ci_low"], bounce["ci_high"] - bounce["bounce_rate"]]
    ax.barh(y, bounce["bounce_rate"], xerr=err, color=BAR, alpha=0.85, capsize=3)
    labels = [
        gettext("{page}  ({n} sessions)").format(page=p, n=number(int(n), "count"))
        for p, n in zip(bounce["landing_page"], bounce["sessions"], strict=True)
    ]
    ax.set_yticks(y, labels)
    for yi, rate, high in zip(y, bounce["bounce_rate"], bounce["ci_high"], strict=True):
        ax.annotate(number(float(rate), "share"), (float(high), yi), xytext=(4, 0),
                    textcoords="offset points", va="center", fontsize=10)  # fmt: skip
    top = float(bounce["ci_high"].max()) if len(bounce) else 1.0
    ax.set_xlim(0, min(1.0, top * 1.2) if top > 0 else 1.0)
    ax.xaxis.set_major_formatter(number_formatter("share"))
    ax.set_xlabel(gettext("bounce rate (sessions with a single page view)"))
    set_title(ax, gettext("Bounce rate by landing page"))
    pairs = [
        (p, number(float(r), "share"))
        for p, r in zip(bounce["landing_page"], bounce["bounce_rate"], strict=True)
    ]
    describe(
        ax, gettext("Bar chart of the bounce rate by landing page: {items}.").format(
            items=listing(pairs, limit=10))
    )  # fmt: skip
    return ax
