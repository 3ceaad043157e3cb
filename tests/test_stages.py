"""Journey stages: pattern matching, presets, the event-to-stage map, coverage, volumes."""

from __future__ import annotations

import re
from datetime import date

import numpy as np
import pytest

from funnelkit import load_client, load_config
from funnelkit.core.errors import ConfigError, ParameterError
from funnelkit.stages import (
    BUSINESS_TYPES,
    PRESETS,
    STAGES,
    check_stage,
    coverage,
    event_stage_map,
    get_preset,
    match_names,
    matches,
    resolve_stages,
    stage_conversion,
    stage_coverage,
    stage_events,
    stage_volumes,
)

# Ten event rows. u4's page_view is in September, before the October analysis period.
EVENTS = """user_id,timestamp,event
u1,2026-10-02 10:00:00,page_view
u1,2026-10-02 10:01:00,view_item
u1,2026-10-02 10:05:00,purchase
u2,2026-10-03 11:00:00,page_view
u2,2026-10-03 11:02:00,view_item
u3,2026-10-04 12:00:00,page_view
u3,2026-10-04 12:01:00,scroll
u3,2026-10-04 12:02:00,scroll
u4,2026-09-20 09:00:00,page_view
u4,2026-10-05 09:00:00,custom_thing
"""
# u1: first order in September, repeat in October; u2: first and repeat in October;
# u5: one October order and no events.
ORDERS = """order_id,customer_id,timestamp,revenue
o1,u1,2026-09-10 10:00:00,10
o2,u1,2026-10-05 10:00:00,10
o3,u2,2026-10-06 10:00:00,10
o4,u2,2026-10-20 10:00:00,10
o5,u5,2026-10-07 10:00:00,10
"""
# Promoters in October: u1 (10) and u6 (9); u2 is a passive; u3 answered in September.
NPS = """respondent_id,timestamp,score
u1,2026-10-10 10:00:00,10
u2,2026-10-11 10:00:00,7
u6,2026-10-12 10:00:00,9
u3,2026-09-15 10:00:00,10
"""
# Created in October: L1, L2, L4; won in October: L1 and L3 (L3 created in September).
LEADS = """lead_id,created_at,channel,won_at
L1,2026-10-02 10:00:00,email,2026-10-10 10:00:00
L2,2026-10-03 10:00:00,email,
L3,2026-09-20 10:00:00,ads,2026-10-15 10:00:00
L4,2026-10-04 10:00:00,ads,
"""
SIMPLE_STAGES = {
    "awareness": {"events": ["page_view"]},
    "consideration": {"events": ["view_item"]},
    "purchase": {"events": ["purchase"]},
}


def _data(*tables: str) -> dict:
    return {t: {"path": f"data/{t}.csv"} for t in tables}


def _client(make_client, stages, *, tables=("events",), events=EVENTS, **config):
    files = {"events.csv": events, "orders.csv": ORDERS, "nps.csv": NPS, "leads.csv": LEADS}
    folder = make_client(files, data=_data(*tables), stages=stages, **config)
    return load_client(folder)


@pytest.fixture
def shop(make_client):
    """Events, orders and NPS; advocacy and retention from their sources."""
    stages = {
        **SIMPLE_STAGES,
        "purchase": {"events": ["purchase"], "sources": ["orders"]},
        "retention": {"sources": ["orders"]},
        "advocacy": {"sources": ["nps"]},
    }
    return _client(make_client, stages, tables=("events", "orders", "nps"))


# -- matching ------------------------------------------------------------------------------------


def test_matches_exact_glob_and_regex():
    assert matches("purchase", "purchase")
    assert not matches("purchase", "purchase_refund")
    assert matches("view_*", "view_item") and matches("view_?tem", "view_item")
    assert matches("[ab]dd_to_cart", "add_to_cart") and not matches("view_*", "page_view")
    assert matches("re:view_(item|cart)", "view_cart")
    assert not matches("re:view_(item|cart)", "view_item_list")  # fullmatch, not search
    assert match_names("re:.*_lead$", ["generate_lead", "lead", "lead_x"]) == ["generate_lead"]


def test_matching_is_case_sensitive():
    assert not matches("Purchase", "purchase")
    assert not matches("VIEW_*", "view_item")
    assert not matches("re:Purchase", "purchase")


def test_case_sensitive_mapping_on_data(make_client):
    events = EVENTS + "u5,2026-10-06 10:00:00,Purchase\n"
    client = _client(make_client, SIMPLE_STAGES, events=events)
    stage = event_stage_map(client).set_index("event")["stage"]
    assert stage["purchase"] == "purchase"
    assert stage["Purchase"] == ""


