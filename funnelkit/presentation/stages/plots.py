"""Journey-stage charts drawn from the tidy frames of :mod:`funnelkit.stages`; they compute nothing.

Each function takes a frame, draws it on ``ax`` (a new one when None) and returns the Axes.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.patches import Patch

from ...stages.presets import STAGES

__all__ = ["STAGE_COLOURS", "plot_coverage", "plot_stage_conversion", "plot_stage_volumes"]

#: One colour per stage (seaborn "deep"), grey for events no stage claims.
STAGE_COLOURS = dict(zip(STAGES, sns.color_palette("deep", len(STAGES)).as_hex(), strict=True))
UNMAPPED = "#b0b0b0"


def _axes(ax: Axes | None, size: tuple[float, float] = (9, 4)) -> Axes:
    return ax if ax is not None else plt.subplots(figsize=size)[1]


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
    ax = _axes(ax)
    y = np.arange(len(volumes))
    colours = [STAGE_COLOURS.get(s, UNMAPPED) for s in volumes["stage"]]
    bars = ax.barh(y, volumes["people"], color=colours)
    ax.bar_label(bars, labels=[f"{int(v):,}" for v in volumes["people"]], padding=3, fontsize=9)
    ax.set_yticks(y, volumes["stage"])
    ax.invert_yaxis()  # the journey reads top to bottom
    ax.set_xlim(0, max(float(volumes["people"].max()) if len(volumes) else 0, 1) * 1.15)
    ax.set_xlabel("people in the period")
    ax.set_title("People reaching each journey stage")
    return ax


def plot_stage_conversion(conversion: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Rate from each stage to the next, with 95% interval whiskers.

    Solid dots follow the same people; hollow dots are approximate volume ratios. Takes the
    frame of :func:`~funnelkit.stages.stage_conversion`; a missing rate is left blank.
    """
    ax = _axes(ax)
    x = np.arange(len(conversion))
    rate = conversion["rate"].astype(float)
    low = (rate - conversion["ci_low"].astype(float)).clip(lower=0).fillna(0)
    high = (conversion["ci_high"].astype(float) - rate).clip(lower=0).fillna(0)
    same = (conversion["basis"] == "same people").to_numpy()
    for mask, face, label in ((same, "#4c72b0", "same people"), (~same, "white", "volume ratio")):
        if mask.any():
            ax.errorbar(
                x[mask],
                rate[mask],
                yerr=[low[mask], high[mask]],
                fmt="o",
                ms=8,
                mfc=face,
                mec="#4c72b0",
                ecolor="black",
                capsize=4,
                lw=1,
                label=label,
            )
    for i, value in enumerate(rate):
        if pd.notna(value):
            ax.annotate(
                f"{value:.1%}",
                (i, value),
                xytext=(8, 0),
                textcoords="offset points",
                va="center",
                fontsize=9,
            )
    labels = [
        f"{a} →\n{b}" for a, b in zip(conversion["from_stage"], conversion["to_stage"], strict=True)
    ]
    ax.set_xticks(x, labels)
    ax.set_ylim(0, max(1.05, float(np.nanmax(rate.to_numpy(), initial=0)) * 1.1))
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    ax.set_ylabel("moved on to the next stage")
    ax.set_title("Stage-to-stage conversion (whiskers: 95% interval)")
    ax.legend(loc="upper right", frameon=False)
    return ax


def plot_coverage(event_map: pd.DataFrame, *, top: int = 15, ax: Axes | None = None) -> Axes:
    """The ``top`` event names by rows, coloured by stage, unmapped ones grey.

    Takes the frame of :func:`~funnelkit.stages.event_stage_map` (already sorted biggest first).
    """
    shown = event_map.head(top)
    ax = _axes(ax, (9, 0.32 * len(shown) + 1.5))
    y = np.arange(len(shown))
    colours = [STAGE_COLOURS.get(s, UNMAPPED) for s in shown["stage"]]
    bars = ax.barh(y, shown["events"], color=colours)
    ax.bar_label(bars, labels=[f"{int(v):,}" for v in shown["events"]], padding=3, fontsize=8)
    ax.set_yticks(y, shown["event"])
    ax.invert_yaxis()
    ax.set_xlim(0, max(float(shown["events"].max()) if len(shown) else 0, 1) * 1.15)
    present = [s for s in STAGES if s in set(shown["stage"])]
    handles = [Patch(color=STAGE_COLOURS[s], label=s) for s in present]
    if (shown["stage"] == "").any():
        handles.append(Patch(color=UNMAPPED, label="no stage"))
    ax.legend(handles=handles, loc="lower right", frameon=False, fontsize=8)
    ax.set_xlabel("events (all history)")
    ax.set_title(f"Top {len(shown)} events by stage")
    return ax
