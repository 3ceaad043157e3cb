"""Segments against the rest: z-test against R, Holm over all comparisons, the sample gate."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import numpy as np
import pytest

from funnelkit.core.stats.multiple import adjust_pvalues
from funnelkit.data.prepare import load_client
from funnelkit.funnel import run_funnel, segment_heatmap_frame, segment_tests


def _paths(groups: list[tuple[str, str, int, int]]) -> duckdb.DuckDBPyRelation:
    """Units per (channel, device, entered, converted): depth 2 for the first `converted`."""
    parts = [
        f"SELECT '{ch}' AS channel, '{dev}' AS device, i < {conv} AS converted FROM range({n}) t(i)"
        for ch, dev, n, conv in groups
    ]
    return duckdb.sql(
        "SELECT row_number() OVER () AS unit_id, CASE WHEN converted THEN 2 ELSE 1 END AS depth, "
        "TIMESTAMP '2026-10-01' AS step_1_at, CASE WHEN converted THEN TIMESTAMP '2026-10-01 01:00'"
        " END AS step_2_at, channel, device FROM (" + " UNION ALL ".join(parts) + ")"
    )


def test_segment_against_rest_matches_r_prop_test_and_holm():
    paths = _paths([("a", "d", 1000, 45), ("b", "d", 1000, 60)])
    tests = segment_tests(paths, steps=["view", "cart"], by="channel")
    # R: prop.test(c(45, 60), c(1000, 1000), correct = FALSE)$p.value -> 0.1326
    assert tests["p_value"].round(4).tolist() == [0.1326, 0.1326]
    # R: p.adjust(c(0.1326, 0.1326), "holm") -> 0.2652 0.2652
    assert tests["p_value_adjusted"].round(4).tolist() == [0.2652, 0.2652]
    assert tests["rate"].tolist() == [0.045, 0.06]
    assert tests["rest_rate"].tolist() == [0.06, 0.045]
    assert not tests["significant"].any() and (tests["flag"] == "").all()


def test_holm_runs_over_all_columns_segments_and_steps():
    paths = _paths([("a", "x", 600, 100), ("b", "y", 500, 150), ("c", "x", 400, 160)])
    tests = segment_tests(paths, steps=["view", "cart"], by=["channel", "device"])
    assert len(tests) == 5 and not tests["gated"].any()
    expected = adjust_pvalues(tests["p_value"].to_numpy(), method="holm")
    np.testing.assert_allclose(tests["p_value_adjusted"], expected)
    assert tests.set_index("segment").loc["a", "flag"] == "under"
    assert tests.set_index("segment").loc["c", "flag"] == "over"


def test_segment_below_gate_is_never_flagged_even_with_a_huge_difference():
    # "tiny": 50 users, 0% conversion, against 50% in the rest: a huge difference, but gated
    paths = _paths([("tiny", "d", 50, 0), ("big", "d", 2000, 1000), ("other", "d", 2000, 1000)])
    tests = segment_tests(paths, steps=["view", "cart"], by="channel", min_users=100)
    tiny = tests.set_index("segment").loc["tiny"]
    assert tiny["gated"] and not tiny["significant"] and tiny["flag"] == ""
    assert np.isnan(tiny["p_value"]) and np.isnan(tiny["p_value_adjusted"])
    assert not tests.set_index("segment").loc["big", "gated"]
    # without the gate the same row is a significant under-performer
    ungated = segment_tests(paths, steps=["view", "cart"], by="channel", min_users=1)
    assert ungated.set_index("segment").loc["tiny", "flag"] == "under"


def test_rest_below_gate_is_gated_too():
    paths = _paths([("big", "d", 1000, 100), ("small", "d", 30, 29)])
    tests = segment_tests(paths, steps=["view", "cart"], by="channel", min_users=100)
    assert tests["gated"].all() and (tests["flag"] == "").all()


def test_heatmap_frame_is_one_row_per_cell():
    paths = _paths([("a", "x", 600, 100), ("b", "y", 500, 150)])
    frame = segment_heatmap_frame(segment_tests(paths, steps=["view", "cart"], by="channel"))
    assert frame["row"].tolist() == ["channel: a", "channel: b"]
    assert {"rate", "significant", "flag", "gated", "step"} <= set(frame.columns)


def test_no_breakdown_gives_an_empty_frame():
    paths = _paths([("a", "x", 10, 1)])
    assert segment_tests(paths, steps=["view", "cart"], by=[]).empty


@pytest.fixture(scope="module")
def demo_tests():
    client = load_client(None, emit_warnings=False)
    result = run_funnel(client, by=["channel", "device"])
    gate = client.config.funnel.min_segment_users
    return segment_tests(result.paths, steps=result.steps, by=["channel", "device"], min_users=gate)


def test_demo_planted_weak_channel_and_device_are_flagged_at_their_steps(demo_tests):
    truth = json.loads(
        (Path(__file__).parents[1] / "examples/demo_client/data/truth.json").read_text()
    )["leaks"]
    flagged = demo_tests.set_index(["column", "segment", "step"])
    channel = truth["weak_channel"]
    device = truth["weak_device"]
    assert flagged.loc[("channel", channel["channel"], channel["step"]), "flag"] == "under"
    assert flagged.loc[("device", device["device"], device["step"]), "flag"] == "under"
    # the planted leaks are the largest gaps of their column
    display = demo_tests[(demo_tests["column"] == "channel") & (demo_tests["flag"] == "under")]
    assert display.sort_values("abs_diff").iloc[0][["segment", "step"]].tolist() == [
        "display",
        "add_to_cart",
    ]
    mobile = demo_tests[(demo_tests["column"] == "device") & (demo_tests["flag"] == "under")]
    assert mobile.sort_values("abs_diff").iloc[0][["segment", "step"]].tolist() == [
        "mobile",
        "add_payment_info",
    ]
