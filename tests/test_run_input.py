"""``funnelkit run`` refuses bad input before the first notebook: exit 2, whole message, no folder.

Also the faults around the report folder: an impossible or unwritable output folder, two clients
whose names give the same folder, a slug leading outside, and an interrupted run. Notebook
execution is replaced by a recording fake (no kernel), so each case takes milliseconds.
"""

from __future__ import annotations

import io
import itertools
import json
import time
from pathlib import Path

import nbformat
import pandas as pd
import papermill
import pytest
from click.testing import CliRunner

from funnelkit.core.errors import ConfigError
from funnelkit.presentation.results import save_results
from funnelkit.run import execute, outputs
from funnelkit.run.cli import main

PARAMS = (
    'client_dir: str = ""  # client folder\n'
    'results_path: str = ""  # results file\n'
    "n: int = 2  # how many things\n"
)

SPEND = "date,channel,cost\n2026-10-01,search,1.5\n2026-10-02,social,2\n"
ORDERS = "order_id,customer_id,timestamp,revenue\n"


def write_notebook(path: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    params = nbformat.v4.new_code_cell(PARAMS)
    params.metadata.tags = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell(f"# {path.stem}"), params]
    nb.cells.append(nbformat.v4.new_code_cell("print(n)"))
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("FUNNELKIT_REPORTS_DIR", str(tmp_path / "reports"))
    monkeypatch.setenv("FUNNELKIT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def notebooks(tmp_path):
    folder = tmp_path / "nbs"
    for stem in ("00_first", "01_second", "02_third"):
        write_notebook(folder / f"{stem}.ipynb")
    return folder


class Calls(list):
    """(notebook, start, end) of each fake execution; ``interrupt_at`` names notebooks to stop."""

    interrupt_at: list[str]


@pytest.fixture
def ran(monkeypatch):
    """Fake execution: records (notebook, start, end); sleeps a little so overlaps show."""
    calls = Calls()
    interrupt_at: list[str] = []

    def fake(input_path, output_path, parameters=None, **options):
        start = time.monotonic()
        if Path(input_path).stem in interrupt_at:
            raise KeyboardInterrupt
        nb = nbformat.read(input_path, as_version=4)
        time.sleep(0.3)
        nbformat.write(nb, output_path)
        save_results({"n": parameters.get("n")}, parameters["results_path"])
        calls.append((Path(input_path).stem, start, time.monotonic()))
        return nb

    monkeypatch.setattr(papermill, "execute_notebook", fake)
    monkeypatch.setattr(execute, "RETRY_DELAYS", (0.0, 0.0, 0.0))
    calls.interrupt_at = interrupt_at
    return calls


def write_client(
    folder: Path, *, name: str | None = None, extra: str = "", **files: str | bytes
) -> Path:
    (folder / "data").mkdir(parents=True, exist_ok=True)
    files = files or {"spend.csv": SPEND}
    for file_name, content in files.items():
        target = folder / "data" / file_name
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    tables = "".join(
        f"  {Path(f).stem}: {{path: data/{f}}}\n" for f in files if not f.startswith("_")
    )
    (folder / "client.yaml").write_text(
        f"client: {name or folder.name.title()}\nperiod: {{start: 2026-10-01, end: 2026-10-07}}\n"
        "data:\n" + tables + extra,
        encoding="utf-8",
    )
    return folder


def run(*args, notebooks: Path):
    return CliRunner().invoke(main, ["run", *map(str, args), "--notebooks", str(notebooks)])


def assert_refused(result, calls, tmp_path, *messages: str) -> None:
    """Exit 2, the whole message, no traceback, no notebook ran, no report folder."""
    assert result.exit_code == 2, result.output
    for message in messages:
        assert message in result.output
    assert "Traceback" not in result.output
    assert calls == []
    assert not list((tmp_path / "reports").glob("*/*")), "no report folder for refused input"


# --- data and parameters: refused before any notebook ------------------------------------------

BAD_DATA = {
    "leads without a channel": (
        {
            "leads.csv": "lead_id,created_at,channel\nl1,2026-10-01 10:00,email\n"
            "l2,2026-10-01 11:00,\nl3,2026-10-02 09:00,\n"
        },
        ["leads.csv: 2 rows (lines 3, 4) have no value in required column 'channel'"],
    ),
    "a duplicate order id": (
        {
            "orders.csv": "order_id,customer_id,timestamp,revenue\no1,u1,2026-10-01,5\n"
            "o1,u2,2026-10-02,6\n"
        },
        ["orders.csv: 2 rows (lines 2, 3) share a value of 'order_id'"],
    ),
    "NPS 11": (
        {"nps.csv": "respondent_id,timestamp,score\nr1,2026-10-01,9\nr2,2026-10-01,11\n"},
        ["nps.csv: 1 row (line 3) in column 'score'", "between 0 and 10"],
    ),
    "a customer id written NULL": (
        {
            "orders.csv": "order_id,customer_id,timestamp,revenue\no1,NULL,2026-10-01,5\n"
            "o2,u2,2026-10-02,6\n"
        },
        ["orders.csv: 1 row (line 2)", "'customer_id'"],
    ),
    "a revenue of 1e309": (
        {
            "orders.csv": "order_id,customer_id,timestamp,revenue\no1,u1,2026-10-01,1e309\n"
            "o2,u2,2026-10-02,6\n"
        },
        ["orders.csv: 1 row (line 2) in column 'revenue'"],
    ),
    "decimal commas": (
        {"orders.csv": ORDERS.replace(",", ";") + "o1;u1;2026-10-01;12,5\no2;u2;2026-10-02;3,75\n"},
        ["orders.csv: 2 rows (lines 2, 3) in column 'revenue'", "`data.orders.decimal: ','`"],
    ),
    "thousands separators": (
        {"orders.csv": ORDERS + 'o1,u1,2026-10-01,1 200\no2,u2,2026-10-02,"1,200"\n'},
        ["orders.csv: 2 rows (lines 2, 3) in column 'revenue'", "`data.orders.thousands"],
    ),
    "currency signs": (
        {"orders.csv": ORDERS + "o1,u1,2026-10-01,€12.50\no2,u2,2026-10-02,EUR 5\n"},
        ["in column 'revenue'", "`data.orders.currency_signs: true`"],
    ),
    "a 30-digit number": (
        {"orders.csv": ORDERS + "o1,u1,2026-10-01,123456789012345678901234567890\n"},
        ["orders.csv: 1 row (line 2) in column 'revenue' are 1e15 or more in absolute value"],
    ),
    "day-first dates": (
        {"orders.csv": ORDERS + "o1,u1,31.12.2026 14:05,1\no2,u2,01.10.2026 09:00,2\n"},
        ["in column 'timestamp'", "`data.orders.timestamp_format: '%d.%m.%Y %H:%M'`"],
    ),
    "Unix epoch seconds": (
        {"orders.csv": ORDERS + "o1,u1,1790000000,1\no2,u2,1790003600,2\n"},
        ["Unix time in seconds", "`data.orders.timestamp_unit: s`"],
    ),
    "a cp1251 file": (
        {"spend.csv": (SPEND + "2026-10-03,Почта,10\n").encode("cp1251")},
        ["spend.csv: is not UTF-8 text", "it looks like cp1251", "`data.spend.encoding: cp1251`"],
    ),
    "ragged rows": (
        {"spend.csv": SPEND + "2026-10-03,paid,search,5\n2026-10-04\n"},
        ["spend.csv: 2 rows (lines 4, 5) cannot be split into the header's 3 fields"],
    ),
    "a 0-byte file": ({"spend.csv": b""}, ["spend.csv: the file is empty (0 bytes)"]),
    "a totals line": (
        {"spend.csv": "date;channel;cost\n2026-10-01;email;10\nTotal:;;10\n"},
        ["spend.csv: line 3 looks like a totals line", "`data.spend.skip_footer: 1`"],
    ),
    "a corrupt Parquet file": (
        {"_events.parquet": "PAR1 this is not really parquet PAR1"},
        ["events.parquet"],
    ),
}


@pytest.mark.parametrize("case", BAD_DATA, ids=list(BAD_DATA))
def test_bad_data_is_refused_before_any_notebook(case, tmp_path, notebooks, ran):
    files, messages = BAD_DATA[case]
    extra = ""
    if "_events.parquet" in files:
        extra = "  events: {path: data/_events.parquet}\n"
    client = write_client(tmp_path / "acme", extra=extra, **files)
    result = run(client, notebooks=notebooks)
    assert_refused(result, ran, tmp_path, *messages)


def test_an_unknown_currency_stops_the_run(tmp_path, notebooks, ran):
    client = write_client(tmp_path / "acme", extra="currency: EUD\n")
    result = run(client, notebooks=notebooks)
    assert_refused(result, ran, tmp_path, "'EUD' is not an ISO 4217 currency code", "'EUR'?")


def test_a_missing_excel_sheet_stops_the_run(tmp_path, notebooks, ran):
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer) as writer:
        pd.DataFrame({"date": ["2026-10-01"], "channel": ["seo"], "cost": [1]}).to_excel(
            writer, sheet_name="Spend", index=False
        )
    client = write_client(tmp_path / "acme", **{"_spend.xlsx": buffer.getvalue()})
    text = (client / "client.yaml").read_text(encoding="utf-8")
    text += "  spend: {path: data/_spend.xlsx, sheet: Spnd}\n"
    (client / "client.yaml").write_text(text, encoding="utf-8")
    result = run(client, notebooks=notebooks)
    assert_refused(result, ran, tmp_path, "_spend.xlsx: has no sheet 'Spnd'", "'Spend'")


