"""Manifest lists (image indexes) assembled in the local store and pushed as one image.

The names load on first use: listing images reads the lists, and should not load the push
path (registry client, signatures) with them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from buildah_py.manifests.entries import config_platform, image_entry
    from buildah_py.manifests.lists import ManifestListNotFound, ManifestLists
    from buildah_py.manifests.push import ListSource, push_list
    from buildah_py.manifests.records import ManifestList

#: Each public name and the submodule that defines it.
_WHERE = {
    "config_platform": "entries",
    "image_entry": "entries",
    "ManifestListNotFound": "lists",
    "ManifestLists": "lists",
    "ListSource": "push",
    "push_list": "push",
    "ManifestList": "records",
}

__all__ = [
    "ListSource",
    "ManifestList",
    "ManifestListNotFound",
    "ManifestLists",
    "config_platform",
    "image_entry",
    "push_list",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:  # a submodule not imported yet
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
