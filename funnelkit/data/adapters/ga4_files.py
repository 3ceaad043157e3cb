"""The files of a GA4 BigQuery export: which format they are in, and whether they are GA4 at all.

A folder holds one format (Parquet, newline-delimited JSON, or Avro, which
:mod:`.ga4_avro` converts); each file must have the fields every GA4 export has
(:data:`REQUIRED`). Used by :mod:`.ga4` before it reads the files.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from ...core.errors import ConfigError
from ...core.sql import lit
from ..sources import read_error

__all__ = [
    "REQUIRED",
    "SUFFIXES",
    "check_files",
    "file_columns",
    "file_kind",
    "require_ga4_fields",
]

#: Fields every GA4 export has (a file without them is something else).
REQUIRED = ("event_timestamp", "event_name", "user_pseudo_id")
_PARQUET, _JSON, _AVRO = (
    (".parquet",),
    (".jsonl", ".json", ".ndjson", ".jsonl.gz", ".json.gz", ".ndjson.gz"),
    (".avro",),
)
SUFFIXES = (*_PARQUET, *_JSON, *_AVRO)


def file_kind(files: list[Path], label: str, key: str) -> str:
    """``parquet``, ``json`` or ``avro``; a ConfigError for a folder mixing them."""
    kinds: dict[str, list[str]] = {}
    for p in files:
        name = p.name.lower()
        kind = "avro" if name.endswith(_AVRO) else "parquet" if name.endswith(_PARQUET) else "json"
        kinds.setdefault(kind, []).append(p.name)
    if len(kinds) > 1:
        mixed = " and ".join(
            f"{word} ({len(kinds[k])} file(s), e.g. {kinds[k][0]})"
            for k, word in (("parquet", "Parquet"), ("json", "JSON"), ("avro", "Avro"))
            if k in kinds
        )
        raise ConfigError(
            f"{key}: the folder '{label}' mixes {mixed}; a GA4 export is read as one table of "
            "one format. Keep one format in the folder (export every day the same way) and move "
            "the others out."
        )
    return next(iter(kinds))


def file_columns(con: duckdb.DuckDBPyConnection, path: Path, kind: str) -> list[str]:
    """The top-level fields of one Parquet or JSON-lines file (its footer or first rows)."""
    if kind == "parquet":
        return con.sql(f"SELECT * FROM read_parquet({lit(str(path))}) LIMIT 0").columns
    scan = f"read_json({lit(str(path))}, format = 'newline_delimited', sample_size = 200)"
    return con.sql(f"SELECT * FROM {scan} LIMIT 0").columns


def check_files(con: duckdb.DuckDBPyConnection, files: list[Path], kind: str, key: str) -> None:
    """A ConfigError naming the first file that is not a GA4 export, with the fields it has."""
    for path in files:
        try:
            have = file_columns(con, path, kind)
        except duckdb.Error as err:
            raise read_error(path.name, "Parquet" if kind == "parquet" else "JSON lines",
                             err, key) from err  # fmt: skip
        require_ga4_fields(path, have, key)


def require_ga4_fields(path: Path, have: list[str], key: str) -> None:
    """A ConfigError when a file's fields ``have`` lack one of :data:`REQUIRED`.

    >>> try:
    ...     require_ga4_fields(Path("x.parquet"), ["event_name"], "data.events")
    ... except ConfigError as err:
    ...     print(str(err)[:83])
    data.events: x.parquet is not a GA4 BigQuery export: it lacks event_timestamp, user
    """
    lacking = [c for c in REQUIRED if c not in have]
    if lacking:
        raise ConfigError(
            f"{key}: {path.name} is not a GA4 BigQuery export: it lacks "
            f"{', '.join(lacking)}; its fields are {', '.join(have[:20]) or 'none'}"
            f"{' …' if len(have) > 20 else ''}. Export the `events_YYYYMMDD` tables "
            "unchanged, or drop `format: ga4_export` and map the columns with `columns:`."
        )
