"""Run a report's notebooks in parallel: each is executed, then rendered as offline HTML.

A failing notebook is recorded on its :class:`~funnelkit.run.notebook_runs.NotebookRun`
(the other notebooks still run). Ctrl-C (or any error raised while waiting) cancels the
notebooks not yet started, waits for those running, and is raised again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from datetime import datetime
from pathlib import Path
from typing import Any

from ..core.errors import ReportError
from .chapters import Chapter
from .execute import execute
from .notebook_runs import NotebookRun
from .render import render_html

__all__ = ["run_chapters"]


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


def run_chapters(
    chapters: list[Chapter],
    report_dir: Path,
    *,
    jobs: int,
    log: Callable[[str], Any],
    header: dict[str, Any],
    **options: Any,
) -> list[NotebookRun]:
    """Run the notebooks ``jobs`` at a time; the runs come back in the report's order.

    Parameters
    ----------
    chapters
        The notebooks, in the report's order, with their parameters.
    report_dir
        The report folder: each notebook's ``.ipynb``, ``.html`` and results go there, and its
        kernel starts there.
    jobs
        Notebooks run at once (at least 1, at most one per chapter).
    log
        Called with one line per finished notebook (and per kernel start retried).
    header
        The lines atop each page (the notebook's file name is added).
    **options
        ``show_code`` and papermill's options (``execution_timeout``, ``start_timeout`` …).

    Returns
    -------
    list of NotebookRun
        One per chapter, in the chapters' order; a failure is recorded there, never raised.
    """
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
