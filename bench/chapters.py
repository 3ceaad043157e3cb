"""Profile each report chapter's own analysis time on one loaded client.

Run: ``.venv/bin/python bench/chapters.py [CLIENT_DIR] [--only 00 03] [--repeat 1] [--dump DIR]``

Loads the client once (``fk.load_client(CLIENT_DIR, emit_warnings=False)``; default
``/tmp/big``), then runs every notebook's cells after the load exactly as the notebooks in
``notebooks/`` make them, in order, timing each cell and each chapter. What a kernel would do is
done too: every ``display`` goes through an IPython shell's formatters (so tables are rendered to
HTML as in a report), every figure left open at the end of a cell is drawn to PNG on the Agg
backend like the inline backend does, and ``save_results`` / ``write_audience`` write into a
temporary report folder. The load itself is timed apart: in a report it happens once per run.

``--dump DIR`` writes each chapter's displayed HTML/Markdown and its results JSON into ``DIR``
(one file per chapter), to diff two versions of the kit on the same data.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from IPython.core.displaypub import CapturingDisplayPublisher
from IPython.core.interactiveshell import InteractiveShell

Cell = tuple[str, Callable[[dict[str, Any]], None]]


def _shell() -> InteractiveShell:
    """An IPython shell whose display output is captured instead of printed."""
    shell = InteractiveShell.instance()
    shell.display_pub = CapturingDisplayPublisher()
    return shell


def _flush_figures() -> int:
    """Render every open figure to PNG as the inline backend would, then close them."""
    numbers = plt.get_fignums()
    for number in numbers:
        plt.figure(number).savefig(io.BytesIO(), format="png", bbox_inches="tight")
    plt.close("all")
    return len(numbers)


# -- the notebooks' cells, after `client = fk.load_client(...)` -------------------------------


def _health_cells() -> list[Cell]:
    from IPython.display import Markdown, display

    from funnelkit import health
    from funnelkit.presentation import plots, results
    from funnelkit.presentation.display import show

    def summary(ns: dict) -> None:
        display(Markdown(health.summary_text(ns["client"])))

    def overview(ns: dict) -> None:
        show(health.table_overview(ns["client"]), hide=["id_column"], empty="-")

    def volume(ns: dict) -> None:
        client = ns["client"]
        frame = health.daily_volume(client)
        if len(frame):
            period = (client.config.period.start, client.config.period.end)
            plots.plot_daily_volume(frame, period=period)

    def missing(ns: dict) -> None:
        frame = health.missing_values(ns["client"])
        if len(frame):
            plots.plot_missing_values(frame)

    def duplicates(ns: dict) -> None:
        show(health.duplicate_rows(ns["client"]), empty="-")

    def counts(ns: dict) -> None:
        ns["counts"] = health.event_counts(ns["client"], top=20)
        show(ns["counts"], empty="-")

    def counts_plot(ns: dict) -> None:
        if len(ns["counts"]):
            plots.plot_event_counts(ns["counts"])

    def config_checks(ns: dict) -> None:
        show(health.config_checks(ns["client"]), empty="-")

    def issues(ns: dict) -> None:
        hide = ["file", "severity", "example_lines", "examples"]
        show(ns["client"].issues(), hide=hide, empty="-")

    def save(ns: dict) -> None:
        ns["results"] = results.save_results(health.health_results(ns["client"]), ns["path"])

    return [
        ("summary_text", summary),
        ("table_overview", overview),
        ("daily_volume+plot", volume),
        ("missing_values+plot", missing),
        ("duplicate_rows", duplicates),
        ("event_counts", counts),
        ("plot_event_counts", counts_plot),
        ("config_checks", config_checks),
        ("issues", issues),
        ("health_results", save),
    ]


def _metrics_cells() -> list[Cell]:
    from funnelkit.presentation import metrics, results

    def pick(ns: dict) -> None:
        ns["chapter"] = metrics.pick_metrics(ns["client"], attribution=None, gross_margin=0)

    def save(ns: dict) -> None:
        data = {"metrics": ns["chapter"].to_results()}
        ns["results"] = results.save_results(data, ns["path"])

    calls = [
        "show_settings",
        "show_supported",
        "show_missing",
        "show_key_metrics",
        "plot_changes",
        "show_changes",
        "show_channels",
        "plot_channels",
        "show_clv_curve",
    ]
    return [("pick_metrics", pick), *_method_cells(calls), ("to_results", save)]


def _stages_cells() -> list[Cell]:
    from funnelkit.presentation import results, stages

    def pick(ns: dict) -> None:
        ns["chapter"] = stages.map_stages(ns["client"])

    def coverage(ns: dict) -> None:
        ns["chapter"].plot_coverage(top=15)

    def save(ns: dict) -> None:
        data = {"stages": ns["chapter"].to_results()}
        ns["results"] = results.save_results(data, ns["path"])

    calls = ["show_coverage_text", "show_mapping"]
    after = ["show_unmapped", "show_volumes", "show_conversion", "show_compass"]
    return [
        ("map_stages", pick),
        *_method_cells(calls),
        ("plot_coverage", coverage),
        *_method_cells(after),
        ("to_results", save),
    ]


def _funnel_cells() -> list[Cell]:
    from funnelkit.presentation import funnel, results

    def report(ns: dict) -> None:
        options = {"steps": [], "segments": [], "min_segment_users": 0}
        ns["chapter"] = funnel.dropoff_report(ns["client"], conversion_window_days=0, **options)

    def bounce(ns: dict) -> None:
        ns["chapter"].show_bounce(top=10)

    def audience(ns: dict) -> None:
        ns["chapter"].write_audience(ns["path"], step="")

    def save(ns: dict) -> None:
        data = {"funnel": ns["chapter"].to_results()}
        ns["results"] = results.save_results(data, ns["path"])

    calls = [
        "show_funnel",
        "show_leak",
        "show_segments",
        "show_periods",
        "show_weekly",
        "show_time_to_convert",
    ]
    return [
        ("dropoff_report", report),
        *_method_cells(calls),
        ("show_bounce", bounce),
        *_method_cells(["show_next_events"]),
        ("write_audience", audience),
        ("to_results", save),
    ]


def _abtest_cells() -> list[Cell]:
    from IPython.display import Markdown, display

    from funnelkit import abtest
    from funnelkit.presentation import abtest as abtest_report, results
    from funnelkit.presentation.display import show

    def design(ns: dict) -> None:
        options = {"alpha": 0.05, "power": 0.8, "variants": 2}
        plan = abtest.sample_size_proportion(0.04, mde=0.10, relative=True, **options)
        duration = abtest.days_needed(plan["n_total"].iloc[0], daily_users=3000)
        reachable = abtest.mde_proportion(0.04, n_control=3000 * 28 // 2, **options)
        display(Markdown(abtest_report.design_text(plan, duration, reachable)))
        ns["design"] = {"plan": plan, "duration": duration, "reachable": reachable}

    def analyze(ns: dict) -> None:
        ns["found"] = abtest.analyze_all(ns["client"], bootstrap=2000)
        ns["overview"] = abtest.experiments_overview(ns["found"])
        show(abtest_report.overview_table(ns["overview"]), empty="-")

    def experiments(ns: dict) -> None:
        abtest_report.show_experiments(ns["found"], names=None)

    def save(ns: dict) -> None:
        ab = {name: result.to_results() for name, result in ns["found"].items()}
        data = {"design": ns["design"], "overview": ns["overview"], "experiments": ab}
        ns["results"] = results.save_results(data, ns["path"])

    return [
        ("design", design),
        ("analyze_all", analyze),
        ("show_experiments", experiments),
        ("to_results", save),
    ]


def _method_cells(names: list[str]) -> list[Cell]:
    return [(name, lambda ns, name=name: getattr(ns["chapter"], name)()) for name in names]


CHAPTERS: dict[str, Callable[[], list[Cell]]] = {
    "00_data_health": _health_cells,
    "01_pick_metrics": _metrics_cells,
    "02_map_stages": _stages_cells,
    "03_find_dropoff": _funnel_cells,
    "04_ab_test": _abtest_cells,
}


def run_chapter(
    name: str, client: Any, shell: InteractiveShell, folder: Path
) -> tuple[list[tuple[str, float, float]], dict]:
    """Run one chapter's cells on ``client``: (cell, wall s, CPU s) triples and its outputs."""
    from funnelkit.presentation import plots

    plots.use_report_style()
    ns: dict[str, Any] = {"client": client, "path": str(folder / f"{name}.results.json")}
    shell.display_pub.outputs.clear()
    timings = []
    for label, cell in CHAPTERS[name]():
        start, cpu = time.perf_counter(), time.process_time()
        cell(ns)
        _flush_figures()
        timings.append((label, time.perf_counter() - start, time.process_time() - cpu))
    shown = [  # pandas' Styler gives every table a random id: blank it so runs compare
        re.sub(r"T_[0-9a-f]{5}", "T_", data.get("text/html") or data.get("text/markdown") or "")
        for data in (output["data"] for output in shell.display_pub.outputs)
    ]
    return timings, {"shown": shown, "results": ns.get("results")}


