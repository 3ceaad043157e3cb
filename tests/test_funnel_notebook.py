"""Notebook 03 run with papermill: its results JSON and the audience file next to it."""

from __future__ import annotations

import json
from pathlib import Path

import papermill
import pytest

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "03_find_dropoff.ipynb"


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("report")
    results = folder / "03_find_dropoff.results.json"
    papermill.execute_notebook(
        str(NOTEBOOK),
        str(folder / "03_find_dropoff.ipynb"),
        parameters={"results_path": str(results)},
        kernel_name="python3",
        progress_bar=False,
    )
    return results


def test_results_hold_steps_leaks_and_significant_segments(run):
    funnel = json.loads(run.read_text())["funnel"]
    steps = funnel["steps"]
    assert [s["step"] for s in steps][:2] == ["view_item", "add_to_cart"]
    assert {"users", "share_of_first", "share_of_first_ci_low", "share_of_previous_ci_high"} <= set(
        steps[0]
    )
    assert funnel["leaks"][0]["rank"] == 1 and funnel["leaks"][0]["value"] > 0
    flagged = {(s["segment"], s["step"], s["flag"]) for s in funnel["significant_segments"]}
    assert ("display", "add_to_cart", "under") in flagged
    assert ("mobile", "add_payment_info", "under") in flagged


def test_audience_file_is_written_next_to_the_results(run):
    files = sorted(p.name for p in run.parent.glob("audience_dropped_at_*.csv"))
    assert files == ["audience_dropped_at_add_to_cart.csv"]
    html_free = (run.parent / "03_find_dropoff.ipynb").read_text()
    assert "u000003" not in html_free  # ids go to the CSV, not into the notebook
