"""What a notebook hands back to the report.

Every report notebook ends with a plumbing cell (tagged ``remove-cell``) calling
:func:`save_results`; ``funnelkit run`` sets ``results_path`` and gathers the files into
``summary.json`` (:mod:`funnelkit.run.summary`). Run
interactively (or under nbval) ``results_path`` is empty and nothing is written, so a notebook
never needs an ``if``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import json
import math
import os
from collections.abc import Mapping
from pathlib import Path, PurePath
from typing import Any

import numpy as np
import pandas as pd

from ..core.errors import ReportError

__all__ = [
    "load_results",
    "save_results",
    "to_jsonable",
]


def to_jsonable(obj: Any, *, _where: str = "results") -> Any:
    """Convert numbers, dates and frames into plain JSON values.

    numpy and pandas scalars become ``int``/``float``/``bool``; NaN, infinity, ``NaT`` and
    ``pd.NA`` become ``None`` (JSON ``null``); timestamps, dates and times become ISO 8601
    strings; timedeltas become seconds; a DataFrame becomes a list of records (one dict per
    row); a Series with a default index becomes a list, otherwise a dict keyed by its index.

    Parameters
    ----------
    obj
        Any nesting of dicts, lists, tuples, scalars, arrays, Series and DataFrames.

    Returns
    -------
    Any
        The same structure made of ``dict``, ``list``, ``str``, ``int``, ``float``, ``bool``
        and ``None`` only.

    Raises
    ------
    ReportError
        For a value with no JSON form, naming where it sits in the structure.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> to_jsonable({"rate": np.float64(0.25), "n": np.int64(3), "gap": float("nan")})
    {'rate': 0.25, 'n': 3, 'gap': None}
    >>> to_jsonable(pd.DataFrame({"step": ["view", "buy"], "users": [10, 4]}))
    [{'step': 'view', 'users': 10}, {'step': 'buy', 'users': 4}]
    >>> to_jsonable({"day": pd.Timestamp("2026-10-01 12:30")})
    {'day': '2026-10-01T12:30:00'}
    """
    if obj is None or isinstance(obj, str | bool):
        return obj
    if isinstance(obj, np.datetime64):
        return to_jsonable(pd.Timestamp(obj), _where=_where)
    if isinstance(obj, np.timedelta64):  # a subclass of np.integer
        return to_jsonable(pd.Timedelta(obj), _where=_where)
    if isinstance(obj, int | np.integer) and not isinstance(obj, np.bool_):
        return int(obj)
    if isinstance(obj, float | np.floating | decimal.Decimal):
        value = float(obj)
        return value if math.isfinite(value) else None
    if isinstance(obj, np.bool_):
        return bool(obj)
    if obj is pd.NaT or obj is pd.NA:
        return None
    if isinstance(obj, pd.Timedelta | dt.timedelta):
        return obj.total_seconds()
    if isinstance(obj, dt.datetime | dt.date | dt.time | pd.Timestamp):
        return obj.isoformat()
    if isinstance(obj, pd.DataFrame):
        records = obj.reset_index(drop=isinstance(obj.index, pd.RangeIndex))
        return [
            to_jsonable(row, _where=f"{_where}[{i}]")
            for i, row in enumerate(records.to_dict(orient="records"))
        ]
    if isinstance(obj, pd.Series):
        if isinstance(obj.index, pd.RangeIndex):
            return to_jsonable(obj.tolist(), _where=_where)
        return to_jsonable(obj.to_dict(), _where=_where)
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist(), _where=_where)
    if isinstance(obj, Mapping):
        return {_key(k): to_jsonable(v, _where=f"{_where}.{k}") for k, v in obj.items()}
    if isinstance(obj, list | tuple | set | frozenset):
        items = sorted(obj, key=str) if isinstance(obj, set | frozenset) else obj
        return [to_jsonable(v, _where=f"{_where}[{i}]") for i, v in enumerate(items)]
    if isinstance(obj, PurePath):
        return str(obj)
    if hasattr(obj, "model_dump"):  # pydantic models
        return to_jsonable(obj.model_dump(mode="json"), _where=_where)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return to_jsonable(dataclasses.asdict(obj), _where=_where)
    if isinstance(obj, np.generic):
        return to_jsonable(obj.item(), _where=_where)
    raise ReportError(
        f"`{_where}` is a {type(obj).__name__}, which has no JSON form; convert it to a number, "
        "string, list, dict or DataFrame before calling save_results."
    )


def _key(key: Any) -> str:
    converted = to_jsonable(key, _where="key")
    return converted if isinstance(converted, str) else json.dumps(converted)


def save_results(results: dict[str, Any], results_path: str | Path) -> dict[str, Any]:
    """Write a notebook's results as JSON for ``summary.json``; a no-op when the path is empty.

    Parameters
    ----------
    results
        The notebook's key numbers and tables, e.g. ``{"conversion_rate": 0.031, "steps": df}``.
    results_path
        The notebook's ``results_path`` parameter. ``funnelkit run`` sets it; empty when the
        notebook runs interactively, and then nothing is written.

    Returns
    -------
    dict
        ``results`` converted by :func:`to_jsonable` (what was, or would be, written).

    Raises
    ------
    ReportError
        If ``results`` is not a dict or holds a value with no JSON form.

    Examples
    --------
    >>> save_results({"users": np.int64(1200), "rate": np.float64(0.5)}, "")
    {'users': 1200, 'rate': 0.5}
    """
    if not isinstance(results, Mapping):
        raise ReportError(
            f"save_results needs a dict of results, but a {type(results).__name__} was passed; "
            "wrap it, e.g. save_results({'table': df}, results_path)."
        )
    data = to_jsonable(dict(results))
    if str(results_path or "").strip():
        path = Path(results_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        tmp.replace(path)
    return data


def load_results(path: str | Path) -> dict[str, Any]:
    """Read a results file written by :func:`save_results`.

    Raises
    ------
    ReportError
        If the file is missing or not valid JSON.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = save_results({"n": 3}, f"{tmp}/x.results.json")
    ...     load_results(f"{tmp}/x.results.json")
    {'n': 3}
    """
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReportError(
            f"{path}: no results file; the notebook must end with "
            "save_results(results, results_path) in a cell tagged remove-cell."
        ) from None
    except json.JSONDecodeError as err:
        raise ReportError(f"{path}: is not valid JSON ({err}); re-run the notebook.") from err