def test_wrong_parameter_type_in_client_yaml_stops_the_run(tmp_path, notebooks, ran):
    client = write_client(tmp_path / "acme", extra="parameters:\n  01_second: {n: lots}\n")
    result = run(client, notebooks=notebooks)
    assert_refused(result, ran, tmp_path, "01_second.ipynb: parameter `n` expects int, but 'lots'")


def test_wrong_parameter_type_on_the_command_line_stops_the_run(tmp_path, notebooks, ran):
    client = write_client(tmp_path / "acme")
    result = run(client, "-p", "n", "x", notebooks=notebooks)
    assert_refused(result, ran, tmp_path, "parameter `n` expects int, but 'x' (str)")
    # every notebook's problem is listed, not only the first
    assert all(f"{stem}.ipynb: parameter `n`" in result.output for stem in ("00_first", "02_third"))


def test_bad_input_status_carries_the_whole_message(tmp_path, notebooks, ran):
    client = write_client(
        tmp_path / "acme",
        **{"nps.csv": "respondent_id,timestamp,score\nr1,2026-10-01,11\nr2,2026-10-40,3\n"},
    )
    status_file = tmp_path / "status.json"
    result = CliRunner().invoke(
        main, ["run", str(client), "--json-status", str(status_file), "--notebooks", str(notebooks)]
    )
    assert result.exit_code == 2
    status = json.loads(status_file.read_text(encoding="utf-8"))
    assert status["status"] == "bad input"
    assert status["message"].startswith("2 problem(s) in Acme's data; nothing was loaded:")
    assert "line 3" in status["message"] and "line 2" in status["message"]
    # the one-line headline is a problem itself, not "2 problem(s) …"
    assert status["failures"][0].startswith("nps.csv: 1 row")
    assert status["failures"][0].endswith("(and 1 more problem)")


