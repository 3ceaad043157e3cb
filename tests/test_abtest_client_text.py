"""Chapter 04 as a client reads it: no Python reprs, every word in the report's language."""

from __future__ import annotations

import re

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from IPython.display import Markdown

from funnelkit import abtest, load_client
from funnelkit.core.i18n import use_language
from funnelkit.presentation import abtest as abtest_report

#: Latin words a Russian report may show: the demo's names (experiments, variants, events),
#: abbreviations explained where they first appear, and statistical symbols.
NAMES = {
    "checkout_button", "hero_banner", "free_shipping_bar", "control", "green_button",
    "discount", "lifestyle", "bar", "purchase", "SRM", "CUPED", "mSPRT", "df",
}  # fmt: skip
#: Developer residue: a list repr, booleans, NaN/None, a count with cents, a signed zero.
REPRS = [r"\[['\"]", r"\bTrue\b", r"\bFalse\b", r"\bnan\b", r"\bNone\b",
         r"\d,\d{3}\.00\b", r"[−-]0[.,]0\D"]  # fmt: skip


@pytest.fixture(scope="module")
def demo():
    return load_client(emit_warnings=False)


@pytest.fixture
def found(demo, request):
    """Every demo experiment analysed in ``request.param`` (the report's language set first)."""
    language, original = request.param, demo.config
    use_language(language)
    demo.config = original.model_copy(update={"language": language})
    try:
        yield language, abtest.analyze_all(demo, bootstrap=0)
    finally:
        demo.config = original
        use_language("en")


def _latin(text: str) -> set[str]:
    """Latin words of two letters or more that are not names or explained abbreviations."""
    text = re.sub(r"<[^>]+>|&\w+;|T_[0-9a-f]{5}\w*", " ", text)
    return set(re.findall(r"[A-Za-z_][A-Za-z_]+", text)) - NAMES


def _no_reprs(text: str) -> None:
    for pattern in REPRS:
        assert not re.search(pattern, text), (pattern, text[:400])


def _cells(frame: pd.DataFrame) -> str:
    return " | ".join([*map(str, frame.columns), *frame.astype(str).to_numpy().ravel()])


@pytest.mark.parametrize("found", ["en", "ru"], indirect=True)
def test_the_overview_reads_as_words_and_numbers(found):
    language, results = found
    table = abtest_report.overview_table(abtest.experiments_overview(results), language=language)
    text = _cells(table)
    _no_reprs(text)
    assert "control, green_button" in text  # the groups as a list a person writes
    if language == "ru":
        assert _latin(text) == set(), text
        assert "нет (p < 0,001)" in text and "внедрять вариант" in text
    else:
        assert "no (p < 0.001)" in text and "ship the variant" in text
        assert "srm_p_value" not in text and "srm p value" not in text


@pytest.mark.parametrize("found", ["en", "ru"], indirect=True)
def test_result_and_check_tables_have_no_reprs_and_no_english_in_russian(found):
    language, results = found
    for result in results.values():
        for table in (
            abtest_report.results_table(result, language=language),
            abtest_report.display.checks_table(result, language),
        ):
            text = _cells(table)
            _no_reprs(text)
            if language == "ru":
                assert _latin(text) == set(), (result.name, _latin(text))


@pytest.mark.parametrize("found", ["ru"], indirect=True)
def test_every_word_of_the_russian_chapter_is_russian(found, monkeypatch):
    _, results = found
    shown: list = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    monkeypatch.setattr("funnelkit.presentation.display.display", lambda obj: shown.append(obj))
    abtest_report.show_experiments(results)
    plt.close("all")
    texts = [
        obj.data if isinstance(obj, Markdown) else obj.to_html()
        for obj in shown
        if isinstance(obj, Markdown) or hasattr(obj, "to_html")
    ]
    assert len(texts) > 20
    for text in texts:
        _no_reprs(text)
        assert _latin(text) == set(), (_latin(text), text[:300])
    joined = "\n".join(texts)
    # odd Russian of the old report
    assert "Наблюдаемая число" not in joined and "конверсия в purchase" not in joined
    assert "конверсию в покупку (покупатели / пользователи группы)" in joined


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_plan_in_russian_has_no_english(demo, language):
    inputs = abtest.planning_inputs(demo)
    design = abtest.plan_from_inputs(inputs, mde=0.1, variants=3)
    text = abtest_report.design_text(**design, inputs=inputs, language=language)
    table = _cells(abtest_report.planning_table(inputs, language=language))
    for part in (text, table):
        _no_reprs(part)
        if language == "ru":
            assert _latin(part) == set(), _latin(part)
    if language == "en":
        assert "alpha" not in text and "Bonferroni's rule" in text
