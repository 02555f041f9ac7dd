"""Image names with a transport prefix, and opening a source or destination for one.

``docker://REF``, ``oci:DIR[:TAG]``, ``oci-archive:FILE[:TAG]``, ``docker-archive:FILE[:REF|:@N]``,
``dir:DIR``, ``containers-storage:NAME``. A name with no known prefix has transport ``""``: the
local store first, then the registry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from buildah_py.errors import ImageNotFound, ImageReferenceError, TransportError
from buildah_py.oci.reference import local_name, parse_reference
from buildah_py.transports.dir import DirDestination, DirSource
from buildah_py.transports.docker_archive import DockerArchiveSource
from buildah_py.transports.docker_archive_dest import DockerArchiveDestination
from buildah_py.transports.oci_archive import OCIArchiveDestination, open_oci_archive_source
from buildah_py.transports.oci_layout import LayoutWriter, open_oci_source
from buildah_py.transports.options import RegistryOptions
from buildah_py.transports.store import StoreDestination, StoreSource
from buildah_py.transports.types import ImageDestination, ImageSource

if TYPE_CHECKING:
    from buildah_py.oci.descriptor import Platform
    from buildah_py.storage.store import Store
    from buildah_py.transports.registry.locations import BlobLocations

TRANSPORTS = ("docker", "oci", "oci-archive", "docker-archive", "dir", "containers-storage")
_WORD = re.compile(r"[a-z][a-z0-9-]*")


@dataclass(frozen=True)
class ImageName:
    """A parsed image name; `path` is the DIR/FILE of local transports, `ref` the tag or reference."""

    transport: str
    path: str = ""
    ref: str = ""
    position: int | None = None
    text: str = ""

    def __str__(self) -> str:
        return self.text


def _split_path(rest: str, transport: str, text: str) -> tuple[str, str]:
    path, _, ref = rest.partition(":")
    if not path:
        raise ImageReferenceError(f"invalid image name {text!r}: {transport}: needs a path")
    return path, ref


def parse_image_name(text: str) -> ImageName:
    """Parse `text`; ImageReferenceError for an unknown transport or a malformed name."""
    if not text:
        raise ImageReferenceError("empty image name")
    prefix, sep, rest = text.partition(":")
    if not sep or prefix not in TRANSPORTS:
        return _bare(text, prefix if sep else "", rest)
    if prefix == "docker":
        if not rest.startswith("//") or not rest[2:]:
            raise ImageReferenceError(
                f"invalid image name {text!r}: write docker://REGISTRY/NAME[:TAG]"
            )
        ref = rest[2:]
        parse_reference(ref)
        return ImageName("docker", ref=ref, text=text)
    if prefix in ("oci", "oci-archive"):
        path, tag = _split_path(rest, prefix, text)
        return ImageName(prefix, path=path, ref=tag, text=text)
    if prefix == "docker-archive":
        path, ref = _split_path(rest, prefix, text)
        if ref.startswith("@"):
            if not ref[1:].isdigit():
                raise ImageReferenceError(f"invalid image name {text!r}: @N needs a number")
            return ImageName(prefix, path=path, position=int(ref[1:]), text=text)
        if ref:
            parse_reference(ref)
        return ImageName(prefix, path=path, ref=ref, text=text)
    if prefix == "dir":
        if not rest:
            raise ImageReferenceError(f"invalid image name {text!r}: dir: needs a path")
        return ImageName("dir", path=rest, text=text)
    if not rest:
        raise ImageReferenceError(
            f"invalid image name {text!r}: containers-storage: needs an image name"
        )
    return ImageName("containers-storage", ref=rest, text=text)


def _bare(text: str, prefix: str, rest: str) -> ImageName:
    unknown = ImageReferenceError(
        f"unknown transport {prefix!r} in {text!r}; expected one of {', '.join(TRANSPORTS)}"
    )
    if prefix and rest.startswith("//"):
        raise unknown
    try:
        parse_reference(text)
    except ImageReferenceError:
        if prefix and _WORD.fullmatch(prefix):
            raise unknown from None
        raise
    return ImageName("", ref=text, text=text)


def _store_required(name: ImageName, store: Store | None) -> Store:
    if store is None:
        raise TransportError(f"{name.text}: the local store is needed for this name")
    return store


def open_source(
    name: str | ImageName,
    *,
    store: Store | None = None,
    registry: RegistryOptions | None = None,
    platform: Platform | None = None,
    locations: BlobLocations | None = None,
) -> ImageSource:
    """An ImageSource for `name`; `registry`, `platform` and `locations` matter to docker:// only."""
    parsed = name if isinstance(name, ImageName) else parse_image_name(name)
    t = parsed.transport

    def docker() -> ImageSource:
        # The registry client (urllib3 and all) loads only when a registry is named.
        from buildah_py.transports.docker import docker_source

        return docker_source(parsed.ref, registry, platform=platform, locations=locations)

    if t == "docker":
        return docker()
    if t == "oci":
        return open_oci_source(parsed.path, parsed.ref)
    if t == "oci-archive":
        return open_oci_archive_source(parsed.path, parsed.ref)
    if t == "docker-archive":
        return DockerArchiveSource(parsed.path, parsed.ref, parsed.position)
    if t == "dir":
        return DirSource(parsed.path)
    if t == "containers-storage":
        return StoreSource(_store_required(parsed, store), parsed.ref)
    if store is not None:  # a bare name: the local store first
        try:
            return StoreSource(store, parsed.ref)
        except ImageNotFound:
            pass
    return docker()


def open_destination(
    name: str | ImageName,
    *,
    store: Store | None = None,
    registry: RegistryOptions | None = None,
    locations: BlobLocations | None = None,
    mount_from: tuple[str, ...] = (),
    chunk_size: int | None = None,
) -> ImageDestination:
    """An ImageDestination for `name`; a bare name means a registry, as ``buildah push`` reads it.

    The keywords after `store` matter to docker:// only."""
    parsed = name if isinstance(name, ImageName) else parse_image_name(name)
    t = parsed.transport
    if t in ("docker", ""):
        from buildah_py.transports.docker import docker_destination  # loaded only when needed

        return docker_destination(
            parsed.ref,
            registry,
            locations=locations,
            mount_from=mount_from,
            chunk_size=chunk_size,
        )
    if t == "oci":
        return LayoutWriter(parsed.path, parsed.ref)
    if t == "oci-archive":
        return OCIArchiveDestination(parsed.path, parsed.ref)
    if t == "docker-archive":
        if parsed.position is not None:
            raise ImageReferenceError(
                f"{parsed.text}: @N selects an image to read; name a tag to write"
            )
        return DockerArchiveDestination(parsed.path, parsed.ref)
    if t == "dir":
        return DirDestination(parsed.path)
    return StoreDestination(_store_required(parsed, store), [local_name(parsed.ref)])
