"""Showing tidy frames in a report: readable numbers, and a visible note where data is absent.

Formatting happens only here, for display; the frames themselves are never rounded.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
from IPython.display import Markdown, display

from ..core.formatting import format_p

__all__ = ["note", "show"]


def _is_share(column: str) -> bool:
    return (
        column.startswith("share")
        or column.endswith(("_rate", "_share"))
        or column in {"conversion_rate", "ci_low", "ci_high"}
    )


def show(
    frame: pd.DataFrame,
    *,
    empty: str = "Nothing to show.",
    percent: Iterable[str] | None = None,
    hide: Iterable[str] = (),
) -> None:
    """Display a frame with thousands separators and percentages, or ``empty`` as a note.

    Parameters
    ----------
    frame
        Any tidy frame from funnelkit.
    empty
        The sentence shown instead when the frame has no rows.
    percent
        Columns shown as percentages (default: columns named ``share*``, ``*_rate``).
    hide
        Columns left out of the display.
    """
    if frame.empty:
        note(empty)
        return
    shown = frame.drop(columns=list(hide))
    percent = set(percent) if percent is not None else {c for c in shown if _is_share(c)}
    formats = {}
    for column in shown.columns:
        dtype = shown[column].dtype
        if column in percent:
            formats[column] = "{:.1%}"
        elif column.startswith(("p_value", "p_adjusted")) and pd.api.types.is_float_dtype(dtype):
            formats[column] = format_p
        elif pd.api.types.is_integer_dtype(dtype):
            formats[column] = "{:,}"
        elif pd.api.types.is_float_dtype(dtype):
            formats[column] = "{:,.2f}"
        elif pd.api.types.is_datetime64_any_dtype(dtype):
            formats[column] = lambda value: "–" if pd.isna(value) else f"{value:%Y-%m-%d}"
    styled = shown.style.format(formats, na_rep="–").hide(axis="index")
    # Readable headers for the client; the frame keeps its attribute-safe names.
    styled = styled.format_index(lambda name: str(name).replace("_", " "), axis="columns")
    display(styled)


def note(text: str) -> None:
    """Display a visible italic note (e.g. why a section is skipped)."""
    display(Markdown(f"> *{text}*"))
