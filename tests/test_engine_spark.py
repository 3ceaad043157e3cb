"""The portable funnel on Spark (local mode) against DuckDB: random logs and the demo client.

One local[2] session serves the module. Spark spends most of a tiny query in planning and
scheduling, so the random cases of one mode (4 for each of tests/test_funnel_engine.py's
MODES, 32 in all) run as ONE Spark query: each case's portable SQL over its own view, side by
side under UNION ALL (``case_no`` tells them apart). One query for all modes was no faster.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings

import funnelkit
from funnelkit.core.errors import ConfigError
from funnelkit.data.adapters.ga4_engine import engine_select
from funnelkit.data.engines import read_in_time_zone
from funnelkit.data.sources import connect
from funnelkit.funnel import engine_sql
from funnelkit.funnel.engine import _plan, funnel_paths
from funnelkit.funnel.remote import event_stats_sql, funnel_sql, remote_funnel
from funnelkit.funnel.spec import FunnelError, FunnelSpec

sys.path.insert(0, str(Path(__file__).parent))
from engine_compare import wall_clock_differences, zoned_events
from test_funnel_engine import MODES, cases

pytest.importorskip("pyspark", reason="pyspark is not installed (pip install -e .[spark])")
if (
    shutil.which("java") is None
    or subprocess.run(["java", "-version"], capture_output=True).returncode
):
    pytest.skip(
        "Spark needs Java 17 (apt-get install openjdk-17-jre-headless)", allow_module_level=True
    )

from funnelkit.core.engines.spark import SparkEngine

#: pyspark 4.3 warns that pandas 3 is not fully supported, and calls astype(copy=False); the
#: conversions used here (strings, naive timestamps, integers) are checked by the tests.
pytestmark = [
    pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]

#: Random logs per mode (8 modes): the first drawn (the minimal log) is dropped, 4 kept.
PER_MODE = 5
DRAW = settings(
    max_examples=PER_MODE,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
K_MAX = 4  # cases() draws 2..4 steps
#: Tiny inputs: one shuffle partition, no whole-stage Java code generation (compiling costs more
#: than it saves on a few rows: 76 s instead of 114 s for this module) and no adaptive
#: re-planning between stages (about a third off each random-log query).
FAST = {
    "spark.sql.shuffle.partitions": "1",
    "spark.sql.codegen.wholeStage": "false",
    "spark.sql.adaptive.enabled": "false",
}


@pytest.fixture(scope="module")
def spark() -> Iterator[SparkEngine]:
    """One local[2] session for the module (stopped at its end: the JVM holds ~1 GB)."""
    engine = SparkEngine(master="local[2]", app_name="funnelkit-tests", conf=FAST)
    yield engine
    engine.close()


def _draw(mode: str) -> list[tuple[pd.DataFrame, FunnelSpec, dict]]:
    drawn: list = []

    @DRAW
    @given(cases(**MODES[mode]))
    def collect(case: tuple[pd.DataFrame, FunnelSpec, dict]) -> None:
        drawn.append(case)

    collect()
    return drawn[1:]


def _rows(frame: pd.DataFrame, k: int) -> list[tuple]:
    """Sorted (unit_id, depth, step times...) tuples; NaT/NaN as None."""
    cols = ["unit_id", "depth", *(f"step_{i}_at" for i in range(1, k + 1))]
    out = []
    for rec in frame[cols].itertuples(index=False):
        out.append(
            tuple(
                None if (not isinstance(v, str) and pd.isna(v)) else v
                for v in (rec[0], int(rec[1]), *(pd.Timestamp(t) for t in rec[2:]))
            )
        )
    return sorted(out, key=repr)


def _by_rows(frame: pd.DataFrame) -> list[tuple]:
    return sorted(
        (
            (u, None if pd.isna(c) else c)
            for u, c in zip(frame["unit_id"], frame["channel"], strict=True)
        ),
        key=repr,
    )


@pytest.mark.parametrize("mode", list(MODES))
def test_portable_funnel_on_spark_equals_duckdb(mode: str, spark: SparkEngine) -> None:
    """Per unit (unit_id, depth, step times, channel) and per depth, Spark equals DuckDB."""
    con = connect()
    parts, expected = [], {}
    for n, (frame, spec, extra) in enumerate(_draw(mode)):
        view = f"src_{mode}_{n}"
        con.register(view, frame)
        try:
            plan = _plan(con, view, spec, extra["by"], extra.get("period"), scan_names=True)
        except FunnelError as err:  # a period without step-1 events: DuckDB refuses as well
            assert "No step-1 event" in str(err)
            continue
        duck = funnel_paths(frame, spec=spec, engine="portable", con=con, **extra).df()
        expected[n] = (spec, extra, duck)
        spark.register(view, frame)
        steps = ", ".join(
            f"step_{i}_at" if i <= spec.k else f"CAST(NULL AS TIMESTAMP) AS step_{i}_at"
            for i in range(1, K_MAX + 1)
        )
        channel = "channel" if extra["by"] else "CAST(NULL AS VARCHAR) AS channel"
        parts.append(
            f"SELECT {n} AS case_no, unit_id, depth, {steps}, {channel} "
            f"FROM ({engine_sql.build(plan)}) AS p{n}"
        )
    assert expected, "every drawn case failed to plan"
    got = spark.query("\nUNION ALL\n".join(parts))
    for n, (spec, extra, duck) in expected.items():
        mine = got[got["case_no"] == n]
        assert _rows(mine, spec.k) == _rows(duck, spec.k), (mode, spec, extra)
        if extra["by"]:
            assert _by_rows(mine) == _by_rows(duck), (mode, spec, extra)
        counts = mine.groupby("depth").size().to_dict(), duck.groupby("depth").size().to_dict()
        assert counts[0] == counts[1], (mode, spec, extra)


@pytest.fixture(scope="module")
def demo(spark: SparkEngine, tmp_path_factory: pytest.TempPathFactory) -> funnelkit.Client:
    client = funnelkit.load_client(emit_warnings=False)
    path = tmp_path_factory.mktemp("spark") / "events.parquet"
    client.con.execute(f"COPY (SELECT * FROM events) TO '{path}' (FORMAT PARQUET)")
    spark.register("demo_events", path)
    return client


def _demo_spec(client: funnelkit.Client) -> FunnelSpec:
    funnel = client.config.funnel
    return FunnelSpec(
        steps=tuple(funnel.steps),
        conversion_window=timedelta(days=funnel.conversion_window_days),
        order=funnel.order,
    )


def _counts(frame: pd.DataFrame, by: list[str]) -> list[dict]:
    frame = frame.astype({"depth": int, "units": int}).sort_values([*by, "depth"])
    return frame[[*by, "depth", "units"]].to_dict("records")


def test_demo_funnel_on_spark_equals_duckdb(spark: SparkEngine, demo: funnelkit.Client) -> None:
    """The demo funnel (client.yaml: 5 steps, 7 days, ordered) by channel, Parquet read in place."""
    spec = _demo_spec(demo)
    paths = funnel_paths(demo, spec=spec, by=["channel"]).df()
    stats = spark.query(event_stats_sql("demo_events"))
    rows = [(str(n), int(c), int(p)) for n, c, p in stats.itertuples(index=False)]
    got = spark.query(funnel_sql("duckdb", "demo_events", spec, stats=rows, by=["channel"]))
    expected = paths.groupby(["channel", "depth"]).size().rename("units").reset_index()
    assert _counts(got, ["channel"]) == _counts(expected, ["channel"])
    total = got.groupby("depth", as_index=False)["units"].sum()
    expected_total = paths.groupby("depth").size().rename("units").reset_index()
    assert _counts(total, []) == _counts(expected_total, [])


def test_remote_funnel_on_spark_equals_duckdb(spark: SparkEngine, demo: funnelkit.Client) -> None:
    """The lead's :func:`remote_funnel` (event names and counts asked of Spark) on the demo."""
    spec = _demo_spec(demo)
    paths = funnel_paths(demo, spec=spec).df()
    expected = paths.groupby("depth").size().rename("units").reset_index()
    assert _counts(remote_funnel(spark, "demo_events", spec), []) == _counts(expected, [])


