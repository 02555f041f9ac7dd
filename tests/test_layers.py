"""Imports point down only (architecture.md): a wrong arrow fails here the day it appears."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "buildah_py"
#: Layer of each top-level module or package; a module may import only from its own layer or below.
LAYERS = {
    "errors": 0,
    "linux": 0,
    "defaults": 6,
    "oci": 1,
    "archive": 2,
    "storage": 3,
    "transports": 4,
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