def test_invalid_regex_refused_by_config(make_client):
    folder = make_client({}, stages={"awareness": {"events": ["re:view_(item"]}})
    with pytest.raises(ConfigError, match=r"stages\.awareness\.events.*not a valid regular"):
        load_config(folder)


# -- the event-to-stage map ----------------------------------------------------------------------


def test_two_configured_stages_claiming_one_event_is_an_error(make_client):
    stages = {
        "awareness": {"events": ["page_view", "view_*"]},
        "consideration": {"events": ["view_item"]},
    }
    client = _client(make_client, stages)
    message = (
        "the event 'view_item' is claimed by two stages: 'awareness' (pattern 'view_*') and "
        "'consideration' (pattern 'view_item')"
    )
    with pytest.raises(ConfigError, match=re.escape(message)) as err:
        event_stage_map(client)
    assert "remove 'view_item' from `stages.consideration.events`" in str(err.value)


def test_configured_stage_beats_a_preset_pattern(make_client):
    # consideration is not written, so it takes the ecommerce preset, which lists view_item.
    client = _client(make_client, {"awareness": {"events": ["page_view", "view_item"]}})
    row = event_stage_map(client).set_index("event").loc["view_item"]
    assert (row["stage"], row["pattern"], row["origin"]) == (
        "awareness",
        "view_item",
        "client.yaml",
    )
    assert "'consideration'" in row["note"] and "client.yaml stage wins" in row["note"]
    assert stage_events(client, "consideration") == []


def test_configured_pattern_matching_nothing_suggests_close_names(make_client):
    stages = {**SIMPLE_STAGES, "purchase": {"events": ["purchse"]}}
    client = _client(make_client, stages)
    with pytest.raises(
        ConfigError, match=r"'purchse' in `stages\.purchase\.events` matches no"
    ) as err:
        event_stage_map(client)
    assert "the closest event names are ['purchase']" in str(err.value)


def test_configured_source_without_its_table_is_an_error(make_client):
    folder = make_client({}, stages={"retention": {"sources": ["orders"]}})
    with pytest.raises(ConfigError, match=r"`stages\.retention\.sources` lists \['orders'\]"):
        resolve_stages(load_config(folder, check_files=False))


def test_unknown_stage_refused_listing_the_five(shop):
    with pytest.raises(ParameterError, match=r"one of \['awareness', .*'advocacy'\].*'buying'"):
        stage_events(shop, "buying")
    with pytest.raises(ParameterError, match="'Awareness' was passed"):
        check_stage("Awareness")


# -- presets -------------------------------------------------------------------------------------


def _all_preset_names() -> list[str]:
    """Every literal preset pattern, GA4 names, and sample names for every glob."""
    names = {
        "session_start",
        "first_visit",
        "page_view",
        "view_item",
        "view_item_list",
        "search",
        "view_cart",
        "add_to_wishlist",
        "select_promotion",
        "add_to_cart",
        "begin_checkout",
        "add_shipping_info",
        "add_payment_info",
        "purchase",
        "generate_lead",
        "sign_up",
        "login",
        "share",
        "write_review",
        "refund",
    }
    for preset in PRESETS.values():
        for stage in preset.values():
            for pattern in stage.events:
                if "*" in pattern:
                    stem = pattern.replace("*", "")
                    names |= {stem, stem + "_x", stem + "al", "x_" + stem}
                else:
                    names.add(pattern)
    return sorted(names)


@pytest.mark.parametrize("business_type", BUSINESS_TYPES)
def test_no_two_preset_stages_claim_one_name(business_type):
    preset = get_preset(business_type)
    for name in _all_preset_names():
        stages = [s for s, p in preset.items() if any(matches(pat, name) for pat in p.events)]
        assert len(stages) <= 1, f"{business_type}: {name!r} is claimed by {stages}"


@pytest.mark.parametrize(
    ("business_type", "keys"),
    [
        ("ecommerce", ["visitors", "engagement_rate", "conversion_rate", "repeat_purchase_rate"]),
        ("saas", ["visitors", "visitor_to_lead", "conversion_rate", "retention_rate"]),
        ("b2b", ["visitors", "mql_to_sql", "win_rate", "retention_rate"]),
        ("services", ["visitors", "visitor_to_lead", "conversion_rate", "repeat_purchase_rate"]),
    ],
)
def test_each_business_type_resolves_to_its_preset(make_client, business_type, keys):
    config = load_config(make_client({}, business_type=business_type))
    plans = resolve_stages(config)
    assert [p.stage for p in plans] == list(STAGES)
    assert [p.key_metric for p in plans] == [*keys, "nps"]
    assert all(p.stage_origin == "preset" and p.events for p in plans)
    assert all(p.reason["en"] and p.reason["ru"] for p in plans)
    assert all(p.sources == () for p in plans)  # no tables configured: preset sources dropped


