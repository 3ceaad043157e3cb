"""The ``funnelkit`` command: new, params, run (exit codes 0/1/2), batch, --version."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import papermill
import pytest
from click.testing import CliRunner
from papermill.exceptions import PapermillExecutionError

import funnelkit
from funnelkit.core import paths
from funnelkit.core.errors import ConfigError, ParameterError
from funnelkit.data.config import load_config
from funnelkit.presentation.results import save_results
from funnelkit.run import execute as runner
from funnelkit.run.batch import client_folders, run_command
from funnelkit.run.cli import main

PARAMS = (
    'client_dir: str = ""  # client folder holding client.yaml (empty: the bundled demo client)\n'
    'results_path: str = ""  # where this notebook writes its results as JSON\n'
    "n: int = 2  # how many things\n"
)


def write_notebook(path: Path, cells: list[str]) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    params = nbformat.v4.new_code_cell(PARAMS)
    params.metadata.tags = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("# Tiny"), params]
    nb.cells += [nbformat.v4.new_code_cell(source) for source in cells]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def write_client(folder: Path, *, extra: str = "") -> Path:
    (folder / "data").mkdir(parents=True)
    (folder / "data" / "spend.csv").write_text("date,channel,cost\n2026-10-01,search,1\n")
    (folder / "client.yaml").write_text(
        f"client: {folder.name.title()}\nperiod: {{start: 2026-10-01, end: 2026-10-07}}\n"
        "data:\n  spend: {path: data/spend.csv}\n" + extra,
        encoding="utf-8",
    )
    return folder


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("FUNNELKIT_REPORTS_DIR", str(tmp_path / "reports"))
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def notebooks(tmp_path):
    folder = tmp_path / "nbs"
    write_notebook(folder / "00_tiny.ipynb", ["print(n * 21)"])
    return folder


@pytest.fixture
def fake_papermill(monkeypatch):
    calls = []

    def execute(input_path, output_path, parameters=None, **options):
        calls.append((Path(input_path).name, parameters))
        nb = nbformat.read(input_path, as_version=4)
        nbformat.write(nb, output_path)
        save_results({"n": parameters.get("n")}, parameters["results_path"])
        if "broken" in str(input_path):
            raise PapermillExecutionError(3, 2, "raise", "ValueError", "planted failure", [])
        return nb

    monkeypatch.setattr(papermill, "execute_notebook", execute)
    monkeypatch.setattr(runner, "RETRY_DELAYS", (0.0, 0.0, 0.0))
    return calls


def invoke(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_version():
    result = invoke("--version")
    assert result.exit_code == 0
    assert result.output.strip() == f"funnelkit, version {funnelkit.__version__}"


# --- new ----------------------------------------------------------------------------------------


def test_new_creates_client_folder_from_template_and_refuses_twice(tmp_path):
    result = invoke("new", "Acme GmbH", "--dir", "clients")
    assert result.exit_code == 0, result.output
    dest = tmp_path / "clients" / "acme-gmbh"
    assert f"Created {Path('clients') / 'acme-gmbh'}/" in result.output
    assert f"funnelkit run {Path('clients') / 'acme-gmbh'}" in result.output
    assert sorted(p.name for p in dest.iterdir()) == ["client.yaml", "data", "notebooks"]
    assert list((dest / "data").iterdir()) == []  # no .gitkeep
    template = (paths.client_template_dir() / "client.yaml").read_text(encoding="utf-8")
    written = (dest / "client.yaml").read_text(encoding="utf-8")
    # only the client: line changed; every comment is kept
    changed = [
        (a, b) for a, b in zip(template.splitlines(), written.splitlines(), strict=True) if a != b
    ]
    assert len(changed) == 1 and changed[0][1].startswith("client: Acme GmbH")
    assert load_config(dest).client == "Acme GmbH"

    again = CliRunner().invoke(main, ["new", "Acme GmbH", "--dir", "clients"])
    assert again.exit_code == 2
    assert "acme-gmbh: already exists; edit its client.yaml" in again.output
    assert "Traceback" not in again.output


def test_new_quotes_names_yaml_would_misread(tmp_path, monkeypatch):
    template = tmp_path / "template"
    (template / "data").mkdir(parents=True)
    (template / "data" / ".gitkeep").touch()
    (template / "client.yaml").write_text(
        "# top comment\nclient: New Client   # name shown on the report\n"
        "period: {start: 2026-10-01, end: 2026-10-31}\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("FUNNELKIT_TEMPLATE_DIR", str(template))
    assert invoke("new", "Ромашка: EU #1", "--dir", "c").exit_code == 0
    dest = tmp_path / "c" / "ромашка-eu-1"
    text = (dest / "client.yaml").read_text(encoding="utf-8")
    assert text.splitlines()[:2] == [
        "# top comment",
        'client: "Ромашка: EU #1"  # name shown on the report',
    ]
    assert load_config(dest).client == "Ромашка: EU #1"
    assert not (dest / "data" / ".gitkeep").exists()


# --- params -------------------------------------------------------------------------------------


def test_params_lists_names_types_defaults_and_help(notebooks):
    result = invoke("params", notebooks / "00_tiny.ipynb")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].split() == ["name", "type", "default", "help"]
    assert lines[1].split(None, 3) == [
        "client_dir",
        "str",
        '""',
        "client folder holding client.yaml (empty: the bundled demo client)",
    ]
    assert lines[3].split(None, 3) == ["n", "int", "2", "how many things"]


def test_params_finds_notebooks_by_name_and_suggests(notebooks, monkeypatch):
    monkeypatch.setenv("FUNNELKIT_NOTEBOOKS_DIR", str(notebooks))
    assert "how many things" in invoke("params", "00_tiny").output
    wrong = invoke("params", "00_tinny")
    assert wrong.exit_code == 2
    assert "notebook '00_tinny' not found" in wrong.output
    assert "Did you mean '00_tiny'?" in wrong.output


# --- run ----------------------------------------------------------------------------------------


def test_run_ok_exits_0_and_prints_report_path(tmp_path, notebooks, fake_papermill):
    client = write_client(tmp_path / "acme")
    status = tmp_path / "status.json"
    result = invoke(
        "run", client, "--notebooks", notebooks, "-p", "n", "5", "--json-status", status
    )
    assert result.exit_code == 0, result.output
    report_dir = next((tmp_path / "reports" / "acme").glob("20*"))
    assert f"Report: {report_dir / 'index.html'}" in result.output
    assert fake_papermill[0][1]["n"] == 5  # parsed as int, as papermill's CLI does
    assert json.loads(status.read_text())["status"] == "ok"


def test_run_parameters_yaml_then_p(tmp_path, notebooks, fake_papermill):
    client = write_client(tmp_path / "acme")
    result = invoke("run", client, "--notebooks", notebooks, "-y", "n: 7")
    assert result.exit_code == 0
    assert fake_papermill[-1][1]["n"] == 7
    invoke("run", client, "--notebooks", notebooks, "-y", "n: 7", "-p", "n", "8")
    assert fake_papermill[-1][1]["n"] == 8


def test_run_failed_notebook_exits_1_with_one_line_per_failure(tmp_path, notebooks, fake_papermill):
    write_notebook(notebooks / "10_broken.ipynb", ["x = 1", "raise ValueError('planted failure')"])
    client = write_client(tmp_path / "acme")
    result = CliRunner().invoke(main, ["run", str(client), "--notebooks", str(notebooks)])
    assert result.exit_code == 1
    assert "FAILED 10_broken cell 2: ValueError: planted failure" in result.output
    assert "Report: " in result.output  # the report is still written


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "missing"], "no client.yaml found; run `funnelkit new NAME`"),
        (["run", "acme", "-p", "nn", "1"], "`nn` (given with -p/-y) is declared by no notebook"),
        (["run", "acme", "-y", "[1, 2]"], "-y/--parameters_yaml must be a mapping of NAME: VALUE"),
        (["run", "acme", "-p", "n", "x"], "parameter `n` expects int, but 'x' (str) was given"),
    ],
)
def test_run_input_errors(tmp_path, notebooks, fake_papermill, args, message):
    write_client(tmp_path / "acme")
    result = CliRunner().invoke(main, [*args, "--notebooks", str(notebooks)])
    assert result.exit_code == 2  # every input problem stops the run before any notebook
    assert fake_papermill == []
    assert message in result.output
    assert "Traceback" not in result.output


def test_bad_client_yaml_exits_2_and_writes_status(tmp_path, notebooks):
    client = tmp_path / "bad"
    client.mkdir()
    (client / "client.yaml").write_text(
        "client: Bad\nperiod: {start: 2026-10-05, end: 2026-10-01}\n"
    )
    status = tmp_path / "s.json"
    result = CliRunner().invoke(main, ["run", str(client), "--json-status", str(status)])
    assert result.exit_code == 2
    assert "period" in result.output and "Traceback" not in result.output
    written = json.loads(status.read_text())
    assert written["status"] == "bad input"
    assert "period.end (2026-10-01) is before period.start" in written["message"]
    assert written["failures"] == [written["message"].splitlines()[0]]


# --- batch --------------------------------------------------------------------------------------


def test_batch_needs_client_folders(tmp_path):
    (tmp_path / "empty").mkdir()
    result = CliRunner().invoke(main, ["batch", str(tmp_path / "empty")])
    assert result.exit_code == 2
    assert "holds no client folders (subfolders with a client.yaml)" in result.output
    with pytest.raises(ConfigError, match="no such folder"):
        client_folders(tmp_path / "nope")


def test_batch_run_command_mirrors_run_options(tmp_path):
    cmd = run_command(
        Path("acme"),
        Path("s.json"),
        parameters={"n": "5"},
        kernel_name="python3",
        execution_timeout=30,
        show_code=True,
        notebooks=tmp_path,
    )
    assert cmd[1:] == [
        "-m", "funnelkit", "run", "acme", "--json-status", "s.json", "-y", '{"n": "5"}',
        "-k", "python3", "--execution-timeout", "30", "--show-code", "--notebooks", str(tmp_path),
    ]  # fmt: skip
    with pytest.raises(ParameterError, match=r"unknown option\(s\) \['jobz'\]"):
        run_command(Path("a"), Path("s"), jobz=2)


@pytest.mark.e2e
def test_batch_runs_each_client_and_survives_a_failing_one(tmp_path, notebooks):
    clients = tmp_path / "clients"
    write_client(clients / "good")
    write_client(clients / "wrong", extra="parameters:\n  00_tiny: {n: lots}\n")
    (clients / "not-a-client").mkdir()
    result = CliRunner().invoke(
        main, ["batch", str(clients), "--jobs", "2", "--notebooks", str(notebooks)]
    )
    assert result.exit_code == 1, result.output
    progress = [line for line in result.output.splitlines() if line.startswith("[")]
    assert sorted(line.split()[0] for line in progress) == ["[1/2]", "[2/2]"]
    statuses = {line.split()[1]: " ".join(line.split()[2:-2]) for line in progress}
    assert statuses == {"good": "ok", "wrong": "bad input"}
    table = result.output[result.output.index("client ") :].splitlines()
    assert table[0].split() == ["client", "status", "seconds", "report", "problem"]
    assert table[1].split()[:2] == ["good", "ok"]
    assert table[2].split()[:3] == ["wrong", "bad", "input"]
    assert "00_tiny.ipynb: parameter `n` expects int, but 'lots'" in table[2]
    good = next((tmp_path / "reports" / "good").glob("20*"))
    assert (good / "index.html").is_file() and (good / "00_tiny.html").is_file()
    assert json.loads((good / "summary.json").read_text())["run"]["status"] == "ok"
    assert "BAD INPUT wrong: 00_tiny.ipynb: parameter `n` expects int, but 'lots' (str)" in (
        result.output
    )
    assert not (tmp_path / "reports" / "wrong").exists()


def test_the_command_starts_without_compiling_the_iri_grammar():
    """jsonschema's optional IRI check compiles a Lark grammar at import (1.3 s per command)."""
    import subprocess
    import sys

    code = (
        "import sys, funnelkit.run.cli, funnelkit.run.report, jsonschema; "
        "print(sys.modules.get('rfc3987_syntax') is None)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"
