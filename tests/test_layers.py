"""Imports point down only (architecture.md): a wrong arrow fails here the day it appears."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "buildah_py"
#: Layer of each top-level module or package; a module may import only from its own layer or below.
LAYERS = {
    "errors": 0,
    "hints": 0,
    "version": 0,
    "linux": 0,
    "defaults": 6,
    "oci": 1,
    "archive": 2,
    "storage": 3,
    "transports": 4,
    "signature": 4,
    "isolation": 5,
    "userns": 5,
    "container": 6,
    "manifests": 6,
    "frontend": 7,
    "cli": 8,
}
#: Third-party imports some layers must never make.
FORBIDDEN = {
    "oci": ("urllib3", "lark", "dockerfile_parser", "click"),
    "archive": ("urllib3", "lark", "dockerfile_parser", "click"),
    "storage": ("urllib3", "lark", "dockerfile_parser", "click"),
    "isolation": ("urllib3", "dockerfile_parser", "click"),
    "container": ("dockerfile_parser", "click"),
    "transports": ("dockerfile_parser", "click"),
    "signature": ("dockerfile_parser", "click"),
}


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text())
    type_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            type_only.update(id(sub) for sub in ast.walk(node))
    out: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            out.extend((node.lineno, alias.name) for alias in node.names)
    return out


def _modules() -> list[Path]:
    return sorted(
        p
        for p in PACKAGE.rglob("*.py")
        if p.relative_to(PACKAGE).parts[0].removesuffix(".py") in LAYERS
    )


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_point_down(path: Path) -> None:
    layer = path.relative_to(PACKAGE).parts[0].removesuffix(".py")
    wrong = []
    for line, module in _imports(path):
        parts = module.split(".")
        if parts[0] == "buildah_py" and len(parts) > 1 and parts[1] in LAYERS:
            if LAYERS[parts[1]] > LAYERS[layer]:
                wrong.append(f"{path.name}:{line}: {layer} imports {module}")
        if parts[0] in FORBIDDEN.get(layer, ()):
            wrong.append(f"{path.name}:{line}: {layer} must not import {parts[0]}")
    assert not wrong, "\n".join(wrong)


def test_every_package_has_a_layer() -> None:
    tops = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert tops <= set(LAYERS), tops - set(LAYERS)


# --- one way through the code (architecture.md): checks on the whole import graph -----------

PARSER = PACKAGE.parent / "dockerfile_parser"
#: The only places that read the environment: the CLI, and the one defaults module.
ENV_READERS = ("cli/", "defaults.py")


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def _all_modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _resolve(module: str, names: list[str], known: dict[str, Path]) -> list[str]:
    """The modules an import statement loads: `from pkg import sub` names the submodule."""
    subs = [f"{module}.{n}" for n in names if f"{module}.{n}" in known]
    whole = module in known and (not names or len(subs) < len(names))
    return [module, *subs] if whole else subs


def _edges(path: Path, known: dict[str, Path]) -> list[tuple[str, int, bool]]:
    """(target module, line, made inside a function) for each buildah_py import of `path`."""
    tree = ast.parse(path.read_text())
    skip: set[int] = set()
    inner: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(sub) for sub in ast.walk(node))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            inner.update(id(sub) for sub in ast.walk(node) if sub is not node)
    here = _module_name(path)
    out: list[tuple[str, int, bool]] = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = here.rsplit(".", node.level - (1 if path.name == "__init__.py" else 0))[0]
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            targets = _resolve(module, [a.name for a in node.names], known)
        elif isinstance(node, ast.Import):
            targets = [a.name for a in node.names if a.name in known]
        else:
            continue
        out.extend((t, node.lineno, id(node) in inner) for t in targets if t != here)
    return out


def test_no_function_level_import_closes_a_cycle() -> None:
    """A lazy import may save start-up time; it must not hide a cycle between modules."""
    known = _all_modules()
    graph = {m: _edges(p, known) for m, p in known.items()}

    def reaches(start: str, goal: str) -> bool:
        seen, todo = {start}, [start]
        while todo:
            for nxt, _line, _lazy in graph[todo.pop()]:
                if nxt == goal:
                    return True
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return False

    wrong = [
        f"{known[m].relative_to(PACKAGE.parent)}:{line}: imports {t} inside a function, and {t} imports {m} back"
        for m, edges in graph.items()
        for t, line, lazy in edges
        if lazy and reaches(t, m)
    ]
    assert not wrong, "\n".join(wrong)


def _source_files() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_ctypes_only_in_linux() -> None:
    """Every ctypes call goes through buildah_py/linux/: one boundary to audit."""
    wrong = []
    for path in _source_files():
        if path.relative_to(PACKAGE).parts[0] == "linux":
            continue
        for line, module in _imports(path):
            if module.split(".")[0] == "ctypes":
                wrong.append(f"{path.relative_to(PACKAGE)}:{line}: imports {module}")
    assert not wrong, "\n".join(wrong)


def test_environment_read_only_at_the_edge() -> None:
    """Below the CLI, configuration arrives as values; only defaults.py reads the environment."""
    wrong = []
    for path in _source_files():
        rel = str(path.relative_to(PACKAGE))
        if rel.startswith(ENV_READERS):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            text = ""
            if (
                isinstance(node, ast.Attribute)
                and node.attr in ("environ", "environb", "getenv", "getenvb")
                and isinstance(node.value, ast.Name)
                and node.value.id == "os"
            ):
                text = ast.unparse(node)
            elif isinstance(node, ast.ImportFrom) and node.module == "os":
                if any(a.name in ("environ", "environb", "getenv", "getenvb") for a in node.names):
                    text = "from os import environ/getenv"
            if text:
                wrong.append(f"{rel}:{node.lineno}: {text}")
    assert not wrong, "\n".join(wrong)


def test_dockerfile_parser_stands_alone() -> None:
    wrong = [
        f"{path.name}:{line}: imports {module}"
        for path in sorted(PARSER.rglob("*.py"))
        for line, module in _imports(path)
        if module.split(".")[0] == "buildah_py"
    ]
    assert not wrong, "\n".join(wrong)


def test_modules_stay_small() -> None:
    """One concept per module (style.md): none over 400 lines, the median under 150."""
    files = [*PACKAGE.rglob("*.py"), *PARSER.rglob("*.py")]
    sizes = {p: len(p.read_text().splitlines()) for p in files}
    big = [f"{p.relative_to(PACKAGE.parent)}: {n} lines" for p, n in sizes.items() if n > 400]
    assert not big, "\n".join(big)
    ordered = sorted(sizes.values())
    assert ordered[len(ordered) // 2] < 150
