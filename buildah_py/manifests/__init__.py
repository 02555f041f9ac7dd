"""Manifest lists (image indexes) assembled in the local store and pushed as one image."""

from buildah_py.manifests.entries import config_platform, image_entry
from buildah_py.manifests.lists import ManifestListNotFound, ManifestLists
from buildah_py.manifests.push import ListSource, push_list
from buildah_py.manifests.records import ManifestList

__all__ = [
    "ListSource",
    "ManifestList",
    "ManifestListNotFound",
    "ManifestLists",
    "config_platform",
    "image_entry",
    "push_list",
]
