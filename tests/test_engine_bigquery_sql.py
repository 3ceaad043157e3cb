"""The kit's DuckDB SQL written for BigQuery keeps DuckDB's meaning (funnelkit.core.engines).

BigQuery itself runs only where credentials exist, so each rule of
:mod:`funnelkit.core.engines.bigquery_rules` is checked here on what it writes: the statement
parses back with BigQuery's grammar, and what BigQuery lacks or reads differently is gone. The
statements the report's chapters send to an engine are all checked the same way in
``tests/test_engine_chapters_clickhouse.py`` (recorded there while the chapters run), with
:func:`leftovers`. Their results were compared with DuckDB's on a BigQuery emulator
(``tools/bigquery_emulator_check.py``; docs/scale.md gives the figures).
"""

from __future__ import annotations

import pytest

sqlglot = pytest.importorskip("sqlglot", reason="sqlglot (the engines' SQL translator) missing")

from sqlglot import exp  # noqa: E402

from funnelkit.core.engines import transpile  # noqa: E402
from funnelkit.core.errors import ConfigError  # noqa: E402

#: Functions sqlglot does not know that the rules write on purpose (all in BigQuery's docs).
BIGQUERY_FUNCTIONS = {"IEEE_DIVIDE", "COUNTIF", "FARM_FINGERPRINT"}


def leftovers(sql: str) -> list[str]:
    """What in a DuckDB statement, written for BigQuery, BigQuery lacks or reads differently.

    Empty when the statement parses back with BigQuery's grammar and has no function BigQuery
    does not have, no aggregate ``PERCENTILE_CONT``/``MEDIAN`` (BigQuery has them as window
    functions only), no ``MIN_BY``/``MAX_BY`` (they keep NULLs DuckDB skips), no Sunday-based
    ``WEEK`` truncation, no ``GREATEST``/``LEAST`` that a NULL would make NULL, no plain ``/``
    (an error on a division by zero) and no ``GENERATE_ARRAY`` stepping by an interval.
    """
    written = transpile(sql, "bigquery")
    tree = sqlglot.parse_one(written, read="bigquery")
    found = [
        f"function {node.name.upper()}"
        for node in tree.find_all(exp.Anonymous)
        if node.name.upper() not in BIGQUERY_FUNCTIONS
    ]
    for node in tree.find_all(exp.PercentileCont, exp.Median, exp.ArgMin, exp.ArgMax):
        if not isinstance(node.parent, exp.Window):
            found.append(f"aggregate {node.key}")
    found += [f"division {d.sql('bigquery')}" for d in tree.find_all(exp.Div)]
    found += [
        f"{node.key} without a NULL fallback"
        for node in tree.find_all(exp.Greatest, exp.Least)
        if len(node.expressions) and not isinstance(node.this, exp.Coalesce)
    ]
    for node in tree.find_all(exp.TimestampTrunc, exp.DatetimeTrunc, exp.DateTrunc):
        unit = node.args.get("unit")
        day = unit.this.name.upper() if isinstance(unit, exp.WeekStart) else ""
        if day == "SUNDAY" or (unit is not None and unit.name.upper() == "WEEK"):
            found.append("a week truncation starting on Sunday")
    for node in tree.find_all(exp.GenerateSeries):
        if isinstance(node.args.get("step"), exp.Interval):
            found.append("GENERATE_ARRAY by an interval")
    return found


