r"""Run the statements the report's chapters send to an engine on a BigQuery emulator.

BigQuery itself needs credentials this project's CI does not have; this check is the next best
thing, run by hand. It has two halves, in two environments:

1. ``record`` (funnelkit's ``.venv``): runs every chapter of the demo with its events on chdb,
   keeps each distinct DuckDB-dialect statement sent to the engine, writes it for BigQuery
   (:func:`funnelkit.core.engines.transpile`) beside DuckDB's own result of it, and exports
   the demo's tables as Parquet::

       .venv/bin/python tools/bigquery_emulator_check.py record /tmp/bq

2. ``run`` (a separate venv with ``bqemulator``, ``google-cloud-bigquery`` and DuckDB's
   ``spatial`` extension from PyPI; its sqlglot pin conflicts with funnelkit's): loads the
   tables into the emulator's dataset ``shop`` and runs each statement there, comparing with
   DuckDB's result (numbers to 1e-9, rows as a set unless the statement orders them)::

       python3.11 -m venv /tmp/bqvenv
       /tmp/bqvenv/bin/pip install bqemulator google-cloud-bigquery duckdb==1.5.5 \\
           duckdb-extension-spatial==1.5.5 duckdb-extensions==1.5.5
       /tmp/bqvenv/bin/python -c "from duckdb_extensions import import_extension as i; i('spatial')"
       /tmp/bqvenv/bin/bqemulator start --rest-port 19050 --project local &
       /tmp/bqvenv/bin/python tools/bigquery_emulator_check.py run /tmp/bq

The emulator runs GoogleSQL on DuckDB (translated with its own rules), so it checks that the
statements are read as BigQuery reads them where its rules follow BigQuery (weeks from Sunday,
``COUNTIF`` of nothing is 0 …); it does not refuse everything BigQuery refuses, which
``tests/test_engine_bigquery_sql.py`` checks instead. It cannot run ``LIMIT`` inside
``ARRAY_AGG``; those statements run here without it (the same first element, a longer array).
Stop the emulator when done: it keeps everything in memory and grew to 18 GB in an hour here.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
import sys
from pathlib import Path
from typing import Any

TABLES = ("events", "orders", "spend", "leads", "nps", "assignments", "accounts")


def plain(value: Any) -> Any:
    """A cell as JSON (None for missing; dates as ISO text; decimals as floats)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if hasattr(value, "to_pydatetime"):
        value = value.to_pydatetime().replace(tzinfo=None)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return None if value != value else value  # NaT, NaN


