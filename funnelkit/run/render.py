"""Executed notebook -> one self-contained HTML page a client can open offline.

nbconvert's ``lab`` template loads require.js, MathJax, Mermaid and widget scripts from public
CDNs; a report opened on a plane (or behind a client's proxy) must not depend on them, so a small
template extending ``lab`` blanks those blocks. Images are embedded as data URIs, plumbing cells
(tag ``remove-cell``) are dropped, and a header plus a table of contents built from the markdown
headings is added at the top.
"""

from __future__ import annotations

import copy
import html
import re
from collections.abc import Mapping
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import nbformat
from jinja2 import DictLoader
from nbconvert import HTMLExporter
from nbconvert.preprocessors import TagRemovePreprocessor

from ..core.errors import ReportError

__all__ = ["HIDE_TAGS", "external_references", "render_html", "render_index"]

#: Cell tags the HTML export honours: tag -> what it removes.
HIDE_TAGS = {
    "remove-cell": "the whole cell",
    "remove-input": "the code",
    "remove-output": "outputs",
}

_TOC_MARK = "<!-- funnelkit:toc -->"
_TEMPLATE_NAME = "funnelkit_offline.html.j2"
_TEMPLATE = (
    """\
{%- extends 'index.html.j2' -%}
{#- Offline: nothing below may fetch from the network. -#}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block extra_css -%}
<style type="text/css">{{ resources.funnelkit_css }}</style>
{%- endblock extra_css -%}
{%- block body_header -%}
{{ super() }}
{{ resources.funnelkit_header }}
"""
    + _TOC_MARK
    + """
{%- endblock body_header -%}
"""
)

_CSS = """
.fk-header { max-width: 1100px; margin: 1.5em auto 0.5em; padding: 0.8em 1.2em;
  border-left: 4px solid #1f6feb; background: #f6f8fa; font-family: var(--jp-ui-font-family); }
.fk-header .fk-title { font-size: 1.5em; font-weight: 600; margin: 0 0 0.3em; }
.fk-header dl { display: grid; grid-template-columns: max-content auto; gap: 0.1em 1em; margin: 0; }
.fk-header dt { color: #57606a; } .fk-header dd { margin: 0; }
.fk-toc { max-width: 1100px; margin: 0.5em auto 1.5em; padding: 0 1.2em;
  font-family: var(--jp-ui-font-family); }
.fk-toc ul { list-style: none; padding-left: 0; margin: 0.2em 0; }
.fk-toc a { color: #0969da; text-decoration: none; }
.fk-toc li.fk-h2 { padding-left: 1.2em; } .fk-toc li.fk-h3 { padding-left: 2.4em; }
"""


