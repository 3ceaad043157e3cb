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
    assert figure.axes[0].get_ylabel() == "CLV, simple formula (gross margin per customer)"
    plt.close("all")


def test_clv_axis_says_revenue_when_no_margin_is_set(chapter):
    channels = _without_margin(chapter).channels
    assert plot_cac_vs_ltv(channels).get_ylabel() == "CLV, simple formula (revenue per customer)"
    before = current_language()
    try:
        use_language("ru")
        ax = plot_cac_vs_ltv(chapter.channels, on_margin=True)
    finally:
        use_language(before)
    assert ax.get_ylabel() == "CLV по простой формуле (валовая маржа на клиента)"
    plt.close("all")


def test_numbers_are_drawn_in_the_language():
    assert decimal(-1234.5, 1, "ru") == "\u22121\u00a0234,5"
    assert decimal(-1234.5, 1, "en") == "\u22121,234.5"
    assert decimal(float("nan"), 1, "en") == "–"
    assert percent(0.45, "en") == "45%"


def test_channel_table_names_what_clv_is(chapter):
    on_margin = channels_table(chapter.channels, "en", "EUR", on_margin=True)
    header = "CLV, simple formula (gross margin per customer over the expected lifetime)"
    assert header in on_margin.columns
    on_revenue = channels_table(chapter.channels, "ru", "EUR", on_margin=False)
    ru_header = "CLV по простой формуле (выручка на клиента за ожидаемый срок жизни)"
    assert ru_header in on_revenue.columns
    cells = on_revenue.to_numpy().ravel().tolist()
    assert all(isinstance(c, str) for c in cells) and not any("nan" in c for c in cells)
    assert isinstance(on_revenue, pd.DataFrame) and len(on_revenue) == len(chapter.channels)


def test_every_clv_of_the_chapter_names_its_method(chapter):
    """The simple formula is named wherever chapter 01 shows a CLV; the model is pointed to."""
    from funnelkit.metrics.catalogue import get_metric
    from funnelkit.presentation.metrics.sentences import clv_text

    assert get_metric("clv").id == "clv"  # the catalogue id is kept
    assert get_metric("clv").name["en"] == "Customer lifetime value, simple formula (CLV)"
    assert get_metric("clv").name["ru"] == "Пожизненная ценность клиента, простая формула (CLV)"
    text = chapter.clv_text()  # the demo client has orders, so chapter 06 runs
    assert text.startswith("**CLV, simple formula (customer lifetime value) = ")
    assert text.endswith(
        "The customer-value chapter predicts CLV per customer with a purchase model "
        "(BG/NBD + Gamma-Gamma): from each customer's own orders rather than one average for "
        "everyone."
    )
    assert text.count("BG/NBD") == 1
    without = clv_text(chapter.clv, gross_margin=0.45, language="en", currency="EUR")
    assert "BG/NBD" not in without and without.startswith("**CLV, simple formula")
    ru = clv_text(chapter.clv, gross_margin=0.45, language="ru", currency="EUR", has_orders=True)
    assert ru.startswith("**CLV по простой формуле (пожизненная ценность клиента) = ")
    assert "В главе о ценности клиентов CLV прогнозируется для каждого клиента" in ru
    nothing = {"clv": float("nan"), "note": "no buyers in the period"}
    missing = clv_text(nothing, gross_margin=None, language="en", currency="EUR", has_orders=True)
    assert missing.startswith("CLV, simple formula (customer lifetime value) could not be")
    assert "BG/NBD + Gamma-Gamma" in missing
    table = chapter.changes
    if "clv" in set(table["metric"]):
        from funnelkit.presentation.metrics import tables

        shown = tables.changes_table(table, "en", "EUR")
        assert "Customer lifetime value, simple formula (CLV)" in shown.to_string()
