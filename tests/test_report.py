"""The report runner: folders, parameters, retries, failures, summary.json, results files.

Most tests replace ``papermill.execute_notebook`` by a fake that copies the notebook (no kernel),
so they take milliseconds; the ``e2e`` ones execute tiny generated notebooks with a real kernel.
"""

from __future__ import annotations

import hashlib
import json
import threading
from datetime import date
from importlib.metadata import version
from pathlib import Path

import jsonschema
import nbformat
import numpy as np
import pandas as pd
import papermill
import pytest
from papermill.exceptions import PapermillExecutionError

import funnelkit
from funnelkit.core.errors import ConfigError, ParameterError, ReportError
from funnelkit.presentation.results import load_results, save_results, to_jsonable
from funnelkit.run import execute as runner, outputs
from funnelkit.run.parameters import check_parameters, inspect_parameters
from funnelkit.run.report import Failure, run_client
from funnelkit.run.summary import SUMMARY_SCHEMA_PATH, validate_summary

RUN_DATE = date(2026, 11, 1)
PARAMS = (
    'client_dir: str = ""  # client folder holding client.yaml (empty: the bundled demo client)\n'
    'results_path: str = ""  # where this notebook writes its results as JSON\n'
)
SAVE = (
    "from funnelkit.presentation.results import save_results\nsave_results({results}, results_path)"
)


def write_notebook(path: Path, cells: list[str], *, params: str = PARAMS, title: str = "") -> Path:
    """A notebook: optional markdown title, a ``parameters`` cell, then code cells.

    A code cell starting with ``#remove-cell`` is tagged ``remove-cell``.
    """
    nb = nbformat.v4.new_notebook()
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    if title:
        nb.cells.append(nbformat.v4.new_markdown_cell(title))
    param_cell = nbformat.v4.new_code_cell(params)
    param_cell.metadata.tags = ["parameters"]
    nb.cells.append(param_cell)
    for source in cells:
        cell = nbformat.v4.new_code_cell(source.removeprefix("#remove-cell\n"))
        if source.startswith("#remove-cell"):
            cell.metadata.tags = ["remove-cell"]
        nb.cells.append(cell)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def fast_notebook(folder: Path) -> Path:
    return write_notebook(
        folder / "00_fast.ipynb",
        [
            "value = n * 21",
            'print("value is", value)',
            "#remove-cell\n" + SAVE.format(results='{"value": value, "n": n, "rate": rate}'),
        ],
        params=PARAMS + "n: int = 2  # a number\nrate: float = 0.5  # a share; 0 = none\n",
        title="# Fast notebook\n\n## Part A",
    )


def broken_notebook(folder: Path) -> Path:
    return write_notebook(
        folder / "10_broken.ipynb", ["x = 1", 'raise ValueError("planted failure")']
    )


def after_notebook(folder: Path) -> Path:
    return write_notebook(
        folder / "20_after.ipynb",
        ['print("after ran")', "#remove-cell\n" + SAVE.format(results='{"after": True}')],
    )


def write_client(folder: Path, *, name: str = "Test Co", extra: str = "") -> Path:
    (folder / "data").mkdir(parents=True, exist_ok=True)
    (folder / "data" / "spend.csv").write_text(
        "date,channel,cost\n2026-10-01,search,10.5\n", encoding="utf-8"
    )
    (folder / "client.yaml").write_text(
        f"client: {name}\ncurrency: EUR\ntimezone: UTC\n"
        "period: {start: 2026-10-01, end: 2026-10-07}\n"
        "data:\n  spend: {path: data/spend.csv}\n" + extra,
        encoding="utf-8",
    )
    return folder


@pytest.fixture(autouse=True)
def reports_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("FUNNELKIT_REPORTS_DIR", str(tmp_path / "reports"))
    return tmp_path / "reports"


@pytest.fixture
def client(tmp_path):
    return write_client(tmp_path / "clients" / "test-co")