class _Headings(HTMLParser):
    """Collect ``(level, id, text)`` of every h1-h3 carrying an id, minus the pilcrow link."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str, str]] = []
        self._current: tuple[int, str] | None = None
        self._text: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag in {"h1", "h2", "h3"} and attributes.get("id"):
            self._current, self._text = (int(tag[1]), str(attributes["id"])), []
        elif self._current and tag == "a" and "anchor-link" in (attributes.get("class") or ""):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._skip:
            self._skip -= 1
        elif self._current and tag == f"h{self._current[0]}":
            text = " ".join("".join(self._text).split())
            self.found.append((*self._current, text))
            self._current = None

    def handle_data(self, data: str) -> None:
        if self._current and not self._skip:
            self._text.append(data)


def _header_html(title: str, header: Mapping[str, Any]) -> str:
    rows = "".join(
        f"<dt>{html.escape(str(key))}</dt><dd>{html.escape(str(value))}</dd>"
        for key, value in header.items()
        if value not in (None, "")
    )
    return (
        f'<header class="fk-header"><p class="fk-title">{html.escape(title)}</p>'
        f"<dl>{rows}</dl></header>"
    )


def _toc_html(body: str) -> str:
    parser = _Headings()
    parser.feed(body)
    if not parser.found:
        return ""
    items = "".join(
        f'<li class="fk-h{level}"><a href="#{html.escape(anchor, quote=True)}">'
        f"{html.escape(text)}</a></li>"
        for level, anchor, text in parser.found
    )
    title = "<strong>Contents</strong>"
    return f'<nav class="fk-toc" aria-label="Contents">{title}<ul>{items}</ul></nav>'


def _keep_errors_visible(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Untag cells whose output is an error, so a failing plumbing cell still shows why."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        outputs = cell.get("outputs", [])
        if any(out.get("output_type") == "error" for out in outputs):
            tags = cell.get("metadata", {}).get("tags", [])
            cell.metadata["tags"] = [t for t in tags if t not in {"remove-cell", "remove-output"}]
    return nb


def _exporter(*, show_code: bool) -> HTMLExporter:
    exporter = HTMLExporter(
        template_name="lab",
        template_file=_TEMPLATE_NAME,
        extra_loaders=[DictLoader({_TEMPLATE_NAME: _TEMPLATE})],
        embed_images=True,
        exclude_input=not show_code,
        exclude_input_prompt=not show_code,
        exclude_output_prompt=True,
    )
    exporter.register_preprocessor(
        TagRemovePreprocessor(
            remove_cell_tags={"remove-cell"},
            remove_input_tags={"remove-input"},
            remove_all_outputs_tags={"remove-output"},
            enabled=True,
        ),
        enabled=True,
    )
    return exporter


def render_html(
    nb_path: str | Path,
    html_path: str | Path,
    *,
    title: str,
    header: Mapping[str, Any],
    show_code: bool = False,
) -> Path:
    """Render an executed notebook as a self-contained, offline HTML report page.

    Turns ``nb_path`` (an ``.ipynb``, usually executed by papermill) into one HTML file with a
    header block, a table of contents of the markdown headings (h1-h3), the notebook's outputs
    with images embedded, and no script, stylesheet or font fetched from the network.

    Parameters
    ----------
    nb_path
        The notebook to render.
    html_path
        Where to write the page; its folder must exist.
    title
        Shown at the top of the page and in the browser tab.
    header
        Label -> value rows shown under the title (client, period, run date, version …).
    show_code
        Show code cells' input; by default only their outputs (and every markdown cell) show.
        Tracebacks of failed cells are shown either way.

    Returns
    -------
    Path
        ``html_path``.

    Raises
    ------
    ReportError
        If the notebook cannot be read or converted.

    Examples
    --------
    >>> import tempfile, nbformat
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Funnel")])
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     nbformat.write(nb, f"{tmp}/a.ipynb")
    ...     page = render_html(f"{tmp}/a.ipynb", f"{tmp}/a.html", title="Funnel",
    ...                        header={"Client": "Demo Shop"}).read_text(encoding="utf-8")
    >>> 'href="#Funnel"' in page, "cdnjs" in page
    (True, False)
    """
    nb_path, html_path = Path(nb_path), Path(html_path)
    try:
        nb = nbformat.read(nb_path, as_version=4)
    except (OSError, ValueError) as err:
        raise ReportError(
            f"{nb_path}: cannot be read as a notebook ({err}); re-run it to recreate it."
        ) from err
    nb.metadata["title"] = title
    resources = {
        "metadata": {"name": title, "path": str(nb_path.parent)},
        "funnelkit_css": _CSS,
        "funnelkit_header": _header_html(title, header),
    }
    try:
        body, _ = _exporter(show_code=show_code).from_notebook_node(
            _keep_errors_visible(nb), resources=resources
        )
    except Exception as err:
        raise ReportError(f"{nb_path}: HTML export failed: {err}") from err
    start = body.find(_TOC_MARK)
    body = body.replace(_TOC_MARK, _toc_html(body[start:]), 1)
    html_path.write_text(body, encoding="utf-8")
    return html_path


_INDEX = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>{title}</title>
<style>
body {{ font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0;
  color: #1f2328; }}
main {{ max-width: 1000px; margin: 0 auto; padding: 1em 1.5em 3em; }}
table.fk-notebooks {{ border-collapse: collapse; width: 100%; margin-top: 1em; }}
.fk-notebooks th, .fk-notebooks td {{ text-align: left; padding: 0.45em 0.8em;
  border-bottom: 1px solid #d0d7de; vertical-align: top; }}
.fk-notebooks td.num {{ text-align: right; font-variant-numeric: tabular-nums; }}
.fk-ok {{ color: #1a7f37; font-weight: 600; }} .fk-failed {{ color: #cf222e; font-weight: 600; }}
.fk-error {{ color: #cf222e; font-size: 0.9em; }} .fk-stem {{ color: #57606a; }}
{css}
</style></head>
<body><main>
{header}
{previous}
<table class="fk-notebooks">
<thead><tr><th></th><th>Notebook</th><th>Seconds</th><th>Files</th></tr></thead>
<tbody>
{rows}
</tbody></table>
</main></body></html>
"""


