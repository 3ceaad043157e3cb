"""Source adapters: vendors' exports read as the canonical tables, inside the loader.

A consultant's client hands over what their tools export — a GA4 BigQuery export, a Yandex
Metrica Logs API download, ad platforms' cost reports, a CRM's deals — not tidy canonical files.
``client.yaml`` names the export's kind with ``format:`` (``data.events.format: ga4_export``)
and the loader reads it through its :class:`Adapter`:

1. the adapter lists the export's files (:func:`adapter_files`: one file, or a folder of daily
   files read as one table),
2. builds the *raw scan* — a TEMP view or table with a ``__row`` column and the **canonical**
   column names (``user_id``, ``timestamp``, ``event`` …), the values as the vendor wrote them
   or already typed — and says how to read them (:class:`~funnelkit.data.sources.RawScan`,
   ``layout``: decimal comma, time format, Unix-time unit),
3. and the loader validates that scan exactly as it validates a canonical file: missing and
   unreadable values, duplicates, time zones, references — with the file, the column, the rows
   and the fix.

Each adapter is written from the vendor's published schema, named in its module docstring, and
documented in ``docs/data.md`` with its mapping table. ``columns:`` in ``client.yaml`` overrides
an adapter's default vendor field for a canonical column (``columns: {user_id: user_id}`` reads
GA4's ``user_id`` instead of ``user_pseudo_id``).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...core.errors import ConfigError, DataError

if TYPE_CHECKING:
    import duckdb

    from ..sources import RawScan

__all__ = ["ADAPTERS", "Adapter", "adapter_files", "find_adapter", "register"]


@dataclass(frozen=True)
class Adapter:
    """One vendor export: what it is, where its schema is published, what it becomes.

    Attributes
    ----------
    format : str
        The ``format:`` value in ``client.yaml`` (``ga4_export``, ``metrica_hits`` …).
    vendor : str
        The export in words ("Google Analytics 4 BigQuery export").
    schema : str
        The vendor document the adapter follows (title and address).
    tables : Mapping[str, Mapping[str, str]]
        Canonical table -> canonical column -> the vendor field it comes from (words, for the
        docs and the error messages).
    suffixes : tuple of str
        File suffixes read from a folder (``(".parquet", ".jsonl")``).
    build : callable
        ``build(con, raw, files, source, table=...) -> RawScan``: creates the raw scan ``raw``
        of canonical ``table`` from ``files`` (``source`` is the table's ``TableSource``).
    signature : frozenset of str
        Column names that together identify the export (``funnelkit new --from`` and the
        loader's hints match a file's header against them).
    hints : Mapping[str, str]
        Vendor column -> what it is ("looks like a user id; map it with `columns.user_id`").
    signatures : tuple of frozenset of str
        Other spellings of the signature (the vendor's interface in another language: Google
        Ads' Russian UI writes "День", "Кампания", "Стоимость", "Показы").
    """

    format: str
    vendor: str
    schema: str
    tables: Mapping[str, Mapping[str, str]]
    suffixes: tuple[str, ...]
    build: Callable[..., RawScan]
    signature: frozenset[str] = frozenset()
    hints: Mapping[str, str] = field(default_factory=dict)
    signatures: tuple[frozenset[str], ...] = ()

    def signature_in(self, columns: list[str] | tuple[str, ...]) -> frozenset[str] | None:
        """The longest of the adapter's signatures whose every name is among ``columns``.

        Names are compared without case (an export re-saved by a spreadsheet keeps its fields).
        """
        names = {c.strip().casefold() for c in columns}
        found = [
            s for s in (self.signature, *self.signatures)
            if s and {n.casefold() for n in s} <= names
        ]  # fmt: skip
        return max(found, key=len, default=None)

    def build_raw(
        self,
        con: duckdb.DuckDBPyConnection,
        raw: str,
        path: Path,
        source: Any,
        *,
        table: str,
        currency: str | None = None,
    ) -> RawScan:
        """Create the raw scan of ``table`` from the export at ``path`` (file or folder).

        ``currency`` (the client's) is passed on to a ``build`` that has a ``currency``
        parameter (the ad platforms' reports check theirs against it).
        """
        if table not in self.tables:
            raise ConfigError(
                f"data.{table}: format `{self.format}` ({self.vendor}) gives the "
                f"{_names(self.tables)} table(s), not `{table}`; remove `format:` or read "
                f"`{table}` from another export."
            )
        files = adapter_files(path, self, key=f"data.{table}")
        extra = (
            {"currency": currency} if "currency" in inspect.signature(self.build).parameters else {}
        )
        return self.build(con, raw, files, source, table=table, **extra)


#: Every adapter by its ``format:`` name (filled by the vendor modules at import).
ADAPTERS: dict[str, Adapter] = {}


def _names(tables: Mapping[str, Any]) -> str:
    return ", ".join(f"`{t}`" for t in tables)


def register(adapter: Adapter) -> Adapter:
    """Add an adapter to :data:`ADAPTERS` (a vendor module calls this once)."""
    ADAPTERS[adapter.format] = adapter
    return adapter


def find_adapter(fmt: str | None) -> Adapter | None:
    """The adapter of a ``format:`` value, or None for the plain formats (csv, parquet, excel).

    Examples
    --------
    >>> find_adapter("csv") is None
    True
    """
    return ADAPTERS.get(fmt or "")


def adapter_files(path: Path, adapter: Adapter, *, key: str) -> list[Path]:
    """The export's files: ``path`` itself, or the folder's files with the adapter's suffixes.

    Files are read in name order (daily exports are named by date, ``events_20240101``).

    Raises
    ------
    ConfigError
        The path does not exist, or the folder holds no file the adapter reads.
    """
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise ConfigError(
            f"{key}.path: '{path}' does not exist; give the {adapter.vendor} file or the folder "
            "holding its daily files."
        )
    files = sorted(
        p for p in path.iterdir()
        if p.is_file() and not p.name.startswith(".")
        and any(p.name.lower().endswith(s) for s in adapter.suffixes)
    )  # fmt: skip
    if not files:
        present = sorted(p.name for p in path.iterdir())[:10]
        raise ConfigError(
            f"{key}.path: the folder '{path.name}' holds no {adapter.vendor} file (looked for "
            f"{', '.join(adapter.suffixes)}; found {present or 'nothing'}). Put the export there "
            "or fix the path."
        )
    empty = [p.name for p in files if p.stat().st_size == 0]
    if empty:
        raise DataError(
            f"{key}: {', '.join(empty[:5])} in '{path.name}' is empty (0 bytes); export it again "
            "or remove it from the folder."
        )
    return files


def _load_vendor_modules() -> None:
    """Import the vendor modules so that each registers its adapters."""
    import importlib

    for module in _VENDOR_MODULES:
        importlib.import_module(f"{__name__}.{module}")


#: The vendor modules, each registering its adapters when imported.
_VENDOR_MODULES: tuple[str, ...] = (
    "ads", "crm", "email_reports", "experiments", "ga4", "metrica", "social"
)  # fmt: skip
_load_vendor_modules()
