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

__all__ = ["design_text", "overview_table", "results_table", "show_experiment", "show_experiments"]

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
    several variants), test, decision. For display only.
    """
    language = language or result.language
    rows = []
    decisions = result.verdicts.set_index(["metric", "variant"])["decision"]
    for r in result.comparisons.itertuples(index=False):
        unit = METRICS[r.metric]["unit"]
        fmt = lambda v, u=unit: format_number(v, u, language=language, currency=result.currency)  # noqa: E731
        p = r.p_value_adjusted if not pd.isna(r.p_value_adjusted) else r.p_value
        rows.append({
            "metric": METRICS[r.metric]["en"] + (" (goal)" if r.role == "goal" else
                                                 " (guardrail)" if r.role == "guardrail" else ""),
            "variant": r.variant, r.control: fmt(r.control_value), "variant value": fmt(r.value),
            "lift": fmt(r.rel_lift, "lift"),
            f"{1 - r.alpha:.0%} CI": f"{fmt(r.rel_ci_low, 'lift')} to {fmt(r.rel_ci_high, 'lift')}",
            "p": fmt(p, "p").removeprefix("= "), "test": r.test.replace("_", " "),
            "decision": decisions.get((r.metric, r.variant), "").replace("_", " "),
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


def design_text(plan: pd.DataFrame, duration: pd.DataFrame, reachable: pd.DataFrame) -> str:
    """The test plan in words, from the design frames (computes nothing new).

    Parameters
    ----------
    plan
        :func:`~funnelkit.abtest.design.sample_size_proportion` (one row).
    duration
        :func:`~funnelkit.abtest.design.days_needed` for ``plan["n_total"]``.
    reachable
        :func:`~funnelkit.abtest.design.mde_proportion` for the traffic actually available.

    Returns
    -------
    str
        Markdown: users per variant, in total, days needed, and the smallest lift the available
        traffic can detect.

    Examples
    --------
    >>> from funnelkit.abtest.design import days_needed, mde_proportion, sample_size_proportion
    >>> plan = sample_size_proportion(0.04, mde=0.10, relative=True)
    >>> text = design_text(plan, days_needed(plan["n_total"].iloc[0], daily_users=3000),
    ...                    mde_proportion(0.04, n_control=20_000))
    >>> print(text.split(";")[0])
    - To detect a +10% relative lift (from 4.0% to 4.4%) with 80% power at alpha 0.05, each of the 2 variants needs 39,475 users
    """  # noqa: E501
    p, d, r = plan.iloc[0], duration.iloc[0], reachable.iloc[0]
    per_comparison = (
        f" (alpha {p['alpha_per_comparison']:.3g} per comparison with control, Bonferroni)"
        if p["variants"] > 2
        else ""
    )
    return (
        f"- To detect a {p['mde_rel']:+.0%} relative lift (from {p['baseline']:.1%} to "
        f"{p['target']:.1%}) with {p['power']:.0%} power at alpha {p['alpha']:g}, each of the "
        f"{int(p['variants'])} variants needs {int(p['n_variant']):,} users{per_comparison}; "
        f"{int(p['n_total']):,} in total.\n"
        f"- At {d['users_per_day']:,.0f} users a day in the test that takes **{int(d['days'])} "
        "days**; run whole weeks, so that every weekday counts equally.\n"
        f"- With {int(r['n_control']):,} users per variant, the smallest lift the test can "
        f"reliably detect is {r['mde_rel']:+.1%} ({r['baseline']:.1%} → {r['target']:.2%}). A "
        'smaller true effect may well end as "no significant difference".'
    )


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
