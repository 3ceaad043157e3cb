"""An experiment's report section: its tables, charts and verdict, displayed in order.

The notebook calls :func:`show_experiments` once; everything it shows comes from the tidy frames
of :class:`~funnelkit.abtest.experiment.ExperimentResult` (formatting only, no statistics).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd

from ...abtest.checks import SRM_ALPHA
from ...abtest.experiment import GUARDRAIL_ALIASES
from ...abtest.goals import SECONDARY_ROLE
from ...abtest.wording import METRICS, alpha_text
from ...core.errors import AnalysisError
from ...core.formatting import format_number
from ...core.i18n import current_language, gettext
from ..display import note, show
from .plan import goal_name
from .plots import plot_cumulative, plot_forest
from .sections import show_overall, show_secondary, show_segments, show_sequential
from .tables import RESULT_HEADERS, comparison_rows, decision_word

__all__ = [
    "RESULT_HEADERS",
    "checks_table",
    "goal_line",
    "overview_table",
    "reading_guide",
    "results_table",
    "show_experiment",
    "show_experiments",
]

# --- report sections: tables, charts and words for a notebook (they compute nothing) ---------
_CHECK_NAMES = {
    "en": {"srm": "groups split as planned (SRM check)",
           "several_variants": "users in several groups",
           "window_incomplete": "users whose time to buy is not over",
           "outside_period": "assigned outside the analysis period",
           "sample_size": "planned sample size", "end_date": "planned end date"},
    "ru": {"srm": "группы разбиты по плану (проверка SRM)",
           "several_variants": "пользователи в нескольких группах",
           "window_incomplete": "пользователи, чей срок для покупки не истёк",
           "outside_period": "попали в тест вне периода анализа",
           "sample_size": "запланированный размер выборки",
           "end_date": "запланированная дата окончания"},
}  # fmt: skip
_STATUS = {
    "en": {"ok": "ok", "warning": "note", "blocking": "blocks the verdict"},
    "ru": {"ok": "в порядке", "warning": "внимание", "blocking": "блокирует вывод"},
}
_CHECK_HEADERS = {"en": ["check", "status", "what was found"],
                  "ru": ["проверка", "статус", "что обнаружено"]}  # fmt: skip
_OVERVIEW_HEADERS = {
    "en": {"experiment": "experiment", "goal": "goal", "variants": "groups",
           "users": "users analysed", "srm_p_value": "groups split as planned?",
           "decision": "decision", "winner": "winner"},
    "ru": {"experiment": "эксперимент", "goal": "цель", "variants": "группы",
           "users": "пользователей в анализе", "srm_p_value": "группы разбиты по плану?",
           "decision": "решение", "winner": "победитель"},
}  # fmt: skip
_ALTERNATIVES = {
    "two-sided": "two-sided: a change in either direction counts",
    "larger": "one-sided: only an increase counts",
    "smaller": "one-sided: only a decrease counts",
}


def _lang(language: str | None) -> str:
    return "ru" if (language or current_language()) == "ru" else "en"


def _figure(draw, frame: pd.DataFrame, height: float, **options) -> None:
    """Draw ``frame`` on a new figure, display it in place and close it (keeps output order).

    ``options`` go to ``draw`` (e.g. ``control`` and ``variants`` of a chart).
    """
    from IPython.display import display

    fig, ax = plt.subplots(figsize=(8.5, height))
    draw(frame, ax=ax, **options)
    fig.tight_layout()
    display(fig)
    plt.close(fig)


def results_table(result, *, language: str | None = None) -> pd.DataFrame:
    """The comparisons of an :class:`~funnelkit.abtest.experiment.ExperimentResult` as text.

    One row per metric and variant, numbers formatted for a reader (shares in %, money with the
    currency, lifts signed): metric, variant, control, variant value, lift, CI, p (adjusted when
    several variants), the test statistic (z, t, χ² or Fisher's odds ratio), the p of the
    chi-square test with Yates' correction (conversion only; never adjusted), test, decision.
    Column names and words in ``language`` (default: the result's; see
    :data:`RESULT_HEADERS`). Secondary goals are left out (they have their own table,
    :func:`~funnelkit.presentation.abtest.tables.secondary_table`). For display only.
    """
    language = language or result.language
    comparisons = result.comparisons
    if len(comparisons) and "role" in comparisons:  # secondary goals: their own table
        comparisons = comparisons[comparisons["role"] != SECONDARY_ROLE]
    return comparison_rows(result, comparisons, language=language)


def _goal_scope(experiment, language: str) -> str:
    """How the goal is measured: a final value on each user's row, or within the window."""
    if experiment.outcomes:
        return gettext("(the final value on each user's row: no outcome window)", language)
    return gettext("within {days} days of assignment", language).format(
        days=f"{experiment.outcome_window_days:g}"
    )


def goal_line(result, language: str) -> str:
    """What was tested, in one paragraph: goal, control, users, significance level, guardrails."""
    exp = result.experiment
    count = lambda n: format_number(n, "count", language=language)  # noqa: E731
    counts = result.variants.set_index("variant")["users"]
    users = ", ".join(f"{variant} {count(n)}" for variant, n in counts.items())
    level = alpha_text(exp.alpha, language)
    text = gettext(
        "Goal: **{goal}** {scope}. Control group: `{control}`; users analysed: {users}. "
        "Significance level {level} ({sides}).",
        language,
    ).format(goal=goal_name(exp.goal, language), scope=_goal_scope(exp, language),
             control=exp.control, users=users, level=level,
             sides=gettext(_ALTERNATIVES.get(exp.alternative, exp.alternative),
                           language))  # fmt: skip
    if exp.guardrails:
        names = [
            METRICS.get(GUARDRAIL_ALIASES.get(g, g), {}).get(language, g) for g in exp.guardrails
        ]
        text += " " + gettext(
            "Guardrails (metrics that must not get worse): {names}.", language
        ).format(names=", ".join(names))
    return text


def checks_table(result, language: str) -> pd.DataFrame:
    """The experiment's checks for a reader: what was checked, its status, what was found."""
    lang = _lang(language)
    checks = result.checks
    frame = pd.DataFrame({
        "check": checks["check"].map(lambda c: _CHECK_NAMES[lang].get(c, c)),
        "status": checks["status"].map(lambda c: _STATUS[lang].get(c, c)),
        "detail": checks["detail"],
    })  # fmt: skip
    frame.columns = _CHECK_HEADERS[lang]
    return frame


def reading_guide(language: str) -> str:
    """What pp, the interval, p and an adjusted p mean: said once, before the experiments."""
    return gettext(
        "**Reading the numbers.** *pp* (percentage points) is the difference between two "
        "percentages: 4.1% → 4.6% is +0.5 pp, a relative change of +12%. The *95% interval* "
        "is the range that holds the true change with 95% confidence; when it includes zero the "
        'test cannot rule out "no effect". *p* is how likely a difference at least this large '
        "would be if the variant changed nothing; below 0.05 the difference counts as "
        "significant. With several variants, each compared with the control, the p-values are "
        "adjusted by Holm's method (a standard correction for making several comparisons at "
        "once), so that the chance of a false win stays at 5%.",
        language,
    )


def _bayes_text(result, language: str) -> str:
    lines = []
    for b in result.bayes.itertuples(index=False):
        points = lambda v: format_number(v, "points", language=language).lstrip("+")  # noqa: E731
        lines.append("- " + gettext(
            "`{v}` beats `{c}` with probability {prob}. Expected loss (the conversion given up on "
            "average, counting 0 where the choice is right): {loss_v} if `{v}` is chosen, "
            "{loss_c} if `{c}` is kept.", language,
        ).format(v=b.variant, c=b.control, prob=format_number(b.prob_beat_control, "share",
                                                              language=language),
                 loss_v=points(b.expected_loss_choosing_variant),
                 loss_c=points(b.expected_loss_choosing_control)))  # fmt: skip
    return (
        gettext("#### A second opinion: the Bayesian view", language)
        + "\n\n"
        + gettext(
            "Not part of the verdict above. It answers a different question: how likely is "
            "each variant to be better than the control? It starts from a neutral assumption "
            "(every conversion rate equally likely beforehand).",
            language,
        )
        + "\n\n"
        + "\n".join(lines)
    )


def _cuped_text(result, language: str) -> str:
    c = result.cuped.iloc[0]
    money = format_number(c["diff"], "money", language=language, currency=result.currency)
    return gettext(
        "CUPED, a standard adjustment that uses each user's revenue in the 30 days before the "
        "test to reduce random noise, lowers the noise in revenue per user by {reduction} here "
        "(the revenue before and during the test correlate at {correlation}); adjusted "
        "difference for `{v}`: {diff} (p {p}). The verdict uses the plain test.",
        language,
    ).format(reduction=format_number(c["variance_reduction"], "share", language=language),
             correlation=format_number(c["correlation"], "count", language=language),
             v=c["variant"], diff=money,
             p=format_number(c["p_value_adjusted"], "p", language=language))  # fmt: skip


def _variant_order(result) -> list[str]:
    """The experiment's variants in their declared order, which fixes each one's colour.

    The order of ``planned_split`` when it is set, else the order of assignment (the rows of
    ``result.variants``), so that a variant has the same colour in every chart.

    Examples
    --------
    >>> from funnelkit.abtest import ExperimentResult
    >>> from funnelkit.data.config import ExperimentConfig
    >>> config = ExperimentConfig(name="x", planned_split={"control": 1, "b": 1, "c": 1})
    >>> _variant_order(ExperimentResult(config))
    ['control', 'b', 'c']
    """
    planned = result.experiment.planned_split
    if planned:
        return [str(v) for v in planned]
    variants = result.variants
    if variants is None or "variant" not in variants:
        return []
    return [str(v) for v in dict.fromkeys(variants["variant"])]


def show_experiment(result, *, language: str | None = None) -> None:
    """Display one experiment's report section in a notebook, in order.

    What was tested; the checks; with more than two variants the overall test; the results
    table; the secondary goals' table (they do not decide); the forest plot of lifts;
    cumulative conversion by day; the sequential test's always-valid p (``sequential_tau``);
    the verdict in bold; the results by segment with the interaction test; then, clearly
    apart, the Bayesian second opinion and the CUPED estimate. An experiment that could not be
    analysed says so (the reason is for the consultant: ``result.error``).
    """
    from IPython.display import Markdown, display

    exp = result.experiment
    language = _lang(language or result.language)
    display(Markdown(gettext("### Experiment `{name}`", language).format(name=exp.name)))
    if result.error:
        note(gettext("This experiment could not be analysed: its data are missing or "
                     "incomplete. The consultant's notebook gives the technical reason.",
                     language))  # fmt: skip
        return
    display(Markdown(goal_line(result, language)))
    show(checks_table(result, language), empty=gettext("No checks could be run.", language))
    show_overall(result, language=language)
    show(results_table(result, language=language),
         empty=gettext("Nothing could be compared.", language))  # fmt: skip
    show_secondary(result, language=language)
    colours = {"control": exp.control, "variants": _variant_order(result)}  # one per variant
    _figure(plot_forest, result.comparisons, 0.45 * len(result.comparisons) + 1.3, **colours)
    if len(result.daily):
        _figure(plot_cumulative, result.daily, 3.4, **colours)
    show_sequential(result, language=language)
    goal = result.verdicts[result.verdicts["metric"] == result.goal_metric]
    text_col = "text_ru" if language == "ru" else "text_en"
    display(Markdown("\n\n".join(f"**{t}**" for t in goal[text_col])))
    others = result.verdicts[result.verdicts["metric"] != result.goal_metric]
    if len(others):
        display(Markdown("\n".join(f"- {t}" for t in others[text_col])))
    show_segments(result, language=language)
    if len(result.bayes):
        display(Markdown(_bayes_text(result, language)))
    if len(result.cuped):
        display(Markdown(_cuped_text(result, language)))
    for text in result.notes:
        note(gettext(text, language))


def show_experiments(results: dict, *, names: list[str] | None = None,
                     language: str | None = None) -> None:  # fmt: skip
    """Display the section of every experiment in ``results`` (or of ``names``), in order.

    Raises
    ------
    AnalysisError
        If a name is not among the analysed experiments (the message lists them).
    """
    unknown = [n for n in names or [] if n not in results]
    if unknown:
        raise AnalysisError(
            f"experiments {unknown} are not in client.yaml; the experiments are {list(results)}."
        )
    chosen = names or list(results)
    if any(not results[name].error for name in chosen):
        from IPython.display import Markdown, display

        display(Markdown(reading_guide(_lang(language))))
    for name in chosen:
        show_experiment(results[name], language=language)


def overview_table(overview: pd.DataFrame, *, language: str | None = None) -> pd.DataFrame:
    """:func:`~funnelkit.abtest.experiment.experiments_overview` formatted for reading.

    Column names and decisions in the report's language, users with thousands separators,
    the sample-split check in words with its p-value (below 0.001 the split is broken), the
    long verdict left out (each experiment's section shows it).

    Examples
    --------
    >>> frame = pd.DataFrame({"experiment": ["x"], "goal": ["purchase"], "variants": ["a, b"],
    ...     "users": [10551], "srm_p_value": [1e-9], "decision": ["withheld"], "winner": [None],
    ...     "verdict": ["..."]})
    >>> overview_table(frame, language="en").iloc[0].tolist()
    ['x', 'purchase', 'a, b', '10,551', 'no (p < 0.001)', 'withheld: split broken', '–']
    """
    lang = _lang(language)

    def split(p: float) -> str:
        if pd.isna(p):
            return "–"
        word = gettext("no" if p < SRM_ALPHA else "yes", lang)
        return f"{word} (p {format_number(p, 'p', language=lang)})"

    frame = overview.drop(columns=["verdict"]).assign(
        variants=overview["variants"].map(
            lambda v: ", ".join(v) if isinstance(v, list | tuple) else str(v)
        ),
        users=overview["users"].map(lambda n: format_number(n, "count", language=lang)),
        srm_p_value=overview["srm_p_value"].map(split),
        decision=overview["decision"].map(lambda d: decision_word(d, lang)),
        winner=overview["winner"].fillna("–"),
    )
    return frame.rename(columns=_OVERVIEW_HEADERS[lang])


def consultant_notes(found: Mapping[str, Any]) -> str:
    """For the consultant only: why an experiment was not analysed, and each analysis's notes.

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> print(consultant_notes({"button": NS(error="no rows", notes=["window cut"])}))
    button: not analysed: no rows
    button: window cut
    """
    lines = []
    for name, result in found.items():
        if result.error:
            lines.append(f"{name}: not analysed: {result.error}")
        lines.extend(f"{name}: {text}" for text in result.notes)
    return "\n".join(lines)
