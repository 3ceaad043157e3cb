"""Offline HTML pages: no CDN, header and contents, code hidden by default, errors visible."""

from __future__ import annotations

import base64
import re

import nbformat
import pytest

from funnelkit.core.errors import ReportError
from funnelkit.run.render import external_references, render_html, render_index

# A 1x1 transparent PNG.
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
HEADER = {"Client": "Demo Shop", "Period": "2026-09-15 – 2026-10-29", "funnelkit": "0.1.0"}


def code(source: str, outputs: list | None = None, tags: list[str] | None = None, count: int = 1):
    cell = nbformat.v4.new_code_cell(source, execution_count=count, outputs=outputs or [])
    if tags:
        cell.metadata.tags = tags
    return cell


def stdout(text: str):
    return nbformat.v4.new_output("stream", name="stdout", text=text)


@pytest.fixture
def executed(tmp_path):
    """An executed-looking notebook: headings, an image, tagged cells, and a failed cell."""
    (tmp_path / "chart.png").write_bytes(base64.b64decode(PNG))
    error = nbformat.v4.new_output(
        "error",
        ename="ValueError",
        evalue="planted failure",
        traceback=["\x1b[0;31mValueError\x1b[0m: planted failure", "Traceback line two"],
    )
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("# Funnel drop-off\n\nWhere people leave."),
            code("SECRET_PARAMS = 1", tags=["parameters"]),
            code("import PLUMBING_ONLY", [stdout("plumbing output")], tags=["remove-cell"]),
            nbformat.v4.new_markdown_cell("## Steps & rates\n\n![chart](chart.png)"),
            code(
                "plot_SECRET()",
                [nbformat.v4.new_output("display_data", data={"image/png": PNG})],
                tags=["remove-input"],
            ),
            nbformat.v4.new_markdown_cell("### Per channel"),
            code("print_SECRET()", [stdout("visible table output")]),
            code("noisy_SECRET()", [stdout("hidden noise")], tags=["remove-output"]),
            code("save_SECRET()", [error], tags=["remove-cell"]),
        ]
    )
    path = tmp_path / "funnel.ipynb"
    nbformat.write(nb, path)
    return path


def page(executed, **kwargs) -> str:
    out = render_html(
        executed, executed.with_suffix(".html"), title="Funnel", header=HEADER, **kwargs
    )
    return out.read_text(encoding="utf-8")


def test_html_loads_nothing_from_the_network(executed):
    html = page(executed)
    assert external_references(html) == []
    tags = re.findall(r"<(?:script|link|img)\b[^>]*>", html, flags=re.IGNORECASE)
    assert not [t for t in tags if re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", t)]
    assert not re.search(r"<script[^>]*(require|mathjax)", html, flags=re.IGNORECASE)
    assert "require.min.js" not in html and "MathJax.Hub" not in html
    assert "cdnjs" not in html and "unpkg" not in html


def test_images_are_embedded_as_data_uris(executed):
    html = page(executed)
    images = re.findall(r"<img\b[^>]*\bsrc=\"([^\"]*)\"", html)
    assert len(images) == 2  # the output plot and the markdown image
    assert all(src.startswith("data:image/png;base64,") for src in images)


def test_header_and_table_of_contents(executed):
    html = page(executed)
    header = html[html.index('<header class="fk-header">') :]
    assert '<p class="fk-title">Funnel</p>' in header
    for label, value in HEADER.items():
        assert f"<dt>{label}</dt><dd>{value}</dd>" in header
    toc = re.search(r'<nav class="fk-toc".*?</nav>', html, flags=re.DOTALL)[0]
    assert re.findall(r'<li class="fk-h(\d)"><a href="#([^"]+)">([^<]+)</a>', toc) == [
        ("1", "Funnel-drop-off", "Funnel drop-off"),
        ("2", "Steps-&amp;-rates", "Steps &amp; rates"),
        ("3", "Per-channel", "Per channel"),
    ]
    # every contents link points at an anchor nbconvert generated
    for anchor in ("Funnel-drop-off", "Steps-&amp;-rates", "Per-channel"):
        assert f'id="{anchor}"' in html
    assert html.index("fk-toc") < html.index("Where people leave.")


def test_code_hidden_by_default_and_shown_with_show_code(executed):
    hidden = page(executed)
    assert "SECRET" not in hidden
    assert "visible table output" in hidden
    shown = page(executed, show_code=True)
    assert "print_SECRET" in shown and "noisy_SECRET" in shown and "SECRET_PARAMS" in shown
    assert "plot_SECRET" not in shown  # remove-input keeps only the output


def test_tags_remove_cells_and_outputs(executed):
    html = page(executed, show_code=True)
    assert "PLUMBING_ONLY" not in html and "plumbing output" not in html
    assert "hidden noise" not in html


def test_error_stays_visible_with_hidden_input_even_in_plumbing_cell(executed):
    html = page(executed)
    assert "planted failure" in html
    assert "Traceback line two" in html
    assert "save_SECRET" not in html  # the input stays hidden


def test_unreadable_notebook_is_a_report_error(tmp_path):
    bad = tmp_path / "bad.ipynb"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(ReportError, match=r"bad.ipynb: cannot be read as a notebook .*re-run it"):
        render_html(bad, tmp_path / "bad.html", title="x", header={})


def test_index_links_notebooks_status_and_previous(tmp_path):
    notebooks = [
        {"name": "00_a", "title": "Data health", "status": "ok", "seconds": 3.14,
         "ipynb": "00_a.ipynb", "html": "00_a.html", "results": "00_a.results.json",
         "error": None},
        {"name": "10_b", "status": "failed", "seconds": 1.0, "ipynb": None, "html": None,
         "results": None, "error": {"cell": None, "ename": "ParameterError", "evalue": "bad <n>"}},
    ]  # fmt: skip
    html = render_index(
        tmp_path / "index.html",
        title="Demo Shop — report",
        header=HEADER,
        notebooks=notebooks,
        previous="../2026-10-01/index.html",
    ).read_text(encoding="utf-8")
    assert '<a href="00_a.html">Data health</a>' in html
    assert '<a href="00_a.results.json">results</a>' in html
    assert "✓" in html and "✗" in html and "3.1" in html
    assert "before execution: ParameterError: bad &lt;n&gt;" in html
    assert '<a href="../2026-10-01/index.html">' in html
    assert external_references(html) == []
    assert "<script" not in html
