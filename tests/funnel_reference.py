"""A slow, obviously correct funnel written line by line from docs/funnel.md.

Loops over units and attempts on purpose: this is the yardstick the SQL engines are compared
with in tests/test_funnel_engine.py, never used on real data.
"""

from __future__ import annotations

from datetime import datetime
from fnmatch import fnmatchcase

import pandas as pd

from funnelkit.funnel.spec import FunnelSpec

__all__ = ["reference_paths"]


def _matches(name: str, pattern: str) -> bool:
    return fnmatchcase(name, pattern)


def _bipartite_ok(rows: list[set[int]], steps: list[int]) -> bool:
    """Can every step in ``steps`` get its own row (rows[r] = steps that row r can fill)?"""
    row_of: dict[int, int] = {}  # row -> the step it fills

    def augment(step: int, seen: set[int]) -> bool:
        for r, fills in enumerate(rows):
            if step in fills and r not in seen:
                seen.add(r)
                if r not in row_of or augment(row_of[r], seen):
                    row_of[r] = step
                    return True
        return False

    return all(augment(s, set()) for s in steps)


def reference_paths(
    events: pd.DataFrame,
    spec: FunnelSpec,
    *,
    by: tuple[str, ...] = (),
    period: tuple[datetime, datetime] | None = None,
) -> pd.DataFrame:
    """One row per unit with a non-voided attempt: unit_id, depth, step_1_at …, by columns."""
    k = spec.k
    key_cols = ["user_id", "session_id"] if spec.unit == "session" else ["user_id"]
    df = events.dropna(subset=[*key_cols, "timestamp", "event"])
    units: dict[str, dict[tuple, dict]] = {}
    for rec in df.to_dict("records"):
        if spec.unit == "session":
            unit = f"{rec['user_id']}|{rec['session_id']}"
        else:
            unit = str(rec["user_id"])
        ts = pd.Timestamp(rec["timestamp"]).to_pydatetime()
        ident = (ts, rec["event"])
        row = units.setdefault(unit, {}).setdefault(ident, {"ts": ts, "event": rec["event"]})
        # duplicates (same unit, time and event) are one event; breakdowns take the smallest
        for col in by:
            value = rec[col]
            if value is None or (not isinstance(value, str) and pd.isna(value)):
                continue
            if row.get(col) is None or value < row[col]:
                row[col] = value

    out = []
    for unit, rowmap in units.items():
        rows = list(rowmap.values())
        for row in rows:
            row["steps"] = {i + 1 for i, p in enumerate(spec.steps) if _matches(row["event"], p)}
            row["rank"] = min(row["steps"]) if row["steps"] else k + 1
        rows.sort(key=lambda r: (r["ts"], r["rank"], r["event"]))
        for pos, row in enumerate(rows):
            row["pos"] = pos
        starts = [
            r
            for r in rows
            if 1 in r["steps"] and (period is None or period[0] <= r["ts"] < period[1])
        ]
        if spec.entry == "first":
            starts = starts[:1]
        attempts = []
        for start in starts:
            if spec.order == "any":
                path = _any_path(rows, start, spec)
            else:
                path = _ordered_path(rows, start, spec)
            if not _voided(rows, path, spec):
                attempts.append(path)
        if not attempts:
            continue
        best = min(attempts, key=lambda p: (-len(p), p[-1]["ts"], p[0]["ts"], p[0]["pos"]))
        record = {"unit_id": unit, "depth": len(best)}
        for i in range(k):
            record[f"step_{i + 1}_at"] = best[i]["ts"] if i < len(best) else None
        for col in by:
            record[col] = best[0].get(col)
        out.append(record)
    columns = ["unit_id", "depth", *[f"step_{i + 1}_at" for i in range(k)], *by]
    frame = pd.DataFrame(out, columns=columns)
    return frame.sort_values("unit_id", ignore_index=True)


def _ordered_path(rows: list[dict], start: dict, spec: FunnelSpec) -> list[dict]:
    """Rule 2 (ordered / strict) and rule 3: greedy earliest match, step by step."""
    path = [start]
    for step in range(2, spec.k + 1):
        prev = path[-1]
        anchor = path[0] if spec.window_from == "first_step" else prev
        if spec.order == "strict":
            nxt = rows[prev["pos"] + 1] if prev["pos"] + 1 < len(rows) else None
            candidates = [nxt] if nxt is not None and step in nxt["steps"] else []
        else:
            candidates = [r for r in rows[prev["pos"] + 1 :] if step in r["steps"]]
        if not candidates:
            break
        found = candidates[0]
        if found["ts"] - anchor["ts"] > spec.conversion_window:
            break
        path.append(found)
    return path


def _any_path(rows: list[dict], start: dict, spec: FunnelSpec) -> list[dict]:
    """Rule 2 (any): step k is reached at the earliest time by which steps 2..k can each get
    their own event row (not the step-1 row) inside [s, s + window]."""
    s = start["ts"]
    inside = [
        r
        for r in rows
        if r is not start and s <= r["ts"] <= s + spec.conversion_window and r["steps"]
    ]
    inside.sort(key=lambda r: r["ts"])
    path = [start]
    for step in range(2, spec.k + 1):
        reached = None
        for cut in sorted({r["ts"] for r in inside}):
            usable = [r["steps"] for r in inside if r["ts"] <= cut]
            if _bipartite_ok(usable, list(range(2, step + 1))):
                reached = cut
                break
        if reached is None:
            break
        path.append({"ts": reached, "pos": None})
    return path


def _voided(rows: list[dict], path: list[dict], spec: FunnelSpec) -> bool:
    """Rule 4: an exclusion event strictly between step i and step j (or, when step j was not
    reached, after step i up to the end of the attempt's window)."""
    depth = len(path)
    window = spec.conversion_window
    if spec.window_from == "first_step":
        deadline = path[0]["ts"] + window
    else:
        deadline = path[-1]["ts"] + window
    for pattern, i, j in spec.exclusions:
        if depth < i:
            continue
        for r in rows:
            if not _matches(r["event"], pattern):
                continue
            if spec.order == "any":
                after = r["ts"] > path[i - 1]["ts"]
                before = r["ts"] < path[j - 1]["ts"] if depth >= j else r["ts"] <= deadline
            else:
                after = r["pos"] > path[i - 1]["pos"]
                before = r["pos"] < path[j - 1]["pos"] if depth >= j else r["ts"] <= deadline
            if after and before:
                return True
    return False
