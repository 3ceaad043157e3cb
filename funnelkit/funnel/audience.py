"""The drop-off audience: who stopped at a step, as a CSV next to the report for retargeting."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pandas as pd

from ..core.errors import FunnelkitError

__all__ = ["dropoff_audience", "write_audience"]


def dropoff_audience(paths: duckdb.DuckDBPyRelation, *, step: int) -> pd.DataFrame:
    """Units that reached step ``step − 1`` but not ``step`` (they dropped at ``step``).

    Parameters
    ----------
    paths : duckdb.DuckDBPyRelation
        The relation of :func:`funnel_paths` (breakdown columns are kept).
    step : int
        The step they did not reach (2..k).

    Returns
    -------
    pandas.DataFrame
        ``unit_id, reached_step`` (= step − 1), ``last_step_at`` (time of their last reached
        step) and the breakdown columns, ordered by ``unit_id``.

    Examples
    --------
    >>> import duckdb
    >>> paths = duckdb.sql(
    ...     "SELECT * FROM (VALUES ('a', 2, TIMESTAMP '2026-10-01 10:00', TIMESTAMP "
    ...     "'2026-10-01 12:00'), ('b', 1, TIMESTAMP '2026-10-02 09:00', NULL)) "
    ...     "t(unit_id, depth, step_1_at, step_2_at)"
    ... )
    >>> dropoff_audience(paths, step=2)
      unit_id  reached_step        last_step_at
    0       b             1 2026-10-02 09:00:00
    """
    k = sum(c.startswith("step_") and c.endswith("_at") for c in paths.columns)
    if not 2 <= step <= k:
        raise FunnelkitError(
            f"`step` must be a step number from 2 to {k}, but {step!r} was passed."
        )
    extra = [c for c in paths.columns if c not in {"unit_id", "depth"} and not
             (c.startswith("step_") and c.endswith("_at"))]  # fmt: skip
    cols = "".join(f', "{c}"' for c in extra)
    return paths.query(
        "fk_paths",
        f"SELECT unit_id, depth AS reached_step, step_{step - 1}_at AS last_step_at{cols} "
        f"FROM fk_paths WHERE depth = {step - 1} ORDER BY unit_id",
    ).df()


def write_audience(frame: pd.DataFrame, results_path: str | Path, *, step_name: str) -> Path | None:
    """Write the audience as ``audience_dropped_at_<step>.csv`` in the report folder.

    The report folder is the folder of ``results_path``; with an empty ``results_path`` (an
    interactive run, nbval) nothing is written and None is returned. The file never goes into
    the HTML report.

    Examples
    --------
    >>> write_audience(pd.DataFrame({"unit_id": ["b"]}), "", step_name="purchase") is None
    True
    """
    if not str(results_path):
        return None
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", step_name).strip("_") or "step"
    target = Path(results_path).parent / f"audience_dropped_at_{safe}.csv"
    target.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(target, index=False)
    return target
