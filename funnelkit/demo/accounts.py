"""The demo client's small B2B side: target accounts, their contacts, leads and deals.

Drawn from its own random stream (``np.random.default_rng((seed, 17))``), so the other tables'
streams, and every number they produce, stay as they were: the accounts only *label* existing
visitors (``events.account_id``) and existing leads (``crm_leads.company_id``).

Every account gets latent flags, then contacts and leads that realise them:

- **covered** (at least one known contact): 85 % of each tier's target accounts, every
  non-target account (they entered the CRM through a contact);
- **engaged** (at least 3 touchpoints in the analysis period; a touchpoint is an event of a
  contact other than ``session_start``): a share per tier, the stalling industry picked first;
- **opportunity** (a lead that reached SQL) given engaged, rarely for the stalling industry;
- **won** (a won lead) given an opportunity, by tier.

The counts are exact (``round(p x n)`` per tier), only *which* accounts is random, so the
planted shares are what the files hold.

Only leads created in the analysis period go to accounts (a lead's session alone gives its
contact 4 or more touchpoints, so every account with a lead is engaged, and a lead counts the same
whether or not the leads are filtered by period). An engaged account gets contacts with 3 or
more touchpoints in the period, a covered account that is not engaged one contact with 1 or 2,
and some accounts a contact whose visits all fall before the period. Contacts never bought in the
shop. When a pool of visitors or leads runs out (small ``n_users``) the flag is not realised;
``truth.json`` records what the files hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .helpers import _ids, _r
from .params import (
    _ACCOUNT_PERIOD,
    _ACTIVE_CONTACTS,
    _DAY_S,
    _INDUSTRY_SHARE,
    _N_NON_TARGET,
    _OWNERS,
    _P_COVERED_TARGET,
    _P_DORMANT_CONTACT,
    _P_ENGAGED,
    _P_EXTRA_LEAD,
    _P_LEAD_WITHOUT_OPPORTUNITY,
    _P_OPPORTUNITY_GIVEN_ENGAGED,
    _P_WON_GIVEN_OPPORTUNITY,
    _SLOT_LEAD,
    _SLOT_PURCHASE,
    _STALLING_INDUSTRY,
    _STALLING_PICK_WEIGHT,
    _TIER_COUNTS,
    DATA_START,
)

_NAME_HEADS = (
    "Nord", "Alp", "Blau", "Stein", "Hansa", "Rhein", "Silber", "Eich", "Falken", "Lumen",
    "Brix", "Kessel", "Linden", "Orbit", "Quell", "Sonnen", "Tanne", "Vektor", "Weiden", "Zinn",
)  # fmt: skip
_NAME_TAILS = (
    "wind", "tech", "werk", "line", "gate", "feld", "hafen", "bau", "logic", "soft",
    "mark", "tor", "punkt", "stahl", "data", "form", "kraft", "net", "haus", "quelle",
)  # fmt: skip
_LEGAL_FORMS = ("GmbH", "AG", "SE", "KG", "Ltd")
_TOUCHPOINTS_ENGAGED = 3  # AccountsConfig.engaged_touchpoints default
_NON_INTERACTION = "session_start"


@dataclass
class _Accounts:
    table: pd.DataFrame  # accounts.csv
    visitor_account: np.ndarray  # per visitor: account index, -1 for none
    lead_account: np.ndarray  # per lead (crm_leads order): account index, -1 for none
    drawn: dict[str, np.ndarray]  # latent flags per account: covered, engaged, opportunity, won

    @property
    def ids(self) -> np.ndarray:
        return self.table["account_id"].to_numpy()


def _period_seconds() -> tuple[int, int]:
    """The analysis period as [start, end) seconds since the data start."""
    first, last = (date.fromisoformat(d) for d in _ACCOUNT_PERIOD)
    return (first - DATA_START).days * _DAY_S, ((last - DATA_START).days + 1) * _DAY_S


class _Pool:
    """Shuffled indices handed out one at a time; -1 once empty."""

    def __init__(self, rng: np.random.Generator, members: np.ndarray) -> None:
        self.items = rng.permutation(members).tolist()

    def pop(self) -> int:
        return self.items.pop() if self.items else -1


def _account_table(rng: np.random.Generator) -> tuple[pd.DataFrame, np.ndarray]:
    """The accounts (ids, made-up names, target flag, tier, industry, owner, created_at)."""
    tiers = [t for t, count in _TIER_COUNTS.items() for _ in range(count)]
    tier = np.array(tiers + [""] * _N_NON_TARGET)[rng.permutation(len(tiers) + _N_NON_TARGET)]
    n = len(tier)
    combos = rng.choice(len(_NAME_HEADS) * len(_NAME_TAILS), size=n, replace=False)
    legal = np.array(_LEGAL_FORMS)[rng.integers(0, len(_LEGAL_FORMS), size=n)]
    heads = np.array(_NAME_HEADS)[combos // len(_NAME_TAILS)]
    tails = np.array(_NAME_TAILS)[combos % len(_NAME_TAILS)]
    industries = np.array(list(_INDUSTRY_SHARE))
    industry = industries[rng.choice(len(industries), size=n, p=list(_INDUSTRY_SHARE.values()))]
    owner = np.array(_OWNERS)[rng.integers(0, len(_OWNERS), size=n)]
    # Entered the CRM at some point in the two years before the data start.
    created = np.datetime64(DATA_START.isoformat(), "s") - rng.integers(
        _DAY_S, 730 * _DAY_S, size=n
    ).astype("timedelta64[s]")
    table = pd.DataFrame(
        {
            "account_id": _ids("A", np.arange(1, n + 1), 4),
            "company": np.char.add(np.char.add(heads, tails), np.char.add(" ", legal)),
            "target": np.where(tier != "", "yes", "no"),
            "tier": tier,
            "industry": industry,
            "owner": owner,
            "created_at": np.char.replace(np.datetime_as_string(created, unit="s"), "T", " "),
        }
    )
    return table, tier


def _count(p: float, n: int) -> int:
    """``p x n`` rounded half up (0.85 x 30 = 25.5 -> 26)."""
    return int(np.floor(p * n + 0.5))


def _pick(rng: np.random.Generator, members: np.ndarray, k: int, weight: np.ndarray) -> np.ndarray:
    """``k`` of ``members`` at random without replacement, with odds ``weight[members]``."""
    k = min(k, len(members))
    if k == 0:
        return np.zeros(0, dtype=np.int64)
    w = weight[members]
    return rng.choice(members, size=k, replace=False, p=w / w.sum())


def _draw_flags(
    rng: np.random.Generator, tier: np.ndarray, stalling: np.ndarray
) -> dict[str, np.ndarray]:
    """Latent covered / engaged / opportunity / won flags: exact counts per tier.

    In each tier ``round(p x n)`` accounts are covered, then as many as the tier's engaged share
    says are engaged among the covered ones (the stalling industry's accounts picked with
    ``_STALLING_PICK_WEIGHT`` times the odds), then a share of the engaged ones are opportunities
    (separately for the stalling industry and the rest), then a share of those are won.
    """
    n = len(tier)
    odds = np.where(stalling, _STALLING_PICK_WEIGHT, 1.0)
    even = np.ones(n)
    flags = {name: np.zeros(n, dtype=bool) for name in ("covered", "engaged", "opportunity", "won")}
    p_opp = _P_OPPORTUNITY_GIVEN_ENGAGED
    for t in [*_TIER_COUNTS, ""]:
        members = np.flatnonzero(tier == t)
        covered = _pick(rng, members, _count(_P_COVERED_TARGET if t else 1.0, len(members)), odds)
        engaged = _pick(rng, covered, _count(_P_ENGAGED[t], len(members)), odds)
        opportunity = []
        for group, p in ((stalling, p_opp["stalling"]), (~stalling, p_opp["target"])):
            if not t:
                group, p = np.ones(n, dtype=bool), p_opp["non_target"]
            pool = engaged[group[engaged]]
            opportunity.append(_pick(rng, pool, _count(p, len(pool)), even))
            if not t:
                break
        opp = np.concatenate(opportunity)
        won = _pick(rng, opp, _count(_P_WON_GIVEN_OPPORTUNITY[t], len(opp)), even)
        for name, picked in zip(flags, (covered, engaged, opp, won), strict=True):
            flags[name][picked] = True
    return flags


def _simulate_accounts(
    rng: np.random.Generator, flat: dict[str, np.ndarray], leads: pd.DataFrame, n_users: int
) -> _Accounts:
    """Draw the accounts and label contacts (visitors) and leads with them.

    ``flat`` is the events table's row data (``user``, ``slot``, ``time``) and ``leads`` the
    ``crm_leads`` frame; lead ``i`` is the ``i``-th ``generate_lead`` event.
    """
    table, tier = _account_table(rng)
    n = len(table)
    stalling = (tier != "") & (table["industry"].to_numpy() == _STALLING_INDUSTRY)
    drawn = _draw_flags(rng, tier, stalling)

    user, slot, t = flat["user"], flat["slot"], flat["time"]
    lead_user = user[slot == _SLOT_LEAD]
    start, end = _period_seconds()
    in_period = (t >= start) & (t < end)
    touch = np.bincount(user[in_period & (slot != 0)], minlength=n_users)
    buyer = np.bincount(user[slot == _SLOT_PURCHASE], minlength=n_users) > 0
    free = ~buyer
    free[lead_user] = False
    active = _Pool(rng, np.flatnonzero(free & (touch >= _TOUCHPOINTS_ENGAGED)))
    light = _Pool(rng, np.flatnonzero(free & (touch >= 1) & (touch < _TOUCHPOINTS_ENGAGED)))
    dormant = _Pool(
        rng, np.flatnonzero(free & (np.bincount(user[in_period], minlength=n_users) == 0))
    )

    created = leads["created_at"].to_numpy(dtype=str)
    lead_in_period = (created >= _ACCOUNT_PERIOD[0]) & (created < _ACCOUNT_PERIOD[1] + "~")
    is_sql = leads["sql_at"].to_numpy(dtype=str) != ""
    is_won = leads["won_at"].to_numpy(dtype=str) != ""
    won_leads = _Pool(rng, np.flatnonzero(lead_in_period & is_won))
    sql_leads = _Pool(rng, np.flatnonzero(lead_in_period & is_sql & ~is_won))
    other_leads = _Pool(rng, np.flatnonzero(lead_in_period & ~is_sql))

    u = rng.random((n, 3))
    extra_active = rng.poisson(_ACTIVE_CONTACTS["extra_mean"], size=n)
    visitor_account = np.full(n_users, -1, dtype=np.int64)
    lead_account = np.full(len(leads), -1, dtype=np.int64)
    for a in range(n):  # a few hundred accounts
        picked: list[int] = []
        if drawn["won"][a]:
            picked = [won_leads.pop()] + ([other_leads.pop()] if u[a, 0] < _P_EXTRA_LEAD else [])
        elif drawn["opportunity"][a]:
            picked = [sql_leads.pop()] + ([sql_leads.pop()] if u[a, 0] < _P_EXTRA_LEAD else [])
        elif drawn["engaged"][a] and u[a, 0] < _P_LEAD_WITHOUT_OPPORTUNITY:
            picked = [other_leads.pop()]
        picked = [i for i in picked if i >= 0]
        lead_account[picked] = a
        contacts = [int(lead_user[i]) for i in picked]
        if drawn["engaged"][a]:
            base = _ACTIVE_CONTACTS["stalling" if stalling[a] else "base"]
            k = base + int(extra_active[a]) - (0 if stalling[a] or not picked else 1)
            contacts += [active.pop() for _ in range(k)]
        elif drawn["covered"][a]:
            contacts.append(light.pop())
        if drawn["covered"][a] and u[a, 1] < _P_DORMANT_CONTACT:
            contacts.append(dormant.pop())
        contacts = [c for c in contacts if c >= 0]
        visitor_account[contacts] = a
    return _Accounts(table, visitor_account, lead_account, drawn)


def _planted(accounts: _Accounts) -> dict[str, Any]:
    """The planted parameters and the latent flags' counts (before the pools could run out)."""
    tier = accounts.table["tier"].to_numpy()
    drawn = {
        (f"tier_{t}" if t else "non_target"): {
            flag: int(values[tier == t].sum()) for flag, values in accounts.drawn.items()
        }
        | {"accounts": int((tier == t).sum())}
        for t in [*_TIER_COUNTS, ""]
    }
    return {
        "seed_stream": "numpy default_rng((seed, 17)), separate from every other table's stream",
        "period": list(_ACCOUNT_PERIOD),
        "engaged_touchpoints": _TOUCHPOINTS_ENGAGED,
        "touchpoint": f"an event of a contact in the period, except {_NON_INTERACTION}",
        "tier_counts": dict(_TIER_COUNTS),
        "n_non_target": _N_NON_TARGET,
        "industry_share": dict(_INDUSTRY_SHARE),
        "owners": list(_OWNERS),
        "counts": "exact per tier: round(p x accounts) half up, accounts picked at random",
        "p_covered": {"target": _P_COVERED_TARGET, "non_target": 1.0},
        "p_engaged": {(f"tier_{t}" if t else "non_target"): p for t, p in _P_ENGAGED.items()},
        "stalling_industry": _STALLING_INDUSTRY,
        "stalling_pick_weight": _STALLING_PICK_WEIGHT,
        "p_opportunity_given_engaged": dict(_P_OPPORTUNITY_GIVEN_ENGAGED),
        "p_won_given_opportunity": {
            (f"tier_{t}" if t else "non_target"): p for t, p in _P_WON_GIVEN_OPPORTUNITY.items()
        },
        "drawn": drawn,
    }


