"""Pulling into the local store and pushing from it: the calls the CLI and the Python API make.

Above the name parser (``names``) and the store transport (``store``), so neither needs the
other: names opens the two ends, this module drives the copy between them.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, BinaryIO

from buildah_py.errors import ImageReferenceError
from buildah_py.oci.descriptor import Descriptor
from buildah_py.oci.reference import local_name, normalize_name
from buildah_py.signature.enforce import check_source
from buildah_py.transports.copy import CopyResult, copy_image
from buildah_py.transports.names import ImageName, open_destination, open_source, parse_image_name
from buildah_py.transports.options import PullOptions, PushOptions
from buildah_py.transports.registry.locations import BlobLocations
from buildah_py.transports.store import StoreDestination, StoreSource
from buildah_py.transports.types import ImageSource

if TYPE_CHECKING:
    from buildah_py.storage.records import ImageRecord
    from buildah_py.storage.store import Store

log = logging.getLogger("buildah_py.registry")
#: Where pulls record which repository each blob came from, so pushes can mount it.
LOCATIONS_FILE = "blob-locations.json"


def store_locations(store: Store) -> BlobLocations:
    """The store's record of blob origins (a registry ``BlobLocations``), loaded from its file."""
    return BlobLocations(str(store.root / LOCATIONS_FILE))


def _save_locations(locations: BlobLocations) -> None:
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
    name: str,
    store: Store,
    options: PullOptions | None = None,
    *,
    names: list[str] | None = None,
) -> ImageRecord:
    """Copy the image `name` (any transport; a bare name means the registry) into the store.

    Returns the store's ImageRecord. `names` overrides the names the image is recorded under.
    `options.policy` is not consulted here: this always copies (``container.resolve.pull``
    decides whether to). The signature policy (policy.json) is: a refused image fails before
    any of its blobs is written."""
    opts = options or PullOptions()
    parsed = parse_image_name(name)
    if parsed.transport == "containers-storage":
        return store.image(parsed.ref)
    if parsed.transport == "":
        parsed = ImageName("docker", ref=parsed.ref, text=f"docker://{parsed.ref}")
    locations = store_locations(store)
    src = open_source(
        parsed, store=store, registry=opts.registry, platform=opts.platform, locations=locations
    )
    try:
        dst = StoreDestination(store, names if names is not None else default_names(parsed, src))
        copy_image(
            LocalFirstSource(check_source(parsed, src, opts.registry), store),
            dst,
            platform=opts.platform,
            progress=opts.progress,
            jobs=opts.jobs,
        )
        assert dst.record is not None  # copy_image commits
        return dst.record
    finally:
        src.close()
        _save_locations(locations)


def push_image(
    store: Store, image_ref: str, dest: str, options: PushOptions | None = None
) -> CopyResult:
    """Copy a local image to `dest` (any transport; a bare name means the registry).

    The signature policy's ``containers-storage`` rules apply to the local image, as they do
    for buildah."""
    src = StoreSource(store, image_ref)
    name = ImageName("containers-storage", ref=image_ref, text=f"containers-storage:{image_ref}")
    try:
        registry = (options or PushOptions()).registry
        return push_source(store, check_source(name, src, registry), dest, options)
    finally:
        src.close()


def push_source(
    store: Store,
    src: ImageSource,
    dest: str,
    options: PushOptions | None = None,
    *,
    all_platforms: bool = False,
) -> CopyResult:
    """Copy `src` to `dest`, mounting blobs the store saw in other repositories of the registry.

    `all_platforms` copies a whole index (a manifest list push)."""
    opts = options or PushOptions()
    locations = store_locations(store)
    dst = open_destination(
        dest,
        store=store,
        registry=opts.registry,
        locations=locations,
        mount_from=opts.mount_from,
        chunk_size=opts.chunk_size,
    )
    try:
        result = copy_image(
            src,
            dst,
            all_platforms=all_platforms,
            format=opts.format,
            compression=opts.compression,
            progress=opts.progress,
            jobs=opts.jobs,
            compression_level=opts.compression_level,
        )
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
