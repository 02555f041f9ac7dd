"""The local store: content (blobs by digest, an OCI layout), snapshots, working containers."""

from buildah_py.linux.mount import Mount
from buildah_py.storage.content import ContentStore
from buildah_py.storage.drivers import Driver
from buildah_py.storage.lookup import AmbiguousContainer, AmbiguousImage
from buildah_py.storage.records import BlobMemo, ContainerRecord, ImageRecord, SnapshotRecord
from buildah_py.storage.store import Store

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
