"""Benchmark: a GA4 BigQuery export (nested Parquet) read through its adapter vs canonical Parquet.

Run: ``.venv/bin/python bench/bench_sources.py [--rows 10_000_000] [--files 10] [--repeat 3]``

Writes once, under ``/tmp/funnelkit_bench_ga4/`` (seeded, DuckDB-generated):

- ``ga4_<rows>/events_2026MMDD.parquet``: ``--files`` daily files shaped as the GA4 export
  (``event_params`` a list of ``{key, value{string_value, int_value, float_value,
  double_value}}``, ``device``, ``traffic_source``, ``ecommerce`` records; the newer half of the
  days also has ``collected_traffic_source``, as exports made after mid-2023 do);
- ``canonical_<rows>.parquet``: the same events already in canonical columns (user_id,
  timestamp, event, session_id, page, channel, campaign, device, revenue), as the adapter maps
  them (checked: same row count, users, sessions, revenue).

Then times, in the same run, median of ``--repeat``, each in a fresh interpreter, the loader
itself (:func:`funnelkit.data.loader.load_tables`: every column read, checked and stored typed;
no prepared-data cache, whose SHA-256 of the inputs would time the disk): ``format: ga4_export``
over the folder, and ``format: parquet`` over the canonical file. Target: adapter ≤ 2× canonical.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path("/tmp/funnelkit_bench_ga4")
PARAM = (
    "{{'key': '{key}', 'value': {{'string_value': {s}, 'int_value': {i}, "
    "'float_value': NULL::DOUBLE, 'double_value': NULL::DOUBLE}}}}"
)


def _param(key: str, *, s: str = "NULL::VARCHAR", i: str = "NULL::BIGINT") -> str:
    return PARAM.format(key=key, s=s, i=i)


def make_data(rows: int, files: int) -> tuple[Path, Path]:
    """Write the GA4 folder and the canonical file once (kept between runs)."""
    import duckdb

    folder, canonical = ROOT / f"ga4_{rows}", ROOT / f"canonical_{rows}.parquet"
    if canonical.exists():
        return folder, canonical
    folder.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute("SELECT setseed(0.42)")
    users = max(rows // 13, 1)
    utm = ", ".join(
        [_param("source", s="'newsletter'"), _param("medium", s="'email'"),
         _param("campaign", s="'autumn'")]
    )  # fmt: skip
    con.execute(f"""
        CREATE TABLE g AS SELECT
          i * {files} // {rows} AS day,
          '1' || lpad(CAST(u AS VARCHAR), 9, '0') || '.17000' AS user_pseudo_id,
          CASE WHEN u % 17 = 0 THEN 'member-' || u END AS user_id,
          ts, name AS event_name,
          list_concat([{_param("ga_session_id", i="ts // 1800000000 * 1800")},
                       {_param("ga_session_number", i="1")},
                       {_param("page_location", s="'https://shop.example/p' || (i % 50)")},
                       {_param("engagement_time_msec", i="i % 9000")}],
                      CASE WHEN name = 'session_start' AND u % 3 = 0 THEN [{utm}] END)
            AS event_params,
          {{'category': ['desktop', 'mobile', 'tablet'][u % 3 + 1], 'operating_system': 'Linux',
            'language': 'en-us'}} AS device,
          {{'name': ['(direct)', 'spring', '(organic)', '(referral)'][u % 4 + 1],
            'medium': ['(none)', 'cpc', 'organic', 'referral'][u % 4 + 1],
            'source': ['(direct)', 'google', 'bing', 'partner.example'][u % 4 + 1]}}
            AS traffic_source,
          CASE WHEN u % 29 = 0 THEN {{'manual_source': 'partner', 'manual_medium': 'referral',
            'manual_campaign_name': 'oct'}} END AS collected_traffic_source,
          CASE WHEN name = 'purchase' THEN {{'transaction_id': 'T' || i,
            'purchase_revenue': round(10 + (i % 1000) / 7.0, 2),
            'purchase_revenue_in_usd': round(11 + (i % 1000) / 7.0, 2)}} END AS ecommerce
        FROM (
          SELECT i, CAST(floor(random() * {users}) AS BIGINT) AS u,
            CAST(epoch_us(TIMESTAMP '2026-10-01') + (i * {files} // {rows}) * 86400000000
                 + floor(random() * 86400000000) AS BIGINT) AS ts,
            CASE WHEN r < 0.15 THEN 'session_start' WHEN r < 0.75 THEN 'page_view'
                 WHEN r < 0.87 THEN 'view_item' WHEN r < 0.97 THEN 'add_to_cart'
                 ELSE 'purchase' END AS name
          FROM (SELECT range AS i, random() AS r FROM range({rows}))
        )""")
    for day in range(files):
        newer = ", collected_traffic_source" if day >= files // 2 else ""
        stamp = f"2026{10 + (day // 31):02d}{day % 31 + 1:02d}"
        con.execute(f"""COPY (SELECT '{stamp}' AS event_date, ts AS event_timestamp, event_name,
              event_params, user_id, user_pseudo_id, device, traffic_source, ecommerce{newer}
            FROM g WHERE day = {day} ORDER BY ts)
            TO '{folder}/events_{stamp}.parquet' (FORMAT parquet, COMPRESSION zstd)""")
    con.execute(f"""COPY (SELECT user_pseudo_id AS user_id,
          timezone('UTC', make_timestamp(ts)) AS timestamp, event_name AS event,
          user_pseudo_id || '-' || (ts // 1800000000 * 1800) AS session_id,
          event_params[3].value.string_value AS page,
          CASE WHEN event_name = 'session_start' AND (len(event_params) > 4)
               THEN 'newsletter / email'
               WHEN collected_traffic_source IS NOT NULL AND day >= {files // 2}
               THEN 'partner / referral'
               ELSE traffic_source.source || ' / ' || traffic_source.medium END AS channel,
          CASE WHEN len(event_params) > 4 THEN 'autumn'
               WHEN collected_traffic_source IS NOT NULL AND day >= {files // 2} THEN 'oct'
               ELSE traffic_source.name END AS campaign,
          device.category AS device,
          CASE WHEN event_name = 'purchase' THEN ecommerce.purchase_revenue END AS revenue
        FROM g ORDER BY day, ts) TO '{canonical}' (FORMAT parquet, COMPRESSION zstd)""")
    return folder, canonical


def client_folder(name: str, path: Path, fmt: str) -> Path:
    folder = ROOT / f"client_{name}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "client.yaml").write_text(
        "client: Bench\ntimezone: UTC\ncurrency: EUR\nperiod: {start: 2026-10-01, end: "
        f"2026-10-31}}\ndata:\n  events: {{path: '{path}', format: {fmt}}}\n"
    )
    return folder


CHILD = """
import sys, time, warnings, resource
warnings.simplefilter("ignore")
import funnelkit.data.adapters.ga4 as ga4
ga4.MATERIALIZE = sys.argv[2] == "table"
from funnelkit.data.config import load_config
from funnelkit.data.loader import load_tables
start = time.perf_counter()
client = load_tables(load_config(sys.argv[1]))
seconds = time.perf_counter() - start
use = resource.getrusage(resource.RUSAGE_SELF)
row = client.sql("SELECT count(*) n, count(DISTINCT user_id) u, count(DISTINCT session_id) s, "
                 "round(sum(revenue), 2) r, count(DISTINCT channel) c FROM events").iloc[0].tolist()
# VmHWM, not ru_maxrss: the latter keeps the parent's peak across fork and exec
peak = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM"))
print(seconds, use.ru_utime + use.ru_stime, peak / 1024, *row)
"""


def measure(folder: Path, relation: str) -> tuple[float, float, float, list[float]]:
    """Load in a fresh interpreter: wall and CPU seconds, peak RSS (MB), the table's totals."""
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(folder), relation],
        check=True,
        capture_output=True,
        text=True,
    )
    seconds, cpu, peak, *totals = (float(x) for x in done.stdout.split())
    return seconds, cpu, peak, totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--files", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    start = time.perf_counter()
    ga4, canonical = make_data(args.rows, args.files)
    print(f"data ready in {time.perf_counter() - start:.1f} s", flush=True)
    ga4_client = client_folder(f"ga4_{args.rows}", ga4, "ga4_export")
    cases = {  # name -> (client folder, how the adapter keeps its raw scan)
        "canonical parquet": (client_folder(f"canonical_{args.rows}", canonical, "parquet"), "-"),
        "ga4_export (table)": (ga4_client, "table"),
        "ga4_export (view)": (ga4_client, "view"),
    }
    runs: dict[str, list[tuple[float, float, float]]] = {}
    totals = {}
    for _ in range(args.repeat):  # interleaved, so every case sees the same load on the cores
        for name, (folder, relation) in cases.items():
            seconds, cpu, peak, total = measure(folder, relation)
            runs.setdefault(name, []).append((seconds, cpu, peak))
            totals[name] = total
            print(f"{name:20} {seconds:7.2f} s wall {cpu:7.2f} s CPU {peak:7.0f} MB  {total}",
                  flush=True)  # fmt: skip
    assert len({tuple(t) for t in totals.values()}) == 1, totals  # same rows, users, revenue …
    base = runs["canonical parquet"]
    rows = []
    for name, these in runs.items():
        wall = statistics.median(s for s, _, _ in these)
        cpu = statistics.median(c for _, c, _ in these)
        rows.append({
            "case": name, "wall_s": wall, "cpu_s": cpu, "peak_mb": max(p for *_, p in these),
            "wall_ratio": wall / statistics.median(s for s, _, _ in base),
            "cpu_ratio": cpu / statistics.median(c for _, c, _ in base),
        })  # fmt: skip
    result = {"rows": args.rows, "cases": rows}
    (ROOT / f"results_{args.rows}.json").write_text(json.dumps(result, indent=2))
    print(
        f"\n{args.rows:,} events, median of {args.repeat}\n| case | wall s | × canonical | "
        "CPU s | × canonical | peak MB |\n| --- | --- | --- | --- | --- | --- |"
    )
    for r in rows:
        print(
            f"| {r['case']} | {r['wall_s']:.2f} | {r['wall_ratio']:.2f} | {r['cpu_s']:.2f} | "
            f"{r['cpu_ratio']:.2f} | {r['peak_mb']:.0f} |"
        )


if __name__ == "__main__":
    main()
