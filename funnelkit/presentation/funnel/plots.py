"""Funnel charts drawn from the tidy frames of the funnel analysis; they compute nothing.

Each function takes a frame, draws it on ``ax`` (a new one when None) and returns the Axes.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from ...core.formatting import format_hours

__all__ = [
    "plot_bounce_rates",
    "plot_funnel",
    "plot_segment_heatmap",
    "plot_time_to_convert",
    "plot_weekly_trend",
]

BAR = "#4c72b0"
FLAG = {"under": "#c44e52", "over": "#55a868"}


def _axes(ax: Axes | None, size: tuple[float, float] = (9, 4)) -> Axes:
    return ax if ax is not None else plt.subplots(figsize=size)[1]


def plot_funnel(table: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Users per step as bars, the share of step 1 with its 95% interval as whiskers.

    Each bar is annotated with the share of step 1 and, from step 2, the share of the previous
    step. Takes the frame of :func:`funnel_steps` (no breakdown).
    """
    ax = _axes(ax)
    x = np.arange(len(table))
    first = table["users"].iloc[0] if len(table) else 0
    ax.bar(x, table["users"], color=BAR, alpha=0.85)
    low = (table["share_of_first"] - table["share_of_first_ci_low"]) * first
    high = (table["share_of_first_ci_high"] - table["share_of_first"]) * first
    ax.errorbar(x, table["users"], yerr=[low.fillna(0), high.fillna(0)], fmt="none",
                ecolor="black", capsize=4, lw=1)  # fmt: skip
    for i, row in enumerate(table.itertuples()):
        label = f"{row.users:,}\n{row.share_of_first:.1%} of step 1"
        if i:
            label += f"\n{row.share_of_previous:.1%} of previous"
        ax.annotate(label, (i, row.users), xytext=(0, 6), textcoords="offset points",
                    ha="center", va="bottom", fontsize=8)  # fmt: skip
    ax.set_xticks(x, [f"{n}. {s}" for n, s in zip(table["step_number"], table["step"],
                                                     strict=True)], rotation=15)  # fmt: skip
    ax.set_ylabel("users")
    ax.set_ylim(0, max(first, 1) * 1.3)
    ax.set_title("Funnel: users reaching each step (whiskers: 95% interval)")
    return ax


def plot_segment_heatmap(frame: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Step conversion per segment (rows) and step (columns); significant cells outlined.

    Takes :func:`segment_heatmap_frame`. Colour is the conversion from the previous step; a
    red frame marks a significant under-performer, a green one an over-performer, grey text a
    segment below the sample gate.
    """
    rows = list(dict.fromkeys(frame["row"]))
    steps = list(dict.fromkeys(frame.sort_values("step_number")["step"]))
    ax = _axes(ax, (9, 0.45 * len(rows) + 1.5))
    grid = frame.pivot_table(index="row", columns="step", values="rate", aggfunc="first",
                             dropna=False).reindex(index=rows, columns=steps)  # fmt: skip
    image = ax.imshow(grid.to_numpy(dtype=float), aspect="auto", cmap="Blues", vmin=0, vmax=1)
    for cell in frame.itertuples():
        i, j = rows.index(cell.row), steps.index(cell.step)
        text = "–" if pd.isna(cell.rate) else f"{cell.rate:.0%}"
        colour = "grey" if cell.gated else ("white" if (cell.rate or 0) > 0.6 else "black")
        ax.text(j, i, text, ha="center", va="center", fontsize=8, color=colour)
        if cell.flag in FLAG:
            ax.add_patch(plt.Rectangle((j - 0.48, i - 0.45), 0.96, 0.9, fill=False,
                                       edgecolor=FLAG[cell.flag], lw=2.5))  # fmt: skip
    ax.set_xticks(range(len(steps)), steps, rotation=15)
    ax.set_yticks(range(len(rows)), rows)
    ax.grid(False)
    ax.figure.colorbar(image, ax=ax, label="conversion from previous step", shrink=0.8)
    ax.set_title("Step conversion by segment (red: significantly lower, green: higher)")
    return ax


def plot_weekly_trend(weekly: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Share of each entry week reaching each step (lines), with 95% bands.

    Takes :func:`weekly_conversion`.
    """
    ax = _axes(ax)
    for step, part in weekly[weekly["step_number"] > 1].groupby("step_number", sort=True):
        name = part["step"].iloc[0]
        ax.plot(part["week"], part["share_of_first"], marker="o", label=f"{step}. {name}")
        ax.fill_between(part["week"], part["ci_low"], part["ci_high"], alpha=0.15)
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    ax.set_ylabel("share of step-1 users")
    ax.set_xlabel("week of entry (step 1)")
    ax.legend(loc="upper left", bbox_to_anchor=(1, 1), fontsize=8)
    ax.set_title("Conversion by entry week")
    return ax


def plot_time_to_convert(durations: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Distribution of hours from step 1 to conversion (log scale).

    Takes :func:`time_to_convert`.
    """
    ax = _axes(ax)
    hours = durations["hours"].clip(lower=1 / 60)
    if len(hours):
        bins = np.logspace(np.log10(1 / 60), np.log10(max(hours.max(), 1.0)), 40)
        ax.hist(hours, bins=bins, color=BAR, alpha=0.85)
        ax.axvline(hours.median(), color="black", ls="--", lw=1, label="median")
        ax.legend()
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(plt.FuncFormatter(_duration_label))
    ax.set_xlabel("time from step 1 to conversion")
    ax.set_ylabel("users")
    ax.set_title("How long conversion takes")
    return ax


def _duration_label(hours: float, _: object) -> str:
    return format_hours(hours, digits=0)


def plot_bounce_rates(bounce: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Bounce rate per landing page as horizontal bars with 95% whiskers.

    Takes :func:`bounce_rates`.
    """
    ax = _axes(ax, (9, 0.4 * len(bounce) + 1.5))
    y = np.arange(len(bounce))[::-1]
    err = [bounce["bounce_rate"] - bounce["ci_low"], bounce["ci_high"] - bounce["bounce_rate"]]
    ax.barh(y, bounce["bounce_rate"], xerr=err, color=BAR, alpha=0.85, capsize=3)
    labels = [f"{p}  ({n:,} sessions)" for p, n in zip(bounce["landing_page"], bounce["sessions"],
                                                       strict=True)]  # fmt: skip
    ax.set_yticks(y, labels)
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    ax.set_xlabel("bounce rate (sessions with a single page view)")
    ax.set_title("Bounce rate by landing page")
    return ax
