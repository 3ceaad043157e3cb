"""``data.<table>`` in ``client.yaml``: where each export lies and how it is written.

Part of the ``client.yaml`` schema (:mod:`funnelkit.data.config` re-exports these names). Every key
describes the file as it is; nothing here changes a file. :func:`check_sources` checks the files
against the mapping by reading their headers only.
"""

from __future__ import annotations

import codecs
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    ValidationInfo,
    field_validator,
    model_validator,
)

from ..core.errors import ConfigError, did_you_mean
from .adapters import ADAPTERS, adapter_files, find_adapter
from .column_hints import column_hint, one_column_hint
from .sources import FORMATS, detect_format, file_columns
from .tables import TABLES

if TYPE_CHECKING:
    from .config import ClientConfig

__all__ = ["DEAL_COLUMNS", "DataSection", "DealsSource", "TableSource", "check_sources"]

#: The ``leads`` columns a separate deals file (``data.deals``) may give.
DEAL_COLUMNS = ("won_at", "value")

_ENCODINGS = ("utf-8", "cp1251", "latin-1", "cp1252", "utf-16")


class Strict(BaseModel):
    """A part of ``client.yaml``: unknown keys are errors, strings are trimmed."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class TableSource(Strict):
    """Where one canonical table comes from, how its columns are named and its values written."""

    path: str = Field(
        description="File path, relative to the client folder (a folder for a vendor export "
        "of daily files)."
    )
    format: str | None = Field(
        default=None,
        description="csv, parquet or excel (default: from the extension), or a vendor export "
        "read by an adapter (funnelkit.data.adapters), e.g. ga4_export.",
    )
    stages: dict[str, list[str]] | None = Field(
        default=None,
        description="A CRM export's stage names per funnel step: mql, sql, won (and lost), "
        "e.g. {won: ['Успешно реализовано']}.",
    )
    columns: dict[str, str] = Field(
        default_factory=dict,
        description="Canonical column name -> the column's name in the file, where they differ.",
    )
    timestamp_format: str | None = Field(
        default=None, description="strftime format of the time columns, e.g. '%d.%m.%Y %H:%M'."
    )
    timestamp_unit: Literal["s", "ms", "us"] | None = Field(
        default=None, description="Time columns hold Unix time in seconds, ms or µs (UTC)."
    )
    sheet: str | int | None = Field(
        default=None, description="Excel sheet: its name, or its position counted from 0."
    )
    delimiter: Annotated[str, StringConstraints(strip_whitespace=False)] | None = Field(
        default=None,
        description="Field separator of a text file: ';', ',', '|', 'tab', or 'whitespace' "
        "(runs of spaces or tabs); detected from the header line when absent.",
    )
    encoding: str | None = Field(
        default=None, description="Text encoding, e.g. cp1251 or latin-1 (default UTF-8)."
    )
    decimal: Literal[".", ","] = Field(default=".", description="Decimal separator of numbers.")
    thousands: Literal[" ", ",", ".", "'"] | None = Field(
        default=None, description="Thousands separator of numbers (' ' also means no-break space)."
    )
    currency_signs: bool = Field(
        default=False,
        description="Money may carry the client currency's sign or code ('€12.50', '12,50 ₽').",
    )
    skip_footer: int = Field(
        default=0, ge=0, description="Summary lines at the end of the file that are not data."
    )

    @field_validator("format")
    @classmethod
    def _known_format(cls, value: str | None) -> str | None:
        if value is None or value in FORMATS or find_adapter(value) is not None:
            return value
        known = [*FORMATS, *sorted(ADAPTERS)]
        hint = did_you_mean(value, known, sentence=False)
        raise ValueError(f"unknown format {value!r}; use one of {known}{hint}")

    @field_validator("delimiter")
    @classmethod
    def _known_delimiter(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = {"tab": "\t", "\\t": "\t"}.get(value, value)
        if value == "whitespace" or (len(value) == 1 and value not in '"\r\n'):
            return value
        raise ValueError(
            f"delimiter must be one character such as ';', ',', '|', 'tab', or 'whitespace' "
            f"(fields separated by runs of spaces), got {value!r}"
        )

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            codecs.lookup(value)
        except LookupError:
            hint = did_you_mean(value.lower(), _ENCODINGS, sentence=False)
            raise ValueError(
                f"unknown encoding {value!r}; use a name such as {list(_ENCODINGS)}{hint}"
            ) from None
        return value

    @model_validator(mode="after")
    def _consistent(self) -> TableSource:
        if self.thousands is not None and self.thousands == self.decimal:
            raise ValueError(
                f"`thousands` and `decimal` are both {self.decimal!r}; a number layout needs two "
                "different separators (e.g. decimal ',' with thousands ' ' or '.')"
            )
        if self.timestamp_format and self.timestamp_unit:
            raise ValueError(
                "set either `timestamp_format` (times written as text) or `timestamp_unit` "
                "(Unix times), not both"
            )
        return self


class DealsSource(TableSource):
    """``data.deals``: a CRM's closed deals, a file of its own joined to the leads by a key.

    ``key`` names the deals file's column holding the lead id (canonical ``lead_id`` of the
    leads table); ``columns`` maps ``won_at`` and ``value`` to the file's names. The loader
    joins them into the canonical ``leads`` table (:mod:`funnelkit.data.deals`).
    """

    key: str = Field(
        min_length=1, description="Column of the deals file holding the lead id (leads.lead_id)."
    )

    @field_validator("columns")
    @classmethod
    def _deal_columns(cls, value: dict[str, str]) -> dict[str, str]:
        for canonical in value:
            if canonical not in DEAL_COLUMNS:
                raise ValueError(
                    f"`columns.{canonical}`: a deals file gives only {list(DEAL_COLUMNS)} to the "
                    f"leads table{did_you_mean(canonical, DEAL_COLUMNS, sentence=False)}; "
                    "other lead columns come from `data.leads`"
                )
        return value


#: How a union's branch shows in a validation error's location; config errors leave it out.
ONE, SEVERAL = "<one export>", "<list of exports>"

#: A table read from one export, or from several appended (e.g. spend from two ad platforms).
Sources = Annotated[
    Annotated[TableSource, Tag(ONE)] | Annotated[list[TableSource], Tag(SEVERAL)],
    Discriminator(lambda value: SEVERAL if isinstance(value, list) else ONE),
]


class DataSection(Strict):
    """``data:``: one export per canonical table, or a list of exports whose rows are combined.

    A list (``spend: [{path: google_ads.csv, format: google_ads}, {path: direct.csv, format:
    yandex_direct}]``) is read file by file, each checked on its own, then appended; a unique
    id (order, lead, account) found in two of the files is an error naming both.
    """

    events: Sources | None = None
    orders: Sources | None = None
    spend: Sources | None = None
    leads: Sources | None = None
    nps: Sources | None = None
    social: Sources | None = None
    email: Sources | None = None
    accounts: Sources | None = None
    assignments: TableSource | None = Field(
        default=None,
        description="One file: an experiment's assignments are read row for row with their "
        "other columns.",
    )
    deals: DealsSource | None = Field(
        default=None, description="Closed deals in a file of their own, joined to `leads`."
    )

    @field_validator(
        "events", "orders", "spend", "leads", "nps", "social", "email", "accounts", mode="after"
    )
    @classmethod
    def _one_or_more(cls, value: Sources | None) -> Sources | None:
        if not isinstance(value, list):
            return value
        if not value:
            raise ValueError("an empty list: give at least one export, or remove the key")
        paths = [s.path for s in value]
        repeated = sorted({p for p in paths if paths.count(p) > 1})
        same = [p for p in repeated if len({s.format for s in value if s.path == p}) == 1]
        if same:
            raise ValueError(
                f"the list names {same} twice, which would count its rows twice; keep one entry"
            )
        return value[0] if len(value) == 1 else value

    @field_validator("assignments", "deals", mode="before")
    @classmethod
    def _one_file(cls, value: object, info: ValidationInfo) -> object:
        if isinstance(value, list):
            raise ValueError(
                f"`{info.field_name}` is read from one file, not a list; combine the exports "
                "into one file (same columns), or keep one of them"
            )
        return value

    def sources(self, table: str) -> list[TableSource]:
        """The exports of one canonical table, in the order given (empty if it has none)."""
        value = getattr(self, table)
        return [] if value is None else value if isinstance(value, list) else [value]

    @model_validator(mode="after")
    def _deals_need_leads(self) -> DataSection:
        if self.deals is None:
            return self
        if isinstance(self.leads, list):
            raise ValueError(
                "`data.deals` is joined to one leads export, but `data.leads` is a list; give "
                "one leads export with `data.deals`, or put the deal columns in each CRM export"
            )
        if self.leads is None:
            raise ValueError(
                "`data.deals` is joined to the leads table, but `data.leads` is not set; add "
                "`data.leads` (lead_id, created_at, channel) or remove `data.deals`"
            )
        both = [c for c in DEAL_COLUMNS if c in self.leads.columns]  # type: ignore[union-attr]
        if both:
            raise ValueError(
                f"`data.leads.columns` maps {both}, which `data.deals` gives; remove them from "
                "`data.leads.columns` (with `data.deals`, won_at and value come from the deals "
                "file)"
            )
        return self


def check_sources(config: ClientConfig, source: str) -> None:
    """Check every configured file: it exists, is readable, and has the mapped columns.

    Raises
    ------
    ConfigError
        A path, sheet or column mapping of ``client.yaml`` does not match the files.
    DataError
        A file is empty, not text, not in the declared encoding, or damaged.
    """
    for name, table, key in _entries(config):
        path = config.source_path(table)
        adapter = find_adapter(table.format)
        if adapter is not None:  # a vendor export: the adapter checks its own files and fields
            if name not in adapter.tables:
                raise ConfigError(
                    f"{source}: `{key}.format` is `{adapter.format}` ({adapter.vendor}), which "
                    f"gives the {', '.join(f'`{t}`' for t in adapter.tables)} table(s), not "
                    f"`{name}`; remove `format:` or read `{name}` from another export."
                )
            adapter_files(path, adapter, key=f"{source}: `{key}`")
            continue
        if not path.is_file():
            folder = path.parent
            present = sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []
            raise ConfigError(
                f"{source}: `{key}.path` points to '{table.path}', which does not exist "
                f"(looked for {path}). Files in {folder}: {present or 'none'}. "
                "Put the export there or fix the path."
            )
        fmt = detect_format(path, table.format, key=f"{source}: `{key}.path`")
        if fmt == "parquet" and table.skip_footer:
            raise ConfigError(
                f"{source}: `{key}.skip_footer` applies to CSV and Excel exports, but "
                f"'{table.path}' is Parquet; remove the key."
            )
        spec = TABLES[name]
        for canonical in table.columns:
            if canonical not in spec.names:
                raise ConfigError(
                    f"{source}: `{key}.columns.{canonical}` is not a column of the canonical "
                    f"`{name}` table, whose columns are {spec.names}"
                    f"{did_you_mean(canonical, spec.names, sentence=False)} "
                    "Map canonical names to your file's names."
                )
        present = file_columns(
            path,
            fmt,
            delimiter=table.delimiter,
            sheet=table.sheet,
            encoding=table.encoding,
            key=key,
        )
        for canonical, actual in table.columns.items():
            if actual not in present:
                raise ConfigError(
                    f"{path.name}: column '{actual}' (mapped by `{key}.columns.{canonical}`) is "
                    f"not in the file; its columns are {present}"
                    f"{did_you_mean(actual, present, sentence=False)} "
                    "Fix the mapping or the export."
                )
        mapped_from = set(table.columns.values())
        for required in spec.required:
            actual = table.columns.get(required, required)
            if actual not in present or (required not in table.columns and actual in mapped_from):
                raise ConfigError(
                    f"{path.name}: the `{name}` table needs a '{required}' column, which the file "
                    f"does not have; its columns are {present}. Add "
                    f"`{key}.columns.{required}: <your column name>` to {source}."
                    + (
                        one_column_hint(present, key)
                        or column_hint(present, table=name, column=required, key=key)
                    )
                )
    if config.data.deals is not None:
        _check_deals(config, config.data.deals, source)


def _entries(config: ClientConfig) -> list[tuple[str, TableSource, str]]:
    """Every export of ``data:`` as (table, source, key); a list's entries counted from 1."""
    return [
        (name, source, f"data.{name}" + (f"[{i}]" if len(sources) > 1 else ""))
        for name, sources in config.tables().items()
        for i, source in enumerate(sources, start=1)
    ]


