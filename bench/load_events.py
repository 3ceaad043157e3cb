"""Benchmark: loading and validating a large events export, against hand-written baselines.

Run: ``.venv/bin/python bench/load_events.py [--rows 10_000_000] [--repeat 5]``

Writes a seeded synthetic events log (Parquet and CSV) under ``bench/data/`` once, then times,
in the same run, median of ``--repeat``:

- ``scan``: DuckDB counting rows and distinct users (the floor: reading the file once);
- ``funnelkit``: ``load_client`` (every column parsed and checked in SQL, plus warnings);
- ``pandas``: a hand-written pandas equivalent (read the file, parse timestamps, check for empty
  required cells, unparsable times, repeated events).

Peak memory (max RSS of a child process per measurement) is reported with each.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"


def make_data(rows: int) -> dict[str, Path]:
    import duckdb

    DATA.mkdir(exist_ok=True)
    parquet, csv = DATA / f"events_{rows}.parquet", DATA / f"events_{rows}.csv"
    if not parquet.exists():
        con = duckdb.connect()
        con.execute("SELECT setseed(0.42)")
        con.execute(f"""
            CREATE TABLE e AS SELECT
              'u' || lpad(CAST(CAST(floor(random() * {rows // 13}) AS BIGINT) AS VARCHAR), 8, '0')
                AS user_id,
              TIMESTAMP '2026-08-01' + to_seconds(CAST(floor(random() * 86400 * 90) AS BIGINT))
                AS timestamp,
              'event_' || CAST(CAST(floor(random() * 30) AS INT) AS VARCHAR) AS event,
              ['organic', 'paid', 'social', 'email', 'display', 'affiliate'][
                CAST(floor(random() * 6) AS INT) + 1] AS channel
            FROM range({rows})""")
        con.execute(f"COPY e TO '{parquet}' (FORMAT parquet, COMPRESSION zstd)")
        con.execute(f"COPY e TO '{csv}' (HEADER, DELIMITER ',')")
    return {"parquet": parquet, "csv": csv}


def client_folder(path: Path) -> Path:
    folder = DATA / f"client_{path.suffix[1:]}_{path.stem}"
    folder.mkdir(exist_ok=True)
    (folder / "client.yaml").write_text(
        "client: Bench\ntimezone: UTC\nperiod: {start: 2026-09-15, end: 2026-10-29}\n"
        f"data:\n  events: {{path: '{path}'}}\n"
    )
    return folder


CHILD = {
    "scan": """
import duckdb, sys
path = sys.argv[1]
reader = "read_parquet" if path.endswith(".parquet") else "read_csv"
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")
con.sql(f"SELECT count(*), count(DISTINCT user_id) FROM {reader}('{path}')").fetchall()
""",
    "funnelkit": """
import sys, warnings
warnings.simplefilter("ignore")
from funnelkit import load_client
load_client(sys.argv[2])
""",
    "pandas": """
import sys, pandas as pd
path = sys.argv[1]
df = pd.read_parquet(path) if path.endswith(".parquet") else pd.read_csv(path, dtype=str)
ts = pd.to_datetime(df["timestamp"], errors="coerce")
bad_ts = ts.isna() & df["timestamp"].notna()
empty = df[["user_id", "event"]].isna().any(axis=1)
repeated = df.duplicated(["user_id", "timestamp", "event"]).sum()
assert not bad_ts.any() and not empty.any()
""",
}


PEAK = "\nimport resource\nprint(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)\n"


def measure(kind: str, path: Path, folder: Path) -> tuple[float, float]:
    """Run one measurement in a fresh interpreter; return wall seconds and its peak RSS in MB."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", CHILD[kind] + PEAK, str(path), str(folder)],
        check=True,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - start
    return seconds, float(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    files = make_data(args.rows)
    results = []
    for fmt, path in files.items():
        folder = client_folder(path)
        for kind in ("scan", "funnelkit", "pandas"):
            runs = [measure(kind, path, folder) for _ in range(args.repeat)]
            times = [seconds for seconds, _ in runs]
            peak = max(mb for _, mb in runs)
            results.append(
                {
                    "format": fmt,
                    "kind": kind,
                    "median_s": statistics.median(times),
                    "peak_mb": float(peak),
                }
            )
            print(
                f"{fmt:8} {kind:10} {statistics.median(times):7.2f} s  {float(peak):7.0f} MB",
                flush=True,
            )
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / f"load_events_{args.rows}.json").write_text(json.dumps(results, indent=2))
    print("\n| format | what | median s | × scan | peak MB |\n| --- | --- | --- | --- | --- |")
    for row in results:
        scan = next(r for r in results if r["format"] == row["format"] and r["kind"] == "scan")
        print(
            f"| {row['format']} | {row['kind']} | {row['median_s']:.2f} | "
            f"{row['median_s'] / scan['median_s']:.1f} | {row['peak_mb']:.0f} |"
        )


if __name__ == "__main__":
    main()
