"""Run the report for every client folder under one directory, in parallel.

Each client runs in its own ``python -m funnelkit run`` subprocess, so one client's crash (or a
kernel that dies) never stops the others; the subprocess reports back through a small JSON
status file. A client whose input is refused (exit code 2) is listed as ``bad input`` with the
message, and the others go on.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from ..core import paths
from ..core.errors import ConfigError, ParameterError

__all__ = ["client_folders", "run_batch", "run_command"]

_RUN_OPTIONS = (
    "parameters",
    "kernel_name",
    "execution_timeout",
    "start_timeout",
    "show_code",
    "output_dir",
    "notebooks",
    "run_date",
)


def client_folders(clients_dir: str | Path) -> list[Path]:
    """Every direct subfolder of ``clients_dir`` that holds a ``client.yaml``, sorted by name.

    Raises
    ------
    ConfigError
        If ``clients_dir`` does not exist or holds no client folder.
    """
    root = Path(clients_dir).expanduser().resolve()
    if not root.is_dir():
        raise ConfigError(f"{root}: no such folder; pass the folder that holds the client folders.")
    found = sorted(d for d in root.iterdir() if (d / paths.CLIENT_CONFIG_NAME).is_file())
    if not found:
        raise ConfigError(
            f"{root}: holds no client folders (subfolders with a {paths.CLIENT_CONFIG_NAME}); "
            f"create one with `funnelkit new NAME --dir {root}`."
        )
    return found


def run_command(client_dir: Path, status_file: Path, **run_options: Any) -> list[str]:
    """The ``python -m funnelkit run …`` command line for one client of a batch.

    Examples
    --------
    >>> cmd = run_command(Path("acme"), Path("s.json"), parameters={"top_events": 5})
    >>> cmd[1:]
    ['-m', 'funnelkit', 'run', 'acme', '--json-status', 's.json', '-y', '{"top_events": 5}']
    """
    unknown = sorted(set(run_options) - set(_RUN_OPTIONS))
    if unknown:
        raise ParameterError(
            f"run_batch got unknown option(s) {unknown}; the run options are {list(_RUN_OPTIONS)}."
        )
    cmd = [sys.executable, "-m", "funnelkit", "run", str(client_dir)]
    cmd += ["--json-status", str(status_file)]
    opts = run_options
    if opts.get("parameters"):
        cmd += ["-y", json.dumps(opts["parameters"], ensure_ascii=False, default=str)]
    if opts.get("kernel_name"):
        cmd += ["-k", str(opts["kernel_name"])]
    for key in ("execution_timeout", "start_timeout"):
        if opts.get(key) is not None:
            cmd += [f"--{key.replace('_', '-')}", str(int(opts[key]))]
    if opts.get("show_code"):
        cmd += ["--show-code"]
    for key in ("output_dir", "notebooks"):
        if opts.get(key):
            cmd += [f"--{key.replace('_', '-')}", str(Path(opts[key]).resolve())]
    if opts.get("run_date"):
        run_date = opts["run_date"]
        cmd += ["--run-date", run_date.isoformat() if isinstance(run_date, date) else run_date]
    return cmd


def _run_one(client_dir: Path, work: Path, run_options: dict[str, Any]) -> dict[str, Any]:
    status_file = work / f"{client_dir.name}.status.json"
    log_file = work / f"{client_dir.name}.log"
    t0 = time.perf_counter()
    with log_file.open("w", encoding="utf-8") as out:
        proc = subprocess.run(
            run_command(client_dir, status_file, **run_options),
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        )
    seconds = round(time.perf_counter() - t0, 1)
    row = {"client": client_dir.name, "status": "failed", "seconds": seconds}
    row |= {"report_dir": None, "failures": [], "message": None}
    if status_file.is_file():
        status = json.loads(status_file.read_text(encoding="utf-8"))
        row |= {k: status.get(k, row[k]) for k in ("status", "report_dir", "failures", "message")}
    if proc.returncode != 0 and row["status"] == "ok":
        row["status"] = "failed"
    if row["status"] != "ok" and not row["failures"]:
        tail = log_file.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-3:]
        row["failures"] = [f"exit code {proc.returncode}: " + " | ".join(tail)]
    return row


def run_batch(
    clients_dir: str | Path,
    *,
    jobs: int | None = None,
    log: Callable[[str], Any] = print,
    **run_options: Any,
) -> pd.DataFrame:
    """Run the report for every client folder under ``clients_dir``, ``jobs`` at a time.

    Turns a folder of client folders (each holding ``client.yaml``) into one report per client,
    each made by its own subprocess, and returns one row per client.

    Parameters
    ----------
    clients_dir
        Folder whose direct subfolders with a ``client.yaml`` are the clients.
    jobs
        How many clients run at once; default ``os.cpu_count()``.
    log
        Called with a progress line as each client finishes: ``[2/5] acme  ok  34.2 s``.
    **run_options
        Passed to every run, as for :func:`funnelkit.run.report.run_client`: ``parameters``,
        ``kernel_name``, ``execution_timeout``, ``start_timeout``, ``show_code``,
        ``output_dir``, ``notebooks``, ``run_date``.

    Returns
    -------
    pandas.DataFrame
        One row per client folder, sorted by folder name, with columns ``client`` (folder name),
        ``status`` (``"ok"``, ``"failed"`` when a notebook failed, ``"bad input"`` when the
        client's config, parameters or data were refused before anything ran), ``seconds``,
        ``report_dir`` (None when no report folder was made), ``failures`` (list of
        ``"<notebook> cell <n>: <error>"`` lines, or the one-line headline of what stopped the
        run) and ``message`` (the whole message of a refused input, else None).

    Raises
    ------
    ConfigError
        If ``clients_dir`` holds no client folder.

    Examples
    --------
    >>> table = run_batch("clients", jobs=2)  # doctest: +SKIP
    [1/2] acme  ok  31.0 s
    [2/2] globex  failed  12.4 s
    """
    folders = client_folders(clients_dir)
    run_command(Path("."), Path("."), **run_options)  # reject unknown options up front
    jobs = max(1, jobs or os.cpu_count() or 1)
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="funnelkit-batch-") as tmp:
        with ThreadPoolExecutor(max_workers=min(jobs, len(folders))) as pool:
            futures = [pool.submit(_run_one, d, Path(tmp), run_options) for d in folders]
            for done, future in enumerate(as_completed(futures), start=1):
                row = future.result()
                rows.append(row)
                log(f"[{done}/{len(folders)}] {row['client']}  {row['status']}  {row['seconds']} s")
    columns = ["client", "status", "seconds", "report_dir", "failures", "message"]
    table = pd.DataFrame(rows, columns=columns)
    return table.sort_values("client", ignore_index=True)
