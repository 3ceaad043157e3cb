"""Hand-written funnel baselines for ``bench/funnel.py``, plus the floor (a plain scan).

Every function takes the Parquet path and returns ``{(channel, step): users}`` for steps 1..5:
the number of users whose deepest step (by that baseline's semantics) is at least ``step``,
broken down by channel. Each runs in a fresh interpreter started by ``bench/funnel.py``.

Two families of semantics are measured:

- **exact** (``asof_chain``): the rules of ``docs/funnel.md`` with the defaults
  (``order="ordered"``, 7-day window from step 1, inclusive, every step-1 event starts an
  attempt, each step greedily matched to the earliest step-k event at or after step k−1, a user
  counts once at the deepest step over all attempts, channel from the attempt that reached that
  depth first, ties: the earliest start). Its counts must equal funnelkit's exactly.
- **cummax approximation** (``pandas_cummax``, ``duckdb_window``, ``polars``): the usual
  vectorised "deepest ordered step": sort a user's step events by time (step order at ties); an
  event of step k *advances* when the running maximum of the steps seen before it is ≥ k−1; the
  user's depth is the largest advancing step. No conversion window, no attempts, channel of the
  user's first step-1 event. It over-counts when steps come out of order (1, 3, 2, 4 reaches 4
  because the 3 seen earlier still counts) and when a conversion comes after the window (a user
  returning weeks later completes the funnel). The three must agree with each other exactly.
- **ordered, no window** (``duckdb_list_reduce``): per user, the sorted step list folded with
  ``list_reduce`` (advance from d to d+1 on a step-(d+1) event). That is the exact greedy ordered
  match from the user's first step-1 event, but without a window; it differs from funnelkit only
  by conversions later than 7 days after every step-1 event that could have led to them.
"""

from __future__ import annotations

STEPS = ["landing_view", "product_view", "add_to_cart", "checkout_start", "purchase"]
WINDOW = "INTERVAL 7 DAY"


def _in_list() -> str:
    return ", ".join(f"'{s}'" for s in STEPS)


def _step_case(col: str = "event") -> str:
    whens = " ".join(f"WHEN '{s}' THEN {i}" for i, s in enumerate(STEPS, 1))
    return f"CASE {col} {whens} END"


def _cumulate(rows) -> dict[tuple[str, int], int]:
    """(channel, depth, users) rows → {(channel, step): users with depth ≥ step}."""
    out: dict[tuple[str, int], int] = {}
    for channel, depth, users in rows:
        if depth is None:
            continue
        for step in range(1, int(depth) + 1):
            out[(channel, step)] = out.get((channel, step), 0) + int(users)
    return out


def _duckdb():
    import duckdb

    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    return con


def scan(path: str) -> dict:
    """The floor: count the step events and their distinct users."""
    con = _duckdb()
    _, users = con.sql(
        f"SELECT count(*), count(DISTINCT user_id) FROM read_parquet('{path}') "
        f"WHERE event IN ({_in_list()})"
    ).fetchall()[0]
    return {("*", 1): int(users)}


def asof_chain(path: str) -> dict:
    """Exact funnelkit semantics: four chained ASOF joins, one attempt per step-1 event."""
    con = _duckdb()
    parts = [
        f"""ev AS (SELECT user_id, timestamp AS ts, event, channel
                 FROM read_parquet('{path}') WHERE event IN ({_in_list()}))""",
        f"a1 AS (SELECT user_id, ts AS t1, channel FROM ev WHERE event = '{STEPS[0]}')",
    ]
    for k in range(2, len(STEPS) + 1):
        parts.append(f"s{k} AS (SELECT user_id, ts FROM ev WHERE event = '{STEPS[k - 1]}')")
        parts.append(f"""a{k} AS (
            SELECT a.*, CASE WHEN b.ts <= a.t1 + {WINDOW} THEN b.ts END AS t{k}
            FROM a{k - 1} a ASOF LEFT JOIN s{k} b
              ON a.user_id = b.user_id AND b.ts >= a.t{k - 1})""")
    n = len(STEPS)
    depth = (
        "CASE "
        + " ".join(f"WHEN t{k} IS NOT NULL THEN {k}" for k in range(n, 1, -1))
        + " ELSE 1 END"
    )
    reached = "coalesce(" + ", ".join(f"t{k}" for k in range(n, 0, -1)) + ")"
    parts.append(
        f"att AS (SELECT user_id, channel, t1, {depth} AS depth, {reached} AS reached FROM a{n})"
    )
    # deepest attempt; ties: reached that depth first, then the earliest start
    parts.append(
        "usr AS (SELECT user_id, max(depth) AS depth, "
        "arg_min(channel, (-depth, reached, t1)) AS channel FROM att GROUP BY user_id)"
    )
    rows = con.sql(
        "WITH " + ",\n".join(parts) + " SELECT channel, depth, count(*) FROM usr GROUP BY ALL"
    ).fetchall()
    return _cumulate(rows)


