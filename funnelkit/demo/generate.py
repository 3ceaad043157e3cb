"""One generator run: simulate, build the tables and write them with ``truth.json``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from .accounts import _accounts_truth, _simulate_accounts
from .build import (
    _build_ad_spend,
    _build_events,
    _build_experiments,
    _build_leads,
    _build_nps,
    _build_orders,
)
from .engagement import ENGAGEMENT_STREAM, simulate_engagement
from .helpers import _ids, _take
from .params import (
    _ACCOUNTS_STREAM,
    _DEFAULT_USERS,
    _EXPERIMENTS,
    _FILES,
    _MIN_USERS,
    DEMO_SEED,
    TRUTH_FILE,
)
from .simulate import (
    _draw_variants,
    _experiment_first_sessions,
    _simulate_funnel,
    _simulate_sessions,
    _simulate_users,
)
from .truth import _build_truth

__all__ = ["generate_demo_data"]


def _write_csv(df: pd.DataFrame, path: Path) -> None:
    df.to_csv(path, index=False, float_format="%.2f", lineterminator="\n")


def generate_demo_data(
    out_dir: str | Path, *, seed: int = DEMO_SEED, n_users: int = _DEFAULT_USERS
) -> dict:
    """Write the demo tables and ``truth.json`` into ``out_dir``.

    Parameters
    ----------
    out_dir : str or Path
        Target folder. It is created if needed and must not already contain files.
    seed : int, default DEMO_SEED
        Seed of :func:`numpy.random.default_rng`; the same seed gives byte-identical files.
    n_users : int, default 50_000
        Number of visitors (at least 200).

    Returns
    -------
    dict
        The truth dictionary that was written to ``truth.json``.

    Raises
    ------
    FileExistsError
        If ``out_dir`` exists and is not empty.
    ValueError
        If ``n_users`` is too small.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:  # doctest: +NORMALIZE_WHITESPACE
    ...     truth = generate_demo_data(Path(tmp) / "demo", n_users=2_000)
    ...     sorted(p.name for p in (Path(tmp) / "demo").iterdir())
    ['accounts.csv', 'ad_spend.csv', 'crm_leads.csv', 'email_campaigns.csv', 'events.parquet',
     'experiments.csv', 'nps.csv', 'orders.csv', 'social_posts.csv', 'truth.json']
    >>> truth["leaks"]["weak_channel"]
    {'channel': 'display', 'step': 'add_to_cart', 'factor': 0.5}
    """
    if n_users < _MIN_USERS:
        raise ValueError(f"n_users must be at least {_MIN_USERS}, got {n_users}")
    out = Path(out_dir)
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"{out} already contains files")
    out.mkdir(parents=True, exist_ok=True)

    (r_users, r_sessions, r_variants, r_funnel, r_experiments, r_spend, r_leads, r_nps) = (
        np.random.default_rng(seed).spawn(8)
    )
    users = _simulate_users(r_users, n_users)
    sessions = _simulate_sessions(r_sessions, users)
    variants = _draw_variants(r_variants, n_users)
    cb = _EXPERIMENTS[0]
    cb_first = _experiment_first_sessions(sessions, n_users, cb)
    funnel = _simulate_funnel(r_funnel, users, sessions, variants[cb["name"]], cb_first)
    visitor_ids = _ids("u", np.arange(n_users), 6)

    events, flat = _build_events(users, sessions, funnel, visitor_ids)
    tables = {
        "orders": _build_orders(users, funnel, flat, visitor_ids),
        "ad_spend": _build_ad_spend(r_spend, users),
        "crm_leads": _build_leads(r_leads, users, flat),
        "nps": _build_nps(r_nps, sessions, flat, visitor_ids),
    }
    tables["experiments"], exp_info = _build_experiments(
        r_experiments, users, sessions, funnel, variants, visitor_ids
    )
    # The B2B side draws from its own stream: the streams above, and their tables, are untouched;
    # it only appends a column to events and one to crm_leads.
    accounts = _simulate_accounts(
        np.random.default_rng((seed, _ACCOUNTS_STREAM)), flat, tables["crm_leads"], n_users
    )
    tables["accounts"] = accounts.table
    events = events.append_column(
        "account_id", _take(accounts.ids, accounts.visitor_account[flat["user"]])
    )
    tables["crm_leads"]["company_id"] = np.where(
        accounts.lead_account >= 0, accounts.ids[np.maximum(accounts.lead_account, 0)], ""
    )

    # Social posts and e-mail campaigns: a stream of their own, no other table changes.
    tables["social"], tables["email"], engagement = simulate_engagement(
        np.random.default_rng((seed, ENGAGEMENT_STREAM))
    )

    pq.write_table(events, out / _FILES["events"], compression="zstd")
    for key, df in tables.items():
        _write_csv(df, out / _FILES[key])
    rows = {key: len(df) for key, df in tables.items()} | {"events": events.num_rows}
    truth = _build_truth(
        seed=seed,
        n_users=n_users,
        users=users,
        sessions=sessions,
        funnel=funnel,
        variants=variants,
        exp_info=exp_info,
        rows=rows,
        accounts=_accounts_truth(accounts, out),
    )
    truth["engagement"] = engagement
    # truth.json is written last: its presence marks a complete folder.
    (out / TRUTH_FILE).write_text(json.dumps(truth, indent=2) + "\n", encoding="utf-8")
    return truth
