"""Showing a table whose cells a chapter has already written as text.

What more than one chapter's presentation shows the same way lives at this level, below the
chapter packages (they may not import each other, ``pyproject.toml``): :func:`show_text`
displays a frame of finished text (headers and cells in the client's language, numbers drawn by
:mod:`funnelkit.core.formatting`) without reformatting anything.
"""

from __future__ import annotations

import pandas as pd
from IPython.display import display

from ..core.i18n import gettext
from .display import Table, note

__all__ = ["show_text"]


def show_text(frame: pd.DataFrame, *, empty: str = "Nothing to show.") -> None:
    """Display a frame of already formatted text as it is (headers and cells unchanged).

    An empty frame shows the note ``empty`` (translated) instead of an empty table.
    """
    if frame.empty:
        note(gettext(empty))
        return
    text = frame.astype(str).reset_index(drop=True)
    styled = text.style.format(escape="html").hide(axis="index")
    display(Table(styled, text))