def pandas_cummax(path: str) -> dict:
    """Vectorised pandas: sort by user/time, per-user running max with ``groupby().cummax()``."""
    import pandas as pd

    df = pd.read_parquet(
        path, columns=["user_id", "timestamp", "event", "channel"], filters=[("event", "in", STEPS)]
    )
    df["step"] = df["event"].map({s: i for i, s in enumerate(STEPS, 1)}).astype("int8")
    df = df.sort_values(["user_id", "timestamp", "step"], ignore_index=True)
    users = df["user_id"]
    prev = df.groupby(users, sort=False)["step"].cummax().shift(1, fill_value=0)
    prev[users.ne(users.shift())] = 0
    depth = df["step"].where(df["step"] <= prev + 1).groupby(users, sort=False).max()
    channel = df.loc[df["step"] == 1].groupby("user_id", sort=False)["channel"].first()
    per_user = pd.DataFrame({"depth": depth.dropna(), "channel": channel}).dropna()
    rows = per_user.groupby(["channel", "depth"]).size().reset_index().itertuples(index=False)
    return _cumulate(rows)


def duckdb_window(path: str) -> dict:
    """The same cummax approximation as pandas, with a DuckDB window function."""
    con = _duckdb()
    rows = con.sql(f"""
        WITH s AS (SELECT user_id, timestamp AS ts, channel, {_step_case()} AS step
                   FROM read_parquet('{path}') WHERE event IN ({_in_list()})),
        w AS (SELECT *, coalesce(max(step) OVER (PARTITION BY user_id ORDER BY ts, step
                  ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS prev FROM s),
        u AS (SELECT user_id, max(step) FILTER (WHERE step <= prev + 1) AS depth,
                     arg_min(channel, ts) FILTER (WHERE step = 1) AS channel
              FROM w GROUP BY user_id)
        SELECT channel, depth, count(*) FROM u
        WHERE depth IS NOT NULL AND channel IS NOT NULL GROUP BY ALL""").fetchall()
    return _cumulate(rows)


def duckdb_list_reduce(path: str) -> dict:
    """Per-user sorted step lists folded with ``list_reduce`` (ordered greedy, no window)."""
    con = _duckdb()
    rows = con.sql(f"""
        WITH s AS (SELECT user_id, timestamp AS ts, channel, {_step_case()} AS step
                   FROM read_parquet('{path}') WHERE event IN ({_in_list()})),
        u AS (SELECT user_id,
                     list_reduce(list(step ORDER BY ts, step),
                                 lambda d, x: CASE WHEN x = d + 1 THEN x ELSE d END, 0) AS depth,
                     arg_min(channel, ts) FILTER (WHERE step = 1) AS channel
              FROM s GROUP BY user_id)
        SELECT channel, depth, count(*) FROM u WHERE depth > 0 GROUP BY ALL""").fetchall()
    return _cumulate(rows)


def polars_cummax(path: str) -> dict:
    """The same cummax approximation in polars (lazy scan of the Parquet file)."""
    import polars as pl

    step = pl.col("event").replace_strict(
        {s: i for i, s in enumerate(STEPS, 1)}, return_dtype=pl.Int8
    )
    lf = (
        pl.scan_parquet(path)
        .select("user_id", "timestamp", "event", "channel")
        .filter(pl.col("event").is_in(STEPS))
        .with_columns(step=step)
        .sort(["user_id", "timestamp", "step"])
        .with_columns(prev=pl.col("step").cum_max().shift(1).over("user_id").fill_null(0))
    )
    per_user = lf.group_by("user_id").agg(
        depth=pl.col("step").filter(pl.col("step") <= pl.col("prev") + 1).max(),
        channel=pl.col("channel").filter(pl.col("step") == 1).first(),
    )
    out = per_user.drop_nulls(["depth", "channel"]).group_by("channel", "depth").len().collect()
    return _cumulate(out.iter_rows())


def funnelkit(path: str, engine: str) -> dict:
    """funnelkit's engine: ``funnel_paths`` over the file, then users per depth and channel."""
    from funnelkit.funnel.engine import funnel_paths

    rel = funnel_paths(path, steps=STEPS, by=("channel",), engine=engine)
    rows = rel.aggregate("channel, depth, count(*) AS users", "channel, depth").fetchall()
    return _cumulate(rows)


def funnelkit_fast(path: str) -> dict:
    return funnelkit(path, "fast")


def funnelkit_portable(path: str) -> dict:
    return funnelkit(path, "portable")


# what each measurement imports before its clock starts ("in-process s" excludes imports)
IMPORTS = {
    "pandas_cummax": ["pandas", "pyarrow.parquet"],
    "polars": ["polars"],
    "funnelkit_fast": ["duckdb", "funnelkit.funnel.engine"],
    "funnelkit_portable": ["duckdb", "funnelkit.funnel.engine"],
}


def prepare(kind: str) -> None:
    import importlib

    for module in IMPORTS.get(kind, ["duckdb"]):
        importlib.import_module(module)


KINDS = {
    "scan": scan,
    "asof_chain": asof_chain,
    "pandas_cummax": pandas_cummax,
    "duckdb_window": duckdb_window,
    "duckdb_list_reduce": duckdb_list_reduce,
    "polars": polars_cummax,
    "funnelkit_fast": funnelkit_fast,
    "funnelkit_portable": funnelkit_portable,
}
