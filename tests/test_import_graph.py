"""No import cycle inside the package, counting imports made inside functions too.

The graph is read from the source (``ast``), so an import hidden in a function body, which
Python only runs later, still counts: such cycles break as soon as someone moves the import
to the top. An edge goes to the module named (``from a.b import c`` goes to ``a.b.c`` when
that is a module, else to ``a.b``); the implicit import of parent packages is not an edge.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

PACKAGE = "adviser_analytics"
PACKAGE_DIR = Path(__file__).resolve().parent.parent / PACKAGE


def module_names(root: Path = PACKAGE_DIR) -> dict[str, Path]:
    """Every module of the package by its dotted name (``pkg/__init__.py`` is ``pkg``)."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The package's modules that ``name`` imports anywhere in its source."""
    is_package = path.name == "__init__.py"
    here = name if is_package else name.rpartition(".")[0]
    targets: set[str] = set()

    def known(dotted: str) -> str | None:
        while dotted and dotted not in modules:  # an attribute of a module: the module
            dotted = dotted.rpartition(".")[0]
        return dotted or None

    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == PACKAGE:
                    targets.add(known(alias.name))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here.split(".")
                base = base[: len(base) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            if source.split(".")[0] != PACKAGE:
                continue
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                targets.add(submodule if submodule in modules else known(source))
    targets.discard(None)
    targets.discard(name)
    return targets


def import_graph() -> dict[str, set[str]]:
    modules = module_names()
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as ``[a, b, ..., a]``, or None when the graph is acyclic."""
    state: dict[str, int] = {}  # 1 on the current path, 2 finished
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return path[path.index(target):] + [target]
            if target not in state:
                cycle = visit(target)
                if cycle:
                    return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state:
            cycle = visit(start)
            if cycle:
                return cycle
    return None


def test_the_package_has_no_import_cycle():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_graph_sees_imports_inside_functions_and_relative_imports():
    graph = import_graph()
    # cli/report.py imports the report runner inside its function.
    assert "adviser_analytics.reports" in graph["adviser_analytics.cli.report"]
    # cli/__init__ imports its command modules with ``from adviser_analytics.cli import ...``.
    assert {"adviser_analytics.cli.ingest", "adviser_analytics.cli.demo"} <= graph["adviser_analytics.cli"]
    # reports.py: ``from .errors import ...`` and ``from . import privacy`` are relative.
    assert "adviser_analytics.errors" in graph["adviser_analytics.reports"]


def test_find_cycle_reports_a_cycle_and_accepts_a_tree():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"b2"}, "b2": {"b"}}) == ["b", "b2", "b"]


def test_a_cycle_through_a_function_level_import_is_found(tmp_path):
    package = tmp_path / PACKAGE
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "one.py").write_text("from adviser_analytics.two import thing\n")
    (package / "two.py").write_text("def thing():\n    from . import one\n")
    modules = module_names(package)
    graph = {name: imports_of(name, path, modules) for name, path in modules.items()}
    assert find_cycle(graph) == ["adviser_analytics.one", "adviser_analytics.two",
                                 "adviser_analytics.one"]


@pytest.mark.parametrize("name", sorted(n for n in module_names() if not n.endswith("__main__")))
def test_every_module_imports(name):
    importlib.import_module(name)
