"""The whole chain on the demo client's experiments, the aggregated path, reports and plots."""

from __future__ import annotations

import json

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from IPython.display import Markdown
from scipy.stats import norm

from funnelkit import abtest
from funnelkit.abtest import (
    AnalysisError,
    aggregate_outcomes,
    analyze_aggregate,
    analyze_all,
    analyze_experiment,
    experiment_outcomes,
    experiments_overview,
    get_experiment,
)
from funnelkit.data.config import ExperimentConfig
from funnelkit.data.prepare import load_client
from funnelkit.presentation import abtest as abtest_report
from funnelkit.presentation.results import to_jsonable


@pytest.fixture(scope="module")
def demo():
    return load_client(emit_warnings=False)


@pytest.fixture(scope="module")
def results(demo):
    return analyze_all(demo, bootstrap=200)


def test_checkout_button_real_effect_is_found(results):
    # The demo plants x1.35 on begin_checkout | add_to_cart for green_button (truth.json); with
    # client.yaml's 7-day outcome window that is a +20-30% lift in visitor -> buyer conversion.
    result = results["checkout_button"]
    goal = result.comparisons.set_index("metric").loc["conversion"]
    assert goal["variant"] == "green_button" and goal["p_value"] < 0.01
    assert goal["rel_ci_low"] > 0
    assert result.decision == "ship" and result.winner == "green_button"
    text = result.verdicts.set_index("metric").loc["conversion", "text_en"]
    assert text.startswith(
        "Ship green_button: it raised conversion to purchase (buyers / users in the group) from "
        "8.3% to 10.0% (+1.7 pp, or +20% relative to control; 95% interval +0.6 to +2.8 pp;"
    )
    assert text.endswith("Users were split between the groups as planned.")
    assert result.bayes["prob_beat_control"].iloc[0] > 0.99


def test_checkout_button_default_window_counts_exclusions(results):
    result = results["checkout_button"]
    checks = result.checks.set_index("check")
    assert checks.loc["several_variants", "value"] == 40  # planted in truth.json
    assert checks.loc["srm", "status"] == "ok"
    assert checks.loc["end_date", "status"] == "ok"  # planned end 2026-10-29 = data end
    assert result.decision != "withheld"
    # the guardrail from client.yaml is compared and labelled
    roles = result.comparisons.set_index("metric")["role"]
    assert roles["conversion"] == "goal" and roles["revenue_per_user"] == "guardrail"


def test_hero_banner_null_experiment_is_not_called_a_winner(results):
    result = results["hero_banner"]
    assert result.decision != "ship" and result.winner is None
    assert "ship" not in set(result.verdicts["decision"])
    assert len(result.proportions) == 2  # two variants against control
    assert (result.proportions["adjust_method"] == "holm").all()
    assert (result.proportions["p_value_adjusted"] >= result.proportions["p_value"]).all()


def test_free_shipping_bar_srm_withholds_the_verdict(results):
    result = results["free_shipping_bar"]
    assert result.srm_p_value < 1e-10
    assert result.decision == "withheld"
    assert set(result.verdicts["decision"]) == {"withheld"}
    goal = result.verdicts["metric"] == "conversion"
    assert result.verdicts.loc[goal, "text_en"].str.startswith("Verdict withheld").all()
    assert result.verdicts.loc[goal, "text_ru"].str.startswith("Вывод не делается").all()
    others = result.verdicts.loc[~goal]  # the reason is said once, on the goal
    assert others["text_en"].str.endswith("not comparable while the groups are not split as "
                                          "planned.").all()  # fmt: skip
    assert others["text_ru"].str.startswith("Наблюдаемые значения показателя «").all()


def test_means_cover_every_metric_with_zeros(results):
    means = results["checkout_button"].means
    assert means["metric"].tolist() == ["revenue_per_user", "orders_per_user", "revenue_per_buyer"]
    variants = results["checkout_button"].variants.set_index("variant")
    revenue = means.set_index("metric").loc["revenue_per_user"]
    # revenue per user divides by every analysed user, buyers or not
    assert revenue["control_users"] == variants.loc["control", "users"]
    assert revenue["control_mean"] == pytest.approx(
        variants.loc["control", "revenue_sum"] / variants.loc["control", "users"]
    )
    buyers = means.set_index("metric").loc["revenue_per_buyer"]
    assert buyers["control_users"] == variants.loc["control", "buyers"]
    assert means["boot_ci_low"].notna().all() and means["mw_p_value"].notna().all()


