"""GA4 BigQuery exports in Avro, converted to temporary Parquet for :mod:`.ga4` to read.

``bq extract --destination_format=AVRO`` (BigQuery's default export format) writes one or more
Avro object container files per day. DuckDB reads Avro only through its ``avro`` extension,
downloaded on first use, and funnelkit works offline; so `fastavro <https://fastavro.readthedocs.io>`_
reads each file and :mod:`pyarrow.parquet` writes it again as a temporary Parquet file, which
the Parquet path of :mod:`.ga4` then reads unchanged (same fields, same nesting, ``__row``
counted across the files in their order).

Types follow BigQuery's "Avro export details" (https://cloud.google.com/bigquery/docs/exporting-data,
"Export formats and compression types"): a RECORD is an Avro ``record`` (Arrow struct),
REPEATED is an ``array`` (Arrow list), NULLABLE is a union ``["null", T]`` (a nullable Arrow
field), INT64 is ``long``, FLOAT64 ``double``, STRING ``string``, BYTES ``bytes``, NUMERIC
``bytes`` with the ``decimal`` logical type; TIMESTAMP is ``long`` with ``timestamp-micros``
and, with ``--use_avro_logical_types``, DATE ``int``/``date`` and TIME ``long``/``time-micros``
(those become Arrow timestamps in UTC, dates and times; a logical type Arrow has no match for,
such as BigQuery's ``datetime`` string, stays its base type). GA4's ``event_timestamp`` is an
INT64 of microseconds, so it stays a ``long`` and :mod:`.ga4` reads it as for Parquet.

**Memory** is bounded: records are converted :data:`BATCH` at a time into row groups of the
Parquet file, so a file of millions of events never sits in memory as Python objects.

**Where the temporary files live, and for how long.** The loader's DuckDB connection lives in
the :class:`~funnelkit.data.loader.Client` (in memory, for as long as the client); a directory
kept for that long would need the client to be closed, which notebooks never do. The GA4 raw
scan, however, is a TEMP *table* for Avro (the rows copied into the connection, whatever
:data:`.ga4.MATERIALIZE` says), so nothing reads the Parquet files once the scan is built:
:func:`avro_as_parquet` is a context manager around that build, holding the files in a
:class:`tempfile.TemporaryDirectory` (under ``$TMPDIR``) deleted when it ends, also when the
build fails. DuckDB's own spill directory (``temp_directory``: ``.tmp`` in the working
directory for an in-memory connection) is not used: it would leave files in the client's folder.

>>> arrow_type(["null", {"type": "array", "items": "string"}], {})
ListType(list<item: string>)
"""

from __future__ import annotations

import contextlib
import itertools
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa

from ...core.errors import ConfigError
from ..sources import read_error
from .ga4_files import require_ga4_fields

__all__ = ["BATCH", "arrow_schema", "arrow_type", "avro_as_parquet"]

#: Records converted at once (one Parquet row group each). A GA4 event with 24 parameters is
#: ~12 KB as Python objects, so a batch holds ~120 MB (peak RSS 313 MB measured at 5,000 and
#: 757 MB at 20,000 on a 1M-event file, equally fast).
BATCH = 10_000
_PRIMITIVE = {
    "null": pa.null(),
    "boolean": pa.bool_(),
    "int": pa.int32(),
    "long": pa.int64(),
    "float": pa.float32(),
    "double": pa.float64(),
    "bytes": pa.binary(),
    "string": pa.string(),
}
#: Avro logical types and the Arrow type of the values fastavro returns for them.
_LOGICAL = {
    "timestamp-micros": pa.timestamp("us", tz="UTC"),
    "timestamp-millis": pa.timestamp("ms", tz="UTC"),
    "local-timestamp-micros": pa.timestamp("us"),
    "local-timestamp-millis": pa.timestamp("ms"),
    "date": pa.date32(),
    "time-micros": pa.time64("us"),
    "time-millis": pa.time32("ms"),
}


