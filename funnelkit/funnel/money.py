"""The biggest leak and the money at stake, ranked as opportunities.

For each step k ≥ 2 the users lost there are ``users(k−1) − users(k)``. Had they gone on like
those who passed step k, a share ``users(last) / users(k)`` (the *downstream conversion*) would
have reached the last step, each worth the average order value (AOV):

    value = lost × downstream_conversion × aov

**Interval.** The downstream conversion has a Wilson 95% interval and the AOV a t 95% interval;
``value_low = lost × conversion_low × aov_low`` and ``value_high = lost × conversion_high ×
aov_high``. Multiplying bounds this way is conservative (wider than a joint 95% interval), which
is stated rather than hidden. The AOV comes from ``orders`` in the period; without orders, from
``revenue`` on the last step's events; without either it is NaN and a note says so.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..core.formatting import format_number
from ..core.patterns import sql_match
from ..core.stats import wilson

__all__ = ["average_order_value", "leak_opportunities", "leak_sentence"]

_COLUMNS = [
    "rank", "step_number", "step", "previous_step", "lost_users", "downstream_conversion",
    "downstream_ci_low", "downstream_ci_high", "lost_conversions", "aov", "aov_ci_low",
    "aov_ci_high", "value", "value_low", "value_high", "currency", "aov_source", "note",
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
        ``aov, aov_ci_low, aov_ci_high, orders, source`` ("orders", "events" or None) and
        ``note`` (why the AOV is NaN, or "").

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
                "source": None, "note": note}  # fmt: skip
    count, mean, sd = client.con.sql(
        f"SELECT count(*), avg(revenue), stddev_samp(revenue) FROM ({table})"
    ).fetchall()[0]
    mean = math.nan if mean is None else float(mean)
    sd = math.nan if sd is None else float(sd)
    low, high = _t_interval(int(count), mean, sd)
    note = "" if count else f"no orders in the period (source: {source}): the AOV is unknown"
    return {"aov": mean, "aov_ci_low": low, "aov_ci_high": high, "orders": int(count),
            "source": source if count else None, "note": note}  # fmt: skip


def leak_opportunities(
    steps_table: pd.DataFrame,
    *,
    aov: float,
    aov_ci: tuple[float, float] = (math.nan, math.nan),
    currency: str = "EUR",
    aov_source: str | None = None,
    note: str = "",
) -> pd.DataFrame:
    """Rank the steps by the money lost there: one row per step k ≥ 2, biggest first.

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

    Returns
    -------
    pandas.DataFrame
        ``rank`` (1 = biggest), ``step_number, step, previous_step, lost_users`` (users of the
        previous step who did not reach this one), ``downstream_conversion`` (users of the last
        step / users of this step) with its Wilson ``downstream_ci_low/high``,
        ``lost_conversions`` (lost × downstream conversion), ``aov, aov_ci_low, aov_ci_high``,
        ``value`` (lost_conversions × aov), ``value_low, value_high`` (low × low, high × high),
        ``currency, aov_source, note``. Ranked by ``lost_conversions`` (= by value).

    Examples
    --------
    >>> table = pd.DataFrame({"step_number": [1, 2, 3], "step": ["view", "cart", "buy"],
    ...                       "users": [1000, 200, 100]})
    >>> leaks = leak_opportunities(table, aov=50.0, aov_ci=(40.0, 60.0))
    >>> leaks[["rank", "step", "lost_users", "downstream_conversion", "value"]]
       rank  step  lost_users  downstream_conversion    value
    0     1  cart         800                    0.5  20000.0
    1     2   buy         100                    1.0   5000.0
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
        }
    )
    passed = users[1:]
    with np.errstate(invalid="ignore", divide="ignore"):
        frame["downstream_conversion"] = np.where(passed > 0, last / passed, np.nan)
    frame["downstream_ci_low"], frame["downstream_ci_high"] = wilson(
        np.full(passed.shape, last).clip(max=passed), passed
    )
    frame["lost_conversions"] = frame["lost_users"] * frame["downstream_conversion"]
    frame["aov"], (frame["aov_ci_low"], frame["aov_ci_high"]) = aov, aov_ci
    frame["value"] = frame["lost_conversions"] * aov
    frame["value_low"] = frame["lost_users"] * frame["downstream_ci_low"] * aov_ci[0]
    frame["value_high"] = frame["lost_users"] * frame["downstream_ci_high"] * aov_ci[1]
    frame["currency"], frame["aov_source"], frame["note"] = currency, aov_source, note
    frame = frame.sort_values(
        ["lost_conversions", "lost_users"], ascending=False, kind="stable", na_position="last"
    ).reset_index(drop=True)
    frame["rank"] = np.arange(1, len(frame) + 1)
    return frame[_COLUMNS]


_SENTENCES = {
    "en": (
        "The biggest leak is between **{previous}** and **{step}**: {lost} users stopped there. "
        "Had they continued like those who passed, about {conversions} more would have reached "
        "**{last}**, worth about **{value}** (95% interval {low} to {high}) in the period."
    ),
    "ru": (
        "Самая большая утечка — между **{previous}** и **{step}**: здесь остановились {lost} "
        "пользователей. Если бы они шли дальше, как прошедшие этот шаг, примерно ещё "
        "{conversions} дошли бы до **{last}** — это около **{value}** (95% интервал от {low} до "
        "{high}) за период."
    ),
}
_NO_MONEY = {
    "en": " The money at stake is unknown ({note}).",
    "ru": " Сумму в деньгах оценить нельзя ({note}).",
}
_NO_LEAK = {"en": "No users were lost between the steps.", "ru": "Между шагами никто не потерян."}


def leak_sentence(
    frame: pd.DataFrame, language: str = "en", *, last_step: str | None = None
) -> str:
    """The biggest leak and its money at stake in one sentence (Markdown), English or Russian.

    Parameters
    ----------
    frame : pandas.DataFrame
        The frame of :func:`leak_opportunities`.
    language : {"en", "ru"}
        Language of the sentence.
    last_step : str, optional
        Name of the funnel's last step (default: the last step in ``frame``).

    Examples
    --------
    >>> table = pd.DataFrame({"step_number": [1, 2], "step": ["view", "buy"],
    ...                       "users": [1000, 100]})
    >>> print(leak_sentence(leak_opportunities(table, aov=50.0, aov_ci=(40.0, 60.0))))
    ... # doctest: +NORMALIZE_WHITESPACE
    The biggest leak is between **view** and **buy**: 900 users stopped there. Had they
    continued like those who passed, about 900 more would have reached **buy**, worth about
    **€45,000.00** (95% interval €34,668.23 to €54,000.00) in the period.
    """
    language = language if language in _SENTENCES else "en"
    if frame.empty or frame["lost_users"].max() <= 0:
        return _NO_LEAK[language]
    top = frame.iloc[0]
    last = last_step or str(frame.sort_values("step_number")["step"].iloc[-1])
    currency = str(top["currency"])

    def money(value: float) -> str:
        return format_number(float(value), "money", language=language, currency=currency)

    def count(value: float) -> str:
        return format_number(float(round(value)), "count", language=language)

    text = _SENTENCES[language].format(
        previous=top["previous_step"], step=top["step"], lost=count(top["lost_users"]),
        conversions=count(top["lost_conversions"]), last=last, value=money(top["value"]),
        low=money(top["value_low"]), high=money(top["value_high"]),
    )  # fmt: skip
    if not math.isfinite(float(top["value"])):
        cut = text.split(", worth")[0] if language == "en" else text.split(" — это")[0]
        text = cut + "." + _NO_MONEY[language].format(note=top["note"] or "no AOV")
    return text
