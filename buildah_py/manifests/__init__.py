"""Manifest lists (image indexes) assembled in the local store and pushed as one image.

The names load on first use: listing images reads the lists, and should not load the push
path (registry client, signatures) with them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from buildah_py.lazy import lazy_names

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


__getattr__, __dir__ = lazy_names(__name__, _WHERE, globals(), __all__)
