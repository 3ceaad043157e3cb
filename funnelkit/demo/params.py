"""Constants and planted parameters of the demo client.

Every behavioural number of the generator lives here: the public constants (seed, version, data
window, time zone, currency), the planted shares, step probabilities and leaks, the page and event
vocabularies, and the layout of a session's event slots and uniform draws. ``truth.json`` reports
these values back (see :mod:`funnelkit.demo.truth`).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np

__all__ = [
    "CURRENCY",
    "DATA_DAYS",
    "DATA_END",
    "DATA_START",
    "DEMO_SEED",
    "GENERATOR_VERSION",
    "TIMEZONE",
    "TRUTH_FILE",
]

#: Seed of the shipped demo client.
DEMO_SEED: int = 20261123
#: Bump whenever the generated output changes (cached demo folders are then regenerated).
GENERATOR_VERSION: int = 6
#: First day of data (local wall-clock time of the client).
DATA_START: date = date(2026, 8, 1)
#: Number of days covered; the data ends on ``DATA_END`` inclusive (2026-10-29).
DATA_DAYS: int = 90
#: Last day of data, inclusive.
DATA_END: date = DATA_START + timedelta(days=DATA_DAYS - 1)
#: The client's time zone; timestamps are naive wall-clock times in this zone.
TIMEZONE: str = "Europe/Berlin"
#: Currency of every money column.
CURRENCY: str = "EUR"
#: Name of the file holding the planted parameters.
TRUTH_FILE: str = "truth.json"

_DEFAULT_USERS = 50_000
_MIN_USERS = 200

_FILES = {
    "events": "events.parquet",
    "orders": "orders.csv",
    "ad_spend": "ad_spend.csv",
    "crm_leads": "crm_leads.csv",
    "nps": "nps.csv",
    "experiments": "experiments.csv",
    "accounts": "accounts.csv",
    "social": "social_posts.csv",
    "email": "email_campaigns.csv",
}

_DAY_S = 86_400
_START64 = np.datetime64(DATA_START.isoformat(), "s")
_WINDOW_END_S = DATA_DAYS * _DAY_S - 1  # last second of the window, relative to _START64

# --------------------------------------------------------------------------------------------
# Planted parameters
# --------------------------------------------------------------------------------------------

_CHANNELS = ("organic_search", "paid_search", "paid_social", "email", "display", "affiliate")
_CHANNEL_SHARE = np.array([0.30, 0.22, 0.17, 0.10, 0.13, 0.08])
_PAID_CHANNELS = ("paid_search", "paid_social", "display", "affiliate")
_CAMPAIGNS: dict[str, tuple[str, ...]] = {
    "organic_search": (),
    "paid_search": ("brand", "generic", "autumn_sale"),
    "paid_social": ("prospecting", "retargeting", "autumn_sale"),
    "email": ("newsletter", "abandoned_cart"),
    "display": ("prospecting", "retargeting"),
    "affiliate": ("cashback", "voucher_sites"),
}
_CAMPAIGN_SHARE: dict[str, tuple[float, ...]] = {
    "organic_search": (),
    "paid_search": (0.35, 0.45, 0.20),
    "paid_social": (0.50, 0.30, 0.20),
    "email": (0.70, 0.30),
    "display": (0.60, 0.40),
    "affiliate": (0.55, 0.45),
}

_DEVICES = ("desktop", "mobile", "tablet")
_DEVICE_SHARE = np.array([0.35, 0.55, 0.10])

_STEPS = ("view_item", "add_to_cart", "begin_checkout", "add_payment_info", "purchase")
_VI, _ATC, _BC, _API, _PUR = range(5)
_STEP_PREVIOUS = ("not_bounced", "view_item", "add_to_cart", "begin_checkout", "add_payment_info")

# p(step | previous step) per channel, *before* the planted leaks (rows follow _CHANNELS).
_BASE_STEP_P = np.array(
    [
        [0.70, 0.30, 0.58, 0.72, 0.78],  # organic_search
        [0.76, 0.33, 0.60, 0.74, 0.80],  # paid_search
        [0.60, 0.24, 0.50, 0.68, 0.74],  # paid_social
        [0.74, 0.36, 0.62, 0.76, 0.80],  # email
        [0.55, 0.28, 0.52, 0.70, 0.76],  # display (before the add_to_cart leak)
        [0.68, 0.31, 0.58, 0.72, 0.78],  # affiliate
    ]
)
# Device multipliers per step (rows follow _DEVICES); mobile's add_payment_info is the leak.
_DEVICE_MULT = np.array(
    [
        [1.00, 1.00, 1.00, 1.00, 1.00],  # desktop
        [1.00, 0.92, 0.90, 0.60, 0.95],  # mobile
        [0.97, 0.95, 0.95, 0.92, 0.97],  # tablet
    ]
)
_P_CAP = 0.95
_WEAK_CHANNEL = {"channel": "display", "step": "add_to_cart", "factor": 0.5}
_WEAK_DEVICE = {"device": "mobile", "step": "add_payment_info", "factor": 0.6}
_PAYMENT_BUG = {
    "device": "mobile",
    "step": "purchase",
    "from_date": "2026-10-10",
    "factor": 0.8,
}
_REPEAT = {
    "add_to_cart_multiplier": 1.6,
    "begin_checkout_multiplier": 1.2,
}

# Landing pages and bounces.
_LANDING_TYPES = ("home", "category", "product", "blog", "sale")
_HOME, _CATEGORY, _PRODUCT, _BLOG, _SALE = range(5)
_LANDING_SHARE = np.array(  # rows follow _CHANNELS, columns _LANDING_TYPES
    [
        [0.25, 0.25, 0.25, 0.22, 0.03],
        [0.20, 0.35, 0.38, 0.00, 0.07],
        [0.20, 0.20, 0.30, 0.10, 0.20],
        [0.30, 0.15, 0.20, 0.05, 0.30],
        [0.40, 0.15, 0.15, 0.00, 0.30],
        [0.15, 0.20, 0.50, 0.05, 0.10],
    ]
)
_BOUNCE_BASE = np.array([0.35, 0.30, 0.38, 0.68, 0.28])  # per landing type
_BOUNCE_CHANNEL_MULT = np.array([1.00, 0.85, 1.15, 0.80, 1.45, 0.95])
_BOUNCE_CAP = 0.92

# Pages.
_FIXED_PAGES = (
    "/",
    "/sale",
    "/search",
    "/cart",
    "/checkout",
    "/checkout/payment",
    "/thank-you",
    "/request-quote",
)
_CATEGORY_PAGES = (
    "/category/shoes",
    "/category/bags",
    "/category/clothing",
    "/category/accessories",
)
_CATEGORY_SHARE = np.array([0.35, 0.25, 0.25, 0.15])
_BLOG_PAGES = (
    "/blog/autumn-style-guide",
    "/blog/size-guide",
    "/blog/leather-care",
    "/blog/sustainability",
    "/blog/gift-ideas",
    "/blog/behind-the-brand",
)
_N_PRODUCTS = 40
_PRODUCT_PAGES = tuple(f"/product/{101 + i}" for i in range(_N_PRODUCTS))
_PAGES = _FIXED_PAGES + _CATEGORY_PAGES + _BLOG_PAGES + _PRODUCT_PAGES
_PG = {name: i for i, name in enumerate(_PAGES)}
_CAT0 = len(_FIXED_PAGES)
_BLOG0 = _CAT0 + len(_CATEGORY_PAGES)
_PROD0 = _BLOG0 + len(_BLOG_PAGES)
_PRODUCT_POPULARITY = 1.0 / np.arange(1, _N_PRODUCTS + 1) ** 0.8
_PRODUCT_POPULARITY /= _PRODUCT_POPULARITY.sum()
# Browsing page views of non-bounced sessions: home, category, blog, sale.
_BROWSE_SHARE = np.array([0.10, 0.60, 0.15, 0.15])

# Traffic shape.
_SESSIONS_MEAN = 1.8  # geometric number of sessions per visitor (before clipping to the window)
_WEEKDAY_MULT = np.array([1.00, 1.02, 1.00, 0.98, 0.94, 0.76, 0.80])  # Monday .. Sunday
_GROWTH = 0.25  # traffic grows linearly by this fraction over the window
_HOUR_WEIGHT = np.array(
    [0.30, 0.20, 0.15, 0.10, 0.10, 0.15, 0.40, 0.80, 1.10, 1.20, 1.20, 1.25,
     1.30, 1.20, 1.15, 1.15, 1.20, 1.30, 1.50, 1.80, 2.00, 1.90, 1.40, 0.80]
)  # fmt: skip
_RETURN_GAP = {"short_share": 0.8, "short_mean_days": 5.0, "long_mean_days": 25.0}
_EVENT_GAP_MEAN_S = 30.0
_EVENT_GAP_MAX_S = 240

# Money.
_AOV_SIGMA = 0.5
_AOV_MEAN = np.array([65.0, 72.0, 55.0, 85.0, 48.0, 60.0])  # expected order value per channel
_AOV_MU = np.log(_AOV_MEAN) - _AOV_SIGMA**2 / 2

# Ad spend (per paid channel).
_CPC = {"paid_search": 0.95, "paid_social": 0.70, "display": 0.45, "affiliate": 0.55}
_CTR = {"paid_search": 0.045, "paid_social": 0.011, "display": 0.0025, "affiliate": 0.015}
_CLICKS_PER_NEW_USER = 1.25
_SPEND_NOISE_SIGMA = 0.08

# CRM leads ("request a quote").
_LEAD_P = np.array([0.060, 0.070, 0.030, 0.055, 0.020, 0.040])  # per non-bounced session
_P_MQL = 0.60
_P_SQL = np.array([0.38, 0.40, 0.28, 0.42, 0.22, 0.32])  # per channel, given MQL
_P_WON = 0.25
_LAG_MEDIAN_H = {"mql": 8.0, "sql": 4 * 24.0, "won": 16 * 24.0}
_LAG_SIGMA = {"mql": 1.0, "sql": 0.8, "won": 0.6}
_DEAL_MEAN = 4500.0
_DEAL_SIGMA = 0.7

# NPS.
_NPS_RESPONSE_RATE = 0.35
_NPS_LAG_DAYS = (2.0, 7.0)
_NPS_CATEGORY_P = {"promoter": 0.50, "passive": 0.32, "detractor": 0.18}
_NPS_SCORE_P = {
    "promoter": {9: 0.45, 10: 0.55},
    "passive": {7: 0.45, 8: 0.55},
    "detractor": {0: 0.04, 1: 0.03, 2: 0.05, 3: 0.08, 4: 0.12, 5: 0.25, 6: 0.43},
}

# B2B accounts (account-based marketing), drawn from their own stream (see demo.accounts).
_ACCOUNTS_STREAM = 17  # np.random.default_rng((seed, 17)): the other tables' draws are untouched
_ACCOUNT_PERIOD = ("2026-09-15", "2026-10-29")  # the demo client's analysis period (client.yaml)
_TIER_COUNTS = {"1": 30, "2": 70, "3": 100}  # target accounts per tier
_N_NON_TARGET = 100
_INDUSTRY_SHARE = {
    "software": 0.25,
    "manufacturing": 0.22,
    "retail": 0.18,
    "finance": 0.15,
    "healthcare": 0.10,
    "logistics": 0.10,
}
_STALLING_INDUSTRY = "logistics"  # engages a lot, rarely becomes an opportunity
_OWNERS = ("Anna Becker", "Jonas Weber", "Lea Fischer", "Max Hoffmann", "Sofia Wagner")
# Counts per tier are exact: round(p x accounts), the accounts picked at random by the own stream.
_P_COVERED_TARGET = 0.85  # target accounts with at least one known contact
_P_ENGAGED = {"1": 0.60, "2": 0.40, "3": 0.20, "": 0.30}  # share of the tier ("" = non-target)
_STALLING_PICK_WEIGHT = 8.0  # odds of the stalling industry's accounts to be covered / engaged
_P_OPPORTUNITY_GIVEN_ENGAGED = {"target": 0.60, "stalling": 0.05, "non_target": 0.30}
_P_WON_GIVEN_OPPORTUNITY = {"1": 0.70, "2": 0.40, "3": 0.15, "": 0.25}  # by tier
_P_EXTRA_LEAD = 0.30  # an account with leads brings one more lead (SQL if an opportunity)
_P_LEAD_WITHOUT_OPPORTUNITY = 0.25  # an engaged account without opportunity sends a lead
_ACTIVE_CONTACTS = {"base": 1, "stalling": 3, "extra_mean": 0.8}  # contacts with >= 3 touchpoints
_P_DORMANT_CONTACT = 0.30  # one more contact without events in the period

# Experiments.
_EXPERIMENTS: tuple[dict[str, Any], ...] = (
    {
        "name": "checkout_button",
        "variants": ["control", "green_button"],
        "planned_split": [0.5, 0.5],
        "assignment_probabilities": [0.5, 0.5],
        "start": "2026-09-15",
        "end": "2026-10-29",
        "eligibility": "first session within the running dates reaches a product page "
        "(view_item); assigned at the start of that session",
        "true_effect": {
            "metric": "begin_checkout | add_to_cart (sessions from assignment on)",
            "variant": "green_button",
            "relative_lift": 0.35,
        },
        "srm": False,
    },
    {
        "name": "hero_banner",
        "variants": ["control", "lifestyle", "discount"],
        "planned_split": [1 / 3, 1 / 3, 1 / 3],
        "assignment_probabilities": [1 / 3, 1 / 3, 1 / 3],
        "start": "2026-09-01",
        "end": "2026-10-29",
        "eligibility": "every visitor with a session within the running dates; assigned at the "
        "start of the first one",
        "true_effect": None,
        "srm": False,
    },
    {
        "name": "free_shipping_bar",
        "variants": ["control", "bar"],
        "planned_split": [0.5, 0.5],
        "assignment_probabilities": [0.535, 0.465],
        "start": "2026-10-01",
        "end": "2026-10-29",
        "eligibility": "every visitor with a session within the running dates; assigned at the "
        "start of the first one; a logging bug drops part of the 'bar' users",
        "true_effect": None,
        "srm": True,
    },
)
# Large enough to be found reliably (power > 0.99 with ~6k users per arm and a 7-day window);
# on begin_checkout, where the base rate is far from the 0.95 cap, so the lift is not clipped.
_CB_LIFT = 0.35
_N_DOUBLE_ASSIGNED = 40

# Event slots of a session, in time order: (event_name, page source). A page source is either a
# fixed path or one of the per-session page columns "landing", "browse1", "browse2", "product".
_SLOTS: tuple[tuple[str, str], ...] = (
    ("session_start", "landing"),
    ("page_view", "landing"),
    ("scroll", "landing"),
    ("login", "landing"),
    ("newsletter_signup", "landing"),
    ("select_promotion", "landing"),
    ("search", "/search"),
    ("page_view", "browse1"),
    ("page_view", "browse2"),
    ("page_view", "product"),
    ("view_item", "product"),
    ("add_to_cart", "product"),
    ("page_view", "/cart"),
    ("view_cart", "/cart"),
    ("remove_from_cart", "/cart"),
    ("page_view", "/checkout"),
    ("begin_checkout", "/checkout"),
    ("sign_up", "/checkout"),
    ("page_view", "/checkout/payment"),
    ("add_payment_info", "/checkout/payment"),
    ("page_view", "/thank-you"),
    ("purchase", "/thank-you"),
    ("page_view", "/request-quote"),
    ("generate_lead", "/request-quote"),
)
_SLOT_PURCHASE = [name for name, _ in _SLOTS].index("purchase")
_SLOT_LEAD = [name for name, _ in _SLOTS].index("generate_lead")
_EVENT_NAMES = tuple(dict.fromkeys(name for name, _ in _SLOTS))
# Probabilities of the non-funnel events.
_P_EXTRA = {
    "scroll": 0.55,
    "login_returning": 0.35,
    "newsletter_signup": 0.03,
    "select_promotion": 0.05,
    "select_promotion_sale_landing": 0.30,
    "search": 0.22,
    "second_browse": 0.45,
    "view_cart": 0.55,
    "remove_from_cart": 0.12,
    "sign_up": 0.30,
}

# Uniform draw columns of a session.
(
    _U_BOUNCE,
    _U_VI,
    _U_ATC,
    _U_BC,
    _U_API,
    _U_PUR,
    _U_SCROLL,
    _U_LOGIN,
    _U_NEWS,
    _U_PROMO,
    _U_SEARCH,
    _U_BROWSE2,
    _U_CART,
    _U_REMOVE,
    _U_SIGNUP,
    _U_LEAD,
) = range(16)
_N_UNIFORMS = 16


# --------------------------------------------------------------------------------------------
# Derived parameters
# --------------------------------------------------------------------------------------------


def _campaign_vocab() -> tuple[str, ...]:
    return tuple(sorted({c for cs in _CAMPAIGNS.values() for c in cs}))


def _effective_base_p() -> np.ndarray:
    """Per-channel step probabilities with the weak-channel leak applied."""
    base = _BASE_STEP_P.copy()
    c = _CHANNELS.index(_WEAK_CHANNEL["channel"])
    base[c, _STEPS.index(_WEAK_CHANNEL["step"])] *= _WEAK_CHANNEL["factor"]
    return base
