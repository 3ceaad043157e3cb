"""The scenario behind a leak's money: the pass rate a step could realistically reach.

For each step k ≥ 2 with pass rate ``rate = users(k) / users(k−1)``, the first scenario that
applies sets the *target rate*:

``best_segment``
    the step's pass rate raised to that of its best group (channel, device …) this period,
    among the groups significantly better than the rest after Holm's correction and big enough
    to be tested (:func:`funnelkit.funnel.segments.segment_tests`);
``previous_period``
    otherwise, the pass rate back to its level in the previous period, when that was
    significantly higher (:func:`funnelkit.funnel.trends.compare_periods`);
``none``
    otherwise no group and no earlier period did better: the target is the current rate, so
    no money is put on the step.

The target has a Wilson 95% interval from the group's (or previous period's) own counts; with
``none`` the interval is the rate itself. The money is computed from it in
:func:`funnelkit.funnel.money.leak_opportunities`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core.stats import wilson

__all__ = ["SCENARIOS", "scenario_targets"]

#: The scenarios, in the order they are tried.
SCENARIOS = ("best_segment", "previous_period", "none")


def _best_segments(segments: pd.DataFrame | None) -> dict[int, tuple]:
    """Per step: (rate, users, users_previous, label) of the best significantly better group."""
    if segments is None or segments.empty:
        return {}
    better = segments[(segments["flag"] == "over") & ~segments["gated"].astype(bool)]
    found = {}
    for number, rows in better.groupby("step_number"):
        best = rows.sort_values(["rate", "users_previous"], ascending=False).iloc[0]
        label = f"{best['column']} = {best['segment']}"
        found[int(number)] = (float(best["rate"]), int(best["users"]),
                              int(best["users_previous"]), label)  # fmt: skip
    return found


def _previous_rates(periods: pd.DataFrame | None, alpha: float) -> dict[int, tuple]:
    """Per step: (rate, users, users_previous) of the previous period when significantly higher."""
    if periods is None or periods.empty or "previous_users" not in periods:
        return {}
    table = periods.sort_values("step_number").reset_index(drop=True)
    found = {}
    for i in range(1, len(table)):
        row, before = table.iloc[i], table.iloc[i - 1]
        if row["change_of_previous"] < 0 and row["p_value_adjusted_of_previous"] < alpha:
            found[int(row["step_number"])] = (float(row["previous_share_of_previous"]),
                                              int(row["previous_users"]),
                                              int(before["previous_users"]))  # fmt: skip
    return found


def scenario_targets(
    frame: pd.DataFrame,
    *,
    segments: pd.DataFrame | None = None,
    periods: pd.DataFrame | None = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """The scenario of each step and the pass rate it aims at, with its 95% interval.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per step k ≥ 2: ``step_number``, ``rate`` (users / users_previous) and
        ``users_previous``.
    segments : pandas.DataFrame, optional
        :func:`funnelkit.funnel.segments.segment_tests` of the same funnel.
    periods : pandas.DataFrame, optional
        :func:`funnelkit.funnel.trends.compare_periods` of the same funnel.
    alpha : float, default 0.05
        The significance level the previous period's rate is judged by.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``frame``: ``scenario`` (one of :data:`SCENARIOS`), ``scenario_detail``
        (the group, e.g. ``"device = desktop"``, or ""), ``target_rate`` and its Wilson
        ``target_ci_low/high`` (the rate itself with ``none``).

    Examples
    --------
    >>> frame = pd.DataFrame({"step_number": [2, 3], "rate": [0.2, 0.5],
    ...                       "users_previous": [1000, 200]})
    >>> segments = pd.DataFrame({"column": ["device"], "segment": ["desktop"],
    ...     "step_number": [2], "rate": [0.3], "users": [150], "users_previous": [500],
    ...     "flag": ["over"], "gated": [False]})
    >>> scenario_targets(frame, segments=segments)[["scenario", "scenario_detail", "target_rate"]]
           scenario   scenario_detail  target_rate
    0  best_segment  device = desktop          0.3
    1          none                            0.5
    """
    best, before = _best_segments(segments), _previous_rates(periods, alpha)
    chosen = []
    for number, rate, n in zip(frame["step_number"], frame["rate"], frame["users_previous"],
                               strict=True):  # fmt: skip
        number = int(number)
        if number in best and best[number][0] > rate:
            target, x, m, label = best[number]
            chosen.append(("best_segment", label, target, x, m))
        elif number in before and before[number][0] > rate:
            target, x, m = before[number]
            chosen.append(("previous_period", "", target, x, m))
        else:  # no evidence the step can do better: the current rate and its own interval
            chosen.append(("none", "", rate, round(rate * n) if n else 0, n))
    targets = pd.DataFrame(index=frame.index)
    targets["scenario"] = [c[0] for c in chosen]
    targets["scenario_detail"] = [c[1] for c in chosen]
    targets["target_rate"] = [float(c[2]) for c in chosen]
    low, high = wilson(np.array([c[3] for c in chosen]), np.array([c[4] for c in chosen]))
    none = targets["scenario"].eq("none").to_numpy()
    targets["target_ci_low"] = np.where(none, frame["rate"], low)
    targets["target_ci_high"] = np.where(none, frame["rate"], high)
    return targets
