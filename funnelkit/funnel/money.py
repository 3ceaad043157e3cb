"""The biggest leak and the money at stake, as a stated and realistic scenario per step.

For each step k ≥ 2, ``users(k−1)`` reached the step before and a share ``rate = users(k) /
users(k−1)`` passed. The money at stake is **not** "every user lost there goes on" (that
ceiling can exceed the period's whole revenue); it is one stated scenario
(:mod:`funnelkit.funnel.scenario`): the pass rate of the step's best group this period
(``best_segment``), else its level in the previous period (``previous_period``), else none —
no money is put on the step.

Then ``extra_users = users(k−1) × (target − rate)``; had they gone on like those who passed,
a share ``users(last) / users(k)`` (the *downstream conversion*) would have bought, each worth
the average order value (AOV)::

    value = users(k−1) × (target − rate) × downstream_conversion × aov

**Cap.** A step can never add more than if every user lost there went on (``lost ×
downstream × aov``), and the value is never put above the period's revenue either: ``cap`` is
the smaller of the two, ``capped`` says when the scenario was cut to it.

**Interval.** The target rate, the downstream conversion (Wilson) and the AOV (t) each have a
95% interval; ``value_low`` multiplies the three low bounds, ``value_high`` the three high ones
(both capped). This is wider than a joint 95% interval — on the cautious side, and stated.

**Never add the rows up.** Each row is a scenario for one step on its own; the steps share
buyers, so the values are alternatives, not parts of a total.

The sentence and the scenario's label a client reads are written by
:mod:`funnelkit.funnel.money_text` (:func:`leak_sentence`, :func:`scenario_label`), re-exported
here.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..core.patterns import sql_match
from ..core.stats import wilson
from .money_text import leak_sentence, scenario_label
from .scenario import SCENARIOS, scenario_targets

__all__ = [
    "SCENARIOS",
    "average_order_value",
    "leak_opportunities",
    "leak_sentence",
    "scenario_label",
]

_COLUMNS = [
    "rank", "step_number", "step", "previous_step", "lost_users", "downstream_conversion",
    "downstream_ci_low", "downstream_ci_high", "lost_conversions", "aov", "aov_ci_low",
    "aov_ci_high", "value", "value_low", "value_high", "currency", "aov_source", "note",
    "users_previous", "rate", "scenario", "scenario_detail", "target_rate", "target_ci_low",
    "target_ci_high", "extra_users", "extra_purchases", "max_value", "cap", "capped",
]  # fmt: skip


def _t_interval(count: int, mean: float, sd: float) -> tuple[float, float]:
    if count < 2 or not math.isfinite(sd):
        return math.nan, math.nan
    half = stats.t.ppf(0.975, count - 1) * sd / math.sqrt(count)
    return float(mean - half), float(mean + half)


def average_order_value(
    client: Any, *, period: tuple[datetime, datetime], purchase_event: str = "purchase"
) -> dict[str, Any]:
    """Average order value in a period with its t 95% interval, from orders or purchase events.

    Parameters
    ----------
    client : funnelkit.data.loader.Client
        A loaded client.
    period : (datetime, datetime)
        ``(start, end_exclusive)``.
    purchase_event : str, default "purchase"
        Event name or pattern (:mod:`funnelkit.core.patterns`) whose ``revenue`` is used when
        there is no ``orders`` table.

    Returns
    -------
    dict
        ``aov, aov_ci_low, aov_ci_high, orders, revenue`` (the period's revenue, = AOV ×
        orders), ``source`` ("orders", "events" or None) and ``note`` (why the AOV is NaN,
        or "").

    Examples
    --------
    >>> import funnelkit as fk
    >>> from funnelkit.funnel.steps import period_bounds
    >>> client = fk.load_client(emit_warnings=False)
    >>> aov = average_order_value(client, period=period_bounds(client))
    >>> aov["source"], aov["aov_ci_low"] < aov["aov"] < aov["aov_ci_high"]
    ('orders', True)
    """
    start, end = (f"TIMESTAMP '{t:%Y-%m-%d %H:%M:%S}'" for t in period)
    where = f"timestamp >= {start} AND timestamp < {end}"
    if client.has("orders"):
        table, source = f"SELECT revenue FROM orders WHERE {where}", "orders"
    elif client.has("events", "revenue"):
        table = (
            f"SELECT revenue FROM events WHERE {where} AND revenue IS NOT NULL "
            f"AND {sql_match('event', purchase_event)}"
        )
        source = "events"
    else:
        note = "no `orders` table and no `revenue` on events: the money at stake is unknown"
        return {"aov": math.nan, "aov_ci_low": math.nan, "aov_ci_high": math.nan, "orders": 0,
                "revenue": math.nan, "source": None, "note": note}  # fmt: skip
    count, mean, sd = client.con.sql(
        f"SELECT count(*), avg(revenue), stddev_samp(revenue) FROM ({table})"
    ).fetchall()[0]
    mean = math.nan if mean is None else float(mean)
    sd = math.nan if sd is None else float(sd)
    low, high = _t_interval(int(count), mean, sd)
    note = "" if count else f"no orders in the period (source: {source}): the AOV is unknown"
    revenue = mean * int(count) if count else 0.0
    return {"aov": mean, "aov_ci_low": low, "aov_ci_high": high, "orders": int(count),
            "revenue": revenue, "source": source if count else None, "note": note}  # fmt: skip


def leak_opportunities(
    steps_table: pd.DataFrame,
    *,
    aov: float,
    aov_ci: tuple[float, float] = (math.nan, math.nan),
    currency: str = "EUR",
    aov_source: str | None = None,
    note: str = "",
    segments: pd.DataFrame | None = None,
    periods: pd.DataFrame | None = None,
    revenue: float | None = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Rank the steps by the money a realistic improvement there would bring, biggest first.

    One row per step k ≥ 2; the scenario of each row is stated (see the module docstring).

    Parameters
    ----------
    steps_table : pandas.DataFrame
        The frame of :func:`funnel_steps` without breakdown (``step_number, step, users``).
    aov : float
        Average order value (NaN when unknown: values are NaN, the ranking still holds).
    aov_ci : (float, float)
        Its 95% interval.
    currency : str
        ISO code shown with the values.
    aov_source, note : str
        Where the AOV came from, and a note carried into every row.
    segments : pandas.DataFrame, optional
        :func:`funnelkit.funnel.segments.segment_tests` of the same funnel: the best
        significantly better group of a step sets the ``best_segment`` scenario.
    periods : pandas.DataFrame, optional
        :func:`funnelkit.funnel.trends.compare_periods` of the same funnel: a pass rate
        significantly higher in the previous period sets the ``previous_period`` scenario.
    revenue : float, optional
        The period's revenue: no step's value is put above it.
    alpha : float, default 0.05
        The significance level the previous period's rate is judged by.

    Returns
    -------
    pandas.DataFrame
        ``rank`` (1 = most money), ``step_number, step, previous_step, lost_users`` (users of
        the previous step who did not reach this one), ``downstream_conversion`` (users of the
        last step / users of this step) with its Wilson ``downstream_ci_low/high``,
        ``lost_conversions`` (lost × downstream conversion: the ceiling, had every lost user
        gone on), ``aov, aov_ci_low, aov_ci_high``, ``value`` (the scenario's money, capped),
        ``value_low, value_high`` (its cautious 95% interval, capped), ``currency,
        aov_source, note``; then ``users_previous``, ``rate`` (users / users_previous),
        ``scenario`` (one of :data:`SCENARIOS`), ``scenario_detail`` (the group, e.g.
        ``"device = desktop"``, or ""), ``target_rate`` with its Wilson
        ``target_ci_low/high``, ``extra_users`` (users_previous × (target − rate)),
        ``extra_purchases`` (× downstream conversion), ``max_value`` (lost_conversions ×
        aov), ``cap`` (the smaller of max_value and the period's revenue) and ``capped``
        (True when the scenario's value was cut to the cap). Never add the values up: each is
        an alternative.

    Examples
    --------
    >>> table = pd.DataFrame({"step_number": [1, 2, 3], "step": ["view", "cart", "buy"],
    ...                       "users": [1000, 200, 100]})
    >>> segments = pd.DataFrame({"column": ["device"], "segment": ["desktop"],
    ...     "step_number": [2], "rate": [0.3], "users": [150], "users_previous": [500],
    ...     "flag": ["over"], "gated": [False]})
    >>> leaks = leak_opportunities(table, aov=50.0, aov_ci=(40.0, 60.0), segments=segments)
    >>> leaks[["rank", "step", "scenario", "target_rate", "extra_purchases", "value"]]
       rank  step      scenario  target_rate  extra_purchases   value
    0     1  cart  best_segment          0.3             50.0  2500.0
    1     2   buy          none          0.5              0.0     0.0
    """
    table = steps_table.sort_values("step_number").reset_index(drop=True)
    users = table["users"].to_numpy(dtype="int64")
    last = users[-1]
    frame = pd.DataFrame(
        {
            "step_number": table["step_number"].to_numpy()[1:],
            "step": table["step"].to_numpy()[1:],
            "previous_step": table["step"].to_numpy()[:-1],
            "lost_users": users[:-1] - users[1:],
            "users_previous": users[:-1],
        }
    )
    passed = users[1:]
    with np.errstate(invalid="ignore", divide="ignore"):
        frame["downstream_conversion"] = np.where(passed > 0, last / passed, np.nan)
        frame["rate"] = np.where(users[:-1] > 0, passed / users[:-1], np.nan)
    frame["downstream_ci_low"], frame["downstream_ci_high"] = wilson(
        np.full(passed.shape, last).clip(max=passed), passed
    )
    frame["lost_conversions"] = frame["lost_users"] * frame["downstream_conversion"]
    frame["aov"], (frame["aov_ci_low"], frame["aov_ci_high"]) = aov, aov_ci
    targets = scenario_targets(frame, segments=segments, periods=periods, alpha=alpha)
    for column in targets.columns:
        frame[column] = targets[column]
    gain = (frame["target_rate"] - frame["rate"]).clip(lower=0)
    frame["extra_users"] = frame["users_previous"] * gain
    frame["extra_purchases"] = frame["extra_users"] * frame["downstream_conversion"]
    frame["max_value"] = frame["lost_conversions"] * aov
    ceiling = frame["max_value"]
    if revenue is not None and math.isfinite(float(revenue)):
        ceiling = ceiling.clip(upper=float(revenue))
    frame["cap"] = ceiling
    raw = frame["extra_purchases"] * aov
    gain_low = (frame["target_ci_low"] - frame["rate"]).clip(lower=0)
    gain_high = (frame["target_ci_high"] - frame["rate"]).clip(lower=0)
    raw_low = frame["users_previous"] * gain_low * frame["downstream_ci_low"] * aov_ci[0]
    raw_high = frame["users_previous"] * gain_high * frame["downstream_ci_high"] * aov_ci[1]
    frame["value"] = np.fmin(raw, ceiling)
    frame["value_low"] = np.fmin(raw_low, ceiling)
    frame["value_high"] = np.fmin(raw_high, ceiling)
    frame["capped"] = (raw > ceiling).to_numpy()
    frame["currency"], frame["aov_source"], frame["note"] = currency, aov_source, note
    frame = frame.sort_values(
        ["value", "extra_purchases", "lost_conversions", "lost_users"],
        ascending=False, kind="stable", na_position="last",
    ).reset_index(drop=True)  # fmt: skip
    frame["rank"] = np.arange(1, len(frame) + 1)
    return frame[_COLUMNS]
