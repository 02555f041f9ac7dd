"""No function-level import in the container API or the frontends closes an import cycle.

A function-level import that would be a cycle at the top of the file hides a knot in the
structure; the fix is to move what both sides need down a module, not to delay the import.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "buildah_py"
CHECKED = ("container", "frontend")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> tuple[set[str], set[str]]:
    """(modules imported at the top level, modules imported inside functions); type-only
    imports under ``if TYPE_CHECKING:`` are neither."""
    tree = ast.parse(path.read_text())
    top: set[str] = set()
    inner: set[str] = set()

    def visit(node: ast.AST, in_function: bool) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            return
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # ``from pkg import mod`` names both; the graph keeps the module when there is one.
            names = {node.module} | {f"{node.module}.{a.name}" for a in node.names}
            (inner if in_function else top).update(names)
        elif isinstance(node, ast.Import):
            (inner if in_function else top).update(a.name for a in node.names)
        inside = in_function or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        for child in ast.iter_child_nodes(node):
            visit(child, inside)

    visit(tree, False)
    return top, inner


def _resolve(names: set[str], modules: dict[str, Path]) -> set[str]:
    """Imported names as our modules: ``pkg.mod`` when it is one, else ``pkg`` (a name in it)."""
    out = {n for n in names if n in modules}
    packages = {n.rsplit(".", 1)[0] for n in out}
    out -= {p for p in packages if p in out and not _imports_name_of(names, p, modules)}
    return out


def _imports_name_of(names: set[str], package: str, modules: dict[str, Path]) -> bool:
    """Whether `names` take something from `package` that is not a submodule (a class, ...)."""
    return any(n.rsplit(".", 1)[0] == package and n not in modules for n in names)


def _graph() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    top: dict[str, set[str]] = {}
    inner: dict[str, set[str]] = {}
    for name, path in modules.items():
        t, i = _imports(path)
        # A package import loads its __init__; keep only names that are modules of ours.
        top[name] = _resolve(t, modules)
        inner[name] = _resolve(i, modules)
    return top, inner


def _reaches(top: dict[str, set[str]], start: str, goal: str) -> bool:
    seen, todo = set(), [start]
    while todo:
        mod = todo.pop()
        if mod == goal:
            return True
        if mod not in seen:
            seen.add(mod)
            todo.extend(top.get(mod, ()))
    return False


TOP, INNER = _graph()


@pytest.mark.parametrize(
    "module", sorted(m for m in INNER if m.split(".")[1:2] and m.split(".")[1] in CHECKED)
)
def test_no_function_level_import_closes_a_cycle(module: str) -> None:
    closing = [m for m in sorted(INNER[module]) if _reaches(TOP, m, module)]
    assert not closing, f"{module} imports {closing} inside a function to dodge a cycle"


def test_the_check_sees_a_cycle() -> None:
    top = {"a": {"b"}, "b": set()}
    assert _reaches(top, "a", "b") and not _reaches(top, "b", "a")
