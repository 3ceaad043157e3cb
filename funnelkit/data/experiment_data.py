"""An experiment's data in the shapes it arrives in: outcome columns on the row, per-variant sums.

The loader keeps every column of the assignments file beyond the canonical ones (see
:mod:`funnelkit.data.loader`); an experiment's ``outcomes`` and ``segments`` in ``client.yaml``
name some of them. :func:`check_experiment_columns` checks those columns when the experiment is
analysed, and :func:`outcome_sql` reads them; :func:`read_summary` reads a per-variant export
(``summary:``). Every problem is a :class:`~funnelkit.core.errors.DataError` naming the file,
the column, the rows and the fix, raised before any statistic is computed.

Conventions
-----------
- A ``share`` outcome is a flag: ``1``/``0``, ``TRUE``/``FALSE`` (any case, also ``1.0`` and
  Parquet booleans). A ``mean`` outcome is any finite number. An empty cell is an error in
  both (a final value per user is expected).
- Rows without an ``experiment`` value (a file without that column) belong to every
  experiment declared.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from ..core.errors import DataError, format_rows
from ..core.sql import lit, q, trimmed
from .adapters import find_adapter
from .formats import layout_of, number_sql
from .loader import ASSIGNMENT_COLUMNS_TABLE, Client
from .sections import ExperimentConfig
from .sources import connect, create_raw, detect_format, read_error

if TYPE_CHECKING:
    from .config import ClientConfig

__all__ = [
    "SUMMARY_COLUMNS",
    "assignment_rows",
    "check_experiment_columns",
    "experiment_rows",
    "outcome_sql",
    "read_summary",
]

#: Columns of a per-variant summary export; the first three are required.
SUMMARY_COLUMNS = ("variant", "users", "conversions", "revenue_sum", "revenue_sum_sq",
                   "orders_sum", "orders_sum_sq", "buyers")  # fmt: skip


def experiment_rows(name: str) -> str:
    """SQL condition selecting one experiment's rows of ``assignments``.

    Examples
    --------
    >>> experiment_rows("gate")
    "(experiment = 'gate' OR experiment IS NULL)"
    """
    return f"(experiment = {lit(name)} OR experiment IS NULL)"


def assignment_rows(client: Client) -> str:
    """SQL relation: ``assignments`` with the file's other columns beside it, row for row.

    Examples
    --------
    >>> from funnelkit import load_client
    >>> assignment_rows(load_client(emit_warnings=False))  # the demo has no other columns
    'assignments'
    """
    found = client.con.sql(
        f"SELECT count(*) FROM duckdb_tables() WHERE table_name = {lit(ASSIGNMENT_COLUMNS_TABLE)}"
    ).fetchall()[0][0]
    if not found:
        return "assignments"
    return f"(SELECT * FROM assignments POSITIONAL JOIN {ASSIGNMENT_COLUMNS_TABLE})"


def outcome_sql(column: str, kind: str) -> str:
    """SQL reading an outcome column as a number: 0/1 for a ``share``, a DOUBLE for a ``mean``.

    NULL where the value does not fit (then :func:`check_experiment_columns` has failed).

    Examples
    --------
    >>> import duckdb
    >>> sql = outcome_sql("x", "share")
    >>> duckdb.sql(f"SELECT {sql} FROM (VALUES ('TRUE'), (' 0 '), ('yes')) t(x)").fetchall()
    [(1.0,), (0.0,), (None,)]
    """
    text = trimmed(f"CAST({q(column)} AS VARCHAR)")
    number = f"TRY_CAST({text} AS DOUBLE)"
    if kind == "share":
        return (
            f"CASE WHEN upper({text}) = 'TRUE' THEN 1.0 WHEN upper({text}) = 'FALSE' THEN 0.0 "
            f"WHEN {number} IN (0, 1) THEN {number} END"
        )
    return f"CASE WHEN isfinite({number}) THEN {number} END"


def _fail(client: Client, column: str, message: str, rows: list, total: int) -> DataError:
    path = client.source("assignments")
    text = path.suffix.lower() not in (".parquet", ".pq")
    lines = [int(r) + (1 if text else 0) for r in rows]
    where = format_rows(lines, total, unit="line" if text else "row")
    return DataError(
        f"{path.name}: {where} {message}",
        table="assignments",
        file=path.name,
        column=column,
        row_count=total,
        example_rows=lines,
    )


def check_experiment_columns(client: Client, experiment: ExperimentConfig) -> None:
    """Check the outcome and segment columns an experiment names in the assignments file.

    Raises
    ------
    DataError
        A column the file does not have (listing its columns), or outcome values that are not
        flags (``share``) or numbers (``mean``), with the file, column, rows and the fix.
    """
    if not experiment.outcomes and not experiment.segments:
        return
    name = experiment.name
    path = client.source("assignments")
    rows = assignment_rows(client)
    present = [c for c in client.con.sql(f"SELECT * FROM {rows} LIMIT 0").columns]
    for column in [*experiment.outcomes, *experiment.segments]:
        if column not in present:
            role = "an outcome" if column in experiment.outcomes else "a segment"
            raise DataError(
                f"{path.name}: experiment {name!r} names {role} column {column!r}, which the "
                f"assignments file does not have; its columns are {present}. Fix the name "
                f"under `experiments` in client.yaml, or add the column to the export.",
                table="assignments",
                file=path.name,
                column=column,
            )
    numbered = (
        f"(SELECT * FROM (SELECT *, row_number() OVER () AS __n FROM {rows}) "
        f"WHERE {experiment_rows(name)})"
    )
    for column, kind in experiment.outcomes.items():
        bad = f"({outcome_sql(column, kind)}) IS NULL"
        total = int(client.con.sql(f"SELECT count_if({bad}) FROM {numbered}").fetchall()[0][0] or 0)
        if not total:
            continue
        found = client.con.sql(
            f"SELECT __n, CAST({q(column)} AS VARCHAR) FROM {numbered} WHERE {bad} "
            "ORDER BY __n LIMIT 5"
        ).fetchall()
        seen = ", ".join(repr(v) for _, v in found[:3])
        wanted = (
            "must be flags written 1/0 or TRUE/FALSE (a `share` outcome)"
            if kind == "share"
            else "must be numbers (a `mean` outcome)"
        )
        raise _fail(
            client,
            column,
            f"in column '{column}' (an outcome of experiment {name!r}) {wanted}; values seen: "
            f"{seen}. Fix the export (every user needs a value), or declare the column as "
            f"{'mean' if kind == 'share' else 'share'} under `outcomes` if that is what it is.",
            [r[0] for r in found],
            total,
        )


def _summary_error(label: str, message: str, column: str | None = None) -> DataError:
    return DataError(f"{label}: {message}", table="summary", file=label, column=column)


def read_summary(config: ClientConfig, experiment: ExperimentConfig) -> pd.DataFrame:
    """Read an experiment's per-variant ``summary`` export: one row per variant.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`SUMMARY_COLUMNS` (optional ones NaN when the file lacks them).

    Raises
    ------
    DataError
        The file is missing a required column, a value is not a number, users are not positive
        whole numbers, conversions exceed users, or a variant repeats.
    """
    source = experiment.summary
    if source is None:
        raise ValueError(f"experiment {experiment.name!r} declares no `summary`")
    key = f"experiments.{experiment.name}.summary"
    path = (config.client_dir / source.path).resolve()
    if not path.is_file():
        raise _summary_error(
            source.path, f"`{key}.path` points to a file that does not exist ({path}); put the "
            "export there or fix the path."
        )  # fmt: skip
    adapter = find_adapter(source.format)
    if adapter is not None and "summary" not in adapter.tables:
        raise _summary_error(
            source.path, f"`{key}.format` is `{adapter.format}` ({adapter.vendor}), which is "
            "not a per-variant summary; use `format: growthbook` or a csv/excel summary."
        )  # fmt: skip
    fmt = adapter.vendor if adapter else detect_format(path, source.format, key=f"`{key}.path`")
    with connect() as con:
        if adapter is not None:  # a testing tool's export, read as the canonical columns
            scan = adapter.build(con, "raw_summary", [path], source, table="summary",
                                 goal=experiment.goal)  # fmt: skip
            source = source.model_copy(update={**scan.layout, "columns": {}})
        else:
            scan = create_raw(con, "raw_summary", path, fmt, source, table=f"{experiment.name}")
        errors = [p.message for p in scan.problems if p.severity == "error"]
        if errors:
            raise _summary_error(path.name, "; ".join(errors))
        try:
            raw = con.table("raw_summary").df()
            if adapter is not None:  # rows left out (other metrics): keep the file's lines
                raw.index = raw["__row"].to_numpy() + scan.line_offset - 2
        except Exception as err:  # a damaged file fails at the first full scan
            raise read_error(path.name, fmt, err, key) from err
    layout = layout_of(source, key=key, timezone=config.timezone, currency=config.currency)
    names = {canon: source.columns.get(canon, canon) for canon in SUMMARY_COLUMNS}
    missing = [c for c in SUMMARY_COLUMNS[:3] if names[c] not in raw.columns]
    if missing:
        cols = [c for c in raw.columns if not c.startswith("__")]
        raise _summary_error(
            path.name, f"the summary of experiment {experiment.name!r} needs columns {missing}, "
            f"which the file does not have; its columns are {cols}. Map them with "
            f"`{key}.columns` (canonical name: your column name).", missing[0],
        )  # fmt: skip
    frame = pd.DataFrame({"variant": raw[names["variant"]].astype(str).str.strip()})
    with connect() as con:
        for canon in SUMMARY_COLUMNS[1:]:
            if names[canon] not in raw.columns:
                frame[canon] = float("nan")
                continue
            texts = raw[names[canon]].astype(str).to_frame("x")  # noqa: F841 (read by DuckDB)
            values = con.sql(f"SELECT {number_sql(trimmed('x'), layout)} FROM texts").fetchall()
            frame[canon] = [v[0] for v in values]
            bad = frame.index[frame[canon].isna()].tolist()
            if bad:
                raise _summary_error(
                    path.name, f"{format_rows([i + 2 for i in bad], len(bad))} in column "
                    f"'{names[canon]}' are not numbers; values seen: "
                    f"{raw[names[canon]].loc[bad[:3]].tolist()}. Fix the export.", canon,
                )  # fmt: skip
    _check_summary(frame, path.name, names)
    return frame[list(SUMMARY_COLUMNS)].reset_index(drop=True)


def _check_summary(frame: pd.DataFrame, label: str, names: dict[str, str]) -> None:
    users, conversions = frame["users"], frame["conversions"]
    rules = [
        ("users", (users <= 0) | (users != users.round()), "must be positive whole numbers"),
        ("conversions", (conversions < 0) | (conversions != conversions.round()),
         "must be whole numbers of at least 0"),
        ("conversions", conversions > users, "exceed the users of their variant"),
        ("variant", frame["variant"].duplicated(keep=False), "repeat: one row per variant"),
    ]  # fmt: skip
    if frame["revenue_sum"].notna().all() and frame["revenue_sum_sq"].notna().all():
        low = frame["revenue_sum"] ** 2 / users
        too_low = frame["revenue_sum_sq"] < low * (1 - 1e-9)
        rules.append(("revenue_sum_sq", too_low, "are below revenue_sum² / users: impossible"))
    for canon, bad, what in rules:
        rows = frame.index[bad].tolist()
        if rows:
            raise _summary_error(
                label, f"{format_rows([i + 2 for i in rows], len(rows))} in column "
                f"'{names[canon]}' {what}; fix the export.", canon,
            )  # fmt: skip
