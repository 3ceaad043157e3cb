"""The ``funnelkit`` command: ``new``, ``run``, ``batch`` and ``params``.

Flag names mirror papermill's where they overlap (``-p NAME VALUE``, ``-y YAML``, ``-f FILE``,
``-k KERNEL``, ``--execution-timeout``, ``--start-timeout``). Exit codes: 0 all notebooks ran,
1 a notebook (or a batch client) failed, 2 the input was wrong (``client.yaml``, a parameter, a
path): the message says what to fix, without a Python traceback.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import yaml

from ..core import paths
from ..core.errors import ConfigError, FunnelkitError, ParameterError, ReportError, did_you_mean
from ..core.paths import slugify
from ..core.version import __version__
from .scaffold import new_client

__all__ = ["main", "resolve_type"]

# Start-up time: jsonschema (imported by nbformat, below in the commands) imports rfc3987_syntax
# when it is installed (an optional extra Jupyter pulls in), and that compiles a Lark grammar at
# import: 1.3 s of every command's start, for an "iri" format check funnelkit never makes. The
# command's process does without it (jsonschema skips that one check); a library user's process
# is left alone.
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]


def resolve_type(value: str) -> Any:
    """Parse a ``-p NAME VALUE`` value the way papermill's command line does.

    Examples
    --------
    >>> [resolve_type(v) for v in ["3", "0.5", "True", "None", "Europe/Berlin"]]
    [3, 0.5, True, None, 'Europe/Berlin']
    """
    if value in {"True", "False"}:
        return value == "True"
    if value == "None":
        return None
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            pass
    return value


def _fail(err: FunnelkitError | OSError, status_file: Path | None = None) -> None:
    """Print the whole message (no traceback) and exit 2: bad input, nothing was run."""
    if isinstance(err, OSError):  # a fault outside funnelkit's checks still gets a sentence
        where = f"{err.filename}: " if err.filename else ""
        err = ReportError(f"{where}{err.strerror or err}; check the path and its permissions.")
    if status_file is not None:
        _write_status(status_file, status="bad input", message=str(err), failures=[err.headline])
    click.echo(f"Error: {err}", err=True)
    sys.exit(2)


def _write_status(path: Path, **status: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(status, indent=2, ensure_ascii=False, default=str), encoding="utf-8")


def _collect_parameters(
    pairs: tuple[tuple[str, str], ...], yaml_text: str | None, yaml_file: Path | None
) -> dict[str, Any]:
    """Merge ``-f``, then ``-y``, then ``-p`` (later wins), as papermill does."""
    merged: dict[str, Any] = {}
    for source, text in (
        (f"-f {yaml_file}", yaml_file.read_text(encoding="utf-8") if yaml_file else None),
        ("-y/--parameters_yaml", yaml_text),
    ):
        if not text:
            continue
        try:
            loaded = yaml.safe_load(text)
        except yaml.YAMLError as err:
            raise ParameterError(f"{source}: not valid YAML ({err}).") from err
        if not isinstance(loaded, dict):
            raise ParameterError(
                f"{source} must be a mapping of NAME: VALUE, e.g. 'top_events: 10', "
                f"but {text!r} was passed."
            )
        merged.update(loaded)
    merged.update({name: resolve_type(value) for name, value in pairs})
    return merged


def _run_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The options ``run`` and ``batch`` share."""
    options = [
        click.option(
            "-p",
            "--parameters",
            "parameter_pairs",
            nargs=2,
            multiple=True,
            metavar="NAME VALUE",
            help="Set a notebook parameter (repeatable); VALUE is parsed "
            "as int, float, True/False or None where it looks like one, else kept as text.",
        ),
        click.option("-y", "--parameters_yaml", help="Parameters as a YAML mapping."),
        click.option(
            "-f",
            "--parameters_file",
            type=click.Path(exists=True, dir_okay=False, path_type=Path),
            help="Parameters from a YAML file.",
        ),
        click.option(
            "-k", "--kernel", "kernel_name", help="Jupyter kernel (default: the notebook's)."
        ),
        click.option(
            "--execution-timeout",
            type=int,
            default=600,
            show_default=True,
            metavar="SECONDS",
            help="Longest a single cell may run.",
        ),
        click.option(
            "--start-timeout",
            type=int,
            default=120,
            show_default=True,
            metavar="SECONDS",
            help="Longest the kernel may take to start.",
        ),
        click.option("--show-code/--hide-code", default=False, help="Show code in the HTML."),
        click.option(
            "--output-dir",
            type=click.Path(file_okay=False, path_type=Path),
            help="Write reports under DIR instead of reports/.",
        ),
        click.option(
            "--notebooks",
            "notebooks_dir",
            type=click.Path(file_okay=False, path_type=Path),
            help="Run the notebooks in DIR instead of notebooks/.",
        ),
        click.option("--run-date", type=click.DateTime(["%Y-%m-%d"]), hidden=True),
    ]
    return functools.reduce(lambda f, option: option(f), reversed(options), func)