def _warm_imports() -> None:
    """Import what the notebooks import first, so no chapter is charged for it."""
    import seaborn  # noqa: F401

    from funnelkit.presentation import plots  # noqa: F401
    from funnelkit.presentation.funnel import display  # noqa: F401
    from funnelkit.presentation.metrics import chapter  # noqa: F401


def _prepared(client: Any, path: Path) -> Any:
    """Copy the client's canonical tables into a DuckDB file once; open it read-only."""
    import duckdb

    if not path.exists():
        client.con.execute(f"ATTACH '{path}' AS prepared")
        for table in client.tables:
            client.con.execute(f"CREATE TABLE prepared.{table} AS SELECT * FROM {table}")
        client.con.execute("DETACH prepared")
    con = duckdb.connect(str(path), read_only=True)
    con.execute("SET enable_progress_bar = false")
    return con


def _profiler(folder: Path | None) -> Any:
    if folder is None:
        return None
    from pyinstrument import Profiler  # for profiling only; not a requirement of the kit

    folder.mkdir(parents=True, exist_ok=True)
    profiler = Profiler(interval=0.005)
    profiler.start()
    return profiler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("client", nargs="?", default="/tmp/big", help="client folder")
    parser.add_argument("--only", nargs="*", default=[], help="chapter name prefixes, e.g. 03")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each chapter (min shown)")
    parser.add_argument("--dump", type=Path, help="write each chapter's outputs into this folder")
    parser.add_argument(
        "--prepared",
        type=Path,
        help="copy the loaded tables into this DuckDB file (once) and read them from it, "
        "read-only, as a prepared run does",
    )
    parser.add_argument(
        "--profile", type=Path, help="write a pyinstrument profile per chapter here"
    )
    args = parser.parse_args(argv)

    import funnelkit as fk

    start = time.perf_counter()
    loaded = fk.load_client(args.client, emit_warnings=False)
    print(f"load_client {args.client}: {time.perf_counter() - start:.2f} s", flush=True)
    if args.prepared:
        start = time.perf_counter()
        _prepared(loaded, args.prepared).close()
        print(f"prepared {args.prepared}: {time.perf_counter() - start:.2f} s", flush=True)
    _warm_imports()
    shell = _shell()
    names = [n for n in CHAPTERS if not args.only or n.startswith(tuple(args.only))]
    totals = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            best: list[tuple[str, float, float]] | None = None
            for _ in range(args.repeat):
                # a fresh client per run, as each notebook has its own kernel and connection
                start = time.perf_counter()
                client = _open(loaded, args)
                opened = time.perf_counter() - start
                profiler = _profiler(args.profile)
                timings, outputs = run_chapter(name, client, shell, Path(tmp))
                if profiler is not None:
                    profiler.stop()
                    text = profiler.output_text(unicode=True, color=False, show_all=False)
                    (args.profile / f"{name}.txt").write_text(text)
                client.con.close()
                if best is None or sum(t for _, t, _ in timings) < sum(t for _, t, _ in best):
                    best = timings
            assert best is not None
            totals[name] = (sum(t for _, t, _ in best), sum(c for _, _, c in best))
            print(
                f"\n{name}: {totals[name][0]:.2f} s (CPU {totals[name][1]:.2f} s; "
                f"client opened in {opened:.2f} s)"
            )
            for label, seconds, cpu in best:
                print(f"  {label:<24} {seconds:8.2f} s  CPU {cpu:7.2f} s")
            sys.stdout.flush()
            if args.dump:
                args.dump.mkdir(parents=True, exist_ok=True)
                text = json.dumps(outputs, indent=1, default=str, sort_keys=True)
                (args.dump / f"{name}.json").write_text(text)
    print("\nchapter              seconds      CPU")
    for name, (seconds, cpu) in totals.items():
        print(f"{name:<20} {seconds:8.2f} {cpu:8.2f}")
    print(
        f"{'total':<20} {sum(t for t, _ in totals.values()):8.2f} "
        f"{sum(c for _, c in totals.values()):8.2f}"
    )
    print(f"peak memory of this process: {_peak_mb():,.0f} MB")
    return 0


def _peak_mb() -> float:
    """The process's peak resident memory (``VmHWM``), in MB (NaN where /proc is missing)."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return float("nan")
    return int(status.split("VmHWM:")[1].split()[0]) / 1024


def _open(loaded: Any, args: argparse.Namespace) -> Any:
    """A fresh client on its own connection (read-only on the prepared file when given)."""
    import copy

    import funnelkit as fk

    if args.prepared:
        client = copy.copy(loaded)
        client.con = _prepared(loaded, args.prepared)
        return client
    return fk.load_client(args.client, emit_warnings=False)


if __name__ == "__main__":
    raise SystemExit(main())
