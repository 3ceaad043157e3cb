"""Calibration/holdout check of BG/NBD: predicted against actual repeat purchases.

As in Fader, Hardie & Lee (2005, "Counting Your Customers the Easy Way", figures 2-4): the
orders are split at the calibration end, BG/NBD is fitted on the calibration period, and

- per calibration frequency (0, 1, …, 6 and 7+ repeat purchases) the mean number of repeat
  purchases each customer made in the holdout is set against the model's conditional
  expectation (:func:`~funnelkit.value.bgnbd.conditional_expected_purchases`);
- week by week, the cumulative repeat purchases of the calibration customers are set against
  the sum over customers of :func:`~funnelkit.value.bgnbd.expected_purchases` at each
  customer's age (time since their first purchase).

Purchases are purchase days (several orders of a customer on one day are one), as in
:func:`~funnelkit.value.rfm_summary`; only customers whose first purchase is in the calibration
period are followed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..core.errors import DataError, ParameterError
from ..data.validate import q
from ..metrics.base import Window
from .bgnbd import expected_purchases, fit_bgnbd
from .clv import MIN_CUSTOMERS, analysis_window
from .forecast import predicted_purchases
from .mle import ModelFit
from .summary import rfm_summary

if TYPE_CHECKING:
    from ..data.loader import Client

__all__ = ["HoldoutCheck", "holdout_check"]

#: The frequency buckets of the chart: 0 … 6 repeat purchases, then 7 or more.
TOP_BUCKET = 7


@dataclass(frozen=True)
class HoldoutCheck:
    """The BG/NBD holdout check: the fit, the chart by frequency, totals and the weekly curve.

    Attributes
    ----------
    fit : ModelFit
        BG/NBD fitted on the calibration period.
    by_frequency : DataFrame
        ``frequency`` ("0" … "6", "7+"), ``customers``, ``actual`` and ``predicted`` (mean
        holdout repeat purchases per customer), ``actual_total``, ``predicted_total``.
    totals : DataFrame
        One row: ``calibration_end``, ``holdout_end``, ``holdout_weeks``, ``customers``,
        ``actual``, ``predicted`` (holdout repeat purchases) and ``error`` (predicted / actual
        − 1).
    weekly : DataFrame
        ``week`` (end of week), ``weeks`` (since the first purchase day), ``period``
        (calibration/holdout), ``actual`` and ``expected`` cumulative repeat purchases.
    """

    fit: ModelFit
    by_frequency: pd.DataFrame
    totals: pd.DataFrame
    weekly: pd.DataFrame


def _day(value: Any, name: str) -> pd.Timestamp:
    try:
        return pd.Timestamp(value).normalize()
    except (TypeError, ValueError) as exc:
        raise ParameterError(
            f"holdout_check: `{name}` = {value!r} is not a date; give e.g. '1997-09-30'."
        ) from exc


def _split(client: Client, calibration_end: Any, holdout_weeks: float | None, period: Any):
    chosen: Window = analysis_window(client, period)
    cal_end = (
        _day(calibration_end, "calibration_end")
        if calibration_end is not None
        else pd.Timestamp(chosen.start - timedelta(days=1)).normalize()
    )
    if holdout_weeks is not None:
        if not holdout_weeks > 0:
            raise ParameterError(
                f"holdout_check: `holdout_weeks` = {holdout_weeks!r} must be a number > 0."
            )
        end = cal_end + pd.Timedelta(days=round(7 * holdout_weeks))
    else:
        end = pd.Timestamp(chosen.end - timedelta(days=1)).normalize()
    if end <= cal_end:
        raise ParameterError(
            f"holdout_check: the holdout ends on {end.date()}, not after the calibration end "
            f"{cal_end.date()}; give an earlier `calibration_end` or a positive `holdout_weeks`."
        )
    return cal_end, end


def holdout_check(
    client: Client,
    *,
    calibration_end: Any = None,
    holdout_weeks: float | None = None,
    period: Any = "current",
) -> HoldoutCheck:
    """Fit BG/NBD on the calibration period and compare its predictions with the holdout.

    Parameters
    ----------
    client : funnelkit.data.loader.Client
        A client with an ``orders`` table.
    calibration_end : date-like, keyword-only
        Last day of the calibration period; default the day before the analysis period starts.
    holdout_weeks : float, optional
        Length of the holdout; default up to the analysis period's last day.
    period : "current", "previous", Window or (start, end)
        The analysis period the defaults come from.

    Returns
    -------
    HoldoutCheck
        The fit and the tidy frames ``by_frequency``, ``totals`` and ``weekly``.

    Raises
    ------
    DataError
        No orders table or orders, fewer than 50 calibration customers, or no repeat buyers.

    Examples
    --------
    >>> from funnelkit import load_client
    >>> check = holdout_check(load_client(emit_warnings=False))
    >>> check.by_frequency["frequency"].tolist()
    ['0', '1', '2', '3', '4', '5', '6', '7+']
    """
    if not client.has("orders"):
        raise DataError(
            "holdout_check: the client has no orders table; add one under data.orders in "
            "client.yaml (order_id, customer_id, timestamp, revenue).",
            table="orders",
        )
    cal_end, end = _split(client, calibration_end, holdout_weeks, period)
    orders = client.sql(
        f"SELECT customer_id, {q('timestamp')} AS timestamp FROM orders "
        f"WHERE {q('timestamp')} < TIMESTAMP '{end + pd.Timedelta(days=1):%Y-%m-%d}'"
    )
    if orders.empty:
        raise DataError(
            f"holdout_check: no orders up to {end.date()}; add the order history.",
            table="orders",
        )
    summary = rfm_summary(orders, revenue=None, calibration_end=cal_end, end=end, unit="W")
    if len(summary) < MIN_CUSTOMERS or not (summary["x"] > 0).any():
        raise DataError(
            f"holdout_check: {len(summary):,} customer(s) first bought by {cal_end.date()}, "
            f"{int((summary['x'] > 0).sum())} of them again; the check needs at least "
            f"{MIN_CUSTOMERS} customers and repeat buyers — choose a later `calibration_end`."
        )
    fit = fit_bgnbd(summary)
    duration = float(summary["duration_holdout"].iloc[0])
    predicted = predicted_purchases(fit, duration, summary["x"], summary["t_x"], summary["T"])
    frame = pd.DataFrame(
        {
            "bucket": np.minimum(summary["x"].to_numpy(), TOP_BUCKET),
            "actual": summary["x_holdout"].to_numpy(dtype=float),
            "predicted": predicted,
        }
    )
    grouped = frame.groupby("bucket")
    by_frequency = pd.DataFrame(
        {
            "customers": grouped.size(),
            "actual": grouped["actual"].mean(),
            "predicted": grouped["predicted"].mean(),
            "actual_total": grouped["actual"].sum(),
            "predicted_total": grouped["predicted"].sum(),
        }
    ).reindex(range(TOP_BUCKET + 1))
    by_frequency["customers"] = by_frequency["customers"].fillna(0).astype(int)
    labels = [str(k) if k < TOP_BUCKET else f"{TOP_BUCKET}+" for k in by_frequency.index]
    by_frequency.insert(0, "frequency", labels)
    actual, expected = float(frame["actual"].sum()), float(frame["predicted"].sum())
    totals = pd.DataFrame(
        {
            "calibration_end": [cal_end],
            "holdout_end": [end],
            "holdout_weeks": [duration],
            "customers": [len(summary)],
            "actual": [actual],
            "predicted": [expected],
            "error": [expected / actual - 1 if actual else np.nan],
        }
    )
    weekly = _weekly(orders, summary, fit, cal_end, end)
    return HoldoutCheck(fit, by_frequency.reset_index(drop=True), totals, weekly)


def _weekly(orders, summary, fit, cal_end, end) -> pd.DataFrame:
    """Cumulative repeat purchases by week: actual against BG/NBD's expectation."""
    days = pd.DataFrame(
        {
            "customer": orders["customer_id"].to_numpy(),
            "day": pd.to_datetime(orders["timestamp"]).dt.normalize().to_numpy(),
        }
    ).drop_duplicates()
    first = summary["first"]
    days = days[days["customer"].isin(first.index)]
    days = days[days["day"] > days["customer"].map(first)]  # repeat purchase days only
    start = first.min()
    ends = pd.date_range(start + pd.Timedelta(days=6), end, freq="7D")
    if len(ends) == 0 or ends[-1] < end:
        ends = ends.append(pd.DatetimeIndex([end]))
    repeat_days = np.sort(days["day"].to_numpy())
    actual = np.searchsorted(repeat_days, ends.to_numpy(), side="right")
    cohort = first.value_counts()
    firsts = pd.DatetimeIndex(cohort.index).to_numpy()
    ages = (ends.to_numpy()[:, None] - firsts[None, :]) / np.timedelta64(7, "D")
    ages = np.clip(ages.astype(float), 0.0, None)
    with np.errstate(all="ignore"):
        found = expected_purchases(fit, ages)
    if not np.all(np.isfinite(found)):
        zero = np.zeros_like(ages)
        found = predicted_purchases(fit, ages, zero, zero, zero)
    expected = found @ cohort.to_numpy(dtype=float)
    return pd.DataFrame(
        {
            "week": ends,
            "weeks": ((ends - start) / pd.Timedelta(days=7)).to_numpy(dtype=float).round(3),
            "period": np.where(ends <= cal_end, "calibration", "holdout"),
            "actual": actual.astype(int),
            "expected": expected,
        }
    )
