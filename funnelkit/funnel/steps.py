"""Per-step funnel tables from the engine's paths: users, shares with Wilson intervals, timings.

Every function here takes the relation returned by :func:`funnelkit.funnel.engine.funnel_paths`
(one row per unit: ``unit_id, depth, step_1_at … step_k_at`` and breakdown columns) and runs one
aggregate query over it in DuckDB; only the per-step (per-segment) aggregates reach pandas.
Times are reported in **hours** (float), so they average, plot and serialise plainly.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from ..core.errors import FunnelkitError
from ..core.stats import wilson
from ..data.validate import q as _q
from .engine import funnel_paths
from .spec import FunnelSpec

__all__ = [
    "FunnelResult",
    "funnel_steps",
    "paths_frame",
    "period_bounds",
    "run_funnel",
    "time_to_convert",
]

MISSING = "(missing)"
_STEP_COLUMNS = [
    "step_number", "step", "users", "share_of_first", "share_of_first_ci_low",
    "share_of_first_ci_high", "share_of_previous", "share_of_previous_ci_low",
    "share_of_previous_ci_high", "dropped", "time_from_previous_median", "time_from_previous_p90",
    "time_from_first_median", "time_from_first_p90",
]  # fmt: skip


def _by_list(by: str | Sequence[str] | None) -> list[str]:
    if by is None:
        return []
    return [by] if isinstance(by, str) else list(by)


def _step_columns(k: int) -> str:
    return ", ".join(f"step_{i}_at" for i in range(1, k + 1))


def _query(paths: duckdb.DuckDBPyRelation, sql: str) -> pd.DataFrame:
    """Run ``sql`` (which names the relation ``fk_paths``) on the relation's own connection."""
    return paths.query("fk_paths", sql).df()


def _check_paths(paths: duckdb.DuckDBPyRelation, steps: Sequence[str], by: list[str]) -> None:
    need = ["unit_id", "depth", *(f"step_{i}_at" for i in range(1, len(steps) + 1)), *by]
    missing = [c for c in need if c not in paths.columns]
    if missing:
        raise FunnelkitError(
            f"The paths relation lacks column(s) {missing} (it has {paths.columns}); pass the "
            "relation returned by `funnel_paths` with the same `steps` and `by=` breakdowns."
        )


def _step_times(group: str, n: int) -> str:
    """The units that reached step ``n`` with their hours from the previous step and step 1.

    Standard SQL (one ``SELECT`` per step, no list indexing), so every engine runs it; the
    hours are the microseconds between the steps / 10^6 / 3600, as ``epoch(interval)`` gives.
    """

    def hours(a: int, b: int) -> str:
        return f"date_diff('microsecond', step_{a}_at, step_{b}_at) / 1000000.0 / 3600.0"

    prev, first = (hours(n - 1, n), hours(1, n)) if n > 1 else ("NULL", "NULL")
    return (
        f"SELECT {group} {n} AS step_number, CAST({prev} AS DOUBLE) AS h_prev, "
        f"CAST({first} AS DOUBLE) AS h_first FROM t WHERE depth >= {n}"
    )


