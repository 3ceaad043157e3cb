"""Charts of the metric chapter. They take the tidy frames and never compute statistics."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes

__all__ = ["plot_cac_vs_ltv", "plot_changes", "plot_clv_curve", "plot_pipeline", "plot_romi"]

_BETTER, _WORSE, _NEUTRAL = "#2a9d8f", "#e76f51", "#9aa5b1"


def _axes(ax: Axes | None, size: tuple[float, float]) -> Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=size)
    return ax


def plot_cac_vs_ltv(channels: pd.DataFrame, *, currency: str = "", ax: Axes | None = None) -> Axes:
    """CAC against customer lifetime value per channel, with the LTV = CAC and 3 × CAC lines.

    ``channels`` is :func:`funnelkit.metrics.channels.channel_economics`; channels without
    a CAC (no spend) or without a CLV are left out (the table shows them).
    """
    ax = _axes(ax, (7, 5))
    shown = channels.dropna(subset=["cac", "clv"])
    if shown.empty:
        ax.text(0.5, 0.5, "No channel has both spend and customers", ha="center",
                transform=ax.transAxes)  # fmt: skip
        ax.set_axis_off()
        return ax
    top = float(max(shown["cac"].max(), shown["clv"].max() / 3)) * 1.15
    line = np.array([0, top])
    ax.plot(line, line, color=_WORSE, lw=1, ls="--", label="LTV = CAC (loses money)")
    ax.plot(line, 3 * line, color=_BETTER, lw=1, ls="--", label="LTV = 3 × CAC (healthy)")
    ax.scatter(shown["cac"], shown["clv"], s=80, color="#264653", zorder=3)
    for _, row in shown.iterrows():
        ax.annotate(str(row["channel"]), (row["cac"], row["clv"]), xytext=(6, 4),
                    textcoords="offset points")  # fmt: skip
    ax.set_xlim(0, top)
    ax.set_ylim(0, max(float(shown["clv"].max()) * 1.15, top))
    unit = f" ({currency})" if currency else ""
    ax.set_xlabel(f"CAC: spend per new customer{unit}")
    ax.set_ylabel(f"Customer lifetime value{unit}")
    ax.legend(loc="lower right", frameon=False)
    return ax


def plot_romi(channels: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """ROMI per channel as horizontal bars; below zero the channel does not pay back its spend."""
    ax = _axes(ax, (7, 3.5))
    shown = channels.dropna(subset=["romi"]).sort_values("romi")
    if shown.empty:
        ax.text(0.5, 0.5, "No channel with spend", ha="center", transform=ax.transAxes)
        ax.set_axis_off()
        return ax
    colours = [_BETTER if v >= 0 else _WORSE for v in shown["romi"]]
    ax.barh(shown["channel"].astype(str), shown["romi"] * 100, color=colours)
    ax.axvline(0, color="black", lw=0.8)
    low, high = float(shown["romi"].min()) * 100, float(shown["romi"].max()) * 100
    span = max(high, 0) - min(low, 0) or 1.0
    ax.set_xlim(min(low, 0) - 0.25 * span, max(high, 0) + 0.25 * span)  # room for the labels
    for y, v in enumerate(shown["romi"]):
        side = "left" if v >= 0 else "right"
        ax.annotate(f"{v:+.0%}", (v * 100, y), xytext=(4 if v >= 0 else -4, 0),
                    textcoords="offset points", va="center", ha=side)  # fmt: skip
    ax.set_xlabel("ROMI, % of spend returned on top of the spend")
    ax.set_ylabel("")
    return ax


def plot_changes(changes: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Relative change of each metric against the period before, coloured by better / worse.

    ``changes`` is :func:`funnelkit.metrics.compare.compare_periods` (or a subset). Metrics
    whose change is not significant are grey; hatched bars were not tested.
    """
    shown = changes.dropna(subset=["relative_change"]).iloc[::-1]
    ax = _axes(ax, (7, max(2.5, 0.35 * len(shown) + 1)))
    colours = []
    for verdict in shown["verdict"]:
        if verdict == "better":
            colours.append(_BETTER)
        elif verdict == "worse":
            colours.append(_WORSE)
        else:
            colours.append(_NEUTRAL)
    limit = 100.0  # a change from a tiny base (ROMI 0.02 -> 0.5) would squash every other bar
    percent = (shown["relative_change"] * 100).clip(-limit, limit)
    bars = ax.barh(shown["name"], percent, color=colours)
    for bar, test in zip(bars, shown["test"], strict=True):
        if test == "none":
            bar.set_hatch("//")
    for y, (value, raw) in enumerate(zip(percent, shown["relative_change"] * 100, strict=True)):
        if abs(raw) > limit:
            ax.annotate(
                f"{raw:+.0f}% ▸",
                (value, y),
                xytext=(-4 if raw > 0 else 4, 0),
                textcoords="offset points",
                va="center",
                ha="right" if raw > 0 else "left",
                fontsize=8,
                color="white",
            )
    ax.set_xlim(-limit * 1.05, limit * 1.05)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlabel("change against the period before, %")
    ax.set_ylabel("")
    return ax