def _options(kw: dict[str, Any]) -> dict[str, Any]:
    """Click's keyword arguments -> ``run_client``'s."""
    run_date = kw.pop("run_date", None)
    return {
        "parameters": _collect_parameters(
            kw.pop("parameter_pairs"), kw.pop("parameters_yaml"), kw.pop("parameters_file")
        ),
        "run_date": run_date.date() if run_date else None,
        "notebooks": kw.pop("notebooks_dir"),
        **kw,
    }


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="funnelkit")
def main() -> None:
    """Funnel, journey and A/B-test reports for one client folder (client.yaml + data/)."""


@main.command(short_help="Create a client folder from the template.")
@click.argument("name")
@click.option(
    "--dir",
    "parent",
    default="clients",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to create the client in.",
)
@click.option(
    "--from",
    "exports",
    type=click.Path(path_type=Path),
    help="Folder of the client's exports: guess what each file is and fill in `data:` "
    "(the files are read where they lie, never copied or changed).",
)
def new(name: str, parent: Path, exports: Path | None) -> None:
    """Create a client folder from the template: PARENT/<slug>/client.yaml, data/, notebooks/.

    With --from DIR, each file of DIR (and each subfolder of daily files) is recognised as a
    vendor export or a canonical table by its columns, and client.yaml's `data:` is written
    from the guesses, commented; what could not be placed is listed.
    """
    if exports is not None:
        _new_from(name, parent, exports)
        return
    try:
        dest = new_client(name, parent)
    except FunnelkitError as err:
        _fail(err)
    click.echo(f"Created {dest}/ for {name!r}. Next steps:")
    click.echo(f"  1. Put the client's exports (CSV, Parquet or Excel) into {dest / 'data'}/")
    click.echo(
        f"  2. Edit {dest / paths.CLIENT_CONFIG_NAME}: the period, and under `data:` each "
        "file's path and column names"
    )
    click.echo(f"     (optional: the client's own chapters go into {dest / 'notebooks'}/)")
    click.echo(f"  3. funnelkit run {dest}")


def _new_from(name: str, parent: Path, exports: Path) -> None:
    """``funnelkit new NAME --from DIR``: the client folder with `data:` guessed from DIR."""
    from ..data.discover import discover
    from .new_from import data_section, summary, write_data_section

    try:
        if not exports.is_dir():
            raise ConfigError(
                f"--from {exports}: is not a folder; give the folder holding the client's "
                "exports (CSV, Parquet, Excel, JSON lines; a subfolder of daily files is one "
                "export)."
            )
        if (Path(parent) / slugify(name)).exists():  # refused before anything is read
            new_client(name, parent)
        found = discover(exports)
        dest = new_client(name, parent)
    except (FunnelkitError, OSError) as err:
        _fail(err)
    config = dest / paths.CLIENT_CONFIG_NAME
    write_data_section(config, data_section(found, client_dir=dest, source=exports.resolve()))
    click.echo(summary(found, name=name, dest=dest, exports=exports))


@main.command(short_help="Run every report notebook for one client.")
@click.argument("client_dir", required=False)
@_run_options
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    help="Notebooks run at once [default: CPUs + 1; CPUs above 2M rows of data].",
)
@click.option("--json-status", type=click.Path(dir_okay=False, path_type=Path), hidden=True)
def run(client_dir: str | None, json_status: Path | None, **kw: Any) -> None:
    """Run every report notebook for CLIENT_DIR (default: the bundled demo client).

    Checks client.yaml, every parameter and every data table first: a problem stops the run
    before any notebook, with exit code 2 and no report folder.
    """
    from .report import run_client

    try:
        result = run_client(client_dir, **_options(kw), log=click.echo)
    except (FunnelkitError, OSError) as err:
        _fail(err, json_status)
    except KeyboardInterrupt:
        click.echo("Interrupted: the report folder is marked incomplete (.incomplete).", err=True)
        sys.exit(130)
    failures = [str(f) for f in result.failures]
    if json_status is not None:
        _write_status(
            json_status,
            client=result.client,
            slug=result.slug,
            status=result.status,
            seconds=result.seconds,
            report_dir=str(result.report_dir),
            failures=failures,
        )
    for failure in result.failures:
        click.echo(f"FAILED {failure}", err=True)
    click.echo(f"Report: {result.report_dir / 'index.html'}")
    click.echo(f"For the client: {result.report_dir / 'client'}")
    sys.exit(0 if result.ok else 1)


