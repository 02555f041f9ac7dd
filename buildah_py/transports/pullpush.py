"""Pull into and push out of the local store: the calls the CLI and the Python API make."""

from __future__ import annotations

from typing import Any

from buildah_py.errors import ImageReferenceError
from buildah_py.oci.reference import local_name, normalize_name
from buildah_py.transports.copy import CopyResult, copy_image
from buildah_py.transports.docker_archive import DockerArchiveSource
from buildah_py.transports.names import ImageName, open_destination, open_source, parse_image_name
from buildah_py.transports.store import StoreDestination, StoreLike, StoreSource
from buildah_py.transports.types import ImageSource

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
    if isinstance(src, DockerArchiveSource):
        return [normalize_name(tag) for tag in src.repo_tags]
    if name.transport in ("oci", "oci-archive") and name.ref:
        try:
            return [local_name(name.ref)]
        except ImageReferenceError:
            return []  # a tag such as "v1.0+build" is fine in a layout but not as an image name
    return []


def pull_image(name: str, store: StoreLike, *, names: list[str] | None = None, **opts: Any) -> Any:
    """Copy the image `name` (any transport; a bare name means the registry) into the store.

    Returns the store's ImageRecord. `names` overrides the names the image is recorded under.
    """
    parsed = parse_image_name(name)
    if parsed.transport == "containers-storage":
        return store.image(parsed.ref)
    if parsed.transport == "":
        parsed = ImageName("docker", ref=parsed.ref, text=f"docker://{parsed.ref}")
    copy_opts, transport_opts = _split(opts)
    src = open_source(parsed, store=store, **transport_opts)
    try:
        dst = StoreDestination(store, names if names is not None else default_names(parsed, src))
        copy_image(src, dst, **copy_opts)
        return dst.record
    finally:
        src.close()


def push_image(store: StoreLike, image_ref: str, dest: str, **opts: Any) -> CopyResult:
    """Copy a local image to `dest` (any transport; a bare name means the registry)."""
    copy_opts, transport_opts = _split(opts)
    transport_opts.pop("platform", None)
    src = StoreSource(store, image_ref)
    try:
        dst = open_destination(dest, store=store, **transport_opts)
        try:
            return copy_image(src, dst, **copy_opts)
        finally:
            dst.close()
    finally:
        src.close()
