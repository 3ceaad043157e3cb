"""Simulation of visitors, their sessions and each session's path through the funnel.

Everything is vectorised with numpy: the only Python loops run over channels, over the rank of a
visitor's session (a handful of iterations) or over experiments, never over users or events.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .helpers import _exp_day, _first_per_group
from .params import (
    _AOV_MU,
    _AOV_SIGMA,
    _API,
    _ATC,
    _BC,
    _BLOG,
    _BLOG0,
    _BLOG_PAGES,
    _BOUNCE_BASE,
    _BOUNCE_CAP,
    _BOUNCE_CHANNEL_MULT,
    _BROWSE_SHARE,
    _CAMPAIGN_SHARE,
    _CAMPAIGNS,
    _CAT0,
    _CATEGORY,
    _CATEGORY_PAGES,
    _CATEGORY_SHARE,
    _CB_LIFT,
    _CHANNEL_SHARE,
    _CHANNELS,
    _DAY_S,
    _DEVICE_MULT,
    _DEVICE_SHARE,
    _DEVICES,
    _EVENT_GAP_MAX_S,
    _EVENT_GAP_MEAN_S,
    _EXPERIMENTS,
    _GROWTH,
    _HOME,
    _HOUR_WEIGHT,
    _LANDING_SHARE,
    _LANDING_TYPES,
    _LEAD_P,
    _N_PRODUCTS,
    _N_UNIFORMS,
    _P_CAP,
    _P_EXTRA,
    _PAYMENT_BUG,
    _PG,
    _PROD0,
    _PRODUCT,
    _PRODUCT_POPULARITY,
    _PUR,
    _REPEAT,
    _RETURN_GAP,
    _SALE,
    _SESSIONS_MEAN,
    _SLOTS,
    _STEPS,
    _U_API,
    _U_ATC,
    _U_BC,
    _U_BOUNCE,
    _U_BROWSE2,
    _U_CART,
    _U_LEAD,
    _U_LOGIN,
    _U_NEWS,
    _U_PROMO,
    _U_PUR,
    _U_REMOVE,
    _U_SCROLL,
    _U_SEARCH,
    _U_SIGNUP,
    _U_VI,
    _VI,
    _WEEKDAY_MULT,
    _WINDOW_END_S,
    DATA_DAYS,
    DATA_START,
    _campaign_vocab,
    _effective_base_p,
)


@dataclass
class _Users:
    channel: np.ndarray
    device: np.ndarray
    campaign: np.ndarray  # global campaign code, -1 for none
    first_day: np.ndarray
    n_sessions: np.ndarray

    @property
    def n(self) -> int:
        return len(self.channel)


@dataclass
class _Sessions:
    user: np.ndarray
    rank: np.ndarray
    day: np.ndarray
    start: np.ndarray  # seconds since the window start
    gaps: np.ndarray  # (n, n_slots) seconds between consecutive slots
    landing_type: np.ndarray
    landing: np.ndarray  # page codes
    browse1: np.ndarray
    browse2: np.ndarray
    product: np.ndarray
    number: np.ndarray  # chronological session number (for session_id)

    @property
    def n(self) -> int:
        return len(self.user)


@dataclass
class _Funnel:
    uniforms: np.ndarray
    bounce_p: np.ndarray
    bounced: np.ndarray
    step_p: np.ndarray  # (n_sessions, 5) probability actually used for each step
    reached: np.ndarray  # (n_sessions, 5) step reached
    mask: np.ndarray  # (n_sessions, n_slots) which events happen
    revenue: np.ndarray
    cb_active: np.ndarray  # checkout_button assignment active in the session
    cb_assigned_session: np.ndarray  # per user: session index of assignment, -1 if none
    repeat_buyer: np.ndarray  # session of a visitor who bought before


def _simulate_users(rng: np.random.Generator, n_users: int) -> _Users:
    """Channel, device, campaign, first-visit day and session count of every visitor."""
    channel = rng.choice(len(_CHANNELS), size=n_users, p=_CHANNEL_SHARE)
    device = rng.choice(len(_DEVICES), size=n_users, p=_DEVICE_SHARE)
    vocab = _campaign_vocab()
    campaign = np.full(n_users, -1, dtype=np.int64)
    for c, name in enumerate(_CHANNELS):
        members = np.flatnonzero(channel == c)
        if not _CAMPAIGNS[name]:
            continue
        codes = np.array([vocab.index(x) for x in _CAMPAIGNS[name]])
        campaign[members] = codes[
            rng.choice(len(codes), size=len(members), p=np.array(_CAMPAIGN_SHARE[name]))
        ]
    days = np.arange(DATA_DAYS)
    weekday = (DATA_START.weekday() + days) % 7
    weight = _WEEKDAY_MULT[weekday] * (1.0 + _GROWTH * days / (DATA_DAYS - 1))
    first_day = rng.choice(DATA_DAYS, size=n_users, p=weight / weight.sum())
    n_sessions = rng.geometric(1.0 / _SESSIONS_MEAN, size=n_users)
    return _Users(channel, device, campaign, first_day, n_sessions)


def _simulate_sessions(rng: np.random.Generator, users: _Users) -> _Sessions:
    """Sessions of every visitor: days, start times, landing and browsing pages."""
    k = users.n_sessions
    user = np.repeat(np.arange(users.n), k)
    first_row = np.cumsum(k) - k
    rank = np.arange(len(user)) - np.repeat(first_row, k)
    n = len(user)
    short = rng.random(n) < _RETURN_GAP["short_share"]
    mean_gap = np.where(short, _RETURN_GAP["short_mean_days"], _RETURN_GAP["long_mean_days"])
    gap_days = np.where(rank == 0, 0, 1 + np.floor(rng.exponential(mean_gap)).astype(np.int64))
    cum = np.cumsum(gap_days)
    day = users.first_day[user] + cum - cum[first_row][user]
    hour = rng.choice(24, size=n, p=_HOUR_WEIGHT / _HOUR_WEIGHT.sum())
    tod = hour * 3600 + rng.integers(0, 3600, size=n)
    gaps = np.minimum(
        1 + np.floor(rng.exponential(_EVENT_GAP_MEAN_S, size=(n, len(_SLOTS)))),
        _EVENT_GAP_MAX_S,
    ).astype(np.int64)
    gaps[:, 0] = 0
    gaps[:, 1] = rng.integers(0, 3, size=n)
    landing_type = np.zeros(n, dtype=np.int64)
    channel = users.channel[user]
    for c in range(len(_CHANNELS)):
        members = np.flatnonzero(channel == c)
        landing_type[members] = rng.choice(
            len(_LANDING_TYPES), size=len(members), p=_LANDING_SHARE[c]
        )
    category = _CAT0 + rng.choice(len(_CATEGORY_PAGES), size=n, p=_CATEGORY_SHARE)
    blog = _BLOG0 + rng.integers(0, len(_BLOG_PAGES), size=n)
    product = _PROD0 + rng.choice(_N_PRODUCTS, size=n, p=_PRODUCT_POPULARITY)
    landing = np.select(
        [
            landing_type == _HOME,
            landing_type == _CATEGORY,
            landing_type == _PRODUCT,
            landing_type == _BLOG,
        ],
        [_PG["/"], category, product, blog],
        _PG["/sale"],
    )
    browse_vocab = np.array([_PG["/"], -1, -2, _PG["/sale"]])
    browse = []
    for _ in range(2):
        kind = rng.choice(len(browse_vocab), size=n, p=_BROWSE_SHARE)
        cat = _CAT0 + rng.choice(len(_CATEGORY_PAGES), size=n, p=_CATEGORY_SHARE)
        post = _BLOG0 + rng.integers(0, len(_BLOG_PAGES), size=n)
        code = browse_vocab[kind]
        browse.append(np.where(code == -1, cat, np.where(code == -2, post, code)))
    # A product-landing session views that product; others pick one by popularity.
    view_product = np.where(
        landing_type == _PRODUCT,
        landing,
        _PROD0 + rng.choice(_N_PRODUCTS, size=n, p=_PRODUCT_POPULARITY),
    )
    keep = day < DATA_DAYS  # later sessions after the window end are not observed
    start = day * _DAY_S + tod
    # Keep the whole session inside the window.
    start = np.minimum(start, _WINDOW_END_S - gaps.sum(axis=1))
    sel = np.flatnonzero(keep)
    order = np.lexsort((user[sel], start[sel]))
    number = np.empty(len(sel), dtype=np.int64)
    number[order] = np.arange(1, len(sel) + 1)
    return _Sessions(
        user=user[sel],
        rank=rank[sel],
        day=day[sel],
        start=start[sel],
        gaps=gaps[sel],
        landing_type=landing_type[sel],
        landing=landing[sel],
        browse1=browse[0][sel],
        browse2=browse[1][sel],
        product=view_product[sel],
        number=number,
    )


def _experiment_first_sessions(sessions: _Sessions, n_users: int, exp: dict) -> np.ndarray:
    """Per user: index of the first session within the experiment's dates, -1 if none."""
    lo, hi = _exp_day(exp["start"]), _exp_day(exp["end"])
    first = np.full(n_users, -1, dtype=np.int64)
    rows = _first_per_group(sessions.user, (sessions.day >= lo) & (sessions.day <= hi))
    first[sessions.user[rows]] = rows
    return first


