"""client.yaml validation: every bad-input kind gives a message naming the key and the fix."""

from __future__ import annotations

import pytest
import yaml

from funnelkit.core.errors import ConfigError
from funnelkit.data.config import load_config, slugify


def test_valid_client_loads_with_resolved_paths(tiny_client):
    config = load_config(tiny_client)
    assert config.client == "Tiny Shop"
    assert config.period.days == 31
    assert config.table_path("events") == (tiny_client / "data" / "events.csv").resolve()
    assert config.report_slug == "tiny-shop"


def test_template_is_a_valid_config():
    config = load_config("templates/client")
    assert config.tables() == {}


def test_demo_config_is_valid():
    config = load_config("examples/demo_client", check_files=False)
    assert set(config.tables()) == {
        "events",
        "orders",
        "spend",
        "leads",
        "nps",
        "social",
        "email",
        "accounts",
        "assignments",
    }


def test_unknown_key_is_named_with_suggestion(make_client):
    folder = make_client(perod={"start": "2026-01-01", "end": "2026-01-31"})
    with pytest.raises(ConfigError, match=r"unknown key `perod`.*did you mean 'period'"):
        load_config(folder)


def test_unknown_nested_key_lists_allowed_keys(make_client, tiny_client):
    folder = make_client(
        {"events.csv": "user_id,timestamp,event\n"},
        data={"events": {"path": "data/events.csv", "colums": {}}},
    )
    with pytest.raises(ConfigError, match=r"`data.events.colums`.*'columns'"):
        load_config(folder)


def test_wrong_type_names_key_and_value(make_client):
    folder = make_client(funnel={"conversion_window_days": "seven"})
    with pytest.raises(ConfigError, match=r"`funnel.conversion_window_days` = 'seven' is invalid"):
        load_config(folder)


def test_missing_required_key(make_client):
    folder = make_client()
    text = (folder / "client.yaml").read_text().replace("client: Tiny Shop\n", "")
    (folder / "client.yaml").write_text(text)
    with pytest.raises(ConfigError, match=r"`client` is required but missing"):
        load_config(folder)


def test_period_end_before_start(make_client):
    folder = make_client(period={"start": "2026-10-31", "end": "2026-10-01"})
    with pytest.raises(ConfigError, match=r"period.end \(2026-10-01\) is before period.start"):
        load_config(folder)


def test_unknown_timezone(make_client):
    folder = make_client(timezone="Moscow")
    with pytest.raises(ConfigError, match=r"unknown time zone 'Moscow'.*IANA"):
        load_config(folder)


def test_unknown_stage_name(make_client):
    folder = make_client(stages={"awarenes": {"events": ["x"]}})
    with pytest.raises(ConfigError, match=r"unknown stage 'awarenes'.*did you mean 'awareness'"):
        load_config(folder)


def test_a_stage_source_without_its_table_is_refused_when_the_config_is_read(make_client):
    """Found by `funnelkit check` (exit 2), not by chapters 01 and 02 mid-report."""
    events = "user_id,timestamp,event\nu1,2026-10-02 10:00:00,page_view\n"
    folder = make_client(
        {"events.csv": events},
        data={"events": {"path": "data/events.csv"}},
        stages={"purchase": {"sources": ["orders"]}},
    )
    with pytest.raises(ConfigError) as caught:
        load_config(folder)
    message = str(caught.value)
    assert "`stages.purchase.sources` lists ['orders']" in message
    assert "(configured: ['events'])" in message and "Add `data.orders` or remove" in message
    assert "(top level)" not in message


def test_missing_file_lists_folder(make_client):
    folder = make_client({"orders.csv": "x\n"}, data={"events": {"path": "data/events.csv"}})
    with pytest.raises(ConfigError, match=r"`data.events.path`.*does not exist.*orders.csv"):
        load_config(folder)


