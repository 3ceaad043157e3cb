"""Verdicts: one decision per rule, the numbers in the text, English and Russian."""

from __future__ import annotations

import re

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


NBSP = "\xa0"


def ru_text(text: str) -> str:
    """Russian text with its no-break spaces as plain spaces, for readable assertions."""
    return text.replace(NBSP, " ").replace("\u202f", " ")


def test_ship_text_has_the_numbers():
    out = one([comparison()], goal="purchase")
    assert out["decision"] == "ship"
    assert out["text_en"] == (
        "Ship B: it raised conversion to purchase (buyers / users in the group) from 4.1% to "
        "4.6% (+12%; 95% interval +3.0 to +21%; p = 0.008). Users were split between the "
        "groups as planned."
    )
    assert ru_text(out["text_ru"]) == (
        "Внедряйте B: вариант повысил конверсию в покупку (покупатели / пользователи группы) "
        "с 4,1 % до 4,6 % (+12 %; 95% интервал от +3,0 до +21 %; p = 0,008). Пользователи "
        "распределились по группам так, как планировалось."
    )
    assert out["text"] == out["text_en"]
    assert one([comparison()], language="ru")["text"].startswith("Внедряйте B: вариант повысил")


def test_a_rate_reads_in_percentage_points_with_its_interval():
    row = comparison(abs_ci_low=0.002, abs_ci_high=0.008)
    out = one([row], goal="purchase")
    assert (
        "from 4.1% to 4.6% (+0.5 pp, or +12% relative to control; 95% interval +0.2 to "
        in (out["text_en"])
    )
    assert "+0.8 pp; p = 0.008)" in out["text_en"]
    assert "(+0,5 п.п., или +12 % к контролю; 95% интервал от +0,2 до +0,8 п.п.; p = 0,008)" in (
        ru_text(out["text_ru"])
    )


def test_no_difference_says_what_the_test_could_see():
    row = comparison(value=0.042, abs_lift=0.001, rel_lift=0.024, rel_ci_low=-0.06,
                     rel_ci_high=0.11, p_value=0.6, p_value_adjusted=0.6)  # fmt: skip
    out = one([row])
    assert out["decision"] == "no_difference"
    assert out["text_en"].startswith(
        "No significant difference in conversion (users who reached the goal / users in the "
        "group): 4.1% in A against 4.2% in B (+2.4%; 95% interval −6.0 to +11%; p = 0.6)."
    )
    assert "can only detect a change of about ±9.0% or more" in out["text_en"]
    assert "Keep A, or run the test longer" in out["text_en"]
    ru = ru_text(out["text_ru"])
    assert ru.startswith(
        "Значимой разницы в показателе «конверсия (дошедшие до цели / пользователи группы)» нет: "
        "4,1 % в A против 4,2 % в B"
    )
    assert "замечает только изменения примерно от ±9,0 % и больше" in ru
    assert ru.endswith("Оставьте A или продлите тест, если важен и меньший эффект.")


def test_no_difference_without_mde_uses_half_the_interval():
    row = comparison(rel_lift=0.02, abs_lift=0.001, rel_ci_low=-0.08, rel_ci_high=0.12,
                     p_value=0.7, p_value_adjusted=0.7, mde_rel=float("nan"))  # fmt: skip
    assert "about ±10% or more" in one([row])["text_en"]


def test_significantly_worse_keeps_control():
    row = comparison(value=0.036, abs_lift=-0.005, rel_lift=-0.12, rel_ci_low=-0.2,
                     rel_ci_high=-0.04, p_value=0.01, p_value_adjusted=0.02,
                     comparisons=2)  # fmt: skip
    out = one([row], goal="purchase")
    assert out["decision"] == "keep_control"
    assert out["text_en"].startswith(
        "Keep A: variant B lowered conversion to purchase (buyers / users in the group) from "
        "4.1% to 3.6% (−12%"
    )
    assert "p = 0.02 after adjusting for the number of comparisons)" in out["text_en"]
    ru = ru_text(out["text_ru"])
    assert ru.startswith(
        "Оставьте A: вариант B снизил конверсию в покупку (покупатели / пользователи группы) с "
        "4,1 % до 3,6 %"
    )
    assert "p = 0,02 с поправкой на число сравнений)" in ru


def test_srm_withholds_every_verdict():
    blocked = checks(srm=("blocking", 1e-9))
    out = one([comparison()], blocked, goal="purchase")
    assert out["decision"] == "withheld"
    assert out["text_en"].startswith(
        "Verdict withheld: users were not split between the groups as planned (a sample ratio "
        "mismatch, SRM: the group sizes differ from the planned split by more than chance "
        "allows; p < 0.001)"
    )
    assert "Ship" not in out["text_en"]
    ru = ru_text(out["text_ru"])
    assert ru.startswith("Вывод не делается: пользователи распределились по группам не так")
    assert "(нарушение пропорции выборки, SRM: размеры групп" in ru and "; p < 0,001)" in ru
    # the gender-neutral construction: no "Наблюдаемая число заказов"
    assert "Наблюдаемые значения показателя «конверсия в покупку" in ru
    orders = one([comparison(metric="orders_per_user", role="secondary")], blocked)
    assert "Наблюдаемые значения показателя «число заказов на пользователя»" in (orders["text_ru"])


