"""Testing tools' per-variant results read as an experiment's ``summary`` (users, conversions).

Follows GrowthBook's results export ("Export as CSV" on an experiment's results tab; its columns
are those of ``ResultsDownloadButton`` in https://github.com/growthbook/growthbook,
``packages/front-end/components/Experiment/ResultsDownloadButton.tsx``): one row per metric and
variation — ``metricName``, ``variationName``, ``riskOfChoosing``, ``users``, ``count``
(the metric's total: conversions of a binomial metric), ``conversionRate``,
``chanceToBeatControl``, ``percentChange``. Title-case spellings (``Metric``, ``Variation``,
``Users`` / ``Units``, ``Conversions`` / ``Total Value``) are read as well.

``summary`` is not a loader table: :func:`funnelkit.data.experiment_data.read_summary` calls the
adapter's build for the pseudo-table ``summary``, which writes the canonical summary columns
(``variant``, ``users``, ``conversions``) as text; ``read_summary`` then checks them as it
checks any summary file. With several metrics in the file, the rows of the metric named by the
experiment's ``goal`` are read (a :class:`~funnelkit.core.errors.ConfigError` lists the metrics
when none matches).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...core.errors import ConfigError
from ...core.sql import lit, q
from ..sources import RawScan, create_raw
from . import Adapter, register

if TYPE_CHECKING:
    import duckdb

__all__ = ["GROWTHBOOK"]

#: Summary column -> GrowthBook's names for it (first present wins).
_NAMES = {
    "variant": ("variationName", "variation", "Variation", "Variation Name"),
    "users": ("users", "Users", "Units", "units"),
    "conversions": ("count", "totalValue", "Conversions", "Total Value", "Count"),
}
_METRIC = ("metricName", "metric", "Metric", "Metric Name")
_DIMENSION = ("dimension", "Dimension")


def _find(present: list[str], names: tuple[str, ...]) -> str | None:
    lowered = {c.strip().lstrip("\ufeff").casefold(): c for c in present}
    return next((lowered[n.casefold()] for n in names if n.casefold() in lowered), None)


def _build_growthbook(
    con: duckdb.DuckDBPyConnection,
    raw: str,
    files: list[Path],
    source: Any,
    *,
    table: str,
    goal: str | None = None,
) -> RawScan:
    """Create ``raw`` (``__row``, ``variant``, ``users``, ``conversions``) from a results CSV."""
    path, file = files[0], f"{raw}_file"
    scan = create_raw(con, file, path, "csv", source, table=table)
    if any(p.severity == "error" for p in scan.problems):
        return RawScan(scan.line_offset, scan.unit, scan.problems, relation="table")
    present = [c for c in con.table(file).columns if c != "__row"]
    cols = {canon: _find(present, names) for canon, names in _NAMES.items()}
    missing = [canon for canon, col in cols.items() if col is None]
    if missing:
        raise ConfigError(
            f"{path.name}: not a GrowthBook results export: no column for {missing} (looked for "
            f"{[_NAMES[m][0] for m in missing]}); its columns are {present}. Export the results "
            "table with 'Export as CSV', or read the file without `format: growthbook`."
        )
    where = []
    metric = _find(present, _METRIC)
    if metric is not None:
        metrics = [r[0] for r in con.sql(f"SELECT DISTINCT {q(metric)} FROM {file}").fetchall()]
        chosen = [m for m in metrics if goal and str(m).strip().casefold() == goal.casefold()]
        if len(metrics) > 1 and not chosen:
            raise ConfigError(
                f"{path.name}: the export holds {len(metrics)} metrics "
                f"({sorted(map(str, metrics))}) and the experiment's `goal` ({goal!r}) names "
                "none of them; set `goal:` to the metric to analyse."
            )
        if chosen:
            where.append(f"{q(metric)} = {lit(chosen[0])}")
    dimension = _find(present, _DIMENSION)
    if dimension is not None:
        values = con.sql(f"SELECT DISTINCT {q(dimension)} FROM {file}").fetchall()
        if len(values) > 1:
            raise ConfigError(
                f"{path.name}: the export is split by a dimension ({len(values)} values in "
                f"'{dimension}'); export the results with no dimension (all users)."
            )
    select = ", ".join(f"{q(col)} AS {canon}" for canon, col in cols.items())
    con.execute(
        f"CREATE TEMP TABLE {raw} AS SELECT __row, {select} FROM {file} "
        f"{'WHERE ' + ' AND '.join(where) if where else ''} ORDER BY __row"
    )
    con.execute(f"DROP TABLE {file}")
    return RawScan(scan.line_offset, scan.unit, scan.problems, relation="table")


GROWTHBOOK = register(Adapter(
    format="growthbook", vendor="GrowthBook experiment results export",
    schema="GrowthBook results 'Export as CSV' (ResultsDownloadButton.tsx in "
           "https://github.com/growthbook/growthbook)",
    tables={"summary": {"variant": "variationName", "users": "users",
                        "conversions": "count (the goal metric's rows, by metricName)"}},
    suffixes=(".csv",), build=_build_growthbook,
    signature=frozenset({"metricName", "variationName", "users", "count"}),
    hints={"variationName": "GrowthBook variation; read the results export as an experiment's "
           "`summary` with `format: growthbook`"},
))  # fmt: skip