def plot_clv_curve(curve: pd.DataFrame, *, currency: str = "", ax: Axes | None = None) -> Axes:
    """Historical CLV: cumulative revenue per customer by months since their first purchase."""
    ax = _axes(ax, (7, 3.5))
    ax.plot(curve["months_since_first"], curve["value"], marker="o", color="#264653")
    for _, row in curve.iterrows():
        ax.annotate(f"n={int(row['denominator']):,}", (row["months_since_first"], row["value"]),
                    xytext=(0, 6), textcoords="offset points", ha="center", fontsize=8)  # fmt: skip
    unit = f" ({currency})" if currency else ""
    ax.set_xlabel("months since the first purchase")
    ax.set_xticks(curve["months_since_first"].astype(int).tolist())
    ax.set_ylabel(f"revenue per customer so far{unit}")
    ax.set_ylim(bottom=0)
    return ax


def plot_pipeline(pipeline: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Won / MQL per channel (won / SQL, or MQL / leads, when that is all the CRM has).

    ``pipeline`` is :func:`funnelkit.metrics.pipeline.lead_pipeline`; whiskers are its Wilson
    95% intervals and each bar is labelled with the channel's leads.
    """
    rate, label = next(
        ((r, t) for r, t in (("won_per_mql", "won / MQL"), ("won_per_sql", "won / SQL"),
                             ("mql_per_lead", "MQL / leads")) if pipeline[r].notna().any()),
        ("won_per_mql", "won / MQL"),
    )  # fmt: skip
    shown = pipeline.dropna(subset=[rate]).iloc[::-1]
    ax = _axes(ax, (7, max(2.5, 0.4 * len(shown) + 1)))
    if shown.empty:
        ax.text(0.5, 0.5, f"No channel has a {label} rate", ha="center", transform=ax.transAxes)
        ax.set_axis_off()
        return ax
    value = shown[rate].to_numpy() * 100
    errors = np.vstack([value - shown[f"{rate}_low"] * 100, shown[f"{rate}_high"] * 100 - value])
    ax.barh(shown["channel"].astype(str), value, xerr=errors, color="#264653", capsize=3)
    for y, (v, leads) in enumerate(zip(value, shown["leads"], strict=True)):
        ax.annotate(f"{v:.1f}%  ({int(leads):,} leads)", (v, y), xytext=(6, 6),
                    textcoords="offset points", fontsize=8)  # fmt: skip
    ax.set_xlim(0, min(100.0, float(np.nanmax(shown[f"{rate}_high"])) * 130 or 100.0))
    ax.set_xlabel(f"{label}, % (95% interval)")
    ax.set_ylabel("")
    return ax
