"""The compass: key metric per stage, now vs before, and the "fix this stage first" ranking."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from funnelkit import load_client
from funnelkit.core.formatting import format_value
from funnelkit.stages.compass import _gap, compass, compass_rule, compass_sentence


def _events(sessions_now: int, engaged_now: int, sessions_before: int, engaged_before: int) -> str:
    """One user per session; engaged sessions have two page views, the others one."""
    lines = ["user_id,timestamp,event,session_id"]
    plan = [
        ("2026-10-0", sessions_now, engaged_now),
        ("2026-09-2", sessions_before, engaged_before),
    ]
    n = 0
    for day, sessions, engaged in plan:
        for i in range(sessions):
            n += 1
            stamp = f"{day}{1 + i % 9} {i % 24:02d}:{i % 60:02d}:00"
            lines.append(f"u{n},{stamp},page_view,s{n}")
            if i < engaged:
                lines.append(f"u{n},{stamp[:-2]}30,page_view,s{n}")
    return "\n".join(lines) + "\n"


def _client(make_client, events: str, stages: dict):
    folder = make_client(
        {"events.csv": events},
        timezone="UTC",
        period={"start": "2026-10-01", "end": "2026-10-10"},
        data={"events": {"path": "data/events.csv"}},
        stages=stages,
    )
    return load_client(folder, emit_warnings=False)


def test_significant_deterioration_ranks_first_and_missing_data_last(make_client):
    # engagement 120/400 = 30% now vs 240/400 = 60% before: z = -8.5, p < 1e-16 (pooled z);
    # visitors 400 vs 400: no change. Purchase/retention/advocacy need orders/nps: no data.
    client = _client(make_client, _events(400, 120, 400, 240), {})
    table = compass(client)
    assert table["stage"].tolist()[:2] == ["consideration", "awareness"]
    top = table.iloc[0]
    assert top["status"] == "significantly worse" and bool(top["significant"])
    assert top["value"] == pytest.approx(0.30) and top["previous_value"] == pytest.approx(0.60)
    assert top["relative_change"] == pytest.approx(-0.5)
    assert table.iloc[1]["status"] == "no worse"  # visitors 400 vs 400, change 0
    assert (table["status"].iloc[2:] == "no data").all()
    assert table["note"].iloc[2:].tolist() == ["needs orders table"] * 2 + ["needs nps table"]
    assert table["rank"].tolist() == [1, 2, 3, 4, 5]
    sentence = compass_sentence(table)
    assert sentence.startswith("Fix **consideration** first: Engagement rate")
    assert "went from 60.0% to 30.0% (−50%)" in sentence
    assert "ranks first by rule 2: a significant deterioration" in sentence
    assert "(adjusted p < 0.001)" in sentence


def test_target_shortfall_outranks_a_significant_deterioration(make_client):
    # visitors 400 against a target of 1000: shortfall (1000 - 400) / 1000 = 0.6
    stages = {"awareness": {"key_metric": "visitors", "target": 1000}}
    client = _client(make_client, _events(400, 120, 400, 240), stages)
    table = compass(client)
    assert table["stage"].tolist()[:2] == ["awareness", "consideration"]
    assert table.iloc[0]["status"] == "below target"
    assert table.iloc[0]["gap_to_target"] == pytest.approx(0.6)
    assert "ranks first by rule 1: its key metric is below the target of 1,000" in (
        compass_sentence(table)
    )


def test_small_deterioration_is_worse_but_not_significant(make_client):
    # 190/400 = 47.5% now vs 200/400 = 50% before: z = -0.71, p = 0.48 -> "worse", not significant
    client = _client(make_client, _events(400, 190, 400, 200), {})
    row = compass(client).set_index("stage").loc["consideration"]
    assert row["status"] == "worse" and not row["significant"]
    # pooled z by hand (= R prop.test(c(190, 200), c(400, 400), correct = FALSE)):
    # p = 0.4875, se = sqrt(0.4875 * 0.5125 * 2 / 400) = 0.035344, z = 0.7073 -> p = 0.4794
    assert row["p_value"] == pytest.approx(0.4794, abs=2e-4)


def test_gap_follows_the_good_direction():
    assert _gap("up", 80, 100) == pytest.approx(0.2)  # 20% short of a "higher is better" target
    assert _gap("down", 0.5, 0.4) == pytest.approx(0.25)  # bounce 50% vs a 40% ceiling
    assert _gap("up", 120, 100) == pytest.approx(-0.2)  # target met
    assert math.isnan(_gap("up", 1.0, None))


def test_rule_and_sentence_in_russian():
    assert "Холма" in compass_rule("ru") and "Holm" in compass_rule("en")
    row = {"stage": "retention", "name": "Доля повторных покупок", "unit": "share",
           "value": 0.05, "previous_value": 0.04, "relative_change": 0.25,
           "p_value_adjusted": float("nan"), "status": "below target", "target": 0.1,
           "gap_to_target": 0.5}  # fmt: skip
    text = compass_sentence(pd.DataFrame([row]), language="ru")
    assert text.startswith("Начните с этапа «удержание»")
    assert "по правилу 1: ключевая метрика ниже цели (10,0\xa0%)" in text
    assert "было 4,0\xa0%, стало 5,0\xa0% (+25\xa0%)" in text


def test_format_value_units():
    assert format_value(float("nan"), "share") == "–"
    assert format_value(3.25, "days") == "3.3\xa0days"


def test_demo_compass_points_at_retention():
    # demo client.yaml: repeat purchase target 10%; the demo's rate is ~5.7% (shortfall ~43%),
    # NPS 31 against a target of 40 (~22%): retention first, advocacy second
    table = compass(load_client(emit_warnings=False))
    assert table["stage"].tolist()[:2] == ["retention", "advocacy"]
    assert set(table["status"]) <= {"below target", "significantly worse", "worse", "no worse"}


def test_unknown_key_metric_in_client_yaml_is_a_config_error(make_client):
    from funnelkit.core.errors import ConfigError

    client = _client(make_client, _events(10, 5, 10, 5), {"awareness": {"key_metric": "visiters"}})
    expected = r"`stages.awareness.key_metric` is 'visiters'.*'visitors'"
    with pytest.raises(ConfigError, match=expected):
        compass(client)


def test_map_stages_refuses_an_overlapping_mapping(make_client):
    from funnelkit.core.errors import ConfigError
    from funnelkit.presentation.stages import map_stages

    stages = {"awareness": {"events": ["page_view"]}, "consideration": {"events": ["page_*"]}}
    client = _client(make_client, _events(10, 5, 10, 5), stages)
    with pytest.raises(ConfigError, match="page_view"):
        map_stages(client)


def test_map_stages_results_are_plain_json():
    import json

    from funnelkit.presentation.results import to_jsonable
    from funnelkit.presentation.stages import map_stages

    results = to_jsonable(map_stages(load_client(emit_warnings=False)).to_results())
    json.dumps(results)
    assert results["fix_first"].startswith("Fix **retention** first")
    assert [row["stage"] for row in results["compass"]][:2] == ["retention", "advocacy"]
    assert results["unmapped_events"][0] == "scroll"


def test_no_earlier_data_ranks_nothing_and_says_so(make_client):
    # every session in October, the period before is empty: nothing to compare
    folder = make_client(
        {"events.csv": _events(40, 20, 0, 0)}, data={"events": {"path": "data/events.csv"}}
    )
    table = compass(load_client(folder, emit_warnings=False))
    computed = table[table["value"].notna()]
    assert len(computed) >= 2
    assert set(computed["status"]) == {"no earlier data"}
    assert computed["rank"].isna().all() and computed["p_value_adjusted"].isna().all()
    assert computed["previous_value"].isna().all() and computed["change"].isna().all()
    assert table["rank"].isna().all()  # nothing judged, so not even the stages without data
    sentence = compass_sentence(table)
    assert sentence.startswith("No stage is ranked") and "earlier data" in sentence
    assert "went from" not in sentence and "first" not in sentence.split(":")[0]
    assert "нет данных за прошлый период" in compass_sentence(table, language="ru")


def test_b2b_without_sql_dates_falls_back_to_won_per_mql(make_client):
    leads = ["lead_id,created_at,channel,mql_at,won_at"]
    for i in range(12):
        won = f"2026-10-{10 + i:02d} 12:00:00" if i % 3 == 0 else ""
        month = "09" if i % 2 else "10"
        leads.append(f"l{i},2026-{month}-0{1 + i % 9} 09:00:00,ads,2026-{month}-0{1 + i % 9} "
                     f"10:00:00,{won}")  # fmt: skip
    folder = make_client(
        {"leads.csv": "\n".join(leads) + "\n"},
        data={"leads": {"path": "data/leads.csv"}},
        business_type="b2b",
    )
    table = compass(load_client(folder, emit_warnings=False)).set_index("stage")
    assert table.loc["purchase", "key_metric"] == "mql_to_won"
    assert "won / MQL" in table.loc["purchase", "name"]
    assert "leads.sql_at" in table.loc["purchase", "why"]
    assert table.loc["consideration", "key_metric"] == "mql_rate"
    assert table.loc["purchase", "status"] != "no data"
