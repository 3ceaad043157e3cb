"""Notebook parameters: what a notebook declares, and checking values before anything runs.

papermill's own inspection skips lines it cannot parse (a help comment with ``=``, annotations
such as ``str | None``); :func:`inspect_parameters` parses the ``parameters`` cell with ``ast``
as well, so every declared parameter is known. :func:`check_parameters` then refuses unknown
names and wrong types with a message naming the notebook, the parameter and the fix.
"""

from __future__ import annotations

import ast
import functools
import io
import logging
import re
import tokenize
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import nbformat
import papermill

from ..core.errors import ParameterError, ReportError, did_you_mean

__all__ = ["check_parameters", "inspect_parameters", "quiet_papermill", "unknown_cli_parameters"]


@contextmanager
def quiet_papermill() -> Iterator[None]:
    """Silence papermill's warnings on parameters its parser skips; funnelkit checks them."""
    logger = logging.getLogger("papermill")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


_TYPES: dict[str, tuple[type, ...]] = {
    "int": (int,),
    "float": (int, float),
    "str": (str,),
    "bool": (bool,),
    "list": (list, tuple),
    "dict": (dict,),
    "none": (type(None),),
    "nonetype": (type(None),),
}


def _cell_parameters(source: str) -> dict[str, dict[str, str]]:
    """Parse a parameters cell with ``ast``.

    papermill's line parser skips lines whose help comment contains ``=`` and annotations such
    as ``str | None``; this parse does not.
    """
    try:
        tree = ast.parse(source)
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (SyntaxError, tokenize.TokenError):
        return {}
    comments = {
        t.start[0]: t.string.lstrip("#").strip() for t in tokens if t.type == tokenize.COMMENT
    }
    found = {}
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value:
            name, annotation = node.target.id, ast.unparse(node.annotation)
        elif isinstance(node, ast.Assign) and [type(t) for t in node.targets] == [ast.Name]:
            name, annotation = node.targets[0].id, "None"
        else:
            continue
        found[name] = {
            "name": name,
            "inferred_type_name": annotation,
            "default": ast.unparse(node.value),
            "help": comments.get(node.end_lineno, ""),
        }
    return found


@functools.lru_cache(maxsize=64)
def _inspect_cached(path: str, _mtime_ns: int) -> dict[str, dict[str, str]]:
    with quiet_papermill():
        by_papermill = papermill.inspect_notebook(path)
    nb = nbformat.read(path, as_version=4)
    cell = next((c for c in nb.cells if "parameters" in c.metadata.get("tags", [])), None)
    by_ast = _cell_parameters(cell.source) if cell is not None else {}
    merged = {name: by_papermill.get(name, spec) for name, spec in by_ast.items()}
    merged.update({name: spec for name, spec in by_papermill.items() if name not in merged})
    return merged


def inspect_parameters(notebook: str | Path) -> dict[str, dict[str, str]]:
    """A notebook's parameters: name -> ``{name, inferred_type_name, default, help}``.

    ``papermill.inspect_notebook``, completed by an ``ast`` parse of the ``parameters`` cell for
    the lines papermill's parser skips (a help comment containing ``=``, ``X | None``
    annotations). Cached per file and modification time.

    Examples
    --------
    >>> sorted(_cell_parameters('n: int = 3  # rows to show; 0 = all').items())[0][1]["help"]
    'rows to show; 0 = all'
    """
    path = Path(notebook).resolve()
    if not path.is_file():
        raise ReportError(f"{path}: notebook not found; check the path (see `funnelkit params`).")
    return dict(_inspect_cached(str(path), path.stat().st_mtime_ns))


def _type_names(annotation: str) -> list[str] | None:
    """``'list[str] | None'`` -> ``['list', 'none']``; None when the type is not checkable."""
    text = annotation.strip()
    if text in {"", "None"}:  # papermill's "no annotation"
        return None
    optional = re.fullmatch(r"(?:typing\.)?Optional\[(.*)\]", text)
    parts, depth, current = [], 0, ""
    for char in optional[1] if optional else text:
        depth += {"[": 1, "]": -1}.get(char, 0)
        if char == "|" and depth == 0:
            parts, current = [*parts, current], ""
        else:
            current += char
    parts = [p.split("[")[0].strip().removeprefix("typing.").lower() for p in [*parts, current]]
    parts += ["none"] if optional else []
    return parts if all(p in _TYPES for p in parts) else None


def _type_ok(value: Any, names: list[str]) -> bool:
    for name in names:
        if isinstance(value, bool) and name in {"int", "float"}:
            continue
        if isinstance(value, _TYPES[name]):
            return True
    return False


def check_parameters(
    notebook: str,
    values: Mapping[str, Any],
    declared: Mapping[str, Mapping[str, str]],
    *,
    origin: Mapping[str, str] | None = None,
) -> None:
    """Check names and types of the parameters to inject into one notebook, before it runs.

    Raises
    ------
    ParameterError
        For a name the notebook does not declare, or a value whose type does not match the
        declared annotation (``int`` is accepted for ``float``).

    Examples
    --------
    >>> spec = {"top_events": {"inferred_type_name": "int"}}
    >>> check_parameters("00_data_health.ipynb", {"top_events": "20"}, spec)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    funnelkit.core.errors.ParameterError: 00_data_health.ipynb: parameter `top_events` ...
    """
    origin = origin or {}
    for name, value in values.items():
        where = f" in {origin[name]}" if name in origin else ""
        if name not in declared:
            hint = did_you_mean(name, list(declared))
            raise ParameterError(
                f"{notebook}: unknown parameter `{name}`{where}; this notebook declares "
                f"{sorted(declared)}.{hint} Fix the name; `funnelkit params {notebook}` "
                "lists the parameters."
            )
        annotation = declared[name].get("inferred_type_name", "None")
        names = _type_names(annotation)
        if names is not None and not _type_ok(value, names):
            quote = " (quote dates and numbers meant as text in YAML)" if "str" in names else ""
            raise ParameterError(
                f"{notebook}: parameter `{name}` expects {annotation}, but {value!r} "
                f"({type(value).__name__}) was given{where}; fix the value{quote}."
            )


def unknown_cli_parameters(
    parameters: Mapping[str, Any], declared: Mapping[str, Mapping[str, Any]], *, notebooks_dir: Path
) -> None:
    """Raise ``ParameterError`` for a command-line parameter that no notebook declares."""
    everything = sorted({name for params in declared.values() for name in params})
    for name in parameters:
        if name not in everything:
            hint = did_you_mean(name, everything)
            raise ParameterError(
                f"parameter `{name}` (given with -p/-y) is declared by no notebook in "
                f"{notebooks_dir}; the declared parameters are {everything}.{hint}"
            )
