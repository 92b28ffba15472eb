"""Invariant 10: no code under services/ or operator/ branches on an error's text.

An AST scan. Error text is `<x>.details()`, and `str(e)` / `repr(e)` / `e.args` of a name bound
by `except ... as e`; a name assigned from an expression holding error text holds it too. Such
text may be logged, formatted or passed on; it may not be compared (`==`, `in`, ...), searched
(`.lower()`, `.startswith()`, `re.search`, ...), or otherwise inspected to choose a branch.
Callers read `MetadataError.reason` / `reason_of(exc)` (and `SaslError.kind`) instead.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures import pyast

ROOT = Path(__file__).resolve().parent.parent
SCANNED = [ROOT / "services", ROOT / "operator"]
SKIPPED = {ROOT / "services" / "gen"}

INSPECT = {
    "lower", "upper", "casefold", "startswith", "endswith", "find", "rfind", "index", "rindex", "count",
    "__contains__", "__eq__", "partition", "rpartition", "split", "rsplit",
}  # fmt: skip
RE_FUNCS = {"search", "match", "fullmatch", "findall", "finditer", "sub", "split"}


def _files() -> Iterator[Path]:
    for top in SCANNED:
        for p in sorted(top.rglob("*.py")):
            if not any(p.is_relative_to(s) for s in SKIPPED):
                yield p


class _Scanner:
    def __init__(self, tree: ast.AST) -> None:
        self.exc_names = {h.name for h in ast.walk(tree) if isinstance(h, ast.ExceptHandler) and h.name}
        self.tainted: set[str] = set()
        self.tree = tree

    def is_source(self, node: ast.AST) -> bool:
        if isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Attribute) and f.attr == "details" and not node.args:
                return True
            if (
                isinstance(f, ast.Name)
                and f.id in ("str", "repr", "format")
                and node.args
                and isinstance(node.args[0], ast.Name)
                and node.args[0].id in self.exc_names
            ):
                return True
        if isinstance(node, ast.Attribute) and node.attr == "args":
            return isinstance(node.value, ast.Name) and node.value.id in self.exc_names
        if isinstance(node, ast.FormattedValue):
            return isinstance(node.value, ast.Name) and node.value.id in self.exc_names
        return isinstance(node, ast.Name) and node.id in self.tainted

    def holds_text(self, node: ast.AST) -> bool:
        """Is `node` (an expression) error text, or a string computed from it?"""
        if self.is_source(node):
            return True
        if isinstance(node, ast.BoolOp):
            return any(self.holds_text(v) for v in node.values)
        if isinstance(node, ast.IfExp):
            return self.holds_text(node.body) or self.holds_text(node.orelse)
        if isinstance(node, ast.BinOp):
            return self.holds_text(node.left) or self.holds_text(node.right)
        if isinstance(node, ast.JoinedStr):
            return any(self.is_source(v) or self.holds_text(getattr(v, "value", v)) for v in node.values)
        if isinstance(node, ast.Subscript | ast.Starred):
            return self.holds_text(node.value)
        if isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Attribute):  # a str method: (text).lower(), .strip(), ...
                return self.holds_text(f.value)
            if isinstance(f, ast.Name) and f.id in ("str", "repr"):
                return any(self.holds_text(a) for a in node.args)
        return False

    def propagate(self) -> None:
        changed = True
        while changed:
            changed = False
            for n in ast.walk(self.tree):
                targets: list[ast.expr] = []
                value: ast.AST | None = None
                if isinstance(n, ast.Assign):
                    targets, value = n.targets, n.value
                elif isinstance(n, ast.AnnAssign | ast.AugAssign | ast.NamedExpr) and n.value is not None:
                    targets, value = [n.target], n.value
                if value is None or not self.holds_text(value):
                    continue
                for t in targets:
                    for name in ast.walk(t):
                        if isinstance(name, ast.Name) and name.id not in self.tainted:
                            self.tainted.add(name.id)
                            changed = True

    def violations(self) -> Iterator[tuple[int, str]]:
        self.propagate()
        for n in ast.walk(self.tree):
            if isinstance(n, ast.Compare):
                if all(isinstance(op, ast.Is | ast.IsNot) for op in n.ops):
                    continue
                if any(self.holds_text(x) for x in [n.left, *n.comparators]):
                    yield n.lineno, "compares error text"
            elif isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute):
                f = n.func
                if f.attr in INSPECT and self.holds_text(f.value):
                    yield n.lineno, f"inspects error text with .{f.attr}()"
                elif (
                    f.attr in RE_FUNCS
                    and isinstance(f.value, ast.Name)
                    and f.value.id == "re"
                    and any(self.holds_text(a) for a in n.args)
                ):
                    yield n.lineno, f"matches error text with re.{f.attr}()"
            elif isinstance(n, ast.Match) and self.holds_text(n.subject):
                yield n.lineno, "matches on error text"


def scan(source: str) -> list[tuple[int, str]]:
    return sorted(_Scanner(pyast.parse(source)).violations())


def test_no_module_branches_on_error_text() -> None:
    found = []
    for path in _files():
        for line, what in scan(path.read_text()):
            found.append(f"{path.relative_to(ROOT)}:{line}: {what}")
    assert not found, "branch on the error's reason, not its text:\n" + "\n".join(found)


@pytest.mark.parametrize(
    "source",
    [
        # the patterns this contract replaced
        'def f(exc):\n    return "too many keywords" in (exc.details() or "")\n',
        'def f(exc):\n    details = (exc.details() or "").lower()\n    return "quota" in details\n',
        'try:\n    pass\nexcept E as exc:\n    reason = str(exc)\n    if "base64" in reason:\n        pass\n',
        'try:\n    pass\nexcept E as exc:\n    ok = "READONLY" in str(exc)\n',
        'def f(exc):\n    detail = exc.details() or "x"\n    return detail.startswith("no such")\n',
        'import re\ndef f(exc):\n    return re.search("quota", exc.details())\n',
        'def f(exc):\n    return exc.details() == "over quota"\n',
    ],
)
def test_scanner_catches(source: str) -> None:
    assert scan(source), source


@pytest.mark.parametrize(
    "source",
    [
        'def f(exc):\n    log.warning("failed: %s %s", exc.code().name, exc.details())\n',
        'def f(exc):\n    message = f"metadata service: {exc.details() or \'\'}".strip()\n    fail("X", message)\n',
        "try:\n    pass\nexcept E as exc:\n    raise Other(str(exc)) from None\n",
        'def f(exc):\n    return Result("NO", (exc.details() or "")[:200])\n',
        "def f(exc):\n    return exc.details() is None\n",
    ],
)
def test_scanner_allows_display(source: str) -> None:
    assert not scan(source), source
