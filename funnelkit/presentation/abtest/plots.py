"""Charts of an experiment, drawn from the tidy frames of the analysis (they compute nothing).

:func:`plot_forest` shows every relative lift with its confidence interval, one line per metric
and variant, around a zero line; :func:`plot_cumulative` shows the cumulative conversion rate by
assignment day per variant, which shows whether an early lead held or faded.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes

__all__ = ["plot_cumulative", "plot_forest"]


def plot_forest(
    frame: pd.DataFrame,
    *,
    ax: Axes | None = None,
    lift_col: str = "rel_lift",
    low_col: str = "rel_ci_low",
    high_col: str = "rel_ci_high",
    title: str | None = None,
) -> Axes:
    """Relative lifts with their confidence intervals, per metric and variant, and a zero line.

    Parameters
    ----------
    frame
        One row per metric and variant, e.g. ``ExperimentResult.comparisons`` (metric, variant,
        rel_lift, rel_ci_low, rel_ci_high; an optional boolean or 0/1 ``significant`` column
        fills the markers of significant rows, otherwise rows whose interval excludes 0 are
        filled).
    ax
        Axes to draw on (default: a new figure sized to the rows).
    lift_col, low_col, high_col
        The estimate and the interval bounds (shares: 0.12 = +12%).
    title
        Axes title (default: "Lift against control, with confidence intervals").

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> lifts = pd.DataFrame({"metric": ["conversion"], "variant": ["B"], "rel_lift": [0.12],
    ...                       "rel_ci_low": [0.03], "rel_ci_high": [0.21]})
    >>> plot_forest(lifts).get_xlabel()
    'lift against control'
    >>> plt.close("all")
    """
    rows = frame.reset_index(drop=True)
    labels = rows["metric"].astype(str).str.replace("_", " ") + " · " + rows["variant"].astype(str)
    ax = ax or plt.subplots(figsize=(8, 0.45 * len(rows) + 1.2))[1]
    y = np.arange(len(rows))[::-1]
    low, high = rows[low_col].to_numpy(float), rows[high_col].to_numpy(float)
    lift = rows[lift_col].to_numpy(float)
    if "significant" in rows:
        filled = rows["significant"].astype(bool).to_numpy()
    else:
        filled = (low > 0) | (high < 0)
    palette = dict(zip(pd.unique(rows["metric"]), sns.color_palette(), strict=False))
    for i, (yi, metric) in enumerate(zip(y, rows["metric"], strict=True)):
        colour = palette[metric]
        ax.hlines(yi, low[i], high[i], color=colour, lw=2)
        ax.plot(
            lift[i],
            yi,
            "o",
            color=colour,
            markerfacecolor=colour if filled[i] else "white",
            markersize=7,
        )
    ax.axvline(0, color="0.3", lw=1, ls="--")
    ax.set_yticks(y, labels)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.xaxis.set_major_formatter(lambda value, _: f"{value:+.0%}" if round(value, 4) else "0%")
    ax.set_xlabel("lift against control")
    ax.set_title(title or "Lift against control, with confidence intervals")
    ax.grid(axis="y", visible=False)
    return ax


def plot_cumulative(
    daily: pd.DataFrame, *, ax: Axes | None = None, title: str | None = None
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
    ax = ax or plt.subplots(figsize=(9, 3.6))[1]
    for variant, part in daily.groupby("variant", sort=False):
        ax.plot(part["date"], part["cumulative_rate"], lw=1.6, label=str(variant))
    ax.yaxis.set_major_formatter(lambda value, _: f"{value:.1%}")
    ax.set_ylabel("conversion so far")
    ax.set_xlabel("assignment day")
    ax.set_title(title or "Cumulative conversion by assignment day")
    ax.legend(frameon=False, loc="best")
    ax.figure.autofmt_xdate()
    return ax
