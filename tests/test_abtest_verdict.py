"""Verdicts: one decision per rule, the numbers in the text, English and Russian."""

from __future__ import annotations

import pandas as pd
import pytest

from funnelkit.abtest import AnalysisError, decide, overall_decision, verdicts
from funnelkit.core.formatting import format_number

HEALTHY = pd.DataFrame(
    {
        "check": ["srm", "sample_size", "end_date"],
        "status": ["ok", "ok", "ok"],
        "value": [0.41, None, None],
        "detail": ["", "", ""],
    }
)


def comparison(**changes) -> dict:
    row = {
        "experiment": "checkout", "metric": "conversion", "role": "goal", "variant": "B",
        "control": "A", "value": 0.046, "control_value": 0.041, "abs_lift": 0.005,
        "rel_lift": 0.12, "rel_ci_low": 0.03, "rel_ci_high": 0.21, "p_value": 0.008,
        "p_value_adjusted": 0.008, "alpha": 0.05, "adjust_method": "holm", "comparisons": 1,
        "mde_rel": 0.09,
    }  # fmt: skip
    return row | changes


def checks(**statuses) -> pd.DataFrame:
    frame = HEALTHY.copy()
    for name, (status, value) in statuses.items():
        frame.loc[frame["check"] == name, ["status", "value"]] = [status, value]
    return frame


def one(rows: list[dict], check_frame: pd.DataFrame = HEALTHY, **options) -> pd.Series:
    return verdicts(pd.DataFrame(rows), check_frame, **options).iloc[0]


def test_ship_text_has_the_numbers():
    out = one([comparison()], goal="purchase")
    assert out["decision"] == "ship"
    assert out["text_en"] == (
        "Variant B raised conversion to purchase from 4.1% to 4.6% (+12%, 95% CI +3.0% to +21%, "
        "p = 0.008). Sample split is healthy. Ship B."
    )
    assert out["text_ru"] == (
        "Вариант B повысил конверсию в purchase с 4,1% до 4,6% (+12%, 95% ДИ от +3,0% до +21%, "
        "p = 0,008). Распределение пользователей по группам в порядке. Внедряйте B."
    )
    assert out["text"] == out["text_en"]
    assert one([comparison()], language="ru")["text"].startswith("Вариант B повысил конверсию")


def test_no_difference_says_what_the_test_could_see():
    row = comparison(value=0.042, abs_lift=0.001, rel_lift=0.024, rel_ci_low=-0.06,
                     rel_ci_high=0.11, p_value=0.6, p_value_adjusted=0.6)  # fmt: skip
    out = one([row])
    assert out["decision"] == "no_difference"
    assert "No significant difference in conversion: 4.1% in A vs 4.2% in B" in out["text_en"]
    assert "(+2.4%, 95% CI −6.0% to +11%, p = 0.6)" in out["text_en"]
    assert "cannot tell a difference smaller than ±9.0% from no difference" in out["text_en"]
    assert "Keep A, or run longer" in out["text_en"]
    assert out["text_ru"].startswith("Значимой разницы нет: конверсия 4,1% в A и 4,2% в B")
    assert "Тест не различает эффекты меньше ±9,0%. Оставьте A" in out["text_ru"]


def test_no_difference_without_mde_uses_half_the_interval():
    row = comparison(rel_lift=0.02, abs_lift=0.001, rel_ci_low=-0.08, rel_ci_high=0.12,
                     p_value=0.7, p_value_adjusted=0.7, mde_rel=float("nan"))  # fmt: skip
    assert "smaller than ±10% from" in one([row])["text_en"]


def test_significantly_worse_keeps_control():
    row = comparison(value=0.036, abs_lift=-0.005, rel_lift=-0.12, rel_ci_low=-0.2,
                     rel_ci_high=-0.04, p_value=0.01, p_value_adjusted=0.02,
                     comparisons=2)  # fmt: skip
    out = one([row])
    assert out["decision"] == "keep_control"
    assert out["text_en"].startswith("Variant B lowered conversion from 4.1% to 3.6% (−12%")
    assert "p = 0.02, Holm-adjusted)" in out["text_en"]
    assert out["text_en"].endswith("Keep A.")
    assert out["text_ru"].startswith("Вариант B снизил конверсию с 4,1% до 3,6%")
    assert "с поправкой на множественные сравнения" in out["text_ru"]
    assert out["text_ru"].endswith("Оставьте A.")


def test_srm_withholds_every_verdict():
    blocked = checks(srm=("blocking", 1e-9))
    out = one([comparison()], blocked)
    assert out["decision"] == "withheld"
    assert out["text_en"].startswith(
        "Verdict withheld: users were not split between the variants as planned (sample ratio "
        "mismatch, p < 0.001)"
    )
    assert "Ship" not in out["text_en"]
    assert out["text_ru"].startswith("Вывод не делается: пользователи распределились")
    assert "SRM, p < 0,001" in out["text_ru"]


def test_peeking_is_not_yet_conclusive_with_what_is_left():
    early = checks(sample_size=("warning", 1200), end_date=("warning", 9))
    out = one([comparison()], early)
    assert out["decision"] == "not_yet_conclusive"
    assert out["text_en"].startswith("Not yet conclusive: so far conversion is 4.1% in A and 4.6%")
    assert (
        "1,200 more users per variant are needed; 9 more day(s) until the planned end"
        in out["text_en"]
    )
    assert "Ship" not in out["text_en"]
    assert out["text_ru"].startswith("Пока рано делать вывод")
    assert "нужно ещё 1\u202f200 пользователей на вариант" in out["text_ru"]
    assert "осталось 9 дн." in out["text_ru"]