@pytest.fixture
def fake_papermill(monkeypatch):
    """Replace kernel execution by a copy that numbers the code cells; records every call."""
    calls: list[dict] = []

    def execute(input_path, output_path, parameters=None, **options):
        calls.append({"notebook": Path(input_path).name, "parameters": parameters, **options})
        nb = nbformat.read(input_path, as_version=4)
        for count, cell in enumerate((c for c in nb.cells if c.cell_type == "code"), 1):
            cell.execution_count = count
        nbformat.write(nb, output_path)
        if parameters.get("results_path"):
            save_results({"fake": True}, parameters["results_path"])
        return nb

    monkeypatch.setattr(papermill, "execute_notebook", execute)
    monkeypatch.setattr(runner, "RETRY_DELAYS", (0.0, 0.0, 0.0))
    return calls


def quiet(_line: str) -> None:
    pass


# --- report folder ----------------------------------------------------------------------------


def test_same_day_runs_never_overwrite_and_link_back(client, tmp_path, fake_papermill):
    notebooks = tmp_path / "nbs"
    fast_notebook(notebooks)
    first = run_client(client, notebooks=notebooks, run_date=RUN_DATE, log=quiet)
    second = run_client(client, notebooks=notebooks, run_date=RUN_DATE, log=quiet)
    assert first.report_dir.name == "2026-11-01"
    assert second.report_dir.name == "2026-11-01_2"
    assert first.report_dir.parent == second.report_dir.parent == tmp_path / "reports" / "test-co"
    assert (first.report_dir / "index.html").is_file()
    summary = json.loads(second.summary_path.read_text(encoding="utf-8"))
    assert summary["run"]["previous_report"] == str(first.report_dir)
    index = (second.report_dir / "index.html").read_text(encoding="utf-8")
    assert 'href="../2026-11-01/index.html"' in index


