"""Bootstrap means of resampled users: the same draws as a plain loop, with less work per draw.

Resample ``b`` of an arm of ``n`` users is ``values[rng.integers(0, n, n)]``, drawn in order
from one generator (``n_boot`` resamples of the variant, then of the control: see
:func:`funnelkit.core.stats.means.compare_means`). Three things make it cheap without changing a
single number:

- the indices are drawn once per resample and shared by every value column of the same users
  (revenue and orders per user are resampled together);
- a column of small whole numbers (orders) is summed as integers from a one-byte copy, which is
  exact, so its mean equals the floating-point mean bit for bit; other columns are averaged
  exactly as ``values[idx].mean(axis=1)``;
- the next block of indices is drawn while a worker thread averages the previous one (numpy
  releases the GIL in both), so the two halves of the work overlap.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np

__all__ = ["boot_means"]

MAX_DRAWS = 2**22  # indices drawn per block (32 MB of int64)
_SMALL = ((np.uint8, 0, 2**8 - 1), (np.int16, -(2**15), 2**15 - 1), (np.int32, -(2**31), 2**31 - 1))


def _row_means(values: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """A function giving ``values[idx].mean(axis=1)`` for a 2-D block of indices, bit for bit.

    Whole numbers whose every partial sum is exact in float64 (``n * max|v| < 2**53``, no
    negative zero) are summed as integers from the smallest integer copy that holds them.
    """
    n = len(values)
    if n and np.array_equal(values, np.trunc(values)) and not np.signbit(values[values == 0]).any():
        low, high = values.min(), values.max()
        if max(abs(low), abs(high)) * n < 2**53:
            for dtype, lo, hi in _SMALL:
                if lo <= low and high <= hi:
                    small = values.astype(dtype)
                    return lambda idx: np.add.reduce(small[idx], axis=1, dtype=np.int64) / n
    return lambda idx: values[idx].mean(axis=1)


def boot_means(
    columns: list[np.ndarray], n_boot: int, rng: np.random.Generator
) -> list[np.ndarray]:
    """Means of ``n_boot`` resamples (with replacement) of each column, sharing the indices.

    Parameters
    ----------
    columns
        Value arrays of the same users (equal lengths, at least one).
    n_boot
        Number of resamples.
    rng
        The generator; it is advanced exactly as ``n_boot`` calls of
        ``rng.integers(0, n, n)`` would advance it.

    Returns
    -------
    list of numpy.ndarray
        One array of ``n_boot`` means per column, in order.

    Examples
    --------
    >>> values = np.array([0.0, 10.0, 20.0, 5.0])
    >>> rng = np.random.default_rng(3)
    >>> loop = [values[rng.integers(0, 4, 4)].mean() for _ in range(5)]
    >>> bool(np.array_equal(boot_means([values], 5, np.random.default_rng(3))[0], loop))
    True
    """
    n = len(columns[0])
    step = max(1, MAX_DRAWS // n)
    means = [_row_means(values) for values in columns]
    out = [np.empty(n_boot) for _ in columns]

    def fill(idx: np.ndarray, start: int, stop: int) -> None:
        for mean, target in zip(means, out, strict=True):
            target[start:stop] = mean(idx)

    pending: deque[Future] = deque()
    with ThreadPoolExecutor(max_workers=1) as worker:
        for start in range(0, n_boot, step):
            stop = min(n_boot, start + step)
            idx = rng.integers(0, n, size=(stop - start, n))
            pending.append(worker.submit(fill, idx, start, stop))
            while len(pending) > 1:  # at most two blocks in memory besides the one drawn
                pending.popleft().result()
        for job in pending:
            job.result()
    return out
