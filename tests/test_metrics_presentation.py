"""The metrics chapter as a client sees it: tables in the client's language, charts that fit."""

from __future__ import annotations

import copy

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from funnelkit import load_client
from funnelkit.core.i18n import current_language, use_language
from funnelkit.presentation.metrics import pick_metrics, plot_cac_vs_ltv
from funnelkit.presentation.metrics.tables import channels_table, decimal, percent

#: Widest chart a report page holds, in inches.
MAX_CHART_WIDTH = 9.0


@pytest.fixture(scope="module")
def chapter():
    return pick_metrics(load_client(emit_warnings=False))


def _without_margin(chapter):
    client = copy.copy(chapter.client)
    metrics = client.config.metrics.model_copy(update={"gross_margin": None})
    client.config = client.config.model_copy(update={"metrics": metrics})
    return pick_metrics(client)


def test_channel_charts_are_stacked_within_the_page(chapter, monkeypatch):
    shown = []
    monkeypatch.setattr(plt, "show", lambda *a, **k: shown.append(plt.gcf()))
    chapter.plot_channels()
    (figure,) = shown
    width, height = figure.get_size_inches()
    assert width <= MAX_CHART_WIDTH and height > width
    assert figure.get_layout_engine() is not None  # constrained, no tight_layout afterwards
    assert figure.axes[0].get_ylabel() == "CLV (gross margin per customer)"
    plt.close("all")


def test_clv_axis_says_revenue_when_no_margin_is_set(chapter):
    channels = _without_margin(chapter).channels
    assert plot_cac_vs_ltv(channels).get_ylabel() == "CLV (revenue per customer)"
    before = current_language()
    try:
        use_language("ru")
        ax = plot_cac_vs_ltv(chapter.channels, on_margin=True)
    finally:
        use_language(before)
    assert ax.get_ylabel() == "CLV (валовая маржа на клиента)"
    plt.close("all")


def test_numbers_are_drawn_in_the_language():
    assert decimal(-1234.5, 1, "ru") == "\u22121\u00a0234,5"
    assert decimal(-1234.5, 1, "en") == "\u22121,234.5"
    assert decimal(float("nan"), 1, "en") == "–"
    assert percent(0.45, "en") == "45%"


def test_channel_table_names_what_clv_is(chapter):
    on_margin = channels_table(chapter.channels, "en", "EUR", on_margin=True)
    assert "CLV (gross margin per customer over the expected lifetime)" in on_margin.columns
    on_revenue = channels_table(chapter.channels, "ru", "EUR", on_margin=False)
    assert "CLV (выручка на клиента за ожидаемый срок жизни)" in on_revenue.columns
    cells = on_revenue.to_numpy().ravel().tolist()
    assert all(isinstance(c, str) for c in cells) and not any("nan" in c for c in cells)
    assert isinstance(on_revenue, pd.DataFrame) and len(on_revenue) == len(chapter.channels)
