"""How many people reach each journey stage in a period, and how many move on to the next.

Every count is one DuckDB query over the canonical tables; only the per-stage totals reach
pandas. The ids of a stage are the union of two kinds:

- **events**: ``events.user_id`` of the rows in the period whose event name is mapped to the
  stage (:func:`~funnelkit.stages.event_stage_map`);
- **sources** listed for the stage (``client.yaml`` or preset):

  ========  ======================================  =========================================
  source    stage                                   ids counted
  ========  ======================================  =========================================
  orders    retention                               ``customer_id`` of orders in the period
                                                    that are not the customer's first order
                                                    ever (ordered by time, then order_id)
  orders    any other stage                         ``customer_id`` of orders in the period
  nps       advocacy                                ``respondent_id`` of promoters (score 9–10)
                                                    who answered in the period
  nps       any other stage                         ``respondent_id`` of every answer in the
                                                    period
  leads     purchase                                ``lead_id`` of leads won (``won_at``) in the
                                                    period
  leads     any other stage                         ``lead_id`` of leads created in the period
  ========  ======================================  =========================================

User ids, customer ids and respondent ids are the same people (``linkable``); lead ids are
not, so a stage fed by leads counts leads next to people and is not linkable.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..core.errors import ConfigError
from ..core.i18n import gettext
from ..core.stats import wilson
from ..data.validate import lit
from ..metrics import memo
from ..metrics.base import Window, window
from .mapping import CONFIGURED, StagePlan, event_stage_map, resolve_stages
from .presets import STAGES, stage_name

if TYPE_CHECKING:
    from ..data.loader import Client

__all__ = ["stage_conversion", "stage_volumes"]

VOLUME_COLUMNS = ["stage", "people", "from_events", "from_sources", "linkable"]
CONVERSION_COLUMNS = [
    "from_stage",
    "to_stage",
    "people_from",
    "people_to",
    "people_both",
    "rate",
    "ci_low",
    "ci_high",
    "basis",
    "note",
]


def _source_sql(client: Client, plan: StagePlan, source: str, w: Window) -> str | None:
    stage = lit(plan.stage)
    if source == "orders":
        if plan.stage == "retention":
            return (
                f"SELECT {stage}, 'orders', CAST(customer_id AS VARCHAR) FROM (SELECT "
                "customer_id, timestamp, row_number() OVER (PARTITION BY customer_id ORDER BY "
                "timestamp, order_id) AS nth FROM orders) "
                f"WHERE nth > 1 AND {w.sql('timestamp')}"
            )
        return f"SELECT {stage}, 'orders', CAST(customer_id AS VARCHAR) FROM orders " + (
            f"WHERE {w.sql('timestamp')}"
        )
    if source == "nps":
        promoters = " AND score >= 9" if plan.stage == "advocacy" else ""
        return (
            f"SELECT {stage}, 'nps', CAST(respondent_id AS VARCHAR) FROM nps "
            f"WHERE {w.sql('timestamp')}{promoters}"
        )
    column = "won_at" if plan.stage == "purchase" else "created_at"
    if not client.has("leads", column):
        if plan.origin["sources"] == CONFIGURED:
            raise ConfigError(
                f"`stages.{plan.stage}.sources` lists 'leads', which counts leads by "
                f"`{column}`, but the leads table has no {column!r} column (its columns are "
                f"{client.columns('leads')}). Map it in `data.leads.columns.{column}` or "
                f"remove 'leads' from `stages.{plan.stage}.sources`."
            )
        return None
    return (
        f"SELECT {stage}, 'leads', 'lead:' || CAST(lead_id AS VARCHAR) FROM leads "
        f"WHERE {w.sql(column)}"
    )


def _masks_sql(client: Client, plans: list[StagePlan], w: Window) -> str:
    """SQL of ``(e, s)`` per id: bit masks of the stages it reached by events / by sources.

    Stage ``i`` of :data:`STAGES` is bit ``1 << i``. One ``GROUP BY`` per kind of id replaces
    the distinct ``(stage, id)`` pairs: every count of the module is a count over these rows.
    """
    bits = ", ".join(f"({lit(stage)}, {1 << i})" for i, stage in enumerate(STAGES))
    event_map = event_stage_map(client)
    mapped = event_map[event_map["stage"] != ""]
    by_events = "SELECT NULL::VARCHAR AS id, 0 AS m WHERE false"
    if len(mapped):
        values = ", ".join(
            f"({lit(e)}, {lit(s)})" for e, s in zip(mapped["event"], mapped["stage"], strict=True)
        )
        by_events = (
            "SELECT CAST(e.user_id AS VARCHAR) AS id, bit_or(b.bit) AS m FROM events e "
            f"JOIN (VALUES {values}) AS em(event, stage) ON e.event = em.event "
            f"JOIN (VALUES {bits}) AS b(stage, bit) ON b.stage = em.stage "
            f"WHERE {w.sql('e.timestamp')} AND e.user_id IS NOT NULL GROUP BY 1"
        )
    parts = [
        sql
        for plan in plans
        for source in plan.sources
        if (sql := _source_sql(client, plan, source, w)) is not None
    ]
    by_sources = "SELECT NULL::VARCHAR AS id, 0 AS m WHERE false"
    if parts:
        by_sources = (
            f"SELECT u.id, bit_or(b.bit) AS m FROM ({' UNION ALL '.join(parts)}) "
            f"AS u(stage, src, id) JOIN (VALUES {bits}) AS b(stage, bit) ON b.stage = u.stage "
            "WHERE u.id IS NOT NULL GROUP BY 1"
        )
    return (
        f"SELECT coalesce(x.m, 0) AS e, coalesce(y.m, 0) AS s FROM ({by_events}) AS x "
        f"FULL OUTER JOIN ({by_sources}) AS y ON x.id = y.id"
    )


def stage_volumes(client: Client, *, period: Any = "current") -> pd.DataFrame:
    """Count the people reaching each journey stage in a period, one row per stage.

    A person reaches a stage when one of their events mapped to it, or one of the stage's
    sources, falls in the period (see the module documentation for the exact rule of each
    source). Counting is one DuckDB query.

    Parameters
    ----------
    client : Client
        A loaded client.
    period : {"current", "previous"} or Window or (start, end), default "current"
        The window (:func:`funnelkit.metrics.base.window`).

    Returns
    -------
    pandas.DataFrame
        One row per stage in journey order: ``stage``, ``people`` (distinct ids from events or
        sources), ``from_events`` (distinct ids from events), ``from_sources`` (distinct ids from
        sources), ``linkable`` (the ids are person ids, so the stage can be linked to its
        neighbours; False when it counts leads).

    Raises
    ------
    ConfigError
        When the stage mapping is invalid (see :func:`event_stage_map`).
    ParameterError
        For an unknown ``period``.

    Examples
    --------
    >>> from funnelkit import load_client
    >>> stage_volumes(load_client(emit_warnings=False))
               stage  people  from_events  from_sources  linkable
    0      awareness   29532        29532             0      True
    1  consideration   17386        17386             0      True
    2       purchase    5182         5182          1484      True
    3      retention    3848         3806            84      True
    4       advocacy     239            0           239      True
    """
    plans = resolve_stages(client)
    return _reach(client, plans, window(client, period))[0].copy()


def _reach(
    client: Client, plans: list[StagePlan], w: Window
) -> tuple[pd.DataFrame, dict[tuple[str, str], int]]:
    """Stage volumes and the people at both stages of each linked pair, in one query.

    Computed once per client and window: the chapter needs the volumes on their own and
    inside the conversion table.
    """
    linkable = dict(zip(STAGES, (plan.linkable for plan in plans), strict=True))
    linked = [(a, b) for a, b in itertools.pairwise(STAGES) if linkable[a] and linkable[b]]
    bit = {stage: 1 << i for i, stage in enumerate(STAGES)}
    counts = [
        f"count_if((e | s) & {bit[x]} <> 0), count_if(e & {bit[x]} <> 0), "
        f"count_if(s & {bit[x]} <> 0)"
        for x in STAGES
    ]
    counts += [f"count_if((e | s) & {bit[a] | bit[b]} = {bit[a] | bit[b]})" for a, b in linked]
    sql = f"SELECT {', '.join(counts)} FROM ({_masks_sql(client, plans, w)})"

    def compute() -> tuple[pd.DataFrame, dict[tuple[str, str], int]]:
        row = [int(n or 0) for n in client.con.sql(sql).fetchall()[0]]  # none: NULL
        columns = ["people", "from_events", "from_sources"]
        frame = pd.DataFrame(
            [row[3 * i : 3 * i + 3] for i in range(len(STAGES))], columns=columns, dtype="int64"
        )
        frame.insert(0, "stage", list(STAGES))
        frame["linkable"] = [plan.linkable for plan in plans]
        both = dict(zip(linked, row[3 * len(STAGES) :], strict=True))
        return frame[VOLUME_COLUMNS], both

    return memo.remember(client, ("stage_reach", sql), compute)


def stage_conversion(client: Client, *, period: Any = "current") -> pd.DataFrame:
    """Turn stage reach into one row per pair of consecutive stages, with the rate between them.

    When both stages are linkable the rate follows the same people: those at both stages over
    those at the first (``basis`` "same people", Wilson 95% interval). Otherwise it is a
    ratio of volumes, ``people_to / people_from`` (``basis`` "volume ratio"): approximate, as
    the two counts are not the same people; its Wilson interval is given only when
    ``people_to <= people_from``. No one at the first stage gives a missing rate and a note.

    Parameters
    ----------
    client : Client
        A loaded client.
    period : {"current", "previous"} or Window or (start, end), default "current"
        The window (:func:`funnelkit.metrics.base.window`).

    Returns
    -------
    pandas.DataFrame
        Four rows: ``from_stage``, ``to_stage``, ``people_from``, ``people_to``,
        ``people_both`` (missing for a volume ratio), ``rate``, ``ci_low``, ``ci_high``,
        ``basis`` ("same people" or "volume ratio"), ``note`` (in the report's language).

    Examples
    --------
    >>> from funnelkit import load_client
    >>> conv = stage_conversion(load_client(emit_warnings=False))
    >>> conv[["from_stage", "to_stage", "people_both", "rate", "basis"]].round(3)
          from_stage       to_stage  people_both   rate        basis
    0      awareness  consideration      17386.0  0.589  same people
    1  consideration       purchase       5182.0  0.298  same people
    2       purchase      retention       1354.0  0.261  same people
    3      retention       advocacy         60.0  0.016  same people
    """
    language = client.config.language
    plans = resolve_stages(client)
    frame, both = _reach(client, plans, window(client, period))
    volumes = frame.set_index("stage")
    pairs = list(itertools.pairwise(STAGES))
    records = []
    for a, b in pairs:
        n_from, n_to = int(volumes.loc[a, "people"]), int(volumes.loc[b, "people"])
        same = (a, b) in both
        x = both[(a, b)] if same else n_to
        note = ""
        if not same:
            leads = [stage_name(s, language) for s in (a, b) if not volumes.loc[s, "linkable"]]
            note = gettext(
                "approximate: a ratio of volumes, not the same people ({stages} counted in "
                "leads, which are not linked to people)",
                language,
            ).format(stages=", ".join(leads))
        if n_from == 0:
            reached = gettext("no one reached {stage} in the period", language)
            note = "; ".join(filter(None, [reached.format(stage=stage_name(a, language)), note]))
        elif not same and n_to > n_from:
            note += "; " + gettext("more at {later} than at {earlier}, so no interval", language
                                   ).format(later=stage_name(b, language),
                                            earlier=stage_name(a, language))  # fmt: skip
        records.append(
            {
                "from_stage": a,
                "to_stage": b,
                "people_from": n_from,
                "people_to": n_to,
                "people_both": float(x) if same else np.nan,
                "x": x,
                "basis": "same people" if same else "volume ratio",
                "note": note,
            }
        )
    frame = pd.DataFrame(records)
    x = frame["x"].to_numpy(dtype=float)
    n = frame["people_from"].to_numpy(dtype=float)
    frame["rate"] = np.where(n > 0, x / np.where(n > 0, n, 1), np.nan)
    ok = n >= x  # a Wilson interval needs successes <= trials
    frame["ci_low"], frame["ci_high"] = wilson(np.where(ok, x, 0), np.where(ok, n, 0))
    return frame[CONVERSION_COLUMNS]
