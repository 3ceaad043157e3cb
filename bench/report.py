"""Benchmark: the whole report, end to end, against the targets of issue 10.

Run: ``.venv/bin/python bench/report.py [--only demo|big|check] [--rounds 3] [--users N]``
(``--only`` is repeatable; ``--jobs N`` is passed to ``funnelkit run``.)

Measures, in one run, each command in its own fresh process, wall time and the peak of the summed
RSS of the whole process tree (the command and every child: kernels, nbconvert …; sampled every
0.1 s with psutil, or from ``/proc`` where psutil is missing):

- ``demo``: ``funnelkit run --output-dir TMP`` on the bundled demo client, once with
  ``FUNNELKIT_CACHE_DIR`` pointed at a fresh folder ("cold") and once more with the same folder
  ("warm"), against the hand chain: for each notebook of ``notebooks/`` in name order, serially,
  ``papermill NB OUT -p client_dir examples/demo_client`` then
  ``jupyter nbconvert --to html --no-input OUT``. ``--rounds`` rounds; in each round the two
  (funnelkit cold + warm, hand chain) run in an order shuffled by a seeded RNG. Medians.
- ``big``: a ~10M-event client (``funnelkit.demo.generate_demo_data(..., n_users=--users)`` plus
  the demo ``client.yaml`` renamed "Big Shop"), kept under ``bench/data/big_client_<users>/`` so
  reruns reuse it: one ``funnelkit run`` on a fresh cache folder, then a rerun on the same one.
- ``check``: ``funnelkit check CLIENT_DIR`` on that client (a fresh cache folder each time)
  against a bare DuckDB scan of the same files in a fresh interpreter (per file
  ``SELECT count(*), count(COLUMNS(*)) FROM read_parquet/read_csv(...)`` with DuckDB's statistics
  optimizer off, so that every column is read instead of answered from Parquet metadata),
  ``--rounds`` rounds in a shuffled order. If ``funnelkit check`` does not exist yet, the row says
  "not available" and the rest is still measured.

Which code runs: the working tree as installed (editable), or with ``--at REF`` the files of
commit REF, exported once with ``git archive`` to ``bench/data/tree-<commit>/`` and put first on
``PYTHONPATH`` of every process (the CLI, papermill's kernels, the hand chain, which then also
uses that tree's ``notebooks/`` and ``examples/demo_client``). Use ``--at HEAD`` while colleagues
have uncommitted edits in ``funnelkit/``.

The machine may be shared: before each measurement the script waits (at most ``--quiet-wait``
seconds) until other processes use less than a quarter of a core, records how many cores other
processes used on average during the measurement (system busy time from ``/proc/stat`` minus this
process tree's own CPU time), and measures again (at most ``--retries`` times, keeping the
quietest try) when that was more than ``--max-others`` cores.

Prints a Markdown table (what, median s, ratio, peak MiB, target, met?) with the machine's facts
and the runner's per-notebook seconds, and writes it to ``bench/data/report_results.md`` (and the
raw numbers to ``bench/data/report_results.json``).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import json
import os
import platform
import random
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DATA = HERE / "data"
BIN = Path(sys.prefix) / "bin"
FUNNELKIT, PAPERMILL, JUPYTER = BIN / "funnelkit", BIN / "papermill", BIN / "jupyter"
DEMO_DIR = REPO / "examples" / "demo_client"
NOTEBOOKS = REPO / "notebooks"
BIG_USERS = 1_200_000
#: A folder another session may already have generated with exactly the big client's data.
READY_BIG = Path("/tmp/big/data")
CACHE_ENV = "FUNNELKIT_CACHE_DIR"
SEED = 20261203
TIMEOUT_S = 3600
SAMPLE_S = 0.1
MIB = 1024 * 1024
QUIET_CORES = 0.25
#: set by main: seconds to wait for a quiet machine, extra environment (``--at``)
SETTINGS: dict = {"quiet_wait": 0.0, "max_others": 0.5, "retries": 0, "env": {}}

# targets of issue 10
DEMO_TARGET = 0.25  # funnelkit / hand chain
BIG_TARGET_S = 60.0
BIG_TARGET_MIB = 2048.0  # "2 GB", read as 2 GiB
CHECK_TARGET = 1.5  # funnelkit check / bare scan

SCAN = """
import sys
import duckdb
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")
# without this, count(column) of a Parquet file is answered from its metadata, reading nothing
con.execute("SET disabled_optimizers = 'statistics_propagation'")
for path in sys.argv[1:]:
    reader = "read_parquet" if path.lower().endswith(".parquet") else "read_csv"
    quoted = path.replace("'", "''")
    con.sql(f"SELECT count(*), count(COLUMNS(*)) FROM {reader}('{quoted}')").fetchall()
