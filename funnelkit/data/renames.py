"""``channels:`` of client.yaml: one name per channel across the exports, given at load time.

Called by :func:`funnelkit.data.loader.load_tables` once every table is loaded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..core.sql import lit
from .validate import Problem

if TYPE_CHECKING:
    from .loader import Client

__all__ = ["CHANNEL_TABLES", "rename_channels"]


#: The tables whose ``channel`` column ``channels:`` in client.yaml renames.
CHANNEL_TABLES = ("events", "orders", "leads", "spend")


def rename_channels(client: Client) -> list[Problem]:
    """Give every channel its one name (``channels:``); a note per table says what was renamed.

    The exports name a channel their own way (GA4 ``google / cpc``, Google Ads' report
    ``google_ads``); CAC and ROMI need one name in the spend and in the visits or orders.
    """
    renames = {alias: name for name, aliases in client.config.channels.items() for alias in aliases}
    if not renames:
        return []
    case = " ".join(f"WHEN {lit(a)} THEN {lit(n)}" for a, n in renames.items())
    listed = ", ".join(lit(a) for a in renames)
    notes = []
    for table in CHANNEL_TABLES:
        if not client.has(table, "channel"):
            continue
        where = f"trim(channel) IN ({listed})"
        rows = int(client.con.sql(f"SELECT count(*) FROM {table} WHERE {where}").fetchall()[0][0])
        if not rows:
            continue
        client.con.execute(
            f"UPDATE {table} SET channel = CASE trim(channel) {case} END WHERE {where}"
        )
        message = (
            f"{table}: {rows:,} rows renamed to the channel names of `channels:` in client.yaml."
        )
        notes.append(
            Problem(table, table, "channel", "channels_renamed", "note", rows, message=message)
        )
    return notes
