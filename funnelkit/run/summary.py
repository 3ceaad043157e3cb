"""The run's ``summary.json``: what ran, on which inputs, with which versions, and the results.

:func:`build_summary` assembles it from the run and the notebooks' results files
(:mod:`funnelkit.presentation.results`); :func:`write_summary` checks it against
``summary.schema.json`` (draft 2020-12, every field described) before writing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import platform
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import jsonschema

from ..core.errors import ReportError
from ..core.paths import CLIENT_CONFIG_NAME
from ..core.version import __version__
from ..presentation.results import to_jsonable

__all__ = [
    "LIBRARIES",
    "SUMMARY_SCHEMA_PATH",
    "build_summary",
    "file_inputs",
    "library_versions",
    "validate_summary",
    "write_summary",
]

#: JSON Schema (draft 2020-12) of ``summary.json``.
SUMMARY_SCHEMA_PATH = Path(__file__).with_name("summary.schema.json")
#: Libraries whose versions ``summary.json`` records.
LIBRARIES = (
    "pandas",
    "numpy",
    "scipy",
    "statsmodels",
    "duckdb",
    "pyarrow",
    "papermill",
    "nbconvert",
    "nbclient",
    "ipykernel",
    "seaborn",
    "matplotlib",
    "pydantic",
    "pyyaml",
    "openpyxl",
    "jsonschema",
    "click",
)


def library_versions(names: tuple[str, ...] = LIBRARIES) -> dict[str, str | None]:
    """Installed version of each distribution, ``None`` where it is not installed."""
    found: dict[str, str | None] = {}
    for name in names:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = None
    return found


def _sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def file_inputs(config: Any) -> list[dict[str, Any]]:
    """``{table, path, bytes, sha256}`` of every data file (deals too), then ``client.yaml``."""
    files = config.data_files()
    files.append((None, Path(config.client_dir) / CLIENT_CONFIG_NAME))
    return [
        {"table": table, "path": str(path), "bytes": path.stat().st_size, "sha256": _sha256(path)}
        for table, path in files
        if path.is_file()
    ]


def build_summary(
    config: Any,
    *,
    report_dir: Path,
    previous: Path | None,
    status: str,
    run_date: str,
    started_at: dt.datetime,
    finished_at: dt.datetime,
    argv: list[str],
    parameters: dict[str, dict[str, Any]],
    notebooks: list[dict[str, Any]],
    results: dict[str, Any],
    inputs: list[dict[str, Any]] | None = None,
    deliverables: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Assemble ``summary.json`` (see ``summary.schema.json`` for every field).

    ``inputs`` are the hashed input files when the caller has them (the prepared data do);
    otherwise every input file is hashed here. ``deliverables`` names the client's files.
    """
    return to_jsonable(
        {
            "schema_version": 1,
            "client": config.client,
            "slug": config.report_slug,
            "language": config.language,
            "currency": config.currency,
            "timezone": config.timezone,
            "period": {
                "start": config.period.start,
                "end": config.period.end,
                "days": config.period.days,
            },
            "run": {
                "run_date": run_date,
                "started_at": started_at.isoformat(timespec="seconds"),
                "finished_at": finished_at.isoformat(timespec="seconds"),
                "report_dir": str(report_dir),
                "previous_report": str(previous) if previous else None,
                "status": status,
                "argv": [str(a) for a in argv],
                "funnelkit_version": __version__,
                "python_version": platform.python_version(),
                "platform": platform.platform(),
                "libraries": library_versions(),
            },
            "parameters": parameters,
            "inputs": inputs if inputs is not None else file_inputs(config),
            "notebooks": notebooks,
            **({"deliverables": deliverables} if deliverables is not None else {}),
            "results": results,
        }
    )


def validate_summary(summary: dict[str, Any]) -> None:
    """Check ``summary`` against ``summary.schema.json``.

    Raises
    ------
    ReportError
        On any mismatch: a bug in funnelkit, not in the client's data; report it.
    """
    schema = json.loads(SUMMARY_SCHEMA_PATH.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    errors = sorted(validator.iter_errors(summary), key=lambda e: list(e.absolute_path))
    if errors:
        where = "/".join(str(p) for p in errors[0].absolute_path) or "(top level)"
        raise ReportError(
            f"summary.json does not match {SUMMARY_SCHEMA_PATH.name} at `{where}`: "
            f"{errors[0].message} ({len(errors)} problem(s)). This is a funnelkit bug; "
            "please report it with the report folder."
        )


def write_summary(summary: dict[str, Any], path: str | Path) -> Path:
    """Validate ``summary`` and write it as UTF-8 JSON; returns ``path``."""
    validate_summary(summary)
    path = Path(path)
    path.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