"""

GENERATE = """
import sys
from funnelkit.demo import generate_demo_data
generate_demo_data(sys.argv[1], n_users=int(sys.argv[2]))
"""

NOTEBOOKS_TITLE = "Per-notebook seconds (medians; funnelkit's as its runner prints them):"
NOTEBOOK_LINE = re.compile(r"^\s*(\w+)\s+(\d\d\w*)\s+([0-9.]+) s\b", flags=re.MULTILINE)


# --- process-tree memory ---------------------------------------------------------------------


def _tree_rss_psutil(pid: int) -> int:
    import psutil

    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            total += proc.memory_info().rss
    return total


def _tree_rss_proc(pid: int) -> int:
    """The same from ``/proc``: parent links from ``stat``, resident pages from ``statm``."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry.name}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    page, total, todo = os.sysconf("SC_PAGE_SIZE"), 0, [pid]
    while todo:
        current = todo.pop()
        with contextlib.suppress(OSError, IndexError, ValueError):
            total += int(Path(f"/proc/{current}/statm").read_text().split()[1]) * page
        todo.extend(children.get(current, []))
    return total


try:
    import psutil  # noqa: F401  (a Jupyter dependency, not funnelkit's)

    tree_rss, RSS_SOURCE = _tree_rss_psutil, "psutil"
except ImportError:
    tree_rss, RSS_SOURCE = _tree_rss_proc, "/proc"


class TreePeak:
    """Peak of the summed RSS of a process and all its descendants, sampled in a thread."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak = pid, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_rss(self.pid))
            self._stop.wait(SAMPLE_S)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak / MIB


# --- one timed command -----------------------------------------------------------------------


@dataclass
class Run:
    seconds: float
    peak_mib: float
    rc: int
    stdout: str = ""
    stderr: str = ""
    notebooks: dict[str, float] = field(default_factory=dict)
    others_cores: float | None = None
    cpu_s: float | None = None
    waited_s: float = 0.0
    attempt: int = 1

    def problem(self) -> str:
        """Empty if the command succeeded, else what went wrong in one line."""
        if self.rc == 0:
            return ""
        lines = [ln for ln in (self.stderr + "\n" + self.stdout).splitlines() if ln.strip()]
        failed = [ln for ln in lines if ln.startswith(("FAILED", "Error"))]
        last = (failed or lines or ["(no output)"])[0].strip()
        return f"exit {self.rc}: {last[:200]}"


def cpu_now() -> tuple[float, float] | None:
    """Busy CPU seconds of the whole machine, and of this process with its waited-for children."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            ticks = [int(x) for x in stat.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    busy = (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")  # minus idle, iowait
    own = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        own += usage.ru_utime + usage.ru_stime
    return busy, own


def own_cpu(before, after) -> float | None:
    """CPU seconds of this process tree between two :func:`cpu_now`."""
    return None if before is None or after is None else after[1] - before[1]


def others_cores(before, after, seconds: float) -> float | None:
    """Cores used on average by processes other than ours between two :func:`cpu_now`."""
    if before is None or after is None or seconds <= 0:
        return None
    return max(0.0, (after[0] - before[0]) - (after[1] - before[1])) / seconds