def test_override_is_per_field(make_client):
    folder = make_client({}, stages={"consideration": {"key_metric": "sessions", "target": 0.4}})
    plan = resolve_stages(load_config(folder))[1]
    assert plan.events == get_preset("ecommerce")["consideration"].events
    assert (plan.key_metric, plan.target) == ("sessions", 0.4)
    assert plan.origin == {
        "events": "preset",
        "sources": "preset",
        "key_metric": "client.yaml",
        "target": "client.yaml",
    }
    assert plan.stage_origin == "client.yaml + preset"


def test_unknown_business_type_lists_the_valid_ones():
    with pytest.raises(
        ParameterError, match=r"\['ecommerce', 'saas', 'b2b', 'abm', 'services'\].*'shop'"
    ):
        get_preset("shop")


# -- coverage ------------------------------------------------------------------------------------


def test_coverage_share_and_unmapped_events(make_client):
    client = _client(make_client, SIMPLE_STAGES)
    cov = coverage(client)
    # 10 rows; mapped: page_view 4 + view_item 2 + purchase 1 = 7 -> 7 / 10 = 0.7.
    assert cov.share_covered == pytest.approx(0.7)
    # unmapped: scroll 2 rows (1 user) = 0.2, custom_thing 1 row = 0.1, biggest first.
    assert cov.unmapped["event"].tolist() == ["scroll", "custom_thing"]
    assert cov.unmapped["share_of_events"].tolist() == pytest.approx([0.2, 0.1])
    assert cov.unmapped["users"].tolist() == [1, 1]
    # retention and advocacy take the preset (login, share …), which matches nothing here.
    assert cov.no_data == ["retention", "advocacy"]
    unused = cov.unused_patterns
    assert set(unused["stage"]) == {"retention", "advocacy"}
    assert "refer*" in unused["pattern"].tolist()
    assert (unused["reason"] == "matches no event name").all()


def test_stage_coverage_frame(make_client):
    frame = stage_coverage(_client(make_client, SIMPLE_STAGES)).set_index("stage")
    assert frame["events"].tolist() == [4, 2, 1, 0, 0]
    assert frame["share_of_events"].tolist() == pytest.approx([0.4, 0.2, 0.1, 0.0, 0.0])
    assert frame.loc["awareness", "matched_event_names"] == "page_view"
    assert frame["has_data"].tolist() == [True, True, True, False, False]
    assert frame.loc["awareness", "origin"] == "client.yaml + preset"  # sources from preset
    assert frame.loc["retention", "origin"] == "preset"
    assert frame.loc["retention", "patterns"] == "login, repeat_purchase"


# -- volumes and conversion ----------------------------------------------------------------------


def test_stage_volumes_by_hand(shop):
    volumes = stage_volumes(shop).set_index("stage")
    # awareness: October page_view u1 u2 u3 (u4's is in September) = 3.
    # consideration: view_item u1 u2 = 2.
    # purchase: purchase event {u1} ∪ October orders {u1, u2, u5} = 3.
    # retention: October orders that are not the first ever: o2 (u1), o4 (u2) = 2; o3 and o5
    #   are first orders.
    # advocacy: October promoters u1 (10) and u6 (9) = 2; u2 scored 7, u3 answered in September.
    assert volumes["people"].tolist() == [3, 2, 3, 2, 2]
    assert volumes["from_events"].tolist() == [3, 2, 1, 0, 0]
    assert volumes["from_sources"].tolist() == [0, 0, 3, 2, 2]
    assert volumes["linkable"].all()


def test_same_people_conversion_with_wilson_interval(shop):
    conv = stage_conversion(shop)
    assert (conv["basis"] == "same people").all()
    # awareness {u1,u2,u3} -> consideration {u1,u2}: 2 of 3;
    # consideration {u1,u2} -> purchase {u1,u2,u5}: 2 of 2;
    # purchase {u1,u2,u5} -> retention {u1,u2}: 2 of 3;
    # retention {u1,u2} -> advocacy {u1,u6}: 1 of 2.
    assert conv["people_both"].tolist() == [2, 2, 2, 1]
    assert conv["people_from"].tolist() == [3, 2, 3, 2]
    assert conv["rate"].tolist() == pytest.approx([2 / 3, 1.0, 2 / 3, 0.5])
    # Wilson, z = 1.959964: centre (p + z²/2n) / (1 + z²/n), half-width
    # z sqrt(p(1-p)/n + z²/4n²) / (1 + z²/n).
    # R: prop.test(2, 3, correct = FALSE)$conf.int -> 0.2076598 0.9385075
    # R: prop.test(2, 2, correct = FALSE)$conf.int -> 0.3423802 1.0000000
    # R: prop.test(1, 2, correct = FALSE)$conf.int -> 0.0945312 0.9054688
    assert conv["ci_low"].tolist() == pytest.approx([0.20766, 0.34238, 0.20766, 0.094531], abs=1e-5)
    assert conv["ci_high"].tolist() == pytest.approx([0.938508, 1.0, 0.938508, 0.905469], abs=1e-5)
    assert (conv["note"] == "").all()


