"""Run every report notebook for one client into a dated, never-overwritten report folder.

``run_client`` loads ``client.yaml``, checks each notebook's parameters *before* anything runs,
executes the notebooks with papermill, renders each as offline HTML, and writes ``index.html``
plus ``summary.json`` (input hashes, library versions, parameters, results). A failing notebook
is saved and rendered with its traceback, and the other notebooks still run.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, NamedTuple

import nbformat
import papermill
from papermill.exceptions import PapermillExecutionError

from . import __version__, paths
from .config import ClientConfig, load_config
from .errors import ParameterError, ReportError
from .parameters import (
    check_parameters,
    inspect_parameters,
    quiet_papermill,
    unknown_cli_parameters,
)
from .render import render_html, render_index
from .results import build_summary, load_results, write_summary

__all__ = [
    "Failure",
    "NotebookRun",
    "RunResult",
    "previous_report",
    "run_client",
]

#: Pauses before retrying a kernel that failed to start (parallel runs race on ports).
RETRY_DELAYS: tuple[float, ...] = (1.0, 2.0, 4.0)


class Failure(NamedTuple):
    """One failed notebook: its name, the cell (``In [n]`` count; None before execution), error."""

    notebook: str
    cell: int | None
    error: str

    def __str__(self) -> str:
        where = f"cell {self.cell}" if self.cell is not None else "before execution"
        return f"{self.notebook} {where}: {self.error}"


@dataclass
class NotebookRun:
    """What happened to one notebook in a run (one entry of ``summary.json``'s ``notebooks``)."""

    name: str
    status: str = "ok"
    seconds: float = 0.0
    ipynb: str | None = None
    html: str | None = None
    results: str | None = None
    error: dict[str, Any] | None = None

    def fail(self, cell: int | None, ename: str, evalue: str, **extra: Any) -> None:
        evalue = (str(evalue).strip().splitlines() or [""])[0]
        self.status = "failed"
        self.error = {"cell": cell, "ename": ename, "evalue": evalue, **extra}

    @property
    def failure(self) -> Failure | None:
        if self.error is None:
            return None
        error = self.error
        return Failure(self.name, error["cell"], f"{error['ename']}: {error['evalue']}")


@dataclass
class RunResult:
    """The outcome of :func:`run_client`."""

    client: str
    slug: str
    report_dir: Path
    status: str
    failures: list[Failure]
    seconds: float
    summary_path: Path
    notebooks: list[NotebookRun] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def _report_dir(root: Path, slug: str, run_date: date) -> Path:
    """Create ``root/slug/<date>`` or the first free ``<date>_N``; ``mkdir`` is the lock."""
    parent = root / slug
    parent.mkdir(parents=True, exist_ok=True)
    for n in range(1, 10_000):
        candidate = parent / (run_date.isoformat() + ("" if n == 1 else f"_{n}"))
        try:
            candidate.mkdir()
        except FileExistsError:
            continue
        return candidate
    raise ReportError(f"{parent}: 9,999 reports for {run_date}; move old ones away.")


def _report_key(folder: Path) -> tuple[str, int] | None:
    match = re.fullmatch(r"(\d{4}-\d{2}-\d{2})(?:_(\d+))?", folder.name)
    return (match[1], int(match[2] or 1)) if match else None


def previous_report(report_dir: Path) -> Path | None:
    """The latest finished report of the same client before ``report_dir``, if any."""
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
    ]
    return max(done)[1] if done else None


def _cells_ran(nb_path: Path) -> tuple[bool, int | None]:
    """Whether any cell of a (partly) executed notebook ran, and the last execution count."""
    try:
        nb = nbformat.read(nb_path, as_version=4)
    except (OSError, ValueError):
        return False, None
    counts = [c.get("execution_count") for c in nb.cells if c.cell_type == "code"]
    counts = [c for c in counts if c is not None]
    started = any(c.get("metadata", {}).get("papermill", {}).get("start_time") for c in nb.cells)
    return bool(counts) or started, (max(counts) if counts else None)


def _execute(
    source: Path,
    target: Path,
    parameters: dict[str, Any],
    run: NotebookRun,
    *,
    log: Callable[[str], Any],
    **options: Any,
) -> None:
    """Execute one notebook, retrying a kernel that did not start; record a failure in ``run``."""
    for attempt in range(len(RETRY_DELAYS) + 1):
        try:
            with quiet_papermill():
                papermill.execute_notebook(
                    str(source), str(target), parameters=parameters, progress_bar=False, **options
                )
            return
        except PapermillExecutionError as err:
            run.fail(err.exec_count, err.ename, err.evalue, cell_index=err.cell_index)
            return
        except Exception as err:  # kernel start, timeout, dead kernel …
            ran, last_cell = _cells_ran(target)
            no_kernel = type(err).__name__ == "NoSuchKernel"
            if ran or no_kernel or attempt == len(RETRY_DELAYS):
                run.fail(last_cell, type(err).__name__, str(err) or repr(err))
                return
            delay = RETRY_DELAYS[attempt]
            log(
                f"  {run.name}: kernel did not start ({type(err).__name__}: {err}); "
                f"retry {attempt + 1}/{len(RETRY_DELAYS)} in {delay:g} s"
            )
            time.sleep(delay)


