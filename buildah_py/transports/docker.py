"""The ``docker://`` transport: images in a registry that speaks the OCI distribution spec."""

from __future__ import annotations

from collections.abc import Mapping

from buildah_py.oci.descriptor import Platform
from buildah_py.oci.reference import Reference, parse_reference
from buildah_py.transports.registry.destination import DockerImageDestination
from buildah_py.transports.registry.locations import BlobLocations
from buildah_py.transports.registry.retry import RetryPolicy
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
    *,
    tls_verify: bool | None = None,
    authfile: str | None = None,
    creds: str | None = None,
    platform: Platform | None = None,
    cert_dir: str | None = None,
    progress: Progress | None = None,
    locations: BlobLocations | None = None,
    registries_conf: str | None = None,
    retry: RetryPolicy | None = None,
    env: Mapping[str, str] | None = None,
    verify_blobs: bool = False,
    **_: object,
) -> DockerImageSource:
    """Read an image from a registry; `platform` is kept for the copy routine to pick from an index.

    Blob streams enforce the descriptor's size and resume broken transfers; their digest is the
    caller's to check (the copy routine does), unless `verify_blobs` asks the stream to."""
    parsed = docker_reference(ref)
    client, real = open_client(
        parsed,
        tls_verify=tls_verify,
        authfile=authfile,
        creds=creds,
        cert_dir=cert_dir,
        registries_conf=registries_conf,
        policy=retry,
        env=env,
    )
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
    *,
    tls_verify: bool | None = None,
    authfile: str | None = None,
    creds: str | None = None,
    cert_dir: str | None = None,
    progress: Progress | None = None,
    locations: BlobLocations | None = None,
    mount_from: tuple[str, ...] = (),
    chunk_size: int | None = None,
    registries_conf: str | None = None,
    retry: RetryPolicy | None = None,
    env: Mapping[str, str] | None = None,
    **_: object,
) -> DockerImageDestination:
    """Write an image to a registry; `mount_from` names repositories on the same registry that
    may already hold its blobs (tried as cross-repository mounts before uploading)."""
    parsed = docker_reference(ref)
    client, real = open_client(
        parsed,
        tls_verify=tls_verify,
        authfile=authfile,
        creds=creds,
        cert_dir=cert_dir,
        registries_conf=registries_conf,
        policy=retry,
        env=env,
    )
    return DockerImageDestination(
        client,
        real,
        progress=progress,
        locations=locations,
        mount_from=mount_from,
        chunk_size=chunk_size,
    )
