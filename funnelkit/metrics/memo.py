"""Aggregates computed once per client connection, so a chapter never runs the same scan twice.

A chapter asks for the same numbers from several places (the data-health summary and its
tables, the metrics of two periods, the stage volumes inside the stage conversion …). The
canonical tables of a loaded client never change, so a query's result depends only on its text:
:func:`fetch` runs a query once per DuckDB connection and hands out copies,
:func:`temp_table` materialises one as a ``TEMP`` table (allowed on a read-only connection) and
returns its name, and :func:`windowed` computes a per-window aggregate for the client's two
standard windows (the analysis period and the one before it) in a single scan.

The cache lives as long as the connection (a weak reference): nothing outlives the client.
"""

from __future__ import annotations

import hashlib
import itertools
import weakref
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any, TypeVar

import pandas as pd

from .base import window as standard_window

if TYPE_CHECKING:
    from ..data.loader import Client
    from .base import Window

__all__ = ["fetch", "remember", "temp_table", "windowed"]

T = TypeVar("T")

_STORES: weakref.WeakKeyDictionary[Any, dict[Hashable, Any]] = weakref.WeakKeyDictionary()
_NAMES = itertools.count()


def _store(client: Client) -> dict[Hashable, Any] | None:
    """The cache of the client's connection (None when it cannot be weakly referenced)."""
    con = getattr(client, "con", None)
    try:
        return _STORES.setdefault(con, {})
    except TypeError:
        return None


def remember(client: Client, key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()`` once per connection and ``key``; later calls return the same object.

    Callers must not mutate what is returned (use :func:`fetch` for frames).
    """
    store = _store(client)
    if store is None:
        return compute()
    if key not in store:
        store[key] = compute()
    return store[key]


def fetch(client: Client, sql: str) -> pd.DataFrame:
    """``client.sql(sql)``, run once per connection; each call gets its own copy.

    Examples
    --------
    >>> from funnelkit import load_client
    >>> client = load_client(emit_warnings=False)
    >>> first = fetch(client, "SELECT count(*) AS n FROM events")
    >>> first.equals(fetch(client, "SELECT count(*) AS n FROM events"))
    True
    """
    return remember(client, ("fetch", sql), lambda: client.sql(sql)).copy()


def temp_table(client: Client, sql: str, *, prefix: str = "fk_memo") -> str:
    """Name of a ``TEMP`` table holding the result of ``sql``, created on first use.

    Use it where the same expensive relation (e.g. the attributed orders) feeds several
    queries. Temporary objects are allowed on a read-only connection.
    """

    def create() -> str:
        digest = hashlib.sha1(sql.encode()).hexdigest()[:10]
        name = f"{prefix}_{digest}_{next(_NAMES)}"
        client.con.execute(f"CREATE TEMP TABLE {name} AS {sql}")
        return name

    store = _store(client)
    if store is None:  # no cache: a view keeps the caller's SQL valid without materialising
        return f"({sql})"
    return remember(client, ("temp_table", sql), create)


def windowed(
    client: Client,
    key: Hashable,
    window: Window,
    compute: Callable[[list[Window]], list[T]],
) -> T:
    """A per-window aggregate, computed for the standard windows together in one scan.

    ``compute(windows)`` returns one result per window, in order. The first time a window is
    asked for, the client's analysis period and the period before it are computed along with it
    (when they do not overlap it), since a chapter nearly always needs both.
    """
    store = _store(client)
    if store is None:
        return compute([window])[0]
    wanted = (key, window.start, window.end)
    if wanted not in store:
        windows = [window]
        for label in ("current", "previous"):
            other = standard_window(client, label)
            seen = {(w.start, w.end) for w in windows}
            if (other.start, other.end) not in seen and all(
                other.end <= w.start or other.start >= w.end for w in windows
            ):
                windows.append(other)
        windows = [w for w in windows if (key, w.start, w.end) not in store or w is window]
        for w, result in zip(windows, compute(windows), strict=True):
            store[(key, w.start, w.end)] = result
    return store[wanted]
