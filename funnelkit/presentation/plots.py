"""Charts drawn from the tidy frames the analysis functions return.

Plots never compute statistics: each takes a frame, draws it, and returns the Axes (or the
Figure for small multiples). :func:`use_report_style` sets the look once per notebook.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..core.i18n import use_language

__all__ = ["plot_daily_volume", "plot_event_counts", "plot_missing_values", "use_report_style"]

PERIOD_COLOUR = "#fde9c9"


def use_report_style(*, language: str = "en") -> None:
    """Apply the report's look and language (call once per notebook, after loading the client).

    Tables (:func:`funnelkit.presentation.display.show`) and charts drawn afterwards use
    ``language`` for their words and number formats (:func:`funnelkit.core.i18n.use_language`).
    """
    use_language(language)
    sns.set_theme(style="whitegrid", context="notebook", palette="deep")
    plt.rcParams.update(
        {
            "figure.dpi": 110,
            "savefig.dpi": 110,
            "figure.figsize": (9, 4),
            "axes.titlelocation": "left",
            "axes.titleweight": "bold",
        }
    )


def plot_daily_volume(volume: pd.DataFrame, *, period: tuple | None = None) -> Figure:
    """Rows per day, one small panel per table, the analysis period shaded.

    Parameters
    ----------
    volume
        The frame of :func:`funnelkit.health.daily_volume` (table, date, rows).
    period
        ``(start, end)`` dates to shade.

    Returns
    -------
    matplotlib.figure.Figure
    """
    tables = list(dict.fromkeys(volume["table"]))
    fig, axes = plt.subplots(
        len(tables) or 1, 1, figsize=(9, 1.9 * max(len(tables), 1)), sharex=True, squeeze=False
    )
    for ax, table in zip(axes[:, 0], tables, strict=False):
        part = volume[volume["table"] == table]
        if period is not None:
            ax.axvspan(
                pd.Timestamp(period[0]),
                pd.Timestamp(period[1]) + pd.Timedelta(days=1),
                color=PERIOD_COLOUR,
                zorder=0,
                label="analysis period",
            )
        ax.plot(part["date"], part["rows"], lw=1.4)
        ax.set_ylabel(table, rotation=0, ha="right", va="center")
        ax.set_ylim(bottom=0)
        ax.yaxis.set_major_formatter(lambda value, _: f"{value:,.0f}")
    axes[0, 0].set_title("Rows per day")
    if period is not None and tables:
        axes[0, 0].legend(loc="upper left", frameon=False)
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig


def plot_event_counts(counts: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Horizontal bars of events per event name (from :func:`funnelkit.health.event_counts`)."""
    ax = ax or plt.subplots(figsize=(8, 0.3 * len(counts) + 1))[1]
    sns.barplot(data=counts, y="event", x="events", ax=ax, color=sns.color_palette()[0])
    ax.set_title("Events by name")
    ax.set_xlabel("events")
    ax.set_ylabel("")
    ax.xaxis.set_major_formatter(lambda value, _: f"{value:,.0f}")
    return ax


def plot_missing_values(missing: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Share of empty cells per optional column (from :func:`funnelkit.health.missing_values`)."""
    shown = missing[~missing["required"]].assign(label=lambda f: f["table"] + "." + f["column"])
    ax = ax or plt.subplots(figsize=(8, 0.3 * len(shown) + 1))[1]
    sns.barplot(data=shown, y="label", x="share_missing", ax=ax, color=sns.color_palette()[3])
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(lambda value, _: f"{value:.0%}")
    ax.set_title("Empty cells in optional columns")
    ax.set_xlabel("share of rows empty")
    ax.set_ylabel("")
    return ax
