"""The client's report: every chapter in one self-contained HTML page, front page first.

The executed notebooks hold what the client reads — markdown narrative, tables and charts — amid
plumbing (parameters, imports, saving results). This module keeps only the first kind, in the
client's language, and lays it out with the kit's own stylesheet (screen, phone and A4 print):

1. each notebook's cells become a chapter: markdown translated block by block
   (:func:`funnelkit.core.i18n.translate_markdown`) and rendered; code cells contribute their
   displayed outputs only (HTML tables, markdown sentences, PNG charts with their alt text); cells
   tagged ``remove-cell``, ``remove-output`` or ``consultant`` and the parameters cells are left
   out; a cell that failed shows a short note instead of a traceback; a markdown cell tagged
   ``hide-if-empty`` is left out when the next code cell shows nothing (the heading of a section
   whose data the client does not have);
2. the front page (:mod:`funnelkit.presentation.front`), the chapters, and the glossary go into
   ``templates/report.html.j2`` with ``report.css`` inlined: one file, no network, ``<html lang>``
   set, a cover for print and the consultant's branding.
"""

from __future__ import annotations

import base64
import html
import re
import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mistune
import nbformat
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from ..core.errors import ReportError
from ..core.i18n import gettext, translate_markdown
from ..core.paths import slugify

__all__ = ["HIDE_IF_EMPTY", "Chapter", "chapter_from_notebook", "render_book", "write_book"]

TEMPLATES = Path(__file__).with_name("templates")
#: Cell tags whose cells never reach the client's report.
CLIENT_HIDDEN_TAGS = frozenset(
    {"remove-cell", "remove-output", "consultant", "parameters", "injected-parameters"}
)
#: A markdown cell with this tag is left out when the code cell after it shows nothing (a
#: section whose data the client does not have: no heading over an empty section).
HIDE_IF_EMPTY = "hide-if-empty"
_markdown = mistune.create_markdown(escape=False, plugins=["table", "strikethrough"])


@dataclass
class Chapter:
    """One chapter of the book: its anchor, title, body HTML and the sections inside it."""

    stem: str
    anchor: str
    title: str
    body: str
    sections: list[tuple[str, str]] = field(default_factory=list)
    failed: bool = False


def _png_width(data: bytes) -> int | None:
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    return struct.unpack(">I", data[16:20])[0]


def _figure(output: Mapping[str, Any], *, alt_fallback: str, language: str) -> str:
    data = output["data"]["image/png"]
    raw = base64.b64decode(data)
    meta = (output.get("metadata") or {}).get("image/png") or {}
    alt = meta.get("alt") or alt_fallback
    width = meta.get("width") or _png_width(raw) or 800
    if not meta.get("width") and width > 1000:  # a 2x (retina) render without its CSS width
        width //= 2
    caption = html.escape(str(alt))
    return (
        f'<figure class="fk-figure" style="--w:{int(width)}px">'
        f'<img src="data:image/png;base64,{data}" alt="{caption}" width="{int(width)}">'
        "</figure>"
    )


def _failed_note(output: Mapping[str, Any], language: str) -> str:
    text = gettext(
        "This part of the report could not be computed ({error}); the consultant has the details.",
        language,
    ).format(error=html.escape(str(output.get("ename", "error"))))
    return f'<p class="fk-failed">{text}</p>'


def _outputs(cell: Mapping[str, Any], *, heading: str, language: str) -> list[str]:
    parts: list[str] = []
    for output in cell.get("outputs", []):
        kind = output.get("output_type")
        if kind == "error":
            parts.append(_failed_note(output, language))
            continue
        if kind not in {"display_data", "execute_result"}:
            continue  # streams (warnings, prints) are for the consultant's notebook only
        data = output.get("data", {})
        if "image/png" in data:
            fallback = gettext("Chart: {section}", language).format(section=heading)
            parts.append(_figure(output, alt_fallback=fallback, language=language))
        elif "text/html" in data:
            body = (
                "".join(data["text/html"])
                if isinstance(data["text/html"], list)
                else data["text/html"]
            )
            if "fk-table" not in body:
                body = f'<div class="fk-table">{body}</div>'
            parts.append(body)
        elif "text/markdown" in data:
            parts.append(_markdown(str(data["text/markdown"])))
    return parts


_HEADING = re.compile(r"<h([1-3])>(.*?)</h\1>", re.S)


def _anchor_headings(body: str, prefix: str) -> tuple[str, str, list[tuple[str, str]]]:
    """Give every h1–h3 an id; return the body, the h1 text and the (id, text) of each h2."""
    title, sections, seen = "", [], set()

    def name(match: re.Match) -> str:
        nonlocal title
        level, inner = int(match.group(1)), match.group(2)
        text = html.unescape(re.sub(r"<[^>]+>", "", inner)).strip()
        anchor = f"{prefix}-{slugify(text)[:60] or 'section'}"
        while anchor in seen:
            anchor += "-x"
        seen.add(anchor)
        if level == 1 and not title:
            title = text
            return f'<h1 id="{prefix}">{inner}</h1>'
        if level == 2:
            sections.append((anchor, text))
        return f'<h{level} id="{anchor}">{inner}</h{level}>'

    return _HEADING.sub(name, body), title, sections


