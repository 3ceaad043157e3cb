"""The notebooks of a run, each with the parameters it will get, all checked before any runs.

Parameters come from three places, later ones winning: what the runner injects
(``client_dir``, ``results_path``), the notebook's entry under ``parameters:`` in
``client.yaml``, and the command line. :func:`plan_chapters` checks every name and type of
every notebook and raises one :class:`~funnelkit.core.errors.ParameterError` listing all problems.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat

from ..core import paths
from ..core.errors import ParameterError, ReportError
from ..data.config import ClientConfig
from .execute import kernel_options
from .parameters import (
    check_parameters,
    inspect_parameters,
    quiet_papermill,
    unknown_cli_parameters,
)

__all__ = ["Chapter", "notebook_sources", "plan_chapters"]


def notebook_sources(notebooks: Path | None) -> tuple[Path, list[Path]]:
    """The notebooks folder and its ``*.ipynb`` in name order (the report's order)."""
    nb_dir = Path(notebooks or paths.notebooks_dir()).expanduser().resolve()
    sources = sorted(nb_dir.glob("*.ipynb")) if nb_dir.is_dir() else []
    if not sources:
        raise ReportError(
            f"{nb_dir}: no notebooks (*.ipynb) found; pass --notebooks with the folder that "
            "holds the report notebooks."
        )
    return nb_dir, sources


def _title(nb_path: Path) -> str:
    """The notebook's first markdown H1, else its humanised file stem."""
    nb = nbformat.read(nb_path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            match = re.search(r"^#\s+(.+?)\s*#*\s*$", cell.source, flags=re.MULTILINE)
            if match:
                return match[1]
    return re.sub(r"^\d+[_-]*", "", nb_path.stem).replace("_", " ").strip().capitalize()


@dataclass
class Chapter:
    """One notebook of a run: where it is, its title, and the parameters it gets."""

    source: Path
    title: str
    values: dict[str, Any]
    origin: dict[str, str]
    options: dict[str, Any]

    @property
    def stem(self) -> str:
        return self.source.stem


def plan_chapters(
    config: ClientConfig,
    sources: list[Path],
    cli_parameters: Mapping[str, Any],
    *,
    kernel_name: str | None,
    log: Callable[[str], Any],
    nb_dir: Path,
) -> list[Chapter]:
    """Every notebook of the run with its parameters, all checked (one error lists all).

    Raises
    ------
    ParameterError
        For a name no notebook declares (command line), or any notebook's unknown name or wrong
        type, listing every such problem.
    """
    with quiet_papermill():
        declared = {nb.stem: inspect_parameters(nb) for nb in sources}
    unknown_cli_parameters(cli_parameters, declared, notebooks_dir=nb_dir)
    for stem in set(config.parameters) - set(declared):
        log(f"  note: client.yaml has parameters for {stem!r}, which is not in {nb_dir}; ignored")
    chapters, problems = [], []
    for source in sources:
        here = declared[source.stem]
        base = {"client_dir": str(config.client_dir), "results_path": ""}  # set per run
        from_yaml = config.notebook_parameters(source.stem)
        from_cli = {k: v for k, v in cli_parameters.items() if k in here}
        values = {k: v for k, v in base.items() if k in here} | from_yaml | from_cli
        origin = {k: f"client.yaml `parameters.{source.stem}`" for k in from_yaml}
        origin |= {k: "the command line" for k in from_cli}
        try:
            check_parameters(source.name, values, here, origin=origin)
        except ParameterError as err:
            problems.append(str(err))
        options = kernel_options(source, kernel_name)
        chapters.append(Chapter(source, _title(source), values, origin, options))
    if problems:
        raise ParameterError("\n".join(problems))
    return chapters