def arrow_type(avro: Any, named: dict[str, pa.DataType], *, field: str = "") -> pa.DataType:
    """The Arrow type of an Avro type (as fastavro's ``writer_schema`` spells it).

    ``named`` collects the records, enums and fixed types met so far, which later parts of the
    schema may name instead of repeating them. A union with more than one non-null branch
    (BigQuery never writes one) is a ConfigError naming ``field``.

    Examples
    --------
    >>> arrow_type({"type": "long", "logicalType": "timestamp-micros"}, {})
    TimestampType(timestamp[us, tz=UTC])
    >>> value = {"type": "record", "name": "value", "fields": [
    ...     {"name": "int_value", "type": ["null", "long"]}]}
    >>> arrow_type({"type": "array", "items": value}, {})
    ListType(list<item: struct<int_value: int64>>)
    """
    if isinstance(avro, list):  # a union: NULLABLE is ["null", T]
        branches = [b for b in avro if b != "null"]
        if len(branches) > 1:
            raise ConfigError(
                f"field `{field}` is an Avro union of {', '.join(map(str, branches))}; funnelkit "
                "reads BigQuery's Avro, whose unions are [null, type]. Export the GA4 tables as "
                "BigQuery writes them, or as Parquet."
            )
        return arrow_type(branches[0], named, field=field) if branches else pa.null()
    if isinstance(avro, str):
        return _PRIMITIVE[avro] if avro in _PRIMITIVE else named[avro]
    kind, logical = avro["type"], avro.get("logicalType")
    if logical == "decimal":  # BigQuery NUMERIC (38, 9), BIGNUMERIC (77, 38): Arrow caps at 76
        precision, scale = int(avro["precision"]), int(avro.get("scale", 0))
        make = pa.decimal128 if precision <= 38 else pa.decimal256
        return make(min(precision, 76), scale)
    if logical in _LOGICAL:
        return _LOGICAL[logical]
    if kind == "record":
        out: pa.DataType = pa.struct(
            [(f["name"], arrow_type(f["type"], named, field=_join(field, f["name"])))
             for f in avro["fields"]]
        )  # fmt: skip
    elif kind == "array":
        return pa.list_(arrow_type(avro["items"], named, field=field))
    elif kind == "map":
        return pa.map_(pa.string(), arrow_type(avro["values"], named, field=field))
    elif kind == "enum":
        out = pa.string()
    elif kind == "fixed":
        out = pa.binary(int(avro["size"]))
    else:
        return arrow_type(kind, named, field=field)  # {"type": "long"} and the like
    named[avro["name"]] = out
    return out


def _join(parent: str, name: str) -> str:
    return f"{parent}.{name}" if parent else name


def arrow_schema(avro: dict[str, Any]) -> pa.Schema:
    """The Arrow schema of an Avro file whose records are rows (its top-level ``record``).

    Examples
    --------
    >>> arrow_schema({"type": "record", "name": "Root", "fields": [
    ...     {"name": "event_name", "type": ["null", "string"]},
    ...     {"name": "event_timestamp", "type": "long"}]}).names
    ['event_name', 'event_timestamp']
    """
    return pa.schema(arrow_type(avro, {}))


def _fields(avro: Any) -> list[str]:
    return [f["name"] for f in avro.get("fields", [])] if isinstance(avro, dict) else []


def _convert(path: Path, out: Path, *, key: str, batch: int) -> None:
    """Write the Avro file ``path`` as the Parquet file ``out``, ``batch`` records at a time."""
    import fastavro  # only Avro exports need these; imported here to keep `import funnelkit` light
    import pyarrow.parquet as pq

    with path.open("rb") as handle:
        try:
            records = fastavro.reader(handle)
        except Exception as err:  # fastavro raises ValueError and others for a bad header
            raise read_error(path.name, "Avro", err, key) from err
        have = _fields(records.writer_schema)
        require_ga4_fields(path, have, key)
        schema = arrow_schema(records.writer_schema)
        row = pa.struct(list(schema))  # pa.array of structs: ~3x Table.from_pylist (measured)
        try:
            with pq.ParquetWriter(out, schema) as writer:
                while chunk := list(itertools.islice(records, batch)):
                    writer.write_table(pa.Table.from_struct_array(pa.array(chunk, type=row)))
        except (ValueError, EOFError, OSError, pa.ArrowException) as err:  # cut short, damaged
            raise read_error(path.name, "Avro", err, key) from err


@contextlib.contextmanager
def avro_as_parquet(
    files: list[Path], *, key: str, batch: int | None = None
) -> Iterator[list[Path]]:
    """Each Avro file as a temporary Parquet file, in the same order; deleted on leaving.

    ``batch`` records are converted at once (default :data:`BATCH`). A file without the fields
    every GA4 export has is a ConfigError naming it and listing the fields it has
    (:func:`.ga4_files.require_ga4_fields`); an unreadable file is a DataError naming it. Read
    the files inside the ``with`` block only (see the module's notes on their lifetime).

    Examples
    --------
    >>> import fastavro, tempfile, pyarrow.parquet as pq
    >>> schema = {"type": "record", "name": "Root", "fields": [
    ...     {"name": n, "type": t} for n, t in (("event_timestamp", "long"),
    ...     ("event_name", "string"), ("user_pseudo_id", "string"))]}
    >>> with tempfile.TemporaryDirectory() as d:
    ...     avro = Path(d) / "events_20261005.avro"
    ...     with avro.open("wb") as out:
    ...         fastavro.writer(out, schema, [{"event_timestamp": 1, "event_name": "page_view",
    ...                                         "user_pseudo_id": "1.2"}])
    ...     with avro_as_parquet([avro], key="data.events") as files:
    ...         pq.read_table(files[0]).to_pylist()
    [{'event_timestamp': 1, 'event_name': 'page_view', 'user_pseudo_id': '1.2'}]
    """
    with tempfile.TemporaryDirectory(prefix="funnelkit-ga4-avro-") as folder:
        out = []
        for i, path in enumerate(files):
            out.append(Path(folder) / f"{i:06d}_{path.name}.parquet")
            _convert(path, out[-1], key=key, batch=batch or BATCH)
        yield out