def _next_code_shows(cells: list[Any], language: str) -> bool:
    """Whether the first code cell of ``cells`` the client sees shows anything."""
    for cell in cells:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if cell.cell_type != "code" or tags & CLIENT_HIDDEN_TAGS:
            continue
        return bool(_outputs(cell, heading="", language=language))
    return False


def chapter_from_notebook(path: str | Path, *, language: str, stem: str | None = None) -> Chapter:
    r"""One executed notebook as a :class:`Chapter` of the client's report.

    Examples
    --------
    >>> import tempfile, nbformat
    >>> nb = nbformat.v4.new_notebook(cells=[
    ...     nbformat.v4.new_markdown_cell("# Find the drop-off\n\n## What to do next"),
    ...     nbformat.v4.new_markdown_cell("Edit client.yaml", metadata={"tags": ["consultant"]})])
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     nbformat.write(nb, f"{tmp}/03_find_dropoff.ipynb")
    ...     chapter = chapter_from_notebook(f"{tmp}/03_find_dropoff.ipynb", language="ru")
    >>> chapter.title, chapter.sections, "client.yaml" in chapter.body
    ('Find the drop-off', [('c03_find_dropoff-что-делать-дальше', 'Что делать дальше')], False)

    A heading tagged ``hide-if-empty`` goes with an empty section:

    >>> tagged = {"tags": [HIDE_IF_EMPTY]}
    >>> nb.cells += [nbformat.v4.new_markdown_cell("## Segments", metadata=tagged),
    ...              nbformat.v4.new_code_cell("chapter.show_segments()")]
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     nbformat.write(nb, f"{tmp}/06.ipynb")
    ...     chapter = chapter_from_notebook(f"{tmp}/06.ipynb", language="en")
    >>> "Segments" in chapter.body
    False
    """
    path = Path(path)
    stem = stem or path.stem
    try:
        nb = nbformat.read(path, as_version=4)
    except (OSError, ValueError) as err:
        raise ReportError(f"{path}: cannot be read as a notebook ({err}); re-run it.") from err
    prefix = "c" + slugify(stem)
    parts: list[str] = []
    heading, failed = "", False
    for index, cell in enumerate(nb.cells):
        tags = set(cell.get("metadata", {}).get("tags", []))
        errors = any(o.get("output_type") == "error" for o in cell.get("outputs", []))
        failed = failed or errors
        if tags & CLIENT_HIDDEN_TAGS and not errors:
            continue
        if HIDE_IF_EMPTY in tags and not _next_code_shows(nb.cells[index + 1 :], language):
            continue
        if cell.cell_type == "markdown":
            source = translate_markdown(cell.source, language)
            found = re.findall(r"^#{1,3}\s+(.+)$", source, flags=re.M)
            heading = found[-1] if found else heading
            parts.append(_markdown(source))
        elif cell.cell_type == "code":
            parts.extend(_outputs(cell, heading=heading, language=language))
    body, title, sections = _anchor_headings("\n".join(parts), prefix)
    return Chapter(stem, prefix, title or stem, body, sections, failed)


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"])
    )
    env.filters["t"] = gettext
    env.filters["css_string"] = _css_string
    return env


def _css_string(text: Any) -> Markup:
    r"""``text`` as the inside of a double-quoted CSS string (a <style> decodes no entities).

    Examples
    --------
    >>> str(_css_string('Demo "Shop" & <Co>'))
    'Demo \\"Shop\\" & \\3c Co\\3e '
    """
    escaped = str(text).replace("\\", "\\\\").replace('"', '\\"')
    return Markup(escaped.replace("<", "\\3c ").replace(">", "\\3e ").replace("\n", " "))


def render_book(
    chapters: Iterable[Chapter],
    *,
    language: str,
    title: str,
    cover: Mapping[str, Any],
    front: str,
    glossary: list[tuple[str, str]],
    branding: Mapping[str, Any],
) -> str:
    """The whole report as one HTML page (see the module docstring for what goes in)."""
    css = (TEMPLATES / "report.css").read_text(encoding="utf-8")
    template = _environment().get_template("report.html.j2")
    return template.render(
        lang=language,
        title=title,
        cover=cover,
        front=front,
        chapters=list(chapters),
        glossary=glossary,
        branding=branding,
        css=css.replace("var(--fk-accent-default)", branding.get("accent") or "#0b5cad"),
    )


def write_book(page: str, path: str | Path) -> Path:
    """Write the page atomically (a reader never sees half a report); returns the path."""
    path = Path(path)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(page, encoding="utf-8")
    partial.replace(path)
    return path