def _share(part: int, whole: int) -> float | None:
    return _r(part / whole) if whole else None


def _group_counts(frame: pd.DataFrame) -> dict[str, Any]:
    """Counts and shares of one group of accounts (rows of the per-account frame)."""
    n, covered, engaged = len(frame), int(frame["covered"].sum()), int(frame["engaged"].sum())
    opportunity, won = int(frame["opportunity"].sum()), int(frame["won"].sum())
    stalled = int((frame["engaged"] & ~frame["opportunity"]).sum())
    return {
        "accounts": n,
        "covered": covered,
        "coverage": _share(covered, n),
        "engaged": engaged,
        "engaged_share": _share(engaged, n),
        "opportunities": opportunity,
        "opportunity_share_of_engaged": _share(
            int((frame["engaged"] & frame["opportunity"]).sum()), engaged
        ),
        "won": won,
        "win_rate": _share(won, opportunity),
        "engaged_without_opportunity": stalled,
        "won_value": _r(frame["won_value"].sum()),
        "touchpoints": int(frame["touchpoints"].sum()),
    }


def _realised(data_dir: Path) -> dict[str, Any]:
    """What the written files hold, recomputed with plain pandas (no funnelkit code).

    Reads accounts.csv, crm_leads.csv and events.parquet of ``data_dir``.
    """
    acc = pd.read_csv(data_dir / "accounts.csv", dtype=str, keep_default_na=False)
    leads = pd.read_csv(data_dir / "crm_leads.csv", dtype=str, keep_default_na=False)
    events = pd.read_parquet(
        data_dir / "events.parquet",
        columns=["visitor_id", "event_time", "event_name", "account_id"],
    )
    events = events[events["account_id"].notna()]
    start = pd.Timestamp(_ACCOUNT_PERIOD[0])
    end = pd.Timestamp(_ACCOUNT_PERIOD[1]) + pd.Timedelta(days=1)
    in_period = (events["event_time"] >= start) & (events["event_time"] < end)
    touch = events[in_period & (events["event_name"] != _NON_INTERACTION)]
    account_leads = leads[leads["company_id"] != ""]
    won_leads = account_leads[account_leads["won_at"] != ""]
    per = acc.set_index("account_id")[["target", "tier", "industry"]].copy()
    per["contacts"] = (
        events.groupby("account_id")["visitor_id"].nunique().reindex(per.index).fillna(0)
    )
    per["touchpoints"] = touch.groupby("account_id").size().reindex(per.index).fillna(0).astype(int)
    per["covered"] = per["contacts"] > 0
    per["engaged"] = per["touchpoints"] >= _TOUCHPOINTS_ENGAGED
    per["opportunity"] = per.index.isin(
        account_leads.loc[account_leads["sql_at"] != "", "company_id"]
    )
    per["won"] = per.index.isin(won_leads["company_id"])
    per["won_value"] = (
        (won_leads["deal_value"].astype(float).groupby(won_leads["company_id"]).sum())
        .reindex(per.index)
        .fillna(0.0)
    )
    targets = per[per["target"] == "yes"]
    by_tier = {f"tier_{t}": _group_counts(targets[targets["tier"] == t]) for t in _TIER_COUNTS}
    by_industry = {i: _group_counts(targets[targets["industry"] == i]) for i in _INDUSTRY_SHARE}
    stalling = targets["industry"] == _STALLING_INDUSTRY
    return {
        "all_accounts": _group_counts(per),
        "targets": _group_counts(targets),
        "non_target": _group_counts(per[per["target"] == "no"]),
        "by_tier": by_tier,
        "by_industry": by_industry,
        "stalling": {
            "industry": _STALLING_INDUSTRY,
            "stalling_industry": _group_counts(targets[stalling]),
            "other_industries": _group_counts(targets[~stalling]),
        },
        "engaged_targets_without_opportunity": sorted(
            targets.index[targets["engaged"] & ~targets["opportunity"]].tolist()
        ),
        "leads_with_account": len(account_leads),
        "contacts": int(events["visitor_id"].nunique()),
        "events_with_account": len(events),
    }


