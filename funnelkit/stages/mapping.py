"""Which events and sources belong to which journey stage, and how much of the data that covers.

:func:`resolve_stages` merges ``client.yaml`` with the business-type preset field by field;
:func:`event_stage_map` assigns every event name of the events table to at most one stage;
:func:`coverage` and :func:`stage_coverage` say how much of the event log the stages explain.

Rules
-----
- A pattern is an exact name, a glob (``*``, ``?``, ``[seq]``, as :func:`fnmatch.fnmatchcase`)
  or a regex written ``re:<regex>`` (full match), case-sensitive: the one pattern language of
  :mod:`funnelkit.core.patterns`, which SQL filters use too.
- An event name claimed by ``client.yaml`` patterns of two stages is a :class:`ConfigError`.
  Claimed by a ``client.yaml`` pattern and a preset pattern of another stage, the
  ``client.yaml`` stage wins (``note`` records it).
- A ``client.yaml`` pattern that matches no event name is a :class:`ConfigError` with the
  closest names; a preset pattern that matches nothing is dropped and listed as unused.
- A ``client.yaml`` source whose table is not configured is a :class:`ConfigError`; a preset
  source whose table is absent is dropped.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..core.errors import ConfigError, did_you_mean
from ..core.patterns import match_names as _match_names, matches as _matches
from ..data.config import ClientConfig
from ..metrics import memo, shared
from ..metrics.catalogue import CATALOGUE
from .presets import STAGES, check_stage, get_preset

if TYPE_CHECKING:
    from ..data.loader import Client

__all__ = [
    "StagePlan",
    "event_stage_map",
    "match_names",
    "matches",
    "resolve_stages",
    "stage_events",
]

CONFIGURED, PRESET = "client.yaml", "preset"
MAP_COLUMNS = ["event", "events", "users", "stage", "pattern", "origin", "note"]


@dataclass(frozen=True)
class StagePlan:
    """The effective definition of one stage, and where each field came from.

    ``origin`` maps each of ``events``, ``sources``, ``key_metric``, ``target`` to
    ``"client.yaml"`` or ``"preset"``. ``dropped_sources`` are preset sources whose table the
    client does not have.
    """

    stage: str
    events: tuple[str, ...]
    sources: tuple[str, ...]
    key_metric: str
    target: float | None
    origin: dict[str, str] = field(default_factory=dict)
    reason: dict[str, str] = field(default_factory=dict)
    dropped_sources: tuple[str, ...] = ()

    @property
    def stage_origin(self) -> str:
        """``client.yaml``, ``preset`` or ``client.yaml + preset`` (some fields from each)."""
        found = set(self.origin.values())
        return (
            CONFIGURED
            if found == {CONFIGURED}
            else PRESET
            if found == {PRESET}
            else (f"{CONFIGURED} + {PRESET}")
        )

    @property
    def linkable(self) -> bool:
        """Whether every id of the stage is a person id (events, orders, nps; not leads)."""
        return "leads" not in self.sources


def _config_of(source: ClientConfig | Client) -> ClientConfig:
    return source if isinstance(source, ClientConfig) else source.config


def resolve_stages(config: ClientConfig | Client) -> list[StagePlan]:
    """Merge ``client.yaml`` stages with the business-type preset, field by field.

    A stage written in ``client.yaml`` keeps every field the user wrote (pydantic's
    ``model_fields_set``) and takes the others from the preset; a stage not written takes the
    preset entirely.

    Parameters
    ----------
    config : ClientConfig or Client
        The validated ``client.yaml`` (or a loaded client).

    Returns
    -------
    list of StagePlan
        The five stages in journey order.

    Raises
    ------
    ConfigError
        When a ``client.yaml`` stage lists a source whose table is not configured.

    Examples
    --------
    >>> from funnelkit import load_config
    >>> plans = resolve_stages(load_config())
    >>> advocacy = plans[4]
    >>> advocacy.sources, advocacy.origin["sources"], advocacy.origin["events"]
    (('nps',), 'client.yaml', 'preset')
    >>> advocacy.events
    ('share', 'write_review', 'refer*')
    """
    cfg = _config_of(config)
    preset = get_preset(cfg.business_type)
    tables = set(cfg.table_names())
    plans = []
    for stage in STAGES:
        default = preset[stage]
        written = cfg.stages.get(stage)
        fields_set = written.model_fields_set if written is not None else set()
        origin = {
            f: CONFIGURED if f in fields_set else PRESET
            for f in ("events", "sources", "key_metric", "target")
        }
        events = tuple(written.events) if "events" in fields_set else default.events
        if "sources" in fields_set:
            sources = tuple(dict.fromkeys(written.sources))
            missing = [s for s in sources if s not in tables]
            if missing:
                raise ConfigError(
                    f"`stages.{stage}.sources` lists {missing}, but client.yaml configures no "
                    f"such table (configured: {sorted(tables)}). Add `data.{missing[0]}` or "
                    f"remove {missing[0]!r} from `stages.{stage}.sources`."
                )
            dropped: tuple[str, ...] = ()
        else:
            sources = tuple(s for s in default.sources if s in tables)
            dropped = tuple(s for s in default.sources if s not in tables)
        key = written.key_metric if "key_metric" in fields_set and written.key_metric else None
        if key is not None:
            _check_key_metric(stage, key)
        plans.append(
            StagePlan(
                stage=stage,
                events=events,
                sources=sources,
                key_metric=key or default.key_metric,
                target=written.target if "target" in fields_set else None,
                origin=origin,
                reason=default.reason,
                dropped_sources=dropped,
            )
        )
    return plans


def _check_key_metric(stage: str, key: str) -> None:
    if key not in CATALOGUE:
        hint = did_you_mean(key, CATALOGUE)
        raise ConfigError(
            f"`stages.{stage}.key_metric` is {key!r}, which is not in the metric catalogue.{hint} "
            f"The metrics are {sorted(CATALOGUE)}; fix the id or remove the key to use the preset."
        )


# -- pattern matching ----------------------------------------------------------------------------


def matches(pattern: str, name: str) -> bool:
    """Whether an event name matches a stage pattern (exact, glob or ``re:`` regex).

    Matching is case-sensitive: event names are identifiers. The pattern comes first here;
    this is :func:`funnelkit.core.patterns.matches` with its arguments swapped.

    Examples
    --------
    >>> matches("purchase", "purchase"), matches("purchase", "Purchase")
    (True, False)
    >>> matches("view_*", "view_item"), matches("re:view_(item|cart)", "view_item_list")
    (True, False)
    """
    return _matches(name, pattern)


def match_names(pattern: str, names: Iterable[str]) -> list[str]:
    """The names (in their order) that ``pattern`` matches.

    Examples
    --------
    >>> match_names("refer*", ["share", "referral_sent", "refer_friend"])
    ['referral_sent', 'refer_friend']
    """
    return _match_names(names, pattern)


def _closest(pattern: str, names: Sequence[str]) -> list[str]:
    bare = pattern.removeprefix("re:").strip("^$*?")
    close = difflib.get_close_matches(bare, list(names), n=3, cutoff=0.5)
    if not close:  # fall back on names sharing a piece (e.g. 'checkout')
        close = [n for n in names if bare and (bare in n or n in bare)][:3]
    return close


def _event_counts(client: Client) -> pd.DataFrame:
    if not client.has("events"):
        return pd.DataFrame(
            {
                "event": pd.Series(dtype=object),
                "events": pd.Series(dtype=int),
                "users": pd.Series(dtype=int),
            }
        )
    # the chapter maps events several times: counted once per client (metrics.memo)
    counts = memo.fetch(
        client,
        "SELECT event, count(*) AS events FROM events GROUP BY event ORDER BY events DESC, event",
    )
    counts["users"] = counts["event"].map(shared.event_users(client)).astype("int64")
    return counts


def _assign(plans: list[StagePlan], names: Sequence[str]) -> tuple[dict[str, tuple], list[str]]:
    """Assign each name to a stage: ``name -> (stage, pattern, origin, note)``; problems."""
    problems: list[str] = []
    assigned: dict[str, tuple] = {}
    for name in names:
        claims = [
            (plan.stage, pattern, plan.origin["events"])
            for plan in plans
            for pattern in plan.events
            if matches(pattern, name)
        ]
        configured = [c for c in claims if c[2] == CONFIGURED]
        stages = list(dict.fromkeys(c[0] for c in configured))
        if len(stages) > 1:
            (s1, p1, _), (s2, p2, _) = (
                next(c for c in configured if c[0] == s) for s in stages[:2]
            )
            problems.append(
                f"client.yaml: the event {name!r} is claimed by two stages: {s1!r} (pattern "
                f"{p1!r}) and {s2!r} (pattern {p2!r}). An event belongs to one stage: keep it in "
                f"one stage: remove {p2!r} from `stages.{s2}.events` (or {p1!r} from "
                f"`stages.{s1}.events`)."
            )
            continue
        chosen = configured or claims
        if not chosen:
            continue
        stage, pattern, origin = chosen[0]
        others = [c for c in claims if c[0] != stage]
        note = "; ".join(
            f"also matches the preset pattern {p!r} of {s!r}; the client.yaml stage wins"
            for s, p, _ in others
        )
        assigned[name] = (stage, pattern, origin, note)
    return assigned, problems


def _unmatched(plans: list[StagePlan], names: Sequence[str]) -> list[tuple[str, str, str]]:
    """``(stage, pattern, origin)`` of the patterns that match no event name."""
    return [
        (plan.stage, pattern, plan.origin["events"])
        for plan in plans
        for pattern in plan.events
        if not match_names(pattern, names)
    ]


def event_stage_map(client: Client) -> pd.DataFrame:
    """Turn the events table (all history) into one row per distinct event name and its stage.

    Counts come from one ``GROUP BY`` in DuckDB; the few distinct names are matched in Python.

    Parameters
    ----------
    client : Client
        A loaded client; without an events table the frame is empty.

    Returns
    -------
    pandas.DataFrame
        ``event``, ``events`` (rows), ``users`` (distinct user ids), ``stage`` (``""`` when no
        stage claims it), ``pattern`` (the first pattern of that stage matching it), ``origin``
        (``client.yaml`` or ``preset``), ``note`` (a preset claim the client.yaml stage beat),
        biggest first.

    Raises
    ------
    ConfigError
        An event claimed by ``client.yaml`` patterns of two stages, a ``client.yaml`` pattern
        matching no event name (with the closest names), or ``client.yaml`` patterns without an
        events table; every problem is listed.

    Examples
    --------
    >>> from funnelkit import load_client
    >>> m = event_stage_map(load_client(emit_warnings=False))
    >>> m.head(3)[["event", "events", "stage", "origin"]]
               event  events          stage       origin
    0      page_view  212070      awareness  client.yaml
    1  session_start   82263      awareness  client.yaml
    2      view_item   35011  consideration  client.yaml
    >>> m.set_index("event").loc[["purchase", "login", "scroll"], "stage"].tolist()
    ['purchase', 'retention', '']
    """
    plans = resolve_stages(client)
    counts = _event_counts(client)
    names = counts["event"].tolist()
    assigned, problems = _assign(plans, names)
    for stage, pattern, origin in _unmatched(plans, names):
        if origin != CONFIGURED:
            continue
        if not client.has("events"):
            problems.append(
                f"client.yaml: `stages.{stage}.events` lists {pattern!r}, but no events table is "
                "configured. Add `data.events` or remove the pattern."
            )
            continue
        close = _closest(pattern, names)
        hint = f"the closest event names are {close}" if close else "no event name is close"
        problems.append(
            f"client.yaml: the pattern {pattern!r} in `stages.{stage}.events` matches no event "
            f"name in the events table; {hint}. Fix the pattern or remove it."
        )
    if problems:
        raise ConfigError("\n".join(problems))
    frame = counts.copy()
    rows = [assigned.get(n, ("", "", "", "")) for n in names]
    for i, column in enumerate(("stage", "pattern", "origin", "note")):
        frame[column] = pd.Series([r[i] for r in rows], index=frame.index, dtype=object)
    frame["events"] = frame["events"].astype("int64")
    frame["users"] = frame["users"].astype("int64")
    return frame[MAP_COLUMNS]


def stage_events(client: Client, stage: str, *, event_map: pd.DataFrame | None = None) -> list[str]:
    """The event names mapped to one stage, biggest first.

    Examples
    --------
    >>> from funnelkit import load_client
    >>> stage_events(load_client(emit_warnings=False), "purchase")
    ['add_to_cart', 'begin_checkout', 'add_payment_info', 'purchase']
    """
    check_stage(stage)
    event_map = event_stage_map(client) if event_map is None else event_map
    return event_map.loc[event_map["stage"] == stage, "event"].tolist()


def unused_patterns(plans: list[StagePlan], event_map: pd.DataFrame) -> pd.DataFrame:
    """Preset patterns that put no event in their stage, and why."""
    names = event_map["event"].tolist()
    rows: list[dict[str, Any]] = []
    for plan in plans:
        if plan.origin["events"] != PRESET:
            continue
        for pattern in plan.events:
            hits = match_names(pattern, names)
            won = event_map.loc[event_map["event"].isin(hits), "stage"]
            if not hits:
                rows.append(
                    {"stage": plan.stage, "pattern": pattern, "reason": "matches no event name"}
                )
            elif not (won == plan.stage).any():
                rows.append(
                    {
                        "stage": plan.stage,
                        "pattern": pattern,
                        "reason": f"its events belong to client.yaml stage(s) {sorted(set(won))}",
                    }
                )
    return pd.DataFrame(rows, columns=["stage", "pattern", "reason"])
