"""The value of a new customer: the first order plus the repeat purchases the models expect.

The source articles' simple CLV is what a customer brings from their first order on (orders per
year × average order value × lifetime). The model figure that compares with it is the value of a
customer who has just made a first purchase, over ``horizon`` weeks::

    value = margin × (first-order spend + Σ_k d_k · (E[X(t_k)] − E[X(t_{k−1})]) · E[Z])

- ``E[X(t)]``: BG/NBD's expected repeat purchases in ``(0, t]`` of a just-acquired customer
  (Fader, Hardie & Lee 2005, eq. 7; :func:`~funnelkit.value.bgnbd.expected_purchases`, here
  through :func:`~funnelkit.value.forecast.predicted_purchases` at ``x = t_x = T = 0``, which is
  the same expression and stays finite when the fit has no spread in the dropout probability);
- ``E[Z] = pγ / (q − 1)``: Gamma-Gamma's mean spend per repeat purchase of a customer the model
  knows nothing about yet;
- ``d_k = (1 + weekly)^−k``: the weekly discount factors (all 1 without discounting);
- first-order spend: the mean revenue of the customers' first purchase day in the data (a
  first order is often larger or smaller than a repeat one, so it is not taken from the model).

The interval draws the seven model parameters from the same log-scale normals as the mean CLV
(:mod:`funnelkit.value.forecast`) and the mean first-order spend from a normal with its standard
error, and takes the 2.5% and 97.5% quantiles.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core.errors import DataError
from .forecast import log_normal_draws, predicted_purchases
from .mle import ModelFit

__all__ = ["first_purchase_spend", "new_customer_value"]


def first_purchase_spend(
    orders: pd.DataFrame,
    *,
    customer: str = "customer_id",
    timestamp: str = "timestamp",
    revenue: str = "revenue",
) -> pd.Series:
    """Revenue of each customer's first purchase day (all orders of that day added up).

    Examples
    --------
    >>> orders = pd.DataFrame({
    ...     "customer_id": ["a", "a", "a", "b"],
    ...     "timestamp": pd.to_datetime(["2024-01-01 09:00", "2024-01-01 17:00",
    ...                                  "2024-02-01 10:00", "2024-01-05 12:00"]),
    ...     "revenue": [10.0, 5.0, 40.0, 20.0]})
    >>> first_purchase_spend(orders).to_dict()
    {'a': 15.0, 'b': 20.0}
    """
    days = pd.to_datetime(orders[timestamp]).dt.normalize()
    per_day = (
        pd.DataFrame({"customer": orders[customer].to_numpy(), "day": days.to_numpy(),
                      "revenue": orders[revenue].to_numpy(dtype=float)})
        .groupby(["customer", "day"], sort=True)["revenue"].sum()
    )  # fmt: skip
    first = per_day.groupby(level="customer").head(1).droplevel("day")
    first.index.name = customer
    return first.rename("first_spend")


def _repeat_value(purchases, spend, horizon: float, step: float, weekly: float):
    """Discounted expected repeat purchases over ``horizon`` and the mean spend of one."""
    grid = np.append(np.arange(step, horizon, step), horizon)
    zero = np.zeros_like(grid)
    with np.errstate(all="ignore"):
        cumulative = predicted_purchases(purchases, grid, zero, zero, zero)
    weights = (1.0 + weekly) ** -(grid / step)
    repeat = float(np.diff(cumulative, prepend=0.0) @ weights)
    p, q, gamma = (float(spend[name]) for name in ("p", "q", "gamma"))
    mean_spend = p * gamma / (q - 1.0) if q > 1 else np.nan
    return repeat, mean_spend


def new_customer_value(
    purchases: ModelFit,
    spend: ModelFit,
    first_spend,
    *,
    horizon: float,
    step: float = 1.0,
    weekly: float = 0.0,
    margin: float = 1.0,
    draws: int = 500,
    seed: int = 0,
) -> pd.DataFrame:
    """Expected value of a customer who has just made a first purchase, with its interval.

    Parameters
    ----------
    purchases, spend : ModelFit
        The BG/NBD and Gamma-Gamma fits.
    first_spend : array-like
        Revenue of each customer's first purchase day (:func:`first_purchase_spend`).
    horizon, step : float, keyword-only
        The horizon and one week, in the fits' time unit (``horizon = 52, step = 1`` in weeks).
    weekly, margin : float, keyword-only
        Weekly discount rate and the margin share applied to revenue.
    draws, seed : int, keyword-only
        Parameter draws for the interval (0: none) and their seed.

    Returns
    -------
    pandas.DataFrame
        One row per ``component``: ``first_order`` (mean first-order spend × margin),
        ``repeat_purchases`` (expected, discounted), ``repeat_spend`` (mean spend per repeat
        purchase × margin) and ``value`` (first order + purchases × spend); columns ``value,
        ci_low, ci_high``.

    Examples
    --------
    >>> bg = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    >>> gg = {"p": 6.25, "q": 3.74, "gamma": 15.44}
    >>> frame = new_customer_value(bg, gg, [30.0, 40.0], horizon=39.0, draws=0)
    >>> frame.set_index("component")["value"].round(2).to_dict()
    {'first_order': 35.0, 'repeat_purchases': 1.2, 'repeat_spend': 35.22, 'value': 77.15}
    """
    first = np.asarray(first_spend, dtype=float)
    first = first[np.isfinite(first)]
    if first.size == 0:
        raise DataError(
            "new_customer_value: no first-order revenue to start from; check the orders' "
            "revenue column."
        )
    repeat, mean_spend = _repeat_value(purchases, spend, horizon, step, weekly)
    first_mean = float(first.mean())
    value = margin * (first_mean + repeat * mean_spend)
    low, high = _interval(purchases, spend, first, horizon=horizon, step=step, weekly=weekly,
                          margin=margin, draws=draws, seed=seed)  # fmt: skip
    return pd.DataFrame(
        {
            "component": ["first_order", "repeat_purchases", "repeat_spend", "value"],
            "value": [margin * first_mean, repeat, margin * mean_spend, value],
            "ci_low": [np.nan, np.nan, np.nan, low],
            "ci_high": [np.nan, np.nan, np.nan, high],
        }
    )


def _interval(purchases, spend, first, *, horizon, step, weekly, margin, draws, seed):
    """2.5% and 97.5% quantiles of the value under parameter and first-spend draws."""
    if draws == 0 or not isinstance(purchases, ModelFit) or not isinstance(spend, ModelFit):
        return np.nan, np.nan
    rng = np.random.default_rng(seed)
    bg = log_normal_draws(purchases, draws, rng)
    gg = log_normal_draws(spend, draws, rng)
    if bg is None or gg is None:
        return np.nan, np.nan
    se = first.std(ddof=1) / np.sqrt(first.size) if first.size > 1 else 0.0
    firsts = rng.normal(first.mean(), se, size=draws)
    values = np.full(draws, np.nan)
    for i in range(draws):
        bg_i = dict(zip(purchases.params.index, bg[i], strict=True))
        gg_i = dict(zip(spend.params.index, gg[i], strict=True))
        repeat, mean_spend = _repeat_value(bg_i, gg_i, horizon, step, weekly)
        values[i] = margin * (firsts[i] + repeat * mean_spend)
    finite = values[np.isfinite(values)]
    if finite.size < 20:
        return np.nan, np.nan
    low, high = np.quantile(finite, [0.025, 0.975])
    return float(low), float(high)
