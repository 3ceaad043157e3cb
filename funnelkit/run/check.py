"""What ``funnelkit check`` prints: the prepared data of a client, table by table, and warnings.

A consultant mapping a new client runs ``funnelkit check`` until it passes: it validates exactly
as a run does (:func:`funnelkit.data.prepare.prepare`) and says what arrived: each table's
file, rows, the time it covers and how much of it falls in the analysis period, then every warning.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from ..data.prepare import Prepared
from ..data.tables import TABLES
from ..data.validate import Problem

__all__ = ["describe", "tables_overview"]

#: What each table unlocks, said when it is absent.
UNLOCKS = {
    "events": "funnels, journey stages, bounce and engagement (chapters 00–03)",
    "orders": "revenue, repeat purchases, CLV and the money a leak costs",
    "spend": "CAC, ROMI and channel economics",
    "leads": "the MQL → SQL → won pipeline",
    "nps": "NPS (advocacy)",
    "social": "social-network engagement: reach, interactions per post and network, follower "
    "growth (chapter 07)",
    "email": "e-mail campaigns: delivery, open, click and unsubscribe rates by campaign "
    "(chapter 07)",
    "accounts": "account-based marketing: engaged target accounts, the account funnel, win rate "
    "and pipeline per account (chapter 05)",
    "assignments": "A/B tests (chapter 04)",
}


def tables_overview(prepared: Prepared) -> pd.DataFrame:
    """One row per canonical table the client has: file, rows, time covered, rows in period.

    Examples
    --------
    >>> from funnelkit.data.prepare import prepare
    >>> tables_overview(prepare()).columns.tolist()
    ['table', 'file', 'rows', 'first', 'last', 'in_period']
    """
    base = Path(prepared.config.client_dir).resolve()
    rows = []
    for name in (t for t in TABLES if t in prepared.tables):
        info = prepared.tables[name]
        paths = [Path(f) for f in info.get("files") or [info["file"]]]  # a list: appended
        shown = " + ".join(
            os.path.relpath(path, base) if path.is_relative_to(base) else str(path)
            for path in paths
        )
        rows.append(
            {
                "table": name,
                "file": shown,
                "rows": info["rows"],
                "first": info["first"],
                "last": info["last"],
                "in_period": info["in_period"],
            }
        )
    columns = ["table", "file", "rows", "first", "last", "in_period"]
    return pd.DataFrame(rows, columns=columns)


def _when(value: str | None) -> str:
    return value.replace("T", " ")[:16] if isinstance(value, str) and value else "-"


def describe(
    prepared: Prepared,
    held: dict[str, int] | None = None,
    *,
    engine_warnings: list[Problem] | None = None,
) -> str:
    """The text ``funnelkit check`` prints for a client whose data passed every check.

    ``held`` gives the rows of each table an engine holds in place (``engine.tables``): they
    are listed with the engine and the table's reference, and not as missing;
    ``engine_warnings`` are the loader's warnings about them, found on the engine.

    Examples
    --------
    >>> from funnelkit.data.prepare import prepare
    >>> print(describe(prepare()))  # doctest: +ELLIPSIS
    Demo Shop: client.yaml and 9 tables checked ...
    Analysis period: 2026-09-15 – 2026-10-29 (45 days), time zone Europe/Berlin
    ...
    """
    config = prepared.config
    how = "reused unchanged from the cache" if prepared.reused else "validated"
    period = config.period
    overview = tables_overview(prepared)
    shown = overview.assign(
        rows=[f"{n:,}" for n in overview["rows"]],
        first=[_when(v) for v in overview["first"]],
        last=[_when(v) for v in overview["last"]],
        in_period=[f"{n:,}" for n in overview["in_period"]],
    ).rename(columns={"in_period": "rows in period"})
    held = held or {}
    count = len(overview) + len(held)
    where = f", {len(held)} of them on {config.engine.name}" if held else ""
    lines = [
        f"{config.client}: client.yaml and {count} table{'s' * (count != 1)} checked{where} "
        f"({how} in {prepared.seconds:.1f} s).",
        f"Analysis period: {period.start} – {period.end} ({period.days} days), "
        f"time zone {config.timezone}",
        "",
        shown.to_string(index=False)
        if len(shown)
        else "No table is read from the client folder (`data:` is empty).",
    ]
    if held:
        lines += ["", f"Read in place on {config.engine.name} (engine.tables, checked):"]
        lines += [
            f"- {name}: {rows:,} rows ({config.engine.tables[name]})" for name, rows in held.items()
        ]
    absent = [name for name in TABLES if name not in prepared.tables and name not in held]
    if absent:
        lines += ["", "Not provided (add under `data:` in client.yaml to unlock):"]
        lines += [f"- {name}: {UNLOCKS[name]}" for name in absent]
    warnings = [*prepared.problems, *(engine_warnings or [])]
    lines += ["", f"Warnings ({len(warnings)}):" if warnings else "No warnings."]
    lines += [f"- {problem.message}" for problem in warnings]
    lines += ["", f"Ready: funnelkit run {config.client_dir}"]
    return "\n".join(lines)
