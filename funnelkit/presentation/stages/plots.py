"""Journey-stage charts drawn from the tidy frames of :mod:`funnelkit.stages`; they compute nothing.

Each function takes a frame, draws it on ``ax`` (a new one when None) and returns the Axes,
with its words in the report's language and a description for the alt text
(:func:`funnelkit.presentation.plots.describe`).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.patches import Patch

from ...core.i18n import gettext
from ...stages.presets import STAGES
from .. import palette
from ..plots import MAX_WIDTH, describe, listing, new_axes, number, number_formatter, set_title

__all__ = ["STAGE_COLOURS", "plot_coverage", "plot_stage_conversion", "plot_stage_volumes"]

#: One colour per stage (:func:`funnelkit.presentation.palette.colour_for`), grey for no stage.
STAGE_COLOURS = {stage: palette.colour_for(stage, "stage") for stage in STAGES}
UNMAPPED = palette.UNMAPPED


def _axes(ax: Axes | None, size: tuple[float, float] = (MAX_WIDTH, 4.5)) -> Axes:
    return ax if ax is not None else new_axes(*size)


def stage_name(stage: object) -> str:
    """A journey stage's name in the report's language (``""``: no stage)."""
    return gettext(str(stage)) if stage else gettext("no stage")


def plot_stage_volumes(volumes: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """People per stage as horizontal bars in journey order, each labelled with its count.

    Takes the frame of :func:`~funnelkit.stages.stage_volumes`.

    Examples
    --------
    >>> volumes = pd.DataFrame({"stage": list(STAGES), "people": [900, 400, 60, 20, 5]})
    >>> [t.get_text() for t in plot_stage_volumes(volumes).get_yticklabels()][:2]
    ['awareness', 'consideration']
    >>> plt.close("all")
    """
    ax = _axes(ax, (MAX_WIDTH, 0.5 * len(volumes) + 1.8))
    y = np.arange(len(volumes))
    colours = [palette.colour_for(s, "stage") for s in volumes["stage"]]
    bars = ax.barh(y, volumes["people"], color=colours)
    ax.bar_label(bars, labels=[number(int(v), "count") for v in volumes["people"]], padding=3,
                 fontsize=10)  # fmt: skip
    ax.set_yticks(y, [stage_name(s) for s in volumes["stage"]])
    ax.invert_yaxis()  # the journey reads top to bottom
    ax.set_xlim(0, max(float(volumes["people"].max()) if len(volumes) else 0, 1) * 1.18)
    ax.xaxis.set_major_formatter(number_formatter("count"))
    ax.xaxis.set_major_locator(plt.MaxNLocator(5))
    ax.set_xlabel(gettext("people in the period"))
    set_title(ax, gettext("People reaching each journey stage"))
    pairs = [
        (stage_name(s), number(int(p), "count"))
        for s, p in zip(volumes["stage"], volumes["people"], strict=True)
    ]
    describe(
        ax, gettext("Bar chart of people reaching each journey stage: {items}.").format(
            items=listing(pairs))
    )  # fmt: skip
    return ax


def plot_stage_conversion(conversion: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Rate from each stage to the next, with 95% interval whiskers.

    Solid dots follow the same people; hollow squares are approximate volume ratios. Takes
    the frame of :func:`~funnelkit.stages.stage_conversion`; a missing rate is left blank.
    """
    ax = _axes(ax)
    x = np.arange(len(conversion))
    rate = conversion["rate"].astype(float)
    low = (rate - conversion["ci_low"].astype(float)).clip(lower=0).fillna(0)
    high = (conversion["ci_high"].astype(float) - rate).clip(lower=0).fillna(0)
    same = (conversion["basis"] == "same people").to_numpy()
    colour = palette.OKABE_ITO["blue"]
    for mask, face, marker, label in (
        (same, colour, "o", gettext("same people followed")),
        (~same, "white", "s", gettext("ratio of volumes (approximate)")),
    ):
        if mask.any():
            ax.errorbar(x[mask], rate[mask], yerr=[low[mask], high[mask]], fmt=marker, ms=8,
                        mfc=face, mec=colour, ecolor="black", capsize=4, lw=1, label=label,
                        clip_on=False)  # fmt: skip
    for i, value in enumerate(rate):
        if pd.notna(value):
            ax.annotate(number(value, "share"), (i, value), xytext=(9, 0),
                        textcoords="offset points", va="center", fontsize=10,
                        annotation_clip=False)  # fmt: skip
    labels = [
        f"{stage_name(a)} →\n{stage_name(b)}"
        for a, b in zip(conversion["from_stage"], conversion["to_stage"], strict=True)
    ]
    ax.set_xticks(x, labels)
    ax.set_xlim(-0.5, len(conversion) - 0.5 + 0.3)
    top = float(np.nanmax((rate + high).to_numpy(), initial=0))
    ax.set_ylim(0, max(1.0, top) * 1.12)
    ax.yaxis.set_major_formatter(number_formatter("share"))
    ax.set_ylabel(gettext("moved on to the next stage"))
    set_title(ax, gettext("Stage-to-stage conversion (whiskers: 95% interval)"))
    ax.legend(loc="upper right", frameon=True, framealpha=0.9)
    pairs = [
        (f"{stage_name(a)} → {stage_name(b)}", number(r, "share"))
        for a, b, r in zip(conversion["from_stage"], conversion["to_stage"], rate, strict=True)
    ]
    describe(
        ax, gettext("Chart of the share of people moving from each stage to the next: {items}.")
        .format(items=listing(pairs))
    )  # fmt: skip
    return ax


