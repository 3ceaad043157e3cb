"""An experiment's outcomes counted where the data are: sums per variant and day, no user rows.

:func:`~funnelkit.abtest.outcomes.experiment_outcomes` brings one row per assigned user back
to pandas. On a client whose tables an engine holds (``engine:`` in ``client.yaml``) that is
as many rows as the experiment has users, so :class:`OutcomeSums` runs the same outcome query
(:func:`~funnelkit.abtest.outcomes.outcome_query`, one definition) on the engine and brings back
only its sums, grouped by variant, exclusion reason and assignment day:

- users, conversions, Σ revenue, Σ revenue², Σ orders, Σ orders², buyers: the per-variant
  table of :func:`~funnelkit.abtest.outcomes.aggregate_outcomes`, hence the proportions,
  Bayes, Welch tests and their detectable changes;
- Σ pre-revenue, Σ pre-revenue² and Σ revenue·pre-revenue: CUPED
  (:func:`~funnelkit.abtest.cuped.cuped_from_sums`);
- the counts per reason and day: the checks and the daily (sequential) view.

Secondary goals and segments are counted the same way (per variant; per segment value and
variant). Everything the report shows equals the user-level path's numbers (tested on the
demo and random clients). What needs each user's value is left out and said so in the
analysis: Mann–Whitney and the bootstrap interval (which no report section shows).
"""

from __future__ import annotations

import itertools
from datetime import date, datetime

import pandas as pd

from ..data.config import ExperimentConfig
from ..data.loader import Client
from .checks import Counts
from .lookup import no_rows_error
from .outcomes import AGGREGATE_COLUMNS, outcome_query
from .row_outcomes import MISSING_SEGMENT
from .segments import segment_levels

__all__ = ["CELL_COLUMNS", "OutcomeSums"]

#: One row per variant, exclusion reason and assignment day (and before the period or not).
CELL_COLUMNS = ["variant", "excluded_reason", "day", "before_period", "users", "conversions",
                "revenue_sum", "revenue_sum_sq", "orders_sum", "orders_sum_sq", "buyers",
                "pre_sum", "pre_sum_sq", "cross_sum"]  # fmt: skip
_SUMS = ("users", "conversions", "revenue_sum", "revenue_sum_sq", "orders_sum", "orders_sum_sq",
         "buyers", "pre_sum", "pre_sum_sq", "cross_sum")  # fmt: skip
_LEVELS_TABLE = "__segment_levels"
_TABLES = itertools.count(1)


def _included(include: tuple[str, ...]) -> str:
    reasons = ", ".join(f"'{r}'" for r in include)
    return (
        f"(excluded_reason IS NULL OR excluded_reason IN ({reasons}))"
        if include
        else ("excluded_reason IS NULL")
    )


