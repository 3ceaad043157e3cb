"""Notebook hygiene: committed without outputs, one `parameters` cell of annotated literals."""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import papermill
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
REQUIRED_PARAMETERS = {"client_dir", "results_path"}


def test_there_are_notebooks():
    assert NOTEBOOKS, "notebooks/ holds no .ipynb files"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    dirty = [
        i
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code" and (c.outputs or c.execution_count)
    ]
    assert not dirty, f"{path.name}: cells {dirty} carry outputs; strip them before committing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_exactly_one_parameters_cell_of_annotated_literals(path):
    nb = nbformat.read(path, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    tree = ast.parse(tagged[0].source)
    names = set()
    for node, line in zip(tree.body, tagged[0].source.splitlines(), strict=True):
        assert isinstance(node, ast.AnnAssign), f"{path.name}: not `name: type = literal`: {line}"
        ast.literal_eval(node.value)  # a literal, so papermill can inspect and override it
        assert "  # " in line, f"{path.name}: parameter line without a help comment: {line}"
        # papermill's inspection cannot parse a help comment containing '='.
        assert "=" not in line.split("  # ", 1)[1], line
        names.add(node.target.id)
    assert REQUIRED_PARAMETERS <= names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_papermill_lists_parameters_with_help(path):
    params = papermill.inspect_notebook(str(path))
    assert all(p["help"] for p in params.values())
    assert params["client_dir"]["inferred_type_name"] == "str"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_story_shape(path):
    """Markdown first, thin code cells, a results cell hidden from the HTML."""
    nb = nbformat.read(path, as_version=4)
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    code = [c for c in nb.cells if c.cell_type == "code"]
    logic = [c for c in code if "parameters" not in c.metadata.get("tags", [])]
    too_long = [c.source for c in logic if len([x for x in c.source.splitlines() if x.strip()]) > 6]
    assert not too_long, f"{path.name}: logic belongs in funnelkit/: {too_long}"
    assert not any(
        line.lstrip().startswith(("def ", "for ", "class "))
        for c in code
        for line in c.source.splitlines()
    )
    assert "save_results" in code[-1].source
    assert "remove-cell" in code[-1].metadata.get("tags", [])
    markdown = sum(c.cell_type == "markdown" for c in nb.cells)
    assert markdown >= len(code) // 2, "each chart or table needs words explaining it"
