"""Period over period: every metric now and in the equal-length period before, and whether it moved.

The test depends on the metric's kind (two-sided, α = 0.05, Holm-adjusted over all tested
metrics of the call):

- ``proportion`` — pooled two-proportion z test (= R ``prop.test(correct = FALSE)``), or
  Fisher's exact test when an expected count is below 5 (via
  :func:`funnelkit.abtest.compare_proportions`);
- ``nps`` — z test on the difference of two NPS, each with the standard NPS variance;
- ``count`` — exact conditional test for two Poisson counts over equal exposure
  (= R ``poisson.test(c(now, before))``: ``binom.test(now, now + before, 0.5)``);
- ``mean`` — Welch's t test from the two means, SDs and sizes (= R ``t.test(var.equal = FALSE)``);
- ``ratio`` and ``total`` — no test: a ratio of two totals (spend per customer) or a sum of money
  has no simple sampling model here; the change is shown, ``test`` says "none".

A metric whose tables hold no row in the period before (an export that starts on the period's
first day) is not compared at all: its "before" is missing, not zero, and its verdict is
:data:`NO_EARLIER` ("no earlier data") — never a change, a test or a ranking.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from ..core.stats.multiple import adjust_pvalues
from ..core.stats.proportions import compare_proportions
from ..data.tables import TABLES
from . import memo
from .base import Metric, window
from .catalogue import compute_metrics, get_metric

if TYPE_CHECKING:
    from ..data.loader import Client

__all__ = [
    "NO_EARLIER",
    "change_test",
    "compare_periods",
    "has_earlier_data",
    "has_rows_before",
    "no_earlier_text",
]

#: The verdict of a metric whose "before" holds no data.
NO_EARLIER = "no earlier data"

_NO_EARLIER_TEXT = {"en": NO_EARLIER, "ru": "нет данных за прошлый период"}

COLUMNS = ["metric", "stage", "name", "unit", "kind", "good", "value", "ci_low", "ci_high",
           "previous_value", "previous_ci_low", "previous_ci_high", "change",
           "relative_change", "test", "p_value", "p_value_adjusted", "significant",
           "verdict", "note"]  # fmt: skip


def no_earlier_text(language: str = "en") -> str:
    """The words "no earlier data" in the report's language.

    Examples
    --------
    >>> no_earlier_text("ru")
    'нет данных за прошлый период'
    """
    return _NO_EARLIER_TEXT.get(language, NO_EARLIER)


#: How far into the period before a table's first row may lie for the period to count as covered.
EARLIER_SLACK = 0.1


def has_earlier_data(client: Client, metric: str | Metric) -> bool:
    """Whether every table the metric reads covers the period before (:func:`has_rows_before`).

    Examples
    --------
    >>> from funnelkit import load_client
    >>> has_earlier_data(load_client(emit_warnings=False), "visitors")
    True
    """
    tables = [table for table, _ in get_metric(metric).needs if TABLES[table].periodic]
    if tables:
        return all(has_rows_before(client, table) for table in tables)
    # a metric of a list (accounts) reads the activity of its accounts: any table naming them
    named = [t for t in ("events", "leads", "orders") if client.has(t, "account_id")]
    return any(has_rows_before(client, table) for table in named)


def has_rows_before(client: Client, table: str) -> bool:
    """Whether the client's ``table`` covers the period before, so a change can be measured.

    Covering means rows dated in the period before, and a first row close to its start: no
    later than :data:`EARLIER_SLACK` of the period in, or seven times the table's usual spacing
    between rows (in the analysis period) for a sparse table such as NPS answers. An export that
    starts half-way through the period before (CDNOW's orders against a July–June year) would
    compare half a period with a whole one, so it counts as no earlier data.

    Examples
    --------
    >>> from funnelkit import load_client
    >>> has_rows_before(load_client(emit_warnings=False), "orders")
    True
    """
    if not client.has(table):
        return False
    # asked per metric and per chapter: one scan per table and client (metrics.memo)
    return memo.remember(client, ("covers_before", table), lambda: _covers_before(client, table))


def _covers_before(client: Client, table: str) -> bool:
    previous, current = window(client, "previous"), window(client)
    column = TABLES[table].time_column
    first, inside, now = client.con.sql(
        f"SELECT min(CAST({column} AS TIMESTAMP)), count(*) FILTER (WHERE {previous.sql(column)}), "
        f"count(*) FILTER (WHERE {current.sql(column)}) FROM {table}"
    ).fetchall()[0]
    if not inside or first is None:
        return False
    spacing = (current.end - current.start) / max(now, 1)
    slack = max(EARLIER_SLACK * (previous.end - previous.start), 7 * spacing)
    return first - previous.start <= slack


def _finite(*values: Any) -> bool:
    return all(pd.notna(v) for v in values)


def change_test(kind: str, now: pd.Series, before: pd.Series) -> tuple[str, float]:
    """The test of one metric's change between two periods: ``(test name, two-sided p)``.

    ``now`` and ``before`` are rows of :func:`compute_metrics` (value, numerator,
    denominator, and per kind ``sd`` or the NPS counts).

    Examples
    --------
    >>> now = pd.Series({"numerator": 60, "denominator": 1000})
    >>> before = pd.Series({"numerator": 45, "denominator": 1000})
    >>> name, p = change_test("proportion", now, before)
    >>> # pooled z by hand: p = 0.0525, se = 0.0099745, z = 1.5038 (= R prop.test(correct = FALSE))
    >>> name, round(p, 4)
    ('z_pooled', 0.1326)
    """
    if kind == "proportion":
        counts = (now["numerator"], now["denominator"], before["numerator"], before["denominator"])
        if not (_finite(*counts) and now["denominator"] > 0 and before["denominator"] > 0):
            return "none", np.nan
        data = pd.DataFrame(
            {
                "variant": ["before", "now"],
                "users": [int(before["denominator"]), int(now["denominator"])],
                "conversions": [int(before["numerator"]), int(now["numerator"])],
            }
        )
        row = compare_proportions(data, control="before").iloc[0]
        return str(row["test"]), float(row["p_value"])
    if kind == "nps":
        n1, n0 = now["denominator"], before["denominator"]
        if not (_finite(n1, n0) and n1 > 0 and n0 > 0):
            return "none", np.nan
        se = [_nps_se(r) for r in (now, before)]
        z = (now["value"] - before["value"]) / np.hypot(*se)
        return "z_nps", float(2 * stats.norm.sf(abs(z))) if np.isfinite(z) else np.nan
    if kind == "count":
        if not _finite(now["numerator"], before["numerator"]):
            return "none", np.nan
        x1, x0 = int(now["numerator"]), int(before["numerator"])
        if x1 + x0 == 0:
            return "none", np.nan
        return "poisson_exact", float(stats.binomtest(x1, x1 + x0, 0.5).pvalue)
    if kind == "mean":
        n1, n0 = now["denominator"], before["denominator"]
        if (
            not (_finite(n1, n0) and n1 > 1 and n0 > 1)
            or pd.isna(now.get("sd"))
            or pd.isna(before.get("sd"))
        ):
            return "none", np.nan
        result = stats.ttest_ind_from_stats(
            now["value"], now["sd"], n1, before["value"], before["sd"], n0, equal_var=False
        )
        return "welch_t", float(result.pvalue)
    return "none", np.nan


def _nps_se(row: pd.Series) -> float:
    n = row["denominator"]
    p, d = row["promoters"] / n, row["detractors"] / n
    return 100 * np.sqrt(max(p + d - (p - d) ** 2, 0) / n)


def _verdict(good: str, change: float, significant: bool, tested: bool, earlier: bool) -> str:
    if not earlier:
        return NO_EARLIER
    if pd.isna(change):
        return "not comparable"
    if change == 0:
        return "no change"
    better = (change > 0) == (good == "up")
    if not tested:
        return ("better" if better else "worse") + " (not tested)"
    if not significant:
        return "no significant change"
    return "better" if better else "worse"


def compare_periods(
    client: Client, metrics: Iterable[str] | None = None, *, alpha: float = 0.05
) -> pd.DataFrame:
    """Every metric (or the given ones) for the analysis period and the period before it.

    Parameters
    ----------
    client : funnelkit.data.loader.Client
    metrics : list of str, optional
        Catalogue ids; default every metric the client's data supports (curves excluded).
    alpha : float, default 0.05
        Significance level applied to the Holm-adjusted p-values.

    Returns
    -------
    pandas.DataFrame
        One row per metric: ``metric, stage, name, unit, kind, good, value, ci_low, ci_high,
        previous_value, previous_ci_low, previous_ci_high, change`` (now − before),
        ``relative_change`` (change / |before|), ``test, p_value, p_value_adjusted``
        (Holm over the tested rows), ``significant``, ``verdict`` ("better", "worse",
        "no significant change", "better (not tested)", :data:`NO_EARLIER` …), ``note``.
        A metric without data in the period before has no previous value, change or test.

    Examples
    --------
    >>> from funnelkit import load_client
    >>> client = load_client(emit_warnings=False)
    >>> table = compare_periods(client, ["conversion_rate", "nps"])
    >>> table[["metric", "test"]].values.tolist()
    [['conversion_rate', 'z_pooled'], ['nps', 'z_nps']]
    """
    ids = None if metrics is None else [get_metric(m).id for m in metrics]
    now = compute_metrics(client, ids, period="current").set_index("metric")
    before = compute_metrics(client, list(now.index), period="previous").set_index("metric")
    rows: list[dict[str, Any]] = []
    earlier: list[bool] = []
    for metric_id, row in now.iterrows():
        prev = (
            before.loc[metric_id].copy()
            if metric_id in before.index
            else pd.Series(np.nan, index=row.index, dtype=object)
        )
        earlier.append(has_earlier_data(client, str(metric_id)))
        if not earlier[-1]:
            prev[["value", "ci_low", "ci_high", "numerator", "denominator"]] = np.nan
            prev["note"] = no_earlier_text(client.config.language)
        test, p_value = change_test(row["kind"], row, prev)
        change = row["value"] - prev["value"]
        relative = change / abs(prev["value"]) if prev["value"] not in (0,) else np.nan
        notes = [n for n in str(row["note"] or "").split("; ") if n]
        if not earlier[-1]:
            notes.append(prev["note"])
        elif isinstance(prev["note"], str) and prev["note"]:
            # the period before's own reasons, marked so they do not read as the value's now
            notes += [f"before: {n}" for n in prev["note"].split("; ") if n and n not in notes]
        rows.append(
            {
                "metric": metric_id,
                **{k: row[k] for k in ("stage", "name", "unit", "kind", "good", "value")},
                "ci_low": row["ci_low"],
                "ci_high": row["ci_high"],
                "previous_value": prev["value"],
                "previous_ci_low": prev["ci_low"],
                "previous_ci_high": prev["ci_high"],
                "change": change,
                "relative_change": relative,
                "test": test,
                "p_value": p_value,
                "note": "; ".join(dict.fromkeys(notes)),
            }
        )
    table = pd.DataFrame(rows)
    if table.empty:
        return pd.DataFrame(columns=COLUMNS)
    tested = table["p_value"].notna()
    table["p_value_adjusted"] = np.nan
    if tested.any():
        table.loc[tested, "p_value_adjusted"] = adjust_pvalues(
            table.loc[tested, "p_value"].to_numpy(), method="holm"
        )
    table["significant"] = table["p_value_adjusted"] < alpha
    table["verdict"] = [
        _verdict(g, c, s, t, e)
        for g, c, s, t, e in zip(
            table["good"], table["change"], table["significant"], tested, earlier, strict=True
        )
    ]
    return table[COLUMNS]