def test_volume_ratio_basis_with_leads(make_client):
    stages = {**SIMPLE_STAGES, "consideration": {"events": ["view_item"], "sources": ["leads"]}}
    client = _client(make_client, stages, tables=("events", "leads"), business_type="saas")
    volumes = stage_volumes(client).set_index("stage")
    # consideration: view_item {u1,u2} + leads created in October {L1,L2,L4} = 5.
    # purchase: purchase {u1} + saas preset source leads won in October {L1,L3} = 3.
    assert volumes["people"].tolist() == [3, 5, 3, 0, 0]
    assert volumes["linkable"].tolist() == [True, False, False, True, True]
    conv = stage_conversion(client)
    # consideration and purchase count leads; retention -> advocacy stays "same people".
    assert conv["basis"].tolist() == ["volume ratio"] * 3 + ["same people"]
    assert conv["people_both"].iloc[:3].isna().all()
    # awareness 3 -> consideration 5: 5 / 3, no interval since 5 > 3.
    assert conv.loc[0, "rate"] == pytest.approx(5 / 3)
    assert np.isnan(conv.loc[0, "ci_low"]) and "so no interval" in conv.loc[0, "note"]
    # consideration 5 -> purchase 3: 0.6; R: prop.test(3, 5, correct = FALSE)$conf.int
    # -> 0.2307247 0.8823783
    assert conv.loc[1, "rate"] == pytest.approx(0.6)
    assert (conv.loc[1, "ci_low"], conv.loc[1, "ci_high"]) == pytest.approx(
        (0.230725, 0.882378), abs=1e-5
    )
    assert conv.loc[1, "note"].startswith("approximate: a ratio of volumes, not the same people")
    assert np.isnan(conv.loc[3, "rate"]) and "no one reached retention" in conv.loc[3, "note"]


def test_empty_period_gives_zeros_and_notes(shop):
    empty = (date(2025, 1, 1), date(2025, 1, 31))
    assert (stage_volumes(shop, period=empty)["people"] == 0).all()
    conv = stage_conversion(shop, period=empty)
    assert conv["rate"].isna().all() and conv["ci_low"].isna().all()
    assert conv["note"].str.startswith("no one reached").all()


def test_previous_period(shop):
    # September: page_view u4; orders o1 is u1's first ever (not retention); u3 promoter.
    volumes = stage_volumes(shop, period="previous")["people"].tolist()
    assert volumes == [1, 0, 1, 0, 1]


def test_bad_period_refused(shop):
    with pytest.raises(ParameterError, match="`period` must be 'current', 'previous'"):
        stage_volumes(shop, period="last")


# -- the demo client -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo():
    return load_client(emit_warnings=False)  # the demo plants data-quality warnings


def test_demo_coverage_and_every_stage_has_data(demo):
    cov = coverage(demo)
    assert 0.5 < cov.share_covered < 1
    assert cov.no_data == []
    assert cov.stages["has_data"].all()
    assert (stage_volumes(demo)["people"] > 0).all()


def test_demo_conversion_rates_are_proportions(demo):
    conv = stage_conversion(demo)
    assert (conv["basis"] == "same people").all()
    assert ((conv["rate"] > 0) & (conv["rate"] < 1)).all()
    assert (conv["ci_low"] <= conv["rate"]).all() and (conv["rate"] <= conv["ci_high"]).all()


def test_demo_plots_draw_the_frames(demo):
    import matplotlib.pyplot as plt

    from funnelkit.presentation.stages import (
        plot_coverage,
        plot_stage_conversion,
        plot_stage_volumes,
    )

    volumes = stage_volumes(demo)
    ax = plot_stage_volumes(volumes)
    assert [t.get_text() for t in ax.get_yticklabels()] == list(STAGES)
    assert [p.get_width() for p in ax.patches] == volumes["people"].tolist()
    ax = plot_stage_conversion(stage_conversion(demo))
    assert len(ax.get_xticklabels()) == 4
    event_map = event_stage_map(demo)
    ax = plot_coverage(event_map, top=3)  # page_view, session_start, view_item: all mapped
    assert len(ax.patches) == 3
    assert "no stage" not in [t.get_text() for t in ax.get_legend().get_texts()]
    ax = plot_coverage(event_map, top=4)  # scroll is fourth and unmapped
    assert "no stage" in [t.get_text() for t in ax.get_legend().get_texts()]
    plt.close("all")