def _check_deals(config: ClientConfig, deals: DealsSource, source: str) -> None:
    """Check the deals file of ``data.deals``: it exists and has the key and mapped columns."""
    path = (config.client_dir / deals.path).resolve()
    if not path.is_file():
        present = sorted(p.name for p in path.parent.iterdir()) if path.parent.is_dir() else []
        raise ConfigError(
            f"{source}: `data.deals.path` points to '{deals.path}', which does not exist "
            f"(looked for {path}). Files in {path.parent}: {present or 'none'}. "
            "Put the export there or fix the path."
        )
    fmt = detect_format(path, deals.format, key=f"{source}: `data.deals.path`")
    present = file_columns(
        path,
        fmt,
        delimiter=deals.delimiter,
        sheet=deals.sheet,
        encoding=deals.encoding,
        key="data.deals",
    )
    wanted = {"key": deals.key, "columns.won_at": deals.columns.get("won_at", "won_at")}
    if "value" in deals.columns:
        wanted["columns.value"] = deals.columns["value"]
    for where, actual in wanted.items():
        if actual not in present:
            fix = (
                "Set `data.deals.columns.won_at: <your column name>`."
                if where == "columns.won_at" and "won_at" not in deals.columns
                else "Fix the mapping or the export."
            )
            raise ConfigError(
                f"{path.name}: column '{actual}' (`data.deals.{where}` in {source}) is not in "
                f"the file; its columns are {present}"
                f"{did_you_mean(actual, present, sentence=False)} {fix}"
            )
