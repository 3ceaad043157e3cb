"""How long conversion takes: a histogram and quantiles of the time from step 1 to a step.

:func:`~funnelkit.funnel.steps.time_to_convert` lists every converted unit's hours; this module
gives what the report draws and says, counted where the paths are (DuckDB, or the engine that
holds a client's events), so the rows that come back are the bins, not the units:

- the histogram: ``bins`` equal bins on a log scale from one minute to the longest time (at
  least one hour), times under a minute counted in the first, as the chart draws them;
- the quantiles: units, the quartiles and the median (linear interpolation, as pandas'
  ``quantile`` and R's ``quantile(type = 7)``), and the longest time.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import numpy as np
import pandas as pd

from ..core.errors import FunnelkitError

__all__ = ["MINUTE_HOURS", "QUANTILE_COLUMNS", "conversion_times"]

#: The shortest time the chart shows (one minute, in hours); shorter times count as one minute.
MINUTE_HOURS = 1 / 60
QUANTILE_COLUMNS = ["step", "users", "p25_hours", "median_hours", "p75_hours", "max_hours"]
HISTOGRAM_COLUMNS = ["step", "bin", "low_hours", "high_hours", "users"]


def _hours(step: int) -> str:
    return (
        f"SELECT greatest(epoch(step_{step}_at - step_1_at) / 3600.0, {MINUTE_HOURS!r}) AS hours "
        f"FROM fk_paths WHERE depth >= {step}"
    )


def conversion_times(
    paths: duckdb.DuckDBPyRelation, *, steps: Sequence[str], step: int | None = None, bins: int = 40
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The histogram and the quantiles of the hours from step 1 to ``step``.

    Parameters
    ----------
    paths : duckdb.DuckDBPyRelation
        The relation of :func:`~funnelkit.funnel.steps.funnel_paths` (or the engine's).
    steps : sequence of str
        The funnel's step names.
    step : int, optional
        1-based step number (default: the last step).
    bins : int
        Number of bins, equal on a log scale.

    Returns
    -------
    tuple of pandas.DataFrame
        The histogram (step, bin, low_hours, high_hours, users: every bin, zeros included;
        empty when nobody reached the step) and one row of :data:`QUANTILE_COLUMNS` (users 0
        and NaN hours when nobody did). Times under a minute count as one minute in both.

    Raises
    ------
    FunnelkitError
        A step number outside 2..len(steps), or fewer than one bin.

    Examples
    --------
    >>> paths = duckdb.sql(
    ...     "SELECT u AS unit_id, 2 AS depth, TIMESTAMP '2026-10-01 10:00' AS step_1_at, "
    ...     "TIMESTAMP '2026-10-01 10:00' + h * INTERVAL 1 HOUR AS step_2_at "
    ...     "FROM (VALUES ('a', 1), ('b', 2), ('c', 3), ('d', 30)) AS t(u, h)")
    >>> histogram, quantiles = conversion_times(paths, steps=["view", "buy"], bins=4)
    >>> quantiles[["users", "p25_hours", "median_hours", "p75_hours", "max_hours"]]
       users  p25_hours  median_hours  p75_hours  max_hours
    0      4       1.75           2.5       9.75       30.0
    >>> histogram["users"].tolist()
    [0, 0, 3, 1]
    """
    k = len(steps)
    step = k if step is None else int(step)
    if not 2 <= step <= k:
        raise FunnelkitError(f"`step` must be a step number from 2 to {k}, but {step} was passed.")
    if bins < 1:
        raise FunnelkitError(f"`bins` must be at least 1, but {bins} was passed.")
    name = steps[step - 1]
    quantiles = paths.query(
        "fk_paths",
        f"SELECT count(*) AS users, quantile_cont(hours, 0.25) AS p25_hours, "
        f"median(hours) AS median_hours, quantile_cont(hours, 0.75) AS p75_hours, "
        f"max(hours) AS max_hours FROM ({_hours(step)}) AS h",
    ).df()
    quantiles = quantiles.astype({"users": "int64"}).astype(
        {c: "float64" for c in QUANTILE_COLUMNS[2:]}
    )
    quantiles.insert(0, "step", name)
    users = int(quantiles["users"].iloc[0])
    if not users:
        return pd.DataFrame(columns=HISTOGRAM_COLUMNS), quantiles[QUANTILE_COLUMNS]
    top = max(float(quantiles["max_hours"].iloc[0]), 1.0)
    counted = paths.query(
        "fk_paths",
        f"SELECT bin, count(*) AS users FROM ("
        f"SELECT least(CAST(floor({bins} * ln(hours / {MINUTE_HOURS!r}) / "
        f"{float(np.log(top / MINUTE_HOURS))!r}) AS BIGINT), {bins - 1}) AS bin "
        f"FROM ({_hours(step)}) AS h) AS b GROUP BY bin",
    ).df()
    edges = np.logspace(np.log10(MINUTE_HOURS), np.log10(top), bins + 1)
    edges[0], edges[-1] = MINUTE_HOURS, top  # exactly: the longest time lies in the last bin
    found = counted.set_index("bin")["users"].reindex(range(bins), fill_value=0)
    histogram = pd.DataFrame({"step": name, "bin": np.arange(bins), "low_hours": edges[:-1],
                              "high_hours": edges[1:],
                              "users": found.to_numpy().astype("int64")})  # fmt: skip
    return histogram, quantiles[QUANTILE_COLUMNS]
