"""What the engine test modules share: a demo client with its events on an engine, and a diff.

``engine_client`` writes the demo's client.yaml with ``events`` named under ``engine.tables``
(a Parquet file, as a lake or a ClickHouse ``file()`` reads it) and the other tables read from
the demo folder; ``differences`` lists where two saved results differ, numbers beyond 1e-9
relative (an engine may sum in another order, so the last bits of a sum can differ);
``CHAPTERS`` computes each chapter as its notebook does, and ``everything`` keeps a chapter's
results and every table it shows.
"""

from __future__ import annotations

import contextlib
import math
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from funnelkit import health
from funnelkit.abtest import analyze_all
from funnelkit.core import paths
from funnelkit.presentation.accounts import review_accounts
from funnelkit.presentation.engagement import review_engagement
from funnelkit.presentation.funnel.display import dropoff_report
from funnelkit.presentation.metrics.chapter import pick_metrics
from funnelkit.presentation.stages.chapter import map_stages
from funnelkit.presentation.value import review_value

DEMO = paths.PACKAGE_DIR.parent / "examples" / "demo_client" / "client.yaml"
#: What a Spark test module marks itself with (pyspark's warnings about pandas' next versions).
SPARK_WARNINGS = [
    pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]


def skip_without_spark() -> None:
    """Skip the calling test module, with the reason, unless pyspark and Java 17 are there."""
    pytest.importorskip("pyspark", reason="pyspark is not installed (pip install -e .[spark])")
    java = shutil.which("java")
    if java is None or subprocess.run([java, "-version"], capture_output=True).returncode:
        pytest.skip("Spark needs Java 17 (apt-get install openjdk-17-jre-headless)",
                    allow_module_level=True)  # fmt: skip


def engine_client(folder: Path, events: Path, name: str, **options: Any) -> Path:
    """The demo's client.yaml with ``events`` on the engine ``name`` and the rest from the demo."""
    document = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    del document["data"]["events"]
    for source in document["data"].values():
        source["path"] = str((DEMO.parent / source["path"]).resolve())
    document["engine"] = {"name": name, **options, "tables": {"events": str(events)}}
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "client.yaml").write_text(yaml.safe_dump(document, sort_keys=False), "utf-8")
    return folder


def zoned_events(duck: Any, path: Path) -> Path:
    """The demo's events as Parquet with instants (``isAdjustedToUTC``): the demo's Berlin
    wall-clock times as the moments they name, as a lake or a warehouse keeps them."""
    zone = duck.config.timezone
    duck.con.execute(
        f"COPY (SELECT * REPLACE (timezone('{zone}', timestamp) AS timestamp) FROM events) "
        f"TO '{path}' (FORMAT parquet)"
    )
    return path


def events_by_day(client: Any) -> list[tuple[Any, ...]]:
    """Each day's events, first and last time, as the client reads its ``events``."""
    return client.con.sql(
        "SELECT CAST(CAST(timestamp AS DATE) AS VARCHAR) AS day, count(*) AS n, "
        "min(timestamp) AS first, max(timestamp) AS last FROM events GROUP BY 1 ORDER BY 1"
    ).fetchall()


@contextlib.contextmanager
def rows_back(engine: Any) -> Iterator[list[int]]:
    """The rows of every frame ``engine`` returns while the block runs (a list filled in)."""
    counted: list[int] = []
    frame = engine.frame

    def counting(sql: str) -> Any:
        found = frame(sql)
        counted.append(len(found))
        return found

    engine.frame = counting
    try:
        yield counted
    finally:
        engine.frame = frame


def differences(a: Any, b: Any, path: str = "") -> list[str]:
    """Where two results differ (numbers: beyond 1e-9 relative)."""
    if isinstance(a, dict) and isinstance(b, dict):
        if set(a) != set(b):
            return [f"{path}: keys {sorted(set(a) ^ set(b))}"]
        return [d for k in a for d in differences(a[k], b[k], f"{path}/{k}")]
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} against {len(b)} items"]
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True))
                for d in differences(x, y, f"{path}[{i}]")]  # fmt: skip
    if isinstance(a, float) and isinstance(b, (int, float)):
        if (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12):
            return []
    return [] if a == b else [f"{path}: {a!r} against {b!r}"]


