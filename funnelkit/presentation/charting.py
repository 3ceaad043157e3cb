"""What every chart of the kit shares: its words, numbers, dates, layout and alt text.

- :func:`describe` / :func:`alt_text` — a plain-language description of a chart with its key
  numbers, in the report's language, which the notebook writes as the image's ``alt`` text;
- :func:`number` / :func:`number_formatter` — numbers and tick labels through
  :func:`funnelkit.core.formatting.format_number` in the report's language;
- :func:`format_date` / :func:`date_axis` — dates with month names in the report's language,
  on a few ticks that never overlap;
- :func:`new_axes`, :func:`set_title`, :func:`wrap_label`, :func:`legend_below` — figures at
  most 9 in wide whose titles, labels and legends stay inside them.

:mod:`funnelkit.presentation.plots` re-exports them for the chapters' plot modules.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from ..core.formatting import format_number
from ..core.i18n import babel_locale, current_language, gettext

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
    "set_title",
    "span",
    "wrap_label",
]

#: The usual figure width, in inches (shown at 100 CSS px per inch); no chart is wider than 9.
MAX_WIDTH = 8.0
#: Smallest font on a chart, in points.
MIN_FONT = 10


def describe(target: Figure | Axes, text: str) -> str:
    """Attach a plain-language description of a chart (its alt text) and return it.

    On an Axes, the description is that panel's; the figure's alt text is then the panels'
    descriptions in order (several charts can share one figure). The text should say what
    the chart shows and its key numbers, in the report's language.

    Examples
    --------
    >>> fig, ax = plt.subplots()
    >>> _ = describe(ax, "Bar chart of visitors: 12.")
    >>> alt_text(fig)
    'Bar chart of visitors: 12.'
    >>> plt.close(fig)
    """
    text = re.sub(r"\.\.(?=\s|$)", ".", " ".join(str(text).split()))
    if isinstance(target, Axes):
        target.funnelkit_alt = text
        fig = target.figure
        parts = [getattr(ax, "funnelkit_alt", "") for ax in fig.axes]
        fig.funnelkit_alt = " ".join(p for p in parts if p)
    else:
        target.funnelkit_alt = text
    return text


def alt_text(fig: Figure) -> str:
    """The description :func:`describe` attached, else one built from the titles."""
    text = getattr(fig, "funnelkit_alt", "")
    if text:
        return text
    titles = [
        title
        for ax in fig.axes
        for loc in ("left", "center", "right")
        if (title := ax.get_title(loc))
    ]
    if titles:
        return gettext("Chart: {titles}.").format(titles="; ".join(titles))
    return gettext("Chart.")


def listing(pairs: Iterable[tuple[object, str]], limit: int = 8) -> str:
    """``"a 1; b 2; … and 3 more"``: the first ``limit`` name-value pairs of a description."""
    pairs = list(pairs)
    text = "; ".join(f"{name} {value}" for name, value in pairs[:limit])
    if len(pairs) > limit:
        text += gettext("; and {n} more").format(n=len(pairs) - limit)
    return text


def number(value: float, unit: str = "count", currency: str = "EUR") -> str:
    """One number as the report writes it (:func:`funnelkit.core.formatting.format_number`)."""
    return format_number(value, unit, language=current_language(), currency=currency or "EUR")


def _whole(text: str) -> str:
    """Drop zero decimals (``5.0%`` -> ``5%``; ``€1,000.00`` -> ``€1,000``) in the language."""
    separator = "." if current_language() == "en" else ","
    return re.sub(rf"\{separator}0+(?!\d)", "", text)


def number_formatter(unit: str = "count", currency: str = "EUR") -> FuncFormatter:
    """Tick labels in ``unit`` (count, share, lift, money, points) in the report's language.

    Counts get thousands separators, shares a per-cent sign, money its currency; whole
    numbers drop their zero decimals. The language is read when the chart is drawn.
    """

    def label(value: float, _position: object = None) -> str:
        if abs(value) < 1e-12:
            value = 0.0
        if unit == "count":
            return _whole(number(round(value, 6), "count"))
        if unit == "lift" and value == 0:
            return _whole(number(0.0, "share"))
        if unit == "money":
            return _whole(number(value, "money", currency))
        return _whole(number(round(value, 6), unit, currency))

    return FuncFormatter(label)


def format_date(value: object, skeleton: str = "MMMd") -> str:
    """A date in the report's language (Babel skeleton: ``MMMd`` -> Sep 15 / 15 сент.)."""
    from babel.dates import format_skeleton

    stamp = pd.Timestamp(value)
    if pd.isna(stamp):
        return "–"
    return format_skeleton(skeleton, stamp.date(), locale=babel_locale())


def date_axis(ax: Axes, *, max_ticks: int = 7, ticks: Iterable | None = None) -> None:
    """A date x axis with at most ``max_ticks`` level labels, months in the report's language.

    ``ticks``: the dates to label (e.g. the weeks of a weekly chart) when there are no more
    than ``max_ticks`` of them; otherwise matplotlib's date locator picks round dates.
    """
    chosen = sorted(set(pd.to_datetime(list(ticks)))) if ticks is not None else []
    if chosen and len(chosen) <= max_ticks:
        ax.set_xticks(chosen)
    else:
        ax.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=3, maxticks=max_ticks))

    def label(value: float, _position: object = None) -> str:
        low, high = sorted(ax.get_xlim())
        skeleton = "yMMM" if high - low > 240 else "MMMd"
        return format_date(mdates.num2date(value).replace(tzinfo=None), skeleton)

    ax.xaxis.set_major_formatter(FuncFormatter(label))
    for tick in ax.get_xticklabels():
        tick.set_rotation(0)
        tick.set_horizontalalignment("center")


def set_title(ax: Axes, text: str) -> None:
    """The axes title, wrapped at the figure's right edge so that it is never cut off."""
    ax.set_title(text, wrap=True)


def wrap_label(text: object, width: int = 28) -> str:
    """A long tick or legend label on several lines of at most ``width`` characters."""
    return "\n".join(textwrap.wrap(str(text), width, break_long_words=False)) or str(text)


def new_axes(width: float = MAX_WIDTH, height: float = 4.5) -> Axes:
    """Axes on a new figure at most 9 in wide whose labels fit inside it (constrained layout)."""
    return plt.subplots(figsize=(min(width, 9.0), height), layout="constrained")[1]


def legend_below(ax: Axes, handles: list | None = None, *, ncol: int = 2) -> None:
    """A legend under the x axis label, so it neither hides data nor widens the figure."""
    height = ax.get_position().height * ax.figure.get_figheight()
    ax.legend(
        handles=handles if handles is not None else ax.get_legend_handles_labels()[0],
        loc="upper left",
        bbox_to_anchor=(0, -0.75 / max(height, 1)),
        ncol=ncol,
        frameon=False,
    )


def span(dates: pd.Series) -> tuple[str, str]:
    """The first and last of ``dates``, written in the report's language."""
    dates = pd.to_datetime(dates).dropna()
    if dates.empty:
        return "–", "–"
    return format_date(dates.min(), "yMMMd"), format_date(dates.max(), "yMMMd")
