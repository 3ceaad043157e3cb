"""Counts computed once per client (memo, shared scans) equal the one-query-per-metric SQL.

Every metric keeps its plain SQL for anything unusual; these tests check that the shared paths
(one scan for the visitor flags of both periods, one for the sessions, bit masks for distinct
users per event name and per stage) give exactly the integers of those plain queries.
"""

from __future__ import annotations

import itertools
from datetime import datetime

import pandas as pd
import pytest

from funnelkit import load_client
from funnelkit.data.validate import q
from funnelkit.metrics import memo, shared, traffic
from funnelkit.metrics.base import Window, label_sql, window
from funnelkit.stages import volumes
from funnelkit.stages.mapping import resolve_stages


@pytest.fixture(scope="module")
def demo():
    return load_client(emit_warnings=False)


def _windows(client):
    custom = Window(datetime(2026, 10, 2, 6), datetime(2026, 10, 20, 18))  # overlaps both
    return [window(client, "current"), window(client, "previous"), custom]


def test_visitor_flags_equal_one_query_per_flag(demo):
    for w in _windows(demo):
        flags = shared.visitor_flag_counts(demo, w)
        assert set(flags) == {"TRUE", shared.lead_flag(demo), shared.bought_flag(w)}
        for flag, counts in flags.items():
            plain = demo.sql(
                f"SELECT count_if(hit) AS n, count(*) AS d FROM (SELECT user_id, {flag} AS hit "
                f"FROM events WHERE {w.sql('timestamp')} GROUP BY user_id)"
            )
            assert counts == (int(plain.n[0]), int(plain.d[0]))
        firsts = demo.sql(
            "SELECT count(*) AS n FROM (SELECT min(timestamp) AS f FROM events GROUP BY user_id) "
            f"WHERE {w.sql('f')}"
        )
        assert shared.new_visitor_count(demo, w) == int(firsts.n[0])


@pytest.mark.parametrize("by", [None, "channel", "device", "campaign", "landing_page"])
def test_session_counts_equal_the_session_frame(demo, by):
    for w, flag in itertools.product(_windows(demo), [shared.BOUNCED, shared.ENGAGED, "TRUE"]):
        found = shared.session_counts(demo, w, by, flag)
        group = f"{label_sql(q(by))} AS {q(by)}, " if by else ""
        tail = " GROUP BY 1 ORDER BY 1" if by else ""
        plain = demo.sql(
            f"SELECT {group}count_if({flag}) AS numerator, count(*) AS denominator "
            f"FROM ({traffic.session_frame_sql(demo, w)}){tail}"
        )
        pd.testing.assert_frame_equal(found, plain, check_dtype=False)
    assert shared.session_counts(demo, w, by, "page_views > 3") is None  # not a shared flag


def test_event_users_equal_count_distinct(demo, make_client):
    plain = demo.sql("SELECT event, count(DISTINCT user_id) AS n FROM events GROUP BY event")
    assert shared.event_users(demo) == dict(zip(plain.event, plain.n.astype(int), strict=True))
    # more names than a 63-bit mask holds: the plain query
    rows = [f"u{i % 7},2026-10-01 10:{i % 60:02d}:00,e{i}" for i in range(70)]
    folder = make_client(
        {"events.csv": "user_id,timestamp,event\n" + "\n".join(rows) + "\n"},
        data={"events": {"path": "data/events.csv"}},
    )
    many = load_client(folder, emit_warnings=False)
    assert shared.event_users(many) == {f"e{i}": 1 for i in range(70)}


def test_stage_reach_equals_distinct_stage_ids(demo):
    plans = resolve_stages(demo)
    for w in _windows(demo):
        frame, both = volumes._reach(demo, plans, w)
        event_map = volumes.event_stage_map(demo)
        mapped = event_map[event_map["stage"] != ""]
        values = ", ".join(
            f"('{e}', '{s}')" for e, s in zip(mapped.event, mapped.stage, strict=True)
        )
        parts = [
            "SELECT m.stage, 'events', CAST(e.user_id AS VARCHAR) FROM events e "
            f"JOIN (VALUES {values}) AS m(event, stage) ON e.event = m.event "
            f"WHERE {w.sql('e.timestamp')}"
        ]
        parts += [
            sql
            for plan in plans
            for source in plan.sources
            if (sql := volumes._source_sql(demo, plan, source, w)) is not None
        ]
        ids = f"SELECT DISTINCT * FROM ({' UNION ALL '.join(parts)}) AS u(stage, src, id)"
        plain = demo.sql(
            f"SELECT stage, count(DISTINCT id) AS people, "
            f"count(DISTINCT id) FILTER (WHERE src = 'events') AS from_events, "
            f"count(DISTINCT id) FILTER (WHERE src <> 'events') AS from_sources "
            f"FROM ({ids}) GROUP BY stage"
        ).set_index("stage")
        got = frame.set_index("stage")[["people", "from_events", "from_sources"]]
        expected = plain.reindex(got.index).fillna(0).astype("int64")
        pd.testing.assert_frame_equal(got, expected, check_dtype=False)
        for (a, b), n in both.items():
            pair = demo.sql(
                f"SELECT count(*) AS n FROM (SELECT DISTINCT id FROM ({ids}) WHERE stage = '{a}') "
                f"JOIN (SELECT DISTINCT id FROM ({ids}) WHERE stage = '{b}') USING (id)"
            )
            assert n == int(pair.n[0])


def test_memo_runs_a_query_once_per_connection(demo, monkeypatch):
    calls = []
    original = type(demo).sql

    def counting(self, query, params=None):
        calls.append(query)
        return original(self, query, params)

    monkeypatch.setattr(type(demo), "sql", counting)
    sql = "SELECT count(*) AS n, 'memo-test' AS tag FROM orders"
    first = memo.fetch(demo, sql)
    first.loc[0, "n"] = -1  # each caller gets its own copy
    assert int(memo.fetch(demo, sql).n[0]) > 0 and calls.count(sql) == 1
    other = load_client(emit_warnings=False)  # another connection: its own cache
    assert other.con is not demo.con
    memo.fetch(other, sql)
    assert calls.count(sql) == 2
    name = memo.temp_table(demo, "SELECT 1 AS x")
    assert memo.temp_table(demo, "SELECT 1 AS x") == name
    assert demo.sql(f"SELECT x FROM {name}").x.tolist() == [1]
