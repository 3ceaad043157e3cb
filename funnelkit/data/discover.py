"""Guess what each file of a client's exports is: a vendor export or a canonical table.

``funnelkit new NAME --from DIR`` starts a client from the folder of exports the client handed
over. :func:`discover` reads the header of every file in the folder (and of every subfolder: a
folder of daily files is one export) and guesses, from the columns only:

1. a **vendor export**, when the header holds a registered adapter's whole ``signature``
   (:data:`funnelkit.data.adapters.ADAPTERS`; the most specific signature wins);
2. a **canonical table**, when the header has every required column of a table of
   :data:`funnelkit.data.tables.TABLES`, by its canonical name or a synonym
   (:data:`funnelkit.data.column_hints.COLUMN_SYNONYMS`, English and Russian);
3. else **unknown**, with the reason (not a data file, unreadable, a table's columns missing).

Each canonical table is given to one file: canonical files first (the ones prepared for
funnelkit), then vendor exports, each in name order; a file whose tables are all taken is left
unplaced and says by which file. Nothing is written and no file is changed: only headers (and
the stage column of a CRM export) are read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from ..core.errors import FunnelkitError
from ..core.sql import lit, q
from .adapters import ADAPTERS
from .column_hints import COLUMN_SYNONYMS, column_key, matching_adapters
from .sources import connect, detect_format, file_columns
from .tables import TABLES, TableSpec
from .textfiles import inspect_text

__all__ = ["COLUMNS", "discover"]

#: The columns of :func:`discover`'s frame.
COLUMNS = ["path", "kind", "format", "table", "tables", "columns", "options", "stages",
           "header", "files", "reason"]  # fmt: skip

_TEXT = (".csv", ".tsv", ".txt", ".tab", ".gz")
_JSON = (".json", ".jsonl", ".ndjson")
_PARQUET = (".parquet", ".pq")
_EXCEL = (".xlsx", ".xlsm", ".xls")
#: Column names that hold a CRM deal's stage (as :func:`column_key` writes them).
_STAGE_NAMES = ("stage", "deal_stage", "dealstage", "stage_id", "status", "status_id",
                "pipeline_stage", "этап", "этап_сделки", "статус", "статус_сделки", "стадия",
                "стадия_сделки", "статус_лида")  # fmt: skip
_STAGE_VALUES = 40
_TITLE_LINES = 10
_FOLDER_TRIES = 5


def discover(folder: str | Path) -> pd.DataFrame:
    r"""One row per export in ``folder``: what it is, which tables it gives, and why.

    Columns: ``path`` (absolute), ``kind`` ("adapter", "table" or "unknown"), ``format`` (the
    adapter's ``format:`` name), ``table`` (the first table it gives, or ""), ``tables`` (all of
    them), ``columns`` (canonical -> file column, where they differ), ``options`` (other
    ``client.yaml`` keys, e.g. ``encoding``), ``stages`` (a CRM export: ``{"column": …,
    "values": [...]}``), ``header``, ``files`` (1, or the files of a folder) and ``reason``.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     _ = (Path(d) / "orders.csv").write_text("Номер заказа,Клиент,Дата,Сумма\n1,a,2026-10-01,5\n")
    ...     row = discover(d).iloc[0]
    >>> row["kind"], row["table"], row["columns"]["order_id"]
    ('table', 'orders', 'Номер заказа')
    """  # noqa: E501
    root = Path(folder).resolve()
    entries = sorted(p for p in root.iterdir() if not p.name.startswith((".", "~$")))
    rows = [_guess_folder(p) if p.is_dir() else _guess_file(p) for p in entries]
    _place(rows)
    return pd.DataFrame(rows, columns=COLUMNS)


def _row(path: Path, **values: Any) -> dict[str, Any]:
    row = {"path": path, "kind": "unknown", "format": "", "table": "", "tables": (),
           "columns": {}, "options": {}, "stages": None, "header": (), "files": 1,
           "reason": ""}  # fmt: skip
    row.update(values)
    return row


def _guess_folder(folder: Path) -> dict[str, Any]:
    """A subfolder is one export (daily files): an adapter must read it, from its first file."""
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    if not files:
        return _row(folder, files=0, reason="an empty folder")
    guesses = (_guess_file(p) for p in files[:_FOLDER_TRIES])  # a README may come first
    tried = []
    for first in guesses:
        tried.append(first)
        if first["kind"] == "adapter":
            break
    else:
        first = tried[0]
    row = _row(folder, header=first["header"], files=len(files))
    if first["kind"] != "adapter":
        why = first["reason"] or "not a vendor export"
        row["reason"] = (
            f"a folder of {len(files)} file(s) that no adapter reads ({first['path'].name}: "
            f"{why}); only a vendor export's daily files are read as one table: combine the "
            "files into one, or map a single file"
        )
        return row
    adapter = ADAPTERS[first["format"]]
    odd = [p.name for p in files if not p.name.lower().endswith(adapter.suffixes)]
    row.update({k: first[k] for k in ("kind", "format", "tables", "options", "stages")})
    row["reason"] = f"{len(files)} daily files; {first['reason']}"
    if odd:
        row["reason"] += (
            f"; {len(odd)} file(s) without the suffixes {', '.join(adapter.suffixes)} are "
            f"not read ({', '.join(odd[:3])})"
        )
    return row


def _guess_file(path: Path) -> dict[str, Any]:
    try:
        header, options = _header(path)
    except _NotData as err:
        return _row(path, reason=str(err))
    except FunnelkitError as err:
        return _row(path, reason=f"cannot be read: {err}")
    except (OSError, ValueError, UnicodeError) as err:  # one odd file never stops the command
        return _row(path, reason=f"cannot be read ({type(err).__name__}: {err})")
    row = _row(path, header=tuple(header), options=options)
    adapters = matching_adapters(header)
    below = None if adapters else _header_below_title(path, options)
    if below is not None:  # an ad platform's report: title lines above the header
        header = below[1]
        row["header"], adapters = tuple(header), matching_adapters(header)
    if adapters:
        adapter = adapters[0]  # it finds its own delimiter (a title line may have misled ours)
        row["options"] = {k: v for k, v in options.items() if k != "delimiter"}
        signature = ", ".join(sorted(adapter.signature_in(header) or adapter.signature))
        row.update(kind="adapter", format=adapter.format, tables=tuple(adapter.tables))
        row["reason"] = f"{adapter.vendor}, `format: {adapter.format}` (its header has {signature})"
        if below is not None:
            row["reason"] += f", on line {below[0]} below the report's title"
        if len(adapters) > 1:
            others = ", ".join(a.format for a in adapters[1:])
            row["reason"] += f"; also matches {others}, whose signatures are shorter"
        if "leads" in adapter.tables:
            row["stages"] = _stages(path, header, options, adapter.hints)
        return row
    matches = [m for spec in TABLES.values() if (m := _match(spec, header)) is not None]
    complete = [m for m in matches if m[2]]
    if complete and path.name.lower().endswith(_JSON):
        spec = max(complete, key=lambda m: m[3])[0]
        row["reason"] = (
            f"has the columns of the {spec.name} table, but JSON is read only by a vendor "
            "adapter (no registered adapter's signature matches): convert it to CSV or Parquet"
        )
        return row
    if complete:
        spec, mapping = max(complete, key=lambda m: m[3])[:2]
        renamed = {c: f for c, f in mapping.items() if c != f}
        try:
            detect_format(path)
        except FunnelkitError:  # .tab: text the loader reads when `format:` says so
            row["options"] = {"format": "csv", **options}
        row.update(kind="table", tables=(spec.name,), columns=renamed)
        named = ", ".join(f"{f} = {c}" for c, f in renamed.items())
        row["reason"] = f"a canonical {spec.name} table ({named or 'canonical column names'})"
        return row
    partial = max(matches, key=lambda m: _required_share(m[0], m[1]), default=None)
    if partial is not None and partial[1]:
        spec, mapping = partial[0], partial[1]
        lacking = [c for c in spec.required if c not in mapping]
        row["reason"] = (
            f"looks like {spec.name} (has {', '.join(mapping.values())}) but lacks "
            f"{', '.join(lacking)}; map it by hand if the export has them under other names"
        )
    else:
        row["reason"] = "no vendor signature and no canonical table's columns"
    return row


def _required_share(spec: TableSpec, mapping: dict[str, str]) -> tuple[float, int]:
    return sum(c in mapping for c in spec.required) / len(spec.required), len(mapping)


class _NotData(Exception):
    """A file funnelkit does not read (its reason is the message)."""


def _header(path: Path) -> tuple[list[str], dict[str, Any]]:
    """The file's column names and the ``client.yaml`` options needed to read them."""
    name = path.name.lower()
    if name.endswith(_TEXT):
        return _text_header(path)
    if name.endswith(_EXCEL):
        return file_columns(path, "excel", key=path.name), {}
    if name.endswith(_PARQUET):
        return _duck_header(f"read_parquet({lit(str(path))})"), {}
    if name.endswith(_JSON):
        return _duck_header(f"read_json_auto({lit(str(path))})"), {}
    if name.endswith(".avro"):
        return _avro_header(path), {}
    raise _NotData(f"not a data file funnelkit reads ({path.suffix or 'no extension'})")


