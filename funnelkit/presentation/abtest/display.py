"""An experiment's report section: its tables, charts and verdict, displayed in order.

The notebook calls :func:`show_experiments` once; everything it shows comes from the tidy frames
of :class:`~funnelkit.abtest.experiment.ExperimentResult` (formatting only, no statistics).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from ...abtest.goals import SECONDARY_ROLE
from ...core.errors import AnalysisError
from ...core.formatting import format_number
from ..display import note, show
from .plots import plot_cumulative, plot_forest
from .sections import show_overall, show_secondary, show_segments, show_sequential
from .tables import RESULT_HEADERS, comparison_rows

__all__ = [
    "RESULT_HEADERS",
    "overview_table",
    "results_table",
    "show_experiment",
    "show_experiments",
]

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


def _goal_scope(experiment) -> str:
    """How the goal is measured: a final value on each user's row, or within the window."""
    if experiment.outcomes:
        return "(the final value on each user's row: no outcome window)"
    return f"within {experiment.outcome_window_days:g} days of assignment"


def show_experiment(result, *, language: str | None = None) -> None:
    """Display one experiment's report section in a notebook, in order.

    What was tested; the checks; with more than two variants the overall test; the results
    table; the secondary goals' table (they do not decide); the forest plot of lifts;
    cumulative conversion by day; the sequential test's always-valid p (``sequential_tau``);
    the verdict in bold; the results by segment with the interaction test; then, clearly
    apart, the Bayesian second opinion and the CUPED estimate. An experiment that could not be
    analysed shows why.
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
        f"Goal: **{exp.goal}** {_goal_scope(exp)}; control: "
        f"`{exp.control}`; users analysed: {users}; alpha {exp.alpha:g} ({exp.alternative})."
        + (f" Guardrails: {', '.join(exp.guardrails)}." if exp.guardrails else "")
    ))  # fmt: skip
    checks = result.checks.assign(check=result.checks["check"].map(_CHECK_NAMES))
    show(checks[["check", "status", "detail"]], empty="No checks could be run.")
    show_overall(result, language=language)
    show(results_table(result, language=language), empty="Nothing could be compared.")
    show_secondary(result, language=language)
    _figure(plot_forest, result.comparisons, 0.45 * len(result.comparisons) + 1.3)
    if len(result.daily):
        _figure(plot_cumulative, result.daily, 3.4)
    show_sequential(result, language=language)
    goal = result.verdicts[result.verdicts["metric"] == result.goal_metric]
    text_col = "text_ru" if language == "ru" else "text_en"
    display(Markdown("\n\n".join(f"**{t}**" for t in goal[text_col])))
    others = result.verdicts[result.verdicts["metric"] != result.goal_metric]
    if len(others):
        display(Markdown("\n".join(f"- {t}" for t in others[text_col])))
    show_segments(result, language=language)
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
