"""Report folders: one per client and run, never shared, never outside the output folder.

``<output>/<slug>/`` belongs to one client folder (recorded in ``.funnelkit-client.json`` the
first time), so two clients whose names slugify alike ("Acme Shop", "ACME shop!") can never
write into, or link to, each other's reports. Each run gets ``<YYYY-MM-DD>`` or the first free
``<YYYY-MM-DD>_N`` (``mkdir`` is the lock) holding an ``.incomplete`` marker until the run has
written everything: an interrupted run is never taken for the previous report.
"""

from __future__ import annotations

import json
import os
import re
from datetime import date
from pathlib import Path

from ..core.errors import ConfigError, ReportError

__all__ = [
    "INCOMPLETE",
    "OWNER_FILE",
    "claim_client_folder",
    "finish",
    "new_report_dir",
    "output_root",
    "previous_report",
]

#: Marker file of a report folder whose run has not finished (or was interrupted).
INCOMPLETE = ".incomplete"
#: Which client folder owns ``<output>/<slug>/``.
OWNER_FILE = ".funnelkit-client.json"


def _fault(path: Path, err: OSError, what: str) -> ReportError:
    reason = err.strerror or type(err).__name__
    return ReportError(
        f"{path}: {what} ({reason}). Pass --output-dir with a folder you can write to, or fix "
        "the permissions."
    )


def output_root(output_dir: str | Path) -> Path:
    """Create (if needed) and check the folder reports are written under.

    Raises
    ------
    ReportError
        The folder cannot be created (a file is in the way, no permission) or written to.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     output_root(Path(tmp) / "reports").name
    'reports'
    """
    root = Path(output_dir).expanduser().resolve()
    for parent in [root, *root.parents]:
        if parent.exists() and not parent.is_dir():
            raise ReportError(
                f"{root}: cannot hold reports because {parent} is a file, not a folder. Pass "
                "--output-dir with a folder path."
            )
    try:
        root.mkdir(parents=True, exist_ok=True)
        probe = root / f".write-test-{os.getpid()}"
        probe.mkdir()
        probe.rmdir()
    except OSError as err:
        raise _fault(root, err, "reports cannot be written here") from None
    return root


def claim_client_folder(root: Path, slug: str, *, client: str, client_dir: Path) -> Path:
    """``root/slug`` for this client folder; refuse it when another client folder owns it.

    Raises
    ------
    ConfigError
        The slug would leave ``root``, or the folder belongs to a different client folder.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     root = Path(tmp)
    ...     a = claim_client_folder(root, "acme-shop", client="Acme Shop", client_dir=Path("/a"))
    ...     claim_client_folder(root, "acme-shop", client="ACME shop!", client_dir=Path("/b"))
    Traceback (most recent call last):
    ...
    funnelkit.core.errors.ConfigError: ...
    """
    folder = (root / slug).resolve()
    if folder.parent != root or not re.fullmatch(r"[\w][\w.-]*", slug):
        raise ConfigError(
            f"slug {slug!r}: a report folder must be a plain name inside {root}; set `slug:` in "
            "client.yaml to letters, digits and '-' only (e.g. 'acme-shop')."
        )
    owner = {"client": client, "client_dir": str(Path(client_dir).resolve())}
    try:
        folder.mkdir(parents=True, exist_ok=True)
        marker = folder / OWNER_FILE
        try:
            with marker.open("x", encoding="utf-8") as handle:  # first claim wins
                json.dump(owner, handle, ensure_ascii=False, indent=1)
            return folder
        except FileExistsError:
            recorded = json.loads(marker.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError) as err:
        if isinstance(err, OSError):
            raise _fault(folder, err, "the client's report folder cannot be written") from None
        recorded = {}
    if recorded.get("client_dir") != owner["client_dir"]:
        raise ConfigError(
            f"{folder}: already holds the reports of {recorded.get('client', '?')!r} "
            f"(client folder {recorded.get('client_dir', '?')}), so {client!r} "
            f"({owner['client_dir']}) cannot write there. Give this client its own `slug:` in "
            f"client.yaml; if it is the same client moved to a new folder, put the new path into "
            f"{folder / OWNER_FILE}."
        )
    return folder


def new_report_dir(folder: Path, run_date: date) -> Path:
    """Create ``folder/<date>`` or the first free ``<date>_N``, marked incomplete."""
    for n in range(1, 10_000):
        candidate = folder / (run_date.isoformat() + ("" if n == 1 else f"_{n}"))
        try:
            candidate.mkdir()
        except FileExistsError:
            continue
        except OSError as err:
            raise _fault(candidate, err, "the report folder cannot be created") from None
        (candidate / INCOMPLETE).write_text(
            "This report is being written, or its run was interrupted: it is incomplete.\n",
            encoding="utf-8",
        )
        return candidate
    raise ReportError(f"{folder}: 9,999 reports for {run_date}; move old ones away.")


def finish(report_dir: Path) -> None:
    """Mark a report folder complete (the run wrote everything)."""
    (report_dir / INCOMPLETE).unlink(missing_ok=True)


def _report_key(folder: Path) -> tuple[str, int] | None:
    match = re.fullmatch(r"(\d{4}-\d{2}-\d{2})(?:_(\d+))?", folder.name)
    return (match[1], int(match[2] or 1)) if match else None


def previous_report(report_dir: Path) -> Path | None:
    """The latest complete report of the same client before ``report_dir``, if any."""
    own = _report_key(report_dir)
    done = [
        (key, d)
        for d in report_dir.parent.iterdir()
        if d.is_dir()
        and d != report_dir
        and (key := _report_key(d))
        and own
        and key < own
        and (d / "summary.json").is_file()
        and not (d / INCOMPLETE).exists()
    ]
    return max(done)[1] if done else None
