"""The A/B chapter's new sections: overall test, secondary goals, segments, sequential test.

A small client declares one experiment with three variants, outcomes on the row (with
assignment times, so there are daily looks), two secondary goals, a segment column and
``sequential_tau``; the display functions must show each section in English and Russian, the
numbers must be the analysis' (checked against scipy and a direct ``msprt`` call), and the demo
experiments, which declare none of this, must show exactly what they showed before (only
``hero_banner``, with three variants, gains the overall test line).
"""

from __future__ import annotations

import hashlib
import json
import re

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from IPython.display import Markdown
from scipy import stats

from funnelkit import abtest, load_client
from funnelkit.core.errors import ConfigError
from funnelkit.data.config import load_config
from funnelkit.data.prepare import load_client as load_folder
from funnelkit.presentation import abtest as abtest_report
from funnelkit.presentation.results import to_jsonable

EXPERIMENT = {
    "name": "gate",
    "control": "a",
    "goal": "kept",
    "outcomes": {"kept": "share", "rounds": "mean", "bought": "share"},
    "secondary_goals": ["rounds", "bought"],
    "segments": ["country"],
    "planned_users_per_variant": 5000,
    "sequential_tau": 0.05,
}


def _users(seed: int = 3, n: int = 3000) -> pd.DataFrame:
    """Three variants; b lifts `kept` and `bought`, c lifts `rounds`; 20 assignment days.

    With this seed b crosses the sequential boundary and c does not; the effect does not
    differ by country (interaction p = 0.63).
    """
    rng = np.random.default_rng(seed)
    variant = np.array(["a", "b", "c"])[np.arange(n) % 3]
    day = rng.integers(0, 20, size=n)
    assigned = pd.Timestamp("2026-10-01 09:00") + pd.to_timedelta(day, unit="D")
    return pd.DataFrame(
        {
            "uid": [f"u{i}" for i in range(n)],
            "group": variant,
            "assigned_at": assigned.astype(str),
            "kept": np.where(rng.random(n) < np.where(variant == "b", 0.55, 0.4), "TRUE", "FALSE"),
            "rounds": rng.poisson(np.where(variant == "c", 24, 20)).astype(float),
            "bought": (rng.random(n) < np.where(variant == "b", 0.2, 0.1)).astype(int),
            "country": rng.choice(["DE", "FR", "US"], size=n),
        }
    )


@pytest.fixture
def game(make_client):
    """``game(language="en", **experiment)``: the loaded client with its one experiment."""

    def _make(language: str = "en", **experiment):
        folder = make_client(
            {"users.csv": _users().to_csv(index=False)},
            language=language,
            data={
                "assignments": {
                    "path": "data/users.csv",
                    "columns": {"user_id": "uid", "variant": "group"},
                }
            },
            experiments=[EXPERIMENT | experiment],
        )
        return load_folder(folder, emit_warnings=False)

    return _make


def _shown(monkeypatch) -> list:
    shown: list = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    monkeypatch.setattr("funnelkit.presentation.display.display", lambda obj: shown.append(obj))
    return shown


def _texts(shown: list) -> list[str]:
    """Each displayed object as text: Markdown as written, a table as its HTML, a chart as 'fig'."""
    found = []
    for obj in shown:
        if isinstance(obj, Markdown):
            found.append(f"md:{obj.data}")
        elif hasattr(obj, "to_html"):  # a pandas Styler; its random table id made constant
            found.append("html:" + re.sub(r"T_[0-9a-f]{5}", "T_X", obj.to_html()))
        else:
            found.append("fig:")
    plt.close("all")
    return found


def test_overall_test_is_the_chi_square_of_the_k_by_2_table(game):
    result = abtest.analyze_experiment(game(), "gate", bootstrap=0)
    counts = result.variants.set_index("variant")
    table = np.column_stack([counts["conversions"], counts["users"] - counts["conversions"]])
    chi2, p, df, _ = stats.chi2_contingency(table, correction=False)  # R chisq.test, k > 2
    overall = result.overall.iloc[0]
    assert overall["metric"] == "conversion" and overall["df"] == df == 2
    assert overall["statistic"] == pytest.approx(chi2, rel=1e-12)
    assert overall["p_value"] == pytest.approx(p, rel=1e-9, abs=1e-300)
    text = abtest_report.overall_text(result)
    assert text.startswith(f"Do the 3 groups differ at all? χ² = {chi2:.2f}, df = 2, p < 0.001")
    ru = abtest_report.overall_text(result, language="ru")
    assert ru.startswith(f"Различаются ли 3 группы вообще? χ² = {chi2:.2f}".replace(".", ","))
    two = abtest.analyze_experiment(
        load_client(emit_warnings=False), "checkout_button", bootstrap=0
    )
    assert two.overall.empty and abtest_report.overall_text(two) == ""


