"""The cached demo folder: reuse it when current, else regenerate it safely.

:func:`ensure_demo_data` generates into a temporary sibling folder and renames it into place under
an inter-process lock; a stale folder is moved aside, never deleted.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

from .generate import generate_demo_data
from .params import DEMO_SEED, GENERATOR_VERSION
from .truth import load_truth

__all__ = ["ensure_demo_data"]


def _is_current(data_dir: Path) -> bool:
    """Whether ``data_dir`` holds a complete folder of this generator version and demo seed."""
    try:
        truth = load_truth(data_dir)
    except (OSError, ValueError):
        return False
    if not isinstance(truth, dict):
        return False
    if truth.get("generator_version") != GENERATOR_VERSION or truth.get("seed") != DEMO_SEED:
        return False
    files = truth.get("files", {})
    return all((data_dir / f.get("file", "")).is_file() for f in files.values())


@contextlib.contextmanager
def _folder_lock(data_dir: Path) -> Iterator[None]:
    """Exclusive inter-process lock next to ``data_dir`` (no-op where fcntl is missing)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: rely on the atomic rename alone
        yield
        return
    lock_path = data_dir.parent / f".{data_dir.name}.lock"
    with open(lock_path, "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _move_aside(data_dir: Path) -> Path | None:
    """Rename a stale ``data_dir`` to ``<data_dir>.old-<timestamp>`` (never delete data)."""
    if data_dir.is_dir() and not any(data_dir.iterdir()):
        with contextlib.suppress(OSError):
            data_dir.rmdir()  # an empty folder holds no data
        return None
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = Path(f"{data_dir}.old-{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = Path(f"{data_dir}.old-{stamp}-{n}")
    try:
        os.rename(data_dir, target)
    except FileNotFoundError:  # another process moved it already
        return None
    return target


def ensure_demo_data(data_dir: str | Path) -> Path:
    """Make sure ``data_dir`` holds the current demo data, generating it only when needed.

    If ``data_dir/truth.json`` exists with the current ``GENERATOR_VERSION`` and ``DEMO_SEED``,
    nothing is done. Otherwise the data is generated into a temporary sibling folder
    ``.<name>.tmp-<pid>-<random>`` that is then renamed to ``data_dir`` atomically. A stale
    folder (other version or seed) is moved aside to ``<data_dir>.old-<timestamp>``, never
    deleted. Concurrent callers (e.g. pytest-xdist workers) serialise on a lock file
    ``.<name>.lock`` beside the folder; should another process still win the rename, the
    temporary folder is dropped and the existing data is used.

    Parameters
    ----------
    data_dir : str or Path
        The demo data folder.

    Returns
    -------
    Path
        ``data_dir``.

    Examples
    --------
    >>> path = ensure_demo_data("examples/demo_client/data")  # doctest: +SKIP
    >>> load_truth(path)["seed"] == DEMO_SEED  # doctest: +SKIP
    True
    """
    data_dir = Path(data_dir)
    if _is_current(data_dir):
        return data_dir
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    with _folder_lock(data_dir):
        if _is_current(data_dir):
            return data_dir
        if data_dir.exists():
            _move_aside(data_dir)
        tmp = data_dir.parent / f".{data_dir.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}"
        try:
            generate_demo_data(tmp)
            try:
                os.rename(tmp, data_dir)
            except OSError:
                if not _is_current(data_dir):
                    raise
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
    return data_dir
