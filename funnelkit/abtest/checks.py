"""Checks before any verdict: sample split, double assignments, windows, period, peeking.

Takes the user-level outcomes of :func:`funnelkit.abtest.outcomes.experiment_outcomes` (or, for
the aggregated path, users per variant) and the experiment's settings, and returns one row per
check with a status: ``ok``, ``warning`` (shown; for ``sample_size`` / ``end_date`` the verdict
becomes "not yet conclusive") or ``blocking`` (the verdict is withheld, with the reason).

Conventions
-----------
- Sample ratio mismatch (SRM): chi-square goodness of fit of the users per variant against
  ``planned_split`` (an equal split when none is set), as R's ``chisq.test(x = counts, p =
  ratios)``. It counts every user assigned to exactly one variant within the analysis period,
  window-incomplete users included: the split is a property of the assignment, and more users
  detect a broken assignment sooner. p < :data:`SRM_ALPHA` is blocking.
- Incomplete windows: a user's outcome window includes its last day, so it is complete when
  ``assigned_at + outcome_window_days`` falls before the end of the data. Outcomes recorded
  on the assignment row are final values and have no window.
- Peeking: a planned sample size per variant not reached by the analysed users, or an
  ``end_date`` after the last day of data, makes the verdict "not yet conclusive" with how much
  is left. An experiment with ``sequential_tau`` whose always-valid mSPRT p-value has crossed
  its boundary (p <= alpha for at least one variant, at any daily look) may stop early: those
  two checks are then ``ok`` (:func:`sequential_stop`), because that p-value stays valid
  however often the test was looked at.

The sentences of the ``detail`` column are worded in :mod:`funnelkit.abtest.check_text`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pandas as pd

from ..core.stats.arguments import AnalysisError
from ..core.stats.proportions import srm_test
from ..data.config import ExperimentConfig
from .check_text import (
    end_date_detail,
    outside_period_detail,
    sample_size_detail,
    sequential_stop_detail,
    several_variants_detail,
    srm_detail,
    unplanned_variant_detail,
    window_detail,
)

__all__ = [
    "CHECKS",
    "PEEKING_CHECKS",
    "SRM_ALPHA",
    "Counts",
    "aggregate_checks",
    "counted_checks",
    "experiment_checks",
    "sequential_stop",
    "srm_frame",
]

#: p-value below which a sample ratio mismatch withholds the verdict.
SRM_ALPHA = 0.001
#: The checks, in the order they are reported.
CHECKS = (
    "srm",
    "several_variants",
    "window_incomplete",
    "outside_period",
    "sample_size",
    "end_date",
)
#: Checks whose warning turns a verdict into "not yet conclusive".
PEEKING_CHECKS = ("sample_size", "end_date")
CHECK_COLUMNS = ["check", "status", "value", "detail"]


def _row(check: str, status: str, value: float | None, detail: str) -> dict:
    return {"check": check, "status": status, "value": value, "detail": detail}


def _frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=CHECK_COLUMNS)
    frame["value"] = pd.to_numeric(frame["value"], errors="coerce").astype("float64")
    return frame


def _data_end(outcomes: pd.DataFrame, data_end: date | datetime | None) -> date:
    """The last day of data (inclusive)."""
    if data_end is not None:
        return data_end.date() if isinstance(data_end, datetime) else data_end
    end = outcomes.attrs.get("observation_end")
    if end is not None:
        return (pd.Timestamp(end) - timedelta(microseconds=1)).date()
    return pd.Timestamp(outcomes["assigned_at"].max()).date()


def srm_frame(users: pd.Series, experiment: ExperimentConfig) -> pd.DataFrame:
    """The SRM test table: users per variant (a Series indexed by variant) against the plan.

    Variants are ordered as in ``planned_split``, control first otherwise; a planned variant
    absent from the data counts 0 users.

    Returns
    -------
    pandas.DataFrame
        The frame of :func:`funnelkit.core.stats.proportions.srm_test`: variant, users, share,
        expected_share, expected_users, statistic, p_value, df, test.

    Raises
    ------
    AnalysisError
        If the data hold a variant that ``planned_split`` does not name.

    Examples
    --------
    >>> config = ExperimentConfig(name="x", planned_split={"control": 1, "b": 1})
    >>> srm = srm_frame(pd.Series({"b": 465, "control": 535}), config)
    >>> srm[["variant", "share", "p_value"]].round(4)
       variant  share  p_value
    0  control  0.535   0.0269
    1        b  0.465   0.0269
    """
    order = [*(experiment.planned_split or {}), experiment.control, *sorted(users.index)]
    users = users.reindex([v for v in dict.fromkeys(order) if v in users.index])
    planned = experiment.planned_split
    if planned:
        unplanned = sorted(set(users.index) - set(planned))
        if unplanned:
            raise AnalysisError(
                f"experiment {experiment.name!r}: variant(s) {unplanned} are in the data but not "
                f"in planned_split {sorted(planned)}; add them to `planned_split` in client.yaml "
                "or fix the variant names in the export."
            )
    data = pd.DataFrame({"variant": users.index.astype(str), "users": users.to_numpy()})
    return srm_test(data, planned_split=planned)


def _srm_row(users: pd.Series, experiment: ExperimentConfig) -> dict:
    try:
        srm = srm_frame(users, experiment)
    except AnalysisError as err:
        return _row("srm", "blocking", None, unplanned_variant_detail(err))
    p = float(srm["p_value"].iloc[0])
    blocking = p < SRM_ALPHA
    return _row("srm", "blocking" if blocking else "ok", p, srm_detail(srm, blocking))


def _peeking_rows(analysed: pd.Series, experiment: ExperimentConfig, end: date) -> list[dict]:
    planned_n = experiment.planned_users_per_variant
    if planned_n is None:
        rows = [_row("sample_size", "ok", None, sample_size_detail(None))]
    else:
        smallest = int(analysed.min()) if len(analysed) else 0
        left = max(planned_n - smallest, 0)
        detail = sample_size_detail(planned_n, smallest, left)
        rows = [_row("sample_size", "warning" if left else "ok", left, detail)]
    if experiment.end_date is None:
        rows.append(_row("end_date", "ok", None, end_date_detail(None)))
    else:
        days_left = (experiment.end_date - end).days
        detail = end_date_detail(experiment.end_date, end, days_left)
        rows.append(_row("end_date", "warning" if days_left > 0 else "ok", max(days_left, 0),
                         detail))  # fmt: skip
    return rows


def experiment_checks(
    outcomes: pd.DataFrame,
    experiment: ExperimentConfig,
    *,
    data_end: date | datetime | None = None,
    period_start: date | None = None,
) -> pd.DataFrame:
    """One row per check of an experiment, with a status and a sentence saying what it means.

    Parameters
    ----------
    outcomes
        User-level outcomes from :func:`~funnelkit.abtest.outcomes.experiment_outcomes`
        (variant, assigned_at, excluded_reason).
    experiment
        The experiment's settings (control, planned_split, planned_users_per_variant, end_date,
        outcome_window_days).
    data_end
        The last day with data (inclusive); default: from ``outcomes.attrs["observation_end"]``,
        else the last assignment day.
    period_start
        First day of the analysis period; users assigned earlier are counted (and kept).

    Returns
    -------
    pandas.DataFrame
        One row per check in :data:`CHECKS` order: check, status (``ok``/``warning``/
        ``blocking``), value (the SRM p-value; a count of users; users or days left), detail
        (plain English).

    Examples
    --------
    >>> from funnelkit import load_client
    >>> from funnelkit.abtest.outcomes import experiment_outcomes, get_experiment
    >>> client = load_client(emit_warnings=False)
    >>> config = get_experiment(client, "free_shipping_bar")
    >>> checks = experiment_checks(experiment_outcomes(client, config), config)
    >>> checks[["check", "status"]]
                   check    status
    0                srm  blocking
    1   several_variants        ok
    2  window_incomplete   warning
    3     outside_period        ok
    4        sample_size        ok
    5           end_date        ok
    """
    reason = outcomes["excluded_reason"]
    before = 0
    if period_start is not None:
        before = int((pd.to_datetime(outcomes["assigned_at"]) < pd.Timestamp(period_start)).sum())
    counts = Counts(
        single=outcomes[reason.isna() | (reason == "window_incomplete")].groupby("variant").size(),
        analysed=outcomes[reason.isna()].groupby("variant").size(),
        reasons=reason.value_counts(), total=len(outcomes), before=before,
    )  # fmt: skip
    window = outcomes.attrs.get("window_days", experiment.outcome_window_days)
    final = bool(outcomes.attrs.get("final_outcomes"))
    return counted_checks(counts, experiment, end=_data_end(outcomes, data_end), window=window,
                          final=final, period_start=period_start)  # fmt: skip


@dataclass(frozen=True)
class Counts:
    """What the checks count: users per variant (all with one variant; analysed), per reason."""

    single: pd.Series
    analysed: pd.Series
    reasons: pd.Series
    total: int
    before: int

    def reason(self, name: str) -> int:
        return int(self.reasons.get(name, 0))


def counted_checks(
    counts: Counts,
    experiment: ExperimentConfig,
    *,
    end: date,
    window: float,
    final: bool = False,
    period_start: date | None = None,
) -> pd.DataFrame:
    """The checks of :func:`experiment_checks` from the users counted (here or on an engine)."""
    rows = [_srm_row(counts.single, experiment)]
    several = counts.reason("several_variants")
    detail = several_variants_detail(several, counts.total)
    rows.append(_row("several_variants", "warning" if several else "ok", several, detail))
    incomplete = counts.reason("window_incomplete")
    detail = window_detail(final=final, incomplete=incomplete, total=counts.total, window=window,
                           end=end)  # fmt: skip
    rows.append(_row("window_incomplete", "warning" if incomplete else "ok", incomplete, detail))
    after = counts.reason("assigned_after_period")
    detail = outside_period_detail(after, counts.before, period_start)
    rows.append(_row("outside_period", "warning" if after else "ok", after + counts.before,
                     detail))  # fmt: skip
    rows += _peeking_rows(counts.analysed, experiment, end)
    return _frame(rows)


def aggregate_checks(
    aggregate: pd.DataFrame,
    experiment: ExperimentConfig,
    *,
    data_end: date | datetime | None = None,
) -> pd.DataFrame:
    """The checks possible on users per variant alone: SRM, sample size and end date.

    For the aggregated path (an export with one row per variant). Double assignments, windows
    and the period cannot be checked without user-level data.

    Parameters
    ----------
    aggregate
        One row per variant with columns variant and users.
    experiment
        The experiment's settings.
    data_end
        The last day the export covers (default: today), for the ``end_date`` check.

    Returns
    -------
    pandas.DataFrame
        Columns check, status, value, detail; rows srm, sample_size, end_date.

    Examples
    --------
    >>> counts = pd.DataFrame({"variant": ["control", "b"], "users": [5000, 5100]})
    >>> aggregate_checks(counts, ExperimentConfig(name="x"))["status"].tolist()
    ['ok', 'ok', 'ok']
    """
    users = aggregate.set_index("variant")["users"]
    end = date.today() if data_end is None else _data_end(aggregate, data_end)
    return _frame([_srm_row(users, experiment), *_peeking_rows(users, experiment, end)])


def sequential_stop(checks: pd.DataFrame, sequential: pd.DataFrame) -> pd.DataFrame:
    """The checks with the peeking warnings lifted when the mSPRT boundary has been crossed.

    Parameters
    ----------
    checks
        The frame of :func:`experiment_checks`.
    sequential
        The frame of :func:`funnelkit.core.stats.sequential.msprt` on the daily cumulative
        counts (``variant``, ``p_value``, ``crossed``, ``alpha`` per look).

    Returns
    -------
    pandas.DataFrame
        ``checks`` unchanged when no variant crossed the boundary; otherwise a copy whose
        ``sample_size`` / ``end_date`` warnings are ``ok``, their detail saying why.

    Examples
    --------
    >>> checks = aggregate_checks(pd.DataFrame({"variant": ["control", "b"], "users": [90, 90]}),
    ...     ExperimentConfig(name="x", planned_users_per_variant=100))
    >>> looks = pd.DataFrame({"variant": ["b"], "p_value": [0.01], "crossed": [True],
    ...                       "alpha": [0.05]})
    >>> sequential_stop(checks, looks)["status"].tolist()
    ['ok', 'ok', 'ok']
    """
    crossed = sequential[sequential["crossed"].astype(bool)] if len(sequential) else sequential
    if not len(crossed):
        return checks
    lowest, alpha = float(crossed["p_value"].min()), float(crossed["alpha"].iloc[0])
    found = checks.copy()
    for check in ("sample_size", "end_date"):
        row = (found["check"] == check) & (found["status"] == "warning")
        if row.any():
            left = float(found.loc[row, "value"].iloc[0])
            detail = sequential_stop_detail(check, lowest, alpha, left)
            found.loc[row, ["status", "detail"]] = ["ok", detail]
    return found
