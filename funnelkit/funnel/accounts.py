"""The account funnel: target → engaged → opportunity → won, per tier and channel, tested.

An account's depth is the furthest of the four steps it reached in the window, read from
:func:`funnelkit.metrics.account_base.account_frame` (whose docstring defines each step):

1. **target**: on the target list;
2. **engaged**: at least ``accounts.engaged_touchpoints`` touchpoints, *or* a later step (sales
   talking to an account is engagement even when its people leave no trace on the site);
3. **opportunity**: a lead reached SQL (or was won) in the window;
4. **won**: a deal won in the window.

Only target accounts enter (it is the target list's funnel). The steps are the lead funnel's:
:func:`~funnelkit.funnel.steps.funnel_steps` gives counts, step shares and their Wilson
intervals, and :func:`~funnelkit.funnel.segments.segment_tests` tests every tier and channel
against the rest at every step (two-proportion tests, Holm over all comparisons, a minimum
number of accounts). :func:`stalled_accounts` lists the engaged accounts with no opportunity,
the list sales should call; :func:`write_stalled_accounts` writes it next to the report (names
and ids never go into the HTML).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import numpy as np
import pandas as pd
from scipy import stats

from ..core.stats import wilson
from ..core.stats.multiple import adjust_pvalues
from ..metrics.account_base import account_frame
from ..metrics.base import NONE, window
from .segments import segment_tests
from .steps import funnel_steps

if TYPE_CHECKING:
    from ..data.loader import Client
    from ..metrics.base import Window

__all__ = [
    "ACCOUNT_STEPS",
    "FUNNEL_GROUPS",
    "account_funnel",
    "account_funnel_tests",
    "account_paths",
    "stalled_accounts",
    "stalled_worth",
    "write_stalled_accounts",
]

#: The steps of the account funnel, in order.
ACCOUNT_STEPS = ("target", "engaged", "opportunity", "won")
#: The breakdowns the account funnel is split and tested by.
FUNNEL_GROUPS = ("tier", "channel", "industry", "owner")

_STALLED_COLUMNS = ["account_id", "name", "tier", "industry", "owner", "channel", "contacts",
                    "touchpoints", "score"]  # fmt: skip


def _targets(client: Client, period: str | Window | tuple[Any, Any]) -> pd.DataFrame:
    frame = account_frame(client, window(client, period))
    return frame[frame["target"]].reset_index(drop=True)


def account_paths(
    client: Client, *, period: str | Window | tuple[Any, Any] = "current"
) -> duckdb.DuckDBPyRelation:
    """The target accounts as funnel paths: ``unit_id, depth, step_1_at … step_4_at`` + groups.

    The step times are unknown at this grain (NULL), so the step tables have no timings.

    Examples
    --------
    >>> from funnelkit import load_client
    >>> paths = account_paths(load_client(emit_warnings=False))
    >>> paths.columns[:3]
    ['unit_id', 'depth', 'step_1_at']
    """
    frame = _targets(client, period)
    depth = np.select([frame["won"], frame["opportunity"], frame["engaged"]], [4, 3, 2], default=1)
    paths = pd.DataFrame({"unit_id": frame["account_id"], "depth": depth.astype(int)})
    for k in range(1, len(ACCOUNT_STEPS) + 1):
        paths[f"step_{k}_at"] = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[us]")
    for group in FUNNEL_GROUPS:
        paths[group] = frame[group].astype(str)
    con = duckdb.connect()
    con.register("fk_account_paths_df", paths)
    return con.sql("SELECT * FROM fk_account_paths_df")


def account_funnel(
    client: Client,
    *,
    period: str | Window | tuple[Any, Any] = "current",
    by: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Target accounts at each step of the account funnel, with shares and Wilson intervals.

    Parameters
    ----------
    client : funnelkit.data.loader.Client
        A client with an ``accounts`` table.
    period : "current", "previous", Window or (start, end)
        The window the touchpoints, opportunities and won deals are counted in.
    by : str or sequence of str, optional
        Any of :data:`FUNNEL_GROUPS`: one funnel per tier, channel …

    Returns
    -------
    pandas.DataFrame
        As :func:`funnelkit.funnel.steps.funnel_steps`, with ``users`` renamed ``accounts``:
        the ``by`` columns, ``step_number, step, accounts, share_of_first(+_ci_low/high),
        share_of_previous(+_ci_low/high), dropped`` (timing columns dropped).

    Examples
    --------
    >>> from funnelkit import load_client
    >>> table = account_funnel(load_client(emit_warnings=False))
    >>> table["step"].tolist(), bool(table["accounts"].is_monotonic_decreasing)
    (['target', 'engaged', 'opportunity', 'won'], True)
    """
    paths = account_paths(client, period=period)
    table = funnel_steps(paths, steps=list(ACCOUNT_STEPS), by=by)
    timing = [c for c in table.columns if c.startswith("time_from")]
    return table.drop(columns=timing).rename(columns={"users": "accounts"})


