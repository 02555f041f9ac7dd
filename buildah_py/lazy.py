"""Package names served on first use, so importing a package does not import all its modules."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any


def lazy_names(
    package: str, where: Mapping[str, str], namespace: dict[str, Any], exported: Sequence[str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """A package's ``__getattr__`` and ``__dir__``: `where` maps a name to its module (relative to
    `package`, or absolute when it starts with ``buildah_py.``); a loaded name is kept in
    `namespace`, the package's globals."""

    def getattr_(name: str) -> Any:
        module = where.get(name)
        if module is None:  # a submodule not imported yet
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        full = module if module.startswith("buildah_py.") else f"{package}.{module}"
        value = getattr(importlib.import_module(full), name)
        namespace[name] = value
        return value

    def dir_() -> list[str]:
        return sorted({*namespace, *exported})

    return getattr_, dir_
