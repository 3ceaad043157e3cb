"""An experiment's report section: its tables, charts and verdict, displayed in order.

The notebook calls :func:`show_experiments` once; everything it shows comes from the tidy frames
of :class:`~funnelkit.abtest.experiment.ExperimentResult` (formatting only, no statistics).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from ...abtest.verdict import METRICS
from ...core.errors import AnalysisError
from ...core.formatting import format_number
from ..display import note, show
from .plots import plot_cumulative, plot_forest

__all__ = ["overview_table", "results_table", "show_experiment", "show_experiments"]

# --- report sections: tables, charts and words for a notebook (they compute nothing) ---------

_CHECK_NAMES = {
    "srm": "sample split (SRM)",
    "several_variants": "users in several variants",
    "window_incomplete": "outcome window incomplete",
    "outside_period": "assigned outside the period",
    "sample_size": "planned sample size",
    "end_date": "planned end date",
}


def _figure(draw, frame: pd.DataFrame, height: float) -> None:
    """Draw ``frame`` on a new figure, display it in place and close it (keeps output order)."""
    from IPython.display import display

    fig, ax = plt.subplots(figsize=(8.5, height))
    draw(frame, ax=ax)
    fig.tight_layout()
    display(fig)
    plt.close(fig)


#: Column names of :func:`results_table` ("{ci}" is the confidence level, e.g. 95%).
RESULT_HEADERS = {
    "en": {"metric": "metric", "variant": "variant", "value": "variant value", "lift": "lift",
           "ci": "{ci} CI", "p": "p", "statistic": "test statistic",
           "yates": "p, chi-square with Yates' correction", "test": "test",
           "decision": "decision"},
    "ru": {"metric": "метрика", "variant": "вариант", "value": "значение варианта",
           "lift": "прирост", "ci": "{ci} дов. интервал", "p": "p",
           "statistic": "статистика критерия", "yates": "p, хи-квадрат с поправкой Йейтса",
           "test": "критерий", "decision": "решение"},
}  # fmt: skip
_ROLES = {"en": {"goal": " (goal)", "guardrail": " (guardrail)",
                 "secondary_goal": " (secondary goal)"},
          "ru": {"goal": " (цель)", "guardrail": " (контрольная)",
                 "secondary_goal": " (дополнительная цель)"}}  # fmt: skip
_DECISIONS_RU = {
    "ship": "внедрять", "keep_control": "оставить контроль",
    "no_difference": "значимой разницы нет", "withheld": "вывод отложен",
    "not_yet_conclusive": "пока не окончательно", "guardrail_blocked": "мешает контрольная метрика",
}  # fmt: skip
#: What the ``statistic`` of each test is, as the results table names it.
_STATISTICS = {"z_pooled": ("z", "z"), "chi2_yates": ("χ²", "χ²"), "welch_t": ("t", "t"),
               "fisher_exact": ("odds ratio", "отношение шансов")}  # fmt: skip


def _test_numbers(result) -> pd.DataFrame:
    """Per metric and variant: the test's statistic and the Yates chi-square p (NaN if none).

    Taken from the comparisons when they carry them, else from the proportions (conversion).
    """
    wanted = ["statistic", "chi2_yates_p_value"]
    comparisons = result.comparisons
    if all(c in comparisons for c in wanted):
        return comparisons[["metric", "variant", *wanted]]
    props = result.proportions
    if not len(props) or not all(c in props for c in wanted):
        return pd.DataFrame(columns=["metric", "variant", *wanted])
    return props[["variant", *wanted]].assign(metric="conversion")


def _unit(metric: str) -> str:
    """The unit of a metric outside :data:`METRICS` (a conversion is a share)."""
    return "share" if metric.startswith("conversion") else "number"


def _statistic(test: str, value: float, language: str) -> str:
    if pd.isna(value):
        return "–"
    name = _STATISTICS.get(test, ("statistic", "статистика"))[language == "ru"]
    text = f"{value:.2f}".replace("-", "−")
    return f"{name} = {text.replace('.', ',') if language == 'ru' else text}"


def results_table(result, *, language: str | None = None) -> pd.DataFrame:
    """The comparisons of an :class:`~funnelkit.abtest.experiment.ExperimentResult` as text.

    One row per metric and variant, numbers formatted for a reader (shares in %, money with the
    currency, lifts signed): metric, variant, control, variant value, lift, CI, p (adjusted when
    several variants), the test statistic (z, t, χ² or Fisher's odds ratio), the p of the
    chi-square test with Yates' correction (conversion only; never adjusted), test, decision.
    Column names and words in ``language`` (default: the result's; see
    :data:`RESULT_HEADERS`). For display only.
    """
    language = language or result.language
    ru = language == "ru"
    names = RESULT_HEADERS["ru" if ru else "en"]
    rows = []
    decisions = result.verdicts.set_index(["metric", "variant"])["decision"]
    tests = _test_numbers(result).set_index(["metric", "variant"])
    for r in result.comparisons.itertuples(index=False):
        spec = METRICS.get(r.metric, {"unit": _unit(r.metric), "en": r.metric, "ru": r.metric})
        unit = spec["unit"]
        fmt = lambda v, u=unit: format_number(v, u, language=language, currency=result.currency)  # noqa: E731
        p = r.p_value_adjusted if not pd.isna(r.p_value_adjusted) else r.p_value
        key = (r.metric, r.variant)
        statistic = tests["statistic"].get(key, float("nan"))
        yates = tests["chi2_yates_p_value"].get(key, float("nan"))
        decision = decisions.get(key, "")
        role = _ROLES["ru" if ru else "en"].get(r.role, "")
        rows.append({
            names["metric"]: spec["ru" if ru else "en"] + role,
            names["variant"]: r.variant, r.control: fmt(r.control_value),
            names["value"]: fmt(r.value), names["lift"]: fmt(r.rel_lift, "lift"),
            names["ci"].format(ci=f"{1 - r.alpha:.0%}"):
                f"{fmt(r.rel_ci_low, 'lift')} {'до' if ru else 'to'} {fmt(r.rel_ci_high, 'lift')}",
            names["p"]: fmt(p, "p").removeprefix("= "),
            names["statistic"]: _statistic(r.test, statistic, language),
            names["yates"]: "–" if pd.isna(yates) else fmt(yates, "p").removeprefix("= "),
            names["test"]: r.test.replace("_", " "),
            names["decision"]: _DECISIONS_RU.get(decision, decision) if ru
                               else decision.replace("_", " "),
        })  # fmt: skip
    return pd.DataFrame(rows)


def show_experiment(result, *, language: str | None = None) -> None:
    """Display one experiment's report section in a notebook, in order.

    What was tested; the checks; the results table; the forest plot of lifts; cumulative
    conversion by day; the verdict in bold; then, clearly apart, the Bayesian second opinion
    and the CUPED estimate. An experiment that could not be analysed shows why.
    """
    from IPython.display import Markdown, display

    exp = result.experiment
    display(Markdown(f"### Experiment `{exp.name}`"))
    if result.error:
        note(f"This experiment could not be analysed: {result.error}")
        return
    language = language or result.language
    counts = result.variants.set_index("variant")["users"]
    users = ", ".join(f"{variant} {n:,}" for variant, n in counts.items())
    display(Markdown(
        f"Goal: **{exp.goal}** within {exp.outcome_window_days:g} days of assignment; control: "
        f"`{exp.control}`; users analysed: {users}; alpha {exp.alpha:g} ({exp.alternative})."
        + (f" Guardrails: {', '.join(exp.guardrails)}." if exp.guardrails else "")
    ))  # fmt: skip
    checks = result.checks.assign(check=result.checks["check"].map(_CHECK_NAMES))
    show(checks[["check", "status", "detail"]], empty="No checks could be run.")
    show(results_table(result, language=language), empty="Nothing could be compared.")
    _figure(plot_forest, result.comparisons, 0.45 * len(result.comparisons) + 1.3)
    if len(result.daily):
        _figure(plot_cumulative, result.daily, 3.4)
    goal = result.verdicts[result.verdicts["metric"] == result.goal_metric]
    text_col = "text_ru" if language == "ru" else "text_en"
    display(Markdown("\n\n".join(f"**{t}**" for t in goal[text_col])))
    others = result.verdicts[result.verdicts["metric"] != result.goal_metric]
    if len(others):
        display(Markdown("\n".join(f"- {t}" for t in others[text_col])))
    if len(result.bayes):
        lines = [
            f"- `{b.variant}` beats `{b.control}` with probability "
            f"{format_number(b.prob_beat_control, 'share')}. Expected loss (the conversion given "
            f"up on average, counting 0 where the choice is right): "
            f"{b.expected_loss_choosing_variant * 100:.3f} percentage points if `{b.variant}` is "
            f"chosen, {b.expected_loss_choosing_control * 100:.3f} if `{b.control}` is kept."
            for b in result.bayes.itertuples(index=False)
        ]
        display(Markdown(
            "#### A second opinion: the Bayesian view\n\nNot part of the verdict above. With a "
            f"uniform {result.bayes['prior'].iloc[0]} prior on each conversion rate:\n\n"
            + "\n".join(lines)
        ))  # fmt: skip
    if len(result.cuped):
        c = result.cuped.iloc[0]
        display(Markdown(
            f"CUPED (revenue in the 30 days before assignment as covariate, correlation "
            f"{c['correlation']:.2f}) reduces the variance of revenue per user by "
            f"{c['variance_reduction']:.1%}; adjusted difference for `{c['variant']}`: "
            f"{format_number(c['diff'], 'money', currency=result.currency)} "
            f"(p {format_number(c['p_value_adjusted'], 'p')}). The verdict uses the plain test."
        ))  # fmt: skip
    for text in result.notes:
        note(text)


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
    for name in names or list(results):
        show_experiment(results[name], language=language)


def overview_table(overview: pd.DataFrame) -> pd.DataFrame:
    """:func:`~funnelkit.abtest.experiment.experiments_overview` formatted for reading.

    The SRM p-value as text (``< 0.001`` when the split is broken), decisions in words, the
    long verdict left out (each experiment's section shows it).

    Examples
    --------
    >>> frame = pd.DataFrame({"experiment": ["x"], "goal": ["purchase"], "variants": ["a, b"],
    ...     "users": [100], "srm_p_value": [1e-9], "decision": ["withheld"], "winner": [None],
    ...     "verdict": ["..."]})
    >>> overview_table(frame)[["srm_p_value", "decision"]].iloc[0].tolist()
    ['< 0.001', 'withheld']
    """
    return overview.drop(columns=["verdict"]).assign(
        srm_p_value=overview["srm_p_value"].map(
            lambda p: "–" if pd.isna(p) else format_number(p, "p").removeprefix("= ")
        ),
        decision=overview["decision"].str.replace("_", " "),
        winner=overview["winner"].fillna("–"),
    )
