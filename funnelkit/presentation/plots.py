"""Charts drawn from the tidy frames the analysis functions return, and the report's chart look.

Plots never compute statistics: each takes a frame, draws it, and returns the Axes (or the
Figure for small multiples). :func:`use_report_style` sets the look once per notebook.

Every chart of the kit follows the same rules, kept here for all of them:

- words through :func:`funnelkit.core.i18n.gettext` and numbers through
  :mod:`funnelkit.core.formatting` in the report's language (:func:`number_formatter`);
- dates on a few ticks with month names in the report's language (:func:`date_axis`);
- colours from :mod:`funnelkit.presentation.palette`, never the only carrier of meaning;
- fonts of at least 10 pt on figures at most 9 in wide (shown at most 900 CSS px wide);
- a plain-language description with the key numbers (:func:`describe`), which the notebook
  writes as the image's ``alt`` text (``metadata["image/png"]["alt"]``).
"""

from __future__ import annotations

import struct
from io import BytesIO

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..core.i18n import gettext, use_language
from . import palette
from .charting import (
    MAX_WIDTH,
    MIN_FONT,
    alt_text,
    date_axis,
    describe,
    format_date,
    legend_below,
    listing,
    new_axes,
    number,
    number_formatter,
    set_title,
    span,
    wrap_label,
)

__all__ = [
    "MAX_WIDTH",
    "MIN_FONT",
    "alt_text",
    "date_axis",
    "describe",
    "format_date",
    "legend_below",
    "listing",
    "new_axes",
    "number",
    "number_formatter",
    "plot_daily_volume",
    "plot_event_counts",
    "plot_missing_values",
    "set_title",
    "span",
    "use_report_style",
    "wrap_label",
]

PERIOD_COLOUR = "#fde9c9"

_RC = {
    "figure.dpi": 100,
    "savefig.dpi": 200,
    "figure.figsize": (MAX_WIDTH, 4.5),
    "font.size": 11,
    "axes.titlesize": 12,
    "axes.labelsize": 11,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "legend.fontsize": 10,
    "legend.title_fontsize": 10,
    "figure.titlesize": 12,
    "axes.titlelocation": "left",
    "axes.titleweight": "bold",
    "axes.prop_cycle": plt.cycler(color=list(palette.SEQUENCE)),
    "image.cmap": "Blues",
}


def use_report_style(*, language: str = "en") -> None:
    """Apply the report's look and language (call once per notebook, after loading the client).

    Tables (:func:`funnelkit.presentation.display.show`) and charts drawn afterwards use
    ``language`` for their words and number formats (:func:`funnelkit.core.i18n.use_language`).
    In IPython, figures are shown as sharp PNGs (twice the pixels, shown at 100 CSS px per
    inch) whose output metadata carries the chart's description as ``alt`` text.
    """
    use_language(language)
    sns.set_theme(style="whitegrid", context="notebook", palette=list(palette.SEQUENCE))
    plt.rcParams.update(_RC)
    _register_png_formatter()


def _register_png_formatter() -> None:
    """Show figures through :func:`_png_with_alt` when running in IPython (else do nothing)."""
    try:
        from IPython import get_ipython
    except ImportError:  # plain Python without IPython
        return
    shell = get_ipython()
    if shell is None:
        return
    try:  # load the inline backend now, so that it cannot register its own formatter later
        plt._get_backend_mod()
    except Exception:
        pass
    formatter = shell.display_formatter.formatters["image/png"]
    formatter.for_type(Figure, _png_with_alt)


def _png_size(data: bytes) -> tuple[int, int]:
    """Width and height in pixels from a PNG's header."""
    return struct.unpack(">II", data[16:24])


