"""What a predicted customer value rests on: the assumptions checked, and the caveats.

:func:`assumptions` states, in plain English, each assumption of the two models checked on the
data (spend independent of frequency, enough repeat buyers, the dropout spread, convergence, the
horizon and margin). :func:`caveats` says when the forecast is only indicative, as codes the
report translates:

- ``short_history``: the longest customer history is shorter than half the horizon, so the
  forecast reaches more than twice as far ahead as the data go back (Fader, Hardie & Lee fit 39
  weeks and forecast 39);
- ``not_converged``: one of the fits did not converge;
- ``few_repeat_buyers``: fewer than :data:`MIN_REPEAT_BUYERS` customers bought again, so the spend
  model and the dropout rate rest on few people;
- ``holdout_miss`` (:func:`holdout_missed`, added by the chapter, which runs the holdout check):
  fitted on the earlier weeks only, the model missed the later weeks' repeat purchases by more
  than :data:`HOLDOUT_TOLERANCE` and by more than chance.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..core.errors import DataError
from .gammagamma import spend_frequency_check
from .mle import ModelFit

__all__ = [
    "CAVEATS",
    "HOLDOUT_TOLERANCE",
    "MIN_REPEAT_BUYERS",
    "assumptions",
    "caveats",
    "holdout_missed",
]

#: Fewest repeat buyers for a forecast that is more than indicative.
MIN_REPEAT_BUYERS = 50
#: The caveat codes, in the order they are reported.
CAVEATS = ("short_history", "not_converged", "few_repeat_buyers", "holdout_miss")
#: A holdout miss larger than this share of the actual repeat purchases (and than chance) makes
#: the forecast indicative; on the CDNOW sample the published fit is 12% under the actual.
HOLDOUT_TOLERANCE = 0.25


def holdout_missed(totals: pd.DataFrame) -> bool:
    """Whether a holdout check missed by more than the tolerance and by more than chance.

    ``totals`` is :attr:`funnelkit.value.holdout.HoldoutCheck.totals` (``predicted``,
    ``actual``). Chance: the actual count is read as Poisson around the prediction, so a miss
    within two standard deviations (``2 √predicted``) is not held against the model — on a small
    client (the demo: 34.4 predicted, 24 actual) a large share can be a few purchases.

    Examples
    --------
    >>> holdout_missed(pd.DataFrame({"predicted": [34.4], "actual": [24.0]}))  # 43%, chance
    False
    >>> holdout_missed(pd.DataFrame({"predicted": [1653.4], "actual": [1882.0]}))  # 12%
    False
    >>> holdout_missed(pd.DataFrame({"predicted": [1000.0], "actual": [1500.0]}))
    True
    """
    if totals is None or totals.empty:
        return False
    predicted, actual = float(totals["predicted"].iloc[0]), float(totals["actual"].iloc[0])
    if not (np.isfinite(predicted) and predicted > 0 and actual > 0):
        return False
    return bool(
        abs(predicted / actual - 1) > HOLDOUT_TOLERANCE
        and abs(actual - predicted) > 2 * np.sqrt(predicted)
    )


def caveats(
    purchases: ModelFit | Mapping[str, float],
    spend: ModelFit | Mapping[str, float],
    *,
    repeat: int,
    history_weeks: float,
    horizon_weeks: float,
) -> list[str]:
    """The caveat codes that apply to a forecast (empty: none; see the module docstring).

    Examples
    --------
    >>> caveats({}, {}, repeat=131, history_weeks=12.7, horizon_weeks=52)
    ['short_history']
    >>> caveats({}, {}, repeat=1000, history_weeks=78, horizon_weeks=52)
    []
    """
    found = []
    if history_weeks < horizon_weeks / 2:
        found.append("short_history")
    if not all(getattr(fit, "converged", True) for fit in (purchases, spend)):
        found.append("not_converged")
    if repeat < MIN_REPEAT_BUYERS:
        found.append("few_repeat_buyers")
    return found


def assumptions(
    summary: pd.DataFrame,
    purchases: ModelFit,
    spend: ModelFit,
    *,
    margin_note: str,
    horizon_weeks: float,
    rate: float,
) -> list[str]:
    """The assumptions checked on ``summary`` (``x``, ``monetary``), as plain English sentences.

    Examples
    --------
    >>> from funnelkit.value.simulate import simulate_bgnbd
    >>> from funnelkit.value import fit_bgnbd, fit_gammagamma
    >>> data = simulate_bgnbd(500, r=0.5, alpha=5.0, a=0.8, b=2.5, T=40.0, seed=1)
    >>> data["monetary"] = (data["x"] > 0) * 20.0 + (data["x"] > 0) * data.index % 7
    >>> said = assumptions(data, fit_bgnbd(data), fit_gammagamma(data),
    ...                    margin_note="on revenue", horizon_weeks=52, rate=0.0)
    >>> said[-1]
    'CLV covers the next 52 weeks, undiscounted; on revenue.'
    """
    n = len(summary)
    repeat = int((summary["x"] > 0).sum())
    said = []
    try:
        check = spend_frequency_check(summary).iloc[0]
        said.append(
            f"Spend per purchase and purchase frequency among the {int(check['n']):,} repeat "
            f"buyers: {check['note']} (Gamma-Gamma assumes they are independent)."
        )
    except DataError as exc:
        said.append(f"Spend-frequency independence could not be checked: {exc}")
    said.append(
        f"{repeat:,} of {n:,} customers ({repeat / n:.0%}) bought again; the spend model is "
        f"fitted on them" + (" — few, so the spend estimates are rough." if repeat < 100 else ".")
    )
    a, b = purchases["a"], purchases["b"]
    if min(a, b) > 1e3:
        said.append(
            f"BG/NBD finds no spread in the dropout probability (a = {a:.3g}, b = {b:.3g}): every "
            f"customer drops out after a repeat purchase with probability {a / (a + b):.0%}."
        )
    for fit in (purchases, spend):
        if fit.converged:
            said.append(f"The {fit.model} fit converged (log-likelihood {fit.loglik:,.1f}).")
        else:
            said.append(
                f"The {fit.model} fit did not converge ({fit.message}); treat its predictions "
                "as indicative only."
            )
    said.append(
        f"CLV covers the next {horizon_weeks:g} weeks, "
        + (f"discounted at {rate:.0%} a year" if rate > 0 else "undiscounted")
        + f"; {margin_note}."
    )
    return said