@pytest.mark.parametrize(
    ("duckdb_sql", "expected"),
    [
        ("SELECT median(x) AS m FROM t", "ARRAY_AGG(CAST(x AS FLOAT64) IGNORE NULLS ORDER BY"),
        ("SELECT quantile_cont(x, 0.9) AS q FROM t", "[SAFE_OFFSET(CAST(CEIL("),
        (
            "SELECT arg_min(e, ts) AS first FROM t",
            "ARRAY_AGG(IF(NOT ts IS NULL, e, NULL) IGNORE NULLS ORDER BY ts ASC LIMIT 1)",
        ),
        (
            "SELECT arg_max(e, ts) FILTER (WHERE e <> 'x') AS last FROM t",
            "IF((e <> 'x') AND NOT ts IS NULL, e, NULL) IGNORE NULLS ORDER BY ts DESC LIMIT 1",
        ),
        ("SELECT arg_min(e, {'t': ts, 'e': e}) AS nxt FROM t", "ORDER BY ts ASC, e ASC LIMIT 1"),
        (
            "SELECT greatest(a, b, c) AS g FROM t",
            "GREATEST(COALESCE(a, b, c), COALESCE(b, a, c), COALESCE(c, a, b))",
        ),
        ("SELECT count_if(a > 1) AS n FROM t", "IF(COUNT(a > 1) = 0, NULL, COUNTIF(a > 1))"),
        (
            "SELECT date_trunc('week', ts) AS w FROM t",
            "DATETIME_SUB(DATETIME_TRUNC(CAST(ts AS DATETIME), DAY), INTERVAL (MOD(EXTRACT("
            "DAYOFWEEK FROM CAST(ts AS DATETIME)) + 5, 7)) DAY)",
        ),
        ("SELECT date_trunc('day', ts) AS d FROM t", "DATETIME_TRUNC(CAST(ts AS DATETIME), DAY)"),
        (
            "SELECT date_diff('week', a, b) AS w FROM t",
            "DIV(DATE_DIFF(CAST(b AS DATE), CAST(a AS DATE), DAY), 7)",
        ),
        (
            "SELECT date_diff('microsecond', a, b) AS w FROM t",
            "DATETIME_DIFF(CAST(b AS DATETIME), CAST(a AS DATETIME), MICROSECOND)",
        ),
        (
            "SELECT epoch(a - b) AS s FROM t",
            "IEEE_DIVIDE((UNIX_MICROS(CAST(a AS TIMESTAMP)) - UNIX_MICROS(CAST(b AS TIMESTAMP))), "
            "CAST(1000000.0 AS FLOAT64))",
        ),
        ("SELECT epoch_us(ts) AS us FROM t", "UNIX_MICROS(CAST(ts AS TIMESTAMP))"),
        ("SELECT c + to_weeks(CAST(n AS INT)) AS s FROM t", "c + INTERVAL (CAST(n AS INT64)) WEEK"),
        ("SELECT a + 7 * INTERVAL '1' DAY AS s FROM t", "a + INTERVAL (7) DAY"),
        (
            "SELECT 1 << list_position(['a', 'b'], e) AS bit FROM t",
            "1 << CASE e WHEN 'a' THEN 1 WHEN 'b' THEN 2 END",
        ),
        ("SELECT a / b AS r FROM t", "IEEE_DIVIDE(a, b)"),
        ("SELECT hash(u) AS h FROM t", "FARM_FINGERPRINT(CAST(u AS STRING))"),
        ("SELECT * FROM (SELECT 1, 2) AS u(x, y)", "(SELECT 1 AS x, 2 AS y) AS u"),
        (
            "SELECT UNNEST(generate_series(lo, hi, INTERVAL '1' DAY)) AS d FROM b",
            "ARRAY(SELECT DATETIME_ADD(CAST(lo AS DATETIME), INTERVAL i DAY) FROM UNNEST("
            "GENERATE_ARRAY(0, DIV(DATETIME_DIFF(CAST(hi AS DATETIME), CAST(lo AS DATETIME), "
            "MICROSECOND), 86400000000) * 1, 1)) AS i ORDER BY i)",
        ),
    ],
    ids=lambda v: v[:40] if isinstance(v, str) else v,
)
def test_each_rule_writes_what_bigquery_has(duckdb_sql, expected):
    written = transpile(duckdb_sql, "bigquery")
    assert expected in written, written
    assert leftovers(duckdb_sql) == [], written


@pytest.mark.parametrize(
    ("duckdb_sql", "problem"),
    [
        ("SELECT a / b FROM t", None),
        ("SELECT quantile_cont(x, 0.5) AS q FROM t", None),
    ],
)
def test_the_checker_finds_what_the_rules_remove(duckdb_sql, problem, monkeypatch):
    """Without the rules, the checker names each problem (it cannot pass by accident)."""
    from funnelkit.core import engines

    monkeypatch.setattr(engines, "for_bigquery", lambda tree: tree)
    assert leftovers(duckdb_sql), duckdb_sql


def test_the_checker_names_a_function_bigquery_lacks_and_a_sunday_week(monkeypatch):
    from funnelkit.core import engines

    monkeypatch.setattr(engines, "for_bigquery", lambda tree: tree)
    found = leftovers(
        "SELECT epoch_us(ts), date_trunc('week', ts), greatest(a, b), median(x) FROM t"
    )
    assert "function EPOCH_US" in found
    assert "a week truncation starting on Sunday" in found
    assert "greatest without a NULL fallback" in found
    assert any(f.startswith("aggregate") for f in found)


def test_a_unit_the_rules_do_not_know_is_refused_not_guessed():
    with pytest.raises(ConfigError, match="no BigQuery rule for date_diff\\('month'"):
        transpile("SELECT date_diff('month', a, b) FROM t", "bigquery")


@pytest.mark.parametrize(
    "mode",
    [
        {},
        {"order": "strict"},
        {"order": "any"},
        {"entry": "first"},
        {"window_from": "previous_step"},
    ],
    ids=["default", "strict order", "any order", "first entry", "window from the previous step"],
)
def test_the_funnel_sql_for_bigquery_has_no_leftovers(mode):
    from datetime import datetime

    from funnelkit.funnel.remote import funnel_sql
    from funnelkit.funnel.spec import FunnelSpec

    spec = FunnelSpec(("view_item", "add_to_cart", "purchase"), **mode)
    stats = [("view_item", 9, 9), ("add_to_cart", 5, 5), ("purchase", 2, 2)]
    period = (datetime(2026, 9, 1), datetime(2026, 10, 1))
    sql = funnel_sql("duckdb", "events", spec, stats=stats, by=("channel",), period=period)
    assert leftovers(sql) == []


def test_an_instant_is_read_as_its_wall_clock_datetime_in_the_zone():
    """``timezone(zone, ts)`` (the kit reads an instant in the client's zone) is BigQuery's
    ``DATETIME(ts, zone)``, which the emulator run and BigQuery's docs give the same meaning."""
    duckdb_sql = "SELECT timezone('Europe/Berlin', \"timestamp\") AS t FROM e"
    assert transpile(duckdb_sql, "bigquery") == (
        "SELECT DATETIME(`timestamp`, 'Europe/Berlin') AS t FROM e"
    )
    assert leftovers(duckdb_sql) == []
