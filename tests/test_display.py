"""show(): the table a client sees, in the report's language, inside a scrollable box."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from IPython.display import Markdown

from funnelkit.core.i18n import use_language
from funnelkit.presentation import display as display_module
from funnelkit.presentation.display import Table, cell_text, header_text, note, show

NB = "\xa0"


@pytest.fixture
def shown(monkeypatch):
    found: list = []
    monkeypatch.setattr(display_module, "display", found.append)
    yield found
    use_language("en")


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "event": ["purchase", "ok"],
            "people_both": [17386.0, np.nan],  # ints stored as floats
            "has_data": [True, False],
            "patterns": [["view_*", "search"], ("a",)],
            "conversion_rate": [-0.00001, 0.0412],  # a negative zero share
            "status": ["ok", "missing"],
            "first": pd.to_datetime(["2026-09-15", None]),
            "value": [1234.567, -2.5],
        }
    )


def _cells(table: Table) -> list[list[str]]:
    return table.text.astype(str).to_numpy().tolist()


def test_show_in_english(shown):
    show(_frame())
    (table,) = shown
    assert isinstance(table, Table)
    assert list(table.text.columns) == [
        "event", "people both", "has data", "patterns", "conversion rate", "status", "first",
        "value",
    ]  # fmt: skip
    assert _cells(table) == [
        ["purchase", "17,386", "yes", "view_*, search", "0.0%", "ok", "15 Sep 2026", "1,234.57"],
        ["ok", "–", "no", "a", "4.1%", "missing", "–", "−2.50"],
    ]
    html = table.to_html()
    assert html.startswith('<div class="fk-table">') and html.endswith("</div>")
    assert "-0.0" not in html and "True" not in html and "nan" not in html and "['" not in html


def test_show_in_russian_translates_headers_and_vocabulary_only(shown):
    use_language("ru")
    show(_frame())
    (table,) = shown
    assert "статус" in table.text.columns
    rows = _cells(table)
    assert rows[0][0] == "purchase" and rows[1][0] == "ok"  # event names stay as they are
    assert rows[0][1] == f"17{NB}386" and rows[0][2] == "да" and rows[1][2] == "нет"
    assert rows[0][4] == f"0,0{NB}%" and rows[1][4] == f"4,1{NB}%"
    assert rows[0][5] == "в порядке" and rows[0][6] == "15 сент. 2026\u202fг."
    assert rows[0][7] == f"1{NB}234,57" and rows[1][7] == "−2,50"


def test_integer_columns_are_counts_and_p_values_have_three_decimals(shown):
    show(pd.DataFrame({"users": [1200, 5], "p_value": [0.0004, 0.0312]}))
    assert _cells(shown[0]) == [["1,200", "< 0.001"], ["5", "0.031"]]


def test_html_is_escaped(shown):
    show(pd.DataFrame({"detail": ["<b>x</b>"]}))
    assert "<b>x</b>" not in shown[0].to_html()


def test_empty_and_note_are_translated(shown):
    use_language("ru")
    show(pd.DataFrame({"a": []}))
    note("Nothing to show.")
    assert [m.data for m in shown if isinstance(m, Markdown)] == ["> *Нечего показать.*"] * 2


def test_cell_and_header_helpers():
    assert header_text("people_both") == "people both"
    assert cell_text([True, None, 3.0], "en") == "yes, –, 3"
    assert cell_text("", "en") == "–"
    assert cell_text(np.True_, "ru") == "да" and cell_text(float("inf"), "en") == "∞"
    assert cell_text(np.datetime64("2026-09-15"), "en") == "15 Sep 2026"
    assert re.fullmatch(r"\d+", cell_text(np.int64(12), "en"))
