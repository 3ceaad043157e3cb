"""Small vectorised helpers shared by the demo generator's modules (ids, times, grouping)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pyarrow as pa

from .params import _START64, DATA_START


def _ids(prefix: str, numbers: np.ndarray, width: int) -> np.ndarray:
    """Zero-padded string ids such as ``u000123`` (vectorised)."""
    width = max(width, len(str(int(numbers.max(initial=0)))))
    return np.char.add(prefix, np.char.zfill(numbers.astype(str), width))


def _fmt_seconds(seconds: np.ndarray) -> np.ndarray:
    """Format seconds since the window start as ``YYYY-MM-DD HH:MM:SS`` ("" where negative)."""
    stamps = _START64 + np.maximum(seconds, 0).astype("timedelta64[s]")
    text = np.char.replace(np.datetime_as_string(stamps, unit="s"), "T", " ")
    return np.where(seconds >= 0, text, "")


def _take(vocab: tuple[str, ...] | np.ndarray, codes: np.ndarray) -> pa.Array:
    """Arrow string array ``vocab[codes]``; negative codes become null."""
    codes = np.asarray(codes, dtype=np.int64)
    null = codes < 0
    index = pa.array(np.where(null, 0, codes), mask=null if null.any() else None)
    return pa.array(list(vocab), pa.string()).take(index)


def _group_mean(values: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
    """Mean of ``values`` per integer group (NaN for empty groups)."""
    total = np.bincount(groups, weights=values, minlength=n_groups)
    count = np.bincount(groups, minlength=n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _r(x: float) -> float:
    """Round a float for truth.json (6 decimals)."""
    return round(float(x), 6)


def _lognormal_lag_s(rng: np.random.Generator, median_h: float, sigma: float, n: int) -> np.ndarray:
    """Lognormal lags in whole seconds with the given median (hours)."""
    return np.round(rng.lognormal(np.log(median_h * 3600.0), sigma, n)).astype(np.int64)


def _first_per_group(groups: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Indices of the first row with ``mask`` per group (rows are assumed ordered)."""
    rows = np.flatnonzero(mask)
    _, first = np.unique(groups[rows], return_index=True)
    return rows[first]


def _exp_day(text: str) -> int:
    """Day index (from DATA_START) of an ISO date."""
    return (date.fromisoformat(text) - DATA_START).days
