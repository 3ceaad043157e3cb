"""The A/B chapter's extra sentences: overall test, secondary goals, segments, sequential test.

Each ``*_text`` function words one frame of
:class:`~funnelkit.abtest.experiment.ExperimentResult` (``overall``, ``segment_tests``,
``sequential``) in the client's language and returns ``""`` / ``[]`` when the experiment has
none; each ``show_*`` displays it with its table in a notebook. Formatting only: the numbers
come from the analysis (:mod:`funnelkit.abtest.extras`, :mod:`funnelkit.abtest.segments`).
"""

from __future__ import annotations

import pandas as pd

from ...core.formatting import format_number
from ..display import show
from .tables import secondary_table, segments_table

__all__ = [
    "interaction_texts",
    "overall_text",
    "secondary_caption",
    "sequential_texts",
    "show_overall",
    "show_secondary",
    "show_segments",
    "show_sequential",
]


def _markdown(text: str) -> None:
    """Display ``text`` as Markdown (imported here, as :mod:`.display` does, so tests see it)."""
    from IPython.display import Markdown, display

    display(Markdown(text))


def _p(value: float, language: str) -> str:
    """``p = 0.29`` / ``p < 0.001`` in the client's language."""
    return f"p {format_number(value, 'p', language=language)}"


def _number(value: float, language: str) -> str:
    text = f"{value:.2f}"
    return text.replace(".", ",") if language == "ru" else text


def overall_text(result, *, language: str | None = None) -> str:
    """The overall test of k > 2 variants in one sentence ("" with two variants).

    Examples
    --------
    >>> from funnelkit.abtest import ExperimentResult
    >>> from funnelkit.data.config import ExperimentConfig
    >>> result = ExperimentResult(ExperimentConfig(name="x"), overall=pd.DataFrame(
    ...     [{"variants": 3, "statistic": 14.634, "df": 2, "p_value": 0.00066}]))
    >>> overall_text(result).split(" (")[0]
    'Do the 3 groups differ at all? χ² = 14.63, df = 2, p < 0.001'
    """
    language = language or result.language
    if not len(result.overall):
        return ""
    row = result.overall.iloc[0]
    k, df = int(row["variants"]), int(row["df"])
    chi2, p = _number(row["statistic"], language), _p(row["p_value"], language)
    if language == "ru":
        return (f"Различаются ли {k} группы вообще? χ² = {chi2}, ст. св. = {df}, {p} (критерий "
                "хи-квадрат для конверсии в цель — дошедшие до цели / пользователи группы — по "
                "всем группам; строки ниже сравнивают каждый вариант с контролем).")  # fmt: skip
    return (f"Do the {k} groups differ at all? χ² = {chi2}, df = {df}, {p} (chi-square test of "
            "the goal's conversion, users who reached the goal / users in the group, across all "
            "groups; the rows below compare each variant with the control).")  # fmt: skip


def secondary_caption(language: str) -> str:
    """The line above the secondary goals' table."""
    if language == "ru":
        return ("**Дополнительные цели: для понимания, решения по ним не принимаются.** "
                "p-значения скорректированы методом Холма (стандартная поправка на множество "
                "одновременных сравнений) по всем дополнительным целям и вариантам.")  # fmt: skip
    return ("**Secondary goals: for learning, they do not decide.** The p-values are adjusted "
            "with Holm's method (a standard correction for making several comparisons at once) "
            "across every secondary goal and variant.")  # fmt: skip


def interaction_texts(result, *, language: str | None = None) -> list[str]:
    """Per segment column, whether the effect differs between its values, in one sentence.

    Examples
    --------
    >>> from funnelkit.abtest import ExperimentResult
    >>> from funnelkit.data.config import ExperimentConfig
    >>> result = ExperimentResult(ExperimentConfig(name="x"), segment_tests=pd.DataFrame(
    ...     [{"segment": "country", "p_value": 0.29}]))
    >>> print(interaction_texts(result)[0])  # doctest: +NORMALIZE_WHITESPACE
    The effect does not differ detectably between the values of country (p = 0.29); no segment
    decides the verdict.
    """
    language = language or result.language
    alpha = result.experiment.alpha
    texts = []
    for row in result.segment_tests.itertuples(index=False):
        p, differs = _p(row.p_value, language), row.p_value < alpha
        if pd.isna(row.p_value):  # one value only, or no users to compare: no test
            texts.append(
                f"Эффект нельзя сравнить между значениями {row.segment} (одно значение или "
                "слишком мало пользователей); ни один сегмент не решает вердикт."
                if language == "ru" else
                f"The effect cannot be compared between the values of {row.segment} (one value "
                "only, or too few users); no segment decides the verdict.")  # fmt: skip
        elif language == "ru":
            texts.append(
                f"Эффект различается между значениями {row.segment} ({p}): стоит присмотреться, "
                "но ни один сегмент не решает вердикт." if differs else
                f"Эффект заметно не различается между значениями {row.segment} ({p}); ни один "
                "сегмент не решает вердикт.")  # fmt: skip
        else:
            texts.append(
                f"The effect differs between the values of {row.segment} ({p}): worth a closer "
                "look, but no segment decides the verdict." if differs else
                f"The effect does not differ detectably between the values of {row.segment} "
                f"({p}); no segment decides the verdict.")  # fmt: skip
    return texts


