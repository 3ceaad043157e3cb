"""``report:`` in ``client.yaml``: which chapters a client's report has.

Two keys, both optional::

    report:
      chapters:
        exclude: [04_ab_test]        # bundled chapters (notebook file stems) not to run
      notebooks: [notebooks/*.ipynb]  # the client's own chapters (the default shown)

``chapters.exclude`` names bundled or custom chapters by file stem (``04_ab_test``; a trailing
``.ipynb`` is accepted). ``notebooks`` lists the client's own notebooks, paths or glob patterns
relative to the client folder; they run after the bundled chapters, in the listed order (a
pattern's matches in name order), with the same injected parameters. Left out, every
``notebooks/*.ipynb`` of the client folder is a custom chapter; ``notebooks: []`` turns them off.

Names are checked against the notebooks of a run by :func:`funnelkit.run.chapters.plan_chapters`
(unknown names are a :class:`~funnelkit.core.errors.ConfigError` with a "did you mean").
"""

from __future__ import annotations

from pydantic import Field, field_validator

from .branding import Branding
from .inputs import Strict

__all__ = ["DEFAULT_CUSTOM_NOTEBOOKS", "ChapterSelection", "ReportConfig"]

#: Where a client's own chapters are looked for when ``report.notebooks`` is not set.
DEFAULT_CUSTOM_NOTEBOOKS = "notebooks/*.ipynb"


class ChapterSelection(Strict):
    """``report.chapters``: the chapters left out of this client's report."""

    exclude: list[str] = Field(
        default_factory=list,
        description="Chapters not to run, by notebook file stem, e.g. 04_ab_test.",
    )

    @field_validator("exclude")
    @classmethod
    def _stems(cls, value: list[str]) -> list[str]:
        stems = [name.strip().removesuffix(".ipynb") for name in value]
        if any(not stem or "/" in stem or "\\" in stem for stem in stems):
            raise ValueError(
                "name each chapter by its notebook file stem, e.g. `exclude: [04_ab_test]`"
            )
        return stems


class ReportConfig(Strict):
    """``report:``: the chapters to leave out, the client's own notebooks, branding overrides."""

    chapters: ChapterSelection = Field(default_factory=ChapterSelection)
    branding: Branding | None = Field(
        default=None,
        description="Overrides of the consultant profile for this client: consultant, company, "
        "contact, logo, accent (see funnelkit.data.branding).",
    )
    notebooks: list[str] | None = Field(
        default=None,
        description="The client's own chapter notebooks: paths or glob patterns relative to the "
        f"client folder, run after the bundled chapters (default: {DEFAULT_CUSTOM_NOTEBOOKS}).",
    )

    @field_validator("notebooks")
    @classmethod
    def _notebook_paths(cls, value: list[str] | None) -> list[str] | None:
        for entry in value or []:
            if not entry.endswith(".ipynb"):
                raise ValueError(
                    f"{entry!r} is not a notebook; list .ipynb files or patterns such as "
                    "'notebooks/*.ipynb'"
                )
        return value