@main.command(short_help="Check a client's config and data, and say what they contain.")
@click.argument("client_dir", required=False)
@click.option("--refresh", is_flag=True, help="Validate again even if nothing changed.")
def check(client_dir: str | None, refresh: bool) -> None:
    """Check CLIENT_DIR's client.yaml and every data table, as a run would, and describe them.

    Prints each table (file, rows, first and last time, rows in the analysis period) and every
    warning. Exit code 0 when the data are usable, 2 (with the problems) when they are not. The
    validated data are kept, so the next `funnelkit run` starts at once.
    """
    from ..data.branding import load_branding
    from ..data.engine_client import check_on_engine
    from ..data.prepare import prepare
    from .check import describe

    try:
        prepared = prepare(client_dir, refresh=refresh)
        config = prepared.config
        load_branding(config.report.branding, client_dir=config.client_dir)
        held, found = check_on_engine(prepared.open) if config.engine.name != "duckdb" else ({}, [])
    except (FunnelkitError, OSError) as err:
        _fail(err)
    click.echo(describe(prepared, held, engine_warnings=found))


@main.command(short_help="Run the report for every client folder in a directory.")
@click.argument("clients_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "-j", "--jobs", type=click.IntRange(min=1), help="Clients run at once [default: CPUs]."
)
@_run_options
def batch(clients_dir: Path, jobs: int | None, **kw: Any) -> None:
    """Run the report for every client folder (a subfolder with client.yaml) in CLIENTS_DIR."""
    from .batch import run_batch

    try:
        table = run_batch(clients_dir, jobs=jobs, log=click.echo, **_options(kw))
    except FunnelkitError as err:
        _fail(err)
    click.echo("")
    shown = table.assign(
        report=[f"{d}/index.html" if d else "-" for d in table["report_dir"]],
        problem=[_clip(f[0]) if f else "" for f in table["failures"]],
    )[["client", "status", "seconds", "report", "problem"]]
    click.echo(shown.to_string(index=False))
    for row in table.itertuples():
        if isinstance(row.message, str) and row.message:  # None/NaN: not refused
            click.echo(f"BAD INPUT {row.client}: {row.message}", err=True)
            continue
        for failure in row.failures:
            click.echo(f"FAILED {row.client}: {failure}", err=True)
    sys.exit(0 if (table["status"] == "ok").all() else 1)


def _clip(text: str, width: int = 120) -> str:
    """One line of at most ``width`` characters for a table cell.

    Examples
    --------
    >>> _clip("a" * 10, width=6)
    'aaaaa…'
    """
    line = " ".join(str(text).split())
    return line if len(line) <= width else line[: width - 1] + "…"


def _find_notebook(notebook: str) -> Path:
    path = Path(notebook).expanduser()
    if path.is_file():
        return path
    folder = paths.notebooks_dir()
    for candidate in (folder / notebook, folder / f"{notebook}.ipynb"):
        if candidate.is_file():
            return candidate
    names = sorted(p.stem for p in folder.glob("*.ipynb"))
    hint = did_you_mean(Path(notebook).stem, names)
    raise ReportError(
        f"notebook {notebook!r} not found, neither as a path nor in {folder}; the notebooks "
        f"there are {names}.{hint}"
    )


@main.command(short_help="List a notebook's parameters.")
@click.argument("notebook")
def params(notebook: str) -> None:
    """List NOTEBOOK's parameters: name, type, default and help (a path or a name in notebooks/)."""
    from .parameters import inspect_parameters

    try:
        found = inspect_parameters(_find_notebook(notebook))
    except FunnelkitError as err:
        _fail(err)
    if not found:
        click.echo(f"{notebook}: no parameters (no cell tagged `parameters`).")
        return
    rows = [("name", "type", "default", "help")] + [
        (p["name"], p["inferred_type_name"], p["default"], p["help"]) for p in found.values()
    ]
    widths = [max(len(str(row[i])) for row in rows) for i in range(3)]
    for row in rows:
        click.echo(
            "  ".join(str(v).ljust(w) for v, w in zip(row[:3], widths, strict=True))
            + "  "
            + str(row[3])
        )