def _avro_header(path: Path) -> list[str]:
    """The top-level fields of an Avro file's schema (read from its header only)."""
    import fastavro  # only an Avro file needs it

    try:
        with path.open("rb") as handle:
            schema = fastavro.reader(handle).writer_schema
    except Exception as err:  # fastavro raises many kinds for a damaged header
        raise _NotData(f"an Avro file that cannot be read ({err})") from err
    return [str(field["name"]) for field in (schema or {}).get("fields", [])]


def _text_header(path: Path) -> tuple[list[str], dict[str, Any]]:
    options: dict[str, Any] = {}
    try:
        inspect_text(path, encoding=None, delimiter=None, key=path.name)
    except FunnelkitError as err:  # not UTF-8: retry with the encoding the message names
        found = re.search(r"(UTF-16|cp1251|cp1252|latin-1)", str(err))
        if found is None:
            raise
        options["encoding"] = found[1].lower()
    columns = file_columns(path, "csv", encoding=options.get("encoding"), key=path.name)
    if len(columns) == 1 and len(columns[0].split()) > 1:  # fields separated by spaces
        options["delimiter"] = "whitespace"
        columns = file_columns(path, "csv", key=path.name, **options)
    return columns, options


def _header_below_title(path: Path, options: dict[str, Any]) -> tuple[int, list[str]] | None:
    """A vendor's header on one of the first lines of a text report (title lines above it)."""
    if not path.name.lower().endswith(_TEXT) or path.name.lower().endswith(".gz"):
        return None
    encoding = {"utf-16": "utf-16"}.get(options.get("encoding", ""), options.get("encoding"))
    try:
        with path.open(encoding=encoding or "utf-8-sig", errors="replace") as handle:
            lines = [handle.readline() for _ in range(_TITLE_LINES)]
    except (OSError, LookupError):
        return None
    for number, text in enumerate(lines[1:], start=2):
        delimiter = max(("\t", ";", ",", "|"), key=text.count)
        cells = [c.strip().strip('"') for c in text.rstrip("\r\n").split(delimiter)]
        if len(cells) > 1 and matching_adapters(cells):
            return number, cells
    return None


