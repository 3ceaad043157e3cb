"""One exception family for everything funnelkit reports to a user.

Every error is a ``ValueError`` or ``TypeError`` subclass so callers that catch the built-in
families keep working, and every message names the thing, the value received, what is allowed,
and the fix.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence

__all__ = [
    "ConfigError",
    "DataError",
    "DataWarning",
    "FunnelkitError",
    "ParameterError",
    "ReportError",
    "did_you_mean",
    "format_rows",
]


class FunnelkitError(Exception):
    """Base class of every error funnelkit raises on purpose."""

    @property
    def headline(self) -> str:
        r"""The message in one line, for a table row or a status line (the first line by default).

        Examples
        --------
        >>> ConfigError("client.yaml: `currency` is invalid\nmore detail").headline
        'client.yaml: `currency` is invalid'
        """
        return next((line for line in str(self).splitlines() if line.strip()), "")


class ConfigError(FunnelkitError, ValueError):
    """``client.yaml`` is invalid: unknown key, wrong type, missing file or column."""


class DataError(FunnelkitError, ValueError):
    """A data file breaks a rule of its canonical table.

    Carries the file, column and example rows so a caller (the data-health notebook, a test)
    can act on them without parsing the message.
    """

    def __init__(
        self,
        message: str,
        *,
        table: str | None = None,
        file: str | None = None,
        column: str | None = None,
        row_count: int = 0,
        example_rows: Sequence[int] = (),
        problems: Sequence[str] = (),
    ) -> None:
        super().__init__(message)
        self.problems = list(problems)
        self.table = table
        self.file = file
        self.column = column
        self.row_count = row_count
        self.example_rows = list(example_rows)

    @property
    def headline(self) -> str:
        """The first problem itself (not the count), and how many more there are."""
        if not self.problems:
            return super().headline
        more = len(self.problems) - 1
        return self.problems[0] + (f" (and {more} more problem{'s' * (more > 1)})" if more else "")


class AnalysisError(FunnelkitError, ValueError):
    """A statistics input that cannot be used (bad option, impossible counts)."""


class AnalysisWarning(UserWarning):
    """A usable but doubtful A/B input (e.g. a chi-square approximation on expected counts < 5)."""


class ParameterError(FunnelkitError, TypeError):
    """A notebook parameter has an unknown name or a value of the wrong type."""


class ReportError(FunnelkitError, RuntimeError):
    """The report pipeline could not produce a report (not a notebook failure)."""


class DataWarning(UserWarning):
    """Suspicious but usable input; shown in the data-health report, never hidden."""


def did_you_mean(word: object, choices: Iterable[object], *, sentence: bool = True) -> str:
    """The closest choice as a hint for an error message, or ``""`` when none is close.

    ``sentence`` gives `` Did you mean 'x'?`` (after a full stop), else ``; did you mean 'x'?``
    (inside a sentence).

    Examples
    --------
    >>> did_you_mean("colums", ["path", "columns"])
    " Did you mean 'columns'?"
    >>> did_you_mean("colums", ["path", "columns"], sentence=False)
    "; did you mean 'columns'?"
    >>> did_you_mean("zzz", ["path", "columns"])
    ''
    """
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1)
    if not close:
        return ""
    return f" Did you mean {close[0]!r}?" if sentence else f"; did you mean {close[0]!r}?"


def format_rows(rows: Sequence[int], total: int, *, limit: int = 5, unit: str = "line") -> str:
    """Describe offending rows as ``"1,204 rows (e.g. lines 17, 88, 90)"``.

    For CSV and Excel files, line numbers count the header as line 1, as a spreadsheet or text
    editor shows them; Parquet files have no lines, so ``unit="row"`` counts data rows from 1.

    Examples
    --------
    >>> format_rows([2, 5], 2)
    '2 rows (lines 2, 5)'
    >>> format_rows([2, 5, 9], 1204, limit=2)
    '1,204 rows (e.g. lines 2, 5)'
    """
    shown = ", ".join(str(r) for r in list(rows)[:limit])
    noun = "row" if total == 1 else "rows"
    prefix = "e.g. " if total > min(len(rows), limit) else ""
    line_word = unit if min(len(rows), limit) == 1 else unit + "s"
    return f"{total:,} {noun} ({prefix}{line_word} {shown})"
