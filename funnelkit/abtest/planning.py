"""Plan a test from the client's own data: the baseline rate, revenue spread and daily traffic.

:func:`planning_inputs` measures, over the analysis period of ``client.yaml``, the numbers a test
plan starts from, each with what it divides and where it comes from; :func:`plan_from_inputs`
feeds them to the designs of :mod:`funnelkit.abtest.design` (sample size, days, smallest
detectable lift). A parameter given by hand overrides the data; where the data cannot give a
number (no events in the period, or no visitor reached the goal) the documented defaults
:data:`DEFAULT_BASELINE_RATE` and :data:`DEFAULT_DAILY_USERS` are used, and the row says so.

Definitions (all over the half-open window ``[period start, observation end)``, where the
observation end is that of :func:`~funnelkit.abtest.lookup.observation_end`):

- **visitors**: distinct ``events.user_id`` with any event in the window;
- **baseline rate** = visitors with an event matching the goal (a name or pattern of
  :mod:`funnelkit.core.patterns`; for the goals ``revenue`` / ``orders``: visitors who are the
  customer of an order) in the window / visitors, with its Wilson 95% interval;
- **revenue per visitor** = each visitor's order revenue in the window (0 without orders); its
  mean, sample variance and standard deviation (only when the client has orders, or events with
  a ``revenue`` column);
- **daily visitors** = visitor-days (distinct visitors with any event, counted per calendar
  day) / days in the window. A visitor who returns on several days counts on each, while a test
  assigns each user once, so the days a plan needs are a lower bound.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core.formatting import format_number
from ..core.patterns import sql_match
from ..core.stats.arguments import AnalysisError
from ..core.stats.intervals import proportion_ci
from ..data.loader import Client
from ..data.validate import q
from ..metrics.base import Window, window
from .design import days_needed, mde_proportion, sample_size_proportion
from .lookup import observation_end
from .outcomes import ORDER_GOALS, experiment_outcomes

__all__ = [
    "DEFAULT_BASELINE_RATE",
    "DEFAULT_DAILY_USERS",
    "PLANNING_COLUMNS",
    "plan_from_inputs",
    "planning_goal",
    "planning_inputs",
]

#: Baseline conversion rate used when the data cannot give one (4%).
DEFAULT_BASELINE_RATE = 0.04
#: Eligible visitors a day used when the data cannot give them.
DEFAULT_DAILY_USERS = 3000
#: Columns of :func:`planning_inputs`.
PLANNING_COLUMNS = [
    "input", "value", "ci_low", "ci_high", "sd", "variance", "numerator", "denominator",
    "data_value", "goal", "start", "end", "days", "source", "divides_en", "divides_ru",
    "note_en", "note_ru",
]  # fmt: skip


def planning_goal(client: Client) -> str:
    """The goal a plan is for: the first experiment's, else the funnel's last step, else purchase.

    Examples
    --------
    >>> from funnelkit import load_client
    >>> planning_goal(load_client(emit_warnings=False))
    'purchase'
    """
    if client.config.experiments:
        return client.config.experiments[0].goal
    if client.config.funnel.steps:
        return client.config.funnel.steps[-1]
    return "purchase"


def _window(client: Client) -> Window:
    """The analysis period, ending at the observation end when the data stop earlier."""
    period = window(client)
    end = max(period.start, min(period.end, observation_end(client)))
    return Window(period.start, end, "current")


def _money_sql(client: Client, win: Window) -> str | None:
    """SQL (customer_id, revenue) of the window's purchases, or None without money data."""
    if client.has("orders"):
        return f"SELECT customer_id, revenue FROM orders WHERE {win.sql(q('timestamp'))}"
    if client.has("events", "revenue"):
        return (
            "SELECT user_id AS customer_id, revenue FROM events "
            f"WHERE revenue IS NOT NULL AND {win.sql(q('timestamp'))}"
        )
    return None


