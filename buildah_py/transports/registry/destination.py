"""Pushing to a registry: skip what it has, mount what a sibling repository has, upload the rest.

Children of an index are put by digest as they come; the top-level manifest is put by tag
in ``commit``: that PUT is the registry's commit, nothing is reachable by name before it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import BinaryIO

from buildah_py.errors import DigestMismatch, ImageFormatError, TransportError
from buildah_py.oci import mediatypes as mt
from buildah_py.oci.descriptor import Descriptor
from buildah_py.oci.digest import sha256_digest
from buildah_py.oci.manifest import MAX_MANIFEST_SIZE
from buildah_py.oci.reference import Reference
from buildah_py.transports.registry.bodies import release
from buildah_py.transports.registry.client import RegistryClient
from buildah_py.transports.registry.download import Progress
from buildah_py.transports.registry.locations import BlobLocations
from buildah_py.transports.registry.upload import (
    blob_exists,
    start_upload,
    try_mount,
    upload_blob,
)


@dataclass
class PushStats:
    """What a push did, for progress output and for tests."""

    present: int = 0
    mounted: int = 0
    uploaded: int = 0
    data_requests: int = 0
    bytes_uploaded: int = 0

    def add(self, **counts: int) -> None:
        for name, value in counts.items():
            setattr(self, name, getattr(self, name) + value)


class DockerImageDestination:
    """An ImageDestination over one repository; `digest` is the pushed top manifest's."""

    supported_manifest_types: tuple[str, ...] = (
        mt.OCI_MANIFEST,
        mt.DOCKER_MANIFEST,
        mt.OCI_INDEX,
        mt.DOCKER_MANIFEST_LIST,
    )
    supported_compressions: tuple[str, ...] = ("gzip", "zstd", "none")

    def __init__(
        self,
        client: RegistryClient,
        ref: Reference,
        *,
        progress: Progress | None = None,
        locations: BlobLocations | None = None,
        mount_from: tuple[str, ...] = (),
        chunk_size: int | None = None,
    ) -> None:
        self.client = client
        self.ref = ref
        self.reference = client.label
        self.progress = progress
        self.locations = locations
        self.mount_from = tuple(_repo_path(r, ref.domain) for r in mount_from)
        self.chunk_size = chunk_size
        self.scopes = (f"repository:{ref.path}:pull,push",)
        self.stats = PushStats()
        self.digest = ""
        self._sessions: dict[str, str] = {}
        self._top: tuple[bytes, str] | None = None
        self._lock = threading.Lock()

    def _mount_candidates(self, digest: str) -> list[str]:
        found = list(self.mount_from)
        if self.locations is not None:
            found += self.locations.candidates(
                digest, self.ref.domain, exclude=(self.ref.path, *found)
            )
        return [r for r in found if r and r != self.ref.path]

    def has_blob(self, desc: Descriptor) -> bool:
        if blob_exists(self.client, self.ref.path, desc.digest, self.scopes):
            self._count(present=1)
            return True
        for repo in self._mount_candidates(desc.digest):
            mounted, location = try_mount(
                self.client, self.ref.path, desc.digest, repo, self.scopes
            )
            if mounted:
                self._count(mounted=1)
                self._record(desc.digest)
                return True
            if location:  # the registry opened an upload session instead; put_blob will use it
                self._sessions[desc.digest] = location
                break
        return False

    def put_blob(self, stream: BinaryIO, desc: Descriptor) -> None:
        location = self._sessions.pop(desc.digest, "") or start_upload(
            self.client, self.ref.path, self.scopes
        )
        requests = upload_blob(
            self.client,
            location,
            stream,
            desc,
            self.scopes,
            chunk_size=self.chunk_size,
            progress=self.progress,
        )
        self._count(uploaded=1, data_requests=requests, bytes_uploaded=desc.size)
        self._record(desc.digest)

    def _count(self, **counts: int) -> None:
        with self._lock:  # the copy routine moves several blobs at once
            self.stats.add(**counts)

    def _record(self, digest: str) -> None:
        if self.locations is not None:
            self.locations.record(digest, self.ref.repository)

    def put_manifest(self, raw: bytes, media_type: str, *, top_level: bool = True) -> None:
        if len(raw) > MAX_MANIFEST_SIZE:
            raise ImageFormatError(
                f"{self.reference}: manifest is over the {MAX_MANIFEST_SIZE} byte limit"
            )
        if top_level:
            self._top = (raw, media_type)
        else:
            self._put(sha256_digest(raw), raw, media_type)

    def _put(self, target: str, raw: bytes, media_type: str) -> str:
        digest = sha256_digest(raw)
        resp = self.client.request(
            "PUT",
            f"/v2/{self.ref.path}/manifests/{target}",
            scopes=self.scopes,
            headers={"Content-Type": media_type, "Content-Length": str(len(raw))},
            body=raw,
        )
        if resp.status not in (200, 201, 202):
            raise self.client.fail(resp, f"manifest {target}")
        echoed = resp.headers.get("Docker-Content-Digest", "")
        release(resp)
        if echoed and echoed != digest:
            raise DigestMismatch(
                digest, echoed, f"{self.reference}: manifest stored by the registry"
            )
        return digest

    def commit(self) -> None:
        if self._top is None:
            raise TransportError(
                f"{self.reference}: nothing to commit (no top-level manifest was written)"
            )
        raw, media_type = self._top
        digest = sha256_digest(raw)
        if self.ref.digest and self.ref.digest != digest:
            raise DigestMismatch(self.ref.digest, digest, f"{self.reference}: manifest")
        self.digest = self._put(self.ref.tag or digest, raw, media_type)

    def close(self) -> None:
        self._sessions.clear()
        self.client.close()


def _repo_path(name: str, domain: str) -> str:
    """``localhost:5000/base`` or ``base`` -> ``base`` (mounts work only within one registry)."""
    name = name.removeprefix("docker://")
    name = name.split("@", 1)[0]
    head, sep, rest = name.partition("/")
    if sep and head == domain:
        name = rest
    elif sep and ("." in head or ":" in head or head == "localhost"):
        return ""  # another registry: cannot mount from it
    last = name.rsplit("/", 1)
    if ":" in last[-1]:
        name = name[: name.rfind(":")]
    return name
