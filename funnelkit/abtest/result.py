"""The result of one experiment's analysis: tidy frames, the decision, values for summary.json.

Made by :func:`funnelkit.abtest.experiment.analyze_experiment` (and ``analyze_aggregate``),
shown by :func:`funnelkit.presentation.abtest.display.show_experiment`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from ..data.config import ExperimentConfig
from .verdict import overall_decision

__all__ = ["RESULT_COLUMNS", "ExperimentResult"]

RESULT_COLUMNS = [
    "variant", "abs_lift", "abs_ci_low", "abs_ci_high", "rel_lift", "rel_ci_low", "rel_ci_high",
    "p_value", "p_value_adjusted", "test",
]  # fmt: skip


@dataclass
class ExperimentResult:
    """Everything known about one experiment, as tidy frames (see :func:`analyze_experiment`).

    Attributes
    ----------
    experiment : ExperimentConfig
        The settings analysed.
    variants, checks, proportions, means, bayes, cuped, daily, comparisons, verdicts
        Tidy frames (see :func:`analyze_experiment` for what each holds).
    segments, segment_tests
        The goal's effect per segment value, and per segment column the test of whether it
        differs between values (:mod:`funnelkit.abtest.segments`); empty without
        ``segments``.
    overall
        With more than two variants, one row: do the goal's conversion rates differ at all
        (chi-square on the k×2 table, :func:`~funnelkit.abtest.extras.overall_conversion`).
    sequential
        With ``sequential_tau``, the always-valid mSPRT of the goal's conversion per variant
        and daily look (:func:`~funnelkit.abtest.extras.add_sequential`).
    notes : list of str
        Comparisons that could not be made, and why (shown in the report).
    error : str or None
        Why the experiment could not be analysed at all (then the frames are empty).
    currency, language
        The client's, for the wording.
    """

    experiment: ExperimentConfig
    variants: pd.DataFrame = field(default_factory=pd.DataFrame)
    checks: pd.DataFrame = field(default_factory=pd.DataFrame)
    proportions: pd.DataFrame = field(default_factory=pd.DataFrame)
    bayes: pd.DataFrame = field(default_factory=pd.DataFrame)
    cuped: pd.DataFrame = field(default_factory=pd.DataFrame)
    daily: pd.DataFrame = field(default_factory=pd.DataFrame)
    comparisons: pd.DataFrame = field(default_factory=pd.DataFrame)
    verdicts: pd.DataFrame = field(default_factory=pd.DataFrame)
    segments: pd.DataFrame = field(default_factory=pd.DataFrame)
    segment_tests: pd.DataFrame = field(default_factory=pd.DataFrame)
    overall: pd.DataFrame = field(default_factory=pd.DataFrame)
    sequential: pd.DataFrame = field(default_factory=pd.DataFrame)
    notes: list[str] = field(default_factory=list)
    error: str | None = None
    currency: str = "EUR"
    language: str = "en"
    _means: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    _means_later: Callable[[], pd.DataFrame] | None = field(default=None, repr=False)

    @property
    def means(self) -> pd.DataFrame:
        """Per mean metric and variant, the full ``compare_means`` row (robustness included).

        Computed on first use when the analysis deferred it (see :meth:`means_later`).
        """
        if self._means_later is not None:
            self._means, self._means_later = self._means_later(), None
        return self._means

    @means.setter
    def means(self, frame: pd.DataFrame) -> None:
        self._means, self._means_later = frame, None

    def means_later(self, compute: Callable[[], pd.DataFrame]) -> None:
        """Let :attr:`means` be ``compute()``, run the first time it is read."""
        self._means_later = compute

    def __getstate__(self) -> dict:
        """A pickled result carries its means, not the deferred computation."""
        _ = self.means
        return dict(self.__dict__)

    @property
    def name(self) -> str:
        return self.experiment.name

    @property
    def goal_metric(self) -> str:
        return "revenue_per_user" if self.experiment.goal == "revenue" else "conversion"

    @property
    def srm_p_value(self) -> float:
        srm = self.checks[self.checks["check"] == "srm"] if len(self.checks) else self.checks
        return float(srm["value"].iloc[0]) if len(srm) else float("nan")

    @property
    def decision(self) -> str:
        """The decision on the goal metric (see :func:`~funnelkit.abtest.verdict.overall_decision`)."""  # noqa: E501
        return "error" if self.error else overall_decision(self.verdicts, self.goal_metric)[0]

    @property
    def winner(self) -> str | None:
        if self.error:
            return None
        return overall_decision(self.verdicts, self.goal_metric, self.comparisons)[1]

    def to_results(self) -> dict:
        """Key numbers for ``summary.json``.

        Per variant (control included): users, conversions, rate, and against control the
        absolute and relative lift of the goal metric with CIs, p-value, adjusted p-value, test,
        SRM p-value, probability to beat control, decision and verdict (EN and RU); plus the
        checks, every metric's comparison (secondary goals included, role
        ``secondary_goal``), the CUPED estimate, the results by segment and their interaction
        tests, the overall k-variant test and the sequential test's looks (empty lists when
        absent).
        """
        if self.error:
            return {"experiment": self.name, "decision": "error", "error": self.error}
        goal = self.comparisons[self.comparisons["metric"] == self.goal_metric]
        text = self.verdicts[self.verdicts["metric"] == self.goal_metric]
        bayes = self.bayes if len(self.bayes) else pd.DataFrame(columns=["variant"])
        variants = (
            self.variants[["variant", "users", "conversions"]]
            .assign(
                rate=lambda f: f["conversions"] / f["users"],
                is_control=lambda f: f["variant"] == self.experiment.control,
                srm_p_value=self.srm_p_value,
            )
            .merge(goal[RESULT_COLUMNS], on="variant", how="left")
            .merge(bayes.reindex(columns=["variant", "prob_beat_control"]), how="left")
            .merge(
                text[["variant", "decision", "text_en", "text_ru"]].rename(
                    columns={"text_en": "verdict_en", "text_ru": "verdict_ru"}
                ),
                on="variant",
                how="left",
            )
        )
        return {
            "experiment": self.name, "goal": self.experiment.goal,
            "goal_metric": self.goal_metric, "control": self.experiment.control,
            "decision": self.decision, "winner": self.winner, "srm_p_value": self.srm_p_value,
            "variants": variants, "checks": self.checks[["check", "status", "value"]],
            "metrics": self.comparisons.drop(columns=["note"]), "cuped": self.cuped,
            "segments": self.segments, "segment_tests": self.segment_tests,
            "overall": self.overall, "sequential": self.sequential,
        }  # fmt: skip
