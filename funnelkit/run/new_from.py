"""``funnelkit new NAME --from DIR``: a new client's ``data:`` section, written from its exports.

:func:`funnelkit.data.discover.discover` guesses what each file of ``DIR`` is; this module
writes the guesses into the new ``client.yaml`` as a commented ``data:`` mapping (what each file
was recognised as and why, ``format:`` for vendor exports, ``columns:`` for renamed canonical
columns, a ``stages:`` TODO listing a CRM's stage names) and lists what it could not place.

The exports are **referenced where they lie, never copied or changed**: a path relative to the
client folder when ``DIR`` is inside the current working directory (the project, so the two move
together), else an absolute path.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from ..data.tables import TABLES

__all__ = [
    "data_section",
    "export_path",
    "summary",
    "unplaced_lines",
    "write_data_section",
]

_WIDTH = 100


def export_path(path: Path, *, client_dir: Path, cwd: Path | None = None) -> str:
    """How ``client.yaml`` names an export: relative to the client folder inside the project.

    Examples
    --------
    >>> export_path(Path("/p/exports/a.csv"), client_dir=Path("/p/clients/acme"), cwd=Path("/p"))
    '../../exports/a.csv'
    >>> export_path(Path("/mnt/x/a.csv"), client_dir=Path("/p/clients/acme"), cwd=Path("/p"))
    '/mnt/x/a.csv'
    """
    path, client_dir = Path(path).absolute(), Path(client_dir).absolute()
    cwd = (cwd or Path.cwd()).absolute()
    if path.is_relative_to(cwd) and client_dir.is_relative_to(cwd):
        return Path(os.path.relpath(path, client_dir)).as_posix()
    return path.as_posix()


def _value(key: str, value: Any) -> str:
    """One ``key: value`` line, quoted as YAML needs (flow style for a mapping)."""
    if isinstance(value, dict):
        text = yaml.safe_dump(
            value, default_flow_style=True, allow_unicode=True, sort_keys=False, width=10**6
        )
        return f"{key}: {text.strip()}"
    return yaml.safe_dump({key: value}, allow_unicode=True, width=10**6).strip()


def _comment(text: str, indent: str) -> list[str]:
    return textwrap.wrap(
        text, _WIDTH, initial_indent=f"{indent}# ", subsequent_indent=f"{indent}#   ",
        break_on_hyphens=False, break_long_words=False,
    )  # fmt: skip


def _stage_lines(stages: dict[str, Any] | None) -> list[str]:
    indent = "    "
    if not stages:
        return _comment(
            "stages: TODO: the export has no stage column funnelkit recognised; list the CRM's "
            "stage names that mark each step, e.g. {mql: [...], sql: [...], won: [...]}",
            indent,
        )
    lines = _comment(
        f"stages: TODO: say which of the stage names of column {stages['column']!r} mark each "
        "step (mql, sql, won; lost is optional). The file's stage names, most frequent first"
        f"{':' if stages['values'] else ': none could be read'}",
        indent,
    )
    lines += [f"{indent}#   - {_value('x', v)[3:]}" for v in stages["values"]]
    return [*lines, f"{indent}# stages:", *(f"{indent}#   {s}: []" for s in ("mql", "sql", "won"))]


def data_section(found: pd.DataFrame, *, client_dir: Path, source: Path) -> str:
    """The ``data:`` section of ``client.yaml`` for the rows of :func:`discover`, commented.

    One entry per canonical table a file gives (in the order of
    :data:`~funnelkit.data.tables.TABLES`), each under a comment saying what the file was
    recognised as and why; the files nobody placed are listed after it as comments.

    Examples
    --------
    >>> from funnelkit.data.discover import COLUMNS
    >>> row = dict.fromkeys(COLUMNS, "") | {"path": Path("/p/x/o.csv"), "kind": "table",
    ...        "tables": ("orders",), "columns": {"revenue": "Сумма"}, "options": {},
    ...        "reason": "a canonical orders table", "header": ()}
    >>> text = data_section(pd.DataFrame([row]), client_dir=Path("/p/c/a"), source=Path("/p/x"))
    >>> print(text[text.index("data:"):].strip())
    data:
      # o.csv: a canonical orders table
      orders:
        path: /p/x/o.csv
        columns: {revenue: Сумма}
    """
    by_table: dict[str, list[pd.Series]] = {}
    for _, row in found.iterrows():
        for t in row["tables"]:
            by_table.setdefault(t, []).append(row)
    relative = not Path(export_path(source, client_dir=client_dir)).is_absolute()
    where = (
        "paths relative to this folder" if relative
        else "absolute paths: the exports are outside the current project folder"
    )  # fmt: skip
    lines = _comment(
        f"`funnelkit new --from {source}` wrote this section: each file is read where it lies, "
        f"not copied ({where}). Check every guess, then run `funnelkit check` on this folder.",
        "",
    )
    if not by_table:
        lines.append("data: {}")
    else:
        lines.append("data:")
    for table in (t for t in TABLES if t in by_table):
        rows = by_table[table]
        if len(rows) > 1:  # several vendors' exports of one table (costs of two ad platforms)
            lines += _comment(f"{len(rows)} exports, appended: {table} is the sum of them", "  ")
        if len(rows) == 1:
            lines += _comment(_about(rows[0]), "  ")
            lines.append(f"  {table}:")
            lines += _source_lines(rows[0], table, client_dir=client_dir, listed=False)
            continue
        lines.append(f"  {table}:")
        for row in rows:
            lines += _comment(_about(row), "    ")
            lines += _source_lines(row, table, client_dir=client_dir, listed=True)
    elsewhere = [
        (row, table)
        for _, row in found[found["kind"] == "adapter"].iterrows()
        for table in row["tables"]
        if table not in TABLES
    ]
    for row, table in elsewhere:  # e.g. a testing tool's results: an experiment's `summary`
        path = export_path(Path(row["path"]), client_dir=client_dir)
        lines += _comment(
            f"{Path(row['path']).name}: {row['reason']}. It is not a `data:` table but an "
            f"experiment's `{table}`: under `experiments:` add `- name: <experiment>` with "
            f"`{table}: {{path: {path}, format: {row['format']}}}` (and its control and goal).",
            "",
        )
    unplaced = unplaced_lines(found)
    if unplaced:
        lines.append("# Not placed (map them by hand if they hold data funnelkit reads):")
        for line in unplaced:
            lines += _comment(f"- {line}", "")
    return "\n".join(lines) + "\n"


def _source_lines(row: pd.Series, table: str, *, client_dir: Path, listed: bool) -> list[str]:
    """The lines of one export under ``data.<table>:`` (an item of a list when ``listed``)."""
    indent = "      " if listed else "    "
    entries = [_value("path", export_path(Path(row["path"]), client_dir=client_dir))]
    if row["format"]:
        entries.append(_value("format", row["format"]))
    if row["columns"]:
        entries.append(_value("columns", dict(row["columns"])))
    entries += [_value(key, value) for key, value in row["options"].items()]
    lines = [
        (indent[:-2] + "- " if listed and i == 0 else indent) + entry
        for i, entry in enumerate(entries)
    ]
    if row["kind"] == "adapter" and table == "leads":
        lines += _stage_lines(row["stages"])
    return lines


def _about(row: pd.Series) -> str:
    """The comment above an export's entry: its name and what it was recognised as."""
    path = Path(row["path"])
    return f"{path.name}{'/' if path.is_dir() else ''}: {row['reason']}"


