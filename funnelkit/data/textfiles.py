"""Text exports before DuckDB reads them: empty or binary files, encodings and delimiters.

Only the first megabyte is looked at (:data:`SNIFF_BYTES`), so this costs the same for a 10 GB
export as for a small one. DuckDB reads UTF-8, UTF-16 and latin-1 itself; a file in another
declared encoding (cp1251, cp1252 …) is transcoded once into a UTF-8 copy in the cache folder
(``paths.cache_dir()``), keyed by the file's path, size and modification time. The export itself
is never modified.
"""

from __future__ import annotations

import codecs
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from ..core import paths
from ..core.errors import DataError

__all__ = ["SNIFF_BYTES", "TextFile", "check_not_empty", "inspect_text"]

SNIFF_BYTES = 1 << 20
#: Python codec name -> the name DuckDB's CSV reader knows it by (no extension needed).
_DUCKDB_ENCODINGS = {
    "utf-8": "utf-8",
    "utf-8-sig": "utf-8",
    "iso8859-1": "latin-1",
    "utf-16": "utf-16",
}
_ENCODING_NAMES = {
    "cp1251": "Windows Cyrillic",
    "cp1252": "Windows Western European",
    "latin-1": "ISO 8859-1, Western European",
}
_DELIMITERS = (",", ";", "\t", "|")
_MAGIC = {
    b"PK\x03\x04": "an Excel workbook or a zip archive (for a workbook set `{key}.format: excel`)",
    b"PAR1": "a Parquet file (set `{key}.format: parquet`)",
    b"\xd0\xcf\x11\xe0": "an old Excel .xls workbook (save it as .xlsx or CSV)",
    b"%PDF": "a PDF document",
}


@dataclass(frozen=True)
class TextFile:
    """How DuckDB should read one text export."""

    path: Path  #: the export, or its UTF-8 copy in the cache
    encoding: str  #: DuckDB's name of the encoding of ``path``
    delimiter: str | None  #: None: let DuckDB detect it (compressed files)
    whitespace: bool = False  #: fields are separated by runs of white space
    header: tuple[str, ...] = ()  #: the column names (whitespace-separated files only)


def _codec(name: str) -> str:
    return codecs.lookup(name).name


def _bad_line(head: bytes, err: UnicodeDecodeError) -> str:
    line = head[: err.start].count(b"\n") + 1
    return f"line {line} has the bytes {head[err.start : err.start + 4]!r}"


def _guess_encoding(head: bytes) -> str:
    """cp1251 when the high bytes come in runs (Cyrillic words), else cp1252 or latin-1."""
    high = [i for i, b in enumerate(head) if b >= 0xC0]
    paired = sum(1 for i in high if i + 1 < len(head) and head[i + 1] >= 0xC0)
    if high and paired / len(high) > 0.5:
        return "cp1251"
    return "cp1252" if any(0x80 <= b <= 0x9F for b in head) else "latin-1"


def _check_decodes(head: bytes, codec: str, *, complete: bool, label: str, key: str) -> None:
    try:
        codecs.getincrementaldecoder(codec)("strict").decode(head, final=complete)
    except UnicodeDecodeError as err:
        if codec in ("utf-8", "utf-8-sig"):
            guess = _guess_encoding(head)
            raise DataError(
                f"{label}: is not UTF-8 text ({_bad_line(head, err)}); it looks like {guess} "
                f"({_ENCODING_NAMES[guess]}). "
                f"Set `{key}.encoding: {guess}` in client.yaml, or export the file as UTF-8.",
                file=label,
            ) from None
        raise DataError(
            f"{label}: cannot be decoded as {codec} (`{key}.encoding`): {_bad_line(head, err)}. "
            f"Set the export's real encoding (e.g. utf-8, cp1251, latin-1).",
            file=label,
        ) from None


def _pick_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in _DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def check_not_empty(path: Path, *, key: str) -> int:
    """Return the file's size; a 0-byte file (of any format) is a :class:`DataError`."""
    size = path.stat().st_size
    if size == 0:
        raise DataError(
            f"{path.name}: the file is empty (0 bytes); export it again, or remove `{key}` from "
            "client.yaml if there are no such data.",
            file=path.name,
        )
    return size


