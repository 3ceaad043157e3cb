"""Run every report notebook for one client into a dated, never-overwritten report folder.

``run_client`` first checks everything a run depends on: ``client.yaml``, every parameter of
every notebook, the output folder, and every data table (validated once into the prepared
data, :mod:`funnelkit.data.prepare`). Any problem stops it before a report folder exists. Then the
notebooks run in parallel (``jobs`` at a time) with papermill, each is rendered as offline HTML,
and ``index.html`` plus ``summary.json`` (input hashes, library versions, parameters, results,
each notebook's start and end) are written. A failing notebook is saved and rendered with its
traceback, and the other notebooks still run.

The steps of a run, in order: :func:`_check_inputs` (nothing written yet), :func:`_prepare_data`,
:func:`_open_report` (the report folder now exists, marked incomplete), then on the
:class:`_Report`: ``run_chapters``, ``collect_results``, ``write_index``, ``write_summary``,
``finish`` and ``result``.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ..core import paths
from ..core.errors import ReportError
from ..core.version import __version__
from ..data.branding import load_branding
from ..data.config import ClientConfig, load_config
from ..data.engine_client import check_on_engine
from ..data.prepare import Prepared, prepare
from ..presentation.results import load_results
from . import outputs, parallel
from .chapters import Chapter, notebook_sources, plan_chapters, without_their_data
from .deliver import Deliverables, bundle, print_pdf, write_client_report
from .execute import check_kernel
from .notebook_runs import Failure, NotebookRun
from .outputs import previous_report
from .render import render_index
from .summary import build_summary, write_summary

__all__ = [
    "Failure",
    "NotebookRun",
    "RunResult",
    "previous_report",
    "run_client",
]


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


@dataclass(frozen=True)
class _Plan:
    """A run whose inputs (but not yet its data) are checked; nothing is written yet."""

    config: ClientConfig
    chapters: list[Chapter]
    root: Path


@dataclass(frozen=True)
class _Report:
    """A run whose report folder exists (marked incomplete): the context of the later steps."""

    config: ClientConfig
    chapters: list[Chapter]
    prepared: Prepared
    report_dir: Path
    day: date
    previous: Path | None
    started: datetime
    t0: float

    @property
    def header(self) -> dict[str, Any]:
        """The lines atop every page: client, period and run date."""
        period = self.config.period
        return {
            "Client": self.config.client,
            "Period": f"{period.start} – {period.end} ({period.days} days)",
            "Run date": self.day.isoformat(),
        }

    def run_chapters(
        self, *, jobs: int, log: Callable[[str], Any], **options: Any
    ) -> list[NotebookRun]:
        """Execute and render every notebook into the report folder, ``jobs`` at a time."""
        header = self.header | {"funnelkit": __version__}
        return parallel.run_chapters(
            self.chapters, self.report_dir, jobs=jobs, log=log, header=header, **options
        )

    def collect_results(self, runs: list[NotebookRun]) -> dict[str, Any]:
        """Each notebook's saved results, None where it saved none or they cannot be read."""
        results: dict[str, Any] = {}
        for run in runs:
            results[run.name] = None
            if run.results:
                with contextlib.suppress(ReportError):
                    results[run.name] = load_results(self.report_dir / run.results)
        return results

    def write_deliverables(
        self, runs: list[NotebookRun], results: dict[str, Any], *, log: Callable[[str], Any]
    ) -> Deliverables:
        """Write the client's report (HTML, A4 PDF) and copy them into ``client/``."""
        html_path = self.report_dir / "report.html"
        executed = [(r.name, self.report_dir / r.ipynb) for r in runs if r.ipynb]
        write_client_report(
            self.config, executed, results, html_path, day=self.day, previous=self.previous
        )
        files, pdf, note = [html_path], None, ""
        try:
            files.append(print_pdf(html_path, self.report_dir / "report.pdf"))
            pdf = "report.pdf"
        except ReportError as err:
            note = str(err)
            log(f"{self.config.client}: no PDF: {note}")
        folder = bundle(self.report_dir, self.config.report_slug, self.day, files)
        return Deliverables("report.html", pdf, folder.name, note)

    def write_index(
        self, runs: list[NotebookRun], status: str, deliverables: Deliverables | None = None
    ) -> None:
        """Write ``index.html``: the status, a link per notebook and to the previous report."""
        titles = {chapter.stem: chapter.title for chapter in self.chapters}
        previous = self.previous
        link = os.path.relpath(previous / "index.html", self.report_dir) if previous else None
        render_index(
            self.report_dir / "index.html",
            title=f"{self.config.client} — report {self.day.isoformat()}",
            header=self.header | {"Status": status, "funnelkit": __version__},
            notebooks=[{**vars(r), "title": titles[r.name]} for r in runs],
            previous=link,
            deliverables=vars(deliverables) if deliverables else None,
        )

    def write_summary(
        self,
        runs: list[NotebookRun],
        status: str,
        results: dict[str, Any],
        deliverables: Deliverables | None = None,
    ) -> Path:
        """Write ``summary.json`` (inputs, parameters, results, timings) and return its path."""
        summary = build_summary(
            self.config,
            report_dir=self.report_dir,
            previous=self.previous,
            status=status,
            run_date=self.day.isoformat(),
            started_at=self.started,
            finished_at=datetime.now().astimezone(),
            argv=list(sys.argv),
            parameters={chapter.stem: chapter.values for chapter in self.chapters},
            notebooks=[vars(r) for r in runs],
            results=results,
            inputs=self.prepared.input_records,
            deliverables=vars(deliverables) if deliverables else None,
        )
        return write_summary(summary, self.report_dir / "summary.json")

    def finish(self) -> None:
        """Remove the folder's ``.incomplete`` marker: the report is whole."""
        outputs.finish(self.report_dir)

    def result(self, runs: list[NotebookRun], status: str, summary_path: Path) -> RunResult:
        """The :class:`RunResult` of the finished run."""
        return RunResult(
            client=self.config.client,
            slug=self.config.report_slug,
            report_dir=self.report_dir,
            status=status,
            failures=[r.failure for r in runs if r.failure is not None],
            seconds=round(time.perf_counter() - self.t0, 2),
            summary_path=summary_path,
            notebooks=runs,
        )


