"""HTML tables saved as "Excel" files (Bitrix24's Export to Excel), read like workbooks.

The file is written as Bitrix24's excel template writes it: an HTML page in windows-1251 with a
``<meta charset>``, one ``<table>``, a header row of ``<th>`` cells and one ``<tr>`` per deal,
saved as ``.xls``. The leads loaded from it equal those of the same deals' CSV export.
"""

from __future__ import annotations

from html import escape

import pandas as pd
import pytest
from test_adapter_crm import (
    BITRIX_STAGES,
    BITRIX_STEPS,
    _check,
    _client,
    bitrix_csv,
    make_deals,
    reference,
)

import funnelkit.data.adapters.crm  # noqa: F401  (registers bitrix24)
from funnelkit.core.errors import DataError
from funnelkit.data.discover import discover
from funnelkit.data.prepare import load_client


def _html(text: str, *, charset: str = "windows-1251") -> str:
    """The CSV export's cells as Bitrix24's HTML "Excel" page."""
    rows = [line.split(";") for line in text.strip("\n").split("\n")]
    head = "".join(f"<th>{escape(c)}</th>" for c in rows[0])
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>\n" for row in rows[1:]
    )
    return (
        f'<html><head><meta http-equiv="Content-type" content="text/html;charset={charset}">'
        f'</head><body><table border="1">\n<tr>{head}</tr>\n{body}</table></body></html>\n'
    )


def test_bitrix24_html_xls_equals_its_csv_export(make_client):
    deals = make_deals(BITRIX_STEPS, seed=11)
    folder = _client(make_client, "data/deals.xls", "bitrix24", BITRIX_STAGES)
    (folder / "data" / "deals.xls").write_bytes(_html(bitrix_csv(deals)).encode("cp1251"))
    client = load_client(folder, emit_warnings=False)
    _check(client, reference(deals, BITRIX_STEPS))


def test_an_html_xls_is_recognised_by_new_from(tmp_path):
    deals = make_deals(BITRIX_STEPS, seed=2, n=10)
    (tmp_path / "deals.xls").write_bytes(_html(bitrix_csv(deals)).encode("cp1251"))
    row = discover(tmp_path).iloc[0]
    assert (row["format"], row["tables"]) == ("bitrix24", ("leads",))
    assert row["stages"]["column"] == "Стадия сделки"


def test_a_canonical_table_saved_as_html_xls_is_read(make_client):
    text = (
        "order_id;customer_id;timestamp;revenue\no1;c1;2026-10-02 10:00;10.5\no2;c2;2026-10-03;7\n"
    )
    folder = make_client(data={"orders": {"path": "data/orders.xls"}})
    (folder / "data" / "orders.xls").write_text(_html(text, charset="utf-8"), encoding="utf-8")
    orders = load_client(folder, emit_warnings=False).frame("orders")
    assert orders["revenue"].sum() == pytest.approx(17.5)
    assert list(orders["order_id"]) == ["o1", "o2"]
    assert orders["timestamp"].iloc[0] == pd.Timestamp("2026-10-02 10:00")


def test_a_row_longer_than_the_header_names_the_row(make_client):
    text = "order_id;customer_id;timestamp;revenue\no1;c1;2026-10-02;10;extra\n"
    folder = make_client(data={"orders": {"path": "data/orders.xls"}})
    (folder / "data" / "orders.xls").write_text(_html(text, charset="utf-8"), encoding="utf-8")
    with pytest.raises(DataError, match=r"orders.xls: row 2 of its HTML table has 5 cells"):
        load_client(folder, emit_warnings=False)


def test_an_html_page_without_a_table_says_so(make_client):
    folder = make_client(data={"orders": {"path": "data/orders.xls"}})
    (folder / "data" / "orders.xls").write_text("<html><body>Доступ запрещён</body></html>")
    with pytest.raises(DataError, match=r"orders.xls: is an HTML page, not a workbook, and holds "
                       r"no table"):  # fmt: skip
        load_client(folder, emit_warnings=False)