def test_aggregated_path_gives_identical_results(demo):
    config = get_experiment(demo, "hero_banner")
    user_level = analyze_experiment(demo, config, bootstrap=0, cuped=False)
    aggregate = aggregate_outcomes(experiment_outcomes(demo, config), control="control")
    pd.testing.assert_frame_equal(aggregate, user_level.variants)
    from_sums = analyze_aggregate(aggregate, config)
    pd.testing.assert_frame_equal(from_sums.proportions, user_level.proportions)
    pd.testing.assert_frame_equal(from_sums.bayes, user_level.bayes)
    numbers = ["value", "control_value", "abs_lift", "abs_ci_low", "abs_ci_high", "rel_lift",
               "rel_ci_low", "rel_ci_high", "p_value", "p_value_adjusted", "mde_rel"]  # fmt: skip
    pd.testing.assert_frame_equal(
        from_sums.comparisons[numbers], user_level.comparisons[numbers], rtol=1e-9, atol=1e-12
    )
    assert from_sums.verdicts["text_en"].tolist() == user_level.verdicts["text_en"].tolist()


def test_aggregate_only_conversions():
    counts = pd.DataFrame({"variant": ["control", "b"], "users": [10_000, 10_000],
                           "conversions": [400, 480]})  # fmt: skip
    result = analyze_aggregate(counts, ExperimentConfig(name="banner"))
    assert result.means.empty and result.comparisons["metric"].tolist() == ["conversion"]
    # R: prop.test(c(480, 400), c(10000, 10000), correct = FALSE)$p.value = 0.005813
    pooled = 880 / 20_000
    z = (0.048 - 0.040) / np.sqrt(pooled * (1 - pooled) * 2 / 10_000)
    assert result.proportions["p_value"].iloc[0] == pytest.approx(2 * norm.sf(z), rel=1e-12)
    assert result.proportions["p_value"].iloc[0] == pytest.approx(0.005813, rel=1e-3)


def test_guardrail_worse_blocks_ship():
    counts = pd.DataFrame(
        {"variant": ["control", "b"], "users": [10_000, 10_000], "conversions": [400, 480],
         "revenue_sum": [50_000.0, 28_800.0], "revenue_sum_sq": [400 * 125.0**2, 480 * 60.0**2],
         "orders_sum": [400, 480], "orders_sum_sq": [400, 480], "buyers": [400, 480]}
    )  # fmt: skip
    config = ExperimentConfig(name="banner", guardrails=["revenue"])
    result = analyze_aggregate(counts, config)
    assert result.decision == "guardrail_blocked" and result.winner is None
    verdict = result.verdicts.set_index("metric")
    assert (
        "but the guardrail revenue per user (a metric that must not get worse) got "
        "significantly worse" in verdict.loc["conversion", "text_en"]
    )


def test_peeking_on_a_planned_sample(demo):
    config = get_experiment(demo, "checkout_button").model_copy(
        update={"planned_users_per_variant": 20_000}
    )
    result = analyze_experiment(demo, config, bootstrap=0, metrics=[])
    assert result.decision == "not_yet_conclusive"
    assert "more users per variant are needed" in result.verdicts["text_en"].iloc[0]


def test_to_results_is_json_ready_with_every_variant(results):
    data = to_jsonable({name: r.to_results() for name, r in results.items()})
    json.dumps(data)
    cb = data["checkout_button"]
    assert cb["decision"] == results["checkout_button"].decision
    rows = {v["variant"]: v for v in cb["variants"]}
    assert rows["control"]["is_control"] and rows["control"]["rel_lift"] is None
    treated = rows["green_button"]
    keys = ["users", "conversions", "rate", "abs_lift", "abs_ci_low", "abs_ci_high", "rel_lift",
            "rel_ci_low", "rel_ci_high", "p_value", "p_value_adjusted", "test", "srm_p_value",
            "prob_beat_control", "decision", "verdict_en", "verdict_ru"]  # fmt: skip
    assert [key for key in keys if treated[key] is None] == []
    assert data["free_shipping_bar"]["srm_p_value"] < 0.001