def test_report_folders_are_unique_under_parallel_creation(tmp_path):
    made: list[Path] = []
    threads = [
        threading.Thread(target=lambda: made.append(outputs.new_report_dir(tmp_path, RUN_DATE)))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(p.name for p in made) == sorted(
        ["2026-11-01"] + [f"2026-11-01_{n}" for n in range(2, 9)]
    )


def test_output_dir_replaces_reports(client, tmp_path, fake_papermill):
    notebooks = tmp_path / "nbs"
    fast_notebook(notebooks)
    result = run_client(
        client, notebooks=notebooks, output_dir=tmp_path / "out", run_date=RUN_DATE, log=quiet
    )
    assert result.report_dir == tmp_path / "out" / "test-co" / "2026-11-01"
    assert not (tmp_path / "reports").exists()


def test_config_error_propagates_before_anything_runs(tmp_path, fake_papermill):
    with pytest.raises(ConfigError, match=r"no client\.yaml found; run `funnelkit new NAME`"):
        run_client(tmp_path / "missing", log=quiet)
    assert fake_papermill == []


def test_folder_without_notebooks_is_a_report_error(client, tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ReportError, match=r"no notebooks \(\*\.ipynb\) found; pass --notebooks"):
        run_client(client, notebooks=tmp_path / "empty", log=quiet)


def test_unknown_kernel_is_a_parameter_error(client, tmp_path):
    fast_notebook(tmp_path / "nbs")
    with pytest.raises(ParameterError, match="kernel 'no-such-kernel' is not installed"):
        run_client(client, notebooks=tmp_path / "nbs", kernel_name="no-such-kernel", log=quiet)


# --- parameters -------------------------------------------------------------------------------


def test_parameters_injected_in_order_default_yaml_cli(tmp_path, fake_papermill):
    client = write_client(
        tmp_path / "c", extra="parameters:\n  00_fast: {n: 5, rate: 0.25}\n  20_after: {}\n"
    )
    notebooks = tmp_path / "nbs"
    fast_notebook(notebooks)
    after_notebook(notebooks)
    result = run_client(
        client, notebooks=notebooks, parameters={"rate": 1}, run_date=RUN_DATE, log=quiet
    )
    assert result.status == "ok"
    injected = {call["notebook"]: call["parameters"] for call in fake_papermill}
    assert injected["00_fast.ipynb"] == {
        "client_dir": str(client.resolve()),
        "results_path": str(result.report_dir / "00_fast.results.json"),
        "n": 5,
        "rate": 1,
    }
    assert set(injected["20_after.ipynb"]) == {"client_dir", "results_path"}
    # the kernel starts in the report folder; the runner's own directory never changes
    assert fake_papermill[0]["resources"] == {"metadata": {"path": str(result.report_dir)}}
    assert "cwd" not in fake_papermill[0]
    assert fake_papermill[0]["kernel_name"] == "python3"
    summary = json.loads(result.summary_path.read_text(encoding="utf-8"))
    assert summary["parameters"]["00_fast"] == injected["00_fast.ipynb"]


def test_unknown_parameter_in_client_yaml_stops_the_run_before_any_notebook(
    tmp_path, fake_papermill, reports_dir
):
    client = write_client(tmp_path / "c", extra="parameters:\n  00_fast: {nn: 3}\n")
    notebooks = tmp_path / "nbs"
    fast_notebook(notebooks)
    after_notebook(notebooks)
    with pytest.raises(ParameterError) as caught:
        run_client(client, notebooks=notebooks, run_date=RUN_DATE, log=quiet)
    message = str(caught.value)
    assert message.startswith("00_fast.ipynb: unknown parameter `nn`")
    assert "client.yaml `parameters.00_fast`" in message and "Did you mean 'n'?" in message
    assert fake_papermill == []
    assert not list(reports_dir.glob("*/*")), "no report folder for refused parameters"


def test_wrong_types_in_client_yaml_are_all_listed_before_any_notebook(tmp_path, fake_papermill):
    client = write_client(
        tmp_path / "c", extra="parameters:\n  00_fast: {n: many}\n  20_after: {x: 1}\n"
    )
    fast_notebook(tmp_path / "nbs")
    after_notebook(tmp_path / "nbs")
    with pytest.raises(ParameterError) as caught:
        run_client(client, notebooks=tmp_path / "nbs", run_date=RUN_DATE, log=quiet)
    assert fake_papermill == []
    assert str(caught.value).splitlines() == [
        "00_fast.ipynb: parameter `n` expects int, but 'many' (str) was given "
        "in client.yaml `parameters.00_fast`; fix the value.",
        "20_after.ipynb: unknown parameter `x` in client.yaml `parameters.20_after`; this "
        "notebook declares ['client_dir', 'results_path']. Fix the name; `funnelkit params "
        "20_after.ipynb` lists the parameters.",
    ]


def test_command_line_parameter_no_notebook_declares_stops_the_run(client, tmp_path):
    fast_notebook(tmp_path / "nbs")
    with pytest.raises(ParameterError, match=r"`nx` \(given with -p/-y\) is declared by no"):
        run_client(client, notebooks=tmp_path / "nbs", parameters={"nx": 1}, log=quiet)
    assert not (tmp_path / "reports").exists()


DECLARED = {
    "n": {"inferred_type_name": "int"},
    "rate": {"inferred_type_name": "float"},
    "name": {"inferred_type_name": "str"},
    "flag": {"inferred_type_name": "bool"},
    "steps": {"inferred_type_name": "list[str]"},
    "split": {"inferred_type_name": "dict"},
    "maybe": {"inferred_type_name": "int | None"},
    "free": {"inferred_type_name": "None"},
}


@pytest.mark.parametrize(
    "values",
    [
        {"n": 3, "rate": 1, "name": "x", "flag": False},
        {"rate": 0.5, "steps": ["a"], "split": {"a": 1}, "maybe": None, "free": object()},
        {"maybe": 4},
    ],
)
def test_check_parameters_accepts_matching_types(values):
    check_parameters("nb.ipynb", values, DECLARED)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"n": True}, r"parameter `n` expects int, but True \(bool\) was given"),
        ({"n": 1.5}, r"parameter `n` expects int, but 1.5 \(float\) was given"),
        ({"name": 3}, r"`name` expects str, but 3 \(int\) was given; fix the value \(quote"),
        ({"steps": "a"}, r"`steps` expects list\[str\], but 'a' \(str\)"),
        ({"maybe": "x"}, r"`maybe` expects int \| None, but 'x'"),
    ],
)
def test_check_parameters_rejects_wrong_types(values, message):
    with pytest.raises(ParameterError, match=message):
        check_parameters("nb.ipynb", values, DECLARED)


