"""The local store: content (blobs by digest, an OCI layout), snapshots, working containers.

The names load on first use, so importing one part (records, paths) does not open the rest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from buildah_py.lazy import lazy_names

if TYPE_CHECKING:
    from buildah_py.linux.mount import Mount
    from buildah_py.storage.content import ContentStore
    from buildah_py.storage.drivers import Driver
    from buildah_py.storage.lookup import AmbiguousContainer, AmbiguousImage
    from buildah_py.storage.records import BlobMemo, ContainerRecord, ImageRecord, SnapshotRecord
    from buildah_py.storage.store import Store

#: Each public name and the module that defines it.
_WHERE = {
    "AmbiguousContainer": "lookup",
    "AmbiguousImage": "lookup",
    "BlobMemo": "records",
    "ContainerRecord": "records",
    "ContentStore": "content",
    "Driver": "drivers",
    "ImageRecord": "records",
    "Mount": "buildah_py.linux.mount",
    "SnapshotRecord": "records",
    "Store": "store",
}

__all__ = [
    "AmbiguousContainer",
    "AmbiguousImage",
    "BlobMemo",
    "ContainerRecord",
    "ContentStore",
    "Driver",
    "ImageRecord",
    "Mount",
    "SnapshotRecord",
    "Store",
]

__getattr__, __dir__ = lazy_names(__name__, _WHERE, globals(), __all__)