def render_index(
    html_path: str | Path,
    *,
    title: str,
    header: Mapping[str, Any],
    notebooks: list[Mapping[str, Any]],
    previous: str | None = None,
    deliverables: Mapping[str, Any] | None = None,
) -> Path:
    """Write a report folder's ``index.html``: one self-contained page linking every notebook.

    Parameters
    ----------
    html_path
        Where to write the page (the report folder's ``index.html``).
    title, header
        Page title and the label -> value rows under it (client, period, run date, version …).
    notebooks
        One mapping per notebook with ``name``, optional ``title``, ``status`` (``"ok"`` or
        ``"failed"``), ``seconds``,
        ``html`` (file name relative to the page, or None), ``ipynb`` and ``error`` (None or
        ``{cell, ename, evalue}``).
    previous
        Relative link to the previous report's ``index.html``, if there is one.
    deliverables
        The client's files (``html``, ``pdf``, ``bundle``, ``pdf_note``), linked at the top.

    Returns
    -------
    Path
        ``html_path``.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     page = render_index(f"{tmp}/index.html", title="Demo Shop", header={}, notebooks=[
    ...         {"name": "00_data_health", "status": "ok", "seconds": 3.1,
    ...          "html": "00_data_health.html", "ipynb": "00_data_health.ipynb", "error": None}
    ...     ]).read_text(encoding="utf-8")
    >>> '<a href="00_data_health.html">00_data_health</a>' in page
    True
    """
    rows = []
    for nb in notebooks:
        ok = nb.get("status") == "ok"
        name = html.escape(str(nb.get("title") or nb["name"]))
        link = name
        if nb.get("html"):
            link = f'<a href="{html.escape(nb["html"], quote=True)}">{name}</a>'
        if nb.get("title"):
            link += f' <small class="fk-stem">{html.escape(str(nb["name"]))}</small>'
        error = nb.get("error")
        if error:
            where = f"cell {error['cell']}" if error.get("cell") is not None else "before execution"
            text = html.escape(f"{where}: {error['ename']}: {error['evalue']}")
            link += f'<div class="fk-error">{text}</div>'
        files = " · ".join(
            f'<a href="{html.escape(nb[key], quote=True)}">{label}</a>'
            for key, label in (("ipynb", "notebook"), ("results", "results"))
            if nb.get(key)
        )
        mark = (
            '<span class="fk-ok" title="ok">✓</span>'
            if ok
            else ('<span class="fk-failed" title="failed">✗</span>')
        )
        rows.append(
            f"<tr><td>{mark}</td><td>{link}</td>"
            f'<td class="num">{float(nb.get("seconds") or 0):.1f}</td><td>{files}</td></tr>'
        )
    back = (
        f'<p><a href="{html.escape(previous, quote=True)}">← previous report</a></p>'
        if previous
        else ""
    )
    if deliverables:
        files = [
            f'<a href="{html.escape(deliverables[key], quote=True)}">{label}</a>'
            for key, label in (("html", "report (HTML)"), ("pdf", "report (A4 PDF)"))
            if deliverables.get(key)
        ]
        folder = html.escape(str(deliverables.get("bundle") or ""))
        note = deliverables.get("pdf_note")
        back += (
            f'<p class="fk-deliverables"><strong>For the client:</strong> {" · ".join(files)}'
            f" — send the folder <code>{folder}/</code>, which holds only these."
            + (f'<br><span class="fk-error">No PDF: {html.escape(note)}</span>' if note else "")
            + "</p>"
        )
    page = _INDEX.format(
        title=html.escape(title),
        css=_CSS,
        header=_header_html(title, header),
        previous=back,
        rows="\n".join(rows),
    )
    html_path = Path(html_path)
    html_path.write_text(page, encoding="utf-8")
    return html_path


def external_references(page: str) -> list[str]:
    """``src``/``href`` URLs of script, link and img tags that would hit the network.

    Examples
    --------
    >>> external_references('<script src="https://cdn.x/a.js"></script><img src="data:,">')
    ['https://cdn.x/a.js']
    """
    pattern = r"<(?:script|link|img)\b[^>]*?\b(?:src|href)\s*=\s*[\"']?((?:https?:)?//[^\"'\s>]+)"
    return re.findall(pattern, page, flags=re.IGNORECASE)