def test_srm_wins_over_peeking():
    both = checks(srm=("blocking", 1e-9), sample_size=("warning", 10))
    assert one([comparison()], both)["decision"] == "withheld"


def test_guardrail_significantly_worse_blocks_ship():
    guard = comparison(metric="revenue_per_user", role="guardrail", value=2.5,
                       control_value=3.0, abs_lift=-0.5, rel_lift=-0.1667, rel_ci_low=-0.25,
                       rel_ci_high=-0.08, p_value=0.001, p_value_adjusted=0.001)  # fmt: skip
    out = verdicts(pd.DataFrame([comparison(), guard]), HEALTHY).set_index("metric")
    assert out.loc["conversion", "decision"] == "guardrail_blocked"
    assert (
        "But guardrail revenue per user got significantly worse (€3.00 → €2.50"
        in out.loc["conversion", "text_en"]
    )
    assert out.loc["conversion", "text_en"].endswith("Do not ship B as it is.")
    assert "Не внедряйте B в таком виде." in out.loc["conversion", "text_ru"]
    assert out.loc["revenue_per_user", "decision"] == "guardrail_blocked"
    assert "This blocks shipping B." in out.loc["revenue_per_user", "text_en"]
    assert (
        "Контрольная метрика «выручка на пользователя» значимо ухудшилась"
        in out.loc["revenue_per_user", "text_ru"]
    )


def test_guardrail_not_significant_does_not_block():
    guard = comparison(metric="revenue_per_user", role="guardrail", value=2.9,
                       control_value=3.0, abs_lift=-0.1, rel_lift=-0.03, rel_ci_low=-0.1,
                       rel_ci_high=0.04, p_value=0.4, p_value_adjusted=0.4)  # fmt: skip
    out = verdicts(pd.DataFrame([comparison(), guard]), HEALTHY).set_index("metric")
    assert out.loc["conversion", "decision"] == "ship"
    assert out.loc["revenue_per_user", "decision"] == "no_difference"
    assert "Keep A" not in out.loc["revenue_per_user", "text_en"]  # advice only on the goal


def test_secondary_metric_informs():
    row = comparison(metric="orders_per_user", role="secondary", value=0.05, control_value=0.04)
    out = one([row])
    assert out["decision"] == "ship"
    assert "orders per user from 0.04 to 0.05" in out["text_en"]
    assert out["text_en"].endswith("A secondary metric: it informs, the goal metric decides.")


def test_untestable_comparison_says_so():
    row = comparison(p_value=float("nan"), p_value_adjusted=float("nan"), note="too few buyers")
    out = one([row])
    assert out["decision"] == "no_difference"
    assert out["text_en"] == "Conversion could not be compared between B and A (too few buyers)."


def test_decide_follows_the_rule_order():
    row = pd.Series(comparison())
    assert decide(row, HEALTHY, alpha=0.05) == "ship"
    assert decide(row, HEALTHY, alpha=0.05, guardrail_worse=True) == "guardrail_blocked"
    assert decide(row, HEALTHY, alpha=0.001) == "no_difference"


def test_overall_decision_picks_the_largest_shipping_lift():
    frame = pd.DataFrame(
        {"variant": ["b", "c", "d"], "metric": "conversion",
         "decision": ["ship", "ship", "keep_control"]}
    )  # fmt: skip
    lifts = pd.DataFrame({"variant": ["b", "c", "d"], "metric": "conversion",
                          "rel_lift": [0.1, 0.2, -0.1]})  # fmt: skip
    assert overall_decision(frame, "conversion", lifts) == ("ship", "c")
    worse = frame.assign(decision="keep_control")
    assert overall_decision(worse, "conversion") == ("keep_control", None)
    mixed = frame.assign(decision=["keep_control", "no_difference", "no_difference"])
    assert overall_decision(mixed, "conversion") == ("no_difference", None)
    assert overall_decision(frame.assign(decision="withheld"), "conversion") == ("withheld", None)


@pytest.mark.parametrize(
    ("value", "unit", "language", "expected"),
    [
        (0.0412, "share", "en", "4.1%"),
        (0.0412, "share", "ru", "4,1%"),
        (0.004, "share", "en", "0.40%"),
        (1234.5, "money", "en", "€1,234.50"),
        (-0.38, "money", "en", "−€0.38"),
        (1234.5, "money", "ru", "1\u202f234,50 €"),
        (0.12, "lift", "en", "+12%"),
        (-0.034, "lift", "en", "−3.4%"),
        (0.0004, "p", "en", "< 0.001"),
        (0.0123, "p", "ru", "= 0,012"),
        (float("nan"), "share", "en", "–"),
    ],
)
def test_format_number(value, unit, language, expected):
    assert format_number(value, unit, language=language) == expected


def test_unknown_language_is_refused():
    with pytest.raises(AnalysisError, match=r"`language` must be one of \['en', 'ru'\], but 'de'"):
        verdicts(pd.DataFrame([comparison()]), HEALTHY, language="de")
