"""What became of each notebook of a run: :class:`NotebookRun` and :class:`Failure`.

:mod:`~funnelkit.run.execute` records failures on a :class:`NotebookRun` and
:mod:`~funnelkit.run.report` collects the runs; both import these types from here, so neither
imports the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

__all__ = ["Failure", "NotebookRun"]


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
        """Mark the run failed in ``cell`` (None: before execution) with the error's details."""
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
        """The run's :class:`Failure`, or None if it did not fail."""
        if self.error is None:
            return None
        error = self.error
        return Failure(self.name, error["cell"], f"{error['ename']}: {error['evalue']}")