# --- report folders ----------------------------------------------------------------------------


def test_two_clients_with_the_same_slug_never_share_a_folder(tmp_path, notebooks, ran):
    first = write_client(tmp_path / "clients" / "a", name="Acme Shop")
    second = write_client(tmp_path / "clients" / "b", name="ACME shop!")
    assert run(first, notebooks=notebooks).exit_code == 0
    before = sorted(p.name for p in (tmp_path / "reports" / "acme-shop").iterdir())
    calls = len(ran)
    result = run(second, notebooks=notebooks)
    assert result.exit_code == 2
    assert "already holds the reports of 'Acme Shop'" in result.output
    assert "Give this client its own `slug:`" in result.output
    assert len(ran) == calls
    assert sorted(p.name for p in (tmp_path / "reports" / "acme-shop").iterdir()) == before
    # with its own slug it runs, in its own folder
    text = (second / "client.yaml").read_text(encoding="utf-8")
    (second / "client.yaml").write_text(text + "slug: acme-shop-2\n", encoding="utf-8")
    assert run(second, notebooks=notebooks).exit_code == 0
    assert (tmp_path / "reports" / "acme-shop-2").is_dir()


@pytest.mark.parametrize("slug", ["../../x", "a/b", ".hidden", ".."])
def test_a_slug_never_leads_outside_the_output_folder(slug, tmp_path):
    with pytest.raises(ConfigError, match="slug"):
        outputs.claim_client_folder(
            tmp_path / "reports", slug, client="X", client_dir=tmp_path / "x"
        )
    assert not (tmp_path / "x").exists() and not (tmp_path.parent / "x").exists()


