"""Execute one notebook robustly: kernel choice, start-up retries, failures recorded.

Parallel runs race for kernel ports, so a kernel that does not start is retried with back-off;
a failure inside a cell (or a kernel that dies after cells ran) is recorded on the
:class:`~funnelkit.run.notebook_runs.NotebookRun` and never retried or raised.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
import papermill
from papermill.exceptions import PapermillExecutionError

from ..core.errors import ParameterError
from .notebook_runs import NotebookRun
from .parameters import quiet_papermill

__all__ = ["RETRY_DELAYS", "check_kernel", "execute", "kernel_options"]

#: Pauses before retrying a kernel that failed to start (parallel runs race on ports).
RETRY_DELAYS: tuple[float, ...] = (1.0, 2.0, 4.0)


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


def execute(
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


def kernel_options(nb_path: Path, kernel_name: str | None) -> dict[str, Any]:
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


def check_kernel(kernel_name: str | None) -> None:
    """Refuse a kernel name that is not installed (``None`` means each notebook's own)."""
    if kernel_name is None:
        return
    from jupyter_client.kernelspec import KernelSpecManager

    installed = sorted(KernelSpecManager().find_kernel_specs())
    if kernel_name not in installed:
        raise ParameterError(
            f"kernel {kernel_name!r} is not installed; installed kernels are {installed}. "
            "Pass one of them with -k/--kernel or omit it to use the notebook's own kernel."
        )
