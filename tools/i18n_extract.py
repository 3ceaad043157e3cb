"""Collect the notebooks' markdown into a language's gettext catalogue, keeping its translations.

Every markdown cell of ``notebooks/*.ipynb`` is cut into blocks with
:func:`funnelkit.core.i18n.markdown_blocks` (the runs of lines between blank lines, the unit
:func:`funnelkit.core.i18n.translate_markdown` translates at render time), and each block becomes
one message of ``funnelkit/locale/<language>/LC_MESSAGES/notebooks.po``, as ``msgmerge`` updates a
catalogue from its template:

- a block already in the catalogue keeps its translation (also when only its line breaks or
  spacing changed, since the kit matches messages with white space collapsed);
- a new block is added with an empty translation, or, when it closely resembles a block that
  left the notebooks, with that block's translation marked fuzzy and the old English kept as
  ``#| msgid`` (fuzzy entries are not used until a translator reviews them);
- a block no longer in any notebook is kept at the end of the file as obsolete (``#~``);
- every message names where it is used, as ``notebooks/NAME.ipynb:CELLINDEX``.

Usage::

    python tools/i18n_extract.py ru

Parameters
----------
language : str
    The report language whose catalogue is written (``ru``).

Examples
--------
>>> blocks = collect_blocks()  # doctest: +SKIP
>>> blocks["## What to do next"][:1]  # doctest: +SKIP
[('notebooks/01_pick_metrics.ipynb', 19)]
"""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

import nbformat
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from funnelkit.core.i18n import LANGUAGES, LOCALE_DIR, markdown_blocks  # noqa: E402

#: The first lines of every catalogue file the script writes (the kit's usual header).
HEADER = """\
# {language} translations of the chapters' narrative: the markdown cells of notebooks/*.ipynb.
# Written by tools/i18n_extract.py, one message per markdown block: edit the msgstr lines,
# then rerun the script whenever the notebooks change (translations are kept).
msgid ""
msgstr ""
"Project-Id-Version: funnelkit\\n"
"Language: {language}\\n"
"MIME-Version: 1.0\\n"
"Content-Type: text/plain; charset=UTF-8\\n"
"Content-Transfer-Encoding: 8bit\\n"

"""

#: How alike (difflib ratio) an old and a new block must be for the old translation to be offered.
FUZZY_CUTOFF = 0.6


def _normalise(text: str) -> str:
    return " ".join(text.split())


def collect_blocks(notebooks: Path = ROOT / "notebooks") -> dict[str, list[tuple[str, int]]]:
    """Every markdown block of the notebooks, in reading order, with the cells that use it.

    Parameters
    ----------
    notebooks : Path
        The folder holding the chapters' ``*.ipynb``.

    Returns
    -------
    dict[str, list[tuple[str, int]]]
        Block text -> ``(notebooks/NAME.ipynb, cell index)`` of each cell it appears in.
    """
    blocks: dict[str, list[tuple[str, int]]] = {}
    for path in sorted(notebooks.glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        location = path.relative_to(ROOT).as_posix()
        for index, cell in enumerate(notebook.cells):
            if cell.cell_type != "markdown":
                continue
            for block in markdown_blocks(cell.source):
                places = blocks.setdefault(block, [])
                if (location, index) not in places:
                    places.append((location, index))
    return blocks


def _read(path: Path, language: str) -> Catalog | None:
    if not path.is_file():
        return None
    with path.open("rb") as handle:
        return read_po(handle, locale=LANGUAGES[language])


def update_catalogue(
    blocks: dict[str, list[tuple[str, int]]], old: Catalog | None, language: str
) -> Catalog:
    """A catalogue of ``blocks`` carrying over the translations of ``old``.

    Parameters
    ----------
    blocks : dict[str, list[tuple[str, int]]]
        What :func:`collect_blocks` returns.
    old : Catalog or None
        The catalogue as it was (``None`` when there is none yet).
    language : str
        The catalogue's language.

    Returns
    -------
    Catalog
        The new catalogue: current blocks first, in reading order, then the obsolete ones.
    """
    catalogue = Catalog(locale=LANGUAGES[language], project="funnelkit", fuzzy=False)
    previous: dict[str, Message] = {}  # normalised text -> old message (current first, then #~)
    if old is not None:
        for message in [*old.obsolete.values(), *old]:
            if message.id:
                previous[_normalise(str(message.id))] = message
    unused = dict(previous)
    for block, locations in blocks.items():
        key = _normalise(block)
        message = previous.get(key)
        string, flags, comments, previous_id = "", set(), [], ()
        if message is not None:
            unused.pop(key, None)
            string, flags, comments = message.string, set(message.flags), message.user_comments
            previous_id = message.previous_id if message.fuzzy else ()
        else:
            translated = [k for k, m in unused.items() if m.string]
            close = difflib.get_close_matches(key, translated, n=1, cutoff=FUZZY_CUTOFF)
            if close:
                message = unused.pop(close[0])  # offered here, so not kept as obsolete
                string, flags, previous_id = message.string, {"fuzzy"}, message.id
        catalogue.add(
            block,
            string,
            # "NAME.ipynb:INDEX" as the file name: Babel drops a line number of 0
            locations=[(f"{name}:{index}", None) for name, index in locations],
            flags=flags,
            user_comments=comments,
            previous_id=previous_id,
        )
        catalogue[block].flags.discard("python-format")  # Babel's guess from "95% i…"
    for message in unused.values():
        if message.string:  # an untranslated block that left the notebooks is simply dropped
            catalogue.obsolete[message.id] = Message(
                message.id, message.string, user_comments=message.user_comments
            )
    return catalogue


def main(argv: list[str] | None = None) -> int:
    """Write ``funnelkit/locale/<language>/LC_MESSAGES/notebooks.po``; print what changed.

    Parameters
    ----------
    argv : list of str, optional
        The command line without the program name (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        The exit status: 0.
    """
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("language", choices=[code for code in LANGUAGES if code != "en"])
    language = parser.parse_args(argv).language
    path = LOCALE_DIR / language / "LC_MESSAGES" / "notebooks.po"
    catalogue = update_catalogue(collect_blocks(), _read(path, language), language)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:  # width 0: one line of the file per line of the block
        handle.write(HEADER.format(language=language).encode())
        write_po(handle, catalogue, width=0, omit_header=True, include_previous=True)
    messages = [message for message in catalogue if message.id]
    empty = sum(not message.string for message in messages)
    fuzzy = sum(bool(message.string) and message.fuzzy for message in messages)
    print(
        f"{path.relative_to(ROOT)}: {len(messages)} messages, {empty} untranslated, "
        f"{fuzzy} fuzzy, {len(catalogue.obsolete)} obsolete"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
