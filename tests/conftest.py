"""Shared fixtures: tiny client folders written per test, and the demo client."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml

SHARED_DATA = Path(
    os.environ.get("FUNNELKIT_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)

EVENTS_CSV = """visitor,ts,name,channel
u1,2026-10-01 10:00:00,page_view,email
u1,2026-10-01 10:01:00,purchase,email
u2,2026-10-02 11:00:00,page_view,paid_search
"""
ORDERS_CSV = """order_id,customer_id,timestamp,revenue
o1,u1,2026-10-01 10:01:00,50.00
o2,u2,2026-10-03 09:00:00,20.00
"""


@pytest.fixture(autouse=True)
def _isolated_reports(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """No test writes under the repository's reports/ folder."""
    monkeypatch.setenv("FUNNELKIT_REPORTS_DIR", str(tmp_path_factory.mktemp("reports")))


@pytest.fixture
def make_client(tmp_path: Path):
    """Write a client folder: ``make_client(files={"events.csv": text}, **yaml_overrides)``."""

    def _make(
        files: dict[str, str | bytes] | None = None, *, name: str = "client", **config: Any
    ) -> Path:
        folder = tmp_path / name
        (folder / "data").mkdir(parents=True, exist_ok=True)
        for file_name, content in (files or {}).items():
            target = folder / "data" / file_name
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content, encoding="utf-8")
        document = {
            "client": "Tiny Shop",
            "timezone": "Europe/Berlin",
            "period": {"start": "2026-10-01", "end": "2026-10-31"},
        }
        document.update(config)
        (folder / "client.yaml").write_text(
            yaml.safe_dump(document, sort_keys=False), encoding="utf-8"
        )
        return folder

    return _make


@pytest.fixture
def tiny_client(make_client):
    """A valid two-table client with a column mapping."""
    return make_client(
        {"events.csv": EVENTS_CSV, "orders.csv": ORDERS_CSV},
        data={
            "events": {
                "path": "data/events.csv",
                "columns": {"user_id": "visitor", "timestamp": "ts", "event": "name"},
            },
            "orders": {"path": "data/orders.csv"},
        },
    )
