"""Means per user of several value columns of the same users, compared in one go.

:class:`MeansComparison` validates and splits the users into arms once, then gives for each
value column exactly the frame :func:`funnelkit.core.stats.means.compare_means` would (or the
:class:`~funnelkit.core.stats.arguments.AnalysisError` it would raise). The bootstrap resamples are
drawn once per variant and shared by the columns: each column's generator would be seeded
alike, so they are the very draws each would make alone (:mod:`funnelkit.core.stats.bootstrap`);
variants, each with its own generator, are resampled side by side.

The robustness columns (Mann–Whitney and the bootstrap) can be left out of a first pass
(``frames(robust=False)``): every other number, and the notes, stay those of the full frame
(``mw_method``, which depends only on the sizes and ties, is filled in both).

Mann–Whitney = R ``wilcox.test(x, y)`` default: exact p-value (:func:`mann_whitney`) when both
samples have fewer than 50 values and there are no ties, else the normal approximation with tie
and continuity correction; ``mw_method`` says which ("exact" or "normal").
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
from scipy import stats

from .arguments import AnalysisError, check_columns, finite_values
from .bootstrap import boot_means
from .welch import SCIPY_ALTERNATIVE, check_arms, check_options, comparison_row, finish, quantile

__all__ = [
    "MW_EXACT_BELOW",
    "MeansComparison",
    "MeansJob",
    "in_variant_order",
    "mann_whitney",
    "user_level_means",
]

#: R ``wilcox.test``: exact p-value when both samples have fewer values than this and no ties.
MW_EXACT_BELOW = 50


def mw_method(x: np.ndarray, y: np.ndarray) -> str:
    """Say "exact" when R ``wilcox.test`` (default ``exact = NULL``) is exact, else "normal".

    R is exact when both samples have fewer than 50 values and there are no ties (within or
    between the samples); otherwise it uses the normal approximation with continuity correction.

    Examples
    --------
    >>> x, y = np.array([1.0, 2.0]), np.array([3.0])
    >>> mw_method(x, y), mw_method(x, np.array([2.0])), mw_method(np.arange(50.0), y)
    ('exact', 'normal', 'normal')
    """
    pooled = np.concatenate([x, y])
    small = len(x) < MW_EXACT_BELOW and len(y) < MW_EXACT_BELOW
    return "exact" if small and len(np.unique(pooled)) == len(pooled) else "normal"


def mann_whitney(x: np.ndarray, y: np.ndarray, alternative: str) -> tuple[float, float, str]:
    """U of ``x`` (R's W), its p-value and the method, as R ``wilcox.test(x, y)`` by default.

    Exact (scipy ``method="exact"``) for fewer than 50 values in each sample and no ties, else
    the normal approximation with tie and continuity correction (``correct = TRUE``).

    Examples
    --------
    >>> x = [0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46]
    >>> y = [1.15, 0.88, 0.90, 0.74, 1.21]
    >>> u, p, how = mann_whitney(np.array(x), np.array(y), "larger")
    >>> u, round(p, 4), how  # R: wilcox.test(x, y, alternative = "g"): W = 35, p-value = 0.1272
    (35.0, 0.1272, 'exact')
    """
    method = mw_method(x, y)
    found = stats.mannwhitneyu(
        x, y, method="exact" if method == "exact" else "asymptotic", use_continuity=True,
        alternative=SCIPY_ALTERNATIVE[alternative],
    )  # fmt: skip
    return float(found.statistic), float(found.pvalue), method


class MeansComparison:
    """:func:`~funnelkit.core.stats.means.compare_means` of several columns of the same users.

    Parameters are those of ``compare_means``, with ``value_cols`` (a list) for ``value_col``;
    the options are checked (and refused) on construction, the columns in :meth:`frames`.

    Examples
    --------
    >>> users = pd.DataFrame({"variant": ["A"] * 4 + ["B"] * 4,
    ...                       "revenue": [0, 10.0, 0, 5, 20, 0, 15, 0], "orders": [0, 1, 0, 1] * 2})
    >>> found = MeansComparison(users, ["revenue", "orders"], control="A", bootstrap=50).frames()
    >>> [round(float(found[c]["diff"].iloc[0]), 2) for c in ("revenue", "orders")]
    [5.0, 0.0]
    """

    def __init__(
        self,
        data: pd.DataFrame,
        value_cols: list[str],
        *,
        control: str,
        variant_col: str = "variant",
        alpha: float = 0.05,
        alternative: str = "two-sided",
        adjust: str = "holm",
        bootstrap: int = 2000,
        seed: int = 20261123,
    ) -> None:
        self.alpha = check_options(alpha, alternative, adjust)
        if (
            isinstance(bootstrap, bool)
            or not isinstance(bootstrap, int | np.integer)
            or (bootstrap < 0)
        ):
            raise AnalysisError(
                f"`bootstrap` must be a whole number of resamples >= 0, but {bootstrap!r} was "
                "passed; use e.g. bootstrap=2000, or 0 to skip it."
            )
        check_columns(data, [variant_col])
        self.control, self.alternative, self.adjust = control, alternative, adjust
        self.bootstrap, self.seed, self.value_cols = int(bootstrap), seed, list(value_cols)
        labels = data[variant_col].astype(str).to_numpy()
        self.errors: dict[str, AnalysisError] = {}
        self.arms: dict[str, dict[str, np.ndarray]] = {}
        for column in dict.fromkeys(self.value_cols):
            try:
                self.arms[column] = _arms(data, labels, variant_col, column, control)
            except AnalysisError as err:
                self.errors[column] = err
        first = next(iter(self.arms.values()), {})
        self.variants = [v for v in first if v != control]

    def frames(self, *, robust: bool = True) -> dict[str, pd.DataFrame | AnalysisError]:
        """Per value column, the frame of ``compare_means`` (or the error it raises).

        With ``robust=False`` the Mann–Whitney and bootstrap columns are NaN and nothing is
        resampled; every other column, and ``note``, are those of the full frame.
        """
        bounds = self._bootstrap() if robust and self.bootstrap > 0 else {}
        found: dict[str, pd.DataFrame | AnalysisError] = dict(self.errors)
        for column, arms in self.arms.items():
            y = arms[self.control]
            rows = []
            for variant in self.variants:
                notes = [] if self.bootstrap > 0 else ["bootstrap skipped (bootstrap=0)"]
                low, high = bounds.get((column, variant), (np.nan, np.nan))
                rows.append(self._compare(variant, arms[variant], y, low, high, notes, robust))
            found[column] = finish(rows, self.adjust)
        return {column: found[column] for column in self.value_cols}

    def _bootstrap(self) -> dict[tuple[str, str], tuple[float, float]]:
        """Percentile bounds of the difference in means per (column, variant)."""
        columns, control, alternative = list(self.arms), self.control, self.alternative
        q = quantile(self.alpha, alternative)

        def interval(variant: str) -> list[tuple[float, float]]:
            rng = np.random.default_rng(self.seed)  # as compare_means seeds each comparison
            xs = boot_means([self.arms[c][variant] for c in columns], self.bootstrap, rng)
            ys = boot_means([self.arms[c][control] for c in columns], self.bootstrap, rng)
            bounds = [np.quantile(bx - by, [q, 1 - q]) for bx, by in zip(xs, ys, strict=True)]
            low_side, high_side = alternative != "smaller", alternative != "larger"
            return [
                (low if low_side else -np.inf, high if high_side else np.inf)
                for low, high in bounds
            ]

        found: dict[tuple[str, str], tuple[float, float]] = {}
        if not self.variants:
            return found
        with ThreadPoolExecutor(max_workers=min(len(self.variants), 2)) as pool:
            for variant, pair in zip(self.variants, pool.map(interval, self.variants), strict=True):
                found |= {(c, variant): b for c, b in zip(columns, pair, strict=True)}
        return found

    def _compare(
        self,
        variant: str,
        x: np.ndarray,
        y: np.ndarray,
        boot_low: float,
        boot_high: float,
        notes: list[str],
        robust: bool,
    ) -> dict:
        """One variant's row: Welch, and (robust) Mann–Whitney and the bootstrap bounds."""
        alpha, alternative = self.alpha, self.alternative
        moments = (x.mean(), x.var(ddof=1), len(x), y.mean(), y.var(ddof=1), len(y))
        welch = (np.nan,) * 5
        if moments[1] > 0 or moments[4] > 0:
            res = stats.ttest_ind(x, y, equal_var=False, alternative=SCIPY_ALTERNATIVE[alternative])
            welch = (res.statistic, res.df, res.pvalue, *res.confidence_interval(1 - alpha))
        mw_statistic = mw_p_value = np.nan
        method = mw_method(x, y)  # the same in a first pass, so only the numbers wait
        if robust:
            mw_statistic, mw_p_value, method = mann_whitney(x, y, alternative)
        extra = {"mw_statistic": mw_statistic, "mw_p_value": mw_p_value, "mw_method": method,
                 "boot_ci_low": float(boot_low), "boot_ci_high": float(boot_high)}  # fmt: skip
        return comparison_row(variant, self.control, moments, welch, alpha=alpha,
                              alternative=alternative, extra=extra, notes=notes)  # fmt: skip


def _arms(data: pd.DataFrame, labels: np.ndarray, variant_col: str, value_col: str,
          control: str) -> dict[str, np.ndarray]:  # fmt: skip
    """The values of ``value_col`` per arm (first-appearance order); refused as compare_means."""
    check_columns(data, [variant_col, value_col])
    fix = (
        "fill users without revenue with 0, or drop them if the metric is undefined for them "
        "(e.g. AOV of non-buyers)"
    )
    values = finite_values(data, value_col, fix=fix)
    arms = {name: values[labels == name] for name in pd.unique(labels)}
    check_arms({k: len(v) for k, v in arms.items()}, control, variant_col)
    return arms


class MeansJob:
    """The user-level comparison of some mean metrics: a first pass now, the rest on demand."""

    def __init__(self, comparison: MeansComparison | AnalysisError, columns: dict) -> None:
        self.comparison, self.columns = comparison, columns
        self._first: dict | None = None
        self._complete: dict | None = None

    def _frame(self, found: dict, metric: str) -> pd.DataFrame:
        """The metric's frame in ``found``, or raise its error."""
        frame = found[self.columns[metric]]
        if isinstance(frame, AnalysisError):
            raise frame
        return frame

    def first(self, metric: str) -> pd.DataFrame:
        """The frame without Mann–Whitney and bootstrap (every other number final)."""
        if isinstance(self.comparison, AnalysisError):  # the options were refused
            raise self.comparison
        if self._first is None:
            self._first = self.comparison.frames(robust=False)
        return self._frame(self._first, metric)

    def complete(self, metric: str) -> pd.DataFrame:
        """The full ``compare_means`` frame (the bootstrap drawn once for all columns)."""
        if isinstance(self.comparison, AnalysisError):
            raise self.comparison
        if self._complete is None:
            self._complete = self.comparison.frames()
        return self._frame(self._complete, metric)


def in_variant_order(frame: pd.DataFrame, order: pd.Index) -> pd.DataFrame:
    """``frame``'s rows with its variants in ``order`` (stable; a variant not in it sorts last).

    Examples
    --------
    >>> rows = pd.DataFrame({"variant": ["b", "x", "control", "b"], "v": [1, 2, 3, 4]})
    >>> in_variant_order(rows, pd.Index(["control", "b"]))["v"].tolist()
    [3, 1, 4, 2]
    """
    rank = order.get_indexer(frame["variant"]).astype(float)
    rank[rank < 0] = np.nan
    return frame.iloc[np.argsort(rank, kind="stable")]


def user_level_means(
    users: pd.DataFrame,
    aggregate: pd.DataFrame,
    metrics: list[str],
    options: dict,
    *,
    bootstrap: int,
    seed: int,
) -> dict[str, MeansJob]:
    """Per mean metric, the job comparing it on the users.

    Revenue and orders per user are the same users: one job compares both, so the bootstrap
    resamples are drawn once for the two.
    """
    # Compare variants in the aggregate's order, so both input paths give the same rows.
    order = pd.Index(aggregate["variant"])
    found: dict[str, MeansJob] = {}
    for buyers in (False, True):
        chosen = [m for m in metrics if (m == "revenue_per_buyer") == buyers]
        if not chosen:
            continue
        data = in_variant_order(users[users["orders"] > 0] if buyers else users, order)
        columns = {m: "orders" if m == "orders_per_user" else "revenue" for m in chosen}
        try:
            comparison: MeansComparison | AnalysisError = MeansComparison(
                data, list(dict.fromkeys(columns.values())), bootstrap=bootstrap, seed=seed,
                **options,
            )  # fmt: skip
        except AnalysisError as err:
            comparison = err
        job = MeansJob(comparison, columns)
        found |= dict.fromkeys(chosen, job)
    return found
