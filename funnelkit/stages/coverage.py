"""How much of a client's event log the journey stages explain, and which stages have no data.

Rules
-----
- ``share_covered``: rows of the events table (all history) whose event name is mapped to a
  stage, over all rows of the events table (missing when there are no events).
- ``unmapped``: the event names no stage claims, biggest first, with their share of all rows.
- ``no_data``: stages that nobody reached in the period: no mapped event and no source row
  in the window (:func:`~funnelkit.stages.stage_volumes` gives 0 people).
- ``unused_patterns``: preset patterns that put no event in their stage (they match no event
  name, or every name they match belongs to a ``client.yaml`` stage).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .mapping import event_stage_map, resolve_stages, unused_patterns
from .presets import STAGES
from .volumes import stage_volumes

if TYPE_CHECKING:
    from ..data.loader import Client

__all__ = ["Coverage", "coverage", "stage_coverage"]

STAGE_COLUMNS = [
    "stage",
    "patterns",
    "sources",
    "matched_event_names",
    "events",
    "share_of_events",
    "has_data",
    "origin",
]


@dataclass(frozen=True)
class Coverage:
    """The result of :func:`coverage`.

    Attributes
    ----------
    event_map : pandas.DataFrame
        :func:`event_stage_map`: one row per event name with its stage.
    stages : pandas.DataFrame
        :func:`stage_coverage`: one row per stage.
    unmapped : pandas.DataFrame
        ``event``, ``events``, ``users``, ``share_of_events`` of the names no stage claims,
        biggest first.
    no_data : list of str
        Stages nobody reached in the period.
    share_covered : float
        Share of all event rows whose name is mapped to a stage (NaN without events).
    unused_patterns : pandas.DataFrame
        ``stage``, ``pattern``, ``reason`` of preset patterns that map no event.
    """

    event_map: pd.DataFrame
    stages: pd.DataFrame
    unmapped: pd.DataFrame
    no_data: list[str]
    share_covered: float
    unused_patterns: pd.DataFrame


def _share(part: pd.Series | float, total: float) -> Any:
    return part / total if total > 0 else part * np.nan


def _stage_frame(
    client: Client, event_map: pd.DataFrame, period: Any, volumes: pd.DataFrame | None = None
) -> pd.DataFrame:
    plans = resolve_stages(client)
    if volumes is None:
        volumes = stage_volumes(client, period=period)
    volumes = volumes.set_index("stage")
    total = float(event_map["events"].sum())
    rows = []
    for plan in plans:
        mine = event_map[event_map["stage"] == plan.stage]
        rows.append(
            {
                "stage": plan.stage,
                "patterns": ", ".join(plan.events),
                "sources": ", ".join(plan.sources),
                "matched_event_names": ", ".join(mine["event"]),
                "events": int(mine["events"].sum()),
                "share_of_events": _share(float(mine["events"].sum()), total),
                "has_data": bool(volumes.loc[plan.stage, "people"] > 0),
                "origin": plan.stage_origin,
            }
        )
    return pd.DataFrame(rows, columns=STAGE_COLUMNS)


def stage_coverage(client: Client, *, period: Any = "current") -> pd.DataFrame:
    """Summarise the stage mapping as one row per stage.

    Parameters
    ----------
    client : Client
        A loaded client.
    period : {"current", "previous"} or Window or (start, end), default "current"
        The window in which ``has_data`` looks for people.

    Returns
    -------
    pandas.DataFrame
        ``stage``, ``patterns`` and ``sources`` (effective, comma-separated),
        ``matched_event_names`` (comma-separated, biggest first), ``events`` (rows of those
        names, all history), ``share_of_events`` (of all event rows), ``has_data`` (someone
        reached the stage in the period), ``origin`` (``client.yaml``, ``preset`` or
        ``client.yaml + preset``).

    Raises
    ------
    ConfigError
        When the stage mapping is invalid (see :func:`event_stage_map`).

    Examples
    --------
    >>> from funnelkit import load_client
    >>> cov = stage_coverage(load_client(emit_warnings=False))
    >>> cov[["stage", "events", "share_of_events", "has_data"]].round(3)
               stage  events  share_of_events  has_data
    0      awareness  294333            0.709      True
    1  consideration   56178            0.135      True
    2       purchase   22018            0.053      True
    3      retention    7036            0.017      True
    4       advocacy       0            0.000      True
    """
    return _stage_frame(client, event_stage_map(client), period)


def coverage(
    client: Client, *, period: Any = "current", volumes: pd.DataFrame | None = None
) -> Coverage:
    """Measure how much of the event log the stages cover, and what is left out.

    Parameters
    ----------
    client : Client
        A loaded client.
    period : {"current", "previous"} or Window or (start, end), default "current"
        The window in which a stage must have people not to be listed in ``no_data``.
    volumes : pandas.DataFrame, optional
        :func:`~funnelkit.stages.stage_volumes` for that window, when the caller already has it
        (saves counting the stages twice).

    Returns
    -------
    Coverage
        See the module documentation for the rules of each field.

    Raises
    ------
    ConfigError
        When the stage mapping is invalid (see :func:`event_stage_map`).

    Examples
    --------
    >>> from funnelkit import load_client
    >>> cov = coverage(load_client(emit_warnings=False))
    >>> round(cov.share_covered, 3), cov.no_data
    (0.914, [])
    >>> cov.unmapped[["event", "events", "share_of_events"]].head(3).round(3)
                  event  events  share_of_events
    0            scroll   28480            0.069
    1  select_promotion    4602            0.011
    2           sign_up    1552            0.004
    """
    event_map = event_stage_map(client)
    total = float(event_map["events"].sum())
    stages = _stage_frame(client, event_map, period, volumes)
    unmapped = event_map.loc[event_map["stage"] == "", ["event", "events", "users"]]
    unmapped = unmapped.sort_values(["events", "event"], ascending=[False, True])
    unmapped = unmapped.assign(share_of_events=_share(unmapped["events"], total))
    covered = float(event_map.loc[event_map["stage"] != "", "events"].sum())
    return Coverage(
        event_map=event_map,
        stages=stages,
        unmapped=unmapped.reset_index(drop=True),
        no_data=[s for s, ok in zip(STAGES, stages["has_data"], strict=True) if not ok],
        share_covered=covered / total if total > 0 else float("nan"),
        unused_patterns=unused_patterns(resolve_stages(client), event_map),
    )
