"""``engine:`` in ``client.yaml``: where the client's queries run, and where its tables are.

DuckDB, embedded, is the default and needs nothing. A client whose events live elsewhere names
the engine and its tables there; the tables are read in place and only aggregates come back::

    engine:
      name: spark                  # duckdb | spark | clickhouse | bigquery
      master: local[2]             # spark: local[N], spark://host:7077, yarn; or remote: sc://…
      tables: {events: /lake/events/}   # canonical table -> the engine's table or path

A table an engine holds as a vendor export (the GA4 BigQuery export, nested as Google writes it)
is read through that export's adapter, on the engine, as the loader reads its files::

    engine:
      name: bigquery
      project: acme-analytics
      tables:
        events: {table: analytics_123456.events_*, format: ga4_export}
        orders: {table: analytics_123456.events_*, format: ga4_export}

Credentials are never written here: Spark takes the cluster's own configuration, ClickHouse
``CLICKHOUSE_USER`` / ``CLICKHOUSE_PASSWORD`` from the environment, BigQuery Google's default
credentials. A key such as ``password`` is refused with that advice.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from .inputs import Strict

__all__ = ["EngineConfig", "EngineExport"]

#: Export formats read on an engine, and the engines that read them (nested fields needed).
_EXPORT_ENGINES = {"ga4_export": ("bigquery", "spark")}

#: Keys that would put a secret in client.yaml (refused, whatever the engine).
_SECRETS = ("password", "secret", "token", "key", "credentials", "user", "username")

#: Which keys each engine reads (the others must stay unset).
_KEYS = {
    "duckdb": set(),
    "spark": {"master", "remote"},
    "clickhouse": {"host", "port", "database", "secure"},
    "bigquery": {"project", "dataset", "location", "maximum_bytes_billed"},
}


class EngineExport(Strict):
    """How an engine-held table in a vendor's export layout is read (``format:``, ``columns:``)."""

    format: Literal["ga4_export"]
    columns: dict[str, str] = Field(
        default_factory=dict, description="Canonical column -> the export's field (overrides)."
    )


class EngineConfig(Strict):
    """Where a client's queries run (see the module docstring).

    Examples
    --------
    >>> EngineConfig().name
    'duckdb'
    >>> EngineConfig(name="bigquery", project="acme-analytics", dataset="ga4",
    ...              tables={"events": "acme-analytics.ga4.events"}).tables["events"]
    'acme-analytics.ga4.events'
    """

    name: Literal["duckdb", "spark", "clickhouse", "bigquery"] = "duckdb"
    tables: dict[str, str] = Field(
        default_factory=dict,
        description="Canonical table -> the engine's table name (or a path the engine reads).",
    )
    exports: dict[str, EngineExport] = Field(
        default_factory=dict,
        description="Tables of `tables` in a vendor export's layout (written there as "
        "`{table: …, format: ga4_export}`).",
    )
    master: str | None = Field(default=None, description="Spark master: local[2], spark://…")
    remote: str | None = Field(default=None, description="Spark Connect URL: sc://host:15002.")
    host: str | None = Field(default=None, description="ClickHouse server host.")
    port: int | None = Field(default=None, ge=1, le=65535, description="ClickHouse port.")
    database: str | None = Field(default=None, description="ClickHouse database.")
    secure: bool = Field(default=False, description="ClickHouse over TLS.")
    project: str | None = Field(default=None, description="BigQuery project (billed).")
    dataset: str | None = Field(default=None, description="BigQuery default dataset.")
    location: str | None = Field(default=None, description="BigQuery location (EU, US …).")
    maximum_bytes_billed: int | None = Field(
        default=None, gt=0, description="BigQuery refuses a query that would scan more."
    )

    @model_validator(mode="before")
    @classmethod
    def _no_secrets(cls, value: Any) -> Any:
        if isinstance(value, dict):
            found = [k for k in value if str(k).lower() in _SECRETS]
            if found:
                raise ValueError(
                    f"{found} would put a secret in client.yaml; credentials come from the "
                    "environment or the engine's own configuration (ClickHouse: "
                    "CLICKHOUSE_USER / CLICKHOUSE_PASSWORD; BigQuery: "
                    "GOOGLE_APPLICATION_CREDENTIALS or `gcloud auth application-default "
                    "login`; Spark: the cluster's configuration). Remove the key"
                )
        return value

    @model_validator(mode="before")
    @classmethod
    def _exports(cls, value: Any) -> Any:
        """``tables: {events: {table: …, format: …}}``: the table's name, and how it is read."""
        if not isinstance(value, dict) or not isinstance(value.get("tables"), dict):
            return value
        tables, exports = {}, dict(value.get("exports") or {})
        for name, ref in value["tables"].items():
            if isinstance(ref, dict):
                if "table" not in ref:
                    raise ValueError(
                        f"tables.{name} is written as a mapping, so it needs `table:` (the "
                        "engine's table or path), with `format:` (e.g. ga4_export)"
                    )
                ref = dict(ref)
                tables[name] = ref.pop("table")
                exports[name] = ref
            else:
                tables[name] = ref
        return {**value, "tables": tables, "exports": exports}

    @model_validator(mode="after")
    def _keys_of_the_engine(self) -> EngineConfig:
        set_keys = {k for k in self.model_fields_set if k not in ("name", "tables", "exports")}
        foreign = sorted(set_keys - _KEYS[self.name])
        if foreign:
            raise ValueError(
                f"{foreign} are not read by engine `{self.name}`, which reads "
                f"{sorted(_KEYS[self.name]) or 'no other key'}; remove them or change `name`"
            )
        if self.name == "bigquery" and not self.project:
            raise ValueError("engine `bigquery` needs `project` (the Google Cloud project billed)")
        if self.name == "spark" and self.master and self.remote:
            raise ValueError("set either `master` or `remote` (Spark Connect), not both")
        for table, export in self.exports.items():
            engines = _EXPORT_ENGINES[export.format]
            if table not in self.tables or self.name not in engines:
                raise ValueError(
                    f"tables.{table}: format {export.format} is read on "
                    f"{' and '.join(engines)} only (its nested fields); on {self.name}, make a "
                    "view with the canonical columns and name it in `tables`"
                )
            if export.format == "ga4_export" and table not in ("events", "orders"):
                raise ValueError(
                    f"tables.{table}: a GA4 export gives `events` and `orders`, not `{table}`"
                )
        if self.name != "duckdb" and "events" not in self.tables:
            raise ValueError(
                f"engine `{self.name}` reads the tables where they are: name the events table "
                "with `tables: {events: <table or path>}`"
            )
        return self
