"""Prepare a client's data once: every table validated into a typed DuckDB file, kept in a cache.

``funnelkit run``, ``batch`` and ``check`` call :func:`prepare` before anything else, so a
problem of configuration or data stops the run before the first chapter. The prepared data are
a DuckDB database file under :func:`funnelkit.core.paths.cache_dir` (never inside a report folder),
keyed by the SHA-256 of every input file, the part of ``client.yaml`` the loader reads, and the
kit's version and loader code. A rerun with unchanged inputs reuses the file and skips the
validation; a changed file, mapping or period makes a new key. Chapters (and a notebook opened by
hand) call :func:`load_client`, which opens the prepared file read-only: instant.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import time
import uuid
import warnings
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from ..core import paths
from ..core.errors import DataWarning, ReportError
from ..core.version import __version__
from .config import ClientConfig, check_sources, load_config
from .engine_client import open_on_engine
from .loader import Client, load_tables
from .tables import TABLES
from .validate import Problem, q

__all__ = ["InputFile", "Prepared", "fingerprint", "load_client", "prepare"]

#: Modules whose code decides what the prepared data contain: a change to any invalidates them.
LOADER_MODULES = (
    *sorted(p.relative_to(paths.PACKAGE_DIR).with_suffix("").as_posix()
            for p in (paths.PACKAGE_DIR / "data").rglob("*.py")),
    "core/sql",  # every module of the data layer (adapters too), and the SQL helpers it uses
)  # fmt: skip
#: Prepared entries kept per client folder (the newest); older ones are removed.
KEEP_PER_CLIENT = 2
_MANIFEST = "manifest.json"
_DATABASE = "data.duckdb"
#: Beside the prepared data: the warnings about the tables an engine holds, from the run's check.
ENGINE_WARNINGS = "engine_warnings.json"


@dataclass(frozen=True)
class InputFile:
    """One input of a run: a data file (``table`` set) or ``client.yaml`` (``table`` None)."""

    table: str | None
    path: str
    bytes: int
    sha256: str


@dataclass
class Prepared:
    """A client's validated data in a DuckDB file, and what the loader found.

    ``tables`` holds, per canonical table, its ``rows``, ``file``, ``first`` and ``last``
    timestamps and ``in_period`` rows; ``reused`` says whether the cache already had them.
    """

    config: ClientConfig
    database: Path
    key: str
    inputs: list[InputFile]
    tables: dict[str, dict[str, Any]]
    problems: list[Problem] = field(default_factory=list)
    reused: bool = False
    seconds: float = 0.0

    def open(self, *, refresh_warnings: bool = False) -> Client:
        """The prepared tables as a read-only :class:`~.loader.Client` (no copy made).

        ``refresh_warnings``: compute an engine's tables' warnings anew (the run's check does).
        """
        try:
            con = duckdb.connect(str(self.database), read_only=True)
        except duckdb.Error as err:
            raise ReportError(
                f"{self.database}: the prepared data cannot be opened ({err}); delete that "
                "folder (it is a cache) and run again."
            ) from err
        with contextlib.suppress(duckdb.Error):
            con.execute("SET enable_progress_bar = false")
        rows = {name: int(info["rows"]) for name, info in self.tables.items()}
        if self.config.engine.name != "duckdb":  # the big tables are where the engine holds them
            return open_on_engine(
                self.config, con, row_counts=rows, problems=self.problems,
                warnings_file=self.database.with_name(ENGINE_WARNINGS),
                refresh_warnings=refresh_warnings,
            )  # fmt: skip
        return Client(self.config, con, row_counts=rows, problems=list(self.problems))

    @property
    def input_records(self) -> list[dict[str, Any]]:
        """The inputs as ``summary.json`` records them."""
        return [asdict(f) for f in self.inputs]


# --- fingerprint ---------------------------------------------------------------------------------


class _HashIndex:
    """SHA-256 of files by (path, size, mtime, inode), so an unchanged file is hashed once.

    The same idea as git's index: a file whose size and modification time have not changed is
    not read again. A lost update (two processes writing at once) only costs one re-hash.
    """

    def __init__(self, root: Path) -> None:
        self.path = root / "hashes.json"
        try:
            self.known: dict[str, list[Any]] = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.known = {}
        self.changed = False

    def sha256(self, path: Path) -> tuple[int, str]:
        stat = path.stat()
        stamp = [stat.st_size, stat.st_mtime_ns, stat.st_ino]
        entry = self.known.get(str(path))
        if entry and entry[:3] == stamp:
            return stat.st_size, entry[3]
        with path.open("rb") as handle:
            sha = hashlib.file_digest(handle, "sha256").hexdigest()
        self.known[str(path)] = [*stamp, sha]
        self.changed = True
        return stat.st_size, sha

    def save(self) -> None:
        if self.changed:
            with contextlib.suppress(OSError):
                _write_atomic(self.path, json.dumps(self.known))


def _code_hash() -> str:
    digest = hashlib.sha256(__version__.encode())
    for module in LOADER_MODULES:
        digest.update((paths.PACKAGE_DIR / f"{module}.py").read_bytes())
    return digest.hexdigest()


def fingerprint(
    config: ClientConfig, *, cache_dir: Path | None = None
) -> tuple[str, list[InputFile]]:
    """The cache key of a client's prepared data, and the hashed inputs it is made of.

    Examples
    --------
    >>> key, inputs = fingerprint(load_config())
    >>> len(key), [f.table for f in inputs]  # doctest: +NORMALIZE_WHITESPACE
    (64, ['events', 'orders', 'spend', 'leads', 'nps', 'social', 'email', 'accounts', 'assignments',
     None])
    """
    root = _cache_root(cache_dir)
    index = _HashIndex(root)
    files = config.data_files()
    files.append((None, _config_file(config)))
    inputs = []
    for table, path in files:
        size, sha = index.sha256(path)
        inputs.append(InputFile(table, str(path), size, sha))
    index.save()
    loader_view = config.model_dump(
        mode="json", include={"client", "timezone", "currency", "period", "data", "channels"}
    )
    material = {
        "code": _code_hash(),
        "config": loader_view,
        "files": [(f.table, f.path, f.sha256) for f in inputs if f.table is not None],
    }
    key = hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()
    return key, inputs


def _config_file(config: ClientConfig) -> Path:
    return Path(config.config_file or Path(config.client_dir) / paths.CLIENT_CONFIG_NAME).resolve()


# --- the cache -----------------------------------------------------------------------------------


def _cache_root(cache_dir: Path | None) -> Path:
    root = Path(cache_dir or paths.cache_dir()).expanduser().resolve()
    try:
        (root / "prepared").mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ReportError(
            f"{root}: the cache folder for prepared data cannot be created ({err.strerror}); "
            "set FUNNELKIT_CACHE_DIR to a writable folder."
        ) from None
    return root


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def _coverage(client: Client) -> dict[str, dict[str, Any]]:
    """Rows, first and last time, and rows in the analysis period, per loaded table."""
    found = {}
    for name in client.tables:
        col = q(TABLES[name].time_column)
        first, last, in_period = client.con.sql(
            f"SELECT min({col}), max({col}), count_if({client.period_predicate(name)}) FROM {name}"
        ).fetchall()[0]
        found[name] = {
            "rows": client.row_counts[name],
            "file": str(client.source(name)),
            "files": [str(path) for path in client.source_files(name)],
            "first": first.isoformat() if first is not None else None,
            "last": last.isoformat() if last is not None else None,
            "in_period": int(in_period or 0) if TABLES[name].periodic else client.row_counts[name],
        }
    return found


def _build(config: ClientConfig, entry: Path, key: str, inputs: list[InputFile]) -> None:
    """Validate into a private folder, then move it into place (atomic: all or nothing)."""
    tmp = entry.with_name(f".tmp-{key[:12]}-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    tmp.mkdir()
    try:
        con = duckdb.connect(str(tmp / _DATABASE))
        try:
            with contextlib.suppress(duckdb.Error):
                con.execute("SET enable_progress_bar = false")
            con.execute(f"SET temp_directory = '{tmp / 'spill'}'")
            client = load_tables(config, con)
            manifest = {
                "key": key,
                "created_at": datetime.now().astimezone().isoformat(timespec="seconds"),
                "client": config.client,
                "client_dir": str(Path(config.client_dir).resolve()),
                "funnelkit": __version__,
                "inputs": [asdict(f) for f in inputs],
                "tables": _coverage(client),
                "problems": [asdict(p) for p in client.problems],
            }
            con.execute("CHECKPOINT")
        finally:
            con.close()
        shutil.rmtree(tmp / "spill", ignore_errors=True)
        (tmp / _MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        try:
            tmp.rename(entry)
        except OSError:  # another process prepared the same inputs first: use theirs
            if not (entry / _MANIFEST).is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _prune(prepared_dir: Path, client_dir: str, keep: str) -> None:
    """Remove all but the newest entries of the same client folder (the cache stays small)."""
    entries = []
    for manifest in prepared_dir.glob(f"*/{_MANIFEST}"):
        with contextlib.suppress(OSError, ValueError):
            info = json.loads(manifest.read_text(encoding="utf-8"))
            if info.get("client_dir") == client_dir and info.get("key") != keep:
                entries.append((manifest.stat().st_mtime, manifest.parent))
    for _, folder in sorted(entries, reverse=True)[KEEP_PER_CLIENT - 1 :]:
        shutil.rmtree(folder, ignore_errors=True)


def _from_manifest(
    config: ClientConfig, entry: Path, inputs: list[InputFile], *, reused: bool, t0: float
) -> Prepared:
    """The prepared data of ``entry``, with this run's ``inputs`` (client.yaml may differ)."""
    info = json.loads((entry / _MANIFEST).read_text(encoding="utf-8"))
    return Prepared(
        config=config,
        database=entry / _DATABASE,
        key=info["key"],
        inputs=inputs,
        tables=info["tables"],
        problems=[Problem(**p) for p in info["problems"]],
        reused=reused,
        seconds=round(time.perf_counter() - t0, 3),
    )


def prepare(
    client: str | Path | ClientConfig | None = None,
    *,
    cache_dir: Path | None = None,
    refresh: bool = False,
) -> Prepared:
    """Validate a client's config and every table once, into a cached, typed DuckDB file.

    Parameters
    ----------
    client
        A client folder, its ``client.yaml``, a loaded config, or ``None`` for the demo client.
    cache_dir
        Cache folder; default :func:`funnelkit.core.paths.cache_dir` (``FUNNELKIT_CACHE_DIR``).
    refresh
        Validate again even if the cache has these inputs.

    Returns
    -------
    Prepared
        Where the data are, what they hold (rows, time covered) and the loader's warnings.

    Raises
    ------
    ConfigError
        ``client.yaml`` is invalid or names a missing file or column.
    DataError
        A table breaks a rule (every problem of every table, with file, column, lines, fix).
        Nothing is cached then.
    ReportError
        The cache folder cannot be written.

    Examples
    --------
    >>> prepared = prepare()
    >>> prepared.tables["orders"]["rows"] > 1000, prepared.database.name
    (True, 'data.duckdb')
    >>> prepare().reused
    True
    """
    t0 = time.perf_counter()
    config = client if isinstance(client, ClientConfig) else load_config(client, check_files=False)
    root = _cache_root(cache_dir)
    if not all(path.is_file() for path in config.input_files()):
        check_sources(config)  # names the YAML key of the missing file
    key, inputs = fingerprint(config, cache_dir=root)
    entry = root / "prepared" / key
    if refresh:
        shutil.rmtree(entry, ignore_errors=True)
    if (entry / _MANIFEST).is_file():
        with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
            return _from_manifest(config, entry, inputs, reused=True, t0=t0)
        shutil.rmtree(entry, ignore_errors=True)  # unreadable entry: prepare it again
    check_sources(config)  # every mapped column is in its file (headers only)
    try:
        _build(config, entry, key, inputs)
    except OSError as err:
        raise ReportError(
            f"{root}: the prepared data cannot be written ({err}); free disk space or set "
            "FUNNELKIT_CACHE_DIR to a writable folder."
        ) from err
    _prune(entry.parent, str(Path(config.client_dir).resolve()), keep=key)
    return _from_manifest(config, entry, inputs, reused=False, t0=t0)


def load_client(
    client: str | Path | ClientConfig | None = None, *, emit_warnings: bool = True
) -> Client:
    """Validate (or reuse the prepared) data of a client and open them read-only.

    What every chapter calls. Inside ``funnelkit run`` the data were prepared before the first
    chapter, so this only opens them; in a notebook opened by hand it prepares them on first use.

    Parameters
    ----------
    client
        A client folder, its ``client.yaml``, an already loaded config, or ``None`` for the
        bundled demo client (whose data are generated on first use).
    emit_warnings
        Also raise each finding as a :class:`~funnelkit.core.errors.DataWarning`. Notebooks that
        show :meth:`Client.issues` in a section of their own turn this off.

    Returns
    -------
    Client
        Canonical tables queryable by name; warnings in :meth:`Client.issues`.

    Raises
    ------
    ConfigError
        ``client.yaml`` is invalid.
    DataError
        A table breaks a rule; the message lists every problem of every table with the file,
        column, number of rows, example lines and the fix. Nothing is dropped silently.

    Examples
    --------
    >>> client = load_client(emit_warnings=False)  # warnings are listed by client.issues()
    >>> client.tables
    ['events', 'orders', 'spend', 'leads', 'nps', 'social', 'email', 'accounts', 'assignments']
    >>> int(client.sql("SELECT count(DISTINCT user_id) AS users FROM events").users[0]) > 40_000
    True
    """
    loaded = prepare(client).open()
    for problem in loaded.problems if emit_warnings else ():
        warnings.warn(problem.message, DataWarning, stacklevel=2)
    return loaded
