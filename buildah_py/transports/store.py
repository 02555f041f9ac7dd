"""The local store as a transport: ``containers-storage:NAME`` and bare names found locally.

The store records single images, so its destination takes no index: the copy routine then
selects one platform and hands that manifest over as the top level. Blobs go straight into the
content store, which verifies each before it becomes visible; the image record (and its names)
appears only on ``commit``. Blobs of a copy that never commits stay unreferenced in the content
store until ``prune`` removes them (deleting them here could race another process reusing them).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any, BinaryIO, Protocol

from buildah_py.errors import BlobNotFound, TransportError
from buildah_py.oci import mediatypes as mt
from buildah_py.oci.descriptor import Descriptor
from buildah_py.oci.manifest import MAX_MANIFEST_SIZE, sniff_media_type


class ContentLike(Protocol):
    def has(self, digest: str) -> bool: ...

    def size(self, digest: str) -> int: ...

    def open(self, digest: str) -> BinaryIO: ...

    def read(self, digest: str, limit: int = ...) -> bytes: ...

    def ingest(
        self, stream: BinaryIO, expected_digest: str | None = None, expected_size: int | None = None
    ) -> tuple[str, int]: ...


class ImageRecordLike(Protocol):
    id: str
    manifest_digest: str
    manifest_media_type: str
    config_digest: str
    names: list[str]


class StoreLike(Protocol):
    """What this adapter uses of ``buildah_py.storage.store.Store``."""

    @property
    def content(self) -> ContentLike: ...

    def image(self, ref: str) -> Any: ...

    def add_image(self, manifest: bytes, media_type: str, names: list[str]) -> Any: ...

    def writing(self) -> AbstractContextManager[None]: ...


class StoreSource:
    """An image of the local store, by name, ID, ID prefix or manifest digest."""

    def __init__(self, store: StoreLike, ref: str) -> None:
        self.store = store
        self.record: ImageRecordLike = store.image(ref)
        self.reference = f"containers-storage:{ref}"

    def get_manifest(self, digest: str | None = None) -> tuple[bytes, str]:
        if digest is None:
            raw = self.store.content.read(self.record.manifest_digest, MAX_MANIFEST_SIZE)
            return raw, self.record.manifest_media_type
        raw = self.store.content.read(digest, MAX_MANIFEST_SIZE)
        return raw, sniff_media_type(raw)

    def get_blob(self, desc: Descriptor) -> BinaryIO:
        if not self.store.content.has(desc.digest):
            raise BlobNotFound(desc.digest)
        return self.store.content.open(desc.digest)

    def close(self) -> None:
        pass


class StoreDestination:
    """Pulls into the local store; `record` holds the image record after ``commit``."""

    supported_manifest_types: tuple[str, ...] = (mt.OCI_MANIFEST, mt.DOCKER_MANIFEST)
    supported_compressions: tuple[str, ...] = ("gzip", "zstd", "none")

    def __init__(self, store: StoreLike, names: list[str]) -> None:
        self.store = store
        self.names = list(names)
        self.reference = "containers-storage:" + (names[0] if names else "<unnamed>")
        self._manifest: tuple[bytes, str] | None = None
        self.record: Any = None

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
