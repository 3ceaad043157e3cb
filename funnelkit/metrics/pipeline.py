"""The B2B pipeline by channel: leads, MQL, SQL, won deals, their rates and the sales cycle.

One row per channel of the leads created in the window (a cohort, as the CRM rates of
:mod:`~funnelkit.metrics.leads`). Every rate is named by what it divides:

- ``mql_per_lead`` = MQL / leads;
- ``won_per_mql`` = won / MQL (the pipeline's rate when the CRM records no SQL date);
- ``won_per_sql`` = won / SQL (the win rate; missing when there is no ``sql_at`` column);

each with its Wilson 95% interval (``*_low``, ``*_high``). ``sales_cycle_days`` is the median
number of days from ``created_at`` to ``won_at`` of the won leads. A rate whose column is not in
the export is missing and ``note`` names the column that would unlock it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..core.stats import wilson
from .base import Window, label_sql, window

if TYPE_CHECKING:
    from ..data.loader import Client

__all__ = ["PIPELINE_RATES", "lead_pipeline"]

#: The rates of :func:`lead_pipeline`: column → (numerator column, denominator column).
PIPELINE_RATES = {
    "mql_per_lead": ("mql", "leads"),
    "won_per_mql": ("won", "mql"),
    "won_per_sql": ("won", "sql"),
}


def _flag(client: Client, column: str, *also: str) -> str:
    if not client.has("leads", column, *also):
        return "NULL"
    condition = " AND ".join(f"{c} IS NOT NULL" for c in (column, *also))
    return f"count_if({condition})"


def lead_pipeline(
    client: Client, period: str | Window | tuple[Any, Any] = "current"
) -> pd.DataFrame:
    """Leads, MQL, SQL and won deals per channel, with the rates between them.

    Parameters
    ----------
    client : funnelkit.data.loader.Client
        A client with a ``leads`` table.
    period : "current", "previous", Window or (start, end)
        Which leads: those created in this window.

    Returns
    -------
    pandas.DataFrame
        ``channel, leads, mql, sql, won, mql_per_lead(+_low, _high), won_per_mql(+_low,
        _high), won_per_sql(+_low, _high), sales_cycle_days, note``; channels by leads, most
        first. Empty (same columns) without a leads table or leads in the window.

    Examples
    --------
    >>> from funnelkit import load_client
    >>> table = lead_pipeline(load_client(emit_warnings=False))
    >>> bool((table["won"] <= table["mql"]).all()), list(table.columns[:5])
    (True, ['channel', 'leads', 'mql', 'sql', 'won'])
    """
    rates = [f"{r}{s}" for r in PIPELINE_RATES for s in ("", "_low", "_high")]
    columns = ["channel", "leads", "mql", "sql", "won", *rates, "sales_cycle_days", "note"]
    if not client.has("leads"):
        return pd.DataFrame(columns=columns)
    bounds = window(client, period)
    won = "won_at IS NOT NULL" if client.has("leads", "won_at") else "FALSE"
    cycle = (
        f"median(CASE WHEN {won} THEN (epoch(won_at) - epoch(created_at)) / 86400.0 END)"
        if client.has("leads", "won_at")
        else "NULL"
    )
    counts = client.sql(
        f"SELECT {label_sql('channel')} AS channel, count(*) AS leads, "
        f"{_flag(client, 'mql_at')} AS mql, {_flag(client, 'sql_at')} AS sql, "
        f"{_flag(client, 'won_at')} AS won, "
        f"{_flag(client, 'mql_at', 'won_at')} AS won_of_mql, "
        f"{_flag(client, 'sql_at', 'won_at')} AS won_of_sql, "
        f"{cycle} AS sales_cycle_days FROM leads WHERE {bounds.sql('created_at')} "
        "GROUP BY 1 ORDER BY leads DESC, channel"
    )
    if counts.empty:
        return pd.DataFrame(columns=columns)
    numerators = {"mql_per_lead": "mql", "won_per_mql": "won_of_mql", "won_per_sql": "won_of_sql"}
    for rate, (_, denominator) in PIPELINE_RATES.items():
        num = counts[numerators[rate]].astype(float).to_numpy()
        den = counts[denominator].astype(float).to_numpy()
        ok = np.isfinite(num) & np.isfinite(den) & (den > 0)
        counts[rate] = np.where(ok, num / np.where(ok, den, 1), np.nan)
        low, high = wilson(np.nan_to_num(num).astype(int), np.nan_to_num(den).astype(int))
        counts[f"{rate}_low"] = np.where(ok, low, np.nan)
        counts[f"{rate}_high"] = np.where(ok, high, np.nan)
    missing = [c for c in ("mql_at", "sql_at", "won_at") if not client.has("leads", c)]
    counts["note"] = (
        "no " + ", ".join(f"leads.{c}" for c in missing) + " in the export" if missing else ""
    )
    for column in ("leads", "mql", "sql", "won"):
        counts[column] = counts[column].astype("Int64")
    counts["sales_cycle_days"] = counts["sales_cycle_days"].astype(float)
    return counts[columns].reset_index(drop=True)
