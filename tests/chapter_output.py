"""What a chapter showed, captured in a test: its sentences, tables and chart descriptions.

The chapter tests call a chapter's ``show_*`` methods with IPython's ``display`` replaced by a
list (:func:`capture_display`) and then read the words back (:func:`shown_texts`), to check the
sentences and that a Russian chapter has no English left.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
from IPython.display import Markdown

from funnelkit.core.i18n import use_language
from funnelkit.presentation import display as display_module
from funnelkit.presentation.display import Table


def capture_display(monkeypatch, chapter_module: str, *, alt_text: bool = False) -> list:
    """Send what ``chapter_module`` and the shared display helpers show into a list.

    ``plt.show()`` closes the figure; with ``alt_text`` it first adds the chart's description.
    """
    found: list = []
    monkeypatch.setattr(display_module, "display", found.append)
    monkeypatch.setattr(f"{chapter_module}.display", found.append)

    def show() -> None:
        if alt_text:
            found.append(plt.gcf().funnelkit_alt)
        plt.close("all")

    monkeypatch.setattr(plt, "show", show)
    return found


def shown_texts(found: list) -> list[str]:
    """The markdown, the table headers and cells, and the chart descriptions, as strings."""
    texts: list[str] = []
    for obj in found:
        if isinstance(obj, Markdown):
            texts.append(obj.data)
        elif isinstance(obj, Table):
            texts += [str(c) for c in obj.text.columns]
            texts += [str(v) for column in obj.text.columns for v in obj.text[column]]
        elif isinstance(obj, str):  # a chart's description
            texts.append(obj)
    return texts


def reset_language() -> None:
    """Back to English after a test that showed a chapter in another language."""
    use_language("en")