def test_check_parameters_unknown_name_lists_declared_and_suggests():
    with pytest.raises(ParameterError) as info:
        check_parameters("00_fast.ipynb", {"rat": 1}, DECLARED, origin={"rat": "the command line"})
    assert str(info.value) == (
        "00_fast.ipynb: unknown parameter `rat` in the command line; this notebook declares "
        "['flag', 'free', 'maybe', 'n', 'name', 'rate', 'split', 'steps']. Did you mean 'rate'? "
        "Fix the name; `funnelkit params 00_fast.ipynb` lists the parameters."
    )


def test_inspect_parameters_also_reads_lines_papermill_skips(tmp_path):
    path = write_notebook(
        tmp_path / "p.ipynb",
        [],
        params=(
            'client_dir: str = ""  # client folder; empty = the bundled demo client\n'
            "label: str | None = None  # optional label\n"
            "top: int = 20  # how many\n"
        ),
    )
    found = inspect_parameters(path)
    assert list(found) == ["client_dir", "label", "top"]
    assert found["client_dir"]["help"] == "client folder; empty = the bundled demo client"
    assert found["label"]["inferred_type_name"] == "str | None"
    assert found["top"] == {
        "name": "top",
        "inferred_type_name": "int",
        "default": "20",
        "help": "how many",
    }


# --- kernel start retries ---------------------------------------------------------------------


def test_kernel_start_is_retried(client, tmp_path, fake_papermill, monkeypatch):
    fast_notebook(tmp_path / "nbs")
    real, attempts, lines = papermill.execute_notebook, [], []

    def flaky(*args, **kwargs):
        attempts.append(1)
        if len(attempts) <= 2:
            raise RuntimeError("Kernel died before replying to kernel_info")
        return real(*args, **kwargs)

    monkeypatch.setattr(papermill, "execute_notebook", flaky)
    result = run_client(client, notebooks=tmp_path / "nbs", log=lines.append)
    assert result.status == "ok"
    assert len(attempts) == 3
    assert sum("kernel did not start" in line for line in lines) == 2


def test_kernel_start_gives_up_after_three_retries(client, tmp_path, fake_papermill, monkeypatch):
    fast_notebook(tmp_path / "nbs")
    after_notebook(tmp_path / "nbs")
    attempts = []

    def dead(input_path, *args, **kwargs):
        attempts.append(Path(input_path).name)
        raise RuntimeError("Kernel didn't respond in 120 seconds")

    monkeypatch.setattr(papermill, "execute_notebook", dead)
    result = run_client(client, notebooks=tmp_path / "nbs", log=quiet)
    # notebooks run in parallel, so their attempts interleave: four each, in any order
    assert sorted(attempts) == ["00_fast.ipynb"] * 4 + ["20_after.ipynb"] * 4
    assert result.failures[0] == Failure(
        "00_fast", None, "RuntimeError: Kernel didn't respond in 120 seconds"
    )


def test_failure_after_cells_ran_is_not_retried(client, tmp_path, fake_papermill, monkeypatch):
    fast_notebook(tmp_path / "nbs")
    real, attempts = papermill.execute_notebook, []

    def dies_midway(*args, **kwargs):
        attempts.append(1)
        real(*args, **kwargs)  # writes the output with execution counts
        raise RuntimeError("Kernel died")

    monkeypatch.setattr(papermill, "execute_notebook", dies_midway)
    result = run_client(client, notebooks=tmp_path / "nbs", log=quiet)
    assert len(attempts) == 1
    assert result.failures == [Failure("00_fast", 4, "RuntimeError: Kernel died")]
    assert (result.report_dir / "00_fast.html").is_file()