def sequential_texts(result, *, language: str | None = None) -> list[str]:
    """The latest always-valid p-value per variant, whether the boundary was crossed, and why.

    Empty without ``sequential_tau``. The last sentence says what the p-value means.
    """
    language = language or result.language
    seq = result.sequential
    if not len(seq):
        return []
    ru = language == "ru"
    alpha = format_number(float(seq["alpha"].iloc[0]), "number", language=language)
    tau = format_number(float(seq["tau"].iloc[0]), "number", language=language)
    texts = []
    for variant, looks in seq.groupby("variant", sort=False):
        last = looks.iloc[-1]
        day, p = f"{pd.Timestamp(last['look']):%Y-%m-%d}", _p(last["p_value"], language)
        crossed = looks[looks["crossed"].astype(bool)]
        first = f"{pd.Timestamp(crossed['look'].iloc[0]):%Y-%m-%d}" if len(crossed) else ""
        if ru:
            end = (f"граница (p ≤ {alpha}) пересечена {first}: тест можно остановить сейчас, "
                   "даже до плановых размера и даты." if first else
                   f"граница (p ≤ {alpha}) не пересечена.")  # fmt: skip
            texts.append(f"`{variant}` против `{last['control']}` (последний срез, {day}): "
                         f"по последовательному тесту {p}; {end}")  # fmt: skip
        else:
            end = (f"the boundary (p ≤ {alpha}) was crossed on {first}: the test may stop now, "
                   "even before its planned size or end date." if first else
                   f"the boundary (p ≤ {alpha}) has not been crossed.")  # fmt: skip
            texts.append(f"`{variant}` against `{last['control']}` (latest look, {day}): "
                         f"sequential test {p}; {end}")  # fmt: skip
    if ru:
        texts.append("Последовательный тест (mSPRT — критерий, рассчитанный на ежедневную "
                     f"проверку; ожидаемый разброс эффектов τ = {tau}): его p-значение остаётся "
                     "верным, как бы часто вы ни смотрели на результаты, поэтому его можно "
                     "проверять каждый день.")  # fmt: skip
    else:
        texts.append("Sequential test (mSPRT, a test designed to be checked every day; assumed "
                     f"spread of effects τ = {tau}): its p-value stays valid however often you "
                     "look, so it can be checked every day.")  # fmt: skip
    return texts


def show_overall(result, *, language: str) -> None:
    """Display the overall test line (nothing with two variants)."""
    text = overall_text(result, language=language)
    if text:
        _markdown(text)


def show_secondary(result, *, language: str) -> None:
    """Display the secondary goals' caption and table (nothing without secondary goals)."""
    table = secondary_table(result, language=language)
    if len(table):
        _markdown(secondary_caption(language))
        show(table)


def show_segments(result, *, language: str) -> None:
    """Display the results by segment and the interaction sentences (nothing without segments)."""
    texts = interaction_texts(result, language=language)
    table = segments_table(result, language=language)
    if not texts and not len(table):
        return
    title = "Результаты по сегментам" if language == "ru" else "Results by segment"
    _markdown(f"#### {title}")
    if len(table):
        show(table)
    if texts:
        _markdown("\n\n".join(texts))


def show_sequential(result, *, language: str) -> None:
    """Display what the sequential test is, then one line per variant (nothing without it)."""
    texts = sequential_texts(result, language=language)
    if texts:
        _markdown(f"{texts[-1]}\n\n" + "\n".join(f"- {t}" for t in texts[:-1]))