def _duck_header(scan: str) -> list[str]:
    """Top-level columns and, for structs, ``column.field`` (GA4's ``ecommerce.…``)."""
    import duckdb

    try:
        with connect() as con:
            relation = con.sql(f"SELECT * FROM {scan} LIMIT 0")
            names = list(relation.columns)
            for column, kind in zip(relation.columns, relation.types, strict=True):
                if kind.id == "struct":
                    names += [f"{column}.{child}" for child, _ in kind.children]
    except duckdb.Error as err:
        first = str(err).strip().splitlines()[0]
        raise _NotData(f"cannot be read ({first})") from None
    return names


def _match(
    spec: TableSpec, header: Iterable[str]
) -> tuple[TableSpec, dict[str, str], bool, tuple[float, int]] | None:
    """The file's columns for each canonical column of ``spec``: by name, then by synonym.

    Returns the mapping, whether it has every required column, and a score (share of the
    table's columns found, then how many). None when no required column is found.
    """
    keys: dict[str, str] = {}
    for name in header:
        keys.setdefault(column_key(name), name)
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for column in spec.columns:  # the canonical names first: they are never synonyms' victims
        if column.name in keys:
            mapping[column.name] = keys[column.name]
            used.add(column.name)
    for column in spec.columns:
        if column.name in mapping:
            continue
        synonyms = COLUMN_SYNONYMS.get(column.name, ())
        found = next((s for s in synonyms if s in keys and s not in used), None)
        if found is not None:
            mapping[column.name] = keys[found]
            used.add(found)
    required = [c for c in spec.required if c in mapping]
    if not required:
        return None
    complete = len(required) == len(spec.required)
    return spec, mapping, complete, (len(mapping) / len(spec.columns), len(mapping))