def _simulate_funnel(
    rng: np.random.Generator,
    users: _Users,
    sessions: _Sessions,
    cb_variant: np.ndarray,
    cb_first: np.ndarray,
) -> _Funnel:
    """Bounces, funnel steps, extra events and revenue of every session.

    Sessions are processed by rank (first sessions, then second sessions, ...) because a
    visitor's earlier purchases and experiment assignment change later sessions.
    """
    n = sessions.n
    u = rng.random((n, _N_UNIFORMS))
    channel = users.channel[sessions.user]
    device = users.device[sessions.user]
    bounce_p = np.minimum(
        _BOUNCE_BASE[sessions.landing_type] * _BOUNCE_CHANNEL_MULT[channel], _BOUNCE_CAP
    )
    bounced = u[:, _U_BOUNCE] < bounce_p
    base = _effective_base_p()[channel] * _DEVICE_MULT[device]
    bug_from = _exp_day(_PAYMENT_BUG["from_date"]) * _DAY_S
    bug = (device == _DEVICES.index(_PAYMENT_BUG["device"])) & (sessions.start >= bug_from)
    base[:, _PUR] *= np.where(bug, _PAYMENT_BUG["factor"], 1.0)

    step_p = np.zeros((n, len(_STEPS)))
    reached = np.zeros((n, len(_STEPS)), dtype=bool)
    cb_active = np.zeros(n, dtype=bool)
    repeat_buyer = np.zeros(n, dtype=bool)
    has_bought = np.zeros(users.n, dtype=bool)
    cb_assigned = np.full(users.n, -1, dtype=np.int64)
    step_u = u[:, [_U_VI, _U_ATC, _U_BC, _U_API, _U_PUR]]
    for r in range(int(sessions.rank.max(initial=0)) + 1):
        idx = np.flatnonzero(sessions.rank == r)
        who = sessions.user[idx]
        p = base[idx].copy()
        prev_buyer = has_bought[who]
        p[:, _ATC] *= np.where(prev_buyer, _REPEAT["add_to_cart_multiplier"], 1.0)
        p[:, _BC] *= np.where(prev_buyer, _REPEAT["begin_checkout_multiplier"], 1.0)
        p[:, _VI] = np.minimum(p[:, _VI], _P_CAP)
        vi = ~bounced[idx] & (step_u[idx, _VI] < p[:, _VI])
        assigned_now = (cb_first[who] == idx) & vi
        active = (cb_assigned[who] >= 0) | assigned_now
        green = active & (cb_variant[who] == 1)
        p[:, _BC] *= np.where(green, 1.0 + _CB_LIFT, 1.0)
        p = np.minimum(p, _P_CAP)
        hit = step_u[idx] < p
        got = np.zeros((len(idx), len(_STEPS)), dtype=bool)
        got[:, _VI] = vi
        for s in range(1, len(_STEPS)):
            got[:, s] = got[:, s - 1] & hit[:, s]
        cb_assigned[who[assigned_now]] = idx[assigned_now]
        has_bought[who[got[:, _PUR]]] = True
        step_p[idx] = p
        reached[idx] = got
        cb_active[idx] = active
        repeat_buyer[idx] = prev_buyer

    nb = ~bounced
    lead_candidate = nb & (u[:, _U_LEAD] < _LEAD_P[channel])
    lead = np.zeros(n, dtype=bool)
    lead[_first_per_group(sessions.user, lead_candidate)] = True  # one lead per visitor at most
    login = nb & (sessions.rank > 0) & (u[:, _U_LOGIN] < _P_EXTRA["login_returning"])
    promo_p = np.where(
        sessions.landing_type == _SALE,
        _P_EXTRA["select_promotion_sale_landing"],
        _P_EXTRA["select_promotion"],
    )
    view_cart = reached[:, _ATC] & (u[:, _U_CART] < _P_EXTRA["view_cart"])
    flags = {
        "session_start": np.ones(n, dtype=bool),
        "landing_view": np.ones(n, dtype=bool),
        "scroll": nb & (u[:, _U_SCROLL] < _P_EXTRA["scroll"]),
        "login": login,
        "newsletter_signup": nb & (u[:, _U_NEWS] < _P_EXTRA["newsletter_signup"]),
        "select_promotion": nb & (u[:, _U_PROMO] < promo_p),
        "search": nb & (u[:, _U_SEARCH] < _P_EXTRA["search"]),
        "browse1": nb,  # a non-bounced session always views a second page
        "browse2": nb & (u[:, _U_BROWSE2] < _P_EXTRA["second_browse"]),
        "product_view": reached[:, _VI],
        "view_item": reached[:, _VI],
        "add_to_cart": reached[:, _ATC],
        "cart_view": view_cart,
        "view_cart": view_cart,
        "remove_from_cart": reached[:, _ATC] & (u[:, _U_REMOVE] < _P_EXTRA["remove_from_cart"]),
        "checkout_view": reached[:, _BC],
        "begin_checkout": reached[:, _BC],
        "sign_up": reached[:, _BC] & ~login & (u[:, _U_SIGNUP] < _P_EXTRA["sign_up"]),
        "payment_view": reached[:, _API],
        "add_payment_info": reached[:, _API],
        "thank_you_view": reached[:, _PUR],
        "purchase": reached[:, _PUR],
        "quote_view": lead,
        "generate_lead": lead,
    }
    mask = np.column_stack(list(flags.values()))
    assert mask.shape[1] == len(_SLOTS)
    revenue = np.round(np.maximum(rng.lognormal(_AOV_MU[channel], _AOV_SIGMA), 1.0), 2)
    return _Funnel(
        uniforms=u,
        bounce_p=bounce_p,
        bounced=bounced,
        step_p=step_p,
        reached=reached,
        mask=mask,
        revenue=revenue,
        cb_active=cb_active,
        cb_assigned_session=cb_assigned,
        repeat_buyer=repeat_buyer,
    )


def _draw_variants(rng: np.random.Generator, n_users: int) -> dict[str, np.ndarray]:
    """Planned variant of every user in every experiment, drawn up front.

    Each experiment draws from its own child stream, as hash-based assignment salts each
    experiment separately, so no experiment's split depends on another's.
    """
    streams = rng.spawn(len(_EXPERIMENTS))
    return {
        exp["name"]: stream.choice(
            len(exp["variants"]), size=n_users, p=np.array(exp["planned_split"])
        )
        for exp, stream in zip(_EXPERIMENTS, streams, strict=True)
    }
