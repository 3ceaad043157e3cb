"""The catalogue's records, period-over-period tests against references, and the demo's truths."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest
from scipy import stats

from funnelkit import load_client
from funnelkit.core.errors import DataError, ParameterError
from funnelkit.core.paths import demo_client_dir
from funnelkit.metrics import (
    CATALOGUE,
    catalogue,
    compare_periods,
    compute_metric,
    get_metric,
    lead_pipeline,
)
from funnelkit.metrics.base import KINDS, STAGES
from funnelkit.metrics.compare import change_test, has_rows_before
from funnelkit.presentation.metrics import pick_metrics
from funnelkit.presentation.results import to_jsonable


@pytest.fixture(scope="module")
def demo():
    return load_client(emit_warnings=False)


@pytest.fixture(scope="module")
def truth(demo):
    return json.loads((demo_client_dir() / "data" / "truth.json").read_text())


def test_catalogue_has_at_least_22_complete_bilingual_metrics():
    assert len(CATALOGUE) >= 22
    for metric in CATALOGUE.values():
        assert metric.stage in STAGES and metric.kind in KINDS and metric.good in ("up", "down")
        assert metric.name["en"] and metric.name["ru"] and metric.formula
        assert metric.definition["en"] and metric.definition["ru"]
        assert metric.needs and callable(metric.compute)
    # the metrics the issue names
    required = {"visitors", "sessions", "bounce_rate", "engagement_rate", "marketing_conversions",
                "visitor_to_lead", "mql_to_sql", "win_rate", "lead_to_deal_days", "orders",
                "buyers", "conversion_rate", "revenue", "aov", "cac", "cpa", "romi",
                "repeat_purchase_rate", "retention_rate", "churn_rate", "clv", "historical_clv",
                "ltv_cac", "payback_months", "nps", "advocates"}  # fmt: skip
    assert required <= set(CATALOGUE)
    # every stage has metrics
    assert {m.stage for m in CATALOGUE.values()} == set(STAGES)


def test_catalogue_frame_in_russian_and_support(demo, make_client):
    table = catalogue(demo, language="ru")
    assert table.loc[table.metric == "aov", "name"].item() == "Средний чек (выручка / заказы)"
    assert table["supported"].all()  # the demo has every table
    events = "user_id,timestamp,event\nu1,2026-10-01 10:00:00,page_view\n"
    folder = make_client({"e.csv": events}, data={"events": {"path": "data/e.csv"}})
    lean = catalogue(load_client(folder, emit_warnings=False))
    row = lean.set_index("metric").loc["aov"]
    assert not row["supported"] and row["missing"] == "orders table"
    assert lean.set_index("metric").loc["visitors", "supported"]
    assert lean.set_index("metric").loc["sessions", "missing"] == "events.session_id"


def test_unknown_metric_and_language_are_refused(demo):
    with pytest.raises(ParameterError, match=r"Unknown metric 'convrsion_rate'.*'conversion_rate'"):
        get_metric("convrsion_rate")
    with pytest.raises(ParameterError, match=r"`language` must be one of \['en', 'ru'\]"):
        catalogue(language="de")


def test_computing_a_metric_without_its_table_names_what_to_add(make_client):
    events = "user_id,timestamp,event\nu1,2026-10-01 10:00:00,page_view\n"
    folder = make_client({"e.csv": events}, data={"events": {"path": "data/e.csv"}})
    client = load_client(folder, emit_warnings=False)
    with pytest.raises(DataError, match=r"'nps' needs nps table.*add it under `data:`"):
        compute_metric(client, "nps")


# -- the period-over-period tests against their references -----------------------------------


def test_count_change_is_the_exact_poisson_test():
    # R: poisson.test(c(30, 18)) is binom.test(30, 48, 0.5): two-sided p = 0.1114 (sum of the
    # binomial probabilities no larger than P(X = 30), X ~ Bin(48, 0.5))
    name, p = change_test("count", pd.Series({"numerator": 30}), pd.Series({"numerator": 18}))
    expected = sum(
        stats.binom.pmf(k, 48, 0.5)
        for k in range(49)
        if stats.binom.pmf(k, 48, 0.5) <= stats.binom.pmf(30, 48, 0.5) * (1 + 1e-7)
    )
    assert name == "poisson_exact" and p == pytest.approx(expected, rel=1e-9)
    assert p == pytest.approx(0.1114, abs=5e-4)


def test_mean_change_is_welch_t():
    # Welch by hand: means 69.2 vs 65.0, sd 40 and 38, n 1500 and 1000:
    # se = sqrt(40^2/1500 + 38^2/1000) = sqrt(2.51067) = 1.58451; t = 4.2 / 1.58451 = 2.6507;
    # df (Welch-Satterthwaite) = 2.51067^2 / (1.06667^2/1499 + 1.444^2/999) = 2214.8
    # -> two-sided p = 0.00809 (= R t.test(var.equal = FALSE))
    now = pd.Series({"value": 69.2, "sd": 40.0, "denominator": 1500})
    before = pd.Series({"value": 65.0, "sd": 38.0, "denominator": 1000})
    name, p = change_test("mean", now, before)
    v1, v0 = 40.0**2 / 1500, 38.0**2 / 1000
    t = 4.2 / math.sqrt(v1 + v0)
    df = (v1 + v0) ** 2 / (v1**2 / 1499 + v0**2 / 999)
    assert name == "welch_t" and p == pytest.approx(2 * stats.t.sf(t, df), rel=1e-9)
    assert p == pytest.approx(0.00809, abs=5e-5)


def test_nps_change_uses_both_nps_variances():
    # now: 50 P / 30 Pa / 20 D of 100 -> NPS 30, se 100 sqrt((.5 + .2 - .09) / 100) = 7.8102
    # before: 40 / 30 / 30 of 100 -> NPS 10, se 100 sqrt((.4 + .3 - .01) / 100) = 8.3066
    # z = 20 / sqrt(61 + 69) = 20 / 11.4018 = 1.7541 -> two-sided p = 0.0794
    now = pd.Series({"value": 30.0, "denominator": 100, "promoters": 50, "detractors": 20})
    before = pd.Series({"value": 10.0, "denominator": 100, "promoters": 40, "detractors": 30})
    name, p = change_test("nps", now, before)
    assert name == "z_nps" and p == pytest.approx(0.0794, abs=2e-4)


def test_small_counts_switch_to_fisher():
    # 2/5 now vs 2/2 before: expected cells < 5 -> Fisher's exact test; by hand (hypergeometric,
    # 7 sessions, 4 bounces, 2 before): P(2 before) = 6/21, P(0) = 3/21 -> p = 9/21 = 0.4286
    now = pd.Series({"numerator": 2, "denominator": 5})
    before = pd.Series({"numerator": 2, "denominator": 2})
    name, p = change_test("proportion", now, before)
    assert name == "fisher_exact" and p == pytest.approx(9 / 21)


def test_untestable_kinds_and_empty_periods():
    row = pd.Series({"numerator": 0, "denominator": 0, "value": float("nan")})
    assert change_test("proportion", row, row)[0] == "none"
    assert change_test("ratio", row, row)[0] == "none"
    nothing = pd.Series({"numerator": 0})
    assert change_test("count", nothing, nothing)[0] == "none"


def test_compare_periods_columns_holm_and_verdicts(demo):
    table = compare_periods(demo, ["visitors", "bounce_rate", "aov", "cac", "nps"])
    assert table["metric"].tolist() == ["visitors", "bounce_rate", "aov", "cac", "nps"]
    tested = table[table["test"] != "none"]
    # Holm over the 4 tested metrics: the smallest p is multiplied by 4
    smallest = tested["p_value"].min()
    assert tested["p_value_adjusted"].min() == pytest.approx(min(1, 4 * smallest))
    cac = table.set_index("metric").loc["cac"]
    assert cac["test"] == "none" and cac["verdict"].endswith("(not tested)")
    visitors = table.set_index("metric").loc["visitors"]
    assert visitors["verdict"] == "better" and visitors["change"] == 29532 - 23622


# -- the demo's planted truths ------------------------------------------------------------------


def _within(observed: float, expected: float, n: float, sd: float | None = None) -> bool:
    se = (sd if sd is not None else math.sqrt(expected * (1 - expected))) / math.sqrt(n)
    return abs(observed - expected) < 4 * se


def test_demo_nps_recovers_the_planted_score(demo, truth):
    row = compute_metric(demo, "nps").iloc[0]
    shares = truth["nps"]["category_probabilities"]
    p, d = shares["promoter"], shares["detractor"]
    sd = 100 * math.sqrt(p + d - (p - d) ** 2)
    assert _within(row["value"], truth["nps"]["true_nps"], row["denominator"], sd)


def test_demo_lead_rates_recover_the_planted_probabilities(demo, truth):
    # the previous window (08-01..09-14) is 45 days before the data end, so later CRM stages are
    # observed (the current window's recent leads are still progressing: censored)
    leads = truth["leads"]
    mql = compute_metric(demo, "mql_rate", period="previous").iloc[0]
    assert _within(mql["value"], leads["p_mql"], mql["denominator"])
    by_channel = compute_metric(demo, "mql_to_sql", period="previous", by="channel")
    for _, row in by_channel.iterrows():
        assert _within(row["value"], leads["p_sql_given_mql"][row["channel"]], row["denominator"])
    win = compute_metric(demo, "win_rate", period="previous").iloc[0]
    assert _within(win["value"], leads["p_won_given_sql"], win["denominator"])


def test_demo_display_channel_bounces_most(demo, truth):
    rows = compute_metric(demo, "bounce_rate", by="channel").set_index("channel")
    expected = truth["bounce"]["expected_rate_by_channel"]
    for channel, row in rows.iterrows():
        assert _within(row["value"], expected[channel], row["denominator"])
    assert rows["value"].idxmax() == "display"


def test_pick_metrics_chapter_results_are_plain_json(demo):
    chapter = pick_metrics(demo, attribution="last_touch", gross_margin=0.3)
    assert chapter.client.config.metrics.attribution == "last_touch"
    assert demo.config.metrics.attribution == "first_touch"  # the client itself is untouched
    results = to_jsonable(chapter.to_results())
    json.dumps(results)
    assert results["settings"]["gross_margin"] == 0.3
    metrics = {row["metric"]: row for row in results["metrics"]}
    assert {"value", "previous_value", "change", "ci_low", "ci_high"} <= set(metrics["nps"])


PIPELINE_LEADS = """lead_id,created_at,channel,mql_at,sql_at,won_at
L1,2026-10-01 09:00:00,email,2026-10-01 12:00:00,2026-10-03 09:00:00,2026-10-11 09:00:00
L2,2026-10-02 09:00:00,email,2026-10-02 10:00:00,2026-10-04 09:00:00,
L3,2026-10-03 09:00:00,paid,2026-10-04 09:00:00,,
L4,2026-10-04 09:00:00,paid,,,
L6,2026-10-05 09:00:00,email,2026-10-05 10:00:00,2026-10-06 09:00:00,2026-10-09 09:00:00
"""
EARLIER_LEAD = "L5,2026-09-01 09:00:00,paid,2026-09-02 09:00:00,2026-09-03 09:00:00,\n"
#: A lead late in the period before: the export covers only its last 6 of 30 days.
LATE_EARLIER_LEAD = "L7,2026-09-25 09:00:00,paid,2026-09-26 09:00:00,2026-09-27 09:00:00,\n"


def _leads_client(make_client, text: str, name: str = "client"):
    folder = make_client({"leads.csv": text}, name=name, data={"leads": {"path": "data/leads.csv"}})
    return load_client(folder, emit_warnings=False)


def test_no_earlier_data_is_not_a_change(make_client):
    client = _leads_client(make_client, PIPELINE_LEADS)
    table = compare_periods(client).set_index("metric")
    assert {"leads", "mql_to_sql", "win_rate", "mql_to_won"} <= set(table.index)
    assert set(table["verdict"]) == {"no earlier data"}
    for column in ("previous_value", "change", "relative_change", "p_value", "p_value_adjusted"):
        assert table[column].isna().all(), column
    assert (table["test"] == "none").all() and not table["significant"].any()
    assert table["note"].str.contains("no earlier data").all()
    # the same export with one lead in the period before is compared as usual
    with_before = _leads_client(make_client, PIPELINE_LEADS + EARLIER_LEAD, name="before")
    compared = compare_periods(with_before).set_index("metric")
    assert compared.loc["leads", "previous_value"] == 1
    assert compared.loc["leads", "test"] == "poisson_exact"
    assert "no earlier data" not in set(compared["verdict"])


def test_change_test_with_a_missing_before_is_no_test():
    now = pd.Series({"value": 5.0, "numerator": 5.0, "denominator": 10.0, "sd": 1.0})
    before = pd.Series({"value": math.nan, "numerator": math.nan, "denominator": math.nan,
                        "sd": math.nan})  # fmt: skip
    for kind in ("count", "proportion", "mean"):
        name, p_value = change_test(kind, now, before)
        assert name == "none" and math.isnan(p_value), kind


def test_no_metric_supported_compares_to_an_empty_frame_with_columns(make_client):
    spend = "date,channel,cost\n2026-10-01,ads,10\n"
    folder = make_client({"spend.csv": spend}, data={"spend": {"path": "data/spend.csv"}})
    table = compare_periods(load_client(folder, emit_warnings=False))
    assert table.empty and {"metric", "verdict", "p_value_adjusted"} <= set(table.columns)


def test_mql_to_won_and_the_pipeline_by_channel_hand_counted(make_client):
    client = _leads_client(make_client, PIPELINE_LEADS + EARLIER_LEAD)
    row = compute_metric(client, "mql_to_won").iloc[0]
    assert (row["numerator"], row["denominator"]) == (2, 4)  # won L1 L6 / MQL L1 L2 L3 L6
    assert "won / MQL" in get_metric("mql_to_won").name["en"]
    table = lead_pipeline(client).set_index("channel")
    assert table.index.tolist() == ["email", "paid"]  # most leads first
    email, paid = table.loc["email"], table.loc["paid"]
    assert (email["leads"], email["mql"], email["sql"], email["won"]) == (3, 3, 3, 2)
    assert email["won_per_mql"] == pytest.approx(2 / 3) and email["won_per_sql"] == 2 / 3
    assert email["won_per_mql_low"] < 2 / 3 < email["won_per_mql_high"]
    assert email["sales_cycle_days"] == pytest.approx(7.0)  # median of 10 and 4 days
    assert (paid["leads"], paid["mql"], paid["sql"], paid["won"]) == (2, 1, 0, 0)
    assert paid["won_per_mql"] == 0 and math.isnan(paid["won_per_sql"])
    assert math.isnan(paid["sales_cycle_days"])
    before = lead_pipeline(client, period="previous")
    assert before["leads"].tolist() == [1]


def test_pipeline_without_sql_dates_names_the_missing_column(make_client):
    text = "\n".join(",".join(c for i, c in enumerate(line.split(",")) if i != 4)
                     for line in PIPELINE_LEADS.splitlines()) + "\n"  # fmt: skip
    client = _leads_client(make_client, text)
    table = lead_pipeline(client)
    assert table["won_per_sql"].isna().all() and table["sql"].isna().all()
    assert table["won_per_mql"].notna().all()
    assert set(table["note"]) == {"no leads.sql_at in the export"}


def test_an_export_covering_part_of_the_period_before_is_not_compared(make_client):
    """Half a period against a whole one would read as growth: counted as no earlier data."""
    header = PIPELINE_LEADS.splitlines()[0]
    october = "".join(f"N{i},2026-10-{1 + i % 30:02d} 10:00:00,email,,,\n" for i in range(60))
    late = _leads_client(make_client, f"{header}\n{october}{LATE_EARLIER_LEAD}", name="late")
    assert not has_rows_before(late, "leads")  # starts 24 days into a 30-day period before
    assert set(compare_periods(late)["verdict"]) == {"no earlier data"}
    text = f"{header}\n{october}{EARLIER_LEAD}{LATE_EARLIER_LEAD}"
    both = _leads_client(make_client, text, name="both")
    assert has_rows_before(both, "leads")  # from the first day of the period before
    assert compare_periods(both).set_index("metric").loc["leads", "previous_value"] == 2
    sparse = _leads_client(make_client, PIPELINE_LEADS + LATE_EARLIER_LEAD, name="sparse")
    assert has_rows_before(sparse, "leads")  # 5 leads a month: a late first lead is normal