def test_peeking_is_not_yet_conclusive_with_what_is_left():
    early = checks(sample_size=("warning", 1200), end_date=("warning", 9))
    out = one([comparison()], early)
    assert out["decision"] == "not_yet_conclusive"
    assert out["text_en"].startswith(
        "Not yet conclusive: so far conversion (users who reached the goal / users in the "
        "group) is 4.1% in A and 4.6%"
    )
    assert (
        "1,200 more users per variant are needed; 9 more days until the planned end"
        in out["text_en"]
    )
    assert "Ship" not in out["text_en"]
    ru = ru_text(out["text_ru"])
    assert ru.startswith("Пока рано делать вывод: сейчас показатель «конверсия")
    assert "не хватает пользователей: 1 200 на вариант" in ru
    assert "до запланированной даты окончания осталось 9 дней" in ru
    one_day = one([comparison()], checks(end_date=("warning", 1)))
    assert "остался 1 день" in one_day["text_ru"] and "1 more day until" in one_day["text_en"]
    assert "осталось 3 дня" in one([comparison()], checks(end_date=("warning", 3)))["text_ru"]


def test_srm_wins_over_peeking():
    both = checks(srm=("blocking", 1e-9), sample_size=("warning", 10))
    assert one([comparison()], both)["decision"] == "withheld"


def test_guardrail_significantly_worse_blocks_ship():
    guard = comparison(metric="revenue_per_user", role="guardrail", value=2.5,
                       control_value=3.0, abs_lift=-0.5, rel_lift=-0.1667, rel_ci_low=-0.25,
                       rel_ci_high=-0.08, p_value=0.001, p_value_adjusted=0.001)  # fmt: skip
    out = verdicts(pd.DataFrame([comparison(), guard]), HEALTHY).set_index("metric")
    assert out.loc["conversion", "decision"] == "guardrail_blocked"
    text = out.loc["conversion", "text_en"]
    assert text.startswith("Do not ship B as it is: it raised conversion")
    assert (
        "but the guardrail revenue per user (a metric that must not get worse) got "
        "significantly worse (€3.00 → €2.50" in text
    )
    ru = ru_text(out.loc["conversion", "text_ru"])
    assert ru.startswith("Не внедряйте B в таком виде: вариант повысил конверсию")
    assert "но защитная метрика «выручка на пользователя» (показатель, который не должен " in ru
    assert out.loc["revenue_per_user", "decision"] == "guardrail_blocked"
    assert "This blocks shipping B." in out.loc["revenue_per_user", "text_en"]
    assert ru_text(out.loc["revenue_per_user", "text_ru"]).startswith(
        "Защитная метрика «выручка на пользователя» (показатель, который не должен ухудшиться) "
        "значимо ухудшилась в B"
    )
    assert "Поэтому внедрять B нельзя." in out.loc["revenue_per_user", "text_ru"]


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
    assert "Variant B raised orders per user from 0.04 to 0.05" in out["text_en"]
    assert out["text_en"].endswith("A secondary metric: it adds to the picture, the goal metric "
                                   "decides.")  # fmt: skip
    assert out["text_ru"].startswith("Вариант B повысил число заказов на пользователя с 0,04")
    assert out["text_ru"].endswith("Это дополнительная метрика: она дополняет картину, а решение "
                                   "принимается по целевой.")  # fmt: skip


def test_untestable_comparison_says_so():
    row = comparison(p_value=float("nan"), p_value_adjusted=float("nan"), note="too few buyers")
    out = one([row], goal="purchase")
    assert out["decision"] == "no_difference"
    assert out["text_en"] == (
        "Could not compare conversion to purchase (buyers / users in the group) between B and A "
        "(too few buyers)."
    )
    assert out["text_ru"].startswith(
        "Показатель «конверсия в покупку (покупатели / пользователи группы)» нельзя сравнить "
        "между B и A"
    )


@pytest.mark.parametrize(
    ("decision", "changes", "check_frame", "starts"),
    [
        ("ship", {}, HEALTHY, "Внедряйте B: вариант повысил конверсию в покупку"),
        ("keep_control", {"value": 0.036, "abs_lift": -0.005, "rel_lift": -0.12,
                          "rel_ci_low": -0.2, "rel_ci_high": -0.04}, HEALTHY,
         "Оставьте A: вариант B снизил конверсию в покупку"),
        ("no_difference", {"p_value": 0.6, "p_value_adjusted": 0.6}, HEALTHY,
         "Значимой разницы в показателе «конверсия в покупку"),
        ("withheld", {}, checks(srm=("blocking", 1e-9)),
         "Вывод не делается: пользователи распределились"),
        ("not_yet_conclusive", {}, checks(sample_size=("warning", 5)),
         "Пока рано делать вывод: сейчас показатель «конверсия в покупку"),
    ],
)  # fmt: skip
def test_every_russian_verdict_is_russian(decision, changes, check_frame, starts):
    out = one([comparison(**changes)], check_frame, goal="purchase", language="ru")
    assert out["decision"] == decision
    assert out["text"].startswith(starts)
    _no_english(out["text"])


def _no_english(text: str) -> None:
    """No Latin word in ``text`` but the variant names, p and the abbreviation SRM."""
    words = set(re.findall(r"[A-Za-z]{2,}", text)) - {"SRM"}
    assert not words, (words, text)


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
        (0.0412, "share", "ru", "4,1\xa0%"),
        (0.004, "share", "en", "0.40%"),
        (1234.5, "money", "en", "€1,235"),
        (-0.38, "money", "en", "−€0.38"),
        (1234.5, "money", "ru", "1\xa0235\xa0€"),
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
