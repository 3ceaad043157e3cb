"""Benchmark: funnelkit's funnel engine against hand-written funnel baselines.

Run: ``.venv/bin/python bench/funnel.py [--rows 10_000_000] [--repeat 5] [--big] [--only K ...]``

Writes a seeded synthetic events log (Parquet, zstd) under ``bench/data/`` once, then times, in
the same run, each in a fresh interpreter, median of ``--repeat`` rounds (each round measures
every kind once, in a seeded shuffled order, after ``--pause`` seconds of rest; retentioneering's
runs come after all rounds), with its peak RSS:

- ``scan``: DuckDB counting the step events and their distinct users (the floor);
- ``asof_chain``: the exact funnel (funnelkit's semantics) with four chained DuckDB ASOF joins;
- ``pandas_cummax``, ``duckdb_window``, ``polars``: the usual running-max approximation;
- ``duckdb_list_reduce``: per-user step lists folded with ``list_reduce`` (ordered, no window);
- ``retentioneering``: its funnel, in a separate virtualenv (``--retentioneering-python``), if
  there is one; otherwise skipped with the reason;
- ``funnelkit_fast``, ``funnelkit_portable``: ``funnel_paths(path, steps, by=("channel",),
  engine=...)`` then users per depth and channel.

Each measurement's per-step user counts by channel are checked: ``asof_chain`` and both funnelkit
engines must agree exactly (asserted); the others' differences are reported. ``--big`` adds one
run of ``funnelkit_fast`` on a 50M-event log. Semantics of each baseline: ``funnel_baselines.py``.
"median s" is the wall time of the fresh interpreter (start, imports, work); "in-process s" is
the work alone, after the imports.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
sys.path.insert(0, str(HERE))

from funnel_baselines import STEPS  # noqa: E402

OTHER_EVENTS = [
    "page_view",
    "scroll",
    "click",
    "search",
    "view_category",
    "add_to_wishlist",
    "remove_from_cart",
    "view_promo",
    "login",
    "signup",
    "share",
    "video_play",
    "review_read",
    "filter_apply",
    "sort_apply",
    "newsletter_signup",
    "chat_open",
    "faq_view",
    "coupon_apply",
    "compare_products",
    "store_locator",
    "notification_open",
    "app_open",
    "logout",
    "error_shown",
]
RET_VENV = DATA / "retentioneering-venv" / "bin" / "python"
CHANNELS = ["organic", "paid", "social", "email", "display", "affiliate"]
CHANNEL_SHARE = [0.30, 0.25, 0.15, 0.12, 0.10, 0.08]
# probability of going on from step k to k+1 within a session (landing→product→cart→checkout→buy)
GO_ON = [0.55, 0.40, 0.55, 0.60]


def make_data(rows: int, seed: int = 42) -> Path:
    """Seeded events log: ~13 events per user in sessions, 5 funnel steps among 30 event names.

    Per user 1 + Poisson(1.5) sessions, each with one channel (the user's usual channel 3 times
    in 4). Gaps between sessions: hours (60%), 1–6 days (25%) or 8–40 days (15%, beyond a 7-day
    window). A session enters the funnel at step 1 (first session 60%, later ones 40%), resumes at
    step 2–4 (later sessions, 20%) or not at all, and goes on step by step with ``GO_ON``. Each
    step event is repeated a few seconds or minutes later 15% of the time; 3% of step events that
    follow another step event in the session are put before it (out of order); timestamps are in
    whole seconds and 4% of gaps between steps are zero (ties). One step-1 event in 500 gets a
    step-2 event exactly 7 days later, or 7 days and 1 second later (the window's edge).
    Non-step events (25 names, Zipf shares) fill the sessions; the log is cut to exactly ``rows``
    events at random and written ordered by time.
    """
    import duckdb
    import numpy as np
    import pandas as pd

    DATA.mkdir(exist_ok=True)
    path = DATA / f"funnel_events_{rows}_s{seed}.parquet"
    if path.exists():
        return path
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    n_users = rows // 13
    n_sess = 1 + rng.poisson(1.5, n_users)
    user = np.repeat(np.arange(n_users, dtype=np.int64), n_sess)
    S = len(user)
    first = np.ones(S, bool)
    first[1:] = user[1:] != user[:-1]
    # session start times (seconds from 2026-08-01): first uniform in 90 days, then gaps
    kind = rng.random(S)
    gap = np.where(
        kind < 0.60,
        1800 + rng.exponential(8 * 3600, S),
        np.where(
            kind < 0.85, rng.uniform(86400, 6 * 86400, S), rng.uniform(8 * 86400, 40 * 86400, S)
        ),
    )
    gap[first] = rng.uniform(0, 90 * 86400, first.sum())
    start = np.cumsum(gap)
    user_first_idx = np.flatnonzero(first)
    start -= np.repeat(np.r_[0.0, start[user_first_idx[1:] - 1]], n_sess)
    start = start.astype(np.int64)
    # channel: the user's usual channel 75% of sessions
    usual = rng.choice(6, n_users, p=CHANNEL_SHARE)
    chan = np.where(
        rng.random(S) < 0.75, np.repeat(usual, n_sess), rng.choice(6, S, p=CHANNEL_SHARE)
    ).astype(np.int8)
    # funnel entry step s0 (0: none) and last step d
    u = rng.random(S)
    s0 = np.where(
        first,
        np.where(u < 0.60, 1, 0),
        np.where(u < 0.40, 1, np.where(u < 0.60, rng.choice([2, 3, 4], S, p=[0.5, 0.3, 0.2]), 0)),
    )
    d = s0.copy()
    go = rng.random((S, 4))
    for k in range(1, 5):  # from step k to k+1
        d = np.where((d == k) & (go[:, k - 1] < GO_ON[k - 1]), k + 1, d)
    n_step = np.where(s0 > 0, d - s0 + 1, 0)
    # step events: session index, step, time offset
    s_sess = np.repeat(np.arange(S), n_step)
    pos = np.arange(len(s_sess)) - np.repeat(np.cumsum(n_step) - n_step, n_step)
    s_step = (np.repeat(s0, n_step) + pos).astype(np.int8)
    step_gap = rng.exponential(90, len(s_sess)).astype(np.int64) + 1
    step_gap[rng.random(len(s_sess)) < 0.04] = 0  # ties
    step_gap[pos == 0] = rng.integers(0, 120, (pos == 0).sum())
    off = np.cumsum(step_gap)
    off -= np.repeat(
        off[np.cumsum(n_step)[n_step > 0] - n_step[n_step > 0]] - step_gap[pos == 0],
        n_step[n_step > 0],
    )
    s_time = start[s_sess] + off
    # out of order: 3% of the step events following another step in the session go before it
    ooo = np.flatnonzero((pos > 0) & (rng.random(len(s_sess)) < 0.03))
    s_time[ooo] = s_time[ooo - 1] - rng.integers(1, 60, len(ooo))
    # repeats: 15% of step events happen again 0–10 minutes later
    rep = np.flatnonzero(rng.random(len(s_sess)) < 0.15)
    s_sess = np.r_[s_sess, s_sess[rep]]
    s_step = np.r_[s_step, s_step[rep]]
    s_time = np.r_[s_time, s_time[rep] + rng.integers(0, 600, len(rep))]
    # session span (for non-step events): to the last step event, at least 5 minutes
    span = np.full(S, 300, np.int64)
    np.maximum.at(span, s_sess, s_time - start[s_sess] + 60)
    # the exact window boundary: for 1 in 500 step-1 events, a step-2 event exactly 7 days later
    # (counts, the window is inclusive) or 7 days and 1 second later (does not)
    edge = rng.choice(np.flatnonzero(s_step == 1), (s_step == 1).sum() // 500, replace=False)
    s_sess = np.r_[s_sess, s_sess[edge]]
    s_step = np.r_[s_step, np.full(len(edge), 2, np.int8)]
    s_time = np.r_[s_time, s_time[edge] + 7 * 86400 + (np.arange(len(edge)) % 2)]
    # non-step events: enough to reach ~rows events in total, then cut to exactly rows
    lam = max(rows * 1.03 - len(s_sess), 0) / S
    n_other = rng.poisson(lam, S)
    o_sess = np.repeat(np.arange(S), n_other)
    o_time = start[o_sess] + (rng.random(len(o_sess)) * span[o_sess]).astype(np.int64)
    zipf = 1 / np.arange(1, len(OTHER_EVENTS) + 1) ** 0.8
    o_event = len(STEPS) + rng.choice(len(OTHER_EVENTS), len(o_sess), p=zipf / zipf.sum())
    sess = np.r_[s_sess, o_sess]
    frame = pd.DataFrame(
        {
            "u": user[sess],
            "t": np.r_[s_time, o_time],
            "e": np.r_[s_step.astype(np.int16) - 1, o_event.astype(np.int16)],
            "c": chan[sess],
        }
    )
    if len(frame) > rows:
        frame = frame.iloc[np.sort(rng.choice(len(frame), rows, replace=False))]
    names = "[" + ", ".join(f"'{n}'" for n in STEPS + OTHER_EVENTS) + "]"
    channels = "[" + ", ".join(f"'{c}'" for c in CHANNELS) + "]"
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    con.register("frame", frame)
    tmp = path.with_suffix(".tmp")
    con.execute(f"""COPY (
        SELECT 'u' || lpad(CAST(u AS VARCHAR), 8, '0') AS user_id,
               TIMESTAMP '2026-08-01' + to_seconds(t) AS timestamp,
               {names}[e + 1] AS event, {channels}[c + 1] AS channel
        FROM frame ORDER BY t) TO '{tmp}' (FORMAT parquet, COMPRESSION zstd)""")
    tmp.rename(path)
    print(
        f"generated {path.name}: {len(frame):,} events, {n_users:,} users, "
        f"{time.perf_counter() - t0:.1f} s",
        flush=True,
    )
    return path


def describe(path: Path) -> dict:
    """A few facts about the log, for the README."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    q = f"read_parquet('{path}')"
    steps = ", ".join(f"'{s}'" for s in STEPS)
    n, users, step_ev, names, chans = con.sql(
        f"SELECT count(*), count(DISTINCT user_id), count(*) FILTER (WHERE event IN ({steps})), "
        f"count(DISTINCT event), count(DISTINCT channel) FROM {q}"
    ).fetchall()[0]
    shares = dict(
        con.sql(
            f"SELECT event, round(100 * count(*) / {n}, 2) FROM {q} "
            f"WHERE event IN ({steps}) GROUP BY ALL"
        ).fetchall()
    )
    ties = con.sql(
        f"SELECT count(*) FROM (SELECT user_id, timestamp FROM {q} WHERE event IN "
        f"({steps}) GROUP BY ALL HAVING count(*) > 1)"
    ).fetchall()[0][0]
    return {
        "events": n,
        "users": users,
        "step_events": step_ev,
        "event_names": names,
        "channels": chans,
        "step_share_pct": {s: shares.get(s) for s in STEPS},
        "tied_step_timestamps": ties,
    }


PEAK = """
def peak_mb():
    # VmHWM: this process image's peak RSS. (ru_maxrss would also count the parent's peak,
    # which a forked child inherits across exec on Linux.)
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
"""

CHILD = (
    PEAK
    + """
import json, sys, time
sys.path.insert(0, sys.argv[1])
import funnel_baselines as fb
fb.prepare(sys.argv[2])
start = time.perf_counter()
counts = fb.KINDS[sys.argv[2]](sys.argv[3])
work = time.perf_counter() - start
print(json.dumps({"work_s": work, "peak_mb": peak_mb(),
                  "counts": [[c, s, n] for (c, s), n in sorted(counts.items())]}))
"""
)

RETENTIONEERING_CHILD = (
    PEAK
    + """
import json, sys, time
import pandas as pd
from retentioneering.eventstream import Eventstream
start = time.perf_counter()
steps = sys.argv[2].split(",")
df = pd.read_parquet(sys.argv[3], columns=["user_id", "timestamp", "event"])
stream = Eventstream(df, schema={"path_cols": ["user_id"], "event_col": "event",
                                 "timestamp_col": "timestamp"})
values = {"unique_users": [s["unique_paths"] for s in stream.funnel_data(steps=steps)["steps"]]}
work = time.perf_counter() - start
print(json.dumps({"work_s": work, "peak_mb": peak_mb(),
                  "counts": [["*", i + 1, int(v)] for i, v in enumerate(values["unique_users"])]}))
"""
)


def measure(kind: str, path: Path, python: str = sys.executable) -> dict:
    """Run one measurement in a fresh interpreter: wall seconds, in-process seconds, peak RSS."""
    code = RETENTIONEERING_CHILD if kind == "retentioneering" else CHILD
    arg = ",".join(STEPS) if kind == "retentioneering" else kind
    env = dict(os.environ, PYTHONPATH=str(HERE.parent), RETENTIONEERING_NO_TRACK="1")
    load = os.getloadavg()[0]
    start = time.perf_counter()
    done = subprocess.run(
        [python, "-c", code, str(HERE), arg, str(path)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    wall = time.perf_counter() - start
    out = json.loads(done.stdout.strip().splitlines()[-1])
    out["wall_s"] = wall
    out["load_before"] = load  # 1-minute load average: other work on the 2 cores skews times
    out["counts"] = {(c, int(s)): int(n) for c, s, n in out["counts"]}
    return out


def totals(counts: dict) -> list[int]:
    """Per-step users over all channels."""
    return [sum(n for (c, s), n in counts.items() if s == k) for k in range(1, len(STEPS) + 1)]


def compare(counts: dict, exact: dict | None) -> str:
    if exact is None:
        return "no exact reference"
    if counts == exact:
        return "yes (exact, every step × channel)"
    got, ref = totals(counts), totals(exact)
    if any(c == "*" for c, _ in counts):  # no channel breakdown
        if got == ref:
            return "totals equal (no breakdown)"
    diff = ", ".join(
        f"s{k}: {g - r:+,} ({100 * (g - r) / r:+.1f}%)"
        for k, (g, r) in enumerate(zip(got, ref, strict=True), 1)
        if g != r
    )
    return f"no — totals differ: {diff}" if diff else "totals equal, channel split differs"


def retentioneering_status(python: str | None) -> tuple[str | None, str]:
    if not python:
        return None, (
            "skipped: not installed in the project venv (it would add ~40 packages, "
            "incl. mcp, gensim, scikit-learn, posthog); pass --retentioneering-python "
            "with a separate virtualenv holding retentioneering and pandas==3.1.1"
        )
    try:
        subprocess.run(
            [python, "-c", "import retentioneering"],
            check=True,
            capture_output=True,
            text=True,
            timeout=120,
        )
    except (subprocess.SubprocessError, OSError) as err:
        tail = getattr(err, "stderr", "") or str(err)
        return None, "skipped: import retentioneering failed: " + tail.strip().splitlines()[-1]
    return python, ""


def versions(python_ret: str | None) -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for pkg in ("duckdb", "pandas", "numpy", "pyarrow", "polars"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = None
    if python_ret:
        out["retentioneering"] = subprocess.run(
            [
                python_ret,
                "-c",
                "from importlib.metadata import version; print(version('retentioneering'))",
            ],
            capture_output=True,
            text=True,
        ).stdout.strip()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--big", action="store_true", help="also 50M events, funnelkit_fast once")
    parser.add_argument("--big-rows", type=int, default=50_000_000)
    parser.add_argument("--only", nargs="*", help="measure only these kinds (scan always runs)")
    parser.add_argument(
        "--pause", type=float, default=3.0, help="seconds of rest before each measurement"
    )
    parser.add_argument(
        "--retentioneering-python",
        default=os.environ.get("RETENTIONEERING_PY", str(RET_VENV) if RET_VENV.exists() else None),
        help="interpreter of a separate virtualenv with retentioneering",
    )
    args = parser.parse_args()

    path = make_data(args.rows)
    facts = describe(path)
    print(json.dumps(facts), flush=True)
    ret_python, ret_reason = retentioneering_status(args.retentioneering_python)
    kinds = [
        "scan",
        "asof_chain",
        "pandas_cummax",
        "duckdb_window",
        "duckdb_list_reduce",
        "polars",
        "retentioneering",
        "funnelkit_fast",
        "funnelkit_portable",
    ]
    if args.only:
        kinds = ["scan"] + [k for k in kinds if k in args.only and k != "scan"]
    results, exact, cummax, failures = [], None, None, []
    skips: dict[str, str] = {}
    for kind in kinds:
        if kind == "polars":
            try:
                import polars  # noqa: F401
            except ImportError as err:
                skips[kind] = f"skipped: polars not installed ({err})"
        if kind == "retentioneering" and not ret_python:
            skips[kind] = ret_reason
        if kind.startswith("funnelkit"):
            try:
                import funnelkit.funnel.engine  # noqa: F401
            except Exception as err:  # not there yet, or broken
                skips[kind] = f"skipped: funnelkit.funnel.engine does not import ({err})"
    # Round robin: every round measures each kind once, in a shuffled (seeded) order, after a
    # pause, so a slow minute on the shared machine touches all kinds alike instead of whichever
    # kind happened to run then. retentioneering (~20 s, 2 GB) runs after all the rounds: whatever
    # ran right after it paid for the memory being reclaimed (up to +60% in a trial run).
    runs: dict[str, list[dict]] = {k: [] for k in kinds}
    heavy = [k for k in kinds if k == "retentioneering"]
    light = [k for k in kinds if k not in heavy]
    order = []
    for round_no in range(1, args.repeat + 1):
        shuffled = light[:]
        random.Random(round_no).shuffle(shuffled)
        order += [(round_no, kind) for kind in shuffled]
    order += [(round_no, kind) for round_no in range(1, args.repeat + 1) for kind in heavy]
    for round_no, kind in order:
        if kind in skips:
            continue
        time.sleep(args.pause)
        try:
            r = measure(kind, path, ret_python if kind == "retentioneering" else sys.executable)
        except subprocess.CalledProcessError as err:
            skips[kind] = "failed: " + (err.stderr or "").strip().splitlines()[-1][:300]
            continue
        runs[kind].append(r)
        print(
            f"round {round_no}/{args.repeat} {kind:20} {r['wall_s']:6.2f} s "
            f"(in-process {r['work_s']:5.2f} s, load {r['load_before']:.2f})",
            flush=True,
        )
    for kind in kinds:
        row = {"kind": kind, "rows": args.rows}
        if kind in skips:
            row["note"] = skips[kind]
            print(f"{kind:20} {skips[kind]}", flush=True)
            results.append(row)
            continue
        done = runs[kind]
        counts = done[0]["counts"]
        assert all(r["counts"] == counts for r in done), f"{kind}: counts vary between runs"
        if kind == "asof_chain":
            exact = counts
        row.update(
            median_s=statistics.median(r["wall_s"] for r in done),
            work_s=statistics.median(r["work_s"] for r in done),
            peak_mb=max(r["peak_mb"] for r in done),
            runs=len(done),
            load_before=[round(r["load_before"], 2) for r in done],
            all_s=[round(r["wall_s"], 3) for r in done],
            all_work_s=[round(r["work_s"], 3) for r in done],
            step_users=totals(counts),
        )
        if kind != "scan":
            row["agree"] = compare(counts, exact)
        if kind in ("pandas_cummax", "duckdb_window", "polars"):
            cummax = cummax or counts
            if counts != cummax:
                failures.append(f"{kind} disagrees with the other cummax baselines")
        if kind.startswith("funnelkit") and exact is not None and counts != exact:
            failures.append(f"{kind} disagrees with asof_chain: {row['agree']}")
        row["counts"] = {f"{c}|{s}": n for (c, s), n in sorted(counts.items())}
        results.append(row)
        print(
            f"{kind:20} {row['median_s']:7.2f} s (in-process {row['work_s']:6.2f} s) "
            f"{row['peak_mb']:7.0f} MB  steps {row['step_users']}  {row.get('agree', '')}",
            flush=True,
        )
    if args.big:
        big = make_data(args.big_rows)
        row = {"kind": "funnelkit_fast", "rows": args.big_rows}
        try:
            r = measure("funnelkit_fast", big)
            row.update(
                median_s=r["wall_s"],
                work_s=r["work_s"],
                peak_mb=r["peak_mb"],
                runs=1,
                step_users=totals(r["counts"]),
                agree="not checked (no baseline run)",
            )
            print(
                f"{args.big_rows:,} events: funnelkit_fast {r['wall_s']:.2f} s "
                f"{r['peak_mb']:.0f} MB steps {row['step_users']}",
                flush=True,
            )
        except subprocess.CalledProcessError as err:
            row["note"] = "failed: " + (err.stderr or "").strip().splitlines()[-1][:300]
            print(row["note"], flush=True)
        results.append(row)

    meta = {
        "date": dt.date.today().isoformat(),
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
        "versions": versions(ret_python),
        "data": facts,
        "repeat": args.repeat,
    }
    (HERE / "results").mkdir(exist_ok=True)
    out = HERE / "results" / f"funnel_{args.rows}{'_only' if args.only else ''}.json"
    out.write_text(json.dumps({"meta": meta, "results": results}, indent=2))
    print(f"\nsaved {out}\n")
    print(table(results))
    # the check: same semantics, same counts (after the table, so a mismatch is still measured)
    assert not failures, "; ".join(failures)


def table(results: list[dict]) -> str:
    scan = next((r for r in results if r["kind"] == "scan" and "median_s" in r), None)
    lines = [
        "| events | what | median s | × scan | in-process s | × scan | peak MB | "
        "per-step users (1…5) | counts agree with the exact funnel? |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        if "median_s" not in r:
            lines.append(f"| {r['rows']:,} | {r['kind']} | — | — | — | — | — | — | {r['note']} |")
            continue
        same = scan is not None and r["rows"] == scan["rows"]
        ratio = f"{r['median_s'] / scan['median_s']:.1f}" if same else "—"
        work_ratio = f"{r['work_s'] / scan['work_s']:.1f}" if same else "—"
        steps = (
            " / ".join(f"{n:,}" for n in r["step_users"])
            if r["kind"] != "scan"
            else f"{r['step_users'][0]:,} users with a step event"
        )
        lines.append(
            f"| {r['rows']:,} | {r['kind']} | {r['median_s']:.2f} | {ratio} | "
            f"{r['work_s']:.2f} | {work_ratio} | {r['peak_mb']:,.0f} | {steps} | "
            f"{r.get('agree', '(floor)')} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
