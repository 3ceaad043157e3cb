"""``data.deals``: closed deals exported as a file of their own, joined into the ``leads`` table.

CRMs export leads and deals separately (Olist: marketing-qualified leads and closed deals, both
keyed by ``mql_id``). With ``data.deals`` in ``client.yaml`` the loader reads the deals file in
place, checks it, and gives each lead its deal's ``won_at`` (and ``value``) before the leads table
is validated and stored. Checks, with the deals file's lines:

- a deal whose key is no lead of the leads file: **error** (a wrong ``key``, or a leads export
  cut shorter than the deals export; dropping it would undercount the won deals);
- a lead with two or more deals: **error** (which one won is ambiguous; keep one per lead);
- a deal won before its lead was created: **warning** (CRM data entry; the loader's own
  stage-order warning counts the same leads).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import duckdb

from ..core.errors import format_rows
from ..core.sql import q
from .formats import Layout, layout_of
from .sources import create_raw, detect_format
from .tables import TABLES
from .validate import Problem, column_checks, column_values, parse_expression, run_checks

if TYPE_CHECKING:
    from .config import ClientConfig
    from .inputs import DealsSource

__all__ = ["JoinedDeals", "join_deals"]

_RAW, _TYPED, _JOINED = "raw_deals", "deals_typed", "raw_leads_deals"


@dataclass
class JoinedDeals:
    """What :func:`join_deals` made: the joined raw leads and the deal columns in it."""

    raw: str  #: the raw leads scan with the deal columns added (a TEMP table or view)
    columns: dict[str, str] = field(default_factory=dict)  #: canonical -> column of ``raw``
    problems: list[Problem] = field(default_factory=list)


def _types(con: duckdb.DuckDBPyConnection, name: str) -> dict[str, str]:
    rel = con.table(name)
    return dict(zip(rel.columns, map(str, rel.dtypes), strict=True))


def _problem(
    check: str, severity: str, label: str, column: str, lines: list[int], total: int, message: str
) -> Problem:
    return Problem("leads", label, column, check, severity, total, lines[:5], [], message)


def _deal_problems(
    con: duckdb.DuckDBPyConnection,
    deals: DealsSource,
    label: str,
    *,
    lead_key: str,
    created: str,
    raw: str,
    offset: int,
    unit: str,
) -> list[Problem]:
    """Orphan deals, leads with several deals, and deals won before their lead was created."""
    problems = []
    orphans = con.sql(
        f"SELECT __deal_row + {offset}, __deal_key FROM {_TYPED} d WHERE __deal_key IS NOT NULL "
        f"AND NOT EXISTS (SELECT 1 FROM {raw} WHERE {lead_key} = d.__deal_key) ORDER BY 1"
    ).fetchall()
    if orphans:
        lines = [int(r[0]) for r in orphans]
        shown = ", ".join(repr(r[1]) for r in orphans[:3])
        problems.append(
            _problem(
                "deal_without_lead",
                "error",
                label,
                deals.key,
                lines,
                len(orphans),
                f"{label}: {format_rows(lines, len(orphans), unit=unit)} in column '{deals.key}' "
                f"(`data.deals.key`) name a lead that is not in the leads file (values seen: "
                f"{shown}); check that `data.deals.key` is the column holding the lead id and that "
                "the leads export covers every deal",
            )
        )
    twice = con.sql(
        f"SELECT __deal_key, list(__deal_row + {offset} ORDER BY __deal_row) FROM {_TYPED} "
        "WHERE __deal_key IS NOT NULL GROUP BY 1 HAVING count(*) > 1 ORDER BY min(__deal_row)"
    ).fetchall()
    if twice:
        lines = [int(line) for _, rows in twice for line in rows]
        shown = "; ".join(
            f"{key!r} on lines {', '.join(map(str, rows[:4]))}" for key, rows in twice[:3]
        )
        problems.append(
            _problem(
                "lead_with_two_deals",
                "error",
                label,
                deals.key,
                lines,
                len(lines),
                f"{label}: {len(twice):,} lead(s) have more than one deal in column '{deals.key}' "
                f"(`data.deals.key`), {format_rows(lines, len(lines), unit=unit)} (e.g. {shown}); "
                "keep one row per lead (the deal that was won) in the deals export",
            )
        )
    early = con.sql(
        f"SELECT d.__deal_row + {offset} FROM {_TYPED} d JOIN {raw} ON {lead_key} = d.__deal_key "
        f"WHERE d.__deal_won_at < ({created}) ORDER BY 1"
    ).fetchall()
    if early:
        lines = [int(r[0]) for r in early]
        won = deals.columns.get("won_at", "won_at")
        problems.append(
            _problem(
                "won_before_created",
                "warning",
                label,
                won,
                lines,
                len(lines),
                f"{label}: {format_rows(lines, len(lines), unit=unit)} with '{won}' (won_at) "
                "before their lead's created_at in the leads file; check the CRM export",
            )
        )
    return problems


def join_deals(
    con: duckdb.DuckDBPyConnection,
    raw: str,
    config: ClientConfig,
    leads: Any,
    leads_layout: Layout,
    *,
    fmt: str,
) -> JoinedDeals:
    """Read ``data.deals``, check it, and add its ``won_at`` / ``value`` to the raw leads scan.

    ``raw`` is the raw scan of the leads file (``leads`` its ``TableSource``, ``fmt`` its format).
    On success the returned :attr:`JoinedDeals.raw` replaces it (the old scan is dropped unless
    it is a Parquet view), holding ``__deal_won_at`` (and ``__deal_value``), already typed; on an
    error, :attr:`JoinedDeals.problems` says why and nothing is joined.
    """
    deals = config.data.deals
    assert deals is not None
    spec = TABLES["leads"]
    path = (config.client_dir / deals.path).resolve()
    dfmt = detect_format(path, deals.format, key="data.deals.path")
    scan = create_raw(con, _RAW, path, dfmt, deals, table="deals")
    problems = [replace(p, table="leads") for p in scan.problems]
    if any(p.severity == "error" for p in problems):
        return JoinedDeals(raw, {}, problems)
    layout = layout_of(deals, key="data.deals", timezone=config.timezone, currency=config.currency)
    types = _types(con, _RAW)
    wanted = {"lead_id": deals.key, "won_at": deals.columns.get("won_at", "won_at")}
    if "value" in deals.columns or "value" in types:
        wanted["value"] = deals.columns.get("value", "value")
    checks, values = [], {}
    for canon, src in wanted.items():
        column = spec.column(canon)
        if canon == "lead_id":  # every deal needs a key; uniqueness is checked below
            column = replace(column, unique=False)
        checks += column_checks(src, types[src], column, layout)
        values |= column_values(src, types[src], column, layout)
    problems += [
        replace(p, table="leads")
        for p in run_checks(
            con,
            _RAW,
            checks,
            table="leads",
            file_label=path.name,
            column_sources=wanted,
            line_offset=scan.line_offset,
            unit=scan.unit,
            values=values,
        )
    ]
    if any(p.severity == "error" for p in problems):
        return JoinedDeals(raw, {}, problems)
    typed = ", ".join(
        f"{parse_expression(src, types[src], spec.column(canon), layout)} AS "
        f"{q('__deal_key' if canon == 'lead_id' else '__deal_' + canon)}"
        for canon, src in wanted.items()
    )
    con.execute(f"CREATE TEMP TABLE {_TYPED} AS SELECT __row AS __deal_row, {typed} FROM {_RAW}")
    con.execute(f"DROP {'VIEW' if dfmt == 'parquet' else 'TABLE'} {_RAW}")
    leads_types = _types(con, raw)
    lead_src = leads.columns.get("lead_id", "lead_id")
    created_src = leads.columns.get("created_at", "created_at")
    lead_key = parse_expression(
        lead_src, leads_types[lead_src], spec.column("lead_id"), leads_layout
    )
    created = parse_expression(
        created_src, leads_types[created_src], spec.column("created_at"), leads_layout
    )
    problems += _deal_problems(
        con,
        deals,
        path.name,
        lead_key=lead_key,
        created=created,
        raw=raw,
        offset=scan.line_offset,
        unit=scan.unit,
    )
    if any(p.severity == "error" for p in problems):
        return JoinedDeals(raw, {}, problems)
    added = [c for c in ("won_at", "value") if c in wanted]
    kind = "VIEW" if fmt == "parquet" else "TABLE"
    con.execute(
        f"CREATE TEMP {kind} {_JOINED} AS SELECT l.*, "
        + ", ".join(f"d.__deal_{c}" for c in added)
        + f" FROM {raw} AS l LEFT JOIN {_TYPED} AS d ON {lead_key} = d.__deal_key "
        "ORDER BY l.__row"
    )
    if kind == "TABLE":
        con.execute(f"DROP TABLE {raw}; DROP TABLE {_TYPED}")
    return JoinedDeals(_JOINED, {c: f"__deal_{c}" for c in added}, problems)
