"""Run every report notebook for one client into a dated, never-overwritten report folder.

``run_client`` first checks everything a run depends on: ``client.yaml``, every parameter of
every notebook, the output folder, and every data table (validated once into the prepared
data, :mod:`funnelkit.data.prepare`). Any problem stops it before a report folder exists. Then the
notebooks run in parallel (``jobs`` at a time) with papermill, each is rendered as offline HTML,
and ``index.html`` plus ``summary.json`` (input hashes, library versions, parameters, results,
each notebook's start and end) are written. A failing notebook is saved and rendered with its
traceback, and the other notebooks still run.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, NamedTuple

from ..core import paths
from ..core.errors import ReportError
from ..core.version import __version__
from ..data.config import ClientConfig, load_config
from ..data.prepare import Prepared, prepare
from ..presentation.results import load_results
from . import outputs
from .chapters import Chapter, notebook_sources, plan_chapters
from .execute import check_kernel, execute
from .outputs import previous_report
from .render import render_html, render_index
from .summary import build_summary, write_summary

__all__ = [
    "Failure",
    "NotebookRun",
    "RunResult",
    "previous_report",
    "run_client",
]


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
    started_at: str | None = None
    finished_at: str | None = None

    def fail(self, cell: int | None, ename: str, evalue: str, **extra: Any) -> None:
        message = str(evalue).strip()
        self.status = "failed"
        self.error = {
            "cell": cell,
            "ename": ename,
            "evalue": (message.splitlines() or [""])[0],
            "message": message,
            **extra,
        }

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


def _now() -> str:
    return datetime.now().astimezone().isoformat(timespec="milliseconds")


def _run_notebook(
    chapter: Chapter,
    report_dir: Path,
    *,
    log: Callable[[str], Any],
    header: dict[str, Any],
    show_code: bool,
    **options: Any,
) -> NotebookRun:
    """Execute and render one notebook; a failure is recorded, never raised."""
    t0, run = time.perf_counter(), NotebookRun(name=chapter.stem, started_at=_now())
    target = report_dir / chapter.source.name
    options |= chapter.options
    # The kernel starts in the report folder. Not papermill's `cwd`: it changes the directory of
    # this whole process, which notebooks running in parallel threads would then fight over.
    where = {"resources": {"metadata": {"path": str(report_dir)}}}
    execute(chapter.source, target, chapter.values, run, log=log, **where, **options)
    if target.is_file():
        run.ipynb = target.name
        page = target.with_suffix(".html")
        try:
            render_html(target, page, title=chapter.title, header=header, show_code=show_code)
            run.html = page.name
        except ReportError as err:
            if run.error is None:
                run.fail(None, "ReportError", str(err))
    results_file = report_dir / f"{chapter.stem}.results.json"
    if results_file.is_file():
        run.results = results_file.name
    run.seconds = round(time.perf_counter() - t0, 2)
    run.finished_at = _now()
    return run


def _run_chapters(
    chapters: list[Chapter],
    report_dir: Path,
    *,
    jobs: int,
    log: Callable[[str], Any],
    header: dict[str, Any],
    **options: Any,
) -> list[NotebookRun]:
    """Run the notebooks ``jobs`` at a time; the runs come back in the report's order."""
    done: dict[str, NotebookRun] = {}
    with ThreadPoolExecutor(max_workers=max(1, min(jobs, len(chapters)))) as pool:
        futures = {
            pool.submit(
                _run_notebook,
                chapter,
                report_dir,
                log=log,
                header=header | {"Notebook": chapter.source.name},
                **options,
            ): chapter
            for chapter in chapters
        }
        try:
            for future in as_completed(futures):
                run = future.result()
                done[run.name] = run
                line = f"  {run.status:<6} {run.name:<32} {run.seconds:7.1f} s"
                log(line + (f"   {run.failure}" if run.failure else ""))
        except BaseException:
            for future in futures:
                future.cancel()
            raise
    return [done[chapter.stem] for chapter in chapters]


#: Above this many rows in all, chapters run one per core: each holds its share of the data.
LARGE_CLIENT_ROWS = 2_000_000


