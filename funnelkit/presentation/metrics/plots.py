"""Charts of the metric chapter. They take the tidy frames and never compute statistics.

Words are in the report's language, numbers formatted by :mod:`funnelkit.core.formatting`,
better and worse told apart by colour, hatch and a legend entry, and each chart carries a
description for its alt text (:func:`funnelkit.presentation.plots.describe`).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.patches import Patch

from ...core.i18n import current_language, gettext
from ...metrics.catalogue import CATALOGUE
from .. import palette
from ..plots import (
    MAX_WIDTH,
    describe,
    legend_below,
    listing,
    new_axes,
    number,
    number_formatter,
    set_title,
    wrap_label,
)

__all__ = ["plot_cac_vs_ltv", "plot_changes", "plot_clv_curve", "plot_pipeline", "plot_romi"]

_BETTER, _WORSE, _NEUTRAL = palette.BETTER, palette.WORSE, palette.NEUTRAL
_POINT = palette.OKABE_ITO["black"]
_HATCH_EDGE = "white"


def _axes(ax: Axes | None, size: tuple[float, float]) -> Axes:
    if ax is None:
        ax = new_axes(*size)
    return ax


def _empty(ax: Axes, message: str) -> Axes:
    ax.text(0.5, 0.5, message, ha="center", transform=ax.transAxes)
    ax.set_axis_off()
    describe(ax, message)
    return ax


def _metric_name(metric: object, name: object) -> str:
    """The catalogue's name of ``metric`` in the report's language, else ``name`` translated."""
    found = CATALOGUE.get(str(metric))
    if found is None:
        return gettext(str(name))
    return str(found.name.get(current_language()) or found.name.get("en") or name)


def _clv_label(channels: pd.DataFrame, on_margin: bool | None) -> str:
    """The CLV axis words: gross margin per customer, or revenue when no margin is set.

    ``on_margin`` None: read from the channels' notes (``on revenue: no gross_margin set``).
    """
    if on_margin is None:
        notes = channels["note"].astype(str) if "note" in channels else pd.Series(dtype=str)
        on_margin = not notes.str.contains("on revenue").any()
    if on_margin:
        return gettext("CLV, simple formula (gross margin per customer)")
    return gettext("CLV, simple formula (revenue per customer)")


def plot_cac_vs_ltv(
    channels: pd.DataFrame,
    *,
    currency: str = "",
    on_margin: bool | None = None,
    ax: Axes | None = None,
) -> Axes:
    """CAC against customer lifetime value per channel, with the LTV = CAC and 3 × CAC lines.

    ``channels`` is :func:`funnelkit.metrics.channels.channel_economics`; channels without
    a CAC (no spend) or without a CLV are left out (the table shows them). CLV is gross margin
    per customer (``on_margin``; revenue when no gross margin is set, None: read from the
    channels' notes), and the axis says which.
    """
    ax = _axes(ax, (MAX_WIDTH, 5.5))
    shown = channels.dropna(subset=["cac", "clv"])
    if shown.empty:
        return _empty(ax, gettext("No channel has both spend and customers"))
    money = currency or "EUR"
    top = float(max(shown["cac"].max(), shown["clv"].max() / 3)) * 1.25
    line = np.array([0, top])
    ax.plot(line, line, color=_WORSE, lw=1.5, ls="--",
            label=gettext("LTV = CAC (loses money)"))  # fmt: skip
    ax.plot(line, 3 * line, color=_BETTER, lw=1.5, ls=":",
            label=gettext("LTV = 3 × CAC (healthy)"))  # fmt: skip
    ax.scatter(shown["cac"], shown["clv"], s=70, color=_POINT, zorder=3, clip_on=False)
    for _, row in shown.iterrows():
        ax.annotate(str(row["channel"]), (row["cac"], row["clv"]), xytext=(6, 4),
                    textcoords="offset points", fontsize=10, annotation_clip=False)  # fmt: skip
    ax.set_xlim(0, top)
    ax.set_ylim(0, max(float(shown["clv"].max()) * 1.2, top))
    ax.xaxis.set_major_formatter(number_formatter("money", money))
    ax.yaxis.set_major_formatter(number_formatter("money", money))
    ax.xaxis.set_major_locator(plt.MaxNLocator(5))
    ax.set_xlabel(gettext("CAC: spend per new customer"))
    ax.set_ylabel(_clv_label(channels, on_margin))
    set_title(ax, gettext("Customer value against acquisition cost, per channel"))
    ax.legend(loc="lower right", frameon=True, framealpha=0.9)
    pairs = [
        (row.channel, gettext("CAC {cac}, LTV {ltv} ({ratio} × CAC)").format(
            cac=number(row.cac, "money", money), ltv=number(row.clv, "money", money),
            ratio=number(round(row.clv / row.cac, 1), "count")))
        for row in shown.itertuples()
    ]  # fmt: skip
    describe(
        ax,
        gettext(
            "Scatter chart of customer lifetime value (LTV) against acquisition cost (CAC) per "
            "channel, with the lines LTV = CAC (loses money) and LTV = 3 × CAC (healthy): {items}."
        ).format(items=listing(pairs)),
    )
    return ax


def plot_romi(channels: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """ROMI per channel as horizontal bars; below zero the channel does not pay back its spend."""
    shown = channels.dropna(subset=["romi"]).sort_values("romi")
    ax = _axes(ax, (MAX_WIDTH, max(2.8, 0.45 * len(shown) + 1.6)))
    if shown.empty:
        return _empty(ax, gettext("No channel with spend"))
    pays = shown["romi"] >= 0
    bars = ax.barh(shown["channel"].astype(str), shown["romi"],
                   color=[_BETTER if p else _WORSE for p in pays])  # fmt: skip
    for bar, p in zip(bars, pays, strict=True):
        if not p:
            bar.set_hatch(palette.VERDICT_HATCHES["worse"])
            bar.set_edgecolor(_HATCH_EDGE)
    ax.axvline(0, color="black", lw=0.8)
    low, high = float(shown["romi"].min()), float(shown["romi"].max())
    span = max(high, 0) - min(low, 0) or 1.0
    ax.set_xlim(min(low, 0) - 0.3 * span, max(high, 0) + 0.3 * span)  # room for the labels
    for y, v in enumerate(shown["romi"]):
        ax.annotate(number(v, "lift"), (v, y), xytext=(4 if v >= 0 else -4, 0),
                    textcoords="offset points", va="center", ha="left" if v >= 0 else "right",
                    fontsize=10)  # fmt: skip
    ax.xaxis.set_major_formatter(number_formatter("share"))
    ax.xaxis.set_major_locator(plt.MaxNLocator(5))
    ax.set_xlabel(gettext("ROMI: return on marketing spend, on top of the spend"))
    ax.set_ylabel("")
    set_title(ax, gettext("Return on marketing investment (ROMI) per channel"))
    handles = [Patch(facecolor=_BETTER, label=gettext("pays back its spend"))]
    if (~pays).any():
        hatch = palette.VERDICT_HATCHES["worse"]
        label = gettext("does not pay back")
        handles.append(Patch(facecolor=_WORSE, hatch=hatch, edgecolor=_HATCH_EDGE, label=label))
    ax.legend(handles=handles, loc="lower right", frameon=True, framealpha=0.9)
    ordered = shown.iloc[::-1]
    pairs = [
        (c, number(v, "lift")) for c, v in zip(ordered["channel"], ordered["romi"], strict=True)
    ]
    describe(
        ax,
        gettext(
            "Bar chart of the return on marketing investment (ROMI) per channel, where below "
            "zero a channel does not pay back its spend: {items}."
        ).format(items=listing(pairs)),
    )
    return ax


_VERDICT_WORDS = {
    "better": "better",
    "worse": "worse",
    "untested": "not tested (no test for this metric)",
    "neutral": "no significant change",
}


def _verdict(verdict: str) -> str:
    text = str(verdict)
    if text.startswith("better"):
        return "better"
    if text.startswith("worse"):
        return "worse"
    return "neutral"


def plot_changes(changes: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Relative change of each metric against the period before, coloured by better / worse.

    ``changes`` is :func:`funnelkit.metrics.compare.compare_periods` (or a subset). Better is
    blue, worse vermillion and cross-hatched, no significant change grey; metrics that were
    not tested carry diagonal hatching. Each bar is labelled with its change; changes beyond
    ±100% are cut at the edge and labelled with their value and ▸.
    """
    shown = changes.dropna(subset=["relative_change"]).iloc[::-1]
    ax = _axes(ax, (MAX_WIDTH, max(2.8, 0.5 * len(shown) + 2.2)))
    if shown.empty:
        return _empty(ax, gettext("No metric can be compared with the period before"))
    verdicts = [_verdict(v) for v in shown["verdict"]]
    untested = (shown["test"] == "none").to_numpy()
    limit = 1.0  # a change from a tiny base (ROMI 0.02 -> 0.5) would squash every other bar
    raw = shown["relative_change"].astype(float)
    value = raw.clip(-limit, limit)
    names = [_metric_name(m, n) for m, n in zip(shown["metric"], shown["name"], strict=True)]
    y = np.arange(len(shown))
    bars = ax.barh(y, value, color=[palette.colour_for(v, "verdict") for v in verdicts])
    for bar, verdict, not_tested in zip(bars, verdicts, untested, strict=True):
        hatch = palette.VERDICT_HATCHES["untested"] if not_tested else (
            palette.VERDICT_HATCHES[verdict])  # fmt: skip
        if hatch:
            bar.set_hatch(hatch)
            bar.set_edgecolor(_HATCH_EDGE)
    for yi, (shown_value, change) in enumerate(zip(value, raw, strict=True)):
        label = number(change, "lift") + (" ▸" if abs(change) > limit else "")
        ax.annotate(label, (shown_value, yi), xytext=(4 if change >= 0 else -4, 0),
                    textcoords="offset points", va="center",
                    ha="left" if change >= 0 else "right", fontsize=10,
                    color="black")  # fmt: skip
    low, high = min(float(value.min()), 0.0), max(float(value.max()), 0.0)
    span = (high - low) or 1.0
    ax.set_xlim(low - (0.3 * span if low < 0 else 0.02 * span),
                high + (0.3 * span if high > 0 else 0.02 * span))  # fmt: skip
    ax.set_yticks(y, [wrap_label(n, 34) for n in names])
    ax.axvline(0, color="black", lw=0.8)
    ax.xaxis.set_major_formatter(number_formatter("lift"))
    ax.xaxis.set_major_locator(plt.MaxNLocator(5))
    ax.set_xlabel(gettext("change against the period before"))
    ax.set_ylabel("")
    set_title(ax, gettext("What changed against the period before"))
    present = set(verdicts)
    handles = [
        Patch(facecolor=palette.colour_for(v, "verdict"), hatch=palette.VERDICT_HATCHES[v],
              edgecolor=_HATCH_EDGE, label=wrap_label(gettext(_VERDICT_WORDS[v]), 45))
        for v in ("better", "worse", "neutral") if v in present
    ]  # fmt: skip
    if untested.any():
        hatch = palette.VERDICT_HATCHES["untested"]
        label = wrap_label(gettext(_VERDICT_WORDS["untested"]), 45)
        handles.append(Patch(facecolor="white", hatch=hatch, edgecolor="#555555", label=label))
    legend_below(ax, handles, ncol=1)
    groups = {}
    for name, verdict, change, not_tested in zip(names[::-1], verdicts[::-1], raw[::-1],
                                                 untested[::-1], strict=True):  # fmt: skip
        key = "untested" if not_tested and verdict == "neutral" else verdict
        groups.setdefault(key, []).append((name, number(change, "lift")))
    text = gettext(
        "Bar chart of the relative change of {n} metrics against the period before."
    ).format(n=len(shown))
    for key, sentence in (
        ("better", gettext("Better: {items}.")),
        ("worse", gettext("Worse: {items}.")),
        ("neutral", gettext("No significant change: {items}.")),
        ("untested", gettext("Not tested: {items}.")),
    ):
        if groups.get(key):
            text += " " + sentence.format(items=listing(groups[key], limit=12))
    describe(ax, text)
    return ax


def plot_clv_curve(curve: pd.DataFrame, *, currency: str = "", ax: Axes | None = None) -> Axes:
    """Historical CLV: cumulative revenue per customer by months since their first purchase."""
    ax = _axes(ax, (MAX_WIDTH, 4))
    money = currency or "EUR"
    ax.plot(curve["months_since_first"], curve["value"], marker="o", color=_POINT, clip_on=False)
    for _, row in curve.iterrows():
        ax.annotate(
            gettext("{n} customers").format(n=number(int(row["denominator"]), "count")),
            (row["months_since_first"], row["value"]), xytext=(0, 8), textcoords="offset points",
            ha="center", fontsize=10, annotation_clip=False,
        )  # fmt: skip
    ax.set_xlabel(gettext("months since the first purchase"))
    ax.set_xticks(curve["months_since_first"].astype(int).tolist())
    ax.set_ylabel(gettext("revenue per customer so far"))
    ax.yaxis.set_major_formatter(number_formatter("money", money))
    top = float(curve["value"].max()) if len(curve) else 1.0
    ax.set_ylim(0, top * 1.25 if top > 0 else 1.0)
    ax.margins(x=0.1)
    set_title(ax, gettext("Revenue per customer by months since the first purchase"))
    pairs = [
        (gettext("month {m}").format(m=int(m)), number(v, "money", money))
        for m, v in zip(curve["months_since_first"], curve["value"], strict=True)
    ]
    describe(
        ax,
        gettext(
            "Line chart of the cumulative revenue per customer by months since the first "
            "purchase: {items}."
        ).format(items=listing(pairs, limit=12)),
    )
    return ax


_RATES = {
    "won_per_mql": "won deals / MQL",
    "won_per_sql": "won deals / SQL",
    "mql_per_lead": "MQL / leads",
}


def plot_pipeline(pipeline: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Won / MQL per channel (won / SQL, or MQL / leads, when that is all the CRM has).

    ``pipeline`` is :func:`funnelkit.metrics.pipeline.lead_pipeline`; whiskers are its Wilson
    95% intervals and each bar is labelled with its rate and the channel's leads.
    """
    rate = next((r for r in _RATES if pipeline[r].notna().any()), "won_per_mql")
    label = gettext(_RATES[rate])
    shown = pipeline.dropna(subset=[rate]).iloc[::-1]
    ax = _axes(ax, (MAX_WIDTH, max(2.8, 0.45 * len(shown) + 1.6)))
    if shown.empty:
        return _empty(ax, gettext("No channel has a {rate} rate").format(rate=label))
    value = shown[rate].to_numpy(float)
    errors = np.vstack([value - shown[f"{rate}_low"], shown[f"{rate}_high"] - value])
    ax.barh(shown["channel"].astype(str), value, xerr=errors, color=palette.OKABE_ITO["blue"],
            capsize=3)  # fmt: skip
    for y, (v, high, leads) in enumerate(zip(value, shown[f"{rate}_high"], shown["leads"],
                                             strict=True)):  # fmt: skip
        ax.annotate(
            gettext("{rate}  ({n} leads)").format(rate=number(v, "share"),
                                                  n=number(int(leads), "count")),
            (float(high), y), xytext=(5, 0), textcoords="offset points", va="center",
            fontsize=10, annotation_clip=False,
        )  # fmt: skip
    ax.set_xlim(0, min(1.0, float(np.nanmax(shown[f"{rate}_high"])) * 1.6 or 1.0))
    ax.xaxis.set_major_formatter(number_formatter("share"))
    ax.xaxis.set_major_locator(plt.MaxNLocator(5))
    ax.set_xlabel(gettext("{rate} (whiskers: 95% interval)").format(rate=label))
    ax.set_ylabel("")
    set_title(ax, gettext("Leads that became deals, per channel"))
    ordered = shown.iloc[::-1]
    pairs = [
        (c, gettext("{rate} of {n} leads").format(rate=number(v, "share"),
                                                  n=number(int(n), "count")))
        for c, v, n in zip(ordered["channel"], ordered[rate], ordered["leads"], strict=True)
    ]  # fmt: skip
    describe(
        ax, gettext("Bar chart of the rate {rate} per channel: {items}.").format(
            rate=label, items=listing(pairs))
    )  # fmt: skip
    return ax