def wait_quiet() -> float:
    """Wait until other processes use < QUIET_CORES (over 3 s), at most the quiet wait."""
    start = time.perf_counter()
    while True:
        before = cpu_now()
        time.sleep(3)
        busy = others_cores(before, cpu_now(), 3)
        waited = time.perf_counter() - start
        if busy is None or busy < QUIET_CORES or waited >= SETTINGS["quiet_wait"]:
            return waited


def timed(cmd: list[str | Path], *, cwd: Path, env: dict[str, str] | None = None) -> Run:
    """Run ``cmd`` to the end in its own session; wall seconds and peak tree RSS."""
    cpu0, start = cpu_now(), time.perf_counter()
    proc = subprocess.Popen(
        [str(c) for c in cmd],
        cwd=cwd,
        env=os.environ | SETTINGS["env"] | (env or {}),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    sampler = TreePeak(proc.pid)
    try:
        out, err = proc.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # our own process group only
        out, err = proc.communicate()
        err += f"\nError: killed after {TIMEOUT_S} s"
    seconds = time.perf_counter() - start
    run = Run(seconds, sampler.stop(), proc.returncode, out, err)
    cpu1 = cpu_now()
    run.others_cores, run.cpu_s = others_cores(cpu0, cpu1, seconds), own_cpu(cpu0, cpu1)
    run.notebooks = {m[2]: float(m[3]) for m in NOTEBOOK_LINE.finditer(out)}
    return run


@contextlib.contextmanager
def scratch(prefix: str):
    path = Path(tempfile.mkdtemp(prefix=f"funnelkit-bench-{prefix}-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


# --- what is measured ------------------------------------------------------------------------


def settled(measure, *args):
    """Wait for a quiet machine, then measure; measure again (up to ``--retries`` times) when
    other processes used more than ``--max-others`` cores meanwhile, keeping the quietest try.

    ``measure`` returns one :class:`Run` or a tuple of them (cold and warm go together).
    """
    best, best_busy = None, float("inf")
    for attempt in range(SETTINGS["retries"] + 1):
        waited = wait_quiet()
        result = measure(*args)
        runs = result if isinstance(result, tuple) else (result,)
        for run in runs:
            run.waited_s, run.attempt = waited, attempt + 1
        busy = max((r.others_cores or 0.0) for r in runs)
        if busy < best_busy:
            best, best_busy = result, busy
        if busy <= SETTINGS["max_others"] or attempt == SETTINGS["retries"]:
            break
        print(f"  (others used {busy:.2f} cores meanwhile: measuring again)", flush=True)
    return best


def funnelkit_run(client: Path | None, cache: Path, jobs: list[str]) -> Run:
    with scratch("out") as out:
        where = [str(client)] if client else []
        cmd = [FUNNELKIT, "run", *where, "--output-dir", out, *jobs]
        return timed(cmd, cwd=out, env={CACHE_ENV: str(cache)})


def funnelkit_cold_warm(client: Path | None, jobs: list[str]) -> tuple[Run, Run]:
    with scratch("cache") as cache:
        return funnelkit_run(client, cache, jobs), funnelkit_run(client, cache, jobs)


def hand_chain() -> Run:
    """papermill + nbconvert per notebook, serially; the chain's wall time and highest peak."""
    notebooks, peak, problems = {}, 0.0, []
    with scratch("hand") as work:
        cpu0, start = cpu_now(), time.perf_counter()
        for nb in sorted(NOTEBOOKS.glob("*.ipynb")):
            out = work / nb.name
            executed = timed([PAPERMILL, nb, out, "-p", "client_dir", DEMO_DIR], cwd=work)
            rendered = timed([JUPYTER, "nbconvert", "--to", "html", "--no-input", out], cwd=work)
            notebooks[f"{nb.stem} papermill"] = executed.seconds
            notebooks[f"{nb.stem} nbconvert"] = rendered.seconds
            peak = max(peak, executed.peak_mib, rendered.peak_mib)
            problems += [f"{nb.stem}: {r.problem()}" for r in (executed, rendered) if r.rc]
        seconds = time.perf_counter() - start
    run = Run(seconds, peak, 1 if problems else 0, stderr="\n".join(problems), notebooks=notebooks)
    cpu1 = cpu_now()
    run.others_cores, run.cpu_s = others_cores(cpu0, cpu1, seconds), own_cpu(cpu0, cpu1)
    return run


def check_available() -> bool:
    done = subprocess.run(
        [FUNNELKIT, "check", "--help"],
        capture_output=True,
        text=True,
        env=os.environ | SETTINGS["env"],
    )
    return done.returncode == 0


def funnelkit_check(client: Path) -> Run:
    with scratch("cache") as cache:
        return timed([FUNNELKIT, "check", client], cwd=cache, env={CACHE_ENV: str(cache)})


def bare_scan(files: list[Path]) -> Run:
    with scratch("scan") as work:
        return timed([sys.executable, "-c", SCAN, *files], cwd=work)


# --- which code ------------------------------------------------------------------------------


def use_commit(ref: str) -> str:
    """Export commit ``ref`` to ``bench/data/tree-<commit>/`` and make every process run it."""
    global DEMO_DIR, NOTEBOOKS
    git = ["git", "-C", str(REPO)]
    sha = subprocess.run(
        [*git, "rev-parse", "--verify", f"{ref}^{{commit}}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    tree = DATA / f"tree-{sha[:12]}"
    if not (tree / "funnelkit" / "__init__.py").is_file():
        tmp = DATA / f".tree-{sha[:12]}.tmp-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        archive = subprocess.run(
            [*git, "archive", "--format=tar", sha], capture_output=True, check=True
        ).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(tmp, filter="data")
        os.rename(tmp, tree)
    sys.path.insert(0, str(tree))  # before this process imports funnelkit
    pythonpath = [str(tree), *filter(None, [os.environ.get("PYTHONPATH")])]
    SETTINGS["env"] = {"PYTHONPATH": os.pathsep.join(pythonpath)}
    DEMO_DIR, NOTEBOOKS = tree / "examples" / "demo_client", tree / "notebooks"
    return sha[:12]


# --- the big client --------------------------------------------------------------------------


def _complete(data: Path, n_users: int) -> bool:
    """Whether ``data`` holds a finished generator run of this version, seed and size."""
    import duckdb

    from funnelkit.demo import DEMO_SEED, GENERATOR_VERSION, TRUTH_FILE

    try:
        truth = json.loads((data / TRUTH_FILE).read_text(encoding="utf-8"))
        files = truth["files"]
        if (truth["generator_version"], truth["seed"], truth["n_users"]) != (
            GENERATOR_VERSION,
            DEMO_SEED,
            n_users,
        ):
            return False
        con = duckdb.connect()
        for entry in files.values():
            path = data / entry["file"]
            reader = "read_parquet" if path.suffix == ".parquet" else "read_csv"
            quoted = str(path).replace("'", "''")
            ((rows,),) = con.sql(f"SELECT count(*) FROM {reader}('{quoted}')").fetchall()
            if rows != entry["rows"]:
                return False
    except (OSError, ValueError, KeyError, TypeError, duckdb.Error):
        return False
    return True


def big_client(n_users: int) -> tuple[Path, str]:
    """``bench/data/big_client_<n_users>/``, made (or reused, or copied) once; and how."""
    folder = DATA / f"big_client_{n_users}"
    data = folder / "data"
    how = "reused from bench/data"
    if not _complete(data, n_users):
        shutil.rmtree(data, ignore_errors=True)  # an unfinished run of this script
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".data.tmp-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        start = time.perf_counter()
        if _complete(READY_BIG, n_users):
            shutil.copytree(READY_BIG, tmp)
            how = f"copied from {READY_BIG} (complete: truth.json and every file's rows)"
        else:
            print(f"generating {n_users:,} users into {data} …", flush=True)
            subprocess.run(
                [sys.executable, "-c", GENERATE, tmp, str(n_users)],
                check=True,
                env=os.environ | SETTINGS["env"],
            )
            how = "generated"
        os.rename(tmp, data)
        how += f" in {time.perf_counter() - start:.0f} s"
    config = folder / "client.yaml"
    text = (DEMO_DIR / "client.yaml").read_text(encoding="utf-8")
    text = re.sub(r"^client:.*$", "client: Big Shop", text, count=1, flags=re.MULTILINE)
    if not config.is_file() or config.read_text(encoding="utf-8") != text:
        config.write_text(text, encoding="utf-8")
    return folder, how


def data_files(client: Path) -> list[Path]:
    import yaml

    config = yaml.safe_load((client / "client.yaml").read_text(encoding="utf-8"))
    files = [(client / entry["path"]).resolve() for entry in config["data"].values()]
    return [f for f in files if f.suffix.lower() in {".parquet", ".csv", ".tsv", ".txt"}]


def events_in(client: Path) -> int:
    truth = json.loads((client / "data" / "truth.json").read_text(encoding="utf-8"))
    return truth["files"]["events"]["rows"]


# --- facts and table -------------------------------------------------------------------------


def machine_facts(at: str | None) -> dict:
    from importlib.metadata import PackageNotFoundError, version

    facts = {
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "cores": os.cpu_count(),
        "cores_usable": len(os.sched_getaffinity(0)),
        "python": platform.python_version(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "rss_source": RSS_SOURCE,
    }
    with contextlib.suppress(OSError):
        cpuinfo = Path("/proc/cpuinfo").read_text()
        model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, flags=re.MULTILINE)
        facts["cpu"] = model[1] if model else platform.processor()
        mem = re.search(r"^MemTotal:\s*(\d+) kB", Path("/proc/meminfo").read_text(), re.M)
        facts["memory_gib"] = round(int(mem[1]) / 1024 / 1024, 1) if mem else None
    for pkg in ("funnelkit", "duckdb", "pandas", "papermill", "nbconvert", "nbclient"):
        try:
            facts[pkg] = version(pkg)
        except PackageNotFoundError:
            facts[pkg] = None
    git = ["git", "-C", str(REPO)]
    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        facts["checkout_head"] = subprocess.run(
            [*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        changed = subprocess.run(
            [*git, "status", "--porcelain", "--", "funnelkit", "notebooks"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split("\n")
        changed = [ln[3:] for ln in changed if ln.strip()]
        facts["code"] = (
            f"commit {at} (git archive in bench/data/tree-{at}/, first on PYTHONPATH)"
            if at
            else f"working tree at {facts['checkout_head']}, uncommitted in funnelkit/ and "
            "notebooks/: " + (", ".join(changed) or "none")
        )
    return facts


def median(runs: list[Run]) -> float:
    return statistics.median(r.seconds for r in runs)


def peak(runs: list[Run]) -> float:
    return max(r.peak_mib for r in runs)


def fmt_s(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds:,.1f}" if seconds >= 10 else f"{seconds:.2f}"


def row(what, seconds=None, ratio="—", peak_mib=None, target="—", met="", runs=()) -> dict:
    busy = [r.others_cores for r in runs if r.others_cores is not None]
    return {
        "what": what,
        "median_s": seconds,
        "ratio": ratio,
        "peak_mib": peak_mib,
        "target": target,
        "met": met,
        "others_cores_max": max(busy) if busy else None,
    }


def yes_no(ok: bool, runs: list[Run]) -> str:
    failed = [r.problem() for r in runs if r.rc]
    return ("yes" if ok else "no") + (f" (but a run failed: {failed[0]})" if failed else "")


def markdown(rows: list[dict]) -> str:
    lines = [
        "| what | median s | ratio | peak MiB | target | met? | others' cores |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        peak_mib = "—" if r["peak_mib"] is None else f"{r['peak_mib']:,.0f}"
        busy = "—" if r["others_cores_max"] is None else f"≤ {r['others_cores_max']:.2f}"
        lines.append(
            f"| {r['what']} | {fmt_s(r['median_s'])} | {r['ratio']} | {peak_mib} | "
            f"{r['target']} | {r['met']} | {busy} |"
        )
    return "\n".join(lines)


def notebook_table(columns: dict[str, tuple[list[Run], str]]) -> str:
    """Median seconds per notebook of each kind of run (``suffix`` picks hand-chain steps)."""
    columns = {k: v for k, v in columns.items() if v[0]}
    names = sorted(
        {n.split()[0] for runs, _ in columns.values() for r in runs for n in r.notebooks}
    )
    if not names:
        return ""
    lines = [
        "| notebook | " + " | ".join(columns) + " |",
        "| --- |" + " --- |" * len(columns),
    ]
    for name in [*names, "total"]:
        cells = []
        for runs, suffix in columns.values():
            if name == "total":
                values = [
                    sum(v for k, v in r.notebooks.items() if k.endswith(suffix)) for r in runs
                ]
            else:
                key = f"{name}{suffix}"
                values = [r.notebooks[key] for r in runs if key in r.notebooks]
            cells.append(fmt_s(statistics.median(values)) if values else "")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


# --- main ------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--only",
        action="append",
        choices=["demo", "big", "check"],
        help="measure only this part (repeatable); default: all three",
    )
    parser.add_argument("--rounds", type=int, default=3, help="rounds of demo and of check")
    parser.add_argument("--users", type=int, default=BIG_USERS, help="users of the big client")
    parser.add_argument("--jobs", type=int, help="passed to `funnelkit run --jobs` if given")
    parser.add_argument(
        "--at", metavar="REF", help="run the code of this commit (git archive), not the tree"
    )
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=300,
        metavar="S",
        help="before each measurement, wait at most S s for other processes to go quiet",
    )
    parser.add_argument(
        "--max-others",
        type=float,
        default=0.5,
        metavar="CORES",
        help="measure again when other processes used more cores than this meanwhile",
    )
    parser.add_argument("--retries", type=int, default=1, help="at most this many re-measures")
    args = parser.parse_args()
    parts = args.only or ["demo", "big", "check"]
    rng = random.Random(SEED)
    SETTINGS["quiet_wait"] = args.quiet_wait
    SETTINGS["max_others"], SETTINGS["retries"] = args.max_others, args.retries
    at = use_commit(args.at) if args.at else None
    facts = machine_facts(at)
    notes: list[str] = []
    rows: list[dict] = []
    raw: dict[str, list[dict]] = {}

    jobs: list[str] = []
    if args.jobs is not None:
        help_text = subprocess.run(
            [FUNNELKIT, "run", "--help"],
            capture_output=True,
            text=True,
            env=os.environ | SETTINGS["env"],
        )
        if "--jobs" in help_text.stdout:
            jobs = ["--jobs", str(args.jobs)]
        else:
            notes.append(f"`--jobs {args.jobs}` not passed: this `funnelkit run` has no --jobs.")
    facts["funnelkit_run_flags"] = " ".join(jobs) or "(none)"

    def log(kind: str, i: int, run: Run) -> None:
        raw.setdefault(kind, []).append(
            {"round": i, "seconds": run.seconds, "peak_mib": run.peak_mib, "rc": run.rc}
            | {"others_cores": run.others_cores, "waited_s": run.waited_s}
            | {"attempt": run.attempt, "cpu_s": run.cpu_s}
            | {"notebooks": run.notebooks, "problem": run.problem()}
        )
        extra = f"  {run.problem()}" if run.rc else ""
        others = "?" if run.others_cores is None else f"{run.others_cores:.2f}"
        cpu = "?" if run.cpu_s is None else f"{run.cpu_s:.0f}"
        print(
            f"  {kind:<22} {run.seconds:8.1f} s {run.peak_mib:7.0f} MiB  CPU {cpu} s   others "
            f"used {others} cores (waited {run.waited_s:.0f} s, try {run.attempt}){extra}",
            flush=True,
        )

    demo: dict[str, list[Run]] = {"hand": [], "cold": [], "warm": []}
    if "demo" in parts:
        from funnelkit.demo import ensure_demo_data

        ensure_demo_data(DEMO_DIR / "data")
        for i in range(1, args.rounds + 1):
            order = ["funnelkit", "hand"]
            rng.shuffle(order)
            print(f"demo round {i}/{args.rounds}: {' then '.join(order)}", flush=True)
            for kind in order:
                if kind == "hand":
                    demo["hand"].append(settled(hand_chain))
                    log("demo hand chain", i, demo["hand"][-1])
                else:
                    cold, warm = settled(funnelkit_cold_warm, None, jobs)
                    demo["cold"].append(cold)
                    demo["warm"].append(warm)
                    log("demo funnelkit cold", i, cold)
                    log("demo funnelkit warm", i, warm)
        hand = median(demo["hand"])
        cold, warm = median(demo["cold"]), median(demo["warm"])
        rows += [
            row(
                f"Demo: hand chain (papermill + nbconvert, {len(list(NOTEBOOKS.glob('*.ipynb')))}"
                " notebooks, serial)",
                hand,
                "1.00",
                peak(demo["hand"]),
                met=yes_no(True, demo["hand"]).replace("yes", "baseline", 1),
                runs=demo["hand"],
            ),
            row(
                "Demo: `funnelkit run`, cold cache",
                cold,
                f"{cold / hand:.2f}× hand",
                peak(demo["cold"]),
                f"≤ {DEMO_TARGET}× hand",
                yes_no(cold / hand <= DEMO_TARGET, demo["cold"]),
                demo["cold"],
            ),
            row(
                "Demo: `funnelkit run` again, warm cache",
                warm,
                f"{warm / hand:.2f}× hand",
                peak(demo["warm"]),
                "— (the target is on cold)",
                yes_no(True, demo["warm"]).replace("yes", "", 1).strip(),
                demo["warm"],
            ),
        ]
        per_round = [c.seconds / h.seconds for c, h in zip(demo["cold"], demo["hand"], strict=True)]
        notes.append(
            "Demo, funnelkit cold / hand chain per round: "
            + ", ".join(f"{r:.2f}" for r in per_round)
            + f" (median {statistics.median(per_round):.2f})."
        )

    big: dict[str, list[Run]] = {"cold": [], "warm": []}
    client = None
    if "big" in parts or "check" in parts:
        client, how = big_client(args.users)
        events = events_in(client)
        label = f"{events / 1e6:.1f}M events ({args.users:,} users)"
        files = data_files(client)
        size = sum(f.stat().st_size for f in files) / MIB
        facts["big_client"] = {"path": str(client.relative_to(REPO)), "events": events}
        notes.append(
            f"Big client: {client.relative_to(REPO)}, {events:,} events, {len(files)} data files "
            f"({size:,.0f} MiB), {how}."
        )

    if "big" in parts:
        print(f"big client ({label}): cold then warm", flush=True)
        cold_run, warm_run = settled(funnelkit_cold_warm, client, jobs)
        big["cold"].append(cold_run)
        big["warm"].append(warm_run)
        log("big funnelkit cold", 1, cold_run)
        log("big funnelkit warm", 1, warm_run)
        saved = cold_run.seconds - warm_run.seconds
        rows += [
            row(
                f"{label}: `funnelkit run`, cold cache",
                cold_run.seconds,
                "—",
                cold_run.peak_mib,
                f"≤ {BIG_TARGET_S:.0f} s",
                yes_no(cold_run.seconds <= BIG_TARGET_S, [cold_run]),
                [cold_run],
            ),
            row(
                f"{label}: peak memory of that run (summed RSS, every process)",
                None,
                "—",
                cold_run.peak_mib,
                f"≤ 2 GB ({BIG_TARGET_MIB:,.0f} MiB)",
                yes_no(cold_run.peak_mib <= BIG_TARGET_MIB, [cold_run]),
                [cold_run],
            ),
            row(
                f"{label}: rerun, unchanged inputs (warm cache)",
                warm_run.seconds,
                f"{warm_run.seconds / cold_run.seconds:.2f}× cold",
                warm_run.peak_mib,
                "state the saving",
                (
                    f"saves {saved:,.1f} s ({saved / cold_run.seconds:.0%})"
                    if saved > 0
                    else f"saves nothing ({saved:+,.1f} s)"
                )
                + (f" (but: {warm_run.problem()})" if warm_run.rc else ""),
                [warm_run],
            ),
        ]

    check: dict[str, list[Run]] = {"scan": [], "check": []}
    if "check" in parts:
        available = check_available()
        for i in range(1, args.rounds + 1):
            order = ["check", "scan"] if available else ["scan"]
            rng.shuffle(order)
            print(f"check round {i}/{args.rounds}: {' then '.join(order)}", flush=True)
            for kind in order:
                run = (
                    settled(funnelkit_check, client)
                    if kind == "check"
                    else settled(bare_scan, files)
                )
                check[kind].append(run)
                log(f"big {kind}", i, run)
        scan = median(check["scan"])
        rows.append(
            row(
                f"{label}: bare DuckDB scan of its {len(files)} files (every column)",
                scan,
                "1.00",
                peak(check["scan"]),
                met=yes_no(True, check["scan"]).replace("yes", "baseline", 1),
                runs=check["scan"],
            )
        )
        if available:
            checked = median(check["check"])
            bad = [r for r in check["check"] if r.rc == 2]
            rows.append(
                row(
                    f"{label}: `funnelkit check`",
                    checked,
                    f"{checked / scan:.2f}× scan",
                    peak(check["check"]),
                    f"≤ {CHECK_TARGET}× scan",
                    f"bad input?! ({bad[0].problem()})"
                    if bad
                    else yes_no(checked / scan <= CHECK_TARGET, check["check"]),
                    check["check"],
                )
            )
        else:
            rows.append(
                row(
                    f"{label}: `funnelkit check`",
                    None,
                    "not available",
                    None,
                    f"≤ {CHECK_TARGET}× scan",
                    "not available (no `funnelkit check` command yet)",
                )
            )

    facts["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]

    def series(key: str, fmt: str) -> str:
        return "; ".join(
            f"{kind} " + "/".join("?" if r[key] is None else format(r[key], fmt) for r in runs)
            for kind, runs in raw.items()
        )

    notes.append(
        "Cores used by other processes during each measurement (in run order; "
        f"{QUIET_CORES} or more means the machine was shared): {series('others_cores', '.2f')}."
    )
    notes.append(
        "CPU seconds used by the measured process tree itself (user + system, in run order; "
        f"less sensitive to a shared machine than wall time): {series('cpu_s', '.0f')}."
    )
    per_notebook = notebook_table(
        {
            "demo: papermill": (demo["hand"], " papermill"),
            "demo: nbconvert": (demo["hand"], " nbconvert"),
            "demo: funnelkit cold": (demo["cold"], ""),
            "demo: funnelkit warm": (demo["warm"], ""),
            "big: funnelkit cold": (big["cold"], ""),
            "big: funnelkit warm": (big["warm"], ""),
        }
    )
    text = "\n\n".join(
        [
            f"# bench/report.py — {facts['date']}",
            "Machine: "
            + ", ".join(
                f"{k} {v}" for k, v in facts.items() if k not in {"date", "code", "big_client"}
            )
            + f".\n\nCode: {facts.get('code', '?')}.",
            f"Parts: {', '.join(parts)}; rounds {args.rounds} (demo, check; big: one cold, "
            "one warm). Each time is the wall time of a fresh process; peak MiB is the highest "
            f"sampled sum of RSS over the process and all its children (every {SAMPLE_S} s).",
            markdown(rows),
            *([NOTEBOOKS_TITLE, per_notebook] if per_notebook else []),
            *(["Notes:\n\n" + "\n".join(f"- {n}" for n in notes)] if notes else []),
        ]
    )
    print("\n" + text, flush=True)
    DATA.mkdir(exist_ok=True)
    (DATA / "report_results.md").write_text(text + "\n", encoding="utf-8")
    (DATA / "report_results.json").write_text(
        json.dumps({"facts": facts, "rows": rows, "runs": raw, "notes": notes}, indent=2) + "\n",
        encoding="utf-8",
    )
    print(f"\nwritten {DATA / 'report_results.md'} and report_results.json")


if __name__ == "__main__":
    main()