def test_sequential_p_is_msprt_on_the_daily_counts_and_lifts_the_peeking_check(game):
    client = game()
    result = abtest.analyze_experiment(client, "gate", bootstrap=0)
    direct = abtest.msprt(result.daily, control="a", tau=0.05, alpha=0.05)
    pd.testing.assert_frame_equal(result.sequential, direct)
    assert set(result.sequential["variant"]) == {"b", "c"}
    last = result.sequential.groupby("variant").tail(1).set_index("variant")
    assert last.loc["b", "crossed"] and not last.loc["c", "crossed"]
    checks = result.checks.set_index("check")
    assert checks.loc["sample_size", "status"] == "ok"  # 1,000 of 5,000 users, but crossed
    assert "Stopped early by the sequential test" in checks.loc["sample_size", "detail"]
    assert result.decision == "ship" and result.winner == "b"
    # without sequential_tau: the fixed plan rules, as before
    plain = abtest.analyze_experiment(game(sequential_tau=None), "gate", bootstrap=0)
    assert plain.sequential.empty and plain.decision == "not_yet_conclusive"
    assert plain.checks.set_index("check").loc["sample_size", "status"] == "warning"
    assert not any("sequential" in n for n in plain.notes)
    # a boundary not crossed leaves the check as it was
    never = abtest.analyze_experiment(game(sequential_tau=1e-6), "gate", bootstrap=0)
    assert not never.sequential["crossed"].any() and never.decision == "not_yet_conclusive"


