"""Every chart: one colour per variant, words in the report's language, readable fonts, alt text."""

from __future__ import annotations

import itertools
import re

import duckdb
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from matplotlib.text import Text

from funnelkit.core.i18n import use_language
from funnelkit.funnel.durations import conversion_times
from funnelkit.presentation import palette, plots
from funnelkit.presentation.abtest import plots as abtest_plots
from funnelkit.presentation.funnel import plots as funnel_plots
from funnelkit.presentation.metrics import plots as metric_plots
from funnelkit.presentation.stages import plots as stage_plots

DAYS = pd.date_range("2026-09-15", periods=45, freq="D")
STEPS = ["view_item", "add_to_cart", "purchase"]


@pytest.fixture
def style():
    """The report style in a language, undone afterwards (rcParams and language)."""
    with matplotlib.rc_context():

        def apply(language: str) -> None:
            plots.use_report_style(language=language)

        yield apply
    use_language("en")
    plt.close("all")


def _durations(hours: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The histogram and quantiles of these hours from step 1 to step 2."""
    start = pd.Timestamp("2026-10-01")
    paths = pd.DataFrame({"unit_id": np.arange(len(hours)), "depth": 2, "step_1_at": start,
                          "step_2_at": start + pd.to_timedelta(hours, "h")})  # fmt: skip
    return conversion_times(duckdb.connect().from_df(paths), steps=["view", "buy"])


def _frames() -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(1)
    weeks = pd.date_range("2026-09-14", periods=6, freq="W-MON")
    return {
        "volume": pd.DataFrame(
            {
                "table": ["events"] * 45 + ["orders"] * 45,
                "date": list(DAYS) * 2,
                "rows": list(rng.integers(900, 1200, 45)) + list(rng.integers(5, 30, 45)),
            }
        ),
        "counts": pd.DataFrame({"event": ["page_view", "view_item"], "events": [12000, 3400]}),
        "missing": pd.DataFrame(
            {
                "table": ["events", "events"],
                "column": ["channel", "page"],
                "required": [False, False],
                "share_missing": [0.12, 0.0],
            }
        ),
        "funnel": pd.DataFrame(
            {
                "step_number": [1, 2, 3],
                "step": STEPS,
                "users": [10525, 3402, 310],
                "share_of_first": [1.0, 0.3232, 0.0295],
                "share_of_first_ci_low": [0.999, 0.314, 0.026],
                "share_of_first_ci_high": [1.0, 0.332, 0.033],
                "share_of_previous": [1.0, 0.3232, 0.0911],
            }
        ),
        "heatmap": pd.DataFrame(
            {
                "row": ["device: mobile", "device: mobile", "device: desktop", "device: desktop"],
                "step_number": [2, 3, 2, 3],
                "step": ["add_to_cart", "purchase"] * 2,
                "rate": [0.25, 0.08, 0.41, 0.11],
                "flag": ["under", "", "over", ""],
                "gated": [False, False, False, True],
            }
        ),
        "weekly": pd.DataFrame(
            {
                "week": list(weeks) * 2,
                "step_number": [2] * 6 + [3] * 6,
                "step": ["add_to_cart"] * 6 + ["purchase"] * 6,
                "share_of_first": [0.32] * 6 + [0.03] * 6,
                "ci_low": [0.30] * 6 + [0.02] * 6,
                "ci_high": [0.34] * 6 + [0.04] * 6,
            }
        ),
        "durations": _durations(rng.lognormal(0, 1.5, 300)),
        "bounce": pd.DataFrame(
            {
                "landing_page": ["/", "/sale"],
                "sessions": [11319, 6018],
                "bounce_rate": [0.37, 0.31],
                "ci_low": [0.36, 0.30],
                "ci_high": [0.38, 0.33],
            }
        ),
        "changes": pd.DataFrame(
            {
                "metric": ["visitors", "conversion_rate", "romi", "aov"],
                "name": ["Visitors", "Conversion rate", "ROMI", "Average order value"],
                "relative_change": [0.25, -0.12, 2.4, 0.01],
                "test": ["poisson_exact", "z_pooled", "none", "welch_t"],
                "verdict": ["better", "worse", "better (not tested)", "no significant change"],
            }
        ),
        "channels": pd.DataFrame(
            {
                "channel": ["paid_search", "display", "email"],
                "cac": [14.4, 43.7, np.nan],
                "clv": [284.4, 166.2, 322.5],
                "romi": [1.49, -0.53, np.nan],
            }
        ),
        "clv_curve": pd.DataFrame(
            {"months_since_first": [0, 1], "value": [33.4, 34.6], "denominator": [1463, 613]}
        ),
        "pipeline": pd.DataFrame(
            {
                "channel": ["organic_search", "email"],
                "leads": [503, 161],
                "won_per_mql": [0.040, 0.069],
                "won_per_mql_low": [0.023, 0.032],
                "won_per_mql_high": [0.069, 0.142],
                "won_per_sql": [0.12, 0.18],
                "mql_per_lead": [0.59, 0.54],
            }
        ),
        "comparisons": pd.DataFrame(
            {
                "metric": ["conversion", "conversion"],
                "variant": ["lifestyle", "discount"],
                "control": ["control", "control"],
                "rel_lift": [0.065, -0.09],
                "rel_ci_low": [-0.06, -0.16],
                "rel_ci_high": [0.21, -0.02],
                "significant": [False, True],
            }
        ),
        "daily": pd.DataFrame(
            {
                "variant": ["control"] * 45 + ["lifestyle"] * 45,
                "date": list(DAYS) * 2,
                "cumulative_rate": list(np.linspace(0.03, 0.04, 45)) * 2,
            }
        ),
        "stage_volumes": pd.DataFrame(
            {"stage": ["awareness", "consideration", "purchase"], "people": [29532, 17386, 5182]}
        ),
        "stage_conversion": pd.DataFrame(
            {
                "from_stage": ["awareness", "consideration"],
                "to_stage": ["consideration", "purchase"],
                "rate": [0.589, 0.298],
                "ci_low": [0.583, 0.291],
                "ci_high": [0.594, 0.305],
                "basis": ["same people", "volume ratio"],
            }
        ),
        "event_map": pd.DataFrame(
            {
                "event": ["page_view", "scroll", "purchase"],
                "events": [212070, 28480, 1484],
                "stage": ["awareness", "", "purchase"],
            }
        ),
    }


def _draw_all() -> dict[str, Figure]:
    """Every plot function of the kit on small frames: name -> its figure."""
    f = _frames()
    drawn = {
        "daily_volume": plots.plot_daily_volume(f["volume"], period=(DAYS[10], DAYS[40])),
        "event_counts": plots.plot_event_counts(f["counts"]),
        "missing_values": plots.plot_missing_values(f["missing"]),
        "funnel": funnel_plots.plot_funnel(f["funnel"]),
        "segment_heatmap": funnel_plots.plot_segment_heatmap(f["heatmap"]),
        "weekly_trend": funnel_plots.plot_weekly_trend(f["weekly"]),
        "time_to_convert": funnel_plots.plot_time_to_convert(*f["durations"]),
        "bounce_rates": funnel_plots.plot_bounce_rates(f["bounce"]),
        "changes": metric_plots.plot_changes(f["changes"]),
        "cac_vs_ltv": metric_plots.plot_cac_vs_ltv(f["channels"], currency="EUR"),
        "romi": metric_plots.plot_romi(f["channels"]),
        "clv_curve": metric_plots.plot_clv_curve(f["clv_curve"], currency="EUR"),
        "pipeline": metric_plots.plot_pipeline(f["pipeline"]),
        "forest": abtest_plots.plot_forest(f["comparisons"]),
        "cumulative": abtest_plots.plot_cumulative(f["daily"]),
        "stage_volumes": stage_plots.plot_stage_volumes(f["stage_volumes"]),
        "stage_conversion": stage_plots.plot_stage_conversion(f["stage_conversion"]),
        "coverage": stage_plots.plot_coverage(f["event_map"]),
    }
    return {name: obj if isinstance(obj, Figure) else obj.figure for name, obj in drawn.items()}


def _title(ax) -> str:
    return " ".join(ax.get_title(loc) for loc in ("left", "center", "right")).strip()


def _texts(fig: Figure) -> list[Text]:
    fig.canvas.draw()
    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]


def test_control_keeps_its_colour_across_experiments():
    first = palette.colour_for("control", "variant", order=["control", "green_button"])
    second = palette.colour_for("control", "variant", order=["control", "lifestyle", "discount"])
    assert first == second == palette.CONTROL
    # variants take the palette in declared order, whatever their names
    assert palette.colour_for("green_button", "variant", order=["control", "green_button"]) == (
        palette.colour_for("lifestyle", "variant", order=["control", "lifestyle", "discount"])
    )
    colours = palette.colours_for(["control", "lifestyle", "discount"], "variant",
                                  order=["control", "lifestyle", "discount"])  # fmt: skip
    assert len(set(colours.values())) == 3
    # a segment value keeps its colour from one chart to the next
    assert palette.colour_for("mobile", "segment") == palette.colour_for("mobile", "segment")
    assert palette.colour_for("better", "verdict") != palette.colour_for("worse", "verdict")
    assert all(c in palette.OKABE_ITO.values() for c in palette.SEQUENCE)


def test_cumulative_and_forest_colour_variants_alike(style):
    style("en")
    f = _frames()
    order = ["control", "lifestyle", "discount"]
    ax = abtest_plots.plot_cumulative(f["daily"], variants=order)
    colours = {line.get_label(): line.get_color() for line in ax.get_lines()}
    assert colours["control"] == palette.CONTROL
    assert colours["lifestyle"] == palette.colour_for("lifestyle", "variant", order=order)
    forest = abtest_plots.plot_forest(f["comparisons"], variants=order)
    segments = forest.collections[0].get_colors()  # the lifestyle interval, drawn first
    assert matplotlib.colors.to_hex(segments[0]).upper() == colours["lifestyle"].upper()


@pytest.mark.parametrize("language", ["en", "ru"])
def test_every_chart_has_alt_text_and_readable_fonts(style, language):
    style(language)
    for name, fig in _draw_all().items():
        alt = plots.alt_text(fig)
        assert alt and len(alt) > 30, name
        assert "No description" not in alt
        assert fig.get_figwidth() <= 9, name
        small = [(t.get_text(), t.get_fontsize()) for t in _texts(fig) if t.get_fontsize() < 10]
        assert not small, (name, small)
        if language == "ru":
            assert not any(w in alt for w in ("Bar chart", "Line chart", "Chart of")), (name, alt)
        plt.close(fig)


def test_alt_text_names_the_key_numbers(style):
    style("en")
    ax = funnel_plots.plot_funnel(_frames()["funnel"])
    alt = plots.alt_text(ax.figure)
    assert "view_item 10,525" in alt and "add_to_cart 3,402" in alt
    style("ru")
    ax = funnel_plots.plot_funnel(_frames()["funnel"])
    assert re.search(r"view_item 10\s525; add_to_cart 3\s402", plots.alt_text(ax.figure))


def test_russian_words_on_russian_charts(style):
    style("ru")
    figures = _draw_all()
    titles = {n: [_title(ax) for ax in f.axes if _title(ax)] for n, f in figures.items()}
    assert titles["funnel"][0].startswith("Воронка")
    assert titles["forest"][0].startswith("Прирост")
    for name, fig in figures.items():
        for ax in fig.axes:
            for text in [_title(ax), ax.get_xlabel(), ax.get_ylabel()]:
                english = [w for w in ("users", "share", "change", "against", "events by")
                           if w in text.lower()]  # fmt: skip
                assert not english, (name, text)
            legend = ax.get_legend()
            if legend is not None:
                for t in legend.get_texts():
                    assert "significantly" not in t.get_text() and "analysis period" not in (
                        t.get_text()
                    ), (name, t.get_text())


def test_ticks_follow_the_language(style):
    style("ru")
    ax = metric_plots.plot_changes(_frames()["changes"])
    ax.figure.canvas.draw()
    ticks = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert any("%" in t for t in ticks)
    assert not any("." in t for t in ticks)  # no English decimal point
    volume = plots.plot_daily_volume(_frames()["volume"])
    volume.canvas.draw()
    months = " ".join(t.get_text() for t in volume.axes[-1].get_xticklabels())
    assert "сент" in months or "окт" in months


def test_a_45_day_axis_has_few_labels_that_do_not_overlap(style):
    style("en")
    ax = abtest_plots.plot_cumulative(_frames()["daily"])
    fig = ax.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    labels = [t for t in ax.get_xticklabels() if t.get_text()]
    assert 3 <= len(labels) <= 8
    boxes = sorted((t.get_window_extent(renderer) for t in labels), key=lambda b: b.x0)
    for left, right in itertools.pairwise(boxes):
        assert left.x1 <= right.x0, [t.get_text() for t in labels]


def test_no_white_text_on_hatching(style):
    style("en")
    ax = metric_plots.plot_changes(_frames()["changes"])
    hatched = [p for p in ax.patches if p.get_hatch()]
    assert hatched
    colours = {matplotlib.colors.to_hex(t.get_color()) for t in ax.texts}
    assert "#ffffff" not in colours


def test_png_formatter_carries_the_alt_text(style):
    style("en")
    ax = stage_plots.plot_stage_volumes(_frames()["stage_volumes"])
    data, metadata = plots._png_with_alt(ax.figure)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert metadata["alt"].startswith("Bar chart of people reaching each journey stage")
    assert metadata["width"] <= 900  # shown at its natural size, twice the pixels for sharpness