def plot_coverage(event_map: pd.DataFrame, *, top: int = 15, ax: Axes | None = None) -> Axes:
    """The ``top`` event names by rows, coloured by stage, unmapped ones grey.

    Each bar is labelled with its count and its stage, so the stage does not rest on colour.
    Takes the frame of :func:`~funnelkit.stages.event_stage_map` (already sorted biggest first).
    """
    shown = event_map.head(top)
    ax = _axes(ax, (MAX_WIDTH, 0.36 * len(shown) + 1.8))
    y = np.arange(len(shown))
    colours = [palette.colour_for(s, "stage") if s else UNMAPPED for s in shown["stage"]]
    bars = ax.barh(y, shown["events"], color=colours)
    ax.bar_label(
        bars,
        labels=[f"{number(int(v), 'count')} · {stage_name(s)}"
                for v, s in zip(shown["events"], shown["stage"], strict=True)],
        padding=3, fontsize=10,
    )  # fmt: skip
    ax.set_yticks(y, shown["event"])
    ax.invert_yaxis()
    ax.set_xlim(0, max(float(shown["events"].max()) if len(shown) else 0, 1) * 1.55)
    ax.xaxis.set_major_formatter(number_formatter("count"))
    ax.xaxis.set_major_locator(plt.MaxNLocator(4))
    present = [s for s in STAGES if s in set(shown["stage"])]
    handles = [Patch(color=STAGE_COLOURS[s], label=s) for s in present]
    for handle, stage in zip(handles, present, strict=True):
        handle.set_label(stage_name(stage))
    if (shown["stage"] == "").any():
        handles.append(Patch(color=UNMAPPED, label=stage_name("")))
    ax.legend(handles=handles, loc="lower right", frameon=True, framealpha=0.9)
    ax.set_xlabel(gettext("events (all history)"))
    set_title(ax, gettext("Top {n} events by stage").format(n=len(shown)))
    pairs = [
        (e, f"{number(int(v), 'count')} ({stage_name(s)})")
        for e, v, s in zip(shown["event"], shown["events"], shown["stage"], strict=True)
    ]
    describe(
        ax, gettext("Bar chart of the {n} most frequent events and their journey stages: {items}.")
        .format(n=len(shown), items=listing(pairs, limit=15))
    )  # fmt: skip
    return ax