def test_sequential_tau_must_be_positive(tmp_path):
    (tmp_path / "client.yaml").write_text(
        "client: x\nperiod: {start: 2026-10-01, end: 2026-10-31}\n"
        "experiments: [{name: e, sequential_tau: 0}]\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="sequential_tau"):
        load_config(tmp_path)


def test_secondary_goals_get_their_own_table_with_holm(game):
    result = abtest.analyze_experiment(game(), "gate", bootstrap=0)
    secondary = result.comparisons[result.comparisons["role"] == "secondary_goal"]
    table = abtest_report.secondary_table(result)
    assert len(table) == len(secondary) == 4  # 2 goals x 2 variants
    holm = "p, adjusted across secondary goals (Holm)"
    assert holm in table and "decision" not in table
    assert table["metric"].tolist()[:2] == ["rounds: mean per user"] * 2
    assert table["metric"].iloc[2] == "bought: share (users with it / users in the group)"
    shown = [p.removeprefix("= ") for p in secondary["p_value_adjusted"].map(
        lambda p: "< 0.001" if p < 0.001 else f"{p:.2g}")]  # fmt: skip
    assert table[holm].tolist() == shown
    main = abtest_report.results_table(result)
    assert not main["metric"].str.contains("secondary|rounds|bought").any()
    ru = abtest_report.secondary_table(result, language="ru")
    assert "p с поправкой на число дополнительных целей (метод Холма)" in ru
    assert ru["метрика"].iloc[0] == "rounds: среднее на пользователя"


def test_show_experiment_shows_every_section_in_order(game, monkeypatch):
    result = abtest.analyze_experiment(game(), "gate", bootstrap=0)
    shown = _shown(monkeypatch)
    abtest_report.show_experiment(result)
    texts = _texts(shown)
    first = {key: next(i for i, t in enumerate(texts) if key in t) for key in [
        "Do the 3 groups differ at all?", "(users who reached it / users in the group) — goal",
        "Secondary goals: for learning, they do not decide.", "#### Results by segment",
        "valid however often you look", "crossed on", "**"]}  # fmt: skip
    main = "(users who reached it / users in the group) — goal"
    assert first["Do the 3 groups differ at all?"] < first[main]
    assert first[main] < first["Secondary goals: for learning, they do not decide."]
    assert texts[first["Secondary goals: for learning, they do not decide."] + 1].startswith(
        "html:"
    )
    segments = texts[first["#### Results by segment"] + 1]
    assert "users: variant / control" in segments and "CI of the difference" in segments
    p = result.segment_tests["p_value"].iloc[0]  # no effect planted by country: p = 0.63
    sentence = (f"The effect does not differ detectably between the values of country "
                f"(p = {p:.2g}); no segment decides the verdict.")  # fmt: skip
    assert texts[first["#### Results by segment"] + 2] == f"md:{sentence}"


def test_show_experiment_in_russian(game, monkeypatch):
    result = abtest.analyze_experiment(game(language="ru"), "gate", bootstrap=0)
    assert result.language == "ru"
    shown = _shown(monkeypatch)
    abtest_report.show_experiment(result)
    out = "\n".join(_texts(shown))
    for words in ["Различаются ли 3 группы вообще?",
                  "Дополнительные цели: для понимания, решения по ним не принимаются.",
                  "#### Результаты по сегментам", "пользователи: вариант / контроль",
                  "Эффект заметно не различается между значениями country (p = 0,63)",
                  "ни один сегмент не решает вердикт", "по последовательному тесту p",
                  "остаётся верным, как бы часто вы ни смотрели"]:  # fmt: skip
        assert words in out, words
    assert "Secondary goals" not in out and "Results by segment" not in out


def test_interaction_sentence_when_the_effect_does_not_differ():
    config = abtest.get_experiment(load_client(emit_warnings=False), "checkout_button")
    result = abtest.ExperimentResult(
        config, segment_tests=pd.DataFrame([{"segment": "country", "p_value": 0.29}])
    )
    assert abtest_report.interaction_texts(result) == [
        "The effect does not differ detectably between the values of country (p = 0.29); "
        "no segment decides the verdict."
    ]
    assert abtest_report.interaction_texts(result, language="ru") == [
        "Эффект заметно не различается между значениями country (p = 0,29); ни один сегмент "
        "не решает вердикт."
    ]
    untestable = abtest.ExperimentResult(
        config, segment_tests=pd.DataFrame([{"segment": "device", "p_value": np.nan}])
    )
    assert abtest_report.interaction_texts(untestable)[0].startswith(
        "The effect cannot be compared between the values of device (one value only"
    )


def test_to_results_carries_the_new_frames_as_json(game):
    result = abtest.analyze_experiment(game(), "gate", bootstrap=0)
    data = json.loads(json.dumps(to_jsonable(result.to_results())))
    assert data["overall"][0]["df"] == 2
    assert {r["level"] for r in data["segments"]} == {"DE", "FR", "US"}
    assert data["segment_tests"][0]["segment"] == "country"
    assert len(data["sequential"]) == len(result.sequential)
    assert data["sequential"][-1]["look"].startswith("2026-10-20")
    assert {m["role"] for m in data["metrics"]} == {"goal", "secondary_goal"}


#: sha256 of what each demo experiment displays (Markdown text, table HTML, "fig" for a chart).
#: Regenerate only for a deliberate change of the section (last: issue 13, plain-words verdicts,
#: localised tables; a change of number formatting in funnelkit.core.formatting changes them too;
#: issue 16: the CUPED rows of hero_banner follow the comparisons' variant order, control first).
DEMO_BEFORE = {
    "checkout_button": "748f404e1ebc5ff744e8a9ded0f60911de61632f56b57a8934cebcd5df371769",
    "hero_banner": "261fcd1512e530003786f1c1494f5e4b2523f4a2a75c3b4489a3f0d94f032865",
    "free_shipping_bar": "36084a496634780005c05bc9c5ca03899cb1774a41f71ad8be3d54f896fe2147",
}


def test_demo_experiments_show_what_they_showed_before(monkeypatch):
    found = abtest.analyze_all(load_client(emit_warnings=False), bootstrap=0)
    for name, before in DEMO_BEFORE.items():
        shown = _shown(monkeypatch)
        abtest_report.show_experiment(found[name])
        texts = _texts(shown)
        overall = [t for t in texts if t.startswith("md:Do the ")]
        assert len(overall) == (name == "hero_banner")  # three variants: the overall line
        kept = [t for t in texts if t not in overall]
        digest = hashlib.sha256("\n\x00".join(kept).encode()).hexdigest()
        assert digest == before, name


def test_an_outcome_on_the_row_is_not_described_with_a_window(game, monkeypatch):
    result = abtest.analyze_experiment(game(), "gate", bootstrap=0)
    shown = _shown(monkeypatch)
    abtest_report.show_experiment(result)
    header = next(t for t in _texts(shown) if t.startswith("md:Goal: "))
    assert "final value on each user's row" in header and "days of assignment" not in header