def test_cell_failure_is_recorded_not_retried(client, tmp_path, fake_papermill, monkeypatch):
    broken_notebook(tmp_path / "nbs")
    after_notebook(tmp_path / "nbs")
    real, attempts = papermill.execute_notebook, []

    def cell_fails(input_path, output_path, *args, **kwargs):
        attempts.append(Path(input_path).name)
        real(input_path, output_path, *args, **kwargs)
        if "broken" in str(input_path):
            raise PapermillExecutionError(3, 3, "raise", "ValueError", "planted\nmore", [])

    monkeypatch.setattr(papermill, "execute_notebook", cell_fails)
    result = run_client(client, notebooks=tmp_path / "nbs", log=quiet)
    assert attempts == ["10_broken.ipynb", "20_after.ipynb"]
    assert result.failures == [Failure("10_broken", 3, "ValueError: planted")]


# --- summary.json -----------------------------------------------------------------------------


def test_summary_validates_and_records_inputs_versions_parameters(client, tmp_path, fake_papermill):
    fast_notebook(tmp_path / "nbs")
    result = run_client(client, notebooks=tmp_path / "nbs", run_date=RUN_DATE, log=quiet)
    summary = json.loads(result.summary_path.read_text(encoding="utf-8"))
    schema = json.loads(SUMMARY_SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(summary, schema, cls=jsonschema.Draft202012Validator)

    def sha(path: Path) -> str:
        return hashlib.sha256(path.read_bytes()).hexdigest()

    spend, config = client / "data" / "spend.csv", client / "client.yaml"
    assert summary["inputs"] == [
        {"table": "spend", "path": str(spend.resolve()), "bytes": spend.stat().st_size,
         "sha256": sha(spend)},
        {"table": None, "path": str(config.resolve()), "bytes": config.stat().st_size,
         "sha256": sha(config)},
    ]  # fmt: skip
    run = summary["run"]
    assert run["libraries"]["pandas"] == version("pandas")
    assert run["libraries"]["papermill"] == version("papermill")
    assert run["funnelkit_version"] == funnelkit.__version__
    assert run["run_date"] == "2026-11-01" and run["status"] == "ok"
    assert run["started_at"][-6] in "+-"  # ISO with offset
    assert summary["period"] == {"start": "2026-10-01", "end": "2026-10-07", "days": 7}
    assert summary["client"] == "Test Co" and summary["slug"] == "test-co"
    assert summary["parameters"]["00_fast"]["client_dir"] == str(client.resolve())
    assert summary["results"] == {"00_fast": {"fake": True}}
    entry = summary["notebooks"][0]
    assert entry["started_at"] < entry["finished_at"]
    assert summary["notebooks"][0] == {
        "name": "00_fast",
        "status": "ok",
        "seconds": summary["notebooks"][0]["seconds"],
        "started_at": entry["started_at"],
        "finished_at": entry["finished_at"],
        "ipynb": "00_fast.ipynb",
        "html": "00_fast.html",
        "results": "00_fast.results.json",
        "error": None,
    }


def test_summary_schema_failure_is_a_report_error():
    with pytest.raises(ReportError, match=r"summary\.json does not match summary\.schema\.json"):
        validate_summary({"schema_version": 1})


# --- results ----------------------------------------------------------------------------------


def test_save_results_converts_and_writes(tmp_path):
    frame = pd.DataFrame({"step": ["view", "buy"], "users": np.array([10, 4])})
    data = {
        "rate": np.float64(0.25),
        "n": np.int64(3),
        "gap": float("nan"),
        "when": pd.Timestamp("2026-10-01 08:00", tz="Europe/Berlin"),
        "day": date(2026, 10, 1),
        "steps": frame,
        "ok": np.bool_(True),
        "name": "Демо",
    }
    path = tmp_path / "deep" / "x.results.json"
    written = save_results(data, path)
    assert written == {
        "rate": 0.25,
        "n": 3,
        "gap": None,
        "when": "2026-10-01T08:00:00+02:00",
        "day": "2026-10-01",
        "steps": [{"step": "view", "users": 10}, {"step": "buy", "users": 4}],
        "ok": True,
        "name": "Демо",
    }
    assert load_results(path) == written
    assert '"Демо"' in path.read_text(encoding="utf-8")  # ensure_ascii=False
    assert "\n  " in path.read_text(encoding="utf-8")  # indent 2


def test_save_results_with_empty_path_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert save_results({"n": np.int64(1)}, "") == {"n": 1}
    assert list(tmp_path.iterdir()) == []


def test_results_errors_name_the_value_and_fix(tmp_path):
    with pytest.raises(ReportError, match=r"`results.a\[1\]` is a object, which has no JSON form"):
        to_jsonable({"a": [1, object()]})
    with pytest.raises(ReportError, match="save_results needs a dict of results, but a list"):
        save_results([1], "")
    with pytest.raises(ReportError, match="no results file; the notebook must end with"):
        load_results(tmp_path / "none.json")


# --- real kernels -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_run(tmp_path_factory):
    """One real run of three tiny notebooks: fast (ok), broken (raises in cell 2), after (ok)."""
    tmp = tmp_path_factory.mktemp("real")
    notebooks = tmp / "nbs"
    fast_notebook(notebooks)
    broken_notebook(notebooks)
    after_notebook(notebooks)
    client = write_client(tmp / "client")
    lines: list[str] = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FUNNELKIT_REPORTS_DIR", str(tmp / "reports"))
        result = run_client(client, notebooks=notebooks, parameters={"n": 2}, log=lines.append)
    return result, lines


@pytest.mark.e2e
def test_real_run_failing_notebook_is_saved_rendered_and_others_run(real_run):
    result, lines = real_run
    folder = result.report_dir
    assert result.status == "failed"
    executed = nbformat.read(folder / "10_broken.ipynb", as_version=4)
    failing = [
        c for c in executed.cells if any(o.output_type == "error" for o in c.get("outputs", []))
    ]
    assert len(failing) == 1
    assert result.failures == [
        Failure("10_broken", failing[0].execution_count, "ValueError: planted failure")
    ]
    page = (folder / "10_broken.html").read_text(encoding="utf-8")
    assert "planted failure" in page and "Traceback" in page
    assert load_results(folder / "20_after.results.json") == {"after": True}
    assert load_results(folder / "00_fast.results.json") == {"value": 42, "n": 2, "rate": 0.5}
    # one line per notebook as each finishes (they run in parallel: any order)
    status = {line.split()[1]: line for line in lines if line.startswith("  ")}
    assert {name: line.split()[0] for name, line in status.items()} == {
        "00_fast": "ok",
        "10_broken": "failed",
        "20_after": "ok",
    }
    assert "10_broken cell" in status["10_broken"]
    assert "ValueError: planted failure" in status["10_broken"]


@pytest.mark.e2e
def test_real_run_leaves_the_working_directory_alone(real_run):
    """Notebooks run in parallel threads: none may change the process's working directory."""
    result, _ = real_run
    assert Path.cwd() != result.report_dir
    assert not Path.cwd().is_relative_to(result.report_dir.parent)


@pytest.mark.e2e
def test_real_run_summary_index_and_html(real_run):
    result, _ = real_run
    folder = result.report_dir
    summary = json.loads(result.summary_path.read_text(encoding="utf-8"))
    validate_summary(summary)
    assert [nb["status"] for nb in summary["notebooks"]] == ["ok", "failed", "ok"]
    assert summary["notebooks"][1]["error"]["ename"] == "ValueError"
    assert summary["notebooks"][1]["error"]["evalue"] == "planted failure"
    assert summary["results"] == {
        "00_fast": {"value": 42, "n": 2, "rate": 0.5},
        "10_broken": None,
        "20_after": {"after": True},
    }
    assert summary["run"]["status"] == "failed"
    index = (folder / "index.html").read_text(encoding="utf-8")
    assert index.count("✓") == 2 and index.count("✗") == 1
    assert 'href="00_fast.html"' in index and "Fast notebook" in index
    page = (folder / "00_fast.html").read_text(encoding="utf-8")
    assert "value is 42" in page
    assert "value = n * 21" not in page  # code hidden by default
    assert "save_results" not in page  # remove-cell dropped
    assert 'href="#Part-A"' in page  # table of contents