def inspect_text(path: Path, *, encoding: str | None, delimiter: str | None, key: str) -> TextFile:
    r"""Check that a text export can be read and say how: encoding, delimiter, DuckDB's copy.

    Raises
    ------
    DataError
        The file is empty, is not text, or is not in the declared encoding (UTF-8 by default);
        the message names the encoding the file looks like and the key that declares it.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = Path(d) / "x.csv"
    ...     _ = p.write_text("a;b\n1;2\n")
    ...     inspect_text(p, encoding=None, delimiter=None, key="data.orders").delimiter
    ';'
    """
    label = path.name
    size = check_not_empty(path, key=key)
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    if head[:2] == b"\x1f\x8b":  # gzip: DuckDB decompresses and detects the dialect itself
        return TextFile(path, "utf-8", delimiter if delimiter != "whitespace" else None)
    declared = _codec(encoding) if encoding else None
    utf16 = head[:2] in (b"\xff\xfe", b"\xfe\xff")
    if utf16 and not (declared or "").startswith("utf-16"):
        raise DataError(
            f"{label}: is UTF-16 text (Excel's 'Unicode text' export); set "
            f"`{key}.encoding: utf-16` in client.yaml, or export the file as UTF-8 CSV.",
            file=label,
        )
    if b"\x00" in head and not utf16:
        kind = next((v for m, v in _MAGIC.items() if head.startswith(m)), "binary data")
        raise DataError(
            f"{label}: is not a text file: it looks like {kind.format(key=key)}. Point "
            f"`{key}.path` to the CSV export, or set `{key}.format` to what the file is.",
            file=label,
        )
    codec = declared or "utf-8"
    _check_decodes(head, codec, complete=size <= SNIFF_BYTES, label=label, key=key)
    text_head = head.decode(codec, errors="ignore")
    first_line = text_head.lstrip("\ufeff").splitlines()[0] if text_head.strip() else ""
    if delimiter == "whitespace":
        header = tuple(first_line.split())
        if len(set(header)) != len(header):
            raise DataError(
                f"{label}: the header line repeats a column name ({list(header)}); rename the "
                "columns in the export.",
                file=label,
            )
    else:
        header = ()
        delimiter = delimiter or _pick_delimiter(first_line)
    read_path, duck = path, _DUCKDB_ENCODINGS.get(codec)
    if duck is None:
        read_path, duck = _utf8_copy(path, codec, label=label, key=key), "utf-8"
    return TextFile(read_path, duck, None if delimiter == "whitespace" else delimiter,
                    whitespace=delimiter == "whitespace", header=header)  # fmt: skip


def _utf8_copy(path: Path, codec: str, *, label: str, key: str) -> Path:
    """A UTF-8 copy of a text file in the cache, made once per version of the file."""
    stat = path.stat()
    folder = paths.cache_dir() / "utf8"
    stem = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:16]
    version = hashlib.sha1(f"{stat.st_size}:{stat.st_mtime_ns}:{codec}".encode()).hexdigest()[:12]
    target = folder / f"{stem}-{version}.csv"
    if target.is_file():
        return target
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob(f"{stem}-*.csv"):  # earlier versions of the same export
        old.unlink(missing_ok=True)
    partial = target.with_suffix(f".{os.getpid()}.part")
    decoder = codecs.getincrementaldecoder(codec)("strict")
    lines = 1
    try:
        with path.open("rb") as src, partial.open("w", encoding="utf-8", newline="") as dst:
            while chunk := src.read(4 << 20):
                try:
                    text = decoder.decode(chunk)
                except UnicodeDecodeError as err:
                    line = lines + chunk[: err.start].count(b"\n")
                    raise DataError(
                        f"{label}: cannot be decoded as {codec} (`{key}.encoding`): line {line} "
                        f"has the bytes {chunk[err.start : err.start + 4]!r}. Set the export's "
                        "real encoding (e.g. utf-8, cp1251, latin-1).",
                        file=label,
                    ) from None
                lines += chunk.count(b"\n")
                dst.write(text)
            dst.write(decoder.decode(b"", final=True))
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return target
