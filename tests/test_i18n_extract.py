"""tools/i18n_extract.py: notebook markdown -> notebooks.po, keeping translations."""

import importlib.util
import io

import pytest
from babel.messages.pofile import read_po, write_po

from funnelkit.core.i18n import LOCALE_DIR, gettext, markdown_blocks
from funnelkit.core.paths import PACKAGE_DIR

TOOL = PACKAGE_DIR.parent / "tools" / "i18n_extract.py"


@pytest.fixture(scope="module")
def extract():
    spec = importlib.util.spec_from_file_location("i18n_extract", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _roundtrip(catalogue):
    buffer = io.BytesIO()
    write_po(buffer, catalogue, width=0, include_previous=True)
    buffer.seek(0)
    return read_po(buffer, locale="ru_RU")


def test_update_keeps_marks_fuzzy_and_obsolete(extract):
    old = extract.update_catalogue(
        {
            "# Title": [("notebooks/a.ipynb", 0)],
            "A paragraph about the funnel and its steps.": [("notebooks/a.ipynb", 0)],
            "Gone for good.": [("notebooks/a.ipynb", 2)],
        },
        None,
        "ru",
    )
    old["# Title"].string = "# Заголовок"
    old["A paragraph about the funnel and its steps."].string = "Абзац о воронке и её шагах."
    old["Gone for good."].string = "Удалено."
    updated = extract.update_catalogue(
        {
            "#  Title": [("notebooks/a.ipynb", 0)],  # only white space changed
            "A paragraph about the funnel and all its steps.": [("notebooks/a.ipynb", 3)],
            "Brand new.": [("notebooks/b.ipynb", 1)],
        },
        _roundtrip(old),
        "ru",
    )
    # the old English is offered as "#| msgid" (Babel's read_po does not read it back)
    previous = updated["A paragraph about the funnel and all its steps."].previous_id
    assert previous == ["A paragraph about the funnel and its steps."]
    new = _roundtrip(updated)
    assert new["#  Title"].string == "# Заголовок" and not new["#  Title"].fuzzy
    edited = new["A paragraph about the funnel and all its steps."]
    assert edited.fuzzy and edited.string == "Абзац о воронке и её шагах."
    assert edited.locations == [("notebooks/a.ipynb", 3)]
    assert new["Brand new."].string == "" and new["Brand new."].locations == [
        ("notebooks/b.ipynb", 1)
    ]
    assert list(new.obsolete) == ["Gone for good."]


def test_locations_name_cell_zero(extract):
    catalogue = extract.update_catalogue({"# Title": [("notebooks/a.ipynb", 0)]}, None, "ru")
    buffer = io.BytesIO()
    write_po(buffer, catalogue, width=0, omit_header=True)
    assert "#: notebooks/a.ipynb:0\n" in buffer.getvalue().decode()


def test_every_notebook_block_is_translated(extract):
    assert (LOCALE_DIR / "ru" / "LC_MESSAGES" / "notebooks.po").is_file()
    untranslated = [
        f"{name}:{cell}: {block[:60]}"
        for block, places in extract.collect_blocks().items()
        for name, cell in places[:1]
        if gettext(block, "ru") == block
    ]
    assert not untranslated, "run tools/i18n_extract.py ru and translate:\n" + "\n".join(
        untranslated
    )


def test_blocks_match_the_renderer(extract):
    blocks = extract.collect_blocks()
    assert "## What to do next" in blocks
    assert all(list(markdown_blocks(block)) == [block] for block in blocks)