def _png_with_alt(fig: Figure) -> tuple[bytes, dict] | None:
    """A figure as a PNG at twice its dpi, shown at its natural size, with its ``alt`` text."""
    if not fig.axes and not fig.lines:
        return None
    buffer = BytesIO()
    scale = 2
    fig.canvas.print_figure(
        buffer,
        format="png",
        dpi=fig.dpi * scale,
        bbox_inches="tight",
        facecolor=fig.get_facecolor(),
        edgecolor=fig.get_edgecolor(),
    )
    data = buffer.getvalue()
    width, height = _png_size(data)
    return data, {"width": width // scale, "height": height // scale, "alt": alt_text(fig)}


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
        len(tables) or 1,
        1,
        figsize=(MAX_WIDTH, 1.3 + 1.5 * max(len(tables), 1)),
        sharex=True,
        squeeze=False,
        layout="constrained",
    )
    parts = []
    for ax, table in zip(axes[:, 0], tables, strict=False):
        part = volume[volume["table"] == table]
        if period is not None:
            ax.axvspan(
                pd.Timestamp(period[0]),
                pd.Timestamp(period[1]) + pd.Timedelta(days=1),
                color=PERIOD_COLOUR,
                zorder=0,
                label=gettext("analysis period"),
            )
        ax.plot(part["date"], part["rows"], lw=1.4, color=palette.OKABE_ITO["blue"])
        ax.set_ylabel(gettext(table), rotation=0, ha="right", va="center")
        ax.set_ylim(bottom=0, top=max(float(part["rows"].max()) if len(part) else 0, 1) * 1.12)
        ax.yaxis.set_major_formatter(number_formatter("count"))
        ax.yaxis.set_major_locator(plt.MaxNLocator(3, integer=True))
        if len(part):
            peak = part.loc[part["rows"].idxmax()]
            parts.append(
                gettext("{table}: {mean} a day on average, highest {peak} on {date}").format(
                    table=gettext(table),
                    mean=number(round(float(part["rows"].mean())), "count"),
                    peak=number(int(peak["rows"]), "count"),
                    date=format_date(peak["date"], "yMMMd"),
                )
            )
    date_axis(axes[-1, 0])
    set_title(axes[0, 0], gettext("Rows per day"))
    if period is not None and tables:
        axes[0, 0].legend(loc="upper left", frameon=False)
    start, end = span(volume["date"]) if len(volume) else ("–", "–")
    text = gettext("Line charts of rows per day, one per table, from {start} to {end}.").format(
        start=start, end=end
    )
    if parts:
        text += " " + "; ".join(parts) + "."
    if period is not None:
        text += " " + gettext("The analysis period, {start} to {end}, is shaded.").format(
            start=format_date(period[0], "yMMMd"), end=format_date(period[1], "yMMMd")
        )
    describe(fig, text)
    return fig


def plot_event_counts(counts: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Horizontal bars of events per event name (from :func:`funnelkit.health.event_counts`)."""
    ax = ax or new_axes(MAX_WIDTH, 0.32 * len(counts) + 1.4)
    sns.barplot(
        data=counts, y="event", x="events", ax=ax, color=palette.OKABE_ITO["blue"], saturation=1
    )
    ax.bar_label(ax.containers[0], labels=[number(int(n), "count") for n in counts["events"]],
                 padding=3, fontsize=10)  # fmt: skip
    set_title(ax, gettext("Events by name"))
    ax.set_xlabel(gettext("events"))
    ax.set_ylabel("")
    ax.xaxis.set_major_formatter(number_formatter("count"))
    ax.xaxis.set_major_locator(plt.MaxNLocator(5))
    ax.set_xlim(0, max(float(counts["events"].max()) if len(counts) else 0, 1) * 1.18)
    pairs = [
        (e, number(int(n), "count")) for e, n in zip(counts["event"], counts["events"], strict=True)
    ]
    describe(ax, gettext("Bar chart of events by name: {items}.").format(items=listing(pairs)))
    return ax


def plot_missing_values(missing: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Share of empty cells per optional column (from :func:`funnelkit.health.missing_values`)."""
    shown = missing[~missing["required"]]
    shown = shown.assign(
        label=[
            f"{gettext(t)}: {gettext(c)}"
            for t, c in zip(shown["table"], shown["column"], strict=True)
        ]
    )
    ax = ax or new_axes(MAX_WIDTH, 0.32 * len(shown) + 1.4)
    if shown.empty:  # every column of these tables is required, hence complete
        text = gettext("These tables have no optional columns: every cell is filled.")
        ax.text(0.5, 0.5, text, ha="center", va="center", fontsize=11, transform=ax.transAxes)
        ax.set_axis_off()
        describe(ax, text)
        return ax
    sns.barplot(
        data=shown,
        y="label",
        x="share_missing",
        ax=ax,
        color=palette.OKABE_ITO["orange"],
        saturation=1,
    )
    shares = [number(float(v), "share") for v in shown["share_missing"]]
    ax.bar_label(ax.containers[0], labels=shares, padding=3, fontsize=10)
    ax.set_xlim(0, 1.15)
    ax.set_xticks([0, 0.25, 0.5, 0.75, 1])
    ax.xaxis.set_major_formatter(number_formatter("share"))
    set_title(ax, gettext("Empty cells in optional columns"))
    ax.set_xlabel(gettext("share of rows empty"))
    ax.set_ylabel("")
    ordered = shown.sort_values("share_missing", ascending=False)
    pairs = [
        (label, number(float(share), "share"))
        for label, share in zip(ordered["label"], ordered["share_missing"], strict=True)
    ]
    describe(
        ax,
        gettext("Bar chart of the share of empty cells in each optional column: {items}.").format(
            items=listing(pairs)
        ),
    )
    return ax