def _stages(
    path: Path, header: list[str], options: dict[str, Any], hints: dict[str, str] | Any
) -> dict[str, Any] | None:
    """The stage column of a CRM export and its values, most frequent first."""
    hinted = [c for c in header if "stage" in hints.get(c, "").lower()]
    named = [c for c in header if column_key(c) in _STAGE_NAMES]
    column = next(iter(hinted + named), None)
    if column is None:
        return None
    try:
        values = _distinct(path, column, options)
    except Exception:  # the stage list is a convenience: an unreadable value list is left out
        return {"column": column, "values": []}
    return {"column": column, "values": values}


def _distinct(path: Path, column: str, options: dict[str, Any]) -> list[str]:
    name = path.name.lower()
    if name.endswith(_EXCEL):
        frame = pd.read_excel(path, dtype=str, usecols=[column])
        counts = frame[column].dropna().str.strip().value_counts()
        return [str(v) for v in counts.index[:_STAGE_VALUES] if v]
    if name.endswith(_PARQUET):
        scan = f"read_parquet({lit(str(path))})"
    elif name.endswith(_JSON):
        scan = f"read_json_auto({lit(str(path))})"
    else:
        text = inspect_text(path, encoding=options.get("encoding"), delimiter=None, key=path.name)
        delim = f", delim = {lit(text.delimiter)}" if text.delimiter else ""
        scan = (
            f"read_csv({lit(str(text.path))}, header = true, all_varchar = true, "
            f"encoding = {lit(text.encoding)}, ignore_errors = true{delim})"
        )
    value = f"trim(CAST({q(column)} AS VARCHAR))"
    with connect() as con:
        rows = con.sql(
            f"SELECT {value} AS v, count(*) AS n FROM {scan} WHERE {value} <> '' "
            f"GROUP BY v ORDER BY n DESC, v LIMIT {_STAGE_VALUES}"
        ).fetchall()
    return [str(v) for v, _ in rows]


#: Tables whose exports add up: the costs of several ad platforms (each platform once: two
#: reports of one platform would overlap), the posts of several networks (Meta's Facebook and
#: Instagram exports share a format; a post exported twice is a load error).
COMBINED = {"spend": "other vendors", "social": "any"}


def _place(rows: list[dict[str, Any]]) -> None:
    """Give each canonical table to one file: canonical files first, then vendor exports.

    The exception: a table of :data:`COMBINED` read by adapters takes each of them (Google Ads'
    and Yandex Direct's costs are two halves of the spend; Instagram's and VK's posts too).
    """
    owner: dict[str, Path] = {}
    vendors: dict[str, set[str]] = {}  # table -> the adapters that gave it so far
    for kind in ("table", "adapter"):
        for row in (r for r in rows if r["kind"] == kind):
            wanted = row["tables"]  # an adapter's non-canonical `summary` is not a data: table
            adds = {
                t for t in wanted
                if t in COMBINED and t in vendors
                and (COMBINED[t] == "any" or row["format"] not in vendors[t])
            }  # fmt: skip
            free = tuple(t for t in wanted if t not in owner or t not in TABLES or t in adds)
            for t in free if kind == "adapter" else ():
                vendors.setdefault(t, set()).add(row["format"])
            if adds:
                row["reason"] += "; added to " + ", ".join(
                    f"{t} (with {owner[t].name})" for t in sorted(adds)
                )
            wanted = tuple(t for t in wanted if t not in adds)
            taken = [f"{t} (from {owner[t].name})" for t in wanted if t in owner]
            owner |= {t: row["path"] for t in free if t in TABLES}
            row["tables"], row["table"] = free, free[0] if free else ""
            if taken and not free:
                row["reason"] += (
                    f"; but {', '.join(taken)} {'is' if len(taken) == 1 else 'are'} already "
                    "placed: swap the paths in "
                    "client.yaml if this file is the right one"
                )
                row["kind"], row["format"], row["columns"] = "unknown", "", {}
            elif taken:
                row["reason"] += f"; {', '.join(taken)} comes from another file"
