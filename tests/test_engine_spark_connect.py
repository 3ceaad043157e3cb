"""Spark Connect: a client with ``remote: sc://host:port`` runs its chapters through gRPC.

A local Spark Connect server is started on its usual port (pyspark's own, as a cluster's would
run); the demo client with its events on Spark is opened with ``remote: sc://localhost:<port>``,
so every query, temporary view and checkpoint goes through Spark Connect. The funnel with its
segments and trends (chapter 03, the one that makes temporary tables) equals DuckDB's.
"""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import funnelkit
from funnelkit.presentation.funnel.display import dropoff_report
from funnelkit.presentation.results import to_jsonable

pytest.importorskip("grpc", reason="Spark Connect needs pyspark[connect] (grpcio)")
sys.path.insert(0, str(Path(__file__).parent))
from engine_compare import SPARK_WARNINGS, differences, skip_without_spark

skip_without_spark()
from test_engine_chapters import _engine_client  # noqa: E402

pytestmark = [*SPARK_WARNINGS, pytest.mark.filterwarnings("ignore::DeprecationWarning")]


#: The port pyspark's local Spark Connect server listens on (it does not come up on another).
PORT = 15002


def _port_is_free() -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("localhost", PORT))
        except OSError:
            return False
        return True


@pytest.fixture(scope="module")
def clients(tmp_path_factory) -> Iterator[tuple[Any, Any]]:
    """(the demo on DuckDB, the demo with its events on Spark, reached through Spark Connect)."""
    from pyspark.sql import SparkSession

    if not _port_is_free():
        pytest.skip(f"port {PORT} is taken; the local Spark Connect server needs it")
    server = (
        SparkSession.builder.remote("local[2]")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.log.level", "ERROR")
        .getOrCreate()
    )
    root = tmp_path_factory.mktemp("spark_connect")
    duck = funnelkit.load_client(emit_warnings=False)
    events = root / "events.parquet"
    duck.con.execute(f"COPY (SELECT * FROM events) TO '{events}' (FORMAT parquet)")
    folder = _engine_client(root / "shop", events, remote=f"sc://localhost:{PORT}")
    connect = funnelkit.load_client(folder, emit_warnings=False)
    yield duck, connect
    connect.con.close()
    server.stop()


def test_the_client_speaks_to_spark_through_spark_connect(clients):
    _, connect = clients
    assert type(connect.con.engine.session).__module__.startswith("pyspark.sql.connect")
    assert connect.row_counts["events"] == 415_356


@pytest.mark.parametrize(
    ("chapter", "compute"),
    [
        ("03 funnel, segments, trends", lambda c: dropoff_report(c).to_results()),
    ],
)
def test_a_chapter_through_spark_connect_gives_duckdbs_numbers(clients, chapter, compute):
    duck, connect = clients
    assert differences(to_jsonable(compute(duck)), to_jsonable(compute(connect))) == [], chapter
