"""The portable funnel on each engine, same run: DuckDB, chdb (ClickHouse in-process), Spark local.

Data: the 10M-event client of ``bench/report.py`` (``generate_demo_data(n_users=1_200_000)``,
reused from ``bench/data/big_client_1200000`` or generated there), its events written once to one
Parquet file that every engine reads in place. Measured per engine, median of ``--repeats``:

- **scan** — the hand-written baseline: ``SELECT count(*), count(DISTINCT user_id)`` over the file
  on the same engine (what any funnel must at least read);
- **funnel** — :func:`funnelkit.funnel.remote.remote_funnel` with the demo's funnel (five steps,
  7 days from the first step, ordered), by channel: event-name stats + the aggregated portable
  funnel, only the per-depth counts coming back.

Every engine's counts must equal DuckDB's (checked; a mismatch stops the run). Prints a Markdown
table: seconds, funnel / scan on the same engine, and events per second per core (2 cores here).

Usage: ``.venv/bin/python bench/bench_engines.py [--repeats 3] [--only duckdb chdb spark]``
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb
from timing import median_time

from funnelkit.core.engines import DuckDBEngine
from funnelkit.demo import generate_demo_data
from funnelkit.funnel.remote import remote_funnel
from funnelkit.funnel.spec import FunnelSpec

HERE = Path(__file__).resolve().parent
DATA = HERE / "data" / "big_client_1200000" / "data"
EVENTS = HERE / "data" / "engines_events.parquet"
SPEC = FunnelSpec(
    ("view_item", "add_to_cart", "begin_checkout", "add_payment_info", "purchase"),
)
CORES = 2


def _events() -> tuple[Path, int]:
    """The 10M events as one canonical Parquet file (user_id, timestamp, event, channel)."""
    if not (DATA / "events.parquet").exists():
        generate_demo_data(DATA, n_users=1_200_000)
    con = duckdb.connect()
    if not EVENTS.exists():
        con.execute(
            f"COPY (SELECT visitor_id AS user_id, CAST(event_time AS TIMESTAMP) AS timestamp, "
            f"event_name AS event, channel FROM read_parquet('{DATA / 'events.parquet'}')) "
            f"TO '{EVENTS}' (FORMAT parquet)"
        )
    rows = con.sql(f"SELECT count(*) FROM read_parquet('{EVENTS}')").fetchall()[0][0]
    return EVENTS, int(rows)


def _engines(path: Path, only: list[str]) -> dict:
    found = {}
    if "duckdb" in only:
        con = duckdb.connect()
        con.execute(f"CREATE VIEW events AS SELECT * FROM read_parquet('{path}')")
        found["duckdb"] = (DuckDBEngine(con), "events")
    if "chdb" in only:
        from funnelkit.core.engines.clickhouse import ClickHouseEngine

        found["chdb"] = (ClickHouseEngine.local(), ClickHouseEngine.source(str(path)))
    if "spark" in only:
        from funnelkit.core.engines.spark import SparkEngine

        spark = SparkEngine(master=f"local[{CORES}]")
        found["spark"] = (spark, spark.register("events", str(path)))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", nargs="+", default=["duckdb", "chdb", "spark"])
    args = parser.parse_args(argv)
    path, rows = _events()
    print(f"events: {rows:,} rows in {path.name} ({path.stat().st_size / 2**20:.0f} MiB)")
    reference = None
    lines = ["| engine | scan (baseline) | funnel by channel | funnel / scan | events/s/core |",
             "| --- | --- | --- | --- | --- |"]  # fmt: skip
    for name, (engine, table) in _engines(path, args.only).items():
        scan_sql = f"SELECT count(*) AS n, count(DISTINCT user_id) AS users FROM {table}"
        engine.query(scan_sql)  # warm-up: JVM, file metadata
        scan, _ = median_time(lambda e=engine, s=scan_sql: e.query(s), args.repeats)
        funnel, counts = median_time(
            lambda e=engine, t=table: remote_funnel(e, t, SPEC, by=("channel",)), args.repeats
        )
        if reference is None:
            reference = counts
        elif not counts.equals(reference):
            print(f"{name}: counts differ from DuckDB's:\n{counts}\n{reference}", file=sys.stderr)
            return 1
        rate = rows / funnel / CORES
        lines.append(f"| {name} | {scan:.2f} s | {funnel:.2f} s | {funnel / scan:.1f}× | "
                     f"{rate:,.0f} |")  # fmt: skip
        engine.close()
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
