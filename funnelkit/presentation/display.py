"""Showing tidy frames in a report: readable numbers, and a visible note where data is absent.

Formatting happens only here, for display; the frames themselves are never rounded. A table
reads in the report's language (:func:`funnelkit.core.i18n.current_language`): its headers are
the column names made words (``people_both`` -> "people both") and translated; its cells are
counts, shares, money-like decimals and dates drawn by :mod:`funnelkit.core.formatting`, yes/no
for booleans, lists joined with commas, an en dash for a missing value, and the kit's fixed
vocabulary (``ok``, ``missing`` …) translated. Free text, ids and event names stay as they are.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pandas as pd
from IPython.display import Markdown, display

from ..core.formatting import (
    format_count,
    format_date,
    format_decimal,
    format_number,
    format_p,
)
from ..core.i18n import current_language, gettext

__all__ = ["ClientWords", "Table", "cell_text", "header_text", "note", "show"]


class ClientWords:
    """A chapter's words for its client: report language, currency and ``self._(message)``.

    Mixed into the chapter objects, which hold the loaded client as ``self.client``.
    """

    client: Any

    @property
    def language(self) -> str:
        return self.client.config.language

    @property
    def currency(self) -> str:
        return self.client.config.currency

    def _(self, message: str) -> str:
        return gettext(message, self.language)


#: Columns whose text is data, never vocabulary (a word in the name is enough): ids, event and
#: step names, patterns, variants, segments, free text.
_VERBATIM = ("event", "step", "goal", "item", "pattern", "page", "url", "path", "detail", "note",
             "example", "name", "key", "variant", "segment", "channel", "campaign", "experiment",
             "column", "file", "metric", "message")  # fmt: skip


def _is_share(column: str) -> bool:
    return (
        column.startswith("share")
        or column.endswith(("_rate", "_share"))
        or column in {"conversion_rate", "ci_low", "ci_high"}
    )


def _verbatim(column: str) -> bool:
    return column.endswith("_id") or column == "id" or any(w in column for w in _VERBATIM)


def header_text(column: object, language: str | None = None) -> str:
    """A column name as a reader's header: underscores as spaces, translated when catalogued.

    Examples
    --------
    >>> header_text("people_both"), header_text("status", "ru")
    ('people both', 'статус')
    """
    return gettext(str(column).replace("_", " "), language)


def _missing(value: object) -> bool:
    if value is None or value is pd.NaT:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    try:
        return bool(pd.isna(value)) if not isinstance(value, list | tuple | dict) else False
    except (TypeError, ValueError):
        return False


def cell_text(value: object, language: str | None = None, *, vocabulary: bool = True) -> str:
    r"""One cell as a reader sees it (numbers without a unit: counts whole, others two decimals).

    Examples
    --------
    >>> [cell_text(v, "en") for v in (True, ["a", "b"], None, 10525.0, -0.0, 3.14159)]
    ['yes', 'a, b', '–', '10,525', '0', '3.14']
    >>> [cell_text(v, "ru") for v in (False, "ok", 1234.5, dt.date(2026, 9, 15))]
    ['нет', 'в порядке', '1\xa0234,50', '15 сент. 2026\u202fг.']
    """
    language = language or current_language()
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return ", ".join(cell_text(v, language, vocabulary=vocabulary) for v in items)
    if _missing(value):
        return "–"
    if isinstance(value, bool | np.bool_):
        return gettext("yes" if value else "no", language)
    if isinstance(value, dt.date | pd.Timestamp | np.datetime64):  # datetimes too
        return format_date(value, language)
    if isinstance(value, numbers.Integral):
        return format_count(value, language)
    if isinstance(value, numbers.Real):
        value = float(value)
        if value.is_integer():
            return format_count(value, language)
        return format_decimal(value, 2, language)
    text = str(value)
    if not text.strip():
        return "–"
    return gettext(text, language) if vocabulary else text


class Table:
    """A formatted table as shown: its HTML, and plain text for a text-only output.

    The HTML is wrapped in ``<div class="fk-table">`` so that a narrow screen scrolls the table
    inside its box.

    ``styler`` is the pandas Styler drawn inside the box, ``text`` the cells as strings.
    """

    def __init__(self, styler, text: pd.DataFrame) -> None:
        self.styler = styler
        self.text = text

    def to_html(self) -> str:
        return f'<div class="fk-table">{self.styler.to_html()}</div>'

    def _repr_html_(self) -> str:
        return self.to_html()

    def __repr__(self) -> str:
        return self.text.to_string(index=False)


def _column_formatter(
    column: str, series: pd.Series, percent: set[str], language: str
) -> Callable[[object], str]:
    if column in percent:
        return lambda v: (
            cell_text(v, language)
            if _missing(v)
            else format_number(float(v), "share", language=language)
        )
    dtype = series.dtype
    if column.startswith(("p_value", "p_adjusted")) and pd.api.types.is_float_dtype(dtype):
        return lambda v: format_p(v, language=language)
    if pd.api.types.is_float_dtype(dtype):
        values = series.dropna()
        if len(values) and (values == values.round()).all():  # counts stored as floats
            return lambda v: format_count(v, language)
        return lambda v: format_decimal(v, 2, language)
    vocabulary = not _verbatim(column)
    return lambda v: cell_text(v, language, vocabulary=vocabulary)


def show(
    frame: pd.DataFrame,
    *,
    empty: str = "Nothing to show.",
    percent: Iterable[str] | None = None,
    hide: Iterable[str] = (),
    language: str | None = None,
) -> None:
    """Display a frame as a reader's table in the report's language, or ``empty`` as a note.

    Parameters
    ----------
    frame
        Any tidy frame from funnelkit.
    empty
        The sentence shown instead when the frame has no rows (translated).
    percent
        Columns shown as percentages (default: columns named ``share*``, ``*_rate``).
    hide
        Columns left out of the display.
    language
        The table's language (default: the report's current one).
    """
    language = language or current_language()
    if frame.empty:
        note(empty, language=language)
        return
    shown = frame.drop(columns=list(hide))
    percent = set(percent) if percent is not None else {c for c in shown if _is_share(str(c))}
    columns = [
        shown.iloc[:, i].map(_column_formatter(str(c), shown.iloc[:, i], percent, language))
        for i, c in enumerate(shown.columns)
    ]  # by position: a frame may repeat a column name
    text = pd.concat(columns, axis=1, ignore_index=True) if columns else pd.DataFrame()
    text.columns = [header_text(c, language) for c in shown.columns]
    styled = text.style.format(escape="html").hide(axis="index")
    display(Table(styled, text.reset_index(drop=True)))


def note(text: str, *, language: str | None = None) -> None:
    """Display a visible italic note (e.g. why a section is skipped), translated when catalogued."""
    display(Markdown(f"> *{gettext(text, language)}*"))