def test_credentials_never_come_from_client_yaml() -> None:
    with pytest.raises(ConfigError, match="SPARK_CONNECT_TOKEN"):
        SparkEngine.from_config({"remote": "sc://host:15002/;token=abc"})
    with pytest.raises(ConfigError, match="look like credentials"):
        SparkEngine.from_config({"conf": {"spark.hadoop.fs.s3a.secret.key": "x"}})
    with pytest.raises(ConfigError, match="does not know"):
        SparkEngine.from_config({"master": "local[2]", "password": "x"})


def test_nanosecond_parquet_is_refused_naming_the_fix(spark: SparkEngine, tmp_path: Path) -> None:
    """pandas/pyarrow write nanoseconds by default; Spark reads microseconds only."""
    pa = pytest.importorskip("pyarrow")
    from pyarrow import parquet

    path = tmp_path / "ns.parquet"
    parquet.write_table(pa.table({"ts": pa.array([1], pa.timestamp("ns"))}), path)
    with pytest.raises(ConfigError, match="coerce_timestamps='us'"):
        spark.register("ns_events", path)


def test_an_instant_reads_as_zoneinfos_wall_clock_time_across_summer_time(spark: SparkEngine):
    """``timezone(zone, ts)`` on Spark against Python's zoneinfo (brute force)."""
    assert wall_clock_differences(spark) == []