def record(folder: Path) -> None:
    """Run the demo's chapters on chdb; keep each statement, for BigQuery, with DuckDB's result."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from engine_compare import CHAPTERS, engine_client

    import funnelkit
    from funnelkit.core.engines import transpile
    from funnelkit.data.engine_client import engine_warnings

    folder.mkdir(parents=True, exist_ok=True)
    duck = funnelkit.load_client(emit_warnings=False)
    for table in TABLES:
        target = folder / f"{table}.parquet"
        duck.con.execute(f"COPY (SELECT * FROM {table}) TO '{target}' (FORMAT parquet)")
    client = funnelkit.load_client(
        engine_client(folder / "shop", folder / "events.parquet", "clickhouse"), emit_warnings=False
    )
    engine, sent = client.con.engine, []
    for method in ("frame", "describe", "create"):
        original = getattr(engine, method)

        def keep(*args: Any, _method: str = method, _original: Any = original, **kw: Any) -> Any:
            sent.append((_method, args))
            return _original(*args, **kw)

        setattr(engine, method, keep)
    engine_warnings(client)
    for _, compute in CHAPTERS:
        compute(client)
    steps, seen = [], set()
    for method, args in sent:
        if method == "create":
            duck.con.execute(f"CREATE OR REPLACE TEMP TABLE {args[0]} AS {args[1]}")
            steps.append({"create": args[0], "bigquery": transpile(args[1], "bigquery")})
        elif method == "describe" and args[0] not in seen:  # its columns, not its rows
            seen.add(args[0])
            relation = duck.con.sql(args[0])
            steps.append({"bigquery": f"SELECT * FROM ({transpile(args[0], 'bigquery')}) LIMIT 0",
                          "duckdb": [], "ordered": False, "columns": relation.columns})  # fmt: skip
        elif args[0] not in seen:
            seen.add(args[0])
            rows = duck.con.sql(args[0]).fetchall()
            steps.append({
                "bigquery": transpile(args[0], "bigquery"),
                "duckdb": [[plain(v) for v in row] for row in rows],
                "ordered": " ORDER BY " in args[0].upper().rsplit(")", 1)[-1],
            })  # fmt: skip
    (folder / "steps.json").write_text(json.dumps(steps), encoding="utf-8")
    print(f"{len(seen)} distinct statements written to {folder / 'steps.json'}")


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(a, str) and isinstance(b, str) and a[:10] == b[:10] and len(a) >= 10:
        return a.replace("T00:00:00", "")[:26] == b.replace("T00:00:00", "")[:26]
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(map(_same, a, b))
    return a == b


def run(folder: Path, endpoint: str = "http://127.0.0.1:19050") -> int:
    """Load the tables into the emulator, run each statement there, compare; 1 if any differ."""
    import pandas as pd
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import bigquery

    client = bigquery.Client(project="local", credentials=AnonymousCredentials(),
                             client_options={"api_endpoint": endpoint})  # fmt: skip
    client.create_dataset("shop", exists_ok=True)
    kinds = {"i": "INT64", "u": "INT64", "f": "FLOAT64", "b": "BOOL", "M": "DATETIME"}
    for name in TABLES:
        frame = pd.read_parquet(folder / f"{name}.parquet")
        schema = [bigquery.SchemaField(c, "DATE" if frame[c].map(
            lambda v: isinstance(v, dt.date) and not isinstance(v, dt.datetime)).any()
            else kinds.get(frame[c].dtype.kind, "STRING")) for c in frame.columns]  # fmt: skip
        client.delete_table(f"local.shop.{name}", not_found_ok=True)
        table = client.create_table(bigquery.Table(f"local.shop.{name}", schema=schema))
        for start in range(0, len(frame), 5000):  # the emulator takes no multipart load
            assert not any(client.insert_rows_from_dataframe(table, frame[start : start + 5000]))
    config = bigquery.QueryJobConfig(default_dataset="local.shop")
    equal, failed = 0, 0
    for step in json.loads((folder / "steps.json").read_text(encoding="utf-8")):
        sql = step["bigquery"].replace(" LIMIT 1)[SAFE_OFFSET(0)]", ")[SAFE_OFFSET(0)]")
        try:
            if "create" in step:
                client.query(f"CREATE OR REPLACE TABLE shop.{step['create']} AS {sql}",
                             job_config=config).result()  # fmt: skip
                continue
            result = client.query(sql, job_config=config).result()
            got = [[plain(v) for v in r.values()] for r in result]
            if "columns" in step and [f.name for f in result.schema] != step["columns"]:
                got = ["columns differ", [f.name for f in result.schema]]
        except Exception as err:  # the emulator's errors: report and go on
            failed += 1
            print("ERROR", str(err).splitlines()[0][:300], "\n  ", sql[:200])
            continue
        want = step["duckdb"]
        if not step["ordered"]:
            got, want = sorted(got, key=json.dumps), sorted(want, key=json.dumps)
        if _same(want, got):
            equal += 1
        else:
            failed += 1
            print("DIFFERENT", sql[:200])
    print(f"{equal} statements give DuckDB's result (or columns) on the emulator, {failed} do not")
    return 1 if failed else 0


if __name__ == "__main__":
    command, folder = sys.argv[1], Path(sys.argv[2])
    sys.exit(record(folder) if command == "record" else run(folder))