def unplaced_lines(found: pd.DataFrame) -> list[str]:
    """One line per file not placed: its name, its columns and why.

    Examples
    --------
    >>> row = {"path": Path("x.pdf"), "kind": "unknown", "header": (), "reason": "a PDF"}
    >>> unplaced_lines(pd.DataFrame([row]))
    ['x.pdf: a PDF']
    """
    lines = []
    for _, row in found[found["kind"] == "unknown"].iterrows():
        header = list(row["header"])
        columns = f" {header[:8]}{' …' if len(header) > 8 else ''}" if header else ""
        lines.append(f"{Path(row['path']).name}{columns}: {row['reason']}")
    return lines


def write_data_section(config: Path, section: str) -> None:
    """Replace the template's ``data: {}`` line (and the commented example after it)."""
    lines = config.read_text(encoding="utf-8").splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.startswith("data:")), None)
    if start is None:  # a template of one's own without `data:`
        config.write_text("".join(lines) + section, encoding="utf-8")
        return
    end = start + 1
    while end < len(lines) and lines[end].startswith("#  "):
        end += 1
    config.write_text("".join([*lines[:start], section, *lines[end:]]), encoding="utf-8")


def summary(found: pd.DataFrame, *, name: str, dest: Path, exports: Path) -> str:
    """What ``funnelkit new --from`` prints: each file placed, each file not, the next steps."""
    config = dest / "client.yaml"
    lines = [f"Created {dest}/ for {name!r} from {exports}/ (files read in place, not copied):"]
    for _, row in found[found["kind"] != "unknown"].iterrows():
        what = f"`format: {row['format']}`" if row["format"] else "a canonical table"
        tables = [t if t in TABLES else f"experiments[].{t}" for t in row["tables"]]
        lines.append(f"  {Path(row['path']).name}: {', '.join(tables)} ({what})")
    unplaced = unplaced_lines(found)
    if unplaced:
        lines.append(f"Not placed ({len(unplaced)}; listed at the end of `data:` too):")
        lines += [f"  {line}" for line in unplaced]
    crm = any(row["kind"] == "adapter" and "leads" in row["tables"] for _, row in found.iterrows())
    lines += [
        "Next steps:",
        f"  1. Check the guesses in {config} and set the period, timezone and currency"
        + (" (and `stages:` of the CRM export)" if crm else ""),
        f"  2. funnelkit check {dest}   (says what the data cover)",
        f"  3. funnelkit run {dest}",
    ]
    return "\n".join(lines)
