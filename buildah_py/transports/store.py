"""The local store as a transport: ``containers-storage:NAME`` and bare names found locally.

The store records single images, so its destination takes no index: the copy routine then
selects one platform and hands that manifest over as the top level. Blobs go straight into the
content store, which verifies each before it becomes visible; the image record (and its names)
appears only on ``commit``. Blobs of a copy that never commits stay unreferenced in the content
store until ``prune`` removes them (deleting them here could race another process reusing them).

``pull_image`` and ``push_image`` are the calls the CLI and the Python API make.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, BinaryIO

from buildah_py.errors import BlobNotFound, ImageReferenceError, TransportError
from buildah_py.oci import mediatypes as mt
from buildah_py.oci.descriptor import Descriptor
from buildah_py.oci.manifest import MAX_MANIFEST_SIZE, sniff_media_type
from buildah_py.oci.reference import local_name, normalize_name
from buildah_py.transports.copy import CopyResult, copy_image
from buildah_py.transports.types import ImageSource

if TYPE_CHECKING:
    from buildah_py.storage.records import ImageRecord
    from buildah_py.storage.store import Store
    from buildah_py.transports.names import ImageName
    from buildah_py.transports.registry.locations import BlobLocations


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


log = logging.getLogger(__name__)
#: Where pulls record which repository each blob came from, so pushes can mount it.
LOCATIONS_FILE = "blob-locations.json"


def store_locations(store: Store) -> BlobLocations:
    """The store's record of blob origins (a registry ``BlobLocations``), loaded from its file."""
    from buildah_py.transports.registry.locations import BlobLocations

    return BlobLocations(str(store.root / LOCATIONS_FILE))


def _save_locations(locations: BlobLocations | None) -> None:
    if locations is None:
        return
    try:
        locations.save()
    except OSError as err:  # a hint file: losing it costs an upload later, never the copy
        log.debug("cannot save blob locations: %s", err)


class LocalFirstSource:
    """Reads blobs the store already holds from the store, the rest from `src`.

    The copy routine reads every image's config to inspect it; without this, pulling an image
    that is already here would still download its config. Blobs are content-addressed and the
    copy verifies each one, so where the bytes come from does not matter."""

    def __init__(self, src: ImageSource, store: Store) -> None:
        self.src = src
        self.store = store
        self.reference = src.reference

    def get_manifest(self, digest: str | None = None) -> tuple[bytes, str]:
        return self.src.get_manifest(digest)

    def get_blob(self, desc: Descriptor) -> BinaryIO:
        content = self.store.content
        if content.has(desc.digest) and content.size(desc.digest) == desc.size:
            return content.open(desc.digest)
        return self.src.get_blob(desc)

    def close(self) -> None:
        self.src.close()


#: Keyword arguments that steer the copy; the rest go to the transports (tls_verify, authfile, ...).
COPY_OPTIONS = ("platform", "all_platforms", "format", "compression", "progress", "jobs")


def _split(opts: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    copy_opts = {k: v for k, v in opts.items() if k in COPY_OPTIONS}
    transport_opts = {k: v for k, v in opts.items() if k not in COPY_OPTIONS}
    if "platform" in copy_opts:
        transport_opts["platform"] = copy_opts["platform"]
    return copy_opts, transport_opts


def default_names(name: ImageName, src: ImageSource) -> list[str]:
    """The names a pulled image gets: its registry reference, its archive tags, or its OCI tag."""
    if name.transport in ("docker", ""):
        return [normalize_name(name.ref)]
    repo_tags: tuple[str, ...] | None = getattr(src, "repo_tags", None)  # docker-archive
    if repo_tags is not None:
        return [normalize_name(tag) for tag in repo_tags]
    if name.transport in ("oci", "oci-archive") and name.ref:
        try:
            return [local_name(name.ref)]
        except ImageReferenceError:
            return []  # a tag such as "v1.0+build" is fine in a layout but not as an image name
    return []


def pull_image(
    name: str, store: Store, *, names: list[str] | None = None, **opts: Any
) -> ImageRecord:
    """Copy the image `name` (any transport; a bare name means the registry) into the store.

    Returns the store's ImageRecord. `names` overrides the names the image is recorded under.
    """
    from buildah_py.transports.names import ImageName, open_source, parse_image_name

    parsed = parse_image_name(name)
    if parsed.transport == "containers-storage":
        return store.image(parsed.ref)
    if parsed.transport == "":
        parsed = ImageName("docker", ref=parsed.ref, text=f"docker://{parsed.ref}")
    copy_opts, transport_opts = _split(opts)
    locations = transport_opts.setdefault("locations", store_locations(store))
    src = open_source(parsed, store=store, **transport_opts)
    try:
        dst = StoreDestination(store, names if names is not None else default_names(parsed, src))
        copy_image(LocalFirstSource(src, store), dst, **copy_opts)
        assert dst.record is not None  # copy_image commits
        return dst.record
    finally:
        src.close()
        _save_locations(locations)


def push_image(store: Store, image_ref: str, dest: str, **opts: Any) -> CopyResult:
    """Copy a local image to `dest` (any transport; a bare name means the registry)."""

    src = StoreSource(store, image_ref)
    try:
        return push_source(store, src, dest, **opts)
    finally:
        src.close()


def push_source(store: Store, src: ImageSource, dest: str, **opts: Any) -> CopyResult:
    """Copy `src` to `dest`, mounting blobs the store saw in other repositories of the registry."""
    from buildah_py.transports.names import open_destination

    copy_opts, transport_opts = _split(opts)
    transport_opts.pop("platform", None)
    locations = transport_opts.setdefault("locations", store_locations(store))
    dst = open_destination(dest, store=store, **transport_opts)
    try:
        result = copy_image(src, dst, **copy_opts)
        stats = getattr(dst, "stats", None)
        if stats is not None:
            log.debug(
                "pushed %s: %d blobs already present, %d mounted, %d uploaded (%d bytes)",
                dst.reference,
                stats.present,
                stats.mounted,
                stats.uploaded,
                stats.bytes_uploaded,
            )
        return result
    finally:
        dst.close()
        _save_locations(locations)