def _accounts_truth(accounts: _Accounts, data_dir: Path) -> dict[str, Any]:
    """The ``accounts`` entry of truth.json: ``planted`` parameters and ``realised`` values.

    ``planted``: what the accounts were drawn with. Counts are exact per tier, ``round(p x n)``
    half up: ``p_covered`` (accounts with a known contact), ``p_engaged`` (accounts with >= 3
    touchpoints in the period, as a share of the tier), ``p_opportunity_given_engaged`` (engaged
    accounts given a lead that reaches SQL; ``stalling`` for the stalling industry's target
    accounts, which ``stalling_pick_weight`` makes far likelier to be covered and engaged) and
    ``p_won_given_opportunity`` (those given a won lead, by tier); ``drawn`` counts the flags.

    ``realised``: recomputed from the written files with plain pandas, per group of accounts
    (all accounts, all targets, non-targets, each tier, each industry of the targets, the
    stalling industry against the rest): ``covered`` (>= 1 contact in events), ``engaged``
    (>= 3 touchpoints: contacts' events in the period except session_start), ``opportunities``
    (>= 1 lead with ``sql_at``), ``won`` (>= 1 lead with ``won_at``), ``win_rate`` = won /
    opportunities, ``opportunity_share_of_engaged`` = engaged accounts with an opportunity /
    engaged accounts, ``engaged_without_opportunity`` (the stalled accounts), ``won_value`` (sum
    of their won leads' deal values) and ``touchpoints``; shares are rounded to 6 decimals, None
    when the denominator is 0.
    """
    return {"planted": _planted(accounts), "realised": _realised(data_dir)}
