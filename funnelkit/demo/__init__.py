"""Deterministic, seeded generator of a realistic e-commerce demo client.

The demo client is a fictional online fashion shop (time zone Europe/Berlin, currency EUR) with
90 days of web-analytics events, orders, ad spend, CRM leads, NPS answers, A/B-test
assignments and a small B2B side (target accounts for account-based marketing). Every
behavioural parameter is *planted* and written to ``truth.json`` next to the tables, so tests can
check that the analysis recovers it.

Everything is vectorised with numpy: the only Python loops run over channels, over the rank of a
visitor's session (a handful of iterations) or over experiments, never over users or events.
The same seed always gives byte-identical files.

Files written (see :func:`generate_demo_data`):

``events.parquet``
    One row per tracked event (GA4-like names), sorted by time, visitor and position in session.
``orders.csv``
    One row per ``purchase`` event.
``ad_spend.csv``
    Daily cost, impressions and clicks per paid channel.
``crm_leads.csv``
    B2B "request a quote" leads with their stage timestamps (``company_id``: the lead's account,
    empty for the B2C leads).
``nps.csv``
    Net-promoter survey answers of buyers.
``experiments.csv``
    A/B-test assignments of three experiments (one with a real effect, one null, one with a
    sample ratio mismatch).
``accounts.csv``
    300 B2B accounts (200 target accounts in tiers 1/2/3, 100 others); their contacts' events
    carry ``account_id`` in ``events.parquet``. Drawn from a stream of their own, so adding
    them changed no number of the other tables.
``truth.json``
    The planted parameters and the expected session-level conversion rates.

Modules (all private helpers carry a leading underscore and are shared within the package):

``params``
    Public constants (seed, version, data window) and every planted parameter.
``helpers``
    Small vectorised helpers: ids, timestamps, per-group means.
``simulate``
    Visitors, sessions and each session's path through the funnel.
``build``
    The output tables built from the simulation.
``accounts``
    The B2B side: accounts, their contacts and leads, and their realised truths.
``truth``
    The ``truth.json`` dictionary and :func:`load_truth`.
``generate``
    :func:`generate_demo_data`: one seeded run written to a folder.
``store``
    :func:`ensure_demo_data`: reuse or safely regenerate the cached demo folder.
"""

from __future__ import annotations

from .generate import generate_demo_data
from .params import (
    CURRENCY,
    DATA_DAYS,
    DATA_END,
    DATA_START,
    DEMO_SEED,
    GENERATOR_VERSION,
    TIMEZONE,
    TRUTH_FILE,
)
from .store import ensure_demo_data
from .truth import load_truth

__all__ = [
    "CURRENCY",
    "DATA_DAYS",
    "DATA_END",
    "DATA_START",
    "DEMO_SEED",
    "GENERATOR_VERSION",
    "TIMEZONE",
    "TRUTH_FILE",
    "ensure_demo_data",
    "generate_demo_data",
    "load_truth",
]
