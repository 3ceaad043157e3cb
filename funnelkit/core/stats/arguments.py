"""The statistics' input checks and the errors they raise (:class:`AnalysisError`, core.errors).

Every check names the argument, the value received, what is allowed and the fix, so a consultant
reading the message in a notebook knows what to change without opening the code.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from ..errors import AnalysisError, AnalysisWarning

__all__ = ["ALTERNATIVES", "AnalysisError", "AnalysisWarning"]

#: Accepted ``alternative`` values; "larger" means variant > control.
ALTERNATIVES = ("two-sided", "larger", "smaller")


def check_choice(name: str, value: object, allowed: Sequence[str]) -> str:
    """Return ``value`` if it is one of ``allowed``, else raise :class:`AnalysisError`."""
    if not isinstance(value, str) or value not in allowed:
        raise AnalysisError(
            f"The value for `{name}` must be one of {list(allowed)}, but {value!r} was passed."
        )
    return value


def check_open_unit(name: str, value: object) -> float:
    """Return ``value`` as a float if it lies strictly between 0 and 1 (alpha, power, a rate)."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        raise AnalysisError(
            f"`{name}` must be a number strictly between 0 and 1, but {value!r} was passed."
        )
    number = float(value)
    if not 0.0 < number < 1.0:
        raise AnalysisError(
            f"`{name}` must be strictly between 0 and 1, but {number!r} was passed; "
            f"e.g. {name}=0.05 for alpha, 0.8 for power, 0.04 for a 4% rate."
        )
    return number


def check_positive(name: str, value: object, *, minimum: float = 0.0) -> float:
    """Return ``value`` as a float if it is a finite number greater than ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        raise AnalysisError(f"`{name}` must be a number > {minimum:g}, but {value!r} was passed.")
    number = float(value)
    if not np.isfinite(number) or number <= minimum:
        raise AnalysisError(
            f"`{name}` must be a finite number > {minimum:g}, but {number!r} was passed."
        )
    return number


def check_columns(data: object, columns: Iterable[str], *, what: str = "data") -> None:
    """Raise :class:`AnalysisError` unless ``data`` is a DataFrame holding all ``columns``."""
    if not isinstance(data, pd.DataFrame):
        raise AnalysisError(
            f"`{what}` must be a pandas DataFrame, but a {type(data).__name__} was passed."
        )
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise AnalysisError(
            f"`{what}` has no column(s) {missing}; columns present: {list(data.columns)}. "
            "Rename the column or pass its name with the matching `*_col` argument."
        )


def finite_values(data: pd.DataFrame, column: str, *, fix: str) -> np.ndarray:
    """The column as floats; :class:`AnalysisError` naming rows that are missing or not numbers.

    Examples
    --------
    >>> finite_values(pd.DataFrame({"v": [1, "x"]}), "v", fix="use 0")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    funnelkit.core.errors.AnalysisError: Column 'v' has 1 missing ... (e.g. rows [1]); use 0.
    """
    values = pd.to_numeric(data[column], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(values)
    if bad.any():
        raise AnalysisError(
            f"Column '{column}' has {bad.sum():,} missing or non-numeric value(s) (e.g. rows "
            f"{np.flatnonzero(bad)[:5].tolist()}); {fix}."
        )
    return values


def arm_table(
    data: pd.DataFrame, *, variant_col: str, count_cols: Sequence[str], control: str | None
) -> pd.DataFrame:
    """Validate one row per variant with non-negative integer counts; return it indexed by variant.

    ``count_cols[0]`` is the number of users and must be > 0 in every arm; any further columns
    (conversions) must lie between 0 and that number of users.
    """
    check_columns(data, [variant_col, *count_cols])
    frame = data[[variant_col, *count_cols]].copy()
    frame[variant_col] = frame[variant_col].astype(str)
    duplicated = frame[variant_col][frame[variant_col].duplicated()].unique().tolist()
    if duplicated:
        raise AnalysisError(
            f"`data` must hold one row per variant, but {duplicated} appear more than once in "
            f"column '{variant_col}'; aggregate first, e.g. data.groupby('{variant_col}').sum()."
        )
    for col in count_cols:
        values = pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(values) | (values < 0) | (values != np.round(values))
        if bad.any():
            names = frame.loc[bad, variant_col].tolist()
            raise AnalysisError(
                f"Column '{col}' must hold non-negative whole counts, but variant(s) {names} have "
                f"{frame.loc[bad, col].tolist()}; pass counts per variant, not rates or blanks."
            )
        frame[col] = values.astype(np.int64)
    users = count_cols[0]
    empty = frame.loc[frame[users] == 0, variant_col].tolist()
    if empty:
        raise AnalysisError(
            f"Variant(s) {empty} have 0 users in column '{users}'; a comparison needs users in "
            "every arm. Drop the variant or check the assignment export."
        )
    for col in count_cols[1:]:
        over = frame[col] > frame[users]
        if over.any():
            raise AnalysisError(
                f"Variant(s) {frame.loc[over, variant_col].tolist()} have more '{col}' than "
                f"'{users}'; count each user at most once (converted users, not events)."
            )
    if control is not None and control not in set(frame[variant_col]):
        raise AnalysisError(
            f"`control` {control!r} is not a value of column '{variant_col}'; "
            f"variants present: {frame[variant_col].tolist()}."
        )
    if control is not None and len(frame) < 2:
        raise AnalysisError(
            f"`data` holds only the control {control!r}; add at least one variant to compare."
        )
    return frame.set_index(variant_col)
