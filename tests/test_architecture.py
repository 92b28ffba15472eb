"""Layout rules: the import graph of services/ and the operator has no cycle.

The graph is built from the source (AST), so imports inside functions and under
`if TYPE_CHECKING:` count as edges too: a function-level import that dodges a cycle at
run time is still a cycle in the design.

`python -m tests.test_architecture [TREE]` reports on another checkout (e.g. /work/main)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

from tests.fixtures import pyast

ROOT = Path(__file__).resolve().parent.parent
# (directory on sys.path, package directory below it)
TREES = (("", "services"), ("operator", "kubemail_operator"))

Graph = dict[str, set[str]]


def module_files(root: Path = ROOT) -> dict[str, Path]:
    """Dotted module name -> source file, for every module of the checked trees."""
    out: dict[str, Path] = {}
    for base, package in TREES:
        top = root / base if base else root
        for path in sorted((top / package).rglob("*.py")):
            parts = list(path.relative_to(top).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = path
    return out


def _base(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    """The absolute module a `from ... import` statement reads from."""
    if not node.level:
        return node.module or ""
    package = module.split(".") if is_package else module.split(".")[:-1]
    package = package[: len(package) - (node.level - 1)]
    return ".".join([*package, node.module] if node.module else package)


def _targets(node: ast.Import | ast.ImportFrom, module: str, is_package: bool, files: set[str]) -> set[str]:
    """Checked modules one import statement depends on: `from pkg import mod` on pkg.mod,
    `from mod import attr` on mod, `import a.b` on a.b."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names if alias.name in files}
    base = _base(node, module, is_package)
    out: set[str] = set()
    for alias in node.names:
        sub = f"{base}.{alias.name}"
        if sub in files:
            out.add(sub)
        elif base in files:
            out.add(base)
    return out


def import_graph(root: Path = ROOT) -> Graph:
    files = module_files(root)
    graph: Graph = {name: set() for name in files}
    for name, path in files.items():
        tree = pyast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                graph[name] |= _targets(node, name, path.name == "__init__.py", set(files)) - {name}
    return graph


def tangles(graph: Graph) -> list[set[str]]:
    """Strongly connected components of more than one module (Tarjan): modules that all
    reach each other through imports."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp: set[str] = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                components.append(comp)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return components


def cycles(graph: Graph) -> list[list[str]]:
    """One concrete cycle per tangle, as a path that starts and ends at its smallest module."""
    return [_cycle_in(graph, comp) for comp in tangles(graph)]


def _cycle_in(graph: Graph, comp: set[str]) -> list[str]:
    """Shortest cycle through the component's smallest module (breadth-first)."""
    start = min(comp)
    prev: dict[str, str] = {}
    queue = [start]
    while queue:
        v = queue.pop(0)
        for w in sorted(graph[v] & comp):
            if w == start:
                path = [v]
                while path[-1] != start:
                    path.append(prev[path[-1]])
                return [*reversed(path), start]
            if w not in prev:
                prev[w] = v
                queue.append(w)
    raise AssertionError(f"no cycle through {start} in {sorted(comp)}")


def function_level_imports(root: Path = ROOT) -> list[str]:
    """`module:line -> target` for every import of a checked module inside a function body."""
    files = module_files(root)
    out: list[str] = []
    for name, path in files.items():
        tree = pyast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for fn in ast.walk(tree):
            if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(fn):
                if isinstance(node, ast.Import | ast.ImportFrom):
                    for target in sorted(_targets(node, name, path.name == "__init__.py", set(files))):
                        out.append(f"{name}:{node.lineno} -> {target}")
    return sorted(set(out))


def test_graph_sees_the_modules_and_their_imports() -> None:
    graph = import_graph()
    assert "services.imap.session" in graph
    assert "kubemail_operator.reconcile" in graph
    assert "services.common.grpcclient" in graph["kubemail_operator.reconcile"]


def test_cycle_finder_names_the_cycle() -> None:
    graph: Graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_function_level_and_type_checking_imports_are_edges(tmp_path: Path) -> None:
    pkg = tmp_path / "services" / "x"
    pkg.mkdir(parents=True)
    (tmp_path / "services" / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("def f():\n    from services.x import b\n")
    (pkg / "b.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .a import f\n")
    graph = import_graph(tmp_path)
    assert graph["services.x.a"] == {"services.x.b"} and graph["services.x.b"] == {"services.x.a"}
    assert cycles(graph) == [["services.x.a", "services.x.b", "services.x.a"]]
    assert function_level_imports(tmp_path) == ["services.x.a:2 -> services.x.b"]


def test_no_import_cycles() -> None:
    graph = import_graph()
    found = _describe(graph)
    assert not found, "import cycles:\n" + "\n".join(found)


def _describe(graph: Graph) -> list[str]:
    return [
        " -> ".join(_cycle_in(graph, comp)) + f"\n  (tangled with each other: {', '.join(sorted(comp))})"
        for comp in tangles(graph)
    ]


def test_no_function_level_imports_of_our_modules() -> None:
    """Dependencies are declared at the top of a module, where the cycle check sees them
    and where a reader looks; an import inside a function is how cycles get hidden."""
    found = function_level_imports()
    assert not found, "imports inside functions:\n" + "\n".join(found)


def _report(root: Path) -> int:
    graph = import_graph(root)
    lines = _describe(graph) + function_level_imports(root)
    print("\n".join(lines) or f"{root}: no import cycles, no function-level imports")
    return 1 if lines else 0


if __name__ == "__main__":
    sys.exit(_report(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT))
