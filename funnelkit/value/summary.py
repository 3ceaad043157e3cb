"""One row per customer from an orders table: the RFM summary the value models are fitted on.

Fader and Hardie's conventions (Fader, Hardie & Lee 2005, "Counting Your Customers the Easy
Way"): time is counted from each customer's *first* purchase, all purchases on the same day are
one purchase (their revenue added up), and

- ``x`` (frequency): repeat purchases, the distinct purchase days after the first one;
- ``t_x`` (recency): the time of the last purchase since the first (0 when ``x = 0``);
- ``T``: the time from the first purchase to the end of the calibration period;
- ``monetary``: the mean value of the repeat purchases (the first one is left out; 0 when
  ``x = 0``) — the ``zbar`` of the Gamma-Gamma model;
- with a holdout (``calibration_end`` given): ``x_holdout``, the purchase days after the
  calibration end up to ``end``, and ``duration_holdout``, the length of that period.

Times are in weeks (``unit="W"``) or days (``unit="D"``); a day ``d`` is observed to its end,
so on CDNOW (calibration end 1997-09-30, the end of week 39) a customer whose first purchase was
on 1997-01-01 has ``T = 272 / 7 = 38.86`` weeks.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..core.errors import DataError, ParameterError, did_you_mean

__all__ = ["UNITS", "rfm_summary"]

#: Time units of the summary and their length in days.
UNITS = {"W": 7.0, "D": 1.0}


def _day(value: Any, name: str) -> pd.Timestamp:
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise ParameterError(
            f"rfm_summary: `{name}` = {value!r} is not a date; give e.g. '1997-09-30'."
        ) from exc
    if stamp.tzinfo is not None:
        stamp = stamp.tz_localize(None)
    return stamp.normalize()


def rfm_summary(
    orders: pd.DataFrame,
    *,
    customer: str = "customer_id",
    timestamp: str = "timestamp",
    revenue: str | None = "revenue",
    end: Any = None,
    calibration_end: Any = None,
    unit: str = "W",
) -> pd.DataFrame:
    """Frequency, recency, age and mean repeat spend per customer (Fader-Hardie counts).

    Parameters
    ----------
    orders : DataFrame
        One row per order (several on one day are one purchase).
    customer, timestamp, revenue : str, keyword-only
        Column names; ``revenue=None`` leaves ``monetary`` out.
    end : date-like, optional
        Last day observed (default: the last order's day).
    calibration_end : date-like, optional
        Last day of the calibration period; later purchases go to the holdout columns
        ``x_holdout`` and ``duration_holdout``, and customers first seen after it are left out.
    unit : {"W", "D"}
        Time unit of ``t_x``, ``T`` and ``duration_holdout``: weeks or days.

    Returns
    -------
    DataFrame
        Indexed by customer, columns ``x``, ``t_x``, ``T``, ``first``, ``monetary`` and, with a
        holdout, ``x_holdout`` and ``duration_holdout``.

    Examples
    --------
    >>> orders = pd.DataFrame({"customer_id": ["a", "a", "a", "b"],
    ...     "timestamp": ["2024-01-01", "2024-01-01", "2024-01-08", "2024-01-05"],
    ...     "revenue": [10.0, 5.0, 20.0, 7.0]})
    >>> summary = rfm_summary(orders, end="2024-01-15")
    >>> summary[["x", "t_x", "T", "monetary"]].round(3).to_dict("list")
    {'x': [1, 0], 't_x': [1.0, 0.0], 'T': [2.0, 1.429], 'monetary': [20.0, 0.0]}
    """
    if unit not in UNITS:
        raise ParameterError(
            f"rfm_summary: `unit` = {unit!r} is not a time unit; use one of {sorted(UNITS)}."
            + did_you_mean(unit, UNITS)
        )
    wanted = [customer, timestamp] + ([revenue] if revenue is not None else [])
    missing = [c for c in wanted if c not in orders.columns]
    if missing:
        option = ("customer", "timestamp", "revenue")[wanted.index(missing[0])]
        raise DataError(
            f"rfm_summary: column {missing[0]!r} is not in the orders table (columns: "
            f"{list(orders.columns)}); name it with `{option}=`."
            + did_you_mean(missing[0], orders.columns),
            table="orders",
            column=missing[0],
        )
    frame = pd.DataFrame({"customer": orders[customer].to_numpy()})
    stamps = pd.to_datetime(orders[timestamp], errors="coerce")
    if getattr(stamps.dt, "tz", None) is not None:
        stamps = stamps.dt.tz_localize(None)
    bad = stamps.isna().to_numpy()
    if bad.any():
        raise DataError(
            f"rfm_summary: {int(bad.sum()):,} value(s) of {timestamp!r} are not times (e.g. "
            f"{orders[timestamp][bad].iloc[0]!r}); fix or drop those orders.",
            table="orders",
            column=timestamp,
            row_count=int(bad.sum()),
        )
    frame["day"] = stamps.dt.normalize().to_numpy()
    frame["revenue"] = (
        pd.to_numeric(orders[revenue], errors="coerce").to_numpy() if revenue else 0.0
    )
    if revenue and frame["revenue"].isna().any():
        raise DataError(
            f"rfm_summary: {int(frame['revenue'].isna().sum()):,} value(s) of {revenue!r} are "
            "not numbers; fix them or drop those orders.",
            table="orders",
            column=revenue,
        )
    if frame.empty:
        raise DataError("rfm_summary: the orders table is empty; there is nothing to summarise.")
    last_day = _day(end, "end") if end is not None else frame["day"].max()
    cal_day = _day(calibration_end, "calibration_end") if calibration_end is not None else last_day
    if cal_day > last_day:
        raise ParameterError(
            f"rfm_summary: `calibration_end` = {cal_day.date()} is after `end` = "
            f"{last_day.date()}; give a calibration end on or before the end."
        )
    frame = frame[frame["day"] <= last_day]
    # one purchase per customer and day, its revenue summed
    days = frame.groupby(["customer", "day"], sort=True, observed=True)["revenue"].sum()
    days = days.reset_index()
    first = days.groupby("customer", sort=False)["day"].transform("min")
    days = days[first <= cal_day]
    first = first[first <= cal_day]
    in_cal = (days["day"] <= cal_day).to_numpy()
    repeat = in_cal & (days["day"] > first).to_numpy()
    scale = pd.Timedelta(days=UNITS[unit])
    calibration = days[in_cal]
    grouped = calibration.groupby("customer", sort=True)
    out = pd.DataFrame(index=grouped.size().index)
    out.index.name = customer
    out["x"] = (grouped.size() - 1).astype("int64")
    start = grouped["day"].min()
    out["t_x"] = (grouped["day"].max() - start) / scale
    out["T"] = (cal_day - start) / scale
    out["first"] = start
    if revenue is not None:
        spend = days[repeat].groupby("customer")["revenue"].mean()
        out["monetary"] = spend.reindex(out.index).fillna(0.0)
    if calibration_end is not None:
        later = days[~in_cal].groupby("customer").size()
        out["x_holdout"] = later.reindex(out.index).fillna(0).astype("int64")
        out["duration_holdout"] = float((last_day - cal_day) / scale)
    return out


def _check_summary(summary: pd.DataFrame, columns: tuple[str, ...], what: str) -> dict:
    """The columns of a summary as float arrays, checked (internal helper of the models)."""
    missing = [c for c in columns if c not in summary.columns]
    if missing:
        raise DataError(
            f"{what}: the summary has no column {missing[0]!r} (columns: "
            f"{list(summary.columns)}); build it with funnelkit.value.rfm_summary or rename "
            f"the column to {missing[0]!r}." + did_you_mean(missing[0], summary.columns),
            column=missing[0],
        )
    arrays = {c: np.asarray(summary[c], dtype=float) for c in columns}
    for name, values in arrays.items():
        if not np.all(np.isfinite(values)) or np.any(values < 0):
            raise DataError(
                f"{what}: column {name!r} has negative or missing values (e.g. "
                f"{values[~(np.isfinite(values) & (values >= 0))][0]}); every value must be a "
                "number ≥ 0.",
                column=name,
            )
    return arrays
