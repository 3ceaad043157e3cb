"""The A/B chapter's analysis on each engine, same run: user rows back against sums back.

Data: the 10M-event client of ``bench/report.py`` (``generate_demo_data(n_users=1_200_000)``:
three experiments, 1.65M assignment rows; reused from ``bench/data/big_client_<users>``), its
events written once to Parquet that chdb and Spark read in place (orders and assignments stay
in the client folder, as in ``tests/engine_compare.py``). Measured per engine and path, median
of ``--repeats``:

- **scan** — the hand-written baseline: ``SELECT count(*), count(DISTINCT user_id)`` of the
  events on the same engine (what any analysis of them must at least read);
- **A/B** — :func:`funnelkit.abtest.analyze_all` (``bootstrap=0``: the report never shows the
  bootstrap) with one row per assigned user back (``per_user=True``, DuckDB's default) or only
  the sums per variant, reason and day (``per_user=False``, the default on an engine);
- **rows back** — the rows of every frame the engine returns during one A/B run (on DuckDB:
  the outcome rows or the cells the analysis reads).

Every run's ``to_results()`` must equal DuckDB's user-row path to 1e-9 (checked; a mismatch
stops the run). Prints a Markdown table.

Usage: ``.venv/bin/python bench/bench_abtest.py [--users 1200000] [--repeats 3]
[--only duckdb chdb spark]``
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tests")]
from engine_compare import differences, rows_back  # noqa: E402  (tests/: the engines' comparison)
from report import big_client  # noqa: E402  (bench/report.py: the 10M-event client)
from timing import median_time  # noqa: E402

from funnelkit import load_client  # noqa: E402
from funnelkit.abtest import analyze_all, experiment_outcomes  # noqa: E402
from funnelkit.abtest.sums import OutcomeSums  # noqa: E402
from funnelkit.presentation.results import to_jsonable  # noqa: E402

CORES = 2


def _engine_folder(client_dir: Path, events: Path, engine: str) -> Path:
    """The big client with its events on ``engine`` and its other tables from its folder."""
    document = yaml.safe_load((client_dir / "client.yaml").read_text(encoding="utf-8"))
    del document["data"]["events"]
    for source in document["data"].values():
        source["path"] = str((client_dir / source["path"]).resolve())
    where = {"master": f"local[{CORES}]"} if engine == "spark" else {}
    document["engine"] = {"name": engine, **where, "tables": {"events": str(events)}}
    document["slug"] = f"{client_dir.name}-{engine}"
    folder = client_dir.parent / f"{client_dir.name}_{engine}"
    folder.mkdir(exist_ok=True)
    (folder / "client.yaml").write_text(yaml.safe_dump(document, sort_keys=False), "utf-8")
    return folder


def _rows_back(client, per_user: bool) -> list[int]:
    """The rows of every frame one A/B run brings back from where the events are."""
    engine = getattr(client.con, "engine", None)
    if engine is None:  # DuckDB: what the analysis reads, counted from the same queries
        return [
            len(experiment_outcomes(client, c)) if per_user else len(OutcomeSums(client, c).cells)
            for c in client.config.experiments
        ]
    with rows_back(engine) as counted:
        analyze_all(client, bootstrap=0, per_user=per_user)
    return counted


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1_200_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", nargs="+", default=["duckdb", "chdb", "spark"])
    args = parser.parse_args(argv)
    client_dir, how = big_client(args.users)
    duck = load_client(client_dir, emit_warnings=False)
    events = client_dir.parent / f"{client_dir.name}_events.parquet"
    if not events.exists():
        duck.con.execute(f"COPY (SELECT * FROM events) TO '{events}' (FORMAT parquet)")
    assigned = duck.row_counts["assignments"]
    print(f"{client_dir.name} ({how}): {duck.row_counts['events']:,} events, "
          f"{assigned:,} assignment rows, {len(duck.config.experiments)} experiments")  # fmt: skip
    clients = {"duckdb": duck}
    for name, engine in (("chdb", "clickhouse"), ("spark", "spark")):
        if name in args.only:
            clients[name] = load_client(_engine_folder(client_dir, events, engine),
                                        emit_warnings=False)  # fmt: skip
    reference = None
    lines = ["| engine | path | scan (baseline) | A/B, 3 experiments | A/B / scan | rows back | "
             "largest |", "| --- | --- | --- | --- | --- | --- | --- |"]  # fmt: skip
    for name, client in clients.items():
        if name not in args.only:
            continue
        scan_sql = "SELECT count(*) AS n, count(DISTINCT user_id) AS users FROM events"
        client.sql(scan_sql)  # warm-up: JVM, file metadata
        scan, _ = median_time(lambda c=client, s=scan_sql: c.sql(s), args.repeats)
        for per_user in (True, False):
            seconds, found = median_time(
                lambda c=client, p=per_user: analyze_all(c, bootstrap=0, per_user=p),
                args.repeats,
            )
            results = to_jsonable({n: r.to_results() for n, r in found.items()})
            if reference is None:
                reference = results
            elif differences(reference, results):
                print(f"{name}: results differ from DuckDB's user rows:",
                      differences(reference, results)[:10], file=sys.stderr)  # fmt: skip
                return 1
            back = _rows_back(client, per_user)
            path = "user rows" if per_user else "sums"
            lines.append(f"| {name} | {path} | {scan:.2f} s | {seconds:.2f} s | "
                         f"{seconds / scan:.1f}× | {sum(back):,} | {max(back):,} |")  # fmt: skip
    print("\n".join(lines))
    for client in clients.values():
        client.con.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
