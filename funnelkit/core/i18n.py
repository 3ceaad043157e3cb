"""Translations: gettext catalogues a translator can edit, and the report's current language.

Every client-facing sentence is written in English in the code or the notebooks and translated
through the catalogues in ``funnelkit/locale/<language>/LC_MESSAGES/*.po`` (gettext's format,
as Sphinx projects keep theirs: open one in Poedit or any text editor). All ``.po`` files of a
language are read and merged, so each part of the kit keeps its own file (``notebooks.po`` for
the chapters' narrative, ``charts.po`` for chart labels …). English is the source language and
needs no catalogue.

- :func:`gettext` — one message in a language (falls back to the English text);
- :func:`translate_markdown` — a notebook's markdown, paragraph by paragraph, as Sphinx
  translates a document: each block between blank lines is one message;
- :func:`use_language` / :func:`current_language` — the language a report is being drawn in,
  set once per notebook (as :func:`funnelkit.presentation.plots.use_report_style` sets the look),
  so that tables and charts need no ``language=`` on every call;
- :func:`babel_locale` — the Babel locale that formats numbers, money and dates in a language.

Examples
--------
>>> gettext("Nothing to show.", "ru")
'Нечего показать.'
>>> gettext("A sentence no catalogue has.", "ru")
'A sentence no catalogue has.'
>>> gettext("{n} visitors", "en").format(n=3)
'3 visitors'
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path

from .errors import ParameterError, did_you_mean
from .paths import PACKAGE_DIR

__all__ = [
    "LANGUAGES",
    "LOCALE_DIR",
    "babel_locale",
    "catalogue",
    "current_language",
    "gettext",
    "markdown_blocks",
    "translate_markdown",
    "use_language",
]

#: Report languages: code -> the Babel locale whose number, money and date rules it uses.
LANGUAGES = {"en": "en_US", "ru": "ru_RU"}

#: Where the catalogues live: ``LOCALE_DIR / <language> / "LC_MESSAGES" / "*.po"``.
LOCALE_DIR = PACKAGE_DIR / "locale"

_current = "en"


def check_language(language: str) -> str:
    """``language`` when the kit has it, else a :class:`ParameterError` naming the choices."""
    if language not in LANGUAGES:
        raise ParameterError(
            f"language {language!r} is not one the report is written in; "
            f"use one of {', '.join(LANGUAGES)}{did_you_mean(str(language), LANGUAGES)}"
        )
    return language


def use_language(language: str) -> str:
    """Draw the tables and charts that follow in ``language``; returns it.

    Examples
    --------
    >>> use_language("ru"), current_language()
    ('ru', 'ru')
    >>> use_language("en")
    'en'
    """
    global _current
    _current = check_language(language)
    return _current


def current_language() -> str:
    """The language set by :func:`use_language` (``"en"`` until then)."""
    return _current


def babel_locale(language: str | None = None) -> str:
    """The Babel locale for ``language`` (default: the current one).

    Examples
    --------
    >>> babel_locale("ru"), babel_locale("en")
    ('ru_RU', 'en_US')
    """
    return LANGUAGES[check_language(language or _current)]


def _normalise(text: str) -> str:
    return " ".join(text.split())


@functools.cache
def catalogue(language: str) -> dict[str, str]:
    """Every translated message of ``language``: English text -> translation.

    Messages are keyed by their text with runs of white space made one space, so re-wrapping a
    paragraph does not lose its translation. Fuzzy and empty entries are left out (they fall
    back to English, and the untranslated-text test names them).
    """
    from babel.messages.pofile import read_po  # Babel is needed only when a catalogue is read

    merged: dict[str, str] = {}
    folder = LOCALE_DIR / check_language(language) / "LC_MESSAGES"
    for path in sorted(folder.glob("*.po")) if folder.is_dir() else ():
        with path.open("rb") as handle:
            for message in read_po(handle, locale=LANGUAGES[language]):
                if message.id and message.string and not message.fuzzy:
                    merged[_normalise(str(message.id))] = str(message.string)
    return merged


def gettext(message: str, language: str | None = None) -> str:
    """``message`` in ``language`` (default: the current one), or unchanged when untranslated.

    Placeholders in braces are kept, so ``gettext("{n} visitors", lang).format(n=3)`` works in
    every language.
    """
    language = language or _current
    if language == "en" or not message:
        return message
    return catalogue(language).get(_normalise(message), message)


def markdown_blocks(source: str) -> Iterator[str]:
    r"""The translatable blocks of a markdown text: the runs of lines between blank lines.

    Examples
    --------
    >>> list(markdown_blocks("# Title\n\nOne paragraph\nwrapped.\n\n\n- a list"))
    ['# Title', 'One paragraph\nwrapped.', '- a list']
    """
    block: list[str] = []
    for line in source.splitlines():
        if line.strip():
            block.append(line)
        elif block:
            yield "\n".join(block)
            block = []
    if block:
        yield "\n".join(block)


def translate_markdown(source: str, language: str | None = None) -> str:
    r"""A markdown text with each block replaced by its translation (untranslated ones kept).

    Examples
    --------
    >>> translate_markdown("## What to do next\n\nNo catalogue has this one.", "ru")
    '## Что делать дальше\n\nNo catalogue has this one.'
    """
    return "\n\n".join(gettext(block, language) for block in markdown_blocks(source))


def po_files(language: str) -> list[Path]:
    """The catalogue files of ``language`` (for tests and tools)."""
    folder = LOCALE_DIR / check_language(language) / "LC_MESSAGES"
    return sorted(folder.glob("*.po"))