def test_overview_one_row_per_experiment(results):
    overview = experiments_overview(results)
    assert overview["experiment"].tolist() == [
        "checkout_button",
        "hero_banner",
        "free_shipping_bar",
    ]
    assert overview.set_index("experiment").loc["free_shipping_bar", "decision"] == "withheld"
    shown = abtest_report.overview_table(overview, language="en").set_index("experiment")
    assert shown.loc["free_shipping_bar", "groups split as planned?"] == "no (p < 0.001)"
    assert shown.loc["free_shipping_bar", "decision"] == "withheld: split broken"
    assert shown.loc["checkout_button", "decision"] == "ship the variant"
    assert shown.loc["hero_banner", "groups"] == "control, discount, lifestyle"
    users = overview.set_index("experiment").loc["hero_banner", "users"]
    assert shown.loc["hero_banner", "users analysed"] == f"{users:,}"


def test_no_assignments_means_nothing_to_report(tiny_client):
    found = analyze_all(load_client(tiny_client, emit_warnings=False))
    assert found == {}
    assert abtest_report.overview_table(experiments_overview(found)).empty


def test_one_broken_experiment_does_not_stop_the_others(demo):
    broken = demo.config.model_copy(
        update={"experiments": [*demo.config.experiments, ExperimentConfig(name="ghost")]}
    )
    original, demo.config = demo.config, broken
    try:
        found = analyze_all(demo, bootstrap=0, metrics=[])
    finally:
        demo.config = original
    assert found["ghost"].error and "'ghost' has no rows" in found["ghost"].error
    assert found["ghost"].decision == "error"
    assert found["ghost"].to_results()["decision"] == "error"
    assert found["checkout_button"].error is None


def test_unknown_guardrail_and_metric(demo):
    config = ExperimentConfig(name="hero_banner", guardrails=["refunds"])
    with pytest.raises(AnalysisError, match=r"guardrail 'refunds' is not a metric .* \['aov'"):
        analyze_experiment(demo, config, bootstrap=0)
    with pytest.raises(AnalysisError, match=r"Unknown metric\(s\) \['ctr'\]"):
        analyze_experiment(demo, "hero_banner", metrics=["ctr"], bootstrap=0)


def test_missing_control(demo):
    config = ExperimentConfig(name="hero_banner", control="baseline")
    with pytest.raises(AnalysisError, match=r"the control 'baseline' has no analysed users"):
        analyze_experiment(demo, config, bootstrap=0)


def test_cuped_reports_the_variance_reduction(results):
    cuped = results["checkout_button"].cuped
    assert cuped["metric"].tolist() == ["revenue_per_user"]
    assert 0 <= cuped["variance_reduction"].iloc[0] < 1
    # CUPED keeps the estimate unbiased: close to the plain difference
    plain = results["checkout_button"].means.set_index("metric").loc["revenue_per_user", "diff"]
    assert cuped["diff"].iloc[0] == pytest.approx(plain, abs=0.1)


def test_plots_return_axes(results):
    result = results["hero_banner"]
    ax = abtest_report.plot_forest(result.comparisons)
    assert len(ax.get_yticklabels()) == len(result.comparisons)
    ax = abtest_report.plot_cumulative(result.daily)
    assert [line.get_label() for line in ax.get_lines()] == ["control", "discount", "lifestyle"]
    plt.close("all")


def test_report_sections_render(results, monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    abtest_report.show_experiments(results, names=["free_shipping_bar"])
    out = "\n".join(obj.data for obj in shown if isinstance(obj, Markdown))
    assert "Experiment `free_shipping_bar`" in out and "Verdict withheld" in out
    assert "A second opinion: the Bayesian view" in out
    table = abtest_report.results_table(results["checkout_button"])
    assert table.columns[:4].tolist() == [
        "metric", "variant", "control value (control)", "variant value"
    ]  # fmt: skip
    with pytest.raises(AnalysisError, match=r"experiments \['nope'\] are not in client.yaml"):
        abtest_report.show_experiments(results, names=["nope"])
    plt.close("all")


def test_design_text_in_words():
    plan = abtest.sample_size_proportion(0.04, mde=0.1, relative=True, variants=3)
    text = abtest_report.design_text(
        plan, abtest.days_needed(plan["n_total"].iloc[0], daily_users=3000),
        abtest.mde_proportion(0.04, n_control=20_000, variants=3),
    )  # fmt: skip
    assert "each of the 3 groups needs" in text and "Bonferroni's rule" in text
    assert "the accepted risk of a false win is split evenly between the comparisons" in text
    assert np.isfinite(plan["n_total"].iloc[0])