def _goal_sql(client: Client, goal: str, win: Window) -> str | None:
    """Per-visitor flag SQL of the goal (inside ``GROUP BY user_id``), None if unmeasurable."""
    if goal not in ORDER_GOALS:
        return f"bool_or({sql_match('event', goal)})"
    money = _money_sql(client, win)
    return None if money is None else f"bool_or(user_id IN (SELECT customer_id FROM ({money})))"


def _outcome_baseline(client: Client, goal: str) -> tuple[int, int, str] | None:
    """(converted, users, experiment) of the control group when ``goal`` is an outcome column.

    An experiment whose goal is a flag on each user's row (``outcomes`` in ``client.yaml``)
    measures its own baseline: the control group's rate, not the events'.
    """
    for experiment in client.config.experiments:
        if experiment.outcomes and experiment.goal == goal and client.has("assignments"):
            users = experiment_outcomes(client, experiment)
            control = users[(users["variant"] == experiment.control)]
            control = control[control["excluded_reason"].isna()]
            return int(control["converted"].sum()), len(control), experiment.name
    return None


def _row(name: str, win: Window, goal: str, **values) -> dict:
    row = dict.fromkeys(PLANNING_COLUMNS, np.nan)
    row.update(input=name, goal=goal, start=win.start, end=win.end, days=win.days, source="data",
               note_en="", note_ru="")  # fmt: skip
    row.update(values)
    return row


def _use(row: dict, given: float | None, parameter: str, default: float, unit: str) -> dict:
    """Apply an override or, where the data gave nothing usable, the documented default.

    The notes say why the data's number is not used (for a client: no parameter names).
    """
    row["data_value"] = row["value"]
    cleared = {"ci_low": np.nan, "ci_high": np.nan}
    en, ru = ((lambda v, lang=lang: format_number(v, unit, language=lang)) for lang in ("en", "ru"))
    if given:
        data = not pd.isna(row["value"])
        return row | cleared | {
            "value": float(given), "source": "parameter",
            "note_en": f"the data give {en(row['value'])}" if data else "",
            "note_ru": f"по данным {ru(row['value'])}" if data else "",
        }  # fmt: skip
    if not (row["value"] > 0 and row["value"] < (1 if unit == "share" else np.inf)):
        # the reason stays in the notes; the value is called an assumption where it is shown
        return row | cleared | {"value": float(default), "source": "default"}
    return row


def _check_override(name: str, value: float | None, *, share: bool) -> float | None:
    if value is None or value == 0:
        return None
    if not value > 0 or (share and not value < 1):
        limit = "strictly between 0 and 1 (0.04 is 4%)" if share else "positive"
        raise AnalysisError(
            f"`{name}` must be {limit}, or 0 to take it from the client's data; "
            f"{value!r} was passed."
        )
    return float(value)