def test_mapped_column_not_in_file(make_client):
    folder = make_client(
        {"events.csv": "visitor,ts,name\n"},
        data={"events": {"path": "data/events.csv", "columns": {"user_id": "visitor_id"}}},
    )
    with pytest.raises(
        ConfigError,
        match=r"events.csv: column 'visitor_id' \(mapped by "
        r"`data.events.columns.user_id`\) is not in the file.*'visitor'",
    ):
        load_config(folder)


def test_required_column_missing_says_how_to_map(make_client):
    folder = make_client(
        {"events.csv": "user_id,when,event\n"}, data={"events": {"path": "data/events.csv"}}
    )
    with pytest.raises(
        ConfigError,
        match=r"needs a 'timestamp' column.*"
        r"`data.events.columns.timestamp: <your column name>`",
    ):
        load_config(folder)


def test_mapping_to_unknown_canonical_column(make_client):
    folder = make_client(
        {"events.csv": "user_id,timestamp,event\n"},
        data={"events": {"path": "data/events.csv", "columns": {"user": "user_id"}}},
    )
    with pytest.raises(ConfigError, match=r"`data.events.columns.user` is not a column"):
        load_config(folder)


def test_unknown_extension(make_client):
    folder = make_client({"events.json": "{}"}, data={"events": {"path": "data/events.json"}})
    with pytest.raises(ConfigError, match=r"cannot tell the format of 'events.json'"):
        load_config(folder)


def test_invalid_yaml_gives_line(make_client):
    folder = make_client()
    (folder / "client.yaml").write_text("client: x\nperiod: [\n")
    with pytest.raises(ConfigError, match=r"not valid YAML at line"):
        load_config(folder)


def test_no_client_yaml(tmp_path):
    with pytest.raises(ConfigError, match=r"no client.yaml found.*funnelkit new"):
        load_config(tmp_path)


def test_bad_planned_split(make_client):
    folder = make_client(experiments=[{"name": "x", "planned_split": {"a": 0, "b": 1}}])
    with pytest.raises(ConfigError, match=r"planned_split needs a positive share"):
        load_config(folder)


def test_yaml_is_not_modified(tiny_client):
    before = (tiny_client / "client.yaml").read_bytes()
    load_config(tiny_client)
    assert (tiny_client / "client.yaml").read_bytes() == before
    assert yaml.safe_load(before)["client"] == "Tiny Shop"


def test_slugify_keeps_unicode_words():
    assert slugify("Магазин Ромашка") == "магазин-ромашка"


def test_docs_data_md_matches_the_table_specs():
    from pathlib import Path

    from funnelkit.data.tables import table_docs

    docs = (Path(__file__).resolve().parents[1] / "docs" / "data.md").read_text(encoding="utf-8")
    assert table_docs() in docs, "docs/data.md is stale: regenerate its tables from table_docs()"


@pytest.mark.parametrize(
    ("section", "key"),
    [
        ({"funnel": {"steps": ["view_item", "re:add_(cart"]}}, r"funnel\.steps"),
        (
            {"funnel": {"steps": ["a", "b"], "exclusions": [{"event": "re:[", "between": [1, 2]}]}},
            r"funnel\.exclusions\.0\.event",
        ),
        ({"experiments": [{"name": "x", "goal": "re:buy(("}]}, r"experiments\.0\.goal"),
    ],
)
def test_a_regex_that_does_not_compile_is_refused_wherever_patterns_go(make_client, section, key):
    folder = make_client(**section)
    with pytest.raises(ConfigError, match=key + r".*not a valid regular expression"):
        load_config(folder)


def test_globs_and_good_regexes_pass_where_patterns_go(make_client):
    funnel = {"steps": ["view_*", "re:add_to_(cart|basket)", "purchase"]}
    folder = make_client(funnel=funnel, experiments=[{"name": "x", "goal": "re:purchase|order"}])
    config = load_config(folder)
    assert config.funnel.steps[1] == "re:add_to_(cart|basket)"
    assert config.experiments[0].goal == "re:purchase|order"
