"""Deterministic, seeded generator of a realistic e-commerce demo client.

The demo client is a fictional online fashion shop (time zone Europe/Berlin, currency EUR) with
90 days of web-analytics events, orders, ad spend, CRM leads, NPS answers and A/B-test
assignments. Every behavioural parameter is *planted* and written to ``truth.json`` next to the
tables, so tests can check that the analysis recovers it.

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
    B2B "request a quote" leads with their stage timestamps.
``nps.csv``
    Net-promoter survey answers of buyers.
``experiments.csv``
    A/B-test assignments of three experiments (one with a real effect, one null, one with a
    sample ratio mismatch).
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