def planning_inputs(
    client: Client,
    *,
    goal: str | None = None,
    baseline_rate: float | None = None,
    daily_users: float | None = None,
) -> pd.DataFrame:
    """The numbers a test plan starts from, measured on the client's analysis period.

    Parameters
    ----------
    client
        A loaded client; ``events`` give visitors and the goal, ``orders`` the revenue. When
        the goal is an experiment's outcome column (a flag on each user's row), the baseline is
        that experiment's control-group rate.
    goal
        Event name or pattern (or ``revenue`` / ``orders``) whose rate is the baseline
        (default: :func:`planning_goal`).
    baseline_rate, daily_users
        Overrides: a number > 0 replaces what the data give (``source`` "parameter"); ``None``
        or 0 takes it from the data.

    Returns
    -------
    pandas.DataFrame
        One row per input, in :data:`PLANNING_COLUMNS`: ``baseline_rate`` (value, Wilson 95%
        ``ci_low``/``ci_high``, numerator = visitors reaching the goal, denominator = visitors),
        ``revenue_per_visitor`` (value = mean, ``sd``, ``variance``; numerator = revenue,
        denominator = visitors; only with money data and visitors) and ``daily_visitors``
        (numerator = visitor-days, denominator = days). ``data_value`` is what the data gave,
        ``source`` is "data", "parameter" or "default" (the data gave nothing usable; the
        notes say why), ``divides_en``/``divides_ru`` say what the number divides, ``start``,
        ``end`` (exclusive) and ``days`` the period it comes from.

    Raises
    ------
    AnalysisError
        An override out of range (a rate not in (0, 1), a negative number of users).

    Examples
    --------
    >>> from funnelkit import load_client
    >>> inputs = planning_inputs(load_client(emit_warnings=False)).set_index("input")
    >>> rate = inputs.loc["baseline_rate"]
    >>> int(rate["numerator"]), int(rate["denominator"]), rate["source"]
    (1484, 29532, 'data')
    >>> daily = inputs.loc["daily_visitors"]
    >>> round(float(daily["value"]), 1), int(daily["days"])
    (1018.8, 45)
    """
    given_rate = _check_override("baseline_rate", baseline_rate, share=True)
    given_daily = _check_override("daily_users", daily_users, share=False)
    goal = goal or planning_goal(client)
    win = _window(client)
    period = client.config.period
    visitors = converted = visitor_days = 0
    money = None
    if client.has("events"):
        in_win = win.sql(q("timestamp"))
        flag = _goal_sql(client, goal, win) or "FALSE"
        visitors, converted = client.con.sql(
            f"SELECT count(*), count_if(goal) FROM (SELECT user_id, {flag} AS goal FROM events "
            f"WHERE {in_win} GROUP BY user_id)"
        ).fetchall()[0]
        converted = converted or 0
        visitor_days = client.con.sql(
            f"SELECT count(*) FROM (SELECT DISTINCT user_id, CAST({q('timestamp')} AS DATE) "
            f"FROM events WHERE {in_win})"
        ).fetchall()[0][0]
        money = _money_sql(client, win)
    none_en = f"no events in the analysis period {period.start} – {period.end}"
    none_ru = f"нет событий за период анализа {period.start} – {period.end}"
    if not client.has("events"):
        none_en, none_ru = 'no "events" table', "нет таблицы «events»"
    why_en, why_ru = none_en, none_ru
    if visitors and converted == 0:
        why_en, why_ru = f'no visitor reached "{goal}"', f"ни один посетитель не достиг «{goal}»"
    low, high = proportion_ci(converted, visitors) if visitors else (np.nan, np.nan)
    rate = _row(
        "baseline_rate", win, goal, value=converted / visitors if visitors else np.nan,
        ci_low=low, ci_high=high, numerator=float(converted), denominator=float(visitors),
        divides_en=f"visitors with a \"{goal}\" {'order' if goal in ORDER_GOALS else 'event'} / "
                   "visitors with any event",
        divides_ru=f"посетители с {'заказом' if goal in ORDER_GOALS else 'событием'} «{goal}» / "
                   "посетители с любым событием",
        note_en=why_en, note_ru=why_ru,
    )  # fmt: skip
    if (found := _outcome_baseline(client, goal)) is not None and found[1]:
        hits, users, name = found
        low, high = proportion_ci(hits, users)
        rate |= {
            "value": hits / users, "ci_low": low, "ci_high": high, "numerator": float(hits),
            "denominator": float(users), "note_en": "", "note_ru": "",
            "divides_en": f'control users of "{name}" with "{goal}" / control users',
            "divides_ru": f"пользователи контрольной группы «{name}» с «{goal}» / "
                          "пользователи контрольной группы",
        }  # fmt: skip
    rows = [_use(rate, given_rate, "baseline_rate", DEFAULT_BASELINE_RATE, "share")]
    if money is not None and visitors:
        n, total, mean, variance = client.con.sql(
            f"SELECT count(*), sum(r), avg(r), var_samp(r) FROM (SELECT v.user_id, "
            f"COALESCE(sum(m.revenue), 0) AS r FROM (SELECT DISTINCT user_id FROM events "
            f"WHERE {win.sql(q('timestamp'))}) AS v LEFT JOIN ({money}) AS m "
            f"ON m.customer_id = v.user_id GROUP BY v.user_id)"
        ).fetchall()[0]
        variance = np.nan if variance is None else float(variance)
        rows.append(_row(
            "revenue_per_visitor", win, goal, value=float(mean), sd=float(np.sqrt(variance)),
            variance=variance, numerator=float(total), denominator=float(n), data_value=float(mean),
            divides_en="revenue of the visitors' orders / visitors with any event (0 without "
                       "orders)",
            divides_ru="выручка заказов посетителей / посетители с любым событием (0 без заказов)",
        ))  # fmt: skip
    daily = _row(
        "daily_visitors", win, goal, value=visitor_days / win.days if win.days else np.nan,
        numerator=float(visitor_days), denominator=win.days,
        divides_en="visitor-days (distinct visitors with any event, counted per day) / days",
        divides_ru="посетителе-дни (разные посетители с любым событием за каждый день) / дни",
        note_en=none_en, note_ru=none_ru,
    )  # fmt: skip
    rows.append(_use(daily, given_daily, "daily_users", DEFAULT_DAILY_USERS, "count"))
    frame = pd.DataFrame(rows, columns=PLANNING_COLUMNS)
    frame.loc[frame["source"] == "data", ["note_en", "note_ru"]] = ""
    return frame


