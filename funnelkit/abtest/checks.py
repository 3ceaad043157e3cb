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
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd

from ..core.formatting import format_number
from ..core.stats.arguments import AnalysisError
from ..core.stats.proportions import srm_test
from ..data.config import ExperimentConfig

__all__ = [
    "CHECKS",
    "PEEKING_CHECKS",
    "SRM_ALPHA",
    "aggregate_checks",
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


def _pct(x: float) -> str:
    return f"{x:.1%}"


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
        return _row("srm", "blocking", None, f"{err} The verdict is withheld.")
    p = float(srm["p_value"].iloc[0])
    observed = " / ".join(_pct(s) for s in srm["share"])
    planned = " / ".join(_pct(s) for s in srm["expected_share"])
    split = f"Users split {observed} ({' / '.join(srm['variant'])}) against a planned {planned}"
    chi2 = f"chi-square = {srm['statistic'].iloc[0]:.2f}, df = {int(srm['df'].iloc[0])}"
    if p < SRM_ALPHA:
        return _row(
            "srm",
            "blocking",
            p,
            f"{split} ({chi2}, p = {p:.2g} < {SRM_ALPHA}): sample ratio mismatch. Users were not "
            "assigned as planned (often a logging, redirect or bot-filter bug), so the groups may "
            "differ in more than the change tested; the verdict is withheld. Find and fix the "
            "cause, then rerun the test.",
        )
    return _row("srm", "ok", p, f"{split} ({chi2}, p = {p:.3f}): the split is healthy.")


def _peeking_rows(analysed: pd.Series, experiment: ExperimentConfig, end: date) -> list[dict]:
    rows = []
    planned_n = experiment.planned_users_per_variant
    if planned_n is None:
        rows.append(
            _row(
                "sample_size",
                "ok",
                None,
                "No planned sample size in client.yaml (`planned_users_per_variant`); set one "
                "before the test starts so that stopping early can be detected.",
            )
        )
    else:
        smallest = int(analysed.min()) if len(analysed) else 0
        left = max(planned_n - smallest, 0)
        rows.append(
            _row(
                "sample_size",
                "warning" if left else "ok",
                left,
                f"Not yet conclusive: the smallest variant has {smallest:,} of the {planned_n:,} "
                f"users planned per variant; {left:,} more are needed before the result can be "
                "read."
                if left
                else f"The planned {planned_n:,} users per variant are reached.",
            )
        )
    if experiment.end_date is None:
        rows.append(
            _row("end_date", "ok", None, "No planned end date in client.yaml (`end_date`).")
        )
    else:
        days_left = (experiment.end_date - end).days
        rows.append(
            _row(
                "end_date",
                "warning" if days_left > 0 else "ok",
                max(days_left, 0),
                f"Not yet conclusive: the test is planned to run until {experiment.end_date}, "
                f"and the data end on {end}; {days_left} more day(s) are needed."
                if days_left > 0
                else f"The planned end date ({experiment.end_date}) is reached.",
            )
        )
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
    total = len(outcomes)
    end = _data_end(outcomes, data_end)
    window = outcomes.attrs.get("window_days", experiment.outcome_window_days)
    single = outcomes[reason.isna() | (reason == "window_incomplete")]
    rows = [_srm_row(single.groupby("variant").size(), experiment)]

    several = int((reason == "several_variants").sum())
    rows.append(
        _row(
            "several_variants",
            "warning" if several else "ok",
            several,
            f"{several:,} users ({_pct(several / total)} of those assigned) were logged in more "
            "than one variant; they are excluded from every number below."
            if several
            else "No user was logged in more than one variant.",
        )
    )
    incomplete = int((reason == "window_incomplete").sum())
    if outcomes.attrs.get("final_outcomes"):
        window_text = (
            "The outcomes are final values on each user's row of the assignments file: no "
            "outcome window, so no user is left out for one."
        )
    elif incomplete:
        window_text = (
            f"{incomplete:,} users ({_pct(incomplete / total)}) were assigned less than "
            f"{window:g} days before the data end ({end}), so their outcome window (both ends "
            "included) is not fully observed; they are left out, because counting them would "
            "understate conversion. Rerun with later data to include them."
        )
    else:
        window_text = f"Every user's {window:g}-day outcome window lies within the data."
    rows.append(
        _row("window_incomplete", "warning" if incomplete else "ok", incomplete, window_text)
    )
    after = int((reason == "assigned_after_period").sum())
    before = 0
    if period_start is not None:
        before = int((pd.to_datetime(outcomes["assigned_at"]) < pd.Timestamp(period_start)).sum())
    parts = []
    if after:
        parts.append(f"{after:,} users were assigned after the analysis period and are excluded")
    if before:
        parts.append(
            f"{before:,} users were assigned before the period started ({period_start}); they "
            "are kept, as the experiment started earlier"
        )
    rows.append(
        _row(
            "outside_period",
            "warning" if after else "ok",
            after + before,
            ("; ".join(parts) + ".")
            if parts
            else "Every assignment is within the analysis period.",
        )
    )
    rows += _peeking_rows(outcomes[reason.isna()].groupby("variant").size(), experiment, end)
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
    lowest = format_number(float(crossed["p_value"].min()), "p")
    alpha = float(crossed["alpha"].iloc[0])
    found = checks.copy()
    stopped = (
        f"Stopped early by the sequential test: its always-valid p-value ({lowest.lstrip('= ')}) "
        f"crossed the boundary ({alpha:g}) and stays valid however often the test was looked "
        "at, so the result can be read now,"
    )
    for check, left in (("sample_size", "{:,.0f} users per variant before the planned size."),
                        ("end_date", "{:.0f} day(s) before the planned end date.")):  # fmt: skip
        row = (found["check"] == check) & (found["status"] == "warning")
        if row.any():
            value = float(found.loc[row, "value"].iloc[0])
            found.loc[row, ["status", "detail"]] = ["ok", f"{stopped} {left.format(value)}"]
    return found