def _check_inputs(
    client_dir: str | Path | None,
    *,
    parameters: Mapping[str, Any] | None,
    kernel_name: str | None,
    output_dir: Path | None,
    notebooks: Path | None,
    log: Callable[[str], Any],
) -> _Plan:
    """Check ``client.yaml``, the notebooks, the kernel, every parameter and the output folder."""
    config = load_config(client_dir, check_files=False)
    load_branding(config.report.branding, client_dir=config.client_dir)  # profile and logo
    nb_dir, sources = notebook_sources(notebooks)
    check_kernel(kernel_name)
    chapters = plan_chapters(
        config, sources, dict(parameters or {}), kernel_name=kernel_name, log=log, nb_dir=nb_dir
    )
    root = outputs.output_root(output_dir or paths.reports_dir())
    return _Plan(config, chapters, root)


def _prepare_data(config: ClientConfig, *, log: Callable[[str], Any]) -> Prepared:
    """Validate every data table (or reuse the cached validation) and say which it was."""
    prepared = prepare(config)
    how = "reused from the cache" if prepared.reused else "validated"
    log(f"{config.client}: data {how} in {prepared.seconds:.1f} s")
    if config.engine.name != "duckdb":  # reach the engine and check its tables before a chapter
        held, _ = check_on_engine(prepared.open)
        rows = ", ".join(f"{table} {count:,} rows" for table, count in held.items())
        log(f"{config.client}: on {config.engine.name}: {rows} (read in place)")
    return prepared


def client_tables(config: ClientConfig, prepared: Prepared) -> list[str]:
    """The tables the client has: those prepared from ``data:`` and those its engine holds."""
    held = config.engine.tables if config.engine.name != "duckdb" else {}
    return [*prepared.tables, *(t for t in held if t not in prepared.tables)]


def _open_report(
    plan: _Plan, prepared: Prepared, *, day: date, started: datetime, t0: float
) -> _Report:
    """Claim the client's folder, create the dated report folder, and point results into it."""
    config = plan.config
    folder = outputs.claim_client_folder(
        plan.root, config.report_slug, client=config.client, client_dir=config.client_dir
    )
    report_dir = outputs.new_report_dir(folder, day)
    for chapter in (c for c in plan.chapters if "results_path" in c.values):
        chapter.values["results_path"] = str(report_dir / f"{chapter.stem}.results.json")
    previous = previous_report(report_dir)
    return _Report(config, plan.chapters, prepared, report_dir, day, previous, started, t0)


def _overall_status(runs: list[NotebookRun]) -> str:
    """``"ok"`` if every notebook ran without failure, else ``"failed"``."""
    return "ok" if all(r.status == "ok" for r in runs) else "failed"


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
    raises before a report folder exists. Then for each ``*.ipynb`` of the notebooks folder (less
    ``report.chapters.exclude``, then the client's own notebooks: ``report.notebooks``, by default
    ``<client_dir>/notebooks/*.ipynb``; :func:`~funnelkit.run.chapters.select_sources`) it
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
        If ``client.yaml`` is invalid, or its ``report:`` names an unknown chapter or a missing
        notebook (nothing runs).
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
    plan = _check_inputs(
        client_dir,
        parameters=parameters,
        kernel_name=kernel_name,
        output_dir=output_dir,
        notebooks=notebooks,
        log=log,
    )
    prepared = _prepare_data(plan.config, log=log)
    tables = client_tables(plan.config, prepared)
    plan = replace(plan, chapters=without_their_data(plan.chapters, tables, log=log))
    report = _open_report(plan, prepared, day=run_date or date.today(), started=started, t0=t0)
    log(f"{report.config.client}: {len(report.chapters)} notebooks -> {report.report_dir}")
    runs = report.run_chapters(
        jobs=jobs or default_jobs(prepared),
        log=log,
        show_code=show_code,
        execution_timeout=execution_timeout,
        start_timeout=start_timeout,
    )
    results = report.collect_results(runs)
    status = _overall_status(runs)
    deliverables = report.write_deliverables(runs, results, log=log)
    report.write_index(runs, status, deliverables)
    summary_path = report.write_summary(runs, status, results, deliverables)
    report.finish()
    return report.result(runs, status, summary_path)
