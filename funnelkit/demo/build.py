"""Turn the simulated visitors and sessions into the output tables.

``events`` (a pyarrow table), ``orders``, ``ad_spend``, ``crm_leads``, ``nps`` and ``experiments``
(pandas frames); :mod:`funnelkit.demo.generate` writes them to disk.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from .helpers import _first_per_group, _fmt_seconds, _ids, _lognormal_lag_s, _r, _take
from .params import (
    _CHANNELS,
    _CLICKS_PER_NEW_USER,
    _CPC,
    _CTR,
    _DAY_S,
    _DEAL_MEAN,
    _DEAL_SIGMA,
    _DEVICES,
    _EVENT_NAMES,
    _EXPERIMENTS,
    _LAG_MEDIAN_H,
    _LAG_SIGMA,
    _N_DOUBLE_ASSIGNED,
    _NPS_CATEGORY_P,
    _NPS_LAG_DAYS,
    _NPS_RESPONSE_RATE,
    _NPS_SCORE_P,
    _P_MQL,
    _P_SQL,
    _P_WON,
    _PAGES,
    _PAID_CHANNELS,
    _PG,
    _SLOT_LEAD,
    _SLOT_PURCHASE,
    _SLOTS,
    _SPEND_NOISE_SIGMA,
    _START64,
    _WINDOW_END_S,
    DATA_DAYS,
    _campaign_vocab,
)
from .simulate import _experiment_first_sessions, _Funnel, _Sessions, _Users


def _build_events(
    users: _Users, sessions: _Sessions, funnel: _Funnel, visitor_ids: np.ndarray
) -> tuple[pa.Table, dict[str, np.ndarray]]:
    """Flatten the per-session event slots into the sorted events table."""
    mask = funnel.mask
    offsets = np.cumsum(sessions.gaps * mask, axis=1)
    sess, slot = np.nonzero(mask)
    t = sessions.start[sess] + offsets[sess, slot]
    who = sessions.user[sess]
    order = np.lexsort((sessions.number[sess], slot, who, t))
    sess, slot, t, who = sess[order], slot[order], t[order], who[order]

    page_cols = {
        "landing": sessions.landing,
        "browse1": sessions.browse1,
        "browse2": sessions.browse2,
        "product": sessions.product,
    }
    page_matrix = np.column_stack(
        [page_cols[src] if src in page_cols else np.full(sessions.n, _PG[src]) for _, src in _SLOTS]
    )
    slot_event = np.array([_EVENT_NAMES.index(name) for name, _ in _SLOTS])
    is_purchase = slot == _SLOT_PURCHASE
    session_ids = _ids("s", sessions.number, 7)
    sess_arr = pa.array(session_ids, pa.string())
    channel = users.channel[who]
    table = pa.table(
        {
            "visitor_id": pa.array(visitor_ids, pa.string()).take(pa.array(who)),
            # Parquet has no second unit: store microseconds (values are whole seconds).
            "event_time": pa.array(
                (_START64 + t.astype("timedelta64[s]")).astype("datetime64[us]"),
                pa.timestamp("us"),
            ),
            "event_name": _take(_EVENT_NAMES, slot_event[slot]),
            "session_id": sess_arr.take(pa.array(sess)),
            "page": _take(_PAGES, page_matrix[sess, slot]),
            "channel": _take(_CHANNELS, channel),
            "campaign": _take(_campaign_vocab(), users.campaign[who]),
            "device": _take(_DEVICES, users.device[who]),
            "revenue": pa.array(
                np.where(is_purchase, funnel.revenue[sess], 0.0), pa.float64(), mask=~is_purchase
            ),
        }
    )
    flat = {"session": sess, "slot": slot, "time": t, "user": who}
    return table, flat


def _build_orders(
    users: _Users, funnel: _Funnel, flat: dict[str, np.ndarray], visitor_ids: np.ndarray
) -> pd.DataFrame:
    """One order per purchase event, in event order."""
    rows = np.flatnonzero(flat["slot"] == _SLOT_PURCHASE)
    who = flat["user"][rows]
    return pd.DataFrame(
        {
            "order_id": _ids("o", np.arange(1, len(rows) + 1), 6),
            "customer_id": visitor_ids[who],
            "created_at": _fmt_seconds(flat["time"][rows]),
            "revenue": funnel.revenue[flat["session"][rows]],
            "channel": np.array(_CHANNELS)[users.channel[who]],
        }
    )


def _build_ad_spend(rng: np.random.Generator, users: _Users) -> pd.DataFrame:
    """Daily cost, impressions and clicks per paid channel, driven by new users."""
    days = np.arange(DATA_DAYS)
    frames = []
    for name in _PAID_CHANNELS:
        c = _CHANNELS.index(name)
        new_users = np.bincount(users.first_day[users.channel == c], minlength=DATA_DAYS)
        clicks = np.round(
            new_users * _CLICKS_PER_NEW_USER * rng.lognormal(0.0, 0.05, DATA_DAYS)
        ).astype(np.int64)
        cost = np.round(
            new_users
            * _CLICKS_PER_NEW_USER
            * _CPC[name]
            * rng.lognormal(0.0, _SPEND_NOISE_SIGMA, DATA_DAYS),
            2,
        )
        impressions = np.round(clicks / _CTR[name] * rng.lognormal(0.0, 0.10, DATA_DAYS)).astype(
            np.int64
        )
        frames.append(
            pd.DataFrame(
                {
                    "day": days,
                    "rank": c,
                    "channel": name,
                    "cost": cost,
                    "impressions": np.maximum(impressions, clicks),
                    "clicks": clicks,
                }
            )
        )
    df = pd.concat(frames, ignore_index=True).sort_values(["day", "rank"], kind="stable")
    df.insert(0, "date", _fmt_seconds(df["day"].to_numpy() * _DAY_S).astype("<U10"))
    return df.drop(columns=["day", "rank"]).reset_index(drop=True)


def _build_leads(
    rng: np.random.Generator, users: _Users, flat: dict[str, np.ndarray]
) -> pd.DataFrame:
    """CRM leads from ``generate_lead`` events with censored stage progression."""
    rows = np.flatnonzero(flat["slot"] == _SLOT_LEAD)
    created = flat["time"][rows]
    channel = users.channel[flat["user"][rows]]
    n = len(rows)
    u = rng.random((n, 3))
    lags = {s: _lognormal_lag_s(rng, _LAG_MEDIAN_H[s], _LAG_SIGMA[s], n) for s in _LAG_MEDIAN_H}
    deal = np.round(rng.lognormal(np.log(_DEAL_MEAN) - _DEAL_SIGMA**2 / 2, _DEAL_SIGMA, n), -1)
    mql = u[:, 0] < _P_MQL
    sql = mql & (u[:, 1] < _P_SQL[channel])
    won = sql & (u[:, 2] < _P_WON)
    mql_t = created + lags["mql"]
    sql_t = mql_t + lags["sql"]
    won_t = sql_t + lags["won"]
    # Stages that would happen after the data end have not been reached yet.
    mql &= mql_t <= _WINDOW_END_S
    sql &= mql & (sql_t <= _WINDOW_END_S)
    won &= sql & (won_t <= _WINDOW_END_S)
    return pd.DataFrame(
        {
            "lead_id": _ids("L", np.arange(1, n + 1), 5),
            "created_at": _fmt_seconds(created),
            "channel": np.array(_CHANNELS)[channel],
            "mql_at": _fmt_seconds(np.where(mql, mql_t, -1)),
            "sql_at": _fmt_seconds(np.where(sql, sql_t, -1)),
            "won_at": _fmt_seconds(np.where(won, won_t, -1)),
            "deal_value": np.where(won, deal, np.nan),
        }
    )


def _build_nps(
    rng: np.random.Generator,
    sessions: _Sessions,
    flat: dict[str, np.ndarray],
    visitor_ids: np.ndarray,
) -> pd.DataFrame:
    """NPS answers of a share of buyers, a few days after their first order."""
    purchase_rows = np.flatnonzero(flat["slot"] == _SLOT_PURCHASE)
    first = purchase_rows[
        _first_per_group(flat["user"][purchase_rows], np.ones(len(purchase_rows), dtype=bool))
    ]
    n = len(first)
    respond = rng.random(n) < _NPS_RESPONSE_RATE
    lo, hi = _NPS_LAG_DAYS
    answered = flat["time"][first] + np.round(rng.uniform(lo, hi, n) * _DAY_S).astype(np.int64)
    cats = list(_NPS_CATEGORY_P)
    category = rng.choice(len(cats), size=n, p=np.array(list(_NPS_CATEGORY_P.values())))
    score = np.zeros(n, dtype=np.int64)
    for c, name in enumerate(cats):
        members = np.flatnonzero(category == c)
        values = np.array(list(_NPS_SCORE_P[name]))
        probs = np.array(list(_NPS_SCORE_P[name].values()))
        score[members] = values[rng.choice(len(values), size=len(members), p=probs)]
    returning = sessions.rank[flat["session"][first]] > 0
    keep = respond & (answered <= _WINDOW_END_S)
    who = flat["user"][first]
    order = np.lexsort((who[keep], answered[keep]))
    return pd.DataFrame(
        {
            "respondent_id": visitor_ids[who[keep]][order],
            "answered_at": _fmt_seconds(answered[keep][order]),
            "score": score[keep][order],
            "segment": np.where(returning[keep], "returning", "new")[order],
        }
    )


def _build_experiments(
    rng: np.random.Generator,
    users: _Users,
    sessions: _Sessions,
    funnel: _Funnel,
    variants: dict[str, np.ndarray],
    visitor_ids: np.ndarray,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Assignment log of the three experiments (with the planted SRM and double assignments)."""
    frames = []
    info: dict[str, Any] = {}
    for exp in _EXPERIMENTS:
        name = exp["name"]
        if name == "checkout_button":
            first = funnel.cb_assigned_session
        else:
            first = _experiment_first_sessions(sessions, users.n, exp)
        who = np.flatnonzero(first >= 0)
        variant = variants[name][who]
        when = sessions.start[first[who]]
        double = np.zeros(0, dtype=np.int64)
        if name == "free_shipping_bar":
            # Logging bug: part of the 'bar' users never reach the assignment log.
            a = exp["assignment_probabilities"]
            drop_p = 1.0 - (a[1] / a[0]) * (exp["planned_split"][0] / exp["planned_split"][1])
            keep = (variant != 1) | (rng.random(len(who)) >= drop_p)
            who, variant, when = who[keep], variant[keep], when[keep]
            info[name] = {"bar_drop_probability": _r(drop_p)}
        if name == "checkout_button":
            n_double = min(_N_DOUBLE_ASSIGNED, len(who) // 4)
            pick = np.sort(rng.choice(len(who), size=n_double, replace=False))
            double = who[pick]
            extra_when = np.minimum(
                when[pick] + rng.integers(60, 6 * 3600, size=n_double), _WINDOW_END_S
            )
            who = np.concatenate([who, double])
            variant = np.concatenate([variant, 1 - variant[pick]])
            when = np.concatenate([when, extra_when])
            info[name] = {"double_assigned_users": sorted(visitor_ids[double].tolist())}
        order = np.lexsort((variant, who, when))
        frames.append(
            pd.DataFrame(
                {
                    "user_id": visitor_ids[who[order]],
                    "experiment": name,
                    "variant": np.array(exp["variants"])[variant[order]],
                    "assigned_at": _fmt_seconds(when[order]),
                }
            )
        )
    return pd.concat(frames, ignore_index=True), info