def plan_from_inputs(
    inputs: pd.DataFrame,
    *,
    mde: float,
    alpha: float = 0.05,
    power: float = 0.8,
    variants: int = 2,
    test_days: int = 28,
) -> dict[str, pd.DataFrame]:
    """The test plan for the baseline and daily visitors of :func:`planning_inputs`.

    Parameters
    ----------
    inputs
        :func:`planning_inputs`.
    mde
        Relative lift to detect (0.10 is +10%).
    alpha, power, variants
        As in :func:`~funnelkit.abtest.design.sample_size_proportion`.
    test_days
        Days the test can run, for the smallest lift the available traffic can detect.

    Returns
    -------
    dict of pandas.DataFrame
        ``plan`` (:func:`~funnelkit.abtest.design.sample_size_proportion`), ``duration``
        (:func:`~funnelkit.abtest.design.days_needed` for its ``n_total``) and ``reachable``
        (:func:`~funnelkit.abtest.design.mde_proportion` with ``daily visitors × test_days /
        variants`` users per variant). A lift that would take the rate to 100% or past it
        (a 10% lift on a 95% baseline) has no sample size: ``plan`` then gives the baseline,
        the target and ``n_total`` NaN, and ``duration`` is empty; traffic too small to detect
        even a move to 100% gives ``reachable`` a NaN ``target`` and ``mde_rel``.

    Examples
    --------
    >>> inputs = pd.DataFrame({"input": ["baseline_rate", "daily_visitors"],
    ...                        "value": [0.04, 3000.0]})
    >>> design = plan_from_inputs(inputs, mde=0.10)
    >>> int(design["plan"]["n_variant"].iloc[0]), int(design["duration"]["days"].iloc[0])
    (39475, 27)
    >>> inputs.loc[0, "value"] = 0.95
    >>> plan_from_inputs(inputs, mde=0.10)["plan"]["n_total"].isna().all()
    np.True_
    """
    values = inputs.set_index("input")["value"]
    rate, daily = float(values["baseline_rate"]), float(values["daily_visitors"])
    options = {"alpha": alpha, "power": power, "variants": variants}
    per_variant = int(daily * test_days // variants)
    try:
        reachable = mde_proportion(rate, n_control=per_variant, **options)
    except AnalysisError:  # too few users for even a move to 100% (a rate near 100%)
        nan = float("nan")
        reachable = pd.DataFrame(
            {"baseline": [rate], "target": [nan], "mde_rel": [nan], "n_control": [per_variant]}
        )
    if rate * (1 + mde) >= 1:  # the lift would pass 100%: no test can show it
        plan = pd.DataFrame({"baseline": [rate], "target": [rate * (1 + mde)],
                             "mde_rel": [mde], "n_total": [float("nan")]})  # fmt: skip
        return {"plan": plan, "duration": pd.DataFrame(), "reachable": reachable}
    plan = sample_size_proportion(rate, mde=mde, relative=True, **options)
    duration = days_needed(int(plan["n_total"].iloc[0]), daily_users=daily)
    return {"plan": plan, "duration": duration, "reachable": reachable}