def _title(nb_path: Path) -> str:
    """The notebook's first markdown H1, else its humanised file stem."""
    nb = nbformat.read(nb_path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            match = re.search(r"^#\s+(.+?)\s*#*\s*$", cell.source, flags=re.MULTILINE)
            if match:
                return match[1]
    return re.sub(r"^\d+[_-]*", "", nb_path.stem).replace("_", " ").strip().capitalize()


def _kernel_options(nb_path: Path, kernel_name: str | None) -> dict[str, Any]:
    """Kernel name (the notebook's own by default) and, for ipykernel, a quieter console.

    ipykernel logs transport warnings and the shutdown interrupt to the terminal, which would
    drown the one line per notebook; errors inside the notebook are unaffected.
    """
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    spec = nbformat.read(nb_path, as_version=4).metadata.get("kernelspec", {})
    name = kernel_name or spec.get("name") or "python3"
    try:
        argv = KernelSpecManager().get_kernel_spec(name).argv
    except NoSuchKernel:
        argv = []
    quiet = any("ipykernel" in str(arg) for arg in argv)
    return {"kernel_name": name} | (
        {"extra_arguments": ["--IPKernelApp.log_level=CRITICAL"]} if quiet else {}
    )


def _check_kernel(kernel_name: str | None) -> None:
    if kernel_name is None:
        return
    from jupyter_client.kernelspec import KernelSpecManager

    installed = sorted(KernelSpecManager().find_kernel_specs())
    if kernel_name not in installed:
        raise ParameterError(
            f"kernel {kernel_name!r} is not installed; installed kernels are {installed}. "
            "Pass one of them with -k/--kernel or omit it to use the notebook's own kernel."
        )


def _run_notebook(
    source: Path,
    report_dir: Path,
    values: dict[str, Any],
    declared: Mapping[str, Mapping[str, str]],
    *,
    origin: Mapping[str, str],
    log: Callable[[str], Any],
    header: dict[str, Any],
    title: str,
    show_code: bool,
    **options: Any,
) -> NotebookRun:
    """Check, execute and render one notebook; a failure is recorded, never raised."""
    t0, run = time.perf_counter(), NotebookRun(name=source.stem)
    try:
        check_parameters(source.name, values, declared, origin=origin)
    except ParameterError as err:
        run.fail(None, "ParameterError", str(err))
    else:
        target = report_dir / source.name
        _execute(source, target, values, run, log=log, cwd=str(report_dir), **options)
        if target.is_file():
            run.ipynb = target.name
            page = target.with_suffix(".html")
            header = header | {"funnelkit": __version__}
            try:
                render_html(target, page, title=title, header=header, show_code=show_code)
                run.html = page.name
            except ReportError as err:
                if run.error is None:
                    run.fail(None, "ReportError", str(err))
    run.seconds = round(time.perf_counter() - t0, 2)
    return run


def run_client(
    client_dir: str | Path | None = None,
    *,
    parameters: Mapping[str, Any] | None = None,
    kernel_name: str | None = None,
    execution_timeout: int = 600,
    start_timeout: int = 120,
    show_code: bool = False,
    output_dir: Path | None = None,
    notebooks: Path | None = None,
    run_date: date | None = None,
    log: Callable[[str], Any] = print,
) -> RunResult:
    """Run every report notebook for one client and write the report folder.

    Reads ``<client_dir>/client.yaml``, then for each ``*.ipynb`` of the notebooks folder (in
    name order) injects ``client_dir``, ``results_path``, the notebook's ``parameters`` from
    ``client.yaml`` and finally ``parameters``, executes it, and renders it as HTML. Writes
    ``reports/<slug>/<YYYY-MM-DD>/`` (or ``…_2``, ``…_3`` when that exists: never overwrites)
    holding per notebook ``<stem>.ipynb``, ``<stem>.html``, ``<stem>.results.json``, plus
    ``index.html`` and ``summary.json``.

    Parameters
    ----------
    client_dir
        The client folder (holding ``client.yaml``); ``None`` runs the bundled demo client.
    parameters
        Parameter overrides for every notebook that declares the name (the command line's
        ``-p NAME VALUE``); a name no notebook declares is an error.
    kernel_name
        Jupyter kernel to run; default: each notebook's own kernelspec.
    execution_timeout, start_timeout
        Seconds a cell may run, and the kernel may take to start.
    show_code
        Show code in the HTML; by default only outputs and text show.
    output_dir
        Folder to write reports under instead of ``reports/``.
    notebooks
        Folder of notebooks instead of ``notebooks/``.
    run_date
        The date the report folder is named after; default today.
    log
        Called with one progress line per notebook.

    Returns
    -------
    RunResult
        ``status`` is ``"failed"`` if any notebook failed; ``failures`` says where.

    Raises
    ------
    ConfigError
        If ``client.yaml`` is invalid (nothing runs).
    ParameterError
        If a name in ``parameters`` is declared by no notebook, or ``kernel_name`` is not
        installed (nothing runs). A notebook-level parameter error fails only that notebook.
    ReportError
        If the notebooks folder has no notebooks.

    Examples
    --------
    >>> result = run_client(None, log=lambda line: None)  # doctest: +SKIP
    >>> result.status, result.report_dir.name  # doctest: +SKIP
    ('ok', '2026-11-02')
    """
    started, t0 = datetime.now().astimezone(), time.perf_counter()
    config: ClientConfig = load_config(client_dir)
    nb_dir = Path(notebooks or paths.notebooks_dir()).expanduser().resolve()
    sources = sorted(nb_dir.glob("*.ipynb")) if nb_dir.is_dir() else []
    if not sources:
        raise ReportError(
            f"{nb_dir}: no notebooks (*.ipynb) found; pass --notebooks with the folder that "
            "holds the report notebooks."
        )
    _check_kernel(kernel_name)
    with quiet_papermill():
        declared = {nb.stem: inspect_parameters(nb) for nb in sources}
    cli_parameters = dict(parameters or {})
    unknown_cli_parameters(cli_parameters, declared, notebooks_dir=nb_dir)
    for stem in set(config.parameters) - set(declared):
        log(f"  note: client.yaml has parameters for {stem!r}, which is not in {nb_dir}; ignored")

    day = run_date or date.today()
    root = Path(output_dir or paths.reports_dir()).expanduser().resolve()
    report_dir = _report_dir(root, config.report_slug, day)
    previous = previous_report(report_dir)
    period = f"{config.period.start} – {config.period.end} ({config.period.days} days)"
    header = {"Client": config.client, "Period": period, "Run date": day.isoformat()}
    log(f"{config.client}: {len(sources)} notebooks -> {report_dir}")

    runs: list[NotebookRun] = []
    titles = {source.stem: _title(source) for source in sources}
    injected: dict[str, dict[str, Any]] = {}
    results: dict[str, Any] = {}
    for source in sources:
        stem, declared_here = source.stem, declared[source.stem]
        results_file = report_dir / f"{stem}.results.json"
        base = {"client_dir": str(config.client_dir), "results_path": str(results_file)}
        from_yaml = config.notebook_parameters(stem)
        from_cli = {k: v for k, v in cli_parameters.items() if k in declared_here}
        injected[stem] = {k: v for k, v in base.items() if k in declared_here}
        injected[stem] |= from_yaml | from_cli
        origin = {k: f"client.yaml `parameters.{stem}`" for k in from_yaml}
        origin |= {k: "the command line" for k in from_cli}
        run = _run_notebook(
            source, report_dir, injected[stem], declared_here, origin=origin, log=log,
            header=header | {"Notebook": source.name}, title=titles[stem], show_code=show_code,
            execution_timeout=execution_timeout, start_timeout=start_timeout,
            **_kernel_options(source, kernel_name),
        )  # fmt: skip
        results[stem] = None
        if results_file.is_file():
            run.results = results_file.name
            with contextlib.suppress(ReportError):
                results[stem] = load_results(results_file)
        runs.append(run)
        line = f"  {run.status:<6} {stem:<32} {run.seconds:7.1f} s"
        log(line + (f"   {run.failure}" if run.failure else ""))

    status = "ok" if all(r.status == "ok" for r in runs) else "failed"
    finished = datetime.now().astimezone()
    render_index(
        report_dir / "index.html",
        title=f"{config.client} — report {day.isoformat()}",
        header=header | {"Status": status, "funnelkit": __version__},
        notebooks=[{**vars(r), "title": titles[r.name]} for r in runs],
        previous=os.path.relpath(previous / "index.html", report_dir) if previous else None,
    )
    summary = build_summary(
        config,
        report_dir=report_dir,
        previous=previous,
        status=status,
        run_date=day.isoformat(),
        started_at=started,
        finished_at=finished,
        argv=list(sys.argv),
        parameters=injected,
        notebooks=[vars(r) for r in runs],
        results=results,
    )
    summary_path = write_summary(summary, report_dir / "summary.json")
    failures = [r.failure for r in runs if r.failure is not None]
    return RunResult(
        client=config.client,
        slug=config.report_slug,
        report_dir=report_dir,
        status=status,
        failures=failures,
        seconds=round(time.perf_counter() - t0, 2),
        summary_path=summary_path,
        notebooks=runs,
    )