def test_a_parquet_files_instants_are_read_in_the_clients_time_zone(
    spark: SparkEngine, demo: funnelkit.Client, tmp_path: Path
) -> None:
    """Timestamps written as instants (Spark's TIMESTAMP) give, once read in the client's zone,
    the events per day and times DuckDB's loader gives for the same file; wall-clock ones
    (TIMESTAMP_NTZ) are left as they are."""
    zoned = zoned_events(demo, tmp_path / "zoned.parquet")
    spark.register("zoned_events", zoned)
    assert spark.instant_columns("zoned_events") == ["timestamp"]
    assert spark.instant_columns("demo_events") == []  # written without a zone
    read_in_time_zone(spark, "zoned_events", demo.config.timezone)
    assert spark.instant_columns("zoned_events") == []
    by_day = (
        "SELECT CAST(CAST(timestamp AS DATE) AS VARCHAR) AS day, count(*) AS n, "
        "min(timestamp) AS first, max(timestamp) AS last FROM {} GROUP BY 1 ORDER BY 1"
    )
    got = spark.query(by_day.format("zoned_events"))
    want = demo.con.sql(by_day.format("events")).df()
    pd.testing.assert_frame_equal(got, want, check_dtype=False)


def test_a_ga4_export_in_a_lake_reads_as_the_files_adapter_reads_it(
    spark: SparkEngine, tmp_path: Path
) -> None:
    """GA4's nested daily export (Parquet, fields differing by day) read on Spark by the GA4
    adapter's mapping (``engine.tables: {events: {table: …, format: ga4_export}}``) gives the
    canonical events and orders a plain pandas reading of the same rows gives."""
    from test_adapter_ga4 import TZ, ga4_days, reference, write_export

    days = ga4_days()
    folder = write_export(tmp_path / "export", days, "parquet")
    spark.register("ga4_raw", str(folder))
    schema = spark.nested_schema("ga4_raw")
    assert set(schema["event_params"]["value"]) >= {"string_value", "int_value"}
    for table in ("events", "orders"):
        sql = engine_select(schema, table=table, overrides={}, label="export", source="ga4_raw",
                            timezone=TZ)  # fmt: skip
        spark.create(f"ga4_{table}", sql, materialize=False)
        read_in_time_zone(spark, f"ga4_{table}", TZ)
    keys = ["user_id", "timestamp", "event"]
    got = spark.query("SELECT * FROM ga4_events").sort_values(keys).reset_index(drop=True)
    want = reference(days).sort_values(keys).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, want[got.columns], check_dtype=False)
    orders = spark.query("SELECT * FROM ga4_orders").sort_values("order_id")
    paid = want.dropna(subset=["order_id"]).sort_values("order_id")
    assert orders["order_id"].tolist() == paid["order_id"].tolist()
    assert orders["revenue"].tolist() == paid["revenue"].tolist()
    assert (orders["timestamp"].tolist() == paid["timestamp"].tolist()) and len(orders) > 5
