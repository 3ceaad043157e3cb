"""What the ClickHouse and BigQuery sessions share: a chapter's views and tables, kept by name.

Both engines keep a session's views and engine-held tables as FROM items (:class:`~.names.Names`)
written into each query, and make a chapter's ``CREATE TEMP TABLE`` one of the session's own
temporary tables. :class:`SessionViews` is that logic once; an engine says how it makes and drops
a temporary table (``_make_table``, ``_drop_table``) and gives ``describe`` and ``register``.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from .names import Names

__all__ = ["SessionViews"]


class SessionViews:
    """``create``, ``drop``, ``append`` and ``replace_column`` over a session's names."""

    _names: Names
    _temporary: set[str]

    def _make_table(self, name: str, sql: str) -> None:
        raise NotImplementedError

    def _drop_table(self, name: str) -> None:
        raise NotImplementedError

    def describe(self, sql: str) -> list[tuple[str, str]]:
        raise NotImplementedError

    def register(self, name: str, data: Any) -> None:
        raise NotImplementedError

    def create(self, name: str, sql: str, *, materialize: bool) -> None:
        """``name`` over ``sql``: a session temporary table if ``materialize``, else a view.

        A view is kept here and written into the queries that read it; a temporary table is
        the engine's own, seen only by this session and gone with it.
        """
        self.drop(name)
        if not materialize:
            self._names.define(name, f"({sql})")
            return
        self._make_table(name, sql)
        self._temporary.add(name)

    def drop(self, name: str) -> None:
        """Forget the view or drop the temporary table ``name`` (never a stored table)."""
        self._names.forget(name)
        if name in self._temporary:
            self._drop_table(name)
            self._temporary.discard(name)

    def append(self, name: str, rows: pd.DataFrame) -> None:
        """The session's view ``name`` with ``rows`` after its own (columns matched by name).

        Adds the rows the kit derives (e-mail clicks as events) without writing to the table.
        """
        columns = self.describe(f"SELECT * FROM {name}")
        added = f"{name}__added_{uuid.uuid4().hex[:8]}"
        self.register(added, rows)
        self._temporary.add(added)
        select = ", ".join(
            f'CAST("{c}" AS {kind}) AS "{c}"' if c in rows.columns
            else f'CAST(NULL AS {kind}) AS "{c}"'
            for c, kind in columns
        )  # fmt: skip
        current = self._names.item(name)
        self._names.define(
            name, f"(SELECT * FROM {current} AS t UNION ALL SELECT {select} FROM {added})"
        )

    def replace_column(self, name: str, column: str, expression: str) -> None:
        """The session's view ``name`` with ``column`` recomputed (a DuckDB-dialect expression)."""
        current = self._names.item(name)
        self._names.define(
            name, f'(SELECT * REPLACE ({expression} AS "{column}") FROM {current} AS {name})'
        )