def everything(chapter: Any) -> dict[str, Any]:
    """A chapter object's results *and* every table it shows (what ``to_results`` leaves out).

    Its dataclass fields that hold data — frames, series, numbers, text, lists, dicts — as
    saved; the client, the language and callables are left out.
    """
    import dataclasses

    import pandas as pd

    from funnelkit.presentation.results import to_jsonable

    kept = (pd.DataFrame, pd.Series, dict, list, tuple, int, float, str)
    fields = {
        f.name: getattr(chapter, f.name)
        for f in dataclasses.fields(chapter)
        if f.name not in ("client", "language")
    }
    data = {k: v for k, v in fields.items() if isinstance(v, kept) and not callable(v)}
    return to_jsonable({"results": chapter.to_results(), **data})


def _health(client: Any) -> dict[str, Any]:
    return {
        "volume": health.daily_volume(client),
        "missing": health.missing_values(client),
        "events": health.event_counts(client, top=15),
    }


#: Each chapter as its notebook computes it: (name, client -> what to compare).
CHAPTERS = [
    ("00 data health", _health),
    ("01 stage and channel metrics", lambda c: everything(pick_metrics(c))),
    ("02 stage volumes", lambda c: everything(map_stages(c))),
    ("03 funnel, segments, trends, next events", lambda c: everything(dropoff_report(c))),
    ("04 A/B outcome tables", lambda c: {
        n: r.to_results() for n, r in analyze_all(c, bootstrap=200).items()}),
    ("05 accounts", lambda c: everything(review_accounts(c))),
    ("06 customer value and visits", lambda c: everything(review_value(c))),
    ("07 engagement", lambda c: everything(review_engagement(c))),
]  # fmt: skip


def wall_clock_cases() -> tuple[pd.DataFrame, list[tuple[str, datetime]]]:
    """Instants around summer-time changes (and odd offsets), with the wall-clock time
    ``zoneinfo`` gives for each in its zone: the reference for ``timezone(zone, ts)``."""
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    starts = {"Europe/Berlin": ["2026-03-29 00:00", "2026-10-25 00:00"],
              "America/Sao_Paulo": ["2026-06-01 00:00"], "Asia/Kolkata": ["2026-01-01 18:00"],
              "America/New_York": ["2026-03-08 06:00", "2026-11-01 05:00"]}  # fmt: skip
    rows = []
    for zone, firsts in starts.items():
        for first in firsts:
            t0 = datetime.fromisoformat(first).replace(tzinfo=UTC)
            for minutes in range(0, 181, 30):
                t = t0 + timedelta(minutes=minutes, microseconds=123)
                rows.append((zone, t, t.astimezone(ZoneInfo(zone)).replace(tzinfo=None)))
    frame = pd.DataFrame({"i": range(len(rows)), "zone": [r[0] for r in rows],
                          "ts": [r[1].replace(tzinfo=None) for r in rows]})  # fmt: skip
    return frame.astype({"ts": "datetime64[us]"}), [(r[0], r[2]) for r in rows]


def wall_clock_differences(engine: Any) -> list[str]:
    """Where ``timezone(zone, ts)`` on ``engine`` differs from :func:`wall_clock_cases`."""
    frame, expected = wall_clock_cases()
    engine.register("instants", frame)
    found = []
    for zone in dict(expected):
        got = engine.query(
            f"SELECT i, timezone('{zone}', ts) AS local FROM instants WHERE zone = '{zone}' "
            "ORDER BY i"
        )
        want = [t for z, t in expected if z == zone]
        found += [f"{zone}: {a} against {b}"
                  for a, b in zip([t.to_pydatetime() for t in got["local"]], want, strict=True)
                  if a != b]  # fmt: skip
    return found
