"""Per-client chapters: ``report.chapters.exclude`` and a client folder's own notebooks.

The runs execute tiny generated notebooks with a real kernel (a few seconds each); the refusals
stop before any kernel starts.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
import yaml
from click.testing import CliRunner

from funnelkit.data.config import load_config
from funnelkit.run.cli import main

PARAMS = (
    'client_dir: str = ""  # client folder holding client.yaml\n'
    'results_path: str = ""  # where this notebook writes its results\n'
)
SAVE = "from funnelkit.presentation.results import save_results\n"
SPEND = "date,channel,cost\n2026-10-01,search,1.5\n2026-10-02,social,2\n"


def write_notebook(path: Path, *cells: str, params: str | None = PARAMS, title: str = "") -> Path:
    """A notebook: a markdown H1 (when given), a ``parameters`` cell (unless None), code cells."""
    nb = nbformat.v4.new_notebook()
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells.append(nbformat.v4.new_markdown_cell(f"# {title or path.stem}"))
    if params is not None:
        cell = nbformat.v4.new_code_cell(params)
        cell.metadata.tags = ["parameters"]
        nb.cells.append(cell)
    nb.cells += [nbformat.v4.new_code_cell(source) for source in cells]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("FUNNELKIT_REPORTS_DIR", str(tmp_path / "reports"))
    monkeypatch.setenv("FUNNELKIT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def bundled(tmp_path) -> Path:
    """Stand-ins for the bundled chapters: three tiny notebooks that save their name."""
    folder = tmp_path / "nbs"
    for stem in ("00_data_health", "01_pick_metrics", "04_ab_test"):
        write_notebook(
            folder / f"{stem}.ipynb", SAVE + f"save_results({{'me': {stem!r}}}, results_path)"
        )
    return folder


def client(tmp_path: Path, **config) -> Path:
    folder = tmp_path / "acme"
    (folder / "data").mkdir(parents=True, exist_ok=True)
    (folder / "data" / "spend.csv").write_text(SPEND, encoding="utf-8")
    document = {
        "client": "Acme",
        "period": {"start": "2026-10-01", "end": "2026-10-07"},
        "data": {"spend": {"path": "data/spend.csv"}},
        **config,
    }
    (folder / "client.yaml").write_text(yaml.safe_dump(document), encoding="utf-8")
    return folder


def run(folder: Path, notebooks: Path):
    args = ["run", str(folder), "--notebooks", str(notebooks), "--jobs", "2"]
    return CliRunner().invoke(main, args)


def report(tmp_path: Path) -> tuple[Path, dict]:
    (folder,) = [p for p in (tmp_path / "reports").glob("acme/*") if p.is_dir()]
    return folder, json.loads((folder / "summary.json").read_text(encoding="utf-8"))


def assert_refused(result, tmp_path: Path, *messages: str) -> None:
    assert result.exit_code == 2, result.output
    for message in messages:
        assert message in result.output
    assert "Traceback" not in result.output
    assert not list((tmp_path / "reports").glob("*/*")), "no report folder for refused input"


def test_excluded_chapter_is_not_run(tmp_path, bundled):
    folder = client(tmp_path, report={"chapters": {"exclude": ["04_ab_test"]}})
    result = run(folder, bundled)
    assert result.exit_code == 0, result.output
    report_dir, summary = report(tmp_path)
    assert [n["name"] for n in summary["notebooks"]] == ["00_data_health", "01_pick_metrics"]
    assert list(summary["results"]) == ["00_data_health", "01_pick_metrics"]
    index = (report_dir / "index.html").read_text(encoding="utf-8")
    assert "00_data_health.html" in index and "01_pick_metrics.html" in index
    assert "04_ab_test" not in index
    assert not list(report_dir.glob("04_ab_test*"))


def test_custom_notebooks_run_after_the_bundled_ones_with_injected_parameters(tmp_path, bundled):
    folder = client(
        tmp_path,
        report={"chapters": {"exclude": ["01_pick_metrics", "04_ab_test"]}},
        parameters={"90_extras": {"n": 5}},
    )
    write_notebook(
        folder / "notebooks" / "90_extras.ipynb",
        SAVE + "save_results({'client_dir': client_dir, 'results_path': results_path, 'n': n}, "
        "results_path)",
        params=PARAMS + "n: int = 1  # how many\n",
        title="Acme extras",
    )
    write_notebook(folder / "notebooks" / "91_broken.ipynb", "raise ValueError('custom boom')")
    result = run(folder, bundled)
    assert result.exit_code == 1, result.output  # a failing custom chapter fails the run
    report_dir, summary = report(tmp_path)
    runs = {n["name"]: n for n in summary["notebooks"]}
    assert list(runs) == ["00_data_health", "90_extras", "91_broken"]
    assert [runs[n]["status"] for n in runs] == ["ok", "ok", "failed"]
    assert "custom boom" in runs["91_broken"]["error"]["evalue"]
    extras = summary["results"]["90_extras"]
    assert extras["client_dir"] == str(folder.resolve())
    assert extras["results_path"] == str(report_dir / "90_extras.results.json")
    assert extras["n"] == 5
    assert summary["parameters"]["90_extras"]["n"] == 5
    index = (report_dir / "index.html").read_text(encoding="utf-8")
    assert index.index("00_data_health.html") < index.index("90_extras.html")
    assert "Acme extras" in index and "91_broken" in index
    assert (report_dir / "90_extras.html").is_file()


def test_custom_notebook_without_parameters_cell_is_refused(tmp_path, bundled):
    folder = client(tmp_path)
    path = write_notebook(folder / "notebooks" / "90_extras.ipynb", "print(1)", params=None)
    assert_refused(run(folder, bundled), tmp_path, str(path), "no cell tagged `parameters`")


def test_custom_notebook_must_declare_the_injected_parameters(tmp_path, bundled):
    folder = client(tmp_path)
    write_notebook(folder / "notebooks" / "90_extras.ipynb", params='client_dir: str = ""\n')
    assert_refused(run(folder, bundled), tmp_path, "does not declare ['results_path']")


def test_custom_notebook_parameter_of_wrong_type_is_refused(tmp_path, bundled):
    folder = client(tmp_path, parameters={"90_extras": {"n": "five"}})
    write_notebook(folder / "notebooks" / "90_extras.ipynb", params=PARAMS + "n: int = 1\n")
    assert_refused(
        run(folder, bundled), tmp_path, "90_extras.ipynb: parameter `n` expects int, but 'five'"
    )


def test_unknown_chapter_name_is_refused_with_did_you_mean(tmp_path, bundled):
    folder = client(tmp_path, report={"chapters": {"exclude": ["04_ab_tset"]}})
    assert_refused(
        run(folder, bundled),
        tmp_path,
        "`report.chapters.exclude` names '04_ab_tset', which is no chapter",
        "Did you mean '04_ab_test'?",
    )


def test_listed_notebook_that_does_not_exist_is_refused(tmp_path, bundled):
    folder = client(tmp_path, report={"notebooks": ["extra/churn.ipynb"]})
    assert_refused(run(folder, bundled), tmp_path, "`report.notebooks` lists 'extra/churn.ipynb'")


def test_report_section_rejects_unknown_keys(tmp_path, bundled):
    folder = client(tmp_path, report={"chapters": {"skip": ["04_ab_test"]}})
    assert_refused(
        run(folder, bundled), tmp_path, "unknown key `report.chapters.skip`", "'exclude'"
    )


def test_new_client_template_explains_custom_chapters(tmp_path):
    result = CliRunner().invoke(main, ["new", "Beta Shop", "--dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    folder = tmp_path / "beta-shop"
    readme = (folder / "notebooks" / "README.md").read_text(encoding="utf-8")
    for needed in ("parameters", "client_dir", "results_path", "save_results"):
        assert needed in readme
    assert not list((folder / "notebooks").glob("*.ipynb")), "no stub chapter runs by default"
    text = (folder / "client.yaml").read_text(encoding="utf-8")
    assert load_config(folder, check_files=False).report.chapters.exclude == []
    # The commented example under `report: {}`, uncommented, is a valid `report:` section.
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("report: {}"))
    body = []
    for line in lines[start + 1 :]:
        if not line.startswith("#  "):
            break
        body.append(line.removeprefix("#").split(" #")[0])
    example = yaml.safe_load("report:\n" + "\n".join(body))
    document = yaml.safe_load(text) | example
    (folder / "client.yaml").write_text(yaml.safe_dump(document), encoding="utf-8")
    report_config = load_config(folder, check_files=False).report
    assert report_config.chapters.exclude == ["04_ab_test"]
    assert report_config.notebooks == ["notebooks/*.ipynb"]


def test_exclude_is_checked_against_the_bundled_chapters(tmp_path):
    folder = client(tmp_path, report={"chapters": {"exclude": ["04_abtest"]}})
    result = CliRunner().invoke(main, ["run", str(folder)])
    assert_refused(result, tmp_path, "'04_abtest'", "Did you mean '04_ab_test'?")
