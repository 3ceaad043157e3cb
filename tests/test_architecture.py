"""The architecture as tests: layers that only look down, no import cycles, nothing hidden.

The layer contracts live in ``pyproject.toml`` (``[tool.importlinter]``) and are drawn in
``docs/architecture.md``; here they are run (``lint-imports``), shown to fail on a wrong-way import,
and completed by what import-linter does not check: cycles between modules of one package, imports
tucked inside functions, façades whose names no longer resolve, and module length.
"""

from __future__ import annotations

import ast
import importlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "funnelkit"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

#: Imports inside functions that are allowed, and why: none of them dodges a cycle (the graph
#: below is acyclic with them counted); each keeps a start-up fast.
FUNCTION_IMPORTS_ALLOWED = {
    "funnelkit/run/cli.py": "each command imports what it runs, so `funnelkit --help` and "
    "`funnelkit check` start without loading papermill, pandas and the analyses",
    "funnelkit/funnel/engine_fast.py": "the numpy sweep (and numpy) load in a thread while DuckDB "
    "scans, off the clock (bench/README.md); the function only binds the loaded module",
}
#: Longest module, in lines (the style guide's "~400").
MAX_LINES = 400
#: Packages whose ``__all__`` is public API (README, notebooks).
FACADES = [
    "funnelkit",
    "funnelkit.core.stats",
    "funnelkit.metrics",
    "funnelkit.stages",
    "funnelkit.funnel",
    "funnelkit.abtest",
    "funnelkit.value",
    "funnelkit.presentation.metrics",
    "funnelkit.presentation.stages",
    "funnelkit.presentation.funnel",
    "funnelkit.presentation.abtest",
    "funnelkit.presentation.accounts",
    "funnelkit.presentation.value",
]


def _lint_imports(cwd: Path, pythonpath: Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    command = [str(LINT_IMPORTS), "--config", str(REPO / "pyproject.toml"), "--no-cache"]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)


def test_import_contracts_are_kept() -> None:
    done = _lint_imports(REPO)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "BROKEN" not in done.stdout and "kept, 0 broken" in done.stdout


def test_a_wrong_way_import_fails_naming_it(tmp_path: Path) -> None:
    copy = tmp_path / "funnelkit"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    formatting = copy / "core" / "formatting.py"
    formatting.write_text(formatting.read_text() + "\nfrom funnelkit.run import cli  # noqa\n")
    done = _lint_imports(tmp_path, pythonpath=tmp_path)
    assert done.returncode != 0
    assert "funnelkit.core is not allowed to import funnelkit.run" in done.stdout
    assert "funnelkit.core.formatting -> funnelkit.run.cli" in done.stdout


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected sets of more than one module (Tarjan, iterative)."""
    edges = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            if i < len(edges[node]):
                work.append((node, i + 1))
                nxt = edges[node][i]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if low[node] == index[node]:
                part = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    part.append(member)
                    if member == node:
                        break
                if len(part) > 1:
                    found.append(sorted(part))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return found


def test_cycle_finder_finds_a_cycle() -> None:
    graph = grimp.ImportGraph()
    for a, b in [("p.a", "p.b"), ("p.b", "p.c"), ("p.c", "p.a"), ("p.c", "p.d")]:
        graph.add_import(importer=a, imported=b)
    assert _cycles(graph) == [["p.a", "p.b", "p.c"]]


def test_no_import_cycles_between_modules() -> None:
    """Counting every import that runs, also inside functions and a package's own ``__init__``.

    Imports under ``if TYPE_CHECKING:`` never run; they are left out here (the layer contracts
    still check their direction).
    """
    graph = grimp.build_graph("funnelkit", exclude_type_checking_imports=True, cache_dir=None)
    assert _cycles(graph) == []


def _function_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.ImportFrom) and (
                node.level or (node.module or "").startswith("funnelkit")
            ):
                found.append(f"{function.name}: line {node.lineno}")
            elif isinstance(node, ast.Import) and any(
                alias.name.startswith("funnelkit") for alias in node.names
            ):
                found.append(f"{function.name}: line {node.lineno}")
    return found


def test_no_funnelkit_imports_inside_functions() -> None:
    hidden = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(REPO).as_posix()
        if relative not in FUNCTION_IMPORTS_ALLOWED and (found := _function_imports(path)):
            hidden[relative] = found
    assert hidden == {}, "import at module level (a cycle means a layer is wrong): " + str(hidden)


@pytest.mark.parametrize("name", FACADES)
def test_every_public_name_resolves(name: str) -> None:
    module = importlib.import_module(name)
    missing = [item for item in module.__all__ if not hasattr(module, item)]
    assert missing == []


def test_lazy_exports_stay_inside_their_package() -> None:
    """A façade's lazy ``_LAZY`` map may only name its own submodules (no hidden layer jump)."""
    for init in PACKAGE.rglob("__init__.py"):
        for node in ast.walk(ast.parse(init.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "_LAZY" for t in node.targets
            ):
                targets = ast.literal_eval(node.value).values()
                outside = [
                    t for t in targets if not (init.parent / f"{t.replace('.', '/')}.py").is_file()
                ]
                assert outside == [], f"{init}: {outside}"


def test_modules_stay_short() -> None:
    long = {
        path.relative_to(REPO).as_posix(): n
        for path in PACKAGE.rglob("*.py")
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}, f"split these modules (over {MAX_LINES} lines): {long}"