def default_jobs(prepared: Prepared) -> int:
    """Notebooks run at once when ``--jobs`` is not given.

    One more than the cores for an ordinary client: kernel start-up and page rendering leave a
    core idle now and then, and a third lane fills it (the demo report: 21.7 s with 2, 17.9 s
    with 3, 19.9 s with 5 on 2 cores). One per core for a large client, whose chapters are bound
    by CPU and memory (10M events: peak 1.8 GB with 2, 2.5 GB with 3).
    """
    cores = os.cpu_count() or 1
    rows = sum(int(info["rows"]) for info in prepared.tables.values())
    return cores if rows > LARGE_CLIENT_ROWS else cores + 1


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
    jobs: int | None = None,
    log: Callable[[str], Any] = print,
) -> RunResult:
    """Check a client's inputs, then run every report notebook and write the report folder.

    Reads ``<client_dir>/client.yaml``, checks the parameters of every notebook, the output
    folder and every data table (prepared once, :func:`funnelkit.data.prepare.prepare`); any problem
    raises before a report folder exists. Then for each ``*.ipynb`` of the notebooks folder it
    injects ``client_dir``, ``results_path``, the notebook's ``parameters`` from ``client.yaml``
    and finally ``parameters``, executes it (``jobs`` notebooks at a time), and renders it as
    HTML. Writes ``reports/<slug>/<YYYY-MM-DD>/`` (or ``…_2``, ``…_3`` when that exists: never
    overwrites) holding per notebook ``<stem>.ipynb``, ``<stem>.html``,
    ``<stem>.results.json``, plus ``index.html`` and ``summary.json``. Until all of it is
    written the folder holds an ``.incomplete`` marker.

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
    jobs
        Notebooks run at once; default :func:`default_jobs` (cores + 1, or the number of cores
        for a client with more than 2M rows).
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
    DataError
        If a data table breaks a rule (nothing runs; every problem is listed).
    ParameterError
        If a parameter (from ``client.yaml`` or ``parameters``) has an unknown name or a wrong
        type, or ``kernel_name`` is not installed (nothing runs).
    ReportError
        If the notebooks folder has no notebooks, or the output folder cannot be written.

    Examples
    --------
    >>> result = run_client(None, log=lambda line: None)  # doctest: +SKIP
    >>> result.status, result.report_dir.name  # doctest: +SKIP
    ('ok', '2026-11-02')
    """
    started, t0 = datetime.now().astimezone(), time.perf_counter()
    config: ClientConfig = load_config(client_dir, check_files=False)
    nb_dir, sources = notebook_sources(notebooks)
    check_kernel(kernel_name)
    chapters = plan_chapters(
        config, sources, dict(parameters or {}), kernel_name=kernel_name, log=log, nb_dir=nb_dir
    )
    root = outputs.output_root(output_dir or paths.reports_dir())
    prepared: Prepared = prepare(config)
    how = "reused from the cache" if prepared.reused else "validated"
    log(f"{config.client}: data {how} in {prepared.seconds:.1f} s")
    folder = outputs.claim_client_folder(
        root, config.report_slug, client=config.client, client_dir=config.client_dir
    )
    day = run_date or date.today()
    report_dir = outputs.new_report_dir(folder, day)
    for chapter in (c for c in chapters if "results_path" in c.values):
        chapter.values["results_path"] = str(report_dir / f"{chapter.stem}.results.json")
    previous = previous_report(report_dir)
    period = f"{config.period.start} – {config.period.end} ({config.period.days} days)"
    header = {"Client": config.client, "Period": period, "Run date": day.isoformat()}
    log(f"{config.client}: {len(sources)} notebooks -> {report_dir}")

    runs = _run_chapters(
        chapters, report_dir, jobs=jobs or default_jobs(prepared), log=log,
        header=header | {"funnelkit": __version__}, show_code=show_code,
        execution_timeout=execution_timeout, start_timeout=start_timeout,
    )  # fmt: skip
    results: dict[str, Any] = {}
    for run in runs:
        results[run.name] = None
        if run.results:
            with contextlib.suppress(ReportError):
                results[run.name] = load_results(report_dir / run.results)

    status = "ok" if all(r.status == "ok" for r in runs) else "failed"
    titles = {chapter.stem: chapter.title for chapter in chapters}
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
        finished_at=datetime.now().astimezone(),
        argv=list(sys.argv),
        parameters={chapter.stem: chapter.values for chapter in chapters},
        notebooks=[vars(r) for r in runs],
        results=results,
        inputs=prepared.input_records,
    )
    summary_path = write_summary(summary, report_dir / "summary.json")
    outputs.finish(report_dir)
    return RunResult(
        client=config.client,
        slug=config.report_slug,
        report_dir=report_dir,
        status=status,
        failures=[r.failure for r in runs if r.failure is not None],
        seconds=round(time.perf_counter() - t0, 2),
        summary_path=summary_path,
        notebooks=runs,
    )
