"""The translation catalogues: readable, consistent, and complete for the notebooks' narrative."""

from __future__ import annotations

import re
import string
from collections import defaultdict
from pathlib import Path

import nbformat
import pytest
from babel.messages.pofile import read_po

from funnelkit.core import i18n
from funnelkit.core.errors import ParameterError

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
PO_FILES = i18n.po_files("ru")


def _messages():
    for path in PO_FILES:
        with path.open("rb") as handle:
            for message in read_po(handle, locale="ru_RU"):
                if message.id:
                    yield path.name, message


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_every_catalogue_parses_and_has_messages():
    assert PO_FILES, "no Russian catalogue found"
    for path in PO_FILES:
        with path.open("rb") as handle:
            assert len(read_po(handle, locale="ru_RU")) > 0, path.name


def test_placeholders_survive_translation():
    """A translation that drops or renames {placeholder} would crash (or lie) at run time."""
    broken = [
        (name, message.id)
        for name, message in _messages()
        if message.string
        and "{" in str(message.id)
        and _fields(str(message.id)) != _fields(str(message.string))
    ]
    assert not broken, broken


def test_one_translation_per_message_across_files():
    seen: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for name, message in _messages():
        if message.string:
            key = " ".join(str(message.id).split())
            seen[key][str(message.string)].append(name)
    conflicts = {key: dict(found) for key, found in seen.items() if len(found) > 1}
    assert not conflicts, conflicts


def test_markdown_keeps_its_structure_in_translation():
    """Headings stay headings of the same level; bold, code and list markers survive."""
    for name, message in _messages():
        source, target = str(message.id), str(message.string)
        if not target:
            continue
        level = re.match(r"#+ ", source)
        if level:
            assert target.startswith(level.group(0)), (name, source)
        if name == "notebooks.po":  # code spans in the narrative name events and tables
            assert source.count("`") == target.count("`"), (name, source)


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_narrative_block_of_the_chapters_is_translated(notebook):
    nb = nbformat.read(notebook, as_version=4)
    missing = [
        block
        for cell in nb.cells
        if cell.cell_type == "markdown" and "consultant" not in cell.metadata.get("tags", [])
        for block in i18n.markdown_blocks(cell.source)
        if i18n.gettext(block, "ru") == block
    ]
    assert not missing, f"untranslated in {notebook.name} (run tools/i18n_extract.py ru): {missing}"


def test_unknown_language_names_the_choices():
    with pytest.raises(ParameterError, match="use one of en, ru"):
        i18n.use_language("de")