class OutcomeSums:
    """The sums of one experiment's user outcomes, made by the engine that holds the data.

    Parameters
    ----------
    client
        A loaded client (DuckDB, or an engine-backed one: the query runs where its tables are).
    config
        The experiment (a window goal: outcomes declared on the assignment rows are read as
        rows, :mod:`funnelkit.abtest.row_outcomes`).
    window_days
        Outcome window (default: the experiment's).
    include
        Exclusion reasons counted anyway, e.g. ``("window_incomplete",)``.

    Examples
    --------
    >>> from funnelkit import load_client
    >>> from funnelkit.abtest.lookup import get_experiment
    >>> client = load_client(emit_warnings=False)
    >>> sums = OutcomeSums(client, get_experiment(client, "checkout_button"))
    >>> sums.variants(control="control")[["variant", "users", "conversions"]]
            variant  users  conversions
    0       control   5235          433
    1  green_button   5316          529
    """

    def __init__(
        self,
        client: Client,
        config: ExperimentConfig,
        *,
        window_days: float | None = None,
        include: tuple[str, ...] = (),
    ) -> None:
        self.client, self.config, self.include = client, config, include
        self.query, self.window_days, self.observation_end = outcome_query(
            client, config, window_days=window_days
        )
        if config.segments:  # read once per segment column too: made once, where the data are
            table = f"__outcomes_{next(_TABLES)}"
            client.con.execute(f"CREATE TEMP TABLE {table} AS {self.query}")
            self.query = f"SELECT * FROM {table}"
        self.cells = self._cells()
        if self.cells.empty:
            raise no_rows_error(client, config)

    def _cells(self) -> pd.DataFrame:
        start = datetime.combine(self.client.config.period.start, datetime.min.time())
        before = f"CASE WHEN assigned_at < TIMESTAMP '{start:%Y-%m-%d %H:%M:%S}' THEN 1 ELSE 0 END"
        frame = self.client.sql(f"""
            SELECT variant, excluded_reason, CAST(assigned_at AS DATE) AS day,
                   {before} AS before_period,
                   count(*) AS users, sum(converted) AS conversions,
                   sum(revenue) AS revenue_sum, sum(revenue * revenue) AS revenue_sum_sq,
                   sum(orders) AS orders_sum, sum(orders * orders) AS orders_sum_sq,
                   sum(CASE WHEN orders > 0 THEN 1 ELSE 0 END) AS buyers,
                   sum(pre_revenue) AS pre_sum, sum(pre_revenue * pre_revenue) AS pre_sum_sq,
                   sum(revenue * pre_revenue) AS cross_sum
            FROM ({self.query}) AS o
            GROUP BY variant, excluded_reason, CAST(assigned_at AS DATE), {before}""")
        frame = frame.astype({c: "float64" for c in _SUMS if c not in ("users", "conversions")})
        return frame.astype({"users": "int64", "conversions": "int64", "before_period": "int64"})[
            CELL_COLUMNS
        ]

    @property
    def analysed(self) -> pd.DataFrame:
        """The cells of the analysed users (no exclusion reason, or one in ``include``)."""
        reason = self.cells["excluded_reason"]
        return self.cells[reason.isna() | reason.isin(list(self.include))]

    def variants(self, *, control: str | None = None) -> pd.DataFrame:
        """The per-variant table of :func:`~funnelkit.abtest.outcomes.aggregate_outcomes`."""
        grouped = self.analysed.groupby("variant", sort=True)
        money = ["revenue_sum", "revenue_sum_sq"]  # NaN without money, as on the users
        rest = [c for c in _SUMS if c not in money]
        found = grouped[money].sum(min_count=1).join(grouped[rest].sum()).reset_index()
        whole = ["users", "conversions", "orders_sum", "orders_sum_sq", "buyers"]
        found[whole] = found[whole].astype("int64")
        if control is not None and control in set(found["variant"]):
            first = found["variant"] == control
            found = pd.concat([found[first], found[~first]], ignore_index=True)
        return found[AGGREGATE_COLUMNS].reset_index(drop=True)

    def cuped_sums(self) -> pd.DataFrame:
        """Per variant: users, Σy, Σy², Σx, Σx², Σxy of revenue (y) and pre-revenue (x)."""
        names = {"revenue_sum": "y_sum", "revenue_sum_sq": "y_sum_sq", "pre_sum": "x_sum",
                 "pre_sum_sq": "x_sum_sq", "cross_sum": "xy_sum"}  # fmt: skip
        grouped = self.analysed.groupby("variant", sort=True)[["users", *names]].sum()
        return grouped.rename(columns=names).reset_index()

    def daily_counts(self) -> pd.DataFrame:
        """variant, date, users, conversions of the analysed users with an assignment day."""
        used = self.analysed[self.analysed["day"].notna()]
        counts = used.assign(date=pd.to_datetime(used["day"])).groupby(["variant", "date"])
        return counts[["users", "conversions"]].sum().reset_index()

    def counts(self, *, period_start: date | None) -> Counts:
        """What the checks count (:func:`~funnelkit.abtest.checks.counted_checks`)."""
        cells = self.cells
        reason = cells["excluded_reason"]
        single = cells[reason.isna() | (reason == "window_incomplete")]
        before = cells.loc[cells["before_period"] == 1, "users"].sum()
        return Counts(
            single=single.groupby("variant")["users"].sum(),
            analysed=cells[reason.isna()].groupby("variant")["users"].sum(),
            reasons=cells[reason.notna()].groupby("excluded_reason")["users"].sum(),
            total=int(cells["users"].sum()), before=int(before) if period_start else 0,
        )  # fmt: skip

    # -- what extras.add_goals_and_segments reads (funnelkit.abtest.extras.OutcomeCounts) --------
    def goal_counts(self, goal: str) -> pd.DataFrame:
        """Users and users who reached ``goal`` (an event) in the window, per variant."""
        other = self.config.model_copy(update={"goal": goal, "secondary_goals": []})
        query, _, _ = outcome_query(self.client, other, window_days=self.window_days)
        found = self.client.sql(f"""
            SELECT variant, count(*) AS users, sum(converted) AS conversions
            FROM ({query}) AS o WHERE {_included(self.include)}
            GROUP BY variant ORDER BY variant""")
        return found.astype({"users": "int64", "conversions": "int64"})

    def segment_cells(self, column: str) -> pd.DataFrame:
        """Users and conversions per value of a segment column and variant (analysed users)."""
        levels = self.client.sql(segment_levels(self.client, self.config, column))
        self.client.con.register(_LEVELS_TABLE, levels)
        try:
            found = self.client.sql(f"""
                SELECT coalesce(s.level, '{MISSING_SEGMENT}') AS level, o.variant,
                       count(*) AS users, sum(o.converted) AS conversions
                FROM ({self.query}) AS o LEFT JOIN {_LEVELS_TABLE} AS s ON s.user_id = o.user_id
                WHERE {_included(self.include).replace("excluded_reason", "o.excluded_reason")}
                GROUP BY coalesce(s.level, '{MISSING_SEGMENT}'), o.variant
                ORDER BY 1, 2""")
        finally:
            self.client.con.unregister(_LEVELS_TABLE)
        return found.astype({"users": "int64", "conversions": "int64"})
