"""The planted truth: expected rates per group and the ``truth.json`` dictionary.

``truth.json`` records every planted parameter and the expected session-level conversion rates,
so tests can check that the analysis recovers them. Its ``accounts`` entry (the B2B side: target
accounts, contacts, leads and deals per account) holds the accounts' ``planted`` parameters and the
``realised`` values recomputed from the written files with plain pandas; see
:func:`funnelkit.demo.accounts._accounts_truth` for what each one means.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from .helpers import _group_mean, _r
from .params import (
    _AOV_MEAN,
    _AOV_MU,
    _AOV_SIGMA,
    _ATC,
    _BC,
    _BOUNCE_BASE,
    _BOUNCE_CAP,
    _BOUNCE_CHANNEL_MULT,
    _CAMPAIGNS,
    _CHANNEL_SHARE,
    _CHANNELS,
    _CLICKS_PER_NEW_USER,
    _CPC,
    _CTR,
    _DEAL_MEAN,
    _DEAL_SIGMA,
    _DEVICE_MULT,
    _DEVICE_SHARE,
    _DEVICES,
    _EXPERIMENTS,
    _FILES,
    _LAG_MEDIAN_H,
    _LAG_SIGMA,
    _LANDING_TYPES,
    _LEAD_P,
    _NPS_CATEGORY_P,
    _NPS_LAG_DAYS,
    _NPS_RESPONSE_RATE,
    _NPS_SCORE_P,
    _P_CAP,
    _P_MQL,
    _P_SQL,
    _P_WON,
    _PAID_CHANNELS,
    _PAYMENT_BUG,
    _REPEAT,
    _RETURN_GAP,
    _SESSIONS_MEAN,
    _STEP_PREVIOUS,
    _STEPS,
    _WEAK_CHANNEL,
    _WEAK_DEVICE,
    CURRENCY,
    DATA_END,
    DATA_START,
    GENERATOR_VERSION,
    TIMEZONE,
    TRUTH_FILE,
    _effective_base_p,
)
from .simulate import _Funnel, _Sessions, _Users

__all__ = ["load_truth"]


def _expected_rates(
    groups: np.ndarray, n_groups: int, names: tuple[str, ...], funnel: _Funnel
) -> dict[str, dict[str, dict[str, float | int]]]:
    """Expected session-level step rates per group: mean drawn probability over eligible sessions.

    For step ``k`` the eligible sessions are those that reached step ``k - 1`` (for
    ``view_item``: the sessions that did not bounce), so the observed share of eligible sessions
    that reached step ``k`` equals this expectation up to binomial noise.
    """
    out: dict[str, dict[str, dict[str, float | int]]] = {n: {} for n in names}
    previous = np.column_stack([~funnel.bounced, funnel.reached[:, :-1]])
    for s, step in enumerate(_STEPS):
        eligible = previous[:, s]
        mean = _group_mean(funnel.step_p[eligible, s], groups[eligible], n_groups)
        count = np.bincount(groups[eligible], minlength=n_groups)
        for g, name in enumerate(names):
            out[name][step] = {"expected_rate": _r(mean[g]), "n_sessions": int(count[g])}
    return out


def _build_truth(
    *,
    seed: int,
    n_users: int,
    users: _Users,
    sessions: _Sessions,
    funnel: _Funnel,
    variants: dict[str, np.ndarray],
    exp_info: dict[str, Any],
    rows: dict[str, int],
    accounts: dict[str, Any],
) -> dict[str, Any]:
    """Assemble the JSON-serialisable truth dictionary (``accounts``: the B2B side's entry)."""
    channel = users.channel[sessions.user]
    device = users.device[sessions.user]
    base = _effective_base_p()
    user_share = np.bincount(users.channel, minlength=len(_CHANNELS)) / users.n
    bounce_by_type = _group_mean(funnel.bounce_p, sessions.landing_type, len(_LANDING_TYPES))
    bounce_by_channel = _group_mean(funnel.bounce_p, channel, len(_CHANNELS))

    experiments = []
    for exp in _EXPERIMENTS:
        entry = dict(exp)
        entry["planned_split"] = [_r(x) for x in exp["planned_split"]]
        entry["assignment_probabilities"] = [_r(x) for x in exp["assignment_probabilities"]]
        entry["n_double_assigned"] = 0
        entry.update(exp_info.get(exp["name"], {}))
        if exp["name"] == "checkout_button":
            entry["n_double_assigned"] = len(entry["double_assigned_users"])
            eligible = funnel.reached[:, _ATC] & funnel.cb_active
            variant = variants["checkout_button"][sessions.user]
            entry["expected_begin_checkout_rate_after_add_to_cart"] = {
                v: _r(funnel.step_p[eligible & (variant == i), _BC].mean())
                for i, v in enumerate(exp["variants"])
            }
        experiments.append(entry)

    p_cat = _NPS_CATEGORY_P
    return {
        "generator_version": GENERATOR_VERSION,
        "seed": int(seed),
        "n_users": int(n_users),
        "data_start": DATA_START.isoformat(),
        "data_end": DATA_END.isoformat(),
        "timezone": TIMEZONE,
        "timestamps": "naive local wall-clock time, second resolution",
        "currency": CURRENCY,
        "channels": {
            name: {
                "planned_share": _r(_CHANNEL_SHARE[c]),
                "user_share": _r(user_share[c]),
                "campaigns": list(_CAMPAIGNS[name]),
            }
            for c, name in enumerate(_CHANNELS)
        },
        "paid_channels": list(_PAID_CHANNELS),
        "devices": {name: _r(_DEVICE_SHARE[d]) for d, name in enumerate(_DEVICES)},
        "sessions": {
            "sessions_per_visitor": "geometric, mean 1.8, later sessions after the window "
            "end are not observed",
            "sessions_per_visitor_mean_planned": _SESSIONS_MEAN,
            "return_gap_days": dict(_RETURN_GAP),
            "n_sessions": int(sessions.n),
        },
        "steps": list(_STEPS),
        "step_previous": dict(zip(_STEPS, _STEP_PREVIOUS, strict=True)),
        "step_probability_cap": _P_CAP,
        "base_step_probabilities": {
            name: {step: _r(base[c, s]) for s, step in enumerate(_STEPS)}
            for c, name in enumerate(_CHANNELS)
        },
        "device_multipliers": {
            name: {step: _r(_DEVICE_MULT[d, s]) for s, step in enumerate(_STEPS)}
            for d, name in enumerate(_DEVICES)
        },
        "bounce": {
            "definition": "session with a single page_view and no event besides session_start",
            "base_by_landing_type": {t: _r(_BOUNCE_BASE[i]) for i, t in enumerate(_LANDING_TYPES)},
            "channel_multiplier": {
                name: _r(_BOUNCE_CHANNEL_MULT[c]) for c, name in enumerate(_CHANNELS)
            },
            "cap": _BOUNCE_CAP,
            "expected_rate_by_landing_type": {
                t: _r(bounce_by_type[i]) for i, t in enumerate(_LANDING_TYPES)
            },
            "expected_rate_by_channel": {
                name: _r(bounce_by_channel[c]) for c, name in enumerate(_CHANNELS)
            },
            "expected_rate": _r(funnel.bounce_p.mean()),
        },
        "leaks": {
            "weak_channel": dict(_WEAK_CHANNEL),
            "weak_device": dict(_WEAK_DEVICE),
            "payment_bug": dict(_PAYMENT_BUG),
        },
        "expected_session_step_rates": {
            "by_channel": _expected_rates(channel, len(_CHANNELS), _CHANNELS, funnel),
            "by_device": _expected_rates(device, len(_DEVICES), _DEVICES, funnel),
        },
        "aov": {
            "distribution": "lognormal",
            "sigma": _AOV_SIGMA,
            "by_channel": {
                name: {"mu": _r(_AOV_MU[c]), "sigma": _AOV_SIGMA, "expected_mean": _AOV_MEAN[c]}
                for c, name in enumerate(_CHANNELS)
            },
            "minimum": 1.0,
        },
        "repeat_purchase": {
            "applies_to": "sessions of visitors who purchased in an earlier session",
            **_REPEAT,
            "n_repeat_buyer_sessions": int(funnel.repeat_buyer.sum()),
        },
        "ad_spend": {
            "cpc": dict(_CPC),
            "ctr": dict(_CTR),
            "clicks_per_new_user": _CLICKS_PER_NEW_USER,
            "cost": "new users x clicks_per_new_user x cpc x lognormal(0, 0.08)",
        },
        "leads": {
            "source": "generate_lead event ('request a quote' form), at most one per visitor",
            "lead_probability_per_non_bounced_session": {
                name: _r(_LEAD_P[c]) for c, name in enumerate(_CHANNELS)
            },
            "p_mql": _P_MQL,
            "p_sql_given_mql": {name: _r(_P_SQL[c]) for c, name in enumerate(_CHANNELS)},
            "p_won_given_sql": _P_WON,
            "lag_median_hours": dict(_LAG_MEDIAN_H),
            "lag_lognormal_sigma": dict(_LAG_SIGMA),
            "censoring": "a stage that would fall after data_end is left empty",
            "deal_value": {"distribution": "lognormal", "mean": _DEAL_MEAN, "sigma": _DEAL_SIGMA},
        },
        "nps": {
            "response_rate": _NPS_RESPONSE_RATE,
            "lag_days_uniform": list(_NPS_LAG_DAYS),
            "category_probabilities": dict(p_cat),
            "score_probabilities": {
                k: {str(s): p for s, p in v.items()} for k, v in _NPS_SCORE_P.items()
            },
            "true_nps": _r(100 * (p_cat["promoter"] - p_cat["detractor"])),
            "segment": "returning if the first order was not in the buyer's first session",
        },
        "experiments": experiments,
        "accounts": accounts,
        "files": {key: {"file": _FILES[key], "rows": int(rows[key])} for key in _FILES},
    }


def load_truth(data_dir: str | Path) -> dict:
    """Read the planted parameters (``truth.json``) of a demo data folder.

    Parameters
    ----------
    data_dir : str or Path
        Folder written by :func:`generate_demo_data` or :func:`ensure_demo_data`.

    Returns
    -------
    dict
        The truth dictionary.

    Examples
    --------
    >>> import tempfile
    >>> from funnelkit.demo import generate_demo_data
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = generate_demo_data(tmp, n_users=2_000)
    ...     load_truth(tmp)["nps"]["true_nps"]
    32.0
    """
    return json.loads((Path(data_dir) / TRUTH_FILE).read_text(encoding="utf-8"))
