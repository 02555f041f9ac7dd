"""The archive layer imports only the standard library, isal, zstandard, buildah_py.errors,
the Linux layer below it, and the lazy-name helper its package uses."""

import ast
import sys
from pathlib import Path

import buildah_py.archive

ALLOWED = {"isal", "zstandard"}


def test_archive_imports_point_down_only() -> None:
    package = Path(buildah_py.archive.__file__).parent
    for source in package.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                ok = (
                    top in sys.stdlib_module_names
                    or top in ALLOWED
                    or name in ("buildah_py.errors", "buildah_py.lazy")
                    or name.startswith("buildah_py.archive")
                    or name.startswith("buildah_py.linux")
                )
                assert ok, f"{source.name} imports {name}"