def test_slug_with_a_path_is_refused_by_the_command(tmp_path, notebooks, ran):
    client = write_client(tmp_path / "acme", extra="slug: ../../x\n")
    result = run(client, notebooks=notebooks)
    assert_refused(result, ran, tmp_path, "slug")
    assert not (tmp_path.parent / "x").exists()


def test_an_impossible_output_folder_is_a_sentence(tmp_path, notebooks, ran):
    client = write_client(tmp_path / "acme")
    (tmp_path / "a-file").write_text("x", encoding="utf-8")
    result = run(client, "--output-dir", tmp_path / "a-file" / "reports", notebooks=notebooks)
    assert_refused(result, ran, tmp_path, "is a file, not a folder. Pass --output-dir")


def test_an_unwritable_output_folder_is_a_sentence(tmp_path, notebooks, ran, monkeypatch):
    client = write_client(tmp_path / "acme")
    locked = tmp_path / "locked"
    original = Path.mkdir

    def mkdir(self, *args, **kwargs):  # as a read-only folder answers (root ignores chmod)
        if self.is_relative_to(locked):
            raise PermissionError(13, "Permission denied", str(self))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", mkdir)
    result = run(client, "--output-dir", locked, notebooks=notebooks)
    assert_refused(result, ran, tmp_path, f"{locked}: reports cannot be written here", "Permission")


# --- parallel chapters and interrupted runs ------------------------------------------------------


def test_chapters_of_one_run_overlap_and_keep_the_report_order(tmp_path, notebooks, ran):
    client = write_client(tmp_path / "acme")
    result = run(client, "--jobs", "2", notebooks=notebooks)
    assert result.exit_code == 0, result.output
    summary = json.loads(next((tmp_path / "reports").glob("*/*/summary.json")).read_text())
    runs = summary["notebooks"]
    assert [r["name"] for r in runs] == ["00_first", "01_second", "02_third"]
    first, second = runs[0], runs[1]
    assert (
        first["started_at"] < second["finished_at"] and second["started_at"] < first["finished_at"]
    )
    with_one_job = run(client, "--jobs", "1", notebooks=notebooks)
    assert with_one_job.exit_code == 0
    later = sorted((tmp_path / "reports" / "acme").glob("*_2/summary.json"))[0]
    serial = json.loads(later.read_text())["notebooks"]
    assert all(a["finished_at"] <= b["started_at"] for a, b in itertools.pairwise(serial))


def test_an_interrupted_run_is_marked_and_never_the_previous_report(tmp_path, notebooks, ran):
    client = write_client(tmp_path / "acme")
    ran.interrupt_at.append("01_second")
    result = run(client, "--jobs", "1", notebooks=notebooks)
    assert result.exit_code == 130
    assert "marked incomplete" in result.output
    folder = tmp_path / "reports" / "acme"
    (interrupted,) = list(folder.glob("20*"))
    assert (interrupted / outputs.INCOMPLETE).is_file()
    assert not (interrupted / "summary.json").exists()
    ran.interrupt_at.clear()
    again = run(client, notebooks=notebooks)
    assert again.exit_code == 0, again.output
    newest = max(folder.glob("20*_2"))
    assert json.loads((newest / "summary.json").read_text())["run"]["previous_report"] is None
    assert not (newest / outputs.INCOMPLETE).exists()
    assert "previous" not in (newest / "index.html").read_text(encoding="utf-8").lower()
