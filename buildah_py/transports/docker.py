"""The ``docker://`` transport: images in a registry that speaks the OCI distribution spec."""

from __future__ import annotations

from buildah_py.oci.descriptor import Platform
from buildah_py.oci.reference import Reference, parse_reference
from buildah_py.transports.options import RegistryOptions
from buildah_py.transports.registry.destination import DockerImageDestination
from buildah_py.transports.registry.locations import BlobLocations
from buildah_py.transports.registry.repository import delete_manifest, head_manifest, list_tags
from buildah_py.transports.registry.session import open_client
from buildah_py.transports.registry.source import DockerImageSource
from buildah_py.transports.verify import ProgressFn

Progress = ProgressFn  # progress(digest, bytes done, total), as the copy routine reports it


def docker_reference(ref: str) -> Reference:
    """``docker://host/repo:tag``, ``//host/repo:tag`` or ``host/repo:tag`` -> a normalised Reference."""
    text = ref.removeprefix("docker:").removeprefix("//")
    return parse_reference(text)


def docker_source(
    ref: str,
    registry: RegistryOptions | None = None,
    *,
    platform: Platform | None = None,
    progress: Progress | None = None,
    locations: BlobLocations | None = None,
    verify_blobs: bool = False,
) -> DockerImageSource:
    """Read an image from a registry; `platform` is kept for the copy routine to pick from an index.

    Blob streams enforce the descriptor's size and resume broken transfers; their digest is the
    caller's to check (the copy routine does), unless `verify_blobs` asks the stream to."""
    client, real = open_client(docker_reference(ref), registry or RegistryOptions())
    return DockerImageSource(
        client,
        real,
        platform=platform,
        progress=progress,
        locations=locations,
        verify_blobs=verify_blobs,
    )


def docker_destination(
    ref: str,
    registry: RegistryOptions | None = None,
    *,
    progress: Progress | None = None,
    locations: BlobLocations | None = None,
    mount_from: tuple[str, ...] = (),
    chunk_size: int | None = None,
) -> DockerImageDestination:
    """Write an image to a registry; `mount_from` names repositories on the same registry that
    may already hold its blobs (tried as cross-repository mounts before uploading)."""
    client, real = open_client(docker_reference(ref), registry or RegistryOptions())
    return DockerImageDestination(
        client,
        real,
        progress=progress,
        locations=locations,
        mount_from=mount_from,
        chunk_size=chunk_size,
    )


def list_repository_tags(
    ref: str, registry: RegistryOptions | None = None, *, page_size: int | None = None
) -> list[str]:
    """Every tag of the repository `ref` (``[docker://]host/repo[:tag]``) names."""
    client, real = open_client(docker_reference(ref), registry or RegistryOptions())
    try:
        return list_tags(client, real, page_size=page_size)
    finally:
        client.close()


def registry_digest(ref: str, registry: RegistryOptions | None = None) -> str | None:
    """The digest the registry serves for `ref`, or None when it has no such manifest."""
    client, real = open_client(docker_reference(ref), registry or RegistryOptions())
    try:
        return head_manifest(client, real)
    finally:
        client.close()


def delete_image(ref: str, registry: RegistryOptions | None = None) -> str:
    """Delete the manifest `ref` names (by tag or digest) from its registry; returns its digest."""
    client, real = open_client(docker_reference(ref), registry or RegistryOptions())
    try:
        return delete_manifest(client, real)
    finally:
        client.close()
