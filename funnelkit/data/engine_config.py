"""``engine:`` in ``client.yaml``: where the client's queries run, and where its tables are.

DuckDB, embedded, is the default and needs nothing. A client whose events live elsewhere names
the engine and its tables there; the tables are read in place and only aggregates come back::

    engine:
      name: spark                  # duckdb | spark | clickhouse | bigquery
      master: local[2]             # spark: local[N], spark://host:7077, yarn; or remote: sc://…
      tables: {events: /lake/events/}   # canonical table -> the engine's table or path

Credentials are never written here: Spark takes the cluster's own configuration, ClickHouse
``CLICKHOUSE_USER`` / ``CLICKHOUSE_PASSWORD`` from the environment, BigQuery Google's default
credentials. A key such as ``password`` is refused with that advice.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from .inputs import Strict

__all__ = ["EngineConfig"]

#: Keys that would put a secret in client.yaml (refused, whatever the engine).
_SECRETS = ("password", "secret", "token", "key", "credentials", "user", "username")

#: Which keys each engine reads (the others must stay unset).
_KEYS = {
    "duckdb": set(),
    "spark": {"master", "remote"},
    "clickhouse": {"host", "port", "database", "secure"},
    "bigquery": {"project", "dataset", "location", "maximum_bytes_billed"},
}


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

    @model_validator(mode="after")
    def _keys_of_the_engine(self) -> EngineConfig:
        set_keys = {k for k in self.model_fields_set if k not in ("name", "tables")}
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
        if self.name != "duckdb" and "events" not in self.tables:
            raise ValueError(
                f"engine `{self.name}` reads the tables where they are: name the events table "
                "with `tables: {events: <table or path>}`"
            )
        return self
