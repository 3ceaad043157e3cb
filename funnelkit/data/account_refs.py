"""Accounts across tables: every ``account_id`` of leads, orders and events names a known account.

An ``account_id`` on a lead, an order or an event says which company the contact works for
(:mod:`funnelkit.data.tables`). The loader reads ``accounts`` first and then checks each of those
columns against it, with the file's lines:

- a lead or an order naming an account the accounts file does not list: **error** (its deal or
  its revenue would count for no account, so win rates and CLV per account would be wrong);
- an event naming an unknown account: **warning** (site visits matched to companies by other
  tools often name companies outside the CRM; those touchpoints count for no account);
- ``account_id`` given without ``data.accounts``: **warning** (the accounts chapter needs the
  accounts file);
- an accounts file whose ``target`` column marks no account: **warning** (the account metrics
  count target accounts).
"""

from __future__ import annotations

from typing import Any

import duckdb

from ..core.errors import format_rows
from .validate import Problem

__all__ = [
    "ACCOUNT_TABLES",
    "account_warnings",
    "engine_reference_problems",
    "reference_problems",
]

#: The tables whose rows may name their contact's company, and how bad an unknown one is.
ACCOUNT_TABLES = {"leads": "error", "orders": "error", "events": "warning", "email": "warning"}


def reference_problems(
    con: duckdb.DuckDBPyConnection,
    raw: str,
    *,
    table: str,
    expression: str,
    column: str,
    label: str,
    line_offset: int,
    unit: str,
    accounts_loaded: bool,
) -> list[Problem]:
    """The rows of ``raw`` whose account (``expression``) is not in the ``accounts`` table.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        Holds the raw scan ``raw`` (with ``__row``) and, when loaded, the ``accounts`` table.
    expression : str
        SQL giving the row's parsed account id (NULL where the cell is empty).
    column, label : str
        The column's name in the file and the file's name, for the message.

    Examples
    --------
    >>> import duckdb
    >>> con = duckdb.connect()
    >>> _ = con.execute("CREATE TABLE accounts AS SELECT 'a1' AS account_id")
    >>> _ = con.execute("CREATE TABLE raw AS SELECT * FROM (VALUES (1, 'a1'), (2, 'zz'), "
    ...                 "(3, NULL)) t(__row, company)")
    >>> found = reference_problems(con, "raw", table="leads", expression="company",
    ...     column="company", label="leads.csv", line_offset=1, unit="line", accounts_loaded=True)
    >>> print(found[0].message)  # doctest: +NORMALIZE_WHITESPACE
    leads.csv: 1 row (line 3) in column 'company' (account_id) names an account that is not in the
    accounts file (values seen: 'zz'); add those companies to the accounts export, or fix the ids
    so they match accounts.account_id
    """
    if not accounts_loaded:
        named = int(con.sql(f"SELECT count({expression}) FROM {raw}").fetchall()[0][0])
        return _no_accounts_file(table, label, column, named)
    unknown = (
        f"{raw} WHERE {expression} IS NOT NULL AND {expression} NOT IN "
        "(SELECT account_id FROM accounts)"
    )
    rows = con.sql(f"SELECT __row + {line_offset} FROM {unknown} ORDER BY __row LIMIT 5").fetchall()
    if not rows:
        return []
    total = int(con.sql(f"SELECT count(*) FROM {unknown}").fetchall()[0][0])
    values = con.sql(f"SELECT DISTINCT {expression} FROM {unknown} ORDER BY 1 LIMIT 3").fetchall()
    lines = [int(r[0]) for r in rows]
    where = format_rows(lines, total, unit=unit)
    return _unknown_accounts(table, label, column, where, total, lines, [v[0] for v in values])


def engine_reference_problems(
    con: Any, table: str, *, label: str, accounts_loaded: bool
) -> list[Problem]:
    """:func:`reference_problems` for a canonical table an engine holds (no lines to name).

    ``con`` runs the queries where ``table`` is (an engine connection copies the small local
    ``accounts`` table there); the table's ``account_id`` column is checked when it has one.

    Examples
    --------
    >>> import duckdb
    >>> con = duckdb.connect()
    >>> _ = con.execute("CREATE TABLE events AS SELECT * FROM (VALUES ('u1', 'acme'), "
    ...                 "('u2', NULL)) t(user_id, account_id)")
    >>> print(engine_reference_problems(con, "events", label="shop.events",
    ...       accounts_loaded=False)[0].message)  # doctest: +NORMALIZE_WHITESPACE
    shop.events: column 'account_id' names the contact's company (account_id) on 1 row(s), but
    client.yaml has no `data.accounts`; add the accounts export (account_id, name, target …) to
    unlock the accounts chapter
    """
    if table not in ACCOUNT_TABLES or "account_id" not in con.table(table).columns:
        return []
    if not accounts_loaded:
        named = int(con.sql(f"SELECT count(account_id) FROM {table}").fetchall()[0][0])
        return _no_accounts_file(table, label, "account_id", named)
    unknown = (
        f"{table} WHERE account_id IS NOT NULL AND account_id NOT IN "
        "(SELECT account_id FROM accounts)"
    )
    total = int(con.sql(f"SELECT count(*) FROM {unknown}").fetchall()[0][0])
    if not total:
        return []
    values = [
        v[0] for v in con.sql(f"SELECT DISTINCT account_id FROM {unknown} ORDER BY 1 LIMIT 3")
        .fetchall()
    ]  # fmt: skip
    where = f"{int(total):,} {'row' if total == 1 else 'rows'}"
    return _unknown_accounts(table, label, "account_id", where, total, [], values)


def _no_accounts_file(table: str, label: str, column: str, named: int) -> list[Problem]:
    """The warning that ``column`` names companies while client.yaml has no accounts file."""
    if not named:
        return []
    message = (
        f"{label}: column '{column}' names the contact's company (account_id) on "
        f"{named:,} row(s), but client.yaml has no `data.accounts`; add the accounts export "
        "(account_id, name, target …) to unlock the accounts chapter"
    )
    return [Problem(table, label, column, "accounts_missing", "warning", named, [], [], message)]


def _unknown_accounts(
    table: str, label: str, column: str, where: str, total: int, lines: list[int],
    values: list[Any],
) -> list[Problem]:  # fmt: skip
    """The problem of ``total`` rows (``where``: how many, which lines) naming unknown accounts."""
    severity = ACCOUNT_TABLES[table]
    fix = (
        "add those companies to the accounts export, or fix the ids so they match "
        "accounts.account_id"
    )
    effect = f"; they count for no account until you {fix}" if severity == "warning" else f"; {fix}"
    message = (
        f"{label}: {where} in column '{column}' (account_id) "
        f"name{'s' if total == 1 else ''} an account that is not in the accounts file (values "
        f"seen: {', '.join(repr(v) for v in values)}){effect}"
    )
    return [Problem(table, label, column, "unknown_account", severity, total, lines, [], message)]


def account_warnings(
    con: duckdb.DuckDBPyConnection, label: str, *, has_target: bool
) -> list[Problem]:
    """Warnings about the accounts table itself: a target column that marks no account."""
    if not has_target:
        return []
    targets = int(con.sql("SELECT count_if(target) FROM accounts").fetchall()[0][0])
    if targets:
        return []
    message = (
        f"{label}: column 'target' marks no account as a target, so every account metric "
        "counts zero target accounts; mark the target list (yes/1/true) or remove the mapping of "
        "`target` (then every account is a target)"
    )
    return [Problem("accounts", label, "target", "no_target", "warning", 0, [], [], message)]
