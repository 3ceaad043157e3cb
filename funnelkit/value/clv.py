"""Predictive customer lifetime value: BG/NBD purchases × Gamma-Gamma spend × margin.

Per customer, over the next ``horizon_weeks`` after the end of the calibration data (the end of
the analysis period)::

    clv = expected_purchases × expected_spend × margin

``expected_purchases`` is BG/NBD's conditional expectation given the customer's ``(x, t_x, T)``
(:func:`~funnelkit.value.bgnbd.conditional_expected_purchases`), ``expected_spend`` the
Gamma-Gamma posterior mean spend per purchase
(:func:`~funnelkit.value.gammagamma.conditional_expected_spend`, the population mean for a
customer who never bought again) and ``margin`` ``metrics.gross_margin`` (1 when not set: the
CLV is then revenue, and the notes say so). With ``discount_rate_annual > 0`` each week's
expected purchases are discounted at the equivalent weekly rate ``(1 + d)^(7/365.25) − 1``.

The interval of the mean CLV is a parametric bootstrap over the parameter uncertainty only: the
four BG/NBD and three Gamma-Gamma parameters are drawn from normals on the log scale whose
covariance is the fitted one mapped by the delta method (``cov / (θ θᵀ)``), the two models
independently; each draw recomputes every customer's CLV (the discount factors stay those of
the fitted parameters) and the 2.5% and 97.5% quantiles of the mean CLV are the interval. It
does not contain the purchase-to-purchase randomness of single customers (see
:mod:`funnelkit.value.forecast`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..core.errors import DataError, ParameterError
from ..data.validate import q
from ..metrics.base import Window, window as client_window
from ..metrics.catalogue import compute_metric
from ..metrics.channels import margin as client_margin
from .bgnbd import fit_bgnbd, probability_alive
from .checks import assumptions as stated_assumptions, caveats as forecast_caveats
from .forecast import bootstrap_mean_clv, check_options, discount_factors, predicted_purchases
from .gammagamma import conditional_expected_spend, fit_gammagamma
from .mle import ModelFit
from .newcomer import first_purchase_spend, new_customer_value
from .summary import UNITS, _check_summary, rfm_summary

if TYPE_CHECKING:
    from ..data.loader import Client

__all__ = ["MIN_CUSTOMERS", "CustomerValue", "customer_value", "value_from_summary"]

#: Fewest customers the models are fitted on.
MIN_CUSTOMERS = 50
YEAR_DAYS = 365.25


@dataclass(frozen=True)
class CustomerValue:
    """Predicted value of every customer, the two fits, and what they rest on.

    Attributes
    ----------
    purchases, spend : ModelFit
        The BG/NBD and Gamma-Gamma fits (``.table()`` for the tidy parameter frames).
    customers : DataFrame
        One row per customer: ``customer_id, frequency, recency, T, monetary, p_alive,
        expected_purchases, expected_spend, clv`` (times in ``unit``).
    totals : DataFrame
        ``quantity, value, ci_low, ci_high, note``: customers, repeat buyers, expected
        purchases, total and mean CLV (the CLV rows with the bootstrap interval).
    assumptions : list of str
        Plain English sentences: spend-frequency independence, repeat buyers, convergence,
        margin, horizon and discounting.
    comparison : DataFrame
        ``method, value, note``: the model's mean CLV, its value of a new customer, and the
        articles' simple CLV.
    caveats : list of str
        Why the forecast is only indicative (codes of :func:`funnelkit.value.checks.caveats`:
        ``short_history``, ``not_converged``, ``few_repeat_buyers``); empty when none applies.
    new_customer : DataFrame
        :func:`~funnelkit.value.newcomer.new_customer_value`: a just-acquired customer's first
        order and expected repeat purchases over the horizon (:func:`customer_value` only).
    history_weeks : float
        The longest customer history (first purchase to the calibration end), in weeks.
    """

    purchases: ModelFit
    spend: ModelFit
    customers: pd.DataFrame
    totals: pd.DataFrame
    assumptions: list[str]
    comparison: pd.DataFrame
    horizon_weeks: float
    discount_rate_annual: float
    margin: float
    margin_note: str
    unit: str
    draws: pd.Series = field(repr=False, default_factory=lambda: pd.Series(dtype=float))
    window: Window | None = None
    caveats: list[str] = field(default_factory=list)
    new_customer: pd.DataFrame = field(default_factory=pd.DataFrame)
    history_weeks: float = float("nan")

    @property
    def reliable(self) -> bool:
        """True when no caveat applies (otherwise read the predictions as indicative)."""
        return not self.caveats

    @property
    def mean_clv(self) -> float:
        """The mean predicted CLV per customer."""
        return float(self.customers["clv"].mean())

    def total(self, quantity: str) -> pd.Series:
        """The ``totals`` row of one quantity (``value``, ``ci_low``, ``ci_high``, ``note``)."""
        rows = self.totals.set_index("quantity")
        if quantity not in rows.index:
            raise ParameterError(
                f"CustomerValue.total: {quantity!r} is not a quantity; use one of "
                f"{list(rows.index)}."
            )
        return rows.loc[quantity]


def value_from_summary(
    summary: pd.DataFrame,
    *,
    horizon_weeks: float = 52.0,
    discount_rate_annual: float = 0.0,
    margin: float = 1.0,
    margin_note: str = "on revenue: no margin applied",
    unit: str = "W",
    draws: int = 500,
    seed: int = 0,
) -> CustomerValue:
    """Fit BG/NBD and Gamma-Gamma on an RFM summary and predict every customer's value.

    Parameters
    ----------
    summary : DataFrame
        One row per customer with ``x``, ``t_x``, ``T`` (in ``unit``) and ``monetary``, e.g.
        from :func:`funnelkit.value.rfm_summary`; its index is the customer id.
    horizon_weeks, discount_rate_annual, margin, margin_note, unit, draws, seed : keyword-only
        The horizon, annual discount rate, margin share and the note saying where it came
        from, the summary's time unit, the number of bootstrap draws (0: no interval) and
        their seed.

    Returns
    -------
    CustomerValue
        With an empty ``comparison`` (:func:`customer_value` adds the articles' CLV).

    Examples
    --------
    >>> from funnelkit.value.simulate import simulate_bgnbd, simulate_gammagamma
    >>> data = simulate_bgnbd(2000, r=0.5, alpha=5.0, a=0.8, b=2.5, T=40.0, seed=1)
    >>> data["monetary"] = 0.0
    >>> repeat = data["x"] > 0
    >>> data.loc[repeat, "monetary"] = simulate_gammagamma(
    ...     data.loc[repeat, "x"], p=6, q=4, gamma=15, seed=2)
    >>> value = value_from_summary(data, draws=100)
    >>> row = value.total("clv_mean")
    >>> bool(row["ci_low"] < row["value"] < row["ci_high"])
    True
    """
    check_options(horizon_weeks, discount_rate_annual, margin, unit, draws)
    _check_summary(summary, ("x", "t_x", "T", "monetary"), "customer_value")
    n = len(summary)
    repeat = int((summary["x"] > 0).sum())
    if n < MIN_CUSTOMERS:
        raise DataError(
            f"customer_value: {n} customer(s) with orders; the models need at least "
            f"{MIN_CUSTOMERS} — use a longer history (an earlier start of the orders export)."
        )
    if repeat < 3:
        raise DataError(
            f"customer_value: {repeat} of {n:,} customers bought again; the models need repeat "
            "buyers — use a longer history, or check that customer_id identifies a customer "
            "across orders."
        )
    purchases = fit_bgnbd(summary)
    spend = fit_gammagamma(summary)
    x, t_x, T = (summary[c].to_numpy(dtype=float) for c in ("x", "t_x", "T"))
    zbar = summary["monetary"].to_numpy(dtype=float)
    step = 7.0 / UNITS[unit]
    horizon = horizon_weeks * step
    weekly = (1.0 + discount_rate_annual) ** (7.0 / YEAR_DAYS) - 1.0
    # identical histories get identical predictions: compute once per distinct row
    keys = pd.DataFrame({"x": x, "t_x": t_x, "T": T, "monetary": zbar})
    distinct = keys.drop_duplicates().reset_index(drop=True)
    index = pd.MultiIndex.from_frame(distinct)
    inverse = index.get_indexer(pd.MultiIndex.from_frame(keys))
    weights = np.bincount(inverse, minlength=len(distinct)).astype(float)
    dx, dtx, dT = (distinct[c].to_numpy() for c in ("x", "t_x", "T"))
    distinct["horizon"] = horizon
    distinct["factor"] = (
        discount_factors(purchases, dx, dtx, dT, horizon, step, weekly) if weekly > 0 else 1.0
    )
    expected = predicted_purchases(purchases, horizon, dx, dtx, dT)
    expected = expected * distinct["factor"].to_numpy()
    spend_each = conditional_expected_spend(spend, dx, distinct["monetary"].to_numpy())
    customers = pd.DataFrame(
        {
            "customer_id": summary.index.to_numpy(),
            "frequency": summary["x"].to_numpy(),
            "recency": t_x,
            "T": T,
            "monetary": zbar,
            "p_alive": probability_alive(purchases, x, t_x, T),
            "expected_purchases": expected[inverse],
            "expected_spend": spend_each[inverse],
        }
    )
    customers["clv"] = customers["expected_purchases"] * customers["expected_spend"] * margin
    means = bootstrap_mean_clv(
        purchases, spend, distinct, weights, share=margin, draws=draws, seed=seed
    )
    finite = means[np.isfinite(means)] if means.size else means
    low, high = np.quantile(finite, [0.025, 0.975]) if finite.size >= 20 else (np.nan, np.nan)
    ci_note = (
        f"95% parametric bootstrap over the parameter uncertainty, {finite.size} of {draws} draws"
        if finite.size >= 20
        else "no interval: the fits' covariance is not available or too few draws were usable"
    )
    mean = float(customers["clv"].mean())
    totals = pd.DataFrame(
        [
            ("customers", float(n), np.nan, np.nan, "customers in the calibration data"),
            ("repeat_buyers", float(repeat), np.nan, np.nan, "customers with x > 0"),
            ("expected_purchases", float(customers["expected_purchases"].sum()), np.nan,
             np.nan, f"next {horizon_weeks:g} weeks, all customers"),
            ("clv_total", mean * n, low * n, high * n, f"{margin_note}; {ci_note}"),
            ("clv_mean", mean, low, high, f"{margin_note}; {ci_note}"),
        ],
        columns=["quantity", "value", "ci_low", "ci_high", "note"],
    )  # fmt: skip
    assumptions = stated_assumptions(
        summary, purchases, spend, margin_note=margin_note, horizon_weeks=horizon_weeks,
        rate=discount_rate_annual,
    )  # fmt: skip
    history = float(summary["T"].max()) / step
    return CustomerValue(
        purchases=purchases,
        spend=spend,
        customers=customers,
        totals=totals,
        assumptions=assumptions,
        comparison=pd.DataFrame(columns=["method", "value", "note"]),
        horizon_weeks=float(horizon_weeks),
        discount_rate_annual=float(discount_rate_annual),
        margin=float(margin),
        margin_note=margin_note,
        unit=unit,
        draws=pd.Series(finite, name="clv_mean"),
        caveats=forecast_caveats(
            purchases, spend, repeat=repeat, history_weeks=history, horizon_weeks=horizon_weeks
        ),
        history_weeks=history,
    )


def analysis_window(client: Client, period: Any) -> Window:
    """The client's window; a ``(start, end)`` of date strings is read as dates (inclusive)."""
    if isinstance(period, tuple) and all(isinstance(v, str) for v in period):
        try:
            period = tuple(pd.Timestamp(v).date() for v in period)
        except ValueError as exc:
            raise ParameterError(
                f"`period` = {period!r} is not a pair of dates; give e.g. "
                "('1997-01-01', '1997-09-30')."
            ) from exc
    return client_window(client, period)


def _orders_until(client: Client, end) -> pd.DataFrame:
    if not client.has("orders"):
        raise DataError(
            "customer_value: the client has no orders table; add one under data.orders in "
            "client.yaml (order_id, customer_id, timestamp, revenue).",
            table="orders",
        )
    orders = client.sql(
        f"SELECT customer_id, {q('timestamp')} AS timestamp, revenue FROM orders "
        f"WHERE {q('timestamp')} < TIMESTAMP '{end:%Y-%m-%d %H:%M:%S}'"
    )
    if orders.empty:
        raise DataError(
            f"customer_value: no orders before {end:%Y-%m-%d}; add the order history (the "
            "orders table) or choose a later period.",
            table="orders",
        )
    return orders


def customer_value(
    client: Client,
    *,
    horizon_weeks: float = 52.0,
    period: Any = "current",
    discount_rate_annual: float = 0.0,
    margin: float | None = None,
    unit: str = "W",
    draws: int = 500,
    seed: int = 0,
) -> CustomerValue:
    """Predictive CLV of every customer, calibrated on all orders up to the period's end.

    Parameters
    ----------
    client : funnelkit.data.loader.Client
        A client with an ``orders`` table.
    horizon_weeks : float, keyword-only
        How far ahead the value is predicted (52: a year).
    period : "current", "previous", Window or (start, end)
        Its end is the calibration end: every order before it counts.
    discount_rate_annual : float
        Annual discount rate applied week by week (0: none).
    margin : float, optional
        Gross margin share; None takes ``metrics.gross_margin`` (1 when unset: revenue).
    unit : {"W", "D"}
        Time unit of the summary columns.
    draws, seed : int
        Bootstrap draws of the parameters and their seed.

    Returns
    -------
    CustomerValue
        See :class:`CustomerValue`; ``comparison`` holds the articles' simple CLV
        (``compute_metric(client, "clv")``) beside the model's.

    Raises
    ------
    DataError
        No orders table or orders, fewer than 50 customers, or no repeat buyers.

    Examples
    --------
    >>> from funnelkit import load_client
    >>> client = load_client(emit_warnings=False)
    >>> value = customer_value(client, draws=50)
    >>> value.customers.columns.tolist()[:4]
    ['customer_id', 'frequency', 'recency', 'T']
    >>> value.comparison["method"].tolist()
    ['BG/NBD + Gamma-Gamma', 'BG/NBD + Gamma-Gamma, new customer', 'simple (articles)']
    >>> value.caveats  # the demo's orders cover 13 weeks, the horizon is 52
    ['short_history']
    """
    check_options(horizon_weeks, discount_rate_annual, margin, unit, draws)
    chosen = analysis_window(client, period)
    orders = _orders_until(client, chosen.end)
    if margin is None:
        share, margin_note = client_margin(client)
    else:
        share, margin_note = float(margin), f"gross margin {margin:.0%} applied (given)"
    last_day = chosen.end - timedelta(days=1)
    summary = rfm_summary(orders, end=last_day, unit=unit)
    value = value_from_summary(
        summary, horizon_weeks=horizon_weeks, discount_rate_annual=discount_rate_annual,
        margin=share, margin_note=margin_note, unit=unit, draws=draws, seed=seed,
    )  # fmt: skip
    step = 7.0 / UNITS[unit]
    newcomer = new_customer_value(
        value.purchases, value.spend, first_purchase_spend(orders), horizon=horizon_weeks * step,
        step=step, weekly=(1.0 + discount_rate_annual) ** (7.0 / YEAR_DAYS) - 1.0, margin=share,
        draws=draws, seed=seed,
    )  # fmt: skip
    simple = _simple_clv(client, chosen)
    mean = value.total("clv_mean")
    fresh = newcomer.set_index("component").loc["value"]
    comparison = pd.DataFrame(
        {
            "method": ["BG/NBD + Gamma-Gamma", "BG/NBD + Gamma-Gamma, new customer",
                       "simple (articles)"],
            "value": [float(mean["value"]), float(fresh["value"]), simple[0]],
            "note": [
                f"mean predicted CLV of the next {horizon_weeks:g} weeks' purchases of the "
                f"current customers (past ones not counted); {mean['note']}",
                f"a just-acquired customer: first order + the next {horizon_weeks:g} weeks' "
                f"expected repeat purchases; {margin_note}",
                simple[1],
            ],
        }
    )  # fmt: skip
    return dataclasses.replace(value, comparison=comparison, window=chosen, new_customer=newcomer)


def _simple_clv(client: Client, chosen: Window) -> tuple[float, str]:
    try:
        row = compute_metric(client, "clv", period=chosen)
    except DataError as exc:
        return np.nan, f"not computed: {exc}"
    if row.empty:
        return np.nan, "not computed: no buyers in the period"
    note = str(row["note"].iloc[0]) if pd.notna(row["note"].iloc[0]) else ""
    return float(row["value"].iloc[0]), "purchases per year × AOV × lifetime (× margin); " + note
