"""The notebooks of a run, each with the parameters it will get, all checked before any runs.

The chapters are the bundled notebooks less those ``report.chapters.exclude`` of
``client.yaml`` names, then the client's own notebooks (``report.notebooks``, by default
``<client>/notebooks/*.ipynb``; see :mod:`funnelkit.data.report_config`). A custom chapter
must have a cell tagged ``parameters`` declaring ``client_dir`` and ``results_path``.

Parameters come from three places, later ones winning: what the runner injects
(``client_dir``, ``results_path``), the notebook's entry under ``parameters:`` in
``client.yaml``, and the command line. :func:`plan_chapters` checks every name and type of
every notebook and raises one :class:`~funnelkit.core.errors.ParameterError` listing all problems.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from ..core import paths
from ..core.errors import ConfigError, ParameterError, ReportError, did_you_mean
from ..data.config import ClientConfig
from ..data.report_config import DEFAULT_CUSTOM_NOTEBOOKS
from .execute import kernel_options
from .parameters import (
    check_parameters,
    inspect_parameters,
    quiet_papermill,
    unknown_cli_parameters,
)

__all__ = [
    "Chapter",
    "custom_notebooks",
    "notebook_sources",
    "plan_chapters",
    "requirements",
    "requirements_any",
    "select_sources",
    "without_their_data",
]

#: What every custom chapter's ``parameters`` cell must declare (the runner injects them).
CUSTOM_REQUIRED = ("client_dir", "results_path")


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


def _yaml(config: ClientConfig) -> str:
    return str(config.config_file or "client.yaml")


def custom_notebooks(config: ClientConfig) -> list[Path]:
    """The client's own chapter notebooks, in the order of ``report.notebooks``.

    Raises
    ------
    ConfigError
        A listed path or pattern matches no notebook (the default pattern may match none).
    """
    listed = config.report.notebooks
    found: list[Path] = []
    for entry in listed if listed is not None else [DEFAULT_CUSTOM_NOTEBOOKS]:
        pattern = Path(entry).expanduser()
        if pattern.is_absolute():
            matches = sorted(Path(pattern.anchor).glob(str(pattern.relative_to(pattern.anchor))))
        else:
            matches = sorted(config.client_dir.glob(entry))
        if not matches and listed is not None:
            raise ConfigError(
                f"{_yaml(config)}: `report.notebooks` lists {entry!r}, which matches no notebook "
                f"in {config.client_dir}; fix the path (relative to the client folder) or "
                "remove it."
            )
        found += [m.resolve() for m in matches if m.is_file() and m.resolve() not in found]
    return found


def _check_custom(config: ClientConfig, path: Path) -> None:
    """A custom chapter needs a ``parameters`` cell declaring what the runner injects."""
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as err:  # nbformat raises several kinds for a damaged file
        raise ReportError(
            f"{path}: custom chapter (from `report.notebooks` of {_yaml(config)}) is not a "
            f"readable notebook ({err}); save it again from Jupyter."
        ) from None
    cells = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    if len(cells) != 1:
        what = "no cell" if not cells else f"{len(cells)} cells"
        raise ParameterError(
            f"{path}: custom chapter has {what} tagged `parameters`; it needs exactly one, "
            'declaring `client_dir: str = ""` and `results_path: str = ""` (in Jupyter: View → '
            "Cell Toolbar → Tags). See templates/client/notebooks/README.md."
        )
    declared = inspect_parameters(path)
    missing = [name for name in CUSTOM_REQUIRED if name not in declared]
    if missing:
        raise ParameterError(
            f"{path}: the `parameters` cell of this custom chapter does not declare {missing}; "
            'add `client_dir: str = ""` and `results_path: str = ""` to it (the run fills them '
            "in). See templates/client/notebooks/README.md."
        )


def select_sources(config: ClientConfig, sources: list[Path]) -> list[Path]:
    """The run's notebooks: ``sources`` less ``report.chapters.exclude``, then custom ones.

    Raises
    ------
    ConfigError
        An excluded name is no chapter (with a "did you mean"), or a custom chapter has the
        file name of another chapter.
    ParameterError
        A custom chapter has no ``parameters`` cell, or it does not declare ``client_dir`` and
        ``results_path``.
    """
    custom = custom_notebooks(config)
    stems = [p.stem for p in sources]
    for path in custom:
        if path.stem in stems:
            raise ConfigError(
                f"{path}: a custom chapter has the file name of another chapter ({path.stem}); "
                "rename it (its report files would overwrite the other's)."
            )
        stems.append(path.stem)
    for name in config.report.chapters.exclude:
        if name not in stems:
            hint = did_you_mean(name, stems)
            raise ConfigError(
                f"{_yaml(config)}: `report.chapters.exclude` names {name!r}, which is no chapter "
                f"of this run; the chapters are {stems}.{hint} Fix the name."
            )
    for path in custom:
        if path.stem not in config.report.chapters.exclude:
            _check_custom(config, path)
    excluded = set(config.report.chapters.exclude)
    return [p for p in [*sources, *custom] if p.stem not in excluded]


def _title(nb_path: Path) -> str:
    """The notebook's first markdown H1, else its humanised file stem."""
    nb = nbformat.read(nb_path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            match = re.search(r"^#\s+(.+?)\s*#*\s*$", cell.source, flags=re.MULTILINE)
            if match:
                return match[1]
    return re.sub(r"^\d+[_-]*", "", nb_path.stem).replace("_", " ").strip().capitalize()


def _funnelkit_metadata(nb_path: Path) -> dict[str, Any]:
    nb = nbformat.read(nb_path, as_version=4)
    return dict(nb.metadata.get("funnelkit", {}))


def requirements(nb_path: Path) -> list[str]:
    """The tables a chapter needs, all of them: ``metadata.funnelkit.requires`` of the notebook.

    A chapter that needs a table the client does not have (the accounts chapter without an
    ``accounts`` table) is left out of the run rather than printing an empty chapter.

    Examples
    --------
    >>> from funnelkit.core import paths
    >>> requirements(paths.notebooks_dir() / "05_accounts.ipynb")
    ['accounts']
    """
    return list(_funnelkit_metadata(nb_path).get("requires", []))


def requirements_any(nb_path: Path) -> list[str]:
    """Tables of which a chapter needs at least one: ``metadata.funnelkit.requires_any``.

    The customer-value chapter speaks of orders (predicted value, cohorts, segments) and of
    visits (return rate by first-visit week), so it runs when the client has either table.
    Empty when the notebook declares none (no such condition).

    Examples
    --------
    >>> from funnelkit.core import paths
    >>> requirements_any(paths.notebooks_dir() / "06_customer_value.ipynb")
    ['orders', 'events']
    >>> requirements_any(paths.notebooks_dir() / "05_accounts.ipynb")
    []
    """
    return list(_funnelkit_metadata(nb_path).get("requires_any", []))


@dataclass
class Chapter:
    """One notebook of a run: where it is, its title, and the parameters it gets.

    ``requires`` are the tables it needs all of, ``requires_any`` those it needs one of (see
    :func:`requirements` and :func:`requirements_any`).
    """

    source: Path
    title: str
    values: dict[str, Any]
    origin: dict[str, str]
    options: dict[str, Any]
    requires: list[str] = field(default_factory=list)
    requires_any: list[str] = field(default_factory=list)

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
    ConfigError
        ``report:`` of ``client.yaml`` names an unknown chapter or a missing custom notebook.
    ParameterError
        For a name no notebook declares (command line), or any notebook's unknown name or wrong
        type, listing every such problem; or a custom chapter without a ``parameters`` cell.
    """
    sources = select_sources(config, sources)
    if not sources:
        raise ConfigError(
            f"{_yaml(config)}: `report.chapters.exclude` leaves no chapter to run; remove a name."
        )
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
        chapters.append(
            Chapter(source, _title(source), values, origin, options, requirements(source),
                    requirements_any(source))
        )  # fmt: skip
    if problems:
        raise ParameterError("\n".join(problems))
    return chapters


def _or(words: list[str], joint: str) -> str:
    """``a``, ``a or b``, ``a, b or c``."""
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} {joint} {words[-1]}"


def _lacking(chapter: Chapter, tables: Collection[str]) -> str | None:
    """What the chapter needs and the client lacks, in words; None when nothing."""
    lacking = [t for t in chapter.requires if t not in tables]
    if lacking:
        names = ", ".join(f"the {t} table" for t in lacking)
        keys = ", ".join(f"`data.{t}`" for t in lacking)
        return f"needs {names}; add {keys} to client.yaml"
    if chapter.requires_any and not any(t in tables for t in chapter.requires_any):
        options = list(dict.fromkeys(chapter.requires_any))
        article = "an" if options[0][:1] in "aeiou" else "a"
        names = _or(options, "or")
        keys = _or([f"`data.{t}`" for t in options], "or")
        return f"needs {article} {names} table; add {keys} to client.yaml"
    return None


def without_their_data(
    chapters: list[Chapter], tables: Collection[str], *, log: Callable[[str], Any]
) -> list[Chapter]:
    """The chapters whose required tables the client has; one log line per chapter left out.

    A chapter is kept when the client has every table of ``requires`` and, if it declares
    ``requires_any``, at least one of those.

    Examples
    --------
    >>> from pathlib import Path
    >>> chapters = [Chapter(Path("05_accounts.ipynb"), "Accounts", {}, {}, {}, ["accounts"])]
    >>> without_their_data(chapters, ["events"], log=print)
      05_accounts: left out (needs the accounts table; add `data.accounts` to client.yaml)
    []
    >>> value = Chapter(Path("06_customer_value.ipynb"), "Value", {}, {}, {}, [],
    ...                 ["orders", "events"])
    >>> without_their_data([value], ["spend"], log=print)  # doctest: +NORMALIZE_WHITESPACE
      06_customer_value: left out (needs an orders or events table; add `data.orders` or
      `data.events` to client.yaml)
    []
    >>> [c.stem for c in without_their_data([value], ["events"], log=print)]
    ['06_customer_value']
    """
    kept = []
    for chapter in chapters:
        reason = _lacking(chapter, tables)
        if reason:
            log(f"  {chapter.stem}: left out ({reason})")
        else:
            kept.append(chapter)
    return kept
