"""Layout rules: the import graph of services/ and the operator has no cycle.

The graph is built from the source (AST), so imports inside functions and under
`if TYPE_CHECKING:` count as edges too: a function-level import that dodges a cycle at
run time is still a cycle in the design."""

from __future__ import annotations

import ast
import os
from pathlib import Path

ROOT = Path(os.environ.get("KUBEMAIL_ARCH_ROOT", Path(__file__).resolve().parent.parent))
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
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                graph[name] |= _targets(node, name, path.name == "__init__.py", set(files)) - {name}
    return graph


def cycles(graph: Graph) -> list[list[str]]:
    """One concrete cycle per strongly connected component of more than one module
    (Tarjan), each as a path that starts and ends at its smallest module name."""
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
    return [_cycle_in(graph, comp) for comp in components]


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
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
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


def test_no_import_cycles() -> None:
    graph = import_graph()
    found = cycles(graph)
    assert not found, "import cycles:\n" + "\n".join(_describe(graph, c) for c in found)


def _describe(graph: Graph, cycle: list[str]) -> str:
    tangled = sorted(_component(graph, cycle[0]))
    return " -> ".join(cycle) + f"\n  (tangled with each other: {', '.join(tangled)})"


def _component(graph: Graph, start: str) -> set[str]:
    """Modules reachable from `start` that also reach it back."""

    def reach(edges: Graph) -> set[str]:
        seen, todo = {start}, [start]
        while todo:
            for w in edges[todo.pop()] - seen:
                seen.add(w)
                todo.append(w)
        return seen

    reverse: Graph = {v: set() for v in graph}
    for v, ws in graph.items():
        for w in ws:
            reverse[w].add(v)
    return reach(graph) & reach(reverse)


def test_no_function_level_imports_of_our_modules() -> None:
    """Dependencies are declared at the top of a module, where the cycle check sees them
    and where a reader looks; an import inside a function is how cycles get hidden."""
    found = function_level_imports()
    assert not found, "imports inside functions:\n" + "\n".join(found)
