"""The client's report page: what of a notebook reaches the client, and how the page is built."""

from __future__ import annotations

import base64

import matplotlib

matplotlib.use("Agg")
import nbformat
import pytest
from matplotlib import pyplot as plt

from funnelkit.core.errors import ReportError
from funnelkit.run.book import chapter_from_notebook, render_book

md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell


def _png() -> str:
    import io

    fig, ax = plt.subplots(figsize=(4, 2), dpi=100)
    ax.plot([1, 2], [1, 2])
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode()


def _output(kind: str, data: dict, metadata: dict | None = None):
    return nbformat.v4.new_output(kind, data=data, metadata=metadata or {})


@pytest.fixture
def notebook(tmp_path):
    cells = [
        md("# Find the drop-off\n\nWhere visitors leave."),
        code("client_dir = ''", metadata={"tags": ["parameters"]}),
        code("import funnelkit", metadata={"tags": ["remove-cell"]}),
        md("Edit `funnel.steps` in client.yaml.", metadata={"tags": ["consultant"]}),
        md("## The funnel"),
        code("show(table)", metadata={"tags": ["remove-input"]}),
        code("plot()", metadata={"tags": ["remove-input"]}),
        code("print('debug')"),
        code("1/0"),
    ]
    cells[5].outputs = [
        _output(
            "display_data",
            {"text/html": "<table><tr><td>7</td></tr></table>", "text/plain": "<Styler>"},
        )
    ]
    cells[6].outputs = [
        _output(
            "display_data",
            {"image/png": _png(), "text/plain": "<Figure>"},
            {"image/png": {"alt": "Bar chart of people per step: view 10, buy 4"}},
        )
    ]
    cells[7].outputs = [nbformat.v4.new_output("stream", name="stdout", text="debug\n")]
    cells[8].outputs = [
        nbformat.v4.new_output(
            "error", ename="ZeroDivisionError", evalue="division by zero", traceback=["..."]
        )
    ]
    path = tmp_path / "03_find_dropoff.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)
    return path


def test_only_what_the_client_reads_is_kept(notebook):
    chapter = chapter_from_notebook(notebook, language="en")
    assert chapter.title == "Find the drop-off" and chapter.anchor == "c03_find_dropoff"
    assert chapter.sections == [("c03_find_dropoff-the-funnel", "The funnel")]
    body = chapter.body
    assert "Where visitors leave." in body and "<td>7</td>" in body
    assert 'class="fk-table"' in body  # tables scroll inside their box
    for hidden in (
        "client.yaml",
        "client_dir",
        "import funnelkit",
        "debug",
        "<Styler>",
        "Traceback",
        "division by zero",
    ):
        assert hidden not in body, hidden
    assert 'alt="Bar chart of people per step: view 10, buy 4"' in body
    assert 'width="400"' in body  # shown at its natural CSS width
    assert "could not be computed (ZeroDivisionError)" in body and chapter.failed


def test_markdown_is_translated_block_by_block(notebook):
    chapter = chapter_from_notebook(notebook, language="ru")
    assert "could not be computed" not in chapter.body
    assert "Эту часть отчёта не удалось рассчитать (ZeroDivisionError)" in chapter.body


def test_unreadable_notebook_is_a_report_error(tmp_path):
    bad = tmp_path / "x.ipynb"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(ReportError, match=r"x\.ipynb: cannot be read as a notebook"):
        chapter_from_notebook(bad, language="en")


def test_page_is_one_offline_file_in_the_report_language(notebook):
    chapter = chapter_from_notebook(notebook, language="ru")
    page = render_book(
        [chapter],
        language="ru",
        title="Demo — отчёт",
        cover={
            "client": 'Demo "Shop"',
            "period": "1–2 сент.",
            "period_label": "Период",
            "date": "3 дек.",
            "version": "1",
        },
        front="<h1>Главное</h1>",
        glossary=[("CAC", "стоимость привлечения")],
        branding={
            "consultant": "Анна",
            "company": None,
            "contact": "a@b.c",
            "logo": None,
            "accent": "#112233",
        },
    )
    assert page.startswith("<!DOCTYPE html>") and '<html lang="ru">' in page
    assert "Маркетинговый отчёт" in page and "Содержание" in page and "Анна" in page
    assert '<a href="#c03_find_dropoff">' in page and 'id="c03_find_dropoff"' in page
    assert "#112233" in page and "var(--fk-accent-default)" not in page
    assert 'content: "Demo \\"Shop\\" · 1–2 сент."' in page  # a CSS string: no entities
    assert "@page" in page and "size: A4" in page
    assert "http://" not in page and "https://" not in page
