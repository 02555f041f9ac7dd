"""The local store as a transport: ``containers-storage:NAME`` and bare names found locally.

The store records single images, so its destination takes no index: the copy routine then
selects one platform and hands that manifest over as the top level. Blobs go straight into the
content store, which verifies each before it becomes visible; the image record (and its names)
appears only on ``commit``. Blobs of a copy that never commits stay unreferenced in the content
store until ``prune`` removes them (deleting them here could race another process reusing them).

Pulling into the store and pushing from it (``pull_image``, ``push_image``) live in
``transports/pullpush.py``, above both this module and the name parser.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, BinaryIO

from buildah_py.errors import BlobNotFound, TransportError
from buildah_py.oci import mediatypes as mt
from buildah_py.oci.descriptor import Descriptor
from buildah_py.oci.manifest import MAX_MANIFEST_SIZE, sniff_media_type

if TYPE_CHECKING:
    from buildah_py.storage.records import ImageRecord
    from buildah_py.storage.store import Store


class ContentReader:
    """Reads manifests and blobs from the store's content; subclasses say what the top is."""

    store: Store

    def top_manifest(self) -> tuple[bytes, str]:
        raise TypeError(f"{type(self).__name__} names no top-level manifest")

    def get_manifest(self, digest: str | None = None) -> tuple[bytes, str]:
        if digest is None:
            return self.top_manifest()
        raw = self.store.content.read(digest, MAX_MANIFEST_SIZE)
        return raw, sniff_media_type(raw)

    def get_blob(self, desc: Descriptor) -> BinaryIO:
        if not self.store.content.has(desc.digest):
            raise BlobNotFound(desc.digest)
        return self.store.content.open(desc.digest)

    def close(self) -> None:
        pass


class StoreSource(ContentReader):
    """An image of the local store, by name, ID, ID prefix or manifest digest."""

    def __init__(self, store: Store, ref: str) -> None:
        self.store = store
        self.record: ImageRecord = store.image(ref)
        self.reference = f"containers-storage:{ref}"

    def top_manifest(self) -> tuple[bytes, str]:
        raw = self.store.content.read(self.record.manifest_digest, MAX_MANIFEST_SIZE)
        return raw, self.record.manifest_media_type


class StoreDestination:
    """Pulls into the local store; `record` holds the image record after ``commit``."""

    supported_manifest_types: tuple[str, ...] = (mt.OCI_MANIFEST, mt.DOCKER_MANIFEST)
    supported_compressions: tuple[str, ...] = ("gzip", "zstd", "none")

    def __init__(self, store: Store, names: list[str]) -> None:
        self.store = store
        self.names = list(names)
        self.reference = "containers-storage:" + (names[0] if names else "<unnamed>")
        self._manifest: tuple[bytes, str] | None = None
        self.record: ImageRecord | None = None

    def has_blob(self, desc: Descriptor) -> bool:
        content = self.store.content
        return content.has(desc.digest) and content.size(desc.digest) == desc.size

    def put_blob(self, stream: BinaryIO, desc: Descriptor) -> None:
        self.store.content.ingest(stream, desc.digest, desc.size)

    def put_manifest(self, raw: bytes, media_type: str, *, top_level: bool = True) -> None:
        if not top_level:
            raise TransportError(f"{self.reference}: the local store holds one platform per image")
        self._manifest = (raw, media_type)

    def commit(self) -> None:
        if self._manifest is None:
            raise TransportError(f"{self.reference}: nothing to commit (no manifest was written)")
        raw, media_type = self._manifest
        self.record = self.store.add_image(raw, media_type, self.names)

    def close(self) -> None:
        pass