def funnel_steps(
    paths: duckdb.DuckDBPyRelation,
    *,
    steps: Sequence[str],
    by: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Turn the engine's paths (one row per unit) into one row per step (and segment).

    Parameters
    ----------
    paths : duckdb.DuckDBPyRelation
        The relation of :func:`funnel_paths`: ``unit_id, depth, step_1_at … step_k_at`` plus the
        ``by`` columns.
    steps : sequence of str
        The funnel's step names, in order (they label the rows; ``k = len(steps)``).
    by : str or sequence of str, optional
        Breakdown column(s) of ``paths``; missing values are shown as ``"(missing)"``.

    Returns
    -------
    pandas.DataFrame
        The ``by`` columns, then ``step_number`` (1-based), ``step``, ``users`` (units whose
        deepest step is at least this one), ``share_of_first`` (users / users at step 1) with
        ``share_of_first_ci_low/high``, ``share_of_previous`` (users / users at the step before;
        1 at step 1) with ``share_of_previous_ci_low/high`` (Wilson 95%), ``dropped`` (users of
        the previous step − users; 0 at step 1), and the median and 90th percentile of the time
        in **hours** from the previous step and from step 1 (``time_from_previous_median``,
        ``time_from_previous_p90``, ``time_from_first_median``, ``time_from_first_p90``; NaN at
        step 1 and where nobody arrived). A zero denominator gives NaN shares, never an error.

    Examples
    --------
    >>> import duckdb
    >>> paths = duckdb.sql(
    ...     "SELECT * FROM (VALUES ('a', 2, TIMESTAMP '2026-10-01 10:00', TIMESTAMP "
    ...     "'2026-10-01 12:00'), ('b', 1, TIMESTAMP '2026-10-02 09:00', NULL)) "
    ...     "t(unit_id, depth, step_1_at, step_2_at)"
    ... )
    >>> funnel_steps(paths, steps=["view", "buy"])[["step", "users", "share_of_first", "dropped",
    ...                                               "time_from_first_median"]]
       step  users  share_of_first  dropped  time_from_first_median
    0  view      2             1.0        0                     NaN
    1   buy      1             0.5        1                     2.0
    """
    steps = list(steps)
    by = _by_list(by)
    _check_paths(paths, steps, by)
    k = len(steps)
    seg = ", ".join(f"coalesce(CAST({_q(b)} AS VARCHAR), '{MISSING}') AS {_q(b)}" for b in by)
    group = "".join(f"{_q(b)}, " for b in by)
    sql = f"""
        WITH t AS (SELECT {seg + "," if seg else ""} depth, {_step_columns(k)} FROM fk_paths),
        u AS ({" UNION ALL ".join(_step_times(group, n) for n in range(1, k + 1))})
        SELECT {group} step_number, count(*) AS users,
            quantile_cont(h_prev, 0.5) AS time_from_previous_median,
            quantile_cont(h_prev, 0.9) AS time_from_previous_p90,
            quantile_cont(h_first, 0.5) AS time_from_first_median,
            quantile_cont(h_first, 0.9) AS time_from_first_p90
        FROM u GROUP BY ALL
    """
    agg = _query(paths, sql)
    agg["step_number"] = agg["step_number"].astype(int)
    # complete grid: every segment × every step, zero users where nobody arrived
    grid = pd.DataFrame({"step_number": range(1, k + 1)})
    if by:
        segments = agg[by].drop_duplicates()
        grid = segments.merge(grid, how="cross")
    frame = grid.merge(agg, on=[*by, "step_number"], how="left")
    frame["users"] = frame["users"].fillna(0).astype("int64")
    frame = frame.sort_values([*by, "step_number"], kind="stable").reset_index(drop=True)
    frame["step"] = [steps[n - 1] for n in frame["step_number"]]
    grouped = frame.groupby(by, sort=False)["users"] if by else None
    first = grouped.transform("first") if by else pd.Series(frame["users"].iloc[0], frame.index)
    previous = grouped.shift(1) if by else frame["users"].shift(1)
    previous = previous.fillna(frame["users"]).astype("int64")
    with np.errstate(invalid="ignore", divide="ignore"):
        frame["share_of_first"] = np.where(first > 0, frame["users"] / first, np.nan)
        frame["share_of_previous"] = np.where(previous > 0, frame["users"] / previous, np.nan)
    frame["share_of_first_ci_low"], frame["share_of_first_ci_high"] = wilson(frame["users"], first)
    low, high = wilson(frame["users"], previous)
    frame["share_of_previous_ci_low"], frame["share_of_previous_ci_high"] = low, high
    frame["dropped"] = (previous - frame["users"]).astype("int64")
    return frame[[*by, *_STEP_COLUMNS]]


def time_to_convert(
    paths: duckdb.DuckDBPyRelation, *, steps: Sequence[str], step: int | None = None
) -> pd.DataFrame:
    """Per-unit time from step 1 to a step, for the units that reached it.

    Parameters
    ----------
    paths : duckdb.DuckDBPyRelation
        The relation of :func:`funnel_paths`.
    steps : sequence of str
        The funnel's step names.
    step : int, optional
        1-based step number (default: the last step).

    Returns
    -------
    pandas.DataFrame
        ``unit_id, step, hours`` (float hours from step 1 to ``step``), one row per unit that
        reached it.

    Examples
    --------
    >>> import duckdb
    >>> paths = duckdb.sql(
    ...     "SELECT 'a' AS unit_id, 2 AS depth, TIMESTAMP '2026-10-01 10:00' AS step_1_at, "
    ...     "TIMESTAMP '2026-10-01 11:30' AS step_2_at"
    ... )
    >>> time_to_convert(paths, steps=["view", "buy"])
      unit_id step  hours
    0       a  buy    1.5
    """
    k = len(steps)
    step = k if step is None else int(step)
    if not 2 <= step <= k:
        raise FunnelkitError(f"`step` must be a step number from 2 to {k}, but {step} was passed.")
    _check_paths(paths, steps, [])
    frame = _query(
        paths,
        f"SELECT CAST(unit_id AS VARCHAR) AS unit_id, epoch(step_{step}_at - step_1_at) / 3600.0 "
        f"AS hours FROM fk_paths WHERE depth >= {step} ORDER BY hours, unit_id",
    )
    frame.insert(1, "step", steps[step - 1])
    return frame


def paths_frame(paths: duckdb.DuckDBPyRelation) -> pd.DataFrame:
    """The paths relation in pandas (one row per unit; fine for small funnels and tests)."""
    return paths.df()


def period_bounds(client: Any, period: str = "current") -> tuple[datetime, datetime]:
    """``(start, end_exclusive)`` of the client's analysis period, or of the one before it.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from datetime import date
    >>> config = SimpleNamespace(period=SimpleNamespace(start=date(2026, 10, 1), days=31))
    >>> period_bounds(SimpleNamespace(config=config), "previous")
    (datetime.datetime(2026, 8, 31, 0, 0), datetime.datetime(2026, 10, 1, 0, 0))
    """
    if period not in ("current", "previous"):
        raise FunnelkitError(
            f"The value for `period` must be one of ['current', 'previous'], but {period!r} "
            "was passed."
        )
    start = datetime.combine(client.config.period.start, datetime.min.time())
    length = timedelta(days=client.config.period.days)
    end = start + length
    if period == "previous":
        start, end = start - length, start
    return start, end


_TABLES = itertools.count()


def _materialize(paths: duckdb.DuckDBPyRelation) -> duckdb.DuckDBPyRelation:
    """Compute the paths once into a table of their own connection.

    Every later aggregate then reads the table instead of re-running the engine.
    """
    name = f"fk_funnel_paths_{next(_TABLES)}"
    # TEMP: the client's own database is opened read-only (prepared data)
    paths.query("fk_paths", f"CREATE TEMP TABLE {name} AS SELECT * FROM fk_paths")
    return paths.query("fk_paths", f"SELECT * FROM {name}")


@dataclass
class FunnelResult:
    """One funnel run: its spec, period, the per-unit paths and the per-step tables.

    ``table`` is the whole funnel (:func:`funnel_steps` without breakdown); ``by_table`` the
    same per combination of the ``by`` columns (None without ``by``).
    """

    spec: Any
    steps: list[str]
    period: tuple[datetime, datetime]
    paths: duckdb.DuckDBPyRelation
    table: pd.DataFrame
    by: list[str] = field(default_factory=list)
    by_table: pd.DataFrame | None = None

    def to_results(self) -> dict[str, Any]:
        """Plain values for ``save_results``: steps, period and the per-step table."""
        return {"steps": self.steps, "period": list(self.period), "table": self.table}


def run_funnel(
    client: Any,
    *,
    steps: Sequence[str] | None = None,
    by: str | Sequence[str] | None = None,
    period: str = "current",
    **overrides: Any,
) -> FunnelResult:
    """Run the client's configured funnel for the analysis period (or the one before it).

    Parameters
    ----------
    client : funnelkit.data.loader.Client
        A loaded client with an ``events`` table.
    steps : sequence of str, optional
        Step names or patterns (default: ``funnel.steps`` in client.yaml).
    by : str or sequence of str, optional
        Breakdown columns of ``events`` (e.g. ``"channel"``).
    period : {"current", "previous"}
        The analysis period, or the equal-length period just before it.
    **overrides
        Any field of :class:`FunnelSpec` to change (``conversion_window``, ``order``,
        ``entry``, ``window_from``, ``exclusions``, ``unit`` …).

    Returns
    -------
    FunnelResult
        ``spec``, ``steps``, ``period`` (start, end exclusive), ``paths`` (relation, one row per
        unit) and ``table`` (:func:`funnel_steps`).

    Examples
    --------
    >>> import funnelkit as fk
    >>> result = run_funnel(fk.load_client(emit_warnings=False), by="device")
    >>> result.table[["step_number", "step"]].head(2)
       step_number         step
    0            1    view_item
    1            2  add_to_cart
    >>> sorted(result.by_table["device"].unique())
    ['desktop', 'mobile', 'tablet']
    """
    spec = FunnelSpec.from_config(client.config.funnel, steps=steps)
    changes = dict(overrides)
    if changes:
        spec = dataclasses.replace(spec, **changes)
    by = _by_list(by)
    bounds = period_bounds(client, period)
    paths = _materialize(funnel_paths(client, spec=spec, by=tuple(by), period=bounds))
    names = [str(s) for s in spec.steps]
    table = funnel_steps(paths, steps=names)
    by_table = funnel_steps(paths, steps=names, by=by) if by else None
    return FunnelResult(spec, names, bounds, paths, table, by, by_table)