def account_funnel_tests(
    client: Client,
    *,
    period: str | Window | tuple[Any, Any] = "current",
    by: str | Sequence[str] = ("tier", "channel"),
    min_accounts: int = 10,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Each tier (channel …) against the other target accounts at every step, Holm-adjusted.

    The columns are those of :func:`funnelkit.funnel.segments.segment_tests` (``users*``
    count accounts); a comparison is tested only when both sides have ``min_accounts`` accounts
    at the step before. Holm's correction runs over every comparison of every column. By
    channel, the accounts without a known contact (no channel) are left out.

    Examples
    --------
    >>> from funnelkit import load_client
    >>> tests = account_funnel_tests(load_client(emit_warnings=False), by="tier")
    >>> sorted(tests["step"].unique())
    ['engaged', 'opportunity', 'won']
    """
    paths = account_paths(client, period=period)
    parts = []
    for column in [by] if isinstance(by, str) else list(by):
        # an account with no known contact has no channel: comparing "no channel" with the rest
        # would only say that accounts nobody knows do not engage
        rel = paths.filter(f"channel <> '{NONE}'") if column == "channel" else paths
        parts.append(segment_tests(rel, steps=list(ACCOUNT_STEPS), by=column,
                                   min_users=min_accounts, alpha=alpha))  # fmt: skip
    table = pd.concat(parts, ignore_index=True)
    table["p_value_adjusted"] = adjust_pvalues(table["p_value"].to_numpy(), method="holm")
    table["significant"] = (~table["gated"]) & (table["p_value_adjusted"] < alpha)
    table["flag"] = np.where(
        table["significant"], np.where(table["abs_diff"] < 0, "under", "over"), ""
    )
    return table


def stalled_accounts(
    client: Client, *, period: str | Window | tuple[Any, Any] = "current"
) -> pd.DataFrame:
    """Engaged target accounts with no opportunity in the window: the accounts that stall.

    Returns
    -------
    pandas.DataFrame
        ``account_id, name, tier, industry, owner, channel, contacts, touchpoints, score``,
        highest engagement score first.

    Examples
    --------
    >>> from funnelkit import load_client
    >>> stalled = stalled_accounts(load_client(emit_warnings=False))
    >>> bool(stalled["score"].is_monotonic_decreasing)
    True
    """
    frame = _targets(client, period)
    stalled = frame[frame["engaged"] & ~frame["opportunity"]]
    stalled = stalled.sort_values(["score", "account_id"], ascending=[False, True])
    return stalled[_STALLED_COLUMNS].reset_index(drop=True)


def _mean_interval(values: pd.Series) -> tuple[float | None, float | None, float | None]:
    """Mean and t 95% interval (its low end at least 0); None where it cannot be computed."""
    if len(values) < 2:
        mean = float(values.mean()) if len(values) else None
        return mean, None, None
    mean = float(values.mean())
    half = float(stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values)))
    return mean, max(mean - half, 0.0), mean + half


def stalled_worth(
    client: Client, *, period: str | Window | tuple[Any, Any] = "current"
) -> dict[str, Any]:
    """What the stalled accounts are worth if they moved on like the other engaged accounts.

    A stated scenario, not a forecast: each stalled account becomes an opportunity at the rate
    the engaged target accounts did (opportunities / engaged), is won at the account win rate of
    the target list (won / opportunities) and brings the mean value of a won target account
    (won deal value / won accounts). worth = stalled × both rates × that value; its interval
    multiplies the ends of the two Wilson intervals and of the value's t interval (low × low × low,
    high × high × high), as the leaks of the visitor funnel are priced.

    Returns
    -------
    dict
        ``stalled``, ``opportunity_rate`` (+ ``_low``/``_high``), ``win_rate`` (+ …),
        ``value_per_won`` (+ …), ``worth``, ``worth_low``, ``worth_high`` (None where a factor is
        unknown: no engaged account, no opportunity, no won deal with a value) and
        ``engaged``, ``opportunities``, ``won``.

    Examples
    --------
    >>> from funnelkit import load_client
    >>> found = stalled_worth(load_client(emit_warnings=False))
    >>> found["stalled"], found["engaged"], found["opportunities"], found["won"]
    (37, 66, 29, 12)
    >>> found["worth_low"] < found["worth"] < found["worth_high"]
    True
    """
    frame = _targets(client, period)
    engaged, opportunities = int(frame["engaged"].sum()), int(frame["opportunity"].sum())
    won = frame[frame["won"]]
    found: dict[str, Any] = {
        "stalled": int((frame["engaged"] & ~frame["opportunity"]).sum()),
        "engaged": engaged, "opportunities": opportunities, "won": len(won),
    }  # fmt: skip
    for name, hits, tries in (("opportunity_rate", opportunities, engaged),
                              ("win_rate", len(won), opportunities)):  # fmt: skip
        low, high = wilson(hits, tries) if tries else (np.nan, np.nan)
        found |= {name: hits / tries if tries else None, f"{name}_low": float(low) if tries
                  else None, f"{name}_high": float(high) if tries else None}  # fmt: skip
    mean, low, high = _mean_interval(won["won_value"].dropna())
    found |= {"value_per_won": mean, "value_per_won_low": low, "value_per_won_high": high}
    worth = [found["stalled"]]
    for end in ("", "_low", "_high"):
        factors = [found[f"opportunity_rate{end}"], found[f"win_rate{end}"],
                   found[f"value_per_won{end}"]]  # fmt: skip
        ok = all(f is not None for f in factors)
        found[f"worth{end}"] = float(np.prod(worth + factors)) if ok else None
    return found


def write_stalled_accounts(frame: pd.DataFrame, results_path: str | Path) -> Path | None:
    """Write the stalled accounts as ``audience_stalled_accounts.csv`` beside the results.

    Nothing is written (None returned) for an interactive run (empty ``results_path``).

    Examples
    --------
    >>> write_stalled_accounts(pd.DataFrame({"account_id": ["a1"]}), "") is None
    True
    """
    if not str(results_path):
        return None
    target = Path(results_path).parent / "audience_stalled_accounts.csv"
    target.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(target, index=False)
    return target
