"""The statistics both analysis paths share: every comparison, its MDE, Bayes, CUPED, verdicts.

:func:`analyze` takes the per-variant sums (and, on the user-level path, the users) of one
experiment and fills an :class:`~funnelkit.abtest.result.ExperimentResult`: proportions and
Bayes for conversion, Welch means for the money and order metrics, the detectable change
(``mde_rel``) of each comparison, CUPED and the verdicts. The conventions are those of
:mod:`funnelkit.abtest.experiment`, which calls it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core.i18n import gettext
from ..core.stats.arguments import AnalysisError
from ..core.stats.columns import in_variant_order, user_level_means
from ..core.stats.means import compare_means, compare_means_from_summary
from ..core.stats.proportions import compare_proportions
from ..data.config import ExperimentConfig
from .bayes import bayes_proportions
from .cuped import cuped as cuped_adjust, cuped_from_sums
from .design import mde_mean, mde_proportion
from .extras import overall_conversion
from .result import ExperimentResult
from .verdict import verdicts
from .wording import METRICS

__all__ = [
    "COMPARISON_COLUMNS",
    "GUARDRAIL_ALIASES",
    "MDE_POWER",
    "MEAN_SUMS",
    "analyze",
    "cuped_rows_from_sums",
]

#: Names accepted in ``guardrails:`` of client.yaml -> the metric they stand for.
GUARDRAIL_ALIASES = {
    "conversion": "conversion", "revenue": "revenue_per_user",
    "revenue_per_user": "revenue_per_user", "orders": "orders_per_user",
    "orders_per_user": "orders_per_user", "aov": "revenue_per_buyer",
    "revenue_per_buyer": "revenue_per_buyer",
}  # fmt: skip
#: Mean metric -> (users column, sum column, sum-of-squares column) of the per-variant sums.
MEAN_SUMS = {
    "revenue_per_user": ("users", "revenue_sum", "revenue_sum_sq"),
    "orders_per_user": ("users", "orders_sum", "orders_sum_sq"),
    "revenue_per_buyer": ("buyers", "revenue_sum", "revenue_sum_sq"),
}
COMPARISON_COLUMNS = [
    "experiment", "metric", "role", "variant", "control", "users", "control_users", "value",
    "control_value", "abs_lift", "abs_ci_low", "abs_ci_high", "rel_lift", "rel_ci_low",
    "rel_ci_high", "p_value", "p_value_adjusted", "significant", "adjust_method", "comparisons",
    "test", "alpha", "alternative", "mde_rel", "note",
]  # fmt: skip
_MEAN_RENAMES = {"mean": "value", "control_mean": "control_value", "diff": "abs_lift",
                 "ci_low": "abs_ci_low", "ci_high": "abs_ci_high"}  # fmt: skip
MDE_POWER = 0.8


def _mde(row, *, kind: str, sd: float, variants: int) -> float:
    """Relative change detectable with 80% power at the users this comparison got (else NaN)."""
    options = {"n_control": row.control_users, "ratio": row.users / row.control_users,
               "alpha": row.alpha, "power": MDE_POWER, "variants": variants,
               "alternative": row.alternative}  # fmt: skip
    try:
        if kind == "proportion":
            return float(mde_proportion(row.control_value, **options)["mde_rel"].iloc[0])
        mde = float(mde_mean(sd, **options)["mde"].iloc[0])
    except ValueError:  # AnalysisError, or a solver failure: the verdict uses the CI width
        return np.nan
    return mde / row.control_value if row.control_value else np.nan


def _metrics(config: ExperimentConfig, metrics: list[str] | None) -> tuple[list, list]:
    """The metrics to compare (goal, guardrails, then the rest) and the guardrail metrics."""
    guardrails = []
    for name in config.guardrails:
        if name not in GUARDRAIL_ALIASES:
            raise AnalysisError(
                f"experiment {config.name!r}: guardrail {name!r} is not a metric funnelkit "
                f"measures; use one of {sorted(GUARDRAIL_ALIASES)} in `guardrails:`."
            )
        guardrails.append(GUARDRAIL_ALIASES[name])
    goal = "revenue_per_user" if config.goal == "revenue" else "conversion"
    wanted = list(dict.fromkeys([goal, *guardrails, *(METRICS if metrics is None else metrics)]))
    unknown = [m for m in wanted if m not in METRICS]
    if unknown:
        raise AnalysisError(
            f"Unknown metric(s) {unknown} in `metrics`; the metrics are {list(METRICS)}."
        )
    return wanted, guardrails


def analyze(
    config: ExperimentConfig,
    aggregate: pd.DataFrame,
    checks: pd.DataFrame,
    *,
    users: pd.DataFrame | None,
    metrics: list[str] | None,
    adjust: str,
    bootstrap: int,
    seed: int,
    use_cuped: bool,
    currency: str,
    language: str,
    cuped_sums: pd.DataFrame | None = None,
) -> ExperimentResult:
    """The statistics shared by the user-level (``users`` given) and the aggregated path.

    Parameters
    ----------
    config
        The experiment's settings (control, alpha, alternative, goal, guardrails).
    aggregate
        One row per variant: users, conversions and the money and order sums
        (:func:`~funnelkit.abtest.outcomes.aggregate_outcomes`).
    checks
        The experiment's checks (:mod:`funnelkit.abtest.checks`), for the verdicts.
    users
        The analysed users (user-level path), or ``None`` (aggregated path: no Mann–Whitney,
        bootstrap or CUPED).
    metrics
        Metrics compared besides the goal and the guardrails (``None``: all of
        :data:`~funnelkit.abtest.wording.METRICS`).
    adjust
        Adjustment of the p-values across variants.
    bootstrap, seed
        Bootstrap resamples for the mean metrics (0 skips) and their seed.
    use_cuped
        Also estimate revenue per user with CUPED.
    currency, language
        The client's currency (ISO code) and report language.
    cuped_sums
        Without ``users``: the per-variant sums CUPED needs (:func:`cuped_from_sums`).

    Returns
    -------
    ExperimentResult
        With variants, checks, proportions, bayes, overall, means, comparisons, cuped and
        verdicts filled (daily, goals and segments are added by the caller).

    Raises
    ------
    AnalysisError
        No control users, or an unknown metric or guardrail.
    """
    result = ExperimentResult(config, variants=aggregate, checks=checks, currency=currency,
                              language=language)  # fmt: skip
    if config.control not in set(aggregate["variant"]):
        raise AnalysisError(
            f"experiment {config.name!r}: the control {config.control!r} has no analysed users; "
            f"variants present: {aggregate['variant'].tolist()}. Set `control:` in client.yaml."
        )
    wanted, guardrails = _metrics(config, metrics)
    options = {"control": config.control, "alpha": config.alpha,
               "alternative": config.alternative, "adjust": adjust}  # fmt: skip
    k = len(aggregate)
    parts = []
    if "conversion" in wanted:
        result.proportions = compare_proportions(aggregate, **options)
        result.bayes = bayes_proportions(aggregate, control=config.control)
        result.overall = overall_conversion(aggregate, result.notes)
        rows = result.proportions.rename(columns={"rate": "value", "control_rate": "control_value"})
        mdes = [_mde(r, kind="proportion", sd=np.nan, variants=k) for r in rows.itertuples()]
        parts.append(rows.assign(metric="conversion", mde_rel=mdes))
    sums = aggregate.set_index("variant")
    has_money = sums["revenue_sum"].notna().all()
    mean_metrics = [m for m in wanted if m in MEAN_SUMS and has_money]
    jobs = user_level_means(users, aggregate, mean_metrics, options, bootstrap=bootstrap,
                             seed=seed) if users is not None else {}  # fmt: skip
    means, compared = [], []
    for metric in mean_metrics:
        n_col, s_col, ss_col = MEAN_SUMS[metric]
        n, s, ss = (float(sums.loc[config.control, c]) for c in (n_col, s_col, ss_col))
        sd = np.sqrt(max(ss - s**2 / n, 0.0) / (n - 1)) if n > 1 else np.nan
        try:
            if users is None:
                frame = compare_means_from_summary(aggregate, users_col=n_col, sum_col=s_col,
                                                   sum_sq_col=ss_col, **options)  # fmt: skip
            else:
                frame = jobs[metric].first(metric)
        except AnalysisError as err:
            label = METRICS[metric]["ru" if language == "ru" else "en"]
            result.notes.append(
                gettext("{Metric} was not compared: {reason}", language).format(
                    Metric=label[:1].upper() + label[1:], reason=gettext(str(err), language)
                )
            )
            continue
        means.append(frame.assign(metric=metric))
        compared.append(metric)
        rows = frame.rename(columns=_MEAN_RENAMES)
        mdes = [_mde(r, kind="mean", sd=sd, variants=k) for r in rows.itertuples()]
        parts.append(rows.assign(metric=metric, mde_rel=mdes))
    if users is not None and compared:
        # Mann–Whitney and the bootstrap only fill `means`, which no report section reads:
        # they are computed the first time `means` is read (the same numbers, on demand).
        result.means_later(lambda: _first_column(
            [jobs[m].complete(m).assign(metric=m) for m in compared]))  # fmt: skip
    elif means:
        result.means = _first_column(means)
    comparisons = pd.concat(parts, ignore_index=True)
    roles = comparisons["metric"].map({m: "guardrail" for m in guardrails} | {wanted[0]: "goal"})
    p = comparisons["p_value_adjusted"].fillna(comparisons["p_value"])
    result.comparisons = comparisons.assign(
        experiment=config.name, role=roles.fillna("secondary"), comparisons=k - 1,
        significant=p < comparisons["alpha"],
    )[COMPARISON_COLUMNS]  # fmt: skip
    if use_cuped and "revenue_per_user" in wanted and has_money:
        order = pd.Index(aggregate["variant"])  # both paths: the comparisons' variant order
        if users is not None:
            result.cuped = _cuped_rows(in_variant_order(users, order), options, result.notes,
                                       language)  # fmt: skip
        elif cuped_sums is not None:
            result.cuped = cuped_rows_from_sums(in_variant_order(cuped_sums, order), options,
                                                result.notes, language)  # fmt: skip
    result.verdicts = verdicts(result.comparisons, checks, goal=config.goal, currency=currency,
                               language=language)  # fmt: skip
    return result


def _first_column(frames: list[pd.DataFrame]) -> pd.DataFrame:
    means = pd.concat(frames, ignore_index=True)
    return means[["metric", *means.columns.drop("metric")]]


def _cuped_rows(
    users: pd.DataFrame, options: dict, notes: list[str], language: str = "en"
) -> pd.DataFrame:
    def compare() -> tuple[pd.DataFrame, dict]:
        adjusted, info = cuped_adjust(users, value_col="revenue", covariate_col="pre_revenue")
        return compare_means(adjusted, value_col="value_cuped", bootstrap=0, **options), info

    return _cuped_frame(compare, notes, language)


def cuped_rows_from_sums(
    sums: pd.DataFrame, options: dict, notes: list[str], language: str = "en"
) -> pd.DataFrame:
    """The CUPED rows of :func:`analyze` from per-variant sums (:func:`cuped_from_sums`)."""

    def compare() -> tuple[pd.DataFrame, dict]:
        adjusted, info = cuped_from_sums(sums)
        frame = compare_means_from_summary(adjusted, users_col="users", sum_col="sum",
                                           sum_sq_col="sum_sq", **options)  # fmt: skip
        return frame, info

    return _cuped_frame(compare, notes, language)


def _cuped_frame(compare, notes: list[str], language: str) -> pd.DataFrame:
    try:
        frame, info = compare()
    except AnalysisError as err:
        notes.append(
            gettext(
                "CUPED (an adjustment that uses revenue before the test to reduce noise) was "
                "not applied: {reason}",
                language,
            ).format(reason=gettext(str(err), language))
        )
        return pd.DataFrame()
    columns = ["variant", "control", "diff", "ci_low", "ci_high", "p_value", "p_value_adjusted"]
    return frame[columns].assign(metric="revenue_per_user", covariate="pre_revenue", **info)
