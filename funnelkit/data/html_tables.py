"""HTML tables saved as "Excel" files: what Bitrix24 (and other Russian systems) export as .xls.

Bitrix24's *Export to Excel* writes an HTML page with one ``<table>`` and calls it ``.xls``
(its template ``crm.deal.list/templates/excel``); Excel opens it, pandas' Excel readers do
not. :func:`read_html_table` reads such a file with Beautiful Soup (the parser of the Python
standard library behind it, so no compiled dependency), in the encoding its ``<meta charset>``
declares, into a frame of text cells like a sheet read by :func:`pandas.read_excel`.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..core.errors import DataError

__all__ = ["is_html", "read_html_table"]

_SNIFF = 4096


def is_html(path: Path) -> bool:
    """Whether the file is an HTML page rather than a workbook (its first bytes say so).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = Path(d) / "deals.xls"
    ...     _ = p.write_text("<html><table><tr><td>ID</td></tr></table></html>")
    ...     is_html(p)
    True
    """
    with path.open("rb") as handle:
        head = handle.read(_SNIFF).lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<", b"\xff\xfe<", b"\xfe\xff")) or b"<table" in head


def read_html_table(path: Path, *, key: str, nrows: int | None = None) -> pd.DataFrame:
    """The first table of an HTML "Excel" export: header row, then text cells (None if empty).

    The header is the first row (``<th>`` or ``<td>`` cells); rows shorter than the header are
    padded with empty cells, longer ones are an error naming the row.

    Examples
    --------
    >>> import tempfile
    >>> html = ("<html><head><meta charset='windows-1251'></head><body><table>"
    ...         "<tr><th>ID</th><th>Стадия сделки</th></tr><tr><td>7</td><td>Новая</td></tr>"
    ...         "</table></body></html>")
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = Path(d) / "deals.xls"
    ...     _ = p.write_bytes(html.encode("cp1251"))
    ...     read_html_table(p, key="data.leads")
      ID Стадия сделки
    0  7         Новая
    """
    from bs4 import BeautifulSoup  # only an HTML export needs it

    soup = BeautifulSoup(path.read_bytes(), "html.parser")
    table = soup.find("table")
    rows = [] if table is None else table.find_all("tr")
    if not rows:
        raise DataError(
            f"{path.name}: is an HTML page, not a workbook, and holds no table; export the data "
            f"again as CSV or .xlsx ({key}).",
            file=path.name,
        )
    cells = [[_text(c) for c in row.find_all(["td", "th"])] for row in rows]
    header = [c or f"column_{i}" for i, c in enumerate(cells[0], start=1)]
    body = [r for r in cells[1:] if any(r)]
    if nrows is not None:
        body = body[:nrows]
    for number, row in enumerate(body, start=2):
        if len(row) > len(header):
            raise DataError(
                f"{path.name}: row {number} of its HTML table has {len(row)} cells, the header "
                f"{len(header)}; export the data again as CSV or .xlsx ({key}).",
                file=path.name,
            )
    padded = [r + [None] * (len(header) - len(r)) for r in body]
    return pd.DataFrame(padded, columns=header, dtype=object)


def _text(cell: object) -> str | None:
    """A cell's text as Excel shows it: spaces collapsed, empty as None."""
    text = " ".join(cell.get_text(" ").split())  # type: ignore[attr-defined]
    return text or None
